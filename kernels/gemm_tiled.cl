// gemm_tiled.cl: matrix products shaped for GPUs: a work-group computes a TS_M x TS_N tile of C,
// staging TS_K-deep slices of A and B in local memory (loaded by the whole group, neighbouring
// work-items on neighbouring addresses), and each work-item keeps a WPT_M x WPT_N register tile
// (sized to stay well under 128 registers on NVIDIA sm_80). Row-major, as gemm.cl.
//
// Tunables are -D options with #ifndef defaults (CLBlast's way); the host builds the variant it
// needs (host/cl/kparams.c), and the program cache key includes the options:
//   A_T   1: A is stored K x M (C = A^T B, "TN"); 0: A is M x K
//   B_T   1: B is stored N x K (C = A B^T, "NT"); 0: B is K x N
//   KSUM  1: C = sum over the batch of A_z B_z: the batch items are one product whose K runs
//            over all of them (batch * K deep), so a weight gradient is a single product
//   TS_M, TS_N, TS_K: the work-group's tile; WPT_M, WPT_N: the work-item's register tile
// Launch: local (TS_N / WPT_N, TS_M / WPT_M, 1), global (ceil(N / TS_N) * local0,
// ceil(M / TS_M) * local1, KSUM ? 1 : batch). bias_mode: 0 none, 1 bias[m], 2 bias[n].

#ifndef A_T
#define A_T 0
#endif
#ifndef B_T
#define B_T 0
#endif
#ifndef KSUM
#define KSUM 0
#endif
#ifndef TS_M
#define TS_M 64
#endif
#ifndef TS_N
#define TS_N 64
#endif
#ifndef TS_K
#define TS_K 16
#endif
#ifndef WPT_M
#define WPT_M 4
#endif
#ifndef WPT_N
#define WPT_N 4
#endif

#define RN (TS_N / WPT_N) // work-items along n (local dimension 0)
#define RM (TS_M / WPT_M) // work-items along m (local dimension 1)
#define THREADS (RN * RM)

// One TS_K-deep slice of an operand into local memory: tile[kk][i] = X(i, k0 + kk) for i in
// [base, base + width), 0 outside the matrix. X(i, k) is X[i * ldx + k] when k_fast (k is
// contiguous in memory), else X[k * ldx + i]; the contiguous index varies fastest across
// work-items, so a work-group's loads coalesce. With KSUM, k runs over the batch items.
void stage(__local float *tile, int width, int k_fast, __global const float *X, ulong x_off,
           int ldx, ulong x_batch, int base, int limit, int k0, int K, int k_total, int tid) {
    for (int e = tid; e < width * TS_K; e += THREADS) {
        int kk = k_fast ? e % TS_K : e / width, ii = k_fast ? e / TS_K : e % width;
        int i = base + ii, kg = k0 + kk;
        float v = 0.0f;
        if (i < limit && kg < k_total) {
#if KSUM
            int z = kg / K, k = kg - z * K;
            __global const float *x = X + x_off + (size_t)z * x_batch;
#else
            int k = kg;
            __global const float *x = X + x_off;
#endif
            v = k_fast ? x[(size_t)i * ldx + k] : x[(size_t)k * ldx + i];
        }
        tile[kk * (width + 1) + ii] = v;
    }
}

__kernel __attribute__((reqd_work_group_size(RN, RM, 1))) void
gemm_tiled(int M, int N, int K, int batch,
           __global const float *A0, ulong a_off, int lda, ulong a_batch,
           __global const float *B0, ulong b_off, int ldb, ulong b_batch,
           __global float *C, ulong c_off, int ldc, ulong c_batch,
           __global const float *bias, ulong bias_off, int bias_mode, int relu) {
    __local float As[TS_K][TS_M + 1], Bs[TS_K][TS_N + 1]; // +1: no bank conflicts on columns
    int ln = get_local_id(0), lm = get_local_id(1), tid = lm * RN + ln;
    int m_base = get_group_id(1) * TS_M, n_base = get_group_id(0) * TS_N;
#if KSUM
    int k_total = K * batch;
#else
    int k_total = K;
    size_t zb = get_group_id(2);
    A0 += zb * a_batch;
    B0 += zb * b_batch;
    C += zb * c_batch;
#endif
    // Fully unrolled loops keep acc, a and b in registers (else they live in slow stack memory).
    float acc[WPT_M][WPT_N];
#pragma unroll
    for (int i = 0; i < WPT_M; i++)
#pragma unroll
        for (int j = 0; j < WPT_N; j++) acc[i][j] = 0.0f;

    for (int k0 = 0; k0 < k_total; k0 += TS_K) {
        stage(&As[0][0], TS_M, !A_T, A0, a_off, lda, a_batch, m_base, M, k0, K, k_total, tid);
        stage(&Bs[0][0], TS_N, B_T, B0, b_off, ldb, b_batch, n_base, N, k0, K, k_total, tid);
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int kk = 0; kk < TS_K; kk++) {
            float a[WPT_M], b[WPT_N];
#pragma unroll
            for (int i = 0; i < WPT_M; i++) a[i] = As[kk][lm + i * RM];
#pragma unroll
            for (int j = 0; j < WPT_N; j++) b[j] = Bs[kk][ln + j * RN];
#pragma unroll
            for (int i = 0; i < WPT_M; i++)
#pragma unroll
                for (int j = 0; j < WPT_N; j++) acc[i][j] = fma(a[i], b[j], acc[i][j]);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }

    bias += bias_off;
#pragma unroll
    for (int i = 0; i < WPT_M; i++) {
        int m = m_base + lm + i * RM;
#pragma unroll
        for (int j = 0; j < WPT_N; j++) {
            int n = n_base + ln + j * RN; // neighbouring work-items store neighbouring n
            if (m >= M || n >= N) continue;
            float v = acc[i][j];
            if (bias_mode == 1) v += bias[m];
            if (bias_mode == 2) v += bias[n];
            if (relu) v = fmax(v, 0.0f);
            C[c_off + (size_t)m * ldc + n] = v;
        }
    }
}
