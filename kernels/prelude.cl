// prelude.cl: definitions shared by every kernel file (prepended by host/cl/program.c).
// Tunables are -D options with #ifndef defaults, CLBlast's way.
#ifndef CLCNN_PRELUDE
#define CLCNN_PRELUDE

// Sum of the 16 lanes of a vector.
inline float hsum16(float16 v) {
    float8 a = v.lo + v.hi;
    float4 b = a.lo + a.hi;
    float2 c = b.lo + b.hi;
    return c.x + c.y;
}

#endif
