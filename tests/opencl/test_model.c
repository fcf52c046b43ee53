/* test_model.c: the model through the public API (clcnn/model.h). One whole training step of the
 * seed model (conv 64@3x3 relu, conv 64@3x3 relu, flatten, dense 128 relu, dense 10 softmax on
 * 28x28x1, batch 32) against the reference's ref_seed_model_step: loss, logits and every gradient,
 * by both GEMM routes; three steps of a small model with each optimizer against the reference
 * optimizers; evaluation and prediction; the errors model creation reports; and bit-identical
 * runs from the same seed. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clcnn/model.h"
#include "nn/model_internal.h"
#include "ref/ref.h"
#include "test_util.h"


static void layer(clcnn_spec *s, const char *type) {
    clcnn_layer_spec_default(&s->model.layers[s->model.n_layers++], type);
}

static clcnn_layer_spec *last(clcnn_spec *s) { return &s->model.layers[s->model.n_layers - 1]; }

static void add_conv(clcnn_spec *s, int filters, int k, const char *activation) {
    layer(s, "conv2d");
    last(s)->filters = filters;
    last(s)->kernel_size[0] = last(s)->kernel_size[1] = k;
    snprintf(last(s)->activation, sizeof last(s)->activation, "%s", activation);
}

static void add_dense(clcnn_spec *s, int units, const char *activation) {
    layer(s, "dense");
    last(s)->units = units;
    snprintf(last(s)->activation, sizeof last(s)->activation, "%s", activation);
}

/* The seed notebook's model (configs/fashion_mnist.yaml), SGD with learning rate 0 so a step
 * leaves the parameters as they were and only the gradients are computed. */
static void seed_spec(clcnn_spec *s, const char *route) {
    clcnn_spec_default(s);
    add_conv(s, 64, 3, "relu");
    add_conv(s, 64, 3, "relu");
    layer(s, "flatten");
    add_dense(s, 128, "relu");
    add_dense(s, 10, "softmax");
    snprintf(s->train.optimizer.name, sizeof s->train.optimizer.name, "sgd");
    s->train.optimizer.learning_rate = 0.0f;
    snprintf(s->train.conv_route, sizeof s->train.conv_route, "%s", route);
}

static clcnn_model *create(const clcnn_spec *spec, int max_batch) {
    clcnn_model *m = NULL;
    clcnn_status s = clcnn_model_create(test_ctx, spec, max_batch, &m);
    if (s != CLCNN_STATUS_OK) printf("clcnn_model_create: %s\n", clcnn_last_error());
    assert_int_equal(s, CLCNN_STATUS_OK);
    return m;
}

/* A random uint8 dataset of n examples with labels below `classes`. */
static void random_dataset(clcnn_dataset *ds, int n, int c, int h, int w, int classes,
                           uint64_t seed) {
    size_t bytes = (size_t)n * c * h * w;
    *ds = (clcnn_dataset){n, c, h, w, malloc(bytes), malloc((size_t)n)};
    clcnn_rng rng;
    clcnn_rng_seed(&rng, seed);
    for (size_t i = 0; i < bytes; i++) ds->images[i] = (uint8_t)clcnn_rng_below(&rng, 256);
    for (int i = 0; i < n; i++) ds->labels[i] = (uint8_t)clcnn_rng_below(&rng, (uint64_t)classes);
}

static uint32_t *random_order(int n, uint64_t seed) {
    uint32_t *order = malloc((size_t)n * sizeof *order);
    for (int i = 0; i < n; i++) order[i] = (uint32_t)i;
    clcnn_rng rng;
    clcnn_rng_seed(&rng, seed);
    clcnn_rng_shuffle_u32(&rng, order, (size_t)n);
    return order;
}

static void ok(clcnn_status s, const char *what) {
    if (s != CLCNN_STATUS_OK) printf("%s: %s\n", what, clcnn_last_error());
    assert_int_equal(s, CLCNN_STATUS_OK);
}

/* Random parameters in arena order: Glorot-uniform weights, biases in [-0.1, 0.1) (not zero, so
 * a bias that is never added shows). */
static float *random_params(const clcnn_model *m, uint64_t seed) {
    size_t n = clcnn_model_param_count(m);
    float *p = malloc(n * sizeof *p);
    for (int i = 0; i < clcnn_model_tensor_count(m); i++) {
        const clcnn_tensor_info *t = clcnn_model_tensor(m, i);
        double limit = 0.1;
        if (t->ndim > 1) {
            double rf = t->ndim == 4 ? (double)(t->shape[2] * t->shape[3]) : 1.0;
            limit = sqrt(6.0 / ((double)t->shape[1] * rf + (double)t->shape[0] * rf));
        }
        test_fill_uniform(p + t->offset, t->count, (float)-limit, (float)limit, seed + (uint64_t)i);
    }
    return p;
}

static const clcnn_tensor_info *tensor(const clcnn_model *m, const char *name) {
    for (int i = 0; i < clcnn_model_tensor_count(m); i++)
        if (strcmp(clcnn_model_tensor(m, i)->name, name) == 0) return clcnn_model_tensor(m, i);
    printf("no tensor '%s'\n", name);
    fail();
    return NULL;
}

/* |got - want| <= rel * max|want| over a whole tensor; prints the first bad index, both values,
 * and in any case the largest error seen (relative to the tensor's largest magnitude). */
static int check_rel_max(const char *what, const float *got, const double *want, size_t n,
                         double rel) {
    double mx = 0, worst = 0;
    for (size_t i = 0; i < n; i++) mx = fmax(mx, fabs(want[i]));
    for (size_t i = 0; i < n; i++) worst = fmax(worst, fabs((double)got[i] - want[i]));
    printf("  %-18s %7zu values, max |want| %.3g, max error %.3g (%.2g of max)\n", what, n, mx,
           worst, mx > 0 ? worst / mx : 0.0);
    for (size_t i = 0; i < n; i++)
        if (!(fabs((double)got[i] - want[i]) <= rel * mx)) {
            printf("%s: first bad index %zu of %zu: got %.9g, want %.9g (tolerance %.3g)\n", what, i,
                   n, (double)got[i], want[i], rel * mx);
            return 0;
        }
    return 1;
}

/* ---- the seed model, one step ----------------------------------------------------------------- */

enum { SEED_BATCH = 32, SEED_DATA = 45, SEED_START = 5 };

typedef struct seed_reference {
    double loss;
    double *logits;
    double *grads[8];     /* w1 b1 w2 b2 w3 b3 w4 b4 */
    size_t counts[8];
} seed_reference;

static const char *const seed_names[8] = {
    "layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias",
    "layers.3.weight", "layers.3.bias", "layers.4.weight", "layers.4.bias",
};

static void seed_check(clcnn_model *m, const float *params, const clcnn_dataset *ds,
                       const uint32_t *order, const seed_reference *ref, const char *route) {
    ok(clcnn_model_write_params(m, params), "write params");
    ok(clcnn_model_upload(m, 0, ds), "upload");
    ok(clcnn_model_set_order(m, order, SEED_DATA), "set order");
    double t0 = clcnn_now();
    ok(clcnn_model_train_step(m, SEED_START, SEED_BATCH), "train step");
    double loss_sum;
    int64_t correct;
    ok(clcnn_model_read_metrics(m, 0, SEED_START, SEED_START + SEED_BATCH, &loss_sum, &correct,
                                NULL),
       "read metrics");
    printf("route %s: one step of the seed model at batch %d: %.0f ms (first use, builds included)\n",
           route, SEED_BATCH, (clcnn_now() - t0) * 1e3);

    size_t n = clcnn_model_param_count(m);
    float *got = malloc(n * sizeof *got), *after = malloc(n * sizeof *after);
    ok(clcnn_buffer_read(test_ctx, m->grads, 0, n * sizeof(float), got), "read grads");
    ok(clcnn_model_read_params(m, after), "read params");
    assert_memory_equal(after, params, n * sizeof(float)); /* learning rate 0 */
    size_t nl = (size_t)SEED_BATCH * 10;
    float *logits = malloc(nl * sizeof *logits);
    ok(clcnn_buffer_read(test_ctx, m->act[m->n_layers - 1], 0, nl * sizeof(float), logits), "logits");

    /* The loss: a mean of 32 log-sum-exps of logits of size ~1, each within a few ulp. */
    double loss = loss_sum / SEED_BATCH;
    printf("  loss %.9g, want %.9g\n", loss, ref->loss);
    assert_true(fabs(loss - ref->loss) <= 1e-5 * fmax(1.0, fabs(ref->loss)));
    /* Tolerance: 1e-4 of each tensor's largest magnitude. A float32 sum of K terms is off by
     * about sqrt(K) u (random-walk rounding, u = 6e-8) of the sum of its terms' magnitudes, which
     * cancellation can make ~10-100 times the result; K reaches 36864 (dense 1's inputs) and 18432
     * (conv 2's weight gradient: 32 images x 576 positions), and each layer passes its rounding
     * on: that gives 1e-6 to 1e-5 of the largest value (PoCL measures ~1e-6, printed above). A
     * few of the ~2.5 million ReLU inputs also lie within rounding of zero and may take the other
     * side, each moving one term of one gradient sum. An indexing bug moves values by O(1) of the
     * maximum. */
    char what[96];
    snprintf(what, sizeof what, "%s logits", route);
    assert_true(check_rel_max(what, logits, ref->logits, nl, 1e-4));
    for (int i = 0; i < 8; i++) {
        const clcnn_tensor_info *t = tensor(m, seed_names[i]);
        assert_int_equal(t->count, ref->counts[i]);
        snprintf(what, sizeof what, "%s %s", route, seed_names[i]);
        assert_true(check_rel_max(what, got + t->offset, ref->grads[i], t->count, 1e-4));
    }
    free(got), free(after), free(logits);
}

static void test_seed_model_step(void **state) {
    (void)state;
    clcnn_spec spec;
    seed_spec(&spec, "own");
    clcnn_model *m = create(&spec, SEED_BATCH);
    assert_int_equal(clcnn_model_tensor_count(m), 8);
    float *params = random_params(m, 11);
    clcnn_dataset ds;
    random_dataset(&ds, SEED_DATA, 1, 28, 28, 10, 12);
    uint32_t *order = random_order(SEED_DATA, 13);

    /* The reference, in double, on the same parameters and the batch the order picks. */
    double *pd[8];
    for (int i = 0; i < 8; i++) {
        const clcnn_tensor_info *t = tensor(m, seed_names[i]);
        pd[i] = test_to_double(params + t->offset, t->count);
    }
    ref_seed_model rm = {.c_in = 1, .h = 28, .w = 28, .f1 = 64, .k1 = 3, .f2 = 64, .k2 = 3,
                         .units = 128, .classes = 10, .w1 = pd[0], .b1 = pd[1], .w2 = pd[2],
                         .b2 = pd[3], .w3 = pd[4], .b3 = pd[5], .w4 = pd[6], .b4 = pd[7]};
    size_t ex = 28 * 28;
    double *x = malloc((size_t)SEED_BATCH * ex * sizeof *x);
    int labels[SEED_BATCH];
    for (int b = 0; b < SEED_BATCH; b++) {
        uint32_t idx = order[SEED_START + b];
        for (size_t e = 0; e < ex; e++) x[b * ex + e] = ds.images[idx * ex + e] / 255.0;
        labels[b] = ds.labels[idx];
    }
    seed_reference ref;
    ref.logits = malloc((size_t)SEED_BATCH * 10 * sizeof(double));
    for (int i = 0; i < 8; i++) {
        ref.counts[i] = tensor(m, seed_names[i])->count;
        ref.grads[i] = malloc(ref.counts[i] * sizeof(double));
    }
    ref_seed_grads g = {ref.grads[0], ref.grads[1], ref.grads[2], ref.grads[3],
                        ref.grads[4], ref.grads[5], ref.grads[6], ref.grads[7], ref.logits};
    double t0 = clcnn_now();
    ref.loss = ref_seed_model_step(&rm, x, labels, SEED_BATCH, &g);
    printf("reference (double, plain loops): %.1f s\n", clcnn_now() - t0);
    assert_false(isnan(ref.loss));

    seed_check(m, params, &ds, order, &ref, "own");
    clcnn_model_destroy(m);
    seed_spec(&spec, "clblast");
    m = create(&spec, SEED_BATCH);
    seed_check(m, params, &ds, order, &ref, "clblast");
    clcnn_model_destroy(m);

    for (int i = 0; i < 8; i++) free(pd[i]), free(ref.grads[i]);
    free(ref.logits), free(x), free(params), free(order);
    clcnn_dataset_free(&ds);
}

/* ---- the optimizers through the model --------------------------------------------------------- */

/* flatten + dense 7 (softmax) on 3x3x2 inputs: small enough for a reference step on the host,
 * and every optimizer's state runs through nn/step.c's launch. Hyperparameters far from the
 * defaults so that each term of a formula shows (epsilon inside or outside a square root...). */
enum { OPT_IN = 18, OPT_CLASSES = 7, OPT_BATCH = 5, OPT_DATA = 17 };

/* A 3x3x2 input, flattened, into a softmax dense layer of OPT_CLASSES units. */
static void small_spec(clcnn_spec *spec) {
    clcnn_spec_default(spec);
    spec->model.input_shape[0] = 3, spec->model.input_shape[1] = 3, spec->model.input_shape[2] = 2;
    spec->data.n_classes = OPT_CLASSES;
    spec->data.scale = 100.0f;
    layer(spec, "flatten");
    add_dense(spec, OPT_CLASSES, "softmax");
}

static void optimizer_check(const char *name, float lr, float momentum, int nesterov) {
    clcnn_spec spec;
    small_spec(&spec);
    clcnn_optimizer_spec *o = &spec.train.optimizer;
    snprintf(o->name, sizeof o->name, "%s", name);
    o->learning_rate = lr, o->momentum = momentum, o->nesterov = nesterov;
    o->beta_1 = 0.8f, o->beta_2 = 0.95f, o->rho = 0.8f, o->epsilon = 1e-2f;
    clcnn_model *m = create(&spec, OPT_BATCH);
    size_t n = clcnn_model_param_count(m);
    assert_int_equal(n, (size_t)OPT_CLASSES * OPT_IN + OPT_CLASSES);
    const clcnn_tensor_info *tw = tensor(m, "layers.1.weight"), *tb = tensor(m, "layers.1.bias");
    float *p = random_params(m, 20);
    ok(clcnn_model_write_params(m, p), "write params");
    double *pd = test_to_double(p, n), *gd = calloc(n, sizeof *gd);
    double *s1 = calloc(n, sizeof *s1), *s2 = calloc(n, sizeof *s2);
    clcnn_dataset ds;
    random_dataset(&ds, OPT_DATA, 2, 3, 3, OPT_CLASSES, 21);
    uint32_t *order = random_order(OPT_DATA, 22);
    ok(clcnn_model_upload(m, 0, &ds), "upload");
    ok(clcnn_model_set_order(m, order, OPT_DATA), "set order");
    for (int t = 1; t <= 3; t++) {
        int start = 1 + (t - 1) * OPT_BATCH;
        ok(clcnn_model_train_step(m, start, OPT_BATCH), "train step");
        double x[OPT_BATCH * OPT_IN], z[OPT_BATCH * OPT_CLASSES], dz[OPT_BATCH * OPT_CLASSES];
        int labels[OPT_BATCH];
        for (int b = 0; b < OPT_BATCH; b++) {
            uint32_t idx = order[start + b];
            for (int e = 0; e < OPT_IN; e++) x[b * OPT_IN + e] = ds.images[idx * OPT_IN + e] / 100.0;
            labels[b] = ds.labels[idx];
        }
        ref_dense_forward(x, pd + tw->offset, pd + tb->offset, z, OPT_BATCH, OPT_IN, OPT_CLASSES);
        ref_softmax_xent_backward(z, labels, dz, OPT_BATCH, OPT_CLASSES);
        ref_dense_backward(x, pd + tw->offset, dz, NULL, gd + tw->offset, gd + tb->offset,
                           OPT_BATCH, OPT_IN, OPT_CLASSES);
        if (strcmp(name, "adam") == 0)
            ref_adam_step(pd, gd, s1, s2, n, lr, 0.8f, 0.95f, 1e-2f, t);
        else if (strcmp(name, "sgd") == 0)
            ref_sgd_step(pd, gd, s1, n, lr, momentum, nesterov);
        else
            ref_rmsprop_step(pd, gd, s1, s2, n, lr, 0.8f, momentum, 1e-2f);
        float *got = malloc(n * sizeof *got);
        ok(clcnn_model_read_params(m, got), "read params");
        /* Parameters below 0.6, sums of 18 terms and a few elementwise operations per step. */
        char what[96];
        snprintf(what, sizeof what, "%s momentum %g%s step %d", name, (double)momentum,
                 nesterov ? " nesterov" : "", t);
        assert_true(test_allclose(what, got, pd, n, 1e-5, 1e-6));
        free(got);
    }
    clcnn_model_destroy(m);
    clcnn_dataset_free(&ds);
    free(p), free(pd), free(gd), free(s1), free(s2), free(order);
}

static void test_optimizer_steps(void **state) {
    (void)state;
    optimizer_check("sgd", 0.5f, 0.0f, 0);
    optimizer_check("sgd", 0.5f, 0.7f, 0);
    optimizer_check("sgd", 0.5f, 0.7f, 1);
    optimizer_check("rmsprop", 0.05f, 0.0f, 0);
    optimizer_check("rmsprop", 0.05f, 0.7f, 0);
    optimizer_check("adam", 0.05f, 0.0f, 0);
}

/* ---- evaluation and prediction ---------------------------------------------------------------- */

/* The same small model, inference only: evaluation in storage order over a slot whose size is not
 * a multiple of the batch (so the last batch is short), then clcnn_model_predict on raw images. */
static void test_eval_and_predict(void **state) {
    (void)state;
    clcnn_spec spec;
    small_spec(&spec);
    clcnn_model *m = create(&spec, OPT_BATCH);
    size_t n = clcnn_model_param_count(m);
    const clcnn_tensor_info *tw = tensor(m, "layers.1.weight"), *tb = tensor(m, "layers.1.bias");
    float *p = random_params(m, 40);
    for (size_t i = 0; i < n; i++) p[i] *= 8; /* confident predictions, losses far from log 7 */
    ok(clcnn_model_write_params(m, p), "write params");
    double *pd = test_to_double(p, n);
    clcnn_dataset ds;
    random_dataset(&ds, OPT_DATA, 2, 3, 3, OPT_CLASSES, 41);
    ok(clcnn_model_upload(m, 1, &ds), "upload");

    size_t np = (size_t)OPT_DATA * OPT_CLASSES;
    float *probs = malloc(np * sizeof *probs), *predicted = malloc(np * sizeof *predicted);
    for (int start = 0; start < OPT_DATA; start += OPT_BATCH) {
        int count = OPT_DATA - start < OPT_BATCH ? OPT_DATA - start : OPT_BATCH;
        ok(clcnn_model_eval_step(m, 1, start, count, probs + (size_t)start * OPT_CLASSES),
           "eval step");
    }
    double loss_sum;
    int64_t correct;
    uint8_t pred[OPT_DATA];
    ok(clcnn_model_read_metrics(m, 1, 0, OPT_DATA, &loss_sum, &correct, pred), "metrics");

    double x[OPT_DATA * OPT_IN], z[OPT_DATA * OPT_CLASSES], *want = malloc(np * sizeof *want);
    int labels[OPT_DATA];
    for (int b = 0; b < OPT_DATA; b++) {
        for (int e = 0; e < OPT_IN; e++) x[b * OPT_IN + e] = ds.images[b * OPT_IN + e] / 100.0;
        labels[b] = ds.labels[b];
    }
    ref_dense_forward(x, pd + tw->offset, pd + tb->offset, z, OPT_DATA, OPT_IN, OPT_CLASSES);
    double want_loss = ref_softmax_xent_forward(z, labels, want, OPT_DATA, OPT_CLASSES) * OPT_DATA;
    /* Logits up to ~20 from sums of 18 products: probabilities and losses within 1e-5. */
    assert_true(test_allclose("eval probabilities", probs, want, np, 1e-5, 1e-6));
    printf("  eval loss sum %.9g, want %.9g\n", loss_sum, want_loss);
    assert_true(fabs(loss_sum - want_loss) <= 1e-5 * fmax(1.0, want_loss));
    /* Predictions and the correct count agree with the probabilities (first maximum wins). */
    int64_t want_correct = 0;
    for (int b = 0; b < OPT_DATA; b++) {
        int arg = 0;
        for (int j = 1; j < OPT_CLASSES; j++)
            if (probs[b * OPT_CLASSES + j] > probs[b * OPT_CLASSES + arg]) arg = j;
        assert_int_equal(pred[b], arg);
        want_correct += arg == labels[b];
    }
    assert_int_equal(correct, want_correct);

    /* predict runs the same kernels on the same batches: bit-identical probabilities. */
    ok(clcnn_model_predict(m, ds.images, OPT_DATA, predicted), "predict");
    assert_memory_equal(predicted, probs, np * sizeof *probs);

    clcnn_model_destroy(m);
    clcnn_dataset_free(&ds);
    free(p), free(pd), free(probs), free(predicted), free(want);
}

/* ---- errors when building ----------------------------------------------------------------- */

static void expect_error(const clcnn_spec *spec, clcnn_status want, const char *const *needles) {
    clcnn_model *m = NULL;
    clcnn_status s = clcnn_model_create(test_ctx, spec, 8, &m);
    const char *msg = clcnn_last_error();
    printf("  %s: %s\n", clcnn_status_name(s), msg);
    assert_int_equal(s, want);
    assert_null(m);
    for (int i = 0; needles[i]; i++)
        if (!strstr(msg, needles[i])) {
            printf("the message lacks '%s'\n", needles[i]);
            fail();
        }
}

static void test_create_errors(void **state) {
    (void)state;
    clcnn_spec spec;

    /* A 5x5 kernel on a 3x3 input: the message names the layer. */
    clcnn_spec_default(&spec);
    spec.model.input_shape[0] = spec.model.input_shape[1] = 3;
    add_conv(&spec, 4, 5, "relu");
    snprintf(last(&spec)->name, sizeof last(&spec)->name, "big_kernel");
    last(&spec)->line = 12;
    layer(&spec, "flatten");
    add_dense(&spec, 10, "softmax");
    expect_error(&spec, CLCNN_STATUS_BAD_SHAPE,
                 (const char *const[]){"layer 0", "big_kernel", "line 12", "5x5", "3x3", NULL});

    /* An unknown layer type: NOT_FOUND, listing the known types. */
    clcnn_spec_default(&spec);
    add_conv(&spec, 4, 3, "relu");
    layer(&spec, "conv3d");
    layer(&spec, "flatten");
    add_dense(&spec, 10, "softmax");
    expect_error(&spec, CLCNN_STATUS_NOT_FOUND,
                 (const char *const[]){"layer 1", "conv3d", clcnn_layer_type_names(), NULL});

    /* Dense right after a convolution, no flatten. */
    clcnn_spec_default(&spec);
    add_conv(&spec, 4, 3, "relu");
    add_dense(&spec, 10, "softmax");
    expect_error(&spec, CLCNN_STATUS_BAD_SHAPE,
                 (const char *const[]){"layer 1", "dense", "flatten", NULL});

    /* The last layer's units differ from the number of classes. */
    clcnn_spec_default(&spec);
    add_conv(&spec, 4, 3, "relu");
    layer(&spec, "flatten");
    add_dense(&spec, 7, "softmax");
    expect_error(&spec, CLCNN_STATUS_BAD_SHAPE, (const char *const[]){"7 units", "10 classes", NULL});
}

/* ---- determinism ------------------------------------------------------------------------------ */

static void det_spec(clcnn_spec *spec) {
    clcnn_spec_default(spec);
    spec->model.input_shape[0] = 13, spec->model.input_shape[1] = 11;
    spec->model.input_shape[2] = 2;
    spec->train.seed = 7;
    add_conv(spec, 6, 3, "relu");
    layer(spec, "max_pooling2d");
    add_conv(spec, 5, 3, "relu");
    last(spec)->padding = CLCNN_PADDING_SAME;
    layer(spec, "flatten");
    add_dense(spec, 12, "relu");
    add_dense(spec, 10, "softmax");
    spec->train.optimizer.learning_rate = 0.01f; /* adam */
}

/* A model from det_spec, the data uploaded and the order set. */
static clcnn_model *det_model(const clcnn_spec *spec, const clcnn_dataset *ds,
                              const uint32_t *order) {
    clcnn_model *m = create(spec, 16);
    ok(clcnn_model_upload(m, 0, ds), "upload");
    ok(clcnn_model_set_order(m, order, ds->n), "set order");
    return m;
}

/* Two models from the same spec and seed, given the same data and order, end three Adam steps
 * with bit-identical parameters; so does a third that stops after two steps and hands its
 * parameters and optimizer state (as --resume does) to a fresh model for the last step. */
static void test_deterministic(void **state) {
    (void)state;
    clcnn_spec spec;
    det_spec(&spec);
    clcnn_dataset ds;
    random_dataset(&ds, 40, 2, 13, 11, 10, 30);
    uint32_t *order = random_order(40, 31);
    float *params[3];
    double loss[2];
    size_t n = 0;
    for (int r = 0; r < 2; r++) {
        clcnn_model *m = det_model(&spec, &ds, order);
        n = clcnn_model_param_count(m);
        params[r] = malloc(n * sizeof(float));
        float *initial = malloc(n * sizeof(float));
        ok(clcnn_model_read_params(m, initial), "read params");
        for (int step = 0; step < 3; step++) ok(clcnn_model_train_step(m, step * 13, 13), "step");
        int64_t correct;
        ok(clcnn_model_read_metrics(m, 0, 0, 39, &loss[r], &correct, NULL), "metrics");
        ok(clcnn_model_read_params(m, params[r]), "read params");
        /* The steps did train: every tensor moved (not every value: a ReLU unit that is off
         * for the whole batch passes no gradient to its weights). */
        for (int t = 0; t < clcnn_model_tensor_count(m); t++) {
            const clcnn_tensor_info *ti = clcnn_model_tensor(m, t);
            size_t changed = 0;
            for (size_t i = ti->offset; i < ti->offset + ti->count; i++)
                changed += initial[i] != params[r][i];
            if (!changed) printf("%s did not change in 3 steps\n", ti->name);
            assert_true(changed > 0);
        }
        free(initial);
        clcnn_model_destroy(m);
    }
    assert_memory_equal(params[0], params[1], n * sizeof(float));
    assert_memory_equal(&loss[0], &loss[1], sizeof loss[0]);

    /* Resumed after two steps. */
    clcnn_model *m = det_model(&spec, &ds, order);
    for (int step = 0; step < 2; step++) ok(clcnn_model_train_step(m, step * 13, 13), "step");
    size_t n_opt = clcnn_model_opt_state_count(m);
    float *p = malloc(n * sizeof *p), *opt = malloc(n_opt * sizeof *opt);
    int64_t steps;
    ok(clcnn_model_read_params(m, p), "read params");
    ok(clcnn_model_read_opt_state(m, opt, &steps), "read optimizer state");
    assert_int_equal(steps, 2);
    clcnn_model_destroy(m);
    spec.train.seed = 8; /* other initial weights: the written ones must replace them */
    m = det_model(&spec, &ds, order);
    ok(clcnn_model_write_params(m, p), "write params");
    ok(clcnn_model_write_opt_state(m, opt, steps), "write optimizer state");
    ok(clcnn_model_train_step(m, 26, 13), "step");
    params[2] = malloc(n * sizeof(float));
    ok(clcnn_model_read_params(m, params[2]), "read params");
    assert_memory_equal(params[2], params[0], n * sizeof(float));
    clcnn_model_destroy(m);

    free(params[0]), free(params[1]), free(params[2]), free(p), free(opt), free(order);
    clcnn_dataset_free(&ds);
}

/* Every optimizer's state in optimizer.safetensors' one layout (CLCNN_OPTIMIZER_SLOTS slots of a
 * float per parameter; the slots it does not keep are zeros): two steps, the parameters and state
 * handed to a fresh model, and a third step end where three steps in one model end. */
static void test_optimizer_state_layout(void **state) {
    (void)state;
    clcnn_dataset ds;
    random_dataset(&ds, 40, 2, 13, 11, 10, 30);
    uint32_t *order = random_order(40, 31);
    for (int o = 0; o < CLCNN_OPTIMIZER_COUNT; o++) {
        clcnn_spec spec;
        det_spec(&spec);
        snprintf(spec.train.optimizer.name, sizeof spec.train.optimizer.name, "%s",
                 clcnn_optimizer_name((clcnn_optimizer)o));
        spec.train.optimizer.momentum = 0.7f;
        clcnn_model *m = det_model(&spec, &ds, order);
        size_t n = clcnn_model_param_count(m), n_opt = clcnn_model_opt_state_count(m);
        assert_int_equal(n_opt, CLCNN_OPTIMIZER_SLOTS * n);
        int kept = m->optimizer->state;
        float *want = malloc(n * sizeof *want), *got = malloc(n * sizeof *got);
        float *opt = malloc(n_opt * sizeof *opt);
        for (int step = 0; step < 3; step++) ok(clcnn_model_train_step(m, step * 13, 13), "step");
        ok(clcnn_model_read_params(m, want), "read params");
        clcnn_model_destroy(m);

        m = det_model(&spec, &ds, order);
        for (int step = 0; step < 2; step++) ok(clcnn_model_train_step(m, step * 13, 13), "step");
        int64_t steps;
        ok(clcnn_model_read_params(m, got), "read params");
        ok(clcnn_model_read_opt_state(m, opt, &steps), "read optimizer state");
        clcnn_model_destroy(m);
        for (int slot = 0; slot < CLCNN_OPTIMIZER_SLOTS; slot++) {
            size_t nonzero = 0;
            for (size_t i = 0; i < n; i++) nonzero += opt[slot * n + i] != 0;
            if ((nonzero > 0) != (slot < kept))
                fail_msg("%s: state slot %d has %zu nonzero values; it keeps %d slots",
                         spec.train.optimizer.name, slot, nonzero, kept);
        }

        spec.train.seed = 8;
        m = det_model(&spec, &ds, order);
        ok(clcnn_model_write_params(m, got), "write params");
        ok(clcnn_model_write_opt_state(m, opt, steps), "write optimizer state");
        ok(clcnn_model_train_step(m, 26, 13), "step");
        ok(clcnn_model_read_params(m, got), "read params");
        assert_memory_equal(got, want, n * sizeof(float));
        clcnn_model_destroy(m);
        free(want), free(got), free(opt);
    }
    free(order);
    clcnn_dataset_free(&ds);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_errors),
        cmocka_unit_test(test_optimizer_steps),
        cmocka_unit_test(test_eval_and_predict),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_optimizer_state_layout),
        cmocka_unit_test(test_seed_model_step),
    };
    return cmocka_run_group_tests(tests, test_device_setup, test_device_teardown);
}
