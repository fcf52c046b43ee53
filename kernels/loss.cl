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
