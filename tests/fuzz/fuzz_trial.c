/* tests/fuzz/fuzz_trial.c: the records of a tuning folder: trial_<id>/trial.json as a resumed
 * search reads it back, and tune.json as the resume check reads it (the first input byte picks
 * which), against the quick search config. */
#include <sys/stat.h>

#include "clcnn/config.h"
#include "fuzz_util.h"
#include "tune/tuner_internal.h"

static char dir[256];
static clcnn_spec search;
static clcnn_search_space space;
static char *yaml;

static void setup(void) {
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/clcnn_fuzz_trial_%ld", tmp && *tmp ? tmp : "/tmp", (long)getpid());
    if (clcnn_config_load_string(clcnn_config_embedded("fashion_mnist_tune_quick.yaml"), "quick",
                                 &search, &space) != CLCNN_STATUS_OK ||
        clcnn_config_emit(&search, &space, &yaml) != CLCNN_STATUS_OK)
        abort();
    char path[512];
    tune_trial_path(dir, 3, "trial.json", path, sizeof path);
    *strrchr(path, '/') = '\0';
    if (clcnn_mkdir_p(path) != CLCNN_STATUS_OK) abort();
}

static void write_to(const char *path, const uint8_t *data, size_t size) {
    FILE *fp = fopen(path, "wb");
    if (!fp || (size && fwrite(data, 1, size, fp) != size) || fclose(fp) != 0) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!dir[0]) setup();
    if (size < 1) return 0;
    char path[512];
    if (data[0] & 1) {
        tune_trial_path(dir, 3, "trial.json", path, sizeof path);
        write_to(path, data + 1, size - 1);
        clcnn_tune_trial t;
        int found;
        tune_store_read_trial(dir, &space, 3, &t, &found);
    } else {
        snprintf(path, sizeof path, "%s/tune.json", dir);
        write_to(path, data + 1, size - 1);
        int resuming;
        tune_store_prepare(dir, yaml, 0, &resuming);
    }
    return 0;
}
