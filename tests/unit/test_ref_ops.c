/* tests/unit/test_ref_ops.c: the C reference on small cases whose answers were worked out by
 * hand (or, for the optimizers, from Keras' formulas in an independent script; for the
 * augmentation's generator, splitmix64's published first output), so the reference is pinned to
 * known numbers and not only to its own consistency. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ref/ref.h"
#include "ref/ref_check.h"
#include "test_util.h"

#define EXACT(what, got, want, n) assert_true(ref_allclose(what, got, want, n, 1e-12, 1e-12))

/* The running example: a 3x3 input 1..9 and the 2x2 kernel [[1, 2], [3, 4]]. */
static const double X33[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
static const double K22[4] = {1, 2, 3, 4};

static ref_window window(int c, int h, int w, int k, int kh, int kw, int sh, int sw, int same) {
    ref_window g = {.n = 1, .c = c, .h = h, .w = w, .k = k, .kh = kh, .kw = kw, .sh = sh, .sw = sw};
    assert_true(ref_window_resolve(&g, same));
    return g;
}

/* ---- geometry ---- */

static void expect_axis(int in, int k, int s, int same, int want_out, int want_pad) {
    ref_window g = {.n = 1, .c = 1, .h = in, .w = in, .k = 1, .kh = k, .kw = k, .sh = s, .sw = s};
    int ok = ref_window_resolve(&g, same);
    if (!ok || g.oh != want_out || g.pad_top != want_pad || g.ow != want_out ||
        g.pad_left != want_pad)
        printf("resolve in=%d k=%d s=%d same=%d: ok %d, out %d pad %d, want out %d pad %d\n", in, k,
               s, same, ok, g.oh, g.pad_top, want_out, want_pad);
    assert_true(ok && g.oh == want_out && g.pad_top == want_pad && g.ow == want_out &&
                g.pad_left == want_pad);
}

static void test_window_resolve(void **state) {
    (void)state;
    expect_axis(5, 3, 2, 0, 2, 0);
    expect_axis(7, 2, 2, 0, 3, 0); /* floor: the last row is dropped */
    expect_axis(3, 3, 1, 0, 1, 0);
    expect_axis(5, 3, 2, 1, 3, 1); /* pad total 2: 1 + 1 */
    expect_axis(6, 3, 2, 1, 3, 0); /* pad total 1: 0 top, 1 bottom */
    expect_axis(4, 4, 1, 1, 4, 1); /* pad total 3: 1 top, 2 bottom */
    expect_axis(3, 5, 1, 1, 3, 2); /* kernel larger than the input is fine with "same" */
    expect_axis(6, 1, 3, 1, 2, 0); /* negative pad total clamps to 0 */

    ref_window g = {.n = 1, .c = 1, .h = 2, .w = 5, .k = 1, .kh = 3, .kw = 3, .sh = 1, .sw = 1};
    assert_int_equal(ref_window_resolve(&g, 0), 0); /* valid: 3 rows do not fit in 2 */
    g = (ref_window){.n = 1, .c = 1, .h = 2, .w = 2, .k = 1, .kh = 3, .kw = 3, .sh = 2, .sw = 2};
    assert_int_equal(ref_window_resolve(&g, 0), 0); /* (2 - 3) / 2 truncates to 0: still empty */
}

/* ---- convolution ---- */

static void test_conv_forward_hand(void **state) {
    (void)state;
    double y[9];
    const double bias = 0.5;
    ref_window g = window(1, 3, 3, 1, 2, 2, 1, 1, 0);
    ref_conv2d_forward(&g, X33, K22, &bias, y);
    EXACT("conv valid", y, ((double[]){37.5, 47.5, 67.5, 77.5}), 4);

    /* "same", stride 1: the single padding row/column goes at the bottom/right. */
    g = window(1, 3, 3, 1, 2, 2, 1, 1, 1);
    ref_conv2d_forward(&g, X33, K22, NULL, y);
    EXACT("conv same", y, ((double[]){37, 47, 21, 67, 77, 33, 23, 26, 9}), 9);

    g = window(1, 3, 3, 1, 2, 2, 2, 2, 1);
    ref_conv2d_forward(&g, X33, K22, NULL, y);
    EXACT("conv same stride 2", y, ((double[]){37, 21, 23, 9}), 4);
}

/* Channel and filter order of the NCHW / OIHW layouts, with 1x1 kernels: filter 0 reads
 * channel 0 plus 10x channel 1, filter 1 the difference. */
static void test_conv_layout(void **state) {
    (void)state;
    const double x[2 * 2] = {1, 2, /* channel 1: */ 3, 4};
    const double w[2 * 2] = {1, 10, /* filter 1: */ 1, -1};
    double y[4];
    ref_window g = window(2, 1, 2, 2, 1, 1, 1, 1, 0);
    ref_conv2d_forward(&g, x, w, NULL, y);
    EXACT("conv layout", y, ((double[]){31, 42, -2, -2}), 4);
}

static void test_conv_backward_hand(void **state) {
    (void)state;
    const double ones[4] = {1, 1, 1, 1};
    double dx[9], dw[4], db;
    ref_window g = window(1, 3, 3, 1, 2, 2, 1, 1, 0);
    /* Each input gets the sum of the kernel taps that ever cover it. */
    ref_conv2d_backward_data(&g, ones, K22, dx);
    EXACT("conv dx", dx, ((double[]){1, 3, 2, 4, 10, 6, 3, 7, 4}), 9);
    /* Each tap gets the sum of the inputs it ever covers. */
    ref_conv2d_backward_filter(&g, X33, ones, dw, &db);
    EXACT("conv dw", dw, ((double[]){12, 16, 24, 28}), 4);
    EXACT("conv db", &db, ((double[]){4}), 1);
}

/* "same" must equal "valid" on an input zero-padded by hand with the same split, on an odd
 * multi-channel shape with stride 2. Rows: out 3, pad total 2*2 + 4 - 5 = 3, 1 top, 2 bottom.
 * Columns: out 2, pad total 1*2 + 3 - 4 = 1, 0 left, 1 right. */
static void test_conv_same_is_padded_valid(void **state) {
    (void)state;
    enum { C = 2, H = 5, W = 4, K = 3, KH = 4, KW = 3, PT = 1, PB = 2, PL = 0, PR = 1 };
    enum { HP = H + PT + PB, WP = W + PL + PR };
    double x[C * H * W], xp[C * HP * WP], wt[K * C * KH * KW], y1[K * 3 * 2], y2[K * 3 * 2];
    test_fill_uniform_d(x, C * H * W, -1, 1, 1);
    test_fill_uniform_d(wt, K * C * KH * KW, -1, 1, 2);
    memset(xp, 0, sizeof xp);
    for (int c = 0; c < C; c++)
        for (int i = 0; i < H; i++)
            for (int j = 0; j < W; j++)
                xp[(c * HP + i + PT) * WP + j + PL] = x[(c * H + i) * W + j];
    ref_window same = window(C, H, W, K, KH, KW, 2, 2, 1);
    ref_window valid = window(C, HP, WP, K, KH, KW, 2, 2, 0);
    assert_true(same.pad_top == PT && same.pad_left == PL);
    assert_true(same.oh == 3 && same.ow == 2 && valid.oh == 3 && valid.ow == 2);
    ref_conv2d_forward(&same, x, wt, NULL, y1);
    ref_conv2d_forward(&valid, xp, wt, NULL, y2);
    EXACT("conv same vs padded valid", y1, y2, (size_t)K * 3 * 2);
}

/* ---- pooling ---- */

static void test_maxpool_hand(void **state) {
    (void)state;
    const double x[16] = {1, 5, 2, 0, 3, 4, 8, 6, 7, 0, 1, 2, 9, 3, 4, 5};
    const double dy[4] = {1, 2, 3, 4};
    double y[4], dx[16];
    ref_window g = window(1, 4, 4, 1, 2, 2, 2, 2, 0);
    ref_maxpool_forward(&g, x, y);
    EXACT("maxpool", y, ((double[]){5, 8, 9, 5}), 4);
    ref_maxpool_backward(&g, x, dy, dx);
    EXACT("maxpool dx", dx, ((double[]){0, 1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 3, 0, 0, 4}), 16);
}

/* All-negative input: padding read as 0 would win every edge window. */
static void test_maxpool_same_negative(void **state) {
    (void)state;
    double x[9], y[4];
    for (int i = 0; i < 9; i++)
        x[i] = -X33[i];
    ref_window g = window(1, 3, 3, 1, 2, 2, 2, 2, 1);
    ref_maxpool_forward(&g, x, y);
    EXACT("maxpool same negative", y, ((double[]){-1, -3, -7, -9}), 4);
}

static void test_maxpool_ties_and_overlap(void **state) {
    (void)state;
    const double flat[4] = {7, 7, 7, 7}, one = 1;
    double y, dx[9];
    ref_window g = window(1, 2, 2, 1, 2, 2, 2, 2, 0);
    ref_maxpool_forward(&g, flat, &y);
    ref_maxpool_backward(&g, flat, &one, dx);
    EXACT("maxpool tie: first wins", dx, ((double[]){1, 0, 0, 0}), 4);

    /* Stride 1, 2x2 windows: the centre is the maximum of all four and collects all four. */
    const double peak[9] = {1, 2, 3, 4, 9, 5, 6, 7, 8}, ones[4] = {1, 1, 1, 1};
    g = window(1, 3, 3, 1, 2, 2, 1, 1, 0);
    ref_maxpool_backward(&g, peak, ones, dx);
    EXACT("maxpool overlap", dx, ((double[]){0, 0, 0, 0, 4, 0, 0, 0, 0}), 9);
}

/* ---- relu, dense ---- */

static void test_relu_hand(void **state) {
    (void)state;
    const double x[4] = {-2, 0, 0.5, 3}, dy[4] = {1, 1, 1, 1};
    double y[4], dx[4];
    ref_relu_forward(x, y, 4);
    EXACT("relu", y, ((double[]){0, 0, 0.5, 3}), 4);
    ref_relu_backward(x, dy, dx, 4);
    EXACT("relu dx (0 at the kink)", dx, ((double[]){0, 0, 1, 1}), 4);
}

static void test_dense_hand(void **state) {
    (void)state;
    const double x[2] = {1, 2}, w[3 * 2] = {1, 0, 0, 1, 1, 1}, b[3] = {0.5, -1, 0};
    const double dy[3] = {1, 2, 3};
    double y[3], dx[2], dw[6], db[3];
    ref_dense_forward(x, w, b, y, 1, 2, 3);
    EXACT("dense", y, ((double[]){1.5, 1, 3}), 3);
    ref_dense_backward(x, w, dy, dx, dw, db, 1, 2, 3);
    EXACT("dense dx", dx, ((double[]){4, 5}), 2);
    EXACT("dense dw", dw, ((double[]){1, 2, 2, 4, 3, 6}), 6);
    EXACT("dense db", db, dy, 3);
}

/* ---- softmax cross-entropy ---- */

static void test_softmax_uniform(void **state) {
    (void)state;
    const double z[2 * 4] = {3, 3, 3, 3, -1, -1, -1, -1};
    const int labels[2] = {1, 3};
    double p[8], dz[8];
    double loss = ref_softmax_xent_forward(z, labels, p, 2, 4);
    EXACT("softmax uniform loss", &loss, ((double[]){log(4.0)}), 1);
    EXACT("softmax uniform", p, ((double[]){.25, .25, .25, .25, .25, .25, .25, .25}), 8);
    /* (p - onehot) / n with n = 2. */
    ref_softmax_xent_backward(z, labels, dz, 2, 4);
    EXACT("softmax uniform dz", dz, ((double[]){.125, -.375, .125, .125, .125, .125, .125, -.375}),
          8);
}

static void test_softmax_hand(void **state) {
    (void)state;
    /* exp(0) : exp(log 3) = 1 : 3. */
    const double z[2] = {0, log(3.0)};
    const int label = 1;
    double p[2];
    double loss = ref_softmax_xent_forward(z, &label, p, 1, 2);
    EXACT("softmax 1:3", p, ((double[]){0.25, 0.75}), 2);
    EXACT("softmax 1:3 loss", &loss, ((double[]){-log(0.75)}), 1);
}

/* Logits far outside exp's range: a naive softmax gives inf/inf or log(0). */
static void test_softmax_stable(void **state) {
    (void)state;
    const double z[2 * 2] = {1000, 1000, -1000, 1000};
    const int labels[2] = {0, 0};
    double p[4];
    double loss = ref_softmax_xent_forward(z, labels, p, 2, 2);
    /* Mean of log 2 and (1000 - (-1000)) = 2000. */
    EXACT("softmax large loss", &loss, ((double[]){(log(2.0) + 2000) / 2}), 1);
    EXACT("softmax large", p, ((double[]){0.5, 0.5, 0, 1}), 4);
}

/* ---- optimizers ---- */

static void test_adam(void **state) {
    (void)state;
    double p[3] = {1, -1, 0.5}, m[3] = {0}, v[3] = {0};
    const double g1[3] = {0.5, -2, 0.01}, g2[3] = {0.25, 1, -0.01};
    /* Step 1 moves each parameter by lr * sign(g), up to eps / (sqrt(1 - b2) |g|). */
    ref_adam_step(p, g1, m, v, 3, 0.1, 0.9, 0.999, 1e-7, 1);
    assert_true(ref_allclose("adam t=1 ~ lr sign(g)", p, ((double[]){0.9, -0.9, 0.4}), 3, 0, 1e-4));
    EXACT("adam t=1", p, ((double[]){0.9000006324515321, -0.900000158113633, 0.40003161277976296}),
          3);
    ref_adam_step(p, g2, m, v, 3, 0.1, 0.9, 0.999, 1e-7, 2);
    EXACT("adam t=2", p, ((double[]){0.8067831960988964, -0.8733664918283603, 0.40529359376551766}),
          3);
}

static void test_sgd(void **state) {
    (void)state;
    double p[2] = {1, -1};
    const double g[2] = {0.5, -2}, one = 1;
    ref_sgd_step(p, g, NULL, 2, 0.1, 0, 0);
    EXACT("sgd", p, ((double[]){0.95, -0.8}), 2);

    /* Constant gradient 1, lr 0.1, momentum 0.9: v = -0.1, -0.19. */
    double q = 0, vel = 0;
    ref_sgd_step(&q, &one, &vel, 1, 0.1, 0.9, 0);
    EXACT("sgd momentum t=1", &q, ((double[]){-0.1}), 1);
    ref_sgd_step(&q, &one, &vel, 1, 0.1, 0.9, 0);
    EXACT("sgd momentum t=2", &q, ((double[]){-0.29}), 1);

    /* Nesterov: p += 0.9 v - 0.1 = -0.19, then -0.19 + 0.9 (-0.19) - 0.1 = -0.461. */
    q = 0, vel = 0;
    ref_sgd_step(&q, &one, &vel, 1, 0.1, 0.9, 1);
    EXACT("sgd nesterov t=1", &q, ((double[]){-0.19}), 1);
    ref_sgd_step(&q, &one, &vel, 1, 0.1, 0.9, 1);
    EXACT("sgd nesterov t=2", &q, ((double[]){-0.461}), 1);
}

static void test_rmsprop(void **state) {
    (void)state;
    /* Constant gradient 1, lr 0.01, rho 0.9: a = 0.1, 0.19; inc = 0.01 / sqrt(a + 1e-7). */
    const double one = 1;
    double p = 0, acc = 0;
    ref_rmsprop_step(&p, &one, &acc, NULL, 1, 0.01, 0.9, 0, 1e-7);
    EXACT("rmsprop t=1", &p, ((double[]){-0.031622760790307354}), 1);
    ref_rmsprop_step(&p, &one, &acc, NULL, 1, 0.01, 0.9, 0, 1e-7);
    EXACT("rmsprop t=2", &p, ((double[]){-0.05456432814010976}), 1);

    /* Momentum 0.5: p = -inc1, then -(1.5 inc1 + inc2). */
    double mom = 0;
    p = 0, acc = 0;
    ref_rmsprop_step(&p, &one, &acc, &mom, 1, 0.01, 0.9, 0.5, 1e-7);
    ref_rmsprop_step(&p, &one, &acc, &mom, 1, 0.01, 0.9, 0.5, 1e-7);
    EXACT("rmsprop momentum t=2", &p, ((double[]){-0.07037570853526344}), 1);

    /* A tiny gradient pins where eps goes: sqrt(a + eps) gives 3.1e-3, sqrt(a) + eps 3.1e-2. */
    const double tiny = 1e-4;
    p = 0, acc = 0;
    ref_rmsprop_step(&p, &tiny, &acc, NULL, 1, 0.01, 0.9, 0, 1e-7);
    EXACT("rmsprop eps inside sqrt", &p, ((double[]){-0.003146583877637764}), 1);
}

/* ---- augmentation ---- */

/* The generator is splitmix64: its first output for seed 0 is a known constant. */
static void test_rand(void **state) {
    (void)state;
    /* splitmix64(state 0) = 0xe220a8397b1dcdaf; our counter 0 with key 0 is that state. */
    assert_int_equal(ref_rand_u32(0, 0), 0xe220a839u);
    double sum = 0;
    for (int i = 0; i < 10000; i++) sum += ref_rand_uniform(7, (unsigned long long)i);
    assert_true(fabs(sum / 10000 - 0.5) < 0.01);
}

static void test_augment_identity_and_flip(void **state) {
    (void)state;
    unsigned char img[12];
    for (int i = 0; i < 12; i++) img[i] = (unsigned char)(10 * i);
    ref_augment_cfg cfg = {.fill_mode = 1};
    double p[10], out[12];
    ref_augment_params(&cfg, 5, 0, 3, 4, p);
    ref_augment_apply(&cfg, p, img, 1, 3, 4, 1.0, out);
    for (int i = 0; i < 12; i++) assert_true(out[i] == img[i]);
    double flip[10] = {-1, 0, 3, 0, 1, 0, 0, 0, 0, 0};
    ref_augment_apply(&cfg, flip, img, 1, 3, 4, 1.0, out);
    for (int y = 0; y < 3; y++)
        for (int x = 0; x < 4; x++) assert_true(out[y * 4 + x] == img[y * 4 + 3 - x]);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_window_resolve),
        cmocka_unit_test(test_conv_forward_hand),
        cmocka_unit_test(test_conv_layout),
        cmocka_unit_test(test_conv_backward_hand),
        cmocka_unit_test(test_conv_same_is_padded_valid),
        cmocka_unit_test(test_maxpool_hand),
        cmocka_unit_test(test_maxpool_same_negative),
        cmocka_unit_test(test_maxpool_ties_and_overlap),
        cmocka_unit_test(test_relu_hand),
        cmocka_unit_test(test_dense_hand),
        cmocka_unit_test(test_softmax_uniform),
        cmocka_unit_test(test_softmax_hand),
        cmocka_unit_test(test_softmax_stable),
        cmocka_unit_test(test_adam),
        cmocka_unit_test(test_sgd),
        cmocka_unit_test(test_rmsprop),
        cmocka_unit_test(test_rand),
        cmocka_unit_test(test_augment_identity_and_flip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
