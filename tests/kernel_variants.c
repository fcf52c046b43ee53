/* tests/kernel_variants.c: prints "define|#define NAME VALUE" for each value the host puts before
 * every kernel source (core/enums.c), then "file|build options" for every kernel variant the host builds
 * (each device class's tile for each product kind, its reduction work-group), for tests/kernels_check.py: the options come
 * from the host's own builder, so the check compiles exactly what a device would. */
#include <stdio.h>

#include <string.h>

#include "cl/kparams.h"
#include "core/core.h"
#include "nn/conv2d.h"

int main(void) {
    char defines[2048];
    if (clcnn_kernel_defines(defines, sizeof defines) != CLCNN_STATUS_OK) return 1;
    for (char *line = strtok(defines, "\n"); line; line = strtok(NULL, "\n"))
        printf("define|%s\n", line);
    static const clcnn_gemm_kind kinds[] = {CLCNN_GEMM_TN, CLCNN_GEMM_NN, CLCNN_GEMM_NT_SUM};
    for (int c = 0; c < CLCNN_N_CLASSES; c++) {
        clcnn_gemm_tile t = clcnn_gemm_tile_default((clcnn_device_class)c);
        for (int k = 0; k < 3; k++) {
            char options[160];
            clcnn_gemm_tiled_options(&t, kinds[k], options, sizeof options);
            printf("gemm_tiled.cl|%s\n", options);
        }
        int wg = clcnn_reduce_wg_default((clcnn_device_class)c);
        if (wg) {
            printf("batchnorm.cl|-DRED_WG=%d\n", wg);
            printf("elementwise.cl|-DRED_WG=%d\n", wg);
            printf("loss.cl|-DRED_WG=%d\n", wg);
        }
    }
    for (int width = 4; width <= 16; width *= 2) {
        char options[160], streamed[160];
        if (clcnn_gemm_own_options(width, 0, options, sizeof options) != CLCNN_STATUS_OK ||
            clcnn_gemm_own_options(width, 1, streamed, sizeof streamed) != CLCNN_STATUS_OK)
            return 1;
        printf("gemm.cl|%s\n", options);
        if (strcmp(streamed, options) != 0) printf("gemm.cl|%s\n", streamed); /* long panel */
    }
    /* The direct convolutions: any filter size, 3x3 unrolled, and conv_small for one channel,
     * in float8 and float16. */
    static const int conv_variants[][3] = {{0, 0, 0}, {0, 3, 3}, {1, 3, 3}};
    for (int width = 8; width <= 16; width *= 2)
        for (size_t i = 0; i < sizeof conv_variants / sizeof conv_variants[0]; i++) {
            char options[160];
            clcnn_conv_direct_options(width, conv_variants[i][0], conv_variants[i][1],
                                      conv_variants[i][2], options, sizeof options);
            printf("conv_direct.cl|%s\n", options);
        }
    /* The weight gradient's float16 tiles (nn/conv2d_dw.c, AVX-512): 64, 32 and 16 filters. */
    static clcnn_context wide;
    wide.vector_width = 16;
    for (int filters = 64; filters >= 16; filters /= 2) {
        char options[64];
        clcnn_conv_geom g = {.K = filters};
        clcnn_conv_dw_options(&wide, &g, options, sizeof options);
        printf("conv_dw.cl|%s\n", options);
    }
    /* Winograd's input and output transforms in float8 and float16 (nn/conv2d_winograd.c). */
    for (int width = 8; width <= 16; width *= 2) {
        char options[32];
        clcnn_conv_winograd_options(width, options, sizeof options);
        printf("winograd.cl|%s\n", options);
    }
    /* The loss narrows its group to the classes (nn/loss.c): the seed's 10 take 16. */
    printf("loss.cl|-DRED_WG=16\n");
    return 0;
}
