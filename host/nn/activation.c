/* nn/activation.c: activation layers: Keras' Activation (any function by name) and the layers
 * Sigmoid, Tanh, LeakyReLU, ELU and Softmax. One file for the family, since they differ only in
 * the function code: each row at the end is a layer type of its own. conv2d and dense take the
 * same functions as `activation:` (nn/step.c applies them after the product). Softmax is the
 * loss's: nn/model.c drops a softmax layer from the end, and anywhere else it is an error. */
#include <string.h>

#include "nn.h"

int clcnn_layer_function(const char *type, const char *activation) {
    return clcnn_name_find(&clcnn_activation_names,
                           strcmp(type, "activation") == 0 ? activation : type);
}

static clcnn_status launch_act(clcnn_context *ctx, const char *name, const clcnn_arg *bufs,
                               int n_bufs, int act, float alpha, size_t count) {
    cl_kernel k;
    CLCNN_TRY(clcnn_kernel_get(ctx, "activation.cl", name, &k));
    clcnn_arg args[6];
    cl_ulong n = count;
    for (int i = 0; i < n_bufs; i++) args[i] = bufs[i];
    args[n_bufs] = CLCNN_ARG(act);
    args[n_bufs + 1] = CLCNN_ARG(alpha);
    args[n_bufs + 2] = CLCNN_ARG(n);
    return clcnn_launch(ctx, k, 1, &count, NULL, args, n_bufs + 3);
}

/* Separate in-place kernels: one buffer passed as two arguments, one of them written, is not
 * something to rely on. */
clcnn_status clcnn_nn_act_forward(clcnn_context *ctx, int act, float alpha, cl_mem x, cl_mem y,
                                  size_t count) {
    if (x == y) {
        clcnn_arg bufs[] = {CLCNN_ARG(y)};
        return launch_act(ctx, "act_forward_inplace", bufs, 1, act, alpha, count);
    }
    clcnn_arg bufs[] = {CLCNN_ARG(x), CLCNN_ARG(y)};
    return launch_act(ctx, "act_forward", bufs, 2, act, alpha, count);
}

clcnn_status clcnn_nn_act_backward(clcnn_context *ctx, int act, float alpha, cl_mem y, cl_mem dy,
                                   cl_mem dx, size_t count) {
    if (dy == dx) {
        clcnn_arg bufs[] = {CLCNN_ARG(y), CLCNN_ARG(dy)};
        return launch_act(ctx, "act_backward_inplace", bufs, 2, act, alpha, count);
    }
    clcnn_arg bufs[] = {CLCNN_ARG(y), CLCNN_ARG(dy), CLCNN_ARG(dx)};
    return launch_act(ctx, "act_backward", bufs, 3, act, alpha, count);
}

static int layer_code(const clcnn_layer *l) {
    return clcnn_layer_function(l->type->name, l->spec.activation);
}

static clcnn_status infer(clcnn_layer *l) {
    int code = layer_code(l);
    if (code == CLCNN_ACT_SOFTMAX)
        return clcnn_layer_fail(l, CLCNN_STATUS_UNSUPPORTED,
                                "a softmax layer must be the last layer (the loss applies it)");
    if (code < 0)
        return clcnn_layer_fail(l, CLCNN_STATUS_UNSUPPORTED, "unknown activation '%s'",
                                l->spec.activation);
    l->out = l->in;
    return CLCNN_STATUS_OK;
}

static clcnn_status forward(clcnn_layer *l, const clcnn_pass *p) {
    size_t count = (size_t)p->n * clcnn_shape_size(l->in);
    return clcnn_nn_act_forward(p->ctx, layer_code(l), l->spec.alpha, p->x, p->y, count);
}

static clcnn_status backward(clcnn_layer *l, const clcnn_pass *p) {
    if (!p->dx) return CLCNN_STATUS_OK;
    size_t count = (size_t)p->n * clcnn_shape_size(l->in);
    return clcnn_nn_act_backward(p->ctx, layer_code(l), l->spec.alpha, p->y, p->dy, p->dx, count);
}

static double flops(const clcnn_layer *l, int phase) {
    (void)phase;
    return (double)clcnn_shape_size(l->in);
}

CLCNN_LAYER_TYPE(activation, infer, forward, backward, flops, 0);
CLCNN_LAYER_TYPE(sigmoid, infer, forward, backward, flops, 0);
CLCNN_LAYER_TYPE(tanh, infer, forward, backward, flops, 0);
CLCNN_LAYER_TYPE(leaky_relu, infer, forward, backward, flops, 0);
CLCNN_LAYER_TYPE(elu, infer, forward, backward, flops, 0);
CLCNN_LAYER_TYPE(softmax, infer, forward, backward, flops, 0);
