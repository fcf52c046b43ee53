/* core/names.c: the lookup behind every enumeration's *_parse(): each enumeration keeps one name
 * table of COUNT entries, size-checked where it is defined, and parses through this. */
#include <string.h>

#include "core.h"

int clcnn_name_index(const char *const *names, int count, const char *name) {
    int i = 0;
    while (name && i < count && strcmp(name, names[i]))
        i++;
    return name ? i : count;
}
