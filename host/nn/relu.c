/* nn/relu.c: ReLU as a layer of its own (conv2d and dense fuse it when given activation: relu). */
#include "nn.h"

static clcnn_status infer(clcnn_layer *l) {
    l->out = l->in;
    return CLCNN_STATUS_OK;
}

static clcnn_status forward(clcnn_layer *l, const clcnn_pass *p) {
    cl_kernel k;
    CLCNN_TRY(clcnn_kernel_get(p->ctx, "elementwise.cl", "relu_forward", &k));
    size_t count = (size_t)p->n * clcnn_shape_size(l->in), items = (count + 7) / 8;
    cl_ulong n = count;
    clcnn_arg args[] = {CLCNN_ARG(p->x), CLCNN_ARG(p->y), CLCNN_ARG(n)};
    clcnn_profile_bytes(p->ctx, 8.0 * (double)count);
    return clcnn_launch(p->ctx, k, 1, &items, NULL, args, 3);
}

static clcnn_status backward(clcnn_layer *l, const clcnn_pass *p) {
    if (!p->dx) return CLCNN_STATUS_OK;
    cl_kernel k;
    CLCNN_TRY(clcnn_kernel_get(p->ctx, "elementwise.cl", "relu_backward", &k));
    size_t count = (size_t)p->n * clcnn_shape_size(l->in), items = (count + 7) / 8;
    cl_ulong n = count;
    clcnn_arg args[] = {CLCNN_ARG(p->x), CLCNN_ARG(p->dy), CLCNN_ARG(p->dx), CLCNN_ARG(n)};
    clcnn_profile_bytes(p->ctx, 12.0 * (double)count);
    return clcnn_launch(p->ctx, k, 1, &items, NULL, args, 4);
}

static double flops(const clcnn_layer *l, int phase) {
    (void)phase;
    return (double)clcnn_shape_size(l->in);
}

CLCNN_LAYER_TYPE(relu, infer, forward, backward, flops, 0);
