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
// stores only its outputs inside the plane. The input and output transforms take WI_VW tiles of
// a row at once (one tile per lane of the device's native width, -DWI_VW=8|16 from
// host/nn/conv2d_winograd.c), whole-vector loads and stores, and a whole plane per work-item, so
// that PoCL's per-work-group cost is paid over enough work. Every kernel checks its ids against
// its sizes (global sizes may be rounded up).

#ifndef WI_VW
#define WI_VW 8
#endif
// The vector type, its loads and stores, and the shuffles at width WI_VW: even and odd lanes of
// two vectors, a vector moved up one lane under a scalar, the first and second halves of two
// vectors interleaved.
// The small loops over the tiles' rows and columns index private arrays: unrolled, those live in
// registers (PoCL does not unroll them on its own, and the arrays then stay in memory).
#define WI_UNROLL __attribute__((opencl_unroll_hint))
#if WI_VW == 16
#define WI_VEC float16
#define WI_IVEC int16
#define WI_LOAD vload16
#define WI_STORE vstore16
#define WI_STORE_N vstore16_n
#define WI_LANES ((int16)(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15))
#define WI_EVEN ((uint16)(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30))
#define WI_ODD ((uint16)(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31))
#define WI_UP ((uint16)(0, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30))
#define WI_MIX_LO ((uint16)(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23))
#define WI_MIX_HI ((uint16)(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31))
#elif WI_VW == 8
#define WI_VEC float8
#define WI_IVEC int8
#define WI_LOAD vload8
#define WI_STORE vstore8
#define WI_STORE_N vstore8_n
#define WI_LANES ((int8)(0, 1, 2, 3, 4, 5, 6, 7))
#define WI_EVEN ((uint8)(0, 2, 4, 6, 8, 10, 12, 14))
#define WI_ODD ((uint8)(1, 3, 5, 7, 9, 11, 13, 15))
#define WI_UP ((uint8)(0, 8, 9, 10, 11, 12, 13, 14))
#define WI_MIX_LO ((uint8)(0, 8, 1, 9, 2, 10, 3, 11))
#define WI_MIX_HI ((uint8)(4, 12, 5, 13, 6, 14, 7, 15))
#else
#error "WI_VW: 8 or 16"
#endif

// Row h of an H x W plane, columns w0 + j + 2 l for j = 0..3 and lane l (the 4 columns of WI_VW
// tiles), zero outside the plane. Two whole vectors from column w0 + 2 (never before the row:
// w0 >= -2, padding <= 2) give columns 2 and 3; columns 0 and 1 are those moved up one lane under
// the two scalars before them. The loads may reach 2 WI_VW + 2 floats past a row (the next row,
// or past the last plane the buffer's slack); the masks ok[j] (column inside) zero those lanes.
// Inlined: a call (PoCL leaves it one) passes d through memory.
__attribute__((always_inline)) void wino_row(__global const float *plane, int H, int W, int h,
                                             int w0, const WI_IVEC ok[4], WI_VEC d[4]) {
    if (h < 0 || h >= H) {
        WI_UNROLL for (int j = 0; j < 4; j++) d[j] = (WI_VEC)(0.0f);
        return;
    }
    __global const float *r = plane + (size_t)h * W;
    WI_VEC a = WI_LOAD(0, r + w0 + 2), b = WI_LOAD(1, r + w0 + 2);
    WI_VEC e = shuffle2(a, b, WI_EVEN), o = shuffle2(a, b, WI_ODD);
    float s0 = w0 >= 0 && w0 < W ? r[w0] : 0.0f;
    float s1 = w0 + 1 >= 0 && w0 + 1 < W ? r[w0 + 1] : 0.0f;
    const WI_VEC zero = (WI_VEC)(0.0f);
    d[0] = select(zero, shuffle2((WI_VEC)(s0), e, WI_UP), ok[0]);
    d[1] = select(zero, shuffle2((WI_VEC)(s1), o, WI_UP), ok[1]);
    d[2] = select(zero, e, ok[2]);
    d[3] = select(zero, o, ok[3]);
}

// Input transform V = B^T d B, B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]: a work-item takes
// channel c of image z, WI_VW tiles of a tile row at a time. Image z's channel c at x + x_off +
// z * x_batch + c * H * W; tile (th, tw) reads rows 2 th - pt .. + 3 and columns 2 tw - pl .. + 3.
// V at v_off, NT = images x T (T = TH x TW). A group of tiles past its row's end stores whole
// vectors when it is its row's only group and that stays inside the plane's T tiles: the lanes
// past the row land on the next rows' tiles, which this work-item stores later (the groups go
// column by column, the rows inside). Launch: global (C, n).
__kernel void wino_input(__global const float *x, ulong x_off, ulong x_batch, int C, int H,
                         int W, int pt, int pl, int TH, int TW, int n, __global float *V,
                         ulong v_off, ulong NT) {
    int c = get_global_id(0), z = get_global_id(1);
    if (c >= C || z >= n) return;
    __global const float *plane = x + x_off + z * x_batch + (size_t)c * H * W;
    size_t stride = (size_t)C * NT;
    int T = TH * TW;
    __global float *out = V + v_off + (size_t)c * NT + (size_t)z * T;
    for (int tw = 0; tw < TW; tw += WI_VW) {
        int w0 = 2 * tw - pl;
        WI_IVEC ok[4];
        WI_UNROLL for (int j = 0; j < 4; j++) {
            WI_IVEC col = w0 + j + 2 * WI_LANES;
            ok[j] = col >= 0 && col < W;
        }
        int lanes = min(WI_VW, TW - tw);
        // Tile rows overlap by two input rows: the last two of a tile row are the next one's first.
        WI_VEC top[2][4];
        wino_row(plane, H, W, -pt, w0, ok, top[0]);
        wino_row(plane, H, W, 1 - pt, w0, ok, top[1]);
        for (int th = 0; th < TH; th++) {
            // d[i][j]: row i, column j of the tiles' 4 x 4 inputs, one tile per lane.
            WI_VEC d[4][4];
            wino_row(plane, H, W, 2 * th - pt + 2, w0, ok, d[2]);
            wino_row(plane, H, W, 2 * th - pt + 3, w0, ok, d[3]);
            WI_UNROLL for (int j = 0; j < 4; j++) {
                d[0][j] = top[0][j], d[1][j] = top[1][j];
                top[0][j] = d[2][j], top[1][j] = d[3][j];
            }
            WI_UNROLL for (int j = 0; j < 4; j++) {
                WI_VEC t0 = d[0][j] - d[2][j], t1 = d[1][j] + d[2][j];
                WI_VEC t2 = d[2][j] - d[1][j], t3 = d[1][j] - d[3][j];
                d[0][j] = t0, d[1][j] = t1, d[2][j] = t2, d[3][j] = t3;
            }
            int at = th * TW + tw;
            __global float *o = out + at;
            int whole = at + WI_VW <= T && (tw == 0 || tw + WI_VW <= TW);
            WI_UNROLL for (int i = 0; i < 4; i++) {
                WI_VEC v[4] = {d[i][0] - d[i][2], d[i][1] + d[i][2], d[i][2] - d[i][1],
                               d[i][1] - d[i][3]};
                WI_UNROLL for (int j = 0; j < 4; j++) {
                    __global float *p = o + (4 * i + j) * stride;
                    if (whole)
                        WI_STORE(v[j], 0, p);
                    else
                        WI_STORE_N(v[j], lanes, p);
                }
            }
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

// Output transform Y = A^T m A, A^T = [1 1 1 0; 0 1 -1 -1]: a work-item takes output channel m
// of image z, WI_VW tiles of a tile row at a time: Mx[e][m][z T + th TW + tw] at m_off to the
// OH x OW plane at y + y_off + z * y_batch + m * OH * OW, + bias[bias_off + m] when use_bias, then
// ReLU when relu. A last group of fewer than WI_VW tiles reads past its row (inside the
// product's region, or at its end the buffer's slack). Its stores are whole vectors where the
// lanes past the row land inside the plane on outputs that this work-item stores later: the
// second row's always, the first row's only in a row's first group (the second row's first
// columns are not stored yet); else only its own outputs. Launch: global (M, n).
__kernel void wino_output(__global const float *Mx, ulong m_off, ulong NT, int M, int OH, int OW,
                          int TH, int TW, int n, __global float *y, ulong y_off, ulong y_batch,
                          __global const float *bias, ulong bias_off, int use_bias, int relu) {
    int m = get_global_id(0), z = get_global_id(1);
    if (m >= M || z >= n) return;
    size_t stride = (size_t)M * NT;
    __global const float *in = Mx + m_off + (size_t)m * NT + (size_t)z * TH * TW;
    __global float *plane = y + y_off + z * y_batch + (size_t)m * OH * OW;
    float b = use_bias ? bias[bias_off + m] : 0.0f;
    size_t size = (size_t)OH * OW;
    for (int th = 0; th < TH; th++, in += TW)
        for (int tw = 0; tw < TW; tw += WI_VW) {
            // Rows first: t0 = m0 + m1 + m2, t1 = m1 - m2 - m3 for each of the 4 columns.
            WI_VEC t0[4], t1[4];
            WI_UNROLL for (int j = 0; j < 4; j++) {
                WI_VEC m0 = WI_LOAD(0, in + j * stride + tw);
                WI_VEC m1 = WI_LOAD(0, in + (4 + j) * stride + tw);
                WI_VEC m2 = WI_LOAD(0, in + (8 + j) * stride + tw);
                WI_VEC m3 = WI_LOAD(0, in + (12 + j) * stride + tw);
                t0[j] = m0 + m1 + m2, t1[j] = m1 - m2 - m3;
            }
            WI_VEC y0[2] = {t0[0] + t0[1] + t0[2] + b, t0[1] - t0[2] - t0[3] + b};
            WI_VEC y1[2] = {t1[0] + t1[1] + t1[2] + b, t1[1] - t1[2] - t1[3] + b};
            if (relu) {
                y0[0] = fmax(y0[0], 0.0f), y0[1] = fmax(y0[1], 0.0f);
                y1[0] = fmax(y1[0], 0.0f), y1[1] = fmax(y1[1], 0.0f);
            }
            // Output rows 2 th and 2 th + 1: the tiles' two columns interleaved, 2 WI_VW floats.
            WI_VEC rows[2][2] = {{shuffle2(y0[0], y0[1], WI_MIX_LO),
                                  shuffle2(y0[0], y0[1], WI_MIX_HI)},
                                 {shuffle2(y1[0], y1[1], WI_MIX_LO),
                                  shuffle2(y1[0], y1[1], WI_MIX_HI)}};
            int ow = 2 * tw, cols = min(2 * WI_VW, OW - ow);
            WI_UNROLL for (int r = 0; r < 2; r++) {
                if (2 * th + r >= OH) break;
                size_t at = (size_t)(2 * th + r) * OW + ow;
                __global float *p = plane + at;
                if (at + 2 * WI_VW <= size && (r == 1 || tw == 0)) {
                    WI_STORE(rows[r][0], 0, p);
                    WI_STORE(rows[r][1], 0, p + WI_VW);
                } else {
                    WI_STORE_N(rows[r][0], min(cols, WI_VW), p);
                    if (cols > WI_VW) WI_STORE_N(rows[r][1], cols - WI_VW, p + WI_VW);
                }
            }
        }
}
