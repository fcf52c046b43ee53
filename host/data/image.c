/* data/image.c: one image file to a c x h x w uint8 tensor (CHW) for prediction or image
 * folders: checked, decoded by stb_image, converted to luminance or RGB, resized.
 *
 * Image files come from anywhere, so nothing reaches a decoder before it passes our own checks:
 * the file size is bounded, the format is recognised from its magic bytes (PNG, JPEG, binary
 * PGM/PPM and BMP only: what image data sets use), and the dimensions and pixel count read from
 * the header (stbi_info_from_memory) are bounded, zero included. stb_image's implementation (the
 * Debian libstb-dev header) is compiled in stb_image_impl.c with only those four decoders: the others
 * (TGA, whose header test accepts nearly anything and decodes a 27-byte file to 117 megapixels;
 * HDR, which loops forever on a 169-byte file in this stb version; PSD, PIC, GIF) do not exist
 * in clcnn, so no file can reach them by any path.
 *
 * There are no stb_image_resize symbols here, hence the small separable resampler below: box
 * (area) filtering when shrinking, which keeps thin strokes that point sampling would drop, and
 * bilinear with pixel-centre alignment when enlarging. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clcnn/data.h"
#include "core/core.h"
#include "data/image.h"

enum {
    IMAGE_MAX_SIDE = 1 << 15,
    IMAGE_MAX_PIXELS = 1 << 26,  /* 67 megapixels: 256 MB decoded as RGBA */
    IMAGE_MAX_BYTES = 256 << 20, /* the file itself */
};

#include "data/stb_image_impl.h"

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

/* The format from the first bytes, or NULL for anything clcnn does not read. */
static const char *image_format(const uint8_t *b, size_t n) {
    static const uint8_t png[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (n >= 8 && memcmp(b, png, 8) == 0) return "PNG";
    if (n >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff) return "JPEG";
    if (n >= 3 && b[0] == 'P' && (b[1] == '5' || b[1] == '6') && strchr(" \t\r\n", b[2]) && b[2])
        return b[1] == '5' ? "PGM" : "PPM";
    if (n >= 2 && b[0] == 'B' && b[1] == 'M') return "BMP";
    return NULL;
}

static uint8_t byte_at(const uint8_t *b, size_t n, size_t i) { return i < n ? b[i] : 0; }

/* One DHT segment's tables (from the byte after its length): no table may hold more than 256
 * codes. Bytes past the end read as 0, as stb reads them. */
static int jpeg_dht_ok(const uint8_t *b, size_t n, size_t at, long len) {
    for (long left = len - 2; left > 0;) {
        int codes = 0;
        for (int i = 0; i < 16; i++)
            codes += byte_at(b, n, at + 1 + (size_t)i);
        if (codes > 256) return 0;
        at += 17 + (size_t)codes;
        left -= 17 + codes;
    }
    return 1;
}

/* stb_image 2.27 (Debian 12's) builds a JPEG Huffman table from counts it does not check: more
 * than 256 codes overrun its arrays (stb 2.28 checks). So every DHT segment is checked here,
 * found as stb finds them: segments skipped by their length, entropy-coded data scanned for the
 * next marker. */
static int jpeg_tables_ok(const uint8_t *b, size_t n) {
    size_t i = 2;
    while (i + 1 < n) {
        uint8_t m = b[i + 1];
        if (b[i] != 0xff || m == 0xff) {
            i++; /* entropy-coded data or a fill byte */
        } else if (m == 0x00 || m == 0x01 || (m >= 0xd0 && m <= 0xd8)) {
            i += 2; /* stuffed 0xff, TEM, RSTn, SOI: no length */
        } else if (m == 0xd9) {
            return 1; /* EOI */
        } else {
            long len = (long)byte_at(b, n, i + 2) << 8 | byte_at(b, n, i + 3);
            if (m == 0xc4 && !jpeg_dht_ok(b, n, i + 4, len)) return 0;
            i += 2 + (size_t)(len < 2 ? 2 : len);
        }
    }
    return 1;
}

/* stb 2.27 reads a PGM/PPM header's numbers into an int without an overflow check (stb 2.28
 * checks): the width, height and maximum value must each have at most 9 digits. Whitespace and
 * '#' comments are skipped as stb skips them. */
static int pnm_numbers_ok(const uint8_t *b, size_t n) {
    size_t i = 2;
    for (int k = 0; k < 3; k++) {
        for (;;) {
            while (i < n && strchr(" \t\n\v\f\r", b[i]) && b[i]) i++;
            if (i >= n || b[i] != '#') break;
            while (i < n && b[i] != '\n' && b[i] != '\r') i++;
        }
        size_t digits = 0;
        while (i < n && b[i] >= '0' && b[i] <= '9') i++, digits++;
        if (digits > 9) return 0;
    }
    return 1;
}

clcnn_status clcnn_image_check(const char *path, const uint8_t *data, size_t len, int *width,
                               int *height) {
    const char *format = image_format(data, len);
    if (!format)
        return clcnn_fail(CLCNN_STATUS_PARSE_ERROR,
                          "cannot decode image '%s': unknown image type: by its first bytes not a "
                          "PNG, JPEG, binary PGM/PPM or BMP file, the formats clcnn reads", path);
    if (strcmp(format, "JPEG") == 0 && !jpeg_tables_ok(data, len))
        return clcnn_fail(CLCNN_STATUS_PARSE_ERROR,
                          "image '%s': a damaged JPEG: a Huffman table (DHT) with over 256 codes",
                          path);
    if ((strcmp(format, "PGM") == 0 || strcmp(format, "PPM") == 0) && !pnm_numbers_ok(data, len))
        return clcnn_fail(CLCNN_STATUS_PARSE_ERROR,
                          "image '%s': a damaged %s header: a number of over 9 digits", path,
                          format);
    int w = 0, h = 0, n = 0;
    if (!stbi_info_from_memory(data, (int)len, &w, &h, &n))
        return clcnn_fail(CLCNN_STATUS_PARSE_ERROR, "image '%s': a damaged %s header: %s", path,
                          format, stbi_failure_reason() ? stbi_failure_reason() : "unknown reason");
    if (w < 1 || h < 1 || w > IMAGE_MAX_SIDE || h > IMAGE_MAX_SIDE ||
        (int64_t)w * h > IMAGE_MAX_PIXELS)
        return clcnn_fail(CLCNN_STATUS_PARSE_ERROR,
                          "image '%s': its %s header says %d x %d pixels; clcnn reads 1 to %d per "
                          "side and at most %d pixels", path, format, w, h, IMAGE_MAX_SIDE,
                          IMAGE_MAX_PIXELS);
    *width = w;
    *height = h;
    return CLCNN_STATUS_OK;
}

/* Decodes a checked file; the decoded size must be the one its header promised. */
static clcnn_status image_decode(const char *path, const uint8_t *data, size_t len, uint8_t **px,
                                 int *w, int *h, int *n) {
    int iw, ih, in;
    stbi_info_from_memory(data, (int)len, &iw, &ih, &in);
    *px = stbi_load_from_memory(data, (int)len, w, h, n, 0);
    if (!*px)
        return clcnn_fail(CLCNN_STATUS_PARSE_ERROR, "cannot decode image '%s': %s", path,
                          stbi_failure_reason() ? stbi_failure_reason() : "unknown reason");
    if (*w != iw || *h != ih || *n < 1 || *n > 4) {
        stbi_image_free(*px);
        *px = NULL;
        return clcnn_fail(CLCNN_STATUS_PARSE_ERROR,
                          "cannot decode image '%s': it decodes to %d x %d x %d, not the header's "
                          "%d x %d", path, *w, *h, *n, iw, ih);
    }
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_image_load(const char *path, int c, int h, int w, uint8_t *out) {
    CLCNN_TRY(check_args(path, c, h, w, out));
    char *data;
    size_t len;
    CLCNN_TRY(clcnn_read_file_max(path, IMAGE_MAX_BYTES, &data, &len));
    uint8_t *px = NULL;
    int sw = 0, sh = 0, sn = 0;
    clcnn_status st = clcnn_image_check(path, (const uint8_t *)data, len, &sw, &sh);
    if (st == CLCNN_STATUS_OK) st = image_decode(path, (const uint8_t *)data, len, &px, &sw, &sh, &sn);
    free(data);
    if (st != CLCNN_STATUS_OK) return st;
    size_t npix = (size_t)sw * sh;
    uint8_t *planes = malloc(npix * c);
    if (!planes) {
        stbi_image_free(px);
        return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory decoding image '%s'", path);
    }
    to_planes(px, sn, npix, c, planes);
    stbi_image_free(px);
    st = resize_planes(planes, c, sw, sh, out, w, h);
    free(planes);
    if (st != CLCNN_STATUS_OK) return clcnn_fail_prefix(st, "loading image '%s': ", path);
    return CLCNN_STATUS_OK;
}
