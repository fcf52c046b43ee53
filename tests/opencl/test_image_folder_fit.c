/* tests/opencl/test_image_folder_fit.c: configs/image_folder.yaml, the example config for
 * image-folder datasets, trained end to end on a small generated RGB set (three classes told
 * apart by colour, images larger than the model's input): it learns them, and the model file
 * names the classes after the folders. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clcnn/config.h"
#include "clcnn/train.h"
#include "unit/test_data_util.h"
#include "test_image_set.h"

static void test_example_config_trains(void **state) {
    (void)state;
    char root[600], out[700], model[800], cfg[1100];
    snprintf(root, sizeof root, "%s/images", test_dir);
    snprintf(out, sizeof out, "%s/out", test_dir);
    snprintf(model, sizeof model, "%s/model.safetensors", out);
    test_set_write(root, "train", 30, 3, 40, 36);
    test_set_write(root, "test", 4, 3, 40, 36);
    snprintf(cfg, sizeof cfg, "%s/configs/image_folder.yaml", CLCNN_SOURCE_DIR);
    clcnn_spec *spec = malloc(sizeof *spec);
    expect_ok(clcnn_config_load_file(cfg, spec, NULL));
    snprintf(spec->data.dir, sizeof spec->data.dir, "%s", root);
    snprintf(spec->train.conv_route, sizeof spec->train.conv_route, "own"); /* no route timing */
    spec->train.epochs = 6;
    clcnn_context *ctx = test_context();
    clcnn_fit_options o = clcnn_fit_options_default();
    o.out_dir = out;
    clcnn_fit_result *res = malloc(sizeof *res);
    expect_ok(clcnn_fit(ctx, spec, &o, res));
    printf("image folder: val_accuracy %.3f, test accuracy %.3f\n",
           res->history[res->epochs_done - 1].val_accuracy, res->test_accuracy);
    assert_true(res->test_accuracy >= 0.75);
    clcnn_spec *saved = malloc(sizeof *saved);
    expect_ok(clcnn_model_file_spec(model, saved));
    for (int k = 0; k < 3; k++) assert_string_equal(saved->data.classes[k], test_set_classes[k]);
    test_remove_tree(out);
    test_remove_tree(root);
    clcnn_context_destroy(ctx);
    free(spec), free(res), free(saved);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_example_config_trains)};
    return cmocka_run_group_tests(tests, test_dir_setup, test_dir_teardown);
}
