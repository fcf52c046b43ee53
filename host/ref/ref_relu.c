/* ref/ref_relu.c: ReLU forward and backward, elementwise. */
#include "ref.h"

void ref_relu_forward(const double *x, double *y, size_t n) {
    for (size_t i = 0; i < n; i++)
        y[i] = x[i] > 0.0 ? x[i] : 0.0;
}

/* The subgradient at exactly 0 is taken as 0 (x > 0, strict), as TensorFlow and PyTorch do. */
void ref_relu_backward(const double *x, const double *dy, double *dx, size_t n) {
    for (size_t i = 0; i < n; i++)
        dx[i] = x[i] > 0.0 ? dy[i] : 0.0;
}
