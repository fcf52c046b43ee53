/* tests/opencl/test_loss.c: softmax cross-entropy and the prediction softmax (kernels/loss.cl,
 * nn/loss.c) against the C reference, in both shapes: one work-item per example (CPUs) and a
 * work-group per example (GPUs, CLCNN_REDUCE_WG forcing the width), on odd class counts below,
 * at and above the work-group width, with tied maxima (the first one must win). Also run under
 * Oclgrind (tests/CMakeLists.txt), which checks the work-group variant's barriers and races. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl/cl.h"
#include "nn/nn.h"
#include "ref/ref.h"
#include "test_util.h"

typedef struct loss_case {
    int n, k;
} loss_case;

static const loss_case cases[] = {{5, 1}, {7, 3}, {4, 10}, {3, 37}, {2, 129}};

/* Loss, correctness, prediction and gradient of one case, checked against ref_softmax_xent_*. */
static void run_case(clcnn_context *ctx, const loss_case *c, const char *wg) {
    int n = c->n, k = c->k, slot = 2, total = slot + n;
    size_t nk = (size_t)n * k;
    double *zd;
    float *z = test_random_f(nk, -3.0, 3.0, (uint64_t)(n * 131 + k), &zd);
    unsigned char labels[16], correct[16], pred[16];
    int ilabels[16];
    for (int i = 0; i < n; i++) labels[i] = (unsigned char)((i * 7 + 3) % k), ilabels[i] = labels[i];
    /* Row 0: a tie at the top between classes 1 and k - 1 (the first must win); row 1's
     * maximum is its label. */
    if (k > 2) {
        z[1] = z[k - 1] = 5.0f, zd[1] = zd[k - 1] = 5.0;
        z[(size_t)k + labels[1]] = 6.0f, zd[(size_t)k + labels[1]] = 6.0;
    }
    cl_mem bz, bl, bdz, bloss, bcorrect, bpred, bprobs;
    assert_int_equal(clcnn_buffer_create(ctx, nk * sizeof(float), &bz), CLCNN_STATUS_OK);
    assert_int_equal(clcnn_buffer_create(ctx, 16, &bl), CLCNN_STATUS_OK);
    assert_int_equal(clcnn_buffer_create(ctx, nk * sizeof(float), &bdz), CLCNN_STATUS_OK);
    assert_int_equal(clcnn_buffer_create(ctx, 16 * sizeof(float), &bloss), CLCNN_STATUS_OK);
    assert_int_equal(clcnn_buffer_create(ctx, 16, &bcorrect), CLCNN_STATUS_OK);
    assert_int_equal(clcnn_buffer_create(ctx, 16, &bpred), CLCNN_STATUS_OK);
    assert_int_equal(clcnn_buffer_create(ctx, nk * sizeof(float), &bprobs), CLCNN_STATUS_OK);
    assert_int_equal(clcnn_buffer_write(ctx, bz, 0, nk * sizeof(float), z), CLCNN_STATUS_OK);
    assert_int_equal(clcnn_buffer_write(ctx, bl, 0, (size_t)n, labels), CLCNN_STATUS_OK);
    clcnn_loss_args a = {bz, bl, bdz, bloss, bcorrect, bpred, k, n, slot, 1, 1.0f / (float)n};
    assert_int_equal(clcnn_nn_softmax_xent(ctx, &a), CLCNN_STATUS_OK);
    assert_int_equal(clcnn_nn_softmax_rows(ctx, bz, bprobs, k, n), CLCNN_STATUS_OK);
    float loss[16], *dz = malloc(nk * sizeof(float)), *probs = malloc(nk * sizeof(float));
    double *want_dz = malloc(nk * sizeof(double)), *want_p = malloc(nk * sizeof(double));
    assert_non_null(dz), assert_non_null(probs), assert_non_null(want_dz), assert_non_null(want_p);
    assert_int_equal(clcnn_buffer_read(ctx, bloss, 0, (size_t)total * sizeof(float), loss), CLCNN_STATUS_OK);
    assert_int_equal(clcnn_buffer_read(ctx, bcorrect, 0, (size_t)total, correct), CLCNN_STATUS_OK);
    assert_int_equal(clcnn_buffer_read(ctx, bpred, 0, (size_t)total, pred), CLCNN_STATUS_OK);
    assert_int_equal(clcnn_buffer_read(ctx, bdz, 0, nk * sizeof(float), dz), CLCNN_STATUS_OK);
    assert_int_equal(clcnn_buffer_read(ctx, bprobs, 0, nk * sizeof(float), probs), CLCNN_STATUS_OK);
    char what[64];
    for (int i = 0; i < n; i++) {
        const double *row = zd + (size_t)i * k;
        double want = ref_softmax_xent_forward(row, &ilabels[i], want_p + (size_t)i * k, 1, k);
        int arg = 0;
        for (int j = 1; j < k; j++)
            if (row[j] > row[arg]) arg = j;
        snprintf(what, sizeof what, "n%d k%d wg %s row %d loss", n, k, wg, i);
        double lw = want;
        float lg = loss[slot + i];
        assert_true(test_allclose(what, &lg, &lw, 1, 1e-5, 1e-5));
        if (pred[slot + i] != arg || correct[slot + i] != (arg == ilabels[i]))
            fail_msg("%s: pred %d correct %d, want %d and %d", what, pred[slot + i],
                     correct[slot + i], arg, arg == ilabels[i]);
    }
    if (k > 2) assert_int_equal(pred[slot], 1); /* the tie: the first maximum */
    ref_softmax_xent_backward(zd, ilabels, want_dz, n, k);
    snprintf(what, sizeof what, "n%d k%d wg %s dlogits", n, k, wg);
    assert_true(test_allclose(what, dz, want_dz, nk, 1e-5, 1e-7));
    snprintf(what, sizeof what, "n%d k%d wg %s probs", n, k, wg);
    assert_true(test_allclose(what, probs, want_p, nk, 1e-5, 1e-7));
    cl_mem all[] = {bz, bl, bdz, bloss, bcorrect, bpred, bprobs};
    for (int i = 0; i < 7; i++) clReleaseMemObject(all[i]);
    free(z), free(zd), free(dz), free(probs), free(want_dz), free(want_p);
}

/* Per example (0), and work-groups narrower than, as wide as and wider than the rows. */
static void test_softmax_xent_variants(void **state) {
    (void)state;
    static const char *const wgs[] = {"0", "4", "16", "64", "256"};
    for (size_t w = 0; w < sizeof wgs / sizeof wgs[0]; w++) {
        setenv("CLCNN_REDUCE_WG", wgs[w], 1);
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) run_case(test_ctx, &cases[i], wgs[w]);
    }
    unsetenv("CLCNN_REDUCE_WG");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_softmax_xent_variants),
    };
    return cmocka_run_group_tests(tests, test_device_setup, test_device_teardown);
}
