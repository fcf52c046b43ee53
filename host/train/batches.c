/* train/batches.c: the batch sources of train/batches.h: loading a spec's sets (validation
 * split included), choosing in memory or streamed, and the per-batch uploads of a streamed
 * pass. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batches.h"
#include "core/core.h"
#include "data_parallel.h"

#define MB (1024.0 * 1024.0)
#define WINDOW_MAX 16 /* batches decoded ahead, at most */

/* Keras' validation_split: how many of n examples stay for training. */
static clcnn_status split_keep(int n, double split, int *keep) {
    *keep = split <= 0 ? n : (int)floor(n * (1.0 - split));
    if (*keep <= 0 && *keep != n)
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT,
                          "validation_split %.3g leaves no training examples out of %d", split, n);
    return CLCNN_STATUS_OK;
}

/* Keras' validation_split: the last fraction of the training data, taken before shuffling. */
static clcnn_status split_dataset(clcnn_dataset *train, int keep, clcnn_dataset *val) {
    memset(val, 0, sizeof *val);
    if (keep == train->n) return CLCNN_STATUS_OK;
    size_t ex = (size_t)train->c * train->h * train->w;
    *val = (clcnn_dataset){train->n - keep, train->c, train->h, train->w, NULL, NULL};
    val->images = malloc((size_t)val->n * ex);
    val->labels = malloc((size_t)val->n);
    if (!val->images || !val->labels)
        return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
    memcpy(val->images, train->images + (size_t)keep * ex, (size_t)val->n * ex);
    memcpy(val->labels, train->labels + keep, (size_t)val->n);
    train->n = keep;
    return CLCNN_STATUS_OK;
}

static void from_dataset(clcnn_batch_source *b) {
    b->n = b->ds.n;
    b->labels = b->ds.labels;
    b->owns_ds = 1;
}

static void from_list(clcnn_batch_source *b) {
    b->n = b->list.n;
    b->labels = b->list.labels;
    b->streamed = 1;
}

static size_t ram_bytes(void) {
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGE_SIZE);
    return pages > 0 && size > 0 ? (size_t)pages * (size_t)size : (size_t)4 << 30;
}

/* Each streamed set's share of the cache: the window buffers first, the rest in proportion. */
static void plan_streams(const clcnn_spec *spec, size_t cache, clcnn_batch_source **sets,
                         int n_sets, size_t ex) {
    int threads = clcnn_decode_threads(spec->data.decode_threads), total = 0, used = 0;
    size_t batch_bytes = (size_t)spec->train.batch_size * ex;
    for (int i = 0; i < n_sets; i++) {
        total += sets[i]->n;
        used += sets[i]->n > 0;
    }
    /* Two batches per thread keep the threads busy; fewer when the cache is small. */
    int window = 2 * threads < 4 ? 4 : 2 * threads;
    while (window > 2 && (size_t)window * batch_bytes * used > cache / 2)
        window--;
    size_t windows = (size_t)window * batch_bytes * used;
    size_t rest = cache > windows ? cache - windows : 0;
    for (int i = 0; i < n_sets; i++) {
        sets[i]->threads = threads;
        sets[i]->window = window;
        sets[i]->cache_bytes = total ? (size_t)((double)rest * sets[i]->n / total) : 0;
    }
}

/* In memory or streamed, as data.streaming, data.cache_mb and the device's memory decide for
 * `examples` of `ex` bytes; *cache gets the cache size, `mode` the line that says which and why. */
static int choose_streaming(const clcnn_spec *spec, const clcnn_device_info *device, int examples,
                            size_t ex, const char *what, size_t *cache, char *mode, size_t n) {
    const clcnn_data_spec *d = &spec->data;
    double bytes = (double)examples * ex;
    *cache = d->cache_mb > 0 ? (size_t)d->cache_mb * (size_t)MB : ram_bytes() / 4;
    double device_room = device ? device->global_memory / 2.0 : INFINITY;
    clcnn_data_streaming want = clcnn_name_find(&clcnn_data_streaming_names, d->streaming);
    int stream = want == CLCNN_DATA_STREAMING_ON ||
                 (want == CLCNN_DATA_STREAMING_AUTO && (bytes > *cache || bytes > device_room));
    const char *why = want == CLCNN_DATA_STREAMING_ON    ? "data.streaming: on"
                      : want == CLCNN_DATA_STREAMING_OFF ? "data.streaming: off"
                      : bytes > *cache                   ? "more than data.cache_mb"
                      : bytes > device_room              ? "more than half the device's memory"
                                                         : "fits data.cache_mb";
    snprintf(mode, n, "data: %s (%d images, %.1f MB decoded, %s; cache %.0f MB)",
             stream ? what : "in memory", examples, bytes / MB, why, *cache / MB);
    return stream;
}

/* The training set's validation tail moved into val (the lists of a streamed set). */
static clcnn_status split_lists(const clcnn_spec *spec, clcnn_batch_source *train,
                                clcnn_batch_source *val, clcnn_batch_source *test,
                                clcnn_batch_source **sets, int *n_sets) {
    *n_sets = 0;
    if (train) {
        int keep;
        CLCNN_TRY(split_keep(train->list.n, spec->data.validation_split, &keep));
        CLCNN_TRY(clcnn_image_list_split(&train->list, keep, &val->list));
        sets[(*n_sets)++] = train, sets[(*n_sets)++] = val;
    }
    if (test) sets[(*n_sets)++] = test;
    return CLCNN_STATUS_OK;
}

static void stream_lists(const clcnn_spec *spec, size_t cache, clcnn_batch_source **sets,
                         int n_sets) {
    size_t ex = (size_t)sets[0]->list.c * sets[0]->list.h * sets[0]->list.w;
    for (int i = 0; i < n_sets; i++)
        from_list(sets[i]);
    plan_streams(spec, cache, sets, n_sets, ex);
}

/* IDX files: in memory they are read whole (idx.c); streamed, read at random (a gzip file
 * through its decompressed copy in the cache). */
static clcnn_status open_idx(clcnn_spec *spec, const clcnn_device_info *device,
                             clcnn_batch_source *train, clcnn_batch_source *val,
                             clcnn_batch_source *test, char *mode, size_t n) {
    int examples;
    size_t ex, cache;
    CLCNN_TRY(clcnn_idx_size_for(&spec->data, train != NULL, test != NULL, &examples, &ex));
    if (choose_streaming(spec, device, examples, ex, "streamed from the IDX files", &cache, mode,
                         n)) {
        CLCNN_TRY(clcnn_idx_lists_for(&spec->data, train ? &train->list : NULL,
                                      test ? &test->list : NULL));
        clcnn_batch_source *sets[3];
        int n_sets;
        CLCNN_TRY(split_lists(spec, train, val, test, sets, &n_sets));
        const clcnn_image_list *l = &sets[0]->list;
        const int *in = spec->model.input_shape;
        if (l->c != in[2] || l->h != in[0] || l->w != in[1])
            return clcnn_fail(CLCNN_STATUS_BAD_SHAPE,
                              "'%s' has examples of %dx%dx%d (HxWxC) but the model's input_shape "
                              "is [%d, %d, %d]",
                              l->source, l->h, l->w, l->c, in[0], in[1], in[2]);
        stream_lists(spec, cache, sets, n_sets);
        return CLCNN_STATUS_OK;
    }
    CLCNN_TRY(
        clcnn_data_load_for(spec, train ? &train->ds : NULL, test ? &test->ds : NULL, &spec->data));
    if (test) from_dataset(test);
    if (!train) return CLCNN_STATUS_OK;
    int keep;
    CLCNN_TRY(split_keep(train->ds.n, spec->data.validation_split, &keep));
    CLCNN_TRY(split_dataset(&train->ds, keep, &val->ds));
    from_dataset(train), from_dataset(val);
    return CLCNN_STATUS_OK;
}

static clcnn_status open_folders(clcnn_spec *spec, const clcnn_device_info *device,
                                 clcnn_batch_source *train, clcnn_batch_source *val,
                                 clcnn_batch_source *test, char *mode, size_t n) {
    CLCNN_TRY(clcnn_image_lists_for(spec, train ? &train->list : NULL, test ? &test->list : NULL,
                                    &spec->data));
    clcnn_batch_source *sets[3];
    int n_sets, examples = 0;
    CLCNN_TRY(split_lists(spec, train, val, test, sets, &n_sets));
    for (int i = 0; i < n_sets; i++)
        examples += sets[i]->list.n;
    size_t ex = (size_t)spec->model.input_shape[0] * spec->model.input_shape[1] *
                spec->model.input_shape[2],
           cache;
    if (choose_streaming(spec, device, examples, ex, "streamed from the files", &cache, mode, n)) {
        stream_lists(spec, cache, sets, n_sets);
        return CLCNN_STATUS_OK;
    }
    for (int i = 0; i < n_sets; i++) {
        CLCNN_TRY(clcnn_image_list_decode(&sets[i]->list, spec->data.decode_threads, &sets[i]->ds));
        clcnn_image_list_free(&sets[i]->list);
        from_dataset(sets[i]);
    }
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_batches_open(clcnn_spec *spec, const clcnn_device_info *device,
                                clcnn_batch_source *train, clcnn_batch_source *val,
                                clcnn_batch_source *test, char *mode, size_t mode_size) {
    if (train) memset(train, 0, sizeof *train);
    if (val) memset(val, 0, sizeof *val);
    if (test) memset(test, 0, sizeof *test);
    clcnn_status s = clcnn_name_find(&clcnn_data_format_names, spec->data.format) ==
                             CLCNN_DATA_FORMAT_IMAGE_FOLDER
                         ? open_folders(spec, device, train, val, test, mode, mode_size)
                         : open_idx(spec, device, train, val, test, mode, mode_size);
    if (s != CLCNN_STATUS_OK) {
        if (train) clcnn_batches_free(train);
        if (val) clcnn_batches_free(val);
        if (test) clcnn_batches_free(test);
    }
    return s;
}

void clcnn_batches_borrow(const clcnn_dataset *ds, clcnn_batch_source *out) {
    memset(out, 0, sizeof *out);
    out->ds = *ds;
    out->n = ds->n;
    out->labels = ds->labels;
}

void clcnn_batches_set_part(clcnn_batch_source *b, int rank, int size) {
    b->part_rank = rank;
    b->part_size = size;
}

/* This rank's [offset, offset + share) of a global batch of count. */
static void part_of(const clcnn_batch_source *b, int count, int *offset, int *share) {
    clcnn_dp dp = {.rank = b->part_rank, .size = b->part_size};
    clcnn_dp_share(&dp, count, offset, share);
}

clcnn_status clcnn_batches_attach(clcnn_batch_source *b, clcnn_model *model, int slot) {
    b->model = model;
    b->slot = slot;
    b->batch = clcnn_model_get_spec(model)->train.batch_size;
    if (!b->streamed) {
        CLCNN_TRY(clcnn_model_upload(model, slot, &b->ds));
        /* The device has its copy now; the labels stay for the metrics. */
        if (b->owns_ds && !b->keep_images) {
            free(b->ds.images);
            b->ds.images = NULL;
        }
        return CLCNN_STATUS_OK;
    }
    uint8_t *host[WINDOW_MAX];
    if (b->window > WINDOW_MAX) b->window = WINDOW_MAX;
    CLCNN_TRY(clcnn_model_stream_open(model, slot, b->n, b->window, host));
    /* A rank's stream holds its shares back to back: a full batch's share per batch (the last,
     * smaller batch's share is no larger). */
    int offset, per_batch = b->batch;
    if (b->part_size > 1) part_of(b, b->batch, &offset, &per_batch);
    clcnn_stream_options o = {b->threads, per_batch > 0 ? per_batch : 1, b->window, b->cache_bytes};
    clcnn_stream_destroy(b->stream);
    return clcnn_stream_create(&b->list, &o, host, &b->stream);
}

/* The training slot of a streamed pass visits its positions in order. */
static clcnn_status identity_order(clcnn_batch_source *b) {
    uint32_t *order = malloc((b->n ? (size_t)b->n : 1) * sizeof *order);
    if (!order) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
    for (int i = 0; i < b->n; i++)
        order[i] = (uint32_t)i;
    clcnn_status s = clcnn_model_set_order(b->model, order, b->n);
    free(order);
    return s;
}

/* A rank's pass: its share of each global batch of the order, in turn. */
static clcnn_status begin_part(clcnn_batch_source *b, const uint32_t *order) {
    uint32_t *mine = malloc((b->n ? (size_t)b->n : 1) * sizeof *mine);
    if (!mine) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
    int n = 0;
    for (int start = 0; start < b->n; start += b->batch) {
        int count = b->n - start < b->batch ? b->n - start : b->batch, offset, share;
        part_of(b, count, &offset, &share);
        for (int i = 0; i < share; i++)
            mine[n++] = order ? order[start + offset + i] : (uint32_t)(start + offset + i);
    }
    clcnn_status s = clcnn_stream_begin(b->stream, mine, n);
    free(mine);
    return s;
}

clcnn_status clcnn_batches_begin(clcnn_batch_source *b, const uint32_t *order) {
    if (!b->streamed) return order ? clcnn_model_set_order(b->model, order, b->n) : CLCNN_STATUS_OK;
    if (order) CLCNN_TRY(identity_order(b));
    if (b->part_size > 1) return begin_part(b, order);
    return clcnn_stream_begin(b->stream, order, b->n);
}

clcnn_status clcnn_batches_load(clcnn_batch_source *b, int start, int count) {
    if (!b->streamed) return CLCNN_STATUS_OK;
    /* A rank's share: its stream's batch k is its share of global batch k, put on the device at
     * the global positions. */
    int offset = 0, local = start;
    if (b->part_size > 1) {
        int full;
        part_of(b, b->batch, &offset, &full);
        local = start / b->batch * full;
        part_of(b, count, &offset, &count);
        if (!count) return CLCNN_STATUS_OK;
    }
    clcnn_stream_batch sb;
    CLCNN_TRY(clcnn_stream_next(b->stream, &sb));
    clcnn_status s =
        sb.start == local && sb.count == count
            ? clcnn_model_stream_put(b->model, b->slot, start + offset, sb.count, sb.images,
                                     sb.labels)
            : clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT,
                         "streamed batch [%d, %d) asked for; the next is [%d, %d)", local,
                         local + count, sb.start, sb.start + sb.count);
    clcnn_stream_release(b->stream);
    return s;
}

void clcnn_batches_counts(const clcnn_batch_source *b, int64_t *decoded, int64_t *cached) {
    *decoded = *cached = 0;
    if (b->stream) clcnn_stream_counts(b->stream, decoded, cached);
}

void clcnn_batches_free(clcnn_batch_source *b) {
    clcnn_stream_destroy(b->stream);
    if (b->owns_ds) clcnn_dataset_free(&b->ds);
    clcnn_image_list_free(&b->list);
    memset(b, 0, sizeof *b);
}
