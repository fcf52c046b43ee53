/* ref/ref_softmax.c: softmax fused with categorical cross-entropy, mean over the batch.
 * Every exp is of (logit - row max) <= 0, so large logits cannot overflow. */
#include <math.h>

#include "ref.h"

/* log(sum(exp(z - max))) and the row max, the two numbers everything below needs. */
static double row_log_sum_exp(const double *z, int k, double *row_max) {
    double m = z[0];
    for (int j = 1; j < k; j++)
        if (z[j] > m) m = z[j];
    double sum = 0.0;
    for (int j = 0; j < k; j++)
        sum += exp(z[j] - m);
    *row_max = m;
    return log(sum);
}

/* softmax(z)_j = exp(z_j - max - lse): a log-domain form, so no division by a tiny sum. */
static void row_softmax(const double *z, int k, double *p) {
    double m;
    double lse = row_log_sum_exp(z, k, &m);
    for (int j = 0; j < k; j++)
        p[j] = exp(z[j] - m - lse);
}

double ref_softmax_xent_forward(const double *logits, const int *labels, double *probs, int n,
                                int k) {
    double total = 0.0;
    for (int b = 0; b < n; b++) {
        const double *z = logits + (size_t)b * k;
        double m;
        double lse = row_log_sum_exp(z, k, &m);
        /* -log p_label = lse - (z_label - max), exact even when p_label underflows. */
        total += lse - (z[labels[b]] - m);
        if (probs) row_softmax(z, k, probs + (size_t)b * k);
    }
    return total / n;
}

void ref_softmax_xent_backward(const double *logits, const int *labels, double *dlogits, int n,
                               int k) {
    for (int b = 0; b < n; b++) {
        double *d = dlogits + (size_t)b * k;
        row_softmax(logits + (size_t)b * k, k, d);
        d[labels[b]] -= 1.0;
        for (int j = 0; j < k; j++)
            d[j] /= n;
    }
}
