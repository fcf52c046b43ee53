/* bench/tune.c: `clcnn-bench tune-gemm`: tunes CLBlast's GEMM kernels for one device and the
 * products our models run, with Debian's clblast-utils tuners, and installs the result where
 * host/cl/clblast_params.c applies it (CLCNN_CACHE_DIR/clblast/<device key>/<Kernel>.json).
 *
 * 1. The heaviest products of the shape set (by FLOPs) become tuner problems, rounded up to the
 *    multiples the tuners need (the indirect Xgemm kernel runs on padded matrices anyway).
 * 2. Each tuner samples a fraction of its configurations and writes its best ones as JSON.
 * 3. The tuners' bests are only bests for their problem, and CLBlast keeps one parameter set per
 *    kernel, so every candidate is measured on the whole shape set by a child clcnn-bench
 *    (tune_eval.c), with CLBlast forced onto the path that uses the kernel; the fastest wins.
 * 4. CLBlast picks the direct or the indirect kernel by m*n*k against XGEMM_MIN_INDIRECT_SIZE^3;
 *    from the per-product times of both winners, the threshold with the least total is chosen
 *    (--no-threshold keeps CLBlast's: fewer runs, as every threshold recompiles CLBlast's kernels).
 * 5. The set is installed only if the clblast route is faster with it than with the defaults. */
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "spawn.h"
#include "tune.h"

enum { TUNER_XGEMM = 1, TUNER_DIRECT = 2 };

typedef struct tune_args {
    tune_setup t;
    double fraction;      /* of each tuner stage's configurations */
    int max_shapes;       /* tuner problems per tuner */
    int tuners;           /* TUNER_* bits */
    double limit_min;     /* per tuner run */
    const char *tuner_dir;
    const char *from_runs; /* judge the results of earlier tuner runs instead of running tuners */
    int platform_no, device_no; /* the tuners' -platform and -device */
    bench_format format;
    int force;            /* install even without a gain (tests) */
    int no_threshold;     /* keep CLBlast's direct/indirect threshold: fewer, faster runs */
    tune_candidate cands[TUNE_MAX_CANDIDATES];
    int n_cands;
    int runs, timeouts;
} tune_args;

static void tune_usage(FILE *fp) {
    fprintf(fp,
            "usage: clcnn-bench tune-gemm [options]\n"
            "Tunes CLBlast's GEMM kernels for a device and our models' products with CLBlast's\n"
            "tuners (Debian: clblast-utils), then installs the fastest parameters in\n"
            "CLCNN_CACHE_DIR/clblast/<device key>/ where clcnn applies them. Takes long on CPUs.\n\n"
            "  --device D        index or name substring (default: CLCNN_DEVICE or the default)\n"
            "  --fraction F      share of each tuner stage's configurations to try (default 0.01)\n"
            "  --shapes S        seed (default) or tiny; --gemm K:MxNxK[xZ] as for the benchmark\n"
            "  --batch B         images per batch for the seed shapes (default 32)\n"
            "  --max-shapes N    products tuned per tuner, heaviest first (default 3)\n"
            "  --tuners LIST     xgemm,xgemm_direct (default both)\n"
            "  --time-limit MIN  stop a tuner run after MIN minutes (default 30)\n"
            "  --target-ms MS    timing budget per product when judging candidates (default 100)\n"
            "  --tuner-dir DIR   where the clblast_tuner_* programs are (default /usr/bin)\n"
            "  --from-runs DIR   run no tuner: judge the JSON files in DIR's subfolders (an\n"
            "                    earlier run's tuner-runs/<time>/, e.g. one stopped early)\n"
            "  --format F        table (default) or json\n"
            "  --no-threshold    keep CLBlast's direct/indirect switch (each threshold tried\n"
            "                    recompiles CLBlast's kernels: slow on CPUs)\n"
            "  --force           install the best candidates even if not faster (for tests)\n");
}

static int parse_tuners(const char *v) {
    int bits = 0;
    char copy[128], *save = NULL;
    snprintf(copy, sizeof copy, "%s", v);
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (strcmp(tok, "xgemm") == 0) bits |= TUNER_XGEMM;
        else if (strcmp(tok, "xgemm_direct") == 0) bits |= TUNER_DIRECT;
        else return 0;
    }
    return bits;
}

static int tune_value(tune_args *a, const char *flag, const char *v) {
    bench_options *o = &a->t.bench;
    if (strcmp(flag, "--device") == 0) o->device = v;
    else if (strcmp(flag, "--fraction") == 0) a->fraction = atof(v);
    else if (strcmp(flag, "--shapes") == 0) o->shapes = v;
    else if (strcmp(flag, "--batch") == 0) o->batch = atoi(v);
    else if (strcmp(flag, "--max-shapes") == 0) a->max_shapes = atoi(v);
    else if (strcmp(flag, "--tuners") == 0) a->tuners = parse_tuners(v);
    else if (strcmp(flag, "--time-limit") == 0) a->limit_min = atof(v);
    else if (strcmp(flag, "--target-ms") == 0) o->target_ms = atof(v);
    else if (strcmp(flag, "--tuner-dir") == 0) a->tuner_dir = v;
    else if (strcmp(flag, "--from-runs") == 0) a->from_runs = v;
    else if (strcmp(flag, "--format") == 0) a->format = strcmp(v, "json") == 0 ? BENCH_JSON : BENCH_TABLE;
    else if (strcmp(flag, "--gemm") == 0) {
        if (o->n_gemms == BENCH_MAX_GEMMS || bench_parse_gemm(v, &o->gemms[o->n_gemms++]) != CLCNN_STATUS_OK)
            return 0;
    } else return -1;
    return 1;
}

static int parse_tune_args(int argc, char **argv, tune_args *a) {
    bench_options_default(&a->t.bench);
    a->t.bench.target_ms = 100;
    a->fraction = 0.01, a->max_shapes = 3, a->tuners = TUNER_XGEMM | TUNER_DIRECT;
    a->limit_min = 30, a->tuner_dir = "/usr/bin";
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            tune_usage(stdout);
            return -1;
        }
        if (strcmp(argv[i], "--verbose") == 0) continue;
        if (strcmp(argv[i], "--force") == 0 || strcmp(argv[i], "--no-threshold") == 0) {
            *(argv[i][2] == 'f' ? &a->force : &a->no_threshold) = 1;
            continue;
        }
        int ok = i + 1 < argc ? tune_value(a, argv[i], argv[i + 1]) : -1;
        if (ok <= 0) {
            fprintf(stderr, "clcnn-bench: error: %s option '%s'\n\n", ok < 0 ? "unknown" : "bad value for", argv[i]);
            tune_usage(stderr);
            return 2;
        }
        i++;
    }
    if (a->fraction <= 0 || a->fraction > 1 || a->max_shapes <= 0 || !a->tuners ||
        a->t.bench.batch <= 0 || a->t.bench.target_ms <= 0) {
        fprintf(stderr, "clcnn-bench: error: --fraction must be in (0, 1]; sizes, --tuners and --target-ms must be set\n");
        return 2;
    }
    return 0;
}

/* ---- the device, in our numbering and in the tuners' (platform, device within it) ------------ */
static clcnn_status tuner_numbers(const clcnn_context *ctx, int *platform_no, int *device_no) {
    cl_platform_id plats[16];
    cl_uint np = 0;
    CLCNN_CL_TRY(clGetPlatformIDs(16, plats, &np), "clGetPlatformIDs");
    for (cl_uint p = 0; p < np && p < 16; p++) {
        cl_device_id devs[64];
        cl_uint nd = 0;
        if (plats[p] != ctx->platform) continue;
        CLCNN_CL_TRY(clGetDeviceIDs(plats[p], CL_DEVICE_TYPE_ALL, 64, devs, &nd), "clGetDeviceIDs");
        for (cl_uint d = 0; d < nd && d < 64; d++)
            if (devs[d] == ctx->device) {
                *platform_no = (int)p, *device_no = (int)d;
                return CLCNN_STATUS_OK;
            }
    }
    return clcnn_fail(CLCNN_STATUS_NO_DEVICE, "device '%s' not found among its platform's devices", ctx->info.name);
}

static clcnn_status open_device(tune_args *a) {
    clcnn_context *ctx;
    tune_setup *t = &a->t;
    CLCNN_TRY(bench_context(t->bench.device, &ctx));
    t->device_index = ctx->info.index;
    memcpy(t->device_key, ctx->device_key, sizeof t->device_key);
    snprintf(t->cache_dir, sizeof t->cache_dir, "%s", ctx->cache_dir);
    const char *pocl = getenv("POCL_CACHE_DIR"); /* set by the library when the user did not */
    snprintf(t->pocl_cache, sizeof t->pocl_cache, "%s", pocl ? pocl : "");
    if (!pocl) snprintf(t->pocl_cache, sizeof t->pocl_cache, "%s/pocl", ctx->cache_dir);
    clcnn_log(CLCNN_LOG_INFO, "tuning CLBlast for device %d: %s (key %s)", t->device_index,
              ctx->info.name, t->device_key);
    clcnn_status s = tuner_numbers(ctx, &a->platform_no, &a->device_no);
    clcnn_context_destroy(ctx);
    if (s != CLCNN_STATUS_OK) return s;
    CLCNN_TRY(clcnn_strfmt(t->work_dir, sizeof t->work_dir, "%s/clblast/%s/tuner-runs/%ld",
                           t->cache_dir, t->device_key, (long)time(NULL)));
    return clcnn_mkdir_p(t->work_dir);
}

/* ---- tuner problems and runs ------------------------------------------------------------------ */
typedef struct problem {
    int m, n, k;
    double weight; /* FLOPs of the products it stands for */
} problem;

static int cmp_weight(const void *x, const void *y) {
    double a = ((const problem *)x)->weight, b = ((const problem *)y)->weight;
    return (a < b) - (a > b);
}

/* The shape set's CLBlast calls rounded to the tuner's multiples, merged, heaviest first. */
static int problems(const tune_args *a, int tuner, problem *out) {
    bench_gemm_shape shapes[BENCH_MAX_GEMMS];
    int n_shapes = bench_selected_shapes(&a->t.bench, shapes, BENCH_MAX_GEMMS), n = 0;
    size_t mn = tuner == TUNER_XGEMM ? 128 : 64, k_mult = tuner == TUNER_XGEMM ? 32 : 64;
    for (int i = 0; i < n_shapes; i++) {
        const bench_gemm_shape *s = &shapes[i];
        problem p = {(int)clcnn_round_up((size_t)s->M, mn), (int)clcnn_round_up((size_t)s->N, mn),
                     (int)clcnn_round_up((size_t)s->K, k_mult), 2.0 * s->M * s->N * s->K * s->batch};
        int j = 0;
        while (j < n && !(out[j].m == p.m && out[j].n == p.n && out[j].k == p.k)) j++;
        if (j < n) out[j].weight += p.weight;
        else out[n++] = p;
    }
    qsort(out, (size_t)n, sizeof *out, cmp_weight);
    return n < a->max_shapes ? n : a->max_shapes;
}

static int is_json(const char *name) {
    size_t n = strlen(name);
    return n > 5 && strcmp(name + n - 5, ".json") == 0;
}

static void add_candidate(tune_args *a, const tune_candidate *c) {
    for (int i = 0; i < a->n_cands; i++)
        if (strcmp(a->cands[i].kernel, c->kernel) == 0 && strcmp(a->cands[i].params, c->params) == 0)
            return;
    if (a->n_cands < TUNE_MAX_CANDIDATES) a->cands[a->n_cands++] = *c;
}

static void collect_candidates(tune_args *a, const char *dir) {
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char path[2400];
        tune_candidate c;
        if (!is_json(e->d_name)) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (tune_read_candidate(path, &c) == CLCNN_STATUS_OK) add_candidate(a, &c);
        else clcnn_log(CLCNN_LOG_WARN, "skipping %s", clcnn_last_error());
    }
    if (d) closedir(d);
}

/* The tuners' -fraction divides the configuration count (1/512 samples 512th of them). */
static clcnn_status run_tuner(tune_args *a, int tuner, const problem *p) {
    const char *prog = tuner == TUNER_XGEMM ? "clblast_tuner_xgemm" : "clblast_tuner_xgemm_direct";
    char path[1100], dir[2000], log[2100], nums[6][24], frac[32];
    snprintf(path, sizeof path, "%s/%s", a->tuner_dir, prog);
    if (access(path, X_OK) != 0)
        return clcnn_fail(CLCNN_STATUS_NOT_FOUND, "%s not found: install CLBlast's tuners "
                          "(Debian/Ubuntu: apt-get install clblast-utils) or pass --tuner-dir", path);
    snprintf(dir, sizeof dir, "%s/%s-%dx%dx%d", a->t.work_dir, prog + 14, p->m, p->n, p->k);
    snprintf(log, sizeof log, "%s/tuner.log", dir);
    CLCNN_TRY(clcnn_mkdir_p(dir));
    int v[5] = {a->platform_no, a->device_no, p->m, p->n, p->k};
    for (int i = 0; i < 5; i++) snprintf(nums[i], sizeof nums[i], "%d", v[i]);
    snprintf(frac, sizeof frac, "%g", a->fraction >= 1 ? 1.0 : 1.0 / a->fraction);
    char *argv[] = {path, "-platform", nums[0], "-device", nums[1], "-precision", "32", "-m", nums[2],
                    "-n", nums[3], "-k", nums[4], "-fraction", frac, NULL};
    char env_pocl[1200];
    snprintf(env_pocl, sizeof env_pocl, "POCL_CACHE_DIR=%s", a->t.pocl_cache);
    const char *set[] = {env_pocl, NULL};
    char **envp = spawn_env(set);
    if (!envp) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
    spawn_job job = {argv, envp, dir, log, log, NULL, a->limit_min * 60};
    int code = 0, timed_out = 0;
    double t0 = clcnn_now();
    clcnn_log(CLCNN_LOG_INFO, "running %s -m %d -n %d -k %d -fraction %s (log: %s)", prog, p->m,
              p->n, p->k, frac, log);
    clcnn_status s = spawn_run(&job, &code, &timed_out);
    free(envp);
    CLCNN_TRY(s);
    a->runs++, a->timeouts += timed_out;
    int before = a->n_cands;
    collect_candidates(a, dir);
    clcnn_log(CLCNN_LOG_INFO, "%s finished in %.0f s (exit %d%s), %d new candidates", prog,
              clcnn_now() - t0, code, timed_out ? ", stopped at the time limit" : "", a->n_cands - before);
    return CLCNN_STATUS_OK;
}

/* The candidates an earlier run's tuners left in DIR/<tuner>-<m>x<n>x<k>/. */
static clcnn_status reuse_runs(tune_args *a) {
    DIR *d = opendir(a->from_runs);
    if (!d) return clcnn_fail(CLCNN_STATUS_NOT_FOUND, "--from-runs: cannot open '%s'", a->from_runs);
    struct dirent *e;
    while ((e = readdir(d))) {
        char sub[2100];
        if (e->d_name[0] == '.') continue;
        snprintf(sub, sizeof sub, "%s/%s", a->from_runs, e->d_name);
        collect_candidates(a, sub);
    }
    closedir(d);
    clcnn_log(CLCNN_LOG_INFO, "%d candidates from %s", a->n_cands, a->from_runs);
    return CLCNN_STATUS_OK;
}

static clcnn_status run_tuners(tune_args *a) {
    static const int tuners[] = {TUNER_XGEMM, TUNER_DIRECT};
    if (a->from_runs) return reuse_runs(a);
    for (int i = 0; i < 2; i++) {
        if (!(a->tuners & tuners[i])) continue;
        problem ps[BENCH_MAX_GEMMS];
        int n = problems(a, tuners[i], ps);
        for (int j = 0; j < n; j++) CLCNN_TRY(run_tuner(a, tuners[i], &ps[j]));
    }
    return CLCNN_STATUS_OK;
}

/* ---- the search over candidates --------------------------------------------------------------- */
typedef struct tune_result {
    tune_eval before, after, installed;
    const tune_candidate *best[2]; /* Xgemm, XgemmDirect; NULL: CLBlast's default won */
    tune_candidate routine;        /* the direct/indirect threshold */
    int n_tried[2];
    int use_routine;               /* choose the threshold too (else CLBlast's stays) */
    int installed_ok;
} tune_result;

static tune_candidate routine_candidate(long size) {
    tune_candidate c;
    memset(&c, 0, sizeof c);
    snprintf(c.kernel, sizeof c.kernel, "GemmRoutine");
    snprintf(c.family, sizeof c.family, "gemm_routine");
    snprintf(c.params, sizeof c.params, "XGEMM_MIN_INDIRECT_SIZE=%ld", size);
    return c;
}

/* The fastest of CLBlast's default (its figures in *best_eval on entry) and every candidate for
 * `kernel`, with `path` (NULL or a GemmRoutine candidate forcing the products onto that kernel)
 * applied too. With --force the default does not compete, so a file is always chosen. */
static clcnn_status best_for(tune_args *a, const char *kernel, const tune_candidate *path,
                             const tune_candidate **best, tune_eval *best_eval, int *tried) {
    const tune_candidate *files[2] = {path, NULL};
    int base = path ? 1 : 0;
    *best = NULL, *tried = 0;
    for (int i = 0; i < a->n_cands; i++) {
        if (strcmp(a->cands[i].kernel, kernel) != 0) continue;
        tune_eval e;
        files[base] = &a->cands[i];
        clcnn_status s = tune_evaluate(&a->t, files, base + 1, 0, &e);
        (*tried)++;
        if (s != CLCNN_STATUS_OK) {
            clcnn_log(CLCNN_LOG_WARN, "candidate %s {%s} failed: %s", kernel, a->cands[i].params, clcnn_last_error());
            continue;
        }
        clcnn_log(CLCNN_LOG_INFO, "%s {%s}: %.2f ms in all (best so far %.2f)", kernel,
                  a->cands[i].params, e.total_ms, best_eval->total_ms);
        if (e.total_ms < best_eval->total_ms || (a->force && !*best)) *best = &a->cands[i], *best_eval = e;
    }
    return CLCNN_STATUS_OK;
}

/* Best candidates for both kernels, each on the path forced to use it (threshold search) or on
 * CLBlast's own choice of path. */
static clcnn_status best_pair(tune_args *a, tune_result *r, tune_eval *ind, tune_eval *dir) {
    tune_candidate all_ind = routine_candidate(1), all_dir = routine_candidate(100000);
    const tune_candidate *f_ind[1] = {&all_ind}, *f_dir[1] = {&all_dir};
    if (r->use_routine) {
        CLCNN_TRY(tune_evaluate(&a->t, f_ind, 1, 0, ind));
        CLCNN_TRY(tune_evaluate(&a->t, f_dir, 1, 0, dir));
    } else {
        *ind = r->before, *dir = r->before;
    }
    CLCNN_TRY(best_for(a, "Xgemm", r->use_routine ? &all_ind : NULL, &r->best[0], ind, &r->n_tried[0]));
    return best_for(a, "XgemmDirect", r->use_routine ? &all_dir : NULL, &r->best[1], dir, &r->n_tried[1]);
}

static long cube_above(double x) { /* the least S with S^3 > x */
    long s = (long)floor(cbrt(x));
    while ((double)s * s * s <= x) s++;
    while (s > 1 && (double)(s - 1) * (s - 1) * (s - 1) > x) s--;
    return s < 1 ? 1 : s;
}

/* Products with m*n*k below S^3 go direct: the split of the products sorted by m*n*k, between
 * two different sizes, with the least total time. */
static long choose_threshold(const tune_eval *ind, const tune_eval *dir) {
    int n = ind->n < dir->n ? ind->n : dir->n, order[TUNE_MAX_ROWS];
    for (int i = 0; i < n; i++) order[i] = i;
    for (int i = 1; i < n; i++) /* insertion sort by size: n is small */
        for (int j = i; j > 0 && ind->mnk[order[j]] < ind->mnk[order[j - 1]]; j--) {
            int x = order[j]; order[j] = order[j - 1]; order[j - 1] = x;
        }
    double best = INFINITY;
    long best_s = 1;
    for (int split = 0; split <= n; split++) {
        if (split > 0 && split < n && ind->mnk[order[split - 1]] == ind->mnk[order[split]]) continue;
        long s = split == 0 ? 1 : cube_above(ind->mnk[order[split - 1]]);
        if (split < n && (double)s * s * s > ind->mnk[order[split]]) continue;
        double total = 0;
        for (int i = 0; i < n; i++) total += i < split ? dir->ms[order[i]] : ind->ms[order[i]];
        if (total < best) best = total, best_s = s;
    }
    return best_s;
}

static int final_files(const tune_result *r, const tune_candidate **files) {
    int n = 0;
    if (r->use_routine) files[n++] = &r->routine;
    for (int i = 0; i < 2; i++)
        if (r->best[i]) files[n++] = r->best[i];
    return n;
}

static clcnn_status search(tune_args *a, tune_result *r) {
    tune_eval ind, dir;
    clcnn_log(CLCNN_LOG_INFO, "measuring CLBlast's defaults, then %d candidates", a->n_cands);
    CLCNN_TRY(tune_evaluate(&a->t, NULL, 0, 0, &r->before));
    CLCNN_TRY(best_pair(a, r, &ind, &dir));
    if (r->use_routine) r->routine = routine_candidate(choose_threshold(&ind, &dir));
    const tune_candidate *files[3];
    int n = final_files(r, files);
    if (!n) {
        r->after = r->before;
        return CLCNN_STATUS_OK;
    }
    return tune_evaluate(&a->t, files, n, 0, &r->after);
}

/* ---- install ---------------------------------------------------------------------------------- */
/* The folder holds exactly the chosen files afterwards: stale ones would override them. */
static clcnn_status install(tune_args *a, tune_result *r) {
    char dir[1200];
    CLCNN_TRY(clcnn_strfmt(dir, sizeof dir, "%s/clblast/%s", a->t.cache_dir, a->t.device_key));
    CLCNN_TRY(clcnn_mkdir_p(dir));
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char path[1500];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (is_json(e->d_name)) unlink(path);
    }
    if (d) closedir(d);
    char note[512], source[64];
    snprintf(source, sizeof source, "tuner fraction %g", a->fraction);
    snprintf(note, sizeof note, "chosen by clcnn-bench tune-gemm: the fastest clblast route over "
             "the '%s' products at batch %d (%s)", a->t.bench.n_gemms ? "--gemm" : a->t.bench.shapes,
             a->t.bench.batch, a->from_runs ? "candidates from earlier tuner runs" : source);
    const tune_candidate *files[3];
    int n = final_files(r, files);
    for (int i = 0; i < n; i++) {
        char path[1300];
        CLCNN_TRY(clcnn_strfmt(path, sizeof path, "%s/%s.json", dir, files[i]->kernel));
        CLCNN_TRY(tune_write_candidate(path, files[i], note));
        clcnn_log(CLCNN_LOG_INFO, "installed %s", path);
    }
    r->installed_ok = 1;
    return tune_evaluate(&a->t, NULL, 0, 1, &r->installed);
}

/* ---- report ----------------------------------------------------------------------------------- */
static double gflops(const tune_eval *e) { return e->total_ms > 0 ? e->total_flops / (e->total_ms * 1e6) : 0; }

static void report_table(const tune_args *a, const tune_result *r) {
    const tune_eval *after = r->installed_ok ? &r->installed : &r->after;
    printf("CLBlast tuning for device %d (key %s)\n", a->t.device_index, a->t.device_key);
    printf("tuner runs: %d (%d stopped at the time limit), candidates: %d Xgemm, %d XgemmDirect\n",
           a->runs, a->timeouts, r->n_tried[0], r->n_tried[1]);
    printf("chosen: Xgemm %s; XgemmDirect %s; %s\n", r->best[0] ? r->best[0]->params : "default",
           r->best[1] ? r->best[1]->params : "default",
           r->use_routine ? r->routine.params : "CLBlast's direct/indirect threshold");
    printf("\n%-34s %-30s %12s %12s %10s %10s\n", "kernel", "shape", "before ms", "after ms",
           "GFLOP/s", "after");
    for (int i = 0; i < r->before.n && i < after->n; i++)
        printf("%-34s %-30s %12.3f %12.3f %10.2f %10.2f\n", r->before.kernel[i], r->before.shape[i],
               r->before.ms[i], after->ms[i], r->before.flops[i] / (r->before.ms[i] * 1e6),
               after->flops[i] / (after->ms[i] * 1e6));
    printf("\nclblast route, all products: %.2f GFLOP/s before, %.2f after (%.2fx); %s\n",
           gflops(&r->before), gflops(after), gflops(after) / fmax(gflops(&r->before), 1e-12),
           r->installed_ok ? "installed" : "no gain over CLBlast's defaults: nothing installed");
    if (r->installed_ok) printf("files: %s/clblast/%s/*.json (applied by the library: %d)\n",
                                a->t.cache_dir, a->t.device_key, r->installed.applied);
}

static void report_json(const tune_args *a, const tune_result *r) {
    const tune_eval *after = r->installed_ok ? &r->installed : &r->after;
    printf("{\n  \"device_index\": %d,\n  \"device_key\": \"%s\",\n  \"tuner_runs\": %d,\n"
           "  \"timeouts\": %d,\n  \"installed\": %s,\n  \"applied_files\": %d,\n",
           a->t.device_index, a->t.device_key, a->runs, a->timeouts,
           r->installed_ok ? "true" : "false", r->installed_ok ? r->installed.applied : 0);
    printf("  \"gflops_before\": %.4f,\n  \"gflops_after\": %.4f,\n  \"xgemm\": \"%s\",\n"
           "  \"xgemm_direct\": \"%s\",\n  \"routine\": \"%s\"\n}\n", gflops(&r->before),
           gflops(after), r->best[0] ? r->best[0]->params : "default",
           r->best[1] ? r->best[1]->params : "default", r->use_routine ? r->routine.params : "default");
}

int bench_cmd_tune_gemm(int argc, char **argv, const char *self) {
    static tune_args a; /* large: candidates */
    static tune_result r;
    char exe[1024];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[len > 0 ? len : 0] = '\0';
    int rc = parse_tune_args(argc, argv, &a);
    if (rc) return rc < 0 ? 0 : rc;
    a.t.self = len > 0 ? exe : self;
    clcnn_status s = open_device(&a);
    if (s == CLCNN_STATUS_OK) s = run_tuners(&a);
    r.use_routine = !a.no_threshold;
    if (s == CLCNN_STATUS_OK) s = search(&a, &r);
    int chosen = r.use_routine || r.best[0] || r.best[1];
    if (s == CLCNN_STATUS_OK && chosen && (a.force || r.after.total_ms < r.before.total_ms))
        s = install(&a, &r);
    if (s != CLCNN_STATUS_OK) {
        fprintf(stderr, "clcnn-bench: error: %s\n", clcnn_last_error());
        return 1;
    }
    if (a.format == BENCH_JSON) report_json(&a, &r);
    else report_table(&a, &r);
    return 0;
}
