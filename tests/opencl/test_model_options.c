/* tests/opencl/test_model_options.c: whole models built with options beyond the seed model's
 * (test_model.c has that one): batch norm's running statistics round-trip through the model file
 * (named layers.<i>.running_mean/var) and are out of the optimizer's reach; augmented batches
 * are the same for the same seed and step and differ otherwise, and evaluation is never
 * augmented; conv2d/dense activations equal the activation layers; weight decay and the
 * learning-rate setter act on the trainable tensors only. Small models and data, so it runs in
 * seconds. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clcnn/config.h"
#include "clcnn/train.h"
#include "nn/model_internal.h"
#include "test_util.h"
#include "train/safetensors.h"

enum { N = 48, HH = 9, WW = 8 };

static clcnn_dataset dataset(void) {
    clcnn_dataset ds = {N, 1, HH, WW, malloc(N * HH * WW), malloc(N)};
    for (int i = 0; i < N * HH * WW; i++) ds.images[i] = (uint8_t)((i * 2654435761u) >> 24);
    for (int i = 0; i < N; i++) ds.labels[i] = (uint8_t)(i % 3);
    return ds;
}

static clcnn_spec *spec_from(const char *yaml) {
    clcnn_spec *s = malloc(sizeof *s);
    clcnn_status st = clcnn_config_load_string(yaml, "test", s, NULL);
    if (st) fail_msg("%s", clcnn_last_error());
    return s;
}

#define BASE "data: {classes: 3}\nmodel:\n  input_shape: [9, 8, 1]\n"
/* clcnn's own GEMMs: no route measurement (CLBlast's first use alone takes 15 s). */
#define ROUTE "train: {conv_route: own}\n"

static clcnn_model *model_with(const clcnn_spec *spec, const clcnn_dataset *ds) {
    clcnn_model *m;
    clcnn_status s = clcnn_model_create(test_ctx, spec, 16, &m);
    if (s) fail_msg("%s", clcnn_last_error());
    assert_int_equal(clcnn_model_upload(m, 0, ds), CLCNN_STATUS_OK);
    uint32_t order[N];
    for (int i = 0; i < N; i++) order[i] = (uint32_t)((i * 7) % N);
    assert_int_equal(clcnn_model_set_order(m, order, N), CLCNN_STATUS_OK);
    return m;
}

static float *params_of(clcnn_model *m) {
    float *p = malloc(clcnn_model_param_count(m) * sizeof *p);
    assert_int_equal(clcnn_model_read_params(m, p), CLCNN_STATUS_OK);
    return p;
}

static const clcnn_tensor_info *tensor(clcnn_model *m, const char *name) {
    for (int i = 0; i < clcnn_model_tensor_count(m); i++)
        if (strcmp(clcnn_model_tensor(m, i)->name, name) == 0) return clcnn_model_tensor(m, i);
    fail_msg("no tensor %s", name);
    return NULL;
}

static const char *BN_MODEL = BASE
    "  layers:\n"
    "    - conv2d: {filters: 4, kernel_size: 3, use_bias: false}\n"
    "    - batch_normalization: {momentum: 0.5}\n"
    "    - relu\n"
    "    - dropout: {rate: 0.25}\n"
    "    - flatten\n"
    "    - dense: {units: 3}\n"
    "train: {optimizer: {name: sgd, learning_rate: 0.1}, conv_route: own}\n";

static void test_batchnorm_model_file(void **state) {
    (void)state;
    clcnn_dataset ds = dataset();
    clcnn_spec *spec = spec_from(BN_MODEL);
    clcnn_model *m = model_with(spec, &ds), *m2 = model_with(spec, &ds);
    const clcnn_tensor_info *rm = tensor(m, "layers.1.running_mean"), *rv = tensor(m, "layers.1.running_var");
    const clcnn_tensor_info *gamma = tensor(m, "layers.1.weight");
    /* The state comes after every trainable tensor, outside the optimizer's prefix. */
    assert_true(rm->offset >= m->n_trainable && rv->offset >= m->n_trainable);
    float *p0 = params_of(m);
    for (int c = 0; c < 4; c++)
        assert_true(p0[gamma->offset + c] == 1 && p0[rm->offset + c] == 0 && p0[rv->offset + c] == 1);
    for (int s = 0; s < 3; s++) assert_int_equal(clcnn_model_train_step(m, s * 16, 16), CLCNN_STATUS_OK);
    float *p1 = params_of(m);
    assert_true(p1[rm->offset] != 0 && p1[rv->offset] != 1);
    const char *path = "test_model_options.safetensors";
    assert_int_equal(clcnn_model_save(m, path), CLCNN_STATUS_OK);
    clcnn_safetensors st;
    assert_int_equal(clcnn_safetensors_read(path, &st), CLCNN_STATUS_OK);
    const clcnn_st_tensor *t = clcnn_safetensors_find(&st, "layers.1.running_var");
    assert_non_null(t);
    assert_memory_equal(t->data, p1 + rv->offset, 4 * sizeof(float));
    clcnn_safetensors_free(&st);
    assert_int_equal(clcnn_model_load_weights(m2, path), CLCNN_STATUS_OK);
    float *p2 = params_of(m2);
    assert_memory_equal(p2, p1, clcnn_model_param_count(m) * sizeof *p1);
    /* Inference (running statistics, no dropout) gives the same answers from both. */
    float probs1[N * 3], probs2[N * 3];
    assert_int_equal(clcnn_model_predict(m, ds.images, N, probs1), CLCNN_STATUS_OK);
    assert_int_equal(clcnn_model_predict(m2, ds.images, N, probs2), CLCNN_STATUS_OK);
    assert_memory_equal(probs1, probs2, sizeof probs1);
    remove(path);
    clcnn_model_destroy(m), clcnn_model_destroy(m2);
    free(p0), free(p1), free(p2), free(spec);
    clcnn_dataset_free(&ds);
}

static float *batch_of(clcnn_model *m, int count) {
    size_t n = (size_t)count * HH * WW;
    float *x = malloc(n * sizeof *x);
    assert_int_equal(clcnn_buffer_read(test_ctx, m->x0, 0, n * sizeof *x, x), CLCNN_STATUS_OK);
    return x;
}

static const char *AUG_MODEL = "data: {classes: 3, augment: {horizontal_flip: true, "
                               "width_shift: 0.2, rotation: 0.1, erasing: 0.5}}\n"
                               "model:\n  input_shape: [9, 8, 1]\n  layers: [flatten, dense: {units: 3}]\n"
                               "train: {conv_route: own}\n";

static void test_augmented_batches(void **state) {
    (void)state;
    clcnn_dataset ds = dataset();
    clcnn_spec *spec = spec_from(AUG_MODEL);
    clcnn_model *a = model_with(spec, &ds), *b = model_with(spec, &ds);
    spec->train.seed = 43;
    clcnn_model *c = model_with(spec, &ds);
    assert_int_equal(clcnn_model_train_step(a, 0, 16), CLCNN_STATUS_OK);
    assert_int_equal(clcnn_model_train_step(b, 0, 16), CLCNN_STATUS_OK);
    assert_int_equal(clcnn_model_train_step(c, 0, 16), CLCNN_STATUS_OK);
    float *xa = batch_of(a, 16), *xb = batch_of(b, 16), *xc = batch_of(c, 16);
    assert_memory_equal(xa, xb, 16 * HH * WW * sizeof *xa); /* same seed, same step */
    assert_true(memcmp(xa, xc, 16 * HH * WW * sizeof *xa) != 0);
    assert_int_equal(clcnn_model_train_step(a, 0, 16), CLCNN_STATUS_OK); /* the next step: new draws */
    float *xa2 = batch_of(a, 16);
    assert_true(memcmp(xa, xa2, 16 * HH * WW * sizeof *xa) != 0);
    /* The examples were augmented: not the plain normalized images. */
    int differ = 0;
    for (int i = 0; i < 16 * HH * WW; i++)
        differ += xa[i] != ds.images[(size_t)((i / (HH * WW)) * 7 % N) * HH * WW + i % (HH * WW)] / 255.0f;
    assert_true(differ > 16 * HH * WW / 4);
    /* Evaluation gathers the plain images. */
    assert_int_equal(clcnn_model_upload(a, 1, &ds), CLCNN_STATUS_OK);
    assert_int_equal(clcnn_model_eval_step(a, 1, 16, 16, NULL), CLCNN_STATUS_OK);
    float *xe = batch_of(a, 16);
    for (int i = 0; i < 16 * HH * WW; i++) assert_true(xe[i] == ds.images[16 * HH * WW + i] * (1.0f / 255.0f));
    clcnn_model_destroy(a), clcnn_model_destroy(b), clcnn_model_destroy(c);
    free(xa), free(xb), free(xc), free(xa2), free(xe), free(spec);
    clcnn_dataset_free(&ds);
}

/* conv2d/dense with activation: x equal the product followed by the activation layer. */
static void test_fused_equals_layer(void **state) {
    (void)state;
    const char *acts[] = {"sigmoid", "tanh", "leaky_relu", "elu"};
    const char *layers[] = {"sigmoid", "tanh", "{leaky_relu: {alpha: 0.2}}", "elu"};
    clcnn_dataset ds = dataset();
    for (int i = 0; i < 4; i++) {
        char fused[512], split[512];
        snprintf(fused, sizeof fused, BASE "  layers: [conv2d: {filters: 3, activation: %s}, flatten, "
                 "dense: {units: 5, activation: %s}, dense: {units: 3}]\n" ROUTE, acts[i], acts[i]);
        snprintf(split, sizeof split, BASE "  layers: [conv2d: {filters: 3}, %s, flatten, "
                 "dense: {units: 5}, %s, dense: {units: 3}]\n" ROUTE, layers[i], layers[i]);
        clcnn_spec *sf = spec_from(fused), *ss = spec_from(split);
        clcnn_model *mf = model_with(sf, &ds), *ms = model_with(ss, &ds);
        float *p = params_of(mf);
        assert_int_equal(clcnn_model_write_params(ms, p), CLCNN_STATUS_OK);
        float a[N * 3], b[N * 3];
        assert_int_equal(clcnn_model_predict(mf, ds.images, N, a), CLCNN_STATUS_OK);
        assert_int_equal(clcnn_model_predict(ms, ds.images, N, b), CLCNN_STATUS_OK);
        for (int k = 0; k < N * 3; k++)
            if (fabsf(a[k] - b[k]) > 1e-6f) fail_msg("%s: probability %d: %g vs %g", acts[i], k, a[k], b[k]);
        clcnn_model_destroy(mf), clcnn_model_destroy(ms);
        free(sf), free(ss), free(p);
    }
    clcnn_dataset_free(&ds);
}

/* One SGD step with and without weight decay from the same weights: the difference is
 * -lr * wd * p on every trainable value, and nothing on batch norm's state. A learning rate
 * of 0 leaves the weights alone. */
static void test_weight_decay_and_rate(void **state) {
    (void)state;
    clcnn_dataset ds = dataset();
    clcnn_spec *plain = spec_from(BN_MODEL), *decayed = spec_from(BN_MODEL);
    decayed->train.optimizer.weight_decay = 0.5f;
    clcnn_model *a = model_with(plain, &ds), *b = model_with(decayed, &ds);
    float *p0 = params_of(a);
    assert_int_equal(clcnn_model_train_step(a, 0, 16), CLCNN_STATUS_OK);
    assert_int_equal(clcnn_model_train_step(b, 0, 16), CLCNN_STATUS_OK);
    float *pa = params_of(a), *pb = params_of(b);
    for (size_t i = 0; i < a->n_params; i++) {
        double want = i < a->n_trainable ? -0.1 * 0.5 * p0[i] : 0.0;
        if (fabs((pb[i] - pa[i]) - want) > 1e-6 + 1e-5 * fabs(want))
            fail_msg("value %zu: decayed %g, plain %g, start %g", i, pb[i], pa[i], p0[i]);
    }
    assert_int_equal(clcnn_model_set_learning_rate(a, 0.0f), CLCNN_STATUS_OK);
    assert_int_equal(clcnn_model_train_step(a, 16, 16), CLCNN_STATUS_OK);
    float *pz = params_of(a);
    assert_memory_equal(pz, pa, a->n_trainable * sizeof *pz);
    assert_true(memcmp(pz + a->n_trainable, pa + a->n_trainable,
                       (a->n_params - a->n_trainable) * sizeof *pz) != 0); /* statistics moved */
    assert_int_equal(clcnn_model_set_learning_rate(a, NAN), CLCNN_STATUS_INVALID_ARGUMENT);
    clcnn_model_destroy(a), clcnn_model_destroy(b);
    free(plain), free(decayed), free(p0), free(pa), free(pb), free(pz);
    clcnn_dataset_free(&ds);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batchnorm_model_file),
        cmocka_unit_test(test_augmented_batches),
        cmocka_unit_test(test_fused_equals_layer),
        cmocka_unit_test(test_weight_decay_and_rate),
    };
    return cmocka_run_group_tests(tests, test_device_setup, test_device_teardown);
}
