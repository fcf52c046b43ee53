/* tests/unit/test_safetensors.c: the model file format: a write/read round trip (odd shapes,
 * a scalar, an empty tensor, metadata with newlines, quotes and UTF-8), the exact byte layout
 * other readers rely on, write-side argument checks, hand-made bad files (each with the error
 * that names it), and fuzzing: every truncation and random damage must fail cleanly. */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "test_data_util.h"
#include "train/safetensors.h"

static float weight[4 * 1 * 3 * 3], bias[4], scalar = 2.5f;

static const char *yaml_doc = "model:\n  layers:\n    - {type: conv2d, name: \"c1\\t\"}\n"
                              "note: 'it''s \"quoted\"' # back\\slash\n"
                              "unicode: naïve — 日本語 🙂\n"
                              "control: \x01\x1f end\n";

static int make_tensors(clcnn_st_tensor t[4]) {
    test_fill_uniform(weight, 36, -1.0f, 1.0f, 7);
    for (int i = 0; i < 4; i++)
        bias[i] = (float)i - 1.5f;
    memset(t, 0, 4 * sizeof *t);
    t[0] = (clcnn_st_tensor){
        .name = "layers.0.weight", .ndim = 4, .shape = {4, 1, 3, 3}, .data = weight};
    t[1] = (clcnn_st_tensor){.name = "layers.0.bias", .ndim = 1, .shape = {4}, .data = bias};
    t[2] = (clcnn_st_tensor){.name = "step", .ndim = 0, .data = &scalar};
    t[3] = (clcnn_st_tensor){.name = "layers.3.empty", .ndim = 2, .shape = {0, 5}, .data = NULL};
    return 4;
}

static const char *meta_keys[3] = {"clcnn.version", "clcnn.config", "clcnn.classes"};
static const char *meta_values[3] = {"0.1.0", NULL, "[\"T-shirt/top\", \"Trouser\"]"};

static const char *write_model(const char *name) {
    clcnn_st_tensor t[4];
    int n = make_tensors(t);
    meta_values[1] = yaml_doc;
    const char *path = test_path(name);
    expect_ok(clcnn_safetensors_write(path, t, n, meta_keys, meta_values, 3));
    return path;
}

static void test_round_trip(void **state) {
    (void)state;
    const char *path = write_model("m.safetensors");
    clcnn_st_tensor want[4];
    make_tensors(want);
    clcnn_safetensors st;
    expect_ok(clcnn_safetensors_read(path, &st));
    assert_int_equal(st.n_tensors, 4);
    for (int i = 0; i < 4; i++) {
        const clcnn_st_tensor *t = &st.tensors[i];
        assert_string_equal(t->name, want[i].name); /* in the order written */
        assert_int_equal(t->ndim, want[i].ndim);
        for (int d = 0; d < t->ndim; d++)
            assert_int_equal(t->shape[d], want[i].shape[d]);
    }
    assert_memory_equal(st.tensors[0].data, weight, sizeof weight);
    assert_memory_equal(clcnn_safetensors_find(&st, "layers.0.bias")->data, bias, sizeof bias);
    assert_true(clcnn_safetensors_find(&st, "step")->data[0] == 2.5f);
    assert_null(clcnn_safetensors_find(&st, "layers.3.empty")->data);
    assert_null(clcnn_safetensors_find(&st, "nope"));
    assert_int_equal(st.n_meta, 3);
    assert_string_equal(clcnn_safetensors_meta(&st, "clcnn.config"), yaml_doc);
    assert_string_equal(clcnn_safetensors_meta(&st, "clcnn.classes"), meta_values[2]);
    assert_string_equal(clcnn_safetensors_meta(&st, "clcnn.version"), "0.1.0");
    assert_null(clcnn_safetensors_meta(&st, "other"));
    clcnn_safetensors_free(&st);
    clcnn_safetensors_free(&st); /* zeroed: a second free is harmless */
    clcnn_safetensors_free(NULL);
}

/* What numpy or the safetensors package will see: the length, the padded JSON, the data. */
static void test_byte_layout(void **state) {
    (void)state;
    size_t len;
    uint8_t *buf = test_slurp(write_model("layout.safetensors"), &len);
    uint64_t hlen = 0;
    for (int i = 0; i < 8; i++)
        hlen |= (uint64_t)buf[i] << (8 * i);
    assert_int_equal(hlen % 8, 0);
    assert_int_equal(len, 8 + hlen + 4 * (36 + 4 + 1));
    assert_int_equal(buf[8], '{');
    cJSON *root = cJSON_ParseWithLength((const char *)buf + 8, hlen);
    assert_non_null(root);
    assert_string_equal(root->child->string, "__metadata__");
    assert_string_equal(
        cJSON_GetObjectItem(cJSON_GetObjectItem(root, "__metadata__"), "clcnn.config")->valuestring,
        yaml_doc);
    cJSON *bias_entry = cJSON_GetObjectItem(root, "layers.0.bias");
    assert_string_equal(cJSON_GetObjectItem(bias_entry, "dtype")->valuestring, "F32");
    cJSON *offsets = cJSON_GetObjectItem(bias_entry, "data_offsets");
    assert_int_equal(cJSON_GetArrayItem(offsets, 0)->valueint, 144);
    assert_int_equal(cJSON_GetArrayItem(offsets, 1)->valueint, 160);
    cJSON_Delete(root);
    /* Floats are stored little-endian: 1 - 1.5 = -0.5 is 00 00 00 bf. */
    const uint8_t minus_half[4] = {0x00, 0x00, 0x00, 0xbf};
    assert_memory_equal(buf + 8 + hlen + 144 + 4, minus_half, 4);
    free(buf);
}

static void test_write_errors(void **state) {
    (void)state;
    clcnn_st_tensor t[4];
    make_tensors(t);
    const char *path = test_path("bad_write.safetensors");
    strcpy(t[1].name, t[0].name);
    expect_error(clcnn_safetensors_write(path, t, 2, NULL, NULL, 0), CLCNN_STATUS_INVALID_ARGUMENT,
                 "two tensors are named 'layers.0.weight'");
    make_tensors(t);
    t[0].ndim = 5;
    expect_error(clcnn_safetensors_write(path, t, 1, NULL, NULL, 0), CLCNN_STATUS_INVALID_ARGUMENT,
                 "5 dimensions");
    make_tensors(t);
    t[1].data = NULL;
    expect_error(clcnn_safetensors_write(path, t, 2, NULL, NULL, 0), CLCNN_STATUS_INVALID_ARGUMENT,
                 "'layers.0.bias' has no data");
    make_tensors(t);
    t[1].shape[0] = -4;
    expect_error(clcnn_safetensors_write(path, t, 2, NULL, NULL, 0), CLCNN_STATUS_INVALID_ARGUMENT,
                 "negative");
    strcpy(t[1].name, "__metadata__");
    expect_error(clcnn_safetensors_write(path, t, 2, NULL, NULL, 0), CLCNN_STATUS_INVALID_ARGUMENT,
                 "reserved");
    const char *keys[2] = {"a", "a"}, *values[2] = {"1", "2"};
    expect_error(clcnn_safetensors_write(path, t, 0, keys, values, 2),
                 CLCNN_STATUS_INVALID_ARGUMENT, "'a' appears twice");
    assert_false(clcnn_file_exists(path));
    make_tensors(t);
    expect_error(clcnn_safetensors_write(test_path("no_dir/m.safetensors"), t, 2, NULL, NULL, 0),
                 CLCNN_STATUS_IO_ERROR, "no_dir/m.safetensors");
}

/* Writing over a file replaces it whole and leaves no temp file behind. */
static void test_overwrite(void **state) {
    (void)state;
    const char *path = write_model("over.safetensors");
    clcnn_st_tensor t[4];
    make_tensors(t);
    expect_ok(clcnn_safetensors_write(path, t + 1, 1, NULL, NULL, 0));
    clcnn_safetensors st;
    expect_ok(clcnn_safetensors_read(path, &st));
    assert_int_equal(st.n_tensors, 1);
    assert_int_equal(st.n_meta, 0);
    clcnn_safetensors_free(&st);
    DIR *d = opendir(test_dir);
    for (struct dirent *e; (e = readdir(d));)
        assert_null(strstr(e->d_name, ".tmp"));
    closedir(d);
}

/* A file from a header text and n zero data bytes, the header length field set to hlen (or to
 * the text's length when hlen is 0). */
static const char *write_raw(const char *header, size_t n_data, uint64_t hlen) {
    size_t k = strlen(header);
    if (!hlen) hlen = k;
    uint8_t *buf = calloc(8 + k + n_data + 1, 1);
    for (int i = 0; i < 8; i++)
        buf[i] = (uint8_t)(hlen >> (8 * i));
    memcpy(buf + 8, header, k);
    const char *path = test_write("raw.safetensors", buf, 8 + k + n_data, 0);
    free(buf);
    return path;
}

#define T(name, dtype, shape, b, e)                                                                \
    "\"" name "\":{\"dtype\":\"" dtype "\",\"shape\":" shape ",\"data_offsets\":[" #b "," #e "]}"

static void expect_bad(const char *header, size_t n_data, clcnn_status want, const char *what) {
    clcnn_safetensors st;
    const char *path = write_raw(header, n_data, 0);
    expect_error(clcnn_safetensors_read(path, &st), want, path, what);
    assert_null(st.tensors);
    assert_int_equal(st.n_tensors, 0);
}

static void test_bad_files(void **state) {
    (void)state;
    expect_bad("{" T("w", "F16", "[2,2]", 0, 8) "}", 8, CLCNN_STATUS_UNSUPPORTED,
               "tensor 'w' has dtype F16; clcnn reads F32 only");
    expect_bad("{" T("w", "F32", "[2,3]", 0, 16) "}", 16, CLCNN_STATUS_PARSE_ERROR,
               "tensor 'w': its shape needs 24 bytes but data_offsets span 16");
    expect_bad("{" T("w", "F32", "[2,2]", 0, 16) "}", 10, CLCNN_STATUS_PARSE_ERROR,
               "truncated: tensor 'w' ends at byte 16 of the data but the file holds only 10");
    expect_bad("{" T("a", "F32", "[2]", 0, 8) "," T("b", "F32", "[2]", 4, 12) "}", 12,
               CLCNN_STATUS_PARSE_ERROR, "overlaps");
    expect_bad("{" T("a", "F32", "[1]", 0, 4) "," T("b", "F32", "[1]", 8, 12) "}", 12,
               CLCNN_STATUS_PARSE_ERROR, "gap");
    expect_bad("{" T("a", "F32", "[1]", 0, 4) "}", 7, CLCNN_STATUS_PARSE_ERROR,
               "trailing garbage: 3 bytes");
    expect_bad("{" T("a", "F32", "[1]", 0, 4) "," T("a", "F32", "[1]", 4, 8) "}", 8,
               CLCNN_STATUS_PARSE_ERROR, "'a' appears twice");
    expect_bad("{" T("a", "F32", "[1,1,1,1,1]", 0, 4) "}", 4, CLCNN_STATUS_UNSUPPORTED,
               "5 dimensions");
    expect_bad("{" T("a", "F32", "[-1]", 0, 4) "}", 4, CLCNN_STATUS_PARSE_ERROR, "shape");
    expect_bad("{" T("a", "F32", "[1.5]", 0, 4) "}", 4, CLCNN_STATUS_PARSE_ERROR, "shape");
    expect_bad("{" T("a", "F32", "[1]", 4, 0) "}", 4, CLCNN_STATUS_PARSE_ERROR, "data_offsets");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4,
               CLCNN_STATUS_PARSE_ERROR, "data_offsets");
    expect_bad("{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4, CLCNN_STATUS_PARSE_ERROR,
               "no dtype");
    expect_bad("{\"__metadata__\":{\"k\":3}}", 0, CLCNN_STATUS_PARSE_ERROR,
               "metadata 'k' is not a string");
    expect_bad("{\"__metadata__\":[]}", 0, CLCNN_STATUS_PARSE_ERROR,
               "__metadata__ is not an object");
    /* Duplicate keys anywhere: readers disagree on which value counts (issue 15). */
    expect_bad("{\"__metadata__\":{\"k\":\"1\"},\"__metadata__\":{\"k\":\"2\"}}", 0,
               CLCNN_STATUS_PARSE_ERROR, "'__metadata__' appears twice");
    expect_bad("{\"__metadata__\":{\"clcnn.config\":\"a\",\"clcnn.config\":\"b\"}}", 0,
               CLCNN_STATUS_PARSE_ERROR, "'clcnn.config' appears twice");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,4]}}",
               4, CLCNN_STATUS_PARSE_ERROR, "'dtype' appears twice");
    expect_bad("{\"a\":[1]}", 0, CLCNN_STATUS_PARSE_ERROR, "entry 'a' is not an object");
    expect_bad("{\"a\":", 0, CLCNN_STATUS_PARSE_ERROR, "not a well-formed JSON object");
    expect_bad("[1, 2]  ", 0, CLCNN_STATUS_PARSE_ERROR, "does not start with '{'");
    expect_bad("{\"a\":1}[]", 0, CLCNN_STATUS_PARSE_ERROR, "not a well-formed JSON object");
    expect_bad("{} x", 0, CLCNN_STATUS_PARSE_ERROR, "not a well-formed JSON object");
    clcnn_safetensors st;
    expect_ok(clcnn_safetensors_read(write_raw("{}      ", 0, 0), &st)); /* padding is fine */
    assert_int_equal(st.n_tensors, 0);
    clcnn_safetensors_free(&st);
    const char *path = write_raw("{}", 0, 1000);
    expect_error(clcnn_safetensors_read(path, &st), CLCNN_STATUS_PARSE_ERROR, path,
                 "truncated: the header length says 1000 bytes but the file holds only 2");
    path = write_raw("{}", 0, UINT64_MAX);
    expect_error(clcnn_safetensors_read(path, &st), CLCNN_STATUS_PARSE_ERROR, "over 100 MB");
    path = test_write("short.safetensors", "\x02\0\0", 3, 0);
    expect_error(clcnn_safetensors_read(path, &st), CLCNN_STATUS_PARSE_ERROR, path,
                 "truncated: the file holds 3 bytes");
    path = test_path("missing.safetensors");
    expect_error(clcnn_safetensors_read(path, &st), CLCNN_STATUS_IO_ERROR, path);
}

/* Reads every float an accepted file claims to have, so a bad pointer shows under ASan. */
static void touch_all(const clcnn_safetensors *st) {
    volatile float sink = 0.0f;
    for (int i = 0; i < st->n_tensors; i++) {
        int64_t n = 1;
        for (int d = 0; d < st->tensors[i].ndim; d++)
            n *= st->tensors[i].shape[d];
        for (int64_t j = 0; j < n; j++)
            sink += st->tensors[i].data[j];
    }
    (void)sink;
}

/* Every cut of a valid file says "truncated"; random damage never crashes (see the sanitizer
 * build) and, when accepted, still yields a consistent file. */
static void test_fuzz(void **state) {
    (void)state;
    clcnn_st_tensor t[4];
    make_tensors(t);
    const char *keys[1] = {"k"}, *values[1] = {"v\n\"x\""};
    const char *path = test_path("small.safetensors");
    expect_ok(clcnn_safetensors_write(path, t + 1, 3, keys, values, 1));
    size_t len;
    uint8_t *orig = test_slurp(path, &len);
    clcnn_safetensors st;
    for (size_t cut = 0; cut < len; cut++) {
        const char *p = test_write("cut.safetensors", orig, cut, 0);
        expect_error(clcnn_safetensors_read(p, &st), CLCNN_STATUS_PARSE_ERROR, "truncated");
    }
    uint8_t *buf = malloc(len);
    clcnn_rng rng;
    clcnn_rng_seed(&rng, 99);
    for (int iter = 0; iter < 2000; iter++) {
        memcpy(buf, orig, len);
        size_t n = iter % 4 == 3 ? 1 + clcnn_rng_below(&rng, len) : len;
        if (iter % 4 == 3)
            for (size_t i = 0; i < n; i++)
                buf[i] = (uint8_t)clcnn_rng_u64(&rng);
        else
            for (int k = 1 + (int)clcnn_rng_below(&rng, 3); k > 0; k--)
                buf[clcnn_rng_below(&rng, len)] = (uint8_t)clcnn_rng_u64(&rng);
        const char *p = test_write("fuzz.safetensors", buf, n, 0);
        if (clcnn_safetensors_read(p, &st) == CLCNN_STATUS_OK) {
            touch_all(&st);
            clcnn_safetensors_free(&st);
        }
    }
    free(buf);
    free(orig);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),   cmocka_unit_test(test_byte_layout),
        cmocka_unit_test(test_write_errors), cmocka_unit_test(test_overwrite),
        cmocka_unit_test(test_bad_files),    cmocka_unit_test(test_fuzz),
    };
    return cmocka_run_group_tests(tests, test_dir_setup, test_dir_teardown);
}
