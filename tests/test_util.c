/* tests/test_util.c: see test_util.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/core.h"
#include "test_util.h"

void test_fill_uniform(float *v, size_t n, float lo, float hi, uint64_t seed) {
    clcnn_rng rng;
    clcnn_rng_seed(&rng, seed);
    for (size_t i = 0; i < n; i++) v[i] = lo + (hi - lo) * (float)clcnn_rng_uniform(&rng);
}

void test_fill_uniform_d(double *v, size_t n, double lo, double hi, uint64_t seed) {
    clcnn_rng rng;
    clcnn_rng_seed(&rng, seed);
    for (size_t i = 0; i < n; i++) v[i] = lo + (hi - lo) * clcnn_rng_uniform(&rng);
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

double *test_to_double(const float *v, size_t n) {
    double *d = malloc((n ? n : 1) * sizeof *d);
    for (size_t i = 0; i < n; i++) d[i] = v[i];
    return d;
}

float *test_to_float(const double *v, size_t n) {
    float *f = malloc((n ? n : 1) * sizeof *f);
    for (size_t i = 0; i < n; i++) f[i] = (float)v[i];
    return f;
}

#include "clcnn/device.h"

struct clcnn_context *test_context(void) {
    clcnn_context *ctx = NULL;
    clcnn_status s = clcnn_context_create(NULL, &ctx);
    if (s != CLCNN_STATUS_OK) {
        printf("no OpenCL device for this test: %s\n", clcnn_last_error());
        fail_msg("an OpenCL test needs a device (install pocl-opencl-icd)");
    }
    return ctx;
}
