// batchnorm.cl: batch normalization per channel over (examples, positions), Keras' formulas.
// Training normalizes with the batch's mean and biased variance and moves the running
// statistics; inference uses the running statistics. The statistics kernels give one
// work-item a channel and walk contiguous rows (the CPU-friendly shape, as bias_grad); each
// row's partial sum (32 lanes, then the lanes) is added to the total separately so long sums
// lose little precision.
// ws (the layer's workspace) holds the batch's mean at [c] and 1/sqrt(var + eps) at [C + c]
// from forward to backward.

// Mean and biased variance in two passes (the mean first: no cancellation), saved to ws; the
// running statistics in params move by running = momentum * running + (1 - momentum) * batch.
// One work-item per channel with local size 1: the channels spread over the cores, rows are
// summed as vectors (prelude.cl's row sums), and the second pass finds the channel's values
// (n * spatial floats: 100 KB at batch 32 and 28 x 28) still in the core's cache, so memory is
// read about once. Launch: global (C), local (1).
__kernel void bn_stats(__global const float *x, int n, int C, int spatial, float eps,
                       float momentum, __global float *ws, __global float *params, ulong mean_off,
                       ulong var_off) {
    int c = get_global_id(0);
    if (c >= C) return;
    float sum = 0.0f;
    for (int b = 0; b < n; b++) sum += row_sum(x + ((size_t)b * C + c) * spatial, spatial);
    float count = (float)n * spatial, mean = sum / count, sq = 0.0f;
    for (int b = 0; b < n; b++) sq += row_sq_dev(x + ((size_t)b * C + c) * spatial, spatial, mean);
    float var = sq / count;
    ws[c] = mean;
    ws[C + c] = rsqrt(var + eps);
    params[mean_off + c] = momentum * params[mean_off + c] + (1.0f - momentum) * mean;
    params[var_off + c] = momentum * params[var_off + c] + (1.0f - momentum) * var;
}

// The per-element kernels take 8 positions of one (example, channel) row per work-item as float8
// operations, the row's tail one by one. Launch: global (ceil(spatial / 8), C, n).
#define EACH8_ROW(VEC, SCALAR)                                                                   \
    int p = get_global_id(0) * 8, c = get_global_id(1);                                          \
    if (p >= spatial || c >= C) return;                                                          \
    size_t i = (get_global_id(2) * C + c) * (size_t)spatial + p;                                 \
    if (p + 8 <= spatial) {                                                                      \
        VEC;                                                                                     \
        return;                                                                                  \
    }                                                                                            \
    for (; p < spatial; p++, i++) {                                                              \
        SCALAR;                                                                                  \
    }

// y = (x - mean) * scale * gamma + beta, then max(y, 0) when relu (a ReLU layer after this one,
// fused by nn/fuse.c: relu_forward's fmax, so the same bits). Training: mean and scale =
// 1/sqrt(var + eps) from bn_stats (stats = ws, from_var 0); inference: the running mean and
// variance (stats = params, from_var 1).
__kernel void bn_apply(__global const float *x, __global float *y, int C, int spatial,
                       __global const float *stats, ulong mean_off, ulong scale_off, int from_var,
                       float eps, __global const float *params, ulong gamma_off, ulong beta_off,
                       int relu) {
    int ch = get_global_id(1) < C ? get_global_id(1) : 0;
    float s = stats[scale_off + ch], mean = stats[mean_off + ch];
    if (from_var) s = rsqrt(s + eps);
    float gamma = params[gamma_off + ch], beta = params[beta_off + ch];
    EACH8_ROW(float8 v = (vload8(0, x + i) - mean) * s * gamma + beta;
              vstore8(relu ? fmax(v, 0.0f) : v, 0, y + i),
              float v = (x[i] - mean) * s * gamma + beta;
              y[i] = relu ? fmax(v, 0.0f) : v)
}

// The sums of g and of g * (x - mean) over a row, as prelude.cl's row sums.
float2 row_dy_sums(__global const float *g, __global const float *x, int len, float mean) {
    float16 a = 0.0f, b = 0.0f;
    int i = 0;
    for (; i + 16 <= len; i += 16) {
        float16 gi = vload16(0, g + i);
        a += gi;
        b += gi * (vload16(0, x + i) - mean);
    }
    float2 s = (float2)(hsum16(a), hsum16(b));
    for (; i < len; i++) {
        s.x += g[i];
        s.y += g[i] * (x[i] - mean);
    }
    return s;
}

// row_dy_sums behind a fused ReLU: g = y > 0 ? g : 0 first (relu_backward's select, so the same
// bits), written back in place for bn_backward_dx.
float2 row_dy_sums_relu(__global const float *y, __global float *g, __global const float *x,
                        int len, float mean) {
    float16 a = 0.0f, b = 0.0f;
    int i = 0;
    for (; i + 16 <= len; i += 16) {
        float16 gi = select((float16)0.0f, vload16(0, g + i), vload16(0, y + i) > 0.0f);
        vstore16(gi, 0, g + i);
        a += gi;
        b += gi * (vload16(0, x + i) - mean);
    }
    float2 s = (float2)(hsum16(a), hsum16(b));
    for (; i < len; i++) {
        float gi = y[i] > 0.0f ? g[i] : 0.0f;
        g[i] = gi;
        s.x += gi;
        s.y += gi * (x[i] - mean);
    }
    return s;
}

// The parameter gradients: dbeta = sum dy, dgamma = sum dy * xhat (xhat = (x - mean) * scale,
// the scale applied once to the sum). With relu (a fused ReLU: y is this layer's output after
// it), dy is first masked in place by y > 0. Launch: global (C), local (1), as bn_stats.
__kernel void bn_backward_reduce(__global const float *x, __global float *dy, int n, int C,
                                 int spatial, __global const float *ws, __global float *grads,
                                 ulong gamma_off, ulong beta_off, __global const float *y,
                                 int relu) {
    int c = get_global_id(0);
    if (c >= C) return;
    float mean = ws[c], scale = ws[C + c];
    float2 sum = 0.0f;
    for (int b = 0; b < n; b++) {
        size_t row = ((size_t)b * C + c) * spatial;
        sum += relu ? row_dy_sums_relu(y + row, dy + row, x + row, spatial, mean)
                    : row_dy_sums(dy + row, x + row, spatial, mean);
    }
    grads[beta_off + c] = sum.x;
    grads[gamma_off + c] = sum.y * scale;
}

// dx = gamma * scale * (dy - (dbeta + xhat * dgamma) / M) over the M = n * spatial values of a
// channel: the mean and variance depend on every x, hence the two correction terms.
__kernel void bn_backward_dx(__global const float *x, __global const float *dy, __global float *dx,
                             int C, int spatial, float inv_m, __global const float *ws,
                             __global const float *params, __global const float *grads,
                             ulong gamma_off, ulong beta_off) {
    int ch = get_global_id(1) < C ? get_global_id(1) : 0;
    float mean = ws[ch], scale = ws[C + ch], gs = params[gamma_off + ch] * scale;
    float dbeta = grads[beta_off + ch], dgamma = grads[gamma_off + ch];
    EACH8_ROW(float8 xhat = (vload8(0, x + i) - mean) * scale;
              vstore8(gs * (vload8(0, dy + i) - (dbeta + xhat * dgamma) * inv_m), 0, dx + i),
              float xhat = (x[i] - mean) * scale;
              dx[i] = gs * (dy[i] - (dbeta + xhat * dgamma) * inv_m))
}

// ---- GPU shape: a work-group of RED_WG per channel --------------------------------------------
// The same results as bn_stats and bn_backward_reduce, summed by work-group trees (fixed order);
// neighbouring work-items read neighbouring positions. Launch: global (C * RED_WG), local (RED_WG).

#define BN_AT(b, p) (((size_t)(b) * C + c) * spatial + (p))

__kernel __attribute__((reqd_work_group_size(RED_WG, 1, 1))) void
bn_stats_wg(__global const float *x, int n, int C, int spatial, float eps, float momentum,
            __global float *ws, __global float *params, ulong mean_off, ulong var_off) {
    __local float buf[RED_WG];
    int c = get_group_id(0), m = n * spatial;
    float part = 0.0f;
    for (int e = get_local_id(0); e < m; e += RED_WG) {
        int b = e / spatial, p = e - b * spatial;
        part += x[BN_AT(b, p)];
    }
    float count = (float)m, mean = group_sum(part, buf) / count;
    part = 0.0f;
    for (int e = get_local_id(0); e < m; e += RED_WG) {
        int b = e / spatial, p = e - b * spatial;
        float d = x[BN_AT(b, p)] - mean;
        part += d * d;
    }
    float var = group_sum(part, buf) / count;
    if (get_local_id(0) != 0) return;
    ws[c] = mean;
    ws[C + c] = rsqrt(var + eps);
    params[mean_off + c] = momentum * params[mean_off + c] + (1.0f - momentum) * mean;
    params[var_off + c] = momentum * params[var_off + c] + (1.0f - momentum) * var;
}

__kernel __attribute__((reqd_work_group_size(RED_WG, 1, 1))) void
bn_backward_reduce_wg(__global const float *x, __global float *dy, int n, int C, int spatial,
                      __global const float *ws, __global float *grads, ulong gamma_off,
                      ulong beta_off, __global const float *y, int relu) {
    __local float buf[RED_WG];
    int c = get_group_id(0), m = n * spatial;
    float mean = ws[c], scale = ws[C + c], part = 0.0f, part_xhat = 0.0f;
    for (int e = get_local_id(0); e < m; e += RED_WG) {
        int b = e / spatial, p = e - b * spatial;
        float g = dy[BN_AT(b, p)];
        if (relu) {
            g = y[BN_AT(b, p)] > 0.0f ? g : 0.0f;
            dy[BN_AT(b, p)] = g;
        }
        part += g;
        part_xhat += g * (x[BN_AT(b, p)] - mean) * scale;
    }
    float sum = group_sum(part, buf), sum_xhat = group_sum(part_xhat, buf);
    if (get_local_id(0) != 0) return;
    grads[beta_off + c] = sum;
    grads[gamma_off + c] = sum_xhat;
}
