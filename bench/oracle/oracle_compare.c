/* bench/oracle/oracle_compare.c: clcnn's side of bench/peer_optuna.py: the oracles (random,
 * bayesian) on the standard Branin and Hartmann-6 functions through the public ask/tell API, and
 * the time one ask takes after N trials. No device is used.
 *
 *   clcnn-oracle-compare regret SEEDS BUDGET_BRANIN BUDGET_HARTMANN
 *       CSV problem,algorithm,seed,trial,value: every evaluation, trials counted from 1
 *   clcnn-oracle-compare ask-time N
 *       CSV algorithm,problem,trials,ask_ms: the mean CPU time of the last 5 asks of an N-trial
 *       search (every earlier trial told) */
#define _POSIX_C_SOURCE 200809L /* clock_gettime under -std=c11 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clcnn/oracle.h"

#define MAX_D 6

typedef struct problem {
    const char *name;
    int d;
    double lo[MAX_D], hi[MAX_D];
    double (*f)(const double *x);
} problem;

/* Branin-Hoo on [-5, 10] x [0, 15]; minimum 0.397887 at three points. */
static double branin(const double *x) {
    const double pi = 3.14159265358979323846;
    double b = 5.1 / (4 * pi * pi), c = 5 / pi, t = 1 / (8 * pi);
    double u = x[1] - b * x[0] * x[0] + c * x[0] - 6;
    return u * u + 10 * (1 - t) * cos(x[0]) + 10;
}

/* Hartmann-6 on [0, 1]^6; minimum -3.32237. */
static double hartmann6(const double *x) {
    static const double alpha[4] = {1.0, 1.2, 3.0, 3.2};
    static const double A[4][6] = {{10, 3, 17, 3.5, 1.7, 8},
                                   {0.05, 10, 17, 0.1, 8, 14},
                                   {3, 3.5, 1.7, 10, 17, 8},
                                   {17, 8, 0.05, 10, 0.1, 14}};
    static const double P[4][6] = {{1312, 1696, 5569, 124, 8283, 5886},
                                   {2329, 4135, 8307, 3736, 1004, 9991},
                                   {2348, 1451, 3522, 2883, 3047, 6650},
                                   {4047, 8828, 8732, 5743, 1091, 381}};
    double f = 0;
    for (int i = 0; i < 4; i++) {
        double s = 0;
        for (int j = 0; j < 6; j++)
            s += A[i][j] * (x[j] - 1e-4 * P[i][j]) * (x[j] - 1e-4 * P[i][j]);
        f -= alpha[i] * exp(-s);
    }
    return f;
}

static const problem problems[] = {
    {"branin", 2, {-5, 0}, {10, 15}, branin},
    {"hartmann6", 6, {0, 0, 0, 0, 0, 0}, {1, 1, 1, 1, 1, 1}, hartmann6},
};

/* Process CPU time: the machine is shared, and wall time would count other people's work. */
static double cpu_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static clcnn_oracle *make_oracle(const problem *p, const char *algorithm, uint64_t seed,
                                 int budget) {
    clcnn_hparam hp[MAX_D];
    for (int j = 0; j < p->d; j++) {
        clcnn_hparam_default(&hp[j]);
        snprintf(hp[j].name, sizeof hp[j].name, "x%d", j);
        hp[j].type = CLCNN_HP_FLOAT;
        hp[j].step = 0;
        hp[j].min = p->lo[j];
        hp[j].max = p->hi[j];
    }
    clcnn_oracle_options opt = clcnn_oracle_options_default();
    opt.algorithm = algorithm;
    opt.seed = seed;
    opt.max_trials = budget;
    opt.maximize = 0;
    clcnn_oracle *o = NULL;
    if (clcnn_oracle_create(hp, p->d, &opt, &o) != CLCNN_STATUS_OK) {
        fprintf(stderr, "oracle_compare: %s\n", clcnn_last_error());
        exit(1);
    }
    return o;
}

/* One search; prints every evaluation. *ask_ms gets the time of each ask when non-NULL. */
static int run(const problem *p, const char *algorithm, uint64_t seed, int budget, int print,
               double *ask_ms) {
    clcnn_oracle *o = make_oracle(p, algorithm, seed, budget);
    clcnn_trial_request req;
    int n = 0;
    for (;;) {
        double t0 = cpu_ms();
        clcnn_status s = clcnn_oracle_ask(o, &req);
        if (s != CLCNN_STATUS_OK) break;
        if (ask_ms) ask_ms[n] = cpu_ms() - t0;
        double y = p->f(req.values);
        if (print)
            printf("%s,%s,%llu,%d,%.10g\n", p->name, algorithm, (unsigned long long)seed, n + 1, y);
        clcnn_oracle_tell(o, req.trial_id, y, 0);
        n++;
    }
    clcnn_oracle_destroy(o);
    return n;
}

static int cmd_regret(int seeds, int budget_branin, int budget_hartmann) {
    static const char *const algorithms[] = {"random", "bayesian"};
    printf("problem,algorithm,seed,trial,value\n");
    for (int k = 0; k < 2; k++)
        for (int a = 0; a < 2; a++)
            for (int s = 0; s < seeds; s++) {
                run(&problems[k], algorithms[a], (uint64_t)s,
                    k == 0 ? budget_branin : budget_hartmann, 1, NULL);
                fflush(stdout);
            }
    return 0;
}

static int cmd_ask_time(int n) {
    printf("algorithm,problem,trials,ask_ms\n");
    double *ms = calloc((size_t)n, sizeof *ms);
    if (!ms || n < 5) return 1;
    for (int k = 0; k < 2; k++) {
        int done = run(&problems[k], "bayesian", 1, n, 0, ms);
        double sum = 0;
        for (int i = done - 5; i < done; i++)
            sum += ms[i];
        printf("bayesian,%s,%d,%.3f\n", problems[k].name, done, sum / 5);
    }
    free(ms);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 5 && strcmp(argv[1], "regret") == 0)
        return cmd_regret(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]));
    if (argc == 3 && strcmp(argv[1], "ask-time") == 0) return cmd_ask_time(atoi(argv[2]));
    fprintf(stderr, "usage: clcnn-oracle-compare regret SEEDS BUDGET_BRANIN BUDGET_HARTMANN\n"
                    "       clcnn-oracle-compare ask-time N\n");
    return 2;
}
