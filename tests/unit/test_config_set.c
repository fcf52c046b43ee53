/* tests/unit/test_config_set.c: key paths (clcnn_config_set), hyperparameter values
 * (clcnn_spec_apply_hparams), emit/load round trips and clcnn_spec_validate. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clcnn/config.h"
#include "test_util.h"

static clcnn_spec spec, other;
static clcnn_search_space space, other_space; /* 65 KB each: static rather than on the stack */

static void load_embedded(const char *name, clcnn_spec *s) {
    const char *text = clcnn_config_embedded(name);
    assert_non_null(text);
    if (clcnn_config_load_string(text, name, s, &space)) fail_msg("%s", clcnn_last_error());
}

static void set_ok(const char *assignment) {
    if (clcnn_config_set(&spec, &space, assignment))
        fail_msg("--set %s: %s", assignment, clcnn_last_error());
}

static void set_fails(const char *assignment, clcnn_status st, const char *message) {
    clcnn_spec before = spec;
    static clcnn_search_space space_before;
    space_before = space;
    clcnn_status got = clcnn_config_set(&spec, &space, assignment);
    if (got != st || !strstr(clcnn_last_error(), message))
        fail_msg("--set %s: want %s '%s', got %s '%s'", assignment, clcnn_status_name(st), message,
                 clcnn_status_name(got), clcnn_last_error());
    assert_memory_equal(&before, &spec, sizeof spec); /* a failed set changes nothing */
    assert_memory_equal(&space_before, &space, sizeof space);
}

/* Layer positions differ between a file and its emitted copy; nothing else may. */
static void assert_specs_equal(clcnn_spec *a, clcnn_spec *b) {
    for (int i = 0; i < CLCNN_MAX_LAYERS; i++) {
        a->model.layers[i].line = a->model.layers[i].column = 0;
        b->model.layers[i].line = b->model.layers[i].column = 0;
    }
    assert_int_equal(a->model.n_layers, b->model.n_layers);
    assert_memory_equal(&a->data, &b->data, sizeof a->data);
    assert_memory_equal(&a->model, &b->model, sizeof a->model);
    assert_memory_equal(&a->train, &b->train, sizeof a->train);
    assert_memory_equal(&a->tune, &b->tune, sizeof a->tune);
}

/* Emits spec (with space when include_tune), loads it back into other, checks equality, and that
 * emitting again gives the same text. */
static void round_trip(int include_tune) {
    char *yaml, *again;
    const clcnn_search_space *with = include_tune ? &space : NULL;
    assert_int_equal(clcnn_config_emit(&spec, with, &yaml), CLCNN_STATUS_OK);
    if (clcnn_config_load_string(yaml, "emitted", &other, &other_space))
        fail_msg("%s\nin:\n%s", clcnn_last_error(), yaml);
    assert_int_equal(clcnn_config_emit(&other, include_tune ? &other_space : NULL, &again),
                     CLCNN_STATUS_OK);
    assert_string_equal(yaml, again);
    clcnn_spec copy = spec;
    assert_specs_equal(&copy, &other);
    if (!include_tune) {
        assert_int_equal(other_space.n_hparams, 0);
    } else {
        assert_int_equal(space.n_hparams, other_space.n_hparams);
        assert_memory_equal(&space, &other_space, sizeof space);
    }
    free(yaml);
    free(again);
}

static void test_set_listed_keys(void **state) {
    (void)state;
    load_embedded("fashion_mnist", &spec); /* states none of the data limits, nor test_limit */
    set_ok("train.epochs=3");
    assert_int_equal(spec.train.epochs, 3);
    set_ok("train.batch_size=128");
    assert_int_equal(spec.train.batch_size, 128);
    set_ok("data.train_limit=1000");
    assert_int_equal(spec.data.train_limit, 1000);
    set_ok("data.train_limit=null");
    assert_int_equal(spec.data.train_limit, -1);
    set_ok("data.test_limit=1000");
    assert_int_equal(spec.data.test_limit, 1000);
    set_ok("data.test_limit=");
    assert_int_equal(spec.data.test_limit, -1);
    set_ok("data.validation_split=0.2");
    assert_true(spec.data.validation_split == 0.2f);
    set_ok("model.layers.0.filters=32");
    assert_int_equal(spec.model.layers[0].filters, 32);
    set_ok("model.layers.0.kernel_size=[3,5]");
    assert_int_equal(spec.model.layers[0].kernel_size[0], 3);
    assert_int_equal(spec.model.layers[0].kernel_size[1], 5);
    set_ok("model.layers.1.kernel_size=5");
    assert_int_equal(spec.model.layers[1].kernel_size[1], 5);
    set_ok("model.layers.0.strides=null");
    assert_int_equal(spec.model.layers[0].strides[0], 0);
    set_ok("train.optimizer.learning_rate=0.01");
    assert_true(spec.train.optimizer.learning_rate == 0.01f);
    set_ok("train.optimizer.beta_2=0.99");
    assert_true(spec.train.optimizer.beta_2 == 0.99f);
    set_ok("tune.max_trials=0"); /* no limit: Hyperband runs its whole schedule */
    assert_int_equal(spec.tune.max_trials, 0);
    set_fails("tune.max_trials=-1", CLCNN_STATUS_INVALID_ARGUMENT, "max_trials");
    set_ok("tune.direction=min");
    assert_int_equal(spec.tune.direction, -1);
    set_ok("tune.seed=7");
    assert_true(spec.tune.seed == 7);
    set_ok("train.checkpoint_monitor=val_loss");
    assert_string_equal(spec.train.checkpoint_monitor, "val_loss");
    set_ok("data.dir=/data/my set");
    assert_string_equal(spec.data.dir, "/data/my set");
    set_ok("data.classes=[a, b]");
    assert_int_equal(spec.data.n_classes, 2);
    set_ok("model.input_shape=[32, 32, 3]");
    assert_int_equal(spec.model.input_shape[2], 3);
    set_ok("model.layers.4={dense: {units: 7, activation: softmax}}");
    assert_int_equal(spec.model.layers[4].units, 7);
    set_ok("model.layers.3.type=dropout");
    assert_string_equal(spec.model.layers[3].type, "dropout");
    set_ok("model.layers.3.rate=0.3");
    assert_true(spec.model.layers[3].rate == 0.3f);
    assert_int_equal(clcnn_spec_validate(&spec), CLCNN_STATUS_OK);
}

static void test_set_optimizer(void **state) {
    (void)state;
    load_embedded("fashion_mnist", &spec);
    set_ok("train.optimizer.name=sgd"); /* the learning rate was adam's default: sgd's now */
    assert_true(spec.train.optimizer.learning_rate == 0.01f);
    set_ok("train.optimizer=adam");
    assert_true(spec.train.optimizer.learning_rate == 0.001f);
    set_ok("train.optimizer.learning_rate=0.05");
    set_ok("train.optimizer={name: rmsprop, rho: 0.8}");
    assert_string_equal(spec.train.optimizer.name, "rmsprop");
    assert_true(spec.train.optimizer.learning_rate == 0.05f); /* given: kept */
    assert_true(spec.train.optimizer.rho == 0.8f);
}

static void test_set_errors(void **state) {
    (void)state;
    load_embedded("fashion_mnist", &spec);
    set_fails("train.epochz=3", CLCNN_STATUS_NOT_FOUND,
              "--set train.epochz=3: unknown key 'epochz' in train");
    set_fails("train.epochs=abc", CLCNN_STATUS_INVALID_ARGUMENT,
              "--set train.epochs=abc: train.epochs: expected an integer >= 1, got 'abc'");
    set_fails("train.epochs=-1", CLCNN_STATUS_INVALID_ARGUMENT, "expected an integer >= 1");
    set_fails("train.epochs", CLCNN_STATUS_INVALID_ARGUMENT, "expected key.path=value");
    set_fails("=3", CLCNN_STATUS_INVALID_ARGUMENT, "expected key.path=value");
    set_fails("model.layers.5.filters=3", CLCNN_STATUS_NOT_FOUND,
              "model.layers.5: no such layer (the model has 5 layers)");
    set_fails("model.layers.x.filters=3", CLCNN_STATUS_INVALID_ARGUMENT, "not a layer index");
    set_fails("model.layers.0.units=3", CLCNN_STATUS_NOT_FOUND,
              "unknown key 'units' in layer 0 (conv2d)");
    set_fails("model.layers.0.type=conv3d", CLCNN_STATUS_INVALID_ARGUMENT, "expected a layer type");
    set_fails("train.epochs.x=1", CLCNN_STATUS_NOT_FOUND, "train.epochs has no keys below it");
    set_fails("data.train_limit=0", CLCNN_STATUS_INVALID_ARGUMENT, "data.train_limit");
    set_fails("data.validation_split=1", CLCNN_STATUS_INVALID_ARGUMENT, "[0, 1)");
    set_fails("model.layers.0.kernel_size=[3,5", CLCNN_STATUS_PARSE_ERROR, "--set ");
    set_fails("model.layers.0.kernel_size=[3,5,7]", CLCNN_STATUS_INVALID_ARGUMENT,
              "kernel_size: expected");
    set_fails("tune.max_trials={hp: int, name: t, min: 1, max: 2}", CLCNN_STATUS_INVALID_ARGUMENT,
              "tune.max_trials cannot be a hyperparameter");
    set_fails("train..epochs=1", CLCNN_STATUS_INVALID_ARGUMENT, "is not a key path");
}

static void test_set_and_hparams(void **state) {
    (void)state;
    load_embedded("fashion_mnist_tune", &spec);
    assert_int_equal(space.n_hparams, 6);
    /* Fixing a targeted key takes the hyperparameter out of the search. */
    set_ok("model.layers.0.filters=48");
    assert_int_equal(spec.model.layers[0].filters, 48);
    assert_int_equal(space.n_hparams, 5);
    assert_string_equal(space.hparams[0].name, "conv_1_kernel");
    /* A whole layer replaced: its targets go too. */
    set_ok("model.layers.1={conv2d: {filters: 16, activation: relu}}");
    assert_int_equal(space.n_hparams, 3);
    /* A declaration through --set. */
    set_ok("train.batch_size={hp: choice, name: bs, values: [16, 64]}");
    assert_int_equal(space.n_hparams, 4);
    assert_string_equal(space.hparams[3].name, "bs");
    assert_string_equal(space.targets[3][0], "train.batch_size");
    assert_int_equal(spec.train.batch_size, 16);
    assert_int_equal(clcnn_spec_validate(&spec), CLCNN_STATUS_OK);
    round_trip(1);
}

static void test_apply_hparams(void **state) {
    (void)state;
    load_embedded("fashion_mnist_tune", &spec);
    /* conv_1_filter, conv_1_kernel (index), conv_2_filter, conv_2_kernel, dense_1_units, lr */
    const double values[] = {64, 1, 48, 0, 96, 1};
    assert_int_equal(clcnn_spec_apply_hparams(&spec, &space, values), CLCNN_STATUS_OK);
    const clcnn_layer_spec *l = spec.model.layers;
    assert_int_equal(l[0].filters, 64);
    assert_int_equal(l[0].kernel_size[0], 5);
    assert_int_equal(l[0].kernel_size[1], 5);
    assert_int_equal(l[1].filters, 48);
    assert_int_equal(l[1].kernel_size[0], 3);
    assert_int_equal(l[3].units, 96);
    assert_true(spec.train.optimizer.learning_rate == 0.001f);
    assert_int_equal(space.n_hparams, 6); /* the space stays */
    round_trip(1);
    round_trip(0);

    /* NAN: inactive, left alone. */
    const double some[] = {NAN, NAN, NAN, NAN, 128, NAN};
    assert_int_equal(clcnn_spec_apply_hparams(&spec, &space, some), CLCNN_STATUS_OK);
    assert_int_equal(l[0].filters, 64);
    assert_int_equal(l[3].units, 128);

    /* Illegal values change nothing. */
    clcnn_spec before = spec;
    const double bad_index[] = {64, 7, 48, 0, 96, 1};
    assert_int_equal(clcnn_spec_apply_hparams(&spec, &space, bad_index),
                     CLCNN_STATUS_INVALID_ARGUMENT);
    assert_non_null(strstr(clcnn_last_error(), "conv_1_kernel"));
    const double off_grid[] = {40, 0, 48, 0, 96, 1};
    assert_int_equal(clcnn_spec_apply_hparams(&spec, &space, off_grid),
                     CLCNN_STATUS_INVALID_ARGUMENT);
    assert_memory_equal(&before, &spec, sizeof spec);
}

static void test_apply_kinds(void **state) {
    (void)state;
    /* The learning rate is declared before the optimizer's name, yet an explicit learning rate
     * wins over the name's default whatever the order; strings and booleans format back. */
    const char *yaml =
        "model:\n  layers:\n"
        "    - dense:\n"
        "        activation: {hp: choice, name: act, values: [relu, tanh, \"sigmoid\"]}\n"
        "        use_bias: {hp: boolean, name: bias}\n"
        "        units: {hp: int, name: u, min: 4, max: 64, step: 4, log: true,\n"
        "                parent: act, parent_values: [tanh, sigmoid]}\n"
        "train:\n"
        "  optimizer:\n"
        "    learning_rate: {hp: float, name: lr, min: 1e-4, max: 1e-2, log: true}\n"
        "    name: {hp: choice, name: opt, values: [adam, sgd]}\n"
        "  epochs: {hp: int, name: e, min: 1, max: 3}\n"
        "data:\n"
        "  validation_split: {hp: float, name: split, min: 0.1, max: 0.3, step: 0.1}\n";
    if (clcnn_config_load_string(yaml, "k.yaml", &spec, &space)) fail_msg("%s", clcnn_last_error());
    /* act, bias, u, opt (the name leads in its map), lr, e, split */
    assert_int_equal(space.n_hparams, 7);
    assert_string_equal(space.hparams[3].name, "opt");
    assert_true(space.hparams[2].parent_values[1] == 2);
    const double values[] = {1, 1, 16, 1, 0.005, 3, 0.2};
    assert_int_equal(clcnn_spec_apply_hparams(&spec, &space, values), CLCNN_STATUS_OK);
    const clcnn_layer_spec *l = &spec.model.layers[0];
    assert_string_equal(l->activation, "tanh");
    assert_int_equal(l->use_bias, 1);
    assert_int_equal(l->units, 16);
    assert_string_equal(spec.train.optimizer.name, "sgd");
    assert_true(spec.train.optimizer.learning_rate == 0.005f);
    assert_int_equal(spec.train.epochs, 3);
    assert_true(spec.data.validation_split == 0.2f);
    round_trip(1);
    round_trip(0);

    /* With no learning rate given, sgd trains at its own default. */
    const char *opt_only =
        "train: {optimizer: {name: {hp: choice, name: opt, values: [adam, sgd]}}}";
    if (clcnn_config_load_string(opt_only, "o.yaml", &spec, &space))
        fail_msg("%s", clcnn_last_error());
    assert_true(spec.train.optimizer.learning_rate == 0.001f);
    const double sgd[] = {1};
    assert_int_equal(clcnn_spec_apply_hparams(&spec, &space, sgd), CLCNN_STATUS_OK);
    assert_true(spec.train.optimizer.learning_rate == 0.01f);
}

static void test_round_trips(void **state) {
    (void)state;
    load_embedded("fashion_mnist", &spec);
    round_trip(0);
    round_trip(1);
    load_embedded("fashion_mnist_tune", &spec);
    round_trip(1);
    round_trip(0);
    /* Every layer type and unusual values. */
    const char *yaml =
        "data: {classes: [\"a: b\", \"null\", \"\\\"q\\\"\", 'x y'], train_limit: 12, scale: 1e-3,"
        " dir: \"\"}\n"
        "model:\n  input_shape: [9, 7, 2]\n  layers:\n"
        "    - conv2d: {filters: 3, kernel_size: [1, 2], strides: [2, 1], padding: same, name: c}\n"
        "    - batch_normalization: {momentum: 0.9, epsilon: 1e-5}\n"
        "    - leaky_relu: {alpha: 0.01}\n"
        "    - average_pooling2d: {pool_size: 2}\n"
        "    - max_pooling2d: {pool_size: [1, 2], strides: 1}\n"
        "    - activation: {activation: elu}\n"
        "    - elu\n    - relu\n    - sigmoid\n    - tanh\n"
        "    - global_average_pooling2d\n    - dropout: {rate: 0.1}\n"
        "    - dense: {units: 3, activation: softmax, use_bias: off}\n    - softmax\n"
        "train: {seed: 18446744073709551615, optimizer: {name: sgd, momentum: 0.9, nesterov: true},"
        " checkpoint_monitor: val_loss, conv_route: clblast, loss: categorical_crossentropy}\n"
        "tune:\n  direction: min\n  algorithm: hyperband\n  retrain_best: true\n"
        "  hyperparameters:\n"
        "    - {hp: choice, name: depth, values: [1, 2]}\n"
        "    - {hp: float, name: \"d: r\", min: 0.0, max: 0.5, targets: [model.layers.11.rate],\n"
        "       parent: depth, parent_values: [2]}\n";
    if (clcnn_config_load_string(yaml, "all.yaml", &spec, &space))
        fail_msg("%s", clcnn_last_error());
    assert_int_equal(spec.model.n_layers, 14);
    assert_string_equal(spec.data.classes[0], "a: b");
    assert_string_equal(spec.data.classes[2], "\"q\"");
    assert_int_equal(space.n_hparams, 2);
    assert_int_equal(space.n_targets[0], 0);
    assert_true(space.hparams[1].parent_values[0] == 1);
    assert_int_equal(clcnn_spec_validate(&spec), CLCNN_STATUS_OK);
    round_trip(1);
    round_trip(0);
}

static void test_validate(void **state) {
    (void)state;
    clcnn_spec_default(&spec);
    assert_int_equal(clcnn_spec_validate(&spec), CLCNN_STATUS_INVALID_ARGUMENT); /* no layers */
    assert_non_null(strstr(clcnn_last_error(), "model.layers"));
    load_embedded("fashion_mnist", &spec);
    assert_int_equal(clcnn_spec_validate(&spec), CLCNN_STATUS_OK);

    other = spec;
    other.train.epochs = 0;
    assert_int_equal(clcnn_spec_validate(&other), CLCNN_STATUS_INVALID_ARGUMENT);
    assert_non_null(strstr(clcnn_last_error(), "train.epochs: expected an integer >= 1, got '0'"));
    other = spec;
    other.data.validation_split = 1.0f;
    assert_int_equal(clcnn_spec_validate(&other), CLCNN_STATUS_INVALID_ARGUMENT);
    assert_non_null(strstr(clcnn_last_error(), "data.validation_split"));
    other = spec;
    strcpy(other.train.optimizer.name, "adamw");
    assert_int_equal(clcnn_spec_validate(&other), CLCNN_STATUS_INVALID_ARGUMENT);
    assert_non_null(strstr(clcnn_last_error(), "train.optimizer.name"));
    other = spec;
    strcpy(other.model.layers[2].type, "flatten3d");
    assert_int_equal(clcnn_spec_validate(&other), CLCNN_STATUS_INVALID_ARGUMENT);
    assert_non_null(strstr(clcnn_last_error(), "model.layers.2.type"));
    other = spec;
    other.model.layers[1].kernel_size[1] = 0;
    assert_int_equal(clcnn_spec_validate(&other), CLCNN_STATUS_INVALID_ARGUMENT);
    assert_non_null(strstr(clcnn_last_error(), "model.layers.1.kernel_size"));
    other = spec;
    other.data.train_limit = 0;
    assert_int_equal(clcnn_spec_validate(&other), CLCNN_STATUS_INVALID_ARGUMENT);
    other = spec;
    other.data.n_classes = 0;
    assert_int_equal(clcnn_spec_validate(&other), CLCNN_STATUS_INVALID_ARGUMENT);

    /* The search space, against the spec its targets address. */
    load_embedded("fashion_mnist_tune", &spec);
    assert_int_equal(clcnn_search_space_validate(&space, &spec), CLCNN_STATUS_OK);
    other_space = space;
    other_space.hparams[0].min = 256;
    assert_int_equal(clcnn_search_space_validate(&other_space, &spec),
                     CLCNN_STATUS_INVALID_ARGUMENT);
    assert_non_null(strstr(clcnn_last_error(), "min (256) is greater than max (128)"));
    other_space = space;
    strcpy(other_space.targets[0][0], "model.layers.0.unitz");
    assert_int_equal(clcnn_search_space_validate(&other_space, &spec), CLCNN_STATUS_NOT_FOUND);
    other_space = space;
    other_space.hparams[1].n_choices = 0;
    assert_int_equal(clcnn_search_space_validate(&other_space, &spec),
                     CLCNN_STATUS_INVALID_ARGUMENT);
    other_space = space;
    other_space.hparams[0].step = 0;
    assert_int_equal(clcnn_search_space_validate(&other_space, &spec),
                     CLCNN_STATUS_INVALID_ARGUMENT);
    other_space = space; /* a range the oracle refuses is refused here too */
    other_space.hparams[5].type = CLCNN_HP_FLOAT;
    other_space.hparams[5].min = 1e-5;
    other_space.hparams[5].max = 1e20;
    other_space.hparams[5].step = 0;
    assert_int_equal(clcnn_search_space_validate(&other_space, &spec),
                     CLCNN_STATUS_INVALID_ARGUMENT);
    assert_non_null(strstr(clcnn_last_error(), "+-2^52"));
    other_space = space;
    strcpy(other_space.hparams[1].name, other_space.hparams[0].name);
    assert_int_equal(clcnn_search_space_validate(&other_space, &spec),
                     CLCNN_STATUS_INVALID_ARGUMENT);
    assert_non_null(strstr(clcnn_last_error(), "unique"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_listed_keys), cmocka_unit_test(test_set_optimizer),
        cmocka_unit_test(test_set_errors),      cmocka_unit_test(test_set_and_hparams),
        cmocka_unit_test(test_apply_hparams),   cmocka_unit_test(test_apply_kinds),
        cmocka_unit_test(test_round_trips),     cmocka_unit_test(test_validate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
