/* cl/gemm.c: the products of cl/gemm.h by our kernels or by CLBlast, and the measured choice
 * between them. */
#include <clblast_c.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cl/clblast_params.h"
#include "gemm.h"
#include "kparams.h"
#include "route.h"

double clcnn_gemm_flops(const clcnn_gemm_op *op) {
    return 2.0 * op->M * op->N * (double)op->K * op->batch;
}

static cl_mem bias_or_dummy(const clcnn_gemm_op *op) { return op->bias ? op->bias : op->C; }

/* One of gemm.cl's kernels built with this device's tiles (fixed at open, cl/kparams.c);
 * *tile_m, *tile_n receive the work-item's tile (output rows x columns). */
static clcnn_status own_kernel(clcnn_context *ctx, const char *name, cl_kernel *k, int *tile_m,
                               int *tile_n) {
    const clcnn_gemm_own *o = &ctx->own_gemm;
    const int *t = strcmp(name, "gemm_nt") == 0 ? o->nt_tile : o->tile;
    *tile_m = t[0];
    *tile_n = t[1];
    return clcnn_kernel_get_variant(ctx, "gemm.cl", name, o->options, k);
}

/* Launches one of gemm.cl's kernels. On a CPU, work-groups of one tile (clcnn_launch_cpu_local):
 * PoCL compiles a kernel again for every local size it meets, and a large one costs more:
 * gemm_tile's work-group function for 16 x 16 took 2.1 s to compile against 1.5 s for 1 x 1 (CPU
 * s, PoCL 3.1, loaded machine), gemm_nt's 1.2 and 1.0 s for 16 x 16 and 4 x 4 against 0.6 s;
 * sizes that followed each product's shape once cost 20-odd compiles per product kernel over a
 * search's trials (issue 12). A tile is a work-item's whole register block, so a group of one
 * loses nothing measurable (the seed model's steps at batch 32 and 128 within the rounds' spread
 * of 16 x 16 groups). Elsewhere at least OWN_GROUPS_PER_UNIT work-groups per compute unit: the
 * launch's usual local size (up to 256 work-items) made dense 1's forward product (256 tiles at
 * batch 32) one group, one compute unit; the local size shrinks along its larger dimension
 * until there are enough groups. */
#define OWN_GROUPS_PER_UNIT 8
static clcnn_status own_launch(clcnn_context *ctx, cl_kernel k, const size_t *global,
                               const clcnn_arg *args, int n_args) {
    static const size_t one_tile[3] = {1, 1, 1};
    if (clcnn_is_cpu(ctx))
        return clcnn_launch_cpu_local(ctx, k, 3, global, one_tile, args, n_args);
    size_t local[3], rounded[3];
    size_t want = OWN_GROUPS_PER_UNIT * (size_t)(ctx->info.compute_units ? ctx->info.compute_units : 1);
    clcnn_local_size(ctx, k, 3, global, local);
    for (;;) {
        size_t groups = 1;
        for (int d = 0; d < 3; d++) groups *= (global[d] + local[d] - 1) / local[d];
        int d = local[0] >= local[1] ? 0 : 1;
        if (groups >= want || local[d] == 1) break;
        local[d] = (local[d] + 1) / 2;
    }
    for (int d = 0; d < 3; d++) rounded[d] = clcnn_round_up(global[d], local[d]);
    return clcnn_launch(ctx, k, 3, rounded, local, args, n_args);
}

/* Outputs of more floats than this are stored past the caches on CPUs (gemm.cl's stream): twice
 * the L2 of two AVX-512 cores. Dense 1's weight gradient (18.9 MB) and data gradient (4.7 MB) in
 * the seed's step: 5.1 -> 3.2 ms together at batch 32 on PoCL 3.1 on AVX-512 (-0.03 ms for the
 * kernel reading the data gradient next); the weight gradient alone 3.8. Not the products with a
 * bias or ReLU: a forward pass's, which the next layer reads at once (with CLCNN_CONV=im2col the
 * seed's conv 2 forward took 10-15% longer, streamed or not, once its backward products were
 * streamed; the step as a whole was no slower). */
#define OWN_STREAM_FLOATS (1u << 20)

static clcnn_status own_tile(clcnn_context *ctx, const clcnn_gemm_op *op) {
    cl_kernel k;
    int tm, tn;
    CLCNN_TRY(own_kernel(ctx, "gemm_tile", &k, &tm, &tn));
    int a_trans = op->kind == CLCNN_GEMM_TN;
    int stream = clcnn_is_cpu(ctx) && !op->bias_mode &&
                 !op->relu && (double)op->M * op->N * op->batch > OWN_STREAM_FLOATS;
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
        CLCNN_ARG(stream),
    };
    size_t global[3] = {(size_t)(op->M + tm - 1) / tm, (size_t)(op->N + tn - 1) / tn,
                        (size_t)op->batch};
    return own_launch(ctx, k, global, args, (int)(sizeof args / sizeof args[0]));
}

/* Scratch for grouped products, grown on first need and kept by the context. */
static clcnn_status scratch(clcnn_context *ctx, size_t floats, cl_mem *out) {
    *out = NULL;
    if (ctx->scratch_floats < floats) {
        if (ctx->scratch) clReleaseMemObject(ctx->scratch);
        ctx->scratch = NULL;
        ctx->scratch_floats = 0;
        clcnn_status s = clcnn_buffer_create(ctx, floats * sizeof(float), &ctx->scratch);
        if (s != CLCNN_STATUS_OK) return clcnn_fail_prefix(s, "the scratch of grouped products: ");
        ctx->scratch_floats = floats;
    }
    *out = ctx->scratch;
    return CLCNN_STATUS_OK;
}

/* How an NT product is cut into pieces (a batch item's K range of kc) and pieces into groups:
 * a piece's rows of A and B (M + N rows of kc floats) stay within the cache budget (2 MiB, the
 * L2 of two cores; CLCNN_GEMM_NT_CACHE bytes overrides, read at open), so the tiles that read them after one
 * another find them in cache, and a group sums as many pieces as fit there. A long K (dense
 * layers: 36864) is cut; each group's partial product is summed after. */
typedef struct nt_plan {
    int kc, chunks, pieces, per_group, groups;
} nt_plan;

static nt_plan nt_plan_for(const clcnn_context *ctx, const clcnn_gemm_op *op) {
    double cache = ctx->own_gemm.nt_cache;
    nt_plan p;
    double row_bytes = ((double)op->M + op->N) * sizeof(float);
    p.kc = op->K;
    if (row_bytes * op->K > cache) {
        int kc = (int)(cache / row_bytes) & ~15;
        p.kc = kc < 16 ? 16 : kc;
    }
    p.chunks = (op->K + p.kc - 1) / p.kc;
    p.pieces = p.chunks * op->batch;
    int per = (int)(cache / (row_bytes * p.kc));
    p.per_group = per < 1 ? 1 : (per > p.pieces ? p.pieces : per);
    p.groups = (p.pieces + p.per_group - 1) / p.per_group;
    return p;
}

/* One local size on CPUs whatever the product (cl.h, clcnn_launch_cpu_local): dimension 0 runs
 * along neighbouring partial sums. */
static const size_t sum_groups_cpu_local[2] = {64, 1};

clcnn_status clcnn_gemm_sum_groups(clcnn_context *ctx, const clcnn_gemm_op *op, int groups,
                                   int p_trans, cl_mem P) {
    cl_kernel k;
    /* From the tiles' build of gemm.cl (the sums do not read its options): one program, one
     * PoCL build fewer on a cold start. */
    CLCNN_TRY(clcnn_kernel_get_variant(ctx, "gemm.cl", p_trans ? "gemm_sum_groups_t" : "gemm_sum_groups",
                                       ctx->own_gemm.options, &k));
    cl_ulong c_off = op->c_off, bias_off = op->bias_off;
    cl_mem bias = bias_or_dummy(op);
    clcnn_arg args[] = {CLCNN_ARG(op->M), CLCNN_ARG(op->N), CLCNN_ARG(groups), CLCNN_ARG(P),
                        CLCNN_ARG(op->C), CLCNN_ARG(c_off), CLCNN_ARG(op->ldc),
                        CLCNN_ARG(bias), CLCNN_ARG(bias_off), CLCNN_ARG(op->bias_mode),
                        CLCNN_ARG(op->relu)};
    size_t global[2] = {(size_t)(p_trans ? op->M : op->N), (size_t)(p_trans ? op->N : op->M)};
    return clcnn_launch_cpu_local(ctx, k, 2, global, sum_groups_cpu_local, args, 11);
}

static clcnn_status own_nt(clcnn_context *ctx, const clcnn_gemm_op *op) {
    cl_kernel k;
    int tm, tn;
    CLCNN_TRY(own_kernel(ctx, "gemm_nt", &k, &tm, &tn));
    nt_plan p = nt_plan_for(ctx, op);
    cl_mem out = op->C, bias = bias_or_dummy(op);
    cl_ulong a_off = op->a_off, a_b = op->a_batch, b_off = op->b_off, b_b = op->b_batch;
    cl_ulong c_off = op->c_off, c_group = 0, bias_off = op->bias_off;
    int ldc = op->ldc, bias_mode = op->bias_mode, relu = op->relu;
    if (p.groups > 1) {
        CLCNN_TRY(scratch(ctx, (size_t)p.groups * op->M * op->N, &out));
        c_off = 0, c_group = (cl_ulong)op->M * op->N, ldc = op->N, bias_mode = 0, relu = 0;
    }
    clcnn_arg args[] = {
        CLCNN_ARG(op->M), CLCNN_ARG(op->N), CLCNN_ARG(op->K), CLCNN_ARG(p.kc),
        CLCNN_ARG(p.chunks), CLCNN_ARG(p.pieces), CLCNN_ARG(p.per_group), CLCNN_ARG(c_group),
        CLCNN_ARG(op->A), CLCNN_ARG(a_off), CLCNN_ARG(op->lda), CLCNN_ARG(a_b),
        CLCNN_ARG(op->B), CLCNN_ARG(b_off), CLCNN_ARG(op->ldb), CLCNN_ARG(b_b),
        CLCNN_ARG(out), CLCNN_ARG(c_off), CLCNN_ARG(ldc),
        CLCNN_ARG(bias), CLCNN_ARG(bias_off), CLCNN_ARG(bias_mode), CLCNN_ARG(relu),
    };
    size_t global[3] = {(size_t)(op->M + tm - 1) / tm, (size_t)(op->N + tn - 1) / tn,
                        (size_t)p.groups};
    CLCNN_TRY(own_launch(ctx, k, global, args, (int)(sizeof args / sizeof args[0])));
    if (p.groups == 1) return CLCNN_STATUS_OK;
    return clcnn_gemm_sum_groups(ctx, op, p.groups, 0, out);
}

/* The packed NT product (gemm.cl's gemm_nt_packed): pieces of at most panel floats / panel width
 * along K (a 16 KiB panel; 32 on AVX-512, cl/kparams.c), a multiple of 8, as even as K allows; the pieces are shared out
 * among 16 work-items (8 per core on two cores), whose partial products are summed
 * after (with bias and ReLU) unless there is one and nothing to add. With M < N the product
 * runs as C^T = B A^T: the smaller operand is the one packed, once per piece, and the larger
 * one's rows make the row tiles (dense 1's forward pass: 22 tiles of 128 weights per panel of
 * 16 images at batch 32, not 6 tiles of 36 rows for 8 panels of weights); the partial sums are
 * then C^T's, read transposed by the sum. A product whose batch item's rows (M + N of K floats)
 * overflow the cache budget streams them from memory and takes the build with the longer panel
 * (cl/kparams.c): longer runs along each row. */
static clcnn_status own_nt_packed(clcnn_context *ctx, const clcnn_gemm_op *op) {
    const clcnn_gemm_own *o = &ctx->own_gemm;
    int streamed = ((double)op->M + op->N) * op->K * sizeof(float) > o->nt_cache;
    cl_kernel k;
    int tw = o->pk_tile[1], panel = streamed ? o->pk_streamed : o->pk_tile[2];
    CLCNN_TRY(clcnn_kernel_get_variant(ctx, "gemm.cl", "gemm_nt_packed",
                                       streamed ? o->options_streamed : o->options, &k));
    int swap = op->M < op->N;
    int M = swap ? op->N : op->M, N = swap ? op->M : op->N;
    cl_mem A = swap ? op->B : op->A, B = swap ? op->A : op->B;
    cl_ulong a_off = swap ? op->b_off : op->a_off, a_b = swap ? op->b_batch : op->a_batch;
    cl_ulong b_off = swap ? op->a_off : op->b_off, b_b = swap ? op->a_batch : op->b_batch;
    int lda = swap ? op->ldb : op->lda, ldb = swap ? op->lda : op->ldb;
    int kmax = (panel / tw) & ~7;
    int chunks = (op->K + kmax - 1) / kmax;
    int kc = ((op->K + chunks - 1) / chunks + 7) & ~7;
    int pieces = chunks * op->batch;
    /* A fixed count, not one per compute unit: the sums' order must not depend on how many
     * cores a process sees (data-parallel ranks are bit-identical to one process). */
    int want = 16;
    int per_group = (pieces + want - 1) / want;
    int groups = (pieces + per_group - 1) / per_group;
    int direct = groups == 1 && !op->bias_mode && !op->relu && !swap;
    cl_mem out = op->C;
    cl_ulong c_off = op->c_off, c_group = 0;
    int ldc = op->ldc;
    if (!direct) {
        CLCNN_TRY(scratch(ctx, (size_t)groups * M * N, &out));
        c_off = 0, c_group = (cl_ulong)M * N, ldc = N;
    }
    clcnn_arg args[] = {
        CLCNN_ARG(M), CLCNN_ARG(N), CLCNN_ARG(op->K), CLCNN_ARG(kc),
        CLCNN_ARG(chunks), CLCNN_ARG(pieces), CLCNN_ARG(per_group), CLCNN_ARG(groups),
        CLCNN_ARG(c_group),
        CLCNN_ARG(A), CLCNN_ARG(a_off), CLCNN_ARG(lda), CLCNN_ARG(a_b),
        CLCNN_ARG(B), CLCNN_ARG(b_off), CLCNN_ARG(ldb), CLCNN_ARG(b_b),
        CLCNN_ARG(out), CLCNN_ARG(c_off), CLCNN_ARG(ldc),
    };
    size_t global[3] = {(size_t)groups, 1, 1};
    CLCNN_TRY(own_launch(ctx, k, global, args, (int)(sizeof args / sizeof args[0])));
    return direct ? CLCNN_STATUS_OK : clcnn_gemm_sum_groups(ctx, op, groups, swap, out);
}

clcnn_status clcnn_gemm_tiled(clcnn_context *ctx, const clcnn_gemm_op *op,
                              const clcnn_gemm_tile *t) {
    char options[160];
    clcnn_gemm_tiled_options(t, op->kind, options, sizeof options);
    cl_kernel k;
    CLCNN_TRY(clcnn_kernel_get_variant(ctx, "gemm_tiled.cl", "gemm_tiled", options, &k));
    cl_ulong a_off = op->a_off, a_b = op->a_batch, b_off = op->b_off, b_b = op->b_batch;
    cl_ulong c_off = op->c_off, c_b = op->c_batch, bias_off = op->bias_off;
    cl_mem bias = bias_or_dummy(op);
    clcnn_arg args[] = {
        CLCNN_ARG(op->M), CLCNN_ARG(op->N), CLCNN_ARG(op->K), CLCNN_ARG(op->batch),
        CLCNN_ARG(op->A), CLCNN_ARG(a_off), CLCNN_ARG(op->lda), CLCNN_ARG(a_b),
        CLCNN_ARG(op->B), CLCNN_ARG(b_off), CLCNN_ARG(op->ldb), CLCNN_ARG(b_b),
        CLCNN_ARG(op->C), CLCNN_ARG(c_off), CLCNN_ARG(op->ldc), CLCNN_ARG(c_b),
        CLCNN_ARG(bias), CLCNN_ARG(bias_off), CLCNN_ARG(op->bias_mode), CLCNN_ARG(op->relu),
    };
    size_t local[3] = {(size_t)(t->ts_n / t->wpt_n), (size_t)(t->ts_m / t->wpt_m), 1};
    size_t global[3] = {(size_t)(op->N + t->ts_n - 1) / t->ts_n * local[0],
                        (size_t)(op->M + t->ts_m - 1) / t->ts_m * local[1],
                        op->kind == CLCNN_GEMM_NT_SUM ? 1 : (size_t)op->batch};
    return clcnn_launch(ctx, k, 3, global, local, args, (int)(sizeof args / sizeof args[0]));
}

static clcnn_status tiled_run(clcnn_context *ctx, const clcnn_gemm_op *op) {
    clcnn_gemm_tile t;
    CLCNN_TRY(clcnn_gemm_tile_for(ctx, &t));
    return clcnn_gemm_tiled(ctx, op, &t);
}

static clcnn_status own_run(clcnn_context *ctx, const clcnn_gemm_op *op) {
    if (op->kind != CLCNN_GEMM_NT_SUM) return own_tile(ctx, op);
    int packed = ctx->own_gemm.nt_packed;
    if (packed == 2) packed = (op->M < op->N ? op->M : op->N) >= ctx->own_gemm.pk_tile[1];
    return packed ? own_nt_packed(ctx, op) : own_nt(ctx, op);
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
    if (op->kind == CLCNN_GEMM_NT_SUM && op->batch > 1) {
        /* One batched product of the per-item terms, then one sum (with bias and ReLU), instead
         * of a product per item. */
        cl_mem partial;
        size_t mn = (size_t)op->M * op->N;
        CLCNN_TRY(scratch(ctx, (size_t)op->batch * mn, &partial));
        st = CLBlastSgemmStridedBatched(CLBlastLayoutRowMajor, CLBlastTransposeNo,
                                        CLBlastTransposeYes, (size_t)op->M, (size_t)op->N,
                                        (size_t)op->K, 1.0f, op->A, op->a_off, (size_t)op->lda,
                                        op->a_batch, op->B, op->b_off, (size_t)op->ldb,
                                        op->b_batch, 0.0f, partial, 0, (size_t)op->N, mn,
                                        (size_t)op->batch, &ctx->queue,
                                        clcnn_profile_event(ctx, "clblast_sgemm_batched"));
        CLCNN_TRY(clblast_check(st, "SGEMM (strided batched)"));
        return clcnn_gemm_sum_groups(ctx, op, op->batch, 0, partial);
    } else if (op->kind == CLCNN_GEMM_NT_SUM) {
        st = CLBlastSgemm(CLBlastLayoutRowMajor, CLBlastTransposeNo, CLBlastTransposeYes,
                          (size_t)op->M, (size_t)op->N, (size_t)op->K, 1.0f, op->A, op->a_off,
                          (size_t)op->lda, op->B, op->b_off, (size_t)op->ldb, 0.0f, op->C,
                          op->c_off, (size_t)op->ldc, &ctx->queue,
                          clcnn_profile_event(ctx, "clblast_sgemm"));
        CLCNN_TRY(clblast_check(st, "SGEMM"));
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

/* The routes, one row each: a new path is one more row. classes: the device classes whose AUTO
 * choice races it (a bit per clcnn_device_class); a route outside them still runs when forced.
 * CPUs race only their own kernels: on PoCL CLBlast ran 3-10x slower on every product of the seed
 * model (bench/RESULTS.md) and its first use compiles for 12-34 s, so racing it there only delays
 * the first step; the tiled kernels are shaped for GPUs. */
#define CLASS_BIT(c) (1u << (c))
#define ALL_CLASSES (CLASS_BIT(CLCNN_N_CLASSES) - 1)
#define GPU_CLASSES (ALL_CLASSES & ~CLASS_BIT(CLCNN_CLASS_CPU))
static const struct route_row {
    clcnn_route route;
    unsigned classes;
    clcnn_status (*run)(clcnn_context *ctx, const clcnn_gemm_op *op);
} route_rows[] = {
    {CLCNN_ROUTE_OWN, ALL_CLASSES, own_run},
    {CLCNN_ROUTE_CLBLAST, GPU_CLASSES, clblast_run},
    {CLCNN_ROUTE_TILED, GPU_CLASSES, tiled_run},
};
#define N_ROWS ((int)(sizeof route_rows / sizeof route_rows[0]))

static clcnn_status run_route(clcnn_context *ctx, const clcnn_gemm_op *op, clcnn_route r) {
    for (int i = 0; i < N_ROWS; i++)
        if (route_rows[i].route == r) return route_rows[i].run(ctx, op);
    return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "no GEMM route %d", (int)r);
}

/* Median of five timed runs after a warm-up; the warm-up also pays any compile. */
#define ROUTE_TIMED_RUNS 5
static clcnn_status time_route(clcnn_context *ctx, const clcnn_gemm_op *op, clcnn_route r,
                               double *seconds) {
    CLCNN_TRY(run_route(ctx, op, r));
    CLCNN_TRY(clcnn_context_finish(ctx));
    double t[ROUTE_TIMED_RUNS];
    for (int i = 0; i < ROUTE_TIMED_RUNS; i++) {
        double t0 = clcnn_now();
        CLCNN_TRY(run_route(ctx, op, r));
        CLCNN_TRY(clcnn_context_finish(ctx));
        t[i] = clcnn_now() - t0;
    }
    *seconds = clcnn_route_median(t, ROUTE_TIMED_RUNS);
    return CLCNN_STATUS_OK;
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
    /* Our own kernels are the default and the fallback: their failure is an error, any other
     * route's a warning. Another route replaces them only when clearly faster (route.h). */
    unsigned bit = CLASS_BIT(clcnn_device_class_of(&ctx->info));
    double t[N_ROWS];
    int def = 0, racing = 0, races[N_ROWS];
    char timings[256] = "";
    for (int i = 0; i < N_ROWS; i++) {
        t[i] = INFINITY;
        if (route_rows[i].route == CLCNN_ROUTE_OWN) def = i;
        /* A tile tune-kernels measured on this device joins the race on any class. */
        races[i] = (route_rows[i].classes & bit) ||
                   (route_rows[i].route == CLCNN_ROUTE_TILED && ctx->tuned.has_tile);
        racing += races[i];
    }
    /* A class that races one route has nothing to measure: the first step starts at once. */
    for (int i = 0; racing > 1 && i < N_ROWS; i++) {
        const struct route_row *row = &route_rows[i];
        if (!races[i]) continue;
        clcnn_status s = time_route(ctx, op, row->route, &t[i]);
        if (s != CLCNN_STATUS_OK && row->route == CLCNN_ROUTE_OWN) return s;
        if (s != CLCNN_STATUS_OK) {
            clcnn_log(CLCNN_LOG_WARN, "route %s failed on %s (%s); not used",
                      clcnn_route_name(row->route), key, clcnn_last_error());
            t[i] = INFINITY;
            continue;
        }
        size_t len = strlen(timings);
        snprintf(timings + len, sizeof timings - len, " %s %.3f ms", clcnn_route_name(row->route),
                 t[i] * 1e3);
    }
    *out = route_rows[clcnn_route_pick(t, N_ROWS, def)].route;
    clcnn_log(CLCNN_LOG_DEBUG, "route %s:%s -> %s", key, timings, clcnn_route_name(*out));
    return clcnn_route_store(ctx, key, *out);
}

/* AUTO's choice is kept per product in the context, so that a product run every step neither
 * formats its route key nor searches the route table again: the table's entry for a key is
 * never replaced, so the memo gives what the table would. A full memo only stops remembering. */
static void memo_shape(const clcnn_gemm_op *op, int shape[7]) {
    int s[7] = {(int)op->kind, op->M, op->N, op->K, op->batch, op->bias_mode, op->relu};
    memcpy(shape, s, sizeof s);
}

static clcnn_route memo_find(const clcnn_context *ctx, const clcnn_gemm_op *op) {
    int shape[7];
    memo_shape(op, shape);
    const char *key = op->route_key ? op->route_key : "";
    for (int i = 0; i < ctx->n_gemm_memo; i++) {
        const clcnn_gemm_memo *m = &ctx->gemm_memo[i];
        if (memcmp(m->shape, shape, sizeof shape) == 0 && strcmp(m->key, key) == 0)
            return (clcnn_route)m->route;
    }
    return CLCNN_ROUTE_AUTO;
}

static void memo_add(clcnn_context *ctx, const clcnn_gemm_op *op, clcnn_route route) {
    const char *key = op->route_key ? op->route_key : "";
    if (ctx->n_gemm_memo == CLCNN_GEMM_MEMO || strlen(key) >= sizeof ctx->gemm_memo[0].key) return;
    clcnn_gemm_memo *m = &ctx->gemm_memo[ctx->n_gemm_memo++];
    memo_shape(op, m->shape);
    memcpy(m->key, key, strlen(key) + 1);
    m->route = (int)route;
}

clcnn_status clcnn_gemm(clcnn_context *ctx, const clcnn_gemm_op *op, clcnn_route route,
                        clcnn_route *used) {
    if (op->M <= 0 || op->N <= 0 || op->K <= 0 || op->batch <= 0)
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "GEMM with an empty dimension (%d x %d x %d, batch %d)",
                          op->M, op->N, op->K, op->batch);
    if (route == CLCNN_ROUTE_AUTO) route = ctx->conv.gemm_route; /* CLCNN_ROUTE, read at open */
    if (route == CLCNN_ROUTE_AUTO) route = memo_find(ctx, op);
    if (route == CLCNN_ROUTE_AUTO) {
        CLCNN_TRY(choose(ctx, op, &route));
        memo_add(ctx, op, route);
    }
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
