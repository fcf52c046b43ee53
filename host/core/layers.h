/* core/layers.h: the list of layer types, one row each, read by config/ and nn/.
 *
 * X(name, keras_name, keys):
 *   name        as written in YAML ("conv2d"), and the C name of its implementation:
 *               clcnn_layer_<name>, defined in host/nn/ with CLCNN_LAYER_TYPE (nn/nn.h)
 *   keras_name  Keras' class name, also accepted in configs ("Conv2D"); NULL if Keras has none
 *   keys        the clcnn_layer_spec keys it reads besides its type, as CFG_LK() bits; only
 *               config/schema.h, which defines CFG_LK, expands this column
 *
 * Adding a layer type: a row here, its file in host/nn/, its kernels in kernels/, its line in
 * configs/README.md (a test checks), and its tests. A key no type read before is also a field of
 * clcnn_layer_spec (clcnn/spec.h), its default (config/spec.c) and a row of cfg_layer_keys. */
#ifndef CLCNN_CORE_LAYERS_H
#define CLCNN_CORE_LAYERS_H

#define CLCNN_LAYER_TYPES(X)                                                                       \
    X(conv2d, "Conv2D",                                                                            \
      CFG_LK(NAME) | CFG_LK(FILTERS) | CFG_LK(KERNEL_SIZE) | CFG_LK(STRIDES) | CFG_LK(PADDING) |   \
          CFG_LK(ACTIVATION) | CFG_LK(USE_BIAS))                                                   \
    X(dense, "Dense", CFG_LK(NAME) | CFG_LK(UNITS) | CFG_LK(ACTIVATION) | CFG_LK(USE_BIAS))        \
    X(max_pooling2d, "MaxPooling2D", CFG_LK_POOLING)                                               \
    X(average_pooling2d, "AveragePooling2D", CFG_LK_POOLING)                                       \
    X(global_average_pooling2d, "GlobalAveragePooling2D", CFG_LK(NAME))                            \
    X(flatten, "Flatten", CFG_LK(NAME))                                                            \
    X(dropout, "Dropout", CFG_LK(NAME) | CFG_LK(RATE))                                             \
    X(batch_normalization, "BatchNormalization",                                                   \
      CFG_LK(NAME) | CFG_LK(MOMENTUM) | CFG_LK(EPSILON))                                           \
    X(activation, "Activation", CFG_LK(NAME) | CFG_LK(ACTIVATION))                                 \
    X(relu, "ReLU", CFG_LK(NAME))                                                                  \
    X(softmax, "Softmax", CFG_LK(NAME))                                                            \
    X(sigmoid, NULL, CFG_LK(NAME))                                                                 \
    X(tanh, NULL, CFG_LK(NAME))                                                                    \
    X(leaky_relu, "LeakyReLU", CFG_LK(NAME) | CFG_LK(ALPHA))                                       \
    X(elu, "ELU", CFG_LK(NAME) | CFG_LK(ALPHA))

/* The names joined by ", " ("conv2d, dense, ..."), for messages: a string constant. */
#define CLCNN_LAYER_NAME_JOINED_(name, keras_name, keys) ", " #name
#define CLCNN_LAYER_TYPE_NAMES (&(CLCNN_LAYER_TYPES(CLCNN_LAYER_NAME_JOINED_))[2])

#endif
