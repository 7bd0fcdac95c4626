// SPDX-License-Identifier: MIT
/*
 * lane_null_handles - the single ring's and the events chain's accessors
 * and out-of-line calls given a NULL handle: a clear 0 or -EINVAL, never a
 * crash (the journal, sequenced slots and fanout have theirs in their
 * *_hostile tests).  Only the inline data-path calls (claim, publish,
 * peek, release and their span forms), whose fast path stays free of a
 * check, take a handle from attach as given: their headers say so.
 */
#include <errno.h>
#include "kselftest_harness.h"
#include <byteor.h>

TEST(single_ring_calls_refuse_a_null_handle)
{
	struct byteor_single_ring_snapshot snap;
	struct byteor_slot s[1];
	char buf[8] = { 0 };

	EXPECT_EQ(-EINVAL, byteor_single_ring_claim_timed(NULL, s, 1, 0));
	EXPECT_EQ(-EINVAL, byteor_single_ring_peek_timed(NULL, s, 1, 0));
	EXPECT_EQ(-EINVAL, byteor_single_ring_send(NULL, buf, 1));
	EXPECT_EQ(-EINVAL, byteor_single_ring_send_timed(NULL, buf, 1, 0));
	EXPECT_EQ(-EINVAL, byteor_single_ring_recv(NULL, buf, sizeof(buf)));
	EXPECT_EQ(-EINVAL, byteor_single_ring_recv_timed(NULL, buf, sizeof(buf), 0));
	EXPECT_EQ(-EINVAL, byteor_single_ring_snapshot(NULL, &snap));
	EXPECT_EQ(-EINVAL, byteor_single_ring_peer_alive(NULL));
	EXPECT_EQ(0, byteor_single_ring_slot_size(NULL));
	EXPECT_EQ(0, byteor_single_ring_capacity(NULL));
	byteor_single_ring_detach(NULL);
}

TEST(events_calls_refuse_a_null_handle)
{
	struct byteor_events_snapshot snap;
	struct byteor_slot s[1];
	char buf[8] = { 0 };

	EXPECT_EQ(-EINVAL, byteor_events_claim_timed(NULL, s, 1, 0));
	EXPECT_EQ(-EINVAL, byteor_events_peek_timed(NULL, s, 1, 0));
	EXPECT_EQ(-EINVAL, byteor_events_send(NULL, buf, 1));
	EXPECT_EQ(-EINVAL, byteor_events_send_timed(NULL, buf, 1, 0));
	EXPECT_EQ(-EINVAL, byteor_events_recv(NULL, buf, sizeof(buf)));
	EXPECT_EQ(-EINVAL, byteor_events_recv_timed(NULL, buf, sizeof(buf), 0));
	EXPECT_EQ(-EINVAL, byteor_events_snapshot(NULL, 0, &snap));
	EXPECT_EQ(-EINVAL, byteor_events_peer_alive(NULL));
	EXPECT_EQ(0, byteor_events_skipped(NULL));
	EXPECT_EQ(0, byteor_events_queues(NULL));
	EXPECT_EQ(0, byteor_events_slot_size(NULL));
	EXPECT_EQ(0, byteor_events_capacity(NULL));
	EXPECT_EQ(0, byteor_events_queue(NULL));
	EXPECT_EQ(0, byteor_events_producer_index(NULL));
	byteor_events_detach(NULL);
}

TEST_HARNESS_MAIN
