/* tests/unit/test_oracle_state.c: clcnn_oracle_save / clcnn_oracle_restore. A search saved at any
 * point (between trials, or with a trial asked but not told) and restored continues with exactly
 * the asks the uninterrupted search makes; the pending trial comes back with its id and values;
 * save of a restored oracle gives the same document; malformed documents are refused; every
 * algorithm of the table saves and restores. */
#include "test_oracle_common.h"

#define MAX_ASKS 160

typedef struct space_case {
    clcnn_hparam hp[TEST_MAX_D + 2];
    int n;
    test_problem p; /* continuous cases */
    int mixed;      /* 1: the discrete mixed space with a conditional */
} space_case;

static double evaluate(const space_case *c, const clcnn_trial_request *r) {
    if (c->mixed) return test_mixed_objective(r->values);
    return test_problem_eval(&c->p, r->values) + 0.001 * r->epochs;
}

static clcnn_oracle *make(const space_case *c, const char *algorithm) {
    clcnn_oracle_options opt = clcnn_oracle_options_default();
    opt.algorithm = algorithm;
    opt.max_trials = 0;
    opt.maximize = 0;
    opt.seed = 0xfedcba9876543210ull; /* beyond what a JSON number holds exactly */
    opt.n_candidates = 300;           /* keeps the Bayesian cases quick */
    clcnn_oracle *o;
    assert_int_equal(clcnn_oracle_create(c->hp, c->n, &opt, &o), CLCNN_STATUS_OK);
    return o;
}

/* One ask and tell; trial 5 fails so a failed trial is part of the saved state. Returns 0 when
 * the oracle is exhausted. */
static int step(clcnn_oracle *o, const space_case *c, clcnn_trial_request *req) {
    clcnn_status st = clcnn_oracle_ask(o, req);
    if (st == CLCNN_STATUS_EXHAUSTED) return 0;
    assert_int_equal(st, CLCNN_STATUS_OK);
    int failed = req->trial_id == 5;
    assert_int_equal(clcnn_oracle_tell(o, req->trial_id, evaluate(c, req), failed),
                     CLCNN_STATUS_OK);
    return 1;
}

static clcnn_oracle *save_and_restore(clcnn_oracle *o) {
    char *json, *again;
    assert_int_equal(clcnn_oracle_save(o, &json), CLCNN_STATUS_OK);
    clcnn_oracle_destroy(o);
    clcnn_oracle *r;
    assert_int_equal(clcnn_oracle_restore(json, &r), CLCNN_STATUS_OK);
    assert_int_equal(clcnn_oracle_save(r, &again), CLCNN_STATUS_OK);
    assert_string_equal(json, again);
    free(json);
    free(again);
    return r;
}

/* Runs `total` asks straight, then again with a save/restore after `cut` trials (and, with
 * pending, after asking trial `cut` but before telling it); every ask must match. */
static void check_resume(const space_case *c, const char *algorithm, int total, int cut,
                         int pending) {
    static clcnn_trial_request want[MAX_ASKS];
    clcnn_trial_request got;
    clcnn_oracle *o = make(c, algorithm);
    int n_want = 0;
    while (n_want < total && step(o, c, &want[n_want]))
        n_want++;
    clcnn_oracle_destroy(o);

    o = make(c, algorithm);
    for (int i = 0; i < cut; i++)
        assert_true(step(o, c, &got));
    if (pending) assert_int_equal(clcnn_oracle_ask(o, &got), CLCNN_STATUS_OK);
    o = save_and_restore(o);
    for (int i = cut; i < n_want; i++) {
        assert_true(step(o, c, &got));
        if (!test_same_request(&got, &want[i], c->n))
            fail_msg("%s: ask %d after a restore at %d%s differs", algorithm, i, cut,
                     pending ? " (pending)" : "");
    }
    if (n_want < total) assert_int_equal(clcnn_oracle_ask(o, &got), CLCNN_STATUS_EXHAUSTED);
    clcnn_oracle_destroy(o);
}

static space_case continuous_case(void) {
    space_case c = {.p = test_problem_make(0, 11)};
    c.n = test_problem_space(&c.p, c.hp);
    return c;
}

static space_case mixed_case(void) {
    space_case c = {.mixed = 1};
    int size;
    c.n = test_mixed_space(c.hp, 1, &size);
    return c;
}

static void test_random_resume(void **state) {
    (void)state;
    space_case c = mixed_case();
    check_resume(&c, "random", 50, 0, 0);
    check_resume(&c, "random", 50, 13, 1);
    check_resume(&c, "random", 50, 38, 0); /* near exhaustion: the enumeration fallback */
}

static void test_bayes_resume(void **state) {
    (void)state;
    space_case c = continuous_case();
    check_resume(&c, "bayesian", 16, 3, 1); /* inside the initial design */
    check_resume(&c, "bayesian", 16, 9, 0); /* after: the GP fit's warm start is state */
    check_resume(&c, "bayesian", 16, 12, 1);
    space_case m = mixed_case();
    check_resume(&m, "bayesian", 45, 20, 1); /* conditionals (NAN), then exhaustion */
}

static void test_hyperband_resume(void **state) {
    (void)state;
    space_case c = continuous_case();
    check_resume(&c, "hyperband", 150, 81, 1);  /* the first promotion is pending */
    check_resume(&c, "hyperband", 150, 122, 0); /* a new bracket */
    space_case m = mixed_case();
    check_resume(&m, "hyperband", 100, 45, 1);
}

/* The pending trial is asked again after a restore: same id, same values. */
static void test_pending_reasked(void **state) {
    (void)state;
    space_case c = continuous_case();
    clcnn_oracle *o = make(&c, "bayesian");
    clcnn_trial_request req, again;
    for (int i = 0; i < 8; i++)
        assert_true(step(o, &c, &req));
    assert_int_equal(clcnn_oracle_ask(o, &req), CLCNN_STATUS_OK);
    o = save_and_restore(o);
    assert_int_equal(clcnn_oracle_ask(o, &again), CLCNN_STATUS_OK);
    assert_int_equal(again.trial_id, 8);
    assert_true(test_same_request(&req, &again, c.n));
    int id;
    double score;
    assert_int_equal(clcnn_oracle_best(o, &id, &score), CLCNN_STATUS_OK);
    assert_true(id < 8 && id != 5);
    clcnn_oracle_destroy(o);
}

static void expect_parse_error(const char *json) {
    clcnn_oracle *o = (clcnn_oracle *)1;
    assert_int_equal(clcnn_oracle_restore(json, &o), CLCNN_STATUS_PARSE_ERROR);
    assert_null(o);
    assert_true(clcnn_last_error()[0] != 0);
}

static void test_malformed(void **state) {
    (void)state;
    expect_parse_error("not json");
    expect_parse_error("{}");
    expect_parse_error("{\"format\": \"clcnn-oracle\", \"version\": 2}");
    space_case c = mixed_case();
    clcnn_oracle *o = make(&c, "random");
    clcnn_trial_request req;
    assert_true(step(o, &c, &req));
    char *json;
    assert_int_equal(clcnn_oracle_save(o, &json), CLCNN_STATUS_OK);
    char *cut = strstr(json, "\"trials\"");
    assert_non_null(cut);
    memcpy(cut, "\"triaXs\"", 8); /* the trial list goes missing */
    expect_parse_error(json);
    free(json);
    clcnn_oracle_destroy(o);
}

static int listed(const char *algorithm) {
    for (int i = 0; clcnn_oracle_algorithms[i]; i++)
        if (!strcmp(clcnn_oracle_algorithms[i], algorithm)) return 1;
    return 0;
}

/* Every algorithm in clcnn_oracle_algorithms creates an oracle that saves and restores; a name not
 * in it is refused with the list of names. */
static void test_algorithm_table(void **state) {
    (void)state;
    assert_true(listed("bayesian") && listed("random") && listed("hyperband"));
    space_case c = mixed_case();
    for (int i = 0; clcnn_oracle_algorithms[i]; i++) {
        clcnn_oracle *o = make(&c, clcnn_oracle_algorithms[i]);
        clcnn_trial_request req;
        assert_true(step(o, &c, &req));
        clcnn_oracle_destroy(save_and_restore(o));
    }
    clcnn_oracle_options opt = clcnn_oracle_options_default();
    opt.algorithm = "annealing";
    clcnn_oracle *o = (clcnn_oracle *)1;
    assert_int_equal(clcnn_oracle_create(c.hp, c.n, &opt, &o), CLCNN_STATUS_INVALID_ARGUMENT);
    assert_null(o);
    for (int i = 0; clcnn_oracle_algorithms[i]; i++)
        assert_non_null(strstr(clcnn_last_error(), clcnn_oracle_algorithms[i]));
}

/* An algorithm's own state (under its key) missing from the document is refused, naming it. */
static void expect_state_required(const char *algorithm, const char *key) {
    space_case c = mixed_case();
    clcnn_oracle *o = make(&c, algorithm);
    clcnn_trial_request req;
    assert_true(step(o, &c, &req));
    char *json, quoted[32];
    assert_int_equal(clcnn_oracle_save(o, &json), CLCNN_STATUS_OK);
    snprintf(quoted, sizeof quoted, "\"%s\":", key);
    char *at = strstr(json, quoted);
    assert_non_null(at);
    at[1] = 'X';
    expect_parse_error(json);
    assert_non_null(strstr(clcnn_last_error(), key));
    free(json);
    clcnn_oracle_destroy(o);
}

static void test_algorithm_state_required(void **state) {
    (void)state;
    expect_state_required("bayesian", "bayes");
    expect_state_required("hyperband", "hyperband");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_resume),
        cmocka_unit_test(test_bayes_resume),
        cmocka_unit_test(test_hyperband_resume),
        cmocka_unit_test(test_pending_reasked),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_algorithm_table),
        cmocka_unit_test(test_algorithm_state_required),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
