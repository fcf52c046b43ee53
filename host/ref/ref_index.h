/* ref/ref_index.h: index helpers private to the reference implementation, and the two loops
 * every window operation (convolution, max and average pooling) is made of: over the output
 * positions, and over the taps of one position's window that lie inside the input. */
#ifndef CLCNN_REF_INDEX_H
#define CLCNN_REF_INDEX_H

#include <stddef.h>

#include "ref.h"

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

/* Every output position (b, ch, oy, ox) of g in row-major order, ch < channels (the filters of a
 * convolution, the channels of a pooling). */
#define REF_FOR_OUTPUTS(g, channels, b, ch, oy, ox)                                              \
    for (int b = 0; b < (g)->n; b++)                                                             \
        for (int ch = 0; ch < (channels); ch++)                                                  \
            for (int oy = 0; oy < (g)->oh; oy++)                                                 \
                for (int ox = 0; ox < (g)->ow; ox++)

/* The taps (i, j) of output position (oy, ox)'s window that read an input position (iy, ix), in
 * row-major order; taps in the padding are skipped:
 *     for (ref_taps t = ref_taps_of(g, oy, ox); ref_taps_next(&t);) ... t.i, t.j, t.iy, t.ix */
typedef struct ref_taps {
    const ref_window *g;
    int oy, ox, i, j, iy, ix;
} ref_taps;

static inline ref_taps ref_taps_of(const ref_window *g, int oy, int ox) {
    ref_taps t = {g, oy, ox, 0, -1, -1, -1};
    return t;
}

static inline int ref_taps_next(ref_taps *t) {
    const ref_window *g = t->g;
    for (;;) {
        if (++t->j == g->kw) t->j = 0, t->i++;
        if (t->i >= g->kh) return 0;
        t->iy = ref_src_coord(t->oy, t->i, g->sh, g->pad_top, g->h);
        t->ix = ref_src_coord(t->ox, t->j, g->sw, g->pad_left, g->w);
        if (t->iy >= 0 && t->ix >= 0) return 1;
    }
}

#endif
