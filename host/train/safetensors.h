/* train/safetensors.h: the model file format (internal API): safetensors with F32 tensors only.
 *
 * Layout (https://github.com/huggingface/safetensors): an 8-byte little-endian header length N,
 * N bytes of JSON ({"__metadata__": {string: string}, "<name>": {"dtype": "F32", "shape": [...],
 * "data_offsets": [begin, end]}, ...}, padded with spaces to a multiple of 8), then the tensors'
 * little-endian bytes, offsets counted from the first byte after the header. numpy, PyTorch and
 * the safetensors package read these files without clcnn. */
#ifndef CLCNN_SAFETENSORS_H
#define CLCNN_SAFETENSORS_H

#include <stdint.h>

#include "clcnn/status.h"

#define CLCNN_ST_NAME_MAX 128
#define CLCNN_ST_MAX_DIMS 4

typedef struct clcnn_st_tensor {
    char name[CLCNN_ST_NAME_MAX]; /* NUL-terminated, non-empty, unique in a file */
    int ndim;                     /* 0 (a scalar) to 4 */
    int64_t shape[CLCNN_ST_MAX_DIMS];
    float *data; /* shape's product floats; NULL allowed when that is 0 */
} clcnn_st_tensor;

typedef struct clcnn_safetensors {
    int n_tensors;
    clcnn_st_tensor *tensors; /* in the header's order (the order they were written in) */
    int n_meta;
    char **meta_keys; /* n_meta NUL-terminated strings each */
    char **meta_values;
    void *blob; /* the tensors' data; tensors[i].data points into it */
} clcnn_safetensors;

/* Writes n tensors (in the order given) and n_meta string pairs as __metadata__ to path,
 * atomically (a temp file beside it, then rename). Metadata strings may hold any UTF-8 text,
 * newlines and quotes included; they are JSON-escaped. Nothing is written on failure. */
clcnn_status clcnn_safetensors_write(const char *path, const clcnn_st_tensor *tensors, int n,
                                     const char *const *meta_keys, const char *const *meta_values,
                                     int n_meta);

/* Reads and validates a whole file: header length against the file size, the JSON, dtype F32
 * only, shape against byte count, offsets within the data, contiguous and non-overlapping, no
 * trailing bytes. On success *out owns everything (free with clcnn_safetensors_free); on failure
 * *out is zeroed and the last error names the file and the problem. */
clcnn_status clcnn_safetensors_read(const char *path, clcnn_safetensors *out);

/* Frees what st owns and zeroes it; accepts NULL and a zeroed struct. */
void clcnn_safetensors_free(clcnn_safetensors *st);

/* The tensor with this name, or NULL. Valid until clcnn_safetensors_free(st). */
const clcnn_st_tensor *clcnn_safetensors_find(const clcnn_safetensors *st, const char *name);

/* The metadata value for key, or NULL. Valid until clcnn_safetensors_free(st). */
const char *clcnn_safetensors_meta(const clcnn_safetensors *st, const char *key);

#endif
