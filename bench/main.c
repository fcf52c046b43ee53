/* bench/main.c: clcnn-bench's command line: options, device loop, and the `kernels` (default) and
 * `peak` subcommands. `tune-gemm` lives in tune.c, `tune-kernels` in tune_kernels.c, `--model` in
 * model_bench.c. */
#include <stdlib.h>
#include <string.h>

#include "bench.h"

static void usage(FILE *fp) {
    fprintf(fp,
            "usage: clcnn-bench [kernels] [options]     time every GEMM the model runs, by route\n"
            "       clcnn-bench peak [options]          device peak: fp32 FMA GFLOP/s, memory GB/s\n"
            "       clcnn-bench --model CONFIG [options]  every kernel of a model, and images/s\n"
            "       clcnn-bench tune-gemm [options]     tune CLBlast's GEMM kernels for this device\n"
            "       clcnn-bench tune-kernels [options]  tune clcnn's kernel parameters for this device\n"
            "\noptions:\n"
            "  --device D        index, name substring, or 'all' (default: CLCNN_DEVICE or the default)\n"
            "  --format F        table (default), csv or json; only that document goes to stdout\n"
            "  --batch B         images per batch for the model's shapes (default 32)\n"
            "  --shapes S        seed (the seed model's products, default) or tiny\n"
            "  --gemm K:MxNxK[xZ] a product from the command line (K nn, tn or nt); repeatable\n"
            "  --route R         own, clblast, tiled, both (own and clblast) or all (default)\n"
            "  --target-ms MS    timing budget per kernel (default 200)\n"
            "  --check           check that both routes give the same results first\n"
            "  --no-peak         skip the peak probe (%% of peak is then 0)\n"
            "  --steps N         --model: training steps to time (default 20)\n"
            "  --verbose         library debug log on stderr\n"
            "tune-gemm and tune-kernels options: see clcnn-bench tune-gemm --help and\n"
            "tune-kernels --help\n");
}

static int verbose;

static void log_to_stderr(int level, const char *msg, void *user) {
    (void)user;
    if (level >= CLCNN_LOG_INFO || verbose) fprintf(stderr, "clcnn-bench: %s\n", msg);
}

void bench_options_default(bench_options *o) {
    memset(o, 0, sizeof *o);
    o->format = BENCH_TABLE;
    o->target_ms = 200;
    o->batch = 32;
    o->shapes = "seed";
    o->routes = (1 << CLCNN_ROUTE_OWN) | (1 << CLCNN_ROUTE_CLBLAST) | (1 << CLCNN_ROUTE_TILED);
    o->steps = 20;
}

static int parse_value(bench_options *o, const char *flag, const char *v) {
    if (strcmp(flag, "--device") == 0) o->device = v;
    else if (strcmp(flag, "--model") == 0) o->model = v;
    else if (strcmp(flag, "--shapes") == 0) o->shapes = v;
    else if (strcmp(flag, "--batch") == 0) o->batch = atoi(v);
    else if (strcmp(flag, "--steps") == 0) o->steps = atoi(v);
    else if (strcmp(flag, "--target-ms") == 0) o->target_ms = atof(v);
    else if (strcmp(flag, "--format") == 0) {
        if (strcmp(v, "csv") == 0) o->format = BENCH_CSV;
        else if (strcmp(v, "json") == 0) o->format = BENCH_JSON;
        else if (strcmp(v, "table") == 0) o->format = BENCH_TABLE;
        else return 0;
    } else if (strcmp(flag, "--route") == 0) {
        clcnn_route r;
        if (strcmp(v, "both") == 0) o->routes = (1 << CLCNN_ROUTE_OWN) | (1 << CLCNN_ROUTE_CLBLAST);
        else if (strcmp(v, "all") == 0) return 1;
        else if (strcmp(v, "auto") != 0 && clcnn_route_parse(v, &r) == CLCNN_STATUS_OK)
            o->routes = 1 << r;
        else return 0;
    } else if (strcmp(flag, "--gemm") == 0) {
        if (o->n_gemms == BENCH_MAX_GEMMS) return 0;
        if (bench_parse_gemm(v, &o->gemms[o->n_gemms++]) != CLCNN_STATUS_OK) {
            fprintf(stderr, "clcnn-bench: error: %s\n", clcnn_last_error());
            return 0;
        }
    } else {
        return -1;
    }
    return 1;
}

/* Returns 0 on success, 2 on a usage error. */
static int parse_options(int argc, char **argv, int first, bench_options *o) {
    bench_options_default(o);
    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--check") == 0) o->check = 1;
        else if (strcmp(a, "--no-peak") == 0) o->no_peak = 1;
        else if (strcmp(a, "--verbose") == 0) o->verbose = 1;
        else if (i + 1 < argc && strncmp(a, "--", 2) == 0) {
            int ok = parse_value(o, a, argv[i + 1]);
            if (ok < 0) {
                fprintf(stderr, "clcnn-bench: error: unknown option '%s'\n\n", a);
                usage(stderr);
                return 2;
            }
            if (ok == 0) {
                fprintf(stderr, "clcnn-bench: error: bad value '%s' for %s\n", argv[i + 1], a);
                return 2;
            }
            i++;
            continue;
        } else {
            fprintf(stderr, "clcnn-bench: error: unknown option '%s'\n\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (o->batch <= 0 || o->target_ms <= 0 || o->steps <= 0) {
        fprintf(stderr, "clcnn-bench: error: --batch, --steps and --target-ms must be positive\n");
        return 2;
    }
    return 0;
}

clcnn_status bench_context(const char *selector, clcnn_context **ctx) {
    clcnn_context_options co = clcnn_context_options_default();
    co.device = selector;
    co.profiling = 1;
    CLCNN_TRY(clcnn_context_create(&co, ctx));
    const clcnn_device_info *d = &(*ctx)->info;
    clcnn_log(CLCNN_LOG_INFO, "device %d: %s: %s (%s)", d->index, d->platform, d->name, d->type);
    return CLCNN_STATUS_OK;
}

clcnn_status bench_device_indices(const char *selector, int *indices, int max, int *n) {
    *n = 0;
    if (selector && strcmp(selector, "all") == 0) {
        clcnn_device_info *list;
        int count;
        CLCNN_TRY(clcnn_devices_list(&list, &count));
        for (int i = 0; i < count && *n < max; i++) indices[(*n)++] = list[i].index;
        free(list);
        return *n ? CLCNN_STATUS_OK : clcnn_fail(CLCNN_STATUS_NO_DEVICE, "no OpenCL device");
    }
    CLCNN_TRY(clcnn_device_resolve(selector, &indices[0]));
    *n = 1;
    return CLCNN_STATUS_OK;
}

/* Peak (unless skipped) and the GEMM rows of one device. */
static clcnn_status bench_one_device(int index, const bench_options *o, int gemms,
                                     bench_report *report) {
    char sel[16];
    snprintf(sel, sizeof sel, "%d", index);
    clcnn_context *ctx;
    CLCNN_TRY(bench_context(sel, &ctx));
    bench_device_result *d = &report->devices[report->n_devices++];
    d->info = ctx->info;
    clcnn_status s = CLCNN_STATUS_OK;
    if (!o->no_peak) {
        s = bench_peak_measure(ctx, o->target_ms < 200 ? o->target_ms : 200, &d->peak);
        d->has_peak = s == CLCNN_STATUS_OK;
    }
    if (s == CLCNN_STATUS_OK && gemms) s = bench_gemms(ctx, o, &d->peak, d->has_peak, report);
    clcnn_context_destroy(ctx);
    return s;
}

static int run_devices(const bench_options *o, int gemms) {
    int indices[16], n;
    bench_report report;
    memset(&report, 0, sizeof report);
    clcnn_status s = bench_device_indices(o->device, indices, 16, &n);
    for (int i = 0; i < n && s == CLCNN_STATUS_OK; i++)
        s = bench_one_device(indices[i], o, gemms, &report);
    if (s != CLCNN_STATUS_OK) {
        fprintf(stderr, "clcnn-bench: error: %s\n", clcnn_last_error());
        bench_report_free(&report);
        return 1;
    }
    if (gemms) bench_write(stdout, &report, o->format);
    else bench_write_peak(stdout, &report, o->format);
    bench_report_free(&report);
    return 0;
}

int bench_cmd_kernels(const bench_options *o) { return run_devices(o, 1); }

int bench_cmd_peak(const bench_options *o) {
    bench_options p = *o;
    p.no_peak = 0;
    return run_devices(&p, 0);
}

int main(int argc, char **argv) {
    clcnn_set_log_callback(log_to_stderr, NULL);
    const char *cmd = argc > 1 && argv[1][0] != '-' ? argv[1] : "kernels";
    int first = argc > 1 && argv[1][0] != '-' ? 2 : 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            if (strcmp(cmd, "tune-gemm") == 0 || strcmp(cmd, "tune-kernels") == 0) break;
            usage(stdout);
            return 0;
        }
        if (strcmp(argv[i], "--verbose") == 0) verbose = 1;
    }
    if (strcmp(cmd, "tune-gemm") == 0) return bench_cmd_tune_gemm(argc - first, argv + first, argv[0]);
    if (strcmp(cmd, "tune-kernels") == 0) return bench_cmd_tune_kernels(argc - first, argv + first);
    bench_options o;
    int rc = parse_options(argc, argv, first, &o);
    if (rc) return rc;
    if (strcmp(cmd, "peak") == 0) return bench_cmd_peak(&o);
    if (strcmp(cmd, "kernels") != 0) {
        fprintf(stderr, "clcnn-bench: error: unknown command '%s'\n\n", cmd);
        usage(stderr);
        return 2;
    }
    return o.model ? bench_cmd_model(&o) : bench_cmd_kernels(&o);
}
