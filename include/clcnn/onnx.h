/* clcnn/onnx.h: a model file in other runtimes' formats. Today ONNX, for onnxruntime, OpenVINO,
 * TensorRT and browsers.
 *
 * The ONNX graph is the model in inference form: input `input`, float32 NCHW [batch, C, H, W]
 * with a dynamic batch dimension, holding raw pixel values (0..255 for 8-bit images, exactly what
 * `clcnn predict` reads); its first op multiplies by 1 / data.scale as clcnn does before the first
 * layer. Then every layer (batch normalization as BatchNormalization with the running statistics,
 * dropout removed, flatten in C,H,W order) and a final Softmax whose output `probabilities`
 * [batch, classes] is what `clcnn predict --probs` writes. The metadata_props hold clcnn.version,
 * clcnn.config (the model's config as YAML), clcnn.classes (a JSON array of class names) and
 * clcnn.input (the input's units, in words). */
#ifndef CLCNN_ONNX_H
#define CLCNN_ONNX_H

#include <stddef.h>

#include "clcnn/export.h"
#include "clcnn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The ai.onnx opsets an export may target; the default is one onnxruntime 1.16 and later read. */
#define CLCNN_ONNX_OPSET_MIN 11
#define CLCNN_ONNX_OPSET_MAX 21
#define CLCNN_ONNX_OPSET_DEFAULT 17

typedef struct clcnn_onnx_options {
    int opset; /* ai.onnx opset version, CLCNN_ONNX_OPSET_MIN..MAX (default 17) */
} clcnn_onnx_options;

CLCNN_API clcnn_onnx_options clcnn_onnx_options_default(void);

/* Writes the model file model_path (model.safetensors, as clcnn train saves it) to onnx_path as
 * an ONNX model, atomically: on any failure (a missing or corrupt model file, a layer or option
 * with no ONNX form, an opset out of range) nothing is written and the last error names the file,
 * the layer or the value. *bytes (may be NULL) receives the file's size. */
CLCNN_API clcnn_status clcnn_export_onnx(const char *model_path, const char *onnx_path,
                                         const clcnn_onnx_options *opt, size_t *bytes);

#ifdef __cplusplus
}
#endif
#endif
