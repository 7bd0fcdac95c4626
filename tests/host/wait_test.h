/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * wait_test.h - helpers shared by the tests/host/wait_*.c programs: a
 * MAP_SHARED memfd mapping two processes use, readiness checks, seccomp.
 * Include after kselftest_harness.h.
 */
#ifndef _BYTEOR_WAIT_TEST_H
#define _BYTEOR_WAIT_TEST_H

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "wait_pvt.h"
#include "../common/seccomp_filter.h"

#define WT_LANES	4

/* What two processes share: eventcounts and the lanes' published words. */
struct wt_shm {
	struct __byteor_ec ec[WT_LANES];
	struct {
		_Atomic uint64_t v;
		uint64_t pad[7];
	} word[WT_LANES];
};

static inline long long wt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline long long wt_thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* A memfd of one struct wt_shm, mapped; *fd keeps it for re-mapping. */
static inline struct wt_shm *wt_shm_create(int *fd)
{
	void *p;

	*fd = memfd_create("byteor-wait-test", MFD_CLOEXEC);
	if (*fd < 0)
		return NULL;
	if (ftruncate(*fd, sizeof(struct wt_shm)) < 0)
		return NULL;
	p = mmap(NULL, sizeof(struct wt_shm), PROT_READ | PROT_WRITE,
		 MAP_SHARED, *fd, 0);
	return p == MAP_FAILED ? NULL : p;
}

/*
 * A second mapping of the same memfd, at another address: shared futexes
 * are keyed by the file page, so waker and waiter need not agree on the
 * address (like two processes attached to one region).
 */
static inline struct wt_shm *wt_shm_remap(int fd)
{
	void *p = mmap(NULL, sizeof(struct wt_shm), PROT_READ | PROT_WRITE,
		       MAP_SHARED, fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* ready(): the published word reached a target value. */
struct wt_want {
	_Atomic uint64_t *word;
	uint64_t at_least;
};

static inline int wt_ready_ge(void *arg)
{
	struct wt_want *w = arg;

	/* Acquire: pairs with the publisher's release store of the word. */
	return atomic_load_explicit(w->word, memory_order_acquire) >=
	       w->at_least;
}

/* Publish like a lane: release store, then notify. */
static inline void wt_publish(struct wt_shm *s, int lane, uint64_t v)
{
	atomic_store_explicit(&s->word[lane].v, v, memory_order_release);
	__byteor_ec_notify(&s->ec[lane]);
}

/* wt_seccomp(): ../common/seccomp_filter.h (tp_seccomp()). */
#define wt_seccomp	tp_seccomp

#endif /* _BYTEOR_WAIT_TEST_H */
