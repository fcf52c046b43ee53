/* ref/ref_dropout.c: inverted dropout with an explicit mask, forward and backward. */
#include "ref.h"

void ref_dropout_forward(const double *x, const unsigned char *keep, double rate, double *y,
                         size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = keep[i] ? x[i] / (1.0 - rate) : 0.0;
}

void ref_dropout_backward(const double *dy, const unsigned char *keep, double rate, double *dx,
                          size_t n) {
    for (size_t i = 0; i < n; i++) dx[i] = keep[i] ? dy[i] / (1.0 - rate) : 0.0;
}
