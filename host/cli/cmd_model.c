/* cli/cmd_model.c: `clcnn eval MODEL` and `clcnn predict MODEL INPUT...`: both open a model file,
 * whose metadata says how to rebuild it. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "clcnn/data.h"
#include "clcnn/files.h"

typedef struct opened_model {
    clcnn_spec spec;
    clcnn_context *ctx;
    clcnn_model *model;
} opened_model;

static clcnn_status open_model(const char *path, const cli_args *a, opened_model *om) {
    memset(om, 0, sizeof *om);
    CLCNN_TRY(clcnn_model_file_spec(path, &om->spec));
    CLCNN_TRY(cli_apply_sets(a, &om->spec, NULL));
    CLCNN_TRY(cli_open_device(a, &om->ctx));
    CLCNN_TRY(clcnn_model_create(om->ctx, &om->spec, om->spec.train.batch_size, &om->model));
    return clcnn_model_load_weights(om->model, path);
}

static void close_model(opened_model *om) {
    clcnn_model_destroy(om->model);
    clcnn_context_destroy(om->ctx);
}

/* A number as eval prints it: 6 decimals; NaN (a class with no examples) prints as null. */
static cJSON *json_number(double x) {
    return cJSON_CreateNumber(isnan(x) ? x : round(x * 1e6) / 1e6);
}

/* The results as JSON; class names come from the model file, so cJSON escapes them. */
static void print_json(const clcnn_eval_result *r, const clcnn_spec *spec) {
    cJSON *root = cJSON_CreateObject();
    cJSON_AddNumberToObject(root, "n", r->n);
    cJSON_AddItemToObject(root, "accuracy", json_number(r->accuracy));
    cJSON_AddItemToObject(root, "loss", json_number(r->loss));
    cJSON *classes = cJSON_AddArrayToObject(root, "classes");
    cJSON *per_class = cJSON_AddArrayToObject(root, "per_class_accuracy");
    cJSON *confusion = cJSON_AddArrayToObject(root, "confusion_matrix");
    for (int c = 0; c < r->classes; c++) {
        cJSON_AddItemToArray(classes, cJSON_CreateString(spec->data.classes[c]));
        cJSON_AddItemToArray(per_class, json_number(r->per_class_accuracy[c]));
        cJSON *row = cJSON_CreateArray();
        for (int j = 0; j < r->classes; j++)
            cJSON_AddItemToArray(row, cJSON_CreateNumber((double)r->confusion[c][j]));
        cJSON_AddItemToArray(confusion, row);
    }
    char *text = cJSON_PrintUnformatted(root);
    printf("%s\n", text ? text : "{}");
    free(text);
    cJSON_Delete(root);
}

static void print_table(const clcnn_eval_result *r, const clcnn_spec *spec) {
    printf("test examples: %d\nloss: %.4f\naccuracy: %.4f\n\nper-class accuracy:\n", r->n, r->loss, r->accuracy);
    for (int c = 0; c < r->classes; c++)
        printf("  %2d %-14s %.4f\n", c, spec->data.classes[c], r->per_class_accuracy[c]);
    printf("\nconfusion matrix (rows: true class, columns: predicted):\n    ");
    for (int j = 0; j < r->classes; j++) printf("%6d", j);
    printf("\n");
    for (int c = 0; c < r->classes; c++) {
        printf("  %2d", c);
        for (int j = 0; j < r->classes; j++) printf("%6lld", (long long)r->confusion[c][j]);
        printf("  %s\n", spec->data.classes[c]);
    }
}

int cmd_eval(int argc, char **argv) {
    cli_args a;
    if (cli_parse(argc, argv, 2, &a)) return 2;
    if (a.n_positional != 1) {
        fprintf(stderr, "usage: clcnn eval MODEL [--device D] [--set k=v]... [--json]\n");
        return 2;
    }
    opened_model *om = malloc(sizeof *om);
    clcnn_eval_result *r = malloc(sizeof *r);
    if (!om || !r) return cli_fail(CLCNN_STATUS_OUT_OF_MEMORY, "eval");
    clcnn_status s = open_model(a.positional[0], &a, om);
    if (s == CLCNN_STATUS_OK) s = clcnn_evaluate_test_set(om->model, r);
    int code = 0;
    if (s != CLCNN_STATUS_OK) code = cli_fail(s, a.positional[0]);
    else if (a.json) print_json(r, &om->spec);
    else print_table(r, &om->spec);
    close_model(om);
    free(om);
    free(r);
    return code;
}

/* ---- predict ------------------------------------------------------------------------------- */

static int is_idx(const char *path) {
    return strstr(path, "idx") != NULL || strstr(path, "ubyte") != NULL;
}

/* Every input as model-sized uint8 images, in order. */
static clcnn_status load_inputs(const cli_args *a, const clcnn_spec *spec, clcnn_dataset *all) {
    int c = spec->model.input_shape[2], h = spec->model.input_shape[0], w = spec->model.input_shape[1];
    size_t ex = (size_t)c * h * w;
    *all = (clcnn_dataset){0, c, h, w, NULL, NULL};
    for (int i = 1; i < a->n_positional; i++) {
        const char *path = a->positional[i];
        clcnn_dataset one = {0};
        if (is_idx(path)) {
            CLCNN_TRY(clcnn_idx_read_images(path, &one));
            if (one.c != c || one.h != h || one.w != w) {
                clcnn_dataset_free(&one);
                return clcnn_fail(CLCNN_STATUS_BAD_SHAPE, "'%s' holds %dx%dx%d images; the model wants %dx%dx%d",
                                  path, one.h, one.w, one.c, h, w, c);
            }
        } else {
            one = (clcnn_dataset){1, c, h, w, malloc(ex), NULL};
            if (!one.images) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
            clcnn_status s = clcnn_image_load(path, c, h, w, one.images);
            if (s != CLCNN_STATUS_OK) {
                clcnn_dataset_free(&one);
                return s;
            }
        }
        uint8_t *grown = realloc(all->images, (size_t)(all->n + one.n) * ex);
        if (!grown) {
            clcnn_dataset_free(&one);
            return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
        }
        all->images = grown;
        memcpy(all->images + (size_t)all->n * ex, one.images, (size_t)one.n * ex);
        all->n += one.n;
        clcnn_dataset_free(&one);
    }
    return CLCNN_STATUS_OK;
}

static clcnn_status write_probs(const char *path, const float *probs, int n, int k) {
    size_t cap = 64 + (size_t)k * 16 + (size_t)n * (24 + (size_t)k * 18), len = 0;
    char *text = malloc(cap);
    if (!text) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
    len += (size_t)snprintf(text + len, cap - len, "index,pred");
    for (int j = 0; j < k; j++) len += (size_t)snprintf(text + len, cap - len, ",p%d", j);
    len += (size_t)snprintf(text + len, cap - len, "\n");
    for (int i = 0; i < n; i++) {
        const float *p = probs + (size_t)i * k;
        int best = 0;
        for (int j = 1; j < k; j++)
            if (p[j] > p[best]) best = j;
        len += (size_t)snprintf(text + len, cap - len, "%d,%d", i, best);
        for (int j = 0; j < k; j++) len += (size_t)snprintf(text + len, cap - len, ",%.9g", p[j]);
        len += (size_t)snprintf(text + len, cap - len, "\n");
    }
    clcnn_status s = clcnn_file_write_atomic(path, text, len);
    free(text);
    return s;
}

int cmd_predict(int argc, char **argv) {
    cli_args a;
    if (cli_parse(argc, argv, 2, &a)) return 2;
    if (a.n_positional < 2) {
        fprintf(stderr, "usage: clcnn predict MODEL INPUT... [--probs FILE.csv] [--device D]\n");
        return 2;
    }
    opened_model *om = malloc(sizeof *om);
    if (!om) return cli_fail(CLCNN_STATUS_OUT_OF_MEMORY, "predict");
    clcnn_dataset in = {0};
    float *probs = NULL;
    clcnn_status s = open_model(a.positional[0], &a, om);
    if (s == CLCNN_STATUS_OK) s = load_inputs(&a, &om->spec, &in);
    int k = om->spec.data.n_classes;
    if (s == CLCNN_STATUS_OK && !(probs = malloc((size_t)(in.n ? in.n : 1) * k * sizeof *probs)))
        s = clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
    if (s == CLCNN_STATUS_OK && in.n) s = clcnn_model_predict(om->model, in.images, in.n, probs);
    if (s == CLCNN_STATUS_OK && a.probs) s = write_probs(a.probs, probs, in.n, k);
    int code = 0;
    if (s != CLCNN_STATUS_OK) {
        code = cli_fail(s, "predict");
    } else {
        for (int i = 0; i < in.n; i++) {
            const float *p = probs + (size_t)i * k;
            int best = 0;
            for (int j = 1; j < k; j++)
                if (p[j] > p[best]) best = j;
            printf("%d\t%s\t%.4f\n", i, om->spec.data.classes[best], p[best]);
        }
    }
    free(probs);
    clcnn_dataset_free(&in);
    close_model(om);
    free(om);
    return code;
}
