/* bench/tune_eval.c: CLBlast parameter candidates (read from the tuners' JSON files, written back
 * as the files host/cl/clblast_params.c applies) and their measurement: a child clcnn-bench
 * times the clblast route over the shape set with a cache folder holding only those files, so
 * every candidate is judged on our products, in a fresh process, by the real loading path. */
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "spawn.h"
#include "tune.h"

static const char *json_string(const cJSON *doc, const char *key) {
    const char *v = cJSON_GetStringValue(cJSON_GetObjectItem(doc, key));
    return v ? v : "";
}

clcnn_status tune_read_candidate(const char *path, tune_candidate *out) {
    char *text;
    size_t len;
    CLCNN_TRY(clcnn_read_file(path, &text, &len));
    cJSON *doc = cJSON_Parse(text);
    free(text);
    if (!doc) return clcnn_fail(CLCNN_STATUS_PARSE_ERROR, "'%s': not valid JSON", path);
    memset(out, 0, sizeof *out);
    const char *family = json_string(doc, "kernel_family");
    snprintf(out->family, sizeof out->family, "%s", family);
    snprintf(out->kernel, sizeof out->kernel, "%s",
             clcnn_clblast_kernel_for_family(family, json_string(doc, "best_kernel")));
    snprintf(out->params, sizeof out->params, "%s", json_string(doc, "best_parameters"));
    out->best_time = atof(json_string(doc, "best_time"));
    out->m = atoi(json_string(doc, "arg_m"));
    out->n = atoi(json_string(doc, "arg_n"));
    out->k = atoi(json_string(doc, "arg_k"));
    int ok = *family && out->params[0] && strcmp(json_string(doc, "precision"), "32") == 0;
    cJSON_Delete(doc);
    if (!ok) return clcnn_fail(CLCNN_STATUS_PARSE_ERROR, "'%s': not a single-precision tuning result", path);
    return CLCNN_STATUS_OK;
}

clcnn_status tune_write_candidate(const char *path, const tune_candidate *c, const char *note) {
    cJSON *doc = cJSON_CreateObject();
    char num[64];
    cJSON_AddStringToObject(doc, "kernel_family", c->family);
    cJSON_AddStringToObject(doc, "precision", "32");
    cJSON_AddStringToObject(doc, "best_kernel", c->kernel);
    snprintf(num, sizeof num, "%.3f", c->best_time);
    cJSON_AddStringToObject(doc, "best_time", num);
    cJSON_AddStringToObject(doc, "best_parameters", c->params);
    snprintf(num, sizeof num, "%d", c->m);
    cJSON_AddStringToObject(doc, "arg_m", num);
    snprintf(num, sizeof num, "%d", c->n);
    cJSON_AddStringToObject(doc, "arg_n", num);
    snprintf(num, sizeof num, "%d", c->k);
    cJSON_AddStringToObject(doc, "arg_k", num);
    if (note) cJSON_AddStringToObject(doc, "clcnn_note", note);
    char *text = cJSON_Print(doc);
    cJSON_Delete(doc);
    if (!text) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
    clcnn_status s = clcnn_write_file_atomic(path, text, strlen(text));
    free(text);
    return s;
}

/* ---- one child run ---------------------------------------------------------------------------- */
/* A cache folder holding exactly these files: <work>/eval-<i>/clblast/<key>/<Kernel>.json. */
static clcnn_status eval_cache(tune_setup *t, int id, const tune_candidate *const *files, int n,
                               char *cache, size_t size) {
    char dir[1600];
    CLCNN_TRY(clcnn_strfmt(cache, size, "%s/eval-%03d", t->work_dir, id));
    CLCNN_TRY(clcnn_strfmt(dir, sizeof dir, "%s/clblast/%s", cache, t->device_key));
    CLCNN_TRY(clcnn_mkdir_p(dir));
    for (int i = 0; i < n; i++) {
        char path[1700];
        CLCNN_TRY(clcnn_strfmt(path, sizeof path, "%s/%s.json", dir, files[i]->kernel));
        CLCNN_TRY(tune_write_candidate(path, files[i], NULL));
    }
    return CLCNN_STATUS_OK;
}

/* An argv built in one fixed store. */
typedef struct arg_list {
    char store[4096];
    size_t used;
    char *argv[64];
    int n;
} arg_list;

static void add_arg(arg_list *a, const char *fmt, ...) CLCNN_PRINTF(2, 3);
static void add_arg(arg_list *a, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(a->store + a->used, sizeof a->store - a->used, fmt, ap);
    va_end(ap);
    if (w < 0 || a->used + (size_t)w >= sizeof a->store || a->n >= 63) return;
    a->argv[a->n++] = a->store + a->used;
    a->argv[a->n] = NULL;
    a->used += (size_t)w + 1;
}

/* clcnn-bench --device I --route clblast --no-peak --format csv + timing and the shape set. */
static void child_argv(const tune_setup *t, arg_list *a) {
    static const char kinds[][3] = {"tn", "nn", "nt"};
    const bench_options *o = &t->bench;
    add_arg(a, "%s", t->self);
    add_arg(a, "--device");
    add_arg(a, "%d", t->device_index);
    add_arg(a, "--route");
    add_arg(a, "clblast");
    add_arg(a, "--no-peak");
    add_arg(a, "--verbose"); /* the library's log shows which tuned files it applied */
    add_arg(a, "--format");
    add_arg(a, "csv");
    add_arg(a, "--target-ms");
    add_arg(a, "%g", o->target_ms);
    add_arg(a, "--batch");
    add_arg(a, "%d", o->batch);
    add_arg(a, "--shapes");
    add_arg(a, "%s", o->shapes ? o->shapes : "seed");
    for (int i = 0; i < o->n_gemms; i++) {
        const bench_gemm_shape *g = &o->gemms[i];
        add_arg(a, "--gemm");
        add_arg(a, "%s:%dx%dx%dx%d", kinds[g->kind], g->M, g->N, g->K, g->batch);
    }
}

/* A CSV line of the child: device,kernel,route,shape,batch,ms,gflops,gbps,pct_peak. The device
 * name may be quoted; kernel and shape never hold commas. */
static int parse_row(char *line, tune_eval *e) {
    char *p = line;
    if (*p == '"') {
        for (p++; *p && !(*p == '"' && p[1] != '"'); p += *p == '"' ? 2 : 1) {}
        if (*p) p++;
    } else {
        p = strchr(p, ',');
        if (!p) return 0;
    }
    char kernel[64], route[16], shape[64];
    int batch;
    double ms, gflops;
    if (sscanf(p, ",%63[^,],%15[^,],%63[^,],%d,%lf,%lf", kernel, route, shape, &batch, &ms, &gflops) != 6)
        return 0;
    clcnn_gemm_kind kind;
    int M, N, K, z, i = e->n;
    if (i == TUNE_MAX_ROWS || bench_shape_parse(shape, &kind, &M, &N, &K, &z) != CLCNN_STATUS_OK)
        return 0;
    snprintf(e->kernel[i], sizeof e->kernel[i], "%s", kernel);
    snprintf(e->shape[i], sizeof e->shape[i], "%s", shape);
    e->ms[i] = ms;
    e->flops[i] = gflops * 1e9 * ms * 1e-3;
    e->mnk[i] = (double)M * N * K;
    e->total_ms += ms;
    e->total_flops += e->flops[i];
    e->n++;
    return 1;
}

static clcnn_status parse_csv(char *text, tune_eval *e) {
    memset(e, 0, sizeof *e);
    char *save = NULL;
    int line_no = 0;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
        if (line_no++ > 0) parse_row(line, e);
    if (!e->n) return clcnn_fail(CLCNN_STATUS_PARSE_ERROR, "the evaluation run printed no rows");
    return CLCNN_STATUS_OK;
}

/* host/cl/clblast_params.c logs one line per file it applies (seen with --verbose). */
static int count_applied(const char *log) {
    char *text;
    size_t len;
    int n = 0;
    if (clcnn_read_file(log, &text, &len) != CLCNN_STATUS_OK) return 0;
    for (const char *p = text; (p = strstr(p, "applied tuned")); p++) n++;
    free(text);
    return n;
}

clcnn_status tune_evaluate(tune_setup *t, const tune_candidate *const *files, int n_files,
                           int installed, tune_eval *out) {
    char cache[1300], env_cache[1400], env_pocl[1200], log[1400];
    int id = t->n_evals++;
    if (installed) CLCNN_TRY(clcnn_strfmt(cache, sizeof cache, "%s", t->cache_dir));
    else CLCNN_TRY(eval_cache(t, id, files, n_files, cache, sizeof cache));
    snprintf(env_cache, sizeof env_cache, "CLCNN_CACHE_DIR=%s", cache);
    snprintf(env_pocl, sizeof env_pocl, "POCL_CACHE_DIR=%s", t->pocl_cache);
    snprintf(log, sizeof log, "%s/eval-%03d.log", t->work_dir, id);
    const char *set[] = {env_cache, env_pocl, NULL};
    char **envp = spawn_env(set), *captured = NULL;
    if (!envp) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
    static arg_list args;
    memset(&args, 0, sizeof args);
    child_argv(t, &args);
    spawn_job job = {args.argv, envp, NULL, NULL, log, &captured, 0};
    int code = 0, timed_out = 0;
    clcnn_status s = spawn_run(&job, &code, &timed_out);
    free(envp);
    if (s == CLCNN_STATUS_OK && code != 0)
        s = clcnn_fail(CLCNN_STATUS_OPENCL_ERROR, "the evaluation run failed (exit %d); see %s", code, log);
    if (s == CLCNN_STATUS_OK) s = parse_csv(captured ? captured : (char[]){""}, out);
    free(captured);
    if (s == CLCNN_STATUS_OK) out->applied = count_applied(log);
    return s;
}
