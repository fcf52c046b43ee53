/* data/dataset.c: loading the training and test sets a data spec names: paths resolved against
 * the spec's folder, images and labels read and cross-checked, then cut to the configured
 * limits; or the same sets opened as lists read at random, for streaming. */
#include <stdlib.h>
#include <string.h>

#include "clcnn/data.h"
#include "core/core.h"
#include "data/idx_memo.h"
#include "data/stream.h"

/* A relative path is relative to spec->dir (when set), so a config can name files briefly. */
static clcnn_status resolve_path(const clcnn_data_spec *spec, const char *name, char *buf,
                                 size_t n) {
    if (!name[0]) return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "data: a file name is empty");
    if (name[0] == '/' || !spec->dir[0]) return clcnn_strfmt(buf, n, "%s", name);
    size_t k = strlen(spec->dir);
    const char *sep = spec->dir[k - 1] == '/' ? "" : "/";
    return clcnn_strfmt(buf, n, "%s%s%s", spec->dir, sep, name);
}

/* Keeps the first `limit` examples; the memory is given back since a small limit is often used
 * to make a quick run of a large dataset. */
static void dataset_keep_first(clcnn_dataset *ds, long limit) {
    if (limit < 0 || limit >= ds->n) return;
    ds->n = (int)limit;
    size_t bytes = (size_t)ds->n * ds->c * ds->h * ds->w;
    uint8_t *images = realloc(ds->images, bytes ? bytes : 1);
    if (images) ds->images = images;
    uint8_t *labels = ds->labels ? realloc(ds->labels, ds->n ? (size_t)ds->n : 1) : NULL;
    if (labels) ds->labels = labels;
}

static clcnn_status check_limit(const char *what, long limit) {
    if (limit == -1 || limit > 0) return CLCNN_STATUS_OK;
    return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT,
                      "data: %s is %ld; use a positive count or -1 for all", what, limit);
}

/* A pair read before in this process comes from data/idx_memo.c, unless a file changed. */
static clcnn_status load_set(const clcnn_data_spec *spec, const char *images, const char *labels,
                             long limit, clcnn_dataset *out) {
    char ipath[2 * CLCNN_PATH_MAX + 2], lpath[2 * CLCNN_PATH_MAX + 2];
    CLCNN_TRY(resolve_path(spec, images, ipath, sizeof ipath));
    CLCNN_TRY(resolve_path(spec, labels, lpath, sizeof lpath));
    if (clcnn_idx_memo_get(ipath, lpath, spec->n_classes, limit, out)) return CLCNN_STATUS_OK;
    CLCNN_TRY(clcnn_idx_read_images(ipath, out));
    clcnn_status st = clcnn_idx_read_labels(lpath, spec->n_classes, out);
    if (st != CLCNN_STATUS_OK) {
        clcnn_dataset_free(out);
        return st;
    }
    clcnn_idx_memo_put(ipath, lpath, spec->n_classes, out);
    dataset_keep_first(out, limit);
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_data_load(const clcnn_data_spec *spec, clcnn_dataset *train,
                             clcnn_dataset *test) {
    if (!spec) return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "clcnn_data_load: spec is NULL");
    if (train) memset(train, 0, sizeof *train);
    if (test) memset(test, 0, sizeof *test);
    if (clcnn_name_find(&clcnn_data_format_names, spec->format) == CLCNN_DATA_FORMAT_IMAGE_FOLDER)
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT,
                          "data.format image_folder needs the model's input shape: use "
                          "clcnn_data_load_for");
    CLCNN_TRY(check_limit("train_limit", spec->train_limit));
    CLCNN_TRY(check_limit("test_limit", spec->test_limit));
    if (train)
        CLCNN_TRY(load_set(spec, spec->train_images, spec->train_labels, spec->train_limit, train));
    if (test) {
        clcnn_status st =
            load_set(spec, spec->test_images, spec->test_labels, spec->test_limit, test);
        if (st != CLCNN_STATUS_OK) {
            clcnn_dataset_free(train);
            return st;
        }
    }
    return CLCNN_STATUS_OK;
}

/* One set as a list read at random (the streaming path). */
static clcnn_status list_set(const clcnn_data_spec *spec, const char *images, const char *labels,
                             long limit, clcnn_image_list *out) {
    char ipath[2 * CLCNN_PATH_MAX + 2], lpath[2 * CLCNN_PATH_MAX + 2];
    CLCNN_TRY(resolve_path(spec, images, ipath, sizeof ipath));
    CLCNN_TRY(resolve_path(spec, labels, lpath, sizeof lpath));
    return clcnn_idx_list_open(ipath, lpath, spec->n_classes, limit, out);
}

clcnn_status clcnn_idx_lists_for(const clcnn_data_spec *d, clcnn_image_list *train,
                                 clcnn_image_list *test) {
    if (train) *train = (clcnn_image_list){0};
    if (test) *test = (clcnn_image_list){0};
    CLCNN_TRY(check_limit("train_limit", d->train_limit));
    CLCNN_TRY(check_limit("test_limit", d->test_limit));
    if (train) CLCNN_TRY(list_set(d, d->train_images, d->train_labels, d->train_limit, train));
    clcnn_status s =
        test ? list_set(d, d->test_images, d->test_labels, d->test_limit, test) : CLCNN_STATUS_OK;
    if (s != CLCNN_STATUS_OK && train) clcnn_image_list_free(train);
    return s;
}

/* The examples of one images file, its limit applied. Its labels are read too (a few bytes per
 * example), so that a damaged file is reported in the order clcnn_data_load meets them. */
static clcnn_status set_size(const clcnn_data_spec *spec, const char *images, const char *labels,
                             long limit, int *examples, size_t *example_bytes) {
    char path[2 * CLCNN_PATH_MAX + 2];
    int shape[4];
    CLCNN_TRY(resolve_path(spec, images, path, sizeof path));
    CLCNN_TRY(clcnn_idx_shape(path, shape));
    clcnn_dataset ds = {.n = shape[0]};
    CLCNN_TRY(resolve_path(spec, labels, path, sizeof path));
    CLCNN_TRY(clcnn_idx_read_labels(path, spec->n_classes, &ds));
    free(ds.labels);
    *examples += limit > 0 && limit < shape[0] ? (int)limit : shape[0];
    *example_bytes = (size_t)shape[1] * shape[2] * shape[3];
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_idx_size_for(const clcnn_data_spec *d, int train, int test, int *examples,
                                size_t *example_bytes) {
    *examples = 0;
    *example_bytes = 0;
    CLCNN_TRY(check_limit("train_limit", d->train_limit));
    CLCNN_TRY(check_limit("test_limit", d->test_limit));
    if (train)
        CLCNN_TRY(
            set_size(d, d->train_images, d->train_labels, d->train_limit, examples, example_bytes));
    if (test)
        CLCNN_TRY(
            set_size(d, d->test_images, d->test_labels, d->test_limit, examples, example_bytes));
    return CLCNN_STATUS_OK;
}
