/* tune/oracle.c: the ask/tell interface every algorithm shares: the table of algorithms, options,
 * the trial list, the pending trials (one in a serial search, several in parallel), the best trial,
 * and the random configuration (with exhaustion) that random search, the Bayesian initial design
 * and Hyperband's new brackets all draw from. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tune/oracle_internal.h"

/* Draws before a search falls back to enumerating the configurations not asked yet. */
#define RANDOM_DRAWS 64
#define DEFAULT_ALGORITHM "bayesian"

/* Every algorithm, in the order config errors list them: X(name) is the algorithm "name", its
 * function table tune_oracle_name. Adding one: its file and its name here. */
#define ORACLES(X) X(bayesian) X(random) X(hyperband)

#define DECLARE(name) extern const tune_oracle_type tune_oracle_##name;
ORACLES(DECLARE)
#define TYPE(name) &tune_oracle_##name,
static const tune_oracle_type *const oracle_types[] = {ORACLES(TYPE)};
#define NAME(name) #name,
const char *const clcnn_oracle_algorithms[] = {ORACLES(NAME) NULL};
#define N_ORACLES (sizeof oracle_types / sizeof oracle_types[0])
#define INDEX(name) ORACLE_##name,
enum { ORACLES(INDEX) };
#define ROW(name) {#name, ORACLE_##name},
static const clcnn_name algorithm_rows[] = {ORACLES(ROW)};
const clcnn_name_table clcnn_oracle_algorithm_names = {"algorithm", algorithm_rows, N_ORACLES};

clcnn_oracle_options clcnn_oracle_options_default(void) {
    clcnn_oracle_options opt = {
        .algorithm = DEFAULT_ALGORITHM,
        .maximize = 1,
        .max_trials = 10,
        .seed = 1,
        .max_epochs = 81,
        .factor = 3,
        .hyperband_iterations = 1,
    };
    return opt;
}

/* The index of the algorithm called name (NULL: the default), or -1. */
static int type_index(const char *name) {
    if (!name) name = DEFAULT_ALGORITHM;
    for (size_t i = 0; i < N_ORACLES; i++)
        if (strcmp(name, clcnn_oracle_algorithms[i]) == 0) return (int)i;
    return -1;
}

int clcnn_oracle_algorithm_scheduled(const char *algorithm) {
    int i = type_index(algorithm);
    return i >= 0 && oracle_types[i]->scheduled;
}

static clcnn_status find_type(clcnn_oracle_options *opt, const tune_oracle_type **type) {
    const char *name = opt->algorithm ? opt->algorithm : DEFAULT_ALGORITHM;
    int i = type_index(name);
    if (i >= 0) {
        opt->algorithm = clcnn_oracle_algorithms[i];
        *type = oracle_types[i];
        return CLCNN_STATUS_OK;
    }
    char names[256] = "";
    for (size_t i = 0, used = 0; i < N_ORACLES && used < sizeof names; i++)
        used += (size_t)snprintf(names + used, sizeof names - used, "%s%s", i ? ", " : "",
                                 clcnn_oracle_algorithms[i]);
    return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT,
                      "oracle: unknown algorithm '%s' (use one of %s)", name, names);
}

static clcnn_status check_options(clcnn_oracle_options *opt, const tune_oracle_type **type) {
    CLCNN_TRY(find_type(opt, type));
    opt->maximize = opt->maximize != 0;
    if (opt->max_trials < 0 || opt->initial_points < 0 || opt->n_candidates < 0)
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "oracle: max_trials, initial_points "
                                                         "and n_candidates must not be negative");
    if (opt->max_epochs < 1 || opt->factor < 2 || opt->hyperband_iterations < 1)
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT,
                          "oracle: hyperband needs max_epochs "
                          ">= 1, factor >= 2 and hyperband_iterations >= 1 (got %d, %d, %d)",
                          opt->max_epochs, opt->factor, opt->hyperband_iterations);
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_oracle_create(const clcnn_hparam *space, int n, const clcnn_oracle_options *opt,
                                 clcnn_oracle **out) {
    if (!out) return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "oracle: out is NULL");
    *out = NULL;
    clcnn_oracle *o = calloc(1, sizeof *o);
    if (!o) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "oracle: out of memory");
    o->opt = opt ? *opt : clcnn_oracle_options_default();
    clcnn_status st = check_options(&o->opt, &o->type);
    if (st == CLCNN_STATUS_OK) st = tune_space_init(&o->space, space, n);
    if (st == CLCNN_STATUS_OK) {
        tune_set_init(&o->seen, o->space.n);
        clcnn_rng_seed(&o->rng, o->opt.seed);
        if (o->type->init) st = o->type->init(o);
    }
    if (st != CLCNN_STATUS_OK) {
        clcnn_oracle_destroy(o);
        return st;
    }
    *out = o;
    return CLCNN_STATUS_OK;
}

void clcnn_oracle_destroy(clcnn_oracle *o) {
    if (!o) return;
    if (o->type && o->type->free) o->type->free(o);
    tune_set_free(&o->seen);
    free(o->trials);
    free(o);
}

double tune_loss(const clcnn_oracle *o, double score) {
    return o->opt.maximize ? -score : score;
}

int tune_budget_spent(const clcnn_oracle *o) {
    return o->opt.max_trials > 0 && o->n_trials >= o->opt.max_trials;
}

typedef struct pick_state {
    const tune_set *seen;
    uint64_t skip;
    double *out;
    int d;
} pick_state;

static int pick_unseen(const double *values, void *ctx) {
    pick_state *p = ctx;
    if (tune_set_contains(p->seen, values)) return 0;
    if (p->skip-- > 0) return 0;
    memcpy(p->out, values, (size_t)p->d * sizeof *values);
    return 1;
}

clcnn_status tune_random_config(clcnn_oracle *o, double *values) {
    const tune_space *s = &o->space;
    if ((double)o->seen.count >= s->size)
        return clcnn_fail(CLCNN_STATUS_EXHAUSTED, "oracle: all %.0f configurations were tried",
                          s->size);
    double u[CLCNN_MAX_HPARAMS];
    for (int draw = 0; draw < RANDOM_DRAWS; draw++) {
        tune_space_sample_unit(s, &o->rng, u);
        tune_space_decode(s, u, values);
        if (!tune_set_contains(&o->seen, values)) return CLCNN_STATUS_OK;
    }
    if (!isfinite(s->size))
        return clcnn_fail(CLCNN_STATUS_EXHAUSTED, "oracle: no new configuration in %d draws",
                          RANDOM_DRAWS);
    /* Few are left: pick one of them uniformly by enumerating the space. */
    uint64_t remaining = (uint64_t)s->size - (uint64_t)o->seen.count;
    pick_state p = {&o->seen, clcnn_rng_below(&o->rng, remaining), values, s->n};
    if (!tune_space_enumerate(s, pick_unseen, &p))
        return clcnn_fail(CLCNN_STATUS_EXHAUSTED, "oracle: all configurations were tried");
    return CLCNN_STATUS_OK;
}

static clcnn_status append_trial(clcnn_oracle *o, const tune_trial *new_trial) {
    if (o->n_trials == o->cap_trials) {
        int cap = o->cap_trials ? 2 * o->cap_trials : 64;
        tune_trial *t = realloc(o->trials, (size_t)cap * sizeof *t);
        if (!t) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "oracle: out of memory");
        o->trials = t;
        o->cap_trials = cap;
    }
    if (new_trial->req.parent_trial_id < 0)
        CLCNN_TRY(tune_set_add(&o->seen, new_trial->req.values));
    o->trials[o->n_trials++] = *new_trial;
    o->n_pending++;
    return CLCNN_STATUS_OK;
}

static int first_pending(const clcnn_oracle *o) {
    for (int i = 0; o->n_pending > 0 && i < o->n_trials; i++)
        if (o->trials[i].state == TUNE_PENDING) return i;
    return -1;
}

/* A trial the algorithm picks, appended as pending. */
static clcnn_status ask_new(clcnn_oracle *o, clcnn_trial_request *out) {
    tune_trial t;
    memset(&t, 0, sizeof t);
    t.req.trial_id = o->n_trials;
    t.req.parent_trial_id = -1;
    t.state = TUNE_PENDING;
    t.score = NAN;
    o->wait = 0;
    CLCNN_TRY(o->type->next(o, &t));
    CLCNN_TRY(append_trial(o, &t));
    *out = t.req;
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_oracle_ask(clcnn_oracle *o, clcnn_trial_request *out) {
    if (!o || !out) return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "oracle_ask: NULL argument");
    int p = first_pending(o);
    if (p >= 0) {
        *out = o->trials[p].req;
        return CLCNN_STATUS_OK;
    }
    return ask_new(o, out);
}

clcnn_status clcnn_oracle_ask_more(clcnn_oracle *o, clcnn_trial_request *out, int *wait) {
    if (!o || !out || !wait)
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "oracle_ask_more: NULL argument");
    clcnn_status s = ask_new(o, out);
    *wait = s == CLCNN_STATUS_EXHAUSTED && o->wait && o->n_pending > 0;
    return *wait ? CLCNN_STATUS_OK : s;
}

int clcnn_oracle_pending(const clcnn_oracle *o, int *ids, int max) {
    int n = 0;
    for (int i = 0; o && i < o->n_trials; i++)
        if (o->trials[i].state == TUNE_PENDING) {
            if (ids && n < max) ids[n] = o->trials[i].req.trial_id;
            n++;
        }
    return n;
}

clcnn_status clcnn_oracle_request(const clcnn_oracle *o, int trial_id, clcnn_trial_request *out) {
    if (!o || !out)
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "oracle_request: NULL argument");
    if (trial_id < 0 || trial_id >= o->n_trials)
        return clcnn_fail(CLCNN_STATUS_NOT_FOUND, "oracle: trial %d was never asked", trial_id);
    *out = o->trials[trial_id].req;
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_oracle_tell(clcnn_oracle *o, int trial_id, double score, int failed) {
    if (!o) return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "oracle_tell: oracle is NULL");
    /* Ids are indices: trial i is o->trials[i]. */
    if (trial_id < 0 || trial_id >= o->n_trials || o->trials[trial_id].state != TUNE_PENDING)
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT,
                          "oracle_tell: trial %d is not a "
                          "pending trial",
                          trial_id);
    tune_trial *t = &o->trials[trial_id];
    t->state = (failed || !isfinite(score)) ? TUNE_FAILED : TUNE_OK;
    t->score = t->state == TUNE_OK ? score : NAN;
    o->n_pending--;
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_oracle_best(const clcnn_oracle *o, int *trial_id, double *score) {
    if (!o) return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "oracle_best: oracle is NULL");
    int best = -1;
    for (int i = 0; i < o->n_trials; i++) {
        const tune_trial *t = &o->trials[i];
        if (t->state != TUNE_OK) continue;
        if (best < 0 || tune_loss(o, t->score) < tune_loss(o, o->trials[best].score)) best = i;
    }
    if (best < 0) return clcnn_fail(CLCNN_STATUS_NOT_FOUND, "oracle: no trial succeeded yet");
    if (trial_id) *trial_id = o->trials[best].req.trial_id;
    if (score) *score = o->trials[best].score;
    return CLCNN_STATUS_OK;
}
