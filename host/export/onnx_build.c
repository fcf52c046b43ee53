/* export/onnx_build.c: ONNX messages through protobuf-c: an arena for every message, string and
 * array, node and tensor helpers, and packing. */
#include <stdlib.h>
#include <string.h>

#include "clcnn/version.h"
#include "onnx_build.h"

#define MAX_ATTRS 8

void onnx_build_init(onnx_build *b) {
    memset(b, 0, sizeof *b);
}

void onnx_build_free(onnx_build *b) {
    for (size_t i = 0; i < b->n_blocks; i++)
        free(b->blocks[i]);
    free(b->blocks);
    memset(b, 0, sizeof *b);
}

/* Zeroed memory owned by the builder; NULL (and b->oom set) when out of memory. */
static void *alloc(onnx_build *b, size_t size) {
    if (b->oom) return NULL;
    if (b->n_blocks == b->cap_blocks) {
        size_t cap = b->cap_blocks ? 2 * b->cap_blocks : 256;
        void **grown = realloc(b->blocks, cap * sizeof *grown);
        if (!grown) {
            b->oom = 1;
            return NULL;
        }
        b->blocks = grown;
        b->cap_blocks = cap;
    }
    void *p = calloc(1, size ? size : 1);
    if (!p) {
        b->oom = 1;
        return NULL;
    }
    b->blocks[b->n_blocks++] = p;
    return p;
}

static char *dup_str(onnx_build *b, const char *s) {
    size_t n = strlen(s) + 1;
    char *p = alloc(b, n);
    if (p) memcpy(p, s, n);
    return p;
}

static void *dup_mem(onnx_build *b, const void *data, size_t size) {
    void *p = alloc(b, size);
    if (p && size) memcpy(p, data, size);
    return p;
}

Onnx__NodeProto *onnx_node(onnx_build *b, const char *op, const char *const *inputs, int n_inputs,
                           const char *output) {
    Onnx__NodeProto *node = alloc(b, sizeof *node);
    char **in = alloc(b, (size_t)n_inputs * sizeof *in);
    char **out = alloc(b, sizeof *out);
    Onnx__AttributeProto **attrs = alloc(b, MAX_ATTRS * sizeof *attrs);
    if (!node || !in || !out || !attrs || b->n_nodes == ONNX_MAX_NODES) {
        b->oom = 1;
        return NULL;
    }
    onnx__node_proto__init(node);
    for (int i = 0; i < n_inputs; i++)
        in[i] = dup_str(b, inputs[i]);
    out[0] = dup_str(b, output);
    node->input = in;
    node->n_input = (size_t)n_inputs;
    node->output = out;
    node->n_output = 1;
    node->name = dup_str(b, output);
    node->op_type = dup_str(b, op);
    node->attribute = attrs;
    b->nodes[b->n_nodes++] = node;
    return node;
}

static Onnx__AttributeProto *add_attr(onnx_build *b, Onnx__NodeProto *node, const char *name,
                                      Onnx__AttributeProto__AttributeType type) {
    if (!node || node->n_attribute == MAX_ATTRS) {
        b->oom = 1;
        return NULL;
    }
    Onnx__AttributeProto *a = alloc(b, sizeof *a);
    if (!a) return NULL;
    onnx__attribute_proto__init(a);
    a->name = dup_str(b, name);
    a->has_type = 1;
    a->type = type;
    node->attribute[node->n_attribute++] = a;
    return a;
}

void onnx_attr_int(onnx_build *b, Onnx__NodeProto *node, const char *name, int64_t v) {
    Onnx__AttributeProto *a = add_attr(b, node, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    if (!a) return;
    a->has_i = 1;
    a->i = v;
}

void onnx_attr_float(onnx_build *b, Onnx__NodeProto *node, const char *name, float v) {
    Onnx__AttributeProto *a = add_attr(b, node, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    if (!a) return;
    a->has_f = 1;
    a->f = v;
}

void onnx_attr_ints(onnx_build *b, Onnx__NodeProto *node, const char *name, const int64_t *v,
                    int n) {
    Onnx__AttributeProto *a = add_attr(b, node, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    if (!a) return;
    a->ints = dup_mem(b, v, (size_t)n * sizeof *v);
    a->n_ints = (size_t)n;
}

static Onnx__TensorProto *add_init(onnx_build *b, const char *name, const int64_t *dims, int ndim,
                                   int32_t type) {
    Onnx__TensorProto *t = alloc(b, sizeof *t);
    if (!t || b->n_inits == ONNX_MAX_INITS) {
        b->oom = 1;
        return NULL;
    }
    onnx__tensor_proto__init(t);
    t->name = dup_str(b, name);
    t->dims = dup_mem(b, dims, (size_t)ndim * sizeof *dims);
    t->n_dims = (size_t)ndim;
    t->has_data_type = 1;
    t->data_type = type;
    b->inits[b->n_inits++] = t;
    return t;
}

static size_t count_of(const int64_t *dims, int ndim) {
    size_t n = 1;
    for (int d = 0; d < ndim; d++)
        n *= (size_t)dims[d];
    return n;
}

/* float_data rather than raw_data: protobuf-c writes it little-endian on any host. */
void onnx_init_floats(onnx_build *b, const char *name, const int64_t *dims, int ndim,
                      const float *data) {
    Onnx__TensorProto *t = add_init(b, name, dims, ndim, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT);
    if (!t) return;
    t->n_float_data = count_of(dims, ndim);
    t->float_data = dup_mem(b, data, t->n_float_data * sizeof *data);
}

void onnx_init_int64s(onnx_build *b, const char *name, const int64_t *dims, int ndim,
                      const int64_t *data) {
    Onnx__TensorProto *t = add_init(b, name, dims, ndim, ONNX__TENSOR_PROTO__DATA_TYPE__INT64);
    if (!t) return;
    t->n_int64_data = count_of(dims, ndim);
    t->int64_data = dup_mem(b, data, t->n_int64_data * sizeof *data);
}

void onnx_graph_io(onnx_build *b, int output, const char *name, const int64_t *dims, int ndim) {
    Onnx__ValueInfoProto *v = alloc(b, sizeof *v);
    Onnx__TypeProto *type = alloc(b, sizeof *type);
    Onnx__TypeProto__Tensor *tensor = alloc(b, sizeof *tensor);
    Onnx__TensorShapeProto *shape = alloc(b, sizeof *shape);
    Onnx__TensorShapeProto__Dimension **dim = alloc(b, (size_t)ndim * sizeof *dim);
    if (!v || !type || !tensor || !shape || !dim) return;
    for (int d = 0; d < ndim; d++) {
        dim[d] = alloc(b, sizeof *dim[d]);
        if (!dim[d]) return;
        onnx__tensor_shape_proto__dimension__init(dim[d]);
        if (d == 0) {
            dim[d]->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
            dim[d]->dim_param = dup_str(b, "batch");
        } else {
            dim[d]->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            dim[d]->dim_value = dims[d];
        }
    }
    onnx__tensor_shape_proto__init(shape);
    shape->dim = dim;
    shape->n_dim = (size_t)ndim;
    onnx__type_proto__tensor__init(tensor);
    tensor->has_elem_type = 1;
    tensor->elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    tensor->shape = shape;
    onnx__type_proto__init(type);
    type->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    type->tensor_type = tensor;
    onnx__value_info_proto__init(v);
    v->name = dup_str(b, name);
    v->type = type;
    if (output)
        b->output = v;
    else
        b->input = v;
}

void onnx_meta(onnx_build *b, const char *key, const char *value) {
    Onnx__StringStringEntryProto *e = alloc(b, sizeof *e);
    if (!e || b->n_meta == ONNX_MAX_META) {
        b->oom = 1;
        return;
    }
    onnx__string_string_entry_proto__init(e);
    e->key = dup_str(b, key);
    e->value = dup_str(b, value);
    b->meta[b->n_meta++] = e;
}

clcnn_status onnx_build_pack(onnx_build *b, const onnx_model_info *info, uint8_t **out,
                             size_t *len) {
    *out = NULL;
    *len = 0;
    Onnx__GraphProto *graph = alloc(b, sizeof *graph);
    Onnx__ModelProto *model = alloc(b, sizeof *model);
    Onnx__OperatorSetIdProto *opset = alloc(b, sizeof *opset);
    Onnx__OperatorSetIdProto **opsets = alloc(b, sizeof *opsets);
    if (b->oom || !b->input || !b->output)
        return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory building the ONNX graph");
    onnx__graph_proto__init(graph);
    graph->name = dup_str(b, info->graph_name);
    graph->node = b->nodes;
    graph->n_node = (size_t)b->n_nodes;
    graph->initializer = b->inits;
    graph->n_initializer = (size_t)b->n_inits;
    graph->input = &b->input;
    graph->n_input = 1;
    graph->output = &b->output;
    graph->n_output = 1;
    onnx__operator_set_id_proto__init(opset);
    opset->domain = dup_str(b, ""); /* ai.onnx */
    opset->has_version = 1;
    opset->version = info->opset;
    opsets[0] = opset;
    onnx__model_proto__init(model);
    model->has_ir_version = 1;
    model->ir_version = info->ir_version;
    model->opset_import = opsets;
    model->n_opset_import = 1;
    model->producer_name = dup_str(b, "clcnn");
    model->producer_version = dup_str(b, CLCNN_VERSION);
    model->doc_string = dup_str(b, info->doc);
    model->graph = graph;
    model->metadata_props = b->meta;
    model->n_metadata_props = (size_t)b->n_meta;
    if (b->oom)
        return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory building the ONNX graph");
    size_t size = onnx__model_proto__get_packed_size(model);
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf)
        return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory (%zu bytes of ONNX)", size);
    *len = onnx__model_proto__pack(model, buf);
    *out = buf;
    return CLCNN_STATUS_OK;
}
