/* tests/unit/test_tuner_store.c: the tuning folder without a device: the objective's direction
 * and best-epoch rule, tune.json's refusal of a different config, --overwrite deleting only what
 * a search wrote, trial.json written and read back, summary.csv, and best.yaml loading as a
 * concrete config. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clcnn/config.h"
#include "test_util.h"
#include "tune/tuner_internal.h"

#define TINY CLCNN_SOURCE_DIR "/tests/e2e/data/tune_tiny.yaml"

static clcnn_spec search, other;
static clcnn_search_space space, other_space; /* large: static rather than on the stack */

static void load_tiny(clcnn_spec *s) {
    if (clcnn_config_load_file(TINY, s, &space)) fail_msg("%s", clcnn_last_error());
}

static void touch(const char *dir, const char *name) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("x\n", fp);
    fclose(fp);
}

static int exists(const char *dir, const char *name) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

static void test_direction_and_best_epoch(void **state) {
    (void)state;
    clcnn_tune_spec t;
    memset(&t, 0, sizeof t);
    strcpy(t.objective, "val_accuracy");
    assert_true(clcnn_tune_maximize(&t));
    strcpy(t.objective, "val_loss");
    assert_false(clcnn_tune_maximize(&t));
    t.direction = 1;
    assert_true(clcnn_tune_maximize(&t));
    clcnn_epoch_metrics h[3] = {{.epoch = 1, .val_accuracy = 0.5, .val_loss = 1.0},
                                {.epoch = 2, .val_accuracy = NAN, .val_loss = 0.4},
                                {.epoch = 3, .val_accuracy = 0.7, .val_loss = 0.6}};
    assert_true(tune_best_epoch_value(h, 3, CLCNN_METRIC_VAL_ACCURACY, 1) == 0.7);
    assert_true(tune_best_epoch_value(h, 3, CLCNN_METRIC_VAL_LOSS, 0) == 0.4);
    assert_true(isnan(tune_best_epoch_value(h, 0, CLCNN_METRIC_VAL_ACCURACY, 1)));
    /* The one lookup fit and the tuner share: each metric its field, NAN outside the enum. */
    clcnn_epoch_metrics e = {.loss = 1, .accuracy = 2, .val_loss = 3, .val_accuracy = 4};
    assert_true(clcnn_epoch_metric(&e, CLCNN_METRIC_LOSS) == 1);
    assert_true(clcnn_epoch_metric(&e, CLCNN_METRIC_ACCURACY) == 2);
    assert_true(clcnn_epoch_metric(&e, CLCNN_METRIC_VAL_LOSS) == 3);
    assert_true(clcnn_epoch_metric(&e, CLCNN_METRIC_VAL_ACCURACY) == 4);
    assert_true(isnan(clcnn_epoch_metric(&e, CLCNN_METRIC_COUNT)));
}

static void test_prepare_refuses_other_config(void **state) {
    (void)state;
    char dir[64];
    test_temp_dir("tuner-store", dir, sizeof dir);
    int resuming;
    assert_int_equal(tune_store_prepare(dir, "a: 1\nb: 2\n", 0, &resuming), CLCNN_STATUS_OK);
    assert_false(resuming);
    assert_true(exists(dir, "tune.json"));
    assert_int_equal(tune_store_prepare(dir, "a: 1\nb: 2\n", 0, &resuming), CLCNN_STATUS_OK);
    assert_true(resuming);
    assert_int_equal(tune_store_prepare(dir, "a: 1\nb: 3\n", 0, &resuming),
                     CLCNN_STATUS_INVALID_ARGUMENT);
    const char *msg = clcnn_last_error();
    if (!strstr(msg, "different config") || !strstr(msg, "--overwrite") || !strstr(msg, "line 2"))
        fail_msg("unexpected message: %s", msg);
    /* --overwrite removes the search's entries and nothing else. */
    char trial_dir[128];
    snprintf(trial_dir, sizeof trial_dir, "%s/trial_0003", dir);
    assert_int_equal(clcnn_mkdir_p(trial_dir), CLCNN_STATUS_OK);
    touch(dir, "trial_0003/model.safetensors");
    touch(dir, "summary.csv");
    touch(dir, "summary.csv.tmp.Ab12Cd");
    touch(dir, "notes.txt");
    touch(dir, "trial_notes");
    assert_int_equal(tune_store_prepare(dir, "a: 1\nb: 3\n", 1, &resuming), CLCNN_STATUS_OK);
    assert_false(resuming);
    assert_false(exists(dir, "trial_0003"));
    assert_false(exists(dir, "summary.csv"));
    assert_false(exists(dir, "summary.csv.tmp.Ab12Cd"));
    assert_true(exists(dir, "notes.txt"));
    assert_true(exists(dir, "trial_notes"));
    clcnn_oracle *oracle = (clcnn_oracle *)1;
    assert_int_equal(tune_store_load_oracle(dir, &oracle), CLCNN_STATUS_OK);
    assert_null(oracle); /* no oracle.json yet: a new search */
    test_remove_tree(dir);
}

static void make_record(tune_record *rec, tune_execution *ex, clcnn_epoch_metrics *h) {
    memset(rec, 0, sizeof *rec);
    rec->t.id = 3;
    rec->t.status = CLCNN_TRIAL_COMPLETED;
    rec->t.score = 0.625;
    rec->t.values[0] = 4;   /* filters */
    rec->t.values[1] = 1;   /* kernel: choice index of 5 */
    rec->t.values[2] = NAN; /* as if inactive */
    rec->t.values[3] = 0;   /* learning_rate 0.01 */
    rec->t.seconds = 1.5;
    rec->t.epochs = 2;
    rec->t.parent_trial_id = -1;
    h[0] = (clcnn_epoch_metrics){
        .epoch = 1, .loss = 2, .accuracy = 0.3, .val_loss = 1.9, .val_accuracy = 0.5};
    h[1] = (clcnn_epoch_metrics){
        .epoch = 2, .loss = 1, .accuracy = 0.6, .val_loss = 1.2, .val_accuracy = 0.625};
    *ex = (tune_execution){.seed = 42, .score = 0.625, .seconds = 1.5, .n_epochs = 2, .history = h};
    rec->n_exec = 1;
    rec->exec = ex;
}

static void test_trial_round_trip(void **state) {
    (void)state;
    load_tiny(&search);
    char dir[64];
    test_temp_dir("tuner-store", dir, sizeof dir);
    tune_record rec;
    tune_execution ex;
    clcnn_epoch_metrics h[2];
    make_record(&rec, &ex, h);
    assert_int_equal(tune_store_reset_trial_dir(dir, 3), CLCNN_STATUS_OK);
    assert_int_equal(tune_store_write_trial(dir, &search.tune, &space, &rec, 1), CLCNN_STATUS_OK);
    clcnn_tune_trial t;
    int found;
    assert_int_equal(tune_store_read_trial(dir, &space, 3, &t, &found), CLCNN_STATUS_OK);
    assert_true(found);
    assert_int_equal(t.status, CLCNN_TRIAL_COMPLETED);
    assert_true(t.score == 0.625);
    assert_true(t.values[0] == 4 && t.values[1] == 1 && isnan(t.values[2]) && t.values[3] == 0);
    assert_int_equal(t.epochs, 2);
    assert_true(t.resumed);
    assert_int_equal(tune_store_read_trial(dir, &space, 4, &t, &found), CLCNN_STATUS_OK);
    assert_false(found);
    /* A failed trial reads back as failed, with no score, whatever the file says. */
    rec.t.status = CLCNN_TRIAL_FAILED;
    strcpy(rec.t.error, "CLCNN_STATUS_NUMERIC_ERROR: the training loss became nan");
    assert_int_equal(tune_store_write_trial(dir, &search.tune, &space, &rec, 1), CLCNN_STATUS_OK);
    assert_int_equal(tune_store_read_trial(dir, &space, 3, &t, &found), CLCNN_STATUS_OK);
    assert_int_equal(t.status, CLCNN_TRIAL_FAILED);
    assert_true(isnan(t.score));
    assert_non_null(strstr(t.error, "became nan"));
    test_remove_tree(dir);
}

/* Hand-made hostile trial.json files (issue 15): each is an error naming the file and field. */
static void expect_bad_trial(const char *dir, const char *json, const char *fragment) {
    char path[512];
    tune_trial_path(dir, 3, "trial.json", path, sizeof path);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(json, fp);
    fclose(fp);
    clcnn_tune_trial t;
    int found;
    clcnn_status s = tune_store_read_trial(dir, &space, 3, &t, &found);
    if (s != CLCNN_STATUS_PARSE_ERROR || !strstr(clcnn_last_error(), path) ||
        !strstr(clcnn_last_error(), fragment))
        fail_msg("%s: got %s: %s (want '%s')", json, clcnn_status_name(s), clcnn_last_error(),
                 fragment);
}

static void test_trial_hostile(void **state) {
    (void)state;
    load_tiny(&search);
    char dir[256];
    test_temp_dir("tuner-store", dir, sizeof dir);
    assert_int_equal(tune_store_reset_trial_dir(dir, 3), CLCNN_STATUS_OK);
#define TRIAL(id, values, rest)                                                                    \
    "{\"id\":" id ",\"status\":\"completed\",\"values\":" values ",\"score\":0.5" rest "}"
    expect_bad_trial(dir, TRIAL("1e300", "[4,1,null,0]", ""), "id is 1.0000000000000001e+300");
    expect_bad_trial(dir, TRIAL("3.5", "[4,1,null,0]", ""), "id is 3.5");
    expect_bad_trial(dir, TRIAL("2", "[4,1,null,0]", ""), "another trial (id 2)");
    expect_bad_trial(dir, TRIAL("3", "[4,99,null,0]", ""), "values[1] (kernel) is 99");
    expect_bad_trial(dir, TRIAL("3", "[4,-1,null,0]", ""), "values[1]");
    expect_bad_trial(dir, TRIAL("3", "[4,0.5,null,0]", ""), "values[1]");
    expect_bad_trial(dir, TRIAL("3", "[4,\"x\",null,0]", ""), "values[1] (kernel) is not a number");
    expect_bad_trial(dir, TRIAL("3", "[4,1,null,0]", ",\"epochs\":-4"), "epochs is -4");
    expect_bad_trial(dir, TRIAL("3", "[4,1,null,0]", ",\"epochs\":1e30"), "epochs");
    expect_bad_trial(dir, TRIAL("3", "[4,1,null,0]", ",\"epochs\":\"2\""), "epochs is not a number");
    expect_bad_trial(dir, TRIAL("3", "[4,1,null,0]", ",\"parent_trial_id\":3"), "parent_trial_id");
    expect_bad_trial(dir, TRIAL("3", "[4,1,null,0]", ",\"bracket\":-1"), "bracket");
    expect_bad_trial(dir, "{\"id\":3,\"status\":\"completed\",\"values\":[4,1,null,0]}",
                     "without a finite score");
#undef TRIAL
    test_remove_tree(dir);
}

static void test_summary_and_best_yaml(void **state) {
    (void)state;
    load_tiny(&search);
    char dir[64];
    test_temp_dir("tuner-store", dir, sizeof dir);
    clcnn_tune_trial trials[2];
    memset(trials, 0, sizeof trials);
    trials[0] = (clcnn_tune_trial){.id = 0,
                                   .status = CLCNN_TRIAL_FAILED,
                                   .score = NAN,
                                   .values = {2, 0, 8, 0},
                                   .seconds = 0.5,
                                   .epochs = 1};
    trials[1] = (clcnn_tune_trial){.id = 1,
                                   .status = CLCNN_TRIAL_COMPLETED,
                                   .score = 0.5,
                                   .values = {6, 1, 24, 1},
                                   .seconds = 0.75,
                                   .epochs = 1};
    assert_int_equal(tune_store_write_summary(dir, &space, trials, 2), CLCNN_STATUS_OK);
    char path[256], *text;
    size_t len;
    snprintf(path, sizeof path, "%s/summary.csv", dir);
    assert_int_equal(clcnn_read_file(path, &text, &len), CLCNN_STATUS_OK);
    assert_string_equal(text, "id,status,score,filters,kernel,units,learning_rate,seconds\n"
                              "0,failed,,2,3,8,0.01,0.500\n"
                              "1,completed,0.5,6,5,24,0.001,0.750\n");
    free(text);
    tune_job job = {.search = &search, .space = &space, .maximize = 1};
    clcnn_spec best;
    assert_int_equal(tune_trial_spec(&job, trials[1].values, trials[1].epochs, &best),
                     CLCNN_STATUS_OK);
    assert_int_equal(tune_store_write_best(dir, &best, &trials[1]), CLCNN_STATUS_OK);
    snprintf(path, sizeof path, "%s/best.yaml", dir);
    if (clcnn_config_load_file(path, &other, &other_space)) fail_msg("%s", clcnn_last_error());
    assert_int_equal(other_space.n_hparams, 0); /* a concrete config */
    assert_int_equal(other.model.layers[0].filters, 6);
    assert_int_equal(other.model.layers[0].kernel_size[0], 5);
    assert_int_equal(other.model.layers[3].units, 24);
    assert_true(fabsf(other.train.optimizer.learning_rate - 0.001f) < 1e-9f);
    assert_int_equal((int)other.data.train_limit, 200); /* the search's data settings */
    test_remove_tree(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_direction_and_best_epoch),
        cmocka_unit_test(test_prepare_refuses_other_config),
        cmocka_unit_test(test_trial_round_trip),
        cmocka_unit_test(test_trial_hostile),
        cmocka_unit_test(test_summary_and_best_yaml),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
