/* tests/ref/ref_check.c: see ref_check.h. */
#include <math.h>
#include <stdio.h>

#include "ref_check.h"

int ref_allclose(const char *what, const double *got, const double *want, size_t n, double rtol,
                 double atol) {
    for (size_t i = 0; i < n; i++) {
        /* Written as !(a <= b) so a NaN on either side counts as a mismatch. */
        if (!(fabs(got[i] - want[i]) <= atol + rtol * fabs(want[i]))) {
            printf("%s: first bad index %zu of %zu: got %.17g, want %.17g\n", what, i, n, got[i],
                   want[i]);
            return 0;
        }
    }
    return 1;
}
