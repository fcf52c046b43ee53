/* config/spec.c: the schema's defaults, and the names of the metrics a spec can name. Keep
 * configs/README.md in step with this file. */
#include <stdlib.h>
#include <string.h>

#include "clcnn/spec.h"
#include "config/schema.h"
#include "core/core.h"

static const clcnn_name metric_rows[] = {
    {"val_accuracy", CLCNN_METRIC_VAL_ACCURACY},
    {"val_loss", CLCNN_METRIC_VAL_LOSS},
    {"accuracy", CLCNN_METRIC_ACCURACY},
    {"loss", CLCNN_METRIC_LOSS},
};
CLCNN_NAME_TABLE(clcnn_metric_names, "metric", CLCNN_METRIC_COUNT, metric_rows);

const char *clcnn_metric_name(clcnn_metric metric) {
    return clcnn_name_of(&clcnn_metric_names, (int)metric);
}

clcnn_metric clcnn_metric_parse(const char *name) {
    int metric = clcnn_name_find(&clcnn_metric_names, name);
    return metric < 0 ? CLCNN_METRIC_COUNT : (clcnn_metric)metric;
}

int clcnn_metric_maximize(clcnn_metric metric) {
    return metric == CLCNN_METRIC_VAL_ACCURACY || metric == CLCNN_METRIC_ACCURACY;
}

int clcnn_metric_needs_validation(clcnn_metric metric) {
    return metric == CLCNN_METRIC_VAL_ACCURACY || metric == CLCNN_METRIC_VAL_LOSS;
}

static const char *const fashion_mnist_classes[10] = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot",
};

#define COPY(dst, src) (strncpy((dst), (src), sizeof(dst) - 1), (dst)[sizeof(dst) - 1] = '\0')

void clcnn_layer_spec_default(clcnn_layer_spec *l, const char *type) {
    memset(l, 0, sizeof *l);
    COPY(l->type, type);
    l->filters = 32;
    l->units = 10;
    l->kernel_size[0] = l->kernel_size[1] = 3;
    l->strides[0] = l->strides[1] = 0; /* 0 = the layer's default: 1 for conv, pool_size for pooling */
    l->pool_size[0] = l->pool_size[1] = 2;
    l->padding = CLCNN_PADDING_VALID;
    COPY(l->activation, clcnn_activation_name(CLCNN_ACT_LINEAR));
    l->use_bias = 1;
    l->rate = 0.5f;
    l->alpha = strcmp(type, "elu") == 0 ? 1.0f : 0.3f; /* Keras' ELU and LeakyReLU defaults */
    l->momentum = 0.99f;
    l->epsilon = 0.001f;
}

void clcnn_spec_default(clcnn_spec *s) {
    memset(s, 0, sizeof *s);
    clcnn_data_spec *d = &s->data;
    COPY(d->dir, "/usr/share/datasets/fashion-mnist");
    COPY(d->train_images, "train-images-idx3-ubyte.gz");
    COPY(d->train_labels, "train-labels-idx1-ubyte.gz");
    COPY(d->test_images, "t10k-images-idx3-ubyte.gz");
    COPY(d->test_labels, "t10k-labels-idx1-ubyte.gz");
    d->scale = 255.0f;
    d->validation_split = 0.0f;
    d->train_limit = -1;
    d->test_limit = -1;
    d->shuffle = 1;
    d->n_classes = 10;
    for (int i = 0; i < 10; i++) COPY(d->classes[i], fashion_mnist_classes[i]);
    COPY(d->format, clcnn_data_format_name(CLCNN_DATA_FORMAT_IDX));
    COPY(d->train_dir, "train");
    COPY(d->test_dir, "test");
    COPY(d->streaming, clcnn_data_streaming_name(CLCNN_DATA_STREAMING_AUTO));
    d->cache_mb = -1;
    COPY(d->augment.fill_mode, clcnn_fill_mode_name(CLCNN_FILL_REFLECT)); /* Keras' default */
    COPY(d->augment.interpolation, clcnn_interpolation_name(CLCNN_INTERPOLATION_BILINEAR));
    d->augment.erasing_min_area = 0.02f; /* Zhong et al.'s defaults, also torchvision's */
    d->augment.erasing_max_area = 0.33f;
    d->augment.erasing_ratio = 0.3f;

    s->model.input_shape[0] = 28;
    s->model.input_shape[1] = 28;
    s->model.input_shape[2] = 1;

    clcnn_train_spec *t = &s->train;
    t->epochs = 1;
    t->batch_size = 32;
    t->seed = 42;
    COPY(t->loss, clcnn_loss_name(CLCNN_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY));
    COPY(t->optimizer.name, clcnn_optimizer_name(CLCNN_OPTIMIZER_ADAM));
    t->optimizer.learning_rate = clcnn_optimizer_default_learning_rate(CLCNN_OPTIMIZER_ADAM);
    t->optimizer.beta_1 = 0.9f;
    t->optimizer.beta_2 = 0.999f;
    t->optimizer.epsilon = 1e-7f;
    t->optimizer.momentum = 0.0f;
    t->optimizer.nesterov = 0;
    t->optimizer.rho = 0.9f;
    COPY(t->conv_route, clcnn_route_name(CLCNN_ROUTE_AUTO));
    COPY(t->lr_schedule.name, clcnn_lr_schedule_name(CLCNN_LR_SCHEDULE_CONSTANT));
    t->lr_schedule.drop = 0.5f;
    t->lr_schedule.every = 10;

    clcnn_tune_spec *u = &s->tune;
    COPY(u->algorithm, "bayesian");
    u->max_trials = -1; /* null: the algorithm decides (clcnn_tune_max_trials) */
    u->executions_per_trial = 1;
    COPY(u->objective, clcnn_metric_name(CLCNN_METRIC_VAL_ACCURACY));
    u->seed = 1;
    u->max_consecutive_failures = 3;
    u->max_epochs = 81;
    u->factor = 3;
    u->hyperband_iterations = 1;
}

clcnn_spec *clcnn_spec_create(void) {
    clcnn_spec *spec = malloc(sizeof *spec);
    if (spec) clcnn_spec_default(spec);
    return spec;
}

void clcnn_spec_destroy(clcnn_spec *spec) { free(spec); }

clcnn_search_space *clcnn_search_space_create(void) {
    return calloc(1, sizeof(clcnn_search_space)); /* all zero: the empty space */
}

void clcnn_search_space_destroy(clcnn_search_space *space) { free(space); }
