// conv.cl: the layout transforms around convolution as a product: im2col (forward and weight
// gradient) and col2im (input gradient). col[n][r][p] with r = (c, i, j), p = (oh, ow), rows of
// length ldp >= OH*OW (the tail is zero so products may read whole 32-wide tiles).

// Launch: global (ldp, C*KH*KW, n).
__kernel void im2col(__global const float *x, __global float *col, int C, int H, int W, int KH,
                     int KW, int SH, int SW, int PT, int PL, int OH, int OW, int ldp) {
    int p = get_global_id(0), r = get_global_id(1), n = get_global_id(2);
    int R = C * KH * KW;
    float v = 0.0f;
    if (p < OH * OW) {
        int c = r / (KH * KW), ij = r % (KH * KW), i = ij / KW, j = ij % KW;
        int oh = p / OW, ow = p % OW;
        int h = oh * SH + i - PT, w = ow * SW + j - PL;
        if (h >= 0 && h < H && w >= 0 && w < W) v = x[(((size_t)n * C + c) * H + h) * W + w];
    }
    col[((size_t)n * R + r) * ldp + p] = v;
}

// dx[n][c][h][w] = sum of the col entries that were copied from it. A gather, so no two
// work-items write the same element. Launch: global (W, H, n*C).
__kernel void col2im(__global const float *col, __global float *dx, int C, int H, int W, int KH,
                     int KW, int SH, int SW, int PT, int PL, int OH, int OW, int ldp) {
    int w = get_global_id(0), h = get_global_id(1), nc = get_global_id(2);
    int n = nc / C, c = nc % C;
    int R = C * KH * KW;
    float sum = 0.0f;
    for (int i = 0; i < KH; i++) {
        int th = h + PT - i;
        if (th < 0 || th % SH) continue;
        int oh = th / SH;
        if (oh >= OH) continue;
        for (int j = 0; j < KW; j++) {
            int tw = w + PL - j;
            if (tw < 0 || tw % SW) continue;
            int ow = tw / SW;
            if (ow >= OW) continue;
            int r = (c * KH + i) * KW + j;
            sum += col[((size_t)n * R + r) * ldp + oh * OW + ow];
        }
    }
    dx[(((size_t)n * C + c) * H + h) * W + w] = sum;
}
