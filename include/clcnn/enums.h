/* clcnn/enums.h: the closed vocabularies of a spec (clcnn/spec.h): every name a spec field may
 * hold, as one enum each, with a function from value to name (NULL for a value outside the enum)
 * and one from name to value (an unknown name fails with CLCNN_STATUS_INVALID_ARGUMENT and "unknown
 * optimizer 'adamw' (expected one of adam, sgd, rmsprop)", leaving *value as it was).
 *
 * A spec keeps the names, as written in YAML (Keras' words, so a spec reads like its config);
 * code that acts on a field parses it to its enum once. Each enum has one name table
 * (host/core/enums.c), its length checked against the enum's COUNT at compile time: the config
 * schema takes its legal values from it, and the kernels that read a value (the activation code,
 * the fill mode, the interpolation) see the enum's values as #defines made from it, so host,
 * config and device cannot disagree. */
#ifndef CLCNN_ENUMS_H
#define CLCNN_ENUMS_H

#include "clcnn/export.h"
#include "clcnn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A layer's activation (clcnn_layer_spec.activation; the activation layer type's function).
 * Kernels see these as ACT_<NAME> (kernels/activation.cl). Softmax belongs to the loss: it is
 * legal on the last layer only. */
typedef enum clcnn_activation {
    CLCNN_ACT_LINEAR,
    CLCNN_ACT_RELU,
    CLCNN_ACT_SIGMOID,
    CLCNN_ACT_TANH,
    CLCNN_ACT_LEAKY_RELU,
    CLCNN_ACT_ELU,
    CLCNN_ACT_SOFTMAX,
    CLCNN_ACT_COUNT
} clcnn_activation;
CLCNN_API const char *clcnn_activation_name(clcnn_activation value);
CLCNN_API clcnn_status clcnn_activation_parse(const char *name, clcnn_activation *value);

/* Keras' padding of convolution and pooling windows (clcnn_layer_spec.padding). */
typedef enum clcnn_padding {
    CLCNN_PADDING_VALID,
    CLCNN_PADDING_SAME,
    CLCNN_PADDING_COUNT
} clcnn_padding;
CLCNN_API const char *clcnn_padding_name(clcnn_padding value);
CLCNN_API clcnn_status clcnn_padding_parse(const char *name, clcnn_padding *value);

/* clcnn_train_spec.loss. With integer labels both are the same loss (one-hot encoding). */
typedef enum clcnn_loss {
    CLCNN_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY,
    CLCNN_LOSS_CATEGORICAL_CROSSENTROPY,
    CLCNN_LOSS_COUNT
} clcnn_loss;
CLCNN_API const char *clcnn_loss_name(clcnn_loss value);
CLCNN_API clcnn_status clcnn_loss_parse(const char *name, clcnn_loss *value);

/* clcnn_optimizer_spec.name. One row per optimizer: X(ID, name, default learning rate), the rate
 * being Keras' default, which a config that changes the optimizer but not the rate gets. Its
 * update is clcnn_optimizer_<name> in host/nn/optimizers.c; its settings are fields of
 * clcnn_optimizer_spec. */
#define CLCNN_OPTIMIZERS(X)                                                                        \
    X(ADAM, adam, 0.001f)                                                                          \
    X(SGD, sgd, 0.01f)                                                                             \
    X(RMSPROP, rmsprop, 0.001f)

#define CLCNN_OPTIMIZER_ENUM_(id, name, lr) CLCNN_OPTIMIZER_##id,
typedef enum clcnn_optimizer {
    CLCNN_OPTIMIZERS(CLCNN_OPTIMIZER_ENUM_) CLCNN_OPTIMIZER_COUNT
} clcnn_optimizer;
#undef CLCNN_OPTIMIZER_ENUM_
CLCNN_API const char *clcnn_optimizer_name(clcnn_optimizer value);
CLCNN_API clcnn_status clcnn_optimizer_parse(const char *name, clcnn_optimizer *value);
/* Keras' default learning rate of the optimizer; 0 if out of range. */
CLCNN_API float clcnn_optimizer_default_learning_rate(clcnn_optimizer optimizer);

/* clcnn_train_spec.conv_route: which GEMM runs convolutions and dense layers. AUTO measures the
 * routes per device and shape (and caches the choice). Also the CLCNN_ROUTE environment
 * variable. */
typedef enum clcnn_route {
    CLCNN_ROUTE_AUTO,
    CLCNN_ROUTE_OWN,     /* clcnn's kernels */
    CLCNN_ROUTE_CLBLAST, /* CLBlast */
    CLCNN_ROUTE_TILED,   /* clcnn's GPU-shaped kernels (local-memory tiles) */
    CLCNN_ROUTE_COUNT
} clcnn_route;
CLCNN_API const char *clcnn_route_name(clcnn_route value);
CLCNN_API clcnn_status clcnn_route_parse(const char *name, clcnn_route *value);

/* clcnn_data_spec.format: the four IDX files, or <dir>/<class>/<image> folders. */
typedef enum clcnn_data_format {
    CLCNN_DATA_FORMAT_IDX,
    CLCNN_DATA_FORMAT_IMAGE_FOLDER,
    CLCNN_DATA_FORMAT_COUNT
} clcnn_data_format;
CLCNN_API const char *clcnn_data_format_name(clcnn_data_format value);
CLCNN_API clcnn_status clcnn_data_format_parse(const char *name, clcnn_data_format *value);

/* clcnn_data_spec.streaming: decode the whole dataset into memory, or stream it batch by batch
 * from the files (auto: stream when it does not fit data.cache_mb or the device). */
typedef enum clcnn_data_streaming {
    CLCNN_DATA_STREAMING_AUTO,
    CLCNN_DATA_STREAMING_ON,
    CLCNN_DATA_STREAMING_OFF,
    CLCNN_DATA_STREAMING_COUNT
} clcnn_data_streaming;
CLCNN_API const char *clcnn_data_streaming_name(clcnn_data_streaming value);
CLCNN_API clcnn_status clcnn_data_streaming_parse(const char *name, clcnn_data_streaming *value);

/* clcnn_augment_spec.fill_mode: what augmentation reads outside the image (Keras' modes).
 * Kernels see these as FILL_<NAME> (kernels/augment.cl). */
typedef enum clcnn_fill_mode {
    CLCNN_FILL_REFLECT,
    CLCNN_FILL_CONSTANT,
    CLCNN_FILL_NEAREST,
    CLCNN_FILL_WRAP,
    CLCNN_FILL_COUNT
} clcnn_fill_mode;
CLCNN_API const char *clcnn_fill_mode_name(clcnn_fill_mode value);
CLCNN_API clcnn_status clcnn_fill_mode_parse(const char *name, clcnn_fill_mode *value);

/* clcnn_augment_spec.interpolation. Kernels see these as INTERPOLATION_<NAME>. */
typedef enum clcnn_interpolation {
    CLCNN_INTERPOLATION_BILINEAR,
    CLCNN_INTERPOLATION_NEAREST,
    CLCNN_INTERPOLATION_COUNT
} clcnn_interpolation;
CLCNN_API const char *clcnn_interpolation_name(clcnn_interpolation value);
CLCNN_API clcnn_status clcnn_interpolation_parse(const char *name, clcnn_interpolation *value);

/* clcnn_lr_schedule_spec.name: constant, step decay, or Keras' CosineDecay. */
typedef enum clcnn_lr_schedule {
    CLCNN_LR_SCHEDULE_CONSTANT,
    CLCNN_LR_SCHEDULE_STEP,
    CLCNN_LR_SCHEDULE_COSINE,
    CLCNN_LR_SCHEDULE_COUNT
} clcnn_lr_schedule;
CLCNN_API const char *clcnn_lr_schedule_name(clcnn_lr_schedule value);
CLCNN_API clcnn_status clcnn_lr_schedule_parse(const char *name, clcnn_lr_schedule *value);

#ifdef __cplusplus
}
#endif
#endif
