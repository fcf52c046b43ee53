/* test_fuse.c: the layer-fusion pass (nn/fuse.c) through the public model API. A model shaped
 * like configs/fashion_mnist_best.yaml (convolutions without bias -> batch_normalization -> relu,
 * max pooling, dropout, dense -> batch_normalization -> relu, on odd shapes) trains three Adam
 * steps with weight decay fused (CLCNN_FUSE unset) and unfused (CLCNN_FUSE=0): the losses, the
 * gradients, the parameters with batch norm's running statistics, and the inference pass's
 * probabilities after them are the same bits, with the per-channel sums run per work-item (CPUs)
 * and by work-groups (GPUs). The fused model keeps its layers, names and tensors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clcnn/model.h"
#include "nn/model_internal.h"
#include "test_util.h"

#define BATCH 13
#define EXAMPLES 40
#define STEPS 3

static clcnn_layer_spec *add(clcnn_spec *s, const char *type) {
    clcnn_layer_spec *l = &s->model.layers[s->model.n_layers++];
    clcnn_layer_spec_default(l, type);
    return l;
}

static void conv_bn_relu(clcnn_spec *s, int filters) {
    clcnn_layer_spec *c = add(s, "conv2d");
    c->filters = filters;
    c->kernel_size[0] = c->kernel_size[1] = 3;
    c->padding = CLCNN_PADDING_SAME;
    c->use_bias = 0;
    add(s, "batch_normalization")->momentum = 0.9f;
    add(s, "relu");
}

static void best_like_spec(clcnn_spec *s) {
    clcnn_spec_default(s);
    s->model.input_shape[0] = 12, s->model.input_shape[1] = 10, s->model.input_shape[2] = 2;
    s->train.seed = 11;
    conv_bn_relu(s, 6);
    conv_bn_relu(s, 5);
    add(s, "max_pooling2d");
    add(s, "dropout")->rate = 0.2f;
    add(s, "flatten");
    clcnn_layer_spec *d = add(s, "dense");
    d->units = 9;
    d->use_bias = 0;
    add(s, "batch_normalization");
    add(s, "relu");
    add(s, "dropout")->rate = 0.3f;
    d = add(s, "dense");
    d->units = 10;
    snprintf(d->activation, sizeof d->activation, "softmax");
    s->train.optimizer.learning_rate = 0.01f; /* adam */
    s->train.optimizer.weight_decay = 0.005f;
}

static void ok(clcnn_status s, const char *what) {
    if (s != CLCNN_STATUS_OK) printf("%s: %s\n", what, clcnn_last_error());
    assert_int_equal(s, CLCNN_STATUS_OK);
}

typedef struct result {
    size_t n_params, n_grads;
    float *params, *grads, *probs;
    double loss[STEPS];
    int fused;
} result;

static void random_data(clcnn_dataset *ds, uint32_t *order) {
    *ds = (clcnn_dataset){EXAMPLES, 2, 12, 10, malloc(EXAMPLES * 240), malloc(EXAMPLES)};
    clcnn_rng rng;
    clcnn_rng_seed(&rng, 5);
    for (size_t i = 0; i < EXAMPLES * 240; i++)
        ds->images[i] = (uint8_t)clcnn_rng_below(&rng, 256);
    for (int i = 0; i < EXAMPLES; i++)
        ds->labels[i] = (uint8_t)clcnn_rng_below(&rng, 10);
    for (int i = 0; i < EXAMPLES; i++)
        order[i] = (uint32_t)i;
    clcnn_rng_shuffle_u32(&rng, order, EXAMPLES);
}

/* STEPS training steps, then an inference pass over the first BATCH examples. */
static result train(const char *fuse) {
    if (fuse)
        setenv("CLCNN_FUSE", fuse, 1);
    else
        unsetenv("CLCNN_FUSE");
    clcnn_spec spec;
    best_like_spec(&spec);
    clcnn_dataset ds;
    uint32_t order[EXAMPLES];
    random_data(&ds, order);
    clcnn_model *m = NULL;
    ok(clcnn_model_create(test_ctx, &spec, 16, &m), "create");
    ok(clcnn_model_upload(m, 0, &ds), "upload");
    ok(clcnn_model_set_order(m, order, EXAMPLES), "order");
    result r = {
        clcnn_model_param_count(m), clcnn_model_trainable_count(m), NULL, NULL, NULL, {0}, 0};
    for (int i = 0; i < m->n_layers; i++) {
        r.fused += m->layers[i].fused;
        /* Only relu layers fuse, into the batch norm before them. */
        if (m->layers[i].fused) {
            assert_string_equal(m->layers[i].type->name, "relu");
            assert_string_equal(m->layers[i - 1].type->name, "batch_normalization");
            assert_true(m->layers[i - 1].relu);
        }
    }
    r.grads = malloc(r.n_grads * sizeof(float));
    for (int s = 0; s < STEPS; s++) {
        ok(clcnn_model_clear_metrics(m, 0), "clear");
        ok(clcnn_model_train_step(m, s * BATCH, BATCH), "step");
        int64_t correct;
        ok(clcnn_model_read_metrics(m, 0, s * BATCH, (s + 1) * BATCH, &r.loss[s], &correct, NULL),
           "metrics");
        if (s == STEPS - 1) ok(clcnn_model_read_grads(m, r.grads), "grads");
    }
    r.params = malloc(r.n_params * sizeof(float));
    ok(clcnn_model_read_params(m, r.params), "params");
    r.probs = malloc(BATCH * 10 * sizeof(float));
    ok(clcnn_model_eval_step(m, 0, 0, BATCH, r.probs), "eval");
    clcnn_model_destroy(m);
    clcnn_dataset_free(&ds);
    unsetenv("CLCNN_FUSE");
    return r;
}

static void result_free(result *r) {
    free(r->params), free(r->grads), free(r->probs);
}

static void compare(const char *wg) {
    if (wg)
        setenv("CLCNN_REDUCE_WG", wg, 1);
    else
        unsetenv("CLCNN_REDUCE_WG");
    result on = train(NULL), off = train("0"), on1 = train("1");
    printf("  reduce wg %s: fused layers %d / %d / %d, losses %.6f %.6f %.6f\n", wg ? wg : "auto",
           on.fused, off.fused, on1.fused, on.loss[0], on.loss[1], on.loss[2]);
    assert_int_equal(on.fused, 3);
    assert_int_equal(on1.fused, 3);
    assert_int_equal(off.fused, 0);
    assert_int_equal(on.n_params, off.n_params);
    /* The steps trained: the loss moved. */
    assert_true(on.loss[0] != on.loss[2]);
    assert_memory_equal(on.loss, off.loss, sizeof on.loss);
    assert_memory_equal(on.grads, off.grads, on.n_grads * sizeof(float));
    assert_memory_equal(on.params, off.params, on.n_params * sizeof(float));
    assert_memory_equal(on.probs, off.probs, BATCH * 10 * sizeof(float));
    assert_memory_equal(on1.params, on.params, on.n_params * sizeof(float));
    result_free(&on), result_free(&off), result_free(&on1);
    unsetenv("CLCNN_REDUCE_WG");
}

static void test_fused_equals_unfused(void **state) {
    (void)state;
    compare(NULL); /* the device's choice (CPUs: a work-item per channel) */
    compare("64"); /* work-groups per channel (the GPU shape) */
}

/* Same layers, names, tensors and summary fused or not; a bad CLCNN_FUSE is refused by name. */
static void test_fused_model_shape(void **state) {
    (void)state;
    clcnn_spec spec;
    best_like_spec(&spec);
    char *text[2];
    int tensors[2];
    for (int f = 0; f < 2; f++) {
        setenv("CLCNN_FUSE", f ? "1" : "0", 1);
        clcnn_model *m = NULL;
        ok(clcnn_model_create(test_ctx, &spec, 8, &m), "create");
        ok(clcnn_model_summary(m, &text[f]), "summary");
        tensors[f] = clcnn_model_tensor_count(m);
        clcnn_model_destroy(m);
    }
    assert_string_equal(text[0], text[1]);
    assert_non_null(strstr(text[1], "relu_2 (relu)"));
    assert_int_equal(tensors[0], tensors[1]);
    free(text[0]), free(text[1]);

    setenv("CLCNN_FUSE", "yes", 1);
    clcnn_model *m = NULL;
    clcnn_status s = clcnn_model_create(test_ctx, &spec, 8, &m);
    printf("  CLCNN_FUSE=yes: %s\n", clcnn_last_error());
    assert_int_equal(s, CLCNN_STATUS_INVALID_ARGUMENT);
    assert_null(m);
    assert_non_null(strstr(clcnn_last_error(), "CLCNN_FUSE='yes'"));
    unsetenv("CLCNN_FUSE");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fused_equals_unfused),
        cmocka_unit_test(test_fused_model_shape),
    };
    return cmocka_run_group_tests(tests, test_device_setup, test_device_teardown);
}
