// SPDX-License-Identifier: GPL-2.0-only
/*
 * events_xproc - events chain queues between processes: an SPSC queue and
 * MPSC queues with 2, 3 and 4 producer processes, 10 million events per
 * test, validated at the consumer (no loss, no duplicate, per-producer
 * order, content; exit non-zero at the first violation); producers
 * SIGKILLed mid-stream and between claim and publish while the others go
 * on (orphans skipped and counted, everything else delivered); -EPIPE when
 * every producer is gone, and for producers when the consumer dies.
 *
 * BYTEOR_TEST_SCALE scales the event counts (the sanitizer runs set it).
 */
#include "kselftest_harness.h"
#include "host_test.h"
#include "single_ring_test.h"

#include <sys/mman.h>

#define SLOT		64
#define CAP		4096
#define NPROD		4
#define XP_TIMEOUT	20000000000LL

FIXTURE(xev) {
	struct ht_dir d;
};

FIXTURE_SETUP(xev)
{
	HT_DIR_SETUP(&self->d, false);
	/* Queue 0 SPSC, queue 1 MPSC with NPROD producer slots. */
	ASSERT_EQ(0, lt_create_events(self->d.path, "ev", SLOT, CAP, 2, NPROD,
				      1 << 1));
}

FIXTURE_TEARDOWN(xev)
{
	ht_dir_teardown(&self->d);
}

static struct byteor_events *xe_attach(const char *dir, unsigned int q,
				       int (*fn)(const struct byteor_attach_options *,
						 struct byteor_events **),
				       long long timeout_ns)
{
	struct byteor_attach_options o = lt_opts(dir, "ev", q, timeout_ns);
	struct byteor_events *e;
	int ret = fn(&o, &e);

	if (ret)
		LT_DIE(2, "attach queue %u: %s", q, byteor_strerror(ret));
	return e;
}

/*
 * Producer child @id: @count events on queue @q; odd ids in batches of up
 * to 16, even ids copying.  @kill_at: after that many events, claim one
 * more batch and die with it unpublished (~0: never).
 */
static void xe_produce(const char *dir, unsigned int q, __u32 id, __u64 count,
		       __u64 kill_at, int cpu)
{
	struct byteor_events *tx;
	struct byteor_slot s[16];
	unsigned char buf[SLOT];
	__u64 seq = 0;
	int n, i, ret;

	lt_pin(cpu);
	tx = xe_attach(dir, q, q ? byteor_attach_events_mpsc_tx :
				   byteor_attach_events_tx, XP_TIMEOUT);
	while (seq < count) {
		if (seq == kill_at) {
			/* The test hook: claim, write, die before publishing. */
			n = byteor_events_claim(tx, s, 3);
			if (n < 1)
				LT_DIE(7, "claim before kill: %d", n);
			for (i = 0; i < n; i++)
				lt_fill(s[i].data, id, seq + i, SLOT);
			raise(SIGKILL);
		}
		if (!(id & 1)) {
			__u32 len = lt_fill(buf, id, seq, SLOT);

			ret = byteor_events_send(tx, buf, len);
			if (ret)
				LT_DIE(3, "producer %u send %llu: %s", id,
				       (unsigned long long)seq, byteor_strerror(ret));
			seq++;
			continue;
		}
		n = count - seq < 16 ? (int)(count - seq) : 16;
		if (kill_at > seq && kill_at - seq < (__u64)n)
			n = (int)(kill_at - seq);
		n = byteor_events_claim(tx, s, n);
		if (n < 0)
			LT_DIE(3, "producer %u claim %llu: %s", id,
			       (unsigned long long)seq, byteor_strerror(n));
		for (i = 0; i < n; i++)
			s[i].len = lt_fill(s[i].data, id, seq++, SLOT);
		byteor_events_publish(tx, s, n);
	}
	byteor_events_detach(tx);
	_exit(0);
}

/*
 * What a consumer child reports to the test through shared memory: the
 * events received per producer, and the orphans it skipped.
 */
struct xe_result {
	__u64 next[NPROD];
	__u64 skipped;
	__u64 total;
	int last_error;
};

/*
 * Consumer child: receive until every producer is gone (-EPIPE), checking
 * each event; exits non-zero at the first violation.
 */
static void xe_consume(const char *dir, unsigned int q, __u32 nprod,
		       struct xe_result *res, int cpu)
{
	struct byteor_events *rx;
	struct byteor_slot s[32];
	const char *why;
	int n, i;

	lt_pin(cpu);
	rx = xe_attach(dir, q, q ? byteor_attach_events_mpsc_rx :
				   byteor_attach_events_rx, XP_TIMEOUT);
	for (;;) {
		n = byteor_events_peek(rx, s, 32);
		if (n < 0) {
			res->last_error = n;
			break;
		}
		for (i = 0; i < n; i++) {
			why = lt_check(s[i].data, s[i].len, SLOT, res->next, nprod);
			if (why)
				LT_DIE(5, "event %llu: %s",
				       (unsigned long long)res->total, why);
			res->total++;
		}
		byteor_events_release(rx, n);
	}
	res->skipped = byteor_events_skipped(rx);
	byteor_events_detach(rx);
	_exit(n == -EPIPE ? 0 : 6);
}

static struct xe_result *xe_result_map(void)
{
	void *p = mmap(NULL, sizeof(struct xe_result), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memset(p, 0, sizeof(struct xe_result));
	return p;
}

/*
 * @nprod producers (ids 0..nprod-1) of @per events each on queue @q, one
 * consumer; producer @victim (or none: -1) dies after @kill_at events with
 * a claim unpublished.
 */
static void xe_run(struct __test_metadata *_metadata, const char *dir,
		   unsigned int q, __u32 nprod, __u64 per, int victim,
		   __u64 kill_at)
{
	struct xe_result *res = xe_result_map();
	long long t0 = lt_now_ns(), dt;
	pid_t c, p[NPROD];
	__u32 i;

	ASSERT_NE(NULL, res);
	c = lt_fork();
	ASSERT_LE(0, c);
	if (!c)
		xe_consume(dir, q, nprod, res, 0);
	for (i = 0; i < nprod; i++) {
		p[i] = lt_fork();
		ASSERT_LE(0, p[i]);
		if (!p[i])
			xe_produce(dir, q, i, per, (int)i == victim ? kill_at : ~0ULL,
				   1 + i);
	}
	for (i = 0; i < nprod; i++)
		EXPECT_EQ((int)i == victim ? 128 + SIGKILL : 0, lt_status(p[i]));
	EXPECT_EQ(0, lt_status(c)) TH_LOG("consumer: %s",
					  byteor_strerror(res->last_error));
	dt = lt_now_ns() - t0;
	for (i = 0; i < nprod; i++)
		EXPECT_EQ((int)i == victim ? kill_at : per, res->next[i])
			TH_LOG("producer %u", i);
	if (victim >= 0 && q) {
		/* The dead claim: up to 3 positions, all skipped. */
		EXPECT_LE(1, res->skipped);
		EXPECT_GE(3, res->skipped);
	} else {
		EXPECT_EQ(0, res->skipped);
	}
	TH_LOG("%u producer(s): %llu events in %.2f s: %.2f M/s, %llu skipped",
	       nprod, (unsigned long long)res->total, dt / 1e9,
	       res->total * 1e3 / dt, (unsigned long long)res->skipped);
	munmap(res, sizeof(*res));
}

TEST_F_TIMEOUT(xev, spsc_queue_ten_million_events, 60)
{
	xe_run(_metadata, self->d.path, 0, 1, lt_scaled(10000000, 100000), -1, 0);
}

TEST_F_TIMEOUT(xev, mpsc_two_producers_ten_million_events, 60)
{
	xe_run(_metadata, self->d.path, 1, 2, lt_scaled(5000000, 50000), -1, 0);
}

TEST_F_TIMEOUT(xev, mpsc_three_producers_ten_million_events, 60)
{
	xe_run(_metadata, self->d.path, 1, 3, lt_scaled(3333334, 33334), -1, 0);
}

TEST_F_TIMEOUT(xev, mpsc_four_producers_ten_million_events, 60)
{
	xe_run(_metadata, self->d.path, 1, 4, lt_scaled(2500000, 25000), -1, 0);
}

/* A batch producer dies holding 3 claimed positions; the others go on. */
TEST_F_TIMEOUT(xev, mpsc_producer_killed_between_claim_and_publish, 60)
{
	__u64 per = lt_scaled(500000, 20000);

	xe_run(_metadata, self->d.path, 1, 3, per, 1, per / 3);
}

/* A copying producer dies holding 1 claimed position. */
TEST_F_TIMEOUT(xev, mpsc_copying_producer_killed_between_claim_and_publish, 60)
{
	__u64 per = lt_scaled(500000, 20000);

	xe_run(_metadata, self->d.path, 1, 4, per, 2, per / 2);
}

/* SPSC queue: the dead producer's claim never shows, the rest drains. */
TEST_F_TIMEOUT(xev, spsc_producer_killed_between_claim_and_publish, 60)
{
	__u64 per = lt_scaled(500000, 20000);

	xe_run(_metadata, self->d.path, 0, 1, per, 0, per / 2);
}

/*
 * A producer SIGKILLed from outside at a random moment, mid-stream: every
 * event it published arrives, in order; a claim it held (if any) is
 * skipped; the other producer's events all arrive.
 */
TEST_F_TIMEOUT(xev, mpsc_producer_sigkilled_mid_stream, 60)
{
	struct byteor_events *rx, *obs;
	struct byteor_events_snapshot snap;
	struct byteor_slot s[32];
	__u64 per = lt_scaled(2000000, 50000), next[2] = { 0 }, got = 0;
	pid_t p0, p1;
	int n, i;

	rx = xe_attach(self->d.path, 1, byteor_attach_events_mpsc_rx, XP_TIMEOUT);
	p0 = lt_fork();
	ASSERT_LE(0, p0);
	if (!p0)
		xe_produce(self->d.path, 1, 0, ~0ULL >> 1, ~0ULL, 0);
	p1 = lt_fork();
	ASSERT_LE(0, p1);
	if (!p1)
		xe_produce(self->d.path, 1, 1, per, ~0ULL, 1);
	for (;;) {
		n = byteor_events_peek(rx, s, 32);
		if (n < 0)
			break;
		for (i = 0; i < n; i++) {
			const char *why = lt_check(s[i].data, s[i].len, SLOT, next, 2);

			ASSERT_EQ(NULL, why) TH_LOG("after %llu: %s",
						    (unsigned long long)got, why);
			got++;
		}
		byteor_events_release(rx, n);
		/* Kill the victim once it is well under way. */
		if (got >= per / 2 && next[0] >= 1000 && p0 > 0) {
			kill(p0, SIGKILL);
			EXPECT_EQ(128 + SIGKILL, lt_status(p0));
			p0 = 0;
		}
	}
	EXPECT_EQ(-EPIPE, n);
	EXPECT_EQ(0, lt_status(p1));
	EXPECT_EQ(per, next[1]);
	EXPECT_LT(0, next[0]);
	obs = xe_attach(self->d.path, 0, byteor_attach_events_observer, 0);
	ASSERT_EQ(0, byteor_events_snapshot(obs, 1, &snap));
	EXPECT_EQ(byteor_events_skipped(rx), snap.skipped);
	EXPECT_LE(snap.skipped, 16);
	EXPECT_EQ(0, snap.producers_alive);
	EXPECT_EQ(next[0] + next[1] + snap.skipped, snap.consumer_pos);
	TH_LOG("victim delivered %llu events, %llu skipped",
	       (unsigned long long)next[0], (unsigned long long)snap.skipped);
	byteor_events_detach(obs);
	byteor_events_detach(rx);
}

/* Producers blocked on a full MPSC queue get -EPIPE when the consumer dies. */
TEST_F(xev, mpsc_producers_get_epipe_when_consumer_dies)
{
	struct byteor_events *tx;
	int sync[2], ret;
	char buf[8] = "x";
	pid_t c;
	int i;

	ASSERT_EQ(0, pipe(sync));
	c = lt_fork();
	ASSERT_LE(0, c);
	if (!c) {
		xe_attach(self->d.path, 1, byteor_attach_events_mpsc_rx, 0);
		ht_signal(sync[1]);
		pause();
		_exit(0);
	}
	ASSERT_EQ(0, ht_await(sync[0]));
	tx = xe_attach(self->d.path, 1, byteor_attach_events_mpsc_tx, XP_TIMEOUT);
	for (i = 0; i < CAP; i++)
		ASSERT_EQ(0, byteor_events_send(tx, buf, 1));
	EXPECT_EQ(-ETIMEDOUT, byteor_events_send_timed(tx, buf, 1, 30000000));
	EXPECT_EQ(1, byteor_events_peer_alive(tx));
	ASSERT_EQ(0, kill(c, SIGKILL));
	EXPECT_EQ(128 + SIGKILL, lt_status(c));
	ret = byteor_events_send(tx, buf, 1);
	EXPECT_EQ(-EPIPE, ret);
	EXPECT_EQ(0, byteor_events_peer_alive(tx));
	byteor_events_detach(tx);
}

/* MPSC producer slots go with a SIGKILLed holder and are reused. */
TEST_F(xev, mpsc_producer_slots_are_released_by_sigkill)
{
	struct byteor_events *tx[NPROD], *e;
	struct byteor_attach_options o = lt_opts(self->d.path, "ev", 1, 0);
	int sync[2], i;
	pid_t c;

	ASSERT_EQ(0, pipe(sync));
	c = lt_fork();
	ASSERT_LE(0, c);
	if (!c) {
		for (i = 0; i < NPROD; i++)
			xe_attach(self->d.path, 1, byteor_attach_events_mpsc_tx, 0);
		ht_signal(sync[1]);
		pause();
		_exit(0);
	}
	ASSERT_EQ(0, ht_await(sync[0]));
	EXPECT_EQ(-EBUSY, byteor_attach_events_mpsc_tx(&o, &e));
	ASSERT_EQ(0, kill(c, SIGKILL));
	EXPECT_EQ(128 + SIGKILL, lt_status(c));
	for (i = 0; i < NPROD; i++)
		ASSERT_EQ(0, byteor_attach_events_mpsc_tx(&o, &tx[i]));
	for (i = 0; i < NPROD; i++)
		byteor_events_detach(tx[i]);
}

TEST_HARNESS_MAIN
