/* ref/ref_model.c: the seed model's forward and backward pass, composed from the single
 * operations of this folder with no shortcuts, so it is correct when they are. The OpenCL
 * model's loss, logits and gradients are checked against it. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ref.h"

/* Every intermediate kept for the backward pass; z = before ReLU, a = after. a2 is already the
 * flattened [n][f2*oh2*ow2] in C,H,W order because NCHW is laid out that way. */
typedef struct seed_state {
    ref_window g1, g2;
    int n, flat;
    double *z1, *a1, *z2, *a2, *z3, *a3, *logits;
    double *block; /* one allocation holding all of the above */
} seed_state;

static size_t conv_out_size(const ref_window *g) {
    return (size_t)g->n * g->k * g->oh * g->ow;
}

/* A stride-1 "valid" convolution with a square kernel, as both of the seed model's are. */
static int valid_conv(ref_window *g, int n, int c, int h, int w, int filters, int kernel) {
    *g = (ref_window){.n = n, .c = c, .h = h, .w = w, .k = filters};
    g->kh = g->kw = kernel;
    g->sh = g->sw = 1;
    return ref_window_resolve(g, 0);
}

static int seed_geometry(const ref_seed_model *m, int n, seed_state *s) {
    if (!valid_conv(&s->g1, n, m->c_in, m->h, m->w, m->f1, m->k1)) return 0;
    if (!valid_conv(&s->g2, n, m->f1, s->g1.oh, s->g1.ow, m->f2, m->k2)) return 0;
    s->n = n;
    s->flat = m->f2 * s->g2.oh * s->g2.ow;
    return 1;
}

static int seed_alloc(const ref_seed_model *m, seed_state *s) {
    size_t n1 = conv_out_size(&s->g1), n2 = conv_out_size(&s->g2);
    size_t n3 = (size_t)s->n * m->units, n4 = (size_t)s->n * m->classes;
    s->block = malloc((2 * (n1 + n2 + n3) + n4) * sizeof(double));
    if (!s->block) return 0;
    s->z1 = s->block;
    s->a1 = s->z1 + n1;
    s->z2 = s->a1 + n1;
    s->a2 = s->z2 + n2;
    s->z3 = s->a2 + n2;
    s->a3 = s->z3 + n3;
    s->logits = s->a3 + n3;
    return 1;
}

static double seed_forward(const ref_seed_model *m, const double *x, const int *labels,
                           seed_state *s) {
    ref_conv2d_forward(&s->g1, x, m->w1, m->b1, s->z1);
    ref_relu_forward(s->z1, s->a1, conv_out_size(&s->g1));
    ref_conv2d_forward(&s->g2, s->a1, m->w2, m->b2, s->z2);
    ref_relu_forward(s->z2, s->a2, conv_out_size(&s->g2));
    ref_dense_forward(s->a2, m->w3, m->b3, s->z3, s->n, s->flat, m->units);
    ref_relu_forward(s->z3, s->a3, (size_t)s->n * m->units);
    ref_dense_forward(s->a3, m->w4, m->b4, s->logits, s->n, m->units, m->classes);
    return ref_softmax_xent_forward(s->logits, labels, NULL, s->n, m->classes);
}

/* Filter gradients of one convolution, honouring NULL requests: ref_conv2d_backward_filter
 * needs somewhere to put dw, so a skipped dw with a wanted db goes to scratch. */
static void conv_filter_grads(const ref_window *g, const double *x, const double *dy, double *dw,
                              double *db) {
    if (!dw && !db) return;
    double *scratch = dw ? NULL : malloc((size_t)g->k * g->c * g->kh * g->kw * sizeof *scratch);
    if (!dw && !scratch) return;
    ref_conv2d_backward_filter(g, x, dy, dw ? dw : scratch, db);
    free(scratch);
}

/* Backward in reverse layer order. Each gradient buffer is reused in place once the ReLU
 * backward has turned d(a) into d(z) (ref_relu_backward reads dy[i] before writing dx[i]). */
static int seed_backward(const ref_seed_model *m, const double *x, const int *labels,
                         const seed_state *s, ref_seed_grads *g) {
    size_t n1 = conv_out_size(&s->g1), n2 = conv_out_size(&s->g2), n3 = (size_t)s->n * m->units;
    double *d1 = malloc((n1 + n2 + n3 + (size_t)s->n * m->classes) * sizeof *d1);
    if (!d1) return 0;
    double *d2 = d1 + n1, *d3 = d2 + n2, *dlogits = d3 + n3;
    ref_softmax_xent_backward(s->logits, labels, dlogits, s->n, m->classes);
    ref_dense_backward(s->a3, m->w4, dlogits, d3, g->w4, g->b4, s->n, m->units, m->classes);
    ref_relu_backward(s->z3, d3, d3, n3);
    ref_dense_backward(s->a2, m->w3, d3, d2, g->w3, g->b3, s->n, s->flat, m->units);
    ref_relu_backward(s->z2, d2, d2, n2);
    conv_filter_grads(&s->g2, s->a1, d2, g->w2, g->b2);
    ref_conv2d_backward_data(&s->g2, d2, m->w2, d1);
    ref_relu_backward(s->z1, d1, d1, n1);
    conv_filter_grads(&s->g1, x, d1, g->w1, g->b1);
    free(d1);
    return 1;
}

double ref_seed_model_step(const ref_seed_model *m, const double *x, const int *labels, int n,
                           ref_seed_grads *g) {
    seed_state s;
    if (!seed_geometry(m, n, &s) || !seed_alloc(m, &s)) return NAN;
    double loss = seed_forward(m, x, labels, &s);
    if (g && g->logits) memcpy(g->logits, s.logits, (size_t)n * m->classes * sizeof *g->logits);
    if (g && !seed_backward(m, x, labels, &s, g)) loss = NAN;
    free(s.block);
    return loss;
}
