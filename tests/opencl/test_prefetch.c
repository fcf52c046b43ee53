/* test_prefetch.c: a cold start's helper process (cl/prefetch.c). On an empty PoCL cache the
 * process's first context forks a helper that builds the kernel files asked of it into PoCL's
 * cache; this process's builds of those files are then cache hits (no new build in PoCL's
 * cache), a file not asked for is built here; a model asks for its files when it is made; a
 * later context of the same process forks none (the runtime's threads would not be in the
 * copy). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cl/cl.h"
#include "test_util.h"

static char pocl_dir[1100];

/* PoCL's builds in its cache: one program.bc per program (source + options). */
static int count_builds(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return 0;
    int n = 0;
    char path[2048];
    struct stat st;
    for (struct dirent *e; (e = readdir(d));) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (stat(path, &st) != 0) continue;
        if (S_ISDIR(st.st_mode))
            n += count_builds(path);
        else if (strcmp(e->d_name, "program.bc") == 0)
            n++;
    }
    closedir(d);
    return n;
}

static void test_cold_helper(void **state) {
    (void)state;
    clcnn_context *ctx = NULL;
    assert_int_equal(clcnn_context_create(NULL, &ctx), CLCNN_STATUS_OK);
    if (!strstr(ctx->info.platform, "Portable Computing Language")) {
        printf("not PoCL (%s): no helper expected\n", ctx->info.platform);
        assert_int_equal(ctx->prefetch_pid, 0);
        clcnn_context_destroy(ctx);
        return;
    }
    assert_true(ctx->prefetch_pid > 0);
    assert_true(ctx->prefetch_fd > 0);
    clcnn_program_prefetch(ctx, "optim.cl", "");
    clcnn_program_prefetch(ctx, "gemm.cl", ctx->own_gemm.options);
    clcnn_program_prefetch(ctx, "data.cl", "");
    assert_int_equal(clcnn_prefetch_wait(ctx), 0);
    assert_int_equal(ctx->prefetch_pid, 0);
    int built = count_builds(pocl_dir);
    printf("the helper left %d builds in PoCL's cache\n", built);
    assert_int_equal(built, 3);
    /* Its files: loaded from PoCL's cache, nothing compiled again. */
    cl_program p;
    assert_int_equal(clcnn_program_get(ctx, "optim.cl", "", &p), CLCNN_STATUS_OK);
    assert_int_equal(clcnn_program_get(ctx, "gemm.cl", ctx->own_gemm.options, &p), CLCNN_STATUS_OK);
    assert_int_equal(clcnn_program_get(ctx, "data.cl", "", &p), CLCNN_STATUS_OK);
    assert_int_equal(count_builds(pocl_dir), 3);
    /* Another file is this process's own build; requests after the helper ended go nowhere. */
    clcnn_program_prefetch(ctx, "pool.cl", "");
    assert_int_equal(clcnn_program_get(ctx, "pool.cl", "", &p), CLCNN_STATUS_OK);
    assert_int_equal(count_builds(pocl_dir), 4);
    clcnn_context_destroy(ctx);

    /* A second context: OpenCL is running in this process, so no fork, even when forced. */
    setenv("CLCNN_PREFETCH", "1", 1);
    assert_int_equal(clcnn_context_create(NULL, &ctx), CLCNN_STATUS_OK);
    assert_int_equal(ctx->prefetch_pid, 0);
    assert_true(ctx->prefetch_fd < 0);
    assert_int_equal(clcnn_prefetch_wait(ctx), -1);
    clcnn_context_destroy(ctx);
    unsetenv("CLCNN_PREFETCH");
}

int main(void) {
    char dir[1024];
    if (!test_temp_dir("prefetch", dir, sizeof dir)) return 1;
    snprintf(pocl_dir, sizeof pocl_dir, "%s/pocl", dir);
    /* An empty cache of our own, before any OpenCL call of this process. */
    setenv("CLCNN_CACHE_DIR", dir, 1);
    mkdir(pocl_dir, 0755);
    setenv("POCL_CACHE_DIR", pocl_dir, 1);
    unsetenv("CLCNN_PREFETCH");
    unsetenv("CLCNN_NO_CACHE");
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_cold_helper)};
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    test_remove_tree(dir);
    return failed;
}
