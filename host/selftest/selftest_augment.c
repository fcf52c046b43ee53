/* selftest/selftest_augment.c: `clcnn selftest`'s rows for the augmentation kernels
 * (kernels/augment.cl) against host/ref/ref_augment.c, on 7 examples of 3 x 13 x 11 (odd, no
 * multiple of any work-group size): each transform alone and all together, augment_params' draws
 * (the affine map and the erased box) and gather_augment's sampling through the device's own draws
 * (so a row isolates its kernel) under every fill mode and interpolation of clcnn/enums.h. */
#include <stdlib.h>

#include "core/core.h"
#include "ref/ref.h"
#include "selftest/selftest.h"

enum { AUG_N = 7, AUG_C = 3, AUG_H = 13, AUG_W = 11, AUG_FLOATS = 12 };

typedef struct aug_case {
    const char *name;
    ref_augment_cfg cfg;
} aug_case;

/* hflip vflip width_shift height_shift zoom rotation erasing area_min area_max ratio. */
static const aug_case aug_cases[] = {
    {"flips", {1, 1, 0, 0, 0, 0, 0, 0.02, 0.33, 0.3, 0, 0, 0}},
    {"translation", {0, 0, 0.2, 0.15, 0, 0, 0, 0.02, 0.33, 0.3, 0, 0, 0}},
    {"rotation", {0, 0, 0, 0, 0, 0.1, 0, 0.02, 0.33, 0.3, 0, 0, 0}},
    {"zoom", {0, 0, 0, 0, 0.3, 0, 0, 0.02, 0.33, 0.3, 0, 0, 0}},
    {"erasing", {0, 0, 0, 0, 0, 0, 1, 0.02, 0.33, 0.3, 0, 0, 0}},
    {"all", {1, 1, 0.1, 0.15, 0.2, 0.05, 0.5, 0.02, 0.33, 0.3, 0, 0, 0}},
};

typedef struct aug_bufs {
    cl_mem images, labels, order, params, x, batch_labels;
} aug_bufs;

static void aug_bufs_free(aug_bufs *b) {
    cl_mem all[] = {b->images, b->labels, b->order, b->params, b->x, b->batch_labels};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (all[i]) clReleaseMemObject(all[i]);
}

/* Random uint8 images, labels 0 and the order 0..n-1 on the device. */
static clcnn_status aug_bufs_make(clcnn_context *ctx, const unsigned char *images, aug_bufs *b) {
    size_t ex = (size_t)AUG_C * AUG_H * AUG_W;
    size_t bytes[] = {AUG_N * ex,
                      AUG_N,
                      AUG_N * sizeof(cl_uint),
                      AUG_N * AUG_FLOATS * sizeof(float),
                      AUG_N * ex * sizeof(float),
                      AUG_N};
    cl_mem *out[] = {&b->images, &b->labels, &b->order, &b->params, &b->x, &b->batch_labels};
    for (size_t i = 0; i < sizeof out / sizeof out[0]; i++)
        CLCNN_TRY(clcnn_buffer_create(ctx, bytes[i], out[i]));
    cl_uint order[AUG_N];
    unsigned char labels[AUG_N] = {0};
    for (int i = 0; i < AUG_N; i++)
        order[i] = (cl_uint)i;
    CLCNN_TRY(clcnn_buffer_write(ctx, b->images, 0, bytes[0], images));
    CLCNN_TRY(clcnn_buffer_write(ctx, b->labels, 0, sizeof labels, labels));
    return clcnn_buffer_write(ctx, b->order, 0, sizeof order, order);
}

/* augment_params for the case's settings and step key, read back into params. */
static clcnn_status draw(clcnn_context *ctx, const aug_bufs *b, const ref_augment_cfg *a,
                         cl_ulong key, float *params) {
    cl_kernel k;
    CLCNN_TRY(clcnn_kernel_get(ctx, "augment.cl", "augment_params", &k));
    int h = AUG_H, w = AUG_W, n = AUG_N;
    float f[] = {(float)a->width_shift, (float)a->height_shift, (float)a->zoom,
                 (float)a->rotation,    (float)a->erasing,      (float)a->area_min,
                 (float)a->area_max,    (float)a->ratio};
    clcnn_arg args[] = {CLCNN_ARG(key),      CLCNN_ARG(h),         CLCNN_ARG(w),
                        CLCNN_ARG(a->hflip), CLCNN_ARG(a->vflip),  CLCNN_ARG(f[0]),
                        CLCNN_ARG(f[1]),     CLCNN_ARG(f[2]),      CLCNN_ARG(f[3]),
                        CLCNN_ARG(f[4]),     CLCNN_ARG(f[5]),      CLCNN_ARG(f[6]),
                        CLCNN_ARG(f[7]),     CLCNN_ARG(b->params), CLCNN_ARG(n)};
    size_t global = AUG_N;
    CLCNN_TRY(clcnn_launch(ctx, k, 1, &global, NULL, args, (int)(sizeof args / sizeof args[0])));
    return clcnn_buffer_read(ctx, b->params, 0, AUG_N * AUG_FLOATS * sizeof(float), params);
}

/* gather_augment of the whole set (one chunk) through the params on the device. */
static clcnn_status gather(clcnn_context *ctx, const aug_bufs *b, int mode, float fill,
                           int interpolation, float *x) {
    cl_kernel k;
    CLCNN_TRY(clcnn_kernel_get(ctx, "augment.cl", "gather_augment", &k));
    int start = 0, c = AUG_C, h = AUG_H, w = AUG_W;
    float inv_scale = 1.0f;
    cl_uint first = 0, per = AUG_N;
    clcnn_arg args[] = {CLCNN_ARG(b->images), CLCNN_ARG(b->labels),
                        CLCNN_ARG(b->order),  CLCNN_ARG(start),
                        CLCNN_ARG(c),         CLCNN_ARG(h),
                        CLCNN_ARG(w),         CLCNN_ARG(inv_scale),
                        CLCNN_ARG(b->params), CLCNN_ARG(mode),
                        CLCNN_ARG(fill),      CLCNN_ARG(interpolation),
                        CLCNN_ARG(b->x),      CLCNN_ARG(b->batch_labels),
                        CLCNN_ARG(first),     CLCNN_ARG(per)};
    size_t global[3] = {AUG_W, AUG_H, AUG_N};
    CLCNN_TRY(clcnn_launch(ctx, k, 3, global, NULL, args, (int)(sizeof args / sizeof args[0])));
    size_t floats = (size_t)AUG_N * AUG_C * AUG_H * AUG_W;
    return clcnn_buffer_read(ctx, b->x, 0, floats * sizeof(float), x);
}

/* The draws' row: the affine map (float rounding of the reference's double) and the erased
 * box (integers, so any difference fails). */
static clcnn_status params_row(clcnn_context *ctx, const aug_bufs *b, const aug_case *ac,
                               cl_ulong key, float *params, clcnn_selftest_check check, void *st) {
    CLCNN_TRY(draw(ctx, b, &ac->cfg, key, params)); /* pays the build; the second is timed */
    double t0 = clcnn_now();
    CLCNN_TRY(draw(ctx, b, &ac->cfg, key, params));
    double seconds = clcnn_now() - t0;
    float got[AUG_N * 10];
    double want[AUG_N * 10];
    for (int e = 0; e < AUG_N; e++) {
        ref_augment_params(&ac->cfg, key, e, AUG_H, AUG_W, want + e * 10);
        for (int i = 0; i < 10; i++)
            got[e * 10 + i] = params[e * AUG_FLOATS + i];
    }
    check(st, "augment_params", ac->name, got, want, AUG_N * 10, 1e-5, 1e-5, seconds);
    return CLCNN_STATUS_OK;
}

/* The sampling's row for one fill mode and interpolation, in pixel units. */
static clcnn_status gather_row(clcnn_context *ctx, const aug_bufs *b, const aug_case *ac,
                               const unsigned char *images, const float *params,
                               const clcnn_name *mode, const clcnn_name *interp, float *x,
                               double *want, clcnn_selftest_check check, void *st) {
    const float fill = 9.0f;
    CLCNN_TRY(gather(ctx, b, mode->value, fill, interp->value, x)); /* as draw's */
    double t0 = clcnn_now();
    CLCNN_TRY(gather(ctx, b, mode->value, fill, interp->value, x));
    double seconds = clcnn_now() - t0;
    ref_augment_cfg cfg = ac->cfg;
    cfg.fill_mode = mode->value, cfg.fill = fill;
    cfg.nearest = interp->value == CLCNN_INTERPOLATION_NEAREST;
    size_t ex = (size_t)AUG_C * AUG_H * AUG_W;
    for (int e = 0; e < AUG_N; e++) {
        double p[10];
        for (int i = 0; i < 10; i++)
            p[i] = params[e * AUG_FLOATS + i];
        ref_augment_apply(&cfg, p, images + e * ex, AUG_C, AUG_H, AUG_W, 1.0, want + e * ex);
    }
    char v[64];
    snprintf(v, sizeof v, "%s %s %s %dx%dx%dx%d", ac->name, mode->name, interp->name, AUG_N, AUG_C,
             AUG_H, AUG_W);
    check(st, "gather_augment", v, x, want, AUG_N * ex, 1e-4, 1e-3, seconds);
    return CLCNN_STATUS_OK;
}

/* Every case's draws and its sampling, reflect + bilinear; the last case (all transforms) also
 * under every other fill mode and interpolation. */
static clcnn_status run_cases(clcnn_context *ctx, const aug_bufs *b, const unsigned char *images,
                              float *x, double *want, clcnn_selftest_check check, void *st) {
    const int n_cases = (int)(sizeof aug_cases / sizeof aug_cases[0]);
    float params[AUG_N * AUG_FLOATS];
    for (int i = 0; i < n_cases; i++) {
        const aug_case *ac = &aug_cases[i];
        CLCNN_TRY(params_row(ctx, b, ac, 1000u + (cl_ulong)i, params, check, st));
        for (int m = 0; m < clcnn_fill_mode_names.count; m++)
            for (int t = 0; t < clcnn_interpolation_names.count; t++) {
                const clcnn_name *mode = &clcnn_fill_mode_names.rows[m];
                const clcnn_name *interp = &clcnn_interpolation_names.rows[t];
                int plain = mode->value == CLCNN_FILL_REFLECT &&
                            interp->value == CLCNN_INTERPOLATION_BILINEAR;
                if (!plain && i != n_cases - 1) continue;
                CLCNN_TRY(gather_row(ctx, b, ac, images, params, mode, interp, x, want, check, st));
            }
    }
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_selftest_augment(clcnn_context *ctx, clcnn_selftest_check check, void *st) {
    size_t floats = (size_t)AUG_N * AUG_C * AUG_H * AUG_W;
    unsigned char *images = malloc(floats);
    float *x = malloc(floats * sizeof *x);
    double *want = malloc(floats * sizeof *want);
    aug_bufs b = {0};
    clcnn_status s = images && x && want
                         ? CLCNN_STATUS_OK
                         : clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "selftest: out of memory");
    if (s == CLCNN_STATUS_OK) {
        for (size_t i = 0; i < floats; i++)
            images[i] = (unsigned char)((i * 2654435761u) >> 24);
        s = aug_bufs_make(ctx, images, &b);
    }
    if (s == CLCNN_STATUS_OK) s = run_cases(ctx, &b, images, x, want, check, st);
    aug_bufs_free(&b);
    free(images), free(x), free(want);
    return s;
}
