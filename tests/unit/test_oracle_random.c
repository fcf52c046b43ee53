/* tests/unit/test_oracle_random.c: random search and what every oracle shares: legal, never
 * repeated suggestions until the discrete space is exhausted, max_trials, the pending trial,
 * tell's checks, the best trial under maximize and minimize, log-uniform sampling. */
#include "test_oracle_common.h"

static clcnn_oracle *make_oracle(const clcnn_hparam *hp, int n, const char *algorithm,
                                 int max_trials, int maximize) {
    clcnn_oracle_options opt = clcnn_oracle_options_default();
    opt.algorithm = algorithm;
    opt.max_trials = max_trials;
    opt.maximize = maximize;
    opt.seed = 42;
    clcnn_oracle *o;
    assert_int_equal(clcnn_oracle_create(hp, n, &opt, &o), CLCNN_STATUS_OK);
    return o;
}

/* Every configuration of the mixed space exactly once, then EXHAUSTED for good. */
static void test_exhausts_discrete_space(void **state) {
    (void)state;
    clcnn_hparam hp[8];
    int size, n = test_mixed_space(hp, 0, &size);
    clcnn_oracle *o = make_oracle(hp, n, "random", 0, 0);
    assert_int_equal(test_exhaust(o, hp, n, 1000, test_mixed_objective), size);
    clcnn_trial_request req;
    assert_int_equal(clcnn_oracle_ask(o, &req), CLCNN_STATUS_EXHAUSTED);
    clcnn_oracle_destroy(o);
}

/* max_trials stops a continuous search. */
static void test_max_trials(void **state) {
    (void)state;
    test_problem p = test_problem_make(1, 7);
    clcnn_hparam hp[TEST_MAX_D];
    int n = test_problem_space(&p, hp);
    clcnn_oracle *o = make_oracle(hp, n, "random", 20, 0);
    assert_int_equal(test_exhaust(o, hp, n, 100, objectives[OBJECTIVE_HARTMANN6].f), 20);
    clcnn_oracle_destroy(o);
}

static void test_pending_and_tell_checks(void **state) {
    (void)state;
    clcnn_hparam hp[8];
    int size, n = test_mixed_space(hp, 1, &size);
    clcnn_oracle *o = make_oracle(hp, n, "random", 0, 1);
    clcnn_trial_request a, b;
    int id;
    double score;
    assert_int_equal(clcnn_oracle_best(o, &id, &score), CLCNN_STATUS_NOT_FOUND);
    assert_int_equal(clcnn_oracle_ask(o, &a), CLCNN_STATUS_OK);
    assert_int_equal(clcnn_oracle_ask(o, &b), CLCNN_STATUS_OK); /* not told: the same trial */
    assert_true(test_same_request(&a, &b, n));
    assert_int_equal(clcnn_oracle_tell(o, a.trial_id + 1, 1.0, 0), CLCNN_STATUS_INVALID_ARGUMENT);
    assert_int_equal(clcnn_oracle_tell(o, a.trial_id, NAN, 0), CLCNN_STATUS_OK); /* failed */
    assert_int_equal(clcnn_oracle_tell(o, a.trial_id, 1.0, 0), CLCNN_STATUS_INVALID_ARGUMENT);
    assert_int_equal(clcnn_oracle_best(o, &id, &score), CLCNN_STATUS_NOT_FOUND);
    assert_int_equal(clcnn_oracle_ask(o, &b), CLCNN_STATUS_OK);
    assert_int_equal(b.trial_id, 1);
    assert_int_equal(b.parent_trial_id, -1);
    assert_int_equal(b.epochs, 0);
    assert_int_equal(clcnn_oracle_tell(o, b.trial_id, 1e9, 1), CLCNN_STATUS_OK); /* failed */
    assert_int_equal(clcnn_oracle_best(o, &id, &score), CLCNN_STATUS_NOT_FOUND);
    clcnn_oracle_destroy(o);
}

/* The best trial follows the maximize flag; failed trials never count. */
static void test_best(void **state) {
    (void)state;
    static const double scores[] = {0.5, 0.9, 0.2, 0.7};
    for (int maximize = 0; maximize <= 1; maximize++) {
        clcnn_hparam hp[8];
        int size, n = test_mixed_space(hp, 1, &size);
        clcnn_oracle *o = make_oracle(hp, n, "random", 0, maximize);
        clcnn_trial_request req;
        for (int i = 0; i < 5; i++) {
            assert_int_equal(clcnn_oracle_ask(o, &req), CLCNN_STATUS_OK);
            int failed = i == 4; /* a failed trial with the most extreme score of all */
            double s = failed ? (maximize ? 100 : -100) : scores[i];
            assert_int_equal(clcnn_oracle_tell(o, req.trial_id, s, failed), CLCNN_STATUS_OK);
        }
        int id;
        double score;
        assert_int_equal(clcnn_oracle_best(o, &id, &score), CLCNN_STATUS_OK);
        assert_int_equal(id, maximize ? 1 : 2);
        assert_true(score == scores[id]);
        clcnn_oracle_destroy(o);
    }
}

/* Log sampling is log-uniform: the median of lr in [1e-5, 1e-1] is near 1e-3. */
static void test_log_uniform(void **state) {
    (void)state;
    clcnn_hparam hp = test_hp("lr", CLCNN_HP_FLOAT, 1e-5, 1e-1, 0);
    hp.log = 1;
    clcnn_oracle *o = make_oracle(&hp, 1, "random", 0, 0);
    double v[2001];
    clcnn_trial_request req;
    for (int i = 0; i < 2001; i++) {
        assert_int_equal(clcnn_oracle_ask(o, &req), CLCNN_STATUS_OK);
        assert_true(clcnn_hparam_is_legal(&hp, req.values[0]));
        v[i] = req.values[0];
        assert_int_equal(clcnn_oracle_tell(o, req.trial_id, 0, 0), CLCNN_STATUS_OK);
    }
    double m = test_median(v, 2001);
    printf("median of log-uniform lr in [1e-5, 1e-1]: %.3g\n", m);
    assert_true(m > 5e-4 && m < 2e-3);
    clcnn_oracle_destroy(o);
}

static double constant_fn(const double *v) {
    return v[0];
}

/* A one-point space is exhausted after one trial. */
static void test_tiny_space(void **state) {
    (void)state;
    clcnn_hparam hp = test_hp("const", CLCNN_HP_INT, 3, 3, 1);
    const char *algos[] = {"random", "bayesian"};
    for (int a = 0; a < 2; a++) {
        clcnn_oracle *o = make_oracle(&hp, 1, algos[a], 0, 0);
        assert_int_equal(test_exhaust(o, &hp, 1, 10, constant_fn), 1);
        clcnn_oracle_destroy(o);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exhausts_discrete_space),
        cmocka_unit_test(test_max_trials),
        cmocka_unit_test(test_pending_and_tell_checks),
        cmocka_unit_test(test_best),
        cmocka_unit_test(test_log_uniform),
        cmocka_unit_test(test_tiny_space),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
