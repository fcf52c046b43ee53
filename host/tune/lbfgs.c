/* tune/lbfgs.c: a small bounded L-BFGS for the oracle's two smooth problems, fitting the GP's
 * hyperparameters and maximizing the acquisition. Bounds are kept by projection: variables held
 * at a bound by the gradient are frozen for that step, and the line search projects its trial
 * points. Enough for tens of variables; no allocation. */
#include <math.h>
#include <string.h>

#include "tune/gp.h"

#define MEM 8
#define MAXN TUNE_GP_NTHETA

static double dot(const double *a, const double *b, int n) {
    double s = 0;
    for (int i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

/* Zeroes the gradient where a bound stops the variable; returns the largest remaining entry. */
static double free_gradient(const double *x, const double *g, const double *lo, const double *hi,
                            int n, double *pg) {
    double m = 0;
    for (int i = 0; i < n; i++) {
        int held = (x[i] <= lo[i] && g[i] > 0) || (x[i] >= hi[i] && g[i] < 0);
        pg[i] = held ? 0 : g[i];
        m = fmax(m, fabs(pg[i]));
    }
    return m;
}

typedef struct history {
    double s[MEM][MAXN], y[MEM][MAXN], rho[MEM];
    int count, head;
} history;

/* d = -H pg by the two-loop recursion over the stored pairs. */
static void direction(const history *h, const double *pg, int n, double *d) {
    double a[MEM];
    memcpy(d, pg, (size_t)n * sizeof *d);
    for (int k = 0; k < h->count; k++) {
        int j = (h->head - 1 - k + MEM) % MEM;
        a[j] = h->rho[j] * dot(h->s[j], d, n);
        for (int i = 0; i < n; i++)
            d[i] -= a[j] * h->y[j][i];
    }
    if (h->count > 0) {
        int j = (h->head - 1 + MEM) % MEM;
        double gamma = dot(h->s[j], h->y[j], n) / dot(h->y[j], h->y[j], n);
        for (int i = 0; i < n; i++)
            d[i] *= gamma;
    }
    for (int k = h->count - 1; k >= 0; k--) {
        int j = (h->head - 1 - k + MEM) % MEM;
        double b = h->rho[j] * dot(h->y[j], d, n);
        for (int i = 0; i < n; i++)
            d[i] += (a[j] - b) * h->s[j][i];
    }
    for (int i = 0; i < n; i++)
        d[i] = pg[i] == 0 ? 0 : -d[i];
}

static void remember(history *h, const double *s, const double *y, int n) {
    double sy = dot(s, y, n);
    if (!(sy > 1e-12 * sqrt(dot(s, s, n) * dot(y, y, n)))) return; /* keeps H positive */
    memcpy(h->s[h->head], s, (size_t)n * sizeof *s);
    memcpy(h->y[h->head], y, (size_t)n * sizeof *y);
    h->rho[h->head] = 1 / sy;
    h->head = (h->head + 1) % MEM;
    if (h->count < MEM) h->count++;
}

static void project_step(const double *x, const double *d, double t, const double *lo,
                         const double *hi, int n, double *out) {
    for (int i = 0; i < n; i++)
        out[i] = fmin(hi[i], fmax(lo[i], x[i] + t * d[i]));
}

typedef struct point {
    double x[MAXN], g[MAXN], f;
} point;

/* Backtracks from step t along d until the Armijo condition holds; 0 when it never does. */
static int line_search(tune_objective_fn f, void *ctx, int n, const point *p, const double *d,
                       double t, const double *lo, const double *hi, point *next) {
    for (int tries = 0; tries < 30; tries++, t *= 0.5) {
        project_step(p->x, d, t, lo, hi, n, next->x);
        double move = 0, decrease = 0;
        for (int i = 0; i < n; i++) {
            move = fmax(move, fabs(next->x[i] - p->x[i]));
            decrease += p->g[i] * (next->x[i] - p->x[i]);
        }
        if (move == 0) return 0;
        next->f = f(next->x, next->g, ctx);
        if (isfinite(next->f) && next->f <= p->f + 1e-4 * decrease) return 1;
    }
    return 0;
}

double tune_lbfgs(tune_objective_fn f, void *ctx, int n, double *x, const double *lo,
                  const double *hi, int max_iter, double ftol) {
    point p, next;
    history h = {.count = 0};
    double pg[MAXN], d[MAXN], s[MAXN], y[MAXN];
    project_step(x, x, 0, lo, hi, n, p.x);
    p.f = f(p.x, p.g, ctx);
    for (int it = 0; it < max_iter && isfinite(p.f); it++) {
        if (free_gradient(p.x, p.g, lo, hi, n, pg) < 1e-9) break;
        direction(&h, pg, n, d);
        if (dot(d, pg, n) >= 0 || h.count == 0) {
            for (int i = 0; i < n; i++)
                d[i] = -pg[i];
            h.count = 0;
        }
        double dmax = 0;
        for (int i = 0; i < n; i++)
            dmax = fmax(dmax, fabs(d[i]));
        double t = h.count == 0 ? fmin(1.0, 0.1 / dmax) : 1.0; /* first step: 0.1 at most */
        if (!line_search(f, ctx, n, &p, d, t, lo, hi, &next)) {
            if (h.count == 0) break;
            h.count = 0; /* retry along the gradient */
            continue;
        }
        for (int i = 0; i < n; i++) {
            s[i] = next.x[i] - p.x[i];
            y[i] = next.g[i] - p.g[i];
        }
        remember(&h, s, y, n);
        double gain = p.f - next.f;
        p = next;
        if (gain <= ftol * (1 + fabs(p.f))) break;
    }
    memcpy(x, p.x, (size_t)n * sizeof *x);
    return p.f;
}
