/* cl/clblast_params.h: reading CLBlast tuning files (internal to cl/, also used by clcnn-bench
 * and the fuzz harness). */
#ifndef CLCNN_CLBLAST_PARAMS_H
#define CLCNN_CLBLAST_PARAMS_H

#include <stddef.h>

#include "cl/cl.h"

#define CLCNN_CLBLAST_MAX_PARAMS 64

/* One tuning file, read and checked; owns no memory (names point into text). */
typedef struct clcnn_clblast_tuned {
    char path[1500];
    char kernel[64]; /* CLBlast's database name */
    char text[1024]; /* best_parameters, split in place */
    char *names[CLCNN_CLBLAST_MAX_PARAMS];
    size_t values[CLCNN_CLBLAST_MAX_PARAMS];
    int n;
    double best_time;
} clcnn_clblast_tuned;

/* CLBlast's database name for a tuner's kernel family (best_kernel, then the family itself, for
 * families not known). The result points into one of the arguments or static storage. */
const char *clcnn_clblast_kernel_for_family(const char *family, const char *best_kernel);

/* Reads one tuning file. NOT_FOUND (no message) for another precision than 32; any other failure
 * names the file and the field. */
clcnn_status clcnn_clblast_read_tuned(const char *path, clcnn_clblast_tuned *out);

/* Applies every tuning file of this device's folder in the cache; bad files are logged, skipped. */
clcnn_status clcnn_clblast_apply_tuned(clcnn_context *ctx);

#endif
