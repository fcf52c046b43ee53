/* test_gemm.c: every product of cl/gemm.h, by every route (the tiled one with every class's
 * default tile and other tunable settings), against a double-precision loop on odd shapes (not
 * multiples of any tile), with batches, offsets, bias and ReLU. CLCNN_TEST_SMALL=1 (for
 * Oclgrind) runs only the tiled kernels on small shapes, with the tiles the device admits. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl/gemm.h"
#include "cl/kparams.h"
#include "cl/route.h"
#include "test_util.h"

typedef struct shape {
    clcnn_gemm_kind kind;
    int M, N, K, batch, bias_mode, relu;
} shape;

/* Reference: the same product in double. Layouts as cl/gemm.h describes, tight leading dims. */
static void reference(const shape *s, const float *A, const float *B, const float *bias, double *C) {
    int M = s->M, N = s->N, K = s->K;
    int zs = s->kind == CLCNN_GEMM_NT_SUM ? 1 : s->batch;
    for (int z = 0; z < zs; z++)
        for (int m = 0; m < M; m++)
            for (int n = 0; n < N; n++) {
                double acc = 0;
                for (int zz = 0; zz < (s->kind == CLCNN_GEMM_NT_SUM ? s->batch : 1); zz++) {
                    int b = s->kind == CLCNN_GEMM_NT_SUM ? zz : z;
                    const float *a = A + (size_t)b * M * K, *bb = B + (size_t)b * K * N;
                    for (int k = 0; k < K; k++) {
                        double av = s->kind == CLCNN_GEMM_TN ? a[k * M + m] : a[m * K + k];
                        double bv = s->kind == CLCNN_GEMM_NT_SUM ? bb[n * K + k] : bb[k * N + n];
                        acc += av * bv;
                    }
                }
                if (s->bias_mode == 1) acc += bias[m];
                if (s->bias_mode == 2) acc += bias[n];
                if (s->relu && acc < 0) acc = 0;
                C[(size_t)z * M * N + m * N + n] = acc;
            }
}

/* The product by `route` with route key `key` (may be NULL), or by the tiled kernels with `tile`
 * when it is not NULL; returns the route that ran. */
static clcnn_route check_keyed(clcnn_context *ctx, const shape *s, clcnn_route route,
                               const clcnn_gemm_tile *tile, const char *key) {
    size_t na = (size_t)s->batch * s->M * s->K, nb = (size_t)s->batch * s->K * s->N;
    size_t nc = (size_t)(s->kind == CLCNN_GEMM_NT_SUM ? 1 : s->batch) * s->M * s->N;
    float *A = malloc(na * 4), *B = malloc(nb * 4), *bias = malloc(4 * (size_t)(s->M + s->N));
    float *C = malloc(nc * 4);
    double *want = malloc(nc * 8);
    test_fill_uniform(A, na, -1, 1, 1);
    test_fill_uniform(B, nb, -1, 1, 2);
    test_fill_uniform(bias, (size_t)(s->M + s->N), -1, 1, 3);
    reference(s, A, B, bias, want);
    cl_mem dA, dB, dC, dbias;
    assert_int_equal(clcnn_buffer_create(ctx, na * 4 + 64, &dA), CLCNN_STATUS_OK);
    assert_int_equal(clcnn_buffer_create(ctx, nb * 4, &dB), CLCNN_STATUS_OK);
    assert_int_equal(clcnn_buffer_create(ctx, nc * 4, &dC), CLCNN_STATUS_OK);
    assert_int_equal(clcnn_buffer_create(ctx, 4 * (size_t)(s->M + s->N), &dbias), CLCNN_STATUS_OK);
    /* A sits at an offset of 7 floats to check offsets. */
    assert_int_equal(clcnn_buffer_write(ctx, dA, 7 * 4, na * 4, A), CLCNN_STATUS_OK);
    assert_int_equal(clcnn_buffer_write(ctx, dB, 0, nb * 4, B), CLCNN_STATUS_OK);
    assert_int_equal(clcnn_buffer_write(ctx, dbias, 0, 4 * (size_t)(s->M + s->N), bias), CLCNN_STATUS_OK);
    int tn = s->kind == CLCNN_GEMM_TN, nt = s->kind == CLCNN_GEMM_NT_SUM;
    clcnn_gemm_op op = {
        .kind = s->kind, .M = s->M, .N = s->N, .K = s->K, .batch = s->batch,
        .A = dA, .a_off = 7, .a_batch = (size_t)s->M * s->K, .lda = tn ? s->M : s->K,
        .B = dB, .b_batch = (size_t)s->K * s->N, .ldb = nt ? s->K : s->N,
        .C = dC, .c_batch = (size_t)s->M * s->N, .ldc = s->N,
        .bias = s->bias_mode ? dbias : NULL, .bias_mode = s->bias_mode, .relu = s->relu,
        .route_key = key,
    };
    clcnn_route used = CLCNN_ROUTE_TILED;
    clcnn_status st = tile ? clcnn_gemm_tiled(ctx, &op, tile) : clcnn_gemm(ctx, &op, route, &used);
    if (st != CLCNN_STATUS_OK) printf("gemm failed: %s\n", clcnn_last_error());
    assert_int_equal(st, CLCNN_STATUS_OK);
    assert_int_equal(clcnn_buffer_read(ctx, dC, 0, nc * 4, C), CLCNN_STATUS_OK);
    char what[160];
    snprintf(what, sizeof what, "gemm kind %d %dx%dx%d batch %d bias %d relu %d tile %d,%d,%d,%d,%d route %s",
             s->kind, s->M, s->N, s->K, s->batch, s->bias_mode, s->relu, tile ? tile->ts_m : 0,
             tile ? tile->ts_n : 0, tile ? tile->ts_k : 0, tile ? tile->wpt_m : 0,
             tile ? tile->wpt_n : 0, clcnn_route_name(used));
    assert_true(test_allclose(what, C, want, nc, 1e-4, 1e-4 * sqrt((double)s->K * s->batch)));
    clReleaseMemObject(dA);
    clReleaseMemObject(dB);
    clReleaseMemObject(dC);
    clReleaseMemObject(dbias);
    free(A);
    free(B);
    free(C);
    free(bias);
    free(want);
    return used;
}

static void check_shape(clcnn_context *ctx, const shape *s, clcnn_route route,
                        const clcnn_gemm_tile *tile) {
    check_keyed(ctx, s, route, tile, NULL);
}

static const shape shapes[] = {
    {CLCNN_GEMM_TN, 13, 45, 17, 3, 1, 1}, {CLCNN_GEMM_TN, 8, 32, 5, 1, 0, 0},
    {CLCNN_GEMM_TN, 70, 33, 9, 2, 2, 0},  {CLCNN_GEMM_NN, 11, 37, 23, 2, 1, 0},
    {CLCNN_GEMM_NN, 5, 100, 64, 1, 2, 1}, {CLCNN_GEMM_NT_SUM, 9, 13, 37, 3, 0, 0},
    {CLCNN_GEMM_NT_SUM, 16, 7, 50, 1, 2, 1}, {CLCNN_GEMM_NT_SUM, 3, 5, 7, 4, 1, 0},
    /* Large enough that the batch is summed in groups, then the groups added up. */
    {CLCNN_GEMM_NT_SUM, 13, 50, 20011, 5, 1, 1},
    /* K = 1, a single element, and K cut into packed pieces whose length is not a multiple of 8. */
    {CLCNN_GEMM_NT_SUM, 7, 17, 1, 2, 1, 0}, {CLCNN_GEMM_NT_SUM, 1, 1, 1, 1, 0, 0},
    {CLCNN_GEMM_NT_SUM, 14, 33, 300, 2, 2, 1},
    /* Outputs of over 2^20 floats without bias or ReLU, stored past the caches on CPUs
     * (host/cl/gemm.c): rows of an odd width (some vector-aligned, some not) and of a multiple of
     * every tile's width; then one with both, stored as usual. */
    {CLCNN_GEMM_TN, 37, 28673, 5, 1, 0, 0}, {CLCNN_GEMM_NN, 11, 33024, 7, 3, 0, 0},
    {CLCNN_GEMM_TN, 37, 28673, 5, 1, 2, 1},
};

/* Few and small, for Oclgrind: every kind, edges on every side of a tile. */
static const shape small_shapes[] = {
    {CLCNN_GEMM_TN, 13, 45, 17, 2, 1, 1},
    {CLCNN_GEMM_NN, 11, 37, 23, 2, 2, 0},
    {CLCNN_GEMM_NT_SUM, 9, 13, 19, 3, 1, 1},
    {CLCNN_GEMM_NT_SUM, 7, 17, 1, 2, 0, 0},
};

/* Tiles beyond the classes' defaults: uneven work-item tiles, shallow and deep k steps, and a
 * work-group of one. */
static const clcnn_gemm_tile extra_tiles[] = {
    {16, 32, 8, 2, 4}, {32, 16, 32, 8, 2}, {128, 64, 8, 8, 4}, {4, 4, 4, 4, 4}, {8, 8, 1, 1, 1},
};

static int small(void) {
    const char *e = getenv("CLCNN_TEST_SMALL");
    return e && *e && strcmp(e, "0") != 0;
}

/* The own kernels' register tiles: each vector width's default and uneven ones (the packed NT
 * product's own tile too: 48 and 8 columns), with NT products cut along K into pieces summed in
 * groups (a tiny cache budget cuts even the small shapes, and sends the packed ones to their
 * build for operands streamed from memory: on width 16 a longer panel). Under Oclgrind (CLCNN_TEST_SMALL) the
 * small set only. */
static const char *const own_tiles[] = {
    "5,4,16,4,4,16,8,2", "8,2,16,4,4,16", "5,3,16,4,4,16,3,3", "6,2,8,3,4,8,5,1",
    "6,2,8,3,4,8",       "6,2,4,3,4,4",   "5,3,4,2,3,4",       "1,1,4,1,1,8",
};

/* The own route on a context opened with the current environment (its tiles are read at open);
 * then the NT products again by each NT kernel forced (CLCNN_GEMM_NT: packed panels, dot
 * products), so both run with every tile whatever the device's default picks. */
static void check_own_set(const shape *set, size_t n_set) {
    clcnn_context *ctx = test_context();
    for (size_t i = 0; i < n_set; i++) check_shape(ctx, &set[i], CLCNN_ROUTE_OWN, NULL);
    clcnn_context_destroy(ctx);
    static const char *const modes[] = {"packed", "dot"};
    for (int m = 0; m < 2; m++) {
        setenv("CLCNN_GEMM_NT", modes[m], 1);
        ctx = test_context();
        assert_int_equal(ctx->own_gemm.nt_packed, m == 0);
        for (size_t i = 0; i < n_set; i++)
            if (set[i].kind == CLCNN_GEMM_NT_SUM) check_shape(ctx, &set[i], CLCNN_ROUTE_OWN, NULL);
        clcnn_context_destroy(ctx);
    }
    unsetenv("CLCNN_GEMM_NT");
}

static void test_own(void **state) {
    (void)state;
    const shape *set = small() ? small_shapes : shapes;
    size_t n_set = small() ? sizeof small_shapes / sizeof small_shapes[0]
                           : sizeof shapes / sizeof shapes[0];
    size_t n_small = sizeof small_shapes / sizeof small_shapes[0];
    check_own_set(set, n_set);
    /* Each width's default tiles, whatever this CPU's width (CLCNN_VECTOR_WIDTH, read at open). */
    static const char *const widths[] = {"4", "8", "16"};
    for (size_t w = 0; w < sizeof widths / sizeof widths[0]; w++) {
        setenv("CLCNN_VECTOR_WIDTH", widths[w], 1);
        check_own_set(set, n_set);
    }
    unsetenv("CLCNN_VECTOR_WIDTH");
    for (size_t t = 0; t < sizeof own_tiles / sizeof own_tiles[0]; t++) {
        setenv("CLCNN_GEMM_OWN_TILE", own_tiles[t], 1);
        check_own_set(set, n_set);
        setenv("CLCNN_GEMM_NT_CACHE", "600", 1);
        check_own_set(small_shapes, n_small);
        unsetenv("CLCNN_GEMM_NT_CACHE");
    }
    unsetenv("CLCNN_GEMM_OWN_TILE");
}

/* A malformed override fails at open, naming the variable and its value. */
static void test_own_bad_overrides(void **state) {
    (void)state;
    static const char *const bad[][2] = {
        {"CLCNN_GEMM_OWN_TILE", "6,2,8"}, {"CLCNN_GEMM_OWN_TILE", "6,2,7,4,2,8"},
        {"CLCNN_GEMM_OWN_TILE", "6,2,8,4,2,8,6"}, {"CLCNN_GEMM_OWN_TILE", "6,2,8,4,2,8,6,9"},
        {"CLCNN_GEMM_NT_CACHE", "2MiB"}, {"CLCNN_GEMM_NT_CACHE", "-5"},
        {"CLCNN_GEMM_NT", "fast"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        setenv(bad[i][0], bad[i][1], 1);
        clcnn_context *ctx = NULL;
        clcnn_status s = clcnn_context_create(NULL, &ctx);
        unsetenv(bad[i][0]);
        assert_int_equal(s, CLCNN_STATUS_INVALID_ARGUMENT);
        assert_null(ctx);
        assert_non_null(strstr(clcnn_last_error(), bad[i][0]));
        assert_non_null(strstr(clcnn_last_error(), bad[i][1]));
    }
}

static void test_clblast(void **state) {
    (void)state;
    if (small()) skip();
    clcnn_context *ctx = test_context();
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        check_shape(ctx, &shapes[i], CLCNN_ROUTE_CLBLAST, NULL);
    clcnn_context_destroy(ctx);
}

/* Every class's default tile and the extra ones, each on every shape: the ones the device
 * cannot run (work-group or local memory too large, as under Oclgrind's GPU-like limits) are
 * refused by clcnn_gemm_tile_check, and at least two must run. */
static void test_tiled(void **state) {
    (void)state;
    clcnn_context *ctx = test_context();
    clcnn_gemm_tile tiles[CLCNN_N_CLASSES + sizeof extra_tiles / sizeof extra_tiles[0]];
    int n_tiles = 0, ran = 0;
    for (int c = 0; c < CLCNN_N_CLASSES; c++) tiles[n_tiles++] = clcnn_gemm_tile_default(c);
    for (size_t i = 0; i < sizeof extra_tiles / sizeof extra_tiles[0]; i++)
        tiles[n_tiles++] = extra_tiles[i];
    for (int t = 0; t < n_tiles; t++) {
        int dup = 0;
        for (int u = 0; u < t; u++) dup |= memcmp(&tiles[u], &tiles[t], sizeof tiles[t]) == 0;
        if (dup || clcnn_gemm_tile_check(&tiles[t], ctx->max_group, ctx->local_mem) != CLCNN_STATUS_OK)
            continue;
        /* The defaults see every shape; the extra settings the small set (each is a compile). */
        int full = t < CLCNN_N_CLASSES && !small();
        const shape *set = full ? shapes : small_shapes;
        size_t n_set = full ? sizeof shapes / sizeof shapes[0]
                            : sizeof small_shapes / sizeof small_shapes[0];
        for (size_t i = 0; i < n_set; i++) check_shape(ctx, &set[i], CLCNN_ROUTE_AUTO, &tiles[t]);
        ran++;
    }
    printf("tiled GEMM: %d tile settings run on '%s'\n", ran, ctx->info.name);
    assert_true(ran >= 2);
    /* The route runs the device class's tile. */
    check_shape(ctx, &small_shapes[0], CLCNN_ROUTE_TILED, NULL);
    clcnn_context_destroy(ctx);
}

static void test_auto_is_cached(void **state) {
    (void)state;
    if (small()) skip();
    clcnn_context *ctx = test_context();
    check_shape(ctx, &shapes[0], CLCNN_ROUTE_AUTO, NULL);
    check_shape(ctx, &shapes[0], CLCNN_ROUTE_AUTO, NULL);
    clcnn_context_destroy(ctx);
}

/* AUTO's choice is kept per product in the context, by shape and route key: one shape under two
 * keys whose routes the table holds (as a race would have stored them) runs each key's route,
 * the first time and from the memo after, and a product the memo holds adds no entry. */
static void test_auto_memo_by_key(void **state) {
    (void)state;
    if (small()) skip();
    clcnn_context *ctx = test_context();
    if (ctx->conv.gemm_route != CLCNN_ROUTE_AUTO) {
        clcnn_context_destroy(ctx);
        skip(); /* CLCNN_ROUTE forces one route for every product */
    }
    ctx->disk_cache = 0; /* the stored keys stay in this context */
    assert_int_equal(clcnn_route_store(ctx, "test-memo-own", CLCNN_ROUTE_OWN), CLCNN_STATUS_OK);
    assert_int_equal(clcnn_route_store(ctx, "test-memo-tiled", CLCNN_ROUTE_TILED), CLCNN_STATUS_OK);
    int before = ctx->n_gemm_memo;
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 2; i++) {
            const shape *s = &shapes[i];
            assert_int_equal(check_keyed(ctx, s, CLCNN_ROUTE_AUTO, NULL, "test-memo-own"),
                             CLCNN_ROUTE_OWN);
            assert_int_equal(check_keyed(ctx, s, CLCNN_ROUTE_AUTO, NULL, "test-memo-tiled"),
                             CLCNN_ROUTE_TILED);
        }
        assert_int_equal(ctx->n_gemm_memo, before + 4);
    }
    clcnn_context_destroy(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_own),
        cmocka_unit_test(test_own_bad_overrides),
        cmocka_unit_test(test_clblast),
        cmocka_unit_test(test_tiled),
        cmocka_unit_test(test_auto_is_cached),
        cmocka_unit_test(test_auto_memo_by_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
