/* cl/kparams.h: the tunable parameters of the GPU-shaped kernels (kernels/gemm_tiled.cl), per
 * device class, and the -D options that build a variant from them. */
#ifndef CLCNN_KPARAMS_H
#define CLCNN_KPARAMS_H

#include "gemm.h"

typedef enum clcnn_device_class {
    CLCNN_CLASS_CPU,
    CLCNN_CLASS_NVIDIA,
    CLCNN_CLASS_AMD,
    CLCNN_CLASS_INTEL,
    CLCNN_CLASS_GPU, /* any other GPU or accelerator */
    CLCNN_N_CLASSES
} clcnn_device_class;

clcnn_device_class clcnn_device_class_of(const clcnn_device_info *info);
/* Whether ctx's device is a CPU (the CPU-shaped kernels, launches and routes): the one test. */
int clcnn_is_cpu(const clcnn_context *ctx);
const char *clcnn_device_class_name(clcnn_device_class c);

/* The class's default (the database's row). */
clcnn_gemm_tile clcnn_gemm_tile_default(clcnn_device_class c);

/* The tile for this context: CLCNN_GEMM_TILE="ts_m,ts_n,ts_k,wpt_m,wpt_n" when set (tests and
 * tuning), else the class default; either must fit the device (clcnn_gemm_tile_check). */
clcnn_status clcnn_gemm_tile_for(const clcnn_context *ctx, clcnn_gemm_tile *out);

/* Whether the tile is well formed and fits the device's work-group size and local memory. */
clcnn_status clcnn_gemm_tile_check(const clcnn_gemm_tile *t, size_t max_group, cl_ulong local_mem);

/* Whether convolution's layout transforms run one work-item per element (kernels/conv.cl's
 * _items kernels, for GPUs) rather than one per (image, channel) plane (for CPUs): by device
 * class, or CLCNN_CONV_LAYOUT=items|planes. */
int clcnn_conv_items(const clcnn_context *ctx);

/* The work-group size of the per-channel reductions (batch-norm statistics, bias gradients):
 * 0 = one work-item per channel (CPUs), else a power of two (GPUs: the _wg kernels, built with
 * -DRED_WG=n). By device class within the device's work-group limit, or CLCNN_REDUCE_WG=n. */
int clcnn_reduce_wg(const clcnn_context *ctx);
int clcnn_reduce_wg_default(clcnn_device_class c); /* the database's row */

/* The build options of gemm_tiled for a product kind and tile ("-DA_T=1 -DTS_M=64 ..."). */
void clcnn_gemm_tiled_options(const clcnn_gemm_tile *t, clcnn_gemm_kind kind, char *buf, size_t n);

/* The -D options of kernels/gemm.cl's register tiles (the own route) for a device whose native
 * vector width is vector_width floats (CL_DEVICE_NATIVE_VECTOR_WIDTH_FLOAT);
 * CLCNN_GEMM_OWN_TILE=TM,NV,VW,NT_TM,NT_TN,NT_VW[,PK_TM,PK_NV] overrides. */
clcnn_status clcnn_gemm_own_options(int vector_width, int streamed, char *buf, size_t n);
/* The same, also giving the work-item's tile (output rows x columns) of gemm_tile (NN/TN),
 * gemm_nt and gemm_nt_packed (with its panel's floats), for the launches. streamed 1: the
 * packed NT products' build for operands that stream from memory (a longer panel on AVX-512,
 * host/cl/kparams.c; the same options elsewhere). */
clcnn_status clcnn_gemm_own_tiles(int vector_width, int streamed, char *buf, size_t n,
                                  int tile[2], int nt_tile[2], int pk_tile[3]);
/* ---- the parameters tune-kernels measured: CLCNN_CACHE_DIR/kparams/<device key>.txt, a cache
 * entry (core/cache_entry.c) keyed by the device key (device, driver, platform, clcnn version),
 * whose payload is "# note" then "gemm_tile a,b,c,d,e", "reduce_wg n", "conv_layout items|planes"
 * lines (each optional). */
clcnn_status clcnn_kparams_path(const clcnn_context *ctx, char *buf, size_t n);
/* The lines for t; returns their length. */
size_t clcnn_kparams_format(const clcnn_kparams_tuned *t, char *buf, size_t n);
/* Parses a payload; 0 for anything malformed or not usable on ctx's device (out is unset). */
int clcnn_kparams_parse(const char *text, const clcnn_context *ctx, clcnn_kparams_tuned *out);
/* Fills ctx->own_gemm at open (the device's native vector width; CLCNN_GEMM_OWN_TILE,
 * CLCNN_GEMM_NT_CACHE=bytes, default 2 MiB, the L2 of two cores, and CLCNN_GEMM_NT=packed|dot,
 * default packed on CPUs where N fills a panel); a malformed override is an error naming it. */
clcnn_status clcnn_gemm_own_load(clcnn_context *ctx);
/* A number from the environment variable `name` in [lo, hi] (whole: an integer), the one reader
 * of numeric overrides; *set 0 when it is unset or empty, and an error naming the variable and
 * its value when it is malformed. */
clcnn_status clcnn_env_number(const char *name, double lo, double hi, int whole, double *out,
                              int *set);
/* Fills ctx->conv at open (cl/conv_env.c; CLCNN_CONV, CLCNN_CONV_TILE, CLCNN_ROUTE, CLCNN_CONV_CHUNK,
 * CLCNN_WINO_IMAGES); a malformed value is an error naming it. Tests that change these variables
 * call it again. */
clcnn_status clcnn_conv_env_load(clcnn_context *ctx);
/* Reads this device's file into ctx->tuned at open; a missing, damaged or foreign file leaves
 * the class defaults (a debug note says which). Logs the parameters in force at debug level. */
clcnn_status clcnn_kparams_load(clcnn_context *ctx);
/* Writes the file atomically, with a note line. */
clcnn_status clcnn_kparams_store(const clcnn_context *ctx, const clcnn_kparams_tuned *t,
                                 const char *note);

#endif
