/* nn/layer.c: the layer types of core/layers.h's list, and helpers every layer uses. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cl/kparams.h"
#include "core/layers.h"
#include "nn.h"

#define ENTRY(name, keras_name, keys) &clcnn_layer_##name,
static const clcnn_layer_type *const layer_types[] = {CLCNN_LAYER_TYPES(ENTRY)};
#define N_TYPES (sizeof layer_types / sizeof layer_types[0])

const clcnn_layer_type *clcnn_layer_type_find(const char *name) {
    for (size_t i = 0; i < N_TYPES; i++)
        if (strcmp(layer_types[i]->name, name) == 0) return layer_types[i];
    return NULL;
}

const char *clcnn_layer_type_names(void) { return CLCNN_LAYER_TYPE_NAMES; }

clcnn_status clcnn_layer_fail(const clcnn_layer *l, clcnn_status s, const char *fmt, ...) {
    char msg[1024], where[64] = "";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (l->spec.line) snprintf(where, sizeof where, ", line %d", l->spec.line);
    return clcnn_fail(s, "layer %d (%s '%s'%s): %s", l->index, l->spec.type, l->spec.name, where,
                      msg);
}

void clcnn_layer_add_param(clcnn_layer *l, const char *name, int ndim, const int64_t *shape,
                           size_t fan_in, size_t fan_out) {
    int i = l->n_params++;
    snprintf(l->param_name[i], sizeof l->param_name[i], "%s", name);
    l->param_ndim[i] = ndim;
    for (int d = 0; d < ndim; d++) l->param_shape[i][d] = shape[d];
    l->param_fan[i][0] = fan_in;
    l->param_fan[i][1] = fan_out;
}

void clcnn_layer_add_state(clcnn_layer *l, const char *name, int ndim, const int64_t *shape,
                           float fill) {
    clcnn_layer_add_param(l, name, ndim, shape, 0, 0);
    l->param_fill[l->n_params - 1] = fill;
    l->param_state[l->n_params - 1] = 1;
}

int clcnn_window(int in, int k, int s, clcnn_padding pad, int *out, int *pad_before) {
    if (pad == CLCNN_PADDING_SAME) {
        *out = (in + s - 1) / s;
        int total = (*out - 1) * s + k - in;
        if (total < 0) total = 0;
        *pad_before = total / 2;
    } else {
        *pad_before = 0;
        *out = in >= k ? (in - k) / s + 1 : 0;
    }
    return *out > 0;
}

clcnn_status clcnn_nn_reduce_kernel(clcnn_context *ctx, const char *file, const char *name, int wg,
                                    cl_kernel *out) {
    if (!wg) return clcnn_kernel_get(ctx, file, name, out);
    char wg_name[64], options[32];
    snprintf(wg_name, sizeof wg_name, "%s_wg", name);
    snprintf(options, sizeof options, "-DRED_WG=%d", wg);
    return clcnn_kernel_get_variant(ctx, file, wg_name, options, out);
}

/* A per-channel reduction over (n, channels, spatial): one work-group of wg per channel, or (wg
 * 0, the CPU shape) one work-item per channel with local size 1, so the channels spread over the
 * cores and each walks its rows as vectors. */
clcnn_status clcnn_nn_reduce_launch(clcnn_context *ctx, cl_kernel k, int wg, int channels,
                                    const clcnn_arg *args, int n_args) {
    size_t global[1] = {(size_t)channels * (wg ? wg : 1)}, local[1] = {wg ? (size_t)wg : 1};
    return clcnn_launch(ctx, k, 1, global, local, args, n_args);
}

clcnn_status clcnn_nn_output_grad(clcnn_context *ctx, cl_mem relu_y, cl_mem dy, int n,
                                  int channels, int spatial, cl_mem grads, size_t offset) {
    cl_kernel k;
    if (!grads) {
        if (!relu_y) return CLCNN_STATUS_OK;
        CLCNN_TRY(clcnn_kernel_get(ctx, "elementwise.cl", "relu_mask", &k));
        cl_ulong count = (cl_ulong)n * channels * spatial;
        size_t items = (size_t)(count + 7) / 8;
        clcnn_arg args[] = {CLCNN_ARG(relu_y), CLCNN_ARG(dy), CLCNN_ARG(count)};
        clcnn_profile_bytes(ctx, 12.0 * (double)count);
        return clcnn_launch(ctx, k, 1, &items, NULL, args, 3);
    }
    int wg = clcnn_reduce_wg(ctx);
    CLCNN_TRY(clcnn_nn_reduce_kernel(ctx, "elementwise.cl", relu_y ? "relu_bias_grad" : "bias_grad",
                                     wg, &k));
    cl_ulong off = offset;
    clcnn_arg args[] = {CLCNN_ARG(relu_y), CLCNN_ARG(dy),    CLCNN_ARG(n),   CLCNN_ARG(channels),
                        CLCNN_ARG(spatial), CLCNN_ARG(grads), CLCNN_ARG(off)};
    clcnn_profile_bytes(ctx, (relu_y ? 12.0 : 4.0) * n * channels * spatial);
    return clcnn_nn_reduce_launch(ctx, k, wg, channels, relu_y ? args : args + 1, relu_y ? 7 : 6);
}
