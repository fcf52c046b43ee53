/* train/checkpoint.c: model files (safetensors with self-describing metadata), optimizer state
 * for --resume, history.csv and the test predictions; every file written atomically. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "clcnn/config.h"
#include "clcnn/version.h"
#include "safetensors.h"

/* clcnn.classes: the class names as a JSON array of strings. */
static char *classes_json(const clcnn_data_spec *d) {
    size_t cap = 16 + (size_t)d->n_classes * (CLCNN_CLASS_NAME_MAX * 2 + 4), len = 0;
    char *s = malloc(cap);
    if (!s) return NULL;
    s[len++] = '[';
    for (int i = 0; i < d->n_classes; i++) {
        if (i) s[len++] = ',';
        s[len++] = '"';
        for (const char *c = d->classes[i]; *c; c++) {
            if (*c == '"' || *c == '\\') s[len++] = '\\';
            s[len++] = *c;
        }
        s[len++] = '"';
    }
    s[len++] = ']';
    s[len] = '\0';
    return s;
}

clcnn_status clcnn_model_save(clcnn_model *m, const char *path) {
    const clcnn_spec *spec = clcnn_model_get_spec(m);
    int n = clcnn_model_tensor_count(m);
    size_t total = clcnn_model_param_count(m);
    float *host = malloc((total ? total : 1) * sizeof *host);
    clcnn_st_tensor *t = calloc((size_t)n + 1, sizeof *t);
    char *config = NULL, *classes = classes_json(&spec->data);
    clcnn_status s = host && t && classes ? CLCNN_STATUS_OK : clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
    if (s == CLCNN_STATUS_OK) s = clcnn_model_read_params(m, host);
    if (s == CLCNN_STATUS_OK) s = clcnn_config_emit(spec, NULL, &config);
    for (int i = 0; s == CLCNN_STATUS_OK && i < n; i++) {
        const clcnn_tensor_info *ti = clcnn_model_tensor(m, i);
        snprintf(t[i].name, sizeof t[i].name, "%s", ti->name);
        t[i].ndim = ti->ndim;
        memcpy(t[i].shape, ti->shape, sizeof ti->shape);
        t[i].data = host + ti->offset;
    }
    if (s == CLCNN_STATUS_OK) {
        const char *keys[] = {"clcnn.version", "clcnn.config", "clcnn.classes"};
        const char *values[] = {CLCNN_VERSION, config, classes};
        s = clcnn_safetensors_write(path, t, n, keys, values, 3);
    }
    free(host);
    free(t);
    free(config);
    free(classes);
    return s;
}

clcnn_status clcnn_model_file_spec(const char *path, clcnn_spec *spec) {
    clcnn_safetensors st;
    CLCNN_TRY(clcnn_safetensors_read(path, &st));
    const char *config = clcnn_safetensors_meta(&st, "clcnn.config");
    clcnn_status s;
    if (!config) {
        s = clcnn_fail(CLCNN_STATUS_PARSE_ERROR,
                       "'%s' has no clcnn.config metadata: not a clcnn model file", path);
    } else {
        char name[1200];
        snprintf(name, sizeof name, "%s (clcnn.config)", path);
        s = clcnn_config_load_string(config, name, spec, NULL);
    }
    clcnn_safetensors_free(&st);
    return s;
}

clcnn_status clcnn_model_open(clcnn_context *ctx, const char *path, int max_batch,
                              clcnn_model **out) {
    *out = NULL;
    clcnn_spec *spec = clcnn_spec_create();
    if (!spec) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
    clcnn_status s = clcnn_model_file_spec(path, spec);
    if (s == CLCNN_STATUS_OK)
        s = clcnn_model_create(ctx, spec, max_batch > 0 ? max_batch : spec->train.batch_size, out);
    if (s == CLCNN_STATUS_OK) s = clcnn_model_load_weights(*out, path);
    if (s != CLCNN_STATUS_OK) {
        clcnn_model_destroy(*out);
        *out = NULL;
    }
    clcnn_spec_destroy(spec);
    return s;
}

clcnn_status clcnn_model_load_weights(clcnn_model *m, const char *path) {
    clcnn_safetensors st;
    CLCNN_TRY(clcnn_safetensors_read(path, &st));
    size_t total = clcnn_model_param_count(m);
    float *host = calloc(total ? total : 1, sizeof *host);
    clcnn_status s = host ? CLCNN_STATUS_OK : clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
    for (int i = 0; s == CLCNN_STATUS_OK && i < clcnn_model_tensor_count(m); i++) {
        const clcnn_tensor_info *ti = clcnn_model_tensor(m, i);
        const clcnn_st_tensor *t = clcnn_safetensors_find(&st, ti->name);
        int same = t && t->ndim == ti->ndim;
        for (int d = 0; same && d < ti->ndim; d++) same = t->shape[d] == ti->shape[d];
        if (!t)
            s = clcnn_fail(CLCNN_STATUS_NOT_FOUND, "'%s' has no tensor '%s' that the model needs",
                           path, ti->name);
        else if (!same)
            s = clcnn_fail(CLCNN_STATUS_BAD_SHAPE,
                           "'%s': tensor '%s' has a different shape than the model's (%d dims, "
                           "first %lld; want first %lld)", path, ti->name, t->ndim,
                           (long long)(t->ndim ? t->shape[0] : 0), (long long)ti->shape[0]);
        else
            memcpy(host + ti->offset, t->data, ti->count * sizeof(float));
    }
    if (s == CLCNN_STATUS_OK) s = clcnn_model_write_params(m, host);
    free(host);
    clcnn_safetensors_free(&st);
    return s;
}

/* ---- optimizer state -------------------------------------------------------------------------- */

clcnn_status clcnn_opt_state_save(clcnn_model *m, const char *path, int epoch) {
    size_t n = clcnn_model_opt_state_count(m);
    float *host = malloc((n ? n : 1) * sizeof *host);
    if (!host) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
    int64_t step;
    clcnn_status s = clcnn_model_read_opt_state(m, host, &step);
    char step_s[32], epoch_s[32];
    snprintf(step_s, sizeof step_s, "%lld", (long long)step);
    snprintf(epoch_s, sizeof epoch_s, "%d", epoch);
    clcnn_st_tensor t = {.name = "optimizer.state", .ndim = 1, .shape = {(int64_t)n}, .data = host};
    const char *keys[] = {"clcnn.version", "clcnn.step", "clcnn.epoch"};
    const char *values[] = {CLCNN_VERSION, step_s, epoch_s};
    if (s == CLCNN_STATUS_OK) s = clcnn_safetensors_write(path, &t, 1, keys, values, 3);
    free(host);
    return s;
}

clcnn_status clcnn_opt_state_check(const char *path, const clcnn_safetensors *st, size_t count,
                                   int *epoch, int64_t *step) {
    const clcnn_st_tensor *t = clcnn_safetensors_find(st, "optimizer.state");
    const char *step_s = clcnn_safetensors_meta(st, "clcnn.step");
    const char *epoch_s = clcnn_safetensors_meta(st, "clcnn.epoch");
    if (!t || !step_s || !epoch_s)
        return clcnn_fail(CLCNN_STATUS_PARSE_ERROR,
                          "'%s' is not optimizer state: it lacks the tensor optimizer.state or the "
                          "metadata clcnn.step or clcnn.epoch", path);
    if (t->ndim != 1 || (size_t)t->shape[0] != count)
        return clcnn_fail(CLCNN_STATUS_PARSE_ERROR,
                          "'%s': optimizer.state does not fit this model (%zu values expected)",
                          path, count);
    int64_t e;
    CLCNN_TRY(clcnn_parse_int(epoch_s, 0, CLCNN_MAX_EPOCHS, path, "metadata clcnn.epoch", &e));
    CLCNN_TRY(clcnn_parse_int(step_s, 0, INT64_MAX, path, "metadata clcnn.step", step));
    *epoch = (int)e;
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_opt_state_load(clcnn_model *m, const char *path, int *epoch) {
    clcnn_safetensors st;
    CLCNN_TRY(clcnn_safetensors_read(path, &st));
    int64_t step;
    clcnn_status s = clcnn_opt_state_check(path, &st, clcnn_model_opt_state_count(m), epoch, &step);
    if (s == CLCNN_STATUS_OK)
        s = clcnn_model_write_opt_state(m, clcnn_safetensors_find(&st, "optimizer.state")->data, step);
    clcnn_safetensors_free(&st);
    return s;
}

/* ---- history.csv ------------------------------------------------------------------------------ */

static void csv_value(FILE *fp, double v) {
    if (!isnan(v)) fprintf(fp, "%.9g", v);
}

clcnn_status clcnn_history_write(const char *path, const clcnn_epoch_metrics *h, int n) {
    clcnn_atomic_file af;
    CLCNN_TRY(clcnn_atomic_open(&af, path));
    fprintf(af.fp, "epoch,accuracy,loss,val_accuracy,val_loss\n");
    for (int i = 0; i < n; i++) {
        fprintf(af.fp, "%d,", h[i].epoch);
        csv_value(af.fp, h[i].accuracy);
        fputc(',', af.fp);
        csv_value(af.fp, h[i].loss);
        fputc(',', af.fp);
        csv_value(af.fp, h[i].val_accuracy);
        fputc(',', af.fp);
        csv_value(af.fp, h[i].val_loss);
        fputc('\n', af.fp);
    }
    return clcnn_atomic_commit(&af);
}

/* The next comma-separated field, NUL-terminated in place; NULL past the last one. */
static char *next_field(char **p) {
    char *start = *p;
    if (!start) return NULL;
    char *comma = strchr(start, ',');
    if (comma) *comma = '\0';
    *p = comma ? comma + 1 : NULL;
    return start;
}

static const char *const history_columns[] = {"accuracy", "loss", "val_accuracy", "val_loss"};

/* One data line: the epoch (after the previous line's: a run resumed after a kill between the
 * optimizer state and the history may skip one) and four metrics, each empty (not measured:
 * NAN) or a number (inf or nan too: a diverged epoch's loss is recorded as it was). */
static clcnn_status history_line(const char *path, char *line, int previous,
                                 clcnn_epoch_metrics *e) {
    char *p = line, *text = next_field(&p);
    int64_t epoch;
    CLCNN_TRY(clcnn_parse_int(text, 1, CLCNN_MAX_EPOCHS, path, "epoch", &epoch));
    if (epoch <= previous)
        return clcnn_fail(CLCNN_STATUS_PARSE_ERROR,
                          "'%s': epoch is %lld, not after the previous line's %d", path,
                          (long long)epoch, previous);
    memset(e, 0, sizeof *e);
    e->epoch = (int)epoch;
    double *values[] = {&e->accuracy, &e->loss, &e->val_accuracy, &e->val_loss};
    for (int i = 0; i < 4; i++) {
        if (!(text = next_field(&p)))
            return clcnn_fail(CLCNN_STATUS_PARSE_ERROR, "'%s': no %s field", path,
                              history_columns[i]);
        CLCNN_TRY(clcnn_parse_real(text, CLCNN_REAL_EMPTY_IS_NAN | CLCNN_REAL_NONFINITE, path,
                                   history_columns[i], values[i]));
    }
    if (p) return clcnn_fail(CLCNN_STATUS_PARSE_ERROR, "'%s': more than 5 fields", path);
    return CLCNN_STATUS_OK;
}

/* "<path>:<line>: not an epoch,accuracy,loss,val_accuracy,val_loss row: <what is wrong>". */
static clcnn_status row_error(const char *path, int lineno) {
    char why[1024];
    const char *msg = clcnn_last_error();
    size_t k = strlen(path);
    if (msg[0] == '\'' && strncmp(msg + 1, path, k) == 0 && strncmp(msg + 1 + k, "': ", 3) == 0)
        msg += k + 4; /* the path is said once, with the line */
    snprintf(why, sizeof why, "%s", msg);
    return clcnn_fail(CLCNN_STATUS_PARSE_ERROR,
                      "%s:%d: not an epoch,accuracy,loss,val_accuracy,val_loss row: %s", path,
                      lineno, why);
}

static clcnn_status history_parse(const char *path, char *text, size_t len,
                                  clcnn_epoch_metrics *h, int max, int *n) {
    if (memchr(text, '\0', len))
        return clcnn_fail(CLCNN_STATUS_PARSE_ERROR, "'%s': holds a NUL byte: not a CSV file", path);
    char *save = NULL, *line = strtok_r(text, "\n", &save);
    size_t k = line ? strcspn(line, "\r") : 0;
    if (!line || strncmp(line, "epoch,accuracy,loss,val_accuracy,val_loss", k) != 0 || k != 41)
        return clcnn_fail(CLCNN_STATUS_PARSE_ERROR,
                          "'%s' is not a history.csv (line 1 must be its "
                          "epoch,accuracy,loss,val_accuracy,val_loss header)", path);
    int lineno = 1;
    for (line = strtok_r(NULL, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (++lineno - 1 > max)
            return clcnn_fail(CLCNN_STATUS_PARSE_ERROR, "'%s': more than %d epochs", path, max);
        if (history_line(path, line, *n ? h[*n - 1].epoch : 0, &h[*n]) != CLCNN_STATUS_OK)
            return row_error(path, lineno);
        (*n)++;
    }
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_history_read(const char *path, clcnn_epoch_metrics *h, int max, int *n) {
    char *text;
    size_t len;
    *n = 0;
    CLCNN_TRY(clcnn_read_file(path, &text, &len));
    clcnn_status s = history_parse(path, text, len, h, max, n);
    free(text);
    if (s != CLCNN_STATUS_OK) *n = 0;
    return s;
}

/* ---- test_predictions.bin ---------------------------------------------------------------------- */

/* The cache key: the model file's bytes, the test set (shape, pixels, labels) and the class
 * count. An unreadable model file has no key. */
static clcnn_status predictions_key(const char *model_path, const clcnn_dataset *test, int classes,
                                    char key[64]) {
    char *model;
    size_t len;
    CLCNN_TRY(clcnn_read_file(model_path, &model, &len));
    clcnn_hasher *h = clcnn_hasher_create();
    if (!h) {
        free(model);
        return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
    }
    int dims[5] = {test->n, test->c, test->h, test->w, classes};
    clcnn_hasher_update_str(h, "clcnn test predictions 1");
    clcnn_hasher_update(h, model, len);
    clcnn_hasher_update(h, dims, sizeof dims);
    clcnn_hasher_update(h, test->images, (size_t)test->n * test->c * test->h * test->w);
    clcnn_hasher_update(h, test->labels, (size_t)test->n);
    char hex[33];
    clcnn_hasher_hex(h, hex);
    clcnn_hasher_destroy(h);
    free(model);
    snprintf(key, 64, "test-predictions-%s", hex);
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_test_predictions_write(const char *path, const char *model_path,
                                          const clcnn_dataset *test, int classes, const float *probs) {
    char key[64];
    CLCNN_TRY(predictions_key(model_path, test, classes, key));
    return clcnn_cache_entry_write(path, key, probs, (size_t)test->n * classes * sizeof *probs);
}

int clcnn_test_predictions_read(const char *path, const char *model_path, const clcnn_dataset *test,
                                int classes, float *probs) {
    char key[64], *data;
    size_t len, want = (size_t)test->n * classes * sizeof *probs;
    if (!clcnn_file_exists(path) || predictions_key(model_path, test, classes, key) != CLCNN_STATUS_OK)
        return 0;
    if (!clcnn_cache_entry_read(path, key, &data, &len)) return 0;
    int ok = len == want;
    if (ok) memcpy(probs, data, want);
    free(data);
    return ok;
}
