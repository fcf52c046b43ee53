/* tests/opencl/test_image_folder_fit.c: configs/image_folder.yaml, the example config for
 * image-folder datasets, trained end to end on a small generated RGB set (three classes told
 * apart by colour, images larger than the model's input): it learns them, and the model file
 * names the classes after the folders. A spec whose monitor names no metric is refused. */
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

/* A spec built through the API skips the config's checks: a monitor naming an unknown metric
 * (which would monitor nothing: every value NaN) is refused with the key, before any epoch. */
static void test_unknown_monitor_refused(void **state) {
    (void)state;
    char root[600], cfg[1100];
    snprintf(root, sizeof root, "%s/monitor_images", test_dir);
    test_set_write(root, "train", 4, 3, 40, 36);
    test_set_write(root, "test", 2, 3, 40, 36);
    snprintf(cfg, sizeof cfg, "%s/configs/image_folder.yaml", CLCNN_SOURCE_DIR);
    clcnn_spec *spec = malloc(sizeof *spec);
    clcnn_fit_result *res = malloc(sizeof *res);
    clcnn_context *ctx = test_context();
    const char *keys[2] = {"train.early_stopping.monitor", "train.checkpoint_monitor"};
    for (int k = 0; k < 2; k++) {
        expect_ok(clcnn_config_load_file(cfg, spec, NULL));
        snprintf(spec->data.dir, sizeof spec->data.dir, "%s", root);
        spec->train.epochs = 1;
        char *monitor =
            k == 0 ? spec->train.early_stopping.monitor : spec->train.checkpoint_monitor;
        strcpy(monitor, "val_acc");
        clcnn_fit_options o = clcnn_fit_options_default();
        assert_int_equal(clcnn_fit(ctx, spec, &o, res), CLCNN_STATUS_INVALID_ARGUMENT);
        printf("%s\n", clcnn_last_error());
        assert_non_null(strstr(clcnn_last_error(), keys[k]));
        assert_non_null(strstr(clcnn_last_error(), "unknown metric 'val_acc'"));
        assert_int_equal(res->epochs_done, 0);
    }
    test_remove_tree(root);
    clcnn_context_destroy(ctx);
    free(spec), free(res);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_example_config_trains),
                                       cmocka_unit_test(test_unknown_monitor_refused)};
    return cmocka_run_group_tests(tests, test_dir_setup, test_dir_teardown);
}
