/* examples/train_predict.c: clcnn from C through the installed library. Trains the seed's model
 * (two 3x3 convolutions, dense 128) on Fashion-MNIST from a YAML string, evaluates it on the test
 * set and predicts the class of one test image. Usage: train_predict [OUT_DIR] [KEY=VALUE...]
 * (the overrides are `clcnn train --set` key paths: data.train_limit=60000, train.epochs=5). */
#include <stdio.h>
#include <stdlib.h>

#include <clcnn/config.h>
#include <clcnn/train.h>
#include <clcnn/version.h>

/* A few hundred images and one epoch, so the example runs in seconds; raise the limits for a
 * real model (about 91% test accuracy after a few epochs on all 60000). */
static const char *config_yaml =
    "data:\n"
    "  scale: 255\n"
    "  train_limit: 512\n"
    "  test_limit: 256\n"
    "  validation_split: 0\n"
    "model:\n"
    "  input_shape: [28, 28, 1]\n"
    "  layers:\n"
    "    - conv2d: {filters: 64, kernel_size: 3, activation: relu}\n"
    "    - conv2d: {filters: 64, kernel_size: 3, activation: relu}\n"
    "    - flatten: {}\n"
    "    - dense: {units: 128, activation: relu}\n"
    "    - dense: {units: 10, activation: softmax}\n"
    "train:\n"
    "  epochs: 1\n"
    "  batch_size: 32\n"
    "  seed: 42\n"
    "  optimizer: {name: adam, learning_rate: 0.001}\n";

static void on_progress(const clcnn_progress *p, void *user) {
    (void)user;
    if (p->final)
        printf("epoch %d/%d: loss %.4f, accuracy %.4f\n", p->epoch, p->epochs, p->loss,
               p->accuracy);
}

/* Trains into out_dir, then reopens the saved model to evaluate and predict. */
static clcnn_status run(const char *out_dir, int n_sets, char **sets) {
    clcnn_spec *spec = clcnn_spec_create();
    clcnn_context *ctx = NULL;
    clcnn_model *model = NULL;
    clcnn_fit_result *fit = malloc(sizeof *fit); /* holds every epoch's metrics: large */
    clcnn_eval_result *eval = malloc(sizeof *eval);
    clcnn_dataset test = {0};
    char model_path[4096];
    snprintf(model_path, sizeof model_path, "%s/model.safetensors", out_dir);

    clcnn_status s = spec && fit && eval ? CLCNN_STATUS_OK
                                         : clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
    if (s == CLCNN_STATUS_OK) s = clcnn_config_load_string(config_yaml, "train_predict.yaml", spec, NULL);
    for (int i = 0; s == CLCNN_STATUS_OK && i < n_sets; i++) s = clcnn_config_set(spec, NULL, sets[i]);
    if (s == CLCNN_STATUS_OK) s = clcnn_context_create(NULL, &ctx);
    if (s == CLCNN_STATUS_OK) {
        printf("clcnn %s on %s\n", clcnn_version(), clcnn_context_device(ctx)->name);
        clcnn_fit_options opt = clcnn_fit_options_default();
        opt.out_dir = out_dir;
        opt.evaluate_test = 0; /* evaluated below, from the saved file */
        opt.progress = on_progress;
        s = clcnn_fit(ctx, spec, &opt, fit);
    }
    if (s == CLCNN_STATUS_OK) s = clcnn_model_open(ctx, model_path, 0, &model);
    if (s == CLCNN_STATUS_OK) s = clcnn_data_load_for(spec, NULL, &test, NULL);
    if (s == CLCNN_STATUS_OK) s = clcnn_evaluate(model, &test, eval);
    if (s == CLCNN_STATUS_OK) {
        printf("test: %d images, loss %.4f, accuracy %.4f\n", eval->n, eval->loss, eval->accuracy);
        float probs[CLCNN_MAX_CLASSES];
        s = clcnn_model_predict(model, test.images, 1, probs); /* the first test image */
        int best = 0;
        for (int k = 1; s == CLCNN_STATUS_OK && k < eval->classes; k++)
            if (probs[k] > probs[best]) best = k;
        if (s == CLCNN_STATUS_OK)
            printf("image 0: predicted %s (p = %.3f), labelled %s\n", spec->data.classes[best],
                   probs[best], spec->data.classes[test.labels[0]]);
    }
    clcnn_dataset_free(&test);
    clcnn_model_destroy(model);
    clcnn_context_destroy(ctx);
    clcnn_spec_destroy(spec);
    free(fit);
    free(eval);
    return s;
}

int main(int argc, char **argv) {
    const char *out_dir = argc > 1 ? argv[1] : "train_predict_out";
    clcnn_status s = run(out_dir, argc > 2 ? argc - 2 : 0, argv + 2);
    if (s != CLCNN_STATUS_OK) {
        fprintf(stderr, "train_predict: %s: %s\n", clcnn_status_name(s), clcnn_last_error());
        return 1;
    }
    return 0;
}
