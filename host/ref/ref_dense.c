/* ref/ref_dense.c: fully connected layer, y = x W^T + b with W stored [out][in] as PyTorch
 * does. */
#include <string.h>

#include "ref.h"

void ref_dense_forward(const double *x, const double *wt, const double *bias, double *y, int n,
                       int in, int out) {
    for (int b = 0; b < n; b++)
        for (int o = 0; o < out; o++) {
            double sum = bias ? bias[o] : 0.0;
            for (int i = 0; i < in; i++)
                sum += x[(size_t)b * in + i] * wt[(size_t)o * in + i];
            y[(size_t)b * out + o] = sum;
        }
}

/* Each output of the three is optional so a caller can skip dx for the first layer. */
void ref_dense_backward(const double *x, const double *wt, const double *dy, double *dx, double *dw,
                        double *db, int n, int in, int out) {
    if (dx) memset(dx, 0, (size_t)n * in * sizeof *dx);
    if (dw) memset(dw, 0, (size_t)out * in * sizeof *dw);
    if (db) memset(db, 0, (size_t)out * sizeof *db);
    for (int b = 0; b < n; b++)
        for (int o = 0; o < out; o++) {
            double d = dy[(size_t)b * out + o];
            for (int i = 0; i < in; i++) {
                if (dx) dx[(size_t)b * in + i] += d * wt[(size_t)o * in + i];
                if (dw) dw[(size_t)o * in + i] += d * x[(size_t)b * in + i];
            }
            if (db) db[o] += d;
        }
}
