// SPDX-License-Identifier: GPL-2.0-only
/*
 * journal_xproc - the journal between processes: a publisher appends 10
 * million records while subscribers (copying and zero-copy, read-write
 * and read-only) read them; every record a subscriber accepts is intact
 * (content tied to its sequence number), sequences only increase, and a
 * gap only ever follows an -EOVERFLOW; a slow subscriber is lapped on
 * purpose and carries on with intact records; a stopped subscriber never
 * holds the publisher back; a restarted subscriber resumes exactly at the
 * position its predecessor stored.
 *
 * BYTEOR_TEST_SCALE scales the record counts (sanitizer builds: 0.05).
 */
#include "kselftest_harness.h"
#include "host_test.h"
#include "single_ring_test.h"
#include <sys/mman.h>
#include <byteor/journal.h>

#define NAME		"log"
#define CAP		(1U << 20)
#define MAXREC		256U
#define XJ_TIMEOUT	20000000000LL

/* Per-subscriber results, in a shared anonymous mapping. */
struct xj_result {
	__u64 delivered;
	__u64 lapped;
	__u64 lost_gaps;
	__u64 last;
	__u64 invalidated;
};

FIXTURE(xjr) {
	struct ht_dir d;
	struct xj_result *res;
};

FIXTURE_SETUP(xjr)
{
	struct byteor_geometry g = ht_geom(MAXREC, CAP, 1, 1);

	HT_DIR_SETUP(&self->d, false);
	ASSERT_EQ(0, ht_create(self->d.path, NAME, BYTEOR_KIND_JOURNAL, &g));
	self->res = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->res);
}

FIXTURE_TEARDOWN(xjr)
{
	munmap(self->res, 4096);
	ht_dir_teardown(&self->d);
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

static void xj_publisher(const char *dir, int cpu, __u64 n, int fd)
{
	struct byteor_attach_options o = lt_opts(dir, NAME, 0, 0);
	struct byteor_journal *pub;
	unsigned char buf[MAXREC];
	__u64 seq;
	int ret;

	lt_pin(cpu);
	ret = byteor_attach_journal_publisher(&o, &pub);
	if (ret)
		LT_DIE(2, "publisher attach: %s", byteor_strerror(ret));
	if (fd >= 0)
		ht_signal(fd);
	for (seq = 0; seq < n; seq++) {
		ret = byteor_journal_append(pub, (__u32)seq, buf, xj_fill(buf, seq),
					    NULL);
		if (ret)
			LT_DIE(3, "append %llu: %s", (unsigned long long)seq,
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
	long long t0 = lt_now_ns();

	while (lt_now_ns() - t0 < 1000000000LL) {
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
static void xj_subscriber(const char *dir, int cpu, struct xj_result *res,
			  int mode, bool ro, unsigned int slow, __u64 n, int fd)
{
	struct byteor_attach_options o = lt_opts(dir, NAME, 0, XJ_TIMEOUT);
	struct byteor_journal_record rec;
	struct byteor_journal *sub;
	unsigned char buf[MAXREC];
	bool lapped = false;
	__u64 seq = 0, last = ~0ULL;
	const char *why = NULL;
	int ret;

	lt_pin(cpu);
	if (ro)
		o.flags = BYTEOR_ATTACH_OBSERVER;
	ret = byteor_attach_journal_subscriber_from(&o, 0, &sub);
	if (ret)
		LT_DIE(2, "subscriber attach: %s", byteor_strerror(ret));
	if (fd >= 0)
		ht_signal(fd);
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
			LT_DIE(4, "read after %llu: %s", (unsigned long long)last,
			       byteor_strerror(ret));
		if (why)
			LT_DIE(5, "record after %llu: %s", (unsigned long long)last, why);
		if (last != ~0ULL && seq <= last)
			LT_DIE(6, "seq %llu after %llu", (unsigned long long)seq,
			       (unsigned long long)last);
		if (seq != last + 1) {
			if (!lapped)
				LT_DIE(7, "gap %llu -> %llu without -EOVERFLOW",
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
		sub[i] = lt_fork();
		ASSERT_LE(0, sub[i]);
		if (!sub[i])
			xj_subscriber(self->d.path, i + 1, &self->res[i], mode[i],
				      ro[i], slow[i], n, pfd[1]);
		ASSERT_EQ(0, ht_await(pfd[0]));
	}
	t0 = lt_now_ns();
	pub = lt_fork();
	ASSERT_LE(0, pub);
	if (!pub)
		xj_publisher(self->d.path, 0, n, -1);
	EXPECT_EQ(0, lt_status(pub));
	TH_LOG("publisher: %llu records in %.2f s", (unsigned long long)n,
	       (lt_now_ns() - t0) / 1e9);
	for (i = 0; i < nsub; i++) {
		EXPECT_EQ(0, lt_status(sub[i]));
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
	}
	close(pfd[0]);
	close(pfd[1]);
}

TEST_F_TIMEOUT(xjr, ten_million_records_are_delivered_intact_or_reported_lapped, 120)
{
	static const int mode[] = { 0, 1 };
	static const bool ro[] = { false, false };
	static const unsigned int slow[] = { 0, 0 };

	xj_run(_metadata, self, lt_scaled(10000000, 200000), 2, mode, ro, slow);
}

TEST_F_TIMEOUT(xjr, slow_and_read_only_subscribers_are_lapped_and_carry_on, 120)
{
	static const int mode[] = { 0, 1, 0 };
	static const bool ro[] = { false, false, true };
	static const unsigned int slow[] = { 2000, 2000, 0 };
	int i;

	xj_run(_metadata, self, lt_scaled(4000000, 200000), 3, mode, ro, slow);
	for (i = 0; i < 2; i++)
		EXPECT_LT(0, self->res[i].lapped);
}

/* A subscriber stopped (SIGSTOP) mid-stream never holds the publisher. */
TEST_F_TIMEOUT(xjr, a_stopped_subscriber_never_blocks_the_publisher, 120)
{
	__u64 n = lt_scaled(2000000, 200000);
	int pfd[2];
	pid_t pub, sub;

	ASSERT_EQ(0, pipe(pfd));
	sub = lt_fork();
	ASSERT_LE(0, sub);
	if (!sub)
		xj_subscriber(self->d.path, 1, self->res, 0, false, 0, n, pfd[1]);
	ASSERT_EQ(0, ht_await(pfd[0]));
	ASSERT_EQ(0, kill(sub, SIGSTOP));
	pub = lt_fork();
	ASSERT_LE(0, pub);
	if (!pub)
		xj_publisher(self->d.path, 0, n, -1);
	EXPECT_EQ(0, lt_status(pub));
	ASSERT_EQ(0, kill(sub, SIGCONT));
	EXPECT_EQ(0, lt_status(sub));
	EXPECT_LT(0, self->res->lapped);
	EXPECT_EQ(n - 1, self->res->last);
}

/* A subscriber stores its position and exits; its successor resumes there. */
TEST_F(xjr, a_restarted_subscriber_resumes_exactly_where_it_stopped)
{
	struct byteor_attach_options o = lt_opts(self->d.path, NAME, 0, XJ_TIMEOUT);
	struct byteor_journal_record rec;
	struct byteor_journal *pub, *sub;
	unsigned char buf[MAXREC];
	__u64 seq, stored = 0, got;
	int pfd[2], n;
	pid_t c;

	ASSERT_EQ(0, pipe(pfd));
	ASSERT_EQ(0, byteor_attach_journal_publisher(&o, &pub));
	for (seq = 0; seq < 1000; seq++)
		ASSERT_EQ(0, byteor_journal_append(pub, (__u32)seq, buf,
						   xj_fill(buf, seq), NULL));
	c = lt_fork();
	ASSERT_LE(0, c);
	if (!c) {
		__u64 pos;

		if (byteor_attach_journal_subscriber_from(&o, 0, &sub))
			_exit(2);
		for (seq = 0; seq < 617; seq++)
			if (byteor_journal_read(sub, buf, sizeof(buf), NULL) < 0)
				_exit(3);
		pos = byteor_journal_position(sub);
		if (write(pfd[1], &pos, sizeof(pos)) != sizeof(pos))
			_exit(4);
		_exit(0);
	}
	ASSERT_EQ(sizeof(stored), read(pfd[0], &stored, sizeof(stored)));
	EXPECT_EQ(0, lt_status(c));
	for (; seq < 1100; seq++)
		ASSERT_EQ(0, byteor_journal_append(pub, (__u32)seq, buf,
						   xj_fill(buf, seq), NULL));
	ASSERT_EQ(0, byteor_attach_journal_subscriber_from(&o, stored, &sub));
	for (seq = 617; seq < 1100; seq++) {
		n = byteor_journal_read(sub, buf, sizeof(buf), &rec);
		ASSERT_LE(0, n);
		ASSERT_EQ(NULL, xj_check(buf, n, rec.type, &got));
		ASSERT_EQ(seq, got);
	}
	byteor_journal_detach(pub);
	EXPECT_EQ(-EPIPE, byteor_journal_read(sub, buf, sizeof(buf), &rec));
	byteor_journal_detach(sub);
	close(pfd[0]);
	close(pfd[1]);
}

TEST_HARNESS_MAIN
