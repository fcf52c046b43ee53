/* clcnn/report.h: one self-contained HTML page (Chart.js, styles, images and data inlined; it
 * needs no network) that shows a training run, a hyperparameter search or a clcnn-bench result.
 *
 *   training folder (model.safetensors + history.csv, `clcnn train --out`): loss and accuracy
 *     per epoch, the learning rate, device and timings (run.json), and from an evaluation of the
 *     model on its config's test set at report time: test accuracy, per-class accuracy, the
 *     confusion matrix and the most confidently misclassified images; the layer table and config.
 *   tuning folder (tune.json + trial_NNNN/trial.json, `clcnn tune --out`): best score so far,
 *     score against each hyperparameter, the trial table, Hyperband's brackets, the best curves.
 *   clcnn-bench --format csv or json file: GFLOP/s per kernel and route per device, and its peak.
 *
 * The page is written atomically: a failure leaves no file (nor an older one half-replaced). */
#ifndef CLCNN_REPORT_H
#define CLCNN_REPORT_H

#include <stddef.h>

#include "clcnn/device.h"
#include "clcnn/spec.h"
#include "clcnn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum clcnn_report_kind {
    CLCNN_REPORT_TRAINING = 0,
    CLCNN_REPORT_TUNING,
    CLCNN_REPORT_BENCH,
} clcnn_report_kind;

typedef struct clcnn_report_options {
    const char *out;      /* the HTML file; NULL = PATH/report.html (a bench file: PATH.html) */
    clcnn_context *ctx;   /* training reports evaluate the model here; NULL = open `device` */
    const char *device;   /* as clcnn_context_options.device (NULL = the default device) */
    int max_misclassified; /* images in the grid; 0 = the default, 24 */
} clcnn_report_options;

CLCNN_API clcnn_report_options clcnn_report_options_default(void);

typedef struct clcnn_report_result {
    clcnn_report_kind kind;
    char path[CLCNN_PATH_MAX + 32]; /* the file written */
    size_t bytes;
    double seconds;
} clcnn_report_result;

/* Writes the report of `path` (a training or tuning folder, or a bench CSV/JSON file; which one is
 * told by what it holds). Missing or malformed input is an error naming the file. */
CLCNN_API clcnn_status clcnn_report_write(const char *path, const clcnn_report_options *opt,
                                          clcnn_report_result *result);

#ifdef __cplusplus
}
#endif
#endif
