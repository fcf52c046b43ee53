/* tune/oracle_json.c: clcnn_oracle_save, the writer of the state clcnn_oracle_restore reads. The
 * whole state (space, options, every trial, the RNG, and under a key of its own what the
 * algorithm keeps: the Bayesian design and last GP fit, Hyperband's position) as one JSON
 * document, so a restored oracle asks exactly what the original would have.
 *
 * Doubles are written with 17 significant digits as raw JSON numbers (cJSON's own printer may
 * drop the last bit) and read back with strtod, so they round-trip exactly; NAN is null. 64-bit
 * seeds and RNG words are hex strings, beyond what a JSON number holds exactly. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "tune/oracle_internal.h"

#define FORMAT_NAME "clcnn-oracle"
#define FORMAT_VERSION 1

static const char *const state_names[] = {"pending", "ok", "failed"};

/* ---- writing: every helper takes and returns the `ok` flag so one check covers them all ---- */

static cJSON *json_double(double v) {
    if (!isfinite(v)) return cJSON_CreateNull();
    char buf[40];
    snprintf(buf, sizeof buf, "%.17g", v);
    return cJSON_CreateRaw(buf);
}

static cJSON *json_hex(uint64_t v) {
    char buf[24];
    snprintf(buf, sizeof buf, "%016" PRIx64, v);
    return cJSON_CreateString(buf);
}

static int put(cJSON *obj, const char *key, cJSON *item) {
    if (!item) return 0;
    if (key ? cJSON_AddItemToObject(obj, key, item) : cJSON_AddItemToArray(obj, item)) return 1;
    cJSON_Delete(item);
    return 0;
}

static int put_int(cJSON *obj, const char *key, int v) {
    return put(obj, key, cJSON_CreateNumber(v));
}

static cJSON *json_doubles(const double *v, int n) {
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; a && i < n; i++)
        if (!put(a, NULL, json_double(v[i]))) {
            cJSON_Delete(a);
            return NULL;
        }
    return a;
}

static cJSON *json_options(const clcnn_oracle_options *opt) {
    cJSON *o = cJSON_CreateObject();
    int ok = o && put(o, "algorithm", cJSON_CreateString(opt->algorithm)) &&
             put_int(o, "maximize", opt->maximize) && put_int(o, "max_trials", opt->max_trials) &&
             put(o, "seed", json_hex(opt->seed)) &&
             put_int(o, "initial_points", opt->initial_points) &&
             put_int(o, "n_candidates", opt->n_candidates) &&
             put_int(o, "max_epochs", opt->max_epochs) && put_int(o, "factor", opt->factor) &&
             put_int(o, "hyperband_iterations", opt->hyperband_iterations);
    if (!ok) cJSON_Delete(o);
    return ok ? o : NULL;
}

static int put_choices(cJSON *h, const clcnn_hparam *hp) {
    if (!hp->choices_are_strings)
        return put(h, "choices", json_doubles(hp->choices, hp->n_choices));
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; a && i < hp->n_choices; i++)
        if (!put(a, NULL, cJSON_CreateString(hp->choice_strings[i]))) {
            cJSON_Delete(a);
            return 0;
        }
    return put(h, "choice_strings", a);
}

static cJSON *json_hparam(const clcnn_hparam *hp) {
    cJSON *h = cJSON_CreateObject();
    int ok = h && put(h, "name", cJSON_CreateString(hp->name)) &&
             put(h, "type", cJSON_CreateString(clcnn_hp_type_name(hp->type))) &&
             put(h, "min", json_double(hp->min)) && put(h, "max", json_double(hp->max)) &&
             put(h, "step", json_double(hp->step)) && put_int(h, "log", hp->log);
    if (ok && hp->type == CLCNN_HP_CHOICE) ok = put_choices(h, hp);
    if (ok && hp->parent[0])
        ok = put(h, "parent", cJSON_CreateString(hp->parent)) &&
             put(h, "parent_values", json_doubles(hp->parent_values, hp->n_parent_values));
    if (!ok) cJSON_Delete(h);
    return ok ? h : NULL;
}

static cJSON *json_trial(const tune_trial *t, int n) {
    const clcnn_trial_request *r = &t->req;
    cJSON *j = cJSON_CreateObject();
    int ok =
        j && put_int(j, "id", r->trial_id) &&
        put(j, "state", cJSON_CreateString(state_names[t->state])) &&
        put(j, "score", json_double(t->score)) && put(j, "values", json_doubles(r->values, n)) &&
        put_int(j, "epochs", r->epochs) && put_int(j, "initial_epoch", r->initial_epoch) &&
        put_int(j, "parent_trial_id", r->parent_trial_id) && put_int(j, "bracket", r->bracket) &&
        put_int(j, "round", r->round) && put_int(j, "seq", t->seq);
    if (!ok) cJSON_Delete(j);
    return ok ? j : NULL;
}

/* The algorithm's own state under its key, when it keeps one. */
static int put_algorithm_state(cJSON *root, const clcnn_oracle *o) {
    const tune_oracle_type *type = o->type;
    if (!type->state_fields) return 1;
    tune_state_field f[TUNE_MAX_STATE_FIELDS];
    int n = type->state_fields(o, f);
    cJSON *j = cJSON_CreateObject();
    int ok = j != NULL;
    for (int i = 0; ok && i < n; i++)
        ok =
            f[i].i ? put_int(j, f[i].key, *f[i].i) : put(j, f[i].key, json_doubles(f[i].d, f[i].n));
    if (!ok) {
        cJSON_Delete(j);
        return 0;
    }
    return put(root, type->state_key, j);
}

static int put_lists(cJSON *root, const clcnn_oracle *o) {
    cJSON *space = cJSON_CreateArray(), *trials = cJSON_CreateArray(), *rng = cJSON_CreateArray();
    int ok = space && trials && rng;
    for (int i = 0; ok && i < o->space.n; i++)
        ok = put(space, NULL, json_hparam(&o->space.hp[i]));
    for (int i = 0; ok && i < o->n_trials; i++)
        ok = put(trials, NULL, json_trial(&o->trials[i], o->space.n));
    for (int i = 0; ok && i < 4; i++)
        ok = put(rng, NULL, json_hex(o->rng.s[i]));
    if (!ok) {
        cJSON_Delete(space);
        cJSON_Delete(trials);
        cJSON_Delete(rng);
        return 0;
    }
    return put(root, "space", space) & put(root, "rng", rng) & put(root, "trials", trials);
}

clcnn_status clcnn_oracle_save(const clcnn_oracle *o, char **json) {
    if (!o || !json) return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "oracle_save: NULL argument");
    *json = NULL;
    cJSON *root = cJSON_CreateObject();
    int ok = root && put(root, "format", cJSON_CreateString(FORMAT_NAME)) &&
             put_int(root, "version", FORMAT_VERSION) &&
             put(root, "options", json_options(&o->opt)) && put_lists(root, o);
    if (ok) ok = put_algorithm_state(root, o);
    if (ok) *json = cJSON_Print(root);
    cJSON_Delete(root);
    if (!*json) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "oracle_save: out of memory");
    return CLCNN_STATUS_OK;
}
