/* core/embedded.h: files embedded in the library at build time by cmake/embed.cmake: the OpenCL
 * kernels (kernels/NAME.cl), the default configs (configs/NAME.yaml) and the HTML report's
 * script, styles and Chart.js (host/report/, chart.min.js). Each table ends with a NULL name. */
#ifndef CLCNN_EMBEDDED_H
#define CLCNN_EMBEDDED_H

#include <stddef.h>

struct clcnn_embedded_file {
    const char *name; /* file name without folder, e.g. "conv.cl" */
    const char *text; /* NUL-terminated contents */
    size_t length;    /* bytes, without the NUL */
};

extern const struct clcnn_embedded_file clcnn_embedded_kernels[];
extern const struct clcnn_embedded_file clcnn_embedded_configs[];
extern const struct clcnn_embedded_file clcnn_embedded_report[];

#endif
