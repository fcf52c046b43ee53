/* tune/space.c: a search space as a whole: checking it, which conditional hyperparameters are
 * active, turning latent positions into configurations and configurations into Gaussian-process
 * inputs, and enumerating small discrete spaces so a search knows when nothing new is left. */
#include <math.h>
#include <string.h>

#include "tune/oracle_internal.h"

static int find_name(const clcnn_hparam *hp, int n, const char *name) {
    for (int i = 0; i < n; i++)
        if (strncmp(hp[i].name, name, CLCNN_HP_NAME_MAX) == 0) return i;
    return -1;
}

static int parent_matches(const clcnn_hparam *child, double parent_value) {
    if (isnan(parent_value)) return 0;
    for (int k = 0; k < child->n_parent_values; k++) {
        double want = child->parent_values[k];
        if (fabs(parent_value - want) <= 1e-9 * fmax(1.0, fabs(want))) return 1;
    }
    return 0;
}

int tune_space_active(const tune_space *s, int i, const double *values) {
    int p = s->parent[i];
    return p < 0 || parent_matches(&s->hp[i], values[p]);
}

int clcnn_hparam_is_active(const clcnn_hparam *space, int n, int index, const double *values) {
    if (!space || !values || index < 0 || index >= n) return 0;
    const clcnn_hparam *hp = &space[index];
    if (!hp->parent[0]) return 1;
    int p = find_name(space, index, hp->parent);
    if (p < 0 || !clcnn_hparam_is_active(space, n, p, values)) return 0;
    return parent_matches(hp, values[p]);
}

static clcnn_status resolve_parent(tune_space *s, int i) {
    const clcnn_hparam *hp = &s->hp[i];
    s->parent[i] = -1;
    if (!hp->parent[0]) return CLCNN_STATUS_OK;
    int p = find_name(s->hp, i, hp->parent);
    if (p < 0)
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT,
                          "hyperparameter '%s': parent '%s' is not declared before it", hp->name,
                          hp->parent);
    for (int k = 0; k < hp->n_parent_values; k++)
        if (!clcnn_hparam_is_legal(&s->hp[p], hp->parent_values[k]))
            return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT,
                              "hyperparameter '%s': parent value %g is not a value of '%s'",
                              hp->name, hp->parent_values[k], hp->parent);
    s->parent[i] = p;
    return CLCNN_STATUS_OK;
}

static int count_one(const double *values, void *ctx) {
    (void)values;
    double *count = ctx;
    return ++*count > TUNE_ENUM_CAP;
}

/* The number of distinct configurations, found by enumeration and capped so that the count costs
 * at most TUNE_ENUM_CAP visits. */
static double space_size(const tune_space *s) {
    for (int i = 0; i < s->n; i++)
        if (tune_hp_levels(&s->hp[i]) == 0) return INFINITY;
    double count = 0;
    if (tune_space_enumerate(s, count_one, &count)) return INFINITY;
    return count;
}

clcnn_status tune_space_init(tune_space *s, const clcnn_hparam *hp, int n) {
    if (!hp || n < 1 || n > CLCNN_MAX_HPARAMS)
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT,
                          "a search space needs 1 to %d "
                          "hyperparameters (got %d)",
                          CLCNN_MAX_HPARAMS, n);
    memset(s, 0, sizeof *s);
    s->n = n;
    memcpy(s->hp, hp, (size_t)n * sizeof *hp);
    for (int i = 0; i < n; i++) {
        CLCNN_TRY(clcnn_hparam_validate(&s->hp[i]));
        if (find_name(s->hp, i, s->hp[i].name) >= 0)
            return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT,
                              "hyperparameter '%s' is declared "
                              "twice",
                              s->hp[i].name);
        CLCNN_TRY(resolve_parent(s, i));
    }
    s->size = space_size(s);
    return CLCNN_STATUS_OK;
}

void tune_space_decode(const tune_space *s, const double *u, double *values) {
    for (int i = 0; i < s->n; i++)
        values[i] = tune_space_active(s, i, values) ? tune_hp_from_unit(&s->hp[i], u[i]) : NAN;
}

void tune_space_to_unit(const tune_space *s, const double *values, double *u) {
    for (int i = 0; i < s->n; i++)
        u[i] = isnan(values[i]) ? 0.5 : tune_hp_to_unit(&s->hp[i], values[i]);
}

void tune_space_encode(const tune_space *s, const double *values, double *z) {
    for (int i = 0; i < s->n; i++) {
        if (isnan(values[i]))
            z[i] = NAN;
        else
            z[i] = tune_hp_is_categorical(&s->hp[i]) ? values[i]
                                                     : tune_hp_to_unit(&s->hp[i], values[i]);
    }
}

void tune_space_sample_unit(const tune_space *s, clcnn_rng *rng, double *u) {
    for (int i = 0; i < s->n; i++)
        u[i] = clcnn_rng_uniform(rng);
}

int tune_config_equal(const double *a, const double *b, int n) {
    for (int i = 0; i < n; i++)
        if (!(a[i] == b[i] || (isnan(a[i]) && isnan(b[i])))) return 0;
    return 1;
}

typedef struct enum_state {
    const tune_space *s;
    tune_config_fn fn;
    void *ctx;
    double v[CLCNN_MAX_HPARAMS];
} enum_state;

static int enumerate_from(enum_state *e, int i) {
    if (i == e->s->n) return e->fn(e->v, e->ctx);
    if (!tune_space_active(e->s, i, e->v)) {
        e->v[i] = NAN;
        return enumerate_from(e, i + 1);
    }
    int64_t levels = tune_hp_levels(&e->s->hp[i]);
    for (int64_t k = 0; k < levels; k++) {
        e->v[i] = tune_hp_level_value(&e->s->hp[i], k);
        int r = enumerate_from(e, i + 1);
        if (r) return r;
    }
    return 0;
}

int tune_space_enumerate(const tune_space *s, tune_config_fn fn, void *ctx) {
    enum_state e = {.s = s, .fn = fn, .ctx = ctx};
    return enumerate_from(&e, 0);
}
