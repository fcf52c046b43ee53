/* tests/unit/test_train_controls.c: the training controls without a device: learning-rate
 * schedules (constant, step, cosine, warm-up) at hand-computed points, Keras' EarlyStopping rule
 * on hand-made metric sequences (patience, min_delta, direction, never after the first epoch),
 * and the config keys (data.augment, data.format, train.lr_schedule, train.early_stopping,
 * optimizer.weight_decay): parsing, defaults, range errors, --set, and the emitted config
 * loading back equal. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clcnn/config.h"
#include "test_util.h"
#include "train/schedule.h"

static clcnn_train_spec train_with(const char *schedule, int epochs, int warmup) {
    clcnn_spec s;
    clcnn_spec_default(&s);
    snprintf(s.train.lr_schedule.name, sizeof s.train.lr_schedule.name, "%s", schedule);
    s.train.optimizer.learning_rate = 0.1f;
    s.train.epochs = epochs;
    s.train.lr_schedule.warmup_epochs = warmup;
    return s.train;
}

static void near(double got, double want) {
    if (fabs(got - want) > 1e-9 * (1 + fabs(want))) fail_msg("got %.12g, want %.12g", got, want);
}

static void test_schedules(void **state) {
    (void)state;
    clcnn_train_spec t = train_with("constant", 5, 0);
    near(clcnn_lr_at(&t, 4, 9, 10), 0.1f);
    t = train_with("step", 30, 0);
    t.lr_schedule.drop = 0.5f, t.lr_schedule.every = 10;
    near(clcnn_lr_at(&t, 9, 99, 100), 0.1f);
    near(clcnn_lr_at(&t, 10, 0, 100), 0.1f * 0.5);
    near(clcnn_lr_at(&t, 25, 3, 100), 0.1f * 0.25);
    /* Cosine over 4 epochs x 10 steps: lr at step t of 40 is 0.1 (1 + cos(pi t / 40)) / 2. */
    t = train_with("cosine", 4, 0);
    near(clcnn_lr_at(&t, 0, 0, 10), 0.1f);
    near(clcnn_lr_at(&t, 2, 0, 10), 0.1f * 0.5);
    near(clcnn_lr_at(&t, 3, 0, 10), 0.1f * 0.5 * (1 + cos(3.14159265358979323846 * 30 / 40)));
    t.lr_schedule.alpha = 0.1f;
    near(clcnn_lr_at(&t, 2, 0, 10), 0.1f * ((1 - (double)0.1f) * 0.5 + (double)0.1f));
    near(clcnn_lr_at(&t, 9, 0, 10), 0.1f * (double)0.1f); /* past the plan: stays at the end */
    /* Warm-up over 2 epochs of 5 steps: 0.1 (t + 1) / 10; then cosine over the other 20 steps. */
    t = train_with("cosine", 6, 2);
    near(clcnn_lr_at(&t, 0, 0, 5), 0.1f / 10);
    near(clcnn_lr_at(&t, 1, 4, 5), 0.1f);
    near(clcnn_lr_at(&t, 2, 0, 5), 0.1f);
    near(clcnn_lr_at(&t, 4, 0, 5), 0.1f * 0.5);
    t = train_with("step", 30, 1);
    t.lr_schedule.every = 2;
    near(clcnn_lr_at(&t, 2, 0, 5), 0.1f);
    near(clcnn_lr_at(&t, 3, 0, 5), 0.1f * 0.5);
}

/* Feeds a sequence; returns the epoch after which training stops (-1: never) and the best. */
static int run_early(const double *v, int n, int patience, double min_delta, int maximize,
                     int *best_epoch) {
    clcnn_early_stopping_spec spec = {"val_loss", patience, (float)min_delta, 1};
    clcnn_early_stop es;
    clcnn_early_stop_init(&es);
    for (int e = 0; e < n; e++) {
        int improved;
        if (clcnn_early_stop_update(&es, &spec, maximize, e, v[e], &improved)) {
            *best_epoch = es.best_epoch;
            return e;
        }
    }
    *best_epoch = es.best_epoch;
    return -1;
}

static void test_early_stopping(void **state) {
    (void)state;
    int best;
    const double loss[] = {1.0, 0.8, 0.9, 0.85, 0.7, 0.75, 0.76, 0.77};
    assert_int_equal(run_early(loss, 8, 2, 0, 0, &best), 3); /* two epochs without a new best */
    assert_int_equal(best, 1);
    assert_int_equal(run_early(loss, 8, 3, 0, 0, &best), 7);
    assert_int_equal(best, 4);
    assert_int_equal(run_early(loss, 8, 0, 0, 0, &best), 2); /* patience 0: the first miss */
    /* min_delta: 0.8 -> 0.7 is a 0.1 gain, not more than 0.15. */
    assert_int_equal(run_early(loss, 8, 3, 0.15, 0, &best), 4);
    assert_int_equal(best, 1);
    const double acc[] = {0.5, 0.4, 0.6, 0.6, 0.6};
    assert_int_equal(run_early(acc, 5, 2, 0, 1, &best), 4); /* equal is no improvement */
    assert_int_equal(best, 2);
    const double first[] = {0.5, NAN, 0.5};
    assert_int_equal(run_early(first, 1, 0, 0, 1, &best), -1); /* never after the first epoch */
    assert_int_equal(run_early(first, 3, 0, 0, 1, &best), 2);  /* NAN epochs are skipped */
}

static const char *CONFIG =
    "data:\n"
    "  format: image_folder\n"
    "  train_dir: tr\n"
    "  augment: {horizontal_flip: true, width_shift: 0.1, zoom: 0.2, rotation: 0.05,\n"
    "            fill_mode: constant, fill_value: 3, interpolation: nearest, erasing: 0.5}\n"
    "model: {layers: [conv2d: {activation: elu}, batch_normalization: {momentum: 0.9},\n"
    "                 dropout: {rate: 0.3}, global_average_pooling2d, dense: {units: 10}]}\n"
    "train:\n"
    "  optimizer: {name: adam, weight_decay: 0.0001}\n"
    "  lr_schedule: cosine\n"
    "  early_stopping: {monitor: val_accuracy, patience: 3, restore_best_weights: true}\n";

static void test_config_keys(void **state) {
    (void)state;
    clcnn_spec s, back, d;
    clcnn_spec_default(&d);
    assert_string_equal(d.data.format, "idx");
    assert_string_equal(d.data.augment.fill_mode, "reflect");
    assert_true(d.data.augment.erasing_max_area == 0.33f && d.train.lr_schedule.every == 10);
    assert_true(d.train.early_stopping.monitor[0] == 0 && d.train.optimizer.weight_decay == 0);
    if (clcnn_config_load_string(CONFIG, "c.yaml", &s, NULL)) fail_msg("%s", clcnn_last_error());
    assert_string_equal(s.data.format, "image_folder");
    assert_string_equal(s.data.train_dir, "tr");
    assert_true(s.data.augment.horizontal_flip && s.data.augment.zoom == 0.2f);
    assert_string_equal(s.data.augment.interpolation, "nearest");
    assert_string_equal(s.train.lr_schedule.name, "cosine");
    assert_string_equal(s.train.early_stopping.monitor, "val_accuracy");
    assert_true(s.train.optimizer.weight_decay == 0.0001f);
    assert_true(s.model.layers[1].momentum == 0.9f && s.model.layers[2].rate == 0.3f);
    assert_int_equal(
        clcnn_config_set(&s, NULL, "train.lr_schedule={name: step, drop: 0.1, every: 3}"), 0);
    assert_int_equal(clcnn_config_set(&s, NULL, "data.augment.erasing=0.25"), 0);
    assert_true(s.train.lr_schedule.drop == 0.1f && s.data.augment.erasing == 0.25f);
    char *yaml;
    assert_int_equal(clcnn_config_emit(&s, NULL, &yaml), 0);
    if (clcnn_config_load_string(yaml, "emitted", &back, NULL))
        fail_msg("%s\n%s", clcnn_last_error(), yaml);
    assert_memory_equal(&back.data, &s.data, sizeof s.data);
    assert_memory_equal(&back.train, &s.train, sizeof s.train);
    free(yaml);
    const char *bad[][2] = {
        {"data: {augment: {zoom: 1.0}}", "zoom"},
        {"data: {augment: {fill_mode: mirror}}", "reflect, constant, nearest, wrap"},
        {"data: {augment: {flip: true}}", "flip"},
        {"data: {format: png}", "idx, image_folder"},
        {"train: {lr_schedule: linear}", "constant, step, cosine"},
        {"train: {lr_schedule: {name: step, every: 0}}", "every"},
        {"train: {early_stopping: {monitor: val_acc}}", "val_accuracy"},
        {"train: {optimizer: {weight_decay: -1}}", "weight_decay"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_not_equal(clcnn_config_load_string(bad[i][0], "bad.yaml", &s, NULL), 0);
        if (!strstr(clcnn_last_error(), bad[i][1]))
            fail_msg("'%s': message '%s' lacks '%s'", bad[i][0], clcnn_last_error(), bad[i][1]);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schedules),
        cmocka_unit_test(test_early_stopping),
        cmocka_unit_test(test_config_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
