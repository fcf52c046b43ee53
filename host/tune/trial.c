/* tune/trial.c: what a trial is before it trains, shared by the driver (tuner.c: the event that
 * announces it, best.yaml, the retraining of the best) and the runner (trial_run.c): the record a
 * request starts, and the concrete spec of a trial's values. */
#include <math.h>
#include <string.h>

#include "tune/tuner_internal.h"

void tune_trial_init(clcnn_tune_trial *t, const clcnn_trial_request *req, int n_values,
                     int default_epochs) {
    memset(t, 0, sizeof *t);
    t->id = req->trial_id;
    t->status = CLCNN_TRIAL_RUNNING;
    t->score = NAN;
    memcpy(t->values, req->values, (size_t)n_values * sizeof req->values[0]);
    t->epochs = req->epochs ? req->epochs : default_epochs;
    t->initial_epoch = req->initial_epoch;
    t->parent_trial_id = req->parent_trial_id;
    t->bracket = req->bracket;
    t->round = req->round;
}

clcnn_status tune_trial_spec(const tune_job *job, const double *values, int epochs,
                             clcnn_spec *out) {
    *out = *job->search;
    CLCNN_TRY(clcnn_spec_apply_hparams(out, job->space, values));
    /* Hyperband decides the epochs; the config's train.epochs is the other algorithms' budget. */
    if (epochs > 0) out->train.epochs = epochs;
    return clcnn_spec_validate(out);
}
