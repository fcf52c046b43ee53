/* ref/ref.h: the plain-C reference implementation of every operation clcnn runs, forward
 * and backward. Written for clarity, not speed: double in, double out, double accumulation.
 * Layouts follow the engine: activations NCHW, conv weight [out][in][kh][kw], dense weight
 * [out][in]. The OpenCL kernels are tested against these (by the tests and by `clcnn
 * selftest`, which is why they live in the library); these are tested by central differences
 * (tests/unit/test_ref_gradients.c). */
#ifndef CLCNN_REF_H
#define CLCNN_REF_H

#include <stddef.h>

/* Geometry of a 2-D window operation (convolution or pooling). Padding may be asymmetric, as
 * Keras' "same" is: pad_top = total / 2, the rest at the bottom (same for left/right). */
typedef struct ref_window {
    int n, c, h, w;        /* input */
    int k;                 /* conv: output channels (filters); pooling: unused (= c) */
    int kh, kw;            /* kernel or pool size */
    int sh, sw;            /* strides */
    int pad_top, pad_left; /* zero padding (conv) / ignored positions (pooling) */
    int oh, ow;            /* output size */
} ref_window;

/* Fills pad_top/pad_left/oh/ow for Keras padding ("valid" = 0, "same" = 1). Returns 0 if the
 * output would be empty (kernel larger than the padded input), 1 otherwise. */
int ref_window_resolve(ref_window *g, int same);

/* Conv2D. x [n][c][h][w], wt [k][c][kh][kw], bias [k] (may be NULL), y [n][k][oh][ow]. */
void ref_conv2d_forward(const ref_window *g, const double *x, const double *wt, const double *bias,
                        double *y);
/* dx [n][c][h][w] from dy and wt (overwrites dx). */
void ref_conv2d_backward_data(const ref_window *g, const double *dy, const double *wt, double *dx);
/* dw [k][c][kh][kw] and db [k] (db may be NULL) from x and dy (overwrites). */
void ref_conv2d_backward_filter(const ref_window *g, const double *x, const double *dy, double *dw,
                                double *db);

/* ReLU: y = max(x, 0); dx = dy where x > 0 else 0. */
void ref_relu_forward(const double *x, double *y, size_t n);
void ref_relu_backward(const double *x, const double *dy, double *dx, size_t n);

/* MaxPool2D over g (k unused; channels = c). Padded positions never win. y [n][c][oh][ow].
 * Backward routes dy to the first maximum in row-major window order (ties: first wins). */
void ref_maxpool_forward(const ref_window *g, const double *x, double *y);
void ref_maxpool_backward(const ref_window *g, const double *x, const double *dy, double *dx);

/* Dense: y [n][out] = x [n][in] * W^T + b, W [out][in], b [out] (may be NULL). */
void ref_dense_forward(const double *x, const double *wt, const double *bias, double *y, int n,
                       int in, int out);
/* dx [n][in] = dy W; dw [out][in] = dy^T x; db [out] = sum over n of dy. Each output may be
 * NULL to skip it (the first layer needs no dx). */
void ref_dense_backward(const double *x, const double *wt, const double *dy, double *dx, double *dw,
                        double *db, int n, int in, int out);

/* Softmax fused with cross-entropy, mean over the batch. logits [n][k]; labels [n] class
 * indices. Returns the mean loss; probs [n][k] (may be NULL) gets the softmax. Stable: subtracts
 * the row maximum. */
double ref_softmax_xent_forward(const double *logits, const int *labels, double *probs, int n,
                                int k);
/* dlogits = (softmax - onehot) / n. */
void ref_softmax_xent_backward(const double *logits, const int *labels, double *dlogits, int n,
                               int k);

/* Optimizer steps over a flat parameter vector, Keras' formulas. t is the 1-based step count.
 * Adam: m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
 *       p -= lr * sqrt(1-b2^t)/(1-b1^t) * m / (sqrt(v) + eps)   (Keras' form). */
void ref_adam_step(double *p, const double *g, double *m, double *v, size_t n, double lr, double b1,
                   double b2, double eps, int t);
/* SGD: momentum 0: p -= lr g (vel unused, may be NULL). Else v = momentum v - lr g; p += v
 * (nesterov: p += momentum v - lr g, with the updated v). */
void ref_sgd_step(double *p, const double *g, double *vel, size_t n, double lr, double momentum,
                  int nesterov);
/* RMSprop (Keras, no centering): a = rho a + (1-rho) g^2; inc = lr g / sqrt(a + eps) (eps inside
 * the root, as keras/src/optimizers/rmsprop.py has it); momentum 0: p -= inc;
 * else mom = momentum mom + inc; p -= mom. mom is unused (may be NULL) when momentum is 0. */
void ref_rmsprop_step(double *p, const double *g, double *acc, double *mom, size_t n, double lr,
                      double rho, double momentum, double eps);

/* The seed model, whole: conv(c_in->f1, k1 x k1, valid, relu) -> conv(f1->f2, k2 x k2, valid,
 * relu) -> flatten (C,H,W order) -> dense(->units, relu) -> dense(->classes) -> softmax-xent.
 * Weights in PyTorch layouts: w1 [f1][c_in][k1][k1], w2 [f2][f1][k2][k2],
 * w3 [units][f2*oh2*ow2], w4 [classes][units]; biases [out]. Used to check the OpenCL model
 * end to end against one plain composition of the operations above. */
typedef struct ref_seed_model {
    int c_in, h, w, f1, k1, f2, k2, units, classes;
    const double *w1, *b1, *w2, *b2, *w3, *b3, *w4, *b4;
} ref_seed_model;

/* Gradients of the mean loss, same shapes as the weights. Any pointer may be NULL to skip it.
 * logits is not a gradient: if non-NULL it receives the forward logits [n][classes]. */
typedef struct ref_seed_grads {
    double *w1, *b1, *w2, *b2, *w3, *b3, *w4, *b4;
    double *logits;
} ref_seed_grads;

/* One forward and backward pass over x [n][c_in][h][w] with labels [n]. Returns the mean loss,
 * or NAN if a convolution would have an empty output. g may be NULL for forward only. */
double ref_seed_model_step(const ref_seed_model *m, const double *x, const int *labels, int n,
                           ref_seed_grads *g);

/* ---- layers added with batch norm, dropout and augmentation (ref/ref_*.c) ------------ */

/* Activations by clcnn_activation code (CLCNN_ACT_*, clcnn/enums.h; linear for any other);
 * alpha is leaky_relu's slope or elu's alpha. Backward uses the derivative at x. */
void ref_act_forward(int code, double alpha, const double *x, double *y, size_t n);
void ref_act_backward(int code, double alpha, const double *x, const double *dy, double *dx,
                      size_t n);

/* BatchNormalization over x [n][c][spatial], per channel c. Training: the batch's mean and
 * biased variance (written to mean and var [c], each may be NULL); inference: the given running
 * mean and variance. y = (x - mean) / sqrt(var + eps) * gamma + beta. */
void ref_batchnorm_forward_train(const double *x, const double *gamma, const double *beta, int n,
                                 int c, int spatial, double eps, double *y, double *mean,
                                 double *var);
void ref_batchnorm_forward_infer(const double *x, const double *gamma, const double *beta,
                                 const double *mean, const double *var, int n, int c, int spatial,
                                 double eps, double *y);
/* Training-mode gradients (the batch statistics depend on x): dx, dgamma, dbeta (overwrites). */
void ref_batchnorm_backward(const double *x, const double *gamma, const double *dy, int n, int c,
                            int spatial, double eps, double *dx, double *dgamma, double *dbeta);
/* running = momentum * running + (1 - momentum) * batch, for mean and variance [c]. */
void ref_batchnorm_update(double *running_mean, double *running_var, const double *mean,
                          const double *var, int c, double momentum);

/* Inverted dropout with a given mask (1 keep, 0 drop): y = x * keep / (1 - rate). */
void ref_dropout_forward(const double *x, const unsigned char *keep, double rate, double *y,
                         size_t n);
void ref_dropout_backward(const double *dy, const unsigned char *keep, double rate, double *dx,
                          size_t n);

/* AveragePooling2D over g (k unused): each window averages the positions inside the input
 * (padding does not count, as TensorFlow's "same"). GlobalAveragePooling2D is the window
 * kh = h, kw = w, valid. */
void ref_avgpool_forward(const ref_window *g, const double *x, double *y);
void ref_avgpool_backward(const ref_window *g, const double *dy, double *dx);

/* The counter-based generator of kernels/prelude.cl: splitmix64's output for the state
 * key + (counter + 1) * golden ratio, top 32 bits; uniform = (u32 >> 8) / 2^24. */
unsigned ref_rand_u32(unsigned long long key, unsigned long long counter);
double ref_rand_uniform(unsigned long long key, unsigned long long counter);

/* Augmentation (kernels/augment.cl). The draws of one example and what they mean. */
typedef struct ref_augment_cfg {
    int hflip, vflip;
    double width_shift, height_shift, zoom, rotation; /* Keras' factors */
    double erasing, area_min, area_max, ratio;
    int fill_mode; /* a clcnn_fill_mode (clcnn/enums.h) */
    double fill;   /* raw pixel units */
    int nearest;   /* else bilinear */
} ref_augment_cfg;

/* Example b's transform for the step key: p[0..5] = a00 a01 b0 a10 a11 b1 with
 * input = A (x, y) + b for output pixel (x, y), p[6..9] = the erased box x0 y0 x1 y1 (x1, y1
 * exclusive; empty when x0 == x1). */
void ref_augment_params(const ref_augment_cfg *cfg, unsigned long long key, int b, int h, int w,
                        double p[10]);
/* One example: out [c][h][w] = image [c][h][w] (uint8) sampled through p, times inv_scale. */
void ref_augment_apply(const ref_augment_cfg *cfg, const double p[10], const unsigned char *image,
                       int c, int h, int w, double inv_scale, double *out);

#endif
