/* report/tuning.c: a tuning folder's data: the search config from tune.json (for the
 * hyperparameters' types and choices), and every finished trial's trial.json (clcnn/tune.h
 * describes the folder; tune/tuner_internal.h reads it). A trial folder without trial.json (a trial running or interrupted) is
 * left out, as the search itself does. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clcnn/config.h"
#include "clcnn/tune.h"
#include "report_internal.h"
#include "tune/tuner_internal.h"

/* The search config that tune.json holds: its spec and search space. */
static clcnn_status read_search(const char *dir, clcnn_spec *spec, clcnn_search_space *space,
                                cJSON *data) {
    char path[CLCNN_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/tune.json", dir);
    if (!clcnn_file_exists(path))
        return clcnn_fail(CLCNN_STATUS_NOT_FOUND, "'%s' is missing: not a search clcnn tune wrote",
                          path);
    cJSON *root;
    CLCNN_TRY(tune_store_read_json(path, &root));
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(root, "config");
    clcnn_status s = cJSON_IsString(cfg)
                         ? clcnn_config_load_string(cfg->valuestring, path, spec, space)
                         : clcnn_fail(CLCNN_STATUS_PARSE_ERROR, "'%s' has no config string", path);
    if (s == CLCNN_STATUS_OK) cJSON_AddStringToObject(data, "config", cfg->valuestring);
    cJSON_Delete(root);
    return s;
}

static void add_hparams(const clcnn_search_space *t, cJSON *data) {
    cJSON *arr = cJSON_AddArrayToObject(data, "hparams");
    for (int i = 0; i < t->n_hparams; i++) {
        const clcnn_hparam *hp = &t->hparams[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", hp->name);
        cJSON_AddBoolToObject(o, "log", hp->log);
        if (hp->type == CLCNN_HP_CHOICE || hp->type == CLCNN_HP_BOOLEAN) {
            cJSON *cats = cJSON_AddArrayToObject(o, "categories");
            int n = hp->type == CLCNN_HP_BOOLEAN ? 2 : hp->n_choices;
            for (int k = 0; k < n; k++) {
                char text[64];
                clcnn_hparam_format(hp, k, text, sizeof text);
                cJSON_AddItemToArray(cats, cJSON_CreateString(text));
            }
        }
        cJSON_AddItemToArray(arr, o);
    }
}

static int compare_ints(const void *a, const void *b) {
    return *(const int *)a - *(const int *)b;
}

/* The ids of the trial_<digits> folders, sorted. */
static clcnn_status trial_ids(const char *dir, int **ids, int *n) {
    DIR *d = opendir(dir);
    if (!d) return clcnn_fail(CLCNN_STATUS_IO_ERROR, "cannot open '%s': %s", dir, strerror(errno));
    int cap = 0;
    *ids = NULL;
    *n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        const char *p = e->d_name;
        if (strncmp(p, "trial_", 6) != 0 || !p[6] || strspn(p + 6, "0123456789") != strlen(p + 6))
            continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            int *v = realloc(*ids, (size_t)cap * sizeof *v);
            if (!v) {
                closedir(d);
                return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
            }
            *ids = v;
        }
        (*ids)[(*n)++] = atoi(p + 6);
    }
    closedir(d);
    if (*n) qsort(*ids, (size_t)*n, sizeof **ids, compare_ints);
    return CLCNN_STATUS_OK;
}

static double number_or_nan(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* A trial's values: numbers for int and float, category labels for choices and booleans, null
 * where inactive. */
static cJSON *trial_values(const clcnn_search_space *t, const cJSON *raw) {
    cJSON *arr = cJSON_CreateArray();
    for (int i = 0; i < t->n_hparams; i++) {
        const cJSON *v = cJSON_GetArrayItem(raw, i);
        const clcnn_hparam *hp = &t->hparams[i];
        if (!cJSON_IsNumber(v)) {
            cJSON_AddItemToArray(arr, cJSON_CreateNull());
        } else if (hp->type == CLCNN_HP_CHOICE || hp->type == CLCNN_HP_BOOLEAN) {
            char text[64];
            clcnn_hparam_format(hp, v->valuedouble, text, sizeof text);
            cJSON_AddItemToArray(arr, cJSON_CreateString(text));
        } else {
            cJSON_AddItemToArray(arr, cJSON_CreateNumber(v->valuedouble));
        }
    }
    return arr;
}

static const char *const copied[] = {"score", "epochs", "seconds", "bracket", "round",
                                     "initial_epoch", "parent_trial_id"};

/* One trial.json as the page wants it; NULL with the error set when it is not a trial. */
static cJSON *read_trial(const char *path, int id, const clcnn_search_space *t) {
    cJSON *root;
    if (tune_store_read_json(path, &root) != CLCNN_STATUS_OK) return NULL;
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(root, "status");
    const cJSON *values = cJSON_GetObjectItemCaseSensitive(root, "values");
    if (!cJSON_IsString(status) || !cJSON_IsArray(values) ||
        cJSON_GetArraySize(values) != t->n_hparams || number_or_nan(root, "id") != id) {
        cJSON_Delete(root);
        clcnn_fail(CLCNN_STATUS_PARSE_ERROR, "'%s' is not trial %d of this search", path, id);
        return NULL;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "id", id);
    cJSON_AddStringToObject(o, "status", status->valuestring);
    for (size_t k = 0; k < sizeof copied / sizeof copied[0]; k++)
        report_add_number(o, copied[k], number_or_nan(root, copied[k]));
    cJSON_AddItemToObject(o, "values", trial_values(t, values));
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(root, "error");
    if (cJSON_IsString(error)) cJSON_AddStringToObject(o, "error", error->valuestring);
    cJSON *history = cJSON_DetachItemFromObjectCaseSensitive(root, "history");
    if (history) cJSON_AddItemToObject(o, "history", history);
    cJSON_Delete(root);
    return o;
}

static clcnn_status add_trials(const char *dir, const clcnn_search_space *t, cJSON *data) {
    int *ids = NULL, n = 0;
    CLCNN_TRY(trial_ids(dir, &ids, &n));
    cJSON *arr = cJSON_AddArrayToObject(data, "trials");
    clcnn_status s = CLCNN_STATUS_OK;
    for (int i = 0; i < n && s == CLCNN_STATUS_OK; i++) {
        char path[CLCNN_PATH_MAX + 64], name[32];
        clcnn_tune_trial_dir_name(ids[i], name, sizeof name);
        snprintf(path, sizeof path, "%s/%s/trial.json", dir, name);
        if (!clcnn_file_exists(path)) continue;
        cJSON *trial = read_trial(path, ids[i], t);
        if (!trial) s = CLCNN_STATUS_PARSE_ERROR;
        else cJSON_AddItemToArray(arr, trial);
    }
    free(ids);
    if (s == CLCNN_STATUS_OK && cJSON_GetArraySize(arr) == 0)
        s = clcnn_fail(CLCNN_STATUS_NOT_FOUND,
                       "'%s' holds no finished trial (trial_*/trial.json): nothing to report", dir);
    return s;
}

clcnn_status report_tuning_data(const char *dir, cJSON *data) {
    clcnn_spec spec;
    clcnn_search_space *space = malloc(sizeof *space);
    if (!space) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
    clcnn_status s = read_search(dir, &spec, space, data);
    if (s == CLCNN_STATUS_OK) {
        const clcnn_tune_spec *t = &spec.tune;
        cJSON_AddStringToObject(data, "algorithm", t->algorithm);
        cJSON_AddStringToObject(data, "objective", t->objective);
        cJSON_AddStringToObject(data, "direction", clcnn_tune_maximize(t) ? "max" : "min");
        add_hparams(space, data);
        s = add_trials(dir, space, data);
    }
    free(space);
    return s;
}
