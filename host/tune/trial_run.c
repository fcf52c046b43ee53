/* tune/trial_run.c: one trial's training: its executions (fresh fits with seeds seed, seed + 1,
 * ...), each execution's score as the best epoch's objective, the trial's score as their mean,
 * and which errors make a trial failed rather than end the search. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tune/tuner_internal.h"

void tune_record_free(tune_record *r) {
    if (!r) return;
    for (int i = 0; i < r->n_exec; i++)
        free(r->exec[i].history);
    free(r->exec);
    r->exec = NULL;
    r->n_exec = 0;
}

double tune_best_epoch_value(const clcnn_epoch_metrics *h, int n, clcnn_metric objective,
                             int maximize) {
    double best = NAN;
    for (int i = 0; i < n; i++) {
        double v = clcnn_epoch_metric(&h[i], objective);
        if (isnan(v)) continue;
        if (isnan(best) || (maximize ? v > best : v < best)) best = v;
    }
    return best;
}

/* Errors that belong to the trial's configuration or its numbers: the search records the trial
 * as failed and goes on (KerasTuner does the same with a model that cannot be built). */
static int is_trial_failure(clcnn_status s) {
    return s == CLCNN_STATUS_NUMERIC_ERROR || s == CLCNN_STATUS_BAD_SHAPE ||
           s == CLCNN_STATUS_OUT_OF_MEMORY || s == CLCNN_STATUS_INVALID_ARGUMENT;
}

static void fail_trial(tune_record *rec, clcnn_status s) {
    rec->t.status = CLCNN_TRIAL_FAILED;
    rec->t.score = NAN;
    snprintf(rec->t.error, sizeof rec->t.error, "%s: %s", clcnn_status_name(s), clcnn_last_error());
}

static clcnn_status keep_history(tune_execution *ex, const clcnn_fit_result *res) {
    ex->n_epochs = res->epochs_done;
    ex->seconds = res->seconds;
    ex->history = malloc((size_t)(res->epochs_done ? res->epochs_done : 1) * sizeof *ex->history);
    if (!ex->history) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "tune: out of memory");
    memcpy(ex->history, res->history, (size_t)res->epochs_done * sizeof *ex->history);
    return CLCNN_STATUS_OK;
}

/* One execution: a fresh fit (from the parent's weights under Hyperband) into the trial folder. */
static clcnn_status run_execution(const tune_job *job, clcnn_spec *spec,
                                  const clcnn_trial_request *req, const char *dir, const char *init,
                                  tune_execution *ex, clcnn_fit_result *res) {
    clcnn_fit_options fo = clcnn_fit_options_default();
    fo.out_dir = dir;
    fo.init_model = init;
    fo.initial_epoch = req->initial_epoch;
    fo.evaluate_test = 0; /* the test set stays out of model selection */
    fo.stop = job->opt->stop;
    fo.progress = job->opt->progress;
    fo.user = job->opt->user;
    clcnn_status s = clcnn_fit(job->ctx, spec, &fo, res);
    clcnn_status k = keep_history(ex, res);
    if (k != CLCNN_STATUS_OK) return k;
    if (s == CLCNN_STATUS_OK && res->stopped) return CLCNN_STATUS_INTERRUPTED;
    ex->score = tune_best_epoch_value(ex->history, ex->n_epochs,
                                      clcnn_metric_parse(spec->tune.objective), job->maximize);
    if (s == CLCNN_STATUS_OK && isnan(ex->score))
        return clcnn_fail(CLCNN_STATUS_NUMERIC_ERROR,
                          "the objective %s was never computed (%d epochs)", spec->tune.objective,
                          ex->n_epochs);
    return s;
}

/* Runs the executions one after the other; the first failure fails the trial. */
static clcnn_status run_executions(const tune_job *job, clcnn_spec *spec,
                                   const clcnn_trial_request *req, tune_record *rec,
                                   clcnn_fit_result *res) {
    const char *out = job->opt->out_dir;
    char dir[CLCNN_PATH_MAX + 32], init[CLCNN_PATH_MAX + 64];
    tune_trial_path(out, req->trial_id, NULL, dir, sizeof dir);
    if (req->parent_trial_id >= 0)
        tune_trial_path(out, req->parent_trial_id, "model.safetensors", init, sizeof init);
    uint64_t seed = spec->train.seed;
    double sum = 0;
    for (int e = 0; e < rec->n_exec; e++) {
        tune_execution *ex = &rec->exec[e];
        ex->seed = spec->train.seed = seed + (uint64_t)e;
        ex->score = NAN;
        clcnn_status s =
            run_execution(job, spec, req, dir, req->parent_trial_id >= 0 ? init : NULL, ex, res);
        if (is_trial_failure(s)) {
            rec->n_exec = e + 1; /* the failing execution's history is kept in trial.json */
            fail_trial(rec, s);
            return CLCNN_STATUS_OK;
        }
        CLCNN_TRY(s);
        sum += ex->score;
    }
    rec->t.status = CLCNN_TRIAL_COMPLETED;
    rec->t.score = sum / rec->n_exec;
    return CLCNN_STATUS_OK;
}

clcnn_status tune_trial_run(const tune_job *job, const clcnn_trial_request *req, tune_record *rec) {
    const clcnn_spec *search = job->search;
    int n = search->tune.executions_per_trial > 0 ? search->tune.executions_per_trial : 1;
    rec->exec = calloc((size_t)n, sizeof *rec->exec);
    clcnn_spec *spec = malloc(sizeof *spec);
    clcnn_fit_result *res = malloc(sizeof *res);
    clcnn_status s = rec->exec && spec && res
                         ? CLCNN_STATUS_OK
                         : clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "tune: out of memory");
    rec->n_exec = rec->exec ? n : 0;
    if (s == CLCNN_STATUS_OK) s = tune_store_reset_trial_dir(job->opt->out_dir, req->trial_id);
    double t0 = clcnn_now();
    if (s == CLCNN_STATUS_OK) {
        clcnn_status built = tune_trial_spec(job, req->values, req->epochs, spec);
        rec->t.epochs = built == CLCNN_STATUS_OK ? spec->train.epochs : 0; /* 0: never trained */
        if (built == CLCNN_STATUS_OK) {
            s = run_executions(job, spec, req, rec, res);
        } else if (is_trial_failure(built)) {
            rec->n_exec = 0;
            fail_trial(rec, built);
        } else {
            s = built;
        }
    }
    rec->t.seconds = clcnn_now() - t0;
    /* Optimizer state only serves `clcnn train --resume`; an interrupted trial restarts instead. */
    if (s == CLCNN_STATUS_OK)
        tune_store_remove_trial_file(job->opt->out_dir, req->trial_id, "optimizer.safetensors");
    free(spec);
    free(res);
    return s;
}
