/* ref/ref_window.c: output size and padding of a 2-D window operation, Keras' rules. */
#include "ref.h"

/* One axis. Keras "same": out = ceil(in / stride) and the padding that makes the last window
 * fit, split with the odd element at the bottom/right. "valid": no padding, only full windows. */
static int resolve_axis(int in, int kernel, int stride, int same, int *pad_before, int *out) {
    if (in <= 0 || kernel <= 0 || stride <= 0) return 0;
    if (same) {
        *out = (in + stride - 1) / stride;
        int pad_total = (*out - 1) * stride + kernel - in;
        *pad_before = pad_total > 0 ? pad_total / 2 : 0;
        return 1;
    }
    /* Checked first: C division truncates toward zero, so (in - kernel) / stride would be 0,
     * not -1, for a kernel slightly larger than the input. */
    if (in < kernel) return 0;
    *pad_before = 0;
    *out = (in - kernel) / stride + 1;
    return 1;
}

int ref_window_resolve(ref_window *g, int same) {
    int ok_h = resolve_axis(g->h, g->kh, g->sh, same, &g->pad_top, &g->oh);
    int ok_w = resolve_axis(g->w, g->kw, g->sw, same, &g->pad_left, &g->ow);
    if (!ok_h || !ok_w) {
        /* Leave a definite empty shape rather than half-filled fields. */
        g->pad_top = g->pad_left = g->oh = g->ow = 0;
        return 0;
    }
    return 1;
}
