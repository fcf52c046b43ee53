/* cli/cmd_warmup.c: `clcnn warmup`: compile every kernel and CLBlast's GEMM for a device once, so
 * later runs load binaries from the cache; prints how long each part took. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

int cmd_warmup(int argc, char **argv) {
    cli_args a;
    if (cli_parse(argc, argv, 2, &a)) return 2;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    double t0 = ts.tv_sec + 1e-9 * ts.tv_nsec;
    clcnn_context *ctx;
    clcnn_status s = cli_open_device(&a, &ctx);
    if (s != CLCNN_STATUS_OK) return cli_fail(s, "opening the OpenCL device");
    clock_gettime(CLOCK_MONOTONIC, &ts);
    double opened = ts.tv_sec + 1e-9 * ts.tv_nsec - t0;
    clcnn_warmup_times t;
    s = clcnn_context_warm_up(ctx, 1, &t);
    if (s == CLCNN_STATUS_OK) {
        printf("device: %s\n", clcnn_context_device(ctx)->name);
        printf("open device:        %8.3f s\n", opened);
        printf("first kernel done:  %8.3f s after opening\n", t.first_launch);
        printf("all %2d kernel files: %7.3f s after opening\n", t.programs, t.all_programs);
        printf("CLBlast first GEMM: %8.3f s\n", t.clblast);
    }
    clcnn_context_destroy(ctx);
    return s == CLCNN_STATUS_OK ? 0 : cli_fail(s, "warmup");
}
