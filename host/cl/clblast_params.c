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

#include "cl/clblast_params.h"

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

/* "KWG=32 KWI=2 MDIMA=8 PRECISION=32" -> names and values, without PRECISION. Each value must be
 * a whole number CLBlast can use; a file that says otherwise is refused, not half applied. */
static clcnn_status parse_parameters(const char *path, const char *best, clcnn_clblast_tuned *t) {
    snprintf(t->text, sizeof t->text, "%s", best);
    if (strlen(best) >= sizeof t->text)
        return clcnn_fail(CLCNN_STATUS_PARSE_ERROR, "'%s': best_parameters is over %zu bytes", path,
                          sizeof t->text - 1);
    char *save = NULL;
    for (char *tok = strtok_r(t->text, " ,", &save); tok; tok = strtok_r(NULL, " ,", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq || eq == tok)
            return clcnn_fail(CLCNN_STATUS_PARSE_ERROR,
                              "'%s': best_parameters holds '%.40s', not NAME=VALUE", path, tok);
        *eq = '\0';
        if (strcmp(tok, "PRECISION") == 0) continue;
        if (t->n == CLCNN_CLBLAST_MAX_PARAMS)
            return clcnn_fail(CLCNN_STATUS_PARSE_ERROR, "'%s': best_parameters holds over %d values",
                              path, CLCNN_CLBLAST_MAX_PARAMS);
        char field[80];
        snprintf(field, sizeof field, "best_parameters %.40s", tok);
        int64_t v;
        CLCNN_TRY(clcnn_parse_int(eq + 1, 0, 1 << 20, path, field, &v));
        t->names[t->n] = tok;
        t->values[t->n++] = (size_t)v;
    }
    return CLCNN_STATUS_OK;
}

static const char *json_string(const cJSON *doc, const char *key) {
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, key));
}

/* Every string this keeps is copied out of the JSON document before it is freed: a family
 * clcnn does not know falls back to a name from the document (best_kernel, else the family). */
static clcnn_status tuned_from_json(const char *path, const cJSON *doc, clcnn_clblast_tuned *out) {
    const char *family = json_string(doc, "kernel_family");
    const char *precision = json_string(doc, "precision");
    const char *best = json_string(doc, "best_parameters");
    const char *time = json_string(doc, "best_time");
    if (!family || !best)
        return clcnn_fail(CLCNN_STATUS_PARSE_ERROR, "'%s': no kernel_family or best_parameters", path);
    if (precision && strcmp(precision, "32") != 0)
        return CLCNN_STATUS_NOT_FOUND; /* another precision: not ours to apply, not an error */
    const char *kernel = clcnn_clblast_kernel_for_family(family, json_string(doc, "best_kernel"));
    if (!*kernel || strlen(kernel) >= sizeof out->kernel)
        return clcnn_fail(CLCNN_STATUS_PARSE_ERROR, "'%s': kernel name '%.40s' is empty or too long",
                          path, kernel);
    snprintf(out->path, sizeof out->path, "%s", path);
    snprintf(out->kernel, sizeof out->kernel, "%s", kernel);
    out->best_time = 1e300;
    if (time) CLCNN_TRY(clcnn_parse_real(time, 0, path, "best_time", &out->best_time));
    return parse_parameters(path, best, out);
}

clcnn_status clcnn_clblast_read_tuned(const char *path, clcnn_clblast_tuned *out) {
    memset(out, 0, sizeof *out);
    char *text;
    size_t len;
    CLCNN_TRY(clcnn_read_file(path, &text, &len));
    cJSON *doc = cJSON_ParseWithLength(text, len);
    free(text);
    if (!cJSON_IsObject(doc)) {
        cJSON_Delete(doc);
        return clcnn_fail(CLCNN_STATUS_PARSE_ERROR, "'%s': not a JSON object", path);
    }
    clcnn_status s = tuned_from_json(path, doc, out);
    cJSON_Delete(doc);
    return s;
}

static clcnn_status apply(clcnn_context *ctx, const clcnn_clblast_tuned *t) {
    CLBlastStatusCode st = CLBlastOverrideParameters(ctx->device, t->kernel, CLBlastPrecisionSingle,
                                                     (size_t)t->n, (const char **)t->names, t->values);
    if (st != CLBlastSuccess)
        return clcnn_fail(CLCNN_STATUS_OPENCL_ERROR,
                          "'%s': CLBlastOverrideParameters(%s) failed with status %d (parameters "
                          "that do not match the kernel's, or a kernel this CLBlast lacks)",
                          t->path, t->kernel, (int)st);
    clcnn_log(CLCNN_LOG_DEBUG, "CLBlast: applied tuned %s parameters from %s", t->kernel, t->path);
    return CLCNN_STATUS_OK;
}

/* The lowest best_time per kernel; ties go to the later file name (read in sorted order). */
static int keeps(const clcnn_clblast_tuned *all, int n, int i) {
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
    clcnn_clblast_tuned *all = n_names ? calloc((size_t)n_names, sizeof *all) : NULL;
    for (int i = 0; i < n_names; i++) {
        char path[1500];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        free(names[i]);
        if (!all) continue; /* out of memory: CLBlast's defaults */
        clcnn_status s = clcnn_clblast_read_tuned(path, &all[n]);
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
    free(all);
    return CLCNN_STATUS_OK;
}
