/* tests/unit/test_oracle_common.h: what the oracle tests share: synthetic objectives (Branin,
 * Hartmann-6 from bench/oracle/objectives.h) moved by a per-seed random shift of the function and
 * its search box plus a random constant, so nothing about their optimum can be hard-coded; a search
 * loop through the public ask/tell API that checks every suggestion is legal and new; and the
 * median of a set of runs. */
#ifndef TEST_ORACLE_COMMON_H
#define TEST_ORACLE_COMMON_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clcnn/oracle.h"
#include "core/core.h"
#include "objectives.h"
#include "test_util.h"

#define TEST_MAX_D OBJECTIVE_MAX_D

typedef struct test_problem {
    const char *name;
    int d;
    double lo[TEST_MAX_D], hi[TEST_MAX_D]; /* the original box */
    double shift[TEST_MAX_D], offset;      /* f'(x) = f(x - shift) + offset on box + shift */
    double fmin;                           /* minimum of the original function */
    double (*f)(const double *x);
} test_problem;

/* which: OBJECTIVE_BRANIN or OBJECTIVE_HARTMANN6 (bench/oracle/objectives.h), unmoved. */
static inline test_problem test_problem_standard(int which) {
    const objective *o = &objectives[which];
    test_problem p;
    memset(&p, 0, sizeof p);
    p.name = o->name, p.d = o->d, p.fmin = o->fmin, p.f = o->f;
    memcpy(p.lo, o->lo, sizeof p.lo);
    memcpy(p.hi, o->hi, sizeof p.hi);
    return p;
}

/* The same, moved by the seed. */
static inline test_problem test_problem_make(int which, uint64_t seed) {
    test_problem p = test_problem_standard(which);
    clcnn_rng rng;
    clcnn_rng_seed(&rng, seed * 1000003u + (uint64_t)which);
    for (int j = 0; j < p.d; j++)
        p.shift[j] = (clcnn_rng_uniform(&rng) - 0.5) * 4 * (p.hi[j] - p.lo[j]);
    p.offset = (clcnn_rng_uniform(&rng) - 0.5) * 200;
    return p;
}

static inline double test_problem_eval(const test_problem *p, const double *x) {
    double y[TEST_MAX_D];
    for (int j = 0; j < p->d; j++)
        y[j] = x[j] - p->shift[j];
    return p->f(y) + p->offset;
}

static inline int test_problem_space(const test_problem *p, clcnn_hparam *hp) {
    for (int j = 0; j < p->d; j++) {
        clcnn_hparam_default(&hp[j]);
        snprintf(hp[j].name, sizeof hp[j].name, "x%d", j);
        hp[j].type = CLCNN_HP_FLOAT;
        hp[j].step = 0;
        hp[j].min = p->lo[j] + p->shift[j];
        hp[j].max = p->hi[j] + p->shift[j];
    }
    return p->d;
}

/* Checks a suggestion: legal where active, NAN where inactive. */
static inline void test_check_legal(const clcnn_hparam *hp, int n, const double *v) {
    for (int i = 0; i < n; i++) {
        if (clcnn_hparam_is_active(hp, n, i, v)) {
            if (!clcnn_hparam_is_legal(&hp[i], v[i]))
                fail_msg("%s = %.17g is not legal", hp[i].name, v[i]);
        } else if (!isnan(v[i])) {
            fail_msg("%s is inactive but has the value %g", hp[i].name, v[i]);
        }
    }
}

static inline int test_same_config(const double *a, const double *b, int n) {
    for (int i = 0; i < n; i++)
        if (!(a[i] == b[i] || (isnan(a[i]) && isnan(b[i])))) return 0;
    return 1;
}

/* Two requests are the same trial: id, values (NAN equals NAN) and Hyperband fields. */
static inline int test_same_request(const clcnn_trial_request *a, const clcnn_trial_request *b,
                                    int n) {
    return a->trial_id == b->trial_id && test_same_config(a->values, b->values, n) &&
           a->epochs == b->epochs && a->initial_epoch == b->initial_epoch &&
           a->parent_trial_id == b->parent_trial_id && a->bracket == b->bracket &&
           a->round == b->round;
}

/* Runs one search of `budget` evaluations; returns the regret (best found minus the true
 * minimum) and checks every suggestion is legal and none repeats. maximize = 1 hands the oracle
 * -f, so the flag is exercised too. */
static inline double test_run(const test_problem *p, const char *algorithm, uint64_t seed,
                              int budget, int maximize) {
    clcnn_hparam hp[TEST_MAX_D];
    int n = test_problem_space(p, hp);
    clcnn_oracle_options opt = clcnn_oracle_options_default();
    opt.algorithm = algorithm;
    opt.seed = seed;
    opt.max_trials = budget;
    opt.maximize = maximize;
    clcnn_oracle *o;
    assert_int_equal(clcnn_oracle_create(hp, n, &opt, &o), CLCNN_STATUS_OK);
    double *seen = malloc((size_t)budget * n * sizeof *seen), best = INFINITY;
    clcnn_trial_request req;
    int asked = 0;
    while (clcnn_oracle_ask(o, &req) == CLCNN_STATUS_OK) {
        assert_int_equal(req.trial_id, asked);
        test_check_legal(hp, n, req.values);
        for (int k = 0; k < asked; k++)
            if (test_same_config(seen + (size_t)k * n, req.values, n)) fail_msg("repeated config");
        memcpy(seen + (size_t)asked * n, req.values, (size_t)n * sizeof *seen);
        double f = test_problem_eval(p, req.values);
        best = fmin(best, f);
        assert_int_equal(clcnn_oracle_tell(o, req.trial_id, maximize ? -f : f, 0), CLCNN_STATUS_OK);
        asked++;
    }
    assert_int_equal(asked, budget);
    double score;
    assert_int_equal(clcnn_oracle_best(o, NULL, &score), CLCNN_STATUS_OK);
    assert_true(fabs((maximize ? -score : score) - best) == 0);
    clcnn_oracle_destroy(o);
    free(seen);
    return best - (p->fmin + p->offset);
}

static inline clcnn_hparam test_hp(const char *name, clcnn_hp_type type, double min, double max,
                                   double step) {
    return objective_hp(name, type, min, max, step);
}

/* A discrete mixed space: an int, a choice of strings with a stepped float active for two of its
 * values, a boolean and a log-sampled int. Full: 4 x (3 + 1 + 3) x 2 x 4 = 224 configurations;
 * small: 2 x (2 + 1 + 2) x 2 x 2 = 40. Returns the number of hyperparameters (5). */
static inline int test_mixed_space(clcnn_hparam *hp, int small, int *size) {
    hp[0] = test_hp("units", CLCNN_HP_INT, 16, small ? 32 : 64, 16);
    hp[1] = test_hp("act", CLCNN_HP_CHOICE, 0, 0, 0);
    hp[1].n_choices = 3;
    hp[1].choices_are_strings = 1;
    strcpy(hp[1].choice_strings[0], "relu");
    strcpy(hp[1].choice_strings[1], "tanh");
    strcpy(hp[1].choice_strings[2], "gelu");
    hp[2] = test_hp("dropout", CLCNN_HP_FLOAT, 0, 0.5, small ? 0.5 : 0.25);
    strcpy(hp[2].parent, "act");
    hp[2].n_parent_values = 2;
    hp[2].parent_values[0] = 0;
    hp[2].parent_values[1] = 2;
    hp[3] = test_hp("batchnorm", CLCNN_HP_BOOLEAN, 0, 0, 0);
    hp[4] = test_hp("batch", CLCNN_HP_INT, 32, small ? 64 : 128, 32);
    hp[4].log = 1;
    *size = small ? 40 : 224;
    return 5;
}

/* A smooth objective over the mixed space, so a model-based oracle has something to learn. */
static inline double test_mixed_objective(const double *v) {
    double f = (v[0] - 40) * (v[0] - 40) / 400 + (v[1] == 1 ? 0.8 : 0.1 * v[1]) + 0.3 * v[3];
    if (!isnan(v[2])) f += (v[2] - 0.25) * (v[2] - 0.25) * 4;
    return f + fabs(log2(v[4] / 64));
}

/* Asks until EXHAUSTED (at most limit times), telling f(values), checking every suggestion is
 * legal and new. Returns how many were asked. */
static inline int test_exhaust(clcnn_oracle *o, const clcnn_hparam *hp, int n, int limit,
                               double (*f)(const double *)) {
    double *seen = malloc((size_t)limit * n * sizeof *seen);
    clcnn_trial_request req;
    int asked = 0;
    clcnn_status st;
    while (asked < limit && (st = clcnn_oracle_ask(o, &req)) == CLCNN_STATUS_OK) {
        test_check_legal(hp, n, req.values);
        for (int k = 0; k < asked; k++)
            if (test_same_config(seen + (size_t)k * n, req.values, n))
                fail_msg("trial %d repeats trial %d", asked, k);
        memcpy(seen + (size_t)asked * n, req.values, (size_t)n * sizeof *seen);
        assert_int_equal(clcnn_oracle_tell(o, req.trial_id, f(req.values), 0), CLCNN_STATUS_OK);
        asked++;
    }
    if (asked < limit) assert_int_equal(st, CLCNN_STATUS_EXHAUSTED);
    free(seen);
    return asked;
}

static inline int test_cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : (x > y);
}

static inline double test_median(const double *v, int n) {
    double *s = malloc((size_t)n * sizeof *s);
    memcpy(s, v, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, test_cmp_double);
    double m = n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
    free(s);
    return m;
}

static inline double test_max(const double *v, int n) {
    double m = -INFINITY;
    for (int i = 0; i < n; i++)
        m = fmax(m, v[i]);
    return m;
}

#endif
