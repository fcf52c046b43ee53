/* cl/launch.c: kernel launches. Every kernel guards its indices, so a launch rounds each global
 * size up to a local size chosen here per kernel (CL_KERNEL_WORK_GROUP_SIZE) and device (its
 * work-group and work-item limits), instead of leaving the driver to find a divisor (871,082
 * optimizer parameters only divide into work-groups of 1 or 2). The local sizes are powers of
 * two, so that a new shape reuses a kernel PoCL has already compiled for its local size. */

#include "cl.h"
#include "kparams.h"

/* A work-group of 256 fills a GPU's SIMD units several times over and gives PoCL enough
 * work-items to vectorize across. */
#define TARGET_GROUP 256

/* The local size of one dimension: a power of two within cap, the smallest that covers the
 * global size when one does, else the largest that pads it by at most an eighth. Powers of two
 * only, because PoCL compiles a kernel again for every local size it meets: local sizes that
 * followed the shapes (6 x 25, 3 x 32, 48 x 2, ...) cost a compile per new layer shape, and a
 * search meets new shapes every trial. Padded work-items only test their bounds. */
static size_t pick(size_t global, size_t cap) {
    size_t l = 1;
    while (l * 2 <= cap) l *= 2;
    if (global <= l) {
        size_t cover = 1;
        while (cover < global) cover *= 2;
        return cover;
    }
    for (; l > 1; l /= 2)
        if ((clcnn_round_up(global, l) - global) * 8 <= global) break;
    return l;
}

/* A CPU runs one work-group per core at a time, so a launch of fewer groups than a few per core
 * leaves cores idle or unbalanced (32 per-channel work-items made one group, one core). Halve
 * the local size (dimension 1 first, then 0) until there are GROUPS_PER_CORE groups per compute
 * unit or the groups are single work-items. GPUs keep their groups. */
#define GROUPS_PER_CORE 4

static void spread_over_cores(const clcnn_context *ctx, int dims, const size_t *global,
                              size_t *local) {
    if (!clcnn_is_cpu(ctx) || !ctx->info.compute_units) return;
    size_t want = (size_t)GROUPS_PER_CORE * ctx->info.compute_units;
    for (;;) {
        size_t groups = 1;
        for (int d = 0; d < dims; d++) groups *= (global[d] + local[d] - 1) / local[d];
        int d = dims > 1 && local[1] > 1 ? 1 : 0;
        if (groups >= want || local[d] == 1) return;
        local[d] = (local[d] + 1) / 2;
    }
}

void clcnn_local_size(const clcnn_context *ctx, cl_kernel kernel, int dims, const size_t *global,
                      size_t *local) {
    size_t cap = TARGET_GROUP, kernel_max = 0;
    if (clGetKernelWorkGroupInfo(kernel, ctx->device, CL_KERNEL_WORK_GROUP_SIZE, sizeof kernel_max,
                                 &kernel_max, NULL) == CL_SUCCESS &&
        kernel_max && kernel_max < cap)
        cap = kernel_max;
    if (ctx->max_group && ctx->max_group < cap) cap = ctx->max_group;
    for (int d = 0; d < dims; d++) local[d] = 1;
    /* Dimension 0 first (neighbouring work-items on neighbouring addresses), then 1; a third
     * dimension (images, groups) stays 1. */
    for (int d = 0; d < dims && d < 2; d++) {
        size_t room = cap, limit = ctx->max_items[d] ? ctx->max_items[d] : 1;
        for (int e = 0; e < d; e++) room /= local[e];
        local[d] = pick(global[d], room < limit ? room : limit);
    }
}

static clcnn_status enqueue(clcnn_context *ctx, cl_kernel kernel, int dims, const size_t *global,
                            const size_t *local, const clcnn_arg *args, int n_args) {
    for (int i = 0; i < n_args; i++) {
        cl_int err = clSetKernelArg(kernel, (cl_uint)i, args[i].size, args[i].value);
        if (err != CL_SUCCESS) {
            char name[128] = "?";
            clGetKernelInfo(kernel, CL_KERNEL_FUNCTION_NAME, sizeof name, name, NULL);
            return clcnn_fail(CLCNN_STATUS_OPENCL_ERROR, "argument %d of kernel '%s': %s", i, name,
                              clcnn_cl_error_name(err));
        }
    }
    for (int d = 0; d < dims; d++)
        if (global[d] == 0) {
            ctx->profile_bytes = 0; /* nothing to do, nothing to record */
            return CLCNN_STATUS_OK;
        }
    cl_event *event = NULL;
    if (ctx->profiling) {
        char name[64] = "?";
        clGetKernelInfo(kernel, CL_KERNEL_FUNCTION_NAME, sizeof name, name, NULL);
        event = clcnn_profile_event(ctx, name);
    }
    int injected = ctx->fault_launch && ++ctx->n_launches >= ctx->fault_launch;
    cl_int err = injected ? CL_OUT_OF_RESOURCES
                          : clEnqueueNDRangeKernel(ctx->queue, kernel, (cl_uint)dims, NULL, global,
                                                   local, 0, NULL, event);
    if (err != CL_SUCCESS) {
        char name[128] = "?";
        clGetKernelInfo(kernel, CL_KERNEL_FUNCTION_NAME, sizeof name, name, NULL);
        return clcnn_fail(
            clcnn_cl_out_of_memory(err) ? CLCNN_STATUS_OUT_OF_MEMORY : CLCNN_STATUS_OPENCL_ERROR,
            "launching kernel '%s' (global %zu x %zu x %zu, local %zu x %zu x %zu): %s%s", name,
            global[0], dims > 1 ? global[1] : 1, dims > 2 ? global[2] : 1, local ? local[0] : 0,
            local && dims > 1 ? local[1] : 0, local && dims > 2 ? local[2] : 0,
            clcnn_cl_error_name(err), injected ? " (injected by CLCNN_FAULT_LAUNCH)" : "");
    }
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_launch(clcnn_context *ctx, cl_kernel kernel, int dims, const size_t *global,
                          const size_t *local, const clcnn_arg *args, int n_args) {
    if (local) return enqueue(ctx, kernel, dims, global, local, args, n_args);
    size_t chosen[3], rounded[3];
    clcnn_local_size(ctx, kernel, dims, global, chosen);
    spread_over_cores(ctx, dims, global, chosen);
    for (int d = 0; d < dims; d++) rounded[d] = clcnn_round_up(global[d], chosen[d]);
    return enqueue(ctx, kernel, dims, rounded, chosen, args, n_args);
}

clcnn_status clcnn_launch_cpu_local(clcnn_context *ctx, cl_kernel kernel, int dims,
                                    const size_t *global, const size_t *cpu_local,
                                    const clcnn_arg *args, int n_args) {
    size_t rounded[3], items = 1;
    int fits = clcnn_is_cpu(ctx);
    for (int d = 0; d < dims; d++) {
        items *= cpu_local[d];
        fits = fits && (!ctx->max_items[d] || cpu_local[d] <= ctx->max_items[d]);
        rounded[d] = clcnn_round_up(global[d], cpu_local[d]);
    }
    if (!fits || (ctx->max_group && items > ctx->max_group))
        return clcnn_launch(ctx, kernel, dims, global, NULL, args, n_args);
    return enqueue(ctx, kernel, dims, rounded, cpu_local, args, n_args);
}

clcnn_status clcnn_launch_exact(clcnn_context *ctx, cl_kernel kernel, int dims,
                                const size_t *global, const clcnn_arg *args, int n_args) {
    return enqueue(ctx, kernel, dims, global, NULL, args, n_args);
}
