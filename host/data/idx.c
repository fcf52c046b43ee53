/* data/idx.c: the IDX reader (LeCun's MNIST format, also used by Fashion-MNIST), raw or gzip.
 *
 * An IDX file is a 4-byte magic (0x00 0x00 <type> <ndim>), ndim big-endian u32 dimensions, then
 * the data. Everything is read through zlib's gzread, which decompresses gzip content and passes
 * anything else through, so gzip is recognised by its magic bytes rather than by the file name.
 * The header is never trusted: sizes are checked for overflow, the buffer grows with the data
 * actually read (a header claiming terabytes cannot make us allocate them), and both a short file
 * and trailing bytes are errors that say which. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "clcnn/data.h"
#include "core/core.h"
#include "data/stream.h"

enum { IDX_TYPE_UBYTE = 0x08, IDX_MAX_DIMS = 4, IDX_CHUNK = 1 << 20, IDX_MAX_SIDE = 1 << 15,
       IDX_MAX_CHANNELS = 4 };

typedef struct idx_reader {
    const char *path;
    gzFile gz;
    int ndim;
    uint32_t dims[IDX_MAX_DIMS];
    size_t header_bytes; /* 4 + 4 * ndim */
    uint64_t data_bytes; /* product of dims: what the header promises */
} idx_reader;

static clcnn_status idx_open(idx_reader *r, const char *path) {
    memset(r, 0, sizeof *r);
    r->path = path;
    if (!path || !*path) return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "IDX file path is empty");
    errno = 0;
    r->gz = gzopen(path, "rb");
    if (!r->gz)
        return clcnn_fail(CLCNN_STATUS_IO_ERROR, "cannot open '%s': %s", path,
                          errno ? strerror(errno) : "out of memory");
    gzbuffer(r->gz, 1 << 17); /* the 8 KiB default makes a 26 MB file cost thousands of reads */
    return CLCNN_STATUS_OK;
}

static void idx_close(idx_reader *r) {
    if (r->gz) gzclose(r->gz);
    r->gz = NULL;
}

/* zlib's message without the "<path>: " it starts with, since ours names the file already. */
static const char *gz_reason(idx_reader *r, int *errnum) {
    const char *msg = gzerror(r->gz, errnum);
    size_t k = strlen(r->path);
    if (strncmp(msg, r->path, k) == 0 && msg[k] == ':' && msg[k + 1] == ' ') msg += k + 2;
    return msg;
}

/* Reads up to n bytes; *got says how many arrived before the end of the file. A corrupt gzip
 * stream is an error, a cut-short one is only a short read (checked later by idx_check_end). */
static clcnn_status idx_read(idx_reader *r, void *buf, size_t n, size_t *got) {
    *got = 0;
    while (*got < n) {
        size_t want = n - *got < (1u << 30) ? n - *got : (1u << 30);
        int k = gzread(r->gz, (char *)buf + *got, (unsigned)want);
        if (k < 0) {
            int errnum;
            const char *msg = gz_reason(r, &errnum);
            if (errnum == Z_ERRNO) /* the system failed us, not the data (a folder, say) */
                return clcnn_fail(CLCNN_STATUS_IO_ERROR, "cannot read '%s': %s", r->path, msg);
            return clcnn_fail(CLCNN_STATUS_PARSE_ERROR, "'%s': corrupt gzip data: %s", r->path,
                              msg);
        }
        if (k == 0) break;
        *got += (size_t)k;
    }
    return CLCNN_STATUS_OK;
}

/* gzread reports a gzip stream cut off mid-way (or before its CRC) as a plain end of file and
 * remembers Z_BUF_ERROR; without this check a cut .gz would pass unverified. */
static int idx_gzip_cut_short(idx_reader *r) {
    int errnum = Z_OK;
    gzerror(r->gz, &errnum);
    return errnum == Z_BUF_ERROR;
}

static uint32_t be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static const char *idx_type_name(int type) {
    switch (type) {
    case 0x08:
        return "unsigned byte";
    case 0x09:
        return "signed byte";
    case 0x0B:
        return "short";
    case 0x0C:
        return "int";
    case 0x0D:
        return "float";
    case 0x0E:
        return "double";
    default:
        return NULL;
    }
}

static clcnn_status idx_check_magic(idx_reader *r, const uint8_t m[4], size_t got, int min_dims,
                                    int max_dims, const char *what) {
    if (got < 4)
        return clcnn_fail(
            CLCNN_STATUS_PARSE_ERROR,
            "'%s': truncated: the file holds %zu bytes, less than the 4-byte IDX magic", r->path,
            got);
    if (m[0] != 0 || m[1] != 0)
        return clcnn_fail(CLCNN_STATUS_PARSE_ERROR,
                          "'%s': not an IDX file: wrong magic number %02x %02x %02x %02x "
                          "(expected 00 00 08 <ndim>)",
                          r->path, m[0], m[1], m[2], m[3]);
    const char *type = idx_type_name(m[2]);
    if (!type)
        return clcnn_fail(CLCNN_STATUS_PARSE_ERROR, "'%s': unknown IDX data type 0x%02x", r->path,
                          m[2]);
    if (m[2] != IDX_TYPE_UBYTE)
        return clcnn_fail(
            CLCNN_STATUS_UNSUPPORTED,
            "'%s': IDX data type 0x%02x (%s) is not supported; only 0x08 (unsigned byte)", r->path,
            m[2], type);
    if (m[3] < min_dims || m[3] > max_dims)
        return clcnn_fail(
            CLCNN_STATUS_PARSE_ERROR, "'%s': expected %s file with %s; this one has %d", r->path,
            what, min_dims == 1 ? "1 dimension (n)" : "3 dimensions (n, h, w) or 4 (n, h, w, c)",
            m[3]);
    return CLCNN_STATUS_OK;
}

/* Dimensions must fit the int fields of clcnn_dataset, and the total must fit in memory. */
static clcnn_status idx_check_dims(idx_reader *r) {
    uint64_t total = 1, per_item = 1;
    for (int i = 0; i < r->ndim; i++) {
        if (r->dims[i] == 0)
            return clcnn_fail(CLCNN_STATUS_PARSE_ERROR, "'%s': dimension %d is 0", r->path, i);
        if (r->dims[i] > INT_MAX || total > (uint64_t)PTRDIFF_MAX / r->dims[i])
            return clcnn_fail(CLCNN_STATUS_PARSE_ERROR,
                              "'%s': dimensions too large (dimension %d is %u)", r->path, i,
                              r->dims[i]);
        total *= r->dims[i];
        if (i > 0) per_item *= r->dims[i];
    }
    if (per_item > INT_MAX)
        return clcnn_fail(CLCNN_STATUS_PARSE_ERROR, "'%s': one example has %llu bytes, too many",
                          r->path, (unsigned long long)per_item);
    /* Images: sides as clcnn_image_load allows, and grey to RGBA; checked before a byte of data
     * is read, so a small gzip file cannot make us inflate gigabytes of a shape we refuse. (A
     * count that lies is harmless: the buffer grows with the data that actually arrives.) */
    for (int i = 1; i < r->ndim && i < 3; i++)
        if (r->dims[i] > IDX_MAX_SIDE)
            return clcnn_fail(CLCNN_STATUS_PARSE_ERROR,
                              "'%s': image %s is %u pixels; clcnn reads at most %d", r->path,
                              i == 1 ? "height" : "width", r->dims[i], IDX_MAX_SIDE);
    if (r->ndim == 4 && r->dims[3] > IDX_MAX_CHANNELS)
        return clcnn_fail(CLCNN_STATUS_PARSE_ERROR,
                          "'%s': images have %u channels; clcnn reads 1 to %d", r->path, r->dims[3],
                          IDX_MAX_CHANNELS);
    r->data_bytes = total;
    return CLCNN_STATUS_OK;
}

static clcnn_status idx_read_header(idx_reader *r, int min_dims, int max_dims, const char *what) {
    uint8_t magic[4], dims[4 * IDX_MAX_DIMS];
    size_t got;
    CLCNN_TRY(idx_read(r, magic, 4, &got));
    CLCNN_TRY(idx_check_magic(r, magic, got, min_dims, max_dims, what));
    r->ndim = magic[3];
    r->header_bytes = 4 + 4 * (size_t)r->ndim;
    CLCNN_TRY(idx_read(r, dims, 4 * (size_t)r->ndim, &got));
    if (got < 4 * (size_t)r->ndim)
        return clcnn_fail(
            CLCNN_STATUS_PARSE_ERROR,
            "'%s': truncated: the file holds %zu bytes, less than the %zu-byte header", r->path,
            4 + got, r->header_bytes);
    for (int i = 0; i < r->ndim; i++)
        r->dims[i] = be32(dims + 4 * i);
    return idx_check_dims(r);
}

/* "60000 images of 28x28 (47040000 bytes)": what the header promises, for error messages. */
static void idx_describe(const idx_reader *r, char *buf, size_t n) {
    const uint32_t *d = r->dims;
    unsigned long long bytes = (unsigned long long)r->data_bytes;
    if (r->ndim == 1)
        snprintf(buf, n, "%u labels (%llu bytes)", d[0], bytes);
    else if (r->ndim == 3)
        snprintf(buf, n, "%u images of %ux%u (%llu bytes)", d[0], d[1], d[2], bytes);
    else
        snprintf(buf, n, "%u images of %ux%ux%u (%llu bytes)", d[0], d[1], d[2], d[3], bytes);
}

/* After the promised data: nothing may follow, and a gzip stream must have ended cleanly. */
static clcnn_status idx_check_end(idx_reader *r) {
    uint8_t scratch[4096];
    unsigned long long extra = 0;
    size_t got;
    do {
        CLCNN_TRY(idx_read(r, scratch, sizeof scratch, &got));
        extra += got;
    } while (got == sizeof scratch);
    char what[160];
    idx_describe(r, what, sizeof what);
    if (extra)
        return clcnn_fail(CLCNN_STATUS_PARSE_ERROR,
                          "'%s': trailing garbage: header says %s but the file holds %llu more "
                          "bytes after them",
                          r->path, what, extra);
    if (idx_gzip_cut_short(r))
        return clcnn_fail(CLCNN_STATUS_PARSE_ERROR,
                          "'%s': truncated: the gzip stream ends before its end marker", r->path);
    return CLCNN_STATUS_OK;
}

static clcnn_status idx_short_data(idx_reader *r, size_t got) {
    char what[160];
    idx_describe(r, what, sizeof what);
    return clcnn_fail(CLCNN_STATUS_PARSE_ERROR,
                      "'%s': truncated: header says %s but the file holds %zu after the %zu-byte "
                      "header%s",
                      r->path, what, got, r->header_bytes,
                      idx_gzip_cut_short(r) ? " (the gzip stream is cut short)" : "");
}

/* Reads exactly the promised bytes into a malloc'ed buffer that grows as data arrives. */
static clcnn_status idx_read_data(idx_reader *r, uint8_t **out) {
    *out = NULL;
    size_t want = (size_t)r->data_bytes, cap = 0, got = 0;
    uint8_t *buf = NULL;
    while (got < want) {
        if (got == cap) {
            cap = cap == 0 ? IDX_CHUNK : cap * 2;
            if (cap > want) cap = want;
            uint8_t *bigger = realloc(buf, cap);
            if (!bigger) {
                free(buf);
                return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "'%s': out of memory", r->path);
            }
            buf = bigger;
        }
        size_t room = cap - got, k;
        clcnn_status st = idx_read(r, buf + got, room, &k);
        got += k;
        if (st == CLCNN_STATUS_OK && k < room) st = idx_short_data(r, got);
        if (st != CLCNN_STATUS_OK) {
            free(buf);
            return st;
        }
    }
    clcnn_status st = idx_check_end(r);
    if (st != CLCNN_STATUS_OK) {
        free(buf);
        return st;
    }
    *out = buf;
    return CLCNN_STATUS_OK;
}

/* idx4 stores pixels as (h, w, c); the library wants (c, h, w). */
static void hwc_to_chw(const uint8_t *src, uint8_t *dst, int c, size_t hw) {
    for (size_t p = 0; p < hw; p++)
        for (int ch = 0; ch < c; ch++)
            dst[ch * hw + p] = src[p * c + ch];
}

/* One image at a time, in place. */
static clcnn_status nhwc_to_nchw(uint8_t *images, int n, int c, int h, int w) {
    size_t hw = (size_t)h * w, per = hw * c;
    uint8_t *tmp = malloc(per);
    if (!tmp) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory transposing images");
    for (int i = 0; i < n; i++) {
        uint8_t *img = images + per * i;
        memcpy(tmp, img, per);
        hwc_to_chw(tmp, img, c, hw);
    }
    free(tmp);
    return CLCNN_STATUS_OK;
}

void clcnn_dataset_free(clcnn_dataset *ds) {
    if (!ds) return;
    free(ds->images);
    free(ds->labels);
    memset(ds, 0, sizeof *ds);
}

clcnn_status clcnn_idx_read_images(const char *path, clcnn_dataset *out) {
    if (!out)
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT, "clcnn_idx_read_images: out is NULL");
    memset(out, 0, sizeof *out);
    idx_reader r;
    CLCNN_TRY(idx_open(&r, path));
    uint8_t *images = NULL;
    clcnn_status st = idx_read_header(&r, 3, 4, "an images");
    if (st == CLCNN_STATUS_OK) st = idx_read_data(&r, &images);
    idx_close(&r);
    if (st != CLCNN_STATUS_OK) return st;
    int n = (int)r.dims[0], h = (int)r.dims[1], w = (int)r.dims[2];
    int c = r.ndim == 4 ? (int)r.dims[3] : 1;
    if (c > 1 && (st = nhwc_to_nchw(images, n, c, h, w)) != CLCNN_STATUS_OK) {
        free(images);
        return st;
    }
    *out = (clcnn_dataset){.n = n, .c = c, .h = h, .w = w, .images = images, .labels = NULL};
    return CLCNN_STATUS_OK;
}

static clcnn_status check_labels(const char *path, const uint8_t *labels, int n, int n_classes) {
    for (int i = 0; i < n; i++)
        if (labels[i] >= n_classes)
            return clcnn_fail(CLCNN_STATUS_PARSE_ERROR,
                              "'%s': label %d at index %d is out of range for %d classes", path,
                              labels[i], i, n_classes);
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_idx_read_labels(const char *path, int n_classes, clcnn_dataset *ds) {
    if (!ds || ds->n <= 0)
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT,
                          "reading labels '%s': read the images first (the dataset is empty)",
                          path ? path : "(null)");
    if (n_classes < 1 || n_classes > 256)
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT,
                          "reading labels '%s': n_classes is %d; uint8 labels need 1 to 256",
                          path ? path : "(null)", n_classes);
    idx_reader r;
    CLCNN_TRY(idx_open(&r, path));
    uint8_t *labels = NULL;
    clcnn_status st = idx_read_header(&r, 1, 1, "a labels");
    if (st == CLCNN_STATUS_OK && r.dims[0] != (uint32_t)ds->n)
        st = clcnn_fail(CLCNN_STATUS_PARSE_ERROR,
                        "'%s': count mismatch: %u labels but the images file has %d images", path,
                        r.dims[0], ds->n);
    if (st == CLCNN_STATUS_OK) st = idx_read_data(&r, &labels);
    idx_close(&r);
    if (st == CLCNN_STATUS_OK) st = check_labels(path, labels, ds->n, n_classes);
    if (st != CLCNN_STATUS_OK) {
        free(labels);
        return st;
    }
    free(ds->labels);
    ds->labels = labels;
    return CLCNN_STATUS_OK;
}

/* ---- IDX images read at random (the streaming path) ----------------------------------------- */

clcnn_status clcnn_idx_shape(const char *path, int shape[4]) {
    idx_reader r;
    CLCNN_TRY(idx_open(&r, path));
    clcnn_status st = idx_read_header(&r, 3, 4, "an images");
    idx_close(&r);
    if (st != CLCNN_STATUS_OK) return st;
    shape[0] = (int)r.dims[0], shape[1] = r.ndim == 4 ? (int)r.dims[3] : 1;
    shape[2] = (int)r.dims[1], shape[3] = (int)r.dims[2];
    return CLCNN_STATUS_OK;
}

/* A raw file is read in place: its size must be the header's promise, found now rather than
 * at the batch that runs past the end. */
static clcnn_status idx_raw_file(idx_reader *r, int *fd) {
    *fd = open(r->path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (*fd < 0 || fstat(*fd, &st) != 0) {
        clcnn_status s =
            clcnn_fail(CLCNN_STATUS_IO_ERROR, "cannot open '%s': %s", r->path, strerror(errno));
        if (*fd >= 0) close(*fd);
        return s;
    }
    uint64_t size = (uint64_t)st.st_size, want = r->header_bytes + r->data_bytes;
    char what[160];
    idx_describe(r, what, sizeof what);
    clcnn_status s = CLCNN_STATUS_OK;
    if (size < want)
        s = clcnn_fail(CLCNN_STATUS_PARSE_ERROR,
                       "'%s': truncated: header says %s but the file holds %llu after the "
                       "%zu-byte header",
                       r->path, what, (unsigned long long)(size - r->header_bytes),
                       r->header_bytes);
    else if (size > want)
        s = clcnn_fail(CLCNN_STATUS_PARSE_ERROR,
                       "'%s': trailing garbage: header says %s but the file holds %llu more "
                       "bytes after them",
                       r->path, what, (unsigned long long)(size - want));
    if (s != CLCNN_STATUS_OK) close(*fd);
    return s;
}

/* Where the decompressed copy of a gzip file lives: CLCNN_CACHE_DIR/idx (dir) and a name
 * from the file's identity (device, inode, size, modification time: *src), so an edited or
 * replaced file gets a new copy. */
static clcnn_status idx_cache_path(const char *path, char *dir, size_t n, char name[40],
                                   struct stat *src) {
    char root[4096], key[33];
    if (stat(path, src) != 0)
        return clcnn_fail(CLCNN_STATUS_IO_ERROR, "cannot open '%s': %s", path, strerror(errno));
    uint64_t id[5] = {(uint64_t)src->st_size, (uint64_t)src->st_mtim.tv_sec,
                      (uint64_t)src->st_mtim.tv_nsec, (uint64_t)src->st_ino,
                      (uint64_t)src->st_dev};
    clcnn_hasher *h = clcnn_hasher_create();
    if (!h) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
    clcnn_hasher_update(h, id, sizeof id);
    clcnn_hasher_hex(h, key);
    clcnn_hasher_destroy(h);
    snprintf(name, 40, "%s.raw", key);
    CLCNN_TRY(clcnn_cache_dir(root, sizeof root));
    CLCNN_TRY(clcnn_strfmt(dir, n, "%s/idx", root));
    return clcnn_mkdir_p(dir);
}

/* Inflates the data after the header into fp, checking it as idx_read_data does. */
static clcnn_status idx_inflate_to(idx_reader *r, FILE *fp, const char *dest) {
    uint8_t *buf = malloc(IDX_CHUNK);
    if (!buf) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "'%s': out of memory", r->path);
    uint64_t done = 0;
    clcnn_status st = CLCNN_STATUS_OK;
    while (st == CLCNN_STATUS_OK && done < r->data_bytes) {
        size_t want = r->data_bytes - done < IDX_CHUNK ? (size_t)(r->data_bytes - done) : IDX_CHUNK;
        size_t got;
        st = idx_read(r, buf, want, &got);
        if (st == CLCNN_STATUS_OK && got && fwrite(buf, 1, got, fp) != got)
            st = clcnn_fail(CLCNN_STATUS_IO_ERROR, "cannot write '%s': %s", dest, strerror(errno));
        done += got;
        if (st == CLCNN_STATUS_OK && got < want) st = idx_short_data(r, (size_t)done);
    }
    free(buf);
    return st == CLCNN_STATUS_OK ? idx_check_end(r) : st;
}

/* The copy of a gzip file: the header naming its source (idx_cache.c), then the data. */
static clcnn_status idx_write_copy(idx_reader *r, const struct stat *src, const char *path) {
    clcnn_log(CLCNN_LOG_INFO, "'%s': decompressing for streaming into '%s'", r->path, path);
    if (gzseek(r->gz, (z_off_t)r->header_bytes, SEEK_SET) < 0) /* a second copy: from the start */
        return clcnn_fail(CLCNN_STATUS_IO_ERROR, "cannot read '%s' again", r->path);
    char header[CLCNN_IDX_COPY_HEADER];
    clcnn_idx_copy_header(r->path, src, header);
    clcnn_atomic_file af;
    CLCNN_TRY(clcnn_atomic_open(&af, path));
    clcnn_status s = fwrite(header, 1, sizeof header, af.fp) == sizeof header
                         ? idx_inflate_to(r, af.fp, path)
                         : clcnn_fail(CLCNN_STATUS_IO_ERROR, "cannot write '%s': %s", path,
                                      strerror(errno));
    if (s != CLCNN_STATUS_OK) {
        clcnn_atomic_abort(&af);
        return s;
    }
    return clcnn_atomic_commit(&af);
}

static int no_cache(void) {
    const char *nc = getenv("CLCNN_NO_CACHE");
    return nc && *nc && strcmp(nc, "0") != 0;
}

/* A gzip file has no random access: its data is inflated once into a file that has. With the
 * cache: CLCNN_CACHE_DIR/idx/<key>.raw (a header naming the source, then the data: idx_cache.c),
 * written atomically, reused while the file is the same, and the folder pruned to a bounded size
 * after each use; without: an unnamed temp file, gone with the process. *offset: where the data
 * starts. The whole stream is checked on the way (a corrupt or cut-short file fails here, before
 * any training). */
static clcnn_status idx_inflated_file(idx_reader *r, int *fd, int64_t *offset) {
    char path[4096];
    struct stat st;
    *offset = 0;
    if (no_cache()) {
        FILE *fp = tmpfile();
        if (!fp)
            return clcnn_fail(CLCNN_STATUS_IO_ERROR, "'%s': cannot create a temp file: %s", r->path,
                              strerror(errno));
        clcnn_status s = idx_inflate_to(r, fp, "a temp file");
        if (s == CLCNN_STATUS_OK && fflush(fp) != 0)
            s = clcnn_fail(CLCNN_STATUS_IO_ERROR, "cannot write a temp file: %s", strerror(errno));
        *fd = s == CLCNN_STATUS_OK ? dup(fileno(fp)) : -1;
        fclose(fp);
        if (s == CLCNN_STATUS_OK && *fd < 0)
            s = clcnn_fail(CLCNN_STATUS_IO_ERROR, "dup: %s", strerror(errno));
        return s;
    }
    char dir[4096], name[40];
    struct stat src;
    CLCNN_TRY(idx_cache_path(r->path, dir, sizeof dir, name, &src));
    CLCNN_TRY(clcnn_strfmt(path, sizeof path, "%s/%s", dir, name));
    /* Another run may remove the copy between the check and the open (pruning): made again. */
    for (int attempt = 0;; attempt++) {
        if (stat(path, &st) != 0 || (uint64_t)st.st_size != CLCNN_IDX_COPY_HEADER + r->data_bytes)
            CLCNN_TRY(idx_write_copy(r, &src, path));
        *fd = open(path, O_RDONLY | O_CLOEXEC);
        if (*fd >= 0 || errno != ENOENT || attempt) break;
    }
    if (*fd < 0)
        return clcnn_fail(CLCNN_STATUS_IO_ERROR, "cannot open '%s': %s", path, strerror(errno));
    *offset = CLCNN_IDX_COPY_HEADER;
    utimensat(AT_FDCWD, path, NULL, 0); /* used now: the last to be pruned */
    clcnn_status s = clcnn_idx_cache_prune(dir, name);
    if (s != CLCNN_STATUS_OK) close(*fd);
    return s;
}

/* The labels file as clcnn_idx_read_labels reads it, for n images. */
static clcnn_status idx_list_labels(const char *path, int n, int n_classes, uint8_t **out) {
    clcnn_dataset ds = {.n = n};
    CLCNN_TRY(clcnn_idx_read_labels(path, n_classes, &ds));
    *out = ds.labels;
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_idx_list_open(const char *images, const char *labels, int n_classes, long limit,
                                 clcnn_image_list *out) {
    *out = (clcnn_image_list){0};
    idx_reader r;
    CLCNN_TRY(idx_open(&r, images));
    int fd = -1;
    int64_t offset = (int64_t)r.header_bytes;
    clcnn_status st = idx_read_header(&r, 3, 4, "an images");
    if (st == CLCNN_STATUS_OK) {
        offset = (int64_t)r.header_bytes;
        st = gzdirect(r.gz) ? idx_raw_file(&r, &fd) : idx_inflated_file(&r, &fd, &offset);
    }
    idx_close(&r);
    if (st != CLCNN_STATUS_OK) return st;
    int n = (int)r.dims[0], c = r.ndim == 4 ? (int)r.dims[3] : 1;
    *out = (clcnn_image_list){.n = n,
                              .c = c,
                              .h = (int)r.dims[1],
                              .w = (int)r.dims[2],
                              .source = strdup(images),
                              .fd = fd,
                              .nhwc = c > 1,
                              .offset = offset};
    if (!out->source) st = clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
    if (st == CLCNN_STATUS_OK) st = idx_list_labels(labels, n, n_classes, &out->labels);
    if (st != CLCNN_STATUS_OK) {
        if (!out->source) close(fd);
        clcnn_image_list_free(out);
        return st;
    }
    if (limit > 0 && limit < out->n) out->n = (int)limit;
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_idx_list_read(const clcnn_image_list *l, uint32_t i, uint8_t *dst,
                                 uint8_t *scratch) {
    size_t ex = (size_t)l->c * l->h * l->w, got = 0;
    uint8_t *buf = l->nhwc ? scratch : dst;
    if (!buf)
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT,
                          "'%s' stores (h, w, c) examples: reading one needs a scratch buffer",
                          l->source);
    off_t at = (off_t)(l->offset + (int64_t)i * (int64_t)ex);
    ssize_t k = 0;
    while (got < ex && ((k = pread(l->fd, buf + got, ex - got, at + (off_t)got)) > 0 ||
                        (k < 0 && errno == EINTR)))
        got += k > 0 ? (size_t)k : 0;
    clcnn_status st = CLCNN_STATUS_OK;
    if (k < 0)
        st = clcnn_fail(CLCNN_STATUS_IO_ERROR, "cannot read '%s' (example %u): %s", l->source, i,
                        strerror(errno));
    else if (got < ex)
        st = clcnn_fail(CLCNN_STATUS_PARSE_ERROR,
                        "'%s': truncated: example %u (bytes %lld to %lld of the data) is past the "
                        "end of the file, which changed since it was opened",
                        l->source, i, (long long)i * (long long)ex,
                        (long long)(i + 1) * (long long)ex);
    if (st == CLCNN_STATUS_OK && l->nhwc) hwc_to_chw(buf, dst, l->c, (size_t)l->h * l->w);
    return st;
}
