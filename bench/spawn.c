/* bench/spawn.c: running other programs (CLBlast's tuners, clcnn-bench itself) with fork/exec,
 * an explicit environment, a working folder, a time limit and optional capture of stdout. The
 * parent may have OpenCL runtime threads, so the child does only async-signal-safe calls between
 * fork and exec; everything it needs (environment, paths) is prepared before the fork. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "spawn.h"

extern char **environ;

char **spawn_env(const char *const *set) {
    int n_env = 0, n_set = 0;
    while (environ[n_env]) n_env++;
    while (set && set[n_set]) n_set++;
    char **env = calloc((size_t)(n_env + n_set + 1), sizeof *env);
    if (!env) return NULL;
    int k = 0;
    for (int i = 0; i < n_env; i++) {
        int replaced = 0;
        for (int j = 0; j < n_set; j++) {
            size_t len = strcspn(set[j], "=");
            replaced |= strncmp(environ[i], set[j], len + 1) == 0;
        }
        if (!replaced) env[k++] = environ[i];
    }
    for (int j = 0; j < n_set; j++) env[k++] = (char *)set[j];
    return env;
}

static void child(char *const argv[], char *const envp[], const char *cwd, int out_fd, int err_fd) {
    if (cwd && chdir(cwd) != 0) _exit(126);
    if (out_fd >= 0 && dup2(out_fd, STDOUT_FILENO) < 0) _exit(126);
    if (err_fd >= 0 && dup2(err_fd, STDERR_FILENO) < 0) _exit(126);
    execve(argv[0], argv, envp);
    _exit(127);
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Appends what the pipe has to *buf; returns 0 at end of file. */
static int drain(int fd, char **buf, size_t *len, size_t *cap) {
    char chunk[4096];
    ssize_t got = read(fd, chunk, sizeof chunk);
    if (got < 0) return errno == EINTR || errno == EAGAIN;
    if (got == 0) return 0;
    if (*len + (size_t)got + 1 > *cap) {
        size_t cap2 = (*cap ? *cap * 2 : 8192) + (size_t)got;
        char *b = realloc(*buf, cap2);
        if (!b) return 0;
        *buf = b, *cap = cap2;
    }
    memcpy(*buf + *len, chunk, (size_t)got);
    *len += (size_t)got;
    (*buf)[*len] = '\0';
    return 1;
}

/* Waits for the child, reading the capture pipe (if any), killing it at the deadline. */
static int wait_child(pid_t pid, int pipe_fd, double limit_s, char **captured, int *timed_out) {
    size_t len = 0, cap = 0;
    double deadline = limit_s > 0 ? now() + limit_s : 0;
    int status = 0, open_pipe = pipe_fd >= 0;
    *timed_out = 0;
    for (;;) {
        if (open_pipe) {
            struct pollfd p = {pipe_fd, POLLIN, 0};
            if (poll(&p, 1, 200) > 0) open_pipe = drain(pipe_fd, captured, &len, &cap);
        } else {
            pid_t r = waitpid(pid, &status, WNOHANG);
            if (r == pid) break;
            if (r < 0 && errno != EINTR) return -1;
            struct timespec ts = {0, 200 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
        if (deadline && now() > deadline && !*timed_out) {
            kill(pid, SIGTERM); /* our own child, by its id */
            *timed_out = 1;
        }
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

clcnn_status spawn_run(const spawn_job *job, int *exit_code, int *timed_out) {
    int out_fd = -1, err_fd = -1, pipe_fds[2] = {-1, -1};
    if (job->captured) {
        *job->captured = NULL;
        if (pipe(pipe_fds) != 0)
            return clcnn_fail(CLCNN_STATUS_IO_ERROR, "pipe: %s", strerror(errno));
        fcntl(pipe_fds[0], F_SETFD, FD_CLOEXEC); /* dup2 gives the child an inheritable copy */
        fcntl(pipe_fds[1], F_SETFD, FD_CLOEXEC);
        out_fd = pipe_fds[1];
    } else if (job->stdout_path) {
        out_fd = open(job->stdout_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    }
    if (job->stderr_path)
        err_fd = open(job->stderr_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    pid_t pid = fork();
    if (pid == 0) child(job->argv, job->envp, job->cwd, out_fd, err_fd);
    int saved = errno;
    if (pipe_fds[1] >= 0) close(pipe_fds[1]);
    if (out_fd >= 0 && out_fd != pipe_fds[1]) close(out_fd);
    if (err_fd >= 0) close(err_fd);
    if (pid < 0) {
        if (pipe_fds[0] >= 0) close(pipe_fds[0]);
        return clcnn_fail(CLCNN_STATUS_IO_ERROR, "fork: %s", strerror(saved));
    }
    *exit_code = wait_child(pid, pipe_fds[0], job->limit_s, job->captured, timed_out);
    if (pipe_fds[0] >= 0) close(pipe_fds[0]);
    if (*exit_code == 127)
        return clcnn_fail(CLCNN_STATUS_NOT_FOUND, "cannot run '%s'", job->argv[0]);
    return CLCNN_STATUS_OK;
}
