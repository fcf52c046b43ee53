/* clcnn/spec.h: the plain-C description of a job: data, model, training and tuning settings, and
 * the search space a config declares.
 *
 * A spec is what a YAML config becomes (clcnn/config.h), and what the model, the training loop
 * and the tuner read; a model keeps its own copy. The search space (the hyperparameters and the
 * keys they set) is a struct of its own, clcnn_search_space: it is three times the size of the
 * spec and only the config loader and the tuner need it, so the spec that models, training and
 * trials carry stays small. Neither owns any resource: copy them with `=`, and whoever declares
 * one owns it. Every spec field has a documented default, set by clcnn_spec_default(); the
 * defaults are the schema's defaults, documented in configs/README.md. */
#ifndef CLCNN_SPEC_H
#define CLCNN_SPEC_H

#include <stdint.h>

#include "clcnn/enums.h"
#include "clcnn/hparam.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CLCNN_MAX_LAYERS 64
#define CLCNN_MAX_CLASSES 64
#define CLCNN_CLASS_NAME_MAX 32
#define CLCNN_PATH_MAX 1024
#define CLCNN_MAX_HP_TARGETS 4  /* keys one hyperparameter sets */
#define CLCNN_HP_TARGET_MAX 128 /* bytes of a target's key path, NUL included */

/* One layer, as written in YAML (Keras' names). Which fields a type reads is in its host/nn
 * file; the others keep their defaults. */
typedef struct clcnn_layer_spec {
    char type[32];        /* "conv2d", "max_pooling2d", "flatten", "dense", "relu", "softmax"...
                             (the list is in configs/README.md) */
    char name[64];        /* optional; "" = "<type>_<index>" */
    int filters;          /* conv2d (default 32) */
    int units;            /* dense (default 10) */
    int kernel_size[2];   /* conv2d: (h, w), default (3, 3) */
    int strides[2];       /* conv2d default (1, 1); pooling default 0 = pool_size */
    int pool_size[2];     /* pooling, default (2, 2) */
    clcnn_padding padding; /* default valid */
    char activation[16];   /* a clcnn_activation name (clcnn/enums.h); default "linear" */
    int use_bias;         /* default 1 */
    float rate;           /* dropout rate (default 0.5) */
    float alpha;          /* leaky_relu: negative slope (default 0.3); elu: alpha (default 1.0) */
    float momentum;       /* batch_normalization: running-average momentum (default 0.99) */
    float epsilon;        /* batch_normalization: added to the variance (default 0.001) */
    int line, column;     /* where the layer is in its config file (1-based); 0 if unknown */
} clcnn_layer_spec;

typedef struct clcnn_model_spec {
    int input_shape[3];   /* (height, width, channels) as Keras' input_shape; default (28, 28, 1) */
    int n_layers;
    clcnn_layer_spec layers[CLCNN_MAX_LAYERS];
} clcnn_model_spec;

/* Random augmentation of training batches, on the device, with Keras' meanings (RandomFlip,
 * RandomTranslation, RandomZoom, RandomRotation) plus random erasing (Zhong et al. 2017). The
 * geometric ones compose into one affine map per example, sampled once. Never applied when
 * evaluating. All zero (the default) = no augmentation. */
typedef struct clcnn_augment_spec {
    int horizontal_flip;    /* mirror left-right with probability 0.5 (default 0) */
    int vertical_flip;      /* mirror top-bottom with probability 0.5 (default 0) */
    float width_shift;      /* shift by U(-f, f) x width pixels (RandomTranslation); default 0 */
    float height_shift;     /* shift by U(-f, f) x height pixels; default 0 */
    float zoom;             /* scale by 1 + U(-f, f), > 1 zooms out (RandomZoom); default 0 */
    float rotation;         /* rotate by U(-f, f) x 360 degrees (RandomRotation); default 0 */
    char fill_mode[16];     /* outside the image: a clcnn_fill_mode name; default "reflect"
                               (Keras') */
    float fill_value;       /* constant fill, in raw pixel units (scaled like pixels); default 0 */
    char interpolation[16]; /* a clcnn_interpolation name; default "bilinear" */
    float erasing;          /* probability of erasing a random rectangle (to 0); default 0 */
    float erasing_min_area; /* its area as a fraction of the image: default 0.02 .. */
    float erasing_max_area; /* .. 0.33 (Zhong et al.) */
    float erasing_ratio;    /* its aspect ratio lies in [r, 1/r]; default 0.3 */
} clcnn_augment_spec;

typedef struct clcnn_data_spec {
    char dir[CLCNN_PATH_MAX];          /* default "/usr/share/datasets/fashion-mnist" */
    char train_images[CLCNN_PATH_MAX]; /* relative to dir unless absolute; default */
    char train_labels[CLCNN_PATH_MAX]; /* "train-images-idx3-ubyte.gz" and so on */
    char test_images[CLCNN_PATH_MAX];
    char test_labels[CLCNN_PATH_MAX];
    float scale;            /* pixels are divided by this; default 255 */
    float validation_split; /* fraction of the training set held out (the tail); default 0 */
    long train_limit;       /* use the first N training examples; -1 (default) = all */
    long test_limit;        /* -1 (default) = all */
    int shuffle;            /* reshuffle every epoch (default 1) */
    int n_classes;          /* default 10 */
    char classes[CLCNN_MAX_CLASSES][CLCNN_CLASS_NAME_MAX]; /* default: Fashion-MNIST's names */
    char format[16];                /* a clcnn_data_format name; default "idx" (four IDX files) */
    char train_dir[CLCNN_PATH_MAX]; /* image_folder: <train_dir>/<class>/<image>, relative to */
    char test_dir[CLCNN_PATH_MAX];  /* dir unless absolute; defaults "train" and "test" */
    clcnn_augment_spec augment;
    char streaming[8];   /* a clcnn_data_streaming name; default "auto" */
    long cache_mb;       /* host memory for decoded images; -1 (default): a quarter of RAM */
    int decode_threads;  /* image decoding threads; 0 (default): one per CPU, at most 8 */
} clcnn_data_spec;

typedef struct clcnn_optimizer_spec {
    char name[16];        /* a clcnn_optimizer name; default "adam" */
    float learning_rate;  /* default: the optimizer's (clcnn_optimizer_default_learning_rate) */
    float beta_1, beta_2; /* adam: 0.9, 0.999 */
    float epsilon;        /* adam and rmsprop: 1e-7 */
    float momentum;       /* sgd and rmsprop: 0 */
    int nesterov;         /* sgd: 0 */
    float rho;            /* rmsprop: 0.9 */
    float weight_decay;   /* Keras' decoupled weight decay: p -= lr * weight_decay * p before each
                             update, on every trainable tensor; default 0 */
} clcnn_optimizer_spec;

/* The learning rate over training (the optimizer's learning_rate is the initial one). */
typedef struct clcnn_lr_schedule_spec {
    char name[16];        /* a clcnn_lr_schedule name: "constant" (default), "step" (x drop every
                             `every` epochs), "cosine" (Keras' CosineDecay over all steps, down
                             to alpha x the initial) */
    float drop;           /* step: factor per drop, default 0.5 */
    int every;            /* step: epochs between drops, default 10 */
    float alpha;          /* cosine: the final rate as a fraction of the initial, default 0 */
    int warmup_epochs;    /* linear warm-up from 0 over these first epochs; default 0 */
} clcnn_lr_schedule_spec;

/* Keras' EarlyStopping callback. */
typedef struct clcnn_early_stopping_spec {
    char monitor[32];     /* "" = off (default); val_loss, val_accuracy, loss, accuracy */
    int patience;         /* epochs without improvement before stopping; default 0 */
    float min_delta;      /* smaller changes are no improvement; default 0 */
    int restore_best_weights; /* end with the best epoch's weights; default 0 */
} clcnn_early_stopping_spec;

typedef struct clcnn_train_spec {
    int epochs;           /* default 1 */
    int batch_size;       /* default 32 */
    uint64_t seed;        /* default 42: initial weights, shuffling, augmentation, dropout */
    char loss[48];        /* a clcnn_loss name; default "sparse_categorical_crossentropy" */
    clcnn_optimizer_spec optimizer;
    char checkpoint_monitor[32]; /* save the best epoch's model by this metric; "" = off (default) */
    char conv_route[16];         /* GEMM route, a clcnn_route name; default "auto" (measured) */
    clcnn_lr_schedule_spec lr_schedule;
    clcnn_early_stopping_spec early_stopping;
} clcnn_train_spec;

typedef struct clcnn_tune_spec {
    char algorithm[16];   /* "bayesian" (default), "random", "hyperband" */
    long max_trials;      /* null (stored -1, the default) = the algorithm's budget,
                             clcnn_tune_max_trials(): Hyperband's whole schedule, 10 trials for
                             random and bayesian; 0 = no limit */
    int executions_per_trial;  /* default 1 */
    char objective[32];   /* default "val_accuracy" */
    int direction;        /* 0 = inferred from the objective's name; 1 = max; -1 = min */
    uint64_t seed;        /* default 1 */
    int max_consecutive_failures; /* default 3; 0 = never stop */
    int max_epochs;       /* hyperband, default 81 */
    int factor;           /* hyperband, default 3 */
    int hyperband_iterations; /* default 1 */
    int initial_points;   /* bayesian: random trials before the GP model; 0 (default) = max(5, 2d+1) */
    int retrain_best;     /* retrain the best config on the full training set after the search */
} clcnn_tune_spec;

typedef struct clcnn_spec {
    clcnn_data_spec data;
    clcnn_model_spec model;
    clcnn_train_spec train;
    clcnn_tune_spec tune;
} clcnn_spec;

/* Fills every field with its default; the model gets no layers. */
CLCNN_API void clcnn_spec_default(clcnn_spec *spec);
/* A spec on the heap, at its defaults, for callers that cannot hold the struct (bindings from
 * other languages); NULL when out of memory. Free it with clcnn_spec_destroy (accepts NULL). */
CLCNN_API clcnn_spec *clcnn_spec_create(void);
CLCNN_API void clcnn_spec_destroy(clcnn_spec *spec);
/* A layer of the given type with every field at its default. */
CLCNN_API void clcnn_layer_spec_default(clcnn_layer_spec *layer, const char *type);

/* What a config searches over: its hyperparameters in declaration order, and where each one's
 * value goes, as key paths of the spec ("model.layers.0.filters"; clcnn/config.h). A value
 * vector (clcnn_spec_apply_hparams, the oracle's trials) has one entry per hyperparameter, in
 * this order. All zero (memset) is the empty space. */
typedef struct clcnn_search_space {
    int n_hparams;
    clcnn_hparam hparams[CLCNN_MAX_HPARAMS];
    int n_targets[CLCNN_MAX_HPARAMS];
    char targets[CLCNN_MAX_HPARAMS][CLCNN_MAX_HP_TARGETS][CLCNN_HP_TARGET_MAX];
} clcnn_search_space;

/* An empty space on the heap, for bindings (as clcnn_spec_create); NULL when out of memory. Free
 * it with clcnn_search_space_destroy (accepts NULL). */
CLCNN_API clcnn_search_space *clcnn_search_space_create(void);
CLCNN_API void clcnn_search_space_destroy(clcnn_search_space *space);

/* The index of the hyperparameter called name in space, or -1. */
CLCNN_API int clcnn_search_space_find(const clcnn_search_space *space, const char *name);

/* The metrics of an epoch that a spec can name: train.early_stopping.monitor,
 * train.checkpoint_monitor and tune.objective (clcnn/train.h reads their values). */
typedef enum clcnn_metric {
    CLCNN_METRIC_VAL_ACCURACY,
    CLCNN_METRIC_VAL_LOSS,
    CLCNN_METRIC_ACCURACY,
    CLCNN_METRIC_LOSS,
    CLCNN_METRIC_COUNT
} clcnn_metric;

/* "val_accuracy", "val_loss", "accuracy", "loss"; NULL outside the enum. */
CLCNN_API const char *clcnn_metric_name(clcnn_metric metric);
/* The metric of a name; CLCNN_METRIC_COUNT when name is none of them (or NULL). */
CLCNN_API clcnn_metric clcnn_metric_parse(const char *name);
/* Whether a higher value is better (the accuracies), as Keras infers it from the name. */
CLCNN_API int clcnn_metric_maximize(clcnn_metric metric);
/* Whether the metric is measured on the validation split (needs data.validation_split > 0). */
CLCNN_API int clcnn_metric_needs_validation(clcnn_metric metric);

#ifdef __cplusplus
}
#endif
#endif
