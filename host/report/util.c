/* report/util.c: what the report's parts share: JSON numbers, a strict CSV reader, and PNG
 * thumbnails as data: URIs (stb_image_write, then base64). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <stb/stb_image_write.h>

#include "report_internal.h"

cJSON *report_number(double v) {
    return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull();
}

void report_add_number(cJSON *o, const char *key, double v) {
    cJSON_AddItemToObject(o, key, report_number(v));
}

int report_parse_number(const char *text, double *v) {
    char *end;
    if (!*text) return 0;
    *v = strtod(text, &end);
    return *end == '\0' && isfinite(*v);
}

/* ---- CSV ------------------------------------------------------------------------------------ */

typedef struct csv_reader {
    const char *p, *path;
    int line;
    char *field;
    size_t len, cap;
} csv_reader;

static int field_put(csv_reader *r, char c) {
    if (r->len + 1 >= r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 64;
        char *f = realloc(r->field, cap);
        if (!f) return 0;
        r->field = f;
        r->cap = cap;
    }
    r->field[r->len++] = c;
    r->field[r->len] = '\0';
    return 1;
}

/* One field into r->field; *end_of_row tells whether a line break (or the end) followed it. */
static clcnn_status csv_field(csv_reader *r, int *end_of_row) {
    r->len = 0;
    if (!field_put(r, '\0')) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
    r->len = 0;
    if (*r->p == '"') {
        int start = r->line;
        for (r->p++;; r->p++) {
            if (!*r->p)
                return clcnn_fail(CLCNN_STATUS_PARSE_ERROR,
                                  "%s:%d: a quoted field is never closed", r->path, start);
            if (*r->p == '"' && r->p[1] != '"') break;
            if (*r->p == '"') r->p++;
            if (*r->p == '\n') r->line++;
            if (!field_put(r, *r->p)) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
        }
        r->p++;
        if (*r->p == '\r') r->p++;
        if (*r->p && *r->p != ',' && *r->p != '\n')
            return clcnn_fail(CLCNN_STATUS_PARSE_ERROR,
                              "%s:%d: text after a quoted field's closing quote", r->path, r->line);
    } else {
        for (; *r->p && *r->p != ',' && *r->p != '\n'; r->p++) {
            if (*r->p == '"')
                return clcnn_fail(CLCNN_STATUS_PARSE_ERROR, "%s:%d: a quote inside an unquoted field",
                                  r->path, r->line);
            if (*r->p != '\r' && !field_put(r, *r->p))
                return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
        }
    }
    *end_of_row = *r->p != ',';
    if (*r->p) r->p++;
    return CLCNN_STATUS_OK;
}

static clcnn_status csv_rows(csv_reader *r, cJSON *rows) {
    int width = -1;
    while (*r->p) {
        if (*r->p == '\n' || (*r->p == '\r' && r->p[1] == '\n')) { /* a blank line */
            r->p += *r->p == '\r' ? 2 : 1;
            r->line++;
            continue;
        }
        cJSON *row = cJSON_CreateArray();
        cJSON_AddItemToArray(rows, row);
        int line = r->line, end = 0;
        while (!end) {
            CLCNN_TRY(csv_field(r, &end));
            cJSON_AddItemToArray(row, cJSON_CreateString(r->field));
        }
        r->line++;
        int n = cJSON_GetArraySize(row);
        if (width < 0) width = n;
        else if (n != width)
            return clcnn_fail(CLCNN_STATUS_PARSE_ERROR, "%s:%d: %d fields, the header has %d",
                              r->path, line, n, width);
    }
    if (width < 0) return clcnn_fail(CLCNN_STATUS_PARSE_ERROR, "'%s' is empty (no CSV header)", r->path);
    return CLCNN_STATUS_OK;
}

clcnn_status report_csv_read(const char *path, cJSON **rows) {
    char *text;
    size_t len;
    *rows = NULL;
    CLCNN_TRY(clcnn_read_file(path, &text, &len));
    if (strlen(text) != len) {
        free(text);
        return clcnn_fail(CLCNN_STATUS_PARSE_ERROR, "'%s' holds NUL bytes: not a CSV file", path);
    }
    csv_reader r = {.p = text, .path = path, .line = 1};
    cJSON *all = cJSON_CreateArray();
    clcnn_status s = all ? csv_rows(&r, all) : clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
    free(r.field);
    free(text);
    if (s != CLCNN_STATUS_OK) cJSON_Delete(all);
    else *rows = all;
    return s;
}

/* ---- PNG thumbnails ------------------------------------------------------------------------- */

static void buf_write(void *ctx, void *data, int size) {
    if (size > 0) clcnn_bytes_append(ctx, data, (size_t)size);
}

static char *base64_uri(const unsigned char *d, size_t n) {
    static const char prefix[] = "data:image/png;base64,";
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = malloc(sizeof prefix + (n + 2) / 3 * 4), *o = out;
    if (!out) return NULL;
    memcpy(o, prefix, sizeof prefix - 1);
    o += sizeof prefix - 1;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)d[i] << 16 | (i + 1 < n ? (unsigned)d[i + 1] << 8 : 0) |
                     (i + 2 < n ? d[i + 2] : 0);
        *o++ = tab[v >> 18 & 63];
        *o++ = tab[v >> 12 & 63];
        *o++ = i + 1 < n ? tab[v >> 6 & 63] : '=';
        *o++ = i + 2 < n ? tab[v & 63] : '=';
    }
    *o = '\0';
    return out;
}

char *report_png_data_uri(const uint8_t *chw, int c, int h, int w) {
    size_t plane = (size_t)h * w;
    unsigned char *hwc = malloc(plane * (size_t)c);
    if (!hwc) return NULL;
    for (size_t i = 0; i < plane; i++) /* stb wants interleaved channels */
        for (int k = 0; k < c; k++) hwc[i * (size_t)c + (size_t)k] = chw[(size_t)k * plane + i];
    clcnn_bytes b = {0};
    int ok = stbi_write_png_to_func(buf_write, &b, w, h, c, hwc, w * c);
    free(hwc);
    char *uri = ok && !b.failed ? base64_uri(b.data, b.len) : NULL;
    free(b.data);
    return uri;
}
