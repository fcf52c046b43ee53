/* clcnn/oracle.h: hyperparameter search spaces and oracles behind one ask/tell interface.
 *
 * Usable with any objective, not only CNN training: describe the space as an array of
 * clcnn_hparam (clcnn/hparam.h), create an oracle, then loop ask -> evaluate -> tell until ask
 * returns CLCNN_STATUS_EXHAUSTED. The oracle never returns a configuration twice (Hyperband's
 * promoted rounds re-use a configuration on purpose and say so through parent_trial). Oracles know
 * hyperparameters and scores only; scores are maximized or minimized as the options say. */
#ifndef CLCNN_ORACLE_H
#define CLCNN_ORACLE_H

#include <stdint.h>

#include "clcnn/hparam.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct clcnn_oracle clcnn_oracle;

/* The search algorithms' names, NULL-terminated: "bayesian", "random", "hyperband". */
CLCNN_API extern const char *const clcnn_oracle_algorithms[];

/* Whether the named algorithm (NULL: the default one) runs a schedule of its own (Hyperband): the
 * schedule, not max_trials, decides how many trials run (max_trials 0 runs all of it), and each
 * trial is handed its epochs, bracket and round. 0 for a name that is not an algorithm. */
CLCNN_API int clcnn_oracle_algorithm_scheduled(const char *algorithm);

typedef struct clcnn_oracle_options {
    const char *algorithm;   /* one of clcnn_oracle_algorithms; "bayesian" by default */
    int maximize;            /* 1: higher score is better (default); 0: lower */
    int max_trials;          /* trials to ask at most (default 10; a config's tune.max_trials
                                null resolves with clcnn_tune_max_trials); 0 = no limit. Hyperband runs
                                its whole schedule when this is 0 or larger, and stops after
                                max_trials trial-rounds when it is smaller */
    uint64_t seed;           /* default 1 */
    int initial_points;      /* bayesian: random design size; 0 = max(5, 2d+1) */
    int n_candidates;        /* bayesian: acquisition candidates per ask; 0 = default */
    int max_epochs;          /* hyperband (default 81) */
    int factor;              /* hyperband (default 3) */
    int hyperband_iterations; /* hyperband (default 1) */
} clcnn_oracle_options;

CLCNN_API clcnn_oracle_options clcnn_oracle_options_default(void);

/* A trial the oracle wants evaluated. */
typedef struct clcnn_trial_request {
    int trial_id;                       /* 0, 1, 2... in ask order */
    double values[CLCNN_MAX_HPARAMS];   /* one per hyperparameter, in space order */
    int epochs;                         /* hyperband: train up to this epoch; else 0 */
    int initial_epoch;                  /* hyperband: resume at this epoch (0 = from scratch) */
    int parent_trial_id;                /* hyperband: start from this trial's weights; -1 none */
    int bracket, round;                 /* hyperband bookkeeping; 0 otherwise */
} clcnn_trial_request;

/* Creates an oracle over n hyperparameters (copied). Validates every definition, that names are
 * unique and that a parent is declared before its children. opt NULL means the defaults. */
CLCNN_API clcnn_status clcnn_oracle_create(const clcnn_hparam *space, int n, const clcnn_oracle_options *opt,
                                           clcnn_oracle **out);
CLCNN_API void clcnn_oracle_destroy(clcnn_oracle *oracle); /* accepts NULL */

/* The next trial to run, or CLCNN_STATUS_EXHAUSTED when the budget or the space is used up (a
 * discrete space once every configuration was asked; Hyperband when its schedule is done).
 * Trials are asked and told one at a time (ask, tell, ask...): asking again before telling
 * returns the same pending trial. The request is copied into *out. */
CLCNN_API clcnn_status clcnn_oracle_ask(clcnn_oracle *oracle, clcnn_trial_request *out);

/* Parallel search: a new trial even while others are pending, each pending one counted as a
 * lie (the Bayesian oracle models it as the worst score so far, a constant liar, so concurrent
 * asks spread out instead of crowding one optimum). *wait = 1 (and OK, *out unset) when the next
 * trial depends on pending ones (Hyperband's next round needs its parents told);
 * CLCNN_STATUS_EXHAUSTED when the search is over. */
CLCNN_API clcnn_status clcnn_oracle_ask_more(clcnn_oracle *oracle, clcnn_trial_request *out, int *wait);

/* The ids of the pending trials, in ask order, into ids (at most max; ids may be NULL); returns
 * how many there are. A restored parallel search hands these out again first. */
CLCNN_API int clcnn_oracle_pending(const clcnn_oracle *oracle, int *ids, int max);

/* The request of an asked trial (pending or told); NOT_FOUND for an id never asked. */
CLCNN_API clcnn_status clcnn_oracle_request(const clcnn_oracle *oracle, int trial_id,
                                  clcnn_trial_request *out);

/* The result of an asked trial. failed = 1 marks it failed (NaN loss, error): it is never the
 * best and the score is ignored; a NaN or infinite score counts as failed too. The Bayesian
 * oracle models a failed trial as the worst score seen so far, so it steers away from regions
 * that fail. Hyperband never promotes a failed trial. INVALID_ARGUMENT unless trial_id is a
 * pending trial. */
CLCNN_API clcnn_status clcnn_oracle_tell(clcnn_oracle *oracle, int trial_id, double score, int failed);

/* The best finished trial so far: its id and score; NOT_FOUND if none succeeded yet. */
CLCNN_API clcnn_status clcnn_oracle_best(const clcnn_oracle *oracle, int *trial_id, double *score);

/* Hyperband's whole schedule in trial-rounds (211 for max_epochs 81, factor 3, one iteration):
 * its budget when max_trials is 0, less when the space runs out of new configurations; 0 for
 * arguments out of range (max_epochs < 1, factor < 2, iterations < 1). */
CLCNN_API int64_t clcnn_hyperband_schedule_size(int max_epochs, int factor, int iterations);

/* Serializes the whole oracle state (space, options, every trial, RNG) as a JSON document,
 * malloc'ed, NUL-terminated; the caller frees it. clcnn_oracle_restore rebuilds an oracle from
 * it so that a search resumes where it stopped: a trial that was asked but never told is asked
 * again (same id, same values). */
CLCNN_API clcnn_status clcnn_oracle_save(const clcnn_oracle *oracle, char **json);
CLCNN_API clcnn_status clcnn_oracle_restore(const char *json, clcnn_oracle **out);

#ifdef __cplusplus
}
#endif
#endif
