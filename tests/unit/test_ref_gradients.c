/* tests/unit/test_ref_gradients.c: central-difference checks of every backward pass of the C
 * reference, in double precision. Each layer is wrapped in the scalar loss L = sum(y * r) with a
 * fixed random r, so dL/dy = r and the backward pass fed r must return dL/dx, dL/dw, dL/db
 * (test_check_grad in tests/test_util.h).
 * Inputs are kept away from ReLU kinks and max-pool ties, where the derivative does not exist. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "ref/ref.h"
#include "ref/ref_check.h"
#include "test_util.h"

/* ---- convolution ---- */

typedef struct conv_case {
    ref_window g;
    double *x, *w, *b, *y, *r;
} conv_case;

static double conv_loss(void *ctx) {
    conv_case *cc = ctx;
    ref_conv2d_forward(&cc->g, cc->x, cc->w, cc->b, cc->y);
    return test_dot(cc->y, cc->r, (size_t)cc->g.n * cc->g.k * cc->g.oh * cc->g.ow);
}

static void check_conv(int n, int c, int h, int w, int k, int kh, int kw, int sh, int sw,
                       int same) {
    conv_case cc = {
        .g = {.n = n, .c = c, .h = h, .w = w, .k = k, .kh = kh, .kw = kw, .sh = sh, .sw = sw}};
    assert_true(ref_window_resolve(&cc.g, same));
    size_t nx = (size_t)n * c * h * w, nw = (size_t)k * c * kh * kw;
    size_t ny = (size_t)n * k * cc.g.oh * cc.g.ow;
    cc.x = test_random_d(nx, -1, 1, 11);
    cc.w = test_random_d(nw, -1, 1, 12);
    cc.b = test_random_d((size_t)k, -1, 1, 13);
    cc.r = test_random_d(ny, -1, 1, 14);
    cc.y = malloc(ny * sizeof *cc.y);
    double *dx = malloc(nx * sizeof *dx), *dw = malloc(nw * sizeof *dw),
           *db = malloc(k * sizeof *db);
    ref_conv2d_backward_data(&cc.g, cc.r, cc.w, dx);
    ref_conv2d_backward_filter(&cc.g, cc.x, cc.r, dw, db);
    test_check_grad("conv dx", conv_loss, &cc, cc.x, dx, nx);
    test_check_grad("conv dw", conv_loss, &cc, cc.w, dw, nw);
    test_check_grad("conv db", conv_loss, &cc, cc.b, db, (size_t)k);
    free(cc.x), free(cc.w), free(cc.b), free(cc.r), free(cc.y), free(dx), free(dw), free(db);
}

static void test_conv_valid(void **state) {
    (void)state;
    check_conv(2, 3, 7, 5, 4, 3, 2, 1, 1, 0); /* odd shape, non-square kernel */
    check_conv(1, 2, 7, 6, 3, 2, 3, 2, 2, 0); /* stride 2 that drops the last row */
}

static void test_conv_same(void **state) {
    (void)state;
    check_conv(2, 3, 7, 5, 4, 3, 2, 1, 1, 1); /* even kw: all padding on the right */
    check_conv(2, 3, 7, 5, 4, 3, 3, 2, 2, 1); /* stride 2, padding split 0/1 or 1/1 */
    check_conv(1, 2, 6, 5, 3, 4, 1, 2, 1, 1); /* mixed strides, 4x1 kernel */
    check_conv(1, 1, 3, 2, 2, 5, 5, 1, 1, 1); /* kernel larger than the input */
}

/* ---- max pooling ---- */

typedef struct pool_case {
    ref_window g;
    double *x, *y, *r;
} pool_case;

static double pool_loss(void *ctx) {
    pool_case *pc = ctx;
    ref_maxpool_forward(&pc->g, pc->x, pc->y);
    return test_dot(pc->y, pc->r, (size_t)pc->g.n * pc->g.c * pc->g.oh * pc->g.ow);
}

/* A shuffled ramp: all values distinct, 0.1 apart, so no step of 1e-6 changes a window's winner.
 * Centered on zero so negative windows check that padding never wins. */
static double *distinct_values(size_t n, uint64_t seed) {
    uint32_t *perm = malloc(n * sizeof *perm);
    double *v = malloc(n * sizeof *v);
    assert_true(perm && v);
    for (size_t i = 0; i < n; i++)
        perm[i] = (uint32_t)i;
    clcnn_rng rng;
    clcnn_rng_seed(&rng, seed);
    clcnn_rng_shuffle_u32(&rng, perm, n);
    for (size_t i = 0; i < n; i++)
        v[i] = 0.1 * ((double)perm[i] - (double)n / 2);
    free(perm);
    return v;
}

static void check_pool(int n, int c, int h, int w, int kh, int kw, int sh, int sw, int same) {
    pool_case pc = {
        .g = {.n = n, .c = c, .h = h, .w = w, .k = c, .kh = kh, .kw = kw, .sh = sh, .sw = sw}};
    assert_true(ref_window_resolve(&pc.g, same));
    size_t nx = (size_t)n * c * h * w, ny = (size_t)n * c * pc.g.oh * pc.g.ow;
    pc.x = distinct_values(nx, 21);
    pc.r = test_random_d(ny, -1, 1, 22);
    pc.y = malloc(ny * sizeof *pc.y);
    double *dx = malloc(nx * sizeof *dx);
    ref_maxpool_backward(&pc.g, pc.x, pc.r, dx);
    test_check_grad("maxpool dx", pool_loss, &pc, pc.x, dx, nx);
    free(pc.x), free(pc.r), free(pc.y), free(dx);
}

static void test_maxpool(void **state) {
    (void)state;
    check_pool(2, 3, 7, 5, 2, 2, 2, 2, 0); /* drops the odd last row/column */
    check_pool(2, 3, 7, 5, 2, 2, 2, 2, 1); /* pads them instead */
    check_pool(1, 2, 7, 5, 3, 3, 2, 2, 1); /* overlapping windows share winners */
    check_pool(1, 2, 6, 7, 3, 2, 1, 2, 1); /* mixed strides, non-square window */
}

/* ---- relu, dense, softmax ---- */

typedef struct relu_case {
    double *x, *y, *r;
    size_t n;
} relu_case;

static double relu_loss(void *ctx) {
    relu_case *rc = ctx;
    ref_relu_forward(rc->x, rc->y, rc->n);
    return test_dot(rc->y, rc->r, rc->n);
}

static void test_relu(void **state) {
    (void)state;
    relu_case rc = {.n = 37};
    rc.x = test_away_from_zero(rc.n, 1.0, 31);
    rc.r = test_random_d(rc.n, -1, 1, 32);
    rc.y = malloc(rc.n * sizeof *rc.y);
    double *dx = malloc(rc.n * sizeof *dx);
    ref_relu_backward(rc.x, rc.r, dx, rc.n);
    test_check_grad("relu dx", relu_loss, &rc, rc.x, dx, rc.n);
    free(rc.x), free(rc.r), free(rc.y), free(dx);
}

typedef struct dense_case {
    int n, in, out;
    double *x, *w, *b, *y, *r;
} dense_case;

static double dense_loss(void *ctx) {
    dense_case *dc = ctx;
    ref_dense_forward(dc->x, dc->w, dc->b, dc->y, dc->n, dc->in, dc->out);
    return test_dot(dc->y, dc->r, (size_t)dc->n * dc->out);
}

static void test_dense(void **state) {
    (void)state;
    dense_case dc = {.n = 3, .in = 7, .out = 5};
    size_t nx = (size_t)dc.n * dc.in, nw = (size_t)dc.out * dc.in, ny = (size_t)dc.n * dc.out;
    dc.x = test_random_d(nx, -1, 1, 41);
    dc.w = test_random_d(nw, -1, 1, 42);
    dc.b = test_random_d((size_t)dc.out, -1, 1, 43);
    dc.r = test_random_d(ny, -1, 1, 44);
    dc.y = malloc(ny * sizeof *dc.y);
    double *dx = malloc(nx * sizeof *dx), *dw = malloc(nw * sizeof *dw);
    double *db = malloc((size_t)dc.out * sizeof *db);
    ref_dense_backward(dc.x, dc.w, dc.r, dx, dw, db, dc.n, dc.in, dc.out);
    test_check_grad("dense dx", dense_loss, &dc, dc.x, dx, nx);
    test_check_grad("dense dw", dense_loss, &dc, dc.w, dw, nw);
    test_check_grad("dense db", dense_loss, &dc, dc.b, db, (size_t)dc.out);
    free(dc.x), free(dc.w), free(dc.b), free(dc.r), free(dc.y), free(dx), free(dw), free(db);
}

typedef struct xent_case {
    int n, k;
    double *logits;
    const int *labels;
} xent_case;

static double xent_loss(void *ctx) {
    xent_case *xc = ctx;
    return ref_softmax_xent_forward(xc->logits, xc->labels, NULL, xc->n, xc->k);
}

/* scale spreads the logits (saturated softmax); offset shifts them all, which must change
 * nothing, and would overflow a softmax that skipped the row-max subtraction. */
static void check_xent(double scale, double offset) {
    static const int labels[4] = {0, 4, 2, 4};
    xent_case xc = {.n = 4, .k = 5, .labels = labels};
    size_t nz = (size_t)xc.n * xc.k;
    xc.logits = test_random_d(nz, -scale, scale, 51);
    for (size_t i = 0; i < nz; i++)
        xc.logits[i] += offset;
    double *dz = malloc(nz * sizeof *dz);
    ref_softmax_xent_backward(xc.logits, labels, dz, xc.n, xc.k);
    test_check_grad("softmax-xent dlogits", xent_loss, &xc, xc.logits, dz, nz);
    free(xc.logits), free(dz);
}

static void test_softmax_xent(void **state) {
    (void)state;
    check_xent(1.0, 0.0);
    check_xent(8.0, 0.0);
    check_xent(2.0, 1000.0);
}

/* ---- the whole seed model ---- */

typedef struct model_case {
    ref_seed_model m;
    double *p[8]; /* w1 b1 w2 b2 w3 b3 w4 b4, writable aliases of m's weights */
    size_t len[8];
    double *x;
    const int *labels;
    int n;
} model_case;

static double model_loss(void *ctx) {
    model_case *mc = ctx;
    return ref_seed_model_step(&mc->m, mc->x, mc->labels, mc->n, NULL);
}

/* Weights in [-0.5, 0.5) and inputs in [0, 1), like a trained model's first step. */
static void model_init(model_case *mc) {
    ref_seed_model *m = &mc->m;
    int oh2 = m->h - m->k1 - m->k2 + 2, ow2 = m->w - m->k1 - m->k2 + 2;
    size_t len[8] = {(size_t)m->f1 * m->c_in * m->k1 * m->k1, (size_t)m->f1,
                     (size_t)m->f2 * m->f1 * m->k2 * m->k2,   (size_t)m->f2,
                     (size_t)m->units * m->f2 * oh2 * ow2,    (size_t)m->units,
                     (size_t)m->units * m->classes,           (size_t)m->classes};
    for (int i = 0; i < 8; i++) {
        mc->len[i] = len[i];
        mc->p[i] = test_random_d(len[i], -0.5, 0.5, 60 + (uint64_t)i);
    }
    m->w1 = mc->p[0], m->b1 = mc->p[1], m->w2 = mc->p[2], m->b2 = mc->p[3];
    m->w3 = mc->p[4], m->b3 = mc->p[5], m->w4 = mc->p[6], m->b4 = mc->p[7];
    mc->x = test_random_d((size_t)mc->n * m->c_in * m->h * m->w, 0, 1, 70);
}

static void test_seed_model(void **state) {
    (void)state;
    static const int labels[2] = {2, 0};
    model_case mc = {.m = {.c_in = 1,
                           .h = 6,
                           .w = 6,
                           .f1 = 2,
                           .k1 = 3,
                           .f2 = 3,
                           .k2 = 2,
                           .units = 4,
                           .classes = 3},
                     .labels = labels,
                     .n = 2};
    model_init(&mc);
    double *grad[8];
    for (int i = 0; i < 8; i++)
        grad[i] = malloc(mc.len[i] * sizeof(double));
    double logits[2 * 3];
    ref_seed_grads g = {grad[0], grad[1], grad[2], grad[3], grad[4],
                        grad[5], grad[6], grad[7], logits};
    double loss = ref_seed_model_step(&mc.m, mc.x, labels, mc.n, &g);
    assert_true(isfinite(loss) && loss > 0.0);
    assert_true(loss == model_loss(&mc)); /* forward only gives the same loss */
    /* The logits handed out are the ones the loss was computed from. */
    assert_true(ref_softmax_xent_forward(logits, labels, NULL, mc.n, 3) == loss);
    /* Dead ReLUs everywhere would pass trivially; require signal in the first layer. */
    assert_true(test_dot(grad[0], grad[0], mc.len[0]) > 1e-8);
    static const char *names[8] = {"model dw1", "model db1", "model dw2", "model db2",
                                   "model dw3", "model db3", "model dw4", "model db4"};
    for (int i = 0; i < 8; i++)
        test_check_grad(names[i], model_loss, &mc, mc.p[i], grad[i], mc.len[i]);

    /* Skipped gradients must not change the ones asked for: only db1, which needs the whole
     * chain and a scratch dw1. */
    double db1[2];
    ref_seed_grads only_b1 = {.b1 = db1};
    assert_true(ref_seed_model_step(&mc.m, mc.x, labels, mc.n, &only_b1) == loss);
    assert_true(ref_allclose("model db1 alone", db1, grad[1], 2, 0, 0));

    for (int i = 0; i < 8; i++)
        free(mc.p[i]), free(grad[i]);
    free(mc.x);
}

static void test_seed_model_bad_shape(void **state) {
    (void)state;
    /* A 2x2 input cannot hold a 3x3 valid convolution. */
    ref_seed_model m = {
        .c_in = 1, .h = 2, .w = 2, .f1 = 1, .k1 = 3, .f2 = 1, .k2 = 1, .units = 1, .classes = 2};
    double x[4] = {0};
    int label = 0;
    assert_true(isnan(ref_seed_model_step(&m, x, &label, 1, NULL)));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conv_valid), cmocka_unit_test(test_conv_same),
        cmocka_unit_test(test_maxpool),    cmocka_unit_test(test_relu),
        cmocka_unit_test(test_dense),      cmocka_unit_test(test_softmax_xent),
        cmocka_unit_test(test_seed_model), cmocka_unit_test(test_seed_model_bad_shape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
