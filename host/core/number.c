/* core/number.c: checked conversions of numbers read from files. Every reader that turns a value
 * from a file (a JSON number, a CSV or text field) into an integer, an index or a count goes
 * through these: a NaN, an infinity, a fraction where a whole number is needed, or a value past
 * the range the caller can use is an error naming the file and the field, never a cast with
 * undefined behaviour or a silent 0. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

static clcnn_status out_of_range(const char *file, const char *field, const char *shown,
                                 int64_t lo, int64_t hi) {
    return clcnn_fail(CLCNN_STATUS_PARSE_ERROR,
                      "'%s': %s is %s; expected a whole number from %lld to %lld", file, field,
                      shown, (long long)lo, (long long)hi);
}

clcnn_status clcnn_checked_int(double v, int64_t lo, int64_t hi, const char *file,
                               const char *field, int64_t *out) {
    char shown[64];
    snprintf(shown, sizeof shown, "%.17g", v);
    /* 2^63 is the first double past int64_t; comparing against (double)hi alone would let it in,
     * since (double)INT64_MAX rounds up to it. */
    if (!isfinite(v) || v < (double)lo || v > (double)hi || v >= 9223372036854775808.0 ||
        v != floor(v))
        return out_of_range(file, field, shown, lo, hi);
    int64_t k = (int64_t)v;
    if (k < lo || k > hi) return out_of_range(file, field, shown, lo, hi);
    *out = k;
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_checked_int32(double v, int lo, int hi, const char *file, const char *field,
                                 int *out) {
    int64_t k = 0;
    CLCNN_TRY(clcnn_checked_int(v, lo, hi, file, field, &k));
    *out = (int)k;
    return CLCNN_STATUS_OK;
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* The field's text for a message: short, printable. */
static void show_text(const char *text, char *shown, size_t n) {
    size_t k = 0;
    shown[k++] = '\'';
    for (const char *c = text; *c && k + 5 < n; c++)
        shown[k++] = (unsigned char)*c >= 32 && (unsigned char)*c < 127 ? *c : '?';
    if (strlen(text) > n - 6) shown[k++] = '.', shown[k++] = '.', shown[k++] = '.';
    shown[k++] = '\'';
    shown[k] = '\0';
}

clcnn_status clcnn_parse_int(const char *text, int64_t lo, int64_t hi, const char *file,
                             const char *field, int64_t *out) {
    char shown[48];
    const char *p = text ? text : "";
    while (is_space(*p))
        p++;
    if (!*p)
        return clcnn_fail(CLCNN_STATUS_PARSE_ERROR,
                          "'%s': %s is empty; expected a whole number from %lld to %lld", file,
                          field, (long long)lo, (long long)hi);
    show_text(p, shown, sizeof shown);
    char *end;
    errno = 0;
    long long v = strtoll(p, &end, 10);
    int overflow = errno == ERANGE;
    while (is_space(*end))
        end++;
    if (end == p || *end || overflow || v < lo || v > hi)
        return out_of_range(file, field, shown, lo, hi);
    *out = v;
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_parse_real(const char *text, int flags, const char *file, const char *field,
                              double *out) {
    char shown[48];
    const char *p = text ? text : "";
    while (is_space(*p))
        p++;
    if (!*p) {
        if (flags & CLCNN_REAL_EMPTY_IS_NAN) {
            *out = NAN;
            return CLCNN_STATUS_OK;
        }
        return clcnn_fail(CLCNN_STATUS_PARSE_ERROR, "'%s': %s is empty; expected a number", file,
                          field);
    }
    show_text(p, shown, sizeof shown);
    char *end;
    double v = strtod(p, &end);
    while (is_space(*end))
        end++;
    int finite_needed = !(flags & CLCNN_REAL_NONFINITE);
    if (end == p || *end || (finite_needed && !isfinite(v)))
        return clcnn_fail(CLCNN_STATUS_PARSE_ERROR, "'%s': %s is %s; expected a %snumber", file,
                          field, shown, finite_needed ? "finite " : "");
    *out = v;
    return CLCNN_STATUS_OK;
}
