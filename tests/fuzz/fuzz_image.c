/* tests/fuzz/fuzz_image.c: an image file, decoded to grey and to RGB at a small and a large size
 * (shrinking and enlarging go through different filters). */
#include "clcnn/data.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_file(data, size, ".img");
    static uint8_t out[3 * 64 * 64];
    if (clcnn_image_load(path, 1, 7, 5, out) == CLCNN_STATUS_OK)
        clcnn_image_load(path, 3, 64, 64, out);
    return 0;
}
