/* tune/acquisition.c: where the Bayesian oracle looks next. Log expected improvement is scored on
 * many candidates, half uniform over the space and half perturbations of the best trials (where
 * the optimum usually is, and where uniform points are too sparse in more than a few
 * dimensions); the best few are refined: L-BFGS along the numeric dimensions (grids relaxed to
 * continuous, then snapped), then greedy moves on the discrete ones (other choices, neighbouring
 * grid values, flipped booleans), then L-BFGS again if a move was taken. Configurations already
 * asked are never returned, nor, when the oracle asks so, candidates within balls around settled
 * optima. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tune/gp.h"

/* Candidates per ask unless the options say: more in more dimensions, where they are sparser. */
#define CANDIDATES(d) ((d) < 25 ? 500 + 100 * (d) : 3000)
#define N_REFINE 5
#define REFINE_ITERS 40
#define MOVE_ROUNDS 4
#define MAX_ANCHORS 8

typedef struct acq {
    const tune_space *s;
    const tune_gp *gp;
    double best;
    double *work;                /* 2n for predictions */
    double z[CLCNN_MAX_HPARAMS]; /* encoded point the continuous search moves from */
    int free_dim[CLCNN_MAX_HPARAMS], n_free;
    const double *avoid; /* n_avoid unit positions of settled optima to look away from */
    int n_avoid;
    double avoid_r; /* ... and the radius (unit box) no candidate may fall within */
} acq;

/* Whether latent positions u fall within an excluded ball. */
static int excluded(const acq *a, const double *u) {
    int d = a->s->n;
    for (int k = 0; k < a->n_avoid; k++) {
        const double *c = a->avoid + (size_t)k * d;
        double r2 = 0;
        for (int j = 0; j < d; j++)
            if (!isnan(c[j])) r2 += (u[j] - c[j]) * (u[j] - c[j]);
        if (r2 < a->avoid_r * a->avoid_r) return 1;
    }
    return 0;
}

static double score_z(const acq *a, const double *z) {
    double mu, var;
    tune_gp_predict(a->gp, z, &mu, &var, NULL, NULL, a->work);
    return tune_log_ei(mu, var, a->best, NULL, NULL);
}

/* log EI of the configuration latent positions u decode to; values gets that configuration. */
static double score_u(const acq *a, const double *u, double *values) {
    double z[CLCNN_MAX_HPARAMS];
    tune_space_decode(a->s, u, values);
    tune_space_encode(a->s, values, z);
    return score_z(a, z);
}

static double neg_log_ei(const double *x, double *grad, void *ctx) {
    acq *a = ctx;
    double z[CLCNN_MAX_HPARAMS], dmu[CLCNN_MAX_HPARAMS], dvar[CLCNN_MAX_HPARAMS], mu, var, gm, gv;
    memcpy(z, a->z, (size_t)a->s->n * sizeof *z);
    for (int k = 0; k < a->n_free; k++)
        z[a->free_dim[k]] = x[k];
    tune_gp_predict(a->gp, z, &mu, &var, dmu, dvar, a->work);
    double lei = tune_log_ei(mu, var, a->best, &gm, &gv);
    for (int k = 0; k < a->n_free; k++) {
        int j = a->free_dim[k];
        grad[k] = -(gm * dmu[j] + gv * dvar[j]);
    }
    return -lei;
}

/* L-BFGS over the active numeric dimensions; keeps the result only if it scores better after
 * snapping to the grid. */
static double refine_numeric(acq *a, double *u, double current) {
    double values[CLCNN_MAX_HPARAMS], x[CLCNN_MAX_HPARAMS], lo[CLCNN_MAX_HPARAMS],
        hi[CLCNN_MAX_HPARAMS], moved[CLCNN_MAX_HPARAMS];
    tune_space_decode(a->s, u, values);
    tune_space_encode(a->s, values, a->z);
    a->n_free = 0;
    for (int j = 0; j < a->s->n; j++) {
        const clcnn_hparam *hp = &a->s->hp[j];
        if (isnan(values[j]) || tune_hp_is_categorical(hp) || tune_hp_levels(hp) == 1) continue;
        x[a->n_free] = a->z[j];
        lo[a->n_free] = 0;
        hi[a->n_free] = 1;
        a->free_dim[a->n_free++] = j;
    }
    if (a->n_free == 0) return current;
    tune_lbfgs(neg_log_ei, a, a->n_free, x, lo, hi, REFINE_ITERS, 1e-10);
    memcpy(moved, u, (size_t)a->s->n * sizeof *u);
    for (int k = 0; k < a->n_free; k++)
        moved[a->free_dim[k]] = x[k];
    double v = score_u(a, moved, values);
    if (!(v > current)) return current;
    memcpy(u, moved, (size_t)a->s->n * sizeof *u);
    return v;
}

/* Latent positions of the values a discrete move may go to from the current one. */
static int move_targets(const clcnn_hparam *hp, double value, double *targets) {
    int64_t levels = tune_hp_levels(hp), k = tune_hp_level_index(hp, value), n = 0;
    if (levels < 2) return 0;
    if (tune_hp_is_categorical(hp)) {
        for (int64_t c = 0; c < levels; c++)
            if (c != k) targets[n++] = ((double)c + 0.5) / (double)levels;
        return (int)n;
    }
    if (k > 0) targets[n++] = tune_hp_to_unit(hp, tune_hp_level_value(hp, k - 1));
    if (k + 1 < levels) targets[n++] = tune_hp_to_unit(hp, tune_hp_level_value(hp, k + 1));
    return (int)n;
}

/* One greedy step: the single discrete change that raises log EI most. 0 when none does. */
static int best_move(const acq *a, double *u, double *current) {
    double values[CLCNN_MAX_HPARAMS], scratch[CLCNN_MAX_HPARAMS], targets[CLCNN_HP_MAX_CHOICES];
    int best_j = -1;
    double best_u = 0;
    tune_space_decode(a->s, u, values);
    for (int j = 0; j < a->s->n; j++) {
        if (isnan(values[j])) continue;
        int nt = move_targets(&a->s->hp[j], values[j], targets);
        double keep = u[j];
        for (int t = 0; t < nt; t++) {
            u[j] = targets[t];
            double v = score_u(a, u, scratch);
            if (v > *current) {
                *current = v;
                best_j = j;
                best_u = targets[t];
            }
        }
        u[j] = keep;
    }
    if (best_j >= 0) u[best_j] = best_u;
    return best_j >= 0;
}

static double refine(acq *a, double *u, double current) {
    current = refine_numeric(a, u, current);
    int moved = 0;
    for (int r = 0; r < MOVE_ROUNDS && best_move(a, u, &current); r++)
        moved = 1;
    if (moved) current = refine_numeric(a, u, current);
    return current;
}

static double reflect(double x) {
    x = x < 0 ? -x : x;
    x = x > 1 ? 2 - x : x;
    return fmin(1, fmax(0, x));
}

/* A perturbation of an anchor: numeric positions moved by a random scale (from fine tuning to
 * broad), categories redrawn now and then; in many dimensions only some coordinates move. */
static void perturb(const tune_space *s, clcnn_rng *rng, const double *anchor, double *u) {
    static const double scales[] = {0.005, 0.02, 0.08, 0.25};
    double sigma = scales[clcnn_rng_below(rng, 4)];
    double p = s->n <= 5 ? 1.0 : 5.0 / s->n;
    int changed = 0;
    memcpy(u, anchor, (size_t)s->n * sizeof *u);
    for (int j = 0; j < s->n; j++) {
        int cat = tune_hp_is_categorical(&s->hp[j]);
        if (clcnn_rng_uniform(rng) >= (cat ? 1.0 / s->n : p)) continue;
        u[j] = cat ? clcnn_rng_uniform(rng) : reflect(u[j] + sigma * clcnn_rng_normal(rng));
        changed = 1;
    }
    if (!changed) {
        int j = (int)clcnn_rng_below(rng, (uint64_t)s->n);
        u[j] = reflect(u[j] + sigma * clcnn_rng_normal(rng));
    }
}

typedef struct scored {
    double value;
    int index;
} scored;

static int by_value_desc(const void *a, const void *b) {
    const scored *x = a, *y = b;
    if (x->value != y->value) return x->value > y->value ? -1 : 1;
    return x->index - y->index;
}

/* Fills n candidates (latent rows of u) and scores them, best first in order. */
static void score_candidates(clcnn_oracle *o, const acq *a, const int *anchors, int n_anchors,
                             int n, double *u, scored *order) {
    int d = o->space.n;
    double values[CLCNN_MAX_HPARAMS], anchor_u[MAX_ANCHORS][CLCNN_MAX_HPARAMS];
    n_anchors = n_anchors < MAX_ANCHORS ? n_anchors : MAX_ANCHORS;
    for (int k = 0; k < n_anchors; k++)
        tune_space_to_unit(&o->space, o->trials[anchors[k]].req.values, anchor_u[k]);
    for (int i = 0; i < n; i++) {
        double *ui = u + (size_t)i * d;
        if (i % 2 == 0 || n_anchors == 0)
            tune_space_sample_unit(&o->space, &o->rng, ui);
        else
            perturb(&o->space, &o->rng, anchor_u[clcnn_rng_below(&o->rng, (uint64_t)n_anchors)],
                    ui);
        double v = score_u(a, ui, values);
        int no = tune_set_contains(&o->seen, values) || excluded(a, ui);
        order[i] = (scored){no ? -INFINITY : v, i};
    }
    qsort(order, (size_t)n, sizeof *order, by_value_desc);
}

/* Refines the best few, then returns the best-scoring configuration not asked yet. */
static clcnn_status choose(clcnn_oracle *o, acq *a, double *u, scored *order, int n, double *values,
                           double *log_ei) {
    int d = o->space.n, top = n < N_REFINE ? n : N_REFINE;
    for (int k = 0; k < top && isfinite(order[k].value); k++) {
        double *uk = u + (size_t)order[k].index * d;
        double v = refine(a, uk, order[k].value);
        tune_space_decode(&o->space, uk, values);
        order[k].value = tune_set_contains(&o->seen, values) || excluded(a, uk) ? -INFINITY : v;
    }
    qsort(order, (size_t)n, sizeof *order, by_value_desc);
    for (int k = 0; k < n && order[k].value > -INFINITY; k++) {
        tune_space_decode(&o->space, u + (size_t)order[k].index * d, values);
        *log_ei = order[k].value;
        if (!tune_set_contains(&o->seen, values) && !excluded(a, u + (size_t)order[k].index * d))
            return CLCNN_STATUS_OK;
    }
    return clcnn_fail(CLCNN_STATUS_EXHAUSTED, "oracle: every candidate was asked before");
}

clcnn_status tune_acq_maximize(clcnn_oracle *o, const tune_gp *gp, const tune_acq_target *t,
                               double *values, double *log_ei) {
    int d = o->space.n, n = o->opt.n_candidates > 0 ? o->opt.n_candidates : CANDIDATES(d);
    acq a = {.s = &o->space,
             .gp = gp,
             .best = t->best,
             .avoid = t->avoid,
             .n_avoid = t->n_avoid,
             .avoid_r = t->avoid_r};
    a.work = malloc(2 * (size_t)gp->n * sizeof *a.work);
    double *u = malloc((size_t)n * (size_t)d * sizeof *u);
    scored *order = malloc((size_t)n * sizeof *order);
    clcnn_status st = CLCNN_STATUS_OK;
    if (!a.work || !u || !order)
        st = clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "oracle: out of memory");
    if (st == CLCNN_STATUS_OK) {
        score_candidates(o, &a, t->anchor, t->n_anchors, n, u, order);
        st = choose(o, &a, u, order, n, values, log_ei);
    }
    free(a.work);
    free(u);
    free(order);
    return st;
}
