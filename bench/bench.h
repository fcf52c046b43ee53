/* bench/bench.h: what the parts of clcnn-bench share: options, result rows, the timing loop, the
 * peak probe, the GEMM shape sets, the output writers, and the subcommands. Internal to the tool. */
#ifndef CLCNN_BENCH_H
#define CLCNN_BENCH_H

#include <stdio.h>

#include "cl/gemm.h"
#include "clcnn/device.h"

/* ---- options -------------------------------------------------------------------------------- */
#define BENCH_MAX_GEMMS 32

typedef enum bench_format { BENCH_TABLE, BENCH_CSV, BENCH_JSON } bench_format;

typedef struct bench_gemm_shape {
    char kernel[64];   /* what the product is: "layers.1.conv2d/forward" */
    clcnn_gemm_kind kind;
    int M, N, K, batch;
    int lda, ldb, ldc;       /* 0 = tight */
    int a_shared;            /* A is the same for every batch item (conv weights): a_batch = 0 */
    int b_shared;            /* B is the same for every batch item */
    int bias_mode, relu;
} bench_gemm_shape;

typedef struct bench_options {
    const char *device;      /* selector, "all", or NULL (CLCNN_DEVICE / default) */
    bench_format format;
    double target_ms;        /* timing budget per kernel */
    int batch;               /* images per batch for the model's shapes */
    const char *shapes;      /* "seed" (default) or "tiny" */
    int n_gemms;             /* --gemm shapes from flags; replace the set when given */
    bench_gemm_shape gemms[BENCH_MAX_GEMMS];
    int routes;              /* bit 1: own, bit 2: clblast */
    int check;               /* compare the two routes' results */
    int no_peak;             /* skip the peak probe (% of peak is then 0) */
    const char *model;       /* --model CONFIG: whole-model benchmark */
    int steps;               /* training steps timed in --model mode */
    int verbose;
} bench_options;

void bench_options_default(bench_options *o);

/* ---- results ---------------------------------------------------------------------------------- */
typedef struct bench_peak {
    double gflops;           /* the device's peak: the best of this run and earlier runs */
    double gflops_width[4];  /* this run: float, float4, float8, float16 */
    double gbps;             /* the same for memory: best of this run and earlier runs */
    double gbps_read, gbps_copy; /* this run */
    double gflops_now, gbps_now; /* this run's maxima */
} bench_peak;

typedef struct bench_row {
    int device_index;
    char device[256];
    char kernel[64];
    char route[16];
    char shape[64];
    int batch;
    double ms, ms_min, ms_max; /* per run: median and spread over the samples */
    double event_ms;           /* median of the OpenCL event times of one run (0: none) */
    double cpu_ms;             /* the process's CPU time per run (every core; a load-robust
                                * figure on a shared CPU device: 0 where not measured) */
    double flops, bytes;       /* per run */
    double gflops, gbps, pct_peak;
    int runs;                  /* runs timed in all */
} bench_row;

typedef struct bench_device_result {
    clcnn_device_info info;
    bench_peak peak;
    int has_peak;
} bench_device_result;

typedef struct bench_report {
    bench_device_result devices[16];
    int n_devices;
    bench_row *rows;
    int n_rows, cap_rows;
} bench_report;

clcnn_status bench_report_add(bench_report *r, const bench_row *row);
void bench_report_free(bench_report *r);
/* Fills gflops, gbps and pct_peak from ms, flops, bytes and the device's peak. */
void bench_row_finish(bench_row *row, const bench_peak *peak, int has_peak);

/* ---- timing (timing.c) ------------------------------------------------------------------------ */
/* One run of the thing measured: enqueues its work, does not wait. */
typedef clcnn_status (*bench_run_fn)(clcnn_context *ctx, void *arg);

typedef struct bench_timing {
    double ms, ms_min, ms_max, event_ms, cpu_ms;
    int runs;
} bench_timing;

/* CLBlast's clients' and clpeak's method: a warm-up run (pays compiles), a calibration run, then
 * samples of back-to-back runs each closed by one clFinish, sized so that all samples take about
 * target_ms. Per-run times are sample time / runs in the sample; the median and the extremes over
 * the samples are reported. With a profiling context the OpenCL event times of each sample are
 * collected under `tag` as well. */
clcnn_status bench_time(clcnn_context *ctx, const char *tag, bench_run_fn run, void *arg,
                        double target_ms, bench_timing *out);

/* The fastest single run within target_ms (event time when recorded): for peaks. */
clcnn_status bench_time_fastest(clcnn_context *ctx, const char *tag, bench_run_fn run, void *arg,
                                double target_ms, double *best_ms);

double bench_median(double *v, int n); /* sorts v */

/* ---- peak probe (peak.c) ---------------------------------------------------------------------- */
clcnn_status bench_peak_measure(clcnn_context *ctx, double target_ms, bench_peak *out);

/* ---- GEMM kernels (gemm_bench.c) -------------------------------------------------------------- */
/* The products one training step of the seed model runs, at `batch` images. */
int bench_seed_shapes(int batch, bench_gemm_shape *out, int max);
/* A few small products for tests (seconds in all). */
int bench_tiny_shapes(bench_gemm_shape *out, int max);
/* Parses "--gemm KIND:MxNxK[xBATCH]" (KIND nn, tn or nt). */
clcnn_status bench_parse_gemm(const char *text, bench_gemm_shape *out);
/* "NN M=64 N=676 K=9 b=32": the shape column; parsed back by the tuner. */
void bench_shape_string(const bench_gemm_shape *s, char *buf, size_t n);
clcnn_status bench_shape_parse(const char *text, clcnn_gemm_kind *kind, int *M, int *N, int *K,
                               int *batch);
/* The shape set the options select (flags, or --shapes). */
int bench_selected_shapes(const bench_options *o, bench_gemm_shape *out, int max);
/* One shape's product on the device, on random operands, by `route`. */
typedef struct gemm_case {
    clcnn_gemm_op op;
    clcnn_route route;
    size_t a_count, b_count, c_count; /* floats allocated */
} gemm_case;
clcnn_status bench_gemm_case_setup(clcnn_context *ctx, bench_gemm_shape s, gemm_case *c);
void bench_gemm_case_release(gemm_case *c);
clcnn_status bench_gemm_case_run(clcnn_context *ctx, void *arg); /* a bench_run_fn */
/* Times every selected shape by every selected route on one device, adding rows to the report. */
clcnn_status bench_gemms(clcnn_context *ctx, const bench_options *o, const bench_peak *peak,
                         int has_peak, bench_report *report);

/* ---- output (output.c) ----------------------------------------------------------------------- */
void bench_write(FILE *fp, const bench_report *r, bench_format format);
void bench_write_peak(FILE *fp, const bench_report *r, bench_format format);
const char *bench_device_label(const bench_report *r, int device_index);

/* ---- subcommands ------------------------------------------------------------------------------ */
int bench_cmd_kernels(const bench_options *o);
int bench_cmd_peak(const bench_options *o);
int bench_cmd_tune_gemm(int argc, char **argv, const char *self);
int bench_cmd_tune_kernels(int argc, char **argv); /* tune_kernels.c */
int bench_cmd_model(const bench_options *o); /* model_bench.c */

/* Opens the device for a benchmark (profiling on). */
clcnn_status bench_context(const char *selector, clcnn_context **ctx);
/* The devices a selector names: every device for "all", else the one it resolves to. */
clcnn_status bench_device_indices(const char *selector, int *indices, int max, int *n);

#endif
