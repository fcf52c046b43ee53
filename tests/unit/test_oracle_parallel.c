/* tests/unit/test_oracle_parallel.c: several pending trials through the public API alone, as a
 * parallel search asks them: Bayesian asks without tells are distinct and spread out (a constant
 * liar) more than asks that each saw an optimistic lie; random search hands out new
 * configurations; Hyperband hands out a round and waits for it; a saved oracle keeps every
 * pending trial and accepts their tells in any order. */
#include "test_oracle_common.h"

#define WARM 12 /* trials told before the concurrent asks */
#define ASKS 4
#define SPREAD_SEEDS 10

/* An oracle over Branin's box with WARM trials asked and told one by one. */
static clcnn_oracle *warm_oracle(const test_problem *p, const char *algorithm, uint64_t seed) {
    clcnn_hparam hp[TEST_MAX_D];
    int n = test_problem_space(p, hp);
    clcnn_oracle_options opt = clcnn_oracle_options_default();
    opt.algorithm = algorithm;
    opt.seed = seed;
    opt.max_trials = 40;
    opt.maximize = 0;
    clcnn_oracle *o;
    assert_int_equal(clcnn_oracle_create(hp, n, &opt, &o), CLCNN_STATUS_OK);
    clcnn_trial_request req;
    for (int i = 0; i < WARM; i++) {
        assert_int_equal(clcnn_oracle_ask(o, &req), CLCNN_STATUS_OK);
        assert_int_equal(clcnn_oracle_tell(o, req.trial_id, test_problem_eval(p, req.values), 0),
                         CLCNN_STATUS_OK);
    }
    return o;
}

/* The spread of k configurations: their smallest pairwise distance, each coordinate scaled by
 * the box (near-copies of one point have none, whatever the others do). */
static double spread(const test_problem *p, const double *x, int k) {
    double least = INFINITY;
    for (int a = 0; a < k; a++)
        for (int b = a + 1; b < k; b++) {
            double d2 = 0;
            for (int j = 0; j < p->d; j++) {
                double d = (x[a * p->d + j] - x[b * p->d + j]) / (p->hi[j] - p->lo[j]);
                d2 += d * d;
            }
            least = fmin(least, sqrt(d2));
        }
    return least;
}

static void test_bayes_pending_spread(void **state) {
    (void)state;
    int wider = 0;
    for (uint64_t seed = 1; seed <= SPREAD_SEEDS; seed++) {
        test_problem p = test_problem_make(0, seed);
        double concurrent[ASKS * TEST_MAX_D], lied[ASKS * TEST_MAX_D];
        clcnn_oracle *o = warm_oracle(&p, "bayesian", seed);
        double best;
        assert_int_equal(clcnn_oracle_best(o, NULL, &best), CLCNN_STATUS_OK);
        char *json;
        assert_int_equal(clcnn_oracle_save(o, &json), CLCNN_STATUS_OK);
        clcnn_oracle *copy;
        assert_int_equal(clcnn_oracle_restore(json, &copy), CLCNN_STATUS_OK);
        free(json);
        clcnn_trial_request req;
        for (int k = 0; k < ASKS; k++) {
            int wait = 1;
            assert_int_equal(clcnn_oracle_ask_more(o, &req, &wait), CLCNN_STATUS_OK);
            assert_int_equal(wait, 0);
            assert_int_equal(req.trial_id, WARM + k);
            memcpy(concurrent + k * p.d, req.values, (size_t)p.d * sizeof(double));
            for (int m = 0; m < k; m++)
                assert_false(test_same_config(concurrent + m * p.d, req.values, p.d));
        }
        assert_int_equal(clcnn_oracle_pending(o, NULL, 0), ASKS);
        /* The baseline: each ask told the incumbent's score (an optimistic lie) before the next. */
        for (int k = 0; k < ASKS; k++) {
            assert_int_equal(clcnn_oracle_ask(copy, &req), CLCNN_STATUS_OK);
            memcpy(lied + k * p.d, req.values, (size_t)p.d * sizeof(double));
            assert_int_equal(clcnn_oracle_tell(copy, req.trial_id, best, 0), CLCNN_STATUS_OK);
        }
        double s_conc = spread(&p, concurrent, ASKS), s_lied = spread(&p, lied, ASKS);
        printf("seed %d: closest pair of %d pending asks %.3f, of %d asks told a lie %.3f\n",
               (int)seed, ASKS, s_conc, ASKS, s_lied);
        wider += s_conc > s_lied;
        clcnn_oracle_destroy(o);
        clcnn_oracle_destroy(copy);
    }
    assert_true(wider >= SPREAD_SEEDS - 1);
}

static void test_random_pending(void **state) {
    (void)state;
    test_problem p = test_problem_make(0, 3);
    clcnn_oracle *o = warm_oracle(&p, "random", 3);
    double x[ASKS * TEST_MAX_D];
    clcnn_trial_request req;
    for (int k = 0; k < ASKS; k++) {
        int wait = 1;
        assert_int_equal(clcnn_oracle_ask_more(o, &req, &wait), CLCNN_STATUS_OK);
        assert_int_equal(wait, 0);
        memcpy(x + k * p.d, req.values, (size_t)p.d * sizeof(double));
        for (int m = 0; m < k; m++)
            assert_false(test_same_config(x + m * p.d, req.values, p.d));
    }
    /* Tells in any order; a trial told twice, or never asked, is refused. */
    int order[ASKS] = {2, 0, 3, 1};
    for (int k = 0; k < ASKS; k++)
        assert_int_equal(clcnn_oracle_tell(o, WARM + order[k], 1.0 + k, 0), CLCNN_STATUS_OK);
    assert_int_equal(clcnn_oracle_tell(o, WARM + 2, 1.0, 0), CLCNN_STATUS_INVALID_ARGUMENT);
    assert_int_equal(clcnn_oracle_tell(o, WARM + ASKS, 1.0, 0), CLCNN_STATUS_INVALID_ARGUMENT);
    assert_int_equal(clcnn_oracle_pending(o, NULL, 0), 0);
    clcnn_oracle_destroy(o);
}

/* max_epochs 9, factor 3: bracket 2's round 0 has 9 trials at 1 epoch, round 1 promotes 3. */
static void test_hyperband_rounds(void **state) {
    (void)state;
    test_problem p = test_problem_make(0, 4);
    clcnn_hparam hp[TEST_MAX_D];
    int n = test_problem_space(&p, hp);
    clcnn_oracle_options opt = clcnn_oracle_options_default();
    opt.algorithm = "hyperband";
    opt.max_trials = 0;
    opt.max_epochs = 9;
    opt.maximize = 0;
    clcnn_oracle *o;
    assert_int_equal(clcnn_oracle_create(hp, n, &opt, &o), CLCNN_STATUS_OK);
    clcnn_trial_request req, round0[9];
    int wait = 0, got = 0;
    while (clcnn_oracle_ask_more(o, &req, &wait) == CLCNN_STATUS_OK && !wait) {
        assert_true(got < 9);
        assert_int_equal(req.round, 0);
        round0[got++] = req;
    }
    assert_int_equal(got, 9);
    assert_int_equal(wait, 1);
    /* Still waiting while one trial of the round runs. */
    for (int k = 0; k < 8; k++)
        assert_int_equal(
            clcnn_oracle_tell(o, round0[k].trial_id, test_problem_eval(&p, round0[k].values), 0),
            CLCNN_STATUS_OK);
    assert_int_equal(clcnn_oracle_ask_more(o, &req, &wait), CLCNN_STATUS_OK);
    assert_int_equal(wait, 1);
    /* A restored oracle keeps the pending trial. */
    char *json;
    assert_int_equal(clcnn_oracle_save(o, &json), CLCNN_STATUS_OK);
    clcnn_oracle_destroy(o);
    assert_int_equal(clcnn_oracle_restore(json, &o), CLCNN_STATUS_OK);
    free(json);
    int ids[4];
    assert_int_equal(clcnn_oracle_pending(o, ids, 4), 1);
    assert_int_equal(ids[0], 8);
    assert_int_equal(clcnn_oracle_tell(o, 8, test_problem_eval(&p, round0[8].values), 0),
                     CLCNN_STATUS_OK);
    for (int k = 0; k < 3; k++) {
        assert_int_equal(clcnn_oracle_ask_more(o, &req, &wait), CLCNN_STATUS_OK);
        assert_int_equal(wait, 0);
        assert_int_equal(req.round, 1);
        assert_true(req.parent_trial_id >= 0 && req.parent_trial_id < 9);
    }
    assert_int_equal(clcnn_oracle_ask_more(o, &req, &wait), CLCNN_STATUS_OK);
    assert_int_equal(wait, 1);
    clcnn_oracle_destroy(o);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bayes_pending_spread),
        cmocka_unit_test(test_random_pending),
        cmocka_unit_test(test_hyperband_rounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
