/* tests/opencl/test_layers_act_bn_drop_pool.c: the activation layers and fused activations,
 * BatchNormalization, Dropout, AveragePooling2D and GlobalAveragePooling2D, driven through the
 * nn.h layer interface (the harness in tests/test_layer.h) on odd shapes, against the plain-C
 * reference (host/ref/), forward and backward. Buffers start as NaN so a value a kernel forgets
 * to write shows up, and reading one back checks that nothing was written past its end.
 * BatchNorm (also with the ReLU after it fused) and Dropout are checked in both modes: training (batch statistics and their running
 * average; a random inverted-dropout mask that backward repeats) and inference (running
 * statistics; the identity), as Keras defines them. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ref/ref.h"
#include "test_layer.h"

/* Values of magnitude >= 0.1: float and double agree on the side of 0. */
static float *fill_away(size_t n, uint64_t seed, double **d) {
    float *v = test_random_f(n, -2, 2, seed, d);
    for (size_t i = 0; i < n; i++) {
        v[i] += v[i] < 0 ? -0.1f : 0.1f;
        (*d)[i] = v[i];
    }
    return v;
}

/* ---- activations ---------------------------------------------------------------------------- */

static void check_activation(const char *type, const char *activation, float alpha, int code) {
    clcnn_layer_spec spec;
    clcnn_layer_spec_default(&spec, type);
    if (activation) snprintf(spec.activation, sizeof spec.activation, "%s", activation);
    if (alpha >= 0) spec.alpha = alpha;
    clcnn_layer l;
    test_layer_make(&l, &spec, (clcnn_shape){3, 5, 7}, 0, CLCNN_ROUTE_AUTO);
    int n = 3;
    size_t count = (size_t)n * 105;
    double *xd, *dyd;
    float *x = fill_away(count, 71, &xd), *dy = test_random_f(count, -1, 1, 72, &dyd);
    test_layer_run r = test_layer_run_make(type, &l, n, x, NULL, 0, 1);
    test_layer_forward(&l, &r, 1, 0);
    test_layer_backward(&l, &r, dy, 0);
    float *y = test_dev_read(type, r.y, count), *dx = test_dev_read(type, r.dx, count);
    double *yr = malloc(count * sizeof *yr), *dxr = malloc(count * sizeof *dxr);
    ref_act_forward(code, spec.alpha, xd, yr, count);
    ref_act_backward(code, spec.alpha, xd, dyd, dxr, count);
    char what[64];
    snprintf(what, sizeof what, "%s %s y", type, activation ? activation : "");
    assert_true(test_allclose(what, y, yr, count, 1e-5, 1e-6));
    snprintf(what, sizeof what, "%s %s dx", type, activation ? activation : "");
    assert_true(test_allclose(what, dx, dxr, count, 1e-5, 1e-6));
    test_layer_run_free(&r);
    free(x), free(dy), free(xd), free(dyd), free(y), free(dx), free(yr), free(dxr);
}

static void test_activation_layers(void **state) {
    (void)state;
    check_activation("sigmoid", NULL, -1, CLCNN_ACT_SIGMOID);
    check_activation("tanh", NULL, -1, CLCNN_ACT_TANH);
    check_activation("leaky_relu", NULL, 0.3f, CLCNN_ACT_LEAKY_RELU);
    check_activation("elu", NULL, 1.0f, CLCNN_ACT_ELU);
    check_activation("elu", NULL, 0.7f, CLCNN_ACT_ELU);
    check_activation("activation", "relu", -1, CLCNN_ACT_RELU);
    check_activation("activation", "tanh", -1, CLCNN_ACT_TANH);
}

/* The in-place forms that nn/step.c applies after conv2d and dense. */
static void test_fused_activation(void **state) {
    (void)state;
    size_t count = 517;
    double *xd, *dyd;
    float *x = fill_away(count, 81, &xd), *dy = test_random_f(count, -1, 1, 82, &dyd);
    const int codes[] = {CLCNN_ACT_SIGMOID, CLCNN_ACT_TANH, CLCNN_ACT_LEAKY_RELU, CLCNN_ACT_ELU};
    for (int c = 0; c < 4; c++) {
        cl_mem y = test_dev_from(x, count), g = test_dev_from(dy, count);
        assert_int_equal(clcnn_nn_act_forward(test_ctx, codes[c], 0.2f, y, y, count), CLCNN_STATUS_OK);
        assert_int_equal(clcnn_nn_act_backward(test_ctx, codes[c], 0.2f, y, g, g, count), CLCNN_STATUS_OK);
        float *yv = test_dev_read("fused y", y, count), *gv = test_dev_read("fused dy", g, count);
        double *yr = malloc(count * sizeof *yr), *gr = malloc(count * sizeof *gr);
        ref_act_forward(codes[c], (float)0.2f, xd, yr, count);
        ref_act_backward(codes[c], (float)0.2f, xd, dyd, gr, count);
        assert_true(test_allclose("fused y", yv, yr, count, 1e-5, 1e-6));
        assert_true(test_allclose("fused dy", gv, gr, count, 1e-4, 1e-6));
        clReleaseMemObject(y), clReleaseMemObject(g);
        free(yv), free(gv), free(yr), free(gr);
    }
    free(x), free(dy), free(xd), free(dyd);
}

/* ---- batch normalization ------------------------------------------------------------------ */

/* relu: the ReLU layer after it fused (nn/fuse.c): y = max(y, 0), and dy masked by that y in
 * backward (in place) before batch norm's own gradient. */
static void check_batchnorm(int n, int c, int h, int w, int relu) {
    clcnn_layer_spec spec;
    clcnn_layer_spec_default(&spec, "batch_normalization");
    spec.momentum = 0.9f;
    clcnn_layer l;
    test_layer_make(&l, &spec, (clcnn_shape){c, h, w}, relu, CLCNN_ROUTE_AUTO);
    assert_int_equal(l.n_params, 4);
    assert_true(l.param_state[2] && l.param_state[3] && !l.param_state[0] && !l.param_state[1]);
    int sp = h * w;
    size_t nx = (size_t)n * c * sp, n_arena = test_layer_place_params(&l);
    double *xd, *dyd, *gd, *bd, *md, *vd;
    float *x = test_random_f(nx, -1, 4, 91, &xd), *dy = test_random_f(nx, -1, 1, 92, &dyd);
    float *g = test_random_f((size_t)c, 0.5, 1.5, 93, &gd), *b = test_random_f((size_t)c, -1, 1, 94, &bd);
    float *m = test_random_f((size_t)c, -1, 1, 95, &md), *v = test_random_f((size_t)c, 0.5, 2, 96, &vd);
    float *arena = calloc(n_arena, sizeof *arena);
    memcpy(arena + l.param_offset[0], g, c * sizeof *g);
    memcpy(arena + l.param_offset[1], b, c * sizeof *b);
    memcpy(arena + l.param_offset[2], m, c * sizeof *m);
    memcpy(arena + l.param_offset[3], v, c * sizeof *v);
    double *yr = malloc(nx * sizeof *yr), *dxr = malloc(nx * sizeof *dxr), bm[64], bv[64], dg[64], db[64];
    test_layer_run r = test_layer_run_make("batchnorm", &l, n, x, arena, n_arena, 1);

    /* Inference: the running statistics, which stay as they are. */
    test_layer_forward(&l, &r, 0, 0);
    float *y = test_dev_read("batchnorm inference y", r.y, nx);
    ref_batchnorm_forward_infer(xd, gd, bd, md, vd, n, c, sp, 1e-3, yr);
    if (relu) ref_act_forward(CLCNN_ACT_RELU, 0, yr, yr, nx);
    assert_true(test_allclose("batchnorm inference y", y, yr, nx, 1e-5, 1e-5));
    free(y);
    /* Training: the batch's statistics; the running ones move by momentum. */
    test_layer_forward(&l, &r, 1, 0);
    y = test_dev_read("batchnorm training y", r.y, nx);
    ref_batchnorm_forward_train(xd, gd, bd, n, c, sp, 1e-3, yr, bm, bv);
    if (relu) ref_act_forward(CLCNN_ACT_RELU, 0, yr, yr, nx);
    assert_true(test_allclose("batchnorm training y", y, yr, nx, 1e-4, 1e-4));
    ref_batchnorm_update(md, vd, bm, bv, c, 0.9);
    float *after = test_dev_read("batchnorm running statistics", r.params, n_arena);
    assert_true(test_allclose("running_mean", after + l.param_offset[2], md, (size_t)c, 1e-5, 1e-6));
    assert_true(test_allclose("running_var", after + l.param_offset[3], vd, (size_t)c, 1e-5, 1e-6));
    test_layer_backward(&l, &r, dy, 0);
    float *dx = test_dev_read("batchnorm dx", r.dx, nx),
          *grads = test_dev_read("batchnorm gradients", r.grads, n_arena);
    if (relu) {
        /* The mask from the device's y (a value within rounding of 0 would flip on the
         * reference's side); dy itself must come back masked. */
        float *dy_masked = test_dev_read("batchnorm masked dy", r.dy, nx);
        size_t zeroed = 0;
        for (size_t i = 0; i < nx; i++) {
            dyd[i] = y[i] > 0 ? dyd[i] : 0.0;
            zeroed += y[i] <= 0;
            assert_true(dy_masked[i] == (float)dyd[i]);
        }
        assert_true(zeroed > 0 && zeroed < nx);
        free(dy_masked);
    }
    ref_batchnorm_backward(xd, gd, dyd, n, c, sp, 1e-3, dxr, dg, db);
    assert_true(test_allclose("batchnorm dx", dx, dxr, nx, 1e-3, 1e-4));
    assert_true(test_allclose("batchnorm dgamma", grads + l.param_offset[0], dg, (size_t)c, 1e-4, 1e-4));
    assert_true(test_allclose("batchnorm dbeta", grads + l.param_offset[1], db, (size_t)c, 1e-4, 1e-4));
    test_layer_run_free(&r);
    free(x), free(dy), free(g), free(b), free(m), free(v), free(xd), free(dyd), free(gd), free(bd);
    free(md), free(vd), free(arena), free(yr), free(dxr), free(y), free(after), free(dx), free(grads);
}

static void test_batchnorm(void **state) {
    (void)state;
    /* One work-item per channel (CPUs), then work-groups of several sizes per channel (GPUs),
     * including groups larger than a channel's values. */
    static const char *const wgs[] = {"0", "64", "256", "8"};
    for (int i = 0; i < 4; i++) {
        setenv("CLCNN_REDUCE_WG", wgs[i], 1);
        for (int relu = 0; relu < 2; relu++) {
            check_batchnorm(3, 5, 7, 3, relu);   /* after a convolution */
            check_batchnorm(5, 7, 1, 1, relu);   /* after dense */
            check_batchnorm(2, 3, 29, 27, relu); /* long rows: sums over 1566 values */
        }
    }
    unsetenv("CLCNN_REDUCE_WG");
}

/* ---- dropout ------------------------------------------------------------------------------ */

static float *dropout_run(int training, uint64_t seed, float rate, const float *x, const float *dy,
                          size_t count, float **dx_out) {
    clcnn_layer_spec spec;
    clcnn_layer_spec_default(&spec, "dropout");
    spec.rate = rate;
    clcnn_layer l;
    test_layer_make(&l, &spec, (clcnn_shape){(int)count / 4, 1, 1}, 0, CLCNN_ROUTE_AUTO);
    test_layer_run r = test_layer_run_make("dropout", &l, 4, x, NULL, 0, 1);
    test_layer_forward(&l, &r, training, seed);
    float *y = test_dev_read("dropout y", r.y, count);
    if (dx_out) {
        test_layer_backward(&l, &r, dy, seed);
        *dx_out = test_dev_read("dropout dx", r.dx, count);
    }
    test_layer_run_free(&r);
    return y;
}

static void test_dropout(void **state) {
    (void)state;
    size_t count = 4 * 2501;
    double *xd, *dyd;
    float *x = fill_away(count, 101, &xd), *dy = test_random_f(count, -1, 1, 102, &dyd), *dx;
    float rate = 0.3f, scale = 1.0f / (1.0f - rate);
    float *y = dropout_run(1, 77, rate, x, dy, count, &dx);
    size_t dropped = 0;
    unsigned char *keep = malloc(count);
    for (size_t i = 0; i < count; i++) {
        keep[i] = y[i] != 0.0f;
        dropped += !keep[i];
        assert_true(y[i] == 0.0f || y[i] == x[i] * scale);
    }
    /* Binomial(10004, 0.3): 3001 +- 46 (1 sigma); 5 sigma is 230. */
    assert_true(fabs((double)dropped - 0.3 * count) < 230);
    double *dxr = malloc(count * sizeof *dxr);
    ref_dropout_backward(dyd, keep, rate, dxr, count);
    assert_true(test_allclose("dropout dx (the forward mask)", dx, dxr, count, 1e-6, 0));
    float *again = dropout_run(1, 77, rate, x, dy, count, NULL);
    assert_memory_equal(again, y, count * sizeof *y);
    float *other = dropout_run(1, 78, rate, x, dy, count, NULL);
    assert_true(memcmp(other, y, count * sizeof *y) != 0);
    float *inference = dropout_run(0, 77, rate, x, dy, count, NULL);
    assert_memory_equal(inference, x, count * sizeof *x);
    free(x), free(dy), free(xd), free(dyd), free(dx), free(y), free(keep), free(dxr);
    free(again), free(other), free(inference);
}

/* ---- average pooling ---------------------------------------------------------------------- */

static void check_avgpool(const char *type, int n, int c, int h, int w, int k, int s, int same) {
    clcnn_layer_spec spec;
    clcnn_layer_spec_default(&spec, type);
    spec.pool_size[0] = spec.pool_size[1] = k;
    spec.strides[0] = spec.strides[1] = s;
    spec.padding = same ? CLCNN_PADDING_SAME : CLCNN_PADDING_VALID;
    clcnn_layer l;
    test_layer_make(&l, &spec, (clcnn_shape){c, h, w}, 0, CLCNN_ROUTE_AUTO);
    int global = strcmp(type, "global_average_pooling2d") == 0;
    ref_window g = {.n = n, .c = c, .h = h, .w = w, .kh = global ? h : k, .kw = global ? w : k,
                    .sh = global ? 1 : s, .sw = global ? 1 : s};
    assert_true(ref_window_resolve(&g, global ? 0 : same));
    assert_true(l.out.h == g.oh && l.out.w == g.ow && l.out.c == c);
    size_t nx = (size_t)n * c * h * w, ny = (size_t)n * c * g.oh * g.ow;
    double *xd, *dyd;
    float *x = test_random_f(nx, -1, 1, 111, &xd), *dy = test_random_f(ny, -1, 1, 112, &dyd);
    test_layer_run r = test_layer_run_make(type, &l, n, x, NULL, 0, 1);
    test_layer_forward(&l, &r, 1, 0);
    test_layer_backward(&l, &r, dy, 0);
    float *y = test_dev_read(type, r.y, ny), *dx = test_dev_read(type, r.dx, nx);
    double *yr = malloc(ny * sizeof *yr), *dxr = malloc(nx * sizeof *dxr);
    ref_avgpool_forward(&g, xd, yr);
    ref_avgpool_backward(&g, dyd, dxr);
    char what[96];
    snprintf(what, sizeof what, "%s %dx%d s%d %s y", type, k, k, s, same ? "same" : "valid");
    assert_true(test_allclose(what, y, yr, ny, 1e-5, 1e-6));
    snprintf(what, sizeof what, "%s %dx%d s%d %s dx", type, k, k, s, same ? "same" : "valid");
    assert_true(test_allclose(what, dx, dxr, nx, 1e-5, 1e-6));
    test_layer_run_free(&r);
    free(x), free(dy), free(xd), free(dyd), free(y), free(dx), free(yr), free(dxr);
}

static void test_avgpool(void **state) {
    (void)state;
    check_avgpool("average_pooling2d", 2, 3, 7, 5, 2, 2, 0);
    check_avgpool("average_pooling2d", 2, 3, 7, 5, 2, 2, 1);  /* a 1-position window at the edge */
    check_avgpool("average_pooling2d", 3, 2, 11, 9, 3, 2, 1); /* overlapping windows */
    check_avgpool("average_pooling2d", 1, 4, 6, 6, 3, 1, 0);
    check_avgpool("global_average_pooling2d", 3, 5, 7, 9, 2, 2, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_activation_layers), cmocka_unit_test(test_fused_activation),
        cmocka_unit_test(test_batchnorm),         cmocka_unit_test(test_dropout),
        cmocka_unit_test(test_avgpool),
    };
    return cmocka_run_group_tests(tests, test_device_setup, test_device_teardown);
}
