// SPDX-License-Identifier: GPL-2.0-only
/*
 * journal_hostile - the journal against a scribbling peer and careless
 * callers, one scribble at a time: a lapped subscriber never takes a
 * misaligned tail as its position, a seek far beyond the tail is -ERANGE,
 * and every call taking a handle refuses NULL.  Run under ASan/UBSan too
 * (a misaligned header read is a UBSan abort there).
 */
#include "kselftest_harness.h"
#include "host_test.h"
#include "single_ring_test.h"
#include <sys/mman.h>
#include <byteor/journal.h>

#define NAME	"log"
#define CAP	4096U
#define MAXREC	256U

/* Control block 0 of a journal: tail, intent, head (journal.c). */
#define JH_TAIL		0
#define JH_HEAD		16

FIXTURE(jh) {
	struct ht_dir d;
	struct byteor_attach_options o;
	unsigned char *map;
	size_t size;
	__u64 ctl;
	__u64 aux;
};

FIXTURE_SETUP(jh)
{
	struct byteor_geometry g = ht_geom(MAXREC, CAP, 1, 1);
	struct byteor_region_info info;
	char path[HT_PATH * 2];
	int fd;

	HT_DIR_SETUP(&self->d, false);
	ASSERT_EQ(0, ht_create(self->d.path, NAME, BYTEOR_KIND_JOURNAL, &g));
	self->o = lt_opts(self->d.path, NAME, 0, 0);
	ASSERT_EQ(0, byteor_region_info(NAME, BYTEOR_BACKING_USER, self->d.path, &info));
	self->ctl = info.layout.area_off[BYTEOR_AREA_CONTROL];
	self->aux = info.layout.area_off[BYTEOR_AREA_AUX];
	self->size = info.size;
	ht_region_path(path, sizeof(path), self->d.path, NAME);
	fd = open(path, O_RDWR);
	ASSERT_LE(0, fd);
	self->map = mmap(NULL, info.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	ASSERT_NE(MAP_FAILED, self->map);
}

FIXTURE_TEARDOWN(jh)
{
	munmap(self->map, self->size);
	ht_dir_teardown(&self->d);
}

static void jh_poke(FIXTURE_DATA(jh) *self, unsigned int off, __u64 v)
{
	__atomic_store_n((__u64 *)(self->map + self->ctl + off), v, __ATOMIC_RELAXED);
}

static __u64 jh_peek64(FIXTURE_DATA(jh) *self, unsigned int off)
{
	return __atomic_load_n((__u64 *)(self->map + self->ctl + off), __ATOMIC_RELAXED);
}

/*
 * Lapped while the tail and head are scribbled (head insane, tail odd):
 * the subscriber's new position stays 8-byte aligned, and once the
 * publisher's next commit restores the tail it reads records again.
 */
TEST_F(jh, lapped_subscriber_never_takes_a_misaligned_tail)
{
	struct byteor_journal *pub, *sub;
	struct byteor_journal_record rec;
	unsigned char buf[MAXREC];
	__u64 t;
	int i, ret;

	ASSERT_EQ(0, byteor_attach_journal_publisher(&self->o, &pub));
	ASSERT_EQ(0, byteor_attach_journal_subscriber_from(&self->o, 0, &sub));
	memset(buf, 0x5a, sizeof(buf));
	for (i = 0; i < 64; i++)	/* 64 * 144 bytes: laps a 4 KiB area */
		ASSERT_EQ(0, byteor_journal_append(pub, i, buf, 128, NULL));
	t = jh_peek64(self, JH_TAIL);
	jh_poke(self, JH_HEAD, 3);
	jh_poke(self, JH_TAIL, t + 3);
	ret = byteor_journal_peek(sub, &rec);
	ASSERT_EQ(-EOVERFLOW, ret);
	EXPECT_EQ(0, rec.next % BYTEOR_JOURNAL_ALIGN);
	EXPECT_EQ(0, byteor_journal_position(sub) % BYTEOR_JOURNAL_ALIGN);
	/* The scribble stops: the publisher's commit rewrites tail and head. */
	ASSERT_EQ(0, byteor_journal_append(pub, 99, "after", 5, NULL));
	for (i = 0, ret = -EAGAIN; i < 8 && ret != 5; i++)
		ret = byteor_journal_read(sub, buf, sizeof(buf), &rec);
	EXPECT_EQ(5, ret);
	EXPECT_EQ(99, rec.type);
	EXPECT_EQ(0, memcmp(buf, "after", 5));
	byteor_journal_detach(sub);
	byteor_journal_detach(pub);
}

/*
 * The record read is checked against an intent loaded after the copy,
 * also when the tail is cached and the header was checked before the
 * copy: a header forged at the subscriber's position after the publisher
 * lapped it (as a new record's payload could hold one) is not read.
 */
TEST_F(jh, a_forged_header_after_a_lap_is_not_read)
{
	struct byteor_journal *pub, *sub;
	struct byteor_journal_record rec;
	unsigned char buf[MAXREC];
	struct { __u32 len, type; __u64 pos; } h;
	__u64 at;
	int i, ret;

	ASSERT_EQ(0, byteor_attach_journal_publisher(&self->o, &pub));
	ASSERT_EQ(0, byteor_attach_journal_subscriber_from(&self->o, 0, &sub));
	memset(buf, 0x5a, sizeof(buf));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, byteor_journal_append(pub, i, buf, 128, NULL));
	ASSERT_EQ(128, byteor_journal_read(sub, buf, sizeof(buf), &rec));
	at = byteor_journal_position(sub);
	for (i = 0; i < 64; i++)	/* laps the subscriber */
		ASSERT_EQ(0, byteor_journal_append(pub, i, buf, 128, NULL));
	h.len = 5;
	h.type = 42;
	h.pos = at;
	memcpy(self->map + self->aux + (at & (CAP - 1)), &h, sizeof(h));
	ret = byteor_journal_read(sub, buf, sizeof(buf), &rec);
	EXPECT_EQ(-EOVERFLOW, ret);
	EXPECT_EQ(at, rec.pos);
	EXPECT_NE(42, rec.type);
	byteor_journal_detach(sub);
	byteor_journal_detach(pub);
}

/*
 * The batch form: headers forged at the subscriber's position after a lap
 * (two consecutive ones that check out) may be peeked, but the one intent
 * check of the consume covers them: -EOVERFLOW, never consumed.
 */
TEST_F(jh, forged_headers_after_a_lap_are_not_consumed_in_a_batch)
{
	struct byteor_journal *pub, *sub;
	struct byteor_journal_record recs[32];
	unsigned char buf[MAXREC];
	struct { __u32 len, type; __u64 pos; } h[2];
	__u64 at, oldest;
	int i, n;

	ASSERT_EQ(0, byteor_attach_journal_publisher(&self->o, &pub));
	ASSERT_EQ(0, byteor_attach_journal_subscriber_from(&self->o, 0, &sub));
	memset(buf, 0x5a, sizeof(buf));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, byteor_journal_append(pub, i, buf, 128, NULL));
	ASSERT_EQ(1, byteor_journal_peek_batch(sub, recs, 1));
	ASSERT_EQ(0, byteor_journal_consume_batch(sub, recs, 1));
	at = byteor_journal_position(sub);
	for (i = 0; i < 64; i++)	/* laps the subscriber */
		ASSERT_EQ(0, byteor_journal_append(pub, i, buf, 128, NULL));
	h[0].len = 8;
	h[0].type = 4242;
	h[0].pos = at;
	h[1].len = 8;
	h[1].type = 4343;
	h[1].pos = at + 24;
	memcpy(self->map + self->aux + (at & (CAP - 1)), &h[0], sizeof(h[0]));
	memcpy(self->map + self->aux + ((at + 24) & (CAP - 1)), &h[1], sizeof(h[1]));
	n = byteor_journal_peek_batch(sub, recs, 32);
	if (n > 0)	/* headers that check out: the consume tells */
		n = byteor_journal_consume_batch(sub, recs, n);
	EXPECT_EQ(-EOVERFLOW, n);
	ASSERT_EQ(0, byteor_journal_oldest(sub, &oldest));
	EXPECT_EQ(oldest, byteor_journal_position(sub));
	n = byteor_journal_peek_batch(sub, recs, 32);
	ASSERT_LT(0, n);
	EXPECT_EQ(oldest, recs[0].pos);
	for (i = 0; i < n; i++) {
		EXPECT_EQ(128, recs[i].len);
		EXPECT_GT(64, recs[i].type);
	}
	EXPECT_EQ(0, byteor_journal_consume_batch(sub, recs, n));
	byteor_journal_detach(sub);
	byteor_journal_detach(pub);
}

/*
 * A scribbled (misaligned) tail met when a batch reaches the tail it
 * cached ends the batch there; the position stays on the grid, and the
 * records are read once the publisher's next commit restores the tail.
 */
TEST_F(jh, a_misaligned_tail_ends_a_batch)
{
	struct byteor_journal *pub, *sub;
	struct byteor_journal_record recs[32];
	unsigned char buf[MAXREC];
	__u64 t;
	int i, n, got = 0;

	ASSERT_EQ(0, byteor_attach_journal_publisher(&self->o, &pub));
	ASSERT_EQ(0, byteor_attach_journal_subscriber_from(&self->o, 0, &sub));
	memset(buf, 0x5a, sizeof(buf));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, byteor_journal_append(pub, i, buf, 32, NULL));
	/* one consumed; the tail of three cached */
	ASSERT_EQ(1, byteor_journal_peek_batch(sub, recs, 1));
	ASSERT_EQ(0, byteor_journal_consume_batch(sub, recs, 1));
	for (; i < 5; i++)
		ASSERT_EQ(0, byteor_journal_append(pub, i, buf, 32, NULL));
	t = jh_peek64(self, JH_TAIL);
	jh_poke(self, JH_TAIL, t + 3);
	n = byteor_journal_peek_batch(sub, recs, 32);
	ASSERT_EQ(2, n);
	EXPECT_EQ(1, recs[0].type);
	EXPECT_EQ(2, recs[1].type);
	ASSERT_EQ(0, byteor_journal_consume_batch(sub, recs, n));
	EXPECT_EQ(0, byteor_journal_position(sub) % BYTEOR_JOURNAL_ALIGN);
	ASSERT_EQ(0, byteor_journal_append(pub, 5, buf, 32, NULL));
	for (i = 0; i < 8 && got < 3; i++) {
		n = byteor_journal_peek_batch(sub, recs, 32);
		if (n == -EAGAIN || n == -EBADMSG)
			continue;
		ASSERT_LT(0, n);
		EXPECT_EQ(3 + got, recs[0].type);
		got += n;
		ASSERT_EQ(0, byteor_journal_consume_batch(sub, recs, n));
	}
	EXPECT_EQ(3, got);
	EXPECT_EQ(byteor_journal_position(pub), byteor_journal_position(sub));
	byteor_journal_detach(sub);
	byteor_journal_detach(pub);
}

/*
 * A caught-up subscriber looks at the next record's header before the
 * publisher's tail; the tail alone commits a record.  So a record is
 * still read once committed (its header names its position), a header of
 * the last lap is not taken for it, and a header scribbled away cannot
 * hide a committed record: one of 64 polls looks at the tail, finds the
 * record and reports its header (-EBADMSG, the subscriber resynchronised
 * at the tail) rather than "nothing new" for ever.
 */
TEST_F(jh, caught_up_polls_go_by_the_tail_not_by_headers_alone)
{
	struct byteor_journal *pub, *sub;
	struct byteor_journal_record rec;
	unsigned char buf[MAXREC];
	__u64 at, pos;
	int i, ret = -EAGAIN;

	ASSERT_EQ(0, byteor_attach_journal_publisher(&self->o, &pub));
	ASSERT_EQ(0, byteor_attach_journal_subscriber_tail(&self->o, &sub));
	memset(buf, 0x5a, sizeof(buf));
	/* Two laps of 128-byte records: every header in the area is old. */
	for (i = 0; i < 64; i++)
		ASSERT_EQ(0, byteor_journal_append(pub, i, buf, 112, NULL));
	ASSERT_EQ(0, byteor_journal_seek(sub, byteor_journal_position(pub)));
	for (i = 0; i < 200; i++)
		ASSERT_EQ(-EAGAIN, byteor_journal_read(sub, buf, sizeof(buf), &rec));

	ASSERT_EQ(0, byteor_journal_append(pub, 7, buf, 112, &pos));
	EXPECT_EQ(112, byteor_journal_read(sub, buf, sizeof(buf), &rec));
	EXPECT_EQ(pos, rec.pos);
	EXPECT_EQ(7, rec.type);
	ASSERT_EQ(-EAGAIN, byteor_journal_read(sub, buf, sizeof(buf), &rec));

	at = byteor_journal_position(sub);
	ASSERT_EQ(0, byteor_journal_append(pub, 8, buf, 112, &pos));
	ASSERT_EQ(at, pos);
	__atomic_store_n((__u64 *)(self->map + self->aux + (at & (CAP - 1)) + 8),
			 at + 1, __ATOMIC_RELAXED);
	for (i = 0; i < 64 && ret == -EAGAIN; i++)
		ret = byteor_journal_read(sub, buf, sizeof(buf), &rec);
	EXPECT_EQ(-EBADMSG, ret) TH_LOG("after %d polls: %d", i, ret);
	byteor_journal_detach(sub);
	byteor_journal_detach(pub);
}

TEST_F(jh, seek_far_beyond_the_tail_is_erange)
{
	struct byteor_journal *pub, *sub;
	__u64 t;

	ASSERT_EQ(0, byteor_attach_journal_publisher(&self->o, &pub));
	ASSERT_EQ(0, byteor_attach_journal_subscriber_tail(&self->o, &sub));
	ASSERT_EQ(0, byteor_journal_append(pub, 1, "x", 1, &t));
	t = byteor_journal_position(pub);
	EXPECT_EQ(-ERANGE, byteor_journal_seek(sub, t + (1ULL << 63) + 8));
	EXPECT_EQ(-ERANGE, byteor_journal_seek(sub, t + 8));
	EXPECT_EQ(-ERANGE, byteor_journal_seek(sub, ~7ULL));
	EXPECT_EQ(0, byteor_journal_seek(sub, t));
	EXPECT_EQ(0, byteor_journal_seek(sub, 0));
	EXPECT_EQ(0, byteor_journal_position(sub));
	byteor_journal_detach(sub);
	byteor_journal_detach(pub);
}

TEST(every_call_taking_a_handle_refuses_null)
{
	struct byteor_journal_snapshot snap;
	struct byteor_journal_record rec = { 0 };
	char buf[8] = { 0 };
	void *data;
	__u64 pos;

	EXPECT_EQ(-EINVAL, byteor_journal_append(NULL, 1, buf, 1, &pos));
	EXPECT_EQ(-EINVAL, byteor_journal_claim(NULL, 1, &data));
	EXPECT_EQ(-EINVAL, byteor_journal_commit(NULL, 1, 1, &pos));
	EXPECT_EQ(-EINVAL, byteor_journal_abort(NULL));
	EXPECT_EQ(-EINVAL, byteor_journal_peek(NULL, &rec));
	EXPECT_EQ(-EINVAL, byteor_journal_peek_timed(NULL, &rec, 0));
	EXPECT_EQ(-EINVAL, byteor_journal_validate(NULL, &rec));
	EXPECT_EQ(-EINVAL, byteor_journal_consume(NULL, &rec));
	EXPECT_EQ(-EINVAL, byteor_journal_read(NULL, buf, sizeof(buf), &rec));
	EXPECT_EQ(-EINVAL, byteor_journal_read_timed(NULL, buf, sizeof(buf), &rec, 0));
	EXPECT_EQ(-EINVAL, byteor_journal_peek_batch(NULL, &rec, 1));
	EXPECT_EQ(-EINVAL, byteor_journal_peek_batch_timed(NULL, &rec, 1, 0));
	EXPECT_EQ(-EINVAL, byteor_journal_consume_batch(NULL, &rec, 1));
	EXPECT_EQ(0, byteor_journal_position(NULL));
	EXPECT_EQ(-EINVAL, byteor_journal_oldest(NULL, &pos));
	EXPECT_EQ(-EINVAL, byteor_journal_seek(NULL, 0));
	EXPECT_EQ(-EINVAL, byteor_journal_snapshot(NULL, &snap));
	EXPECT_EQ(0, byteor_journal_capacity(NULL));
	EXPECT_EQ(0, byteor_journal_max_record(NULL));
	byteor_journal_detach(NULL);
}

/* A publisher's claim with a NULL out pointer is refused, not written. */
TEST_F(jh, claim_refuses_a_null_data_pointer)
{
	struct byteor_journal *pub;

	ASSERT_EQ(0, byteor_attach_journal_publisher(&self->o, &pub));
	EXPECT_EQ(-EINVAL, byteor_journal_claim(pub, 1, NULL));
	/* Nothing was claimed: an append goes through. */
	EXPECT_EQ(0, byteor_journal_append(pub, 1, "x", 1, NULL));
	byteor_journal_detach(pub);
}

TEST_HARNESS_MAIN
