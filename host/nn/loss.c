/* nn/loss.c: the launches of kernels/loss.cl: softmax fused with cross-entropy, and the softmax
 * of predictions, one work-item per example (CPUs) or a work-group per example (GPUs: the
 * device's reduction work-group size, cl/kparams.h, no wider than the classes need). */
#include "cl/kparams.h"
#include "nn.h"

/* The work-group for rows of k classes: 0 = one work-item per row. */
static int row_wg(clcnn_context *ctx, int k) {
    int wg = clcnn_reduce_wg(ctx);
    while (wg > 1 && wg / 2 >= k) wg /= 2;
    return wg;
}

static clcnn_status launch_rows(clcnn_context *ctx, const char *name, int k, int n,
                                const clcnn_arg *args, int n_args) {
    cl_kernel kernel;
    int wg = row_wg(ctx, k);
    CLCNN_TRY(clcnn_nn_reduce_kernel(ctx, "loss.cl", name, wg, &kernel));
    size_t global[1] = {(size_t)n * (wg ? wg : 1)}, local[1] = {(size_t)wg};
    if (wg) return clcnn_launch(ctx, kernel, 1, global, local, args, n_args);
    /* One work-item per row: 16 rows a group on CPUs whatever the batch size, so the last
     * partial batch costs PoCL no compile of its own. */
    size_t cpu_local[1] = {16};
    return clcnn_launch_cpu_local(ctx, kernel, 1, global, cpu_local, args, n_args);
}

clcnn_status clcnn_nn_softmax_xent(clcnn_context *ctx, const clcnn_loss_args *a) {
    clcnn_arg args[] = {CLCNN_ARG(a->logits), CLCNN_ARG(a->labels), CLCNN_ARG(a->dlogits),
                        CLCNN_ARG(a->k), CLCNN_ARG(a->n), CLCNN_ARG(a->inv_batch),
                        CLCNN_ARG(a->loss), CLCNN_ARG(a->correct), CLCNN_ARG(a->pred),
                        CLCNN_ARG(a->slot), CLCNN_ARG(a->want_grad)};
    return launch_rows(ctx, "softmax_xent", a->k, a->n, args, 11);
}

clcnn_status clcnn_nn_softmax_rows(clcnn_context *ctx, cl_mem logits, cl_mem probs, int k, int n) {
    clcnn_arg args[] = {CLCNN_ARG(logits), CLCNN_ARG(probs), CLCNN_ARG(k), CLCNN_ARG(n)};
    return launch_rows(ctx, "softmax_rows", k, n, args, 4);
}
