/* report/training.c: a training folder's data: history.csv and run.json (train/checkpoint.h),
 * the model file's config and layer table, and the model's predictions on its config's test set
 * (the run's own, test_predictions.bin, when they are there for this model file; else evaluated
 * here): accuracy, per-class accuracy, the confusion matrix and the most confidently
 * misclassified images as PNGs. */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "clcnn/config.h"
#include "clcnn/data.h"
#include "clcnn/train.h"
#include "report_internal.h"
#include "train/checkpoint.h"

#define DEFAULT_MISCLASSIFIED 24

static void path_in(const char *dir, const char *name, char *buf, size_t n) {
    snprintf(buf, n, "%s/%s", dir, name);
}

static cJSON *column(const clcnn_epoch_metrics *h, int n, size_t offset) {
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < n; i++)
        cJSON_AddItemToArray(a, report_number(*(const double *)((const char *)&h[i] + offset)));
    return a;
}

static cJSON *run_column(const double *v, int n, int have) {
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < n; i++) cJSON_AddItemToArray(a, report_number(i < have ? v[i] : NAN));
    return a;
}

/* Per epoch: history.csv's columns, and run.json's when the run wrote one. */
static clcnn_status add_history(const char *dir, cJSON *data) {
    char path[CLCNN_PATH_MAX + 64];
    path_in(dir, "history.csv", path, sizeof path);
    if (!clcnn_file_exists(path))
        return clcnn_fail(CLCNN_STATUS_NOT_FOUND,
                          "'%s' is missing: a training report needs the run's history", path);
    clcnn_epoch_metrics *h = malloc(CLCNN_MAX_EPOCHS * sizeof *h);
    clcnn_run_info *info = calloc(1, sizeof *info);
    int n = 0;
    clcnn_status s = h && info ? clcnn_history_read(path, h, CLCNN_MAX_EPOCHS, &n)
                               : clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
    if (s == CLCNN_STATUS_OK && n == 0)
        s = clcnn_fail(CLCNN_STATUS_PARSE_ERROR, "'%s' holds no epoch", path);
    path_in(dir, "run.json", path, sizeof path);
    if (s == CLCNN_STATUS_OK && clcnn_file_exists(path)) s = clcnn_run_info_read(path, info);
    if (s == CLCNN_STATUS_OK) {
        cJSON *hist = cJSON_AddObjectToObject(data, "history");
        cJSON *ep = cJSON_AddArrayToObject(hist, "epoch");
        for (int i = 0; i < n; i++) cJSON_AddItemToArray(ep, cJSON_CreateNumber(h[i].epoch));
        cJSON_AddItemToObject(hist, "loss", column(h, n, offsetof(clcnn_epoch_metrics, loss)));
        cJSON_AddItemToObject(hist, "accuracy", column(h, n, offsetof(clcnn_epoch_metrics, accuracy)));
        cJSON_AddItemToObject(hist, "val_loss", column(h, n, offsetof(clcnn_epoch_metrics, val_loss)));
        cJSON_AddItemToObject(hist, "val_accuracy",
                              column(h, n, offsetof(clcnn_epoch_metrics, val_accuracy)));
        cJSON_AddItemToObject(hist, "seconds", run_column(info->seconds, n, info->n_epochs));
        cJSON_AddItemToObject(hist, "images_per_second",
                              run_column(info->images_per_second, n, info->n_epochs));
        cJSON_AddItemToObject(hist, "learning_rate",
                              run_column(info->learning_rate, n, info->n_epochs));
        if (info->n_epochs) {
            cJSON *dev = cJSON_AddObjectToObject(data, "training_device");
            cJSON_AddStringToObject(dev, "name", info->device);
            cJSON_AddStringToObject(dev, "platform", info->platform);
        }
    }
    free(h);
    free(info);
    return s;
}

/* ---- the test-set evaluation ------------------------------------------------------------------ */

typedef struct evaluation {
    clcnn_dataset test;
    float *probs;
    int classes;
} evaluation;

static clcnn_status predict_test(const char *dir, const char *model_path, const clcnn_spec *spec,
                                 clcnn_context *ctx, evaluation *ev) {
    clcnn_model *model = NULL;
    CLCNN_TRY(clcnn_data_load_for(spec, NULL, &ev->test, NULL));
    if (!ev->test.labels || ev->test.n == 0)
        return clcnn_fail(CLCNN_STATUS_NOT_FOUND, "the config of '%s' names no labelled test set",
                          model_path);
    ev->classes = spec->data.n_classes;
    ev->probs = malloc((size_t)ev->test.n * (size_t)ev->classes * sizeof *ev->probs);
    if (!ev->probs) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
    char path[CLCNN_PATH_MAX + 64];
    path_in(dir, "test_predictions.bin", path, sizeof path);
    if (clcnn_test_predictions_read(path, model_path, &ev->test, ev->classes, ev->probs)) {
        clcnn_log(CLCNN_LOG_DEBUG, "report: the test predictions are the run's own, from '%s'", path);
        return CLCNN_STATUS_OK;
    }
    clcnn_log(CLCNN_LOG_DEBUG, "report: evaluating '%s' on its test set", model_path);
    clcnn_status s = clcnn_model_create(ctx, spec, spec->train.batch_size, &model);
    if (s == CLCNN_STATUS_OK) s = clcnn_model_load_weights(model, model_path);
    if (s == CLCNN_STATUS_OK) s = clcnn_model_predict(model, ev->test.images, ev->test.n, ev->probs);
    clcnn_model_destroy(model);
    return s;
}

static int argmax(const float *p, int k) {
    int best = 0;
    for (int j = 1; j < k; j++)
        if (p[j] > p[best]) best = j;
    return best;
}

static void add_metrics(const evaluation *ev, const clcnn_spec *spec, cJSON *test) {
    int k = ev->classes, n = ev->test.n;
    int64_t(*conf)[CLCNN_MAX_CLASSES] = calloc(CLCNN_MAX_CLASSES, sizeof *conf);
    if (!conf) return;
    double loss = 0;
    int64_t correct = 0;
    for (int i = 0; i < n; i++) {
        const float *p = ev->probs + (size_t)i * k;
        int t = ev->test.labels[i], pred = argmax(p, k);
        conf[t][pred]++;
        correct += pred == t;
        loss -= log(fmax(p[t], 1e-7)); /* Keras clips probabilities at its epsilon, 1e-7 */
    }
    cJSON_AddNumberToObject(test, "n", n);
    report_add_number(test, "accuracy", n ? (double)correct / n : NAN);
    report_add_number(test, "loss", n ? loss / n : NAN);
    cJSON *names = cJSON_AddArrayToObject(test, "classes");
    cJSON *per = cJSON_AddArrayToObject(test, "per_class_accuracy");
    cJSON *matrix = cJSON_AddArrayToObject(test, "confusion");
    for (int t = 0; t < k; t++) {
        int64_t row = 0;
        cJSON *r = cJSON_CreateArray();
        for (int j = 0; j < k; j++) {
            row += conf[t][j];
            cJSON_AddItemToArray(r, cJSON_CreateNumber((double)conf[t][j]));
        }
        cJSON_AddItemToArray(names, cJSON_CreateString(spec->data.classes[t]));
        cJSON_AddItemToArray(per, report_number(row ? (double)conf[t][t] / row : NAN));
        cJSON_AddItemToArray(matrix, r);
    }
    free(conf);
}

static const evaluation *sort_ev;

/* The misclassified examples, most confident first (ties by index, so the order is stable). */
static int by_confidence(const void *a, const void *b) {
    int i = *(const int *)a, j = *(const int *)b, k = sort_ev->classes;
    const float *pi = sort_ev->probs + (size_t)i * k, *pj = sort_ev->probs + (size_t)j * k;
    float ci = pi[argmax(pi, k)], cj = pj[argmax(pj, k)];
    if (ci != cj) return ci > cj ? -1 : 1;
    return i - j;
}

static clcnn_status add_misclassified(const evaluation *ev, int max, cJSON *test) {
    int k = ev->classes, n = ev->test.n, wrong = 0;
    int *idx = malloc((size_t)(n ? n : 1) * sizeof *idx);
    if (!idx) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
    for (int i = 0; i < n; i++)
        if (argmax(ev->probs + (size_t)i * k, k) != ev->test.labels[i]) idx[wrong++] = i;
    sort_ev = ev;
    qsort(idx, (size_t)wrong, sizeof *idx, by_confidence);
    cJSON *arr = cJSON_AddArrayToObject(test, "misclassified");
    cJSON_AddNumberToObject(test, "n_misclassified", wrong);
    size_t ex = (size_t)ev->test.c * ev->test.h * ev->test.w;
    clcnn_status s = CLCNN_STATUS_OK;
    for (int m = 0; m < wrong && m < max && s == CLCNN_STATUS_OK; m++) {
        int i = idx[m];
        const float *p = ev->probs + (size_t)i * k;
        int pred = argmax(p, k);
        char *png = report_png_data_uri(ev->test.images + (size_t)i * ex, ev->test.c, ev->test.h,
                                        ev->test.w);
        if (!png) {
            s = clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory encoding a PNG");
            break;
        }
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "index", i);
        cJSON_AddNumberToObject(o, "true", ev->test.labels[i]);
        cJSON_AddNumberToObject(o, "predicted", pred);
        cJSON_AddNumberToObject(o, "confidence", round(p[pred] * 1e4) / 1e4);
        cJSON_AddStringToObject(o, "png", png);
        free(png);
        cJSON_AddItemToArray(arr, o);
    }
    free(idx);
    return s;
}

static clcnn_status add_test(const char *dir, const char *model_path, const clcnn_spec *spec,
                             const clcnn_report_options *o, cJSON *data) {
    clcnn_context *own = NULL, *ctx = o->ctx;
    if (!ctx) {
        clcnn_context_options co = clcnn_context_options_default();
        co.device = o->device;
        CLCNN_TRY(clcnn_context_create(&co, &own));
        ctx = own;
    }
    evaluation ev = {0};
    clcnn_status s = predict_test(dir, model_path, spec, ctx, &ev);
    if (s == CLCNN_STATUS_OK) {
        cJSON *test = cJSON_AddObjectToObject(data, "test");
        const clcnn_device_info *dev = clcnn_context_device(ctx);
        cJSON_AddStringToObject(test, "device", dev->name);
        add_metrics(&ev, spec, test);
        s = add_misclassified(&ev, o->max_misclassified > 0 ? o->max_misclassified
                                                            : DEFAULT_MISCLASSIFIED, test);
    } else {
        s = clcnn_fail_prefix(s, "evaluating '%s' on its test set: ", model_path);
    }
    clcnn_dataset_free(&ev.test);
    free(ev.probs);
    clcnn_context_destroy(own);
    return s;
}

/* The resolved config (YAML) and the layer table. */
static clcnn_status add_model(const clcnn_spec *spec, cJSON *data) {
    char *yaml = NULL, *summary = NULL;
    clcnn_status s = clcnn_config_emit(spec, NULL, &yaml);
    if (s == CLCNN_STATUS_OK) s = clcnn_spec_summary(spec, &summary);
    if (s == CLCNN_STATUS_OK) {
        cJSON_AddStringToObject(data, "config", yaml);
        cJSON_AddStringToObject(data, "summary", summary);
    }
    free(yaml);
    free(summary);
    return s;
}

clcnn_status report_training_data(const char *dir, const clcnn_report_options *o, cJSON *data) {
    char model_path[CLCNN_PATH_MAX + 64];
    CLCNN_TRY(add_history(dir, data));
    path_in(dir, "model.safetensors", model_path, sizeof model_path);
    if (!clcnn_file_exists(model_path))
        return clcnn_fail(CLCNN_STATUS_NOT_FOUND,
                          "'%s' is missing: a training report evaluates the model", model_path);
    clcnn_spec *spec = malloc(sizeof *spec);
    if (!spec) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
    clcnn_status s = clcnn_model_file_spec(model_path, spec);
    if (s == CLCNN_STATUS_OK) s = add_model(spec, data);
    if (s == CLCNN_STATUS_OK) s = add_test(dir, model_path, spec, o, data);
    free(spec);
    return s;
}
