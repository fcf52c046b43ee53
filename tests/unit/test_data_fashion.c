/* tests/unit/test_data_fashion.c: the real Fashion-MNIST files (Debian's dataset-fashion-mnist
 * package) load through the default data spec with the known sizes, labels and pixel sums.
 * Without the package the test fails, never skips: every later stage depends on this data. */
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "clcnn/data.h"
#include "test_data_util.h"

#define FASHION_DIR "/usr/share/datasets/fashion-mnist"

static void default_spec(clcnn_data_spec *d) {
    struct stat st;
    if (stat(FASHION_DIR, &st) != 0 || !S_ISDIR(st.st_mode))
        fail_msg("%s is missing: install the Fashion-MNIST files "
                 "(apt-get install dataset-fashion-mnist)",
                 FASHION_DIR);
    clcnn_spec spec;
    clcnn_spec_default(&spec);
    *d = spec.data;
    assert_string_equal(d->dir, FASHION_DIR);
}

static uint64_t sum_bytes(const uint8_t *p, size_t n) {
    uint64_t s = 0;
    for (size_t i = 0; i < n; i++)
        s += p[i];
    return s;
}

static void check_balanced(const clcnn_dataset *ds, int per_class) {
    int count[10] = {0};
    for (int i = 0; i < ds->n; i++) {
        assert_true(ds->labels[i] < 10);
        count[ds->labels[i]]++;
    }
    for (int k = 0; k < 10; k++)
        assert_int_equal(count[k], per_class);
}

static void test_full_sets(void **state) {
    (void)state;
    clcnn_data_spec d;
    default_spec(&d);
    clcnn_dataset train, test;
    expect_ok(clcnn_data_load(&d, &train, &test));
    assert_int_equal(train.n, 60000);
    assert_int_equal(test.n, 10000);
    const clcnn_dataset *sets[2] = {&train, &test};
    for (int i = 0; i < 2; i++) {
        assert_int_equal(sets[i]->c, 1);
        assert_int_equal(sets[i]->h, 28);
        assert_int_equal(sets[i]->w, 28);
    }
    const uint8_t train_first[10] = {9, 0, 0, 3, 0, 2, 7, 2, 5, 5}, test_first[5] = {9, 2, 1, 1, 6};
    assert_memory_equal(train.labels, train_first, 10);
    assert_memory_equal(test.labels, test_first, 5);
    check_balanced(&train, 6000);
    check_balanced(&test, 1000);
    /* Pixel sums computed independently with Python's gzip module. */
    assert_int_equal(sum_bytes(train.images, 784), 76247);
    assert_int_equal(train.images[14 * 28 + 14], 217);
    assert_int_equal(sum_bytes(train.images, (size_t)60000 * 784), 3431114169ull);
    assert_int_equal(sum_bytes(test.images, (size_t)10000 * 784), 573469082ull);
    clcnn_dataset_free(&train);
    clcnn_dataset_free(&test);
}

static void test_limits(void **state) {
    (void)state;
    clcnn_data_spec d;
    default_spec(&d);
    d.train_limit = 1000;
    d.test_limit = 7;
    clcnn_dataset train, test;
    expect_ok(clcnn_data_load(&d, &train, &test));
    assert_int_equal(train.n, 1000);
    assert_int_equal(test.n, 7);
    assert_int_equal(train.labels[0], 9);
    assert_int_equal(test.labels[6], 4);
    assert_int_equal(sum_bytes(train.images, 784), 76247);
    clcnn_dataset_free(&train);
    clcnn_dataset_free(&test);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_sets),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
