/* export/onnx.c: a model file as an ONNX graph in inference form (clcnn/export.h): the layers
 * nn/ infers from the file's config, each as the ONNX ops that compute what its kernels compute,
 * with the file's tensors as initializers of the same names. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clcnn/onnx.h"
#include "clcnn/train.h"
#include "core/core.h"
#include "core/layers.h"
#include "nn/model_internal.h"
#include "onnx_build.h"
#include "train/safetensors.h"

clcnn_onnx_options clcnn_onnx_options_default(void) {
    return (clcnn_onnx_options){.opset = CLCNN_ONNX_OPSET_DEFAULT};
}

/* The IR version that goes with an opset (onnx/helper.py's VERSION_TABLE). */
static int64_t ir_version_for(int opset) {
    if (opset == 11) return 6;
    if (opset <= 14) return 7;
    if (opset <= 18) return 8;
    if (opset <= 20) return 9;
    return 10;
}

/* Where the graph is: the current tensor's name and rank (4: N,C,H,W; 2: N,features). */
typedef struct emit {
    onnx_build *b;
    const clcnn_safetensors *st;
    const char *model_path;
    char cur[64];
    int rank;
} emit;

/* The next tensor name, "layers.<i>.<what>", becomes current after the node is added. */
static void step(emit *e, const clcnn_layer *l, const char *op, const char *what,
                 const char *const *extra, int n_extra, Onnx__NodeProto **node) {
    char out[64];
    snprintf(out, sizeof out, "layers.%d.%s", l->index, what);
    const char *in[5] = {e->cur};
    for (int i = 0; i < n_extra && i < 4; i++)
        in[1 + i] = extra[i];
    Onnx__NodeProto *n = onnx_node(e->b, op, in, 1 + n_extra, out);
    if (node) *node = n;
    snprintf(e->cur, sizeof e->cur, "%s", out);
}

/* The layer's tensor param (weight, bias, running_mean...) as an initializer of the same name. */
static clcnn_status param(emit *e, const clcnn_layer *l, int p, char *name, size_t name_size) {
    snprintf(name, name_size, "layers.%d.%s", l->index, l->param_name[p]);
    const clcnn_st_tensor *t = clcnn_safetensors_find(e->st, name);
    int same = t && t->ndim == l->param_ndim[p];
    for (int d = 0; same && d < t->ndim; d++)
        same = t->shape[d] == l->param_shape[p][d];
    if (!t)
        return clcnn_fail(CLCNN_STATUS_NOT_FOUND, "'%s' has no tensor '%s' that the model needs",
                          e->model_path, name);
    if (!same)
        return clcnn_fail(CLCNN_STATUS_BAD_SHAPE,
                          "'%s': tensor '%s' has a different shape than its config gives",
                          e->model_path, name);
    onnx_init_floats(e->b, name, t->shape, t->ndim, t->data);
    return CLCNN_STATUS_OK;
}

/* N,C,H,W to N,(C*H*W): clcnn's flatten order. */
static clcnn_status flatten_to_2d(emit *e, const clcnn_layer *l) {
    if (e->rank == 2) return CLCNN_STATUS_OK;
    Onnx__NodeProto *n;
    step(e, l, "Flatten", "flatten", NULL, 0, &n);
    onnx_attr_int(e->b, n, "axis", 1);
    e->rank = 2;
    return CLCNN_STATUS_OK;
}

/* A layer that needs N,C,H,W after a flat one (its input is then C x 1 x 1). */
static void reshape_to_4d(emit *e, const clcnn_layer *l) {
    if (e->rank == 4) return;
    char shape_name[64];
    snprintf(shape_name, sizeof shape_name, "layers.%d.shape", l->index);
    const int64_t dims[1] = {4}, shape[4] = {0, l->in.c, l->in.h, l->in.w}; /* 0: keep the batch */
    onnx_init_int64s(e->b, shape_name, dims, 1, shape);
    const char *extra[1] = {shape_name};
    step(e, l, "Reshape", "reshape", extra, 1, NULL);
    e->rank = 4;
}

/* An activation by clcnn's code (CLCNN_ACT_*); linear adds nothing. */
static clcnn_status activation(emit *e, const clcnn_layer *l, int code, float alpha) {
    static const char *const ops[CLCNN_ACT_COUNT] = {
        [CLCNN_ACT_RELU] = "Relu",
        [CLCNN_ACT_SIGMOID] = "Sigmoid",
        [CLCNN_ACT_TANH] = "Tanh",
        [CLCNN_ACT_LEAKY_RELU] = "LeakyRelu",
        [CLCNN_ACT_ELU] = "Elu",
    };
    if (code == CLCNN_ACT_LINEAR) return CLCNN_STATUS_OK;
    if (code < 0 || code >= CLCNN_ACT_COUNT || !ops[code])
        return clcnn_layer_fail(l, CLCNN_STATUS_UNSUPPORTED, "activation code %d has no ONNX form",
                                code);
    Onnx__NodeProto *n;
    step(e, l, ops[code], "act", NULL, 0, &n);
    if (code == CLCNN_ACT_LEAKY_RELU || code == CLCNN_ACT_ELU)
        onnx_attr_float(e->b, n, "alpha", alpha);
    return CLCNN_STATUS_OK;
}

/* Explicit pads [top, left, bottom, right] from clcnn_window's rule (extra at the bottom/right
 * for "same"), and the strides. */
static void window_attrs(emit *e, Onnx__NodeProto *n, const clcnn_layer *l, int kh, int kw, int sh,
                         int sw) {
    int oh, ow, pt, pl;
    clcnn_window(l->in.h, kh, sh, l->spec.padding, &oh, &pt);
    clcnn_window(l->in.w, kw, sw, l->spec.padding, &ow, &pl);
    int pb = (oh - 1) * sh + kh - l->in.h - pt, pr = (ow - 1) * sw + kw - l->in.w - pl;
    const int64_t kernel[2] = {kh, kw}, strides[2] = {sh, sw};
    const int64_t pads[4] = {pt, pl, pb > 0 ? pb : 0, pr > 0 ? pr : 0};
    onnx_attr_ints(e->b, n, "kernel_shape", kernel, 2);
    onnx_attr_ints(e->b, n, "strides", strides, 2);
    onnx_attr_ints(e->b, n, "pads", pads, 4);
}

/* conv2d and dense: the product, the bias, then the fused ReLU or the other activation. */
static clcnn_status product(emit *e, const clcnn_layer *l, int conv) {
    char w[64], bias[64] = "";
    CLCNN_TRY(param(e, l, 0, w, sizeof w));
    if (l->n_params > 1) CLCNN_TRY(param(e, l, 1, bias, sizeof bias));
    const char *extra[2] = {w, bias};
    Onnx__NodeProto *n;
    if (conv) {
        reshape_to_4d(e, l);
        step(e, l, "Conv", "conv", extra, l->n_params, &n);
        int sh = l->spec.strides[0] ? l->spec.strides[0] : 1,
            sw = l->spec.strides[1] ? l->spec.strides[1] : 1;
        window_attrs(e, n, l, l->spec.kernel_size[0], l->spec.kernel_size[1], sh, sw);
    } else {
        CLCNN_TRY(flatten_to_2d(e, l));
        step(e, l, "Gemm", "gemm", extra, l->n_params, &n); /* C is optional from opset 11 */
        onnx_attr_int(e->b, n, "transB", 1);
    }
    return activation(e, l, l->relu ? CLCNN_ACT_RELU : l->act, l->act_alpha);
}

static clcnn_status pool(emit *e, const clcnn_layer *l, const char *op) {
    reshape_to_4d(e, l);
    int kh = l->spec.pool_size[0], kw = l->spec.pool_size[1];
    int sh = l->spec.strides[0] ? l->spec.strides[0] : kh,
        sw = l->spec.strides[1] ? l->spec.strides[1] : kw;
    Onnx__NodeProto *n;
    step(e, l, op, "pool", NULL, 0, &n);
    window_attrs(e, n, l, kh, kw, sh, sw);
    /* "same" windows average only the positions inside the input, as TensorFlow's */
    if (strcmp(op, "AveragePool") == 0) onnx_attr_int(e->b, n, "count_include_pad", 0);
    return CLCNN_STATUS_OK;
}

/* After a flat layer the input is already C x 1 x 1: nothing to average. */
static clcnn_status global_pool(emit *e, const clcnn_layer *l) {
    if (e->rank == 4) step(e, l, "GlobalAveragePool", "gap", NULL, 0, NULL);
    return CLCNN_STATUS_OK;
}

static clcnn_status batch_norm(emit *e, const clcnn_layer *l) {
    char names[4][64];
    for (int p = 0; p < 4; p++)
        CLCNN_TRY(param(e, l, p, names[p], sizeof names[p]));
    const char *extra[4] = {names[0], names[1], names[2], names[3]};
    Onnx__NodeProto *n;
    step(e, l, "BatchNormalization", "bn", extra, 4, &n);
    onnx_attr_float(e->b, n, "epsilon", l->spec.epsilon);
    return CLCNN_STATUS_OK;
}

/* Each layer type's export, named export_<type> after its row in core/layers.h: the table
 * below has one entry per row, so a new layer type does not build until it has one. */
static clcnn_status export_conv2d(emit *e, const clcnn_layer *l) { return product(e, l, 1); }
static clcnn_status export_dense(emit *e, const clcnn_layer *l) { return product(e, l, 0); }
static clcnn_status export_max_pooling2d(emit *e, const clcnn_layer *l) {
    return pool(e, l, "MaxPool");
}
static clcnn_status export_average_pooling2d(emit *e, const clcnn_layer *l) {
    return pool(e, l, "AveragePool");
}
static clcnn_status export_global_average_pooling2d(emit *e, const clcnn_layer *l) {
    return global_pool(e, l);
}
static clcnn_status export_flatten(emit *e, const clcnn_layer *l) { return flatten_to_2d(e, l); }
static clcnn_status export_batch_normalization(emit *e, const clcnn_layer *l) {
    return batch_norm(e, l);
}
static clcnn_status export_dropout(emit *e, const clcnn_layer *l) {
    (void)e, (void)l;
    return CLCNN_STATUS_OK; /* inference: the identity */
}
/* The activation family: the function the type (or `activation`'s key) names. */
static clcnn_status export_function(emit *e, const clcnn_layer *l) {
    int code = clcnn_layer_function(l->spec.type, l->spec.activation);
    if (code < 0)
        return clcnn_layer_fail(l, CLCNN_STATUS_UNSUPPORTED, "this layer type has no ONNX export");
    return activation(e, l, code, l->spec.alpha);
}
#define export_activation export_function
#define export_relu export_function
#define export_softmax export_function
#define export_sigmoid export_function
#define export_tanh export_function
#define export_leaky_relu export_function
#define export_elu export_function

#define EXPORTER(name, keras_name, keys) {&clcnn_layer_##name, export_##name},
static const struct {
    const clcnn_layer_type *type;
    clcnn_status (*emit)(emit *e, const clcnn_layer *l);
} exporters[] = {CLCNN_LAYER_TYPES(EXPORTER)};
#undef EXPORTER

static clcnn_status layer(emit *e, const clcnn_layer *l) {
    for (size_t i = 0; i < sizeof exporters / sizeof *exporters; i++)
        if (exporters[i].type == l->type) return exporters[i].emit(e, l);
    return clcnn_layer_fail(l, CLCNN_STATUS_UNSUPPORTED, "this layer type has no ONNX export");
}

/* input -> Mul(1/scale) -> layers -> Softmax -> probabilities. */
static clcnn_status build_graph(emit *e, const clcnn_model *m) {
    const int64_t in_dims[4] = {-1, m->input.c, m->input.h, m->input.w};
    onnx_graph_io(e->b, 0, "input", in_dims, 4);
    const float inv_scale = 1.0f / m->spec.data.scale; /* the factor nn/step.c's kernels apply */
    onnx_init_floats(e->b, "input_scale", NULL, 0, &inv_scale);
    snprintf(e->cur, sizeof e->cur, "input");
    e->rank = 4;
    const char *mul_in[2] = {"input", "input_scale"};
    onnx_node(e->b, "Mul", mul_in, 2, "scaled_input");
    snprintf(e->cur, sizeof e->cur, "scaled_input");
    for (int i = 0; i < m->n_layers; i++)
        CLCNN_TRY(layer(e, &m->layers[i]));
    CLCNN_TRY(flatten_to_2d(e, &m->layers[m->n_layers - 1]));
    const char *logits[1] = {e->cur};
    Onnx__NodeProto *n = onnx_node(e->b, "Softmax", logits, 1, "probabilities");
    onnx_attr_int(e->b, n, "axis", 1);
    const int64_t out_dims[2] = {-1, m->classes};
    onnx_graph_io(e->b, 1, "probabilities", out_dims, 2);
    return CLCNN_STATUS_OK;
}

static void metadata(emit *e, const clcnn_model *m) {
    const char *keys[] = {"clcnn.version", "clcnn.config", "clcnn.classes"};
    for (int i = 0; i < 3; i++) {
        const char *v = clcnn_safetensors_meta(e->st, keys[i]);
        if (v) onnx_meta(e->b, keys[i], v);
    }
    char input[256];
    snprintf(input, sizeof input,
             "float32 NCHW [batch, %d, %d, %d] of raw pixel values (0..255 for 8-bit images); "
             "the graph multiplies by 1/%g (data.scale)",
             m->input.c, m->input.h, m->input.w, (double)m->spec.data.scale);
    onnx_meta(e->b, "clcnn.input", input);
}

static clcnn_status export_model(const clcnn_model *m, const clcnn_safetensors *st,
                                 const char *model_path, const char *onnx_path, int opset,
                                 size_t *bytes) {
    onnx_build b;
    onnx_build_init(&b);
    emit e = {.b = &b, .st = st, .model_path = model_path};
    clcnn_status s = build_graph(&e, m);
    uint8_t *buf = NULL;
    size_t len = 0;
    if (s == CLCNN_STATUS_OK) {
        metadata(&e, m);
        onnx_model_info info = {ir_version_for(opset), opset, "clcnn",
                                "exported by clcnn from a model.safetensors; input: raw pixels, "
                                "output: class probabilities"};
        s = onnx_build_pack(&b, &info, &buf, &len);
    }
    if (s == CLCNN_STATUS_OK) s = clcnn_write_file_atomic(onnx_path, buf, len);
    if (s == CLCNN_STATUS_OK && bytes) *bytes = len;
    free(buf);
    onnx_build_free(&b);
    return s;
}

clcnn_status clcnn_export_onnx(const char *model_path, const char *onnx_path,
                               const clcnn_onnx_options *opt, size_t *bytes) {
    clcnn_onnx_options o = opt ? *opt : clcnn_onnx_options_default();
    if (o.opset < CLCNN_ONNX_OPSET_MIN || o.opset > CLCNN_ONNX_OPSET_MAX)
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "ONNX opset %d is not offered (%d..%d)",
                          o.opset, CLCNN_ONNX_OPSET_MIN, CLCNN_ONNX_OPSET_MAX);
    clcnn_spec *spec = malloc(sizeof *spec);
    if (!spec) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
    clcnn_status s = clcnn_model_file_spec(model_path, spec);
    clcnn_model *m = NULL;
    if (s == CLCNN_STATUS_OK) s = clcnn_model_infer_only(spec, &m);
    clcnn_safetensors st = {0};
    if (s == CLCNN_STATUS_OK) s = clcnn_safetensors_read(model_path, &st);
    if (s == CLCNN_STATUS_OK) s = export_model(m, &st, model_path, onnx_path, o.opset, bytes);
    clcnn_safetensors_free(&st);
    free(m);
    free(spec);
    return s;
}
