/* cl/route.c: measured route choices per device and shape, cached on disk so that runs sharing
 * a cache make the same choices (and so produce the same bits). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gemm.h"
#include "route.h"

typedef struct route_entry {
    char key[96];
    int route;
} route_entry;

struct clcnn_route_table {
    int n, cap;
    route_entry *entries;
    char path[1200];
};

static int grow(struct clcnn_route_table *t) {
    if (t->n < t->cap) return 1;
    int cap = t->cap ? t->cap * 2 : 32;
    route_entry *e = realloc(t->entries, (size_t)cap * sizeof *e);
    if (!e) return 0;
    t->entries = e;
    t->cap = cap;
    return 1;
}

/* "<key> <route>": a key of printable characters without spaces that fits, and a route this
 * version knows for that kind of key (a GEMM route, or a convolution algorithm under an
 * CLCNN_ROUTE_ALG_PREFIX key). Anything else (a torn line, another version's route, garbage) is
 * dropped: the shape is measured again, never run on a route read from a damaged file. */
static int parse_line(const char *path, char *line, route_entry *e) {
    char *space = strrchr(line, ' ');
    if (!space || space == line || (size_t)(space - line) >= sizeof e->key) return 0;
    *space = '\0';
    for (const char *c = line; *c; c++)
        if ((unsigned char)*c <= ' ' || (unsigned char)*c >= 127) return 0;
    int alg = !strncmp(line, CLCNN_ROUTE_ALG_PREFIX, strlen(CLCNN_ROUTE_ALG_PREFIX));
    int64_t route;
    if (clcnn_parse_int(space + 1, alg ? CLCNN_ROUTE_ALG_FIRST : CLCNN_ROUTE_OWN,
                        alg ? CLCNN_ROUTE_ALG_LAST : CLCNN_ROUTE_COUNT - 1, path, "a route",
                        &route) != CLCNN_STATUS_OK)
        return 0;
    snprintf(e->key, sizeof e->key, "%s", line);
    e->route = (int)route;
    return 1;
}

static clcnn_status table_read(struct clcnn_route_table *t, const char *path) {
    char *text;
    size_t len;
    if (!clcnn_file_exists(path)) return CLCNN_STATUS_OK;
    CLCNN_TRY(clcnn_read_file_max(path, 16 << 20, &text, &len));
    int dropped = memchr(text, '\0', len) != NULL;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        route_entry e;
        if (!parse_line(path, line, &e)) {
            dropped++;
            continue;
        }
        if (clcnn_route_find(t, e.key)) continue; /* the first one counts, as before */
        if (!grow(t)) break;
        t->entries[t->n++] = e;
    }
    free(text);
    if (dropped)
        clcnn_log(CLCNN_LOG_WARN, "route cache '%s': %d damaged line(s) dropped; those shapes are "
                                  "measured again", path, dropped);
    return CLCNN_STATUS_OK;
}

int clcnn_route_find(const struct clcnn_route_table *t, const char *key) {
    for (int i = 0; i < t->n; i++)
        if (strcmp(t->entries[i].key, key) == 0) return t->entries[i].route;
    return 0;
}

clcnn_status clcnn_route_table_load(const char *path, int read, struct clcnn_route_table **out) {
    struct clcnn_route_table *t = *out = calloc(1, sizeof *t);
    if (!t) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
    CLCNN_TRY(clcnn_strfmt(t->path, sizeof t->path, "%s", path));
    return read ? table_read(t, path) : CLCNN_STATUS_OK;
}

void clcnn_route_table_free(struct clcnn_route_table *t) {
    if (!t) return;
    free(t->entries);
    free(t);
}

clcnn_status clcnn_route_table_create(clcnn_context *ctx) {
    char path[1200];
    CLCNN_TRY(clcnn_strfmt(path, sizeof path, "%s/routes/%s.txt", ctx->cache_dir, ctx->device_key));
    /* A cache that cannot be read is not an error: the shapes are measured again. */
    clcnn_status s = clcnn_route_table_load(path, ctx->disk_cache, &ctx->routes);
    if (s == CLCNN_STATUS_OUT_OF_MEMORY) return s;
    if (s != CLCNN_STATUS_OK) clcnn_log(CLCNN_LOG_WARN, "route cache: %s", clcnn_last_error());
    return CLCNN_STATUS_OK;
}

void clcnn_route_table_destroy(clcnn_context *ctx) {
    if (!ctx) return;
    clcnn_route_table_free(ctx->routes);
    ctx->routes = NULL;
}

int clcnn_route_lookup(clcnn_context *ctx, const char *key) { return clcnn_route_find(ctx->routes, key); }

static clcnn_status save(clcnn_context *ctx) {
    struct clcnn_route_table *t = ctx->routes;
    size_t cap = (size_t)t->n * 112 + 1, len = 0;
    char *text = malloc(cap);
    if (!text) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
    for (int i = 0; i < t->n; i++)
        len += (size_t)snprintf(text + len, cap - len, "%s %d\n", t->entries[i].key, t->entries[i].route);
    char dir[1100];
    snprintf(dir, sizeof dir, "%s/routes", ctx->cache_dir);
    clcnn_status s = clcnn_mkdir_p(dir);
    if (s == CLCNN_STATUS_OK) s = clcnn_write_file_atomic(t->path, text, len);
    free(text);
    return s;
}

int clcnn_route_pick(const double *seconds, int n, int def) {
    int best = def;
    for (int i = 0; i < n; i++)
        if (i != def && seconds[i] <= CLCNN_ROUTE_WIN * seconds[def] && seconds[i] < seconds[best])
            best = i;
    return best;
}

double clcnn_route_median(const double *seconds, int n) {
    double t[16];
    if (n > 16) n = 16;
    if (n <= 0) return INFINITY;
    memcpy(t, seconds, (size_t)n * sizeof *t);
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && t[j] < t[j - 1]; j--) {
            double x = t[j];
            t[j] = t[j - 1];
            t[j - 1] = x;
        }
    return n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
}

clcnn_status clcnn_route_store(clcnn_context *ctx, const char *key, int route) {
    struct clcnn_route_table *t = ctx->routes;
    if (!grow(t)) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
    snprintf(t->entries[t->n].key, sizeof t->entries[0].key, "%s", key);
    t->entries[t->n++].route = route;
    /* Parallel processes may race here; the last rename wins and both files are whole. */
    if (ctx->disk_cache) return save(ctx);
    return CLCNN_STATUS_OK;
}
