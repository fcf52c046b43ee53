/* clcnn/files.h: file helpers the tools share with the library. */
#ifndef CLCNN_FILES_H
#define CLCNN_FILES_H

#include <stddef.h>

#include "clcnn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Writes data to path atomically (a temp file beside it, fsync, rename): readers and a killed
 * process never see a partial file. */
CLCNN_API clcnn_status clcnn_file_write_atomic(const char *path, const void *data, size_t len);

/* mkdir -p. */
CLCNN_API clcnn_status clcnn_file_mkdir_p(const char *path);

#ifdef __cplusplus
}
#endif
#endif
