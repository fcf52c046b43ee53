/* train/schedule.h: the training controls the fit loop applies between steps and epochs:
 * learning-rate schedules and Keras' EarlyStopping rule (internal to train/; plain functions,
 * so unit tests check them without a device). */
#ifndef CLCNN_SCHEDULE_H
#define CLCNN_SCHEDULE_H

#include "clcnn/spec.h"

/* The learning rate of step `step` (from 0) of epoch `epoch` (from 0), for a run of
 * t->epochs epochs of steps_per_epoch steps (configs/README.md, train.lr_schedule). */
double clcnn_lr_at(const clcnn_train_spec *t, int epoch, int step, int steps_per_epoch);

/* EarlyStopping's state over a run. */
typedef struct clcnn_early_stop {
    int wait;       /* epochs since the last improvement */
    double best;    /* the best value so far; NAN before the first */
    int best_epoch; /* its epoch (from 0); -1 before the first */
} clcnn_early_stop;

void clcnn_early_stop_init(clcnn_early_stop *es);

/* Feeds epoch `epoch`'s value of the monitored metric (NAN: not available, ignored). Sets
 * *improved when it is the new best (the weights to keep) and returns 1 when training should
 * stop after this epoch, as Keras' on_epoch_end decides. maximize: accuracy-like metrics. */
int clcnn_early_stop_update(clcnn_early_stop *es, const clcnn_early_stopping_spec *spec,
                            int maximize, int epoch, double value, int *improved);

#endif
