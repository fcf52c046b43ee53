/* tests/fuzz/fuzz_image.c: an image file, decoded to grey and to RGB at a small and a large size
 * (shrinking and enlarging go through different filters). Inputs whose header claims over a
 * megapixel are left to the unit tests of the size limits: decoding them under the sanitizers
 * takes a second each, which would leave the campaign a few hundred inputs. */
#include "clcnn/data.h"
#include "data/image.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    int w, h;
    if (clcnn_image_check("input", data, size, &w, &h) == CLCNN_STATUS_OK &&
        (int64_t)w * h > (1 << 20))
        return 0;
    const char *path = fuzz_file(data, size, ".img");
    static uint8_t out[3 * 64 * 64];
    if (clcnn_image_load(path, 1, 7, 5, out) == CLCNN_STATUS_OK)
        clcnn_image_load(path, 3, 64, 64, out);
    return 0;
}
