/* tests/unit/test_oracle_gp.c: the Bayesian oracle's numerical parts against finite differences
 * and closed forms: the GP's negative log posterior and its gradient (numeric, categorical and
 * inactive dimensions), the posterior's derivatives along the inputs, log EI far into its tail,
 * the output warping, and the bounded L-BFGS. Uses the internal header host/tune/gp.h. */
#include "test_oracle_common.h"
#include "tune/gp.h"

#define N 23
#define PI 3.14159265358979323846
#define D 4 /* two numeric, one categorical, one numeric that is sometimes inactive */

static void make_data(double *X, double *y, int *cat) {
    clcnn_rng rng;
    clcnn_rng_seed(&rng, 99);
    cat[0] = cat[1] = cat[3] = 0;
    cat[2] = 1;
    for (int i = 0; i < N; i++) {
        double *x = X + i * D;
        x[0] = clcnn_rng_uniform(&rng);
        x[1] = clcnn_rng_uniform(&rng);
        x[2] = (double)clcnn_rng_below(&rng, 3);
        x[3] = i % 3 ? clcnn_rng_uniform(&rng) : NAN;
        y[i] = sin(6 * x[0]) + x[1] * x[1] + 0.3 * x[2] + (isnan(x[3]) ? 0.5 : x[3]);
    }
    tune_warp_losses(y, N);
}

/* Central differences of the objective, relative error per component. */
static void test_objective_gradient(void **state) {
    (void)state;
    double X[N * D], y[N], theta[D + 2], grad[D + 2];
    int cat[D];
    make_data(X, y, cat);
    tune_gp gp;
    assert_int_equal(tune_gp_init(&gp, N, D, cat, X, y), CLCNN_STATUS_OK);
    double start[D + 2] = {log(0.3), log(0.8), log(1.2), log(0.5), log(1.3), log(1e-3)};
    memcpy(theta, start, sizeof theta);
    double f = tune_gp_objective(&gp, theta, grad);
    assert_true(isfinite(f));
    for (int j = 0; j < D + 2; j++) {
        double h = 1e-5, tp[D + 2], tm[D + 2];
        memcpy(tp, theta, sizeof tp);
        memcpy(tm, theta, sizeof tm);
        tp[j] += h;
        tm[j] -= h;
        double num =
            (tune_gp_objective(&gp, tp, NULL) - tune_gp_objective(&gp, tm, NULL)) / (2 * h);
        if (fabs(num - grad[j]) > 1e-5 * (1 + fabs(num)))
            fail_msg("d objective / d theta[%d]: analytic %.9g, numeric %.9g", j, grad[j], num);
    }
    /* a fit lowers the objective from its start and keeps the GP usable */
    assert_int_equal(tune_gp_fit(&gp, start, 1, 100), CLCNN_STATUS_OK);
    assert_true(tune_gp_objective(&gp, gp.theta, NULL) < f);
    tune_gp_free(&gp);
}

/* log EI of the posterior at x, and its gradient along the numeric active dimensions. */
static double log_ei_at(const tune_gp *gp, const double *x, double best, double *grad) {
    double mu, var, dmu[D], dvar[D], gm, gv, work[3 * N];
    tune_gp_predict(gp, x, &mu, &var, grad ? dmu : NULL, grad ? dvar : NULL, work);
    double lei = tune_log_ei(mu, var, best, &gm, &gv);
    if (grad)
        for (int j = 0; j < D; j++)
            grad[j] = gm * dmu[j] + gv * dvar[j];
    return lei;
}

static void test_prediction_gradient(void **state) {
    (void)state;
    double X[N * D], y[N];
    int cat[D];
    make_data(X, y, cat);
    tune_gp gp;
    assert_int_equal(tune_gp_init(&gp, N, D, cat, X, y), CLCNN_STATUS_OK);
    double theta[D + 2] = {log(0.3), log(0.8), log(1.2), log(0.5), log(1.3), log(1e-3)};
    assert_int_equal(tune_gp_set_theta(&gp, theta), CLCNN_STATUS_OK);
    double best = -1.5; /* below the data: far into log EI's tail at some points */
    double points[3][D] = {{0.31, 0.77, 1, 0.4}, {0.9, 0.1, 2, NAN}, {0.05, 0.5, 0, 0.95}};
    for (int p = 0; p < 3; p++) {
        double grad[D];
        log_ei_at(&gp, points[p], best, grad);
        for (int j = 0; j < D; j++) {
            if (cat[j] || isnan(points[p][j])) {
                assert_true(grad[j] == 0);
                continue;
            }
            double h = 1e-6, xp[D], xm[D];
            memcpy(xp, points[p], sizeof xp);
            memcpy(xm, points[p], sizeof xm);
            xp[j] += h;
            xm[j] -= h;
            double num =
                (log_ei_at(&gp, xp, best, NULL) - log_ei_at(&gp, xm, best, NULL)) / (2 * h);
            if (fabs(num - grad[j]) > 1e-4 * (1 + fabs(num)))
                fail_msg("point %d: d logEI / dx[%d]: analytic %.9g, numeric %.9g", p, j, grad[j],
                         num);
        }
    }
    /* at a data point the latent variance is about the noise: the mean is near the target */
    double mu, var, work[3 * N];
    tune_gp_predict(&gp, X, &mu, &var, NULL, NULL, work);
    assert_true(fabs(mu - y[0]) < 0.1);
    tune_gp_free(&gp);
}

/* log EI against log of the closed form where that is accurate, and smooth, finite and
 * decreasing far below, where EI itself underflows. */
static void test_log_ei(void **state) {
    (void)state;
    for (double z = -20; z <= 5; z += 0.25) {
        double ei = z * 0.5 * erfc(-z / sqrt(2)) + exp(-z * z / 2) / sqrt(2 * PI);
        double dmu, dvar, lei = tune_log_ei(-z, 1.0, 0.0, &dmu, &dvar);
        if (fabs(lei - log(ei)) > 1e-9 * fabs(log(ei)) + 1e-12)
            fail_msg("log EI at z = %g: %.15g, want %.15g", z, lei, log(ei));
        double h = 1e-6; /* d/dmu by differences */
        double num = (tune_log_ei(-z + h, 1.0, 0.0, NULL, NULL) -
                      tune_log_ei(-z - h, 1.0, 0.0, NULL, NULL)) /
                     (2 * h);
        if (fabs(num - dmu) > 1e-5 * (1 + fabs(num)))
            fail_msg("d log EI / d mu at z = %g: %.9g, want %.9g", z, dmu, num);
        num = (tune_log_ei(-z, 1.0 + h, 0.0, NULL, NULL) -
               tune_log_ei(-z, 1.0 - h, 0.0, NULL, NULL)) /
              (2 * h);
        if (fabs(num - dvar) > 1e-5 * (1 + fabs(num)))
            fail_msg("d log EI / d var at z = %g: %.9g, want %.9g", z, dvar, num);
    }
    double prev = 0;
    for (double z = -30; z > -1e8; z *= 1.7) {
        double lei = tune_log_ei(-z, 1.0, 0.0, NULL, NULL);
        assert_true(isfinite(lei) && lei < prev);
        /* the tail: log EI ~ -z^2/2 - log(sqrt(2 pi)) - 2 log|z| */
        double tail = -z * z / 2 - 0.5 * log(2 * PI) - 2 * log(-z);
        assert_true(fabs(lei - tail) < 3.5 / (z * z) + 1e-12 * fabs(tail));
        prev = lei;
    }
}

/* Warped losses are standardized and in the same order; a huge outlier does not squash the rest. */
static void test_warp(void **state) {
    (void)state;
    double y[20], w[20];
    for (int i = 0; i < 20; i++)
        y[i] = w[i] = i == 7 ? 1e6 : 0.1 * i;
    tune_warp_losses(w, 20);
    double mean = 0, var = 0;
    for (int i = 0; i < 20; i++)
        mean += w[i] / 20;
    for (int i = 0; i < 20; i++)
        var += (w[i] - mean) * (w[i] - mean) / 20;
    assert_true(fabs(mean) < 1e-9 && fabs(var - 1) < 1e-9);
    for (int i = 0; i < 20; i++)
        for (int j = 0; j < 20; j++)
            if (y[i] < y[j]) assert_true(w[i] < w[j]);
    assert_true(w[19] - w[0] > 0.5); /* plain standardization would leave them 0.002 apart */
}

static double rosenbrock(const double *x, double *g, void *ctx) {
    (void)ctx;
    double a = 1 - x[0], b = x[1] - x[0] * x[0];
    g[0] = -2 * a - 400 * x[0] * b;
    g[1] = 200 * b;
    return a * a + 100 * b * b;
}

static void test_lbfgs(void **state) {
    (void)state;
    double x[2] = {-1.2, 1}, lo[2] = {-2, -2}, hi[2] = {2, 2};
    double f = tune_lbfgs(rosenbrock, NULL, 2, x, lo, hi, 200, 1e-14);
    assert_true(f < 1e-10 && fabs(x[0] - 1) < 1e-4 && fabs(x[1] - 1) < 1e-4);
    double lo2[2] = {-2, -2}, hi2[2] = {0.5, 2}; /* the optimum outside: stops on the bound */
    x[0] = -1.2, x[1] = 1;
    tune_lbfgs(rosenbrock, NULL, 2, x, lo2, hi2, 200, 1e-14);
    assert_true(fabs(x[0] - 0.5) < 1e-9 && fabs(x[1] - 0.25) < 1e-3);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_objective_gradient),
        cmocka_unit_test(test_prediction_gradient),
        cmocka_unit_test(test_log_ei),
        cmocka_unit_test(test_warp),
        cmocka_unit_test(test_lbfgs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
