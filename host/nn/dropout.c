/* nn/dropout.c: Dropout (Keras' inverted dropout): in training each value is kept with
 * probability 1 - rate and scaled by 1 / (1 - rate); at inference it passes unchanged. The mask
 * is drawn from the step's key (clcnn_pass.seed) and each element's index by a counter-based
 * generator, so backward redraws it and nothing is stored. */
#include "nn.h"

static clcnn_status infer(clcnn_layer *l) {
    if (!(l->spec.rate >= 0.0f && l->spec.rate < 1.0f))
        return clcnn_layer_fail(l, CLCNN_STATUS_BAD_SHAPE, "rate must be in [0, 1), got %g",
                                (double)l->spec.rate);
    l->out = l->in;
    return CLCNN_STATUS_OK;
}

/* Each layer draws its own mask from the step's key. */
static cl_ulong layer_key(const clcnn_layer *l, const clcnn_pass *p) {
    return p->seed ^ (0xd1b54a32d192ed03ull * (uint64_t)(l->index + 1));
}

static clcnn_status launch(const clcnn_layer *l, const clcnn_pass *p, const char *name, cl_mem in,
                           cl_mem out) {
    cl_kernel k;
    CLCNN_TRY(clcnn_kernel_get(p->ctx, "regularize.cl", name, &k));
    cl_ulong key = layer_key(l, p);
    float rate = l->spec.rate, scale = 1.0f / (1.0f - rate);
    size_t count = (size_t)p->n * clcnn_shape_size(l->in);
    cl_ulong n = count;
    clcnn_arg args[] = {CLCNN_ARG(in), CLCNN_ARG(out), CLCNN_ARG(key), CLCNN_ARG(rate),
                        CLCNN_ARG(scale), CLCNN_ARG(n)};
    return clcnn_launch(p->ctx, k, 1, &count, NULL, args, 6);
}

static clcnn_status forward(clcnn_layer *l, const clcnn_pass *p) {
    if (p->training) return launch(l, p, "dropout_forward", p->x, p->y);
    size_t count = (size_t)p->n * clcnn_shape_size(l->in);
    return clcnn_nn_act_forward(p->ctx, CLCNN_ACT_LINEAR, 0.0f, p->x, p->y, count);
}

static clcnn_status backward(clcnn_layer *l, const clcnn_pass *p) {
    if (!p->dx) return CLCNN_STATUS_OK;
    return launch(l, p, "dropout_backward", p->dy, p->dx);
}

static double flops(const clcnn_layer *l, int phase) {
    (void)phase;
    return (double)clcnn_shape_size(l->in);
}

CLCNN_LAYER_TYPE(dropout, infer, forward, backward, flops, 0);
