/* train/data_parallel.h: data-parallel training under MPI (`mpirun -n N clcnn train`), internal
 * to train/. Each rank trains its share of every global batch, the gradients are averaged with one
 * MPI_Allreduce per step (staged through host memory), and every rank takes the same optimizer
 * step. fit.c calls these only when clcnn_fit_options.data_parallel is set and MPI runs with
 * several ranks. */
#ifndef CLCNN_DATA_PARALLEL_H
#define CLCNN_DATA_PARALLEL_H

#include "clcnn/train.h"
#include "core/core.h"

typedef struct clcnn_dp {
    int active; /* data-parallel over size ranks */
    int rank, size;
    float *stage; /* host copy of the gradients, plus one float: the ranks' stop requests */
    size_t n_grads;
    int seen; /* examples this rank trained on this epoch */
    /* Seconds summed over the steps: the rank's own forward/backward (to the gradients being
     * ready), the device<->host copies, and MPI_Allreduce (which includes waiting for slower
     * ranks). */
    double t_compute, t_copy, t_allreduce;
    int64_t steps;
} clcnn_dp;

/* Sets up *dp: inactive (and nothing to free) unless asked and MPI runs with several ranks. */
clcnn_status clcnn_dp_init(clcnn_dp *dp, int asked, clcnn_model *model);
void clcnn_dp_free(clcnn_dp *dp);

/* This rank's part [offset, offset + share) of a global batch of count examples: the first
 * count % size ranks take one more. */
void clcnn_dp_share(const clcnn_dp *dp, int count, int *offset, int *share);

/* Before an epoch's first step: the per-example metrics are cleared, so that each rank's sums
 * cover its own share only. */
clcnn_status clcnn_dp_epoch_start(clcnn_dp *dp, clcnn_model *model);

/* One data-parallel step on the global batch [start, start + count) of the epoch order: this
 * rank's share forward and backward, the gradients averaged over the ranks weighted by their
 * shares (so N ranks give the mean over the global batch, as one rank does), the optimizer
 * step. *stop (may be NULL) is this rank's stop request; *stopped is set on every rank when any
 * rank asked. */
clcnn_status clcnn_dp_train_step(clcnn_dp *dp, clcnn_model *model, int start, int count,
                                 volatile int *stop, int *stopped);

/* The mean loss and accuracy over the epoch's first `upto` positions: reduced over the ranks
 * when `reduce` (a collective: every rank calls it at the same point), else this rank's own
 * running mean (for progress lines). */
clcnn_status clcnn_dp_metrics(clcnn_dp *dp, clcnn_model *model, int upto, int reduce, double *loss,
                              double *accuracy);

/* Checks that this rank loaded rank 0's data (a hash of the examples), then sends rank 0's
 * starting point (weights, optimizer state, the first epoch, the resumed history and learning
 * rates) to every rank: only rank 0 reads --init and --resume files. */
clcnn_status clcnn_dp_sync_start(clcnn_model *model, const clcnn_dataset *train,
                                 const clcnn_dataset *val, int *first_epoch, clcnn_fit_result *res,
                                 double *lr);

/* The step-time split, logged by each rank (INFO: shown with --verbose). */
void clcnn_dp_log_times(const clcnn_dp *dp);

#endif
