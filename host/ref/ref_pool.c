/* ref/ref_pool.c: MaxPool2D forward and backward. Padding positions are skipped rather
 * than read as zero, so an all-negative window still yields its own maximum (Keras' "same"
 * pooling pads with -inf in effect). */
#include <string.h>

#include "ref.h"
#include "ref_index.h"

/* Flat input index of the first maximum of one window in row-major order, or -1 if the window
 * holds no real input (cannot happen with resolved Keras geometry, but a hand-made ref_window
 * could ask for it). Strict '>' is what makes the first of equal values win. */
static long window_argmax(const ref_window *g, const double *x, int b, int c, int oy, int ox) {
    long best = -1;
    for (ref_taps t = ref_taps_of(g, oy, ox); ref_taps_next(&t);) {
        size_t xi = ref_idx4(b, c, t.iy, t.ix, g->c, g->h, g->w);
        if (best < 0 || x[xi] > x[best]) best = (long)xi;
    }
    return best;
}

void ref_maxpool_forward(const ref_window *g, const double *x, double *y) {
    REF_FOR_OUTPUTS(g, g->c, b, c, oy, ox) {
        long arg = window_argmax(g, x, b, c, oy, ox);
        y[ref_idx4(b, c, oy, ox, g->c, g->oh, g->ow)] = arg < 0 ? 0.0 : x[arg];
    }
}

/* Overlapping windows (stride < pool) may pick the same input; its gradients add up. */
void ref_maxpool_backward(const ref_window *g, const double *x, const double *dy, double *dx) {
    memset(dx, 0, (size_t)g->n * g->c * g->h * g->w * sizeof *dx);
    REF_FOR_OUTPUTS(g, g->c, b, c, oy, ox) {
        long arg = window_argmax(g, x, b, c, oy, ox);
        if (arg >= 0) dx[arg] += dy[ref_idx4(b, c, oy, ox, g->c, g->oh, g->ow)];
    }
}
