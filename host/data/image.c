/* data/image.c: one image file to a c x h x w uint8 tensor (CHW) for prediction or image
 * folders: decoded by stb_image, converted to luminance or RGB, resized.
 *
 * Debian's libstb holds stb_image's implementation, so it is only declared here. It has no
 * stb_image_resize symbols, hence the small separable resampler below: box (area) filtering
 * when shrinking, which keeps thin strokes that point sampling would drop, and bilinear with
 * pixel-centre alignment when enlarging. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stb/stb_image.h>

#include "clcnn/data.h"
#include "core/core.h"

enum { IMAGE_MAX_SIDE = 1 << 15 };

/* ---- resampling ------------------------------------------------------------------------------ */

/* One axis of a separable filter: output i is sum over k < taps of weight[i * stride + k] times
 * input first[i] + k. */
typedef struct axis_filter {
    int *first;
    float *weight;
    int stride;
    int *taps;
} axis_filter;

static void axis_free(axis_filter *a) {
    free(a->first);
    free(a->taps);
    free(a->weight);
    *a = (axis_filter){0};
}

/* Shrinking: output i averages the input span [i*s, (i+1)*s), partial pixels by their overlap. */
static void axis_box(axis_filter *a, int i, double s, int src) {
    double lo = i * s, hi = lo + s;
    int first = (int)lo, last = (int)hi;
    if (last >= src) last = src - 1;
    a->first[i] = first;
    a->taps[i] = 0;
    for (int x = first; x <= last; x++) {
        double l = x > lo ? x : lo, r = x + 1 < hi ? x + 1 : hi;
        if (r <= l) continue;
        if (a->taps[i] == 0) a->first[i] = x;
        a->weight[i * a->stride + a->taps[i]++] = (float)((r - l) / s);
    }
}

/* Enlarging: linear between the two nearest input pixel centres, clamped at the borders. */
static void axis_linear(axis_filter *a, int i, double s, int src) {
    double x = (i + 0.5) * s - 0.5;
    if (x < 0) x = 0;
    if (x > src - 1) x = src - 1;
    int x0 = (int)x;
    float f = (float)(x - x0);
    a->first[i] = x0;
    a->taps[i] = x0 + 1 < src ? 2 : 1;
    a->weight[i * a->stride] = a->taps[i] == 2 ? 1.0f - f : 1.0f;
    a->weight[i * a->stride + 1] = a->taps[i] == 2 ? f : 0.0f;
}

static clcnn_status axis_build(axis_filter *a, int src, int dst) {
    double s = (double)src / dst;
    a->stride = src > dst ? (int)s + 2 : 2;
    a->first = malloc(sizeof *a->first * dst);
    a->taps = malloc(sizeof *a->taps * dst);
    a->weight = malloc(sizeof *a->weight * (size_t)dst * a->stride);
    if (!a->first || !a->taps || !a->weight) {
        axis_free(a);
        return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory resizing an image");
    }
    for (int i = 0; i < dst; i++) {
        if (src > dst)
            axis_box(a, i, s, src);
        else
            axis_linear(a, i, s, src);
    }
    return CLCNN_STATUS_OK;
}

static uint8_t to_u8(float v) {
    v += 0.5f;
    return v <= 0.0f ? 0 : v >= 255.0f ? 255 : (uint8_t)v;
}

/* Rows first into tmp (sh x dw floats), then columns into dst (dh x dw). */
static void resize_plane(const uint8_t *src, int sw, int sh, const axis_filter *fx,
                         const axis_filter *fy, float *tmp, uint8_t *dst, int dw, int dh) {
    for (int y = 0; y < sh; y++)
        for (int x = 0; x < dw; x++) {
            const uint8_t *row = src + (size_t)y * sw + fx->first[x];
            const float *wt = fx->weight + (size_t)x * fx->stride;
            float acc = 0.0f;
            for (int k = 0; k < fx->taps[x]; k++)
                acc += wt[k] * row[k];
            tmp[(size_t)y * dw + x] = acc;
        }
    for (int y = 0; y < dh; y++) {
        const float *wt = fy->weight + (size_t)y * fy->stride;
        for (int x = 0; x < dw; x++) {
            float acc = 0.0f;
            for (int k = 0; k < fy->taps[y]; k++)
                acc += wt[k] * tmp[(size_t)(fy->first[y] + k) * dw + x];
            dst[(size_t)y * dw + x] = to_u8(acc);
        }
    }
}

static clcnn_status resize_planes(const uint8_t *src, int c, int sw, int sh, uint8_t *dst, int dw,
                                  int dh) {
    if (sw == dw && sh == dh) {
        memcpy(dst, src, (size_t)c * sw * sh);
        return CLCNN_STATUS_OK;
    }
    axis_filter fx = {0}, fy = {0};
    CLCNN_TRY(axis_build(&fx, sw, dw));
    clcnn_status st = axis_build(&fy, sh, dh);
    float *tmp = st == CLCNN_STATUS_OK ? malloc(sizeof *tmp * (size_t)sh * dw) : NULL;
    if (st == CLCNN_STATUS_OK && !tmp)
        st = clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory resizing an image");
    for (int ch = 0; st == CLCNN_STATUS_OK && ch < c; ch++)
        resize_plane(src + (size_t)ch * sw * sh, sw, sh, &fx, &fy, tmp, dst + (size_t)ch * dw * dh,
                     dw, dh);
    free(tmp);
    axis_free(&fx);
    axis_free(&fy);
    return st;
}

/* ---- decoding and channel conversion --------------------------------------------------------- */

/* Interleaved pixels with sn channels (grey, grey+alpha, RGB, RGBA) to c planes. Alpha is
 * dropped: datasets of this kind are opaque, and compositing would need a background colour
 * nobody chose. Luminance uses ITU-R BT.601 weights, as PIL's convert("L") does. */
static void to_planes(const uint8_t *px, int sn, size_t npix, int c, uint8_t *planes) {
    for (size_t p = 0; p < npix; p++) {
        const uint8_t *q = px + p * sn;
        int grey = sn < 3;
        if (c == 1)
            planes[p] =
                grey ? q[0] : (uint8_t)((299 * q[0] + 587 * q[1] + 114 * q[2] + 500) / 1000);
        else
            for (int ch = 0; ch < 3; ch++)
                planes[ch * npix + p] = q[grey ? 0 : ch];
    }
}

static clcnn_status check_args(const char *path, int c, int h, int w, const uint8_t *out) {
    if (!path || !out)
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "clcnn_image_load: path or out is NULL");
    if (c != 1 && c != 3)
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT,
                          "loading image '%s': %d channels asked; 1 (grey) or 3 (RGB)", path, c);
    if (h < 1 || w < 1 || h > IMAGE_MAX_SIDE || w > IMAGE_MAX_SIDE)
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT,
                          "loading image '%s': size %dx%d asked; each side must be 1 to %d", path,
                          h, w, IMAGE_MAX_SIDE);
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_image_load(const char *path, int c, int h, int w, uint8_t *out) {
    CLCNN_TRY(check_args(path, c, h, w, out));
    /* Opening the file ourselves gives the system's reason ("No such file...") rather than
     * stb's "can't fopen". */
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return clcnn_fail(CLCNN_STATUS_IO_ERROR, "cannot open image '%s': %s", path,
                          strerror(errno));
    int sw, sh, sn;
    uint8_t *px = stbi_load_from_file(fp, &sw, &sh, &sn, 0);
    fclose(fp);
    if (!px)
        return clcnn_fail(CLCNN_STATUS_PARSE_ERROR, "cannot decode image '%s': %s", path,
                          stbi_failure_reason() ? stbi_failure_reason() : "unknown reason");
    size_t npix = (size_t)sw * sh;
    uint8_t *planes = malloc(npix * c);
    if (!planes) {
        stbi_image_free(px);
        return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory decoding image '%s'", path);
    }
    to_planes(px, sn, npix, c, planes);
    stbi_image_free(px);
    clcnn_status st = resize_planes(planes, c, sw, sh, out, w, h);
    free(planes);
    if (st != CLCNN_STATUS_OK) return clcnn_fail_prefix(st, "loading image '%s': ", path);
    return CLCNN_STATUS_OK;
}
