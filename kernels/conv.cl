// conv.cl: the layout transforms around convolution as a product: im2col (forward and weight
// gradient) and col2im (input gradient). col[n][r][p] with r = (c, i, j), p = (oh, ow), rows of
// length ldp >= OH*OW (the tail is zero so products may read whole 32-wide tiles).
// One work-item owns one (image, channel) plane and walks contiguous rows, so the inner loops
// are plain copies and adds that a CPU compiler vectorizes; launched with local size 1.

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
                     int KW, int SH, int SW, int PT, int PL, int OH, int OW, int ldp) {
    int c = get_global_id(0), n = get_global_id(1);
    if (c >= C) return;
    __global const float *plane = x + ((size_t)n * C + c) * H * W;
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
                     int KW, int SH, int SW, int PT, int PL, int OH, int OW, int ldp) {
    int c = get_global_id(0), n = get_global_id(1);
    if (c >= C) return;
    __global float *plane = dx + ((size_t)n * C + c) * H * W;
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
