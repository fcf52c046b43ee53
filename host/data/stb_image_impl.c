/* data/stb_image_impl.c: stb_image's implementation, compiled here rather than linked from
 * Debian's libstb0 so that only the decoders clcnn accepts exist in the program (see image.c):
 * TGA, HDR, PSD, PIC and GIF cannot be reached by any file. Third-party code: its warnings are
 * not ours to fix. */
#define STB_IMAGE_IMPLEMENTATION
#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#pragma GCC diagnostic ignored "-Wunused-but-set-variable"
#endif
#include "data/stb_image_impl.h"
