/* ref/ref_batchnorm.c: BatchNormalization per channel over (examples, positions),
 * training and inference forms, the training backward pass and the running-statistics update
 * (Keras 3: biased batch variance for both normalizing and the running average). */
#include <math.h>
#include <string.h>

#include "ref.h"

static size_t at(int b, int ch, int p, int c, int spatial) {
    return ((size_t)b * c + ch) * spatial + p;
}

static void moments(const double *x, int n, int c, int spatial, int ch, double *mean, double *var) {
    double m = (double)n * spatial, s = 0, q = 0;
    for (int b = 0; b < n; b++)
        for (int p = 0; p < spatial; p++) s += x[at(b, ch, p, c, spatial)];
    s /= m;
    for (int b = 0; b < n; b++)
        for (int p = 0; p < spatial; p++) q += pow(x[at(b, ch, p, c, spatial)] - s, 2);
    *mean = s;
    *var = q / m;
}

void ref_batchnorm_forward_infer(const double *x, const double *gamma, const double *beta,
                                 const double *mean, const double *var, int n, int c, int spatial,
                                 double eps, double *y) {
    for (int b = 0; b < n; b++)
        for (int ch = 0; ch < c; ch++)
            for (int p = 0; p < spatial; p++) {
                size_t i = at(b, ch, p, c, spatial);
                y[i] = (x[i] - mean[ch]) / sqrt(var[ch] + eps) * gamma[ch] + beta[ch];
            }
}

void ref_batchnorm_forward_train(const double *x, const double *gamma, const double *beta, int n,
                                 int c, int spatial, double eps, double *y, double *mean,
                                 double *var) {
    double mu[c > 0 ? c : 1], v[c > 0 ? c : 1];
    for (int ch = 0; ch < c; ch++) moments(x, n, c, spatial, ch, &mu[ch], &v[ch]);
    ref_batchnorm_forward_infer(x, gamma, beta, mu, v, n, c, spatial, eps, y);
    if (mean) memcpy(mean, mu, (size_t)c * sizeof *mean);
    if (var) memcpy(var, v, (size_t)c * sizeof *var);
}

/* With xhat = (x - mean) s, s = 1/sqrt(var + eps), over the m values of a channel:
 * dbeta = sum dy, dgamma = sum dy xhat, dx = gamma s (dy - dbeta/m - xhat dgamma/m). */
void ref_batchnorm_backward(const double *x, const double *gamma, const double *dy, int n, int c,
                            int spatial, double eps, double *dx, double *dgamma, double *dbeta) {
    double m = (double)n * spatial;
    for (int ch = 0; ch < c; ch++) {
        double mean, var, db = 0, dg = 0;
        moments(x, n, c, spatial, ch, &mean, &var);
        double s = 1.0 / sqrt(var + eps);
        for (int b = 0; b < n; b++)
            for (int p = 0; p < spatial; p++) {
                size_t i = at(b, ch, p, c, spatial);
                db += dy[i];
                dg += dy[i] * (x[i] - mean) * s;
            }
        for (int b = 0; b < n; b++)
            for (int p = 0; p < spatial; p++) {
                size_t i = at(b, ch, p, c, spatial);
                dx[i] = gamma[ch] * s * (dy[i] - db / m - (x[i] - mean) * s * dg / m);
            }
        dgamma[ch] = dg;
        dbeta[ch] = db;
    }
}

void ref_batchnorm_update(double *running_mean, double *running_var, const double *mean,
                          const double *var, int c, double momentum) {
    for (int ch = 0; ch < c; ch++) {
        running_mean[ch] = momentum * running_mean[ch] + (1.0 - momentum) * mean[ch];
        running_var[ch] = momentum * running_var[ch] + (1.0 - momentum) * var[ch];
    }
}
