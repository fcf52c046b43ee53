/* tests/ref/ref_check.h: double-precision comparisons for tests of the reference itself
 * (tests/test_util.h compares float results against a double reference). */
#ifndef CLCNN_REF_CHECK_H
#define CLCNN_REF_CHECK_H

#include <stddef.h>

/* 1 if |got - want| <= atol + rtol * |want| everywhere (NaN never matches); otherwise prints
 * "<what>: first bad index i of n: got G, want W" and returns 0. */
int ref_allclose(const char *what, const double *got, const double *want, size_t n, double rtol,
                 double atol);

#endif
