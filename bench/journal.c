// SPDX-License-Identifier: MIT
/*
 * journal.c - byteor journal publish throughput with 1 and 2 subscribers,
 * and subscriber lag (a subscriber's TSC when it reads a record minus the
 * TSC the publisher wrote into it, every 16th record, subscriber 1 only).
 *
 * The publisher (CPU 0) appends 64 B records - fanout's message size, so
 * the two sections compare - zero-copy (claim, fill, commit), each stamped
 * with the TSC as fanout stamps each publish-1 message.  Subscribers
 * (CPU 1; with 2 they share it: oversubscribed, said in the table) attach
 * at the tail before the first record and poll without waiting
 * (timeout 0), reading in place in batches of up to 32 (peek_batch, read
 * each record's words, consume_batch: one intent check for the batch,
 * then each record's checks - a batch that was lapped is discarded whole,
 * unchecked, as a lapped single record was).
 *
 * The journal publisher never waits for anybody: its throughput is its
 * own, and a subscriber that falls a whole record area behind is lapped
 * (-EOVERFLOW) and skips to the oldest record still retained.  Laps and
 * the records they cost are counted and put in the table, not hidden.
 * Every record a subscriber consumes is checked: its sequence number (in
 * order, a forward jump allowed only right after a reported lap), length,
 * type and last payload word; at the end read + lost must be every record.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <byteor/journal.h>
#include <byteor/region.h>
#include "bench.h"

#define JR_PAYLOAD	64		/* bytes, as fanout's messages */
#define JR_CAPACITY	(4U << 20)	/* record area bytes */
#define JR_TYPE		7U		/* record type, checked by subscribers */
#define JR_SAMPLE	15		/* lag sampled when (seq & JR_SAMPLE) == 0 */
#define JR_BATCH	32		/* records a subscriber peeks at once */

/* R->aux[side][...]: a subscriber's counts, summed by the driver afterwards */
enum { AUX_LAPS, AUX_LOST };

struct jctx {
	char name[64];
};

/*
 * Laps summed over the repetitions of one configuration: every
 * subscriber's (the throughput row), subscriber 1's (the lag row, whose
 * samples it takes).  @reads: records the subscribers should have read.
 */
struct jtotal {
	uint64_t laps, lost, reads;
	uint64_t laps1;
	int runs, runs_lapped, runs_lapped1;
};

static int fatal(int ret, const char *what)
{
	return run_fail(ret, "%s: %s", what, byteor_strerror(ret));
}

/*
 * Seq first, the TSC second (only in the records whose lag is sampled:
 * reading the TSC costs two lfences, which wait for every load before
 * them - the paired section compares this rate with a ring that stamps
 * nothing), constant filler up to the last word (7).
 */
static inline void jr_fill(void *dst, uint64_t seq)
{
	uint64_t m[JR_PAYLOAD / 8] = {
		seq, (seq & JR_SAMPLE) ? 0 : tsc_now(), 2, 3, 4, 5, 6, 7
	};

	memcpy(dst, m, sizeof(m));
}

static int jr_publisher(const struct byteor_attach_options *o)
{
	struct byteor_journal *pub;
	uint64_t seq, n = R->n;
	void *d;
	int ret;

	ret = byteor_attach_journal_publisher(o, &pub);
	if (ret < 0)
		return fatal(ret, "attach_journal_publisher");
	run_ready();
	R->t_start[0] = tsc_now();
	for (seq = 0; seq < n && !R->err; seq++) {
		/* never waits: a claim fails only on misuse */
		ret = byteor_journal_claim(pub, JR_PAYLOAD, &d);
		if (ret < 0) {
			fatal(ret, "journal_claim");
			break;
		}
		jr_fill(d, seq);
		ret = byteor_journal_commit(pub, JR_TYPE, JR_PAYLOAD, NULL);
		if (ret < 0) {
			fatal(ret, "journal_commit");
			break;
		}
	}
	R->t_end[0] = tsc_now();
	byteor_journal_detach(pub);
	return R->err;
}

/*
 * One consumed record's checks.  @next is the sequence number expected;
 * after a lap (@lapped) a forward jump is the records the lap cost.
 * Return: 0, or the run's failure.
 */
static int jr_check(const struct byteor_journal_record *rec, uint64_t seq,
		    uint64_t last, uint64_t next, int lapped, int side)
{
	if (rec->len != JR_PAYLOAD || rec->type != JR_TYPE || last != 7)
		return run_fail(-EBADMSG, "subscriber %d: record %" PRIu64 " has len %u type %u last word %" PRIu64,
				side, seq, rec->len, rec->type, last);
	if (seq == next || (lapped && seq > next && seq < R->n))
		return 0;
	return run_fail(-EBADMSG, "subscriber %d: record %" PRIu64 " where %" PRIu64 " was expected%s",
			side, seq, next, lapped ? " (after a lap)" : "");
}

static int jr_subscriber(const struct byteor_attach_options *o, int side)
{
	struct byteor_journal *sub;
	struct byteor_journal_record recs[JR_BATCH];
	uint64_t seqs[JR_BATCH], lasts[JR_BATCH], ts[JR_BATCH], stamps[JR_BATCH];
	uint64_t next = 0, got = 0, lost = 0, laps = 0, n = R->n;
	int lapped = 0, ret, k, i;

	ret = byteor_attach_journal_subscriber_tail(o, &sub);
	if (ret < 0)
		return fatal(ret, "attach_journal_subscriber_tail");
	run_ready();
	/* the publisher's last record is never overwritten: this ends */
	while (next < n && !R->err) {
		/* up to JR_BATCH records in place, one intent check for all */
		k = byteor_journal_peek_batch(sub, recs, JR_BATCH);
		if (k == -EAGAIN)
			continue;
		if (k == -EOVERFLOW) {
			laps++;
			lapped = 1;
			continue;
		}
		if (k < 0) {
			fatal(k, "journal_peek_batch");
			break;
		}
		for (i = 0; i < k; i++) {
			const uint64_t *p = recs[i].data;

			seqs[i] = p[0];
			stamps[i] = p[1];
			lasts[i] = p[JR_PAYLOAD / 8 - 1];
			ts[i] = side == 1 && !(seqs[i] & JR_SAMPLE) ? tsc_now() : 0;
		}
		/* what was read counts only if it was intact throughout */
		ret = byteor_journal_consume_batch(sub, recs, (unsigned int)k);
		if (ret == -EOVERFLOW) {
			laps++;
			lapped = 1;
			continue;
		}
		if (ret < 0) {
			fatal(ret, "journal_consume_batch");
			break;
		}
		for (i = 0; i < k; i++) {
			if (jr_check(&recs[i], seqs[i], lasts[i], next, lapped, side))
				break;
			lost += seqs[i] - next;
			next = seqs[i] + 1;
			lapped = 0;
			got++;
			if (ts[i])
				hist_add(&R->h, ts[i] > stamps[i] ? ts[i] - stamps[i] : 0);
		}
	}
	R->t_end[side] = tsc_now();
	byteor_journal_detach(sub);
	R->aux[side][AUX_LAPS] = laps;
	R->aux[side][AUX_LOST] = lost;
	if (!R->err && got + lost != n)
		return run_fail(-EBADMSG, "subscriber %d: %" PRIu64 " read + %" PRIu64 " lost != %" PRIu64 " published",
				side, got, lost, n);
	return R->err;
}

static int jr_side(void *ctx, int side)
{
	struct jctx *c = ctx;
	struct byteor_attach_options o = {
		.name = c->name, .backing = BYTEOR_BACKING_USER, .dir = R->dir,
		.wait_strategy = BYTEOR_WAIT_SPIN, .timeout_ns = 0,
	};

	return side ? jr_subscriber(&o, side) : jr_publisher(&o);
}

/* A fresh journal per run: every run starts at position 0, empty. */
static int jr_create(struct jctx *c)
{
	static unsigned int seqn;
	struct byteor_region_options o = {
		.kind = BYTEOR_KIND_JOURNAL,
		.geometry = { .slot_size = JR_PAYLOAD, .capacity = JR_CAPACITY,
			      .queues = 1, .producers = 1 },
		.backing = BYTEOR_BACKING_USER,
		.dir = R->dir,
	};

	snprintf(c->name, sizeof(c->name), "bench.%d.j%u", (int)getpid(), seqn++);
	o.name = c->name;
	return byteor_region_create(&o, NULL);
}

static const char *plural(int n)
{
	return n == 1 ? "" : "s";
}

/* Throughput row note: oversubscription, and every lap of every run. */
static void jr_note(struct figure *f, int subs, const struct jtotal *t)
{
	const char *over = subs > 1 ? "oversubscribed: 2 subscribers share CPU 1; " : "";

	if (!t->laps) {
		fig_note(f, "%snever lapped in %d run%s: every record read", over, t->runs,
			 plural(t->runs));
		return;
	}
	fig_note(f, "%sLAPPED %" PRIu64 " times in %d of %d runs: %" PRIu64 " of %" PRIu64 " subscriber reads skipped (%.2f %%)",
		 over, t->laps, t->runs_lapped, t->runs, t->lost, t->reads,
		 100.0 * (double)t->lost / (double)t->reads);
}

/* Lag row note: the lag after a lap is how far behind the subscriber is. */
static void jr_lag_note(struct figure *f, int subs, const struct jtotal *t)
{
	const char *over = subs > 1 ? "oversubscribed: 2 subscribers share CPU 1; " : "";

	if (!t->laps1)
		fig_note(f, "%ssubscriber 1 never lapped in %d run%s", over, t->runs,
			 plural(t->runs));
	else
		fig_note(f, "%ssubscriber 1 LAPPED %" PRIu64 " times in %d of %d runs: lag includes its time a record area behind",
			 over, t->laps1, t->runs_lapped1, t->runs);
}

/* A finished run: throughput, subscriber 1's lag, the laps of every subscriber. */
static void jr_record(const char *cfg, int subs, struct jtotal *t)
{
	struct figure *f;
	uint64_t laps = 0;
	int i;

	for (i = 1; i <= subs; i++) {
		laps += R->aux[i][AUX_LAPS];
		t->lost += R->aux[i][AUX_LOST];
		t->reads += R->n;
	}
	t->laps += laps;
	t->runs_lapped += laps > 0;
	t->laps1 += R->aux[1][AUX_LAPS];
	t->runs_lapped1 += R->aux[1][AUX_LAPS] > 0;
	t->runs++;
	f = fig_get("journal", "byteor-journal", cfg, "Mrec/s", 0);
	fig_add(f, (double)R->n / tsc_ns(R->t_end[0] - R->t_start[0]) * 1e3);
	jr_note(f, subs, t);
	f = fig_get("journal-lag", "byteor-journal", cfg, "ns p50", 1);
	fig_add(f, tsc_ns(hist_pct(&R->h, 50)));
	fig_hist(f, &R->h);
	jr_lag_note(f, subs, t);
}

static void jr_run(int subs, struct jtotal *t, int rep)
{
	static const int cpus[3] = { 0, 1, 1 };
	struct jctx *c = shm_alloc(sizeof(*c), 0);
	char cfg[96];
	int ret;

	if (!c)
		return;
	R->proc = 0;
	R->huge = 0;
	snprintf(R->dir, sizeof(R->dir), "%s", byteor_dir_4k);
	R->n = quick ? 1000000 : 4000000;
	R->payload = JR_PAYLOAD;
	R->batch = 1;
	R->err = 0;
	hist_reset(&R->h);
	snprintf(cfg, sizeof(cfg), "%d subscriber%s, %u B payload", subs, subs > 1 ? "s" : "",
		 JR_PAYLOAD);
	ret = jr_create(c);
	if (ret < 0) {
		section_note("journal", "%s: region create failed: %s", cfg, byteor_strerror(ret));
		shm_free(c, sizeof(*c));
		return;
	}
	if (run_sides(jr_side, c, 1 + subs, cpus, 120) == 0) {
		jr_record(cfg, subs, t);
	} else {
		fprintf(stderr, "bench: journal: %s: %s\n", cfg, R->errmsg);
		section_note("journal", "%s FAILED in repetition %d: %s", cfg, rep + 1, R->errmsg);
	}
	byteor_region_destroy(c->name, BYTEOR_BACKING_USER, R->dir);
	shm_free(c, sizeof(*c));
}

/*
 * One run with @subs subscribers, for the paired section: records / s of
 * the publisher (Mrec/s), or NAN with R->errmsg set.  Laps are not
 * counted here (the journal section reports them).
 */
double journal_once(int subs, uint64_t n)
{
	static const int cpus[3] = { 0, 1, 1 };
	struct jctx *c = shm_alloc(sizeof(*c), 0);
	double v = NAN;
	int ret;

	if (!c) {
		snprintf(R->errmsg, sizeof(R->errmsg), "shm_alloc failed");
		return NAN;
	}
	R->proc = 0;
	R->huge = 0;
	snprintf(R->dir, sizeof(R->dir), "%s", byteor_dir_4k);
	R->n = n;
	R->payload = JR_PAYLOAD;
	R->batch = 1;
	R->err = 0;
	R->errmsg[0] = 0;
	hist_reset(&R->h);
	ret = jr_create(c);
	if (ret < 0) {
		snprintf(R->errmsg, sizeof(R->errmsg), "region create failed: %s",
			 byteor_strerror(ret));
		shm_free(c, sizeof(*c));
		return NAN;
	}
	if (run_sides(jr_side, c, 1 + subs, cpus, 120) == 0)
		v = (double)R->n / tsc_ns(R->t_end[0] - R->t_start[0]) * 1e3;
	byteor_region_destroy(c->name, BYTEOR_BACKING_USER, R->dir);
	shm_free(c, sizeof(*c));
	return v;
}

void bench_journal(void)
{
	struct jtotal tot[2];
	int r, subs;

	memset(tot, 0, sizeof(tot));
	section_note("journal", "journal, %u B payload (%u B records), record area %u KiB, threads, 4K pages; publisher CPU 0, subscribers CPU 1 from the tail (2: OVERSUBSCRIBED, they share CPU 1)",
		     JR_PAYLOAD, JR_PAYLOAD + BYTEOR_JOURNAL_HEADER, JR_CAPACITY >> 10);
	section_note("journal", "throughput = records / publisher's own time (it never waits for subscribers); each record TSC-stamped; subscribers poll (timeout 0), read in place in batches of up to %d (peek_batch/consume_batch), check every record; a lapped subscriber skips, counted in the row note", JR_BATCH);
	section_note("journal-lag", "subscriber lag = subscriber's TSC on reading a record - the TSC the publisher wrote into it (every 16th record of subscriber 1): records a lap skipped or overwrote while read are not sampled; after a lap, lag is how far behind the subscriber runs");
	for (r = 0; r < (quick ? 1 : 5); r++)
		for (subs = 1; subs <= 2; subs++)
			jr_run(subs, &tot[subs - 1], r);
	print_section("journal", "Journal publish throughput", NULL, NULL);
	print_section("journal-lag", "Journal subscriber lag", NULL, NULL);
}
