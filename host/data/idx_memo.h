/* data/idx_memo.h: the last IDX images + labels pair read whole, kept for the process
 * (idx_memo.c), so that the trials of a search read their data once. */
#ifndef CLCNN_DATA_IDX_MEMO_H
#define CLCNN_DATA_IDX_MEMO_H

#include "clcnn/data.h"
#include "core/core.h"

/* 1 and a copy of the first `limit` examples (all when -1) in *out when the pair was kept and
 * neither file changed since; 0 otherwise (*out untouched). */
int clcnn_idx_memo_get(const char *images, const char *labels, int n_classes, long limit,
                       clcnn_dataset *out);

/* Keeps a copy of ds (whole, labels read and checked against n_classes) for the pair; nothing
 * when it is too big or memory runs out. */
void clcnn_idx_memo_put(const char *images, const char *labels, int n_classes,
                        const clcnn_dataset *ds);

#endif
