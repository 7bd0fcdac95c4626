// SPDX-License-Identifier: GPL-2.0-only
/*
 * sequenced_slots_hostile - sequenced slots against a scribbling peer and
 * careless callers: a scribbled cursor heals once the scribble stops, a
 * barrier asked for a sequence no producer can reach is -ERANGE, and every
 * call taking a handle refuses NULL.  The scribbles go straight to the
 * shared words through the private layout (sequenced_slots_pvt.h).
 */
#include "kselftest_harness.h"
#include "host_test.h"
#include "single_ring_test.h"
#include "sequenced_slots_test.h"
#include "sequenced_slots_pvt.h"

FIXTURE(seqh) {
	struct ht_dir d;
};

FIXTURE_SETUP(seqh)
{
	HT_DIR_SETUP(&self->d, false);
}

FIXTURE_TEARDOWN(seqh)
{
	ht_dir_teardown(&self->d);
}

static struct byteor_sequenced_slots *sh_attach(struct __test_metadata *_metadata,
						const char *dir, int role,
						unsigned int queue)
{
	struct byteor_attach_options o = st_opts(dir, queue, 0);
	struct byteor_sequenced_slots *h = NULL;
	int ret = byteor_attach_sequenced_slots_region(&o, role, &h);

	EXPECT_EQ(0, ret) TH_LOG("attach role %d queue %u: %s", role, queue,
				 byteor_strerror(ret));
	return h;
}

static void sh_publish(struct __test_metadata *_metadata,
		       struct byteor_sequenced_slots *p, unsigned int n)
{
	__u64 first;
	unsigned int i;

	ASSERT_EQ(0, byteor_sequenced_slots_producer_claim(p, n, &first));
	for (i = 0; i < n; i++)
		st_fill(byteor_sequenced_slots_entry(p, first + i), first + i);
	ASSERT_EQ((int)n, byteor_sequenced_slots_producer_publish(p, n));
}

/*
 * Poll a caught-up stage until it answers something else than "nothing
 * new": it looks at its next slot's header first and at the cursor on a
 * header that names its entry or on every 64th poll.
 */
static int sh_poll(struct byteor_sequenced_slots *s, __u64 *first)
{
	int ret = -EAGAIN, i;

	for (i = 0; i < 64 && ret == -EAGAIN; i++)
		ret = byteor_sequenced_slots_stage_wait(s, 8, first);
	return ret;
}

/*
 * A cursor scribbled far ahead is -EBADMSG while it lasts (a caught-up
 * poll sees it within 64 polls); once the
 * producer's next publish puts the true cursor back, the stage and an
 * observer following the cursor read entries again (the observer, which
 * cannot tell a far jump from a scribble, reports the jump back once).
 */
TEST_F(seqh, scribbled_cursor_heals_once_the_scribble_stops)
{
	struct byteor_sequenced_slots *p, *s, *ob;
	__u64 first, end;
	int ret, i;

	ASSERT_EQ(0, st_create_topo(self->d.path, "seq", 8, ST_UNICAST));
	p = sh_attach(_metadata, self->d.path, BYTEOR_ROLE_PRODUCER, 0);
	s = sh_attach(_metadata, self->d.path, BYTEOR_ROLE_CONSUMER, 0);
	ob = sh_attach(_metadata, self->d.path, BYTEOR_ROLE_OBSERVER, 0);
	ASSERT_NE(NULL, ob);
	sh_publish(_metadata, p, 2);
	ASSERT_EQ(2, byteor_sequenced_slots_stage_wait(s, 8, &first));
	ASSERT_EQ(2, byteor_sequenced_slots_stage_advance(s, 2));

	atomic_store(&p->prod->cursor, 1ULL << 40);
	/* Caught up, the stage reads the cursor at least every 64th poll. */
	ret = sh_poll(s, &first);
	EXPECT_EQ(-EBADMSG, ret);
	ret = byteor_cursor_barrier_wait(ob, 2, &end, 0);
	EXPECT_TRUE(ret == 0 || ret == -EBADMSG);

	/* The scribble stops: the producer's publish restores the cursor. */
	sh_publish(_metadata, p, 1);
	EXPECT_EQ(1, byteor_sequenced_slots_stage_wait(s, 8, &first));
	EXPECT_EQ(2, first);
	EXPECT_EQ(1, byteor_sequenced_slots_stage_advance(s, 1));
	sh_publish(_metadata, p, 1);
	EXPECT_EQ(1, byteor_sequenced_slots_stage_wait(s, 8, &first));
	EXPECT_EQ(3, first);
	for (i = 0, ret = -EBADMSG; i < 2 && ret == -EBADMSG; i++)
		ret = byteor_cursor_barrier_wait(ob, 3, &end, 0);
	EXPECT_EQ(0, ret);
	EXPECT_EQ(4, end);
	byteor_sequenced_slots_detach(ob);
	byteor_sequenced_slots_detach(s);
	byteor_sequenced_slots_detach(p);
}

/*
 * A stage's gating sequence scribbled ahead lets the producer overwrite
 * entries the stage has not done (lost: a scribbler can destroy anything
 * while it lasts).  Once the scribble stops the lane must carry entries
 * again without a re-attach: the stage, more than a ring behind a proven
 * cursor, reports -EBADMSG once and resumes at the oldest entry still in
 * the ring; the producer, gated by it, goes on.
 */
TEST_F(seqh, stage_overrun_through_a_scribbled_gating_resumes_once_it_stops)
{
	struct byteor_sequenced_slots *p, *s;
	const char *why;
	__u64 first;
	int ret, i, n;

	ASSERT_EQ(0, st_create_topo(self->d.path, "seq", 8, ST_UNICAST));
	p = sh_attach(_metadata, self->d.path, BYTEOR_ROLE_PRODUCER, 0);
	s = sh_attach(_metadata, self->d.path, BYTEOR_ROLE_CONSUMER, 0);
	sh_publish(_metadata, p, 2);
	ASSERT_EQ(2, byteor_sequenced_slots_stage_wait(s, 8, &first));
	ASSERT_EQ(2, byteor_sequenced_slots_stage_advance(s, 2));
	sh_publish(_metadata, p, 8);
	/* The stage sees entries 2..9 and has not done them ... */
	ASSERT_EQ(8, byteor_sequenced_slots_stage_wait(s, 8, &first));
	ASSERT_EQ(2, first);
	/* ... when its gating sequence is scribbled to the cursor. */
	atomic_store(&p->stage[0]->gating, 10);
	sh_publish(_metadata, p, 8);		/* entries 10..17 over 2..9 */

	/* The scribble stopped: one -EBADMSG at most few, then 10..17. */
	for (i = 0, ret = -EBADMSG; i < 4 && ret == -EBADMSG; i++)
		ret = byteor_sequenced_slots_stage_wait(s, 8, &first);
	ASSERT_EQ(8, ret);
	ASSERT_EQ(10, first);
	for (n = 0; n < 8; n++) {
		why = st_process(byteor_sequenced_slots_entry(s, first + n),
				 first + n, 0, 0, true);
		ASSERT_EQ(NULL, why) TH_LOG("entry %d: %s", n, why);
	}
	ASSERT_EQ(8, byteor_sequenced_slots_stage_advance(s, 8));
	/* The producer is gated by the stage again, and goes on. */
	sh_publish(_metadata, p, 8);
	EXPECT_EQ(-EAGAIN, byteor_sequenced_slots_producer_claim(p, 1, &first));
	ASSERT_EQ(8, byteor_sequenced_slots_stage_wait(s, 8, &first));
	EXPECT_EQ(18, first);
	byteor_sequenced_slots_detach(s);
	byteor_sequenced_slots_detach(p);
}

/* More than 2^63 ahead wraps a signed compare: never "published". */
TEST_F(seqh, barriers_refuse_a_sequence_far_ahead_with_erange)
{
	struct byteor_sequenced_slots *p, *s, *ob;
	__u64 end = 0, far = 4 + (1ULL << 63) + 5;

	ASSERT_EQ(0, st_create_topo(self->d.path, "seq", 8, ST_UNICAST));
	p = sh_attach(_metadata, self->d.path, BYTEOR_ROLE_PRODUCER, 0);
	s = sh_attach(_metadata, self->d.path, BYTEOR_ROLE_CONSUMER, 0);
	ob = sh_attach(_metadata, self->d.path, BYTEOR_ROLE_OBSERVER, 0);
	ASSERT_NE(NULL, ob);
	sh_publish(_metadata, p, 4);
	EXPECT_EQ(-ERANGE, byteor_cursor_barrier_wait(ob, far, &end, 0));
	EXPECT_EQ(-ERANGE, byteor_cursor_barrier_wait(ob, ~0ULL, &end, 0));
	EXPECT_EQ(-ERANGE, byteor_gating_barrier_wait(ob, 1, far, &end, 0));
	/* Still fine: published, and not yet published. */
	EXPECT_EQ(0, byteor_cursor_barrier_wait(ob, 3, &end, 0));
	EXPECT_EQ(4, end);
	EXPECT_EQ(-EAGAIN, byteor_cursor_barrier_wait(ob, 4, &end, 0));
	EXPECT_EQ(-EAGAIN, byteor_gating_barrier_wait(ob, 1, 0, &end, 0));
	byteor_sequenced_slots_detach(ob);
	byteor_sequenced_slots_detach(s);
	byteor_sequenced_slots_detach(p);
}

/*
 * A removed bit scribbled onto a live stage (removal needs the stage's
 * claim, which it holds: a scribble) is cleared by the stage's next look,
 * and its dependent waits for it again.
 */
TEST_F(seqh, live_stage_clears_a_removed_bit_scribbled_onto_it)
{
	struct byteor_sequenced_slots_snapshot snap;
	struct byteor_sequenced_slots *p, *s0, *s1;
	__u64 first;

	ASSERT_EQ(0, st_create_topo(self->d.path, "seq", 8, ST_PIPELINE));
	p = sh_attach(_metadata, self->d.path, BYTEOR_ROLE_PRODUCER, 0);
	s0 = sh_attach(_metadata, self->d.path, BYTEOR_ROLE_CONSUMER, 0);
	s1 = sh_attach(_metadata, self->d.path, BYTEOR_ROLE_CONSUMER, 1);
	ASSERT_NE(NULL, s1);
	sh_publish(_metadata, p, 4);
	atomic_fetch_or(&p->prod->removed, (1U << 0) | (1U << 16));
	EXPECT_EQ(4, byteor_sequenced_slots_stage_wait(s0, 8, &first));
	ASSERT_EQ(0, byteor_sequenced_slots_snapshot(p, &snap));
	EXPECT_EQ(0, snap.removed_mask);
	EXPECT_EQ(0, atomic_load(&p->prod->removed));
	EXPECT_EQ(-EAGAIN, byteor_sequenced_slots_stage_wait(s1, 8, &first));
	EXPECT_EQ(4, byteor_sequenced_slots_stage_advance(s0, 4));
	EXPECT_EQ(4, byteor_sequenced_slots_stage_wait(s1, 8, &first));
	byteor_sequenced_slots_detach(s1);
	byteor_sequenced_slots_detach(s0);
	byteor_sequenced_slots_detach(p);
}

/*
 * A polling stage that has caught up answers "nothing new" inline
 * (byteor/seq_inline.h) - but not over a scribble: its own gating sequence
 * scribbled lower (the producer would wait for it for ever) is put back by
 * that very poll, and so is a removed bit scribbled onto it.
 */
TEST_F(seqh, caught_up_poll_heals_a_scribbled_gating_sequence)
{
	struct byteor_sequenced_slots *p, *s0;
	_Atomic __u64 *gating;
	__u64 first;

	ASSERT_EQ(0, st_create_topo(self->d.path, "seq", 8, ST_UNICAST));
	p = sh_attach(_metadata, self->d.path, BYTEOR_ROLE_PRODUCER, 0);
	s0 = sh_attach(_metadata, self->d.path, BYTEOR_ROLE_CONSUMER, 0);
	ASSERT_NE(NULL, s0);
	gating = &s0->stage[0]->gating;
	sh_publish(_metadata, p, 4);
	ASSERT_EQ(4, byteor_sequenced_slots_stage_wait(s0, 8, &first));
	ASSERT_EQ(4, byteor_sequenced_slots_stage_advance(s0, 4));
	EXPECT_EQ(-EAGAIN, byteor_sequenced_slots_stage_wait(s0, 8, &first));

	atomic_store(gating, 1);
	EXPECT_EQ(-EAGAIN, byteor_sequenced_slots_stage_wait(s0, 8, &first));
	EXPECT_EQ(4, atomic_load(gating));
	atomic_store(gating, 2);
	EXPECT_EQ(-EAGAIN, byteor_sequenced_slots_stage_wait_timed(s0, 8, &first, 0));
	EXPECT_EQ(4, atomic_load(gating));

	atomic_fetch_or(&p->prod->removed, 1U << 0);
	EXPECT_EQ(-EAGAIN, byteor_sequenced_slots_stage_wait(s0, 8, &first));
	EXPECT_EQ(0, atomic_load(&p->prod->removed));

	/* And the lane still carries entries: 8 more fill the ring. */
	sh_publish(_metadata, p, 8);
	EXPECT_EQ(8, byteor_sequenced_slots_stage_wait(s0, 8, &first));
	EXPECT_EQ(4, first);
	byteor_sequenced_slots_detach(s0);
	byteor_sequenced_slots_detach(p);
}

/*
 * A caught-up cursor follower refreshes its barrier inline, trusting a
 * cursor only 1 to a ring ahead: a cursor scribbled back behind the stage
 * is, within 64 polls, neither entries nor "nothing new" but the
 * library's -EBADMSG, and
 * the lane carries entries again once the producer's next publish puts
 * the true cursor back.
 */
TEST_F(seqh, caught_up_poll_refuses_a_cursor_scribbled_backwards)
{
	struct byteor_sequenced_slots *p, *s0;
	__u64 first;
	int ret;

	ASSERT_EQ(0, st_create_topo(self->d.path, "seq", 8, ST_UNICAST));
	p = sh_attach(_metadata, self->d.path, BYTEOR_ROLE_PRODUCER, 0);
	s0 = sh_attach(_metadata, self->d.path, BYTEOR_ROLE_CONSUMER, 0);
	ASSERT_NE(NULL, s0);
	sh_publish(_metadata, p, 6);
	ASSERT_EQ(6, byteor_sequenced_slots_stage_wait(s0, 8, &first));
	ASSERT_EQ(6, byteor_sequenced_slots_stage_advance(s0, 6));
	sh_publish(_metadata, p, 2);
	ASSERT_EQ(2, byteor_sequenced_slots_stage_wait(s0, 8, &first));
	ASSERT_EQ(2, byteor_sequenced_slots_stage_advance(s0, 2));

	/* Back by more than a ring from the cursor the stage saw (8). */
	atomic_store(&p->prod->cursor, 8ULL - 8 - 1);
	ret = sh_poll(s0, &first);
	EXPECT_EQ(-EBADMSG, ret) TH_LOG("got %d", ret);

	sh_publish(_metadata, p, 1);
	ret = byteor_sequenced_slots_stage_wait(s0, 8, &first);
	EXPECT_EQ(1, ret) TH_LOG("got %d", ret);
	EXPECT_EQ(8, first);
	byteor_sequenced_slots_detach(s0);
	byteor_sequenced_slots_detach(p);
}

/*
 * A caught-up polling stage looks at its next slot's header before the
 * cursor.  The header is written at claim: a claimed entry is still not
 * handed out before its publish, and a header from the previous lap is
 * not taken for the entry.
 */
TEST_F(seqh, caught_up_poll_hands_out_only_published_entries)
{
	struct byteor_sequenced_slots *p, *s0;
	__u64 first, c;
	int i;

	ASSERT_EQ(0, st_create_topo(self->d.path, "seq", 8, ST_UNICAST));
	p = sh_attach(_metadata, self->d.path, BYTEOR_ROLE_PRODUCER, 0);
	s0 = sh_attach(_metadata, self->d.path, BYTEOR_ROLE_CONSUMER, 0);
	ASSERT_NE(NULL, s0);
	/* A lap first: slot 0 holds the header of entry 0, not 8. */
	sh_publish(_metadata, p, 8);
	ASSERT_EQ(8, byteor_sequenced_slots_stage_wait(s0, 8, &first));
	ASSERT_EQ(8, byteor_sequenced_slots_stage_advance(s0, 8));
	for (i = 0; i < 200; i++)
		ASSERT_EQ(-EAGAIN, byteor_sequenced_slots_stage_wait(s0, 8, &first));

	ASSERT_EQ(0, byteor_sequenced_slots_producer_claim(p, 1, &c));
	ASSERT_EQ(8, c);
	st_fill(byteor_sequenced_slots_entry(p, c), c);
	for (i = 0; i < 200; i++)
		ASSERT_EQ(-EAGAIN, byteor_sequenced_slots_stage_wait(s0, 8, &first));
	ASSERT_EQ(1, byteor_sequenced_slots_producer_publish(p, 1));
	ASSERT_EQ(1, byteor_sequenced_slots_stage_wait(s0, 8, &first));
	EXPECT_EQ(8, first);
	EXPECT_EQ(NULL, st_process(byteor_sequenced_slots_entry(s0, first),
				   8, 0, 0, false));
	byteor_sequenced_slots_detach(s0);
	byteor_sequenced_slots_detach(p);
}

/*
 * ... but the header alone cannot hide a published entry: with the next
 * header scribbled away, one of 64 caught-up polls reads the cursor, finds
 * the entry published and reports the header (-EBADMSG) rather than
 * answering "nothing new" for ever.
 */
TEST_F(seqh, caught_up_poll_finds_an_entry_whose_header_was_scribbled)
{
	struct byteor_sequenced_slots *p, *s0;
	__u64 first, *hdr;
	int i, ret = -EAGAIN;

	ASSERT_EQ(0, st_create_topo(self->d.path, "seq", 8, ST_UNICAST));
	p = sh_attach(_metadata, self->d.path, BYTEOR_ROLE_PRODUCER, 0);
	s0 = sh_attach(_metadata, self->d.path, BYTEOR_ROLE_CONSUMER, 0);
	ASSERT_NE(NULL, s0);
	/* Caught up: from now on the stage looks at the header first. */
	ASSERT_EQ(-EAGAIN, byteor_sequenced_slots_stage_wait(s0, 8, &first));
	sh_publish(_metadata, p, 1);
	hdr = (__u64 *)p->f.ring;
	ASSERT_EQ(0, *hdr);
	*hdr = 99;
	for (i = 0; i < 64 && ret == -EAGAIN; i++)
		ret = byteor_sequenced_slots_stage_wait(s0, 8, &first);
	EXPECT_EQ(-EBADMSG, ret) TH_LOG("after %d polls: %d", i, ret);
	byteor_sequenced_slots_detach(s0);
	byteor_sequenced_slots_detach(p);
}

TEST(every_call_taking_a_handle_refuses_null)
{
	struct byteor_sequenced_slots_snapshot snap;
	__u64 v;

	EXPECT_EQ(-EINVAL, byteor_sequenced_slots_producer_claim(NULL, 1, &v));
	EXPECT_EQ(-EINVAL, byteor_sequenced_slots_producer_claim_timed(NULL, 1, &v, 0));
	EXPECT_EQ(-EINVAL, byteor_sequenced_slots_producer_publish(NULL, 1));
	EXPECT_EQ(NULL, byteor_sequenced_slots_entry(NULL, 0));
	EXPECT_EQ(NULL, byteor_sequenced_slots_entry_ro(NULL, 0));
	EXPECT_EQ(-EINVAL, byteor_sequenced_slots_stage_wait(NULL, 1, &v));
	EXPECT_EQ(-EINVAL, byteor_sequenced_slots_stage_wait_timed(NULL, 1, &v, 0));
	EXPECT_EQ(-EINVAL, byteor_sequenced_slots_stage_advance(NULL, 1));
	EXPECT_EQ(-EINVAL, byteor_sequenced_slots_subscriber_wait(NULL, 1, &v));
	EXPECT_EQ(-EINVAL, byteor_sequenced_slots_subscriber_wait_timed(NULL, 1, &v, 0));
	EXPECT_EQ(-EINVAL, byteor_sequenced_slots_subscriber_advance(NULL, 1));
	EXPECT_EQ(-EINVAL, byteor_cursor_barrier_wait(NULL, 0, &v, 0));
	EXPECT_EQ(-EINVAL, byteor_gating_barrier_wait(NULL, 1, 0, &v, 0));
	EXPECT_EQ(-EINVAL, byteor_sequenced_slots_snapshot(NULL, &snap));
	EXPECT_EQ(0, byteor_sequenced_slots_slot_size(NULL));
	EXPECT_EQ(0, byteor_sequenced_slots_capacity(NULL));
	EXPECT_EQ(0, byteor_sequenced_slots_stages(NULL));
	EXPECT_EQ(-EINVAL, byteor_sequenced_slots_stage_index(NULL));
	byteor_sequenced_slots_detach(NULL);
}

TEST_HARNESS_MAIN
