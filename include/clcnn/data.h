/* clcnn/data.h: datasets on the host: IDX files (raw or .gz), image files, limits and labels.
 *
 * Images are uint8, NCHW. Everything is validated: an IDX file with a wrong magic number, a
 * dimension that disagrees with the file length, or a label out of range is an error that names
 * the file and what is wrong. */
#ifndef CLCNN_DATA_H
#define CLCNN_DATA_H

#include <stdint.h>

#include "clcnn/spec.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct clcnn_dataset {
    int n, c, h, w;     /* n examples of c x h x w */
    uint8_t *images;    /* n * c * h * w bytes, NCHW; owned */
    uint8_t *labels;    /* n class indices; owned; NULL when there are none */
} clcnn_dataset;

/* Frees what the dataset owns and zeroes it; accepts a zeroed dataset. */
CLCNN_API void clcnn_dataset_free(clcnn_dataset *ds);

/* Reads an IDX images file: idx3 (n, h, w) gives c = 1; idx4 (n, h, w, c) is transposed to NCHW.
 * Only unsigned-byte IDX data is accepted. Gzip is detected from the content, not the name.
 * *out is overwritten (free an older dataset first); it owns the images, labels is NULL. On
 * failure *out is zeroed; a short file or bytes after the data are errors saying which. */
CLCNN_API clcnn_status clcnn_idx_read_images(const char *path, clcnn_dataset *out);

/* Reads an IDX1 labels file into ds->labels; its count must equal ds->n and every label must be
 * below n_classes (1 to 256). On success an older ds->labels is freed and replaced; on failure ds
 * is unchanged. */
CLCNN_API clcnn_status clcnn_idx_read_labels(const char *path, int n_classes, clcnn_dataset *ds);

/* Loads the training and test sets a data spec names, applying train_limit and test_limit
 * (the first N examples). Either output may be NULL to skip that set.
 * Relative file names are resolved against spec->dir. A limit of -1, or one above the set's
 * size, keeps everything; 0 or below -1 is INVALID_ARGUMENT. Outputs are overwritten; on failure
 * both are zeroed (nothing is left allocated). */
CLCNN_API clcnn_status clcnn_data_load(const clcnn_data_spec *spec, clcnn_dataset *train, clcnn_dataset *test);

/* Loads the training and test sets of a whole spec, by data.format: "idx" as clcnn_data_load;
 * "image_folder" reads <train_dir>/<class>/<image> and <test_dir>/<class>/<image> (relative to
 * data.dir unless absolute), one sub-folder per class, class names the sorted folder names, and
 * converts and resizes every image to model.input_shape (as clcnn_image_load). data.classes must
 * give the folder count, or list exactly the folder names in sorted order. The examples are put
 * in a fixed pseudo-random order, then cut to the limits (files past a limit are not read), and
 * decoded by data.decode_threads threads. When resolved is non-NULL it receives
 * spec->data with the class names the data has (the folder names). Either dataset may be NULL;
 * on failure both are zeroed. */
CLCNN_API clcnn_status clcnn_data_load_for(const clcnn_spec *spec, clcnn_dataset *train, clcnn_dataset *test,
                                           clcnn_data_spec *resolved);

/* Loads an image file (PNG, JPEG, PGM/PPM, BMP: whatever stb_image reads), converts it to c
 * channels (1 = luminance, 3 = RGB) and resizes it to h x w; writes c*h*w bytes, CHW, to out.
 * Luminance uses ITU-R BT.601 weights; an alpha channel is ignored. Shrinking averages areas,
 * enlarging is bilinear. out is the caller's and is written only on success. */
CLCNN_API clcnn_status clcnn_image_load(const char *path, int c, int h, int w, uint8_t *out);

#ifdef __cplusplus
}
#endif
#endif
