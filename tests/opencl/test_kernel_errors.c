/* test_kernel_errors.c: what a user sees when kernels or devices go wrong, and the disk cache of
 * compiled programs. A kernel folder given by CLCNN_KERNEL_DIR with a syntax error gives
 * CLCNN_STATUS_BUILD_ERROR naming the device, the file and the compiler's log (also through a
 * model's training step, naming the layer); an unknown device selector lists the devices; a
 * second context with the same CLCNN_CACHE_DIR loads the program from the cache. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cl/cl.h"
#include "clcnn/model.h"
#include "core/embedded.h"
#include "test_util.h"

static void write_text(const char *dir, const char *name, const char *text) {
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

static clcnn_context *context(void) {
    clcnn_context *ctx = NULL;
    clcnn_status s = clcnn_context_create(NULL, &ctx);
    if (s != CLCNN_STATUS_OK) printf("context: %s\n", clcnn_last_error());
    assert_int_equal(s, CLCNN_STATUS_OK);
    return ctx;
}

static void expect_in(const char *msg, const char *needle) {
    if (!strstr(msg, needle)) {
        printf("the message lacks '%s'\n", needle);
        fail();
    }
}

/* The compiler's complaint about this line must reach the user. */
static const char *const BROKEN =
    "\n__kernel void broken(__global float *x) { x[0] = clcnn_undeclared_identifier; }\n";

static void test_build_error(void **state) {
    (void)state;
    char dir[256];
    test_temp_dir("kernels", dir, sizeof dir);
    /* Copies of the embedded kernels; pool.cl gets a line that does not compile. */
    for (const struct clcnn_embedded_file *f = clcnn_embedded_kernels; f->name; f++) {
        char *text;
        assert_int_equal(clcnn_kernel_source(f->name, &text), CLCNN_STATUS_OK);
        assert_string_equal(text, f->text);
        if (strcmp(f->name, "pool.cl") == 0) {
            size_t n = strlen(text) + strlen(BROKEN) + 1;
            char *broken = malloc(n);
            snprintf(broken, n, "%s%s", text, BROKEN);
            free(text);
            text = broken;
        }
        write_text(dir, f->name, text);
        free(text);
    }
    setenv("CLCNN_KERNEL_DIR", dir, 1);
    setenv("CLCNN_NO_CACHE", "1", 1);
    clcnn_context *ctx = context();
    const char *device = clcnn_context_device(ctx)->name;

    /* The other files still build from the folder. */
    cl_kernel k;
    clcnn_status s = clcnn_kernel_get(ctx, "elementwise.cl", "relu_forward", &k);
    if (s != CLCNN_STATUS_OK) printf("elementwise.cl: %s\n", clcnn_last_error());
    assert_int_equal(s, CLCNN_STATUS_OK);

    s = clcnn_kernel_get(ctx, "pool.cl", "maxpool_forward", &k);
    const char *msg = clcnn_last_error();
    printf("%s:\n%s\n", clcnn_status_name(s), msg);
    assert_int_equal(s, CLCNN_STATUS_BUILD_ERROR);
    expect_in(msg, device);
    expect_in(msg, "pool.cl");
    expect_in(msg, "clcnn_undeclared_identifier"); /* the build log, with the compiler's words */
    expect_in(msg, "error");

    /* Through a model: the training step that first needs the kernel fails the same way and
     * says which layer. */
    clcnn_spec spec;
    clcnn_spec_default(&spec);
    spec.model.input_shape[0] = spec.model.input_shape[1] = 6;
    clcnn_layer_spec *l = spec.model.layers;
    clcnn_layer_spec_default(&l[0], "max_pooling2d");
    snprintf(l[0].name, sizeof l[0].name, "the_pool");
    clcnn_layer_spec_default(&l[1], "flatten");
    clcnn_layer_spec_default(&l[2], "dense");
    spec.model.n_layers = 3;
    snprintf(spec.train.conv_route, sizeof spec.train.conv_route, "own");
    clcnn_model *m = NULL;
    s = clcnn_model_create(ctx, &spec, 4, &m);
    if (s != CLCNN_STATUS_OK) printf("model: %s\n", clcnn_last_error());
    assert_int_equal(s, CLCNN_STATUS_OK);
    uint8_t images[4 * 36] = {0}, labels[4] = {0, 1, 2, 3};
    clcnn_dataset ds = {4, 1, 6, 6, images, labels};
    uint32_t order[4] = {0, 1, 2, 3};
    assert_int_equal(clcnn_model_upload(m, 0, &ds), CLCNN_STATUS_OK);
    assert_int_equal(clcnn_model_set_order(m, order, 4), CLCNN_STATUS_OK);
    s = clcnn_model_train_step(m, 0, 4);
    msg = clcnn_last_error();
    printf("train step: %s: %s\n", clcnn_status_name(s), msg);
    assert_int_equal(s, CLCNN_STATUS_BUILD_ERROR);
    expect_in(msg, "the_pool");
    expect_in(msg, "pool.cl");
    expect_in(msg, "clcnn_undeclared_identifier");
    clcnn_model_destroy(m);

    clcnn_context_destroy(ctx);
    unsetenv("CLCNN_KERNEL_DIR");
    unsetenv("CLCNN_NO_CACHE");
    test_remove_tree(dir);
}

static void test_unknown_device(void **state) {
    (void)state;
    clcnn_device_info *devices;
    int n;
    assert_int_equal(clcnn_devices_list(&devices, &n), CLCNN_STATUS_OK);
    assert_true(n > 0);
    clcnn_context_options o = clcnn_context_options_default();
    o.device = "no-such-device";
    clcnn_context *ctx = NULL;
    clcnn_status s = clcnn_context_create(&o, &ctx);
    const char *msg = clcnn_last_error();
    printf("%s: %s\n", clcnn_status_name(s), msg);
    assert_int_equal(s, CLCNN_STATUS_NO_DEVICE);
    assert_null(ctx);
    expect_in(msg, "no-such-device");
    for (int i = 0; i < n; i++) expect_in(msg, devices[i].name);
    /* An index past the end likewise. */
    char index[16];
    snprintf(index, sizeof index, "%d", n);
    o.device = index;
    assert_int_equal(clcnn_context_create(&o, &ctx), CLCNN_STATUS_NO_DEVICE);
    expect_in(clcnn_last_error(), devices[0].name);
    free(devices);
}

static int count_files(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return 0;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (e->d_name[0] != '.') n++;
    closedir(d);
    return n;
}

/* Builds kernels/conv.cl in a fresh context; returns the seconds it took and whether the
 * program came from a binary (a program made from a binary has no source text). */
static double timed_build(int *from_binary) {
    clcnn_context *ctx = context();
    cl_program p;
    double t0 = clcnn_now();
    clcnn_status s = clcnn_program_get(ctx, "conv.cl", "", &p);
    double t = clcnn_now() - t0;
    if (s != CLCNN_STATUS_OK) printf("conv.cl: %s\n", clcnn_last_error());
    assert_int_equal(s, CLCNN_STATUS_OK);
    size_t len = 0;
    assert_int_equal(clGetProgramInfo(p, CL_PROGRAM_SOURCE, 0, NULL, &len), CL_SUCCESS);
    *from_binary = len <= 1;
    clcnn_context_destroy(ctx);
    return t;
}

static void test_disk_cache(void **state) {
    (void)state;
    char dir[256];
    test_temp_dir("cache", dir, sizeof dir);
    const char *old = getenv("CLCNN_CACHE_DIR");
    char *saved = old ? strdup(old) : NULL;
    setenv("CLCNN_CACHE_DIR", dir, 1);
    /* Our binary cache, also where the driver keeps its own (PoCL). */
    setenv("CLCNN_PROGRAM_BINARIES", "1", 1);
    char programs[1100];
    snprintf(programs, sizeof programs, "%s/programs", dir);
    assert_int_equal(count_files(programs), 0);

    int first_binary, second_binary;
    double t1 = timed_build(&first_binary);
    int files = count_files(programs);
    printf("first build: %.1f ms (from source), %d file(s) in %s\n", t1 * 1e3, files, programs);
    assert_false(first_binary);
    assert_true(files >= 1);
    double t2 = timed_build(&second_binary);
    /* Informative only: timing depends on the machine and its load. */
    printf("second build, new context, same CLCNN_CACHE_DIR: %.1f ms (%s)\n", t2 * 1e3,
           second_binary ? "loaded from the cached binary" : "built from source");
    assert_true(second_binary);
    assert_int_equal(count_files(programs), files);

    if (saved) setenv("CLCNN_CACHE_DIR", saved, 1);
    else unsetenv("CLCNN_CACHE_DIR");
    unsetenv("CLCNN_PROGRAM_BINARIES");
    free(saved);
    test_remove_tree(dir);
}

int main(void) {
    /* The first device enumeration points PoCL's own cache into CLCNN_CACHE_DIR for the whole
     * process; do it now, before the tests below move CLCNN_CACHE_DIR to temporary folders. */
    clcnn_device_info *devices;
    int n;
    if (clcnn_devices_list(&devices, &n) == CLCNN_STATUS_OK) free(devices);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unknown_device),
        cmocka_unit_test(test_build_error),
        cmocka_unit_test(test_disk_cache),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
