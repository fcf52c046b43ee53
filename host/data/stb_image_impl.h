/* data/stb_image_impl.h: stb_image as clcnn builds it (stb_image_impl.c): the Debian libstb-dev
 * header's code with the PNG, JPEG, BMP and binary PNM decoders only, from memory only, sides up
 * to 32768. Include this, never <stb/stb_image.h>, so every user sees the same configuration. */
#ifndef CLCNN_STB_IMAGE_IMPL_H
#define CLCNN_STB_IMAGE_IMPL_H

#define STBI_NO_STDIO
#define STBI_NO_LINEAR
#define STBI_NO_HDR
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_ONLY_BMP
#define STBI_ONLY_PNM
#define STBI_MAX_DIMENSIONS (1 << 15)
#include <stb/stb_image.h>

#endif
