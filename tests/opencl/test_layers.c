/* test_layers.c: every layer kernel, driven through the nn.h layer interface, against the plain-C
 * reference (tests/ref/), forward and backward (dx, dW, db), on odd shapes by both GEMM routes;
 * then the loss, optimizer and batch-gathering kernels launched directly.
 *
 * Every device buffer is poisoned with NaN before use, its slack included, so a value a kernel
 * forgets to write, or an over-read of the slack that leaks into a result, shows up; the slack
 * and the gaps of the parameter arena must still hold the poison afterwards (no stray stores).
 *
 * Tolerances come from float32 rounding: a sum of k products computed in float32 is within
 * gamma_k = k u / (1 - k u) (u = 2^-24) of the exact sum, relative to the sum of the products'
 * magnitudes (Higham, Accuracy and Stability of Numerical Algorithms, 3.1). The reference run on
 * absolute values gives that magnitude per element, so each element gets its own bound.
 *
 * CLCNN_TEST_SMALL=1 leaves out the large shape set and the CLBlast route, for runs under
 * Oclgrind (tests/oclgrind_run.sh): simulating CLBlast's kernels takes far too long, so that route
 * is the one part Oclgrind does not check. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl/kparams.h"
#include "nn/conv2d.h"
#include "ref/ref.h"
#include "test_layer.h"

static int small;

/* Shape sets: none a multiple of any tile (8, 32, 4, 16) or work-group size. "tiny" fits inside
 * one tile everywhere; "odd" spans a few tiles; "large" spans many in every GEMM dimension
 * (filters 33 > 32, positions 783, dense inputs 531). The large set uses dyadic values (multiples
 * of 1/8) whose products and sums are exact in float32, so its ReLU inputs cannot be rounded
 * across the kink (exact zeros are consistent on both sides); the others use uniform values and
 * step the seed until every ReLU input is clear of the kink. */
typedef struct shape_set {
    const char *name;
    int N, C, H, W, F, IN, UNITS;
    int dyadic;
} shape_set;

static const shape_set sets[] = {
    {"tiny", 2, 3, 7, 5, 3, 11, 5, 0},
    {"odd", 3, 5, 11, 9, 7, 37, 13, 0},
    {"large", 4, 6, 29, 27, 33, 531, 67, 1},
};
/* CLCNN_TEST_SMALL=1 (for Oclgrind) runs the first two sets, by clcnn's own GEMM route only. */
static int n_sets(void) { return small ? 2 : 3; }

/* The set under test. */
static const char *SET;
static int N, C, H, W, F, IN, UNITS, DYADIC;

static void use_set(int i) {
    const shape_set *s = &sets[i];
    SET = s->name, N = s->N, C = s->C, H = s->H, W = s->W, F = s->F, IN = s->IN;
    UNITS = s->UNITS, DYADIC = s->dyadic;
}

/* ---- helpers ---------------------------------------------------------------------------------- */

/* The float32 bound for sums of k products (see the header comment), with a factor 2 of margin
 * for the few extra roundings (bias add, the final store). */
static double gamma_k(int k) { return (double)(k + 2) * FLT_EPSILON; }

/* |got - want| <= rel * mag[i] (mag NULL: <= rel) for every element; on failure prints the first
 * bad index, both values and the tolerance. */
static int check_bound(const char *what, const float *got, const double *want, const double *mag,
                       double rel, size_t n) {
    for (size_t i = 0; i < n; i++) {
        double tol = mag ? rel * mag[i] : rel;
        if (!(fabs((double)got[i] - want[i]) <= tol)) {
            printf("%s: first bad index %zu of %zu: got %.9g, want %.9g (tolerance %.3g)\n", what,
                   i, n, (double)got[i], want[i], tol);
            return 0;
        }
    }
    return 1;
}

static double *dalloc(size_t n) { return calloc(n ? n : 1, sizeof(double)); }

static double *abs_copy(const double *v, size_t n) {
    double *a = dalloc(n);
    for (size_t i = 0; i < n; i++) a[i] = fabs(v[i]);
    return a;
}

/* Layer data: uniform, or for a dyadic set rounded to multiples of 1/8. Products of two such
 * values (|x| <= 1, |w| <= 0.5) are multiples of 1/64, and every sum the large set forms stays
 * below 2^24 / 64 in magnitude, so float32 computes all of it exactly. */
static float *fill_data(size_t n, double lo, double hi, uint64_t seed, double **as_double) {
    float *v = test_random_f(n, lo, hi, seed, as_double);
    for (size_t i = 0; DYADIC && i < n; i++) {
        v[i] = roundf(v[i] * 8.0f) / 8.0f;
        (*as_double)[i] = v[i];
    }
    return v;
}

/* Everything one layer test moves to and from the device. */
typedef struct layer_io {
    size_t nx, ny, n_arena;
    const float *x, *dy, *arena;
    int want_dx;
    float *y, *dx, *grads; /* results, malloc'ed */
} layer_io;

static void check_no_stray(const char *what, const clcnn_layer *l, const float *arena, size_t n) {
    for (size_t i = 0; i < n; i++) {
        int inside = 0;
        for (int p = 0; p < l->n_params; p++)
            if (i >= l->param_offset[p] && i < l->param_offset[p] + test_layer_param_count(l, p)) inside = 1;
        if (!inside && !test_is_poison(&arena[i])) {
            printf("%s: the gradient arena was written outside the layer's tensors, at %zu\n",
                   what, i);
            fail();
        }
    }
}

/* Forward, then backward, through the layer interface, with poisoned buffers. */
static void layer_run(const char *what, clcnn_layer *l, layer_io *io) {
    test_layer_run r = test_layer_run_make(what, l, N, io->x, io->arena, io->n_arena, io->want_dx);
    test_layer_forward(l, &r, 1, 0);
    io->y = test_dev_read(what, r.y, io->ny);
    test_layer_backward(l, &r, io->dy, 0);
    io->dx = io->want_dx ? test_dev_read(what, r.dx, io->nx) : NULL;
    io->grads = test_dev_read(what, r.grads, io->n_arena);
    check_no_stray(what, l, io->grads, io->n_arena);
    test_layer_run_free(&r);
}

static void layer_io_free(layer_io *io) {
    free(io->y);
    free(io->dx);
    free(io->grads);
}

/* dz = dy where the pre-activation is positive (the fused ReLU's gradient), else dy. */
static double *relu_grad(const double *z, const double *dy, size_t n, int relu) {
    double *dz = dalloc(n);
    for (size_t i = 0; i < n; i++) dz[i] = !relu || z[i] > 0 ? dy[i] : 0.0;
    return dz;
}

/* Whether every pre-activation is clear of the ReLU's kink by more than twice its rounding
 * bound, so float32 and double agree on which side it lies. */
static int clear_of_kink(const double *z, const double *mag, double rel, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (fabs(z[i]) <= 2 * rel * mag[i]) return 0;
    return 1;
}

static const char *route_label(clcnn_route r) { return clcnn_route_name(r); }

/* ---- conv2d ----------------------------------------------------------------------------------- */

typedef struct conv_case {
    int kh, kw, sh, sw;
    clcnn_padding pad;
    int bias, relu, want_dx;
} conv_case;

/* Images per im2col chunk (l->chunk, nn/conv2d.c) of the conv cases; 0: the whole batch. */
static int CHUNK;

/* Forward and dx in chunks must be the same bits as over the whole batch (every element is
 * computed the same way); dW sums per chunk, and conv_check bounds it against the reference. */
static void conv_check_same_bits(const char *what, const clcnn_layer *l, const layer_io *io) {
    clcnn_layer whole = *l;
    whole.chunk = 0;
    layer_io w = *io;
    w.y = w.dx = w.grads = NULL;
    layer_run(what, &whole, &w);
    if (memcmp(w.y, io->y, io->ny * sizeof(float)) ||
        (io->want_dx && memcmp(w.dx, io->dx, io->nx * sizeof(float)))) {
        printf("%s: y or dx in chunks differ from the whole batch's bits\n", what);
        fail();
    }
    layer_io_free(&w);
}

/* Set while the Winograd test runs: conv_check then bounds y and dx of the layers Winograd runs
 * by the error of Winograd's F(2x2, 3x3) instead of a plain sum's. */
static int WINO;

/* The F(2x2, 3x3) transform matrices (kernels/winograd.cl), as absolute values. */
static const double WINO_BT[4][4] = {{1, 0, 1, 0}, {0, 1, 1, 0}, {0, 1, 1, 0}, {0, 1, 0, 1}};
static const double WINO_G[4][3] = {{1, 0, 0}, {.5, .5, .5}, {.5, .5, .5}, {0, 0, 1}};
static const double WINO_AT[2][4] = {{1, 1, 1, 0}, {0, 1, 1, 1}};

/* Winograd's error bound. Every output is a straight-line expression: the input transform (2
 * additions along any path), the filter transform (4 additions; the halvings are exact), one
 * product and the sum over `in` channels (in - 1 additions), the output transform (4 additions)
 * and the bias (1). Evaluated in float32 it is within gamma_(in + 11) of the exact value,
 * relative to the same expression evaluated on absolute values with |B^T|, |G| and |A^T|
 * (Higham 3.1 applied along each path; Barabasz et al., "Error analysis and improving the
 * accuracy of Winograd convolution for deep neural networks", 2020, derive the same growth
 * with the matrices' norms). That magnitude is what this computes, per output: the direct
 * sum's magnitude times up to ~4-9 (the transforms mix taps with coefficients that do not
 * cancel on absolute values). x: n images of `in` planes h x w, read with padding (pt, pl) and
 * zeros beyond; filter m, channel c, tap (i, j) at w[off + m s0 + c s1 + i s2 + j s3]. */
static double *wino_magnitude(int n, int in, int h, int w, int pt, int pl, int out, int oh,
                              int ow, const double *x, const double *bias, const double *wt,
                              long off, const long s[4]) {
    double *mag = dalloc((size_t)n * out * oh * ow);
    for (int z = 0; z < n; z++)
        for (int m = 0; m < out; m++)
            for (int th = 0; th < (oh + 1) / 2; th++)
                for (int tw = 0; tw < (ow + 1) / 2; tw++) {
                    double acc[4][4] = {{0}};
                    for (int c = 0; c < in; c++) {
                        double d[4][4], g[3][3], v[4][4], u[4][4];
                        for (int i = 0; i < 4; i++)
                            for (int j = 0; j < 4; j++) {
                                int r = 2 * th - pt + i, q = 2 * tw - pl + j;
                                d[i][j] = r < 0 || r >= h || q < 0 || q >= w
                                              ? 0.0
                                              : fabs(x[(((size_t)z * in + c) * h + r) * w + q]);
                            }
                        for (int i = 0; i < 3; i++)
                            for (int j = 0; j < 3; j++)
                                g[i][j] = fabs(wt[off + m * s[0] + c * s[1] + i * s[2] + j * s[3]]);
                        for (int i = 0; i < 4; i++)
                            for (int j = 0; j < 4; j++) {
                                v[i][j] = u[i][j] = 0;
                                for (int a = 0; a < 4; a++)
                                    for (int b = 0; b < 4; b++)
                                        v[i][j] += WINO_BT[i][a] * d[a][b] * WINO_BT[j][b];
                                for (int a = 0; a < 3; a++)
                                    for (int b = 0; b < 3; b++)
                                        u[i][j] += WINO_G[i][a] * g[a][b] * WINO_G[j][b];
                                acc[i][j] += u[i][j] * v[i][j];
                            }
                    }
                    for (int i = 0; i < 2; i++)
                        for (int j = 0; j < 2; j++) {
                            int r = 2 * th + i, q = 2 * tw + j;
                            if (r >= oh || q >= ow) continue;
                            double y = bias ? fabs(bias[m]) : 0.0;
                            for (int a = 0; a < 4; a++)
                                for (int b = 0; b < 4; b++)
                                    y += WINO_AT[i][a] * acc[a][b] * WINO_AT[j][b];
                            mag[(((size_t)z * out + m) * oh + r) * ow + q] = y;
                        }
                }
    return mag;
}

static void conv_check(const conv_case *cc, clcnn_route route) {
    char what[180];
    snprintf(what, sizeof what, "%s (%dx%dx%d -> %d): conv2d %dx%d s%dx%d %s%s%s%s route %s batch %d chunk %d",
             SET, C, H, W, F, cc->kh, cc->kw, cc->sh, cc->sw,
             cc->pad == CLCNN_PADDING_SAME ? "same" : "valid", cc->bias ? " bias" : "",
             cc->relu ? " relu" : "", cc->want_dx ? "" : " (first layer)", route_label(route), N,
             CHUNK);
    clcnn_layer_spec spec;
    clcnn_layer_spec_default(&spec, "conv2d");
    spec.filters = F;
    spec.kernel_size[0] = cc->kh, spec.kernel_size[1] = cc->kw;
    spec.strides[0] = cc->sh, spec.strides[1] = cc->sw;
    spec.padding = cc->pad;
    spec.use_bias = cc->bias;
    clcnn_layer l;
    test_layer_make(&l, &spec, (clcnn_shape){C, H, W}, cc->relu, route);
    l.chunk = CHUNK;
    ref_window g = {.n = N, .c = C, .h = H, .w = W, .k = F, .kh = cc->kh, .kw = cc->kw,
                    .sh = cc->sh, .sw = cc->sw};
    assert_true(ref_window_resolve(&g, cc->pad == CLCNN_PADDING_SAME));
    assert_int_equal(l.out.c, F);
    assert_int_equal(l.out.h, g.oh);
    assert_int_equal(l.out.w, g.ow);

    size_t nx = (size_t)N * C * H * W, ny = (size_t)N * F * g.oh * g.ow;
    size_t nw = (size_t)F * C * cc->kh * cc->kw;
    int R = C * cc->kh * cc->kw, P = g.oh * g.ow;
    double rel_fwd = gamma_k(R + 1);
    /* Winograd (when it runs this layer): its own bound (wino_magnitude), y from C channels, dx
     * from F. */
    clcnn_conv_geom cg = clcnn_conv_geom_of(&l);
    int wino = WINO && clcnn_conv_winograd_fits(&cg);
    double rel_wy = gamma_k(C + 11), rel_wdx = gamma_k(F + 11);
    long ws[4] = {(long)C * 9, 9, 3, 1}, wflip[4] = {9, (long)C * 9, -3, -1};
    float *x = NULL, *w = NULL, *b = NULL;
    double *xd = NULL, *wd = NULL, *bd = NULL, *z = dalloc(ny), *zmag = dalloc(ny), *wmag = NULL;
    /* Fixed seeds, stepped until no pre-activation sits on the ReLU's kink. */
    for (uint64_t seed = 100;; seed += 10) {
        assert_true(seed < 1000);
        free(x), free(w), free(b), free(xd), free(wd), free(bd);
        x = fill_data(nx, -1, 1, seed, &xd);
        w = fill_data(nw, -0.5, 0.5, seed + 1, &wd);
        b = fill_data((size_t)F, -0.5, 0.5, seed + 2, &bd);
        ref_conv2d_forward(&g, xd, wd, cc->bias ? bd : NULL, z);
        double *xa = abs_copy(xd, nx), *wa = abs_copy(wd, nw), *ba = abs_copy(bd, (size_t)F);
        ref_conv2d_forward(&g, xa, wa, cc->bias ? ba : NULL, zmag);
        free(xa), free(wa), free(ba);
        free(wmag);
        wmag = wino ? wino_magnitude(N, C, H, W, g.pad_top, g.pad_left, F, g.oh, g.ow, xd,
                                     cc->bias ? bd : NULL, wd, 0, ws)
                    : NULL;
        if (!cc->relu || DYADIC ||
            (wino ? clear_of_kink(z, wmag, rel_wy, ny) : clear_of_kink(z, zmag, rel_fwd, ny)))
            break;
    }
    double *dyd;
    float *dy = fill_data(ny, -1, 1, 7, &dyd);

    size_t n_arena = test_layer_place_params(&l);
    float *arena = malloc(n_arena * sizeof *arena);
    for (size_t i = 0; i < n_arena; i++) memcpy(&arena[i], &TEST_POISON, sizeof TEST_POISON);
    memcpy(arena + l.param_offset[0], w, nw * sizeof *w);
    if (cc->bias) memcpy(arena + l.param_offset[1], b, (size_t)F * sizeof *b);
    layer_io io = {.nx = nx, .ny = ny, .n_arena = n_arena, .x = x, .dy = dy, .arena = arena,
                   .want_dx = cc->want_dx};
    layer_run(what, &l, &io);
    if (CHUNK) conv_check_same_bits(what, &l, &io);

    /* Reference: y = relu(z); dz = dy masked; dx, dW, db; and their magnitudes. */
    double *y = dalloc(ny);
    for (size_t i = 0; i < ny; i++) y[i] = cc->relu && z[i] < 0 ? 0.0 : z[i];
    double *dz = relu_grad(z, dyd, ny, cc->relu), *dza = abs_copy(dz, ny);
    double *xa = abs_copy(xd, nx), *wa = abs_copy(wd, nw);
    double *dx = dalloc(nx), *dxm = dalloc(nx), *dw = dalloc(nw), *dwm = dalloc(nw);
    double *db = dalloc((size_t)F), *dbm = dalloc((size_t)F);
    ref_conv2d_backward_data(&g, dz, wd, dx);
    ref_conv2d_backward_data(&g, dza, wa, dxm);
    ref_conv2d_backward_filter(&g, xd, dz, dw, db);
    ref_conv2d_backward_filter(&g, xa, dza, dwm, dbm);

    char part[200];
    snprintf(part, sizeof part, "%s: y", what);
    if (wino)
        assert_true(check_bound(part, io.y, y, wmag, rel_wy, ny));
    else
        assert_true(check_bound(part, io.y, y, zmag, rel_fwd, ny));
    if (cc->want_dx) {
        /* dcol = W^T dz sums F products; col2im then sums up to kh*kw of those. Winograd: the
         * valid convolution of dz padded by 2 - padding with the flipped, transposed filters. */
        snprintf(part, sizeof part, "%s: dx", what);
        if (wino) {
            double *dxw = wino_magnitude(N, F, g.oh, g.ow, 2 - g.pad_top, 2 - g.pad_left, C, H, W,
                                         dz, NULL, wd, 8, wflip);
            int ok = check_bound(part, io.dx, dx, dxw, rel_wdx, nx);
            free(dxw);
            assert_true(ok);
        } else {
            assert_true(check_bound(part, io.dx, dx, dxm, gamma_k(F + cc->kh * cc->kw), nx));
        }
    }
    snprintf(part, sizeof part, "%s: dW", what);
    assert_true(check_bound(part, io.grads + l.param_offset[0], dw, dwm, gamma_k(N * P), nw));
    if (cc->bias) {
        snprintf(part, sizeof part, "%s: db", what);
        assert_true(check_bound(part, io.grads + l.param_offset[1], db, dbm, gamma_k(N * P),
                                (size_t)F));
    }
    layer_io_free(&io);
    free(x), free(w), free(b), free(xd), free(wd), free(bd), free(z), free(zmag), free(dy);
    free(dyd), free(arena), free(y), free(dz), free(dza), free(xa), free(wa), free(dx), free(dxm);
    free(dw), free(dwm), free(db), free(dbm), free(wmag);
}

static const conv_case conv_cases[] = {
    /* kh kw sh sw padding             bias relu dx */
    {3, 3, 1, 1, CLCNN_PADDING_VALID, 1, 1, 1},
    {3, 3, 1, 1, CLCNN_PADDING_SAME, 0, 0, 1},
    {3, 3, 2, 2, CLCNN_PADDING_VALID, 1, 0, 1},
    {3, 3, 2, 2, CLCNN_PADDING_SAME, 1, 1, 1},
    {5, 5, 1, 1, CLCNN_PADDING_VALID, 1, 0, 1},
    {5, 5, 1, 1, CLCNN_PADDING_SAME, 0, 1, 1},
    {5, 5, 2, 2, CLCNN_PADDING_SAME, 1, 1, 1},
    {2, 3, 1, 1, CLCNN_PADDING_SAME, 1, 1, 1},
    {2, 3, 2, 2, CLCNN_PADDING_VALID, 0, 1, 1},
    {2, 3, 2, 1, CLCNN_PADDING_SAME, 1, 0, 1},
    {1, 1, 1, 1, CLCNN_PADDING_VALID, 1, 0, 1},
    {1, 1, 2, 2, CLCNN_PADDING_SAME, 0, 1, 1},
    {6, 2, 1, 1, CLCNN_PADDING_SAME, 1, 1, 1}, /* direct: taps not unrolled (KH > 5) */
    {3, 3, 1, 1, CLCNN_PADDING_VALID, 1, 1, 0},
};
#define N_CONV_CASES (sizeof conv_cases / sizeof conv_cases[0])

static void conv_all(clcnn_route route) {
    for (int set = 0; set < n_sets(); set++) {
        use_set(set);
        for (size_t i = 0; i < N_CONV_CASES; i++) conv_check(&conv_cases[i], route);
    }
}

static void test_conv2d_own(void **state) {
    (void)state;
    conv_all(CLCNN_ROUTE_OWN);
}

static void test_conv2d_clblast(void **state) {
    (void)state;
    conv_all(CLCNN_ROUTE_CLBLAST);
}

/* The GPU shape: tiled products, one work-item per element in im2col/col2im, bias gradients
 * by work-group reductions. */
static void test_conv2d_gpu_shaped(void **state) {
    (void)state;
    setenv("CLCNN_CONV_LAYOUT", "items", 1);
    setenv("CLCNN_REDUCE_WG", "64", 1);
    conv_all(CLCNN_ROUTE_TILED);
    unsetenv("CLCNN_CONV_LAYOUT");
    unsetenv("CLCNN_REDUCE_WG");
}

/* Sets (value NULL: unsets) a convolution override and has the device read them again, as a
 * new process would at open (cl/conv_env.c). */
static int conv_env(const char *name, const char *value) {
    if (value)
        setenv(name, value, 1);
    else
        unsetenv(name);
    return clcnn_conv_env_load(test_ctx) == CLCNN_STATUS_OK;
}

/* Sets (NULL: unsets) CLCNN_VECTOR_WIDTH, the vector width the kernels are shaped for, and opens
 * the test context again, which reads it at open as a new process would (a fresh context also
 * keeps the two widths' kernels from filling one context's kernel table). */
static int vector_width(const char *value) {
    if (value)
        setenv("CLCNN_VECTOR_WIDTH", value, 1);
    else
        unsetenv("CLCNN_VECTOR_WIDTH");
    test_device_teardown(NULL);
    test_device_setup(NULL);
    return test_ctx != NULL;
}

/* The direct stride-1 kernels (nn/conv2d_direct.c), forced for every phase; the cases they do
 * not fit (strides 2) run im2col. Each set also runs with batch 1, and with tiles whose sizes
 * divide nothing, some forward tiles along output rows and some along wide rows, and the weight
 * gradient summed in groups of 1 and 2 images and in tiles of 4 vectors of filters (in float16,
 * AVX-512's 64-filter tile: wider than every set's filters); all of it in float16 and in float8
 * (the kernels' two widths: AVX-512 devices' and the others'), whatever the device's own width. */
static int direct_teardown(void **state) {
    (void)state;
    conv_env("CLCNN_CONV_TILE", NULL); /* also after a failed assertion */
    conv_env("CLCNN_CONV", NULL);
    vector_width(NULL);
    return 0;
}

/* One width's runs. */
static void direct_width(void) {
    const char *tiles[] = {"", "5,1,3,5,1", "3,4,1,7,2", "4,3,4,5"};
    /* Under Oclgrind (small): each tile on one set (the second's tiles run along output rows
     * there), stride 1 only (strides 2 run im2col, which oclgrind_layers checks), so that the
     * run ends in minutes. */
    for (size_t t = 0; t < sizeof tiles / sizeof tiles[0]; t++) {
        assert_true(conv_env("CLCNN_CONV_TILE", tiles[t]));
        int first = small ? (int)t % 2 : 0, end = small ? first + 1 : n_sets();
        for (int set = first; set < end; set++) {
            use_set(set);
            for (int one = 0; one < 2; one++) {
                if (one) N = 1;
                if (small && one != (t == 1)) continue;
                for (size_t i = 0; i < N_CONV_CASES; i++)
                    if (!small || conv_cases[i].sh == 1)
                        conv_check(&conv_cases[i], CLCNN_ROUTE_AUTO);
            }
        }
    }
    /* conv_small (at most 9 taps): one input channel (forward; a first layer's shape), one filter
     * (the data gradient), on the odd set; 3x3 and 2x3 taps, inputs 9, 8 and 7 wide (rows
     * narrower than a vector) and 26, 18 and 17 (one or two float16 vectors, the last one
     * overlapping, or rows of exactly 16 outputs). */
    assert_true(conv_env("CLCNN_CONV_TILE", ""));
    static const int small_w[] = {9, 8, 7, 26, 18, 17};
    for (int one = 0; one < 2; one++)
        for (size_t i = 0; i < N_CONV_CASES; i++) {
            if (conv_cases[i].sh != 1 || conv_cases[i].kh * conv_cases[i].kw > 9) continue;
            use_set(1);
            if (one) F = 1;
            else C = 1;
            for (size_t w = 0; w < (small ? 1 : sizeof small_w / sizeof small_w[0]); w++) {
                W = small_w[w];
                conv_check(&conv_cases[i], CLCNN_ROUTE_AUTO);
            }
        }
}

static void test_conv2d_direct(void **state) {
    (void)state;
    assert_true(conv_env("CLCNN_CONV", "direct"));
    static const char *const widths[] = {"16", "8"};
    for (size_t v = 0; v < sizeof widths / sizeof widths[0]; v++) {
        assert_true(vector_width(widths[v]));
        direct_width();
    }
}

/* Winograd's F(2x2, 3x3) forced (CLCNN_CONV=winograd) for forward and the data gradient of every
 * stride-1 3x3 case (the weight gradient runs direct; other cases fall back to direct or im2col),
 * bounded by its own error (wino_magnitude). Each set runs as is (odd heights and widths: tiles
 * past the edges), with an even width, with batch 1, and in chunks of 2 images (CLCNN_WINO_IMAGES:
 * 2 + 1 for the odd set); the large set with 12 channels, so that
 * its 33 filters fit Winograd's workspace rule. Under Oclgrind: the first two sets. */
static int wino_teardown(void **state) {
    (void)state;
    WINO = 0; /* also after a failed assertion */
    conv_env("CLCNN_WINO_IMAGES", NULL);
    conv_env("CLCNN_CONV", NULL);
    return 0;
}

static void test_conv2d_winograd(void **state) {
    (void)state;
    assert_true(conv_env("CLCNN_CONV", "winograd"));
    WINO = 1;
    int runs = 0;
    for (int set = 0; set < n_sets(); set++)
        for (int variant = 0; variant < 4; variant++) {
            use_set(set);
            if (set == 2) C = 12;
            if (variant == 1) W += 1;
            if (variant == 2) N = 1;
            assert_true(conv_env("CLCNN_WINO_IMAGES", variant == 3 ? "2" : NULL));
            for (size_t i = 0; i < N_CONV_CASES; i++) {
                const conv_case *cc = &conv_cases[i];
                if (cc->kh != 3 || cc->kw != 3 || cc->sh != 1) continue;
                conv_check(cc, CLCNN_ROUTE_AUTO);
                runs++;
            }
        }
    assert_true(runs >= 12 * (n_sets() - 1));
}

/* The workspace holds Winograd's transform domain only where Winograd may run (CLCNN_CONV=winograd
 * or the layer's forced algorithm; it is not raced), and the chunk sizes read from the
 * environment are whole numbers (cl/kparams.c's one reader of numbers, naming the variable). A
 * 16 -> 16 channel 3x3 layer on 12x12: Winograd's domain (24,576 floats per example) is larger
 * than the direct path's and im2col's (20,736). */
static int workspace_teardown(void **state) {
    (void)state;
    conv_env("CLCNN_WINO_IMAGES", NULL); /* also after a failed assertion */
    conv_env("CLCNN_CONV_CHUNK", NULL);
    conv_env("CLCNN_CONV", NULL);
    return 0;
}

static void test_conv2d_workspace(void **state) {
    (void)state;
    clcnn_layer_spec spec;
    clcnn_layer_spec_default(&spec, "conv2d");
    spec.filters = 16;
    clcnn_layer l;
    test_layer_make(&l, &spec, (clcnn_shape){16, 12, 12}, 1, CLCNN_ROUTE_AUTO);
    clcnn_conv_geom g = clcnn_conv_geom_of(&l);
    size_t wino = clcnn_conv_winograd_workspace(&g);
    assert_true(wino > l.workspace);
    assert_true(conv_env("CLCNN_CONV", NULL));
    assert_int_equal(clcnn_layer_workspace(&l, test_ctx, 5), 5 * l.workspace);
    assert_true(conv_env("CLCNN_CONV", "direct"));
    assert_int_equal(clcnn_layer_workspace(&l, test_ctx, 5), 5 * l.workspace);
    assert_true(conv_env("CLCNN_CONV", "winograd"));
    assert_int_equal(clcnn_layer_workspace(&l, test_ctx, 5), 5 * wino);
    l.conv_alg = CLCNN_CONV_DIRECT; /* the layer's own choice wins over the environment's */
    assert_int_equal(clcnn_layer_workspace(&l, test_ctx, 5), 5 * l.workspace);
    assert_true(conv_env("CLCNN_CONV", NULL));
    l.conv_alg = CLCNN_CONV_WINOGRAD;
    assert_int_equal(clcnn_layer_workspace(&l, test_ctx, 5), 5 * wino);

    static const char *const bad[][2] = {{"CLCNN_WINO_IMAGES", "2.5"},
                                         {"CLCNN_WINO_IMAGES", "-1"},
                                         {"CLCNN_CONV_CHUNK", "3x"},
                                         {"CLCNN_CONV_CHUNK", "70000"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_false(conv_env(bad[i][0], bad[i][1]));
        char want[64];
        snprintf(want, sizeof want, "%s='%s'", bad[i][0], bad[i][1]);
        if (!strstr(clcnn_last_error(), want)) printf("error: %s\n", clcnn_last_error());
        assert_non_null(strstr(clcnn_last_error(), want));
        assert_true(conv_env(bad[i][0], NULL));
    }
    assert_true(conv_env("CLCNN_WINO_IMAGES", "3"));
    assert_int_equal(test_ctx->conv.wino_images, 3);
}

/* The algorithm race on a fresh route cache (a context of its own, so that every phase is
 * raced, with conv_touch reading the step's working set around each candidate): whatever it
 * picks, forward and backward after it match the reference (the reads must change nothing).
 * CPU-class devices only (others do not race). Under Oclgrind: the tiny set. */
static struct clcnn_context *race_saved_ctx;
static char race_dir[256];

static int race_teardown(void **state) {
    (void)state;
    if (race_saved_ctx) { /* also after a failed assertion */
        clcnn_context_destroy(test_ctx);
        test_ctx = race_saved_ctx, race_saved_ctx = NULL;
    }
    if (race_dir[0]) test_remove_tree(race_dir);
    race_dir[0] = '\0';
    return 0;
}

static void test_conv2d_race(void **state) {
    (void)state;
    if (clcnn_device_class_of(&test_ctx->info) != CLCNN_CLASS_CPU) skip();
    const char *old = getenv("CLCNN_CACHE_DIR");
    char saved[512] = "";
    if (old) snprintf(saved, sizeof saved, "%s", old);
    setenv("CLCNN_CACHE_DIR", test_temp_dir("race", race_dir, sizeof race_dir), 1);
    race_saved_ctx = test_ctx;
    test_ctx = test_context();
    if (saved[0]) setenv("CLCNN_CACHE_DIR", saved, 1);
    else unsetenv("CLCNN_CACHE_DIR");
    for (int set = 0; set < (small ? 1 : 2); set++) {
        use_set(set);
        for (size_t i = 0; i < N_CONV_CASES; i++)
            if (conv_cases[i].sh == 1) conv_check(&conv_cases[i], CLCNN_ROUTE_AUTO);
    }
    use_set(1);
}

/* Batch chunks: 7 images in chunks of 1, 3 (3 + 3 + 1) and 7, by our CPU-shaped kernels and the
 * GPU shape (tiled products, per-element im2col/col2im). Under Oclgrind: the first set, chunks of
 * 3, our route. */
static int chunks_teardown(void **state) {
    (void)state;
    CHUNK = 0; /* also after a failed assertion */
    unsetenv("CLCNN_CONV_LAYOUT");
    return 0;
}

static void test_conv2d_chunks(void **state) {
    (void)state;
    static const int chunks[] = {1, 3, 7};
    for (int gpu = 0; gpu < (small ? 1 : 2); gpu++) {
        if (gpu) setenv("CLCNN_CONV_LAYOUT", "items", 1);
        for (int set = 0; set < (small ? 1 : 2); set++)
            for (size_t c = small ? 1 : 0; c < (small ? 2 : 3); c++) {
                use_set(set);
                N = 7, CHUNK = chunks[c];
                for (size_t i = 0; i < N_CONV_CASES; i++)
                    conv_check(&conv_cases[i], gpu ? CLCNN_ROUTE_TILED : CLCNN_ROUTE_OWN);
            }
    }
    use_set(1);
}

/* ---- dense ------------------------------------------------------------------------------------ */

static void dense_check(int bias, int relu, int want_dx, clcnn_route route) {
    char what[160];
    snprintf(what, sizeof what, "%s: dense %d->%d%s%s%s route %s", SET, IN, UNITS, bias ? " bias" : "",
             relu ? " relu" : "", want_dx ? "" : " (first layer)", route_label(route));
    clcnn_layer_spec spec;
    clcnn_layer_spec_default(&spec, "dense");
    spec.units = UNITS;
    spec.use_bias = bias;
    clcnn_layer l;
    test_layer_make(&l, &spec, (clcnn_shape){IN, 1, 1}, relu, route);
    assert_int_equal(l.out.c, UNITS);
    assert_int_equal(l.out.h, 1);
    assert_int_equal(l.out.w, 1);
    size_t nx = (size_t)N * IN, ny = (size_t)N * UNITS, nw = (size_t)UNITS * IN;
    double rel_fwd = gamma_k(IN + 1);
    float *x = NULL, *w = NULL, *b = NULL;
    double *xd = NULL, *wd = NULL, *bd = NULL, *z = dalloc(ny), *zmag = dalloc(ny);
    for (uint64_t seed = 200;; seed += 10) {
        assert_true(seed < 1000);
        free(x), free(w), free(b), free(xd), free(wd), free(bd);
        x = fill_data(nx, -1, 1, seed, &xd);
        w = fill_data(nw, -0.5, 0.5, seed + 1, &wd);
        b = fill_data((size_t)UNITS, -0.5, 0.5, seed + 2, &bd);
        ref_dense_forward(xd, wd, bias ? bd : NULL, z, N, IN, UNITS);
        double *xa = abs_copy(xd, nx), *wa = abs_copy(wd, nw), *ba = abs_copy(bd, (size_t)UNITS);
        ref_dense_forward(xa, wa, bias ? ba : NULL, zmag, N, IN, UNITS);
        free(xa), free(wa), free(ba);
        if (!relu || DYADIC || clear_of_kink(z, zmag, rel_fwd, ny)) break;
    }
    double *dyd;
    float *dy = fill_data(ny, -1, 1, 8, &dyd);
    size_t n_arena = test_layer_place_params(&l);
    float *arena = malloc(n_arena * sizeof *arena);
    for (size_t i = 0; i < n_arena; i++) memcpy(&arena[i], &TEST_POISON, sizeof TEST_POISON);
    memcpy(arena + l.param_offset[0], w, nw * sizeof *w);
    if (bias) memcpy(arena + l.param_offset[1], b, (size_t)UNITS * sizeof *b);
    layer_io io = {.nx = nx, .ny = ny, .n_arena = n_arena, .x = x, .dy = dy, .arena = arena,
                   .want_dx = want_dx};
    layer_run(what, &l, &io);

    double *y = dalloc(ny);
    for (size_t i = 0; i < ny; i++) y[i] = relu && z[i] < 0 ? 0.0 : z[i];
    double *dz = relu_grad(z, dyd, ny, relu), *dza = abs_copy(dz, ny);
    double *xa = abs_copy(xd, nx), *wa = abs_copy(wd, nw);
    double *dx = dalloc(nx), *dxm = dalloc(nx), *dw = dalloc(nw), *dwm = dalloc(nw);
    double *db = dalloc((size_t)UNITS), *dbm = dalloc((size_t)UNITS);
    ref_dense_backward(xd, wd, dz, dx, dw, db, N, IN, UNITS);
    ref_dense_backward(xa, wa, dza, dxm, dwm, dbm, N, IN, UNITS);
    char part[200];
    snprintf(part, sizeof part, "%s: y", what);
    assert_true(check_bound(part, io.y, y, zmag, rel_fwd, ny));
    if (want_dx) {
        snprintf(part, sizeof part, "%s: dx", what);
        assert_true(check_bound(part, io.dx, dx, dxm, gamma_k(UNITS), nx));
    }
    snprintf(part, sizeof part, "%s: dW", what);
    assert_true(check_bound(part, io.grads + l.param_offset[0], dw, dwm, gamma_k(N), nw));
    if (bias) {
        snprintf(part, sizeof part, "%s: db", what);
        assert_true(check_bound(part, io.grads + l.param_offset[1], db, dbm, gamma_k(N),
                                (size_t)UNITS));
    }
    layer_io_free(&io);
    free(x), free(w), free(b), free(xd), free(wd), free(bd), free(z), free(zmag), free(dy);
    free(dyd), free(arena), free(y), free(dz), free(dza), free(xa), free(wa), free(dx), free(dxm);
    free(dw), free(dwm), free(db), free(dbm);
}

static void dense_all(clcnn_route route) {
    for (int set = 0; set < n_sets(); set++) {
        use_set(set);
        dense_check(1, 1, 1, route);
        dense_check(1, 0, 1, route);
        dense_check(0, 1, 1, route);
        dense_check(0, 0, 0, route);
    }
}

static void test_dense_own(void **state) {
    (void)state;
    dense_all(CLCNN_ROUTE_OWN);
}

static void test_dense_clblast(void **state) {
    (void)state;
    dense_all(CLCNN_ROUTE_CLBLAST);
}

static void test_dense_tiled(void **state) {
    (void)state;
    setenv("CLCNN_REDUCE_WG", "32", 1);
    dense_all(CLCNN_ROUTE_TILED);
    unsetenv("CLCNN_REDUCE_WG");
}

/* ---- max_pooling2d ---------------------------------------------------------------------------- */

/* Distinct values in (-1, 1): a shuffled ramp, so no window has a tie. */
static float *distinct_values(size_t n, uint64_t seed, double **as_double) {
    uint32_t *perm = malloc(n * sizeof *perm);
    for (size_t i = 0; i < n; i++) perm[i] = (uint32_t)i;
    clcnn_rng rng;
    clcnn_rng_seed(&rng, seed);
    clcnn_rng_shuffle_u32(&rng, perm, n);
    float *v = malloc(n * sizeof *v);
    for (size_t i = 0; i < n; i++) v[i] = (float)(2.0 * (perm[i] + 0.5) / (double)n - 1.0);
    free(perm);
    *as_double = test_to_double(v, n);
    return v;
}

static void pool_check(int kh, int kw, int sh, int sw, clcnn_padding pad, int want_dx) {
    char what[160];
    snprintf(what, sizeof what, "%s: max_pooling2d %dx%d s%dx%d %s%s", SET, kh, kw, sh, sw,
             pad == CLCNN_PADDING_SAME ? "same" : "valid", want_dx ? "" : " (first layer)");
    clcnn_layer_spec spec;
    clcnn_layer_spec_default(&spec, "max_pooling2d");
    spec.pool_size[0] = kh, spec.pool_size[1] = kw;
    spec.strides[0] = sh, spec.strides[1] = sw;
    spec.padding = pad;
    clcnn_layer l;
    test_layer_make(&l, &spec, (clcnn_shape){C, H, W}, 0, CLCNN_ROUTE_AUTO);
    ref_window g = {.n = N, .c = C, .h = H, .w = W, .k = C, .kh = kh, .kw = kw,
                    .sh = sh ? sh : kh, .sw = sw ? sw : kw};
    assert_true(ref_window_resolve(&g, pad == CLCNN_PADDING_SAME));
    assert_int_equal(l.out.c, C);
    assert_int_equal(l.out.h, g.oh);
    assert_int_equal(l.out.w, g.ow);
    assert_int_equal(l.n_params, 0);
    size_t nx = (size_t)N * C * H * W, ny = (size_t)N * C * g.oh * g.ow;
    double *xd, *dyd;
    float *x = distinct_values(nx, 300, &xd), *dy = fill_data(ny, -1, 1, 9, &dyd);
    float arena[1] = {0};
    layer_io io = {.nx = nx, .ny = ny, .n_arena = 1, .x = x, .dy = dy, .arena = arena,
                   .want_dx = want_dx};
    layer_run(what, &l, &io);
    double *y = dalloc(ny), *dx = dalloc(nx), *dxm = dalloc(nx), *dya = abs_copy(dyd, ny);
    ref_maxpool_forward(&g, xd, y);
    ref_maxpool_backward(&g, xd, dyd, dx);
    ref_maxpool_backward(&g, xd, dya, dxm);
    char part[200];
    snprintf(part, sizeof part, "%s: y", what);
    assert_true(check_bound(part, io.y, y, NULL, 0.0, ny)); /* a copy: exact */
    if (want_dx) {
        /* Overlapping windows add up to ceil(k/s)^2 gradients into one input. */
        int overlap = ((kh + g.sh - 1) / g.sh) * ((kw + g.sw - 1) / g.sw);
        snprintf(part, sizeof part, "%s: dx", what);
        assert_true(check_bound(part, io.dx, dx, dxm, gamma_k(overlap), nx));
    }
    layer_io_free(&io);
    free(x), free(xd), free(dy), free(dyd), free(y), free(dx), free(dxm), free(dya);
}

static void test_max_pooling2d(void **state) {
    (void)state;
    for (int set = 0; set < n_sets(); set++) {
        use_set(set);
        pool_check(2, 2, 0, 0, CLCNN_PADDING_VALID, 1); /* strides default to the pool size */
        pool_check(2, 2, 2, 2, CLCNN_PADDING_SAME, 1);
        pool_check(3, 3, 2, 2, CLCNN_PADDING_SAME, 1);
        pool_check(3, 3, 2, 2, CLCNN_PADDING_VALID, 1);
        pool_check(3, 3, 1, 1, CLCNN_PADDING_VALID, 1); /* overlapping windows */
        pool_check(3, 3, 1, 1, CLCNN_PADDING_SAME, 1);
        pool_check(2, 3, 1, 2, CLCNN_PADDING_SAME, 1);
        /* Windows smaller than the stride (the scatter path): cells no window covers get 0. */
        pool_check(2, 3, 3, 4, CLCNN_PADDING_SAME, 1);
        pool_check(2, 2, 3, 3, CLCNN_PADDING_VALID, 1);
        pool_check(2, 2, 0, 0, CLCNN_PADDING_VALID, 0);
        /* The other shape of the kernels (a work-item per element on CPUs, per planes on GPUs):
         * the overlapping gather and the non-overlapping scatter. */
        const char *other = getenv("CLCNN_CONV_LAYOUT");
        setenv("CLCNN_CONV_LAYOUT", other && strcmp(other, "items") == 0 ? "planes" : "items", 1);
        pool_check(3, 3, 2, 2, CLCNN_PADDING_SAME, 1);
        pool_check(2, 2, 0, 0, CLCNN_PADDING_VALID, 1);
        pool_check(2, 3, 3, 4, CLCNN_PADDING_SAME, 1);
        if (other)
            setenv("CLCNN_CONV_LAYOUT", other, 1);
        else
            unsetenv("CLCNN_CONV_LAYOUT");
    }
}

/* ---- relu and flatten ------------------------------------------------------------------------- */

static void relu_check(void) {
    clcnn_layer_spec spec;
    clcnn_layer_spec_default(&spec, "relu");
    clcnn_layer l;
    test_layer_make(&l, &spec, (clcnn_shape){C, H, W}, 0, CLCNN_ROUTE_AUTO);
    assert_int_equal(l.out.c, C);
    assert_int_equal(l.out.h, H);
    assert_int_equal(l.out.w, W);
    size_t n = (size_t)N * C * H * W;
    double *xd, *dyd;
    float *x = test_random_f(n, -1, 1, 400, &xd), *dy = test_random_f(n, -1, 1, 401, &dyd);
    /* Clear of the kink: |x| >= 0.1. */
    for (size_t i = 0; i < n; i++) {
        x[i] = x[i] < 0 ? x[i] - 0.1f : x[i] + 0.1f;
        xd[i] = x[i];
    }
    float arena[1] = {0};
    layer_io io = {.nx = n, .ny = n, .n_arena = 1, .x = x, .dy = dy, .arena = arena, .want_dx = 1};
    layer_run(SET, &l, &io);
    double *y = dalloc(n), *dx = dalloc(n);
    ref_relu_forward(xd, y, n);
    ref_relu_backward(xd, dyd, dx, n);
    char what[64];
    snprintf(what, sizeof what, "%s: relu: y", SET);
    assert_true(check_bound(what, io.y, y, NULL, 0.0, n));
    snprintf(what, sizeof what, "%s: relu: dx", SET);
    assert_true(check_bound(what, io.dx, dx, NULL, 0.0, n));
    layer_io_free(&io);
    free(x), free(xd), free(dy), free(dyd), free(y), free(dx);
}

static void test_relu(void **state) {
    (void)state;
    for (int set = 0; set < n_sets(); set++) {
        use_set(set);
        relu_check();
    }
}

static void test_flatten(void **state) {
    (void)state;
    clcnn_layer_spec spec;
    clcnn_layer_spec_default(&spec, "flatten");
    clcnn_layer l;
    test_layer_make(&l, &spec, (clcnn_shape){C, H, W}, 0, CLCNN_ROUTE_AUTO);
    assert_int_equal(l.out.c, C * H * W);
    assert_int_equal(l.out.h, 1);
    assert_int_equal(l.out.w, 1);
    assert_true(l.type->aliases_input); /* the model hands the next layer the same buffer */
    assert_int_equal(l.n_params, 0);
}

/* ---- softmax cross-entropy -------------------------------------------------------------------- */

/* Launches loss.cl's softmax_xent as nn/step.c does, with the per-example metrics written at
 * `slot`. */
static void launch_xent(cl_mem logits, cl_mem labels, cl_mem dlogits, int k, int n, cl_mem loss,
                        cl_mem correct, cl_mem pred, int slot, int want_grad) {
    cl_kernel kern;
    assert_int_equal(clcnn_kernel_get(test_ctx, "loss.cl", "softmax_xent", &kern), CLCNN_STATUS_OK);
    float inv = 1.0f / (float)n;
    clcnn_arg args[] = {CLCNN_ARG(logits), CLCNN_ARG(labels), CLCNN_ARG(dlogits), CLCNN_ARG(k),
                        CLCNN_ARG(n),      CLCNN_ARG(inv),    CLCNN_ARG(loss),    CLCNN_ARG(correct),
                        CLCNN_ARG(pred),   CLCNN_ARG(slot),   CLCNN_ARG(want_grad)};
    size_t global[1] = {(size_t)n};
    assert_int_equal(clcnn_launch(test_ctx, kern, 1, global, NULL, args, 11), CLCNN_STATUS_OK);
}

static void test_softmax_xent(void **state) {
    (void)state;
    int n = 7, k = 11, slot = 3;
    size_t nz = (size_t)n * k;
    double *zd;
    float *z = test_random_f(nz, -3, 3, 500, &zd);
    /* Row 1 is huge (exp would overflow float without the max subtracted); row 2 has a tie for
     * the maximum (the first wins, as numpy's argmax). */
    for (int j = 0; j < k; j++) z[k + j] += 90.0f;
    z[2 * k + 1] = z[2 * k + 3] = 4.0f;
    uint8_t labels[16];
    int ilabels[16];
    for (int i = 0; i < n; i++) labels[i] = (uint8_t)(ilabels[i] = (i * 5 + 2) % k);
    labels[2] = 1, ilabels[2] = 1; /* the first of the tied maxima: counted correct */
    labels[0] = (uint8_t)(ilabels[0] = 0);
    free(zd);
    zd = test_to_double(z, nz);

    cl_mem dz = test_dev_buffer(nz), dd = test_dev_buffer(nz), dloss = test_dev_buffer((size_t)(n + slot));
    cl_mem dlab, dcorrect, dpred;
    assert_int_equal(clcnn_buffer_create(test_ctx, (size_t)n, &dlab), CLCNN_STATUS_OK);
    assert_int_equal(clcnn_buffer_create(test_ctx, (size_t)(n + slot), &dcorrect), CLCNN_STATUS_OK);
    assert_int_equal(clcnn_buffer_create(test_ctx, (size_t)(n + slot), &dpred), CLCNN_STATUS_OK);
    test_dev_write(dz, z, nz);
    assert_int_equal(clcnn_buffer_write(test_ctx, dlab, 0, (size_t)n, labels), CLCNN_STATUS_OK);
    launch_xent(dz, dlab, dd, k, n, dloss, dcorrect, dpred, slot, 1);
    float *loss = test_dev_read("softmax_xent loss", dloss, (size_t)(n + slot));
    float *grad = test_dev_read("softmax_xent dlogits", dd, nz);
    uint8_t correct[32], pred[32];
    assert_int_equal(clcnn_buffer_read(test_ctx, dcorrect, 0, (size_t)(n + slot), correct),
                     CLCNN_STATUS_OK);
    assert_int_equal(clcnn_buffer_read(test_ctx, dpred, 0, (size_t)(n + slot), pred), CLCNN_STATUS_OK);

    double *want_loss = dalloc((size_t)n), *loss_mag = dalloc((size_t)n);
    double *want_grad = dalloc(nz), *grad_mag = dalloc(nz), *probs = dalloc(nz);
    ref_softmax_xent_backward(zd, ilabels, want_grad, n, k);
    ref_softmax_xent_forward(zd, ilabels, probs, n, k);
    for (int i = 0; i < n; i++) {
        want_loss[i] = ref_softmax_xent_forward(zd + (size_t)i * k, &ilabels[i], NULL, 1, k);
        double zmax = 0;
        int arg = 0;
        for (int j = 0; j < k; j++) {
            zmax = fmax(zmax, fabs(zd[(size_t)i * k + j]));
            if (zd[(size_t)i * k + j] > zd[(size_t)i * k + arg]) arg = j;
        }
        /* exp and log are within 4 ulp in OpenCL C; the row max (up to 93 here) enters the log-
         * sum-exp with one rounding, so the error scales with it and with k terms. */
        loss_mag[i] = zmax + k;
        for (int j = 0; j < k; j++) grad_mag[(size_t)i * k + j] = (probs[(size_t)i * k + j] + 1.0 / n) * (zmax + k);
        if (pred[slot + i] != arg || correct[slot + i] != (arg == ilabels[i])) {
            printf("softmax_xent: example %d: pred %d correct %d, want %d and %d\n", i,
                   pred[slot + i], correct[slot + i], arg, arg == ilabels[i]);
            fail();
        }
    }
    assert_true(check_bound("softmax_xent: loss", loss + slot, want_loss, loss_mag,
                            8 * FLT_EPSILON, (size_t)n));
    for (int i = 0; i < slot; i++) assert_true(test_is_poison(&loss[i])); /* only its own slots */
    assert_true(check_bound("softmax_xent: dlogits", grad, want_grad, grad_mag, 8 * FLT_EPSILON,
                            nz));

    /* want_grad 0 (evaluation) leaves the gradient alone. */
    cl_mem dd2 = test_dev_buffer(nz);
    launch_xent(dz, dlab, dd2, k, n, dloss, dcorrect, dpred, 0, 0);
    float *untouched = test_dev_read("softmax_xent eval", dd2, nz);
    for (size_t i = 0; i < nz; i++) assert_true(test_is_poison(&untouched[i]));

    /* softmax_rows (predictions) against the reference's probabilities. */
    cl_kernel kern;
    assert_int_equal(clcnn_kernel_get(test_ctx, "loss.cl", "softmax_rows", &kern), CLCNN_STATUS_OK);
    cl_mem dp = test_dev_buffer(nz);
    clcnn_arg args[] = {CLCNN_ARG(dz), CLCNN_ARG(dp), CLCNN_ARG(k), CLCNN_ARG(n)};
    size_t global[1] = {(size_t)n};
    assert_int_equal(clcnn_launch(test_ctx, kern, 1, global, NULL, args, 4), CLCNN_STATUS_OK);
    float *p = test_dev_read("softmax_rows", dp, nz);
    double *pmag = dalloc(nz);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < k; j++) pmag[(size_t)i * k + j] = probs[(size_t)i * k + j] * 4 * k;
    assert_true(check_bound("softmax_rows", p, probs, pmag, 8 * FLT_EPSILON, nz));

    cl_mem all[] = {dz, dd, dloss, dlab, dcorrect, dpred, dd2, dp};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) clReleaseMemObject(all[i]);
    free(z), free(zd), free(loss), free(grad), free(want_loss), free(loss_mag), free(want_grad);
    free(grad_mag), free(probs), free(untouched), free(p), free(pmag);
}

/* ---- optimizers ------------------------------------------------------------------------------- */

typedef struct optim_case {
    const char *name; /* adam, sgd, rmsprop */
    float lr, momentum;
    int nesterov;
    float weight_decay; /* Keras' decoupled decay, applied by the kernel first: p *= decay */
} optim_case;

/* Hyperparameters far from the defaults, so each term of a formula moves the result by much more
 * than float32 rounding (eps inside or outside a square root, say). */
static const float B1 = 0.8f, B2 = 0.95f, ADAM_EPS = 1e-3f, RHO = 0.8f, RMS_EPS = 1e-2f;

static void optim_check(const optim_case *oc) {
    char what[96];
    snprintf(what, sizeof what, "%s lr %g momentum %g%s weight decay %g", oc->name,
             (double)oc->lr, (double)oc->momentum, oc->nesterov ? " nesterov" : "",
             (double)oc->weight_decay);
    float decay = 1.0f - oc->lr * oc->weight_decay; /* as nn/optimizers.c computes it */
    size_t n = 1001;
    cl_ulong count = n;
    double *pd;
    float *p = test_random_f(n, -1, 1, 600, &pd);
    double *s1 = dalloc(n), *s2 = dalloc(n);
    float *zeros = calloc(n, sizeof *zeros);
    cl_mem dp = test_dev_buffer(n), dg = test_dev_buffer(n), d1 = test_dev_buffer(n), d2 = test_dev_buffer(n);
    test_dev_write(dp, p, n);
    test_dev_write(d1, zeros, n);
    test_dev_write(d2, zeros, n);
    cl_kernel k;
    char kname[32];
    snprintf(kname, sizeof kname, "%s_step", oc->name);
    assert_int_equal(clcnn_kernel_get(test_ctx, "optim.cl", kname, &k), CLCNN_STATUS_OK);
    for (int t = 1; t <= 3; t++) {
        double *gd;
        float *g = test_random_f(n, 0.05, 1, 610 + (uint64_t)t, &gd);
        for (size_t i = 0; i < n; i += 2) g[i] = -g[i], gd[i] = -gd[i]; /* both signs, none ~0 */
        test_dev_write(dg, g, n);
        for (size_t i = 0; i < n; i++) pd[i] *= decay;
        clcnn_status s;
        if (strcmp(oc->name, "adam") == 0) {
            /* The step size with both bias corrections, computed on the host as nn/step.c does. */
            float lr_t = (float)(oc->lr * sqrt(1.0 - pow(B2, t)) / (1.0 - pow(B1, t)));
            clcnn_arg args[] = {CLCNN_ARG(dp),   CLCNN_ARG(dg), CLCNN_ARG(d1), CLCNN_ARG(d2),
                                CLCNN_ARG(lr_t), CLCNN_ARG(B1), CLCNN_ARG(B2), CLCNN_ARG(ADAM_EPS),
                                CLCNN_ARG(decay), CLCNN_ARG(count)};
            s = clcnn_launch(test_ctx, k, 1, &n, NULL, args, 10);
            ref_adam_step(pd, gd, s1, s2, n, oc->lr, B1, B2, ADAM_EPS, t);
        } else if (strcmp(oc->name, "sgd") == 0) {
            clcnn_arg args[] = {CLCNN_ARG(dp), CLCNN_ARG(dg), CLCNN_ARG(d1), CLCNN_ARG(oc->lr),
                                CLCNN_ARG(oc->momentum), CLCNN_ARG(oc->nesterov), CLCNN_ARG(decay),
                                CLCNN_ARG(count)};
            s = clcnn_launch(test_ctx, k, 1, &n, NULL, args, 8);
            ref_sgd_step(pd, gd, s1, n, oc->lr, oc->momentum, oc->nesterov);
        } else {
            clcnn_arg args[] = {CLCNN_ARG(dp),  CLCNN_ARG(dg),           CLCNN_ARG(d1),
                                CLCNN_ARG(d2),  CLCNN_ARG(oc->lr),       CLCNN_ARG(RHO),
                                CLCNN_ARG(oc->momentum), CLCNN_ARG(RMS_EPS), CLCNN_ARG(decay),
                                CLCNN_ARG(count)};
            s = clcnn_launch(test_ctx, k, 1, &n, NULL, args, 10);
            ref_rmsprop_step(pd, gd, s1, s2, n, oc->lr, RHO, oc->momentum, RMS_EPS);
        }
        assert_int_equal(s, CLCNN_STATUS_OK);
        /* A handful of float32 roundings per step, compounding over three steps: well within
         * 1e-6 relative to the largest value involved (|p| < 1.1, the states are below 1). */
        char part[160];
        float *got = test_dev_read(what, dp, n);
        snprintf(part, sizeof part, "%s step %d: params", what, t);
        assert_true(test_allclose(part, got, pd, n, 1e-6, 1e-6));
        free(got);
        /* State buffers in use: adam m, v; sgd the velocity with momentum; rmsprop the
         * average, and the momentum when there is one. */
        int states = oc->momentum != 0;
        if (strcmp(oc->name, "sgd") != 0) states++;
        if (strcmp(oc->name, "adam") == 0) states = 2;
        cl_mem dstate[2] = {d1, d2};
        double *want[2] = {s1, s2};
        for (int si = 0; si < states; si++) {
            got = test_dev_read(what, dstate[si], n);
            snprintf(part, sizeof part, "%s step %d: state %d", what, t, si + 1);
            assert_true(test_allclose(part, got, want[si], n, 1e-6, 1e-7));
            free(got);
        }
        free(g), free(gd);
    }
    cl_mem all[] = {dp, dg, d1, d2};
    for (size_t i = 0; i < 4; i++) clReleaseMemObject(all[i]);
    free(p), free(pd), free(s1), free(s2), free(zeros);
}

static void test_optimizers(void **state) {
    (void)state;
    static const optim_case cases[] = {
        {"adam", 0.05f, 0, 0, 0},      {"sgd", 0.1f, 0, 0, 0},      {"sgd", 0.1f, 0.7f, 0, 0},
        {"sgd", 0.1f, 0.7f, 1, 0},     {"rmsprop", 0.05f, 0, 0, 0}, {"rmsprop", 0.05f, 0.7f, 0, 0},
        /* The decay fused into each update (1 - 0.05 * 2 = 0.9 a step: far above rounding). */
        {"adam", 0.05f, 0, 0, 2.0f},
        {"sgd", 0.1f, 0.7f, 1, 1.0f},
        {"rmsprop", 0.05f, 0.7f, 0, 2.0f},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) optim_check(&cases[i]);
}

/* ---- batch gathering and normalization -------------------------------------------------------- */

static void gather_check(int use_order, int start, int count) {
    int n = 9, ex = 3 * 5 * 7;
    size_t bytes = (size_t)n * ex;
    uint8_t *images = malloc(bytes), labels[9];
    clcnn_rng rng;
    clcnn_rng_seed(&rng, 700);
    for (size_t i = 0; i < bytes; i++) images[i] = (uint8_t)clcnn_rng_below(&rng, 256);
    images[0] = 0, images[1] = 255;
    for (int i = 0; i < n; i++) labels[i] = (uint8_t)clcnn_rng_below(&rng, 10);
    uint32_t order[9];
    for (int i = 0; i < n; i++) order[i] = (uint32_t)i;
    clcnn_rng_shuffle_u32(&rng, order, (size_t)n);
    cl_mem dimg, dlab, dord, dblab;
    assert_int_equal(clcnn_buffer_create(test_ctx, bytes, &dimg), CLCNN_STATUS_OK);
    assert_int_equal(clcnn_buffer_create(test_ctx, (size_t)n, &dlab), CLCNN_STATUS_OK);
    assert_int_equal(clcnn_buffer_create(test_ctx, sizeof order, &dord), CLCNN_STATUS_OK);
    assert_int_equal(clcnn_buffer_create(test_ctx, (size_t)count, &dblab), CLCNN_STATUS_OK);
    cl_mem dx = test_dev_buffer((size_t)count * ex);
    assert_int_equal(clcnn_buffer_write(test_ctx, dimg, 0, bytes, images), CLCNN_STATUS_OK);
    assert_int_equal(clcnn_buffer_write(test_ctx, dlab, 0, (size_t)n, labels), CLCNN_STATUS_OK);
    assert_int_equal(clcnn_buffer_write(test_ctx, dord, 0, sizeof order, order), CLCNN_STATUS_OK);
    cl_kernel k;
    assert_int_equal(clcnn_kernel_get(test_ctx, "data.cl", "gather_batch", &k), CLCNN_STATUS_OK);
    float inv_scale = 1.0f / 255.0f;
    cl_uint chunk_first = 0, chunk_n = (cl_uint)n; /* the whole set as one chunk */
    clcnn_arg args[] = {CLCNN_ARG(dimg),  CLCNN_ARG(dlab),      CLCNN_ARG(dord),
                        CLCNN_ARG(use_order), CLCNN_ARG(start), CLCNN_ARG(ex),
                        CLCNN_ARG(inv_scale), CLCNN_ARG(dx),    CLCNN_ARG(dblab),
                        CLCNN_ARG(count), CLCNN_ARG(chunk_first), CLCNN_ARG(chunk_n)};
    size_t global[2] = {(size_t)ex, (size_t)count};
    assert_int_equal(clcnn_launch(test_ctx, k, 2, global, NULL, args, 12), CLCNN_STATUS_OK);
    float *x = test_dev_read("gather_batch", dx, (size_t)count * ex);
    uint8_t blab[9];
    assert_int_equal(clcnn_buffer_read(test_ctx, dblab, 0, (size_t)count, blab), CLCNN_STATUS_OK);
    double *want = dalloc((size_t)count * ex);
    for (int b = 0; b < count; b++) {
        uint32_t idx = use_order ? order[start + b] : (uint32_t)(start + b);
        for (int e = 0; e < ex; e++) want[(size_t)b * ex + e] = images[(size_t)idx * ex + e] / 255.0;
        if (blab[b] != labels[idx]) {
            printf("gather_batch: label %d: got %d, want %d\n", b, blab[b], labels[idx]);
            fail();
        }
    }
    /* pixel * (1/255 rounded): two roundings, each within u = FLT_EPSILON / 2 relative. */
    assert_true(test_allclose(use_order ? "gather_batch (ordered)" : "gather_batch (storage order)",
                              x, want, (size_t)count * ex, FLT_EPSILON, 0.0));
    cl_mem all[] = {dimg, dlab, dord, dblab, dx};
    for (size_t i = 0; i < 5; i++) clReleaseMemObject(all[i]);
    free(images), free(x), free(want);
}

static void test_gather(void **state) {
    (void)state;
    gather_check(1, 2, 5);
    gather_check(0, 3, 6);
}

/* ---- main ------------------------------------------------------------------------------------- */

/* "test_layers direct" and "test_layers winograd" run only that convolution test (each its own
 * Oclgrind run). */
int main(int argc, char **argv) {
    const char *e = getenv("CLCNN_TEST_SMALL");
    small = e && *e && strcmp(e, "0") != 0;
    if (small) printf("CLCNN_TEST_SMALL: no large shapes, own GEMM route only\n");
    use_set(1);
    const struct CMUnitTest all[] = {
        cmocka_unit_test(test_conv2d_own),    cmocka_unit_test(test_dense_own),
        cmocka_unit_test(test_max_pooling2d), cmocka_unit_test(test_relu),
        cmocka_unit_test(test_flatten),       cmocka_unit_test(test_softmax_xent),
        cmocka_unit_test(test_optimizers),    cmocka_unit_test(test_gather),
        cmocka_unit_test(test_conv2d_gpu_shaped), cmocka_unit_test(test_dense_tiled),
        cmocka_unit_test_teardown(test_conv2d_workspace, workspace_teardown),
        cmocka_unit_test_teardown(test_conv2d_race, race_teardown),
        cmocka_unit_test_teardown(test_conv2d_chunks, chunks_teardown),
        cmocka_unit_test_teardown(test_conv2d_direct, direct_teardown),
        cmocka_unit_test(test_conv2d_clblast), cmocka_unit_test(test_dense_clblast),
        cmocka_unit_test_teardown(test_conv2d_winograd, wino_teardown),
    };
    /* Under Oclgrind (CLCNN_TEST_SMALL) the CLBlast route is left out: simulating its kernels
     * takes far too long; the direct and Winograd convolutions get their own runs, so that each
     * run ends within its time limit. Everything else runs. */
    size_t n = sizeof all / sizeof all[0];
    if (small) n -= 4;
    const struct CMUnitTest direct[] = {
        cmocka_unit_test_teardown(test_conv2d_direct, direct_teardown),
    };
    const struct CMUnitTest winograd[] = {
        cmocka_unit_test_teardown(test_conv2d_winograd, wino_teardown),
    };
    if (argc > 1 && !strcmp(argv[1], "direct"))
        return _cmocka_run_group_tests("test_layers_direct", direct, 1, test_device_setup,
                                       test_device_teardown);
    if (argc > 1 && !strcmp(argv[1], "winograd"))
        return _cmocka_run_group_tests("test_layers_winograd", winograd, 1, test_device_setup,
                                       test_device_teardown);
    return _cmocka_run_group_tests("test_layers", all, n, test_device_setup, test_device_teardown);
}
