/* bench/peak.c: the device peak probe (after clpeak): fp32 FMA throughput for each vector width
 * and memory bandwidth of read and copy kernels, so every kernel figure can be shown as a share
 * of what this device measurably does. Kernels in kernels/bench.cl. A peak is an upper bound and
 * sharing the device only ever slows a run down, so a peak is the fastest of many short runs
 * (each about a millisecond), not a median, and the peak reported is the best this device has
 * shown in this run or earlier ones (kept in the cache folder). */
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#define PEAK_ITERS 256

typedef struct launch {
    cl_kernel kernel;
    size_t global;
    const clcnn_arg *args;
    int n_args;
} launch;

static clcnn_status run_launch(clcnn_context *ctx, void *arg) {
    launch *l = arg;
    return clcnn_launch_exact(ctx, l->kernel, 1, &l->global, l->args, l->n_args);
}

/* Enough work-items to fill every compute unit several times over on GPUs and CPUs alike. */
static size_t fma_work_items(const clcnn_context *ctx) {
    size_t wg = 0;
    clGetDeviceInfo(ctx->device, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof wg, &wg, NULL);
    if (wg < 64) wg = 64;
    if (wg > 1024) wg = 1024;
    size_t units = ctx->info.compute_units ? ctx->info.compute_units : 1;
    return units * wg * 4;
}

static clcnn_status fma_width(clcnn_context *ctx, int width, double target_ms, double *gflops) {
    static const char *const names[] = {"peak_fma_v1", "peak_fma_v4", "peak_fma_v8", "peak_fma_v16"};
    int w_index = width == 1 ? 0 : width == 4 ? 1 : width == 8 ? 2 : 3;
    size_t items = fma_work_items(ctx);
    cl_mem out;
    cl_kernel k;
    char opts[64];
    snprintf(opts, sizeof opts, "-DPEAK_ITERS=%d", PEAK_ITERS);
    CLCNN_TRY(clcnn_buffer_create(ctx, items * (size_t)width * sizeof(float), &out));
    clcnn_status s = clcnn_kernel_create(ctx, "bench.cl", names[w_index], opts, &k);
    if (s != CLCNN_STATUS_OK) {
        clReleaseMemObject(out);
        return s;
    }
    float mul = 0.999999f, add = 1e-7f;
    clcnn_arg args[] = {CLCNN_ARG(out), CLCNN_ARG(mul), CLCNN_ARG(add)};
    launch l = {k, items, args, 3};
    double ms;
    s = bench_time_fastest(ctx, "peak/fma", run_launch, &l, target_ms, &ms);
    double flops = (double)items * PEAK_ITERS * 8 * width * 2;
    if (s == CLCNN_STATUS_OK) *gflops = flops / (ms * 1e-3) * 1e-9;
    clReleaseKernel(k);
    clReleaseMemObject(out);
    return s;
}

/* The bandwidth buffer: 128 MiB (well past any CPU's last-level cache and any GPU's L2), less if
 * the device cannot allocate that much. */
static size_t bw_bytes(const clcnn_context *ctx) {
    size_t bytes = (size_t)128 << 20;
    while (bytes > ctx->info.max_alloc / 2 && bytes > ((size_t)1 << 20)) bytes /= 2;
    return bytes;
}

static clcnn_status bw_kernel(clcnn_context *ctx, const char *name, cl_mem in, cl_mem out,
                              size_t bytes, int copy, double target_ms, double *gbps) {
    size_t vec = bytes / 16, items = fma_work_items(ctx);
    while (items > 64 && vec / items < 64) items /= 2; /* at least 64 float4s per work-item */
    int per_item = (int)(vec / items) & ~3;
    cl_kernel k;
    CLCNN_TRY(clcnn_kernel_create(ctx, "bench.cl", name, "", &k));
    clcnn_arg args[] = {CLCNN_ARG(in), CLCNN_ARG(out), CLCNN_ARG(per_item)};
    launch l = {k, items, args, 3};
    double ms;
    clcnn_status s = bench_time_fastest(ctx, "peak/bandwidth", run_launch, &l, target_ms, &ms);
    double moved = (double)items * per_item * 16 * (copy ? 2 : 1);
    if (s == CLCNN_STATUS_OK) *gbps = moved / (ms * 1e-3) * 1e-9;
    clReleaseKernel(k);
    return s;
}

static clcnn_status bandwidth(clcnn_context *ctx, double target_ms, bench_peak *p) {
    size_t bytes = bw_bytes(ctx);
    cl_mem in, out;
    CLCNN_TRY(clcnn_buffer_create(ctx, bytes, &in));
    clcnn_status s = clcnn_buffer_create(ctx, bytes, &out);
    /* Written once so the pages exist and hold ordinary numbers. */
    if (s == CLCNN_STATUS_OK) s = clcnn_buffer_fill_zero(ctx, in, 0, bytes);
    if (s == CLCNN_STATUS_OK) s = clcnn_buffer_fill_zero(ctx, out, 0, bytes);
    static const char *const names[] = {"bw_read_interleaved", "bw_read_chunked",
                                        "bw_copy_interleaved", "bw_copy_chunked"};
    for (int i = 0; i < 4 && s == CLCNN_STATUS_OK; i++) {
        double g = 0;
        s = bw_kernel(ctx, names[i], in, out, bytes, i >= 2, target_ms, &g);
        double *best = i < 2 ? &p->gbps_read : &p->gbps_copy;
        if (g > *best) *best = g;
    }
    p->gbps = p->gbps_read > p->gbps_copy ? p->gbps_read : p->gbps_copy;
    clReleaseMemObject(in);
    if (out) clReleaseMemObject(out);
    return s;
}

/* The best peak this device has shown, kept in CLCNN_CACHE_DIR/bench/peak-<device key>.txt
 * ("GFLOPS GBPS"). On a shared machine a run may never get the whole device, and % of peak should
 * not change with the neighbours' load; a new driver or clcnn version is a new key. */
static void best_recorded(const clcnn_context *ctx, bench_peak *p) {
    char dir[1100], path[1200], *text = NULL;
    size_t len;
    double g = 0, b = 0;
    snprintf(dir, sizeof dir, "%s/bench", ctx->cache_dir);
    snprintf(path, sizeof path, "%s/peak-%s.txt", dir, ctx->device_key);
    if (clcnn_read_file(path, &text, &len) == CLCNN_STATUS_OK && sscanf(text, "%lf %lf", &g, &b) == 2) {
        if (g > p->gflops) p->gflops = g;
        if (b > p->gbps) p->gbps = b;
    }
    free(text);
    if (p->gflops_now < g && p->gbps_now < b) return;
    char line[64];
    int n = snprintf(line, sizeof line, "%.3f %.3f\n", p->gflops, p->gbps);
    if (ctx->disk_cache && clcnn_mkdir_p(dir) == CLCNN_STATUS_OK) clcnn_write_file_atomic(path, line, (size_t)n);
}

clcnn_status bench_peak_measure(clcnn_context *ctx, double target_ms, bench_peak *out) {
    static const int widths[] = {1, 4, 8, 16};
    memset(out, 0, sizeof *out);
    for (int i = 0; i < 4; i++) {
        CLCNN_TRY(fma_width(ctx, widths[i], target_ms, &out->gflops_width[i]));
        if (out->gflops_width[i] > out->gflops) out->gflops = out->gflops_width[i];
    }
    CLCNN_TRY(bandwidth(ctx, target_ms, out));
    out->gflops_now = out->gflops, out->gbps_now = out->gbps;
    best_recorded(ctx, out);
    return CLCNN_STATUS_OK;
}
