/* tests/opencl/test_augment.c: the augmentation kernels (kernels/augment.cl). gather_augment on
 * known images with hand-written transforms (flips, whole-pixel shifts under each fill mode, a
 * quarter turn, a zoom and a rotation on a linear ramp, where bilinear sampling is exact, and an
 * erased box), then against the reference on random transforms; augment_params against the
 * reference's draws, for determinism, and for Keras' ranges and rates. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn.h"
#include "ref/ref.h"
#include "test_util.h"


/* The gather kernel's settings. */
typedef struct gather_cfg {
    int mode, nearest;
    float fill;
} gather_cfg;

/* n examples of c x h x w uint8 images sampled through params (12 floats per example), in
 * storage order. Returns n*c*h*w floats (inv_scale 1). */
static float *gather(const unsigned char *images, int n, int c, int h, int w,
                     const float *params, gather_cfg g) {
    size_t ex = (size_t)c * h * w;
    cl_mem img, lab, ord, par, x, bl;
    assert_int_equal(clcnn_buffer_create(test_ctx, n * ex, &img), CLCNN_STATUS_OK);
    assert_int_equal(clcnn_buffer_create(test_ctx, (size_t)n, &lab), CLCNN_STATUS_OK);
    assert_int_equal(clcnn_buffer_create(test_ctx, (size_t)n * 4, &ord), CLCNN_STATUS_OK);
    assert_int_equal(clcnn_buffer_create(test_ctx, (size_t)n * 48, &par), CLCNN_STATUS_OK);
    assert_int_equal(clcnn_buffer_create(test_ctx, n * ex * 4, &x), CLCNN_STATUS_OK);
    assert_int_equal(clcnn_buffer_create(test_ctx, (size_t)n, &bl), CLCNN_STATUS_OK);
    uint32_t *order = malloc((size_t)n * 4);
    unsigned char *labels = calloc((size_t)n, 1);
    for (int i = 0; i < n; i++) order[i] = (uint32_t)i;
    assert_int_equal(clcnn_buffer_write(test_ctx, img, 0, n * ex, images), CLCNN_STATUS_OK);
    assert_int_equal(clcnn_buffer_write(test_ctx, lab, 0, (size_t)n, labels), CLCNN_STATUS_OK);
    assert_int_equal(clcnn_buffer_write(test_ctx, ord, 0, (size_t)n * 4, order), CLCNN_STATUS_OK);
    assert_int_equal(clcnn_buffer_write(test_ctx, par, 0, (size_t)n * 48, params), CLCNN_STATUS_OK);
    cl_kernel k;
    assert_int_equal(clcnn_kernel_get(test_ctx, "augment.cl", "gather_augment", &k), CLCNN_STATUS_OK);
    int start = 0;
    float inv = 1.0f;
    cl_uint chunk_first = 0, chunk_n = (cl_uint)n; /* the whole set as one chunk */
    clcnn_arg args[] = {CLCNN_ARG(img),  CLCNN_ARG(lab), CLCNN_ARG(ord), CLCNN_ARG(start),
                        CLCNN_ARG(c),    CLCNN_ARG(h),   CLCNN_ARG(w),   CLCNN_ARG(inv),
                        CLCNN_ARG(par),  CLCNN_ARG(g.mode), CLCNN_ARG(g.fill), CLCNN_ARG(g.nearest),
                        CLCNN_ARG(x),    CLCNN_ARG(bl), CLCNN_ARG(chunk_first), CLCNN_ARG(chunk_n)};
    size_t global[3] = {(size_t)w, (size_t)h, (size_t)n};
    assert_int_equal(clcnn_launch(test_ctx, k, 3, global, NULL, args, 16), CLCNN_STATUS_OK);
    float *out = malloc(n * ex * 4);
    assert_int_equal(clcnn_buffer_read(test_ctx, x, 0, n * ex * 4, out), CLCNN_STATUS_OK);
    cl_mem all[] = {img, lab, ord, par, x, bl};
    for (int i = 0; i < 6; i++) clReleaseMemObject(all[i]);
    free(order), free(labels);
    return out;
}

/* A one-example transform: input = A (x, y) + b; no erasing. */
static void affine(float *p, float a00, float a01, float b0, float a10, float a11, float b1) {
    memset(p, 0, 12 * sizeof *p);
    p[0] = a00, p[1] = a01, p[2] = b0, p[3] = a10, p[4] = a11, p[5] = b1;
}

enum { H = 5, W = 6 };

/* img[y][x] = 10 x + 40 y + 3: distinct values, and linear, so bilinear sampling inside the
 * image returns the ramp at the sampled point exactly. */
static void ramp(unsigned char *img) {
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) img[y * W + x] = (unsigned char)(10 * x + 40 * y + 3);
}

static void test_flips(void **state) {
    (void)state;
    unsigned char img[H * W];
    ramp(img);
    float p[12];
    gather_cfg g = {1, 0, 0};
    affine(p, -1, 0, W - 1, 0, 1, 0); /* horizontal: x_in = W-1-x */
    float *out = gather(img, 1, 1, H, W, p, g);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) assert_true(out[y * W + x] == img[y * W + W - 1 - x]);
    free(out);
    affine(p, 1, 0, 0, 0, -1, H - 1); /* vertical */
    out = gather(img, 1, 1, H, W, p, g);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) assert_true(out[y * W + x] == img[(H - 1 - y) * W + x]);
    free(out);
}

/* Shifting right by 2 (x_in = x - 2): columns 0 and 1 come from x_in = -2 and -1. */
static void test_shift_fill_modes(void **state) {
    (void)state;
    unsigned char img[H * W];
    ramp(img);
    float p[12];
    affine(p, 1, 0, -2, 0, 1, 0);
    const int src0[4] = {1, -1, 0, W - 2}, src1[4] = {0, -1, 0, W - 1}; /* reflect constant nearest wrap */
    for (int mode = 0; mode < 4; mode++)
        for (int nearest = 0; nearest < 2; nearest++) {
            gather_cfg g = {mode, nearest, 7};
            float *out = gather(img, 1, 1, H, W, p, g);
            for (int y = 0; y < H; y++) {
                for (int x = 2; x < W; x++) assert_true(out[y * W + x] == img[y * W + x - 2]);
                float want0 = src0[mode] < 0 ? 7 : img[y * W + src0[mode]];
                float want1 = src1[mode] < 0 ? 7 : img[y * W + src1[mode]];
                if (out[y * W] != want0 || out[y * W + 1] != want1)
                    fail_msg("fill mode %d row %d: got %g %g, want %g %g", mode, y, out[y * W],
                             out[y * W + 1], want0, want1);
            }
            free(out);
        }
}

/* Where a shift right by 2 reads output column x (< 2) from under each fill mode's name; -1 is
 * the constant. */
static int shifted_source(const char *fill_mode, int x) {
    if (!strcmp(fill_mode, "reflect")) return 1 - x;
    if (!strcmp(fill_mode, "nearest")) return 0;
    if (!strcmp(fill_mode, "wrap")) return W - 2 + x;
    if (!strcmp(fill_mode, "constant")) return -1;
    fail_msg("fill mode '%s' has no expectation here: add one", fill_mode);
    return -1;
}

/* The modes by the names a config gives: the value each name has in clcnn/enums.h (which the
 * kernel sees as FILL_* and INTERPOLATION_*) selects the behaviour the name means. */
static void test_modes_by_name(void **state) {
    (void)state;
    unsigned char img[H * W];
    ramp(img);
    float p[12];
    affine(p, 1, 0, -2, 0, 1, 0);
    for (int i = 0; i < clcnn_fill_mode_names.count; i++) {
        const clcnn_name *mode = &clcnn_fill_mode_names.rows[i];
        float *out = gather(img, 1, 1, H, W, p, (gather_cfg){mode->value, 0, 9});
        for (int y = 0; y < H; y++)
            for (int x = 0; x < 2; x++) {
                int src = shifted_source(mode->name, x);
                float want = src < 0 ? 9.0f : img[y * W + src];
                if (out[y * W + x] != want)
                    fail_msg("%s: (%d, %d) is %g, want %g", mode->name, y, x, out[y * W + x], want);
            }
        free(out);
    }
    /* A quarter-pixel shift inside the ramp: bilinear reads 2.5 below the pixel, nearest it. */
    affine(p, 1, 0, -0.25f, 0, 1, 0);
    clcnn_interpolation kinds[] = {CLCNN_INTERPOLATION_BILINEAR, CLCNN_INTERPOLATION_NEAREST};
    const char *names[] = {"bilinear", "nearest"};
    for (int i = 0; i < 2; i++) {
        clcnn_interpolation parsed = CLCNN_INTERPOLATION_COUNT;
        assert_int_equal(clcnn_interpolation_parse(names[i], &parsed), CLCNN_STATUS_OK);
        assert_int_equal(parsed, kinds[i]);
        float *out = gather(img, 1, 1, H, W, p, (gather_cfg){CLCNN_FILL_REFLECT, parsed, 0});
        for (int x = 1; x < W; x++)
            assert_true(out[2 * W + x] == img[2 * W + x] - (i == 0 ? 2.5f : 0.0f));
        free(out);
    }
    assert_int_equal(clcnn_interpolation_names.count, 2);
}

/* A quarter turn of a square image about its centre, and a 2x zoom-in and a rotation of the
 * ramp, checked where the source point lies inside the image. */
static void test_rotation_zoom(void **state) {
    (void)state;
    enum { S = 5 };
    unsigned char sq[S * S];
    for (int i = 0; i < S * S; i++) sq[i] = (unsigned char)(7 * i + 1);
    float p[12];
    gather_cfg g = {1, 0, 0};
    affine(p, 0, -1, S - 1, 1, 0, 0); /* x_in = 4 - y, y_in = x */
    float *out = gather(sq, 1, 1, S, S, p, g);
    for (int y = 0; y < S; y++)
        for (int x = 0; x < S; x++) assert_true(out[y * S + x] == sq[x * S + (S - 1 - y)]);
    free(out);

    unsigned char img[H * W];
    ramp(img);
    float cx = 0.5f * (W - 1), cy = 0.5f * (H - 1), th = 0.3f, z = 0.5f;
    float tr[2][6] = {{z, 0, cx * (1 - z), 0, z, cy * (1 - z)}, /* RandomZoom's matrix, zoom in */
                      {cosf(th), -sinf(th), 0, sinf(th), cosf(th), 0}};
    tr[1][2] = cx - tr[1][0] * cx - tr[1][1] * cy, tr[1][5] = cy - tr[1][3] * cx - tr[1][4] * cy;
    for (int t = 0; t < 2; t++) {
        affine(p, tr[t][0], tr[t][1], tr[t][2], tr[t][3], tr[t][4], tr[t][5]);
        out = gather(img, 1, 1, H, W, p, g);
        int inside = 0;
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                double xi = tr[t][0] * x + tr[t][1] * y + tr[t][2], yi = tr[t][3] * x + tr[t][4] * y + tr[t][5];
                if (xi < 0 || yi < 0 || xi > W - 1 || yi > H - 1) continue;
                inside++;
                if (fabs(out[y * W + x] - (10 * xi + 40 * yi + 3)) > 1e-3)
                    fail_msg("transform %d at (%d, %d): got %g, want %g", t, x, y, out[y * W + x],
                             10 * xi + 40 * yi + 3);
            }
        assert_true(inside >= 12);
        free(out);
    }
}

static void test_erasing(void **state) {
    (void)state;
    unsigned char img[2 * H * W];
    ramp(img);
    ramp(img + H * W);
    float p[12];
    affine(p, 1, 0, 0, 0, 1, 0);
    p[6] = 1, p[7] = 2, p[8] = 4, p[9] = 5; /* columns 1..3, rows 2..4 */
    gather_cfg g = {0, 0, 0};
    float *out = gather(img, 1, 2, H, W, p, g);
    for (int c = 0; c < 2; c++)
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                int in_box = x >= 1 && x < 4 && y >= 2;
                assert_true(out[(c * H + y) * W + x] == (in_box ? 0 : img[y * W + x]));
            }
    free(out);
}

/* Draws n examples' transforms with augment_params. */
static float *draw(const ref_augment_cfg *a, cl_ulong key, int n, int h, int w) {
    cl_mem par;
    assert_int_equal(clcnn_buffer_create(test_ctx, (size_t)n * 48, &par), CLCNN_STATUS_OK);
    cl_kernel k;
    assert_int_equal(clcnn_kernel_get(test_ctx, "augment.cl", "augment_params", &k), CLCNN_STATUS_OK);
    float f[8] = {(float)a->width_shift, (float)a->height_shift, (float)a->zoom, (float)a->rotation,
                  (float)a->erasing, (float)a->area_min, (float)a->area_max, (float)a->ratio};
    clcnn_arg args[15] = {CLCNN_ARG(key), CLCNN_ARG(h), CLCNN_ARG(w), CLCNN_ARG(a->hflip),
                          CLCNN_ARG(a->vflip)};
    for (int i = 0; i < 8; i++) args[5 + i] = CLCNN_ARG(f[i]);
    args[13] = CLCNN_ARG(par);
    args[14] = CLCNN_ARG(n);
    size_t global = (size_t)n;
    assert_int_equal(clcnn_launch(test_ctx, k, 1, &global, NULL, args, 15), CLCNN_STATUS_OK);
    float *p = malloc((size_t)n * 48);
    assert_int_equal(clcnn_buffer_read(test_ctx, par, 0, (size_t)n * 48, p), CLCNN_STATUS_OK);
    clReleaseMemObject(par);
    return p;
}

static const ref_augment_cfg ALL = {1, 1, 0.1, 0.15, 0.2, 0.05, 0.5, 0.02, 0.33, 0.3, 0, 0, 0};

/* The device's draws are the reference's, and random images sampled through them match. */
static void test_params_and_sampling_match_reference(void **state) {
    (void)state;
    enum { N = 37, C = 3, HH = 13, WW = 11 };
    float *p = draw(&ALL, 12345, N, HH, WW);
    unsigned char *img = malloc(N * C * HH * WW);
    for (int i = 0; i < N * C * HH * WW; i++) img[i] = (unsigned char)((i * 2654435761u) >> 24);
    for (int mode = 0; mode < 4; mode++) {
        ref_augment_cfg cfg = ALL;
        cfg.fill_mode = mode, cfg.fill = 9, cfg.nearest = mode == 3;
        gather_cfg g = {mode, cfg.nearest, 9};
        float *out = gather(img, N, C, HH, WW, p, g);
        for (int b = 0; b < N; b++) {
            double rp[10], dp[10], want[C * HH * WW];
            ref_augment_params(&cfg, 12345, b, HH, WW, rp);
            for (int i = 0; i < 10; i++) dp[i] = p[b * 12 + i];
            assert_true(test_allclose("params: matrix", p + b * 12, rp, 6, 1e-5, 1e-5));
            assert_true(test_allclose("params: erased box", p + b * 12 + 6, rp + 6, 4, 0, 0));
            ref_augment_apply(&cfg, dp, img + (size_t)b * C * HH * WW, C, HH, WW, 1.0, want);
            char what[64];
            snprintf(what, sizeof what, "sampling, mode %d, example %d", mode, b);
            assert_true(test_allclose(what, out + (size_t)b * C * HH * WW, want, C * HH * WW, 1e-4, 1e-3));
        }
        free(out);
    }
    free(p), free(img);
}

/* Keras' meanings over many draws: flips half the time; shifts, zoom and angle within their
 * factors and reaching both ends; erasing at its rate with areas in range; a key gives the same
 * draws again and another key others. */
static void test_params_distribution(void **state) {
    (void)state;
    enum { N = 4000, HH = 28, WW = 20 };
    float *p = draw(&ALL, 99, N, HH, WW), *again = draw(&ALL, 99, N, HH, WW), *other = draw(&ALL, 100, N, HH, WW);
    assert_memory_equal(p, again, (size_t)N * 48);
    assert_true(memcmp(p, other, (size_t)N * 48) != 0);
    int hflips = 0, erased = 0;
    double max_tx = 0, min_z = 9, max_z = 0, max_th = 0;
    for (int b = 0; b < N; b++) {
        const float *q = p + b * 12;
        double det = (double)q[0] * q[4] - (double)q[1] * q[3]; /* +-z^2 */
        double z = sqrt(fabs(det)), sy = q[4] < 0 ? -1 : 1; /* |angle| < 90 degrees: cos > 0 */
        hflips += q[0] * q[4] - q[1] * q[3] < 0; /* (vflip is on too: det < 0 when exactly one) */
        min_z = fmin(min_z, z), max_z = fmax(max_z, z);
        max_th = fmax(max_th, fabs(atan2(q[3] * sy, q[4] * sy)));
        /* the centre goes to c - A t: recover t */
        double cx = 0.5 * (WW - 1), cy = 0.5 * (HH - 1), ux = q[0] * cx + q[1] * cy + q[2] - cx,
               uy = q[3] * cx + q[4] * cy + q[5] - cy;
        double inv = 1.0 / det, tx = -(q[4] * ux - q[1] * uy) * inv;
        max_tx = fmax(max_tx, fabs(tx));
        if (q[8] > q[6]) {
            erased++;
            double area = (double)(q[8] - q[6]) * (q[9] - q[7]) / (HH * WW);
            assert_true(area > 0.005 && area < 0.45);
            assert_true(q[6] >= 0 && q[8] <= WW && q[7] >= 0 && q[9] <= HH);
        }
    }
    assert_true(fabs(hflips - N / 2.0) < 5 * sqrt(N / 4.0)); /* one of two flips: p 0.5 */
    assert_true(fabs(erased - 0.5 * N) < 5 * sqrt(N / 4.0));
    assert_true(max_tx <= 0.1 * WW + 1e-3 && max_tx > 0.09 * WW);
    assert_true(min_z >= 0.8 - 1e-4 && min_z < 0.81 && max_z <= 1.2 + 1e-4 && max_z > 1.19);
    assert_true(max_th <= 0.05 * 2 * 3.14159265358979 + 1e-4 && max_th > 0.049 * 2 * 3.14159265358979);
    free(p), free(again), free(other);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flips),
        cmocka_unit_test(test_shift_fill_modes),
        cmocka_unit_test(test_modes_by_name),
        cmocka_unit_test(test_rotation_zoom),
        cmocka_unit_test(test_erasing),
        cmocka_unit_test(test_params_and_sampling_match_reference),
        cmocka_unit_test(test_params_distribution),
    };
    return cmocka_run_group_tests(tests, test_device_setup, test_device_teardown);
}
