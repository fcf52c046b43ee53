/* ref/ref_conv.c: Conv2D forward and both backward passes, as direct loops over every
 * (image, filter, output pixel, input channel, kernel tap). Padding taps read zero, so they are
 * simply skipped. */
#include <string.h>

#include "ref.h"
#include "ref_index.h"

/* One output value: bias plus the window dot product. */
static double conv_point(const ref_window *g, const double *x, const double *wt, int b, int f,
                         int oy, int ox) {
    double sum = 0.0;
    for (int c = 0; c < g->c; c++)
        for (ref_taps t = ref_taps_of(g, oy, ox); ref_taps_next(&t);)
            sum += x[ref_idx4(b, c, t.iy, t.ix, g->c, g->h, g->w)] *
                   wt[ref_idx4(f, c, t.i, t.j, g->c, g->kh, g->kw)];
    return sum;
}

void ref_conv2d_forward(const ref_window *g, const double *x, const double *wt, const double *bias,
                        double *y) {
    REF_FOR_OUTPUTS(g, g->k, b, f, oy, ox)
    y[ref_idx4(b, f, oy, ox, g->k, g->oh, g->ow)] =
        (bias ? bias[f] : 0.0) + conv_point(g, x, wt, b, f, oy, ox);
}

/* Spreads one output gradient d back over the taps of its window: into dx (through the
 * weights) and/or into dw (through the inputs). Both backward passes are this same loop, which
 * keeps them transposes of the forward pass by construction. */
static void conv_scatter(const ref_window *g, int b, int f, int oy, int ox, double d,
                         const double *x, const double *wt, double *dx, double *dw) {
    for (int c = 0; c < g->c; c++)
        for (ref_taps t = ref_taps_of(g, oy, ox); ref_taps_next(&t);) {
            size_t xi = ref_idx4(b, c, t.iy, t.ix, g->c, g->h, g->w);
            size_t wi = ref_idx4(f, c, t.i, t.j, g->c, g->kh, g->kw);
            if (dx) dx[xi] += d * wt[wi];
            if (dw) dw[wi] += d * x[xi];
        }
}

void ref_conv2d_backward_data(const ref_window *g, const double *dy, const double *wt, double *dx) {
    memset(dx, 0, (size_t)g->n * g->c * g->h * g->w * sizeof *dx);
    REF_FOR_OUTPUTS(g, g->k, b, f, oy, ox)
    conv_scatter(g, b, f, oy, ox, dy[ref_idx4(b, f, oy, ox, g->k, g->oh, g->ow)], NULL, wt, dx,
                 NULL);
}

void ref_conv2d_backward_filter(const ref_window *g, const double *x, const double *dy, double *dw,
                                double *db) {
    memset(dw, 0, (size_t)g->k * g->c * g->kh * g->kw * sizeof *dw);
    if (db) memset(db, 0, (size_t)g->k * sizeof *db);
    REF_FOR_OUTPUTS(g, g->k, b, f, oy, ox) {
        double d = dy[ref_idx4(b, f, oy, ox, g->k, g->oh, g->ow)];
        conv_scatter(g, b, f, oy, ox, d, x, NULL, NULL, dw);
        if (db) db[f] += d;
    }
}
