/* data/image.h: the checks an image file passes before any decoder sees it (image.c; internal,
 * also used by the image fuzz harness). */
#ifndef CLCNN_DATA_IMAGE_H
#define CLCNN_DATA_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "clcnn/status.h"

/* The file's bytes: PNG, JPEG, binary PGM/PPM or BMP by their magic, headers stb_image 2.27
 * would mishandle refused, sides 1 to 32768 and at most 2^26 pixels. Sets the header's size. */
clcnn_status clcnn_image_check(const char *path, const uint8_t *data, size_t len, int *width,
                               int *height);

#endif
