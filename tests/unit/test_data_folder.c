/* tests/unit/test_data_folder.c: image-folder datasets (data.format: image_folder) on generated
 * PNG and JPEG sets, grey and RGB: class names from the sorted sub-folders, labels, conversion
 * and resizing to the model's input, the fixed shuffle, limits, stray files skipped, and the
 * errors (class count or names that do not match, an unknown test class, no folder, no images). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clcnn/data.h"
#include "test_data_util.h"
#include "test_image_set.h"

static char root[600];

static int setup(void **state) {
    if (test_dir_setup(state)) return -1;
    snprintf(root, sizeof root, "%s/images", test_dir);
    return 0;
}

static int teardown(void **state) {
    test_remove_tree(root);
    return test_dir_teardown(state);
}

static clcnn_spec spec_for(int h, int w, int c) {
    clcnn_spec s;
    clcnn_spec_default(&s);
    snprintf(s.data.format, sizeof s.data.format, "image_folder");
    snprintf(s.data.dir, sizeof s.data.dir, "%s", root);
    s.data.n_classes = 3;
    for (int k = 0; k < 3; k++) snprintf(s.data.classes[k], sizeof s.data.classes[k], "%d", k);
    s.model.input_shape[0] = h, s.model.input_shape[1] = w, s.model.input_shape[2] = c;
    return s;
}

/* The example holds the file's image, as clcnn_image_load gives it, for a file of its class. */
static int is_one_of_its_class(const clcnn_dataset *ds, int i, const char *split, int per_class) {
    size_t ex = (size_t)ds->c * ds->h * ds->w;
    uint8_t *img = malloc(ex);
    int found = 0;
    for (int f = 0; f < per_class && !found; f++) {
        char path[1200];
        snprintf(path, sizeof path, "%s/%s/%s/%03d.%s", root, split, test_set_classes[ds->labels[i]], f,
                 f == per_class - 1 ? "JPG" : "png");
        expect_ok(clcnn_image_load(path, ds->c, ds->h, ds->w, img));
        found = memcmp(img, ds->images + (size_t)i * ex, ex) == 0;
    }
    free(img);
    return found;
}

static void test_grey(void **state) {
    (void)state;
    test_remove_tree(root);
    test_set_write(root, "train", 5, 1, 13, 11);
    test_set_write(root, "test", 2, 1, 9, 15);
    clcnn_spec s = spec_for(8, 10, 1);
    clcnn_dataset train, test;
    clcnn_data_spec resolved;
    expect_ok(clcnn_data_load_for(&s, &train, &test, &resolved));
    assert_true(train.n == 15 && test.n == 6 && train.c == 1 && train.h == 8 && train.w == 10);
    for (int k = 0; k < 3; k++) assert_string_equal(resolved.classes[k], test_set_classes[k]);
    int count[3] = {0}, in_order = 1;
    for (int i = 0; i < train.n; i++) {
        count[train.labels[i]]++;
        in_order &= i == 0 || train.labels[i] >= train.labels[i - 1];
        assert_true(is_one_of_its_class(&train, i, "train", 5));
    }
    assert_true(count[0] == 5 && count[1] == 5 && count[2] == 5);
    assert_false(in_order); /* shuffled once, so a split's tail is not the last class */
    for (int i = 0; i < test.n; i++) assert_true(is_one_of_its_class(&test, i, "test", 2));
    /* The same order every time; limits keep the head. */
    clcnn_dataset again;
    s.data.train_limit = 4;
    expect_ok(clcnn_data_load_for(&s, &again, NULL, NULL));
    assert_int_equal(again.n, 4);
    assert_memory_equal(again.labels, train.labels, 4);
    assert_memory_equal(again.images, train.images, 4 * 80);
    clcnn_dataset_free(&train), clcnn_dataset_free(&test), clcnn_dataset_free(&again);
}

static void test_rgb(void **state) {
    (void)state;
    test_remove_tree(root);
    test_set_write(root, "train", 4, 3, 20, 17);
    test_set_write(root, "test", 1, 3, 20, 17);
    clcnn_spec s = spec_for(16, 16, 3);
    for (int k = 0; k < 3; k++) snprintf(s.data.classes[k], sizeof s.data.classes[k], "%s", test_set_classes[k]);
    clcnn_dataset train, test;
    expect_ok(clcnn_data_load_for(&s, &train, &test, NULL));
    assert_true(train.n == 12 && test.n == 3 && train.c == 3);
    /* The bright plane is the class's colour: blue (plane 2), green (1), red (0). */
    for (int i = 0; i < train.n; i++) {
        const uint8_t *ex = train.images + (size_t)i * 3 * 256;
        int bright = 2 - train.labels[i];
        for (int ch = 0; ch < 3; ch++) assert_true(ch == bright ? ex[ch * 256 + 37] > 150 : ex[ch * 256 + 37] < 80);
        assert_true(is_one_of_its_class(&train, i, "train", 4));
    }
    /* Grey from RGB: luminance. */
    s.model.input_shape[2] = 1;
    clcnn_dataset grey;
    expect_ok(clcnn_data_load_for(&s, &grey, NULL, NULL));
    assert_int_equal(grey.c, 1);
    clcnn_dataset_free(&train), clcnn_dataset_free(&test), clcnn_dataset_free(&grey);
}

static void test_errors(void **state) {
    (void)state;
    test_remove_tree(root);
    test_set_write(root, "train", 2, 1, 6, 6);
    clcnn_spec s = spec_for(6, 6, 1);
    clcnn_dataset train, test;
    s.data.n_classes = 4;
    expect_error(clcnn_data_load_for(&s, &train, NULL, NULL), CLCNN_STATUS_INVALID_ARGUMENT,
                 "3 class folders (blue, green, red)", "data.classes has 4", "data.classes: 3");
    s.data.n_classes = 3;
    snprintf(s.data.classes[1], sizeof s.data.classes[1], "cat");
    expect_error(clcnn_data_load_for(&s, &train, NULL, NULL), CLCNN_STATUS_INVALID_ARGUMENT,
                 "does not name the class folders", "blue, green, red");
    s = spec_for(6, 6, 1);
    expect_error(clcnn_data_load_for(&s, &train, &test, NULL), CLCNN_STATUS_IO_ERROR, "test");
    char path[1200];
    snprintf(path, sizeof path, "%s/test", root);
    test_set_mkdir(path);
    snprintf(path, sizeof path, "%s/test/dog", root);
    test_set_mkdir(path);
    expect_error(clcnn_data_load_for(&s, &train, &test, NULL), CLCNN_STATUS_INVALID_ARGUMENT,
                 "test/dog' is not a class");
    assert_null(train.images);
    rmdir(path);
    expect_error(clcnn_data_load_for(&s, &train, &test, NULL), CLCNN_STATUS_NOT_FOUND, "no images");
    snprintf(s.data.train_dir, sizeof s.data.train_dir, "nowhere");
    expect_error(clcnn_data_load_for(&s, &train, NULL, NULL), CLCNN_STATUS_IO_ERROR, "nowhere");
    expect_error(clcnn_data_load(&s.data, &train, NULL), CLCNN_STATUS_INVALID_ARGUMENT,
                 "clcnn_data_load_for");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grey),
        cmocka_unit_test(test_rgb),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
