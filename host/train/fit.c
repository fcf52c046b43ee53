/* train/fit.c: the fit loop (epochs of enqueued steps, metrics read back at intervals,
 * validation, checkpoints, the learning-rate schedule and early stopping) and evaluation. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "batches.h"
#include "checkpoint.h"
#include "clcnn/data.h"
#include "clcnn/dist.h"
#include "data_parallel.h"
#include "schedule.h"

clcnn_fit_options clcnn_fit_options_default(void) {
    clcnn_fit_options o;
    memset(&o, 0, sizeof o);
    o.evaluate_test = 1;
    o.progress_interval = 0.5;
    return o;
}

/* Where each set's batches come from (train/batches.h): in memory or streamed. */
typedef struct fit_data {
    clcnn_batch_source train, val, test;
} fit_data;

static void fit_data_free(fit_data *d) {
    clcnn_batches_free(&d->train);
    clcnn_batches_free(&d->val);
    clcnn_batches_free(&d->test);
}

/* The spec's data; an image folder's class names replace the spec's (a count) in *spec. */
static clcnn_status load_data(clcnn_context *ctx, clcnn_spec *spec, int want_test, fit_data *d) {
    char mode[512];
    CLCNN_TRY(clcnn_batches_open(spec, clcnn_context_device(ctx), &d->train, &d->val,
                                 want_test ? &d->test : NULL, mode, sizeof mode));
    clcnn_log(CLCNN_LOG_INFO, "%s", mode);
    return CLCNN_STATUS_OK;
}

/* Mean loss and accuracy of examples [0, n) of a slot's last pass. */
static clcnn_status slot_metrics(clcnn_model *m, int slot, int n, double *loss, double *acc) {
    double sum;
    int64_t correct;
    CLCNN_TRY(clcnn_model_read_metrics(m, slot, 0, n, &sum, &correct, NULL));
    *loss = n ? sum / n : NAN;
    *acc = n ? (double)correct / n : NAN;
    return CLCNN_STATUS_OK;
}

/* A pass in storage order over a source's slot; probs (NULL, or n x classes) waits per batch. */
static clcnn_status eval_pass(clcnn_model *m, clcnn_batch_source *src, int batch, float *probs) {
    int k = clcnn_model_get_spec(m)->data.n_classes;
    CLCNN_TRY(clcnn_batches_begin(src, NULL));
    for (int start = 0; start < src->n; start += batch) {
        int count = src->n - start < batch ? src->n - start : batch;
        CLCNN_TRY(clcnn_batches_load(src, start, count));
        CLCNN_TRY(clcnn_model_eval_step(m, src->slot, start, count,
                                        probs ? probs + (size_t)start * k : NULL));
    }
    return CLCNN_STATUS_OK;
}

static clcnn_status eval_slot(clcnn_model *m, clcnn_batch_source *src, int batch, double *loss,
                              double *acc) {
    CLCNN_TRY(eval_pass(m, src, batch, NULL));
    return slot_metrics(m, src->slot, src->n, loss, acc);
}

static void shuffle_order(uint32_t *order, int n, uint64_t seed, int epoch, int shuffle) {
    for (int i = 0; i < n; i++) order[i] = (uint32_t)i;
    if (!shuffle) return;
    clcnn_rng rng;
    clcnn_rng_seed(&rng, seed ^ (0x9e3779b97f4a7c15ull * (uint64_t)(epoch + 1)));
    clcnn_rng_shuffle_u32(&rng, order, (size_t)n);
}

typedef struct fit_run {
    clcnn_context *ctx;
    const clcnn_spec *spec;
    const clcnn_fit_options *opt;
    clcnn_fit_result *res;
    clcnn_model *model;
    fit_data data;
    uint32_t *order;
    double best;
    clcnn_early_stop early;
    float *best_params; /* early_stopping.restore_best_weights: the best epoch's arena */
    char path_model[1200], path_opt[1200], path_history[1200], path_best[1200], path_run[1200];
    double lr[CLCNN_MAX_EPOCHS]; /* each epoch's learning rate at its first step, for run.json */
    clcnn_dp dp;                 /* data-parallel training under MPI (inactive otherwise) */
} fit_run;

static int has_schedule(const clcnn_train_spec *t) {
    return clcnn_name_find(&clcnn_lr_schedule_names, t->lr_schedule.name) !=
               CLCNN_LR_SCHEDULE_CONSTANT ||
           t->lr_schedule.warmup_epochs > 0;
}

static void report(fit_run *r, clcnn_progress *p) {
    if (r->opt->progress) r->opt->progress(p, r->opt->user);
}

/* A training step, alone or as this rank's share of a data-parallel one; *stop: a stop was asked
 * (data-parallel: by any rank, so all stop after the same step). */
static clcnn_status train_step(fit_run *r, int start, int count, int *stop) {
    if (r->dp.active) return clcnn_dp_train_step(&r->dp, r->model, start, count, r->opt->stop, stop);
    CLCNN_TRY(clcnn_model_train_step(r->model, start, count));
    *stop = r->opt->stop && *r->opt->stop;
    return CLCNN_STATUS_OK;
}

/* The epoch's mean loss and accuracy so far; data-parallel, over all ranks when `all` (a
 * collective), else this rank's own. */
static clcnn_status train_metrics(fit_run *r, int upto, int all, double *loss, double *acc) {
    if (r->dp.active) return clcnn_dp_metrics(&r->dp, r->model, upto, all, loss, acc);
    return slot_metrics(r->model, 0, upto, loss, acc);
}

/* One epoch of steps; returns with *stopped set if asked to stop. */
static clcnn_status run_epoch(fit_run *r, int epoch, clcnn_epoch_metrics *em, int *stopped) {
    int n = r->data.train.n, batch = r->spec->train.batch_size, steps = (n + batch - 1) / batch;
    shuffle_order(r->order, n, r->spec->train.seed, epoch, r->spec->data.shuffle);
    CLCNN_TRY(clcnn_batches_begin(&r->data.train, r->order));
    if (r->dp.active) CLCNN_TRY(clcnn_dp_epoch_start(&r->dp, r->model));
    double t0 = clcnn_now(), last = t0;
    r->lr[r->res->epochs_done] = clcnn_lr_at(&r->spec->train, epoch, 0, steps);
    clcnn_progress p = {.epoch = epoch + 1, .epochs = r->spec->train.epochs, .steps = steps};
    for (int step = 0; step < steps; step++) {
        int start = step * batch, count = n - start < batch ? n - start : batch;
        if (has_schedule(&r->spec->train))
            CLCNN_TRY(clcnn_model_set_learning_rate(
                r->model, (float)clcnn_lr_at(&r->spec->train, epoch, step, steps)));
        clcnn_status loaded = clcnn_batches_load(&r->data.train, start, count);
        if (loaded != CLCNN_STATUS_OK)
            return clcnn_fail_prefix(loaded, "epoch %d, step %d of %d: ", epoch + 1, step + 1, steps);
        CLCNN_TRY(train_step(r, start, count, stopped));
        if (!r->res->epochs_done && !step) {
            /* The cold-start figure (bench/cold_start.sh): kernel builds end with the first step. */
            CLCNN_TRY(clcnn_model_finish(r->model));
            clcnn_log(CLCNN_LOG_DEBUG, "first training step done");
        }
        if (*stopped) {
            return clcnn_model_finish(r->model);
        }
        double now = clcnn_now();
        if (r->opt->progress && (now - last >= r->opt->progress_interval || step + 1 == steps)) {
            CLCNN_TRY(train_metrics(r, start + count, 0, &p.loss, &p.accuracy));
            now = clcnn_now();
            last = now;
            p.step = step + 1;
            p.elapsed = now - t0;
            p.images_per_second = (start + count) / p.elapsed;
            p.eta = p.elapsed / (step + 1) * (steps - step - 1);
            report(r, &p);
        }
    }
    em->epoch = epoch + 1;
    CLCNN_TRY(train_metrics(r, n, 1, &em->loss, &em->accuracy));
    em->seconds = clcnn_now() - t0;
    em->images_per_second = n / em->seconds;
    if (!isfinite(em->loss))
        return clcnn_fail(CLCNN_STATUS_NUMERIC_ERROR, "the training loss became %g in epoch %d",
                          em->loss, epoch + 1);
    em->val_loss = em->val_accuracy = NAN;
    /* Data-parallel, rank 0 validates and sends its epoch's record: every rank then takes the
     * same early-stopping and checkpoint decisions. */
    if (r->data.val.n && (!r->dp.active || r->dp.rank == 0))
        CLCNN_TRY(eval_slot(r->model, &r->data.val, batch, &em->val_loss, &em->val_accuracy));
    return r->dp.active ? clcnn_dist_bcast(em, sizeof *em) : CLCNN_STATUS_OK;
}

double clcnn_epoch_metric(const clcnn_epoch_metrics *e, clcnn_metric metric) {
    switch (metric) {
    case CLCNN_METRIC_VAL_ACCURACY:
        return e->val_accuracy;
    case CLCNN_METRIC_VAL_LOSS:
        return e->val_loss;
    case CLCNN_METRIC_ACCURACY:
        return e->accuracy;
    case CLCNN_METRIC_LOSS:
        return e->loss;
    case CLCNN_METRIC_COUNT:
        break;
    }
    return NAN;
}

/* A metric a spec key names, checked: a spec built through the API has skipped the config's
 * checks, and an unknown name would monitor nothing (every value NaN). Empty: off. */
static clcnn_status check_metric(const char *key, const char *name) {
    int metric;
    if (!name[0] || clcnn_name_parse(&clcnn_metric_names, name, &metric) == CLCNN_STATUS_OK)
        return CLCNN_STATUS_OK;
    return clcnn_fail_prefix(CLCNN_STATUS_INVALID_ARGUMENT, "%s: ", key);
}

/* The value of the metric a spec key names (checked by check_metric). */
static double monitored(const clcnn_epoch_metrics *e, const char *name, int *maximize) {
    clcnn_metric m = clcnn_metric_parse(name);
    *maximize = clcnn_metric_maximize(m);
    return clcnn_epoch_metric(e, m);
}

static clcnn_status save_epoch(fit_run *r, int epoch) {
    if (!r->opt->out_dir) return CLCNN_STATUS_OK;
    CLCNN_TRY(clcnn_model_save(r->model, r->path_model));
    CLCNN_TRY(clcnn_opt_state_save(r->model, r->path_opt, epoch + 1));
    CLCNN_TRY(clcnn_history_write(r->path_history, r->res->history, r->res->epochs_done));
    CLCNN_TRY(clcnn_run_info_write(r->path_run, clcnn_context_device(r->ctx), r->res->history,
                                   r->lr, r->res->epochs_done));
    const char *mon = r->spec->train.checkpoint_monitor;
    if (!mon[0]) return CLCNN_STATUS_OK;
    int maximize;
    double v = monitored(&r->res->history[r->res->epochs_done - 1], mon, &maximize);
    if (isnan(v) || (!isnan(r->best) && (maximize ? v <= r->best : v >= r->best)))
        return CLCNN_STATUS_OK;
    r->best = v;
    return clcnn_model_save(r->model, r->path_best);
}

/* Keras' EarlyStopping after epoch `epoch`: keeps the best weights when asked, sets *stop. */
static clcnn_status early_stopping(fit_run *r, int epoch, const clcnn_epoch_metrics *em, int *stop) {
    const clcnn_early_stopping_spec *es = &r->spec->train.early_stopping;
    *stop = 0;
    if (!es->monitor[0]) return CLCNN_STATUS_OK;
    int maximize, improved;
    double v = monitored(em, es->monitor, &maximize);
    *stop = clcnn_early_stop_update(&r->early, es, maximize, epoch, v, &improved);
    if (improved && r->best_params) CLCNN_TRY(clcnn_model_read_params(r->model, r->best_params));
    return CLCNN_STATUS_OK;
}

/* restore_best_weights: the model ends with the best epoch's weights (as Keras does at the end
 * of training, stopped early or not), and the model file holds them. */
static clcnn_status restore_best(fit_run *r) {
    if (!r->best_params || r->early.best_epoch < 0) return CLCNN_STATUS_OK;
    r->res->restored_epoch = r->early.best_epoch + 1;
    CLCNN_TRY(clcnn_model_write_params(r->model, r->best_params));
    return r->opt->out_dir ? clcnn_model_save(r->model, r->path_model) : CLCNN_STATUS_OK;
}

static clcnn_status prepare_early_stopping(fit_run *r) {
    const clcnn_early_stopping_spec *es = &r->spec->train.early_stopping;
    clcnn_early_stop_init(&r->early);
    CLCNN_TRY(check_metric("train.checkpoint_monitor", r->spec->train.checkpoint_monitor));
    CLCNN_TRY(check_metric("train.early_stopping.monitor", es->monitor));
    if (!es->monitor[0]) return CLCNN_STATUS_OK;
    if (clcnn_metric_needs_validation(clcnn_metric_parse(es->monitor)) && !r->data.val.n)
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT,
                          "train.early_stopping.monitor %s needs a validation set: set "
                          "data.validation_split", es->monitor);
    if (!es->restore_best_weights) return CLCNN_STATUS_OK;
    size_t n = clcnn_model_param_count(r->model);
    r->best_params = malloc((n ? n : 1) * sizeof *r->best_params);
    return r->best_params ? CLCNN_STATUS_OK : clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
}

/* The resumed epochs' seconds, images per second and learning rates, from run.json (a run of an
 * older clcnn has none: they stay unknown). */
static clcnn_status resume_run_info(fit_run *r) {
    for (int i = 0; i < r->res->epochs_done; i++) r->lr[i] = NAN;
    if (!clcnn_file_exists(r->path_run)) return CLCNN_STATUS_OK;
    clcnn_run_info *info = malloc(sizeof *info);
    if (!info) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
    clcnn_status s = clcnn_run_info_read(r->path_run, info);
    for (int i = 0; s == CLCNN_STATUS_OK && i < r->res->epochs_done && i < info->n_epochs; i++) {
        r->res->history[i].seconds = info->seconds[i];
        r->res->history[i].images_per_second = info->images_per_second[i];
        r->lr[i] = info->learning_rate[i];
    }
    free(info);
    return s;
}

/* The model, optimizer state and history of an interrupted run, each checked whole before any
 * is used. */
static clcnn_status load_resume_state(fit_run *r, int *first_epoch) {
    if (!r->opt->out_dir)
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "resume needs an output folder");
    CLCNN_TRY(clcnn_model_load_weights(r->model, r->path_model));
    CLCNN_TRY(clcnn_opt_state_load(r->model, r->path_opt, first_epoch));
    int n = 0;
    if (clcnn_file_exists(r->path_history))
        CLCNN_TRY(clcnn_history_read(r->path_history, r->res->history, CLCNN_MAX_EPOCHS, &n));
    r->res->epochs_done = n < *first_epoch ? n : *first_epoch;
    return resume_run_info(r);
}

/* A folder that cannot be resumed is the user's to fix: say so, and touch nothing in it. */
static clcnn_status resume_refused(fit_run *r, clcnn_status s) {
    if (s == CLCNN_STATUS_OK || s == CLCNN_STATUS_OUT_OF_MEMORY) return s;
    r->res->epochs_done = 0;
    char why[4096];
    snprintf(why, sizeof why, "%s", clcnn_last_error());
    return clcnn_fail(s,
                      "cannot resume the run in '%s': %s\n(nothing was changed there; fix or move "
                      "that file, or start again with a fresh --out)",
                      r->opt->out_dir ? r->opt->out_dir : "", why);
}

static clcnn_status prepare(fit_run *r, int *first_epoch) {
    const clcnn_fit_options *o = r->opt;
    *first_epoch = o->initial_epoch;
    /* Epoch numbers index the history: one out of range is refused here, whatever set it. */
    if (*first_epoch < 0 || *first_epoch > CLCNN_MAX_EPOCHS)
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "the first epoch is %d; 0 to %d",
                          *first_epoch, CLCNN_MAX_EPOCHS);
    CLCNN_TRY(prepare_early_stopping(r));
    if (o->out_dir) {
        CLCNN_TRY(clcnn_mkdir_p(o->out_dir));
        snprintf(r->path_model, sizeof r->path_model, "%s/model.safetensors", o->out_dir);
        snprintf(r->path_opt, sizeof r->path_opt, "%s/optimizer.safetensors", o->out_dir);
        snprintf(r->path_history, sizeof r->path_history, "%s/history.csv", o->out_dir);
        snprintf(r->path_best, sizeof r->path_best, "%s/best.safetensors", o->out_dir);
        snprintf(r->path_run, sizeof r->path_run, "%s/run.json", o->out_dir);
    }
    if (o->init_model) CLCNN_TRY(clcnn_model_load_weights(r->model, o->init_model));
    if (o->resume) CLCNN_TRY(resume_refused(r, load_resume_state(r, first_epoch)));
    /* Data-parallel, each rank gathers its share of every batch: from a whole copy of the set on
     * its device, or streamed, decoding that share alone. Rank 0 alone validates. */
    int validates = r->data.val.n && (!r->dp.active || r->dp.rank == 0 || !r->data.val.streamed);
    if (r->dp.active) {
        CLCNN_TRY(clcnn_dp_sync_start(r->model, &r->data.train, &r->data.val, first_epoch, r->res,
                                      r->lr));
        if (!r->dp.split) clcnn_batches_set_part(&r->data.train, r->dp.rank, r->dp.size);
    }
    CLCNN_TRY(clcnn_batches_attach(&r->data.train, r->model, 0));
    if (validates) CLCNN_TRY(clcnn_batches_attach(&r->data.val, r->model, 1));
    r->order = malloc((size_t)r->data.train.n * sizeof *r->order);
    return r->order ? CLCNN_STATUS_OK : clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
}

static clcnn_status evaluate(clcnn_model *m, clcnn_batch_source *src, clcnn_eval_result *out,
                             float *probs);

/* The test set's metrics; with an output folder, its probabilities too, kept beside the model
 * file they came from (test_predictions.bin) for the report. A streamed test set has no
 * images in memory to key them to: the report evaluates it itself. */
static clcnn_status evaluate_test(fit_run *r) {
    clcnn_batch_source *src = &r->data.test;
    const clcnn_dataset *test = &src->ds;
    if (!r->opt->evaluate_test || !src->n) return CLCNN_STATUS_OK;
    int k = r->spec->data.n_classes, keep = r->opt->out_dir && !src->streamed;
    src->keep_images = 1; /* test_predictions.bin is keyed to them */
    CLCNN_TRY(clcnn_batches_attach(src, r->model, 2));
    clcnn_eval_result *ev = malloc(sizeof *ev);
    float *probs = keep ? malloc((size_t)src->n * k * sizeof *probs) : NULL;
    clcnn_status s = ev && (probs || !keep)
                         ? evaluate(r->model, src, ev, probs)
                         : clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
    if (s == CLCNN_STATUS_OK) {
        r->res->test_loss = ev->loss;
        r->res->test_accuracy = ev->accuracy;
    }
    if (s == CLCNN_STATUS_OK && probs) {
        char path[1200];
        snprintf(path, sizeof path, "%s/test_predictions.bin", r->opt->out_dir);
        s = clcnn_test_predictions_write(path, r->path_model, test, k, probs);
    }
    free(ev);
    free(probs);
    return s;
}

static clcnn_status fit_run_all(fit_run *r) {
    int first;
    CLCNN_TRY(prepare(r, &first));
    for (int epoch = first; epoch < r->spec->train.epochs; epoch++) {
        if (r->res->epochs_done >= CLCNN_MAX_EPOCHS)
            return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "more than %d epochs", CLCNN_MAX_EPOCHS);
        clcnn_epoch_metrics *em = &r->res->history[r->res->epochs_done];
        int stopped = 0;
        clcnn_status s = run_epoch(r, epoch, em, &stopped);
        if (s == CLCNN_STATUS_NUMERIC_ERROR) r->res->epochs_done++;
        CLCNN_TRY(s);
        if (stopped) {
            r->res->stopped = 1;
            return CLCNN_STATUS_OK;
        }
        r->res->epochs_done++;
        CLCNN_TRY(save_epoch(r, epoch));
        int stop;
        CLCNN_TRY(early_stopping(r, epoch, em, &stop));
        clcnn_progress p = {.epoch = epoch + 1, .epochs = r->spec->train.epochs, .final = 1,
                            .metrics = em, .loss = em->loss, .accuracy = em->accuracy,
                            .images_per_second = em->images_per_second, .elapsed = em->seconds};
        p.step = p.steps = (r->data.train.n + r->spec->train.batch_size - 1) / r->spec->train.batch_size;
        report(r, &p);
        if (stop) {
            r->res->stopped_early_epoch = epoch + 1;
            break;
        }
    }
    CLCNN_TRY(restore_best(r));
    return evaluate_test(r);
}

/* Data-parallel, the ranks other than 0 read and write no files and report nothing: rank 0's
 * starting point reaches them over MPI (clcnn_dp_sync_start). */
static clcnn_fit_options worker_options(const clcnn_fit_options *o) {
    clcnn_fit_options w = *o;
    w.out_dir = w.init_model = NULL;
    w.resume = w.evaluate_test = 0;
    w.progress = NULL;
    return w;
}

/* A rank other than 0 of a data-parallel run (clcnn_dp_init's test, known before the model). */
static int worker_rank(const clcnn_fit_options *o) {
    return o->data_parallel && clcnn_dist_active() && clcnn_dist_size() > 1 &&
           clcnn_dist_rank() != 0;
}

clcnn_status clcnn_fit(clcnn_context *ctx, const clcnn_spec *spec, const clcnn_fit_options *opt,
                       clcnn_fit_result *result) {
    clcnn_fit_options defaults = clcnn_fit_options_default(), worker;
    fit_run r = {.ctx = ctx, .opt = opt ? opt : &defaults, .res = result, .best = NAN};
    memset(result, 0, sizeof *result);
    result->test_loss = result->test_accuracy = NAN;
    double t0 = clcnn_now();
    /* A copy: an image folder's class names become the model's (and its file's). */
    clcnn_spec *own = malloc(sizeof *own);
    if (!own) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
    *own = *spec;
    r.spec = own;
    if (worker_rank(r.opt)) { /* known before the data: it does not decode the test set */
        worker = worker_options(r.opt);
        r.opt = &worker;
    }
    clcnn_status s = load_data(ctx, own, r.opt->evaluate_test, &r.data);
    if (s == CLCNN_STATUS_OK) s = clcnn_model_create(ctx, own, own->train.batch_size, &r.model);
    if (s == CLCNN_STATUS_OK) s = clcnn_dp_init(&r.dp, r.opt->data_parallel, r.model);
    if (s == CLCNN_STATUS_OK) s = fit_run_all(&r);
    result->seconds = clcnn_now() - t0;
    if (r.data.train.streamed) {
        int64_t decoded, cached;
        clcnn_batches_counts(&r.data.train, &decoded, &cached);
        clcnn_log(CLCNN_LOG_INFO, "training data, rank %d: %lld examples decoded, %lld from the cache",
                  r.dp.rank, (long long)decoded, (long long)cached);
    }
    fit_data_free(&r.data); /* first: its decoding threads write into the model's host buffers */
    clcnn_dp_log_times(&r.dp);
    clcnn_dp_free(&r.dp);
    clcnn_model_destroy(r.model);
    free(r.order);
    free(r.best_params);
    free(own);
    return s;
}

clcnn_status clcnn_evaluate_test_set(clcnn_model *m, clcnn_eval_result *out) {
    memset(out, 0, sizeof *out);
    clcnn_spec *spec = malloc(sizeof *spec);
    if (!spec) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
    *spec = *clcnn_model_get_spec(m);
    clcnn_batch_source src;
    char mode[512];
    clcnn_status s = clcnn_batches_open(spec, NULL, NULL, NULL, &src, mode, sizeof mode);
    free(spec);
    CLCNN_TRY(s);
    clcnn_log(CLCNN_LOG_INFO, "%s", mode);
    s = clcnn_batches_attach(&src, m, 2);
    if (s == CLCNN_STATUS_OK) s = evaluate(m, &src, out, NULL);
    clcnn_batches_free(&src); /* before the model: its threads write into the model's buffers */
    return s;
}

clcnn_status clcnn_evaluate(clcnn_model *m, const clcnn_dataset *ds, clcnn_eval_result *out) {
    memset(out, 0, sizeof *out);
    if (!ds->labels) return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "evaluation needs labels");
    clcnn_batch_source src;
    clcnn_batches_borrow(ds, &src);
    CLCNN_TRY(clcnn_batches_attach(&src, m, 2));
    return evaluate(m, &src, out, NULL);
}

/* Over a source attached to slot 2; probs: NULL, or room for n x classes probabilities (the
 * pass then waits batch by batch). */
static clcnn_status evaluate(clcnn_model *m, clcnn_batch_source *src, clcnn_eval_result *out,
                             float *probs) {
    memset(out, 0, sizeof *out);
    const clcnn_spec *spec = clcnn_model_get_spec(m);
    int k = spec->data.n_classes, n = src->n;
    CLCNN_TRY(eval_pass(m, src, spec->train.batch_size, probs));
    uint8_t *pred = malloc(n ? (size_t)n : 1);
    if (!pred) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
    double sum;
    int64_t correct;
    clcnn_status s = clcnn_model_read_metrics(m, 2, 0, n, &sum, &correct, pred);
    if (s == CLCNN_STATUS_OK) {
        out->n = n;
        out->classes = k;
        out->loss = n ? sum / n : NAN;
        out->accuracy = n ? (double)correct / n : NAN;
        for (int i = 0; i < n; i++) out->confusion[src->labels[i]][pred[i]]++;
        for (int c = 0; c < k; c++) {
            int64_t row = 0;
            for (int j = 0; j < k; j++) row += out->confusion[c][j];
            out->per_class_accuracy[c] = row ? (double)out->confusion[c][c] / row : NAN;
        }
    }
    free(pred);
    return s;
}
