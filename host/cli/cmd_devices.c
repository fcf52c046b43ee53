/* cli/cmd_devices.c: `clcnn devices`: every OpenCL device, the default marked. */
#include <stdlib.h>

#include "cli.h"

int cmd_devices(int argc, char **argv) {
    cli_args a;
    if (cli_parse(argc, argv, 2, &a)) return 2;
    clcnn_device_info *d;
    int n;
    clcnn_status s = clcnn_devices_list(&d, &n);
    if (s != CLCNN_STATUS_OK) return cli_fail(s, "listing devices");
    int chosen = -1;
    if (clcnn_device_resolve(a.device, &chosen) != CLCNN_STATUS_OK) chosen = -1;
    printf("%-3s %-2s %-28s %-40s %-11s %5s %10s  %s\n", "#", "", "platform", "device", "type",
           "CUs", "memory", "OpenCL");
    for (int i = 0; i < n; i++)
        printf("%-3d %-2s %-28.28s %-40.40s %-11s %5u %7.0f MiB  %s\n", d[i].index,
               d[i].is_default ? "*" : (i == chosen ? ">" : ""), d[i].platform, d[i].name,
               d[i].type, d[i].compute_units, d[i].global_memory / 1048576.0, d[i].version);
    printf("\n* default (the first GPU, else the first device)");
    if (chosen >= 0 && !d[chosen].is_default) printf("; > chosen by --device or CLCNN_DEVICE");
    printf("\n");
    free(d);
    return 0;
}
