/* cli/cmd_selftest.c: `clcnn selftest [--device N|name|all]`: every layer's kernels against the
 * double reference on one device or on each, as a table; exit 1 when any row fails. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "clcnn/selftest.h"

static void print_row(const clcnn_selftest_row *row, void *user) {
    (void)user;
    printf("%-30s %-34s %10.3g %8.3f  %-4s %9.2f\n", row->kernel, row->variant, row->max_error,
           row->worst, row->pass ? "pass" : "FAIL", row->seconds * 1e3);
    fflush(stdout);
}

/* Runs the cases on one device; *failed counts failed rows. A device that cannot run them at
 * all (no build, no memory) is an error of its own. */
static clcnn_status selftest_device(const cli_args *a, int *failed) {
    clcnn_context *ctx;
    CLCNN_TRY(cli_open_device(a, &ctx));
    const clcnn_device_info *d = clcnn_context_device(ctx);
    printf("device %d: %s: %s (%s), driver %s\n", d->index, d->platform, d->name, d->type,
           d->driver);
    printf("%-30s %-34s %10s %8s  %-4s %9s\n", "kernel", "variant", "max error", "of tol",
           "", "ms");
    clcnn_status s = clcnn_selftest_run(ctx, print_row, NULL, failed);
    clcnn_context_destroy(ctx);
    return s;
}

int cmd_selftest(int argc, char **argv) {
    cli_args a;
    if (cli_parse(argc, argv, 2, &a)) return 2;
    if (a.n_positional) {
        fprintf(stderr, "usage: clcnn selftest [--device N|name|all]\n");
        return 2;
    }
    int n = 1, failed_rows = 0, failed_devices = 0;
    clcnn_device_info *list = NULL;
    if (a.device && strcmp(a.device, "all") == 0) {
        clcnn_status s = clcnn_devices_list(&list, &n);
        if (s != CLCNN_STATUS_OK) return cli_fail(s, "listing devices");
    }
    for (int i = 0; i < n; i++) {
        char index[16];
        cli_args one = a;
        if (list) {
            snprintf(index, sizeof index, "%d", list[i].index);
            one.device = index;
            if (i) printf("\n");
        }
        int failed = 0;
        clcnn_status s = selftest_device(&one, &failed);
        if (s != CLCNN_STATUS_OK) {
            cli_fail(s, "selftest");
            failed_devices++;
        }
        failed_rows += failed;
    }
    free(list);
    if (failed_rows || failed_devices) {
        printf("\nselftest: %d failed row(s), %d device(s) that could not run it\n", failed_rows,
               failed_devices);
        return 1;
    }
    printf("\nselftest: every row passed\n");
    return 0;
}
