/* cl/gemm.h: the matrix products the layers are made of, each runnable by several routes:
 * clcnn's own kernels for CPU-class devices (kernels/gemm.cl), local-memory tiled kernels for
 * GPUs (kernels/gemm_tiled.cl, tile sizes per device class from cl/kparams.c) and CLBlast.
 * With route AUTO the fastest of the routes raced on this device class is measured once and
 * the choice cached on disk (cl/route.c), so runs with the same cache make the same choices.
 * All matrices row-major; offsets, leading dimensions and batch strides in floats. */
#ifndef CLCNN_GEMM_H
#define CLCNN_GEMM_H

#include "cl.h"

typedef enum clcnn_gemm_kind {
    CLCNN_GEMM_TN,     /* C_z = A_z^T B_z; A_z is K x M; batch items independent */
    CLCNN_GEMM_NN,     /* C_z = A_z B_z;   A_z is M x K; batch items independent */
    CLCNN_GEMM_NT_SUM, /* C = sum_z A_z B_z^T; A_z is M x K, B_z is N x K */
} clcnn_gemm_kind;

/* The routes are clcnn_route (clcnn/enums.h, with clcnn_route_name and clcnn_route_parse). */

typedef struct clcnn_gemm_op {
    clcnn_gemm_kind kind;
    int M, N, K, batch;
    cl_mem A;
    size_t a_off, a_batch;
    int lda;
    cl_mem B;
    size_t b_off, b_batch;
    int ldb;
    cl_mem C;
    size_t c_off, c_batch;
    int ldc;
    cl_mem bias;   /* NULL or a vector added per row (bias_mode 1) or per column (2) */
    size_t bias_off;
    int bias_mode;
    int relu;      /* apply max(0, .) after the bias */
    /* Route-choice key without the batch size (e.g. "conv-fwd-64x26x26-k64x3x3-s1-p0"), so a
     * short last batch follows the full batches' choice; NULL = the exact shape. */
    const char *route_key;
} clcnn_gemm_op;

/* Enqueues the product (never waits, except AUTO's one-time measurement of a new shape).
 * *used (may be NULL) receives the route that ran. */
clcnn_status clcnn_gemm(clcnn_context *ctx, const clcnn_gemm_op *op, clcnn_route route,
                        clcnn_route *used);

/* The product by the tiled kernels with a given tile (the tiled route uses clcnn_gemm_tile_for's;
 * tests and tuning pass others). */
struct clcnn_gemm_tile;
clcnn_status clcnn_gemm_tiled(clcnn_context *ctx, const clcnn_gemm_op *op,
                              const struct clcnn_gemm_tile *tile);

/* C = the sum of `groups` M x N partial products in P (+ op's bias and ReLU; C, c_off and ldc
 * from op); p_trans: P holds them transposed (N x M). The second half of a product computed in
 * groups (gemm_nt_packed, the convolutions' weight gradients). */
clcnn_status clcnn_gemm_sum_groups(clcnn_context *ctx, const clcnn_gemm_op *op, int groups,
                                   int p_trans, cl_mem P);

/* FLOPs of a product (2 M N K batch). */
double clcnn_gemm_flops(const clcnn_gemm_op *op);

/* Runs CLBlast once on a tiny product so its kernels are compiled (and land in PoCL's cache). */
clcnn_status clcnn_clblast_warm_up(clcnn_context *ctx);

#endif
