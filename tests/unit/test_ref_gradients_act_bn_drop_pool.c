/* tests/unit/test_ref_gradients_act_bn_drop_pool.c: the reference's activations, batch
 * normalization, dropout and average pooling, checked by hand-computed values and their backward
 * passes by central differences in double, as test_ref_gradients.c does: each op is wrapped in
 * L = sum(y * r) with a fixed random r, so the backward pass fed r must return dL/dinput
 * (test_check_grad in tests/test_util.h). Inputs stay away from the kinks of leaky ReLU and ELU
 * at 0. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ref/ref.h"
#include "ref/ref_check.h"
#include "test_util.h"

/* ---- activations ---- */

typedef struct act_case {
    int code;
    double alpha, *x, *y, *r;
    size_t n;
} act_case;

static double act_loss(void *ctx) {
    act_case *a = ctx;
    ref_act_forward(a->code, a->alpha, a->x, a->y, a->n);
    return test_dot(a->y, a->r, a->n);
}

static void test_activation_values(void **state) {
    (void)state;
    double x[3] = {-1.0, 0.0, 2.0}, y[3];
    ref_act_forward(2, 0, x, y, 3);
    assert_true(fabs(y[1] - 0.5) < 1e-15 && fabs(y[2] - 1.0 / (1.0 + exp(-2.0))) < 1e-15);
    ref_act_forward(4, 0.3, x, y, 3);
    assert_true(y[0] == -0.3 && y[1] == 0.0 && y[2] == 2.0);
    ref_act_forward(5, 1.0, x, y, 3);
    assert_true(fabs(y[0] - (exp(-1.0) - 1.0)) < 1e-15 && y[2] == 2.0);
    ref_act_forward(3, 0, x, y, 3);
    assert_true(fabs(y[0] + tanh(1.0)) < 1e-15);
}

static void test_activation_gradients(void **state) {
    (void)state;
    const int codes[] = {2, 3, 4, 5, 5};
    const double alphas[] = {0, 0, 0.3, 1.0, 0.7};
    for (int c = 0; c < 5; c++) {
        act_case a = {codes[c], alphas[c], test_away_from_zero(37, 2.0, 21), NULL, test_random_d(37, -1, 1, 22), 37};
        a.y = malloc(37 * sizeof *a.y);
        double *dx = malloc(37 * sizeof *dx);
        ref_act_backward(a.code, a.alpha, a.x, a.r, dx, a.n);
        test_check_grad("activation dx", act_loss, &a, a.x, dx, a.n);
        free(a.x), free(a.y), free(a.r), free(dx);
    }
}

/* ---- batch normalization ---- */

typedef struct bn_case {
    int n, c, spatial;
    double *x, *gamma, *beta, *y, *r;
} bn_case;

static double bn_loss(void *ctx) {
    bn_case *b = ctx;
    ref_batchnorm_forward_train(b->x, b->gamma, b->beta, b->n, b->c, b->spatial, 1e-3, b->y, NULL, NULL);
    return test_dot(b->y, b->r, (size_t)b->n * b->c * b->spatial);
}

static void check_bn(int n, int c, int spatial) {
    size_t nx = (size_t)n * c * spatial;
    bn_case b = {n, c, spatial, test_random_d(nx, -2, 3, 31), test_random_d(c, 0.5, 1.5, 32),
                 test_random_d(c, -1, 1, 33), malloc(nx * sizeof(double)), test_random_d(nx, -1, 1, 34)};
    double *dx = malloc(nx * sizeof *dx), *dg = malloc(c * sizeof *dg), *db = malloc(c * sizeof *db);
    ref_batchnorm_backward(b.x, b.gamma, b.r, n, c, spatial, 1e-3, dx, dg, db);
    test_check_grad("batchnorm dx", bn_loss, &b, b.x, dx, nx);
    test_check_grad("batchnorm dgamma", bn_loss, &b, b.gamma, dg, (size_t)c);
    test_check_grad("batchnorm dbeta", bn_loss, &b, b.beta, db, (size_t)c);
    free(b.x), free(b.gamma), free(b.beta), free(b.y), free(b.r), free(dx), free(dg), free(db);
}

static void test_batchnorm_gradients(void **state) {
    (void)state;
    check_bn(3, 2, 5);  /* after a convolution: positions */
    check_bn(4, 3, 1);  /* after dense: one position per example */
}

/* Training output has zero mean and unit variance (up to eps) per channel with gamma 1, beta 0;
 * inference with the batch's own statistics gives the same output; the running update is the
 * momentum average. */
static void test_batchnorm_values(void **state) {
    (void)state;
    int n = 3, c = 2, sp = 4;
    double *x = test_random_d(24, -1, 5, 41), y[24], y2[24], mean[2], var[2];
    double gamma[2] = {1, 1}, beta[2] = {0, 0};
    ref_batchnorm_forward_train(x, gamma, beta, n, c, sp, 1e-3, y, mean, var);
    for (int ch = 0; ch < c; ch++) {
        double s = 0, q = 0;
        for (int b = 0; b < n; b++)
            for (int p = 0; p < sp; p++) s += y[(b * c + ch) * sp + p];
        for (int b = 0; b < n; b++)
            for (int p = 0; p < sp; p++) q += pow(y[(b * c + ch) * sp + p], 2);
        assert_true(fabs(s / 12) < 1e-12);
        assert_true(fabs(q / 12 - var[ch] / (var[ch] + 1e-3)) < 1e-12);
    }
    ref_batchnorm_forward_infer(x, gamma, beta, mean, var, n, c, sp, 1e-3, y2);
    assert_true(ref_allclose("infer with batch stats", y2, y, 24, 1e-14, 1e-14));
    double rm[2] = {0, 0}, rv[2] = {1, 1};
    ref_batchnorm_update(rm, rv, mean, var, c, 0.99);
    assert_true(fabs(rm[0] - 0.01 * mean[0]) < 1e-15 && fabs(rv[1] - (0.99 + 0.01 * var[1])) < 1e-15);
    free(x);
}

/* ---- dropout ---- */

typedef struct drop_case {
    double *x, *y, *r;
    unsigned char keep[29];
} drop_case;

static double drop_loss(void *ctx) {
    drop_case *d = ctx;
    ref_dropout_forward(d->x, d->keep, 0.4, d->y, 29);
    return test_dot(d->y, d->r, 29);
}

static void test_dropout(void **state) {
    (void)state;
    drop_case d = {test_random_d(29, -1, 1, 51), malloc(29 * sizeof(double)), test_random_d(29, -1, 1, 52), {0}};
    for (int i = 0; i < 29; i++) d.keep[i] = (unsigned char)(i % 3 != 0);
    double dx[29];
    drop_loss(&d);
    assert_true(d.y[0] == 0.0 && fabs(d.y[1] - d.x[1] / 0.6) < 1e-15);
    ref_dropout_backward(d.r, d.keep, 0.4, dx, 29);
    test_check_grad("dropout dx", drop_loss, &d, d.x, dx, 29);
    free(d.x), free(d.y), free(d.r);
}

/* ---- average pooling ---- */

typedef struct pool_case {
    ref_window g;
    double *x, *y, *r;
} pool_case;

static double pool_loss(void *ctx) {
    pool_case *p = ctx;
    ref_avgpool_forward(&p->g, p->x, p->y);
    return test_dot(p->y, p->r, (size_t)p->g.n * p->g.c * p->g.oh * p->g.ow);
}

static void check_pool(int n, int c, int h, int w, int kh, int kw, int sh, int sw, int same) {
    pool_case p = {.g = {.n = n, .c = c, .h = h, .w = w, .kh = kh, .kw = kw, .sh = sh, .sw = sw}};
    assert_true(ref_window_resolve(&p.g, same));
    size_t nx = (size_t)n * c * h * w, ny = (size_t)n * c * p.g.oh * p.g.ow;
    p.x = test_random_d(nx, -1, 1, 61), p.y = malloc(ny * sizeof(double)), p.r = test_random_d(ny, -1, 1, 62);
    double *dx = malloc(nx * sizeof *dx);
    ref_avgpool_backward(&p.g, p.r, dx);
    test_check_grad("avgpool dx", pool_loss, &p, p.x, dx, nx);
    free(p.x), free(p.y), free(p.r), free(dx);
}

static void test_avgpool(void **state) {
    (void)state;
    /* "same" 2x2 stride 2 on 3x3: the bottom-right window holds one position, not four. */
    ref_window g = {.n = 1, .c = 1, .h = 3, .w = 3, .kh = 2, .kw = 2, .sh = 2, .sw = 2};
    assert_true(ref_window_resolve(&g, 1));
    double x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, y[4];
    ref_avgpool_forward(&g, x, y);
    assert_true(y[0] == 3.0 && y[1] == 4.5 && y[2] == 7.5 && y[3] == 9.0);
    check_pool(2, 3, 7, 5, 2, 2, 2, 2, 0);
    check_pool(2, 2, 7, 5, 3, 2, 2, 1, 1); /* overlapping windows, padding */
    check_pool(3, 4, 5, 6, 5, 6, 1, 1, 0); /* global average pooling */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_activation_values),   cmocka_unit_test(test_activation_gradients),
        cmocka_unit_test(test_batchnorm_gradients), cmocka_unit_test(test_batchnorm_values),
        cmocka_unit_test(test_dropout),             cmocka_unit_test(test_avgpool),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
