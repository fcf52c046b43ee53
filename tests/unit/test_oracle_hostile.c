/* tests/unit/test_oracle_hostile.c: hand-made hostile oracle.json documents (issue 15). A saved
 * search is edited field by field the way a damaged or foreign file would be: a Hyperband count
 * gone negative (made `clcnn tune` segfault on resume), a bracket past the schedule (overflowed
 * and kept starting trials), a choice index past the choices, a log-scaled value off its grid, a
 * Bayesian design point that is not a position. Each must be a PARSE_ERROR naming the field. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clcnn/oracle.h"
#include "test_util.h"

static clcnn_hparam space[3];

static void make_space(void) {
    for (int i = 0; i < 3; i++)
        clcnn_hparam_default(&space[i]);
    strcpy(space[0].name, "kernel");
    space[0].type = CLCNN_HP_CHOICE;
    space[0].n_choices = 2;
    space[0].choices[0] = 3, space[0].choices[1] = 5;
    strcpy(space[1].name, "lr");
    space[1].type = CLCNN_HP_FLOAT;
    space[1].min = 1e-4, space[1].max = 1e-1, space[1].step = 0, space[1].log = 1;
    strcpy(space[2].name, "units");
    space[2].type = CLCNN_HP_INT;
    space[2].min = 8, space[2].max = 64, space[2].step = 8, space[2].log = 1;
}

/* A saved search of `algorithm` after 3 told trials, parsed. */
static cJSON *saved(const char *algorithm) {
    make_space();
    clcnn_oracle_options opt = clcnn_oracle_options_default();
    opt.algorithm = algorithm;
    opt.max_trials = 0;
    opt.max_epochs = 9;
    opt.n_candidates = 50;
    clcnn_oracle *o;
    assert_int_equal(clcnn_oracle_create(space, 3, &opt, &o), CLCNN_STATUS_OK);
    for (int i = 0; i < 3; i++) {
        clcnn_trial_request r;
        assert_int_equal(clcnn_oracle_ask(o, &r), CLCNN_STATUS_OK);
        assert_int_equal(clcnn_oracle_tell(o, r.trial_id, 0.1 * i, 0), CLCNN_STATUS_OK);
    }
    char *json;
    assert_int_equal(clcnn_oracle_save(o, &json), CLCNN_STATUS_OK);
    clcnn_oracle_destroy(o);
    cJSON *root = cJSON_Parse(json);
    free(json);
    assert_non_null(root);
    return root;
}

/* Restores the edited document: must be a PARSE_ERROR whose message holds fragment. */
static void expect_refused(cJSON *root, const char *fragment) {
    char *json = cJSON_PrintUnformatted(root);
    clcnn_oracle *o = (clcnn_oracle *)1;
    clcnn_status s = clcnn_oracle_restore(json, &o);
    if (s != CLCNN_STATUS_PARSE_ERROR || !strstr(clcnn_last_error(), fragment))
        fail_msg("got %s: '%s' (want '%s')", clcnn_status_name(s), clcnn_last_error(), fragment);
    assert_null(o);
    cJSON_free(json);
}

static void set_number(cJSON *obj, const char *key, double v) {
    cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    assert_non_null(it);
    cJSON_SetNumberValue(it, v);
}

static void test_hyperband_state(void **state) {
    (void)state;
    const struct {
        const char *key;
        double v;
        const char *fragment;
    } cases[] = {
        {"count", -3, "hyperband.count"},          {"count", 1e6, "hyperband.count"},
        {"bracket", 2147483647, "hyperband.bracket"}, {"bracket", -1, "hyperband.bracket"},
        {"round", 5, "hyperband.round"},           {"iteration", -1, "hyperband.iteration"},
        {"seq", -2, "hyperband.seq"},              {"done", 7, "hyperband.done"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cJSON *root = saved("hyperband");
        set_number(cJSON_GetObjectItemCaseSensitive(root, "hyperband"), cases[i].key, cases[i].v);
        expect_refused(root, cases[i].fragment);
        cJSON_Delete(root);
    }
}

static void test_trial_values(void **state) {
    (void)state;
    const struct {
        int index;
        double v;
        const char *fragment;
    } cases[] = {
        {0, 2, "values[0] (kernel) is 2"}, {0, -1, "values[0] (kernel)"},
        {0, 0.5, "values[0] (kernel)"},    {1, 10, "values[1] (lr) is 10"},
        {1, 0, "values[1] (lr)"},          {2, 12, "values[2] (units) is 12"},
        {2, 1e300, "values[2] (units)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cJSON *root = saved("random");
        cJSON *trial = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "trials"), 1);
        cJSON *values = cJSON_GetObjectItemCaseSensitive(trial, "values");
        cJSON_SetNumberValue(cJSON_GetArrayItem(values, cases[i].index), cases[i].v);
        expect_refused(root, cases[i].fragment);
        cJSON_Delete(root);
    }
    cJSON *root = saved("random");
    set_number(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "trials"), 0), "epochs",
               -4);
    expect_refused(root, "epochs");
    cJSON_Delete(root);
}

static void test_bayes_design(void **state) {
    (void)state;
    cJSON *root = saved("bayesian");
    cJSON *design = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "bayes"),
                                                     "design");
    assert_true(cJSON_GetArraySize(design) > 4);
    cJSON_ReplaceItemInArray(design, 4, cJSON_CreateNull()); /* reads back as NaN */
    expect_refused(root, "bayes.design[4]");
    cJSON_Delete(root);
    root = saved("bayesian");
    design = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "bayes"),
                                              "design");
    cJSON_SetNumberValue(cJSON_GetArrayItem(design, 1), 7.5);
    expect_refused(root, "bayes.design[1] is 7.5");
    cJSON_Delete(root);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hyperband_state),
        cmocka_unit_test(test_trial_values),
        cmocka_unit_test(test_bayes_design),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
