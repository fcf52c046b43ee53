/* cl/route.h: the per-device table of measured route choices, kept in
 * CLCNN_CACHE_DIR/routes/<device key>.txt ("<shape key> <route>" per line). */
#ifndef CLCNN_ROUTE_H
#define CLCNN_ROUTE_H

#include "cl.h"

clcnn_status clcnn_route_table_create(clcnn_context *ctx);
void clcnn_route_table_destroy(clcnn_context *ctx);
/* A new table for path, read from it when read is set: a missing file is an empty table,
 * damaged lines are dropped (logged). *out is set even on failure (free it). */
struct clcnn_route_table;
clcnn_status clcnn_route_table_load(const char *path, int read, struct clcnn_route_table **out);
void clcnn_route_table_free(struct clcnn_route_table *t);
int clcnn_route_find(const struct clcnn_route_table *t, const char *key);
/* Convolution algorithms (nn/conv2d.h) share the table under keys that start with
 * CLCNN_ROUTE_ALG_PREFIX, with values of their own, apart from the GEMM routes': a line whose
 * value is outside its key's range is dropped as damaged, so neither is ever read as the other.
 * (Older versions stored the algorithm as 1/2 under "conv-a..." keys: nothing looks those up.) */
#define CLCNN_ROUTE_ALG_PREFIX "alg-"
#define CLCNN_ROUTE_ALG_FIRST 101
#define CLCNN_ROUTE_ALG_LAST 116
/* The cached route for a shape key, or 0 (AUTO) if none. */
int clcnn_route_lookup(clcnn_context *ctx, const char *key);
/* A challenger must take at most this share of the default route's time to replace it. */
#define CLCNN_ROUTE_WIN 0.95
/* The route to keep among n timed ones (seconds; INFINITY for one that failed): the default
 * (index def) unless another is faster by at least 5% (t <= CLCNN_ROUTE_WIN * t[def]), then the
 * fastest such. Timings a few percent apart flip with noise, so they never move the choice. */
int clcnn_route_pick(const double *seconds, int n, int def);
/* The median of n timings (n <= 16), sorting a copy. */
double clcnn_route_median(const double *seconds, int n);
/* Records a choice and rewrites the file atomically (when the disk cache is on). */
clcnn_status clcnn_route_store(clcnn_context *ctx, const char *key, int route);

#endif
