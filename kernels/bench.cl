// bench.cl: the device peak probe of clcnn-bench (clpeak's method): fp32 FMA throughput from long
// independent fma chains on vectors of each width, and memory bandwidth from read and copy
// kernels over a buffer much larger than any cache. Nothing here is used by training.

#ifndef PEAK_ITERS
#define PEAK_ITERS 256
#endif

// ---- FMA throughput ---------------------------------------------------------------------------
// Eight independent chains per work-item hide the FMA latency (4 cycles on current CPUs and
// GPUs) behind the issue rate. a = a * mul + add with runtime mul/add cannot be folded by the
// compiler; mul slightly below 1 keeps the values finite. Each work-item does
// PEAK_ITERS * 8 * W FMAs = PEAK_ITERS * 16 * W FLOPs, and stores its sums so nothing is dead code.
#define PEAK_STEP(T)                                                                               \
    a0 = fma(a0, m, c); a1 = fma(a1, m, c); a2 = fma(a2, m, c); a3 = fma(a3, m, c);                \
    a4 = fma(a4, m, c); a5 = fma(a5, m, c); a6 = fma(a6, m, c); a7 = fma(a7, m, c);

#define PEAK_FMA_KERNEL(T, W)                                                                      \
    __kernel void peak_fma_v##W(__global float *out, float mul, float add) {                       \
        T m = (T)(mul), c = (T)(add);                                                              \
        T a0 = (T)((float)get_global_id(0) * 1e-6f);                                              \
        T a1 = a0 + 0.1f, a2 = a0 + 0.2f, a3 = a0 + 0.3f, a4 = a0 + 0.4f, a5 = a0 + 0.5f;          \
        T a6 = a0 + 0.6f, a7 = a0 + 0.7f;                                                          \
        for (int i = 0; i < PEAK_ITERS; i++) {                                                     \
            PEAK_STEP(T)                                                                           \
        }                                                                                          \
        PEAK_STORE_##W((a0 + a1) + (a2 + a3) + (a4 + a5) + (a6 + a7));                             \
    }

#define PEAK_STORE_1(s) out[get_global_id(0)] = (s)
#define PEAK_STORE_4(s) vstore4((s), get_global_id(0), out)
#define PEAK_STORE_8(s) vstore8((s), get_global_id(0), out)
#define PEAK_STORE_16(s) vstore16((s), get_global_id(0), out)

PEAK_FMA_KERNEL(float, 1)
PEAK_FMA_KERNEL(float4, 4)
PEAK_FMA_KERNEL(float8, 8)
PEAK_FMA_KERNEL(float16, 16)

// ---- memory bandwidth -------------------------------------------------------------------------
// Two access patterns, because the best one depends on the device class: "interleaved" (work-item
// g reads g, g + G, g + 2G...: neighbouring work-items touch neighbouring addresses, which is what
// GPUs coalesce) and "chunked" (each work-item streams its own contiguous block, what a CPU core's
// prefetcher wants). The host reports the faster. Four accumulators keep the adds off the
// critical path. Launch: global G, with G * per_item float4s in the buffer (per_item % 4 == 0).
__kernel void bw_read_interleaved(__global const float4 *in, __global float *out, int per_item) {
    size_t g = get_global_id(0), G = get_global_size(0);
    float4 s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
    for (int i = 0; i < per_item; i += 4) {
        s0 += in[g + (size_t)i * G];
        s1 += in[g + (size_t)(i + 1) * G];
        s2 += in[g + (size_t)(i + 2) * G];
        s3 += in[g + (size_t)(i + 3) * G];
    }
    float4 s = (s0 + s1) + (s2 + s3);
    out[g] = s.x + s.y + s.z + s.w;
}

__kernel void bw_read_chunked(__global const float4 *in, __global float *out, int per_item) {
    size_t g = get_global_id(0);
    __global const float4 *p = in + g * per_item;
    float4 s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
    for (int i = 0; i < per_item; i += 4) {
        s0 += p[i];
        s1 += p[i + 1];
        s2 += p[i + 2];
        s3 += p[i + 3];
    }
    float4 s = (s0 + s1) + (s2 + s3);
    out[g] = s.x + s.y + s.z + s.w;
}

__kernel void bw_copy_interleaved(__global const float4 *in, __global float4 *out, int per_item) {
    size_t g = get_global_id(0), G = get_global_size(0);
    for (int i = 0; i < per_item; i++) out[g + (size_t)i * G] = in[g + (size_t)i * G];
}

__kernel void bw_copy_chunked(__global const float4 *in, __global float4 *out, int per_item) {
    size_t base = get_global_id(0) * (size_t)per_item;
    for (int i = 0; i < per_item; i++) out[base + i] = in[base + i];
}
