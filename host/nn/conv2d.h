/* nn/conv2d.h: a convolution layer's geometry, shared by its algorithms: im2col + a matrix
 * product (nn/conv2d.c), the direct stride-1 kernels (nn/conv2d_direct.c, the weight gradient's
 * nn/conv2d_dw.c) and Winograd's F(2x2, 3x3) (nn/conv2d_winograd.c). */
#ifndef CLCNN_CONV2D_H
#define CLCNN_CONV2D_H

#include "cl/route.h"
#include "nn.h"

typedef struct clcnn_conv_geom {
    int C, H, W, K, KH, KW, SH, SW, PT, PL, OH, OW, P, ldp, R;
} clcnn_conv_geom;

clcnn_conv_geom clcnn_conv_geom_of(const clcnn_layer *l);

/* The algorithms, as stored in the route table: values of their own (cl/route.h), under keys
 * "alg-conv-<phase>-<geometry>". */
enum { CLCNN_CONV_IM2COL = CLCNN_ROUTE_ALG_FIRST, CLCNN_CONV_DIRECT, CLCNN_CONV_WINOGRAD };

/* Whether the direct kernels can run this geometry (stride 1, padding within the kernel). */
int clcnn_conv_direct_fits(const clcnn_conv_geom *g);

/* Whether conv_small runs this geometry (direct, at most 9 taps of at most 5 x 5): then the direct
 * weight gradient is conv_small_dw, fused with the ReLU mask and the bias gradient. */
int clcnn_conv_small_fits(const clcnn_conv_geom *g);
/* That weight gradient (nn/conv2d_direct.c), from the padded input x at x_off; nn/conv2d_dw.c
 * hands a few-tap layer's to it. */
clcnn_status clcnn_conv_small_filter(const clcnn_layer *l, const clcnn_pass *p, cl_mem x,
                                     size_t x_off);

/* Whether Winograd's F(2x2, 3x3) runs this geometry (3x3, stride 1, a workspace at most twice
 * im2col's), and its floats of workspace per example (0 when it does not fit). */
int clcnn_conv_winograd_fits(const clcnn_conv_geom *g);
size_t clcnn_conv_winograd_workspace(const clcnn_conv_geom *g);
/* The build options of kernels/winograd.cl's transforms for a device's native float width. */
void clcnn_conv_winograd_options(int vector_width, char *buf, size_t size);

/* The build options of kernels/conv_direct.cl with the default tile for a device of this native
 * float width (ctx->vector_width: 4, 8 or 16), for a c-channel kh x kw filter (c > 0:
 * conv_small's variant): those the host builds when CLCNN_CONV_TILE is unset.
 * tests/kernel_variants.c lists them for the kernel check. */
void clcnn_conv_direct_options(int vector_width, int c, int kh, int kw, char *buf, size_t size);

/* The builds of kernels/conv_direct.cl (their options, into opts) a layer of this geometry may
 * use: the tile's (padding, weight gradient), conv_small's for few taps, the filter size's.
 * Returns how many; 0 when the direct kernels do not fit. */
int clcnn_conv_direct_builds(const clcnn_context *ctx, const clcnn_conv_geom *g, char opts[3][128]);

/* Floats per example of workspace: region A (im2col's columns, or the direct path's padded
 * output gradient) then region X (the direct path's padded input). Winograd's transform domain
 * is not in it: clcnn_layer_workspace adds it only where Winograd can run (forced). */
size_t clcnn_conv_workspace_a(const clcnn_conv_geom *g);
size_t clcnn_conv_workspace(const clcnn_conv_geom *g);

/* The direct path's three parts. fwd_direct: whether forward ran direct (so region X already
 * holds the padded input). */
clcnn_status clcnn_conv_direct_forward(const clcnn_layer *l, const clcnn_pass *p);
clcnn_status clcnn_conv_direct_filter(const clcnn_layer *l, const clcnn_pass *p, int fwd_direct);
clcnn_status clcnn_conv_direct_data(const clcnn_layer *l, const clcnn_pass *p);

/* The input as the direct kernels read it: x itself, or its padded copy in the workspace's region
 * X (made there unless `made` says forward already did). */
clcnn_status clcnn_conv_direct_input(const clcnn_conv_geom *g, const clcnn_pass *p, int made,
                                     cl_mem *x, size_t *x_off);

/* Floats per example of region A the weight gradient (nn/conv2d_dw.c) needs. */
size_t clcnn_conv_dw_workspace(const clcnn_conv_geom *g);
/* conv_dw.cl's build options for a layer on this device ("" for the base build), into buf. */
void clcnn_conv_dw_options(const clcnn_context *ctx, const clcnn_conv_geom *g, char *buf,
                           size_t n);

/* Winograd's forward and data gradient (the weight gradient runs direct or im2col). */
clcnn_status clcnn_conv_winograd_forward(const clcnn_layer *l, const clcnn_pass *p);
clcnn_status clcnn_conv_winograd_data(const clcnn_layer *l, const clcnn_pass *p);

/* Runs one phase's candidate algorithm (CLCNN_CONV_*); `again` says the workspace may no longer
 * hold what forward left there. */
typedef clcnn_status (*clcnn_conv_run)(clcnn_layer *l, const clcnn_pass *p, int alg, int again);

/* The algorithm for a phase of this layer: l->conv_alg when set, CLCNN_CONV=im2col|direct|
 * winograd when set (each falls back to the next that fits: winograd, direct, im2col), im2col
 * when the layer forces a GEMM route or direct does not fit, else the cached choice, else
 * (CPU-class devices only: the direct kernels are shaped for them) the candidates timed through
 * run, each followed by a read of the working set the step keeps around the layer (so that what
 * a candidate evicts from the caches counts), and the fastest kept (im2col must beat direct by
 * CLCNN_ROUTE_WIN). wino: whether Winograd can be forced for this phase (forward, data
 * gradient); backward: a backward phase (the gradients join the working set). race 0: *alg = 0
 * where the candidates would have to run. *raced: whether the candidates ran here. */
clcnn_status clcnn_conv_choose(clcnn_layer *l, const clcnn_pass *p, const char *key, int wino,
                               int backward, clcnn_conv_run run, int race, int *alg, int *raced);

#endif
