/* nn/conv2d_winograd.c: stride-1 3x3 convolution by Winograd's F(2x2, 3x3) (kernels/winograd.cl):
 * the filters and the input tiles go to the transform domain, the 16 sums over channels run as one
 * batched product (cl/gemm.h, 16 items of M x C times C x tiles), and the output transform adds
 * the bias and ReLU. Forward and the data gradient (a valid convolution of the output gradient,
 * padded by 2 - padding through the input transform's bounds, with the flipped, transposed filters
 * read in place through strides); the weight gradient stays with the other algorithms.
 * 2.25x fewer multiplications than direct; its rounding error is larger (tests/opencl/test_layers.c
 * bounds it). */
#include <stdio.h>

#include "cl/gemm.h"
#include "cl/kparams.h"
#include "conv2d.h"

/* Tiles of 2 x 2 covering an h x w output. */
static size_t tiles(int h, int w) {
    return (size_t)((h + 1) / 2) * (size_t)((w + 1) / 2);
}

/* The gap after V and after U in the workspace: the products' vector loads may read a row's
 * tail past its end (up to a buffer's slack, cl/cl.h), which must not reach a region that the
 * same product writes (a data race, even though the values read there are not used). */
#define GAP (CLCNN_BUFFER_SLACK / sizeof(float))

/* Floats per example: V (16 x inputs x tiles), U (16 x filters x channels) and the product (16 x
 * outputs x tiles), with their gaps, for the larger of forward's and the data gradient's tiles. */
static size_t need(const clcnn_conv_geom *g) {
    size_t t = tiles(g->OH, g->OW), td = tiles(g->H, g->W);
    if (td > t) t = td;
    return 16 * ((size_t)g->C + g->K) * t + 16 * (size_t)g->K * g->C + 2 * GAP;
}

/* 3x3, stride 1, padding within the filter, and a workspace at most twice im2col's columns: a
 * layer with few inputs and many filters (a first layer: 1 or 3 channels) would need many times
 * the memory, for products of 1-3 terms that the transforms would outweigh. */
int clcnn_conv_winograd_fits(const clcnn_conv_geom *g) {
    return g->KH == 3 && g->KW == 3 && g->SH == 1 && g->SW == 1 && g->PT <= 2 && g->PL <= 2 &&
           need(g) <= 2 * (size_t)g->R * g->ldp;
}

size_t clcnn_conv_winograd_workspace(const clcnn_conv_geom *g) {
    return clcnn_conv_winograd_fits(g) ? need(g) : 0;
}

/* One F(2x2, 3x3) convolution: `in` channels of h x w planes (image z at x_off + z x_batch),
 * padded by (pt, pl) and beyond, to `out` channels of oh x ow (image z at y + z y_batch); filter
 * m, channel c, tap (i, j) at w_off + m s[0] + c s[1] + i s[2] + j s[3] of p->params. */
typedef struct wino_conv {
    int in, h, w, pt, pl, out, oh, ow;
    cl_mem x, y, bias;
    cl_ulong x_off, x_batch, y_batch, w_off, bias_off;
    int s[4], relu;
    const char *phase;
} wino_conv;

static clcnn_status filters(const clcnn_pass *p, const wino_conv *v, cl_ulong u_off) {
    cl_kernel k;
    CLCNN_TRY(clcnn_kernel_get(p->ctx, "winograd.cl", "wino_filter", &k));
    clcnn_arg args[] = {CLCNN_ARG(p->params), CLCNN_ARG(v->w_off), CLCNN_ARG(v->s[0]),
                        CLCNN_ARG(v->s[1]),   CLCNN_ARG(v->s[2]),  CLCNN_ARG(v->s[3]),
                        CLCNN_ARG(v->out),    CLCNN_ARG(v->in),    CLCNN_ARG(p->workspace),
                        CLCNN_ARG(u_off)};
    size_t global[2] = {(size_t)v->in, (size_t)v->out}, local[2] = {1, 1};
    return clcnn_launch(p->ctx, k, 2, global, local, args, 10);
}

/* A chunk of the batch: images [first, first + count) of n, their tiles' columns in the
 * transform domain, nt = count x T. */
typedef struct chunk {
    int first, count;
    cl_ulong nt;
} chunk;

/* The input and output transforms at the device's native float width (16 on AVX-512, else 8:
 * kernels/winograd.cl's WI_VW), one tile per lane. */
void clcnn_conv_winograd_options(int vector_width, char *buf, size_t size) {
    snprintf(buf, size, "-DWI_VW=%d", vector_width >= 16 ? 16 : 8);
}

/* float16 on CPUs only: a GPU's work-item would hold the 16 float16 of a tile group in registers
 * and spill (tests/kernels_check.py). */
static clcnn_status transform_kernel(const clcnn_pass *p, const char *name, cl_kernel *k) {
    char options[32];
    int width = clcnn_is_cpu(p->ctx) ? p->ctx->vector_width : 8;
    clcnn_conv_winograd_options(width, options, sizeof options);
    return clcnn_kernel_get_variant(p->ctx, "winograd.cl", name, options, k);
}

static clcnn_status inputs(const clcnn_pass *p, const wino_conv *v, const chunk *c) {
    cl_kernel k;
    CLCNN_TRY(transform_kernel(p, "wino_input", &k));
    int th = (v->oh + 1) / 2, tw = (v->ow + 1) / 2;
    cl_ulong v_off = 0, x_off = v->x_off + (cl_ulong)c->first * v->x_batch;
    clcnn_arg args[] = {CLCNN_ARG(v->x),  CLCNN_ARG(x_off),    CLCNN_ARG(v->x_batch),
                        CLCNN_ARG(v->in), CLCNN_ARG(v->h),     CLCNN_ARG(v->w),
                        CLCNN_ARG(v->pt), CLCNN_ARG(v->pl),    CLCNN_ARG(th),
                        CLCNN_ARG(tw),    CLCNN_ARG(c->count), CLCNN_ARG(p->workspace),
                        CLCNN_ARG(v_off), CLCNN_ARG(c->nt)};
    size_t global[2] = {(size_t)v->in, (size_t)c->count}, local[2] = {1, 1};
    return clcnn_launch(p->ctx, k, 2, global, local, args, 14);
}

static clcnn_status outputs(const clcnn_pass *p, const wino_conv *v, const chunk *c,
                            cl_ulong m_off) {
    cl_kernel k;
    CLCNN_TRY(transform_kernel(p, "wino_output", &k));
    int th = (v->oh + 1) / 2, tw = (v->ow + 1) / 2, use_bias = v->bias != NULL;
    cl_mem bias = v->bias ? v->bias : v->y;
    cl_ulong y_off = (cl_ulong)c->first * v->y_batch;
    clcnn_arg args[] = {CLCNN_ARG(p->workspace), CLCNN_ARG(m_off),    CLCNN_ARG(c->nt),
                        CLCNN_ARG(v->out),       CLCNN_ARG(v->oh),    CLCNN_ARG(v->ow),
                        CLCNN_ARG(th),           CLCNN_ARG(tw),       CLCNN_ARG(c->count),
                        CLCNN_ARG(v->y),         CLCNN_ARG(y_off),    CLCNN_ARG(v->y_batch),
                        CLCNN_ARG(bias),         CLCNN_ARG(v->bias_off), CLCNN_ARG(use_bias),
                        CLCNN_ARG(v->relu)};
    size_t global[2] = {(size_t)v->out, (size_t)c->count}, local[2] = {1, 1};
    return clcnn_launch(p->ctx, k, 2, global, local, args, 16);
}

/* The transform domain of a chunk of images (V and the product) is written once and read once:
 * chunks of about this many bytes stay in the last-level cache between the three steps instead
 * of going through memory (2 x Zen 4 on PoCL: the seed's second layer at batch 32 moves ~48 MB
 * whole). */
#define WINO_CHUNK_BYTES (4.0 * 1048576.0)

/* Images per chunk: CLCNN_WINO_IMAGES when set (tests), else by WINO_CHUNK_BYTES. */
static int chunk_images(const clcnn_pass *p, const wino_conv *v) {
    int forced = p->ctx->conv.wino_images;
    if (forced) return forced < p->n ? forced : p->n;
    double per = 16.0 * 4.0 * ((double)v->in + v->out) * (double)tiles(v->oh, v->ow);
    int images = (int)(WINO_CHUNK_BYTES / per);
    return images < 1 ? 1 : images > p->n ? p->n : images;
}

/* The workspace: V, U, then the product, each after a gap (need() per example covers it for
 * any chunk). */
static clcnn_status convolve(const clcnn_layer *l, const clcnn_pass *p, const wino_conv *v) {
    int per = chunk_images(p, v);
    cl_ulong t = tiles(v->oh, v->ow), nt_max = (cl_ulong)per * t;
    cl_ulong u_off = 16 * (cl_ulong)v->in * nt_max + GAP;
    cl_ulong m_off = u_off + 16 * (cl_ulong)v->out * v->in + GAP;
    CLCNN_TRY(filters(p, v, u_off));
    /* The route key leaves the batch out, so a short last chunk follows the full ones. */
    char key[96];
    snprintf(key, sizeof key, "wino-%s-%dx%d-t%zu", v->phase, v->out, v->in, (size_t)t);
    for (chunk c = {0, 0, 0}; c.first < p->n; c.first += c.count) {
        c.count = p->n - c.first < per ? p->n - c.first : per;
        c.nt = (cl_ulong)c.count * t;
        CLCNN_TRY(inputs(p, v, &c));
        clcnn_gemm_op op = {.kind = CLCNN_GEMM_NN, .M = v->out, .N = (int)c.nt, .K = v->in,
                            .batch = 16, .route_key = key};
        op.A = p->workspace, op.a_off = u_off, op.a_batch = (size_t)v->out * v->in;
        op.lda = v->in;
        op.B = p->workspace, op.b_off = 0, op.b_batch = (size_t)v->in * c.nt, op.ldb = (int)c.nt;
        op.C = p->workspace, op.c_off = m_off, op.c_batch = (size_t)v->out * c.nt;
        op.ldc = (int)c.nt;
        CLCNN_TRY(clcnn_gemm(p->ctx, &op, l->route, NULL));
        CLCNN_TRY(outputs(p, v, &c, m_off));
    }
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_conv_winograd_forward(const clcnn_layer *l, const clcnn_pass *p) {
    clcnn_conv_geom g = clcnn_conv_geom_of(l);
    wino_conv v = {.in = g.C, .h = g.H, .w = g.W, .pt = g.PT, .pl = g.PL, .out = g.K,
                   .oh = g.OH, .ow = g.OW, .x = p->x, .y = p->y, .relu = l->relu,
                   .phase = "fwd"};
    v.x_batch = (cl_ulong)g.C * g.H * g.W, v.y_batch = (cl_ulong)g.K * g.OH * g.OW;
    v.w_off = l->param_offset[0];
    v.s[0] = g.R, v.s[1] = 9, v.s[2] = 3, v.s[3] = 1;
    if (l->spec.use_bias) v.bias = p->params, v.bias_off = l->param_offset[1];
    return convolve(l, p, &v);
}

/* dx = the valid convolution of dy padded by (2 - PT, 2 - PL) whose filter c, channel m, tap
 * (i, j) is w[m][c][2 - i][2 - j] (as the direct path's, nn/conv2d_direct.c). */
clcnn_status clcnn_conv_winograd_data(const clcnn_layer *l, const clcnn_pass *p) {
    clcnn_conv_geom g = clcnn_conv_geom_of(l);
    wino_conv v = {.in = g.K, .h = g.OH, .w = g.OW, .pt = 2 - g.PT, .pl = 2 - g.PL, .out = g.C,
                   .oh = g.H, .ow = g.W, .x = p->dy, .y = p->dx, .phase = "dx"};
    v.x_batch = (cl_ulong)g.K * g.OH * g.OW, v.y_batch = (cl_ulong)g.C * g.H * g.W;
    v.w_off = l->param_offset[0] + 8;
    v.s[0] = 9, v.s[1] = g.R, v.s[2] = -3, v.s[3] = -1;
    return convolve(l, p, &v);
}
