// SPDX-License-Identifier: GPL-2.0-only
/*
 * journal_basic - the journal in one process: records of every length in
 * order across many wraps (padding invisible), zero-copy and copying
 * reads, subscribers from the tail and from a stored position, a lapped
 * subscriber getting -EOVERFLOW with the oldest retained position and then
 * intact records, validation after use, claim/commit/abort, publisher
 * restart, argument checks, corrupt headers, read-only subscribers,
 * snapshots and the stat printer.
 */
#include "kselftest_harness.h"
#include "host_test.h"
#include "single_ring_test.h"
#include <byteor/journal.h>
#include "../../ulib/tools/byteorctl_stat_journal.c"

/* byteorctl_stat.c reports a region it cannot read; the printer calls it. */
int __byteorctl_stat_error(const char *name, int json, int err)
{
	(void)json;
	fprintf(stderr, "stat %s: %s\n", name, byteor_strerror(err));
	return 1;
}

#define NAME	"log"
#define CAP	4096U
#define MAXREC	1024U

FIXTURE(jr) {
	struct ht_dir d;
	struct byteor_journal *pub, *sub;
};

FIXTURE_SETUP(jr)
{
	struct byteor_geometry g = ht_geom(MAXREC, CAP, 1, 1);
	struct byteor_attach_options o;

	HT_DIR_SETUP(&self->d, false);
	ASSERT_EQ(0, ht_create(self->d.path, NAME, BYTEOR_KIND_JOURNAL, &g));
	o = lt_opts(self->d.path, NAME, 0, 0);
	ASSERT_EQ(0, byteor_attach_journal_publisher(&o, &self->pub));
}

FIXTURE_TEARDOWN(jr)
{
	byteor_journal_detach(self->sub);
	byteor_journal_detach(self->pub);
	ht_dir_teardown(&self->d);
}

/* Record @seq: its length, type, and payload bytes (seq first). */
static __u32 jb_len(__u64 seq)
{
	return (__u32)((seq * 7919) % (MAXREC + 1));
}

static __u32 jb_fill(unsigned char *p, __u64 seq)
{
	__u32 len = jb_len(seq), i;

	for (i = 0; i < len; i++)
		p[i] = (unsigned char)(seq * 31 + i);
	if (len >= 8)
		memcpy(p, &seq, 8);
	return len;
}

static const char *jb_check(const void *data, __u32 len, __u32 type, __u64 seq)
{
	const unsigned char *p = data;
	__u64 s;
	__u32 i;

	if (len != jb_len(seq))
		return "bad length";
	if (type != (__u32)seq)
		return "bad type";
	if (len >= 8) {
		memcpy(&s, p, 8);
		if (s != seq)
			return "bad sequence";
	}
	for (i = len >= 8 ? 8 : 0; i < len; i++)
		if (p[i] != (unsigned char)(seq * 31 + i))
			return "bad payload byte";
	return NULL;
}

static int jb_append(struct byteor_journal *pub, __u64 seq, __u64 *pos)
{
	unsigned char buf[MAXREC];
	__u32 len = jb_fill(buf, seq);

	return byteor_journal_append(pub, (__u32)seq, buf, len, pos);
}

static struct byteor_attach_options jb_opts(FIXTURE_DATA(jr) *self)
{
	return lt_opts(self->d.path, NAME, 0, 0);
}

TEST_F(jr, records_arrive_in_order_and_intact_across_many_wraps)
{
	struct byteor_attach_options o = jb_opts(self);
	struct byteor_journal_record rec;
	unsigned char buf[MAXREC];
	__u64 seq, pos;
	const char *why;
	int n;

	/* Interleave appends with copying and zero-copy reads. */
	ASSERT_EQ(0, byteor_attach_journal_subscriber_tail(&o, &self->sub));
	for (seq = 0; seq < 20000; seq++) {
		ASSERT_EQ(0, jb_append(self->pub, seq, &pos));
		ASSERT_EQ(pos % 8, 0);
		if (seq % 3 == 0) {
			n = byteor_journal_read(self->sub, buf, sizeof(buf), &rec);
			ASSERT_LE(0, n);
			why = jb_check(buf, n, rec.type, seq);
		} else {
			ASSERT_EQ(0, byteor_journal_peek(self->sub, &rec));
			why = jb_check(rec.data, rec.len, rec.type, seq);
			ASSERT_EQ(pos, rec.pos);
			ASSERT_EQ(0, byteor_journal_consume(self->sub, &rec));
		}
		ASSERT_EQ(NULL, why) TH_LOG("record %llu: %s", (unsigned long long)seq, why);
		EXPECT_EQ(-EAGAIN, byteor_journal_peek(self->sub, &rec));
	}
	/* ~10 MB through a 4 KiB area: thousands of wraps. */
	EXPECT_LT(1000 * CAP, byteor_journal_position(self->pub));
}

TEST_F(jr, a_tail_subscriber_sees_only_new_records)
{
	struct byteor_attach_options o = jb_opts(self);
	struct byteor_journal_record rec;
	unsigned char buf[MAXREC];
	__u64 seq;

	for (seq = 0; seq < 5; seq++)
		ASSERT_EQ(0, jb_append(self->pub, seq, NULL));
	ASSERT_EQ(0, byteor_attach_journal_subscriber_tail(&o, &self->sub));
	EXPECT_EQ(-EAGAIN, byteor_journal_peek(self->sub, &rec));
	ASSERT_EQ(0, jb_append(self->pub, 5, NULL));
	ASSERT_LE(0, byteor_journal_read(self->sub, buf, sizeof(buf), &rec));
	EXPECT_EQ(5, rec.type);
	EXPECT_EQ(-EAGAIN, byteor_journal_read(self->sub, buf, sizeof(buf), &rec));
}

TEST_F(jr, a_subscriber_resumes_exactly_from_a_stored_position)
{
	struct byteor_attach_options o = jb_opts(self);
	struct byteor_journal_record rec;
	unsigned char buf[MAXREC];
	__u64 seq, stored;

	ASSERT_EQ(0, byteor_attach_journal_subscriber_from(&o, 0, &self->sub));
	for (seq = 0; seq < 8; seq++)
		ASSERT_EQ(0, jb_append(self->pub, seq, NULL));
	for (seq = 0; seq < 3; seq++)
		ASSERT_LE(0, byteor_journal_read(self->sub, buf, sizeof(buf), &rec));
	stored = byteor_journal_position(self->sub);
	EXPECT_EQ(rec.next, stored);
	byteor_journal_detach(self->sub);
	self->sub = NULL;
	ASSERT_EQ(0, byteor_attach_journal_subscriber_from(&o, stored, &self->sub));
	for (seq = 3; seq < 8; seq++) {
		int n = byteor_journal_read(self->sub, buf, sizeof(buf), &rec);

		ASSERT_LE(0, n);
		EXPECT_EQ(NULL, jb_check(buf, n, rec.type, seq));
	}
	EXPECT_EQ(-EAGAIN, byteor_journal_read(self->sub, buf, sizeof(buf), &rec));
}

TEST_F(jr, a_lapped_subscriber_gets_eoverflow_then_intact_records)
{
	struct byteor_attach_options o = jb_opts(self);
	struct byteor_journal_snapshot s;
	struct byteor_journal_record rec;
	unsigned char buf[MAXREC];
	__u64 seq, oldest, pos[400], last = 0;
	const char *why;
	int n, got = 0;

	ASSERT_EQ(0, byteor_attach_journal_subscriber_from(&o, 0, &self->sub));
	for (seq = 0; seq < 400; seq++)
		ASSERT_EQ(0, jb_append(self->pub, seq, &pos[seq]));
	ASSERT_EQ(0, byteor_journal_oldest(self->sub, &oldest));
	EXPECT_LT(0, oldest);
	n = byteor_journal_read(self->sub, buf, sizeof(buf), &rec);
	ASSERT_EQ(-EOVERFLOW, n);
	EXPECT_EQ(0, rec.pos);
	EXPECT_EQ(oldest, rec.next);
	EXPECT_EQ(oldest, byteor_journal_position(self->sub));
	/* From there: intact records up to the last one, nothing torn. */
	for (;;) {
		n = byteor_journal_read(self->sub, buf, sizeof(buf), &rec);
		if (n == -EAGAIN)
			break;
		ASSERT_LE(0, n);
		why = jb_check(buf, n, rec.type, rec.type);
		ASSERT_EQ(NULL, why);
		ASSERT_EQ(pos[rec.type], rec.pos);
		if (!got++)
			EXPECT_EQ(oldest, rec.pos);
		last = rec.type;
	}
	EXPECT_EQ(399, last);
	/* The retained window is at most the area, at least most of it. */
	EXPECT_GE(CAP, pos[399] + 16 + MAXREC - oldest);
	ASSERT_EQ(0, byteor_journal_snapshot(self->sub, &s));
	EXPECT_EQ(1, s.lapped);
	EXPECT_EQ(got, s.read);
	EXPECT_EQ(0, s.lag);
	EXPECT_EQ(400, s.records);
}

/*
 * The subscriber loads the publisher's tail once per run of records and
 * reuses it until its position reaches it: records committed after the
 * tail it cached are found when it gets there, in order, none skipped.
 */
TEST_F(jr, records_committed_after_a_cached_tail_are_read)
{
	struct byteor_attach_options o = jb_opts(self);
	struct byteor_journal_record rec;
	unsigned char buf[MAXREC];
	__u64 seq, want = 0;
	int n, round;

	ASSERT_EQ(0, byteor_attach_journal_subscriber_from(&o, 0, &self->sub));
	for (seq = 0, round = 0; round < 50; round++) {
		/* a few appended, one read (the tail cached), more appended */
		for (n = 0; n < 3; n++, seq++)
			ASSERT_EQ(0, jb_append(self->pub, seq, NULL));
		n = byteor_journal_read(self->sub, buf, sizeof(buf), &rec);
		ASSERT_LE(0, n);
		ASSERT_EQ(want, rec.type);
		want++;
		for (n = 0; n < 2; n++, seq++)
			ASSERT_EQ(0, jb_append(self->pub, seq, NULL));
		while (want < seq - 1) {
			n = byteor_journal_read(self->sub, buf, sizeof(buf), &rec);
			ASSERT_LE(0, n);
			ASSERT_EQ(NULL, jb_check(buf, n, rec.type, want));
			want++;
		}
	}
	/* The last one, then nothing. */
	n = byteor_journal_read(self->sub, buf, sizeof(buf), &rec);
	ASSERT_LE(0, n);
	EXPECT_EQ(seq - 1, rec.type);
	EXPECT_EQ(-EAGAIN, byteor_journal_read(self->sub, buf, sizeof(buf), &rec));
	EXPECT_EQ(byteor_journal_position(self->pub), byteor_journal_position(self->sub));
}

/* Lapped with a tail cached below the publisher's: still -EOVERFLOW. */
TEST_F(jr, a_subscriber_lapped_past_its_cached_tail_gets_eoverflow)
{
	struct byteor_attach_options o = jb_opts(self);
	struct byteor_journal_record rec;
	unsigned char buf[MAXREC];
	__u64 seq, at, oldest;
	int n;

	ASSERT_EQ(0, byteor_attach_journal_subscriber_from(&o, 0, &self->sub));
	for (seq = 0; seq < 3; seq++)
		ASSERT_EQ(0, jb_append(self->pub, seq, NULL));
	ASSERT_LE(0, byteor_journal_read(self->sub, buf, sizeof(buf), &rec));
	at = byteor_journal_position(self->sub);
	/* Its cached tail is two records ahead; the publisher laps it. */
	for (; seq < 400; seq++)
		ASSERT_EQ(0, jb_append(self->pub, seq, NULL));
	ASSERT_EQ(0, byteor_journal_oldest(self->sub, &oldest));
	n = byteor_journal_read(self->sub, buf, sizeof(buf), &rec);
	ASSERT_EQ(-EOVERFLOW, n);
	EXPECT_EQ(at, rec.pos);
	EXPECT_EQ(oldest, rec.next);
	/* The zero-copy path too. */
	for (; seq < 800; seq++)
		ASSERT_EQ(0, jb_append(self->pub, seq, NULL));
	n = byteor_journal_peek(self->sub, &rec);
	if (n == 0)	/* a header that checks out: the consume tells */
		n = byteor_journal_consume(self->sub, &rec);
	EXPECT_EQ(-EOVERFLOW, n);
}

/*
 * Batches: records in order and intact across thousands of wraps (the
 * lengths vary, so padding falls inside batches), each batch as many as
 * were committed up to its @max; a single peek/consume interleaved.
 */
TEST_F(jr, batches_arrive_in_order_across_wraps_and_padding)
{
	struct byteor_attach_options o = jb_opts(self);
	struct byteor_journal_record recs[40];
	__u64 seq = 0, want = 0, pos[64];
	unsigned int round, k, avail, max, padded = 0;
	int n, i;

	ASSERT_EQ(0, byteor_attach_journal_subscriber_from(&o, 0, &self->sub));
	for (round = 0; round < 3000; round++) {
		avail = 1 + round % 3;		/* a 4 KiB area holds ~8 */
		for (k = 0; k < avail; k++, seq++)
			ASSERT_EQ(0, jb_append(self->pub, seq, &pos[seq % 64]));
		max = 1 + round % 5;		/* below, at and above avail */
		while (want < seq) {
			n = byteor_journal_peek_batch(self->sub, recs, max);
			ASSERT_LT(0, n) TH_LOG("round %u: %d", round, n);
			/* as many as committed, up to max */
			ASSERT_EQ(seq - want < max ? seq - want : max, (__u64)n);
			for (i = 0; i < n; i++, want++) {
				const char *why = jb_check(recs[i].data, recs[i].len,
							   recs[i].type, want);

				ASSERT_EQ(NULL, why) TH_LOG("record %llu: %s",
							    (unsigned long long)want, why);
				ASSERT_EQ(pos[want % 64], recs[i].pos);
				if (i && recs[i - 1].next != recs[i].pos) {
					/* padding skipped inside the batch */
					ASSERT_LT(recs[i - 1].next, recs[i].pos);
					ASSERT_EQ(0, recs[i].pos % CAP);
					padded++;
				}
			}
			ASSERT_EQ(0, byteor_journal_consume_batch(self->sub, recs, n));
			ASSERT_EQ(recs[n - 1].next, byteor_journal_position(self->sub));
		}
		EXPECT_EQ(-EAGAIN, byteor_journal_peek_batch(self->sub, recs, 32));
		/* now and then one record the single way, between batches */
		if (round % 7 == 0) {
			ASSERT_EQ(0, jb_append(self->pub, seq, &pos[seq % 64]));
			seq++;
			ASSERT_EQ(0, byteor_journal_peek(self->sub, &recs[0]));
			ASSERT_EQ(NULL, jb_check(recs[0].data, recs[0].len,
						 recs[0].type, want));
			ASSERT_EQ(0, byteor_journal_consume(self->sub, &recs[0]));
			want++;
		}
	}
	EXPECT_LT(500 * CAP, byteor_journal_position(self->pub));
	EXPECT_LT(100, padded);
	EXPECT_EQ(byteor_journal_position(self->pub), byteor_journal_position(self->sub));
}

/* More asked for than there is: what there is, then -EAGAIN. */
TEST_F(jr, a_batch_larger_than_available_returns_what_is_there)
{
	struct byteor_attach_options o = jb_opts(self);
	struct byteor_journal_record recs[32];
	__u64 seq;
	int n, i;

	ASSERT_EQ(0, byteor_attach_journal_subscriber_tail(&o, &self->sub));
	EXPECT_EQ(-EAGAIN, byteor_journal_peek_batch(self->sub, recs, 32));
	for (seq = 0; seq < 3; seq++)
		ASSERT_EQ(0, jb_append(self->pub, seq, NULL));
	n = byteor_journal_peek_batch(self->sub, recs, 32);
	ASSERT_EQ(3, n);
	for (i = 0; i < n; i++)
		EXPECT_EQ(NULL, jb_check(recs[i].data, recs[i].len, recs[i].type, i));
	ASSERT_EQ(0, byteor_journal_consume_batch(self->sub, recs, n));
	EXPECT_EQ(-EAGAIN, byteor_journal_peek_batch(self->sub, recs, 32));
	EXPECT_EQ(-ETIMEDOUT, byteor_journal_peek_batch_timed(self->sub, recs, 32,
							      1000000));
}

TEST_F(jr, batch_arguments_are_checked)
{
	struct byteor_attach_options o = jb_opts(self);
	struct byteor_journal_record recs[8], bad[8];
	__u64 seq, at;
	int n;

	ASSERT_EQ(0, byteor_attach_journal_subscriber_from(&o, 0, &self->sub));
	for (seq = 0; seq < 4; seq++)
		ASSERT_EQ(0, jb_append(self->pub, seq, NULL));
	EXPECT_EQ(-EINVAL, byteor_journal_peek_batch(NULL, recs, 8));
	EXPECT_EQ(-EINVAL, byteor_journal_peek_batch(self->sub, NULL, 8));
	EXPECT_EQ(-EINVAL, byteor_journal_peek_batch(self->sub, recs, 0));
	EXPECT_EQ(-EBADF, byteor_journal_peek_batch(self->pub, recs, 8));
	EXPECT_EQ(-EBADF, byteor_journal_peek_batch_timed(self->pub, recs, 8, 0));
	EXPECT_EQ(-EBADF, byteor_journal_consume_batch(self->pub, recs, 1));
	/* nothing peeked yet */
	memset(recs, 0, sizeof(recs));
	EXPECT_EQ(-EINVAL, byteor_journal_consume_batch(self->sub, recs, 1));
	n = byteor_journal_peek_batch(self->sub, recs, 3);
	ASSERT_EQ(3, n);
	EXPECT_EQ(-EINVAL, byteor_journal_consume_batch(NULL, recs, 1));
	EXPECT_EQ(-EINVAL, byteor_journal_consume_batch(self->sub, NULL, 1));
	EXPECT_EQ(-EINVAL, byteor_journal_consume_batch(self->sub, recs, 0));
	/* more than peeked */
	EXPECT_EQ(-EINVAL, byteor_journal_consume_batch(self->sub, recs, 4));
	/* not from the subscriber's position */
	EXPECT_EQ(-EINVAL, byteor_journal_consume_batch(self->sub, recs + 1, 2));
	/* an end beyond the batch, off the grid, or behind the position */
	memcpy(bad, recs, sizeof(bad));
	bad[1].next = recs[2].next + 8;
	EXPECT_EQ(-EINVAL, byteor_journal_consume_batch(self->sub, bad, 2));
	bad[1].next = recs[1].next + 1;
	EXPECT_EQ(-EINVAL, byteor_journal_consume_batch(self->sub, bad, 2));
	bad[1].next = recs[0].pos;
	EXPECT_EQ(-EINVAL, byteor_journal_consume_batch(self->sub, bad, 2));
	EXPECT_EQ(0, byteor_journal_position(self->sub));
	/* part of it; the rest is peeked again */
	ASSERT_EQ(0, byteor_journal_consume_batch(self->sub, recs, 2));
	at = byteor_journal_position(self->sub);
	EXPECT_EQ(recs[1].next, at);
	EXPECT_EQ(-EINVAL, byteor_journal_consume_batch(self->sub, recs + 2, 1));
	EXPECT_EQ(-EINVAL, byteor_journal_consume_batch(self->sub, recs, 2));
	n = byteor_journal_peek_batch(self->sub, recs, 8);
	ASSERT_EQ(2, n);
	EXPECT_EQ(at, recs[0].pos);
	EXPECT_EQ(2, recs[0].type);
	/* a single consume moves the position: the batch is stale */
	ASSERT_EQ(0, byteor_journal_consume(self->sub, &recs[0]));
	EXPECT_EQ(-EINVAL, byteor_journal_consume_batch(self->sub, recs + 1, 1));
	/* a seek forgets it */
	n = byteor_journal_peek_batch(self->sub, recs, 8);
	ASSERT_EQ(1, n);
	at = byteor_journal_position(self->sub);
	ASSERT_EQ(0, byteor_journal_seek(self->sub, at));
	EXPECT_EQ(-EINVAL, byteor_journal_consume_batch(self->sub, recs, 1));
	EXPECT_EQ(at, byteor_journal_position(self->sub));
}

/*
 * A publisher laps the subscriber between peek and consume: the whole
 * batch is -EOVERFLOW (one check of the first record covers it), the
 * subscriber moves to the oldest retained record and the next batch
 * starts there, intact.
 */
TEST_F(jr, a_lap_between_peek_batch_and_consume_batch_is_eoverflow)
{
	struct byteor_attach_options o = jb_opts(self);
	struct byteor_journal_snapshot s;
	struct byteor_journal_record recs[32];
	unsigned char buf[48];
	__u64 seq, oldest, want, read = 0;
	int n, i;

	memset(buf, 0x3c, sizeof(buf));
	ASSERT_EQ(0, byteor_attach_journal_subscriber_from(&o, 0, &self->sub));
	/* 64-byte records: record k at 64 k */
	for (seq = 0; seq < 4; seq++)
		ASSERT_EQ(0, byteor_journal_append(self->pub, seq, buf, 48, NULL));
	n = byteor_journal_peek_batch(self->sub, recs, 32);
	ASSERT_EQ(4, n);
	/* the publisher overwrites the first record only */
	for (; seq < 4 + CAP / 64 - 3; seq++)
		ASSERT_EQ(0, byteor_journal_append(self->pub, seq, buf, 48, NULL));
	ASSERT_EQ(0, byteor_journal_snapshot(self->pub, &s));
	ASSERT_EQ(recs[0].pos + CAP + 64, s.intent);
	ASSERT_EQ(recs[1].pos + CAP, s.intent);
	EXPECT_EQ(-EOVERFLOW, byteor_journal_consume_batch(self->sub, recs, n));
	ASSERT_EQ(0, byteor_journal_oldest(self->sub, &oldest));
	EXPECT_EQ(recs[1].pos, oldest);
	EXPECT_EQ(oldest, byteor_journal_position(self->sub));
	/* the batch is gone */
	EXPECT_EQ(-EINVAL, byteor_journal_consume_batch(self->sub, recs, 1));
	/* from the oldest on: every record, in order */
	want = 1;
	while ((n = byteor_journal_peek_batch(self->sub, recs, 32)) > 0) {
		if (!read)
			EXPECT_EQ(oldest, recs[0].pos);
		for (i = 0; i < n; i++, want++) {
			ASSERT_EQ(want, recs[i].type);
			ASSERT_EQ(48, recs[i].len);
			ASSERT_EQ(0, memcmp(recs[i].data, buf, 48));
		}
		ASSERT_EQ(0, byteor_journal_consume_batch(self->sub, recs, n));
		read += n;
	}
	EXPECT_EQ(-EAGAIN, n);
	EXPECT_EQ(seq, want);
	ASSERT_EQ(0, byteor_journal_snapshot(self->sub, &s));
	EXPECT_EQ(1, s.lapped);
	EXPECT_EQ(read, s.read);
	EXPECT_EQ(0, s.lag);
}

/*
 * A corrupt header in the middle ends the batch before it; consumed, the
 * next peek reports it as -EBADMSG (not lapped) and resyncs at the tail.
 */
TEST_F(jr, a_corrupt_header_mid_batch_ends_the_batch_before_it)
{
	struct byteor_attach_options o = jb_opts(self);
	struct byteor_region_info info;
	struct byteor_journal_record recs[32];
	__u32 junk[4] = { 5000, 3, 0x1234, 0 };
	__u64 seq, pos[5];
	int n;

	ASSERT_EQ(0, byteor_region_info(NAME, BYTEOR_BACKING_USER, self->d.path, &info));
	ASSERT_EQ(0, byteor_attach_journal_subscriber_from(&o, 0, &self->sub));
	for (seq = 0; seq < 5; seq++)
		ASSERT_EQ(0, jb_append(self->pub, seq, &pos[seq]));
	ASSERT_EQ(0, ht_scribble(self->d.path, NAME,
				 info.layout.area_off[BYTEOR_AREA_AUX] + pos[3], junk,
				 sizeof(junk)));
	n = byteor_journal_peek_batch(self->sub, recs, 32);
	ASSERT_EQ(3, n);
	EXPECT_EQ(pos[2], recs[2].pos);
	EXPECT_EQ(pos[3], recs[2].next);
	ASSERT_EQ(0, byteor_journal_consume_batch(self->sub, recs, n));
	EXPECT_EQ(pos[3], byteor_journal_position(self->sub));
	n = byteor_journal_peek_batch(self->sub, recs, 32);
	EXPECT_EQ(-EBADMSG, n);
	EXPECT_EQ(pos[3], recs[0].pos);
	EXPECT_EQ(byteor_journal_position(self->pub), recs[0].next);
	ASSERT_EQ(0, jb_append(self->pub, 5, NULL));
	n = byteor_journal_peek_batch(self->sub, recs, 32);
	ASSERT_EQ(1, n);
	EXPECT_EQ(NULL, jb_check(recs[0].data, recs[0].len, recs[0].type, 5));
}

/*
 * The registered slot shows a batch's records and position once it is
 * consumed (stored once per batch).
 */
TEST_F(jr, an_observer_sees_the_records_a_batch_consumed)
{
	struct byteor_attach_options o = jb_opts(self);
	struct byteor_journal_subscriber_snap v[2];
	struct byteor_journal_record recs[32];
	struct byteor_journal *obs;
	__u64 seq;
	int n;

	ASSERT_EQ(0, byteor_attach_journal_subscriber_from(&o, 0, &self->sub));
	o.flags = BYTEOR_ATTACH_OBSERVER;
	ASSERT_EQ(0, byteor_attach_journal_subscriber_tail(&o, &obs));
	for (seq = 0; seq < 6; seq++)
		ASSERT_EQ(0, jb_append(self->pub, seq, NULL));
	n = byteor_journal_peek_batch(self->sub, recs, 32);
	ASSERT_EQ(6, n);
	ASSERT_EQ(1, byteor_journal_subscribers(obs, v, 2));
	EXPECT_EQ(0, v[0].read);
	EXPECT_EQ(0, v[0].position);
	ASSERT_EQ(0, byteor_journal_consume_batch(self->sub, recs, 4));
	ASSERT_EQ(1, byteor_journal_subscribers(obs, v, 2));
	EXPECT_EQ(4, v[0].read);
	EXPECT_EQ(recs[3].next, v[0].position);
	EXPECT_EQ(byteor_journal_position(self->pub) - recs[3].next, v[0].lag);
	byteor_journal_detach(obs);
}

TEST_F(jr, validate_after_use_detects_an_overwrite)
{
	struct byteor_attach_options o = jb_opts(self);
	struct byteor_journal_record rec;
	__u64 seq, oldest;

	ASSERT_EQ(0, byteor_attach_journal_subscriber_from(&o, 0, &self->sub));
	ASSERT_EQ(0, jb_append(self->pub, 0, NULL));
	ASSERT_EQ(0, byteor_journal_peek(self->sub, &rec));
	EXPECT_EQ(0, byteor_journal_validate(self->sub, &rec));
	/* The publisher laps the record while we "use" it. */
	for (seq = 1; seq < 20; seq++)
		ASSERT_EQ(0, jb_append(self->pub, seq, NULL));
	EXPECT_EQ(-EOVERFLOW, byteor_journal_validate(self->sub, &rec));
	ASSERT_EQ(0, byteor_journal_oldest(self->sub, &oldest));
	EXPECT_EQ(oldest, byteor_journal_position(self->sub));
	ASSERT_EQ(0, byteor_journal_peek(self->sub, &rec));
	EXPECT_EQ(oldest, rec.pos);
	EXPECT_EQ(NULL, jb_check(rec.data, rec.len, rec.type, rec.type));
	EXPECT_EQ(0, byteor_journal_consume(self->sub, &rec));
	EXPECT_EQ(-EINVAL, byteor_journal_consume(self->sub, &rec));
}

TEST_F(jr, claim_commit_and_abort)
{
	struct byteor_attach_options o = jb_opts(self);
	struct byteor_journal_record rec;
	void *data;
	__u64 pos;

	ASSERT_EQ(0, byteor_attach_journal_subscriber_tail(&o, &self->sub));
	ASSERT_EQ(0, byteor_journal_claim(self->pub, 100, &data));
	EXPECT_EQ(-EBUSY, byteor_journal_claim(self->pub, 10, &data));
	EXPECT_EQ(-EBUSY, byteor_journal_append(self->pub, 1, "x", 1, NULL));
	memcpy(data, "abandoned", 9);
	EXPECT_EQ(0, byteor_journal_abort(self->pub));
	EXPECT_EQ(-EINVAL, byteor_journal_abort(self->pub));
	EXPECT_EQ(-EAGAIN, byteor_journal_peek(self->sub, &rec));
	ASSERT_EQ(0, byteor_journal_claim(self->pub, 100, &data));
	memcpy(data, "short", 5);
	EXPECT_EQ(-EINVAL, byteor_journal_commit(self->pub, 7, 101, NULL));
	ASSERT_EQ(0, byteor_journal_commit(self->pub, 7, 5, &pos));
	ASSERT_EQ(0, byteor_journal_append(self->pub, 8, "next", 4, NULL));
	ASSERT_EQ(0, byteor_journal_peek(self->sub, &rec));
	EXPECT_EQ(pos, rec.pos);
	EXPECT_EQ(5, rec.len);
	EXPECT_EQ(7, rec.type);
	EXPECT_EQ(0, memcmp(rec.data, "short", 5));
	EXPECT_EQ(pos + 24, rec.next);
	ASSERT_EQ(0, byteor_journal_consume(self->sub, &rec));
	ASSERT_EQ(0, byteor_journal_peek(self->sub, &rec));
	EXPECT_EQ(8, rec.type);
}

TEST_F(jr, arguments_are_checked)
{
	struct byteor_attach_options o = jb_opts(self);
	struct byteor_journal *j = NULL;
	unsigned char buf[MAXREC + 1] = { 0 };
	__u64 tail;

	EXPECT_EQ(-EBUSY, byteor_attach_journal_publisher(&o, &j));
	EXPECT_EQ(-EINVAL, byteor_journal_append(self->pub, 0xffffffffU, buf, 1, NULL));
	EXPECT_EQ(-EMSGSIZE, byteor_journal_append(self->pub, 1, buf, MAXREC + 1, NULL));
	ASSERT_EQ(0, byteor_journal_append(self->pub, 1, buf, MAXREC, NULL));
	tail = byteor_journal_position(self->pub);
	EXPECT_EQ(-EINVAL, byteor_attach_journal_subscriber_from(&o, 4, &j));
	EXPECT_EQ(-ERANGE, byteor_attach_journal_subscriber_from(&o, tail + 8, &j));
	ASSERT_EQ(0, byteor_attach_journal_subscriber_from(&o, tail, &self->sub));
	EXPECT_EQ(-EBADF, byteor_journal_append(self->sub, 1, buf, 1, NULL));
	EXPECT_EQ(-EBADF, byteor_journal_seek(self->pub, 0));
	o.queue = 1;
	EXPECT_EQ(-EINVAL, byteor_attach_journal_subscriber_tail(&o, &j));
}

TEST_F(jr, a_new_publisher_continues_after_the_last_commit)
{
	struct byteor_attach_options o = jb_opts(self);
	struct byteor_journal_record rec;
	unsigned char buf[MAXREC];
	void *data;
	__u64 pos;
	int n;

	ASSERT_EQ(0, byteor_attach_journal_subscriber_from(&o, 0, &self->sub));
	ASSERT_EQ(0, jb_append(self->pub, 1, NULL));
	/* Dies between claim and commit. */
	ASSERT_EQ(0, byteor_journal_claim(self->pub, 500, &data));
	memset(data, 0xee, 500);
	byteor_journal_detach(self->pub);
	self->pub = NULL;
	ASSERT_EQ(0, byteor_attach_journal_publisher(&o, &self->pub));
	ASSERT_EQ(0, jb_append(self->pub, 2, &pos));
	n = byteor_journal_read(self->sub, buf, sizeof(buf), &rec);
	ASSERT_LE(0, n);
	EXPECT_EQ(NULL, jb_check(buf, n, rec.type, 1));
	n = byteor_journal_read(self->sub, buf, sizeof(buf), &rec);
	ASSERT_LE(0, n);
	EXPECT_EQ(NULL, jb_check(buf, n, rec.type, 2));
	EXPECT_EQ(pos, rec.pos);
}

TEST_F(jr, a_corrupt_header_is_ebadmsg_and_the_subscriber_resyncs)
{
	struct byteor_attach_options o = jb_opts(self);
	struct byteor_region_info info;
	struct byteor_journal_record rec;
	unsigned char buf[MAXREC];
	__u32 junk[4] = { 5000, 3, 0x1234, 0 };
	__u64 pos2;
	int n;

	ASSERT_EQ(0, byteor_region_info(NAME, BYTEOR_BACKING_USER, self->d.path, &info));
	ASSERT_EQ(0, byteor_attach_journal_subscriber_from(&o, 0, &self->sub));
	ASSERT_EQ(0, jb_append(self->pub, 1, NULL));
	ASSERT_EQ(0, jb_append(self->pub, 2, &pos2));
	ASSERT_EQ(0, ht_scribble(self->d.path, NAME,
				 info.layout.area_off[BYTEOR_AREA_AUX], junk,
				 sizeof(junk)));
	n = byteor_journal_read(self->sub, buf, sizeof(buf), &rec);
	EXPECT_EQ(-EBADMSG, n);
	EXPECT_EQ(0, rec.pos);
	EXPECT_EQ(byteor_journal_position(self->pub), rec.next);
	ASSERT_EQ(0, jb_append(self->pub, 3, NULL));
	n = byteor_journal_read(self->sub, buf, sizeof(buf), &rec);
	ASSERT_LE(0, n);
	EXPECT_EQ(NULL, jb_check(buf, n, rec.type, 3));
	/* Scribbled tail and intent: the publisher repairs them on restart. */
	byteor_journal_detach(self->pub);
	self->pub = NULL;
	junk[0] = 3;
	ASSERT_EQ(0, ht_scribble(self->d.path, NAME,
				 info.layout.area_off[BYTEOR_AREA_CONTROL], junk, 16));
	ASSERT_EQ(0, byteor_attach_journal_publisher(&o, &self->pub));
	EXPECT_EQ(0, byteor_journal_position(self->pub) % 8);
	ASSERT_EQ(0, jb_append(self->pub, 4, NULL));
}

TEST_F(jr, a_read_only_subscriber_reads_and_waits_by_polling)
{
	struct byteor_attach_options o = jb_opts(self);
	struct byteor_journal_record rec;
	unsigned char buf[MAXREC];
	long long t0;
	pid_t p;
	int n;

	o.flags = BYTEOR_ATTACH_OBSERVER;
	ASSERT_EQ(0, byteor_attach_journal_subscriber_tail(&o, &self->sub));
	t0 = lt_now_ns();
	EXPECT_EQ(-ETIMEDOUT, byteor_journal_read_timed(self->sub, buf, sizeof(buf),
							 &rec, 30000000));
	EXPECT_LE(30000000, lt_now_ns() - t0);
	p = lt_fork();
	ASSERT_LE(0, p);
	if (!p) {
		usleep(50000);
		_exit(jb_append(self->pub, 9, NULL) ? 1 : 0);
	}
	n = byteor_journal_read_timed(self->sub, buf, sizeof(buf), &rec, 5000000000LL);
	ASSERT_LE(0, n);
	EXPECT_EQ(NULL, jb_check(buf, n, rec.type, 9));
	EXPECT_EQ(0, lt_status(p));
}

TEST_F(jr, stat_prints_text_and_json)
{
	struct byteor_attach_options o = jb_opts(self);
	char path[HT_PATH + 32], out[4096];
	FILE *f;
	size_t n;
	int fd, saved;

	ASSERT_EQ(0, jb_append(self->pub, 1, NULL));
	ASSERT_EQ(0, jb_append(self->pub, 2, NULL));
	snprintf(path, sizeof(path), "%s/stat.out", self->d.path);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ASSERT_LE(0, fd);
	fflush(stdout);
	saved = dup(1);
	dup2(fd, 1);
	EXPECT_EQ(0, __byteorctl_stat_journal(NAME, &o, 1));
	EXPECT_EQ(0, __byteorctl_stat_journal(NAME, &o, 0));
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	close(fd);
	f = fopen(path, "r");
	ASSERT_NE(NULL, f);
	n = fread(out, 1, sizeof(out) - 1, f);
	fclose(f);
	out[n] = 0;
	EXPECT_NE(NULL, strstr(out, "\"schema\":\"byteor.stat.v1\""));
	EXPECT_NE(NULL, strstr(out, "\"kind\":\"journal\""));
	EXPECT_NE(NULL, strstr(out, "\"records\":2"));
	EXPECT_NE(NULL, strstr(out, "\"publisher\":{\"alive\":true"));
	EXPECT_NE(NULL, strstr(out, "log: journal, 4096 bytes, records up to 1024 bytes"));
}

TEST_HARNESS_MAIN
