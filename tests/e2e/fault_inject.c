/* tests/e2e/fault_inject.c: a fault-injecting wrapper for the e2e tests, loaded with LD_PRELOAD.
 * fsync of a file whose path contains $CLCNN_FAULT_FSYNC fails with ENOSPC, as on a full disk:
 * the data was written to the page cache but cannot reach the device. The atomic writers of
 * host/core fsync before they rename, so this is the last point at which a write can fail. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int fsync(int fd) {
    static int (*real_fsync)(int);
    if (!real_fsync) real_fsync = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    const char *match = getenv("CLCNN_FAULT_FSYNC");
    if (match && *match) {
        char link[64], path[4096];
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        ssize_t n = readlink(link, path, sizeof path - 1);
        if (n > 0) {
            path[n] = '\0';
            if (strstr(path, match)) {
                errno = ENOSPC;
                return -1;
            }
        }
    }
    return real_fsync(fd);
}
