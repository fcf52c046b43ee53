// conv_direct.cl: stride-1 convolution without im2col, for CPU-class devices (PoCL): the
// product's B operand is read straight from the (padded) input. Positions are numbered over
// "wide" rows, p = oh*Wp + ow with ow < Wp (the padded input's width), so the input seen by tap
// (c, i, j) at positions p..p+n is one contiguous run, x[c][p + i*Wp + j]: a work-item loads it
// as float8 vectors. The columns ow >= OW of a wide row are computed and never stored.
// Tunables (-D, host/cl/kparams.c): CD_TM output channels x CD_NV float8 of positions per
// work-item (forward and data gradient), CD_WM x CD_WR (filters x taps) per work-item for the
// weight gradient. Launched with local size 1: each work-item is a long vector loop.

#ifndef CD_TM
#define CD_TM 8
#endif
#ifndef CD_NV
#define CD_NV 3
#endif
#ifndef CD_WM
#define CD_WM 4
#endif
#ifndef CD_WR
#define CD_WR 4
#endif
#define CD_LANES (8 * CD_NV)

// dst[z][c][h][w] = src[z][c][h - pt][w - pl], zero outside src; dst planes Hq x Wq.
// Launch: global (C, n), local (1, 1).
__kernel void conv_pad(__global const float *src, ulong src_batch, int C, int H, int W,
                       __global float *dst, ulong dst_off, ulong dst_batch, int Hq, int Wq,
                       int pt, int pl) {
    int c = get_global_id(0), z = get_global_id(1);
    if (c >= C) return;
    __global const float *s = src + z * src_batch + (size_t)c * H * W;
    __global float *d = dst + dst_off + z * dst_batch + (size_t)c * Hq * Wq;
    int lo = max(0, pl), hi = min(Wq, W + pl); // dst columns that have a source column
    for (int h = 0; h < Hq; h++) {
        __global float *row = d + (size_t)h * Wq;
        int sh = h - pt;
        if (sh < 0 || sh >= H || lo >= hi) {
            for (int w = 0; w < Wq; w++) row[w] = 0.0f;
            continue;
        }
        __global const float *in = s + (size_t)sh * W - pl;
        for (int w = 0; w < lo; w++) row[w] = 0.0f;
        for (int w = lo; w < hi; w++) row[w] = in[w];
        for (int w = hi; w < Wq; w++) row[w] = 0.0f;
    }
}

// Stores lanes [0, nl) of a tile whose first wide position is p0 into the OH x OW plane y.
void cd_store(__global float *y, const float *v, int p0, int nl, int Wp, int OH, int OW) {
    int oh = p0 / Wp, ow = p0 - oh * Wp;
    for (int l = 0; l < nl && oh < OH; oh++, ow = 0) {
        int run = min(nl - l, Wp - ow);
        int valid = ow < OW ? min(run, OW - ow) : 0;
        __global float *dst = y + (size_t)oh * OW + ow;
        for (int e = 0; e < valid; e++) dst[e] = v[l + e];
        l += run;
    }
}

// y[z][m][oh][ow] = sum over (c, i, j) of w[m*w_m + c*w_c + i*w_i + j*w_j] *
// x[z][c][oh + i][ow + j] (+ bias[m], ReLU), x planes Hp x Wp, y planes OH x OW. The weight
// strides let the data gradient run the flipped, transposed filters in place.
// rows = 1: a tile is CD_LANES positions of one output row (tiles = OH * ceil(OW / lanes));
// rows = 0: CD_LANES consecutive wide positions (tiles = ceil(OH * Wp / lanes)). Lanes past a
// tile's valid positions may read up to KW + CD_LANES - 2 floats past the last plane: callers
// give x that much room (buffer slack or workspace).
// Launch: global (ceil(M / CD_TM), tiles, n), local (1, 1, 1).
__kernel void conv_direct(int C, int M, int Hp, int Wp, int KH, int KW, int OH, int OW, int rows,
                          __global const float *x, ulong x_off, ulong x_batch,
                          __global const float *w, ulong w_off, int w_m, int w_c, int w_i,
                          int w_j, __global float *y, ulong y_batch,
                          __global const float *bias, ulong bias_off, int use_bias, int relu) {
    int m0 = get_global_id(0) * CD_TM, t = get_global_id(1);
    size_t z = get_global_id(2);
    int per_row = (OW + CD_LANES - 1) / CD_LANES;
    int p0 = rows ? (t / per_row) * Wp + (t % per_row) * CD_LANES : t * CD_LANES;
    int nl = rows ? min(CD_LANES, OW - (t % per_row) * CD_LANES) : CD_LANES;
    if (m0 >= M || (rows ? t >= OH * per_row : p0 >= OH * Wp)) return;
    float8 acc[CD_TM][CD_NV];
    for (int r = 0; r < CD_TM; r++)
        for (int v = 0; v < CD_NV; v++) acc[r][v] = 0.0f;
    // Filters past M read filter M-1 (in bounds); they are never stored.
    __global const float *a[CD_TM];
    for (int r = 0; r < CD_TM; r++) a[r] = w + w_off + (size_t)min(m0 + r, M - 1) * w_m;
    __global const float *xb = x + x_off + z * x_batch + p0;
    size_t plane = (size_t)Hp * Wp;
    for (int c = 0; c < C; c++)
        for (int i = 0; i < KH; i++)
            for (int j = 0; j < KW; j++) {
                __global const float *b = xb + c * plane + i * Wp + j;
                float8 bv[CD_NV];
                for (int v = 0; v < CD_NV; v++) bv[v] = vload8(v, b);
                int wo = c * w_c + i * w_i + j * w_j;
                for (int r = 0; r < CD_TM; r++) {
                    float8 av = (float8)(a[r][wo]);
                    for (int v = 0; v < CD_NV; v++) acc[r][v] = fma(av, bv[v], acc[r][v]);
                }
            }
    __global float *yb = y + z * y_batch;
    for (int r = 0; r < CD_TM && m0 + r < M; r++) {
        float8 add = (float8)(use_bias ? bias[bias_off + m0 + r] : 0.0f);
        float out[CD_LANES];
        for (int v = 0; v < CD_NV; v++) {
            float8 o = acc[r][v] + add;
            vstore8(relu ? fmax(o, 0.0f) : o, v, out);
        }
        cd_store(yb + (size_t)(m0 + r) * OH * OW, out, p0, nl, Wp, OH, OW);
    }
}

// dw[m][(c*KH + i)*KW + j] = sum over z and wide positions p of dy[z][m][p] * x[z][c][p + i*Wp +
// j]: dy in wide rows (zero in the columns ow >= OW), x planes Hp x Wp. p stops at the last
// output, (OH-1)*Wp + OW, so x is read inside its plane (a zero times a NaN past it is NaN). The
// whole batch is summed inside the work-item, so there are no partial products to add up.
// Launch: global (ceil(M / CD_WM), ceil(R / CD_WR)), local (1, 1); R = C*KH*KW.
__kernel void conv_dw_direct(int C, int M, int Hp, int Wp, int KH, int KW, int OH, int batch,
                             __global const float *dy, ulong dy_off, ulong dy_batch,
                             __global const float *x, ulong x_off, ulong x_batch,
                             __global float *dw, ulong dw_off) {
    int m0 = get_global_id(0) * CD_WM, r0 = get_global_id(1) * CD_WR;
    int R = C * KH * KW;
    if (m0 >= M || r0 >= R) return;
    int OW = Wp - KW + 1, P = (OH - 1) * Wp + OW, P8 = P & ~7;
    size_t plane = (size_t)Hp * Wp;
    size_t a_off[CD_WM], b_off[CD_WR];
    for (int e = 0; e < CD_WM; e++) a_off[e] = dy_off + (size_t)min(m0 + e, M - 1) * OH * Wp;
    for (int e = 0; e < CD_WR; e++) {
        int r = min(r0 + e, R - 1), j = r % KW, i = (r / KW) % KH, c = r / (KH * KW);
        b_off[e] = x_off + c * plane + i * Wp + j;
    }
    float8 acc[CD_WM][CD_WR];
    float tail[CD_WM][CD_WR];
    for (int e = 0; e < CD_WM; e++)
        for (int f = 0; f < CD_WR; f++) acc[e][f] = 0.0f, tail[e][f] = 0.0f;
    for (int z = 0; z < batch; z++) {
        __global const float *dyz = dy + z * dy_batch, *xz = x + z * x_batch;
        for (int p = 0; p < P8; p += 8) {
            float8 av[CD_WM], bv[CD_WR];
            for (int e = 0; e < CD_WM; e++) av[e] = vload8(0, dyz + a_off[e] + p);
            for (int f = 0; f < CD_WR; f++) bv[f] = vload8(0, xz + b_off[f] + p);
            for (int e = 0; e < CD_WM; e++)
                for (int f = 0; f < CD_WR; f++) acc[e][f] = fma(av[e], bv[f], acc[e][f]);
        }
        for (int p = P8; p < P; p++)
            for (int e = 0; e < CD_WM; e++)
                for (int f = 0; f < CD_WR; f++)
                    tail[e][f] = fma(dyz[a_off[e] + p], xz[b_off[f] + p], tail[e][f]);
    }
    for (int e = 0; e < CD_WM && m0 + e < M; e++)
        for (int f = 0; f < CD_WR && r0 + f < R; f++) {
            float8 s = acc[e][f];
            float4 h = s.lo + s.hi;
            dw[dw_off + (size_t)(m0 + e) * R + r0 + f] = (h.x + h.y) + (h.z + h.w) + tail[e][f];
        }
}
