/* nn/batch_normalization.c: BatchNormalization per channel (Keras' axis -1, i.e. our C axis),
 * over examples and positions; after dense, positions are 1. Tensors: weight = gamma (ones),
 * bias = beta (zeros), and the running statistics running_mean (zeros) and running_var (ones).
 * Those two are state, not parameters: they sit in the arena after every trainable tensor, where
 * the optimizer's launch (and weight decay) never reaches, so they are saved and loaded with the
 * weights but only this layer moves them. Training normalizes with the batch's mean and biased
 * variance and moves the running statistics (Keras 3); inference uses the running ones. With
 * l->relu (the ReLU layer after it fused by nn/fuse.c) the output is max(y, 0) and backward
 * masks dy by it in its reduction pass. */
#include "cl/kparams.h"
#include "nn.h"

enum { GAMMA, BETA, RUNNING_MEAN, RUNNING_VAR };

static clcnn_status infer(clcnn_layer *l) {
    if (!(l->spec.momentum >= 0.0f && l->spec.momentum <= 1.0f) || !(l->spec.epsilon > 0.0f))
        return clcnn_layer_fail(l, CLCNN_STATUS_BAD_SHAPE,
                                "momentum must be in [0, 1] and epsilon positive");
    l->out = l->in;
    int64_t shape[1] = {l->in.c};
    clcnn_layer_add_param(l, "weight", 1, shape, 0, 0);
    l->param_fill[GAMMA] = 1.0f;
    clcnn_layer_add_param(l, "bias", 1, shape, 0, 0);
    clcnn_layer_add_state(l, "running_mean", 1, shape, 0.0f);
    clcnn_layer_add_state(l, "running_var", 1, shape, 1.0f);
    l->workspace = 2 * (size_t)l->in.c; /* per example, so at least the 2C floats needed */
    return CLCNN_STATUS_OK;
}

/* A per-channel reduction kernel (bn_stats, bn_backward_reduce), or its work-group variant,
 * moving `tensors` tensors of the input's size (bn_stats' second pass finds x in cache). */
static clcnn_status reduce(const clcnn_layer *l, const clcnn_pass *p, const char *name,
                           int tensors, const clcnn_arg *head, int n_head, const clcnn_arg *tail,
                           int n_tail) {
    cl_kernel k;
    int wg = clcnn_reduce_wg(p->ctx);
    CLCNN_TRY(clcnn_nn_reduce_kernel(p->ctx, "batchnorm.cl", name, wg, &k));
    int C = l->in.c, spatial = l->in.h * l->in.w;
    clcnn_arg args[12];
    int n = 0;
    for (int i = 0; i < n_head; i++) args[n++] = head[i];
    args[n++] = CLCNN_ARG(p->n), args[n++] = CLCNN_ARG(C), args[n++] = CLCNN_ARG(spatial);
    for (int i = 0; i < n_tail; i++) args[n++] = tail[i];
    clcnn_profile_bytes(p->ctx, 4.0 * tensors * p->n * clcnn_shape_size(l->in));
    return clcnn_nn_reduce_launch(p->ctx, k, wg, C, args, n);
}

/* An elementwise kernel over (spatial, C, n), 8 positions per work-item, moving `tensors`
 * tensors of the layer's input size. */
static clcnn_status elementwise(const clcnn_layer *l, const clcnn_pass *p, const char *name,
                                int tensors, const clcnn_arg *args, int n_args) {
    cl_kernel k;
    CLCNN_TRY(clcnn_kernel_get(p->ctx, "batchnorm.cl", name, &k));
    size_t global[3] = {((size_t)l->in.h * l->in.w + 7) / 8, (size_t)l->in.c, (size_t)p->n};
    clcnn_profile_bytes(p->ctx, 4.0 * tensors * p->n * clcnn_shape_size(l->in));
    return clcnn_launch(p->ctx, k, 3, global, NULL, args, n_args);
}

static clcnn_status forward(clcnn_layer *l, const clcnn_pass *p) {
    int C = l->in.c, spatial = l->in.h * l->in.w, from_var = !p->training;
    cl_ulong off[4];
    for (int i = 0; i < 4; i++) off[i] = l->param_offset[i];
    cl_ulong mean_off = off[RUNNING_MEAN], scale_off = off[RUNNING_VAR];
    cl_mem stats = p->params;
    if (p->training) {
        clcnn_arg head[] = {CLCNN_ARG(p->x)};
        clcnn_arg tail[] = {CLCNN_ARG(l->spec.epsilon), CLCNN_ARG(l->spec.momentum),
                            CLCNN_ARG(p->workspace), CLCNN_ARG(p->params),
                            CLCNN_ARG(off[RUNNING_MEAN]), CLCNN_ARG(off[RUNNING_VAR])};
        CLCNN_TRY(reduce(l, p, "bn_stats", 1, head, 1, tail, 6));
        stats = p->workspace, mean_off = 0, scale_off = (cl_ulong)C;
    }
    clcnn_arg args[] = {CLCNN_ARG(p->x),        CLCNN_ARG(p->y),         CLCNN_ARG(C),
                        CLCNN_ARG(spatial),     CLCNN_ARG(stats),        CLCNN_ARG(mean_off),
                        CLCNN_ARG(scale_off),   CLCNN_ARG(from_var),     CLCNN_ARG(l->spec.epsilon),
                        CLCNN_ARG(p->params),   CLCNN_ARG(off[GAMMA]),   CLCNN_ARG(off[BETA]),
                        CLCNN_ARG(l->relu)};
    return elementwise(l, p, "bn_apply", 2, args, 13);
}

static clcnn_status backward(clcnn_layer *l, const clcnn_pass *p) {
    int C = l->in.c, spatial = l->in.h * l->in.w;
    cl_ulong gamma_off = l->param_offset[GAMMA], beta_off = l->param_offset[BETA];
    clcnn_arg head[] = {CLCNN_ARG(p->x), CLCNN_ARG(p->dy)};
    clcnn_arg tail[] = {CLCNN_ARG(p->workspace), CLCNN_ARG(p->grads), CLCNN_ARG(gamma_off),
                        CLCNN_ARG(beta_off),     CLCNN_ARG(p->y),     CLCNN_ARG(l->relu)};
    /* With the fused ReLU it also reads y and writes the masked dy back. */
    CLCNN_TRY(reduce(l, p, "bn_backward_reduce", l->relu ? 4 : 2, head, 2, tail, 6));
    if (!p->dx) return CLCNN_STATUS_OK;
    float inv_m = 1.0f / ((float)p->n * spatial);
    clcnn_arg args[] = {CLCNN_ARG(p->x),         CLCNN_ARG(p->dy),     CLCNN_ARG(p->dx),
                        CLCNN_ARG(C),            CLCNN_ARG(spatial),   CLCNN_ARG(inv_m),
                        CLCNN_ARG(p->workspace), CLCNN_ARG(p->params), CLCNN_ARG(p->grads),
                        CLCNN_ARG(gamma_off),    CLCNN_ARG(beta_off)};
    return elementwise(l, p, "bn_backward_dx", 3, args, 11);
}

static double flops(const clcnn_layer *l, int phase) {
    return (phase == 0 ? 5.0 : 8.0) * (double)clcnn_shape_size(l->in);
}

CLCNN_LAYER_TYPE(batch_normalization, infer, forward, backward, flops, 0);
