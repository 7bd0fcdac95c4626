// SPDX-License-Identifier: GPL-2.0-only
/*
 * lanes_journal - libbyteor's journal between processes on the kernel
 * backing: a publisher process appends records while a subscriber process
 * reads them (every record it accepts is intact, sequence numbers only
 * increase, a gap only ever follows -EOVERFLOW, and -EPIPE ends the run
 * once the publisher is gone); a subscriber process stores its position
 * and exits, and a new subscriber process resuming from that position
 * reads exactly the records after it.
 *
 * 100k records, not the host tests' 10 million: the guest runs under TCG
 * (see lanes_test.h).
 */
#include "lanes_test.h"

#define AREA		(64U << 10)	/* small: the subscriber may be lapped */
#define MAXREC		256U
#define RECORDS		100000ULL
/*
 * The resume test: records [0, RS_FIRST), a subscriber stops after
 * RS_STOP, then records up to RS_ALL.  ~44 KiB in all: every record stays
 * retained in the AREA, so the successor must read each one.
 */
#define RS_FIRST	200ULL
#define RS_STOP		123ULL
#define RS_ALL		300ULL

struct jr_result {
	__u64 delivered;
	__u64 lapped;
	__u64 last;
	__u64 stored;		/* a subscriber's position, for its successor */
};

FIXTURE(jr) {
	struct bt_res res;
	const char *name;
	struct jr_result *out;
};

FIXTURE_SETUP(jr)
{
	struct byteor_geometry g = ln_geom(MAXREC, AREA, 1, 1);

	LN_SETUP_CHECKS();
	self->name = bt_res_name(&self->res, "log");
	ASSERT_EQ(0, ln_create(self->name, BYTEOR_KIND_JOURNAL, &g, NULL));
	self->out = ln_shared(&self->res, sizeof(*self->out));
	ASSERT_NE(NULL, self->out);
}

FIXTURE_TEARDOWN(jr)
{
	bt_res_release(&self->res);
}

/* Record @seq: 8..MAXREC bytes, seq first, then a pattern of seq. */
static __u32 jr_fill(unsigned char *p, __u64 seq)
{
	__u32 len = 8 + (__u32)((seq * 0x9E3779B97F4A7C15ULL) >> 59) * 8, i;

	memcpy(p, &seq, 8);
	for (i = 8; i < len; i++)
		p[i] = (unsigned char)(seq * 13 + i);
	return len;
}

/* NULL, or why (@p, @len, @type) is not an intact record; *@seq its number. */
static const char *jr_check(const unsigned char *p, __u32 len, __u32 type,
			    __u64 *seq)
{
	unsigned char want[MAXREC];

	if (len < 8)
		return "short";
	memcpy(seq, p, 8);
	if ((__u32)*seq != type)
		return "type does not match the sequence";
	if (jr_fill(want, *seq) != len)
		return "bad length";
	if (memcmp(want, p, len))
		return "bad payload";
	return NULL;
}

static struct byteor_journal *jr_publisher(const char *name)
{
	struct byteor_attach_options o = ln_opts(name, 0, 0);
	struct byteor_journal *pub;
	int ret = byteor_attach_journal_publisher(&o, &pub);

	if (ret)
		LN_DIE(2, "publisher attach: %s", byteor_strerror(ret));
	return pub;
}

/* Append records [from, to); die on the first error. */
static void jr_append(struct byteor_journal *pub, __u64 from, __u64 to)
{
	unsigned char buf[MAXREC];
	__u64 seq;
	int ret;

	for (seq = from; seq < to; seq++) {
		ret = byteor_journal_append(pub, (__u32)seq, buf, jr_fill(buf, seq),
					    NULL);
		if (ret)
			LN_DIE(3, "append %llu: %s", (unsigned long long)seq,
			       byteor_strerror(ret));
	}
}

static struct byteor_journal *jr_subscriber(const char *name, __u64 pos)
{
	struct byteor_attach_options o = ln_opts(name, 0, LN_TIMEOUT_NS);
	struct byteor_journal *sub;
	int ret = byteor_attach_journal_subscriber_from(&o, pos, &sub);

	if (ret)
		LN_DIE(2, "subscriber attach at %llu: %s", (unsigned long long)pos,
		       byteor_strerror(ret));
	return sub;
}

/* Read from 0 until -EPIPE: intact records, increasing, gaps only after a lap. */
static void jr_stream_reader(const char *name, int ready_fd, struct jr_result *res)
{
	struct byteor_journal *sub = jr_subscriber(name, 0);
	struct byteor_journal_record rec;
	unsigned char buf[MAXREC];
	bool after_lap = false;
	const char *why;
	__u64 seq;
	int n;

	ln_signal(ready_fd);
	res->last = ~0ULL;
	for (;;) {
		n = byteor_journal_read(sub, buf, sizeof(buf), &rec);
		if (n == -EOVERFLOW) {
			res->lapped++;
			after_lap = true;
			continue;
		}
		if (n == -EPIPE)
			break;
		if (n < 0)
			LN_DIE(4, "read after %llu: %s",
			       (unsigned long long)res->last, byteor_strerror(n));
		why = jr_check(buf, (__u32)n, rec.type, &seq);
		if (why)
			LN_DIE(5, "record after %llu: %s",
			       (unsigned long long)res->last, why);
		if (res->last != ~0ULL && seq <= res->last)
			LN_DIE(6, "record %llu after %llu", (unsigned long long)seq,
			       (unsigned long long)res->last);
		if (seq != res->last + 1 && !after_lap)
			LN_DIE(6, "records %llu..%llu lost without -EOVERFLOW",
			       (unsigned long long)(res->last + 1),
			       (unsigned long long)(seq - 1));
		after_lap = false;
		res->last = seq;
		res->delivered++;
	}
	byteor_journal_detach(sub);
	_exit(0);
}

TEST_F_TIMEOUT(jr, publisher_process_to_subscriber_process_intact_or_reported_lapped, 50)
{
	long long t0 = ln_now_ns();
	int ready[2];
	pid_t s, p;

	ASSERT_EQ(0, pipe(ready));
	s = ln_fork(&self->res);
	ASSERT_LE(0, s);
	if (!s)
		jr_stream_reader(self->name, ready[1], self->out);
	/* The publisher starts once the subscriber is there: it sees it go. */
	ASSERT_EQ(1, bt_pipe_get(ready[0], 10000));
	p = ln_fork(&self->res);
	ASSERT_LE(0, p);
	if (!p) {
		struct byteor_journal *pub = jr_publisher(self->name);

		jr_append(pub, 0, RECORDS);
		byteor_journal_detach(pub);
		_exit(0);
	}
	EXPECT_EQ(0, bt_res_wait(&self->res, p));
	EXPECT_EQ(0, bt_res_wait(&self->res, s));
	/* Whatever was lapped, the last record is always read. */
	EXPECT_EQ(RECORDS - 1, self->out->last);
	EXPECT_LT(0ULL, self->out->delivered);
	if (!self->out->lapped) {
		EXPECT_EQ(RECORDS, self->out->delivered);
	}
	TH_LOG("%llu records in %.2f s: %llu delivered, lapped %llu times",
	       RECORDS, (ln_now_ns() - t0) / 1e9,
	       (unsigned long long)self->out->delivered,
	       (unsigned long long)self->out->lapped);
	close(ready[0]);
	close(ready[1]);
	EXPECT_EQ(0, byteor_region_destroy(self->name, BYTEOR_BACKING_KERNEL, NULL));
}

/*
 * Publisher process P appends records [0, RS_FIRST).  Subscriber process
 * A reads RS_STOP of them from position 0, stores its position and exits.
 * P appends [RS_FIRST, RS_ALL).  Subscriber process B resumes from the
 * stored position and must read exactly [RS_STOP, RS_ALL), then -EPIPE
 * once P is gone.
 */
TEST_F_TIMEOUT(jr, restarted_subscriber_process_resumes_at_the_stored_position, 50)
{
	int to_p[2], from_p[2], from_b[2];
	pid_t p, a, b;

	ASSERT_EQ(0, pipe(to_p));
	ASSERT_EQ(0, pipe(from_p));
	ASSERT_EQ(0, pipe(from_b));
	p = ln_fork(&self->res);
	ASSERT_LE(0, p);
	if (!p) {
		struct byteor_journal *pub = jr_publisher(self->name);
		char c;

		jr_append(pub, 0, RS_FIRST);
		ln_signal(from_p[1]);
		if (read(to_p[0], &c, 1) != 1)	/* A is done */
			_exit(8);
		jr_append(pub, RS_FIRST, RS_ALL);
		ln_signal(from_p[1]);
		if (read(to_p[0], &c, 1) != 1)	/* B is attached */
			_exit(8);
		byteor_journal_detach(pub);
		_exit(0);
	}
	ASSERT_EQ(1, bt_pipe_get(from_p[0], 20000));

	a = ln_fork(&self->res);
	ASSERT_LE(0, a);
	if (!a) {
		struct byteor_journal *sub = jr_subscriber(self->name, 0);
		unsigned char buf[MAXREC];
		struct byteor_journal_record rec;
		__u64 seq, got;
		int n;

		for (seq = 0; seq < RS_STOP; seq++) {
			n = byteor_journal_read(sub, buf, sizeof(buf), &rec);
			if (n < 0)
				LN_DIE(3, "read %llu: %s", (unsigned long long)seq,
				       byteor_strerror(n));
			if (jr_check(buf, (__u32)n, rec.type, &got) || got != seq)
				LN_DIE(4, "record %llu is not intact", (unsigned long long)seq);
		}
		self->out->stored = byteor_journal_position(sub);
		if (self->out->stored != rec.next)
			LN_DIE(5, "position %llu, the last record ends at %llu",
			       (unsigned long long)self->out->stored,
			       (unsigned long long)rec.next);
		_exit(0);	/* no detach: the process just ends */
	}
	EXPECT_EQ(0, bt_res_wait(&self->res, a));
	ASSERT_LT(0ULL, self->out->stored);
	ln_signal(to_p[1]);
	ASSERT_EQ(1, bt_pipe_get(from_p[0], 20000));

	b = ln_fork(&self->res);
	ASSERT_LE(0, b);
	if (!b) {
		struct byteor_journal *sub = jr_subscriber(self->name,
							   self->out->stored);
		unsigned char buf[MAXREC];
		struct byteor_journal_record rec;
		__u64 seq, got;
		int n;

		ln_signal(from_b[1]);
		for (seq = RS_STOP; seq < RS_ALL; seq++) {
			n = byteor_journal_read(sub, buf, sizeof(buf), &rec);
			if (n < 0)
				LN_DIE(3, "read %llu: %s", (unsigned long long)seq,
				       byteor_strerror(n));
			if (jr_check(buf, (__u32)n, rec.type, &got))
				LN_DIE(4, "record %llu is not intact", (unsigned long long)seq);
			if (got != seq)
				LN_DIE(5, "read record %llu, want %llu",
				       (unsigned long long)got, (unsigned long long)seq);
		}
		n = byteor_journal_read(sub, buf, sizeof(buf), &rec);
		if (n != -EPIPE)
			LN_DIE(6, "after the last record: %d, want -EPIPE", n);
		byteor_journal_detach(sub);
		_exit(0);
	}
	ASSERT_EQ(1, bt_pipe_get(from_b[0], 20000));
	ln_signal(to_p[1]);
	EXPECT_EQ(0, bt_res_wait(&self->res, p));
	EXPECT_EQ(0, bt_res_wait(&self->res, b));
	close(to_p[0]);
	close(to_p[1]);
	close(from_p[0]);
	close(from_p[1]);
	close(from_b[0]);
	close(from_b[1]);
	EXPECT_EQ(0, byteor_region_destroy(self->name, BYTEOR_BACKING_KERNEL, NULL));
}

TEST_HARNESS_MAIN
