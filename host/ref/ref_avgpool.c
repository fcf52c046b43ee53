/* ref/ref_avgpool.c: AveragePooling2D forward and backward. A window averages only the
 * positions inside the input (TensorFlow's "same" pooling: padding neither adds nor counts). */
#include <string.h>

#include "ref.h"
#include "ref_index.h"

/* Visits the inside positions of window (oy, ox): calls back with their flat input index. */
static int window_inside(const ref_window *g, int b, int c, int oy, int ox, size_t *idx) {
    int k = 0;
    for (int i = 0; i < g->kh; i++) {
        int iy = ref_src_coord(oy, i, g->sh, g->pad_top, g->h);
        for (int j = 0; iy >= 0 && j < g->kw; j++) {
            int ix = ref_src_coord(ox, j, g->sw, g->pad_left, g->w);
            if (ix >= 0) idx[k++] = ref_idx4(b, c, iy, ix, g->c, g->h, g->w);
        }
    }
    return k;
}

void ref_avgpool_forward(const ref_window *g, const double *x, double *y) {
    size_t idx[g->kh * g->kw];
    for (int b = 0; b < g->n; b++)
        for (int c = 0; c < g->c; c++)
            for (int oy = 0; oy < g->oh; oy++)
                for (int ox = 0; ox < g->ow; ox++) {
                    int k = window_inside(g, b, c, oy, ox, idx);
                    double s = 0;
                    for (int i = 0; i < k; i++) s += x[idx[i]];
                    y[ref_idx4(b, c, oy, ox, g->c, g->oh, g->ow)] = k ? s / k : 0.0;
                }
}

void ref_avgpool_backward(const ref_window *g, const double *dy, double *dx) {
    size_t idx[g->kh * g->kw];
    memset(dx, 0, (size_t)g->n * g->c * g->h * g->w * sizeof *dx);
    for (int b = 0; b < g->n; b++)
        for (int c = 0; c < g->c; c++)
            for (int oy = 0; oy < g->oh; oy++)
                for (int ox = 0; ox < g->ow; ox++) {
                    int k = window_inside(g, b, c, oy, ox, idx);
                    double d = dy[ref_idx4(b, c, oy, ox, g->c, g->oh, g->ow)];
                    for (int i = 0; i < k; i++) dx[idx[i]] += d / k;
                }
}
