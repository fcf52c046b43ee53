// optim.cl: optimizer updates over the whole parameter arena in one launch (Keras' formulas).
// Launch: global (count), rounded up; count is the last argument. Each first applies Keras'
// decoupled weight decay, p *= decay with decay = 1 - lr * weight_decay from the host (1: none),
// in the same pass over the parameters.

// lr_t = lr * sqrt(1 - b2^t) / (1 - b1^t), computed on the host. A work-item updates 8
// parameters with float8 (PoCL runs the scalar form one lane at a time); the last one the rest.
// The update is bound by its 28 bytes a parameter (4 streams read, 3 written in place), not by
// its sqrt and division: on PoCL it runs as fast as a plain 4-read 3-write copy of the same
// arena, and in float16 no faster (AVX-512). Launch: global (ceil(count / 8)).
#define ADAM(gi, mi, vi, pi)                                                                     \
    mi = mi + (gi - mi) * (1.0f - b1);                                                           \
    vi = vi + (gi * gi - vi) * (1.0f - b2);                                                      \
    pi -= lr_t * mi / (sqrt(vi) + eps);

__kernel void adam_step(__global float *p, __global const float *g, __global float *m,
                        __global float *v, float lr_t, float b1, float b2, float eps,
                        float decay, ulong count) {
    size_t i = get_global_id(0) * 8;
    if (i >= count) return;
    if (i + 8 <= count) {
        float8 gi = vload8(0, g + i), mi = vload8(0, m + i), vi = vload8(0, v + i);
        float8 pi = vload8(0, p + i) * decay;
        ADAM(gi, mi, vi, pi)
        vstore8(mi, 0, m + i);
        vstore8(vi, 0, v + i);
        vstore8(pi, 0, p + i);
        return;
    }
    for (; i < count; i++) {
        float gi = g[i], mi = m[i], vi = v[i], pi = p[i] * decay;
        ADAM(gi, mi, vi, pi)
        m[i] = mi;
        v[i] = vi;
        p[i] = pi;
    }
}

// momentum 0: p -= lr g; else v = momentum v - lr g; p += v (Nesterov: p += momentum v - lr g).
__kernel void sgd_step(__global float *p, __global const float *g, __global float *vel, float lr,
                       float momentum, int nesterov, float decay, ulong count) {
    size_t i = get_global_id(0);
    if (i >= count) return;
    float gi = g[i], pi = p[i] * decay;
    if (momentum == 0.0f) {
        p[i] = pi - lr * gi;
        return;
    }
    float v = momentum * vel[i] - lr * gi;
    vel[i] = v;
    p[i] = pi + (nesterov ? momentum * v - lr * gi : v);
}

// Keras' RMSprop without centering: a = rho a + (1 - rho) g^2; step = lr g / sqrt(a + eps);
// with momentum: mom = momentum mom + step; p -= mom.
__kernel void rmsprop_step(__global float *p, __global const float *g, __global float *acc,
                           __global float *mom, float lr, float rho, float momentum, float eps,
                           float decay, ulong count) {
    size_t i = get_global_id(0);
    if (i >= count) return;
    float gi = g[i], pi = p[i] * decay;
    float a = rho * acc[i] + (1.0f - rho) * gi * gi;
    acc[i] = a;
    float step = lr * gi / sqrt(a + eps);
    if (momentum != 0.0f) {
        step += momentum * mom[i];
        mom[i] = step;
    }
    p[i] = pi - step;
}
