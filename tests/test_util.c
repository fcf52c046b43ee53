/* tests/test_util.c: see test_util.h. */
#define _XOPEN_SOURCE 700 /* mkdtemp, nftw */
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "clcnn/device.h"
#include "core/core.h"
#include "ref/ref_check.h"
#include "test_util.h"

/* ---- random data and comparison -------------------------------------------------------------- */

void test_fill_uniform(float *v, size_t n, float lo, float hi, uint64_t seed) {
    clcnn_rng rng;
    clcnn_rng_seed(&rng, seed);
    for (size_t i = 0; i < n; i++)
        v[i] = lo + (hi - lo) * (float)clcnn_rng_uniform(&rng);
}

void test_fill_uniform_d(double *v, size_t n, double lo, double hi, uint64_t seed) {
    clcnn_rng rng;
    clcnn_rng_seed(&rng, seed);
    for (size_t i = 0; i < n; i++)
        v[i] = lo + (hi - lo) * clcnn_rng_uniform(&rng);
}

int test_allclose(const char *what, const float *got, const double *want, size_t n, double rtol,
                  double atol) {
    for (size_t i = 0; i < n; i++) {
        double g = got[i], w = want[i];
        if (!(fabs(g - w) <= atol + rtol * fabs(w))) {
            printf("%s: first bad index %zu of %zu: got %.9g, want %.9g\n", what, i, n, g, w);
            return 0;
        }
    }
    return 1;
}

float *test_random_f(size_t n, double lo, double hi, uint64_t seed, double **as_double) {
    float *v = malloc((n ? n : 1) * sizeof *v);
    test_fill_uniform(v, n, (float)lo, (float)hi, seed);
    *as_double = test_to_double(v, n);
    return v;
}

double *test_to_double(const float *v, size_t n) {
    double *d = malloc((n ? n : 1) * sizeof *d);
    for (size_t i = 0; i < n; i++)
        d[i] = v[i];
    return d;
}

float *test_to_float(const double *v, size_t n) {
    float *f = malloc((n ? n : 1) * sizeof *f);
    for (size_t i = 0; i < n; i++)
        f[i] = (float)v[i];
    return f;
}

/* ---- gradient checks ------------------------------------------------------------------------- */

/* h = 1e-6 balances truncation error (~h^2, about 1e-12 here) against rounding in L
 * (~1e-16 |L| / h, about 1e-9); both sit well inside the tolerances. */
#define GRAD_STEP 1e-6
#define GRAD_RTOL 1e-6
#define GRAD_ATOL 1e-7

/* dL/dv[i] by central differences; f reads v through ctx, so v is perturbed in place. */
static void numeric_grad(test_loss_fn f, void *ctx, double *v, size_t n, double *out) {
    for (size_t i = 0; i < n; i++) {
        double saved = v[i];
        v[i] = saved + GRAD_STEP;
        double plus = f(ctx);
        v[i] = saved - GRAD_STEP;
        double minus = f(ctx);
        v[i] = saved;
        out[i] = (plus - minus) / (2.0 * GRAD_STEP);
    }
}

void test_check_grad(const char *what, test_loss_fn f, void *ctx, double *v, const double *analytic,
                     size_t n) {
    double *numeric = malloc((n ? n : 1) * sizeof *numeric);
    assert_non_null(numeric);
    numeric_grad(f, ctx, v, n, numeric);
    int ok = ref_allclose(what, analytic, numeric, n, GRAD_RTOL, GRAD_ATOL);
    free(numeric);
    assert_true(ok);
}

double test_dot(const double *a, const double *b, size_t n) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

double *test_random_d(size_t n, double lo, double hi, uint64_t seed) {
    double *v = malloc((n ? n : 1) * sizeof *v);
    assert_non_null(v);
    test_fill_uniform_d(v, n, lo, hi, seed);
    return v;
}

double *test_away_from_zero(size_t n, double span, uint64_t seed) {
    double *v = test_random_d(n, -span, span, seed);
    for (size_t i = 0; i < n; i++)
        v[i] += v[i] < 0 ? -0.05 : 0.05;
    return v;
}

/* ---- temp folders ---------------------------------------------------------------------------- */

char *test_temp_dir(const char *what, char *buf, size_t n) {
    const char *tmp = getenv("TMPDIR");
    int len = snprintf(buf, n, "%s/clcnn-%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", what);
    assert_true(len > 0 && (size_t)len < n);
    char *made = mkdtemp(buf);
    if (!made) printf("cannot create the temp folder '%s'\n", buf);
    assert_non_null(made);
    return buf;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

void test_remove_tree(const char *path) {
    struct stat st;
    if (lstat(path, &st) != 0 && errno == ENOENT) return;
    int failed = nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0;
    if (failed) printf("cannot remove '%s'\n", path);
    assert_false(failed);
}

/* ---- the test device ------------------------------------------------------------------------- */

struct clcnn_context *test_context(void) {
    clcnn_context *ctx = NULL;
    clcnn_status s = clcnn_context_create(NULL, &ctx);
    if (s != CLCNN_STATUS_OK) {
        printf("no OpenCL device for this test: %s\n", clcnn_last_error());
        fail_msg("an OpenCL test needs a device (install pocl-opencl-icd)");
    }
    return ctx;
}

struct clcnn_context *test_ctx;

int test_device_setup(void **state) {
    (void)state;
    test_ctx = test_context();
    printf("device: %s\n", clcnn_context_device(test_ctx)->name);
    return 0;
}

int test_device_teardown(void **state) {
    (void)state;
    clcnn_context_destroy(test_ctx);
    test_ctx = NULL;
    return 0;
}
