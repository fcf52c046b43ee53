/* cli/main.c: the clcnn command-line tool. Uses only the public headers. */
#include <stdio.h>

#include "clcnn/status.h"

int main(void) {
    printf("clcnn %s\n", CLCNN_VERSION);
    return 0;
}
