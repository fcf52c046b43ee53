/* tune/oracle_check.c: a restored oracle's state validated as a whole before anything uses it.
 * oracle.json may be edited, truncated or written by another version; the reader checks each
 * field's type, and this checks what the fields mean together: trial values are legal encodings
 * of their hyperparameters (a choice index indexes), epochs and Hyperband positions are in range;
 * then the algorithm checks its own state (type->check: the Bayesian design, the Hyperband
 * schedule, where a negative count indexed the ranking and a huge bracket overflowed it). */
#include <math.h>

#include "tune/oracle_internal.h"

static clcnn_status bad_trial(const tune_trial *t, const char *what, long long v) {
    return clcnn_fail(CLCNN_STATUS_PARSE_ERROR, "oracle state: trial %d: %s (%lld)",
                      t->req.trial_id, what, v);
}

static clcnn_status check_trial(const clcnn_oracle *o, const tune_trial *t) {
    const clcnn_trial_request *r = &t->req;
    for (int i = 0; i < o->space.n; i++) {
        double v = r->values[i];
        if (!isnan(v) && !clcnn_hparam_is_legal(&o->space.hp[i], v))
            return clcnn_fail(CLCNN_STATUS_PARSE_ERROR,
                              "oracle state: trial %d: values[%d] (%s) is %.17g, not a value of "
                              "that hyperparameter", r->trial_id, i, o->space.hp[i].name, v);
    }
    if (r->epochs < 0 || r->epochs > o->opt.max_epochs)
        return bad_trial(t, "epochs is outside 0 to max_epochs", r->epochs);
    if (r->initial_epoch < 0 || r->initial_epoch > r->epochs)
        return bad_trial(t, "initial_epoch is outside 0 to its epochs", r->initial_epoch);
    if (r->bracket < 0 || r->bracket > 64 || r->round < 0 || r->round > r->bracket)
        return bad_trial(t, "bracket or round is out of range", r->bracket);
    if (t->seq < 0) return bad_trial(t, "seq is negative", t->seq);
    return CLCNN_STATUS_OK;
}

clcnn_status tune_oracle_check(const clcnn_oracle *o) {
    if (o->type->check) CLCNN_TRY(o->type->check(o));
    for (int i = 0; i < o->n_trials; i++)
        CLCNN_TRY(check_trial(o, &o->trials[i]));
    return CLCNN_STATUS_OK;
}
