/* tests/opencl/test_tuner.c: searches that train (a tiny model on 200 images, CLCNN_ROUTE-free:
 * the test config asks for the own route).
 *
 * Hyperband: a promoted trial must start from its parent's weights. Training is deterministic on
 * one device, so the check recomputes the child independently: clcnn_fit from the parent's
 * model.safetensors (initial_epoch = the parent's epochs) must reproduce the child's saved weights,
 * while the same fit from fresh weights must not.
 * Stop: a stop request during a trial leaves it unrecorded, and the rerun resumes the search:
 * the interrupted trial runs again with the same id and values, nothing is repeated, and the
 * budget is met.
 * Executions: a trial's score is the mean of its executions' scores, each a fit with its own seed.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clcnn/config.h"
#include "clcnn/tune.h"
#include "core/core.h"
#include "test_util.h"
#include "train/safetensors.h"

#define TINY CLCNN_SOURCE_DIR "/tests/e2e/data/tune_tiny.yaml"

static clcnn_spec search, trial_spec;
static clcnn_search_space space;
static clcnn_fit_result fit_res;

static void load_tiny(void) {
    if (clcnn_config_load_file(TINY, &search, &space)) fail_msg("%s", clcnn_last_error());
}

static void set(const char *assignment) {
    if (clcnn_config_set(&search, &space, assignment))
        fail_msg("--set %s: %s", assignment, clcnn_last_error());
}

/* The largest absolute difference between the tensors of two model files of one architecture. */
static double max_weight_difference(const char *a, const char *b) {
    clcnn_safetensors x, y;
    if (clcnn_safetensors_read(a, &x) || clcnn_safetensors_read(b, &y))
        fail_msg("%s", clcnn_last_error());
    assert_int_equal(x.n_tensors, y.n_tensors);
    double worst = 0;
    for (int i = 0; i < x.n_tensors; i++) {
        const clcnn_st_tensor *t = clcnn_safetensors_find(&y, x.tensors[i].name);
        assert_non_null(t);
        int64_t n = 1;
        for (int d = 0; d < t->ndim; d++)
            n *= t->shape[d];
        for (int64_t k = 0; k < n; k++) {
            double diff = fabs((double)x.tensors[i].data[k] - t->data[k]);
            if (diff > worst) worst = diff;
        }
    }
    clcnn_safetensors_free(&x);
    clcnn_safetensors_free(&y);
    return worst;
}

/* Trains the child's configuration from init (or fresh weights) into dir. */
static void refit(clcnn_context *ctx, const clcnn_tune_trial *child, const char *init,
                  const char *dir) {
    trial_spec = search;
    if (clcnn_spec_apply_hparams(&trial_spec, &space, child->values))
        fail_msg("%s", clcnn_last_error());
    trial_spec.train.epochs = child->epochs;
    clcnn_fit_options fo = clcnn_fit_options_default();
    fo.out_dir = dir;
    fo.init_model = init;
    fo.initial_epoch = child->initial_epoch;
    fo.evaluate_test = 0;
    if (clcnn_fit(ctx, &trial_spec, &fo, &fit_res)) fail_msg("%s", clcnn_last_error());
    assert_int_equal(fit_res.epochs_done, child->epochs - child->initial_epoch);
}

/* trial.json records the Hyperband fields of a promoted trial. */
static void check_trial_json(const char *dir, const clcnn_tune_trial *child) {
    char path[256], *text;
    size_t len;
    snprintf(path, sizeof path, "%s/trial_%04d/trial.json", dir, child->id);
    if (clcnn_read_file(path, &text, &len)) fail_msg("%s", clcnn_last_error());
    cJSON *root = cJSON_Parse(text);
    free(text);
    assert_non_null(root);
    const char *keys[] = {"parent_trial_id", "initial_epoch", "epochs", "bracket", "round"};
    const int want[] = {child->parent_trial_id, child->initial_epoch, child->epochs, child->bracket,
                        child->round};
    for (int i = 0; i < 5; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, keys[i]);
        if (!cJSON_IsNumber(v) || v->valueint != want[i])
            fail_msg("trial.json: %s is not %d", keys[i], want[i]);
    }
    const cJSON *history = cJSON_GetObjectItemCaseSensitive(root, "history");
    assert_int_equal(cJSON_GetArraySize(history), child->epochs - child->initial_epoch);
    cJSON_Delete(root);
}

static const clcnn_tune_trial *find_promoted(const clcnn_tune_result *r) {
    for (int i = 0; i < r->n_trials; i++)
        if (r->trials[i].parent_trial_id >= 0 && r->trials[i].status == CLCNN_TRIAL_COMPLETED)
            return &r->trials[i];
    return NULL;
}

static void test_hyperband_promotion_starts_from_parent(void **state) {
    (void)state;
    clcnn_context *ctx = test_context();
    load_tiny();
    set("tune.algorithm=hyperband");
    set("tune.max_epochs=3");
    set("tune.max_trials=100");
    char dir[64], path[256], parent_path[256], refit_dir[128], again[256];
    test_temp_dir("tuner", dir, sizeof dir);
    clcnn_tune_options o = clcnn_tune_options_default();
    o.out_dir = dir;
    clcnn_tune_result r;
    if (clcnn_tune_run(ctx, &search, &space, &o, &r)) fail_msg("%s", clcnn_last_error());
    /* max_epochs 3, factor 3: 3 trials of 1 epoch, the best continued to 3, then 2 of 3 epochs. */
    assert_int_equal(r.n_trials, 6);
    const clcnn_tune_trial *child = find_promoted(&r);
    assert_non_null(child);
    const clcnn_tune_trial *parent = &r.trials[child->parent_trial_id];
    assert_int_equal(child->initial_epoch, parent->epochs);
    assert_true(child->epochs > child->initial_epoch);
    assert_memory_equal(child->values, parent->values, sizeof child->values);
    check_trial_json(dir, child);
    snprintf(path, sizeof path, "%s/trial_%04d/model.safetensors", dir, child->id);
    snprintf(parent_path, sizeof parent_path, "%s/trial_%04d/model.safetensors", dir, parent->id);
    snprintf(refit_dir, sizeof refit_dir, "%s/refit", dir);
    snprintf(again, sizeof again, "%s/model.safetensors", refit_dir);
    refit(ctx, child, parent_path, refit_dir);
    double same = max_weight_difference(path, again);
    refit(ctx, child, NULL, refit_dir);
    double fresh = max_weight_difference(path, again);
    printf("child vs refit from parent: %g; child vs refit from fresh weights: %g\n", same, fresh);
    assert_true(same <= 1e-6);
    assert_true(fresh > 1e-3);
    clcnn_tune_result_free(&r);
    clcnn_context_destroy(ctx);
    test_remove_tree(dir);
}

typedef struct stop_state {
    volatile int flag;
    int stop_at; /* the trial id whose start requests a stop */
    clcnn_tune_trial interrupted;
} stop_state;

static void stop_on_start(const clcnn_tune_event *ev, void *user) {
    stop_state *s = user;
    if (ev->kind == CLCNN_TUNE_TRIAL_START && ev->trial->id == s->stop_at) {
        s->interrupted = *ev->trial;
        s->flag = 1; /* fit stops after its first step */
    }
}

static void test_stop_then_resume(void **state) {
    (void)state;
    clcnn_context *ctx = test_context();
    load_tiny();
    set("tune.max_trials=4");
    char dir[64], path[256];
    test_temp_dir("tuner", dir, sizeof dir);
    stop_state st = {0, 2, {0}};
    clcnn_tune_options o = clcnn_tune_options_default();
    o.out_dir = dir;
    o.stop = &st.flag;
    o.on_event = stop_on_start;
    o.user = &st;
    clcnn_tune_result r;
    if (clcnn_tune_run(ctx, &search, &space, &o, &r)) fail_msg("%s", clcnn_last_error());
    assert_true(r.stopped);
    assert_int_equal(r.n_trials, 2);
    snprintf(path, sizeof path, "%s/trial_0002/trial.json", dir);
    assert_false(clcnn_file_exists(path)); /* the interrupted trial is not recorded */
    clcnn_tune_result_free(&r);
    st.flag = 0;
    st.stop_at = -1;
    if (clcnn_tune_run(ctx, &search, &space, &o, &r)) fail_msg("%s", clcnn_last_error());
    assert_false(r.stopped);
    assert_int_equal(r.n_resumed, 2);
    assert_int_equal(r.n_trials, 4);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(r.trials[i].id, i);
        for (int j = 0; j < i; j++)
            assert_memory_not_equal(r.trials[i].values, r.trials[j].values,
                                    sizeof r.trials[i].values);
    }
    /* The interrupted trial ran again as it was asked. */
    assert_memory_equal(r.trials[2].values, st.interrupted.values, sizeof st.interrupted.values);
    clcnn_tune_result_free(&r);
    clcnn_context_destroy(ctx);
    test_remove_tree(dir);
}

/* executions_per_trial: fresh fits with seeds seed, seed + 1; the score is their mean. */
static void test_executions_are_averaged(void **state) {
    (void)state;
    clcnn_context *ctx = test_context();
    load_tiny();
    set("tune.max_trials=1");
    set("tune.executions_per_trial=2");
    char dir[64], path[128], *text;
    size_t len;
    test_temp_dir("tuner", dir, sizeof dir);
    clcnn_tune_options o = clcnn_tune_options_default();
    o.out_dir = dir;
    clcnn_tune_result r;
    if (clcnn_tune_run(ctx, &search, &space, &o, &r)) fail_msg("%s", clcnn_last_error());
    snprintf(path, sizeof path, "%s/trial_0000/trial.json", dir);
    if (clcnn_read_file(path, &text, &len)) fail_msg("%s", clcnn_last_error());
    cJSON *root = cJSON_Parse(text);
    free(text);
    const cJSON *ex = cJSON_GetObjectItemCaseSensitive(root, "executions");
    assert_int_equal(cJSON_GetArraySize(ex), 2);
    double scores[2], seeds[2];
    for (int i = 0; i < 2; i++) {
        const cJSON *e = cJSON_GetArrayItem(ex, i);
        scores[i] = cJSON_GetObjectItemCaseSensitive(e, "score")->valuedouble;
        seeds[i] = cJSON_GetObjectItemCaseSensitive(e, "seed")->valuedouble;
    }
    assert_true(seeds[0] == (double)search.train.seed && seeds[1] == seeds[0] + 1);
    assert_true(fabs(r.trials[0].score - (scores[0] + scores[1]) / 2) < 1e-12);
    printf("execution scores %.4f and %.4f, trial score %.4f\n", scores[0], scores[1],
           r.trials[0].score);
    cJSON_Delete(root);
    clcnn_tune_result_free(&r);
    clcnn_context_destroy(ctx);
    test_remove_tree(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hyperband_promotion_starts_from_parent),
        cmocka_unit_test(test_stop_then_resume),
        cmocka_unit_test(test_executions_are_averaged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
