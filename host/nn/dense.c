/* nn/dense.c: Dense (fully connected): y = x W^T + b, W [units][inputs] (PyTorch's layout);
 * ReLU fused. The input is flattened in C,H,W order. */
#include "nn.h"

static clcnn_status infer(clcnn_layer *l) {
    if (l->spec.units <= 0) return clcnn_layer_fail(l, CLCNN_STATUS_BAD_SHAPE, "units must be positive");
    if (l->in.h != 1 || l->in.w != 1)
        return clcnn_layer_fail(l, CLCNN_STATUS_BAD_SHAPE,
                                "dense needs a flat input but gets %dx%dx%d; add a flatten layer "
                                "before it", l->in.h, l->in.w, l->in.c);
    l->out = (clcnn_shape){l->spec.units, 1, 1};
    int64_t wshape[2] = {l->spec.units, l->in.c};
    clcnn_layer_add_param(l, "weight", 2, wshape, (size_t)l->in.c, (size_t)l->spec.units);
    if (l->spec.use_bias) clcnn_layer_add_param(l, "bias", 1, wshape, 0, 0);
    return CLCNN_STATUS_OK;
}

/* Route keys name the layer's geometry, not the batch size. */
static void route_key(const clcnn_layer *l, const char *phase, char *key, size_t n) {
    snprintf(key, n, "dense-%s-%d-%d-b%dr%d", phase, l->in.c, l->out.c, l->spec.use_bias, l->relu);
}

static clcnn_status forward(clcnn_layer *l, const clcnn_pass *p) {
    int in = l->in.c, units = l->out.c;
    char key[96];
    route_key(l, "fwd", key, sizeof key);
    clcnn_gemm_op op = {
        .kind = CLCNN_GEMM_NT_SUM, .M = p->n, .N = units, .K = in, .batch = 1,
        .A = p->x, .lda = in, .B = p->params, .b_off = l->param_offset[0], .ldb = in,
        .C = p->y, .ldc = units, .relu = l->relu, .route_key = key,
    };
    if (l->spec.use_bias) {
        op.bias = p->params;
        op.bias_off = l->param_offset[1];
        op.bias_mode = 2;
    }
    return clcnn_gemm(p->ctx, &op, l->route, NULL);
}

static clcnn_status backward(clcnn_layer *l, const clcnn_pass *p) {
    int in = l->in.c, units = l->out.c;
    CLCNN_TRY(clcnn_nn_output_grad(p->ctx, l->relu ? p->y : NULL, p->dy, p->n, units, 1,
                                    l->spec.use_bias ? p->grads : NULL, l->param_offset[1]));
    char key_w[96], key_x[96];
    route_key(l, "dw", key_w, sizeof key_w);
    route_key(l, "dx", key_x, sizeof key_x);
    clcnn_gemm_op dw = {
        .kind = CLCNN_GEMM_TN, .M = units, .N = in, .K = p->n, .batch = 1,
        .A = p->dy, .lda = units, .B = p->x, .ldb = in,
        .C = p->grads, .c_off = l->param_offset[0], .ldc = in, .route_key = key_w,
    };
    CLCNN_TRY(clcnn_gemm(p->ctx, &dw, l->route, NULL));
    if (!p->dx) return CLCNN_STATUS_OK;
    clcnn_gemm_op dx = {
        .kind = CLCNN_GEMM_NN, .M = p->n, .N = in, .K = units, .batch = 1,
        .A = p->dy, .lda = units, .B = p->params, .b_off = l->param_offset[0], .ldb = in,
        .C = p->dx, .ldc = in, .route_key = key_x,
    };
    return clcnn_gemm(p->ctx, &dx, l->route, NULL);
}

static double flops(const clcnn_layer *l, int phase) {
    double f = 2.0 * l->in.c * l->out.c;
    return phase == 0 ? f : 2 * f;
}

CLCNN_LAYER_TYPE(dense, infer, forward, backward, flops, 0);
