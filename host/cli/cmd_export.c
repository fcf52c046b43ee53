/* cli/cmd_export.c: `clcnn export MODEL --onnx FILE.onnx [--opset N]`: a model file in ONNX for
 * other runtimes (clcnn/export.h). No device is needed. */
#include <errno.h>
#include <stdlib.h>

#include "clcnn/onnx.h"
#include "cli.h"

static int parse_opset(const char *text, int *opset) {
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < CLCNN_ONNX_OPSET_MIN || v > CLCNN_ONNX_OPSET_MAX) {
        fprintf(stderr, "clcnn: error: --opset '%s': want a whole number in %d..%d\n", text,
                CLCNN_ONNX_OPSET_MIN, CLCNN_ONNX_OPSET_MAX);
        return 2;
    }
    *opset = (int)v;
    return 0;
}

int cmd_export(int argc, char **argv) {
    cli_args a;
    if (cli_parse(argc, argv, 2, &a)) return 2;
    if (a.n_positional != 1 || !a.onnx) {
        fprintf(stderr,
                "usage: clcnn export MODEL --onnx FILE.onnx [--opset N (%d..%d, default %d)]\n",
                CLCNN_ONNX_OPSET_MIN, CLCNN_ONNX_OPSET_MAX, CLCNN_ONNX_OPSET_DEFAULT);
        return 2;
    }
    clcnn_onnx_options o = clcnn_onnx_options_default();
    if (a.opset && parse_opset(a.opset, &o.opset)) return 2;
    size_t bytes = 0;
    clcnn_status s = clcnn_export_onnx(a.positional[0], a.onnx, &o, &bytes);
    if (s != CLCNN_STATUS_OK) return cli_fail(s, "export");
    if (!a.quiet)
        printf("wrote %s (ONNX opset %d, %zu bytes): input 'input' float32 NCHW raw pixels, "
               "output 'probabilities'\n",
               a.onnx, o.opset, bytes);
    return 0;
}
