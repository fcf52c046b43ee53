/* ref/ref_avgpool.c: AveragePooling2D forward and backward. A window averages only the
 * positions inside the input (TensorFlow's "same" pooling: padding neither adds nor counts). */
#include <string.h>

#include "ref.h"
#include "ref_index.h"

/* The flat input indices of window (oy, ox)'s inside positions; returns their count. */
static int window_inside(const ref_window *g, int b, int c, int oy, int ox, size_t *idx) {
    int k = 0;
    for (ref_taps t = ref_taps_of(g, oy, ox); ref_taps_next(&t);)
        idx[k++] = ref_idx4(b, c, t.iy, t.ix, g->c, g->h, g->w);
    return k;
}

void ref_avgpool_forward(const ref_window *g, const double *x, double *y) {
    size_t idx[g->kh * g->kw];
    REF_FOR_OUTPUTS(g, g->c, b, c, oy, ox) {
        int k = window_inside(g, b, c, oy, ox, idx);
        double s = 0;
        for (int i = 0; i < k; i++) s += x[idx[i]];
        y[ref_idx4(b, c, oy, ox, g->c, g->oh, g->ow)] = k ? s / k : 0.0;
    }
}

void ref_avgpool_backward(const ref_window *g, const double *dy, double *dx) {
    size_t idx[g->kh * g->kw];
    memset(dx, 0, (size_t)g->n * g->c * g->h * g->w * sizeof *dx);
    REF_FOR_OUTPUTS(g, g->c, b, c, oy, ox) {
        int k = window_inside(g, b, c, oy, ox, idx);
        double d = dy[ref_idx4(b, c, oy, ox, g->c, g->oh, g->ow)];
        for (int i = 0; i < k; i++) dx[idx[i]] += d / k;
    }
}
