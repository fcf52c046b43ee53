/* bench/oracle/oracle_compare.c: clcnn's side of bench/peer_optuna.py: the oracles (random,
 * bayesian) on the standard Branin and Hartmann-6 functions through the public ask/tell API, and
 * the time one ask takes after N trials. No device is used.
 *
 *   clcnn-oracle-compare regret SEEDS BUDGET_BRANIN BUDGET_HARTMANN [ALGORITHM [PROBLEM]]
 *       CSV problem,algorithm,seed,trial,value: every evaluation, trials counted from 1; only
 *       ALGORITHM (random, bayesian) and PROBLEM (branin, hartmann6) when given, e.g. for the
 *       60-seed Hartmann-6 runs (bench/oracle/summarize.py condenses the CSV)
 *   clcnn-oracle-compare mixed SEEDS BUDGET
 *       CSV algorithm,seed,trial,value: a 6-D mixed space like a CNN's (log float, float, stepped
 *       int, int, 3-way choice, boolean; the minimum is 0), every evaluation
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
#include "objectives.h"

/* Process CPU time: the machine is shared, and wall time would count other people's work. */
static double cpu_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static clcnn_oracle *make_oracle(const objective *p, const char *algorithm, uint64_t seed,
                                 int budget) {
    clcnn_hparam hp[OBJECTIVE_MAX_D];
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
static int run(const objective *p, const char *algorithm, uint64_t seed, int budget, int print,
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

static int cmd_regret(int seeds, int budget_branin, int budget_hartmann, const char *only_algorithm,
                      const char *only_problem) {
    static const char *const algorithms[] = {"random", "bayesian"};
    if (only_algorithm && strcmp(only_algorithm, "random") != 0 &&
        strcmp(only_algorithm, "bayesian") != 0) {
        fprintf(stderr, "oracle_compare: unknown algorithm '%s' (random, bayesian)\n",
                only_algorithm);
        return 2;
    }
    int known = !only_problem;
    for (int k = 0; k < OBJECTIVE_COUNT && !known; k++)
        known = strcmp(only_problem, objectives[k].name) == 0;
    if (!known) {
        fprintf(stderr, "oracle_compare: unknown problem '%s' (branin, hartmann6)\n", only_problem);
        return 2;
    }
    printf("problem,algorithm,seed,trial,value\n");
    for (int k = 0; k < OBJECTIVE_COUNT; k++)
        for (int a = 0; a < 2; a++)
            for (int s = 0; s < seeds; s++) {
                if ((only_algorithm && strcmp(only_algorithm, algorithms[a]) != 0) ||
                    (only_problem && strcmp(only_problem, objectives[k].name) != 0))
                    continue;
                run(&objectives[k], algorithms[a], (uint64_t)s,
                    k == OBJECTIVE_BRANIN ? budget_branin : budget_hartmann, 1, NULL);
                fflush(stdout);
            }
    return 0;
}

static int cmd_mixed(int seeds, int budget) {
    static const char *const algorithms[] = {"random", "bayesian"};
    clcnn_hparam hp[6];
    int d = objective_mixed_space(hp);
    printf("algorithm,seed,trial,value\n");
    for (int a = 0; a < 2; a++)
        for (int s = 0; s < seeds; s++) {
            clcnn_oracle_options opt = clcnn_oracle_options_default();
            opt.algorithm = algorithms[a];
            opt.seed = (uint64_t)s;
            opt.max_trials = budget;
            opt.maximize = 0;
            clcnn_oracle *o = NULL;
            if (clcnn_oracle_create(hp, d, &opt, &o) != CLCNN_STATUS_OK) {
                fprintf(stderr, "oracle_compare: %s\n", clcnn_last_error());
                return 1;
            }
            clcnn_trial_request req;
            for (int n = 1; clcnn_oracle_ask(o, &req) == CLCNN_STATUS_OK; n++) {
                double y = objective_mixed(req.values);
                printf("%s,%d,%d,%.10g\n", algorithms[a], s, n, y);
                clcnn_oracle_tell(o, req.trial_id, y, 0);
            }
            clcnn_oracle_destroy(o);
        }
    return 0;
}

static int cmd_ask_time(int n) {
    printf("algorithm,problem,trials,ask_ms\n");
    double *ms = calloc((size_t)n, sizeof *ms);
    if (!ms || n < 5) return 1;
    for (int k = 0; k < OBJECTIVE_COUNT; k++) {
        int done = run(&objectives[k], "bayesian", 1, n, 0, ms);
        double sum = 0;
        for (int i = done - 5; i < done; i++)
            sum += ms[i];
        printf("bayesian,%s,%d,%.3f\n", objectives[k].name, done, sum / 5);
    }
    free(ms);
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 5 && argc <= 7 && strcmp(argv[1], "regret") == 0)
        return cmd_regret(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), argc > 5 ? argv[5] : NULL,
                          argc > 6 ? argv[6] : NULL);
    if (argc == 4 && strcmp(argv[1], "mixed") == 0) return cmd_mixed(atoi(argv[2]), atoi(argv[3]));
    if (argc == 3 && strcmp(argv[1], "ask-time") == 0) return cmd_ask_time(atoi(argv[2]));
    fprintf(stderr, "usage: clcnn-oracle-compare regret SEEDS BUDGET_BRANIN BUDGET_HARTMANN "
                    "[ALGORITHM [PROBLEM]]\n"
                    "       clcnn-oracle-compare mixed SEEDS BUDGET\n"
                    "       clcnn-oracle-compare ask-time N\n");
    return 2;
}
