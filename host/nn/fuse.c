/* nn/fuse.c: the layer-fusion pass of model building. A relu layer after batch_normalization is
 * done by the batch norm's own kernels (l->relu: max(y, 0) in bn_apply, the mask in
 * bn_backward_reduce), saving a pass over the activations forward and one backward. The relu
 * layer stays in the model (its name, summary row and profile tag) but runs nothing: its output
 * and gradient buffers are the batch norm's. The arithmetic is the same, so the results are the
 * same bits as unfused. */
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"

/* CLCNN_FUSE: unset or 1 fuses, 0 does not; anything else is an error naming it. */
static clcnn_status fuse_enabled(int *on) {
    const char *e = getenv("CLCNN_FUSE");
    *on = !e || !*e || strcmp(e, "1") == 0;
    if (e && *e && strcmp(e, "0") != 0 && strcmp(e, "1") != 0)
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "CLCNN_FUSE='%s': expected 0 or 1", e);
    return CLCNN_STATUS_OK;
}

/* Only the relu layer type: `activation: relu` runs activation.cl's function, whose bits (the
 * sign of a zero) need not be relu_forward's fmax. */
static int fusable_pair(const clcnn_layer *a, const clcnn_layer *b) {
    return a->type == &clcnn_layer_batch_normalization && !a->relu && !a->act && !a->fused &&
           b->type == &clcnn_layer_relu;
}

clcnn_status clcnn_model_fuse(clcnn_model *m) {
    int on;
    CLCNN_TRY(fuse_enabled(&on));
    for (int i = 0; on && i + 1 < m->n_layers; i++) {
        if (!fusable_pair(&m->layers[i], &m->layers[i + 1])) continue;
        m->layers[i].relu = 1;
        m->layers[i + 1].fused = 1;
    }
    return CLCNN_STATUS_OK;
}
