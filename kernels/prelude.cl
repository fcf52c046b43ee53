// prelude.cl: definitions shared by every kernel file (prepended by host/cl/program.c).
// Tunables are -D options with #ifndef defaults, CLBlast's way.
#ifndef CLCNN_PRELUDE
#define CLCNN_PRELUDE

// Token pasting after expansion: CLCNN_CAT(float, W) is float8 when W is 8, the vector type,
// loads and stores of a width given as a -D option (the register tiles' files).
#define CLCNN_CAT_(a, b) a##b
#define CLCNN_CAT(a, b) CLCNN_CAT_(a, b)

// Sum of the 16 lanes of a vector.
float hsum16(float16 v) {
    float8 a = v.lo + v.hi;
    float4 b = a.lo + a.hi;
    float2 c = b.lo + b.hi;
    return c.x + c.y;
}

// The first n lanes of v stored at p (0 <= n <= the width): one vector store when all are wanted,
// else through private memory, lane by lane (a partial tile's edge, never past a row's end).
void vstore8_n(float8 v, int n, __global float *p) {
    if (n == 8) {
        vstore8(v, 0, p);
        return;
    }
    float a[8];
    vstore8(v, 0, a);
    for (int l = 0; l < n; l++) p[l] = a[l];
}

void vstore16_n(float16 v, int n, __global float *p) {
    if (n == 16) {
        vstore16(v, 0, p);
        return;
    }
    float a[16];
    vstore16(v, 0, a);
    for (int l = 0; l < n; l++) p[l] = a[l];
}

// A random 32-bit value from a key and a counter, with no state: splitmix64's output for the
// state key + (counter + 1) * golden ratio. Any work-item draws its own numbers (dropout masks,
// augmentation), and a backward pass redraws exactly the forward pass's.
uint rand_u32(ulong key, ulong counter) {
    ulong z = key + (counter + 1) * 0x9e3779b97f4a7c15UL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9UL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebUL;
    return (uint)((z ^ (z >> 31)) >> 32);
}

// Uniform in [0, 1) with 24 bits (every value exact in float).
float rand_uniform(ulong key, ulong counter) {
    return (float)(rand_u32(key, counter) >> 8) * (1.0f / 16777216.0f);
}

// ---- work-group reductions (the GPU shape of per-channel sums) --------------------------------
// RED_WG work-items (a power of two, the launch's local size) share one sum; the tree below adds
// in a fixed order, so a given RED_WG always gives the same bits.
#ifndef RED_WG
#define RED_WG 256
#endif

// The sum of v over the work-group, returned to every work-item. buf holds RED_WG floats.
float group_sum(float v, __local float *buf) {
    int l = get_local_id(0);
    buf[l] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = RED_WG / 2; s > 0; s >>= 1) {
        if (l < s) buf[l] += buf[l + s];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    float total = buf[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return total;
}

// ---- row sums (the CPU shape of per-channel sums) ---------------------------------------------
// One work-item walks a contiguous row with two float16 accumulators: 32 lanes, so the adds keep
// up with memory instead of waiting on one scalar chain's latency; the lanes are then added in a
// fixed order and the tail last. Every run gives the same bits; the result differs from a scalar
// loop's by rounding only (and is usually closer: shorter chains).

// The sum of r[0..len).
float row_sum(__global const float *r, int len) {
    float16 a = 0.0f, b = 0.0f;
    int i = 0;
    for (; i + 32 <= len; i += 32) {
        a += vload16(0, r + i);
        b += vload16(0, r + i + 16);
    }
    float s = hsum16(a + b);
    for (; i < len; i++) s += r[i];
    return s;
}

// The sum of (r[i] - mean)^2: the second pass of a two-pass variance (no cancellation).
float row_sq_dev(__global const float *r, int len, float mean) {
    float16 a = 0.0f, b = 0.0f;
    int i = 0;
    for (; i + 32 <= len; i += 32) {
        float16 d = vload16(0, r + i) - mean, e = vload16(0, r + i + 16) - mean;
        a += d * d;
        b += e * e;
    }
    float s = hsum16(a + b);
    for (; i < len; i++) {
        float d = r[i] - mean;
        s += d * d;
    }
    return s;
}

// dy[i] = 0 where y[i] <= 0 (a ReLU's gradient from its output), in place, and the sum of the
// result: the bias gradient behind a fused ReLU in one pass over dy.
float row_mask_sum(__global const float *y, __global float *dy, int len) {
    float16 a = 0.0f;
    int i = 0;
    for (; i + 16 <= len; i += 16) {
        float16 g = select(vload16(0, dy + i), (float16)0.0f, vload16(0, y + i) <= 0.0f);
        vstore16(g, 0, dy + i);
        a += g;
    }
    float s = hsum16(a);
    for (; i < len; i++) {
        float g = dy[i];
        if (y[i] <= 0.0f) dy[i] = g = 0.0f;
        s += g;
    }
    return s;
}

#endif
