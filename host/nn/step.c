/* nn/step.c: the passes over a model: data uploads, batch gathering, forward, loss, backward and
 * the optimizer update, all enqueued in order with no wait; metrics stay on the device until
 * read. */
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"

static void release(cl_mem *b) {
    if (*b) clReleaseMemObject(*b);
    *b = NULL;
}

/* A buffer whose allocation error names the tensor it is for. */
static clcnn_status named_buffer(clcnn_model *m, const char *what, size_t bytes, cl_mem *out) {
    clcnn_status s = clcnn_buffer_create(m->ctx, bytes, out);
    if (s == CLCNN_STATUS_OK) return s;
    char why[512];
    snprintf(why, sizeof why, "%s", clcnn_last_error());
    return clcnn_fail(s, "%s: %s", what, why);
}

/* The images in chunks of as many whole examples as the device's largest allocation holds
 * (slack included), so a data set of any size uploads. One chunk when it all fits. */
static clcnn_status upload_images(clcnn_model *m, model_slot *s, const uint8_t *images, size_t n,
                                  size_t ex) {
    size_t limit = m->ctx->info.max_alloc;
    size_t per = limit > CLCNN_BUFFER_SLACK ? (limit - CLCNN_BUFFER_SLACK) / ex : 0;
    if (per == 0)
        return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY,
                          "the data set: one example of %zu bytes (plus %d of slack) exceeds the "
                          "largest allocation device '%s' allows (%zu bytes)",
                          ex, CLCNN_BUFFER_SLACK, m->ctx->info.name, limit);
    if (per > n) per = n ? n : 1;
    size_t chunks = (n + per - 1) / per;
    if (chunks > CLCNN_MAX_CHUNKS)
        return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY,
                          "the data set: %zu examples of %zu bytes need %zu chunks of at most %zu "
                          "bytes (device '%s'), more than %d",
                          n, ex, chunks, limit, m->ctx->info.name, CLCNN_MAX_CHUNKS);
    s->chunk_examples = (int)per;
    for (size_t c = 0; c < chunks || c == 0; c++) {
        size_t first = c * per, count = n - first < per ? n - first : per;
        char what[64];
        snprintf(what, sizeof what, "the data set (chunk %zu of %zu)", c + 1, chunks);
        CLCNN_TRY(named_buffer(m, what, (count ? count : 1) * ex, &s->images[c]));
        s->n_chunks = (int)c + 1;
        CLCNN_TRY(clcnn_buffer_write(m->ctx, s->images[c], 0, count * ex, images + first * ex));
    }
    if (chunks > 1)
        clcnn_log(CLCNN_LOG_DEBUG, "data set of %zu examples in %zu chunks (largest allocation %zu bytes)",
                  n, chunks, limit);
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_model_upload(clcnn_model *m, int slot, const clcnn_dataset *ds) {
    if (slot < 0 || slot >= CLCNN_SLOTS) return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "bad slot %d", slot);
    if (ds->c != m->input.c || ds->h != m->input.h || ds->w != m->input.w)
        return clcnn_fail(CLCNN_STATUS_BAD_SHAPE,
                          "the data has examples of %dx%dx%d (HxWxC) but the model's input_shape is "
                          "[%d, %d, %d]", ds->h, ds->w, ds->c, m->input.h, m->input.w, m->input.c);
    model_slot *s = &m->slots[slot];
    for (int c = 0; c < s->n_chunks; c++) release(&s->images[c]);
    s->n_chunks = 0;
    release(&s->labels);
    release(&s->loss);
    release(&s->correct);
    release(&s->pred);
    s->n = 0;
    size_t ex = clcnn_shape_size(m->input), n = (size_t)ds->n;
    CLCNN_TRY(upload_images(m, s, ds->images, n, ex));
    CLCNN_TRY(named_buffer(m, "the labels", n, &s->labels));
    CLCNN_TRY(named_buffer(m, "the per-example losses", n * sizeof(float), &s->loss));
    CLCNN_TRY(named_buffer(m, "the per-example results", n, &s->correct));
    CLCNN_TRY(named_buffer(m, "the predictions", n, &s->pred));
    if (ds->labels) {
        for (size_t i = 0; i < n; i++)
            if (ds->labels[i] >= m->classes)
                return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "label %d of example %zu is not below %d classes",
                                  ds->labels[i], i, m->classes);
        CLCNN_TRY(clcnn_buffer_write(m->ctx, s->labels, 0, n, ds->labels));
    } else {
        CLCNN_TRY(clcnn_buffer_fill_zero(m->ctx, s->labels, 0, n & ~(size_t)3));
        if (n & 3) {
            uint8_t zeros[4] = {0};
            CLCNN_TRY(clcnn_buffer_write(m->ctx, s->labels, n & ~(size_t)3, n & 3, zeros));
        }
    }
    s->n = ds->n;
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_model_set_order(clcnn_model *m, const uint32_t *order, int n) {
    if (n > m->slots[0].n) return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "order longer than the data");
    if (n > m->order_n) {
        release(&m->order);
        CLCNN_TRY(clcnn_buffer_create(m->ctx, (size_t)n * sizeof(uint32_t), &m->order));
        m->order_n = n;
    }
    for (int i = 0; i < n; i++)
        if ((int)order[i] >= m->slots[0].n)
            return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "order[%d] = %u is out of range", i, order[i]);
    return clcnn_buffer_write(m->ctx, m->order, 0, (size_t)n * sizeof(uint32_t), order);
}

static clcnn_status gather(clcnn_model *m, int slot, int use_order, int start, int count) {
    cl_kernel k;
    CLCNN_TRY(clcnn_kernel_get(m->ctx, "data.cl", "gather_batch", &k));
    model_slot *s = &m->slots[slot];
    int ex = (int)clcnn_shape_size(m->input);
    float inv_scale = 1.0f / m->spec.data.scale;
    cl_mem order = m->order ? m->order : s->labels;
    size_t global[2] = {(size_t)ex, (size_t)count};
    clcnn_profile_set_tag(m->ctx, "input/gather");
    /* A launch per chunk; each writes the batch's examples that lie in its chunk. */
    for (int c = 0; c < s->n_chunks; c++) {
        cl_uint first = (cl_uint)c * (cl_uint)s->chunk_examples, per = (cl_uint)s->chunk_examples;
        clcnn_arg args[] = {CLCNN_ARG(s->images[c]), CLCNN_ARG(s->labels), CLCNN_ARG(order),
                            CLCNN_ARG(use_order), CLCNN_ARG(start), CLCNN_ARG(ex),
                            CLCNN_ARG(inv_scale), CLCNN_ARG(m->x0), CLCNN_ARG(m->batch_labels),
                            CLCNN_ARG(count), CLCNN_ARG(first), CLCNN_ARG(per)};
        CLCNN_TRY(clcnn_launch(m->ctx, k, 2, global, NULL, args, 12));
    }
    return CLCNN_STATUS_OK;
}

/* Streams of random keys, one per use, so dropout and augmentation never share draws. */
#define STREAM_DROPOUT 0x6a09e667f3bcc909ull
#define STREAM_AUGMENT 0xbb67ae8584caa73bull

/* The step's key for a stream: from train.seed and the optimizer's step count, so a run is
 * reproducible and --resume continues the same sequence. */
static uint64_t step_key(const clcnn_model *m, uint64_t stream) {
    uint64_t state = (m->spec.train.seed ^ stream) + (uint64_t)m->step * 0x9e3779b97f4a7c15ull;
    return clcnn_splitmix64(&state);
}

/* Random augmentation in place of the plain gather: each example's transform, then the batch
 * sampled through it (kernels/augment.cl). */
static clcnn_status gather_augmented(clcnn_model *m, int start, int count) {
    const clcnn_augment_spec *a = &m->spec.data.augment;
    cl_kernel k;
    CLCNN_TRY(clcnn_kernel_get(m->ctx, "augment.cl", "augment_params", &k));
    cl_ulong key = step_key(m, STREAM_AUGMENT);
    int H = m->input.h, W = m->input.w, C = m->input.c;
    clcnn_arg pa[] = {CLCNN_ARG(key), CLCNN_ARG(H), CLCNN_ARG(W), CLCNN_ARG(a->horizontal_flip),
                      CLCNN_ARG(a->vertical_flip), CLCNN_ARG(a->width_shift),
                      CLCNN_ARG(a->height_shift), CLCNN_ARG(a->zoom), CLCNN_ARG(a->rotation),
                      CLCNN_ARG(a->erasing), CLCNN_ARG(a->erasing_min_area),
                      CLCNN_ARG(a->erasing_max_area), CLCNN_ARG(a->erasing_ratio),
                      CLCNN_ARG(m->aug_params), CLCNN_ARG(count)};
    size_t n = (size_t)count;
    clcnn_profile_set_tag(m->ctx, "input/augment");
    CLCNN_TRY(clcnn_launch(m->ctx, k, 1, &n, NULL, pa, 15));
    CLCNN_TRY(clcnn_kernel_get(m->ctx, "augment.cl", "gather_augment", &k));
    float inv_scale = 1.0f / m->spec.data.scale;
    model_slot *s = &m->slots[0];
    size_t global[3] = {(size_t)W, (size_t)H, n};
    for (int c = 0; c < s->n_chunks; c++) {
        cl_uint first = (cl_uint)c * (cl_uint)s->chunk_examples, per = (cl_uint)s->chunk_examples;
        clcnn_arg ga[] = {CLCNN_ARG(s->images[c]), CLCNN_ARG(s->labels), CLCNN_ARG(m->order),
                          CLCNN_ARG(start), CLCNN_ARG(C), CLCNN_ARG(H), CLCNN_ARG(W),
                          CLCNN_ARG(inv_scale), CLCNN_ARG(m->aug_params), CLCNN_ARG(m->fill_mode),
                          CLCNN_ARG(a->fill_value), CLCNN_ARG(m->interpolation), CLCNN_ARG(m->x0),
                          CLCNN_ARG(m->batch_labels), CLCNN_ARG(first), CLCNN_ARG(per)};
        CLCNN_TRY(clcnn_launch(m->ctx, k, 3, global, NULL, ga, 16));
    }
    return CLCNN_STATUS_OK;
}

static clcnn_pass pass_for(clcnn_model *m, int i, int n, int training) {
    clcnn_pass p = {
        .ctx = m->ctx, .n = n, .x = i ? m->act[i - 1] : m->x0, .y = m->act[i],
        .dx = i ? m->grad[i - 1] : NULL, .dy = m->grad[i], .params = m->params,
        .grads = m->grads, .workspace = m->workspace[i], .training = training,
        .seed = training ? step_key(m, STREAM_DROPOUT) : 0,
    };
    return p;
}

static void tag(clcnn_model *m, const clcnn_layer *l, const char *phase) {
    if (!m->ctx->profiling) return;
    char t[64];
    snprintf(t, sizeof t, "layers.%d.%s/%s", l->index, l->spec.type, phase);
    clcnn_profile_set_tag(m->ctx, t);
}

static clcnn_status forward(clcnn_model *m, int n, int training) {
    for (int i = 0; i < m->n_layers; i++) {
        clcnn_layer *l = &m->layers[i];
        tag(m, l, "forward");
        clcnn_pass p = pass_for(m, i, n, training);
        clcnn_status s = l->type->forward(l, &p);
        if (s == CLCNN_STATUS_OK && l->act)
            s = clcnn_nn_act_forward(m->ctx, l->act, l->act_alpha, p.y, p.y,
                                     (size_t)n * clcnn_shape_size(l->out));
        if (s != CLCNN_STATUS_OK) return clcnn_fail_prefix(s, "layer %d (%s): ", l->index, l->spec.name);
    }
    return CLCNN_STATUS_OK;
}

static clcnn_status backward(clcnn_model *m, int n) {
    for (int i = m->n_layers - 1; i >= 0; i--) {
        clcnn_layer *l = &m->layers[i];
        tag(m, l, "backward");
        clcnn_pass p = pass_for(m, i, n, 1);
        clcnn_status s = CLCNN_STATUS_OK;
        if (l->act)
            s = clcnn_nn_act_backward(m->ctx, l->act, l->act_alpha, p.y, p.dy, p.dy,
                                      (size_t)n * clcnn_shape_size(l->out));
        if (s == CLCNN_STATUS_OK) s = l->type->backward(l, &p);
        if (s != CLCNN_STATUS_OK) return clcnn_fail_prefix(s, "layer %d (%s): ", l->index, l->spec.name);
    }
    return CLCNN_STATUS_OK;
}

static clcnn_status loss(clcnn_model *m, int slot, int start, int n, int want_grad) {
    model_slot *s = &m->slots[slot];
    clcnn_loss_args a = {m->act[m->n_layers - 1], m->batch_labels, m->grad[m->n_layers - 1],
                         s->loss, s->correct, s->pred, m->classes, n, start, want_grad,
                         1.0f / (float)n};
    clcnn_profile_set_tag(m->ctx, "loss/softmax_xent");
    return clcnn_nn_softmax_xent(m->ctx, &a);
}

/* Keras' decoupled weight decay, before the update, on the trainable prefix only. */
static clcnn_status weight_decay(clcnn_model *m) {
    float factor = 1.0f - m->learning_rate * m->spec.train.optimizer.weight_decay;
    cl_kernel k;
    CLCNN_TRY(clcnn_kernel_get(m->ctx, "regularize.cl", "weight_decay", &k));
    size_t count = m->n_trainable;
    cl_ulong n = count;
    clcnn_arg args[] = {CLCNN_ARG(m->params), CLCNN_ARG(factor), CLCNN_ARG(n)};
    return clcnn_launch(m->ctx, k, 1, &count, NULL, args, 3);
}

static clcnn_status optimizer_step(clcnn_model *m) {
    const clcnn_optimizer_spec *o = &m->spec.train.optimizer;
    size_t count = m->n_trainable;
    m->step++;
    clcnn_profile_set_tag(m->ctx, "optimizer/step");
    if (count == 0) return CLCNN_STATUS_OK;
    if (o->weight_decay > 0) CLCNN_TRY(weight_decay(m));
    clcnn_optimizer_pass p = {m->ctx, count, m->params, m->grads, {0}, m->learning_rate, m->step, o};
    memcpy(p.state, m->opt, sizeof p.state);
    return m->optimizer->step(&p);
}

static clcnn_status check_range(const clcnn_model *m, int slot, int start, int count) {
    if (slot < 0 || slot >= CLCNN_SLOTS || !m->slots[slot].n_chunks)
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "no data uploaded to slot %d", slot);
    if (count <= 0 || count > m->max_batch || start < 0 || start + count > m->slots[slot].n)
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "batch [%d, %d) is out of range (data %d, max batch %d)",
                          start, start + count, m->slots[slot].n, m->max_batch);
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_model_train_step(clcnn_model *m, int start, int count) {
    CLCNN_TRY(check_range(m, 0, start, count));
    if (start + count > m->order_n)
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "no epoch order set for examples up to %d", start + count);
    if (m->augment)
        CLCNN_TRY(gather_augmented(m, start, count));
    else
        CLCNN_TRY(gather(m, 0, 1, start, count));
    CLCNN_TRY(forward(m, count, 1));
    CLCNN_TRY(loss(m, 0, start, count, 1));
    CLCNN_TRY(backward(m, count));
    CLCNN_TRY(optimizer_step(m));
    clFlush(m->ctx->queue);
    return CLCNN_STATUS_OK;
}

/* Softmax of the last forward pass's logits, count rows, copied to the host (waits). */
static clcnn_status read_probs(clcnn_model *m, int count, float *probs) {
    CLCNN_TRY(clcnn_nn_softmax_rows(m->ctx, m->act[m->n_layers - 1], m->probs, m->classes, count));
    return clcnn_buffer_read(m->ctx, m->probs, 0, (size_t)count * m->classes * sizeof(float), probs);
}

clcnn_status clcnn_model_eval_step(clcnn_model *m, int slot, int start, int count, float *probs) {
    CLCNN_TRY(check_range(m, slot, start, count));
    CLCNN_TRY(gather(m, slot, 0, start, count));
    CLCNN_TRY(forward(m, count, 0));
    CLCNN_TRY(loss(m, slot, start, count, 0));
    return probs ? read_probs(m, count, probs) : CLCNN_STATUS_OK;
}

clcnn_status clcnn_model_read_metrics(clcnn_model *m, int slot, int start, int end,
                                      double *loss_sum, int64_t *correct, uint8_t *predictions) {
    if (slot < 0 || slot >= CLCNN_SLOTS || start < 0 || end > m->slots[slot].n || start > end)
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "metrics range [%d, %d) out of range", start, end);
    size_t n = (size_t)(end - start);
    float *l = malloc((n ? n : 1) * sizeof *l);
    uint8_t *c = malloc(n ? n : 1);
    clcnn_status s = l && c ? CLCNN_STATUS_OK : clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
    if (s == CLCNN_STATUS_OK) s = clcnn_buffer_read(m->ctx, m->slots[slot].loss, (size_t)start * 4, n * 4, l);
    if (s == CLCNN_STATUS_OK) s = clcnn_buffer_read(m->ctx, m->slots[slot].correct, (size_t)start, n, c);
    if (s == CLCNN_STATUS_OK && predictions)
        s = clcnn_buffer_read(m->ctx, m->slots[slot].pred, (size_t)start, n, predictions);
    double sum = 0;
    int64_t ok = 0;
    for (size_t i = 0; s == CLCNN_STATUS_OK && i < n; i++) {
        sum += l[i];
        ok += c[i];
    }
    free(l);
    free(c);
    CLCNN_TRY(s);
    *loss_sum = sum;
    *correct = ok;
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_model_predict(clcnn_model *m, const uint8_t *images, int n, float *probs) {
    clcnn_dataset ds = {n, m->input.c, m->input.h, m->input.w, (uint8_t *)images, NULL};
    CLCNN_TRY(clcnn_model_upload(m, 2, &ds));
    for (int start = 0; start < n; start += m->max_batch) {
        int count = n - start < m->max_batch ? n - start : m->max_batch;
        CLCNN_TRY(clcnn_model_eval_step(m, 2, start, count, probs + (size_t)start * m->classes));
    }
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_model_predict_float(clcnn_model *m, const float *inputs, int n, float *probs) {
    if (n < 0 || (n > 0 && (!inputs || !probs)))
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "predict: %d inputs, or a NULL buffer", n);
    size_t ex = clcnn_shape_size(m->input);
    for (int start = 0; start < n; start += m->max_batch) {
        int count = n - start < m->max_batch ? n - start : m->max_batch;
        /* The batch goes where gather would put it: the forward pass reads x0. */
        CLCNN_TRY(clcnn_buffer_write(m->ctx, m->x0, 0, (size_t)count * ex * sizeof(float),
                                     inputs + (size_t)start * ex));
        CLCNN_TRY(forward(m, count, 0));
        CLCNN_TRY(read_probs(m, count, probs + (size_t)start * m->classes));
    }
    return CLCNN_STATUS_OK;
}
