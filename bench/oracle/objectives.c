/* bench/oracle/objectives.c: see objectives.h. */
#include <math.h>
#include <stdio.h>

#include "objectives.h"

static double branin(const double *x) {
    const double pi = 3.14159265358979323846;
    double b = 5.1 / (4 * pi * pi), c = 5 / pi, t = 1 / (8 * pi);
    double u = x[1] - b * x[0] * x[0] + c * x[0] - 6;
    return u * u + 10 * (1 - t) * cos(x[0]) + 10;
}

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

const objective objectives[OBJECTIVE_COUNT] = {
    [OBJECTIVE_BRANIN] = {"branin", 2, {-5, 0}, {10, 15}, 0.39788735772973816, branin},
    [OBJECTIVE_HARTMANN6] =
        {"hartmann6", 6, {0, 0, 0, 0, 0, 0}, {1, 1, 1, 1, 1, 1}, -3.3223680114155147, hartmann6},
};

clcnn_hparam objective_hp(const char *name, clcnn_hp_type type, double min, double max,
                          double step) {
    clcnn_hparam hp;
    clcnn_hparam_default(&hp);
    snprintf(hp.name, sizeof hp.name, "%s", name);
    hp.type = type;
    hp.min = min;
    hp.max = max;
    hp.step = step;
    return hp;
}

int objective_mixed_space(clcnn_hparam *hp) {
    hp[0] = objective_hp("lr", CLCNN_HP_FLOAT, 1e-5, 1e-1, 0);
    hp[0].log = 1;
    hp[1] = objective_hp("dropout", CLCNN_HP_FLOAT, 0, 0.6, 0);
    hp[2] = objective_hp("units", CLCNN_HP_INT, 16, 512, 16);
    hp[3] = objective_hp("layers", CLCNN_HP_INT, 1, 5, 1);
    hp[4] = objective_hp("act", CLCNN_HP_CHOICE, 0, 0, 0);
    hp[4].n_choices = 3;
    hp[5] = objective_hp("batchnorm", CLCNN_HP_BOOLEAN, 0, 0, 0);
    return 6;
}

double objective_mixed(const double *v) {
    double f = pow(log10(v[0]) + 2.5, 2) + 2 * pow(v[1] - 0.2, 2) + pow(log2(v[2] / 128), 2) / 4;
    return f + 0.1 * fabs(v[3] - 3) + (v[4] == 1 ? 0.3 : 0) + (v[5] ? 0 : 0.2);
}
