/* cli/main.c: the clcnn command-line tool: subcommand dispatch and the helpers they share. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clcnn/dist.h"
#include "cli.h"
#include "clcnn/version.h"

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
} command;

static const command commands[] = {
    {"devices", cmd_devices, "list OpenCL devices"},
    {"selftest", cmd_selftest, "check every kernel against the C reference on a device (--device all: each)"},
    {"warmup", cmd_warmup, "compile every kernel and CLBlast for a device now (cached for later runs)"},
    {"train", cmd_train, "train a model from a YAML config (default: the embedded Fashion-MNIST model)"},
    {"eval", cmd_eval, "evaluate a model file on its test set"},
    {"predict", cmd_predict, "classify images (IDX files or PNG/JPEG/PGM) with a model file"},
    {"summary", cmd_summary, "print a config's or a model file's layer table"},
    {"tune", cmd_tune, "hyperparameter search from a YAML config (default: the seed's search)"},
    {"report", cmd_report, "an HTML report of a training folder, a tuning folder or a bench CSV/JSON"},
    {"export", cmd_export, "write a model file as ONNX (--onnx FILE.onnx [--opset N])"},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *fp) {
    fprintf(fp, "usage: clcnn <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++) fprintf(fp, "  %-9s %s\n", commands[i].name, commands[i].help);
    fprintf(fp,
            "\ncommon options:\n"
            "  --device D      OpenCL device by index or name substring (or CLCNN_DEVICE)\n"
            "  --set k.path=v  override any config key (repeatable), e.g. --set train.epochs=3\n"
            "  --out DIR       output folder\n"
            "  --verbose       library debug log on stderr\n"
            "environment: CLCNN_DEVICE, CLCNN_CACHE_DIR, CLCNN_NO_CACHE=1, CLCNN_KERNEL_DIR, CLCNN_ROUTE\n");
}

int cli_show_info;

static void log_to_stderr(int level, const char *msg, void *user) {
    int verbose = *(int *)user;
    if (level == CLCNN_LOG_INFO && cli_show_info) printf("%s\n", msg);
    else if (level >= CLCNN_LOG_WARN || verbose) fprintf(stderr, "clcnn: %s\n", msg);
}

static int verbose_flag;

/* Under mpirun/srun MPI starts first, and each rank's share of the CPU is set before any OpenCL
 * call; a plain run touches neither. */
static int run_command(const command *c, int argc, char **argv) {
    clcnn_status s = clcnn_dist_init(&argc, &argv);
    if (s != CLCNN_STATUS_OK) return cli_fail(s, "starting MPI");
    clcnn_dist_share_cpu();
    int rc = c->run(argc, argv);
    /* A rank that failed takes the job down with it: the others would wait for it forever. */
    if (rc != 0 && rc != 130) clcnn_dist_abort(rc);
    clcnn_dist_finalize();
    return rc;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0); /* progress lines appear as they happen, also in a pipe */
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--verbose") == 0) verbose_flag = 1;
    clcnn_set_log_callback(log_to_stderr, &verbose_flag);
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("clcnn %s\n", CLCNN_VERSION);
        return 0;
    }
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(argv[1], commands[i].name) == 0) return run_command(&commands[i], argc, argv);
    fprintf(stderr, "clcnn: error: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}

/* ---- shared helpers ------------------------------------------------------------------------ */

static const char *const value_options[] = {"--device", "--out", "--init", "--resume", "--probs", "--set",
                                             "--onnx", "--opset"};

int cli_parse(int argc, char **argv, int first, cli_args *a) {
    memset(a, 0, sizeof *a);
    for (int i = first; i < argc; i++) {
        const char *arg = argv[i], *value = NULL;
        int takes_value = 0;
        for (size_t k = 0; k < sizeof value_options / sizeof value_options[0]; k++)
            if (strcmp(arg, value_options[k]) == 0) takes_value = 1;
        if (takes_value) {
            if (i + 1 >= argc) {
                fprintf(stderr, "clcnn: error: %s needs a value\n", arg);
                return 2;
            }
            value = argv[++i];
        }
        if (strcmp(arg, "--device") == 0) a->device = value;
        else if (strcmp(arg, "--out") == 0) a->out = value;
        else if (strcmp(arg, "--init") == 0) a->init = value;
        else if (strcmp(arg, "--resume") == 0) a->resume = value;
        else if (strcmp(arg, "--probs") == 0) a->probs = value;
        else if (strcmp(arg, "--onnx") == 0) a->onnx = value;
        else if (strcmp(arg, "--opset") == 0) a->opset = value;
        else if (strcmp(arg, "--set") == 0) {
            if (a->n_sets == CLI_MAX_SETS) {
                fprintf(stderr, "clcnn: error: too many --set options\n");
                return 2;
            }
            a->sets[a->n_sets++] = value;
        } else if (strcmp(arg, "--json") == 0) a->json = 1;
        else if (strcmp(arg, "--overwrite") == 0) a->overwrite = 1;
        else if (strcmp(arg, "--quiet") == 0) a->quiet = 1;
        else if (strcmp(arg, "--verbose") == 0) a->verbose = 1;
        else if (arg[0] == '-' && arg[1]) {
            fprintf(stderr, "clcnn: error: unknown option '%s' (see clcnn --help)\n", arg);
            return 2;
        } else if (a->n_positional < CLI_MAX_POSITIONAL) a->positional[a->n_positional++] = arg;
        else {
            fprintf(stderr, "clcnn: error: too many arguments\n");
            return 2;
        }
    }
    return 0;
}

int cli_fail(clcnn_status s, const char *what) {
    fprintf(stderr, "clcnn: error: %s%s%s\n", what ? what : "", what && *what ? ": " : "",
            clcnn_last_error());
    return s == CLCNN_STATUS_INTERRUPTED ? 130 : 1;
}

static clcnn_status apply_sets(const cli_args *a, clcnn_spec *spec, clcnn_search_space *space) {
    for (int i = 0; i < a->n_sets; i++) {
        clcnn_status s = clcnn_config_set(spec, space, a->sets[i]);
        if (s != CLCNN_STATUS_OK) return s;
    }
    return CLCNN_STATUS_OK;
}

/* The spec, and the search space against it when there is one. */
static clcnn_status validate(const clcnn_spec *spec, const clcnn_search_space *space) {
    CLCNN_TRY(clcnn_spec_validate(spec));
    return space ? clcnn_search_space_validate(space, spec) : CLCNN_STATUS_OK;
}

clcnn_status cli_apply_sets(const cli_args *a, clcnn_spec *spec, clcnn_search_space *space) {
    CLCNN_TRY(apply_sets(a, spec, space));
    return validate(spec, space);
}

/* Validation knows the spec, not where it came from: put the config's name in front. */
static clcnn_status validate_named(const char *name, const clcnn_spec *spec,
                                   const clcnn_search_space *space) {
    clcnn_status s = validate(spec, space);
    if (s == CLCNN_STATUS_OK) return s;
    char *msg = strdup(clcnn_last_error());
    if (!msg) return s;
    clcnn_fail(s, "%s: %s", name, msg);
    free(msg);
    return s;
}

static clcnn_status load_with_space(const char *path, const char *fallback, const cli_args *a,
                                    clcnn_spec *spec, clcnn_search_space *space) {
    clcnn_status s;
    if (path) {
        s = clcnn_config_load_file(path, spec, space);
    } else {
        const char *text = clcnn_config_embedded(fallback);
        s = text ? clcnn_config_load_string(text, fallback, spec, space) : CLCNN_STATUS_NOT_FOUND;
    }
    if (s != CLCNN_STATUS_OK) return s;
    CLCNN_TRY(apply_sets(a, spec, space));
    return validate_named(path ? path : fallback, spec, space);
}

clcnn_status cli_load_spec(const char *path, const char *fallback, const cli_args *a,
                           clcnn_spec *spec, clcnn_search_space *space) {
    if (space) return load_with_space(path, fallback, a, spec, space);
    /* The declarations are still read and checked (a --set may name a parent from the file). */
    clcnn_search_space *scratch = malloc(sizeof *scratch);
    if (!scratch) return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "out of memory");
    clcnn_status s = load_with_space(path, fallback, a, spec, scratch);
    free(scratch);
    return s;
}

const char *cli_device_selector(const cli_args *a, char *buf, size_t n) {
    if ((a->device && *a->device) || getenv("CLCNN_DEVICE") || !clcnn_dist_active())
        return a->device;
    clcnn_device_info *d;
    int count;
    if (clcnn_devices_list(&d, &count) != CLCNN_STATUS_OK || count == 0) return a->device;
    /* GPUs when there are any (the default's kind), else every device. */
    int gpus = 0;
    for (int i = 0; i < count; i++) gpus += strstr(d[i].type, "GPU") != NULL;
    int k = clcnn_dist_local_rank() % (gpus ? gpus : count), pick = -1;
    for (int i = 0; i < count && pick < 0; i++)
        if ((!gpus || strstr(d[i].type, "GPU")) && k-- == 0) pick = d[i].index;
    free(d);
    snprintf(buf, n, "%d", pick);
    return buf;
}

clcnn_status cli_open_device(const cli_args *a, clcnn_context **ctx) {
    clcnn_context_options o = clcnn_context_options_default();
    char buf[16];
    o.device = cli_device_selector(a, buf, sizeof buf);
    CLCNN_TRY(clcnn_context_create(&o, ctx));
    /* Say which device a name picked: "amd" or "intel" can match more than one. */
    const clcnn_device_info *d = clcnn_context_device(*ctx);
    fprintf(stderr, "clcnn: device %d: %s: %s (%s)\n", d->index, d->platform, d->name, d->type);
    return CLCNN_STATUS_OK;
}

int cli_stdout_is_tty(void) { return isatty(STDOUT_FILENO); }

volatile int cli_stop_requested;

static void on_sigint(int sig) {
    (void)sig;
    if (cli_stop_requested) _exit(130);
    cli_stop_requested = 1;
    static const char msg[] = "\nclcnn: stopping after this step (Ctrl-C again to quit now)\n";
    ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)w;
}

void cli_install_sigint(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, NULL);
}
