/* tests/unit/test_kparams_file.c: the kernel parameters clcnn-bench tune-kernels stores per
 * device (cl/kparams.c): the file round-trips, what the library reads at open takes effect with
 * the environment's overrides still winning, and a malformed, torn, foreign or unusable file
 * is ignored (the class defaults stay). No device: the context is filled by hand. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl/kparams.h"
#include "test_util.h"

static clcnn_context ctx; /* large: static */

static void fake_device(const char *dir) {
    memset(&ctx, 0, sizeof ctx);
    snprintf(ctx.info.name, sizeof ctx.info.name, "test CPU");
    snprintf(ctx.info.type, sizeof ctx.info.type, "CPU");
    snprintf(ctx.device_key, sizeof ctx.device_key, "0123456789abcdef0123456789abcdef");
    snprintf(ctx.cache_dir, sizeof ctx.cache_dir, "%s", dir);
    ctx.disk_cache = 1;
    ctx.max_group = 256;
    ctx.local_mem = 32768;
}

static void unset_env(void) {
    unsetenv("CLCNN_GEMM_TILE");
    unsetenv("CLCNN_REDUCE_WG");
    unsetenv("CLCNN_CONV_LAYOUT");
}

static clcnn_kparams_tuned sample(void) {
    clcnn_kparams_tuned t;
    memset(&t, 0, sizeof t);
    t.has_tile = 1, t.tile = (clcnn_gemm_tile){64, 32, 8, 4, 2};
    t.has_reduce_wg = 1, t.reduce_wg = 64;
    t.has_conv_layout = 1, t.conv_items = 1;
    return t;
}

static void test_store_then_load(void **state) {
    (void)state;
    char dir[512];
    assert_non_null(test_temp_dir("kparams", dir, sizeof dir));
    unset_env();
    fake_device(dir);
    clcnn_gemm_tile t;
    assert_int_equal(clcnn_kparams_load(&ctx), CLCNN_STATUS_OK); /* no file: class defaults */
    assert_int_equal(ctx.tuned.has_tile, 0);
    assert_int_equal(clcnn_gemm_tile_for(&ctx, &t), CLCNN_STATUS_OK);
    assert_int_equal(t.ts_m, clcnn_gemm_tile_default(CLCNN_CLASS_CPU).ts_m);
    assert_int_equal(clcnn_reduce_wg(&ctx), clcnn_reduce_wg_default(CLCNN_CLASS_CPU));
    assert_int_equal(clcnn_conv_items(&ctx), 0);

    clcnn_kparams_tuned want = sample();
    assert_int_equal(clcnn_kparams_store(&ctx, &want, "test note"), CLCNN_STATUS_OK);
    assert_int_equal(clcnn_kparams_load(&ctx), CLCNN_STATUS_OK);
    assert_memory_equal(&ctx.tuned, &want, sizeof want);
    assert_int_equal(clcnn_gemm_tile_for(&ctx, &t), CLCNN_STATUS_OK);
    assert_int_equal(t.ts_m, 64);
    assert_int_equal(t.wpt_n, 2);
    assert_int_equal(clcnn_reduce_wg(&ctx), 64);
    assert_int_equal(clcnn_conv_items(&ctx), 1);

    /* The environment still wins over the tuned values. */
    setenv("CLCNN_GEMM_TILE", "16,16,8,2,2", 1);
    setenv("CLCNN_REDUCE_WG", "0", 1);
    setenv("CLCNN_CONV_LAYOUT", "planes", 1);
    assert_int_equal(clcnn_gemm_tile_for(&ctx, &t), CLCNN_STATUS_OK);
    assert_int_equal(t.ts_m, 16);
    assert_int_equal(clcnn_reduce_wg(&ctx), 0);
    assert_int_equal(clcnn_conv_items(&ctx), 0);
    unset_env();

    /* Another device (or driver, or clcnn version) has another key: the file is foreign. */
    snprintf(ctx.device_key, sizeof ctx.device_key, "ffffffffffffffffffffffffffffffff");
    char path[1200], other[1200];
    snprintf(path, sizeof path, "%s/kparams/0123456789abcdef0123456789abcdef.txt", dir);
    assert_int_equal(clcnn_kparams_path(&ctx, other, sizeof other), CLCNN_STATUS_OK);
    assert_int_equal(rename(path, other), 0);
    assert_int_equal(clcnn_kparams_load(&ctx), CLCNN_STATUS_OK);
    assert_int_equal(ctx.tuned.has_tile, 0);
    assert_int_equal(ctx.tuned.has_reduce_wg, 0);

    /* A flipped byte (or a torn write) fails the checksum: ignored. */
    fake_device(dir);
    assert_int_equal(clcnn_kparams_store(&ctx, &want, "test note"), CLCNN_STATUS_OK);
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    fseek(f, -3, SEEK_END);
    fputc('9', f);
    fclose(f);
    assert_int_equal(clcnn_kparams_load(&ctx), CLCNN_STATUS_OK);
    assert_int_equal(ctx.tuned.has_tile, 0);
    assert_int_equal(clcnn_reduce_wg(&ctx), clcnn_reduce_wg_default(CLCNN_CLASS_CPU));

    /* With the disk cache off, no file is read. */
    assert_int_equal(clcnn_kparams_store(&ctx, &want, "test note"), CLCNN_STATUS_OK);
    ctx.disk_cache = 0;
    assert_int_equal(clcnn_kparams_load(&ctx), CLCNN_STATUS_OK);
    assert_int_equal(ctx.tuned.has_tile, 0);
    ctx.disk_cache = 1;
    assert_int_equal(clcnn_kparams_load(&ctx), CLCNN_STATUS_OK);
    assert_int_equal(ctx.tuned.has_tile, 1);
}

static void test_parse(void **state) {
    (void)state;
    fake_device("/nonexistent");
    clcnn_kparams_tuned t, want = sample();
    char text[512];
    clcnn_kparams_format(&want, text, sizeof text);
    assert_string_equal(text, "gemm_tile 64,32,8,4,2\nreduce_wg 64\nconv_layout items\n");
    assert_int_equal(clcnn_kparams_parse(text, &ctx, &t), 1);
    assert_memory_equal(&t, &want, sizeof t);
    /* Each line is optional; comments are skipped. */
    assert_int_equal(clcnn_kparams_parse("# note\nreduce_wg 0\n", &ctx, &t), 1);
    assert_int_equal(t.has_reduce_wg, 1);
    assert_int_equal(t.reduce_wg, 0);
    assert_int_equal(t.has_tile + t.has_conv_layout, 0);
    static const char *const bad[] = {
        "gemm_tile 64,32,8,4\n",            /* a field short */
        "gemm_tile 64,32,8,4,2,1\n",        /* a field long */
        "gemm_tile 30,32,8,4,2\n",          /* 30 is not a multiple of wpt_m 4 */
        "gemm_tile 128,128,16,1,1\n",       /* 16384 work-items: over the device's 256 */
        "gemm_tile 128,128,64,8,8\n",       /* 66 KB of local memory: over 32 KiB */
        "reduce_wg 48\n",                   /* not a power of two */
        "reduce_wg 512\n",                  /* over the device's work-group limit */
        "reduce_wg -1\n",
        "conv_layout rows\n",
        "conv_layout items extra\n",
        "tile_size 4\n",                    /* an unknown parameter */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        t.has_tile = 1;
        if (clcnn_kparams_parse(bad[i], &ctx, &t) != 0) fail_msg("accepted: %s", bad[i]);
        assert_int_equal(t.has_tile + t.has_reduce_wg + t.has_conv_layout, 0);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_then_load),
        cmocka_unit_test(test_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
