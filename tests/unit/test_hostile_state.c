/* tests/unit/test_hostile_state.c: hand-made hostile files for the readers of clcnn's own state
 * and caches (issue 15): the checked number helper, history.csv epochs and metrics, the epoch of
 * optimizer state, CLBlast tuning files (an unknown kernel family used to be a use-after-free),
 * route cache lines and kernel cache entries (torn or foreign: rebuilt, never trusted). Each
 * hostile file must be an error naming the file and the field, or be dropped, never a crash. */
#include <math.h>
#include <stdint.h>

#include "cl/clblast_params.h"
#include "cl/route.h"
#include "core/core.h"
#include "test_data_util.h"
#include "train/checkpoint.h"

static void test_checked_numbers(void **state) {
    (void)state;
    int64_t v = 7;
    int k = 7;
    expect_ok(clcnn_checked_int(42.0, 0, 100, "f.json", "x", &v));
    assert_int_equal(v, 42);
    expect_error(clcnn_checked_int(NAN, 0, 100, "f.json", "trials[0].id", &v),
                 CLCNN_STATUS_PARSE_ERROR, "'f.json'", "trials[0].id", "nan");
    expect_error(clcnn_checked_int(INFINITY, 0, 100, "f.json", "x", &v), CLCNN_STATUS_PARSE_ERROR,
                 "inf");
    expect_error(clcnn_checked_int(1.5, 0, 100, "f.json", "x", &v), CLCNN_STATUS_PARSE_ERROR, "1.5");
    expect_error(clcnn_checked_int(-1, 0, 100, "f.json", "x", &v), CLCNN_STATUS_PARSE_ERROR,
                 "0 to 100");
    expect_error(clcnn_checked_int(9223372036854775808.0, INT64_MIN, INT64_MAX, "f", "x", &v),
                 CLCNN_STATUS_PARSE_ERROR, "9223372036854775808");
    expect_error(clcnn_checked_int32(1e10, INT32_MIN, INT32_MAX, "f", "x", &k),
                 CLCNN_STATUS_PARSE_ERROR, "10000000000");
    assert_int_equal(v, 42); /* untouched on failure */
    assert_int_equal(k, 7);
    expect_ok(clcnn_parse_int(" 12\r", 0, 20, "h.csv", "epoch", &v));
    assert_int_equal(v, 12);
    expect_error(clcnn_parse_int("", 0, 20, "h.csv", "epoch", &v), CLCNN_STATUS_PARSE_ERROR,
                 "epoch is empty");
    expect_error(clcnn_parse_int("12x", 0, 20, "h.csv", "epoch", &v), CLCNN_STATUS_PARSE_ERROR,
                 "'12x'");
    expect_error(clcnn_parse_int("99999999999999999999", INT64_MIN, INT64_MAX, "h", "e", &v),
                 CLCNN_STATUS_PARSE_ERROR, "'h': e is");
    expect_error(clcnn_parse_int("nan", 0, 20, "h.csv", "epoch", &v), CLCNN_STATUS_PARSE_ERROR, "'nan'");
    double d;
    expect_ok(clcnn_parse_real("", CLCNN_REAL_EMPTY_IS_NAN, "h.csv", "loss", &d));
    assert_true(isnan(d));
    expect_error(clcnn_parse_real("", 0, "h.csv", "loss", &d), CLCNN_STATUS_PARSE_ERROR,
                 "loss is empty");
    expect_error(clcnn_parse_real("nan", 0, "h.csv", "loss", &d), CLCNN_STATUS_PARSE_ERROR,
                 "loss", "finite");
    expect_error(clcnn_parse_real("1e999", 0, "h.csv", "loss", &d), CLCNN_STATUS_PARSE_ERROR, "1e999");
    expect_ok(clcnn_parse_real("inf", CLCNN_REAL_NONFINITE, "h.csv", "loss", &d));
    assert_true(isinf(d));
    expect_error(clcnn_parse_real("1.5x", CLCNN_REAL_NONFINITE, "h.csv", "loss", &d),
                 CLCNN_STATUS_PARSE_ERROR, "'1.5x'");
}

static clcnn_epoch_metrics hist[CLCNN_MAX_EPOCHS];

static void expect_bad_history_n(const char *text, size_t len, const char *fragment) {
    const char *path = test_write("history.csv", text, len, 0);
    int n = -1;
    expect_error(clcnn_history_read(path, hist, CLCNN_MAX_EPOCHS, &n), CLCNN_STATUS_PARSE_ERROR,
                 path, fragment);
    assert_int_equal(n, 0);
}

static void expect_bad_history(const char *text, const char *fragment) {
    expect_bad_history_n(text, strlen(text), fragment);
}

#define HEADER "epoch,accuracy,loss,val_accuracy,val_loss\n"
/* How a bad row is reported: file, line, the row's columns, then what is wrong. */
#define ROW(n) "history.csv:" #n ": not an epoch,accuracy,loss,val_accuracy,val_loss row: "

static void test_history(void **state) {
    (void)state;
    const char *good = HEADER "1,0.5,1.25,,\n2,0.75,0.5,0.7,0.6\n4,0.8,0.4,0.7,0.6\n";
    int n = 0;
    expect_ok(clcnn_history_read(test_write("history.csv", good, strlen(good), 0), hist, 10, &n));
    assert_int_equal(n, 3);
    assert_int_equal(hist[2].epoch, 4); /* a skipped epoch (kill -9 between files) is fine */
    assert_true(isnan(hist[0].val_loss));
    assert_true(hist[1].val_accuracy == 0.7);
    const char *diverged = HEADER "1,0.1,inf,,\n2,0.1,nan,,\n"; /* a diverged run's last epochs */
    expect_ok(clcnn_history_read(test_write("history.csv", diverged, strlen(diverged), 0), hist, 10, &n));
    assert_int_equal(n, 2);
    assert_true(isinf(hist[0].loss) && isnan(hist[1].loss));
    expect_bad_history(HEADER ",0.5,1,,\n", ROW(2) "epoch is empty");
    expect_bad_history(HEADER "nan,0.5,1,,\n", ROW(2) "epoch");
    expect_bad_history(HEADER "1e300,0.5,1,,\n", ROW(2) "epoch");
    expect_bad_history(HEADER "99999999999,0.5,1,,\n", ROW(2) "epoch");
    expect_bad_history(HEADER "-4,0.5,1,,\n", ROW(2) "epoch");
    expect_bad_history(HEADER "2,0.5,1,,\n1,0.5,1,,\n", ROW(3) "epoch is 1, not after");
    expect_bad_history(HEADER "1,0.5,1.2.3,,\n", ROW(2) "loss");
    expect_bad_history(HEADER "1,0.5,x,,\n", ROW(2) "loss");
    expect_bad_history(HEADER "1,0.5,1\n", ROW(2) "no val_accuracy field");
    expect_bad_history(HEADER "1,0.5,1,,,7\n", "more than 5 fields");
    expect_bad_history("epoch,acc\n1,0.5\n", "header");
    static const char nul[] = HEADER "1,0.5,1,,\n\0002,1,1,,\n";
    expect_bad_history_n(nul, sizeof nul - 1, "NUL byte");
    n = -1;
    const char *many = HEADER "1,,,,\n2,,,,\n3,,,,\n";
    expect_error(clcnn_history_read(test_write("h3.csv", many, strlen(many), 0), hist, 2, &n),
                 CLCNN_STATUS_PARSE_ERROR, "more than 2 epochs");
}

/* Optimizer state with a hostile clcnn.epoch: "Epoch -4/2" and a segfault in fit.c before. */
static void expect_bad_opt(const char *epoch, const char *step, const char *fragment) {
    float zeros[3] = {0};
    clcnn_st_tensor t = {.name = "optimizer.state", .ndim = 1, .shape = {3}, .data = zeros};
    const char *keys[] = {"clcnn.epoch", "clcnn.step"}, *values[] = {epoch, step};
    const char *path = test_path("optimizer.safetensors");
    expect_ok(clcnn_safetensors_write(path, &t, 1, keys, values, 2));
    clcnn_safetensors st;
    expect_ok(clcnn_safetensors_read(path, &st));
    int e = -99;
    int64_t s = -99;
    clcnn_status got = clcnn_opt_state_check(path, &st, 3, &e, &s);
    clcnn_safetensors_free(&st);
    if (!fragment) {
        expect_ok(got);
        assert_int_equal(e, atoi(epoch));
        assert_int_equal(s, atoll(step));
        return;
    }
    expect_error(got, CLCNN_STATUS_PARSE_ERROR, path, fragment);
    assert_int_equal(e, -99);
}

static void test_optimizer_state(void **state) {
    (void)state;
    expect_bad_opt("3", "1200", NULL);
    expect_bad_opt("-4", "10", "clcnn.epoch");
    expect_bad_opt("2147483648", "10", "clcnn.epoch");
    expect_bad_opt("1001", "10", "clcnn.epoch");
    expect_bad_opt("", "10", "clcnn.epoch is empty");
    expect_bad_opt("3x", "10", "clcnn.epoch");
    expect_bad_opt("3", "-1", "clcnn.step");
    expect_bad_opt("3", "1e3", "clcnn.step");
}

static void write_text(const char *path, const char *text) {
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static void test_clblast_tuning_files(void **state) {
    (void)state;
    clcnn_clblast_tuned t;
    const char *path = test_path("tuned.json");
    /* A kernel family clcnn does not know: the name must outlive the JSON (was a use-after-free). */
    write_text(path, "{\"kernel_family\":\"mystery_kernel\",\"precision\":\"32\","
                     "\"best_parameters\":\"A=1 B=2 PRECISION=32\",\"best_time\":\"1.5\"}");
    expect_ok(clcnn_clblast_read_tuned(path, &t));
    assert_string_equal(t.kernel, "mystery_kernel");
    assert_int_equal(t.n, 2);
    assert_string_equal(t.names[1], "B");
    assert_int_equal(t.values[1], 2);
    write_text(path, "{\"kernel_family\":\"mystery\",\"best_kernel\":\"Mystery\","
                     "\"best_parameters\":\"A=1\"}");
    expect_ok(clcnn_clblast_read_tuned(path, &t));
    assert_string_equal(t.kernel, "Mystery");
    write_text(path, "{\"kernel_family\":\"xgemm_1\",\"best_parameters\":\"KWG=-3\"}");
    expect_error(clcnn_clblast_read_tuned(path, &t), CLCNN_STATUS_PARSE_ERROR, path, "KWG");
    write_text(path, "{\"kernel_family\":\"xgemm_1\",\"best_parameters\":\"KWG=99999999999\"}");
    expect_error(clcnn_clblast_read_tuned(path, &t), CLCNN_STATUS_PARSE_ERROR, path, "KWG");
    write_text(path, "{\"kernel_family\":\"xgemm_1\",\"best_parameters\":\"KWG\"}");
    expect_error(clcnn_clblast_read_tuned(path, &t), CLCNN_STATUS_PARSE_ERROR, path, "NAME=VALUE");
    write_text(path, "{\"kernel_family\":\"xgemm_1\",\"best_parameters\":\"KWG=16\",\"best_time\":\"nan\"}");
    expect_error(clcnn_clblast_read_tuned(path, &t), CLCNN_STATUS_PARSE_ERROR, path, "best_time");
    write_text(path, "[1,2]");
    expect_error(clcnn_clblast_read_tuned(path, &t), CLCNN_STATUS_PARSE_ERROR, path);
    write_text(path, "{\"kernel_family\":\"xgemm_1\",\"precision\":\"64\",\"best_parameters\":\"A=1\"}");
    assert_int_equal(clcnn_clblast_read_tuned(path, &t), CLCNN_STATUS_NOT_FOUND);
}

static void test_route_cache(void **state) {
    (void)state;
    const char *path = test_path("routes.txt");
    write_text(path, "gemm-n-1-2-3-4-00 2\n"
                     "gemm-n-5 7\n"         /* a route this version does not know */
                     "gemm-n-6 -1\n"
                     "gemm-n-7 1x\n"
                     "gemm-n-8\n"           /* torn */
                     "gemm-n-1-2-3-4-00 1\n" /* a duplicate: the first counts */
                     "gemm-n-10 3\n"        /* the tiled route, the last this version knows */
                     "alg-conv-afwd-1 102\n" /* a convolution algorithm under its own key */
                     "alg-conv-afwd-2 2\n"   /* a GEMM route under an algorithm's key */
                     "gemm-n-11 101\n"       /* an algorithm under a GEMM key */
                     "gemm-n-9 1");         /* no newline at the end: still whole */
    struct clcnn_route_table *t;
    expect_ok(clcnn_route_table_load(path, 1, &t));
    assert_int_equal(clcnn_route_find(t, "gemm-n-1-2-3-4-00"), 2);
    assert_int_equal(clcnn_route_find(t, "gemm-n-5"), 0);
    assert_int_equal(clcnn_route_find(t, "gemm-n-6"), 0);
    assert_int_equal(clcnn_route_find(t, "gemm-n-7"), 0);
    assert_int_equal(clcnn_route_find(t, "gemm-n-8"), 0);
    assert_int_equal(clcnn_route_find(t, "gemm-n-9"), 1);
    assert_int_equal(clcnn_route_find(t, "gemm-n-10"), CLCNN_ROUTE_TILED);
    assert_int_equal(clcnn_route_find(t, "alg-conv-afwd-1"), CLCNN_ROUTE_ALG_FIRST + 1);
    assert_int_equal(clcnn_route_find(t, "alg-conv-afwd-2"), 0);
    assert_int_equal(clcnn_route_find(t, "gemm-n-11"), 0);
    clcnn_route_table_free(t);
}

static void test_cache_entries(void **state) {
    (void)state;
    const char *path = test_path("entry.bin");
    const char payload[] = "binary\0with\nbytes";
    expect_ok(clcnn_cache_entry_write(path, "0123abcd", payload, sizeof payload));
    char *data;
    size_t len;
    assert_int_equal(clcnn_cache_entry_read(path, "0123abcd", &data, &len), 1);
    assert_int_equal(len, sizeof payload);
    assert_memory_equal(data, payload, sizeof payload);
    free(data);
    /* Foreign: another key's entry copied here. */
    assert_int_equal(clcnn_cache_entry_read(path, "0123abce", &data, &len), 0);
    assert_int_equal(clcnn_cache_entry_read(path, "0123abc", &data, &len), 0);
    assert_null(data);
    /* Torn: cut short, and one byte flipped. */
    size_t n;
    uint8_t *whole = test_slurp(path, &n);
    test_write("torn.bin", whole, n - 1, 0);
    assert_int_equal(clcnn_cache_entry_read(test_path("torn.bin"), "0123abcd", &data, &len), 0);
    whole[n - 3] ^= 1;
    test_write("flip.bin", whole, n, 0);
    assert_int_equal(clcnn_cache_entry_read(test_path("flip.bin"), "0123abcd", &data, &len), 0);
    /* An old cache file without a header, and a header with a hostile length. */
    test_write("old.bin", payload, sizeof payload, 0);
    assert_int_equal(clcnn_cache_entry_read(test_path("old.bin"), "0123abcd", &data, &len), 0);
    const char *bad = "clcnn-cache 1 0123abcd -5 00000000000000000000000000000000\nxx";
    test_write("neg.bin", bad, strlen(bad), 0);
    assert_int_equal(clcnn_cache_entry_read(test_path("neg.bin"), "0123abcd", &data, &len), 0);
    free(whole);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checked_numbers),   cmocka_unit_test(test_history),
        cmocka_unit_test(test_optimizer_state),   cmocka_unit_test(test_clblast_tuning_files),
        cmocka_unit_test(test_route_cache),       cmocka_unit_test(test_cache_entries),
    };
    return cmocka_run_group_tests(tests, test_dir_setup, test_dir_teardown);
}
