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
 * bytes (clcnn_image_load), with their labels. */
typedef struct clcnn_image_list {
    int n, c, h, w;
    char **paths;
    uint8_t *labels;
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
