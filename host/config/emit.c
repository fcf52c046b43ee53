/* config/emit.c: a spec back to YAML, every key of the schema tables in table order, so a model
 * file's embedded config is self-describing and loads back to an equal spec. A search space's
 * hyperparameters go in tune.hyperparameters with their targets (the targeted keys keep their
 * current values). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "clcnn/config.h"
#include "config/schema.h"
#include "core/core.h"

typedef struct buffer {
    char *data;
    size_t len, cap;
    int failed;
} buffer;

static int write_out(void *user, unsigned char *bytes, size_t size) {
    buffer *b = user;
    if (b->len + size + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + size + 1)
            cap *= 2;
        char *grown = realloc(b->data, cap);
        if (!grown) return b->failed = 1, 0;
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, bytes, size);
    b->len += size;
    b->data[b->len] = '\0';
    return 1;
}

typedef struct emitter {
    yaml_emitter_t e;
    int ok;
} emitter;

static void emit(emitter *em, yaml_event_t *ev) {
    if (em->ok && !yaml_emitter_emit(&em->e, ev))
        em->ok = 0;
    else if (!em->ok)
        yaml_event_delete(ev);
}

/* quoted: always double-quoted (free text); else plain (names, numbers, null). */
static void scalar(emitter *em, const char *s, int quoted) {
    yaml_event_t ev;
    if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), 1, 1,
                                      quoted ? YAML_DOUBLE_QUOTED_SCALAR_STYLE
                                             : YAML_PLAIN_SCALAR_STYLE))
        em->ok = 0;
    else
        emit(em, &ev);
}

static void map_start(emitter *em, int flow) {
    yaml_event_t ev;
    yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
                                        flow ? YAML_FLOW_MAPPING_STYLE : YAML_BLOCK_MAPPING_STYLE);
    emit(em, &ev);
}

static void map_end(emitter *em) {
    yaml_event_t ev;
    yaml_mapping_end_event_initialize(&ev);
    emit(em, &ev);
}

static void seq_start(emitter *em, int flow) {
    yaml_event_t ev;
    yaml_sequence_start_event_initialize(
        &ev, NULL, NULL, 1, flow ? YAML_FLOW_SEQUENCE_STYLE : YAML_BLOCK_SEQUENCE_STYLE);
    emit(em, &ev);
}

static void seq_end(emitter *em) {
    yaml_event_t ev;
    yaml_sequence_end_event_initialize(&ev);
    emit(em, &ev);
}

static void ints(emitter *em, const int *v, int n) {
    char text[16];
    seq_start(em, 1);
    for (int i = 0; i < n; i++) {
        snprintf(text, sizeof text, "%d", v[i]);
        scalar(em, text, 0);
    }
    seq_end(em);
}

/* What the emitter writes: the spec, and the search space (NULL: a concrete config). */
typedef struct emit_src {
    const clcnn_spec *spec;
    const clcnn_search_space *space;
} emit_src;

static void emit_key(emitter *em, const cfg_key *k, const void *base, const emit_src *src);

static void emit_layers(emitter *em, const clcnn_model_spec *m, const emit_src *src) {
    seq_start(em, 0);
    for (int i = 0; i < m->n_layers; i++) {
        const clcnn_layer_spec *l = &m->layers[i];
        const cfg_layer_type *t = cfg_find_layer_type(l->type);
        map_start(em, 0);
        scalar(em, l->type, 0);
        map_start(em, 1);
        for (int k = 0; t && k < CFG_N_LAYER_KEYS; k++) {
            if (k == CFG_LK_TYPE || !cfg_layer_reads(t, k)) continue;
            emit_key(em, &cfg_layer_keys[k], l, src);
        }
        map_end(em);
        map_end(em);
    }
    seq_end(em);
}

/* A value of hp as YAML: the number, true/false, or the choice itself. */
static void hp_value(emitter *em, const clcnn_hparam *hp, double v) {
    char text[256];
    int i = (int)v;
    if (hp->type == CLCNN_HP_CHOICE && hp->choices_are_strings && i >= 0 && i < hp->n_choices) {
        scalar(em, hp->choice_strings[i], 1);
    } else {
        cfg_hparam_value_text(hp, v, text, sizeof text);
        scalar(em, text, 0);
    }
}

static void emit_hparams(emitter *em, const clcnn_search_space *u) {
    char text[64];
    seq_start(em, 0);
    for (int h = 0; h < u->n_hparams; h++) {
        const clcnn_hparam *hp = &u->hparams[h];
        map_start(em, 1);
        scalar(em, "hp", 0), scalar(em, clcnn_hp_type_name(hp->type), 0);
        scalar(em, "name", 0), scalar(em, hp->name, 1);
        if (hp->type == CLCNN_HP_INT || hp->type == CLCNN_HP_FLOAT) {
            const char *keys[] = {"min", "max", "step"};
            const double values[] = {hp->min, hp->max, hp->step};
            for (int i = 0; i < 3; i++) {
                if (i == 2 && hp->step <= 0) break; /* a continuous float */
                cfg_format_number(values[i], text, sizeof text);
                scalar(em, keys[i], 0), scalar(em, text, 0);
            }
            if (hp->log) scalar(em, "log", 0), scalar(em, "true", 0);
        }
        if (hp->type == CLCNN_HP_CHOICE) {
            scalar(em, "values", 0);
            seq_start(em, 1);
            for (int i = 0; i < hp->n_choices; i++)
                hp_value(em, hp, i);
            seq_end(em);
        }
        int p = hp->parent[0] ? clcnn_search_space_find(u, hp->parent) : -1;
        if (p >= 0 && p < h) {
            const clcnn_hparam *parent = &u->hparams[p];
            scalar(em, "parent", 0), scalar(em, hp->parent, 1);
            scalar(em, "parent_values", 0);
            seq_start(em, 1);
            for (int i = 0; i < hp->n_parent_values; i++)
                hp_value(em, parent, hp->parent_values[i]);
            seq_end(em);
        }
        scalar(em, "targets", 0);
        seq_start(em, 1);
        for (int t = 0; t < u->n_targets[h]; t++)
            scalar(em, u->targets[h][t], 0);
        seq_end(em);
        map_end(em);
    }
    seq_end(em);
}

static void emit_section(emitter *em, const cfg_section *sec, const void *base,
                         const emit_src *src);

static void emit_value(emitter *em, const cfg_key *k, const void *base, const emit_src *src) {
    const char *field = (const char *)base + k->offset;
    char text[64];
    switch (k->kind) {
    case CFG_INT:
        snprintf(text, sizeof text, "%d", *(const int *)field);
        break;
    case CFG_LIMIT:
        if (*(const long *)field < 0)
            snprintf(text, sizeof text, "null");
        else
            snprintf(text, sizeof text, "%ld", *(const long *)field);
        break;
    case CFG_U64:
        snprintf(text, sizeof text, "%" PRIu64, *(const uint64_t *)field);
        break;
    case CFG_FLOAT:
        cfg_format_float(*(const float *)field, text, sizeof text);
        break;
    case CFG_BOOL:
        snprintf(text, sizeof text, "%s", *(const int *)field ? "true" : "false");
        break;
    case CFG_STR:
    case CFG_ENUM:
    case CFG_TYPE:
        if (!field[0] && (k->flags & CFG_NULLABLE))
            scalar(em, "null", 0);
        else
            scalar(em, field, k->kind == CFG_STR);
        return;
    case CFG_CODE: {
        const char *name = clcnn_name_of(k->names, *(const int *)field);
        scalar(em, name ? name : "null", 0);
        return;
    }
    case CFG_PAIR: {
        const int *v = (const int *)field;
        if (v[0] == 0 && v[1] == 0 && (k->flags & CFG_NULLABLE))
            scalar(em, "null", 0);
        else
            ints(em, v, 2);
        return;
    }
    case CFG_TRIPLE:
        ints(em, (const int *)field, 3);
        return;
    case CFG_CLASSES: {
        const clcnn_data_spec *d = base;
        seq_start(em, 1);
        for (int i = 0; i < d->n_classes; i++)
            scalar(em, d->classes[i], 1);
        seq_end(em);
        return;
    }
    case CFG_LAYERS:
        emit_layers(em, base, src);
        return;
    case CFG_SECTION:
        emit_section(em, k->sub, field, src);
        return;
    case CFG_HPARAMS:
        emit_hparams(em, src->space);
        return;
    }
    scalar(em, text, 0);
}

static void emit_section(emitter *em, const cfg_section *sec, const void *base,
                         const emit_src *src) {
    map_start(em, 0);
    for (int i = 0; i < sec->n_keys; i++)
        emit_key(em, &sec->keys[i], base, src);
    map_end(em);
}

static void emit_key(emitter *em, const cfg_key *k, const void *base, const emit_src *src) {
    if (k->kind == CFG_HPARAMS && !src->space) return;
    scalar(em, k->name, 0);
    emit_value(em, k, base, src);
}

clcnn_status clcnn_config_emit(const clcnn_spec *spec, const clcnn_search_space *space,
                               char **yaml) {
    if (!spec || !yaml) return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "emit: NULL argument");
    *yaml = NULL;
    buffer out = {0};
    emitter em = {.ok = 1};
    yaml_event_t ev;
    if (!yaml_emitter_initialize(&em.e))
        return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "cannot create a YAML emitter");
    yaml_emitter_set_output(&em.e, write_out, &out);
    yaml_emitter_set_unicode(&em.e, 1);
    yaml_emitter_set_width(&em.e, -1);
    yaml_emitter_set_indent(&em.e, 2);

    yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
    emit(&em, &ev);
    yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
    emit(&em, &ev);
    emit_src src = {spec, space};
    emit_section(&em, &cfg_root, spec, &src);
    yaml_document_end_event_initialize(&ev, 1);
    emit(&em, &ev);
    yaml_stream_end_event_initialize(&ev);
    emit(&em, &ev);
    if (em.ok) yaml_emitter_flush(&em.e);

    clcnn_status st = CLCNN_STATUS_OK;
    if (!em.ok || out.failed || !out.data)
        st = clcnn_fail(out.failed ? CLCNN_STATUS_OUT_OF_MEMORY : CLCNN_STATUS_INVALID_ARGUMENT,
                        "cannot write the config as YAML: %s",
                        em.e.problem ? em.e.problem : "out of memory");
    yaml_emitter_delete(&em.e);
    if (st)
        free(out.data);
    else
        *yaml = out.data;
    return st;
}
