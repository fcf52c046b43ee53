/* dist/dist.c: MPI's start and end and the process's ranks (clcnn/dist.h). Everything MPI is behind
 * CLCNN_HAVE_MPI; the launcher test comes first so a plain run never enters MPI_Init. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef CLCNN_HAVE_MPI
#include <mpi.h>
#endif

#include "clcnn/dist.h"
#include "core/core.h"

static struct {
    int initialized, active;
    int rank, size, local_rank, local_size;
} g = {0, 0, 0, 1, 0, 1};

int clcnn_dist_launched(void) {
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMI_RANK", "PMIX_RANK",
                                       "MPI_LOCALNRANKS"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        if (getenv(vars[i])) return 1;
    return getenv("SLURM_PROCID") && getenv("SLURM_NTASKS") && getenv("SLURM_STEP_ID");
}

clcnn_status clcnn_dist_init(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    if (g.initialized) return CLCNN_STATUS_OK;
    g.initialized = 1;
#ifdef CLCNN_HAVE_MPI
    if (!clcnn_dist_launched()) return CLCNN_STATUS_OK;
    int flag = 0;
    MPI_Initialized(&flag);
    if (!flag && MPI_Init(argc, argv) != MPI_SUCCESS)
        return clcnn_fail(CLCNN_STATUS_IO_ERROR, "MPI_Init failed");
    g.active = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &g.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &g.size);
    MPI_Comm local;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, g.rank, MPI_INFO_NULL, &local);
    MPI_Comm_rank(local, &g.local_rank);
    MPI_Comm_size(local, &g.local_size);
    MPI_Comm_free(&local);
#endif
    return CLCNN_STATUS_OK;
}

void clcnn_dist_finalize(void) {
#ifdef CLCNN_HAVE_MPI
    if (g.active) {
        int done = 0;
        MPI_Finalized(&done);
        if (!done) MPI_Finalize();
    }
#endif
    g.active = 0;
}

int clcnn_dist_active(void) {
    return g.active;
}
int clcnn_dist_rank(void) {
    return g.rank;
}
int clcnn_dist_size(void) {
    return g.size;
}
int clcnn_dist_local_rank(void) {
    return g.local_rank;
}
int clcnn_dist_local_size(void) {
    return g.local_size;
}

void clcnn_dist_host_name(char *buf, int n) {
    if (n <= 0) return;
    buf[0] = '\0';
#ifdef CLCNN_HAVE_MPI
    if (g.active && n >= MPI_MAX_PROCESSOR_NAME) {
        int len = 0;
        if (MPI_Get_processor_name(buf, &len) == MPI_SUCCESS) return;
    }
#endif
    if (gethostname(buf, (size_t)n) != 0) snprintf(buf, (size_t)n, "?");
    buf[n - 1] = '\0';
}

clcnn_status clcnn_dist_gather(const void *mine, int bytes, void *all) {
#ifdef CLCNN_HAVE_MPI
    if (g.active) {
        if (MPI_Gather(mine, bytes, MPI_BYTE, all, bytes, MPI_BYTE, 0, MPI_COMM_WORLD) !=
            MPI_SUCCESS)
            return clcnn_fail(CLCNN_STATUS_IO_ERROR, "MPI_Gather failed");
        return CLCNN_STATUS_OK;
    }
#endif
    memcpy(all, mine, (size_t)bytes);
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_dist_send(int to, int tag, const void *data, size_t n) {
#ifdef CLCNN_HAVE_MPI
    if (g.active) {
        if (n > INT_MAX)
            return clcnn_fail(CLCNN_STATUS_UNSUPPORTED, "MPI message of %zu bytes is too large", n);
        if (MPI_Send(data, (int)n, MPI_BYTE, to, tag, MPI_COMM_WORLD) != MPI_SUCCESS)
            return clcnn_fail(CLCNN_STATUS_IO_ERROR, "MPI_Send to rank %d failed", to);
        return CLCNN_STATUS_OK;
    }
#endif
    (void)to, (void)tag, (void)data, (void)n;
    return clcnn_fail(CLCNN_STATUS_UNSUPPORTED, "not running under MPI");
}

clcnn_status clcnn_dist_recv(int from, int *tag, int *sender, void **data, size_t *n) {
    *data = NULL;
    *n = 0;
#ifdef CLCNN_HAVE_MPI
    if (g.active) {
        MPI_Status st;
        int count = 0;
        if (MPI_Probe(from < 0 ? MPI_ANY_SOURCE : from, *tag < 0 ? MPI_ANY_TAG : *tag,
                      MPI_COMM_WORLD, &st) != MPI_SUCCESS ||
            MPI_Get_count(&st, MPI_BYTE, &count) != MPI_SUCCESS)
            return clcnn_fail(CLCNN_STATUS_IO_ERROR, "MPI_Probe failed");
        void *buf = count ? malloc((size_t)count) : NULL;
        if (count && !buf)
            return clcnn_fail(CLCNN_STATUS_OUT_OF_MEMORY, "MPI: no memory for %d bytes", count);
        if (MPI_Recv(buf, count, MPI_BYTE, st.MPI_SOURCE, st.MPI_TAG, MPI_COMM_WORLD,
                     MPI_STATUS_IGNORE) != MPI_SUCCESS) {
            free(buf);
            return clcnn_fail(CLCNN_STATUS_IO_ERROR, "MPI_Recv from rank %d failed", st.MPI_SOURCE);
        }
        *tag = st.MPI_TAG;
        *sender = st.MPI_SOURCE;
        *data = buf;
        *n = (size_t)count;
        return CLCNN_STATUS_OK;
    }
#endif
    (void)from, (void)tag, (void)sender;
    return clcnn_fail(CLCNN_STATUS_UNSUPPORTED, "not running under MPI");
}

clcnn_status clcnn_dist_allreduce_sum(void *buf, size_t n, clcnn_dist_type type) {
#ifdef CLCNN_HAVE_MPI
    if (g.active && g.size > 1) {
        MPI_Datatype t = type == CLCNN_DIST_DOUBLE ? MPI_DOUBLE : MPI_FLOAT;
        size_t size = type == CLCNN_DIST_DOUBLE ? sizeof(double) : sizeof(float);
        /* MPI counts are ints: larger arrays go in pieces of at most INT_MAX elements. */
        for (size_t done = 0; done < n;) {
            size_t part = n - done < (size_t)INT_MAX ? n - done : (size_t)INT_MAX;
            if (MPI_Allreduce(MPI_IN_PLACE, (char *)buf + done * size, (int)part, t, MPI_SUM,
                              MPI_COMM_WORLD) != MPI_SUCCESS)
                return clcnn_fail(CLCNN_STATUS_IO_ERROR, "MPI_Allreduce of %zu values failed", n);
            done += part;
        }
    }
#endif
    (void)buf, (void)n, (void)type;
    return CLCNN_STATUS_OK;
}

#ifdef CLCNN_HAVE_MPI
static MPI_Request pending[CLCNN_DIST_MAX_PENDING];
#endif
static int n_pending;

clcnn_status clcnn_dist_iallreduce_sum(float *buf, size_t n) {
#ifdef CLCNN_HAVE_MPI
    if (g.active && g.size > 1) {
        if (n > (size_t)INT_MAX || n_pending == CLCNN_DIST_MAX_PENDING)
            return clcnn_fail(CLCNN_STATUS_UNSUPPORTED,
                              "non-blocking MPI_Iallreduce of %zu floats (%d already pending)", n,
                              n_pending);
        if (MPI_Iallreduce(MPI_IN_PLACE, buf, (int)n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD,
                           &pending[n_pending]) != MPI_SUCCESS)
            return clcnn_fail(CLCNN_STATUS_IO_ERROR, "MPI_Iallreduce of %zu values failed", n);
        n_pending++;
    }
#endif
    (void)buf, (void)n;
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_dist_test_all(int *done) {
    *done = 1;
#ifdef CLCNN_HAVE_MPI
    if (n_pending) {
        if (MPI_Testall(n_pending, pending, done, MPI_STATUSES_IGNORE) != MPI_SUCCESS)
            return clcnn_fail(CLCNN_STATUS_IO_ERROR, "MPI_Testall failed");
        if (*done) n_pending = 0;
    }
#endif
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_dist_wait_all(void) {
#ifdef CLCNN_HAVE_MPI
    int count = n_pending;
    n_pending = 0;
    if (count && MPI_Waitall(count, pending, MPI_STATUSES_IGNORE) != MPI_SUCCESS)
        return clcnn_fail(CLCNN_STATUS_IO_ERROR, "MPI_Waitall of %d sums failed", count);
#endif
    return CLCNN_STATUS_OK;
}

clcnn_status clcnn_dist_bcast(void *buf, size_t bytes) {
#ifdef CLCNN_HAVE_MPI
    if (g.active && g.size > 1)
        for (size_t done = 0; done < bytes;) {
            size_t part = bytes - done < (size_t)INT_MAX ? bytes - done : (size_t)INT_MAX;
            if (MPI_Bcast((char *)buf + done, (int)part, MPI_BYTE, 0, MPI_COMM_WORLD) !=
                MPI_SUCCESS)
                return clcnn_fail(CLCNN_STATUS_IO_ERROR, "MPI_Bcast of %zu bytes failed", bytes);
            done += part;
        }
#endif
    (void)buf, (void)bytes;
    return CLCNN_STATUS_OK;
}

void clcnn_dist_abort(int code) {
#ifdef CLCNN_HAVE_MPI
    if (g.active) MPI_Abort(MPI_COMM_WORLD, code);
#endif
    (void)code;
}

void clcnn_dist_share_cpu(void) {
    if (g.local_size <= 1 || getenv("POCL_MAX_PTHREAD_COUNT")) return;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    long share = cores / g.local_size;
    char v[32];
    snprintf(v, sizeof v, "%ld", share > 0 ? share : 1);
    setenv("POCL_MAX_PTHREAD_COUNT", v, 0);
}
