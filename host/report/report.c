/* report/report.c: clcnn_report_write: tells a training folder, a tuning folder and a bench file
 * apart, has its part build the page's data, and writes one HTML page around it with the embedded
 * Chart.js, report.css and report.js inlined, atomically. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/embedded.h"
#include "clcnn/version.h"
#include "report_internal.h"

clcnn_report_options clcnn_report_options_default(void) {
    clcnn_report_options o;
    memset(&o, 0, sizeof o);
    return o;
}

static const char *embedded(const char *name) {
    for (const struct clcnn_embedded_file *f = clcnn_embedded_report; f->name; f++)
        if (strcmp(f->name, name) == 0) return f->text;
    return NULL;
}

static int is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int dir_has(const char *dir, const char *name) {
    char path[CLCNN_PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return clcnn_file_exists(path);
}

static clcnn_status detect_kind(const char *path, clcnn_report_kind *kind) {
    struct stat st;
    if (stat(path, &st) != 0)
        return clcnn_fail(CLCNN_STATUS_NOT_FOUND, "cannot read '%s': %s", path, strerror(errno));
    if (!S_ISDIR(st.st_mode)) {
        *kind = CLCNN_REPORT_BENCH;
        return CLCNN_STATUS_OK;
    }
    if (dir_has(path, "tune.json") || dir_has(path, "oracle.json")) {
        *kind = CLCNN_REPORT_TUNING;
        return CLCNN_STATUS_OK;
    }
    if (dir_has(path, "model.safetensors") || dir_has(path, "history.csv")) {
        *kind = CLCNN_REPORT_TRAINING;
        return CLCNN_STATUS_OK;
    }
    return clcnn_fail(CLCNN_STATUS_NOT_FOUND,
                      "'%s' holds neither a training run (model.safetensors, history.csv) nor a "
                      "search (tune.json, trial_*/trial.json): nothing to report",
                      path);
}

/* PATH/report.html for a folder; a bench file's name with .html in place of its extension. */
static void default_out(const char *path, clcnn_report_kind kind, char *buf, size_t n) {
    if (kind != CLCNN_REPORT_BENCH) {
        size_t len = strlen(path);
        snprintf(buf, n, "%s%sreport.html", path, len && path[len - 1] == '/' ? "" : "/");
        return;
    }
    const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');
    size_t stem = dot && (!slash || dot > slash) ? (size_t)(dot - path) : strlen(path);
    snprintf(buf, n, "%.*s.html", (int)stem, path);
}

/* The data as JSON text that is safe inside <script>: "</" never appears (a string holding
 * "</script>" would end the element), so each is written "<\/", which JSON reads as "</". */
static char *script_safe_json(const cJSON *data) {
    char *text = cJSON_PrintUnformatted(data);
    if (!text) return NULL;
    size_t n = 0, len = strlen(text);
    for (const char *p = text; (p = strstr(p, "</")); p++) n++;
    char *out = malloc(len + n + 1), *o = out;
    if (out) {
        for (const char *p = text; *p; p++) {
            *o++ = *p;
            if (p[0] == '<' && p[1] == '/') *o++ = '\\';
        }
        *o = '\0';
    }
    cJSON_free(text);
    return out;
}

/* Catches every script error (Chart.js's too, so it comes first) into the page: a visible list
 * and body[data-errors], which the tests read. */
static const char error_trap[] =
    "window.clcnnErrors=[];window.onerror=function(m,s,l){var t=String(m)+(l?' (line '+l+')':'');"
    "window.clcnnErrors.push(t);var b=document.body;if(b){b.setAttribute('data-errors',"
    "window.clcnnErrors.length);var e=document.getElementById('errors');if(e){e.hidden=false;"
    "e.textContent+=t+'\\n';}}};";

static clcnn_status write_page(const char *out, const cJSON *data, const char *title, size_t *bytes) {
    const char *chart = embedded("chart.min.js"), *js = embedded("report.js"),
               *css = embedded("report.css");
    if (!chart || !js || !css)
        return clcnn_fail(CLCNN_STATUS_NOT_FOUND, "the report's embedded scripts are missing");
    char *json = script_safe_json(data);
    if (!json) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory writing '%s'", out);
    clcnn_atomic_file af;
    clcnn_status s = clcnn_atomic_open(&af, out);
    if (s != CLCNN_STATUS_OK) {
        free(json);
        return s;
    }
    fprintf(af.fp,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<title>clcnn report: ");
    for (const char *p = title; *p; p++) { /* the title is a path: escape what HTML would read */
        if (*p == '<') fputs("&lt;", af.fp);
        else if (*p == '&') fputs("&amp;", af.fp);
        else fputc(*p, af.fp);
    }
    fprintf(af.fp, "</title>\n<style>\n%s</style>\n<script>%s</script>\n<script>\n%s\n</script>\n"
                   "</head>\n<body>\n<pre id=\"errors\" hidden></pre>\n<main id=\"report\"></main>\n"
                   "<script type=\"application/json\" id=\"report-data\">%s</script>\n"
                   "<script>\n%s</script>\n</body>\n</html>\n",
            css, error_trap, chart, json, js);
    free(json);
    *bytes = (size_t)ftell(af.fp);
    if (ferror(af.fp)) {
        clcnn_atomic_abort(&af);
        return clcnn_fail(CLCNN_STATUS_IO_ERROR, "cannot write '%s'", out);
    }
    return clcnn_atomic_commit(&af);
}

static void add_header(cJSON *data, const char *path, clcnn_report_kind kind) {
    static const char *const kinds[] = {"training", "tuning", "bench"};
    char when[64];
    time_t now = time(NULL);
    struct tm tm;
    strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", gmtime_r(&now, &tm));
    cJSON_AddStringToObject(data, "kind", kinds[kind]);
    cJSON_AddStringToObject(data, "source", path);
    cJSON_AddStringToObject(data, "generated", when);
    cJSON_AddStringToObject(data, "clcnn_version", CLCNN_VERSION);
}

static clcnn_status build_data(const char *path, clcnn_report_kind kind,
                               const clcnn_report_options *o, cJSON *data) {
    add_header(data, path, kind);
    if (kind == CLCNN_REPORT_TRAINING) return report_training_data(path, o, data);
    if (kind == CLCNN_REPORT_TUNING) return report_tuning_data(path, data);
    return report_bench_data(path, data);
}

clcnn_status clcnn_report_write(const char *path, const clcnn_report_options *opt,
                                clcnn_report_result *result) {
    clcnn_report_options defaults = clcnn_report_options_default();
    const clcnn_report_options *o = opt ? opt : &defaults;
    double t0 = clcnn_now();
    memset(result, 0, sizeof *result);
    CLCNN_TRY(detect_kind(path, &result->kind));
    if (o->out)
        CLCNN_TRY(clcnn_strfmt(result->path, sizeof result->path, "%s", o->out));
    else
        default_out(path, result->kind, result->path, sizeof result->path);
    if (is_dir(result->path))
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "the report's output '%s' is a folder",
                          result->path);
    cJSON *data = cJSON_CreateObject();
    if (!data) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
    clcnn_status s = build_data(path, result->kind, o, data);
    if (s == CLCNN_STATUS_OK) s = write_page(result->path, data, path, &result->bytes);
    cJSON_Delete(data);
    result->seconds = clcnn_now() - t0;
    return s;
}
