/* tests/fuzz/fuzz_safetensors.c: a model file; every float an accepted file claims is read, so a
 * bad pointer shows under ASan. */
#include "fuzz_util.h"
#include "train/safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    clcnn_safetensors st;
    if (clcnn_safetensors_read(fuzz_file(data, size, ".safetensors"), &st) != CLCNN_STATUS_OK)
        return 0;
    volatile float sink = 0;
    for (int i = 0; i < st.n_tensors; i++) {
        int64_t n = 1;
        for (int d = 0; d < st.tensors[i].ndim; d++)
            n *= st.tensors[i].shape[d];
        for (int64_t j = 0; j < n; j++)
            sink += st.tensors[i].data[j];
    }
    for (int i = 0; i < st.n_meta; i++)
        sink += (float)strlen(st.meta_keys[i]) + (float)strlen(st.meta_values[i]);
    (void)sink;
    clcnn_safetensors_free(&st);
    return 0;
}
