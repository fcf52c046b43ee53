/* config/load.h: the YAML side of the loader, shared by load.c (sections, layers, key paths) and
 * hpdecl.c (hyperparameter declarations). Internal to host/config/. */
#ifndef CLCNN_CONFIG_LOAD_H
#define CLCNN_CONFIG_LOAD_H

#include <yaml.h>

#include "config/schema.h"
#include "core/core.h"

#define CFG_PATH_MAX CLCNN_HP_TARGET_MAX /* a key path, as a hyperparameter's target holds it */

/* A target of a tune.hyperparameters entry, checked once the whole document is loaded (the
 * model's layers may come after the tune section). */
typedef struct cfg_deferred {
    int hparam, target;
    yaml_mark_t mark;
} cfg_deferred;

/* One load or set: where values and declarations go, where messages point, the key path being
 * set. spec and space are the call's working copies, committed only on success; space is NULL
 * only in a target check (cfg_check_target), which sets values and never declares. */
typedef struct cfg_ctx {
    clcnn_spec *spec;
    clcnn_search_space *space;
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

/* Whether a key can hold a hyperparameter by its kind (scalars; lists and sections cannot). */
int cfg_hp_capable(const cfg_key *k);

/* What a key path names in a spec: a key of the struct at base, or (key NULL) a whole layer. */
typedef struct cfg_resolved {
    const cfg_key *key;
    void *base;
    int layer; /* the layer index, or -1 */
} cfg_resolved;

/* Finds the key path in spec; c->path becomes the path with its indices normalized. */
clcnn_status cfg_resolve(cfg_ctx *c, clcnn_spec *spec, const char *path, cfg_resolved *out);
/* Sets the key (or whole layer) at path of c->spec from a YAML text. */
clcnn_status cfg_set_path_text(cfg_ctx *c, const char *path, const char *text);

/* Runs fn on copies of spec and space (an empty space when NULL) with a context whose messages
 * start with prefix; the copies replace the originals only if fn and the deferred target checks
 * succeed, so a failed --set or apply changes neither. */
clcnn_status cfg_on_copy(clcnn_spec *spec, clcnn_search_space *space, const char *prefix,
                         clcnn_status (*fn)(cfg_ctx *c, const void *arg), const void *arg);

/* ---- hpdecl.c: declarations and their targets -------------------------------------------- */

/* `key: {hp: int, name: ..., ...}` in place of a value, and the tune.hyperparameters list. */
clcnn_status cfg_declare_inline(cfg_ctx *c, const cfg_key *k, void *base, yaml_node_t *map);
clcnn_status cfg_declare_list(cfg_ctx *c, yaml_node_t *list);
/* Checks the targets of tune.hyperparameters entries, once the whole document is in. */
clcnn_status cfg_check_deferred(cfg_ctx *c);
/* `--set key=value` fixes the key: hyperparameters stop targeting it (and anything below it), and
 * one left with no target leaves the space unless another depends on it. */
void cfg_drop_targets(clcnn_search_space *space, const char *path);

#endif
