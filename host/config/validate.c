/* config/validate.c: clcnn_spec_validate (every key checked by its schema row, so a spec built or
 * edited in C is held to the same rules as a YAML file), clcnn_search_space_validate and the
 * embedded default configs. */
#include <stdio.h>
#include <string.h>

#include "clcnn/config.h"
#include "config/schema.h"
#include "core/core.h"
#include "core/embedded.h"

#define PATH_MAX_LEN 192

static clcnn_status invalid(const char *path, const char *msg) {
    return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "invalid config: %s: %s", path, msg);
}

static clcnn_status check_field(const cfg_key *k, const void *base, const char *path) {
    char err[1024];
    return cfg_check_field(k, base, err, sizeof err) ? CLCNN_STATUS_OK : invalid(path, err);
}

static clcnn_status check_layers(const clcnn_model_spec *m) {
    char path[PATH_MAX_LEN];
    if (m->n_layers < 1 || m->n_layers > CLCNN_MAX_LAYERS)
        return invalid("model.layers", "a model needs 1 to 64 layers");
    for (int i = 0; i < m->n_layers; i++) {
        const clcnn_layer_spec *l = &m->layers[i];
        snprintf(path, sizeof path, "model.layers.%d.type", i);
        CLCNN_TRY(check_field(&cfg_layer_keys[CFG_LK_TYPE], l, path));
        const cfg_layer_type *t = cfg_find_layer_type(l->type);
        for (int k = 0; k < CFG_N_LAYER_KEYS; k++) {
            if (!cfg_layer_reads(t, k)) continue;
            snprintf(path, sizeof path, "model.layers.%d.%s", i, cfg_layer_keys[k].name);
            CLCNN_TRY(check_field(&cfg_layer_keys[k], l, path));
        }
    }
    return CLCNN_STATUS_OK;
}

static clcnn_status check_classes(const clcnn_data_spec *d) {
    if (d->n_classes < 1 || d->n_classes > CLCNN_MAX_CLASSES)
        return invalid("data.classes", "1 to 64 classes");
    for (int i = 0; i < d->n_classes; i++)
        if (!memchr(d->classes[i], '\0', sizeof d->classes[i]) || !d->classes[i][0])
            return invalid("data.classes", "a class name is empty or too long");
    return CLCNN_STATUS_OK;
}

/* One entry of a search space: its definition, its place among the others, its targets. */
static clcnn_status check_hparam(const clcnn_search_space *u, int h, const clcnn_spec *spec) {
    const clcnn_hparam *hp = &u->hparams[h];
    char path[PATH_MAX_LEN];
    snprintf(path, sizeof path, "tune.hyperparameters.%d", h);
    clcnn_status st = clcnn_hparam_validate(hp);
    if (st) return clcnn_fail_prefix(st, "invalid config: %s: ", path);
    if (clcnn_search_space_find(u, hp->name) != h) return invalid(path, "a name must be unique");
    if (hp->parent[0]) {
        int p = clcnn_search_space_find(u, hp->parent);
        if (p < 0 || p >= h) return invalid(path, "the parent is not declared before it");
        for (int i = 0; i < hp->n_parent_values; i++)
            if (!clcnn_hparam_is_legal(&u->hparams[p], hp->parent_values[i]))
                return invalid(path, "a parent value is not a value of the parent");
    }
    if (u->n_targets[h] < 0 || u->n_targets[h] > CLCNN_MAX_HP_TARGETS)
        return invalid(path, "0 to 4 targets");
    for (int t = 0; t < u->n_targets[h]; t++) {
        if (!memchr(u->targets[h][t], '\0', sizeof u->targets[h][t]))
            return invalid(path, "a target is too long");
        CLCNN_TRY(cfg_check_target(spec, hp, u->targets[h][t], "invalid config"));
    }
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_search_space_validate(const clcnn_search_space *space, const clcnn_spec *spec) {
    if (!space || !spec)
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "validate: NULL argument");
    if (space->n_hparams < 0 || space->n_hparams > CLCNN_MAX_HPARAMS)
        return invalid("tune.hyperparameters", "0 to 32 hyperparameters");
    for (int h = 0; h < space->n_hparams; h++)
        CLCNN_TRY(check_hparam(space, h, spec));
    return CLCNN_STATUS_OK;
}

static clcnn_status check_section(const cfg_section *sec, const void *base) {
    char path[PATH_MAX_LEN];
    for (int i = 0; i < sec->n_keys; i++) {
        const cfg_key *k = &sec->keys[i];
        snprintf(path, sizeof path, "%s%s%s", sec->path, sec->path[0] ? "." : "", k->name);
        switch (k->kind) {
        case CFG_SECTION:
            CLCNN_TRY(check_section(k->sub, (const char *)base + k->offset));
            break;
        case CFG_LAYERS:
            CLCNN_TRY(check_layers(base));
            break;
        case CFG_CLASSES:
            CLCNN_TRY(check_classes(base));
            break;
        case CFG_HPARAMS:
            break; /* the search space is not the spec's: clcnn_search_space_validate */
        default:
            CLCNN_TRY(check_field(k, base, path));
        }
    }
    return CLCNN_STATUS_OK;
}

/* Rules between keys, which no single schema row can state. */
static clcnn_status check_relations(const clcnn_spec *spec) {
    const clcnn_augment_spec *a = &spec->data.augment;
    if (a->erasing_max_area < a->erasing_min_area) {
        char msg[160];
        snprintf(msg, sizeof msg, "%g is below data.augment.erasing_min_area (%g)",
                 (double)a->erasing_max_area, (double)a->erasing_min_area);
        return invalid("data.augment.erasing_max_area", msg);
    }
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_spec_validate(const clcnn_spec *spec) {
    if (!spec) return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "validate: NULL spec");
    CLCNN_TRY(check_section(&cfg_root, spec));
    return check_relations(spec);
}

const char *clcnn_config_embedded(const char *name) {
    if (!name) return NULL;
    size_t n = strlen(name);
    for (const struct clcnn_embedded_file *f = clcnn_embedded_configs; f->name; f++)
        if (!strcmp(f->name, name) || (!strncmp(f->name, name, n) && !strcmp(f->name + n, ".yaml")))
            return f->text;
    return NULL;
}
