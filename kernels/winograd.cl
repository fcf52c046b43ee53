// winograd.cl: the transforms of Winograd's F(2x2, 3x3) for stride-1 3x3 convolutions (Lavin &
// Gray, "Fast Algorithms for Convolutional Neural Networks", 2016). An output tile of 2 x 2 is
// A^T [ sum over channels (G g G^T) . (B^T d B) ] A for the 4 x 4 input tile d under it and the
// 3 x 3 filter g: 16 multiplications per tile and channel where direct needs 36. The 16 sums over
// channels are 16 independent products (host/nn/conv2d_winograd.c runs them as one batched GEMM),
// so these kernels only move data between the image layout and the transform domain:
//   U[e][m][c] = (G g_mc G^T)[e]               filters: e = 4i + j, M x C per e
//   V[e][c][t] = (B^T d_ct B)[e]               inputs: t = image * T + tile, C x NT per e
//   Mx[e][m][t] = sum_c U[e][m][c] V[e][c][t]  (the product)
//   y[image][m][tile] = A^T Mx[.][m][t] A      + bias, ReLU
// Tiles cover the output; a tile past its right or bottom edge (odd sizes) reads zeros and
// stores only its outputs inside the plane. The input and output transforms take 8 tiles of a
// row at once (float8 lanes, whole-vector loads and stores where inside), and a whole plane per
// work-item, so that PoCL's per-work-group cost is paid over enough work. Every kernel checks its
// ids against its sizes (global sizes may be rounded up).

// 18 floats from column w0 of row h of an H x W plane (the columns 8 tiles read), zero outside.
void wino_cols(__global const float *plane, int H, int W, int h, int w0, float16 *lo,
               float2 *hi) {
    if (h < 0 || h >= H) {
        *lo = (float16)(0.0f), *hi = (float2)(0.0f);
        return;
    }
    __global const float *r = plane + (size_t)h * W;
    if (w0 >= 0 && w0 + 18 <= W) {
        *lo = vload16(0, r + w0), *hi = vload2(0, r + w0 + 16);
        return;
    }
    // At a plane's left or right edge: the columns inside, zeros around (three plain loops).
    float b[18];
    int first = clamp(-w0, 0, 18), end = clamp(W - w0, first, 18);
    for (int j = 0; j < first; j++) b[j] = 0.0f;
    for (int j = first; j < end; j++) b[j] = r[w0 + j];
    for (int j = end; j < 18; j++) b[j] = 0.0f;
    *lo = vload16(0, b), *hi = vload2(0, b + 16);
}

// Input transform V = B^T d B, B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]: a work-item takes
// channel c of image z, 8 tiles of a tile row at a time. Image z's channel c at x + x_off +
// z * x_batch + c * H * W; tile (th, tw) reads rows 2 th - pt .. + 3 and columns 2 tw - pl .. + 3.
// V at v_off, NT = images x T (T = TH x TW). Launch: global (C, n).
__kernel void wino_input(__global const float *x, ulong x_off, ulong x_batch, int C, int H,
                         int W, int pt, int pl, int TH, int TW, int n, __global float *V,
                         ulong v_off, ulong NT) {
    int c = get_global_id(0), z = get_global_id(1);
    if (c >= C || z >= n) return;
    __global const float *plane = x + x_off + z * x_batch + (size_t)c * H * W;
    size_t stride = (size_t)C * NT;
    __global float *out = V + v_off + (size_t)c * NT + (size_t)z * TH * TW;
    for (int th = 0; th < TH; th++, out += TW)
        for (int tw = 0; tw < TW; tw += 8) {
            // d[i][j]: row i, column j of the 8 tiles' 4 x 4 inputs, one tile per lane.
            float8 d[4][4];
            for (int i = 0; i < 4; i++) {
                float16 lo;
                float2 hi;
                wino_cols(plane, H, W, 2 * th - pt + i, 2 * tw - pl, &lo, &hi);
                d[i][0] = lo.even, d[i][1] = lo.odd;
                d[i][2] = (float8)(lo.s2468, lo.sace, hi.s0);
                d[i][3] = (float8)(lo.s3579, lo.sbdf, hi.s1);
            }
            float8 v[16];
            for (int j = 0; j < 4; j++) {
                float8 t0 = d[0][j] - d[2][j], t1 = d[1][j] + d[2][j];
                float8 t2 = d[2][j] - d[1][j], t3 = d[1][j] - d[3][j];
                d[0][j] = t0, d[1][j] = t1, d[2][j] = t2, d[3][j] = t3;
            }
            for (int i = 0; i < 4; i++) {
                v[4 * i + 0] = d[i][0] - d[i][2];
                v[4 * i + 1] = d[i][1] + d[i][2];
                v[4 * i + 2] = d[i][2] - d[i][1];
                v[4 * i + 3] = d[i][1] - d[i][3];
            }
            int lanes = min(8, TW - tw);
            for (int e = 0; e < 16; e++) vstore8_n(v[e], lanes, out + e * stride + tw);
        }
}

// Filter transform: U = G g G^T, G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]. Filter m, channel
// c, tap (i, j) at w[w_off + m s0 + c s1 + i s2 + j s3] (strides may be negative: the data
// gradient reads the flipped filters in place). U[e][m][c] at u_off. Launch: global (C, M).
__kernel void wino_filter(__global const float *w, ulong w_off, int s0, int s1, int s2, int s3,
                          int M, int C, __global float *U, ulong u_off) {
    int c = get_global_id(0), m = get_global_id(1);
    if (c >= C || m >= M) return;
    __global const float *g = w + w_off + (long)m * s0 + (long)c * s1;
    float t[4][3];
    for (int j = 0; j < 3; j++) {
        float a = g[j * s3], b = g[s2 + j * s3], d = g[2 * s2 + j * s3];
        t[0][j] = a;
        t[1][j] = 0.5f * (a + b + d);
        t[2][j] = 0.5f * (a - b + d);
        t[3][j] = d;
    }
    size_t stride = (size_t)M * C;
    __global float *out = U + u_off + (size_t)m * C + c;
    for (int i = 0; i < 4; i++) {
        float a = t[i][0], b = t[i][1], d = t[i][2];
        out[(4 * i + 0) * stride] = a;
        out[(4 * i + 1) * stride] = 0.5f * (a + b + d);
        out[(4 * i + 2) * stride] = 0.5f * (a - b + d);
        out[(4 * i + 3) * stride] = d;
    }
}

// Output transform Y = A^T m A, A^T = [1 1 1 0; 0 1 -1 -1]: a work-item takes output channel m
// of image z, 8 tiles of a tile row at a time: Mx[e][m][z T + th TW + tw] at m_off to the OH x OW
// plane at y + y_off + z * y_batch + m * OH * OW, + bias[bias_off + m] when use_bias, then ReLU when
// relu. A last group of fewer than 8 tiles reads past its row (inside the product's region, or
// at its end the buffer's slack) and stores only its own outputs. Launch: global (M, n).
__kernel void wino_output(__global const float *Mx, ulong m_off, ulong NT, int M, int OH, int OW,
                          int TH, int TW, int n, __global float *y, ulong y_off, ulong y_batch,
                          __global const float *bias, ulong bias_off, int use_bias, int relu) {
    int m = get_global_id(0), z = get_global_id(1);
    if (m >= M || z >= n) return;
    size_t stride = (size_t)M * NT;
    __global const float *in = Mx + m_off + (size_t)m * NT + (size_t)z * TH * TW;
    __global float *plane = y + y_off + z * y_batch + (size_t)m * OH * OW;
    float b = use_bias ? bias[bias_off + m] : 0.0f;
    for (int th = 0; th < TH; th++, in += TW)
        for (int tw = 0; tw < TW; tw += 8) {
            // Rows first: t0 = m0 + m1 + m2, t1 = m1 - m2 - m3 for each of the 4 columns.
            float8 t0[4], t1[4];
            for (int j = 0; j < 4; j++) {
                float8 m0 = vload8(0, in + j * stride + tw);
                float8 m1 = vload8(0, in + (4 + j) * stride + tw);
                float8 m2 = vload8(0, in + (8 + j) * stride + tw);
                float8 m3 = vload8(0, in + (12 + j) * stride + tw);
                t0[j] = m0 + m1 + m2, t1[j] = m1 - m2 - m3;
            }
            float8 y00 = t0[0] + t0[1] + t0[2] + b, y01 = t0[1] - t0[2] - t0[3] + b;
            float8 y10 = t1[0] + t1[1] + t1[2] + b, y11 = t1[1] - t1[2] - t1[3] + b;
            if (relu) {
                y00 = fmax(y00, 0.0f), y01 = fmax(y01, 0.0f);
                y10 = fmax(y10, 0.0f), y11 = fmax(y11, 0.0f);
            }
            // Output rows 2 th and 2 th + 1: the tiles' two columns interleaved.
            const uint16 mix = (uint16)(0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15);
            float16 rows[2] = {shuffle2(y00, y01, mix), shuffle2(y10, y11, mix)};
            int ow = 2 * tw, cols = min(16, OW - ow);
            for (int r = 0; r < 2 && 2 * th + r < OH; r++)
                vstore16_n(rows[r], cols, plane + (size_t)(2 * th + r) * OW + ow);
        }
}
