/* nn/conv2d.c: Conv2D as im2col + a matrix product (cl/gemm.h picks our kernels or CLBlast),
 * over the whole batch or in chunks of images that fit the device, or, per phase where measured
 * faster, by the direct kernels of nn/conv2d_direct.c or Winograd's (nn/conv2d_winograd.c).
 * Weights [filters][channels][kh][kw] (PyTorch's layout), bias [filters]; ReLU fused. */
#include <stdlib.h>
#include <string.h>

#include "cl/kparams.h"
#include "conv2d.h"

typedef clcnn_conv_geom conv_geom;

static conv_geom geom(const clcnn_layer *l) {
    conv_geom g;
    g.C = l->in.c, g.H = l->in.h, g.W = l->in.w, g.K = l->out.c;
    g.KH = l->spec.kernel_size[0], g.KW = l->spec.kernel_size[1];
    g.SH = l->spec.strides[0] ? l->spec.strides[0] : 1;
    g.SW = l->spec.strides[1] ? l->spec.strides[1] : 1;
    g.OH = l->out.h, g.OW = l->out.w;
    clcnn_window(g.H, g.KH, g.SH, l->spec.padding, &g.OH, &g.PT);
    clcnn_window(g.W, g.KW, g.SW, l->spec.padding, &g.OW, &g.PL);
    g.P = g.OH * g.OW;
    g.ldp = (int)clcnn_round_up((size_t)g.P, 32);
    g.R = g.C * g.KH * g.KW;
    return g;
}

clcnn_conv_geom clcnn_conv_geom_of(const clcnn_layer *l) { return geom(l); }

static clcnn_status infer(clcnn_layer *l) {
    const clcnn_layer_spec *s = &l->spec;
    if (s->filters <= 0) return clcnn_layer_fail(l, CLCNN_STATUS_BAD_SHAPE, "filters must be positive");
    if (s->kernel_size[0] <= 0 || s->kernel_size[1] <= 0 || s->strides[0] < 0 || s->strides[1] < 0)
        return clcnn_layer_fail(l, CLCNN_STATUS_BAD_SHAPE, "kernel size and strides must be positive");
    int sh = s->strides[0] ? s->strides[0] : 1, sw = s->strides[1] ? s->strides[1] : 1;
    int oh, ow, pt, pl;
    if (!clcnn_window(l->in.h, s->kernel_size[0], sh, s->padding, &oh, &pt) ||
        !clcnn_window(l->in.w, s->kernel_size[1], sw, s->padding, &ow, &pl))
        return clcnn_layer_fail(l, CLCNN_STATUS_BAD_SHAPE,
                                "a %dx%d kernel does not fit a %dx%d input with 'valid' padding "
                                "(output n-f+1 <= 0); use a smaller kernel or padding: same",
                                s->kernel_size[0], s->kernel_size[1], l->in.h, l->in.w);
    l->out = (clcnn_shape){s->filters, oh, ow};
    int64_t wshape[4] = {s->filters, l->in.c, s->kernel_size[0], s->kernel_size[1]};
    size_t rf = (size_t)s->kernel_size[0] * s->kernel_size[1];
    clcnn_layer_add_param(l, "weight", 4, wshape, l->in.c * rf, s->filters * rf);
    if (s->use_bias) clcnn_layer_add_param(l, "bias", 1, &wshape[0], 0, 0);
    conv_geom g = geom(l);
    l->workspace = clcnn_conv_workspace(&g);
    return CLCNN_STATUS_OK;
}

/* ---- batch chunks ------------------------------------------------------------------------------
 * The im2col columns of a whole batch take R x ldp floats per image, which at large batches or
 * images can exceed the device's largest allocation or its memory. Such a layer makes them for a
 * chunk of images at a time (l->chunk): its workspace holds one chunk's columns, then the K x R
 * partial weight gradient of a chunk after the first, added to the first's in chunk order. Forward
 * and the data gradient compute every output element as the whole batch would, so they give the
 * same bits; the weight gradient sums per chunk, so it differs within float rounding. A chunked
 * layer always runs im2col (the direct kernels keep whole-batch buffers of their own). */

/* The share of the device's global memory that one layer's workspace may take: the rest holds
 * the activations, gradients, parameters, the data set and the other layers' workspaces. */
#define CONV_MEMORY_SHARE 8

static size_t cols_floats(const conv_geom *g, int images) {
    return (size_t)images * g->R * g->ldp;
}

/* The chunks of a batch of n images in order, each [first, first + count); one chunk, the
 * whole batch, when the layer is not chunked:
 *     for (chunk_iter c = chunks_of(l, n); next_chunk(&c);) ... c.first, c.count */
typedef struct chunk_iter {
    int per, first, count, n;
} chunk_iter;

static chunk_iter chunks_of(const clcnn_layer *l, int n) {
    chunk_iter c = {l->chunk && l->chunk < n ? l->chunk : n, 0, 0, n};
    return c;
}

static int next_chunk(chunk_iter *c) {
    c->first += c->count;
    c->count = c->n - c->first < c->per ? c->n - c->first : c->per;
    return c->count > 0;
}

/* Winograd runs only where it is forced (l->conv_alg, CLCNN_CONV=winograd: clcnn_conv_choose
 * does not race it), so only then does the workspace hold its transform domain. It may overlap
 * region X (the padded input): Winograd's forward comes before the weight gradient makes that,
 * its data gradient after the weight gradient used it. */
static int winograd_may_run(const clcnn_layer *l, const clcnn_context *ctx) {
    return l->conv_alg == CLCNN_CONV_WINOGRAD ||
           (!l->conv_alg && ctx->conv.alg == CLCNN_CONV_WINOGRAD - CLCNN_CONV_IM2COL + 1);
}

size_t clcnn_layer_workspace(const clcnn_layer *l, const clcnn_context *ctx, int batch) {
    size_t floats = (size_t)batch * l->workspace;
    if (l->type != &clcnn_layer_conv2d) return floats;
    conv_geom g = geom(l);
    if (l->chunk) return cols_floats(&g, l->chunk) + (size_t)g.K * g.R;
    size_t wino = winograd_may_run(l, ctx) ? (size_t)batch * clcnn_conv_winograd_workspace(&g) : 0;
    return wino > floats ? wino : floats;
}

clcnn_status clcnn_conv_plan(clcnn_layer *l, const clcnn_context *ctx, int max_batch) {
    l->chunk = 0;
    if (l->type != &clcnn_layer_conv2d) return CLCNN_STATUS_OK;
    conv_geom g = geom(l);
    const clcnn_device_info *d = &ctx->info;
    size_t limit = d->max_alloc > CLCNN_BUFFER_SLACK ? d->max_alloc - CLCNN_BUFFER_SLACK : 0;
    char which[64] = "its largest allocation less the buffer slack";
    if (d->global_memory / CONV_MEMORY_SHARE < limit) {
        limit = d->global_memory / CONV_MEMORY_SHARE;
        snprintf(which, sizeof which, "1/%d of its memory", CONV_MEMORY_SHARE);
    }
    int forced = ctx->conv.chunk_images; /* CLCNN_CONV_CHUNK, read at open */
    size_t whole = clcnn_layer_workspace(l, ctx, max_batch) * sizeof(float);
    if ((!forced || forced >= max_batch) && whole <= limit) return CLCNN_STATUS_OK;
    size_t image = cols_floats(&g, 1) * sizeof(float), partial = (size_t)g.K * g.R * sizeof(float);
    if (image + partial > limit)
        return clcnn_layer_fail(l, CLCNN_STATUS_OUT_OF_MEMORY,
                                "the im2col columns of one image (%zu bytes: %d x %d floats) and "
                                "a partial weight gradient (%zu bytes) exceed the workspace budget "
                                "on device '%s': %zu bytes, %s; use a smaller image or layer",
                                image, g.R, g.ldp, partial, d->name, limit, which);
    size_t fit = (limit - partial) / image;
    int chunk = fit < (size_t)max_batch ? (int)fit : max_batch;
    if (forced && forced < chunk) chunk = forced;
    l->chunk = chunk;
    clcnn_log(CLCNN_LOG_INFO,
              "layer %d (%s): im2col in chunks of %d of %d images, workspace %zu bytes (the "
              "whole batch's %zu; budget %zu bytes, %s%s)",
              l->index, l->spec.name, chunk, max_batch, clcnn_layer_workspace(l, ctx, max_batch) *
              sizeof(float), whole, limit, which, forced ? "; CLCNN_CONV_CHUNK" : "");
    return CLCNN_STATUS_OK;
}

/* im2col or col2im of images [first, first + count): per plane with local size 1 (CPUs), or per
 * element (GPUs). The columns start the workspace whatever the chunk. */
static clcnn_status transform(const clcnn_layer *l, const clcnn_pass *p, int to_col, int first,
                              int count) {
    conv_geom g = geom(l);
    cl_kernel k;
    int items = clcnn_conv_items(p->ctx);
    const char *name = to_col ? (items ? "im2col_items" : "im2col")
                              : (items ? "col2im_items" : "col2im");
    CLCNN_TRY(clcnn_kernel_get(p->ctx, "conv.cl", name, &k));
    cl_mem a = to_col ? p->x : p->workspace, b = to_col ? p->workspace : p->dx;
    clcnn_arg args[] = {CLCNN_ARG(a),    CLCNN_ARG(b),    CLCNN_ARG(g.C),  CLCNN_ARG(g.H),
                        CLCNN_ARG(g.W),  CLCNN_ARG(g.KH), CLCNN_ARG(g.KW), CLCNN_ARG(g.SH),
                        CLCNN_ARG(g.SW), CLCNN_ARG(g.PT), CLCNN_ARG(g.PL), CLCNN_ARG(g.OH),
                        CLCNN_ARG(g.OW), CLCNN_ARG(g.ldp), CLCNN_ARG(first)};
    int n_args = (int)(sizeof args / sizeof args[0]);
    if (items) {
        size_t global[3] = {to_col ? (size_t)g.ldp : (size_t)g.W, to_col ? (size_t)g.R : (size_t)g.H,
                            to_col ? (size_t)count : (size_t)count * g.C};
        return clcnn_launch(p->ctx, k, 3, global, NULL, args, n_args);
    }
    size_t global[2] = {(size_t)g.C, (size_t)count}, local[2] = {1, 1};
    return clcnn_launch(p->ctx, k, 2, global, local, args, n_args);
}

/* Route keys name the layer's geometry, not the batch size. */
static void route_key(const clcnn_layer *l, const char *phase, char *key, size_t n) {
    conv_geom g = geom(l);
    snprintf(key, n, "conv-%s-%dx%dx%d-k%dx%dx%d-s%dx%d-p%dx%d-b%dr%d", phase, g.C, g.H, g.W, g.K,
             g.KH, g.KW, g.SH, g.SW, g.PT, g.PL, l->spec.use_bias, l->relu);
}

/* ---- the three products ------------------------------------------------------------------------
 * Forward y = W col, the weight gradient dW = sum_n dy_n col_n^T and the data gradient
 * col = W^T dy differ only in their kind, their dimensions and which of three operands plays A,
 * B and C: the weights, the columns (the workspace) and the images' side (y or dy) of the chunk. */
enum { PHASE_FWD, PHASE_DW, PHASE_DX };

typedef struct operand {
    cl_mem buf;
    size_t off, batch;
    int ld;
} operand;

#define PUT(op, X, x, o) \
    ((op).X = (o).buf, (op).x##_off = (o).off, (op).x##_batch = (o).batch, (op).ld##x = (o).ld)

/* The product of a phase over images [first, first + count); key (96 chars) gets its route key. */
static clcnn_gemm_op product(const clcnn_layer *l, const clcnn_pass *p, int phase, int first,
                             int count, char *key) {
    static const char *const names[] = {"fwd", "dw", "dx"};
    conv_geom g = geom(l);
    route_key(l, names[phase], key, 96);
    operand w = {phase == PHASE_DW ? p->grads : p->params, l->param_offset[0], 0, g.R};
    operand col = {p->workspace, 0, (size_t)g.R * g.ldp, g.ldp};
    size_t img_size = (size_t)g.K * g.P;
    operand img = {phase == PHASE_FWD ? p->y : p->dy, (size_t)first * img_size, img_size, g.P};
    clcnn_gemm_op op = {.batch = count, .route_key = key};
    if (phase == PHASE_FWD) {
        op.kind = CLCNN_GEMM_NN, op.M = g.K, op.N = g.P, op.K = g.R;
        PUT(op, A, a, w), PUT(op, B, b, col), PUT(op, C, c, img);
        op.relu = l->relu;
        if (l->spec.use_bias) op.bias = p->params, op.bias_off = l->param_offset[1], op.bias_mode = 1;
    } else if (phase == PHASE_DW) {
        op.kind = CLCNN_GEMM_NT_SUM, op.M = g.K, op.N = g.R, op.K = g.P;
        PUT(op, A, a, img), PUT(op, B, b, col), PUT(op, C, c, w);
    } else {
        op.kind = CLCNN_GEMM_TN, op.M = g.R, op.N = g.P, op.K = g.K;
        PUT(op, A, a, w), PUT(op, B, b, img), PUT(op, C, c, col);
    }
    return op;
}

static clcnn_status forward_im2col(const clcnn_layer *l, const clcnn_pass *p) {
    char key[96];
    for (chunk_iter c = chunks_of(l, p->n); next_chunk(&c);) {
        CLCNN_TRY(transform(l, p, 1, c.first, c.count));
        clcnn_gemm_op op = product(l, p, PHASE_FWD, c.first, c.count, key);
        CLCNN_TRY(clcnn_gemm(p->ctx, &op, l->route, NULL));
    }
    return CLCNN_STATUS_OK;
}

/* dW[off + e] += the partial sum after the chunk's columns in the workspace. */
static clcnn_status accumulate(const clcnn_pass *p, size_t off, size_t partial, size_t count) {
    cl_kernel k;
    CLCNN_TRY(clcnn_kernel_get(p->ctx, "conv.cl", "conv_accumulate", &k));
    cl_ulong dst_off = off, src_off = partial, n = count;
    clcnn_arg args[] = {CLCNN_ARG(p->grads), CLCNN_ARG(dst_off), CLCNN_ARG(p->workspace),
                        CLCNN_ARG(src_off), CLCNN_ARG(n)};
    size_t global[1] = {count};
    return clcnn_launch(p->ctx, k, 1, global, NULL, args, 5);
}

/* The weight gradient by im2col; have_cols: the workspace still holds forward's columns of the
 * whole batch. Chunks after the first write their sum after the columns and add it to dW. */
static clcnn_status filter_im2col(const clcnn_layer *l, const clcnn_pass *p, int have_cols) {
    conv_geom g = geom(l);
    char key[96];
    for (chunk_iter c = chunks_of(l, p->n); next_chunk(&c);) {
        size_t partial = cols_floats(&g, c.per);
        if (!have_cols || c.per < p->n) CLCNN_TRY(transform(l, p, 1, c.first, c.count));
        clcnn_gemm_op op = product(l, p, PHASE_DW, c.first, c.count, key);
        if (c.first) op.C = p->workspace, op.c_off = partial;
        CLCNN_TRY(clcnn_gemm(p->ctx, &op, l->route, NULL));
        if (c.first) CLCNN_TRY(accumulate(p, l->param_offset[0], partial, (size_t)g.K * g.R));
    }
    return CLCNN_STATUS_OK;
}

static clcnn_status data_im2col(const clcnn_layer *l, const clcnn_pass *p) {
    char key[96];
    for (chunk_iter c = chunks_of(l, p->n); next_chunk(&c);) {
        clcnn_gemm_op op = product(l, p, PHASE_DX, c.first, c.count, key);
        CLCNN_TRY(clcnn_gemm(p->ctx, &op, l->route, NULL));
        CLCNN_TRY(transform(l, p, 0, c.first, c.count));
    }
    return CLCNN_STATUS_OK;
}

/* ---- the algorithm per phase -------------------------------------------------------------------- */

static clcnn_status forward_run(clcnn_layer *l, const clcnn_pass *p, int alg, int again) {
    (void)again;
    if (alg == CLCNN_CONV_DIRECT) return clcnn_conv_direct_forward(l, p);
    if (alg == CLCNN_CONV_WINOGRAD) return clcnn_conv_winograd_forward(l, p);
    return forward_im2col(l, p);
}

/* The version of the algorithm keys: bumped when a candidate's kernels change, so that the picks
 * a cache holds from older kernels are measured again (v2: conv_dw's filter-minor tile,
 * conv_small's 4 x 2 tile and the race with the neighbours' reads; v3: conv_small's work-items
 * over whole planes, 2.6x faster, which im2col had beaten). */
#define CONV_ALG_VERSION "v3-"

/* The algorithm of a phase, measured once per geometry (conv2d.h) under the route key
 * "alg-v3-conv-afwd|adw|adx-<geometry>", and kept in the layer for its batch size, so that a step
 * neither builds keys nor searches the route table; a chunked layer runs im2col. Winograd is a
 * candidate for forward and the data gradient. */
static clcnn_status algorithm(clcnn_layer *l, const clcnn_pass *p, int phase, clcnn_conv_run run,
                              int race, int *alg, int *raced) {
    static const char *const names[] = {"afwd", "adw", "adx"};
    *raced = 0;
    if (l->chunk) {
        *alg = CLCNN_CONV_IM2COL;
        return CLCNN_STATUS_OK;
    }
    if (l->conv_chosen_n != p->n) {
        memset(l->conv_chosen, 0, sizeof l->conv_chosen);
        l->conv_chosen_n = p->n;
    }
    if (l->conv_chosen[phase]) {
        *alg = l->conv_chosen[phase];
        return CLCNN_STATUS_OK;
    }
    char key[96] = CLCNN_ROUTE_ALG_PREFIX CONV_ALG_VERSION;
    size_t prefix = sizeof CLCNN_ROUTE_ALG_PREFIX CONV_ALG_VERSION - 1;
    route_key(l, names[phase], key + prefix, sizeof key - prefix);
    CLCNN_TRY(clcnn_conv_choose(l, p, key, phase != PHASE_DW, phase != PHASE_FWD, run, race, alg,
                                raced));
    l->conv_chosen[phase] = *alg;
    return CLCNN_STATUS_OK;
}

static clcnn_status forward(clcnn_layer *l, const clcnn_pass *p) {
    int alg, raced;
    CLCNN_TRY(algorithm(l, p, PHASE_FWD, forward_run, 1, &alg, &raced));
    return forward_run(l, p, alg, raced);
}

/* The weight gradient. im2col's needs forward's columns in the workspace: made again when
 * forward ran direct or another candidate overwrote them (again). */
static clcnn_status filter_run(clcnn_layer *l, const clcnn_pass *p, int alg, int again) {
    int fwd, raced;
    CLCNN_TRY(algorithm(l, p, PHASE_FWD, forward_run, 1, &fwd, &raced));
    if (alg == CLCNN_CONV_DIRECT) return clcnn_conv_direct_filter(l, p, fwd == CLCNN_CONV_DIRECT);
    return filter_im2col(l, p, fwd == CLCNN_CONV_IM2COL && !again && !raced);
}

static clcnn_status data_run(clcnn_layer *l, const clcnn_pass *p, int alg, int again) {
    (void)again;
    if (alg == CLCNN_CONV_DIRECT) return clcnn_conv_direct_data(l, p);
    if (alg == CLCNN_CONV_WINOGRAD) return clcnn_conv_winograd_data(l, p);
    return data_im2col(l, p);
}

/* dy masked by the fused ReLU, and the bias gradient. */
static clcnn_status output_grad(const clcnn_layer *l, const clcnn_pass *p) {
    conv_geom g = geom(l);
    return clcnn_nn_output_grad(p->ctx, l->relu ? p->y : NULL, p->dy, p->n, g.K, g.P,
                                l->spec.use_bias ? p->grads : NULL, l->param_offset[1]);
}

/* The weight gradient's candidates for a layer of few taps: direct (conv_small_dw) masks dy and
 * sums the bias inside its pass over dy, so im2col's time includes that pass too (run again on
 * the masked dy, it gives the same values). */
static clcnn_status filter_run_small(clcnn_layer *l, const clcnn_pass *p, int alg, int again) {
    if (alg == CLCNN_CONV_IM2COL) CLCNN_TRY(output_grad(l, p));
    return filter_run(l, p, alg, again);
}

static clcnn_status backward(clcnn_layer *l, const clcnn_pass *p) {
    conv_geom g = geom(l);
    /* The weight gradient's algorithm when known without a race: direct with few taps
     * (conv_small_dw) applies the ReLU mask and sums the bias itself, in its pass over dy. A
     * race runs after the mask (the candidates read the masked dy). */
    int alg, raced, small = clcnn_conv_small_fits(&g);
    clcnn_conv_run dw_run = small ? filter_run_small : filter_run;
    CLCNN_TRY(algorithm(l, p, PHASE_DW, dw_run, 0, &alg, &raced));
    if (alg != CLCNN_CONV_DIRECT || !small) CLCNN_TRY(output_grad(l, p));
    /* dW first: it reads what forward left in the workspace, which dx then overwrites. */
    if (!alg) CLCNN_TRY(algorithm(l, p, PHASE_DW, dw_run, 1, &alg, &raced));
    /* After a race the bias gradient is the last candidate's (conv_small_dw's sum): dw_run gives
     * it the chosen algorithm's sum again, as a run that reads the choice from the cache has. */
    CLCNN_TRY((raced ? dw_run : filter_run)(l, p, alg, raced));
    if (!p->dx) return CLCNN_STATUS_OK;
    CLCNN_TRY(algorithm(l, p, PHASE_DX, data_run, 1, &alg, &raced));
    return data_run(l, p, alg, raced);
}

static double flops(const clcnn_layer *l, int phase) {
    conv_geom g = geom(l);
    double f = 2.0 * g.K * g.P * (double)g.R;
    return phase == 0 ? f : 2 * f;
}

CLCNN_LAYER_TYPE(conv2d, infer, forward, backward, flops, 0);
