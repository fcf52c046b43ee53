/* cl/program.c: kernel sources (embedded or from CLCNN_KERNEL_DIR), program builds with a disk
 * cache of binaries, buffers and launches. */
#include <stdlib.h>
#include <string.h>

#include "cl.h"
#include "core/embedded.h"

const char *clcnn_cl_error_name(cl_int err) {
    switch (err) {
#define E(x) case x: return #x;
        E(CL_SUCCESS) E(CL_DEVICE_NOT_FOUND) E(CL_DEVICE_NOT_AVAILABLE) E(CL_COMPILER_NOT_AVAILABLE)
        E(CL_MEM_OBJECT_ALLOCATION_FAILURE) E(CL_OUT_OF_RESOURCES) E(CL_OUT_OF_HOST_MEMORY)
        E(CL_PROFILING_INFO_NOT_AVAILABLE) E(CL_MEM_COPY_OVERLAP) E(CL_IMAGE_FORMAT_MISMATCH)
        E(CL_IMAGE_FORMAT_NOT_SUPPORTED) E(CL_BUILD_PROGRAM_FAILURE) E(CL_MAP_FAILURE)
        E(CL_MISALIGNED_SUB_BUFFER_OFFSET) E(CL_INVALID_VALUE) E(CL_INVALID_DEVICE_TYPE)
        E(CL_INVALID_PLATFORM) E(CL_INVALID_DEVICE) E(CL_INVALID_CONTEXT)
        E(CL_INVALID_QUEUE_PROPERTIES) E(CL_INVALID_COMMAND_QUEUE) E(CL_INVALID_HOST_PTR)
        E(CL_INVALID_MEM_OBJECT) E(CL_INVALID_IMAGE_FORMAT_DESCRIPTOR) E(CL_INVALID_IMAGE_SIZE)
        E(CL_INVALID_SAMPLER) E(CL_INVALID_BINARY) E(CL_INVALID_BUILD_OPTIONS)
        E(CL_INVALID_PROGRAM) E(CL_INVALID_PROGRAM_EXECUTABLE) E(CL_INVALID_KERNEL_NAME)
        E(CL_INVALID_KERNEL_DEFINITION) E(CL_INVALID_KERNEL) E(CL_INVALID_ARG_INDEX)
        E(CL_INVALID_ARG_VALUE) E(CL_INVALID_ARG_SIZE) E(CL_INVALID_KERNEL_ARGS)
        E(CL_INVALID_WORK_DIMENSION) E(CL_INVALID_WORK_GROUP_SIZE) E(CL_INVALID_WORK_ITEM_SIZE)
        E(CL_INVALID_GLOBAL_OFFSET) E(CL_INVALID_EVENT_WAIT_LIST) E(CL_INVALID_EVENT)
        E(CL_INVALID_OPERATION) E(CL_INVALID_GL_OBJECT) E(CL_INVALID_BUFFER_SIZE)
        E(CL_INVALID_MIP_LEVEL) E(CL_INVALID_GLOBAL_WORK_SIZE) E(CL_PLATFORM_NOT_FOUND_KHR)
#undef E
    default: return "CL_UNKNOWN_ERROR";
    }
}

clcnn_status clcnn_cl_check(cl_int err, const char *what) {
    if (err == CL_SUCCESS) return CLCNN_STATUS_OK;
    clcnn_status s = CLCNN_STATUS_OPENCL_ERROR;
    if (clcnn_cl_out_of_memory(err)) s = CLCNN_STATUS_OUT_OF_MEMORY;
    return clcnn_fail(s, "%s failed: %s (%d)", what, clcnn_cl_error_name(err), err);
}

static const struct clcnn_embedded_file *find_embedded(const char *file) {
    for (const struct clcnn_embedded_file *f = clcnn_embedded_kernels; f->name; f++)
        if (strcmp(f->name, file) == 0) return f;
    return NULL;
}

clcnn_status clcnn_kernel_source(const char *file, char **text) {
    const char *dir = getenv("CLCNN_KERNEL_DIR");
    if (dir && *dir) {
        char path[2048];
        size_t len;
        CLCNN_TRY(clcnn_strfmt(path, sizeof path, "%s/%s", dir, file));
        clcnn_status s = clcnn_read_file(path, text, &len);
        if (s != CLCNN_STATUS_OK) return clcnn_fail_prefix(s, "CLCNN_KERNEL_DIR: ");
        return CLCNN_STATUS_OK;
    }
    const struct clcnn_embedded_file *f = find_embedded(file);
    if (!f) return clcnn_fail(CLCNN_STATUS_NOT_FOUND, "no kernel file '%s' in this build", file);
    *text = malloc(f->length + 1);
    if (!*text) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
    memcpy(*text, f->text, f->length + 1);
    return CLCNN_STATUS_OK;
}

/* prelude.cl + the enums' values (core/enums.c) + file: every kernel file sees the shared
 * definitions, and reads an activation code or a fill mode by the host's own numbers. */
static clcnn_status full_source(const char *file, char **text) {
    char defines[2048], *prelude, *body;
    CLCNN_TRY(clcnn_kernel_defines(defines, sizeof defines));
    CLCNN_TRY(clcnn_kernel_source("prelude.cl", &prelude));
    clcnn_status s = clcnn_kernel_source(file, &body);
    if (s != CLCNN_STATUS_OK) {
        free(prelude);
        return s;
    }
    /* #line gives compiler messages the kernel file's own name and line numbers. */
    size_t n = strlen(prelude) + strlen(defines) + strlen(body) + strlen(file) + 32;
    *text = malloc(n);
    if (*text) snprintf(*text, n, "%s\n%s#line 1 \"%s\"\n%s", prelude, defines, file, body);
    free(prelude);
    free(body);
    return *text ? CLCNN_STATUS_OK : clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
}

/* The cache key of a program (the hash of its source, options and device) and its file. */
static void binary_path(const clcnn_context *ctx, const char *source, const char *options,
                        char *path, size_t n, char key[33]) {
    clcnn_hasher *h = clcnn_hasher_create();
    clcnn_hasher_update_str(h, source);
    clcnn_hasher_update_str(h, options);
    clcnn_hasher_update_str(h, ctx->device_key);
    clcnn_hasher_hex(h, key);
    clcnn_hasher_destroy(h);
    snprintf(path, n, "%s/programs/%s.bin", ctx->cache_dir, key);
}

static clcnn_status build_failed(clcnn_context *ctx, cl_program p, const char *file,
                                 const char *options, cl_int err) {
    size_t len = 0;
    clGetProgramBuildInfo(p, ctx->device, CL_PROGRAM_BUILD_LOG, 0, NULL, &len);
    char *log = malloc(len + 1);
    if (log) {
        log[0] = '\0';
        clGetProgramBuildInfo(p, ctx->device, CL_PROGRAM_BUILD_LOG, len, log, NULL);
        log[len] = '\0';
    }
    clcnn_status s = clcnn_fail(CLCNN_STATUS_BUILD_ERROR,
                                "building kernels/%s (options '%s') for device '%s' failed: %s\n"
                                "build log:\n%s",
                                file, options, ctx->info.name, clcnn_cl_error_name(err),
                                log ? log : "(no log)");
    free(log);
    return s;
}

/* Loads a cached binary; any problem (missing, torn, foreign, rejected by the driver) just means
 * a fresh build. */
static cl_program load_binary(clcnn_context *ctx, const char *path, const char *key,
                              const char *options) {
    char *bin;
    size_t len;
    if (!clcnn_cache_entry_read(path, key, &bin, &len) || !len) {
        free(bin);
        return NULL;
    }
    cl_int err, bin_status;
    const unsigned char *ptr = (const unsigned char *)bin;
    cl_program p = clCreateProgramWithBinary(ctx->context, 1, &ctx->device, &len, &ptr,
                                             &bin_status, &err);
    free(bin);
    if (err != CL_SUCCESS || bin_status != CL_SUCCESS) return NULL;
    if (clBuildProgram(p, 1, &ctx->device, options, NULL, NULL) != CL_SUCCESS) {
        clReleaseProgram(p);
        return NULL;
    }
    return p;
}

static void save_binary(clcnn_context *ctx, cl_program p, const char *path, const char *key) {
    size_t len = 0;
    if (clGetProgramInfo(p, CL_PROGRAM_BINARY_SIZES, sizeof len, &len, NULL) != CL_SUCCESS || !len)
        return;
    unsigned char *bin = malloc(len);
    if (!bin) return;
    if (clGetProgramInfo(p, CL_PROGRAM_BINARIES, sizeof bin, &bin, NULL) == CL_SUCCESS) {
        char dir[1100];
        snprintf(dir, sizeof dir, "%s/programs", ctx->cache_dir);
        /* A cache that cannot be written is not an error: the next run builds again. */
        if (clcnn_mkdir_p(dir) == CLCNN_STATUS_OK) clcnn_cache_entry_write(path, key, bin, len);
    }
    free(bin);
}

int clcnn_program_binaries_wanted(const clcnn_context *ctx) {
    if (!ctx->disk_cache) return 0;
    const char *env = getenv("CLCNN_PROGRAM_BINARIES");
    if (env && *env) return strcmp(env, "0") != 0;
    /* PoCL caches what it builds (in CLCNN_CACHE_DIR/pocl, device.c) by source and options, and
     * asking it for a binary makes it compile every kernel of the file for a generic work-group
     * size, used or not: 19 LLVM code generations on the seed model's first run that no launch
     * with a local size ever uses. Its cache serves the next run a little slower than our binary
     * (it loads the program's IR again: tenths of a second per file). */
    const char *pocl_cache = getenv("POCL_KERNEL_CACHE");
    int pocl = strstr(ctx->info.platform, "Portable Computing Language") != NULL;
    return !pocl || (pocl_cache && strcmp(pocl_cache, "0") == 0);
}

static clcnn_status build_program(clcnn_context *ctx, const char *file, const char *options,
                                  cl_program *out) {
    char *source;
    CLCNN_TRY(full_source(file, &source));
    char path[1400], key[33];
    binary_path(ctx, source, options, path, sizeof path, key);
    double t0 = clcnn_now();
    cl_program p = ctx->program_binaries ? load_binary(ctx, path, key, options) : NULL;
    if (p) {
        free(source);
        clcnn_log(CLCNN_LOG_DEBUG, "kernels/%s: loaded from the cache in %.2f s", file,
                  clcnn_now() - t0);
        *out = p;
        return CLCNN_STATUS_OK;
    }
    cl_int err;
    const char *src = source;
    p = clCreateProgramWithSource(ctx->context, 1, &src, NULL, &err);
    free(source);
    CLCNN_CL_TRY(err, "clCreateProgramWithSource");
    err = clBuildProgram(p, 1, &ctx->device, options, NULL, NULL);
    if (err != CL_SUCCESS) {
        clcnn_status s = build_failed(ctx, p, file, options, err);
        clReleaseProgram(p);
        return s;
    }
    if (ctx->program_binaries) save_binary(ctx, p, path, key);
    clcnn_log(CLCNN_LOG_DEBUG, "kernels/%s: built from source in %.2f s (options '%s')", file,
              clcnn_now() - t0, options);
    *out = p;
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_program_get(clcnn_context *ctx, const char *file, const char *options,
                               cl_program *out) {
    char key[256];
    CLCNN_TRY(clcnn_strfmt(key, sizeof key, "%s|%s", file, options));
    for (int i = 0; i < ctx->n_programs; i++)
        if (strcmp(ctx->programs[i].key, key) == 0) {
            *out = ctx->programs[i].program;
            return CLCNN_STATUS_OK;
        }
    if (ctx->n_programs == CLCNN_MAX_PROGRAMS)
        return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "too many kernel programs (%d)", ctx->n_programs);
    CLCNN_TRY(build_program(ctx, file, options, out));
    clcnn_program_entry *e = &ctx->programs[ctx->n_programs++];
    memcpy(e->key, key, sizeof key);
    e->program = *out;
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_kernel_create(clcnn_context *ctx, const char *file, const char *name,
                                 const char *options, cl_kernel *out) {
    cl_program p;
    CLCNN_TRY(clcnn_program_get(ctx, file, options, &p));
    cl_int err;
    *out = clCreateKernel(p, name, &err);
    if (err != CL_SUCCESS)
        return clcnn_fail(CLCNN_STATUS_OPENCL_ERROR, "kernel '%s' in kernels/%s: %s", name, file,
                          clcnn_cl_error_name(err));
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_kernel_get_variant(clcnn_context *ctx, const char *file, const char *name,
                                      const char *options, cl_kernel *out) {
    char key[256];
    CLCNN_TRY(clcnn_strfmt(key, sizeof key, "%s|%s", name, options));
    for (int i = 0; i < ctx->n_kernels; i++)
        if (strcmp(ctx->kernels[i].key, key) == 0) {
            *out = ctx->kernels[i].kernel;
            return CLCNN_STATUS_OK;
        }
    if (ctx->n_kernels == CLCNN_MAX_PROGRAMS)
        return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "too many kernels (%d)", ctx->n_kernels);
    CLCNN_TRY(clcnn_kernel_create(ctx, file, name, options, out));
    memcpy(ctx->kernels[ctx->n_kernels].key, key, sizeof key);
    ctx->kernels[ctx->n_kernels++].kernel = *out;
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_kernel_get(clcnn_context *ctx, const char *file, const char *name, cl_kernel *out) {
    return clcnn_kernel_get_variant(ctx, file, name, "", out);
}

clcnn_status clcnn_buffer_create(clcnn_context *ctx, size_t bytes, cl_mem *out) {
    cl_int err;
    *out = NULL;
    /* Check what is allocated: the slack counts against the device's limit too. */
    size_t alloc = bytes + CLCNN_BUFFER_SLACK;
    if (alloc > ctx->info.max_alloc)
        return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY,
                          "a buffer of %zu bytes (%.1f MiB) exceeds the largest allocation device "
                          "'%s' allows (%llu bytes); use a smaller batch or model",
                          alloc, alloc / 1048576.0, ctx->info.name,
                          (unsigned long long)ctx->info.max_alloc);
    int injected = ctx->fault_alloc && ++ctx->n_allocs >= ctx->fault_alloc;
    if (injected)
        err = CL_MEM_OBJECT_ALLOCATION_FAILURE;
    else
        *out = clCreateBuffer(ctx->context, CL_MEM_READ_WRITE, alloc, NULL, &err);
    if (err != CL_SUCCESS)
        return clcnn_fail(
            CLCNN_STATUS_OUT_OF_MEMORY,
            "cannot allocate %.1f MiB (%zu bytes) on device '%s' (%.0f MiB of memory, "
            "largest allocation %llu bytes): %s%s; use a smaller batch or model",
            bytes / 1048576.0, bytes, ctx->info.name, ctx->info.global_memory / 1048576.0,
            (unsigned long long)ctx->info.max_alloc, clcnn_cl_error_name(err),
            injected ? " (injected by CLCNN_FAULT_ALLOC)" : "");
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_buffer_write(clcnn_context *ctx, cl_mem buf, size_t offset, size_t bytes,
                                const void *src) {
    if (!bytes) return CLCNN_STATUS_OK;
    return clcnn_cl_check(clEnqueueWriteBuffer(ctx->queue, buf, CL_TRUE, offset, bytes, src, 0,
                                               NULL, NULL),
                          "clEnqueueWriteBuffer");
}

clcnn_status clcnn_buffer_read(clcnn_context *ctx, cl_mem buf, size_t offset, size_t bytes,
                               void *dst) {
    if (!bytes) return CLCNN_STATUS_OK;
    return clcnn_cl_check(clEnqueueReadBuffer(ctx->queue, buf, CL_TRUE, offset, bytes, dst, 0,
                                              NULL, NULL),
                          "clEnqueueReadBuffer");
}

clcnn_status clcnn_buffer_fill_zero(clcnn_context *ctx, cl_mem buf, size_t offset, size_t bytes) {
    if (!bytes) return CLCNN_STATUS_OK;
    float zero = 0.0f;
    return clcnn_cl_check(clEnqueueFillBuffer(ctx->queue, buf, &zero, sizeof zero, offset, bytes,
                                              0, NULL, NULL),
                          "clEnqueueFillBuffer");
}

struct clcnn_profile_event {
    char tag[64];
    char kernel[64];
    double bytes;
    cl_event event;
};

void clcnn_profile_set_tag(clcnn_context *ctx, const char *tag) {
    snprintf(ctx->profile_tag, sizeof ctx->profile_tag, "%s", tag ? tag : "");
}

void clcnn_profile_bytes(clcnn_context *ctx, double bytes) {
    if (ctx->profiling) ctx->profile_bytes = bytes;
}

cl_event *clcnn_profile_event(clcnn_context *ctx, const char *kernel) {
    double bytes = ctx->profile_bytes;
    ctx->profile_bytes = 0;
    if (!ctx->profiling) return NULL;
    if (ctx->n_events == ctx->cap_events) {
        int cap = ctx->cap_events ? ctx->cap_events * 2 : 256;
        struct clcnn_profile_event *e = realloc(ctx->events, (size_t)cap * sizeof *e);
        if (!e) return NULL;
        ctx->events = e;
        ctx->cap_events = cap;
    }
    struct clcnn_profile_event *e = &ctx->events[ctx->n_events++];
    memcpy(e->tag, ctx->profile_tag, sizeof e->tag);
    snprintf(e->kernel, sizeof e->kernel, "%s", kernel);
    e->bytes = bytes;
    e->event = NULL;
    return &e->event;
}

clcnn_status clcnn_profile_collect(clcnn_context *ctx, clcnn_profile_record **out, int *n) {
    CLCNN_TRY(clcnn_context_finish(ctx));
    *out = calloc((size_t)ctx->n_events + 1, sizeof **out);
    if (!*out) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
    int k = 0;
    for (int i = 0; i < ctx->n_events; i++) {
        struct clcnn_profile_event *e = &ctx->events[i];
        if (!e->event) continue;
        cl_ulong t0 = 0, t1 = 0;
        clGetEventProfilingInfo(e->event, CL_PROFILING_COMMAND_START, sizeof t0, &t0, NULL);
        clGetEventProfilingInfo(e->event, CL_PROFILING_COMMAND_END, sizeof t1, &t1, NULL);
        clReleaseEvent(e->event);
        memcpy((*out)[k].tag, e->tag, sizeof e->tag);
        memcpy((*out)[k].kernel, e->kernel, sizeof e->kernel);
        (*out)[k].bytes = e->bytes;
        (*out)[k++].ms = (double)(t1 - t0) * 1e-6;
    }
    *n = k;
    ctx->n_events = 0;
    return CLCNN_STATUS_OK;
}
