// pool.cl: max pooling. Padded positions never win (Keras' "same" pooling ignores them).

// The maximum of the window's rows [h_lo, h_hi) and columns [w_lo, w_hi) inside the input.
float span_max(__global const float *plane, int W, int h_lo, int h_hi, int w_lo, int w_hi) {
    float best = -INFINITY;
    for (int h = h_lo; h < h_hi; h++)
        for (int w = w_lo; w < w_hi; w++) best = fmax(best, plane[h * W + w]);
    return best;
}

// The first maximum (ties go to the first, row-major) of the same span, as an index into the
// plane, -1 for an empty span; without branches on the values (random data mispredicts half of
// them). A NaN first cell keeps the window.
int span_argmax(__global const float *plane, int W, int h_lo, int h_hi, int w_lo, int w_hi) {
    if (h_lo >= h_hi || w_lo >= w_hi) return -1;
    int arg = h_lo * W + w_lo;
    float best = plane[arg];
    for (int h = h_lo; h < h_hi; h++)
        for (int w = w_lo; w < w_hi; w++) {
            float v = plane[h * W + w];
            int take = v > best;
            best = take ? v : best;
            arg = take ? h * W + w : arg;
        }
    return arg;
}

// Launch: global (OW, OH, n*C).
__kernel void maxpool_forward(__global const float *x, __global float *y, int C, int H, int W,
                              int KH, int KW, int SH, int SW, int PT, int PL, int OH, int OW) {
    int ow = get_global_id(0), oh = get_global_id(1), nc = get_global_id(2);
    if (ow >= OW || oh >= OH) return;
    int h_lo = max(0, oh * SH - PT), h_hi = min(H, oh * SH - PT + KH);
    int w_lo = max(0, ow * SW - PL), w_hi = min(W, ow * SW - PL + KW);
    __global const float *plane = x + (size_t)nc * H * W;
    y[((size_t)nc * OH + oh) * OW + ow] = span_max(plane, W, h_lo, h_hi, w_lo, w_hi);
}

// The first maximum of window (oh, ow), as span_argmax.
int window_argmax(__global const float *plane, int H, int W, int KH, int KW, int SH, int SW,
                  int PT, int PL, int oh, int ow) {
    return span_argmax(plane, W, max(0, oh * SH - PT), min(H, oh * SH - PT + KH),
                       max(0, ow * SW - PL), min(W, ow * SW - PL + KW));
}

// dx[h][w] = sum of dy over the windows whose first maximum is (h, w): a gather, race-free
// even when windows overlap. Launch: global (W, H, n*C).
__kernel void maxpool_backward(__global const float *x, __global const float *dy,
                               __global float *dx, int C, int H, int W, int KH, int KW, int SH,
                               int SW, int PT, int PL, int OH, int OW) {
    int w = get_global_id(0), h = get_global_id(1), nc = get_global_id(2);
    if (w >= W || h >= H) return;
    __global const float *plane = x + (size_t)nc * H * W;
    float sum = 0.0f;
    int oh_lo = max(0, (h + PT - KH + SH) / SH), oh_hi = min(OH - 1, (h + PT) / SH);
    int ow_lo = max(0, (w + PL - KW + SW) / SW), ow_hi = min(OW - 1, (w + PL) / SW);
    for (int oh = oh_lo; oh <= oh_hi; oh++)
        for (int ow = ow_lo; ow <= ow_hi; ow++)
            if (window_argmax(plane, H, W, KH, KW, SH, SW, PT, PL, oh, ow) == h * W + w)
                sum += dy[((size_t)nc * OH + oh) * OW + ow];
    dx[(size_t)nc * H * W + h * W + w] = sum;
}

// maxpool_backward for windows that do not overlap (pool size <= stride, the usual 2x2 / 2): a
// work-item per window writes dy to the window's first maximum and 0 to every other input of
// its band (the stride x stride cells from its window's corner, the last band reaching the
// input's edge), so the bands cover the input once and no two work-items write one place.
// One argmax per window instead of one per input element and window. Launch: global (OW, OH, n*C).
__kernel void maxpool_backward_scatter(__global const float *x, __global const float *dy,
                                       __global float *dx, int C, int H, int W, int KH, int KW,
                                       int SH, int SW, int PT, int PL, int OH, int OW) {
    int ow = get_global_id(0), oh = get_global_id(1), nc = get_global_id(2);
    if (ow >= OW || oh >= OH) return;
    __global const float *plane = x + (size_t)nc * H * W;
    __global float *out = dx + (size_t)nc * H * W;
    int arg = window_argmax(plane, H, W, KH, KW, SH, SW, PT, PL, oh, ow);
    float g = dy[((size_t)nc * OH + oh) * OW + ow];
    int h0 = max(0, oh * SH - PT), h1 = oh == OH - 1 ? H : min(H, (oh + 1) * SH - PT);
    int w0 = max(0, ow * SW - PL), w1 = ow == OW - 1 ? W : min(W, (ow + 1) * SW - PL);
    for (int h = h0; h < h1; h++)
        for (int w = w0; w < w1; w++) out[h * W + w] = h * W + w == arg ? g : 0.0f;
}

// ---- CPU shape: a work-item walks whole planes -------------------------------------------------
// The kernels above give a work-item one output or input element; PoCL runs their window loops
// one lane at a time across a work-group, at a few ns per element (backward 10x forward). Here a
// work-item owns `per` consecutive (example, channel) planes and walks them with plain loops,
// launched with local size 1 (conv.cl's plane kernels' shape). Launch: global (ceil(planes / per)).

// The 2x2 / stride 2 pool without padding, the usual one, 8 or 4 windows at a time: the outputs
// of row oh handled as vectors (a multiple of 4 whose two input rows and columns lie inside), 0
// for other pools and rows; the rest runs the general loops.
int pool2_vector_cols(int oh, int H, int W, int KH, int KW, int SH, int SW, int PT, int PL,
                      int OW) {
    if (KH != 2 || KW != 2 || SH != 2 || SW != 2 || PT != 0 || PL != 0 || 2 * oh + 1 >= H)
        return 0;
    return min(OW, W / 2) / 4 * 4;
}

// N windows of row oh from column ow (N2 = 2N inputs per input row): their maxima.
#define POOL2_MAX(N, N2)                                                                         \
    {                                                                                            \
        __global const float *top = plane + h_lo * W + 2 * ow;                                   \
        float##N2 a = vload##N2(0, top), b = vload##N2(0, top + W);                              \
        vstore##N(fmax(fmax(a.even, a.odd), fmax(b.even, b.odd)), 0, out + oh * OW + ow);       \
    }

// The same windows' gradients: dy to the first maximum of (top left, top right, bottom left,
// bottom right), as span_argmax finds it, 0 to the others. The windows do not overlap, so their
// cells are stored, not added.
#define POOL2_GRAD(N, N2)                                                                        \
    {                                                                                            \
        __global const float *top = plane + h_lo * W + 2 * ow;                                   \
        __global float *o = out + h_lo * W + 2 * ow;                                             \
        float##N2 a = vload##N2(0, top), b = vload##N2(0, top + W), rt, rb;                      \
        float##N best = a.even, gv = vload##N(0, g + oh * OW + ow), zero = 0.0f;                 \
        int##N arg = 0, t = a.odd > best;                                                        \
        best = select(best, a.odd, t), arg = select(arg, (int##N)1, t);                          \
        t = b.even > best;                                                                       \
        best = select(best, b.even, t), arg = select(arg, (int##N)2, t);                         \
        arg = select(arg, (int##N)3, b.odd > best);                                              \
        rt.even = select(zero, gv, arg == 0), rt.odd = select(zero, gv, arg == 1);               \
        rb.even = select(zero, gv, arg == 2), rb.odd = select(zero, gv, arg == 3);               \
        vstore##N2(rt, 0, o);                                                                    \
        vstore##N2(rb, 0, o + W);                                                                \
    }

// The walk both plane kernels share: for each of the work-item's planes (x's `plane`, and `g`,
// `out` from OUT_AT), BEFORE, then each output row's windows: VEC(8, 16) and VEC(4, 8) over
// pool2_vector_cols' columns, SCALAR over the rest with the window's rows [h_lo, h_hi) and
// columns [w_lo, w_hi) inside the input.
#define PLANE_WALK(SRC, OUT, OUT_AT, BEFORE, VEC, SCALAR)                                        \
    int first = get_global_id(0) * per, last = min(planes, first + per);                         \
    for (int nc = first; nc < last; nc++) {                                                      \
        __global const float *plane = x + (size_t)nc * H * W, *g = SRC + (size_t)nc * OH * OW;   \
        __global float *out = OUT + (size_t)nc * OUT_AT;                                         \
        BEFORE;                                                                                  \
        for (int oh = 0; oh < OH; oh++) {                                                        \
            int h_lo = max(0, oh * SH - PT), h_hi = min(H, oh * SH - PT + KH);                   \
            int done = pool2_vector_cols(oh, H, W, KH, KW, SH, SW, PT, PL, OW);                  \
            int ow = 0;                                                                          \
            for (; ow + 8 <= done; ow += 8) VEC(8, 16)                                           \
            for (; ow < done; ow += 4) VEC(4, 8)                                                 \
            for (; ow < OW; ow++) {                                                              \
                int w_lo = max(0, ow * SW - PL), w_hi = min(W, ow * SW - PL + KW);               \
                SCALAR;                                                                          \
            }                                                                                    \
        }                                                                                        \
    }

__kernel void maxpool_forward_planes(__global const float *x, __global float *y, int C, int H,
                                     int W, int KH, int KW, int SH, int SW, int PT, int PL, int OH,
                                     int OW, int planes, int per) {
    PLANE_WALK(y, y, OH * OW, (void)g, POOL2_MAX,
               out[oh * OW + ow] = span_max(plane, W, h_lo, h_hi, w_lo, w_hi))
}

// dx = 0 where the vector windows do not store (all of it for other pools), then each window
// adds its dy to its first maximum, windows in row-major order: the order in which
// maxpool_backward's gather adds them, so the same sums; overlapping windows need nothing more,
// as the work-item owns the plane.
void zero_unstored(__global float *out, int H, int W, int KH, int KW, int SH, int SW, int PT,
                   int PL, int OH, int OW) {
    for (int h = 0; h < H; h++) {
        int from = h / 2 < OH ? 2 * pool2_vector_cols(h / 2, H, W, KH, KW, SH, SW, PT, PL, OW) : 0;
        for (int w = from; w < W; w++) out[h * W + w] = 0.0f;
    }
}

__kernel void maxpool_backward_planes(__global const float *x, __global const float *dy,
                                      __global float *dx, int C, int H, int W, int KH, int KW,
                                      int SH, int SW, int PT, int PL, int OH, int OW, int planes,
                                      int per) {
    PLANE_WALK(dy, dx, H * W, zero_unstored(out, H, W, KH, KW, SH, SW, PT, PL, OH, OW),
               POOL2_GRAD, int arg = span_argmax(plane, W, h_lo, h_hi, w_lo, w_hi);
               if (arg >= 0) out[arg] += g[oh * OW + ow])
}
