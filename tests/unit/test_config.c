/* tests/unit/test_config.c: loading YAML configs: the shipped and embedded ones, defaults, the
 * three layer forms, and every kind of error with its file:line:column. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clcnn/config.h"
#include "clcnn/oracle.h"
#include "clcnn/tune.h"
#include "config/schema.h"
#include "core/core.h"
#include "test_util.h"

static clcnn_spec spec;
static clcnn_search_space space; /* 65 KB: static rather than on the stack */

static void load_ok(const char *yaml) {
    clcnn_status st = clcnn_config_load_string(yaml, "t.yaml", &spec, &space);
    if (st != CLCNN_STATUS_OK) fail_msg("unexpected error: %s", clcnn_last_error());
}

/* Loads yaml, wants status st and a message that starts with where (e.g. "t.yaml:3:16: ") and
 * contains what. */
static void load_fails(const char *yaml, clcnn_status st, const char *where, const char *what) {
    clcnn_spec before = spec;
    static clcnn_search_space space_before;
    space_before = space;
    clcnn_status got = clcnn_config_load_string(yaml, "t.yaml", &spec, &space);
    const char *msg = clcnn_last_error();
    if (got != st || strncmp(msg, where, strlen(where)) || !strstr(msg, what))
        fail_msg("for:\n%s\nwant %s '%s...%s', got %s '%s'", yaml, clcnn_status_name(st), where,
                 what, clcnn_status_name(got), msg);
    assert_memory_equal(&before, &spec, sizeof spec); /* a failed load leaves the spec alone */
    assert_memory_equal(&space_before, &space, sizeof space); /* and the space */
}

static void test_shipped_fashion_mnist(void **state) {
    (void)state;
    char path[1024];
    snprintf(path, sizeof path, "%s/configs/fashion_mnist.yaml", CLCNN_SOURCE_DIR);
    assert_int_equal(clcnn_config_load_file(path, &spec, &space), CLCNN_STATUS_OK);
    assert_int_equal(spec.model.n_layers, 5);
    const clcnn_layer_spec *l = spec.model.layers;
    assert_string_equal(l[0].type, "conv2d");
    assert_int_equal(l[0].filters, 64);
    assert_int_equal(l[0].kernel_size[0], 3);
    assert_int_equal(l[0].kernel_size[1], 3);
    assert_string_equal(l[0].activation, "relu");
    assert_int_equal(l[0].line, 8);
    assert_int_equal(l[0].column, 7);
    assert_string_equal(l[2].type, "flatten");
    assert_string_equal(l[3].type, "dense");
    assert_int_equal(l[3].units, 128);
    assert_int_equal(l[4].units, 10);
    assert_string_equal(l[4].activation, "softmax");
    assert_true(spec.data.validation_split == 0.1f);
    assert_true(spec.data.scale == 255.0f);
    assert_int_equal(spec.train.epochs, 1);
    assert_string_equal(spec.train.optimizer.name, "adam");
    assert_true(spec.train.optimizer.learning_rate == 0.001f);
    assert_int_equal(space.n_hparams, 0);
    assert_int_equal(clcnn_spec_validate(&spec), CLCNN_STATUS_OK);
}

static void test_shipped_tune(void **state) {
    (void)state;
    char path[1024];
    snprintf(path, sizeof path, "%s/configs/fashion_mnist_tune.yaml", CLCNN_SOURCE_DIR);
    if (clcnn_config_load_file(path, &spec, &space)) fail_msg("%s", clcnn_last_error());
    assert_int_equal(clcnn_spec_validate(&spec), CLCNN_STATUS_OK);
    assert_int_equal(clcnn_search_space_validate(&space, &spec), CLCNN_STATUS_OK);
    const clcnn_search_space *u = &space;
    static const char *const names[] = {"conv_1_filter", "conv_1_kernel", "conv_2_filter",
                                        "conv_2_kernel", "dense_1_units", "learning_rate"};
    static const char *const targets[] = {
        "model.layers.0.filters", "model.layers.0.kernel_size",
        "model.layers.1.filters", "model.layers.1.kernel_size",
        "model.layers.3.units",   "train.optimizer.learning_rate"};
    assert_int_equal(u->n_hparams, 6);
    for (int i = 0; i < 6; i++) {
        assert_string_equal(u->hparams[i].name, names[i]);
        assert_int_equal(u->n_targets[i], 1);
        assert_string_equal(u->targets[i][0], targets[i]);
    }
    const clcnn_hparam *f1 = &u->hparams[0], *k1 = &u->hparams[1], *f2 = &u->hparams[2];
    assert_int_equal(f1->type, CLCNN_HP_INT);
    assert_true(f1->min == 32 && f1->max == 128 && f1->step == 16);
    assert_true(f2->min == 32 && f2->max == 64 && f2->step == 16);
    assert_int_equal(k1->type, CLCNN_HP_CHOICE);
    assert_int_equal(k1->n_choices, 2);
    assert_false(k1->choices_are_strings);
    assert_true(k1->choices[0] == 3 && k1->choices[1] == 5);
    assert_true(u->hparams[5].choices[0] == 1e-2 && u->hparams[5].choices[1] == 1e-3);
    /* Outside a trial the keys hold the defaults: min, the first choice. */
    assert_int_equal(spec.model.layers[0].filters, 32);
    assert_int_equal(spec.model.layers[0].kernel_size[1], 3);
    assert_int_equal(spec.model.layers[3].units, 32);
    assert_true(spec.train.optimizer.learning_rate == 0.01f);
    assert_true(spec.data.scale == 250.0f);
    assert_int_equal(spec.data.train_limit, 10000);
    assert_int_equal(spec.train.epochs, 2);
    assert_string_equal(spec.tune.algorithm, "bayesian");
    assert_int_equal(spec.tune.max_trials, 12);
    assert_int_equal(spec.tune.direction, 1);
    assert_string_equal(spec.train.loss, "sparse_categorical_crossentropy");
}

static void test_embedded(void **state) {
    (void)state;
    static const char *const files[] = {"fashion_mnist", "fashion_mnist_tune"};
    for (int i = 0; i < 2; i++) {
        char path[1024], name[64];
        snprintf(path, sizeof path, "%s/configs/%s.yaml", CLCNN_SOURCE_DIR, files[i]);
        snprintf(name, sizeof name, "%s.yaml", files[i]);
        char *text;
        size_t len;
        assert_int_equal(clcnn_read_file(path, &text, &len), CLCNN_STATUS_OK);
        const char *embedded = clcnn_config_embedded(files[i]);
        assert_non_null(embedded);
        assert_string_equal(embedded, text);
        assert_ptr_equal(clcnn_config_embedded(name), embedded);
        free(text);
        load_ok(embedded);
    }
    assert_null(clcnn_config_embedded("fashion"));
    assert_null(clcnn_config_embedded("nope.yaml"));
}

static void test_defaults(void **state) {
    (void)state;
    clcnn_spec defaults;
    clcnn_spec_default(&defaults);
    load_ok("");
    assert_memory_equal(&spec, &defaults, sizeof spec);
    load_ok("# only a comment\n");
    assert_memory_equal(&spec, &defaults, sizeof spec);
    load_ok("data:\ntrain: {}\nmodel: {layers: []}\n");
    assert_memory_equal(&spec, &defaults, sizeof spec);
    /* The documented defaults. */
    assert_int_equal(defaults.train.epochs, 1);
    assert_int_equal(defaults.train.batch_size, 32);
    assert_int_equal(defaults.data.train_limit, -1);
    assert_int_equal(defaults.data.n_classes, 10);
    assert_string_equal(defaults.tune.objective, "val_accuracy");

    load_ok("train: {optimizer: sgd}");
    assert_true(spec.train.optimizer.learning_rate == 0.01f); /* Keras' SGD default */
    load_ok("train: {optimizer: {learning_rate: 0.001, name: sgd}}");
    assert_true(spec.train.optimizer.learning_rate == 0.001f); /* given, whatever the order */
    load_ok("train: {optimizer: {name: rmsprop}}");
    assert_true(spec.train.optimizer.learning_rate == 0.001f);

    load_ok("data: {train_limit: 500, test_limit: null, validation_split: 0.25, shuffle: no}\n"
            "tune: {direction: min, seed: 18446744073709551615}\n");
    assert_int_equal(spec.data.train_limit, 500);
    assert_int_equal(spec.data.test_limit, -1);
    assert_true(spec.data.validation_split == 0.25f);
    assert_int_equal(spec.data.shuffle, 0);
    assert_int_equal(spec.tune.direction, -1);
    assert_true(spec.tune.seed == UINT64_MAX);

    load_ok("data: {classes: [cat, dog, \"yes\"]}");
    assert_int_equal(spec.data.n_classes, 3);
    assert_string_equal(spec.data.classes[2], "yes");
    assert_string_equal(spec.data.classes[3], "");
    load_ok("data: {classes: 4}");
    assert_int_equal(spec.data.n_classes, 4);
    assert_string_equal(spec.data.classes[3], "3");
}

static void test_layer_forms(void **state) {
    (void)state;
    load_ok("model:\n"
            "  input_shape: [32, 30, 3]\n"
            "  layers:\n"
            "    - Conv2D: {filters: 8, kernel_size: [3, 5], strides: 2, padding: same}\n"
            "    - {type: max_pooling2d, pool_size: 3}\n"
            "    - batch_normalization:\n"
            "    - leaky_relu: {alpha: 0.1}\n"
            "    - elu\n"
            "    - dropout: {rate: 0.25}\n"
            "    - flatten\n"
            "    - dense: {units: 5, use_bias: false, name: out}\n");
    const clcnn_layer_spec *l = spec.model.layers;
    assert_int_equal(spec.model.n_layers, 8);
    assert_int_equal(spec.model.input_shape[0], 32);
    assert_int_equal(spec.model.input_shape[1], 30);
    assert_int_equal(spec.model.input_shape[2], 3);
    assert_string_equal(l[0].type, "conv2d");
    assert_int_equal(l[0].kernel_size[0], 3);
    assert_int_equal(l[0].kernel_size[1], 5);
    assert_int_equal(l[0].strides[0], 2);
    assert_int_equal(l[0].strides[1], 2);
    assert_int_equal(l[0].padding, CLCNN_PADDING_SAME);
    assert_int_equal(l[0].line, 4);
    assert_int_equal(l[0].column, 7);
    assert_string_equal(l[1].type, "max_pooling2d");
    assert_int_equal(l[1].pool_size[0], 3);
    assert_int_equal(l[1].strides[0], 0); /* 0 = pool_size */
    assert_int_equal(l[1].line, 5);
    assert_true(l[2].momentum == 0.99f && l[2].epsilon == 0.001f);
    assert_true(l[3].alpha == 0.1f);
    assert_true(l[4].alpha == 1.0f);
    assert_int_equal(l[4].line, 8);
    assert_true(l[5].rate == 0.25f);
    assert_string_equal(l[6].type, "flatten");
    assert_int_equal(l[7].units, 5);
    assert_int_equal(l[7].use_bias, 0);
    assert_string_equal(l[7].name, "out");
}

static void test_errors(void **state) {
    (void)state;
    clcnn_spec_default(&spec);
    load_fails("model:\n  layers: [\n", CLCNN_STATUS_PARSE_ERROR, "t.yaml:3:1: ", "");
    load_fails("data:\n  scale: 1\n bad: 2\n", CLCNN_STATUS_PARSE_ERROR, "t.yaml:3:", "");
    load_fails("train:\n  epochs: 1\n---\ntrain: {}\n", CLCNN_STATUS_PARSE_ERROR,
               "t.yaml:4:1: ", "one YAML document");
    load_fails("model:\n  layers:\n    - conv2d: {filtrs: 64}\n", CLCNN_STATUS_NOT_FOUND,
               "t.yaml:3:16: ",
               "unknown key 'filtrs' in layer 0 (conv2d) (did you mean 'filters'?); known keys: "
               "name, filters, kernel_size, strides, padding, activation, use_bias");
    load_fails("model:\n  layers:\n    - flatten\n    - conv3d: {}\n", CLCNN_STATUS_NOT_FOUND,
               "t.yaml:4:7: ", "unknown layer type 'conv3d' in layer 1; known types: conv2d, ");
    load_fails("model:\n  layers:\n    - {filters: 3, type: dense}\n", CLCNN_STATUS_NOT_FOUND,
               "t.yaml:3:8: ", "unknown key 'filters' in layer 0 (dense)");
    load_fails("model:\n  layers:\n    - conv2d: {filters: abc}\n", CLCNN_STATUS_INVALID_ARGUMENT,
               "t.yaml:3:25: ", "model.layers.0.filters: expected an integer >= 1, got 'abc'");
    load_fails("model:\n  layers:\n    - conv2d: {kernel_size: [3]}\n",
               CLCNN_STATUS_INVALID_ARGUMENT, "t.yaml:3:29: ", "model.layers.0.kernel_size");
    load_fails("model:\n  layers:\n    - dense: {activation: relux}\n",
               CLCNN_STATUS_INVALID_ARGUMENT, "t.yaml:3:27: ", "one of linear, relu, softmax");
    load_fails("train:\n  epochs: -3\n", CLCNN_STATUS_INVALID_ARGUMENT,
               "t.yaml:2:11: ", "train.epochs: expected an integer >= 1, got '-3'");
    load_fails("train:\n  epochz: 3\n", CLCNN_STATUS_NOT_FOUND,
               "t.yaml:2:3: ", "unknown key 'epochz' in train (did you mean 'epochs'?)");
    load_fails("trian: {}\n", CLCNN_STATUS_NOT_FOUND, "t.yaml:1:1: ",
               "unknown key 'trian' in the config (did you mean 'train'?); known keys: data, "
               "model, train, tune");
    load_fails("train: {optimizer: {name: adamw}}\n", CLCNN_STATUS_INVALID_ARGUMENT,
               "t.yaml:1:27: ", "train.optimizer.name: expected one of adam, sgd, rmsprop");
    load_fails("train: {epochs: 2, epochs: 3}\n", CLCNN_STATUS_PARSE_ERROR,
               "t.yaml:1:20: ", "duplicate key 'epochs'");
    load_fails("data: {validation_split: 1}\n", CLCNN_STATUS_INVALID_ARGUMENT,
               "t.yaml:1:26: ", "expected a number in [0, 1)");
    load_fails("data: {train_limit: 0}\n", CLCNN_STATUS_INVALID_ARGUMENT,
               "t.yaml:1:21: ", "data.train_limit: expected null or an integer >= 1, got '0'");
    load_fails("data: {scale: 0}\n", CLCNN_STATUS_INVALID_ARGUMENT,
               "t.yaml:1:15: ", "expected a number > 0");
    load_fails("data: 3\n", CLCNN_STATUS_INVALID_ARGUMENT,
               "t.yaml:1:7: ", "data: expected a map, got '3'");
    load_fails("- a\n", CLCNN_STATUS_INVALID_ARGUMENT, "t.yaml:1:1: ", "expected a map");
    load_fails("data: {classes: []}\n", CLCNN_STATUS_INVALID_ARGUMENT,
               "t.yaml:1:17: ", "data.classes: expected a list of 1 to 64 class names");
    load_fails("model: {input_shape: [28, 0, 1]}\n", CLCNN_STATUS_INVALID_ARGUMENT,
               "t.yaml:1:27: ", "model.input_shape");
}

static const char *const conv_hp = "model:\n"
                                   "  layers:\n"
                                   "    - conv2d:\n"
                                   "        filters: %s\n";

static void hp_fails(const char *decl, clcnn_status st, const char *where, const char *what) {
    char yaml[1024];
    snprintf(yaml, sizeof yaml, conv_hp, decl);
    load_fails(yaml, st, where, what);
}

static void test_hparam_errors(void **state) {
    (void)state;
    clcnn_spec_default(&spec);
    /* columns: "        filters: " is 17 characters, so the map opens at column 18 */
    hp_fails("{hp: int, name: f, min: 64, max: 32}", CLCNN_STATUS_INVALID_ARGUMENT,
             "t.yaml:4:42: ", "hyperparameter 'f': min (64) is greater than max (32)");
    hp_fails("{hp: int, name: f, min: 8, max: 32, step: 0}", CLCNN_STATUS_INVALID_ARGUMENT,
             "t.yaml:4:60: ", "hyperparameter 'f': step must be > 0, got 0");
    hp_fails("{hp: choice, name: f, values: []}", CLCNN_STATUS_INVALID_ARGUMENT,
             "t.yaml:4:48: ", "hyperparameter 'f': values is empty");
    hp_fails("{hp: float, name: f, min: 0, max: 1, log: true}", CLCNN_STATUS_INVALID_ARGUMENT,
             "t.yaml:4:44: ", "log sampling needs min > 0");
    hp_fails("{hp: int, name: f, min: 1.5, max: 3}", CLCNN_STATUS_INVALID_ARGUMENT,
             "t.yaml:4:42: ", "min of an int must be an integer");
    hp_fails("{hp: int, name: f, min: 0, max: 32}", CLCNN_STATUS_INVALID_ARGUMENT, "t.yaml:4:18: ",
             "hyperparameter 'f' = 0: model.layers.0.filters: expected an integer >= 1, got '0'");
    hp_fails("{hp: float, name: f, min: 1, max: 3}", CLCNN_STATUS_INVALID_ARGUMENT,
             "t.yaml:4:18: ", "a float hyperparameter cannot set model.layers.0.filters");
    hp_fails("{hp: choice, name: f, values: [8, relu]}", CLCNN_STATUS_INVALID_ARGUMENT,
             "t.yaml:4:18: ", "hyperparameter 'f' = \"relu\": model.layers.0.filters");
    hp_fails("{hp: choice, name: f, values: [8, 16, 8]}", CLCNN_STATUS_INVALID_ARGUMENT,
             "t.yaml:4:56: ", "value '8' is listed twice");
    hp_fails("{hp: integer, name: f}", CLCNN_STATUS_INVALID_ARGUMENT,
             "t.yaml:4:23: ", "hp must be int, float, choice or boolean, got 'integer'");
    load_fails("tune:\n  hyperparameters:\n    - {name: f, min: 1, max: 2}\n",
               CLCNN_STATUS_INVALID_ARGUMENT, "t.yaml:3:7: ",
               "a hyperparameter needs 'hp: int|float|choice|boolean'");
    hp_fails("{hp: int, min: 1, max: 2}", CLCNN_STATUS_INVALID_ARGUMENT,
             "t.yaml:4:18: ", "a hyperparameter needs a name");
    hp_fails("{hp: int, name: f, min: 1, max: 2, values: [1]}", CLCNN_STATUS_NOT_FOUND,
             "t.yaml:4:53: ",
             "unknown key 'values' in hyperparameter 'f' (int); known keys: hp, "
             "name, min, max, min_value, max_value, step, log, sampling");
    hp_fails("{hp: int, name: f, min: 8, max: 16, parent: g, parent_values: [1]}",
             CLCNN_STATUS_NOT_FOUND, "t.yaml:4:62: ", "parent 'g' is not declared before it");
    hp_fails("{hp: int, name: f, min: 8, max: 16, default: 17}", CLCNN_STATUS_INVALID_ARGUMENT,
             "t.yaml:4:63: ", "'17' is not a value of hyperparameter 'f'");
    load_fails("model:\n  layers:\n"
               "    - dense: {units: {hp: int, name: u, min: 8, max: 16}}\n"
               "    - dense: {units: {hp: int, name: u, min: 8, max: 32}}\n",
               CLCNN_STATUS_INVALID_ARGUMENT,
               "t.yaml:4:22: ", "hyperparameter 'u' is declared again with a different definition");
    load_fails("tune:\n  max_trials: {hp: int, name: t, min: 1, max: 3}\n",
               CLCNN_STATUS_INVALID_ARGUMENT,
               "t.yaml:2:15: ", "tune.max_trials cannot be a hyperparameter");
    load_fails("tune:\n  hyperparameters:\n"
               "    - {hp: int, name: u, min: 8, max: 16, targets: [model.layers.3.units]}\n",
               CLCNN_STATUS_NOT_FOUND, "t.yaml:3:53: hyperparameter 'u': ",
               "model.layers.3: no such layer (the model has 0 layers)");
}

/* Every rule the oracle holds a search space to is checked when the file is read, at the key at
 * fault: a definition `clcnn tune` would refuse never passes `clcnn summary`. */
static void test_hparam_oracle_rules_at_load(void **state) {
    (void)state;
    clcnn_spec_default(&spec);
    load_fails("train:\n  optimizer:\n"
               "    learning_rate: {hp: float, name: lr, min: 1.0e-5, max: 1.0e+20}\n",
               CLCNN_STATUS_INVALID_ARGUMENT, "t.yaml:3:60: ",
               "hyperparameter 'lr': min and max must lie within +-2^52");
    load_fails("tune:\n  hyperparameters:\n"
               "    - {hp: float, name: lr, min: -1.0e+20, max: 1, targets: []}\n",
               CLCNN_STATUS_INVALID_ARGUMENT, "t.yaml:3:34: ", "+-2^52");
    hp_fails("{hp: int, name: f, min: 0, max: 1e16}", CLCNN_STATUS_INVALID_ARGUMENT,
             "t.yaml:4:50: ", "hyperparameter 'f': min and max must lie within +-2^52");
    hp_fails("{hp: float, name: f, min: 0, max: 1, step: 1e-300}", CLCNN_STATUS_INVALID_ARGUMENT,
             "t.yaml:4:61: ", "step 1e-300 makes more than 2^52 values");
    hp_fails("{hp: choice, name: f, values: [\"\", 8]}", CLCNN_STATUS_INVALID_ARGUMENT,
             "t.yaml:4:48: ", "hyperparameter 'f': choice 0 is empty");
    hp_fails("{hp: int, name: f, min: 8, max: 32.5}", CLCNN_STATUS_INVALID_ARGUMENT,
             "t.yaml:4:50: ", "max of an int must be an integer");
    /* The same definitions are what the oracle refuses. */
    clcnn_hparam hp;
    clcnn_hparam_default(&hp);
    strcpy(hp.name, "lr");
    hp.type = CLCNN_HP_FLOAT;
    hp.min = 1e-5;
    hp.max = 1e20;
    hp.step = 0;
    clcnn_oracle *oracle = NULL;
    assert_int_equal(clcnn_oracle_create(&hp, 1, NULL, &oracle), CLCNN_STATUS_INVALID_ARGUMENT);
    assert_null(oracle);
    assert_non_null(strstr(clcnn_last_error(), "min and max must lie within +-2^52"));
}

static void test_metric_names(void **state) {
    (void)state;
    for (int m = 0; m < CLCNN_METRIC_COUNT; m++) {
        const char *name = clcnn_metric_name((clcnn_metric)m);
        assert_non_null(name);
        assert_int_equal(clcnn_metric_parse(name), m);
        assert_ptr_equal(clcnn_name_of(&clcnn_metric_names, m), name);
        assert_int_equal(clcnn_metric_maximize((clcnn_metric)m), strstr(name, "acc") != NULL);
        assert_int_equal(clcnn_metric_needs_validation((clcnn_metric)m),
                         strncmp(name, "val_", 4) == 0);
    }
    assert_int_equal(clcnn_metric_names.count, CLCNN_METRIC_COUNT);
    const cfg_key *tune = cfg_section_find(&cfg_root, "tune"); /* the schema's list is the table */
    assert_ptr_equal(cfg_section_find(tune->sub, "objective")->names, &clcnn_metric_names);
    assert_null(clcnn_metric_name(CLCNN_METRIC_COUNT));
    assert_int_equal(clcnn_metric_parse("val_acc"), CLCNN_METRIC_COUNT);
    assert_int_equal(clcnn_metric_parse(NULL), CLCNN_METRIC_COUNT);
    assert_string_equal(clcnn_metric_name(CLCNN_METRIC_VAL_LOSS), "val_loss");
    load_ok("tune: {objective: loss}\ntrain: {checkpoint_monitor: val_loss}\n");
    assert_int_equal(clcnn_metric_parse(spec.tune.objective), CLCNN_METRIC_LOSS);
    assert_int_equal(clcnn_metric_parse(spec.train.checkpoint_monitor), CLCNN_METRIC_VAL_LOSS);
}

static void test_hparam_declarations(void **state) {
    (void)state;
    load_ok("model:\n  layers:\n"
            "    - conv2d:\n"
            "        activation: {hp: choice, name: act, values: [relu, tanh], default: tanh}\n"
            "        use_bias: {hp: boolean, name: bias}\n"
            "        filters: {hp: int, name: f, min: 8, max: 64, step: 8, sampling: log,\n"
            "                  parent: act, parent_values: [tanh]}\n"
            "    - dense:\n"
            "        units: {hp: int, name: f, min: 8, max: 64, step: 8, log: true,\n"
            "                parent: act, parent_values: tanh}\n"
            "train:\n"
            "  optimizer:\n"
            "    learning_rate: {hp: float, name: lr, min_value: 1e-4, max_value: 1e-2, "
            "sampling: log}\n"
            "    name: {hp: choice, name: opt, values: [adam, sgd, rmsprop]}\n"
            "  batch_size: {hp: choice, name: bs, values: [16, 64], default: 64}\n");
    const clcnn_search_space *u = &space;
    /* Declaration order, except that a map's leading key (the optimizer's name) goes first. */
    assert_int_equal(u->n_hparams, 6);
    const clcnn_hparam *act = &u->hparams[0], *bias = &u->hparams[1], *f = &u->hparams[2];
    assert_string_equal(act->name, "act");
    assert_true(act->choices_are_strings);
    assert_string_equal(act->choice_strings[1], "tanh");
    assert_string_equal(spec.model.layers[0].activation, "tanh"); /* its default */
    assert_int_equal(bias->type, CLCNN_HP_BOOLEAN);
    assert_int_equal(spec.model.layers[0].use_bias, 0); /* KerasTuner's Boolean default */
    assert_int_equal(f->log, 1);
    assert_string_equal(f->parent, "act");
    assert_int_equal(f->n_parent_values, 1);
    assert_true(f->parent_values[0] == 1); /* a CHOICE parent's value is its index */
    assert_int_equal(u->n_targets[2], 2);  /* the same definition used twice: two targets */
    assert_string_equal(u->targets[2][1], "model.layers.1.units");
    assert_int_equal(spec.model.layers[1].units, 8);
    assert_string_equal(u->hparams[3].name, "opt");
    const clcnn_hparam *lr = &u->hparams[4];
    assert_int_equal(lr->type, CLCNN_HP_FLOAT);
    assert_true(lr->min == 1e-4 && lr->max == 1e-2 && lr->step == 0 && lr->log);
    assert_true(spec.train.optimizer.learning_rate == 1e-4f);
    assert_string_equal(u->hparams[5].name, "bs");
    assert_int_equal(spec.train.batch_size, 64);
    if (clcnn_spec_validate(&spec)) fail_msg("%s", clcnn_last_error());
    if (clcnn_search_space_validate(&space, &spec)) fail_msg("%s", clcnn_last_error());
}

/* Loads yaml (which must load) and wants clcnn_spec_validate to refuse it with a message that
 * holds what. */
static void validate_fails(const char *yaml, const char *what) {
    load_ok(yaml);
    clcnn_status got = clcnn_spec_validate(&spec);
    const char *msg = clcnn_last_error();
    if (got != CLCNN_STATUS_INVALID_ARGUMENT || !strstr(msg, what))
        fail_msg("for:\n%s\nwant INVALID_ARGUMENT '...%s...', got %s '%s'", yaml, what,
                 clcnn_status_name(got), msg);
}

/* configs/README.md: an empty file loads (every key has a default) but is not a config a model
 * can be built from until it lists layers. */
static void test_empty_file_needs_layers(void **state) {
    (void)state;
    validate_fails("", "model.layers: a model needs 1 to 64 layers");
    load_ok("model: {layers: [flatten, dense: {units: 10}]}\n");
    if (clcnn_spec_validate(&spec)) fail_msg("%s", clcnn_last_error());
}

/* erasing_max_area >= erasing_min_area, equal included; each alone is checked by its row. */
static void test_erasing_areas(void **state) {
    (void)state;
    const char *layers = "model: {layers: [flatten, dense: {units: 10}]}\n";
    char yaml[256];
    snprintf(yaml, sizeof yaml, "%sdata: {augment: {erasing_min_area: 0.4, erasing_max_area: 0.1}}\n",
             layers);
    validate_fails(yaml, "data.augment.erasing_max_area: 0.1 is below data.augment.erasing_min_area (0.4)");
    snprintf(yaml, sizeof yaml, "%sdata: {augment: {erasing_max_area: 0.01}}\n", layers);
    validate_fails(yaml, "erasing_max_area: 0.01 is below data.augment.erasing_min_area (0.02)");
    snprintf(yaml, sizeof yaml, "%sdata: {augment: {erasing_min_area: 0.2, erasing_max_area: 0.2}}\n",
             layers);
    load_ok(yaml);
    if (clcnn_spec_validate(&spec)) fail_msg("%s", clcnn_last_error());
    /* A spec built in C is held to the same rule. */
    spec.data.augment.erasing_min_area = 0.5f;
    assert_int_equal(clcnn_spec_validate(&spec), CLCNN_STATUS_INVALID_ARGUMENT);
}

/* The budget of tune.max_trials resolved for the algorithm */
static int budget(const char *yaml) {
    load_ok(yaml);
    return clcnn_tune_max_trials(&spec.tune);
}

/* Emits the loaded spec, wants `line` in the YAML and the same spec back from it. */
static void emit_round_trips(const char *line) {
    static clcnn_spec before;
    char *yaml = NULL;
    before = spec;
    assert_int_equal(clcnn_config_emit(&spec, &space, &yaml), CLCNN_STATUS_OK);
    if (!strstr(yaml, line)) fail_msg("no '%s' in:\n%s", line, yaml);
    load_ok(yaml);
    free(yaml);
    assert_memory_equal(&before, &spec, sizeof spec);
}

/* tune.max_trials left out is the algorithm's budget, as in KerasTuner: Hyperband's whole
 * schedule (0 = no limit), 10 trials otherwise; given, it is the budget for every algorithm. */
static void test_tune_budget(void **state) {
    (void)state;
    assert_int_equal(budget(""), 10); /* bayesian */
    assert_int_equal(spec.tune.max_trials, -1);
    emit_round_trips("max_trials: null");
    assert_int_equal(budget("tune: {algorithm: random}"), 10);
    assert_int_equal(budget("tune: {algorithm: bayesian, max_trials: null}"), 10);
    assert_int_equal(budget("tune: {algorithm: hyperband}"), 0);
    assert_int_equal(spec.tune.max_trials, -1);
    emit_round_trips("max_trials: null");
    assert_int_equal(budget("tune: {algorithm: hyperband, max_trials: 12}"), 12);
    emit_round_trips("max_trials: 12"); /* a search saved with a number resumes */
    assert_int_equal(budget("tune: {algorithm: hyperband, max_trials: 0}"), 0);
    emit_round_trips("max_trials: 0");
    assert_int_equal(budget("tune: {algorithm: random, max_trials: 0}"), 0);
    assert_int_equal(budget("tune: {algorithm: bayesian, max_trials: 7}"), 7);
    load_fails("tune:\n  max_trials: -1\n", CLCNN_STATUS_INVALID_ARGUMENT, "t.yaml:2:15: ",
               "tune.max_trials: expected null or an integer >= 0, got '-1'");

    /* What the summary prints as Hyperband's whole budget: KerasTuner's 211 trial-rounds. */
    assert_int_equal(clcnn_hyperband_schedule_size(81, 3, 1), 211);
    assert_int_equal(clcnn_hyperband_schedule_size(81, 3, 2), 422);
    assert_int_equal(clcnn_hyperband_schedule_size(1, 3, 1), 1);
    assert_int_equal(clcnn_hyperband_schedule_size(81, 1, 1), 0);
}

static void test_readme_documents_every_key(void **state) {
    (void)state;
    char path[1024], *readme;
    size_t len;
    snprintf(path, sizeof path, "%s/configs/README.md", CLCNN_SOURCE_DIR);
    assert_int_equal(clcnn_read_file(path, &readme, &len), CLCNN_STATUS_OK);
    const cfg_section *sections[16] = {&cfg_root};
    int n = 1;
    for (int s = 0; s < n; s++) {
        for (int i = 0; i < sections[s]->n_keys; i++) {
            const cfg_key *k = &sections[s]->keys[i];
            char quoted[96];
            snprintf(quoted, sizeof quoted, "`%s`", k->name);
            if (!strstr(readme, quoted)) fail_msg("configs/README.md does not name %s", quoted);
            if (k->kind == CFG_SECTION) sections[n++] = k->sub;
        }
    }
    for (int i = 0; i < CFG_N_LAYER_KEYS; i++) {
        char quoted[96];
        snprintf(quoted, sizeof quoted, "`%s`", cfg_layer_keys[i].name);
        if (!strstr(readme, quoted)) fail_msg("configs/README.md does not name %s", quoted);
    }
    for (int i = 0; i < cfg_n_layer_types; i++) {
        char quoted[96];
        snprintf(quoted, sizeof quoted, "`%s`", cfg_layer_types[i].name);
        if (!strstr(readme, quoted)) fail_msg("configs/README.md does not name layer %s", quoted);
    }
    for (int i = 0; i < cfg_n_hparam_keys; i++) {
        char quoted[96];
        snprintf(quoted, sizeof quoted, "`%s`", cfg_hparam_keys[i].name);
        if (!strstr(readme, quoted)) fail_msg("configs/README.md does not name %s", quoted);
    }
    free(readme);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped_fashion_mnist),
        cmocka_unit_test(test_shipped_tune),
        cmocka_unit_test(test_embedded),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_layer_forms),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_hparam_errors),
        cmocka_unit_test(test_hparam_oracle_rules_at_load),
        cmocka_unit_test(test_metric_names),
        cmocka_unit_test(test_hparam_declarations),
        cmocka_unit_test(test_empty_file_needs_layers),
        cmocka_unit_test(test_erasing_areas),
        cmocka_unit_test(test_tune_budget),
        cmocka_unit_test(test_readme_documents_every_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
