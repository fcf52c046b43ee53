/* bench/tune_kernels.c: `clcnn-bench tune-kernels`: measures the tunable variants of clcnn's own
 * kernels on the device at hand and the model's shapes, and stores the winners where the library
 * reads them at device open (cl/kparams.c: CLCNN_CACHE_DIR/kparams/<device key>.txt).
 *
 * Three parameters, each from its class default (the database's row):
 *   conv_layout  im2col/col2im per plane or per element: im2col/col2im event time of the model's
 *                conv layers, forward and backward;
 *   reduce_wg    the per-channel reductions' work-group size (0 = one work-item per channel):
 *                bias-gradient and batch-norm kernel time of the same layers;
 *   gemm_tile    gemm_tiled's tile and work-item shape: coordinate descent from the default over
 *                the tile sizes and register tiles that fit the device, timed on the model's
 *                products (bench's GEMM shape sets).
 * Every candidate first runs selftest's conv2d, dense and batch-norm cases against the C
 * reference (by the tiled route for tiles, else ours); one that fails is never timed. A
 * candidate replaces the default only when it takes at most 95% of its time (the route rule,
 * cl/route.h), so noise does not move the choice. The time budget bounds the tile search; the
 * two layouts and the defaults are always measured. Writing the file drops the device's cached route choices, so the
 * next run races the routes again with the tuned variants. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "cl/kparams.h"
#include "cl/route.h"
#include "selftest/selftest.h"

enum { P_LAYOUT, P_REDUCE, P_TILE, N_PARAMS };
static const char *const param_names[N_PARAMS] = {"conv_layout", "reduce_wg", "gemm_tile"};

typedef struct tk_args {
    bench_options bench;
    double budget_s;
    int dry_run; /* measure and report, write nothing */
} tk_args;

typedef struct tk_layer {
    clcnn_layer_spec spec;
    clcnn_shape in;
} tk_layer;

typedef struct tk_result {
    char def[32], chosen[32];
    double def_ms, chosen_ms;
    int tried, failed;
    int measured; /* 0: no shapes for it (e.g. --gemm without conv layers) */
} tk_result;

typedef struct tk_state {
    const tk_args *a;
    clcnn_context *ctx;
    double t0;
    tk_layer layers[8];
    int n_layers, n_images;
    bench_gemm_shape shapes[BENCH_MAX_GEMMS];
    int n_shapes;
    tk_result r[N_PARAMS];
} tk_state;

static void tk_usage(FILE *fp) {
    fprintf(fp,
            "usage: clcnn-bench tune-kernels [options]\n"
            "Measures the tunable variants of clcnn's kernels (gemm_tiled's tile, the reductions'\n"
            "work-group size, the conv layout) on this device and the model's shapes, each checked\n"
            "against the C reference first, and stores the winners in\n"
            "CLCNN_CACHE_DIR/kparams/<device key>.txt, which the library reads at device open\n"
            "(CLCNN_GEMM_TILE, CLCNN_REDUCE_WG and CLCNN_CONV_LAYOUT still override it).\n\n"
            "  --device D        index or name (default: CLCNN_DEVICE or the default device)\n"
            "  --shapes S        seed (the seed model's layers and products, default) or tiny\n"
            "  --gemm K:MxNxK[xZ] products from the command line instead (tiles only); repeatable\n"
            "  --batch B         images per batch for the seed shapes (default 32)\n"
            "  --budget S        seconds for the whole search (default 300); the defaults are\n"
            "                    always measured, the tile search stops when it is spent\n"
            "  --target-ms MS    timing budget per product and candidate (default 50)\n"
            "  --format F        table (default) or json\n"
            "  --dry-run         measure and report, write nothing\n"
            "  --verbose         library debug log on stderr\n");
}

static int parse_args(int argc, char **argv, tk_args *a) {
    bench_options *o = &a->bench;
    bench_options_default(o);
    o->target_ms = 50;
    a->budget_s = 300;
    for (int i = 0; i < argc; i++) {
        const char *f = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(f, "--help") == 0 || strcmp(f, "-h") == 0) {
            tk_usage(stdout);
            return -1;
        }
        if (strcmp(f, "--verbose") == 0) continue;
        if (strcmp(f, "--dry-run") == 0) {
            a->dry_run = 1;
            continue;
        }
        int ok = 1;
        if (!v) ok = 0;
        else if (strcmp(f, "--device") == 0) o->device = v;
        else if (strcmp(f, "--shapes") == 0)
            ok = strcmp(v, "seed") == 0 || strcmp(v, "tiny") == 0, o->shapes = v;
        else if (strcmp(f, "--batch") == 0) ok = (o->batch = atoi(v)) > 0;
        else if (strcmp(f, "--budget") == 0) ok = (a->budget_s = atof(v)) > 0;
        else if (strcmp(f, "--target-ms") == 0) ok = (o->target_ms = atof(v)) > 0;
        else if (strcmp(f, "--format") == 0) {
            ok = strcmp(v, "json") == 0 || strcmp(v, "table") == 0;
            o->format = strcmp(v, "json") == 0 ? BENCH_JSON : BENCH_TABLE;
        } else if (strcmp(f, "--gemm") == 0)
            ok = o->n_gemms < BENCH_MAX_GEMMS &&
                 bench_parse_gemm(v, &o->gemms[o->n_gemms++]) == CLCNN_STATUS_OK;
        else {
            fprintf(stderr, "clcnn-bench: error: unknown option '%s'\n\n", f);
            tk_usage(stderr);
            return 2;
        }
        if (!ok) {
            fprintf(stderr, "clcnn-bench: error: bad or missing value for %s%s%s\n", f,
                    v ? ": " : "", v ? v : "");
            return 2;
        }
        i++;
    }
    return 0;
}

/* ---- the model's layers (for the layout and reductions) ---------------------------------------- */
static void add_conv(tk_state *st, int c, int h, int w, int filters, int k) {
    tk_layer *l = &st->layers[st->n_layers++];
    clcnn_layer_spec_default(&l->spec, "conv2d");
    l->spec.filters = filters;
    l->spec.kernel_size[0] = l->spec.kernel_size[1] = k;
    l->in = (clcnn_shape){c, h, w};
}

static void add_dense(tk_state *st, int in, int units) {
    tk_layer *l = &st->layers[st->n_layers++];
    clcnn_layer_spec_default(&l->spec, "dense");
    l->spec.units = units;
    l->in = (clcnn_shape){in, 1, 1};
}

/* The layers behind bench_seed_shapes and bench_tiny_shapes (gemm_bench.c); none for --gemm. */
static void model_layers(tk_state *st) {
    const bench_options *o = &st->a->bench;
    if (o->n_gemms) return;
    if (strcmp(o->shapes, "tiny") == 0) {
        st->n_images = 3;
        add_conv(st, 3, 9, 11, 5, 3);
        add_dense(st, 37, 11);
        return;
    }
    st->n_images = o->batch;
    add_conv(st, 1, 28, 28, 64, 3);
    add_conv(st, 64, 26, 26, 64, 3);
    add_dense(st, 64 * 24 * 24, 128);
    add_dense(st, 128, 10);
}

/* ---- checking and timing one candidate -------------------------------------------------------- */
static void count_row(const clcnn_selftest_row *row, void *user) {
    (void)user;
    if (!row->pass)
        clcnn_log(CLCNN_LOG_WARN, "candidate fails %s %s: max error %.3g (%.1fx its tolerance)",
                  row->kernel, row->variant, row->max_error, row->worst);
}

/* Selftest's cases with the candidate in force: 1 if every row passes. */
static clcnn_status check_candidate(tk_state *st, clcnn_route route, int *ok) {
    int failures = 0;
    clcnn_status s = clcnn_selftest_run_route(st->ctx, route, count_row, NULL, &failures);
    *ok = s == CLCNN_STATUS_OK && failures == 0;
    if (s != CLCNN_STATUS_OK)
        clcnn_log(CLCNN_LOG_WARN, "candidate does not run: %s", clcnn_last_error());
    return s == CLCNN_STATUS_OUT_OF_MEMORY ? s : CLCNN_STATUS_OK;
}

static int name_has(const char *kernel, const char *const *prefixes) {
    for (; *prefixes; prefixes++)
        if (strncmp(kernel, *prefixes, strlen(*prefixes)) == 0) return 1;
    return 0;
}

/* The event time of the kernels named by prefixes over the layers' passes (ms per pass). */
static clcnn_status time_layers(tk_state *st, const char *const *prefixes, double *ms) {
    clcnn_profile_record *rec;
    int n, runs = 3;
    CLCNN_TRY(clcnn_profile_collect(st->ctx, &rec, &n)); /* drop earlier records */
    free(rec);
    for (int i = 0; i < st->n_layers; i++)
        CLCNN_TRY(clcnn_selftest_layer_passes(st->ctx, &st->layers[i].spec, st->layers[i].in,
                                              st->n_images, CLCNN_ROUTE_OWN, runs));
    CLCNN_TRY(clcnn_profile_collect(st->ctx, &rec, &n));
    double total = 0;
    for (int i = 0; i < n; i++)
        if (name_has(rec[i].kernel, prefixes)) total += rec[i].ms;
    free(rec);
    *ms = total / (runs + 2); /* layer_passes runs two warm-up passes first */
    return CLCNN_STATUS_OK;
}

/* The sum over the products of each one's median time by the tiled route. */
static clcnn_status time_products(tk_state *st, double *ms) {
    *ms = 0;
    for (int i = 0; i < st->n_shapes; i++) {
        gemm_case c;
        bench_timing t;
        CLCNN_TRY(bench_gemm_case_setup(st->ctx, st->shapes[i], &c));
        c.route = CLCNN_ROUTE_TILED;
        clcnn_status s = bench_time(st->ctx, st->shapes[i].kernel, bench_gemm_case_run, &c,
                                    st->a->bench.target_ms, &t);
        bench_gemm_case_release(&c);
        CLCNN_TRY(s);
        *ms += t.ms;
    }
    return CLCNN_STATUS_OK;
}

static int over_budget(const tk_state *st) { return clcnn_now() - st->t0 > st->a->budget_s; }

/* Checks then times the parameters now on ctx->tuned: INFINITY for a candidate that fails. */
static clcnn_status measure(tk_state *st, int param, double *ms) {
    static const char *const layout[] = {"im2col", "col2im", NULL};
    static const char *const reduce[] = {"bias_grad", "bn_", NULL};
    int ok;
    st->r[param].tried++;
    CLCNN_TRY(check_candidate(st, param == P_TILE ? CLCNN_ROUTE_TILED : CLCNN_ROUTE_OWN, &ok));
    *ms = INFINITY;
    if (!ok) {
        st->r[param].failed++;
        return CLCNN_STATUS_OK;
    }
    if (param == P_TILE) return time_products(st, ms);
    return time_layers(st, param == P_LAYOUT ? layout : reduce, ms);
}

/* ---- the three searches ----------------------------------------------------------------------- */
static void keep(tk_result *r, const char *const *names, const double *ms, int n, int def) {
    int best = clcnn_route_pick(ms, n, def);
    snprintf(r->def, sizeof r->def, "%s", names[def]);
    snprintf(r->chosen, sizeof r->chosen, "%s", names[best]);
    r->def_ms = ms[def], r->chosen_ms = ms[best];
    r->measured = 1;
}

static clcnn_status tune_layout(tk_state *st) {
    static const char *const names[2] = {"planes", "items"};
    double ms[2];
    int def = clcnn_conv_items(st->ctx);
    if (!st->n_layers) return CLCNN_STATUS_OK;
    st->ctx->tuned.has_conv_layout = 1;
    for (int items = 0; items < 2; items++) {
        st->ctx->tuned.conv_items = items;
        CLCNN_TRY(measure(st, P_LAYOUT, &ms[items]));
        clcnn_log(CLCNN_LOG_INFO, "conv_layout %s: %.3f ms per pass", names[items], ms[items]);
    }
    keep(&st->r[P_LAYOUT], names, ms, 2, def);
    st->ctx->tuned.conv_items = strcmp(st->r[P_LAYOUT].chosen, "items") == 0;
    return CLCNN_STATUS_OK;
}

static clcnn_status tune_reduce(tk_state *st) {
    char text[8][8];
    const char *names[8];
    double ms[8];
    int wgs[8], n = 0, def = 0, def_wg = clcnn_reduce_wg(st->ctx);
    if (!st->n_layers) return CLCNN_STATUS_OK;
    for (int wg = 0; wg <= 1024 && n < 8; wg = wg ? wg * 2 : 16) {
        if (wg && st->ctx->max_group && (size_t)wg > st->ctx->max_group) break;
        if (wg == def_wg) def = n;
        snprintf(text[n], sizeof text[n], "%d", wg);
        names[n] = text[n];
        wgs[n++] = wg;
    }
    st->ctx->tuned.has_reduce_wg = 1;
    /* The default first; the others while the budget lasts. */
    for (int j = 0; j < n; j++) {
        int i = j == 0 ? def : j <= def ? j - 1 : j;
        ms[i] = INFINITY;
        if (j && over_budget(st)) continue;
        st->ctx->tuned.reduce_wg = wgs[i];
        CLCNN_TRY(measure(st, P_REDUCE, &ms[i]));
        clcnn_log(CLCNN_LOG_INFO, "reduce_wg %d: %.3f ms per pass", wgs[i], ms[i]);
    }
    keep(&st->r[P_REDUCE], names, ms, n, def);
    st->ctx->tuned.reduce_wg = atoi(st->r[P_REDUCE].chosen);
    return CLCNN_STATUS_OK;
}

static void tile_string(const clcnn_gemm_tile *t, char *buf, size_t n) {
    snprintf(buf, n, "%d,%d,%d,%d,%d", t->ts_m, t->ts_n, t->ts_k, t->wpt_m, t->wpt_n);
}

/* A tile worth trying: it fits the device, and its register tile (at most 32 accumulators) and
 * work-group (16 work-items at least) keep a GPU's registers and lanes in reach. */
static int tile_usable(const tk_state *st, const clcnn_gemm_tile *t) {
    if (clcnn_gemm_tile_check(t, st->ctx->max_group, st->ctx->local_mem) != CLCNN_STATUS_OK)
        return 0;
    return t->wpt_m * t->wpt_n <= 32 && (t->ts_m / t->wpt_m) * (t->ts_n / t->wpt_n) >= 16;
}

#define MAX_TRIED 128
static int seen(clcnn_gemm_tile *tried, int *n, const clcnn_gemm_tile *t) {
    for (int i = 0; i < *n; i++)
        if (memcmp(&tried[i], t, sizeof *t) == 0) return 1;
    if (*n < MAX_TRIED) tried[(*n)++] = *t;
    return 0;
}

/* One pass over every parameter of the best tile so far; *moved when one got faster. */
static clcnn_status tile_round(tk_state *st, clcnn_gemm_tile *best, double *best_ms,
                               clcnn_gemm_tile *tried, int *n_tried, int *moved) {
    static const int values[5][4] = {{16, 32, 64, 128}, {16, 32, 64, 128}, {8, 16, 32, 0},
                                     {1, 2, 4, 8}, {1, 2, 4, 8}};
    *moved = 0;
    for (int d = 0; d < 5; d++)
        for (int v = 0; v < 4 && values[d][v]; v++) {
            clcnn_gemm_tile c = *best;
            int *field[5] = {&c.ts_m, &c.ts_n, &c.ts_k, &c.wpt_m, &c.wpt_n};
            *field[d] = values[d][v];
            if (!tile_usable(st, &c) || seen(tried, n_tried, &c)) continue;
            if (over_budget(st)) return CLCNN_STATUS_OK;
            double ms;
            st->ctx->tuned.tile = c;
            CLCNN_TRY(measure(st, P_TILE, &ms));
            char text[32];
            tile_string(&c, text, sizeof text);
            clcnn_log(CLCNN_LOG_INFO, "gemm_tile %s: %.3f ms for the products", text, ms);
            if (ms < *best_ms) *best = c, *best_ms = ms, *moved = 1;
        }
    return CLCNN_STATUS_OK;
}

static clcnn_status tune_tile(tk_state *st) {
    clcnn_gemm_tile def, best, tried[MAX_TRIED];
    int n_tried = 0, moved = 1;
    CLCNN_TRY(clcnn_gemm_tile_for(st->ctx, &def));
    st->ctx->tuned.has_tile = 1, st->ctx->tuned.tile = def;
    double ms[2];
    seen(tried, &n_tried, &def);
    CLCNN_TRY(measure(st, P_TILE, &ms[0]));
    char text[32];
    tile_string(&def, text, sizeof text);
    clcnn_log(CLCNN_LOG_INFO, "gemm_tile %s (the default): %.3f ms for the products", text, ms[0]);
    if (!isfinite(ms[0]))
        return clcnn_fail(CLCNN_STATUS_NUMERIC_ERROR, "the default GEMM tile fails selftest's "
                          "reference checks on this device (run clcnn selftest)");
    best = def, ms[1] = ms[0];
    while (moved && !over_budget(st))
        CLCNN_TRY(tile_round(st, &best, &ms[1], tried, &n_tried, &moved));
    char names[2][32];
    tile_string(&def, names[0], sizeof names[0]);
    tile_string(&best, names[1], sizeof names[1]);
    const char *pn[2] = {names[0], names[1]};
    keep(&st->r[P_TILE], pn, ms, 2, 0);
    st->ctx->tuned.tile = strcmp(st->r[P_TILE].chosen, names[1]) == 0 ? best : def;
    return CLCNN_STATUS_OK;
}

/* ---- storing and reporting -------------------------------------------------------------------- */
static clcnn_status store(tk_state *st, char *path, size_t n) {
    char note[512], routes[1200];
    const bench_options *o = &st->a->bench;
    CLCNN_TRY(clcnn_kparams_path(st->ctx, path, n));
    snprintf(note, sizeof note, "chosen by clcnn-bench tune-kernels on '%s' (driver %s), shapes %s "
             "at batch %d", st->ctx->info.name, st->ctx->info.driver,
             o->n_gemms ? "--gemm" : o->shapes, st->n_images ? st->n_images : o->batch);
    CLCNN_TRY(clcnn_kparams_store(st->ctx, &st->ctx->tuned, note));
    /* The cached route choices were raced without the tuned variants. */
    CLCNN_TRY(clcnn_strfmt(routes, sizeof routes, "%s/routes/%s.txt", st->ctx->cache_dir,
                           st->ctx->device_key));
    unlink(routes);
    return CLCNN_STATUS_OK;
}

static void report(const tk_state *st, const char *path, double seconds) {
    const clcnn_context *ctx = st->ctx;
    if (st->a->bench.format == BENCH_JSON) {
        printf("{\n  \"device\": \"%s\",\n  \"driver\": \"%s\",\n  \"class\": \"%s\",\n"
               "  \"device_key\": \"%s\",\n  \"seconds\": %.2f,\n  \"file\": \"%s\",\n"
               "  \"params\": [", ctx->info.name, ctx->info.driver,
               clcnn_device_class_name(clcnn_device_class_of(&ctx->info)), ctx->device_key,
               seconds, path);
        for (int p = 0, first = 1; p < N_PARAMS; p++) {
            const tk_result *r = &st->r[p];
            if (!r->measured) continue;
            printf("%s\n    {\"name\": \"%s\", \"default\": \"%s\", \"chosen\": \"%s\", "
                   "\"default_ms\": %.4f, \"chosen_ms\": %.4f, \"tried\": %d, \"failed\": %d}",
                   first ? "" : ",", param_names[p], r->def, r->chosen, r->def_ms, r->chosen_ms,
                   r->tried, r->failed);
            first = 0;
        }
        printf("\n  ]\n}\n");
        return;
    }
    printf("kernel parameters for device %d: %s (driver %s, class %s, key %s)\n", ctx->info.index,
           ctx->info.name, ctx->info.driver,
           clcnn_device_class_name(clcnn_device_class_of(&ctx->info)), ctx->device_key);
    printf("\n%-12s %-16s %-16s %12s %12s %7s %7s %7s\n", "parameter", "default", "chosen",
           "default ms", "chosen ms", "gain", "tried", "failed");
    for (int p = 0; p < N_PARAMS; p++) {
        const tk_result *r = &st->r[p];
        if (!r->measured) continue;
        printf("%-12s %-16s %-16s %12.3f %12.3f %6.2fx %7d %7d\n", param_names[p], r->def,
               r->chosen, r->def_ms, r->chosen_ms, r->def_ms / fmax(r->chosen_ms, 1e-12), r->tried,
               r->failed);
    }
    printf("\ntime taken: %.1f s; %s%s\n", seconds, *path ? "written: " : "nothing written (--dry-run)",
           path);
}

static clcnn_status tune(tk_state *st, char *path, size_t n) {
    static const char *const overrides[] = {"CLCNN_GEMM_TILE", "CLCNN_REDUCE_WG",
                                            "CLCNN_CONV_LAYOUT", "CLCNN_ROUTE"};
    /* Tuning measures each variant itself: overrides would pin them. */
    for (size_t i = 0; i < sizeof overrides / sizeof overrides[0]; i++)
        if (getenv(overrides[i])) {
            clcnn_log(CLCNN_LOG_WARN, "%s is ignored while tuning", overrides[i]);
            unsetenv(overrides[i]);
        }
    CLCNN_TRY(bench_context(st->a->bench.device, &st->ctx));
    memset(&st->ctx->tuned, 0, sizeof st->ctx->tuned); /* start from the class defaults */
    st->n_shapes = bench_selected_shapes(&st->a->bench, st->shapes, BENCH_MAX_GEMMS);
    model_layers(st);
    CLCNN_TRY(tune_layout(st));
    CLCNN_TRY(tune_reduce(st));
    CLCNN_TRY(tune_tile(st));
    path[0] = '\0';
    return st->a->dry_run ? CLCNN_STATUS_OK : store(st, path, n);
}

int bench_cmd_tune_kernels(int argc, char **argv) {
    static tk_args a;
    static tk_state st;
    int rc = parse_args(argc, argv, &a);
    if (rc) return rc < 0 ? 0 : rc;
    st.a = &a;
    st.t0 = clcnn_now();
    char path[1200];
    clcnn_status s = tune(&st, path, sizeof path);
    if (s == CLCNN_STATUS_OK) report(&st, path, clcnn_now() - st.t0);
    else fprintf(stderr, "clcnn-bench: error: %s\n", clcnn_last_error());
    clcnn_context_destroy(st.ctx);
    return s == CLCNN_STATUS_OK ? 0 : 1;
}
