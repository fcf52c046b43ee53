/* cli/cli.h: what the clcnn subcommands share: option parsing, config loading with --set, error
 * reporting. The CLI uses only the public headers (include/clcnn/). */
#ifndef CLCNN_CLI_H
#define CLCNN_CLI_H

#include <stdio.h>

#include "clcnn/config.h"
#include "clcnn/device.h"
#include "clcnn/model.h"
#include "clcnn/status.h"
#include "clcnn/train.h"

#define CLI_MAX_SETS 64
#define CLI_MAX_POSITIONAL 256

/* Options common to the subcommands; each reads the ones it needs. */
typedef struct cli_args {
    const char *device;
    const char *out;
    const char *init;
    const char *resume;
    const char *probs;
    const char *onnx;  /* export */
    const char *opset; /* export */
    int json, overwrite, quiet, verbose;
    int n_sets;
    const char *sets[CLI_MAX_SETS];
    int n_positional;
    const char *positional[CLI_MAX_POSITIONAL];
} cli_args;

/* Parses argv[first..]; unknown options are an error naming them. Returns 0 on success. */
int cli_parse(int argc, char **argv, int first, cli_args *a);

/* Prints "clcnn: error: <what>: <last error>" and returns the exit code for status. */
int cli_fail(clcnn_status s, const char *what);

/* The config: a file, or the embedded default `fallback` (e.g. "fashion_mnist.yaml"), then every
 * --set, then validation. Every message names its source (the file with line and column, the
 * --set, or the config's name in front of a validation error), so callers report it as it is.
 * Its search space goes into *space (NULL: checked, then dropped). */
clcnn_status cli_load_spec(const char *path, const char *fallback, const cli_args *a,
                           clcnn_spec *spec, clcnn_search_space *space);
/* Applies --set assignments to spec and space (which may be NULL) and validates both. */
clcnn_status cli_apply_sets(const cli_args *a, clcnn_spec *spec, clcnn_search_space *space);

/* The device selector of this process: --device, else (CLCNN_DEVICE unset) under MPI the rank on
 * this host modulo the number of GPUs (of devices when there is no GPU), written into buf; NULL
 * for the default. */
const char *cli_device_selector(const cli_args *a, char *buf, size_t n);

/* Opens the device named by --device (or CLCNN_DEVICE, or the default; under MPI the rank's). */
clcnn_status cli_open_device(const cli_args *a, clcnn_context **ctx);

/* Whether stdout is a terminal (progress bars redraw only then). */
int cli_stdout_is_tty(void);

/* Ctrl-C: the first sets the flag (stop after the current step), the second exits. */
extern volatile int cli_stop_requested;
/* The library's INFO lines (which data path training takes) go to stdout when set. */
extern int cli_show_info;
void cli_install_sigint(void);

int cmd_devices(int argc, char **argv);
int cmd_selftest(int argc, char **argv);
int cmd_warmup(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_summary(int argc, char **argv);
int cmd_tune(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_export(int argc, char **argv);

/* Writes PATH's HTML report (a training or tuning folder), evaluating on ctx when it needs to, and
 * says where; on failure prints the error. Returns the exit code. */
int cli_write_report(const char *path, clcnn_context *ctx, const cli_args *a);

#endif
