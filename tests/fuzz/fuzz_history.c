/* tests/fuzz/fuzz_history.c: history.csv, as `clcnn train --resume` reads it. */
#include "fuzz_util.h"
#include "train/checkpoint.h"

static clcnn_epoch_metrics history[CLCNN_MAX_EPOCHS];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    int n = 0;
    if (clcnn_history_read(fuzz_file(data, size, ".csv"), history, CLCNN_MAX_EPOCHS, &n) ==
            CLCNN_STATUS_OK &&
        (n < 0 || n > CLCNN_MAX_EPOCHS))
        abort();
    for (int i = 1; i < n; i++)
        if (history[i].epoch <= history[i - 1].epoch) abort();
    return 0;
}
