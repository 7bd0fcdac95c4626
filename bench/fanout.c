// SPDX-License-Identifier: MIT
/*
 * fanout.c - byteor fanout (broadcast) publish throughput with 1 and 2
 * subscribers, and subscriber lag (a subscriber's TSC when it sees a
 * message minus the TSC the producer wrote into it, every 16th message,
 * subscriber 1 only).  The producer and the router share one thread on
 * CPU 0 (publish a burst, route it): a router thread of its own would be a
 * third busy thread on a 2-CPU machine.  Subscribers run on CPU 1; with 2
 * subscribers they share it (oversubscribed, said in the table).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <byteor/fanout.h>
#include <byteor/region.h>
#include "bench.h"

struct fctx {
	char name[64];
	int subs;
	_Alignas(64) int joined;
	_Alignas(64) int done;
};

/*
 * Polling (0): non-blocking calls in a loop, wait strategy SPIN.  Blocking
 * (1): subscribers wait in byteor_fanout_peek_timed() with the default
 * wait strategy (spin, yield, park) - the path that lets two subscribers
 * sharing a CPU give it up instead of spinning out their time slices.
 * The publisher keeps polling: it also routes, and a router that parked
 * would have nobody to wake it.
 */
static int fan_blocking;
#define FAN_WAIT_NS	2000000000LL

static int fatal(int ret, const char *what)
{
	return run_fail(ret, "%s: %s", what, byteor_strerror(ret));
}

static int fan_side(void *ctx, int side)
{
	struct fctx *c = ctx;
	struct byteor_attach_options o = {
		.name = c->name, .backing = BYTEOR_BACKING_USER, .dir = R->dir,
		.wait_strategy = BYTEOR_WAIT_SPIN,
	};
	uint64_t n = R->n;
	unsigned int b = R->batch;
	int ret;

	if (side == 0) {
		struct byteor_fanout_router_options ro = { .mode = BYTEOR_FANOUT_BROADCAST };
		struct byteor_fanout *tx, *rt;
		struct byteor_fanout_slot s[32];
		uint64_t sent = 0;

		ret = byteor_attach_fanout_tx(&o, &tx);
		if (ret < 0)
			return fatal(ret, "attach_fanout_tx");
		ret = byteor_attach_fanout_router(&o, &ro, &rt);
		if (ret < 0) {
			byteor_fanout_detach(tx);
			return fatal(ret, "attach_fanout_router");
		}
		/* admit every subscriber before the first message */
		while (__atomic_load_n(&c->joined, __ATOMIC_ACQUIRE) < c->subs && !R->err)
			byteor_fanout_route(rt, 64);
		run_ready();
		R->t_start[0] = tsc_now();
		while (sent < n && !R->err) {
			unsigned int w = n - sent < b ? (unsigned int)(n - sent) : b;
			int k = byteor_fanout_claim(tx, s, w), i;

			if (k > 0) {
				uint64_t now = tsc_now();

				for (i = 0; i < k; i++) {
					uint64_t *p = s[i].data;

					p[0] = sent + (uint64_t)i;
					p[1] = now;
					s[i].len = 64;
					s[i].key = 0;
				}
				byteor_fanout_publish(tx, s, (unsigned int)k);
				sent += (uint64_t)k;
			} else if (k != -EAGAIN) {
				fatal(k, "fanout_claim");
				break;
			}
			ret = byteor_fanout_route(rt, 1024);
			if (ret < 0 && ret != -EAGAIN) {
				fatal(ret, "fanout_route");
				break;
			}
		}
		R->t_end[0] = tsc_now();
		while (__atomic_load_n(&c->done, __ATOMIC_ACQUIRE) < c->subs && !R->err)
			byteor_fanout_route(rt, 1024);
		byteor_fanout_detach(rt);
		byteor_fanout_detach(tx);
	} else {
		struct byteor_fanout *rx;
		struct byteor_fanout_msg m[32];
		uint64_t got = 0, bad = 0;

		o.queue = (unsigned int)(side - 1);
		if (fan_blocking)
			o.wait_strategy = BYTEOR_WAIT_AUTO;
		ret = byteor_attach_fanout_rx(&o, &rx);
		if (ret < 0)
			return fatal(ret, "attach_fanout_rx");
		while (byteor_fanout_joined(rx) != 1 && !R->err)
			;
		__atomic_fetch_add(&c->joined, 1, __ATOMIC_ACQ_REL);
		run_ready();
		while (got < n && !R->err) {
			int k = fan_blocking ? byteor_fanout_peek_timed(rx, m, 32, FAN_WAIT_NS) :
					       byteor_fanout_peek(rx, m, 32), i;

			if (k <= 0) {
				if (k != -EAGAIN && k != -ETIMEDOUT) {
					fatal(k, "fanout_peek");
					break;
				}
				continue;
			}
			for (i = 0; i < k; i++) {
				const uint64_t *p = m[i].data;

				bad |= p[0] ^ (got + (uint64_t)i);
				if (side == 1 && !((got + (uint64_t)i) & 15)) {
					uint64_t t = tsc_now();

					hist_add(&R->h, t > p[1] ? t - p[1] : 0);
				}
			}
			byteor_fanout_release(rx, (unsigned int)k);
			got += (uint64_t)k;
		}
		R->t_end[side] = tsc_now();
		__atomic_fetch_add(&c->done, 1, __ATOMIC_ACQ_REL);
		byteor_fanout_detach(rx);
		if (bad)
			return run_fail(-EBADMSG, "subscriber saw a message out of order");
	}
	return R->err;
}

static unsigned int fan_seq;

/*
 * One broadcast run: @subs subscribers (CPU 1; 2 share it), @n messages of
 * 64 B published @batch at a time.  Returns Mmsg/s (messages / (last
 * subscriber done - first publish)) and leaves subscriber 1's lag in R->h,
 * or NAN with R->errmsg set.
 */
double fanout_once(int subs, unsigned int batch, uint64_t n, int blocking)
{
	static const int cpus[3] = { 0, 1, 1 };
	struct fctx *c = shm_alloc(sizeof(*c), 0);
	struct byteor_region_options o = {
		.kind = BYTEOR_KIND_FANOUT,
		.geometry = { .slot_size = 64, .capacity = 4096,
			      .queues = (unsigned int)subs, .producers = 1 },
		.backing = BYTEOR_BACKING_USER,
	};
	uint64_t te = 0;
	double v = NAN;
	int ret, i;

	if (!c) {
		snprintf(R->errmsg, sizeof(R->errmsg), "shm_alloc failed");
		return NAN;
	}
	R->proc = 0;
	R->huge = 0;
	snprintf(R->dir, sizeof(R->dir), "%s", byteor_dir_4k);
	o.dir = R->dir;
	R->n = n;
	R->batch = batch;
	R->err = 0;
	R->errmsg[0] = 0;
	hist_reset(&R->h);
	c->subs = subs;
	snprintf(c->name, sizeof(c->name), "bench.%d.f%u", (int)getpid(), fan_seq++);
	o.name = c->name;
	ret = byteor_region_create(&o, NULL);
	if (ret < 0) {
		snprintf(R->errmsg, sizeof(R->errmsg), "region create failed: %s",
			 byteor_strerror(ret));
		shm_free(c, sizeof(*c));
		return NAN;
	}
	fan_blocking = blocking;
	if (run_sides(fan_side, c, 1 + subs, cpus, 120) == 0) {
		for (i = 1; i <= subs; i++)
			if (R->t_end[i] > te)
				te = R->t_end[i];
		v = (double)R->n / tsc_ns(te - R->t_start[0]) * 1e3;
	}
	fan_blocking = 0;
	byteor_region_destroy(c->name, BYTEOR_BACKING_USER, R->dir);
	shm_free(c, sizeof(*c));
	return v;
}

void bench_fanout(void)
{
	int r, subs, ib, bl;

	section_note("fanout", "broadcast fanout, 64 B messages, capacity 4096, threads, 4K pages; producer + router in one thread on CPU 0, subscribers on CPU 1 (2 subscribers: 3 busy threads on 2 CPUs, OVERSUBSCRIBED: they share CPU 1); throughput = messages / (last subscriber done - first publish)");
	section_note("fanout", "polling: subscribers call byteor_fanout_peek (non-blocking, wait strategy SPIN); blocking: byteor_fanout_peek_timed (2 s bound, wait strategy AUTO: spin, yield, park); the publisher + router always polls");
	section_note("fanout", "subscriber lag = subscriber's TSC on seeing a message - the TSC the producer wrote into it (every 16th message of subscriber 1): queueing delay at full rate");
	for (r = 0; r < (quick ? 1 : 5); r++)
		for (subs = 1; subs <= 2; subs++)
			for (ib = 0; ib < 2; ib++)
				for (bl = 0; bl < 2; bl++) {
					char cfg[96];
					struct figure *f;
					double v;

					snprintf(cfg, sizeof(cfg), "%d subscriber%s, %s, %s", subs,
						 subs > 1 ? "s" : "", ib ? "publish batch 32" : "publish 1",
						 bl ? "blocking" : "polling");
					v = fanout_once(subs, ib ? 32 : 1,
							quick ? 100000 : subs > 1 ? 200000 : 1000000, bl);
					if (isnan(v)) {
						fprintf(stderr, "bench: fanout: %s\n", R->errmsg);
						if (!r)
							section_note("fanout", "%s failed: %s", cfg, R->errmsg);
						continue;
					}
					f = fig_get("fanout", "byteor-fanout", cfg, "Mmsg/s", 0);
					fig_add(f, v);
					if (subs > 1)
						fig_note(f, "oversubscribed: 3 busy threads on 2 CPUs (2 subscribers share CPU 1)");
					f = fig_get("fanout-lag", "byteor-fanout", cfg, "ns p50", 1);
					fig_add(f, tsc_ns(hist_pct(&R->h, 50)));
					fig_hist(f, &R->h);
				}
	print_section("fanout", "Fanout publish throughput", NULL, NULL);
	print_section("fanout-lag", "Fanout subscriber lag", NULL, NULL);
}

/*
 * The kernel backing: /dev/byteor exists only inside the QEMU guests, which
 * run under TCG here (no KVM): timings there mean nothing, and the guest
 * image is owned by the test runner.  Report what this host has.
 */
void bench_kernel(void)
{
	if (access("/dev/byteor", F_OK) == 0)
		section_note("kernel", "/dev/byteor present, but kernel-backing lanes are not benchmarked by this driver yet");
	else
		section_note("kernel", "kernel backing NOT RUN here: no /dev/byteor on this host (the module runs only in the QEMU/TCG test guests, where timings mean nothing)");
	section_note("kernel", "page size and page faults of the lanes on /dev/byteor regions are measured in those guests by make check-kernel (tests/kernel/lanes_pages.c, figures in build/qemu-*/console.log): 2 MiB pages in every process, a fresh attach wholly resident, 0 faults while messages go round");
	print_section("kernel", "Kernel backing", NULL, NULL);
}
