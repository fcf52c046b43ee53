// elementwise.cl: bias, activations and other per-element work.

// C[z][m][n] += bias (per row m: mode 1, per column n: mode 2), then optional ReLU.
// Launch: global (N, M, batch).
__kernel void bias_act_rows(int M, int N, __global float *C, ulong c_off, int ldc, ulong c_batch,
                            __global const float *bias, ulong bias_off, int bias_mode, int relu) {
    int n = get_global_id(0), m = get_global_id(1);
    if (n >= N || m >= M) return;
    bias += bias_off;
    __global float *c = C + c_off + get_global_id(2) * c_batch + (size_t)m * ldc + n;
    float v = *c;
    if (bias_mode == 1) v += bias[m];
    if (bias_mode == 2) v += bias[n];
    if (relu) v = fmax(v, 0.0f);
    *c = v;
}

// The per-element kernels below take 8 elements per work-item as float8 operations (PoCL would
// otherwise run the scalar form one lane at a time); the last work-item takes the rest one by
// one. Launch: global (ceil(count / 8)), rounded up.
#define EACH8(VEC, SCALAR)                                                                       \
    size_t i = get_global_id(0) * 8;                                                             \
    if (i >= count) return;                                                                      \
    if (i + 8 <= count) {                                                                        \
        VEC;                                                                                     \
        return;                                                                                  \
    }                                                                                            \
    for (; i < count; i++) {                                                                     \
        SCALAR;                                                                                  \
    }

// dy *= (y > 0): the gradient through a ReLU, from its output.
__kernel void relu_mask(__global const float *y, __global float *dy, ulong count) {
    EACH8(vstore8(select(vload8(0, dy + i), (float8)0.0f, vload8(0, y + i) <= 0.0f), 0, dy + i),
          if (y[i] <= 0.0f) dy[i] = 0.0f)
}

// y = max(x, 0).
__kernel void relu_forward(__global const float *x, __global float *y, ulong count) {
    EACH8(vstore8(fmax(vload8(0, x + i), 0.0f), 0, y + i), y[i] = fmax(x[i], 0.0f))
}

// dx = dy where x > 0.
__kernel void relu_backward(__global const float *x, __global const float *dy, __global float *dx,
                            ulong count) {
    EACH8(vstore8(select((float8)0.0f, vload8(0, dy + i), vload8(0, x + i) > 0.0f), 0, dx + i),
          dx[i] = x[i] > 0.0f ? dy[i] : 0.0f)
}

// db[k] = sum over examples and positions of dy[n][k][p], one work-item per channel walking
// contiguous rows (the CPU shape; launched with local size 1, so the channels spread over the
// cores and each row is summed as vectors). Launch: global (channels), local (1).
__kernel void bias_grad(__global const float *dy, int n, int channels, int spatial,
                        __global float *grads, ulong offset) {
    int k = get_global_id(0);
    if (k >= channels) return;
    float sum = 0.0f;
    for (int b = 0; b < n; b++) sum += row_sum(dy + ((size_t)b * channels + k) * spatial, spatial);
    grads[offset + k] = sum;
}

// bias_grad behind a fused ReLU: dy *= (y > 0) in place and db = its sums, one pass over dy
// instead of relu_mask's and bias_grad's two. Launch: global (channels), local (1).
__kernel void relu_bias_grad(__global const float *y, __global float *dy, int n, int channels,
                             int spatial, __global float *grads, ulong offset) {
    int k = get_global_id(0);
    if (k >= channels) return;
    float sum = 0.0f;
    for (int b = 0; b < n; b++) {
        size_t row = ((size_t)b * channels + k) * spatial;
        sum += row_mask_sum(y + row, dy + row, spatial);
    }
    grads[offset + k] = sum;
}

// bias_grad's GPU shape: a work-group of RED_WG per channel; neighbouring work-items read
// neighbouring positions. Launch: global (channels * RED_WG), local (RED_WG).
__kernel __attribute__((reqd_work_group_size(RED_WG, 1, 1))) void
bias_grad_wg(__global const float *dy, int n, int channels, int spatial, __global float *grads,
             ulong offset) {
    __local float buf[RED_WG];
    int k = get_group_id(0), m = n * spatial;
    float part = 0.0f;
    for (int e = get_local_id(0); e < m; e += RED_WG) {
        int b = e / spatial, p = e - b * spatial;
        part += dy[((size_t)b * channels + k) * spatial + p];
    }
    float sum = group_sum(part, buf);
    if (get_local_id(0) == 0) grads[offset + k] = sum;
}

// relu_bias_grad's GPU shape, as bias_grad_wg. Launch: global (channels * RED_WG), local (RED_WG).
__kernel __attribute__((reqd_work_group_size(RED_WG, 1, 1))) void
relu_bias_grad_wg(__global const float *y, __global float *dy, int n, int channels, int spatial,
                  __global float *grads, ulong offset) {
    __local float buf[RED_WG];
    int k = get_group_id(0), m = n * spatial;
    float part = 0.0f;
    for (int e = get_local_id(0); e < m; e += RED_WG) {
        int b = e / spatial, p = e - b * spatial;
        size_t i = ((size_t)b * channels + k) * spatial + p;
        if (y[i] <= 0.0f) dy[i] = 0.0f;
        part += dy[i];
    }
    float sum = group_sum(part, buf);
    if (get_local_id(0) == 0) grads[offset + k] = sum;
}
