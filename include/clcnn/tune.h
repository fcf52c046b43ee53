/* clcnn/tune.h: the hyperparameter search driver behind `clcnn tune`.
 *
 * clcnn_tune_run takes a search config, a spec and its search space (clcnn/config.h loads both),
 * asks the oracle of spec->tune (clcnn/oracle.h) for trials over the space, trains each trial's
 * concrete spec with clcnn_fit and tells the oracle its score, until the budget is spent.
 * Everything lives in one folder (docs/architecture.md, "The tuning folder"), rewritten
 * atomically after every trial so that a search killed at any point resumes without repeating a
 * finished trial:
 *
 *   DIR/tune.json     the search config (emitted YAML) and its hash: a resume must match it
 *   DIR/oracle.json   clcnn_oracle_save's state
 *   DIR/summary.csv   one row per finished trial: id,status,score,<hyperparameters>,seconds
 *   DIR/best.yaml     the best trial's concrete config, for `clcnn train`
 *   DIR/trial_0007/   trial.json (id, status, hyperparameters, score, history, seconds...) and
 *                     model.safetensors (the last execution's final weights)
 *   DIR/best_model/   with tune.retrain_best: the best config retrained on all training data
 *
 * The score of one execution is the best epoch's value of the objective (KerasTuner's rule); a
 * trial's score is the mean over its executions. A trial whose training fails numerically (NaN or
 * infinite loss) or whose configuration cannot be built is recorded as failed and the search goes
 * on; other errors (I/O, the device) end the search and leave it resumable. */
#ifndef CLCNN_TUNE_H
#define CLCNN_TUNE_H

#include "clcnn/train.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum clcnn_trial_status {
    CLCNN_TRIAL_RUNNING = 0,
    CLCNN_TRIAL_COMPLETED,
    CLCNN_TRIAL_FAILED,
} clcnn_trial_status;

/* One trial as the driver reports it. */
typedef struct clcnn_tune_trial {
    int id;
    clcnn_trial_status status;
    double score;                     /* NAN unless completed */
    double values[CLCNN_MAX_HPARAMS]; /* in the space's order; NAN = inactive */
    double seconds;                   /* wall time of all its executions */
    int epochs;                       /* epochs trained up to (initial_epoch included) */
    int initial_epoch;                /* hyperband: epochs its parent had done; else 0 */
    int parent_trial_id;              /* hyperband: the trial whose weights it started from; -1 */
    int bracket, round;               /* hyperband; 0 otherwise */
    int resumed;                      /* read back from an earlier run of the search */
    char error[256];                  /* why it failed; "" otherwise */
} clcnn_tune_trial;

typedef enum clcnn_tune_event_kind {
    CLCNN_TUNE_SEARCH_START, /* once, after the folder is set up (trials = finished so far) */
    CLCNN_TUNE_TRIAL_START,  /* a trial is about to train */
    CLCNN_TUNE_TRIAL_END,    /* a trial finished (completed or failed) and was recorded */
    CLCNN_TUNE_RETRAIN_START /* retraining the best configuration (tune.retrain_best) */
} clcnn_tune_event_kind;

/* What the event callback sees. Pointers are valid during the call only. */
typedef struct clcnn_tune_event {
    clcnn_tune_event_kind kind;
    const clcnn_tune_trial *trial; /* TRIAL_START/END: the trial; RETRAIN_START: the best one */
    int finished;                  /* trials finished so far, resumed ones included */
    int max_trials;                /* clcnn_tune_max_trials(): 0 = no limit */
    int best_trial_id;             /* -1 while no trial completed */
    double best_score;
    int resumed; /* SEARCH_START: finished trials read back from DIR */
} clcnn_tune_event;

typedef void (*clcnn_tune_event_fn)(const clcnn_tune_event *ev, void *user);

typedef struct clcnn_tune_options {
    const char *out_dir; /* the tuning folder (required) */
    int overwrite;       /* delete an earlier search in out_dir instead of resuming it */
    volatile int *stop;  /* non-zero: stop after the current training step */
    clcnn_tune_event_fn on_event;
    clcnn_progress_fn progress; /* forwarded to clcnn_fit for each execution */
    void *user;                 /* passed to both callbacks */
} clcnn_tune_options;

CLCNN_API clcnn_tune_options clcnn_tune_options_default(void);

typedef struct clcnn_tune_result {
    int n_trials;             /* finished trials, resumed ones included, in id order */
    clcnn_tune_trial *trials; /* malloc'ed; freed by clcnn_tune_result_free */
    int n_completed, n_failed, n_resumed;
    int best_trial_id; /* -1 when no trial completed */
    double best_score;
    int maximize;                                    /* the objective's direction */
    int stopped;                                     /* stopped by *stop: resumable */
    char best_yaml[CLCNN_PATH_MAX + 16];             /* "" when no trial completed */
    int retrained;                                   /* tune.retrain_best ran */
    double retrain_test_accuracy, retrain_test_loss; /* NAN unless retrained */
    char retrain_dir[CLCNN_PATH_MAX + 16];
    double seconds; /* this run's wall time */
} clcnn_tune_result;

/* Runs (or resumes) the search of spec over space in opt->out_dir; both are read during the call
 * only. On success *result lists every
 * finished trial; the caller frees it with clcnn_tune_result_free, also after a failure (then it
 * holds the trials finished before it). Returns CLCNN_STATUS_INVALID_ARGUMENT when out_dir holds
 * a search of a different config (the message says to use overwrite), the failing status of the
 * last trial when tune.max_consecutive_failures trials failed in a row, and the status of any
 * error that is not a trial's own (I/O, the device). A stop request returns OK with stopped = 1. */
CLCNN_API clcnn_status clcnn_tune_run(clcnn_context *ctx, const clcnn_spec *spec,
                                      const clcnn_search_space *space, const clcnn_tune_options *opt,
                                      clcnn_tune_result *result);

CLCNN_API void clcnn_tune_result_free(clcnn_tune_result *result); /* accepts NULL */

/* Whether a higher objective is better: tune.direction when set, else inferred from the name
 * as KerasTuner does (a name with "acc" is maximized, anything else minimized). */
CLCNN_API int clcnn_tune_maximize(const clcnn_tune_spec *tune);

/* The trial budget, resolved: tune.max_trials when set (0 = no limit), else the algorithm's
 * default, as in KerasTuner: 0 for Hyperband (its whole schedule), 10 for random and bayesian. */
CLCNN_API int clcnn_tune_max_trials(const clcnn_tune_spec *tune);

/* The trial folder name of an id ("trial_0007"), into buf of size n. */
CLCNN_API void clcnn_tune_trial_dir_name(int id, char *buf, int n);

#ifdef __cplusplus
}
#endif
#endif
