/* cl/device.c: platform and device discovery, device choice, and the context's lifetime. */
#include <ctype.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <clblast_c.h>

#include "cl.h"
#include "clcnn/version.h"
#include "kparams.h"
#include "route.h"

static pthread_once_t env_once = PTHREAD_ONCE_INIT;
/* Set by this process's first OpenCL call or context: a helper forked after it would copy a
 * runtime without its threads (cl/prefetch.c). */
static atomic_int opencl_used;

/* PoCL keeps its own cache of compiled kernels (it is what makes CLBlast's second run fast).
 * Point it into our cache folder, unless the user chose a place, so one CLCNN_CACHE_DIR holds
 * everything and CI can share it between tests. Must run before the first OpenCL call. */
static void set_runtime_env(void) {
    char dir[1024], pocl[1100];
    if (getenv("POCL_CACHE_DIR")) return;
    if (clcnn_cache_dir(dir, sizeof dir) != CLCNN_STATUS_OK) return;
    snprintf(pocl, sizeof pocl, "%s/pocl", dir);
    if (clcnn_mkdir_p(pocl) == CLCNN_STATUS_OK) setenv("POCL_CACHE_DIR", pocl, 0);
}

static const char *type_name(cl_device_type t) {
    if (t & CL_DEVICE_TYPE_GPU) return "GPU";
    if (t & CL_DEVICE_TYPE_CPU) return "CPU";
    if (t & CL_DEVICE_TYPE_ACCELERATOR) return "ACCELERATOR";
    return "OTHER";
}

typedef struct found_device {
    cl_platform_id platform;
    cl_device_id device;
} found_device;

/* One clGetDeviceInfo/clGetPlatformInfo query, its failure named. */
#define QUERY(call, what)                                                                          \
    do {                                                                                           \
        cl_int err_ = (call);                                                                      \
        if (err_ != CL_SUCCESS)                                                                    \
            return clcnn_fail(CLCNN_STATUS_OPENCL_ERROR, "querying %s of an OpenCL device: %s",    \
                              (what), clcnn_cl_error_name(err_));                                  \
    } while (0)

static clcnn_status device_info(cl_platform_id p, cl_device_id d, clcnn_device_info *info) {
    cl_device_type type = 0;
    cl_uint units = 0;
    cl_ulong mem = 0, alloc = 0;
    QUERY(clGetPlatformInfo(p, CL_PLATFORM_NAME, sizeof info->platform, info->platform, NULL),
          "CL_PLATFORM_NAME");
    QUERY(clGetPlatformInfo(p, CL_PLATFORM_VERSION, sizeof info->platform_version,
                            info->platform_version, NULL),
          "CL_PLATFORM_VERSION");
    QUERY(clGetDeviceInfo(d, CL_DEVICE_NAME, sizeof info->name, info->name, NULL), "CL_DEVICE_NAME");
    QUERY(clGetDeviceInfo(d, CL_DEVICE_VENDOR, sizeof info->vendor, info->vendor, NULL),
          "CL_DEVICE_VENDOR");
    QUERY(clGetDeviceInfo(d, CL_DEVICE_VERSION, sizeof info->version, info->version, NULL),
          "CL_DEVICE_VERSION");
    QUERY(clGetDeviceInfo(d, CL_DRIVER_VERSION, sizeof info->driver, info->driver, NULL),
          "CL_DRIVER_VERSION");
    QUERY(clGetDeviceInfo(d, CL_DEVICE_TYPE, sizeof type, &type, NULL), "CL_DEVICE_TYPE");
    QUERY(clGetDeviceInfo(d, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof units, &units, NULL),
          "CL_DEVICE_MAX_COMPUTE_UNITS");
    QUERY(clGetDeviceInfo(d, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof mem, &mem, NULL),
          "CL_DEVICE_GLOBAL_MEM_SIZE");
    QUERY(clGetDeviceInfo(d, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof alloc, &alloc, NULL),
          "CL_DEVICE_MAX_MEM_ALLOC_SIZE");
    snprintf(info->type, sizeof info->type, "%s", type_name(type));
    info->compute_units = units;
    info->global_memory = mem;
    info->max_alloc = alloc;
    /* Tests force a small limit to exercise chunking (a GPU's limit on a CPU machine). */
    const char *forced = getenv("CLCNN_MAX_ALLOC");
    unsigned long long f = forced && *forced ? strtoull(forced, NULL, 10) : 0;
    if (f > 0 && f < info->max_alloc) info->max_alloc = f;
    return CLCNN_STATUS_OK;
}

/* The launch limits clcnn_launch's local sizes respect (cl/launch.c). */
static clcnn_status device_limits(clcnn_context *ctx) {
    cl_uint dims = 0;
    size_t items[16] = {0};
    QUERY(clGetDeviceInfo(ctx->device, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof ctx->max_group,
                          &ctx->max_group, NULL),
          "CL_DEVICE_MAX_WORK_GROUP_SIZE");
    QUERY(clGetDeviceInfo(ctx->device, CL_DEVICE_MAX_WORK_ITEM_DIMENSIONS, sizeof dims, &dims, NULL),
          "CL_DEVICE_MAX_WORK_ITEM_DIMENSIONS");
    if (dims > 16) dims = 16;
    QUERY(clGetDeviceInfo(ctx->device, CL_DEVICE_MAX_WORK_ITEM_SIZES, dims * sizeof(size_t), items,
                          NULL),
          "CL_DEVICE_MAX_WORK_ITEM_SIZES");
    for (int i = 0; i < 3; i++) ctx->max_items[i] = i < (int)dims ? items[i] : 1;
    QUERY(clGetDeviceInfo(ctx->device, CL_DEVICE_LOCAL_MEM_SIZE, sizeof ctx->local_mem,
                          &ctx->local_mem, NULL),
          "CL_DEVICE_LOCAL_MEM_SIZE");
    return CLCNN_STATUS_OK;
}

/* Every device of every platform, in platform order then device order. */
static clcnn_status enumerate(found_device **out, clcnn_device_info **infos, int *n) {
    pthread_once(&env_once, set_runtime_env);
    atomic_store(&opencl_used, 1);
    cl_uint n_platforms = 0;
    cl_int err = clGetPlatformIDs(0, NULL, &n_platforms);
    if (err == CL_PLATFORM_NOT_FOUND_KHR || n_platforms == 0)
        return clcnn_fail(CLCNN_STATUS_NO_DEVICE,
                          "no OpenCL platform found; install one, e.g. PoCL for the CPU: "
                          "apt-get install pocl-opencl-icd (or your GPU vendor's OpenCL driver)");
    CLCNN_CL_TRY(err, "clGetPlatformIDs");
    cl_platform_id platforms[16];
    if (n_platforms > 16) n_platforms = 16;
    CLCNN_CL_TRY(clGetPlatformIDs(n_platforms, platforms, NULL), "clGetPlatformIDs");
    found_device *found = calloc(256, sizeof *found);
    clcnn_device_info *info = calloc(256, sizeof *info);
    if (!found || !info) {
        free(found);
        free(info);
        return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory listing devices");
    }
    int count = 0;
    for (cl_uint p = 0; p < n_platforms; p++) {
        cl_device_id devs[64];
        cl_uint nd = 0;
        if (clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_ALL, 64, devs, &nd) != CL_SUCCESS) continue;
        for (cl_uint i = 0; i < nd && i < 64 && count < 256; i++, count++) {
            found[count] = (found_device){platforms[p], devs[i]};
            clcnn_status s = device_info(platforms[p], devs[i], &info[count]);
            if (s != CLCNN_STATUS_OK) {
                free(found);
                free(info);
                return s;
            }
            info[count].index = count;
        }
    }
    int def = 0;
    for (int i = count - 1; i >= 0; i--)
        if (strcmp(info[i].type, "GPU") == 0) def = i;
    if (count) info[def].is_default = 1;
    *out = found;
    *infos = info;
    *n = count;
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_devices_list(clcnn_device_info **devices, int *n) {
    found_device *found;
    CLCNN_TRY(enumerate(&found, devices, n));
    free(found);
    return CLCNN_STATUS_OK;
}

/* Where needle occurs in hay, case-insensitively: 0 nowhere, 1 as a substring, 2 as whole words
 * (no letter or digit on either side), the best occurrence counting. */
static int match_nocase(const char *hay, const char *needle) {
    size_t nl = strlen(needle);
    int best = 0;
    if (nl == 0) return 0;
    for (const char *h = hay; *h; h++) {
        size_t i = 0;
        while (i < nl && h[i] && tolower((unsigned char)h[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (i < nl) continue;
        int left = h == hay || !isalnum((unsigned char)h[-1]);
        int right = !isalnum((unsigned char)h[nl]);
        best = left && right ? 2 : best > 1 ? best : 1;
    }
    return best;
}

/* A whole-word match in the device or platform name beats a substring of "platform: device";
 * among equal matches the default rule decides: the first GPU, else the first device. */
static int match_rank(const clcnn_device_info *d, const char *selector) {
    char full[400];
    if (match_nocase(d->name, selector) == 2 || match_nocase(d->platform, selector) == 2) return 2;
    snprintf(full, sizeof full, "%s: %s", d->platform, d->name);
    return match_nocase(full, selector) ? 1 : 0;
}

static int better_match(const clcnn_device_info *d, int rank, const clcnn_device_info *best,
                        int best_rank) {
    if (rank != best_rank) return rank > best_rank;
    return strcmp(d->type, "GPU") == 0 && strcmp(best->type, "GPU") != 0;
}

clcnn_status clcnn_device_match(const clcnn_device_info *info, int n, const char *selector,
                                int *index) {
    if (n == 0) return clcnn_fail(CLCNN_STATUS_NO_DEVICE, "the OpenCL platforms have no devices");
    if (!selector || !*selector) {
        for (int i = 0; i < n; i++)
            if (info[i].is_default) *index = i;
        return CLCNN_STATUS_OK;
    }
    char *end;
    long v = strtol(selector, &end, 10);
    if (*end == '\0' && end != selector) {
        if (v >= 0 && v < n) {
            *index = (int)v;
            return CLCNN_STATUS_OK;
        }
    } else {
        int best = -1, best_rank = 0;
        for (int i = 0; i < n; i++) {
            int rank = match_rank(&info[i], selector);
            if (rank && (best < 0 || better_match(&info[i], rank, &info[best], best_rank))) {
                best = i;
                best_rank = rank;
            }
        }
        if (best >= 0) {
            *index = best;
            return CLCNN_STATUS_OK;
        }
    }
    char list[4096] = "";
    for (int i = 0; i < n; i++) {
        size_t k = strlen(list);
        snprintf(list + k, sizeof list - k, "\n  %d: %s: %s (%s)", i, info[i].platform,
                 info[i].name, info[i].type);
    }
    return clcnn_fail(CLCNN_STATUS_NO_DEVICE, "no OpenCL device matches '%s'; the devices are:%s",
                      selector, list);
}

static const char *effective_selector(const char *selector) {
    if (selector && *selector) return selector;
    return getenv("CLCNN_DEVICE");
}

clcnn_status clcnn_device_resolve(const char *selector, int *index) {
    found_device *found;
    clcnn_device_info *info;
    int n;
    CLCNN_TRY(enumerate(&found, &info, &n));
    clcnn_status s = clcnn_device_match(info, n, effective_selector(selector), index);
    free(found);
    free(info);
    return s;
}

clcnn_context_options clcnn_context_options_default(void) {
    clcnn_context_options o = {NULL, 1, 0};
    return o;
}

/* The key that scopes every cache entry to this device, driver, platform and clcnn version. */
static void make_device_key(clcnn_context *ctx) {
    clcnn_hasher *h = clcnn_hasher_create();
    if (!h) return;
    clcnn_hasher_update_str(h, ctx->info.platform);
    clcnn_hasher_update_str(h, ctx->info.platform_version);
    clcnn_hasher_update_str(h, ctx->info.name);
    clcnn_hasher_update_str(h, ctx->info.driver);
    clcnn_hasher_update_str(h, ctx->info.version);
    clcnn_hasher_update_str(h, CLCNN_VERSION);
    clcnn_hasher_hex(h, ctx->device_key);
    clcnn_hasher_destroy(h);
}

static clcnn_status open_device(clcnn_context *ctx, const found_device *fd) {
    cl_int err;
    ctx->platform = fd->platform;
    ctx->device = fd->device;
    cl_context_properties props[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)fd->platform, 0};
    ctx->context = clCreateContext(props, 1, &fd->device, NULL, NULL, &err);
    CLCNN_CL_TRY(err, "clCreateContext");
    cl_command_queue_properties qp = ctx->profiling ? CL_QUEUE_PROFILING_ENABLE : 0;
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif
    ctx->queue = clCreateCommandQueue(ctx->context, fd->device, qp, &err);
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
    CLCNN_CL_TRY(err, "clCreateCommandQueue");
    return device_limits(ctx);
}

/* The test hooks' counts (cl.h); a value that is not a positive number leaves the hook off. */
static long fault_count(const char *name) {
    const char *v = getenv(name);
    char *end;
    long n = v && *v ? strtol(v, &end, 10) : 0;
    return n > 0 && *end == '\0' ? n : 0;
}

static void read_fault_hooks(clcnn_context *ctx) {
    ctx->fault_alloc = fault_count("CLCNN_FAULT_ALLOC");
    ctx->fault_launch = fault_count("CLCNN_FAULT_LAUNCH");
}

clcnn_status clcnn_context_create(const clcnn_context_options *options, clcnn_context **out) {
    *out = NULL;
    clcnn_context_options o = options ? *options : clcnn_context_options_default();
    const char *nc = getenv("CLCNN_NO_CACHE");
    if (nc && *nc && strcmp(nc, "0") != 0) o.disk_cache = 0;
    found_device *found;
    clcnn_device_info *info;
    int n, index = 0;
    pthread_once(&env_once, set_runtime_env);
    int helper_fd = -1;
    int helper = atomic_exchange(&opencl_used, 1) ? 0 : clcnn_prefetch_start(&o, &helper_fd);
    clcnn_status s0 = enumerate(&found, &info, &n);
    if (s0 != CLCNN_STATUS_OK) {
        clcnn_prefetch_stop(&helper, &helper_fd);
        return s0;
    }
    clcnn_status s = clcnn_device_match(info, n, effective_selector(o.device), &index);
    clcnn_context *ctx = s == CLCNN_STATUS_OK ? calloc(1, sizeof *ctx) : NULL;
    if (s == CLCNN_STATUS_OK && !ctx) s = clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
    if (ctx) {
        ctx->info = info[index];
        ctx->prefetch_pid = helper;
        ctx->prefetch_fd = helper_fd;
        helper = 0;
        helper_fd = -1;
        ctx->disk_cache = o.disk_cache;
        ctx->profiling = o.profiling;
        read_fault_hooks(ctx);
        make_device_key(ctx);
        s = clcnn_cache_dir(ctx->cache_dir, sizeof ctx->cache_dir);
        if (s == CLCNN_STATUS_OK) s = open_device(ctx, &found[index]);
        ctx->program_binaries = clcnn_program_binaries_wanted(ctx);
        if (s == CLCNN_STATUS_OK) s = clcnn_route_table_create(ctx);
        if (s == CLCNN_STATUS_OK) s = clcnn_kparams_load(ctx);
    }
    free(found);
    free(info);
    clcnn_prefetch_stop(&helper, &helper_fd); /* when no context took it */
    if (s != CLCNN_STATUS_OK) {
        clcnn_context_destroy(ctx);
        return s;
    }
    *out = ctx;
    return CLCNN_STATUS_OK;
}

void clcnn_context_destroy(clcnn_context *ctx) {
    if (!ctx) return;
    clcnn_prefetch_stop(&ctx->prefetch_pid, &ctx->prefetch_fd);
    if (ctx->queue) clFinish(ctx->queue);
    /* CLBlast keeps compiled programs in a process-wide cache; release them while this
     * context's runtime is alive (a later context refills it from PoCL's disk cache). */
    if (ctx->clblast_ready) CLBlastClearCache();
    clcnn_route_table_destroy(ctx);
    clcnn_profile_record *records;
    int n_records;
    if (ctx->profiling && clcnn_profile_collect(ctx, &records, &n_records) == CLCNN_STATUS_OK)
        free(records);
    free(ctx->events);
    if (ctx->scratch) clReleaseMemObject(ctx->scratch);
    for (int i = 0; i < ctx->n_kernels; i++) clReleaseKernel(ctx->kernels[i].kernel);
    for (int i = 0; i < ctx->n_programs; i++) clReleaseProgram(ctx->programs[i].program);
    if (ctx->queue) clReleaseCommandQueue(ctx->queue);
    if (ctx->context) clReleaseContext(ctx->context);
    free(ctx);
}

const clcnn_device_info *clcnn_context_device(const clcnn_context *ctx) { return &ctx->info; }

clcnn_status clcnn_context_finish(clcnn_context *ctx) {
    return clcnn_cl_check(clFinish(ctx->queue), "clFinish");
}
