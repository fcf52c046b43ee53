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
// stores only its outputs inside the plane. Every kernel checks its ids against its sizes
// (global sizes may be rounded up).

// V = B^T d B, B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1], on rows then columns.
float4 wino_bt(float4 a, float4 b, float4 c, float4 d, int k) {
    return k == 0 ? a - c : k == 1 ? b + c : k == 2 ? c - b : b - d;
}

// A row of the input tile: 4 floats from column w0 of row h of an H x W plane, zero outside.
float4 wino_row(__global const float *plane, int H, int W, int h, int w0) {
    if (h < 0 || h >= H) return (float4)(0.0f);
    __global const float *r = plane + (size_t)h * W;
    if (w0 >= 0 && w0 + 4 <= W) return vload4(0, r + w0);
    float4 v;
    v.s0 = w0 >= 0 && w0 < W ? r[w0] : 0.0f;
    v.s1 = w0 + 1 >= 0 && w0 + 1 < W ? r[w0 + 1] : 0.0f;
    v.s2 = w0 + 2 >= 0 && w0 + 2 < W ? r[w0 + 2] : 0.0f;
    v.s3 = w0 + 3 >= 0 && w0 + 3 < W ? r[w0 + 3] : 0.0f;
    return v;
}

// Input transform: a work-item takes tile row th of channel c of image z, all TW tiles along it.
// x: image z's channel c at x + x_off + z * x_batch + c * H * W; the tile (th, tw) reads rows
// 2 th - pt .. + 3 and columns 2 tw - pl .. + 3. V at v_off, NT = images x T (T = TH x TW).
// Launch: global (TH, C, n).
__kernel void wino_input(__global const float *x, ulong x_off, ulong x_batch, int C, int H,
                         int W, int pt, int pl, int TH, int TW, int n, __global float *V,
                         ulong v_off, ulong NT) {
    int th = get_global_id(0), c = get_global_id(1), z = get_global_id(2);
    if (th >= TH || c >= C || z >= n) return;
    __global const float *plane = x + x_off + z * x_batch + (size_t)c * H * W;
    size_t stride = (size_t)C * NT;
    __global float *out = V + v_off + (size_t)c * NT + (size_t)z * TH * TW + (size_t)th * TW;
    int h0 = 2 * th - pt;
    for (int tw = 0; tw < TW; tw++) {
        int w0 = 2 * tw - pl;
        float4 d0 = wino_row(plane, H, W, h0, w0), d1 = wino_row(plane, H, W, h0 + 1, w0);
        float4 d2 = wino_row(plane, H, W, h0 + 2, w0), d3 = wino_row(plane, H, W, h0 + 3, w0);
        for (int i = 0; i < 4; i++) {
            float4 t = wino_bt(d0, d1, d2, d3, i);
            float4 v = (float4)(t.s0 - t.s2, t.s1 + t.s2, t.s2 - t.s1, t.s1 - t.s3);
            out[(4 * i + 0) * stride + tw] = v.s0;
            out[(4 * i + 1) * stride + tw] = v.s1;
            out[(4 * i + 2) * stride + tw] = v.s2;
            out[(4 * i + 3) * stride + tw] = v.s3;
        }
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

// Output transform: Y = A^T m A, A^T = [1 1 1 0; 0 1 -1 -1]. A work-item takes tile row th of
// output channel m of image z: Mx[e][m][z T + th TW + tw] at m_off to the OH x OW plane at
// y + z * y_batch + m * OH * OW, + bias[bias_off + m] when use_bias, then ReLU when relu.
// Launch: global (TH, M, n).
__kernel void wino_output(__global const float *Mx, ulong m_off, ulong NT, int M, int OH, int OW,
                          int TH, int TW, int n, __global float *y, ulong y_batch,
                          __global const float *bias, ulong bias_off, int use_bias, int relu) {
    int th = get_global_id(0), m = get_global_id(1), z = get_global_id(2);
    if (th >= TH || m >= M || z >= n) return;
    size_t stride = (size_t)M * NT;
    __global const float *in =
        Mx + m_off + (size_t)m * NT + (size_t)z * TH * TW + (size_t)th * TW;
    __global float *plane = y + z * y_batch + (size_t)m * OH * OW;
    float b = use_bias ? bias[bias_off + m] : 0.0f;
    int oh = 2 * th;
    for (int tw = 0; tw < TW; tw++) {
        float4 r[4];
        for (int i = 0; i < 4; i++)
            r[i] = (float4)(in[(4 * i + 0) * stride + tw], in[(4 * i + 1) * stride + tw],
                            in[(4 * i + 2) * stride + tw], in[(4 * i + 3) * stride + tw]);
        float4 a = r[0] + r[1] + r[2], c = r[1] - r[2] - r[3];
        float2 top = (float2)(a.s0 + a.s1 + a.s2, a.s1 - a.s2 - a.s3) + b;
        float2 bot = (float2)(c.s0 + c.s1 + c.s2, c.s1 - c.s2 - c.s3) + b;
        if (relu) top = fmax(top, 0.0f), bot = fmax(bot, 0.0f);
        int ow = 2 * tw;
        __global float *row = plane + (size_t)oh * OW + ow;
        row[0] = top.s0;
        if (ow + 1 < OW) row[1] = top.s1;
        if (oh + 1 < OH) {
            row[OW] = bot.s0;
            if (ow + 1 < OW) row[OW + 1] = bot.s1;
        }
    }
}
