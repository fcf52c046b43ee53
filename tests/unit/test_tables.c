/* tests/unit/test_tables.c: the run-time half of the checks on the tables that tie names to code
 * (the compile-time half is each table's _Static_assert on its length): every enum of
 * clcnn/enums.h has one table in which each value has exactly one name and each name reads back;
 * the kernels read exactly the values the tables define; the layer list gives config and nn the
 * same types; every optimizer has an implementation and Keras' default learning rate. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clcnn/oracle.h"
#include "config/schema.h"
#include "core/embedded.h"
#include "core/layers.h"
#include "nn/nn.h"
#include "test_util.h"

/* ---- the enums' name tables ------------------------------------------------------------------ */

static void check_table(const clcnn_name_table *t) {
    assert_true(t->count > 0);
    assert_non_null(t->what);
    for (int v = 0; v < t->count; v++) {
        int rows = 0;
        for (int i = 0; i < t->count; i++)
            rows += t->rows[i].value == v;
        if (rows != 1) fail_msg("%s: value %d has %d names", t->what, v, rows);
        const char *name = clcnn_name_of(t, v);
        assert_non_null(name);
        assert_true(name[0]);
        assert_int_equal(clcnn_name_find(t, name), v);
        int parsed = -1;
        assert_int_equal(clcnn_name_parse(t, name, &parsed), CLCNN_STATUS_OK);
        assert_int_equal(parsed, v);
    }
    for (int i = 0; i < t->count; i++)
        for (int j = 0; j < i; j++)
            if (!strcmp(t->rows[i].name, t->rows[j].name))
                fail_msg("%s: '%s' names two values", t->what, t->rows[i].name);
    assert_null(clcnn_name_of(t, -1));
    assert_null(clcnn_name_of(t, t->count));
    assert_int_equal(clcnn_name_find(t, NULL), -1);

    /* An unknown name: the message says what it is and lists every name. */
    int untouched = 12345;
    assert_int_equal(clcnn_name_parse(t, "no_such_name", &untouched),
                     CLCNN_STATUS_INVALID_ARGUMENT);
    assert_int_equal(untouched, 12345);
    char want[256];
    snprintf(want, sizeof want, "unknown %s 'no_such_name' (expected one of ", t->what);
    assert_non_null(strstr(clcnn_last_error(), want));
    for (int i = 0; i < t->count; i++)
        assert_non_null(strstr(clcnn_last_error(), t->rows[i].name));
}

/* Every enum of clcnn/enums.h (one _parse function each) has its table in clcnn_name_tables, and
 * each table, those kept elsewhere too, is sound. */
static void test_name_tables(void **state) {
    (void)state;
    int n_tables = 0;
    for (const clcnn_name_table *const *t = clcnn_name_tables; *t; t++, n_tables++)
        check_table(*t);
    char path[1024], *header;
    size_t len;
    snprintf(path, sizeof path, "%s/include/clcnn/enums.h", CLCNN_SOURCE_DIR);
    assert_int_equal(clcnn_read_file(path, &header, &len), CLCNN_STATUS_OK);
    int n_enums = 0;
    for (const char *p = header; (p = strstr(p, "_parse(const char *name, ")); p++)
        n_enums++;
    free(header);
    assert_int_equal(n_tables, n_enums);
    /* The enumerations whose tables live beside them, elsewhere. */
    check_table(&clcnn_metric_names);
    check_table(&clcnn_hp_type_names);
    check_table(&clcnn_oracle_algorithm_names);
}

/* The typed forms, on a few values with names written here. */
static void test_typed_functions(void **state) {
    (void)state;
    clcnn_route route = CLCNN_ROUTE_AUTO;
    assert_int_equal(clcnn_route_parse("clblast", &route), CLCNN_STATUS_OK);
    assert_int_equal(route, CLCNN_ROUTE_CLBLAST);
    assert_string_equal(clcnn_padding_name(CLCNN_PADDING_SAME), "same");
    assert_string_equal(clcnn_activation_name(CLCNN_ACT_LEAKY_RELU), "leaky_relu");
    assert_string_equal(clcnn_fill_mode_name(CLCNN_FILL_WRAP), "wrap");
    assert_string_equal(clcnn_loss_name(CLCNN_LOSS_CATEGORICAL_CROSSENTROPY),
                        "categorical_crossentropy");
    clcnn_lr_schedule schedule = CLCNN_LR_SCHEDULE_CONSTANT;
    assert_int_equal(clcnn_lr_schedule_parse("cosin", &schedule), CLCNN_STATUS_INVALID_ARGUMENT);
    assert_int_equal(schedule, CLCNN_LR_SCHEDULE_CONSTANT);
    assert_non_null(strstr(clcnn_last_error(), "learning-rate schedule 'cosin'"));
    assert_null(clcnn_data_format_name(CLCNN_DATA_FORMAT_COUNT));
}

/* ---- the values kernels read ----------------------------------------------------------------- */

static int is_ident(char c) {
    return isalnum((unsigned char)c) || c == '_';
}

/* The kernels spell no value of their own: each ACT_, FILL_ or INTERPOLATION_ name a kernel file
 * uses is one of the #defines made from the tables, and none is #defined in a kernel file. */
static void test_kernel_defines(void **state) {
    (void)state;
    char defines[2048], line[128];
    assert_int_equal(clcnn_kernel_defines(defines, sizeof defines), CLCNN_STATUS_OK);
    const char *prefixes[] = {"ACT_", "FILL_", "INTERPOLATION_"};
    const clcnn_name_table *tables[] = {&clcnn_activation_names, &clcnn_fill_mode_names,
                                        &clcnn_interpolation_names};
    for (int t = 0; t < 3; t++)
        for (int i = 0; i < tables[t]->count; i++) {
            int k = snprintf(line, sizeof line, "#define %s", prefixes[t]);
            for (const char *c = tables[t]->rows[i].name; *c; c++)
                line[k++] = (char)toupper((unsigned char)*c);
            snprintf(line + k, sizeof line - k, " %d\n", tables[t]->rows[i].value);
            if (!strstr(defines, line)) fail_msg("no '%s' in:\n%s", line, defines);
        }
    int uses = 0;
    for (const struct clcnn_embedded_file *f = clcnn_embedded_kernels; f->name; f++) {
        for (const char *p = f->text; *p; p++) {
            if (p > f->text && is_ident(p[-1])) continue;
            for (int t = 0; t < 3; t++) {
                size_t plen = strlen(prefixes[t]);
                if (strncmp(p, prefixes[t], plen) || !is_ident(p[plen])) continue;
                size_t n = plen;
                while (is_ident(p[n]))
                    n++;
                snprintf(line, sizeof line, "#define %.*s ", (int)n, p);
                if (!strstr(defines, line))
                    fail_msg("kernels/%s uses %.*s: no table defines it", f->name, (int)n, p);
                if (p - f->text >= 8 && !strncmp(p - 8, "#define ", 8))
                    fail_msg("kernels/%s defines %.*s itself", f->name, (int)n, p);
                uses++;
            }
        }
    }
    assert_true(uses >= 8); /* activation.cl's switch and augment.cl's modes */
}

/* ---- the layer list -------------------------------------------------------------------------- */

/* config and nn have the same types, in the same order: one row each in core/layers.h. */
static void test_layer_list(void **state) {
    (void)state;
    char joined[1024] = "";
    for (int i = 0; i < cfg_n_layer_types; i++) {
        const cfg_layer_type *c = &cfg_layer_types[i];
        const clcnn_layer_type *t = clcnn_layer_type_find(c->name);
        if (!t) fail_msg("layer type '%s' has no implementation in nn", c->name);
        assert_string_equal(t->name, c->name);
        assert_true(t->infer && t->forward && t->backward && t->flops);
        assert_ptr_equal(cfg_find_layer_type(c->name), c);
        if (c->keras_name) assert_ptr_equal(cfg_find_layer_type(c->keras_name), c);
        assert_true(cfg_layer_reads(c, CFG_LK_TYPE) && cfg_layer_reads(c, CFG_LK_NAME));
        size_t k = strlen(joined);
        snprintf(joined + k, sizeof joined - k, "%s%s", i ? ", " : "", c->name);
    }
    assert_string_equal(clcnn_layer_type_names(), joined);
    assert_string_equal(CLCNN_LAYER_TYPE_NAMES, joined);
    assert_null(clcnn_layer_type_find("conv3d"));
    assert_null(cfg_find_layer_type("conv3d"));
}

/* ---- optimizers ------------------------------------------------------------------------------ */

static void test_optimizer_table(void **state) {
    (void)state;
    for (int o = 0; o < CLCNN_OPTIMIZER_COUNT; o++) {
        const clcnn_optimizer_type *t = clcnn_optimizer_type_get((clcnn_optimizer)o);
        assert_non_null(t);
        assert_non_null(t->step);
        assert_true(t->state >= 1 && t->state <= CLCNN_OPTIMIZER_SLOTS);
        assert_true(clcnn_optimizer_default_learning_rate((clcnn_optimizer)o) > 0);
    }
    assert_null(clcnn_optimizer_type_get(CLCNN_OPTIMIZER_COUNT));
    assert_true(clcnn_optimizer_default_learning_rate(CLCNN_OPTIMIZER_COUNT) == 0);
    /* Keras' defaults. */
    assert_true(clcnn_optimizer_default_learning_rate(CLCNN_OPTIMIZER_ADAM) == 0.001f);
    assert_true(clcnn_optimizer_default_learning_rate(CLCNN_OPTIMIZER_SGD) == 0.01f);
    assert_true(clcnn_optimizer_default_learning_rate(CLCNN_OPTIMIZER_RMSPROP) == 0.001f);
    /* Adam keeps m and v, SGD one velocity. */
    assert_int_equal(clcnn_optimizer_type_get(CLCNN_OPTIMIZER_ADAM)->state, 2);
    assert_int_equal(clcnn_optimizer_type_get(CLCNN_OPTIMIZER_SGD)->state, 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_name_tables),     cmocka_unit_test(test_typed_functions),
        cmocka_unit_test(test_kernel_defines),  cmocka_unit_test(test_layer_list),
        cmocka_unit_test(test_optimizer_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
