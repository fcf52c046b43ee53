/* nn/conv2d_direct.c: stride-1 convolution by the direct kernels (kernels/conv_direct.cl), and
 * the measured choice per layer and phase between them and im2col + a product (nn/conv2d.c).
 * The direct path reads the input where im2col would copy it nine times: forward pads the input
 * once (when the padding is not zero), the weight gradient is nn/conv2d_dw.c's, and the data
 * gradient is a forward convolution of the padded output gradient with the flipped, transposed
 * filters (read in place through strides). Few taps (a first layer's one channel x 3 x 3) run
 * conv_small, which stores whole vectors, and conv_small_dw, the weight gradient fused with the
 * ReLU mask and the bias gradient in one pass over dy. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cl/kparams.h"
#include "cl/route.h"
#include "conv2d.h"

/* The padded input (Hp x Wp) of a stride-1 convolution with this output. */
static int padded_h(const clcnn_conv_geom *g) {
    return g->OH + g->KH - 1;
}
static int padded_w(const clcnn_conv_geom *g) {
    return g->OW + g->KW - 1;
}
static int needs_pad(const clcnn_conv_geom *g) {
    return g->PT || g->PL || padded_h(g) != g->H || padded_w(g) != g->W;
}

/* A tile's lanes may read KW + CD_VW*CD_NV - 2 floats past a plane (kernels/conv_direct.cl):
 * with KW <= 64, CD_VW <= 16 and CD_NV <= 4 (CLCNN_CONV_TILE's limit) that is at most 126 floats,
 * inside a buffer's slack (CLCNN_BUFFER_SLACK, 128 floats). */
int clcnn_conv_direct_fits(const clcnn_conv_geom *g) {
    return g->SH == 1 && g->SW == 1 && g->PT <= g->KH - 1 && g->PL <= g->KW - 1 && g->KW <= 64;
}

size_t clcnn_conv_workspace_a(const clcnn_conv_geom *g) {
    size_t a = (size_t)g->R * g->ldp;
    if (!clcnn_conv_direct_fits(g)) return a;
    size_t dy_wide = clcnn_conv_dw_workspace(g); /* the weight gradient's (nn/conv2d_dw.c) */
    size_t dy_pad = (size_t)g->K * (g->H + g->KH - 1) * (g->W + g->KW - 1);
    if (dy_wide > a) a = dy_wide;
    return dy_pad > a ? dy_pad : a;
}

size_t clcnn_conv_workspace(const clcnn_conv_geom *g) {
    size_t x = clcnn_conv_direct_fits(g) ? (size_t)g->C * padded_h(g) * padded_w(g) : 0;
    return clcnn_conv_workspace_a(g) + x;
}

/* The tile: vw-float vectors (the device's native width, ctx->vector_width: 16 on AVX-512,
 * else 8), tm channels x nv vectors of positions. CLCNN_CONV_TILE="tm,nv,wm,wr[,per]"'s tm, nv
 * (tuning, tests; the rest is the weight gradient's, nn/conv2d_dw.c; read at open into
 * ctx->conv, cl/conv_env.c), else the CPU default measured on PoCL for the width: float8, 4
 * channels x 24 positions (12 accumulators) on 2 x Zen 4 (AVX2, 16 vector registers); float16,
 * 6 channels x 48 positions (18 accumulators) on 2 Sapphire Rapids cores (AVX-512, 32
 * registers): the seed's conv 2 forward 4.9 ms at batch 32 against 5.0-5.3 for 8x2, 5x3, 4x3
 * and 4x4 (2026-12-02). Tiles of 24 accumulators (6x4, 8x3) ran 1.7x slower: PoCL's LLVM keeps
 * the taps' shifted input vectors live across a filter row and moves accumulators to the
 * stack. */
typedef struct direct_tile {
    int vw, tm, nv;
} direct_tile;

static direct_tile default_tile(int vector_width) {
    if (vector_width >= 16) return (direct_tile){16, 6, 3};
    return (direct_tile){8, 4, 3};
}

static direct_tile tile_for(const clcnn_context *ctx) {
    const int *v = ctx->conv.tile;
    direct_tile t = default_tile(ctx->vector_width);
    if (v[0]) t.tm = v[0], t.nv = v[1];
    return t;
}

/* conv_small_dw's filters per work-item (its CS_DTM): two where the device has 32 vector
 * registers (float16: 18 + 2 accumulators), else one (AVX2's 16). The build and the launch both
 * take it from here. */
static int small_dw_filters(const direct_tile *t) {
    return t->vw >= 16 ? 2 : 1;
}

/* kh x kw: the filter size the variant is built for (unrolled taps, measured ~10% faster for
 * 3x3), or 0 x 0 for any; c > 0: conv_small's channels. */
static void options_for(const direct_tile *t, int c, int kh, int kw, char *buf, size_t size) {
    int n = snprintf(buf, size, "-DCD_VW=%d -DCD_TM=%d -DCD_NV=%d", t->vw, t->tm, t->nv);
    if (n < 0 || (size_t)n >= size) return;
    if (kh > 0 && kh <= 5 && kw > 0 && kw <= 5)
        n += snprintf(buf + n, size - (size_t)n, " -DCD_KH=%d -DCD_KW=%d", kh, kw);
    if (c > 0 && (size_t)n < size)
        snprintf(buf + n, size - (size_t)n, " -DCS_C=%d -DCS_DTM=%d", c, small_dw_filters(t));
}

void clcnn_conv_direct_options(int vector_width, int c, int kh, int kw, char *buf, size_t size) {
    direct_tile t = default_tile(vector_width);
    options_for(&t, c, kh, kw, buf, size);
}

static clcnn_status kernel(clcnn_context *ctx, const char *name, int c, int kh, int kw,
                           direct_tile *t, cl_kernel *k) {
    *t = tile_for(ctx);
    char options[128];
    options_for(t, c, kh, kw, options, sizeof options);
    return clcnn_kernel_get_variant(ctx, "conv_direct.cl", name, options, k);
}

/* dst (planes Hq x Wq, at dst_off) = src (planes H x W) shifted by (pt, pl), zero around. */
static clcnn_status pad(clcnn_context *ctx, int n, cl_mem src, int C, int H, int W, cl_mem dst,
                        size_t dst_off, int Hq, int Wq, int pt, int pl) {
    direct_tile t;
    cl_kernel k;
    CLCNN_TRY(kernel(ctx, "conv_pad", 0, 0, 0, &t, &k));
    cl_ulong src_b = (cl_ulong)C * H * W, off = dst_off, dst_b = (cl_ulong)C * Hq * Wq;
    clcnn_arg args[] = {CLCNN_ARG(src), CLCNN_ARG(src_b), CLCNN_ARG(C),   CLCNN_ARG(H),
                        CLCNN_ARG(W),   CLCNN_ARG(dst),   CLCNN_ARG(off), CLCNN_ARG(dst_b),
                        CLCNN_ARG(Hq),  CLCNN_ARG(Wq),    CLCNN_ARG(pt),  CLCNN_ARG(pl)};
    size_t global[2] = {(size_t)C, (size_t)n}, local[2] = {1, 1};
    return clcnn_launch(ctx, k, 2, global, local, args, 12);
}

/* The weights as the direct kernel reads them: filter m, channel c, tap (i, j) at
 * off + m*s[0] + c*s[1] + i*s[2] + j*s[3]. */
typedef struct weights {
    cl_mem buf;
    cl_ulong off;
    int s[4];
} weights;

/* conv_small's and conv_small_dw's limit: conv_small_dw keeps an accumulator per tap beside the
 * bias sum, the vector of dy and an input vector (16 vector registers on AVX2). */
#define SMALL_TAPS 9

static int small_taps(int C, int KH, int KW) {
    return C * KH * KW <= SMALL_TAPS && KH <= 5 && KW <= 5;
}

int clcnn_conv_small_fits(const clcnn_conv_geom *g) {
    return clcnn_conv_direct_fits(g) && small_taps(g->C, g->KH, g->KW);
}

/* direct() by conv_small, for at most SMALL_TAPS taps of at most 5 x 5. */
static clcnn_status small(clcnn_context *ctx, int n, int C, int M, int Hp, int Wp, int KH, int KW,
                          cl_mem x, size_t x_off, const weights *w, cl_mem y, cl_mem bias,
                          size_t bias_off, int relu) {
    direct_tile t;
    cl_kernel k;
    CLCNN_TRY(kernel(ctx, "conv_small", C, KH, KW, &t, &k));
    int OH = Hp - KH + 1, OW = Wp - KW + 1, use_bias = bias != NULL;
    /* Filters per work-item: a quarter of them in whole tiles (conv_small's CS_TM = 4). */
    int tm = 4, groups = 4, mg = ((M + groups - 1) / groups + tm - 1) / tm * tm;
    cl_ulong xo = x_off, x_b = (cl_ulong)C * Hp * Wp, y_b = (cl_ulong)M * OH * OW;
    cl_ulong b_off = bias_off;
    cl_mem b = bias ? bias : y;
    clcnn_arg args[] = {
        CLCNN_ARG(M),       CLCNN_ARG(mg),      CLCNN_ARG(Hp),       CLCNN_ARG(Wp),       CLCNN_ARG(OH),
        CLCNN_ARG(OW),      CLCNN_ARG(x),       CLCNN_ARG(xo),       CLCNN_ARG(x_b),
        CLCNN_ARG(w->buf),  CLCNN_ARG(w->off),  CLCNN_ARG(w->s[0]),  CLCNN_ARG(w->s[1]),
        CLCNN_ARG(w->s[2]), CLCNN_ARG(w->s[3]), CLCNN_ARG(y),        CLCNN_ARG(y_b),
        CLCNN_ARG(b),       CLCNN_ARG(b_off),   CLCNN_ARG(use_bias), CLCNN_ARG(relu),
    };
    size_t global[2] = {(size_t)(M + mg - 1) / mg, (size_t)n}, local[2] = {1, 1};
    return clcnn_launch(ctx, k, 2, global, local, args, (int)(sizeof args / sizeof args[0]));
}

/* x as the direct kernels read it: C planes Hp x Wp at off, of which only the rows [r_lo, r_hi)
 * may be nonzero (the rest is padding); the output's planes are OH x OW (Hp - KH + 1 x Wp - KW
 * + 1 unless the rows share their padding columns: data_layout). */
typedef struct planes {
    cl_mem buf;
    size_t off;
    int C, Hp, Wp, r_lo, r_hi, OH, OW;
} planes;

/* y (planes OH x OW) = the stride-1 valid convolution of x with M filters, + bias and ReLU when
 * given. */
static clcnn_status direct(clcnn_context *ctx, int n, const planes *in, int M, int KH, int KW,
                           const weights *w, cl_mem y, cl_mem bias, size_t bias_off, int relu) {
    int C = in->C, Hp = in->Hp, Wp = in->Wp;
    cl_mem x = in->buf;
    size_t x_off = in->off;
    if (small_taps(C, KH, KW))
        return small(ctx, n, C, M, Hp, Wp, KH, KW, x, x_off, w, y, bias, bias_off, relu);
    /* A variant built for the filter size reads its taps at forward's or the flipped strides. */
    int sign = w->s[3];
    if (KH <= 5 && KW <= 5 && !((sign == 1 || sign == -1) && w->s[2] == sign * KW))
        return clcnn_fail(CLCNN_STATUS_UNSUPPORTED, "conv_direct: tap strides (%d, %d) for %dx%d",
                          w->s[2], w->s[3], KH, KW);
    direct_tile t;
    cl_kernel k;
    CLCNN_TRY(kernel(ctx, "conv_direct", 0, KH, KW, &t, &k));
    int OH = in->OH, OW = in->OW, lanes = t.vw * t.nv;
    /* A tile along one output row wastes the lanes past OW; one along the wide rows wastes the
     * KW - 1 columns past OW in every row and stores element by element: rows when it wastes
     * no more. */
    int per_row = (OW + lanes - 1) / lanes;
    int rows = (double)(per_row * lanes - OW) / (per_row * lanes) <= (double)(KW - 1) / Wp;
    size_t tiles = rows ? (size_t)OH * per_row : ((size_t)OH * Wp + lanes - 1) / lanes;
    /* Blocks of channels per work-item: enough for ~2048 vector FMAs, so that a work-item's
     * start is paid over real work when there are few taps (conv 1: one channel, 9 taps). */
    int blocks = (M + t.tm - 1) / t.tm, per_block = C * KH * KW * t.tm * t.nv;
    int mblocks = (2048 + per_block - 1) / per_block;
    if (mblocks > blocks) mblocks = blocks;
    cl_ulong xo = x_off, x_b = (cl_ulong)C * Hp * Wp, y_b = (cl_ulong)M * OH * OW;
    cl_ulong b_off = bias_off;
    int use_bias = bias != NULL;
    cl_mem b = bias ? bias : y;
    clcnn_arg args[] = {
        CLCNN_ARG(C),       CLCNN_ARG(M),        CLCNN_ARG(Hp),       CLCNN_ARG(Wp),
        CLCNN_ARG(KH),      CLCNN_ARG(KW),       CLCNN_ARG(OH),       CLCNN_ARG(OW),
        CLCNN_ARG(rows),    CLCNN_ARG(mblocks),  CLCNN_ARG(in->r_lo), CLCNN_ARG(in->r_hi),
        CLCNN_ARG(x),       CLCNN_ARG(xo),       CLCNN_ARG(x_b),      CLCNN_ARG(w->buf),
        CLCNN_ARG(w->off),  CLCNN_ARG(w->s[0]),  CLCNN_ARG(w->s[1]),  CLCNN_ARG(w->s[2]),
        CLCNN_ARG(w->s[3]), CLCNN_ARG(y),        CLCNN_ARG(y_b),      CLCNN_ARG(b),
        CLCNN_ARG(b_off),   CLCNN_ARG(use_bias), CLCNN_ARG(relu),
    };
    size_t global[3] = {(size_t)(blocks + mblocks - 1) / mblocks, tiles, (size_t)n};
    size_t local[3] = {1, 1, 1};
    return clcnn_launch(ctx, k, 3, global, local, args, (int)(sizeof args / sizeof args[0]));
}

/* Region X, the padded input, follows region A's n examples. */
static size_t region_x(const clcnn_conv_geom *g, int n) {
    return (size_t)n * clcnn_conv_workspace_a(g);
}

/* The input as the direct kernels read it: x itself, or its padded copy in region X (made
 * there unless `made` says forward already did). */
clcnn_status clcnn_conv_direct_input(const clcnn_conv_geom *g, const clcnn_pass *p, int made,
                                     cl_mem *x, size_t *x_off) {
    *x = p->x, *x_off = 0;
    if (!needs_pad(g)) return CLCNN_STATUS_OK;
    *x = p->workspace, *x_off = region_x(g, p->n);
    if (made) return CLCNN_STATUS_OK;
    return pad(p->ctx, p->n, p->x, g->C, g->H, g->W, *x, *x_off, padded_h(g), padded_w(g), g->PT,
               g->PL);
}

clcnn_status clcnn_conv_direct_forward(const clcnn_layer *l, const clcnn_pass *p) {
    clcnn_conv_geom g = clcnn_conv_geom_of(l);
    int Hp = padded_h(&g), Wp = padded_w(&g);
    cl_mem x;
    size_t x_off;
    CLCNN_TRY(clcnn_conv_direct_input(&g, p, 0, &x, &x_off));
    planes in = {x, x_off, g.C, Hp, Wp, g.PT, g.PT + g.H, g.OH, g.OW};
    weights w = {p->params, l->param_offset[0], {g.R, g.KH * g.KW, g.KW, 1}};
    return direct(p->ctx, p->n, &in, g.K, g.KH, g.KW, &w, p->y,
                  l->spec.use_bias ? p->params : NULL, l->spec.use_bias ? l->param_offset[1] : 0,
                  l->relu);
}

/* The weight gradient of a layer of few taps by conv_small_dw, which also applies the ReLU mask
 * to dy (written back when the data gradient needs it) and sums the bias gradient: nn/conv2d.c
 * skips clcnn_nn_output_grad for it. Applying the mask to a dy already masked changes nothing. */
clcnn_status clcnn_conv_small_filter(const clcnn_layer *l, const clcnn_pass *p, cl_mem x,
                                     size_t x_off) {
    clcnn_conv_geom geom = clcnn_conv_geom_of(l);
    const clcnn_conv_geom *g = &geom;
    direct_tile t;
    cl_kernel k;
    CLCNN_TRY(kernel(p->ctx, "conv_small_dw", g->C, g->KH, g->KW, &t, &k));
    int Hp = padded_h(g), Wp = padded_w(g), relu = l->relu, write_dy = relu && p->dx != NULL;
    int use_bias = l->spec.use_bias;
    cl_ulong xo = x_off, x_b = (cl_ulong)g->C * Hp * Wp, dw_off = l->param_offset[0];
    cl_ulong db_off = use_bias ? l->param_offset[1] : 0;
    cl_mem y = relu ? p->y : p->dy;
    clcnn_arg args[] = {
        CLCNN_ARG(g->K),     CLCNN_ARG(Hp),   CLCNN_ARG(Wp),     CLCNN_ARG(g->OH),
        CLCNN_ARG(g->OW),    CLCNN_ARG(p->n), CLCNN_ARG(x),      CLCNN_ARG(xo),
        CLCNN_ARG(x_b),      CLCNN_ARG(y),    CLCNN_ARG(p->dy),  CLCNN_ARG(relu),
        CLCNN_ARG(write_dy), CLCNN_ARG(p->grads), CLCNN_ARG(dw_off), CLCNN_ARG(db_off),
        CLCNN_ARG(use_bias),
    };
    double outputs = (double)p->n * g->K * g->P;
    clcnn_profile_bytes(p->ctx, 4.0 * (outputs * (1 + relu + write_dy) + (double)p->n * x_b));
    int dtm = small_dw_filters(&t);
    size_t global[1] = {(size_t)(g->K + dtm - 1) / dtm}, local[1] = {1};
    return clcnn_launch(p->ctx, k, 1, global, local, args, (int)(sizeof args / sizeof args[0]));
}

/* The padded dy of the data gradient: planes of Hq rows of `stride` floats, dy's rows at column
 * `left` after `top` rows of zeros. Its full convolution pads each row by left = KW-1-PL zeros
 * before and right = KW-1-PR after; when a row's zeros after it and the next row's before it
 * are shared (stride = max(OW + max(left, right), W) instead of W + KW - 1), a tap that runs
 * past a row's end reads the next row's leading zeros, which it needed anyway, and the wide
 * rows waste no columns (the seed's conv 2: 26 wide positions per dx row instead of 28). The
 * taps past the last plane then read up to `left` floats after it: zeros the layout adds. When
 * the region's room would not hold them (tiny shapes), or conv_small runs (it stores rows of
 * Wq - KW + 1), the rows keep their own padding. */
typedef struct dx_layout {
    int Hq, stride, top, left, shared;
} dx_layout;

static dx_layout data_layout(const clcnn_conv_geom *g, int n) {
    int left = g->KW - 1 - g->PL, right = g->W + g->PL - g->OW, full = g->W + g->KW - 1;
    dx_layout d = {g->H + g->KH - 1, full, g->KH - 1 - g->PT, left, 0};
    int shared = g->OW + (left > right ? left : right);
    if (shared < g->W) shared = g->W;
    size_t room = (size_t)n * g->K * d.Hq * full, need = (size_t)n * g->K * d.Hq * shared + left;
    if (shared < full && need <= room && !small_taps(g->K, g->KH, g->KW))
        d.stride = shared, d.shared = 1;
    return d;
}

/* dx[c][h][w] = sum over (m, i, j) of w[m][c][i][j] dy[m][h + PT - i][w + PL - j]: with dy
 * padded by (KH-1-PT, KW-1-PL) and i' = KH-1-i, j' = KW-1-j, a valid convolution whose filter
 * c, channel m, tap (i', j') is w[m][c][KH-1-i'][KW-1-j']. */
clcnn_status clcnn_conv_direct_data(const clcnn_layer *l, const clcnn_pass *p) {
    clcnn_conv_geom g = clcnn_conv_geom_of(l);
    dx_layout d = data_layout(&g, p->n);
    int taps = g.KH * g.KW;
    CLCNN_TRY(pad(p->ctx, p->n, p->dy, g.K, g.OH, g.OW, p->workspace, 0, d.Hq, d.stride, d.top,
                  d.left));
    if (d.shared && d.left) {
        size_t end = (size_t)p->n * g.K * d.Hq * d.stride * sizeof(float);
        size_t zeros = (size_t)d.left * sizeof(float);
        CLCNN_TRY(clcnn_buffer_fill_zero(p->ctx, p->workspace, end, zeros));
    }
    planes in = {p->workspace, 0, g.K, d.Hq, d.stride, d.top, d.top + g.OH, g.H, g.W};
    weights w = {p->params, l->param_offset[0] + taps - 1, {taps, g.R, -g.KW, -1}};
    return direct(p->ctx, p->n, &in, g.C, g.KH, g.KW, &w, p->dx, NULL, 0, 0);
}

/* Reads the first `floats` of buf (all of it when 0) through conv_touch. */
static clcnn_status touch(clcnn_context *ctx, cl_mem buf, size_t floats) {
    if (!buf) return CLCNN_STATUS_OK;
    if (!floats) {
        size_t bytes = 0;
        if (clGetMemObjectInfo(buf, CL_MEM_SIZE, sizeof bytes, &bytes, NULL) != CL_SUCCESS)
            return CLCNN_STATUS_OK; /* nothing to read: the race then times the candidate alone */
        floats = bytes / sizeof(float);
    }
    direct_tile t;
    cl_kernel k;
    CLCNN_TRY(kernel(ctx, "conv_touch", 0, 0, 0, &t, &k));
    cl_ulong n = floats;
    int never = 0;
    clcnn_arg args[] = {CLCNN_ARG(buf), CLCNN_ARG(n), CLCNN_ARG(never)};
    size_t global[1] = {(floats + 4095) / 4096}, local[1] = {1};
    return clcnn_launch(ctx, k, 1, global, local, args, 3);
}

/* The working set the step keeps around this layer's phase: every parameter (the neighbours'
 * weights: the seed's dense 1 holds 4.7 MB), the layer's input and output, and in backward the
 * gradients and the output's and input's gradients. */
static clcnn_status touch_neighbours(const clcnn_layer *l, const clcnn_pass *p, int backward) {
    clcnn_conv_geom g = clcnn_conv_geom_of(l);
    size_t nx = (size_t)p->n * g.C * g.H * g.W, ny = (size_t)p->n * g.K * g.OH * g.OW;
    CLCNN_TRY(touch(p->ctx, p->params, 0));
    CLCNN_TRY(touch(p->ctx, p->x, nx));
    if (!backward) return touch(p->ctx, p->y, ny);
    CLCNN_TRY(touch(p->ctx, p->grads, 0));
    CLCNN_TRY(touch(p->ctx, p->dy, ny));
    return touch(p->ctx, p->dx, nx);
}

/* A candidate timed as the step pays for it: after the neighbours' working set was read (as the
 * layers before left it in cache), the candidate and then that working set read again, so that
 * what the candidate's own traffic evicted costs it (im2col's column matrix: 42 MB for the
 * seed's second layer at batch 32, timed alone within 5% of direct, in the step 1.4x slower for
 * the weight gradient). The seconds include the second read, the same for every candidate. */
static clcnn_status timed_run(clcnn_layer *l, const clcnn_pass *p, clcnn_conv_run run, int alg,
                              int backward, double *seconds) {
    CLCNN_TRY(touch_neighbours(l, p, backward));
    CLCNN_TRY(clcnn_context_finish(p->ctx));
    double t0 = clcnn_now();
    CLCNN_TRY(run(l, p, alg, 0));
    CLCNN_TRY(touch_neighbours(l, p, backward));
    CLCNN_TRY(clcnn_context_finish(p->ctx));
    *seconds = clcnn_now() - t0;
    return CLCNN_STATUS_OK;
}

/* A run before the timed ones: it pays the kernels' builds and first touches. */
static clcnn_status warm_up(clcnn_layer *l, const clcnn_pass *p, clcnn_conv_run run, int alg,
                            int backward) {
    CLCNN_TRY(run(l, p, alg, 0));
    CLCNN_TRY(touch_neighbours(l, p, backward));
    return clcnn_context_finish(p->ctx);
}

/* The race: after a warm-up of each candidate, rounds of one timed run each (alternating, so a
 * change of load hits both); the median of CONV_TIMED_RUNS rounds, or the first round alone
 * when im2col took CONV_DECISIVE times direct's (a layer of many channels: 2-2.8x; the rounds
 * after it only cost a cold search's time: 6 s of a quick search's 18 s of races went to
 * trials whose kernels were all built). Only the default's win ends a race early: one noisy
 * round must not move a layer to im2col. */
#define CONV_TIMED_RUNS 3
#define CONV_DECISIVE 1.5
static clcnn_status race_two(clcnn_layer *l, const clcnn_pass *p, const char *key,
                             clcnn_conv_run run, int backward, double t[2], int *rounds) {
    int ok[2] = {1, 1};
    double s[2][CONV_TIMED_RUNS];
    CLCNN_TRY(warm_up(l, p, run, CLCNN_CONV_IM2COL, backward));
    if (warm_up(l, p, run, CLCNN_CONV_DIRECT, backward) != CLCNN_STATUS_OK) {
        clcnn_log(CLCNN_LOG_WARN, "direct convolution failed on %s (%s); not used", key,
                  clcnn_last_error());
        ok[1] = 0;
    }
    int r = 0;
    while (r < CONV_TIMED_RUNS) {
        for (int c = 0; c < 2; c++)
            if (ok[c]) CLCNN_TRY(timed_run(l, p, run, CLCNN_CONV_IM2COL + c, backward, &s[c][r]));
        r++;
        if (!ok[1] || (r == 1 && s[0][0] >= CONV_DECISIVE * s[1][0])) break;
    }
    for (int c = 0; c < 2; c++)
        t[c] = ok[c] ? clcnn_route_median(s[c], r) : INFINITY;
    *rounds = r;
    return CLCNN_STATUS_OK;
}

/* The algorithm asked for, or the next that fits (Winograd, direct, im2col). */
static int fallback(int want, int fits, int wino) {
    if (want == CLCNN_CONV_WINOGRAD && wino) return CLCNN_CONV_WINOGRAD;
    if (want != CLCNN_CONV_IM2COL && fits) return CLCNN_CONV_DIRECT;
    return CLCNN_CONV_IM2COL;
}

/* CLCNN_CONV (read at open, cl/conv_env.c): 0 for auto, else the algorithm or its fallback. */
static int forced(const clcnn_context *ctx, int fits, int wino) {
    int a = ctx->conv.alg;
    return a ? fallback(CLCNN_CONV_IM2COL + a - 1, fits, wino) : 0;
}

static const char *alg_name(int alg) {
    return alg == CLCNN_CONV_WINOGRAD ? "winograd" : alg == CLCNN_CONV_DIRECT ? "direct" : "im2col";
}

clcnn_status clcnn_conv_choose(clcnn_layer *l, const clcnn_pass *p, const char *key, int wino,
                               int backward, clcnn_conv_run run, int race, int *alg, int *raced) {
    clcnn_conv_geom g = clcnn_conv_geom_of(l);
    int fits = clcnn_conv_direct_fits(&g);
    wino = wino && clcnn_conv_winograd_fits(&g);
    *raced = 0;
    if (l->conv_alg) {
        *alg = fallback(l->conv_alg, fits, wino);
        return CLCNN_STATUS_OK;
    }
    *alg = forced(p->ctx, fits, wino);
    if (*alg) return CLCNN_STATUS_OK;
    *alg = CLCNN_CONV_IM2COL;
    /* A forced GEMM route means im2col; so does a GPU, for which the direct kernels (one long
     * vector loop per work-item) are not shaped. */
    if (!fits || l->route != CLCNN_ROUTE_AUTO || p->ctx->conv.gemm_route != CLCNN_ROUTE_AUTO ||
        !clcnn_is_cpu(p->ctx))
        return CLCNN_STATUS_OK;
    /* Winograd is not a candidate of the race on CPUs: timed alone it won conv 2's forward and
     * data gradient (12.6 against 14.0 ms, 15.8 against 20.5 at batch 32), but in the training
     * step every forced-Winograd run was slower than forced direct on a quiet machine: the seed
     * model at 0.89x (batch 32) and 0.85x (128), the best config at 0.62-0.84x (2026-12-02; its
     * transforms' traffic evicts what the neighbouring layers keep in cache). CLCNN_CONV=winograd
     * still forces it; a cached Winograd choice from an earlier build is raced again. */
    int cached = clcnn_route_lookup(p->ctx, key);
    if (cached == CLCNN_CONV_IM2COL || cached == CLCNN_CONV_DIRECT) {
        *alg = cached;
        return CLCNN_STATUS_OK;
    }
    if (!race) {
        *alg = 0;
        return CLCNN_STATUS_OK;
    }
    /* Candidates in the order of their values (index = alg - CLCNN_CONV_IM2COL). */
    double t[2], t0 = clcnn_now();
    int n = 2, rounds;
    CLCNN_TRY(race_two(l, p, key, run, backward, t, &rounds));
    *raced = 1;
    /* Direct is the default, im2col must win by the route rule: a phase timed alone does not see
     * what im2col's column matrix (R x batch x spatial floats: 45 MB for the seed's second layer
     * at batch 32) costs the layers around it by passing through their caches. Seed model, batch
     * 32: isolated timings within 5% either way, but the step 10% faster with direct dw and dx. */
    *alg = CLCNN_CONV_IM2COL + clcnn_route_pick(t, n, 1);
    clcnn_log(CLCNN_LOG_DEBUG,
              "conv %s: im2col %.3f ms direct %.3f ms (each with the neighbours' reads; %s) -> %s; "
              "the race took %.0f ms",
              key, t[0] * 1e3, t[1] * 1e3, rounds == 1 ? "one round" : "median of 3 rounds",
              alg_name(*alg), (clcnn_now() - t0) * 1e3);
    return clcnn_route_store(p->ctx, key, *alg);
}

int clcnn_conv_direct_builds(const clcnn_context *ctx, const clcnn_conv_geom *g, char opts[3][128]) {
    if (!clcnn_conv_direct_fits(g)) return 0;
    direct_tile t = tile_for(ctx);
    int n = 0;
    options_for(&t, 0, 0, 0, opts[n++], sizeof opts[0]); /* conv_pad */
    if (g->C * g->KH * g->KW <= SMALL_TAPS && g->KH <= 5 && g->KW <= 5)
        options_for(&t, g->C, g->KH, g->KW, opts[n++], sizeof opts[0]);
    options_for(&t, 0, g->KH, g->KW, opts[n], sizeof opts[0]); /* conv_direct (data gradient) */
    if (strcmp(opts[n], opts[0]) != 0) n++;
    return n;
}
