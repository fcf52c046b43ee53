/* tests/unit/test_dist.c: the process's place in an MPI job when no launcher started it: no
 * launcher variable means not launched, and clcnn_dist_init leaves the process rank 0 of 1 with
 * MPI untouched (so a plain run cannot hang in MPI_Init); each launcher's variable is noticed;
 * the collectives leave a lone rank's data as it is; data-parallel shares tile every batch. */
#include <stdlib.h>
#include <string.h>

#include "clcnn/dist.h"
#include "test_util.h"
#include "train/data_parallel.h"

static const char *const launcher_vars[] = {
    "OMPI_COMM_WORLD_SIZE", "PMI_SIZE",     "PMI_RANK", "PMIX_RANK",
    "MPI_LOCALNRANKS",      "SLURM_STEP_ID"};
#define N_VARS (sizeof launcher_vars / sizeof launcher_vars[0])

static void unset_all(void) {
    for (size_t i = 0; i < N_VARS; i++)
        unsetenv(launcher_vars[i]);
}

static void test_plain_run(void **state) {
    (void)state;
    unset_all();
    assert_false(clcnn_dist_launched());
    assert_int_equal(clcnn_dist_init(NULL, NULL), CLCNN_STATUS_OK);
    assert_false(clcnn_dist_active());
    assert_int_equal(clcnn_dist_rank(), 0);
    assert_int_equal(clcnn_dist_size(), 1);
    assert_int_equal(clcnn_dist_local_rank(), 0);
    assert_int_equal(clcnn_dist_local_size(), 1);
    int mine = 42, all = 0;
    assert_int_equal(clcnn_dist_gather(&mine, sizeof mine, &all), CLCNN_STATUS_OK);
    assert_int_equal(all, 42);
    assert_int_equal(clcnn_dist_send(0, 1, &mine, sizeof mine), CLCNN_STATUS_UNSUPPORTED);
    /* One rank: PoCL's thread count is left alone. */
    unsetenv("POCL_MAX_PTHREAD_COUNT");
    clcnn_dist_share_cpu();
    assert_null(getenv("POCL_MAX_PTHREAD_COUNT"));
    /* The collectives: the sum over one rank, rank 0's own bytes. */
    float f[3] = {1.5f, -2.0f, 0.25f};
    double d[2] = {3.0, 4.5};
    assert_int_equal(clcnn_dist_allreduce_sum(f, 3, CLCNN_DIST_FLOAT), CLCNN_STATUS_OK);
    assert_int_equal(clcnn_dist_allreduce_sum(d, 2, CLCNN_DIST_DOUBLE), CLCNN_STATUS_OK);
    assert_int_equal(clcnn_dist_bcast(&mine, sizeof mine), CLCNN_STATUS_OK);
    assert_true(f[0] == 1.5f && f[1] == -2.0f && f[2] == 0.25f && d[0] == 3.0 && d[1] == 4.5);
    assert_int_equal(mine, 42);
    /* The non-blocking sum over one rank: done at once, the values unchanged. */
    float g[2] = {1.0f, -3.5f};
    int done = 0;
    assert_int_equal(clcnn_dist_iallreduce_sum(g, 2), CLCNN_STATUS_OK);
    assert_int_equal(clcnn_dist_test_all(&done), CLCNN_STATUS_OK);
    assert_int_equal(done, 1);
    assert_int_equal(clcnn_dist_wait_all(), CLCNN_STATUS_OK);
    assert_true(g[0] == 1.0f && g[1] == -3.5f);
    /* Without MPI, training asked to be data-parallel is a plain run. */
    clcnn_dp dp;
    assert_int_equal(clcnn_dp_init(&dp, 1, NULL), CLCNN_STATUS_OK);
    assert_false(dp.active);
    clcnn_dp_free(&dp);
    /* ... unless CLCNN_DP_SPLIT asks for N >= 2 parts; a bad value is an error naming it. */
    setenv("CLCNN_DP_SPLIT", "0", 1);
    assert_int_not_equal(clcnn_dp_init(&dp, 1, NULL), CLCNN_STATUS_OK);
    assert_non_null(strstr(clcnn_last_error(), "CLCNN_DP_SPLIT"));
    clcnn_dp_free(&dp);
    setenv("CLCNN_DP_SPLIT", "1", 1);
    assert_int_equal(clcnn_dp_init(&dp, 1, NULL), CLCNN_STATUS_OK);
    assert_false(dp.active);
    clcnn_dp_free(&dp);
    unsetenv("CLCNN_DP_SPLIT");
    clcnn_dist_abort(3); /* returns without MPI */
    clcnn_dist_finalize();
}

static void test_launchers_noticed(void **state) {
    (void)state;
    for (size_t i = 0; i < N_VARS - 1; i++) {
        unset_all();
        setenv(launcher_vars[i], "1", 1);
        assert_true(clcnn_dist_launched());
    }
    unset_all();
    setenv("SLURM_PROCID", "0", 1);
    setenv("SLURM_NTASKS", "2", 1);
    assert_false(clcnn_dist_launched()); /* a batch script, not a step srun started */
    setenv("SLURM_STEP_ID", "0", 1);
    assert_true(clcnn_dist_launched());
    unset_all();
}

/* Every rank's part of a batch: contiguous, in rank order, covering the batch once, the shares
 * differing by at most one (32 over 3: 11, 11, 10; 2 over 3: 1, 1, 0). */
static void test_data_parallel_shares(void **state) {
    (void)state;
    for (int size = 1; size <= 5; size++)
        for (int count = 1; count <= 40; count++) {
            int next = 0, lo = count, hi = 0;
            for (int rank = 0; rank < size; rank++) {
                clcnn_dp dp = {.active = 1, .rank = rank, .size = size};
                int offset, share;
                clcnn_dp_share(&dp, count, &offset, &share);
                assert_int_equal(offset, next);
                next += share;
                lo = share < lo ? share : lo;
                hi = share > hi ? share : hi;
            }
            assert_int_equal(next, count);
            assert_true(hi - lo <= 1);
        }
    int expect[3][2] = {{0, 11}, {11, 11}, {22, 10}};
    for (int rank = 0; rank < 3; rank++) {
        clcnn_dp dp = {.active = 1, .rank = rank, .size = 3};
        int offset, share;
        clcnn_dp_share(&dp, 32, &offset, &share);
        assert_int_equal(offset, expect[rank][0]);
        assert_int_equal(share, expect[rank][1]);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_run),
        cmocka_unit_test(test_launchers_noticed),
        cmocka_unit_test(test_data_parallel_shares),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
