/* core/cache_entry.c: cache files that prove what they hold. An entry is one header line,
 * "clcnn-cache 1 <key> <payload bytes> <XXH3-128 of the payload>", then the payload. A reader
 * trusts an entry only if the header is whole, the key is the one it asked for (a file copied
 * from another key or written by another version is foreign), and the length and checksum match
 * (a torn write or a flipped bit): anything else means "not cached", and the caller rebuilds. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

#define ENTRY_MAGIC "clcnn-cache 1 "

static void payload_hash(const void *data, size_t len, char hex[33]) {
    clcnn_hasher *h = clcnn_hasher_create();
    if (!h) {
        hex[0] = '\0';
        return;
    }
    clcnn_hasher_update(h, data, len);
    clcnn_hasher_hex(h, hex);
    clcnn_hasher_destroy(h);
}

clcnn_status clcnn_cache_entry_write(const char *path, const char *key, const void *data,
                                     size_t len) {
    char hex[33], header[256];
    payload_hash(data, len, hex);
    CLCNN_TRY(clcnn_strfmt(header, sizeof header, ENTRY_MAGIC "%s %zu %s\n", key, len, hex));
    size_t k = strlen(header);
    char *buf = malloc(k + len + 1);
    if (!buf) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory writing '%s'", path);
    memcpy(buf, header, k);
    if (len) memcpy(buf + k, data, len);
    clcnn_status s = clcnn_write_file_atomic(path, buf, k + len);
    free(buf);
    return s;
}

int clcnn_cache_entry_parse(const char *text, size_t n, const char *key, size_t *offset,
                            size_t *len) {
    size_t m = strlen(ENTRY_MAGIC), k = strlen(key);
    const char *nl = memchr(text, '\n', n < 256 ? n : 256);
    if (!nl || n < m + k + 1 || memcmp(text, ENTRY_MAGIC, m) != 0 ||
        memcmp(text + m, key, k) != 0 || text[m + k] != ' ')
        return 0;
    char line[256];
    size_t line_len = (size_t)(nl - text);
    memcpy(line, text, line_len);
    line[line_len] = '\0';
    const char *p = line + m + k + 1, *space = strchr(p, ' ');
    if (!space || strlen(space + 1) != 32) return 0;
    char num[32];
    if ((size_t)(space - p) >= sizeof num) return 0;
    memcpy(num, p, (size_t)(space - p));
    num[space - p] = '\0';
    int64_t want;
    if (clcnn_parse_int(num, 0, INT64_MAX, "cache entry", "length", &want) != CLCNN_STATUS_OK)
        return 0;
    size_t start = line_len + 1;
    if ((uint64_t)want != n - start) return 0;
    char hex[33];
    payload_hash(text + start, n - start, hex);
    if (strcmp(hex, space + 1) != 0) return 0;
    *offset = start;
    *len = n - start;
    return 1;
}

int clcnn_cache_entry_read(const char *path, const char *key, char **data, size_t *len) {
    char *text;
    size_t n, offset, k;
    *data = NULL;
    *len = 0;
    if (clcnn_read_file(path, &text, &n) != CLCNN_STATUS_OK) return 0;
    if (!clcnn_cache_entry_parse(text, n, key, &offset, &k)) {
        clcnn_log(CLCNN_LOG_DEBUG, "cache entry '%s' is damaged or foreign: rebuilt", path);
        free(text);
        return 0;
    }
    memmove(text, text + offset, k);
    text[k] = '\0';
    *data = text;
    *len = k;
    return 1;
}
