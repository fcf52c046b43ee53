/* cli/cmd_devices.c: `clcnn devices`: every OpenCL device, the default marked; under mpirun,
 * rank 0 prints the table of its host and which device each rank chose. */
#include <stdlib.h>
#include <string.h>

#include "clcnn/dist.h"
#include "cli.h"

typedef struct rank_choice {
    char host[64];
    int local_rank, device;
    char name[64];
} rank_choice;

/* Every rank's host and device, gathered on rank 0, which prints them. */
static int print_ranks(const clcnn_device_info *d, int n, int chosen) {
    rank_choice mine, *all = calloc((size_t)clcnn_dist_size(), sizeof *all);
    if (!all) return cli_fail(CLCNN_STATUS_OUT_OF_MEMORY, "listing ranks");
    memset(&mine, 0, sizeof mine);
    clcnn_dist_host_name(mine.host, sizeof mine.host);
    mine.local_rank = clcnn_dist_local_rank();
    mine.device = chosen;
    const char *name = chosen >= 0 && chosen < n ? d[chosen].name : "?";
    snprintf(mine.name, sizeof mine.name, "%.63s", name);
    clcnn_status s = clcnn_dist_gather(&mine, (int)sizeof mine, all);
    if (s == CLCNN_STATUS_OK && clcnn_dist_rank() == 0) {
        printf("\n%-5s %-24s %-10s %s\n", "rank", "host", "local rank", "device");
        for (int r = 0; r < clcnn_dist_size(); r++)
            printf("%-5d %-24.24s %-10d #%d %s\n", r, all[r].host, all[r].local_rank, all[r].device,
                   all[r].name);
    }
    free(all);
    return s == CLCNN_STATUS_OK ? 0 : cli_fail(s, "gathering the ranks' devices");
}

int cmd_devices(int argc, char **argv) {
    cli_args a;
    if (cli_parse(argc, argv, 2, &a)) return 2;
    clcnn_device_info *d;
    int n;
    clcnn_status s = clcnn_devices_list(&d, &n);
    if (s != CLCNN_STATUS_OK) return cli_fail(s, "listing devices");
    int chosen = -1;
    char buf[16];
    if (clcnn_device_resolve(cli_device_selector(&a, buf, sizeof buf), &chosen) != CLCNN_STATUS_OK)
        chosen = -1;
    if (clcnn_dist_rank() != 0) {
        int rc = print_ranks(d, n, chosen);
        free(d);
        return rc;
    }
    printf("%-3s %-2s %-28s %-40s %-11s %5s %10s  %s\n", "#", "", "platform", "device", "type",
           "CUs", "memory", "OpenCL");
    for (int i = 0; i < n; i++)
        printf("%-3d %-2s %-28.28s %-40.40s %-11s %5u %7.0f MiB  %s\n", d[i].index,
               d[i].is_default ? "*" : (i == chosen ? ">" : ""), d[i].platform, d[i].name,
               d[i].type, d[i].compute_units, d[i].global_memory / 1048576.0, d[i].version);
    printf("\n* default (the first GPU, else the first device)");
    if (chosen >= 0 && !d[chosen].is_default) printf("; > chosen by --device or CLCNN_DEVICE");
    printf("\n");
    int rc = clcnn_dist_active() ? print_ranks(d, n, chosen) : 0;
    free(d);
    return rc;
}
