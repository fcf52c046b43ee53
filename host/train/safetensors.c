/* train/safetensors.c: writing and reading model files in the safetensors format (see
 * safetensors.h). The reader trusts nothing in the file: a model file may come from anywhere,
 * so every length, offset and shape is checked before it is used, and a damaged file is an
 * error that says what is wrong, never a crash. */
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "train/safetensors.h"

/* The safetensors package refuses headers over 100 MB; so do we, before allocating for one. */
#define ST_MAX_HEADER 100000000ull
/* JSON numbers are doubles: larger integers would not survive the round trip exactly. */
#define ST_MAX_INT (1ull << 53)

static int host_is_little_endian(void) {
    const uint16_t one = 1;
    uint8_t first;
    memcpy(&first, &one, 1);
    return first == 1;
}

/* The format is little-endian; on a big-endian host, floats are swapped in place. */
static void swap_f32(void *data, size_t n) {
    uint8_t *b = data;
    for (size_t i = 0; i < n; i++, b += 4) {
        uint8_t t0 = b[0], t1 = b[1];
        b[0] = b[3], b[1] = b[2], b[2] = t1, b[3] = t0;
    }
}

/* Product of a shape, or -1 if negative or past ST_MAX_INT bytes. */
static int64_t shape_numel(const int64_t *shape, int ndim) {
    uint64_t n = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0) return -1;
        if (shape[i] != 0 && n > ST_MAX_INT / 4 / (uint64_t)shape[i]) return -1;
        n *= (uint64_t)shape[i];
    }
    return (int64_t)n;
}

/* ---- writing -----------------------------------------------------------------------------------
 */

static clcnn_status check_tensor(const char *path, const clcnn_st_tensor *t, int i) {
    size_t len = strnlen(t->name, CLCNN_ST_NAME_MAX);
    if (len == 0 || len == CLCNN_ST_NAME_MAX)
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT,
                          "writing '%s': tensor %d has an empty or unterminated name", path, i);
    if (strcmp(t->name, "__metadata__") == 0)
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT,
                          "writing '%s': '__metadata__' is reserved, not a tensor name", path);
    if (t->ndim < 0 || t->ndim > CLCNN_ST_MAX_DIMS)
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT,
                          "writing '%s': tensor '%s' has %d dimensions", path, t->name, t->ndim);
    int64_t numel = shape_numel(t->shape, t->ndim);
    if (numel < 0)
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT,
                          "writing '%s': tensor '%s' has a negative or huge shape", path, t->name);
    if (numel > 0 && !t->data)
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "writing '%s': tensor '%s' has no data",
                          path, t->name);
    return CLCNN_STATUS_OK;
}

static clcnn_status check_inputs(const char *path, const clcnn_st_tensor *tensors, int n,
                                 const char *const *keys, const char *const *values, int n_meta) {
    if (!path || n < 0 || n_meta < 0 || (n > 0 && !tensors) || (n_meta > 0 && (!keys || !values)))
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "clcnn_safetensors_write: bad arguments");
    for (int i = 0; i < n; i++) {
        CLCNN_TRY(check_tensor(path, &tensors[i], i));
        for (int j = 0; j < i; j++)
            if (strcmp(tensors[i].name, tensors[j].name) == 0)
                return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT,
                                  "writing '%s': two tensors are named '%s'", path,
                                  tensors[i].name);
    }
    for (int i = 0; i < n_meta; i++) {
        if (!keys[i] || !values[i])
            return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "writing '%s': metadata %d is NULL",
                              path, i);
        for (int j = 0; j < i; j++)
            if (strcmp(keys[i], keys[j]) == 0)
                return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT,
                                  "writing '%s': metadata key '%s' appears twice", path, keys[i]);
    }
    return CLCNN_STATUS_OK;
}

/* Integers go in as raw JSON text so that they print exactly, never as 1e+06. */
static int add_u64(cJSON *array, uint64_t v) {
    char text[24];
    snprintf(text, sizeof text, "%" PRIu64, v);
    cJSON *item = cJSON_CreateRaw(text);
    return item && cJSON_AddItemToArray(array, item);
}

static int add_tensor_entry(cJSON *root, const clcnn_st_tensor *t, uint64_t *offset) {
    cJSON *entry = cJSON_AddObjectToObject(root, t->name);
    if (!entry || !cJSON_AddStringToObject(entry, "dtype", "F32")) return 0;
    cJSON *shape = cJSON_AddArrayToObject(entry, "shape");
    if (!shape) return 0;
    for (int d = 0; d < t->ndim; d++)
        if (!add_u64(shape, (uint64_t)t->shape[d])) return 0;
    uint64_t end = *offset + 4 * (uint64_t)shape_numel(t->shape, t->ndim);
    cJSON *offsets = cJSON_AddArrayToObject(entry, "data_offsets");
    if (!offsets || !add_u64(offsets, *offset) || !add_u64(offsets, end)) return 0;
    *offset = end;
    return 1;
}

/* The JSON header text (malloc'ed by cJSON), or NULL when out of memory. */
static char *build_header(const clcnn_st_tensor *tensors, int n, const char *const *keys,
                          const char *const *values, int n_meta) {
    cJSON *root = cJSON_CreateObject();
    int ok = root != NULL;
    if (ok && n_meta > 0) {
        cJSON *meta = cJSON_AddObjectToObject(root, "__metadata__");
        ok = meta != NULL;
        for (int i = 0; ok && i < n_meta; i++)
            ok = cJSON_AddStringToObject(meta, keys[i], values[i]) != NULL;
    }
    uint64_t offset = 0;
    for (int i = 0; ok && i < n; i++)
        ok = add_tensor_entry(root, &tensors[i], &offset);
    char *text = ok ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    return text;
}

static int write_floats_le(FILE *fp, const float *data, size_t n) {
    if (n == 0) return 1; /* an empty tensor may have no data pointer at all */
    if (host_is_little_endian()) return fwrite(data, 4, n, fp) == n;
    float chunk[1024];
    for (size_t i = 0; i < n; i += 1024) {
        size_t k = n - i < 1024 ? n - i : 1024;
        memcpy(chunk, data + i, 4 * k);
        swap_f32(chunk, k);
        if (fwrite(chunk, 4, k, fp) != k) return 0;
    }
    return 1;
}

/* Length, header padded with spaces so the data starts 8-byte aligned, then the data. */
static int write_body(FILE *fp, const char *header, const clcnn_st_tensor *tensors, int n) {
    size_t len = strlen(header), padded = (len + 7) & ~(size_t)7;
    uint8_t len_le[8];
    for (int i = 0; i < 8; i++)
        len_le[i] = (uint8_t)((uint64_t)padded >> (8 * i));
    int ok = fwrite(len_le, 1, 8, fp) == 8 && fwrite(header, 1, len, fp) == len;
    for (size_t i = len; ok && i < padded; i++)
        ok = fputc(' ', fp) != EOF;
    for (int i = 0; ok && i < n; i++)
        ok = write_floats_le(fp, tensors[i].data,
                             (size_t)shape_numel(tensors[i].shape, tensors[i].ndim));
    return ok;
}

clcnn_status clcnn_safetensors_write(const char *path, const clcnn_st_tensor *tensors, int n,
                                     const char *const *meta_keys, const char *const *meta_values,
                                     int n_meta) {
    CLCNN_TRY(check_inputs(path, tensors, n, meta_keys, meta_values, n_meta));
    char *header = build_header(tensors, n, meta_keys, meta_values, n_meta);
    if (!header) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "writing '%s': out of memory", path);
    clcnn_atomic_file af;
    clcnn_status st = clcnn_atomic_open(&af, path);
    if (st != CLCNN_STATUS_OK) {
        cJSON_free(header);
        return st;
    }
    int ok = write_body(af.fp, header, tensors, n);
    cJSON_free(header);
    if (!ok) {
        clcnn_atomic_abort(&af);
        return clcnn_fail(CLCNN_STATUS_IO_ERROR, "cannot write '%s'", path);
    }
    return clcnn_atomic_commit(&af);
}

/* ---- reading -----------------------------------------------------------------------------------
 */

typedef struct st_range {
    uint64_t begin, end;
    int index;
} st_range;

static int range_cmp(const void *a, const void *b) {
    const st_range *x = a, *y = b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    return 0;
}

/* A JSON number that is a whole number in [0, 2^53]. */
static int json_u64(const cJSON *item, uint64_t *out) {
    if (!cJSON_IsNumber(item)) return 0;
    double d = item->valuedouble;
    if (!(d >= 0 && d <= (double)ST_MAX_INT) || d != (double)(uint64_t)d) return 0;
    *out = (uint64_t)d;
    return 1;
}

/* Splits the file into its JSON header (parsed) and the data section. */
static clcnn_status parse_header(const char *path, const char *buf, size_t len, cJSON **root,
                                 size_t *data_start) {
    if (len < 8)
        return clcnn_fail(CLCNN_STATUS_PARSE_ERROR,
                          "'%s': truncated: the file holds %zu bytes, less than the 8-byte header "
                          "length",
                          path, len);
    uint64_t hlen = 0;
    for (int i = 0; i < 8; i++)
        hlen |= (uint64_t)(uint8_t)buf[i] << (8 * i);
    if (hlen > ST_MAX_HEADER)
        return clcnn_fail(CLCNN_STATUS_PARSE_ERROR,
                          "'%s': not a safetensors file: header length %" PRIu64 " is over 100 MB",
                          path, hlen);
    if (len > 8 && hlen > 0 && buf[8] != '{')
        return clcnn_fail(CLCNN_STATUS_PARSE_ERROR,
                          "'%s': not a safetensors file: the header does not start with '{'", path);
    if (hlen > len - 8)
        return clcnn_fail(CLCNN_STATUS_PARSE_ERROR,
                          "'%s': truncated: the header length says %" PRIu64 " bytes but the file "
                          "holds only %zu after it",
                          path, hlen, len - 8);
    /* A copy of its own, so that a parser over-read would hit the end of an allocation (and
     * the sanitizers) instead of the tensor bytes that follow the header. */
    char *text = malloc((size_t)hlen + 1);
    if (!text) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "reading '%s': out of memory", path);
    memcpy(text, buf + 8, (size_t)hlen);
    text[hlen] = '\0';
    const char *end = NULL;
    *root = cJSON_ParseWithLengthOpts(text, (size_t)hlen, &end, 0);
    size_t used = *root ? (size_t)(end - text) : 0;
    while (*root && used < hlen && text[used] && strchr(" \t\r\n", text[used]))
        used++;
    free(text);
    if (!*root || used != hlen || !cJSON_IsObject(*root)) {
        cJSON_Delete(*root);
        *root = NULL;
        return clcnn_fail(CLCNN_STATUS_PARSE_ERROR,
                          "'%s': the header is not a well-formed JSON object", path);
    }
    *data_start = 8 + (size_t)hlen;
    return CLCNN_STATUS_OK;
}

static clcnn_status parse_metadata(const char *path, const cJSON *meta, clcnn_safetensors *out) {
    if (!cJSON_IsObject(meta))
        return clcnn_fail(CLCNN_STATUS_PARSE_ERROR, "'%s': __metadata__ is not an object", path);
    int n = cJSON_GetArraySize(meta);
    out->meta_keys = calloc((size_t)n + 1, sizeof(char *));
    out->meta_values = calloc((size_t)n + 1, sizeof(char *));
    if (!out->meta_keys || !out->meta_values)
        return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "reading '%s': out of memory", path);
    for (const cJSON *item = meta->child; item; item = item->next) {
        if (!cJSON_IsString(item))
            return clcnn_fail(CLCNN_STATUS_PARSE_ERROR, "'%s': metadata '%s' is not a string", path,
                              item->string);
        int i = out->n_meta;
        out->meta_keys[i] = strdup(item->string);
        out->meta_values[i] = strdup(item->valuestring);
        if (!out->meta_keys[i] || !out->meta_values[i])
            return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "reading '%s': out of memory", path);
        out->n_meta++;
    }
    return CLCNN_STATUS_OK;
}

static clcnn_status parse_shape(const char *path, const char *name, const cJSON *shape,
                                clcnn_st_tensor *t) {
    if (!cJSON_IsArray(shape))
        return clcnn_fail(CLCNN_STATUS_PARSE_ERROR, "'%s': tensor '%s' has no shape array", path,
                          name);
    int ndim = cJSON_GetArraySize(shape);
    if (ndim > CLCNN_ST_MAX_DIMS)
        return clcnn_fail(CLCNN_STATUS_UNSUPPORTED,
                          "'%s': tensor '%s' has %d dimensions; clcnn reads at most %d", path, name,
                          ndim, CLCNN_ST_MAX_DIMS);
    t->ndim = 0;
    for (const cJSON *d = shape->child; d; d = d->next) {
        uint64_t v;
        if (!json_u64(d, &v))
            return clcnn_fail(CLCNN_STATUS_PARSE_ERROR,
                              "'%s': tensor '%s': shape holds something other than a whole "
                              "number >= 0",
                              path, name);
        t->shape[t->ndim++] = (int64_t)v;
    }
    return CLCNN_STATUS_OK;
}

static clcnn_status parse_offsets(const char *path, const char *name, const cJSON *offsets,
                                  st_range *r) {
    if (!cJSON_IsArray(offsets) || cJSON_GetArraySize(offsets) != 2 ||
        !json_u64(offsets->child, &r->begin) || !json_u64(offsets->child->next, &r->end) ||
        r->begin > r->end)
        return clcnn_fail(CLCNN_STATUS_PARSE_ERROR,
                          "'%s': tensor '%s': data_offsets must be [begin, end] with begin <= end",
                          path, name);
    return CLCNN_STATUS_OK;
}

static clcnn_status parse_tensor(const char *path, const cJSON *item, uint64_t data_len,
                                 clcnn_st_tensor *t, st_range *r) {
    const char *name = item->string;
    if (!cJSON_IsObject(item))
        return clcnn_fail(CLCNN_STATUS_PARSE_ERROR, "'%s': entry '%s' is not an object", path,
                          name);
    if (!*name || strlen(name) >= CLCNN_ST_NAME_MAX)
        return clcnn_fail(CLCNN_STATUS_UNSUPPORTED,
                          "'%s': a tensor name is empty or over %d bytes: '%.60s'", path,
                          CLCNN_ST_NAME_MAX - 1, name);
    strcpy(t->name, name);
    const char *dtype = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(item, "dtype"));
    if (!dtype)
        return clcnn_fail(CLCNN_STATUS_PARSE_ERROR, "'%s': tensor '%s' has no dtype", path, name);
    if (strcmp(dtype, "F32") != 0)
        return clcnn_fail(CLCNN_STATUS_UNSUPPORTED,
                          "'%s': tensor '%s' has dtype %.32s; clcnn reads F32 only", path, name,
                          dtype);
    CLCNN_TRY(parse_shape(path, name, cJSON_GetObjectItemCaseSensitive(item, "shape"), t));
    CLCNN_TRY(parse_offsets(path, name, cJSON_GetObjectItemCaseSensitive(item, "data_offsets"), r));
    int64_t numel = shape_numel(t->shape, t->ndim);
    if (numel < 0 || (uint64_t)numel * 4 != r->end - r->begin)
        return clcnn_fail(CLCNN_STATUS_PARSE_ERROR,
                          "'%s': tensor '%s': its shape needs %" PRId64 " bytes but data_offsets "
                          "span %" PRIu64,
                          path, name, numel < 0 ? (int64_t)-1 : numel * 4, r->end - r->begin);
    if (r->end > data_len)
        return clcnn_fail(CLCNN_STATUS_PARSE_ERROR,
                          "'%s': truncated: tensor '%s' ends at byte %" PRIu64 " of the data but "
                          "the file holds only %" PRIu64,
                          path, name, r->end, data_len);
    return CLCNN_STATUS_OK;
}

/* The safetensors rule: the tensors tile the data section exactly, with no gap, overlap or
 * trailing bytes, so any byte of the file is accounted for. */
static clcnn_status check_layout(const char *path, const clcnn_safetensors *st, st_range *ranges,
                                 uint64_t data_len) {
    int n = st->n_tensors;
    qsort(ranges, (size_t)n, sizeof *ranges, range_cmp);
    uint64_t at = 0;
    for (int i = 0; i < n; i++) {
        const char *name = st->tensors[ranges[i].index].name;
        if (ranges[i].begin != at)
            return clcnn_fail(CLCNN_STATUS_PARSE_ERROR,
                              "'%s': tensor '%s' starts at byte %" PRIu64 " of the data, expected "
                              "%" PRIu64 " (%s)",
                              path, name, ranges[i].begin, at,
                              ranges[i].begin < at ? "it overlaps another" : "a gap before it");
        at = ranges[i].end;
    }
    if (at != data_len)
        return clcnn_fail(CLCNN_STATUS_PARSE_ERROR,
                          "'%s': trailing garbage: %" PRIu64 " bytes after the last tensor", path,
                          data_len - at);
    return CLCNN_STATUS_OK;
}

static int key_cmp(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* No object anywhere in the header may hold a key twice: cJSON would read the first value and
 * Python's json the last, so two tools would see two different models. Sorted, so a header with
 * a million tensors costs n log n, not n^2. */
static clcnn_status check_unique_keys(const char *path, const cJSON *node) {
    int n = 0;
    for (const cJSON *c = node->child; c; c = c->next)
        n++;
    if (cJSON_IsObject(node) && n > 1) {
        const char **keys = malloc((size_t)n * sizeof *keys);
        if (!keys) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "reading '%s': out of memory", path);
        int k = 0;
        for (const cJSON *c = node->child; c; c = c->next)
            keys[k++] = c->string;
        qsort(keys, (size_t)n, sizeof *keys, key_cmp);
        const char *dup = NULL;
        for (int i = 1; i < n && !dup; i++)
            if (strcmp(keys[i - 1], keys[i]) == 0) dup = keys[i];
        clcnn_status s = dup ? clcnn_fail(CLCNN_STATUS_PARSE_ERROR,
                                          "'%s': key '%.128s' appears twice in one object of "
                                          "the header", path, dup)
                             : CLCNN_STATUS_OK;
        free(keys);
        CLCNN_TRY(s);
    }
    for (const cJSON *c = node->child; c; c = c->next)
        CLCNN_TRY(check_unique_keys(path, c));
    return CLCNN_STATUS_OK;
}

static clcnn_status parse_entries(const char *path, const cJSON *root, uint64_t data_len,
                                  clcnn_safetensors *out, st_range **ranges) {
    int n = cJSON_GetArraySize(root);
    out->tensors = calloc((size_t)n + 1, sizeof *out->tensors);
    *ranges = calloc((size_t)n + 1, sizeof **ranges);
    if (!out->tensors || !*ranges)
        return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "reading '%s': out of memory", path);
    CLCNN_TRY(check_unique_keys(path, root));
    for (const cJSON *item = root->child; item; item = item->next) {
        if (strcmp(item->string, "__metadata__") == 0) {
            CLCNN_TRY(parse_metadata(path, item, out));
            continue;
        }
        int i = out->n_tensors;
        CLCNN_TRY(parse_tensor(path, item, data_len, &out->tensors[i], &(*ranges)[i]));
        (*ranges)[i].index = i;
        out->n_tensors++;
    }
    return check_layout(path, out, *ranges, data_len);
}

/* Moves the data section to the front of the file buffer (malloc'ed, so aligned for floats),
 * which then becomes the blob the tensors point into. */
static void adopt_data(char *buf, size_t data_start, size_t data_len, clcnn_safetensors *out,
                       const st_range *ranges) {
    memmove(buf, buf + data_start, data_len);
    char *blob = realloc(buf, data_len ? data_len : 1);
    out->blob = blob ? blob : buf;
    if (!host_is_little_endian()) swap_f32(out->blob, data_len / 4);
    for (int i = 0; i < out->n_tensors; i++) {
        const st_range *r = &ranges[i];
        out->tensors[r->index].data =
            r->end > r->begin ? (float *)((char *)out->blob + r->begin) : NULL;
    }
}

clcnn_status clcnn_safetensors_read(const char *path, clcnn_safetensors *out) {
    if (!path || !out)
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "clcnn_safetensors_read: bad arguments");
    memset(out, 0, sizeof *out);
    char *buf;
    size_t len, data_start = 0;
    CLCNN_TRY(clcnn_read_file(path, &buf, &len));
    cJSON *root = NULL;
    st_range *ranges = NULL;
    clcnn_status st = parse_header(path, buf, len, &root, &data_start);
    if (st == CLCNN_STATUS_OK) st = parse_entries(path, root, len - data_start, out, &ranges);
    cJSON_Delete(root);
    if (st == CLCNN_STATUS_OK) {
        adopt_data(buf, data_start, len - data_start, out, ranges);
    } else {
        free(buf);
        clcnn_safetensors_free(out);
    }
    free(ranges);
    return st;
}

void clcnn_safetensors_free(clcnn_safetensors *st) {
    if (!st) return;
    for (int i = 0; st->meta_keys && st->meta_keys[i]; i++)
        free(st->meta_keys[i]);
    for (int i = 0; st->meta_values && st->meta_values[i]; i++)
        free(st->meta_values[i]);
    free(st->meta_keys);
    free(st->meta_values);
    free(st->tensors);
    free(st->blob);
    memset(st, 0, sizeof *st);
}

const clcnn_st_tensor *clcnn_safetensors_find(const clcnn_safetensors *st, const char *name) {
    for (int i = 0; st && name && i < st->n_tensors; i++)
        if (strcmp(st->tensors[i].name, name) == 0) return &st->tensors[i];
    return NULL;
}

const char *clcnn_safetensors_meta(const clcnn_safetensors *st, const char *key) {
    for (int i = 0; st && key && i < st->n_meta; i++)
        if (strcmp(st->meta_keys[i], key) == 0) return st->meta_values[i];
    return NULL;
}
