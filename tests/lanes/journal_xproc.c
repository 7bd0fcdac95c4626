// SPDX-License-Identifier: GPL-2.0-only
/*
 * journal_xproc - the journal between processes, on the host's userspace
 * backing (program journal_xproc) and on the kernel backing in the QEMU
 * guests (program lanes_journal); see lanes_env.h.
 *
 * A publisher appends 10 million records on the host (BYTEOR_TEST_SCALE
 * scales them; 100k in the guest, with a 64 KiB area so lapping happens
 * there too) while subscribers (copying and zero-copy, read-write and
 * read-only) read them; every record a subscriber accepts is intact
 * (content tied to its sequence number), sequences only increase, a gap
 * only ever follows an -EOVERFLOW, and -EPIPE ends the run once the
 * publisher is gone; a slow subscriber is lapped on purpose and carries on
 * with intact records; a stopped subscriber never holds the publisher
 * back; a restarted subscriber (in the test process, or a process of its
 * own after its predecessor's process ended) resumes exactly at the
 * position its predecessor stored.
 */
#include "lanes_env.h"
#include <byteor/journal.h>

#define CAP		LE_PICK(1U << 20, 64U << 10)
#define MAXREC		256U
#define XJ_TIMEOUT	LE_TIMEOUT_NS
/*
 * The resume tests: records [0, RS_FIRST), a subscriber stops after
 * RS_STOP, then records up to RS_ALL.  ~44 KiB in all: every record stays
 * retained even in the guest's 64 KiB area, so the successor must read
 * each one.
 */
#define RS_FIRST	200ULL
#define RS_STOP		123ULL
#define RS_ALL		300ULL

/* Per-subscriber results, in a shared anonymous mapping. */
struct xj_result {
	__u64 delivered;
	__u64 lapped;
	__u64 lost_gaps;
	__u64 last;
	__u64 invalidated;
	__u64 stored;		/* a subscriber's position, for its successor */
};

FIXTURE(xjr) {
	struct le_env env;
	const char *name;
	struct xj_result *res;
};

FIXTURE_SETUP(xjr)
{
	struct byteor_geometry g = le_geom(MAXREC, CAP, 1, 1);

	LE_SETUP(&self->env);
	self->name = le_name(&self->env, "log");
	ASSERT_EQ(0, le_create(&self->env, self->name, BYTEOR_KIND_JOURNAL, &g,
			       NULL));
	self->res = le_shared(&self->env, 4096);
	ASSERT_NE(NULL, self->res);
}

FIXTURE_TEARDOWN(xjr)
{
	le_teardown(&self->env);
}

/* Record @seq: 8..MAXREC bytes, seq first, then a pattern of seq. */
static __u32 xj_fill(unsigned char *p, __u64 seq)
{
	__u32 len = 8 + (__u32)((seq * 0x9E3779B97F4A7C15ULL) >> 59) * 8, i;

	memcpy(p, &seq, 8);
	for (i = 8; i < len; i++)
		p[i] = (unsigned char)(seq * 13 + i);
	return len;
}

/* 0, or why record (@p, @len, @type) is not an intact record. */
static const char *xj_check(const unsigned char *p, __u32 len, __u32 type,
			    __u64 *seq)
{
	unsigned char want[MAXREC];

	if (len < 8)
		return "short";
	memcpy(seq, p, 8);
	if ((__u32)*seq != type)
		return "type does not match sequence";
	if (xj_fill(want, *seq) != len)
		return "bad length";
	if (memcmp(want, p, len))
		return "bad payload";
	return NULL;
}

static void xj_publisher(const struct le_env *env, const char *name, int cpu, __u64 n, int fd)
{
	struct byteor_attach_options o = le_opts(env, name, 0, 0);
	struct byteor_journal *pub;
	unsigned char buf[MAXREC];
	__u64 seq;
	int ret;

	le_pin(cpu);
	ret = byteor_attach_journal_publisher(&o, &pub);
	if (ret)
		LE_DIE(2, "publisher attach: %s", byteor_strerror(ret));
	if (fd >= 0)
		le_signal(fd);
	for (seq = 0; seq < n; seq++) {
		ret = byteor_journal_append(pub, (__u32)seq, buf, xj_fill(buf, seq),
					    NULL);
		if (ret)
			LE_DIE(3, "append %llu: %s", (unsigned long long)seq,
			       byteor_strerror(ret));
	}
	byteor_journal_detach(pub);
	_exit(0);
}

/*
 * Be slow on purpose: wait (1 s at most) until the publisher is more than
 * an area ahead, so the next read is lapped whatever the machine's speed.
 */
static void xj_fall_behind(struct byteor_journal *sub)
{
	struct byteor_journal_snapshot s;
	long long t0 = le_now_ns();

	while (le_now_ns() - t0 < 1000000000LL) {
		if (byteor_journal_snapshot(sub, &s) || s.lag > CAP ||
		    s.publisher_alive == 0)
			return;
		usleep(200);
	}
}

/*
 * Subscriber: read until -EPIPE (the publisher is gone, all read) or @n
 * records seen.  @mode: 0 copying, 1 zero-copy (validate after use);
 * @ro: read-only observer; @slow: fall an area behind every @slow records.
 */
static void xj_subscriber(const struct le_env *env, const char *name, int cpu, struct xj_result *res,
			  int mode, bool ro, unsigned int slow, __u64 n, int fd)
{
	struct byteor_attach_options o = le_opts(env, name, 0, XJ_TIMEOUT);
	struct byteor_journal_record rec;
	struct byteor_journal *sub;
	unsigned char buf[MAXREC];
	bool lapped = false;
	__u64 seq = 0, last = ~0ULL;
	const char *why = NULL;
	int ret;

	le_pin(cpu);
	if (ro)
		o.flags = BYTEOR_ATTACH_OBSERVER;
	ret = byteor_attach_journal_subscriber_from(&o, 0, &sub);
	if (ret)
		LE_DIE(2, "subscriber attach: %s", byteor_strerror(ret));
	if (fd >= 0)
		le_signal(fd);
	for (;;) {
		if (mode == 0) {
			ret = byteor_journal_read(sub, buf, sizeof(buf), &rec);
			if (ret >= 0)
				why = xj_check(buf, ret, rec.type, &seq);
		} else {
			ret = byteor_journal_peek(sub, &rec);
			if (!ret) {
				/* Use in place, then validate. */
				why = xj_check(rec.data, rec.len, rec.type, &seq);
				ret = byteor_journal_consume(sub, &rec);
				if (ret == -EOVERFLOW)
					res->invalidated++;
			}
		}
		if (ret == -EPIPE)
			break;
		if (ret == -EOVERFLOW) {
			lapped = true;
			res->lapped++;
			continue;
		}
		if (ret < 0)
			LE_DIE(4, "read after %llu: %s", (unsigned long long)last,
			       byteor_strerror(ret));
		if (why)
			LE_DIE(5, "record after %llu: %s", (unsigned long long)last, why);
		if (last != ~0ULL && seq <= last)
			LE_DIE(6, "seq %llu after %llu", (unsigned long long)seq,
			       (unsigned long long)last);
		if (seq != last + 1) {
			if (!lapped)
				LE_DIE(7, "gap %llu -> %llu without -EOVERFLOW",
				       (unsigned long long)last,
				       (unsigned long long)seq);
			res->lost_gaps++;
		}
		lapped = false;
		last = seq;
		res->last = last;
		res->delivered++;
		if (slow && res->delivered % slow == 0)
			xj_fall_behind(sub);
		if (last + 1 == n)
			break;
	}
	byteor_journal_detach(sub);
	_exit(0);
}

static void xj_run(struct __test_metadata *_metadata, FIXTURE_DATA(xjr) *self,
		   __u64 n, int nsub, const int *mode, const bool *ro,
		   const unsigned int *slow)
{
	pid_t pub, sub[4];
	long long t0;
	int i, pfd[2];

	ASSERT_EQ(0, pipe(pfd));
	for (i = 0; i < nsub; i++) {
		sub[i] = le_fork(&self->env);
		ASSERT_LE(0, sub[i]);
		if (!sub[i])
			xj_subscriber(&self->env, self->name, i + 1, &self->res[i], mode[i],
				      ro[i], slow[i], n, pfd[1]);
		ASSERT_EQ(0, le_await(pfd[0]));
	}
	t0 = le_now_ns();
	pub = le_fork(&self->env);
	ASSERT_LE(0, pub);
	if (!pub)
		xj_publisher(&self->env, self->name, 0, n, -1);
	EXPECT_EQ(0, le_wait(&self->env, pub));
	TH_LOG("publisher: %llu records in %.2f s", (unsigned long long)n,
	       (le_now_ns() - t0) / 1e9);
	for (i = 0; i < nsub; i++) {
		EXPECT_EQ(0, le_wait(&self->env, sub[i]));
		TH_LOG("subscriber %d (%s%s): %llu delivered, lapped %llu, "
		       "gaps %llu, invalidated %llu", i, mode[i] ? "zero-copy" : "copy",
		       ro[i] ? ", read-only" : "",
		       (unsigned long long)self->res[i].delivered,
		       (unsigned long long)self->res[i].lapped,
		       (unsigned long long)self->res[i].lost_gaps,
		       (unsigned long long)self->res[i].invalidated);
		/* The last record is retained: every subscriber gets it. */
		EXPECT_EQ(n - 1, self->res[i].last);
		EXPECT_LT(0, self->res[i].delivered);
		if (!self->res[i].lapped) {
			EXPECT_EQ(n, self->res[i].delivered);
		}
	}
	close(pfd[0]);
	close(pfd[1]);
	EXPECT_EQ(0, le_destroy(&self->env, self->name));
}

/* Subscribers copying and zero-copy; the publisher starts once both are in. */
TEST_F_TIMEOUT(xjr, ten_million_records_are_delivered_intact_or_reported_lapped, 120)
{
	static const int mode[] = { 0, 1 };
	static const bool ro[] = { false, false };
	static const unsigned int slow[] = { 0, 0 };

	xj_run(_metadata, self, le_count(10000000, 100000), 2, mode, ro, slow);
}

TEST_F_TIMEOUT(xjr, slow_and_read_only_subscribers_are_lapped_and_carry_on, 120)
{
	static const int mode[] = { 0, 1, 0 };
	static const bool ro[] = { false, false, true };
	static const unsigned int slow[] = { 2000, 2000, 0 };
	int i;

	xj_run(_metadata, self, le_count(4000000, 100000), 3, mode, ro, slow);
	for (i = 0; i < 2; i++)
		EXPECT_LT(0, self->res[i].lapped);
}

/* A subscriber stopped (SIGSTOP) mid-stream never holds the publisher. */
TEST_F_TIMEOUT(xjr, a_stopped_subscriber_never_blocks_the_publisher, 120)
{
	__u64 n = le_count(2000000, 100000);
	int pfd[2];
	pid_t pub, sub;

	ASSERT_EQ(0, pipe(pfd));
	sub = le_fork(&self->env);
	ASSERT_LE(0, sub);
	if (!sub)
		xj_subscriber(&self->env, self->name, 1, self->res, 0, false, 0, n, pfd[1]);
	ASSERT_EQ(0, le_await(pfd[0]));
	ASSERT_EQ(0, kill(sub, SIGSTOP));
	pub = le_fork(&self->env);
	ASSERT_LE(0, pub);
	if (!pub)
		xj_publisher(&self->env, self->name, 0, n, -1);
	EXPECT_EQ(0, le_wait(&self->env, pub));
	ASSERT_EQ(0, kill(sub, SIGCONT));
	EXPECT_EQ(0, le_wait(&self->env, sub));
	EXPECT_LT(0, self->res->lapped);
	EXPECT_EQ(n - 1, self->res->last);
}

/* A subscriber stores its position and exits; its successor resumes there. */
TEST_F(xjr, a_restarted_subscriber_resumes_exactly_where_it_stopped)
{
	struct byteor_attach_options o = le_opts(&self->env, self->name, 0, XJ_TIMEOUT);
	struct byteor_journal_record rec;
	struct byteor_journal *pub, *sub;
	unsigned char buf[MAXREC];
	__u64 seq, stored = 0, got;
	int pfd[2], n;
	pid_t c;

	ASSERT_EQ(0, pipe(pfd));
	ASSERT_EQ(0, byteor_attach_journal_publisher(&o, &pub));
	for (seq = 0; seq < RS_FIRST; seq++)
		ASSERT_EQ(0, byteor_journal_append(pub, (__u32)seq, buf,
						   xj_fill(buf, seq), NULL));
	c = le_fork(&self->env);
	ASSERT_LE(0, c);
	if (!c) {
		__u64 pos;

		if (byteor_attach_journal_subscriber_from(&o, 0, &sub))
			_exit(2);
		for (seq = 0; seq < RS_STOP; seq++)
			if (byteor_journal_read(sub, buf, sizeof(buf), NULL) < 0)
				_exit(3);
		pos = byteor_journal_position(sub);
		if (write(pfd[1], &pos, sizeof(pos)) != sizeof(pos))
			_exit(4);
		_exit(0);
	}
	/* Only the child writes: if it dies first, read() says so at once. */
	close(pfd[1]);
	ASSERT_EQ(sizeof(stored), read(pfd[0], &stored, sizeof(stored)));
	EXPECT_EQ(0, le_wait(&self->env, c));
	for (seq = RS_FIRST; seq < RS_ALL; seq++)
		ASSERT_EQ(0, byteor_journal_append(pub, (__u32)seq, buf,
						   xj_fill(buf, seq), NULL));
	ASSERT_EQ(0, byteor_attach_journal_subscriber_from(&o, stored, &sub));
	for (seq = RS_STOP; seq < RS_ALL; seq++) {
		n = byteor_journal_read(sub, buf, sizeof(buf), &rec);
		ASSERT_LE(0, n);
		ASSERT_EQ(NULL, xj_check(buf, n, rec.type, &got));
		ASSERT_EQ(seq, got);
	}
	byteor_journal_detach(pub);
	EXPECT_EQ(-EPIPE, byteor_journal_read(sub, buf, sizeof(buf), &rec));
	byteor_journal_detach(sub);
	close(pfd[0]);
}

static struct byteor_journal *jr_publisher(const struct le_env *env,
					   const char *name)
{
	struct byteor_attach_options o = le_opts(env, name, 0, 0);
	struct byteor_journal *pub;
	int ret = byteor_attach_journal_publisher(&o, &pub);

	if (ret)
		LE_DIE(2, "publisher attach: %s", byteor_strerror(ret));
	return pub;
}

/* Append records [from, to); die on the first error. */
static void jr_append(struct byteor_journal *pub, __u64 from, __u64 to)
{
	unsigned char buf[MAXREC];
	__u64 seq;
	int ret;

	for (seq = from; seq < to; seq++) {
		ret = byteor_journal_append(pub, (__u32)seq, buf, xj_fill(buf, seq),
					    NULL);
		if (ret)
			LE_DIE(3, "append %llu: %s", (unsigned long long)seq,
			       byteor_strerror(ret));
	}
}

static struct byteor_journal *jr_subscriber(const struct le_env *env,
					    const char *name, __u64 pos)
{
	struct byteor_attach_options o = le_opts(env, name, 0, XJ_TIMEOUT);
	struct byteor_journal *sub;
	int ret = byteor_attach_journal_subscriber_from(&o, pos, &sub);

	if (ret)
		LE_DIE(2, "subscriber attach at %llu: %s", (unsigned long long)pos,
		       byteor_strerror(ret));
	return sub;
}

/*
 * Publisher process P appends records [0, RS_FIRST).  Subscriber process
 * A reads RS_STOP of them from position 0, stores its position and exits.
 * P appends [RS_FIRST, RS_ALL).  Subscriber process B resumes from the
 * stored position and must read exactly [RS_STOP, RS_ALL), then -EPIPE
 * once P is gone.
 */
TEST_F_TIMEOUT(xjr, restarted_subscriber_process_resumes_at_the_stored_position, 50)
{
	int to_p[2], from_p[2], from_b[2];
	pid_t p, a, b;

	ASSERT_EQ(0, pipe(to_p));
	ASSERT_EQ(0, pipe(from_p));
	ASSERT_EQ(0, pipe(from_b));
	p = le_fork(&self->env);
	ASSERT_LE(0, p);
	if (!p) {
		struct byteor_journal *pub = jr_publisher(&self->env, self->name);
		char c;

		jr_append(pub, 0, RS_FIRST);
		le_signal(from_p[1]);
		if (read(to_p[0], &c, 1) != 1)	/* A is done */
			_exit(8);
		jr_append(pub, RS_FIRST, RS_ALL);
		le_signal(from_p[1]);
		if (read(to_p[0], &c, 1) != 1)	/* B is attached */
			_exit(8);
		byteor_journal_detach(pub);
		_exit(0);
	}
	ASSERT_EQ(0, le_await(from_p[0]));

	a = le_fork(&self->env);
	ASSERT_LE(0, a);
	if (!a) {
		struct byteor_journal *sub = jr_subscriber(&self->env, self->name, 0);
		unsigned char buf[MAXREC];
		struct byteor_journal_record rec;
		__u64 seq, got;
		int n;

		for (seq = 0; seq < RS_STOP; seq++) {
			n = byteor_journal_read(sub, buf, sizeof(buf), &rec);
			if (n < 0)
				LE_DIE(3, "read %llu: %s", (unsigned long long)seq,
				       byteor_strerror(n));
			if (xj_check(buf, (__u32)n, rec.type, &got) || got != seq)
				LE_DIE(4, "record %llu is not intact", (unsigned long long)seq);
		}
		self->res->stored = byteor_journal_position(sub);
		if (self->res->stored != rec.next)
			LE_DIE(5, "position %llu, the last record ends at %llu",
			       (unsigned long long)self->res->stored,
			       (unsigned long long)rec.next);
		_exit(0);	/* no detach: the process just ends */
	}
	EXPECT_EQ(0, le_wait(&self->env, a));
	ASSERT_LT(0ULL, self->res->stored);
	le_signal(to_p[1]);
	ASSERT_EQ(0, le_await(from_p[0]));

	b = le_fork(&self->env);
	ASSERT_LE(0, b);
	if (!b) {
		struct byteor_journal *sub = jr_subscriber(&self->env, self->name,
							   self->res->stored);
		unsigned char buf[MAXREC];
		struct byteor_journal_record rec;
		__u64 seq, got;
		int n;

		le_signal(from_b[1]);
		for (seq = RS_STOP; seq < RS_ALL; seq++) {
			n = byteor_journal_read(sub, buf, sizeof(buf), &rec);
			if (n < 0)
				LE_DIE(3, "read %llu: %s", (unsigned long long)seq,
				       byteor_strerror(n));
			if (xj_check(buf, (__u32)n, rec.type, &got))
				LE_DIE(4, "record %llu is not intact", (unsigned long long)seq);
			if (got != seq)
				LE_DIE(5, "read record %llu, want %llu",
				       (unsigned long long)got, (unsigned long long)seq);
		}
		n = byteor_journal_read(sub, buf, sizeof(buf), &rec);
		if (n != -EPIPE)
			LE_DIE(6, "after the last record: %d, want -EPIPE", n);
		byteor_journal_detach(sub);
		_exit(0);
	}
	ASSERT_EQ(0, le_await(from_b[0]));
	le_signal(to_p[1]);
	EXPECT_EQ(0, le_wait(&self->env, p));
	EXPECT_EQ(0, le_wait(&self->env, b));
	close(to_p[0]);
	close(to_p[1]);
	close(from_p[0]);
	close(from_p[1]);
	close(from_b[0]);
	close(from_b[1]);
	EXPECT_EQ(0, le_destroy(&self->env, self->name));
}

TEST_HARNESS_MAIN
