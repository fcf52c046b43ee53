/* cli/cmd_report.c: `clcnn report PATH [--out FILE] [--device D]`: the HTML report of a training
 * folder, a tuning folder or a clcnn-bench CSV/JSON file (clcnn/report.h); and the report that
 * `clcnn train` and `clcnn tune` write at the end of a run. */
#include <stdlib.h>

#include "clcnn/report.h"
#include "cli.h"

static const char *const kind_names[] = {"training", "tuning", "benchmark"};

int cli_write_report(const char *path, clcnn_context *ctx, const cli_args *a) {
    clcnn_report_options o = clcnn_report_options_default();
    o.ctx = ctx;
    o.device = a->device;
    clcnn_report_result r;
    clcnn_status s = clcnn_report_write(path, &o, &r);
    if (s != CLCNN_STATUS_OK) return cli_fail(s, "report");
    printf("wrote the %s report: %s (%.0f KiB)\n", kind_names[r.kind], r.path, r.bytes / 1024.0);
    return 0;
}

int cmd_report(int argc, char **argv) {
    cli_args a;
    if (cli_parse(argc, argv, 2, &a)) return 2;
    if (a.n_positional != 1 || a.n_sets) {
        fprintf(stderr, "usage: clcnn report PATH [--out FILE.html] [--device D]\n"
                        "  PATH: a training folder (clcnn train --out), a tuning folder (clcnn tune "
                        "--out)\n        or a clcnn-bench --format csv|json file\n");
        return 2;
    }
    clcnn_report_options o = clcnn_report_options_default();
    o.out = a.out;
    o.device = a.device;
    clcnn_report_result r;
    clcnn_status s = clcnn_report_write(a.positional[0], &o, &r);
    if (s != CLCNN_STATUS_OK) return cli_fail(s, NULL);
    printf("wrote the %s report: %s (%.0f KiB, %.1f s)\n", kind_names[r.kind], r.path,
           r.bytes / 1024.0, r.seconds);
    return 0;
}
