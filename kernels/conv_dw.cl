// conv_dw.cl: the weight gradient of a stride-1 convolution without im2col, for CPU-class devices
// (PoCL). dw[m][r] = sum over the wide positions p of dy[m][p] * x[p + offset of tap r]: a product
// whose long dimension is the sum. The output gradient is first laid out filter-minor
// (conv_dw_layout: the Mp = M rounded up to DW_VW filters of one position side by side), so that a
// work-item holds DW_WV vectors of DW_VW filters x DW_WR taps of accumulators and, per position,
// loads DW_WV aligned vectors of dy and broadcasts DW_WR floats of x: a BLAS micro-kernel's
// register tile with no unaligned vector loads, no tail loop and no horizontal sums, where the
// filter-major layout (dot products along the positions) loaded 7 vectors, 3 of them unaligned,
// per 12 FMAs. The tile is sized for the register file: float8, 16 filters x 6 taps (12 of AVX2's
// 16 registers, 2 loads + 6 broadcasts per 12 FMAs); float16, the host's choice for AVX-512's 32
// (host/nn/conv2d_dw.c).
// Tunables (-D, from host/nn/conv2d_dw.c, whose width-8 defaults these match). Launched with
// local size 1: each work-item is a long loop over the positions of its images.

#ifndef DW_VW
#define DW_VW 8
#endif
#ifndef DW_WV
#define DW_WV 2
#endif
#ifndef DW_WR
#define DW_WR 6
#endif
// The register tile is an array indexed by these loops: unrolled, it lives in registers (PoCL
// does not unroll them on its own, and the arrays then stay in memory).
#define DW_UNROLL __attribute__((opencl_unroll_hint))
#define DW_VEC CLCNN_CAT(float, DW_VW)
#define DW_VLOAD CLCNN_CAT(vload, DW_VW)
#define DW_VSTORE CLCNN_CAT(vstore, DW_VW)

// The 8 x 8 transpose of r[0..7] into c[0..7] (c[q].sl = r[l].sq) in three rounds of two-source
// shuffles, AVX's unpack / shuffle / lane-permute pattern.
void dw_transpose8(const float8 *r, float8 *c) {
    float8 t[8], u[8];
    DW_UNROLL for (int k = 0; k < 8; k += 2) {
        float8 a = r[k], b = r[k + 1];
        t[k] = (float8)(a.s0, b.s0, a.s1, b.s1, a.s4, b.s4, a.s5, b.s5);
        t[k + 1] = (float8)(a.s2, b.s2, a.s3, b.s3, a.s6, b.s6, a.s7, b.s7);
    }
    DW_UNROLL for (int k = 0; k < 8; k += 4)
        DW_UNROLL for (int h = 0; h < 2; h++) {
            float8 a = t[k + h], b = t[k + h + 2];
            u[k + 2 * h] = (float8)(a.s01, b.s01, a.s45, b.s45);
            u[k + 2 * h + 1] = (float8)(a.s23, b.s23, a.s67, b.s67);
        }
    DW_UNROLL for (int k = 0; k < 4; k++) {
        c[k] = (float8)(u[k].lo, u[k + 4].lo);
        c[k + 4] = (float8)(u[k].hi, u[k + 4].hi);
    }
}

// dyt[z][p][m] = dy[z][m][oh][ow] for the wide position p = oh*Wp + ow, zero where ow >= OW or
// m >= M; rows of Mp floats (M rounded up to DW_VW, a multiple of 8). Blocks of 8 filters x 8
// columns: 8 row loads, a register transpose, 8 stores; a row's last block overlaps the one before
// it (storing the same values again) rather than taking a path of its own. Rows narrower than 8 go
// element by element.
// Launch: global (OH, n), local (1, 1).
__kernel void conv_dw_layout(int M, int OH, int OW, int Wp, __global const float *dy,
                             __global float *dyt, ulong dyt_off, ulong dyt_batch) {
    int oh = get_global_id(0);
    size_t z = get_global_id(1), P = (size_t)OH * OW;
    int Mp = (M + DW_VW - 1) & ~(DW_VW - 1);
    __global const float *s = dy + z * M * P + (size_t)oh * OW;
    __global float *d = dyt + dyt_off + z * dyt_batch + (size_t)oh * Wp * Mp;
    if (OW < 8) {
        for (int ow = 0; ow < OW; ow++)
            for (int m = 0; m < Mp; m++)
                d[(size_t)ow * Mp + m] = m < M ? s[m * P + ow] : 0.0f;
    } else {
        for (int ow0 = 0; ow0 < OW; ow0 += 8) {
            int ow = min(ow0, OW - 8);
            for (int m0 = 0; m0 < Mp; m0 += 8) {
                float8 r[8], c[8];
                DW_UNROLL for (int l = 0; l < 8; l++)
                    r[l] = m0 + l < M ? vload8(0, s + (m0 + l) * P + ow) : (float8)(0.0f);
                dw_transpose8(r, c);
                DW_UNROLL for (int q = 0; q < 8; q++)
                    vstore8(c[q], 0, d + (size_t)(ow + q) * Mp + m0);
            }
        }
    }
    for (int ow = OW; ow < Wp; ow++)
        for (int m0 = 0; m0 < Mp; m0 += 8)
            vstore8((float8)(0.0f), 0, d + (size_t)ow * Mp + m0);
}

// dw[m][(c*KH + i)*KW + j] = sum over z and wide positions p of dyt[z][p][m] * x[z][c][p + i*Wp +
// j], x planes Hp x Wp. p stops at the last output, (OH-1)*Wp + OW, so x is read inside its plane
// (a zero times a NaN past it is NaN). The images [g*per_group, (g+1)*per_group) of the batch are
// summed inside the work-item into dw + g*dw_group: groups small enough that their images stay in
// cache while every tile of the group passes over them (the host adds the groups up when there are
// several). The taps' blocks run along dimension 0: work-items one after another on a core then
// share their dy rows in cache and read overlapping x rows.
// Launch: global (ceil(R / DW_WR), ceil(Mp / (DW_VW * DW_WV)), groups), local (1, 1, 1);
// R = C*KH*KW.
__kernel void conv_dw(int C, int M, int Hp, int Wp, int KH, int KW, int OH, int batch,
                      int per_group, __global const float *dyt, ulong dyt_off, ulong dyt_batch,
                      __global const float *x, ulong x_off, ulong x_batch, __global float *dw,
                      ulong dw_off, ulong dw_group) {
    int r0 = get_global_id(0) * DW_WR, m0 = get_global_id(1) * DW_VW * DW_WV;
    int R = C * KH * KW, Mp = (M + DW_VW - 1) & ~(DW_VW - 1);
    if (m0 >= Mp || r0 >= R) return;
    int OW = Wp - KW + 1, P = (OH - 1) * Wp + OW;
    size_t plane = (size_t)Hp * Wp;
    // Vectors past Mp read the last one (in bounds); taps past R read the last tap: neither is
    // stored.
    int a_off[DW_WV];
    DW_UNROLL for (int v = 0; v < DW_WV; v++) a_off[v] = min(m0 + DW_VW * v, Mp - DW_VW);
    size_t b_off[DW_WR];
    DW_UNROLL for (int f = 0; f < DW_WR; f++) {
        int r = min(r0 + f, R - 1), j = r % KW, i = (r / KW) % KH, c = r / (KH * KW);
        b_off[f] = x_off + c * plane + i * Wp + j;
    }
    DW_VEC acc[DW_WV][DW_WR];
    DW_UNROLL for (int v = 0; v < DW_WV; v++)
        DW_UNROLL for (int f = 0; f < DW_WR; f++) acc[v][f] = 0.0f;
    int z0 = get_global_id(2) * per_group, z1 = min(batch, z0 + per_group);
    for (int z = z0; z < z1; z++) {
        __global const float *a = dyt + dyt_off + z * dyt_batch;
        __global const float *xz = x + z * x_batch;
        for (int p = 0; p < P; p++, a += Mp) {
            DW_VEC av[DW_WV];
            DW_UNROLL for (int v = 0; v < DW_WV; v++) av[v] = DW_VLOAD(0, a + a_off[v]);
            DW_UNROLL for (int f = 0; f < DW_WR; f++) {
                DW_VEC bv = (DW_VEC)(xz[b_off[f] + p]);
                DW_UNROLL for (int v = 0; v < DW_WV; v++) acc[v][f] = fma(av[v], bv, acc[v][f]);
            }
        }
    }
    dw += dw_off + get_global_id(2) * dw_group;
    for (int v = 0; v < DW_WV && m0 + DW_VW * v < M; v++)
        for (int f = 0; f < DW_WR && r0 + f < R; f++) {
            float out[DW_VW];
            DW_VSTORE(acc[v][f], 0, out);
            for (int l = 0; l < DW_VW && m0 + DW_VW * v + l < M; l++)
                dw[(size_t)(m0 + DW_VW * v + l) * R + r0 + f] = out[l];
        }
}
