// gemm.cl: matrix products for CPU-class devices (PoCL): one work-item computes a register tile
// with explicit 16-wide vectors, which PoCL maps to AVX-512 / AVX2 registers. Row-major.
// Buffers are allocated with slack past their end (host/cl/program.c), so a tile may read a
// little past a row or the buffer; it never stores outside the matrix.

// ---- C = op(A) * B, tile 8 x 32 --------------------------------------------------------------
// A_TRANS 1: A is stored K x M (lda >= M), i.e. C = A^T B ("TN"); 0: A is M x K ("NN").
// Launch: global (ceil(M/8), ceil(N/32), batch). Each batch item has its own A, B, C offsets.
// bias_mode: 0 none, 1 bias[m] per row, 2 bias[n] per column; relu: 1 applies max(0, .).
#define GEMM_FMA_ROW(i, a)                                                                       \
    c##i##0 = fma((float16)(a), b0, c##i##0);                                                    \
    c##i##1 = fma((float16)(a), b1, c##i##1);

#define GEMM_STORE_ROW(i)                                                                        \
    if (m0 + i < M) store_row(C + (size_t)(m0 + i) * ldc, n0, N, c##i##0, c##i##1,              \
                              bias_mode == 1 ? bias[m0 + i] : 0.0f, bias, bias_mode, relu);

void store_row(__global float *row, int n0, int N, float16 v0, float16 v1, float row_bias,
                      __global const float *bias, int bias_mode, int relu) {
    float16 add0 = (float16)(row_bias), add1 = (float16)(row_bias);
    if (bias_mode == 2) {
        if (n0 + 32 <= N) {
            add0 = vload16(0, bias + n0);
            add1 = vload16(0, bias + n0 + 16);
        } else {
            float tmp[32];
            for (int j = 0; j < 32; j++) tmp[j] = n0 + j < N ? bias[n0 + j] : 0.0f;
            add0 = vload16(0, tmp);
            add1 = vload16(0, tmp + 16);
        }
    }
    v0 += add0;
    v1 += add1;
    if (relu) {
        v0 = fmax(v0, 0.0f);
        v1 = fmax(v1, 0.0f);
    }
    if (n0 + 32 <= N) {
        vstore16(v0, 0, row + n0);
        vstore16(v1, 0, row + n0 + 16);
    } else {
        float tmp[32];
        vstore16(v0, 0, tmp);
        vstore16(v1, 0, tmp + 16);
        for (int j = 0; n0 + j < N; j++) row[n0 + j] = tmp[j];
    }
}

__kernel void gemm_tile8x32(int M, int N, int K, int a_trans,
                            __global const float *A, ulong a_off, int lda, ulong a_batch,
                            __global const float *B, ulong b_off, int ldb, ulong b_batch,
                            __global float *C, ulong c_off, int ldc, ulong c_batch,
                            __global const float *bias, ulong bias_off, int bias_mode, int relu) {
    int m0 = get_global_id(0) * 8, n0 = get_global_id(1) * 32;
    if (m0 >= M || n0 >= N) return;
    bias += bias_off;
    size_t z = get_global_id(2);
    A += a_off + z * a_batch;
    B += b_off + z * b_batch;
    C += c_off + z * c_batch;
    float16 c00 = 0, c01 = 0, c10 = 0, c11 = 0, c20 = 0, c21 = 0, c30 = 0, c31 = 0;
    float16 c40 = 0, c41 = 0, c50 = 0, c51 = 0, c60 = 0, c61 = 0, c70 = 0, c71 = 0;
    const __global float *b = B + n0;
    if (a_trans) {
        const __global float *a = A + m0;
        for (int k = 0; k < K; k++, a += lda, b += ldb) {
            float16 b0 = vload16(0, b), b1 = vload16(0, b + 16);
            float8 av = vload8(0, a);
            GEMM_FMA_ROW(0, av.s0) GEMM_FMA_ROW(1, av.s1) GEMM_FMA_ROW(2, av.s2)
            GEMM_FMA_ROW(3, av.s3) GEMM_FMA_ROW(4, av.s4) GEMM_FMA_ROW(5, av.s5)
            GEMM_FMA_ROW(6, av.s6) GEMM_FMA_ROW(7, av.s7)
        }
    } else {
        // Rows past M read row M-1 (in bounds); they are never stored.
        const __global float *a[8];
        for (int i = 0; i < 8; i++) a[i] = A + (size_t)min(m0 + i, M - 1) * lda;
        for (int k = 0; k < K; k++, b += ldb) {
            float16 b0 = vload16(0, b), b1 = vload16(0, b + 16);
            GEMM_FMA_ROW(0, a[0][k]) GEMM_FMA_ROW(1, a[1][k]) GEMM_FMA_ROW(2, a[2][k])
            GEMM_FMA_ROW(3, a[3][k]) GEMM_FMA_ROW(4, a[4][k]) GEMM_FMA_ROW(5, a[5][k])
            GEMM_FMA_ROW(6, a[6][k]) GEMM_FMA_ROW(7, a[7][k])
        }
    }
    GEMM_STORE_ROW(0) GEMM_STORE_ROW(1) GEMM_STORE_ROW(2) GEMM_STORE_ROW(3)
    GEMM_STORE_ROW(4) GEMM_STORE_ROW(5) GEMM_STORE_ROW(6) GEMM_STORE_ROW(7)
}

// ---- C = sum over batch of A_z * B_z^T, tile 4 x 4, vectors along K ("NT") -------------------
// A_z is M x K (lda), B_z is N x K (ldb); the batch items are summed (weight gradients sum over
// the images of a batch). Launch: global (ceil(M/4), ceil(N/4), groups): group g sums items
// [g*per_group, (g+1)*per_group) into C + g*c_group (then gemm_sum_groups adds the groups up).
// Groups run one after another, so the tiles of a group share its items in cache.
__kernel void gemm_nt4x4(int M, int N, int K, int batch, int per_group, ulong c_group,
                         __global const float *A, ulong a_off, int lda, ulong a_batch,
                         __global const float *B, ulong b_off, int ldb, ulong b_batch,
                         __global float *C, ulong c_off, int ldc,
                         __global const float *bias, ulong bias_off, int bias_mode, int relu) {
    int m0 = get_global_id(0) * 4, n0 = get_global_id(1) * 4;
    if (m0 >= M || n0 >= N) return;
    bias += bias_off;
    float16 acc[16];
    for (int i = 0; i < 16; i++) acc[i] = 0.0f;
    float tail[16];
    for (int i = 0; i < 16; i++) tail[i] = 0.0f;
    int k16 = K & ~15;
    int z0 = get_global_id(2) * per_group, z1 = min(batch, z0 + per_group);
    C += get_global_id(2) * c_group;
    for (int z = z0; z < z1; z++) {
        const __global float *a[4], *b[4];
        for (int i = 0; i < 4; i++) {
            a[i] = A + a_off + z * a_batch + (size_t)min(m0 + i, M - 1) * lda;
            b[i] = B + b_off + z * b_batch + (size_t)min(n0 + i, N - 1) * ldb;
        }
        for (int k = 0; k < k16; k += 16) {
            float16 a0 = vload16(0, a[0] + k), a1 = vload16(0, a[1] + k);
            float16 a2 = vload16(0, a[2] + k), a3 = vload16(0, a[3] + k);
            float16 b0 = vload16(0, b[0] + k), b1 = vload16(0, b[1] + k);
            float16 b2 = vload16(0, b[2] + k), b3 = vload16(0, b[3] + k);
            acc[0] = fma(a0, b0, acc[0]); acc[1] = fma(a0, b1, acc[1]);
            acc[2] = fma(a0, b2, acc[2]); acc[3] = fma(a0, b3, acc[3]);
            acc[4] = fma(a1, b0, acc[4]); acc[5] = fma(a1, b1, acc[5]);
            acc[6] = fma(a1, b2, acc[6]); acc[7] = fma(a1, b3, acc[7]);
            acc[8] = fma(a2, b0, acc[8]); acc[9] = fma(a2, b1, acc[9]);
            acc[10] = fma(a2, b2, acc[10]); acc[11] = fma(a2, b3, acc[11]);
            acc[12] = fma(a3, b0, acc[12]); acc[13] = fma(a3, b1, acc[13]);
            acc[14] = fma(a3, b2, acc[14]); acc[15] = fma(a3, b3, acc[15]);
        }
        for (int k = k16; k < K; k++)
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 4; j++) tail[i * 4 + j] = fma(a[i][k], b[j][k], tail[i * 4 + j]);
    }
    for (int i = 0; i < 4 && m0 + i < M; i++)
        for (int j = 0; j < 4 && n0 + j < N; j++) {
            float v = hsum16(acc[i * 4 + j]) + tail[i * 4 + j];
            if (bias_mode == 1) v += bias[m0 + i];
            if (bias_mode == 2) v += bias[n0 + j];
            if (relu) v = fmax(v, 0.0f);
            C[c_off + (size_t)(m0 + i) * ldc + n0 + j] = v;
        }
}

// C[m][n] = sum over groups of P[g][m][n] (+ bias, ReLU): the second half of a grouped NT
// product. Launch: global (N, M).
__kernel void gemm_sum_groups(int M, int N, int groups, __global const float *P,
                              __global float *C, ulong c_off, int ldc,
                              __global const float *bias, ulong bias_off, int bias_mode, int relu) {
    int n = get_global_id(0), m = get_global_id(1);
    if (n >= N || m >= M) return;
    float v = 0.0f;
    for (int g = 0; g < groups; g++) v += P[((size_t)g * M + m) * N + n];
    bias += bias_off;
    if (bias_mode == 1) v += bias[m];
    if (bias_mode == 2) v += bias[n];
    if (relu) v = fmax(v, 0.0f);
    C[c_off + (size_t)m * ldc + n] = v;
}
