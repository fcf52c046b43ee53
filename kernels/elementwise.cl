// elementwise.cl: bias, activations and other per-element work.

// C[z][m][n] += bias (per row m: mode 1, per column n: mode 2), then optional ReLU.
// Launch: global (N, M, batch).
__kernel void bias_act_rows(int M, int N, __global float *C, ulong c_off, int ldc, ulong c_batch,
                            __global const float *bias, int bias_mode, int relu) {
    int n = get_global_id(0), m = get_global_id(1);
    __global float *c = C + c_off + get_global_id(2) * c_batch + (size_t)m * ldc + n;
    float v = *c;
    if (bias_mode == 1) v += bias[m];
    if (bias_mode == 2) v += bias[n];
    if (relu) v = fmax(v, 0.0f);
    *c = v;
}
