/* train/fit.c: the fit loop (epochs of enqueued steps, metrics read back at intervals,
 * validation, checkpoints, the learning-rate schedule and early stopping) and evaluation. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "clcnn/data.h"
#include "schedule.h"

clcnn_fit_options clcnn_fit_options_default(void) {
    clcnn_fit_options o;
    memset(&o, 0, sizeof o);
    o.evaluate_test = 1;
    o.progress_interval = 0.5;
    return o;
}

typedef struct fit_data {
    clcnn_dataset train, val, test;
} fit_data;

static void fit_data_free(fit_data *d) {
    clcnn_dataset_free(&d->train);
    clcnn_dataset_free(&d->val);
    clcnn_dataset_free(&d->test);
}

/* Keras' validation_split: the last fraction of the training data, taken before shuffling. */
static clcnn_status split_validation(clcnn_dataset *train, double split, clcnn_dataset *val) {
    memset(val, 0, sizeof *val);
    int keep = (int)floor(train->n * (1.0 - split));
    if (split <= 0 || keep == train->n) return CLCNN_STATUS_OK;
    if (keep <= 0)
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT,
                          "validation_split %.3g leaves no training examples out of %d", split, train->n);
    size_t ex = (size_t)train->c * train->h * train->w;
    *val = (clcnn_dataset){train->n - keep, train->c, train->h, train->w, NULL, NULL};
    val->images = malloc((size_t)val->n * ex);
    val->labels = malloc((size_t)val->n);
    if (!val->images || !val->labels) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
    memcpy(val->images, train->images + (size_t)keep * ex, (size_t)val->n * ex);
    memcpy(val->labels, train->labels + keep, (size_t)val->n);
    train->n = keep;
    return CLCNN_STATUS_OK;
}

/* The spec's data; an image folder's class names replace the spec's (a count) in *spec. */
static clcnn_status load_data(clcnn_spec *spec, int want_test, fit_data *d) {
    memset(d, 0, sizeof *d);
    CLCNN_TRY(clcnn_data_load_for(spec, &d->train, want_test ? &d->test : NULL, &spec->data));
    return split_validation(&d->train, spec->data.validation_split, &d->val);
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

static clcnn_status eval_slot(clcnn_model *m, int slot, int n, int batch, double *loss, double *acc) {
    for (int start = 0; start < n; start += batch)
        CLCNN_TRY(clcnn_model_eval_step(m, slot, start, n - start < batch ? n - start : batch, NULL));
    return slot_metrics(m, slot, n, loss, acc);
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
} fit_run;

static int has_schedule(const clcnn_train_spec *t) {
    return clcnn_name_find(&clcnn_lr_schedule_names, t->lr_schedule.name) !=
               CLCNN_LR_SCHEDULE_CONSTANT ||
           t->lr_schedule.warmup_epochs > 0;
}

static void report(fit_run *r, clcnn_progress *p) {
    if (r->opt->progress) r->opt->progress(p, r->opt->user);
}

/* One epoch of steps; returns with *stopped set if asked to stop. */
static clcnn_status run_epoch(fit_run *r, int epoch, clcnn_epoch_metrics *em, int *stopped) {
    int n = r->data.train.n, batch = r->spec->train.batch_size, steps = (n + batch - 1) / batch;
    shuffle_order(r->order, n, r->spec->train.seed, epoch, r->spec->data.shuffle);
    CLCNN_TRY(clcnn_model_set_order(r->model, r->order, n));
    double t0 = clcnn_now(), last = t0;
    r->lr[r->res->epochs_done] = clcnn_lr_at(&r->spec->train, epoch, 0, steps);
    clcnn_progress p = {.epoch = epoch + 1, .epochs = r->spec->train.epochs, .steps = steps};
    for (int step = 0; step < steps; step++) {
        int start = step * batch, count = n - start < batch ? n - start : batch;
        if (has_schedule(&r->spec->train))
            CLCNN_TRY(clcnn_model_set_learning_rate(
                r->model, (float)clcnn_lr_at(&r->spec->train, epoch, step, steps)));
        CLCNN_TRY(clcnn_model_train_step(r->model, start, count));
        if (!r->res->epochs_done && !step) {
            /* The cold-start figure (bench/cold_start.sh): kernel builds end with the first step. */
            CLCNN_TRY(clcnn_model_finish(r->model));
            clcnn_log(CLCNN_LOG_DEBUG, "first training step done");
        }
        if (r->opt->stop && *r->opt->stop) {
            *stopped = 1;
            return clcnn_model_finish(r->model);
        }
        double now = clcnn_now();
        if (r->opt->progress && (now - last >= r->opt->progress_interval || step + 1 == steps)) {
            CLCNN_TRY(slot_metrics(r->model, 0, start + count, &p.loss, &p.accuracy));
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
    CLCNN_TRY(slot_metrics(r->model, 0, n, &em->loss, &em->accuracy));
    em->seconds = clcnn_now() - t0;
    em->images_per_second = n / em->seconds;
    if (!isfinite(em->loss))
        return clcnn_fail(CLCNN_STATUS_NUMERIC_ERROR, "the training loss became %g in epoch %d",
                          em->loss, epoch + 1);
    em->val_loss = em->val_accuracy = NAN;
    if (r->data.val.n)
        CLCNN_TRY(eval_slot(r->model, 1, r->data.val.n, batch, &em->val_loss, &em->val_accuracy));
    return CLCNN_STATUS_OK;
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
    CLCNN_TRY(clcnn_model_upload(r->model, 0, &r->data.train));
    if (r->data.val.n) CLCNN_TRY(clcnn_model_upload(r->model, 1, &r->data.val));
    /* The device has its copies now; only the counts are needed on the host. */
    free(r->data.train.images);
    free(r->data.val.images);
    r->data.train.images = r->data.val.images = NULL;
    r->order = malloc((size_t)r->data.train.n * sizeof *r->order);
    return r->order ? CLCNN_STATUS_OK : clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
}

static clcnn_status evaluate(clcnn_model *m, const clcnn_dataset *ds, clcnn_eval_result *out,
                             float *probs);

/* The test set's metrics; with an output folder, its probabilities too, kept beside the model
 * file they came from (test_predictions.bin) for the report. */
static clcnn_status evaluate_test(fit_run *r) {
    const clcnn_dataset *test = &r->data.test;
    if (!r->opt->evaluate_test || !test->n) return CLCNN_STATUS_OK;
    int k = r->spec->data.n_classes;
    clcnn_eval_result *ev = malloc(sizeof *ev);
    float *probs = r->opt->out_dir ? malloc((size_t)test->n * k * sizeof *probs) : NULL;
    clcnn_status s = ev && (probs || !r->opt->out_dir)
                         ? evaluate(r->model, test, ev, probs)
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

clcnn_status clcnn_fit(clcnn_context *ctx, const clcnn_spec *spec, const clcnn_fit_options *opt,
                       clcnn_fit_result *result) {
    clcnn_fit_options defaults = clcnn_fit_options_default();
    fit_run r = {.ctx = ctx, .opt = opt ? opt : &defaults, .res = result, .best = NAN};
    memset(result, 0, sizeof *result);
    result->test_loss = result->test_accuracy = NAN;
    double t0 = clcnn_now();
    /* A copy: an image folder's class names become the model's (and its file's). */
    clcnn_spec *own = malloc(sizeof *own);
    if (!own) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
    *own = *spec;
    r.spec = own;
    clcnn_status s = load_data(own, r.opt->evaluate_test, &r.data);
    if (s == CLCNN_STATUS_OK) s = clcnn_model_create(ctx, own, own->train.batch_size, &r.model);
    if (s == CLCNN_STATUS_OK) s = fit_run_all(&r);
    result->seconds = clcnn_now() - t0;
    clcnn_model_destroy(r.model);
    fit_data_free(&r.data);
    free(r.order);
    free(r.best_params);
    free(own);
    return s;
}

clcnn_status clcnn_evaluate(clcnn_model *m, const clcnn_dataset *ds, clcnn_eval_result *out) {
    return evaluate(m, ds, out, NULL);
}

/* probs: NULL, or room for ds->n x classes probabilities (the pass then waits batch by batch). */
static clcnn_status evaluate(clcnn_model *m, const clcnn_dataset *ds, clcnn_eval_result *out,
                             float *probs) {
    memset(out, 0, sizeof *out);
    if (!ds->labels) return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "evaluation needs labels");
    const clcnn_spec *spec = clcnn_model_get_spec(m);
    int k = spec->data.n_classes, batch = spec->train.batch_size;
    CLCNN_TRY(clcnn_model_upload(m, 2, ds));
    for (int start = 0; start < ds->n; start += batch)
        CLCNN_TRY(clcnn_model_eval_step(m, 2, start, ds->n - start < batch ? ds->n - start : batch,
                                        probs ? probs + (size_t)start * k : NULL));
    uint8_t *pred = malloc(ds->n ? (size_t)ds->n : 1);
    if (!pred) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
    double sum;
    int64_t correct;
    clcnn_status s = clcnn_model_read_metrics(m, 2, 0, ds->n, &sum, &correct, pred);
    if (s == CLCNN_STATUS_OK) {
        out->n = ds->n;
        out->classes = k;
        out->loss = ds->n ? sum / ds->n : NAN;
        out->accuracy = ds->n ? (double)correct / ds->n : NAN;
        for (int i = 0; i < ds->n; i++) out->confusion[ds->labels[i]][pred[i]]++;
        for (int c = 0; c < k; c++) {
            int64_t row = 0;
            for (int j = 0; j < k; j++) row += out->confusion[c][j];
            out->per_class_accuracy[c] = row ? (double)out->confusion[c][c] / row : NAN;
        }
    }
    free(pred);
    return s;
}
