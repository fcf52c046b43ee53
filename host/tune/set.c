/* tune/set.c: the set of configurations an oracle has asked, so it never asks one twice. A hash
 * table (open addressing) over copies of the configurations: O(1) checks even for the thousands
 * of candidates a Bayesian ask looks at. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tune/oracle_internal.h"

static uint64_t mix(uint64_t h, uint64_t x) {
    h ^= x + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    return h * 0xbf58476d1ce4e5b9ull;
}

/* Equal configurations hash equally: every NAN and both zeros map to one bit pattern. */
static uint64_t hash_config(const double *v, int d) {
    uint64_t h = 0x243f6a8885a308d3ull;
    for (int i = 0; i < d; i++) {
        double x = isnan(v[i]) ? NAN : (v[i] == 0 ? 0.0 : v[i]);
        uint64_t bits;
        memcpy(&bits, &x, sizeof bits);
        h = mix(h, bits);
    }
    return h ^ (h >> 29);
}

void tune_set_init(tune_set *set, int d) {
    memset(set, 0, sizeof *set);
    set->d = d;
}

void tune_set_free(tune_set *set) {
    free(set->configs);
    free(set->table);
    memset(set, 0, sizeof *set);
}

/* The slot holding values, or the empty slot where they would go. */
static size_t find_slot(const tune_set *set, const double *values) {
    size_t mask = set->table_cap - 1;
    size_t i = (size_t)hash_config(values, set->d) & mask;
    while (set->table[i] >= 0) {
        const double *c = set->configs + (size_t)set->table[i] * (size_t)set->d;
        if (tune_config_equal(c, values, set->d)) return i;
        i = (i + 1) & mask;
    }
    return i;
}

int tune_set_contains(const tune_set *set, const double *values) {
    if (set->count == 0) return 0;
    return set->table[find_slot(set, values)] >= 0;
}

static clcnn_status grow_table(tune_set *set) {
    size_t cap = set->table_cap ? set->table_cap * 2 : 64;
    int32_t *table = malloc(cap * sizeof *table);
    if (!table) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "oracle: out of memory");
    for (size_t i = 0; i < cap; i++)
        table[i] = -1;
    free(set->table);
    set->table = table;
    set->table_cap = cap;
    for (size_t k = 0; k < set->count; k++)
        set->table[find_slot(set, set->configs + k * (size_t)set->d)] = (int32_t)k;
    return CLCNN_STATUS_OK;
}

static clcnn_status grow_configs(tune_set *set) {
    size_t cap = set->cap ? set->cap * 2 : 32;
    double *configs = realloc(set->configs, cap * (size_t)set->d * sizeof *configs);
    if (!configs) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "oracle: out of memory");
    set->configs = configs;
    set->cap = cap;
    return CLCNN_STATUS_OK;
}

clcnn_status tune_set_add(tune_set *set, const double *values) {
    if (tune_set_contains(set, values)) return CLCNN_STATUS_OK;
    if (set->count >= (size_t)INT32_MAX)
        return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "oracle: too many configurations");
    if (set->count + 1 > set->cap) CLCNN_TRY(grow_configs(set));
    if (2 * (set->count + 1) > set->table_cap) CLCNN_TRY(grow_table(set));
    memcpy(set->configs + set->count * (size_t)set->d, values, (size_t)set->d * sizeof *values);
    set->table[find_slot(set, values)] = (int32_t)set->count;
    set->count++;
    return CLCNN_STATUS_OK;
}
