// SPDX-License-Identifier: MIT
/*
 * wait_futex.c - parking and waking through futex(2) and futex_waitv(2).
 *
 * Every futex here is SHARED (no FUTEX_PRIVATE_FLAG / FUTEX2_PRIVATE): the
 * words live in a MAP_SHARED region and the waker is another process.  The
 * kernel keys a shared futex by the backing page (inode + offset), so the
 * waker's and the waiter's mappings may sit at different addresses.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>

#include "wait_pvt.h"

#ifndef SYS_futex_waitv
#define SYS_futex_waitv 449
#endif

/*
 * __byteor_futex_wait() - FUTEX_WAIT on @word while it holds @val, until
 * woken or CLOCK_MONOTONIC reaches @deadline_ns (< 0: no deadline).
 * Return: 0 woken (or spuriously), -EAGAIN @word != @val, -ETIMEDOUT,
 * -EINTR (signal; the caller re-checks and parks again), other -errno.
 */
int __byteor_futex_wait(_Atomic uint32_t *word, uint32_t val,
			long long deadline_ns)
{
	struct timespec ts, *tsp = NULL;
	long ret;

	if (deadline_ns >= 0) {
		long long left = deadline_ns - __byteor_now_ns();

		if (left <= 0)
			return -ETIMEDOUT;
		/* FUTEX_WAIT takes a RELATIVE timeout (CLOCK_MONOTONIC). */
		ts.tv_sec = left / 1000000000LL;
		ts.tv_nsec = left % 1000000000LL;
		tsp = &ts;
	}
	ret = __byteor_sys(SYS_futex, (long)word, FUTEX_WAIT, val, (long)tsp,
			   0, 0);
	return ret == -EWOULDBLOCK ? -EAGAIN : (int)ret;
}

/*
 * __byteor_futex_waitv() - futex_waitv(2) on @n words; wakes on any.
 * Return: index of the woken word (>= 0), -EAGAIN a word moved,
 * -ETIMEDOUT, -EINTR, -ENOSYS (kernel < 5.16), other -errno.
 */
int __byteor_futex_waitv(struct futex_waitv *v, unsigned int n,
			 long long deadline_ns)
{
	struct timespec ts, *tsp = NULL;
	long ret;

	if (deadline_ns >= 0) {
		/* futex_waitv takes an ABSOLUTE timeout on the given clock. */
		ts.tv_sec = deadline_ns / 1000000000LL;
		ts.tv_nsec = deadline_ns % 1000000000LL;
		tsp = &ts;
	}
	ret = __byteor_sys(SYS_futex_waitv, (long)v, n, 0, (long)tsp,
			   CLOCK_MONOTONIC, 0);
	return ret == -EWOULDBLOCK ? -EAGAIN : (int)ret;
}

/*
 * __byteor_futex_wake() - FUTEX_WAKE up to @n waiters of @word (shared).
 * Wakes futex(2), futex_waitv(2) and io_uring FUTEX_WAIT(V) waiters alike:
 * they all queue in the same futex hash bucket under the same shared key,
 * with the match-any bitset.
 * Return: number woken, or -errno.
 */
int __byteor_futex_wake(_Atomic uint32_t *word, int n)
{
	return (int)__byteor_sys(SYS_futex, (long)word, FUTEX_WAKE, n, 0, 0, 0);
}

/* Does futex_waitv(2) exist?  An empty vector is -EINVAL where it does. */
int __byteor_futex_waitv_probe(void)
{
	return __byteor_sys(SYS_futex_waitv, 0, 0, 0, 0, CLOCK_MONOTONIC, 0) !=
	       -ENOSYS;
}
