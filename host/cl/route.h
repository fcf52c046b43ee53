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
/* The cached route for a shape key, or 0 (AUTO) if none. */
int clcnn_route_lookup(clcnn_context *ctx, const char *key);
/* Records a choice and rewrites the file atomically (when the disk cache is on). */
clcnn_status clcnn_route_store(clcnn_context *ctx, const char *key, int route);

#endif
