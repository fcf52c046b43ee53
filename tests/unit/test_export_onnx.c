/* tests/unit/test_export_onnx.c: clcnn_export_onnx without a device or Python: a model file
 * written here (random weights) is exported, and the bytes are read back with protobuf-c into
 * ONNX's own schema: the graph's ops in order (dropout gone, softmax last), pads and strides,
 * attributes, the input scaling constant, weights bit for bit, names and dynamic batch, opset
 * and IR version, metadata; then errors: an opset out of range, a missing file, a model file
 * lacking a tensor, each naming the value, file or tensor, and no output written (an older file
 * at the path is left as it was). onnxruntime's numbers are tests/onnx/test_onnx.sh's part. */
#include <stdlib.h>
#include <string.h>

#include "clcnn/config.h"
#include "clcnn/onnx.h"
#include "nn/model_internal.h"
#include "onnx.pb-c.h"
#include "test_data_util.h"
#include "train/safetensors.h"

static const char *config_yaml =
    "model:\n"
    "  input_shape: [28, 28, 1]\n"
    "  layers:\n"
    "    - conv2d: {filters: 4, kernel_size: 3, strides: 2, padding: same, use_bias: false,\n"
    "               activation: leaky_relu}\n"
    "    - batch_normalization: {epsilon: 0.002}\n"
    "    - max_pooling2d: {pool_size: 2}\n"
    "    - dropout: {rate: 0.5}\n"
    "    - flatten: {}\n"
    "    - dense: {units: 10, activation: softmax}\n";

static float *weights; /* every tensor, in arena order */

/* Writes a model file of config_yaml with random weights, leaving out tensor `skip` (or none). */
static const char *write_model(const char *name, const char *skip) {
    clcnn_spec spec;
    expect_ok(clcnn_config_load_string(config_yaml, "test", &spec, NULL));
    clcnn_model *m;
    expect_ok(clcnn_model_infer_only(&spec, &m));
    free(weights);
    weights = malloc(m->n_params * sizeof *weights);
    assert_non_null(weights);
    test_fill_uniform(weights, m->n_params, -1.0f, 1.0f, 11);
    clcnn_st_tensor t[16];
    int n = 0;
    for (int i = 0; i < m->n_tensors; i++) {
        if (skip && strcmp(m->tensors[i].name, skip) == 0) continue;
        t[n] =
            (clcnn_st_tensor){.ndim = m->tensors[i].ndim, .data = weights + m->tensors[i].offset};
        snprintf(t[n].name, sizeof t[n].name, "%s", m->tensors[i].name);
        memcpy(t[n].shape, m->tensors[i].shape, sizeof t[n].shape);
        n++;
    }
    char *config;
    expect_ok(clcnn_config_emit(&spec, NULL, &config));
    const char *keys[] = {"clcnn.version", "clcnn.config", "clcnn.classes"};
    const char *values[] = {"0.1.0", config,
                            "[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\",\"j\"]"};
    const char *path = test_path(name);
    expect_ok(clcnn_safetensors_write(path, t, n, keys, values, 3));
    free(config);
    free(m);
    return path;
}

static Onnx__ModelProto *read_onnx(const char *path) {
    size_t len;
    uint8_t *bytes = test_slurp(path, &len);
    Onnx__ModelProto *model = onnx__model_proto__unpack(NULL, len, bytes);
    free(bytes);
    assert_non_null(model);
    return model;
}

static const Onnx__AttributeProto *attr(const Onnx__NodeProto *n, const char *name) {
    for (size_t i = 0; i < n->n_attribute; i++)
        if (strcmp(n->attribute[i]->name, name) == 0) return n->attribute[i];
    fail_msg("node %s has no attribute %s", n->op_type, name);
    return NULL;
}

static void expect_int64s(const int64_t *got, size_t n_got, const int64_t *want, size_t n) {
    assert_int_equal(n_got, n);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(got[i], want[i]);
}

static void expect_ints(const Onnx__AttributeProto *a, const int64_t *want, size_t n) {
    expect_int64s(a->ints, a->n_ints, want, n);
}

static const Onnx__TensorProto *init(const Onnx__GraphProto *g, const char *name) {
    for (size_t i = 0; i < g->n_initializer; i++)
        if (strcmp(g->initializer[i]->name, name) == 0) return g->initializer[i];
    fail_msg("no initializer %s", name);
    return NULL;
}

static const char *meta(const Onnx__ModelProto *m, const char *key) {
    for (size_t i = 0; i < m->n_metadata_props; i++)
        if (strcmp(m->metadata_props[i]->key, key) == 0) return m->metadata_props[i]->value;
    fail_msg("no metadata %s", key);
    return NULL;
}

static void expect_io(const Onnx__ValueInfoProto *v, const char *name, const int64_t *dims,
                      size_t n) {
    assert_string_equal(v->name, name);
    const Onnx__TensorShapeProto *s = v->type->tensor_type->shape;
    assert_int_equal(v->type->tensor_type->elem_type, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT);
    assert_int_equal(s->n_dim, n);
    assert_int_equal(s->dim[0]->value_case, ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM);
    assert_string_equal(s->dim[0]->dim_param, "batch");
    for (size_t d = 1; d < n; d++)
        assert_int_equal(s->dim[d]->dim_value, dims[d]);
}

static void test_graph(void **state) {
    (void)state;
    const char *model = write_model("m.safetensors", NULL), *out = test_path("m.onnx");
    size_t bytes = 0;
    expect_ok(clcnn_export_onnx(model, out, NULL, &bytes));
    assert_true(bytes > 0);
    Onnx__ModelProto *m = read_onnx(out);
    assert_int_equal(m->ir_version, 8);
    assert_int_equal(m->n_opset_import, 1);
    assert_int_equal(m->opset_import[0]->version, CLCNN_ONNX_OPSET_DEFAULT);
    assert_string_equal(m->producer_name, "clcnn");
    const Onnx__GraphProto *g = m->graph;
    const char *ops[] = {"Mul",     "Conv",    "LeakyRelu", "BatchNormalization",
                         "MaxPool", "Flatten", "Gemm",      "Softmax"};
    assert_int_equal(g->n_node, 8);
    for (size_t i = 0; i < 8; i++)
        assert_string_equal(g->node[i]->op_type, ops[i]);
    expect_io(g->input[0], "input", (const int64_t[]){0, 1, 28, 28}, 4);
    expect_io(g->output[0], "probabilities", (const int64_t[]){0, 10}, 2);
    assert_string_equal(g->node[7]->output[0], "probabilities");
    /* 28 -> 14 with a 3x3 window at stride 2, "same": one row/column of padding, at the end */
    const Onnx__NodeProto *conv = g->node[1];
    assert_int_equal(conv->n_input, 2); /* no bias */
    expect_ints(attr(conv, "pads"), (const int64_t[]){0, 0, 1, 1}, 4);
    expect_ints(attr(conv, "strides"), (const int64_t[]){2, 2}, 2);
    expect_ints(attr(conv, "kernel_shape"), (const int64_t[]){3, 3}, 2);
    assert_float_equal(attr(g->node[2], "alpha")->f, 0.2f, 0.0f); /* Keras' leaky_relu */
    assert_float_equal(attr(g->node[3], "epsilon")->f, 0.002f, 0.0f);
    assert_int_equal(g->node[3]->n_input, 5); /* gamma, beta, running mean and variance */
    expect_ints(attr(g->node[4], "strides"), (const int64_t[]){2, 2}, 2);
    assert_int_equal(attr(g->node[6], "transB")->i, 1);
    assert_int_equal(attr(g->node[7], "axis")->i, 1);
    const Onnx__TensorProto *scale = init(g, "input_scale");
    assert_int_equal(scale->n_dims, 0);
    assert_true(scale->float_data[0] == 1.0f / 255.0f);
    const Onnx__TensorProto *w = init(g, "layers.0.weight");
    expect_int64s(w->dims, w->n_dims, (const int64_t[]){4, 1, 3, 3}, 4);
    assert_memory_equal(w->float_data, weights, 36 * sizeof(float)); /* arena order: first */
    init(g, "layers.1.running_var");
    assert_non_null(strstr(meta(m, "clcnn.config"), "batch_normalization"));
    assert_non_null(strstr(meta(m, "clcnn.classes"), "\"j\""));
    assert_non_null(strstr(meta(m, "clcnn.input"), "raw pixel"));
    meta(m, "clcnn.version");
    onnx__model_proto__free_unpacked(m, NULL);

    clcnn_onnx_options o = {.opset = CLCNN_ONNX_OPSET_MIN};
    expect_ok(clcnn_export_onnx(model, out, &o, NULL));
    m = read_onnx(out);
    assert_int_equal(m->ir_version, 6);
    assert_int_equal(m->opset_import[0]->version, 11);
    onnx__model_proto__free_unpacked(m, NULL);
}

/* The export fails as wanted and the output path still holds the older file. */
static void expect_nothing_written(const char *out) {
    size_t len;
    uint8_t *kept = test_slurp(out, &len);
    assert_int_equal(len, 3);
    assert_memory_equal(kept, "old", 3);
    free(kept);
}

static void test_errors(void **state) {
    (void)state;
    const char *model = write_model("e.safetensors", NULL);
    const char *out = test_write("e.onnx", "old", 3, 0);
    clcnn_onnx_options o = {.opset = 10};
    expect_error(clcnn_export_onnx(model, out, &o, NULL), CLCNN_STATUS_INVALID_ARGUMENT, "opset 10",
                 "11..21");
    o.opset = 22;
    expect_error(clcnn_export_onnx(model, out, &o, NULL), CLCNN_STATUS_INVALID_ARGUMENT,
                 "opset 22");
    expect_nothing_written(out);
    const char *missing = test_path("missing.safetensors");
    expect_error(clcnn_export_onnx(missing, out, NULL, NULL), CLCNN_STATUS_IO_ERROR,
                 "missing.safetensors");
    expect_nothing_written(out);
    const char *lacking = write_model("lacking.safetensors", "layers.1.running_mean");
    expect_error(clcnn_export_onnx(lacking, out, NULL, NULL), CLCNN_STATUS_NOT_FOUND,
                 "lacking.safetensors", "layers.1.running_mean");
    expect_nothing_written(out);
    free(weights);
    weights = NULL;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_graph),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, test_dir_setup, test_dir_teardown);
}
