/* core/files.c: whole-file reads, atomic writes (temp file + fsync + rename), mkdir -p, the
 * cache folder, a growable byte buffer, hashing and the clock. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "clcnn/files.h"
#include "core.h"

clcnn_status clcnn_read_file(const char *path, char **data, size_t *len) {
    return clcnn_read_file_max(path, SIZE_MAX / 4, data, len);
}

clcnn_status clcnn_read_file_max(const char *path, size_t max, char **data, size_t *len) {
    *data = NULL;
    *len = 0;
    FILE *fp = fopen(path, "rb");
    if (!fp) return clcnn_fail(CLCNN_STATUS_IO_ERROR, "cannot open '%s': %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        if (!buf) {
            fclose(fp);
            return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory reading '%s'", path);
        }
        n += fread(buf + n, 1, cap - n, fp);
        if (n > max) {
            fclose(fp);
            free(buf);
            return clcnn_fail(CLCNN_STATUS_IO_ERROR, "'%s' is over %zu bytes: refused", path, max);
        }
        if (n < cap) break;
        cap *= 2;
        char *bigger = realloc(buf, cap + 1);
        if (!bigger) free(buf);
        buf = bigger;
    }
    int err = ferror(fp);
    fclose(fp);
    if (err) {
        free(buf);
        return clcnn_fail(CLCNN_STATUS_IO_ERROR, "error reading '%s'", path);
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_atomic_open(clcnn_atomic_file *af, const char *path) {
    memset(af, 0, sizeof *af);
    CLCNN_TRY(clcnn_strfmt(af->path, sizeof af->path, "%s", path));
    CLCNN_TRY(clcnn_strfmt(af->tmp_path, sizeof af->tmp_path, "%s.tmp.XXXXXX", path));
    int fd = mkstemp(af->tmp_path);
    if (fd < 0)
        return clcnn_fail(CLCNN_STATUS_IO_ERROR, "cannot create a temp file for '%s': %s", path,
                          strerror(errno));
    fchmod(fd, 0644);
    af->fp = fdopen(fd, "wb");
    if (!af->fp) {
        close(fd);
        unlink(af->tmp_path);
        return clcnn_fail(CLCNN_STATUS_IO_ERROR, "cannot open '%s': %s", af->tmp_path, strerror(errno));
    }
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_atomic_commit(clcnn_atomic_file *af) {
    int bad = fflush(af->fp) != 0 || ferror(af->fp) || fsync(fileno(af->fp)) != 0;
    int err = errno;
    bad |= fclose(af->fp) != 0;
    af->fp = NULL;
    if (bad) {
        unlink(af->tmp_path);
        return clcnn_fail(CLCNN_STATUS_IO_ERROR, "cannot write '%s': %s", af->path, strerror(err));
    }
    if (rename(af->tmp_path, af->path) != 0) {
        err = errno;
        unlink(af->tmp_path);
        return clcnn_fail(CLCNN_STATUS_IO_ERROR, "cannot rename onto '%s': %s", af->path, strerror(err));
    }
    return CLCNN_STATUS_OK;
}

void clcnn_atomic_abort(clcnn_atomic_file *af) {
    if (af->fp) fclose(af->fp);
    af->fp = NULL;
    unlink(af->tmp_path);
}

clcnn_status clcnn_write_file_atomic(const char *path, const void *data, size_t len) {
    clcnn_atomic_file af;
    CLCNN_TRY(clcnn_atomic_open(&af, path));
    if (len && fwrite(data, 1, len, af.fp) != len) {
        clcnn_atomic_abort(&af);
        return clcnn_fail(CLCNN_STATUS_IO_ERROR, "cannot write '%s': %s", path, strerror(errno));
    }
    return clcnn_atomic_commit(&af);
}

clcnn_status clcnn_mkdir_p(const char *path) {
    char buf[4096];
    CLCNN_TRY(clcnn_strfmt(buf, sizeof buf, "%s", path));
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(buf, 0755) != 0 && errno != EEXIST)
                return clcnn_fail(CLCNN_STATUS_IO_ERROR, "cannot create folder '%s': %s", buf,
                                  strerror(errno));
            *p = c;
            if (c == '\0') break;
        }
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return clcnn_fail(CLCNN_STATUS_IO_ERROR, "'%s' exists and is not a folder", path);
    return CLCNN_STATUS_OK;
}

int clcnn_file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

clcnn_status clcnn_cache_dir(char *buf, size_t n) {
    const char *env = getenv("CLCNN_CACHE_DIR");
    if (env && *env) return clcnn_strfmt(buf, n, "%s", env);
    env = getenv("XDG_CACHE_HOME");
    if (env && *env) return clcnn_strfmt(buf, n, "%s/clcnn", env);
    env = getenv("HOME");
    if (env && *env) return clcnn_strfmt(buf, n, "%s/.cache/clcnn", env);
    return clcnn_strfmt(buf, n, "/tmp/clcnn-cache");
}

struct clcnn_hasher {
    XXH3_state_t *state;
};

clcnn_hasher *clcnn_hasher_create(void) {
    clcnn_hasher *h = malloc(sizeof *h);
    if (!h) return NULL;
    h->state = XXH3_createState();
    if (!h->state) {
        free(h);
        return NULL;
    }
    XXH3_128bits_reset(h->state);
    return h;
}

void clcnn_hasher_update(clcnn_hasher *h, const void *data, size_t len) {
    XXH3_128bits_update(h->state, data, len);
}

void clcnn_hasher_update_str(clcnn_hasher *h, const char *s) {
    XXH3_128bits_update(h->state, s, strlen(s) + 1);
}

void clcnn_hasher_hex(clcnn_hasher *h, char out[33]) {
    XXH128_hash_t d = XXH3_128bits_digest(h->state);
    snprintf(out, 33, "%016llx%016llx", (unsigned long long)d.high64, (unsigned long long)d.low64);
}

void clcnn_hasher_destroy(clcnn_hasher *h) {
    if (!h) return;
    XXH3_freeState(h->state);
    free(h);
}

double clcnn_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

clcnn_status clcnn_file_write_atomic(const char *path, const void *data, size_t len) {
    return clcnn_write_file_atomic(path, data, len);
}

clcnn_status clcnn_file_mkdir_p(const char *path) { return clcnn_mkdir_p(path); }

void clcnn_bytes_append(clcnn_bytes *b, const void *data, size_t n) {
    if (b->failed || n == 0) return;
    if (b->len + n > b->cap) {
        size_t cap = (b->len + n) * 2;
        unsigned char *d = realloc(b->data, cap);
        if (!d) {
            b->failed = 1;
            return;
        }
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, n);
    b->len += n;
}
