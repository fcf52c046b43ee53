/* train/checkpoint.h: optimizer-state files and history.csv (internal to train/). */
#ifndef CLCNN_CHECKPOINT_H
#define CLCNN_CHECKPOINT_H

#include "clcnn/train.h"
#include "core/core.h"

clcnn_status clcnn_opt_state_save(clcnn_model *m, const char *path, int epoch);
clcnn_status clcnn_opt_state_load(clcnn_model *m, const char *path, int *epoch);
clcnn_status clcnn_history_write(const char *path, const clcnn_epoch_metrics *h, int n);
clcnn_status clcnn_history_read(const char *path, clcnn_epoch_metrics *h, int max, int *n);

#endif
