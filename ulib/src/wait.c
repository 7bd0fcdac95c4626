// SPDX-License-Identifier: MIT
/*
 * wait.c - the eventcount, the wait strategies and the parking probe
 * (docs/design.md section 8).
 *
 * THE PROTOCOL
 *
 * A lane publishes with a release store to its own index (call it X) and
 * then calls __byteor_ec_notify(ec).  A waiter that found nothing:
 *
 *   W1	atomic RMW ec->waiters += 1		(announce)
 *   W2	barrier: membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED), or a full
 *	fence in the fallback
 *   W3	s = ec->seq (acquire)
 *   W4	ready()?  (acquire loads of X)		-> yes: leave
 *   W5	FUTEX_WAIT(&ec->seq, s) (futex(2) or io_uring), then back to W3
 *   W6	atomic RMW ec->waiters -= 1		(on leaving)
 *
 * and a notifier (the publish path, hot):
 *
 *   N1	store X (release)			(the lane's publish)
 *   N2	barrier: compiler barrier only, or a full fence in the fallback
 *   N3	w = ec->waiters (relaxed)		-> 0: done, no system call
 *   N4	ec->seq += 1 (release RMW); FUTEX_WAKE(&ec->seq, all)
 *
 * WHY NO WAKE-UP IS LOST
 *
 * Claim: for every publish N that the waiter's re-checks (W4) do not see,
 * N3 reads waiters != 0, so N4 happens.  This is the store->load (Dekker)
 * pattern: each side stores its own flag (X, waiters) and loads the
 * other's, and without a full barrier on BOTH sides a CPU's store buffer
 * lets both loads read the old values.
 *
 * Fallback (full fences, N2 = W2 = seq_cst fence): C11 fence rule for two
 * seq_cst fences F_w (after W1) and F_n (after N1) in their total order S:
 * if F_w precedes F_n, N3 (after F_n) reads W1's increment or a later
 * value; if F_n precedes F_w, W4 (after F_w) reads X or a later value.
 * Later values of waiters cannot drop below this waiter's +1 until its own
 * W6, so N3 reads >= 1.
 *
 * Asymmetric fences (N2 = compiler barrier, W2 = membarrier): the kernel
 * guarantees that when membarrier(GLOBAL_EXPEDITED) returns, every thread
 * of every process registered with MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED
 * has executed a full memory barrier (smp_mb in an IPI) at some instant B
 * inside the call, or was not running and passes a scheduler barrier
 * before it runs again.  The call itself issues smp_mb before sending the
 * IPIs and after the last one completes.  The compiler barrier keeps N1
 * before N3 in the notifier's instruction stream, so B falls (a) before
 * N1, (b) between N1 and N3, or (c) after N3:
 *   (a), (b): N3 executes after B, and W1 (an atomic RMW, ordered before
 *	the call's first smp_mb) was globally visible before the IPI was
 *	sent: N3 reads >= 1.
 *   (b), (c): N1 executes before B, so X is globally visible before
 *	membarrier returns; W4 runs after it returns and reads X.
 * A notifier that is descheduled during the call is ordered by the
 * scheduler's barriers around the context switch the same way.  This
 * holds across processes because registration is per process (per mm),
 * and every process that may notify registers (__byteor_notifier_init(),
 * called at attach of any publishing end and at waiter init).  A process
 * that has not (yet) registered keeps the full fence in N2
 * (__byteor_notify_full_fence starts at 1), so mixing the two kinds of
 * notifier is safe.  The registration is inherited across fork() (the
 * child's mm is a copy of the parent's, membarrier state included; a fork
 * handler registers the child again anyway) and dropped by exec(), which
 * also restarts this library with the fence on.
 *
 * The announcement stays valid for the whole park loop: one barrier per
 * wait, not per park.  Any later publish either is seen by a later W4 or
 * its N3 runs after B and sees waiters >= 1.
 *
 * WHY THE WAKE REACHES THE SLEEPER
 *
 * N4 bumps seq with release after N1.  If W3 read the bumped value, the
 * acquire pairs with that release and W4 sees X.  If W3 read the old value
 * s, the kernel's FUTEX_WAIT compares seq with s under the futex hash
 * bucket lock: either it sees the bump (returns -EAGAIN at once and we
 * re-check) or the waiter is queued before N4's FUTEX_WAKE takes that lock
 * and is woken.  io_uring FUTEX_WAIT queues on the same bucket with the same
 * check, so futex(2) FUTEX_WAKE wakes it the same way.
 *
 * WHEN A PROCESS CANNOT USE membarrier
 *
 * If the kernel lacks MEMBARRIER_CMD_GLOBAL_EXPEDITED (query answers
 * without the bit) no process can register, every notifier fences, and
 * waiters need no membarrier.  If the query itself fails (seccomp) or a
 * membarrier call fails at run time, a notifier in another process may
 * still rely on us: such a waiter parks in slices of at most 1 ms, which
 * bounds the cost of a missed wake-up instead of hanging.
 *
 * WAKE ALL
 *
 * N4 wakes every waiter (INT_MAX): waiters of one eventcount may wait for
 * different things (several producers of an MPSC queue waiting for room),
 * and a woken waiter that finds nothing just parks again.
 *
 * Trust (docs/design.md section 7): seq and waiters are in shared memory; a
 * peer writing garbage there causes extra wake-ups or system calls, or a
 * missed wake-up that the park slice bounds; nothing read here is used as
 * an address or an index.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <byteor/crashpoint.h>

#include "wait_pvt.h"

/* Park slice when a waiter could not issue its membarrier: 1 ms. */
#define MB_MISSING_SLICE_NS	1000000LL

/*
 * See wait_pvt.h: 1 = full fence per notify until registered.  Exported
 * for the inline notify (byteor/lane_inline.h), so a plain int accessed
 * with __atomic builtins everywhere.
 */
int __byteor_notify_full_fence = 1;

enum {
	MB_UNKNOWN = 0,	/* query failed here: others may rely on us */
	MB_NONE,	/* kernel lacks GLOBAL_EXPEDITED: everybody fences */
	MB_YES,		/* waiters issue membarrier(GLOBAL_EXPEDITED) */
	MB_FORCED_FULL,	/* tests: every process fences, waiters skip it */
};

static pthread_once_t mb_once = PTHREAD_ONCE_INIT;
static _Atomic int waiter_mb = MB_UNKNOWN;
static int mb_registered;	/* this process registered (written once) */
static int mb_probed = MB_UNKNOWN; /* what the query said (written once) */

/*
 * fork() child: the kernel copies the parent's mm, membarrier registration
 * included, but registering again is idempotent and cheap, and keeps us
 * correct should a kernel ever reset it.  If it fails, fence.  (A raw
 * clone()/vfork() bypasses this handler; the inherited state still holds.)
 */
static void mb_atfork_child(void)
{
	if (mb_registered &&
	    __byteor_sys(SYS_membarrier,
			 MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED, 0, 0, 0, 0,
			 0) != 0) {
		mb_registered = 0;
		__atomic_store_n(&__byteor_notify_full_fence, 1, __ATOMIC_SEQ_CST);
	}
}

static void mb_setup(void)
{
	long q = __byteor_sys(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0, 0,
			      0, 0);
	int need = MEMBARRIER_CMD_GLOBAL_EXPEDITED |
		   MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED;

	if (q < 0)
		mb_probed = MB_UNKNOWN;
	else if ((q & need) != need)
		mb_probed = MB_NONE;
	else
		mb_probed = MB_YES;
	atomic_store(&waiter_mb, mb_probed);
	if (mb_probed != MB_YES)
		return;
	/*
	 * BYTEOR_NOTIFY=fenced: this process's notifiers pay a full fence
	 * per publish instead of registering, so no waiter's membarrier
	 * ever interrupts its CPUs (isolated busy cores).  Its own waiters
	 * still issue membarrier for the registered notifiers elsewhere.
	 */
	{
		const char *v = getenv("BYTEOR_NOTIFY");

		if (v && !strcmp(v, "fenced"))
			return;
	}
	if (__byteor_sys(SYS_membarrier,
			 MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED, 0, 0, 0, 0,
			 0) == 0) {
		mb_registered = 1;
		pthread_atfork(NULL, NULL, mb_atfork_child);
		/*
		 * Registered: from now on a waiter's membarrier reaches the
		 * threads of this process, so they may drop the fence.  The
		 * register call has returned (every CPU running this mm saw
		 * the new state) before any thread can read 0 here.
		 */
		__atomic_store_n(&__byteor_notify_full_fence, 0, __ATOMIC_SEQ_CST);
	}
}

int __byteor_notifier_init(void)
{
	pthread_once(&mb_once, mb_setup);
	return 0;
}

int __byteor_wait_set_fence(int mode)
{
	__byteor_notifier_init();
	switch (mode) {
	case __BYTEOR_FENCE_FULL:
		__atomic_store_n(&__byteor_notify_full_fence, 1, __ATOMIC_SEQ_CST);
		atomic_store(&waiter_mb, MB_FORCED_FULL);
		return 0;
	case __BYTEOR_FENCE_ASYM:
		if (!mb_registered)
			return -EOPNOTSUPP;
		atomic_store(&waiter_mb, MB_YES);
		__atomic_store_n(&__byteor_notify_full_fence, 0, __ATOMIC_SEQ_CST);
		return 0;
	case __BYTEOR_FENCE_NOTIFY:
		/* As BYTEOR_NOTIFY=fenced, but registered (tests). */
		if (mb_probed != MB_YES)
			return -EOPNOTSUPP;
		atomic_store(&waiter_mb, MB_YES);
		__atomic_store_n(&__byteor_notify_full_fence, 1, __ATOMIC_SEQ_CST);
		return 0;
	case __BYTEOR_FENCE_PROBE:
		atomic_store(&waiter_mb, mb_probed);
		__atomic_store_n(&__byteor_notify_full_fence, !mb_registered, __ATOMIC_SEQ_CST);
		return 0;
	}
	return -EINVAL;
}

/* ------------------------------------------------------------------------
 * Probing the park path, once per process.
 */
struct wait_global {
	struct byteor_wait_probe probe;
	int env_strategy;	/* -1: BYTEOR_WAIT malformed */
	int env_path;		/* -1: BYTEOR_PARK malformed */
};

static pthread_once_t probe_once = PTHREAD_ONCE_INIT;
static struct wait_global global;

static int read_io_uring_disabled(void)
{
	int saved = errno, fd, v = -1;
	char buf[16];
	ssize_t n;

	fd = open("/proc/sys/kernel/io_uring_disabled", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		if (n > 0) {
			buf[n] = '\0';
			v = atoi(buf);
		}
		close(fd);
	}
	errno = saved;
	return v;
}

static int parse_env(const char *name, const char *const *words, int nwords)
{
	const char *v = getenv(name);
	int i;

	if (!v || !*v)
		return 0;
	for (i = 0; i < nwords; i++)
		if (words[i] && !strcmp(v, words[i]))
			return i;
	return -1;
}

static const char *const strategy_names[] = {
	[BYTEOR_WAIT_AUTO] = "auto",
	[BYTEOR_WAIT_SPIN] = "spin",
	[BYTEOR_WAIT_YIELD] = "yield",
	[BYTEOR_WAIT_PARK] = "park",
};

static const char *const path_names[] = {
	[BYTEOR_PARK_AUTO] = "auto",
	[BYTEOR_PARK_IO_URING] = "io_uring",
	[BYTEOR_PARK_FUTEX] = "futex",
};

static void probe_into(struct wait_global *g)
{
	struct byteor_wait_probe *p = &g->probe;
	int ret;

	memset(g, 0, sizeof(*g));
	__byteor_notifier_init();
	g->env_strategy = parse_env("BYTEOR_WAIT", strategy_names,
				    BYTEOR_WAIT_STRATEGY_MAX + 1);
	g->env_path = parse_env("BYTEOR_PARK", path_names, BYTEOR_PARK_MAX + 1);

	p->io_uring_disabled = read_io_uring_disabled();
	ret = __byteor_uring_probe();
	p->io_uring_futex = ret == 0;
	p->io_uring_error = ret;
	p->futex_waitv = __byteor_futex_waitv_probe();
	p->membarrier = !__atomic_load_n(&__byteor_notify_full_fence, __ATOMIC_SEQ_CST);
	if (g->env_path > 0)
		p->park_path = g->env_path;
	else
		p->park_path = p->io_uring_futex ? BYTEOR_PARK_IO_URING :
						   BYTEOR_PARK_FUTEX;
}

static void probe_once_fn(void)
{
	probe_into(&global);
}

static const struct wait_global *wait_global(void)
{
	pthread_once(&probe_once, probe_once_fn);
	return &global;
}

int __byteor_wait_probe_fresh(struct byteor_wait_probe *p)
{
	struct wait_global g;

	if (!p)
		return -EINVAL;
	probe_into(&g);
	*p = g.probe;
	return 0;
}

int byteor_wait_probe(struct byteor_wait_probe *p)
{
	if (!p)
		return -EINVAL;
	*p = wait_global()->probe;
	return 0;
}

const char *byteor_park_path_name(int path)
{
	if (path < 0 || path > BYTEOR_PARK_MAX)
		return "unknown";
	return path_names[path];
}

const char *byteor_wait_strategy_name(int strategy)
{
	strategy &= BYTEOR_WAIT_STRATEGY_MASK;
	if (strategy > BYTEOR_WAIT_STRATEGY_MAX)
		return "unknown";
	return strategy_names[strategy];
}

/* ------------------------------------------------------------------------
 * Waiters.
 */
static int dma_latency_hold(void)
{
	int saved = errno, fd;
	int32_t zero = 0;

	/* The request holds while the file stays open (PM QoS). */
	fd = open("/dev/cpu_dma_latency", O_WRONLY | O_CLOEXEC);
	if (fd >= 0 && write(fd, &zero, sizeof(zero)) != sizeof(zero)) {
		close(fd);
		fd = -1;
	}
	errno = saved;
	return fd;
}

int __byteor_waiter_init_cfg(struct __byteor_waiter *w,
			     const struct __byteor_wait_config *c)
{
	const struct wait_global *g;
	int strategy, path, forced, ret;
	unsigned int flags;

	memset(w, 0, sizeof(*w));
	w->dma_fd = -1;
	w->ring.fd = -1;
	strategy = c->strategy & BYTEOR_WAIT_STRATEGY_MASK;
	flags = (unsigned int)c->strategy & ~BYTEOR_WAIT_STRATEGY_MASK;
	if (c->strategy < 0 || strategy > BYTEOR_WAIT_STRATEGY_MAX ||
	    (flags & ~BYTEOR_WAIT_F_MASK))
		return -EINVAL;
	if (c->park_path < 0 || c->park_path > BYTEOR_PARK_MAX)
		return -EINVAL;

	g = wait_global();
	if (strategy == BYTEOR_WAIT_AUTO) {
		if (g->env_strategy < 0)
			return -EINVAL;
		strategy = g->env_strategy;
	}
	path = c->park_path;
	if (path == BYTEOR_PARK_AUTO) {
		if (g->env_path < 0)
			return -EINVAL;
		path = g->env_path;
	}
	forced = path != BYTEOR_PARK_AUTO;
	if (path == BYTEOR_PARK_AUTO)
		path = g->probe.io_uring_futex ? BYTEOR_PARK_IO_URING :
						 BYTEOR_PARK_FUTEX;
	if (path == BYTEOR_PARK_IO_URING) {
		if (!g->probe.io_uring_futex) {
			if (forced)
				return -EOPNOTSUPP;
			path = BYTEOR_PARK_FUTEX;
		} else if (strategy == BYTEOR_WAIT_AUTO ||
			   strategy == BYTEOR_WAIT_PARK) {
			/* Only strategies that park need the ring. */
			ret = __byteor_uring_setup(&w->ring);
			if (ret) {
				if (forced)
					return ret;
				path = BYTEOR_PARK_FUTEX;
			}
			w->ring_pid = getpid();
		}
	}

	w->strategy = strategy;
	w->path = path;
	w->flags = flags;
	w->spin_iters = c->spin_iters ? c->spin_iters :
			__BYTEOR_SPIN_ITERS_DEFAULT;
	w->pause_iters = c->pause_iters ? c->pause_iters :
			 __BYTEOR_PAUSE_ITERS_DEFAULT;
	w->yield_iters = c->yield_iters ? c->yield_iters :
			 __BYTEOR_YIELD_ITERS_DEFAULT;
	w->park_slice_ns = c->park_slice_ns ? c->park_slice_ns :
			   __BYTEOR_PARK_SLICE_DEFAULT;
	if (w->park_slice_ns < 0)
		w->park_slice_ns = -1;
	if (flags & BYTEOR_WAIT_F_CPU_DMA_LATENCY)
		w->dma_fd = dma_latency_hold();

	w->st.strategy = (uint32_t)strategy;
	w->st.park_path = (uint32_t)path;
	if (g->probe.membarrier)
		w->st.flags |= BYTEOR_WAIT_STATS_F_MEMBARRIER;
	if (w->dma_fd >= 0)
		w->st.flags |= BYTEOR_WAIT_STATS_F_DMA_LATENCY;
	w->live = 1;
	return 0;
}

int __byteor_waiter_init(struct __byteor_waiter *w, int strategy,
			 int park_path)
{
	struct __byteor_wait_config c = {
		.strategy = strategy,
		.park_path = park_path,
	};

	return __byteor_waiter_init_cfg(w, &c);
}

int __byteor_waiter_init_opts(struct __byteor_waiter *w,
			      const struct byteor_attach_options *o)
{
	struct __byteor_wait_config c = { 0 };

	if (o) {
		c.strategy = o->wait_strategy;
		c.park_path = o->park_path;
		c.spin_iters = o->spin_iters;
	}
	return __byteor_waiter_init_cfg(w, &c);
}

void __byteor_waiter_fini(struct __byteor_waiter *w)
{
	if (!w->live)
		return;
	if (w->ring.fd >= 0)
		__byteor_uring_teardown(&w->ring);
	if (w->dma_fd >= 0)
		__byteor_sys(SYS_close, w->dma_fd, 0, 0, 0, 0, 0);
	w->dma_fd = -1;
	w->live = 0;
}

void __byteor_waiter_stats(const struct __byteor_waiter *w,
			   struct byteor_wait_stats *out)
{
	*out = w->st;
}

/* ------------------------------------------------------------------------
 * Notify (slow half) and wait.
 */
/* Is thread @tid gone (dead, or a zombie nobody reaped yet)? */
static int tid_dead(pid_t tid)
{
	char path[40], buf[256], *p;
	int fd, saved = errno;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int err = errno;

		errno = saved;
		if (err == ENOENT)
			return 1;
		/* No /proc here: the signal probe (a zombie looks alive). */
		return __byteor_sys(SYS_kill, tid, 0, 0, 0, 0, 0) == -ESRCH;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	errno = saved;
	if (n <= 0)
		return 1;	/* exited between open and read */
	buf[n] = '\0';
	p = strrchr(buf, ')');	/* the state follows the command name */
	return p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
}

/*
 * The calling thread's id, asked once per thread (a system call).  Only
 * the reap uses it: a child of fork() inherits its parent's cached value,
 * and then at worst skips its parent's slot and asks /proc about its own -
 * a reap missed or made for nothing, never a live waiter's slot taken.
 */
static uint32_t self_tid(void)
{
	static __thread uint32_t tid;

	if (!tid)
		tid = (uint32_t)__byteor_sys(SYS_gettid, 0, 0, 0, 0, 0, 0);
	return tid;
}

int __byteor_ec_reap(struct __byteor_ec *ec)
{
	uint32_t o, self = self_tid();
	int i, freed = 0;

	for (i = 0; i < __BYTEOR_EC_SLOTS; i++) {
		o = atomic_load_explicit(&ec->owner[i], memory_order_relaxed);
		/*
		 * Our own slot is alive by definition: a parked waiter's
		 * slice reaps its eventcount, and asking /proc about itself
		 * each slice would be most of an idle waiter's CPU.
		 */
		if (!o || o == self || (int32_t)o <= 0 || !tid_dead((pid_t)o))
			continue;
		/*
		 * Take the slot from the dead holder: only one checker wins,
		 * and a live waiter never loses a slot it holds (its tid
		 * cannot be dead while it runs).  Then drop its bit, which a
		 * holder that died before setting it never set (a no-op),
		 * and free the slot for the next waiter.  Relaxed: the bit
		 * only ever costs or saves a system call, it orders nothing.
		 */
		if (!atomic_compare_exchange_strong_explicit(&ec->owner[i], &o,
				__BYTEOR_EC_REAPING, memory_order_relaxed,
				memory_order_relaxed))
			continue;
		atomic_fetch_and_explicit(&ec->waiters, ~(1U << i),
					  memory_order_relaxed);
		atomic_store_explicit(&ec->owner[i], 0, memory_order_relaxed);
		freed++;
	}
	return freed;
}

/* When this process last checked liveness after a wake that woke nobody. */
static _Atomic long long last_reap_ns = LLONG_MIN / 2;
#define REAP_EVERY_NS	1000000LL

void __byteor_ec_wake(struct __byteor_ec *ec)
{
	long long now, last;
	int woke;

	/*
	 * N4.  Release: the caller's publish (N1) before the new seq.  Pairs
	 * with the acquire load of seq in park_loop() (W3).
	 */
	atomic_fetch_add_explicit(&ec->seq, 1, memory_order_release);
	woke = __byteor_futex_wake(&ec->seq, INT_MAX);
	if (woke != 0)
		return;
	/*
	 * Announced waiters, none parked: they are between W1 and W5 (they
	 * will see our publish in W4 or our seq in FUTEX_WAIT), or dead.
	 * The liveness check frees the dead ones' slots, so publishes
	 * return to no system call.  Rate-limited: a live waiter that keeps
	 * announcing must not turn every publish into /proc reads.
	 */
	now = __byteor_now_ns();
	last = atomic_load_explicit(&last_reap_ns, memory_order_relaxed);
	if (now - last < REAP_EVERY_NS ||
	    !atomic_compare_exchange_strong_explicit(&last_reap_ns, &last, now,
			memory_order_relaxed, memory_order_relaxed))
		return;
	__byteor_ec_reap(ec);
}

/* The same, for the inline notify: @waiters is an eventcount's count. */
void __byteor_notify_wake(__u32 *waiters)
{
	__byteor_ec_wake((struct __byteor_ec *)((char *)waiters -
						offsetof(struct __byteor_ec,
							 waiters)));
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	atomic_signal_fence(memory_order_seq_cst);
#endif
}

/* How often the spin stages look at the clock (a vDSO call, ~20 ns). */
#define CLOCK_EVERY	64U

static int deadline_passed(long long deadline)
{
	return deadline >= 0 && __byteor_now_ns() >= deadline;
}

#define GO_PARK	1

/*
 * The stages before parking.  Return: GO_PARK, 0 ready, < 0 ready()'s
 * error or -ETIMEDOUT.
 */
static int spin_stages(struct __byteor_waiter *w, int (*ready)(void *),
		       void *arg, long long deadline)
{
	uint64_t spins = 0, yields = 0;
	int r, stage = w->strategy;
	unsigned int i;

	if (stage == BYTEOR_WAIT_PARK)
		return GO_PARK;
	/* Busy: AUTO and YIELD start here; SPIN goes straight to pause. */
	if (stage != BYTEOR_WAIT_SPIN) {
		for (i = 0; i < w->spin_iters; i++) {
			spins++;
			r = ready(arg);
			if (r)
				goto done;
			if (i % CLOCK_EVERY == CLOCK_EVERY - 1 &&
			    deadline_passed(deadline))
				goto timeout;
		}
	}
	/* Pause: AUTO for pause_iters, SPIN until ready or timed out. */
	if (stage == BYTEOR_WAIT_AUTO || stage == BYTEOR_WAIT_SPIN) {
		for (i = 0; stage == BYTEOR_WAIT_SPIN || i < w->pause_iters;
		     i++) {
			cpu_relax();
			spins++;
			r = ready(arg);
			if (r)
				goto done;
			if (i % CLOCK_EVERY == CLOCK_EVERY - 1 &&
			    deadline_passed(deadline))
				goto timeout;
		}
	}
	/* Yield: AUTO for yield_iters, YIELD until ready or timed out. */
	for (i = 0; stage == BYTEOR_WAIT_YIELD || i < w->yield_iters; i++) {
		__byteor_sys(SYS_sched_yield, 0, 0, 0, 0, 0, 0);
		yields++;
		r = ready(arg);
		if (r)
			goto done;
		if (deadline_passed(deadline))
			goto timeout;
	}
	w->st.spins += spins;
	w->st.yields += yields;
	return GO_PARK;
timeout:
	r = ready(arg);	/* one last look: a timeout never hides data */
	if (!r) {
		r = -ETIMEDOUT;
		w->st.timeouts++;
	}
done:
	w->st.spins += spins;
	w->st.yields += yields;
	return r > 0 ? 0 : r;
}

/*
 * W1 for one eventcount: take a free slot and set its bit, or, with every
 * slot taken, count in the shared part.  Return: the slot or -1.
 */
static int announce_one(struct __byteor_ec *ec, uint32_t tid)
{
	uint32_t free_slot;
	int i;

	for (i = 0; i < __BYTEOR_EC_SLOTS; i++) {
		free_slot = 0;
		/*
		 * Relaxed: the slot is ours before its bit is set (same
		 * thread, and the seq_cst RMW below orders it for others).
		 */
		if (atomic_load_explicit(&ec->owner[i], memory_order_relaxed) ||
		    !atomic_compare_exchange_strong_explicit(&ec->owner[i],
				&free_slot, tid, memory_order_relaxed,
				memory_order_relaxed))
			continue;
		BYTEOR_CRASHPOINT("wait.waiter.slot_taken");
		/* W1: atomic RMW, so no concurrent announce is lost. */
		atomic_fetch_or_explicit(&ec->waiters, 1U << i,
					 memory_order_seq_cst);
		return i;
	}
	atomic_fetch_add_explicit(&ec->waiters, __BYTEOR_EC_SHARED_ONE,
				  memory_order_seq_cst);
	return -1;
}

/*
 * W1 + W2 for @n eventcounts.  Return: the longest park slice the
 * barrier allows: -1 (any) or MB_MISSING_SLICE_NS.
 */
static long long announce(struct __byteor_ec *const *ecs, unsigned int n,
			  int *slots, uint32_t tid)
{
	unsigned int i;
	int mode = atomic_load_explicit(&waiter_mb, memory_order_relaxed);

	for (i = 0; i < n; i++)
		slots[i] = announce_one(ecs[i], tid);
	if (mode == MB_YES &&
	    __byteor_sys(SYS_membarrier, MEMBARRIER_CMD_GLOBAL_EXPEDITED, 0, 0,
			 0, 0, 0) == 0)
		/*
		 * W2, asymmetric: a full barrier on every CPU running a
		 * registered notifier.  Pairs with the compiler barrier (N2)
		 * in __byteor_ec_notify() between the publish store and the
		 * load of waiters.
		 */
		return -1;
	/*
	 * W2, fallback: orders the increment above before the loads of
	 * seq and of the lane's published index below.  Pairs with the
	 * seq_cst fence (N2) in __byteor_ec_notify() in processes that
	 * could not register for membarrier.
	 */
	__byteor_full_fence();
	if (mode == MB_NONE || mode == MB_FORCED_FULL)
		return -1;
	/* A notifier elsewhere may rely on a membarrier we did not issue. */
	return MB_MISSING_SLICE_NS;
}

static void denounce(struct __byteor_ec *const *ecs, unsigned int n,
		     const int *slots, uint32_t tid)
{
	struct __byteor_ec *ec;
	unsigned int i;

	/* W6: nothing is ordered after leaving; only the count matters. */
	for (i = 0; i < n; i++) {
		ec = ecs[i];
		if (slots[i] < 0) {
			atomic_fetch_sub_explicit(&ec->waiters,
						  __BYTEOR_EC_SHARED_ONE,
						  memory_order_relaxed);
			continue;
		}
		/*
		 * A liveness check that took our slot (only possible if it
		 * saw our tid dead: another pid namespace) also cleared our
		 * bit; the slot may be another waiter's now.  Leave it be.
		 */
		if (atomic_load_explicit(&ec->owner[slots[i]],
					 memory_order_relaxed) != tid)
			continue;
		atomic_fetch_and_explicit(&ec->waiters, ~(1U << slots[i]),
					  memory_order_relaxed);
		atomic_store_explicit(&ec->owner[slots[i]], 0,
				      memory_order_relaxed);
	}
}

/* Drop a ring that misbehaved; park through futex(2) from now on. */
static void ring_broken(struct __byteor_waiter *w)
{
	__byteor_uring_teardown(&w->ring);
	w->path = BYTEOR_PARK_FUTEX;
	w->st.park_path = BYTEOR_PARK_FUTEX;
}

static int park(struct __byteor_waiter *w, struct __byteor_ec *const *ecs,
		const uint32_t *vals, unsigned int n, long long until)
{
	struct futex_waitv v[__BYTEOR_EC_WAIT_MANY_MAX];
	unsigned int i;
	int ret;

	/*
	 * A waiter inherited through fork() would share the parent's ring
	 * (same SQ, same CQ): drop our copy and park through futex(2).
	 * getpid() costs ~0.1 us, on the park path only.
	 */
	if (w->ring.fd >= 0 && w->ring_pid != getpid())
		ring_broken(w);

	if (n == 1) {
		if (w->path == BYTEOR_PARK_IO_URING && w->ring.fd >= 0) {
			ret = __byteor_uring_wait(&w->ring, &ecs[0]->seq,
						  vals[0], until);
			if (ret != -EIO)
				return ret;
			ring_broken(w);
			return -EINTR;	/* re-check, then park again */
		}
		return __byteor_futex_wait(&ecs[0]->seq, vals[0], until);
	}

	memset(v, 0, n * sizeof(v[0]));
	for (i = 0; i < n; i++) {
		v[i].val = vals[i];
		v[i].uaddr = (uintptr_t)&ecs[i]->seq;
		v[i].flags = FUTEX_32;	/* == FUTEX2_SIZE_U32; shared */
	}
	if (w->path == BYTEOR_PARK_IO_URING && w->ring.fd >= 0) {
		ret = __byteor_uring_waitv(&w->ring, v, n, until);
		if (ret != -EIO)
			return ret;
		ring_broken(w);
		return -EINTR;
	}
	ret = __byteor_futex_waitv(v, n, until);
	if (ret != -ENOSYS)
		return ret;
	/*
	 * No futex_waitv (Linux < 5.16): park on the first word only, in
	 * 1 ms slices, so a publish on another lane costs at most 1 ms.
	 */
	{
		long long cap = __byteor_now_ns() + MB_MISSING_SLICE_NS;

		if (until < 0 || until > cap)
			until = cap;
		ret = __byteor_futex_wait(&ecs[0]->seq, vals[0], until);
		return ret == -ETIMEDOUT ? -EINTR : ret;
	}
}

static int park_loop(struct __byteor_ec *const *ecs, unsigned int n,
		     struct __byteor_waiter *w, int (*ready)(void *),
		     void *arg, long long deadline)
{
	uint32_t vals[__BYTEOR_EC_WAIT_MANY_MAX];
	int slots[__BYTEOR_EC_WAIT_MANY_MAX];
	uint32_t tid = (uint32_t)__byteor_sys(SYS_gettid, 0, 0, 0, 0, 0, 0);
	long long slice, now, until;
	unsigned int i;
	int r, ret, sliced;

	slice = announce(ecs, n, slots, tid);
	BYTEOR_CRASHPOINT("wait.waiter.announced");
	if (w->park_slice_ns >= 0 && (slice < 0 || w->park_slice_ns < slice))
		slice = w->park_slice_ns;
	for (;;) {
		/*
		 * W3.  Acquire: pairs with the release increment of seq in
		 * __byteor_ec_wake() (N4), so a bumped value read here makes
		 * the notifier's publish visible to ready() below.
		 */
		for (i = 0; i < n; i++)
			vals[i] = atomic_load_explicit(&ecs[i]->seq,
						       memory_order_acquire);
		r = ready(arg);		/* W4 */
		if (r) {
			r = r > 0 ? 0 : r;
			break;
		}
		now = __byteor_now_ns();
		if (deadline >= 0 && now >= deadline) {
			r = -ETIMEDOUT;
			w->st.timeouts++;
			break;
		}
		until = deadline;
		sliced = 0;
		if (slice >= 0 && (until < 0 || now + slice < until)) {
			until = now + slice;
			sliced = 1;
		}
		w->st.parks++;
		BYTEOR_CRASHPOINT("wait.waiter.parking");
		ret = park(w, ecs, vals, n, until);	/* W5 */
		BYTEOR_CRASHPOINT("wait.waiter.woken");
		if (ret >= 0 || ret == -EAGAIN) {
			w->st.wakeups++;
		} else if (ret == -ETIMEDOUT) {
			if (sliced) {
				w->st.slices++;
				/* The slice is our liveness check too. */
				for (i = 0; i < n; i++)
					__byteor_ec_reap(ecs[i]);
			}
		} else if (ret != -EINTR) {
			r = ret;
			break;
		}
	}
	BYTEOR_CRASHPOINT("wait.waiter.leaving");
	denounce(ecs, n, slots, tid);
	return r;
}

static int wait_common(struct __byteor_ec *const *ecs, unsigned int n,
		       struct __byteor_waiter *w, int (*ready)(void *),
		       void *arg, long long timeout_ns, unsigned int flags)
{
	long long deadline = -1, now;
	int r;

	r = ready(arg);
	if (r)
		return r > 0 ? 0 : r;
	if (timeout_ns == 0)
		return -EAGAIN;
	if (timeout_ns > 0) {
		now = __byteor_now_ns();
		deadline = timeout_ns > LLONG_MAX - now ? -1 : now + timeout_ns;
	}
	/* A resumed wait already spun: park at once (if it ever parks). */
	if ((flags & __BYTEOR_EC_WAIT_F_RESUME) &&
	    (w->strategy == BYTEOR_WAIT_AUTO || w->strategy == BYTEOR_WAIT_PARK))
		r = GO_PARK;
	else
		r = spin_stages(w, ready, arg, deadline);
	if (r != GO_PARK)
		return r;
	return park_loop(ecs, n, w, ready, arg, deadline);
}

int __byteor_ec_wait(struct __byteor_ec *ec, struct __byteor_waiter *w,
		     int (*ready)(void *arg), void *arg, long long timeout_ns)
{
	return wait_common(&ec, 1, w, ready, arg, timeout_ns, 0);
}

int __byteor_ec_wait_ex(struct __byteor_ec *ec, struct __byteor_waiter *w,
			int (*ready)(void *arg), void *arg,
			long long timeout_ns, unsigned int flags)
{
	if (flags & ~__BYTEOR_EC_WAIT_F_RESUME)
		return -EINVAL;
	return wait_common(&ec, 1, w, ready, arg, timeout_ns, flags);
}

int __byteor_ec_wait_many(struct __byteor_ec *const *ecs, unsigned int n,
			  struct __byteor_waiter *w, int (*ready)(void *arg),
			  void *arg, long long timeout_ns)
{
	if (!n || n > __BYTEOR_EC_WAIT_MANY_MAX)
		return -EINVAL;
	return wait_common(ecs, n, w, ready, arg, timeout_ns, 0);
}
