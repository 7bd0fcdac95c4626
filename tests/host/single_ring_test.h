/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * single_ring_test.h - helpers shared by the lane tests (single_ring_*.c,
 * events_*.c): self-checking payloads, the run-length scale, CPU pinning,
 * child processes.  Include after kselftest_harness.h and host_test.h (or,
 * in tests/crash/, crash_env.h).
 *
 * Payload of event @seq of producer @prod (the validators' contract):
 *	u32 producer, u32 length, u64 seq, then length - 16 bytes of
 *	lt_byte(prod, seq, i)
 * with a length that varies with seq between 16 and the slot size, so
 * wrap-around, lengths and contents are all checked.
 */
#ifndef _BYTEOR_SINGLE_RING_TEST_H
#define _BYTEOR_SINGLE_RING_TEST_H

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <byteor/single_ring.h>
#include <byteor/events.h>
#include "../common/lane_payload.h"

#define LT_HDR		LP_HDR


/*
 * The run-length scale: BYTEOR_TEST_SCALE (a float) multiplies the event
 * counts.  Default 1, or 0.05 in a sanitizer build (ASan/TSan run such
 * code 5-20 times slower).  Never below @min.
 */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define LT_SCALE_DEFAULT	0.05
#else
#define LT_SCALE_DEFAULT	1.0
#endif

static inline unsigned long long lt_scaled(unsigned long long n,
					   unsigned long long min)
{
	const char *s = getenv("BYTEOR_TEST_SCALE");
	double f = s ? strtod(s, NULL) : LT_SCALE_DEFAULT;
	unsigned long long v;

	if (!(f > 0))
		f = LT_SCALE_DEFAULT;
	v = (unsigned long long)((double)n * f);
	return v < min ? min : v;
}

/* The payload codec, shared with the kernel-backing lane tests. */
#define lt_hdr		lp_hdr
#define lt_len		lp_len
#define lt_byte		lp_byte
#define lt_fill		lp_fill
#define lt_check	lp_check

/* Pin the caller to CPU @cpu modulo the CPUs it may use (no-op on one CPU). */
static inline void lt_pin(int cpu)
{
	cpu_set_t allowed, one;
	int n, i, k = 0;

	if (sched_getaffinity(0, sizeof(allowed), &allowed))
		return;
	n = CPU_COUNT(&allowed);
	if (n < 2)
		return;
	cpu %= n;
	for (i = 0; i < CPU_SETSIZE; i++) {
		if (!CPU_ISSET(i, &allowed))
			continue;
		if (k++ == cpu) {
			CPU_ZERO(&one);
			CPU_SET(i, &one);
			sched_setaffinity(0, sizeof(one), &one);
			return;
		}
	}
}

/* fork(); the child dies with its parent (a failed test leaves no orphans). */
static inline pid_t lt_fork(void)
{
	pid_t parent = getpid();
	pid_t pid = fork();

	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(98);
	}
	return pid;
}

/* Exit status of child @pid (0..255), 128 + signal, or -1. */
static inline int lt_status(pid_t pid)
{
	int st = ht_wait(pid);

	if (st < 0)
		return -1;
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WEXITSTATUS(st);
}

static inline long long lt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Options for a lane attach in test directory (or name prefix) @dir. */
static inline struct byteor_attach_options lt_opts(const char *dir,
						   const char *name,
						   unsigned int queue,
						   long long timeout_ns)
{
	struct byteor_attach_options o = {
		.name = ht_rname(dir, name), .queue = queue,
		.backing = HT_BACKING, .dir = ht_rdir(dir),
		.timeout_ns = timeout_ns,
	};

	return o;
}

static inline int lt_create_ring(const char *dir, const char *name,
				 __u32 slot_size, __u32 capacity)
{
	struct byteor_geometry g = ht_geom(slot_size, capacity, 1, 1);

	return ht_create(dir, name, BYTEOR_KIND_SINGLE_RING, &g);
}

static inline int lt_create_events(const char *dir, const char *name,
				   __u32 slot_size, __u32 capacity,
				   __u32 queues, __u32 producers, __u64 mpsc_mask)
{
	struct byteor_events_chain_options c = {
		.name = ht_rname(dir, name), .slot_size = slot_size,
		.capacity = capacity, .queues = queues, .producers = producers,
		.mpsc_mask = mpsc_mask, .backing = HT_BACKING, .dir = ht_rdir(dir),
	};

	return byteor_events_chain_region_create(&c, NULL);
}

/* Child-side failure report: print why, exit with a distinct code. */
#define LT_DIE(code, ...) do {						\
	fprintf(stderr, "# child %d: ", (int)getpid());			\
	fprintf(stderr, __VA_ARGS__);					\
	fprintf(stderr, "\n");						\
	_exit(code);							\
} while (0)

#endif /* _BYTEOR_SINGLE_RING_TEST_H */
