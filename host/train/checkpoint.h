/* train/checkpoint.h: optimizer-state files, history.csv and run.json (internal to train/;
 * report/ reads the last two). */
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

#endif
