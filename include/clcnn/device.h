/* clcnn/device.h: OpenCL devices and the clcnn context that owns one of them.
 *
 * Devices are numbered globally across platforms, in the order clcnn_devices_list returns them
 * (the order `clcnn devices` prints). A selector is an index ("1") or a case-insensitive name
 * ("nvidia", "pthread"): a match of whole words in the device name or the platform name beats a
 * substring of "platform name: device name" ("amd" matches the platform "AMD Accelerated
 * Parallel Processing" as a word, "Radeon" only as a substring), and among equally good matches
 * the default rule decides: the first GPU, else the first device (so "amd" picks an AMD GPU over
 * PoCL's "cpu-... AMD EPYC" CPU, both whole-word matches). */
#ifndef CLCNN_DEVICE_H
#define CLCNN_DEVICE_H

#include <stdint.h>

#include "clcnn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct clcnn_device_info {
    int index;                 /* global index */
    char platform[128];        /* platform name */
    char platform_version[128];
    char name[256];            /* device name */
    char vendor[128];
    char type[16];             /* "GPU", "CPU", "ACCELERATOR", "OTHER" */
    unsigned compute_units;
    uint64_t global_memory;    /* bytes */
    uint64_t max_alloc;        /* bytes, largest single buffer */
    char version[128];         /* CL_DEVICE_VERSION */
    char driver[128];          /* CL_DRIVER_VERSION */
    int is_default;            /* the device chosen when nothing is asked for */
} clcnn_device_info;

/* Lists every device of every platform. *devices is malloc'ed (the caller frees it); *n may be 0
 * only on success with platforms but no devices. No platform at all: CLCNN_STATUS_NO_DEVICE with
 * a message saying how to install PoCL. */
CLCNN_API clcnn_status clcnn_devices_list(clcnn_device_info **devices, int *n);

/* Resolves a selector to a global index: selector if non-NULL and non-empty, else the
 * CLCNN_DEVICE environment variable, else the default (the first GPU, else the first device).
 * An unknown selector is CLCNN_STATUS_NO_DEVICE with a message listing the devices. */
CLCNN_API clcnn_status clcnn_device_resolve(const char *selector, int *index);

/* The matching behind clcnn_device_resolve, on a given list (n entries, in global order):
 * *index is the device the selector picks. An unknown selector is CLCNN_STATUS_NO_DEVICE with a
 * message listing the devices. */
clcnn_status clcnn_device_match(const clcnn_device_info *devices, int n, const char *selector,
                                int *index);

typedef struct clcnn_context clcnn_context;

typedef struct clcnn_context_options {
    const char *device;   /* selector; NULL = CLCNN_DEVICE or the default */
    int disk_cache;       /* cache compiled programs on disk (default 1; CLCNN_NO_CACHE=1 turns it off) */
    int profiling;        /* enable OpenCL event profiling on the queue (bench) */
} clcnn_context_options;

CLCNN_API clcnn_context_options clcnn_context_options_default(void);

/* Opens the chosen device: context, in-order queue, kernel cache. */
CLCNN_API clcnn_status clcnn_context_create(const clcnn_context_options *options, clcnn_context **out);
CLCNN_API void clcnn_context_destroy(clcnn_context *ctx); /* accepts NULL */

/* The device the context drives; valid as long as the context. */
CLCNN_API const clcnn_device_info *clcnn_context_device(const clcnn_context *ctx);

/* What clcnn_context_warm_up measured, in seconds from its call. */
typedef struct clcnn_warmup_times {
    double first_launch;  /* the first kernel launched and finished */
    double all_programs;  /* every engine kernel file built (from the disk cache when warm) */
    double clblast;       /* CLBlast's first GEMM (its kernels compiled or loaded); 0 if skipped */
    int programs;         /* kernel files built */
} clcnn_warmup_times;

/* Builds every engine kernel for the device (filling the disk cache) and, when clblast is set,
 * runs a first CLBlast GEMM so that its compiled kernels land in the cache too. The first run
 * on a device pays the compile cost; later runs load binaries. */
CLCNN_API clcnn_status clcnn_context_warm_up(clcnn_context *ctx, int clblast, clcnn_warmup_times *times);

/* Waits for all work enqueued on the context's queue. */
CLCNN_API clcnn_status clcnn_context_finish(clcnn_context *ctx);

#ifdef __cplusplus
}
#endif
#endif
