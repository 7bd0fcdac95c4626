// SPDX-License-Identifier: GPL-2.0-only
/*
 * fanout_hostile - the fanout lane against a scribbling peer, one scribble
 * at a time, and careless callers: a snapshot of a scribbled mode word,
 * and recovery once a scribble stops - each role re-asserts the shared
 * words it owns (R, the member mask and T_i by the router within
 * BYTEOR_FANOUT_LIVENESS_MS of a route call, H_i by the consumer when it
 * finds nothing, P by the producer when it recomputes its gate) - and
 * every call taking a handle refuses NULL.  The scribbles go straight to
 * the shared words through the private layout (fanout_pvt.h).
 */
#include "kselftest_harness.h"
#include "host_test.h"
#include "single_ring_test.h"
#include "fanout_pvt.h"

#define NAME	"fan"
#define CAP	8U

FIXTURE(fh) {
	struct ht_dir d;
	struct byteor_fanout *tx, *rt, *rx;
};

FIXTURE_SETUP(fh)
{
	struct byteor_geometry g = ht_geom(64, CAP, 1, 1);
	struct byteor_fanout_router_options ro = { .mode = BYTEOR_FANOUT_BROADCAST };
	struct byteor_attach_options o;

	HT_DIR_SETUP(&self->d, false);
	o = lt_opts(self->d.path, NAME, 0, 0);
	ASSERT_EQ(0, ht_create(self->d.path, NAME, BYTEOR_KIND_FANOUT, &g));
	ASSERT_EQ(0, byteor_attach_fanout_tx(&o, &self->tx));
	ASSERT_EQ(0, byteor_attach_fanout_router(&o, &ro, &self->rt));
	ASSERT_EQ(0, byteor_attach_fanout_rx(&o, &self->rx));
	EXPECT_EQ(-EAGAIN, byteor_fanout_route(self->rt, 16));
	ASSERT_EQ(1, byteor_fanout_joined(self->rx));
}

FIXTURE_TEARDOWN(fh)
{
	byteor_fanout_detach(self->rx);
	byteor_fanout_detach(self->rt);
	byteor_fanout_detach(self->tx);
	ht_dir_teardown(&self->d);
}

/* Send, route and receive one message, retrying each step a little. */
static int fh_roundtrip(FIXTURE_DATA(fh) *self, __u64 v)
{
	__u64 got = 0;
	int i, ret = -EAGAIN;

	for (i = 0; i < 8 && ret; i++) {
		ret = byteor_fanout_send(self->tx, &v, sizeof(v), v);
		if (ret) {
			byteor_fanout_route(self->rt, 16);
			byteor_fanout_recv(self->rx, &got, sizeof(got), NULL);
			usleep(2000 * BYTEOR_FANOUT_LIVENESS_MS);
		}
	}
	if (ret)
		return ret;
	for (i = 0; i < 8; i++) {
		byteor_fanout_route(self->rt, 16);
		ret = byteor_fanout_recv(self->rx, &got, sizeof(got), NULL);
		if (ret == (int)sizeof(got) && got == v)
			return 0;
	}
	return ret < 0 ? ret : -EPROTO;
}

TEST_F(fh, snapshot_of_a_scribbled_mode_word_is_no_mode_and_corrupt)
{
	struct byteor_fanout_snapshot s;

	atomic_store(&self->tx->rc->mode, 0x80000000U);
	ASSERT_EQ(0, byteor_fanout_snapshot(self->tx, &s));
	EXPECT_EQ(-1, s.mode);
	EXPECT_TRUE(s.flags & BYTEOR_FANOUT_SNAP_F_CORRUPT);
	atomic_store(&self->tx->rc->mode, 0xffffffffU);
	ASSERT_EQ(0, byteor_fanout_snapshot(self->tx, &s));
	EXPECT_EQ(-1, s.mode);
	atomic_store(&self->tx->rc->mode, 1U + BYTEOR_FANOUT_BY_KEY);
	ASSERT_EQ(0, byteor_fanout_snapshot(self->tx, &s));
	EXPECT_EQ(BYTEOR_FANOUT_BY_KEY, s.mode);
}

/* R scribbled ahead while the producer must recompute its gate: it
 * refuses (-EBADMSG) until the router, with nothing to route, re-asserts
 * R; then the lane carries messages again. */
TEST_F(fh, lane_recovers_after_a_scribbled_router_position)
{
	unsigned int i;

	for (i = 0; i < CAP; i++)
		ASSERT_EQ(0, fh_roundtrip(self, 1 + i));
	atomic_store(&self->tx->rc->side.pos, 1ULL << 40);
	EXPECT_EQ(-EBADMSG, byteor_fanout_send(self->tx, "x", 1, 0));
	EXPECT_EQ(0, fh_roundtrip(self, 100));
	EXPECT_EQ(0, fh_roundtrip(self, 101));
}

/* H_i scribbled a ring back while the consumer is idle: the producer sees
 * a full ring; the consumer's next look re-asserts H_i. */
TEST_F(fh, lane_recovers_after_a_scribbled_consumer_head)
{
	struct __byteor_fo_cons *c = __byteor_fo_cons(self->tx, 0);
	unsigned int i;

	for (i = 0; i < CAP; i++)
		ASSERT_EQ(0, fh_roundtrip(self, 10 + i));
	atomic_store(&c->side.pos, atomic_load(&c->tail) - CAP);
	EXPECT_EQ(0, fh_roundtrip(self, 100));
	EXPECT_EQ(0, fh_roundtrip(self, 101));
}

/* The member mask scribbled to nobody: the router re-asserts it, and the
 * producer is gated by the consumer's held message again. */
TEST_F(fh, lane_recovers_after_a_scribbled_member_mask)
{
	struct byteor_fanout_msg m;
	unsigned int i;
	int sent = 0;

	ASSERT_EQ(0, fh_roundtrip(self, 1));
	ASSERT_EQ(0, byteor_fanout_send(self->tx, "held", 4, 0));
	ASSERT_EQ(1, byteor_fanout_route(self->rt, 16));
	ASSERT_EQ(1, byteor_fanout_peek(self->rx, &m, 1));	/* held */
	atomic_store(&self->tx->rc->members, 0);
	usleep(2000 * BYTEOR_FANOUT_LIVENESS_MS);
	byteor_fanout_route(self->rt, 16);
	for (i = 0; i < 2 * CAP; i++)
		if (!byteor_fanout_send(self->tx, "y", 1, 0))
			sent++;
	EXPECT_EQ(CAP - 1, sent) TH_LOG("the held slot was reused");
	EXPECT_EQ(0, memcmp(m.data, "held", 4));
	EXPECT_EQ(1, byteor_fanout_release(self->rx, 1));
}

TEST(every_call_taking_a_handle_refuses_null)
{
	struct byteor_fanout_snapshot snap;
	struct byteor_fanout_slot sl = { 0 };
	struct byteor_fanout_msg m;
	char buf[8] = { 0 };

	EXPECT_EQ(-EINVAL, byteor_fanout_claim(NULL, &sl, 1));
	EXPECT_EQ(-EINVAL, byteor_fanout_claim_timed(NULL, &sl, 1, 0));
	EXPECT_EQ(-EINVAL, byteor_fanout_publish(NULL, &sl, 1));
	EXPECT_EQ(-EINVAL, byteor_fanout_send(NULL, buf, 1, 0));
	EXPECT_EQ(-EINVAL, byteor_fanout_send_timed(NULL, buf, 1, 0, 0));
	EXPECT_EQ(-EINVAL, byteor_fanout_route(NULL, 1));
	EXPECT_EQ(-EINVAL, byteor_fanout_route_timed(NULL, 1, 0));
	EXPECT_EQ(-EINVAL, byteor_fanout_peek(NULL, &m, 1));
	EXPECT_EQ(-EINVAL, byteor_fanout_peek_timed(NULL, &m, 1, 0));
	EXPECT_EQ(-EINVAL, byteor_fanout_release(NULL, 1));
	EXPECT_EQ(-EINVAL, byteor_fanout_recv(NULL, buf, sizeof(buf), &m));
	EXPECT_EQ(-EINVAL, byteor_fanout_recv_timed(NULL, buf, sizeof(buf), &m, 0));
	EXPECT_EQ(-EINVAL, byteor_fanout_joined(NULL));
	EXPECT_EQ(-EINVAL, byteor_fanout_snapshot(NULL, &snap));
	EXPECT_EQ(0, byteor_fanout_slot_size(NULL));
	EXPECT_EQ(0, byteor_fanout_capacity(NULL));
	EXPECT_EQ(0, byteor_fanout_consumers(NULL));
	byteor_fanout_detach(NULL);
}

TEST_HARNESS_MAIN
