/* tests/fuzz/fuzz_util.h: what every harness shares. Most readers take a path, so the input is
 * written to a private temp file first (one per process, rewritten each run). A harness only
 * checks that the reader returns: a crash, a hang, a leak or undefined behaviour is what the
 * sanitizers and libFuzzer report. */
#ifndef CLCNN_FUZZ_UTIL_H
#define CLCNN_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input in a temp file whose name ends with suffix (readers look at contents, never names,
 * but a message shows the name); the path is static storage. */
static inline const char *fuzz_file(const uint8_t *data, size_t size, const char *suffix) {
    static char path[256];
    if (!path[0]) {
        const char *tmp = getenv("TMPDIR");
        snprintf(path, sizeof path - 16, "%s/clcnn_fuzz_%ld", tmp && *tmp ? tmp : "/tmp",
                 (long)getpid());
        strcat(path, suffix);
    }
    FILE *fp = fopen(path, "wb");
    if (!fp) abort();
    if (size && fwrite(data, 1, size, fp) != size) abort();
    if (fclose(fp) != 0) abort();
    return path;
}

/* The input as a NUL-terminated string (malloc'ed). */
static inline char *fuzz_text(const uint8_t *data, size_t size) {
    char *s = malloc(size + 1);
    if (!s) abort();
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

#endif
