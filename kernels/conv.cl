// conv.cl: the layout transforms around convolution as a product: im2col (forward and weight
// gradient) and col2im (input gradient). col[n][r][p] with r = (c, i, j), p = (oh, ow), rows of
// length ldp >= OH*OW (the tail is zero so products may read whole 32-wide tiles).
// One work-item owns one (image, channel) plane and walks contiguous rows, so the inner loops
// are plain copies and adds that a CPU compiler vectorizes; launched with local size 1. GPUs use
// the _items kernels at the end (host/cl/kparams.c chooses per device class).
// n0: the first image of the batch chunk being transformed (host/nn/conv2d.c runs the batch in
// chunks when its columns would not fit the device): image n of col is image n0 + n of x or dx.

// The output columns ow whose input column ow*SW + j - PL lies inside [0, W).
void valid_cols(int j, int SW, int PL, int W, int OW, int *lo, int *hi) {
    int first = PL - j; // ow*SW >= first
    *lo = first <= 0 ? 0 : (first + SW - 1) / SW;
    int last = W - 1 + PL - j; // ow*SW <= last
    *hi = last < 0 ? 0 : min(OW, last / SW + 1);
    if (*lo > *hi) *lo = *hi;
}

// Launch: global (C, n), local (1, 1).
__kernel void im2col(__global const float *x, __global float *col, int C, int H, int W, int KH,
                     int KW, int SH, int SW, int PT, int PL, int OH, int OW, int ldp, int n0) {
    int c = get_global_id(0), n = get_global_id(1);
    if (c >= C) return;
    __global const float *plane = x + ((size_t)(n0 + n) * C + c) * H * W;
    for (int i = 0; i < KH; i++)
        for (int j = 0; j < KW; j++) {
            int r = (c * KH + i) * KW + j, lo, hi;
            __global float *row = col + ((size_t)n * C * KH * KW + r) * ldp;
            valid_cols(j, SW, PL, W, OW, &lo, &hi);
            for (int oh = 0; oh < OH; oh++) {
                __global float *out = row + oh * OW;
                int h = oh * SH + i - PT;
                if (h < 0 || h >= H) {
                    for (int ow = 0; ow < OW; ow++) out[ow] = 0.0f;
                    continue;
                }
                __global const float *in = plane + h * W + j - PL;
                for (int ow = 0; ow < lo; ow++) out[ow] = 0.0f;
                if (SW == 1)
                    for (int ow = lo; ow < hi; ow++) out[ow] = in[ow];
                else
                    for (int ow = lo; ow < hi; ow++) out[ow] = in[ow * SW];
                for (int ow = hi; ow < OW; ow++) out[ow] = 0.0f;
            }
            for (int p = OH * OW; p < ldp; p++) row[p] = 0.0f;
        }
}

// dx[n][c] = the sum of the col entries that were copied from each position. The work-item owns
// the plane, so its read-modify-writes race with no one. Launch: global (C, n), local (1, 1).
__kernel void col2im(__global const float *col, __global float *dx, int C, int H, int W, int KH,
                     int KW, int SH, int SW, int PT, int PL, int OH, int OW, int ldp, int n0) {
    int c = get_global_id(0), n = get_global_id(1);
    if (c >= C) return;
    __global float *plane = dx + ((size_t)(n0 + n) * C + c) * H * W;
    for (int e = 0; e < H * W; e++) plane[e] = 0.0f;
    for (int i = 0; i < KH; i++)
        for (int j = 0; j < KW; j++) {
            int r = (c * KH + i) * KW + j, lo, hi;
            __global const float *row = col + ((size_t)n * C * KH * KW + r) * ldp;
            valid_cols(j, SW, PL, W, OW, &lo, &hi);
            for (int oh = 0; oh < OH; oh++) {
                int h = oh * SH + i - PT;
                if (h < 0 || h >= H) continue;
                __global const float *in = row + oh * OW;
                __global float *out = plane + h * W + j - PL;
                if (SW == 1)
                    for (int ow = lo; ow < hi; ow++) out[ow] += in[ow];
                else
                    for (int ow = lo; ow < hi; ow++) out[ow * SW] += in[ow];
            }
        }
}

// ---- GPU shape: one work-item per output element ---------------------------------------------
// Neighbouring work-items take neighbouring positions p, so col is written in whole coalesced
// rows and x read at stride SW; no work-item loops over a plane.

// col[n][r][p] for r = (c, i, j). Launch: global (ldp, C*KH*KW, n), rounded up.
__kernel void im2col_items(__global const float *x, __global float *col, int C, int H, int W,
                           int KH, int KW, int SH, int SW, int PT, int PL, int OH, int OW,
                           int ldp, int n0) {
    int p = get_global_id(0), r = get_global_id(1), n = get_global_id(2);
    int R = C * KH * KW;
    if (p >= ldp || r >= R) return;
    float v = 0.0f;
    if (p < OH * OW) {
        int oh = p / OW, ow = p - oh * OW;
        int j = r % KW, i = (r / KW) % KH, c = r / (KH * KW);
        int h = oh * SH + i - PT, w = ow * SW + j - PL;
        if (h >= 0 && h < H && w >= 0 && w < W) v = x[(((size_t)(n0 + n) * C + c) * H + h) * W + w];
    }
    col[((size_t)n * R + r) * ldp + p] = v;
}

// dx[n][c][h][w] = the sum of the col entries copied from (h, w), gathered in (i, j) order (the
// order col2im adds them in, so both give the same bits). Race-free: each work-item owns its
// element. Launch: global (W, H, n*C), rounded up.
__kernel void col2im_items(__global const float *col, __global float *dx, int C, int H, int W,
                           int KH, int KW, int SH, int SW, int PT, int PL, int OH, int OW,
                           int ldp, int n0) {
    int w = get_global_id(0), h = get_global_id(1), nc = get_global_id(2);
    if (w >= W || h >= H) return;
    int n = nc / C, c = nc - n * C;
    __global const float *rows = col + ((size_t)n * C + c) * KH * KW * ldp;
    float sum = 0.0f;
    for (int i = 0; i < KH; i++) {
        int t = h + PT - i;
        if (t < 0 || t % SH) continue;
        int oh = t / SH;
        if (oh >= OH) continue;
        for (int j = 0; j < KW; j++) {
            int u = w + PL - j;
            if (u < 0 || u % SW) continue;
            int ow = u / SW;
            if (ow >= OW) continue;
            sum += rows[(size_t)(i * KW + j) * ldp + oh * OW + ow];
        }
    }
    dx[(((size_t)n0 * C + nc) * H + h) * W + w] = sum;
}

// dst[dst_off + e] += src[src_off + e]: a batch chunk's weight gradient added to the sum of the
// chunks before it (in chunk order, so the result does not depend on the device). Launch:
// global (count), rounded up.
__kernel void conv_accumulate(__global float *dst, ulong dst_off, __global const float *src,
                              ulong src_off, ulong count) {
    size_t e = get_global_id(0);
    if (e >= count) return;
    dst[dst_off + e] += src[src_off + e];
}
