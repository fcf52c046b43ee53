/* tests/unit/test_dist.c: the process's place in an MPI job when no launcher started it: no
 * launcher variable means not launched, and clcnn_dist_init leaves the process rank 0 of 1 with
 * MPI untouched (so a plain run cannot hang in MPI_Init); each launcher's variable is noticed. */
#include <stdlib.h>

#include "clcnn/dist.h"
#include "test_util.h"

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

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_run),
        cmocka_unit_test(test_launchers_noticed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
