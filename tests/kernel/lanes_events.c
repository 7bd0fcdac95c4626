// SPDX-License-Identifier: GPL-2.0-only
/*
 * lanes_events - libbyteor's events chain between processes on the kernel
 * backing: an SPSC queue, and MPSC queues fed by 2 and 3 producer
 * processes, validated by a consumer process (no loss, no duplicate,
 * per-producer order, every payload byte); a producer SIGKILLed between
 * claim and publish on an MPSC queue: the kernel releases its producer
 * claim, the consumer sees that, skips the orphaned positions (counted)
 * and carries on with the other producers' events.
 *
 * 100k-200k events per test, not the host tests' 10 million: the guest
 * runs under TCG (see lanes_test.h).
 */
#include "lanes_test.h"

#define SLOT		64
#define CAP		1024
#define NPROD		3
#define SPSC_Q		0
#define MPSC_Q		1

FIXTURE(ev) {
	struct bt_res res;
	const char *name;
	struct ev_result *out;
};

/* What the consumer child reports, in a shared anonymous mapping. */
struct ev_result {
	__u64 next[NPROD];	/* events received per producer */
	__u64 skipped;		/* orphans this consumer skipped */
	__u64 total;
	__u64 victim_claimed;	/* positions the victim held when it died */
	int last_error;
};

FIXTURE_SETUP(ev)
{
	struct byteor_events_chain_options c = {
		.slot_size = SLOT, .capacity = CAP, .queues = 2,
		.producers = NPROD, .mpsc_mask = 1ULL << MPSC_Q,
		.backing = BYTEOR_BACKING_KERNEL,
	};

	LN_SETUP_CHECKS();
	self->name = bt_res_name(&self->res, "ev");
	c.name = self->name;
	ASSERT_EQ(0, byteor_events_chain_region_create(&c, NULL));
	self->out = ln_shared(&self->res, sizeof(*self->out));
	ASSERT_NE(NULL, self->out);
}

FIXTURE_TEARDOWN(ev)
{
	bt_res_release(&self->res);
}

static struct byteor_events *ev_attach(const char *name, unsigned int q,
				       int (*fn)(const struct byteor_attach_options *,
						 struct byteor_events **))
{
	struct byteor_attach_options o = ln_opts(name, q, LN_TIMEOUT_NS);
	struct byteor_events *e;
	int ret = fn(&o, &e);

	if (ret)
		LN_DIE(2, "attach queue %u: %s", q, byteor_strerror(ret));
	return e;
}

/*
 * Producer child @id: @count events on queue @q, even ids copying, odd
 * ids in zero-copy batches of up to 16.  After @kill_at events (~0:
 * never) it claims more slots (a batch of 3, or 1 for a copying id),
 * fills them, reports how many it got and SIGKILLs itself with the claim
 * unpublished.
 */
static void ev_produce(const char *name, unsigned int q, __u32 id, __u64 count,
		       __u64 kill_at, struct ev_result *res)
{
	struct byteor_events *tx = ev_attach(name, q, q == MPSC_Q ?
					     byteor_attach_events_mpsc_tx :
					     byteor_attach_events_tx);
	struct byteor_slot s[16];
	unsigned char buf[SLOT];
	__u64 seq = 0;
	int n, i, ret;

	while (seq < count) {
		if (seq == kill_at) {
			n = byteor_events_claim(tx, s, id & 1 ? 3 : 1);
			if (n < 1)
				LN_DIE(7, "claim before the kill: %d", n);
			for (i = 0; i < n; i++)
				ln_fill(s[i].data, id, seq + i, SLOT);
			res->victim_claimed = (__u64)n;
			raise(SIGKILL);
		}
		if (!(id & 1)) {
			ret = byteor_events_send(tx, buf, ln_fill(buf, id, seq, SLOT));
			if (ret)
				LN_DIE(3, "producer %u send %llu: %s", id,
				       (unsigned long long)seq, byteor_strerror(ret));
			seq++;
			continue;
		}
		n = count - seq < 16 ? (int)(count - seq) : 16;
		if (kill_at > seq && kill_at - seq < (__u64)n)
			n = (int)(kill_at - seq);
		n = byteor_events_claim(tx, s, n);
		if (n < 1)
			LN_DIE(3, "producer %u claim %llu: %s", id,
			       (unsigned long long)seq, byteor_strerror(n));
		for (i = 0; i < n; i++)
			s[i].len = ln_fill(s[i].data, id, seq++, SLOT);
		ret = byteor_events_publish(tx, s, n);
		if (ret != n)
			LN_DIE(3, "publish: %d", ret);
	}
	byteor_events_detach(tx);
	_exit(0);
}

/* Consumer child: until every producer is gone (-EPIPE), checking each event. */
static void ev_consume(const char *name, unsigned int q, __u32 nprod,
		       struct ev_result *res)
{
	struct byteor_events *rx = ev_attach(name, q, q == MPSC_Q ?
					     byteor_attach_events_mpsc_rx :
					     byteor_attach_events_rx);
	struct byteor_slot s[32];
	const char *why;
	int n, i;

	for (;;) {
		n = byteor_events_peek(rx, s, 32);
		if (n < 0)
			break;
		for (i = 0; i < n; i++) {
			why = ln_check(s[i].data, s[i].len, SLOT, res->next, nprod);
			if (why)
				LN_DIE(5, "event %llu: %s",
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
 * @nprod producer processes of @per events each on queue @q and one
 * consumer process; producer @victim (-1: none) dies after @kill_at
 * events holding a claim.  Checks every exit status and what arrived.
 */
static void ev_run(struct __test_metadata *_metadata,
		   FIXTURE_DATA(ev) *self, unsigned int q, __u32 nprod,
		   __u64 per, int victim, __u64 kill_at)
{
	struct ev_result *res = self->out;
	struct byteor_attach_options o = ln_opts(self->name, 0, 0);
	struct byteor_events_snapshot snap;
	struct byteor_region_info info;
	struct byteor_events *obs;
	long long t0 = ln_now_ns();
	pid_t c, p[NPROD];
	__u32 i;

	c = ln_fork(&self->res);
	ASSERT_LE(0, c);
	if (!c)
		ev_consume(self->name, q, nprod, res);
	for (i = 0; i < nprod; i++) {
		p[i] = ln_fork(&self->res);
		ASSERT_LE(0, p[i]);
		if (!p[i])
			ev_produce(self->name, q, i, per,
				   (int)i == victim ? kill_at : ~0ULL, res);
	}
	for (i = 0; i < nprod; i++)
		EXPECT_EQ((int)i == victim ? 128 + SIGKILL : 0,
			  bt_res_wait(&self->res, p[i])) TH_LOG("producer %u", i);
	EXPECT_EQ(0, bt_res_wait(&self->res, c))
		TH_LOG("consumer: %s", byteor_strerror(res->last_error));
	for (i = 0; i < nprod; i++)
		EXPECT_EQ((int)i == victim ? kill_at : per, res->next[i])
			TH_LOG("events of producer %u", i);
	if (victim >= 0) {
		/* Every position of the dead claim skipped, nothing else. */
		EXPECT_LE(1ULL, res->victim_claimed);
		EXPECT_EQ(res->victim_claimed, res->skipped);
	} else {
		EXPECT_EQ(0ULL, res->skipped);
	}
	TH_LOG("queue %u, %u producer(s): %llu events in %.2f s, %llu skipped",
	       q, nprod, (unsigned long long)res->total,
	       (ln_now_ns() - t0) / 1e9, (unsigned long long)res->skipped);

	/* The queue's lifetime view, and the kernel's: no claim left held. */
	ASSERT_EQ(0, byteor_attach_events_observer(&o, &obs));
	ASSERT_EQ(0, byteor_events_snapshot(obs, q, &snap));
	EXPECT_EQ(res->skipped, snap.skipped);
	EXPECT_EQ(res->total + res->skipped, snap.consumer_pos);
	EXPECT_EQ(0U, snap.producers_alive);
	EXPECT_EQ(0ULL, snap.producers_alive_mask);
	EXPECT_EQ(0, snap.consumer_alive);
	EXPECT_EQ(0U, snap.flags & BYTEOR_EVENTS_SNAP_F_CORRUPT);
	byteor_events_detach(obs);
	ASSERT_EQ(0, byteor_region_info(self->name, BYTEOR_BACKING_KERNEL, NULL,
					&info));
	EXPECT_EQ(0U, info.nr_claims_held);
	EXPECT_EQ(0U, info.nr_files);
	EXPECT_EQ(0, byteor_region_destroy(self->name, BYTEOR_BACKING_KERNEL, NULL));
}

TEST_F_TIMEOUT(ev, spsc_queue_between_processes_loses_and_repeats_nothing, 50)
{
	ev_run(_metadata, self, SPSC_Q, 1, 200000, -1, 0);
}

TEST_F_TIMEOUT(ev, mpsc_queue_with_two_producer_processes_keeps_each_order, 50)
{
	ev_run(_metadata, self, MPSC_Q, 2, 100000, -1, 0);
}

TEST_F_TIMEOUT(ev, mpsc_queue_with_three_producer_processes_keeps_each_order, 50)
{
	ev_run(_metadata, self, MPSC_Q, 3, 60000, -1, 0);
}

/*
 * Producer 1 (zero-copy batches) claims 3 positions and is SIGKILLed
 * before publishing them; producers 0 and 2 go on.  Only the kernel's
 * release of the dead file's claim tells the consumer the positions are
 * orphans: it must skip them and deliver everything else.
 */
TEST_F_TIMEOUT(ev, mpsc_producer_sigkilled_between_claim_and_publish_is_skipped, 50)
{
	ev_run(_metadata, self, MPSC_Q, 3, 40000, 1, 15000);
}

/* The same with a copying producer (one claimed position at a time). */
TEST_F_TIMEOUT(ev, mpsc_copying_producer_sigkilled_between_claim_and_publish_is_skipped, 50)
{
	ev_run(_metadata, self, MPSC_Q, 2, 40000, 0, 20000);
}

TEST_HARNESS_MAIN
