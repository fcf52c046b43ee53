/* cl/clblast_params.c: applies CLBlast tuning results for this device. The files are the JSON
 * that CLBlast's tuners (Debian's clblast-utils, driven by `clcnn-bench tune-gemm`) write, kept
 * in CLCNN_CACHE_DIR/clblast/<device key>/ ; each names a kernel family, a precision and the
 * best parameters, which go to CLBlastOverrideParameters before the first CLBlast call.
 *
 * What the tuners (CLBlast 1.5) actually write, and what that means here:
 *  - "kernel_family" is the tuner's name ("xgemm_1", "xgemm_2", "xgemm_direct_2", "copy",
 *    "padtranspose", "gemm_routine"); "best_kernel" is the OpenCL kernel the tuner ran
 *    ("Xgemm", "XgemmDirectTN", "CopyMatrixFast"), which is not always the name CLBlast's
 *    database (and so CLBlastOverrideParameters) uses: the family decides, best_kernel is only
 *    the fallback for families not listed below.
 *  - "best_parameters" ends with PRECISION=32, which is not a kernel parameter: CLBlast rejects
 *    an override whose parameter count differs from its database's, so it is dropped.
 *  - One tuning run writes several files for the same kernel (xgemm_1 and xgemm_2: a fixed and a
 *    random search), and CLBlast keeps one set per kernel: the file with the lowest best_time
 *    wins. `clcnn-bench tune-gemm` writes one file per kernel, chosen by measurement. */
#include <cjson/cJSON.h>
#include <clblast_c.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "cl.h"

#define MAX_TUNED 32

/* Tuner families to CLBlast database names; longer prefixes first ("xgemm_direct" before
 * "xgemm", "padtranspose" before "pad"). */
static const struct {
    const char *family, *kernel;
} families[] = {
    {"xgemm_direct", "XgemmDirect"}, {"xgemm", "Xgemm"},       {"gemm_routine", "GemmRoutine"},
    {"xconvgemm", "XconvGemm"},      {"padtranspose", "Padtranspose"}, {"pad", "Pad"},
    {"copy", "Copy"},                {"transpose", "Transpose"}, {"xgemv_fast_rot", "XgemvFastRot"},
    {"xgemv_fast", "XgemvFast"},     {"xgemv", "Xgemv"},         {"xger", "Xger"},
    {"xaxpy", "Xaxpy"},              {"xdot", "Xdot"},           {"invert", "Invert"},
    {"trsv_routine", "TrsvRoutine"},
};

/* Also used by clcnn-bench's tuner driver. */
const char *clcnn_clblast_kernel_for_family(const char *family, const char *best_kernel) {
    for (size_t i = 0; i < sizeof families / sizeof families[0]; i++)
        if (strncmp(family, families[i].family, strlen(families[i].family)) == 0)
            return families[i].kernel;
    if (best_kernel && *best_kernel) return best_kernel;
    return family;
}

/* "KWG=32 KWI=2 MDIMA=8 PRECISION=32" -> names and values, without PRECISION. */
static int parse_parameters(char *text, const char **names, size_t *values, int max) {
    int n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(text, " ,", &save); tok && n < max; tok = strtok_r(NULL, " ,", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq) continue;
        *eq = '\0';
        if (strcmp(tok, "PRECISION") == 0) continue;
        names[n] = tok;
        values[n++] = (size_t)strtoul(eq + 1, NULL, 10);
    }
    return n;
}

typedef struct tuned {
    char path[1500];
    char family[64];
    const char *kernel; /* static storage (families[]) or inside the strdup'ed best_kernel */
    char *best_kernel;
    char *parameters;
    double best_time;
} tuned;

static clcnn_status read_tuned(const char *path, tuned *out) {
    char *text;
    size_t len;
    CLCNN_TRY(clcnn_read_file(path, &text, &len));
    cJSON *doc = cJSON_Parse(text);
    free(text);
    if (!doc) return clcnn_fail(CLCNN_STATUS_PARSE_ERROR, "'%s': not valid JSON", path);
    const char *family = cJSON_GetStringValue(cJSON_GetObjectItem(doc, "kernel_family"));
    const char *precision = cJSON_GetStringValue(cJSON_GetObjectItem(doc, "precision"));
    const char *best_kernel = cJSON_GetStringValue(cJSON_GetObjectItem(doc, "best_kernel"));
    const char *best = cJSON_GetStringValue(cJSON_GetObjectItem(doc, "best_parameters"));
    const char *time = cJSON_GetStringValue(cJSON_GetObjectItem(doc, "best_time"));
    clcnn_status s = CLCNN_STATUS_OK;
    memset(out, 0, sizeof *out);
    if (!family || !best) {
        s = clcnn_fail(CLCNN_STATUS_PARSE_ERROR, "'%s': no kernel_family or best_parameters", path);
    } else if (precision && strcmp(precision, "32") != 0) {
        s = CLCNN_STATUS_NOT_FOUND; /* another precision: not ours to apply, not an error */
    } else {
        snprintf(out->path, sizeof out->path, "%s", path);
        snprintf(out->family, sizeof out->family, "%s", family);
        out->best_kernel = strdup(best_kernel ? best_kernel : "");
        out->parameters = strdup(best);
        out->kernel = clcnn_clblast_kernel_for_family(family, out->best_kernel);
        out->best_time = time ? strtod(time, NULL) : 1e300;
        if (!out->parameters || !out->best_kernel) s = clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
    }
    cJSON_Delete(doc);
    return s;
}

static clcnn_status apply(clcnn_context *ctx, const tuned *t) {
    const char *names[64];
    size_t values[64];
    char *copy = strdup(t->parameters);
    if (!copy) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
    int n = parse_parameters(copy, names, values, 64);
    CLBlastStatusCode st = CLBlastOverrideParameters(ctx->device, t->kernel, CLBlastPrecisionSingle,
                                                     (size_t)n, names, values);
    free(copy);
    if (st != CLBlastSuccess)
        return clcnn_fail(CLCNN_STATUS_OPENCL_ERROR,
                          "'%s': CLBlastOverrideParameters(%s) failed with status %d (parameters "
                          "that do not match the kernel's, or a kernel this CLBlast lacks)",
                          t->path, t->kernel, (int)st);
    clcnn_log(CLCNN_LOG_DEBUG, "CLBlast: applied tuned %s parameters from %s", t->kernel, t->path);
    return CLCNN_STATUS_OK;
}

/* The lowest best_time per kernel; ties go to the later file name (read in sorted order). */
static int keeps(const tuned *all, int n, int i) {
    for (int j = 0; j < n; j++)
        if (j != i && strcmp(all[j].kernel, all[i].kernel) == 0 &&
            (all[j].best_time < all[i].best_time || (all[j].best_time == all[i].best_time && j > i)))
            return 0;
    return 1;
}

static int cmp_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.json names of the folder, sorted so that runs apply files in the same order. */
static int list_json(const char *dir, char **names, int max) {
    DIR *d = opendir(dir);
    if (!d) return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < max) {
        size_t len = strlen(e->d_name);
        if (len > 5 && strcmp(e->d_name + len - 5, ".json") == 0 && (names[n] = strdup(e->d_name)))
            n++;
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, cmp_names);
    return n;
}

/* A bad tuning file is reported in the log and skipped: CLBlast's defaults still work. */
clcnn_status clcnn_clblast_apply_tuned(clcnn_context *ctx) {
    char dir[1200], *names[MAX_TUNED];
    snprintf(dir, sizeof dir, "%s/clblast/%s", ctx->cache_dir, ctx->device_key);
    int n_names = list_json(dir, names, MAX_TUNED), n = 0;
    tuned *all = n_names ? calloc((size_t)n_names, sizeof *all) : NULL;
    for (int i = 0; i < n_names; i++) {
        char path[1500];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        free(names[i]);
        if (!all) continue; /* out of memory: CLBlast's defaults */
        clcnn_status s = read_tuned(path, &all[n]);
        if (s == CLCNN_STATUS_OK) n++;
        else if (s != CLCNN_STATUS_NOT_FOUND)
            clcnn_log(CLCNN_LOG_WARN, "ignoring CLBlast tuning file: %s", clcnn_last_error());
    }
    for (int i = 0; i < n; i++) {
        if (!keeps(all, n, i))
            clcnn_log(CLCNN_LOG_DEBUG, "CLBlast: %s is superseded by a faster %s file", all[i].path, all[i].kernel);
        else if (apply(ctx, &all[i]) != CLCNN_STATUS_OK)
            clcnn_log(CLCNN_LOG_WARN, "ignoring CLBlast tuning file: %s", clcnn_last_error());
    }
    for (int i = 0; i < n; i++) {
        free(all[i].best_kernel);
        free(all[i].parameters);
    }
    free(all);
    return CLCNN_STATUS_OK;
}
