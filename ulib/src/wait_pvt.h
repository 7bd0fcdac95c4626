/* SPDX-License-Identifier: MIT */
/*
 * wait_pvt.h - libbyteor's eventcount and waiters (docs/design.md section 8).
 * Private: do not include directly from applications; not installed.
 *
 * A lane puts one struct __byteor_ec per direction that can block (consumer
 * waiting for data, producer waiting for room) in its control block, on a
 * cache line of its own.  Usage by a lane:
 *
 *	attach (any end that publishes):	__byteor_notifier_init();
 *	attach (any end that waits):		__byteor_waiter_init_opts(&h->w, o);
 *	publish:	atomic_store_explicit(&ctl->tail, t, memory_order_release);
 *			__byteor_ec_notify(&ctl->ec);
 *	wait:		ret = __byteor_ec_wait(&ctl->ec, &h->w, ready, h, timeout);
 *	detach:		__byteor_waiter_fini(&h->w);
 *
 * ready(arg) is the lane's own check: > 0 ready, 0 not yet, < 0 an error the
 * wait returns as is (e.g. -EPIPE for a dead peer).  It must read the
 * published state with acquire loads and be cheap: the spin stages call it
 * in a loop.  A parked waiter also re-checks it every park slice (100 ms by
 * default), which is how it notices a peer that died without notifying.
 *
 * The memory-ordering argument for the eventcount is in wait.c (top).
 */
#ifndef _BYTEOR_WAIT_PVT_H
#define _BYTEOR_WAIT_PVT_H

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>
#include <byteor/common.h>
#include <byteor/wait.h>
#include <byteor/lane_inline.h>

#define __BYTEOR_HIDDEN __attribute__((visibility("hidden")))

/*
 * struct __byteor_ec - eventcount, in shared memory (a lane's control block).
 * @seq:     the futex word.  Bumped (release) by a notifier that saw waiters
 *           != 0, before it calls FUTEX_WAKE; waiters park on it with the
 *           value they read before their last readiness check.
 *           Free-running, compared for equality only.
 * @waiters: who is between announcing itself and leaving the wait (atomic
 *           RMW only): bit i (i < __BYTEOR_EC_SLOTS) a waiter holding slot
 *           i, and in bits 16..31 a count of waiters that found every slot
 *           taken (__BYTEOR_EC_SHARED_ONE each).  A notifier reads it after
 *           its publish; non-zero means "make the system call".
 * @owner:   slot i's holder, the thread id of the waiter (0 free,
 *           __BYTEOR_EC_REAPING while a liveness check frees it).
 *
 * Dead waiters: a waiter that dies between announcing and leaving would
 * keep @waiters non-zero for ever, and every later publish would pay a
 * FUTEX_WAKE.  A slot's bit is set and cleared by the one RMW that
 * announces and leaves, so the liveness check (__byteor_ec_reap()) can
 * free exactly the dead holder's bit: no count to get wrong.  Waiters of
 * the shared count (more than __BYTEOR_EC_SLOTS at once on one
 * eventcount) cannot be reaped; their death costs wake calls until the
 * region is re-created, as before.
 *
 * Shared memory is untrusted (docs/design.md section 7): a peer scribbling here
 * can cause spurious wake-ups, extra system calls or a missed wake-up (a
 * stall bounded by the park slice and the caller's timeout), never an
 * out-of-bounds access: nothing here is used as an index, and an @owner is
 * only ever passed to a liveness probe when it is a positive pid_t.
 */
#define __BYTEOR_EC_SLOTS		14
#define __BYTEOR_EC_SLOT_MASK		((1U << __BYTEOR_EC_SLOTS) - 1)
#define __BYTEOR_EC_SHARED_SHIFT	16
#define __BYTEOR_EC_SHARED_ONE		(1U << __BYTEOR_EC_SHARED_SHIFT)
#define __BYTEOR_EC_REAPING		0xffffffffU

struct __byteor_ec {
	_Atomic uint32_t seq;
	_Atomic uint32_t waiters;
	_Atomic uint32_t owner[__BYTEOR_EC_SLOTS];
};

_Static_assert(sizeof(struct __byteor_ec) == 64, "ec is one cache line");
_Static_assert(offsetof(struct __byteor_ec, seq) == 0, "ec seq");
_Static_assert(offsetof(struct __byteor_ec, waiters) == 4, "ec waiters");
_Static_assert(offsetof(struct __byteor_ec, owner) == 8, "ec owner");
_Static_assert(sizeof(_Atomic uint32_t) == 4, "futex words are 32-bit");

/* How many waiters are announced on @ec (snapshots, tests). */
static inline unsigned int __byteor_ec_waiters(const struct __byteor_ec *ec)
{
	uint32_t w = atomic_load_explicit(&ec->waiters, memory_order_relaxed);

	return (unsigned int)__builtin_popcount(w & __BYTEOR_EC_SLOT_MASK) +
	       (w >> __BYTEOR_EC_SHARED_SHIFT);
}

/**
 * __byteor_ec_reap() - the liveness check: free the slots of waiters that
 * died (or left their thread) while announced on @ec.
 *
 * A holder is dead when /proc/<tid>/stat is gone or says zombie/dead, or,
 * without /proc, when kill(tid, 0) says -ESRCH.  Costs an open+read per
 * held slot.  Called by a notifier whose FUTEX_WAKE woke nobody (at most
 * once a millisecond per process) and by parked waiters at each park
 * slice.  Thread ids are those of the caller's pid namespace: processes
 * sharing a region must share one (else a live waiter may be freed: it
 * then misses wake-ups until its park slice, never more).
 *
 * Return: the number of slots freed.
 */
int __byteor_ec_reap(struct __byteor_ec *ec) __BYTEOR_HIDDEN;

/* futex_waitv(2) and io_uring FUTEX_WAITV take at most this many words. */
#define __BYTEOR_EC_WAIT_MANY_MAX	128

/* Defaults of struct __byteor_wait_config (0 in a field selects them). */
#define __BYTEOR_SPIN_ITERS_DEFAULT	64	/* busy checks */
#define __BYTEOR_PAUSE_ITERS_DEFAULT	1024	/* checks with pause, ~10-100 us */
#define __BYTEOR_YIELD_ITERS_DEFAULT	8	/* sched_yield() rounds */
#define __BYTEOR_PARK_SLICE_DEFAULT	100000000LL /* ns: dead-peer re-check */

/*
 * struct __byteor_uring - a minimal io_uring instance (no liburing): the
 * mapped SQ/CQ rings of one waiter.  Pointers into the mappings; types are
 * those of <linux/io_uring.h>, kept opaque here.
 */
struct __byteor_uring {
	int fd;			/* -1: none */
	unsigned int sq_mask;
	unsigned int cq_mask;
	unsigned int sq_entries;
	void *sq_map;
	size_t sq_map_len;
	void *cq_map;		/* == sq_map with IORING_FEAT_SINGLE_MMAP */
	size_t cq_map_len;
	void *sqes;		/* struct io_uring_sqe[sq_entries] */
	size_t sqes_len;
	_Atomic unsigned int *sq_head, *sq_tail, *cq_head, *cq_tail;
	unsigned int *sq_array;
	void *cqes;		/* struct io_uring_cqe[] */
};

/*
 * struct __byteor_wait_config - everything a waiter can be told.
 * @strategy:      enum byteor_wait_strategy, BYTEOR_WAIT_F_* OR'ed in
 * @park_path:     enum byteor_park_path
 * @spin_iters:    busy readiness checks before pausing (0: default)
 * @pause_iters:   checks with a pause before yielding (0: default)
 * @yield_iters:   sched_yield() rounds before parking (0: default)
 * @park_slice_ns: longest single park before ready() is re-checked
 *                 (0: default 100 ms; < 0: park until woken or timed out)
 */
struct __byteor_wait_config {
	int strategy;
	int park_path;
	unsigned int spin_iters;
	unsigned int pause_iters;
	unsigned int yield_iters;
	long long park_slice_ns;
};

/*
 * struct __byteor_waiter - one waiting handle's private state.  Used by one
 * thread at a time; not shared across fork() (the io_uring instance belongs
 * to the process that created it): create waiters after fork.
 */
struct __byteor_waiter {
	int live;		/* initialised and not finished */
	int strategy;		/* enum byteor_wait_strategy, resolved */
	int path;		/* BYTEOR_PARK_IO_URING or _FUTEX */
	unsigned int flags;	/* BYTEOR_WAIT_F_* */
	unsigned int spin_iters, pause_iters, yield_iters;
	long long park_slice_ns; /* < 0: none */
	int dma_fd;		/* /dev/cpu_dma_latency held open, or -1 */
	int ring_pid;		/* process that created the ring */
	struct __byteor_uring ring;
	struct byteor_wait_stats st;
};

/* __byteor_full_fence(): byteor/lane_inline.h. */

/*
 * The notifier's fence mode, per process: 0 = asymmetric (compiler barrier
 * only; waiters issue membarrier(GLOBAL_EXPEDITED), which covers this
 * process because it registered), 1 = full fence per notify.  Starts at 1:
 * a process that has not registered must fence.  Written by
 * __byteor_notifier_init() (once) and the fork child handler.
 */
/* int __byteor_notify_full_fence: declared in byteor/lane_inline.h. */

/**
 * __byteor_notifier_init() - prepare this process for cheap notifies:
 * probe membarrier(2) and register for MEMBARRIER_CMD_GLOBAL_EXPEDITED
 * (once per process, thread-safe, re-done in a fork child).  Call it when
 * attaching any end that publishes.  Without it notifies stay correct, with
 * a full fence each.
 *
 * Return: 0 (the fallback is not an error).
 */
int __byteor_notifier_init(void) __BYTEOR_HIDDEN;

/**
 * __byteor_waiter_init() - set up a waiter with default thresholds.
 * @w:         the waiter
 * @strategy:  enum byteor_wait_strategy, BYTEOR_WAIT_F_* may be OR'ed in
 * @park_path: enum byteor_park_path
 *
 * Return: 0; -EINVAL bad strategy, flags or path; -EOPNOTSUPP io_uring
 * parking asked for (option or BYTEOR_PARK) but unavailable; -ENOMEM or
 * another -errno of io_uring_setup()/mmap() for an explicit io_uring path
 * (AUTO falls back to futex(2) instead).
 */
int __byteor_waiter_init(struct __byteor_waiter *w, int strategy,
			 int park_path) __BYTEOR_HIDDEN;

/* Same, from an attach's options (wait_strategy, park_path, spin_iters). */
int __byteor_waiter_init_opts(struct __byteor_waiter *w,
			      const struct byteor_attach_options *o) __BYTEOR_HIDDEN;

/* Same, with every knob. */
int __byteor_waiter_init_cfg(struct __byteor_waiter *w,
			     const struct __byteor_wait_config *c) __BYTEOR_HIDDEN;

/* Release the ring and the latency request; @w may be zeroed or finished. */
void __byteor_waiter_fini(struct __byteor_waiter *w) __BYTEOR_HIDDEN;

/* Copy @w's counters (the owning thread's view). */
void __byteor_waiter_stats(const struct __byteor_waiter *w,
			   struct byteor_wait_stats *out) __BYTEOR_HIDDEN;

/**
 * __byteor_ec_wait() - wait until ready(arg) > 0.
 * @ec:         the eventcount notifiers of this condition bump
 * @w:          this thread's waiter
 * @ready:      the readiness check (> 0 ready, 0 not, < 0 error)
 * @arg:        its argument
 * @timeout_ns: < 0 forever; 0 one check, no waiting; > 0 a CLOCK_MONOTONIC
 *              deadline that far away
 *
 * Spins, yields and parks per @w's strategy.  EINTR is retried.
 * Return: 0 ready; -EAGAIN not ready and @timeout_ns == 0; -ETIMEDOUT;
 * ready()'s negative value.
 */
int __byteor_ec_wait(struct __byteor_ec *ec, struct __byteor_waiter *w,
		     int (*ready)(void *arg), void *arg,
		     long long timeout_ns) __BYTEOR_HIDDEN;

/*
 * __BYTEOR_EC_WAIT_F_RESUME - this call continues a wait that already spun
 * (the caller waits in slices to run its own slow checks between them):
 * skip the spin and yield stages and park at once.  Spinning again at the
 * start of every slice would cost ~0.1 ms of CPU per slice.
 */
#define __BYTEOR_EC_WAIT_F_RESUME	(1U << 0)

/* __byteor_ec_wait() with flags (__BYTEOR_EC_WAIT_F_*; others -EINVAL). */
int __byteor_ec_wait_ex(struct __byteor_ec *ec, struct __byteor_waiter *w,
			int (*ready)(void *arg), void *arg,
			long long timeout_ns, unsigned int flags) __BYTEOR_HIDDEN;

/**
 * __byteor_ec_wait_many() - wait until ready(arg) > 0, where ready depends
 * on several lanes, parking on all their eventcounts at once (FUTEX_WAITV).
 * @ecs: @n eventcounts (1..__BYTEOR_EC_WAIT_MANY_MAX; more -> -EINVAL),
 *       distinct
 * Other arguments and return values as __byteor_ec_wait().  ready() should
 * record which lanes are ready in @arg.
 */
int __byteor_ec_wait_many(struct __byteor_ec *const *ecs, unsigned int n,
			  struct __byteor_waiter *w, int (*ready)(void *arg),
			  void *arg, long long timeout_ns) __BYTEOR_HIDDEN;

/* The slow half of a notify: bump seq, FUTEX_WAKE all.  Out of line. */
void __byteor_ec_wake(struct __byteor_ec *ec) __BYTEOR_HIDDEN;

/**
 * __byteor_ec_notify() - tell parked waiters of @ec that something was
 * published.  Call after the release store that publishes.
 *
 * Nobody parked: no system call, no locked instruction, no mfence (unless
 * this process could not register for membarrier: then one full fence).
 * Somebody parked: one atomic increment and one FUTEX_WAKE.
 */
static inline void __byteor_ec_notify(struct __byteor_ec *ec)
{
	/*
	 * N2, N3 (byteor/lane_inline.h, __byteor_notify()): first the fence.
	 * Fallback, no membarrier registration: a full fence orders the
	 * caller's publish store (N1) before the load of @waiters (N3); it
	 * pairs with the full fence after the waiter's increment of @waiters
	 * (W2, announce() in wait.c), which orders that increment before its
	 * readiness re-check (store-buffer / Dekker pattern).  Asymmetric:
	 * a compiler barrier only, so the publish store is emitted before the
	 * load of @waiters; the CPU may still satisfy the load early, and the
	 * waiter's membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED) between its
	 * increment of @waiters and its re-check (W2) supplies the full
	 * barrier on this CPU.  Then, if anybody is parked, N4 (the wake).
	 */
	__byteor_notify((__u32 *)&ec->waiters);
}

/* ------------------------------------------------------------------------
 * Between wait.c, wait_uring.c and wait_futex.c.
 */
struct futex_waitv;

/*
 * __byteor_sys() - a system call returning -errno, leaving errno as it was
 * (the library never writes errno).
 */
static inline long __byteor_sys(long nr, long a, long b, long c, long d,
				long e, long f)
{
	int saved = errno;
	long ret = syscall(nr, a, b, c, d, e, f);

	if (ret < 0)
		ret = -errno;
	errno = saved;
	return ret;
}

/* CLOCK_MONOTONIC in ns (vDSO: no system call). */
static inline long long __byteor_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/*
 * Park primitives.  @deadline_ns: absolute CLOCK_MONOTONIC, < 0 none.
 * Return: >= 0 woken (waitv: the index of the woken word), -EAGAIN a word
 * no longer held its expected value, -ETIMEDOUT, -EINTR, other -errno.
 */
int __byteor_futex_wait(_Atomic uint32_t *word, uint32_t val,
			long long deadline_ns) __BYTEOR_HIDDEN;
int __byteor_futex_waitv(struct futex_waitv *v, unsigned int n,
			 long long deadline_ns) __BYTEOR_HIDDEN;
int __byteor_futex_wake(_Atomic uint32_t *word, int n) __BYTEOR_HIDDEN;
int __byteor_futex_waitv_probe(void) __BYTEOR_HIDDEN;

int __byteor_uring_setup(struct __byteor_uring *r) __BYTEOR_HIDDEN;
void __byteor_uring_teardown(struct __byteor_uring *r) __BYTEOR_HIDDEN;
int __byteor_uring_wait(struct __byteor_uring *r, _Atomic uint32_t *word,
			uint32_t val, long long deadline_ns) __BYTEOR_HIDDEN;
int __byteor_uring_waitv(struct __byteor_uring *r, struct futex_waitv *v,
			 unsigned int n, long long deadline_ns) __BYTEOR_HIDDEN;
/* 0 if io_uring FUTEX_WAIT and FUTEX_WAITV work here, else -errno. */
int __byteor_uring_probe(void) __BYTEOR_HIDDEN;

/* ------------------------------------------------------------------------
 * For tests: force the fence protocol of this process.
 * __BYTEOR_FENCE_PROBE: what the probe found (the default);
 * __BYTEOR_FENCE_FULL: notifies fence, waiters skip membarrier (the
 * fallback where the kernel lacks membarrier GLOBAL_EXPEDITED);
 * __BYTEOR_FENCE_ASYM: asymmetric (fails with -EOPNOTSUPP if unavailable).
 * __BYTEOR_FENCE_NOTIFY: notifies fence, waiters still issue membarrier
 * (what BYTEOR_NOTIFY=fenced selects, minus the unregistering).
 * Every process sharing a lane must use the same mode, or FULL notifiers
 * with ASYM waiters (always safe); NOTIFY mixes with ASYM and NOTIFY.
 *
 * NOTIFY MODES (BYTEOR_NOTIFY, per process; see docs/design.md,
 * "Waiting: dead waiters and notify modes")
 *
 * asym (default): notifiers pay a compiler barrier; every park and
 * re-announce issues membarrier(GLOBAL_EXPEDITED), an IPI to each CPU
 * running a registered process - busy-polling isolated cores included.
 * fenced: the process does not register and its notifiers pay a full
 * fence (an mfence or locked op; not yet measured) per publish; waiters
 * elsewhere still issue membarrier, but it never reaches this process's
 * CPUs.  No lost wake-up in any mix: a notifier's N2 is either a full
 * fence or (registered) covered by every waiter's membarrier; a waiter's
 * W2 is membarrier (which is a full barrier on its own CPU too) or a full
 * fence where no process can register.  Dekker needs a full barrier on
 * both sides: each pair (fenced or asym notifier) x (membarrier waiter)
 * has one.
 */
enum {
	__BYTEOR_FENCE_PROBE = 0,
	__BYTEOR_FENCE_FULL = 1,
	__BYTEOR_FENCE_ASYM = 2,
	__BYTEOR_FENCE_NOTIFY = 3,
};

int __byteor_wait_set_fence(int mode) __BYTEOR_HIDDEN;

/* Probe again, uncached, re-reading the environment (tests). */
int __byteor_wait_probe_fresh(struct byteor_wait_probe *p) __BYTEOR_HIDDEN;

#endif /* _BYTEOR_WAIT_PVT_H */
