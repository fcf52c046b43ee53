/* nn/global_average_pooling2d.c: GlobalAveragePooling2D, (C, H, W) -> (C, 1, 1), ready for
 * dense without a flatten: one averaging window over the whole plane (nn/average_pooling2d.c's
 * kernels). */
#include "nn.h"

static clcnn_status infer(clcnn_layer *l) {
    l->out = (clcnn_shape){l->in.c, 1, 1};
    return CLCNN_STATUS_OK;
}

/* One window of the plane: pool H x W, stride 1, no padding, output 1 x 1. */
static void dims(const clcnn_layer *l, int d[11]) {
    const int v[11] = {l->in.c, l->in.h, l->in.w, l->in.h, l->in.w, 1, 1, 0, 0, 1, 1};
    for (int i = 0; i < 11; i++) d[i] = v[i];
}

static clcnn_status forward(clcnn_layer *l, const clcnn_pass *p) {
    int d[11];
    dims(l, d);
    return clcnn_nn_avgpool(p, d, 1);
}

static clcnn_status backward(clcnn_layer *l, const clcnn_pass *p) {
    if (!p->dx) return CLCNN_STATUS_OK;
    int d[11];
    dims(l, d);
    return clcnn_nn_avgpool(p, d, 0);
}

static double flops(const clcnn_layer *l, int phase) {
    (void)phase;
    return (double)clcnn_shape_size(l->in);
}

CLCNN_LAYER_TYPE(global_average_pooling2d, infer, forward, backward, flops, 0);
