/* train/data_parallel.c: data-parallel training steps, metrics and start-up under MPI
 * (train/data_parallel.h). The gradients travel through host memory in buckets of layers, as
 * PyTorch's DDP does: the backward pass runs from the last layer to the first, and as soon as a
 * bucket's layers are done its gradients are copied to the host (an event on the in-order queue)
 * and summed over the ranks by a non-blocking MPI_Iallreduce, while the device computes the
 * earlier layers; all sums complete before the gradients are written back and the optimizer
 * steps. The buckets depend on the model alone, so every rank starts the same sums.
 * CLCNN_DP_SPLIT=N, without MPI, makes one process take each step as N ranks would. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clcnn/dist.h"
#include "data_parallel.h"
#include "nn/nn.h"

/* A bucket closes once it holds this many bytes (or at the first layer): large enough that a
 * sum's latency is paid a few times per step, small enough that the largest layers' sums start
 * before the convolutions' backward pass (the seed model: its dense layers, 19 MB, then its
 * convolutions). CLCNN_DP_BUCKET_KB overrides. */
#define DP_BUCKET_KB_DEFAULT 4096

static clcnn_status env_int(const char *name, int64_t lo, int64_t hi, int64_t def, int64_t *out) {
    const char *e = getenv(name);
    *out = def;
    return e && *e ? clcnn_parse_int(e, lo, hi, "the environment", name, out) : CLCNN_STATUS_OK;
}

/* The buckets, last layers first: layers join the open bucket until it holds bucket_kb. */
static clcnn_status plan_buckets(clcnn_dp *dp, clcnn_model *model) {
    int64_t kb, overlap;
    CLCNN_TRY(env_int("CLCNN_DP_BUCKET_KB", 1, INT64_C(1) << 30, DP_BUCKET_KB_DEFAULT, &kb));
    CLCNN_TRY(env_int("CLCNN_DP_OVERLAP", 0, 1, 1, &overlap));
    dp->overlap = (int)overlap;
    size_t cap = (size_t)kb * 1024 / sizeof(float), end = dp->n_grads;
    dp->n_buckets = 0;
    for (int i = clcnn_model_layer_count(model) - 1; i >= 0; i--) {
        size_t first = clcnn_model_grads_first(model, i);
        if (end - first < cap && i > 0) continue;
        if (dp->n_buckets == CLCNN_DP_MAX_BUCKETS - 1) first = 0; /* the last one takes the rest */
        dp->buckets[dp->n_buckets++] = (clcnn_dp_bucket){first, end, i, NULL};
        end = first;
        if (!first) break;
    }
    if (!dp->n_buckets) dp->buckets[dp->n_buckets++] = (clcnn_dp_bucket){0, 0, 0, NULL};
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_dp_init(clcnn_dp *dp, int asked, clcnn_model *model) {
    memset(dp, 0, sizeof *dp);
    int64_t split;
    CLCNN_TRY(env_int("CLCNN_DP_SPLIT", 1, 1 << 20, 1, &split));
    int ranks = clcnn_dist_active() ? clcnn_dist_size() : 1;
    if (!asked || (ranks < 2 && split < 2)) return CLCNN_STATUS_OK;
    dp->active = 1;
    dp->rank = ranks > 1 ? clcnn_dist_rank() : 0;
    dp->size = ranks > 1 ? ranks : (int)split;
    dp->split = ranks < 2;
    dp->n_grads = clcnn_model_trainable_count(model);
    dp->stage = malloc((dp->n_grads + 1) * sizeof *dp->stage);
    if (dp->split && dp->stage)
        dp->part = malloc((dp->n_grads ? dp->n_grads : 1) * sizeof *dp->part);
    if (!dp->stage || (dp->split && !dp->part))
        return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "no host memory for %zu gradients",
                          dp->n_grads);
    return plan_buckets(dp, model);
}

void clcnn_dp_free(clcnn_dp *dp) {
    free(dp->stage);
    free(dp->part);
    dp->stage = dp->part = NULL;
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

/* The backward pass reached bucket layers: its gradients' copy is enqueued. */
static clcnn_status on_layers_done(void *user, int layer) {
    clcnn_dp *dp = user;
    if (dp->next_copy >= dp->n_buckets || dp->buckets[dp->next_copy].layer != layer)
        return CLCNN_STATUS_OK;
    clcnn_dp_bucket *b = &dp->buckets[dp->next_copy++];
    if (b->first == b->end) return CLCNN_STATUS_OK;
    cl_event ev;
    CLCNN_TRY(clcnn_model_read_grads_async(dp->model, b->first, b->end, dp->stage, &ev));
    b->ready = ev;
    return CLCNN_STATUS_OK;
}

/* Waits for a bucket's copy, letting the sums already started progress meanwhile (MPI moves a
 * non-blocking sum only inside its calls). */
static clcnn_status wait_copy(clcnn_dp_bucket *b) {
    cl_event ev = b->ready;
    if (!ev) return CLCNN_STATUS_OK;
    b->ready = NULL;
    for (;;) {
        cl_int st = CL_COMPLETE;
        cl_int err = clGetEventInfo(ev, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof st, &st, NULL);
        if (err != CL_SUCCESS || st <= CL_COMPLETE) {
            clReleaseEvent(ev);
            if (err == CL_SUCCESS && st < 0) err = st;
            return clcnn_cl_check(err, "the gradients' copy to the host");
        }
        int done;
        clcnn_status s = clcnn_dist_test_all(&done);
        if (s != CLCNN_STATUS_OK) {
            clReleaseEvent(ev);
            return s;
        }
        nanosleep(&(struct timespec){0, 50000}, NULL);
    }
}

/* A bucket's sum over the ranks, started. */
static clcnn_status start_sum(clcnn_dp *dp, int i, int has_grads) {
    clcnn_dp_bucket *b = &dp->buckets[i];
    float *g = dp->stage;
    if (!has_grads) /* a batch smaller than the ranks: none here */
        memset(g + b->first, 0, (b->end - b->first) * sizeof *g);
    /* The first bucket carries the stop requests (the float past the gradients). */
    return clcnn_dist_iallreduce_sum(g + b->first, b->end - b->first + (i == 0));
}

static void release_copies(clcnn_dp *dp) {
    for (int i = 0; i < dp->n_buckets; i++)
        if (dp->buckets[i].ready) {
            clWaitForEvents(1, (cl_event *)&dp->buckets[i].ready);
            clReleaseEvent(dp->buckets[i].ready);
            dp->buckets[i].ready = NULL;
        }
}

/* Forward, backward and the buckets' sums; with overlap each sum starts as its copy lands. */
static clcnn_status backprop_and_sum(clcnn_dp *dp, clcnn_model *model, int start, int share,
                                     int count, double *t_ready) {
    dp->model = model;
    dp->next_copy = 0;
    if (share > 0) CLCNN_TRY(clcnn_model_backprop(model, start, share, count, on_layers_done, dp));
    /* Without overlap, every copy first; waited for as with overlap (not clFinish, which on
     * PoCL keeps a core busy that the device's threads would use), so that the two differ only
     * in when the sums start. */
    for (int i = 0; i < dp->n_buckets && !dp->overlap && share > 0; i++)
        CLCNN_TRY(wait_copy(&dp->buckets[i]));
    for (int i = 0; i < dp->n_buckets; i++) {
        if (share > 0) CLCNN_TRY(wait_copy(&dp->buckets[i]));
        CLCNN_TRY(start_sum(dp, i, share > 0));
    }
    *t_ready = clcnn_now();
    return clcnn_dist_wait_all();
}

/* CLCNN_DP_SPLIT: one process computes the step as `size` ranks would, their gradients summed
 * in rank order (for 2 ranks the sum MPI makes, bit for bit). */
static clcnn_status split_backprop(clcnn_dp *dp, clcnn_model *model, int start, int count) {
    for (int r = 0; r < dp->size; r++) {
        int offset, share;
        dp->rank = r;
        clcnn_dp_share(dp, count, &offset, &share);
        if (!share) continue;
        float *g = r ? dp->part : dp->stage;
        CLCNN_TRY(clcnn_model_backprop(model, start + offset, share, count, NULL, NULL));
        CLCNN_TRY(clcnn_model_read_grads(model, g));
        if (r)
            for (size_t i = 0; i < dp->n_grads; i++)
                dp->stage[i] += g[i];
    }
    dp->rank = 0;
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_dp_train_step(clcnn_dp *dp, clcnn_model *model, int start, int count,
                                 volatile int *stop, int *stopped) {
    int offset, share;
    if (dp->split) {
        double t0 = clcnn_now();
        CLCNN_TRY(split_backprop(dp, model, start, count));
        CLCNN_TRY(clcnn_model_write_grads(model, dp->stage));
        CLCNN_TRY(clcnn_model_apply_gradients(model));
        dp->t_step += clcnn_now() - t0;
        dp->steps++;
        dp->seen += count;
        *stopped = stop && *stop;
        return CLCNN_STATUS_OK;
    }
    clcnn_dp_share(dp, count, &offset, &share);
    /* Each rank's loss is divided by the global batch, not its share: the sum over the ranks is
     * the mean over the global batch, with each example's gradient exactly one rank's. */
    dp->stage[dp->n_grads] = stop && *stop ? 1.0f : 0.0f;
    double t0 = clcnn_now(), t1 = t0;
    clcnn_status s = backprop_and_sum(dp, model, start + offset, share, count, &t1);
    release_copies(dp);
    CLCNN_TRY(s);
    double t2 = clcnn_now();
    CLCNN_TRY(clcnn_model_write_grads(model, dp->stage));
    CLCNN_TRY(clcnn_model_apply_gradients(model));
    double t3 = clcnn_now();
    dp->t_compute += t1 - t0;
    dp->t_allreduce += t2 - t1;
    dp->t_copy += t3 - t2;
    dp->t_step += t3 - t0;
    dp->steps++;
    dp->seen += share;
    *stopped = dp->stage[dp->n_grads] > 0.0f;
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

/* A set's shape and labels, and its pixels when `pixels` (all of them in host memory). */
static void hash_set(clcnn_hasher *h, const clcnn_batch_source *b, int pixels) {
    const clcnn_image_list *l = &b->list;
    const clcnn_dataset *d = &b->ds;
    int dims[4] = {b->n, 0, 0, 0};
    if (b->n > 0) {
        dims[1] = b->streamed ? l->c : d->c;
        dims[2] = b->streamed ? l->h : d->h;
        dims[3] = b->streamed ? l->w : d->w;
    }
    clcnn_hasher_update(h, dims, sizeof dims);
    if (b->n > 0 && b->labels) clcnn_hasher_update(h, b->labels, (size_t)b->n);
    if (pixels && b->n > 0 && d->images)
        clcnn_hasher_update(h, d->images, (size_t)b->n * d->c * d->h * d->w);
}

/* Rank 0's data and this rank's are the same examples: the hosts each read their own copy, and
 * a different file at the same path would train every rank on something else, silently. When
 * every rank holds its sets in memory the pixels are compared too; a streamed set (on any rank)
 * is compared by its shape and labels, since reading it whole to hash it would cost an epoch. */
static clcnn_status check_same_data(const clcnn_batch_source *train,
                                    const clcnn_batch_source *val) {
    double streamed = train->streamed || val->streamed;
    CLCNN_TRY(clcnn_dist_allreduce_sum(&streamed, 1, CLCNN_DIST_DOUBLE));
    clcnn_hasher *h = clcnn_hasher_create();
    if (!h) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
    hash_set(h, train, streamed == 0);
    hash_set(h, val, streamed == 0);
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

clcnn_status clcnn_dp_sync_start(clcnn_model *model, const clcnn_batch_source *train,
                                 const clcnn_batch_source *val, int *first_epoch, clcnn_fit_result *res,
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
    if (!dp->active || dp->split || !dp->steps) return;
    double k = 1000.0 / (double)dp->steps;
    clcnn_log(CLCNN_LOG_INFO,
              "data-parallel rank %d of %d: %lld steps, per step %.2f ms: %.2f ms forward/backward "
              "(to the last gradients on the host), %.2f ms allreduce not overlapped (of %zu "
              "bytes in %d buckets, overlap %s), %.2f ms gradients written back and the update",
              dp->rank, dp->size, (long long)dp->steps, dp->t_step * k, dp->t_compute * k,
              dp->t_allreduce * k, dp->n_grads * sizeof(float), dp->n_buckets,
              dp->overlap ? "on" : "off", dp->t_copy * k);
}
