/* bench/oracle/objectives.h: the standard test functions of black-box optimization that the
 * oracle benchmark (oracle_compare.c) and the oracle tests (tests/unit/test_oracle_*.c) search:
 * Branin-Hoo and Hartmann-6, with their boxes and minima. Plain C, no clcnn, no cmocka. */
#ifndef CLCNN_OBJECTIVES_H
#define CLCNN_OBJECTIVES_H

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

#endif
