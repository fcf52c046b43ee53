/* nn/average_pooling2d.c: AveragePooling2D (pool size, strides defaulting to the pool size,
 * padding; "same" windows average only the positions inside the input, as TensorFlow's). The
 * launch helper is shared with GlobalAveragePooling2D, which is one window over the plane. */
#include "nn.h"

/* Window geometry: C, H, W, KH, KW, SH, SW, PT, PL, OH, OW. */
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

/* The global layer's geometry: one window of the whole plane, output 1x1. */
static avg_geom global_geom(const clcnn_layer *l) {
    avg_geom g = {{l->in.c, l->in.h, l->in.w, l->in.h, l->in.w, 1, 1, 0, 0, 1, 1}};
    return g;
}

static clcnn_status launch(const clcnn_layer *l, const clcnn_pass *p, const avg_geom *g, int fwd) {
    cl_kernel k;
    CLCNN_TRY(clcnn_kernel_get(p->ctx, "avgpool.cl", fwd ? "avgpool_forward" : "avgpool_backward", &k));
    clcnn_arg args[13];
    args[0] = fwd ? CLCNN_ARG(p->x) : CLCNN_ARG(p->dy);
    args[1] = fwd ? CLCNN_ARG(p->y) : CLCNN_ARG(p->dx);
    for (int i = 0; i < 11; i++) args[2 + i] = CLCNN_ARG(g->v[i]);
    size_t global[3] = {(size_t)(fwd ? g->v[10] : g->v[2]), (size_t)(fwd ? g->v[9] : g->v[1]),
                        (size_t)p->n * l->in.c};
    return clcnn_launch(p->ctx, k, 3, global, NULL, args, 13);
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
    return launch(l, p, &g, 1);
}

static clcnn_status backward(clcnn_layer *l, const clcnn_pass *p) {
    if (!p->dx) return CLCNN_STATUS_OK;
    avg_geom g = geom(l);
    return launch(l, p, &g, 0);
}

static double flops(const clcnn_layer *l, int phase) {
    (void)phase;
    return (double)clcnn_shape_size(l->out) * l->spec.pool_size[0] * l->spec.pool_size[1];
}

const clcnn_layer_type clcnn_layer_average_pooling2d = {"average_pooling2d", infer, forward,
                                                        backward, flops, 0};

/* ---- GlobalAveragePooling2D: (C, H, W) -> (C, 1, 1), ready for dense without flatten ---- */

static clcnn_status global_infer(clcnn_layer *l) {
    l->out = (clcnn_shape){l->in.c, 1, 1};
    return CLCNN_STATUS_OK;
}

static clcnn_status global_forward(clcnn_layer *l, const clcnn_pass *p) {
    avg_geom g = global_geom(l);
    return launch(l, p, &g, 1);
}

static clcnn_status global_backward(clcnn_layer *l, const clcnn_pass *p) {
    if (!p->dx) return CLCNN_STATUS_OK;
    avg_geom g = global_geom(l);
    return launch(l, p, &g, 0);
}

static double global_flops(const clcnn_layer *l, int phase) {
    (void)phase;
    return (double)clcnn_shape_size(l->in);
}

const clcnn_layer_type clcnn_layer_global_average_pooling2d = {
    "global_average_pooling2d", global_infer, global_forward, global_backward, global_flops, 0};
