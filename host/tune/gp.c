/* tune/gp.c: the Gaussian process of the Bayesian oracle: kernel, marginal likelihood with its
 * analytic gradient, multi-start fitting of the hyperparameters, and prediction with gradients
 * for the acquisition's local search. See gp.h for the model. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tune/gp.h"

#define SQRT5 2.23606797749979
#define LOG_2PI 1.8378770664093453
#define JITTER 1e-9 /* relative to sf2, on the diagonal: keeps near-duplicate points factorable */

/* Weak log-normal priors (mean, sd of the log) keep the fit sane with few points: length scales
 * around half the unit box, a signal variance near the standardized data's, little noise. */
#define LS_MAX 20.0
#define LS_MEAN log(0.5)
#define LS_SD 1.0
#define SF2_MEAN 0.0
#define SF2_SD 1.5
#define SN2_MEAN log(1e-4)
#define SN2_SD 3.0

static double pair_dist(double a, double b, int cat) {
    int na = isnan(a), nb = isnan(b);
    if (na || nb) return (na && nb) ? 0.0 : 1.0;
    if (cat) return a != b ? 1.0 : 0.0;
    return a - b;
}

static size_t pairs(int n) {
    return (size_t)n * (size_t)(n - 1) / 2;
}

clcnn_status tune_gp_init(tune_gp *gp, int n, int d, const int *cat, const double *X,
                          const double *y) {
    memset(gp, 0, sizeof *gp);
    gp->n = n;
    gp->d = d;
    memcpy(gp->cat, cat, (size_t)d * sizeof *cat);
    size_t nn = (size_t)n * (size_t)n, np = pairs(n);
    gp->X = malloc((size_t)n * (size_t)d * sizeof *gp->X);
    gp->y = malloc((size_t)n * sizeof *gp->y);
    gp->D2 = malloc((np * (size_t)d + 1) * sizeof *gp->D2);
    gp->L = malloc(nn * sizeof *gp->L);
    gp->W = malloc((nn + 2 * np + 1) * sizeof *gp->W); /* U, then pair kernel values, factors */
    gp->alpha = malloc((size_t)n * sizeof *gp->alpha);
    gp->work = malloc((size_t)n * sizeof *gp->work);
    if (!gp->X || !gp->y || !gp->D2 || !gp->L || !gp->W || !gp->alpha || !gp->work) {
        tune_gp_free(gp);
        return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "gp: out of memory (%d points)", n);
    }
    memcpy(gp->X, X, (size_t)n * (size_t)d * sizeof *X);
    memcpy(gp->y, y, (size_t)n * sizeof *y);
    size_t p = 0;
    for (int a = 0; a < n; a++)
        for (int b = a + 1; b < n; b++, p++)
            for (int j = 0; j < d; j++) {
                double t = pair_dist(X[a * d + j], X[b * d + j], cat[j]);
                gp->D2[p * (size_t)d + (size_t)j] = t * t;
            }
    return CLCNN_STATUS_OK;
}

void tune_gp_free(tune_gp *gp) {
    free(gp->X);
    free(gp->y);
    free(gp->D2);
    free(gp->L);
    free(gp->W);
    free(gp->alpha);
    free(gp->work);
    memset(gp, 0, sizeof *gp);
}

void tune_gp_theta_bounds(int d, double *lo, double *hi) {
    for (int j = 0; j < d; j++) {
        lo[j] = log(0.01);
        hi[j] = log(LS_MAX);
    }
    lo[d] = log(0.01);
    hi[d] = log(100.0);
    lo[d + 1] = log(1e-8);
    hi[d + 1] = log(2.0);
}

void tune_gp_theta_default(int d, double *theta) {
    for (int j = 0; j < d; j++)
        theta[j] = LS_MEAN;
    theta[d] = SF2_MEAN;
    theta[d + 1] = SN2_MEAN;
}

void tune_gp_theta_sample(int d, clcnn_rng *rng, double *theta) {
    double lo[TUNE_GP_NTHETA], hi[TUNE_GP_NTHETA];
    tune_gp_theta_bounds(d, lo, hi);
    for (int j = 0; j < d; j++)
        theta[j] = LS_MEAN + LS_SD * clcnn_rng_normal(rng);
    theta[d] = SF2_MEAN + 0.5 * SF2_SD * clcnn_rng_normal(rng);
    theta[d + 1] = SN2_MEAN + clcnn_rng_normal(rng);
    for (int j = 0; j < d + 2; j++)
        theta[j] = fmin(hi[j], fmax(lo[j], theta[j]));
}

static void set_params(tune_gp *gp, const double *theta) {
    for (int j = 0; j < gp->d; j++)
        gp->inv_l2[j] = exp(-2 * theta[j]);
    gp->sf2 = exp(theta[gp->d]);
    gp->sn2 = exp(theta[gp->d + 1]);
    memcpy(gp->theta, theta, (size_t)(gp->d + 2) * sizeof *theta);
}

/* Matern-5/2 of the scaled distance r: the kernel value and -(dk/dr)/r, the factor every
 * derivative needs (finite at r = 0). */
static double matern(double sf2, double r, double *dfac) {
    double e = exp(-SQRT5 * r);
    if (dfac) *dfac = sf2 * (5.0 / 3.0) * (1 + SQRT5 * r) * e;
    return sf2 * (1 + SQRT5 * r + (5.0 / 3.0) * r * r) * e;
}

/* The lower triangle of K + noise into L (row-major), pair values and factors kept for the
 * gradient. */
static void build_kernel(tune_gp *gp, double jitter, double *kp, double *fp) {
    int n = gp->n, d = gp->d;
    size_t p = 0;
    for (int a = 0; a < n; a++) {
        gp->L[(size_t)a * n + a] = gp->sf2 * (1 + jitter) + gp->sn2;
        for (int b = a + 1; b < n; b++, p++) {
            const double *d2 = gp->D2 + p * (size_t)d;
            double r2 = 0;
            for (int j = 0; j < d; j++)
                r2 += d2[j] * gp->inv_l2[j];
            kp[p] = matern(gp->sf2, sqrt(r2), &fp[p]);
            gp->L[(size_t)b * n + a] = kp[p];
        }
    }
}

/* In-place Cholesky of the lower triangle; 0 when the matrix is not positive definite. */
static int cholesky(double *L, int n) {
    for (int j = 0; j < n; j++) {
        double *lj = L + (size_t)j * n;
        double s = lj[j];
        for (int k = 0; k < j; k++)
            s -= lj[k] * lj[k];
        if (!(s > 0)) return 0;
        lj[j] = sqrt(s);
        for (int i = j + 1; i < n; i++) {
            double *li = L + (size_t)i * n;
            double t = li[j];
            for (int k = 0; k < j; k++)
                t -= li[k] * lj[k];
            li[j] = t / lj[j];
        }
    }
    return 1;
}

static void solve_lower(const double *L, int n, const double *b, double *x) {
    for (int i = 0; i < n; i++) {
        const double *li = L + (size_t)i * n;
        double t = b[i];
        for (int k = 0; k < i; k++)
            t -= li[k] * x[k];
        x[i] = t / li[i];
    }
}

static void solve_upper_t(const double *L, int n, const double *b, double *x) {
    for (int i = n - 1; i >= 0; i--) {
        double t = b[i];
        for (int k = i + 1; k < n; k++)
            t -= L[(size_t)k * n + i] * x[k];
        x[i] = t / L[(size_t)i * n + i];
    }
}

/* Factors K + noise at the current parameters and solves for alpha; 0 when not factorable. The
 * prior mean is 0, the mean of the standardized losses. */
static int factor(tune_gp *gp, double jitter) {
    size_t nn = (size_t)gp->n * gp->n, np = pairs(gp->n);
    build_kernel(gp, jitter, gp->W + nn, gp->W + nn + np);
    if (!cholesky(gp->L, gp->n)) return 0;
    solve_lower(gp->L, gp->n, gp->y, gp->work);
    solve_upper_t(gp->L, gp->n, gp->work, gp->alpha);
    return 1;
}

/* Row a of U = L^-T (upper triangular), so K^-1[a][b] = U[a][b..] . U[b][b..] reads rows. */
static void invert_factor(const tune_gp *gp, double *U) {
    int n = gp->n;
    for (int a = 0; a < n; a++) {
        double *u = U + (size_t)a * n;
        u[a] = 1 / gp->L[(size_t)a * n + a];
        for (int k = a + 1; k < n; k++) {
            const double *lk = gp->L + (size_t)k * n;
            double t = 0;
            for (int m = a; m < k; m++)
                t += lk[m] * u[m];
            u[k] = -t / lk[k];
        }
    }
}

static double inv_entry(const double *U, int n, int a, int b) {
    const double *ua = U + (size_t)a * n, *ub = U + (size_t)b * n;
    double s = 0;
    for (int k = b; k < n; k++)
        s += ua[k] * ub[k];
    return s;
}

/* Gradient of the log marginal likelihood: 1/2 tr((alpha alpha^T - K^-1) dK/dtheta). */
static void likelihood_gradient(tune_gp *gp, double *grad) {
    int n = gp->n, d = gp->d;
    size_t nn = (size_t)n * n, np = pairs(n), p = 0;
    const double *kp = gp->W + nn, *fp = gp->W + nn + np, *al = gp->alpha;
    invert_factor(gp, gp->W);
    memset(grad, 0, (size_t)(d + 2) * sizeof *grad);
    for (int a = 0; a < n; a++) {
        double w = al[a] * al[a] - inv_entry(gp->W, n, a, a);
        grad[d] += 0.5 * w * gp->sf2;
        grad[d + 1] += 0.5 * w * gp->sn2;
        for (int b = a + 1; b < n; b++, p++) {
            w = al[a] * al[b] - inv_entry(gp->W, n, a, b); /* pairs count twice: no 1/2 */
            grad[d] += w * kp[p];
            double wf = w * fp[p];
            const double *d2 = gp->D2 + p * (size_t)d;
            for (int j = 0; j < d; j++)
                grad[j] += wf * d2[j];
        }
    }
    for (int j = 0; j < d; j++)
        grad[j] *= gp->inv_l2[j];
}

static double prior_term(double t, double mean, double sd, double *g) {
    double z = (t - mean) / sd;
    *g += z / sd;
    return 0.5 * z * z;
}

double tune_gp_objective(tune_gp *gp, const double *theta, double *grad) {
    set_params(gp, theta);
    if (!factor(gp, JITTER)) return INFINITY;
    int n = gp->n, d = gp->d;
    double nll = 0.5 * n * LOG_2PI;
    for (int i = 0; i < n; i++)
        nll += 0.5 * gp->y[i] * gp->alpha[i] + log(gp->L[(size_t)i * n + i]);
    double g[TUNE_GP_NTHETA] = {0};
    if (grad) {
        likelihood_gradient(gp, g);
        for (int j = 0; j < d + 2; j++)
            g[j] = -g[j];
    }
    for (int j = 0; j < d; j++)
        nll += prior_term(theta[j], LS_MEAN, LS_SD, &g[j]);
    nll += prior_term(theta[d], SF2_MEAN, SF2_SD, &g[d]);
    nll += prior_term(theta[d + 1], SN2_MEAN, SN2_SD, &g[d + 1]);
    if (grad) memcpy(grad, g, (size_t)(d + 2) * sizeof *g);
    return nll;
}

static double objective_cb(const double *theta, double *grad, void *ctx) {
    return tune_gp_objective(ctx, theta, grad);
}

clcnn_status tune_gp_set_theta(tune_gp *gp, const double *theta) {
    set_params(gp, theta);
    for (double jitter = JITTER; jitter < 1; jitter *= 10)
        if (factor(gp, jitter)) return CLCNN_STATUS_OK;
    return clcnn_fail(CLCNN_STATUS_NUMERIC_ERROR, "gp: kernel matrix is not positive definite");
}

clcnn_status tune_gp_fit(tune_gp *gp, const double *starts, int n_starts, int max_iter) {
    int k = gp->d + 2;
    double lo[TUNE_GP_NTHETA], hi[TUNE_GP_NTHETA], x[TUNE_GP_NTHETA], best[TUNE_GP_NTHETA];
    double best_f = INFINITY;
    tune_gp_theta_bounds(gp->d, lo, hi);
    for (int s = 0; s < n_starts; s++) {
        memcpy(x, starts + (size_t)s * k, (size_t)k * sizeof *x);
        double f = tune_lbfgs(objective_cb, gp, k, x, lo, hi, max_iter, TUNE_GP_FIT_FTOL);
        if (f < best_f) {
            best_f = f;
            memcpy(best, x, (size_t)k * sizeof *x);
        }
    }
    if (!isfinite(best_f)) memcpy(best, starts, (size_t)k * sizeof *best);
    return tune_gp_set_theta(gp, best);
}

static double scaled_r2(const tune_gp *gp, const double *x, const double *xi) {
    double r2 = 0;
    for (int j = 0; j < gp->d; j++) {
        double t = pair_dist(x[j], xi[j], gp->cat[j]);
        r2 += t * t * gp->inv_l2[j];
    }
    return r2;
}

/* d mu/dx and d var/dx from alpha and K^-1 k (in kinv_k): only numeric dimensions active on both
 * sides move the kernel. */
static void predict_derivatives(const tune_gp *gp, const double *x, const double *kinv_k,
                                double *dmu, double *dvar) {
    int d = gp->d;
    for (int j = 0; j < d; j++)
        dmu[j] = dvar[j] = 0;
    for (int i = 0; i < gp->n; i++) {
        const double *xi = gp->X + (size_t)i * d;
        double fac;
        matern(gp->sf2, sqrt(scaled_r2(gp, x, xi)), &fac);
        for (int j = 0; j < d; j++) {
            if (gp->cat[j] || isnan(x[j]) || isnan(xi[j])) continue;
            double dk = -fac * (x[j] - xi[j]) * gp->inv_l2[j];
            dmu[j] += gp->alpha[i] * dk;
            dvar[j] -= 2 * kinv_k[i] * dk;
        }
    }
}

void tune_gp_predict(const tune_gp *gp, const double *x, double *mu, double *var, double *dmu,
                     double *dvar, double *work) {
    int n = gp->n;
    double *k = work, *v = work + n, m = 0, vv = 0;
    for (int i = 0; i < n; i++) {
        k[i] = matern(gp->sf2, sqrt(scaled_r2(gp, x, gp->X + (size_t)i * gp->d)), NULL);
        m += k[i] * gp->alpha[i];
    }
    solve_lower(gp->L, n, k, v);
    for (int i = 0; i < n; i++)
        vv += v[i] * v[i];
    *mu = m;
    *var = fmax(gp->sf2 - vv, 1e-12 * gp->sf2); /* rounding can take it below 0 at the data */
    if (!dmu) return;
    solve_upper_t(gp->L, n, v, v);
    predict_derivatives(gp, x, v, dmu, dvar);
    if (*var <= 1e-12 * gp->sf2) /* clamped: flat */
        for (int j = 0; j < gp->d; j++)
            dvar[j] = 0;
}
