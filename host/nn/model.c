/* nn/model.c: building a sequential model from a spec: shape inference, the parameter arena,
 * buffers allocated once, Keras' initializers, parameter and optimizer-state transfer, and the
 * summary table. The passes themselves are in nn/step.c. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clcnn/train.h"
#include "model_internal.h"

/* A softmax layer, or an activation layer of softmax: the loss applies it. */
static int is_softmax_layer(const clcnn_layer_spec *s) {
    return clcnn_layer_function(s->type, s->activation) == CLCNN_ACT_SOFTMAX;
}

/* Activation on conv2d/dense: relu is fused; the others are applied by nn/step.c after the
 * layer, with the slopes of Keras' functions (leaky_relu 0.2, elu 1.0; the layers LeakyReLU and
 * ELU have their own alpha); softmax belongs to the loss and so only to the last layer. The
 * activation layer type reads `activation` itself. */
static clcnn_status set_activation(clcnn_layer *l, int last) {
    const char *a = l->spec.activation;
    if (!a[0] || strcmp(l->spec.type, "activation") == 0) return CLCNN_STATUS_OK;
    int act = clcnn_name_find(&clcnn_activation_names, a);
    switch (act) {
    case CLCNN_ACT_LINEAR:
        return CLCNN_STATUS_OK;
    case CLCNN_ACT_RELU:
        l->relu = 1;
        return CLCNN_STATUS_OK;
    case CLCNN_ACT_SOFTMAX:
        if (last) return CLCNN_STATUS_OK;
        return clcnn_layer_fail(l, CLCNN_STATUS_UNSUPPORTED,
                                "activation softmax is supported on the last layer only");
    case -1:
        return clcnn_layer_fail(l, CLCNN_STATUS_UNSUPPORTED, "unknown activation '%s'", a);
    default:
        l->act = act;
        l->act_alpha = act == CLCNN_ACT_LEAKY_RELU ? 0.2f : 1.0f;
        return CLCNN_STATUS_OK;
    }
}

static clcnn_status infer_layers(clcnn_model *m, clcnn_route route) {
    const clcnn_model_spec *ms = &m->spec.model;
    int n = ms->n_layers;
    if (n > 0 && is_softmax_layer(&ms->layers[n - 1])) n--;
    if (n == 0) return clcnn_fail(CLCNN_STATUS_BAD_SHAPE, "the model has no layers");
    m->input = (clcnn_shape){ms->input_shape[2], ms->input_shape[0], ms->input_shape[1]};
    if (m->input.c <= 0 || m->input.h <= 0 || m->input.w <= 0)
        return clcnn_fail(CLCNN_STATUS_BAD_SHAPE, "model.input_shape must be positive, got [%d, %d, %d]",
                          ms->input_shape[0], ms->input_shape[1], ms->input_shape[2]);
    clcnn_shape shape = m->input;
    for (int i = 0; i < n; i++) {
        clcnn_layer *l = &m->layers[i];
        memset(l, 0, sizeof *l);
        l->spec = ms->layers[i];
        l->index = i;
        l->in = shape;
        l->route = route;
        if (!l->spec.name[0]) {
            char type[sizeof l->spec.type];
            memcpy(type, l->spec.type, sizeof type);
            snprintf(l->spec.name, sizeof l->spec.name, "%.31s_%d", type, i);
        }
        l->type = clcnn_layer_type_find(l->spec.type);
        if (!l->type)
            return clcnn_layer_fail(l, CLCNN_STATUS_NOT_FOUND, "unknown layer type; known: %s",
                                    clcnn_layer_type_names());
        CLCNN_TRY(set_activation(l, i == n - 1));
        CLCNN_TRY(l->type->infer(l));
        shape = l->out;
    }
    m->n_layers = n;
    if (shape.h != 1 || shape.w != 1)
        return clcnn_fail(CLCNN_STATUS_BAD_SHAPE,
                          "the last layer must output a vector of class scores, not %dx%dx%d; end "
                          "with flatten and dense", shape.h, shape.w, shape.c);
    m->classes = shape.c;
    if (m->classes != m->spec.data.n_classes)
        return clcnn_fail(CLCNN_STATUS_BAD_SHAPE,
                          "the last layer has %d units but the data has %d classes", m->classes,
                          m->spec.data.n_classes);
    return CLCNN_STATUS_OK;
}

/* Trainable tensors first, in layer order, then the state tensors: the optimizer's one launch
 * covers the trainable prefix only. */
static void assign_arena(clcnn_model *m) {
    size_t offset = 0;
    m->n_tensors = 0;
    for (int state = 0; state < 2; state++) {
        for (int i = 0; i < m->n_layers; i++) {
            clcnn_layer *l = &m->layers[i];
            for (int p = 0; p < l->n_params; p++) {
                if (l->param_state[p] != state) continue;
                clcnn_tensor_info *t = &m->tensors[m->n_tensors++];
                snprintf(t->name, sizeof t->name, "layers.%d.%s", l->index, l->param_name[p]);
                t->ndim = l->param_ndim[p];
                t->count = 1;
                for (int d = 0; d < t->ndim; d++) {
                    t->shape[d] = l->param_shape[p][d];
                    t->count *= (size_t)t->shape[d];
                }
                t->offset = l->param_offset[p] = offset;
                offset += t->count;
            }
        }
        if (!state) m->n_trainable = offset;
    }
    m->n_params = offset;
}

clcnn_status clcnn_model_buffer(clcnn_model *m, const char *what, size_t bytes, cl_mem *out) {
    clcnn_status s = clcnn_buffer_create(m->ctx, bytes, out);
    return s == CLCNN_STATUS_OK ? s : clcnn_fail_prefix(s, "%s: ", what);
}

static clcnn_status alloc_floats(clcnn_model *m, const char *what, size_t count, cl_mem *out) {
    return clcnn_model_buffer(m, what, count * sizeof(float), out);
}

static clcnn_status alloc_layer(clcnn_model *m, const clcnn_layer *l, const char *what,
                                size_t count, cl_mem *out) {
    char name[160];
    snprintf(name, sizeof name, "layer %s's %s", l->spec.name, what);
    return alloc_floats(m, name, count, out);
}

static clcnn_status alloc_buffers(clcnn_model *m) {
    size_t b = (size_t)m->max_batch;
    CLCNN_TRY(alloc_floats(m, "the input batch", b * clcnn_shape_size(m->input), &m->x0));
    for (int i = 0; i < m->n_layers; i++) {
        clcnn_layer *l = &m->layers[i];
        CLCNN_TRY(clcnn_conv_plan(l, m->ctx, m->max_batch));
        if (l->workspace)
            CLCNN_TRY(alloc_layer(m, l, "workspace (im2col)", clcnn_layer_workspace(l, m->ctx, m->max_batch),
                                  &m->workspace[i]));
        if (l->type->aliases_input || l->fused) {
            m->act[i] = i ? m->act[i - 1] : m->x0;
            m->grad[i] = i ? m->grad[i - 1] : NULL;
            continue;
        }
        m->owns[i] = 1;
        CLCNN_TRY(alloc_layer(m, l, "activations", b * clcnn_shape_size(l->out), &m->act[i]));
        CLCNN_TRY(alloc_layer(m, l, "gradients", b * clcnn_shape_size(l->out), &m->grad[i]));
    }
    CLCNN_TRY(alloc_floats(m, "the parameters", m->n_params, &m->params));
    CLCNN_TRY(alloc_floats(m, "the parameter gradients", m->n_params, &m->grads));
    for (int i = 0; i < m->optimizer->state; i++) {
        CLCNN_TRY(alloc_floats(m, "the optimizer state", m->n_params, &m->opt[i]));
        CLCNN_TRY(clcnn_buffer_fill_zero(m->ctx, m->opt[i], 0, m->n_params * sizeof(float)));
    }
    CLCNN_TRY(clcnn_buffer_fill_zero(m->ctx, m->grads, 0, m->n_params * sizeof(float)));
    CLCNN_TRY(clcnn_model_buffer(m, "the batch's labels", b, &m->batch_labels));
    if (m->augment) CLCNN_TRY(alloc_floats(m, "the augmentation parameters", b * 12, &m->aug_params));
    return alloc_floats(m, "the class probabilities", b * (size_t)m->classes, &m->probs);
}

static int wants_augment(const clcnn_augment_spec *a) {
    return a->horizontal_flip || a->vertical_flip || a->width_shift > 0 || a->height_shift > 0 ||
           a->zoom > 0 || a->rotation > 0 || a->erasing > 0;
}

/* The kernel's codes for the augmentation's names. */
static clcnn_status parse_augment(clcnn_model *m) {
    const clcnn_augment_spec *a = &m->spec.data.augment;
    clcnn_fill_mode fill;
    clcnn_interpolation interpolation;
    CLCNN_TRY(clcnn_fill_mode_parse(a->fill_mode, &fill));
    CLCNN_TRY(clcnn_interpolation_parse(a->interpolation, &interpolation));
    m->fill_mode = (int)fill;
    m->interpolation = (int)interpolation;
    return CLCNN_STATUS_OK;
}

/* Keras' defaults: Glorot uniform kernels (limit sqrt(6 / (fan_in + fan_out))), zero biases;
 * tensors without fans take their layer's constant (batch norm's gamma and variance: 1). */
static clcnn_status init_weights(clcnn_model *m) {
    float *host = calloc(m->n_params ? m->n_params : 1, sizeof *host);
    if (!host) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
    clcnn_rng rng;
    clcnn_rng_seed(&rng, m->spec.train.seed);
    for (int i = 0; i < m->n_layers; i++) {
        const clcnn_layer *l = &m->layers[i];
        for (int p = 0; p < l->n_params; p++) {
            size_t fan = l->param_fan[p][0] + l->param_fan[p][1];
            double limit = fan ? sqrt(6.0 / (double)fan) : 0.0;
            const clcnn_tensor_info *t = NULL;
            for (int k = 0; k < m->n_tensors; k++)
                if (m->tensors[k].offset == l->param_offset[p]) t = &m->tensors[k];
            for (size_t k = 0; t && k < t->count; k++)
                host[t->offset + k] = fan ? (float)((2.0 * clcnn_rng_uniform(&rng) - 1.0) * limit)
                                          : l->param_fill[p];
        }
    }
    clcnn_status s = clcnn_model_write_params(m, host);
    free(host);
    return s;
}

clcnn_status clcnn_model_create(clcnn_context *ctx, const clcnn_spec *spec, int max_batch,
                                clcnn_model **out) {
    *out = NULL;
    if (max_batch <= 0 || max_batch > 65536)
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "batch size %d out of range (1..65536)", max_batch);
    clcnn_route route = CLCNN_ROUTE_AUTO;
    if (spec->train.conv_route[0]) CLCNN_TRY(clcnn_route_parse(spec->train.conv_route, &route));
    clcnn_optimizer optimizer;
    CLCNN_TRY(clcnn_optimizer_parse(spec->train.optimizer.name, &optimizer));
    clcnn_model *m = calloc(1, sizeof *m);
    if (!m) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
    m->ctx = ctx;
    m->spec = *spec;
    m->max_batch = max_batch;
    m->optimizer = clcnn_optimizer_type_get(optimizer);
    m->learning_rate = spec->train.optimizer.learning_rate;
    m->augment = wants_augment(&spec->data.augment);
    clcnn_status s = m->augment ? parse_augment(m) : CLCNN_STATUS_OK;
    if (s == CLCNN_STATUS_OK) s = infer_layers(m, route);
    if (s == CLCNN_STATUS_OK) s = clcnn_model_fuse(m);
    if (s == CLCNN_STATUS_OK) clcnn_model_prefetch(m);
    if (s == CLCNN_STATUS_OK) {
        assign_arena(m);
        s = alloc_buffers(m);
    }
    if (s == CLCNN_STATUS_OK) s = init_weights(m);
    if (s != CLCNN_STATUS_OK) {
        clcnn_model_destroy(m);
        return s;
    }
    *out = m;
    return CLCNN_STATUS_OK;
}

static void release(cl_mem *b) {
    if (*b) clReleaseMemObject(*b);
    *b = NULL;
}

void clcnn_model_destroy(clcnn_model *m) {
    if (!m) return;
    if (m->ctx) clcnn_context_finish(m->ctx);
    for (int i = 0; i < m->n_layers; i++)
        if (m->owns[i]) {
            release(&m->act[i]);
            release(&m->grad[i]);
        }
    for (int i = 0; i < m->n_layers; i++) release(&m->workspace[i]);
    for (int s = 0; s < CLCNN_SLOTS; s++) clcnn_model_slot_release(m, &m->slots[s]);
    if (m->xfer) clReleaseCommandQueue(m->xfer);
    cl_mem *bufs[] = {&m->x0,           &m->params, &m->grads,     &m->order,
                      &m->batch_labels, &m->probs,  &m->aug_params};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) release(bufs[i]);
    for (int i = 0; i < CLCNN_OPTIMIZER_SLOTS; i++) release(&m->opt[i]);
    free(m);
}

void clcnn_model_io(const clcnn_model *m, int *c, int *h, int *w, int *classes) {
    *c = m->input.c;
    *h = m->input.h;
    *w = m->input.w;
    *classes = m->classes;
}

size_t clcnn_model_param_count(const clcnn_model *m) {
    size_t n = 0;
    for (int i = 0; i < m->n_tensors; i++) n += m->tensors[i].count;
    return n;
}

int clcnn_model_tensor_count(const clcnn_model *m) { return m->n_tensors; }

const clcnn_tensor_info *clcnn_model_tensor(const clcnn_model *m, int i) {
    return i >= 0 && i < m->n_tensors ? &m->tensors[i] : NULL;
}

clcnn_status clcnn_model_read_params(clcnn_model *m, float *host) {
    return clcnn_buffer_read(m->ctx, m->params, 0, m->n_params * sizeof(float), host);
}

clcnn_status clcnn_model_write_params(clcnn_model *m, const float *host) {
    return clcnn_buffer_write(m->ctx, m->params, 0, m->n_params * sizeof(float), host);
}

/* Every slot, in order, whether the optimizer keeps it or not (then zeros): one layout for all
 * optimizers. */
size_t clcnn_model_opt_state_count(const clcnn_model *m) {
    return CLCNN_OPTIMIZER_SLOTS * m->n_params;
}

clcnn_status clcnn_model_read_opt_state(clcnn_model *m, float *host, int64_t *step) {
    *step = m->step;
    for (int i = 0; i < CLCNN_OPTIMIZER_SLOTS; i++, host += m->n_params) {
        if (m->opt[i])
            CLCNN_TRY(clcnn_buffer_read(m->ctx, m->opt[i], 0, m->n_params * sizeof(float), host));
        else
            memset(host, 0, m->n_params * sizeof(float));
    }
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_model_write_opt_state(clcnn_model *m, const float *host, int64_t step) {
    m->step = step;
    for (int i = 0; i < CLCNN_OPTIMIZER_SLOTS && m->opt[i]; i++, host += m->n_params)
        CLCNN_TRY(clcnn_buffer_write(m->ctx, m->opt[i], 0, m->n_params * sizeof(float), host));
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_model_finish(clcnn_model *m) { return clcnn_context_finish(m->ctx); }

clcnn_status clcnn_model_set_learning_rate(clcnn_model *m, float learning_rate) {
    if (!(learning_rate >= 0.0f) || !isfinite(learning_rate))
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "learning rate %g is not a finite number >= 0",
                          (double)learning_rate);
    m->learning_rate = learning_rate;
    return CLCNN_STATUS_OK;
}

/* ---- summary ------------------------------------------------------------------------------ */

static void append(char **buf, size_t *len, size_t *cap, const char *fmt, ...) CLCNN_PRINTF(4, 5);

static void append(char **buf, size_t *len, size_t *cap, const char *fmt, ...) {
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int k = vsnprintf(*buf ? *buf + *len : NULL, *buf ? *cap - *len : 0, fmt, ap);
        va_end(ap);
        if (k < 0) return;
        if (*buf && *len + (size_t)k < *cap) {
            *len += (size_t)k;
            return;
        }
        size_t ncap = (*cap + (size_t)k + 1) * 2;
        char *nb = realloc(*buf, ncap);
        if (!nb) return;
        *buf = nb;
        *cap = ncap;
    }
}

static size_t layer_params(const clcnn_layer *l, int state_only) {
    size_t total = 0;
    for (int p = 0; p < l->n_params; p++) {
        if (state_only && !l->param_state[p]) continue;
        size_t c = 1;
        for (int d = 0; d < l->param_ndim[p]; d++) c *= (size_t)l->param_shape[p][d];
        total += c;
    }
    return total;
}

/* Keras' layout: name (type), output shape (None, H, W, C) in Keras' channels-last order, params. */
static clcnn_status summary_text(const clcnn_model *m, char **text) {
    char *buf = NULL;
    size_t len = 0, cap = 0, total = 0, state = 0;
    const char *rule = "_________________________________________________________________";
    append(&buf, &len, &cap, "Model: \"sequential\"\n%s\n", rule);
    append(&buf, &len, &cap, " %-28s %-25s %-10s\n", "Layer (type)", "Output Shape", "Param #");
    append(&buf, &len, &cap, "=================================================================\n");
    for (int i = 0; i < m->n_layers; i++) {
        const clcnn_layer *l = &m->layers[i];
        char name[128], shape[64];
        snprintf(name, sizeof name, "%s (%s)", l->spec.name, l->spec.type);
        if (l->out.h == 1 && l->out.w == 1)
            snprintf(shape, sizeof shape, "(None, %d)", l->out.c);
        else
            snprintf(shape, sizeof shape, "(None, %d, %d, %d)", l->out.h, l->out.w, l->out.c);
        size_t np = layer_params(l, 0);
        total += np;
        state += layer_params(l, 1);
        append(&buf, &len, &cap, " %-28s %-25s %-10zu\n", name, shape, np);
        append(&buf, &len, &cap, "%s\n", i + 1 < m->n_layers ? "" : "=================================================================");
    }
    append(&buf, &len, &cap, "Total params: %zu (%.2f MB)\nTrainable params: %zu\nNon-trainable params: %zu\n%s\n",
           total, total * 4.0 / 1048576.0, total - state, state, rule);
    if (!buf) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
    *text = buf;
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_model_summary(const clcnn_model *m, char **text) { return summary_text(m, text); }

clcnn_status clcnn_model_infer_only(const clcnn_spec *spec, clcnn_model **out) {
    *out = NULL;
    clcnn_model *m = calloc(1, sizeof *m);
    if (!m) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
    m->spec = *spec;
    clcnn_status s = infer_layers(m, CLCNN_ROUTE_AUTO);
    if (s != CLCNN_STATUS_OK) {
        free(m);
        return s;
    }
    assign_arena(m);
    *out = m;
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_spec_summary(const clcnn_spec *spec, char **text) {
    clcnn_model *m;
    CLCNN_TRY(clcnn_model_infer_only(spec, &m));
    clcnn_status s = summary_text(m, text);
    free(m);
    return s;
}

const clcnn_spec *clcnn_model_get_spec(const clcnn_model *m) { return &m->spec; }
