/* bench/timing.c: the timing loop every benchmark goes through: warm up, calibrate the run count
 * to a time budget, time samples of back-to-back runs, report the median and the spread. */
#include <math.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "bench.h"

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bench_median(double *v, int n) {
    if (n <= 0) return 0;
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Wall time of `runs` back-to-back runs closed by one clFinish, in ms. */
static clcnn_status timed_runs(clcnn_context *ctx, bench_run_fn run, void *arg, int runs,
                               double *ms) {
    double t0 = clcnn_now();
    for (int i = 0; i < runs; i++) CLCNN_TRY(run(ctx, arg));
    CLCNN_TRY(clcnn_context_finish(ctx));
    *ms = (clcnn_now() - t0) * 1e3;
    return CLCNN_STATUS_OK;
}

/* The events recorded since the last collect, summed (ms). CLBlast reports an event for its last
 * kernel only, so for that route this undercounts: it is informative, the wall time is the figure. */
static clcnn_status event_sum(clcnn_context *ctx, double *ms) {
    clcnn_profile_record *rec;
    int n;
    *ms = 0;
    if (!ctx->profiling) return CLCNN_STATUS_OK;
    CLCNN_TRY(clcnn_profile_collect(ctx, &rec, &n));
    for (int i = 0; i < n; i++) *ms += rec[i].ms;
    free(rec);
    return CLCNN_STATUS_OK;
}

/* Samples and runs per sample: at least 5 samples when runs are short, fewer (down to 3 single
 * runs) when one run alone exceeds the budget. */
static void plan(double one_ms, double target_ms, int *samples, int *per_sample) {
    if (one_ms <= 0) one_ms = 1e-3;
    int total = (int)(target_ms / one_ms);
    if (total < 3) total = 3;
    if (total > 100000) total = 100000;
    *samples = total < 9 ? total : 9;
    *per_sample = total / *samples;
}

/* CPU seconds this process has used, on every thread (a CPU device's work-items run in its
 * threads). */
static double process_cpu_seconds(void) {
    struct rusage u;
    if (getrusage(RUSAGE_SELF, &u) != 0) return 0;
    return (double)u.ru_utime.tv_sec + u.ru_utime.tv_usec * 1e-6 + (double)u.ru_stime.tv_sec +
           u.ru_stime.tv_usec * 1e-6;
}

clcnn_status bench_time(clcnn_context *ctx, const char *tag, bench_run_fn run, void *arg,
                        double target_ms, bench_timing *out) {
    double one, discard;
    clcnn_profile_set_tag(ctx, tag);
    CLCNN_TRY(timed_runs(ctx, run, arg, 1, &discard)); /* warm-up: compiles, first touches */
    CLCNN_TRY(timed_runs(ctx, run, arg, 1, &one));
    CLCNN_TRY(event_sum(ctx, &discard));
    int samples, per;
    plan(one, target_ms, &samples, &per);
    double wall[9], events[9], cpu0 = process_cpu_seconds();
    for (int s = 0; s < samples; s++) {
        CLCNN_TRY(timed_runs(ctx, run, arg, per, &wall[s]));
        CLCNN_TRY(event_sum(ctx, &events[s]));
        wall[s] /= per;
        events[s] /= per;
    }
    out->cpu_ms = (process_cpu_seconds() - cpu0) * 1e3 / (samples * per);
    out->ms = bench_median(wall, samples);
    out->ms_min = wall[0];
    out->ms_max = wall[samples - 1];
    out->event_ms = bench_median(events, samples);
    out->runs = samples * per;
    clcnn_profile_set_tag(ctx, "");
    return CLCNN_STATUS_OK;
}

/* The fastest single run within the budget, by its OpenCL event time when the context records
 * events (one launch: exact device time), else by wall time. For peaks: many short samples catch
 * a moment when the device is not shared, which a median over long samples would not. */
clcnn_status bench_time_fastest(clcnn_context *ctx, const char *tag, bench_run_fn run, void *arg,
                                double target_ms, double *best_ms) {
    double wall, events, spent = 0;
    clcnn_profile_set_tag(ctx, tag);
    CLCNN_TRY(timed_runs(ctx, run, arg, 1, &wall)); /* warm-up */
    CLCNN_TRY(event_sum(ctx, &events));
    *best_ms = INFINITY;
    for (int i = 0; i < 1000 && (i < 3 || spent < target_ms); i++) {
        CLCNN_TRY(timed_runs(ctx, run, arg, 1, &wall));
        CLCNN_TRY(event_sum(ctx, &events));
        double t = events > 0 ? events : wall;
        if (t < *best_ms) *best_ms = t;
        spent += wall;
    }
    clcnn_profile_set_tag(ctx, "");
    return CLCNN_STATUS_OK;
}
