/* cl/cl.h: the OpenCL layer's internal interface: the context, programs built from the embedded
 * kernels (with a disk cache of binaries), buffers, launches, and GEMMs (our own kernels or
 * CLBlast). The only part of clcnn that includes CLBlast. */
#ifndef CLCNN_CL_H
#define CLCNN_CL_H

#include <CL/cl.h>
#include <CL/cl_ext.h>
#include <stddef.h>

#include "clcnn/device.h"
#include "core/core.h"

#define CLCNN_MAX_PROGRAMS 128

typedef struct clcnn_program_entry {
    char key[256]; /* file + options */
    cl_program program;
} clcnn_program_entry;

/* A tiled GEMM's shape (cl/kparams.h): a work-group computes a ts_m x ts_n tile of C in
 * ts_k-deep steps; a work-item a wpt_m x wpt_n register tile. */
typedef struct clcnn_gemm_tile {
    int ts_m, ts_n, ts_k, wpt_m, wpt_n;
} clcnn_gemm_tile;

/* Kernel parameters measured for this device by clcnn-bench tune-kernels, read at open
 * (cl/kparams.c); a value whose has_ flag is 0 leaves the device class's default (so a zeroed
 * struct is "not tuned"). */
typedef struct clcnn_kparams_tuned {
    int has_tile, has_reduce_wg, has_conv_layout;
    clcnn_gemm_tile tile;
    int reduce_wg;  /* 0 = one work-item per channel, else the work-group size */
    int conv_items; /* 1 items, 0 planes */
} clcnn_kparams_tuned;

/* The own GEMM kernels' settings (kernels/gemm.cl), fixed at open (cl/kparams.c) from the
 * device's native vector width and the CLCNN_GEMM_OWN_TILE / _NT_CACHE overrides, so a
 * product asks neither the driver nor the environment. */
typedef struct clcnn_gemm_own {
    char options[160]; /* the -D options of the register tiles */
    int tile[2];       /* gemm_tile's work-item tile: output rows x columns */
    int nt_tile[2];    /* gemm_nt's */
    int pk_tile[3];    /* gemm_nt_packed's: rows x columns, and its panel's floats */
    char options_streamed[160]; /* the same with the panel of products streamed from memory */
    int pk_streamed;   /* that panel's floats */
    double nt_cache;   /* bytes of cache a piece of an NT product's rows may fill */
    int nt_packed;     /* NT products by gemm_nt_packed rather than gemm_nt: 0 never, 1 always,
                        * 2 where N fills a panel (the CPU default) */
} clcnn_gemm_own;

/* A route AUTO chose for a product (cl/gemm.c), kept per context by everything its route key
 * depends on: the kind, sizes, bias and ReLU, and the caller's key ("" for none). */
typedef struct clcnn_gemm_memo {
    int shape[7]; /* kind, M, N, K, batch, bias_mode, relu */
    char key[96];
    int route;
} clcnn_gemm_memo;
#define CLCNN_GEMM_MEMO 48

/* The convolutions' environment overrides, read at open (cl/conv_env.c): alg 0 = auto, else 1 +
 * the index of im2col, direct, winograd (CLCNN_CONV); the direct kernels' tile tm, nv, wm, wr, per
 * (CLCNN_CONV_TILE; all 0 = the defaults); the GEMM route CLCNN_ROUTE forces (auto: none; cl/gemm.c
 * and the convolutions read it here); Winograd's
 * images per chunk (CLCNN_WINO_IMAGES, tests; 0 = by cache size); im2col's at most
 * (CLCNN_CONV_CHUNK, tests; 0 = by size). */
typedef struct clcnn_conv_env {
    int alg, tile[5], chunk_images, wino_images;
    clcnn_route gemm_route;
} clcnn_conv_env;

struct clcnn_context {
    clcnn_device_info info;
    cl_platform_id platform;
    cl_device_id device;
    cl_context context;
    cl_command_queue queue;
    int disk_cache;
    int program_binaries; /* our own cache of program binaries (clcnn_program_binaries_wanted) */
    int profiling;
    char cache_dir[1024];
    char device_key[33];  /* hash of device, driver, platform and clcnn version */
    int n_programs;
    clcnn_program_entry programs[CLCNN_MAX_PROGRAMS];
    struct {
        char key[256]; /* name|options */
        cl_kernel kernel;
    } kernels[CLCNN_MAX_PROGRAMS]; /* kernels made by clcnn_kernel_get, reused */
    int n_kernels;
    struct clcnn_route_table *routes; /* cl/route.c */
    char profile_tag[64];
    double profile_bytes; /* the next launch's bytes moved, from clcnn_profile_bytes */
    struct clcnn_profile_event *events; /* recorded launches when profiling */
    int n_events, cap_events;
    int clblast_ready;
    cl_mem scratch;       /* cl/gemm.c's grouped products; grown on first need */
    size_t scratch_floats;
    size_t max_group;    /* CL_DEVICE_MAX_WORK_GROUP_SIZE */
    size_t max_items[3]; /* CL_DEVICE_MAX_WORK_ITEM_SIZES */
    cl_ulong local_mem;  /* CL_DEVICE_LOCAL_MEM_SIZE */
    /* Test hooks for a device that runs out of memory (CLCNN_FAULT_ALLOC=N, CLCNN_FAULT_LAUNCH=N,
     * read at context creation; 0: off): the Nth buffer allocation or kernel launch of this
     * context, and every later one, fails as a full device would. */
    long fault_alloc, fault_launch;
    long n_allocs, n_launches;
    clcnn_kparams_tuned tuned; /* env overrides still win (cl/kparams.c) */
    /* The device's native float vector width (CL_DEVICE_NATIVE_VECTOR_WIDTH_FLOAT: 16 on AVX-512
     * PoCL, 8 on AVX2), which the own products' and the convolutions' register tiles are built
     * for; CLCNN_VECTOR_WIDTH=4|8|16 forces one (tests run both shapes on any CPU). Read at open
     * by clcnn_kparams_load. */
    int vector_width;
    clcnn_gemm_own own_gemm;
    clcnn_conv_env conv;
    int prefetch_pid; /* the helper building kernel files on a cold start (cl/prefetch.c), or 0 */
    int prefetch_fd;  /* its requests' socket, or -1 (0 in a zeroed struct: none too) */
    clcnn_gemm_memo gemm_memo[CLCNN_GEMM_MEMO]; /* cl/gemm.c; the first n_gemm_memo are set */
    int n_gemm_memo;
};

/* The name of an OpenCL error code ("CL_OUT_OF_RESOURCES"). */
const char *clcnn_cl_error_name(cl_int err);

/* Whether an OpenCL error means the device (or the host under it) ran out of memory. */
static inline int clcnn_cl_out_of_memory(cl_int err) {
    return err == CL_MEM_OBJECT_ALLOCATION_FAILURE || err == CL_OUT_OF_RESOURCES ||
           err == CL_OUT_OF_HOST_MEMORY;
}

/* Turns an OpenCL error into a status with a message "<what>: CL_..." (out of memory:
 * CLCNN_STATUS_OUT_OF_MEMORY). */
clcnn_status clcnn_cl_check(cl_int err, const char *what);
#define CLCNN_CL_TRY(call, what) CLCNN_TRY(clcnn_cl_check((call), (what)))

/* Whether programs are cached as binaries under CLCNN_CACHE_DIR/programs: with the disk cache
 * on, unless the driver keeps its own cache (PoCL); CLCNN_PROGRAM_BINARIES=1 or 0 decides. */
int clcnn_program_binaries_wanted(const clcnn_context *ctx);

/* On a cold PoCL cache (nothing built yet; CLCNN_PREFETCH=1 forces it, =0 turns it off), forks a
 * helper process that builds, into PoCL's cache, the kernel files clcnn_program_prefetch asks for
 * while this process goes on (cl/prefetch.c). Only before this process's first OpenCL call (a
 * fork copies no runtime threads). Returns its process id (0: none) and *fd, the requests' socket
 * (-1: none). */
int clcnn_prefetch_start(const clcnn_context_options *o, int *fd);
/* Asks the helper, if there is one, to build kernels/<file> with these options: a later
 * clcnn_program_get of them then loads PoCL's cached build. Best effort, never fails. */
void clcnn_program_prefetch(clcnn_context *ctx, const char *file, const char *options);
/* Ends the requests and waits for the helper to finish them: its exit status, -1 when there was
 * none (tests). */
int clcnn_prefetch_wait(clcnn_context *ctx);
/* Stops the helper *pid if it is still building and closes its socket *fd (then 0 and -1). */
void clcnn_prefetch_stop(int *pid, int *fd);

/* The program built from kernels/<file> (prefixed by kernels/prelude.cl) with the given build
 * options; built once per context, and cached on disk (as a binary keyed by source, options,
 * device, driver, platform and clcnn version, or by the driver itself). A failed build reports
 * the device, the file and the full build log. The program is owned by the context. */
clcnn_status clcnn_program_get(clcnn_context *ctx, const char *file, const char *options,
                               cl_program *out);

/* A new kernel object from that program; the caller releases it. */
clcnn_status clcnn_kernel_create(clcnn_context *ctx, const char *file, const char *name,
                                 const char *options, cl_kernel *out);

/* The kernel `name` from kernels/<file> (no build options), created once per context and owned
 * by it: callers set arguments and launch, never release it. */
clcnn_status clcnn_kernel_get(clcnn_context *ctx, const char *file, const char *name, cl_kernel *out);

/* The same for a variant built with options ("-DTS_M=64 ..."), kept per name and options. */
clcnn_status clcnn_kernel_get_variant(clcnn_context *ctx, const char *file, const char *name,
                                      const char *options, cl_kernel *out);

/* The text of kernels/<file>: from $CLCNN_KERNEL_DIR when set, else embedded. Malloc'ed. */
clcnn_status clcnn_kernel_source(const char *file, char **text);

/* A device buffer; an allocation failure names the size and the device's memory. Every buffer
 * has CLCNN_BUFFER_SLACK bytes past its end so vector kernels may over-read a row's tail. */
#define CLCNN_BUFFER_SLACK 512
clcnn_status clcnn_buffer_create(clcnn_context *ctx, size_t bytes, cl_mem *out);
clcnn_status clcnn_buffer_write(clcnn_context *ctx, cl_mem buf, size_t offset, size_t bytes,
                                const void *src);
clcnn_status clcnn_buffer_read(clcnn_context *ctx, cl_mem buf, size_t offset, size_t bytes,
                               void *dst);
clcnn_status clcnn_buffer_fill_zero(clcnn_context *ctx, cl_mem buf, size_t offset, size_t bytes);

/* Sets kernel arguments from a list of (size, pointer) pairs and enqueues an NDRange. Never
 * waits. With local NULL, the local size comes from clcnn_local_size and each global size is
 * rounded up to a multiple of it: every kernel guards its indices against the true sizes, which
 * it takes as arguments. A kernel that needs a given shape (local memory tiles, work-group
 * reductions) passes local, and global must then be a multiple of it. */
typedef struct clcnn_arg {
    size_t size;
    const void *value;
} clcnn_arg;
#define CLCNN_ARG(x) ((clcnn_arg){sizeof(x), &(x)})
#define CLCNN_ARG_LOCAL(bytes) ((clcnn_arg){(bytes), NULL})
clcnn_status clcnn_launch(clcnn_context *ctx, cl_kernel kernel, int dims, const size_t *global,
                          const size_t *local, const clcnn_arg *args, int n_args);

/* A launch whose local size on a CPU is cpu_local whatever the global sizes (rounded up to it;
 * the kernel guards its indices), and clcnn_launch's choice elsewhere. For kernels launched
 * with many shapes in a run (the last partial batch, every product's partial sums): PoCL
 * compiles a kernel again for every local size it meets (~0.8 CPU s each), and clcnn_launch's
 * choice follows the global sizes. */
clcnn_status clcnn_launch_cpu_local(clcnn_context *ctx, cl_kernel kernel, int dims,
                                    const size_t *global, const size_t *cpu_local,
                                    const clcnn_arg *args, int n_args);

/* The local size clcnn_launch uses for a kernel and global size: within the kernel's
 * CL_KERNEL_WORK_GROUP_SIZE and the device's limits, dimension 0 filled first, dimension 2
 * always 1 (so a third dimension is never padded). */
void clcnn_local_size(const clcnn_context *ctx, cl_kernel kernel, int dims, const size_t *global,
                      size_t *local);

/* A launch with exactly these global sizes and the driver's local size, for kernels that read
 * get_global_size (the bench's peak probes). */
clcnn_status clcnn_launch_exact(clcnn_context *ctx, cl_kernel kernel, int dims,
                                const size_t *global, const clcnn_arg *args, int n_args);

/* Profiling, for the bench tool: on a context created with profiling = 1, every launch (ours
 * and CLBlast's) records an event under the current tag ("conv2d_1/forward"). Collect waits for
 * the queue, returns the records (malloc'ed; the caller frees) and clears the list. */
typedef struct clcnn_profile_record {
    char tag[64];
    char kernel[64];
    double ms;
    double bytes; /* memory moved, as its launcher declared (0: not declared) */
} clcnn_profile_record;
void clcnn_profile_set_tag(clcnn_context *ctx, const char *tag);
/* Declares the bytes the next launch reads and writes (a memory-bound kernel's GB/s). */
void clcnn_profile_bytes(clcnn_context *ctx, double bytes);
/* An event slot for a launch (NULL when not profiling); pass it to clEnqueue... or CLBlast. */
cl_event *clcnn_profile_event(clcnn_context *ctx, const char *kernel);
clcnn_status clcnn_profile_collect(clcnn_context *ctx, clcnn_profile_record **out, int *n);

/* Rounds up to a multiple. */
static inline size_t clcnn_round_up(size_t x, size_t m) { return (x + m - 1) / m * m; }

#endif
