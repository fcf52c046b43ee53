/* tests/unit/test_data_util.h: file helpers for the data and model-file tests: a private temp
 * folder per test program, files written raw or gzip'ed, and message checks that print the
 * message when they fail. Header-only (static inline) since tests are single-file programs. */
#ifndef CLCNN_TEST_DATA_UTIL_H
#define CLCNN_TEST_DATA_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "clcnn/status.h"
#include "test_util.h"

static char test_dir[512];

/* Creates the temp folder (under $TMPDIR or /tmp) for a test group. */
static inline int test_dir_setup(void **state) {
    (void)state;
    test_temp_dir("test", test_dir, sizeof test_dir);
    return 0;
}

/* Removes the temp folder and everything in it. */
static inline int test_dir_teardown(void **state) {
    (void)state;
    test_remove_tree(test_dir);
    return 0;
}

/* The path of name inside the temp folder, in a rotating static buffer (4 live at once). */
static inline const char *test_path(const char *name) {
    static char bufs[4][1024];
    static int next;
    char *buf = bufs[next++ % 4];
    snprintf(buf, sizeof bufs[0], "%s/%s", test_dir, name);
    return buf;
}

/* Writes len bytes to name in the temp folder, gzip-compressed if gzip; returns the path. */
static inline const char *test_write(const char *name, const void *data, size_t len, int gzip) {
    const char *path = test_path(name);
    if (gzip) {
        gzFile gz = gzopen(path, "wb");
        assert_non_null(gz);
        if (len) assert_int_equal(gzwrite(gz, data, (unsigned)len), (int)len);
        assert_int_equal(gzclose(gz), Z_OK);
    } else {
        FILE *fp = fopen(path, "wb");
        assert_non_null(fp);
        if (len) assert_int_equal(fwrite(data, 1, len, fp), len);
        assert_int_equal(fclose(fp), 0);
    }
    return path;
}

/* Reads a whole file written by a test (malloc'ed; the caller frees). */
static inline uint8_t *test_slurp(const char *path, size_t *len) {
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    uint8_t *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    *len = (size_t)n;
    return buf;
}

/* Fails with the status name and message unless the call gave `want` and the message holds
 * every one of the given fragments. */
#define expect_error(status, want, ...)                                                            \
    test_expect_error_((status), (want), __FILE__, __LINE__, (const char *[]){__VA_ARGS__, NULL})

static inline void test_expect_error_(clcnn_status got, clcnn_status want, const char *file,
                                      int line, const char **fragments) {
    const char *msg = clcnn_last_error();
    int ok = got == want;
    for (const char **f = fragments; ok && *f; f++)
        ok = strstr(msg, *f) != NULL;
    if (!ok) {
        print_error("%s:%d: got %s, want %s; message: %s\n", file, line, clcnn_status_name(got),
                    clcnn_status_name(want), msg);
        for (const char **f = fragments; *f; f++)
            print_error("  expected fragment: '%s'\n", *f);
        fail();
    }
}

#define expect_ok(status)                                                                          \
    do {                                                                                           \
        clcnn_status s_ = (status);                                                                \
        if (s_ != CLCNN_STATUS_OK) fail_msg("%s: %s", clcnn_status_name(s_), clcnn_last_error());  \
    } while (0)

#endif
