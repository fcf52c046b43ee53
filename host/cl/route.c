/* cl/route.c: measured route choices per device and shape, cached on disk so that runs sharing
 * a cache make the same choices (and so produce the same bits). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

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

static void load(struct clcnn_route_table *t) {
    char *text;
    size_t len;
    if (clcnn_read_file(t->path, &text, &len) != CLCNN_STATUS_OK) return;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *space = strrchr(line, ' ');
        if (!space || space == line) continue;
        *space = '\0';
        if (t->n == t->cap) {
            int cap = t->cap ? t->cap * 2 : 32;
            route_entry *e = realloc(t->entries, (size_t)cap * sizeof *e);
            if (!e) break;
            t->entries = e;
            t->cap = cap;
        }
        snprintf(t->entries[t->n].key, sizeof t->entries[0].key, "%s", line);
        t->entries[t->n++].route = atoi(space + 1);
    }
    free(text);
}

clcnn_status clcnn_route_table_create(clcnn_context *ctx) {
    struct clcnn_route_table *t = calloc(1, sizeof *t);
    if (!t) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
    snprintf(t->path, sizeof t->path, "%s/routes/%s.txt", ctx->cache_dir, ctx->device_key);
    if (ctx->disk_cache) load(t);
    ctx->routes = t;
    return CLCNN_STATUS_OK;
}

void clcnn_route_table_destroy(clcnn_context *ctx) {
    if (!ctx || !ctx->routes) return;
    free(ctx->routes->entries);
    free(ctx->routes);
    ctx->routes = NULL;
}

int clcnn_route_lookup(clcnn_context *ctx, const char *key) {
    struct clcnn_route_table *t = ctx->routes;
    for (int i = 0; i < t->n; i++)
        if (strcmp(t->entries[i].key, key) == 0) return t->entries[i].route;
    return 0;
}

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
    if (t->n == t->cap) {
        int cap = t->cap ? t->cap * 2 : 32;
        route_entry *e = realloc(t->entries, (size_t)cap * sizeof *e);
        if (!e) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
        t->entries = e;
        t->cap = cap;
    }
    snprintf(t->entries[t->n].key, sizeof t->entries[0].key, "%s", key);
    t->entries[t->n++].route = route;
    /* Parallel processes may race here; the last rename wins and both files are whole. */
    if (ctx->disk_cache) return save(ctx);
    return CLCNN_STATUS_OK;
}
