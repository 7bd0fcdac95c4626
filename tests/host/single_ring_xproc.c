// SPDX-License-Identifier: GPL-2.0-only
/*
 * single_ring_xproc - the single ring between processes: 10 million events
 * each way of using it (copying, batch) validated at the consumer (order,
 * content, lengths; a child exits non-zero at the first violation), dead
 * producers and consumers (SIGKILL mid-stream, between claim and publish),
 * role claims released by SIGKILL, a new producer taking over.
 *
 * BYTEOR_TEST_SCALE scales the event counts (the sanitizer runs set it).
 */
#include "kselftest_harness.h"
#include "host_test.h"
#include "single_ring_test.h"

#define SLOT		64
#define CAP		1024
#define XP_TIMEOUT	20000000000LL	/* a stuck peer fails, never hangs */

FIXTURE(xring) {
	struct ht_dir d;
};

FIXTURE_SETUP(xring)
{
	HT_DIR_SETUP(&self->d, false);
	ASSERT_EQ(0, lt_create_ring(self->d.path, "ring", SLOT, CAP));
}

FIXTURE_TEARDOWN(xring)
{
	ht_dir_teardown(&self->d);
}

static struct byteor_single_ring *xp_attach(const char *dir, int role,
					    long long timeout_ns)
{
	struct byteor_attach_options o = lt_opts(dir, "ring", 0, timeout_ns);
	struct byteor_single_ring *r;
	int ret = byteor_attach_single_ring(&o, role, &r);

	if (ret)
		LT_DIE(2, "attach role %d: %s", role, byteor_strerror(ret));
	return r;
}

/* Producer child: events [from, to) of producer 0, copying or in batches. */
static void xp_produce(const char *dir, int cpu, __u64 from, __u64 to,
		       bool batch)
{
	struct byteor_single_ring *tx;
	struct byteor_slot s[32];
	unsigned char buf[SLOT];
	__u64 seq = from;
	int n, i, ret;

	lt_pin(cpu);
	tx = xp_attach(dir, BYTEOR_ROLE_PRODUCER, XP_TIMEOUT);
	while (seq < to) {
		if (!batch) {
			__u32 len = lt_fill(buf, 0, seq, SLOT);

			ret = byteor_single_ring_send(tx, buf, len);
			if (ret)
				LT_DIE(3, "send %llu: %s", (unsigned long long)seq,
				       byteor_strerror(ret));
			seq++;
			continue;
		}
		n = byteor_single_ring_claim(tx, s, to - seq < 32 ?
					     (unsigned int)(to - seq) : 32);
		if (n < 0)
			LT_DIE(3, "claim %llu: %s", (unsigned long long)seq,
			       byteor_strerror(n));
		for (i = 0; i < n; i++)
			s[i].len = lt_fill(s[i].data, 0, seq++, SLOT);
		byteor_single_ring_publish(tx, s, n);
	}
	byteor_single_ring_detach(tx);
	_exit(0);
}

/*
 * Consumer child: @count events starting at @from, validated; then, if
 * @want_epipe, the next blocking receive must say -EPIPE.  Exits 0, or
 * non-zero at the first violation.
 */
static void xp_consume(const char *dir, int cpu, __u64 from, __u64 count,
		       bool batch, bool want_epipe)
{
	struct byteor_single_ring *rx;
	struct byteor_slot s[32];
	unsigned char buf[SLOT];
	__u64 next = from, end = from + count;
	const char *why;
	int n, i;

	lt_pin(cpu);
	rx = xp_attach(dir, BYTEOR_ROLE_CONSUMER, XP_TIMEOUT);
	while (next < end) {
		if (!batch) {
			n = byteor_single_ring_recv(rx, buf, sizeof(buf));
			if (n < 0)
				LT_DIE(4, "recv at %llu: %s",
				       (unsigned long long)next, byteor_strerror(n));
			why = lt_check(buf, n, SLOT, &next, 1);
			if (why)
				LT_DIE(5, "event %llu: %s", (unsigned long long)next, why);
			continue;
		}
		n = byteor_single_ring_peek(rx, s, 32);
		if (n < 0)
			LT_DIE(4, "peek at %llu: %s", (unsigned long long)next,
			       byteor_strerror(n));
		for (i = 0; i < n; i++) {
			why = lt_check(s[i].data, s[i].len, SLOT, &next, 1);
			if (why)
				LT_DIE(5, "event %llu: %s", (unsigned long long)next, why);
		}
		byteor_single_ring_release(rx, n);
	}
	if (want_epipe) {
		n = byteor_single_ring_recv(rx, buf, sizeof(buf));
		if (n != -EPIPE)
			LT_DIE(6, "after the last event: %d (%s), want -EPIPE", n,
			       n < 0 ? byteor_strerror(n) : "an event");
	}
	byteor_single_ring_detach(rx);
	_exit(0);
}

static void xp_stream(struct __test_metadata *_metadata, const char *dir,
		      bool batch)
{
	__u64 n = lt_scaled(10000000, 100000);
	long long t0 = lt_now_ns(), dt;
	pid_t p, c;

	c = lt_fork();
	ASSERT_LE(0, c);
	if (!c)
		xp_consume(dir, 1, 0, n, batch, false);
	p = lt_fork();
	ASSERT_LE(0, p);
	if (!p)
		xp_produce(dir, 0, 0, n, batch);
	EXPECT_EQ(0, lt_status(p));
	EXPECT_EQ(0, lt_status(c));
	dt = lt_now_ns() - t0;
	TH_LOG("%llu events in %.2f s: %.1f M/s", (unsigned long long)n,
	       dt / 1e9, n * 1e3 / dt);
}

TEST_F_TIMEOUT(xring, ten_million_copied_events_arrive_in_order, 60)
{
	xp_stream(_metadata, self->d.path, false);
}

TEST_F_TIMEOUT(xring, ten_million_batched_events_arrive_in_order, 60)
{
	xp_stream(_metadata, self->d.path, true);
}

/*
 * The producer is SIGKILLed mid-stream (while blocked on a full ring, or
 * publishing): the consumer drains every event it published, in order,
 * then gets -EPIPE.  A new producer then attaches and carries on.
 */
TEST_F(xring, consumer_drains_then_epipe_when_producer_is_killed)
{
	struct byteor_single_ring *rx, *tx;
	unsigned char buf[SLOT];
	__u64 next = 0;
	const char *why = NULL;
	long long t0;
	pid_t p;
	int n;

	rx = xp_attach(self->d.path, BYTEOR_ROLE_CONSUMER, XP_TIMEOUT);
	p = lt_fork();
	ASSERT_LE(0, p);
	if (!p)
		xp_produce(self->d.path, 0, 0, ~0ULL, false);
	/* Take some, then kill the producer while it is running. */
	while (next < 50000) {
		n = byteor_single_ring_recv(rx, buf, sizeof(buf));
		ASSERT_LE(0, n) TH_LOG("recv: %s", byteor_strerror(n));
		why = lt_check(buf, n, SLOT, &next, 1);
		ASSERT_EQ(NULL, why);
	}
	ASSERT_EQ(0, kill(p, SIGKILL));
	EXPECT_EQ(128 + SIGKILL, lt_status(p));
	t0 = lt_now_ns();
	for (;;) {
		n = byteor_single_ring_recv(rx, buf, sizeof(buf));
		if (n < 0)
			break;
		why = lt_check(buf, n, SLOT, &next, 1);
		ASSERT_EQ(NULL, why);
	}
	EXPECT_EQ(-EPIPE, n);
	EXPECT_LT(lt_now_ns() - t0, 2000000000LL);
	EXPECT_EQ(0, byteor_single_ring_peer_alive(rx));
	/* Non-blocking calls stay -EAGAIN. */
	EXPECT_EQ(-EAGAIN, byteor_single_ring_recv_timed(rx, buf, sizeof(buf), 0));
	/* A new producer continues the stream where the dead one stopped. */
	tx = xp_attach(self->d.path, BYTEOR_ROLE_PRODUCER, XP_TIMEOUT);
	n = lt_fill(buf, 0, next, SLOT);
	ASSERT_EQ(0, byteor_single_ring_send(tx, buf, n));
	n = byteor_single_ring_recv(rx, buf, sizeof(buf));
	ASSERT_LT(0, n);
	EXPECT_EQ(NULL, lt_check(buf, n, SLOT, &next, 1));
	byteor_single_ring_detach(tx);
	byteor_single_ring_detach(rx);
}

/* A producer killed between claim and publish: the claim never shows. */
TEST_F(xring, producer_killed_between_claim_and_publish_publishes_nothing)
{
	struct byteor_single_ring *rx, *tx;
	struct byteor_single_ring_snapshot snap;
	struct byteor_slot s[4];
	unsigned char buf[SLOT];
	__u64 next = 0;
	pid_t p;
	int n, i;

	rx = xp_attach(self->d.path, BYTEOR_ROLE_CONSUMER, XP_TIMEOUT);
	p = lt_fork();
	ASSERT_LE(0, p);
	if (!p) {
		tx = xp_attach(self->d.path, BYTEOR_ROLE_PRODUCER, XP_TIMEOUT);
		for (i = 0; i < 10; i++) {
			n = lt_fill(buf, 0, i, SLOT);
			if (byteor_single_ring_send(tx, buf, n))
				_exit(3);
		}
		/* The test hook: claim, write, die before publishing. */
		if (byteor_single_ring_claim(tx, s, 4) != 4)
			_exit(4);
		for (i = 0; i < 4; i++)
			s[i].len = lt_fill(s[i].data, 0, 10 + i, SLOT);
		raise(SIGKILL);
		_exit(5);
	}
	EXPECT_EQ(128 + SIGKILL, lt_status(p));
	for (;;) {
		n = byteor_single_ring_recv(rx, buf, sizeof(buf));
		if (n < 0)
			break;
		ASSERT_EQ(NULL, lt_check(buf, n, SLOT, &next, 1));
	}
	EXPECT_EQ(-EPIPE, n);
	EXPECT_EQ(10, next);
	ASSERT_EQ(0, byteor_single_ring_snapshot(rx, &snap));
	EXPECT_EQ(10, snap.producer_pos);
	EXPECT_EQ(0, snap.occupancy);
	EXPECT_EQ(0, snap.producer_alive);
	byteor_single_ring_detach(rx);
}

/*
 * -EPIPE is for a peer that was there during the handle's life: a consumer
 * attaching after the producer left drains what is left and waits for the
 * next producer (-ETIMEDOUT, not -EPIPE); that one's death is -EPIPE.
 */
TEST_F(xring, consumer_waits_for_the_next_producer_after_the_last_one_left)
{
	struct byteor_single_ring *tx, *rx;
	unsigned char buf[SLOT];
	__u64 next = 0;
	pid_t p;
	int n;

	tx = xp_attach(self->d.path, BYTEOR_ROLE_PRODUCER, XP_TIMEOUT);
	n = lt_fill(buf, 0, 0, SLOT);
	ASSERT_EQ(0, byteor_single_ring_send(tx, buf, n));
	byteor_single_ring_detach(tx);
	rx = xp_attach(self->d.path, BYTEOR_ROLE_CONSUMER, XP_TIMEOUT);
	n = byteor_single_ring_recv(rx, buf, sizeof(buf));
	ASSERT_LT(0, n);
	ASSERT_EQ(NULL, lt_check(buf, n, SLOT, &next, 1));
	/* Longer than a few park slices: no verdict about the old producer. */
	EXPECT_EQ(-ETIMEDOUT, byteor_single_ring_recv_timed(rx, buf, sizeof(buf),
							    100000000));
	p = lt_fork();
	ASSERT_LE(0, p);
	if (!p) {
		tx = xp_attach(self->d.path, BYTEOR_ROLE_PRODUCER, XP_TIMEOUT);
		n = lt_fill(buf, 0, 1, SLOT);
		if (byteor_single_ring_send(tx, buf, n))
			_exit(3);
		/* Die at once: the consumer may never see this one alive. */
		raise(SIGKILL);
	}
	EXPECT_EQ(128 + SIGKILL, lt_status(p));
	n = byteor_single_ring_recv(rx, buf, sizeof(buf));
	ASSERT_LT(0, n);
	ASSERT_EQ(NULL, lt_check(buf, n, SLOT, &next, 1));
	EXPECT_EQ(-EPIPE, byteor_single_ring_recv(rx, buf, sizeof(buf)));
	byteor_single_ring_detach(rx);
}

/* A producer blocked on a full ring gets -EPIPE when the consumer dies. */
TEST_F(xring, producer_blocked_on_full_ring_gets_epipe_when_consumer_dies)
{
	struct byteor_single_ring *tx;
	int sync[2];
	char buf[8] = "x";
	pid_t c;
	int ret, i;

	ASSERT_EQ(0, pipe(sync));
	c = lt_fork();
	ASSERT_LE(0, c);
	if (!c) {
		struct byteor_single_ring *rx;

		rx = xp_attach(self->d.path, BYTEOR_ROLE_CONSUMER, XP_TIMEOUT);
		ht_signal(sync[1]);
		pause();
		byteor_single_ring_detach(rx);
		_exit(0);
	}
	ASSERT_EQ(0, ht_await(sync[0]));
	tx = xp_attach(self->d.path, BYTEOR_ROLE_PRODUCER, XP_TIMEOUT);
	for (i = 0; i < CAP; i++)
		ASSERT_EQ(0, byteor_single_ring_send(tx, buf, 1));
	/* Full: with a live consumer, a bounded wait times out. */
	EXPECT_EQ(-ETIMEDOUT, byteor_single_ring_send_timed(tx, buf, 1, 30000000));
	ASSERT_EQ(0, kill(c, SIGKILL));
	EXPECT_EQ(128 + SIGKILL, lt_status(c));
	ret = byteor_single_ring_send(tx, buf, 1);
	EXPECT_EQ(-EPIPE, ret);
	byteor_single_ring_detach(tx);
}

/* Both role claims go with a SIGKILLed holder. */
TEST_F(xring, role_claims_are_released_by_sigkill)
{
	struct byteor_attach_options o = lt_opts(self->d.path, "ring", 0, 0);
	struct byteor_single_ring *tx, *rx, *obs;
	struct byteor_single_ring_snapshot snap;
	int sync[2];
	pid_t c;

	ASSERT_EQ(0, pipe(sync));
	c = lt_fork();
	ASSERT_LE(0, c);
	if (!c) {
		xp_attach(self->d.path, BYTEOR_ROLE_PRODUCER, 0);
		xp_attach(self->d.path, BYTEOR_ROLE_CONSUMER, 0);
		ht_signal(sync[1]);
		pause();
		_exit(0);
	}
	ASSERT_EQ(0, ht_await(sync[0]));
	obs = xp_attach(self->d.path, BYTEOR_ROLE_OBSERVER, 0);
	ASSERT_EQ(0, byteor_single_ring_snapshot(obs, &snap));
	EXPECT_EQ(1, snap.producer_alive);
	EXPECT_EQ(1, snap.consumer_alive);
	EXPECT_EQ(c, snap.producer_pid);
	EXPECT_EQ(-EBUSY, byteor_attach_single_ring(&o, BYTEOR_ROLE_PRODUCER, &tx));
	EXPECT_EQ(-EBUSY, byteor_attach_single_ring(&o, BYTEOR_ROLE_CONSUMER, &rx));
	ASSERT_EQ(0, kill(c, SIGKILL));
	EXPECT_EQ(128 + SIGKILL, lt_status(c));
	ASSERT_EQ(0, byteor_single_ring_snapshot(obs, &snap));
	EXPECT_EQ(0, snap.producer_alive);
	EXPECT_EQ(0, snap.consumer_alive);
	tx = xp_attach(self->d.path, BYTEOR_ROLE_PRODUCER, 0);
	rx = xp_attach(self->d.path, BYTEOR_ROLE_CONSUMER, 0);
	ASSERT_EQ(0, byteor_single_ring_snapshot(obs, &snap));
	EXPECT_EQ(2, snap.producer_attaches);
	EXPECT_EQ(2, snap.consumer_attaches);
	EXPECT_EQ(getpid(), snap.consumer_pid);
	byteor_single_ring_detach(tx);
	byteor_single_ring_detach(rx);
	byteor_single_ring_detach(obs);
}

TEST_HARNESS_MAIN
