/* ref/ref_index.h: index helpers private to the reference implementation. */
#ifndef CLCNN_REF_INDEX_H
#define CLCNN_REF_INDEX_H

#include <stddef.h>

/* Flat offset of [a][b][c][d] in an array shaped [.][nb][nc][nd] (NCHW, or OIHW for weights).
 * size_t throughout so large test shapes cannot overflow int arithmetic. */
static inline size_t ref_idx4(int a, int b, int c, int d, int nb, int nc, int nd) {
    return (((size_t)a * (size_t)nb + (size_t)b) * (size_t)nc + (size_t)c) * (size_t)nd + (size_t)d;
}

/* Input coordinate read by kernel tap `tap` of output position `o`, or -1 when it falls in the
 * padding (zeros for convolution, never-winning positions for pooling). */
static inline int ref_src_coord(int o, int tap, int stride, int pad_before, int size) {
    int v = o * stride - pad_before + tap;
    return (v >= 0 && v < size) ? v : -1;
}

#endif
