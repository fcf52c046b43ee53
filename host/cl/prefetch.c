/* cl/prefetch.c: a cold start's kernel builds on the second core. PoCL 3.x compiles one program
 * at a time per process (its LLVM work holds a process-wide lock: two threads build one after the
 * other, even in two contexts), so when PoCL's disk cache is empty, the first context of a
 * process forks a helper that builds the kernel files asked of it (clcnn_program_prefetch: a
 * model's, nn/prefetch.c) into that cache while this process trains; this process's own builds
 * of those files then load PoCL's cached result. Nothing is shared but the cache, whose writes PoCL makes
 * atomically: a helper that is slow, stopped or failing only leaves this process to build a file
 * itself, as it always did. */
#define _XOPEN_SOURCE 700 /* nice() */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "cl.h"

/* Whether PoCL's cache (POCL_CACHE_DIR) holds no build yet: its builds are folders, its
 * unfinished writes plain files. */
static int pocl_cache_empty(void) {
    const char *dir = getenv("POCL_CACHE_DIR");
    if (!dir || !*dir) return 0;
    DIR *d = opendir(dir);
    if (!d) return 1;
    int empty = 1;
    char path[2048];
    struct stat st;
    for (struct dirent *e; empty && (e = readdir(d));)
        if (e->d_name[0] != '.' && clcnn_strfmt(path, sizeof path, "%s/%s", dir, e->d_name) ==
                                       CLCNN_STATUS_OK && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
            empty = 0;
    closedir(d);
    return empty;
}

static int wanted(void) {
    const char *env = getenv("CLCNN_PREFETCH");
    if (env && *env) return strcmp(env, "0") != 0;
    /* MPI launchers track their ranks' processes; leave them their own. */
    if (getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMI_SIZE")) return 0;
    return pocl_cache_empty();
}

/* The helper: its own context on the same device, no output, no files of ours (the disk cache
 * off: PoCL's cache is the only thing it writes). It builds each "file<TAB>options" line its
 * standard input brings, until the end of it. */
static void helper(const clcnn_context_options *o, int requests) {
#ifdef __linux__
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlives the process it works for */
#endif
    int null = open("/dev/null", O_RDWR);
    dup2(requests, STDIN_FILENO);
    if (null >= 0) {
        dup2(null, STDOUT_FILENO);
        dup2(null, STDERR_FILENO);
    }
    /* Nobody waits for an end of file on a pipe this process holds. */
    for (int fd = STDERR_FILENO + 1; fd < 1024; fd++) close(fd);
    /* Training goes first where a core is short (a failure leaves the priority as it is). */
    int priority = nice(10);
    (void)priority;
    clcnn_context_options own = *o;
    own.disk_cache = 0;
    own.profiling = 0;
    clcnn_context *ctx;
    if (clcnn_context_create(&own, &ctx) != CLCNN_STATUS_OK) _exit(1);
    if (!strstr(ctx->info.platform, "Portable Computing Language")) _exit(0);
    char line[512];
    while (fgets(line, sizeof line, stdin)) {
        char *tab = strchr(line, '\t'), *end = strchr(line, '\n');
        if (!tab || !end) continue;
        *tab = *end = '\0';
        cl_program p;
        clcnn_program_get(ctx, line, tab + 1, &p); /* a failure is this process's to report */
    }
    /* No clean-up: the builds are in PoCL's cache, the rest goes with the process. */
    _exit(0);
}

int clcnn_prefetch_start(const clcnn_context_options *o, int *fd) {
    *fd = -1;
    int sock[2];
    /* A socket, not a pipe: a request to a helper that is gone fails (MSG_NOSIGNAL) instead of
     * raising SIGPIPE here. */
    if (!o->disk_cache || !wanted() || socketpair(AF_UNIX, SOCK_STREAM, 0, sock) != 0) return 0;
    pid_t pid = fork();
    if (pid == 0) helper(o, sock[0]);
    close(sock[0]);
    if (pid < 0) { /* no helper: this process builds everything, as before */
        close(sock[1]);
        return 0;
    }
    /* Requests never block this process (a full buffer drops them) nor reach its other children. */
    fcntl(sock[1], F_SETFL, O_NONBLOCK);
    fcntl(sock[1], F_SETFD, FD_CLOEXEC);
    *fd = sock[1];
    clcnn_log(CLCNN_LOG_DEBUG, "kernel builds: PoCL's cache is empty; helper process %d builds "
              "kernel files beside this one", (int)pid);
    return pid;
}

void clcnn_program_prefetch(clcnn_context *ctx, const char *file, const char *options) {
    if (ctx->prefetch_fd <= 0) return;
    char key[256], line[512];
    if (clcnn_strfmt(key, sizeof key, "%s|%s", file, options) != CLCNN_STATUS_OK) return;
    for (int i = 0; i < ctx->n_programs; i++)
        if (strcmp(ctx->programs[i].key, key) == 0) return; /* built here already */
    int n = snprintf(line, sizeof line, "%s\t%s\n", file, options);
    if (n > 0 && (size_t)n < sizeof line && send(ctx->prefetch_fd, line, (size_t)n, MSG_NOSIGNAL) != n)
        clcnn_log(CLCNN_LOG_DEBUG, "kernel builds: the helper takes no more requests");
}

static void close_requests(clcnn_context *ctx) {
    if (ctx->prefetch_fd > 0) close(ctx->prefetch_fd);
    ctx->prefetch_fd = -1;
}

int clcnn_prefetch_wait(clcnn_context *ctx) {
    close_requests(ctx);
    if (ctx->prefetch_pid <= 0) return -1;
    int status = 0;
    pid_t p = ctx->prefetch_pid;
    ctx->prefetch_pid = 0;
    if (waitpid(p, &status, 0) != p) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void clcnn_prefetch_stop(int *pid, int *fd) {
    if (*fd > 0) close(*fd);
    *fd = -1;
    if (*pid <= 0) return;
    /* A build cut short leaves only PoCL's temporary file: the cache stays whole. */
    if (waitpid(*pid, NULL, WNOHANG) == 0) {
        kill(*pid, SIGKILL);
        waitpid(*pid, NULL, 0);
    }
    *pid = 0;
}
