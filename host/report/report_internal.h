/* report/report_internal.h: what the parts of the HTML report share. Each kind of input
 * (training.c, tuning.c, bench.c) becomes one JSON object, the page's data, which report.js
 * (embedded, with Chart.js and report.css) draws in the browser; report.c makes the page. */
#ifndef CLCNN_REPORT_INTERNAL_H
#define CLCNN_REPORT_INTERNAL_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "clcnn/report.h"
#include "core/core.h"

clcnn_status report_training_data(const char *dir, const clcnn_report_options *opt, cJSON *data);
clcnn_status report_tuning_data(const char *dir, cJSON *data);
clcnn_status report_bench_data(const char *file, cJSON *data);

/* A number, or JSON null for NaN and infinities (JSON has neither). */
void report_add_number(cJSON *o, const char *key, double v);
cJSON *report_number(double v);

/* A whole CSV file (RFC 4180: quoted fields may hold commas, quotes and line breaks) as an array
 * of rows, each an array of strings. Every row must have as many fields as the first (the
 * header); a file with no header, a stray quote or a short row is a PARSE_ERROR naming the file
 * and line. */
clcnn_status report_csv_read(const char *path, cJSON **rows);
/* A CSV field as a number; 0 when it is not one (the caller names the file and line). */
int report_parse_number(const char *text, double *v);

/* A PNG of a c x h x w uint8 image (CHW; c = 1 or 3) as a "data:image/png;base64,..." URI,
 * through stb_image_write. Malloc'ed; NULL when out of memory. */
char *report_png_data_uri(const uint8_t *chw, int c, int h, int w);

#endif
