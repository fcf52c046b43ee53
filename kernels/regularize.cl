// regularize.cl: dropout (weight decay is applied by the optimizer kernels, optim.cl).

// Inverted dropout (Keras): an element is kept when its draw is >= rate and then scaled by
// 1 / (1 - rate), so inference is the identity. The draw comes from the step's key and the
// element's index, so backward recomputes the same mask and nothing is stored.
// Launch: global (count).
__kernel void dropout_forward(__global const float *x, __global float *y, ulong key, float rate,
                              float scale, ulong count) {
    size_t i = get_global_id(0);
    if (i >= count) return;
    y[i] = rand_uniform(key, i) >= rate ? x[i] * scale : 0.0f;
}

__kernel void dropout_backward(__global const float *dy, __global float *dx, ulong key,
                               float rate, float scale, ulong count) {
    size_t i = get_global_id(0);
    if (i >= count) return;
    dx[i] = rand_uniform(key, i) >= rate ? dy[i] * scale : 0.0f;
}
