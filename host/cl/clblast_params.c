/* cl/clblast_params.c: applies CLBlast tuning results for this device. The files are the JSON
 * that CLBlast's tuners (Debian's clblast-utils, driven by `clcnn-bench tune-gemm`) write, kept
 * in CLCNN_CACHE_DIR/clblast/<device key>/ ; each names a kernel family, a precision and the
 * best parameters, which go to CLBlastOverrideParameters before the first CLBlast call. */
#include <cjson/cJSON.h>
#include <clblast_c.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "cl.h"

/* The tuner's family names ("xgemm_1", "xgemm_direct_2"...) to the kernel names CLBlast's
 * override call expects. */
static const char *kernel_for_family(const char *family, const char *best_kernel) {
    if (best_kernel && *best_kernel) return best_kernel;
    if (strncmp(family, "xgemm_direct", 12) == 0) return "XgemmDirect";
    if (strncmp(family, "xgemm", 5) == 0) return "Xgemm";
    if (strncmp(family, "copy", 4) == 0) return "Copy";
    if (strncmp(family, "pad", 3) == 0) return "Pad";
    if (strncmp(family, "transpose", 9) == 0) return "Transpose";
    if (strncmp(family, "padtranspose", 12) == 0) return "Padtranspose";
    return family;
}

/* "KWG=32 KWI=2 MDIMA=8" -> names and values. */
static int parse_parameters(char *text, const char **names, size_t *values, int max) {
    int n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(text, " ,", &save); tok && n < max; tok = strtok_r(NULL, " ,", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq) continue;
        *eq = '\0';
        names[n] = tok;
        values[n++] = (size_t)strtoul(eq + 1, NULL, 10);
    }
    return n;
}

static clcnn_status apply_file(clcnn_context *ctx, const char *path) {
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
    clcnn_status s = CLCNN_STATUS_OK;
    if (!family || !best) {
        s = clcnn_fail(CLCNN_STATUS_PARSE_ERROR, "'%s': no kernel_family or best_parameters", path);
    } else if (!precision || strcmp(precision, "32") == 0) {
        char *copy = strdup(best);
        const char *names[64];
        size_t values[64];
        int n = copy ? parse_parameters(copy, names, values, 64) : 0;
        CLBlastStatusCode st = CLBlastOverrideParameters(ctx->device, kernel_for_family(family, best_kernel),
                                                         CLBlastPrecisionSingle, (size_t)n, names, values);
        if (st != CLBlastSuccess)
            s = clcnn_fail(CLCNN_STATUS_OPENCL_ERROR, "'%s': CLBlastOverrideParameters failed (%d)",
                           path, (int)st);
        else
            clcnn_log(CLCNN_LOG_DEBUG, "CLBlast: applied tuned %s parameters from %s", family, path);
        free(copy);
    }
    cJSON_Delete(doc);
    return s;
}

/* A bad tuning file is reported in the log and skipped: CLBlast's defaults still work. */
clcnn_status clcnn_clblast_apply_tuned(clcnn_context *ctx) {
    char dir[1200];
    snprintf(dir, sizeof dir, "%s/clblast/%s", ctx->cache_dir, ctx->device_key);
    DIR *d = opendir(dir);
    if (!d) return CLCNN_STATUS_OK;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 5, ".json") != 0) continue;
        char path[1500];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (apply_file(ctx, path) != CLCNN_STATUS_OK)
            clcnn_log(CLCNN_LOG_WARN, "ignoring CLBlast tuning file: %s", clcnn_last_error());
    }
    closedir(d);
    return CLCNN_STATUS_OK;
}
