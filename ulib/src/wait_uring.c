// SPDX-License-Identifier: MIT
/*
 * wait_uring.c - parking through io_uring IORING_OP_FUTEX_WAIT / _WAITV
 * (Linux >= 6.7), with raw io_uring_setup(2) / io_uring_enter(2) and our own
 * SQ/CQ ring mapping.  No liburing: Debian 12 ships 2.3, older than its futex
 * helpers, and a waiter needs only "submit one futex wait, maybe linked to a
 * timeout, then reap its completions".
 *
 * One ring per waiter (struct __byteor_uring), used by one thread at a time.
 * A park submits
 *
 *	FUTEX_WAIT(V) [IOSQE_IO_LINK] -> LINK_TIMEOUT (absolute CLOCK_MONOTONIC)
 *
 * and reaps every completion it caused before returning, so no request ever
 * stays in flight between parks.  The futex is SHARED (no FUTEX2_PRIVATE):
 * the waker calls futex(2) FUTEX_WAKE from another process, which wakes
 * io_uring futex waiters too (same hash bucket, same key, match-any bitset).
 */
#include <errno.h>
#include <linux/futex.h>
#include <linux/io_uring.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "wait_pvt.h"

/* Not in Debian 12's <linux/io_uring.h> (6.1 uapi); values are ABI. */
#define BYTEOR_IORING_OP_FUTEX_WAIT	51
#define BYTEOR_IORING_OP_FUTEX_WAITV	53
#define BYTEOR_FUTEX2_SIZE_U32		0x02U	/* not FUTEX2_PRIVATE (128) */
#define BYTEOR_FUTEX_BITSET_ANY		0xffffffffULL

#define UD_FUTEX	1ULL
#define UD_TIMEOUT	2ULL

_Static_assert(sizeof(struct io_uring_sqe) == 64, "sqe");
_Static_assert(sizeof(struct io_uring_cqe) == 16, "cqe");
_Static_assert(offsetof(struct io_uring_sqe, off) == 8, "sqe off/addr2");
_Static_assert(offsetof(struct io_uring_sqe, rw_flags) == 28,
	       "sqe futex_flags shares the op-flags union");
_Static_assert(offsetof(struct io_uring_sqe, addr3) == 48, "sqe addr3");

static void *map(size_t len, int fd, long off)
{
	int saved = errno;
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_POPULATE, fd, off);

	errno = saved;
	return p;
}

static void unmap(void *p, size_t len)
{
	int saved = errno;

	if (p && p != MAP_FAILED)
		munmap(p, len);
	errno = saved;
}

void __byteor_uring_teardown(struct __byteor_uring *r)
{
	if (r->cq_map != r->sq_map)
		unmap(r->cq_map, r->cq_map_len);
	unmap(r->sq_map, r->sq_map_len);
	unmap(r->sqes, r->sqes_len);
	if (r->fd >= 0) {
		int saved = errno;

		/*
		 * libc's close(), not the raw call: ThreadSanitizer saw the
		 * descriptor through mmap() above and forgets it only at a
		 * close() it intercepts; otherwise the next thread to get
		 * the same number and close it is reported racing with us.
		 */
		close(r->fd);
		errno = saved;
	}
	memset(r, 0, sizeof(*r));
	r->fd = -1;
}

/*
 * __byteor_uring_setup() - a 4-entry ring (a park needs 2 SQEs).
 * Return: 0, or -errno of io_uring_setup() (-EPERM: io_uring_disabled,
 * seccomp; -ENOSYS) or mmap().
 */
int __byteor_uring_setup(struct __byteor_uring *r)
{
	struct io_uring_params p;
	size_t sq_len, cq_len;
	char *sq, *cq;
	long fd;

	memset(r, 0, sizeof(*r));
	r->fd = -1;
	memset(&p, 0, sizeof(p));
	fd = __byteor_sys(__NR_io_uring_setup, 4, (long)&p, 0, 0, 0, 0);
	if (fd < 0)
		return (int)fd;
	r->fd = (int)fd;

	sq_len = p.sq_off.array + p.sq_entries * sizeof(__u32);
	cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	if (p.features & IORING_FEAT_SINGLE_MMAP) {
		if (cq_len > sq_len)
			sq_len = cq_len;
		cq_len = sq_len;
	}
	sq = map(sq_len, r->fd, IORING_OFF_SQ_RING);
	if (sq == MAP_FAILED)
		goto fail;
	r->sq_map = sq;
	r->sq_map_len = sq_len;
	if (p.features & IORING_FEAT_SINGLE_MMAP) {
		cq = sq;
	} else {
		cq = map(cq_len, r->fd, IORING_OFF_CQ_RING);
		if (cq == MAP_FAILED)
			goto fail;
	}
	r->cq_map = cq;
	r->cq_map_len = cq_len;
	r->sqes_len = p.sq_entries * sizeof(struct io_uring_sqe);
	r->sqes = map(r->sqes_len, r->fd, IORING_OFF_SQES);
	if (r->sqes == MAP_FAILED) {
		r->sqes = NULL;
		goto fail;
	}

	r->sq_entries = p.sq_entries;
	r->sq_mask = *(unsigned int *)(sq + p.sq_off.ring_mask);
	r->sq_head = (_Atomic unsigned int *)(sq + p.sq_off.head);
	r->sq_tail = (_Atomic unsigned int *)(sq + p.sq_off.tail);
	r->sq_array = (unsigned int *)(sq + p.sq_off.array);
	r->cq_mask = *(unsigned int *)(cq + p.cq_off.ring_mask);
	r->cq_head = (_Atomic unsigned int *)(cq + p.cq_off.head);
	r->cq_tail = (_Atomic unsigned int *)(cq + p.cq_off.tail);
	r->cqes = cq + p.cq_off.cqes;
	return 0;
fail:
	__byteor_uring_teardown(r);
	return -ENOMEM;
}

/*
 * Submit @head (a filled futex SQE), linked to an absolute CLOCK_MONOTONIC
 * timeout at @deadline_ns if >= 0, and reap both completions.
 * Return: the futex request's result (0 / index woken, -EAGAIN,
 * -ETIMEDOUT when the timeout cancelled it, other -errno), or
 * -EIO when the ring misbehaved (the caller then drops the ring).
 */
static int uring_park(struct __byteor_uring *r, const struct io_uring_sqe *head,
		      long long deadline_ns)
{
	struct io_uring_sqe *sqes = r->sqes, *sqe;
	struct io_uring_cqe *cqes = r->cqes;
	struct __kernel_timespec ts;
	unsigned int tail, end, chead, ctail, i, nsub = 1, outstanding, pending;
	int fres = -EIO;
	long ret;

	/* We are the only SQ producer: our own tail needs no ordering. */
	tail = atomic_load_explicit(r->sq_tail, memory_order_relaxed);
	if (tail - atomic_load_explicit(r->sq_head, memory_order_acquire) != 0)
		return -EIO;	/* left-over entries: never happens */

	sqe = &sqes[tail & r->sq_mask];
	*sqe = *head;
	sqe->user_data = UD_FUTEX;
	if (deadline_ns >= 0) {
		ts.tv_sec = deadline_ns / 1000000000LL;
		ts.tv_nsec = deadline_ns % 1000000000LL;
		sqe->flags |= IOSQE_IO_LINK;
		sqe = &sqes[(tail + 1) & r->sq_mask];
		memset(sqe, 0, sizeof(*sqe));
		sqe->opcode = IORING_OP_LINK_TIMEOUT;
		sqe->fd = -1;
		sqe->addr = (uintptr_t)&ts;	/* read at submit (prep) */
		sqe->len = 1;
		sqe->timeout_flags = IORING_TIMEOUT_ABS; /* clock: MONOTONIC */
		sqe->user_data = UD_TIMEOUT;
		nsub = 2;
	}
	for (i = 0; i < nsub; i++)
		r->sq_array[(tail + i) & r->sq_mask] = (tail + i) & r->sq_mask;
	/*
	 * Release: the SQE and array writes above before the new tail.
	 * Pairs with the kernel's acquire load of sq.tail when it
	 * consumes entries (io_submit_sqes).
	 */
	end = tail + nsub;
	atomic_store_explicit(r->sq_tail, end, memory_order_release);

	outstanding = nsub;
	ret = __byteor_sys(__NR_io_uring_enter, r->fd, nsub, outstanding,
			   IORING_ENTER_GETEVENTS, 0, 0);
	for (;;) {
		/*
		 * Only a signal may interrupt the wait; anything else means
		 * the ring is unusable.  The caller then closes it, which
		 * cancels whatever is still in flight.
		 */
		if (ret < 0 && ret != -EINTR)
			return -EIO;
		chead = atomic_load_explicit(r->cq_head, memory_order_relaxed);
		/*
		 * Acquire: pairs with the kernel's release store of cq.tail
		 * after it wrote the CQE, so the CQE contents are visible.
		 */
		ctail = atomic_load_explicit(r->cq_tail, memory_order_acquire);
		for (; chead != ctail && outstanding; chead++, outstanding--) {
			struct io_uring_cqe *c = &cqes[chead & r->cq_mask];

			if (c->user_data == UD_FUTEX)
				fres = c->res;
		}
		/*
		 * Release: our reads of the CQEs before handing the slots
		 * back.  Pairs with the kernel's acquire of cq.head before it
		 * overwrites a slot.
		 */
		atomic_store_explicit(r->cq_head, chead, memory_order_release);
		if (!outstanding)
			break;
		/*
		 * Interrupted by a signal, or the first enter returned after
		 * submitting: submit what the kernel has not consumed yet (if
		 * anything) and wait for the rest.
		 */
		pending = end - atomic_load_explicit(r->sq_head,
						     memory_order_acquire);
		ret = __byteor_sys(__NR_io_uring_enter, r->fd, pending,
				   outstanding, IORING_ENTER_GETEVENTS, 0, 0);
	}
	/*
	 * Only our link timeout cancels the futex request.  (Its own CQE
	 * says -ETIME, or, since the timeout reports the cancel's result,
	 * the number of requests it cancelled: do not rely on it.)
	 */
	if (fres == -ECANCELED)
		return -ETIMEDOUT;
	if (fres == -EWOULDBLOCK)
		return -EAGAIN;
	return fres;
}

int __byteor_uring_wait(struct __byteor_uring *r, _Atomic uint32_t *word,
			uint32_t val, long long deadline_ns)
{
	struct io_uring_sqe sqe;

	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = BYTEOR_IORING_OP_FUTEX_WAIT;
	sqe.fd = BYTEOR_FUTEX2_SIZE_U32;	/* futex2 flags: u32, shared */
	sqe.addr = (uintptr_t)word;
	sqe.off = val;				/* expected value */
	sqe.addr3 = BYTEOR_FUTEX_BITSET_ANY;	/* wake mask */
	sqe.rw_flags = 0;			/* futex_flags: none defined */
	return uring_park(r, &sqe, deadline_ns);
}

int __byteor_uring_waitv(struct __byteor_uring *r, struct futex_waitv *v,
			 unsigned int n, long long deadline_ns)
{
	struct io_uring_sqe sqe;

	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = BYTEOR_IORING_OP_FUTEX_WAITV;
	sqe.fd = 0;				/* flags live in each entry */
	sqe.addr = (uintptr_t)v;		/* copied at submit (prep) */
	sqe.len = n;
	return uring_park(r, &sqe, deadline_ns);
}

/*
 * __byteor_uring_probe() - does io_uring futex waiting work for us?
 * A FUTEX_WAIT (and a FUTEX_WAITV) on a word whose value does not match
 * the expected one completes at once with -EAGAIN where the opcode is
 * supported; kernels before 6.7 answer -EINVAL (unknown opcode), kernels
 * without CONFIG_FUTEX -EOPNOTSUPP.
 * Return: 0 supported, else -errno (io_uring_setup()'s, or the request's).
 */
int __byteor_uring_probe(void)
{
	_Atomic uint32_t word = 0;
	struct futex_waitv v;
	struct __byteor_uring r;
	long long deadline;
	int ret;

	ret = __byteor_uring_setup(&r);
	if (ret)
		return ret;
	/* The deadline only guards against a kernel that would block. */
	deadline = __byteor_now_ns() + 1000000000LL;
	ret = __byteor_uring_wait(&r, &word, 1, deadline);
	if (ret == -EAGAIN) {
		memset(&v, 0, sizeof(v));
		v.val = 1;
		v.uaddr = (uintptr_t)&word;
		v.flags = BYTEOR_FUTEX2_SIZE_U32;
		ret = __byteor_uring_waitv(&r, &v, 1, deadline);
	}
	__byteor_uring_teardown(&r);
	if (ret == -EAGAIN)
		return 0;
	if (ret >= 0 || ret == -ETIMEDOUT)
		return -EINVAL;	/* did not check the value: unusable */
	return ret;
}
