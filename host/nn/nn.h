/* nn/nn.h: the layer and optimizer interfaces and the model's internals. One file per layer type
 * fills a clcnn_layer_type, one function per optimizer a clcnn_optimizer_type; nn/layer.c and
 * nn/optimizers.c find them through the lists in core/layers.h and clcnn/enums.h, so adding
 * either is one new file (or function) and one row. Layers know OpenCL (through cl/) and nothing
 * of YAML. */
#ifndef CLCNN_NN_H
#define CLCNN_NN_H

#include "cl/cl.h"
#include "cl/gemm.h"
#include "clcnn/model.h"
#include "core/layers.h"

/* The shape of one example (the batch is separate). */
typedef struct clcnn_shape {
    int c, h, w;
} clcnn_shape;

static inline size_t clcnn_shape_size(clcnn_shape s) { return (size_t)s.c * s.h * s.w; }

typedef struct clcnn_layer clcnn_layer;
typedef struct clcnn_model_internal clcnn_model_internal;

/* What a layer's forward and backward see. Buffers hold `n` examples, NCHW. */
typedef struct clcnn_pass {
    clcnn_context *ctx;
    int n;                /* examples in this batch */
    cl_mem x, y;          /* input and output activations */
    cl_mem dx, dy;        /* their gradients; dx is NULL for the first layer */
    cl_mem params, grads; /* the parameter and gradient arenas */
    cl_mem workspace;     /* the layer's own scratch, clcnn_layer.workspace floats per example;
                             what forward leaves there is still there in backward */
    int training;
    uint64_t seed;        /* this step's random key (dropout masks): the same in forward and
                             backward, new every step, derived from train.seed and the step */
} clcnn_pass;

typedef struct clcnn_layer_type {
    const char *name; /* YAML name, e.g. "conv2d": its row in core/layers.h */
    /* Checks the spec against the input shape and sets l->out, the parameter tensors
     * (l->n_params, l->param_shape...) and l->workspace. Errors name the layer. */
    clcnn_status (*infer)(clcnn_layer *l);
    /* Enqueues the forward pass. */
    clcnn_status (*forward)(clcnn_layer *l, const clcnn_pass *p);
    /* Enqueues the backward pass: parameter gradients into p->grads, and p->dx unless NULL. */
    clcnn_status (*backward)(clcnn_layer *l, const clcnn_pass *p);
    /* Floating-point operations per example: phase 0 forward, 1 backward. */
    double (*flops)(const clcnn_layer *l, int phase);
    /* Output aliases the input (flatten): no buffer, no copy. */
    int aliases_input;
} clcnn_layer_type;

/* Defines clcnn_layer_<name>, the implementation of row `name` of core/layers.h:
 * CLCNN_LAYER_TYPE(conv2d, infer, forward, backward, flops, 0); */
#define CLCNN_LAYER_TYPE(name, ...) const clcnn_layer_type clcnn_layer_##name = {#name, __VA_ARGS__}

/* The implementations of core/layers.h's rows, one per file of host/nn/: a row without one does
 * not link. Compare a layer's type by address (l->type == &clcnn_layer_relu). */
#define CLCNN_LAYER_DECLARE_(name, keras_name, keys) extern const clcnn_layer_type clcnn_layer_##name;
CLCNN_LAYER_TYPES(CLCNN_LAYER_DECLARE_)
#undef CLCNN_LAYER_DECLARE_

#define CLCNN_MAX_LAYER_PARAMS 4

struct clcnn_layer {
    const clcnn_layer_type *type;
    clcnn_layer_spec spec;
    int index;               /* position in the config's layer list */
    clcnn_shape in, out;
    int relu;                /* activation: relu, fused into the layer's epilogue (or the
                                relu layer after it, by clcnn_model_fuse) */
    int fused;               /* this layer's work is done by the one before (clcnn_model_fuse):
                                it runs no pass; its output and gradient are that layer's */
    int act;                 /* another activation (CLCNN_ACT_*), applied in place after the
                                layer's forward and through its output before its backward */
    float act_alpha;         /* leaky_relu's slope, elu's alpha */
    int n_params;            /* parameter tensors: weight first, then bias, then state */
    char param_name[CLCNN_MAX_LAYER_PARAMS][16];
    int param_ndim[CLCNN_MAX_LAYER_PARAMS];
    int64_t param_shape[CLCNN_MAX_LAYER_PARAMS][4];
    size_t param_offset[CLCNN_MAX_LAYER_PARAMS]; /* in the arena, floats */
    size_t param_fan[CLCNN_MAX_LAYER_PARAMS][2]; /* fan_in, fan_out for Glorot; 0 = fill */
    float param_fill[CLCNN_MAX_LAYER_PARAMS];    /* the constant of a tensor without fans */
    int param_state[CLCNN_MAX_LAYER_PARAMS];     /* not trained (batch norm's running
                                                    statistics): after every trainable tensor
                                                    in the arena, out of the optimizer's range */
    size_t workspace;        /* floats per example of shared scratch */
    int chunk;               /* conv2d: images per im2col chunk when the whole batch's columns
                                would not fit the device (clcnn_conv_plan), else 0 */
    clcnn_route route;       /* forced GEMM route, or AUTO */
    int conv_alg;            /* conv2d: forced algorithm (CLCNN_CONV_*, nn/conv2d.h), or 0 */
    int conv_chosen[3];      /* conv2d: the algorithm of forward, weight and data gradient,
                                decided once for batches of conv_chosen_n (nn/conv2d.c); 0 =
                                not yet */
    int conv_chosen_n;
};

/* Chooses, for a conv2d layer, whether its im2col columns are made for the whole batch (up to
 * max_batch examples) or in chunks of images that fit the device (l->chunk; nn/conv2d.c); other
 * layers: nothing. An image whose columns alone cannot fit is an error naming the layer. */
clcnn_status clcnn_conv_plan(clcnn_layer *l, const clcnn_context *ctx, int max_batch);
/* Floats of the layer's workspace buffer for batches of up to `batch` examples on ctx's device:
 * batch times l->workspace (for a conv2d layer that may run Winograd, its transform domain when
 * larger), or one chunk's columns and partial sum for a chunked conv2d layer. */
size_t clcnn_layer_workspace(const clcnn_layer *l, const clcnn_context *ctx, int batch);

/* Looks a layer type up by its YAML name; NULL if unknown. */
const clcnn_layer_type *clcnn_layer_type_find(const char *name);
/* Comma-separated list of the known names, for error messages. Static storage. */
const char *clcnn_layer_type_names(void);
/* The function of a layer of the activation family (activation, relu, softmax, sigmoid, tanh,
 * leaky_relu, elu): its type's, or for `activation` the one it names; -1 for other types. */
int clcnn_layer_function(const char *type, const char *activation);

/* Error helper: "layer 3 (conv2d 'conv2d_3', line 12): ..." */
clcnn_status clcnn_layer_fail(const clcnn_layer *l, clcnn_status s, const char *fmt, ...)
    CLCNN_PRINTF(3, 4);

/* Sets a parameter tensor (weight or bias) of the layer during infer. */
void clcnn_layer_add_param(clcnn_layer *l, const char *name, int ndim, const int64_t *shape,
                           size_t fan_in, size_t fan_out);

/* A tensor the layer updates itself and the optimizer never touches (batch norm's running
 * statistics), filled with `fill` when the model is built; saved and loaded like the weights. */
void clcnn_layer_add_state(clcnn_layer *l, const char *name, int ndim, const int64_t *shape,
                           float fill);

/* Activations by clcnn_activation code (kernels/activation.cl; not softmax, the loss's): y = f(x)
 * (x may equal y), and dx = dy * f'(x) computed from y = f(x) (dx may equal dy): every supported
 * f has a derivative that its output determines. count elements. */
clcnn_status clcnn_nn_act_forward(clcnn_context *ctx, int act, float alpha, cl_mem x, cl_mem y,
                                  size_t count);
clcnn_status clcnn_nn_act_backward(clcnn_context *ctx, int act, float alpha, cl_mem y, cl_mem dy,
                                   cl_mem dx, size_t count);

/* Window arithmetic shared by convolution and pooling, Keras' rules: "valid" out =
 * floor((in - k) / s) + 1; "same" out = ceil(in / s), padding split with the extra at the
 * bottom/right. Returns 0 if the output would be empty. */
int clcnn_window(int in, int k, int s, clcnn_padding pad, int *out, int *pad_before);

/* A per-channel reduction kernel of a file: `name` itself when wg is 0 (one work-item per
 * channel), else `name`_wg built with -DRED_WG=wg (a work-group per channel;
 * cl/kparams.h's clcnn_reduce_wg chooses). */
clcnn_status clcnn_nn_reduce_kernel(clcnn_context *ctx, const char *file, const char *name, int wg,
                                    cl_kernel *out);

/* Launches a per-channel reduction kernel of clcnn_nn_reduce_kernel's over `channels`. */
clcnn_status clcnn_nn_reduce_launch(clcnn_context *ctx, cl_kernel k, int wg, int channels,
                                    const clcnn_arg *args, int n_args);
/* The gradient at a product's output (conv2d, dense: dy is (n, channels, spatial)) before the
 * product's own backward: with relu_y (the layer's output, its ReLU fused) dy *= (relu_y > 0) in
 * place; with grads the bias gradient, the sums of dy per channel, at grads + offset. Both in one
 * pass over dy; either may be NULL. */
clcnn_status clcnn_nn_output_grad(clcnn_context *ctx, cl_mem relu_y, cl_mem dy, int n,
                                  int channels, int spatial, cl_mem grads, size_t offset);
/* Softmax cross-entropy over n rows of k logits (nn/loss.c, kernels/loss.cl): per-example loss,
 * correctness and prediction at slot + i, and when want_grad dlogits = (softmax - onehot) *
 * inv_batch. labels and correct/pred are uchar buffers. */
typedef struct clcnn_loss_args {
    cl_mem logits, labels, dlogits, loss, correct, pred;
    int k, n, slot, want_grad;
    float inv_batch;
} clcnn_loss_args;
clcnn_status clcnn_nn_softmax_xent(clcnn_context *ctx, const clcnn_loss_args *a);
/* probs = the row-wise softmax of n rows of k logits. */
clcnn_status clcnn_nn_softmax_rows(clcnn_context *ctx, cl_mem logits, cl_mem probs, int k, int n);
/* Average pooling over windows dims = C, H, W, KH, KW, SH, SW, PT, PL, OH, OW: forward x -> y,
 * or backward dy -> dx (nn/average_pooling2d.c). */
clcnn_status clcnn_nn_avgpool(const clcnn_pass *p, const int dims[11], int forward);

/* ---- optimizers: one per row of CLCNN_OPTIMIZERS (clcnn/enums.h), in nn/optimizers.c -------- */

/* State buffers the arena has, each one float per parameter; optimizer.safetensors holds all of
 * them, so this is part of its layout. */
#define CLCNN_OPTIMIZER_SLOTS 2

/* What an update sees: the trainable prefix of the parameter arena. */
typedef struct clcnn_optimizer_pass {
    clcnn_context *ctx;
    size_t count; /* trainable floats */
    cl_mem params, grads;
    cl_mem state[CLCNN_OPTIMIZER_SLOTS]; /* the optimizer's `state` buffers, zero at the start */
    float learning_rate;                 /* this step's */
    int64_t step;                        /* updates so far, this one included */
    const clcnn_optimizer_spec *spec;
} clcnn_optimizer_pass;

typedef struct clcnn_optimizer_type {
    int state; /* state buffers it keeps (<= CLCNN_OPTIMIZER_SLOTS): Adam's m and v are 2 */
    /* Enqueues one update of p->params from p->grads (Keras' formulas, kernels/optim.cl). */
    clcnn_status (*step)(const clcnn_optimizer_pass *p);
} clcnn_optimizer_type;

/* The implementation of an optimizer; NULL if out of range. */
const clcnn_optimizer_type *clcnn_optimizer_type_get(clcnn_optimizer optimizer);

/* ---- a training step in two halves, for data-parallel training (train/data_parallel.c) ------ */
/* clcnn_model_train_step is backprop then apply_gradients; between them the gradients of the
 * trainable prefix of the arena (clcnn_model_trainable_count floats) can be read, averaged with
 * other ranks' and written back. */
/* The gradients of the examples [start, start + count) of the epoch order, of their loss summed
 * and divided by mean_over (>= count; the global batch under data-parallel training).
 * hook(user, i), when not NULL, is called as soon as the backward pass of layers n-1 .. i is
 * enqueued (i from n-1 down to 0, the last call with 0): once the queue reaches that point, the
 * gradients of the arena from clcnn_model_grads_first(model, i) on are final. */
typedef clcnn_status (*clcnn_grads_hook)(void *user, int layer);
clcnn_status clcnn_model_backprop(clcnn_model *model, int start, int count, int mean_over,
                                  clcnn_grads_hook hook, void *user);
int clcnn_model_layer_count(const clcnn_model *model);
/* Where the trainable tensors of layers layer .. n-1 begin in the arena (floats). */
size_t clcnn_model_grads_first(const clcnn_model *model, int layer);
/* Enqueues a copy of the gradients [first, end) of the arena to host + first after the work
 * enqueued so far, flushes the queue and gives the copy's event (the caller releases it). */
clcnn_status clcnn_model_read_grads_async(clcnn_model *model, size_t first, size_t end,
                                          float *host, cl_event *done);
clcnn_status clcnn_model_apply_gradients(clcnn_model *model);
size_t clcnn_model_trainable_count(const clcnn_model *model);
clcnn_status clcnn_model_read_grads(clcnn_model *model, float *host); /* waits */
clcnn_status clcnn_model_write_grads(clcnn_model *model, const float *host);
/* Zeros a slot's per-example losses and results, so a sum over positions this rank never
 * trained on adds nothing. */
clcnn_status clcnn_model_clear_metrics(clcnn_model *model, int slot);

#endif
