/* tune/gp.h: the Gaussian process behind the Bayesian oracle, the log expected improvement it
 * maximizes, and the small bounded L-BFGS both are optimized with.
 *
 * Kernel: ARD Matern-5/2, k(x, y) = sf2 (1 + sqrt5 r + 5/3 r^2) exp(-sqrt5 r) with
 * r^2 = sum_j d_j(x, y)^2 / l_j^2. A numeric dimension's d_j is the difference of unit positions,
 * a categorical one's is 0 or 1 (Hamming), and a dimension active on one side only is 1 apart
 * (both inactive: 0). theta = (log l_1..log l_d, log sf2, log sn2), fitted by maximum a
 * posteriori marginal likelihood with weak log-normal priors, from several starts. The prior
 * mean is 0, the mean of the (warped, standardized) losses. */
#ifndef CLCNN_TUNE_GP_H
#define CLCNN_TUNE_GP_H

#include "tune/oracle_internal.h"

#define TUNE_GP_NTHETA (CLCNN_MAX_HPARAMS + 2) /* length scales, signal and noise variance */

typedef struct tune_gp {
    int n, d;
    int cat[CLCNN_MAX_HPARAMS]; /* 1: compare by equality */
    double *X;                  /* n x d inputs (NAN where inactive) */
    double *y;                  /* n warped, standardized losses */
    double *D2;                 /* per pair a < b and dimension: squared distance */
    double *L;                  /* n x n: Cholesky factor of K + noise */
    double *W;                  /* n x n inverse factor for the gradient, then per pair the
                                   kernel value and its derivative factor */
    double *alpha;              /* n: (K + noise)^-1 y */
    double *work;               /* n */
    double theta[TUNE_GP_NTHETA];
    double inv_l2[CLCNN_MAX_HPARAMS], sf2, sn2;
} tune_gp;

/* Copies X and y; the caller frees with tune_gp_free. */
clcnn_status tune_gp_init(tune_gp *gp, int n, int d, const int *cat, const double *X,
                          const double *y);
void tune_gp_free(tune_gp *gp);

void tune_gp_theta_bounds(int d, double *lo, double *hi);
void tune_gp_theta_default(int d, double *theta);
/* A start drawn from the prior, for multi-start fits. */
void tune_gp_theta_sample(int d, clcnn_rng *rng, double *theta);

/* Negative log posterior of theta (marginal likelihood + priors); fills grad if not NULL.
 * Returns INFINITY where the kernel matrix cannot be factored. */
double tune_gp_objective(tune_gp *gp, const double *theta, double *grad);

/* Fits theta from each start (n_starts x (d + 2)) and keeps the best; leaves the GP factored at
 * it. NUMERIC_ERROR when even a large jitter cannot make the kernel matrix factorable. */
clcnn_status tune_gp_fit(tune_gp *gp, const double *starts, int n_starts, int max_iter);
#define TUNE_GP_FIT_FTOL 1e-6 /* the likelihood to about 1e-4 nats: plenty for the model */

/* Factors the GP at theta for prediction. */
clcnn_status tune_gp_set_theta(tune_gp *gp, const double *theta);

/* Posterior mean and variance of the latent function at x (d inputs); with dmu/dvar not NULL, also
 * their derivatives along the numeric active dimensions (0 elsewhere). work holds 2n doubles. */
void tune_gp_predict(const tune_gp *gp, const double *x, double *mu, double *var, double *dmu,
                     double *dvar, double *work);

/* log EI for minimization below best, from mean and variance; dlei_dmu and dlei_dvar (if not
 * NULL) get its derivatives. Stable far into the tail (Ament et al., NeurIPS 2023). */
double tune_log_ei(double mu, double var, double best, double *dlei_dmu, double *dlei_dvar);

/* The next configuration for the Bayesian oracle: log EI below best (standardized loss) maximized
 * over random candidates and candidates around the anchor trials (indices of the best ones),
 * the best few refined locally; never one already asked. EXHAUSTED when every candidate was. */
typedef struct tune_acq_target {
    double best;       /* the standardized loss to improve on */
    const int *anchor; /* trials the local candidates are drawn around */
    int n_anchors;
    const double *avoid; /* n_avoid unit positions to keep avoid_r away from */
    int n_avoid;
    double avoid_r;
} tune_acq_target;
clcnn_status tune_acq_maximize(clcnn_oracle *o, const tune_gp *gp, const tune_acq_target *t,
                               double *values, double *log_ei);

/* Yeo-Johnson transform of the losses, its lambda fitted by maximum likelihood, then
 * standardization (warp.c): skewed scores (a few diverged runs, a deep narrow optimum) look
 * Gaussian enough for the GP. Monotone, so the best trial stays the best. */
void tune_warp_losses(double *y, int n);

/* Minimizes f over the box [lo, hi] starting from x (updated in place), by L-BFGS with projected
 * steps and a backtracking line search; stops after max_iter steps or when a step gains less than
 * ftol (1 + |f|). Returns the final value. n <= TUNE_GP_NTHETA. */
typedef double (*tune_objective_fn)(const double *x, double *grad, void *ctx);
double tune_lbfgs(tune_objective_fn f, void *ctx, int n, double *x, const double *lo,
                  const double *hi, int max_iter, double ftol);

#endif
