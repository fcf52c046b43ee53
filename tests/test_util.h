/* tests/test_util.h: helpers shared by the C tests: random data with a fixed seed, array
 * comparison that prints the first bad index and both values, and the test device. */
#ifndef CLCNN_TEST_UTIL_H
#define CLCNN_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/* Fills v with uniform values in [lo, hi) from a fixed-seed generator. */
void test_fill_uniform(float *v, size_t n, float lo, float hi, uint64_t seed);
void test_fill_uniform_d(double *v, size_t n, double lo, double hi, uint64_t seed);

/* Compares got against want with |got - want| <= atol + rtol * |want|. On the first mismatch
 * prints "<what>: first bad index i: got G, want W" and returns 0; returns 1 if all match. */
int test_allclose(const char *what, const float *got, const double *want, size_t n, double rtol,
                  double atol);

/* Float <-> double copies (malloc'ed; the caller frees). */
double *test_to_double(const float *v, size_t n);
float *test_to_float(const double *v, size_t n);

#endif

/* The OpenCL context the tests run on (CLCNN_DEVICE or the default device). With no device the
 * test fails with the library's message: tests never skip for want of a device. */
struct clcnn_context;
struct clcnn_context *test_context(void);
