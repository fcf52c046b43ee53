/* core/error.c: the per-thread last-error message and the log callback. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core.h"

static _Thread_local char last_error[8192];
static clcnn_log_fn log_fn;
static void *log_user;

const char *clcnn_status_name(clcnn_status status) {
    static const char *const names[] = {
        "CLCNN_STATUS_OK",           "CLCNN_STATUS_INVALID_ARGUMENT", "CLCNN_STATUS_IO_ERROR",
        "CLCNN_STATUS_PARSE_ERROR",  "CLCNN_STATUS_BAD_SHAPE",        "CLCNN_STATUS_NO_DEVICE",
        "CLCNN_STATUS_OPENCL_ERROR", "CLCNN_STATUS_BUILD_ERROR",      "CLCNN_STATUS_OUT_OF_MEMORY",
        "CLCNN_STATUS_NOT_FOUND",    "CLCNN_STATUS_UNSUPPORTED",      "CLCNN_STATUS_INTERRUPTED",
        "CLCNN_STATUS_NUMERIC_ERROR", "CLCNN_STATUS_EXHAUSTED",
    };
    if ((unsigned)status < sizeof names / sizeof names[0]) return names[status];
    return "CLCNN_STATUS_UNKNOWN";
}

const char *clcnn_last_error(void) { return last_error; }

clcnn_status clcnn_fail(clcnn_status status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return status;
}

clcnn_status clcnn_fail_prefix(clcnn_status status, const char *fmt, ...) {
    char prefix[2048], old[sizeof last_error];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, last_error, sizeof old);
    size_t k = strlen(prefix);
    memcpy(last_error, prefix, k + 1);
    strncat(last_error, old, sizeof last_error - k - 1);
    return status;
}

void clcnn_set_log_callback(clcnn_log_fn fn, void *user) {
    log_fn = fn;
    log_user = user;
}

void clcnn_log(int level, const char *fmt, ...) {
    if (!log_fn) return;
    char msg[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    log_fn(level, msg, log_user);
}

clcnn_status clcnn_strfmt(char *buf, size_t n, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(buf, n, fmt, ap);
    va_end(ap);
    if (k < 0 || (size_t)k >= n)
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "string too long (over %zu bytes): '%.60s...'",
                          n - 1, buf);
    return CLCNN_STATUS_OK;
}
