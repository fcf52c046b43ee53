/* clcnn/export.h: CLCNN_API, the mark on every public declaration.
 *
 * The library is compiled with -fvisibility=hidden, so only what carries CLCNN_API is exported
 * from libclcnn.so: the clcnn_* functions of these headers, never the engine's internals. For a
 * program using the headers the mark changes nothing (it is the default visibility). */
#ifndef CLCNN_EXPORT_H
#define CLCNN_EXPORT_H

#if defined(__GNUC__) || defined(__clang__)
#define CLCNN_API __attribute__((visibility("default")))
#else
#define CLCNN_API
#endif

#endif
