/* data/idx_cache.c: the decompressed copies of gzip IDX files that streaming keeps in
 * CLCNN_CACHE_DIR/idx (idx.c makes and reads them): each copy starts with a fixed-size header
 * naming its source file and that file's identity, so that a later run can tell a copy whose
 * source is gone or changed, and remove it; the rest are kept under a total size, the least
 * recently used removed first. Runs sharing the cache may prune at once: a removal is an unlink
 * (a run reading the copy keeps its open file), and a copy is only ever replaced whole (rename). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/core.h"
#include "data/stream.h"

#define COPY_MAGIC "clcnn idx copy 1\n"
#define CACHE_MB_DEFAULT 4096 /* CLCNN_IDX_CACHE_MB */
#define MAX_COPIES 4096       /* copies looked at per prune */
#define STALE_TEMP_SECONDS 3600 /* a temp file not written to for this long: a dead run's */

void clcnn_idx_copy_header(const char *source, const struct stat *st,
                           char header[CLCNN_IDX_COPY_HEADER]) {
    memset(header, 0, CLCNN_IDX_COPY_HEADER);
    int k = snprintf(header, CLCNN_IDX_COPY_HEADER, COPY_MAGIC "%llu %lld %ld %llu %llu\n%s\n",
                     (unsigned long long)st->st_size, (long long)st->st_mtim.tv_sec,
                     st->st_mtim.tv_nsec, (unsigned long long)st->st_ino,
                     (unsigned long long)st->st_dev, source);
    if (k < 0 || k >= CLCNN_IDX_COPY_HEADER) /* a path too long to name: kept by size alone */
        snprintf(header, CLCNN_IDX_COPY_HEADER, COPY_MAGIC "0 0 0 0 0\n\n");
}

/* Whether the copy at path names a source that is gone or no longer the file it was copied
 * from. A copy whose header cannot be read (another clcnn's, or a path too long) is not. */
static int source_changed(const char *path) {
    char h[CLCNN_IDX_COPY_HEADER + 1];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t got = pread(fd, h, CLCNN_IDX_COPY_HEADER, 0);
    close(fd);
    if (got != CLCNN_IDX_COPY_HEADER) return 0;
    h[CLCNN_IDX_COPY_HEADER] = 0;
    size_t m = strlen(COPY_MAGIC);
    if (strncmp(h, COPY_MAGIC, m) != 0) return 0;
    unsigned long long size, ino, dev;
    long long sec;
    long nsec;
    int used = 0;
    if (sscanf(h + m, "%llu %lld %ld %llu %llu\n%n", &size, &sec, &nsec, &ino, &dev, &used) != 5 ||
        !used)
        return 0;
    char *source = h + m + used, *end = strchr(source, '\n');
    if (!end || end == source) return 0;
    *end = 0;
    struct stat st;
    if (stat(source, &st) != 0) return errno == ENOENT || errno == ENOTDIR;
    return (unsigned long long)st.st_size != size || (long long)st.st_mtim.tv_sec != sec ||
           st.st_mtim.tv_nsec != nsec || (unsigned long long)st.st_ino != ino ||
           (unsigned long long)st.st_dev != dev;
}

typedef struct copy_entry {
    char name[64];
    time_t used;
    off_t size;
} copy_entry;

static int by_use(const void *a, const void *b) {
    const copy_entry *x = a, *y = b;
    return (x->used > y->used) - (x->used < y->used);
}

static int ends_with(const char *s, const char *tail) {
    size_t n = strlen(s), k = strlen(tail);
    return n >= k && strcmp(s + n - k, tail) == 0;
}

static void remove_copy(const char *dir, const char *name, const char *why) {
    char path[4200];
    if (clcnn_strfmt(path, sizeof path, "%s/%s", dir, name) != CLCNN_STATUS_OK) return;
    if (unlink(path) == 0)
        clcnn_log(CLCNN_LOG_INFO, "removed the decompressed IDX copy '%s' (%s)", path, why);
}

/* The copies of dir worth keeping, counted (those of a changed source and dead temp files are
 * removed on the way); keep is never removed nor listed. */
static int scan(const char *dir, const char *keep, copy_entry *out, off_t *kept_bytes) {
    DIR *d = opendir(dir);
    int n = 0;
    time_t now = time(NULL);
    *kept_bytes = 0;
    for (struct dirent *e; d && (e = readdir(d));) {
        char path[4200];
        struct stat st;
        if (e->d_name[0] == '.' || strcmp(e->d_name, keep) == 0 ||
            clcnn_strfmt(path, sizeof path, "%s/%s", dir, e->d_name) != CLCNN_STATUS_OK ||
            stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (strstr(e->d_name, ".raw.tmp.")) {
            if (now - st.st_mtime > STALE_TEMP_SECONDS)
                remove_copy(dir, e->d_name, "an unfinished copy no run has written for an hour");
        } else if (ends_with(e->d_name, ".raw") && strlen(e->d_name) < sizeof out->name) {
            if (source_changed(path)) {
                remove_copy(dir, e->d_name, "its source file is gone or changed");
            } else if (n < MAX_COPIES) {
                snprintf(out[n].name, sizeof out[n].name, "%s", e->d_name);
                out[n].used = st.st_mtime; /* idx.c touches a copy it reuses */
                out[n++].size = st.st_size;
            }
        }
    }
    if (d) closedir(d);
    return n;
}

clcnn_status clcnn_idx_cache_prune(const char *dir, const char *keep) {
    const char *e = getenv("CLCNN_IDX_CACHE_MB");
    int64_t mb = CACHE_MB_DEFAULT;
    if (e && *e) CLCNN_TRY(clcnn_parse_int(e, 0, INT64_C(1) << 40, "the environment",
                                           "CLCNN_IDX_CACHE_MB", &mb));
    copy_entry *copies = malloc(MAX_COPIES * sizeof *copies);
    if (!copies) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
    off_t total;
    int n = scan(dir, keep, copies, &total);
    char keep_path[4200];
    struct stat st;
    if (clcnn_strfmt(keep_path, sizeof keep_path, "%s/%s", dir, keep) == CLCNN_STATUS_OK &&
        stat(keep_path, &st) == 0)
        total += st.st_size;
    for (int i = 0; i < n; i++)
        total += copies[i].size;
    /* The least recently used first, until the rest fit (the copy in use always stays). */
    qsort(copies, (size_t)n, sizeof *copies, by_use);
    for (int i = 0; i < n && (double)total > (double)mb * 1048576.0; i++) {
        remove_copy(dir, copies[i].name, "the least recently used beyond CLCNN_IDX_CACHE_MB");
        total -= copies[i].size;
    }
    free(copies);
    return CLCNN_STATUS_OK;
}
