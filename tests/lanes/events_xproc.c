// SPDX-License-Identifier: GPL-2.0-only
/*
 * events_xproc - events chain queues between processes, on the host's
 * userspace backing (program events_xproc) and on the kernel backing in
 * the QEMU guests (program lanes_events); see lanes_env.h.
 *
 * An SPSC queue and MPSC queues with 2, 3 and 4 producer processes (10
 * million events per test on the host, BYTEOR_TEST_SCALE scales them;
 * 100k-200k in the guest), validated at the consumer (no loss, no
 * duplicate, per-producer order, every payload byte; exit non-zero at the
 * first violation); producers SIGKILLed mid-stream and between claim and
 * publish while the others go on (on an MPSC queue exactly the orphaned
 * positions skipped and counted, everything else delivered; afterwards no
 * claim left held); -EPIPE when every producer is gone, and for producers
 * when the consumer dies; MPSC producer slots released by SIGKILL.
 */
#include "lanes_env.h"

#define SLOT		64
#define CAP		LE_PICK(4096, 1024)
#define NPROD		4
#define SPSC_Q		0
#define MPSC_Q		1
#define XP_TIMEOUT	LE_TIMEOUT_NS

/* What the consumer child reports, in a shared anonymous mapping. */
struct ev_result {
	__u64 next[NPROD];	/* events received per producer */
	__u64 skipped;		/* orphans this consumer skipped */
	__u64 total;
	__u64 victim_claimed;	/* positions the victim held when it died */
	int last_error;
};

FIXTURE(xev) {
	struct le_env env;
	const char *name;
	struct ev_result *out;
};

FIXTURE_SETUP(xev)
{
	struct byteor_events_chain_options c = {
		.slot_size = SLOT, .capacity = CAP, .queues = 2,
		.producers = NPROD, .mpsc_mask = 1ULL << MPSC_Q,
		.backing = LE_BACKING,
	};

	LE_SETUP(&self->env);
	self->name = le_name(&self->env, "ev");
	c.name = self->name;
	c.dir = self->env.dir;
	/* Queue 0 SPSC, queue 1 MPSC with NPROD producer slots. */
	ASSERT_EQ(0, byteor_events_chain_region_create(&c, NULL));
	self->out = le_shared(&self->env, sizeof(*self->out));
	ASSERT_NE(NULL, self->out);
}

FIXTURE_TEARDOWN(xev)
{
	le_teardown(&self->env);
}

static struct byteor_events *ev_attach(const struct le_env *env,
				       const char *name, unsigned int q,
				       int (*fn)(const struct byteor_attach_options *,
						 struct byteor_events **),
				       long long timeout_ns)
{
	struct byteor_attach_options o = le_opts(env, name, q, timeout_ns);
	struct byteor_events *e;
	int ret = fn(&o, &e);

	if (ret)
		LE_DIE(2, "attach queue %u: %s", q, byteor_strerror(ret));
	return e;
}

/*
 * Producer child @id: @count events on queue @q, even ids copying, odd
 * ids in zero-copy batches of up to 16.  After @kill_at events (~0:
 * never) it claims more slots (a batch of 3, or 1 for a copying id),
 * fills them, reports how many it got (if @res) and SIGKILLs itself with
 * the claim unpublished.
 */
static void ev_produce(const struct le_env *env, const char *name,
		       unsigned int q, __u32 id, __u64 count, __u64 kill_at,
		       struct ev_result *res, int cpu)
{
	struct byteor_events *tx;
	struct byteor_slot s[16];
	unsigned char buf[SLOT];
	__u64 seq = 0;
	int n, i, ret;

	le_pin(cpu);
	tx = ev_attach(env, name, q, q == MPSC_Q ? byteor_attach_events_mpsc_tx :
			byteor_attach_events_tx, XP_TIMEOUT);
	while (seq < count) {
		if (seq == kill_at) {
			/* The test hook: claim, write, die before publishing. */
			n = byteor_events_claim(tx, s, id & 1 ? 3 : 1);
			if (n < 1)
				LE_DIE(7, "claim before the kill: %d", n);
			for (i = 0; i < n; i++)
				lp_fill(s[i].data, id, seq + i, SLOT);
			if (res)
				res->victim_claimed = (__u64)n;
			raise(SIGKILL);
		}
		if (!(id & 1)) {
			ret = byteor_events_send(tx, buf, lp_fill(buf, id, seq, SLOT));
			if (ret)
				LE_DIE(3, "producer %u send %llu: %s", id,
				       (unsigned long long)seq, byteor_strerror(ret));
			seq++;
			continue;
		}
		n = count - seq < 16 ? (int)(count - seq) : 16;
		if (kill_at > seq && kill_at - seq < (__u64)n)
			n = (int)(kill_at - seq);
		n = byteor_events_claim(tx, s, n);
		if (n < 1)
			LE_DIE(3, "producer %u claim %llu: %s", id,
			       (unsigned long long)seq, byteor_strerror(n));
		for (i = 0; i < n; i++)
			s[i].len = lp_fill(s[i].data, id, seq++, SLOT);
		ret = byteor_events_publish(tx, s, n);
		if (ret != n)
			LE_DIE(3, "publish: %d", ret);
	}
	byteor_events_detach(tx);
	_exit(0);
}

/* Consumer child: until every producer is gone (-EPIPE), checking each event. */
static void ev_consume(const struct le_env *env, const char *name,
		       unsigned int q, __u32 nprod, struct ev_result *res,
		       int cpu)
{
	struct byteor_events *rx;
	struct byteor_slot s[32];
	const char *why;
	int n, i;

	le_pin(cpu);
	rx = ev_attach(env, name, q, q == MPSC_Q ? byteor_attach_events_mpsc_rx :
			byteor_attach_events_rx, XP_TIMEOUT);
	for (;;) {
		n = byteor_events_peek(rx, s, 32);
		if (n < 0)
			break;
		for (i = 0; i < n; i++) {
			why = lp_check(s[i].data, s[i].len, SLOT, res->next, nprod);
			if (why)
				LE_DIE(5, "event %llu: %s",
				       (unsigned long long)res->total, why);
			res->total++;
		}
		byteor_events_release(rx, n);
	}
	res->last_error = n;
	res->skipped = byteor_events_skipped(rx);
	byteor_events_detach(rx);
	_exit(n == -EPIPE ? 0 : 6);
}

/*
 * @nprod producer processes (ids 0..nprod-1) of @per events each on queue
 * @q and one consumer process; producer @victim (-1: none) dies after
 * @kill_at events holding a claim.  Checks every exit status, what
 * arrived, and what the queue and the region say afterwards.
 */
static void ev_run(struct __test_metadata *_metadata,
		   FIXTURE_DATA(xev) *self, unsigned int q, __u32 nprod,
		   __u64 per, int victim, __u64 kill_at)
{
	struct ev_result *res = self->out;
	struct byteor_attach_options o = le_opts(&self->env, self->name, 0, 0);
	struct byteor_events_snapshot snap;
	struct byteor_region_info info;
	struct byteor_events *obs;
	long long t0 = le_now_ns(), dt;
	pid_t c, p[NPROD];
	__u32 i;

	c = le_fork(&self->env);
	ASSERT_LE(0, c);
	if (!c)
		ev_consume(&self->env, self->name, q, nprod, res, 0);
	for (i = 0; i < nprod; i++) {
		p[i] = le_fork(&self->env);
		ASSERT_LE(0, p[i]);
		if (!p[i])
			ev_produce(&self->env, self->name, q, i, per,
				   (int)i == victim ? kill_at : ~0ULL, res, 1 + i);
	}
	for (i = 0; i < nprod; i++)
		EXPECT_EQ((int)i == victim ? 128 + SIGKILL : 0,
			  le_wait(&self->env, p[i])) TH_LOG("producer %u", i);
	EXPECT_EQ(0, le_wait(&self->env, c))
		TH_LOG("consumer: %s", byteor_strerror(res->last_error));
	dt = le_now_ns() - t0;
	for (i = 0; i < nprod; i++)
		EXPECT_EQ((int)i == victim ? kill_at : per, res->next[i])
			TH_LOG("events of producer %u", i);
	if (victim >= 0 && q == MPSC_Q) {
		/* Every position of the dead claim skipped, nothing else. */
		EXPECT_LE(1ULL, res->victim_claimed);
		EXPECT_GE(3ULL, res->victim_claimed);
		EXPECT_EQ(res->victim_claimed, res->skipped);
	} else {
		/* SPSC: the dead claim never shows; nothing to skip. */
		EXPECT_EQ(0ULL, res->skipped);
	}
	TH_LOG("queue %u, %u producer(s): %llu events in %.2f s: %.2f M/s, %llu skipped",
	       q, nprod, (unsigned long long)res->total, dt / 1e9,
	       res->total * 1e3 / dt, (unsigned long long)res->skipped);

	/* The queue's lifetime view: no producer or consumer left alive. */
	ASSERT_EQ(0, byteor_attach_events_observer(&o, &obs));
	ASSERT_EQ(0, byteor_events_snapshot(obs, q, &snap));
	EXPECT_EQ(res->skipped, snap.skipped);
	EXPECT_EQ(res->total + res->skipped, snap.consumer_pos);
	EXPECT_EQ(0U, snap.producers_alive);
	EXPECT_EQ(0ULL, snap.producers_alive_mask);
	EXPECT_EQ(0, snap.consumer_alive);
	EXPECT_EQ(0U, snap.flags & BYTEOR_EVENTS_SNAP_F_CORRUPT);
	byteor_events_detach(obs);
#ifdef LE_KERNEL
	/* The kernel's view: no claim left held, no file left open. */
	ASSERT_EQ(0, byteor_region_info(self->name, BYTEOR_BACKING_KERNEL, NULL,
					&info));
	EXPECT_EQ(0U, info.nr_claims_held);
	EXPECT_EQ(0U, info.nr_files);
#else
	(void)info;
#endif
	EXPECT_EQ(0, le_destroy(&self->env, self->name));
}

TEST_F_TIMEOUT(xev, spsc_queue_between_processes_loses_and_repeats_nothing, 60)
{
	ev_run(_metadata, self, SPSC_Q, 1, le_count(10000000, 200000), -1, 0);
}

TEST_F_TIMEOUT(xev, mpsc_queue_with_two_producer_processes_keeps_each_order, 60)
{
	ev_run(_metadata, self, MPSC_Q, 2, le_count(5000000, 100000), -1, 0);
}

TEST_F_TIMEOUT(xev, mpsc_queue_with_three_producer_processes_keeps_each_order, 60)
{
	ev_run(_metadata, self, MPSC_Q, 3, le_count(3333334, 60000), -1, 0);
}

TEST_F_TIMEOUT(xev, mpsc_four_producers_ten_million_events, 60)
{
	ev_run(_metadata, self, MPSC_Q, 4, le_count(2500000, 40000), -1, 0);
}

/*
 * Producer 1 (zero-copy batches) claims 3 positions and is SIGKILLed
 * before publishing them; producers 0 and 2 go on.  Only the release of
 * the dead producer's claim (by the kernel, or found by the library on the
 * userspace backing) tells the consumer the positions are orphans: it must
 * skip them and deliver everything else.
 */
TEST_F_TIMEOUT(xev, mpsc_producer_sigkilled_between_claim_and_publish_is_skipped, 60)
{
	__u64 per = le_count(500000, 40000);

	ev_run(_metadata, self, MPSC_Q, 3, per, 1, per / 3);
}

/* The same with a copying producer (one claimed position), among 4. */
TEST_F_TIMEOUT(xev, mpsc_copying_producer_sigkilled_between_claim_and_publish_is_skipped, 60)
{
	__u64 per = le_count(500000, 40000);

	ev_run(_metadata, self, MPSC_Q, 4, per, 2, per / 2);
}

/* SPSC queue: the dead producer's claim never shows, the rest drains. */
TEST_F_TIMEOUT(xev, spsc_producer_killed_between_claim_and_publish, 60)
{
	__u64 per = le_count(500000, 20000);

	ev_run(_metadata, self, SPSC_Q, 1, per, 0, per / 2);
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
	__u64 per = le_count(2000000, 50000), next[2] = { 0 }, got = 0;
	pid_t p0, p1;
	int n, i;

	rx = ev_attach(&self->env, self->name, 1, byteor_attach_events_mpsc_rx, XP_TIMEOUT);
	p0 = le_fork(&self->env);
	ASSERT_LE(0, p0);
	if (!p0)
		ev_produce(&self->env, self->name, 1, 0, ~0ULL >> 1, ~0ULL,
			   NULL, 0);
	p1 = le_fork(&self->env);
	ASSERT_LE(0, p1);
	if (!p1)
		ev_produce(&self->env, self->name, 1, 1, per, ~0ULL, NULL, 1);
	for (;;) {
		n = byteor_events_peek(rx, s, 32);
		if (n < 0)
			break;
		for (i = 0; i < n; i++) {
			const char *why = lp_check(s[i].data, s[i].len, SLOT, next, 2);

			ASSERT_EQ(NULL, why) TH_LOG("after %llu: %s",
						    (unsigned long long)got, why);
			got++;
		}
		byteor_events_release(rx, n);
		/* Kill the victim once it is well under way. */
		if (got >= per / 2 && next[0] >= 1000 && p0 > 0) {
			kill(p0, SIGKILL);
			EXPECT_EQ(128 + SIGKILL, le_wait(&self->env, p0));
			p0 = 0;
		}
	}
	EXPECT_EQ(-EPIPE, n);
	EXPECT_EQ(0, le_wait(&self->env, p1));
	EXPECT_EQ(per, next[1]);
	EXPECT_LT(0, next[0]);
	obs = ev_attach(&self->env, self->name, 0, byteor_attach_events_observer, 0);
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
	c = le_fork(&self->env);
	ASSERT_LE(0, c);
	if (!c) {
		ev_attach(&self->env, self->name, 1, byteor_attach_events_mpsc_rx, 0);
		le_signal(sync[1]);
		pause();
		_exit(0);
	}
	ASSERT_EQ(0, le_await(sync[0]));
	tx = ev_attach(&self->env, self->name, 1, byteor_attach_events_mpsc_tx, XP_TIMEOUT);
	for (i = 0; i < CAP; i++)
		ASSERT_EQ(0, byteor_events_send(tx, buf, 1));
	EXPECT_EQ(-ETIMEDOUT, byteor_events_send_timed(tx, buf, 1, 30000000));
	EXPECT_EQ(1, byteor_events_peer_alive(tx));
	ASSERT_EQ(0, kill(c, SIGKILL));
	EXPECT_EQ(128 + SIGKILL, le_wait(&self->env, c));
	ret = byteor_events_send(tx, buf, 1);
	EXPECT_EQ(-EPIPE, ret);
	EXPECT_EQ(0, byteor_events_peer_alive(tx));
	byteor_events_detach(tx);
}

/* MPSC producer slots go with a SIGKILLed holder and are reused. */
TEST_F(xev, mpsc_producer_slots_are_released_by_sigkill)
{
	struct byteor_events *tx[NPROD], *e;
	struct byteor_attach_options o = le_opts(&self->env, self->name, 1, 0);
	int sync[2], i;
	pid_t c;

	ASSERT_EQ(0, pipe(sync));
	c = le_fork(&self->env);
	ASSERT_LE(0, c);
	if (!c) {
		for (i = 0; i < NPROD; i++)
			ev_attach(&self->env, self->name, 1, byteor_attach_events_mpsc_tx, 0);
		le_signal(sync[1]);
		pause();
		_exit(0);
	}
	ASSERT_EQ(0, le_await(sync[0]));
	EXPECT_EQ(-EBUSY, byteor_attach_events_mpsc_tx(&o, &e));
	ASSERT_EQ(0, kill(c, SIGKILL));
	EXPECT_EQ(128 + SIGKILL, le_wait(&self->env, c));
	for (i = 0; i < NPROD; i++)
		ASSERT_EQ(0, byteor_attach_events_mpsc_tx(&o, &tx[i]));
	for (i = 0; i < NPROD; i++)
		byteor_events_detach(tx[i]);
}

TEST_HARNESS_MAIN
