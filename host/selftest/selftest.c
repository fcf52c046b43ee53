/* selftest/selftest.c: `clcnn selftest`'s cases. Each sets one layer up as nn/model.c does, runs
 * its forward (training) and backward passes on the device through the nn.h interface, and
 * compares every output with the double reference of host/ref/; the loss, dropout's mask and
 * the optimizers' updates likewise, and the kernel variants the device class does not use by
 * default (the other reduction shape and im2col layout, conv2d in batch chunks) as well as its
 * own; the augmentation kernels in selftest/selftest_augment.c. Shapes are small and odd (no
 * multiple of any tile or vector width) so the check takes seconds even on PoCL. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl/kparams.h"
#include "clcnn/selftest.h"
#include "nn/conv2d.h"
#include "ref/ref.h"
#include "selftest/selftest.h"

typedef struct selftest {
    clcnn_context *ctx;
    clcnn_selftest_report report;
    void *user;
    int failures;
    char suffix[32]; /* appended to the variant: a kernel variant not the device's default */
    int chunk;       /* conv2d: images per im2col chunk (l->chunk), or 0 */
} selftest;

/* One layer run: host inputs (float, as sent, and the same values in double), device buffers,
 * and the outputs read back. */
typedef struct layer_run {
    clcnn_layer l;
    int n;
    size_t nx, ny, n_arena;
    float *x, *params, *dy, *y, *dx, *grads;
    double *xd, *pd, *dyd;
    cl_mem bx, by, bdx, bdy, bparams, bgrads, bwork;
    double seconds;
} layer_run;

/* Values in [-1, 1] from a fixed LCG: the same on every machine. */
static void fill(float *f, double *d, size_t n, unsigned seed) {
    unsigned s = seed * 2654435761u + 12345u;
    for (size_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        f[i] = (float)((s >> 8) / 8388608.0 - 1.0);
        d[i] = f[i];
    }
}

static size_t param_count(const clcnn_layer *l, int p) {
    size_t c = 1;
    for (int d = 0; d < l->param_ndim[p]; d++) c *= (size_t)l->param_shape[p][d];
    return c;
}

static void run_free(layer_run *r) {
    cl_mem all[] = {r->bx, r->by, r->bdx, r->bdy, r->bparams, r->bgrads, r->bwork};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (all[i]) clReleaseMemObject(all[i]);
    void *host[] = {r->x, r->params, r->dy, r->y, r->dx, r->grads, r->xd, r->pd, r->dyd};
    for (size_t i = 0; i < sizeof host / sizeof host[0]; i++) free(host[i]);
    memset(r, 0, sizeof *r);
}

static clcnn_status make_layer(clcnn_layer *l, const clcnn_layer_spec *spec, clcnn_shape in,
                               clcnn_route route) {
    memset(l, 0, sizeof *l);
    l->spec = *spec;
    snprintf(l->spec.name, sizeof l->spec.name, "%s_selftest", spec->type);
    l->type = clcnn_layer_type_find(spec->type);
    if (!l->type) return clcnn_fail(CLCNN_STATUS_NOT_FOUND, "selftest: no layer type '%s'", spec->type);
    l->in = in;
    l->route = route;
    CLCNN_TRY(l->type->infer(l));
    /* Tensors at odd offsets with gaps, as other layers' tensors would surround them. */
    size_t offset = 3;
    for (int p = 0; p < l->n_params; p++) {
        l->param_offset[p] = offset;
        offset += param_count(l, p) + 5;
    }
    return CLCNN_STATUS_OK;
}

static clcnn_status alloc_all(clcnn_context *ctx, layer_run *r) {
    size_t nf[] = {r->nx, r->ny, r->nx, r->ny, r->n_arena, r->n_arena, clcnn_layer_workspace(&r->l, ctx, r->n)};
    cl_mem *b[] = {&r->bx, &r->by, &r->bdx, &r->bdy, &r->bparams, &r->bgrads, &r->bwork};
    for (size_t i = 0; i < sizeof nf / sizeof nf[0]; i++) {
        size_t bytes = (nf[i] ? nf[i] : 1) * sizeof(float);
        CLCNN_TRY(clcnn_buffer_create(ctx, bytes, b[i]));
        CLCNN_TRY(clcnn_buffer_fill_zero(ctx, *b[i], 0, bytes));
    }
    r->x = malloc(r->nx * sizeof(float)), r->xd = malloc(r->nx * sizeof(double));
    r->dy = malloc(r->ny * sizeof(float)), r->dyd = malloc(r->ny * sizeof(double));
    r->params = malloc((r->n_arena + 1) * sizeof(float));
    r->pd = malloc((r->n_arena + 1) * sizeof(double));
    r->y = malloc(r->ny * sizeof(float)), r->dx = malloc(r->nx * sizeof(float));
    r->grads = malloc((r->n_arena + 1) * sizeof(float));
    if (!r->x || !r->xd || !r->dy || !r->dyd || !r->params || !r->pd || !r->y || !r->dx || !r->grads)
        return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "selftest: out of memory");
    return CLCNN_STATUS_OK;
}

static clcnn_status passes(clcnn_context *ctx, layer_run *r) {
    clcnn_pass p = {.ctx = ctx, .n = r->n, .x = r->bx, .y = r->by, .dx = r->bdx, .dy = r->bdy,
                    .params = r->bparams, .grads = r->bgrads, .workspace = r->bwork,
                    .training = 1, .seed = 7};
    CLCNN_TRY(clcnn_buffer_write(ctx, r->bparams, 0, r->n_arena * sizeof(float), r->params));
    CLCNN_TRY(r->l.type->forward(&r->l, &p));
    CLCNN_TRY(clcnn_buffer_write(ctx, r->bdy, 0, r->ny * sizeof(float), r->dy));
    CLCNN_TRY(r->l.type->backward(&r->l, &p));
    return clcnn_context_finish(ctx);
}

/* Sets the layer up, fills its input, parameters and dy, and runs forward and backward twice
 * (the first pays the kernel builds and route choices; the second is timed); then reads y, dx
 * and the gradients back. conv_alg: a convolution's forced algorithm (CLCNN_CONV_*), or 0;
 * chunk: its images per im2col chunk, or 0. */
static clcnn_status layer_run_make_alg(clcnn_context *ctx, const clcnn_layer_spec *spec,
                                       clcnn_shape in, clcnn_route route, int conv_alg, int chunk,
                                       int n, layer_run *r) {
    memset(r, 0, sizeof *r);
    CLCNN_TRY(make_layer(&r->l, spec, in, route));
    r->l.conv_alg = conv_alg;
    r->l.chunk = chunk;
    r->n = n;
    r->nx = (size_t)n * clcnn_shape_size(r->l.in);
    r->ny = (size_t)n * clcnn_shape_size(r->l.out);
    r->n_arena = r->l.n_params ? r->l.param_offset[r->l.n_params - 1] +
                                     param_count(&r->l, r->l.n_params - 1) + 5
                               : 1;
    CLCNN_TRY(alloc_all(ctx, r));
    fill(r->x, r->xd, r->nx, 1);
    fill(r->dy, r->dyd, r->ny, 2);
    fill(r->params, r->pd, r->n_arena, 3);
    CLCNN_TRY(clcnn_buffer_write(ctx, r->bx, 0, r->nx * sizeof(float), r->x));
    CLCNN_TRY(passes(ctx, r));
    double t0 = clcnn_now();
    CLCNN_TRY(passes(ctx, r));
    r->seconds = clcnn_now() - t0;
    CLCNN_TRY(clcnn_buffer_read(ctx, r->by, 0, r->ny * sizeof(float), r->y));
    CLCNN_TRY(clcnn_buffer_read(ctx, r->bdx, 0, r->nx * sizeof(float), r->dx));
    return clcnn_buffer_read(ctx, r->bgrads, 0, r->n_arena * sizeof(float), r->grads);
}

static clcnn_status layer_run_make(clcnn_context *ctx, const clcnn_layer_spec *spec,
                                   clcnn_shape in, clcnn_route route, int n, layer_run *r) {
    return layer_run_make_alg(ctx, spec, in, route, 0, 0, n, r);
}

static void check(void *self, const char *kernel, const char *variant, const float *got,
                  const double *want, size_t n, double rtol, double atol, double seconds) {
    selftest *st = self;
    clcnn_selftest_row row = {.rtol = rtol, .atol = atol, .pass = 1, .seconds = seconds};
    snprintf(row.kernel, sizeof row.kernel, "%s", kernel);
    snprintf(row.variant, sizeof row.variant, "%s%s", variant, st->suffix);
    for (size_t i = 0; i < n; i++) {
        double err = fabs((double)got[i] - want[i]);
        double share = err / (atol + rtol * fabs(want[i]));
        /* Written so a NaN fails: comparisons with NaN are false. */
        if (!(err <= atol + rtol * fabs(want[i]))) row.pass = 0;
        if (err > row.max_error || isnan(err)) row.max_error = err;
        if (share > row.worst || isnan(share)) row.worst = share;
    }
    if (!row.pass) st->failures++;
    st->report(&row, st->user);
}

/* A row for each of y, dx and the parameter gradients, against the reference's values. */
typedef struct expected {
    double *y, *dx, *dw, *db;
    double tol_y[2], tol_dx[2], tol_dw[2];
} expected;

static void check_all(selftest *st, const char *layer, const char *variant, const layer_run *r,
                      const expected *e) {
    char k[40];
    snprintf(k, sizeof k, "%s forward y", layer);
    check(st, k, variant, r->y, e->y, r->ny, e->tol_y[0], e->tol_y[1], r->seconds);
    snprintf(k, sizeof k, "%s backward dx", layer);
    check(st, k, variant, r->dx, e->dx, r->nx, e->tol_dx[0], e->tol_dx[1], r->seconds);
    const double *g[2] = {e->dw, e->db};
    const char *names[2] = {"dw", "db"};
    for (int p = 0; p < 2 && p < r->l.n_params; p++) {
        if (!g[p]) continue;
        snprintf(k, sizeof k, "%s backward %s", layer, names[p]);
        check(st, k, variant, r->grads + r->l.param_offset[p], g[p], param_count(&r->l, p),
              e->tol_dw[0], e->tol_dw[1], r->seconds);
    }
}

static void expected_free(expected *e) {
    free(e->y), free(e->dx), free(e->dw), free(e->db);
}

static clcnn_status expected_alloc(const layer_run *r, int params, expected *e) {
    e->y = malloc(r->ny * sizeof(double));
    e->dx = malloc(r->nx * sizeof(double));
    e->dw = params > 0 ? malloc(param_count(&r->l, 0) * sizeof(double)) : NULL;
    e->db = params > 1 ? malloc(param_count(&r->l, 1) * sizeof(double)) : NULL;
    if (!e->y || !e->dx || (params > 0 && !e->dw) || (params > 1 && !e->db))
        return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "selftest: out of memory");
    return CLCNN_STATUS_OK;
}

/* ---- the cases ------------------------------------------------------------------------------ */

typedef struct conv_case {
    int n, c, h, w, filters, kh, kw, s, same;
} conv_case;

static const conv_case conv_cases[] = {
    {3, 3, 9, 11, 5, 3, 3, 1, 0},
    {2, 4, 10, 7, 6, 3, 2, 2, 1},
    {2, 1, 8, 8, 3, 5, 5, 1, 1},
    {2, 1, 9, 13, 6, 3, 3, 1, 0}, /* direct: conv_small forward (1 channel x 3x3) */
    {2, 3, 7, 10, 1, 3, 3, 1, 1}, /* direct: conv_small data gradient (1 filter x 3x3) */
};

/* direct: the direct kernels (nn/conv2d_direct.c) run every phase that fits them. */
static clcnn_status conv_case_run(selftest *st, const conv_case *cc, clcnn_route route,
                                  int direct) {
    clcnn_layer_spec spec;
    clcnn_layer_spec_default(&spec, "conv2d");
    spec.filters = cc->filters;
    spec.kernel_size[0] = cc->kh, spec.kernel_size[1] = cc->kw;
    spec.strides[0] = spec.strides[1] = cc->s;
    spec.padding = cc->same ? CLCNN_PADDING_SAME : CLCNN_PADDING_VALID;
    layer_run r;
    expected e = {0};
    clcnn_status s = layer_run_make_alg(st->ctx, &spec, (clcnn_shape){cc->c, cc->h, cc->w}, route,
                                        direct ? CLCNN_CONV_DIRECT : 0, st->chunk, cc->n, &r);
    if (s == CLCNN_STATUS_OK) s = expected_alloc(&r, 2, &e);
    if (s == CLCNN_STATUS_OK) {
        ref_window g = {cc->n, cc->c, cc->h, cc->w, cc->filters, cc->kh, cc->kw, cc->s, cc->s, 0, 0, 0, 0};
        ref_window_resolve(&g, cc->same);
        const double *wt = r.pd + r.l.param_offset[0], *bias = r.pd + r.l.param_offset[1];
        ref_conv2d_forward(&g, r.xd, wt, bias, e.y);
        ref_conv2d_backward_data(&g, r.dyd, wt, e.dx);
        ref_conv2d_backward_filter(&g, r.xd, r.dyd, e.dw, e.db);
        /* Each value is a sum of K products of values in [-1, 1]. */
        double k_fwd = cc->c * cc->kh * cc->kw, k_dx = cc->filters * cc->kh * cc->kw,
               k_dw = (double)cc->n * g.oh * g.ow;
        e.tol_y[0] = 1e-4, e.tol_y[1] = 1e-4 * sqrt(k_fwd);
        e.tol_dx[0] = 1e-4, e.tol_dx[1] = 1e-4 * sqrt(k_dx);
        e.tol_dw[0] = 1e-4, e.tol_dw[1] = 1e-4 * sqrt(k_dw);
        char v[64];
        snprintf(v, sizeof v, "%s %dx%dx%dx%d k%d %dx%d s%d %s",
                 direct ? "direct" : clcnn_route_name(route), cc->n,
                 cc->c, cc->h, cc->w, cc->filters, cc->kh, cc->kw, cc->s,
                 cc->same ? "same" : "valid");
        check_all(st, "conv2d", v, &r, &e);
    }
    expected_free(&e);
    run_free(&r);
    return s;
}

static clcnn_status dense_case_run(selftest *st, int n, int in, int units, clcnn_route route) {
    clcnn_layer_spec spec;
    clcnn_layer_spec_default(&spec, "dense");
    spec.units = units;
    layer_run r;
    expected e = {0};
    clcnn_status s = layer_run_make(st->ctx, &spec, (clcnn_shape){in, 1, 1}, route, n, &r);
    if (s == CLCNN_STATUS_OK) s = expected_alloc(&r, 2, &e);
    if (s == CLCNN_STATUS_OK) {
        const double *wt = r.pd + r.l.param_offset[0], *bias = r.pd + r.l.param_offset[1];
        ref_dense_forward(r.xd, wt, bias, e.y, n, in, units);
        ref_dense_backward(r.xd, wt, r.dyd, e.dx, e.dw, e.db, n, in, units);
        e.tol_y[0] = 1e-4, e.tol_y[1] = 1e-4 * sqrt((double)in);
        e.tol_dx[0] = 1e-4, e.tol_dx[1] = 1e-4 * sqrt((double)units);
        e.tol_dw[0] = 1e-4, e.tol_dw[1] = 1e-4 * sqrt((double)n);
        char v[64];
        snprintf(v, sizeof v, "%s %dx%d -> %d", clcnn_route_name(route), n, in, units);
        check_all(st, "dense", v, &r, &e);
    }
    expected_free(&e);
    run_free(&r);
    return s;
}

static clcnn_status pool_case_run(selftest *st, const char *type, int k, int stride, int same) {
    clcnn_layer_spec spec;
    clcnn_layer_spec_default(&spec, type);
    spec.pool_size[0] = spec.pool_size[1] = k;
    spec.strides[0] = spec.strides[1] = stride;
    spec.padding = same ? CLCNN_PADDING_SAME : CLCNN_PADDING_VALID;
    const int n = 3, c = 5, h = 11, w = 9;
    layer_run r;
    expected e = {0};
    clcnn_status s = layer_run_make(st->ctx, &spec, (clcnn_shape){c, h, w}, CLCNN_ROUTE_AUTO, n, &r);
    if (s == CLCNN_STATUS_OK) s = expected_alloc(&r, 0, &e);
    if (s == CLCNN_STATUS_OK) {
        ref_window g = {n, c, h, w, c, k, k, stride, stride, 0, 0, 0, 0};
        ref_window_resolve(&g, same);
        if (strcmp(type, "max_pooling2d") == 0) {
            ref_maxpool_forward(&g, r.xd, e.y);
            ref_maxpool_backward(&g, r.xd, r.dyd, e.dx);
        } else {
            ref_avgpool_forward(&g, r.xd, e.y);
            ref_avgpool_backward(&g, r.dyd, e.dx);
        }
        e.tol_y[0] = e.tol_dx[0] = 1e-5, e.tol_y[1] = e.tol_dx[1] = 1e-6;
        char v[64];
        snprintf(v, sizeof v, "%dx%dx%dx%d pool %d s%d %s", n, c, h, w, k, stride,
                 same ? "same" : "valid");
        check_all(st, type, v, &r, &e);
    }
    expected_free(&e);
    run_free(&r);
    return s;
}

/* An activation by its code (clcnn/enums.h): its own layer type where it has one (relu, sigmoid,
 * ..., with Keras' default alpha), else the activation layer naming it (linear). */
static clcnn_status act_case_run(selftest *st, int code) {
    const char *name = clcnn_activation_name((clcnn_activation)code);
    const char *type = clcnn_layer_type_find(name) ? name : "activation";
    clcnn_layer_spec spec;
    clcnn_layer_spec_default(&spec, type);
    if (type != name) snprintf(spec.activation, sizeof spec.activation, "%s", name);
    const int n = 3;
    layer_run r;
    expected e = {0};
    clcnn_status s = layer_run_make(st->ctx, &spec, (clcnn_shape){3, 5, 7}, CLCNN_ROUTE_AUTO, n, &r);
    if (s == CLCNN_STATUS_OK) s = expected_alloc(&r, 0, &e);
    if (s == CLCNN_STATUS_OK) {
        ref_act_forward(code, spec.alpha, r.xd, e.y, r.nx);
        ref_act_backward(code, spec.alpha, r.xd, r.dyd, e.dx, r.nx);
        e.tol_y[0] = e.tol_dx[0] = 1e-5, e.tol_y[1] = e.tol_dx[1] = 1e-6;
        check_all(st, name, "3x3x5x7", &r, &e);
    }
    expected_free(&e);
    run_free(&r);
    return s;
}

static clcnn_status batchnorm_case_run(selftest *st, int n, int c, int h, int w) {
    clcnn_layer_spec spec;
    clcnn_layer_spec_default(&spec, "batch_normalization");
    layer_run r;
    expected e = {0};
    clcnn_status s = layer_run_make(st->ctx, &spec, (clcnn_shape){c, h, w}, CLCNN_ROUTE_AUTO, n, &r);
    if (s == CLCNN_STATUS_OK) s = expected_alloc(&r, 2, &e);
    if (s == CLCNN_STATUS_OK) {
        const double *gamma = r.pd + r.l.param_offset[0], *beta = r.pd + r.l.param_offset[1];
        ref_batchnorm_forward_train(r.xd, gamma, beta, n, c, h * w, spec.epsilon, e.y, NULL, NULL);
        ref_batchnorm_backward(r.xd, gamma, r.dyd, n, c, h * w, spec.epsilon, e.dx, e.dw, e.db);
        /* The tolerances of the layer tests: the batch statistics amplify rounding. */
        e.tol_y[0] = 1e-4, e.tol_y[1] = 1e-4;
        e.tol_dx[0] = 1e-3, e.tol_dx[1] = 1e-4;
        e.tol_dw[0] = 1e-4, e.tol_dw[1] = 1e-4;
        char v[64];
        snprintf(v, sizeof v, "training %dx%dx%dx%d", n, c, h, w);
        check_all(st, "batch_normalization", v, &r, &e);
    }
    expected_free(&e);
    run_free(&r);
    return s;
}

static clcnn_status dropout_case_run(selftest *st) {
    clcnn_layer_spec spec;
    clcnn_layer_spec_default(&spec, "dropout");
    spec.rate = 0.3f;
    const int n = 3;
    layer_run r;
    expected e = {0};
    unsigned char *keep = NULL;
    clcnn_status s = layer_run_make(st->ctx, &spec, (clcnn_shape){5, 7, 9}, CLCNN_ROUTE_AUTO, n, &r);
    if (s == CLCNN_STATUS_OK) s = expected_alloc(&r, 0, &e);
    if (s == CLCNN_STATUS_OK && !(keep = malloc(r.nx)))
        s = clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "selftest: out of memory");
    if (s == CLCNN_STATUS_OK) {
        /* The mask from the reference generator, with the key nn/dropout.c derives for layer 0
         * and passes()'s seed: the device's generator is checked too. */
        unsigned long long key = 7ull ^ 0xd1b54a32d192ed03ull;
        for (size_t i = 0; i < r.nx; i++) keep[i] = ref_rand_uniform(key, i) >= (double)spec.rate;
        ref_dropout_forward(r.xd, keep, spec.rate, e.y, r.nx);
        ref_dropout_backward(r.dyd, keep, spec.rate, e.dx, r.nx);
        e.tol_y[0] = e.tol_dx[0] = 1e-6, e.tol_y[1] = e.tol_dx[1] = 1e-7;
        check_all(st, "dropout", "training 3x5x7x9 rate 0.3", &r, &e);
    }
    free(keep);
    expected_free(&e);
    run_free(&r);
    return s;
}

/* ---- softmax cross-entropy (nn/loss.c) in the reduction variant in force ---------------------- */
typedef struct loss_bufs {
    cl_mem z, labels, dz, loss, correct, pred, probs;
} loss_bufs;

static void loss_bufs_free(loss_bufs *b) {
    cl_mem all[] = {b->z, b->labels, b->dz, b->loss, b->correct, b->pred, b->probs};
    for (int i = 0; i < 7; i++)
        if (all[i]) clReleaseMemObject(all[i]);
}

static clcnn_status loss_bufs_make(clcnn_context *ctx, int n, int k, const float *z,
                                   const unsigned char *labels, loss_bufs *b) {
    size_t nk = (size_t)n * k * sizeof(float);
    size_t sizes[7] = {nk, (size_t)n, nk, n * sizeof(float), (size_t)n, (size_t)n, nk};
    cl_mem *out[7] = {&b->z, &b->labels, &b->dz, &b->loss, &b->correct, &b->pred, &b->probs};
    for (int i = 0; i < 7; i++) CLCNN_TRY(clcnn_buffer_create(ctx, sizes[i], out[i]));
    CLCNN_TRY(clcnn_buffer_write(ctx, b->z, 0, nk, z));
    return clcnn_buffer_write(ctx, b->labels, 0, (size_t)n, labels);
}

/* Loss, dlogits and the prediction softmax of n rows of k classes, against the reference. */
static clcnn_status softmax_case_run(selftest *st, int n, int k, const char *variant) {
    size_t nk = (size_t)n * k;
    float *z = malloc(nk * sizeof(float)), *got = malloc(nk * sizeof(float));
    double *zd = malloc(nk * sizeof(double)), *want = malloc(nk * sizeof(double));
    double *loss_want = malloc((size_t)n * sizeof(double));
    unsigned char labels[64];
    int ilabels[64];
    loss_bufs b = {0};
    clcnn_status s = z && got && zd && want && loss_want && n <= 64
                         ? CLCNN_STATUS_OK
                         : clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "selftest: out of memory");
    if (s == CLCNN_STATUS_OK) {
        fill(z, zd, nk, 4);
        for (int i = 0; i < n; i++) labels[i] = (unsigned char)((i * 5 + 2) % k), ilabels[i] = labels[i];
        s = loss_bufs_make(st->ctx, n, k, z, labels, &b);
    }
    clcnn_loss_args a = {b.z, b.labels, b.dz, b.loss, b.correct, b.pred, k, n, 0, 1, 1.0f / (float)n};
    double t0 = 0;
    for (int run = 0; run < 2; run++) { /* the first pays the builds; the second is timed */
        t0 = clcnn_now();
        if (s == CLCNN_STATUS_OK) s = clcnn_nn_softmax_xent(st->ctx, &a);
        if (s == CLCNN_STATUS_OK) s = clcnn_nn_softmax_rows(st->ctx, b.z, b.probs, k, n);
        if (s == CLCNN_STATUS_OK) s = clcnn_context_finish(st->ctx);
    }
    double seconds = clcnn_now() - t0;
    char v[64];
    snprintf(v, sizeof v, "%s %dx%d", variant, n, k);
    if (s == CLCNN_STATUS_OK) s = clcnn_buffer_read(st->ctx, b.loss, 0, n * sizeof(float), got);
    if (s == CLCNN_STATUS_OK) {
        for (int i = 0; i < n; i++)
            loss_want[i] = ref_softmax_xent_forward(zd + (size_t)i * k, &ilabels[i],
                                                    want + (size_t)i * k, 1, k);
        check(st, "softmax_xent loss", v, got, loss_want, (size_t)n, 1e-5, 1e-5, seconds);
        s = clcnn_buffer_read(st->ctx, b.probs, 0, nk * sizeof(float), got);
    }
    if (s == CLCNN_STATUS_OK) {
        check(st, "softmax probs", v, got, want, nk, 1e-5, 1e-7, seconds);
        s = clcnn_buffer_read(st->ctx, b.dz, 0, nk * sizeof(float), got);
    }
    if (s == CLCNN_STATUS_OK) {
        ref_softmax_xent_backward(zd, ilabels, want, n, k);
        check(st, "softmax_xent dlogits", v, got, want, nk, 1e-5, 1e-7, seconds);
    }
    loss_bufs_free(&b);
    free(z), free(got), free(zd), free(want), free(loss_want);
    return s;
}

/* ---- optimizers (nn/optimizers.c): three updates against host/ref/ref_optim.c ---------------- */
typedef struct optim_case {
    clcnn_optimizer id;
    float momentum;
    int nesterov;
    const char *variant;
    float weight_decay; /* Keras' decoupled decay, applied by the update kernel */
} optim_case;

static void ref_update(const optim_case *oc, const clcnn_optimizer_spec *o, double *p,
                       const double *g, double *s0, double *s1, size_t n, int t) {
    for (size_t i = 0; oc->weight_decay > 0 && i < n; i++)
        p[i] *= 1.0 - (double)o->learning_rate * oc->weight_decay;
    if (oc->id == CLCNN_OPTIMIZER_ADAM)
        ref_adam_step(p, g, s0, s1, n, o->learning_rate, o->beta_1, o->beta_2, o->epsilon, t);
    else if (oc->id == CLCNN_OPTIMIZER_SGD)
        ref_sgd_step(p, g, s0, n, o->learning_rate, o->momentum, o->nesterov);
    else
        ref_rmsprop_step(p, g, s0, s1, n, o->learning_rate, o->rho, o->momentum, o->epsilon);
}

static clcnn_status optim_buffers(clcnn_context *ctx, size_t n, cl_mem *bufs, int count) {
    for (int i = 0; i < count; i++) {
        CLCNN_TRY(clcnn_buffer_create(ctx, n * sizeof(float), &bufs[i]));
        CLCNN_TRY(clcnn_buffer_fill_zero(ctx, bufs[i], 0, n * sizeof(float)));
    }
    return CLCNN_STATUS_OK;
}

static clcnn_status optim_case_run(selftest *st, const optim_case *oc) {
    enum { N = 1001, STEPS = 3 };
    clcnn_spec *spec = malloc(sizeof *spec);
    float *p = malloc(N * sizeof(float)), *g = malloc(N * sizeof(float));
    double *pd = malloc(N * sizeof(double)), *gd = malloc(N * sizeof(double));
    double *s0 = calloc(N, sizeof(double)), *s1 = calloc(N, sizeof(double));
    cl_mem bufs[2 + CLCNN_OPTIMIZER_SLOTS] = {NULL}; /* params, grads, state */
    const clcnn_optimizer_type *type = clcnn_optimizer_type_get(oc->id);
    clcnn_status s = spec && p && g && pd && gd && s0 && s1 && type
                         ? CLCNN_STATUS_OK
                         : clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "selftest: out of memory");
    clcnn_optimizer_spec o = {0};
    if (s == CLCNN_STATUS_OK) {
        clcnn_spec_default(spec);
        o = spec->train.optimizer;
        o.learning_rate = 0.01f, o.momentum = oc->momentum, o.nesterov = oc->nesterov;
        o.weight_decay = oc->weight_decay;
        fill(p, pd, N, 5);
        s = optim_buffers(st->ctx, N, bufs, 2 + CLCNN_OPTIMIZER_SLOTS);
    }
    if (s == CLCNN_STATUS_OK) s = clcnn_buffer_write(st->ctx, bufs[0], 0, N * sizeof(float), p);
    double t0 = clcnn_now();
    for (int t = 1; t <= STEPS && s == CLCNN_STATUS_OK; t++) {
        fill(g, gd, N, 10u + (unsigned)t); /* a new gradient each step */
        s = clcnn_buffer_write(st->ctx, bufs[1], 0, N * sizeof(float), g);
        clcnn_optimizer_pass pass = {st->ctx, N, bufs[0], bufs[1], {bufs[2], bufs[3]},
                                     o.learning_rate, t, &o};
        if (s == CLCNN_STATUS_OK) s = type->step(&pass);
        ref_update(oc, &o, pd, gd, s0, s1, N, t);
    }
    if (s == CLCNN_STATUS_OK) s = clcnn_buffer_read(st->ctx, bufs[0], 0, N * sizeof(float), p);
    if (s == CLCNN_STATUS_OK)
        check(st, "optimizer params", oc->variant, p, pd, N, 1e-5, 1e-6, clcnn_now() - t0);
    for (int i = 0; i < 2 + CLCNN_OPTIMIZER_SLOTS; i++)
        if (bufs[i]) clReleaseMemObject(bufs[i]);
    free(spec), free(p), free(g), free(pd), free(gd), free(s0), free(s1);
    return s;
}

static const optim_case optim_cases[] = {
    {CLCNN_OPTIMIZER_SGD, 0.0f, 0, "sgd 1001 x 3 steps", 0.0f},
    {CLCNN_OPTIMIZER_SGD, 0.9f, 0, "sgd momentum 0.9", 0.0f},
    {CLCNN_OPTIMIZER_SGD, 0.9f, 1, "sgd nesterov 0.9", 0.0f},
    {CLCNN_OPTIMIZER_RMSPROP, 0.0f, 0, "rmsprop", 0.0f},
    {CLCNN_OPTIMIZER_RMSPROP, 0.5f, 0, "rmsprop momentum 0.5", 0.0f},
    {CLCNN_OPTIMIZER_ADAM, 0.0f, 0, "adam", 0.0f},
    {CLCNN_OPTIMIZER_ADAM, 0.0f, 0, "adam weight decay 5", 5.0f},
    {CLCNN_OPTIMIZER_SGD, 0.9f, 0, "sgd momentum, weight decay 5", 5.0f},
    {CLCNN_OPTIMIZER_RMSPROP, 0.5f, 0, "rmsprop momentum, weight decay 5", 5.0f},
};

/* ---- the variants the device class does not use by default ---------------------------------- */
/* The reduction work-group size not in force: 64 (within the device's limit) where per-channel
 * sums run, else per channel. */
static int other_reduce_wg(clcnn_context *ctx) {
    if (clcnn_reduce_wg(ctx)) return 0;
    return ctx->max_group && ctx->max_group < 64 ? (int)ctx->max_group : 64;
}

static clcnn_status softmax_cases(selftest *st) {
    char v[32];
    snprintf(v, sizeof v, "reduce_wg %d", clcnn_reduce_wg(st->ctx));
    CLCNN_TRY(softmax_case_run(st, 5, 10, v));
    return softmax_case_run(st, 3, 37, v);
}

/* Softmax in the variant in force; then softmax, batch norm and bias gradients (conv2d) with the
 * other reduction shape, and conv2d and max pooling with the other layout, by our route. */
static clcnn_status variant_cases(selftest *st) {
    clcnn_kparams_tuned saved = st->ctx->tuned;
    CLCNN_TRY(softmax_cases(st));
    st->ctx->tuned.has_reduce_wg = 1;
    st->ctx->tuned.reduce_wg = other_reduce_wg(st->ctx);
    clcnn_status s = softmax_cases(st);
    snprintf(st->suffix, sizeof st->suffix, " reduce_wg %d", clcnn_reduce_wg(st->ctx));
    if (s == CLCNN_STATUS_OK) s = batchnorm_case_run(st, 4, 3, 5, 7);
    if (s == CLCNN_STATUS_OK) s = conv_case_run(st, &conv_cases[0], CLCNN_ROUTE_OWN, 0);
    st->ctx->tuned = saved;
    st->ctx->tuned.has_conv_layout = 1;
    st->ctx->tuned.conv_items = !clcnn_conv_items(st->ctx);
    snprintf(st->suffix, sizeof st->suffix, " %s", clcnn_conv_items(st->ctx) ? "items" : "planes");
    if (s == CLCNN_STATUS_OK) s = conv_case_run(st, &conv_cases[1], CLCNN_ROUTE_OWN, 0);
    /* max_pooling2d's kernels follow the layout: the scatter and the overlapping windows. */
    if (s == CLCNN_STATUS_OK) s = pool_case_run(st, "max_pooling2d", 2, 2, 0);
    if (s == CLCNN_STATUS_OK) s = pool_case_run(st, "max_pooling2d", 3, 2, 1);
    st->ctx->tuned = saved;
    st->suffix[0] = '\0';
    return s;
}

/* conv2d with its im2col columns made for 2 of its 3 images at a time (nn/conv2d.c's batch
 * chunks, which a device with a small largest allocation runs), by our route. */
static clcnn_status chunk_cases(selftest *st) {
    st->chunk = 2;
    snprintf(st->suffix, sizeof st->suffix, " chunks of %d", st->chunk);
    clcnn_status s = conv_case_run(st, &conv_cases[0], CLCNN_ROUTE_OWN, 0);
    st->chunk = 0;
    st->suffix[0] = '\0';
    return s;
}

/* The products of conv2d and dense run by the route the layer is given; each is checked. */
static const clcnn_route routes[] = {CLCNN_ROUTE_OWN, CLCNN_ROUTE_CLBLAST, CLCNN_ROUTE_TILED};


static clcnn_status product_cases(selftest *st, clcnn_route route) {
    for (size_t i = 0; i < sizeof conv_cases / sizeof conv_cases[0]; i++)
        CLCNN_TRY(conv_case_run(st, &conv_cases[i], route, 0));
    CLCNN_TRY(dense_case_run(st, 5, 37, 11, route));
    return dense_case_run(st, 1, 13, 3, route);
}

clcnn_status clcnn_selftest_run_route(clcnn_context *ctx, clcnn_route route,
                                      clcnn_selftest_report report, void *user, int *failures) {
    selftest st = {ctx, report, user, 0, "", 0};
    *failures = 0;
    CLCNN_TRY(product_cases(&st, route));
    CLCNN_TRY(batchnorm_case_run(&st, 4, 3, 5, 7));
    *failures = st.failures;
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_selftest_layer_passes(clcnn_context *ctx, const clcnn_layer_spec *spec,
                                         clcnn_shape in, int n, clcnn_route route, int runs) {
    layer_run r;
    clcnn_status s = layer_run_make(ctx, spec, in, route, n, &r);
    for (int i = 0; i < runs && s == CLCNN_STATUS_OK; i++) s = passes(ctx, &r);
    run_free(&r);
    return s;
}

clcnn_status clcnn_selftest_run(clcnn_context *ctx, clcnn_selftest_report report, void *user,
                                int *failures) {
    selftest st = {ctx, report, user, 0, "", 0};
    *failures = 0;
    for (size_t ri = 0; ri < sizeof routes / sizeof routes[0]; ri++)
        CLCNN_TRY(product_cases(&st, routes[ri]));
    /* The direct stride-1 convolution kernels (the stride-2 case runs im2col). */
    for (size_t i = 0; i < sizeof conv_cases / sizeof conv_cases[0]; i++)
        CLCNN_TRY(conv_case_run(&st, &conv_cases[i], CLCNN_ROUTE_AUTO, 1));
    CLCNN_TRY(pool_case_run(&st, "max_pooling2d", 2, 2, 0));
    CLCNN_TRY(pool_case_run(&st, "max_pooling2d", 3, 2, 1));
    CLCNN_TRY(pool_case_run(&st, "average_pooling2d", 2, 2, 0));
    CLCNN_TRY(pool_case_run(&st, "average_pooling2d", 3, 2, 1));
    /* Every activation of the table but softmax, which belongs to the loss (below). */
    for (int code = 0; code < CLCNN_ACT_COUNT; code++)
        if (code != CLCNN_ACT_SOFTMAX) CLCNN_TRY(act_case_run(&st, code));
    CLCNN_TRY(batchnorm_case_run(&st, 4, 3, 5, 7));
    CLCNN_TRY(dropout_case_run(&st));
    for (size_t i = 0; i < sizeof optim_cases / sizeof optim_cases[0]; i++)
        CLCNN_TRY(optim_case_run(&st, &optim_cases[i]));
    CLCNN_TRY(variant_cases(&st));
    CLCNN_TRY(chunk_cases(&st));
    CLCNN_TRY(clcnn_selftest_augment(ctx, check, &st));
    *failures = st.failures;
    return CLCNN_STATUS_OK;
}
