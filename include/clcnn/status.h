/* clcnn/status.h: status codes, the last error message, and the log callback.
 *
 * Every fallible call in libclcnn returns a clcnn_status. On failure a message with context (the
 * file and line, the OpenCL error name, the build log...) is kept per thread and read with
 * clcnn_last_error(). The library never prints, exits or aborts on its own; it logs through the
 * callback set with clcnn_set_log_callback() (default: silent). */
#ifndef CLCNN_STATUS_H
#define CLCNN_STATUS_H

#include "clcnn/export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum clcnn_status {
    CLCNN_STATUS_OK = 0,
    CLCNN_STATUS_INVALID_ARGUMENT, /* a bad value from the caller or a config */
    CLCNN_STATUS_IO_ERROR,         /* a file could not be read or written */
    CLCNN_STATUS_PARSE_ERROR,      /* malformed YAML, JSON, IDX, safetensors... */
    CLCNN_STATUS_BAD_SHAPE,        /* shape inference rejected a layer */
    CLCNN_STATUS_NO_DEVICE,        /* no OpenCL platform, or no device matches */
    CLCNN_STATUS_OPENCL_ERROR,     /* an OpenCL or CLBlast call failed */
    CLCNN_STATUS_BUILD_ERROR,      /* an OpenCL program failed to build */
    CLCNN_STATUS_OUT_OF_MEMORY,    /* host or device allocation failed */
    CLCNN_STATUS_NOT_FOUND,        /* a named thing (layer type, key, file) does not exist */
    CLCNN_STATUS_UNSUPPORTED,      /* valid but not implemented */
    CLCNN_STATUS_INTERRUPTED,      /* stopped on request (Ctrl-C) */
    CLCNN_STATUS_NUMERIC_ERROR,    /* a loss or score became NaN or infinite */
    CLCNN_STATUS_EXHAUSTED,        /* nothing left: search space or trial budget used up */
} clcnn_status;

/* A short constant name for a status ("CLCNN_STATUS_IO_ERROR"). Static storage. */
CLCNN_API const char *clcnn_status_name(clcnn_status status);

/* The message of the last failure on this thread ("" if none). The pointer stays valid until the
 * next failing libclcnn call on the same thread. */
CLCNN_API const char *clcnn_last_error(void);

#if defined(__GNUC__)
#define CLCNN_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CLCNN_PRINTF(a, b)
#endif

/* Records a formatted message as this thread's last error and returns status, so a failure is
 * one line: `return clcnn_fail(CLCNN_STATUS_IO_ERROR, "cannot open '%s': %s", p, strerror(e));`
 * Tools built on the library report their own errors through it too. */
CLCNN_API clcnn_status clcnn_fail(clcnn_status status, const char *fmt, ...) CLCNN_PRINTF(2, 3);

/* Propagates a failing status. */
#define CLCNN_TRY(expr)                                                                            \
    do {                                                                                           \
        clcnn_status try_status_ = (expr);                                                         \
        if (try_status_ != CLCNN_STATUS_OK) return try_status_;                                    \
    } while (0)

enum { CLCNN_LOG_DEBUG = 0, CLCNN_LOG_INFO = 1, CLCNN_LOG_WARN = 2 };

/* Receives library log lines (without a trailing newline). msg is valid during the call only. */
typedef void (*clcnn_log_fn)(int level, const char *msg, void *user);

/* Sets the process-wide log callback; NULL silences the library. */
CLCNN_API void clcnn_set_log_callback(clcnn_log_fn fn, void *user);

#ifdef __cplusplus
}
#endif
#endif
