/* ref/ref_optim.c: optimizer steps over a flat parameter vector, with Keras 3's update
 * formulas (keras/src/optimizers/{adam,sgd,rmsprop}.py) so a model trained by clcnn and by
 * Keras from the same start follows the same path. */
#include <math.h>

#include "ref.h"

/* Keras folds both bias corrections into the step size instead of correcting m and v, which
 * moves where eps acts; the kernels must match this form, not the paper's Algorithm 1. */
void ref_adam_step(double *p, const double *g, double *m, double *v, size_t n, double lr, double b1,
                   double b2, double eps, int t) {
    double alpha = lr * sqrt(1.0 - pow(b2, t)) / (1.0 - pow(b1, t));
    for (size_t i = 0; i < n; i++) {
        m[i] = b1 * m[i] + (1.0 - b1) * g[i];
        v[i] = b2 * v[i] + (1.0 - b2) * g[i] * g[i];
        p[i] -= alpha * m[i] / (sqrt(v[i]) + eps);
    }
}

void ref_sgd_step(double *p, const double *g, double *vel, size_t n, double lr, double momentum,
                  int nesterov) {
    for (size_t i = 0; i < n; i++) {
        if (momentum == 0.0) {
            p[i] -= lr * g[i];
            continue;
        }
        vel[i] = momentum * vel[i] - lr * g[i];
        /* Nesterov looks ahead along the updated velocity. */
        p[i] += nesterov ? momentum * vel[i] - lr * g[i] : vel[i];
    }
}

/* eps goes inside the square root (Keras: lr * g / sqrt(a + eps)), unlike Adam's. */
void ref_rmsprop_step(double *p, const double *g, double *acc, double *mom, size_t n, double lr,
                      double rho, double momentum, double eps) {
    for (size_t i = 0; i < n; i++) {
        acc[i] = rho * acc[i] + (1.0 - rho) * g[i] * g[i];
        double increment = lr * g[i] / sqrt(acc[i] + eps);
        if (momentum > 0.0) {
            mom[i] = momentum * mom[i] + increment;
            p[i] -= mom[i];
        } else {
            p[i] -= increment;
        }
    }
}
