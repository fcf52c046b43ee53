/* clcnn/model.h: a sequential CNN on one device: layers, one parameter arena, training steps.
 *
 * A model is built from a spec (clcnn/spec.h): shapes are inferred and checked (an impossible
 * layer is CLCNN_STATUS_BAD_SHAPE naming the layer), and every buffer (activations, gradients,
 * weights, optimizer state, a shared workspace) is allocated once for the largest batch. A
 * training step (gather a batch, forward, loss, backward, optimizer update) is enqueued without
 * waiting; the host reads back only metrics. */
#ifndef CLCNN_MODEL_H
#define CLCNN_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "clcnn/data.h"
#include "clcnn/device.h"
#include "clcnn/spec.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct clcnn_model clcnn_model;

/* Builds the model of spec->model for batches of up to max_batch examples, with the optimizer of
 * spec->train. Weights start from Keras' initializers (Glorot uniform kernels, zero biases) drawn
 * from spec->train.seed. The model keeps its own copy of *spec (the caller's may go at once); the
 * context must outlive the model. On success *out belongs to the caller, who destroys it. */
CLCNN_API clcnn_status clcnn_model_create(clcnn_context *ctx, const clcnn_spec *spec, int max_batch,
                                          clcnn_model **out);
CLCNN_API void clcnn_model_destroy(clcnn_model *model); /* accepts NULL */

/* The layer table as Keras' model.summary() prints it. Malloc'ed; the caller frees. */
CLCNN_API clcnn_status clcnn_model_summary(const clcnn_model *model, char **text);
/* Same without a device: shape inference only (for `clcnn summary CONFIG`). */
CLCNN_API clcnn_status clcnn_spec_summary(const clcnn_spec *spec, char **text);

CLCNN_API size_t clcnn_model_param_count(const clcnn_model *model);
/* The input one example has (c x h x w, what predict takes) and the number of classes. */
CLCNN_API void clcnn_model_io(const clcnn_model *model, int *c, int *h, int *w, int *classes);

/* ---- parameters as named tensors (safetensors names: layers.<i>.weight, layers.<i>.bias) ---- */
typedef struct clcnn_tensor_info {
    char name[64];
    int ndim;
    int64_t shape[4];
    size_t offset; /* in floats, in the parameter arena */
    size_t count;
} clcnn_tensor_info;

/* The parameter tensors, in arena order (trainable ones first, then state such as batch norm's
 * running statistics). */
CLCNN_API int clcnn_model_tensor_count(const clcnn_model *model);
/* Tensor i, 0 <= i < clcnn_model_tensor_count (NULL otherwise). The record belongs to the model:
 * do not free it; it stays valid, and unchanged, until clcnn_model_destroy (training and loading
 * weights change the values in the arena, never a tensor's name, shape or offset). */
CLCNN_API const clcnn_tensor_info *clcnn_model_tensor(const clcnn_model *model, int i);
/* All parameters, in arena order, to or from host memory (clcnn_model_param_count floats). */
CLCNN_API clcnn_status clcnn_model_read_params(clcnn_model *model, float *host);
CLCNN_API clcnn_status clcnn_model_write_params(clcnn_model *model, const float *host);
/* Optimizer state (for --resume): its size in floats, and copies to and from the host. The step
 * count travels separately. */
CLCNN_API size_t clcnn_model_opt_state_count(const clcnn_model *model);
CLCNN_API clcnn_status clcnn_model_read_opt_state(clcnn_model *model, float *host, int64_t *step);
CLCNN_API clcnn_status clcnn_model_write_opt_state(clcnn_model *model, const float *host, int64_t step);

/* ---- data on the device ---------------------------------------------------------------------- */
/* Uploads a dataset once (uint8 images and labels); the model normalizes batches on the device.
 * Replaces any earlier upload for the same slot (0 = training, 1 = validation, 2 = test or
 * prediction). Labels may be NULL (prediction). */
CLCNN_API clcnn_status clcnn_model_upload(clcnn_model *model, int slot, const clcnn_dataset *ds);

/* Streaming instead: a slot of n examples whose images come a batch at a time. Makes
 * host_buffers host buffers of max_batch examples each, in memory the device copies from
 * directly (CL_MEM_ALLOC_HOST_PTR, mapped; pinned on a GPU), for the caller to fill: their
 * addresses go to host[]. They live until the slot is replaced or the model destroyed. */
CLCNN_API clcnn_status clcnn_model_stream_open(clcnn_model *model, int slot, int n,
                                               int host_buffers, uint8_t **host);
/* Uploads the images and labels of positions [start, start+count) of a streamed slot (a
 * separate queue: it runs while the device computes the batches before) into one of a few
 * device buffers; the next step or evaluation on the slot must cover just these positions.
 * Returns when the host memory may be reused. A training slot visits its positions in order:
 * give it the order 0, 1, 2... (clcnn_model_set_order) and put the batches in epoch order. */
CLCNN_API clcnn_status clcnn_model_stream_put(clcnn_model *model, int slot, int start, int count,
                                              const uint8_t *images, const uint8_t *labels);

/* ---- steps ----------------------------------------------------------------------------------- */
/* Uploads the order in which the examples of the training slot are visited this epoch
 * (n indices into the slot's dataset). */
CLCNN_API clcnn_status clcnn_model_set_order(clcnn_model *model, const uint32_t *order, int n);

/* Enqueues one training step on examples order[start .. start+count) of the training slot:
 * forward, loss, backward, optimizer update. Does not wait. Per-example loss and correctness are
 * kept on the device until clcnn_model_read_metrics. */
CLCNN_API clcnn_status clcnn_model_train_step(clcnn_model *model, int start, int count);

/* Enqueues a forward pass (inference mode) over examples [start, start+count) of a slot, in
 * storage order, recording per-example loss and correctness (and, when probs is non-NULL,
 * copying count x classes probabilities to the host: that call waits). */
CLCNN_API clcnn_status clcnn_model_eval_step(clcnn_model *model, int slot, int start, int count, float *probs);

/* Waits, then sums the per-example loss and correct counts recorded for examples [start, end)
 * of the last pass over a slot (training positions are positions in the epoch order). */
CLCNN_API clcnn_status clcnn_model_read_metrics(clcnn_model *model, int slot, int start, int end,
                                                double *loss_sum, int64_t *correct, uint8_t *predictions);

/* Class probabilities for n raw uint8 images (n x c x h x w, scaled by the spec's data.scale as
 * in training); writes n x classes floats to probs. Uses slot 2. Waits. */
CLCNN_API clcnn_status clcnn_model_predict(clcnn_model *model, const uint8_t *images, int n, float *probs);
/* The same for inputs already scaled as the network sees them (raw pixel / data.scale): n x c x h x
 * w floats, NCHW. Uses no slot; the values are copied to the device batch by batch. Waits. */
CLCNN_API clcnn_status clcnn_model_predict_float(clcnn_model *model, const float *inputs, int n,
                                                 float *probs);

/* Sets the learning rate of the next training steps (a schedule calls it; the spec's
 * train.optimizer.learning_rate is the starting value). Adam's bias correction still counts
 * every step taken. */
CLCNN_API clcnn_status clcnn_model_set_learning_rate(clcnn_model *model, float learning_rate);

/* Waits for the device. */
CLCNN_API clcnn_status clcnn_model_finish(clcnn_model *model);

#ifdef __cplusplus
}
#endif
#endif
