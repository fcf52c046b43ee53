/* cli/cmd_train.c: `clcnn train [CONFIG]`: fit with a Keras-style progress line, write the model,
 * history and HTML report, print the test accuracy. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clcnn/dist.h"
#include "cli.h"

typedef struct progress_state {
    int tty;
    int quiet;
} progress_state;

static void bar(char *out, int step, int steps) {
    int width = 30, done = steps ? step * width / steps : width;
    out[0] = '[';
    for (int i = 0; i < width; i++) out[i + 1] = i < done ? '=' : (i == done ? '>' : '.');
    out[width + 1] = ']';
    out[width + 2] = '\0';
}

static void on_progress(const clcnn_progress *p, void *user) {
    progress_state *st = user;
    if (st->quiet) return;
    if (!p->final) {
        if (!st->tty) return;
        char b[40];
        bar(b, p->step, p->steps);
        printf("\r%d/%d %s - ETA: %.0fs - loss: %.4f - accuracy: %.4f - %.0f img/s ", p->step,
               p->steps, b, p->eta, p->loss, p->accuracy, p->images_per_second);
        fflush(stdout);
        return;
    }
    const clcnn_epoch_metrics *m = p->metrics;
    if (st->tty) printf("\r\033[K");
    printf("Epoch %d/%d - %d/%d - %.1fs - loss: %.4f - accuracy: %.4f - %.0f img/s", p->epoch,
           p->epochs, p->steps, p->steps, m->seconds, m->loss, m->accuracy, m->images_per_second);
    if (!isnan(m->val_loss)) printf(" - val_loss: %.4f - val_accuracy: %.4f", m->val_loss, m->val_accuracy);
    printf("\n");
    fflush(stdout);
}

static clcnn_status resolve_spec(const cli_args *a, clcnn_spec *spec) {
    if (a->resume) {
        char path[4200];
        snprintf(path, sizeof path, "%s/model.safetensors", a->resume);
        clcnn_status s = clcnn_model_file_spec(path, spec);
        if (s == CLCNN_STATUS_OK) return cli_apply_sets(a, spec, NULL);
        char why[4096];
        snprintf(why, sizeof why, "%s", clcnn_last_error());
        return clcnn_fail(s, "%s\n(the run in '%s' cannot be resumed: nothing was changed there; "
                             "fix or move that file, or start again with a fresh --out)",
                          why, a->resume);
    }
    return cli_load_spec(a->n_positional ? a->positional[0] : NULL, "fashion_mnist.yaml", a, spec,
                         NULL);
}

/* Under mpirun the job trains data-parallel; the ranks other than 0 print nothing but errors
 * and write no files. */
static int data_parallel_worker(clcnn_status s, const clcnn_fit_result *res) {
    if (s != CLCNN_STATUS_OK) {
        char what[64];
        snprintf(what, sizeof what, "training (rank %d)", clcnn_dist_rank());
        return cli_fail(s, what);
    }
    return res->stopped ? 130 : 0;
}

int cmd_train(int argc, char **argv) {
    cli_args a;
    if (cli_parse(argc, argv, 2, &a)) return 2;
    int root = clcnn_dist_rank() == 0, ranks = clcnn_dist_size();
    if (!root) a.quiet = 1;
    clcnn_spec *spec = malloc(sizeof *spec);
    clcnn_fit_result *res = malloc(sizeof *res);
    if (!spec || !res) return cli_fail(CLCNN_STATUS_OUT_OF_MEMORY, "train");
    /* Rank 0 alone reads the config (or the resumed run) and sends the spec to the others. */
    clcnn_status s = root ? resolve_spec(&a, spec) : CLCNN_STATUS_OK;
    if (s != CLCNN_STATUS_OK) return cli_fail(s, a.resume ? a.resume : NULL);
    if (ranks > 1) s = clcnn_dist_bcast(spec, sizeof *spec);
    if (s != CLCNN_STATUS_OK) return cli_fail(s, "sending the config to the ranks");
    clcnn_loss loss = CLCNN_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY;
    if (root && clcnn_loss_parse(spec->train.loss, &loss) == CLCNN_STATUS_OK &&
        loss == CLCNN_LOSS_CATEGORICAL_CROSSENTROPY)
        printf("note: categorical_crossentropy with integer labels: labels are one-hot encoded "
               "(the same loss as sparse_categorical_crossentropy)\n");
    clcnn_context *ctx;
    s = cli_open_device(&a, &ctx);
    if (s != CLCNN_STATUS_OK) return cli_fail(s, "opening the OpenCL device");
    cli_show_info = !a.quiet;
    if (!a.quiet) printf("device: %s (%s)\n", clcnn_context_device(ctx)->name, clcnn_context_device(ctx)->platform);
    if (!a.quiet && ranks > 1)
        printf("data-parallel over %d ranks: each takes its share of every batch of %d\n", ranks,
               spec->train.batch_size);
    const char *out = a.resume ? a.resume : (a.out ? a.out : "out");
    progress_state ps = {cli_stdout_is_tty(), a.quiet};
    clcnn_fit_options o = clcnn_fit_options_default();
    o.out_dir = out;
    o.init_model = a.init;
    o.resume = a.resume != NULL;
    o.stop = &cli_stop_requested;
    o.progress = on_progress;
    o.user = &ps;
    o.data_parallel = 1;
    cli_install_sigint();
    s = clcnn_fit(ctx, spec, &o, res);
    int code = 0;
    if (!root) {
        code = data_parallel_worker(s, res);
    } else if (s != CLCNN_STATUS_OK) {
        code = cli_fail(s, "training");
    } else if (res->stopped) {
        printf("stopped: %s/model.safetensors holds the last completed epoch (%d)\n", out, res->epochs_done);
        code = 130;
    } else {
        if (res->stopped_early_epoch) printf("Epoch %d: early stopping\n", res->stopped_early_epoch);
        if (res->restored_epoch)
            printf("restored the weights of the best epoch: %d\n", res->restored_epoch);
        printf("wrote %s/model.safetensors and %s/history.csv\n", out, out);
        if (!isnan(res->test_accuracy))
            printf("test accuracy: %.4f - test loss: %.4f\n", res->test_accuracy, res->test_loss);
    }
    /* The report too, also after a stop (of the epochs completed); a failed run has none. */
    if (root && (code == 0 || res->stopped) && res->epochs_done > 0) {
        int rc = cli_write_report(out, ctx, &a);
        if (code == 0) code = rc;
    }
    clcnn_context_destroy(ctx);
    free(spec);
    free(res);
    return code;
}
