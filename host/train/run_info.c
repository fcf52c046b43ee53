/* train/run_info.c: run.json, what a training run knows that history.csv (Keras' columns) has no
 * place for: the device, each epoch's seconds, images per second and starting learning rate.
 * `clcnn report` reads it; --resume reads it back so a resumed run keeps the earlier epochs'. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "clcnn/version.h"

static void add_number(cJSON *o, const char *key, double v) {
    if (isfinite(v)) cJSON_AddNumberToObject(o, key, v);
    else cJSON_AddNullToObject(o, key);
}

/* A float's 7 significant digits, without the digits its widening to double makes up. */
static double significant(double v) {
    char text[32];
    snprintf(text, sizeof text, "%.7g", v);
    return strtod(text, NULL);
}

clcnn_status clcnn_run_info_write(const char *path, const clcnn_device_info *dev,
                                  const clcnn_epoch_metrics *h, const double *lr, int n) {
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "clcnn_version", CLCNN_VERSION);
    cJSON_AddStringToObject(root, "device", dev ? dev->name : "");
    cJSON_AddStringToObject(root, "platform", dev ? dev->platform : "");
    cJSON *epochs = cJSON_AddArrayToObject(root, "epochs");
    for (int i = 0; i < n; i++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "epoch", h[i].epoch);
        add_number(e, "seconds", round(h[i].seconds * 1000) / 1000);
        add_number(e, "images_per_second", round(h[i].images_per_second * 10) / 10);
        add_number(e, "learning_rate", significant(lr[i]));
        cJSON_AddItemToArray(epochs, e);
    }
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory writing '%s'", path);
    clcnn_status s = clcnn_write_file_atomic(path, text, strlen(text));
    cJSON_free(text);
    return s;
}

static double number_or_nan(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

clcnn_status clcnn_run_info_read(const char *path, clcnn_run_info *info) {
    char *text;
    size_t len;
    memset(info, 0, sizeof *info);
    CLCNN_TRY(clcnn_read_file(path, &text, &len));
    cJSON *root = cJSON_ParseWithLength(text, len);
    free(text);
    const cJSON *epochs = cJSON_GetObjectItemCaseSensitive(root, "epochs");
    if (!root || !cJSON_IsArray(epochs)) {
        cJSON_Delete(root);
        return clcnn_fail(CLCNN_STATUS_PARSE_ERROR, "'%s' is not a run.json (no epochs array)", path);
    }
    const cJSON *dev = cJSON_GetObjectItemCaseSensitive(root, "device");
    const cJSON *plat = cJSON_GetObjectItemCaseSensitive(root, "platform");
    if (cJSON_IsString(dev)) snprintf(info->device, sizeof info->device, "%s", dev->valuestring);
    if (cJSON_IsString(plat)) snprintf(info->platform, sizeof info->platform, "%s", plat->valuestring);
    const cJSON *e;
    cJSON_ArrayForEach(e, epochs) {
        if (info->n_epochs == CLCNN_MAX_EPOCHS) break;
        int i = info->n_epochs++;
        info->seconds[i] = number_or_nan(e, "seconds");
        info->images_per_second[i] = number_or_nan(e, "images_per_second");
        info->learning_rate[i] = number_or_nan(e, "learning_rate");
    }
    cJSON_Delete(root);
    return CLCNN_STATUS_OK;
}
