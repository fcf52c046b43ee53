/* config/hpdecl.c: hyperparameter declarations and their targets. A declaration is written where
 * the value goes
 *     filters: {hp: int, name: conv_1_filter, min: 32, max: 128, step: 16}
 * (the key becomes a target and takes the default value), or as a tune.hyperparameters entry with
 * explicit targets (what clcnn_config_emit writes, so a search config round-trips exactly). Here:
 * reading a declaration (its rules are clcnn_hparam_check's, pointed at the key at fault),
 * checking a target against every value the hyperparameter can take, --set dropping targets,
 * and clcnn_spec_apply_hparams. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clcnn/config.h"
#include "config/load.h"

#define ALL ((1u << CLCNN_HP_TYPE_COUNT) - 1)
#define RANGE (1u << CLCNN_HP_INT | 1u << CLCNN_HP_FLOAT)
/* The keys of a declaration and the types that read them (documented in configs/README.md). */
const cfg_hparam_key cfg_hparam_keys[] = {
    {"hp", ALL, 0},
    {"name", ALL, 0},
    {"min", RANGE, 0},
    {"max", RANGE, 0},
    {"min_value", RANGE, 0}, /* KerasTuner's names */
    {"max_value", RANGE, 0},
    {"step", RANGE, 0},
    {"log", RANGE, 0},
    {"sampling", RANGE, 0},
    {"values", 1u << CLCNN_HP_CHOICE, 0},
    {"parent", ALL, 0},
    {"parent_values", ALL, 0},
    {"default", ALL, 1},
    {"targets", ALL, 2},
};
const int cfg_n_hparam_keys = sizeof cfg_hparam_keys / sizeof cfg_hparam_keys[0];

int clcnn_search_space_find(const clcnn_search_space *space, const char *name) {
    for (int i = 0; space && name && i < space->n_hparams; i++)
        if (!strcmp(space->hparams[i].name, name)) return i;
    return -1;
}

int cfg_hparam_equal(const clcnn_hparam *a, const clcnn_hparam *b) {
    if (strcmp(a->name, b->name) || a->type != b->type || a->min != b->min || a->max != b->max ||
        a->step != b->step || a->log != b->log || a->n_choices != b->n_choices ||
        a->choices_are_strings != b->choices_are_strings || strcmp(a->parent, b->parent) ||
        a->n_parent_values != b->n_parent_values)
        return 0;
    for (int i = 0; i < a->n_choices; i++)
        if (a->choices_are_strings ? strcmp(a->choice_strings[i], b->choice_strings[i])
                                   : a->choices[i] != b->choices[i])
            return 0;
    for (int i = 0; i < a->n_parent_values; i++)
        if (a->parent_values[i] != b->parent_values[i]) return 0;
    return 1;
}

/* "text" with quotes and backslashes escaped: YAML reads it back as that string, never as a
 * number, a boolean or null. */
static void quote(const char *s, char *buf, size_t n) {
    size_t j = 0;
    if (n < 3) return;
    buf[j++] = '"';
    for (; *s && j + 3 < n; s++) {
        if (*s == '"' || *s == '\\') buf[j++] = '\\';
        buf[j++] = *s;
    }
    buf[j++] = '"';
    buf[j] = '\0';
}

void cfg_hparam_value_text(const clcnn_hparam *hp, double v, char *buf, size_t n) {
    int choice = hp->type == CLCNN_HP_CHOICE && v >= 0 && v < hp->n_choices;
    if (hp->type == CLCNN_HP_FLOAT) {
        cfg_format_number(v, buf, n);
    } else if (choice && !hp->choices_are_strings) {
        cfg_format_number(hp->choices[(int)v], buf, n);
    } else {
        char text[CLCNN_HP_CHOICE_STR_MAX + 32];
        clcnn_hparam_format(hp, v, text, (int)sizeof text);
        if (choice)
            quote(text, buf, n);
        else
            snprintf(buf, n, "%s", text);
    }
}

/* ---- reading a declaration ------------------------------------------------------------------- */

static int key_allowed(clcnn_hp_type type, const char *key, int listed) {
    for (int i = 0; i < cfg_n_hparam_keys; i++) {
        const cfg_hparam_key *k = &cfg_hparam_keys[i];
        if (!strcmp(k->name, key))
            return (k->types >> type & 1u) && (k->place == 0 || k->place == (listed ? 2 : 1));
    }
    return 0;
}

static clcnn_status unknown_hp_key(cfg_ctx *c, yaml_node_t *key, const clcnn_hparam *hp,
                                   int listed) {
    char known[512];
    size_t used = 0;
    for (int i = 0; i < cfg_n_hparam_keys && used < sizeof known; i++)
        if (key_allowed(hp->type, cfg_hparam_keys[i].name, listed))
            used += (size_t)snprintf(known + used, sizeof known - used, "%s%s", used ? ", " : "",
                                     cfg_hparam_keys[i].name);
    return cfg_fail(c, key, CLCNN_STATUS_NOT_FOUND,
                    "unknown key '%s' in hyperparameter '%s' (%s); known keys: %s", cfg_text(key),
                    hp->name, clcnn_hp_type_name(hp->type), known);
}

static clcnn_status number(cfg_ctx *c, const clcnn_hparam *hp, yaml_node_t *n, const char *key,
                           double *out) {
    if (n->type != YAML_SCALAR_NODE || !cfg_parse_double(cfg_text(n), out))
        return cfg_fail(c, n, CLCNN_STATUS_INVALID_ARGUMENT,
                        "hyperparameter '%s': %s must be a number, got '%s'", hp->name, key,
                        cfg_text(n));
    return CLCNN_STATUS_OK;
}

/* A value of hp as written in YAML (3, relu, true) to its encoding (CHOICE: the index). */
static clcnn_status value_of(cfg_ctx *c, const clcnn_hparam *hp, yaml_node_t *n, double *out) {
    const char *t = cfg_text(n);
    int b;
    double d;
    if (n->type == YAML_SCALAR_NODE) {
        switch (hp->type) {
        case CLCNN_HP_BOOLEAN:
            if (cfg_parse_bool(t, &b)) return *out = b, CLCNN_STATUS_OK;
            break;
        case CLCNN_HP_CHOICE:
            for (int i = 0; i < hp->n_choices; i++) {
                int same = hp->choices_are_strings ? !strcmp(hp->choice_strings[i], t)
                                                   : cfg_parse_double(t, &d) && d == hp->choices[i];
                if (same) return *out = i, CLCNN_STATUS_OK;
            }
            break;
        default:
            if (cfg_parse_double(t, &d) && clcnn_hparam_is_legal(hp, d))
                return *out = d, CLCNN_STATUS_OK;
        }
    }
    char got[256];
    cfg_what(n, got, sizeof got);
    return cfg_fail(c, n, CLCNN_STATUS_INVALID_ARGUMENT, "%s is not a value of hyperparameter '%s'",
                    got, hp->name);
}

/* The YAML list of a choice's values into hp (its shape: the values' rules are the check's). */
static clcnn_status parse_values(cfg_ctx *c, clcnn_hparam *hp, yaml_node_t *n) {
    if (n->type != YAML_SEQUENCE_NODE)
        return cfg_fail(c, n, CLCNN_STATUS_INVALID_ARGUMENT,
                        "hyperparameter '%s': values must be a list", hp->name);
    yaml_node_item_t *start = n->data.sequence.items.start, *top = n->data.sequence.items.top;
    if (top == start)
        return cfg_fail(c, n, CLCNN_STATUS_INVALID_ARGUMENT,
                        "hyperparameter '%s': values is empty: a choice needs at least one",
                        hp->name);
    if (top - start > CLCNN_HP_MAX_CHOICES)
        return cfg_fail(c, n, CLCNN_STATUS_INVALID_ARGUMENT,
                        "hyperparameter '%s': more than %d values", hp->name, CLCNN_HP_MAX_CHOICES);
    double d;
    hp->choices_are_strings = 0;
    for (yaml_node_item_t *it = start; it < top; it++) { /* numbers unless any is a string */
        yaml_node_t *v = cfg_node(c, *it);
        if (v->type == YAML_SCALAR_NODE &&
            (v->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || !cfg_parse_double(cfg_text(v), &d)))
            hp->choices_are_strings = 1;
    }
    for (yaml_node_item_t *it = start; it < top; it++) {
        yaml_node_t *v = cfg_node(c, *it);
        const char *t = cfg_text(v);
        if (v->type != YAML_SCALAR_NODE || cfg_is_null(v) || strlen(t) >= CLCNN_HP_CHOICE_STR_MAX)
            return cfg_fail(c, v, CLCNN_STATUS_INVALID_ARGUMENT,
                            "hyperparameter '%s': a value must be a number or a name of at most %d "
                            "bytes",
                            hp->name, CLCNN_HP_CHOICE_STR_MAX - 1);
        double index;
        if (hp->n_choices && value_of(c, hp, v, &index) == CLCNN_STATUS_OK)
            return cfg_fail(c, v, CLCNN_STATUS_INVALID_ARGUMENT,
                            "hyperparameter '%s': value '%s' is listed twice", hp->name, t);
        if (hp->choices_are_strings)
            memcpy(hp->choice_strings[hp->n_choices], t, strlen(t) + 1);
        else
            cfg_parse_double(t, &hp->choices[hp->n_choices]);
        hp->n_choices++;
    }
    return CLCNN_STATUS_OK;
}

static clcnn_status parse_parent(cfg_ctx *c, clcnn_hparam *hp, yaml_node_t *parent,
                                 yaml_node_t *values) {
    if (!parent && !values) return CLCNN_STATUS_OK;
    if (!parent || !values)
        return cfg_fail(c, parent ? parent : values, CLCNN_STATUS_INVALID_ARGUMENT,
                        "hyperparameter '%s': parent and parent_values go together", hp->name);
    const clcnn_search_space *u = c->space;
    int p = clcnn_search_space_find(u, cfg_text(parent));
    if (p < 0 || !strcmp(cfg_text(parent), hp->name))
        return cfg_fail(c, parent, CLCNN_STATUS_NOT_FOUND,
                        "hyperparameter '%s': parent '%s' is not declared before it", hp->name,
                        cfg_text(parent));
    memcpy(hp->parent, u->hparams[p].name, sizeof hp->parent);
    if (values->type == YAML_SCALAR_NODE) {
        hp->n_parent_values = 1;
        return value_of(c, &u->hparams[p], values, &hp->parent_values[0]);
    }
    long n = values->type == YAML_SEQUENCE_NODE
                 ? (long)(values->data.sequence.items.top - values->data.sequence.items.start)
                 : 0;
    if (n < 1 || n > CLCNN_HP_MAX_PARENT_VALUES)
        return cfg_fail(c, values, CLCNN_STATUS_INVALID_ARGUMENT,
                        "hyperparameter '%s': parent_values must be a list of 1 to %d values",
                        hp->name, CLCNN_HP_MAX_PARENT_VALUES);
    for (long i = 0; i < n; i++)
        CLCNN_TRY(value_of(c, &u->hparams[p], cfg_node(c, values->data.sequence.items.start[i]),
                           &hp->parent_values[i]));
    hp->n_parent_values = (int)n;
    return CLCNN_STATUS_OK;
}

/* min, max, step and the log flag of INT and FLOAT, as numbers; their rules are the check's. */
static clcnn_status parse_range(cfg_ctx *c, clcnn_hparam *hp, yaml_node_t *decl) {
    yaml_node_t *min = cfg_map_get(c, decl, "min"), *max = cfg_map_get(c, decl, "max");
    yaml_node_t *step = cfg_map_get(c, decl, "step"), *log = cfg_map_get(c, decl, "log");
    yaml_node_t *sampling = cfg_map_get(c, decl, "sampling");
    if (!min) min = cfg_map_get(c, decl, "min_value");
    if (!max) max = cfg_map_get(c, decl, "max_value");
    if (!min || !max)
        return cfg_fail(c, decl, CLCNN_STATUS_INVALID_ARGUMENT,
                        "hyperparameter '%s': an %s needs min and max", hp->name,
                        clcnn_hp_type_name(hp->type));
    CLCNN_TRY(number(c, hp, min, "min", &hp->min));
    CLCNN_TRY(number(c, hp, max, "max", &hp->max));
    hp->step = hp->type == CLCNN_HP_INT ? 1 : 0;
    if (step) {
        CLCNN_TRY(number(c, hp, step, "step", &hp->step));
        /* A stored step of 0 means a continuous float; in a file that is written as no step. */
        if (hp->step <= 0)
            return cfg_fail(c, step, CLCNN_STATUS_INVALID_ARGUMENT,
                            "hyperparameter '%s': step must be > 0, got %s", hp->name,
                            cfg_text(step));
    }
    if (log && !cfg_parse_bool(cfg_text(log), &hp->log))
        return cfg_fail(c, log, CLCNN_STATUS_INVALID_ARGUMENT,
                        "hyperparameter '%s': log must be true or false", hp->name);
    if (sampling) {
        const char *s = cfg_text(sampling);
        if (strcmp(s, "linear") && strcmp(s, "log"))
            return cfg_fail(c, sampling, CLCNN_STATUS_INVALID_ARGUMENT,
                            "hyperparameter '%s': sampling must be linear or log", hp->name);
        hp->log = !strcmp(s, "log");
    }
    return CLCNN_STATUS_OK;
}

/* The node of the key that holds a field of clcnn_hparam (clcnn_hparam_check's names), or the
 * declaration itself. */
static yaml_node_t *field_node(cfg_ctx *c, yaml_node_t *decl, const char *field) {
    static const char *const keys[][3] = {
        {"min", "min", "min_value"},    {"max", "max", "max_value"},
        {"step", "step", "step"},       {"choices", "values", "values"},
        {"parent", "parent", "parent"}, {"parent_values", "parent_values", "parent_values"},
        {"name", "name", "name"},
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (strcmp(field, keys[i][0])) continue;
        yaml_node_t *n = cfg_map_get(c, decl, keys[i][1]);
        if (!n) n = cfg_map_get(c, decl, keys[i][2]);
        if (n) return n;
    }
    return decl;
}

/* clcnn_hparam_check, the one set of rules the oracle holds a space to, with the message pointing
 * at the key at fault. */
static clcnn_status check_decl(cfg_ctx *c, const clcnn_hparam *hp, yaml_node_t *decl) {
    const char *field;
    clcnn_status st = clcnn_hparam_check(hp, &field);
    if (st == CLCNN_STATUS_OK) return st;
    char where[1200];
    cfg_where(c, &field_node(c, decl, field)->start_mark, where, sizeof where);
    return clcnn_fail_prefix(st, "%s: ", where);
}

/* The type names joined for messages: "int|float|choice|boolean", "int, float, choice or ...". */
static void type_list(char *buf, size_t n, const char *sep, const char *last_sep) {
    size_t used = 0;
    buf[0] = '\0';
    for (int t = 0; t < CLCNN_HP_TYPE_COUNT && used < n; t++)
        used += (size_t)snprintf(buf + used, n - used, "%s%s",
                                 t == 0 ? "" : (t == CLCNN_HP_TYPE_COUNT - 1 ? last_sep : sep),
                                 clcnn_hp_type_name((clcnn_hp_type)t));
}

static clcnn_status parse_type(cfg_ctx *c, clcnn_hparam *hp, yaml_node_t *decl) {
    yaml_node_t *type = cfg_map_get(c, decl, "hp"), *name = cfg_map_get(c, decl, "name");
    char types[128];
    if (!type) {
        type_list(types, sizeof types, "|", "|");
        return cfg_fail(c, decl, CLCNN_STATUS_INVALID_ARGUMENT, "a hyperparameter needs 'hp: %s'",
                        types);
    }
    hp->type = clcnn_hp_type_parse(cfg_text(type));
    if (hp->type == CLCNN_HP_TYPE_COUNT) {
        type_list(types, sizeof types, ", ", " or ");
        return cfg_fail(c, type, CLCNN_STATUS_INVALID_ARGUMENT, "hp must be %s, got '%s'", types,
                        cfg_text(type));
    }
    if (!name || name->type != YAML_SCALAR_NODE || cfg_is_null(name) ||
        strlen(cfg_text(name)) >= CLCNN_HP_NAME_MAX)
        return cfg_fail(c, name ? name : decl, CLCNN_STATUS_INVALID_ARGUMENT,
                        "a hyperparameter needs a name of 1 to %d bytes", CLCNN_HP_NAME_MAX - 1);
    memcpy(hp->name, cfg_text(name), strlen(cfg_text(name)) + 1);
    return CLCNN_STATUS_OK;
}

/* Parses a declaration map into hp. listed: a tune.hyperparameters entry (targets allowed,
 * default not). */
static clcnn_status parse_decl(cfg_ctx *c, yaml_node_t *decl, clcnn_hparam *hp, int listed) {
    clcnn_hparam_default(hp);
    if (decl->type != YAML_MAPPING_NODE)
        return cfg_fail(c, decl, CLCNN_STATUS_INVALID_ARGUMENT,
                        "a hyperparameter is a map like {hp: int, name: x, min: 1, max: 9}");
    CLCNN_TRY(cfg_check_unique_keys(c, decl));
    CLCNN_TRY(parse_type(c, hp, decl));
    for (yaml_node_pair_t *p = decl->data.mapping.pairs.start; p < decl->data.mapping.pairs.top;
         p++)
        if (!key_allowed(hp->type, cfg_text(cfg_node(c, p->key)), listed))
            return unknown_hp_key(c, cfg_node(c, p->key), hp, listed);
    if (hp->type == CLCNN_HP_INT || hp->type == CLCNN_HP_FLOAT) CLCNN_TRY(parse_range(c, hp, decl));
    if (hp->type == CLCNN_HP_CHOICE) {
        yaml_node_t *values = cfg_map_get(c, decl, "values");
        if (!values)
            return cfg_fail(c, decl, CLCNN_STATUS_INVALID_ARGUMENT,
                            "hyperparameter '%s': a choice needs values", hp->name);
        CLCNN_TRY(parse_values(c, hp, values));
    }
    CLCNN_TRY(
        parse_parent(c, hp, cfg_map_get(c, decl, "parent"), cfg_map_get(c, decl, "parent_values")));
    return check_decl(c, hp, decl);
}

/* Adds hp to the search space, or finds the identical one declared before. */
static clcnn_status declare(cfg_ctx *c, const clcnn_hparam *hp, yaml_node_t *decl, int *index) {
    clcnn_search_space *u = c->space;
    int h = clcnn_search_space_find(u, hp->name);
    if (h >= 0 && !cfg_hparam_equal(&u->hparams[h], hp))
        return cfg_fail(c, decl, CLCNN_STATUS_INVALID_ARGUMENT,
                        "hyperparameter '%s' is declared again with a different definition (the "
                        "same name may be used again only with an identical one)",
                        hp->name);
    if (h < 0) {
        if (u->n_hparams == CLCNN_MAX_HPARAMS)
            return cfg_fail(c, decl, CLCNN_STATUS_INVALID_ARGUMENT, "more than %d hyperparameters",
                            CLCNN_MAX_HPARAMS);
        h = u->n_hparams++;
        u->hparams[h] = *hp;
        u->n_targets[h] = 0;
    }
    *index = h;
    return CLCNN_STATUS_OK;
}

/* Returns the target's index in *t (an existing one if the path is there already). */
static clcnn_status add_target(cfg_ctx *c, int h, const char *path, yaml_node_t *at, int *t) {
    clcnn_search_space *u = c->space;
    if (strlen(path) >= sizeof u->targets[h][0])
        return cfg_fail(c, at, CLCNN_STATUS_INVALID_ARGUMENT, "key path too long: %s", path);
    for (*t = 0; *t < u->n_targets[h]; (*t)++)
        if (!strcmp(u->targets[h][*t], path)) return CLCNN_STATUS_OK;
    if (u->n_targets[h] == CLCNN_MAX_HP_TARGETS)
        return cfg_fail(c, at, CLCNN_STATUS_INVALID_ARGUMENT,
                        "hyperparameter '%s' sets more than %d keys", u->hparams[h].name,
                        CLCNN_MAX_HP_TARGETS);
    memset(u->targets[h][*t], 0, sizeof u->targets[h][*t]);
    memcpy(u->targets[h][*t], path, strlen(path));
    u->n_targets[h]++;
    return CLCNN_STATUS_OK;
}

/* A target check sets values, never declarations, and has no space to declare into. */
static clcnn_status need_space(cfg_ctx *c, yaml_node_t *at) {
    if (c->space) return CLCNN_STATUS_OK;
    return cfg_fail(c, at, CLCNN_STATUS_INVALID_ARGUMENT,
                    "%s: no hyperparameter can be declared here", c->path);
}

clcnn_status cfg_declare_inline(cfg_ctx *c, const cfg_key *k, void *base, yaml_node_t *decl) {
    clcnn_hparam hp;
    int h, t;
    CLCNN_TRY(need_space(c, decl));
    CLCNN_TRY(parse_decl(c, decl, &hp, 0));
    CLCNN_TRY(declare(c, &hp, decl, &h));
    char where[1200], path[sizeof c->path], text[256];
    cfg_where(c, &decl->start_mark, where, sizeof where);
    memcpy(path, c->path, sizeof path);
    CLCNN_TRY(cfg_check_target(c->spec, &hp, path, where));
    CLCNN_TRY(add_target(c, h, path, decl, &t));
    /* The key keeps a legal value outside trials: default, else min / the first choice / false. */
    double v = hp.type == CLCNN_HP_INT || hp.type == CLCNN_HP_FLOAT ? hp.min : 0;
    yaml_node_t *dflt = cfg_map_get(c, decl, "default");
    if (dflt) CLCNN_TRY(value_of(c, &hp, dflt, &v));
    cfg_hparam_value_text(&hp, v, text, sizeof text);
    return cfg_set_key_text(c, k, base, text);
}

/* The targets of a tune.hyperparameters entry, checked once the whole document is in (the
 * model's layers may come after the tune section). */
static clcnn_status list_targets(cfg_ctx *c, int h, yaml_node_t *targets) {
    if (!targets || cfg_is_null(targets)) return CLCNN_STATUS_OK;
    if (targets->type != YAML_SEQUENCE_NODE)
        return cfg_fail(c, targets, CLCNN_STATUS_INVALID_ARGUMENT,
                        "targets must be a list of key paths");
    for (yaml_node_item_t *ti = targets->data.sequence.items.start;
         ti < targets->data.sequence.items.top; ti++) {
        yaml_node_t *target = cfg_node(c, *ti);
        int t, had = c->space->n_targets[h];
        if (target->type != YAML_SCALAR_NODE || cfg_is_null(target))
            return cfg_fail(c, target, CLCNN_STATUS_INVALID_ARGUMENT,
                            "a target is a key path like model.layers.0.filters");
        CLCNN_TRY(add_target(c, h, cfg_text(target), target, &t));
        if (c->space->n_targets[h] == had) continue; /* listed before: checked once */
        cfg_deferred *d = &c->deferred[c->n_deferred++];
        d->hparam = h;
        d->target = t;
        d->mark = target->start_mark;
    }
    return CLCNN_STATUS_OK;
}

clcnn_status cfg_declare_list(cfg_ctx *c, yaml_node_t *list) {
    CLCNN_TRY(need_space(c, list));
    memset(c->space, 0, sizeof *c->space);
    c->n_deferred = 0;
    if (cfg_is_null(list)) return CLCNN_STATUS_OK;
    if (list->type != YAML_SEQUENCE_NODE)
        return cfg_fail(c, list, CLCNN_STATUS_INVALID_ARGUMENT,
                        "tune.hyperparameters must be a list of declarations");
    for (yaml_node_item_t *it = list->data.sequence.items.start; it < list->data.sequence.items.top;
         it++) {
        yaml_node_t *decl = cfg_node(c, *it);
        clcnn_hparam hp;
        int h;
        CLCNN_TRY(parse_decl(c, decl, &hp, 1));
        CLCNN_TRY(declare(c, &hp, decl, &h));
        CLCNN_TRY(list_targets(c, h, cfg_map_get(c, decl, "targets")));
    }
    return CLCNN_STATUS_OK;
}

/* ---- targets --------------------------------------------------------------------------------- */

/* The values a target must accept: each choice, both booleans, both ends of a range's grid. */
static int extreme_values(const clcnn_hparam *hp, double *values) {
    int n = 0;
    if (hp->type == CLCNN_HP_CHOICE) {
        for (n = 0; n < hp->n_choices; n++)
            values[n] = n;
    } else if (hp->type == CLCNN_HP_BOOLEAN) {
        values[n++] = 0;
        values[n++] = 1;
    } else {
        values[n++] = hp->min; /* and the last point of the grid */
        values[n++] =
            hp->step > 0 ? hp->min + floor((hp->max - hp->min) / hp->step) * hp->step : hp->max;
    }
    return n;
}

static clcnn_status check_target_on(cfg_ctx *c, const clcnn_hparam *hp, const char *path,
                                    const char *prefix, char *where, size_t where_size) {
    cfg_resolved r;
    CLCNN_TRY(cfg_resolve(c, c->spec, path, &r));
    if (!r.key || !cfg_hp_capable(r.key) || (r.key->flags & CFG_NO_HP))
        return cfg_fail(c, NULL, CLCNN_STATUS_INVALID_ARGUMENT, "%s cannot be a hyperparameter",
                        path);
    if (hp->type == CLCNN_HP_FLOAT && r.key->kind != CFG_FLOAT)
        return cfg_fail(c, NULL, CLCNN_STATUS_INVALID_ARGUMENT,
                        "a float hyperparameter cannot set %s (not a number key)", path);
    double values[CLCNN_HP_MAX_CHOICES];
    char text[256];
    int n = extreme_values(hp, values);
    for (int i = 0; i < n; i++) {
        cfg_hparam_value_text(hp, values[i], text, sizeof text);
        snprintf(where, where_size, "%s: hyperparameter '%s' = %s", prefix, hp->name, text);
        CLCNN_TRY(cfg_set_path_text(c, path, text));
    }
    return CLCNN_STATUS_OK;
}

clcnn_status cfg_check_target(const clcnn_spec *spec, const clcnn_hparam *hp, const char *path,
                              const char *prefix) {
    cfg_ctx *c = calloc(1, sizeof *c);
    clcnn_spec *scratch = malloc(sizeof *scratch);
    clcnn_status st = CLCNN_STATUS_OUT_OF_MEMORY;
    char where[1400];
    if (c && scratch) {
        *scratch = *spec;
        c->spec = scratch; /* no space: a value set here is never a declaration */
        snprintf(where, sizeof where, "%s: hyperparameter '%s'", prefix, hp->name);
        c->prefix = where;
        st = check_target_on(c, hp, path, prefix, where, sizeof where);
    } else {
        clcnn_fail(st, "config: out of memory");
    }
    free(scratch);
    free(c);
    return st;
}

clcnn_status cfg_check_deferred(cfg_ctx *c) {
    for (int i = 0; i < c->n_deferred; i++) {
        const cfg_deferred *d = &c->deferred[i];
        char where[1200];
        cfg_where(c, &d->mark, where, sizeof where);
        CLCNN_TRY(cfg_check_target(c->spec, &c->space->hparams[d->hparam],
                                   c->space->targets[d->hparam][d->target], where));
    }
    return CLCNN_STATUS_OK;
}

static int is_parent(const clcnn_search_space *u, const char *name) {
    for (int i = 0; i < u->n_hparams; i++)
        if (!strcmp(u->hparams[i].parent, name)) return 1;
    return 0;
}

/* Removes hyperparameter h, which nothing depends on, keeping the others' order. */
static void remove_hparam(clcnn_search_space *u, int h) {
    int rest = u->n_hparams - h - 1;
    memmove(&u->hparams[h], &u->hparams[h + 1], sizeof u->hparams[0] * (size_t)rest);
    memmove(&u->n_targets[h], &u->n_targets[h + 1], sizeof u->n_targets[0] * (size_t)rest);
    memmove(&u->targets[h], &u->targets[h + 1], sizeof u->targets[0] * (size_t)rest);
    u->n_hparams--;
    memset(&u->hparams[u->n_hparams], 0, sizeof u->hparams[0]);
    memset(&u->targets[u->n_hparams], 0, sizeof u->targets[0]);
    u->n_targets[u->n_hparams] = 0;
}

void cfg_drop_targets(clcnn_search_space *u, const char *path) {
    size_t len = strlen(path);
    for (int h = 0; h < u->n_hparams; h++) {
        int had = u->n_targets[h], kept = 0;
        for (int t = 0; t < had; t++) {
            const char *target = u->targets[h][t];
            if (!strcmp(target, path) || (!strncmp(target, path, len) && target[len] == '.'))
                continue;
            if (kept != t) memcpy(u->targets[h][kept], target, sizeof u->targets[h][t]);
            kept++;
        }
        for (int t = kept; t < had; t++)
            memset(u->targets[h][t], 0, sizeof u->targets[h][t]);
        u->n_targets[h] = kept;
        if (had && !kept && !is_parent(u, u->hparams[h].name)) remove_hparam(u, h--);
    }
}

/* ---- applying values ------------------------------------------------------------------------- */

typedef struct apply_args {
    const clcnn_search_space *space;
    const double *values;
} apply_args;

/* Leading keys (an optimizer's name) are set before the others, whatever the declaration order,
 * so that a name's effect on the learning rate default never overrides a learning rate value. */
static clcnn_status do_apply(cfg_ctx *c, const void *arg) {
    const apply_args *a = arg;
    const clcnn_search_space *u = a->space;
    char text[256], prefix[400];
    for (int pass = 0; pass < 2; pass++) {
        for (int h = 0; h < u->n_hparams; h++) {
            const clcnn_hparam *hp = &u->hparams[h];
            if (isnan(a->values[h])) continue;
            cfg_hparam_value_text(hp, a->values[h], text, sizeof text);
            snprintf(prefix, sizeof prefix, "hyperparameter '%s' = %s", hp->name, text);
            c->prefix = prefix;
            if (!clcnn_hparam_is_legal(hp, a->values[h]))
                return cfg_fail(c, NULL, CLCNN_STATUS_INVALID_ARGUMENT,
                                "%.17g is not a legal value", a->values[h]);
            for (int t = 0; t < u->n_targets[h]; t++) {
                cfg_resolved r;
                CLCNN_TRY(cfg_resolve(c, c->spec, u->targets[h][t], &r));
                if (!r.key || ((r.key->flags & CFG_LEADS) != 0) == pass) continue;
                CLCNN_TRY(cfg_set_path_text(c, u->targets[h][t], text));
            }
        }
    }
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_spec_apply_hparams(clcnn_spec *spec, const clcnn_search_space *space,
                                      const double *values) {
    if (!spec || (!values && space && space->n_hparams))
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "apply_hparams: NULL argument");
    if (!space || !space->n_hparams) return CLCNN_STATUS_OK;
    apply_args a = {space, values};
    return cfg_on_copy(spec, NULL, "hyperparameters", do_apply, &a);
}
