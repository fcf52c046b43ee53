/* nn/activation.c: activation layers: Keras' Activation (any function by name) and the layers
 * Sigmoid, Tanh, LeakyReLU and ELU. One file for the family, since they differ only in the
 * function code: each row at the end is a layer type of its own. conv2d and dense take the
 * same functions as `activation:` (nn/step.c applies them after the product). */
#include <string.h>

#include "nn.h"

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

/* The layer's function: its type's, or for `activation` the one it names. */
static int layer_code(const clcnn_layer *l) {
    const char *t = l->type->name;
    return clcnn_name_find(&clcnn_activation_names,
                           strcmp(t, "activation") == 0 ? l->spec.activation : t);
}

static clcnn_status infer(clcnn_layer *l) {
    int code = layer_code(l);
    if (code < 0 || code == CLCNN_ACT_SOFTMAX)
        return clcnn_layer_fail(l, CLCNN_STATUS_UNSUPPORTED,
                                "activation '%s' is not supported here (softmax: only as the "
                                "last layer)", l->spec.activation);
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

const clcnn_layer_type clcnn_layer_activation = {"activation", infer, forward, backward, flops, 0};
const clcnn_layer_type clcnn_layer_sigmoid = {"sigmoid", infer, forward, backward, flops, 0};
const clcnn_layer_type clcnn_layer_tanh = {"tanh", infer, forward, backward, flops, 0};
const clcnn_layer_type clcnn_layer_leaky_relu = {"leaky_relu", infer, forward, backward, flops, 0};
const clcnn_layer_type clcnn_layer_elu = {"elu", infer, forward, backward, flops, 0};
