// SPDX-License-Identifier: GPL-2.0-only
/*
 * single_ring_span - batches as spans (byteor_single_ring_claim_span /
 * _peek_span): a span stops at the ring's end, carries full-size messages
 * out and their lengths in; full, empty, wrong role and zero requests
 * answer as the descriptor calls do; a corrupt length ends a span before
 * it (first slot: -EBADMSG); a consumer blocked in a span peek wakes for
 * the producer; ten million events between two processes through spans,
 * in order and whole.  Each test runs on a ring with slot headers and on a
 * fixed-size one (BYTEOR_GEOM_F_FIXED).
 */
#include "kselftest_harness.h"
#include "host_test.h"
#include "single_ring_test.h"

#include <pthread.h>

#define SLOT		64
#define CAP		8
#define SP_TIMEOUT	20000000000LL

FIXTURE(span) {
	struct ht_dir d;
};

FIXTURE_VARIANT(span) {
	__u32 flags;
};

FIXTURE_VARIANT_ADD(span, headers) {
	.flags = 0,
};

FIXTURE_VARIANT_ADD(span, fixed) {
	.flags = BYTEOR_GEOM_F_FIXED,
};

FIXTURE_SETUP(span)
{
	HT_DIR_SETUP(&self->d, false);
}

FIXTURE_TEARDOWN(span)
{
	ht_dir_teardown(&self->d);
}

static int sp_create(const char *dir, __u32 cap, __u32 flags)
{
	struct byteor_geometry g = ht_geom(SLOT, cap, 1, 1);

	g.flags = flags;
	return ht_create(dir, "sp", BYTEOR_KIND_SINGLE_RING, &g);
}

static int sp_attach(const char *dir, int role, long long timeout_ns,
		     struct byteor_single_ring **r)
{
	struct byteor_attach_options o = lt_opts(dir, "sp", 0, timeout_ns);

	return byteor_attach_single_ring(&o, role, r);
}

/* Event @seq's payload: every u64 word is seq * 8 + its index. */
static void sp_fill(void *p, __u64 seq)
{
	__u64 w[SLOT / 8];
	unsigned int j;

	for (j = 0; j < SLOT / 8; j++)
		w[j] = seq * 8 + j;
	memcpy(p, w, SLOT);
}

static bool sp_ok(const void *p, __u64 seq)
{
	__u64 w[SLOT / 8];
	unsigned int j;

	memcpy(w, p, SLOT);
	for (j = 0; j < SLOT / 8; j++)
		if (w[j] != seq * 8 + j)
			return false;
	return true;
}

TEST_F(span, a_span_stops_at_the_ring_end_and_carries_full_messages)
{
	struct byteor_single_ring *tx, *rx;
	struct byteor_span sp, rp;
	__u64 seq = 0, next = 0;
	unsigned int i, round;
	int k;

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, sp_create(self->d.path, CAP, variant->flags));
	ASSERT_EQ(0, sp_attach(self->d.path, BYTEOR_ROLE_PRODUCER, 0, &tx));
	ASSERT_EQ(0, sp_attach(self->d.path, BYTEOR_ROLE_CONSUMER, 0, &rx));

	/* 5, then 3 up to the end of the 8-slot ring, then 5 from its start. */
	for (round = 0; round < 3; round++) {
		static const int want[3] = { 5, 3, 5 };

		k = byteor_single_ring_claim_span(tx, &sp, round == 0 ? 5 : 8);
		ASSERT_EQ(want[round], k);
		EXPECT_EQ((__u32)k, sp.count);
		EXPECT_EQ(SLOT + (variant->flags ? 0U : BYTEOR_SLOT_HEADER),
			  sp.stride);
		for (i = 0; i < (unsigned int)k; i++)
			sp_fill(byteor_span_at(&sp, i), seq++);
		ASSERT_EQ(k, byteor_single_ring_publish(tx, NULL, (unsigned int)k));
		if (round == 1)
			continue;	/* the consumer reads 5 + 3 at once */
		while (next < seq) {
			k = byteor_single_ring_peek_span(rx, &rp, 8);
			ASSERT_LT(0, k);
			for (i = 0; i < (unsigned int)k; i++, next++) {
				EXPECT_EQ((__u32)SLOT, byteor_span_len(&rp, i));
				EXPECT_TRUE(sp_ok(byteor_span_at(&rp, i), next));
			}
			ASSERT_EQ(k, byteor_single_ring_release(rx, (unsigned int)k));
		}
	}
	EXPECT_EQ(13ULL, next);
	byteor_single_ring_detach(tx);
	byteor_single_ring_detach(rx);
}

TEST_F(span, full_empty_roles_and_zero_answer_as_descriptor_calls_do)
{
	struct byteor_single_ring *tx, *rx;
	struct byteor_span sp;

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, sp_create(self->d.path, CAP, variant->flags));
	ASSERT_EQ(0, sp_attach(self->d.path, BYTEOR_ROLE_PRODUCER, 0, &tx));
	ASSERT_EQ(0, sp_attach(self->d.path, BYTEOR_ROLE_CONSUMER, 0, &rx));
	EXPECT_EQ(-EAGAIN, byteor_single_ring_peek_span(rx, &sp, 4));
	EXPECT_EQ(-EBADF, byteor_single_ring_claim_span(rx, &sp, 4));
	EXPECT_EQ(-EBADF, byteor_single_ring_peek_span(tx, &sp, 4));
	EXPECT_EQ(0, byteor_single_ring_claim_span(tx, &sp, 0));
	EXPECT_EQ(0, byteor_single_ring_peek_span(rx, &sp, 0));
	ASSERT_EQ(CAP, byteor_single_ring_claim_span(tx, &sp, 100000));
	/* One claim at a time, as for descriptors. */
	EXPECT_EQ(-EBUSY, byteor_single_ring_claim_span(tx, &sp, 1));
	ASSERT_EQ(CAP, byteor_single_ring_publish(tx, NULL, CAP));
	EXPECT_EQ(-EAGAIN, byteor_single_ring_claim_span(tx, &sp, 1));
	ASSERT_EQ(CAP, byteor_single_ring_peek_span(rx, &sp, 100000));
	ASSERT_EQ(CAP, byteor_single_ring_release(rx, CAP));
	byteor_single_ring_detach(tx);
	byteor_single_ring_detach(rx);
}

TEST_F(span, lengths_come_in_and_a_corrupt_one_ends_the_span)
{
	struct byteor_single_ring *tx, *rx;
	struct byteor_slot s[4];
	struct byteor_span sp;
	unsigned int i;

	HT_SETUP_SKIPPED();
	if (variant->flags)
		SKIP(return, "a fixed-size ring has no lengths to corrupt");
	ASSERT_EQ(0, sp_create(self->d.path, CAP, variant->flags));
	ASSERT_EQ(0, sp_attach(self->d.path, BYTEOR_ROLE_PRODUCER, 0, &tx));
	ASSERT_EQ(0, sp_attach(self->d.path, BYTEOR_ROLE_CONSUMER, 0, &rx));
	ASSERT_EQ(4, byteor_single_ring_claim(tx, s, 4));
	for (i = 0; i < 4; i++)
		s[i].len = 8 * (i + 1);
	ASSERT_EQ(4, byteor_single_ring_publish(tx, s, 4));
	/* A peer scribbles on slot 2's length. */
	*(__u32 *)((unsigned char *)s[2].data - BYTEOR_SLOT_HEADER) = SLOT + 1;

	ASSERT_EQ(2, byteor_single_ring_peek_span(rx, &sp, 4));
	EXPECT_EQ(8U, byteor_span_len(&sp, 0));
	EXPECT_EQ(16U, byteor_span_len(&sp, 1));
	ASSERT_EQ(2, byteor_single_ring_release(rx, 2));
	EXPECT_EQ(-EBADMSG, byteor_single_ring_peek_span(rx, &sp, 4));
	ASSERT_EQ(1, byteor_single_ring_release(rx, 1));	/* drop it */
	ASSERT_EQ(1, byteor_single_ring_peek_span(rx, &sp, 4));
	EXPECT_EQ(32U, byteor_span_len(&sp, 0));
	ASSERT_EQ(1, byteor_single_ring_release(rx, 1));
	byteor_single_ring_detach(tx);
	byteor_single_ring_detach(rx);
}

struct sp_late {
	const char *dir;
	int ret;
};

/* Publishes one span of 3 after 50 ms. */
static void *sp_late_producer(void *arg)
{
	struct sp_late *a = arg;
	struct byteor_single_ring *tx;
	struct byteor_span sp;
	unsigned int i;

	a->ret = sp_attach(a->dir, BYTEOR_ROLE_PRODUCER, SP_TIMEOUT, &tx);
	if (a->ret)
		return NULL;
	usleep(50000);
	a->ret = byteor_single_ring_claim_span(tx, &sp, 3);
	if (a->ret == 3) {
		for (i = 0; i < 3; i++)
			sp_fill(byteor_span_at(&sp, i), i);
		a->ret = byteor_single_ring_publish(tx, NULL, 3) == 3 ? 0 : -EIO;
	}
	byteor_single_ring_detach(tx);
	return NULL;
}

TEST_F(span, a_consumer_blocked_in_a_span_peek_wakes_for_the_producer)
{
	struct sp_late a = { .dir = self->d.path };
	struct byteor_single_ring *rx;
	struct byteor_span sp;
	pthread_t th;
	int k;

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, sp_create(self->d.path, CAP, variant->flags));
	ASSERT_EQ(0, sp_attach(self->d.path, BYTEOR_ROLE_CONSUMER, SP_TIMEOUT, &rx));
	ASSERT_EQ(0, pthread_create(&th, NULL, sp_late_producer, &a));
	k = byteor_single_ring_peek_span(rx, &sp, 8);
	pthread_join(th, NULL);
	EXPECT_EQ(0, a.ret);
	/* The wait ends at the first publish: 1..3 of the 3 are seen. */
	ASSERT_LT(0, k);
	EXPECT_TRUE(sp_ok(byteor_span_at(&sp, 0), 0));
	byteor_single_ring_detach(rx);
}

static void sp_produce(const char *dir, __u64 n)
{
	struct byteor_single_ring *tx;
	struct byteor_span sp;
	__u64 seq = 0;
	int k, i;

	lt_pin(0);
	if (sp_attach(dir, BYTEOR_ROLE_PRODUCER, SP_TIMEOUT, &tx))
		LT_DIE(2, "attach producer");
	while (seq < n) {
		k = byteor_single_ring_claim_span(tx, &sp, (unsigned int)(seq % 32) + 1);
		if (k < 1)
			LT_DIE(3, "claim_span %llu: %s", (unsigned long long)seq,
			       byteor_strerror(k));
		if ((__u64)k > n - seq)
			k = (int)(n - seq);
		for (i = 0; i < k; i++)
			sp_fill(byteor_span_at(&sp, (unsigned int)i), seq++);
		byteor_single_ring_publish(tx, NULL, (unsigned int)k);
	}
	byteor_single_ring_detach(tx);
	_exit(0);
}

static void sp_consume(const char *dir, __u64 n)
{
	struct byteor_single_ring *rx;
	struct byteor_span sp;
	__u64 next = 0;
	int k, i;

	lt_pin(1);
	if (sp_attach(dir, BYTEOR_ROLE_CONSUMER, SP_TIMEOUT, &rx))
		LT_DIE(2, "attach consumer");
	while (next < n) {
		k = byteor_single_ring_peek_span(rx, &sp, 32);
		if (k < 1)
			LT_DIE(4, "peek_span at %llu: %s", (unsigned long long)next,
			       byteor_strerror(k));
		for (i = 0; i < k; i++, next++)
			if (byteor_span_len(&sp, (unsigned int)i) != SLOT ||
			    !sp_ok(byteor_span_at(&sp, (unsigned int)i), next))
				LT_DIE(5, "event %llu bad", (unsigned long long)next);
		byteor_single_ring_release(rx, (unsigned int)k);
	}
	byteor_single_ring_detach(rx);
	_exit(0);
}

TEST_F_TIMEOUT(span, ten_million_events_through_spans_between_processes, 60)
{
	__u64 n = lt_scaled(10000000, 100000);
	long long t0, dt;
	pid_t p, c;

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, sp_create(self->d.path, 1024, variant->flags));
	t0 = lt_now_ns();
	c = lt_fork();
	ASSERT_LE(0, c);
	if (!c)
		sp_consume(self->d.path, n);
	p = lt_fork();
	ASSERT_LE(0, p);
	if (!p)
		sp_produce(self->d.path, n);
	EXPECT_EQ(0, lt_status(p));
	EXPECT_EQ(0, lt_status(c));
	dt = lt_now_ns() - t0;
	TH_LOG("%llu events in %.2f s: %.1f M/s", (unsigned long long)n,
	       dt / 1e9, n * 1e3 / dt);
}

TEST_HARNESS_MAIN
