/* tests/fuzz/fuzz_set.c: `--set key=value` assignments (one per line of the input) applied to
 * the default config, then validated, as `clcnn train --set ...` does. */
#include "clcnn/config.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = fuzz_text(data, size);
    static clcnn_spec spec;
    static clcnn_search_space space;
    if (clcnn_config_load_string(clcnn_config_embedded("fashion_mnist.yaml"), "default", &spec,
                                 &space) != CLCNN_STATUS_OK)
        abort();
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
        if (clcnn_config_set(&spec, &space, line) != CLCNN_STATUS_OK) break;
    clcnn_spec_validate(&spec);
    free(text);
    return 0;
}
