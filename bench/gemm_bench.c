/* bench/gemm_bench.c: the GEMM products of cl/gemm.h timed by each route (clcnn's kernels,
 * CLBlast) on the shapes a model's training step runs: the seed model's set at a given batch, a
 * tiny set for tests, or shapes from --gemm flags. Layouts and leading dimensions are the ones
 * the layers use (conv as im2col + GEMM, column matrix rows padded to a multiple of 32). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bench.h"

static const char *const kind_names[] = {"TN", "NN", "NT"};

static bench_gemm_shape shape(const char *kernel, clcnn_gemm_kind kind, int M, int N, int K,
                              int batch) {
    bench_gemm_shape s;
    memset(&s, 0, sizeof s);
    snprintf(s.kernel, sizeof s.kernel, "%s", kernel);
    s.kind = kind;
    s.M = M, s.N = N, s.K = K, s.batch = batch;
    return s;
}

/* A conv layer as im2col + GEMM over `batch` images: C channels in, F filters, P = OH*OW output
 * pixels, R = C*KH*KW; the column matrix is R x round_up(P, 32). */
static int conv_shapes(const char *layer, int F, int R, int P, int batch, int first,
                       bench_gemm_shape *out) {
    int ldp = (int)clcnn_round_up((size_t)P, 32), n = 0;
    char name[64];
    snprintf(name, sizeof name, "%s/forward", layer);
    bench_gemm_shape s = shape(name, CLCNN_GEMM_NN, F, P, R, batch); /* Y_z = W col_z */
    s.lda = R, s.ldb = ldp, s.ldc = P, s.a_shared = 1, s.bias_mode = 1, s.relu = 1;
    out[n++] = s;
    snprintf(name, sizeof name, "%s/backward_filter", layer);
    s = shape(name, CLCNN_GEMM_NT_SUM, F, R, P, batch); /* dW = sum_z dY_z col_z^T */
    s.lda = P, s.ldb = ldp, s.ldc = R;
    out[n++] = s;
    if (first) return n; /* the input layer needs no input gradient */
    snprintf(name, sizeof name, "%s/backward_data", layer);
    s = shape(name, CLCNN_GEMM_TN, R, P, F, batch); /* dcol_z = W^T dY_z */
    s.lda = R, s.ldb = P, s.ldc = ldp, s.a_shared = 1;
    out[n++] = s;
    return n;
}

/* A dense layer over a batch, weights [units, in] (PyTorch's layout). */
static int dense_shapes(const char *layer, int in, int units, int batch, int relu,
                        bench_gemm_shape *out) {
    char name[64];
    snprintf(name, sizeof name, "%s/forward", layer);
    bench_gemm_shape s = shape(name, CLCNN_GEMM_NT_SUM, batch, units, in, 1); /* Y = X W^T */
    s.bias_mode = 2, s.relu = relu;
    out[0] = s;
    snprintf(name, sizeof name, "%s/backward_filter", layer);
    out[1] = shape(name, CLCNN_GEMM_TN, units, in, batch, 1); /* dW = dY^T X */
    snprintf(name, sizeof name, "%s/backward_data", layer);
    out[2] = shape(name, CLCNN_GEMM_NN, batch, in, units, 1); /* dX = dY W */
    return 3;
}

int bench_seed_shapes(int batch, bench_gemm_shape *out, int max) {
    if (max < 11) return 0;
    int n = conv_shapes("layers.0.conv2d", 64, 1 * 3 * 3, 26 * 26, batch, 1, out);
    n += conv_shapes("layers.1.conv2d", 64, 64 * 3 * 3, 24 * 24, batch, 0, out + n);
    n += dense_shapes("layers.3.dense", 64 * 24 * 24, 128, batch, 1, out + n);
    n += dense_shapes("layers.4.dense", 128, 10, batch, 0, out + n);
    return n;
}

int bench_tiny_shapes(bench_gemm_shape *out, int max) {
    if (max < 3) return 0;
    out[0] = shape("tiny/nn", CLCNN_GEMM_NN, 24, 40, 16, 3);
    out[0].bias_mode = 1, out[0].relu = 1;
    out[1] = shape("tiny/tn", CLCNN_GEMM_TN, 16, 40, 24, 2);
    out[2] = shape("tiny/nt_sum", CLCNN_GEMM_NT_SUM, 16, 24, 40, 3);
    return 3;
}

clcnn_status bench_parse_gemm(const char *text, bench_gemm_shape *out) {
    char kind[8] = "";
    int M, N, K, batch = 1, got = sscanf(text, "%7[a-zA-Z]:%dx%dx%dx%d", kind, &M, &N, &K, &batch);
    clcnn_gemm_kind k;
    if (strcasecmp(kind, "nn") == 0) k = CLCNN_GEMM_NN;
    else if (strcasecmp(kind, "tn") == 0) k = CLCNN_GEMM_TN;
    else if (strcasecmp(kind, "nt") == 0) k = CLCNN_GEMM_NT_SUM;
    else got = 0;
    if (got < 4 || M <= 0 || N <= 0 || K <= 0 || batch <= 0)
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT,
                          "--gemm '%s': expected KIND:MxNxK[xBATCH] with KIND nn, tn or nt", text);
    char name[64];
    snprintf(name, sizeof name, "gemm/%s", kind);
    *out = shape(name, k, M, N, K, batch);
    return CLCNN_STATUS_OK;
}

void bench_shape_string(const bench_gemm_shape *s, char *buf, size_t n) {
    snprintf(buf, n, "%s M=%d N=%d K=%d b=%d", kind_names[s->kind], s->M, s->N, s->K, s->batch);
}

clcnn_status bench_shape_parse(const char *text, clcnn_gemm_kind *kind, int *M, int *N, int *K,
                               int *batch) {
    char k[4];
    if (sscanf(text, "%3s M=%d N=%d K=%d b=%d", k, M, N, K, batch) != 5)
        return clcnn_fail(CLCNN_STATUS_PARSE_ERROR, "not a GEMM shape: '%s'", text);
    for (int i = 0; i < 3; i++)
        if (strcmp(k, kind_names[i]) == 0) {
            *kind = (clcnn_gemm_kind)i;
            return CLCNN_STATUS_OK;
        }
    return clcnn_fail(CLCNN_STATUS_PARSE_ERROR, "not a GEMM kind: '%s'", k);
}

int bench_selected_shapes(const bench_options *o, bench_gemm_shape *out, int max) {
    if (o->n_gemms) {
        int n = o->n_gemms < max ? o->n_gemms : max;
        memcpy(out, o->gemms, (size_t)n * sizeof *out);
        return n;
    }
    if (o->shapes && strcmp(o->shapes, "tiny") == 0) return bench_tiny_shapes(out, max);
    return bench_seed_shapes(o->batch, out, max);
}

/* ---- one shape on the device ----------------------------------------------------------------- */
static void fill_leading_dims(bench_gemm_shape *s) {
    int tn = s->kind == CLCNN_GEMM_TN, nt = s->kind == CLCNN_GEMM_NT_SUM;
    if (!s->lda) s->lda = tn ? s->M : s->K;
    if (!s->ldb) s->ldb = nt ? s->K : s->N;
    if (!s->ldc) s->ldc = s->N;
}

static void describe(const bench_gemm_shape *s, gemm_case *c) {
    int tn = s->kind == CLCNN_GEMM_TN, nt = s->kind == CLCNN_GEMM_NT_SUM;
    size_t a_item = (size_t)(tn ? s->K : s->M) * s->lda;
    size_t b_item = (size_t)(nt ? s->N : s->K) * s->ldb, c_item = (size_t)s->M * s->ldc;
    memset(c, 0, sizeof *c);
    clcnn_gemm_op *op = &c->op;
    op->kind = s->kind, op->M = s->M, op->N = s->N, op->K = s->K, op->batch = s->batch;
    op->lda = s->lda, op->ldb = s->ldb, op->ldc = s->ldc;
    op->a_batch = s->a_shared ? 0 : a_item;
    op->b_batch = s->b_shared ? 0 : b_item;
    op->c_batch = nt ? 0 : c_item;
    op->bias_mode = s->bias_mode, op->relu = s->relu;
    c->a_count = a_item * (s->a_shared ? 1 : (size_t)s->batch);
    c->b_count = b_item * (s->b_shared ? 1 : (size_t)s->batch);
    c->c_count = c_item * (nt ? 1 : (size_t)s->batch);
}

/* Operand bytes read and written once: A, B (once if shared), C, without padding. */
static double operand_bytes(const bench_gemm_shape *s) {
    double z = s->batch, zc = s->kind == CLCNN_GEMM_NT_SUM ? 1 : z;
    double a = (double)s->M * s->K * (s->a_shared ? 1 : z);
    double b = (double)s->K * s->N * (s->b_shared ? 1 : z);
    return 4.0 * (a + b + (double)s->M * s->N * zc);
}

static clcnn_status upload_random(clcnn_context *ctx, size_t count, uint64_t seed, cl_mem *out) {
    float *host = malloc(count * sizeof *host);
    if (!host) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
    clcnn_rng rng;
    clcnn_rng_seed(&rng, seed);
    for (size_t i = 0; i < count; i++) host[i] = (float)(2 * clcnn_rng_uniform(&rng) - 1);
    clcnn_status s = clcnn_buffer_create(ctx, count * sizeof *host, out);
    if (s == CLCNN_STATUS_OK) s = clcnn_buffer_write(ctx, *out, 0, count * sizeof *host, host);
    free(host);
    return s;
}

void bench_gemm_case_release(gemm_case *c) {
    cl_mem mems[] = {c->op.A, c->op.B, c->op.C, c->op.bias};
    for (int i = 0; i < 4; i++)
        if (mems[i]) clReleaseMemObject(mems[i]);
}

clcnn_status bench_gemm_case_setup(clcnn_context *ctx, bench_gemm_shape s, gemm_case *c) {
    fill_leading_dims(&s);
    describe(&s, c);
    clcnn_status st = upload_random(ctx, c->a_count, 1, &c->op.A);
    if (st == CLCNN_STATUS_OK) st = upload_random(ctx, c->b_count, 2, &c->op.B);
    if (st == CLCNN_STATUS_OK) st = upload_random(ctx, c->c_count, 3, &c->op.C);
    if (st == CLCNN_STATUS_OK && s.bias_mode)
        st = upload_random(ctx, (size_t)(s.M > s.N ? s.M : s.N), 4, &c->op.bias);
    if (st != CLCNN_STATUS_OK) bench_gemm_case_release(c);
    return st;
}

clcnn_status bench_gemm_case_run(clcnn_context *ctx, void *arg) {
    gemm_case *c = arg;
    return clcnn_gemm(ctx, &c->op, c->route, NULL);
}

/* The routes must agree with ours (each is tested against a reference in
 * tests/opencl/test_gemm.c; this catches a bad tuning or a device-specific miscompile on the
 * benchmarked shapes). */
static clcnn_status check_routes(clcnn_context *ctx, gemm_case *c, const char *kernel) {
    size_t n = c->c_count;
    float *own = malloc(n * sizeof *own), *other = malloc(n * sizeof *other);
    clcnn_status s = own && other ? CLCNN_STATUS_OK : clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
    if (s == CLCNN_STATUS_OK) s = clcnn_gemm(ctx, &c->op, CLCNN_ROUTE_OWN, NULL);
    if (s == CLCNN_STATUS_OK) s = clcnn_buffer_read(ctx, c->op.C, 0, n * sizeof *own, own);
    double scale = 1e-30;
    for (size_t i = 0; s == CLCNN_STATUS_OK && i < n; i++) scale = fmax(scale, fabs(own[i]));
    for (int r = CLCNN_ROUTE_CLBLAST; r < CLCNN_ROUTE_COUNT && s == CLCNN_STATUS_OK; r++) {
        s = clcnn_gemm(ctx, &c->op, (clcnn_route)r, NULL);
        if (s == CLCNN_STATUS_OK) s = clcnn_buffer_read(ctx, c->op.C, 0, n * sizeof *other, other);
        for (size_t i = 0; s == CLCNN_STATUS_OK && i < n; i++)
            if (!(fabs(own[i] - other[i]) <= 1e-4 * scale))
                s = clcnn_fail(CLCNN_STATUS_NUMERIC_ERROR,
                               "%s: routes disagree at C[%zu]: own %.7g, %s %.7g (scale %.3g)",
                               kernel, i, own[i], clcnn_route_name((clcnn_route)r), other[i],
                               scale);
    }
    free(own);
    free(other);
    return s;
}

static clcnn_status time_route(clcnn_context *ctx, const bench_options *o, gemm_case *c,
                               const bench_gemm_shape *s, bench_row *row) {
    char tag[80];
    snprintf(tag, sizeof tag, "%s/%s", s->kernel, clcnn_route_name(c->route));
    bench_timing t;
    CLCNN_TRY(bench_time(ctx, tag, bench_gemm_case_run, c, o->target_ms, &t));
    snprintf(row->route, sizeof row->route, "%s", clcnn_route_name(c->route));
    row->ms = t.ms, row->ms_min = t.ms_min, row->ms_max = t.ms_max;
    row->event_ms = t.event_ms, row->cpu_ms = t.cpu_ms, row->runs = t.runs;
    return CLCNN_STATUS_OK;
}

static clcnn_status bench_shape(clcnn_context *ctx, const bench_options *o, bench_gemm_shape s,
                                const bench_peak *peak, int has_peak, bench_report *report) {
    fill_leading_dims(&s);
    gemm_case c;
    CLCNN_TRY(bench_gemm_case_setup(ctx, s, &c));
    clcnn_status st = o->check ? check_routes(ctx, &c, s.kernel) : CLCNN_STATUS_OK;
    for (int r = CLCNN_ROUTE_OWN; r < CLCNN_ROUTE_COUNT && st == CLCNN_STATUS_OK; r++) {
        if (!(o->routes & (1 << r))) continue;
        bench_row row;
        memset(&row, 0, sizeof row);
        row.device_index = ctx->info.index;
        snprintf(row.device, sizeof row.device, "%s", ctx->info.name);
        snprintf(row.kernel, sizeof row.kernel, "%s", s.kernel);
        bench_shape_string(&s, row.shape, sizeof row.shape);
        row.batch = o->n_gemms ? s.batch : o->batch; /* --gemm shapes: no image batch */
        row.flops = clcnn_gemm_flops(&c.op);
        row.bytes = operand_bytes(&s);
        c.route = (clcnn_route)r;
        st = time_route(ctx, o, &c, &s, &row);
        if (st != CLCNN_STATUS_OK) break;
        bench_row_finish(&row, peak, has_peak);
        st = bench_report_add(report, &row);
        clcnn_log(CLCNN_LOG_INFO, "%-34s %-7s %-28s %9.3f ms %8.2f GFLOP/s", row.kernel, row.route,
                  row.shape, row.ms, row.gflops);
    }
    bench_gemm_case_release(&c);
    return st;
}

clcnn_status bench_gemms(clcnn_context *ctx, const bench_options *o, const bench_peak *peak,
                         int has_peak, bench_report *report) {
    bench_gemm_shape shapes[BENCH_MAX_GEMMS];
    int n = bench_selected_shapes(o, shapes, BENCH_MAX_GEMMS);
    for (int i = 0; i < n; i++) {
        clcnn_status s = bench_shape(ctx, o, shapes[i], peak, has_peak, report);
        if (s != CLCNN_STATUS_OK) return clcnn_fail_prefix(s, "%s: ", shapes[i].kernel);
    }
    return CLCNN_STATUS_OK;
}
