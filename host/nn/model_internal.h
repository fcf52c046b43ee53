/* nn/model_internal.h: the model's state, shared by nn/model.c (building, parameters) and
 * nn/step.c (training and evaluation passes). */
#ifndef CLCNN_MODEL_INTERNAL_H
#define CLCNN_MODEL_INTERNAL_H

#include "nn.h"

#define CLCNN_SLOTS 3

#define CLCNN_MAX_CHUNKS 256
#define CLCNN_STREAM_RING 3      /* device buffers of a streamed slot: batches in flight */
#define CLCNN_STREAM_HOST_MAX 64 /* pinned host buffers of a streamed slot, at most */

typedef struct model_slot {
    int n;             /* examples uploaded */
    int n_chunks;      /* the images, split so no buffer exceeds the device's largest allocation */
    int chunk_examples; /* examples per chunk (the last may hold fewer) */
    cl_mem images[CLCNN_MAX_CHUNKS]; /* uint8, chunk_examples x example each */
    cl_mem labels;     /* uint8, n */
    cl_mem loss;       /* float per example: the last pass's loss */
    cl_mem correct;    /* uint8 per example */
    cl_mem pred;       /* uint8 per example: the predicted class */
    /* Streamed (clcnn_model_stream_open): the images come a batch at a time into a ring of
     * device buffers, each reused once the gather of the batch before last in it is done. */
    int streaming;
    cl_mem ring[CLCNN_STREAM_RING];
    cl_event ring_free[CLCNN_STREAM_RING]; /* the last gather from each ring buffer */
    int ring_next, cur;                    /* the next ring buffer to fill, the last filled */
    cl_uint cur_first, cur_n;              /* the positions the last filled one holds */
    int n_pinned;
    cl_mem pinned[CLCNN_STREAM_HOST_MAX];  /* host buffers (CL_MEM_ALLOC_HOST_PTR), mapped */
    void *mapped[CLCNN_STREAM_HOST_MAX];
} model_slot;

struct clcnn_model {
    clcnn_context *ctx;
    clcnn_spec spec;
    int max_batch;
    int n_layers;                  /* layers that compute (a trailing softmax layer is dropped) */
    clcnn_layer layers[CLCNN_MAX_LAYERS];
    clcnn_shape input;
    int classes;
    cl_mem x0;                     /* the normalized input batch */
    cl_mem act[CLCNN_MAX_LAYERS];  /* outputs (aliases for flatten) */
    cl_mem grad[CLCNN_MAX_LAYERS]; /* gradients of the outputs */
    int owns[CLCNN_MAX_LAYERS];    /* act/grad are this layer's own buffers */
    cl_mem workspace[CLCNN_MAX_LAYERS]; /* per layer: kept from forward to backward */
    size_t n_params;
    size_t n_trainable;            /* the arena's first n_trainable floats are trained; state
                                      (batch norm's running statistics) follows them */
    cl_mem params, grads;          /* the arena: weights and gradients */
    const clcnn_optimizer_type *optimizer;
    /* Its state, in the arena's layout: the first optimizer->state slots, the others NULL. */
    cl_mem opt[CLCNN_OPTIMIZER_SLOTS];
    float learning_rate;           /* this step's rate (train/ applies the schedule) */
    int64_t step;                  /* optimizer steps taken */
    int n_tensors;
    clcnn_tensor_info tensors[CLCNN_MAX_LAYERS * CLCNN_MAX_LAYER_PARAMS];
    model_slot slots[CLCNN_SLOTS];
    cl_mem order;                  /* uint32 epoch order for slot 0 */
    int order_n;
    cl_mem batch_labels;           /* uint8 max_batch */
    cl_mem probs;                  /* float max_batch x classes */
    int augment;                   /* data.augment asks for anything; then: */
    int fill_mode, interpolation;  /* its clcnn_fill_mode and clcnn_interpolation */
    cl_mem aug_params;             /* float max_batch x 12: each example's transform */
    cl_command_queue xfer;         /* streamed batches' uploads, beside the compute queue */
};

/* Fuses a layer into the one before it where the pair has one kernel (nn/fuse.c): today a relu
 * layer after batch_normalization. Names, parameters, summaries and saved files stay as they
 * are. CLCNN_FUSE=0 in the environment turns it off (tests compare both). */
clcnn_status clcnn_model_fuse(clcnn_model *m);
/* Asks a cold start's helper process, if the context has one, to build the kernel files this
 * model's first step will use (nn/prefetch.c). */
void clcnn_model_prefetch(clcnn_model *m);

/* Releases a slot's buffers (uploaded or streamed) and zeroes it. */
void clcnn_model_slot_release(clcnn_model *m, model_slot *s);

/* A model's layers (shapes, activations, parameter tensors and their arena offsets) inferred
 * from a spec without a device: nothing is allocated but the struct, which the caller free()s
 * (not clcnn_model_destroy). For summaries and export. */
clcnn_status clcnn_model_infer_only(const clcnn_spec *spec, clcnn_model **out);

/* A device buffer whose allocation error names the tensor it is for ("layer conv2d_0's
 * activations: cannot allocate 12.3 MiB ..."). */
clcnn_status clcnn_model_buffer(clcnn_model *m, const char *what, size_t bytes, cl_mem *out);

#endif
