// pool.cl: max pooling. Padded positions never win (Keras' "same" pooling ignores them).

// Launch: global (OW, OH, n*C).
__kernel void maxpool_forward(__global const float *x, __global float *y, int C, int H, int W,
                              int KH, int KW, int SH, int SW, int PT, int PL, int OH, int OW) {
    int ow = get_global_id(0), oh = get_global_id(1), nc = get_global_id(2);
    if (ow >= OW || oh >= OH) return;
    __global const float *plane = x + (size_t)nc * H * W;
    float best = -INFINITY;
    for (int i = 0; i < KH; i++) {
        int h = oh * SH + i - PT;
        if (h < 0 || h >= H) continue;
        for (int j = 0; j < KW; j++) {
            int w = ow * SW + j - PL;
            if (w < 0 || w >= W) continue;
            best = fmax(best, plane[h * W + w]);
        }
    }
    y[((size_t)nc * OH + oh) * OW + ow] = best;
}

// The first maximum of a window in row-major order (ties go to the first).
int window_argmax(__global const float *plane, int H, int W, int KH, int KW, int SH,
                         int SW, int PT, int PL, int oh, int ow) {
    float best = -INFINITY;
    int arg = -1;
    for (int i = 0; i < KH; i++) {
        int h = oh * SH + i - PT;
        if (h < 0 || h >= H) continue;
        for (int j = 0; j < KW; j++) {
            int w = ow * SW + j - PL;
            if (w < 0 || w >= W) continue;
            float v = plane[h * W + w];
            if (arg < 0 || v > best) {
                best = v;
                arg = h * W + w;
            }
        }
    }
    return arg;
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

__kernel void maxpool_forward_planes(__global const float *x, __global float *y, int C, int H,
                                     int W, int KH, int KW, int SH, int SW, int PT, int PL, int OH,
                                     int OW, int planes, int per) {
    int first = get_global_id(0) * per, last = min(planes, first + per);
    for (int nc = first; nc < last; nc++) {
        __global const float *plane = x + (size_t)nc * H * W;
        __global float *out = y + (size_t)nc * OH * OW;
        for (int oh = 0; oh < OH; oh++) {
            int h_lo = max(0, oh * SH - PT), h_hi = min(H, oh * SH - PT + KH);
            for (int ow = 0; ow < OW; ow++) {
                int w_lo = max(0, ow * SW - PL), w_hi = min(W, ow * SW - PL + KW);
                float best = -INFINITY;
                for (int h = h_lo; h < h_hi; h++)
                    for (int w = w_lo; w < w_hi; w++) best = fmax(best, plane[h * W + w]);
                out[oh * OW + ow] = best;
            }
        }
    }
}

// window_argmax over the window's rows [h_lo, h_hi) and columns [w_lo, w_hi) inside the input,
// without branches on the values (random data mispredicts half of them): the same first
// maximum, NaN included (a NaN first cell keeps the window, as there).
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

// dx = 0, then each window adds its dy to its first maximum, windows in row-major order: the
// order in which maxpool_backward's gather adds them, so the same sums; overlapping windows
// need nothing more, as the work-item owns the plane.
__kernel void maxpool_backward_planes(__global const float *x, __global const float *dy,
                                      __global float *dx, int C, int H, int W, int KH, int KW,
                                      int SH, int SW, int PT, int PL, int OH, int OW, int planes,
                                      int per) {
    int first = get_global_id(0) * per, last = min(planes, first + per);
    for (int nc = first; nc < last; nc++) {
        __global const float *plane = x + (size_t)nc * H * W, *g = dy + (size_t)nc * OH * OW;
        __global float *out = dx + (size_t)nc * H * W;
        for (int e = 0; e < H * W; e++) out[e] = 0.0f;
        for (int oh = 0; oh < OH; oh++) {
            int h_lo = max(0, oh * SH - PT), h_hi = min(H, oh * SH - PT + KH);
            for (int ow = 0; ow < OW; ow++) {
                int w_lo = max(0, ow * SW - PL), w_hi = min(W, ow * SW - PL + KW);
                int arg = span_argmax(plane, W, h_lo, h_hi, w_lo, w_hi);
                if (arg >= 0) out[arg] += g[oh * OW + ow];
            }
        }
    }
}
