/* core/csv.c: CSV output shared by the files other programs read (the tuner's summary.csv, the
 * benchmark's reports). */
#include <string.h>

#include "core.h"

void clcnn_csv_field(FILE *fp, const char *s) {
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, fp);
        return;
    }
    fputc('"', fp);
    for (; *s; s++) {
        if (*s == '"') fputc('"', fp);
        fputc(*s, fp);
    }
    fputc('"', fp);
}
