// activation.cl: activations other than the fused ReLU (sigmoid, tanh, leaky ReLU, ELU; ReLU
// too, for the activation layer), forward and backward. The codes ACT_* are clcnn_activation's
// values (clcnn/enums.h), defined by host/cl/program.c before this file.
// Each backward takes the derivative from the output y = f(x): all of these functions have one
// that y determines, so a layer with an activation keeps no copy of its pre-activation values.

float act_f(float x, int code, float alpha) {
    switch (code) {
    case ACT_RELU: return fmax(x, 0.0f);
    case ACT_SIGMOID: return 1.0f / (1.0f + exp(-x)); // exp overflows to inf: 1/inf = 0, fine
    case ACT_TANH: return tanh(x);
    case ACT_LEAKY_RELU: return x > 0.0f ? x : alpha * x;
    case ACT_ELU: return x > 0.0f ? x : alpha * expm1(x);
    default: return x;
    }
}

// f'(x) from y = f(x). Leaky ReLU and ELU (alpha >= 0): y > 0 exactly when x > 0; at x <= 0
// ELU's derivative alpha e^x is y + alpha.
float act_df(float y, int code, float alpha) {
    switch (code) {
    case ACT_RELU: return y > 0.0f ? 1.0f : 0.0f;
    case ACT_SIGMOID: return y * (1.0f - y);
    case ACT_TANH: return 1.0f - y * y;
    case ACT_LEAKY_RELU: return y > 0.0f ? 1.0f : alpha;
    case ACT_ELU: return y > 0.0f ? 1.0f : y + alpha;
    default: return 1.0f;
    }
}

// y = f(x). Launch: global (count), rounded up.
__kernel void act_forward(__global const float *x, __global float *y, int code, float alpha,
                          ulong count) {
    size_t i = get_global_id(0);
    if (i >= count) return;
    y[i] = act_f(x[i], code, alpha);
}

// y = f(y), after a matrix product (conv2d, dense). Launch: global (count), rounded up.
__kernel void act_forward_inplace(__global float *y, int code, float alpha, ulong count) {
    size_t i = get_global_id(0);
    if (i >= count) return;
    y[i] = act_f(y[i], code, alpha);
}

// dx = dy * f'(x), from y. Launch: global (count), rounded up.
__kernel void act_backward(__global const float *y, __global const float *dy, __global float *dx,
                           int code, float alpha, ulong count) {
    size_t i = get_global_id(0);
    if (i >= count) return;
    dx[i] = dy[i] * act_df(y[i], code, alpha);
}

// dy *= f'(x), from y, before a product's own backward. Launch: global (count), rounded up.
__kernel void act_backward_inplace(__global const float *y, __global float *dy, int code,
                                   float alpha, ulong count) {
    size_t i = get_global_id(0);
    if (i >= count) return;
    dy[i] *= act_df(y[i], code, alpha);
}
