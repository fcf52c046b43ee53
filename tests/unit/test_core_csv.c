/* tests/unit/test_core_csv.c: clcnn_csv_field, the CSV quoting of summary.csv and the benchmark
 * reports: a plain field as it is; one with a comma, a quote, a CR or an LF in double quotes,
 * each quote doubled (RFC 4180). */
#include <stdio.h>
#include <stdlib.h>

#include "core/core.h"
#include "test_util.h"

static void expect_field(const char *in, const char *want) {
    char *text = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&text, &len);
    assert_non_null(fp);
    clcnn_csv_field(fp, in);
    assert_int_equal(fclose(fp), 0);
    assert_string_equal(text, want);
    free(text);
}

static void test_plain(void **state) {
    (void)state;
    expect_field("", "");
    expect_field("relu", "relu");
    expect_field("1e-3 x; 'y'\t", "1e-3 x; 'y'\t"); /* nothing CSV treats specially */
}

static void test_quoted(void **state) {
    (void)state;
    expect_field("a,b", "\"a,b\"");
    expect_field("say \"hi\"", "\"say \"\"hi\"\"\"");
    expect_field("\"", "\"\"\"\"");
    expect_field("line\rbreak", "\"line\rbreak\"");
    expect_field("line\nbreak", "\"line\nbreak\"");
    expect_field("a\r\nb,\"c\"", "\"a\r\nb,\"\"c\"\"\"");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain),
        cmocka_unit_test(test_quoted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
