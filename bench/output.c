/* bench/output.c: the report as a table for people, CSV (the header docs/architecture.md fixes)
 * or JSON. Only the document goes to the stream given (stdout); progress and errors go to
 * stderr. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "clcnn/version.h"
#include "core/core.h"

static const char *const width_names[] = {"float", "float4", "float8", "float16"};

clcnn_status bench_report_add(bench_report *r, const bench_row *row) {
    if (r->n_rows == r->cap_rows) {
        int cap = r->cap_rows ? 2 * r->cap_rows : 64;
        bench_row *v = realloc(r->rows, (size_t)cap * sizeof *v);
        if (!v) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
        r->rows = v;
        r->cap_rows = cap;
    }
    r->rows[r->n_rows++] = *row;
    return CLCNN_STATUS_OK;
}

void bench_report_free(bench_report *r) {
    free(r->rows);
    memset(r, 0, sizeof *r);
}

void bench_row_finish(bench_row *row, const bench_peak *peak, int has_peak) {
    double s = row->ms * 1e-3;
    row->gflops = s > 0 ? row->flops / s * 1e-9 : 0;
    row->gbps = s > 0 ? row->bytes / s * 1e-9 : 0;
    row->pct_peak = has_peak && peak->gflops > 0 ? 100.0 * row->gflops / peak->gflops : 0;
}

/* The device's name, made unique with its index when two devices share a name. */
const char *bench_device_label(const bench_report *r, int device_index) {
    static char label[300];
    const clcnn_device_info *me = NULL;
    int same = 0;
    for (int i = 0; i < r->n_devices; i++)
        if (r->devices[i].info.index == device_index) me = &r->devices[i].info;
    if (!me) return "?";
    for (int i = 0; i < r->n_devices; i++) same += strcmp(r->devices[i].info.name, me->name) == 0;
    if (same > 1) snprintf(label, sizeof label, "%s #%d", me->name, device_index);
    else snprintf(label, sizeof label, "%s", me->name);
    return label;
}

static void write_csv(FILE *fp, const bench_report *r) {
    fprintf(fp, "device,kernel,route,shape,batch,ms,gflops,gbps,pct_peak\n");
    for (int i = 0; i < r->n_rows; i++) {
        const bench_row *w = &r->rows[i];
        clcnn_csv_field(fp, bench_device_label(r, w->device_index));
        fputc(',', fp);
        clcnn_csv_field(fp, w->kernel);
        fprintf(fp, ",%s,", w->route);
        clcnn_csv_field(fp, w->shape);
        fprintf(fp, ",%d,%.4f,%.3f,%.3f,%.2f\n", w->batch, w->ms, w->gflops, w->gbps, w->pct_peak);
    }
}

static cJSON *peak_json(const bench_device_result *d) {
    cJSON *p = cJSON_CreateObject();
    cJSON_AddNumberToObject(p, "gflops", d->peak.gflops);
    cJSON *w = cJSON_AddObjectToObject(p, "gflops_by_width");
    for (int i = 0; i < 4; i++) cJSON_AddNumberToObject(w, width_names[i], d->peak.gflops_width[i]);
    cJSON_AddNumberToObject(p, "gbps", d->peak.gbps);
    cJSON_AddNumberToObject(p, "gbps_read", d->peak.gbps_read);
    cJSON_AddNumberToObject(p, "gbps_copy", d->peak.gbps_copy);
    cJSON_AddNumberToObject(p, "gflops_this_run", d->peak.gflops_now);
    cJSON_AddNumberToObject(p, "gbps_this_run", d->peak.gbps_now);
    return p;
}

static cJSON *devices_json(const bench_report *r) {
    cJSON *devs = cJSON_CreateArray();
    for (int i = 0; i < r->n_devices; i++) {
        const bench_device_result *d = &r->devices[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "index", d->info.index);
        cJSON_AddStringToObject(o, "name", bench_device_label(r, d->info.index));
        cJSON_AddStringToObject(o, "platform", d->info.platform);
        cJSON_AddStringToObject(o, "type", d->info.type);
        cJSON_AddStringToObject(o, "driver", d->info.driver);
        cJSON_AddNumberToObject(o, "compute_units", d->info.compute_units);
        if (d->has_peak) cJSON_AddItemToObject(o, "peak", peak_json(d));
        cJSON_AddItemToArray(devs, o);
    }
    return devs;
}

static cJSON *row_json(const bench_report *r, const bench_row *w) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "device", bench_device_label(r, w->device_index));
    cJSON_AddStringToObject(o, "kernel", w->kernel);
    cJSON_AddStringToObject(o, "route", w->route);
    cJSON_AddStringToObject(o, "shape", w->shape);
    cJSON_AddNumberToObject(o, "batch", w->batch);
    cJSON_AddNumberToObject(o, "ms", w->ms);
    cJSON_AddNumberToObject(o, "ms_min", w->ms_min);
    cJSON_AddNumberToObject(o, "ms_max", w->ms_max);
    cJSON_AddNumberToObject(o, "event_ms", w->event_ms);
    cJSON_AddNumberToObject(o, "cpu_ms", w->cpu_ms);
    cJSON_AddNumberToObject(o, "runs", w->runs);
    cJSON_AddNumberToObject(o, "gflops", w->gflops);
    cJSON_AddNumberToObject(o, "gbps", w->gbps);
    cJSON_AddNumberToObject(o, "pct_peak", w->pct_peak);
    return o;
}

static void write_json(FILE *fp, const bench_report *r, int rows) {
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "clcnn_version", CLCNN_VERSION);
    cJSON_AddItemToObject(doc, "devices", devices_json(r));
    if (rows) {
        cJSON *arr = cJSON_AddArrayToObject(doc, "results");
        for (int i = 0; i < r->n_rows; i++) cJSON_AddItemToArray(arr, row_json(r, &r->rows[i]));
    }
    char *text = cJSON_Print(doc);
    if (text) fprintf(fp, "%s\n", text);
    free(text);
    cJSON_Delete(doc);
}

static void table_peaks(FILE *fp, const bench_report *r) {
    for (int i = 0; i < r->n_devices; i++) {
        const bench_device_result *d = &r->devices[i];
        fprintf(fp, "device %d: %s (%s, %s)\n", d->info.index, d->info.name, d->info.type,
                d->info.platform);
        if (!d->has_peak) continue;
        fprintf(fp, "  peak fp32 FMA %.1f GFLOP/s (this run: ", d->peak.gflops);
        for (int w = 0; w < 4; w++)
            fprintf(fp, "%s%s %.1f", w ? ", " : "", width_names[w], d->peak.gflops_width[w]);
        fprintf(fp, "); memory %.1f GB/s (this run: read %.1f, copy %.1f)\n", d->peak.gbps,
                d->peak.gbps_read, d->peak.gbps_copy);
    }
}

static void table_one_device(FILE *fp, const bench_report *r) {
    fprintf(fp, "\n%-34s %-7s %-30s %11s %21s %9s %8s %6s %9s\n", "kernel", "route", "shape", "ms",
            "(min-max)", "GFLOP/s", "GB/s", "%peak", "cpu ms");
    for (int i = 0; i < r->n_rows; i++) {
        const bench_row *w = &r->rows[i];
        char spread[40];
        snprintf(spread, sizeof spread, "(%.3f-%.3f)", w->ms_min, w->ms_max);
        fprintf(fp, "%-34s %-7s %-30s %11.3f %21s %9.2f %8.2f %6.1f %9.3f\n", w->kernel, w->route,
                w->shape, w->ms, spread, w->gflops, w->gbps, w->pct_peak, w->cpu_ms);
    }
}

/* The row of the same kernel, route and shape on another device, or NULL. */
static const bench_row *find_row(const bench_report *r, const bench_row *like, int device_index) {
    for (int i = 0; i < r->n_rows; i++) {
        const bench_row *w = &r->rows[i];
        if (w->device_index == device_index && strcmp(w->kernel, like->kernel) == 0 &&
            strcmp(w->route, like->route) == 0 && strcmp(w->shape, like->shape) == 0)
            return w;
    }
    return NULL;
}

/* One line per kernel, route and shape; per device "GFLOP/s (% of its peak)". */
static void table_compare(FILE *fp, const bench_report *r) {
    int first = r->devices[0].info.index;
    fprintf(fp, "\n%-34s %-7s %-30s", "kernel", "route", "shape");
    for (int d = 0; d < r->n_devices; d++) fprintf(fp, " %18s", "GFLOP/s (%peak)");
    fprintf(fp, "\n%-34s %-7s %-30s", "", "", "");
    for (int d = 0; d < r->n_devices; d++) fprintf(fp, "          device %2d", r->devices[d].info.index);
    fputc('\n', fp);
    for (int i = 0; i < r->n_rows; i++) {
        const bench_row *w = &r->rows[i];
        if (w->device_index != first) continue;
        fprintf(fp, "%-34s %-7s %-30s", w->kernel, w->route, w->shape);
        for (int d = 0; d < r->n_devices; d++) {
            const bench_row *x = find_row(r, w, r->devices[d].info.index);
            char cell[40] = "-";
            if (x) snprintf(cell, sizeof cell, "%.2f (%.1f%%)", x->gflops, x->pct_peak);
            fprintf(fp, " %18s", cell);
        }
        fputc('\n', fp);
    }
}

void bench_write(FILE *fp, const bench_report *r, bench_format format) {
    if (format == BENCH_CSV) {
        write_csv(fp, r);
    } else if (format == BENCH_JSON) {
        write_json(fp, r, 1);
    } else {
        table_peaks(fp, r);
        if (r->n_devices > 1) table_compare(fp, r);
        else table_one_device(fp, r);
    }
}

static void peak_csv(FILE *fp, const bench_report *r) {
    fprintf(fp, "device,metric,value,unit\n");
    for (int i = 0; i < r->n_devices; i++) {
        const bench_device_result *d = &r->devices[i];
        const char *name = bench_device_label(r, d->info.index);
        for (int w = 0; w < 4; w++) {
            clcnn_csv_field(fp, name);
            fprintf(fp, ",fma_%s,%.3f,GFLOP/s\n", width_names[w], d->peak.gflops_width[w]);
        }
        clcnn_csv_field(fp, name);
        fprintf(fp, ",fma_this_run,%.3f,GFLOP/s\n", d->peak.gflops_now);
        clcnn_csv_field(fp, name);
        fprintf(fp, ",fma_peak,%.3f,GFLOP/s\n", d->peak.gflops);
        clcnn_csv_field(fp, name);
        fprintf(fp, ",read,%.3f,GB/s\n", d->peak.gbps_read);
        clcnn_csv_field(fp, name);
        fprintf(fp, ",copy,%.3f,GB/s\n", d->peak.gbps_copy);
        clcnn_csv_field(fp, name);
        fprintf(fp, ",bandwidth_this_run,%.3f,GB/s\n", d->peak.gbps_now);
        clcnn_csv_field(fp, name);
        fprintf(fp, ",bandwidth_peak,%.3f,GB/s\n", d->peak.gbps);
    }
}

void bench_write_peak(FILE *fp, const bench_report *r, bench_format format) {
    if (format == BENCH_CSV) peak_csv(fp, r);
    else if (format == BENCH_JSON) write_json(fp, r, 0);
    else table_peaks(fp, r);
}
