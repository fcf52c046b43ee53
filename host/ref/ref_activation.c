/* ref/ref_activation.c: sigmoid, tanh, leaky ReLU and ELU (and ReLU, linear) by code,
 * forward and backward, in double. The backward uses the derivative at x, written out
 * independently of the kernels' form (which reads it off the output). */
#include <math.h>

#include "clcnn/enums.h"
#include "ref.h"

static double f(int code, double alpha, double x) {
    switch (code) {
    case CLCNN_ACT_RELU: return x > 0 ? x : 0;
    case CLCNN_ACT_SIGMOID: return 1.0 / (1.0 + exp(-x));
    case CLCNN_ACT_TANH: return tanh(x);
    case CLCNN_ACT_LEAKY_RELU: return x > 0 ? x : alpha * x;
    case CLCNN_ACT_ELU: return x > 0 ? x : alpha * (exp(x) - 1.0);
    default: return x;
    }
}

static double df(int code, double alpha, double x) {
    double s;
    switch (code) {
    case CLCNN_ACT_RELU: return x > 0 ? 1 : 0;
    case CLCNN_ACT_SIGMOID: s = 1.0 / (1.0 + exp(-x)); return s * (1.0 - s);
    case CLCNN_ACT_TANH: s = tanh(x); return 1.0 - s * s;
    case CLCNN_ACT_LEAKY_RELU: return x > 0 ? 1 : alpha;
    case CLCNN_ACT_ELU: return x > 0 ? 1 : alpha * exp(x);
    default: return 1;
    }
}

void ref_act_forward(int code, double alpha, const double *x, double *y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = f(code, alpha, x[i]);
}

void ref_act_backward(int code, double alpha, const double *x, const double *dy, double *dx,
                      size_t n) {
    for (size_t i = 0; i < n; i++) dx[i] = dy[i] * df(code, alpha, x[i]);
}
