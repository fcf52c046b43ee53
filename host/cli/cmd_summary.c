/* cli/cmd_summary.c: `clcnn summary CONFIG|MODEL`: the layer table, as Keras prints it. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

int cmd_summary(int argc, char **argv) {
    cli_args a;
    if (cli_parse(argc, argv, 2, &a)) return 2;
    const char *path = a.n_positional ? a.positional[0] : NULL;
    clcnn_spec *spec = malloc(sizeof *spec);
    if (!spec) return cli_fail(CLCNN_STATUS_OUT_OF_MEMORY, "summary");
    clcnn_status s;
    if (path && ends_with(path, ".safetensors")) {
        s = clcnn_model_file_spec(path, spec);
        if (s == CLCNN_STATUS_OK) s = cli_apply_sets(&a, spec, NULL);
    } else {
        s = cli_load_spec(path, "fashion_mnist.yaml", &a, spec, NULL);
        if (s != CLCNN_STATUS_OK) {
            free(spec);
            return cli_fail(s, NULL); /* the message names the config */
        }
    }
    char *text = NULL;
    if (s == CLCNN_STATUS_OK) s = clcnn_spec_summary(spec, &text);
    free(spec);
    if (s != CLCNN_STATUS_OK) return cli_fail(s, path ? path : "the default config");
    fputs(text, stdout);
    free(text);
    return 0;
}
