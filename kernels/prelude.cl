// prelude.cl: definitions shared by every kernel file (prepended by host/cl/program.c).
// Tunables are -D options with #ifndef defaults, CLBlast's way.
#ifndef CLCNN_PRELUDE
#define CLCNN_PRELUDE

// Sum of the 16 lanes of a vector.
float hsum16(float16 v) {
    float8 a = v.lo + v.hi;
    float4 b = a.lo + a.hi;
    float2 c = b.lo + b.hi;
    return c.x + c.y;
}

// A random 32-bit value from a key and a counter, with no state: splitmix64's output for the
// state key + (counter + 1) * golden ratio. Any work-item draws its own numbers (dropout masks,
// augmentation), and a backward pass redraws exactly the forward pass's.
uint rand_u32(ulong key, ulong counter) {
    ulong z = key + (counter + 1) * 0x9e3779b97f4a7c15UL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9UL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebUL;
    return (uint)((z ^ (z >> 31)) >> 32);
}

// Uniform in [0, 1) with 24 bits (every value exact in float).
float rand_uniform(ulong key, ulong counter) {
    return (float)(rand_u32(key, counter) >> 8) * (1.0f / 16777216.0f);
}

#endif
