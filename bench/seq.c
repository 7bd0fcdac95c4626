// SPDX-License-Identifier: MIT
/*
 * seq.c - byteor sequenced slots against the LMAX Disruptor 3.4.4 (Debian's
 * libdisruptor-java, Java 17, BusySpinWaitStrategy, same ring sizes):
 *  - unicast 1P-1C throughput, publish 1 and batch of 10: 65536 entries of
 *    8 bytes; the consumer takes whatever is available (a Disruptor batch
 *    event processor does the same);
 *  - ping-pong round trip: two rings of 1024 entries, the pong stage of
 *    ring A publishing into ring B.
 * byteor runs pinned (producer CPU 0, stage CPU 1); the JVM runs under
 * taskset -c 0,1 (Java cannot pin its threads one by one).  Repetitions
 * alternate: byteor rep i, then a fresh JVM for Java rep i (each JVM warms
 * up before it measures).
 * Multi-stage shapes (pipeline, multicast, diamond) need 3+ busy-spinning
 * threads: on 2 CPUs they only measure the scheduler, so they are not run.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <byteor/sequenced_slots.h>
#include <byteor/region.h>
#include "bench.h"

#define SEQ_CAP		65536
#define SEQ_PP_CAP	1024

struct sctx {
	char name[2][64];
	int n;
};

static int fatal(int ret, const char *what)
{
	return run_fail(ret, "%s: %s", what, byteor_strerror(ret));
}

static int seq_setup(struct sctx *c, int nlanes, unsigned int cap)
{
	static unsigned int seqn;
	int i, ret;

	for (i = 0; i < nlanes; i++) {
		struct byteor_region_options o = {
			.kind = BYTEOR_KIND_SEQUENCED_SLOTS,
			.geometry = { .slot_size = 8, .capacity = cap, .queues = 1,
				      .producers = 1 },
			.backing = BYTEOR_BACKING_USER,
			.dir = R->dir,
		};

		snprintf(c->name[i], 64, "bench.%d.s%u", (int)getpid(), seqn++);
		o.name = c->name[i];
		ret = byteor_region_create(&o, NULL);
		if (ret < 0)
			return fatal(ret, "region_create(sequenced slots)");
		c->n = i + 1;
	}
	return 0;
}

static void seq_teardown(struct sctx *c)
{
	int i;

	for (i = 0; i < c->n; i++)
		byteor_region_destroy(c->name[i], BYTEOR_BACKING_USER, R->dir);
	c->n = 0;
}

/*
 * Polling (0): non-blocking calls (-EAGAIN) in a loop, wait strategy SPIN.
 * Blocking (1): the *_timed calls with a bounded timeout and the default
 * wait strategy (spin, yield, park): the path an application that waits
 * takes, eventcount checks included.
 */
static int seq_blocking;
#define SEQ_WAIT_NS	2000000000LL	/* a peer that died lets us stop */

static int seq_attach(const char *name, int role, struct byteor_sequenced_slots **out)
{
	struct byteor_attach_options o = {
		.name = name, .backing = BYTEOR_BACKING_USER, .dir = R->dir,
		.wait_strategy = seq_blocking ? BYTEOR_WAIT_AUTO : BYTEOR_WAIT_SPIN,
	};
	int ret = byteor_attach_sequenced_slots_region(&o, role, out);

	return ret < 0 ? fatal(ret, "attach_sequenced_slots_region") : 0;
}

static int unicast_side(void *ctx, int side)
{
	struct sctx *c = ctx;
	struct byteor_sequenced_slots *h;
	uint64_t n = R->n, done = 0, sum = 0;
	unsigned int b = R->batch;
	__u64 first;
	int ret;

	ret = seq_attach(c->name[0], side ? BYTEOR_ROLE_CONSUMER : BYTEOR_ROLE_PRODUCER, &h);
	if (ret)
		return ret;
	run_ready();
	R->t_start[side] = tsc_now();
	if (side == 0) {
		while (done < n) {
			unsigned int i;

			ret = seq_blocking ?
			      byteor_sequenced_slots_producer_claim_timed(h, b, &first, SEQ_WAIT_NS) :
			      byteor_sequenced_slots_producer_claim(h, b, &first);
			if (ret) {
				if (ret != -EAGAIN && ret != -ETIMEDOUT) {
					fatal(ret, "producer_claim");
					break;
				}
				if (R->err)
					break;
				continue;
			}
			for (i = 0; i < b; i++)
				*(uint64_t *)byteor_sequenced_slots_entry(h, first + i) = first + i;
			byteor_sequenced_slots_producer_publish(h, b);
			done += b;
		}
	} else {
		while (done < n) {
			int k = seq_blocking ?
				byteor_sequenced_slots_stage_wait_timed(h, 4096, &first, SEQ_WAIT_NS) :
				byteor_sequenced_slots_stage_wait(h, 4096, &first), i;

			if (k <= 0) {
				if (k != -EAGAIN && k != -ETIMEDOUT) {
					fatal(k, "stage_wait");
					break;
				}
				if (R->err)
					break;
				continue;
			}
			for (i = 0; i < k; i++)
				sum += *(const uint64_t *)byteor_sequenced_slots_entry(h, first + (uint64_t)i);
			byteor_sequenced_slots_stage_advance(h, (unsigned int)k);
			done += (uint64_t)k;
		}
		if (sum != n * (n - 1) / 2)
			ret = run_fail(-EBADMSG, "stage sum mismatch");
	}
	R->t_end[side] = tsc_now();
	byteor_sequenced_slots_detach(h);
	return R->err ? R->err : ret;
}

static int pingpong_side(void *ctx, int side)
{
	struct sctx *c = ctx;
	struct byteor_sequenced_slots *a, *b;
	uint64_t i, total = R->warm + R->n;
	__u64 first;
	int ret;

	/* ping: produces into 0, stage of 1; pong: stage of 0, produces into 1 */
	ret = seq_attach(c->name[0], side ? BYTEOR_ROLE_CONSUMER : BYTEOR_ROLE_PRODUCER, &a);
	if (ret)
		return ret;
	ret = seq_attach(c->name[1], side ? BYTEOR_ROLE_PRODUCER : BYTEOR_ROLE_CONSUMER, &b);
	if (ret) {
		byteor_sequenced_slots_detach(a);
		return ret;
	}
	run_ready();
	for (i = 0; i < total && !R->err; i++) {
		if (side == 0) {
			uint64_t t0 = tsc_now(), t1;

			while ((ret = byteor_sequenced_slots_producer_claim(a, 1, &first)) == -EAGAIN)
				;
			if (ret) {
				fatal(ret, "producer_claim");
				break;
			}
			*(uint64_t *)byteor_sequenced_slots_entry(a, first) = i;
			byteor_sequenced_slots_producer_publish(a, 1);
			while ((ret = byteor_sequenced_slots_stage_wait(b, 1, &first)) == -EAGAIN)
				if (R->err)
					break;
			if (ret != 1) {
				fatal(ret, "stage_wait");
				break;
			}
			t1 = tsc_now();
			if (*(const uint64_t *)byteor_sequenced_slots_entry(b, first) != i)
				run_fail(-EBADMSG, "wrong echo");
			byteor_sequenced_slots_stage_advance(b, 1);
			if (i >= R->warm)
				hist_add(&R->h, t1 - t0);
		} else {
			uint64_t v;
			__u64 f2;

			while ((ret = byteor_sequenced_slots_stage_wait(a, 1, &first)) == -EAGAIN)
				if (R->err)
					break;
			if (ret != 1) {
				fatal(ret, "stage_wait");
				break;
			}
			v = *(const uint64_t *)byteor_sequenced_slots_entry(a, first);
			byteor_sequenced_slots_stage_advance(a, 1);
			while ((ret = byteor_sequenced_slots_producer_claim(b, 1, &f2)) == -EAGAIN)
				;
			if (ret) {
				fatal(ret, "producer_claim");
				break;
			}
			*(uint64_t *)byteor_sequenced_slots_entry(b, f2) = v;
			byteor_sequenced_slots_producer_publish(b, 1);
		}
	}
	byteor_sequenced_slots_detach(a);
	byteor_sequenced_slots_detach(b);
	return R->err;
}

/*
 * One unicast run (producer CPU 0, stage CPU 1, threads, 4K pages) of @n
 * entries published @batch at a time: Mops/s, or NAN with R->errmsg set.
 */
double seq_unicast_once(unsigned int batch, uint64_t n, int blocking)
{
	static const int cpus[2] = { 0, 1 };
	struct sctx c = { .n = 0 };
	double v = NAN;

	R->proc = 0;
	R->huge = 0;
	snprintf(R->dir, sizeof(R->dir), "%s", byteor_dir_4k);
	R->batch = batch;
	R->n = n;
	R->err = 0;
	R->errmsg[0] = 0;
	seq_blocking = blocking;
	if (seq_setup(&c, 1, SEQ_CAP) == 0 && run_sides(unicast_side, &c, 2, cpus, 120) == 0)
		v = (double)R->n / tsc_ns(R->t_end[1] - R->t_start[0]) * 1e3;
	seq_teardown(&c);
	seq_blocking = 0;
	return v;
}

/* One JVM: parse "RESULT <name> <value>" and "LAT <name> p50 p99 p999 max". */
static int run_java(const char *java, uint64_t n1, uint64_t n10, uint64_t npp)
{
	char cmd[1024], line[512];
	FILE *p;
	int got = 0;

	snprintf(cmd, sizeof(cmd), "%s %llu %llu %llu 2>&1", java, (unsigned long long)n1,
		 (unsigned long long)n10, (unsigned long long)npp);
	p = popen(cmd, "r");
	if (!p)
		return -errno;
	while (fgets(line, sizeof(line), p)) {
		char name[64];
		double v, p50, p99, p999, mx;

		if (sscanf(line, "RESULT %63s %lf", name, &v) == 2) {
			struct figure *f = fig_get("seq", "disruptor-java",
						   !strcmp(name, "publish1") ? "unicast 1P-1C, publish 1" :
						   "unicast 1P-1C, batch of 10", "Mops/s", 0);

			fig_add(f, v / 1e6);
			got++;
		} else if (sscanf(line, "LAT %63s %lf %lf %lf %lf", name, &p50, &p99, &p999, &mx) == 5) {
			struct figure *f = fig_get("seq-rtt", "disruptor-java", "ping-pong, 1024 entries",
						   "ns p50", 1);

			fig_add(f, p50);
			fig_note(f, "last JVM: p99 %.0f p99.9 %.0f max %.0f ns (System.nanoTime, sorted samples)",
				 p99, p999, mx);
			got++;
		} else if (!strncmp(line, "ERROR", 5)) {
			fprintf(stderr, "bench: java: %s", line);
		}
	}
	if (pclose(p) != 0 && !got)
		return -1;
	return got;
}

void bench_seq(const char *outdir)
{
	static const int cpus[2] = { 0, 1 };
	const char *java = getenv("BENCH_JAVA");
	uint64_t n1 = quick ? 1000000 : 10000000, n10 = quick ? 2000000 : 20000000;
	uint64_t npp = quick ? 20000 : 200000;
	int r, b, java_ok = java && *java;

	(void)outdir;
	section_note("seq", "byteor sequenced slots (producer CPU 0, stage CPU 1, threads, 4K pages, non-blocking calls polled) vs LMAX Disruptor 3.4.4 (BusySpinWaitStrategy, BatchEventProcessor, JVM under taskset -c 0,1, fresh JVM per repetition with warm-up); 65536 entries of 8 B; %llu ops publish-1, %llu ops batch-10",
		     (unsigned long long)n1, (unsigned long long)n10);
	section_note("seq", "byteor-seq polls (non-blocking calls, wait strategy SPIN); byteor-seq-blocking takes the blocking path (the *_timed calls, 2 s bound, wait strategy AUTO: spin, yield, park)");
	section_note("seq", "pipeline / multicast / diamond shapes NOT RUN: each needs 3+ busy-spinning threads, which 2 CPUs cannot run at once");
	if (!java_ok)
		section_note("seq", "Java Disruptor NOT RUN: BENCH_JAVA unset (no JDK / disruptor.jar)");
	for (r = 0; r < (quick ? 1 : 5); r++) {
		for (b = 0; b < 4; b++) {
			/* b & 1: batch of 10; b & 2: the blocking path */
			double v = seq_unicast_once(b & 1 ? 10 : 1, b & 1 ? n10 : n1, b >> 1);
			struct figure *f;

			if (!isnan(v)) {
				f = fig_get("seq", b >> 1 ? "byteor-seq-blocking" : "byteor-seq",
					    b & 1 ? "unicast 1P-1C, batch of 10" :
					    "unicast 1P-1C, publish 1", "Mops/s", 0);
				fig_add(f, v);
			} else {
				fprintf(stderr, "bench: seq unicast: %s\n", R->errmsg);
				if (!r)
					section_note("seq", "byteor-seq%s unicast failed: %s",
						     b >> 1 ? "-blocking" : "", R->errmsg);
			}
		}
		{
			struct sctx c = { .n = 0 };
			struct figure *f;

			R->n = npp;
			R->warm = npp / 4;
			R->err = 0;
			hist_reset(&R->h);
			if (seq_setup(&c, 2, SEQ_PP_CAP) == 0 && run_sides(pingpong_side, &c, 2, cpus, 120) == 0) {
				f = fig_get("seq-rtt", "byteor-seq", "ping-pong, 1024 entries", "ns p50", 1);
				fig_add(f, tsc_ns(hist_pct(&R->h, 50)));
				fig_hist(f, &R->h);
			} else {
				fprintf(stderr, "bench: seq ping-pong: %s\n", R->errmsg);
				if (!r)
					section_note("seq", "byteor-seq ping-pong failed: %s", R->errmsg);
			}
			seq_teardown(&c);
		}
		if (java_ok && run_java(java, n1, n10, npp) <= 0) {
			section_note("seq", "Java Disruptor run %d produced no result", r);
			java_ok = r > 0;	/* a first failure stops trying */
		}
	}
	print_section("seq", "Sequenced slots vs LMAX Disruptor: unicast throughput", "disruptor-java", NULL);
	print_section("seq-rtt", "Sequenced slots vs LMAX Disruptor: ping-pong round trip", "disruptor-java", NULL);
	{
		const struct figure *a = fig_find("seq", "byteor-seq", "unicast 1P-1C, publish 1");
		const struct figure *j = fig_find("seq", "disruptor-java", "unicast 1P-1C, publish 1");
		const struct figure *pa = fig_find("seq-rtt", "byteor-seq", "ping-pong, 1024 entries");
		const struct figure *pj = fig_find("seq-rtt", "disruptor-java", "ping-pong, 1024 entries");

		target("seq slots unicast publish-1 / Disruptor publish-1",
		       a && j && a->nreps && j->nreps ? fig_median(a) / fig_median(j) : NAN, 2.0, 1,
		       "medians of repetitions");
		target("seq slots ping-pong p50 / Disruptor p50",
		       pa && pj && pa->nreps && pj->nreps ? fig_median(pa) / fig_median(pj) : NAN, 0.6, 0,
		       "medians of per-repetition p50");
	}
}
