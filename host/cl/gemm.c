/* cl/gemm.c: the products of cl/gemm.h by our kernels or by CLBlast, and the measured choice
 * between them. */
#include <clblast_c.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cl/clblast_params.h"
#include "gemm.h"
#include "route.h"


static const char *const route_names[] = {"auto", "own", "clblast"};

const char *clcnn_route_name(clcnn_route r) { return route_names[r]; }

clcnn_status clcnn_route_parse(const char *text, clcnn_route *out) {
    for (int i = 0; i < 3; i++)
        if (strcmp(text, route_names[i]) == 0) {
            *out = (clcnn_route)i;
            return CLCNN_STATUS_OK;
        }
    return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "unknown route '%s' (expected auto, own or clblast)",
                      text);
}

double clcnn_gemm_flops(const clcnn_gemm_op *op) {
    return 2.0 * op->M * op->N * (double)op->K * op->batch;
}

static cl_mem bias_or_dummy(const clcnn_gemm_op *op) { return op->bias ? op->bias : op->C; }

static clcnn_status own_tile(clcnn_context *ctx, const clcnn_gemm_op *op) {
    cl_kernel k;
    CLCNN_TRY(clcnn_kernel_get(ctx, "gemm.cl", "gemm_tile8x32", &k));
    int a_trans = op->kind == CLCNN_GEMM_TN;
    cl_ulong a_off = op->a_off, a_b = op->a_batch, b_off = op->b_off, b_b = op->b_batch;
    cl_ulong c_off = op->c_off, c_b = op->c_batch;
    cl_mem bias = bias_or_dummy(op);
    cl_ulong bias_off = op->bias_off;
    clcnn_arg args[] = {
        CLCNN_ARG(op->M), CLCNN_ARG(op->N), CLCNN_ARG(op->K), CLCNN_ARG(a_trans),
        CLCNN_ARG(op->A), CLCNN_ARG(a_off), CLCNN_ARG(op->lda), CLCNN_ARG(a_b),
        CLCNN_ARG(op->B), CLCNN_ARG(b_off), CLCNN_ARG(op->ldb), CLCNN_ARG(b_b),
        CLCNN_ARG(op->C), CLCNN_ARG(c_off), CLCNN_ARG(op->ldc), CLCNN_ARG(c_b),
        CLCNN_ARG(bias), CLCNN_ARG(bias_off), CLCNN_ARG(op->bias_mode), CLCNN_ARG(op->relu),
    };
    size_t global[3] = {(size_t)(op->M + 7) / 8, (size_t)(op->N + 31) / 32, (size_t)op->batch};
    return clcnn_launch(ctx, k, 3, global, NULL, args, (int)(sizeof args / sizeof args[0]));
}

/* Scratch for grouped products, grown on first need and kept by the context. */
static clcnn_status scratch(clcnn_context *ctx, size_t floats, cl_mem *out) {
    if (ctx->scratch_floats < floats) {
        if (ctx->scratch) clReleaseMemObject(ctx->scratch);
        ctx->scratch = NULL;
        ctx->scratch_floats = 0;
        CLCNN_TRY(clcnn_buffer_create(ctx, floats * sizeof(float), &ctx->scratch));
        ctx->scratch_floats = floats;
    }
    *out = ctx->scratch;
    return CLCNN_STATUS_OK;
}

/* How many batch items one group of an NT product sums: enough that a group's operands stay
 * within a few MiB of cache. */
static int nt_per_group(const clcnn_gemm_op *op) {
    double bytes = ((double)op->M + op->N) * op->K * sizeof(float);
    int per = (int)(6.0 * 1048576.0 / (bytes > 1 ? bytes : 1));
    return per < 1 ? 1 : (per > op->batch ? op->batch : per);
}

static clcnn_status own_nt(clcnn_context *ctx, const clcnn_gemm_op *op) {
    cl_kernel k;
    CLCNN_TRY(clcnn_kernel_get(ctx, "gemm.cl", "gemm_nt4x4", &k));
    int per = nt_per_group(op), groups = (op->batch + per - 1) / per;
    cl_mem out = op->C, bias = bias_or_dummy(op);
    cl_ulong a_off = op->a_off, a_b = op->a_batch, b_off = op->b_off, b_b = op->b_batch;
    cl_ulong c_off = op->c_off, c_group = 0, bias_off = op->bias_off;
    int ldc = op->ldc, bias_mode = op->bias_mode, relu = op->relu;
    if (groups > 1) {
        CLCNN_TRY(scratch(ctx, (size_t)groups * op->M * op->N, &out));
        c_off = 0, c_group = (cl_ulong)op->M * op->N, ldc = op->N, bias_mode = 0, relu = 0;
    }
    clcnn_arg args[] = {
        CLCNN_ARG(op->M), CLCNN_ARG(op->N), CLCNN_ARG(op->K), CLCNN_ARG(op->batch),
        CLCNN_ARG(per), CLCNN_ARG(c_group),
        CLCNN_ARG(op->A), CLCNN_ARG(a_off), CLCNN_ARG(op->lda), CLCNN_ARG(a_b),
        CLCNN_ARG(op->B), CLCNN_ARG(b_off), CLCNN_ARG(op->ldb), CLCNN_ARG(b_b),
        CLCNN_ARG(out), CLCNN_ARG(c_off), CLCNN_ARG(ldc),
        CLCNN_ARG(bias), CLCNN_ARG(bias_off), CLCNN_ARG(bias_mode), CLCNN_ARG(relu),
    };
    size_t global[3] = {(size_t)(op->M + 3) / 4, (size_t)(op->N + 3) / 4, (size_t)groups};
    CLCNN_TRY(clcnn_launch(ctx, k, 3, global, NULL, args, (int)(sizeof args / sizeof args[0])));
    if (groups == 1) return CLCNN_STATUS_OK;
    CLCNN_TRY(clcnn_kernel_get(ctx, "gemm.cl", "gemm_sum_groups", &k));
    c_off = op->c_off;
    clcnn_arg sum_args[] = {CLCNN_ARG(op->M), CLCNN_ARG(op->N), CLCNN_ARG(groups), CLCNN_ARG(out),
                            CLCNN_ARG(op->C), CLCNN_ARG(c_off), CLCNN_ARG(op->ldc),
                            CLCNN_ARG(bias), CLCNN_ARG(bias_off), CLCNN_ARG(op->bias_mode),
                            CLCNN_ARG(op->relu)};
    size_t sum_global[2] = {(size_t)op->N, (size_t)op->M};
    return clcnn_launch(ctx, k, 2, sum_global, NULL, sum_args, 11);
}

static clcnn_status clblast_check(CLBlastStatusCode code, const char *what) {
    if (code == CLBlastSuccess) return CLCNN_STATUS_OK;
    return clcnn_fail(code == CLBlastOpenCLOutOfResources || code == CLBlastOpenCLOutOfHostMemory ? CLCNN_STATUS_OUT_OF_MEMORY : CLCNN_STATUS_OPENCL_ERROR,
                      "CLBlast %s failed with status %d", what, (int)code);
}

/* Bias and ReLU after a CLBlast product (our kernels fuse them). */
static clcnn_status epilogue(clcnn_context *ctx, const clcnn_gemm_op *op) {
    if (!op->bias_mode && !op->relu) return CLCNN_STATUS_OK;
    cl_kernel k;
    CLCNN_TRY(clcnn_kernel_get(ctx, "elementwise.cl", "bias_act_rows", &k));
    int batch = op->kind == CLCNN_GEMM_NT_SUM ? 1 : op->batch;
    cl_ulong c_off = op->c_off, c_b = op->c_batch;
    cl_mem bias = bias_or_dummy(op);
    cl_ulong bias_off = op->bias_off;
    clcnn_arg args[] = {CLCNN_ARG(op->M), CLCNN_ARG(op->N), CLCNN_ARG(op->C), CLCNN_ARG(c_off),
                        CLCNN_ARG(op->ldc), CLCNN_ARG(c_b), CLCNN_ARG(bias), CLCNN_ARG(bias_off),
                        CLCNN_ARG(op->bias_mode), CLCNN_ARG(op->relu)};
    size_t global[3] = {(size_t)op->N, (size_t)op->M, (size_t)batch};
    return clcnn_launch(ctx, k, 3, global, NULL, args, 10);
}

static clcnn_status clblast_ready(clcnn_context *ctx) {
    if (ctx->clblast_ready) return CLCNN_STATUS_OK;
    ctx->clblast_ready = 1;
    return clcnn_clblast_apply_tuned(ctx);
}

static clcnn_status clblast_run(clcnn_context *ctx, const clcnn_gemm_op *op) {
    CLCNN_TRY(clblast_ready(ctx));
    CLBlastStatusCode st;
    if (op->kind == CLCNN_GEMM_NT_SUM) {
        for (int z = 0; z < op->batch; z++) {
            st = CLBlastSgemm(CLBlastLayoutRowMajor, CLBlastTransposeNo, CLBlastTransposeYes,
                              (size_t)op->M, (size_t)op->N, (size_t)op->K, 1.0f, op->A,
                              op->a_off + z * op->a_batch, (size_t)op->lda, op->B,
                              op->b_off + z * op->b_batch, (size_t)op->ldb, z ? 1.0f : 0.0f, op->C,
                              op->c_off, (size_t)op->ldc, &ctx->queue,
                              clcnn_profile_event(ctx, "clblast_sgemm"));
            CLCNN_TRY(clblast_check(st, "SGEMM"));
        }
    } else if (op->batch == 1) {
        CLBlastTranspose ta = op->kind == CLCNN_GEMM_TN ? CLBlastTransposeYes : CLBlastTransposeNo;
        st = CLBlastSgemm(CLBlastLayoutRowMajor, ta, CLBlastTransposeNo, (size_t)op->M,
                          (size_t)op->N, (size_t)op->K, 1.0f, op->A, op->a_off, (size_t)op->lda,
                          op->B, op->b_off, (size_t)op->ldb, 0.0f, op->C, op->c_off,
                          (size_t)op->ldc, &ctx->queue, clcnn_profile_event(ctx, "clblast_sgemm"));
        CLCNN_TRY(clblast_check(st, "SGEMM"));
    } else {
        CLBlastTranspose ta = op->kind == CLCNN_GEMM_TN ? CLBlastTransposeYes : CLBlastTransposeNo;
        st = CLBlastSgemmStridedBatched(CLBlastLayoutRowMajor, ta, CLBlastTransposeNo,
                                        (size_t)op->M, (size_t)op->N, (size_t)op->K, 1.0f, op->A,
                                        op->a_off, (size_t)op->lda, op->a_batch, op->B, op->b_off,
                                        (size_t)op->ldb, op->b_batch, 0.0f, op->C, op->c_off,
                                        (size_t)op->ldc, op->c_batch, (size_t)op->batch,
                                        &ctx->queue, clcnn_profile_event(ctx, "clblast_sgemm_batched"));
        CLCNN_TRY(clblast_check(st, "SGEMM (strided batched)"));
    }
    return epilogue(ctx, op);
}

static clcnn_status run_route(clcnn_context *ctx, const clcnn_gemm_op *op, clcnn_route r) {
    if (r == CLCNN_ROUTE_CLBLAST) return clblast_run(ctx, op);
    return op->kind == CLCNN_GEMM_NT_SUM ? own_nt(ctx, op) : own_tile(ctx, op);
}

/* Median of three timed runs after a warm-up; the warm-up also pays any compile. */
static clcnn_status time_route(clcnn_context *ctx, const clcnn_gemm_op *op, clcnn_route r,
                               double *seconds) {
    CLCNN_TRY(run_route(ctx, op, r));
    CLCNN_TRY(clcnn_context_finish(ctx));
    double t[3];
    for (int i = 0; i < 3; i++) {
        double t0 = clcnn_now();
        CLCNN_TRY(run_route(ctx, op, r));
        CLCNN_TRY(clcnn_context_finish(ctx));
        t[i] = clcnn_now() - t0;
    }
    double lo = fmin(t[0], fmin(t[1], t[2])), hi = fmax(t[0], fmax(t[1], t[2]));
    *seconds = t[0] + t[1] + t[2] - lo - hi;
    return CLCNN_STATUS_OK;
}

static clcnn_route env_route(void) {
    const char *e = getenv("CLCNN_ROUTE");
    clcnn_route r = CLCNN_ROUTE_AUTO;
    if (e && *e && clcnn_route_parse(e, &r) != CLCNN_STATUS_OK) r = CLCNN_ROUTE_AUTO;
    return r;
}

static clcnn_status choose(clcnn_context *ctx, const clcnn_gemm_op *op, clcnn_route *out) {
    static const char kinds[] = {'t', 'n', 's'};
    char key[96];
    if (op->route_key)
        snprintf(key, sizeof key, "%s", op->route_key);
    else
        snprintf(key, sizeof key, "gemm-%c-%d-%d-%d-%d-%d%d", kinds[op->kind], op->M, op->N, op->K,
                 op->batch, op->bias_mode, op->relu);
    int cached = clcnn_route_lookup(ctx, key);
    if (cached) {
        *out = (clcnn_route)cached;
        return CLCNN_STATUS_OK;
    }
    double t_own, t_blas;
    CLCNN_TRY(time_route(ctx, op, CLCNN_ROUTE_OWN, &t_own));
    clcnn_status s = time_route(ctx, op, CLCNN_ROUTE_CLBLAST, &t_blas);
    if (s != CLCNN_STATUS_OK) {
        clcnn_log(CLCNN_LOG_WARN, "CLBlast failed on %s (%s); using clcnn's kernels", key,
                  clcnn_last_error());
        t_blas = INFINITY;
    }
    *out = t_blas < t_own ? CLCNN_ROUTE_CLBLAST : CLCNN_ROUTE_OWN;
    clcnn_log(CLCNN_LOG_DEBUG, "route %s: own %.3f ms, clblast %.3f ms -> %s", key, t_own * 1e3,
              t_blas * 1e3, clcnn_route_name(*out));
    return clcnn_route_store(ctx, key, *out);
}

clcnn_status clcnn_gemm(clcnn_context *ctx, const clcnn_gemm_op *op, clcnn_route route,
                        clcnn_route *used) {
    if (op->M <= 0 || op->N <= 0 || op->K <= 0 || op->batch <= 0)
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "GEMM with an empty dimension (%d x %d x %d, batch %d)",
                          op->M, op->N, op->K, op->batch);
    if (route == CLCNN_ROUTE_AUTO) route = env_route();
    if (route == CLCNN_ROUTE_AUTO) CLCNN_TRY(choose(ctx, op, &route));
    if (used) *used = route;
    return run_route(ctx, op, route);
}

clcnn_status clcnn_clblast_warm_up(clcnn_context *ctx) {
    cl_mem a, c;
    CLCNN_TRY(clcnn_buffer_create(ctx, 64 * 64 * sizeof(float), &a));
    clcnn_status s = clcnn_buffer_create(ctx, 64 * 64 * sizeof(float), &c);
    clcnn_gemm_op op = {.kind = CLCNN_GEMM_NN, .M = 64, .N = 64, .K = 64, .batch = 1, .A = a,
                        .lda = 64, .B = a, .ldb = 64, .C = c, .ldc = 64};
    if (s == CLCNN_STATUS_OK) s = clcnn_buffer_fill_zero(ctx, a, 0, 64 * 64 * sizeof(float));
    if (s == CLCNN_STATUS_OK) s = clblast_run(ctx, &op);
    if (s == CLCNN_STATUS_OK) s = clcnn_context_finish(ctx);
    clReleaseMemObject(a);
    if (c) clReleaseMemObject(c);
    return s;
}
