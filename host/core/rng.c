/* core/rng.c: xoshiro256** seeded by splitmix64. Used for shuffling, initializers, augmentation
 * seeds and the oracles, so that a seed reproduces a run on every platform. */
#include <math.h>

#include "core.h"

uint64_t clcnn_splitmix64(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void clcnn_rng_seed(clcnn_rng *rng, uint64_t seed) {
    for (int i = 0; i < 4; i++) rng->s[i] = clcnn_splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t clcnn_rng_u64(clcnn_rng *rng) {
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double clcnn_rng_uniform(clcnn_rng *rng) { return (double)(clcnn_rng_u64(rng) >> 11) * 0x1.0p-53; }

double clcnn_rng_normal(clcnn_rng *rng) {
    double u1 = 1.0 - clcnn_rng_uniform(rng); /* (0, 1]: log is finite */
    double u2 = clcnn_rng_uniform(rng);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

uint64_t clcnn_rng_below(clcnn_rng *rng, uint64_t n) {
    uint64_t limit = UINT64_MAX - UINT64_MAX % n; /* reject the tail so every value is equally likely */
    uint64_t x;
    do x = clcnn_rng_u64(rng);
    while (x >= limit);
    return x % n;
}

void clcnn_rng_shuffle_u32(clcnn_rng *rng, uint32_t *v, size_t n) {
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)clcnn_rng_below(rng, i);
        uint32_t t = v[i - 1];
        v[i - 1] = v[j];
        v[j] = t;
    }
}
