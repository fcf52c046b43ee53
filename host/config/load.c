/* config/load.c: YAML to spec through the schema tables: sections, the layer list, class names,
 * key paths ("model.layers.0.filters") for clcnn_config_set and clcnn_spec_apply_hparams. Every
 * value, whether from a file, --set or a trial's hyperparameters, goes through cfg_set_node;
 * declarations and what hyperparameters target are hpdecl.c's. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clcnn/config.h"
#include "config/load.h"
#include "core/layers.h"

/* ---- nodes and messages --------------------------------------------------------------------- */

void cfg_where(const cfg_ctx *c, const yaml_mark_t *mark, char *buf, size_t n) {
    if (c->file && mark)
        snprintf(buf, n, "%s:%zu:%zu", c->file, mark->line + 1, mark->column + 1);
    else
        snprintf(buf, n, "%s", c->file ? c->file : c->prefix);
}

clcnn_status cfg_fail(cfg_ctx *c, const yaml_node_t *n, clcnn_status status, const char *fmt, ...) {
    char msg[6144], where[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cfg_where(c, n ? &n->start_mark : NULL, where, sizeof where);
    return clcnn_fail(status, "%s: %s", where, msg);
}

yaml_node_t *cfg_node(cfg_ctx *c, int index) {
    return yaml_document_get_node(c->doc, index);
}

const char *cfg_text(const yaml_node_t *n) {
    return n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : "";
}

int cfg_is_null(const yaml_node_t *n) {
    return n->type == YAML_SCALAR_NODE && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
           cfg_is_null_text(cfg_text(n));
}

void cfg_what(const yaml_node_t *n, char *buf, size_t len) {
    if (n->type == YAML_MAPPING_NODE)
        snprintf(buf, len, "a map");
    else if (n->type == YAML_SEQUENCE_NODE)
        snprintf(buf, len, "a list");
    else if (cfg_is_null(n))
        snprintf(buf, len, "null");
    else
        snprintf(buf, len, "'%.200s'", cfg_text(n));
}

yaml_node_t *cfg_map_get(cfg_ctx *c, yaml_node_t *map, const char *key) {
    if (map->type != YAML_MAPPING_NODE) return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++)
        if (!strcmp(cfg_text(cfg_node(c, p->key)), key)) return cfg_node(c, p->value);
    return NULL;
}

clcnn_status cfg_check_unique_keys(cfg_ctx *c, yaml_node_t *map) {
    yaml_node_pair_t *start = map->data.mapping.pairs.start, *top = map->data.mapping.pairs.top;
    for (yaml_node_pair_t *p = start; p < top; p++) {
        yaml_node_t *key = cfg_node(c, p->key);
        if (key->type != YAML_SCALAR_NODE)
            return cfg_fail(c, key, CLCNN_STATUS_PARSE_ERROR, "a key must be a plain name");
        for (yaml_node_pair_t *q = start; q < p; q++)
            if (!strcmp(cfg_text(cfg_node(c, q->key)), cfg_text(key)))
                return cfg_fail(c, key, CLCNN_STATUS_PARSE_ERROR, "duplicate key '%s'",
                                cfg_text(key));
    }
    return CLCNN_STATUS_OK;
}

static size_t path_push(cfg_ctx *c, const char *name) {
    size_t old = strlen(c->path);
    snprintf(c->path + old, sizeof c->path - old, "%s%s", old ? "." : "", name);
    return old;
}

static size_t path_push_index(cfg_ctx *c, int i) {
    char s[16];
    snprintf(s, sizeof s, "%d", i);
    return path_push(c, s);
}

static void path_pop(cfg_ctx *c, size_t old) {
    c->path[old] = '\0';
}

static const char *path_or_top(const cfg_ctx *c) {
    return c->path[0] ? c->path : "the config";
}

static clcnn_status expected(cfg_ctx *c, const cfg_key *k, const yaml_node_t *n) {
    char want[600], got[256];
    cfg_describe(k, want, sizeof want);
    cfg_what(n, got, sizeof got);
    return cfg_fail(c, n, CLCNN_STATUS_INVALID_ARGUMENT, "%s: expected %s, got %s", path_or_top(c),
                    want, got);
}

/* ---- keys of a map --------------------------------------------------------------------------- */

/* A key table with, for a layer, the layer type that filters it. */
typedef struct key_set {
    const cfg_key *keys;
    int n;
    const cfg_layer_type *layer; /* NULL for sections */
    int allow_type;              /* layers: whether "type" may appear */
    char where[96];              /* "train", "layer 0 (conv2d)" */
} key_set;

static int key_visible(const key_set *s, int i) {
    if (!s->layer) return 1;
    if (i == CFG_LK_TYPE) return s->allow_type;
    return cfg_layer_reads(s->layer, i);
}

static const cfg_key *key_find(const key_set *s, const char *name) {
    for (int i = 0; i < s->n; i++)
        if (key_visible(s, i) && !strcmp(s->keys[i].name, name)) return &s->keys[i];
    return NULL;
}

static clcnn_status unknown_key(cfg_ctx *c, const yaml_node_t *n, const char *name,
                                const key_set *s) {
    char known[1024] = "", hint[128] = "";
    size_t used = 0;
    int best = 3;
    for (int i = 0; i < s->n; i++) {
        if (!key_visible(s, i) || (s->layer && i == CFG_LK_TYPE)) continue;
        used += (size_t)snprintf(known + used, sizeof known - used, "%s%s", used ? ", " : "",
                                 s->keys[i].name);
        int d = cfg_edit_distance(name, s->keys[i].name);
        if (d < best && 2 * d < (int)strlen(s->keys[i].name)) {
            best = d;
            snprintf(hint, sizeof hint, " (did you mean '%s'?)", s->keys[i].name);
        }
        if (used >= sizeof known) break;
    }
    return cfg_fail(c, n, CLCNN_STATUS_NOT_FOUND, "unknown key '%s' in %s%s; known keys: %s", name,
                    s->where, hint, known[0] ? known : "(none)");
}

/* Applies each key of map: CFG_LEADS keys first (the optimizer's name before its learning rate,
 * a layer's type before the rest), then the others in document order. */
static clcnn_status apply_map(cfg_ctx *c, const key_set *s, void *base, yaml_node_t *map) {
    CLCNN_TRY(cfg_check_unique_keys(c, map));
    for (int pass = 0; pass < 2; pass++) {
        for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
             p++) {
            yaml_node_t *key = cfg_node(c, p->key);
            const cfg_key *k = key_find(s, cfg_text(key));
            if (!k) return unknown_key(c, key, cfg_text(key), s);
            if (((k->flags & CFG_LEADS) != 0) == pass) continue; /* leaders in pass 0 */
            size_t old = path_push(c, k->name);
            clcnn_status st = cfg_set_node(c, k, base, cfg_node(c, p->value));
            path_pop(c, old);
            CLCNN_TRY(st);
        }
    }
    return CLCNN_STATUS_OK;
}

static void section_keys(const cfg_section *sec, key_set *s) {
    memset(s, 0, sizeof *s);
    s->keys = sec->keys;
    s->n = sec->n_keys;
    snprintf(s->where, sizeof s->where, "%s", sec->path[0] ? sec->path : "the config");
}

static void layer_keys(const cfg_layer_type *t, int index, int allow_type, key_set *s) {
    memset(s, 0, sizeof *s);
    s->keys = cfg_layer_keys;
    s->n = CFG_N_LAYER_KEYS;
    s->layer = t;
    s->allow_type = allow_type;
    snprintf(s->where, sizeof s->where, "layer %d (%s)", index, t->name);
}

static clcnn_status set_section(cfg_ctx *c, const cfg_section *sec, void *base, yaml_node_t *n) {
    key_set s;
    section_keys(sec, &s);
    if (cfg_is_null(n)) return CLCNN_STATUS_OK;
    if (n->type == YAML_SCALAR_NODE && sec->scalar_key) {
        const cfg_key *k = cfg_section_find(sec, sec->scalar_key);
        size_t old = path_push(c, k->name);
        clcnn_status st = cfg_set_node(c, k, base, n);
        path_pop(c, old);
        return st;
    }
    if (n->type != YAML_MAPPING_NODE) {
        char got[256];
        cfg_what(n, got, sizeof got);
        return cfg_fail(c, n, CLCNN_STATUS_INVALID_ARGUMENT, "%s: expected a map, got %s",
                        path_or_top(c), got);
    }
    return apply_map(c, &s, base, n);
}

/* ---- layers ---------------------------------------------------------------------------------- */

static clcnn_status unknown_type(cfg_ctx *c, const yaml_node_t *n, int index) {
    return cfg_fail(c, n, CLCNN_STATUS_NOT_FOUND,
                    "unknown layer type '%s' in layer %d; known types: %s", cfg_text(n), index,
                    CLCNN_LAYER_TYPE_NAMES);
}

/* Layer `index` of the model from one list item, in any of its three forms:
 *   - conv2d: {filters: 64}     - {type: conv2d, filters: 64}     - flatten
 * c->path is "model.layers.<index>". */
static clcnn_status set_layer(cfg_ctx *c, clcnn_model_spec *m, int index, yaml_node_t *item) {
    yaml_node_t *type = NULL, *body = NULL;
    int single = 0;
    if (item->type == YAML_SCALAR_NODE && !cfg_is_null(item)) {
        type = item;
    } else if (item->type == YAML_MAPPING_NODE && (type = cfg_map_get(c, item, "type"))) {
        body = item;
    } else if (item->type == YAML_MAPPING_NODE &&
               item->data.mapping.pairs.top - item->data.mapping.pairs.start == 1) {
        type = cfg_node(c, item->data.mapping.pairs.start->key);
        body = cfg_node(c, item->data.mapping.pairs.start->value);
        single = 1;
    } else {
        return cfg_fail(c, item, CLCNN_STATUS_INVALID_ARGUMENT,
                        "layer %d: expected '- <type>: {key: value, ...}', '- {type: <type>, ...}' "
                        "or '- <type>'",
                        index);
    }
    if (type->type != YAML_SCALAR_NODE)
        return cfg_fail(c, type, CLCNN_STATUS_INVALID_ARGUMENT, "layer %d: the type must be a name",
                        index);
    const cfg_layer_type *t = cfg_find_layer_type(cfg_text(type));
    if (!t) return unknown_type(c, type, index);

    clcnn_layer_spec *l = &m->layers[index];
    clcnn_layer_spec_default(l, t->name);
    if (c->file) {
        l->line = (int)item->start_mark.line + 1;
        l->column = (int)item->start_mark.column + 1;
    }
    if (index >= m->n_layers) m->n_layers = index + 1;
    if (!body || cfg_is_null(body)) return CLCNN_STATUS_OK;
    if (body->type != YAML_MAPPING_NODE) {
        char got[256];
        cfg_what(body, got, sizeof got);
        return cfg_fail(c, body, CLCNN_STATUS_INVALID_ARGUMENT,
                        "layer %d (%s): expected a map of its keys, got %s", index, t->name, got);
    }
    key_set s;
    layer_keys(t, index, !single, &s);
    return apply_map(c, &s, l, body);
}

static clcnn_status set_layers(cfg_ctx *c, clcnn_model_spec *m, yaml_node_t *n) {
    if (cfg_is_null(n)) {
        m->n_layers = 0;
        return CLCNN_STATUS_OK;
    }
    if (n->type != YAML_SEQUENCE_NODE) {
        char got[256];
        cfg_what(n, got, sizeof got);
        return cfg_fail(c, n, CLCNN_STATUS_INVALID_ARGUMENT,
                        "%s: expected a list of layers, got %s", c->path, got);
    }
    m->n_layers = 0;
    memset(m->layers, 0, sizeof m->layers);
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
         it++) {
        if (m->n_layers == CLCNN_MAX_LAYERS)
            return cfg_fail(c, cfg_node(c, *it), CLCNN_STATUS_INVALID_ARGUMENT,
                            "more than %d layers", CLCNN_MAX_LAYERS);
        size_t old = path_push_index(c, m->n_layers);
        clcnn_status st = set_layer(c, m, m->n_layers, cfg_node(c, *it));
        path_pop(c, old);
        CLCNN_TRY(st);
    }
    return CLCNN_STATUS_OK;
}

/* ---- lists of numbers and names -------------------------------------------------------------- */

static clcnn_status set_ints(cfg_ctx *c, const cfg_key *k, void *base, yaml_node_t *n, int count) {
    int *field = (int *)((char *)base + k->offset);
    if (n->type != YAML_SEQUENCE_NODE ||
        n->data.sequence.items.top - n->data.sequence.items.start != count)
        return expected(c, k, n);
    int v[3];
    for (int i = 0; i < count; i++) {
        yaml_node_t *item = cfg_node(c, n->data.sequence.items.start[i]);
        long long x;
        if (item->type != YAML_SCALAR_NODE || !cfg_parse_int(cfg_text(item), &x) ||
            !cfg_in_range(k, (double)x))
            return expected(c, k, item);
        v[i] = (int)x;
    }
    memcpy(field, v, sizeof(int) * (size_t)count);
    return CLCNN_STATUS_OK;
}

static clcnn_status set_classes(cfg_ctx *c, const cfg_key *k, clcnn_data_spec *d, yaml_node_t *n) {
    long long count;
    if (n->type == YAML_SCALAR_NODE && cfg_parse_int(cfg_text(n), &count)) {
        if (count < 1 || count > CLCNN_MAX_CLASSES) return expected(c, k, n);
        d->n_classes = (int)count;
        memset(d->classes, 0, sizeof d->classes);
        for (int i = 0; i < d->n_classes; i++)
            snprintf(d->classes[i], sizeof d->classes[i], "%d", i);
        return CLCNN_STATUS_OK;
    }
    if (n->type != YAML_SEQUENCE_NODE) return expected(c, k, n);
    long items = (long)(n->data.sequence.items.top - n->data.sequence.items.start);
    if (items < 1 || items > CLCNN_MAX_CLASSES) return expected(c, k, n);
    char names[CLCNN_MAX_CLASSES][CLCNN_CLASS_NAME_MAX] = {{0}};
    for (long i = 0; i < items; i++) {
        yaml_node_t *item = cfg_node(c, n->data.sequence.items.start[i]);
        const char *name = cfg_text(item);
        if (item->type != YAML_SCALAR_NODE || cfg_is_null(item) || !*name ||
            strlen(name) >= CLCNN_CLASS_NAME_MAX)
            return cfg_fail(c, item, CLCNN_STATUS_INVALID_ARGUMENT,
                            "%s[%ld]: expected a class name of 1 to %d bytes", c->path, i,
                            CLCNN_CLASS_NAME_MAX - 1);
        memcpy(names[i], name, strlen(name));
    }
    memcpy(d->classes, names, sizeof names);
    d->n_classes = (int)items;
    return CLCNN_STATUS_OK;
}

/* ---- one value ------------------------------------------------------------------------------- */

int cfg_hp_capable(const cfg_key *k) {
    return k->kind != CFG_TRIPLE && k->kind != CFG_CLASSES && k->kind != CFG_LAYERS &&
           k->kind != CFG_SECTION && k->kind != CFG_HPARAMS;
}

clcnn_status cfg_set_node(cfg_ctx *c, const cfg_key *k, void *base, yaml_node_t *n) {
    if (n->type == YAML_MAPPING_NODE && cfg_hp_capable(k) && cfg_map_get(c, n, "hp")) {
        if (k->flags & CFG_NO_HP)
            return cfg_fail(c, n, CLCNN_STATUS_INVALID_ARGUMENT, "%s cannot be a hyperparameter",
                            c->path);
        return cfg_declare_inline(c, k, base, n);
    }
    switch (k->kind) {
    case CFG_SECTION:
        return set_section(c, k->sub, (char *)base + k->offset, n);
    case CFG_LAYERS:
        return set_layers(c, base, n);
    case CFG_CLASSES:
        return set_classes(c, k, base, n);
    case CFG_HPARAMS:
        return cfg_declare_list(c, n);
    case CFG_TRIPLE:
        return set_ints(c, k, base, n, 3);
    case CFG_PAIR:
        if (n->type == YAML_SEQUENCE_NODE) return set_ints(c, k, base, n, 2);
        break;
    default:
        break;
    }
    if (n->type != YAML_SCALAR_NODE) return expected(c, k, n);
    char *field = (char *)base + k->offset;
    char old[CLCNN_PATH_MAX], err[1024];
    size_t size = k->size < sizeof old ? k->size : sizeof old;
    memcpy(old, field, size);
    if (!cfg_parse_scalar(k, base, cfg_text(n), cfg_is_null(n), err, sizeof err))
        return cfg_fail(c, n, CLCNN_STATUS_INVALID_ARGUMENT, "%s: %s", c->path, err);
    if (k->changed && memcmp(old, field, size)) k->changed(base, old);
    return CLCNN_STATUS_OK;
}

/* ---- YAML text ------------------------------------------------------------------------------- */

static clcnn_status parser_error(cfg_ctx *c, const yaml_parser_t *p) {
    char where[1200], ctx[256] = "";
    if (p->context)
        snprintf(ctx, sizeof ctx, " (%s at line %zu, column %zu)", p->context,
                 p->context_mark.line + 1, p->context_mark.column + 1);
    cfg_where(c, &p->problem_mark, where, sizeof where);
    return clcnn_fail(CLCNN_STATUS_PARSE_ERROR, "%s: %s%s", where,
                      p->problem ? p->problem : "malformed YAML", ctx);
}

/* Parses text into doc (the caller deletes it). An empty text is a null. */
static clcnn_status parse_text(cfg_ctx *c, const char *text, yaml_document_t *doc) {
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "cannot create a YAML parser");
    if (!text[strspn(text, " \t")]) text = "null";
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, strlen(text));
    clcnn_status st = CLCNN_STATUS_OK;
    if (!yaml_parser_load(&parser, doc))
        st = parser_error(c, &parser);
    else if (!yaml_document_get_root_node(doc)) {
        yaml_document_delete(doc);
        st = cfg_fail(c, NULL, CLCNN_STATUS_PARSE_ERROR, "no value");
    }
    yaml_parser_delete(&parser);
    return st;
}

clcnn_status cfg_set_key_text(cfg_ctx *c, const cfg_key *k, void *base, const char *text) {
    yaml_document_t doc, *saved = c->doc;
    CLCNN_TRY(parse_text(c, text, &doc));
    c->doc = &doc;
    clcnn_status st = cfg_set_node(c, k, base, yaml_document_get_root_node(&doc));
    c->doc = saved;
    yaml_document_delete(&doc);
    return st;
}

/* ---- key paths ------------------------------------------------------------------------------- */

clcnn_status cfg_resolve(cfg_ctx *c, clcnn_spec *spec, const char *path, cfg_resolved *out) {
    key_set s;
    section_keys(&cfg_root, &s);
    void *base = spec;
    clcnn_model_spec *list = NULL; /* set when the next component is a layer index */
    c->path[0] = '\0';
    out->layer = -1;
    for (const char *p = path;;) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        char name[64];
        if (len == 0 || len >= sizeof name)
            return cfg_fail(c, NULL, CLCNN_STATUS_INVALID_ARGUMENT,
                            "'%s' is not a key path (like train.epochs)", path);
        memcpy(name, p, len);
        name[len] = '\0';
        if (list) {
            char *end;
            long i = strtol(name, &end, 10);
            if (*end || i < 0)
                return cfg_fail(c, NULL, CLCNN_STATUS_INVALID_ARGUMENT,
                                "%s: '%s' is not a layer index", c->path, name);
            if (i >= list->n_layers)
                return cfg_fail(c, NULL, CLCNN_STATUS_NOT_FOUND,
                                "%s.%ld: no such layer (the model has %d layers)", c->path, i,
                                list->n_layers);
            const cfg_layer_type *t = cfg_find_layer_type(list->layers[i].type);
            if (!t)
                return cfg_fail(c, NULL, CLCNN_STATUS_NOT_FOUND, "%s.%ld: unknown layer type '%s'",
                                c->path, i, list->layers[i].type);
            path_push_index(c, (int)i);
            layer_keys(t, (int)i, 1, &s);
            base = &list->layers[i];
            out->layer = (int)i;
            list = NULL;
            if (!dot) {
                out->key = NULL;
                out->base = base;
                return CLCNN_STATUS_OK;
            }
        } else {
            const cfg_key *k = key_find(&s, name);
            if (!k) return unknown_key(c, NULL, name, &s);
            path_push(c, k->name);
            if (!dot) {
                out->key = k;
                out->base = base;
                return CLCNN_STATUS_OK;
            }
            if (k->kind == CFG_SECTION) {
                base = (char *)base + k->offset;
                section_keys(k->sub, &s);
            } else if (k->kind == CFG_LAYERS) {
                list = base;
            } else {
                return cfg_fail(c, NULL, CLCNN_STATUS_NOT_FOUND, "%s has no keys below it",
                                c->path);
            }
        }
        p = dot + 1;
    }
}

clcnn_status cfg_set_path_text(cfg_ctx *c, const char *path, const char *text) {
    cfg_resolved r;
    CLCNN_TRY(cfg_resolve(c, c->spec, path, &r));
    if (r.key) return cfg_set_key_text(c, r.key, r.base, text);
    yaml_document_t doc, *saved = c->doc;
    CLCNN_TRY(parse_text(c, text, &doc));
    c->doc = &doc;
    clcnn_status st = set_layer(c, &c->spec->model, r.layer, yaml_document_get_root_node(&doc));
    c->doc = saved;
    yaml_document_delete(&doc);
    return st;
}

/* ---- public entry points --------------------------------------------------------------------- */

/* Parses yaml, one document, into c->spec and c->space over what they hold. */
static clcnn_status load_yaml(cfg_ctx *c, const char *yaml) {
    yaml_parser_t parser;
    yaml_document_t doc, extra;
    clcnn_status st = CLCNN_STATUS_OK;
    if (!yaml_parser_initialize(&parser))
        return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "cannot create a YAML parser");
    yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, strlen(yaml));
    if (!yaml_parser_load(&parser, &doc)) {
        st = parser_error(c, &parser);
    } else {
        c->doc = &doc;
        yaml_node_t *root = yaml_document_get_root_node(&doc);
        if (root) {
            if (!yaml_parser_load(&parser, &extra)) {
                st = parser_error(c, &parser);
            } else {
                yaml_node_t *more = yaml_document_get_root_node(&extra);
                if (more) {
                    c->doc = &extra;
                    st = cfg_fail(c, more, CLCNN_STATUS_PARSE_ERROR,
                                  "a config is one YAML document; this is a second one");
                    c->doc = &doc;
                }
                yaml_document_delete(&extra);
            }
            if (!st) st = set_section(c, &cfg_root, c->spec, root);
        }
        if (!st) st = cfg_check_deferred(c);
        yaml_document_delete(&doc);
    }
    yaml_parser_delete(&parser);
    return st;
}

clcnn_status clcnn_config_load_string(const char *yaml, const char *name, clcnn_spec *spec,
                                      clcnn_search_space *space) {
    if (!yaml || !spec) return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "config: NULL argument");
    cfg_ctx *c = calloc(1, sizeof *c);
    clcnn_spec *work = malloc(sizeof *work);
    clcnn_search_space *declared = calloc(1, sizeof *declared);
    clcnn_status st = CLCNN_STATUS_OUT_OF_MEMORY;
    if (c && work && declared) {
        clcnn_spec_default(work);
        c->spec = work;
        c->space = declared;
        c->file = name ? name : "<string>";
        st = load_yaml(c, yaml);
        if (!st) *spec = *work;
        if (!st && space) *space = *declared;
    } else {
        clcnn_fail(st, "config: out of memory");
    }
    free(declared);
    free(work);
    free(c);
    return st;
}

clcnn_status clcnn_config_load_file(const char *path, clcnn_spec *spec, clcnn_search_space *space) {
    char *text = NULL;
    size_t len = 0;
    if (!path) return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "config: NULL path");
    CLCNN_TRY(clcnn_read_file(path, &text, &len));
    if (strlen(text) != len) {
        free(text);
        return clcnn_fail(CLCNN_STATUS_PARSE_ERROR, "%s: the file contains a NUL byte", path);
    }
    clcnn_status st = clcnn_config_load_string(text, path, spec, space);
    free(text);
    return st;
}

clcnn_status cfg_on_copy(clcnn_spec *spec, clcnn_search_space *space, const char *prefix,
                         clcnn_status (*fn)(cfg_ctx *c, const void *arg), const void *arg) {
    cfg_ctx *c = calloc(1, sizeof *c);
    clcnn_spec *work = malloc(sizeof *work);
    clcnn_search_space *declared = calloc(1, sizeof *declared);
    clcnn_status st = CLCNN_STATUS_OUT_OF_MEMORY;
    if (c && work && declared) {
        *work = *spec;
        if (space) *declared = *space;
        c->spec = work;
        c->space = declared;
        c->prefix = prefix;
        st = fn(c, arg);
        if (!st) st = cfg_check_deferred(c);
        if (!st) *spec = *work;
        if (!st && space) *space = *declared;
    } else {
        clcnn_fail(st, "config: out of memory");
    }
    free(declared);
    free(work);
    free(c);
    return st;
}

static clcnn_status do_set(cfg_ctx *c, const void *arg) {
    const char *assignment = arg, *eq = strchr(assignment, '=');
    char path[CFG_PATH_MAX + 64];
    size_t len = (size_t)(eq - assignment);
    while (len && assignment[len - 1] == ' ')
        len--;
    if (len >= sizeof path) return cfg_fail(c, NULL, CLCNN_STATUS_INVALID_ARGUMENT, "key too long");
    memcpy(path, assignment, len);
    path[len] = '\0';
    cfg_resolved r;
    CLCNN_TRY(cfg_resolve(c, c->spec, path, &r));
    snprintf(path, sizeof path, "%s", c->path);
    cfg_drop_targets(c->space, path);
    return cfg_set_path_text(c, path, eq + 1);
}

clcnn_status clcnn_config_set(clcnn_spec *spec, clcnn_search_space *space, const char *assignment) {
    if (!spec || !assignment)
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "--set: NULL argument");
    char prefix[1100];
    snprintf(prefix, sizeof prefix, "--set %.1000s", assignment);
    if (!strchr(assignment, '=') || assignment[0] == '=')
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "%s: expected key.path=value", prefix);
    return cfg_on_copy(spec, space, prefix, do_set, assignment);
}
