// avgpool.cl: average pooling (AveragePooling2D, and GlobalAveragePooling2D as one window over
// the whole plane). As TensorFlow (and so Keras) does with "same" padding, a window averages
// only the positions inside the input: padding neither adds zeros nor counts.

// Positions of window (oh, ow) inside the input.
int window_count(int H, int W, int KH, int KW, int SH, int SW, int PT, int PL, int oh,
                        int ow) {
    int h0 = max(oh * SH - PT, 0), h1 = min(oh * SH - PT + KH, H);
    int w0 = max(ow * SW - PL, 0), w1 = min(ow * SW - PL + KW, W);
    return max(h1 - h0, 0) * max(w1 - w0, 0);
}

// Launch: global (OW, OH, n*C).
__kernel void avgpool_forward(__global const float *x, __global float *y, int C, int H, int W,
                              int KH, int KW, int SH, int SW, int PT, int PL, int OH, int OW) {
    int ow = get_global_id(0), oh = get_global_id(1), nc = get_global_id(2);
    if (ow >= OW || oh >= OH) return;
    __global const float *plane = x + (size_t)nc * H * W;
    int h0 = max(oh * SH - PT, 0), h1 = min(oh * SH - PT + KH, H);
    int w0 = max(ow * SW - PL, 0), w1 = min(ow * SW - PL + KW, W);
    float sum = 0.0f;
    for (int h = h0; h < h1; h++) {
        float part = 0.0f;
        for (int w = w0; w < w1; w++) part += plane[h * W + w];
        sum += part;
    }
    int count = max(h1 - h0, 0) * max(w1 - w0, 0);
    y[((size_t)nc * OH + oh) * OW + ow] = count ? sum / count : 0.0f;
}

// dx[h][w] = sum of dy / count over the windows holding (h, w): a gather, race-free when
// windows overlap. Launch: global (W, H, n*C).
__kernel void avgpool_backward(__global const float *dy, __global float *dx, int C, int H, int W,
                               int KH, int KW, int SH, int SW, int PT, int PL, int OH, int OW) {
    int w = get_global_id(0), h = get_global_id(1), nc = get_global_id(2);
    if (w >= W || h >= H) return;
    int oh_lo = max(0, (h + PT - KH + SH) / SH), oh_hi = min(OH - 1, (h + PT) / SH);
    int ow_lo = max(0, (w + PL - KW + SW) / SW), ow_hi = min(OW - 1, (w + PL) / SW);
    float sum = 0.0f;
    for (int oh = oh_lo; oh <= oh_hi; oh++)
        for (int ow = ow_lo; ow <= ow_hi; ow++)
            sum += dy[((size_t)nc * OH + oh) * OW + ow] /
                   window_count(H, W, KH, KW, SH, SW, PT, PL, oh, ow);
    dx[(size_t)nc * H * W + h * W + w] = sum;
}
