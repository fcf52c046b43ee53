/* tests/test_layer.h: the device side of the layer tests (tests/opencl/test_layers*.c): device
 * buffers poisoned with NaN, read back with a check that no kernel wrote past their end, and a
 * harness that sets a layer up as nn/model.c does and runs its forward and backward passes
 * through the nn.h layer interface. Everything here runs on test_ctx (test_util.h). */
#ifndef CLCNN_TEST_LAYER_H
#define CLCNN_TEST_LAYER_H

#include "nn/nn.h"
#include "test_util.h"

/* ---- device buffers -------------------------------------------------------------------------- */

/* The bit pattern every test buffer starts with: a NaN, so a value a kernel forgets to write
 * shows up in any comparison. */
extern const uint32_t TEST_POISON;
int test_is_poison(const float *v);

/* A buffer of `floats` floats (at least 1), every byte of it and of its slack
 * (CLCNN_BUFFER_SLACK) set to TEST_POISON. */
cl_mem test_dev_buffer(size_t floats);
/* A poisoned buffer holding a copy of v. */
cl_mem test_dev_from(const float *v, size_t floats);
void test_dev_write(cl_mem b, const float *v, size_t floats);
/* Reads `floats` floats back (malloc'ed; the caller frees) and fails the test, naming `what`,
 * if the slack past them no longer holds the poison: a kernel wrote past the end. */
float *test_dev_read(const char *what, cl_mem b, size_t floats);

/* ---- one layer through the nn.h interface ---------------------------------------------------- */

/* Sets l up as nn/model.c does: spec (named "<type>_test"), input shape, fused ReLU, GEMM route;
 * runs the type's infer and fails the test with its message if it refuses. */
void test_layer_make(clcnn_layer *l, const clcnn_layer_spec *spec, clcnn_shape in, int relu,
                     clcnn_route route);

/* Floats in parameter tensor p. */
size_t test_layer_param_count(const clcnn_layer *l, int p);

/* Places the layer's tensors in an arena at odd offsets with gaps between them (as if other
 * layers' tensors surrounded them); returns the arena's size in floats. */
size_t test_layer_place_params(clcnn_layer *l);

/* The device buffers of one layer run, all poisoned: x holds the input, params the arena. */
typedef struct test_layer_run {
    const char *what; /* names the case in failure messages */
    int n;            /* examples */
    size_t nx, ny, n_arena;
    cl_mem x, y, dx, dy, params, grads, workspace; /* dx is NULL for a first layer */
} test_layer_run;

/* n examples of x; arena (n_arena floats) is the parameter arena, or NULL for a layer without
 * parameters. want_dx 0 runs the layer as a first layer (no dx). `what` names the case in
 * failure messages and must outlive the run. */
test_layer_run test_layer_run_make(const char *what, const clcnn_layer *l, int n, const float *x,
                                   const float *arena, size_t n_arena, int want_dx);
/* The forward pass (training or inference, with the step's random key); fails on an error. */
void test_layer_forward(clcnn_layer *l, const test_layer_run *r, int training, uint64_t seed);
/* Writes dy and runs the backward pass of a training step with the step's random key. */
void test_layer_backward(clcnn_layer *l, const test_layer_run *r, const float *dy, uint64_t seed);
void test_layer_run_free(test_layer_run *r);

#endif
