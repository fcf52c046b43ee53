/* selftest/selftest.h: parts of `clcnn selftest` that clcnn-bench tune-kernels reuses to check
 * each candidate parameter set against the C reference and to time a layer's passes, and the
 * selftest's cases kept in files of their own. */
#ifndef CLCNN_SELFTEST_INTERNAL_H
#define CLCNN_SELFTEST_INTERNAL_H

#include "clcnn/selftest.h"
#include "nn/nn.h"

/* The conv2d and dense cases by one GEMM route, and batch normalization (the reductions), with
 * the parameters in force on ctx; as clcnn_selftest_run otherwise. */
clcnn_status clcnn_selftest_run_route(clcnn_context *ctx, clcnn_route route,
                                      clcnn_selftest_report report, void *user, int *failures);

/* Sets one layer up on random data of n images and runs its forward (training) and backward
 * passes runs + 2 times (the first two pay builds and route choices), waiting for each. */
clcnn_status clcnn_selftest_layer_passes(clcnn_context *ctx, const clcnn_layer_spec *spec,
                                         clcnn_shape in, int n, clcnn_route route, int runs);

/* One checked output of `clcnn selftest` (a row of its table): st is the run's state. */
typedef void (*clcnn_selftest_check)(void *st, const char *kernel, const char *variant,
                                     const float *got, const double *want, size_t n, double rtol,
                                     double atol, double seconds);

/* The augmentation kernels' rows (selftest/selftest_augment.c). */
clcnn_status clcnn_selftest_augment(clcnn_context *ctx, clcnn_selftest_check check, void *st);

#endif
