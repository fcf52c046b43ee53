/* config/load.h: the YAML side of the loader, shared by load.c (sections, layers, key paths) and
 * hpdecl.c (hyperparameter declarations). Internal to host/config/. */
#ifndef CLCNN_CONFIG_LOAD_H
#define CLCNN_CONFIG_LOAD_H

#include <yaml.h>

#include "config/schema.h"
#include "core/core.h"

#define CFG_PATH_MAX 128 /* = the size of clcnn_tune_spec.targets' strings */

/* A target of a tune.hyperparameters entry, checked once the whole document is loaded (the
 * model's layers may come after the tune section). */
typedef struct cfg_deferred {
    int hparam, target;
    yaml_mark_t mark;
} cfg_deferred;

/* One load or set: where values go, where messages point, the key path being set. */
typedef struct cfg_ctx {
    clcnn_spec *spec;
    yaml_document_t *doc;         /* the document the nodes belong to */
    const char *file;             /* messages start "file:line:col: " when set... */
    const char *prefix;           /* ...else "prefix: " ("--set train.epochs=x") */
    char path[CFG_PATH_MAX + 64]; /* "model.layers.0.filters" */
    int n_deferred;
    cfg_deferred deferred[CLCNN_MAX_HPARAMS * CLCNN_MAX_HP_TARGETS];
} cfg_ctx;

/* Records "where: message" as the last error (where from node n, or the prefix). */
clcnn_status cfg_fail(cfg_ctx *c, const yaml_node_t *n, clcnn_status status, const char *fmt, ...)
    CLCNN_PRINTF(4, 5);
/* "file:line:col" of n (or of mark), or the prefix. */
void cfg_where(const cfg_ctx *c, const yaml_mark_t *mark, char *buf, size_t n);

yaml_node_t *cfg_node(cfg_ctx *c, int index);
const char *cfg_text(const yaml_node_t *n); /* a scalar's text; "" for other nodes */
int cfg_is_null(const yaml_node_t *n);      /* a plain null scalar (null, ~, empty) */
void cfg_what(const yaml_node_t *n, char *buf, size_t len); /* "'abc'", "a map", "a list" */
yaml_node_t *cfg_map_get(cfg_ctx *c, yaml_node_t *map, const char *key);
clcnn_status cfg_check_unique_keys(cfg_ctx *c, yaml_node_t *map);

/* Sets the field of key k in the struct at base from node n (which may declare a
 * hyperparameter); c->path names the key. */
clcnn_status cfg_set_node(cfg_ctx *c, const cfg_key *k, void *base, yaml_node_t *n);
/* The same with a YAML text for the value ("64", "[3, 5]", "\"relu\""). */
clcnn_status cfg_set_key_text(cfg_ctx *c, const cfg_key *k, void *base, const char *text);

/* hpdecl.c: `key: {hp: int, name: ..., ...}` in place of a value, and tune.hyperparameters. */
clcnn_status cfg_declare_inline(cfg_ctx *c, const cfg_key *k, void *base, yaml_node_t *map);
clcnn_status cfg_declare_list(cfg_ctx *c, yaml_node_t *list);

#endif
