/* nn/max_pooling2d.c: MaxPool2D (pool size, strides defaulting to the pool size, padding). The
 * kernels come in two shapes, chosen with conv2d's layout (cl/kparams.h): a work-item per element
 * (GPUs) or per run of whole planes (CPUs). */
#include "cl/kparams.h"
#include "nn.h"

typedef struct pool_geom {
    int C, H, W, KH, KW, SH, SW, PT, PL, OH, OW;
} pool_geom;

static pool_geom geom(const clcnn_layer *l) {
    pool_geom g = {l->in.c, l->in.h, l->in.w, l->spec.pool_size[0], l->spec.pool_size[1], 0, 0,
                   0, 0, 0, 0};
    g.SH = l->spec.strides[0] ? l->spec.strides[0] : g.KH;
    g.SW = l->spec.strides[1] ? l->spec.strides[1] : g.KW;
    clcnn_window(g.H, g.KH, g.SH, l->spec.padding, &g.OH, &g.PT);
    clcnn_window(g.W, g.KW, g.SW, l->spec.padding, &g.OW, &g.PL);
    return g;
}

static clcnn_status infer(clcnn_layer *l) {
    const clcnn_layer_spec *s = &l->spec;
    if (s->pool_size[0] <= 0 || s->pool_size[1] <= 0 || s->strides[0] < 0 || s->strides[1] < 0)
        return clcnn_layer_fail(l, CLCNN_STATUS_BAD_SHAPE, "pool size and strides must be positive");
    pool_geom g = geom(l);
    if (g.OH <= 0 || g.OW <= 0)
        return clcnn_layer_fail(l, CLCNN_STATUS_BAD_SHAPE,
                                "a %dx%d pool does not fit a %dx%d input with 'valid' padding",
                                g.KH, g.KW, g.H, g.W);
    l->out = (clcnn_shape){g.C, g.OH, g.OW};
    return CLCNN_STATUS_OK;
}

#define PLANE_ITEMS_PER_UNIT 16

/* Launches a pool.cl kernel: over (gx, gy, planes), or for gx 0 a _planes kernel over runs of
 * planes. */
static clcnn_status launch(const clcnn_layer *l, const clcnn_pass *p, const char *name,
                           const clcnn_arg *buffers, int n_buffers, size_t gx, size_t gy,
                           double bytes) {
    pool_geom g = geom(l);
    cl_kernel k;
    CLCNN_TRY(clcnn_kernel_get(p->ctx, "pool.cl", name, &k));
    clcnn_arg args[16];
    for (int i = 0; i < n_buffers; i++) args[i] = buffers[i];
    int dims[11] = {g.C, g.H, g.W, g.KH, g.KW, g.SH, g.SW, g.PT, g.PL, g.OH, g.OW};
    for (int i = 0; i < 11; i++) args[n_buffers + i] = CLCNN_ARG(dims[i]);
    clcnn_profile_bytes(p->ctx, bytes);
    int planes = p->n * g.C;
    if (gx == 0) {
        /* Planes per work-item: about PLANE_ITEMS_PER_UNIT work-items per compute unit. */
        unsigned units = p->ctx->info.compute_units ? p->ctx->info.compute_units : 1;
        int per = (int)(planes / (PLANE_ITEMS_PER_UNIT * units));
        if (per < 1) per = 1;
        args[n_buffers + 11] = CLCNN_ARG(planes);
        args[n_buffers + 12] = CLCNN_ARG(per);
        size_t global[1] = {(size_t)(planes + per - 1) / per}, local[1] = {1};
        return clcnn_launch(p->ctx, k, 1, global, local, args, n_buffers + 13);
    }
    size_t global[3] = {gx, gy, (size_t)planes};
    return clcnn_launch(p->ctx, k, 3, global, NULL, args, n_buffers + 11);
}

/* Bytes of n tensors of the input's size and m of the output's. */
static double tensors(const clcnn_layer *l, const clcnn_pass *p, int n, int m) {
    double in = (double)clcnn_shape_size(l->in), out = (double)clcnn_shape_size(l->out);
    return 4.0 * p->n * (n * in + m * out);
}

static clcnn_status forward(clcnn_layer *l, const clcnn_pass *p) {
    clcnn_arg bufs[] = {CLCNN_ARG(p->x), CLCNN_ARG(p->y)};
    if (!clcnn_conv_items(p->ctx))
        return launch(l, p, "maxpool_forward_planes", bufs, 2, 0, 0, tensors(l, p, 1, 1));
    return launch(l, p, "maxpool_forward", bufs, 2, (size_t)l->out.w, (size_t)l->out.h,
                  tensors(l, p, 1, 1));
}

/* Per element: windows that do not overlap scatter from each window (race-free: each input has
 * at most one); overlapping ones gather per input element. */
static clcnn_status backward(clcnn_layer *l, const clcnn_pass *p) {
    if (!p->dx) return CLCNN_STATUS_OK;
    pool_geom g = geom(l);
    clcnn_arg bufs[] = {CLCNN_ARG(p->x), CLCNN_ARG(p->dy), CLCNN_ARG(p->dx)};
    if (!clcnn_conv_items(p->ctx))
        return launch(l, p, "maxpool_backward_planes", bufs, 3, 0, 0, tensors(l, p, 2, 1));
    if (g.KH <= g.SH && g.KW <= g.SW)
        return launch(l, p, "maxpool_backward_scatter", bufs, 3, (size_t)l->out.w,
                      (size_t)l->out.h, tensors(l, p, 2, 1));
    return launch(l, p, "maxpool_backward", bufs, 3, (size_t)l->in.w, (size_t)l->in.h,
                  tensors(l, p, 2, 1));
}

static double flops(const clcnn_layer *l, int phase) {
    (void)phase;
    return (double)clcnn_shape_size(l->out) * l->spec.pool_size[0] * l->spec.pool_size[1];
}

CLCNN_LAYER_TYPE(max_pooling2d, infer, forward, backward, flops, 0);
