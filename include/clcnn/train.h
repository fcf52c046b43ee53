/* clcnn/train.h: fit, evaluate and predict, model files, and training history.
 *
 * Files follow docs/architecture.md ("Files other programs read"): DIR/model.safetensors (F32 tensors layers.<i>.weight/.bias and
 * __metadata__ clcnn.version, clcnn.config, clcnn.classes), DIR/history.csv (Keras' CSVLogger
 * columns), DIR/optimizer.safetensors (state for --resume). Every file is written atomically. */
#ifndef CLCNN_TRAIN_H
#define CLCNN_TRAIN_H

#include "clcnn/model.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CLCNN_MAX_EPOCHS 1000

typedef struct clcnn_epoch_metrics {
    int epoch;            /* counted from 1 */
    double loss, accuracy;
    double val_loss, val_accuracy; /* NAN without a validation split */
    double seconds;
    double images_per_second;
} clcnn_epoch_metrics;

/* An epoch's value of metric (clcnn/spec.h): NAN for a validation metric without a validation
 * split, and for a value outside the enum. */
CLCNN_API double clcnn_epoch_metric(const clcnn_epoch_metrics *metrics, clcnn_metric metric);

/* What a progress callback sees, during an epoch (final = 0) and at its end (final = 1). */
typedef struct clcnn_progress {
    int epoch, epochs;    /* epoch counted from 1 */
    int step, steps;
    double loss, accuracy; /* running means over the epoch so far */
    double images_per_second;
    double elapsed, eta;  /* seconds */
    int final;
    const clcnn_epoch_metrics *metrics; /* when final; NULL otherwise */
} clcnn_progress;

/* p, and the metrics it points to, are the library's and valid during the call only. */
typedef void (*clcnn_progress_fn)(const clcnn_progress *p, void *user);

typedef struct clcnn_fit_options {
    const char *out_dir;       /* where model, history and optimizer state go; NULL = nowhere */
    const char *init_model;    /* start from these weights (--init); NULL = fresh */
    int resume;                /* continue the run in out_dir (--resume) */
    int initial_epoch;         /* epochs already done by init_model (Hyperband); 0 otherwise */
    int evaluate_test;         /* evaluate the test set at the end (default 1) */
    volatile int *stop;        /* set to non-zero (Ctrl-C) to stop after the current step */
    clcnn_progress_fn progress;
    void *user;
    double progress_interval;  /* seconds between progress calls during an epoch (default 0.5) */
    /* Under MPI with several ranks (`mpirun -n N clcnn train`): train data-parallel, each rank on
     * its share of every batch of train.batch_size; rank 0 alone reads init_model and the resumed
     * run and writes out_dir, and alone gets progress calls and the test evaluation. 0 (the
     * default): every rank trains on its own, as `mpirun clcnn tune`'s trials do. */
    int data_parallel;
} clcnn_fit_options;

CLCNN_API clcnn_fit_options clcnn_fit_options_default(void);

typedef struct clcnn_fit_result {
    int epochs_done;                 /* epochs in history (including resumed ones) */
    clcnn_epoch_metrics history[CLCNN_MAX_EPOCHS];
    double test_loss, test_accuracy; /* NAN when not evaluated */
    int stopped;                     /* stopped early by *stop */
    int stopped_early_epoch;         /* early stopping ended training after this epoch; 0 = no */
    int restored_epoch;              /* restore_best_weights restored this epoch's; 0 = no */
    double seconds;
} clcnn_fit_result;

/* Trains spec's model on spec's data. A loss that becomes NaN or infinite ends the run with
 * CLCNN_STATUS_NUMERIC_ERROR (the history so far is kept in *result). */
CLCNN_API clcnn_status clcnn_fit(clcnn_context *ctx, const clcnn_spec *spec, const clcnn_fit_options *opt,
                                 clcnn_fit_result *result);

typedef struct clcnn_eval_result {
    int n, classes;
    double loss, accuracy;
    double per_class_accuracy[CLCNN_MAX_CLASSES];
    int64_t confusion[CLCNN_MAX_CLASSES][CLCNN_MAX_CLASSES]; /* [true][predicted] */
} clcnn_eval_result;

/* Evaluates a model on the test set its spec names, streamed from the files when it does not
 * fit data.cache_mb (data.streaming), as clcnn_fit does. */
CLCNN_API clcnn_status clcnn_evaluate_test_set(clcnn_model *model, clcnn_eval_result *out);

/* Evaluates a model on a dataset (inference mode). */
CLCNN_API clcnn_status clcnn_evaluate(clcnn_model *model, const clcnn_dataset *ds, clcnn_eval_result *out);

/* ---- model files --------------------------------------------------------------------------- */
/* Writes the model (weights and self-describing metadata) to path atomically. */
CLCNN_API clcnn_status clcnn_model_save(clcnn_model *model, const char *path);
/* Reads a model file's config (metadata clcnn.config) into *spec. */
CLCNN_API clcnn_status clcnn_model_file_spec(const char *path, clcnn_spec *spec);
/* Loads weights from a model file into a model of the same architecture; a missing tensor or a
 * shape mismatch is an error naming the tensor. */
CLCNN_API clcnn_status clcnn_model_load_weights(clcnn_model *model, const char *path);
/* Rebuilds the model a file describes (its clcnn.config) on ctx and loads its weights: what
 * `clcnn eval` and `clcnn predict` do. max_batch <= 0 takes the file's train.batch_size. On
 * failure *out is NULL. The context must outlive the model. */
CLCNN_API clcnn_status clcnn_model_open(clcnn_context *ctx, const char *path, int max_batch,
                                        clcnn_model **out);
/* The spec a model was built from: the model's own copy, made by clcnn_model_create. It belongs
 * to the model: do not free it; it stays valid, and unchanged, until clcnn_model_destroy
 * (clcnn_model_set_learning_rate changes the rate of the next steps, not this spec's
 * train.optimizer.learning_rate). Copy it (`clcnn_spec s = *p;`) to keep it longer. */
CLCNN_API const clcnn_spec *clcnn_model_get_spec(const clcnn_model *model);

#ifdef __cplusplus
}
#endif
#endif
