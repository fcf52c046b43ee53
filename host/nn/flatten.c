/* nn/flatten.c: Flatten. NCHW is already C,H,W order per example, so the output is the input
 * buffer under a new shape: no kernel at all. */
#include "nn.h"

static clcnn_status infer(clcnn_layer *l) {
    l->out = (clcnn_shape){(int)clcnn_shape_size(l->in), 1, 1};
    return CLCNN_STATUS_OK;
}

static clcnn_status pass(clcnn_layer *l, const clcnn_pass *p) {
    (void)l;
    (void)p;
    return CLCNN_STATUS_OK;
}

static double flops(const clcnn_layer *l, int phase) {
    (void)l;
    (void)phase;
    return 0;
}

CLCNN_LAYER_TYPE(flatten, infer, pass, pass, flops, 1);
