// conv_direct.cl: stride-1 convolution without im2col, for CPU-class devices (PoCL): the
// product's B operand is read straight from the (padded) input. Positions are numbered over
// "wide" rows, p = oh*Wp + ow with ow < Wp (the padded input's width), so the input seen by tap
// (c, i, j) at positions p..p+n is one contiguous run, x[c][p + i*Wp + j]: a work-item loads it
// as vectors of CD_VW floats. The columns ow >= OW of a wide row are computed and never stored.
// Tunables (-D, from host/nn/conv2d_direct.c, whose defaults these match): CD_VW, the vector
// width (8 or 16: the device's native one, so that an AVX-512 device's FMAs are 16 wide), and
// CD_TM output channels x CD_NV vectors of positions per work-item (forward and data gradient;
// the weight gradient is conv_dw.cl's). Launched with local size 1: each work-item is a long
// vector loop.

#ifndef CD_TM
#define CD_TM 4
#endif
#ifndef CD_NV
#define CD_NV 3
#endif
#ifndef CD_VW
#define CD_VW 8
#endif
#define CD_LANES (CD_VW * CD_NV)
// The vector type and its loads and stores at width CD_VW (float8, vload8, vstore8_n, ...).
#define CD_VEC CLCNN_CAT(float, CD_VW)
#define CD_IVEC CLCNN_CAT(int, CD_VW)
#define CD_VLOAD CLCNN_CAT(vload, CD_VW)
#define CD_VSTORE CLCNN_CAT(vstore, CD_VW)
// (prelude.cl's vstore8_n / vstore16_n named whole: a pasted name came out as PoCL's
// _cl_vstore16_n.)
#if CD_VW == 16
#define CD_VSTORE_N vstore16_n
#define CD_LANE_IDS ((int16)(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15))
#elif CD_VW == 8
#define CD_VSTORE_N vstore8_n
#define CD_LANE_IDS ((int8)(0, 1, 2, 3, 4, 5, 6, 7))
#else
#error "CD_VW: 8 or 16"
#endif
// The register tiles are arrays indexed by these loops: unrolled, they live in registers
// (PoCL does not unroll them on its own, and the arrays then stay in memory).
#define CD_UNROLL __attribute__((opencl_unroll_hint))
// CD_KH x CD_KW: the filters' size when the host built this variant for one (the taps' loops
// then unroll, their weight offsets constant); the kernels' KH, KW arguments must match it.
#ifdef CD_KH
#define CD_TAP_UNROLL CD_UNROLL
#else
#define CD_TAP_UNROLL
#endif

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

// Sum of a vector's lanes, in a fixed order.
float cd_hsum(CD_VEC v) {
#if CD_VW == 16
    return hsum16(v);
#else
    float4 h = v.lo + v.hi;
    return (h.x + h.y) + (h.z + h.w);
#endif
}

// Reads a[0, n) (the whole vectors of it), CT_SPAN floats per work-item, as the layers around a
// convolution read their tensors: the algorithm race (host/nn/conv2d_direct.c) times a candidate
// with this after it, so that what the candidate evicted from the caches is paid for. `never` is
// 0: the store keeps the loads from being removed and never runs.
// Launch: global (ceil(n / CT_SPAN)), local (1).
#define CT_SPAN 4096
__kernel void conv_touch(__global float *a, ulong n, int never) {
    size_t i = get_global_id(0) * CT_SPAN, end = min((size_t)n, i + CT_SPAN);
    CD_VEC s0 = 0.0f, s1 = 0.0f;
    for (; i + 2 * CD_VW <= end; i += 2 * CD_VW)
        s0 += CD_VLOAD(0, a + i), s1 += CD_VLOAD(0, a + i + CD_VW);
    if (never) a[get_global_id(0) * CT_SPAN] = cd_hsum(s0 + s1);
}

// Stores lanes [0, nl) of a tile whose first wide position is (oh0, ow0) into the OH x OW plane
// y: a vector store for each CD_VW lanes inside one row's outputs, element by element elsewhere
// (whole vectors when the wide rows are y's rows).
void cd_store(__global float *y, const float *v, int oh0, int ow0, int nl, int Wp, int OH,
              int OW) {
    int oh = oh0, ow = ow0;
    if (Wp == OW) { // no junk columns (the data gradient's shared padding): the lanes are y's
        int p = oh * OW + ow, n = min(nl, OH * OW - p);
        for (int l0 = 0; l0 < n; l0 += CD_VW)
            CD_VSTORE_N(CD_VLOAD(0, v + l0), min(CD_VW, n - l0), y + p + l0);
        return;
    }
    for (int l0 = 0; l0 < nl; l0 += CD_VW) {
        if (l0 + CD_VW <= nl && ow + CD_VW <= OW && oh < OH) {
            CD_VSTORE(CD_VLOAD(0, v + l0), 0, y + (size_t)oh * OW + ow);
            ow += CD_VW;
            if (ow >= Wp) oh++, ow -= Wp;
            continue;
        }
        for (int l = l0; l < min(nl, l0 + CD_VW); l++) {
            if (ow < OW && oh < OH) y[(size_t)oh * OW + ow] = v[l];
            if (++ow == Wp) oh++, ow = 0;
        }
    }
}

// One block of conv_direct: channels m0..m0+CD_TM-1 at the CD_LANES positions from p0 = (oh0,
// ow0), of which the first nl are stored. x, w, y, bias: the image's and layer's bases. Filter
// m's tap (c, i, j) is w[m*w_m + c*w_c + i*WI + j*WJ]. Only the taps' rows [i_lo, i_hi) reach
// input rows that are not padding.
// CD_BLOCK defines it for taps KH_ x KW_ and tap strides WI, WJ: literals in the variants built
// for one filter size, so that the taps' weight offsets are constants from one pointer per
// filter. With runtime strides (36 offsets for a 4-filter 3x3 tile) PoCL kept the offsets on the
// stack and reloaded one before every broadcast (the seed's conv 2 forward ~12% slower). Each
// stride case is its own function: with the cases' loops in one function, their accumulators
// were merged and spilled.
#define CD_BLOCK(NAME, KH_, KW_, WI, WJ)                                                           \
    void NAME(int C, int M, int Hp, int Wp, int KH, int KW, int OH, int OW, int m0, int p0,        \
              int oh0, int ow0, int nl, int i_lo, int i_hi, __global const float *x,               \
              __global const float *w, int w_m, int w_c, int w_i, int w_j, __global float *y,      \
              __global const float *bias, int use_bias, int relu) {                                \
        CD_VEC acc[CD_TM][CD_NV];                                                                  \
        CD_UNROLL for (int r = 0; r < CD_TM; r++)                                                  \
            CD_UNROLL for (int v = 0; v < CD_NV; v++) acc[r][v] = 0.0f;                            \
        /* Filters past M read filter M-1 (in bounds); they are never stored. */                   \
        __global const float *a[CD_TM];                                                            \
        CD_UNROLL for (int r = 0; r < CD_TM; r++) a[r] = w + (size_t)min(m0 + r, M - 1) * w_m;     \
        __global const float *xc = x + p0;                                                         \
        size_t plane = (size_t)Hp * Wp;                                                            \
        for (int c = 0; c < C; c++) {                                                              \
            CD_TAP_UNROLL for (int i = 0; i < (KH_); i++) {                                        \
                if (i < i_lo || i >= i_hi) continue;                                               \
                CD_TAP_UNROLL for (int j = 0; j < (KW_); j++) {                                    \
                    __global const float *b = xc + i * Wp + j;                                     \
                    CD_VEC bv[CD_NV];                                                              \
                    CD_UNROLL for (int v = 0; v < CD_NV; v++) bv[v] = CD_VLOAD(v, b);              \
                    CD_UNROLL for (int r = 0; r < CD_TM; r++) {                                    \
                        CD_VEC av = (CD_VEC)(a[r][i * (WI) + j * (WJ)]);                           \
                        CD_UNROLL for (int v = 0; v < CD_NV; v++)                                  \
                            acc[r][v] = fma(av, bv[v], acc[r][v]);                                 \
                    }                                                                              \
                }                                                                                  \
            }                                                                                      \
            xc += plane;                                                                           \
            CD_UNROLL for (int r = 0; r < CD_TM; r++) a[r] += w_c;                                 \
        }                                                                                          \
        cd_finish(acc, M, m0, oh0, ow0, nl, Wp, OH, OW, y, bias, use_bias, relu);                  \
    }

// Adds the bias, applies the ReLU and stores a block's channels (those below M).
void cd_finish(CD_VEC acc[CD_TM][CD_NV], int M, int m0, int oh0, int ow0, int nl, int Wp, int OH,
               int OW, __global float *y, __global const float *bias, int use_bias, int relu) {
    for (int r = 0; r < CD_TM && m0 + r < M; r++) {
        CD_VEC add = (CD_VEC)(use_bias ? bias[m0 + r] : 0.0f);
        float out[CD_LANES];
        CD_UNROLL for (int v = 0; v < CD_NV; v++) {
            CD_VEC o = acc[r][v] + add;
            CD_VSTORE(relu ? fmax(o, 0.0f) : o, v, out);
        }
        cd_store(y + (size_t)(m0 + r) * OH * OW, out, oh0, ow0, nl, Wp, OH, OW);
    }
}

#ifdef CD_KH
// The two layouts of a variant built for one filter size (the host passes no other): forward's
// filters (w_i = CD_KW, w_j = 1) and the data gradient's flipped ones (-CD_KW, -1, read from
// their last tap backwards).
CD_BLOCK(conv_block_fwd, CD_KH, CD_KW, CD_KW, 1)
CD_BLOCK(conv_block_flip, CD_KH, CD_KW, -CD_KW, -1)
#define CD_FLIPPED(w_j) ((w_j) < 0)
#else
CD_BLOCK(conv_block_any, KH, KW, w_i, w_j)
#define CD_FLIPPED(w_j) 0
#define conv_block_fwd conv_block_any
#define conv_block_flip conv_block_any
#endif

// y[z][m][oh][ow] = sum over (c, i, j) of w[m*w_m + c*w_c + i*w_i + j*w_j] *
// x[z][c][oh + i][ow + j] (+ bias[m], ReLU), x planes Hp x Wp, y planes OH x OW. The weight
// strides let the data gradient run the flipped, transposed filters in place; a variant built
// for one filter size (CD_KH) takes only (w_i, w_j) = (CD_KW, 1) or (-CD_KW, -1).
// rows = 1: a tile is CD_LANES positions of one output row (tiles = OH * ceil(OW / lanes));
// rows = 0: CD_LANES consecutive wide positions (tiles = ceil(OH * Wp / lanes)). Lanes past a
// tile's valid positions may read up to KW + CD_LANES - 2 floats past the last plane: callers
// give x that much room (buffer slack or workspace).
// A work-item computes mblocks blocks of CD_TM channels one after another (the tile's input
// stays in L1): with few taps per channel that amortizes the work-item's start.
// Only x's rows [r_lo, r_hi) may be nonzero (the rest is padding): a tile skips the taps' rows
// that read only padding (the data gradient of a valid convolution pads dy by KH - 1 rows above
// and below: 2 of the seed's 26 output rows x 3 taps' rows).
// Launch: global (ceil(M / (CD_TM * mblocks)), tiles, n), local (1, 1, 1).
__kernel void conv_direct(int C, int M, int Hp, int Wp, int KH, int KW, int OH, int OW, int rows,
                          int mblocks, int r_lo, int r_hi, __global const float *x, ulong x_off,
                          ulong x_batch,
                          __global const float *w, ulong w_off, int w_m, int w_c, int w_i,
                          int w_j, __global float *y, ulong y_batch,
                          __global const float *bias, ulong bias_off, int use_bias, int relu) {
    int t = get_global_id(1), mg = get_global_id(0);
    size_t z = get_global_id(2);
    int per_row = (OW + CD_LANES - 1) / CD_LANES;
    int p0 = rows ? (t / per_row) * Wp + (t % per_row) * CD_LANES : t * CD_LANES;
    int nl = rows ? min(CD_LANES, OW - (t % per_row) * CD_LANES) : CD_LANES;
    if (rows ? t >= OH * per_row : p0 >= OH * Wp) return;
    int oh0 = p0 / Wp, ow0 = p0 - oh0 * Wp, oh1 = (p0 + CD_LANES - 1) / Wp;
    int i_lo = max(0, r_lo - oh1), i_hi = min(KH, r_hi - oh0), flip = CD_FLIPPED(w_j);
    for (int mb = 0; mb < mblocks; mb++) {
        int m0 = (mg * mblocks + mb) * CD_TM;
        if (m0 >= M) return;
        __global const float *xz = x + x_off + z * x_batch, *wb = w + w_off, *bb = bias + bias_off;
        __global float *yz = y + z * y_batch;
        if (flip)
            conv_block_flip(C, M, Hp, Wp, KH, KW, OH, OW, m0, p0, oh0, ow0, nl, i_lo, i_hi, xz, wb,
                            w_m, w_c, w_i, w_j, yz, bb, use_bias, relu);
        else
            conv_block_fwd(C, M, Hp, Wp, KH, KW, OH, OW, m0, p0, oh0, ow0, nl, i_lo, i_hi, xz, wb,
                           w_m, w_c, w_i, w_j, yz, bb, use_bias, relu);
    }
}

#ifdef CS_C
// conv_small: conv_direct's sum for few taps (CS_C channels x CD_KH x CD_KW, at most 9: the first
// layer of an image model, 1 channel x 3 x 3), where conv_direct's stores of a few outputs per
// handful of FMAs cost more than the FMAs. A work-item takes `mg` filters of one image over the
// whole output plane: CS_TM filters at a time, it walks the rows in vectors of CD_VW (a row's
// last one ending at the row's end, overlapping the one before: its lanes store the same values
// again), CS_NV vectors at a time: per tap, CS_NV input vectors (read from L1: the image's
// planes, a few KiB, are read again by every filter group) and CS_TM weight broadcasts feed
// CS_TM x CS_NV FMA chains, then one whole-vector store each. The work-item writes its filters'
// planes from start to end (CS_TM streams): a work-item per output row (the first version) wrote
// 104-byte pieces of 64 planes, neighbouring rows on the other core, and ran at 5 GB/s. The
// inputs are not held in registers across filters: with the taps' 9 vectors beside 8
// accumulators the tile spilled (16 vector registers). Rows narrower than CD_VW store lane by
// lane (their loads may read up to CD_VW - 1 + KW - 1 floats past a plane: the buffer slack
// covers it).
// Launch: global (ceil(M / mg), n), local (1, 1).
#define CS_TAPS (CS_C * CD_KH * CD_KW)
#ifndef CS_TM
#define CS_TM 4
#endif
#ifndef CS_NV
#define CS_NV 2
#endif
__kernel void conv_small(int M, int mg, int Hp, int Wp, int OH, int OW, __global const float *x,
                         ulong x_off, ulong x_batch, __global const float *w, ulong w_off,
                         int w_m, int w_c, int w_i, int w_j, __global float *y, ulong y_batch,
                         __global const float *bias, ulong bias_off, int use_bias, int relu) {
    int m_lo = get_global_id(0) * mg, m_hi = min(M, m_lo + mg);
    size_t z = get_global_id(1), P = (size_t)OH * OW, plane = (size_t)Hp * Wp;
    __global const float *xz = x + x_off + z * x_batch;
    __global float *yz = y + z * y_batch;
    w += w_off, bias += bias_off;
    int nvec = (OW + CD_VW - 1) / CD_VW, nl = min(CD_VW, OW);
    for (int m0 = m_lo; m0 < m_hi; m0 += CS_TM) {
        // Filters past the group read its last filter (in bounds); they are never stored.
        __global const float *a[CS_TM];
        float b0[CS_TM];
        CD_UNROLL for (int r = 0; r < CS_TM; r++) {
            int m = min(m0 + r, m_hi - 1);
            a[r] = w + (size_t)m * w_m;
            b0[r] = use_bias ? bias[m] : 0.0f;
        }
        for (int oh = 0; oh < OH; oh++) {
            __global const float *xr = xz + (size_t)oh * Wp;
            __global float *yr = yz + (size_t)oh * OW;
            for (int v0 = 0; v0 < nvec; v0 += CS_NV) {
                // Vectors past the row's last compute that one again (stored twice, same values).
                int ow[CS_NV];
                CD_UNROLL for (int q = 0; q < CS_NV; q++)
                    ow[q] = max(0, min(CD_VW * (v0 + q), OW - CD_VW));
                CD_VEC acc[CS_TM][CS_NV];
                CD_UNROLL for (int r = 0; r < CS_TM; r++)
                    CD_UNROLL for (int q = 0; q < CS_NV; q++) acc[r][q] = (CD_VEC)b0[r];
                CD_UNROLL for (int c = 0; c < CS_C; c++)
                    CD_UNROLL for (int i = 0; i < CD_KH; i++)
                        CD_UNROLL for (int j = 0; j < CD_KW; j++) {
                            CD_VEC in[CS_NV];
                            CD_UNROLL for (int q = 0; q < CS_NV; q++)
                                in[q] = CD_VLOAD(0, xr + c * plane + i * Wp + j + ow[q]);
                            CD_UNROLL for (int r = 0; r < CS_TM; r++) {
                                CD_VEC wv = (CD_VEC)(a[r][c * w_c + i * w_i + j * w_j]);
                                CD_UNROLL for (int q = 0; q < CS_NV; q++)
                                    acc[r][q] = fma(wv, in[q], acc[r][q]);
                            }
                        }
                for (int r = 0; r < CS_TM && m0 + r < m_hi; r++)
                    CD_UNROLL for (int q = 0; q < CS_NV; q++) {
                        CD_VEC o = relu ? fmax(acc[r][q], 0.0f) : acc[r][q];
                        CD_VSTORE_N(o, nl, yr + (size_t)(m0 + r) * P + ow[q]);
                    }
            }
        }
    }
}

// conv_small_dw: the weight gradient of a layer of few taps (CS_C x CD_KH x CD_KW, at most 9),
// fused with the output gradient's ReLU mask and the bias gradient: one pass over dy (and y)
// instead of relu_bias_grad's pass and then the product's. dy is the raw output gradient (when
// relu, the work-item masks it by y > 0 and writes it back when write_dy: the data gradient
// reads it). The work-item of filters m0 .. m0 + CS_DTM - 1 walks their dy planes once over the
// whole batch, adds each vector of CD_VW outputs to the bias sums and FMAs it with the input under
// every tap, each input vector loaded once for its CS_DTM filters (an image's input, one plane
// per channel, stays in L1 while every filter reads it). CS_DTM: the host's build option, which
// its launch divides the filters by (2 with 32 vector registers, else 1: nn/conv2d_direct.c). dy, y: planes OH x OW (M per image); x:
// padded planes Hp x Wp. A row's last vector, when OW is not a multiple of CD_VW, starts at
// OW - CD_VW with the lanes the vector before summed zeroed; rows narrower than CD_VW go lane by
// lane. dw: M x CS_TAPS at dw_off, the bias gradient M at db_off (use_bias).
// Launch: global (ceil(M / CS_DTM)), local (1).
#ifndef CS_DTM
#define CS_DTM 1
#endif
__kernel void conv_small_dw(int M, int Hp, int Wp, int OH, int OW, int batch,
                            __global const float *x, ulong x_off, ulong x_batch,
                            __global const float *y, __global float *dy, int relu, int write_dy,
                            __global float *dw, ulong dw_off, ulong db_off, int use_bias) {
    int m0 = get_global_id(0) * CS_DTM;
    if (m0 >= M) return;
    size_t P = (size_t)OH * OW, plane = (size_t)Hp * Wp;
    int nv = OW >= CD_VW ? (OW + CD_VW - 1) / CD_VW : 0;
    // Filters past M read filter M - 1's planes; they neither write dy back nor store.
    int mf[CS_DTM], wr[CS_DTM];
    CD_UNROLL for (int r = 0; r < CS_DTM; r++) mf[r] = min(m0 + r, M - 1), wr[r] = m0 + r < M;
    CD_VEC acc[CS_DTM][CS_TAPS], bacc[CS_DTM];
    float tail[CS_DTM][CS_TAPS], btail[CS_DTM];
    CD_UNROLL for (int r = 0; r < CS_DTM; r++) {
        bacc[r] = 0.0f, btail[r] = 0.0f;
        CD_UNROLL for (int t = 0; t < CS_TAPS; t++) acc[r][t] = 0.0f, tail[r][t] = 0.0f;
    }
    // Rows of at least CD_VW go by vectors only, narrower ones lane by lane: two loops, so that
    // the vector loop's accumulators stay in registers (with the lane loop beside it in the same
    // row, PoCL's LLVM moved some to the stack and back every row).
    for (int z = 0; z < batch && nv; z++)
        for (int oh = 0; oh < OH; oh++) {
            __global float *dr[CS_DTM];
            __global const float *yr[CS_DTM];
            CD_UNROLL for (int r = 0; r < CS_DTM; r++) {
                size_t row = ((size_t)z * M + mf[r]) * P + (size_t)oh * OW;
                dr[r] = dy + row, yr[r] = y + row;
            }
            __global const float *xr = x + x_off + z * x_batch + (size_t)oh * Wp;
            for (int v = 0; v < nv; v++) {
                int ow = min(CD_VW * v, OW - CD_VW);
                CD_VEC d[CS_DTM];
                CD_UNROLL for (int r = 0; r < CS_DTM; r++) {
                    d[r] = CD_VLOAD(0, dr[r] + ow);
                    if (relu) {
                        d[r] = select(d[r], (CD_VEC)0.0f, CD_VLOAD(0, yr[r] + ow) <= 0.0f);
                        if (write_dy && wr[r]) CD_VSTORE(d[r], 0, dr[r] + ow);
                    }
                    d[r] = select((CD_VEC)0.0f, d[r], CD_LANE_IDS >= (CD_IVEC)(CD_VW * v - ow));
                    bacc[r] += d[r];
                }
                CD_UNROLL for (int c = 0; c < CS_C; c++)
                    CD_UNROLL for (int i = 0; i < CD_KH; i++)
                        CD_UNROLL for (int j = 0; j < CD_KW; j++) {
                            int t = (c * CD_KH + i) * CD_KW + j;
                            CD_VEC xv = CD_VLOAD(0, xr + c * plane + i * Wp + j + ow);
                            CD_UNROLL for (int r = 0; r < CS_DTM; r++)
                                acc[r][t] = fma(d[r], xv, acc[r][t]);
                        }
            }
        }
    for (int z = 0; z < batch && !nv; z++)
        for (int oh = 0; oh < OH; oh++) {
            __global const float *xr = x + x_off + z * x_batch + (size_t)oh * Wp;
            for (int ow = 0; ow < OW; ow++)
                CD_UNROLL for (int r = 0; r < CS_DTM; r++) {
                    size_t at = ((size_t)z * M + mf[r]) * P + (size_t)oh * OW + ow;
                    float d = dy[at];
                    if (relu && y[at] <= 0.0f) {
                        d = 0.0f;
                        if (write_dy && wr[r]) dy[at] = 0.0f;
                    }
                    btail[r] += d;
                    CD_UNROLL for (int c = 0; c < CS_C; c++)
                        CD_UNROLL for (int i = 0; i < CD_KH; i++)
                            CD_UNROLL for (int j = 0; j < CD_KW; j++) {
                                int t = (c * CD_KH + i) * CD_KW + j;
                                tail[r][t] = fma(d, xr[c * plane + i * Wp + j + ow], tail[r][t]);
                            }
                }
        }
    CD_UNROLL for (int r = 0; r < CS_DTM; r++) {
        if (!wr[r]) continue;
        CD_UNROLL for (int t = 0; t < CS_TAPS; t++)
            dw[dw_off + (size_t)(m0 + r) * CS_TAPS + t] = cd_hsum(acc[r][t]) + tail[r][t];
        if (use_bias) dw[db_off + m0 + r] = cd_hsum(bacc[r]) + btail[r];
    }
}
#endif
