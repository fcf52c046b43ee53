/* train/data_parallel.h: data-parallel training under MPI (`mpirun -n N clcnn train`), internal
 * to train/. Each rank trains its share of every global batch, the gradients are summed with one
 * non-blocking MPI_Iallreduce per bucket of layers (staged through host memory, overlapped with
 * the backward pass), and every rank takes the same optimizer step. fit.c calls these only when
 * clcnn_fit_options.data_parallel is set and MPI runs with several ranks. */
#ifndef CLCNN_DATA_PARALLEL_H
#define CLCNN_DATA_PARALLEL_H

#include "batches.h"
#include "clcnn/train.h"
#include "core/core.h"

/* A bucket: the gradients [first, end) of the arena, final once the backward pass of layers
 * `layer` .. n-1 ran; summed over the ranks by one MPI_Iallreduce. */
#define CLCNN_DP_MAX_BUCKETS 32
typedef struct clcnn_dp_bucket {
    size_t first, end;
    int layer;
    void *ready; /* the copy's cl_event while in flight */
} clcnn_dp_bucket;

typedef struct clcnn_dp {
    int active; /* data-parallel over size ranks */
    int rank, size;
    /* CLCNN_DP_SPLIT=N without MPI: one process takes every step as N ranks would (the reference
     * the data-parallel tests compare with), `part` holding one rank's gradients. */
    int split;
    float *part;
    float *stage; /* host copy of the gradients, plus one float: the ranks' stop requests */
    size_t n_grads;
    /* The buckets in the order the backward pass finishes them (the last layers' first), the
     * same on every rank; `overlap`: a bucket's sum starts while earlier layers still compute
     * (CLCNN_DP_OVERLAP=0: after the whole pass, with the same buckets and the same sums). */
    clcnn_dp_bucket buckets[CLCNN_DP_MAX_BUCKETS];
    int n_buckets, overlap, next_copy;
    struct clcnn_model *model; /* the model of the step in progress */
    int seen;                  /* examples this rank trained on this epoch */
    /* Seconds summed over the steps: the rank's own forward/backward (to its last gradients
     * being on the host), the host<->device work after it (scaling, writing back, the optimizer
     * step enqueued), the allreduce left to wait for after the backward pass (with overlap, what
     * it did not hide; it includes waiting for slower ranks), and the whole step. */
    double t_compute, t_copy, t_allreduce, t_step;
    int64_t steps;
} clcnn_dp;

/* Sets up *dp: inactive (and nothing to free) unless asked and MPI runs with several ranks, or
 * CLCNN_DP_SPLIT=N >= 2 (then one process, as N ranks). */
clcnn_status clcnn_dp_init(clcnn_dp *dp, int asked, clcnn_model *model);
void clcnn_dp_free(clcnn_dp *dp);

/* This rank's part [offset, offset + share) of a global batch of count examples: the first
 * count % size ranks take one more. */
void clcnn_dp_share(const clcnn_dp *dp, int count, int *offset, int *share);

/* Before an epoch's first step: the per-example metrics are cleared, so that each rank's sums
 * cover its own share only. */
clcnn_status clcnn_dp_epoch_start(clcnn_dp *dp, clcnn_model *model);

/* One data-parallel step on the global batch [start, start + count) of the epoch order: this
 * rank's share forward and backward with its loss divided by count (each example's gradient is
 * then one process's, bit for bit), the gradients summed over the ranks bucket by bucket (so N
 * ranks give the mean over the global batch, as one rank does), the optimizer step. *stop (may be
 * NULL) is this rank's stop request; *stopped is set on every rank when any rank asked. */
clcnn_status clcnn_dp_train_step(clcnn_dp *dp, clcnn_model *model, int start, int count,
                                 volatile int *stop, int *stopped);

/* The mean loss and accuracy over the epoch's first `upto` positions: reduced over the ranks
 * when `reduce` (a collective: every rank calls it at the same point), else this rank's own
 * running mean (for progress lines). */
clcnn_status clcnn_dp_metrics(clcnn_dp *dp, clcnn_model *model, int upto, int reduce, double *loss,
                              double *accuracy);

/* Checks that this rank loaded rank 0's data (a hash of the shapes and labels, and of the pixels
 * when no rank streams), then sends rank 0's
 * starting point (weights, optimizer state, the first epoch, the resumed history and learning
 * rates) to every rank: only rank 0 reads --init and --resume files. */
clcnn_status clcnn_dp_sync_start(clcnn_model *model, const clcnn_batch_source *train,
                                 const clcnn_batch_source *val, int *first_epoch, clcnn_fit_result *res,
                                 double *lr);

/* The step-time split, logged by each rank (INFO: shown with --verbose). */
void clcnn_dp_log_times(const clcnn_dp *dp);

#endif
