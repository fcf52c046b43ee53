/* nn/prefetch.c: the kernel files a model's first training step will build, asked of a cold
 * start's helper process (cl/prefetch.c) in the reverse order of their first use, so that the
 * helper builds what the step needs last while the step builds what it needs first. data.cl,
 * conv.cl and the products' gemm.cl are not asked: the step builds them within its first
 * second. Asking for a file the step never uses costs the helper's time, not this process's. */
#include <stdio.h>

#include "cl/kparams.h"
#include "conv2d.h"
#include "model_internal.h"

/* A reduction's file in the device's shape (nn/layer.c: RED_WG builds on GPUs). */
static void reduce_file(clcnn_context *ctx, const char *file) {
    char options[32] = "";
    int wg = clcnn_reduce_wg(ctx);
    if (wg) snprintf(options, sizeof options, "-DRED_WG=%d", wg);
    clcnn_program_prefetch(ctx, file, options);
    if (wg) clcnn_program_prefetch(ctx, file, "");
}

/* conv_direct.cl's builds of a layer (and conv_dw.cl's, in backward): base = the base build (the
 * padding's, in backward), else the forward ones. */
static void conv_builds(clcnn_context *ctx, const clcnn_layer *l, int base) {
    char opts[3][128], dw[64];
    clcnn_conv_geom g = clcnn_conv_geom_of(l);
    int n = clcnn_conv_direct_builds(ctx, &g, opts);
    clcnn_conv_dw_options(ctx, &g, dw, sizeof dw);
    if (base && n) clcnn_program_prefetch(ctx, "conv_dw.cl", dw); /* nn/conv2d_dw.c's */
    for (int i = n - 1; i >= 0; i--)
        if ((i == 0) == base) clcnn_program_prefetch(ctx, "conv_direct.cl", opts[i]);
}

static void layer_files(clcnn_context *ctx, const clcnn_layer *l) {
    if (l->act) clcnn_program_prefetch(ctx, "activation.cl", "");
    if (l->type == &clcnn_layer_conv2d) conv_builds(ctx, l, 0);
    else if (l->type == &clcnn_layer_max_pooling2d) clcnn_program_prefetch(ctx, "pool.cl", "");
    else if (l->type == &clcnn_layer_average_pooling2d ||
             l->type == &clcnn_layer_global_average_pooling2d)
        clcnn_program_prefetch(ctx, "avgpool.cl", "");
    else if (l->type == &clcnn_layer_batch_normalization) reduce_file(ctx, "batchnorm.cl");
    else if (l->type == &clcnn_layer_dropout) clcnn_program_prefetch(ctx, "regularize.cl", "");
}

void clcnn_model_prefetch(clcnn_model *m) {
    clcnn_context *ctx = m->ctx;
    if (ctx->prefetch_fd <= 0) return;
    clcnn_program_prefetch(ctx, "optim.cl", "");
    for (int i = m->n_layers - 1; i >= 0; i--)
        if (m->layers[i].type == &clcnn_layer_conv2d && !m->layers[i].fused)
            conv_builds(ctx, &m->layers[i], 1);
    reduce_file(ctx, "elementwise.cl");
    reduce_file(ctx, "loss.cl");
    for (int i = m->n_layers - 1; i >= 0; i--)
        if (!m->layers[i].fused) layer_files(ctx, &m->layers[i]);
    if (m->augment) clcnn_program_prefetch(ctx, "augment.cl", "");
}
