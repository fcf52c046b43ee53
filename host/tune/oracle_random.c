/* tune/oracle_random.c: random search: each ask a uniformly random configuration not asked before,
 * until max_trials or the space runs out. It keeps no state besides the oracle's trials and RNG. */
#include "tune/oracle_internal.h"

static clcnn_status random_next(clcnn_oracle *o, tune_trial *t) {
    if (tune_budget_spent(o))
        return clcnn_fail(CLCNN_STATUS_EXHAUSTED, "oracle: max_trials (%d) reached",
                          o->opt.max_trials);
    return tune_random_config(o, t->req.values);
}

const tune_oracle_type tune_oracle_random = {.next = random_next};
