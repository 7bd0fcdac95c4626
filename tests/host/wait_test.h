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

/*
 * Install a seccomp filter: the system calls in @allow[] pass, every
 * other one makes the kernel return @deny_ret (SECCOMP_RET_KILL_PROCESS,
 * or SECCOMP_RET_ERRNO | errno).  With @invert, @allow[] lists the calls
 * that get @deny_ret and every other one passes.  0 or -errno.
 */
static inline int wt_seccomp(const int *nrs, int n, int invert,
			     unsigned int deny_ret)
{
	struct sock_filter f[64];
	struct sock_fprog prog;
	int i, k = 0;
	unsigned int hit = invert ? deny_ret : SECCOMP_RET_ALLOW;
	unsigned int miss = invert ? SECCOMP_RET_ALLOW : deny_ret;

	if (n > 60)
		return -EINVAL;
	f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			offsetof(struct seccomp_data, nr));
	for (i = 0; i < n; i++) {
		/* match: jump to the "hit" return at the end */
		f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
				(unsigned int)nrs[i], (unsigned char)(n - i), 0);
	}
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, miss);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, hit);
	prog.len = (unsigned short)k;
	prog.filter = f;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
		return -errno;
	return 0;
}

#endif /* _BYTEOR_WAIT_TEST_H */
