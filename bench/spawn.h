/* bench/spawn.h: running a program with fork/exec (no shell, so no quoting), an explicit
 * environment, a working folder, a time limit, and stdout captured or sent to a file. */
#ifndef CLCNN_BENCH_SPAWN_H
#define CLCNN_BENCH_SPAWN_H

#include "core/core.h"

typedef struct spawn_job {
    char *const *argv;       /* argv[0] is the program's path (no PATH search) */
    char *const *envp;       /* from spawn_env */
    const char *cwd;         /* NULL: the current folder */
    const char *stdout_path; /* NULL: inherited (ignored when captured is set) */
    const char *stderr_path; /* NULL: inherited */
    char **captured;         /* non-NULL: stdout is read into a malloc'ed string (the caller frees) */
    double limit_s;          /* > 0: SIGTERM after this many seconds */
} spawn_job;

/* This process's environment with NAME=VALUE entries of `set` (NULL-terminated) added or
 * replacing. The array is malloc'ed (free it); the strings are borrowed. */
char **spawn_env(const char *const *set);

/* Runs the job to its end. *exit_code is the exit status, or 128 + signal. A program that cannot
 * be started is CLCNN_STATUS_NOT_FOUND. */
clcnn_status spawn_run(const spawn_job *job, int *exit_code, int *timed_out);

#endif
