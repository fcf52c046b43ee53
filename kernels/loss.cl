// loss.cl: softmax fused with cross-entropy, numerically stable (the row maximum is subtracted).

// One work-item per example: loss[i] = logsumexp(z) - z[label]; dz = (softmax - onehot) / n
// (the mean over the batch); correct[i] = argmax == label (first maximum wins). Metrics go to
// per-example slots at `slot` so a whole epoch is read back at once.
// Launch: global (n).
__kernel void softmax_xent(__global const float *logits, __global const uchar *labels,
                           __global float *dlogits, int k, int n, float inv_batch,
                           __global float *loss_out, __global uchar *correct_out,
                           __global uchar *pred_out, int slot, int want_grad) {
    int i = get_global_id(0);
    if (i >= n) return;
    __global const float *z = logits + (size_t)i * k;
    float m = z[0];
    int arg = 0;
    for (int j = 1; j < k; j++)
        if (z[j] > m) {
            m = z[j];
            arg = j;
        }
    float sum = 0.0f;
    for (int j = 0; j < k; j++) sum += exp(z[j] - m);
    int label = labels[i];
    float lse = m + log(sum);
    loss_out[slot + i] = lse - z[label];
    correct_out[slot + i] = arg == label;
    pred_out[slot + i] = (uchar)arg;
    if (want_grad) {
        __global float *dz = dlogits + (size_t)i * k;
        for (int j = 0; j < k; j++)
            dz[j] = (exp(z[j] - lse) - (j == label ? 1.0f : 0.0f)) * inv_batch;
    }
}

// Row-wise softmax for predictions. Launch: global (n).
__kernel void softmax_rows(__global const float *logits, __global float *probs, int k, int n) {
    int i = get_global_id(0);
    if (i >= n) return;
    __global const float *z = logits + (size_t)i * k;
    float m = z[0];
    for (int j = 1; j < k; j++) m = fmax(m, z[j]);
    float sum = 0.0f;
    for (int j = 0; j < k; j++) sum += exp(z[j] - m);
    for (int j = 0; j < k; j++) probs[(size_t)i * k + j] = exp(z[j] - m) / sum;
}

// ---- GPU shape: a work-group of RED_WG per example ----------------------------------------------
// The same results as the kernels above, with the row's maximum, argmax and sum of exponentials
// reduced over RED_WG work-items by a tree in a fixed order (so a given RED_WG always gives the
// same bits); work-item l handles classes l, l + RED_WG, ... Launch: global (n * RED_WG), local
// (RED_WG). Built with -DRED_WG (host/nn/loss.c).

// The row's maximum and its first index (ties: the smaller index wins, as above), to every
// work-item. vbuf and ibuf hold RED_WG entries.
void group_max_arg(float v, int idx, __local float *vbuf, __local int *ibuf, float *m, int *arg) {
    int l = get_local_id(0);
    vbuf[l] = v;
    ibuf[l] = idx;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = RED_WG / 2; s > 0; s >>= 1) {
        if (l < s) {
            float a = vbuf[l], b = vbuf[l + s];
            int ia = ibuf[l], ib = ibuf[l + s];
            if (ib >= 0 && (ia < 0 || b > a || (b == a && ib < ia))) {
                vbuf[l] = b;
                ibuf[l] = ib;
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    *m = vbuf[0];
    *arg = ibuf[0];
    barrier(CLK_LOCAL_MEM_FENCE);
}

// The row's maximum, argmax and sum of exp(z - max), to every work-item of the group.
void row_stats(__global const float *z, int k, __local float *vbuf, __local int *ibuf, float *m,
               int *arg, float *sum) {
    int l = get_local_id(0);
    float best = 0.0f;
    int best_i = -1; // -1: this work-item has no class (k < RED_WG)
    for (int j = l; j < k; j += RED_WG)
        if (best_i < 0 || z[j] > best) {
            best = z[j];
            best_i = j;
        }
    group_max_arg(best, best_i, vbuf, ibuf, m, arg);
    float part = 0.0f;
    for (int j = l; j < k; j += RED_WG) part += exp(z[j] - *m);
    *sum = group_sum(part, vbuf);
}

__kernel __attribute__((reqd_work_group_size(RED_WG, 1, 1))) void
softmax_xent_wg(__global const float *logits, __global const uchar *labels,
                __global float *dlogits, int k, int n, float inv_batch, __global float *loss_out,
                __global uchar *correct_out, __global uchar *pred_out, int slot, int want_grad) {
    __local float vbuf[RED_WG];
    __local int ibuf[RED_WG];
    int i = get_group_id(0); // the launch has exactly n groups: no guard needed for barriers
    __global const float *z = logits + (size_t)i * k;
    float m, sum;
    int arg;
    row_stats(z, k, vbuf, ibuf, &m, &arg, &sum);
    int label = labels[i];
    float lse = m + log(sum);
    if (get_local_id(0) == 0) {
        loss_out[slot + i] = lse - z[label];
        correct_out[slot + i] = arg == label;
        pred_out[slot + i] = (uchar)arg;
    }
    if (want_grad) {
        __global float *dz = dlogits + (size_t)i * k;
        for (int j = get_local_id(0); j < k; j += RED_WG)
            dz[j] = (exp(z[j] - lse) - (j == label ? 1.0f : 0.0f)) * inv_batch;
    }
}

__kernel __attribute__((reqd_work_group_size(RED_WG, 1, 1))) void
softmax_rows_wg(__global const float *logits, __global float *probs, int k, int n) {
    __local float vbuf[RED_WG];
    __local int ibuf[RED_WG];
    int i = get_group_id(0);
    __global const float *z = logits + (size_t)i * k;
    float m, sum;
    int arg;
    row_stats(z, k, vbuf, ibuf, &m, &arg, &sum);
    for (int j = get_local_id(0); j < k; j += RED_WG)
        probs[(size_t)i * k + j] = exp(z[j] - m) / sum;
}
