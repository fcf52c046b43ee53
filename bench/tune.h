/* bench/tune.h: the parts of `clcnn-bench tune-gemm` (tune.c: the command and the search;
 * tune_eval.c: candidates from the tuners' files and their measurement in a child clcnn-bench). */
#ifndef CLCNN_BENCH_TUNE_H
#define CLCNN_BENCH_TUNE_H

#include "bench.h"

#define TUNE_MAX_CANDIDATES 64
#define TUNE_MAX_ROWS BENCH_MAX_GEMMS

/* One parameter set for one CLBlast kernel, as CLBlastOverrideParameters takes it. */
typedef struct tune_candidate {
    char kernel[32];      /* CLBlast's database name: "Xgemm", "XgemmDirect", "GemmRoutine" */
    char family[32];      /* the tuner's kernel_family ("xgemm_2"), or "clcnn" */
    char params[512];     /* "NAME=VALUE ..." as the tuner wrote it */
    double best_time;     /* ms, from the tuner (for its own m, n, k) */
    int m, n, k;          /* the problem the tuner ran */
} tune_candidate;

/* The clblast route's figures for every product of the shape set, from one child run. */
typedef struct tune_eval {
    int n;
    char kernel[TUNE_MAX_ROWS][64];
    char shape[TUNE_MAX_ROWS][64];
    double ms[TUNE_MAX_ROWS], flops[TUNE_MAX_ROWS];
    double mnk[TUNE_MAX_ROWS]; /* M*N*K of one CLBlast call: what its direct/indirect choice reads */
    double total_ms, total_flops;
    int applied; /* tuned parameter files the library applied (counted in the child's log) */
} tune_eval;

typedef struct tune_setup {
    bench_options bench;    /* device, shape set and timing of the evaluations */
    const char *self;       /* this executable */
    int device_index;
    char device_key[33];
    char cache_dir[1024];   /* the real CLCNN_CACHE_DIR */
    char pocl_cache[1100];  /* shared by every child so kernels compile once */
    char work_dir[1200];    /* tuner runs and evaluation caches */
    int n_evals;
} tune_setup;

/* Reads the tuner's JSON file into a candidate (PRECISION is kept in params; clblast_params.c
 * drops it). */
clcnn_status tune_read_candidate(const char *path, tune_candidate *out);

/* Measures the clblast route over the shape set with exactly these parameter files applied
 * (none: CLBlast's defaults), in a child clcnn-bench with a cache folder of its own. With
 * installed = 1 the child uses the real cache folder instead (files given are ignored). */
clcnn_status tune_evaluate(tune_setup *t, const tune_candidate *const *files, int n_files,
                           int installed, tune_eval *out);

/* Writes a candidate as a tuner-style JSON file CLBlast's parameters are read back from. */
clcnn_status tune_write_candidate(const char *path, const tune_candidate *c, const char *note);

/* The database kernel a tuner family tunes (host/cl/clblast_params.c). */
const char *clcnn_clblast_kernel_for_family(const char *family, const char *best_kernel);

#endif
