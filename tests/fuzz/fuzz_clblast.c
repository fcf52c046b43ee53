/* tests/fuzz/fuzz_clblast.c: a CLBlast tuning file (the JSON CLBlast's tuners write). */
#include "cl/clblast_params.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static clcnn_clblast_tuned t;
    if (clcnn_clblast_read_tuned(fuzz_file(data, size, ".json"), &t) == CLCNN_STATUS_OK) {
        volatile size_t sink = strlen(t.kernel);
        for (int i = 0; i < t.n; i++)
            sink += strlen(t.names[i]) + t.values[i];
        (void)sink;
    }
    return 0;
}
