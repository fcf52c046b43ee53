/* tune/oracle_internal.h: what the oracle files share: the value grid of one hyperparameter, the
 * search space (conditions, sampling, encoding for the Gaussian process, enumeration), the set of
 * configurations already asked, the oracle object, the function table each search algorithm fills
 * (one file per algorithm: oracle_random.c, oracle_bayes.c, oracle_hyperband.c). */
#ifndef CLCNN_TUNE_ORACLE_INTERNAL_H
#define CLCNN_TUNE_ORACLE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "clcnn/oracle.h"
#include "core/core.h"

/* Spaces with at most this many configurations are enumerated, so a search can find the last
 * unasked ones and know when none is left; larger discrete spaces are treated as endless. */
#define TUNE_ENUM_CAP 200000

/* ---- one hyperparameter (hparam.c) ----------------------------------------------------------- */

/* Number of distinct values: 0 for a continuous FLOAT, else the grid or choice count. */
int64_t tune_hp_levels(const clcnn_hparam *hp);
/* The k-th value of a discrete hyperparameter (the index itself for CHOICE and BOOLEAN). */
double tune_hp_level_value(const clcnn_hparam *hp, int64_t k);
/* The nearest grid index of a legal value. */
int64_t tune_hp_level_index(const clcnn_hparam *hp, double value);
/* CHOICE and BOOLEAN: compared by equality, never by distance. */
int tune_hp_is_categorical(const clcnn_hparam *hp);
/* A position u in [0, 1] to a legal value: uniform u gives uniform (or log-uniform) sampling. */
double tune_hp_from_unit(const clcnn_hparam *hp, double u);
/* A legal value to its position in [0, 1]: the centre of its cell for grids and choices. */
double tune_hp_to_unit(const clcnn_hparam *hp, double value);

/* ---- the search space (space.c) -------------------------------------------------------------- */

typedef struct tune_space {
    int n;
    clcnn_hparam hp[CLCNN_MAX_HPARAMS];
    int parent[CLCNN_MAX_HPARAMS]; /* index of the parent, -1 when unconditional */
    double size; /* distinct configurations; INFINITY if continuous or above TUNE_ENUM_CAP */
} tune_space;

clcnn_status tune_space_init(tune_space *s, const clcnn_hparam *hp, int n);
int tune_space_active(const tune_space *s, int i, const double *values);
/* Latent positions (one per hyperparameter, all in [0, 1]) to values, NAN where inactive. */
void tune_space_decode(const tune_space *s, const double *u, double *values);
/* Values to latent positions; inactive ones get 0.5 (any position decodes to NAN there). */
void tune_space_to_unit(const tune_space *s, const double *values, double *u);
/* Values to Gaussian-process inputs: unit positions for numbers, the index for categories, NAN
 * where inactive. */
void tune_space_encode(const tune_space *s, const double *values, double *z);
void tune_space_sample_unit(const tune_space *s, clcnn_rng *rng, double *u);
/* Whether two configurations are the same (NAN equals NAN). */
int tune_config_equal(const double *a, const double *b, int n);

/* Calls fn on every configuration in a fixed order until fn returns nonzero; returns that value
 * (0 when all were visited). Meant for spaces with a finite size. */
typedef int (*tune_config_fn)(const double *values, void *ctx);
int tune_space_enumerate(const tune_space *s, tune_config_fn fn, void *ctx);

/* ---- configurations already asked (set.c) ---------------------------------------------------- */

typedef struct tune_set {
    int d;
    double *configs; /* count x d */
    size_t count, cap;
    int32_t *table; /* open addressing; -1 empty, else an index into configs */
    size_t table_cap;
} tune_set;

void tune_set_init(tune_set *set, int d);
void tune_set_free(tune_set *set);
int tune_set_contains(const tune_set *set, const double *values);
clcnn_status tune_set_add(tune_set *set, const double *values); /* no-op when present */

/* ---- the oracle (oracle.c) ------------------------------------------------------------------- */

typedef enum tune_trial_state { TUNE_PENDING, TUNE_OK, TUNE_FAILED } tune_trial_state;

typedef struct tune_trial {
    clcnn_trial_request req;
    tune_trial_state state;
    double score;
    int seq; /* the algorithm's tag, set when asked and saved with the trial (Hyperband: which
                bracket run, 0, 1, 2... in order, the trial belongs to); 0 when unused */
} tune_trial;

typedef struct tune_oracle_type tune_oracle_type;

struct clcnn_oracle {
    tune_space space;
    clcnn_oracle_options opt; /* opt.algorithm points to a static name */
    const tune_oracle_type *type;
    void *state; /* the algorithm's own, from type->init; NULL when it keeps none */
    clcnn_rng rng;
    tune_trial *trials;
    int n_trials, cap_trials;
    int n_pending; /* trials asked but not told: one in a serial search, several in parallel */
    int wait;      /* set by next: nothing to hand out until pending trials are told */
    tune_set seen; /* every new configuration asked (promotions re-use theirs) */
};

/* One entry of an algorithm's saved state: an int (i), or n doubles (d, NAN saved as null). */
typedef struct tune_state_field {
    const char *key;
    int *i;
    double *d;
    int n;
} tune_state_field;

#define TUNE_MAX_STATE_FIELDS 16

/* A search algorithm. Adding one: a file defining `const tune_oracle_type tune_oracle_<name>`
 * and <name> in ORACLES (oracle.c), which makes "<name>" its algorithm name. An algorithm
 * without state of its own leaves everything but next NULL. A told result reaches the algorithm
 * through o->trials, which next reads, so none needs a tell of its own yet. */
struct tune_oracle_type {
    /* Sets o->state once the space, options and RNG are set up; on failure free still runs. */
    clcnn_status (*init)(clcnn_oracle *o);
    /* Fills the next new trial: t->req.values, the Hyperband fields of t->req and t->seq; the
     * trial id is set and parent_trial_id is -1. EXHAUSTED when the search is over, or (with
     * o->wait set) when the next trial depends on pending ones. Finished, failed and pending
     * trials are in o->trials, the one being asked is not yet. */
    clcnn_status (*next)(clcnn_oracle *o, tune_trial *t);
    void (*free)(clcnn_oracle *o);
    /* The state saved with the oracle (oracle_json.c) and read back into a fresh one
     * (oracle_restore.c): an object under state_key with the fields state_fields lists, at most
     * TUNE_MAX_STATE_FIELDS, pointing into o->state, array lengths as init set them. */
    const char *state_key;
    int (*state_fields)(const clcnn_oracle *o, tune_state_field *f);
    /* A restored state checked as a whole (oracle_check.c calls it once the fields are read):
     * PARSE_ERROR naming what does not fit; NULL when any value of the fields is valid. */
    clcnn_status (*check)(const clcnn_oracle *o);
    /* 1: a schedule of its own decides the trials and their epochs, brackets and rounds
     * (clcnn_oracle_algorithm_scheduled); 0 for the others. */
    int scheduled;
};

/* The score turned into a loss (lower is better) under opt.maximize. */
double tune_loss(const clcnn_oracle *o, double score);
/* A uniformly random configuration not asked before; EXHAUSTED when none is left. */
clcnn_status tune_random_config(clcnn_oracle *o, double *values);
/* Whether max_trials stops the search now. */
int tune_budget_spent(const clcnn_oracle *o);
/* A restored oracle checked as a whole before anything uses it (oracle_check.c): its trials,
 * then its algorithm's state through type->check. */
clcnn_status tune_oracle_check(const clcnn_oracle *o);

#endif
