// SPDX-License-Identifier: MIT
/*
 * run.c - TSC calibration, shared memory, pinned sides (threads or forked
 * processes) and the start barrier.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "bench.h"

double tsc_ghz = 1.0;
struct run *R;
int quick;

uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/*
 * Ticks per ns against CLOCK_MONOTONIC over ~200 ms, taking each end as the
 * TSC midpoint around a clock read, best of three.
 */
void tsc_calibrate(void)
{
	double best = 0, err_best = 1e9;
	int k;

	for (k = 0; k < 3; k++) {
		uint64_t a0 = tsc_now(), m0 = mono_ns(), a1 = tsc_now();
		uint64_t b0, m1, b1;
		struct timespec d = { 0, quick ? 50000000 : 200000000 };
		double g, err;

		nanosleep(&d, NULL);
		b0 = tsc_now();
		m1 = mono_ns();
		b1 = tsc_now();
		g = ((double)(b0 + b1) / 2 - (double)(a0 + a1) / 2) / (double)(m1 - m0);
		err = (double)(a1 - a0 + b1 - b0);
		if (err < err_best) {
			err_best = err;
			best = g;
		}
	}
	tsc_ghz = best;
}

void *shm_alloc(size_t size, int huge)
{
	unsigned int flags = MFD_CLOEXEC | (huge ? MFD_HUGETLB : 0);
	/* every size rounded to 2 MiB, so shm_free() needs no page size */
	size_t sz = (size + (2u << 20) - 1) & ~((size_t)(2u << 20) - 1);
	int fd = memfd_create("bench", flags);
	void *p;

	if (fd < 0)
		return NULL;
	if (ftruncate(fd, (off_t)sz)) {
		close(fd);
		return NULL;
	}
	p = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return NULL;
	/* hugetlb pages come zeroed; touch 4 KiB ones so no fault lands in a run */
	memset(p, 0, sz);
	return p;
}

void shm_free(void *p, size_t size)
{
	if (p)
		munmap(p, (size + (2u << 20) - 1) & ~((size_t)(2u << 20) - 1));
}

void pin_self(int cpu)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	pthread_setaffinity_np(pthread_self(), sizeof(s), &s);
}

/*
 * A side's involuntary context switches count from the start barrier on:
 * starting, pinning and waiting at the barrier for a peer that the main
 * thread is still creating are not the measured loop.
 */
static __thread uint64_t csw_at_ready;
static __thread int csw_ready;

static uint64_t nivcsw(int who);

void run_ready(void)
{
	__atomic_fetch_add(&R->ready, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&R->ready, __ATOMIC_ACQUIRE) < R->nsides)
		;
	csw_at_ready = nivcsw(R->proc ? RUSAGE_SELF : RUSAGE_THREAD);
	csw_ready = 1;
}

int run_fail(int err, const char *fmt, ...)
{
	va_list ap;

	if (!R->err) {
		R->err = err ? err : -1;
		va_start(ap, fmt);
		vsnprintf(R->errmsg, sizeof(R->errmsg), fmt, ap);
		va_end(ap);
	}
	/* Let a peer stuck at the barrier go on (it fails on its own). */
	__atomic_store_n(&R->ready, 1 << 20, __ATOMIC_RELEASE);
	return err ? err : -1;
}

struct side_arg {
	side_fn fn;
	void *ctx;
	int side;
	int cpu;
	int rc;
	pthread_t th;
};

/* Involuntary context switches so far of this thread (@who RUSAGE_THREAD) or process. */
static uint64_t nivcsw(int who)
{
	struct rusage ru;

	return getrusage(who, &ru) ? 0 : (uint64_t)ru.ru_nivcsw;
}

static void *side_thread(void *p)
{
	struct side_arg *a = p;
	uint64_t c0;

	pin_self(a->cpu);
	csw_ready = 0;
	c0 = nivcsw(RUSAGE_THREAD);
	a->rc = a->fn(a->ctx, a->side);
	R->preempt[a->side] = nivcsw(RUSAGE_THREAD) - (csw_ready ? csw_at_ready : c0);
	return NULL;
}

uint64_t run_preempted(void)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < R->nsides && i < SIDES_MAX; i++)
		n += R->preempt[i];
	return n;
}

int run_sides(side_fn fn, void *ctx, int nsides, const int *cpus, int timeout_s)
{
	struct side_arg a[SIDES_MAX];
	pid_t pid[SIDES_MAX];
	uint64_t deadline = mono_ns() + (uint64_t)timeout_s * 1000000000ULL;
	int i, rc = 0;

	R->nsides = nsides;
	__atomic_store_n(&R->ready, 0, __ATOMIC_RELEASE);
	R->err = 0;
	R->errmsg[0] = 0;
	memset(R->t_start, 0, sizeof(R->t_start));
	memset(R->t_end, 0, sizeof(R->t_end));
	memset(R->aux, 0, sizeof(R->aux));
	memset(R->preempt, 0, sizeof(R->preempt));

	if (!R->proc) {
		for (i = 0; i < nsides; i++) {
			a[i] = (struct side_arg){ fn, ctx, i, cpus[i], 0, 0 };
			if (pthread_create(&a[i].th, NULL, side_thread, &a[i])) {
				fprintf(stderr, "bench: pthread_create failed\n");
				exit(2);
			}
		}
		for (i = 0; i < nsides; i++) {
			struct timespec ts = { (time_t)(deadline / 1000000000ULL),
					       (long)(deadline % 1000000000ULL) };
			struct timespec now;

			/* pthread_timedjoin_np takes CLOCK_REALTIME: convert. */
			clock_gettime(CLOCK_REALTIME, &now);
			ts.tv_sec = now.tv_sec + (time_t)((deadline - mono_ns()) / 1000000000ULL) + 1;
			if (pthread_timedjoin_np(a[i].th, NULL, &ts)) {
				/* every polling loop stops on R->err: ask, then wait a bit */
				run_fail(-ETIMEDOUT, "side timed out after %d s", timeout_s);
				clock_gettime(CLOCK_REALTIME, &now);
				ts.tv_sec = now.tv_sec + 10;
				if (pthread_timedjoin_np(a[i].th, NULL, &ts)) {
					fprintf(stderr, "bench: a side thread hung (> %d s); giving up\n",
						timeout_s);
					exit(3);
				}
			}
			if (a[i].rc && !rc)
				rc = a[i].rc;
		}
		return R->err ? R->err : rc;
	}

	fflush(NULL);
	for (i = 0; i < nsides; i++) {
		pid[i] = fork();
		if (pid[i] == 0) {
			uint64_t c0;
			int ret;

			pin_self(cpus[i]);
			csw_ready = 0;
			c0 = nivcsw(RUSAGE_SELF);
			ret = fn(ctx, i);
			R->preempt[i] = nivcsw(RUSAGE_SELF) - (csw_ready ? csw_at_ready : c0);
			_exit(ret ? 1 : 0);
		}
		if (pid[i] < 0) {
			fprintf(stderr, "bench: fork failed\n");
			exit(2);
		}
	}
	for (i = 0; i < nsides; i++) {
		int st;

		for (;;) {
			pid_t w = waitpid(pid[i], &st, WNOHANG);

			if (w == pid[i])
				break;
			if (mono_ns() > deadline) {
				int j;

				for (j = 0; j < nsides; j++)
					kill(pid[j], SIGKILL);
				waitpid(pid[i], &st, 0);
				run_fail(-ETIMEDOUT, "side timed out after %d s", timeout_s);
				break;
			}
			usleep(2000);
		}
		if ((!WIFEXITED(st) || WEXITSTATUS(st)) && !rc)
			rc = -1;
	}
	if (R->err)
		return R->err;
	if (rc)
		run_fail(-ECHILD, "a side process failed");
	return R->err;
}
