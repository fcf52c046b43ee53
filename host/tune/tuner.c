/* tune/tuner.c: the search loop of clcnn_tune_run: set up or resume the tuning folder, then ask
 * the oracle, train the trial, record it, tell the oracle, until the budget is spent; then,
 * optionally, retrain the best configuration on the whole training set.
 *
 * The order of writes is what makes a kill at any instant resumable: oracle.json is saved right
 * after each ask (so the interrupted trial is asked again with the same id and values), and after
 * a trial its trial.json is written before the oracle is told and saved again. A trial the saved
 * oracle counts as told therefore always has its trial.json; one it does not is simply rerun. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "clcnn/dist.h"
#include "tune/tuner_internal.h"

clcnn_tune_options clcnn_tune_options_default(void) {
    clcnn_tune_options o;
    memset(&o, 0, sizeof o);
    return o;
}

int clcnn_tune_maximize(const clcnn_tune_spec *tune) {
    if (tune->direction) return tune->direction > 0;
    return clcnn_metric_maximize(clcnn_metric_parse(tune->objective));
}

int clcnn_tune_max_trials(const clcnn_tune_spec *tune) {
    if (tune->max_trials >= 0) return (int)tune->max_trials;
    return clcnn_oracle_algorithm_scheduled(tune->algorithm) ? 0 : 10;
}

void clcnn_tune_result_free(clcnn_tune_result *result) {
    if (!result) return;
    free(result->trials);
    result->trials = NULL;
    result->n_trials = 0;
}

/* Whole-config problems are reported once, before any trial, rather than as failed trials. */
static clcnn_status check_search(const clcnn_spec *s, const clcnn_search_space *space) {
    CLCNN_TRY(clcnn_spec_validate(s));
    CLCNN_TRY(clcnn_search_space_validate(space, s));
    if (space->n_hparams == 0)
        return clcnn_fail(
            CLCNN_STATUS_INVALID_ARGUMENT,
            "the config declares no hyperparameters: "
            "nothing to search (declare one with {hp: int, name: ..., min: ..., max: ...})");
    if (clcnn_metric_needs_validation(clcnn_metric_parse(s->tune.objective)) &&
        s->data.validation_split <= 0)
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT,
                          "tune.objective %s needs a validation set: "
                          "set data.validation_split (e.g. 0.1)",
                          s->tune.objective);
    return CLCNN_STATUS_OK;
}

/* The search's identity for resuming: the whole config as YAML, except retrain_best, which
 * changes nothing about the trials and may be switched on for a resumed search. */
static clcnn_status search_identity(const tune_job *job, char **yaml) {
    clcnn_spec copy = *job->search;
    copy.tune.retrain_best = 0;
    return clcnn_config_emit(&copy, job->space, yaml);
}

static clcnn_status create_oracle(const tune_job *job, clcnn_oracle **oracle) {
    const clcnn_tune_spec *t = &job->search->tune;
    clcnn_oracle_options o = clcnn_oracle_options_default();
    o.algorithm = t->algorithm;
    o.maximize = job->maximize;
    o.max_trials = clcnn_tune_max_trials(t);
    o.seed = t->seed;
    o.max_epochs = t->max_epochs;
    o.factor = t->factor;
    o.hyperband_iterations = t->hyperband_iterations;
    o.initial_points = t->initial_points;
    return clcnn_oracle_create(job->space->hparams, job->space->n_hparams, &o, oracle);
}

static int better(const tune_state *st, double a, double b) {
    return st->job.maximize ? a > b : a < b;
}

/* Appends a finished trial and updates the counts and the best. */
static clcnn_status push_trial(tune_state *st, const clcnn_tune_trial *t) {
    clcnn_tune_result *r = st->res;
    if (r->n_trials == st->cap) {
        int cap = st->cap ? 2 * st->cap : 32;
        clcnn_tune_trial *p = realloc(r->trials, (size_t)cap * sizeof *p);
        if (!p) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "tune: out of memory");
        r->trials = p;
        st->cap = cap;
    }
    /* In id order: a parallel search finishes trials out of order. */
    int at = r->n_trials;
    while (at > 0 && r->trials[at - 1].id > t->id)
        at--;
    memmove(r->trials + at + 1, r->trials + at, (size_t)(r->n_trials - at) * sizeof *r->trials);
    r->trials[at] = *t;
    r->n_trials++;
    if (t->status != CLCNN_TRIAL_COMPLETED) {
        r->n_failed++;
        return CLCNN_STATUS_OK;
    }
    r->n_completed++;
    if (r->best_trial_id < 0 || better(st, t->score, r->best_score)) {
        r->best_trial_id = t->id;
        r->best_score = t->score;
    }
    return CLCNN_STATUS_OK;
}

static const clcnn_tune_trial *best_trial(const tune_state *st) {
    for (int i = 0; i < st->res->n_trials; i++)
        if (st->res->trials[i].id == st->res->best_trial_id) return &st->res->trials[i];
    return NULL;
}

/* summary.csv and best.yaml, from the trials finished so far. */
clcnn_status tune_write_summaries(tune_state *st) {
    const char *dir = st->job.opt->out_dir;
    CLCNN_TRY(tune_store_write_summary(dir, st->job.space, st->res->trials, st->res->n_trials));
    const clcnn_tune_trial *best = best_trial(st);
    if (!best) return CLCNN_STATUS_OK;
    clcnn_spec spec;
    CLCNN_TRY(tune_trial_spec(&st->job, best->values, best->epochs, &spec));
    CLCNN_TRY(tune_store_write_best(dir, &spec, best));
    tune_path(dir, "best.yaml", st->res->best_yaml, sizeof st->res->best_yaml);
    return CLCNN_STATUS_OK;
}

void tune_emit_event(const tune_state *st, clcnn_tune_event_kind kind, const clcnn_tune_trial *t) {
    if (!st->job.opt->on_event) return;
    clcnn_tune_event ev = {kind,
                           t,
                           st->res->n_trials,
                           clcnn_tune_max_trials(&st->job.search->tune),
                           st->res->best_trial_id,
                           st->res->best_score,
                           st->res->n_resumed};
    st->job.opt->on_event(&ev, st->job.opt->user);
}

/* Trial id's trial.json into the result; *more = 0 at the end of the recorded trials. */
static clcnn_status load_one(tune_state *st, const char *dir, int id, int next_id, int *more) {
    clcnn_tune_trial t;
    int found;
    *more = 1;
    CLCNN_TRY(tune_store_read_trial(dir, st->job.space, id, &t, &found));
    if (!found && next_id < 0) {
        *more = 0;
        return CLCNN_STATUS_OK;
    }
    if (!found)
        return clcnn_fail(CLCNN_STATUS_PARSE_ERROR,
                          "'%s': trial %d finished but its trial.json is "
                          "missing; use --overwrite to start the search again",
                          dir, id);
    CLCNN_TRY(push_trial(st, &t));
    st->res->n_resumed++;
    return CLCNN_STATUS_OK;
}

/* Reads back the trials a resumed oracle has been told: ids below next_id, or every recorded one
 * when the search had finished (next_id < 0); with next_id < 0, the oracle's pending trials (a
 * parallel search's) are skipped, not taken for the end. */
static clcnn_status load_finished(tune_state *st, int next_id) {
    const char *dir = st->job.opt->out_dir;
    int n_pending = clcnn_oracle_pending(st->oracle, NULL, 0);
    int *pending = malloc((size_t)(n_pending + 1) * sizeof *pending), k = 0;
    if (!pending) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "tune: out of memory");
    clcnn_oracle_pending(st->oracle, pending, n_pending);
    clcnn_status s = CLCNN_STATUS_OK;
    for (int id = 0; s == CLCNN_STATUS_OK && (next_id < 0 || id < next_id); id++) {
        if (next_id < 0 && k < n_pending && pending[k] == id) {
            k++;
            continue;
        }
        int more;
        s = load_one(st, dir, id, next_id, &more);
        if (!more) break;
    }
    free(pending);
    return s;
}

/* The first member of `section` where the restored document differs from the fresh one, as
 * "options.max_trials is 11 but the config gives 6"; 0 when they agree. */
static int json_difference(const cJSON *fresh, const cJSON *restored, const char *section,
                            char *buf, size_t n) {
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(fresh, section);
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(restored, section);
    if (cJSON_Compare(a, b, 1)) return 0;
    const cJSON *child = a ? a->child : NULL;
    for (int i = 0; child; child = child->next, i++) {
        const cJSON *other = cJSON_IsArray(a) ? cJSON_GetArrayItem(b, i)
                                              : cJSON_GetObjectItemCaseSensitive(b, child->string);
        if (cJSON_Compare(child, other, 1)) continue;
        char *want = cJSON_PrintUnformatted(child), *got = other ? cJSON_PrintUnformatted(other) : NULL;
        if (cJSON_IsArray(a))
            snprintf(buf, n, "%s[%d] differs from the config's", section, i);
        else
            snprintf(buf, n, "%s.%s is %.60s but the config gives %.60s", section, child->string,
                     got ? got : "(missing)", want ? want : "?");
        cJSON_free(want);
        cJSON_free(got);
        return 1;
    }
    snprintf(buf, n, "%s differs from the config's", section);
    return 1;
}

/* A restored oracle must be the search the config describes: its options (max_trials above all:
 * an edited oracle.json once ran trials past the config's budget) and its space. */
static clcnn_status check_restored(const tune_job *job, const clcnn_oracle *restored) {
    clcnn_oracle *fresh;
    CLCNN_TRY(create_oracle(job, &fresh));
    char *a = NULL, *b = NULL;
    clcnn_status s = clcnn_oracle_save(fresh, &a);
    if (s == CLCNN_STATUS_OK) s = clcnn_oracle_save(restored, &b);
    clcnn_oracle_destroy(fresh);
    cJSON *ja = a ? cJSON_Parse(a) : NULL, *jb = b ? cJSON_Parse(b) : NULL;
    free(a);
    free(b);
    char what[256];
    if (s == CLCNN_STATUS_OK && (!ja || !jb))
        s = clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "tune: out of memory");
    if (s == CLCNN_STATUS_OK && (json_difference(ja, jb, "options", what, sizeof what) ||
                                 json_difference(ja, jb, "space", what, sizeof what)))
        s = clcnn_fail(CLCNN_STATUS_PARSE_ERROR, "'%s/oracle.json': %s", job->opt->out_dir, what);
    cJSON_Delete(ja);
    cJSON_Delete(jb);
    return s;
}

static clcnn_status load_oracle(const tune_job *job, clcnn_oracle **oracle) {
    CLCNN_TRY(tune_store_load_oracle(job->opt->out_dir, oracle));
    clcnn_status s = *oracle ? check_restored(job, *oracle) : CLCNN_STATUS_OK;
    if (s != CLCNN_STATUS_OK) {
        clcnn_oracle_destroy(*oracle);
        *oracle = NULL;
    }
    return s;
}

/* A tuning folder that cannot be resumed is the user's to fix: say so, and touch nothing. */
static clcnn_status resume_refused(const char *dir, clcnn_status s) {
    if (s == CLCNN_STATUS_OK || s == CLCNN_STATUS_OUT_OF_MEMORY || strstr(clcnn_last_error(), "--overwrite"))
        return s;
    char why[4096];
    snprintf(why, sizeof why, "%s", clcnn_last_error());
    return clcnn_fail(s,
                      "cannot resume the search in '%s': %s\n(nothing was changed there; use "
                      "--overwrite to start the search again, or another --out)",
                      dir, why);
}

/* Opens the oracle (restored or new) and asks for the first trial of this run. *have says
 * whether *req holds one (0: the search is already complete). */
clcnn_status tune_open_folder(tune_state *st, int *resuming) {
    const tune_job *job = &st->job;
    char *identity;
    CLCNN_TRY(search_identity(job, &identity));
    clcnn_status s = tune_store_prepare(job->opt->out_dir, identity, job->opt->overwrite, resuming);
    free(identity);
    CLCNN_TRY(resume_refused(job->opt->out_dir, s));
    if (*resuming)
        CLCNN_TRY(resume_refused(job->opt->out_dir, load_oracle(job, &st->oracle)));
    if (!st->oracle) CLCNN_TRY(create_oracle(job, &st->oracle));
    return CLCNN_STATUS_OK;
}

clcnn_status tune_load_finished_all(tune_state *st) {
    CLCNN_TRY(load_finished(st, -1));
    return tune_write_summaries(st);
}

static clcnn_status open_search(tune_state *st, clcnn_trial_request *req, int *have) {
    const tune_job *job = &st->job;
    int resuming;
    CLCNN_TRY(tune_open_folder(st, &resuming));
    clcnn_status s = clcnn_oracle_ask(st->oracle, req);
    *have = s == CLCNN_STATUS_OK;
    if (s != CLCNN_STATUS_OK && s != CLCNN_STATUS_EXHAUSTED) return s;
    if (resuming && (s = load_finished(st, *have ? req->trial_id : -1)) != CLCNN_STATUS_OK) {
        /* None of a refused folder's trials counts as read: nothing (a report) is written. */
        st->res->n_trials = st->res->n_failed = st->res->n_resumed = 0;
        return resume_refused(job->opt->out_dir, s);
    }
    if (*have) CLCNN_TRY(tune_store_save_oracle(job->opt->out_dir, st->oracle));
    return tune_write_summaries(st);
}

/* Records a finished trial: trial.json, then the oracle told and saved, then the summaries. */
clcnn_status tune_record_trial(tune_state *st, const tune_record *rec) {
    const char *dir = st->job.opt->out_dir;
    CLCNN_TRY(
        tune_store_write_trial(dir, &st->job.search->tune, st->job.space, rec, st->job.maximize));
    int failed = rec->t.status != CLCNN_TRIAL_COMPLETED;
    CLCNN_TRY(clcnn_oracle_tell(st->oracle, rec->t.id, rec->t.score, failed));
    CLCNN_TRY(tune_store_save_oracle(dir, st->oracle));
    CLCNN_TRY(push_trial(st, &rec->t));
    CLCNN_TRY(tune_write_summaries(st));
    tune_emit_event(st, CLCNN_TUNE_TRIAL_END, &rec->t);
    return CLCNN_STATUS_OK;
}

clcnn_status tune_check_failures(tune_state *st, const clcnn_tune_trial *t) {
    st->consecutive_failures = t->status == CLCNN_TRIAL_FAILED ? st->consecutive_failures + 1 : 0;
    int limit = st->job.search->tune.max_consecutive_failures;
    if (limit <= 0 || st->consecutive_failures < limit) return CLCNN_STATUS_OK;
    return clcnn_fail(CLCNN_STATUS_NUMERIC_ERROR,
                      "%d trials in a row failed "
                      "(tune.max_consecutive_failures = %d); the last: %s",
                      st->consecutive_failures, limit, t->error);
}

/* One trial of the loop; *stopped when a stop request interrupted it (nothing is recorded, and
 * the saved oracle still has it pending). */
static clcnn_status step(tune_state *st, const clcnn_trial_request *req, int *stopped) {
    tune_record rec;
    memset(&rec, 0, sizeof rec);
    tune_trial_init(&rec.t, req, st->job.space->n_hparams, st->job.search->train.epochs);
    tune_emit_event(st, CLCNN_TUNE_TRIAL_START, &rec.t);
    clcnn_status s = tune_trial_run(&st->job, req, &rec);
    *stopped = s == CLCNN_STATUS_INTERRUPTED;
    if (s == CLCNN_STATUS_OK) s = tune_record_trial(st, &rec);
    if (s == CLCNN_STATUS_OK) s = tune_check_failures(st, &rec.t);
    tune_record_free(&rec);
    return *stopped ? CLCNN_STATUS_OK : s;
}

static int stop_requested(const tune_state *st) {
    return st->job.opt->stop && *st->job.opt->stop;
}

static clcnn_status search_loop(tune_state *st, clcnn_trial_request *req, int have) {
    while (have) {
        if (stop_requested(st)) {
            st->res->stopped = 1;
            return CLCNN_STATUS_OK;
        }
        int stopped;
        CLCNN_TRY(step(st, req, &stopped));
        if (stopped) {
            st->res->stopped = 1;
            return CLCNN_STATUS_OK;
        }
        clcnn_status s = clcnn_oracle_ask(st->oracle, req);
        if (s == CLCNN_STATUS_EXHAUSTED) return CLCNN_STATUS_OK;
        CLCNN_TRY(s);
        CLCNN_TRY(tune_store_save_oracle(st->job.opt->out_dir, st->oracle));
    }
    return CLCNN_STATUS_OK;
}

/* tune.retrain_best: the best configuration on the whole training set (no validation split, no
 * limit), evaluated on the test set, into DIR/best_model. */
static clcnn_status retrain_best(tune_state *st) {
    const clcnn_tune_trial *best = best_trial(st);
    if (!best) return CLCNN_STATUS_OK;
    clcnn_spec *spec = malloc(sizeof *spec);
    clcnn_fit_result *res = malloc(sizeof *res);
    clcnn_status s = spec && res ? CLCNN_STATUS_OK
                                 : clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "tune: out of memory");
    if (s == CLCNN_STATUS_OK) s = tune_trial_spec(&st->job, best->values, best->epochs, spec);
    if (s == CLCNN_STATUS_OK) {
        spec->data.validation_split = 0;
        spec->data.train_limit = -1;
        tune_path(st->job.opt->out_dir, "best_model", st->res->retrain_dir,
                  sizeof st->res->retrain_dir);
        tune_emit_event(st, CLCNN_TUNE_RETRAIN_START, best);
        clcnn_fit_options fo = clcnn_fit_options_default();
        fo.out_dir = st->res->retrain_dir;
        fo.stop = st->job.opt->stop;
        fo.progress = st->job.opt->progress;
        fo.user = st->job.opt->user;
        s = clcnn_fit(st->job.ctx, spec, &fo, res);
    }
    if (s == CLCNN_STATUS_OK) {
        st->res->stopped = res->stopped;
        st->res->retrained = !res->stopped;
        st->res->retrain_test_accuracy = res->test_accuracy;
        st->res->retrain_test_loss = res->test_loss;
    }
    free(spec);
    free(res);
    return s;
}

static void result_init(clcnn_tune_result *r, int maximize) {
    memset(r, 0, sizeof *r);
    r->best_trial_id = -1;
    r->best_score = NAN;
    r->maximize = maximize;
    r->retrain_test_accuracy = r->retrain_test_loss = NAN;
}

clcnn_status clcnn_tune_run(clcnn_context *ctx, const clcnn_spec *spec,
                            const clcnn_search_space *space, const clcnn_tune_options *opt,
                            clcnn_tune_result *result) {
    if (!spec || !space || !opt || !opt->out_dir || !result)
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT,
                          "tune: NULL argument (out_dir is required)");
    int maximize = clcnn_tune_maximize(&spec->tune);
    result_init(result, maximize);
    double t0 = clcnn_now();
    tune_state st = {{ctx, spec, space, opt, maximize}, NULL, result, 0, 0};
    clcnn_trial_request req;
    int have = 0;
    clcnn_status s = check_search(spec, space);
    if (s == CLCNN_STATUS_OK && clcnn_dist_size() > 1) {
        s = tune_run_parallel(&st); /* the search's rank serves, the others train */
    } else {
        if (s == CLCNN_STATUS_OK) s = open_search(&st, &req, &have);
        if (s == CLCNN_STATUS_OK) tune_emit_event(&st, CLCNN_TUNE_SEARCH_START, NULL);
        if (s == CLCNN_STATUS_OK) s = search_loop(&st, &req, have);
    }
    if (s == CLCNN_STATUS_OK && !result->stopped && spec->tune.retrain_best &&
        clcnn_dist_rank() == 0)
        s = retrain_best(&st);
    clcnn_oracle_destroy(st.oracle);
    result->seconds = clcnn_now() - t0;
    return s;
}
