/* data/stream.h: image-folder datasets as lists of files (folder.c), and the pool of decoding
 * threads that turns a list into batches in a bounded window of host buffers (stream.c): the
 * in-memory path decodes a whole list with it, the streaming path one pass at a time, keeping
 * as many decoded examples as a cache size allows. Internal. */
#ifndef CLCNN_DATA_STREAM_H
#define CLCNN_DATA_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "clcnn/data.h"
#include "clcnn/spec.h"

/* n image files in their fixed order (folder.c's seed-0 shuffle), each decoded to c x h x w
 * bytes (clcnn_image_load), with their labels. Or, with source set and paths NULL, the examples
 * of an IDX file in its order (idx.c): example i is the c x h x w bytes at offset + i x c x h x w
 * of the open file fd (the IDX file itself, or the decompressed copy of a gzip one), stored as
 * (h, w, c) when nhwc; source names the IDX file in messages. */
typedef struct clcnn_image_list {
    int n, c, h, w;
    char **paths;
    uint8_t *labels;
    char *source;
    int fd, nhwc;
    int64_t offset;
} clcnn_image_list;

void clcnn_image_list_free(clcnn_image_list *l);

/* The training and test lists of an image_folder spec: the folder checks, order and limits of
 * clcnn_data_load_for, nothing decoded. Either list may be NULL. */
clcnn_status clcnn_image_lists_for(const clcnn_spec *spec, clcnn_image_list *train,
                                   clcnn_image_list *test, clcnn_data_spec *resolved);

/* Moves the examples from `keep` on into *tail (validation_split's tail). */
clcnn_status clcnn_image_list_split(clcnn_image_list *l, int keep, clcnn_image_list *tail);

/* Decodes a whole list into a dataset with `threads` threads (0: one per CPU). */
clcnn_status clcnn_image_list_decode(const clcnn_image_list *l, int threads, clcnn_dataset *out);

/* The examples and labels of an IDX pair as a list read at random (idx.c): a raw images file is
 * read in place, a gzip one is decompressed once into CLCNN_CACHE_DIR/idx (written atomically,
 * kept for the next run within a bounded size, clcnn_idx_cache_prune; a private temp file under
 * CLCNN_NO_CACHE=1). The header, the file size
 * and every label are checked here; limit > 0 keeps the first examples. */
clcnn_status clcnn_idx_list_open(const char *images, const char *labels, int n_classes, long limit,
                                 clcnn_image_list *out);

/* The decompressed copies of gzip IDX files in CLCNN_CACHE_DIR/idx (idx_cache.c): each starts
 * with a header of CLCNN_IDX_COPY_HEADER bytes naming its source file and that file's identity
 * (st: size, modification time, inode, device), then the data. */
#define CLCNN_IDX_COPY_HEADER 4096
struct stat;
void clcnn_idx_copy_header(const char *source, const struct stat *st,
                           char header[CLCNN_IDX_COPY_HEADER]);

/* Removes from dir the copies whose source is gone or changed, unfinished copies no run has
 * written to for an hour, and then the least recently used copies while all of them together
 * exceed CLCNN_IDX_CACHE_MB (default 4096); the copy named keep (in use) always stays. Safe
 * while other runs use or prune the same folder. */
clcnn_status clcnn_idx_cache_prune(const char *dir, const char *keep);

/* What an IDX images file's header says (n, c, h, w), nothing more read. */
clcnn_status clcnn_idx_shape(const char *path, int shape[4]);

/* Example i of an IDX list into dst (c x h x w bytes); a file cut short since it was opened is an
 * error naming it. A list stored (h, w, c) (nhwc) is read into scratch (c x h x w bytes, the
 * caller's, reused from one example to the next) and reordered into dst; otherwise scratch may
 * be NULL. Safe from several threads at once, each with its own scratch. */
clcnn_status clcnn_idx_list_read(const clcnn_image_list *l, uint32_t i, uint8_t *dst,
                                 uint8_t *scratch);

/* The training and test sets of an IDX spec as lists (data.dir, the limits), and what their
 * headers say without opening them as lists: examples (limits applied) and bytes per example
 * (the labels are read and checked on the way). */
clcnn_status clcnn_idx_lists_for(const clcnn_data_spec *d, clcnn_image_list *train,
                                 clcnn_image_list *test);
clcnn_status clcnn_idx_size_for(const clcnn_data_spec *d, int train, int test, int *examples,
                                size_t *example_bytes);

/* The decoding threads a data.decode_threads value asks for (0: one per CPU, at most 8). */
int clcnn_decode_threads(int wanted);

typedef struct clcnn_stream clcnn_stream;

typedef struct clcnn_stream_options {
    int threads;        /* decoding threads, >= 1 */
    int batch;          /* examples per batch, >= 1 */
    int window;         /* batches decoded ahead of the consumer (buffers), >= 1 */
    size_t cache_bytes; /* decoded examples kept across passes (the list's first ones) */
} clcnn_stream_options;

/* One batch of a pass: positions [start, start+count), images count x c x h x w bytes. */
typedef struct clcnn_stream_batch {
    int start, count;
    const uint8_t *images, *labels;
} clcnn_stream_batch;

/* Starts the threads. buffers: `window` buffers of batch x example bytes the caller owns (pinned
 * memory), or NULL to allocate them. The list must outlive the stream. */
clcnn_status clcnn_stream_create(const clcnn_image_list *list, const clcnn_stream_options *o,
                                 uint8_t *const *buffers, clcnn_stream **out);

/* Starts a pass over examples order[0 .. n) (order NULL: 0 .. n-1), abandoning any pass under
 * way; the threads start decoding its first batches. */
clcnn_status clcnn_stream_begin(clcnn_stream *s, const uint32_t *order, int n);

/* Waits for the pass's next batch. A file that fails to decode is an error naming it, given
 * when its batch is reached (the same error whatever the thread count). */
clcnn_status clcnn_stream_next(clcnn_stream *s, clcnn_stream_batch *b);

/* The oldest batch given out is done with: its buffer is decoded into again. */
void clcnn_stream_release(clcnn_stream *s);

/* Examples decoded from files and taken from the cache since the stream was made. */
void clcnn_stream_counts(clcnn_stream *s, int64_t *decoded, int64_t *cached);

/* Stops the threads and frees what the stream owns; accepts NULL. */
void clcnn_stream_destroy(clcnn_stream *s);

#endif
