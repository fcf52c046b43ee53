/* ref/ref_augment.c: the augmentation of kernels/augment.cl in double, written from its
 * definition: each example's draws from the counter-based generator, the composed affine map
 * (flip, rotation, zoom and translation about the centre, Keras' conventions) and the sampling
 * with Keras' fill modes. */
#include <math.h>

#include "clcnn/enums.h"
#include "ref.h"

unsigned ref_rand_u32(unsigned long long key, unsigned long long counter) {
    unsigned long long z = key + (counter + 1) * 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return (unsigned)((z ^ (z >> 31)) >> 32);
}

double ref_rand_uniform(unsigned long long key, unsigned long long counter) {
    return (double)(ref_rand_u32(key, counter) >> 8) / 16777216.0;
}

/* Output pixel p maps to input c + S R z (p - t - c): undo the translation t, then Keras' zoom
 * (input = c + z (output - c)), rotation (its matrix [cos -sin; sin cos] about c) and the flips
 * S = diag(+-1, +-1) about c. */
void ref_augment_params(const ref_augment_cfg *cfg, unsigned long long key, int b, int h, int w,
                        double p[10]) {
    double u[11];
    for (int k = 0; k < 11; k++) u[k] = ref_rand_uniform(key, (unsigned long long)b * 16 + k);
    double sx = cfg->hflip && u[0] < 0.5 ? -1 : 1, sy = cfg->vflip && u[1] < 0.5 ? -1 : 1;
    double tx = (2 * u[2] - 1) * cfg->width_shift * w, ty = (2 * u[3] - 1) * cfg->height_shift * h;
    double z = 1 + (2 * u[4] - 1) * cfg->zoom;
    double th = (2 * u[5] - 1) * cfg->rotation * 2 * 3.14159265358979323846;
    double cx = 0.5 * (w - 1), cy = 0.5 * (h - 1);
    double a[4] = {sx * cos(th) * z, -sx * sin(th) * z, sy * sin(th) * z, sy * cos(th) * z};
    p[0] = a[0], p[1] = a[1], p[2] = cx - (a[0] * (tx + cx) + a[1] * (ty + cy));
    p[3] = a[2], p[4] = a[3], p[5] = cy - (a[2] * (tx + cx) + a[3] * (ty + cy));
    p[6] = p[7] = p[8] = p[9] = 0;
    if (!(u[6] < cfg->erasing)) return;
    /* Zhong et al.: area fraction uniform in [min, max], aspect ratio log-uniform in [r, 1/r]. */
    double area = (cfg->area_min + (cfg->area_max - cfg->area_min) * u[7]) * h * w;
    double aspect = exp(log(cfg->ratio) * (1 - 2 * u[8]));
    int eh = (int)round(sqrt(area * aspect)), ew = (int)round(sqrt(area / aspect));
    eh = eh < 1 ? 1 : eh > h ? h : eh;
    ew = ew < 1 ? 1 : ew > w ? w : ew;
    int y0 = (int)(u[9] * (h - eh + 1)), x0 = (int)(u[10] * (w - ew + 1));
    if (y0 > h - eh) y0 = h - eh;
    if (x0 > w - ew) x0 = w - ew;
    p[6] = x0, p[7] = y0, p[8] = x0 + ew, p[9] = y0 + eh;
}

/* Keras' fill modes on an integer index; -1 = the constant. */
static int fill_index(int i, int n, int mode) {
    if (i >= 0 && i < n) return i;
    switch (mode) {
    case CLCNN_FILL_CONSTANT: return -1;
    case CLCNN_FILL_NEAREST: return i < 0 ? 0 : n - 1;
    case CLCNN_FILL_WRAP: return ((i % n) + n) % n;
    default: { /* reflect: d c b a | a b c d | d c b a, period 2n */
        int m = ((i % (2 * n)) + 2 * n) % (2 * n);
        return m < n ? m : 2 * n - 1 - m;
    }
    }
}

static double pixel(const ref_augment_cfg *cfg, const unsigned char *plane, int h, int w, int y,
                    int x) {
    int yy = fill_index(y, h, cfg->fill_mode), xx = fill_index(x, w, cfg->fill_mode);
    return yy < 0 || xx < 0 ? cfg->fill : plane[yy * w + xx];
}

static double sample(const ref_augment_cfg *cfg, const unsigned char *plane, int h, int w, double y,
                     double x) {
    if (cfg->nearest) return pixel(cfg, plane, h, w, (int)floor(y + 0.5), (int)floor(x + 0.5));
    int y0 = (int)floor(y), x0 = (int)floor(x);
    double wy = y - y0, wx = x - x0;
    return (1 - wy) * ((1 - wx) * pixel(cfg, plane, h, w, y0, x0) + wx * pixel(cfg, plane, h, w, y0, x0 + 1)) +
           wy * ((1 - wx) * pixel(cfg, plane, h, w, y0 + 1, x0) + wx * pixel(cfg, plane, h, w, y0 + 1, x0 + 1));
}

void ref_augment_apply(const ref_augment_cfg *cfg, const double p[10], const unsigned char *image,
                       int c, int h, int w, double inv_scale, double *out) {
    for (int ch = 0; ch < c; ch++)
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                double xin = p[0] * x + p[1] * y + p[2], yin = p[3] * x + p[4] * y + p[5];
                int erased = x >= p[6] && x < p[8] && y >= p[7] && y < p[9];
                double v = erased ? 0 : sample(cfg, image + (size_t)ch * h * w, h, w, yin, xin);
                out[((size_t)ch * h + y) * w + x] = v * inv_scale;
            }
}
