/* tests/fuzz/fuzz_config.c: a YAML config as text, loaded and, when accepted, emitted and loaded
 * again (what a model file's clcnn.config goes through). */
#include "clcnn/config.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = fuzz_text(data, size);
    static clcnn_spec spec, again;
    static clcnn_search_space space, space_again;
    if (clcnn_config_load_string(text, "fuzz.yaml", &spec, &space) == CLCNN_STATUS_OK) {
        char *yaml = NULL;
        if (clcnn_config_emit(&spec, &space, &yaml) == CLCNN_STATUS_OK &&
            clcnn_config_load_string(yaml, "emitted.yaml", &again, &space_again) != CLCNN_STATUS_OK)
            abort();
        free(yaml);
    }
    free(text);
    return 0;
}
