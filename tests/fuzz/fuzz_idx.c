/* tests/fuzz/fuzz_idx.c: an IDX file, raw or gzip (the reader tells them apart by content): read
 * as images, then as labels for a data set of the size its first byte says. */
#include "clcnn/data.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_file(data, size, ".idx");
    clcnn_dataset ds;
    if (clcnn_idx_read_images(path, &ds) == CLCNN_STATUS_OK) {
        volatile uint8_t sink = 0;
        size_t n = (size_t)ds.n * ds.c * ds.h * ds.w;
        for (size_t i = 0; i < n; i += 97)
            sink ^= ds.images[i];
        (void)sink;
        clcnn_dataset_free(&ds);
    }
    clcnn_dataset labels = {.n = size ? 1 + data[0] % 16 : 1};
    clcnn_idx_read_labels(path, 10, &labels);
    clcnn_dataset_free(&labels);
    return 0;
}
