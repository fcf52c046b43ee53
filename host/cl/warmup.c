/* cl/warmup.c: compiles every engine kernel and CLBlast's GEMM for a device ahead of use, and
 * times it (`clcnn warmup`). */
#include <string.h>

#include "cl.h"
#include "core/embedded.h"
#include "gemm.h"

static clcnn_status first_launch(clcnn_context *ctx) {
    cl_kernel k;
    CLCNN_TRY(clcnn_kernel_get(ctx, "elementwise.cl", "relu_forward", &k));
    cl_mem buf;
    CLCNN_TRY(clcnn_buffer_create(ctx, 64, &buf));
    size_t one = 1;
    cl_ulong count = 1;
    clcnn_arg args[] = {CLCNN_ARG(buf), CLCNN_ARG(buf), CLCNN_ARG(count)};
    clcnn_status s = clcnn_buffer_fill_zero(ctx, buf, 0, 64);
    if (s == CLCNN_STATUS_OK) s = clcnn_launch(ctx, k, 1, &one, NULL, args, 3);
    if (s == CLCNN_STATUS_OK) s = clcnn_context_finish(ctx);
    clReleaseMemObject(buf);
    return s;
}

clcnn_status clcnn_context_warm_up(clcnn_context *ctx, int clblast, clcnn_warmup_times *t) {
    memset(t, 0, sizeof *t);
    double t0 = clcnn_now();
    CLCNN_TRY(first_launch(ctx));
    t->first_launch = clcnn_now() - t0;
    for (const struct clcnn_embedded_file *f = clcnn_embedded_kernels; f->name; f++) {
        if (strcmp(f->name, "prelude.cl") == 0 || strncmp(f->name, "bench", 5) == 0) continue;
        cl_program p;
        CLCNN_TRY(clcnn_program_get(ctx, f->name, "", &p));
        t->programs++;
    }
    t->all_programs = clcnn_now() - t0;
    if (!clblast) return CLCNN_STATUS_OK;
    double t1 = clcnn_now();
    CLCNN_TRY(clcnn_clblast_warm_up(ctx));
    t->clblast = clcnn_now() - t1;
    return CLCNN_STATUS_OK;
}
