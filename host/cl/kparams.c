/* cl/kparams.c: the small database of kernel parameters per device class, the parameters
 * clcnn-bench tune-kernels measured for this device (a cache entry read at open), and the build
 * options of each variant. Precedence: the environment's overrides, then the tuned values, then
 * the class default. The defaults follow CLBlast's for its Xgemm on each class (64 x 64 tiles of
 * 4 x 4 per work-item on NVIDIA and AMD, smaller groups on Intel and unknown GPUs): 44 registers
 * on sm_80, no spills (tests/kernels_check.py checks every variant). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kparams.h"

static const char *const class_names[CLCNN_N_CLASSES] = {"cpu", "nvidia", "amd", "intel", "gpu"};

static const clcnn_gemm_tile tile_defaults[CLCNN_N_CLASSES] = {
    [CLCNN_CLASS_CPU] = {32, 32, 16, 4, 4},
    [CLCNN_CLASS_NVIDIA] = {64, 64, 16, 4, 4},
    [CLCNN_CLASS_AMD] = {64, 64, 16, 4, 4},
    [CLCNN_CLASS_INTEL] = {32, 32, 16, 4, 4},
    [CLCNN_CLASS_GPU] = {32, 32, 16, 4, 4},
};

static int has_word(const char *text, const char *word) {
    char low[256];
    size_t i = 0;
    for (; text[i] && i + 1 < sizeof low; i++) low[i] = (char)(text[i] | 0x20);
    low[i] = '\0';
    return strstr(low, word) != NULL;
}

static int type_is_cpu(const clcnn_device_info *info) {
    return strcmp(info->type, "CPU") == 0;
}

clcnn_device_class clcnn_device_class_of(const clcnn_device_info *info) {
    if (type_is_cpu(info)) return CLCNN_CLASS_CPU;
    if (has_word(info->vendor, "nvidia")) return CLCNN_CLASS_NVIDIA;
    if (has_word(info->vendor, "advanced micro devices") || has_word(info->vendor, "amd"))
        return CLCNN_CLASS_AMD;
    if (has_word(info->vendor, "intel")) return CLCNN_CLASS_INTEL;
    return CLCNN_CLASS_GPU;
}

/* The device type alone, not the vendor names' search: launches ask this every time. */
int clcnn_is_cpu(const clcnn_context *ctx) {
    return type_is_cpu(&ctx->info);
}

const char *clcnn_device_class_name(clcnn_device_class c) { return class_names[c]; }

clcnn_gemm_tile clcnn_gemm_tile_default(clcnn_device_class c) { return tile_defaults[c]; }

clcnn_status clcnn_gemm_tile_check(const clcnn_gemm_tile *t, size_t max_group, cl_ulong local_mem) {
    if (t->ts_m <= 0 || t->ts_n <= 0 || t->ts_k <= 0 || t->wpt_m <= 0 || t->wpt_n <= 0 ||
        t->ts_m % t->wpt_m || t->ts_n % t->wpt_n)
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT,
                          "GEMM tile %d,%d,%d,%d,%d: sizes must be positive and ts_m, ts_n "
                          "multiples of wpt_m, wpt_n",
                          t->ts_m, t->ts_n, t->ts_k, t->wpt_m, t->wpt_n);
    size_t group = (size_t)(t->ts_m / t->wpt_m) * (size_t)(t->ts_n / t->wpt_n);
    size_t local = (size_t)t->ts_k * (size_t)(t->ts_m + t->ts_n + 2) * sizeof(float);
    if (max_group && group > max_group)
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT,
                          "GEMM tile %d,%d,%d,%d,%d needs work-groups of %zu; the device allows %zu",
                          t->ts_m, t->ts_n, t->ts_k, t->wpt_m, t->wpt_n, group, max_group);
    if (local_mem && local > local_mem)
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT,
                          "GEMM tile %d,%d,%d,%d,%d needs %zu bytes of local memory; the device has %lu",
                          t->ts_m, t->ts_n, t->ts_k, t->wpt_m, t->wpt_n, local,
                          (unsigned long)local_mem);
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_gemm_tile_for(const clcnn_context *ctx, clcnn_gemm_tile *out) {
    *out = ctx->tuned.has_tile ? ctx->tuned.tile : tile_defaults[clcnn_device_class_of(&ctx->info)];
    const char *env = getenv("CLCNN_GEMM_TILE");
    if (env && *env) {
        clcnn_gemm_tile t;
        char tail;
        if (sscanf(env, "%d,%d,%d,%d,%d%c", &t.ts_m, &t.ts_n, &t.ts_k, &t.wpt_m, &t.wpt_n, &tail) != 5)
            return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT,
                              "CLCNN_GEMM_TILE='%s': expected ts_m,ts_n,ts_k,wpt_m,wpt_n", env);
        *out = t;
    }
    clcnn_status s = clcnn_gemm_tile_check(out, ctx->max_group, ctx->local_mem);
    return s == CLCNN_STATUS_OK ? s : clcnn_fail_prefix(s, "device '%s': ", ctx->info.name);
}

int clcnn_conv_items(const clcnn_context *ctx) {
    const char *env = getenv("CLCNN_CONV_LAYOUT");
    if (env && strcmp(env, "items") == 0) return 1;
    if (env && strcmp(env, "planes") == 0) return 0;
    if (ctx->tuned.has_conv_layout) return ctx->tuned.conv_items;
    return !clcnn_is_cpu(ctx);
}

int clcnn_reduce_wg_default(clcnn_device_class c) {
    static const int by_class[CLCNN_N_CLASSES] = {0, 256, 256, 256, 64};
    return by_class[c];
}

int clcnn_reduce_wg(const clcnn_context *ctx) {
    const char *env = getenv("CLCNN_REDUCE_WG");
    int wg = env && *env ? atoi(env)
             : ctx->tuned.has_reduce_wg ? ctx->tuned.reduce_wg
                                         : clcnn_reduce_wg_default(clcnn_device_class_of(&ctx->info));
    if (wg <= 0) return 0;
    int p = 1;
    while (p * 2 <= wg && (!ctx->max_group || (size_t)p * 2 <= ctx->max_group)) p *= 2;
    return p;
}

void clcnn_gemm_tiled_options(const clcnn_gemm_tile *t, clcnn_gemm_kind kind, char *buf, size_t n) {
    int a_t = kind == CLCNN_GEMM_TN, b_t = kind == CLCNN_GEMM_NT_SUM, ksum = b_t;
    snprintf(buf, n, "-DA_T=%d -DB_T=%d -DKSUM=%d -DTS_M=%d -DTS_N=%d -DTS_K=%d -DWPT_M=%d -DWPT_N=%d",
             a_t, b_t, ksum, t->ts_m, t->ts_n, t->ts_k, t->wpt_m, t->wpt_n);
}

/* The build options of the own kernels' register tiles for a native vector width (floats): the
 * accumulators and the operands of a step must fit the SIMD register file. 16 (AVX-512, 32
 * registers): the kernel's defaults, 5 x 64 tiles (20 accumulators, 4 loads + 5 broadcasts per 20
 * FMAs) and 4 x 4 dot products of float16, measured on PoCL 3.1 on AVX-512 (process CPU time, issue
 * 12) against the 8 x 32 tiles chosen before without such a machine: the seed's im2col products NN
 * 17.3 -> 12.1 ms, TN 14.9 -> 12.5, dense 1's backward TN and NN 3.1 -> 2.4 each; 6 x 64 came
 * within 5%, 4 x 64, 7 x 64, 6 x 48, 8 x 48, 12 x 32, 14 x 32 and 16 x 16 were slower, and 4 x 6,
 * 6 x 4, 3 x 6 or 2 x 8 dot products no better. The packed NT products keep 8 x 32 tiles with a
 * 32 KiB panel (AVX-512 cores have 48 KiB of L1): conv 2's im2col NT 15.1 -> 13.7 ms, dense 1's
 * forward 13.2 -> 10.4 at batch 128 and 3.0 -> 2.4 at batch 32 against 8 x 32 with 16 KiB, where
 * 5 x 64 with 16 KiB took 16.4, 15.9 and 3.1. 8 (AVX2, 16 registers): 6 x 16 tiles (12
 * accumulators, the BLIS Haswell kernel's shape), packed ones too, with 16 KiB panels, and 4 x 2
 * dot products of float8 (8 x 32 tiles spill 16 of their 32 registers there, 3 x 4 dot products one
 * per step); 4 or less: the same shapes in float4.
 * Packed NT products whose operands stream from memory (dense 1's forward: 18.9 MB of weights)
 * take a 96 KiB panel on AVX-512 instead (streamed): each row of both operands is then read in
 * runs of 768 floats, not 256, which the prefetchers follow (the process CPU time of dense 1's
 * forward at batch 32 2.15 -> 1.87 ms, at batch 128 7.8 -> 7.4; 64 KiB came between, 128 and
 * 256 KiB gained 1% and 5% more, but a private array past ~110 KiB overflows amdgcn's 128 KiB
 * stack frame in the portable-compile check), while the products whose operands stay in cache
 * keep their panel in L1 (conv 2's im2col NT took 10-15% longer with 64 or 128 KiB).
 * CLCNN_GEMM_OWN_TILE=TM,NV,VW,NT_TM,NT_TN,NT_VW[,PK_TM,PK_NV] overrides (for tuning; the packed
 * tile is TM x NV when PK_TM,PK_NV are left out). */
clcnn_status clcnn_gemm_own_tiles(int vector_width, int streamed, char *buf, size_t n,
                                  int tile[2], int nt_tile[2], int pk_tile[3]) {
    int t[8] = {5, 4, 16, 4, 4, 16, 8, 2}, panel = streamed ? 24576 : 8192;
    if (vector_width < 16) {
        int vw = vector_width >= 8 ? 8 : 4;
        int narrow[8] = {6, 2, vw, 4, 2, vw, 6, 2};
        memcpy(t, narrow, sizeof t);
        panel = 4096;
    }
    const char *env = getenv("CLCNN_GEMM_OWN_TILE");
    if (env && *env) {
        char tail;
        int got = sscanf(env, "%d,%d,%d,%d,%d,%d,%d,%d%c", &t[0], &t[1], &t[2], &t[3], &t[4],
                         &t[5], &t[6], &t[7], &tail);
        if (got == 6) t[6] = t[0], t[7] = t[1];
        if ((got != 6 && got != 8) || t[0] < 1 || t[0] > 16 || t[1] < 1 || t[1] > 8 || t[3] < 1 ||
            t[3] > 8 || t[4] < 1 || t[4] > 8 || (t[2] != 4 && t[2] != 8 && t[2] != 16) ||
            (t[5] != 4 && t[5] != 8 && t[5] != 16) || t[6] < 1 || t[6] > 16 || t[7] < 1 ||
            t[7] > 8)
            return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT,
                              "CLCNN_GEMM_OWN_TILE='%s': expected TM,NV,VW,NT_TM,NT_TN,NT_VW"
                              "[,PK_TM,PK_NV] (TM and PK_TM 1-16, NV, PK_NV and the NT tile 1-8, "
                              "widths 4, 8 or 16)", env);
    }
    snprintf(buf, n,
             "-DGEMM_TM=%d -DGEMM_NV=%d -DGEMM_VW=%d -DNT_TM=%d -DNT_TN=%d -DNT_VW=%d -DPK_TM=%d "
             "-DPK_NV=%d -DNTP_FLOATS=%d",
             t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], panel);
    tile[0] = t[0], tile[1] = t[1] * t[2];
    nt_tile[0] = t[3], nt_tile[1] = t[4];
    pk_tile[0] = t[6], pk_tile[1] = t[7] * t[2], pk_tile[2] = panel;
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_gemm_own_options(int vector_width, int streamed, char *buf, size_t n) {
    int tile[2], nt_tile[2], pk_tile[3];
    return clcnn_gemm_own_tiles(vector_width, streamed, buf, n, tile, nt_tile, pk_tile);
}

clcnn_status clcnn_env_number(const char *name, double lo, double hi, int whole, double *out,
                              int *set) {
    const char *env = getenv(name);
    *set = env && *env;
    if (!*set) return CLCNN_STATUS_OK;
    char *end;
    *out = strtod(env, &end);
    if (*end != '\0' || !(*out >= lo && *out <= hi) || (whole && *out != floor(*out)))
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT,
                          "%s='%s': expected a%s number from %g to %g", name, env,
                          whole ? " whole" : "", lo, hi);
    return CLCNN_STATUS_OK;
}

/* ctx->vector_width: CLCNN_VECTOR_WIDTH, else the device's native float width (16 when the
 * device does not say), as 4, 8 or 16. */
static clcnn_status vector_width_load(clcnn_context *ctx) {
    double v;
    int set;
    CLCNN_TRY(clcnn_env_number("CLCNN_VECTOR_WIDTH", 1, 16, 1, &v, &set));
    cl_uint width = 16;
    if (set && v != 4 && v != 8 && v != 16)
        return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT,
                          "CLCNN_VECTOR_WIDTH='%s': expected 4, 8 or 16", getenv("CLCNN_VECTOR_WIDTH"));
    if (set)
        width = (cl_uint)v;
    else if (ctx->device && clGetDeviceInfo(ctx->device, CL_DEVICE_NATIVE_VECTOR_WIDTH_FLOAT,
                                            sizeof width, &width, NULL) != CL_SUCCESS)
        width = 16;
    ctx->vector_width = width >= 16 ? 16 : width >= 8 ? 8 : 4;
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_gemm_own_load(clcnn_context *ctx) {
    clcnn_gemm_own *o = &ctx->own_gemm;
    CLCNN_TRY(vector_width_load(ctx));
    CLCNN_TRY(clcnn_gemm_own_tiles(ctx->vector_width, 0, o->options, sizeof o->options, o->tile,
                                   o->nt_tile, o->pk_tile));
    int tile[2], nt_tile[2], pk_tile[3];
    CLCNN_TRY(clcnn_gemm_own_tiles(ctx->vector_width, 1, o->options_streamed,
                                   sizeof o->options_streamed, tile, nt_tile, pk_tile));
    o->pk_streamed = pk_tile[2];
    o->nt_cache = 2.0 * 1048576.0;
    double v;
    int set;
    CLCNN_TRY(clcnn_env_number("CLCNN_GEMM_NT_CACHE", 64, 1e12, 0, &v, &set));
    if (set) o->nt_cache = v;
    /* Packed panels run the NT products as outer products (the NN micro-kernel) on CPUs, where
     * the dot products peaked at 44-49% of a core; GPUs keep gemm_nt. A product narrower than
     * a panel (N = 9, 10) stays with the dot products, which waste no columns. */
    o->nt_packed = clcnn_is_cpu(ctx) ? 2 : 0;
    const char *nt = getenv("CLCNN_GEMM_NT");
    if (nt && *nt) {
        if (strcmp(nt, "packed") != 0 && strcmp(nt, "dot") != 0)
            return clcnn_fail(CLCNN_STATUS_INVALID_ARGUMENT,
                              "CLCNN_GEMM_NT='%s': expected packed or dot", nt);
        o->nt_packed = strcmp(nt, "packed") == 0;
    }
    return CLCNN_STATUS_OK;
}

/* ---- the tuned parameters: CLCNN_CACHE_DIR/kparams/<device key>.txt ---------------------------- */
clcnn_status clcnn_kparams_path(const clcnn_context *ctx, char *buf, size_t n) {
    return clcnn_strfmt(buf, n, "%s/kparams/%s.txt", ctx->cache_dir, ctx->device_key);
}

size_t clcnn_kparams_format(const clcnn_kparams_tuned *t, char *buf, size_t n) {
    size_t len = 0;
    buf[0] = '\0';
    if (t->has_tile)
        len += (size_t)snprintf(buf + len, n - len, "gemm_tile %d,%d,%d,%d,%d\n", t->tile.ts_m,
                                t->tile.ts_n, t->tile.ts_k, t->tile.wpt_m, t->tile.wpt_n);
    if (len < n && t->has_reduce_wg)
        len += (size_t)snprintf(buf + len, n - len, "reduce_wg %d\n", t->reduce_wg);
    if (len < n && t->has_conv_layout)
        len += (size_t)snprintf(buf + len, n - len, "conv_layout %s\n", t->conv_items ? "items" : "planes");
    return len < n ? len : n - 1;
}

static int parse_line(char *line, clcnn_kparams_tuned *t) {
    clcnn_gemm_tile g;
    int v;
    char word[16], tail;
    if (line[0] == '#' || line[0] == '\0') return 1;
    if (sscanf(line, "gemm_tile %d,%d,%d,%d,%d%c", &g.ts_m, &g.ts_n, &g.ts_k, &g.wpt_m, &g.wpt_n,
               &tail) == 5) {
        t->has_tile = 1, t->tile = g;
        return 1;
    }
    if (sscanf(line, "reduce_wg %d%c", &v, &tail) == 1 && v >= 0 && v <= 4096 && !(v & (v - 1))) {
        t->has_reduce_wg = 1, t->reduce_wg = v;
        return 1;
    }
    if (sscanf(line, "conv_layout %15s%c", word, &tail) == 1 &&
        (strcmp(word, "items") == 0 || strcmp(word, "planes") == 0)) {
        t->has_conv_layout = 1, t->conv_items = strcmp(word, "items") == 0;
        return 1;
    }
    return 0;
}

int clcnn_kparams_parse(const char *text, const clcnn_context *ctx, clcnn_kparams_tuned *out) {
    memset(out, 0, sizeof *out);
    char copy[1024], *save = NULL;
    if (strlen(text) >= sizeof copy) return 0;
    snprintf(copy, sizeof copy, "%s", text);
    int ok = 1;
    for (char *line = strtok_r(copy, "\n", &save); line && ok; line = strtok_r(NULL, "\n", &save))
        ok = parse_line(line, out);
    /* A tile another device's limits allow may not fit this one (a file copied by hand). */
    if (ok && out->has_tile)
        ok = clcnn_gemm_tile_check(&out->tile, ctx->max_group, ctx->local_mem) == CLCNN_STATUS_OK;
    if (ok && out->reduce_wg > 0 && ctx->max_group) ok = (size_t)out->reduce_wg <= ctx->max_group;
    if (!ok) memset(out, 0, sizeof *out);
    return ok;
}

static void log_params(const clcnn_context *ctx, const char *source) {
    clcnn_gemm_tile t;
    char tile[64] = "invalid";
    if (clcnn_gemm_tile_for(ctx, &t) == CLCNN_STATUS_OK)
        snprintf(tile, sizeof tile, "%d,%d,%d,%d,%d", t.ts_m, t.ts_n, t.ts_k, t.wpt_m, t.wpt_n);
    clcnn_log(CLCNN_LOG_DEBUG, "kernel parameters for '%s' (class %s, %s): gemm_tile %s, "
              "reduce_wg %d, conv_layout %s", ctx->info.name,
              clcnn_device_class_name(clcnn_device_class_of(&ctx->info)), source, tile,
              clcnn_reduce_wg(ctx), clcnn_conv_items(ctx) ? "items" : "planes");
}

clcnn_status clcnn_kparams_load(clcnn_context *ctx) {
    char path[1200], *text;
    size_t len;
    memset(&ctx->tuned, 0, sizeof ctx->tuned);
    CLCNN_TRY(clcnn_gemm_own_load(ctx));
    CLCNN_TRY(clcnn_conv_env_load(ctx));
    CLCNN_TRY(clcnn_kparams_path(ctx, path, sizeof path));
    if (!ctx->disk_cache || !clcnn_file_exists(path)) {
        log_params(ctx, "class defaults, not tuned");
        return CLCNN_STATUS_OK;
    }
    /* A torn, foreign or damaged file (cache_entry.c logs which) means the class defaults until
     * tune-kernels writes it again. */
    if (!clcnn_cache_entry_read(path, ctx->device_key, &text, &len)) {
        log_params(ctx, "class defaults: the tuned file is damaged or foreign, ignored");
        return CLCNN_STATUS_OK;
    }
    clcnn_kparams_tuned t;
    if (clcnn_kparams_parse(text, ctx, &t)) {
        ctx->tuned = t;
        char source[1300];
        snprintf(source, sizeof source, "tuned: %s", path);
        log_params(ctx, source);
    } else {
        log_params(ctx, "class defaults: the tuned file has a value this device cannot use, ignored");
    }
    free(text);
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_kparams_store(const clcnn_context *ctx, const clcnn_kparams_tuned *t,
                                 const char *note) {
    char path[1200], dir[1200], text[1024], body[512];
    CLCNN_TRY(clcnn_kparams_path(ctx, path, sizeof path));
    CLCNN_TRY(clcnn_strfmt(dir, sizeof dir, "%s/kparams", ctx->cache_dir));
    CLCNN_TRY(clcnn_mkdir_p(dir));
    clcnn_kparams_format(t, body, sizeof body);
    CLCNN_TRY(clcnn_strfmt(text, sizeof text, "# %s\n%s", note, body));
    return clcnn_cache_entry_write(path, ctx->device_key, text, strlen(text));
}
