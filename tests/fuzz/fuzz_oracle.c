/* tests/fuzz/fuzz_oracle.c: oracle.json (a search's state), restored as `clcnn tune` resumes it;
 * an accepted state is asked for trials (each told as failed) and saved again, which is what a
 * resumed search does with it. */
#include "clcnn/oracle.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = fuzz_text(data, size);
    clcnn_oracle *o = NULL;
    if (clcnn_oracle_restore(text, &o) == CLCNN_STATUS_OK) {
        for (int i = 0; i < 2; i++) {
            clcnn_trial_request req;
            if (clcnn_oracle_ask(o, &req) != CLCNN_STATUS_OK) break;
            clcnn_oracle_tell(o, req.trial_id, 0.0, 1);
        }
        char *json = NULL;
        if (clcnn_oracle_save(o, &json) == CLCNN_STATUS_OK) free(json);
    }
    clcnn_oracle_destroy(o);
    free(text);
    return 0;
}
