/* core/core.h: internal helpers every part may use: errors, logging, seeded RNG, files written
 * atomically, CSV fields, hashing, paths, the enums' name tables (clcnn/enums.h). Knows libc only
 * (and xxHash for hashing). */
#ifndef CLCNN_CORE_H
#define CLCNN_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "clcnn/enums.h"
#include "clcnn/status.h"

/* Prepends context to the current last error ("loading model 'x': " + old message); returns
 * status unchanged. */
clcnn_status clcnn_fail_prefix(clcnn_status status, const char *fmt, ...) CLCNN_PRINTF(2, 3);

void clcnn_log(int level, const char *fmt, ...) CLCNN_PRINTF(2, 3);

/* ---- seeded RNG: xoshiro256** seeded through splitmix64; same seed, same stream everywhere --- */
typedef struct clcnn_rng {
    uint64_t s[4];
} clcnn_rng;

void clcnn_rng_seed(clcnn_rng *rng, uint64_t seed);
uint64_t clcnn_rng_u64(clcnn_rng *rng);
double clcnn_rng_uniform(clcnn_rng *rng);              /* [0, 1) with 53 bits */
double clcnn_rng_normal(clcnn_rng *rng);               /* standard normal (Box-Muller) */
uint64_t clcnn_rng_below(clcnn_rng *rng, uint64_t n);  /* uniform in [0, n), unbiased; n > 0 */
void clcnn_rng_shuffle_u32(clcnn_rng *rng, uint32_t *v, size_t n); /* Fisher-Yates */
uint64_t clcnn_splitmix64(uint64_t *state);

/* ---- files ------------------------------------------------------------------------------------ */

/* Reads a whole file into a malloc'ed buffer (NUL-terminated for convenience; *len excludes it).
 * The caller frees *data. */
clcnn_status clcnn_read_file(const char *path, char **data, size_t *len);
/* The same, refusing a file over max bytes (checked while reading, so a huge file costs max). */
clcnn_status clcnn_read_file_max(const char *path, size_t max, char **data, size_t *len);

/* Writes data to path atomically: a temp file in the same folder, fsync, rename. A reader sees
 * the old file or the new one, never a part. */
clcnn_status clcnn_write_file_atomic(const char *path, const void *data, size_t len);

/* Streaming form: open a temp file beside path, write to af->fp, then commit (fsync + rename) or
 * abort (unlink). Exactly one of commit/abort must be called after a successful open. */
typedef struct clcnn_atomic_file {
    FILE *fp;
    char path[4096];
    char tmp_path[4096];
} clcnn_atomic_file;
clcnn_status clcnn_atomic_open(clcnn_atomic_file *af, const char *path);
clcnn_status clcnn_atomic_commit(clcnn_atomic_file *af);
void clcnn_atomic_abort(clcnn_atomic_file *af);

/* mkdir -p; existing folders are fine. */
clcnn_status clcnn_mkdir_p(const char *path);
int clcnn_file_exists(const char *path);

/* The cache folder: $CLCNN_CACHE_DIR, else $XDG_CACHE_HOME/clcnn, else $HOME/.cache/clcnn.
 * Writes into buf (size n); created on demand by callers. */
clcnn_status clcnn_cache_dir(char *buf, size_t n);

/* A growable byte buffer: append copies n bytes at the end; when an allocation fails, failed is
 * set and later appends do nothing (check it once at the end). free(data) when done. */
typedef struct clcnn_bytes {
    unsigned char *data;
    size_t len, cap;
    int failed;
} clcnn_bytes;
void clcnn_bytes_append(clcnn_bytes *b, const void *data, size_t n);

/* Writes s as one CSV field (RFC 4180): as it is, or in double quotes with each quote doubled
 * when it holds a comma, a quote, a CR or an LF. */
void clcnn_csv_field(FILE *fp, const char *s);

/* ---- hashing (xxHash XXH3-128): a 32-hex-digit key for caches ------------------------------- */
typedef struct clcnn_hasher clcnn_hasher;
clcnn_hasher *clcnn_hasher_create(void);
void clcnn_hasher_update(clcnn_hasher *h, const void *data, size_t len);
void clcnn_hasher_update_str(clcnn_hasher *h, const char *s); /* includes a terminator byte */
void clcnn_hasher_hex(clcnn_hasher *h, char out[33]);
void clcnn_hasher_destroy(clcnn_hasher *h);

/* ---- cache entries (cache_entry.c) ------------------------------------------------------------
 * A cache file with a header line naming its key, length and checksum, written atomically. */
clcnn_status clcnn_cache_entry_write(const char *path, const char *key, const void *data,
                                     size_t len);
/* 1 if text (n bytes) is a whole entry for key, with the payload at *offset, *len bytes long;
 * 0 for anything else (torn, foreign, damaged). key has no spaces or newlines. */
int clcnn_cache_entry_parse(const char *text, size_t n, const char *key, size_t *offset,
                            size_t *len);
/* 1 with the payload (malloc'ed, NUL-terminated) if path holds a whole entry for key; 0 if it is
 * missing, torn, foreign or damaged: the caller rebuilds. */
int clcnn_cache_entry_read(const char *path, const char *key, char **data, size_t *len);

/* ---- checked numbers from files (number.c) ---------------------------------------------------
 * Every number a reader takes from a file into an integer, an index or a count goes through one
 * of these. On failure the last error names the file and the field ("'oracle.json': trials[3].id
 * is nan; expected a whole number from 0 to 9999") and *out is left alone. */

/* v must be finite, whole and in [lo, hi]. */
clcnn_status clcnn_checked_int(double v, int64_t lo, int64_t hi, const char *file,
                               const char *field, int64_t *out);
clcnn_status clcnn_checked_int32(double v, int lo, int hi, const char *file, const char *field,
                                 int *out);
/* text must be a decimal integer in [lo, hi], nothing else but surrounding spaces; empty is an
 * error. */
clcnn_status clcnn_parse_int(const char *text, int64_t lo, int64_t hi, const char *file,
                             const char *field, int64_t *out);
/* text must be a decimal number, finite unless CLCNN_REAL_NONFINITE ("nan", "inf": a metric
 * may be one); an empty field is NAN with CLCNN_REAL_EMPTY_IS_NAN, else an error. */
enum { CLCNN_REAL_EMPTY_IS_NAN = 1, CLCNN_REAL_NONFINITE = 2 };
clcnn_status clcnn_parse_real(const char *text, int flags, const char *file, const char *field,
                              double *out);

/* ---- name tables: one per enumeration (core/enums.c) ----------------------------------------- */

/* A name and the value it stands for. */
typedef struct clcnn_name {
    const char *name;
    int value;
} clcnn_name;

/* The names of one enum's values, a row each, in the order messages list them. */
typedef struct clcnn_name_table {
    const char *what; /* what a name names, for messages: "optimizer" */
    const clcnn_name *rows;
    int count;
} clcnn_name_table;

/* Defines the table `var` over `rows` (an array of clcnn_name), which must name each of the
 * enum's count values; its length is checked when compiled. */
#define CLCNN_NAME_TABLE(var, what, count, rows)                                                   \
    _Static_assert(sizeof(rows) / sizeof((rows)[0]) == (count), "one name per value of " what);   \
    const clcnn_name_table var = {what, rows, (int)(count)}

/* The tables: clcnn/enums.h's (core/enums.c), and those kept beside their enums. */
extern const clcnn_name_table clcnn_activation_names, clcnn_padding_names, clcnn_loss_names,
    clcnn_optimizer_names, clcnn_route_names, clcnn_data_format_names, clcnn_fill_mode_names,
    clcnn_interpolation_names, clcnn_lr_schedule_names, clcnn_data_streaming_names;
extern const clcnn_name_table clcnn_metric_names;            /* config/spec.c */
extern const clcnn_name_table clcnn_hp_type_names;           /* tune/hparam.c */
extern const clcnn_name_table clcnn_oracle_algorithm_names;  /* tune/oracle.c */
/* clcnn/enums.h's, NULL-terminated. */
extern const clcnn_name_table *const clcnn_name_tables[];
/* The values kernels read, as "#define ACT_RELU 1\n" lines (ACT_*, FILL_*, INTERPOLATION_*) for
 * cl/program.c to put before every kernel source: the kernels never spell a value themselves. */
clcnn_status clcnn_kernel_defines(char *buf, size_t n);

/* The name of value; NULL if none. */
const char *clcnn_name_of(const clcnn_name_table *table, int value);
/* Whether name is in the table; if so *value is its value. */
int clcnn_name_lookup(const clcnn_name_table *table, const char *name, int *value);
/* The value that name names; -1 if none (or name is NULL). For an enum's table (values >= 0). */
int clcnn_name_find(const clcnn_name_table *table, const char *name);
/* As clcnn_name_lookup, but an unknown name fails with CLCNN_STATUS_INVALID_ARGUMENT and
 * "unknown optimizer 'adamw' (expected one of adam, sgd, rmsprop)"; *value is then unchanged. */
clcnn_status clcnn_name_parse(const clcnn_name_table *table, const char *name, int *value);
/* The names joined by ", " into buf (size n; cut short if it must be). */
void clcnn_name_list(const clcnn_name_table *table, char *buf, size_t n);

/* ---- small string helpers --------------------------------------------------------------------- */
/* snprintf into a fixed buffer; returns INVALID_ARGUMENT (with a message) if it would truncate. */
clcnn_status clcnn_strfmt(char *buf, size_t n, const char *fmt, ...) CLCNN_PRINTF(3, 4);
/* Seconds from a monotonic clock. */
double clcnn_now(void);

#endif
