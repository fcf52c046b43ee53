/* data/stream.c: a pool of threads decoding an image list pass by pass into a window of batch
 * buffers: a thread takes the next position of the pass whose batch has a free buffer, decodes
 * its file (reads its bytes from an IDX list's file, or copies it from the cache of the list's
 * first examples) into its place, and the
 * consumer takes whole batches in order. Memory stays at the window plus the cache. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"
#include "data/stream.h"

enum { ERROR_MAX = 2048 };

struct clcnn_stream {
    const clcnn_image_list *list;
    clcnn_stream_options o;
    size_t ex;      /* bytes per example */
    uint8_t **bufs; /* window buffers, batch x ex each */
    int own_bufs;
    uint8_t *labels; /* window x batch */
    uint8_t *cache;  /* the first n_cache examples of the list, once decoded */
    uint8_t *cached; /* per cached example: decoded yet */
    uint8_t *scratch; /* an (h, w, c) IDX list: one example's bytes per thread, as read */
    int n_cache;
    uint32_t *order; /* the pass */
    int n, next, handed, released, busy, quit;
    int *done;    /* per buffer: examples of its batch written */
    int *err_pos; /* per buffer: the first position that failed, or -1 */
    clcnn_status *err_status;
    char *err_msg; /* per buffer: ERROR_MAX bytes */
    int64_t decoded, hits;
    pthread_mutex_t mu;
    pthread_cond_t work, ready;
    pthread_t *threads;
    int n_threads, started;
};

static int batch_count(const clcnn_stream *s, int b) {
    int left = s->n - b * s->o.batch;
    return left < s->o.batch ? left : s->o.batch;
}

/* Position p is free to decode: in the pass, and its batch has a buffer no one is reading. */
static int job_ready(const clcnn_stream *s) {
    return s->next < s->n && s->next / s->o.batch < s->released + s->o.window;
}

/* Decodes (or copies from the cache) example idx into dst; *fresh is set when it was decoded
 * into a cache place the caller then marks. */
static clcnn_status fetch(clcnn_stream *s, uint32_t idx, int in_cache, uint8_t *dst,
                          uint8_t *scratch, int *fresh) {
    const clcnn_image_list *l = s->list;
    *fresh = 0;
    if (in_cache) {
        memcpy(dst, s->cache + idx * s->ex, s->ex);
        return CLCNN_STATUS_OK;
    }
    CLCNN_TRY(l->source ? clcnn_idx_list_read(l, idx, dst, scratch)
                        : clcnn_image_load(l->paths[idx], l->c, l->h, l->w, dst));
    if ((int)idx < s->n_cache) {
        memcpy(s->cache + idx * s->ex, dst, s->ex);
        *fresh = 1;
    }
    return CLCNN_STATUS_OK;
}

static void *worker(void *arg) {
    clcnn_stream *s = arg;
    pthread_mutex_lock(&s->mu);
    uint8_t *scratch = s->scratch ? s->scratch + (size_t)s->started * s->ex : NULL;
    s->started++;
    for (;;) {
        while (!s->quit && !job_ready(s))
            pthread_cond_wait(&s->work, &s->mu);
        if (s->quit) break;
        int p = s->next++, slot = (p / s->o.batch) % s->o.window, at = p % s->o.batch;
        uint32_t idx = s->order ? s->order[p] : (uint32_t)p;
        int in_cache = (int)idx < s->n_cache && s->cached[idx];
        s->busy++;
        pthread_mutex_unlock(&s->mu);

        int fresh;
        s->labels[(size_t)slot * s->o.batch + at] = s->list->labels[idx];
        clcnn_status st =
            fetch(s, idx, in_cache, s->bufs[slot] + (size_t)at * s->ex, scratch, &fresh);

        pthread_mutex_lock(&s->mu);
        if (fresh) s->cached[idx] = 1;
        if (in_cache)
            s->hits++;
        else
            s->decoded++;
        if (st != CLCNN_STATUS_OK && (s->err_pos[slot] < 0 || p < s->err_pos[slot])) {
            s->err_pos[slot] = p;
            s->err_status[slot] = st;
            snprintf(s->err_msg + (size_t)slot * ERROR_MAX, ERROR_MAX, "%s", clcnn_last_error());
        }
        s->done[slot]++;
        s->busy--;
        pthread_cond_broadcast(&s->ready);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

static clcnn_status stream_alloc(clcnn_stream *s, uint8_t *const *buffers) {
    const clcnn_stream_options *o = &s->o;
    s->bufs = calloc((size_t)o->window, sizeof *s->bufs);
    s->labels = malloc((size_t)o->window * o->batch);
    s->done = calloc((size_t)o->window, sizeof *s->done);
    s->err_pos = malloc((size_t)o->window * sizeof *s->err_pos);
    s->err_status = calloc((size_t)o->window, sizeof *s->err_status);
    s->err_msg = malloc((size_t)o->window * ERROR_MAX);
    s->threads = calloc((size_t)o->threads, sizeof *s->threads);
    if (s->list->source && s->list->nhwc) s->scratch = malloc((size_t)o->threads * s->ex);
    if (!s->bufs || !s->labels || !s->done || !s->err_pos || !s->err_status || !s->err_msg ||
        !s->threads || (s->list->source && s->list->nhwc && !s->scratch))
        return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory for the decoding window");
    s->own_bufs = !buffers;
    for (int i = 0; i < o->window; i++) {
        s->bufs[i] = buffers ? buffers[i] : malloc((size_t)o->batch * s->ex);
        if (!s->bufs[i])
            return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory for a batch buffer");
    }
    size_t fits = s->ex ? o->cache_bytes / s->ex : 0;
    s->n_cache = fits < (size_t)s->list->n ? (int)fits : s->list->n;
    if (s->n_cache > 0) {
        s->cache = malloc((size_t)s->n_cache * s->ex);
        s->cached = calloc((size_t)s->n_cache, 1);
        if (!s->cache || !s->cached) s->n_cache = 0; /* a smaller process only decodes more */
    }
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_stream_create(const clcnn_image_list *list, const clcnn_stream_options *o,
                                 uint8_t *const *buffers, clcnn_stream **out) {
    *out = NULL;
    if (o->threads < 1 || o->batch < 1 || o->window < 1)
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT,
                          "stream: %d threads, batch %d, window %d; each must be at least 1",
                          o->threads, o->batch, o->window);
    clcnn_stream *s = calloc(1, sizeof *s);
    if (!s) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
    s->list = list;
    s->o = *o;
    s->ex = (size_t)list->c * list->h * list->w;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->work, NULL);
    pthread_cond_init(&s->ready, NULL);
    clcnn_status st = stream_alloc(s, buffers);
    for (int i = 0; st == CLCNN_STATUS_OK && i < o->threads; i++) {
        if (pthread_create(&s->threads[i], NULL, worker, s) != 0)
            st = clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "cannot start decoding thread %d of %d",
                            i + 1, o->threads);
        else
            s->n_threads++;
    }
    if (st != CLCNN_STATUS_OK) {
        clcnn_stream_destroy(s);
        return st;
    }
    *out = s;
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_stream_begin(clcnn_stream *s, const uint32_t *order, int n) {
    if (n < 0 || n > s->list->n)
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "stream: a pass of %d of %d examples", n,
                          s->list->n);
    for (int i = 0; order && i < n; i++)
        if ((int)order[i] >= s->list->n)
            return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT,
                              "stream: order[%d] = %u is out of range", i, order[i]);
    uint32_t *copy = order ? malloc((n ? (size_t)n : 1) * sizeof *copy) : NULL;
    if (order && !copy) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
    if (copy) memcpy(copy, order, (size_t)n * sizeof *copy);
    pthread_mutex_lock(&s->mu);
    s->next = s->n; /* no new work from the old pass; wait out what is under way */
    while (s->busy)
        pthread_cond_wait(&s->ready, &s->mu);
    free(s->order);
    s->order = copy;
    s->n = n;
    s->next = s->handed = s->released = 0;
    for (int i = 0; i < s->o.window; i++) {
        s->done[i] = 0;
        s->err_pos[i] = -1;
    }
    pthread_cond_broadcast(&s->work);
    pthread_mutex_unlock(&s->mu);
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_stream_next(clcnn_stream *s, clcnn_stream_batch *b) {
    pthread_mutex_lock(&s->mu);
    int k = s->handed, slot = k % s->o.window;
    if (k * s->o.batch >= s->n || k - s->released >= s->o.window) {
        pthread_mutex_unlock(&s->mu);
        return clcnn_fail(
            CLCNN_STATUS_INVALID_ARGUMENT,
            "stream: batch %d asked for (pass of %d examples, %d batches not released)", k, s->n,
            k - s->released);
    }
    int count = batch_count(s, k);
    while (s->done[slot] < count)
        pthread_cond_wait(&s->ready, &s->mu);
    if (s->err_pos[slot] >= 0) {
        char msg[ERROR_MAX];
        memcpy(msg, s->err_msg + (size_t)slot * ERROR_MAX, ERROR_MAX);
        clcnn_status st = s->err_status[slot];
        pthread_mutex_unlock(&s->mu);
        return clcnn_fail(st, "%s", msg);
    }
    *b = (clcnn_stream_batch){k * s->o.batch, count, s->bufs[slot],
                              s->labels + (size_t)slot * s->o.batch};
    s->handed++;
    pthread_mutex_unlock(&s->mu);
    return CLCNN_STATUS_OK;
}

void clcnn_stream_release(clcnn_stream *s) {
    pthread_mutex_lock(&s->mu);
    if (s->released < s->handed) {
        int slot = s->released % s->o.window;
        s->done[slot] = 0;
        s->err_pos[slot] = -1;
        s->released++;
        pthread_cond_broadcast(&s->work);
    }
    pthread_mutex_unlock(&s->mu);
}

void clcnn_stream_counts(clcnn_stream *s, int64_t *decoded, int64_t *cached) {
    pthread_mutex_lock(&s->mu);
    *decoded = s->decoded;
    *cached = s->hits;
    pthread_mutex_unlock(&s->mu);
}

void clcnn_stream_destroy(clcnn_stream *s) {
    if (!s) return;
    pthread_mutex_lock(&s->mu);
    s->quit = 1;
    pthread_cond_broadcast(&s->work);
    pthread_mutex_unlock(&s->mu);
    for (int i = 0; i < s->n_threads; i++)
        pthread_join(s->threads[i], NULL);
    for (int i = 0; s->own_bufs && s->bufs && i < s->o.window; i++)
        free(s->bufs[i]);
    free(s->bufs), free(s->labels), free(s->done), free(s->err_pos), free(s->err_status);
    free(s->err_msg), free(s->threads), free(s->cache), free(s->cached), free(s->order);
    free(s->scratch);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->work);
    pthread_cond_destroy(&s->ready);
    free(s);
}

int clcnn_decode_threads(int wanted) {
    if (wanted > 0) return wanted;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    return cpus < 1 ? 1 : cpus > 8 ? 8 : (int)cpus;
}

clcnn_status clcnn_image_list_decode(const clcnn_image_list *l, int threads, clcnn_dataset *out) {
    size_t ex = (size_t)l->c * l->h * l->w;
    *out = (clcnn_dataset){l->n,
                           l->c,
                           l->h,
                           l->w,
                           malloc(l->n ? (size_t)l->n * ex : 1),
                           malloc(l->n ? (size_t)l->n : 1)};
    if (!out->images || !out->labels) {
        clcnn_dataset_free(out);
        return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory for %d images", l->n);
    }
    if (l->n) memcpy(out->labels, l->labels, (size_t)l->n);
    clcnn_stream_options o = {clcnn_decode_threads(threads), 64, 4, 0};
    clcnn_stream *s;
    clcnn_status st = clcnn_stream_create(l, &o, NULL, &s);
    if (st == CLCNN_STATUS_OK) st = clcnn_stream_begin(s, NULL, l->n);
    for (int done = 0; st == CLCNN_STATUS_OK && done < l->n;) {
        clcnn_stream_batch b;
        st = clcnn_stream_next(s, &b);
        if (st != CLCNN_STATUS_OK) break;
        memcpy(out->images + (size_t)b.start * ex, b.images, (size_t)b.count * ex);
        done += b.count;
        clcnn_stream_release(s);
    }
    clcnn_stream_destroy(s);
    if (st != CLCNN_STATUS_OK) clcnn_dataset_free(out);
    return st;
}
