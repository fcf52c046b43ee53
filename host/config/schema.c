/* config/schema.c: the schema tables (every key of every section, every layer type) and the
 * typed parsing, checking and formatting of scalar values. No YAML here: the loader hands in a
 * scalar's text. Keep configs/README.md in step with these tables (a unit test checks that it
 * names every key). */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clcnn/oracle.h"
#include "config/schema.h"
#include "core/layers.h"

/* ---- legal names: the enums' tables (clcnn/enums.h, the metrics, the oracles) and directions -- */

static const clcnn_name direction_rows[] = {{"max", 1}, {"min", -1}};
static const clcnn_name_table directions = {
    "direction", direction_rows, (int)(sizeof direction_rows / sizeof direction_rows[0])};

#define INF INFINITY
#define FIELD(st, f) offsetof(st, f), sizeof(((st *)0)->f)
/* A row: struct, field, kind, flags, lo, hi, names, doc. */
#define ROW(st, f, kind, flags, lo, hi, names, doc)                                                \
    { #f, kind, FIELD(st, f), flags, lo, hi, names, NULL, NULL, doc }

/* ---- optimizer name changes move a learning rate left at the old default to the new one ---- */

static float default_learning_rate(const char *name) {
    return clcnn_optimizer_default_learning_rate(clcnn_name_find(&clcnn_optimizer_names, name));
}

static void optimizer_renamed(void *base, const void *old_name) {
    clcnn_optimizer_spec *o = base;
    if (o->learning_rate == default_learning_rate(old_name))
        o->learning_rate = default_learning_rate(o->name);
}

/* ---- sections -------------------------------------------------------------------------------- */

typedef clcnn_augment_spec A;
static const cfg_key augment_keys[] = {
    ROW(A, horizontal_flip, CFG_BOOL, 0, 0, 1, NULL, "mirror left-right with p 0.5"),
    ROW(A, vertical_flip, CFG_BOOL, 0, 0, 1, NULL, "mirror top-bottom with p 0.5"),
    ROW(A, width_shift, CFG_FLOAT, 0, 0, 1, NULL, "shift by U(-f, f) x width"),
    ROW(A, height_shift, CFG_FLOAT, 0, 0, 1, NULL, "shift by U(-f, f) x height"),
    ROW(A, zoom, CFG_FLOAT, CFG_HI_OPEN, 0, 1, NULL, "scale by 1 + U(-f, f)"),
    ROW(A, rotation, CFG_FLOAT, 0, 0, 1, NULL, "rotate by U(-f, f) turns"),
    ROW(A, fill_mode, CFG_ENUM, 0, 0, 0, &clcnn_fill_mode_names, "outside the image"),
    ROW(A, fill_value, CFG_FLOAT, 0, -INF, INF, NULL, "constant fill, raw pixel units"),
    ROW(A, interpolation, CFG_ENUM, 0, 0, 0, &clcnn_interpolation_names, "sampling"),
    ROW(A, erasing, CFG_FLOAT, 0, 0, 1, NULL, "random erasing probability"),
    ROW(A, erasing_min_area, CFG_FLOAT, CFG_LO_OPEN, 0, 1, NULL, "erased area fraction, min"),
    ROW(A, erasing_max_area, CFG_FLOAT, CFG_LO_OPEN, 0, 1, NULL, "erased area fraction, max"),
    ROW(A, erasing_ratio, CFG_FLOAT, CFG_LO_OPEN, 0, 1, NULL, "aspect ratio in [r, 1/r]"),
};
static const cfg_section augment_section = {
    "data.augment", augment_keys, sizeof augment_keys / sizeof augment_keys[0], NULL};

typedef clcnn_data_spec D;
static const cfg_key data_keys[] = {
    ROW(D, dir, CFG_STR, 0, 0, 0, NULL, "folder of the dataset files"),
    ROW(D, train_images, CFG_STR, CFG_NONEMPTY, 0, 0, NULL, "IDX file, relative to dir"),
    ROW(D, train_labels, CFG_STR, CFG_NONEMPTY, 0, 0, NULL, "IDX file, relative to dir"),
    ROW(D, test_images, CFG_STR, CFG_NONEMPTY, 0, 0, NULL, "IDX file, relative to dir"),
    ROW(D, test_labels, CFG_STR, CFG_NONEMPTY, 0, 0, NULL, "IDX file, relative to dir"),
    ROW(D, scale, CFG_FLOAT, CFG_LO_OPEN, 0, INF, NULL, "pixels are divided by this"),
    ROW(D, validation_split, CFG_FLOAT, CFG_HI_OPEN, 0, 1, NULL, "held-out tail fraction"),
    ROW(D, train_limit, CFG_LIMIT, CFG_NULLABLE, 1, INF, NULL, "first N training examples"),
    ROW(D, test_limit, CFG_LIMIT, CFG_NULLABLE, 1, INF, NULL, "first N test examples"),
    ROW(D, shuffle, CFG_BOOL, 0, 0, 1, NULL, "reshuffle every epoch"),
    {"classes", CFG_CLASSES, 0, 0, CFG_NO_HP, 1, CLCNN_MAX_CLASSES, NULL, NULL, NULL,
     "class names (or a count)"},
    ROW(D, format, CFG_ENUM, 0, 0, 0, &clcnn_data_format_names, "IDX files or a folder of images"),
    ROW(D, train_dir, CFG_STR, CFG_NONEMPTY, 0, 0, NULL, "image_folder: <class>/<image>"),
    ROW(D, test_dir, CFG_STR, CFG_NONEMPTY, 0, 0, NULL, "image_folder: <class>/<image>"),
    ROW(D, streaming, CFG_ENUM, 0, 0, 0, &clcnn_data_streaming_names, "in memory or streamed"),
    ROW(D, cache_mb, CFG_LIMIT, CFG_NULLABLE, 1, INF, NULL, "host memory for decoded images"),
    ROW(D, decode_threads, CFG_INT, 0, 0, 64, NULL, "image decoding threads, 0 = per CPU"),
    {"augment", CFG_SECTION, FIELD(D, augment), 0, 0, 0, NULL, &augment_section, NULL,
     "random augmentation of training batches"},
};

typedef clcnn_model_spec M;
static const cfg_key model_keys[] = {
    ROW(M, input_shape, CFG_TRIPLE, CFG_NO_HP, 1, INF, NULL, "[height, width, channels]"),
    {"layers", CFG_LAYERS, 0, 0, CFG_NO_HP, 0, 0, NULL, NULL, NULL, "the layer list"},
};

typedef clcnn_optimizer_spec O;
static const cfg_key optimizer_keys[] = {
    {"name", CFG_ENUM, FIELD(O, name), CFG_LEADS, 0, 0, &clcnn_optimizer_names, NULL,
     optimizer_renamed, "optimizer"},
    ROW(O, learning_rate, CFG_FLOAT, CFG_LO_OPEN, 0, INF, NULL, "step size"),
    ROW(O, beta_1, CFG_FLOAT, CFG_HI_OPEN, 0, 1, NULL, "adam"),
    ROW(O, beta_2, CFG_FLOAT, CFG_HI_OPEN, 0, 1, NULL, "adam"),
    ROW(O, epsilon, CFG_FLOAT, 0, 0, INF, NULL, "adam, rmsprop"),
    ROW(O, momentum, CFG_FLOAT, 0, 0, 1, NULL, "sgd, rmsprop"),
    ROW(O, nesterov, CFG_BOOL, 0, 0, 1, NULL, "sgd"),
    ROW(O, rho, CFG_FLOAT, CFG_HI_OPEN, 0, 1, NULL, "rmsprop"),
    ROW(O, weight_decay, CFG_FLOAT, 0, 0, INF, NULL, "decoupled, p -= lr * wd * p"),
};
static const cfg_section optimizer_section = {
    "train.optimizer", optimizer_keys, sizeof optimizer_keys / sizeof optimizer_keys[0], "name"};

typedef clcnn_lr_schedule_spec S;
static const cfg_key schedule_keys[] = {
    {"name", CFG_ENUM, FIELD(S, name), CFG_LEADS, 0, 0, &clcnn_lr_schedule_names, NULL, NULL,
     "schedule"},
    ROW(S, drop, CFG_FLOAT, CFG_LO_OPEN, 0, 1, NULL, "step: factor per drop"),
    ROW(S, every, CFG_INT, 0, 1, INT32_MAX, NULL, "step: epochs between drops"),
    ROW(S, alpha, CFG_FLOAT, 0, 0, 1, NULL, "cosine: final fraction"),
    ROW(S, warmup_epochs, CFG_INT, 0, 0, INT32_MAX, NULL, "linear warm-up epochs"),
};
static const cfg_section schedule_section = {
    "train.lr_schedule", schedule_keys, sizeof schedule_keys / sizeof schedule_keys[0], "name"};

typedef clcnn_early_stopping_spec E;
static const cfg_key early_keys[] = {
    ROW(E, monitor, CFG_ENUM, CFG_NULLABLE, 0, 0, &clcnn_metric_names, "null = off"),
    ROW(E, patience, CFG_INT, 0, 0, INT32_MAX, NULL, "epochs without improvement"),
    ROW(E, min_delta, CFG_FLOAT, 0, 0, INF, NULL, "smaller changes do not count"),
    ROW(E, restore_best_weights, CFG_BOOL, 0, 0, 1, NULL, "end with the best epoch's weights"),
};
static const cfg_section early_section = {
    "train.early_stopping", early_keys, sizeof early_keys / sizeof early_keys[0], NULL};

typedef clcnn_train_spec T;
static const cfg_key train_keys[] = {
    ROW(T, epochs, CFG_INT, 0, 1, INT32_MAX, NULL, "passes over the training set"),
    ROW(T, batch_size, CFG_INT, 0, 1, INT32_MAX, NULL, "examples per step"),
    ROW(T, seed, CFG_U64, 0, 0, 0, NULL, "initial weights, shuffling"),
    ROW(T, loss, CFG_ENUM, 0, 0, 0, &clcnn_loss_names, "loss function"),
    {"optimizer", CFG_SECTION, FIELD(T, optimizer), 0, 0, 0, NULL, &optimizer_section, NULL,
     "optimizer settings"},
    ROW(T, checkpoint_monitor, CFG_ENUM, CFG_NULLABLE, 0, 0, &clcnn_metric_names,
        "keep the best epoch by"),
    ROW(T, conv_route, CFG_ENUM, 0, 0, 0, &clcnn_route_names, "convolution implementation"),
    {"lr_schedule", CFG_SECTION, FIELD(T, lr_schedule), 0, 0, 0, NULL, &schedule_section, NULL,
     "learning rate over training"},
    {"early_stopping", CFG_SECTION, FIELD(T, early_stopping), 0, 0, 0, NULL, &early_section, NULL,
     "Keras' EarlyStopping"},
};

typedef clcnn_tune_spec U;
static const cfg_key tune_keys[] = {
    ROW(U, algorithm, CFG_ENUM, CFG_NO_HP, 0, 0, &clcnn_oracle_algorithm_names, "search algorithm"),
    ROW(U, max_trials, CFG_LIMIT, CFG_NO_HP | CFG_NULLABLE, 0, INT32_MAX, NULL,
        "trials to run at most; null = hyperband's whole schedule, else 10; 0 = no limit"),
    ROW(U, executions_per_trial, CFG_INT, CFG_NO_HP, 1, INT32_MAX, NULL, "trainings per trial"),
    ROW(U, objective, CFG_ENUM, CFG_NO_HP, 0, 0, &clcnn_metric_names, "metric to optimize"),
    {"direction", CFG_CODE, FIELD(U, direction), CFG_NO_HP | CFG_NULLABLE, 0, 0, &directions, NULL,
     NULL, "max or min; null = from the objective"},
    ROW(U, seed, CFG_U64, CFG_NO_HP, 0, 0, NULL, "oracle seed"),
    ROW(U, max_consecutive_failures, CFG_INT, CFG_NO_HP, 0, INT32_MAX, NULL, "0 = never stop"),
    ROW(U, max_epochs, CFG_INT, CFG_NO_HP, 1, INT32_MAX, NULL, "hyperband"),
    ROW(U, factor, CFG_INT, CFG_NO_HP, 2, INT32_MAX, NULL, "hyperband"),
    ROW(U, hyperband_iterations, CFG_INT, CFG_NO_HP, 1, INT32_MAX, NULL, "hyperband"),
    ROW(U, initial_points, CFG_INT, CFG_NO_HP, 0, INT32_MAX, NULL, "bayesian: random design; 0 = default"),
    ROW(U, retrain_best, CFG_BOOL, CFG_NO_HP, 0, 1, NULL, "retrain the best on all data"),
    {"hyperparameters", CFG_HPARAMS, 0, 0, CFG_NO_HP, 0, 0, NULL, NULL, NULL,
     "declarations with their targets"},
};

#define SECTION(path, keys)                                                                        \
    { path, keys, sizeof keys / sizeof keys[0], NULL }
static const cfg_section data_section = SECTION("data", data_keys);
static const cfg_section model_section = SECTION("model", model_keys);
static const cfg_section train_section = SECTION("train", train_keys);
static const cfg_section tune_section = SECTION("tune", tune_keys);

/* tune leads so that tune.hyperparameters are declared before the inline declarations. */
static const cfg_key root_keys[] = {
    {"data", CFG_SECTION, FIELD(clcnn_spec, data), 0, 0, 0, NULL, &data_section, NULL, ""},
    {"model", CFG_SECTION, FIELD(clcnn_spec, model), 0, 0, 0, NULL, &model_section, NULL, ""},
    {"train", CFG_SECTION, FIELD(clcnn_spec, train), 0, 0, 0, NULL, &train_section, NULL, ""},
    {"tune", CFG_SECTION, FIELD(clcnn_spec, tune), CFG_LEADS, 0, 0, NULL, &tune_section, NULL, ""},
};
const cfg_section cfg_root = SECTION("", root_keys);

/* ---- layers ---------------------------------------------------------------------------------- */

typedef clcnn_layer_spec L;
const cfg_key cfg_layer_keys[CFG_N_LAYER_KEYS] = {
    [CFG_LK_TYPE] = ROW(L, type, CFG_TYPE, CFG_NO_HP | CFG_LEADS, 0, 0, NULL, "layer type"),
    [CFG_LK_NAME] = ROW(L, name, CFG_STR, CFG_NULLABLE, 0, 0, NULL, "null = <type>_<index>"),
    [CFG_LK_FILTERS] = ROW(L, filters, CFG_INT, 0, 1, INT32_MAX, NULL, "output channels"),
    [CFG_LK_UNITS] = ROW(L, units, CFG_INT, 0, 1, INT32_MAX, NULL, "outputs"),
    [CFG_LK_KERNEL_SIZE] = ROW(L, kernel_size, CFG_PAIR, 0, 1, INT32_MAX, NULL, "n or [h, w]"),
    [CFG_LK_STRIDES] = ROW(L, strides, CFG_PAIR, CFG_NULLABLE, 1, INT32_MAX, NULL,
                           "n or [h, w]; null = 1 (conv), pool_size (pooling)"),
    [CFG_LK_POOL_SIZE] = ROW(L, pool_size, CFG_PAIR, 0, 1, INT32_MAX, NULL, "n or [h, w]"),
    [CFG_LK_PADDING] = {"padding", CFG_CODE, FIELD(L, padding), 0, 0, 0, &clcnn_padding_names, NULL,
                        NULL, "valid or same"},
    [CFG_LK_ACTIVATION] =
        ROW(L, activation, CFG_ENUM, 0, 0, 0, &clcnn_activation_names, "activation"),
    [CFG_LK_USE_BIAS] = ROW(L, use_bias, CFG_BOOL, 0, 0, 1, NULL, "add a bias"),
    [CFG_LK_RATE] = ROW(L, rate, CFG_FLOAT, CFG_HI_OPEN, 0, 1, NULL, "fraction dropped"),
    [CFG_LK_ALPHA] = ROW(L, alpha, CFG_FLOAT, 0, 0, INF, NULL, "negative slope / ELU alpha"),
    [CFG_LK_MOMENTUM] = ROW(L, momentum, CFG_FLOAT, 0, 0, 1, NULL, "running-average momentum"),
    [CFG_LK_EPSILON] = ROW(L, epsilon, CFG_FLOAT, CFG_LO_OPEN, 0, INF, NULL, "variance epsilon"),
};

#define LAYER_TYPE(name, keras_name, keys) {#name, keras_name, keys},
const cfg_layer_type cfg_layer_types[] = {CLCNN_LAYER_TYPES(LAYER_TYPE)};
const int cfg_n_layer_types = sizeof cfg_layer_types / sizeof cfg_layer_types[0];

const cfg_layer_type *cfg_find_layer_type(const char *name) {
    for (int i = 0; i < cfg_n_layer_types; i++) {
        const cfg_layer_type *t = &cfg_layer_types[i];
        if (strcmp(t->name, name) == 0 || (t->keras_name && strcmp(t->keras_name, name) == 0))
            return t;
    }
    return NULL;
}

int cfg_layer_reads(const cfg_layer_type *type, int key) {
    return key == CFG_LK_TYPE || (type->keys >> key & 1u);
}

const cfg_key *cfg_section_find(const cfg_section *sec, const char *name) {
    for (int i = 0; i < sec->n_keys; i++)
        if (strcmp(sec->keys[i].name, name) == 0) return &sec->keys[i];
    return NULL;
}

/* ---- scalar parsing -------------------------------------------------------------------------- */

int cfg_is_null_text(const char *t) {
    return !*t || !strcmp(t, "~") || !strcmp(t, "null") || !strcmp(t, "Null") || !strcmp(t, "NULL");
}

int cfg_parse_double(const char *text, double *out) {
    char *end;
    if (!*text || isspace((unsigned char)*text)) return 0;
    errno = 0;
    double v = strtod(text, &end);
    if (*end || errno == ERANGE || !isfinite(v)) return 0;
    *out = v;
    return 1;
}

/* Integers may be written as integral numbers in any notation ("64", "1e3", "64.0"). */
int cfg_parse_int(const char *text, long long *out) {
    char *end;
    if (!*text || isspace((unsigned char)*text)) return 0;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (!*end && errno == 0) {
        *out = v;
        return 1;
    }
    double d;
    if (!cfg_parse_double(text, &d) || d != floor(d) || fabs(d) > 9e15) return 0;
    *out = (long long)d;
    return 1;
}

int cfg_parse_bool(const char *t, int *out) {
    static const char *const yes[] = {"true", "True", "TRUE", "yes", "Yes",
                                      "YES",  "on",   "On",   "ON"};
    static const char *const no[] = {"false", "False", "FALSE", "no", "No",
                                     "NO",    "off",   "Off",   "OFF"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (!strcmp(t, yes[i])) return *out = 1, 1;
        if (!strcmp(t, no[i])) return *out = 0, 1;
    }
    if (!strcmp(t, "1") || !strcmp(t, "0")) return *out = t[0] == '1', 1;
    return 0;
}

int cfg_in_range(const cfg_key *k, double v) {
    if (k->flags & CFG_LO_OPEN ? !(v > k->lo) : !(v >= k->lo)) return 0;
    if (k->flags & CFG_HI_OPEN ? !(v < k->hi) : !(v <= k->hi)) return 0;
    return 1;
}

static void describe_range(const cfg_key *k, const char *what, char *buf, size_t n) {
    char lo[32], hi[32];
    snprintf(lo, sizeof lo, "%.9g", k->lo);
    snprintf(hi, sizeof hi, "%.9g", k->hi);
    int has_lo = isfinite(k->lo), has_hi = isfinite(k->hi) && k->hi < INT32_MAX;
    if (has_lo && has_hi)
        snprintf(buf, n, "%s in %c%s, %s%c", what, k->flags & CFG_LO_OPEN ? '(' : '[', lo, hi,
                 k->flags & CFG_HI_OPEN ? ')' : ']');
    else if (has_lo)
        snprintf(buf, n, "%s %s %s", what, k->flags & CFG_LO_OPEN ? ">" : ">=", lo);
    else
        snprintf(buf, n, "%s", what);
}

void cfg_describe(const cfg_key *k, char *buf, size_t n) {
    char names[512];
    switch (k->kind) {
    case CFG_INT:
        describe_range(k, "an integer", buf, n);
        break;
    case CFG_LIMIT:
        describe_range(k, "null or an integer", buf, n);
        break;
    case CFG_U64:
        snprintf(buf, n, "an integer >= 0");
        break;
    case CFG_FLOAT:
        describe_range(k, "a number", buf, n);
        break;
    case CFG_BOOL:
        snprintf(buf, n, "true or false");
        break;
    case CFG_STR:
        snprintf(buf, n, "%s string of at most %zu bytes",
                 k->flags & CFG_NONEMPTY ? "a non-empty" : "a", k->size - 1);
        break;
    case CFG_ENUM:
    case CFG_CODE:
        clcnn_name_list(k->names, names, sizeof names);
        snprintf(buf, n, "%sone of %s", k->flags & CFG_NULLABLE ? "null or " : "", names);
        break;
    case CFG_PAIR:
        describe_range(k, "an integer", names, sizeof names);
        snprintf(buf, n, "%s%s or a list of two", k->flags & CFG_NULLABLE ? "null, " : "", names);
        break;
    case CFG_TRIPLE:
        snprintf(buf, n, "a list of three integers >= 1");
        break;
    case CFG_CLASSES:
        snprintf(buf, n, "a list of 1 to %d class names, or a count", CLCNN_MAX_CLASSES);
        break;
    case CFG_LAYERS:
        snprintf(buf, n, "a list of layers");
        break;
    case CFG_SECTION:
        snprintf(buf, n, "a map");
        break;
    case CFG_HPARAMS:
        snprintf(buf, n, "a list of hyperparameter declarations");
        break;
    case CFG_TYPE:
        snprintf(buf, n, "a layer type (%s)", CLCNN_LAYER_TYPE_NAMES);
        break;
    }
}

static int fail_expected(const cfg_key *k, const char *text, char *err, size_t n) {
    char want[600];
    cfg_describe(k, want, sizeof want);
    snprintf(err, n, "expected %s, got '%s'", want, text);
    return 0;
}

int cfg_parse_scalar(const cfg_key *k, void *base, const char *text, int is_null, char *err,
                     size_t n) {
    char *field = (char *)base + k->offset;
    long long i;
    double d;
    int empty_text = !*text && (k->kind == CFG_STR || k->kind == CFG_ENUM);
    if ((is_null || empty_text) && (k->flags & CFG_NULLABLE)) {
        if (k->kind == CFG_LIMIT)
            *(long *)field = -1;
        else
            memset(field, 0, k->size); /* "", or 0 = the default (CFG_CODE, CFG_PAIR) */
        return 1;
    }
    switch (k->kind) {
    case CFG_INT:
    case CFG_LIMIT:
        if (is_null || !cfg_parse_int(text, &i) || !cfg_in_range(k, (double)i))
            return fail_expected(k, text, err, n);
        if (k->kind == CFG_INT)
            *(int *)field = (int)i;
        else
            *(long *)field = (long)i;
        return 1;
    case CFG_PAIR:
        if (is_null || !cfg_parse_int(text, &i) || !cfg_in_range(k, (double)i))
            return fail_expected(k, text, err, n);
        ((int *)field)[0] = ((int *)field)[1] = (int)i;
        return 1;
    case CFG_U64: {
        char *end;
        errno = 0;
        unsigned long long u = strtoull(text, &end, 10);
        if (is_null || !isdigit((unsigned char)text[0]) || *end || errno)
            return fail_expected(k, text, err, n);
        *(uint64_t *)field = (uint64_t)u;
        return 1;
    }
    case CFG_FLOAT:
        if (is_null || !cfg_parse_double(text, &d) || !isfinite((float)d) ||
            !cfg_in_range(k, (float)d))
            return fail_expected(k, text, err, n);
        *(float *)field = (float)d;
        return 1;
    case CFG_BOOL: {
        int b;
        if (is_null || !cfg_parse_bool(text, &b)) return fail_expected(k, text, err, n);
        *(int *)field = b;
        return 1;
    }
    case CFG_STR:
    case CFG_ENUM:
    case CFG_TYPE:
        if (is_null || strlen(text) >= k->size ||
            (k->kind == CFG_ENUM && clcnn_name_find(k->names, text) < 0) ||
            (k->kind == CFG_TYPE && !cfg_find_layer_type(text)) ||
            ((k->flags & CFG_NONEMPTY) && !*text))
            return fail_expected(k, text, err, n);
        if (k->kind == CFG_TYPE) text = cfg_find_layer_type(text)->name;
        memset(field, 0, k->size); /* no stale bytes: equal specs compare equal with memcmp */
        memcpy(field, text, strlen(text));
        return 1;
    case CFG_CODE:
        if (is_null || !clcnn_name_lookup(k->names, text, (int *)field))
            return fail_expected(k, text, err, n);
        return 1;
    default:
        return fail_expected(k, text, err, n);
    }
}

/* ---- checking a field's value (clcnn_spec_validate) ------------------------------------------ */

static int check_ints(const cfg_key *k, const int *v, int count, int nullable, char *err,
                      size_t n) {
    int all_zero = 1;
    for (int j = 0; j < count; j++)
        all_zero &= v[j] == 0;
    if (nullable && all_zero) return 1;
    for (int j = 0; j < count; j++) {
        if (!cfg_in_range(k, v[j])) {
            char got[16];
            snprintf(got, sizeof got, "%d", v[j]);
            return fail_expected(k, got, err, n);
        }
    }
    return 1;
}

int cfg_check_field(const cfg_key *k, const void *base, char *err, size_t n) {
    const char *field = (const char *)base + k->offset;
    char got[64];
    switch (k->kind) {
    case CFG_INT:
        return check_ints(k, (const int *)field, 1, 0, err, n);
    case CFG_PAIR:
        return check_ints(k, (const int *)field, 2, k->flags & CFG_NULLABLE, err, n);
    case CFG_TRIPLE:
        return check_ints(k, (const int *)field, 3, 0, err, n);
    case CFG_LIMIT: {
        long v = *(const long *)field;
        snprintf(got, sizeof got, "%ld", v);
        return v == -1 || cfg_in_range(k, (double)v) ? 1 : fail_expected(k, got, err, n);
    }
    case CFG_FLOAT: {
        float v = *(const float *)field;
        snprintf(got, sizeof got, "%.9g", v);
        return isfinite(v) && cfg_in_range(k, v) ? 1 : fail_expected(k, got, err, n);
    }
    case CFG_BOOL: {
        int v = *(const int *)field;
        snprintf(got, sizeof got, "%d", v);
        return v == 0 || v == 1 ? 1 : fail_expected(k, got, err, n);
    }
    case CFG_STR:
    case CFG_ENUM:
    case CFG_TYPE: {
        if (!memchr(field, '\0', k->size)) return fail_expected(k, "(unterminated)", err, n);
        if (!*field && (k->flags & CFG_NULLABLE)) return 1;
        int ok = (k->kind == CFG_STR && (*field || !(k->flags & CFG_NONEMPTY))) ||
                 (k->kind == CFG_ENUM && clcnn_name_find(k->names, field) >= 0) ||
                 (k->kind == CFG_TYPE && cfg_find_layer_type(field));
        return ok ? 1 : fail_expected(k, field, err, n);
    }
    case CFG_CODE: {
        int v = *(const int *)field;
        if (v == 0 && (k->flags & CFG_NULLABLE)) return 1;
        if (clcnn_name_of(k->names, v)) return 1;
        snprintf(got, sizeof got, "%d", v);
        return fail_expected(k, got, err, n);
    }
    default:
        return 1; /* U64 is always legal; lists and sections are checked by their owners */
    }
}

/* ---- formatting ------------------------------------------------------------------------------ */

static void make_float_looking(char *buf, size_t n) {
    if (strpbrk(buf, ".ni")) return; /* has a point, or is nan/inf */
    char *e = strchr(buf, 'e');
    size_t len = strlen(buf);
    if (len + 3 > n) return;
    if (!e) {
        memcpy(buf + len, ".0", 3);
    } else {
        memmove(e + 2, e, strlen(e) + 1);
        e[0] = '.';
        e[1] = '0';
    }
}

/* (Not snprintf: GCC's sanitizer builds misjudge buf there.) */
static void copy_text(char *buf, size_t n, const char *text) {
    size_t k = strlen(text);
    if (!n) return;
    if (k >= n) k = n - 1;
    memcpy(buf, text, k);
    buf[k] = '\0';
}

void cfg_format_float(float f, char *buf, size_t n) {
    char text[48];
    for (int p = 6; p <= 9; p++) {
        snprintf(text, sizeof text, "%.*g", p, (double)f);
        if (strtof(text, NULL) == f) break;
    }
    make_float_looking(text, sizeof text);
    copy_text(buf, n, text);
}

void cfg_format_double(double d, char *buf, size_t n) {
    char text[48];
    for (int p = 15; p <= 17; p++) {
        snprintf(text, sizeof text, "%.*g", p, d);
        if (strtod(text, NULL) == d) break;
    }
    make_float_looking(text, sizeof text);
    copy_text(buf, n, text);
}

int cfg_edit_distance(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63) return 99;
    int row[64];
    for (size_t j = 0; j <= lb; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int up = row[j];
            int best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* ---- numbers in hyperparameter declarations -------------------------------------------------- */

void cfg_format_number(double d, char *buf, size_t n) {
    if (d == floor(d) && fabs(d) < 1e15)
        snprintf(buf, n, "%.0f", d);
    else
        cfg_format_double(d, buf, n);
}
