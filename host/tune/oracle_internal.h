/* tune/oracle_internal.h: what the oracle files share: the value grid of one hyperparameter, the
 * search space (conditions, sampling, encoding for the Gaussian process, enumeration), the set of
 * configurations already asked, the oracle object itself and the per-algorithm entry points. */
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

typedef enum tune_algo { TUNE_RANDOM, TUNE_BAYES, TUNE_HYPERBAND } tune_algo;
typedef enum tune_trial_state { TUNE_PENDING, TUNE_OK, TUNE_FAILED } tune_trial_state;

typedef struct tune_trial {
    clcnn_trial_request req;
    tune_trial_state state;
    double score;
    int seq; /* hyperband: which bracket run (0, 1, 2... in order) the trial belongs to */
} tune_trial;

#define TUNE_GP_NTHETA (CLCNN_MAX_HPARAMS + 2)

typedef struct tune_bayes_state {
    double *design; /* n_design x n latent points of the initial design */
    int n_design;
    double theta[TUNE_GP_NTHETA]; /* last fitted GP hyperparameters, a warm start */
    int has_theta;
    int n_fits;
} tune_bayes_state;

typedef struct tune_hb_state {
    int iteration, bracket, round; /* bracket counts down from the most aggressive one */
    int count;                     /* trials asked in the current round */
    int seq;                       /* bracket runs started before the current one */
    int round0_closed;             /* no new configuration was left for this round 0 */
    int done;
} tune_hb_state;

struct clcnn_oracle {
    tune_space space;
    clcnn_oracle_options opt; /* opt.algorithm points to a static name */
    tune_algo algo;
    clcnn_rng rng;
    tune_trial *trials;
    int n_trials, cap_trials;
    int pending;   /* index of the trial asked but not told, -1 when none */
    tune_set seen; /* every new configuration asked (promotions re-use theirs) */
    tune_bayes_state bayes;
    tune_hb_state hb;
};

/* The score turned into a loss (lower is better) under opt.maximize. */
double tune_loss(const clcnn_oracle *o, double score);
/* A uniformly random configuration not asked before; EXHAUSTED when none is left. */
clcnn_status tune_random_config(clcnn_oracle *o, double *values);
/* Whether max_trials stops the search now. */
int tune_budget_spent(const clcnn_oracle *o);

/* Per algorithm: fill req->values and the hyperband fields of the next new trial. */
clcnn_status tune_random_next(clcnn_oracle *o, clcnn_trial_request *req);
clcnn_status tune_bayes_init(clcnn_oracle *o);
clcnn_status tune_bayes_next(clcnn_oracle *o, clcnn_trial_request *req);
void tune_bayes_free(clcnn_oracle *o);
void tune_hyperband_init(clcnn_oracle *o);
clcnn_status tune_hyperband_next(clcnn_oracle *o, clcnn_trial_request *req, int *seq);

/* Hyperband's schedule, KerasTuner's arithmetic with an exact integer logarithm. */
int tune_hb_num_brackets(int max_epochs, int factor);
int tune_hb_size(int max_epochs, int factor, int bracket, int round);
int tune_hb_epochs(int max_epochs, int factor, int bracket, int round);

#endif
