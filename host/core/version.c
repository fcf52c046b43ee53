/* The library's version at run time (clcnn/version.h). */
#include "clcnn/version.h"

const char *clcnn_version(void) { return CLCNN_VERSION; }
