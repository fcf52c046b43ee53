/* tests/test_util.h: helpers shared by the C tests (built into clcnn_ref, which every test
 * links): random data with a fixed seed, array comparison that prints the first bad index and
 * both values, central-difference gradient checks, temp folders, and the test device.
 * tests/test_layer.h adds the device buffers and the layer harness of the layer tests. */
#ifndef CLCNN_TEST_UTIL_H
#define CLCNN_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

/* ---- random data and comparison -------------------------------------------------------------- */

/* Fills v with uniform values in [lo, hi) from a fixed-seed generator. */
void test_fill_uniform(float *v, size_t n, float lo, float hi, uint64_t seed);
void test_fill_uniform_d(double *v, size_t n, double lo, double hi, uint64_t seed);

/* Compares got against want with |got - want| <= atol + rtol * |want|. On the first mismatch
 * prints "<what>: first bad index i: got G, want W" and returns 0; returns 1 if all match. */
int test_allclose(const char *what, const float *got, const double *want, size_t n, double rtol,
                  double atol);

/* n uniform floats in [lo, hi) (malloc'ed) and in *as_double their exact double copy
 * (malloc'ed); the caller frees both. */
float *test_random_f(size_t n, double lo, double hi, uint64_t seed, double **as_double);

/* Float <-> double copies (malloc'ed; the caller frees). */
double *test_to_double(const float *v, size_t n);
float *test_to_float(const double *v, size_t n);

/* ---- gradient checks of the double-precision reference --------------------------------------- */

/* A scalar loss that reads its inputs through ctx. The checks wrap an operation in
 * L = sum(y * r) with a fixed random r, so the backward pass fed r must return dL/dinput. */
typedef double (*test_loss_fn)(void *ctx);

/* Asserts that analytic (n values) is dL/dv by central differences with a step of 1e-6, to
 * within 1e-6 relative plus 1e-7 absolute. v is perturbed in place and restored. */
void test_check_grad(const char *what, test_loss_fn f, void *ctx, double *v, const double *analytic,
                     size_t n);

double test_dot(const double *a, const double *b, size_t n);

/* n uniform doubles in [lo, hi) (malloc'ed; the caller frees). */
double *test_random_d(size_t n, double lo, double hi, uint64_t seed);

/* n doubles drawn from [-span, span) and pushed 0.05 further from 0, so |v| >= 0.05 and a step
 * of 1e-6 never crosses a kink at 0 (malloc'ed; the caller frees). */
double *test_away_from_zero(size_t n, double span, uint64_t seed);

/* ---- temp folders ---------------------------------------------------------------------------- */

/* Creates a new empty folder $TMPDIR/clcnn-<what>-XXXXXX (/tmp without TMPDIR) and writes its
 * path into buf (n bytes); returns buf. Fails the test if it cannot. */
char *test_temp_dir(const char *what, char *buf, size_t n);

/* Removes path and everything below it (rm -r, without a shell); a missing path is fine. */
void test_remove_tree(const char *path);

/* ---- the test device ------------------------------------------------------------------------- */

struct clcnn_context;

/* A new OpenCL context (CLCNN_DEVICE or the default device); the caller destroys it. With no
 * device the test fails with the library's message: tests never skip for want of a device. */
struct clcnn_context *test_context(void);

/* The context of a test group: test_device_setup opens it with test_context() and prints the
 * device's name, test_device_teardown destroys it. Pass both to cmocka_run_group_tests. */
extern struct clcnn_context *test_ctx;
int test_device_setup(void **state);
int test_device_teardown(void **state);

#endif
