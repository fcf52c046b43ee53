// batchnorm.cl: batch normalization per channel over (examples, positions), Keras' formulas.
// Training normalizes with the batch's mean and biased variance and moves the running
// statistics; inference uses the running statistics. The statistics kernels give one
// work-item a channel and walk contiguous rows (the CPU-friendly shape, as bias_grad); each
// row's partial sum is added to the total separately so long sums lose little precision.
// ws (the layer's workspace) holds the batch's mean at [c] and 1/sqrt(var + eps) at [C + c]
// from forward to backward.

// Mean and biased variance in two passes (the mean first: no cancellation), saved to ws; the
// running statistics in params move by running = momentum * running + (1 - momentum) * batch.
// Launch: global (C).
__kernel void bn_stats(__global const float *x, int n, int C, int spatial, float eps,
                       float momentum, __global float *ws, __global float *params, ulong mean_off,
                       ulong var_off) {
    int c = get_global_id(0);
    if (c >= C) return;
    float sum = 0.0f;
    for (int b = 0; b < n; b++) {
        __global const float *row = x + ((size_t)b * C + c) * spatial;
        float part = 0.0f;
        for (int p = 0; p < spatial; p++) part += row[p];
        sum += part;
    }
    float count = (float)n * spatial, mean = sum / count, sq = 0.0f;
    for (int b = 0; b < n; b++) {
        __global const float *row = x + ((size_t)b * C + c) * spatial;
        float part = 0.0f;
        for (int p = 0; p < spatial; p++) {
            float d = row[p] - mean;
            part += d * d;
        }
        sq += part;
    }
    float var = sq / count;
    ws[c] = mean;
    ws[C + c] = rsqrt(var + eps);
    params[mean_off + c] = momentum * params[mean_off + c] + (1.0f - momentum) * mean;
    params[var_off + c] = momentum * params[var_off + c] + (1.0f - momentum) * var;
}

// y = (x - mean) * scale * gamma + beta. Training: mean and scale = 1/sqrt(var + eps) from
// bn_stats (stats = ws, from_var 0); inference: the running mean and variance (stats = params,
// from_var 1). Launch: global (spatial, C, n).
__kernel void bn_apply(__global const float *x, __global float *y, int C, int spatial,
                       __global const float *stats, ulong mean_off, ulong scale_off, int from_var,
                       float eps, __global const float *params, ulong gamma_off, ulong beta_off) {
    int p = get_global_id(0), c = get_global_id(1);
    if (p >= spatial || c >= C) return;
    size_t i = (get_global_id(2) * C + c) * (size_t)spatial + p;
    float s = stats[scale_off + c];
    if (from_var) s = rsqrt(s + eps);
    y[i] = (x[i] - stats[mean_off + c]) * s * params[gamma_off + c] + params[beta_off + c];
}

// The parameter gradients: dbeta = sum dy, dgamma = sum dy * xhat (xhat = (x - mean) * scale).
// Launch: global (C).
__kernel void bn_backward_reduce(__global const float *x, __global const float *dy, int n, int C,
                                 int spatial, __global const float *ws, __global float *grads,
                                 ulong gamma_off, ulong beta_off) {
    int c = get_global_id(0);
    if (c >= C) return;
    float mean = ws[c], scale = ws[C + c], sum = 0.0f, sum_xhat = 0.0f;
    for (int b = 0; b < n; b++) {
        size_t row = ((size_t)b * C + c) * spatial;
        float part = 0.0f, part_xhat = 0.0f;
        for (int p = 0; p < spatial; p++) {
            float g = dy[row + p];
            part += g;
            part_xhat += g * (x[row + p] - mean) * scale;
        }
        sum += part;
        sum_xhat += part_xhat;
    }
    grads[beta_off + c] = sum;
    grads[gamma_off + c] = sum_xhat;
}

// dx = gamma * scale * (dy - (dbeta + xhat * dgamma) / M) over the M = n * spatial values of a
// channel: the mean and variance depend on every x, hence the two correction terms.
// Launch: global (spatial, C, n).
__kernel void bn_backward_dx(__global const float *x, __global const float *dy, __global float *dx,
                             int C, int spatial, float inv_m, __global const float *ws,
                             __global const float *params, __global const float *grads,
                             ulong gamma_off, ulong beta_off) {
    int p = get_global_id(0), c = get_global_id(1);
    if (p >= spatial || c >= C) return;
    size_t i = (get_global_id(2) * C + c) * (size_t)spatial + p;
    float scale = ws[C + c], xhat = (x[i] - ws[c]) * scale;
    float corr = (grads[beta_off + c] + xhat * grads[gamma_off + c]) * inv_m;
    dx[i] = params[gamma_off + c] * scale * (dy[i] - corr);
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
bn_backward_reduce_wg(__global const float *x, __global const float *dy, int n, int C,
                      int spatial, __global const float *ws, __global float *grads,
                      ulong gamma_off, ulong beta_off) {
    __local float buf[RED_WG];
    int c = get_group_id(0), m = n * spatial;
    float mean = ws[c], scale = ws[C + c], part = 0.0f, part_xhat = 0.0f;
    for (int e = get_local_id(0); e < m; e += RED_WG) {
        int b = e / spatial, p = e - b * spatial;
        float g = dy[BN_AT(b, p)];
        part += g;
        part_xhat += g * (x[BN_AT(b, p)] - mean) * scale;
    }
    float sum = group_sum(part, buf), sum_xhat = group_sum(part_xhat, buf);
    if (get_local_id(0) != 0) return;
    grads[beta_off + c] = sum;
    grads[gamma_off + c] = sum_xhat;
}
