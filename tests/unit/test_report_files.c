/* tests/unit/test_report_files.c: the files the HTML report reads, without a device: the strict
 * CSV reader (quoted fields, doubled quotes, CRLF, and each malformation with its line),
 * history.csv read back strictly, run.json written and read back, and the PNG data URIs. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report/report_internal.h"
#include "test_util.h"
#include "train/checkpoint.h"

static char dir[] = "/tmp/clcnn_report_files_XXXXXX";

static const char *write_tmp(const char *name, const char *text) {
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
    return path;
}

static const char *cell(const cJSON *rows, int r, int c) {
    return cJSON_GetArrayItem(cJSON_GetArrayItem(rows, r), c)->valuestring;
}

static void test_csv_quoting(void **state) {
    (void)state;
    cJSON *rows;
    const char *p = write_tmp("q.csv", "a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\r\n\n\"two\nlines\",2,3");
    assert_int_equal(report_csv_read(p, &rows), CLCNN_STATUS_OK);
    assert_int_equal(cJSON_GetArraySize(rows), 3); /* the blank line is no row */
    assert_string_equal(cell(rows, 0, 2), "c");    /* CR dropped */
    assert_string_equal(cell(rows, 1, 0), "x, y");
    assert_string_equal(cell(rows, 1, 1), "say \"hi\"");
    assert_string_equal(cell(rows, 1, 2), "");
    assert_string_equal(cell(rows, 2, 0), "two\nlines");
    assert_string_equal(cell(rows, 2, 2), "3");
    cJSON_Delete(rows);
}

/* The error names the file and this line. */
static void csv_fails(const char *text, const char *want) {
    cJSON *rows = (cJSON *)1;
    const char *p = write_tmp("bad.csv", text);
    assert_int_equal(report_csv_read(p, &rows), CLCNN_STATUS_PARSE_ERROR);
    assert_null(rows);
    if (!strstr(clcnn_last_error(), want) || !strstr(clcnn_last_error(), "bad.csv"))
        fail_msg("for %s: want '%s', got '%s'", text, want, clcnn_last_error());
}

static void test_csv_errors(void **state) {
    (void)state;
    csv_fails("a,b\n1,2\n3\n", "bad.csv:3: 1 fields, the header has 2");
    csv_fails("a,b\n1,2,3\n", "bad.csv:2: 3 fields, the header has 2");
    csv_fails("a,b\n\"1,2\n", "bad.csv:2: a quoted field is never closed");
    csv_fails("a,b\n\"1\"x,2\n", "bad.csv:2: text after a quoted field's closing quote");
    csv_fails("a,b\n1\"2,3\n", "bad.csv:2: a quote inside an unquoted field");
    csv_fails("", "is empty (no CSV header)");
}

static void test_numbers(void **state) {
    (void)state;
    double v;
    assert_true(report_parse_number("1.5e3", &v));
    assert_true(v == 1500);
    assert_false(report_parse_number("", &v));
    assert_false(report_parse_number("12abc", &v));
    assert_false(report_parse_number("nan", &v));
}

static void test_history_strict(void **state) {
    (void)state;
    clcnn_epoch_metrics h[4];
    int n;
    const char *p = write_tmp("history.csv", "epoch,accuracy,loss,val_accuracy,val_loss\n"
                                             "1,0.5,1.25,,\n2,0.75,0.5,0.7,0.6\n");
    assert_int_equal(clcnn_history_read(p, h, 4, &n), CLCNN_STATUS_OK);
    assert_int_equal(n, 2);
    assert_true(h[0].loss == 1.25 && isnan(h[0].val_loss) && h[1].epoch == 2 && h[1].val_accuracy == 0.7);
    p = write_tmp("history.csv", "epoch,accuracy,loss,val_accuracy,val_loss\n1,0.5,x,0.1,0.2\n");
    assert_int_equal(clcnn_history_read(p, h, 4, &n), CLCNN_STATUS_PARSE_ERROR);
    assert_non_null(strstr(clcnn_last_error(), "history.csv:2:"));
    p = write_tmp("history.csv", "epoch,accuracy,loss,val_accuracy,val_loss\n1,0.5,0.4,0.1\n");
    assert_int_equal(clcnn_history_read(p, h, 4, &n), CLCNN_STATUS_PARSE_ERROR);
    p = write_tmp("history.csv", "not,a,history\n");
    assert_int_equal(clcnn_history_read(p, h, 4, &n), CLCNN_STATUS_PARSE_ERROR);
    assert_non_null(strstr(clcnn_last_error(), "is not a history.csv"));
}

static void test_run_info_round_trip(void **state) {
    (void)state;
    clcnn_epoch_metrics h[2] = {{.epoch = 1, .seconds = 2.5, .images_per_second = 1000},
                                {.epoch = 2, .seconds = 2.25, .images_per_second = 1100}};
    double lr[2] = {(float)0.001, NAN};
    clcnn_device_info dev = {0};
    snprintf(dev.name, sizeof dev.name, "a \"quoted\" device");
    snprintf(dev.platform, sizeof dev.platform, "PoCL");
    char path[256];
    snprintf(path, sizeof path, "%s/run.json", dir);
    assert_int_equal(clcnn_run_info_write(path, &dev, h, lr, 2), CLCNN_STATUS_OK);
    static clcnn_run_info info;
    assert_int_equal(clcnn_run_info_read(path, &info), CLCNN_STATUS_OK);
    assert_string_equal(info.device, "a \"quoted\" device");
    assert_int_equal(info.n_epochs, 2);
    assert_true(info.seconds[1] == 2.25 && info.images_per_second[0] == 1000);
    assert_true(info.learning_rate[0] == 0.001); /* the float's digits, not its widening's */
    assert_true(isnan(info.learning_rate[1]));
    write_tmp("run.json", "{\"device\": \"x\"}");
    assert_int_equal(clcnn_run_info_read(path, &info), CLCNN_STATUS_PARSE_ERROR);
    assert_non_null(strstr(clcnn_last_error(), "run.json"));
}

static void test_png_uri(void **state) {
    (void)state;
    uint8_t img[2 * 3 * 3];
    for (int i = 0; i < 18; i++) img[i] = (uint8_t)(i * 14);
    for (int c = 1; c <= 2; c++) {
        char *uri = report_png_data_uri(img, c == 1 ? 1 : 3, c == 1 ? 3 : 2, 3);
        assert_non_null(uri);
        /* base64 of the PNG signature \x89PNG\r\n\x1a\n */
        assert_int_equal(strncmp(uri, "data:image/png;base64,iVBORw0KGgo", 33), 0);
        assert_int_equal((strlen(uri) - 22) % 4, 0);
        free(uri);
    }
}

static int setup(void **state) {
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    const char *names[] = {"q.csv", "bad.csv", "history.csv", "run.json"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char p[256];
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        unlink(p);
    }
    return rmdir(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_quoting),      cmocka_unit_test(test_csv_errors),
        cmocka_unit_test(test_numbers),          cmocka_unit_test(test_history_strict),
        cmocka_unit_test(test_run_info_round_trip), cmocka_unit_test(test_png_uri),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
