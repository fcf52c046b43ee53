/* tune/tuner_parallel.c: `mpirun -n N clcnn tune`: rank 0 owns the oracle and the tuning folder
 * and only serves (so a worker never waits for it to finish a trial of its own, and it needs no
 * device); ranks 1..N-1 ask it for trials, train them in a scratch folder of their own and send
 * back the result (the trial record, its history and the trial folder's files). Rank 0 writes
 * DIR exactly as a serial search does, so no shared filesystem is needed.
 *
 * Resuming is the serial rule with several pending trials: oracle.json is saved after every ask,
 * a trial's files and trial.json are written before it is told, and a restored search hands its
 * pending trials out again first, whatever N is now. Messages carry raw structs: every rank runs
 * the same build (as MPI requires anyway). */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clcnn/dist.h"
#include "tune/tuner_internal.h"

enum { TAG_READY = 1, TAG_RESULT, TAG_TRIAL, TAG_STOP };

/* ---- a growable message and its reader ------------------------------------------------------- */

typedef struct msg {
    clcnn_bytes b;
    size_t at; /* the reading position */
    int bad;   /* a read past the end */
} msg;

static void put(msg *m, const void *data, size_t n) {
    clcnn_bytes_append(&m->b, data, n);
}

static void put_u64(msg *m, uint64_t v) {
    put(m, &v, sizeof v);
}

static void get(msg *m, void *out, size_t n) {
    if (m->bad || n > m->b.len - m->at) {
        m->bad = 1;
        memset(out, 0, n);
        return;
    }
    memcpy(out, m->b.data + m->at, n);
    m->at += n;
}

static uint64_t get_u64(msg *m) {
    uint64_t v = 0;
    get(m, &v, sizeof v);
    return v;
}

/* A pointer to the next n bytes, or NULL past the end. */
static const unsigned char *get_span(msg *m, size_t n) {
    if (m->bad || n > m->b.len - m->at) {
        m->bad = 1;
        return NULL;
    }
    m->at += n;
    return m->b.data + m->at - n;
}

static clcnn_status put_file(msg *m, const char *path) {
    char *data;
    size_t len;
    CLCNN_TRY(clcnn_read_file(path, &data, &len));
    put_u64(m, len);
    put(m, data, len);
    free(data);
    return CLCNN_STATUS_OK;
}

static clcnn_status send_msg(int to, int tag, msg *m) {
    if (m->b.failed)
        return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "tune: out of memory for a message");
    return clcnn_dist_send(to, tag, m->b.data, m->b.len);
}

/* ---- a trial's result ------------------------------------------------------------------------ */

/* status, its message, the record, then every file of the trial folder (name, bytes). */
static clcnn_status pack_result(msg *m, clcnn_status s, const tune_record *rec, const char *dir) {
    char error[512];
    snprintf(error, sizeof error, "%s", s == CLCNN_STATUS_OK ? "" : clcnn_last_error());
    put_u64(m, (uint64_t)s);
    put(m, error, sizeof error);
    if (s != CLCNN_STATUS_OK) return CLCNN_STATUS_OK;
    put(m, &rec->t, sizeof rec->t);
    put_u64(m, (uint64_t)rec->n_exec);
    for (int e = 0; e < rec->n_exec; e++) {
        const tune_execution *ex = &rec->exec[e];
        put(m, ex, sizeof *ex);
        put(m, ex->history, (size_t)ex->n_epochs * sizeof *ex->history);
    }
    DIR *d = opendir(dir);
    if (!d) return clcnn_fail(CLCNN_STATUS_IO_ERROR, "cannot open '%s': %s", dir, strerror(errno));
    char names[64][256];
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) && n < 64;) {
        char path[CLCNN_PATH_MAX + 300];
        struct stat sb;
        snprintf(path, sizeof path, "%.1023s/%.255s", dir, e->d_name);
        if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode))
            snprintf(names[n++], 256, "%.255s", e->d_name);
    }
    closedir(d);
    put_u64(m, (uint64_t)n);
    for (int i = 0; i < n; i++) {
        char path[CLCNN_PATH_MAX + 300];
        snprintf(path, sizeof path, "%.1023s/%.255s", dir, names[i]);
        put(m, names[i], 256);
        CLCNN_TRY(put_file(m, path));
    }
    return CLCNN_STATUS_OK;
}

/* The files of a result, into DIR/trial_<id>/ (emptied first), each written atomically. */
static clcnn_status unpack_files(msg *m, const char *out, int id) {
    CLCNN_TRY(tune_store_reset_trial_dir(out, id));
    uint64_t n = get_u64(m);
    for (uint64_t i = 0; i < n && !m->bad; i++) {
        char name[256], path[CLCNN_PATH_MAX + 300];
        get(m, name, sizeof name);
        name[255] = '\0';
        uint64_t len = get_u64(m);
        const unsigned char *data = get_span(m, len);
        if (!data || strchr(name, '/') || name[0] == '.') break;
        tune_trial_path(out, id, name, path, sizeof path);
        CLCNN_TRY(clcnn_write_file_atomic(path, data, len));
    }
    if (m->bad) return clcnn_fail(CLCNN_STATUS_PARSE_ERROR, "tune: a malformed result message");
    return CLCNN_STATUS_OK;
}

static clcnn_status unpack_record(msg *m, tune_record *rec) {
    get(m, &rec->t, sizeof rec->t);
    uint64_t n = get_u64(m);
    if (m->bad || n > 1000000)
        return clcnn_fail(CLCNN_STATUS_PARSE_ERROR, "tune: a malformed result message");
    rec->exec = calloc(n ? n : 1, sizeof *rec->exec);
    if (!rec->exec) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "tune: out of memory");
    for (uint64_t e = 0; e < n && !m->bad; e++) {
        tune_execution *ex = &rec->exec[e];
        get(m, ex, sizeof *ex);
        ex->history = NULL;
        rec->n_exec = (int)e + 1;
        size_t bytes = (size_t)(ex->n_epochs > 0 ? ex->n_epochs : 0) * sizeof *ex->history;
        ex->history = malloc(bytes ? bytes : 1);
        if (!ex->history) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "tune: out of memory");
        get(m, ex->history, bytes);
    }
    if (m->bad) return clcnn_fail(CLCNN_STATUS_PARSE_ERROR, "tune: a malformed result message");
    return CLCNN_STATUS_OK;
}

/* ---- rank 0: the oracle and the folder ------------------------------------------------------- */

typedef struct server {
    tune_state *st;
    int *queue, n_queue, at_queue; /* pending trials of a restored search, handed out first */
    int *idle, n_idle;             /* workers waiting for Hyperband's next round */
    int stopped, stopping;         /* workers sent STOP; no new trial is handed out */
} server;

/* The trial for `worker`, with its parent's weights under Hyperband. */
static clcnn_status send_trial(server *sv, int worker, const clcnn_trial_request *req) {
    tune_state *st = sv->st;
    msg m = {0};
    put(&m, req, sizeof *req);
    clcnn_status s = CLCNN_STATUS_OK;
    if (req->parent_trial_id >= 0) {
        char path[CLCNN_PATH_MAX + 64];
        tune_trial_path(st->job.opt->out_dir, req->parent_trial_id, "model.safetensors", path,
                        sizeof path);
        s = put_file(&m, path);
    }
    if (s == CLCNN_STATUS_OK) s = send_msg(worker, TAG_TRIAL, &m);
    free(m.b.data);
    if (s == CLCNN_STATUS_OK) {
        clcnn_tune_trial t;
        tune_trial_init(&t, req, st->job.space->n_hparams, st->job.search->train.epochs);
        tune_emit_event(st, CLCNN_TUNE_TRIAL_START, &t);
    }
    return s;
}

/* Gives `worker` its next trial, or parks it (Hyperband's round is running), or stops it. */
static clcnn_status hand_out(server *sv, int worker) {
    tune_state *st = sv->st;
    clcnn_trial_request req;
    if (!sv->stopping && sv->at_queue < sv->n_queue) {
        CLCNN_TRY(clcnn_oracle_request(st->oracle, sv->queue[sv->at_queue++], &req));
        return send_trial(sv, worker, &req);
    }
    int wait = 0;
    clcnn_status s =
        sv->stopping ? CLCNN_STATUS_EXHAUSTED : clcnn_oracle_ask_more(st->oracle, &req, &wait);
    if (s == CLCNN_STATUS_OK && wait) {
        sv->idle[sv->n_idle++] = worker;
        return CLCNN_STATUS_OK;
    }
    if (s == CLCNN_STATUS_OK) {
        CLCNN_TRY(tune_store_save_oracle(st->job.opt->out_dir, st->oracle));
        return send_trial(sv, worker, &req);
    }
    if (s != CLCNN_STATUS_EXHAUSTED) return s;
    sv->stopped++;
    return clcnn_dist_send(worker, TAG_STOP, NULL, 0);
}

/* A worker's result: recorded as the serial search records it. */
static clcnn_status take_result(server *sv, int worker, msg *m) {
    tune_state *st = sv->st;
    clcnn_status s = (clcnn_status)get_u64(m);
    char error[512];
    get(m, error, sizeof error);
    error[sizeof error - 1] = '\0';
    if (s == CLCNN_STATUS_INTERRUPTED) { /* stopped (Ctrl-C): nothing to record, resumable */
        st->res->stopped = sv->stopping = 1;
        return CLCNN_STATUS_OK;
    }
    if (s != CLCNN_STATUS_OK)
        return clcnn_fail(s, "rank %d: %s", worker, m->bad ? "a malformed message" : error);
    tune_record rec;
    memset(&rec, 0, sizeof rec);
    s = unpack_record(m, &rec);
    if (s == CLCNN_STATUS_OK) s = unpack_files(m, st->job.opt->out_dir, rec.t.id);
    if (s == CLCNN_STATUS_OK) s = tune_record_trial(st, &rec);
    if (s == CLCNN_STATUS_OK) s = tune_check_failures(st, &rec.t);
    tune_record_free(&rec);
    return s;
}

static clcnn_status serve_loop(server *sv, int workers) {
    while (sv->stopped < workers) {
        int tag = -1, from = -1;
        void *data;
        size_t n;
        CLCNN_TRY(clcnn_dist_recv(-1, &tag, &from, &data, &n));
        msg m = {{data, n, n, 0}, 0, 0};
        clcnn_status s = tag == TAG_RESULT ? take_result(sv, from, &m) : CLCNN_STATUS_OK;
        free(data);
        CLCNN_TRY(s);
        if (sv->st->job.opt->stop && *sv->st->job.opt->stop) sv->stopping = 1;
        CLCNN_TRY(hand_out(sv, from));
        /* A result may end a Hyperband round: the parked workers ask again. One parked anew
         * lands at an index below the next one read, so the list is reused in place. */
        if (tag != TAG_RESULT) continue;
        int parked = sv->n_idle;
        sv->n_idle = 0;
        for (int k = 0; k < parked; k++)
            CLCNN_TRY(hand_out(sv, sv->idle[k]));
    }
    return CLCNN_STATUS_OK;
}

static clcnn_status serve(tune_state *st) {
    int resuming, workers = clcnn_dist_size() - 1;
    CLCNN_TRY(tune_open_folder(st, &resuming));
    if (resuming) CLCNN_TRY(tune_load_finished_all(st));
    tune_emit_event(st, CLCNN_TUNE_SEARCH_START, NULL);
    server sv;
    memset(&sv, 0, sizeof sv);
    sv.st = st;
    sv.n_queue = clcnn_oracle_pending(st->oracle, NULL, 0);
    sv.queue = malloc((size_t)(sv.n_queue + 1) * sizeof *sv.queue);
    sv.idle = malloc((size_t)(workers + 1) * sizeof *sv.idle);
    clcnn_status s = sv.queue && sv.idle
                         ? CLCNN_STATUS_OK
                         : clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "tune: out of memory");
    if (s == CLCNN_STATUS_OK) {
        clcnn_oracle_pending(st->oracle, sv.queue, sv.n_queue);
        s = serve_loop(&sv, workers);
    }
    free(sv.queue);
    free(sv.idle);
    return s;
}

/* ---- ranks 1..N-1: training ------------------------------------------------------------------ */

/* The parent's weights, where tune_trial_run looks for them in the scratch folder. */
static clcnn_status place_parent(const char *scratch, const clcnn_trial_request *req, msg *m) {
    if (req->parent_trial_id < 0) return CLCNN_STATUS_OK;
    uint64_t len = get_u64(m);
    const unsigned char *data = get_span(m, len);
    if (!data) return clcnn_fail(CLCNN_STATUS_PARSE_ERROR, "tune: a malformed trial message");
    char path[CLCNN_PATH_MAX + 64];
    tune_trial_path(scratch, req->parent_trial_id, NULL, path, sizeof path);
    CLCNN_TRY(clcnn_mkdir_p(path));
    tune_trial_path(scratch, req->parent_trial_id, "model.safetensors", path, sizeof path);
    return clcnn_write_file_atomic(path, data, len);
}

/* One trial from rank 0: trained in scratch, its result sent back, its files removed. */
static clcnn_status work_one(tune_state *st, const char *scratch, msg *in, msg *out) {
    clcnn_trial_request req;
    get(in, &req, sizeof req);
    clcnn_status s = in->bad ? clcnn_fail(CLCNN_STATUS_PARSE_ERROR, "tune: a malformed trial "
                                                                    "message")
                             : place_parent(scratch, &req, in);
    tune_record rec;
    memset(&rec, 0, sizeof rec);
    tune_trial_init(&rec.t, &req, st->job.space->n_hparams, st->job.search->train.epochs);
    if (s == CLCNN_STATUS_OK) s = tune_trial_run(&st->job, &req, &rec);
    char dir[CLCNN_PATH_MAX + 32];
    tune_trial_path(scratch, req.trial_id, NULL, dir, sizeof dir);
    clcnn_status p = pack_result(out, s, &rec, dir);
    tune_record_free(&rec);
    tune_store_remove_tree(dir);
    if (req.parent_trial_id >= 0) {
        tune_trial_path(scratch, req.parent_trial_id, NULL, dir, sizeof dir);
        tune_store_remove_tree(dir);
    }
    return p;
}

static clcnn_status work_loop(tune_state *st, const char *scratch) {
    msg out = {0};
    int tag = TAG_READY;
    clcnn_status s = CLCNN_STATUS_OK;
    for (;;) {
        s = send_msg(0, tag, &out);
        free(out.b.data);
        memset(&out, 0, sizeof out);
        if (s != CLCNN_STATUS_OK) break;
        int got = -1, from;
        void *data;
        size_t n;
        s = clcnn_dist_recv(0, &got, &from, &data, &n);
        if (s != CLCNN_STATUS_OK || got == TAG_STOP) {
            free(data);
            break;
        }
        msg in = {{data, n, n, 0}, 0, 0};
        s = work_one(st, scratch, &in, &out);
        free(data);
        if (s != CLCNN_STATUS_OK) break;
        tag = TAG_RESULT;
    }
    free(out.b.data);
    return s;
}

static clcnn_status work(tune_state *st) {
    const char *tmp = getenv("TMPDIR");
    char scratch[CLCNN_PATH_MAX];
    snprintf(scratch, sizeof scratch, "%s/clcnn-tune-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(scratch))
        return clcnn_fail(CLCNN_STATUS_IO_ERROR, "cannot create a scratch folder '%s': %s", scratch,
                          strerror(errno));
    clcnn_tune_options opt = *st->job.opt; /* no events or progress lines from the workers */
    opt.out_dir = scratch;
    opt.on_event = NULL;
    opt.progress = NULL;
    tune_state mine = *st;
    mine.job.opt = &opt;
    clcnn_status s = work_loop(&mine, scratch);
    tune_store_remove_tree(scratch);
    return s;
}

clcnn_status tune_run_parallel(tune_state *st) {
    return clcnn_dist_rank() == 0 ? serve(st) : work(st);
}
