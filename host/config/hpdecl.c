/* config/hpdecl.c: hyperparameter declarations. Written where the value goes
 *     filters: {hp: int, name: conv_1_filter, min: 32, max: 128, step: 16}
 * (the key becomes a target and takes the default value), or as tune.hyperparameters entries with
 * explicit targets (what clcnn_config_emit writes, so a search spec round-trips exactly). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "config/load.h"

static const char *const hp_types[] = {"int", "float", "choice", "boolean"};

#define ALL 15u
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
                    hp->name, hp_types[hp->type], known);
}

static clcnn_status number(cfg_ctx *c, const clcnn_hparam *hp, yaml_node_t *n, const char *key,
                           double *out) {
    if (n->type != YAML_SCALAR_NODE || !cfg_parse_double(cfg_text(n), out))
        return cfg_fail(c, n, CLCNN_STATUS_INVALID_ARGUMENT,
                        "hyperparameter '%s': %s must be a number, got '%s'", hp->name, key,
                        cfg_text(n));
    if (hp->type == CLCNN_HP_INT && *out != floor(*out))
        return cfg_fail(c, n, CLCNN_STATUS_INVALID_ARGUMENT,
                        "hyperparameter '%s': %s of an int must be an integer, got '%s'", hp->name,
                        key, cfg_text(n));
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
            if (cfg_parse_double(t, &d) && cfg_hparam_legal(hp, d))
                return *out = d, CLCNN_STATUS_OK;
        }
    }
    char got[256];
    cfg_what(n, got, sizeof got);
    return cfg_fail(c, n, CLCNN_STATUS_INVALID_ARGUMENT, "%s is not a value of hyperparameter '%s'",
                    got, hp->name);
}

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
    const clcnn_tune_spec *u = &c->spec->tune;
    int p = cfg_hparam_find(u, u->n_hparams, cfg_text(parent));
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
    if (n < 1 || n > 8)
        return cfg_fail(c, values, CLCNN_STATUS_INVALID_ARGUMENT,
                        "hyperparameter '%s': parent_values must be a list of 1 to 8 values",
                        hp->name);
    for (long i = 0; i < n; i++)
        CLCNN_TRY(value_of(c, &u->hparams[p], cfg_node(c, values->data.sequence.items.start[i]),
                           &hp->parent_values[i]));
    hp->n_parent_values = (int)n;
    return CLCNN_STATUS_OK;
}

/* min, max, step and the log flag of INT and FLOAT; each problem points at its own key. */
static clcnn_status parse_range(cfg_ctx *c, clcnn_hparam *hp, yaml_node_t *decl) {
    yaml_node_t *min = cfg_map_get(c, decl, "min"), *max = cfg_map_get(c, decl, "max");
    yaml_node_t *step = cfg_map_get(c, decl, "step"), *log = cfg_map_get(c, decl, "log");
    yaml_node_t *sampling = cfg_map_get(c, decl, "sampling");
    if (!min) min = cfg_map_get(c, decl, "min_value");
    if (!max) max = cfg_map_get(c, decl, "max_value");
    if (!min || !max)
        return cfg_fail(c, decl, CLCNN_STATUS_INVALID_ARGUMENT,
                        "hyperparameter '%s': an %s needs min and max", hp->name,
                        hp_types[hp->type]);
    CLCNN_TRY(number(c, hp, min, "min", &hp->min));
    CLCNN_TRY(number(c, hp, max, "max", &hp->max));
    hp->step = hp->type == CLCNN_HP_INT ? 1 : 0;
    if (step) {
        CLCNN_TRY(number(c, hp, step, "step", &hp->step));
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
    if (hp->min > hp->max)
        return cfg_fail(c, min, CLCNN_STATUS_INVALID_ARGUMENT,
                        "hyperparameter '%s': min (%s) is greater than max (%s)", hp->name,
                        cfg_text(min), cfg_text(max));
    if (hp->log && hp->min <= 0)
        return cfg_fail(c, min, CLCNN_STATUS_INVALID_ARGUMENT,
                        "hyperparameter '%s': log sampling needs min > 0, got %s", hp->name,
                        cfg_text(min));
    return CLCNN_STATUS_OK;
}

/* Parses a declaration map into hp. listed: a tune.hyperparameters entry (targets allowed,
 * default not). */
static clcnn_status parse_decl(cfg_ctx *c, yaml_node_t *decl, clcnn_hparam *hp, int listed) {
    cfg_hparam_init(hp);
    if (decl->type != YAML_MAPPING_NODE)
        return cfg_fail(c, decl, CLCNN_STATUS_INVALID_ARGUMENT,
                        "a hyperparameter is a map like {hp: int, name: x, min: 1, max: 9}");
    CLCNN_TRY(cfg_check_unique_keys(c, decl));
    yaml_node_t *type = cfg_map_get(c, decl, "hp"), *name = cfg_map_get(c, decl, "name");
    if (!type)
        return cfg_fail(c, decl, CLCNN_STATUS_INVALID_ARGUMENT,
                        "a hyperparameter needs 'hp: int|float|choice|boolean'");
    int t = 0;
    while (t < 4 && strcmp(cfg_text(type), hp_types[t]))
        t++;
    if (t == 4)
        return cfg_fail(c, type, CLCNN_STATUS_INVALID_ARGUMENT,
                        "hp must be int, float, choice or boolean, got '%s'", cfg_text(type));
    hp->type = (clcnn_hp_type)t;
    if (!name || name->type != YAML_SCALAR_NODE || cfg_is_null(name) ||
        strlen(cfg_text(name)) >= CLCNN_HP_NAME_MAX)
        return cfg_fail(c, name ? name : decl, CLCNN_STATUS_INVALID_ARGUMENT,
                        "a hyperparameter needs a name of 1 to %d bytes", CLCNN_HP_NAME_MAX - 1);
    memcpy(hp->name, cfg_text(name), strlen(cfg_text(name)) + 1);
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
    char err[256];
    if (!cfg_hparam_check(hp, err, sizeof err))
        return cfg_fail(c, decl, CLCNN_STATUS_INVALID_ARGUMENT, "hyperparameter '%s': %s", hp->name,
                        err);
    return CLCNN_STATUS_OK;
}

/* Adds hp to the search space, or finds the identical one declared before. */
static clcnn_status declare(cfg_ctx *c, const clcnn_hparam *hp, yaml_node_t *decl, int *index) {
    clcnn_tune_spec *u = &c->spec->tune;
    int h = cfg_hparam_find(u, u->n_hparams, hp->name);
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
    clcnn_tune_spec *u = &c->spec->tune;
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

clcnn_status cfg_declare_inline(cfg_ctx *c, const cfg_key *k, void *base, yaml_node_t *decl) {
    clcnn_hparam hp;
    int h, t;
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

clcnn_status cfg_declare_list(cfg_ctx *c, yaml_node_t *list) {
    clcnn_tune_spec *u = &c->spec->tune;
    u->n_hparams = 0;
    memset(u->hparams, 0, sizeof u->hparams);
    memset(u->n_targets, 0, sizeof u->n_targets);
    memset(u->targets, 0, sizeof u->targets);
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
        yaml_node_t *targets = cfg_map_get(c, decl, "targets");
        if (!targets || cfg_is_null(targets)) continue;
        if (targets->type != YAML_SEQUENCE_NODE)
            return cfg_fail(c, targets, CLCNN_STATUS_INVALID_ARGUMENT,
                            "targets must be a list of key paths");
        for (yaml_node_item_t *ti = targets->data.sequence.items.start;
             ti < targets->data.sequence.items.top; ti++) {
            yaml_node_t *target = cfg_node(c, *ti);
            int t, had = u->n_targets[h];
            if (target->type != YAML_SCALAR_NODE || cfg_is_null(target))
                return cfg_fail(c, target, CLCNN_STATUS_INVALID_ARGUMENT,
                                "a target is a key path like model.layers.0.filters");
            CLCNN_TRY(add_target(c, h, cfg_text(target), target, &t));
            if (u->n_targets[h] == had) continue; /* listed before: checked once */
            cfg_deferred *d = &c->deferred[c->n_deferred++];
            d->hparam = h;
            d->target = t;
            d->mark = target->start_mark;
        }
    }
    return CLCNN_STATUS_OK;
}
