/* tune/log_ei.c: the logarithm of expected improvement, computed so that it stays finite and
 * keeps a useful gradient where EI itself underflows to 0 (far from the incumbent), which is
 * most of the space late in a search (Ament et al., "Unexpected Improvements to Expected
 * Improvement for Bayesian Optimization", NeurIPS 2023).
 *
 * EI = s h(z), z = (best - mu) / s, h(z) = phi(z) + z Phi(z). */
#include <math.h>

#include "tune/gp.h"

#define INV_SQRT2 0.7071067811865476
#define HALF_LOG_2PI 0.9189385332046728
#define SQRT_PI_2 1.2533141373155003 /* sqrt(pi/2) */

/* exp(x^2) erfc(x) for x >= 0; an asymptotic series where exp(x^2) would overflow. */
static double erfcx(double x) {
    if (x < 26) return exp(x * x) * erfc(x);
    double inv = 1 / (2 * x * x), term = 1, sum = 1;
    for (int k = 1; k <= 6; k++) {
        term *= -(2 * k - 1) * inv;
        sum += term;
    }
    return sum / (x * 1.7724538509055159);
}

/* log(1 - exp(x)) for x < 0, accurate for x near 0 and far below. */
static double log1mexp(double x) {
    return x > -0.6931471805599453 ? log(-expm1(x)) : log1p(-exp(x));
}

/* log h(z) and d log h / dz = Phi(z) / h(z). */
static double log_h(double z, double *dlogh) {
    if (z > -1) {
        double cdf = 0.5 * erfc(-z * INV_SQRT2), pdf = exp(-0.5 * z * z - HALF_LOG_2PI);
        double h = pdf + z * cdf;
        *dlogh = cdf / h;
        return log(h);
    }
    if (z < -1e6) { /* h ~ phi(z) / z^2 */
        *dlogh = -z - 2 / z;
        return -0.5 * z * z - HALF_LOG_2PI - 2 * log(-z);
    }
    /* h = phi(z) (1 - |z| m), m = Phi(z)/phi(z) = erfcx(-z/sqrt2) sqrt(pi/2). */
    double m = erfcx(-z * INV_SQRT2) * SQRT_PI_2;
    double l1m = log1mexp(log(-z * m));
    *dlogh = m / exp(l1m);
    return -0.5 * z * z - HALF_LOG_2PI + l1m;
}

double tune_log_ei(double mu, double var, double best, double *dlei_dmu, double *dlei_dvar) {
    double s = sqrt(var), z = (best - mu) / s, dlogh;
    double lei = log(s) + log_h(z, &dlogh);
    if (dlei_dmu) *dlei_dmu = -dlogh / s;
    /* d/dvar of log s + log h(z): 1/(2 var) + dlogh * dz/dvar, dz/dvar = -z / (2 var) */
    if (dlei_dvar) *dlei_dvar = (1 - dlogh * z) / (2 * var);
    return lei;
}
