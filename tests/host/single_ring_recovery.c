// SPDX-License-Identifier: GPL-2.0-only
/*
 * single_ring_recovery - an SPSC lane's recovery rules with in-slot tags
 * (docs/design.md, "SPSC recovery"), one process: a consumer that
 * re-attaches after its predecessor read ahead of the producer's position
 * by tags starts where that one stopped; the waiting calls deliver what a
 * dead producer tagged but did not count; no lap's tag is 0, so a slot
 * nobody published never passes for a published one.  The same tests run
 * over an events chain's SPSC queue (events_spsc_recovery.c).
 */
#include "kselftest_harness.h"
#include "host_test.h"
#include "single_ring_test.h"
#include "single_ring_lane.h"

#ifndef SL_EVENTS
#define SL_EVENTS	false
#endif

FIXTURE(lane) {
	struct ht_dir d;
};

FIXTURE_SETUP(lane)
{
	HT_DIR_SETUP(&self->d, false);
}

FIXTURE_TEARDOWN(lane)
{
	ht_dir_teardown(&self->d);
}

/* Drain @e with one-slot peeks, checking events from *@next on. */
static const char *drain(struct sl_end *e, __u64 *next, int *last)
{
	struct byteor_slot s;
	const char *why;
	int n;

	while ((n = sl_peek(e, &s, 1)) > 0) {
		why = lt_check(s.data, s.len, 64, next, 1);
		if (why)
			return why;
		if (sl_release(e, 1) != 1)
			return "release failed";
	}
	*last = n;
	return NULL;
}

/*
 * A consumer reads three events by their tags before the producer stored
 * its position (emulated: the position put back), then exits.  The next
 * consumer is ahead of the producer's stored position - legitimately -
 * and must start where its predecessor released, not at the producer's
 * position: nothing delivered twice.
 */
TEST_F(lane, a_reattached_consumer_does_not_redeliver_what_was_read_ahead_by_tags)
{
	struct sl_end tx, rx;
	struct byteor_slot s;
	__u64 next = 0;
	int i, last = 0;

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, sl_create(self->d.path, SL_EVENTS, 64, 8));
	ASSERT_EQ(0, sl_attach(self->d.path, SL_EVENTS, true, 0, &tx));
	ASSERT_EQ(0, sl_attach(self->d.path, SL_EVENTS, false, 0, &rx));
	ASSERT_EQ(3, sl_put(&tx, 0, 3, 64));
	__atomic_store_n(sl_q(&tx)->mine, 0, __ATOMIC_RELEASE);
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(1, sl_peek(&rx, &s, 1));
		ASSERT_EQ(NULL, lt_check(s.data, s.len, 64, &next, 1));
		ASSERT_EQ(1, sl_release(&rx, 1));
	}
	sl_detach(&rx);

	ASSERT_EQ(0, sl_attach(self->d.path, SL_EVENTS, false, 0, &rx));
	EXPECT_EQ(3, sl_q(&rx)->pos);
	EXPECT_EQ(-EAGAIN, sl_peek(&rx, &s, 1));
	/* The out-of-line peek sees nothing either. */
	EXPECT_EQ(-EAGAIN, sl_peek_timed(&rx, &s, 4, 0));
	/* The producer's next publish stores its position: 5. */
	ASSERT_EQ(2, sl_put(&tx, 3, 2, 64));
	ASSERT_EQ(NULL, drain(&rx, &next, &last));
	EXPECT_EQ(-EAGAIN, last);
	EXPECT_EQ(5, next);
	sl_detach(&tx);
	sl_detach(&rx);
}

/*
 * A producer dies between its tag stores and its position store
 * (emulated: the position put back, the handle detached).  Its tagged
 * events are whole; the blocking calls - recv, peek_timed of one or of a
 * batch - deliver them like the inline peek does, and say -EPIPE only
 * once they are drained.
 */
TEST_F(lane, waiting_calls_deliver_a_dead_producers_tagged_events)
{
	struct sl_end tx, rx;
	struct byteor_slot s[4];
	unsigned char buf[64];
	__u64 next = 0;

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, sl_create(self->d.path, SL_EVENTS, 64, 8));
	ASSERT_EQ(0, sl_attach(self->d.path, SL_EVENTS, true, 0, &tx));
	ASSERT_EQ(0, sl_attach(self->d.path, SL_EVENTS, false, 1000000000LL,
			       &rx));
	ASSERT_EQ(1, sl_put(&tx, 0, 1, 64));
	ASSERT_EQ(3, sl_put(&tx, 1, 3, 64));
	__atomic_store_n(sl_q(&tx)->mine, 1, __ATOMIC_RELEASE);
	sl_detach(&tx);

	/* The one the position counts, then the dead producer's three. */
	ASSERT_LT(0, sl_recv_timed(&rx, buf, sizeof(buf), 1000000000LL));
	ASSERT_EQ(NULL, lt_check(buf, lt_len(0, 0, 64), 64, &next, 1));
	ASSERT_LT(0, sl_recv_timed(&rx, buf, sizeof(buf), 1000000000LL));
	ASSERT_EQ(NULL, lt_check(buf, lt_len(0, 1, 64), 64, &next, 1));
	ASSERT_EQ(2, sl_peek_timed(&rx, s, 4, 1000000000LL));
	ASSERT_EQ(NULL, lt_check(s[0].data, s[0].len, 64, &next, 1));
	ASSERT_EQ(NULL, lt_check(s[1].data, s[1].len, 64, &next, 1));
	ASSERT_EQ(2, sl_release(&rx, 2));
	EXPECT_EQ(-EPIPE, sl_recv_timed(&rx, buf, sizeof(buf), 1000000000LL));
	EXPECT_EQ(4, next);
	sl_detach(&rx);
}

/*
 * Lap 2^32 - 1 of the positions: no lap's tag may be 0, the value of a
 * slot nobody ever published (a fresh ring is zero-filled), or that lap
 * would show every slot published.  The ends are placed there (both
 * positions written, then both re-attach); nothing is there to peek, the
 * producer starts at its position, and events cross into the next lap
 * in order.
 */
TEST_F(lane, no_lap_tags_its_slots_with_zero)
{
	const __u64 p = 0xffffffffULL << 3;	/* capacity 8: lap 2^32 - 1 */
	struct sl_end tx, rx;
	struct byteor_slot s;
	__u64 seq = 0, next = 0;
	int i, last = 0;

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, sl_create(self->d.path, SL_EVENTS, 64, 8));
	ASSERT_EQ(0, sl_attach(self->d.path, SL_EVENTS, true, 0, &tx));
	ASSERT_EQ(0, sl_attach(self->d.path, SL_EVENTS, false, 0, &rx));
	__atomic_store_n(sl_q(&tx)->mine, p, __ATOMIC_RELEASE);
	__atomic_store_n(sl_q(&rx)->mine, p, __ATOMIC_RELEASE);
	sl_detach(&tx);
	sl_detach(&rx);

	ASSERT_EQ(0, sl_attach(self->d.path, SL_EVENTS, true, 0, &tx));
	ASSERT_EQ(0, sl_attach(self->d.path, SL_EVENTS, false, 0, &rx));
	EXPECT_EQ(p, sl_q(&tx)->pos);
	EXPECT_EQ(-EAGAIN, sl_peek(&rx, &s, 1));
	EXPECT_EQ(-EAGAIN, sl_peek_timed(&rx, &s, 4, 0));
	for (i = 0; i < 5; i++) {
		ASSERT_EQ(4, sl_put(&tx, seq, 4, 64));
		seq += 4;
		ASSERT_EQ(NULL, drain(&rx, &next, &last));
		ASSERT_EQ(-EAGAIN, last);
		ASSERT_EQ(seq, next);
	}
	EXPECT_EQ(p + 20, sl_q(&rx)->pos);
	sl_detach(&tx);
	sl_detach(&rx);
}

/*
 * A producer that writes no tags (libbyteor 0.2, emulated: a slot's
 * payload and length, then the position, no tag) is still heard.  A
 * one-slot inline peek that finds no tag reads the producer's position
 * only on every __BYTEOR_TAG_MISSES-th try, so that a consumer keeping up
 * with a tagging producer polls the slot's line alone; the waiting peek
 * reads the position at once.
 */
TEST_F(lane, a_producer_writing_no_tags_is_seen_through_its_position)
{
	struct sl_end tx, rx;
	struct byteor_slot s;
	__u64 next = 0, pos;
	unsigned char *slot;
	__u32 len;
	int i;

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, sl_create(self->d.path, SL_EVENTS, 64, 8));
	ASSERT_EQ(0, sl_attach(self->d.path, SL_EVENTS, true, 0, &tx));
	ASSERT_EQ(0, sl_attach(self->d.path, SL_EVENTS, false, 0, &rx));
	for (pos = 0; pos < 2; pos++) {
		slot = sl_q(&tx)->ring + pos * sl_q(&tx)->stride;
		len = lt_fill(slot + 8, 0, pos, 64);
		__atomic_store_n((__u32 *)slot, len, __ATOMIC_RELAXED);
		__atomic_store_n(sl_q(&tx)->mine, pos + 1, __ATOMIC_RELEASE);
		if (pos == 0) {
			for (i = 1; i < (int)__BYTEOR_TAG_MISSES; i++)
				ASSERT_EQ(-EAGAIN, sl_peek(&rx, &s, 1))
					TH_LOG("peek %d read the position", i);
			ASSERT_EQ(1, sl_peek(&rx, &s, 1));
		} else {
			ASSERT_EQ(1, sl_peek_timed(&rx, &s, 1, 1000000000LL));
		}
		ASSERT_EQ(NULL, lt_check(s.data, s.len, 64, &next, 1));
		ASSERT_EQ(1, sl_release(&rx, 1));
	}
	EXPECT_EQ(2, next);
	sl_detach(&tx);
	sl_detach(&rx);
}

/*
 * A batch publish tags each slot with its own lap, also across the ring's
 * end, where the lap changes inside the batch: a slot tagged with the lap
 * before would pass for unpublished (seen only through the position), one
 * tagged with a later lap for published a lap early.
 */
TEST_F(lane, a_batch_across_the_ring_end_tags_each_slot_with_its_lap)
{
	struct sl_end tx, rx;
	__u64 next = 0, seq = 0, pos;
	const unsigned int cap = 8;
	int last, k;

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, sl_create(self->d.path, SL_EVENTS, 64, cap));
	ASSERT_EQ(0, sl_attach(self->d.path, SL_EVENTS, true, 0, &tx));
	ASSERT_EQ(0, sl_attach(self->d.path, SL_EVENTS, false, 0, &rx));
	/* Batches of 5 over 8 slots: most of them straddle the end. */
	while (seq < 10 * cap) {
		k = sl_put(&tx, seq, 5, 64);
		ASSERT_EQ(5, k);
		for (pos = seq; pos < seq + 5; pos++) {
			const struct __byteor_spsc *q = sl_q(&tx);
			__u32 tag = __atomic_load_n((const __u32 *)(q->ring +
					(pos % cap) * q->stride + 4), __ATOMIC_RELAXED);

			ASSERT_EQ((__u32)(pos / cap) | 0x80000000U, tag)
				TH_LOG("slot of message %llu", (unsigned long long)pos);
		}
		seq += 5;
		ASSERT_EQ(NULL, drain(&rx, &next, &last));
		ASSERT_EQ(-EAGAIN, last);
		ASSERT_EQ(seq, next);
	}
	sl_detach(&tx);
	sl_detach(&rx);
}

TEST_HARNESS_MAIN
