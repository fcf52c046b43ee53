/* tune/tuner_internal.h: what the search driver (tuner.c), a trial's record and concrete spec
 * (trial.c), one trial's training (trial_run.c) and the tuning folder (trial_store.c) share. */
#ifndef CLCNN_TUNE_TUNER_INTERNAL_H
#define CLCNN_TUNE_TUNER_INTERNAL_H

#include "clcnn/config.h"
#include "clcnn/oracle.h"
#include "clcnn/tune.h"
#include "core/core.h"

/* One training run of a trial: its seed, score (best epoch's objective) and history. */
typedef struct tune_execution {
    uint64_t seed;
    double score;
    double seconds;
    int n_epochs;
    clcnn_epoch_metrics *history; /* malloc'ed */
} tune_execution;

/* A trial with what trial.json needs beyond the public clcnn_tune_trial. */
typedef struct tune_record {
    clcnn_tune_trial t;
    int n_exec;
    tune_execution *exec; /* malloc'ed, executions_per_trial entries */
} tune_record;

void tune_record_free(tune_record *r);

/* The search settings every part reads: the search config (spec and space, the caller's) and
 * the run's options. */
typedef struct tune_job {
    clcnn_context *ctx;
    const clcnn_spec *search;
    const clcnn_search_space *space;
    const clcnn_tune_options *opt;
    int maximize;
} tune_job;

/* ---- the search (tuner.c) ------------------------------------------------------------------- */

typedef struct tune_state {
    tune_job job;
    clcnn_oracle *oracle;
    clcnn_tune_result *res;
    int cap;
    int consecutive_failures;
} tune_state;

/* Sets up the folder (tune_store_prepare) and the oracle, restored or new. */
clcnn_status tune_open_folder(tune_state *st, int *resuming);
/* Reads back every recorded trial of a restored search, then writes the summaries. */
clcnn_status tune_load_finished_all(tune_state *st);
/* Records a finished trial: trial.json, then the oracle told and saved, then the summaries. */
clcnn_status tune_record_trial(tune_state *st, const tune_record *rec);
/* tune.max_consecutive_failures: the error that ends the search, after a trial. */
clcnn_status tune_check_failures(tune_state *st, const clcnn_tune_trial *t);
clcnn_status tune_write_summaries(tune_state *st);
void tune_emit_event(const tune_state *st, clcnn_tune_event_kind kind, const clcnn_tune_trial *t);

/* ---- a parallel search over MPI (tuner_parallel.c) -------------------------------------------- */

/* The search with every rank of the job: rank 0 owns the oracle and the folder and serves
 * trials, the others train them in a scratch folder and send back the results. */
clcnn_status tune_run_parallel(tune_state *st);

/* ---- a trial (trial.c) ----------------------------------------------------------------------- */

/* The trial a request starts: running, no score yet, the request's values and Hyperband fields,
 * and the epochs it trains up to (the request's under Hyperband, else default_epochs). */
void tune_trial_init(clcnn_tune_trial *t, const clcnn_trial_request *req, int n_values,
                     int default_epochs);

/* The concrete spec of a trial: the search spec with values applied and, when epochs > 0 (as
 * Hyperband decides), that many epochs; validated. */
clcnn_status tune_trial_spec(const tune_job *job, const double *values, int epochs,
                             clcnn_spec *out);

/* ---- one trial's training (trial_run.c) ------------------------------------------------------ */

/* Trains every execution of the trial rec->t (tune_trial_init'ed from req) into its folder and
 * fills the rest of *rec. Returns OK for a completed or a failed trial (rec->t.status says which),
 * INTERRUPTED when stopped (nothing to record), or the status of an error that is not the
 * trial's own. */
clcnn_status tune_trial_run(const tune_job *job, const clcnn_trial_request *req, tune_record *rec);

/* The best epoch's value of objective in a history: max or min over the epochs, NaNs skipped;
 * NAN when no epoch has it. */
double tune_best_epoch_value(const clcnn_epoch_metrics *h, int n, clcnn_metric objective,
                             int maximize);

/* ---- the tuning folder (trial_store.c) ------------------------------------------------------- */

/* Paths inside the folder; buf must hold CLCNN_PATH_MAX + 32 bytes. */
void tune_path(const char *dir, const char *name, char *buf, size_t n);
void tune_trial_path(const char *dir, int id, const char *name, char *buf, size_t n);

/* Creates the folder, deletes an earlier search when overwrite is set, and checks that an earlier
 * search was of the same config (config_yaml) before it is resumed. *resuming says whether one
 * exists. Writes tune.json for a new search. */
clcnn_status tune_store_prepare(const char *dir, const char *config_yaml, int overwrite,
                                int *resuming);

/* A JSON file of the folder, parsed (the caller deletes *root); invalid JSON is a PARSE_ERROR
 * naming the file. report/ reads the folder with it too. */
struct cJSON;
clcnn_status tune_store_read_json(const char *path, struct cJSON **root);

/* oracle.json: restore it when present (*oracle stays NULL when absent); save it atomically. */
clcnn_status tune_store_load_oracle(const char *dir, clcnn_oracle **oracle);
clcnn_status tune_store_save_oracle(const char *dir, const clcnn_oracle *oracle);

/* Deletes a folder and everything in it (absent is fine). */
clcnn_status tune_store_remove_tree(const char *path);

/* A trial's folder emptied of an interrupted run's files, ready for a fresh one. */
clcnn_status tune_store_reset_trial_dir(const char *dir, int id);
/* Drops a file of the trial folder that the search does not keep (e.g. optimizer state). */
void tune_store_remove_trial_file(const char *dir, int id, const char *name);

/* trial_<id>/trial.json: the trial, its values named as in space, the objective of tune. */
clcnn_status tune_store_write_trial(const char *dir, const clcnn_tune_spec *tune,
                                    const clcnn_search_space *space, const tune_record *rec,
                                    int maximize);
/* Reads trial_<id>/trial.json back; *found = 0 when it does not exist. */
clcnn_status tune_store_read_trial(const char *dir, const clcnn_search_space *space, int id,
                                   clcnn_tune_trial *t, int *found);

clcnn_status tune_store_write_summary(const char *dir, const clcnn_search_space *space,
                                      const clcnn_tune_trial *trials, int n);
/* best.yaml: best_spec, the concrete config of trial t (tune_trial_spec). */
clcnn_status tune_store_write_best(const char *dir, const clcnn_spec *best_spec,
                                   const clcnn_tune_trial *t);

#endif
