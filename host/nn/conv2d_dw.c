/* nn/conv2d_dw.c: the direct path's weight gradient (kernels/conv_dw.cl) for stride-1
 * convolutions on CPU-class devices: the output gradient laid out filter-minor once per step, then
 * register tiles of filters x taps summed over the positions of cache-sized groups of images, the
 * groups added up by the products' gemm_sum_groups. */
#include <stdio.h>

#include "cl/kparams.h"
#include "conv2d.h"

/* Filters rounded up to whole vectors of vw: the width of the filter-minor output gradient. */
static int padded_filters(const clcnn_conv_geom *g, int vw) {
    return (g->K + vw - 1) & ~(vw - 1);
}

/* The tile: CLCNN_CONV_TILE's wm (vectors of filters), wr (taps) and per (images per group, 0 =
 * by cache size), read at open into ctx->conv (cl/conv_env.c), in vectors of the device's native
 * width (ctx->vector_width: float16 on AVX-512, else float8). Else in float8 2 x 6 (16 filters x 6
 * taps, 12 accumulators: the register tile of a BLAS micro-kernel on AVX2's 16 vector registers)
 * built without options, as tests/kernels_check.py compiles the file; in float16 for AVX-512's 32
 * registers 4 x 5 (64 filters x 5 taps, 20 accumulators, 4 loads + 5 broadcasts per 20 FMAs: the
 * seed's conv 2, 64 filters, 6.8 -> 4.4 ms at batch 32, where 4 x 4, 4 x 6, 2 x 8-12 and 1 x 16
 * took 4.5-5.8), narrowed to the filters of layers with fewer than 64, which 64-filter tiles would
 * pad with FMAs for nothing: 2 x 12 for 17-48 filters (fashion_mnist_best's conv 2, 32 filters:
 * 2.8 ms, 4 x 5 5.4, 2 x 10 2.9, 1 x 14 3.8 under load), 1 x 14 for 16 or fewer (not measured:
 * no layer of the configs has so few). */
typedef struct dw_tile {
    int vw, wv, wr, per;
} dw_tile;

static dw_tile tile_for(const clcnn_context *ctx, const clcnn_conv_geom *g) {
    const int *v = ctx->conv.tile;
    dw_tile t = {8, 2, 6, 0};
    if (ctx->vector_width >= 16) {
        int wv = padded_filters(g, 16) / 16;
        t = wv >= 4   ? (dw_tile){16, 4, 5, 0}
            : wv >= 2 ? (dw_tile){16, 2, 12, 0}
                      : (dw_tile){16, 1, 14, 0};
    }
    if (v[0]) t.wv = v[2], t.wr = v[3], t.per = v[4];
    return t;
}

void clcnn_conv_dw_options(const clcnn_context *ctx, const clcnn_conv_geom *g, char *buf,
                           size_t n) {
    dw_tile t = tile_for(ctx, g);
    if (t.vw == 8 && !ctx->conv.tile[0])
        buf[0] = '\0';
    else
        snprintf(buf, n, "-DDW_VW=%d -DDW_WV=%d -DDW_WR=%d", t.vw, t.wv, t.wr);
}

static clcnn_status dw_kernel(clcnn_context *ctx, const clcnn_conv_geom *g, const char *name,
                              dw_tile *t, cl_kernel *k) {
    char options[64];
    *t = tile_for(ctx, g);
    clcnn_conv_dw_options(ctx, g, options, sizeof options);
    return clcnn_kernel_get_variant(ctx, "conv_dw.cl", name, options, k);
}

size_t clcnn_conv_dw_workspace(const clcnn_conv_geom *g) {
    /* The groups' partial sums (at most one per example), alignment, then the laid out dy (its
     * filters rounded up for the widest vectors, whatever the device's). */
    return (size_t)g->K * g->R + 16 + (size_t)padded_filters(g, 16) * g->OH * (g->OW + g->KW - 1);
}

/* Images per group: about 2 MiB of dy and x, so that a group's images stay in cache (L2 + L3)
 * while all its tiles pass, and at least 4 images, so that a work-item has enough work to pay for
 * its start on PoCL. */
static int per_group(const clcnn_conv_geom *g, int n, int vw) {
    double Wp = g->OW + g->KW - 1, Hp = g->OH + g->KH - 1;
    double bytes = 4.0 * ((double)padded_filters(g, vw) * g->OH * Wp + (double)g->C * Hp * Wp);
    int per = (int)(2048.0 * 1024.0 / bytes);
    if (per < 4) per = 4;
    return per > n ? n : per;
}

/* dyt (filter-minor, wide rows of Wp positions, at dyt_off of the workspace) from p->dy. */
static clcnn_status layout(const clcnn_conv_geom *g, const clcnn_pass *p, cl_ulong dyt_off,
                           cl_ulong dyt_batch) {
    dw_tile t;
    cl_kernel k;
    CLCNN_TRY(dw_kernel(p->ctx, g, "conv_dw_layout", &t, &k));
    int Wp = g->OW + g->KW - 1;
    clcnn_arg args[] = {CLCNN_ARG(g->K),    CLCNN_ARG(g->OH),    CLCNN_ARG(g->OW),
                        CLCNN_ARG(Wp),      CLCNN_ARG(p->dy),    CLCNN_ARG(p->workspace),
                        CLCNN_ARG(dyt_off), CLCNN_ARG(dyt_batch)};
    size_t global[2] = {(size_t)g->OH, (size_t)p->n}, local[2] = {1, 1};
    return clcnn_launch(p->ctx, k, 2, global, local, args, (int)(sizeof args / sizeof args[0]));
}

/* The groups' partial sums (workspace, from 0) added up into the layer's weight gradient. */
static clcnn_status sum_groups(const clcnn_layer *l, const clcnn_pass *p, const clcnn_conv_geom *g,
                               int groups) {
    clcnn_gemm_op op = {.M = g->K, .N = g->R, .C = p->grads, .c_off = l->param_offset[0],
                        .ldc = g->R};
    return clcnn_gemm_sum_groups(p->ctx, &op, groups, 0, p->workspace);
}

clcnn_status clcnn_conv_direct_filter(const clcnn_layer *l, const clcnn_pass *p, int fwd_direct) {
    clcnn_conv_geom g = clcnn_conv_geom_of(l);
    dw_tile t = tile_for(p->ctx, &g);
    int Hp = g.OH + g.KH - 1, Wp = g.OW + g.KW - 1, Mp = padded_filters(&g, t.vw);
    cl_mem x;
    size_t x_off;
    CLCNN_TRY(clcnn_conv_direct_input(&g, p, fwd_direct, &x, &x_off));
    if (clcnn_conv_small_fits(&g)) return clcnn_conv_small_filter(l, p, x, x_off);
    /* Region A (im2col's columns are no longer needed): the groups' partial sums, then dy laid
     * out at a 64-byte boundary. */
    cl_ulong dyt_off = ((cl_ulong)p->n * g.K * g.R + 15) & ~(cl_ulong)15;
    cl_ulong dyt_b = (cl_ulong)Mp * g.OH * Wp;
    CLCNN_TRY(layout(&g, p, dyt_off, dyt_b));
    cl_kernel k;
    CLCNN_TRY(dw_kernel(p->ctx, &g, "conv_dw", &t, &k));
    int per = t.per ? (t.per < p->n ? t.per : p->n) : per_group(&g, p->n, t.vw),
        groups = (p->n + per - 1) / per;
    cl_ulong xo = x_off, x_b = (cl_ulong)g.C * Hp * Wp, dw_off = l->param_offset[0];
    cl_ulong dw_group = (cl_ulong)g.K * g.R;
    cl_mem out = p->grads;
    if (groups > 1) out = p->workspace, dw_off = 0;
    clcnn_arg args[] = {
        CLCNN_ARG(g.C),    CLCNN_ARG(g.K),          CLCNN_ARG(Hp),      CLCNN_ARG(Wp),
        CLCNN_ARG(g.KH),   CLCNN_ARG(g.KW),         CLCNN_ARG(g.OH),    CLCNN_ARG(p->n),
        CLCNN_ARG(per),    CLCNN_ARG(p->workspace), CLCNN_ARG(dyt_off), CLCNN_ARG(dyt_b),
        CLCNN_ARG(x),      CLCNN_ARG(xo),           CLCNN_ARG(x_b),     CLCNN_ARG(out),
        CLCNN_ARG(dw_off), CLCNN_ARG(dw_group),
    };
    size_t global[3] = {(size_t)(g.R + t.wr - 1) / t.wr, (size_t)(Mp + t.vw * t.wv - 1) / (t.vw * t.wv),
                        (size_t)groups};
    size_t local[3] = {1, 1, 1};
    CLCNN_TRY(clcnn_launch(p->ctx, k, 3, global, local, args, (int)(sizeof args / sizeof args[0])));
    return groups == 1 ? CLCNN_STATUS_OK : sum_groups(l, p, &g, groups);
}
