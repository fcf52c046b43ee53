// gemm.cl: matrix products for CPU-class devices (PoCL): one work-item computes a register tile
// with explicit vectors, which PoCL maps to SIMD registers. Row-major.
// Buffers are allocated with slack past their end (host/cl/program.c), so a tile may read a
// little past a row or the buffer; it never stores outside the matrix.
//
// Tunables are -D options with #ifndef defaults (the host picks them from the device's native
// vector width, host/cl/gemm.c): the register tiles must fit the register file, or the
// accumulators spill to the stack and the product runs at a fraction of the FMA peak.
//   GEMM_TM, GEMM_NV, GEMM_VW: gemm_tile's tile is GEMM_TM rows x GEMM_NV vectors of GEMM_VW
//     (5 x 4 x 16: 20 accumulators for 32 AVX-512 registers; 6 x 2 x 8 for 16 AVX2 registers)
//   NT_TM, NT_TN, NT_VW: gemm_nt's tile is NT_TM x NT_TN dot products, NT_VW lanes along K
//   PK_TM, PK_NV, NTP_FLOATS: gemm_nt_packed's tile (GEMM_VW wide vectors) and panel size
#ifndef GEMM_TM
#define GEMM_TM 5
#endif
#ifndef GEMM_NV
#define GEMM_NV 4
#endif
#ifndef GEMM_VW
#define GEMM_VW 16
#endif
#ifndef NT_TM
#define NT_TM 4
#endif
#ifndef NT_TN
#define NT_TN 4
#endif
#ifndef NT_VW
#define NT_VW 16
#endif

#define VEC CLCNN_CAT(float, GEMM_VW)
#define VLOAD CLCNN_CAT(vload, GEMM_VW)
#define VSTORE CLCNN_CAT(vstore, GEMM_VW)
#define NTVEC CLCNN_CAT(float, NT_VW)
#define NTVLOAD CLCNN_CAT(vload, NT_VW)
#define GEMM_TW (GEMM_NV * GEMM_VW) // the tile's width in columns

// ---- C = op(A) * B, tile GEMM_TM x GEMM_TW ---------------------------------------------------
// a_trans 1: A is stored K x M (lda >= M), i.e. C = A^T B ("TN"); 0: A is M x K ("NN").
// Launch: global (ceil(M/GEMM_TM), ceil(N/GEMM_TW), batch). Each batch item has its own A, B, C
// offsets. bias_mode: 0 none, 1 bias[m] per row, 2 bias[n] per column; relu: 1 applies max(0, .).
// stream: 1 stores whole tiles past the caches (non-temporal stores, where the compiler has them
// and the row is vector-aligned): for outputs far larger than the caches (a dense layer's weight
// gradient, host/cl/gemm.c), whose ordinary stores would each first read their line from memory
// and evict what the next kernels read.
// Work-items along M are neighbours (dimension 0), so they share a B panel in cache.
#ifndef GEMM_STREAM
#if defined(__has_builtin)
#if __has_builtin(__builtin_nontemporal_store)
#define GEMM_STREAM 1
#endif
#endif
#endif
#ifndef GEMM_STREAM
#define GEMM_STREAM 0
#endif

// One vector of a row (+ bias, ReLU) stored at row[n], only the columns below N.
void store_vec(__global float *row, int n, int N, VEC v, float row_bias,
               __global const float *bias, int bias_mode, int relu) {
    VEC add = (VEC)(row_bias);
    if (bias_mode == 2) {
        if (n + GEMM_VW <= N) {
            add = VLOAD(0, bias + n);
        } else {
            float tmp[GEMM_VW];
            for (int j = 0; j < GEMM_VW; j++) tmp[j] = n + j < N ? bias[n + j] : 0.0f;
            add = VLOAD(0, tmp);
        }
    }
    v += add;
    if (relu) v = fmax(v, 0.0f);
    if (n + GEMM_VW <= N) {
        VSTORE(v, 0, row + n);
    } else {
        float tmp[GEMM_VW];
        VSTORE(v, 0, tmp);
        for (int j = 0; n + j < N; j++) row[n + j] = tmp[j];
    }
}

// The tile's product, inlined once per layout with a_trans a constant, so each loop addresses A
// with one index: NN reads row i at a[i] + k (one pointer per row, rows past M clamped to row
// M-1); TN reads row k's TM neighbouring floats at A + k * lda + m0 + i (columns past M
// read the next row or the buffer's slack, and are never stored).
__attribute__((always_inline)) void tile_product(const int a_trans, int M, int K, int m0,
                                                __global const float *A, int lda,
                                                __global const float *b, int ldb,
                                                VEC acc[GEMM_TM][GEMM_NV]) {
    const __global float *a[GEMM_TM];
#pragma unroll
    for (int i = 0; i < GEMM_TM; i++)
        a[i] = a_trans ? A + m0 + i : A + (size_t)min(m0 + i, M - 1) * lda;
    size_t a_step = a_trans ? (size_t)lda : 1;
    for (int k = 0; k < K; k++, b += ldb) {
        VEC bv[GEMM_NV];
#pragma unroll
        for (int v = 0; v < GEMM_NV; v++) bv[v] = VLOAD(v, b);
        size_t ka = (size_t)k * a_step;
#pragma unroll
        for (int i = 0; i < GEMM_TM; i++) {
            VEC av = (VEC)(a[i][ka]);
#pragma unroll
            for (int v = 0; v < GEMM_NV; v++) acc[i][v] = fma(av, bv[v], acc[i][v]);
        }
    }
}

__kernel void gemm_tile(int M, int N, int K, int a_trans,
                        __global const float *A, ulong a_off, int lda, ulong a_batch,
                        __global const float *B, ulong b_off, int ldb, ulong b_batch,
                        __global float *C, ulong c_off, int ldc, ulong c_batch,
                        __global const float *bias, ulong bias_off, int bias_mode, int relu,
                        int stream) {
    int m0 = get_global_id(0) * GEMM_TM, n0 = get_global_id(1) * GEMM_TW;
    if (m0 >= M || n0 >= N) return;
    bias += bias_off;
    size_t z = get_global_id(2);
    A += a_off + z * a_batch;
    B += b_off + z * b_batch;
    C += c_off + z * c_batch;
    // Fully unrolled loops keep acc in registers.
    VEC acc[GEMM_TM][GEMM_NV];
#pragma unroll
    for (int i = 0; i < GEMM_TM; i++)
#pragma unroll
        for (int v = 0; v < GEMM_NV; v++) acc[i][v] = 0.0f;
    if (a_trans)
        tile_product(1, M, K, m0, A, lda, B + n0, ldb, acc);
    else
        tile_product(0, M, K, m0, A, lda, B + n0, ldb, acc);
    if (m0 + GEMM_TM <= M && n0 + GEMM_TW <= N) {
        // A whole tile: bias, ReLU and plain vector stores.
        if (bias_mode == 1) {
#pragma unroll
            for (int i = 0; i < GEMM_TM; i++) {
                VEC bm = (VEC)(bias[m0 + i]);
#pragma unroll
                for (int v = 0; v < GEMM_NV; v++) acc[i][v] += bm;
            }
        } else if (bias_mode == 2) {
#pragma unroll
            for (int v = 0; v < GEMM_NV; v++) {
                VEC bn = VLOAD(v, bias + n0);
#pragma unroll
                for (int i = 0; i < GEMM_TM; i++) acc[i][v] += bn;
            }
        }
#pragma unroll
        for (int i = 0; i < GEMM_TM; i++) {
            __global float *row = C + (size_t)(m0 + i) * ldc + n0;
#pragma unroll
            for (int v = 0; v < GEMM_NV; v++) {
                VEC o = relu ? fmax(acc[i][v], 0.0f) : acc[i][v];
#if GEMM_STREAM
                if (stream && ((ulong)row & (sizeof(VEC) - 1)) == 0) {
                    __builtin_nontemporal_store(o, (__global VEC *)row + v);
                    continue;
                }
#endif
                VSTORE(o, v, row);
            }
        }
        return;
    }
#pragma unroll
    for (int i = 0; i < GEMM_TM; i++) {
        if (m0 + i >= M) break;
        __global float *row = C + (size_t)(m0 + i) * ldc;
        float row_bias = bias_mode == 1 ? bias[m0 + i] : 0.0f;
#pragma unroll
        for (int v = 0; v < GEMM_NV; v++)
            if (n0 + v * GEMM_VW < N)
                store_vec(row, n0 + v * GEMM_VW, N, acc[i][v], row_bias, bias, bias_mode, relu);
    }
}

// ---- C = sum over batch of A_z * B_z^T, tile NT_TM x NT_TN, vectors along K ("NT") -----------
// A_z is M x K (lda), B_z is N x K (ldb); the batch items are summed (weight gradients sum over
// the images of a batch). The work is cut into pieces: batch item z, K range [k0, k0 + kc) (a
// long K is cut so that a piece's rows of A and B stay in cache while every tile reads them).
// Launch: global (ceil(M/NT_TM), ceil(N/NT_TN), groups): group g sums pieces
// [g*per_group, (g+1)*per_group) into C + g*c_group (then gemm_sum_groups adds the groups up).
// Groups run one after another, so the tiles of a group share its pieces in cache.

// Sum of the lanes of an NT_VW vector.
float nt_hsum(NTVEC v) {
#if NT_VW == 16
    return hsum16(v);
#elif NT_VW == 8
    float4 b = v.lo + v.hi;
    float2 c = b.lo + b.hi;
    return c.x + c.y;
#else
    float2 c = v.lo + v.hi;
    return c.x + c.y;
#endif
}

__kernel void gemm_nt(int M, int N, int K, int kc, int chunks, int pieces, int per_group,
                      ulong c_group,
                      __global const float *A, ulong a_off, int lda, ulong a_batch,
                      __global const float *B, ulong b_off, int ldb, ulong b_batch,
                      __global float *C, ulong c_off, int ldc,
                      __global const float *bias, ulong bias_off, int bias_mode, int relu) {
    int m0 = get_global_id(0) * NT_TM, n0 = get_global_id(1) * NT_TN;
    if (m0 >= M || n0 >= N) return;
    bias += bias_off;
    NTVEC acc[NT_TM][NT_TN];
    float tail[NT_TM][NT_TN];
#pragma unroll
    for (int i = 0; i < NT_TM; i++)
#pragma unroll
        for (int j = 0; j < NT_TN; j++) acc[i][j] = 0.0f, tail[i][j] = 0.0f;
    int p0 = get_global_id(2) * per_group, p1 = min(pieces, p0 + per_group);
    C += get_global_id(2) * c_group;
    for (int p = p0; p < p1; p++) {
        int z = p / chunks, k0 = (p - z * chunks) * kc, k1 = min(K, k0 + kc);
        int kv = k0 + ((k1 - k0) & ~(NT_VW - 1));
        const __global float *a[NT_TM], *b[NT_TN];
#pragma unroll
        for (int i = 0; i < NT_TM; i++)
            a[i] = A + a_off + z * a_batch + (size_t)min(m0 + i, M - 1) * lda;
#pragma unroll
        for (int j = 0; j < NT_TN; j++)
            b[j] = B + b_off + z * b_batch + (size_t)min(n0 + j, N - 1) * ldb;
        for (int k = k0; k < kv; k += NT_VW) {
            NTVEC bv[NT_TN];
#pragma unroll
            for (int j = 0; j < NT_TN; j++) bv[j] = NTVLOAD(0, b[j] + k);
#pragma unroll
            for (int i = 0; i < NT_TM; i++) {
                NTVEC av = NTVLOAD(0, a[i] + k);
#pragma unroll
                for (int j = 0; j < NT_TN; j++) acc[i][j] = fma(av, bv[j], acc[i][j]);
            }
        }
        for (int k = kv; k < k1; k++)
#pragma unroll
            for (int i = 0; i < NT_TM; i++)
#pragma unroll
                for (int j = 0; j < NT_TN; j++) tail[i][j] = fma(a[i][k], b[j][k], tail[i][j]);
    }
#pragma unroll
    for (int i = 0; i < NT_TM; i++)
#pragma unroll
        for (int j = 0; j < NT_TN; j++) {
            if (m0 + i >= M || n0 + j >= N) continue;
            float v = nt_hsum(acc[i][j]) + tail[i][j];
            if (bias_mode == 1) v += bias[m0 + i];
            if (bias_mode == 2) v += bias[n0 + j];
            if (relu) v = fmax(v, 0.0f);
            C[c_off + (size_t)(m0 + i) * ldc + n0 + j] = v;
        }
}

// C[m][n] = sum over groups of P[g][m][n] (+ bias, ReLU): the second half of a grouped NT
// product. p_trans 1: the groups hold C^T (P[g][n][m]: a packed NT product run as B A^T), and
// dimension 0 runs along m, so that neighbouring work-items read neighbouring partial sums.
// Launch: global (N, M), or (M, N) with p_trans.
__attribute__((always_inline)) void sum_groups(const int p_trans, int M, int N, int groups,
                                               __global const float *P, __global float *C,
                                               ulong c_off, int ldc, __global const float *bias,
                                               ulong bias_off, int bias_mode, int relu) {
    int i0 = get_global_id(0), i1 = get_global_id(1);
    int m = p_trans ? i0 : i1, n = p_trans ? i1 : i0;
    if (n >= N || m >= M) return;
    size_t at = p_trans ? (size_t)n * M + m : (size_t)m * N + n, stride = (size_t)M * N;
    float v = 0.0f;
    for (int g = 0; g < groups; g++) v += P[g * stride + at];
    bias += bias_off;
    if (bias_mode == 1) v += bias[m];
    if (bias_mode == 2) v += bias[n];
    if (relu) v = fmax(v, 0.0f);
    C[c_off + (size_t)m * ldc + n] = v;
}

// The entry points differ only in p_trans, a constant in each.
#define GEMM_SUM_GROUPS(name, p_trans)                                                            \
    __kernel void name(int M, int N, int groups, __global const float *P, __global float *C,     \
                       ulong c_off, int ldc, __global const float *bias, ulong bias_off,         \
                       int bias_mode, int relu) {                                                 \
        sum_groups(p_trans, M, N, groups, P, C, c_off, ldc, bias, bias_off, bias_mode, relu);    \
    }
GEMM_SUM_GROUPS(gemm_sum_groups, 0)
GEMM_SUM_GROUPS(gemm_sum_groups_t, 1)

// ---- C (+)= sum over batch of A_z * B_z^T by packed panels ("NT", CPUs) ---------------------
// The same product as gemm_nt, as outer products: a piece's K range of B's PK_TW rows is
// transposed into a private panel (NTP_KC x PK_TW, NTP_FLOATS floats: it stays in L1), and every
// PK_TM-row tile of A then runs gemm_tile's micro-kernel against it (PK_TM broadcasts, PK_NV
// panel loads, PK_TM x PK_NV FMAs per k) instead of gemm_nt's dot products. Its own tile (PK_TM
// rows x PK_NV vectors of GEMM_VW, gemm_tile's by default) and panel size (16 KiB by default, 32
// on AVX-512's 48 KiB L1: the host's options, host/cl/kparams.c). Each B row is
// read from memory once per piece, and a piece's rows of A once per panel from cache (the panels
// of a piece run one after another).
// Pieces as gemm_nt's (batch item z, K range [k0, k0 + kc), kc <= NTP_KC and a multiple of 8);
// work-item g sums pieces [g*per_group, (g+1)*per_group) into OUT + g*c_group (M x N, leading
// dimension ldc); no bias or ReLU (gemm_sum_groups adds them). Launch: global (groups), any
// local size; work-items past `groups` return.
#ifndef PK_TM
#define PK_TM GEMM_TM
#endif
#ifndef PK_NV
#define PK_NV GEMM_NV
#endif
#define PK_TW (PK_NV * GEMM_VW)
#ifndef NTP_FLOATS
#define NTP_FLOATS 4096
#endif
#ifndef NTP_KC
#define NTP_KC (NTP_FLOATS / PK_TW)
#endif

// Rows r0..r7 (8 floats each) as their 8 columns, stored at bt + j * PK_TW (panel rows j).
void ntp_transpose8(float8 r0, float8 r1, float8 r2, float8 r3, float8 r4, float8 r5, float8 r6,
                    float8 r7, float *bt) {
    const uint8 lo = (uint8)(0, 8, 1, 9, 4, 12, 5, 13), hi = (uint8)(2, 10, 3, 11, 6, 14, 7, 15);
    const uint8 lo2 = (uint8)(0, 1, 8, 9, 4, 5, 12, 13), hi2 = (uint8)(2, 3, 10, 11, 6, 7, 14, 15);
    const uint8 lo4 = (uint8)(0, 1, 2, 3, 8, 9, 10, 11), hi4 = (uint8)(4, 5, 6, 7, 12, 13, 14, 15);
    float8 t0 = shuffle2(r0, r1, lo), t1 = shuffle2(r0, r1, hi), t2 = shuffle2(r2, r3, lo);
    float8 t3 = shuffle2(r2, r3, hi), t4 = shuffle2(r4, r5, lo), t5 = shuffle2(r4, r5, hi);
    float8 t6 = shuffle2(r6, r7, lo), t7 = shuffle2(r6, r7, hi);
    float8 u0 = shuffle2(t0, t2, lo2), u1 = shuffle2(t0, t2, hi2), u2 = shuffle2(t1, t3, lo2);
    float8 u3 = shuffle2(t1, t3, hi2), u4 = shuffle2(t4, t6, lo2), u5 = shuffle2(t4, t6, hi2);
    float8 u6 = shuffle2(t5, t7, lo2), u7 = shuffle2(t5, t7, hi2);
    vstore8(shuffle2(u0, u4, lo4), 0, bt);
    vstore8(shuffle2(u1, u5, lo4), 0, bt + PK_TW);
    vstore8(shuffle2(u2, u6, lo4), 0, bt + 2 * PK_TW);
    vstore8(shuffle2(u3, u7, lo4), 0, bt + 3 * PK_TW);
    vstore8(shuffle2(u0, u4, hi4), 0, bt + 4 * PK_TW);
    vstore8(shuffle2(u1, u5, hi4), 0, bt + 5 * PK_TW);
    vstore8(shuffle2(u2, u6, hi4), 0, bt + 6 * PK_TW);
    vstore8(shuffle2(u3, u7, hi4), 0, bt + 7 * PK_TW);
}

// bt[k][c] = b[c][k] for k < len, c < PK_TW (rows past N clamped to row N-1 by the caller's
// pointers: their columns are never stored).
void ntp_pack(const __global float *b[PK_TW], int len, float *bt) {
    int k = 0;
#if PK_TW % 8 == 0
    for (; k + 8 <= len; k += 8)
#pragma unroll
        for (int c = 0; c < PK_TW; c += 8)
            ntp_transpose8(vload8(0, b[c] + k), vload8(0, b[c + 1] + k), vload8(0, b[c + 2] + k),
                           vload8(0, b[c + 3] + k), vload8(0, b[c + 4] + k),
                           vload8(0, b[c + 5] + k), vload8(0, b[c + 6] + k),
                           vload8(0, b[c + 7] + k), bt + k * PK_TW + c);
#endif
    for (; k < len; k++)
        for (int c = 0; c < PK_TW; c++) bt[k * PK_TW + c] = b[c][k];
}

// out[m0.., n0..] = (first ? 0 : out) + A's rows m0.. (K range of len from a) x the panel.
void ntp_tile(int M, int N, int m0, int n0, int len, const __global float *A, int lda,
              const float *bt, __global float *out, int ldc, int first) {
    const __global float *a[PK_TM];
#pragma unroll
    for (int i = 0; i < PK_TM; i++) a[i] = A + (size_t)min(m0 + i, M - 1) * lda;
    VEC acc[PK_TM][PK_NV];
#pragma unroll
    for (int i = 0; i < PK_TM; i++)
#pragma unroll
        for (int v = 0; v < PK_NV; v++) acc[i][v] = 0.0f;
    for (int k = 0; k < len; k++) {
        VEC bv[PK_NV];
#pragma unroll
        for (int v = 0; v < PK_NV; v++) bv[v] = VLOAD(v, bt + k * PK_TW);
#pragma unroll
        for (int i = 0; i < PK_TM; i++) {
            VEC av = (VEC)(a[i][k]);
#pragma unroll
            for (int v = 0; v < PK_NV; v++) acc[i][v] = fma(av, bv[v], acc[i][v]);
        }
    }
    if (m0 + PK_TM <= M && n0 + PK_TW <= N) {
#pragma unroll
        for (int i = 0; i < PK_TM; i++) {
            __global float *row = out + (size_t)(m0 + i) * ldc + n0;
#pragma unroll
            for (int v = 0; v < PK_NV; v++)
                VSTORE(first ? acc[i][v] : acc[i][v] + VLOAD(v, row), v, row);
        }
        return;
    }
#pragma unroll
    for (int i = 0; i < PK_TM; i++) {
        if (m0 + i >= M) break;
        __global float *row = out + (size_t)(m0 + i) * ldc + n0;
#pragma unroll
        for (int v = 0; v < PK_NV; v++) {
            float tmp[GEMM_VW];
            VSTORE(acc[i][v], 0, tmp);
            for (int j = 0; j < GEMM_VW && n0 + v * GEMM_VW + j < N; j++)
                row[v * GEMM_VW + j] = first ? tmp[j] : tmp[j] + row[v * GEMM_VW + j];
        }
    }
}

__kernel void gemm_nt_packed(int M, int N, int K, int kc, int chunks, int pieces, int per_group,
                             int groups, ulong c_group,
                             __global const float *A, ulong a_off, int lda, ulong a_batch,
                             __global const float *B, ulong b_off, int ldb, ulong b_batch,
                             __global float *out, ulong c_off, int ldc) {
    int g = get_global_id(0);
    if (g >= groups) return;
    float bt[NTP_KC * PK_TW];
    out += c_off + g * c_group;
    int p0 = g * per_group, p1 = min(pieces, p0 + per_group);
    for (int p = p0; p < p1; p++) {
        int z = p / chunks, k0 = (p - z * chunks) * kc, len = min(K, k0 + kc) - k0;
        const __global float *a = A + a_off + z * a_batch + k0;
        for (int n0 = 0; n0 < N; n0 += PK_TW) {
            const __global float *b[PK_TW];
#pragma unroll
            for (int c = 0; c < PK_TW; c++)
                b[c] = B + b_off + z * b_batch + (size_t)min(n0 + c, N - 1) * ldb + k0;
            ntp_pack(b, len, bt);
            for (int m0 = 0; m0 < M; m0 += PK_TM)
                ntp_tile(M, N, m0, n0, len, a, lda, bt, out, ldc, p == p0);
        }
    }
}
