/* tests/unit/test_oracle_hparam.c: one hyperparameter: defaults, validation messages that name
 * it and the field at fault, the type names, formatting for people and YAML, legality on grids
 * and choices, conditional activity. */
#include <string.h>

#include "test_oracle_common.h"

static void test_default(void **state) {
    (void)state;
    clcnn_hparam hp;
    memset(&hp, 0x5a, sizeof hp);
    clcnn_hparam_default(&hp);
    assert_int_equal(hp.type, CLCNN_HP_INT);
    assert_true(hp.step == 1);
    assert_int_equal(hp.parent[0], 0);
    assert_int_equal(hp.n_choices, 0);
    assert_int_equal(hp.log, 0);
}

/* Fails validation, names the hyperparameter and the problem, and clcnn_hparam_check says which
 * field is at fault (so a config loader can point at its key). */
static void expect_invalid(const clcnn_hparam *hp, const char *words, const char *field) {
    assert_int_equal(clcnn_hparam_validate(hp), CLCNN_STATUS_INVALID_ARGUMENT);
    const char *msg = clcnn_last_error();
    if (!strstr(msg, hp->name) || !strstr(msg, words))
        fail_msg("message '%s' should name '%s' and say '%s'", msg, hp->name, words);
    const char *got = NULL;
    assert_int_equal(clcnn_hparam_check(hp, &got), CLCNN_STATUS_INVALID_ARGUMENT);
    assert_non_null(got);
    assert_string_equal(got, field);
}

static void test_validate(void **state) {
    (void)state;
    const char *field = NULL;
    clcnn_hparam hp = test_hp("units", CLCNN_HP_INT, 16, 256, 16);
    assert_int_equal(clcnn_hparam_validate(&hp), CLCNN_STATUS_OK);
    assert_int_equal(clcnn_hparam_check(&hp, &field), CLCNN_STATUS_OK);
    assert_string_equal(field, "");
    hp = test_hp("units", CLCNN_HP_INT, 300, 256, 16);
    expect_invalid(&hp, "greater than max", "min");
    hp = test_hp("units", CLCNN_HP_INT, 16, 256.5, 16);
    expect_invalid(&hp, "max of an int must be an integer", "max");
    hp = test_hp("units", CLCNN_HP_INT, 16, 256, 0);
    expect_invalid(&hp, "step", "step");
    hp = test_hp("units", CLCNN_HP_INT, 16, 256, 2.5);
    expect_invalid(&hp, "step", "step");
    hp = test_hp("lr", CLCNN_HP_FLOAT, 0, 0.1, 0);
    hp.log = 1;
    expect_invalid(&hp, "min > 0", "min");
    hp = test_hp("lr", CLCNN_HP_FLOAT, 1e-4, 0.1, -1);
    expect_invalid(&hp, "step", "step");
    hp = test_hp("lr", CLCNN_HP_FLOAT, 1e-4, NAN, 0);
    expect_invalid(&hp, "finite", "max");
    hp = test_hp("lr", CLCNN_HP_FLOAT, 1e-5, 1e20, 0); /* beyond +-2^52 the grid is not exact */
    expect_invalid(&hp, "+-2^52", "max");
    hp = test_hp("lr", CLCNN_HP_FLOAT, -1e20, 1, 0);
    expect_invalid(&hp, "+-2^52", "min");
    hp = test_hp("lr", CLCNN_HP_FLOAT, 0, 1, 1e-300);
    expect_invalid(&hp, "more than 2^52 values", "step");
    hp = test_hp("act", CLCNN_HP_CHOICE, 0, 0, 0);
    expect_invalid(&hp, "choices", "choices");
    hp.n_choices = 1;
    hp.choices_are_strings = 1;
    expect_invalid(&hp, "empty", "choices");
    strcpy(hp.choice_strings[0], "relu");
    assert_int_equal(clcnn_hparam_validate(&hp), CLCNN_STATUS_OK);
    strcpy(hp.parent, "other");
    expect_invalid(&hp, "parent values", "parent_values");
    hp = test_hp("", CLCNN_HP_BOOLEAN, 0, 0, 0);
    assert_int_equal(clcnn_hparam_validate(&hp), CLCNN_STATUS_INVALID_ARGUMENT);
    assert_int_equal(clcnn_hparam_check(&hp, &field), CLCNN_STATUS_INVALID_ARGUMENT);
    assert_string_equal(field, "name");
    hp = test_hp("b", CLCNN_HP_TYPE_COUNT, 0, 0, 0);
    expect_invalid(&hp, "unknown type", "type");
}

static void test_type_names(void **state) {
    (void)state;
    static const char *const want[] = {"int", "float", "choice", "boolean"};
    for (int t = 0; t < CLCNN_HP_TYPE_COUNT; t++) {
        assert_string_equal(clcnn_hp_type_name((clcnn_hp_type)t), want[t]);
        assert_int_equal(clcnn_hp_type_parse(want[t]), t);
    }
    assert_null(clcnn_hp_type_name(CLCNN_HP_TYPE_COUNT));
    assert_int_equal(clcnn_hp_type_parse("integer"), CLCNN_HP_TYPE_COUNT);
    assert_int_equal(clcnn_hp_type_parse(NULL), CLCNN_HP_TYPE_COUNT);
}

static void test_format(void **state) {
    (void)state;
    char buf[64];
    clcnn_hparam hp = test_hp("units", CLCNN_HP_INT, 16, 256, 16);
    clcnn_hparam_format(&hp, 64, buf, sizeof buf);
    assert_string_equal(buf, "64");
    hp = test_hp("lr", CLCNN_HP_FLOAT, 1e-4, 0.1, 0);
    clcnn_hparam_format(&hp, 0.001, buf, sizeof buf);
    assert_string_equal(buf, "0.001");
    clcnn_hparam_format(&hp, 0.1 + 0.2, buf, sizeof buf); /* exact, not rounded away */
    assert_true(strtod(buf, NULL) == 0.1 + 0.2);
    hp = test_hp("act", CLCNN_HP_CHOICE, 0, 0, 0);
    hp.n_choices = 2;
    hp.choices_are_strings = 1;
    strcpy(hp.choice_strings[0], "relu");
    strcpy(hp.choice_strings[1], "tanh");
    clcnn_hparam_format(&hp, 1, buf, sizeof buf);
    assert_string_equal(buf, "tanh");
    hp.choices_are_strings = 0;
    hp.choices[0] = 0.5;
    hp.choices[1] = 32;
    clcnn_hparam_format(&hp, 1, buf, sizeof buf);
    assert_string_equal(buf, "32");
    hp = test_hp("bn", CLCNN_HP_BOOLEAN, 0, 0, 0);
    clcnn_hparam_format(&hp, 1, buf, sizeof buf);
    assert_string_equal(buf, "true");
    clcnn_hparam_format(&hp, 0, buf, sizeof buf);
    assert_string_equal(buf, "false");
    clcnn_hparam_format(&hp, NAN, buf, sizeof buf);
    assert_string_equal(buf, "null");
    clcnn_hparam_format(&hp, 1, buf, 3); /* truncates, stays terminated */
    assert_string_equal(buf, "tr");
}

static void test_is_legal(void **state) {
    (void)state;
    clcnn_hparam hp = test_hp("units", CLCNN_HP_INT, 16, 256, 16);
    assert_true(clcnn_hparam_is_legal(&hp, 16));
    assert_true(clcnn_hparam_is_legal(&hp, 256));
    assert_false(clcnn_hparam_is_legal(&hp, 24));
    assert_false(clcnn_hparam_is_legal(&hp, 272));
    assert_false(clcnn_hparam_is_legal(&hp, 32.5));
    assert_false(clcnn_hparam_is_legal(&hp, NAN));
    hp = test_hp("dropout", CLCNN_HP_FLOAT, 0, 0.5, 0.1);
    assert_true(clcnn_hparam_is_legal(&hp, 0.3));
    assert_true(clcnn_hparam_is_legal(&hp, 0.1 + 0.2));
    assert_false(clcnn_hparam_is_legal(&hp, 0.35));
    assert_false(clcnn_hparam_is_legal(&hp, 0.6));
    hp = test_hp("lr", CLCNN_HP_FLOAT, 1e-4, 0.1, 0);
    assert_true(clcnn_hparam_is_legal(&hp, 0.05));
    assert_false(clcnn_hparam_is_legal(&hp, 0.2));
    assert_false(clcnn_hparam_is_legal(&hp, INFINITY));
    hp = test_hp("act", CLCNN_HP_CHOICE, 0, 0, 0);
    hp.n_choices = 3;
    assert_true(clcnn_hparam_is_legal(&hp, 2));
    assert_false(clcnn_hparam_is_legal(&hp, 3));
    assert_false(clcnn_hparam_is_legal(&hp, 1.5));
    hp = test_hp("bn", CLCNN_HP_BOOLEAN, 0, 0, 0);
    assert_true(clcnn_hparam_is_legal(&hp, 0));
    assert_false(clcnn_hparam_is_legal(&hp, 2));
}

static void test_is_active(void **state) {
    (void)state;
    clcnn_hparam hp[3] = {test_hp("opt", CLCNN_HP_CHOICE, 0, 0, 0),
                          test_hp("momentum", CLCNN_HP_FLOAT, 0, 0.99, 0),
                          test_hp("nesterov", CLCNN_HP_BOOLEAN, 0, 0, 0)};
    hp[0].n_choices = 2; /* sgd, adam */
    strcpy(hp[1].parent, "opt");
    hp[1].n_parent_values = 1;
    hp[1].parent_values[0] = 0;
    strcpy(hp[2].parent, "momentum"); /* active for a momentum of exactly 0.9 */
    hp[2].n_parent_values = 1;
    hp[2].parent_values[0] = 0.9;
    double v[3] = {0, 0.9, 1};
    assert_true(clcnn_hparam_is_active(hp, 3, 0, v));
    assert_true(clcnn_hparam_is_active(hp, 3, 1, v));
    assert_true(clcnn_hparam_is_active(hp, 3, 2, v));
    v[1] = 0.5;
    assert_false(clcnn_hparam_is_active(hp, 3, 2, v));
    v[0] = 1; /* adam: momentum inactive, and so its child */
    v[1] = 0.9;
    assert_false(clcnn_hparam_is_active(hp, 3, 1, v));
    assert_false(clcnn_hparam_is_active(hp, 3, 2, v));
}

/* A parent must be declared before its child; names are unique. */
static void test_space_checks(void **state) {
    (void)state;
    clcnn_hparam hp[2] = {test_hp("a", CLCNN_HP_BOOLEAN, 0, 0, 0),
                          test_hp("a", CLCNN_HP_BOOLEAN, 0, 0, 0)};
    clcnn_oracle *o = (clcnn_oracle *)1;
    assert_int_equal(clcnn_oracle_create(hp, 2, NULL, &o), CLCNN_STATUS_INVALID_ARGUMENT);
    assert_null(o);
    assert_non_null(strstr(clcnn_last_error(), "twice"));
    strcpy(hp[1].name, "b");
    strcpy(hp[0].parent, "b");
    hp[0].n_parent_values = 1;
    hp[0].parent_values[0] = 1;
    assert_int_equal(clcnn_oracle_create(hp, 2, NULL, &o), CLCNN_STATUS_INVALID_ARGUMENT);
    assert_non_null(strstr(clcnn_last_error(), "not declared before"));
    clcnn_oracle_options opt = clcnn_oracle_options_default();
    opt.algorithm = "annealing";
    hp[0].parent[0] = 0;
    assert_int_equal(clcnn_oracle_create(hp, 2, &opt, &o), CLCNN_STATUS_INVALID_ARGUMENT);
    assert_non_null(strstr(clcnn_last_error(), "annealing"));
    clcnn_oracle_destroy(NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default),      cmocka_unit_test(test_validate),
        cmocka_unit_test(test_type_names),   cmocka_unit_test(test_format),
        cmocka_unit_test(test_is_legal),     cmocka_unit_test(test_is_active),
        cmocka_unit_test(test_space_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
