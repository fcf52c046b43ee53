/* train/batches.h: where the batches of a pass over a model slot come from (batches.c): a set
 * decoded whole and uploaded once (in memory), or image files decoded by a pool of threads a
 * few batches ahead and uploaded batch by batch (streamed, data/stream.h). The fit loop asks
 * for each batch before it enqueues the step, so either kind (and a rank's share of a global
 * batch) looks the same to it. Internal. */
#ifndef CLCNN_TRAIN_BATCHES_H
#define CLCNN_TRAIN_BATCHES_H

#include "clcnn/data.h"
#include "clcnn/model.h"
#include "clcnn/train.h"
#include "data/stream.h"

typedef struct clcnn_batch_source {
    int n;                 /* examples */
    const uint8_t *labels; /* n, in storage order */
    int streamed;
    clcnn_dataset ds;         /* in memory (its images are freed once uploaded) */
    int owns_ds, keep_images; /* keep_images: not freed once uploaded */
    clcnn_image_list list;    /* streamed: the files */
    size_t cache_bytes;       /* streamed: decoded examples kept across passes */
    int threads, window;
    clcnn_model *model; /* set by clcnn_batches_attach */
    int slot, batch;
    clcnn_stream *stream;
    /* Data-parallel (clcnn_batches_set_part): a streamed source decodes only rank part_rank's
     * share of every batch of the pass; part_size 0 or 1: every example. */
    int part_rank, part_size;
} clcnn_batch_source;

/* The training, validation (validation_split's tail) and test sets of a spec, each in memory or
 * streamed as data.streaming, data.cache_mb and the device's memory (NULL: not counted) decide;
 * `mode` gets the line that says which and why. test may be NULL, and train and val together.
 * An image folder's class names replace the spec's (a count) in *spec. */
clcnn_status clcnn_batches_open(clcnn_spec *spec, const clcnn_device_info *device,
                                clcnn_batch_source *train, clcnn_batch_source *val,
                                clcnn_batch_source *test, char *mode, size_t mode_size);

/* A source over a dataset the caller keeps (clcnn_evaluate's). */
void clcnn_batches_borrow(const clcnn_dataset *ds, clcnn_batch_source *out);

/* Binds a source to a model slot: uploads an in-memory set (then frees its host images), or
 * opens a streamed slot and starts the decoding threads. */
clcnn_status clcnn_batches_attach(clcnn_batch_source *b, clcnn_model *model, int slot);

/* Data-parallel training over `size` ranks, before clcnn_batches_attach: a streamed source
 * decodes and uploads only this rank's share of each global batch (clcnn_dp_share's split),
 * keeping the positions of the global pass on the device, so the step finds its share where an
 * in-memory set would put it. An in-memory source is unchanged (every rank holds the whole set). */
void clcnn_batches_set_part(clcnn_batch_source *b, int rank, int size);

/* Starts a pass over all n examples: in the order given (the training slot: the epoch's order)
 * or, with NULL, in storage order. */
clcnn_status clcnn_batches_begin(clcnn_batch_source *b, const uint32_t *order);

/* Makes positions [start, start+count) of the pass ready on the device for the next step or
 * evaluation. A streamed pass takes whole batches of the model's batch size in order; with a
 * part set, only this rank's share of them (none when the batch leaves it none). */
clcnn_status clcnn_batches_load(clcnn_batch_source *b, int start, int count);

/* Decoded from files and taken from the cache so far (zeros in memory). */
void clcnn_batches_counts(const clcnn_batch_source *b, int64_t *decoded, int64_t *cached);

/* Frees what the source owns; accepts a zeroed one. */
void clcnn_batches_free(clcnn_batch_source *b);

#endif
