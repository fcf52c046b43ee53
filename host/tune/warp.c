/* tune/warp.c: the output warping of the Bayesian oracle. Scores are rarely Gaussian: a few
 * diverged runs dwarf the rest, or a deep narrow optimum sits far below a flat plateau. A GP fitted
 * to such data gets its amplitude and length scales wrong. A Yeo-Johnson power transform with
 * lambda chosen by maximum likelihood (as HEBO does, Cowen-Rivers et al., JAIR 2022) makes them
 * look Gaussian first; being monotone, it keeps the order of the trials. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tune/gp.h"

#define LAMBDA_LO -2.0
#define LAMBDA_HI 4.0
#define GOLDEN_STEPS 40

static double yeo_johnson(double x, double lambda) {
    if (x >= 0) return fabs(lambda) < 1e-9 ? log1p(x) : (pow(x + 1, lambda) - 1) / lambda;
    return fabs(lambda - 2) < 1e-9 ? -log1p(-x) : -(pow(1 - x, 2 - lambda) - 1) / (2 - lambda);
}

/* Profile log-likelihood of lambda: Gaussian fit of the transformed data plus the Jacobian. */
static double log_likelihood(const double *x, int n, double lambda) {
    double mean = 0, var = 0, jac = 0;
    for (int i = 0; i < n; i++)
        mean += yeo_johnson(x[i], lambda) / n;
    for (int i = 0; i < n; i++) {
        double t = yeo_johnson(x[i], lambda) - mean;
        var += t * t / n;
        jac += copysign(1.0, x[i]) * log1p(fabs(x[i]));
    }
    if (!(var > 0)) return -INFINITY;
    return -0.5 * n * log(var) + (lambda - 1) * jac;
}

/* Golden-section search of the likelihood's maximum over lambda. */
static double fit_lambda(const double *x, int n) {
    const double g = 0.6180339887498949;
    double lo = LAMBDA_LO, hi = LAMBDA_HI;
    double a = hi - g * (hi - lo), b = lo + g * (hi - lo);
    double fa = log_likelihood(x, n, a), fb = log_likelihood(x, n, b);
    for (int it = 0; it < GOLDEN_STEPS; it++) {
        if (fa > fb) {
            hi = b, b = a, fb = fa;
            a = hi - g * (hi - lo);
            fa = log_likelihood(x, n, a);
        } else {
            lo = a, a = b, fa = fb;
            b = lo + g * (hi - lo);
            fb = log_likelihood(x, n, b);
        }
    }
    return 0.5 * (lo + hi);
}

/* Mean 0, standard deviation 1 (left as is when all values are equal). */
static void standardize(double *y, int n) {
    double mean = 0, var = 0;
    for (int i = 0; i < n; i++)
        mean += y[i] / n;
    for (int i = 0; i < n; i++)
        var += (y[i] - mean) * (y[i] - mean) / n;
    double sd = var > 0 ? sqrt(var) : 1;
    for (int i = 0; i < n; i++)
        y[i] = (y[i] - mean) / sd;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : (x > y);
}

/* Centres on the median and scales by the interquartile range (by the standard deviation if
 * that is 0), so one huge outlier stays huge instead of squashing the rest together, and the
 * power transform can pull it in. */
static void robust_scale(double *y, int n, double *sorted) {
    memcpy(sorted, y, (size_t)n * sizeof *y);
    qsort(sorted, (size_t)n, sizeof *sorted, by_value);
    double median = sorted[n / 2], iqr = sorted[(3 * n) / 4] - sorted[n / 4];
    if (iqr > 0)
        for (int i = 0; i < n; i++)
            y[i] = (y[i] - median) / iqr;
    else
        standardize(y, n);
}

/* The transform of the scaled losses; none when it would overflow. */
static void transform(double *y, int n) {
    double lambda = fit_lambda(y, n);
    for (int i = 0; i < n; i++)
        if (!isfinite(yeo_johnson(y[i], lambda))) return;
    for (int i = 0; i < n; i++)
        y[i] = yeo_johnson(y[i], lambda);
}

void tune_warp_losses(double *y, int n) {
    double *sorted = n >= 3 ? malloc((size_t)n * sizeof *sorted) : NULL;
    if (sorted) { /* too few points (or no memory) to fit a transform: plain standardization */
        robust_scale(y, n, sorted); /* Yeo-Johnson is not scale-free */
        transform(y, n);
        free(sorted);
    }
    standardize(y, n);
}
