/* train/data_parallel.c: data-parallel training steps, metrics and start-up under MPI
 * (train/data_parallel.h). The gradients travel through host memory: the model's arena is read
 * after the backward pass, summed with MPI_Allreduce and written back before the optimizer
 * step. The pass is not overlapped with the allreduce: the whole backward pass is enqueued on one
 * in-order queue into one arena, and on PoCL the device's threads are the cores MPI would use. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clcnn/dist.h"
#include "data_parallel.h"
#include "nn/nn.h"

clcnn_status clcnn_dp_init(clcnn_dp *dp, int asked, clcnn_model *model) {
    memset(dp, 0, sizeof *dp);
    if (!asked || !clcnn_dist_active() || clcnn_dist_size() < 2) return CLCNN_STATUS_OK;
    dp->active = 1;
    dp->rank = clcnn_dist_rank();
    dp->size = clcnn_dist_size();
    dp->n_grads = clcnn_model_trainable_count(model);
    dp->stage = malloc((dp->n_grads + 1) * sizeof *dp->stage);
    return dp->stage ? CLCNN_STATUS_OK
                     : clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "no host memory for %zu gradients",
                                  dp->n_grads);
}

void clcnn_dp_free(clcnn_dp *dp) {
    free(dp->stage);
    dp->stage = NULL;
}

void clcnn_dp_share(const clcnn_dp *dp, int count, int *offset, int *share) {
    int base = count / dp->size, extra = count % dp->size;
    *share = base + (dp->rank < extra);
    *offset = dp->rank * base + (dp->rank < extra ? dp->rank : extra);
}

clcnn_status clcnn_dp_epoch_start(clcnn_dp *dp, clcnn_model *model) {
    dp->seen = 0;
    return clcnn_model_clear_metrics(model, 0);
}

clcnn_status clcnn_dp_train_step(clcnn_dp *dp, clcnn_model *model, int start, int count,
                                 volatile int *stop, int *stopped) {
    int offset, share;
    clcnn_dp_share(dp, count, &offset, &share);
    double t0 = clcnn_now();
    if (share > 0) CLCNN_TRY(clcnn_model_backprop(model, start + offset, share));
    CLCNN_TRY(clcnn_model_finish(model));
    double t1 = clcnn_now();
    float *g = dp->stage;
    if (share > 0) {
        CLCNN_TRY(clcnn_model_read_grads(model, g));
        /* This rank's gradient is the mean over its share: weighted by share / count, the sum
         * over the ranks is the mean over the global batch. */
        float w = (float)share / (float)count;
        for (size_t i = 0; i < dp->n_grads; i++)
            g[i] *= w;
    } else {
        memset(g, 0, dp->n_grads * sizeof *g); /* a batch smaller than the ranks: none here */
    }
    g[dp->n_grads] = stop && *stop ? 1.0f : 0.0f;
    double t2 = clcnn_now();
    CLCNN_TRY(clcnn_dist_allreduce_sum(g, dp->n_grads + 1, CLCNN_DIST_FLOAT));
    double t3 = clcnn_now();
    CLCNN_TRY(clcnn_model_write_grads(model, g));
    CLCNN_TRY(clcnn_model_apply_gradients(model));
    double t4 = clcnn_now();
    dp->t_compute += t1 - t0;
    dp->t_copy += (t2 - t1) + (t4 - t3);
    dp->t_allreduce += t3 - t2;
    dp->steps++;
    dp->seen += share;
    *stopped = g[dp->n_grads] > 0.0f;
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_dp_metrics(clcnn_dp *dp, clcnn_model *model, int upto, int reduce, double *loss,
                              double *accuracy) {
    /* Positions other ranks trained on were cleared at the epoch's start: they add nothing. */
    double v[2];
    int64_t correct;
    CLCNN_TRY(clcnn_model_read_metrics(model, 0, 0, upto, &v[0], &correct, NULL));
    v[1] = (double)correct;
    int n = upto;
    if (reduce)
        CLCNN_TRY(clcnn_dist_allreduce_sum(v, 2, CLCNN_DIST_DOUBLE));
    else
        n = dp->seen;
    *loss = n ? v[0] / n : NAN;
    *accuracy = n ? v[1] / n : NAN;
    return CLCNN_STATUS_OK;
}

/* Rank 0's data and this rank's are the same examples: the hosts each read their own copy, and
 * a different file at the same path would train every rank on something else, silently. */
static clcnn_status check_same_data(const clcnn_dataset *train, const clcnn_dataset *val) {
    clcnn_hasher *h = clcnn_hasher_create();
    if (!h) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
    const clcnn_dataset *sets[2] = {train, val};
    for (int i = 0; i < 2; i++) {
        const clcnn_dataset *d = sets[i];
        int dims[4] = {d->n, d->c, d->h, d->w};
        clcnn_hasher_update(h, dims, sizeof dims);
        if (d->n > 0 && d->images)
            clcnn_hasher_update(h, d->images, (size_t)d->n * d->c * d->h * d->w);
        if (d->n > 0 && d->labels) clcnn_hasher_update(h, d->labels, (size_t)d->n);
    }
    char mine[33], root[33];
    clcnn_hasher_hex(h, mine);
    clcnn_hasher_destroy(h);
    memcpy(root, mine, sizeof root);
    CLCNN_TRY(clcnn_dist_bcast(root, sizeof root));
    if (memcmp(root, mine, sizeof root) != 0)
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT,
                          "rank %d's training data (%d examples, %d to validate) are not rank 0's: "
                          "every host needs the same data files at the same path",
                          clcnn_dist_rank(), train->n, val->n);
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_dp_sync_start(clcnn_model *model, const clcnn_dataset *train,
                                 const clcnn_dataset *val, int *first_epoch, clcnn_fit_result *res,
                                 double *lr) {
    CLCNN_TRY(check_same_data(train, val));
    size_t np = clcnn_model_param_count(model), ns = clcnn_model_opt_state_count(model);
    float *buf = malloc(((np > ns ? np : ns) + 1) * sizeof *buf);
    if (!buf) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
    int64_t step = 0;
    clcnn_status s = clcnn_model_read_params(model, buf);
    if (s == CLCNN_STATUS_OK) s = clcnn_dist_bcast(buf, np * sizeof *buf);
    if (s == CLCNN_STATUS_OK) s = clcnn_model_write_params(model, buf);
    if (s == CLCNN_STATUS_OK) s = clcnn_model_read_opt_state(model, buf, &step);
    if (s == CLCNN_STATUS_OK) s = clcnn_dist_bcast(buf, ns * sizeof *buf);
    if (s == CLCNN_STATUS_OK) s = clcnn_dist_bcast(&step, sizeof step);
    if (s == CLCNN_STATUS_OK) s = clcnn_model_write_opt_state(model, buf, step);
    free(buf);
    CLCNN_TRY(s);
    int counts[2] = {*first_epoch, res->epochs_done};
    CLCNN_TRY(clcnn_dist_bcast(counts, sizeof counts));
    *first_epoch = counts[0];
    res->epochs_done = counts[1];
    CLCNN_TRY(clcnn_dist_bcast(res->history, (size_t)counts[1] * sizeof *res->history));
    return clcnn_dist_bcast(lr, (size_t)counts[1] * sizeof *lr);
}

void clcnn_dp_log_times(const clcnn_dp *dp) {
    if (!dp->active || !dp->steps) return;
    double k = 1000.0 / (double)dp->steps;
    clcnn_log(CLCNN_LOG_INFO,
              "data-parallel rank %d of %d: %lld steps, per step %.2f ms forward/backward, %.2f ms "
              "gradient copies, %.2f ms allreduce of %zu bytes",
              dp->rank, dp->size, (long long)dp->steps, dp->t_compute * k, dp->t_copy * k,
              dp->t_allreduce * k, dp->n_grads * sizeof(float));
}
