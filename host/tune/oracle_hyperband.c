/* tune/oracle_hyperband.c: Hyperband (Li et al., JMLR 2018) with KerasTuner's bracket arithmetic:
 * brackets from the most aggressive (many trials, few epochs) down to plain random search, each
 * a run of successive halving where the best of a round continue training in the next.
 *
 * KerasTuner computes log(max_epochs, factor) in floating point; for 81 and 3 Python's
 * math.log gives exactly 4.0, so both get the published 211-trial schedule (81/27/9/3/1 trials at
 * 1/3/9/27/81 epochs...). Here the logarithm is exact integer arithmetic, which keeps that
 * schedule where the float one lands just above an integer (5^6 = 15625 with factor 5, 6^6 and
 * 7^5 with theirs: KerasTuner's ceil then adds one to bracket 0's size).
 *
 * A round starts once the previous one is told in full (a parallel search hands out a round's
 * trials at once and waits for them at its end, as KerasTuner's Hyperband does): round r promotes
 * the best size(r) successful trials of round r-1, best first. A failed trial is never promoted;
 * when fewer than size(r) succeeded, fewer are promoted, and a round with none ends the bracket.
 * When the space has no new configuration left, round 0 closes with what it has. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "tune/oracle_internal.h"

typedef struct hb_state {
    int iteration, bracket, round; /* bracket counts down from the most aggressive one */
    int count;                     /* trials asked in the current round */
    int seq;                       /* bracket runs started before the current one */
    int round0_closed;             /* no new configuration was left for this round 0 */
    int done;
} hb_state;

static int64_t ipow(int64_t base, int e) {
    int64_t r = 1;
    while (e-- > 0)
        r *= base;
    return r;
}

/* KerasTuner's count: how many of max_epochs, max_epochs/factor, ... are >= 1. */
static int num_brackets(int max_epochs, int factor) {
    int n = 0;
    for (int64_t p = 1; p <= max_epochs; p *= factor)
        n++;
    return n;
}

/* ceil(1 + log_factor(max_epochs)): KerasTuner's size of bracket 0. */
static int64_t bracket0_size(int max_epochs, int factor) {
    int k = 0;
    for (int64_t p = 1; p < max_epochs; p *= factor)
        k++;
    return 1 + k;
}

/* ceil(bracket0_size / (bracket + 1) * factor^(bracket - round)), so every bracket spends about
 * the same number of epochs. */
static int round_size(int max_epochs, int factor, int bracket, int round) {
    int64_t num = bracket0_size(max_epochs, factor) * ipow(factor, bracket - round);
    int64_t size = (num + bracket) / (bracket + 1);
    return size > INT_MAX ? INT_MAX : (int)size;
}

/* ceil(max_epochs / factor^(bracket - round)). */
static int round_epochs(int max_epochs, int factor, int bracket, int round) {
    int64_t d = ipow(factor, bracket - round);
    return (int)((max_epochs + d - 1) / d);
}

int64_t clcnn_hyperband_schedule_size(int max_epochs, int factor, int iterations) {
    if (max_epochs < 1 || factor < 2 || iterations < 1) return 0;
    int64_t n = 0;
    for (int b = num_brackets(max_epochs, factor) - 1; b >= 0; b--)
        for (int r = 0; r <= b; r++)
            n += round_size(max_epochs, factor, b, r);
    return n * iterations;
}

static clcnn_status hyperband_init(clcnn_oracle *o) {
    hb_state *hb = calloc(1, sizeof *hb);
    if (!hb) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "hyperband: out of memory");
    hb->bracket = num_brackets(o->opt.max_epochs, o->opt.factor) - 1;
    o->state = hb;
    return CLCNN_STATUS_OK;
}

static void hyperband_free(clcnn_oracle *o) {
    free(o->state);
    o->state = NULL;
}

/* The saved state, under "hyperband": the position in the schedule. */
static int hyperband_fields(const clcnn_oracle *o, tune_state_field *f) {
    hb_state *hb = o->state;
    f[0] = (tune_state_field){"iteration", &hb->iteration, NULL, 0};
    f[1] = (tune_state_field){"bracket", &hb->bracket, NULL, 0};
    f[2] = (tune_state_field){"round", &hb->round, NULL, 0};
    f[3] = (tune_state_field){"count", &hb->count, NULL, 0};
    f[4] = (tune_state_field){"seq", &hb->seq, NULL, 0};
    f[5] = (tune_state_field){"round0_closed", &hb->round0_closed, NULL, 0};
    f[6] = (tune_state_field){"done", &hb->done, NULL, 0};
    return 7;
}

static clcnn_status bad(const char *what, long long v) {
    return clcnn_fail(CLCNN_STATUS_PARSE_ERROR, "oracle state: %s (%lld)", what, v);
}

/* A restored position must be one the schedule reaches: a negative count indexed the ranking,
 * a huge bracket overflowed the round sizes and kept the search going past its budget. */
static clcnn_status hyperband_check(const clcnn_oracle *o) {
    const hb_state *hb = o->state;
    int brackets = num_brackets(o->opt.max_epochs, o->opt.factor);
    if (hb->done != 0 && hb->done != 1) return bad("hyperband.done", hb->done);
    if (hb->round0_closed != 0 && hb->round0_closed != 1)
        return bad("hyperband.round0_closed", hb->round0_closed);
    if (hb->iteration < 0 || hb->iteration > o->opt.hyperband_iterations)
        return bad("hyperband.iteration is outside the iterations", hb->iteration);
    if (hb->seq < 0 || (long long)hb->seq > (long long)brackets * o->opt.hyperband_iterations)
        return bad("hyperband.seq is outside the schedule", hb->seq);
    for (int i = 0; i < o->n_trials; i++)
        if (o->trials[i].seq > hb->seq)
            return bad("a trial's bracket run (seq) is after hyperband.seq", o->trials[i].seq);
    if (hb->done) return CLCNN_STATUS_OK;
    if (hb->iteration == o->opt.hyperband_iterations)
        return bad("hyperband.iteration is past the last one of a search not done", hb->iteration);
    if (hb->bracket < 0 || hb->bracket >= brackets)
        return bad("hyperband.bracket is outside the schedule", hb->bracket);
    if (hb->round < 0 || hb->round > hb->bracket)
        return bad("hyperband.round is outside its bracket", hb->round);
    int size = round_size(o->opt.max_epochs, o->opt.factor, hb->bracket, hb->round);
    if (hb->count < 0 || hb->count > size)
        return bad("hyperband.count is outside the round's size", hb->count);
    return CLCNN_STATUS_OK;
}

typedef struct ranked {
    double loss;
    int index;
} ranked;

static int by_loss(const void *a, const void *b) {
    const ranked *x = a, *y = b;
    if (x->loss != y->loss) return x->loss < y->loss ? -1 : 1;
    return x->index - y->index;
}

/* The successful trials of round `round` in the current bracket run, best first (ties by id).
 * Returns how many; *out is malloc'ed (NULL when none). */
static clcnn_status rank_round(const clcnn_oracle *o, int round, ranked **out, int *count) {
    const hb_state *hb = o->state;
    *out = NULL;
    *count = 0;
    ranked *r = malloc((size_t)(o->n_trials + 1) * sizeof *r);
    if (!r) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "hyperband: out of memory");
    int n = 0;
    for (int i = 0; i < o->n_trials; i++) {
        const tune_trial *t = &o->trials[i];
        if (t->seq == hb->seq && t->req.round == round && t->state == TUNE_OK)
            r[n++] = (ranked){tune_loss(o, t->score), i};
    }
    qsort(r, (size_t)n, sizeof *r, by_loss);
    *out = r;
    *count = n;
    return CLCNN_STATUS_OK;
}

static void next_bracket(clcnn_oracle *o) {
    hb_state *hb = o->state;
    hb->seq++;
    hb->round = hb->count = hb->round0_closed = 0;
    if (--hb->bracket >= 0) return;
    if (++hb->iteration >= o->opt.hyperband_iterations) {
        hb->done = 1;
        return;
    }
    hb->bracket = num_brackets(o->opt.max_epochs, o->opt.factor) - 1;
}

static void fill_round(const clcnn_oracle *o, clcnn_trial_request *req) {
    const hb_state *hb = o->state;
    req->epochs = round_epochs(o->opt.max_epochs, o->opt.factor, hb->bracket, hb->round);
    req->bracket = hb->bracket;
    req->round = hb->round;
}

/* Round 0: a new random configuration, or closes the round when none is left. Returns 1 when a
 * trial was filled. */
static clcnn_status new_config(clcnn_oracle *o, clcnn_trial_request *req, int *filled) {
    hb_state *hb = o->state;
    clcnn_status st = tune_random_config(o, req->values);
    *filled = st == CLCNN_STATUS_OK;
    if (st == CLCNN_STATUS_EXHAUSTED) {
        hb->round0_closed = 1;
        return CLCNN_STATUS_OK;
    }
    if (st != CLCNN_STATUS_OK) return st;
    fill_round(o, req);
    return CLCNN_STATUS_OK;
}

/* Round r > 0: the count-th best of round r-1 continues, or the round is full. */
static clcnn_status promote(clcnn_oracle *o, clcnn_trial_request *req, int *filled) {
    const hb_state *hb = o->state;
    ranked *r;
    int n;
    CLCNN_TRY(rank_round(o, hb->round - 1, &r, &n));
    int size = round_size(o->opt.max_epochs, o->opt.factor, hb->bracket, hb->round);
    *filled = hb->count < (n < size ? n : size);
    if (*filled) {
        const tune_trial *parent = &o->trials[r[hb->count].index];
        memcpy(req->values, parent->req.values, sizeof req->values);
        req->parent_trial_id = parent->req.trial_id;
        req->initial_epoch = parent->req.epochs;
        fill_round(o, req);
    }
    free(r);
    return CLCNN_STATUS_OK;
}

static int round0_full(const clcnn_oracle *o) {
    const hb_state *hb = o->state;
    int size = round_size(o->opt.max_epochs, o->opt.factor, hb->bracket, 0);
    return hb->round0_closed || hb->count >= size;
}

static clcnn_status hyperband_next(clcnn_oracle *o, tune_trial *t) {
    hb_state *hb = o->state;
    clcnn_trial_request *req = &t->req;
    for (;;) {
        if (tune_budget_spent(o))
            return clcnn_fail(CLCNN_STATUS_EXHAUSTED, "hyperband: max_trials (%d) reached",
                              o->opt.max_trials);
        if (hb->done) return clcnn_fail(CLCNN_STATUS_EXHAUSTED, "hyperband: schedule finished");
        int filled = 0;
        if (hb->round > 0)
            CLCNN_TRY(promote(o, req, &filled));
        else if (!round0_full(o))
            CLCNN_TRY(new_config(o, req, &filled));
        if (filled) {
            t->seq = hb->seq;
            hb->count++;
            return CLCNN_STATUS_OK;
        }
        /* The round is full: the next round of this bracket, or the next bracket, once every
         * trial of this one is told. */
        if (o->n_pending > 0) {
            o->wait = 1;
            return clcnn_fail(CLCNN_STATUS_EXHAUSTED, "hyperband: the round's trials are running");
        }
        if (hb->round < hb->bracket && hb->count > 0) {
            hb->round++;
            hb->count = 0;
        } else {
            next_bracket(o);
        }
    }
}

const tune_oracle_type tune_oracle_hyperband = {
    .init = hyperband_init,
    .next = hyperband_next,
    .free = hyperband_free,
    .state_key = "hyperband",
    .state_fields = hyperband_fields,
    .check = hyperband_check,
    .scheduled = 1,
};
