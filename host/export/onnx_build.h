/* export/onnx_build.h: building an ONNX ModelProto with protobuf-c (the C code protoc-c makes
 * from third_party/onnx/onnx.proto at build time): nodes with attributes, float and int64
 * initializers, typed graph inputs and outputs, and the packed bytes. Every message and string
 * lives in the builder's arena, freed at once; an allocation failure is remembered and reported
 * by onnx_build_pack, so callers build without checking each step. */
#ifndef CLCNN_ONNX_BUILD_H
#define CLCNN_ONNX_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include "clcnn/spec.h"
#include "clcnn/status.h"
#include "onnx.pb-c.h"

/* A layer becomes at most a few nodes and four initializers; a few more frame the graph. */
#define ONNX_MAX_NODES (CLCNN_MAX_LAYERS * 4 + 8)
#define ONNX_MAX_INITS (CLCNN_MAX_LAYERS * 4 + 8)
#define ONNX_MAX_META 8

typedef struct onnx_build {
    void **blocks; /* every allocation, for onnx_build_free */
    size_t n_blocks, cap_blocks;
    int oom;
    Onnx__NodeProto *nodes[ONNX_MAX_NODES];
    int n_nodes;
    Onnx__TensorProto *inits[ONNX_MAX_INITS];
    int n_inits;
    Onnx__ValueInfoProto *input, *output;
    Onnx__StringStringEntryProto *meta[ONNX_MAX_META];
    int n_meta;
} onnx_build;

void onnx_build_init(onnx_build *b);
void onnx_build_free(onnx_build *b);

/* A node op(inputs) -> output, named after its output. Attributes are added to it after. */
Onnx__NodeProto *onnx_node(onnx_build *b, const char *op, const char *const *inputs, int n_inputs,
                           const char *output);
void onnx_attr_int(onnx_build *b, Onnx__NodeProto *node, const char *name, int64_t v);
void onnx_attr_float(onnx_build *b, Onnx__NodeProto *node, const char *name, float v);
void onnx_attr_ints(onnx_build *b, Onnx__NodeProto *node, const char *name, const int64_t *v,
                    int n);

/* Initializers (constant tensors), copied: float32 and int64. */
void onnx_init_floats(onnx_build *b, const char *name, const int64_t *dims, int ndim,
                      const float *data);
void onnx_init_int64s(onnx_build *b, const char *name, const int64_t *dims, int ndim,
                      const int64_t *data);

/* The graph's input or output: float32, dims[0] the symbolic batch dimension "batch". */
void onnx_graph_io(onnx_build *b, int output, const char *name, const int64_t *dims, int ndim);
void onnx_meta(onnx_build *b, const char *key, const char *value);

/* The ModelProto's fields besides the graph's content. */
typedef struct onnx_model_info {
    int64_t ir_version, opset;
    const char *graph_name, *doc;
} onnx_model_info;

/* The serialized model, malloc'ed (the caller frees *out). */
clcnn_status onnx_build_pack(onnx_build *b, const onnx_model_info *info, uint8_t **out,
                             size_t *len);

#endif
