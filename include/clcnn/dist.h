/* clcnn/dist.h: the process's place in an MPI job: whether a launcher (mpirun, srun) started it,
 * MPI's start and end, the rank and size in the job and on this host. Built without MPI, or run
 * without a launcher, every process is rank 0 of 1 and MPI is never touched, so a plain run can
 * neither call MPI_Init nor hang in it. */
#ifndef CLCNN_DIST_H
#define CLCNN_DIST_H

#include <stddef.h>

#include "clcnn/export.h"
#include "clcnn/status.h"

/* Whether the environment names an MPI launcher: Open MPI's OMPI_COMM_WORLD_SIZE, PMI/PMIx
 * (MPICH's Hydra, Slurm's srun) PMI_SIZE, PMIX_RANK, or SLURM_PROCID with SLURM_NTASKS. */
CLCNN_API int clcnn_dist_launched(void);

/* Starts MPI when built with it and launched (else does nothing) and learns the ranks. A second
 * call does nothing. */
CLCNN_API clcnn_status clcnn_dist_init(int *argc, char ***argv);
CLCNN_API void clcnn_dist_finalize(void);

/* Whether MPI is running (built in, launched, initialized). */
CLCNN_API int clcnn_dist_active(void);
CLCNN_API int clcnn_dist_rank(void);
CLCNN_API int clcnn_dist_size(void);
/* This process's rank among those on its host, and how many share the host. */
CLCNN_API int clcnn_dist_local_rank(void);
CLCNN_API int clcnn_dist_local_size(void);

/* The host's name as MPI knows it (the hostname without MPI); buf of n bytes. */
CLCNN_API void clcnn_dist_host_name(char *buf, int n);

/* Rank 0 receives every rank's `bytes` bytes at mine, in rank order, into all (size x bytes);
 * the other ranks' all is untouched. Without MPI it copies mine. */
CLCNN_API clcnn_status clcnn_dist_gather(const void *mine, int bytes, void *all);

/* Point-to-point messages of bytes between ranks (MPI only; UNSUPPORTED without it). recv waits
 * for a message from `from` (-1: any rank) with `tag` (-1: any tag) and returns its tag, its
 * sender and its bytes, malloc'ed into *data (the caller frees it; NULL when empty). */
CLCNN_API clcnn_status clcnn_dist_send(int to, int tag, const void *data, size_t n);
CLCNN_API clcnn_status clcnn_dist_recv(int from, int *tag, int *sender, void **data, size_t *n);

/* Collectives over every rank (data-parallel training). Each rank's n values (floats or doubles)
 * at buf become their sum over the ranks, the same on every rank; without MPI (or with one
 * rank) buf is unchanged. */
typedef enum { CLCNN_DIST_FLOAT, CLCNN_DIST_DOUBLE } clcnn_dist_type;
CLCNN_API clcnn_status clcnn_dist_allreduce_sum(void *buf, size_t n, clcnn_dist_type type);
/* The same sum, non-blocking: clcnn_dist_iallreduce_sum starts it over n floats at buf (which
 * stay untouched until it completes), clcnn_dist_test_all lets the started sums progress and sets
 * *done when all have completed, clcnn_dist_wait_all completes them all. Every rank starts the
 * same sums (same n) in the same order. At most CLCNN_DIST_MAX_PENDING at once. Without MPI (or
 * with one rank) buf is unchanged and nothing is pending. */
#define CLCNN_DIST_MAX_PENDING 64
CLCNN_API clcnn_status clcnn_dist_iallreduce_sum(float *buf, size_t n);
CLCNN_API clcnn_status clcnn_dist_test_all(int *done);
CLCNN_API clcnn_status clcnn_dist_wait_all(void);
/* Rank 0's bytes at buf replace every other rank's; without MPI it does nothing. */
CLCNN_API clcnn_status clcnn_dist_bcast(void *buf, size_t bytes);

/* Ends every rank of the job with code (after a rank's error, so none waits forever). Returns
 * only without MPI. */
CLCNN_API void clcnn_dist_abort(int code);

/* Gives each rank of a shared CPU its share of the cores: when several ranks run on this host
 * and the user did not set POCL_MAX_PTHREAD_COUNT, sets it to cores / local ranks (at least 1).
 * Must run before the first OpenCL call (PoCL reads it when its pthread device starts). */
CLCNN_API void clcnn_dist_share_cpu(void);

#endif
