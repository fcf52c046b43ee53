/* tune/oracle_restore.c: clcnn_oracle_restore, the reader of clcnn_oracle_save's JSON (format in
 * oracle_json.c). The space and options rebuild the oracle through clcnn_oracle_create, so they
 * are validated as on first creation; then the saved trials, RNG and algorithm state replace the
 * fresh ones. Anything missing or malformed is a PARSE_ERROR naming the field. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "tune/oracle_internal.h"

static const char *const state_names[] = {"pending", "ok", "failed"};

static clcnn_status bad(const char *field) {
    return clcnn_fail(CLCNN_STATUS_PARSE_ERROR, "oracle state: missing or malformed '%s'", field);
}

static const cJSON *item(const cJSON *obj, const char *key) {
    return cJSON_GetObjectItemCaseSensitive(obj, key);
}

/* A number, or null for NAN. */
static int read_double(const cJSON *it, double *out) {
    if (cJSON_IsNull(it))
        *out = NAN;
    else if (cJSON_IsNumber(it))
        *out = it->valuedouble;
    else
        return 0;
    return 1;
}

static int read_int(const cJSON *obj, const char *key, int *out) {
    const cJSON *it = item(obj, key);
    if (!cJSON_IsNumber(it) || it->valuedouble != floor(it->valuedouble) ||
        fabs(it->valuedouble) > 2147483647.0)
        return 0;
    *out = (int)it->valuedouble;
    return 1;
}

static int read_doubles(const cJSON *arr, double *out, int n) {
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) != n) return 0;
    int i = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, arr) if (!read_double(it, &out[i++])) return 0;
    return 1;
}

static int read_hex(const cJSON *it, uint64_t *out) {
    if (!cJSON_IsString(it) || !it->valuestring[0]) return 0;
    char *end;
    *out = strtoull(it->valuestring, &end, 16);
    return *end == 0;
}

static int read_string(const cJSON *obj, const char *key, char *buf, size_t n) {
    const cJSON *it = item(obj, key);
    if (!cJSON_IsString(it) || strlen(it->valuestring) >= n) return 0;
    memcpy(buf, it->valuestring, strlen(it->valuestring) + 1);
    return 1;
}

static int lookup(const char *const *names, int n, const char *name) {
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0) return i;
    return -1;
}

static clcnn_status read_options(const cJSON *j, clcnn_oracle_options *opt, char *algo, size_t n) {
    *opt = clcnn_oracle_options_default();
    if (!read_string(j, "algorithm", algo, n)) return bad("options.algorithm");
    opt->algorithm = algo;
    if (!read_int(j, "maximize", &opt->maximize) || !read_int(j, "max_trials", &opt->max_trials) ||
        !read_hex(item(j, "seed"), &opt->seed) ||
        !read_int(j, "initial_points", &opt->initial_points) ||
        !read_int(j, "n_candidates", &opt->n_candidates) ||
        !read_int(j, "max_epochs", &opt->max_epochs) || !read_int(j, "factor", &opt->factor) ||
        !read_int(j, "hyperband_iterations", &opt->hyperband_iterations))
        return bad("options");
    return CLCNN_STATUS_OK;
}

static int read_choices(const cJSON *j, clcnn_hparam *hp) {
    const cJSON *strings = item(j, "choice_strings"), *nums = item(j, "choices");
    const cJSON *arr = strings ? strings : nums;
    hp->n_choices = cJSON_GetArraySize(arr);
    if (!cJSON_IsArray(arr) || hp->n_choices > CLCNN_HP_MAX_CHOICES) return 0;
    hp->choices_are_strings = strings != NULL;
    if (!strings) return read_doubles(nums, hp->choices, hp->n_choices);
    int i = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, strings) {
        if (!cJSON_IsString(it) || strlen(it->valuestring) >= CLCNN_HP_CHOICE_STR_MAX) return 0;
        strcpy(hp->choice_strings[i++], it->valuestring);
    }
    return 1;
}

static int read_parent(const cJSON *j, clcnn_hparam *hp) {
    if (!item(j, "parent")) return 1;
    const cJSON *vals = item(j, "parent_values");
    hp->n_parent_values = cJSON_GetArraySize(vals);
    return read_string(j, "parent", hp->parent, sizeof hp->parent) && hp->n_parent_values <= 8 &&
           read_doubles(vals, hp->parent_values, hp->n_parent_values);
}

static int read_hparam(const cJSON *j, clcnn_hparam *hp) {
    char type[16];
    clcnn_hparam_default(hp);
    if (!read_string(j, "name", hp->name, sizeof hp->name) ||
        !read_string(j, "type", type, sizeof type))
        return 0;
    hp->type = clcnn_hp_type_parse(type);
    if (hp->type == CLCNN_HP_TYPE_COUNT) return 0;
    if (!read_double(item(j, "min"), &hp->min) || !read_double(item(j, "max"), &hp->max) ||
        !read_double(item(j, "step"), &hp->step) || !read_int(j, "log", &hp->log))
        return 0;
    if (hp->type == CLCNN_HP_CHOICE && !read_choices(j, hp)) return 0;
    return read_parent(j, hp);
}

static clcnn_status read_space(const cJSON *arr, clcnn_hparam *hp, int *n) {
    *n = cJSON_GetArraySize(arr);
    if (!cJSON_IsArray(arr) || *n < 1 || *n > CLCNN_MAX_HPARAMS) return bad("space");
    int i = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, arr) if (!read_hparam(it, &hp[i++])) return bad("space");
    return CLCNN_STATUS_OK;
}

static int read_trial(const cJSON *j, int n, tune_trial *t) {
    char state[16];
    clcnn_trial_request *r = &t->req;
    memset(t, 0, sizeof *t);
    if (!read_int(j, "id", &r->trial_id) || !read_string(j, "state", state, sizeof state) ||
        lookup(state_names, 3, state) < 0 || !read_double(item(j, "score"), &t->score) ||
        !read_doubles(item(j, "values"), r->values, n) || !read_int(j, "epochs", &r->epochs) ||
        !read_int(j, "initial_epoch", &r->initial_epoch) ||
        !read_int(j, "parent_trial_id", &r->parent_trial_id) ||
        !read_int(j, "bracket", &r->bracket) || !read_int(j, "round", &r->round) ||
        !read_int(j, "seq", &t->seq))
        return 0;
    t->state = (tune_trial_state)lookup(state_names, 3, state);
    return t->state != TUNE_OK || isfinite(t->score);
}

/* Ids run 0, 1, 2...; any trial may be pending (a parallel search has several). */
static clcnn_status read_trials(const cJSON *arr, clcnn_oracle *o) {
    int count = cJSON_GetArraySize(arr);
    if (!cJSON_IsArray(arr)) return bad("trials");
    o->trials = malloc(((size_t)count + 1) * sizeof *o->trials);
    if (!o->trials) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "oracle_restore: out of memory");
    o->cap_trials = count + 1;
    const cJSON *it;
    cJSON_ArrayForEach(it, arr) {
        tune_trial *t = &o->trials[o->n_trials];
        if (!read_trial(it, o->space.n, t) || t->req.trial_id != o->n_trials ||
            t->req.parent_trial_id >= o->n_trials)
            return bad("trials");
        if (t->state == TUNE_PENDING) o->n_pending++;
        if (t->req.parent_trial_id < 0) CLCNN_TRY(tune_set_add(&o->seen, t->req.values));
        o->n_trials++;
    }
    return CLCNN_STATUS_OK;
}

/* The algorithm's own state, into the one a fresh oracle's init made. */
static clcnn_status read_algorithm_state(const cJSON *root, clcnn_oracle *o) {
    const tune_oracle_type *type = o->type;
    if (!type->state_fields) return CLCNN_STATUS_OK;
    tune_state_field f[TUNE_MAX_STATE_FIELDS];
    int n = type->state_fields(o, f);
    const cJSON *j = item(root, type->state_key);
    for (int i = 0; i < n; i++)
        if (f[i].i ? !read_int(j, f[i].key, f[i].i)
                   : !read_doubles(item(j, f[i].key), f[i].d, f[i].n))
            return bad(type->state_key);
    return CLCNN_STATUS_OK;
}

static clcnn_status read_state(const cJSON *root, clcnn_oracle *o) {
    const cJSON *rng = item(root, "rng");
    if (!cJSON_IsArray(rng) || cJSON_GetArraySize(rng) != 4) return bad("rng");
    for (int i = 0; i < 4; i++)
        if (!read_hex(cJSON_GetArrayItem(rng, i), &o->rng.s[i])) return bad("rng");
    CLCNN_TRY(read_trials(item(root, "trials"), o));
    return read_algorithm_state(root, o);
}

static clcnn_status restore_root(const cJSON *root, clcnn_oracle **out) {
    int version, n;
    char algo[32];
    clcnn_oracle_options opt;
    clcnn_hparam hp[CLCNN_MAX_HPARAMS];
    const cJSON *format = item(root, "format");
    if (!cJSON_IsString(format) || strcmp(format->valuestring, "clcnn-oracle") != 0 ||
        !read_int(root, "version", &version) || version != 1)
        return clcnn_fail(CLCNN_STATUS_PARSE_ERROR, "oracle state: not a clcnn-oracle version 1 "
                                                    "document");
    CLCNN_TRY(read_options(item(root, "options"), &opt, algo, sizeof algo));
    CLCNN_TRY(read_space(item(root, "space"), hp, &n));
    CLCNN_TRY(clcnn_oracle_create(hp, n, &opt, out));
    clcnn_status st = read_state(root, *out);
    if (st == CLCNN_STATUS_OK) st = tune_oracle_check(*out);
    if (st != CLCNN_STATUS_OK) {
        clcnn_oracle_destroy(*out);
        *out = NULL;
    }
    return st;
}

clcnn_status clcnn_oracle_restore(const char *json, clcnn_oracle **out) {
    if (!json || !out)
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "oracle_restore: NULL argument");
    *out = NULL;
    cJSON *root = cJSON_Parse(json);
    if (!root) return clcnn_fail(CLCNN_STATUS_PARSE_ERROR, "oracle state: not valid JSON");
    clcnn_status st = restore_root(root, out);
    cJSON_Delete(root);
    return st;
}
