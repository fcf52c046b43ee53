// optim.cl: optimizer updates over the whole parameter arena in one launch (Keras' formulas).
// Launch: global (count), rounded up; count is the last argument.

// lr_t = lr * sqrt(1 - b2^t) / (1 - b1^t), computed on the host.
__kernel void adam_step(__global float *p, __global const float *g, __global float *m,
                        __global float *v, float lr_t, float b1, float b2, float eps,
                        ulong count) {
    size_t i = get_global_id(0);
    if (i >= count) return;
    float gi = g[i];
    float mi = m[i] + (gi - m[i]) * (1.0f - b1);
    float vi = v[i] + (gi * gi - v[i]) * (1.0f - b2);
    m[i] = mi;
    v[i] = vi;
    p[i] -= lr_t * mi / (sqrt(vi) + eps);
}

// momentum 0: p -= lr g; else v = momentum v - lr g; p += v (Nesterov: p += momentum v - lr g).
__kernel void sgd_step(__global float *p, __global const float *g, __global float *vel, float lr,
                       float momentum, int nesterov, ulong count) {
    size_t i = get_global_id(0);
    if (i >= count) return;
    float gi = g[i];
    if (momentum == 0.0f) {
        p[i] -= lr * gi;
        return;
    }
    float v = momentum * vel[i] - lr * gi;
    vel[i] = v;
    p[i] += nesterov ? momentum * v - lr * gi : v;
}

// Keras' RMSprop without centering: a = rho a + (1 - rho) g^2; step = lr g / sqrt(a + eps);
// with momentum: mom = momentum mom + step; p -= mom.
__kernel void rmsprop_step(__global float *p, __global const float *g, __global float *acc,
                           __global float *mom, float lr, float rho, float momentum, float eps,
                           ulong count) {
    size_t i = get_global_id(0);
    if (i >= count) return;
    float gi = g[i];
    float a = rho * acc[i] + (1.0f - rho) * gi * gi;
    acc[i] = a;
    float step = lr * gi / sqrt(a + eps);
    if (momentum != 0.0f) {
        step += momentum * mom[i];
        mom[i] = step;
    }
    p[i] -= step;
}
