/* bench/oracle/objectives.h: the standard test functions of black-box optimization that the
 * oracle benchmark (oracle_compare.c) and the oracle tests (tests/unit/test_oracle_*.c) search:
 * Branin-Hoo and Hartmann-6, with their boxes and minima; and a mixed space like a CNN's with a
 * smooth objective over it. No cmocka. */
#ifndef CLCNN_OBJECTIVES_H
#define CLCNN_OBJECTIVES_H

#include "clcnn/oracle.h"

#define OBJECTIVE_MAX_D 6

typedef struct objective {
    const char *name;
    int d;                                           /* dimensions */
    double lo[OBJECTIVE_MAX_D], hi[OBJECTIVE_MAX_D]; /* the search box */
    double fmin;                                     /* the global minimum */
    double (*f)(const double *x);
} objective;

enum { OBJECTIVE_BRANIN, OBJECTIVE_HARTMANN6, OBJECTIVE_COUNT };

/* Branin-Hoo on [-5, 10] x [0, 15] (minimum 0.397887 at three points), then Hartmann-6 on
 * [0, 1]^6 (minimum -3.32237), in the order of the enum above. */
extern const objective objectives[OBJECTIVE_COUNT];

/* A hyperparameter with its defaults but these fields. */
clcnn_hparam objective_hp(const char *name, clcnn_hp_type type, double min, double max,
                          double step);
/* A 6-D mixed space: learning rate (log float), dropout (float), units (int by 16), layers (int
 * 1-5), activation (3-way choice), batch norm (boolean). Fills hp[6]; returns 6. */
int objective_mixed_space(clcnn_hparam *hp);
/* A smooth objective over it, minimum 0 (lr 10^-2.5, dropout 0.2, 128 units, 3 layers, choice 0
 * or 2, batch norm on). */
double objective_mixed(const double *v);

#endif
