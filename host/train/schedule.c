/* train/schedule.c: learning-rate schedules (constant, step decay, Keras' CosineDecay, with an
 * optional linear warm-up) and Keras' EarlyStopping rule. */
#include <math.h>
#include <string.h>

#include "core/core.h"
#include "schedule.h"

double clcnn_lr_at(const clcnn_train_spec *t, int epoch, int step, int steps_per_epoch) {
    const clcnn_lr_schedule_spec *s = &t->lr_schedule;
    double lr = t->optimizer.learning_rate;
    long warm = (long)s->warmup_epochs * steps_per_epoch;
    long now = (long)epoch * steps_per_epoch + step;
    if (now < warm) return lr * (double)(now + 1) / (double)warm;
    int schedule = clcnn_name_find(&clcnn_lr_schedule_names, s->name);
    if (schedule == CLCNN_LR_SCHEDULE_STEP)
        return lr * pow(s->drop, floor((double)(epoch - s->warmup_epochs) / s->every));
    if (schedule == CLCNN_LR_SCHEDULE_COSINE) {
        long total = (long)t->epochs * steps_per_epoch - warm;
        double done = total > 0 ? (double)(now - warm) / (double)total : 1.0;
        if (done > 1.0) done = 1.0; /* epochs past the plan (a resumed longer run) stay at the end */
        double cosine = 0.5 * (1.0 + cos(3.14159265358979323846 * done));
        return lr * ((1.0 - s->alpha) * cosine + s->alpha);
    }
    return lr;
}

void clcnn_early_stop_init(clcnn_early_stop *es) {
    es->wait = 0;
    es->best = NAN;
    es->best_epoch = -1;
}

/* Keras' _is_improvement: the change must beat min_delta in the metric's direction. */
static int improves(double value, double best, double min_delta, int maximize) {
    if (isnan(best)) return 1;
    return maximize ? value - min_delta > best : value + min_delta < best;
}

int clcnn_early_stop_update(clcnn_early_stop *es, const clcnn_early_stopping_spec *spec,
                            int maximize, int epoch, double value, int *improved) {
    *improved = 0;
    if (isnan(value)) return 0;
    es->wait++;
    if (improves(value, es->best, spec->min_delta, maximize)) {
        es->best = value;
        es->best_epoch = epoch;
        es->wait = 0;
        *improved = 1;
        return 0;
    }
    return es->wait >= spec->patience && epoch > 0;
}
