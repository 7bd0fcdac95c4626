// SPDX-License-Identifier: MIT
/*
 * floors.c - what the machine allows at best between the two CPUs, the
 * floor row of every latency table:
 *  - "1 line": a round trip on one cache line (ping writes odd, pong even);
 *  - "2 lines": a round trip on one line per direction (what two lanes are);
 *  - "one way": a TSC value stored on CPU 0, seen on CPU 1 (store-to-seen,
 *    receiver's TSC minus the stored one; needs the invariant, synchronised
 *    TSC this machine reports), then acknowledged on a second line.
 */
#include <errno.h>
#include <stddef.h>
#include "bench.h"

/*
 * The two lines sit in different 128-byte blocks: the adjacent-line
 * prefetcher pulls a line's 128-byte buddy along with it, so two lines of
 * one block move as a pair and the "2 lines" floor would pay for the
 * buddy's transfer too (measured ~8 % slower in the host's fast state),
 * flattering every ratio taken against it.  The minimal reference ring
 * keeps its two positions apart the same way.
 */
struct lines {
	_Alignas(128) volatile uint64_t a;
	_Alignas(128) volatile uint64_t b;
};
_Static_assert(offsetof(struct lines, b) / 128 != offsetof(struct lines, a) / 128,
	       "the floor's two lines share a 128-byte block");

static int floor_kind;		/* 0: one line, 1: two lines, 2: one way */

static int floor_side(void *ctx, int side)
{
	struct lines *l = ctx;
	uint64_t i, total = R->warm + R->n;

	run_ready();
	if (floor_kind == 0) {
		for (i = 0; i < total; i++) {
			if (side == 0) {
				uint64_t t0 = tsc_now(), t1;

				l->a = 2 * i + 1;
				while (l->a != 2 * i + 2)
					;
				t1 = tsc_now();
				if (i >= R->warm)
					hist_add(&R->h, t1 - t0);
			} else {
				while (l->a != 2 * i + 1)
					;
				l->a = 2 * i + 2;
			}
		}
	} else if (floor_kind == 1) {
		for (i = 0; i < total; i++) {
			if (side == 0) {
				uint64_t t0 = tsc_now(), t1;

				l->a = i + 1;
				while (l->b != i + 1)
					;
				t1 = tsc_now();
				if (i >= R->warm)
					hist_add(&R->h, t1 - t0);
			} else {
				while (l->a != i + 1)
					;
				l->b = i + 1;
			}
		}
	} else {
		/*
		 * The line starts zeroed and every stored TSC differs from the
		 * one before.  Not "last = l->a": read after side 0's first
		 * store, that waited for ever for a change that had come
		 * (a full `make bench` hung here).
		 */
		uint64_t last = 0;

		for (i = 0; i < total; i++) {
			if (side == 0) {
				l->a = tsc_now();
				while (l->b != i + 1)
					;
			} else {
				uint64_t v, t;

				while ((v = l->a) == last)
					;
				t = tsc_now();
				last = v;
				if (i >= R->warm)
					hist_add(&R->h, t > v ? t - v : 0);
				l->b = i + 1;
			}
		}
	}
	return 0;
}

/* One floor run of @kind with R->n, R->warm: leaves the distribution in R->h. */
int floor_once(int kind)
{
	static const int cpus[2] = { 0, 1 };
	struct lines *l = shm_alloc(sizeof(*l), 0);
	int proc = R->proc, ret;

	if (!l)
		return -ENOMEM;
	R->proc = 0;
	hist_reset(&R->h);
	floor_kind = kind;
	ret = run_sides(floor_side, l, 2, cpus, 60);
	R->proc = proc;
	shm_free(l, sizeof(*l));
	return ret;
}

void bench_floors(void)
{
	static const char *const names[] = { "floor-1line", "floor-2lines", "floor-oneway" };
	int reps = quick ? 1 : 5, r, k;

	section_note("floors", "round trips (1 line, 1 line per direction) and one-way store-to-seen between CPU 0 and CPU 1, threads, lfence-fenced rdtsc (no rdtscp on this CPU)");
	for (r = 0; r < reps; r++) {
		for (k = 0; k < 3; k++) {
			struct figure *f;

			R->n = quick ? 20000 : 200000;
			R->warm = R->n / 10;
			if (floor_once(k) == 0) {
				f = fig_get("floors", names[k], "threads", "ns p50", 1);
				fig_add(f, tsc_ns(hist_pct(&R->h, 50)));
				fig_hist(f, &R->h);
			}
		}
	}
}
