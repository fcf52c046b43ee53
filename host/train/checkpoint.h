/* train/checkpoint.h: optimizer-state files, history.csv, run.json and test_predictions.bin
 * (internal to train/; report/ reads the last three). */
#ifndef CLCNN_CHECKPOINT_H
#define CLCNN_CHECKPOINT_H

#include "clcnn/train.h"
#include "core/core.h"
#include "train/safetensors.h"

clcnn_status clcnn_opt_state_save(clcnn_model *m, const char *path, int epoch);
/* The epoch and step of a read optimizer-state file, checked: the tensor holds count values,
 * the epoch is 0 to CLCNN_MAX_EPOCHS, the step >= 0. */
clcnn_status clcnn_opt_state_check(const char *path, const clcnn_safetensors *st, size_t count,
                                   int *epoch, int64_t *step);
clcnn_status clcnn_opt_state_load(clcnn_model *m, const char *path, int *epoch);
clcnn_status clcnn_history_write(const char *path, const clcnn_epoch_metrics *h, int n);
/* Reads history.csv back; a line that is not epoch,accuracy,loss,val_accuracy,val_loss numbers
 * is a PARSE_ERROR naming the file and line. */
clcnn_status clcnn_history_read(const char *path, clcnn_epoch_metrics *h, int max, int *n);

/* run.json: the device, and per epoch its seconds, images per second and learning rate at its
 * first step. */
typedef struct clcnn_run_info {
    char device[256], platform[128];
    int n_epochs;
    double seconds[CLCNN_MAX_EPOCHS], images_per_second[CLCNN_MAX_EPOCHS];
    double learning_rate[CLCNN_MAX_EPOCHS];
} clcnn_run_info;
clcnn_status clcnn_run_info_write(const char *path, const clcnn_device_info *dev,
                                  const clcnn_epoch_metrics *h, const double *lr, int n);
clcnn_status clcnn_run_info_read(const char *path, clcnn_run_info *info);

/* test_predictions.bin: the class probabilities (n x classes floats) of the run's final test
 * evaluation, so that the report need not evaluate the model again. A cache entry (core.h) whose
 * key hashes the model file's bytes and the test set, so a file left from another model (a
 * resumed or stopped run rewrote model.safetensors) or another test set is never used. */
clcnn_status clcnn_test_predictions_write(const char *path, const char *model_path,
                                          const clcnn_dataset *test, int classes, const float *probs);
/* 1 with the probabilities in probs (n x classes floats) if path holds them for exactly this model
 * file, test set and class count; 0 if it is missing, stale or damaged (the caller evaluates). */
int clcnn_test_predictions_read(const char *path, const char *model_path, const clcnn_dataset *test,
                                int classes, float *probs);

#endif
