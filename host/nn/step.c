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
        CLCNN_TRY(clcnn_model_buffer(m, what, (count ? count : 1) * ex, &s->images[c]));
        s->n_chunks = (int)c + 1;
        CLCNN_TRY(clcnn_buffer_write(m->ctx, s->images[c], 0, count * ex, images + first * ex));
    }
    if (chunks > 1)
        clcnn_log(CLCNN_LOG_DEBUG, "data set of %zu examples in %zu chunks (largest allocation %zu bytes)",
                  n, chunks, limit);
    return CLCNN_STATUS_OK;
}

/* Zeros the first n bytes of buf (the fill pattern is 4 bytes wide: the tail is written). */
static clcnn_status zero_bytes(clcnn_model *m, cl_mem buf, size_t n) {
    CLCNN_TRY(clcnn_buffer_fill_zero(m->ctx, buf, 0, n & ~(size_t)3));
    uint8_t zeros[4] = {0};
    return n & 3 ? clcnn_buffer_write(m->ctx, buf, n & ~(size_t)3, n & 3, zeros) : CLCNN_STATUS_OK;
}

void clcnn_model_slot_release(clcnn_model *m, model_slot *s) {
    if (s->streaming || s->n_pinned) clcnn_context_finish(m->ctx);
    for (int c = 0; c < s->n_chunks; c++) release(&s->images[c]);
    cl_mem *bufs[] = {&s->labels, &s->loss, &s->correct, &s->pred};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) release(bufs[i]);
    for (int r = 0; r < CLCNN_STREAM_RING; r++) {
        release(&s->ring[r]);
        if (s->ring_free[r]) clReleaseEvent(s->ring_free[r]);
    }
    /* Every unmap enqueued, then one wait for them all before the buffers go. */
    for (int i = 0; i < s->n_pinned; i++)
        if (s->mapped[i]) clEnqueueUnmapMemObject(m->ctx->queue, s->pinned[i], s->mapped[i], 0, NULL, NULL);
    if (s->n_pinned) clFinish(m->ctx->queue);
    for (int i = 0; i < s->n_pinned; i++)
        release(&s->pinned[i]);
    memset(s, 0, sizeof *s);
}

/* Labels and the per-example results of a pass over n examples. */
static clcnn_status per_example_buffers(clcnn_model *m, model_slot *s, size_t n) {
    CLCNN_TRY(clcnn_model_buffer(m, "the labels", n, &s->labels));
    CLCNN_TRY(clcnn_model_buffer(m, "the per-example losses", n * sizeof(float), &s->loss));
    CLCNN_TRY(clcnn_model_buffer(m, "the per-example results", n, &s->correct));
    return clcnn_model_buffer(m, "the predictions", n, &s->pred);
}

clcnn_status clcnn_model_upload(clcnn_model *m, int slot, const clcnn_dataset *ds) {
    if (slot < 0 || slot >= CLCNN_SLOTS) return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "bad slot %d", slot);
    if (ds->c != m->input.c || ds->h != m->input.h || ds->w != m->input.w)
        return clcnn_fail(CLCNN_STATUS_BAD_SHAPE,
                          "the data has examples of %dx%dx%d (HxWxC) but the model's input_shape is "
                          "[%d, %d, %d]", ds->h, ds->w, ds->c, m->input.h, m->input.w, m->input.c);
    model_slot *s = &m->slots[slot];
    clcnn_model_slot_release(m, s);
    size_t ex = clcnn_shape_size(m->input), n = (size_t)ds->n;
    CLCNN_TRY(upload_images(m, s, ds->images, n, ex));
    CLCNN_TRY(per_example_buffers(m, s, n));
    if (ds->labels) {
        for (size_t i = 0; i < n; i++)
            if (ds->labels[i] >= m->classes)
                return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "label %d of example %zu is not below %d classes",
                                  ds->labels[i], i, m->classes);
        CLCNN_TRY(clcnn_buffer_write(m->ctx, s->labels, 0, n, ds->labels));
    } else {
        CLCNN_TRY(zero_bytes(m, s->labels, n));
    }
    s->n = ds->n;
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_model_stream_open(clcnn_model *m, int slot, int n, int host_buffers,
                                     uint8_t **host) {
    if (slot < 0 || slot >= CLCNN_SLOTS || n < 0 || host_buffers < 0 ||
        host_buffers > CLCNN_STREAM_HOST_MAX)
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT,
                          "stream: slot %d, %d examples, %d host buffers (at most %d)", slot, n,
                          host_buffers, CLCNN_STREAM_HOST_MAX);
    model_slot *s = &m->slots[slot];
    clcnn_model_slot_release(m, s);
    size_t bytes = (size_t)m->max_batch * clcnn_shape_size(m->input);
    cl_int err = CL_SUCCESS;
    if (!m->xfer) {
        m->xfer = clCreateCommandQueue(m->ctx->context, m->ctx->device, 0, &err);
        CLCNN_CL_TRY(err, "clCreateCommandQueue (uploads)");
    }
    s->streaming = 1;
    for (int r = 0; r < CLCNN_STREAM_RING; r++)
        CLCNN_TRY(clcnn_model_buffer(m, "a streamed batch", bytes, &s->ring[r]));
    for (int i = 0; i < host_buffers; i++) {
        /* Host memory the runtime can copy from directly (pinned on a GPU), mapped for good. */
        s->pinned[i] = clCreateBuffer(m->ctx->context, CL_MEM_ALLOC_HOST_PTR | CL_MEM_READ_ONLY,
                                      bytes, NULL, &err);
        CLCNN_CL_TRY(err, "clCreateBuffer (a pinned batch)");
        s->n_pinned = i + 1;
        s->mapped[i] = clEnqueueMapBuffer(m->ctx->queue, s->pinned[i], CL_TRUE, CL_MAP_WRITE, 0,
                                          bytes, 0, NULL, NULL, &err);
        CLCNN_CL_TRY(err, "clEnqueueMapBuffer (a pinned batch)");
        host[i] = s->mapped[i];
    }
    CLCNN_TRY(per_example_buffers(m, s, (size_t)n));
    s->n = n;
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_model_stream_put(clcnn_model *m, int slot, int start, int count,
                                    const uint8_t *images, const uint8_t *labels) {
    model_slot *s = slot >= 0 && slot < CLCNN_SLOTS ? &m->slots[slot] : NULL;
    if (!s || !s->streaming || count <= 0 || count > m->max_batch || start < 0 || start + count > s->n)
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT,
                          "stream: batch [%d, %d) of slot %d (streamed: %d, examples %d)", start,
                          start + count, slot, s && s->streaming, s ? s->n : 0);
    for (int i = 0; i < count; i++)
        if (labels[i] >= m->classes)
            return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "label %d of example %d is not below %d classes",
                              labels[i], start + i, m->classes);
    int r = s->ring_next;
    size_t ex = clcnn_shape_size(m->input);
    cl_event *after = s->ring_free[r] ? &s->ring_free[r] : NULL;
    /* The gather it waits for must reach the device: some drivers hold unflushed commands. */
    if (after) CLCNN_CL_TRY(clFlush(m->ctx->queue), "clFlush");
    /* On its own queue, so it runs while the compute queue works on the batches before. */
    CLCNN_CL_TRY(clEnqueueWriteBuffer(m->xfer, s->ring[r], CL_FALSE, 0, (size_t)count * ex, images,
                                      after ? 1 : 0, after, NULL),
                 "clEnqueueWriteBuffer (a streamed batch)");
    CLCNN_CL_TRY(clEnqueueWriteBuffer(m->xfer, s->labels, CL_FALSE, (size_t)start, (size_t)count,
                                      labels, 0, NULL, NULL),
                 "clEnqueueWriteBuffer (a streamed batch's labels)");
    CLCNN_CL_TRY(clFinish(m->xfer), "clFinish (uploads)");
    if (after) clReleaseEvent(s->ring_free[r]);
    s->ring_free[r] = NULL;
    s->cur = r;
    s->ring_next = (r + 1) % CLCNN_STREAM_RING;
    s->cur_first = (cl_uint)start;
    s->cur_n = (cl_uint)count;
    return CLCNN_STATUS_OK;
}

/* Image buffer c of a slot and the examples [first, first + per) it holds. */
static int slot_buffers(const model_slot *s) { return s->streaming ? 1 : s->n_chunks; }

static cl_mem slot_buffer(const model_slot *s, int c, cl_uint *first, cl_uint *per) {
    if (s->streaming) {
        *first = s->cur_first;
        *per = s->cur_n;
        return s->ring[s->cur];
    }
    *first = (cl_uint)c * (cl_uint)s->chunk_examples;
    *per = (cl_uint)s->chunk_examples;
    return s->images[c];
}

/* After a gather from a streamed batch: its ring buffer is free once the queue reaches here. */
static clcnn_status mark_gathered(clcnn_model *m, model_slot *s) {
    if (!s->streaming) return CLCNN_STATUS_OK;
    if (s->ring_free[s->cur]) clReleaseEvent(s->ring_free[s->cur]);
    s->ring_free[s->cur] = NULL;
    CLCNN_CL_TRY(clEnqueueMarkerWithWaitList(m->ctx->queue, 0, NULL, &s->ring_free[s->cur]),
                 "clEnqueueMarkerWithWaitList");
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_model_set_order(clcnn_model *m, const uint32_t *order, int n) {
    if (n > m->slots[0].n) return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "order longer than the data");
    if (n > m->order_n) {
        release(&m->order);
        CLCNN_TRY(
            clcnn_model_buffer(m, "the epoch's order", (size_t)n * sizeof(uint32_t), &m->order));
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
    /* One local size on CPUs for every batch size (the last partial batch and evaluation's
     * batches would otherwise each cost PoCL a compile). */
    size_t global[2] = {(size_t)ex, (size_t)count}, cpu_local[2] = {64, 1};
    clcnn_profile_set_tag(m->ctx, "input/gather");
    /* A launch per chunk; each writes the batch's examples that lie in its chunk. */
    for (int c = 0; c < slot_buffers(s); c++) {
        cl_uint first, per;
        cl_mem images = slot_buffer(s, c, &first, &per);
        clcnn_arg args[] = {CLCNN_ARG(images), CLCNN_ARG(s->labels), CLCNN_ARG(order),
                            CLCNN_ARG(use_order), CLCNN_ARG(start), CLCNN_ARG(ex),
                            CLCNN_ARG(inv_scale), CLCNN_ARG(m->x0), CLCNN_ARG(m->batch_labels),
                            CLCNN_ARG(count), CLCNN_ARG(first), CLCNN_ARG(per)};
        CLCNN_TRY(clcnn_launch_cpu_local(m->ctx, k, 2, global, cpu_local, args, 12));
    }
    return mark_gathered(m, s);
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
    for (int c = 0; c < slot_buffers(s); c++) {
        cl_uint first, per;
        cl_mem images = slot_buffer(s, c, &first, &per);
        clcnn_arg ga[] = {CLCNN_ARG(images), CLCNN_ARG(s->labels), CLCNN_ARG(m->order),
                          CLCNN_ARG(start), CLCNN_ARG(C), CLCNN_ARG(H), CLCNN_ARG(W),
                          CLCNN_ARG(inv_scale), CLCNN_ARG(m->aug_params), CLCNN_ARG(m->fill_mode),
                          CLCNN_ARG(a->fill_value), CLCNN_ARG(m->interpolation), CLCNN_ARG(m->x0),
                          CLCNN_ARG(m->batch_labels), CLCNN_ARG(first), CLCNN_ARG(per)};
        CLCNN_TRY(clcnn_launch(m->ctx, k, 3, global, NULL, ga, 16));
    }
    return mark_gathered(m, s);
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

/* A failed pass of a layer, named. Out of device memory (a driver may place buffers only when a
 * kernel first uses them), the message gives the sizes of the layer's tensors at this batch and
 * the device's memory: which of them did not fit is not known. */
static clcnn_status layer_failed(const clcnn_model *m, const clcnn_layer *l, int n,
                                 clcnn_status s) {
    if (s != CLCNN_STATUS_OUT_OF_MEMORY)
        return clcnn_fail_prefix(s, "layer %d (%s): ", l->index, l->spec.name);
    const double mib = 1.0 / 1048576.0;
    double out = (double)n * clcnn_shape_size(l->out) * sizeof(float) * mib;
    double work = (double)clcnn_layer_workspace(l, m->ctx, n) * sizeof(float) * mib;
    return clcnn_fail_prefix(s,
                             "layer %d (%s), batch of %d: output and its gradient %.1f MiB each, "
                             "workspace %.1f MiB, all parameters %.1f MiB, on device '%s' (%.0f "
                             "MiB of memory): ",
                             l->index, l->spec.name, n, out, work,
                             (double)m->n_params * sizeof(float) * mib, m->ctx->info.name,
                             m->ctx->info.global_memory * mib);
}

static clcnn_status forward(clcnn_model *m, int n, int training) {
    for (int i = 0; i < m->n_layers; i++) {
        clcnn_layer *l = &m->layers[i];
        if (l->fused) continue; /* done by the layer before (nn/fuse.c) */
        tag(m, l, "forward");
        clcnn_pass p = pass_for(m, i, n, training);
        clcnn_status s = l->type->forward(l, &p);
        if (s == CLCNN_STATUS_OK && l->act)
            s = clcnn_nn_act_forward(m->ctx, l->act, l->act_alpha, p.y, p.y,
                                     (size_t)n * clcnn_shape_size(l->out));
        if (s != CLCNN_STATUS_OK) return layer_failed(m, l, n, s);
    }
    return CLCNN_STATUS_OK;
}

static clcnn_status backward(clcnn_model *m, int n, clcnn_grads_hook hook, void *user) {
    for (int i = m->n_layers - 1; i >= 0; i--) {
        if (i < m->n_layers - 1 && hook) CLCNN_TRY(hook(user, i + 1));
        clcnn_layer *l = &m->layers[i];
        if (l->fused) continue;
        tag(m, l, "backward");
        clcnn_pass p = pass_for(m, i, n, 1);
        clcnn_status s = CLCNN_STATUS_OK;
        if (l->act)
            s = clcnn_nn_act_backward(m->ctx, l->act, l->act_alpha, p.y, p.dy, p.dy,
                                      (size_t)n * clcnn_shape_size(l->out));
        if (s == CLCNN_STATUS_OK) s = l->type->backward(l, &p);
        if (s != CLCNN_STATUS_OK) return layer_failed(m, l, n, s);
    }
    return hook && m->n_layers ? hook(user, 0) : CLCNN_STATUS_OK;
}

/* The loss of n examples; its gradient is that of the mean over `over` examples (n, or under
 * data-parallel training the global batch: each rank's per-example gradients are then the
 * single-process run's, bit for bit). */
static clcnn_status loss(clcnn_model *m, int slot, int start, int n, int over, int want_grad) {
    model_slot *s = &m->slots[slot];
    clcnn_loss_args a = {m->act[m->n_layers - 1], m->batch_labels, m->grad[m->n_layers - 1],
                         s->loss, s->correct, s->pred, m->classes, n, start, want_grad,
                         1.0f / (float)over};
    clcnn_profile_set_tag(m->ctx, "loss/softmax_xent");
    return clcnn_nn_softmax_xent(m->ctx, &a);
}

static clcnn_status optimizer_step(clcnn_model *m) {
    const clcnn_optimizer_spec *o = &m->spec.train.optimizer;
    size_t count = m->n_trainable;
    m->step++;
    clcnn_profile_set_tag(m->ctx, "optimizer/step");
    if (count == 0) return CLCNN_STATUS_OK;
    /* Keras' decoupled weight decay: the update kernel applies it, on the trainable prefix. */
    clcnn_optimizer_pass p = {m->ctx, count, m->params, m->grads, {0}, m->learning_rate, m->step, o};
    memcpy(p.state, m->opt, sizeof p.state);
    return m->optimizer->step(&p);
}

static clcnn_status check_range(const clcnn_model *m, int slot, int start, int count) {
    if (slot < 0 || slot >= CLCNN_SLOTS || !slot_buffers(&m->slots[slot]))
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "no data uploaded to slot %d", slot);
    const model_slot *s = &m->slots[slot];
    if (s->streaming && ((cl_uint)start < s->cur_first || (cl_uint)(start + count) > s->cur_first + s->cur_n))
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT,
                          "batch [%d, %d) of streamed slot %d is not the one put (%u, %u)", start,
                          start + count, slot, s->cur_first, s->cur_first + s->cur_n);
    if (count <= 0 || count > m->max_batch || start < 0 || start + count > m->slots[slot].n)
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "batch [%d, %d) is out of range (data %d, max batch %d)",
                          start, start + count, m->slots[slot].n, m->max_batch);
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_model_backprop(clcnn_model *m, int start, int count, int mean_over,
                                  clcnn_grads_hook hook, void *user) {
    CLCNN_TRY(check_range(m, 0, start, count));
    if (mean_over < count)
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "a mean over %d of a batch of %d",
                          mean_over, count);
    if (start + count > m->order_n)
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "no epoch order set for examples up to %d", start + count);
    if (m->augment)
        CLCNN_TRY(gather_augmented(m, start, count));
    else
        CLCNN_TRY(gather(m, 0, 1, start, count));
    CLCNN_TRY(forward(m, count, 1));
    CLCNN_TRY(loss(m, 0, start, count, mean_over, 1));
    return backward(m, count, hook, user);
}

clcnn_status clcnn_model_apply_gradients(clcnn_model *m) {
    clcnn_status s = optimizer_step(m);
    if (s != CLCNN_STATUS_OK)
        return clcnn_fail_prefix(s,
                                 "the optimizer update (%zu parameters, %.1f MiB, and %d state "
                                 "tensors of that size): ",
                                 m->n_trainable, m->n_trainable * sizeof(float) / 1048576.0,
                                 m->optimizer->state);
    clFlush(m->ctx->queue);
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_model_train_step(clcnn_model *m, int start, int count) {
    CLCNN_TRY(clcnn_model_backprop(m, start, count, count, NULL, NULL));
    return clcnn_model_apply_gradients(m);
}

size_t clcnn_model_trainable_count(const clcnn_model *m) {
    return m->n_trainable;
}

clcnn_status clcnn_model_read_grads(clcnn_model *m, float *host) {
    return clcnn_buffer_read(m->ctx, m->grads, 0, m->n_trainable * sizeof(float), host);
}

int clcnn_model_layer_count(const clcnn_model *m) {
    return m->n_layers;
}

size_t clcnn_model_grads_first(const clcnn_model *m, int layer) {
    size_t first = m->n_trainable;
    for (int i = m->n_layers - 1; i >= layer && i >= 0; i--) {
        const clcnn_layer *l = &m->layers[i];
        for (int p = 0; p < l->n_params; p++)
            if (!l->param_state[p] && l->param_offset[p] < first) first = l->param_offset[p];
    }
    return first;
}

clcnn_status clcnn_model_read_grads_async(clcnn_model *m, size_t first, size_t end, float *host,
                                          cl_event *done) {
    *done = NULL;
    if (first >= end || end > m->n_trainable)
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "gradients [%zu, %zu) of %zu", first, end,
                          m->n_trainable);
    CLCNN_CL_TRY(clEnqueueReadBuffer(m->ctx->queue, m->grads, CL_FALSE, first * sizeof(float),
                                     (end - first) * sizeof(float), host + first, 0, NULL, done),
                 "clEnqueueReadBuffer (gradients)");
    CLCNN_CL_TRY(clFlush(m->ctx->queue), "clFlush");
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_model_write_grads(clcnn_model *m, const float *host) {
    return clcnn_buffer_write(m->ctx, m->grads, 0, m->n_trainable * sizeof(float), host);
}

clcnn_status clcnn_model_clear_metrics(clcnn_model *m, int slot) {
    if (slot < 0 || slot >= CLCNN_SLOTS) return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "bad slot %d", slot);
    model_slot *s = &m->slots[slot];
    if (!s->n) return CLCNN_STATUS_OK;
    CLCNN_TRY(clcnn_buffer_fill_zero(m->ctx, s->loss, 0, (size_t)s->n * sizeof(float)));
    return zero_bytes(m, s->correct, (size_t)s->n);
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
    CLCNN_TRY(loss(m, slot, start, count, count, 0));
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
