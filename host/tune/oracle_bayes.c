/* tune/oracle_bayes.c: Bayesian optimization: a Latin hypercube initial design, then each ask fits
 * the Gaussian process (gp.c) to every finished trial and maximizes log expected improvement
 * (acquisition.c).
 *
 * Scores become losses (lower is better), warped and standardized before the fit (warp.c). A
 * failed trial is modelled as the worst successful loss so far, so the search steers away from
 * regions that fail (a learning rate that diverges) without a failed trial ever being the
 * incumbent. A pending trial (a parallel search) is modelled the same way, a constant liar, so
 * concurrent asks are pushed away from each other. When the model expects no gain anywhere, humbler
 * copies of it are asked before giving in to polishing the incumbent (see propose), and when the
 * best stops improving every other ask looks away from the best basins (see escape_turn). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tune/gp.h"

#define FIT_ITERS 60           /* L-BFGS iterations per start of the hyperparameter fit */
#define RESTART_EVERY 4        /* fits between extra starts besides the warm one (see fit_starts) */
#define N_ANCHORS 5            /* best trials the local candidates are drawn around */
#define STALL_LOG_EI log(1e-4) /* EI (of standardized losses) below which the model is doubted */
#define STALL_SHARE 1e-3       /* a gain below this share of (median - best) is polishing */
#define ESCAPE_AFTER 5         /* stalled trials before every other ask looks elsewhere */
#define ESCAPE_TOP_SHARE 0.3   /* the best share of the trials whose basins are left out */
#define ESCAPE_RADIUS 0.15     /* a basin's radius in the unit box, times sqrt(dimensions) */
#define MAX_BALLS 8            /* basins left out at most */

typedef struct bayes_state {
    double *design; /* n_design x n latent points of the initial design */
    int n_design;
    double theta[TUNE_GP_NTHETA]; /* last fitted GP hyperparameters, a warm start */
    int has_theta;
    int n_fits;
} bayes_state;

/* One point per row and column stratum in every dimension: an even spread with few points. */
static clcnn_status latin_hypercube(clcnn_rng *rng, int n, int d, double *out) {
    uint32_t *perm = malloc((size_t)n * sizeof *perm);
    if (!perm) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "oracle: out of memory");
    for (int j = 0; j < d; j++) {
        for (int i = 0; i < n; i++)
            perm[i] = (uint32_t)i;
        clcnn_rng_shuffle_u32(rng, perm, (size_t)n);
        for (int i = 0; i < n; i++)
            out[(size_t)i * d + j] = (perm[i] + clcnn_rng_uniform(rng)) / n;
    }
    free(perm);
    return CLCNN_STATUS_OK;
}

static clcnn_status bayes_init(clcnn_oracle *o) {
    int d = o->space.n;
    int n = o->opt.initial_points > 0 ? o->opt.initial_points : (2 * d + 1 > 5 ? 2 * d + 1 : 5);
    if (o->opt.max_trials > 0 && n > o->opt.max_trials) n = o->opt.max_trials;
    bayes_state *b = calloc(1, sizeof *b);
    o->state = b;
    if (b) b->design = malloc((size_t)n * (size_t)d * sizeof *b->design + 1);
    if (!b || !b->design) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "oracle: out of memory");
    b->n_design = n;
    return latin_hypercube(&o->rng, n, d, b->design);
}

static void bayes_free(clcnn_oracle *o) {
    bayes_state *b = o->state;
    if (b) free(b->design);
    free(b);
    o->state = NULL;
}

/* The saved state, under "bayes": the design (drawn at creation, so it must not be drawn again
 * from the restored RNG) and the warm start of the next fit. */
static int bayes_fields(const clcnn_oracle *o, tune_state_field *f) {
    bayes_state *b = o->state;
    f[0] = (tune_state_field){"design", NULL, b->design, b->n_design * o->space.n};
    f[1] = (tune_state_field){"theta", NULL, b->theta, o->space.n + 2};
    f[2] = (tune_state_field){"has_theta", &b->has_theta, NULL, 0};
    f[3] = (tune_state_field){"n_fits", &b->n_fits, NULL, 0};
    return 4;
}

typedef struct dataset {
    int n;
    double *X, *y;                    /* n x d encoded inputs, n warped losses */
    double best;                      /* warped loss of the best successful trial */
    int anchor[N_ANCHORS], n_anchors; /* trial indices of the best successful ones, best first */
    int stall;                        /* successful trials since the best last improved clearly */
    int *rank, n_ok;                  /* every successful trial, best first */
} dataset;

typedef struct ranked_row {
    double loss;
    int trial, row;
} ranked_row;

static int by_loss(const void *a, const void *b) {
    const ranked_row *x = a, *y = b;
    if (x->loss != y->loss) return x->loss < y->loss ? -1 : 1;
    return x->trial - y->trial;
}

/* Trials (in ask order; losses NAN where failed or still pending) since the best last improved by
 * more than a small share of the gap between the median and the best: polishing an optimum counts
 * as no progress, and so do failed and pending trials (concurrent asks then take turns). */
static int stall_length(const double *loss, int n, double median, double lo) {
    double tol = STALL_SHARE * (median - lo), best = INFINITY;
    int last = 0;
    for (int i = 0; i < n; i++)
        if (loss[i] < best - tol) {
            best = loss[i];
            last = i;
        }
    return n - 1 - last;
}

/* Settled optima to look away from: their unit positions and the radius of their basins. */
typedef struct escape {
    double centre[MAX_BALLS * CLCNN_MAX_HPARAMS]; /* n_balls unit positions */
    int n_balls;
    double radius;
} escape;

static double unit_dist(const double *a, const double *b, int d) {
    double r2 = 0;
    for (int j = 0; j < d; j++)
        if (!isnan(a[j]) && !isnan(b[j])) r2 += (a[j] - b[j]) * (a[j] - b[j]);
    return sqrt(r2);
}

static int inside(const clcnn_oracle *o, const escape *away, const double *values) {
    double u[CLCNN_MAX_HPARAMS];
    tune_space_to_unit(&o->space, values, u);
    for (int k = 0; k < away->n_balls; k++)
        if (unit_dist(u, away->centre + (size_t)k * o->space.n, o->space.n) < away->radius)
            return 1;
    return 0;
}

/* Every asked trial as a GP row; failed and pending ones take the worst successful loss. */
static clcnn_status collect(const clcnn_oracle *o, const escape *away, dataset *ds,
                            ranked_row *ok) {
    int d = o->space.n, n = 0, n_ok = 0;
    double worst = -INFINITY;
    for (int i = 0; i < o->n_trials; i++) {
        const tune_trial *t = &o->trials[i];
        if (away && inside(o, away, t->req.values)) continue;
        tune_space_encode(&o->space, t->req.values, ds->X + (size_t)n * d);
        ds->y[n] = t->state == TUNE_OK ? tune_loss(o, t->score) : NAN;
        if (t->state == TUNE_OK) {
            ok[n_ok++] = (ranked_row){ds->y[n], i, n};
            worst = fmax(worst, ds->y[n]);
        }
        n++;
    }
    if (n_ok == 0) return clcnn_fail(CLCNN_STATUS_NOT_FOUND, "oracle: no trial succeeded yet");
    qsort(ok, (size_t)n_ok, sizeof *ok, by_loss);
    ds->stall = stall_length(ds->y, n, ok[n_ok / 2].loss, ok[0].loss);
    for (int i = 0; i < n; i++)
        if (isnan(ds->y[i])) ds->y[i] = worst;
    ds->n_anchors = n_ok < N_ANCHORS ? n_ok : N_ANCHORS;
    for (int k = 0; k < ds->n_anchors; k++)
        ds->anchor[k] = ok[k].trial;
    for (int k = 0; k < n_ok; k++)
        ds->rank[k] = ok[k].trial;
    ds->n_ok = n_ok;
    ds->n = n;
    tune_warp_losses(ds->y, n);
    ds->best = ds->y[ok[0].row];
    return CLCNN_STATUS_OK;
}

static clcnn_status collect_alloc(const clcnn_oracle *o, const escape *away, dataset *ds) {
    size_t n = (size_t)o->n_trials + 1;
    ds->X = malloc(n * (size_t)o->space.n * sizeof *ds->X);
    ds->y = malloc(n * sizeof *ds->y);
    ds->rank = malloc(n * sizeof *ds->rank);
    ranked_row *ok = malloc(n * sizeof *ok);
    clcnn_status st = CLCNN_STATUS_OK;
    if (!ds->X || !ds->y || !ds->rank || !ok)
        st = clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "oracle: out of memory");
    if (st == CLCNN_STATUS_OK) st = collect(o, away, ds, ok);
    free(ok);
    return st;
}

/* Starts: the last fit (the data moved little since), and now and then the prior's centre and
 * draws from the prior, so a poor local optimum of the likelihood does not stick. */
static int fit_starts(clcnn_oracle *o, double *starts) {
    const bayes_state *b = o->state;
    int d = o->space.n, k = d + 2, n = 0;
    if (b->has_theta) memcpy(starts + (size_t)k * n++, b->theta, (size_t)k * sizeof(double));
    if (!b->has_theta || b->n_fits % RESTART_EVERY == 0)
        tune_gp_theta_default(d, starts + (size_t)k * n++);
    if (b->n_fits % (2 * RESTART_EVERY) == 0)
        for (int r = 0; r < 2; r++)
            tune_gp_theta_sample(d, &o->rng, starts + (size_t)k * n++);
    return n;
}

/* When the fitted model sees nothing left to gain (log EI below STALL_LOG_EI everywhere), it is
 * often overconfident rather than right: length scales fitted long on few distinct points make
 * it certain about regions it has barely seen, and the search then polishes one point forever.
 * Ask again of humbler models, with every length scale halved, then quartered: they keep the
 * data but doubt the space between, so an unseen basin or a flipped category gets its chance.
 * The fitted theta stays the warm start of the next fit. */
static clcnn_status propose(clcnn_oracle *o, tune_gp *gp, const dataset *ds, const escape *away,
                            const double *fitted, double *values) {
    double lei, theta[TUNE_GP_NTHETA];
    tune_acq_target t = {.best = ds->best, .anchor = ds->anchor, .n_anchors = ds->n_anchors};
    if (away) {
        t.avoid = away->centre;
        t.n_avoid = away->n_balls;
        t.avoid_r = away->radius;
    }
    clcnn_status st = tune_acq_maximize(o, gp, &t, values, &lei);
    for (int k = 1; k <= 2 && st == CLCNN_STATUS_OK && lei < STALL_LOG_EI; k++) {
        memcpy(theta, fitted, sizeof theta);
        for (int j = 0; j < o->space.n; j++)
            theta[j] -= k * log(2.0);
        st = tune_gp_set_theta(gp, theta);
        if (st == CLCNN_STATUS_OK) st = tune_acq_maximize(o, gp, &t, values, &lei);
    }
    return st;
}

/* Fits the GP to ds and proposes. The fit of all the data is the warm start of the next; a fit
 * of the data away from a settled optimum is used once. */
static clcnn_status fit_and_propose(clcnn_oracle *o, dataset *ds, const escape *away,
                                    double *values) {
    int d = o->space.n, cat[CLCNN_MAX_HPARAMS];
    for (int j = 0; j < d; j++)
        cat[j] = tune_hp_is_categorical(&o->space.hp[j]);
    tune_gp gp;
    CLCNN_TRY(tune_gp_init(&gp, ds->n, d, cat, ds->X, ds->y));
    bayes_state *b = o->state;
    clcnn_status st;
    double starts[4 * TUNE_GP_NTHETA];
    if (o->n_pending > 0 && b->has_theta) {
        /* Lies fitted as data would read as a rough function (a worst loss beside the best) and
         * shrink the length scales until they push nothing away: keep the fit of real results. */
        st = tune_gp_set_theta(&gp, b->theta);
    } else if (away) {
        memcpy(starts, b->theta, sizeof b->theta);
        tune_gp_theta_default(d, starts + d + 2);
        st = tune_gp_fit(&gp, starts, 2, FIT_ITERS);
    } else {
        int n_starts = fit_starts(o, starts);
        st = tune_gp_fit(&gp, starts, n_starts, FIT_ITERS);
        if (st == CLCNN_STATUS_OK) {
            memcpy(b->theta, gp.theta, (size_t)(d + 2) * sizeof *gp.theta);
            b->has_theta = 1;
            b->n_fits++;
        }
    }
    double fitted[TUNE_GP_NTHETA];
    memcpy(fitted, gp.theta, sizeof fitted);
    if (st == CLCNN_STATUS_OK) st = propose(o, &gp, ds, away, fitted, values);
    tune_gp_free(&gp);
    return st;
}

static void dataset_free(dataset *ds) {
    free(ds->X);
    free(ds->y);
    free(ds->rank);
    memset(ds, 0, sizeof *ds);
}

/* When the best has not moved for a while the search is polishing one optimum, and on a
 * multimodal function that optimum may be a local one (Hartmann-6's 0.119 trap). Every other ask
 * then leaves out the basins of the best trials (greedy balls around the best share of them, so
 * a runner-up basin is left out too rather than polished instead): the model is fitted to the
 * trials outside them and the acquisition may not look inside, so the search takes up the most
 * promising other region as if it were a fresh problem. A better optimum found there ends the
 * stall; until then the asks between keep polishing the incumbent. */
static int escape_turn(const clcnn_oracle *o, const dataset *ds, escape *away) {
    if (ds->stall < ESCAPE_AFTER || (ds->stall - ESCAPE_AFTER) % 2 != 0) return 0;
    int top = (int)(ESCAPE_TOP_SHARE * ds->n_ok);
    away->radius = ESCAPE_RADIUS * sqrt((double)o->space.n);
    away->n_balls = 0;
    for (int k = 0; k < (top > 1 ? top : 1) && away->n_balls < MAX_BALLS; k++) {
        const double *v = o->trials[ds->rank[k]].req.values;
        if (away->n_balls > 0 && inside(o, away, v)) continue;
        tune_space_to_unit(&o->space, v, away->centre + (size_t)away->n_balls++ * o->space.n);
    }
    return 1;
}

static int count_ok(const clcnn_oracle *o) {
    int n = 0;
    for (int i = 0; i < o->n_trials; i++)
        n += o->trials[i].state == TUNE_OK;
    return n;
}

static clcnn_status bayes_next(clcnn_oracle *o, tune_trial *t) {
    const bayes_state *b = o->state;
    double *values = t->req.values;
    if (tune_budget_spent(o))
        return clcnn_fail(CLCNN_STATUS_EXHAUSTED, "oracle: max_trials (%d) reached",
                          o->opt.max_trials);
    if ((double)o->seen.count >= o->space.size)
        return clcnn_fail(CLCNN_STATUS_EXHAUSTED, "oracle: all %.0f configurations were tried",
                          o->space.size);
    if (o->n_trials < b->n_design) {
        tune_space_decode(&o->space, b->design + (size_t)o->n_trials * o->space.n, values);
        if (!tune_set_contains(&o->seen, values)) return CLCNN_STATUS_OK;
        return tune_random_config(o, values);
    }
    if (count_ok(o) < 2) return tune_random_config(o, values);
    dataset ds = {0}, rest = {0};
    escape away;
    clcnn_status st = collect_alloc(o, NULL, &ds);
    if (st == CLCNN_STATUS_OK && escape_turn(o, &ds, &away) &&
        collect_alloc(o, &away, &rest) == CLCNN_STATUS_OK && rest.n_ok >= 2)
        st = fit_and_propose(o, &rest, &away, values);
    else if (st == CLCNN_STATUS_OK)
        st = fit_and_propose(o, &ds, NULL, values);
    dataset_free(&ds);
    dataset_free(&rest);
    /* Every good candidate was asked, or the kernel matrix could not be factored: any new
     * configuration still beats stopping. */
    if (st == CLCNN_STATUS_EXHAUSTED || st == CLCNN_STATUS_NUMERIC_ERROR)
        st = tune_random_config(o, values);
    return st;
}

/* The restored design must be positions in [0, 1] (they are decoded into values) and the warm
 * start finite. */
static clcnn_status bayes_check(const clcnn_oracle *o) {
    const bayes_state *b = o->state;
    for (int i = 0; i < b->n_design * o->space.n; i++)
        if (!(b->design[i] >= 0 && b->design[i] <= 1))
            return clcnn_fail(CLCNN_STATUS_PARSE_ERROR,
                              "oracle state: bayes.design[%d] is %g, not a position in [0, 1]", i,
                              b->design[i]);
    for (int i = 0; b->has_theta && i < o->space.n + 2; i++)
        if (!isfinite(b->theta[i]))
            return clcnn_fail(CLCNN_STATUS_PARSE_ERROR, "oracle state: bayes.theta[%d] is %g", i,
                              b->theta[i]);
    if ((b->has_theta != 0 && b->has_theta != 1) || b->n_fits < 0)
        return clcnn_fail(CLCNN_STATUS_PARSE_ERROR,
                          "oracle state: bayes.has_theta (%d) or n_fits (%d) is out of range",
                          b->has_theta, b->n_fits);
    return CLCNN_STATUS_OK;
}

const tune_oracle_type tune_oracle_bayesian = {
    .init = bayes_init,
    .next = bayes_next,
    .free = bayes_free,
    .state_key = "bayes",
    .state_fields = bayes_fields,
    .check = bayes_check,
};
