/* cl/conv_env.c: the convolutions' environment overrides, read once when a device opens (into
 * ctx->conv, as cl/kparams.c does for the GEMM settings), so that a training step does not call
 * getenv per layer and phase; a malformed value is an error naming it at open. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kparams.h"

static clcnn_status read_alg(clcnn_conv_env *c) {
    static const char *const names[] = {"im2col", "direct", "winograd"};
    const char *e = getenv("CLCNN_CONV");
    c->alg = 0;
    if (!e || !*e || !strcmp(e, "auto")) return CLCNN_STATUS_OK;
    for (int i = 0; i < 3; i++)
        if (!strcmp(e, names[i])) {
            c->alg = i + 1;
            return CLCNN_STATUS_OK;
        }
    return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT,
                      "CLCNN_CONV='%s': expected auto, im2col, direct or winograd", e);
}

static clcnn_status read_tile(clcnn_conv_env *c) {
    const char *e = getenv("CLCNN_CONV_TILE");
    memset(c->tile, 0, sizeof c->tile);
    if (!e || !*e) return CLCNN_STATUS_OK;
    int v[5] = {0, 0, 0, 0, 0};
    char end;
    int got = sscanf(e, "%d,%d,%d,%d,%d%c", &v[0], &v[1], &v[2], &v[3], &v[4], &end);
    if ((got != 4 && got != 5) || v[0] < 1 || v[0] > 16 || v[1] < 1 || v[1] > 4 || v[2] < 1 ||
        v[2] > 8 || v[3] < 1 || v[3] > 16 || v[4] < 0)
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT,
                          "CLCNN_CONV_TILE='%s': expected tm,nv,wm,wr[,per] with tm 1-16, nv 1-4, "
                          "wm 1-8, wr 1-16, per >= 0",
                          e);
    memcpy(c->tile, v, sizeof v);
    return CLCNN_STATUS_OK;
}

/* A number of images per chunk (tests): 0 when unset. */
static clcnn_status read_images(const char *name, int *out) {
    double v = 0;
    int set;
    CLCNN_TRY(clcnn_env_number(name, 0, 65536, 1, &v, &set));
    *out = set ? (int)v : 0;
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_conv_env_load(clcnn_context *ctx) {
    clcnn_conv_env *c = &ctx->conv;
    /* CLCNN_ROUTE forces every product's route (cl/gemm.c) and so im2col; a value that is not
     * a route's name leaves the choice automatic. */
    const char *route = getenv("CLCNN_ROUTE");
    if (!route || !*route || clcnn_route_parse(route, &c->gemm_route) != CLCNN_STATUS_OK)
        c->gemm_route = CLCNN_ROUTE_AUTO;
    CLCNN_TRY(read_alg(c));
    CLCNN_TRY(read_tile(c));
    CLCNN_TRY(read_images("CLCNN_CONV_CHUNK", &c->chunk_images));
    return read_images("CLCNN_WINO_IMAGES", &c->wino_images);
}
