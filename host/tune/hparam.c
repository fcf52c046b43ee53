/* tune/hparam.c: one hyperparameter (clcnn/hparam.h): the type names, defaults, the rules of a
 * definition (the one place they are written: the config loader and the oracle both call
 * clcnn_hparam_check), formatting and legality, and the maps between a value, its grid index
 * and its position in [0, 1] that every oracle shares, so sampling, the Gaussian process and
 * legality agree on one grid. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tune/oracle_internal.h"

/* Grid points closer than this (relative to step) to a value count as that value, so a value
 * read back from YAML ("0.3") matches the grid point min + 3 * step. */
#define GRID_TOL 1e-9

static const clcnn_name type_rows[] = {
    {"int", CLCNN_HP_INT},
    {"float", CLCNN_HP_FLOAT},
    {"choice", CLCNN_HP_CHOICE},
    {"boolean", CLCNN_HP_BOOLEAN},
};
CLCNN_NAME_TABLE(clcnn_hp_type_names, "hyperparameter type", CLCNN_HP_TYPE_COUNT, type_rows);

const char *clcnn_hp_type_name(clcnn_hp_type type) {
    return clcnn_name_of(&clcnn_hp_type_names, (int)type);
}

clcnn_hp_type clcnn_hp_type_parse(const char *name) {
    int type = clcnn_name_find(&clcnn_hp_type_names, name);
    return type < 0 ? CLCNN_HP_TYPE_COUNT : (clcnn_hp_type)type;
}

void clcnn_hparam_default(clcnn_hparam *hp) {
    memset(hp, 0, sizeof *hp);
    hp->type = CLCNN_HP_INT;
    hp->step = 1;
}

/* ---- the rules of a definition --------------------------------------------------------------- */

/* Fails with "hyperparameter 'name': <message>" and records which field is wrong. */
static clcnn_status bad(const clcnn_hparam *hp, const char **field, const char *which,
                        const char *fmt, ...) CLCNN_PRINTF(4, 5);
static clcnn_status bad(const clcnn_hparam *hp, const char **field, const char *which,
                        const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (field) *field = which;
    return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "hyperparameter '%.*s': %s",
                      CLCNN_HP_NAME_MAX - 1, hp->name, msg);
}

static clcnn_status check_range(const clcnn_hparam *hp, const char **f) {
    if (!isfinite(hp->min) || !isfinite(hp->max))
        return bad(hp, f, isfinite(hp->min) ? "max" : "min", "min and max must be finite numbers");
    if (hp->min > hp->max)
        return bad(hp, f, "min", "min (%g) is greater than max (%g)", hp->min, hp->max);
    if (hp->log && hp->min <= 0)
        return bad(hp, f, "min", "log sampling needs min > 0 (min is %g)", hp->min);
    if (hp->type == CLCNN_HP_INT) {
        if (hp->min != floor(hp->min))
            return bad(hp, f, "min", "min of an int must be an integer (it is %g)", hp->min);
        if (hp->max != floor(hp->max))
            return bad(hp, f, "max", "max of an int must be an integer (it is %g)", hp->max);
        if (!(hp->step >= 1) || hp->step != floor(hp->step) || !isfinite(hp->step))
            return bad(hp, f, "step", "step of an int must be an integer >= 1 (it is %g)",
                       hp->step);
    } else if (!(hp->step >= 0) || !isfinite(hp->step)) {
        return bad(hp, f, "step", "step must be > 0, or 0 for a continuous float (it is %g)",
                   hp->step);
    }
    /* Beyond 2^52 doubles no longer hold every grid point, nor min + k * step exactly. */
    if (fabs(hp->min) > 0x1p52 || fabs(hp->max) > 0x1p52)
        return bad(hp, f, fabs(hp->min) > 0x1p52 ? "min" : "max",
                   "min and max must lie within +-2^52 (they are %g and %g)", hp->min, hp->max);
    if (hp->step > 0 && (hp->max - hp->min) / hp->step > 0x1p52)
        return bad(hp, f, "step", "step %g makes more than 2^52 values", hp->step);
    return CLCNN_STATUS_OK;
}

static clcnn_status check_choices(const clcnn_hparam *hp, const char **f) {
    if (hp->n_choices < 1 || hp->n_choices > CLCNN_HP_MAX_CHOICES)
        return bad(hp, f, "choices", "needs 1 to %d choices (has %d)", CLCNN_HP_MAX_CHOICES,
                   hp->n_choices);
    for (int i = 0; i < hp->n_choices; i++) {
        if (hp->choices_are_strings) {
            const char *c = hp->choice_strings[i];
            if (!memchr(c, 0, CLCNN_HP_CHOICE_STR_MAX) || !c[0])
                return bad(hp, f, "choices", "choice %d is empty or longer than %d characters", i,
                           CLCNN_HP_CHOICE_STR_MAX - 1);
        } else if (!isfinite(hp->choices[i])) {
            return bad(hp, f, "choices", "choice %d is not a finite number", i);
        }
    }
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_hparam_check(const clcnn_hparam *hp, const char **f) {
    if (f) *f = "";
    if (!hp) return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "hyperparameter is NULL");
    if (!memchr(hp->name, 0, CLCNN_HP_NAME_MAX) || !hp->name[0])
        return bad(hp, f, "name", "the name must be 1 to %d characters", CLCNN_HP_NAME_MAX - 1);
    if (!memchr(hp->parent, 0, CLCNN_HP_NAME_MAX))
        return bad(hp, f, "parent", "the parent name is too long");
    if (hp->n_parent_values < 0 || hp->n_parent_values > CLCNN_HP_MAX_PARENT_VALUES ||
        (hp->parent[0] && hp->n_parent_values == 0))
        return bad(hp, f, "parent_values", "a conditional needs 1 to %d parent values (has %d)",
                   CLCNN_HP_MAX_PARENT_VALUES, hp->n_parent_values);
    switch (hp->type) {
    case CLCNN_HP_INT:
    case CLCNN_HP_FLOAT:
        return check_range(hp, f);
    case CLCNN_HP_CHOICE:
        return check_choices(hp, f);
    case CLCNN_HP_BOOLEAN:
        return CLCNN_STATUS_OK;
    case CLCNN_HP_TYPE_COUNT:
        break;
    }
    return bad(hp, f, "type", "unknown type %d", (int)hp->type);
}

clcnn_status clcnn_hparam_validate(const clcnn_hparam *hp) {
    return clcnn_hparam_check(hp, NULL);
}

int tune_hp_is_categorical(const clcnn_hparam *hp) {
    return hp->type == CLCNN_HP_CHOICE || hp->type == CLCNN_HP_BOOLEAN;
}

/* floor(range / step + tol) + 1, capped at 2^53 where doubles stop counting one by one. */
static int64_t grid_count(const clcnn_hparam *hp, double tol) {
    double count = floor((hp->max - hp->min) / hp->step + tol) + 1;
    return count < 0x1p53 ? (int64_t)count : (int64_t)1 << 53;
}

int64_t tune_hp_levels(const clcnn_hparam *hp) {
    switch (hp->type) {
    case CLCNN_HP_CHOICE:
        return hp->n_choices;
    case CLCNN_HP_BOOLEAN:
        return 2;
    case CLCNN_HP_INT:
        return grid_count(hp, 0);
    case CLCNN_HP_FLOAT:
        if (hp->step > 0) return grid_count(hp, GRID_TOL);
        return hp->min == hp->max ? 1 : 0;
    case CLCNN_HP_TYPE_COUNT:
        break;
    }
    return 0;
}

/* Rounds to 15 significant digits so grid points are the decimals people wrote (0.3, not
 * 0.30000000000000004) and print back the same. */
static double round15(double v) {
    char buf[40];
    snprintf(buf, sizeof buf, "%.15g", v);
    return strtod(buf, NULL);
}

double tune_hp_level_value(const clcnn_hparam *hp, int64_t k) {
    if (tune_hp_is_categorical(hp)) return (double)k;
    if (hp->type == CLCNN_HP_INT) return hp->min + (double)k * hp->step;
    if (hp->step <= 0) return hp->min; /* a constant float */
    double v = round15(hp->min + (double)k * hp->step);
    return v > hp->max ? hp->max : v;
}

int64_t tune_hp_level_index(const clcnn_hparam *hp, double value) {
    int64_t levels = tune_hp_levels(hp), k;
    double x = 0; /* the (fractional) index, clamped before any conversion */
    if (tune_hp_is_categorical(hp))
        x = value;
    else if (hp->step > 0)
        x = round((value - hp->min) / hp->step);
    k = x <= 0 ? 0 : (x >= (double)levels ? levels - 1 : (int64_t)x);
    return k;
}

int clcnn_hparam_is_legal(const clcnn_hparam *hp, double v) {
    if (!hp || !isfinite(v)) return 0;
    switch (hp->type) {
    case CLCNN_HP_BOOLEAN:
        return v == 0 || v == 1;
    case CLCNN_HP_CHOICE:
        return v == floor(v) && v >= 0 && v < hp->n_choices;
    case CLCNN_HP_INT:
        if (v != floor(v) || v < hp->min || v > hp->max) return 0;
        return fmod(v - hp->min, hp->step) == 0;
    case CLCNN_HP_FLOAT: {
        if (hp->step <= 0) return v >= hp->min && v <= hp->max;
        double k = round((v - hp->min) / hp->step);
        if (k < 0 || k >= (double)tune_hp_levels(hp)) return 0;
        return fabs(v - tune_hp_level_value(hp, (int64_t)k)) <= GRID_TOL * hp->step;
    }
    case CLCNN_HP_TYPE_COUNT:
        break;
    }
    return 0;
}

/* ---- positions in [0, 1] ---------------------------------------------------------------------
 * Continuous floats map linearly (or by log) onto [0, 1]. A grid of K values splits [0, 1] into K
 * cells, one per value; the cells are equal on a linear grid and follow the log scale on a log
 * grid (cell edges halfway between neighbours' logs), so uniform positions give uniform or
 * log-uniform values and the GP sees a log grid spaced by log. */

static double warp(const clcnn_hparam *hp, double v) {
    return hp->log ? log(v) : v;
}
static double unwarp(const clcnn_hparam *hp, double w) {
    return hp->log ? exp(w) : w;
}

/* The warped edges of the grid: half a neighbour gap beyond the first and last value. */
static void log_grid_edges(const clcnn_hparam *hp, int64_t levels, double *lo, double *hi) {
    double w0 = warp(hp, tune_hp_level_value(hp, 0));
    double w1 = warp(hp, tune_hp_level_value(hp, 1));
    double wl = warp(hp, tune_hp_level_value(hp, levels - 1));
    double wl1 = warp(hp, tune_hp_level_value(hp, levels - 2));
    *lo = w0 - 0.5 * (w1 - w0);
    *hi = wl + 0.5 * (wl - wl1);
}

static double grid_from_unit(const clcnn_hparam *hp, int64_t levels, double u) {
    if (!hp->log || levels < 3) {
        int64_t k = (int64_t)floor(u * (double)levels);
        return tune_hp_level_value(hp, k < 0 ? 0 : (k >= levels ? levels - 1 : k));
    }
    double lo, hi;
    log_grid_edges(hp, levels, &lo, &hi);
    double w = lo + u * (hi - lo);
    int64_t k = (int64_t)floor((unwarp(hp, w) - hp->min) / hp->step);
    k = k < 0 ? 0 : (k >= levels - 1 ? levels - 2 : k);
    double a = tune_hp_level_value(hp, k), b = tune_hp_level_value(hp, k + 1);
    return fabs(warp(hp, a) - w) <= fabs(warp(hp, b) - w) ? a : b;
}

double tune_hp_from_unit(const clcnn_hparam *hp, double u) {
    int64_t levels = tune_hp_levels(hp);
    if (levels == 1) return tune_hp_level_value(hp, 0);
    if (levels > 1) return grid_from_unit(hp, levels, u);
    double w = warp(hp, hp->min) + u * (warp(hp, hp->max) - warp(hp, hp->min));
    double v = unwarp(hp, w);
    return v < hp->min ? hp->min : (v > hp->max ? hp->max : v);
}

double tune_hp_to_unit(const clcnn_hparam *hp, double v) {
    int64_t levels = tune_hp_levels(hp);
    if (levels == 1) return 0.5;
    if (levels == 0)
        return (warp(hp, v) - warp(hp, hp->min)) / (warp(hp, hp->max) - warp(hp, hp->min));
    int64_t k = tune_hp_level_index(hp, v);
    if (!hp->log || levels < 3 || tune_hp_is_categorical(hp))
        return ((double)k + 0.5) / (double)levels;
    double lo, hi;
    log_grid_edges(hp, levels, &lo, &hi);
    return (warp(hp, tune_hp_level_value(hp, k)) - lo) / (hi - lo);
}

/* ---- formatting ------------------------------------------------------------------------------ */

/* The shortest of %.15g and %.17g that reads back as the same double. */
static void format_number(double v, char *buf, int n) {
    snprintf(buf, (size_t)n, "%.15g", v);
    if (strtod(buf, NULL) != v) snprintf(buf, (size_t)n, "%.17g", v);
}

void clcnn_hparam_format(const clcnn_hparam *hp, double v, char *buf, int n) {
    if (!buf || n <= 0) return;
    if (!hp || isnan(v)) {
        snprintf(buf, (size_t)n, "null");
        return;
    }
    switch (hp->type) {
    case CLCNN_HP_BOOLEAN:
        snprintf(buf, (size_t)n, "%s", v != 0 ? "true" : "false");
        return;
    case CLCNN_HP_CHOICE: {
        int k = (v >= 0 && v < hp->n_choices) ? (int)v : -1;
        if (k < 0)
            snprintf(buf, (size_t)n, "null");
        else if (hp->choices_are_strings)
            snprintf(buf, (size_t)n, "%s", hp->choice_strings[k]);
        else
            format_number(hp->choices[k], buf, n);
        return;
    }
    case CLCNN_HP_INT:
        snprintf(buf, (size_t)n, "%.0f", v);
        return;
    case CLCNN_HP_FLOAT:
        format_number(v, buf, n);
        return;
    case CLCNN_HP_TYPE_COUNT:
        break;
    }
    snprintf(buf, (size_t)n, "null");
}
