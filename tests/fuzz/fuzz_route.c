/* tests/fuzz/fuzz_route.c: the route cache file and a kernel cache entry: whatever the bytes,
 * a route read back is one this version runs, and an entry is trusted only when whole. */
#include "cl/gemm.h"
#include "cl/route.h"
#include "core/core.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_file(data, size, ".txt");
    struct clcnn_route_table *t = NULL;
    clcnn_route_table_load(path, 1, &t);
    if (t) {
        /* Every key the file could hold: the first word of each line. */
        char *text = fuzz_text(data, size), *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
            char *space = strchr(line, ' ');
            if (space) *space = '\0';
            int r = clcnn_route_find(t, line);
            int alg = !strncmp(line, CLCNN_ROUTE_ALG_PREFIX, strlen(CLCNN_ROUTE_ALG_PREFIX));
            if (r != 0 && (alg ? r < CLCNN_ROUTE_ALG_FIRST || r > CLCNN_ROUTE_ALG_LAST
                               : r < CLCNN_ROUTE_OWN || r >= CLCNN_ROUTE_COUNT))
                abort();
        }
        free(text);
    }
    clcnn_route_table_free(t);
    size_t offset, len;
    if (clcnn_cache_entry_parse((const char *)data, size, "0123456789abcdef0123456789abcdef",
                                &offset, &len) &&
        offset + len != size)
        abort();
    return 0;
}
