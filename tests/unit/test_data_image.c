/* tests/unit/test_data_image.c: clcnn_image_load on generated PNG, BMP, JPEG and PGM files:
 * channel conversion (grey, grey+alpha, RGB, RGBA to 1 or 3 channels), CHW order, resizing down
 * (area) and up (bilinear) with known values, and errors that name the file. Files are written
 * with Debian libstb's stb_image_write, except PGM, which is written by hand. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stb/stb_image_write.h>

#include "clcnn/data.h"
#include "test_data_util.h"

/* Writes an 8-bit PNG with n channels, interleaved pixels. */
static const char *write_png(const char *name, int w, int h, int n, const uint8_t *px) {
    const char *path = test_path(name);
    assert_true(stbi_write_png(path, w, h, n, px, w * n) != 0);
    return path;
}

static const char *write_pgm(const char *name, int w, int h, const uint8_t *px) {
    char head[64];
    int k = snprintf(head, sizeof head, "P5\n# made by a test\n%d %d\n255\n", w, h);
    uint8_t *buf = malloc((size_t)k + (size_t)w * h);
    assert_non_null(buf);
    memcpy(buf, head, (size_t)k);
    memcpy(buf + k, px, (size_t)w * h);
    const char *path = test_write(name, buf, (size_t)k + (size_t)w * h, 0);
    free(buf);
    return path;
}

/* The ITU-R 601 luminance the loader must produce, in integers rounded to nearest. */
static int luma(int r, int g, int b) {
    return (299 * r + 587 * g + 114 * b + 500) / 1000;
}

static void test_grey_same_size(void **state) {
    (void)state;
    enum { W = 5, H = 3 };
    uint8_t px[W * H], out[3 * W * H];
    for (int i = 0; i < W * H; i++)
        px[i] = (uint8_t)(i * 17);
    expect_ok(clcnn_image_load(write_png("g.png", W, H, 1, px), 1, H, W, out));
    assert_memory_equal(out, px, W * H);
    expect_ok(clcnn_image_load(write_pgm("g.pgm", W, H, px), 1, H, W, out));
    assert_memory_equal(out, px, W * H);
    /* Grey to RGB: three equal planes. */
    expect_ok(clcnn_image_load(test_path("g.pgm"), 3, H, W, out));
    for (int c = 0; c < 3; c++)
        assert_memory_equal(out + c * W * H, px, W * H);
}

static void test_rgb(void **state) {
    (void)state;
    enum { W = 4, H = 2 };
    const uint8_t rgb[W * H][3] = {{255, 0, 0}, {0, 255, 0},     {0, 0, 255},   {10, 200, 30},
                                   {0, 0, 0},   {255, 255, 255}, {128, 64, 32}, {1, 2, 3}};
    uint8_t out[3 * W * H];
    const char *path = write_png("rgb.png", W, H, 3, &rgb[0][0]);
    expect_ok(clcnn_image_load(path, 3, H, W, out));
    for (int p = 0; p < W * H; p++)
        for (int c = 0; c < 3; c++)
            assert_int_equal(out[c * W * H + p], rgb[p][c]);
    expect_ok(clcnn_image_load(path, 1, H, W, out));
    for (int p = 0; p < W * H; p++)
        assert_int_equal(out[p], luma(rgb[p][0], rgb[p][1], rgb[p][2]));
    assert_int_equal(out[0], 76); /* pure red, green, blue: the 601 weights themselves */
    assert_int_equal(out[1], 150);
    assert_int_equal(out[2], 29);
    /* BMP holds the same pixels. */
    assert_true(stbi_write_bmp(test_path("rgb.bmp"), W, H, 3, rgb) != 0);
    expect_ok(clcnn_image_load(test_path("rgb.bmp"), 3, H, W, out));
    for (int p = 0; p < W * H; p++)
        for (int c = 0; c < 3; c++)
            assert_int_equal(out[c * W * H + p], rgb[p][c]);
}

/* Alpha is dropped, not blended: the colour channels come through unchanged. */
static void test_alpha_dropped(void **state) {
    (void)state;
    const uint8_t ga[2][2] = {{40, 0}, {200, 255}};
    const uint8_t rgba[2][4] = {{10, 20, 30, 0}, {250, 100, 50, 128}};
    uint8_t out[6];
    expect_ok(clcnn_image_load(write_png("ga.png", 2, 1, 2, &ga[0][0]), 1, 1, 2, out));
    assert_int_equal(out[0], 40);
    assert_int_equal(out[1], 200);
    expect_ok(clcnn_image_load(write_png("rgba.png", 2, 1, 4, &rgba[0][0]), 3, 1, 2, out));
    const uint8_t want[6] = {10, 250, 20, 100, 30, 50};
    assert_memory_equal(out, want, 6);
    expect_ok(clcnn_image_load(test_path("rgba.png"), 1, 1, 2, out));
    assert_int_equal(out[1], luma(250, 100, 50));
}

/* Shrinking averages areas: 2x2 blocks become their mean; a 1-pixel checkerboard goes grey. */
static void test_shrink(void **state) {
    (void)state;
    uint8_t px[8 * 8], out[4 * 4];
    for (int y = 0; y < 8; y++)
        for (int x = 0; x < 8; x++)
            px[y * 8 + x] = (uint8_t)((y / 2) * 40 + (x / 2) * 10 + (x & 1) * 2);
    expect_ok(clcnn_image_load(write_png("blocks.png", 8, 8, 1, px), 1, 4, 4, out));
    for (int y = 0; y < 4; y++)
        for (int x = 0; x < 4; x++)
            assert_int_equal(out[y * 4 + x], y * 40 + x * 10 + 1);
    for (int i = 0; i < 64; i++)
        px[i] = (uint8_t)(((i / 8 + i % 8) & 1) * 255);
    expect_ok(clcnn_image_load(write_png("checker.png", 8, 8, 1, px), 1, 4, 4, out));
    for (int i = 0; i < 16; i++)
        assert_int_equal(out[i], 128);
    /* A non-integer ratio keeps a flat image flat. */
    memset(px, 77, 36);
    expect_ok(clcnn_image_load(write_png("flat.png", 6, 6, 1, px), 1, 4, 4, out));
    for (int i = 0; i < 16; i++)
        assert_int_equal(out[i], 77);
}

/* Width and height are not swapped: a 10 (wide) x 4 (high) horizontal ramp to 5 x 2. */
static void test_shrink_not_square(void **state) {
    (void)state;
    enum { W = 10, H = 4 };
    uint8_t px[W * H], out[5 * 2];
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            px[y * W + x] = (uint8_t)(x * 20);
    expect_ok(clcnn_image_load(write_png("ramp.png", W, H, 1, px), 1, 2, 5, out));
    for (int y = 0; y < 2; y++)
        for (int x = 0; x < 5; x++)
            assert_int_equal(out[y * 5 + x], 40 * x + 10);
}

/* Enlarging is bilinear between pixel centres, clamped at the borders. */
static void test_enlarge(void **state) {
    (void)state;
    const uint8_t px[2 * 2] = {0, 200, 0, 200}; /* values chosen to avoid ties at .5 */
    uint8_t out[3 * 4 * 4];
    expect_ok(clcnn_image_load(write_png("up.png", 2, 2, 1, px), 3, 4, 4, out));
    const uint8_t row[4] = {0, 50, 150, 200};
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < 4; y++)
            assert_memory_equal(out + c * 16 + y * 4, row, 4);
    /* Mixed: shrink one axis, enlarge the other. */
    uint8_t tall[1 * 6];
    expect_ok(clcnn_image_load(test_path("up.png"), 1, 6, 1, tall));
    for (int y = 0; y < 6; y++)
        assert_int_equal(tall[y], 100);
}

static void test_jpeg(void **state) {
    (void)state;
    uint8_t px[16 * 16 * 3], out[8 * 8];
    memset(px, 90, sizeof px);
    assert_true(stbi_write_jpg(test_path("flat.jpg"), 16, 16, 3, px, 95) != 0);
    expect_ok(clcnn_image_load(test_path("flat.jpg"), 1, 8, 8, out));
    for (int i = 0; i < 64; i++)
        assert_in_range(out[i], 88, 92);
}

static void test_errors(void **state) {
    (void)state;
    uint8_t out[16];
    const char *path = test_path("missing.png");
    expect_error(clcnn_image_load(path, 1, 4, 4, out), CLCNN_STATUS_IO_ERROR, path, "No such file");
    path = test_write("junk.png", "this is not an image at all", 27, 0);
    expect_error(clcnn_image_load(path, 1, 4, 4, out), CLCNN_STATUS_PARSE_ERROR,
                 "cannot decode image", path, "unknown image type");
    /* A PNG cut short keeps its signature but loses its data. */
    uint8_t px[64] = {0};
    size_t len;
    uint8_t *png = test_slurp(write_png("whole.png", 8, 8, 1, px), &len);
    path = test_write("cut.png", png, len / 2, 0);
    expect_error(clcnn_image_load(path, 1, 4, 4, out), CLCNN_STATUS_PARSE_ERROR, path);
    free(png);
    expect_error(clcnn_image_load(test_path("whole.png"), 2, 4, 4, out),
                 CLCNN_STATUS_INVALID_ARGUMENT, "2 channels");
    expect_error(clcnn_image_load(test_path("whole.png"), 1, 0, 4, out),
                 CLCNN_STATUS_INVALID_ARGUMENT, "size 0x4");
}

/* Hand-made hostile files (issue 15): each is refused before a decoder runs, naming the file. */
static void test_hostile(void **state) {
    (void)state;
    uint8_t out[16];
    /* A 27-byte TGA header that stb's TGA decoder takes for 10800 x 10800 pixels. */
    static const uint8_t tga[27] = {0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x30, 0x2a, 0x30, 0x2a, 24};
    const char *path = test_write("bomb.tga", tga, sizeof tga, 0);
    expect_error(clcnn_image_load(path, 1, 4, 4, out), CLCNN_STATUS_PARSE_ERROR, path,
                 "unknown image type");
    /* Radiance HDR: the format whose decoder loops forever in Debian's stb (CVE-2021-42715). */
    static const char hdr[] = "#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 1 +X 1\n\x02\x02\x80";
    path = test_write("loop.hdr", hdr, sizeof hdr - 1, 0);
    expect_error(clcnn_image_load(path, 1, 4, 4, out), CLCNN_STATUS_PARSE_ERROR, path,
                 "unknown image type");
    /* PGM with a zero side: used to reach the resampler with a negative offset. */
    path = test_write("zero.pgm", "P5\n0 4\n255\n", 11, 0);
    expect_error(clcnn_image_load(path, 1, 4, 4, out), CLCNN_STATUS_PARSE_ERROR, path, "PGM");
    path = test_write("zero_h.pgm", "P5\n4 0\n255\n", 11, 0);
    expect_error(clcnn_image_load(path, 1, 4, 4, out), CLCNN_STATUS_PARSE_ERROR, path, "PGM");
    /* A header promising 900 megapixels in a 19-byte file: refused before any allocation. */
    path = test_write("huge.pgm", "P5\n30000 30000\n255\n", 20, 0);
    expect_error(clcnn_image_load(path, 1, 4, 4, out), CLCNN_STATUS_PARSE_ERROR, path, "PGM");
    /* A BMP header claiming 30000 x 30000 (over the pixel limit, under the side limit). */
    uint8_t bmp[54] = {'B', 'M', 0};
    bmp[10] = 54, bmp[14] = 40;
    bmp[18] = 0x30, bmp[19] = 0x75; /* width 30000 */
    bmp[22] = 0x30, bmp[23] = 0x75; /* height 30000 */
    bmp[26] = 1, bmp[28] = 24;
    path = test_write("huge.bmp", bmp, sizeof bmp, 0);
    expect_error(clcnn_image_load(path, 1, 4, 4, out), CLCNN_STATUS_PARSE_ERROR, path, "BMP",
                 "30000 x 30000");
    /* The fuzzer's JPEG whose Huffman table has over 256 codes: stb 2.27 writes past its table. */
    path = CLCNN_SOURCE_DIR "/tests/fuzz/crashes/image/jpeg-dht-over-256-codes";
    expect_error(clcnn_image_load(path, 1, 4, 4, out), CLCNN_STATUS_PARSE_ERROR, path,
                 "Huffman table (DHT) with over 256 codes");
    /* The fuzzer's PPM whose height has 10 digits: stb 2.27 overflows an int reading it. */
    path = CLCNN_SOURCE_DIR "/tests/fuzz/crashes/image/ppm-header-int-overflow";
    expect_error(clcnn_image_load(path, 1, 4, 4, out), CLCNN_STATUS_PARSE_ERROR, path,
                 "a number of over 9 digits");
    path = test_write("comment.pgm", "P5\n# 99999999999\n1 1\n255\n\x07", 26, 0);
    expect_ok(clcnn_image_load(path, 1, 1, 1, out)); /* digits in a comment are not a number */
    assert_int_equal(out[0], 7);
    /* ASCII PGM (P2) is not read: stb has no decoder for it; the message says what is. */
    path = test_write("ascii.pgm", "P2\n1 1\n255\n7\n", 14, 0);
    expect_error(clcnn_image_load(path, 1, 4, 4, out), CLCNN_STATUS_PARSE_ERROR, path,
                 "binary PGM/PPM");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grey_same_size),
        cmocka_unit_test(test_rgb),
        cmocka_unit_test(test_alpha_dropped),
        cmocka_unit_test(test_shrink),
        cmocka_unit_test(test_shrink_not_square),
        cmocka_unit_test(test_enlarge),
        cmocka_unit_test(test_jpeg),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_hostile),
    };
    return cmocka_run_group_tests(tests, test_dir_setup, test_dir_teardown);
}
