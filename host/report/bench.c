/* report/bench.c: a clcnn-bench result's data, from its CSV (the header DESIGN.md fixes:
 * device,kernel,route,shape,batch,ms,gflops,gbps,pct_peak) or its JSON (--format json, which also
 * carries each device's measured peak; from CSV the peak is gflops / pct_peak). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report_internal.h"

static const char *const columns[] = {"device", "kernel", "route", "shape", "batch",
                                      "ms",     "gflops", "gbps",  "pct_peak"};
#define N_COLUMNS 9
#define FIRST_NUMBER 4 /* batch and after */

/* The device's entry in data.devices, made on first sight. */
static cJSON *device_entry(cJSON *devices, const char *name) {
    cJSON *d;
    cJSON_ArrayForEach(d, devices) {
        if (strcmp(cJSON_GetObjectItemCaseSensitive(d, "name")->valuestring, name) == 0) return d;
    }
    d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "name", name);
    cJSON_AddNullToObject(d, "peak_gflops");
    cJSON_AddItemToArray(devices, d);
    return d;
}

static void set_peak(cJSON *dev, double peak) {
    if (isfinite(peak) && peak > 0)
        cJSON_ReplaceItemInObjectCaseSensitive(dev, "peak_gflops", cJSON_CreateNumber(peak));
}

static clcnn_status check_header(const char *path, const cJSON *header) {
    int ok = cJSON_GetArraySize(header) == N_COLUMNS;
    for (int i = 0; ok && i < N_COLUMNS; i++)
        ok = strcmp(cJSON_GetArrayItem(header, i)->valuestring, columns[i]) == 0;
    if (!ok)
        return clcnn_fail(CLCNN_STATUS_PARSE_ERROR,
                          "%s:1: not a clcnn-bench CSV (the header must be "
                          "device,kernel,route,shape,batch,ms,gflops,gbps,pct_peak)",
                          path);
    return CLCNN_STATUS_OK;
}

static clcnn_status csv_row(const char *path, int line, const cJSON *fields, cJSON *rows,
                            cJSON *devices) {
    cJSON *row = cJSON_CreateObject();
    cJSON_AddItemToArray(rows, row);
    for (int i = 0; i < N_COLUMNS; i++) {
        const char *text = cJSON_GetArrayItem(fields, i)->valuestring;
        double v;
        if (i < FIRST_NUMBER) {
            cJSON_AddStringToObject(row, columns[i], text);
        } else if (report_parse_number(text, &v)) {
            cJSON_AddNumberToObject(row, columns[i], v);
        } else {
            return clcnn_fail(CLCNN_STATUS_PARSE_ERROR, "%s:%d: %s is '%s', not a number", path,
                              line, columns[i], text);
        }
    }
    double gflops = cJSON_GetObjectItemCaseSensitive(row, "gflops")->valuedouble;
    double pct = cJSON_GetObjectItemCaseSensitive(row, "pct_peak")->valuedouble;
    cJSON *dev = device_entry(devices, cJSON_GetArrayItem(fields, 0)->valuestring);
    const cJSON *known = cJSON_GetObjectItemCaseSensitive(dev, "peak_gflops");
    /* The row with the highest share has the most digits of the peak. */
    if (pct > 0 && (!cJSON_IsNumber(known) || pct > cJSON_GetObjectItemCaseSensitive(dev, "peak_pct_row")->valuedouble)) {
        set_peak(dev, gflops * 100.0 / pct);
        cJSON_DeleteItemFromObjectCaseSensitive(dev, "peak_pct_row");
        cJSON_AddNumberToObject(dev, "peak_pct_row", pct);
    }
    return CLCNN_STATUS_OK;
}

static clcnn_status read_csv(const char *path, cJSON *rows, cJSON *devices) {
    cJSON *all;
    CLCNN_TRY(report_csv_read(path, &all));
    clcnn_status s = check_header(path, cJSON_GetArrayItem(all, 0));
    int line = 1;
    const cJSON *fields;
    cJSON_ArrayForEach(fields, all) {
        if (s != CLCNN_STATUS_OK) break;
        if (line++ == 1) continue;
        s = csv_row(path, line - 1, fields, rows, devices);
    }
    if (s == CLCNN_STATUS_OK && cJSON_GetArraySize(rows) == 0)
        s = clcnn_fail(CLCNN_STATUS_PARSE_ERROR, "'%s' has a header but no result", path);
    cJSON_Delete(all);
    return s;
}

/* ---- JSON ---------------------------------------------------------------------------------- */

static clcnn_status json_row(const char *path, int i, const cJSON *r, cJSON *rows, cJSON *devices) {
    cJSON *row = cJSON_CreateObject();
    cJSON_AddItemToArray(rows, row);
    for (int k = 0; k < N_COLUMNS; k++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(r, columns[k]);
        int want_string = k < FIRST_NUMBER && k != 4;
        if (k == 4 ? !cJSON_IsNumber(v) : want_string ? !cJSON_IsString(v) : !cJSON_IsNumber(v))
            return clcnn_fail(CLCNN_STATUS_PARSE_ERROR, "'%s': results[%d] has no %s %s", path, i,
                              want_string ? "string" : "number", columns[k]);
        cJSON_AddItemToObject(row, columns[k], cJSON_Duplicate(v, 0));
    }
    device_entry(devices, cJSON_GetObjectItemCaseSensitive(r, "device")->valuestring);
    return CLCNN_STATUS_OK;
}

static clcnn_status json_devices(const cJSON *root, cJSON *devices) {
    const cJSON *d;
    cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(root, "devices")) {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(d, "name");
        const cJSON *peak = cJSON_GetObjectItemCaseSensitive(d, "peak");
        if (!cJSON_IsString(name)) continue;
        cJSON *dev = device_entry(devices, name->valuestring);
        const cJSON *g = cJSON_GetObjectItemCaseSensitive(peak, "gflops");
        if (cJSON_IsNumber(g)) set_peak(dev, g->valuedouble);
    }
    return CLCNN_STATUS_OK;
}

static clcnn_status read_json(const char *path, const char *text, size_t len, cJSON *rows,
                              cJSON *devices) {
    cJSON *root = cJSON_ParseWithLength(text, len);
    const cJSON *results = cJSON_GetObjectItemCaseSensitive(root, "results");
    if (!root || !cJSON_IsArray(results) || cJSON_GetArraySize(results) == 0) {
        cJSON_Delete(root);
        return clcnn_fail(CLCNN_STATUS_PARSE_ERROR,
                          "'%s' is not a clcnn-bench --format json result (no results array)", path);
    }
    clcnn_status s = json_devices(root, devices);
    int i = 0;
    const cJSON *r;
    cJSON_ArrayForEach(r, results) {
        if (s != CLCNN_STATUS_OK) break;
        s = json_row(path, i++, r, rows, devices);
    }
    cJSON_Delete(root);
    return s;
}

clcnn_status report_bench_data(const char *file, cJSON *data) {
    char *text;
    size_t len;
    CLCNN_TRY(clcnn_read_file(file, &text, &len));
    size_t lead = strspn(text, " \t\r\n");
    cJSON *rows = cJSON_AddArrayToObject(data, "results");
    cJSON *devices = cJSON_AddArrayToObject(data, "devices");
    clcnn_status s = text[lead] == '{' ? read_json(file, text, len, rows, devices)
                                       : read_csv(file, rows, devices);
    free(text);
    cJSON *d;
    cJSON_ArrayForEach(d, devices) cJSON_DeleteItemFromObjectCaseSensitive(d, "peak_pct_row");
    return s;
}
