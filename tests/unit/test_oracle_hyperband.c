/* tests/unit/test_oracle_hyperband.c: Hyperband's schedule (KerasTuner's bracket arithmetic),
 * promotions that point to their parent and resume at its epoch, failed trials never promoted,
 * max_trials, several iterations, a discrete space that runs out of new configurations, and
 * which algorithms say they run a schedule of their own. */
#include "test_oracle_common.h"

#define MAX_ROUNDS 4000

typedef struct run {
    clcnn_trial_request req[MAX_ROUNDS];
    double score[MAX_ROUNDS];
    int failed[MAX_ROUNDS];
    int n;
} run;

/* A score from the trial's values, so promoted copies score alike; some trials fail. */
static double score_of(const clcnn_trial_request *r, int n, int *failed, int fail_every) {
    uint64_t h = 1469598103934665603ull;
    for (int i = 0; i < n; i++) {
        uint64_t bits;
        memcpy(&bits, &r->values[i], sizeof bits);
        h = (h ^ bits) * 1099511628211ull;
    }
    *failed = fail_every > 0 && r->parent_trial_id < 0 && h % (uint64_t)fail_every == 0;
    return (double)(h >> 11) * 0x1.0p-53 + 0.01 * r->epochs;
}

static void run_hyperband(const clcnn_hparam *hp, int n, clcnn_oracle_options *opt, int fail_every,
                          run *out) {
    clcnn_oracle *o;
    opt->algorithm = "hyperband";
    assert_int_equal(clcnn_oracle_create(hp, n, opt, &o), CLCNN_STATUS_OK);
    out->n = 0;
    clcnn_trial_request req;
    clcnn_status st;
    while ((st = clcnn_oracle_ask(o, &req)) == CLCNN_STATUS_OK) {
        assert_true(out->n < MAX_ROUNDS);
        assert_int_equal(req.trial_id, out->n);
        test_check_legal(hp, n, req.values);
        out->req[out->n] = req;
        out->score[out->n] = score_of(&req, n, &out->failed[out->n], fail_every);
        assert_int_equal(
            clcnn_oracle_tell(o, req.trial_id, out->score[out->n], out->failed[out->n]),
            CLCNN_STATUS_OK);
        out->n++;
    }
    assert_int_equal(st, CLCNN_STATUS_EXHAUSTED);
    clcnn_oracle_destroy(o);
}

/* Checks the run against a table of (bracket, round, trials, epochs) in ask order. */
static void check_table(const run *r, const int (*table)[4], int rows) {
    int i = 0;
    for (int k = 0; k < rows; k++) {
        int count = 0;
        while (i < r->n && r->req[i].bracket == table[k][0] && r->req[i].round == table[k][1]) {
            assert_int_equal(r->req[i].epochs, table[k][3]);
            count++, i++;
        }
        if (count != table[k][2])
            fail_msg("bracket %d round %d: %d trials, want %d", table[k][0], table[k][1], count,
                     table[k][2]);
    }
    assert_int_equal(i, r->n);
}

/* Which bracket run each trial belongs to: a run starts where the bracket changes or round 0
 * starts again. */
static void bracket_runs(const run *r, int *id) {
    for (int i = 0; i < r->n; i++) {
        int fresh = i == 0 || r->req[i].bracket != r->req[i - 1].bracket ||
                    (r->req[i].round == 0 && r->req[i - 1].round != 0);
        id[i] = i == 0 ? 0 : id[i - 1] + fresh;
    }
}

static int promoted_into(const run *r, const int *runs, int j, int round) {
    for (int k = j + 1; k < r->n; k++)
        if (runs[k] == runs[j] && r->req[k].round == round && r->req[k].parent_trial_id == j)
            return 1;
    return 0;
}

/* Promoted trials re-use their parent's values, resume at its epochs, come from the previous
 * round of the same bracket run, and no successful trial left behind there scored better (the
 * runs here maximize). */
static void check_promotions(const run *r, int n) {
    static int runs[MAX_ROUNDS];
    bracket_runs(r, runs);
    for (int i = 0; i < r->n; i++) {
        const clcnn_trial_request *q = &r->req[i];
        if (q->round == 0) {
            assert_int_equal(q->parent_trial_id, -1);
            assert_int_equal(q->initial_epoch, 0);
            continue;
        }
        int p = q->parent_trial_id;
        assert_true(p >= 0 && p < i);
        assert_false(r->failed[p]);
        assert_int_equal(runs[p], runs[i]);
        assert_int_equal(r->req[p].round, q->round - 1);
        assert_int_equal(q->initial_epoch, r->req[p].epochs);
        assert_true(test_same_config(q->values, r->req[p].values, n));
        for (int j = 0; j < i; j++)
            if (runs[j] == runs[p] && r->req[j].round == q->round - 1 && !r->failed[j] &&
                r->score[j] > r->score[p] && !promoted_into(r, runs, j, q->round))
                fail_msg("trial %d promoted over better trial %d", p, j);
    }
}

static void test_schedule_81_3(void **state) {
    (void)state;
    static const int table[][4] = {
        {4, 0, 81, 1}, {4, 1, 27, 3}, {4, 2, 9, 9},  {4, 3, 3, 27}, {4, 4, 1, 81},
        {3, 0, 34, 3}, {3, 1, 12, 9}, {3, 2, 4, 27}, {3, 3, 2, 81}, {2, 0, 15, 9},
        {2, 1, 5, 27}, {2, 2, 2, 81}, {1, 0, 8, 27}, {1, 1, 3, 81}, {0, 0, 5, 81},
    };
    test_problem p = test_problem_make(0, 3);
    clcnn_hparam hp[TEST_MAX_D];
    int n = test_problem_space(&p, hp);
    clcnn_oracle_options opt = clcnn_oracle_options_default();
    opt.max_trials = 0; /* the whole schedule */
    static run r;
    run_hyperband(hp, n, &opt, 0, &r);
    check_table(&r, table, 15);
    long epochs = 0;
    for (int i = 0; i < r.n; i++)
        epochs += r.req[i].epochs - r.req[i].initial_epoch;
    printf("hyperband 81/3: %d trial-rounds, %ld epochs\n", r.n, epochs);
    assert_int_equal(r.n, 211);
    assert_int_equal(epochs, 1767);
    check_promotions(&r, n);
    for (int i = 0; i < r.n; i++) /* new configurations never repeat */
        for (int j = 0; j < i && r.req[i].round == 0; j++)
            if (r.req[j].round == 0 && test_same_config(r.req[i].values, r.req[j].values, n))
                fail_msg("round-0 trial %d repeats %d", i, j);
}

/* max_epochs 10: log_3(10) rounds up, as in KerasTuner. */
static void test_schedule_10_3(void **state) {
    (void)state;
    static const int table[][4] = {
        {2, 0, 12, 2}, {2, 1, 4, 4}, {2, 2, 2, 10}, {1, 0, 6, 4}, {1, 1, 2, 10}, {0, 0, 4, 10},
    };
    test_problem p = test_problem_make(0, 4);
    clcnn_hparam hp[TEST_MAX_D];
    int n = test_problem_space(&p, hp);
    clcnn_oracle_options opt = clcnn_oracle_options_default();
    opt.max_trials = 0;
    opt.max_epochs = 10;
    static run r;
    run_hyperband(hp, n, &opt, 0, &r);
    check_table(&r, table, 6);
    check_promotions(&r, n);
}

/* Failed trials are never promoted; a round promotes only as many as succeeded. */
static void test_failed_never_promoted(void **state) {
    (void)state;
    test_problem p = test_problem_make(0, 5);
    clcnn_hparam hp[TEST_MAX_D];
    int n = test_problem_space(&p, hp);
    clcnn_oracle_options opt = clcnn_oracle_options_default();
    opt.max_trials = 0;
    opt.maximize = 1;
    static run r;
    run_hyperband(hp, n, &opt, 3, &r);
    int failed = 0;
    for (int i = 0; i < r.n; i++)
        failed += r.failed[i];
    printf("hyperband with failures: %d trial-rounds, %d failed\n", r.n, failed);
    assert_true(failed > 20);
    check_promotions(&r, n);
}

/* max_trials smaller than the schedule stops it; 0 runs it all; two iterations run it twice. */
static void test_budget_and_iterations(void **state) {
    (void)state;
    test_problem p = test_problem_make(0, 6);
    clcnn_hparam hp[TEST_MAX_D];
    int n = test_problem_space(&p, hp);
    clcnn_oracle_options opt = clcnn_oracle_options_default();
    static run r;
    opt.max_trials = 10;
    run_hyperband(hp, n, &opt, 0, &r);
    assert_int_equal(r.n, 10);
    opt.max_trials = 1000;
    run_hyperband(hp, n, &opt, 0, &r);
    assert_int_equal(r.n, 211);
    opt.max_trials = 0;
    opt.hyperband_iterations = 2;
    run_hyperband(hp, n, &opt, 0, &r);
    assert_int_equal(r.n, 422);
    assert_int_equal(r.req[211].bracket, 4);
    assert_int_equal(r.req[211].round, 0);
    check_promotions(&r, n);
}

/* 40 configurations: bracket 4's first round takes them all, halving goes on, and later brackets
 * have nothing new: 40 + 27 + 9 + 3 + 1 trial-rounds. */
static void test_discrete_space_runs_out(void **state) {
    (void)state;
    clcnn_hparam hp[8];
    int size, n = test_mixed_space(hp, 1, &size);
    clcnn_oracle_options opt = clcnn_oracle_options_default();
    opt.max_trials = 0;
    static run r;
    run_hyperband(hp, n, &opt, 0, &r);
    assert_int_equal(r.n, size + 27 + 9 + 3 + 1);
    check_promotions(&r, n);
    for (int i = 0; i < size; i++)
        for (int j = 0; j < i; j++)
            if (test_same_config(r.req[i].values, r.req[j].values, n)) fail_msg("repeat");
}

/* Hyperband alone runs its own schedule: the tuner and the CLI ask the oracle's table, not the
 * name, what max_trials 0 means and whether a trial has a bracket and a round. */
static void test_scheduled_flag(void **state) {
    (void)state;
    assert_true(clcnn_oracle_algorithm_scheduled("hyperband"));
    assert_false(clcnn_oracle_algorithm_scheduled("bayesian"));
    assert_false(clcnn_oracle_algorithm_scheduled("random"));
    assert_false(clcnn_oracle_algorithm_scheduled(NULL)); /* the default: bayesian */
    assert_false(clcnn_oracle_algorithm_scheduled("hyper"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schedule_81_3),
        cmocka_unit_test(test_schedule_10_3),
        cmocka_unit_test(test_failed_never_promoted),
        cmocka_unit_test(test_budget_and_iterations),
        cmocka_unit_test(test_discrete_space_runs_out),
        cmocka_unit_test(test_scheduled_flag),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
