/* clcnn/hparam.h: one hyperparameter: its type, its definition and the rules it is held to.
 *
 * The rules live in one module (host/tune/hparam.c): the config loader checks every declaration
 * with clcnn_hparam_check when a file is read (so a bad range is an error at file:line:column,
 * not in `clcnn tune`), and the oracle checks its search space with the same call. A clcnn_hparam
 * owns no resources: copy it with `=`. */
#ifndef CLCNN_HPARAM_H
#define CLCNN_HPARAM_H

#include "clcnn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CLCNN_HP_NAME_MAX 64
#define CLCNN_HP_MAX_CHOICES 32
#define CLCNN_HP_CHOICE_STR_MAX 32
#define CLCNN_HP_MAX_PARENT_VALUES 8
#define CLCNN_MAX_HPARAMS 32 /* hyperparameters in one search space */

/* The value grid of INT and of FLOAT with step > 0 is min, min + step, min + 2 step, ... <= max
 * (additive steps also with log = 1; log then only makes sampling log-uniform and the Bayesian
 * model see the grid on a log scale). */
typedef enum clcnn_hp_type {
    CLCNN_HP_INT,     /* min..max by step (step >= 1), optionally log-sampled */
    CLCNN_HP_FLOAT,   /* min..max; step > 0 makes it discrete; log samples on a log scale */
    CLCNN_HP_CHOICE,  /* one of n_choices values (numbers or strings); unordered */
    CLCNN_HP_BOOLEAN, /* 0 or 1 */
    CLCNN_HP_TYPE_COUNT
} clcnn_hp_type;

/* The type's name as configs and oracle.json write it ("int", "float", "choice", "boolean");
 * NULL for a value outside the enum. */
CLCNN_API const char *clcnn_hp_type_name(clcnn_hp_type type);
/* The type of a name; CLCNN_HP_TYPE_COUNT when name is none of them (or NULL). */
CLCNN_API clcnn_hp_type clcnn_hp_type_parse(const char *name);

typedef struct clcnn_hparam {
    char name[CLCNN_HP_NAME_MAX];
    clcnn_hp_type type;
    double min, max, step;                /* INT and FLOAT */
    int log;                              /* INT and FLOAT: sample log-uniformly (min > 0) */
    int n_choices;                        /* CHOICE */
    double choices[CLCNN_HP_MAX_CHOICES]; /* numeric choices */
    char choice_strings[CLCNN_HP_MAX_CHOICES][CLCNN_HP_CHOICE_STR_MAX]; /* string choices */
    int choices_are_strings;
    /* Conditional: active only when the hyperparameter named `parent` (declared earlier) takes
     * one of parent_values (its value as a double; for a CHOICE parent, the choice index). An
     * empty parent means always active. */
    char parent[CLCNN_HP_NAME_MAX];
    int n_parent_values;
    double parent_values[CLCNN_HP_MAX_PARENT_VALUES];
} clcnn_hparam;

/* Fills a hyperparameter with neutral defaults (type INT, step 1, no parent). */
CLCNN_API void clcnn_hparam_default(clcnn_hparam *hp);

/* Checks one definition: a name, finite min <= max within +-2^52, an int's integral ends and
 * step >= 1, a float's step >= 0 (0 = continuous) and at most 2^52 grid values, log only with
 * min > 0, 1 to 32 non-empty finite choices, 1 to 8 parent values for a conditional. On failure
 * the message names the hyperparameter. */
CLCNN_API clcnn_status clcnn_hparam_validate(const clcnn_hparam *hp);

/* clcnn_hparam_validate that also says which field is wrong, so a config loader can point at its
 * key: *field (when not NULL) becomes "name", "min", "max", "step", "choices", "parent" or
 * "parent_values" on failure, "" on success. */
CLCNN_API clcnn_status clcnn_hparam_check(const clcnn_hparam *hp, const char **field);

/* A value is a double: INT the integer, FLOAT the number, BOOLEAN 0/1, CHOICE the index into
 * choices. An inactive conditional hyperparameter has the value NAN. Formats a value for
 * people and YAML ("64", "0.001", "relu", "true"); writes into buf of size n. */
CLCNN_API void clcnn_hparam_format(const clcnn_hparam *hp, double value, char *buf, int n);

/* Whether value is legal for hp (in range, on the step grid, a valid choice index). NAN is not
 * legal: whether a NAN is expected is clcnn_hparam_is_active's question. */
CLCNN_API int clcnn_hparam_is_legal(const clcnn_hparam *hp, double value);

/* Whether space[index] is active given the values of the hyperparameters before it (its parent
 * chain): 1 for unconditional ones, 0 when the parent is inactive or takes another value. */
CLCNN_API int clcnn_hparam_is_active(const clcnn_hparam *space, int n, int index, const double *values);

#ifdef __cplusplus
}
#endif
#endif
