/* tests/unit/test_device_match.c: clcnn_device_match on made-up device lists: an index, whole
 * words before substrings, the first GPU among equal matches, and an unknown name's error. */
#include <stdio.h>
#include <string.h>

#include "clcnn/device.h"
#include "test_util.h"

static clcnn_device_info dev(int index, const char *platform, const char *name, const char *type) {
    clcnn_device_info d;
    memset(&d, 0, sizeof d);
    d.index = index;
    snprintf(d.platform, sizeof d.platform, "%s", platform);
    snprintf(d.name, sizeof d.name, "%s", name);
    snprintf(d.type, sizeof d.type, "%s", type);
    return d;
}

/* PoCL's CPU first (as the ICD loader often lists it), then an AMD and an NVIDIA GPU. */
static void machine(clcnn_device_info d[3]) {
    d[0] = dev(0, "Portable Computing Language", "cpu-haswell-AMD EPYC 7B13 64-Core Processor",
               "CPU");
    d[1] = dev(1, "AMD Accelerated Parallel Processing", "gfx90a:sramecc+:xnack-", "GPU");
    d[2] = dev(2, "NVIDIA CUDA", "NVIDIA H100 80GB HBM3", "GPU");
    d[1].is_default = 1;
}

static int pick(const clcnn_device_info *d, int n, const char *selector) {
    int index = -1;
    assert_int_equal(clcnn_device_match(d, n, selector, &index), CLCNN_STATUS_OK);
    return index;
}

static void test_index_and_default(void **state) {
    (void)state;
    clcnn_device_info d[3];
    machine(d);
    assert_int_equal(pick(d, 3, "0"), 0);
    assert_int_equal(pick(d, 3, "2"), 2);
    assert_int_equal(pick(d, 3, NULL), 1);
    assert_int_equal(pick(d, 3, ""), 1);
}

static void test_whole_word_beats_substring(void **state) {
    (void)state;
    clcnn_device_info d[3];
    machine(d);
    /* "amd": a word in PoCL's device name and in AMD's platform name; the GPU wins the tie. */
    assert_int_equal(pick(d, 3, "amd"), 1);
    assert_int_equal(pick(d, 3, "AMD"), 1);
    /* "epyc" is a word only in the CPU's name. */
    assert_int_equal(pick(d, 3, "epyc"), 0);
    assert_int_equal(pick(d, 3, "nvidia"), 2);
    /* "gfx90" is only a substring, of one device; "cuda" a word of one platform. */
    assert_int_equal(pick(d, 3, "gfx90"), 1);
    assert_int_equal(pick(d, 3, "cuda"), 2);
    /* "portable: cpu" spans platform and device: a substring of "platform: device". */
    assert_int_equal(pick(d, 3, "computing language: cpu"), 0);

    /* A word in a later CPU beats a substring in an earlier GPU. */
    clcnn_device_info e[2];
    e[0] = dev(0, "Some Vendor", "Architect GPU", "GPU");
    e[1] = dev(1, "Portable Computing Language", "cpu-arc-generic", "CPU");
    assert_int_equal(pick(e, 2, "arc"), 1);
    assert_int_equal(pick(e, 2, "ar"), 0); /* substrings only: the first GPU */
}

static void test_equal_matches_first_gpu_else_first(void **state) {
    (void)state;
    clcnn_device_info d[3];
    d[0] = dev(0, "Portable Computing Language", "cpu-a", "CPU");
    d[1] = dev(1, "Portable Computing Language", "cpu-b", "CPU");
    d[2] = dev(2, "Other", "gpu", "GPU");
    assert_int_equal(pick(d, 3, "portable"), 0);
    assert_int_equal(pick(d, 3, "cpu"), 0);
    d[1] = dev(1, "X", "gpu one", "GPU");
    assert_int_equal(pick(d, 3, "gpu"), 1);
}

static void test_unknown_lists_devices(void **state) {
    (void)state;
    clcnn_device_info d[3];
    machine(d);
    int index = -1;
    assert_int_equal(clcnn_device_match(d, 3, "intel", &index), CLCNN_STATUS_NO_DEVICE);
    assert_int_equal(index, -1);
    assert_non_null(strstr(clcnn_last_error(), "'intel'"));
    assert_non_null(strstr(clcnn_last_error(), "2: NVIDIA CUDA: NVIDIA H100"));
    assert_int_equal(clcnn_device_match(d, 3, "3", &index), CLCNN_STATUS_NO_DEVICE);
    assert_int_equal(clcnn_device_match(d, 0, "amd", &index), CLCNN_STATUS_NO_DEVICE);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_index_and_default),
        cmocka_unit_test(test_whole_word_beats_substring),
        cmocka_unit_test(test_equal_matches_first_gpu_else_first),
        cmocka_unit_test(test_unknown_lists_devices),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
