/* nn/average_pooling2d.c: AveragePooling2D (pool size, strides defaulting to the pool size,
 * padding; "same" windows average only the positions inside the input, as TensorFlow's), and
 * the launch of kernels/avgpool.cl that GlobalAveragePooling2D shares. */
#include "nn.h"

/* dims: C, H, W, KH, KW, SH, SW, PT, PL, OH, OW. */
clcnn_status clcnn_nn_avgpool(const clcnn_pass *p, const int dims[11], int forward) {
    cl_kernel k;
    CLCNN_TRY(clcnn_kernel_get(p->ctx, "avgpool.cl", forward ? "avgpool_forward" : "avgpool_backward", &k));
    clcnn_arg args[13];
    args[0] = forward ? CLCNN_ARG(p->x) : CLCNN_ARG(p->dy);
    args[1] = forward ? CLCNN_ARG(p->y) : CLCNN_ARG(p->dx);
    for (int i = 0; i < 11; i++) args[2 + i] = CLCNN_ARG(dims[i]);
    size_t global[3] = {(size_t)(forward ? dims[10] : dims[2]), (size_t)(forward ? dims[9] : dims[1]),
                        (size_t)p->n * dims[0]};
    return clcnn_launch(p->ctx, k, 3, global, NULL, args, 13);
}

typedef struct avg_geom {
    int v[11];
} avg_geom;

static avg_geom geom(const clcnn_layer *l) {
    const clcnn_layer_spec *s = &l->spec;
    int kh = s->pool_size[0], kw = s->pool_size[1];
    int sh = s->strides[0] ? s->strides[0] : kh, sw = s->strides[1] ? s->strides[1] : kw;
    avg_geom g = {{l->in.c, l->in.h, l->in.w, kh, kw, sh, sw, 0, 0, 0, 0}};
    clcnn_window(l->in.h, kh, sh, s->padding, &g.v[9], &g.v[7]);
    clcnn_window(l->in.w, kw, sw, s->padding, &g.v[10], &g.v[8]);
    return g;
}

static clcnn_status infer(clcnn_layer *l) {
    const clcnn_layer_spec *s = &l->spec;
    if (s->pool_size[0] <= 0 || s->pool_size[1] <= 0 || s->strides[0] < 0 || s->strides[1] < 0)
        return clcnn_layer_fail(l, CLCNN_STATUS_BAD_SHAPE, "pool size and strides must be positive");
    avg_geom g = geom(l);
    if (g.v[9] <= 0 || g.v[10] <= 0)
        return clcnn_layer_fail(l, CLCNN_STATUS_BAD_SHAPE,
                                "a %dx%d pool does not fit a %dx%d input with 'valid' padding",
                                g.v[3], g.v[4], l->in.h, l->in.w);
    l->out = (clcnn_shape){l->in.c, g.v[9], g.v[10]};
    return CLCNN_STATUS_OK;
}

static clcnn_status forward(clcnn_layer *l, const clcnn_pass *p) {
    avg_geom g = geom(l);
    return clcnn_nn_avgpool(p, g.v, 1);
}

static clcnn_status backward(clcnn_layer *l, const clcnn_pass *p) {
    if (!p->dx) return CLCNN_STATUS_OK;
    avg_geom g = geom(l);
    return clcnn_nn_avgpool(p, g.v, 0);
}

static double flops(const clcnn_layer *l, int phase) {
    (void)phase;
    return (double)clcnn_shape_size(l->out) * l->spec.pool_size[0] * l->spec.pool_size[1];
}

CLCNN_LAYER_TYPE(average_pooling2d, infer, forward, backward, flops, 0);
