// SPDX-License-Identifier: MIT
/*
 * wake.c - waking a parked consumer, and what a publisher pays when nobody
 * is parked.
 *
 * Wake-to-run: the waiter (CPU 1) arms, then blocks; the waker (CPU 0)
 * busy-waits the park time (~20 us or ~1 ms, so CPU 1 really goes idle),
 * takes t0 and wakes; the waiter takes t1 as soon as it runs again:
 *  - futex:   raw futex(2) FUTEX_WAIT / FUTEX_WAKE on a shared (not
 *             FUTEX_PRIVATE) word, as byteor's lanes use shared futexes;
 *  - eventfd: read(2) blocks, write(2) wakes;
 *  - byteor-futex, byteor-io_uring: a single ring whose consumer attaches
 *    with BYTEOR_WAIT_PARK (park at the first empty check) through that
 *    path and blocks in byteor_single_ring_peek(); the waker's t0 is taken
 *    before it claims, writes t0 into the message and publishes (which
 *    wakes), so the library's whole publish + wake path is inside.
 * Each configuration runs without and with a /dev/cpu_dma_latency request
 * of 0 us held by the driver for every method alike.
 *
 * Syscalls per message: a single ring stream with blocking calls (the
 * consumer spins, so nobody parks); the producer thread counts its own
 * system calls with a perf counter on the raw_syscalls:sys_enter
 * tracepoint (tracefs must be mounted; scripts/bench.sh does it).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <linux/futex.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <byteor/single_ring.h>
#include <byteor/region.h>
#include "bench.h"

enum { W_FUTEX, W_EVENTFD, W_BYTEOR_FUTEX, W_BYTEOR_URING, W_MAX };
static const char *const wname[W_MAX] = { "futex", "eventfd", "byteor-futex", "byteor-io_uring" };

struct wshared {
	_Alignas(64) uint32_t word;	/* the futex word */
	_Alignas(64) uint64_t armed;	/* waiter: about to block for round i + 1 */
	_Alignas(64) uint64_t t0;	/* waker's stamp */
	_Alignas(64) uint64_t ack;	/* waiter: done with round i + 1 */
	int efd;
	int method;
	char name[64];
	uint64_t parks;
};

static long futex(uint32_t *uaddr, int op, uint32_t val)
{
	return syscall(SYS_futex, uaddr, op, val, NULL, NULL, 0);
}

static void spin_ns(long long ns)
{
	uint64_t end = tsc_now() + (uint64_t)((double)ns * tsc_ghz);

	while (tsc_now() < end)
		;
}

static int wake_attach(struct wshared *w, int role, struct byteor_single_ring **out)
{
	struct byteor_attach_options o = {
		.name = w->name, .backing = BYTEOR_BACKING_USER, .dir = R->dir,
		.timeout_ns = -1,
	};
	int ret;

	if (role == BYTEOR_ROLE_CONSUMER) {
		o.wait_strategy = BYTEOR_WAIT_PARK;
		o.park_path = w->method == W_BYTEOR_URING ? BYTEOR_PARK_IO_URING :
							    BYTEOR_PARK_FUTEX;
	}
	ret = byteor_attach_single_ring(&o, role, out);
	if (ret < 0)
		return run_fail(ret, "attach_single_ring: %s", byteor_strerror(ret));
	return 0;
}

static int wake_side(void *ctx, int side)
{
	struct wshared *w = ctx;
	struct byteor_single_ring *q = NULL;
	uint64_t i, total = R->warm + R->n;
	int byteor = w->method >= W_BYTEOR_FUTEX, ret;

	if (byteor) {
		ret = wake_attach(w, side ? BYTEOR_ROLE_CONSUMER : BYTEOR_ROLE_PRODUCER, &q);
		if (ret)
			return ret;
	}
	run_ready();
	for (i = 0; i < total && !R->err; i++) {
		if (side == 0) {	/* waker */
			uint64_t t0;

			while (__atomic_load_n(&w->armed, __ATOMIC_ACQUIRE) != i + 1)
				;
			spin_ns(R->park_ns);
			t0 = tsc_now();
			if (w->method == W_FUTEX) {
				w->t0 = t0;
				__atomic_store_n(&w->word, (uint32_t)(i + 1), __ATOMIC_RELEASE);
				futex(&w->word, FUTEX_WAKE, 1);
			} else if (w->method == W_EVENTFD) {
				uint64_t one = 1;

				w->t0 = t0;
				if (write(w->efd, &one, sizeof(one)) != sizeof(one))
					return run_fail(-errno, "eventfd write");
			} else {
				struct byteor_slot s;

				ret = byteor_single_ring_claim(q, &s, 1);
				if (ret != 1)
					return run_fail(ret, "claim: %s", byteor_strerror(ret));
				*(uint64_t *)s.data = t0;
				byteor_single_ring_publish(q, NULL, 1);
			}
			while (__atomic_load_n(&w->ack, __ATOMIC_ACQUIRE) != i + 1)
				if (R->err)
					break;
		} else {		/* waiter */
			uint64_t t1, t0;

			__atomic_store_n(&w->armed, i + 1, __ATOMIC_RELEASE);
			if (w->method == W_FUTEX) {
				while (__atomic_load_n(&w->word, __ATOMIC_ACQUIRE) != (uint32_t)(i + 1))
					futex(&w->word, FUTEX_WAIT, (uint32_t)i);
				t1 = tsc_now();
				t0 = w->t0;
			} else if (w->method == W_EVENTFD) {
				uint64_t v;

				if (read(w->efd, &v, sizeof(v)) != sizeof(v))
					return run_fail(-errno, "eventfd read");
				t1 = tsc_now();
				t0 = w->t0;
			} else {
				struct byteor_slot s;

				ret = byteor_single_ring_peek(q, &s, 1);
				t1 = tsc_now();
				if (ret != 1)
					return run_fail(ret, "peek: %s", byteor_strerror(ret));
				t0 = *(const uint64_t *)s.data;
				byteor_single_ring_release(q, 1);
			}
			if (i >= R->warm)
				hist_add(&R->h, t1 > t0 ? t1 - t0 : 0);
			__atomic_store_n(&w->ack, i + 1, __ATOMIC_RELEASE);
		}
	}
	if (q) {
		if (side == 1) {
			struct byteor_single_ring_snapshot s;

			if (!byteor_single_ring_snapshot(q, &s))
				R->aux[1][0] = s.wait.parks;
		}
		byteor_single_ring_detach(q);
	}
	return 0;
}

static int make_ring(char *name, unsigned int cap)
{
	static unsigned int seq;
	struct byteor_region_options o = {
		.kind = BYTEOR_KIND_SINGLE_RING,
		.geometry = { .slot_size = 8, .capacity = cap, .queues = 1, .producers = 1 },
		.backing = BYTEOR_BACKING_USER,
		.dir = R->dir,
	};

	snprintf(name, 64, "bench.%d.w%u", (int)getpid(), seq++);
	o.name = name;
	return byteor_region_create(&o, NULL);
}

/* ---- syscalls per message with nobody parked ----------------------------- */

static int tracepoint_id(void)
{
	FILE *f = fopen("/sys/kernel/tracing/events/raw_syscalls/sys_enter/id", "r");
	int id = -1;

	if (!f)
		f = fopen("/sys/kernel/debug/tracing/events/raw_syscalls/sys_enter/id", "r");
	if (!f)
		return -1;
	if (fscanf(f, "%d", &id) != 1)
		id = -1;
	fclose(f);
	return id;
}

static int sc_id;

static int sc_side(void *ctx, int side)
{
	struct wshared *w = ctx;
	struct byteor_attach_options o = {
		.name = w->name, .backing = BYTEOR_BACKING_USER, .dir = R->dir,
		.timeout_ns = -1,
	};
	struct perf_event_attr pa;
	struct byteor_single_ring *q;
	uint64_t i, count = 0, bad = 0;
	int fd, ret;

	/*
	 * The consumer blocks with the spin strategy (never parks); the
	 * producer polls non-blocking claims, so what it counts is the cost of
	 * claim + publish, not of waiting for room.
	 */
	o.wait_strategy = side ? BYTEOR_WAIT_SPIN : BYTEOR_WAIT_AUTO;
	if (!side)
		o.timeout_ns = 0;
	ret = byteor_attach_single_ring(&o, side ? BYTEOR_ROLE_CONSUMER : BYTEOR_ROLE_PRODUCER, &q);
	if (ret < 0)
		return run_fail(ret, "attach: %s", byteor_strerror(ret));
	memset(&pa, 0, sizeof(pa));
	pa.type = PERF_TYPE_TRACEPOINT;
	pa.size = sizeof(pa);
	pa.config = (uint64_t)sc_id;
	pa.disabled = 1;
	fd = (int)syscall(SYS_perf_event_open, &pa, 0, -1, -1, 0);
	if (fd < 0) {
		byteor_single_ring_detach(q);
		return run_fail(-errno, "perf_event_open(raw_syscalls:sys_enter): %s", strerror(errno));
	}
	run_ready();
	ioctl(fd, PERF_EVENT_IOC_RESET, 0);
	ioctl(fd, PERF_EVENT_IOC_ENABLE, 0);
	R->t_start[side] = tsc_now();
	for (i = 0; i < R->n; i++) {
		struct byteor_slot s;

		if (side == 0) {
			while ((ret = byteor_single_ring_claim(q, &s, 1)) == -EAGAIN)
				;
			if (ret != 1)
				break;
			*(uint64_t *)s.data = i;
			byteor_single_ring_publish(q, NULL, 1);
		} else {
			ret = byteor_single_ring_peek(q, &s, 1);
			if (ret != 1)
				break;
			bad |= *(const uint64_t *)s.data ^ i;
			byteor_single_ring_release(q, 1);
		}
	}
	R->t_end[side] = tsc_now();
	ioctl(fd, PERF_EVENT_IOC_DISABLE, 0);
	if (read(fd, &count, sizeof(count)) != sizeof(count))
		count = UINT64_MAX;
	close(fd);
	/* the counter's own disable ioctl is counted: subtract it */
	R->aux[side][0] = count ? count - 1 : 0;
	R->aux[side][1] = i;
	byteor_single_ring_detach(q);
	if (i != R->n || bad)
		return run_fail(ret < 0 ? ret : -EBADMSG, "stream failed: %s",
				ret < 0 ? byteor_strerror(ret) : "bad sequence");
	return 0;
}

static void syscalls_per_msg(void)
{
	static const int cpus[2] = { 0, 1 };
	struct wshared *w = shm_alloc(sizeof(*w), 0);
	struct figure *f;
	int r;

	sc_id = tracepoint_id();
	if (sc_id < 0 || !w) {
		section_note("wake", "syscalls per message NOT MEASURED: raw_syscalls:sys_enter tracepoint unavailable (tracefs not mounted?)");
		target("publisher syscalls per message, nobody parked", NAN, 0, 0, "not measured");
		shm_free(w, sizeof(*w));
		return;
	}
	for (r = 0; r < (quick ? 1 : 3); r++) {
		R->proc = 0;
		R->huge = 0;
		snprintf(R->dir, sizeof(R->dir), "%s", byteor_dir_4k);
		R->n = quick ? 100000 : 2000000;
		if (make_ring(w->name, 4096) < 0)
			break;
		if (run_sides(sc_side, w, 2, cpus, 60) == 0) {
			f = fig_get("syscalls", "byteor-ring producer", "8B single-op, producer polls, consumer blocks spinning", "syscalls/msg", 1);
			fig_add(f, (double)R->aux[0][0] / (double)R->n);
			fig_note(f, "%llu syscalls in %llu messages",
				 (unsigned long long)R->aux[0][0], (unsigned long long)R->n);
			f = fig_get("syscalls", "byteor-ring consumer", "8B single-op, producer polls, consumer blocks spinning", "syscalls/msg", 1);
			fig_add(f, (double)R->aux[1][0] / (double)R->n);
			f = fig_get("syscalls", "byteor-ring producer ns/msg", "8B single-op, producer polls, consumer blocks spinning", "ns/msg", 1);
			fig_add(f, tsc_ns(R->t_end[0] - R->t_start[0]) / (double)R->n);
		} else {
			fprintf(stderr, "bench: syscalls: %s\n", R->errmsg);
			section_note("syscalls", "run failed: %s", R->errmsg);
		}
		byteor_region_destroy(w->name, BYTEOR_BACKING_USER, R->dir);
	}
	f = fig_find("syscalls", "byteor-ring producer", "8B single-op, producer polls, consumer blocks spinning");
	target("publisher syscalls per message, nobody parked", f && f->nreps ? fig_max(f) : NAN,
	       0, 0, "max over repetitions; perf raw_syscalls:sys_enter on the producer thread");
	shm_free(w, sizeof(*w));
}

void bench_wake(void)
{
	static const int cpus[2] = { 0, 1 };
	static const long long park[2] = { 20000, 1000000 };
	struct wshared *w;
	int r, ip, dma, m, k;
	int dmafd = -1;

	section_note("wake", "wake-to-run = waiter's TSC when it runs again - waker's TSC just before it wakes (byteor: before claim + publish); waker CPU 0, waiter CPU 1, threads; futex = raw shared futex(2), eventfd = read/write; byteor-* = single ring consumer with BYTEOR_WAIT_PARK through that path");
	section_note("wake", "dma-lat 0 = the driver holds a /dev/cpu_dma_latency request of 0 us for the whole configuration (all methods alike); none = no request. cpuidle driver here: see machine notes");
	for (r = 0; r < (quick ? 1 : 5); r++)
		for (dma = 0; dma < 2; dma++) {
			if (dma) {
				int32_t zero = 0;

				dmafd = open("/dev/cpu_dma_latency", O_WRONLY);
				if (dmafd < 0 || write(dmafd, &zero, sizeof(zero)) != sizeof(zero)) {
					if (r == 0)
						section_note("wake", "/dev/cpu_dma_latency unavailable (%s): dma-lat rows not run", strerror(errno));
					if (dmafd >= 0)
						close(dmafd);
					dmafd = -1;
					continue;
				}
			}
			for (ip = 0; ip < 2; ip++)
				for (k = 0; k < W_MAX; k++) {
					char cfg[96];
					struct figure *f;

					/*
					 * Rotated: whichever method runs first
					 * after a change of idle policy (the
					 * dma-lat request dropped) wakes faster
					 * for a while on this VM; a fixed order
					 * gave that to the reference every time.
					 */
					m = (k + r) % W_MAX;

					w = shm_alloc(sizeof(*w), 0);
					if (!w)
						return;
					w->method = m;
					R->proc = 0;
					R->huge = 0;
					snprintf(R->dir, sizeof(R->dir), "%s", byteor_dir_4k);
					R->park_ns = park[ip];
					R->n = quick ? 50 : ip ? 300 : 2000;
					R->warm = R->n / 10;
					hist_reset(&R->h);
					if (m == W_EVENTFD)
						w->efd = eventfd(0, 0);
					if (m >= W_BYTEOR_FUTEX && make_ring(w->name, 64) < 0) {
						shm_free(w, sizeof(*w));
						continue;
					}
					snprintf(cfg, sizeof(cfg), "parked ~%s, %s", ip ? "1 ms" : "20 us",
						 dma ? "dma-lat 0" : "no dma-lat request");
					if (run_sides(wake_side, w, 2, cpus, 60) == 0) {
						f = fig_get("wake", wname[m], cfg, "ns p50", 1);
						fig_add(f, tsc_ns(hist_pct(&R->h, 50)));
						fig_hist(f, &R->h);
						if (m >= W_BYTEOR_FUTEX)
							fig_note(f, "consumer parked %llu times in %llu wakes (last rep)",
								 (unsigned long long)R->aux[1][0],
								 (unsigned long long)(R->n + R->warm));
					} else {
						fprintf(stderr, "bench: wake %s: %s\n", wname[m], R->errmsg);
						if (r == 0)
							section_note("wake", "%s failed: %s", wname[m], R->errmsg);
					}
					if (m == W_EVENTFD)
						close(w->efd);
					if (m >= W_BYTEOR_FUTEX)
						byteor_region_destroy(w->name, BYTEOR_BACKING_USER, R->dir);
					shm_free(w, sizeof(*w));
				}
			if (dmafd >= 0) {
				close(dmafd);
				dmafd = -1;
			}
		}
	print_section("wake", "Waking a parked consumer (wake-to-run)", "futex", NULL);
	{
		static const char *const cf[4] = { "parked ~20 us, no dma-lat request",
						   "parked ~1 ms, no dma-lat request",
						   "parked ~20 us, dma-lat 0", "parked ~1 ms, dma-lat 0" };
		char name[128];
		int k;

		for (k = 0; k < 4; k++) {
			const struct figure *a = fig_find("wake", "byteor-io_uring", cf[k]);
			const struct figure *b = fig_find("wake", "futex", cf[k]);

			snprintf(name, sizeof(name), "io_uring park p50 / raw futex p50 (%s)", cf[k]);
			target(name, a && b && a->h && b->h ? (double)hist_pct(a->h, 50) / (double)hist_pct(b->h, 50) : NAN,
			       1.2, 0, "distributions over all repetitions");
		}
	}
	syscalls_per_msg();
	print_section("syscalls", "Publisher cost with nobody parked", NULL, NULL);
}
