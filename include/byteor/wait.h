/* SPDX-License-Identifier: MIT */
/*
 * byteor/wait.h - how a byteor consumer (or a producer facing a full lane)
 * waits: the wait strategy, the parking path, the probe that picks it and
 * the counters snapshots report.
 *
 * A blocking byteor call first polls its lane, then escalates:
 *
 *	busy-spin -> spin with pause -> sched_yield() -> park
 *
 * Parking blocks the thread in the kernel on a 32-bit futex word in the
 * region (an eventcount).  A publisher makes a system call only when the
 * eventcount says somebody is parked, so a busy pipeline makes none.  The
 * thread parks through io_uring (IORING_OP_FUTEX_WAIT / FUTEX_WAITV,
 * Linux >= 6.7) where the kernel supports it and io_uring is allowed
 * (/proc/sys/kernel/io_uring_disabled), else through futex(2) /
 * futex_waitv(2).  The choice is made once per process by probing.
 *
 * Usage sketch:
 *
 *	struct byteor_attach_options o = {
 *		.name = "md.eurusd",
 *		.wait_strategy = BYTEOR_WAIT_AUTO | BYTEOR_WAIT_F_CPU_DMA_LATENCY,
 *		.park_path = BYTEOR_PARK_AUTO,
 *		.timeout_ns = -1,
 *	};
 *	struct byteor_wait_probe p;
 *
 *	byteor_wait_probe(&p);
 *	printf("parking through %s\n", byteor_park_path_name(p.park_path));
 *
 * Environment (read once per process, used only where the options say AUTO):
 *	BYTEOR_WAIT=auto|spin|yield|park	the strategy
 *	BYTEOR_PARK=io_uring|futex		the parking path
 *	BYTEOR_NOTIFY=fenced			this process's publishers pay
 *		a full fence per publish instead of being
 *		interrupted (an IPI) each time a waiter parks
 *		or re-announces anywhere: for busy-polling isolated cores.
 *		Publishes still make no system call while nobody is parked.
 *
 * A waiter that dies while parked is freed by the next liveness check (a
 * publish whose wake-up woke nobody, or a parked waiter's park slice);
 * after that, publishes make no system call again.
 *
 * A parked thread also wakes every 100 ms to re-check its lane, which is
 * how it notices a peer that died without publishing; an idle consumer
 * costs about 1 ms of CPU per second (measured: 0.7-1.7 ms, spin stages
 * included).
 *
 * Waiting state (an io_uring instance, counters) is private to the handle
 * that waits and is not shared across fork(): create (attach) waiting
 * handles after fork, in the process that waits.  (A handle used in a fork
 * child anyway parks through futex(2), never through the parent's ring.)
 */
#ifndef _BYTEOR_WAIT_H
#define _BYTEOR_WAIT_H

#include <stdint.h>
#include <byteor/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * enum byteor_wait_strategy - the value of byteor_attach_options.wait_strategy
 * (low 8 bits; BYTEOR_WAIT_F_* flags may be OR'ed in).
 * @BYTEOR_WAIT_AUTO:  busy-spin, then spin with pause, then sched_yield(),
 *                     then park; the thresholds are spin_iters (option) and
 *                     the library's defaults.
 * @BYTEOR_WAIT_SPIN:  never leave the CPU: spin with pause until ready or the
 *                     timeout (lowest latency, burns a core).
 * @BYTEOR_WAIT_YIELD: spin briefly, then sched_yield() in a loop; never park.
 * @BYTEOR_WAIT_PARK:  park as soon as one check finds nothing (lowest CPU).
 */
enum byteor_wait_strategy {
	BYTEOR_WAIT_AUTO = 0,
	BYTEOR_WAIT_SPIN = 1,
	BYTEOR_WAIT_YIELD = 2,
	BYTEOR_WAIT_PARK = 3,
	BYTEOR_WAIT_STRATEGY_MAX = 3,
};

#define BYTEOR_WAIT_STRATEGY_MASK	0xffU

/*
 * BYTEOR_WAIT_F_CPU_DMA_LATENCY - hold a CPU wake-up latency request of 0 us
 * (/dev/cpu_dma_latency, PM QoS) while the waiting handle exists.
 *
 * Waking a parked thread costs what the CPU needs to leave its idle state,
 * not the system call: measured on a KVM guest, futex, eventfd and io_uring
 * all took ~28 us after a 20 us park, ~1.9 us with the request held.  The
 * request keeps every CPU of the host out of deep idle states (power!), so
 * it is off by default and never required.  It is best effort: opening the
 * device needs root or a udev rule; whether it is held is reported in
 * byteor_wait_stats.flags (BYTEOR_WAIT_STATS_F_DMA_LATENCY).  It only helps
 * where the kernel has a cpuidle driver with deep states to avoid
 * (/sys/devices/system/cpu/cpuidle/current_driver); a guest idling with a
 * plain HLT (driver "none") gains nothing from it.
 */
#define BYTEOR_WAIT_F_CPU_DMA_LATENCY	(1U << 8)
#define BYTEOR_WAIT_F_MASK		(BYTEOR_WAIT_F_CPU_DMA_LATENCY)

/*
 * enum byteor_park_path - the value of byteor_attach_options.park_path.
 * @BYTEOR_PARK_AUTO:     BYTEOR_PARK from the environment, else io_uring if
 *                        the probe succeeded, else futex.
 * @BYTEOR_PARK_IO_URING: io_uring IORING_OP_FUTEX_WAIT / FUTEX_WAITV on a
 *                        private ring per waiting handle; attach fails with
 *                        -EOPNOTSUPP where unavailable.
 * @BYTEOR_PARK_FUTEX:    futex(2) FUTEX_WAIT / futex_waitv(2).
 */
enum byteor_park_path {
	BYTEOR_PARK_AUTO = 0,
	BYTEOR_PARK_IO_URING = 1,
	BYTEOR_PARK_FUTEX = 2,
	BYTEOR_PARK_MAX = 2,
};

/*
 * struct byteor_wait_probe - what this process found out about parking.
 * @park_path:         what BYTEOR_PARK_AUTO resolves to here (after the
 *                     BYTEOR_PARK environment variable): _IO_URING or _FUTEX
 * @io_uring_futex:    1 if io_uring FUTEX_WAIT works for this process
 * @io_uring_error:    0, or why not (-errno): io_uring_setup()'s error
 *                     (-EPERM: io_uring_disabled or seccomp, -ENOSYS) or the
 *                     probe request's (-EINVAL: opcode unknown)
 * @io_uring_disabled: /proc/sys/kernel/io_uring_disabled (0 allowed, 1 only
 *                     CAP_SYS_ADMIN / io_uring_group, 2 nobody), -1 unreadable
 * @futex_waitv:       1 if futex_waitv(2) exists (Linux >= 5.16)
 * @membarrier:        1 if publishers of this process use the asymmetric
 *                     fence (membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED)
 *                     registered); 0: they issue a full fence per publish
 */
struct byteor_wait_probe {
	int park_path;
	int io_uring_futex;
	int io_uring_error;
	int io_uring_disabled;
	int futex_waitv;
	int membarrier;
	int reserved[10];
};

/* byteor_wait_stats.flags */
#define BYTEOR_WAIT_STATS_F_MEMBARRIER	(1U << 0) /* asymmetric fence in use */
#define BYTEOR_WAIT_STATS_F_DMA_LATENCY	(1U << 1) /* latency request held */

/*
 * struct byteor_wait_stats - one waiting handle's counters (snapshots).
 * @strategy:  enum byteor_wait_strategy in effect (after BYTEOR_WAIT)
 * @park_path: BYTEOR_PARK_IO_URING or BYTEOR_PARK_FUTEX, the path in use
 * @flags:     BYTEOR_WAIT_STATS_F_*
 * @spins:     readiness checks made while spinning (busy and pause)
 * @yields:    sched_yield() calls
 * @parks:     times the thread blocked in the kernel
 * @wakeups:   parks that ended because the futex word moved or was woken
 * @timeouts:  waits that returned -ETIMEDOUT
 * @slices:    parks that ended at the end of a park slice (the periodic
 *             re-check that notices a dead peer) rather than by a wake
 */
struct byteor_wait_stats {
	uint32_t strategy;
	uint32_t park_path;
	uint32_t flags;
	uint32_t reserved0;
	uint64_t spins;
	uint64_t yields;
	uint64_t parks;
	uint64_t wakeups;
	uint64_t timeouts;
	uint64_t slices;
	uint64_t reserved[2];
};

/**
 * byteor_wait_probe() - probe (once per process) how this process can park.
 * @p: filled with the result
 *
 * The first call probes: io_uring_setup(), a FUTEX_WAIT request on a private
 * word with a mismatching value (-EAGAIN means supported), futex_waitv(2),
 * membarrier(2).  Later calls return the cached result.  Thread-safe.
 *
 * Return: 0, or -EINVAL if @p is NULL.
 */
BYTEOR_API int byteor_wait_probe(struct byteor_wait_probe *p);

/**
 * byteor_park_path_name() - "io_uring", "futex" or "auto".
 * @path: enum byteor_park_path
 *
 * Return: a static string; "unknown" for other values.
 */
BYTEOR_API const char *byteor_park_path_name(int path);

/**
 * byteor_wait_strategy_name() - "auto", "spin", "yield" or "park".
 * @strategy: enum byteor_wait_strategy (flags are ignored)
 *
 * Return: a static string; "unknown" for other values.
 */
BYTEOR_API const char *byteor_wait_strategy_name(int strategy);

#ifdef __cplusplus
}
#endif

#endif /* _BYTEOR_WAIT_H */
