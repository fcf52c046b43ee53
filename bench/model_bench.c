/* bench/model_bench.c: `clcnn-bench --model CONFIG`: a whole model on one device, through the
 * public model API. Training steps on random data are timed twice: without events for the
 * whole-step throughput (images/s, training and inference), then with OpenCL events to split
 * each step into its kernels, grouped by the tags the model sets ("layers.1.conv2d/forward"). */
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "clcnn/config.h"
#include "clcnn/model.h"

#define MAX_KEYS 256

/* ---- FLOPs per layer and phase, from the spec (the products conv2d and dense run) ------------- */
typedef struct layer_flops {
    double forward, backward; /* per image */
} layer_flops;

static int window(int in, int k, int s, clcnn_padding pad) {
    if (s <= 0) s = 1;
    return pad == CLCNN_PADDING_SAME ? (in + s - 1) / s : (in - k) / s + 1;
}

/* Walks the shapes of the layer list; layers other than conv2d, pooling, flatten and dense keep
 * their input's shape (activations, dropout, normalization) and are counted as 0 FLOPs. */
static void spec_flops(const clcnn_model_spec *m, layer_flops *out) {
    int h = m->input_shape[0], w = m->input_shape[1], c = m->input_shape[2];
    for (int i = 0; i < m->n_layers; i++) {
        const clcnn_layer_spec *l = &m->layers[i];
        double f = 0;
        if (strcmp(l->type, "conv2d") == 0) {
            int oh = window(h, l->kernel_size[0], l->strides[0], l->padding);
            int ow = window(w, l->kernel_size[1], l->strides[1], l->padding);
            f = 2.0 * l->filters * oh * ow * c * l->kernel_size[0] * l->kernel_size[1];
            h = oh, w = ow, c = l->filters;
        } else if (strstr(l->type, "pooling2d")) {
            int sh = l->strides[0] ? l->strides[0] : l->pool_size[0];
            int sw = l->strides[1] ? l->strides[1] : l->pool_size[1];
            h = window(h, l->pool_size[0], sh, l->padding);
            w = window(w, l->pool_size[1], sw, l->padding);
        } else if (strcmp(l->type, "flatten") == 0) {
            c = c * h * w, h = w = 1;
        } else if (strcmp(l->type, "dense") == 0) {
            f = 2.0 * c * h * w * l->units;
            c = l->units, h = w = 1;
        }
        out[i].forward = f;
        out[i].backward = i == 0 ? f : 2 * f; /* the first layer computes no input gradient */
    }
}

/* ---- per-step event times, keyed by tag and kernel -------------------------------------------- */
typedef struct key_times {
    char tag[64], kernel[64];
    double ms[64]; /* one per timed step */
    double bytes;  /* per step, as the launches declared them (0: not declared) */
} key_times;

typedef struct step_profile {
    key_times *keys;
    int n_keys, n_steps;
} step_profile;

static key_times *find_key(step_profile *p, const char *tag, const char *kernel) {
    for (int i = 0; i < p->n_keys; i++)
        if (strcmp(p->keys[i].tag, tag) == 0 && strcmp(p->keys[i].kernel, kernel) == 0)
            return &p->keys[i];
    if (p->n_keys == MAX_KEYS) return NULL;
    key_times *k = &p->keys[p->n_keys++];
    memset(k, 0, sizeof *k);
    snprintf(k->tag, sizeof k->tag, "%s", tag);
    snprintf(k->kernel, sizeof k->kernel, "%s", kernel);
    return k;
}

static clcnn_status collect_step(clcnn_context *ctx, step_profile *p) {
    clcnn_profile_record *rec;
    int n;
    CLCNN_TRY(clcnn_profile_collect(ctx, &rec, &n));
    for (int i = 0; i < n; i++) {
        key_times *k = find_key(p, rec[i].tag[0] ? rec[i].tag : "(untagged)", rec[i].kernel);
        if (!k) continue;
        if (k->ms[p->n_steps] == 0) k->bytes = 0; /* a step's launches add up */
        k->ms[p->n_steps] += rec[i].ms;
        k->bytes += rec[i].bytes;
    }
    free(rec);
    p->n_steps++;
    return CLCNN_STATUS_OK;
}

/* ---- the model on random data ----------------------------------------------------------------- */
typedef struct model_run {
    clcnn_context *ctx;
    clcnn_spec spec;
    clcnn_model *model;
    clcnn_dataset data;
    int batch, n_batches;
} model_run;

static clcnn_status load_spec(const char *path, clcnn_spec *spec) {
    FILE *f = fopen(path, "r");
    if (f) {
        fclose(f);
        return clcnn_config_load_file(path, spec, NULL);
    }
    const char *text = clcnn_config_embedded(path); /* "fashion_mnist": the embedded config */
    if (!text) return clcnn_fail(CLCNN_STATUS_NOT_FOUND, "no config file or embedded config '%s'", path);
    return clcnn_config_load_string(text, path, spec, NULL);
}

/* A dataset of random pixels and labels, a few batches long, uploaded once. */
static clcnn_status random_data(model_run *r) {
    const int *in = r->spec.model.input_shape;
    clcnn_dataset *d = &r->data;
    d->n = r->batch * r->n_batches, d->c = in[2], d->h = in[0], d->w = in[1];
    size_t bytes = (size_t)d->n * d->c * d->h * d->w;
    d->images = malloc(bytes);
    d->labels = malloc((size_t)d->n);
    if (!d->images || !d->labels) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
    clcnn_rng rng;
    clcnn_rng_seed(&rng, 7);
    for (size_t i = 0; i < bytes; i++) d->images[i] = (uint8_t)clcnn_rng_below(&rng, 256);
    for (int i = 0; i < d->n; i++) d->labels[i] = (uint8_t)clcnn_rng_below(&rng, (uint64_t)r->spec.data.n_classes);
    uint32_t *order = malloc((size_t)d->n * sizeof *order);
    if (!order) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
    for (int i = 0; i < d->n; i++) order[i] = (uint32_t)i;
    clcnn_status s = clcnn_model_upload(r->model, 0, d);
    if (s == CLCNN_STATUS_OK) s = clcnn_model_upload(r->model, 1, d);
    if (s == CLCNN_STATUS_OK) s = clcnn_model_set_order(r->model, order, d->n);
    free(order);
    return s;
}

static clcnn_status train_steps(model_run *r, int steps) {
    for (int i = 0; i < steps; i++)
        CLCNN_TRY(clcnn_model_train_step(r->model, (i % r->n_batches) * r->batch, r->batch));
    return clcnn_model_finish(r->model);
}

static clcnn_status eval_steps(model_run *r, int steps) {
    for (int i = 0; i < steps; i++)
        CLCNN_TRY(clcnn_model_eval_step(r->model, 1, (i % r->n_batches) * r->batch, r->batch, NULL));
    return clcnn_model_finish(r->model);
}

/* Whole-step wall time with events off (they cost a little per launch), in ms per step. */
static clcnn_status throughput(model_run *r, int steps, double *train_ms, double *infer_ms) {
    int profiling = r->ctx->profiling;
    r->ctx->profiling = 0;
    clcnn_status s = train_steps(r, 3); /* warm-up: compiles, route measurements */
    double t0 = clcnn_now();
    if (s == CLCNN_STATUS_OK) s = train_steps(r, steps);
    *train_ms = (clcnn_now() - t0) * 1e3 / steps;
    if (s == CLCNN_STATUS_OK) s = eval_steps(r, 2);
    t0 = clcnn_now();
    if (s == CLCNN_STATUS_OK) s = eval_steps(r, steps);
    *infer_ms = (clcnn_now() - t0) * 1e3 / steps;
    r->ctx->profiling = profiling;
    return s;
}

static clcnn_status profile_steps(model_run *r, int steps, step_profile *p) {
    clcnn_profile_record *rec;
    int n;
    CLCNN_TRY(clcnn_profile_collect(r->ctx, &rec, &n)); /* drop anything earlier */
    free(rec);
    if (steps > 64) steps = 64;
    for (int i = 0; i < steps; i++) {
        CLCNN_TRY(clcnn_model_train_step(r->model, (i % r->n_batches) * r->batch, r->batch));
        CLCNN_TRY(collect_step(r->ctx, p));
    }
    return CLCNN_STATUS_OK;
}

/* ---- rows ------------------------------------------------------------------------------------- */
static const char *route_of(const char *kernel) {
    if (strncmp(kernel, "clblast", 7) == 0) return "clblast";
    if (strcmp(kernel, "gemm_tiled") == 0) return "tiled";
    if (strncmp(kernel, "gemm_", 5) == 0) return "own";
    return "-";
}

static double tag_flops(const char *tag, const layer_flops *lf, int n_layers, int batch) {
    int i;
    char phase[32];
    if (sscanf(tag, "layers.%d.%*[^/]/%31s", &i, phase) != 2 || i < 0 || i >= n_layers) return 0;
    return batch * (strcmp(phase, "forward") == 0 ? lf[i].forward : lf[i].backward);
}

static bench_row base_row(const model_run *r, const char *kernel, const char *route,
                          const char *shape) {
    bench_row row;
    memset(&row, 0, sizeof row);
    row.device_index = r->ctx->info.index;
    snprintf(row.device, sizeof row.device, "%s", r->ctx->info.name);
    snprintf(row.kernel, sizeof row.kernel, "%s", kernel);
    snprintf(row.route, sizeof row.route, "%s", route);
    snprintf(row.shape, sizeof row.shape, "%s", shape);
    row.batch = r->batch;
    return row;
}

static void spread(const double *ms, int n, bench_row *row) {
    double v[64];
    memcpy(v, ms, (size_t)n * sizeof *v);
    row->ms = row->event_ms = bench_median(v, n);
    row->ms_min = v[0];
    row->ms_max = v[n - 1];
    row->runs = n;
}

static int first_of_tag(const step_profile *p, int i) {
    for (int j = 0; j < i; j++)
        if (strcmp(p->keys[j].tag, p->keys[i].tag) == 0) return 0;
    return 1;
}

/* A tag's rows: one per kernel, then a "total" row carrying the layer's FLOPs. */
static clcnn_status tag_rows(const model_run *r, step_profile *p, int first, const layer_flops *lf,
                             const bench_peak *peak, int has_peak, bench_report *out) {
    const char *tag = p->keys[first].tag, *route = NULL;
    double total[64] = {0}, bytes = 0;
    int all_bytes = 1;
    for (int j = first; j < p->n_keys; j++) {
        key_times *k = &p->keys[j];
        if (strcmp(k->tag, tag) != 0) continue;
        const char *rj = route_of(k->kernel);
        if (strcmp(rj, "-") != 0) route = !route || strcmp(route, rj) == 0 ? rj : "mixed";
        for (int s = 0; s < p->n_steps; s++) total[s] += k->ms[s];
        bytes += k->bytes;
        all_bytes = all_bytes && k->bytes > 0;
        bench_row row = base_row(r, tag, rj, k->kernel);
        spread(k->ms, p->n_steps, &row);
        row.bytes = k->bytes;
        bench_row_finish(&row, peak, has_peak);
        CLCNN_TRY(bench_report_add(out, &row));
    }
    bench_row sum = base_row(r, tag, route ? route : "-", "total");
    spread(total, p->n_steps, &sum);
    sum.flops = tag_flops(tag, lf, r->spec.model.n_layers, r->batch);
    sum.bytes = all_bytes ? bytes : 0; /* only when every kernel of the tag declared its bytes */
    bench_row_finish(&sum, peak, has_peak);
    return bench_report_add(out, &sum);
}

/* Tags in the order the step runs them. */
static clcnn_status profile_rows(const model_run *r, step_profile *p, const layer_flops *lf,
                                 const bench_peak *peak, int has_peak, bench_report *out) {
    for (int i = 0; i < p->n_keys; i++)
        if (first_of_tag(p, i)) CLCNN_TRY(tag_rows(r, p, i, lf, peak, has_peak, out));
    return CLCNN_STATUS_OK;
}

static clcnn_status whole_rows(const model_run *r, double train_ms, double infer_ms,
                               const layer_flops *lf, const bench_peak *peak, int has_peak,
                               bench_report *out) {
    double fwd = 0, bwd = 0;
    for (int i = 0; i < r->spec.model.n_layers; i++) fwd += lf[i].forward, bwd += lf[i].backward;
    char shape[64];
    snprintf(shape, sizeof shape, "images/s=%.1f", r->batch / (train_ms * 1e-3));
    bench_row row = base_row(r, "model/train_step", "auto", shape);
    row.ms = row.ms_min = row.ms_max = train_ms;
    row.flops = r->batch * (fwd + bwd);
    bench_row_finish(&row, peak, has_peak);
    CLCNN_TRY(bench_report_add(out, &row));
    snprintf(shape, sizeof shape, "images/s=%.1f", r->batch / (infer_ms * 1e-3));
    row = base_row(r, "model/inference", "auto", shape);
    row.ms = row.ms_min = row.ms_max = infer_ms;
    row.flops = r->batch * fwd;
    bench_row_finish(&row, peak, has_peak);
    clcnn_log(CLCNN_LOG_INFO, "training %.1f images/s, inference %.1f images/s (batch %d)",
              r->batch / (train_ms * 1e-3), r->batch / (infer_ms * 1e-3), r->batch);
    return bench_report_add(out, &row);
}

static clcnn_status model_device(const bench_options *o, int index, bench_report *report) {
    model_run r;
    memset(&r, 0, sizeof r);
    r.batch = o->batch, r.n_batches = 4;
    char sel[16];
    snprintf(sel, sizeof sel, "%d", index);
    CLCNN_TRY(load_spec(o->model, &r.spec));
    CLCNN_TRY(bench_context(sel, &r.ctx));
    bench_device_result *d = &report->devices[report->n_devices++];
    d->info = r.ctx->info;
    clcnn_status s = CLCNN_STATUS_OK;
    if (!o->no_peak) {
        s = bench_peak_measure(r.ctx, o->target_ms < 200 ? o->target_ms : 200, &d->peak);
        d->has_peak = s == CLCNN_STATUS_OK;
    }
    if (s == CLCNN_STATUS_OK) s = clcnn_model_create(r.ctx, &r.spec, r.batch, &r.model);
    if (s == CLCNN_STATUS_OK) s = random_data(&r);
    layer_flops lf[CLCNN_MAX_LAYERS];
    spec_flops(&r.spec.model, lf);
    double train_ms = 0, infer_ms = 0;
    if (s == CLCNN_STATUS_OK) s = throughput(&r, o->steps, &train_ms, &infer_ms);
    step_profile p = {calloc(MAX_KEYS, sizeof(key_times)), 0, 0};
    if (s == CLCNN_STATUS_OK && !p.keys) s = clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
    if (s == CLCNN_STATUS_OK) s = profile_steps(&r, o->steps, &p);
    if (s == CLCNN_STATUS_OK) s = profile_rows(&r, &p, lf, &d->peak, d->has_peak, report);
    if (s == CLCNN_STATUS_OK) s = whole_rows(&r, train_ms, infer_ms, lf, &d->peak, d->has_peak, report);
    free(p.keys);
    clcnn_model_destroy(r.model);
    clcnn_dataset_free(&r.data);
    clcnn_context_destroy(r.ctx);
    return s;
}

int bench_cmd_model(const bench_options *o) {
    int indices[16], n;
    bench_report report;
    memset(&report, 0, sizeof report);
    clcnn_status s = bench_device_indices(o->device, indices, 16, &n);
    for (int i = 0; i < n && s == CLCNN_STATUS_OK; i++) s = model_device(o, indices[i], &report);
    if (s != CLCNN_STATUS_OK) {
        fprintf(stderr, "clcnn-bench: error: %s\n", clcnn_last_error());
        bench_report_free(&report);
        return 1;
    }
    bench_write(stdout, &report, o->format);
    bench_report_free(&report);
    return 0;
}
