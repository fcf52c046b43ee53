/* nn/conv2d.c: Conv2D as im2col + a matrix product (cl/gemm.h picks our kernels or CLBlast),
 * or, per phase where measured faster, by the direct kernels of nn/conv2d_direct.c.
 * Weights [filters][channels][kh][kw] (PyTorch's layout), bias [filters]; ReLU fused. */
#include "cl/kparams.h"
#include "conv2d.h"

typedef clcnn_conv_geom conv_geom;

static conv_geom geom(const clcnn_layer *l) {
    conv_geom g;
    g.C = l->in.c, g.H = l->in.h, g.W = l->in.w, g.K = l->out.c;
    g.KH = l->spec.kernel_size[0], g.KW = l->spec.kernel_size[1];
    g.SH = l->spec.strides[0] ? l->spec.strides[0] : 1;
    g.SW = l->spec.strides[1] ? l->spec.strides[1] : 1;
    g.OH = l->out.h, g.OW = l->out.w;
    clcnn_window(g.H, g.KH, g.SH, l->spec.padding, &g.OH, &g.PT);
    clcnn_window(g.W, g.KW, g.SW, l->spec.padding, &g.OW, &g.PL);
    g.P = g.OH * g.OW;
    g.ldp = (int)clcnn_round_up((size_t)g.P, 32);
    g.R = g.C * g.KH * g.KW;
    return g;
}

clcnn_conv_geom clcnn_conv_geom_of(const clcnn_layer *l) { return geom(l); }

static clcnn_status infer(clcnn_layer *l) {
    const clcnn_layer_spec *s = &l->spec;
    if (s->filters <= 0) return clcnn_layer_fail(l, CLCNN_STATUS_BAD_SHAPE, "filters must be positive");
    if (s->kernel_size[0] <= 0 || s->kernel_size[1] <= 0 || s->strides[0] < 0 || s->strides[1] < 0)
        return clcnn_layer_fail(l, CLCNN_STATUS_BAD_SHAPE, "kernel size and strides must be positive");
    int sh = s->strides[0] ? s->strides[0] : 1, sw = s->strides[1] ? s->strides[1] : 1;
    int oh, ow, pt, pl;
    if (!clcnn_window(l->in.h, s->kernel_size[0], sh, s->padding, &oh, &pt) ||
        !clcnn_window(l->in.w, s->kernel_size[1], sw, s->padding, &ow, &pl))
        return clcnn_layer_fail(l, CLCNN_STATUS_BAD_SHAPE,
                                "a %dx%d kernel does not fit a %dx%d input with 'valid' padding "
                                "(output n-f+1 <= 0); use a smaller kernel or padding: same",
                                s->kernel_size[0], s->kernel_size[1], l->in.h, l->in.w);
    l->out = (clcnn_shape){s->filters, oh, ow};
    int64_t wshape[4] = {s->filters, l->in.c, s->kernel_size[0], s->kernel_size[1]};
    size_t rf = (size_t)s->kernel_size[0] * s->kernel_size[1];
    clcnn_layer_add_param(l, "weight", 4, wshape, l->in.c * rf, s->filters * rf);
    if (s->use_bias) clcnn_layer_add_param(l, "bias", 1, &wshape[0], 0, 0);
    conv_geom g = geom(l);
    l->workspace = clcnn_conv_workspace(&g);
    return CLCNN_STATUS_OK;
}

/* im2col or col2im: per plane with local size 1 (CPUs), or per element (GPUs). */
static clcnn_status transform(const clcnn_layer *l, const clcnn_pass *p, int to_col, cl_mem a,
                              cl_mem b) {
    conv_geom g = geom(l);
    cl_kernel k;
    int items = clcnn_conv_items(p->ctx);
    const char *name = to_col ? (items ? "im2col_items" : "im2col")
                              : (items ? "col2im_items" : "col2im");
    CLCNN_TRY(clcnn_kernel_get(p->ctx, "conv.cl", name, &k));
    clcnn_arg args[] = {CLCNN_ARG(a),    CLCNN_ARG(b),    CLCNN_ARG(g.C),  CLCNN_ARG(g.H),
                        CLCNN_ARG(g.W),  CLCNN_ARG(g.KH), CLCNN_ARG(g.KW), CLCNN_ARG(g.SH),
                        CLCNN_ARG(g.SW), CLCNN_ARG(g.PT), CLCNN_ARG(g.PL), CLCNN_ARG(g.OH),
                        CLCNN_ARG(g.OW), CLCNN_ARG(g.ldp)};
    if (items) {
        size_t global[3] = {to_col ? (size_t)g.ldp : (size_t)g.W, to_col ? (size_t)g.R : (size_t)g.H,
                            to_col ? (size_t)p->n : (size_t)p->n * g.C};
        return clcnn_launch(p->ctx, k, 3, global, NULL, args, 14);
    }
    size_t global[2] = {(size_t)g.C, (size_t)p->n}, local[2] = {1, 1};
    return clcnn_launch(p->ctx, k, 2, global, local, args, 14);
}

static clcnn_status im2col(const clcnn_layer *l, const clcnn_pass *p) {
    return transform(l, p, 1, p->x, p->workspace);
}

/* Route keys name the layer's geometry, not the batch size. */
static void route_key(const clcnn_layer *l, const char *phase, char *key, size_t n) {
    conv_geom g = geom(l);
    snprintf(key, n, "conv-%s-%dx%dx%d-k%dx%dx%d-s%dx%d-p%dx%d-b%dr%d", phase, g.C, g.H, g.W, g.K,
             g.KH, g.KW, g.SH, g.SW, g.PT, g.PL, l->spec.use_bias, l->relu);
}

static clcnn_status forward_run(clcnn_layer *l, const clcnn_pass *p, int alg, int again) {
    (void)again;
    if (alg == CLCNN_CONV_DIRECT) return clcnn_conv_direct_forward(l, p);
    conv_geom g = geom(l);
    char key[96];
    route_key(l, "fwd", key, sizeof key);
    CLCNN_TRY(im2col(l, p));
    clcnn_gemm_op op = {
        .kind = CLCNN_GEMM_NN, .M = g.K, .N = g.P, .K = g.R, .batch = p->n,
        .A = p->params, .a_off = l->param_offset[0], .lda = g.R,
        .B = p->workspace, .b_batch = (size_t)g.R * g.ldp, .ldb = g.ldp,
        .C = p->y, .c_batch = (size_t)g.K * g.P, .ldc = g.P,
        .relu = l->relu, .route_key = key,
    };
    if (l->spec.use_bias) {
        op.bias = p->params;
        op.bias_off = l->param_offset[1];
        op.bias_mode = 1;
    }
    return clcnn_gemm(p->ctx, &op, l->route, NULL);
}

/* The algorithm of a phase ("afwd", "adw", "adx"), measured once per geometry (conv2d.h). */
static clcnn_status algorithm(clcnn_layer *l, const clcnn_pass *p, const char *phase,
                              clcnn_conv_run run, int *alg, int *raced) {
    char key[96];
    route_key(l, phase, key, sizeof key);
    return clcnn_conv_choose(l, p, key, run, alg, raced);
}

static clcnn_status forward(clcnn_layer *l, const clcnn_pass *p) {
    int alg, raced;
    CLCNN_TRY(algorithm(l, p, "afwd", forward_run, &alg, &raced));
    return forward_run(l, p, alg, raced);
}

/* The weight gradient. im2col's needs forward's columns in the workspace: made again when
 * forward ran direct or another candidate overwrote them (again). */
static clcnn_status filter_run(clcnn_layer *l, const clcnn_pass *p, int alg, int again) {
    conv_geom g = geom(l);
    int fwd, raced;
    CLCNN_TRY(algorithm(l, p, "afwd", forward_run, &fwd, &raced));
    if (alg == CLCNN_CONV_DIRECT) return clcnn_conv_direct_filter(l, p, fwd == CLCNN_CONV_DIRECT);
    if (fwd != CLCNN_CONV_IM2COL || again || raced) CLCNN_TRY(im2col(l, p));
    char key_w[96];
    route_key(l, "dw", key_w, sizeof key_w);
    clcnn_gemm_op dw = {
        .kind = CLCNN_GEMM_NT_SUM, .M = g.K, .N = g.R, .K = g.P, .batch = p->n,
        .A = p->dy, .a_batch = (size_t)g.K * g.P, .lda = g.P,
        .B = p->workspace, .b_batch = (size_t)g.R * g.ldp, .ldb = g.ldp,
        .C = p->grads, .c_off = l->param_offset[0], .ldc = g.R, .route_key = key_w,
    };
    return clcnn_gemm(p->ctx, &dw, l->route, NULL);
}

static clcnn_status data_run(clcnn_layer *l, const clcnn_pass *p, int alg, int again) {
    (void)again;
    if (alg == CLCNN_CONV_DIRECT) return clcnn_conv_direct_data(l, p);
    conv_geom g = geom(l);
    char key_x[96];
    route_key(l, "dx", key_x, sizeof key_x);
    clcnn_gemm_op dcol = {
        .kind = CLCNN_GEMM_TN, .M = g.R, .N = g.P, .K = g.K, .batch = p->n,
        .A = p->params, .a_off = l->param_offset[0], .lda = g.R,
        .B = p->dy, .b_batch = (size_t)g.K * g.P, .ldb = g.P,
        .C = p->workspace, .c_batch = (size_t)g.R * g.ldp, .ldc = g.ldp, .route_key = key_x,
    };
    CLCNN_TRY(clcnn_gemm(p->ctx, &dcol, l->route, NULL));
    return transform(l, p, 0, p->workspace, p->dx);
}

static clcnn_status backward(clcnn_layer *l, const clcnn_pass *p) {
    conv_geom g = geom(l);
    if (l->relu) CLCNN_TRY(clcnn_nn_relu_mask(p->ctx, p->y, p->dy, (size_t)p->n * g.K * g.P));
    if (l->spec.use_bias)
        CLCNN_TRY(clcnn_nn_bias_grad(p->ctx, p->dy, p->n, g.K, g.P, p->grads, l->param_offset[1]));
    /* dW first: it reads what forward left in the workspace, which dx then overwrites. */
    int alg, raced;
    CLCNN_TRY(algorithm(l, p, "adw", filter_run, &alg, &raced));
    CLCNN_TRY(filter_run(l, p, alg, raced));
    if (!p->dx) return CLCNN_STATUS_OK;
    CLCNN_TRY(algorithm(l, p, "adx", data_run, &alg, &raced));
    return data_run(l, p, alg, raced);
}

static double flops(const clcnn_layer *l, int phase) {
    conv_geom g = geom(l);
    double f = 2.0 * g.K * g.P * (double)g.R;
    return phase == 0 ? f : 2 * f;
}

CLCNN_LAYER_TYPE(conv2d, infer, forward, backward, flops, 0);
