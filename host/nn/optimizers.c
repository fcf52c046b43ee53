/* nn/optimizers.c: the optimizers of CLCNN_OPTIMIZERS (clcnn/enums.h), one update function each,
 * launching its kernel of kernels/optim.cl over the trainable arena. Adding an optimizer: a row
 * there, its function and clcnn_optimizer_<name> here (or in a file of its own), its kernel. */
#include <math.h>

#include "nn.h"

#define DECLARE(id, name, lr) extern const clcnn_optimizer_type clcnn_optimizer_##name;
CLCNN_OPTIMIZERS(DECLARE)

/* Keras' decoupled weight decay, applied by each update kernel before the update in the same
 * pass: p *= 1 - lr * weight_decay (1 when there is none: the same bits as no decay). */
static float decay_factor(const clcnn_optimizer_pass *p) {
    return p->spec->weight_decay > 0 ? 1.0f - p->learning_rate * p->spec->weight_decay : 1.0f;
}

/* The bytes an update moves: params, grads and `state` buffers read, params and state written. */
static void declare_bytes(const clcnn_optimizer_pass *p, int state) {
    clcnn_profile_bytes(p->ctx, 4.0 * (double)p->count * (3 + 2 * state));
}

/* Keras' Adam, with the bias correction folded into the rate on the host. */
static clcnn_status adam_step(const clcnn_optimizer_pass *p) {
    const clcnn_optimizer_spec *o = p->spec;
    cl_kernel k;
    CLCNN_TRY(clcnn_kernel_get(p->ctx, "optim.cl", "adam_step", &k));
    double t = (double)p->step;
    float lr = p->learning_rate;
    float lr_t = (float)(lr * sqrt(1.0 - pow(o->beta_2, t)) / (1.0 - pow(o->beta_1, t)));
    float decay = decay_factor(p);
    cl_ulong n = p->count;
    clcnn_arg args[] = {CLCNN_ARG(p->params),   CLCNN_ARG(p->grads),   CLCNN_ARG(p->state[0]),
                        CLCNN_ARG(p->state[1]), CLCNN_ARG(lr_t),       CLCNN_ARG(o->beta_1),
                        CLCNN_ARG(o->beta_2),   CLCNN_ARG(o->epsilon), CLCNN_ARG(decay),
                        CLCNN_ARG(n)};
    size_t items = (p->count + 7) / 8; /* 8 parameters per work-item */
    declare_bytes(p, 2);
    return clcnn_launch(p->ctx, k, 1, &items, NULL, args, 10);
}
const clcnn_optimizer_type clcnn_optimizer_adam = {2, adam_step}; /* m, v */

static clcnn_status sgd_step(const clcnn_optimizer_pass *p) {
    const clcnn_optimizer_spec *o = p->spec;
    cl_kernel k;
    CLCNN_TRY(clcnn_kernel_get(p->ctx, "optim.cl", "sgd_step", &k));
    float decay = decay_factor(p);
    cl_ulong n = p->count;
    clcnn_arg args[] = {CLCNN_ARG(p->params),   CLCNN_ARG(p->grads),
                        CLCNN_ARG(p->state[0]), CLCNN_ARG(p->learning_rate),
                        CLCNN_ARG(o->momentum), CLCNN_ARG(o->nesterov),
                        CLCNN_ARG(decay),       CLCNN_ARG(n)};
    declare_bytes(p, o->momentum != 0.0f);
    return clcnn_launch(p->ctx, k, 1, &p->count, NULL, args, 8);
}
const clcnn_optimizer_type clcnn_optimizer_sgd = {1, sgd_step}; /* velocity (with momentum) */

static clcnn_status rmsprop_step(const clcnn_optimizer_pass *p) {
    const clcnn_optimizer_spec *o = p->spec;
    cl_kernel k;
    CLCNN_TRY(clcnn_kernel_get(p->ctx, "optim.cl", "rmsprop_step", &k));
    float decay = decay_factor(p);
    cl_ulong n = p->count;
    clcnn_arg args[] = {CLCNN_ARG(p->params),   CLCNN_ARG(p->grads),         CLCNN_ARG(p->state[0]),
                        CLCNN_ARG(p->state[1]), CLCNN_ARG(p->learning_rate), CLCNN_ARG(o->rho),
                        CLCNN_ARG(o->momentum), CLCNN_ARG(o->epsilon),       CLCNN_ARG(decay),
                        CLCNN_ARG(n)};
    declare_bytes(p, 1 + (o->momentum != 0.0f));
    return clcnn_launch(p->ctx, k, 1, &p->count, NULL, args, 10);
}
const clcnn_optimizer_type clcnn_optimizer_rmsprop = {2, rmsprop_step}; /* mean square, momentum */

/* One implementation per row: a row without one does not link. */
#define ENTRY(id, name, lr) [CLCNN_OPTIMIZER_##id] = &clcnn_optimizer_##name,
static const clcnn_optimizer_type *const optimizer_types[] = {CLCNN_OPTIMIZERS(ENTRY)};
_Static_assert(sizeof optimizer_types / sizeof optimizer_types[0] == CLCNN_OPTIMIZER_COUNT,
               "one implementation per optimizer");

const clcnn_optimizer_type *clcnn_optimizer_type_get(clcnn_optimizer optimizer) {
    return (unsigned)optimizer < CLCNN_OPTIMIZER_COUNT ? optimizer_types[optimizer] : NULL;
}
