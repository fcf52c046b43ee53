/* clcnn/selftest.h: the conformance check a user runs on a new device or driver: every layer's
 * kernels, forward and backward, by every GEMM route, the loss and the optimizers, in each
 * kernel variant, on small odd shapes, against the plain-C double reference. */
#ifndef CLCNN_SELFTEST_H
#define CLCNN_SELFTEST_H

#include "clcnn/device.h"
#include "clcnn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One checked output. It passes when every value satisfies |got - want| <= atol + rtol |want|
 * (a NaN never does); worst is the largest |got - want| / (atol + rtol |want|), so <= 1 passes. */
typedef struct clcnn_selftest_row {
    char kernel[40];   /* the layer and pass, e.g. "conv2d backward dw" */
    char variant[64];  /* route and shape, e.g. "clblast 3x9x11 k5 3x3 s2 same" */
    double max_error;  /* the largest |got - want| */
    double worst;      /* the largest error as a share of its tolerance */
    double rtol, atol;
    int pass;
    double seconds;    /* the pass that produced it, timed after a warm-up run */
} clcnn_selftest_row;

typedef void (*clcnn_selftest_report)(const clcnn_selftest_row *row, void *user);

/* Runs every case on ctx, calling report for each row as it is done; *failures counts the rows
 * that did not pass. An error (a kernel that does not build, an allocation) stops the run and is
 * returned; rows already reported stay reported. */
clcnn_status clcnn_selftest_run(clcnn_context *ctx, clcnn_selftest_report report, void *user,
                                int *failures);

#ifdef __cplusplus
}
#endif

#endif
