/* core/enums.c: the name tables of clcnn/enums.h, the lookups every table is read through,
 * clcnn/enums.h's functions, and the #defines through which kernels see the values they read.
 * Each row holds a name and its value; a table's length is checked against its enum's COUNT when
 * compiled, and tests/unit/test_tables.c checks when run that every value has exactly one name
 * and that every name reads back. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "core.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

/* In the order configs/README.md lists them; the values are the kernel's codes. */
static const clcnn_name activation_rows[] = {
    {"linear", CLCNN_ACT_LINEAR},   {"relu", CLCNN_ACT_RELU},
    {"softmax", CLCNN_ACT_SOFTMAX}, {"leaky_relu", CLCNN_ACT_LEAKY_RELU},
    {"elu", CLCNN_ACT_ELU},         {"sigmoid", CLCNN_ACT_SIGMOID},
    {"tanh", CLCNN_ACT_TANH},
};
CLCNN_NAME_TABLE(clcnn_activation_names, "activation", CLCNN_ACT_COUNT, activation_rows);

static const clcnn_name padding_rows[] = {
    {"valid", CLCNN_PADDING_VALID},
    {"same", CLCNN_PADDING_SAME},
};
CLCNN_NAME_TABLE(clcnn_padding_names, "padding", CLCNN_PADDING_COUNT, padding_rows);

static const clcnn_name loss_rows[] = {
    {"sparse_categorical_crossentropy", CLCNN_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY},
    {"categorical_crossentropy", CLCNN_LOSS_CATEGORICAL_CROSSENTROPY},
};
CLCNN_NAME_TABLE(clcnn_loss_names, "loss", CLCNN_LOSS_COUNT, loss_rows);

#define OPTIMIZER_ROW(id, name, lr) {#name, CLCNN_OPTIMIZER_##id},
static const clcnn_name optimizer_rows[] = {CLCNN_OPTIMIZERS(OPTIMIZER_ROW)};
CLCNN_NAME_TABLE(clcnn_optimizer_names, "optimizer", CLCNN_OPTIMIZER_COUNT, optimizer_rows);

#define OPTIMIZER_RATE(id, name, lr) [CLCNN_OPTIMIZER_##id] = lr,
static const float optimizer_rates[] = {CLCNN_OPTIMIZERS(OPTIMIZER_RATE)};

float clcnn_optimizer_default_learning_rate(clcnn_optimizer optimizer) {
    return (unsigned)optimizer < LEN(optimizer_rates) ? optimizer_rates[optimizer] : 0.0f;
}

static const clcnn_name route_rows[] = {
    {"auto", CLCNN_ROUTE_AUTO},
    {"own", CLCNN_ROUTE_OWN},
    {"clblast", CLCNN_ROUTE_CLBLAST},
    {"tiled", CLCNN_ROUTE_TILED},
};
CLCNN_NAME_TABLE(clcnn_route_names, "route", CLCNN_ROUTE_COUNT, route_rows);

static const clcnn_name data_format_rows[] = {
    {"idx", CLCNN_DATA_FORMAT_IDX},
    {"image_folder", CLCNN_DATA_FORMAT_IMAGE_FOLDER},
};
CLCNN_NAME_TABLE(clcnn_data_format_names, "data format", CLCNN_DATA_FORMAT_COUNT, data_format_rows);

static const clcnn_name data_streaming_rows[] = {
    {"auto", CLCNN_DATA_STREAMING_AUTO},
    {"on", CLCNN_DATA_STREAMING_ON},
    {"off", CLCNN_DATA_STREAMING_OFF},
};
CLCNN_NAME_TABLE(clcnn_data_streaming_names, "data streaming mode", CLCNN_DATA_STREAMING_COUNT,
                 data_streaming_rows);

static const clcnn_name fill_mode_rows[] = {
    {"reflect", CLCNN_FILL_REFLECT},
    {"constant", CLCNN_FILL_CONSTANT},
    {"nearest", CLCNN_FILL_NEAREST},
    {"wrap", CLCNN_FILL_WRAP},
};
CLCNN_NAME_TABLE(clcnn_fill_mode_names, "fill mode", CLCNN_FILL_COUNT, fill_mode_rows);

static const clcnn_name interpolation_rows[] = {
    {"bilinear", CLCNN_INTERPOLATION_BILINEAR},
    {"nearest", CLCNN_INTERPOLATION_NEAREST},
};
CLCNN_NAME_TABLE(clcnn_interpolation_names, "interpolation", CLCNN_INTERPOLATION_COUNT,
                 interpolation_rows);

static const clcnn_name lr_schedule_rows[] = {
    {"constant", CLCNN_LR_SCHEDULE_CONSTANT},
    {"step", CLCNN_LR_SCHEDULE_STEP},
    {"cosine", CLCNN_LR_SCHEDULE_COSINE},
};
CLCNN_NAME_TABLE(clcnn_lr_schedule_names, "learning-rate schedule", CLCNN_LR_SCHEDULE_COUNT,
                 lr_schedule_rows);

const clcnn_name_table *const clcnn_name_tables[] = {
    &clcnn_activation_names,  &clcnn_padding_names,
    &clcnn_loss_names,        &clcnn_optimizer_names,
    &clcnn_route_names,       &clcnn_data_format_names,
    &clcnn_fill_mode_names,   &clcnn_interpolation_names,
    &clcnn_lr_schedule_names, &clcnn_data_streaming_names,
    NULL,
};

/* ---- lookups --------------------------------------------------------------------------------- */

const char *clcnn_name_of(const clcnn_name_table *table, int value) {
    for (int i = 0; i < table->count; i++)
        if (table->rows[i].value == value) return table->rows[i].name;
    return NULL;
}

int clcnn_name_lookup(const clcnn_name_table *table, const char *name, int *value) {
    for (int i = 0; name && i < table->count; i++)
        if (strcmp(table->rows[i].name, name) == 0) {
            *value = table->rows[i].value;
            return 1;
        }
    return 0;
}

int clcnn_name_find(const clcnn_name_table *table, const char *name) {
    int value;
    return clcnn_name_lookup(table, name, &value) ? value : -1;
}

void clcnn_name_list(const clcnn_name_table *table, char *buf, size_t n) {
    size_t used = 0;
    if (n) buf[0] = '\0';
    for (int i = 0; i < table->count && used < n; i++)
        used += (size_t)snprintf(buf + used, n - used, "%s%s", i ? ", " : "", table->rows[i].name);
}

clcnn_status clcnn_name_parse(const clcnn_name_table *table, const char *name, int *value) {
    if (clcnn_name_lookup(table, name, value)) return CLCNN_STATUS_OK;
    char known[512];
    clcnn_name_list(table, known, sizeof known);
    return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "unknown %s '%s' (expected one of %s)",
                      table->what, name ? name : "(null)", known);
}

/* ---- clcnn/enums.h's functions, one pair per table ------------------------------------------- */

#define NAME_FUNCTIONS(prefix, type, table)                                                        \
    const char *prefix##_name(type value) {                                                        \
        return clcnn_name_of(&table, (int)value);                                                  \
    }                                                                                              \
    clcnn_status prefix##_parse(const char *name, type *value) {                                   \
        int v = 0;                                                                                 \
        CLCNN_TRY(clcnn_name_parse(&table, name, &v));                                             \
        *value = (type)v;                                                                          \
        return CLCNN_STATUS_OK;                                                                    \
    }

NAME_FUNCTIONS(clcnn_activation, clcnn_activation, clcnn_activation_names)
NAME_FUNCTIONS(clcnn_padding, clcnn_padding, clcnn_padding_names)
NAME_FUNCTIONS(clcnn_loss, clcnn_loss, clcnn_loss_names)
NAME_FUNCTIONS(clcnn_optimizer, clcnn_optimizer, clcnn_optimizer_names)
NAME_FUNCTIONS(clcnn_route, clcnn_route, clcnn_route_names)
NAME_FUNCTIONS(clcnn_data_format, clcnn_data_format, clcnn_data_format_names)
NAME_FUNCTIONS(clcnn_data_streaming, clcnn_data_streaming, clcnn_data_streaming_names)
NAME_FUNCTIONS(clcnn_fill_mode, clcnn_fill_mode, clcnn_fill_mode_names)
NAME_FUNCTIONS(clcnn_interpolation, clcnn_interpolation, clcnn_interpolation_names)
NAME_FUNCTIONS(clcnn_lr_schedule, clcnn_lr_schedule, clcnn_lr_schedule_names)

/* ---- the values kernels read ----------------------------------------------------------------- */

/* The enums a kernel reads, with the prefix of their #defines: ACT_LEAKY_RELU, FILL_WRAP... */
static const struct {
    const clcnn_name_table *table;
    const char *prefix;
} kernel_enums[] = {
    {&clcnn_activation_names, "ACT"},
    {&clcnn_fill_mode_names, "FILL"},
    {&clcnn_interpolation_names, "INTERPOLATION"},
};

clcnn_status clcnn_kernel_defines(char *buf, size_t n) {
    size_t used = 0;
    if (n) buf[0] = '\0';
    for (size_t e = 0; e < LEN(kernel_enums); e++) {
        const clcnn_name_table *t = kernel_enums[e].table;
        for (int i = 0; i < t->count; i++) {
            char upper[64];
            size_t k = 0;
            for (const char *c = t->rows[i].name; *c && k + 1 < sizeof upper; c++)
                upper[k++] = (char)toupper((unsigned char)*c);
            upper[k] = '\0';
            CLCNN_TRY(clcnn_strfmt(buf + used, n - used, "#define %s_%s %d\n",
                                   kernel_enums[e].prefix, upper, t->rows[i].value));
            used += strlen(buf + used);
        }
    }
    return CLCNN_STATUS_OK;
}
