/* tests/test_image_set.h: a small generated image-folder dataset for the image_folder tests:
 * <root>/<split>/<class>/<n>.png (and one .jpg and one stray text file per class), with classes
 * a model tells apart easily, in grey or RGB and in sizes other than the model's input.
 * Header-only (static) since tests are single-file programs. */
#ifndef CLCNN_TEST_IMAGE_SET_H
#define CLCNN_TEST_IMAGE_SET_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stb/stb_image_write.h>

#include "test_util.h"

/* The classes, in sorted order (labels follow it): "blue" (a bright lower half in grey; blue in
 * RGB), "green" (a bright left half; green), "red" (a bright centre square; red). */
static const char *const test_set_classes[3] = {"blue", "green", "red"};

/* Pixel (x, y) of example i of class k, channel ch of c, in an h x w image. */
static unsigned char test_set_pixel(int k, int i, int x, int y, int ch, int c, int h, int w) {
    int noise = (int)(((unsigned)(x * 7 + y * 13 + i * 31 + ch * 5) * 2654435761u) >> 28); /* 0..15 */
    if (c == 3) return (unsigned char)(ch == 2 - k ? 200 + noise : 20 + noise); /* red=2-0, ... */
    int on = k == 0 ? y >= h / 2 : k == 1 ? x < w / 2 : (x >= w / 4 && x < 3 * w / 4 && y >= h / 4 && y < 3 * h / 4);
    return (unsigned char)(on ? 220 - noise : 30 + noise);
}

static void test_set_mkdir(const char *path) {
    if (mkdir(path, 0755) != 0) {
        struct stat st;
        assert_true(stat(path, &st) == 0 && S_ISDIR(st.st_mode));
    }
}

/* Writes per_class images of each class into root/split/<class>/, c channels, h x w (odd
 * sizes: every other image is one pixel taller); the last of each class as a JPEG. */
static void test_set_write(const char *root, const char *split, int per_class, int c, int h, int w) {
    char path[1024];
    test_set_mkdir(root);
    snprintf(path, sizeof path, "%s/%s", root, split);
    test_set_mkdir(path);
    for (int k = 0; k < 3; k++) {
        snprintf(path, sizeof path, "%s/%s/%s", root, split, test_set_classes[k]);
        test_set_mkdir(path);
        for (int i = 0; i < per_class; i++) {
            int hh = h + (i & 1);
            unsigned char *px = malloc((size_t)hh * w * c);
            for (int y = 0; y < hh; y++)
                for (int x = 0; x < w; x++)
                    for (int ch = 0; ch < c; ch++)
                        px[((size_t)y * w + x) * c + ch] = test_set_pixel(k, i, x, y, ch, c, hh, w);
            int jpeg = i == per_class - 1;
            snprintf(path, sizeof path, "%s/%s/%s/%03d.%s", root, split, test_set_classes[k], i,
                     jpeg ? "JPG" : "png");
            assert_true(jpeg ? stbi_write_jpg(path, w, hh, c, px, 95)
                             : stbi_write_png(path, w, hh, c, px, w * c));
            free(px);
        }
        snprintf(path, sizeof path, "%s/%s/%s/notes.txt", root, split, test_set_classes[k]);
        FILE *fp = fopen(path, "w");
        assert_non_null(fp);
        fputs("not an image\n", fp);
        fclose(fp);
    }
}

#endif
