/* cli/cmd_tune.c: `clcnn tune [CONFIG] [--out DIR] [--overwrite] [--set k=v]...`: the
 * hyperparameter search. Prints the search space (as KerasTuner's search_space_summary does), a
 * line per trial, and a table of the best trials; the files are clcnn_tune_run's (clcnn/tune.h),
 * and at the end the HTML report of the search (clcnn/report.h).
 * Without CONFIG it runs the seed notebook's search on the embedded quick default. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clcnn/dist.h"
#include "clcnn/oracle.h"
#include "clcnn/tune.h"
#include "cli.h"

#define DEFAULT_CONFIG "fashion_mnist_tune_quick.yaml"
#define DEFAULT_OUT "tune_out"
#define TOP_N 10

typedef struct tune_view {
    const clcnn_spec *spec;
    const clcnn_search_space *space;
    int tty, quiet;
} tune_view;

/* "name=value name=value ..." of the active hyperparameters. */
static void format_values(const clcnn_search_space *t, const double *values, char *buf, size_t n) {
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; i < t->n_hparams && len + 1 < n; i++) {
        if (isnan(values[i])) continue;
        char v[64];
        clcnn_hparam_format(&t->hparams[i], values[i], v, sizeof v);
        int w = snprintf(buf + len, n - len, "%s%s=%s", len ? " " : "", t->hparams[i].name, v);
        if (w < 0) break;
        len += (size_t)w < n - len ? (size_t)w : n - len - 1;
    }
}

static void print_range(const clcnn_hparam *hp) {
    char a[64], b[64];
    if (hp->type == CLCNN_HP_BOOLEAN) {
        printf("true, false");
    } else if (hp->type == CLCNN_HP_CHOICE) {
        for (int k = 0; k < hp->n_choices; k++) {
            clcnn_hparam_format(hp, k, a, sizeof a);
            printf("%s%s", k ? ", " : "", a);
        }
    } else {
        clcnn_hparam_format(hp, hp->min, a, sizeof a);
        clcnn_hparam_format(hp, hp->max, b, sizeof b);
        printf("%s .. %s", a, b);
        if (hp->step > 0) printf(", step %g", hp->step);
        if (hp->log) printf(", log");
    }
}

static void print_condition(const clcnn_search_space *t, const clcnn_hparam *hp) {
    if (!hp->parent[0]) return;
    int p = clcnn_search_space_find(t, hp->parent);
    const clcnn_hparam *parent = p >= 0 ? &t->hparams[p] : NULL;
    printf("  (when %s in {", hp->parent);
    for (int k = 0; k < hp->n_parent_values; k++) {
        char v[64];
        if (parent)
            clcnn_hparam_format(parent, hp->parent_values[k], v, sizeof v);
        else
            snprintf(v, sizeof v, "%g", hp->parent_values[k]);
        printf("%s%s", k ? ", " : "", v);
    }
    printf("})");
}

static void print_space(const clcnn_spec *spec, const clcnn_search_space *space, int maximize) {
    const clcnn_tune_spec *t = &spec->tune;
    printf("Search space summary: %d hyperparameters; %s search, ", space->n_hparams, t->algorithm);
    int budget = clcnn_tune_max_trials(t);
    if (clcnn_oracle_algorithm_scheduled(t->algorithm)) { /* max_trials can cut it short */
        int64_t whole = clcnn_hyperband_schedule_size(t->max_epochs, t->factor,
                                                      t->hyperband_iterations);
        printf("max_epochs %d, factor %d, ", t->max_epochs, t->factor);
        if (budget == 0 || budget >= whole)
            printf("at most %" PRId64 " trials (the whole schedule)", whole);
        else
            printf("at most %d of the schedule's %" PRId64 " trials", budget, whole);
    } else if (budget == 0) {
        printf("no trial limit");
    } else {
        printf("%d trials", budget);
    }
    printf(", objective %s (%s)\n", t->objective, maximize ? "max" : "min");
    for (int i = 0; i < space->n_hparams; i++) {
        const clcnn_hparam *hp = &space->hparams[i];
        printf("  %-20s %-8s ", hp->name, clcnn_hp_type_name(hp->type));
        print_range(hp);
        print_condition(space, hp);
        if (space->n_targets[i] > 0) printf("  -> %s", space->targets[i][0]);
        printf("\n");
    }
    if (spec->data.train_limit > 0)
        printf("Data: the first %ld training images", spec->data.train_limit);
    else
        printf("Data: all training images");
    printf(" (validation_split %g); %d epoch%s per trial (batch %d)\n", spec->data.validation_split,
           spec->train.epochs, spec->train.epochs == 1 ? "" : "s", spec->train.batch_size);
}

/* "Trial 3/12"; Hyperband's schedule, not max_trials, decides its count, so just "Trial 3". */
static void print_trial_name(const tune_view *v, const clcnn_tune_event *ev) {
    if (clcnn_oracle_algorithm_scheduled(v->spec->tune.algorithm) || ev->max_trials <= 0)
        printf("Trial %d", ev->trial->id + 1);
    else
        printf("Trial %d/%d", ev->trial->id + 1, ev->max_trials);
}

static void print_trial_start(const tune_view *v, const clcnn_tune_event *ev) {
    const clcnn_tune_trial *t = ev->trial;
    char hp[1024];
    format_values(v->space, t->values, hp, sizeof hp);
    print_trial_name(v, ev);
    printf(" (trial_%04d): %s", t->id, hp);
    if (t->parent_trial_id >= 0)
        printf(" (epochs %d -> %d, from trial_%04d)", t->initial_epoch, t->epochs,
               t->parent_trial_id);
    else if (clcnn_oracle_algorithm_scheduled(v->spec->tune.algorithm))
        printf(" (%d epochs)", t->epochs);
    printf("\n");
    fflush(stdout);
}

static void print_best(const clcnn_tune_event *ev) {
    if (ev->best_trial_id >= 0)
        printf("best %.4f (trial_%04d)", ev->best_score, ev->best_trial_id);
    else
        printf("no completed trial yet");
}

static void print_trial_end(const tune_view *v, const clcnn_tune_event *ev) {
    const clcnn_tune_trial *t = ev->trial;
    char hp[1024];
    format_values(v->space, t->values, hp, sizeof hp);
    print_trial_name(v, ev);
    if (t->status == CLCNN_TRIAL_COMPLETED)
        printf(" done: %s %.4f - ", v->spec->tune.objective, t->score);
    else
        printf(" FAILED (%s) - ", t->error);
    print_best(ev);
    printf(" - %.1fs - %s", t->seconds, hp);
    if (t->parent_trial_id >= 0)
        printf(" (epochs %d -> %d, from trial_%04d)", t->initial_epoch, t->epochs,
               t->parent_trial_id);
    printf("\n");
    fflush(stdout);
}

static void on_event(const clcnn_tune_event *ev, void *user) {
    tune_view *v = user;
    if (ev->kind == CLCNN_TUNE_SEARCH_START && ev->resumed)
        printf("Resuming: %d trial%s already finished\n", ev->resumed, ev->resumed == 1 ? "" : "s");
    if (ev->kind == CLCNN_TUNE_RETRAIN_START)
        printf("Retraining the best configuration (trial_%04d) on the full training set\n",
               ev->trial->id);
    if (v->quiet && ev->kind != CLCNN_TUNE_TRIAL_END) return;
    if (ev->kind == CLCNN_TUNE_TRIAL_START) print_trial_start(v, ev);
    if (ev->kind == CLCNN_TUNE_TRIAL_END) print_trial_end(v, ev);
    fflush(stdout);
}

/* Per epoch: a redrawn line on a terminal, one line per epoch otherwise (for logs). */
static void on_progress(const clcnn_progress *p, void *user) {
    tune_view *v = user;
    if (v->quiet) return;
    if (!p->final) {
        if (!v->tty) return;
        printf("\r\033[K  epoch %d/%d - step %d/%d - loss %.4f - accuracy %.4f - ETA %.0fs",
               p->epoch, p->epochs, p->step, p->steps, p->loss, p->accuracy, p->eta);
        fflush(stdout);
        return;
    }
    const clcnn_epoch_metrics *m = p->metrics;
    if (v->tty) printf("\r\033[K");
    printf("  epoch %d/%d - %.1fs - loss %.4f - accuracy %.4f", p->epoch, p->epochs, m->seconds,
           m->loss, m->accuracy);
    if (!isnan(m->val_loss))
        printf(" - val_loss %.4f - val_accuracy %.4f", m->val_loss, m->val_accuracy);
    printf("\n");
    fflush(stdout);
}

static const clcnn_tune_result *sort_result;

/* Completed trials first, best first; failed ones last, by id. */
static int by_score(const void *pa, const void *pb) {
    const clcnn_tune_trial *a = pa, *b = pb;
    int ca = a->status == CLCNN_TRIAL_COMPLETED, cb = b->status == CLCNN_TRIAL_COMPLETED;
    if (ca != cb) return cb - ca;
    if (ca && a->score != b->score) {
        int a_better = sort_result->maximize ? a->score > b->score : a->score < b->score;
        return a_better ? -1 : 1;
    }
    return a->id - b->id;
}

static void print_table(const tune_view *v, const clcnn_tune_result *r) {
    const clcnn_spec *spec = v->spec;
    clcnn_tune_trial *sorted = malloc((size_t)(r->n_trials ? r->n_trials : 1) * sizeof *sorted);
    if (!sorted) return;
    memcpy(sorted, r->trials, (size_t)r->n_trials * sizeof *sorted);
    sort_result = r;
    qsort(sorted, (size_t)r->n_trials, sizeof *sorted, by_score);
    int shown = r->n_trials < TOP_N ? r->n_trials : TOP_N;
    printf("\nResults summary: %d trials (%d completed, %d failed); top %d by %s (%s)\n",
           r->n_trials, r->n_completed, r->n_failed, shown, spec->tune.objective,
           r->maximize ? "max" : "min");
    printf("  rank  trial  %12s  epochs  seconds  hyperparameters\n", spec->tune.objective);
    for (int i = 0; i < shown; i++) {
        const clcnn_tune_trial *t = &sorted[i];
        char hp[1024], score[32];
        format_values(v->space, t->values, hp, sizeof hp);
        snprintf(score, sizeof score, t->status == CLCNN_TRIAL_COMPLETED ? "%.4f" : "failed",
                 t->score);
        printf("  %4d  %5.4d  %12s  %6d  %7.1f  %s\n", i + 1, t->id, score, t->epochs, t->seconds,
               hp);
    }
    free(sorted);
}

static void print_outcome(const tune_view *v, const clcnn_tune_result *r, const char *out) {
    const clcnn_spec *spec = v->spec;
    print_table(v, r);
    if (r->best_trial_id >= 0)
        printf("\nBest: trial_%04d, %s %.4f\nBest config: %s (train it: clcnn train %s)\n",
               r->best_trial_id, spec->tune.objective, r->best_score, r->best_yaml, r->best_yaml);
    else
        printf("\nNo trial completed: no best config\n");
    printf("Search folder: %s (summary.csv, trial_*/trial.json)\n", out);
    if (r->retrained)
        printf("Best config retrained on the full training set: test accuracy %.4f, test loss %.4f "
               "(%s/model.safetensors)\n",
               r->retrain_test_accuracy, r->retrain_test_loss, r->retrain_dir);
}

static int run_search(clcnn_context *ctx, const clcnn_spec *spec, const clcnn_search_space *space,
                      const cli_args *a, const char *out) {
    tune_view view = {spec, space, cli_stdout_is_tty(), a->quiet};
    clcnn_tune_options o = clcnn_tune_options_default();
    o.out_dir = out;
    o.overwrite = a->overwrite;
    o.stop = &cli_stop_requested;
    o.on_event = on_event;
    o.progress = on_progress;
    o.user = &view;
    clcnn_tune_result r;
    cli_install_sigint();
    clcnn_status s = clcnn_tune_run(ctx, spec, space, &o, &r);
    int code = 0;
    if (clcnn_dist_rank() != 0) { /* a worker of a parallel search: rank 0 reports */
        if (s != CLCNN_STATUS_OK) code = cli_fail(s, "tune (worker)");
        clcnn_tune_result_free(&r);
        return code;
    }
    if (s == CLCNN_STATUS_OK && r.stopped) {
        printf("\nStopped: the interrupted trial is not recorded; rerun the same command to resume "
               "the search in %s\n",
               out);
        code = 130;
    } else if (s == CLCNN_STATUS_OK) {
        print_outcome(&view, &r, out);
    } else {
        if (r.n_trials) print_outcome(&view, &r, out);
        code = cli_fail(s, "tune");
    }
    /* The report of every trial finished so far, also after a stop or a failure. */
    if (r.n_trials > 0) {
        int rc = cli_write_report(out, ctx, a);
        if (code == 0) code = rc;
    }
    clcnn_tune_result_free(&r);
    return code;
}

int cmd_tune(int argc, char **argv) {
    cli_args a;
    if (cli_parse(argc, argv, 2, &a)) return 2;
    if (clcnn_dist_rank() != 0) a.quiet = 1; /* under mpirun, rank 0 alone prints */
    if (a.n_positional > 1) {
        fprintf(stderr, "clcnn: error: tune takes one config file (got %d arguments)\n",
                a.n_positional);
        return 2;
    }
    clcnn_spec *spec = malloc(sizeof *spec);
    clcnn_search_space *space = malloc(sizeof *space);
    if (!spec || !space) {
        free(spec);
        free(space);
        return cli_fail(CLCNN_STATUS_OUT_OF_MEMORY, "tune");
    }
    const char *config = a.n_positional ? a.positional[0] : NULL;
    clcnn_status s = cli_load_spec(config, DEFAULT_CONFIG, &a, spec, space);
    if (s == CLCNN_STATUS_OK && space->n_hparams == 0)
        s = clcnn_fail(
            CLCNN_STATUS_INVALID_ARGUMENT,
            "%s declares no hyperparameters: nothing to search "
            "(declare one in place of a value: {hp: int, name: ..., min: ..., max: ...})",
            config ? config : DEFAULT_CONFIG);
    if (s != CLCNN_STATUS_OK) {
        free(spec);
        free(space);
        return cli_fail(s, NULL); /* config errors already start with file:line:column */
    }
    const char *out = a.out ? a.out : DEFAULT_OUT;
    if (!config && !a.quiet)
        printf("No config given: the seed notebook's search on a quick subset (embedded %s)\n",
               DEFAULT_CONFIG);
    if (clcnn_dist_rank() == 0) print_space(spec, space, clcnn_tune_maximize(&spec->tune));
    clcnn_context *ctx;
    s = cli_open_device(&a, &ctx);
    if (s != CLCNN_STATUS_OK) {
        free(spec);
        free(space);
        return cli_fail(s, "opening the OpenCL device");
    }
    if (!a.quiet)
        printf("Device: %s (%s)\nResults in: %s\n\n", clcnn_context_device(ctx)->name,
               clcnn_context_device(ctx)->platform, out);
    int code = run_search(ctx, spec, space, &a, out);
    clcnn_context_destroy(ctx);
    free(spec);
    free(space);
    return code;
}
