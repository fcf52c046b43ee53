// augment.cl: random augmentation of a training batch, made while gathering it from the uint8
// dataset (it replaces data.cl's gather_batch in training steps that augment). Keras' meanings:
// RandomFlip, RandomTranslation (a fraction of the size), RandomRotation (a fraction of a
// turn), RandomZoom (> 1 zooms out), plus random erasing (Zhong et al. 2017).
//
// augment_params draws each example's transform from a counter-based generator (prelude.cl),
// keyed by the step, so the same seed gives the same batches with no generator state on the
// device. gather_augment then maps every output pixel back into the source image through one
// affine map (flip, rotation, zoom and translation composed: one resampling, not four).

// The fill modes FILL_* and the interpolations INTERPOLATION_* are clcnn_fill_mode's and
// clcnn_interpolation's values (clcnn/enums.h), defined by host/cl/program.c before this file.

#define AUG_PARAMS 12 // floats per example: a00 a01 b0 a10 a11 b1 (x_in = A p + b), erase box x0 y0 x1 y1

// The inverse of: flip, rotate by theta, zoom by z, translate by t, all about the centre c:
// input = c + S R z (p - t - c), S = diag(+-1, +-1) the flips, R Keras' rotation matrix.
// Draws k: 0 h-flip, 1 v-flip, 2 dx, 3 dy, 4 zoom, 5 angle, 6 erase?, 7 area, 8 ratio, 9 y0, 10 x0.
// Launch: global (n).
__kernel void augment_params(ulong key, int H, int W, int hflip, int vflip, float width_shift,
                             float height_shift, float zoom, float rotation, float erasing,
                             float area_min, float area_max, float ratio,
                             __global float *params, int n) {
    int b = get_global_id(0);
    if (b >= n) return;
    ulong base = (ulong)b * 16;
    float u[11];
    for (int k = 0; k < 11; k++) u[k] = rand_uniform(key, base + k);
    float sx = hflip && u[0] < 0.5f ? -1.0f : 1.0f, sy = vflip && u[1] < 0.5f ? -1.0f : 1.0f;
    float tx = (2.0f * u[2] - 1.0f) * width_shift * W, ty = (2.0f * u[3] - 1.0f) * height_shift * H;
    float z = 1.0f + (2.0f * u[4] - 1.0f) * zoom;
    float theta = (2.0f * u[5] - 1.0f) * rotation * 6.283185307179586f;
    float cs = cos(theta), sn = sin(theta), cx = 0.5f * (W - 1), cy = 0.5f * (H - 1);
    float a00 = sx * cs * z, a01 = -sx * sn * z, a10 = sy * sn * z, a11 = sy * cs * z;
    __global float *o = params + (size_t)b * AUG_PARAMS;
    o[0] = a00, o[1] = a01, o[2] = cx - (a00 * (tx + cx) + a01 * (ty + cy));
    o[3] = a10, o[4] = a11, o[5] = cy - (a10 * (tx + cx) + a11 * (ty + cy));
    o[6] = o[7] = o[8] = o[9] = o[10] = o[11] = 0.0f; // an empty box (and the padding)
    if (!(u[6] < erasing)) return;
    float area = (area_min + (area_max - area_min) * u[7]) * H * W;
    float aspect = exp(log(ratio) * (1.0f - 2.0f * u[8])); // log-uniform in [ratio, 1/ratio]
    int eh = clamp((int)round(sqrt(area * aspect)), 1, H);
    int ew = clamp((int)round(sqrt(area / aspect)), 1, W);
    int y0 = min((int)(u[9] * (H - eh + 1)), H - eh), x0 = min((int)(u[10] * (W - ew + 1)), W - ew);
    o[6] = x0, o[7] = y0, o[8] = x0 + ew, o[9] = y0 + eh;
}

// An index outside [0, n) brought inside by the fill mode (Keras': reflect is d c b a | a b c d
// | d c b a); -1 means "the constant".
int fill_index(int i, int n, int mode) {
    if (i >= 0 && i < n) return i;
    if (mode == FILL_CONSTANT) return -1;
    if (mode == FILL_NEAREST) return clamp(i, 0, n - 1);
    if (mode == FILL_WRAP) return ((i % n) + n) % n;
    int m = ((i % (2 * n)) + 2 * n) % (2 * n);
    return m < n ? m : 2 * n - 1 - m;
}

float pixel(__global const uchar *plane, int H, int W, int y, int x, int mode, float fill) {
    int yy = fill_index(y, H, mode), xx = fill_index(x, W, mode);
    return yy < 0 || xx < 0 ? fill : (float)plane[yy * W + xx];
}

// Bilinear between the four neighbours (each brought inside by the fill mode), or the nearest.
float sample(__global const uchar *plane, int H, int W, float y, float x, int mode, float fill,
             int interpolation) {
    if (interpolation == INTERPOLATION_NEAREST)
        return pixel(plane, H, W, (int)floor(y + 0.5f), (int)floor(x + 0.5f), mode, fill);
    float fy = floor(y), fx = floor(x);
    int y0 = (int)fy, x0 = (int)fx;
    float wy = y - fy, wx = x - fx;
    float top = (1.0f - wx) * pixel(plane, H, W, y0, x0, mode, fill) +
                wx * pixel(plane, H, W, y0, x0 + 1, mode, fill);
    float bottom = (1.0f - wx) * pixel(plane, H, W, y0 + 1, x0, mode, fill) +
                   wx * pixel(plane, H, W, y0 + 1, x0 + 1, mode, fill);
    return (1.0f - wy) * top + wy * bottom;
}

// x[b][c][py][px] = images[order[start + b]] sampled at A (px, py) + b, times inv_scale; 0 in
// the erased box. fill is in raw pixel units. images holds examples [chunk_first, chunk_first +
// chunk_n) of a chunked data set, as in data.cl's gather_batch. Launch: global (W, H, n).
__kernel void gather_augment(__global const uchar *images, __global const uchar *labels,
                             __global const uint *order, int start, int C, int H, int W,
                             float inv_scale, __global const float *params, int mode, float fill,
                             int interpolation, __global float *x, __global uchar *batch_labels,
                             uint chunk_first, uint chunk_n) {
    int px = get_global_id(0), py = get_global_id(1), b = get_global_id(2);
    if (px >= W || py >= H) return;
    uint idx = order[start + b] - chunk_first;
    if (idx >= chunk_n) return;
    __global const float *a = params + (size_t)b * AUG_PARAMS;
    float xin = a[0] * px + a[1] * py + a[2], yin = a[3] * px + a[4] * py + a[5];
    int erased = px >= a[6] && px < a[8] && py >= a[7] && py < a[9];
    for (int c = 0; c < C; c++) {
        __global const uchar *plane = images + ((size_t)idx * C + c) * H * W;
        float v = erased ? 0.0f : sample(plane, H, W, yin, xin, mode, fill, interpolation);
        x[(((size_t)b * C + c) * H + py) * W + px] = v * inv_scale;
    }
    if (px == 0 && py == 0) batch_labels[b] = labels[idx + chunk_first];
}
