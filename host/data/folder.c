/* data/folder.c: datasets from folders of images, one sub-folder per class, as Keras'
 * image_dataset_from_directory reads them: class names are the sorted sub-folder names, the
 * files are listed in a fixed order (clcnn_image_lists_for), and every image is decoded by the
 * pool of data/stream.c, converted to the model's channels and resized to its input
 * (data/image.c). Also clcnn_data_load_for, which picks the reader a spec's data.format names. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clcnn/data.h"
#include "core/core.h"
#include "data/stream.h"

typedef struct name_list {
    char **names;
    int n, cap;
} name_list;

static void names_free(name_list *l) {
    for (int i = 0; i < l->n; i++) free(l->names[i]);
    free(l->names);
    *l = (name_list){0};
}

static int names_add(name_list *l, const char *name) {
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 64;
        char **grown = realloc(l->names, (size_t)cap * sizeof *grown);
        if (!grown) return 0;
        l->names = grown;
        l->cap = cap;
    }
    l->names[l->n] = strdup(name);
    if (!l->names[l->n]) return 0;
    l->n++;
    return 1;
}

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Keras' image extensions and the netpbm ones stb_image reads. */
static int is_image_name(const char *name) {
    static const char *const exts[] = {".png", ".jpg", ".jpeg", ".bmp", ".pgm", ".ppm"};
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < sizeof exts / sizeof exts[0]; i++)
        if (strcasecmp(dot, exts[i]) == 0) return 1;
    return 0;
}

/* The sub-folders (dirs 1) or image files (dirs 0) of path, sorted: readdir's order is the
 * file system's, and labels and example order must not depend on it. */
static clcnn_status list_dir(const char *path, int dirs, name_list *out) {
    *out = (name_list){0};
    DIR *d = opendir(path);
    if (!d) return clcnn_fail(CLCNN_STATUS_IO_ERROR, "cannot open folder '%s'", path);
    clcnn_status s = CLCNN_STATUS_OK;
    for (struct dirent *e; s == CLCNN_STATUS_OK && (e = readdir(d));) {
        char full[4096];
        struct stat st;
        if (e->d_name[0] == '.' || (size_t)snprintf(full, sizeof full, "%s/%s", path, e->d_name) >= sizeof full ||
            stat(full, &st) != 0)
            continue;
        int want = dirs ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode) && is_image_name(e->d_name);
        if (want && !names_add(out, e->d_name))
            s = clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory listing '%s'", path);
    }
    closedir(d);
    if (s != CLCNN_STATUS_OK) names_free(out);
    else if (out->n) qsort(out->names, (size_t)out->n, sizeof *out->names, by_name);
    return s;
}

static clcnn_status resolve(const clcnn_data_spec *d, const char *name, char *buf, size_t n) {
    if (name[0] == '/' || !d->dir[0]) return clcnn_strfmt(buf, n, "%s", name);
    return clcnn_strfmt(buf, n, "%s/%s", d->dir, name);
}

void clcnn_image_list_free(clcnn_image_list *l) {
    for (int i = 0; l->paths && i < l->n; i++) free(l->paths[i]);
    free(l->paths);
    free(l->labels);
    if (l->source) close(l->fd);
    free(l->source);
    *l = (clcnn_image_list){0};
}

/* Puts the examples in a fixed pseudo-random order, so a validation split (the tail) and a
 * limit (the head) take every class rather than the last or first ones. */
static clcnn_status shuffle_examples(clcnn_image_list *l) {
    uint32_t *order = malloc((size_t)l->n * sizeof *order);
    char **paths = malloc((size_t)l->n * sizeof *paths);
    uint8_t *labels = malloc((size_t)l->n);
    if (!order || !paths || !labels) {
        free(order), free(paths), free(labels);
        return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory shuffling images");
    }
    for (int i = 0; i < l->n; i++) order[i] = (uint32_t)i;
    clcnn_rng rng;
    clcnn_rng_seed(&rng, 0);
    clcnn_rng_shuffle_u32(&rng, order, (size_t)l->n);
    for (int i = 0; i < l->n; i++) {
        paths[i] = l->paths[order[i]];
        labels[i] = l->labels[order[i]];
    }
    free(order);
    free(l->paths), free(l->labels);
    l->paths = paths, l->labels = labels;
    return CLCNN_STATUS_OK;
}

/* Files of every class folder that `classes` names, label = its index there. */
static clcnn_status list_images(const char *root, const name_list *classes, const name_list *files,
                                clcnn_image_list *out) {
    int total = 0;
    for (int k = 0; k < classes->n; k++) total += files[k].n;
    if (total == 0) return clcnn_fail(CLCNN_STATUS_NOT_FOUND, "no images in the class folders of '%s'", root);
    out->paths = calloc((size_t)total, sizeof *out->paths);
    out->labels = malloc((size_t)total);
    if (!out->paths || !out->labels) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory for %d images", total);
    for (int k = 0; k < classes->n; k++)
        for (int f = 0; f < files[k].n; f++) {
            char path[8192];
            CLCNN_TRY(clcnn_strfmt(path, sizeof path, "%s/%s/%s", root, classes->names[k], files[k].names[f]));
            if (!(out->paths[out->n] = strdup(path)))
                return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory for %d images", total);
            out->labels[out->n++] = (uint8_t)k;
        }
    return shuffle_examples(out);
}

/* One folder's images for the classes named in order (a missing class folder has none). */
static clcnn_status load_folder(const char *root, const name_list *classes, int c, int h, int w,
                                long limit, clcnn_image_list *out) {
    *out = (clcnn_image_list){.c = c, .h = h, .w = w};
    name_list *files = calloc((size_t)classes->n, sizeof *files);
    if (!files) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
    clcnn_status s = CLCNN_STATUS_OK;
    for (int k = 0; s == CLCNN_STATUS_OK && k < classes->n; k++) {
        char path[8192];
        struct stat st;
        s = clcnn_strfmt(path, sizeof path, "%s/%s", root, classes->names[k]);
        if (s == CLCNN_STATUS_OK && stat(path, &st) == 0) s = list_dir(path, 0, &files[k]);
    }
    if (s == CLCNN_STATUS_OK) s = list_images(root, classes, files, out);
    for (int k = 0; k < classes->n; k++) names_free(&files[k]);
    free(files);
    if (s != CLCNN_STATUS_OK) {
        clcnn_image_list_free(out);
        return s;
    }
    while (limit > 0 && limit < out->n) free(out->paths[--out->n]);
    return CLCNN_STATUS_OK;
}

/* An IDX list's tail reads the same file from further on, through a descriptor of its own. */
static clcnn_status split_idx(const clcnn_image_list *l, int keep, clcnn_image_list *tail) {
    tail->source = strdup(l->source);
    tail->fd = tail->source ? dup(l->fd) : -1;
    if (tail->fd < 0) {
        free(tail->source), free(tail->labels);
        *tail = (clcnn_image_list){0};
        return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "'%s': cannot share the file for a split",
                          l->source);
    }
    tail->nhwc = l->nhwc;
    tail->offset = l->offset + (int64_t)keep * l->c * l->h * l->w;
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_image_list_split(clcnn_image_list *l, int keep, clcnn_image_list *tail) {
    *tail = (clcnn_image_list){.n = l->n - keep, .c = l->c, .h = l->h, .w = l->w};
    if (keep < 0 || keep >= l->n) return (*tail = (clcnn_image_list){0}), CLCNN_STATUS_OK;
    tail->paths = l->source ? NULL : malloc((size_t)tail->n * sizeof *tail->paths);
    tail->labels = malloc((size_t)tail->n);
    if ((!l->source && !tail->paths) || !tail->labels) {
        free(tail->paths), free(tail->labels);
        *tail = (clcnn_image_list){0};
        return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
    }
    memcpy(tail->labels, l->labels + keep, (size_t)tail->n);
    if (l->source) {
        CLCNN_TRY(split_idx(l, keep, tail));
        l->n = keep;
        return CLCNN_STATUS_OK;
    }
    memcpy(tail->paths, l->paths + keep, (size_t)tail->n * sizeof *tail->paths);
    l->n = keep;
    return CLCNN_STATUS_OK;
}

/* "a, b, c" for messages. */
static void join(const name_list *l, char *buf, size_t n) {
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < l->n && used < n; i++)
        used += (size_t)snprintf(buf + used, n - used, "%s%s", i ? ", " : "", l->names[i]);
}

/* data.classes must be the folder count (as a count: names "0".."N-1") or the folder names. */
static clcnn_status match_classes(const clcnn_data_spec *d, const char *root, const name_list *found,
                                  clcnn_data_spec *resolved) {
    char list[2048];
    join(found, list, sizeof list);
    if (found->n != d->n_classes || found->n > CLCNN_MAX_CLASSES)
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT,
                          "'%s' has %d class folders (%s) but data.classes has %d classes; set "
                          "data.classes: %d", root, found->n, list, d->n_classes, found->n);
    int same = 1, counted = 1;
    for (int i = 0; i < found->n; i++) {
        char number[16];
        snprintf(number, sizeof number, "%d", i);
        same &= strcmp(d->classes[i], found->names[i]) == 0;
        counted &= strcmp(d->classes[i], number) == 0;
    }
    if (!same && !counted)
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT,
                          "data.classes does not name the class folders of '%s' (%s); give their "
                          "count or these names in this order", root, list);
    for (int i = 0; resolved && i < found->n; i++) {
        if (strlen(found->names[i]) >= CLCNN_CLASS_NAME_MAX)
            return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "class folder name '%s' is longer than %d bytes",
                              found->names[i], CLCNN_CLASS_NAME_MAX - 1);
        snprintf(resolved->classes[i], CLCNN_CLASS_NAME_MAX, "%s", found->names[i]);
    }
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_image_lists_for(const clcnn_spec *spec, clcnn_image_list *train,
                                   clcnn_image_list *test, clcnn_data_spec *resolved) {
    const clcnn_data_spec *d = &spec->data;
    int h = spec->model.input_shape[0], w = spec->model.input_shape[1], c = spec->model.input_shape[2];
    if (train) *train = (clcnn_image_list){0};
    if (test) *test = (clcnn_image_list){0};
    char root[2 * CLCNN_PATH_MAX + 2], test_root[2 * CLCNN_PATH_MAX + 2];
    CLCNN_TRY(resolve(d, d->train_dir, root, sizeof root));
    CLCNN_TRY(resolve(d, d->test_dir, test_root, sizeof test_root));
    name_list classes;
    CLCNN_TRY(list_dir(root, 1, &classes));
    clcnn_status s = match_classes(d, root, &classes, resolved);
    if (s == CLCNN_STATUS_OK && train) s = load_folder(root, &classes, c, h, w, d->train_limit, train);
    if (s == CLCNN_STATUS_OK && test) {
        name_list test_classes;
        s = list_dir(test_root, 1, &test_classes);
        for (int i = 0; s == CLCNN_STATUS_OK && i < test_classes.n; i++)
            if (!bsearch(&test_classes.names[i], classes.names, (size_t)classes.n, sizeof(char *), by_name))
                s = clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "test folder '%s/%s' is not a class of '%s'",
                               test_root, test_classes.names[i], root);
        names_free(&test_classes);
        if (s == CLCNN_STATUS_OK) s = load_folder(test_root, &classes, c, h, w, d->test_limit, test);
    }
    names_free(&classes);
    if (s != CLCNN_STATUS_OK) {
        if (train) clcnn_image_list_free(train);
        if (test) clcnn_image_list_free(test);
    }
    return s;
}

/* A list decoded whole (freed either way). */
static clcnn_status decode_list(clcnn_image_list *l, int threads, clcnn_dataset *out) {
    clcnn_status s = clcnn_image_list_decode(l, threads, out);
    clcnn_image_list_free(l);
    return s;
}

clcnn_status clcnn_data_load_for(const clcnn_spec *spec, clcnn_dataset *train, clcnn_dataset *test,
                                 clcnn_data_spec *resolved) {
    if (!spec) return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "clcnn_data_load_for: spec is NULL");
    if (resolved) *resolved = spec->data;
    if (clcnn_name_find(&clcnn_data_format_names, spec->data.format) !=
        CLCNN_DATA_FORMAT_IMAGE_FOLDER)
        return clcnn_data_load(&spec->data, train, test);
    if (train) memset(train, 0, sizeof *train);
    if (test) memset(test, 0, sizeof *test);
    clcnn_image_list lt = {0}, ls = {0};
    clcnn_status s = clcnn_image_lists_for(spec, train ? &lt : NULL, test ? &ls : NULL, resolved);
    if (s != CLCNN_STATUS_OK) return s;
    int threads = spec->data.decode_threads;
    if (train) s = decode_list(&lt, threads, train);
    else clcnn_image_list_free(&lt);
    if (test && s == CLCNN_STATUS_OK) s = decode_list(&ls, threads, test);
    else if (test) clcnn_image_list_free(&ls);
    if (s != CLCNN_STATUS_OK) {
        if (train) clcnn_dataset_free(train);
        if (test) clcnn_dataset_free(test);
    }
    return s;
}
