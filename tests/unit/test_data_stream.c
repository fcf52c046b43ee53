/* tests/unit/test_data_stream.c: the decoding pool (data/stream.c) on generated PPM files: every
 * batch of a pass holds the examples its order names, as clcnn_image_load decodes them, with
 * their labels, for 1 and 4 threads and windows of 1 and 3 batches; the cache serves the list's
 * first examples from the second pass on; an abandoned pass gives way to the next; a corrupt
 * file is an error naming it, at its batch, whatever the thread count; and the whole-list
 * decoding of the in-memory path. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "data/stream.h"
#include "test_data_util.h"

enum { N = 37, H = 5, W = 6, C = 3, EX = C * H * W };

static clcnn_image_list list;
static uint8_t want[N][EX]; /* each file as clcnn_image_load decodes it */

/* A binary PPM whose pixels depend on i, so every example differs. */
static void write_ppm(const char *path, int i) {
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    fprintf(fp, "P6\n%d %d\n255\n", W, H);
    for (int p = 0; p < H * W * C; p++)
        fputc((i * 37 + p * 11) & 255, fp);
    assert_int_equal(fclose(fp), 0);
}

static int setup(void **state) {
    test_dir_setup(state);
    list = (clcnn_image_list){.n = N, .c = C, .h = H, .w = W, .paths = calloc(N, sizeof(char *)),
                              .labels = malloc(N)};
    for (int i = 0; i < N; i++) {
        char name[32];
        snprintf(name, sizeof name, "%02d.ppm", i);
        list.paths[i] = strdup(test_path(name));
        list.labels[i] = (uint8_t)(i % 7);
        write_ppm(list.paths[i], i);
        expect_ok(clcnn_image_load(list.paths[i], C, H, W, want[i]));
    }
    return 0;
}

static int teardown(void **state) {
    clcnn_image_list_free(&list);
    return test_dir_teardown(state);
}

/* A shuffled order from a seed. */
static void order_for(uint64_t seed, uint32_t *order) {
    for (int i = 0; i < N; i++)
        order[i] = (uint32_t)i;
    clcnn_rng rng;
    clcnn_rng_seed(&rng, seed);
    clcnn_rng_shuffle_u32(&rng, order, N);
}

/* One pass: every batch in turn, checked against the files its order names. */
static void check_pass(clcnn_stream *s, const uint32_t *order, int batch) {
    expect_ok(clcnn_stream_begin(s, order, N));
    for (int start = 0; start < N; start += batch) {
        clcnn_stream_batch b;
        expect_ok(clcnn_stream_next(s, &b));
        assert_int_equal(b.start, start);
        assert_int_equal(b.count, N - start < batch ? N - start : batch);
        for (int i = 0; i < b.count; i++) {
            uint32_t idx = order ? order[start + i] : (uint32_t)(start + i);
            assert_memory_equal(b.images + (size_t)i * EX, want[idx], EX);
            assert_int_equal(b.labels[i], list.labels[idx]);
        }
        clcnn_stream_release(s);
    }
    clcnn_stream_batch extra;
    assert_int_equal(clcnn_stream_next(s, &extra), CLCNN_STATUS_INVALID_ARGUMENT);
}

static void test_passes(void **state) {
    (void)state;
    uint32_t o1[N], o2[N];
    order_for(1, o1);
    order_for(2, o2);
    const int threads[] = {1, 4}, windows[] = {1, 3};
    for (int t = 0; t < 2; t++)
        for (int w = 0; w < 2; w++) {
            clcnn_stream_options o = {threads[t], 8, windows[w], 10 * EX}; /* caches 10 */
            clcnn_stream *s;
            expect_ok(clcnn_stream_create(&list, &o, NULL, &s));
            check_pass(s, o1, 8);
            int64_t decoded, cached;
            clcnn_stream_counts(s, &decoded, &cached);
            assert_int_equal(decoded, N);
            assert_int_equal(cached, 0);
            check_pass(s, o2, 8);
            check_pass(s, NULL, 8);
            clcnn_stream_counts(s, &decoded, &cached);
            assert_int_equal(cached, 2 * 10); /* the first 10 come from the cache after pass 1 */
            assert_int_equal(decoded, N + 2 * (N - 10));
            clcnn_stream_destroy(s);
        }
}

/* A pass left after one batch (an error or a stop in training), then a full one. */
static void test_abandoned_pass(void **state) {
    (void)state;
    uint32_t o1[N], o2[N];
    order_for(3, o1);
    order_for(4, o2);
    uint8_t *bufs[2] = {malloc(5 * EX), malloc(5 * EX)};
    clcnn_stream_options o = {4, 5, 2, 0};
    clcnn_stream *s;
    expect_ok(clcnn_stream_create(&list, &o, bufs, &s));
    expect_ok(clcnn_stream_begin(s, o1, N));
    clcnn_stream_batch b;
    expect_ok(clcnn_stream_next(s, &b));
    assert_true(b.images == bufs[0]);
    check_pass(s, o2, 5);
    clcnn_stream_destroy(s);
    free(bufs[0]), free(bufs[1]);
}

/* A corrupt file at position `bad` of a pass: the batches before it come, its batch is an error
 * naming the file; the same error for every thread count; a new pass after it works. */
static void test_corrupt_file(void **state) {
    (void)state;
    uint32_t order[N];
    order_for(5, order);
    int bad = 21;
    const char *path = list.paths[order[bad]];
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    fputs("this is not an image", fp);
    assert_int_equal(fclose(fp), 0);
    char first[2048] = "";
    for (int threads = 1; threads <= 4; threads += 3) {
        clcnn_stream_options o = {threads, 4, 3, 4 * EX};
        clcnn_stream *s;
        expect_ok(clcnn_stream_create(&list, &o, NULL, &s));
        expect_ok(clcnn_stream_begin(s, order, N));
        clcnn_stream_batch b;
        for (int k = 0; k < bad / 4; k++) {
            expect_ok(clcnn_stream_next(s, &b));
            clcnn_stream_release(s);
        }
        clcnn_status st = clcnn_stream_next(s, &b);
        assert_int_not_equal(st, CLCNN_STATUS_OK);
        if (!strstr(clcnn_last_error(), path))
            fail_msg("the error does not name %s: %s", path, clcnn_last_error());
        if (!first[0])
            snprintf(first, sizeof first, "%s", clcnn_last_error());
        else
            assert_string_equal(clcnn_last_error(), first);
        /* The next pass, without the bad file's batch, still works. */
        expect_ok(clcnn_stream_begin(s, NULL, 4));
        expect_ok(clcnn_stream_next(s, &b));
        for (int i = 0; i < 4; i++)
            if ((int)order[bad] != i) assert_memory_equal(b.images + (size_t)i * EX, want[i], EX);
        clcnn_stream_destroy(s);
    }
    write_ppm(path, (int)order[bad]);
}

static void test_decode_whole_list(void **state) {
    (void)state;
    for (int threads = 1; threads <= 3; threads += 2) {
        clcnn_dataset ds;
        expect_ok(clcnn_image_list_decode(&list, threads, &ds));
        assert_int_equal(ds.n, N);
        for (int i = 0; i < N; i++) {
            assert_memory_equal(ds.images + (size_t)i * EX, want[i], EX);
            assert_int_equal(ds.labels[i], list.labels[i]);
        }
        clcnn_dataset_free(&ds);
    }
}

static void test_bad_options(void **state) {
    (void)state;
    clcnn_stream *s;
    clcnn_stream_options o = {0, 8, 2, 0};
    assert_int_equal(clcnn_stream_create(&list, &o, NULL, &s), CLCNN_STATUS_INVALID_ARGUMENT);
    assert_null(s);
    o.threads = 2;
    expect_ok(clcnn_stream_create(&list, &o, NULL, &s));
    uint32_t order[2] = {0, N};
    assert_int_equal(clcnn_stream_begin(s, order, 2), CLCNN_STATUS_INVALID_ARGUMENT);
    assert_int_equal(clcnn_stream_begin(s, NULL, N + 1), CLCNN_STATUS_INVALID_ARGUMENT);
    clcnn_stream_destroy(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_passes),       cmocka_unit_test(test_abandoned_pass),
        cmocka_unit_test(test_corrupt_file), cmocka_unit_test(test_decode_whole_list),
        cmocka_unit_test(test_bad_options),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
