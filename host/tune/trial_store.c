/* tune/trial_store.c: the tuning folder (docs/architecture.md, "The tuning folder"): tune.json
 * (the search config a resume must match), oracle.json, trial_<id>/trial.json, summary.csv and
 * best.yaml.
 * Every file is written atomically, so a search killed at any instant leaves each file whole. */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tune/tuner_internal.h"
#include "clcnn/version.h"

void clcnn_tune_trial_dir_name(int id, char *buf, int n) {
    snprintf(buf, (size_t)n, "trial_%04d", id);
}

void tune_path(const char *dir, const char *name, char *buf, size_t n) {
    snprintf(buf, n, "%s/%s", dir, name);
}

void tune_trial_path(const char *dir, int id, const char *name, char *buf, size_t n) {
    char t[32];
    clcnn_tune_trial_dir_name(id, t, sizeof t);
    if (name)
        snprintf(buf, n, "%s/%s/%s", dir, t, name);
    else
        snprintf(buf, n, "%s/%s", dir, t);
}

/* ---- removing what an earlier search wrote ------------------------------------------------- */

/* rm -r of a folder the search made (trial folders hold plain files only, but a nested folder
 * is removed too rather than refused). Links are removed, never followed. */
clcnn_status tune_store_remove_tree(const char *path) {
    struct stat st;
    if (lstat(path, &st) != 0) return CLCNN_STATUS_OK;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (!d)
            return clcnn_fail(CLCNN_STATUS_IO_ERROR, "cannot open '%s': %s", path, strerror(errno));
        clcnn_status s = CLCNN_STATUS_OK;
        for (struct dirent *e; s == CLCNN_STATUS_OK && (e = readdir(d));) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
            char child[CLCNN_PATH_MAX + 300];
            snprintf(child, sizeof child, "%s/%s", path, e->d_name);
            s = tune_store_remove_tree(child);
        }
        closedir(d);
        CLCNN_TRY(s);
        if (rmdir(path) != 0)
            return clcnn_fail(CLCNN_STATUS_IO_ERROR, "cannot remove '%s': %s", path,
                              strerror(errno));
        return CLCNN_STATUS_OK;
    }
    if (unlink(path) != 0)
        return clcnn_fail(CLCNN_STATUS_IO_ERROR, "cannot remove '%s': %s", path, strerror(errno));
    return CLCNN_STATUS_OK;
}

/* trial_<digits>, best_model, and the search's own files (with temp files a kill left behind):
 * only what a search writes, so --overwrite never deletes a user's other files. */
static int is_search_entry(const char *name) {
    static const char *const files[] = {"tune.json", "oracle.json", "summary.csv", "best.yaml"};
    if (strncmp(name, "trial_", 6) == 0 && name[6]) {
        const char *p = name + 6;
        while (*p >= '0' && *p <= '9')
            p++;
        return *p == '\0';
    }
    if (strcmp(name, "best_model") == 0) return 1;
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        size_t n = strlen(files[i]);
        if (strncmp(name, files[i], n) == 0 &&
            (name[n] == '\0' || strncmp(name + n, ".tmp.", 5) == 0))
            return 1;
    }
    return 0;
}

static clcnn_status remove_search(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return clcnn_fail(CLCNN_STATUS_IO_ERROR, "cannot open '%s': %s", dir, strerror(errno));
    clcnn_status s = CLCNN_STATUS_OK;
    for (struct dirent *e; s == CLCNN_STATUS_OK && (e = readdir(d));) {
        if (!is_search_entry(e->d_name)) continue;
        char path[CLCNN_PATH_MAX + 300];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        s = tune_store_remove_tree(path);
    }
    closedir(d);
    return s;
}

clcnn_status tune_store_reset_trial_dir(const char *dir, int id) {
    char path[CLCNN_PATH_MAX + 32];
    tune_trial_path(dir, id, NULL, path, sizeof path);
    CLCNN_TRY(tune_store_remove_tree(path));
    return clcnn_mkdir_p(path);
}

void tune_store_remove_trial_file(const char *dir, int id, const char *name) {
    char path[CLCNN_PATH_MAX + 64];
    tune_trial_path(dir, id, name, path, sizeof path);
    unlink(path);
}

/* ---- tune.json: the search config ---------------------------------------------------------- */

static clcnn_status write_json(const char *path, cJSON *root) {
    char *text = root ? cJSON_Print(root) : NULL;
    cJSON_Delete(root);
    if (!text)
        return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "tune: out of memory writing '%s'", path);
    clcnn_status s = clcnn_write_file_atomic(path, text, strlen(text));
    cJSON_free(text);
    return s;
}

clcnn_status tune_store_read_json(const char *path, cJSON **root) {
    char *text;
    size_t len;
    CLCNN_TRY(clcnn_read_file(path, &text, &len));
    *root = cJSON_ParseWithLength(text, len);
    free(text);
    if (!*root) return clcnn_fail(CLCNN_STATUS_PARSE_ERROR, "'%s' is not valid JSON", path);
    return CLCNN_STATUS_OK;
}

static clcnn_status write_tune_json(const char *path, const char *config_yaml) {
    char hash[33];
    clcnn_hasher *h = clcnn_hasher_create();
    if (!h) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "tune: out of memory");
    clcnn_hasher_update_str(h, config_yaml);
    clcnn_hasher_hex(h, hash);
    clcnn_hasher_destroy(h);
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "clcnn_version", CLCNN_VERSION);
    cJSON_AddStringToObject(root, "config_hash", hash);
    cJSON_AddStringToObject(root, "config", config_yaml);
    return write_json(path, root);
}

/* Copies line `line` (1-based) of text into buf, "" past the end. */
static void nth_line(const char *text, int line, char *buf, size_t n) {
    for (int i = 1; i < line && text; i++) {
        text = strchr(text, '\n');
        if (text) text++;
    }
    size_t len = text ? strcspn(text, "\n") : 0;
    if (len >= n) len = n - 1;
    memcpy(buf, text ? text : "", len);
    buf[len] = '\0';
}

/* The first line where two configs differ (1-based), so the refusal can show it. */
static int first_difference(const char *a, const char *b) {
    int line = 1;
    for (; *a && *a == *b; a++, b++)
        if (*a == '\n') line++;
    return line;
}

static clcnn_status check_same_config(const char *dir, const char *path, const char *config_yaml) {
    cJSON *root;
    CLCNN_TRY(tune_store_read_json(path, &root));
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(root, "config");
    clcnn_status s = CLCNN_STATUS_OK;
    if (!cJSON_IsString(cfg)) {
        s = clcnn_fail(CLCNN_STATUS_PARSE_ERROR, "'%s' has no config string", path);
    } else if (strcmp(cfg->valuestring, config_yaml) != 0) {
        int line = first_difference(cfg->valuestring, config_yaml);
        char was[160], now[160];
        nth_line(cfg->valuestring, line, was, sizeof was);
        nth_line(config_yaml, line, now, sizeof now);
        s = clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT,
                       "'%s' holds a search of a different config (line %d of its config: '%s', "
                       "now '%s'); use --overwrite to start a new search there, or another --out",
                       dir, line, was, now);
    }
    cJSON_Delete(root);
    return s;
}

clcnn_status tune_store_prepare(const char *dir, const char *config_yaml, int overwrite,
                                int *resuming) {
    char tune_json[CLCNN_PATH_MAX + 32], oracle_json[CLCNN_PATH_MAX + 32];
    tune_path(dir, "tune.json", tune_json, sizeof tune_json);
    tune_path(dir, "oracle.json", oracle_json, sizeof oracle_json);
    *resuming = 0;
    CLCNN_TRY(clcnn_mkdir_p(dir));
    if (overwrite) CLCNN_TRY(remove_search(dir));
    if (clcnn_file_exists(tune_json)) {
        CLCNN_TRY(check_same_config(dir, tune_json, config_yaml));
        *resuming = 1;
        return CLCNN_STATUS_OK;
    }
    if (clcnn_file_exists(oracle_json))
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT,
                          "'%s' has an oracle.json but no tune.json: "
                          "not a search clcnn can resume; use --overwrite to start a new one there",
                          dir);
    return write_tune_json(tune_json, config_yaml);
}

/* ---- oracle.json ----------------------------------------------------------------------------- */

clcnn_status tune_store_load_oracle(const char *dir, clcnn_oracle **oracle) {
    char path[CLCNN_PATH_MAX + 32];
    tune_path(dir, "oracle.json", path, sizeof path);
    *oracle = NULL;
    if (!clcnn_file_exists(path)) return CLCNN_STATUS_OK;
    char *text;
    size_t len;
    CLCNN_TRY(clcnn_read_file(path, &text, &len));
    clcnn_status s = clcnn_oracle_restore(text, oracle);
    free(text);
    return s == CLCNN_STATUS_OK ? s : clcnn_fail_prefix(s, "restoring '%s': ", path);
}

clcnn_status tune_store_save_oracle(const char *dir, const clcnn_oracle *oracle) {
    char path[CLCNN_PATH_MAX + 32], *json;
    tune_path(dir, "oracle.json", path, sizeof path);
    CLCNN_TRY(clcnn_oracle_save(oracle, &json));
    clcnn_status s = clcnn_write_file_atomic(path, json, strlen(json));
    free(json);
    return s;
}

/* ---- trial.json ------------------------------------------------------------------------------ */

/* Seconds to the millisecond: more digits would only be noise in a file people read. */
static double ms_round(double seconds) {
    return round(seconds * 1000) / 1000;
}

static void add_number(cJSON *o, const char *key, double v) {
    if (isfinite(v))
        cJSON_AddNumberToObject(o, key, v);
    else
        cJSON_AddNullToObject(o, key);
}

/* A value as KerasTuner's trial.json shows it: numbers as numbers, names as strings. */
static cJSON *hparam_json(const clcnn_hparam *hp, double v) {
    char text[64];
    clcnn_hparam_format(hp, v, text, sizeof text);
    if (hp->type == CLCNN_HP_BOOLEAN) return cJSON_CreateBool(v != 0);
    if (hp->type == CLCNN_HP_CHOICE && hp->choices_are_strings) return cJSON_CreateString(text);
    if (hp->type == CLCNN_HP_CHOICE) return cJSON_CreateNumber(hp->choices[(int)v]);
    return cJSON_CreateNumber(v);
}

static void add_hparams(cJSON *root, const clcnn_search_space *space, const double *values) {
    cJSON *named = cJSON_AddObjectToObject(root, "hyperparameters");
    cJSON *raw = cJSON_AddArrayToObject(root, "values"); /* exact encoding, read back on resume */
    for (int i = 0; i < space->n_hparams; i++) {
        double v = values[i];
        if (!isnan(v))
            cJSON_AddItemToObject(named, space->hparams[i].name,
                                  hparam_json(&space->hparams[i], v));
        cJSON_AddItemToArray(raw, isnan(v) ? cJSON_CreateNull() : cJSON_CreateNumber(v));
    }
}

static cJSON *history_json(const clcnn_epoch_metrics *h, int n) {
    cJSON *arr = cJSON_CreateArray();
    for (int i = 0; i < n; i++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "epoch", h[i].epoch);
        add_number(e, "loss", h[i].loss);
        add_number(e, "accuracy", h[i].accuracy);
        add_number(e, "val_loss", h[i].val_loss);
        add_number(e, "val_accuracy", h[i].val_accuracy);
        add_number(e, "seconds", ms_round(h[i].seconds));
        cJSON_AddItemToArray(arr, e);
    }
    return arr;
}

/* Epoch by epoch, the mean over the executions that reached that epoch (all of them, unless one
 * failed early): the history of the trial as a whole. */
static cJSON *mean_history_json(const tune_record *rec) {
    int n = 0;
    for (int i = 0; i < rec->n_exec; i++)
        if (rec->exec[i].n_epochs > n) n = rec->exec[i].n_epochs;
    clcnn_epoch_metrics *m = calloc((size_t)(n ? n : 1), sizeof *m);
    if (!m) return NULL;
    for (int k = 0; k < n; k++) {
        int c = 0;
        for (int i = 0; i < rec->n_exec; i++) {
            if (k >= rec->exec[i].n_epochs) continue;
            const clcnn_epoch_metrics *e = &rec->exec[i].history[k];
            m[k].epoch = e->epoch;
            m[k].loss += e->loss;
            m[k].accuracy += e->accuracy;
            m[k].val_loss += e->val_loss;
            m[k].val_accuracy += e->val_accuracy;
            m[k].seconds += e->seconds;
            c++;
        }
        m[k].loss /= c;
        m[k].accuracy /= c;
        m[k].val_loss /= c;
        m[k].val_accuracy /= c;
        m[k].seconds /= c;
    }
    cJSON *arr = history_json(m, n);
    free(m);
    return arr;
}

static void add_executions(cJSON *root, const tune_record *rec) {
    cJSON_AddItemToObject(root, "history", mean_history_json(rec));
    if (rec->n_exec < 2) return;
    cJSON *arr = cJSON_AddArrayToObject(root, "executions");
    for (int i = 0; i < rec->n_exec; i++) {
        const tune_execution *ex = &rec->exec[i];
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "seed", (double)ex->seed);
        add_number(e, "score", ex->score);
        add_number(e, "seconds", ms_round(ex->seconds));
        cJSON_AddItemToObject(e, "history", history_json(ex->history, ex->n_epochs));
        cJSON_AddItemToArray(arr, e);
    }
}

static void add_hyperband(cJSON *root, const clcnn_tune_trial *t) {
    cJSON_AddNumberToObject(root, "bracket", t->bracket);
    cJSON_AddNumberToObject(root, "round", t->round);
    cJSON_AddNumberToObject(root, "initial_epoch", t->initial_epoch);
    if (t->parent_trial_id >= 0)
        cJSON_AddNumberToObject(root, "parent_trial_id", t->parent_trial_id);
    else
        cJSON_AddNullToObject(root, "parent_trial_id");
}

clcnn_status tune_store_write_trial(const char *dir, const clcnn_tune_spec *tune,
                                    const clcnn_search_space *space, const tune_record *rec,
                                    int maximize) {
    const clcnn_tune_trial *t = &rec->t;
    cJSON *root = cJSON_CreateObject();
    cJSON_AddNumberToObject(root, "id", t->id);
    cJSON_AddStringToObject(root, "status",
                            t->status == CLCNN_TRIAL_COMPLETED ? "completed" : "failed");
    add_hparams(root, space, t->values);
    add_number(root, "score", t->score);
    cJSON_AddStringToObject(root, "objective", tune->objective);
    cJSON_AddStringToObject(root, "direction", maximize ? "max" : "min");
    cJSON_AddNumberToObject(root, "epochs", t->epochs);
    if (clcnn_oracle_algorithm_scheduled(tune->algorithm)) add_hyperband(root, t);
    add_number(root, "seconds", ms_round(t->seconds));
    if (t->error[0]) cJSON_AddStringToObject(root, "error", t->error);
    add_executions(root, rec);
    char path[CLCNN_PATH_MAX + 64];
    tune_trial_path(dir, t->id, "trial.json", path, sizeof path);
    return write_json(path, root);
}

/* A number field: absent or null gives fallback; anything but a number is an error. */
static clcnn_status json_number(const cJSON *root, const char *path, const char *key,
                                double fallback, double *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
    *out = fallback;
    if (!v || cJSON_IsNull(v)) return CLCNN_STATUS_OK;
    if (!cJSON_IsNumber(v))
        return clcnn_fail(CLCNN_STATUS_PARSE_ERROR, "'%s': %s is not a number", path, key);
    *out = v->valuedouble;
    return CLCNN_STATUS_OK;
}

/* A whole-number field in [lo, hi] (absent or null: fallback). */
static clcnn_status json_int(const cJSON *root, const char *path, const char *key, int fallback,
                             int lo, int hi, int *out) {
    double v;
    CLCNN_TRY(json_number(root, path, key, fallback, &v));
    return clcnn_checked_int32(v, lo, hi, path, key, out);
}

/* The raw encodings, one per hyperparameter: null (inactive) or a value the space allows (a
 * choice index in range, an int on its grid...), since they index and format later. */
static clcnn_status parse_values(const cJSON *values, const char *path,
                                 const clcnn_search_space *tune, double *out) {
    for (int i = 0; i < tune->n_hparams; i++) {
        const cJSON *v = cJSON_GetArrayItem(values, i);
        if (cJSON_IsNull(v)) {
            out[i] = NAN;
        } else if (cJSON_IsNumber(v) && clcnn_hparam_is_legal(&tune->hparams[i], v->valuedouble)) {
            out[i] = v->valuedouble;
        } else {
            char shown[64] = "not a number";
            if (cJSON_IsNumber(v)) snprintf(shown, sizeof shown, "%.17g", v->valuedouble);
            return clcnn_fail(CLCNN_STATUS_PARSE_ERROR,
                              "'%s': values[%d] (%s) is %s, not a value of that hyperparameter",
                              path, i, tune->hparams[i].name, shown);
        }
    }
    return CLCNN_STATUS_OK;
}

static clcnn_status parse_trial(const cJSON *root, const char *path, const clcnn_search_space *tune,
                                clcnn_tune_trial *t) {
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(root, "status");
    const cJSON *values = cJSON_GetObjectItemCaseSensitive(root, "values");
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(root, "error");
    if (!cJSON_IsString(status) || !cJSON_IsArray(values) ||
        cJSON_GetArraySize(values) != tune->n_hparams)
        return clcnn_fail(CLCNN_STATUS_PARSE_ERROR, "'%s' is not a trial of this search", path);
    t->status =
        strcmp(status->valuestring, "completed") == 0 ? CLCNN_TRIAL_COMPLETED : CLCNN_TRIAL_FAILED;
    CLCNN_TRY(parse_values(values, path, tune, t->values));
    CLCNN_TRY(json_number(root, path, "score", NAN, &t->score));
    if (t->status == CLCNN_TRIAL_COMPLETED && !isfinite(t->score))
        return clcnn_fail(CLCNN_STATUS_PARSE_ERROR, "'%s': a completed trial without a finite score",
                          path);
    if (t->status != CLCNN_TRIAL_COMPLETED) t->score = NAN;
    CLCNN_TRY(json_number(root, path, "seconds", NAN, &t->seconds));
    CLCNN_TRY(json_int(root, path, "epochs", 0, 0, CLCNN_MAX_EPOCHS, &t->epochs));
    CLCNN_TRY(json_int(root, path, "initial_epoch", 0, 0, CLCNN_MAX_EPOCHS, &t->initial_epoch));
    CLCNN_TRY(json_int(root, path, "parent_trial_id", -1, -1, t->id - 1, &t->parent_trial_id));
    CLCNN_TRY(json_int(root, path, "bracket", 0, 0, 1000, &t->bracket));
    CLCNN_TRY(json_int(root, path, "round", 0, 0, 1000, &t->round));
    if (cJSON_IsString(error)) snprintf(t->error, sizeof t->error, "%s", error->valuestring);
    t->resumed = 1;
    return CLCNN_STATUS_OK;
}

clcnn_status tune_store_read_trial(const char *dir, const clcnn_search_space *space, int id,
                                   clcnn_tune_trial *t, int *found) {
    char path[CLCNN_PATH_MAX + 64];
    tune_trial_path(dir, id, "trial.json", path, sizeof path);
    memset(t, 0, sizeof *t);
    t->id = id;
    *found = clcnn_file_exists(path);
    if (!*found) return CLCNN_STATUS_OK;
    cJSON *root;
    CLCNN_TRY(tune_store_read_json(path, &root));
    int file_id = -1;
    clcnn_status s = json_int(root, path, "id", -1, 0, INT32_MAX, &file_id);
    if (s == CLCNN_STATUS_OK && file_id != id)
        s = clcnn_fail(CLCNN_STATUS_PARSE_ERROR, "'%s' is the record of another trial (id %d)", path,
                       file_id);
    if (s == CLCNN_STATUS_OK) s = parse_trial(root, path, space, t);
    cJSON_Delete(root);
    return s;
}

/* ---- summary.csv and best.yaml ----------------------------------------------------------------
 */

static void summary_row(FILE *fp, const clcnn_search_space *space, const clcnn_tune_trial *t) {
    fprintf(fp, "%d,%s,", t->id, t->status == CLCNN_TRIAL_COMPLETED ? "completed" : "failed");
    if (isfinite(t->score)) fprintf(fp, "%.9g", t->score);
    for (int i = 0; i < space->n_hparams; i++) {
        char text[64] = "";
        if (!isnan(t->values[i]))
            clcnn_hparam_format(&space->hparams[i], t->values[i], text, sizeof text);
        fputc(',', fp);
        clcnn_csv_field(fp, text);
    }
    fprintf(fp, ",%.3f\n", t->seconds);
}

clcnn_status tune_store_write_summary(const char *dir, const clcnn_search_space *space,
                                      const clcnn_tune_trial *trials, int n) {
    char path[CLCNN_PATH_MAX + 32];
    tune_path(dir, "summary.csv", path, sizeof path);
    clcnn_atomic_file af;
    CLCNN_TRY(clcnn_atomic_open(&af, path));
    fputs("id,status,score", af.fp);
    for (int i = 0; i < space->n_hparams; i++) {
        fputc(',', af.fp);
        clcnn_csv_field(af.fp, space->hparams[i].name);
    }
    fputs(",seconds\n", af.fp);
    for (int i = 0; i < n; i++)
        summary_row(af.fp, space, &trials[i]);
    return clcnn_atomic_commit(&af);
}

clcnn_status tune_store_write_best(const char *dir, const clcnn_spec *best_spec,
                                   const clcnn_tune_trial *t) {
    char *yaml = NULL, path[CLCNN_PATH_MAX + 32], head[512];
    CLCNN_TRY(clcnn_config_emit(best_spec, NULL, &yaml));
    int h = snprintf(head, sizeof head,
                     "# The best configuration of the search in %s: trial %d, %s = %.6g.\n"
                     "# Train it with: clcnn train %s/best.yaml\n",
                     dir, t->id, best_spec->tune.objective, t->score, dir);
    size_t len = strlen(yaml), hl = (size_t)h < sizeof head ? (size_t)h : sizeof head - 1;
    char *text = malloc(hl + len + 1);
    if (text) {
        memcpy(text, head, hl);
        memcpy(text + hl, yaml, len + 1);
    }
    free(yaml);
    tune_path(dir, "best.yaml", path, sizeof path);
    clcnn_status s = text ? clcnn_write_file_atomic(path, text, hl + len)
                          : clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "tune: out of memory");
    free(text);
    return s;
}
