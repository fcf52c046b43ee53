/* config/schema.h: the config schema as data, internal to host/config/.
 *
 * One table row per key says its name, where it lives in clcnn_spec, its type and its legal
 * values. The same rows drive the YAML loader, clcnn_config_set, clcnn_spec_apply_hparams,
 * clcnn_spec_validate and clcnn_config_emit, so a key is described once. Layer types and the keys
 * each reads are rows of core/layers.h; legal names are clcnn/enums.h's tables. */
#ifndef CLCNN_CONFIG_SCHEMA_H
#define CLCNN_CONFIG_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

#include "clcnn/spec.h"
#include "core/core.h"

typedef enum cfg_kind {
    CFG_INT,     /* int within [lo, hi] */
    CFG_LIMIT,   /* long; null (stored -1) = no limit, else within [lo, hi] */
    CFG_U64,     /* uint64_t (seeds) */
    CFG_FLOAT,   /* float within [lo, hi] (open ends by flags) */
    CFG_BOOL,    /* int 0/1 */
    CFG_STR,     /* char[size], any text */
    CFG_ENUM,    /* char[size], one of names */
    CFG_CODE,    /* int, the value of a name in names (padding, direction) */
    CFG_PAIR,    /* int[2]: a scalar sets both, or [h, w]; each within [lo, hi] */
    CFG_TRIPLE,  /* int[3]: [h, w, c] */
    CFG_CLASSES, /* clcnn_data_spec's class list (a list of names, or a count) */
    CFG_LAYERS,  /* clcnn_model_spec's layer list */
    CFG_SECTION, /* a nested map described by sub */
    CFG_HPARAMS, /* tune.hyperparameters: declarations with explicit targets */
    CFG_TYPE,    /* a layer's type: a name in cfg_layer_types */
} cfg_kind;

enum {
    CFG_NULLABLE = 1 << 0, /* null is legal: "" for strings, -1 limits, 0 pairs/codes */
    CFG_LEADS = 1 << 1,    /* applied before its siblings (optimizer name moves the lr default) */
    CFG_NO_HP = 1 << 2,    /* cannot be a hyperparameter */
    CFG_LO_OPEN = 1 << 3,  /* lo is excluded */
    CFG_HI_OPEN = 1 << 4,  /* hi is excluded */
    CFG_NONEMPTY = 1 << 5, /* strings: "" is not legal */
};

typedef struct cfg_section cfg_section;

typedef struct cfg_key {
    const char *name;
    cfg_kind kind;
    size_t offset; /* in the section's struct */
    size_t size;   /* bytes of the field (string capacity) */
    unsigned flags;
    double lo, hi;
    const clcnn_name_table *names; /* CFG_ENUM: the legal names; CFG_CODE: and their codes */
    const cfg_section *sub;   /* CFG_SECTION */
    /* Called after the value changed, with the section's struct and the old value. */
    void (*changed)(void *base, const void *old);
    const char *doc; /* one line for readers of the table; configs/README.md says more */
} cfg_key;

struct cfg_section {
    const char *path; /* "train.optimizer"; "" for the top level */
    const cfg_key *keys;
    int n_keys;
    const char *scalar_key; /* a scalar in place of the map sets this key ("optimizer: sgd") */
};

/* Rows of cfg_layer_keys, as bits of cfg_layer_type.keys (CFG_LK(NAME) in core/layers.h). */
enum {
    CFG_LK_TYPE,
    CFG_LK_NAME,
    CFG_LK_FILTERS,
    CFG_LK_UNITS,
    CFG_LK_KERNEL_SIZE,
    CFG_LK_STRIDES,
    CFG_LK_POOL_SIZE,
    CFG_LK_PADDING,
    CFG_LK_ACTIVATION,
    CFG_LK_USE_BIAS,
    CFG_LK_RATE,
    CFG_LK_ALPHA,
    CFG_LK_MOMENTUM,
    CFG_LK_EPSILON,
    CFG_N_LAYER_KEYS
};
#define CFG_LK(key) (1u << CFG_LK_##key)
#define CFG_LK_POOLING (CFG_LK(NAME) | CFG_LK(POOL_SIZE) | CFG_LK(STRIDES) | CFG_LK(PADDING))

typedef struct cfg_layer_type {
    const char *name;       /* as written in YAML: "conv2d" */
    const char *keras_name; /* also accepted: "Conv2D"; NULL if Keras has no such class */
    uint32_t keys;          /* bits (1 << CFG_LK_*) of the keys it reads */
} cfg_layer_type;

extern const cfg_section cfg_root;
extern const cfg_key cfg_layer_keys[CFG_N_LAYER_KEYS];
extern const cfg_layer_type cfg_layer_types[];
extern const int cfg_n_layer_types;

/* A key of a hyperparameter declaration ({hp: int, name: x, min: 1, ...}), in hpdecl.c. */
typedef struct cfg_hparam_key {
    const char *name;
    unsigned types; /* bits (1 << CLCNN_HP_*) of the types that read it */
    int place;      /* 0: anywhere; 1: only in place of a value; 2: only in tune.hyperparameters */
} cfg_hparam_key;
extern const cfg_hparam_key cfg_hparam_keys[];
extern const int cfg_n_hparam_keys;

const cfg_layer_type *cfg_find_layer_type(const char *name); /* by name or Keras name */
int cfg_layer_reads(const cfg_layer_type *type, int key);    /* whether it reads CFG_LK_key */
const cfg_key *cfg_section_find(const cfg_section *sec, const char *name);

/* ---- scalar values ---------------------------------------------------------------------- */

/* Parses text (a YAML scalar; is_null when it is a plain null) into the field of key k in the
 * struct at base. On failure writes "expected ..., got 'text'" into err and returns 0. Not for
 * CFG_TRIPLE, CFG_CLASSES, CFG_LAYERS, CFG_SECTION, CFG_HPARAMS. A CFG_PAIR scalar sets both. */
int cfg_parse_scalar(const cfg_key *k, void *base, const char *text, int is_null, char *err,
                     size_t n);

/* Checks the field's current value; writes the problem into err and returns 0 if illegal. */
int cfg_check_field(const cfg_key *k, const void *base, char *err, size_t n);

/* Whether v is within the key's [lo, hi] (ends open as its flags say). */
int cfg_in_range(const cfg_key *k, double v);

/* What a key accepts, for messages: "an integer >= 1", "one of relu, tanh". */
void cfg_describe(const cfg_key *k, char *buf, size_t n);

int cfg_parse_int(const char *text, long long *out);
int cfg_parse_double(const char *text, double *out);
int cfg_parse_bool(const char *text, int *out);
int cfg_is_null_text(const char *text);

/* Shortest decimal text that reads back to exactly f (or d); always looks like a float
 * ("255.0", "1.0e-07") so YAML readers type it as one. */
void cfg_format_float(float f, char *buf, size_t n);
void cfg_format_double(double d, char *buf, size_t n);

/* Levenshtein distance, for "did you mean" hints. */
int cfg_edit_distance(const char *a, const char *b);

/* Integral numbers without a point ("3", for choices [3, 5]), others as cfg_format_double. */
void cfg_format_number(double d, char *buf, size_t n);

/* ---- hyperparameters (hpdecl.c; their rules are clcnn_hparam_check's) ---------------------- */

int cfg_hparam_equal(const clcnn_hparam *a, const clcnn_hparam *b);
/* A value as YAML text for the setter: 64, 0.001, true, "relu" (strings double-quoted). */
void cfg_hparam_value_text(const clcnn_hparam *hp, double v, char *buf, size_t n);

/* Checks that every value hp can take is accepted by the key at path of spec (by setting each
 * on a copy). prefix starts the message on failure ("x.yaml:3:5"). */
clcnn_status cfg_check_target(const clcnn_spec *spec, const clcnn_hparam *hp, const char *path,
                              const char *prefix);

#endif
