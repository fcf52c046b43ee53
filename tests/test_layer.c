/* tests/test_layer.c: see test_layer.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_layer.h"

/* ---- device buffers -------------------------------------------------------------------------- */

const uint32_t TEST_POISON = 0xffffffffu;

int test_is_poison(const float *v) {
    uint32_t bits;
    memcpy(&bits, v, sizeof bits);
    return bits == TEST_POISON;
}

cl_mem test_dev_buffer(size_t floats) {
    cl_mem b;
    size_t bytes = (floats ? floats : 1) * sizeof(float);
    assert_int_equal(clcnn_buffer_create(test_ctx, bytes, &b), CLCNN_STATUS_OK);
    assert_int_equal(clEnqueueFillBuffer(test_ctx->queue, b, &TEST_POISON, sizeof TEST_POISON, 0,
                                         bytes + CLCNN_BUFFER_SLACK, 0, NULL, NULL),
                     CL_SUCCESS);
    return b;
}

void test_dev_write(cl_mem b, const float *v, size_t floats) {
    assert_int_equal(clcnn_buffer_write(test_ctx, b, 0, floats * sizeof(float), v),
                     CLCNN_STATUS_OK);
}

cl_mem test_dev_from(const float *v, size_t floats) {
    cl_mem b = test_dev_buffer(floats);
    test_dev_write(b, v, floats);
    return b;
}

float *test_dev_read(const char *what, cl_mem b, size_t floats) {
    size_t slack = CLCNN_BUFFER_SLACK / sizeof(float);
    float *v = malloc((floats + slack) * sizeof *v);
    assert_int_equal(clcnn_buffer_read(test_ctx, b, 0, (floats + slack) * sizeof(float), v),
                     CLCNN_STATUS_OK);
    for (size_t i = floats; i < floats + slack; i++)
        if (!test_is_poison(&v[i])) {
            printf("%s: a kernel wrote past the end, into the slack at float %zu (%.9g)\n", what, i,
                   (double)v[i]);
            fail();
        }
    return v;
}

/* ---- one layer through the nn.h interface ---------------------------------------------------- */

void test_layer_make(clcnn_layer *l, const clcnn_layer_spec *spec, clcnn_shape in, int relu,
                     clcnn_route route) {
    memset(l, 0, sizeof *l);
    l->spec = *spec;
    snprintf(l->spec.name, sizeof l->spec.name, "%s_test", spec->type);
    l->type = clcnn_layer_type_find(spec->type);
    assert_non_null(l->type);
    l->in = in;
    l->relu = relu;
    l->route = route;
    clcnn_status s = l->type->infer(l);
    if (s != CLCNN_STATUS_OK) printf("infer: %s\n", clcnn_last_error());
    assert_int_equal(s, CLCNN_STATUS_OK);
}

size_t test_layer_param_count(const clcnn_layer *l, int p) {
    size_t c = 1;
    for (int d = 0; d < l->param_ndim[p]; d++)
        c *= (size_t)l->param_shape[p][d];
    return c;
}

size_t test_layer_place_params(clcnn_layer *l) {
    size_t offset = 3;
    for (int p = 0; p < l->n_params; p++) {
        l->param_offset[p] = offset;
        offset += test_layer_param_count(l, p) + 5;
    }
    return offset;
}

test_layer_run test_layer_run_make(const char *what, const clcnn_layer *l, int n, const float *x,
                                   const float *arena, size_t n_arena, int want_dx) {
    test_layer_run r = {.what = what,
                        .n = n,
                        .nx = (size_t)n * clcnn_shape_size(l->in),
                        .ny = (size_t)n * clcnn_shape_size(l->out),
                        .n_arena = n_arena};
    r.x = test_dev_from(x, r.nx);
    r.y = test_dev_buffer(r.ny), r.dy = test_dev_buffer(r.ny);
    r.dx = want_dx ? test_dev_buffer(r.nx) : NULL;
    r.params = arena ? test_dev_from(arena, n_arena) : test_dev_buffer(n_arena);
    r.grads = test_dev_buffer(n_arena);
    r.workspace = test_dev_buffer(clcnn_layer_workspace(l, test_ctx, n));
    return r;
}

static clcnn_pass run_pass(const test_layer_run *r, int training, uint64_t seed) {
    clcnn_pass p = {.ctx = test_ctx,
                    .n = r->n,
                    .x = r->x,
                    .y = r->y,
                    .dx = r->dx,
                    .dy = r->dy,
                    .params = r->params,
                    .grads = r->grads,
                    .workspace = r->workspace,
                    .training = training,
                    .seed = seed};
    return p;
}

void test_layer_forward(clcnn_layer *l, const test_layer_run *r, int training, uint64_t seed) {
    clcnn_pass p = run_pass(r, training, seed);
    clcnn_status s = l->type->forward(l, &p);
    if (s != CLCNN_STATUS_OK) printf("%s: forward: %s\n", r->what, clcnn_last_error());
    assert_int_equal(s, CLCNN_STATUS_OK);
}

void test_layer_backward(clcnn_layer *l, const test_layer_run *r, const float *dy, uint64_t seed) {
    test_dev_write(r->dy, dy, r->ny);
    clcnn_pass p = run_pass(r, 1, seed);
    clcnn_status s = l->type->backward(l, &p);
    if (s != CLCNN_STATUS_OK) printf("%s: backward: %s\n", r->what, clcnn_last_error());
    assert_int_equal(s, CLCNN_STATUS_OK);
}

void test_layer_run_free(test_layer_run *r) {
    cl_mem all[] = {r->x, r->y, r->dx, r->dy, r->params, r->grads, r->workspace};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (all[i]) clReleaseMemObject(all[i]);
    memset(r, 0, sizeof *r);
}
