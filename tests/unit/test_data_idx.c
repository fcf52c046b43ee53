/* tests/unit/test_data_idx.c: the IDX reader and clcnn_data_load on small generated files, raw
 * and gzip: round trips for idx1/idx3/idx4, every kind of damage (each must give an error that
 * names it), limits and path resolution, and a little fuzzing. Then the same files as lists read
 * at random (the streaming path): every example as the whole-file reader gives it, through the
 * decoding pool too, a gzip file's decompressed copy in the cache, splits and limits, and damage
 * found at open or, for a file cut short while in use, at the example that runs past its end. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clcnn/data.h"
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/core.h"
#include "data/stream.h"
#include "test_data_util.h"

/* An IDX file in memory: magic 00 00 type ndim, big-endian dims, then data_len bytes of data. */
static uint8_t *make_idx(uint8_t type, int ndim, const uint32_t *dims, const uint8_t *data,
                         size_t data_len, size_t *len) {
    *len = 4 + 4 * (size_t)ndim + data_len;
    uint8_t *buf = malloc(*len + 1);
    assert_non_null(buf);
    buf[0] = 0, buf[1] = 0, buf[2] = type, buf[3] = (uint8_t)ndim;
    for (int i = 0; i < ndim; i++)
        for (int b = 0; b < 4; b++)
            buf[4 + 4 * i + b] = (uint8_t)(dims[i] >> (24 - 8 * b));
    if (data_len) memcpy(buf + 4 + 4 * ndim, data, data_len);
    return buf;
}

/* Writes an IDX file whose data is i * mul + add (mod 256) for byte i. */
static const char *write_idx(const char *name, int gzip, int ndim, const uint32_t *dims,
                             size_t data_len, int mul, int add) {
    uint8_t *data = malloc(data_len + 1);
    assert_non_null(data);
    for (size_t i = 0; i < data_len; i++)
        data[i] = (uint8_t)(i * mul + add);
    size_t len;
    uint8_t *buf = make_idx(0x08, ndim, dims, data, data_len, &len);
    const char *path = test_write(name, buf, len, gzip);
    free(buf);
    free(data);
    return path;
}

static void round_trip_idx3(int gzip) {
    const uint32_t dims[3] = {5, 3, 4}, n[1] = {5};
    const char *images = write_idx(gzip ? "i3.gz" : "i3", gzip, 3, dims, 60, 7, 1);
    const char *labels = write_idx(gzip ? "l1.gz" : "l1", gzip, 1, n, 5, 2, 1); /* 1 3 5 7 9 */
    clcnn_dataset ds;
    expect_ok(clcnn_idx_read_images(images, &ds));
    assert_int_equal(ds.n, 5);
    assert_int_equal(ds.c, 1);
    assert_int_equal(ds.h, 3);
    assert_int_equal(ds.w, 4);
    assert_null(ds.labels);
    for (int i = 0; i < 60; i++)
        assert_int_equal(ds.images[i], (uint8_t)(i * 7 + 1));
    expect_ok(clcnn_idx_read_labels(labels, 10, &ds));
    for (int i = 0; i < 5; i++)
        assert_int_equal(ds.labels[i], 2 * i + 1);
    clcnn_dataset_free(&ds);
    assert_null(ds.images);
}

static void test_idx3_raw(void **state) {
    (void)state;
    round_trip_idx3(0);
}

static void test_idx3_gzip(void **state) {
    (void)state;
    round_trip_idx3(1);
}

/* idx4 is (n, h, w, c) on disk and must come out (n, c, h, w). */
static void test_idx4_to_nchw(void **state) {
    (void)state;
    enum { N = 2, H = 3, W = 2, C = 3 };
    uint8_t data[N * H * W * C];
    for (int i = 0; i < N; i++)
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
                for (int c = 0; c < C; c++)
                    data[((i * H + y) * W + x) * C + c] = (uint8_t)(i * 100 + c * 30 + y * 5 + x);
    const uint32_t dims[4] = {N, H, W, C};
    for (int gzip = 0; gzip < 2; gzip++) {
        size_t len;
        uint8_t *buf = make_idx(0x08, 4, dims, data, sizeof data, &len);
        const char *path = test_write(gzip ? "i4.gz" : "i4", buf, len, gzip);
        free(buf);
        clcnn_dataset ds;
        expect_ok(clcnn_idx_read_images(path, &ds));
        assert_int_equal(ds.n, N);
        assert_int_equal(ds.c, C);
        assert_int_equal(ds.h, H);
        assert_int_equal(ds.w, W);
        for (int i = 0; i < N; i++)
            for (int c = 0; c < C; c++)
                for (int y = 0; y < H; y++)
                    for (int x = 0; x < W; x++)
                        assert_int_equal(ds.images[((i * C + c) * H + y) * W + x],
                                         i * 100 + c * 30 + y * 5 + x);
        clcnn_dataset_free(&ds);
    }
}

static void test_truncated(void **state) {
    (void)state;
    const uint32_t dims[3] = {5, 3, 4};
    for (int gzip = 0; gzip < 2; gzip++) {
        clcnn_dataset ds;
        const char *path = write_idx("short", gzip, 3, dims, 59, 1, 0);
        expect_error(clcnn_idx_read_images(path, &ds), CLCNN_STATUS_PARSE_ERROR, path,
                     "truncated: header says 5 images of 3x4 (60 bytes) but the file holds 59");
        assert_null(ds.images);
        /* Cut inside the dimensions, and an empty file. */
        size_t len;
        uint8_t *buf = make_idx(0x08, 3, dims, NULL, 0, &len);
        path = test_write("short_header", buf, 9, gzip);
        expect_error(clcnn_idx_read_images(path, &ds), CLCNN_STATUS_PARSE_ERROR, "truncated",
                     "16-byte header");
        path = test_write("empty", buf, 0, gzip);
        expect_error(clcnn_idx_read_images(path, &ds), CLCNN_STATUS_PARSE_ERROR, "truncated",
                     "holds 0 bytes");
        free(buf);
    }
}

/* A .gz cut anywhere, even after all the data (before the CRC), is an error. */
static void test_truncated_gzip_stream(void **state) {
    (void)state;
    const uint32_t dims[3] = {4, 5, 5};
    const char *path = write_idx("full.gz", 1, 3, dims, 100, 13, 0);
    size_t len;
    uint8_t *gz = test_slurp(path, &len);
    for (size_t cut = 0; cut < len; cut++) {
        clcnn_dataset ds;
        path = test_write("cut.gz", gz, cut, 0);
        clcnn_status st = clcnn_idx_read_images(path, &ds);
        if (st == CLCNN_STATUS_OK) fail_msg("a .gz cut to %zu of %zu bytes was accepted", cut, len);
        assert_null(ds.images);
    }
    clcnn_dataset ds;
    path = test_write("cut.gz", gz, len - 4, 0);
    expect_error(clcnn_idx_read_images(path, &ds), CLCNN_STATUS_PARSE_ERROR, "cut.gz", "truncated");
    free(gz);
}

static void test_wrong_magic(void **state) {
    (void)state;
    const uint8_t bad[16] = {0x01, 0x02, 0x08, 0x03, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1};
    for (int gzip = 0; gzip < 2; gzip++) {
        clcnn_dataset ds;
        const char *path = test_write("magic", bad, sizeof bad, gzip);
        expect_error(clcnn_idx_read_images(path, &ds), CLCNN_STATUS_PARSE_ERROR, path,
                     "not an IDX file", "magic", "01 02 08 03");
    }
}

static void test_wrong_type(void **state) {
    (void)state;
    const uint32_t dims[3] = {1, 1, 1};
    size_t len;
    clcnn_dataset ds;
    uint8_t *buf = make_idx(0x0D, 3, dims, (const uint8_t *)"abcd", 4, &len);
    const char *path = test_write("float", buf, len, 0);
    expect_error(clcnn_idx_read_images(path, &ds), CLCNN_STATUS_UNSUPPORTED, path, "0x0d (float)",
                 "only 0x08 (unsigned byte)");
    buf[2] = 0x07;
    path = test_write("type7", buf, len, 0);
    expect_error(clcnn_idx_read_images(path, &ds), CLCNN_STATUS_PARSE_ERROR,
                 "unknown IDX data type 0x07");
    free(buf);
}

static void test_wrong_ndim(void **state) {
    (void)state;
    const uint32_t dims[3] = {2, 2, 2};
    clcnn_dataset ds;
    const char *labels = write_idx("as_images", 0, 1, dims, 2, 1, 0);
    expect_error(clcnn_idx_read_images(labels, &ds), CLCNN_STATUS_PARSE_ERROR,
                 "expected an images file with 3 dimensions", "this one has 1");
    const char *images = write_idx("images", 0, 3, dims, 8, 1, 0);
    expect_ok(clcnn_idx_read_images(images, &ds));
    expect_error(clcnn_idx_read_labels(images, 10, &ds), CLCNN_STATUS_PARSE_ERROR,
                 "expected a labels file with 1 dimension (n); this one has 3");
    clcnn_dataset_free(&ds);
}

static void test_label_out_of_range(void **state) {
    (void)state;
    const uint32_t dims[3] = {4, 2, 2};
    clcnn_dataset ds;
    expect_ok(clcnn_idx_read_images(write_idx("img", 0, 3, dims, 16, 1, 0), &ds));
    /* Labels 7, 8, 9, 10: the last is out of range for 10 classes, fine for 11. */
    const char *path = write_idx("lab", 1, 1, dims, 4, 1, 7);
    expect_error(clcnn_idx_read_labels(path, 10, &ds), CLCNN_STATUS_PARSE_ERROR, path,
                 "label 10 at index 3 is out of range for 10 classes");
    assert_null(ds.labels);
    expect_ok(clcnn_idx_read_labels(path, 11, &ds));
    assert_int_equal(ds.labels[3], 10);
    expect_error(clcnn_idx_read_labels(path, 0, &ds), CLCNN_STATUS_INVALID_ARGUMENT, "n_classes");
    clcnn_dataset_free(&ds);
}

static void test_count_mismatch(void **state) {
    (void)state;
    const uint32_t dims[3] = {5, 2, 2}, four[1] = {4};
    clcnn_dataset ds;
    expect_ok(clcnn_idx_read_images(write_idx("img", 0, 3, dims, 20, 1, 0), &ds));
    const char *path = write_idx("lab4", 0, 1, four, 4, 0, 1);
    expect_error(clcnn_idx_read_labels(path, 10, &ds), CLCNN_STATUS_PARSE_ERROR, path,
                 "count mismatch: 4 labels but the images file has 5 images");
    clcnn_dataset_free(&ds);
    expect_error(clcnn_idx_read_labels(path, 10, &ds), CLCNN_STATUS_INVALID_ARGUMENT,
                 "images first");
}

static void test_trailing_bytes(void **state) {
    (void)state;
    const uint32_t dims[3] = {2, 2, 3}, n[1] = {2};
    for (int gzip = 0; gzip < 2; gzip++) {
        clcnn_dataset ds;
        const char *path = write_idx("trail", gzip, 3, dims, 15, 1, 0);
        expect_error(clcnn_idx_read_images(path, &ds), CLCNN_STATUS_PARSE_ERROR, path,
                     "trailing garbage", "2 images of 2x3 (12 bytes)", "3 more bytes");
        expect_ok(clcnn_idx_read_images(write_idx("ok", gzip, 3, dims, 12, 1, 0), &ds));
        path = write_idx("trail_lab", gzip, 1, n, 3, 0, 1);
        expect_error(clcnn_idx_read_labels(path, 10, &ds), CLCNN_STATUS_PARSE_ERROR,
                     "trailing garbage", "2 labels (2 bytes)", "1 more bytes");
        clcnn_dataset_free(&ds);
    }
}

/* Absurd dimensions are rejected or found short without allocating what they claim. */
static void test_huge_dims(void **state) {
    (void)state;
    const uint32_t overflow[4] = {0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu};
    const uint32_t big[3] = {100000, 1000, 1000}, zero[3] = {3, 0, 2};
    clcnn_dataset ds;
    expect_error(clcnn_idx_read_images(write_idx("ovf", 0, 4, overflow, 8, 1, 0), &ds),
                 CLCNN_STATUS_PARSE_ERROR, "too large");
    const uint32_t per_item[4] = {1, 65536, 65536, 2};
    expect_error(clcnn_idx_read_images(write_idx("item", 0, 4, per_item, 8, 1, 0), &ds),
                 CLCNN_STATUS_PARSE_ERROR, "too many");
    expect_error(clcnn_idx_read_images(write_idx("big", 1, 3, big, 10, 1, 0), &ds),
                 CLCNN_STATUS_PARSE_ERROR,
                 "truncated: header says 100000 images of 1000x1000 (100000000000 bytes)",
                 "holds 10 after the 16-byte header");
    expect_error(clcnn_idx_read_images(write_idx("zero", 0, 3, zero, 0, 1, 0), &ds),
                 CLCNN_STATUS_PARSE_ERROR, "dimension 1 is 0");
    /* Shapes clcnn refuses, refused from the header alone (issue 15), gzip'ed or not. */
    const uint32_t wide[3] = {1, 2, 40000}, deep[4] = {1, 2, 2, 5};
    expect_error(clcnn_idx_read_images(write_idx("wide", 1, 3, wide, 0, 1, 0), &ds),
                 CLCNN_STATUS_PARSE_ERROR, "width is 40000 pixels");
    expect_error(clcnn_idx_read_images(write_idx("deep", 0, 4, deep, 0, 1, 0), &ds),
                 CLCNN_STATUS_PARSE_ERROR, "5 channels");
}

static void test_missing_file(void **state) {
    (void)state;
    clcnn_dataset ds;
    const char *path = test_path("no_such_file.gz");
    expect_error(clcnn_idx_read_images(path, &ds), CLCNN_STATUS_IO_ERROR, "cannot open", path,
                 "No such file");
}

/* Random damage to a small file must give an error or a valid dataset, never a crash (the
 * sanitizer build checks memory safety). */
static void test_fuzz(void **state) {
    (void)state;
    const uint32_t dims[3] = {3, 4, 4};
    for (int gzip = 0; gzip < 2; gzip++) {
        size_t len;
        uint8_t *orig = test_slurp(write_idx("fuzz_src", gzip, 3, dims, 48, 5, 0), &len);
        uint8_t *buf = malloc(len);
        clcnn_rng rng;
        clcnn_rng_seed(&rng, 1234 + gzip);
        for (int iter = 0; iter < 300; iter++) {
            memcpy(buf, orig, len);
            for (int k = 1 + (int)clcnn_rng_below(&rng, 3); k > 0; k--)
                buf[clcnn_rng_below(&rng, len)] = (uint8_t)clcnn_rng_u64(&rng);
            clcnn_dataset ds;
            const char *path = test_write("fuzz", buf, len, 0);
            if (clcnn_idx_read_images(path, &ds) == CLCNN_STATUS_OK) {
                assert_true((size_t)ds.n * ds.c * ds.h * ds.w == 48);
                clcnn_idx_read_labels(path, 256, &ds);
            }
            clcnn_dataset_free(&ds);
        }
        free(buf);
        free(orig);
    }
}

/* ---- clcnn_data_load ---------------------------------------------------------------------- */

static void small_spec(clcnn_data_spec *d) {
    clcnn_spec spec;
    clcnn_spec_default(&spec);
    *d = spec.data;
    const uint32_t train[3] = {6, 2, 2}, test[3] = {4, 2, 2};
    write_idx("train-images.gz", 1, 3, train, 24, 1, 0);
    write_idx("train-labels.gz", 1, 1, train, 6, 1, 0);
    write_idx("test-images", 0, 3, test, 16, 1, 100);
    write_idx("test-labels", 0, 1, test, 4, 1, 3);
    snprintf(d->dir, sizeof d->dir, "%s", test_dir);
    snprintf(d->train_images, sizeof d->train_images, "train-images.gz");
    snprintf(d->train_labels, sizeof d->train_labels, "train-labels.gz");
    snprintf(d->test_images, sizeof d->test_images, "test-images");
    snprintf(d->test_labels, sizeof d->test_labels, "%s", test_path("test-labels"));
}

static void test_data_load(void **state) {
    (void)state;
    clcnn_data_spec d;
    small_spec(&d);
    clcnn_dataset train, test;
    expect_ok(clcnn_data_load(&d, &train, &test));
    assert_int_equal(train.n, 6);
    assert_int_equal(test.n, 4);
    assert_int_equal(test.images[15], 115);
    assert_int_equal(test.labels[3], 6);
    clcnn_dataset_free(&train);
    clcnn_dataset_free(&test);

    d.train_limit = 3;
    d.test_limit = 100; /* more than there are: all of them */
    expect_ok(clcnn_data_load(&d, &train, NULL));
    assert_int_equal(train.n, 3);
    for (int i = 0; i < 12; i++)
        assert_int_equal(train.images[i], i);
    for (int i = 0; i < 3; i++)
        assert_int_equal(train.labels[i], i);
    clcnn_dataset_free(&train);
    expect_ok(clcnn_data_load(&d, NULL, &test));
    assert_int_equal(test.n, 4);
    clcnn_dataset_free(&test);
}

static void test_data_load_errors(void **state) {
    (void)state;
    clcnn_data_spec d;
    small_spec(&d);
    clcnn_dataset train, test;
    d.test_limit = 0;
    expect_error(clcnn_data_load(&d, &train, &test), CLCNN_STATUS_INVALID_ARGUMENT, "test_limit");
    d.test_limit = -1;
    d.n_classes = 6; /* training labels are 0..5, test labels 3..6 */
    expect_error(clcnn_data_load(&d, &train, &test), CLCNN_STATUS_PARSE_ERROR, "test-labels",
                 "label 6 at index 3 is out of range for 6 classes");
    assert_null(train.images); /* the training set loaded first is given back */
    d.n_classes = 10;
    snprintf(d.test_images, sizeof d.test_images, "missing.gz");
    expect_error(clcnn_data_load(&d, &train, &test), CLCNN_STATUS_IO_ERROR,
                 test_path("missing.gz"));
}

/* A pair read whole is kept for the process (data/idx_memo.c, so a search's trials decompress it
 * once): a second load gives the same examples under another limit, and a file rewritten since
 * (same size, another modification time) or cut short is read again, never served stale. */
static void test_data_load_memo(void **state) {
    (void)state;
    clcnn_data_spec d;
    small_spec(&d);
    d.test_limit = -1;
    clcnn_dataset a, b;
    expect_ok(clcnn_data_load(&d, &a, NULL));
    d.train_limit = 4;
    expect_ok(clcnn_data_load(&d, &b, NULL));
    assert_int_equal(b.n, 4);
    assert_memory_equal(b.images, a.images, 16);
    assert_memory_equal(b.labels, a.labels, 4);
    clcnn_dataset_free(&a);
    clcnn_dataset_free(&b);

    const uint32_t train[3] = {6, 2, 2};
    const char *images = write_idx("train-images.gz", 1, 3, train, 24, 3, 5);
    struct timespec later[2] = {{0, UTIME_OMIT}, {time(NULL) + 5, 0}};
    assert_int_equal(utimensat(AT_FDCWD, images, later, 0), 0);
    expect_ok(clcnn_data_load(&d, &a, NULL));
    for (int i = 0; i < 16; i++)
        assert_int_equal(a.images[i], (uint8_t)(i * 3 + 5));
    clcnn_dataset_free(&a);

    size_t len;
    uint8_t *whole = test_slurp(images, &len);
    test_write("train-images.gz", whole, len / 2, 0);
    free(whole);
    expect_error(clcnn_data_load(&d, &a, NULL), CLCNN_STATUS_PARSE_ERROR, "train-images.gz");
    assert_null(a.images);
}

/* ---- IDX lists (streaming) ---------------------------------------------------------------- */

/* Files in the cache's idx folder (the decompressed copies and any leftover temp file). */
static int cache_files(void) {
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/idx", getenv("CLCNN_CACHE_DIR"));
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += e->d_name[0] != '.';
    if (d) closedir(d);
    return n;
}

/* Every example of the list as clcnn_idx_read_images gives it, directly and through a stream in
 * a shuffled order with a cache of 3 examples. */
static void check_list(const clcnn_image_list *l, const clcnn_dataset *ds, int first) {
    size_t ex = (size_t)ds->c * ds->h * ds->w;
    uint8_t *buf = malloc(ex), *scratch = malloc(ex);
    assert_non_null(buf);
    assert_non_null(scratch);
    if (l->nhwc) /* an (h, w, c) list needs the scratch buffer: a clear error without */
        expect_error(clcnn_idx_list_read(l, 0, buf, NULL), CLCNN_STATUS_INVALID_ARGUMENT,
                     "scratch", l->source);
    for (int i = 0; i < l->n; i++) {
        expect_ok(clcnn_idx_list_read(l, (uint32_t)i, buf, scratch));
        assert_memory_equal(buf, ds->images + (size_t)(first + i) * ex, ex);
        assert_int_equal(l->labels[i], ds->labels[first + i]);
    }
    free(buf);
    free(scratch);
    uint32_t order[64];
    for (int i = 0; i < l->n; i++)
        order[i] = (uint32_t)i;
    clcnn_rng rng;
    clcnn_rng_seed(&rng, 7);
    clcnn_rng_shuffle_u32(&rng, order, (size_t)l->n);
    clcnn_stream_options o = {3, 2, 2, 3 * ex};
    clcnn_stream *s;
    expect_ok(clcnn_stream_create(l, &o, NULL, &s));
    for (int pass = 0; pass < 2; pass++) {
        expect_ok(clcnn_stream_begin(s, order, l->n));
        for (int start = 0; start < l->n; start += 2) {
            clcnn_stream_batch b;
            expect_ok(clcnn_stream_next(s, &b));
            for (int i = 0; i < b.count; i++) {
                uint32_t idx = order[start + i];
                assert_memory_equal(b.images + i * ex, ds->images + (first + idx) * ex, ex);
                assert_int_equal(b.labels[i], ds->labels[first + idx]);
            }
            clcnn_stream_release(s);
        }
    }
    clcnn_stream_destroy(s);
}

/* copies: whether a gzip file leaves its decompressed copy in the cache. */
static void list_round_trip(int gzip, int ndim, int copies) {
    const uint32_t dims[4] = {9, 3, 4, 3}, n[1] = {9};
    size_t bytes = ndim == 4 ? 9 * 36 : 9 * 12;
    char images[1024], labels[1024]; /* test_path's buffers rotate */
    snprintf(images, sizeof images, "%s",
             write_idx(gzip ? "li.gz" : "li", gzip, ndim, dims, bytes, 5, 3));
    snprintf(labels, sizeof labels, "%s", write_idx("ll", 0, 1, n, 9, 1, 0));
    clcnn_dataset ds;
    expect_ok(clcnn_idx_read_images(images, &ds));
    expect_ok(clcnn_idx_read_labels(labels, 10, &ds));
    int before = cache_files();
    clcnn_image_list l, tail;
    expect_ok(clcnn_idx_list_open(images, labels, 10, -1, &l));
    /* A gzip file's copy, nothing else: none left of the earlier li.gz (each round trip rewrites
     * it, and a copy whose source changed is removed). */
    assert_int_equal(cache_files(), gzip && copies ? 1 : before);
    assert_int_equal(l.n, 9);
    assert_int_equal(l.c, ndim == 4 ? 3 : 1);
    assert_int_equal(l.h, 3);
    assert_int_equal(l.w, 4);
    assert_string_equal(l.source, images);
    check_list(&l, &ds, 0);
    expect_ok(clcnn_image_list_split(&l, 6, &tail)); /* a validation split's tail */
    assert_int_equal(l.n, 6);
    assert_int_equal(tail.n, 3);
    check_list(&l, &ds, 0);
    check_list(&tail, &ds, 6);
    clcnn_image_list_free(&tail);
    clcnn_image_list_free(&l);
    expect_ok(clcnn_idx_list_open(images, labels, 10, 4, &l)); /* a limit; the copy is reused */
    assert_int_equal(l.n, 4);
    assert_int_equal(cache_files(), gzip && copies ? 1 : before);
    check_list(&l, &ds, 0);
    clcnn_image_list_free(&l);
    clcnn_dataset_free(&ds);
}

static void test_list_round_trips(void **state) {
    (void)state;
    setenv("CLCNN_CACHE_DIR", test_path("cache"), 1);
    for (int gzip = 0; gzip <= 1; gzip++) {
        list_round_trip(gzip, 3, 1);
        list_round_trip(gzip, 4, 1);
    }
    setenv("CLCNN_NO_CACHE", "1", 1); /* a private temp copy: nothing in the cache */
    list_round_trip(1, 3, 0);
    unsetenv("CLCNN_NO_CACHE");
}

static void test_list_damage(void **state) {
    (void)state;
    setenv("CLCNN_CACHE_DIR", test_path("cache"), 1);
    const uint32_t dims[3] = {8, 4, 4}, n[1] = {8};
    char labels[1024], cut[1024], more[1024], gz[1024], raw[1024]; /* test_path's buffers rotate */
    snprintf(labels, sizeof labels, "%s", write_idx("dl", 0, 1, n, 8, 1, 0));
    clcnn_image_list l;
    size_t len;
    uint8_t *data = malloc(8 * 16), *file;
    for (int i = 0; i < 8 * 16; i++)
        data[i] = (uint8_t)i;
    file = make_idx(0x08, 3, dims, data, 8 * 16, &len);

    snprintf(cut, sizeof cut, "%s", test_write("cut", file, len - 5, 0)); /* found at open */
    expect_error(clcnn_idx_list_open(cut, labels, 10, -1, &l), CLCNN_STATUS_PARSE_ERROR, cut,
                 "truncated");
    snprintf(more, sizeof more, "%s", test_write("more", file, len + 1, 0));
    expect_error(clcnn_idx_list_open(more, labels, 10, -1, &l), CLCNN_STATUS_PARSE_ERROR, more,
                 "trailing garbage");

    /* A gzip stream damaged in the middle: found while inflating, nothing left in the cache. */
    int before = cache_files();
    snprintf(gz, sizeof gz, "%s", test_write("bad.gz", file, len, 1));
    size_t gz_len;
    uint8_t *gz_bytes = test_slurp(gz, &gz_len);
    for (size_t i = gz_len / 2; i < gz_len / 2 + 8 && i < gz_len; i++)
        gz_bytes[i] ^= 0x5a;
    test_write("bad.gz", gz_bytes, gz_len, 0);
    assert_int_not_equal(clcnn_idx_list_open(gz, labels, 10, -1, &l), CLCNN_STATUS_OK);
    if (!strstr(clcnn_last_error(), gz))
        fail_msg("the error does not name %s: %s", gz, clcnn_last_error());
    assert_int_equal(cache_files(), before);
    test_write("bad.gz", gz_bytes, gz_len - 12, 0); /* cut before its CRC */
    expect_error(clcnn_idx_list_open(gz, labels, 10, -1, &l), CLCNN_STATUS_PARSE_ERROR, gz,
                 "truncated");
    assert_int_equal(cache_files(), before);
    free(gz_bytes);

    /* A raw file cut short while in use: the examples past the end are errors naming it, at
     * the batch that holds them. */
    snprintf(raw, sizeof raw, "%s", test_write("raw", file, len, 0));
    expect_ok(clcnn_idx_list_open(raw, labels, 10, -1, &l));
    assert_int_equal(truncate(raw, (off_t)(len - 3 * 16)), 0);
    uint8_t buf[16];
    expect_ok(clcnn_idx_list_read(&l, 4, buf, NULL));
    expect_error(clcnn_idx_list_read(&l, 5, buf, NULL), CLCNN_STATUS_PARSE_ERROR, raw, "truncated",
                 "example 5");
    clcnn_stream_options o = {2, 2, 2, 0};
    clcnn_stream *s;
    expect_ok(clcnn_stream_create(&l, &o, NULL, &s));
    expect_ok(clcnn_stream_begin(s, NULL, 8));
    clcnn_stream_batch b;
    for (int k = 0; k < 2; k++) {
        expect_ok(clcnn_stream_next(s, &b));
        clcnn_stream_release(s);
    }
    expect_error(clcnn_stream_next(s, &b), CLCNN_STATUS_PARSE_ERROR, raw, "example 5");
    clcnn_stream_destroy(s);
    clcnn_image_list_free(&l);
    free(file);
    free(data);
}

/* Example 0 of a fresh list over images (gzip): the bytes write_idx wrote with mul, add. */
static void check_first(const char *images, const char *labels, int mul, int add) {
    clcnn_image_list l;
    uint8_t buf[16];
    expect_ok(clcnn_idx_list_open(images, labels, 10, -1, &l));
    expect_ok(clcnn_idx_list_read(&l, 0, buf, NULL));
    for (int i = 0; i < 16; i++)
        assert_int_equal(buf[i], (uint8_t)(i * mul + add));
    clcnn_image_list_free(&l);
}

/* A file in the pruning test's cache folder, written with an age. */
static void cache_file(const char *name, int age_seconds) {
    char path[1024];
    snprintf(path, sizeof path, "%s/idx/%s", getenv("CLCNN_CACHE_DIR"), name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs("partial", f);
    fclose(f);
    struct timespec t[2];
    clock_gettime(CLOCK_REALTIME, &t[0]);
    t[0].tv_sec -= age_seconds;
    t[1] = t[0];
    assert_int_equal(utimensat(AT_FDCWD, path, t, 0), 0);
}

static int cache_has(const char *name) {
    char path[1024];
    snprintf(path, sizeof path, "%s/idx/%s", getenv("CLCNN_CACHE_DIR"), name);
    return access(path, F_OK) == 0;
}

/* The decompressed copies stay bounded: a copy whose source is gone or changed goes at the next
 * use of the cache, a dead run's temp file after an hour, the least recently used beyond
 * CLCNN_IDX_CACHE_MB; the copy in use stays, and a list keeps reading a copy another run
 * removed (its file stays open). */
static void test_cache_prune(void **state) {
    (void)state;
    setenv("CLCNN_CACHE_DIR", test_path("prune-cache"), 1);
    unsetenv("CLCNN_IDX_CACHE_MB");
    const uint32_t dims[3] = {4, 4, 4}, n[1] = {4};
    char labels[1024], a[1024], b[1024], c[1024];
    snprintf(labels, sizeof labels, "%s", write_idx("pl", 0, 1, n, 4, 1, 0));
    snprintf(a, sizeof a, "%s", write_idx("pa.gz", 1, 3, dims, 64, 1, 0));
    snprintf(b, sizeof b, "%s", write_idx("pb.gz", 1, 3, dims, 64, 3, 1));
    snprintf(c, sizeof c, "%s", write_idx("pc.gz", 1, 3, dims, 64, 5, 2));
    int before = cache_files();
    check_first(a, labels, 1, 0);
    check_first(b, labels, 3, 1);
    assert_int_equal(cache_files(), before + 2);

    /* a's source removed: its copy goes when b's is used next; b's stays and reads right. */
    assert_int_equal(unlink(a), 0);
    check_first(b, labels, 3, 1);
    assert_int_equal(cache_files(), before + 1);

    /* b changed (other data, other size): a new copy, the old one gone. */
    const uint32_t dims5[3] = {5, 4, 4}, n5[1] = {5};
    snprintf(labels, sizeof labels, "%s", write_idx("pl", 0, 1, n5, 5, 1, 0));
    snprintf(b, sizeof b, "%s", write_idx("pb.gz", 1, 3, dims5, 80, 7, 3));
    check_first(b, labels, 7, 3);
    assert_int_equal(cache_files(), before + 1);

    /* A dead run's temp file goes after an hour; a live one's (just written) stays. */
    cache_file("0123456789abcdef0123456789abcdef.raw.tmp.AAAAAA", 7200);
    cache_file("0123456789abcdef0123456789abcdef.raw.tmp.BBBBBB", 0);
    check_first(b, labels, 7, 3);
    assert_false(cache_has("0123456789abcdef0123456789abcdef.raw.tmp.AAAAAA"));
    assert_true(cache_has("0123456789abcdef0123456789abcdef.raw.tmp.BBBBBB"));

    /* Beyond CLCNN_IDX_CACHE_MB (0 here: only the copy in use fits) the least recently used go;
     * b's list, open, still reads its removed copy. */
    clcnn_image_list open_b;
    expect_ok(clcnn_idx_list_open(b, labels, 10, -1, &open_b));
    setenv("CLCNN_IDX_CACHE_MB", "0", 1);
    snprintf(labels, sizeof labels, "%s", write_idx("pl", 0, 1, n, 4, 1, 0));
    check_first(c, labels, 5, 2);
    assert_int_equal(cache_files(), before + 2); /* c's copy and the live temp file */
    uint8_t buf[16];
    expect_ok(clcnn_idx_list_read(&open_b, 4, buf, NULL));
    for (int i = 0; i < 16; i++)
        assert_int_equal(buf[i], (uint8_t)((64 + i) * 7 + 3));
    clcnn_image_list_free(&open_b);
    setenv("CLCNN_IDX_CACHE_MB", "lots", 1);
    expect_error(clcnn_idx_list_open(c, labels, 10, -1, &open_b), CLCNN_STATUS_PARSE_ERROR,
                 "CLCNN_IDX_CACHE_MB");
    unsetenv("CLCNN_IDX_CACHE_MB");
}

static void test_lists_for(void **state) {
    (void)state;
    setenv("CLCNN_CACHE_DIR", test_path("cache"), 1);
    clcnn_data_spec d;
    small_spec(&d);
    int examples;
    size_t ex;
    expect_ok(clcnn_idx_size_for(&d, 1, 1, &examples, &ex));
    assert_int_equal(examples, 10);
    assert_int_equal(ex, 4);
    d.train_limit = 3;
    expect_ok(clcnn_idx_size_for(&d, 1, 0, &examples, &ex));
    assert_int_equal(examples, 3);
    clcnn_image_list train, test;
    expect_ok(clcnn_idx_lists_for(&d, &train, &test));
    assert_int_equal(train.n, 3);
    assert_int_equal(test.n, 4);
    uint8_t buf[4];
    expect_ok(clcnn_idx_list_read(&test, 3, buf, NULL));
    assert_int_equal(buf[3], 115);
    assert_int_equal(test.labels[3], 6);
    clcnn_image_list_free(&train);
    clcnn_image_list_free(&test);
    snprintf(d.test_images, sizeof d.test_images, "missing");
    expect_error(clcnn_idx_lists_for(&d, &train, &test), CLCNN_STATUS_IO_ERROR,
                 test_path("missing"));
    assert_null(train.labels); /* the training list opened first is given back */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_idx3_raw),
        cmocka_unit_test(test_idx3_gzip),
        cmocka_unit_test(test_idx4_to_nchw),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_truncated_gzip_stream),
        cmocka_unit_test(test_wrong_magic),
        cmocka_unit_test(test_wrong_type),
        cmocka_unit_test(test_wrong_ndim),
        cmocka_unit_test(test_label_out_of_range),
        cmocka_unit_test(test_count_mismatch),
        cmocka_unit_test(test_trailing_bytes),
        cmocka_unit_test(test_huge_dims),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_fuzz),
        cmocka_unit_test(test_data_load),
        cmocka_unit_test(test_data_load_errors),
        cmocka_unit_test(test_data_load_memo),
        cmocka_unit_test(test_list_round_trips),
        cmocka_unit_test(test_list_damage),
        cmocka_unit_test(test_cache_prune),
        cmocka_unit_test(test_lists_for),
    };
    return cmocka_run_group_tests(tests, test_dir_setup, test_dir_teardown);
}
