/* selftest/selftest.h: parts of `clcnn selftest` that clcnn-bench tune-kernels reuses to check
 * each candidate parameter set against the C reference and to time a layer's passes. */
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

#endif
