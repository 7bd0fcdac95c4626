// SPDX-License-Identifier: GPL-2.0-only
/*
 * fanout_router - the fanout router killed at each step of a routing batch
 * (entries written; some consumers' tails stored, others not; every tail
 * stored but not R; R stored), then restarted while the producer and two
 * consumers go on: every consumer gets every message once, in order (the
 * modes here, broadcast and by key with a stable membership, decide the
 * same again; design.md "Fanout recovery").  The producer killed between
 * writing its slots and publishing them: the next producer continues, its
 * consumers get nothing torn and nothing twice.
 *
 * Messages: 8 bytes, the message's number; key = number.  The producer
 * and both consumers live in the test process; the router (or the killed
 * producer) in a child.
 */
#include <signal.h>
#include "crash_env.h"
#include "single_ring_test.h"
#include <byteor/crashpoint.h>
#include <byteor/fanout.h>

#define NAME	"fan"
#define CAP	64U
#define NQ	2U
#define TOTAL	4000ULL
#define BATCH	16U

FIXTURE(fr) {
	struct ht_dir d;
	struct byteor_attach_options o;
	struct byteor_fanout *tx, *rx[NQ];
	__u64 sent, next[NQ];
	pid_t router;
	unsigned int kills, starts;
};

FIXTURE_SETUP(fr)
{
	struct byteor_geometry g = ht_geom(64, CAP, NQ, 1);

	HT_DIR_SETUP(&self->d, false);
	ASSERT_EQ(0, ht_create(self->d.path, NAME, BYTEOR_KIND_FANOUT, &g));
	self->o = lt_opts(self->d.path, NAME, 0, 0);
}

FIXTURE_TEARDOWN(fr)
{
	unsigned int i;

	if (self->router > 0) {
		kill(self->router, SIGKILL);
		ht_wait(self->router);
	}
	for (i = 0; i < NQ; i++)
		byteor_fanout_detach(self->rx[i]);
	byteor_fanout_detach(self->tx);
	ht_dir_teardown(&self->d);
}

/* A router process in @mode, armed at @point on hit @nth if set. */
static pid_t fr_router(const struct byteor_attach_options *o, int mode,
		       const char *point, unsigned long nth)
{
	struct byteor_fanout_router_options ro = { .mode = mode };
	struct byteor_fanout *rt;
	pid_t pid = fork();
	int r;

	if (pid)
		return pid;
	if (point)
		__byteor_crashpoint_arm(point, nth, "kill");
	if (byteor_attach_fanout_router(o, &ro, &rt))
		_exit(2);
	for (;;) {
		/* Small batches: many batches, many chances to stop in one. */
		r = byteor_fanout_route_timed(rt, 1 + (unsigned int)rand() % 7,
					      20000000LL);
		/* No producer now: a replacement may come (the test kills us). */
		if (r == -EPIPE)
			usleep(1000);
		else if (r < 0 && r != -ETIMEDOUT && r != -EAGAIN)
			_exit(3);
	}
}

/* The key decides who gets a message in BY_KEY mode. */
static bool fr_gets(int mode, unsigned int q, __u64 n)
{
	return mode == BYTEOR_FANOUT_BROADCAST ||
	       byteor_fanout_key_hash(n) % NQ == q;
}

/* Next message number consumer @q should get after @n (mode's rule). */
static __u64 fr_after(int mode, unsigned int q, __u64 n)
{
	do
		n++;
	while (n < TOTAL && !fr_gets(mode, q, n));
	return n;
}

/* Drain what the consumers have now; NULL or what broke. */
static const char *fr_drain(FIXTURE_DATA(fr) *self, int mode)
{
	unsigned char buf[64];
	unsigned int q;
	__u64 v;
	int n;

	for (q = 0; q < NQ; q++) {
		for (;;) {
			n = byteor_fanout_recv_timed(self->rx[q], buf, sizeof(buf),
						     NULL, 0);
			if (n == -EAGAIN)
				break;
			if (n != 8)
				return "recv error or torn length";
			memcpy(&v, buf, 8);
			if (v != self->next[q])
				return v < self->next[q] ? "message seen twice" :
					"message lost";
			self->next[q] = fr_after(mode, q, v);
		}
	}
	return NULL;
}

/* The router died (as armed) or not: restart it unarmed. */
static void fr_reap(struct __test_metadata *_metadata,
		    FIXTURE_DATA(fr) *self, int mode)
{
	int st;

	if (waitpid(self->router, &st, WNOHANG) != self->router)
		return;
	ASSERT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)
		TH_LOG("router status %#x", st);
	self->kills++;
	self->router = fr_router(&self->o, mode, NULL, 0);
	self->starts++;
}

/*
 * Send TOTAL messages through a router armed at @point (hit @nth); restart
 * it when it dies; drain both consumers as we go and at the end.
 */
static void fr_run(struct __test_metadata *_metadata, FIXTURE_DATA(fr) *self,
		   int mode, const char *point, unsigned long nth)
{
	const char *why;
	long long t0;
	unsigned int q;
	int r;

	ASSERT_EQ(0, byteor_attach_fanout_tx(&self->o, &self->tx));
	for (q = 0; q < NQ; q++) {
		struct byteor_attach_options o = self->o;

		o.queue = q;
		ASSERT_EQ(0, byteor_attach_fanout_rx(&o, &self->rx[q]));
		self->next[q] = fr_gets(mode, q, 0) ? 0 : fr_after(mode, q, 0);
	}
	self->router = fr_router(&self->o, mode, point, nth);
	/* Both consumers admitted before the first message. */
	t0 = lt_now_ns();
	for (q = 0; q < NQ; q++)
		while (byteor_fanout_joined(self->rx[q]) != 1)
			ASSERT_GT(10000000000LL, lt_now_ns() - t0);
	while (self->sent < TOTAL) {
		r = byteor_fanout_send_timed(self->tx, &self->sent, 8,
					     self->sent, 0);
		if (r == 0) {
			self->sent++;
			continue;
		}
		ASSERT_EQ(-EAGAIN, r);
		why = fr_drain(self, mode);
		ASSERT_EQ(NULL, why) TH_LOG("%s at %llu/%llu", why,
					    (unsigned long long)self->next[0],
					    (unsigned long long)self->next[1]);
		fr_reap(_metadata, self, mode);
		ASSERT_GT(60000000000LL, lt_now_ns() - t0);
	}
	/* Everything sent: drain until both consumers have all of it. */
	while (self->next[0] < TOTAL || self->next[1] < TOTAL) {
		why = fr_drain(self, mode);
		ASSERT_EQ(NULL, why) TH_LOG("%s at %llu/%llu", why,
					    (unsigned long long)self->next[0],
					    (unsigned long long)self->next[1]);
		fr_reap(_metadata, self, mode);
		ASSERT_GT(60000000000LL, lt_now_ns() - t0)
			TH_LOG("stalled at %llu/%llu",
			       (unsigned long long)self->next[0],
			       (unsigned long long)self->next[1]);
		usleep(1000);
	}
	EXPECT_EQ(1U, self->kills) TH_LOG("%s never fired", point);
}

/* Hit 2k+1: after consumer 0's tail, before consumer 1's. */
TEST_F(fr, broadcast_router_killed_between_two_consumers_tails_then_restarted)
{
	fr_run(_metadata, self, BYTEOR_FANOUT_BROADCAST,
	       "fanout.router.tail_stored", 301);
}

TEST_F(fr, broadcast_router_killed_after_all_tails_before_r_then_restarted)
{
	fr_run(_metadata, self, BYTEOR_FANOUT_BROADCAST,
	       "fanout.router.tail_stored", 300);
}

TEST_F(fr, broadcast_router_killed_with_entries_written_then_restarted)
{
	fr_run(_metadata, self, BYTEOR_FANOUT_BROADCAST,
	       "fanout.router.entries_written", 150);
}

TEST_F(fr, broadcast_router_killed_after_moving_r_then_restarted)
{
	fr_run(_metadata, self, BYTEOR_FANOUT_BROADCAST,
	       "fanout.router.routed", 150);
}

TEST_F(fr, by_key_router_killed_after_one_consumers_tail_then_restarted)
{
	fr_run(_metadata, self, BYTEOR_FANOUT_BY_KEY,
	       "fanout.router.tail_stored", 151);
}

TEST_F(fr, by_key_router_killed_with_entries_written_then_restarted)
{
	fr_run(_metadata, self, BYTEOR_FANOUT_BY_KEY,
	       "fanout.router.entries_written", 150);
}

/* A producer process: messages from @base to TOTAL; armed at @point. */
static pid_t fr_producer(const struct byteor_attach_options *o, __u64 base,
			 const char *point, unsigned long nth)
{
	struct byteor_fanout *tx;
	pid_t pid = fork();
	__u64 n;
	int r;

	if (pid)
		return pid;
	if (point)
		__byteor_crashpoint_arm(point, nth, "kill");
	if (byteor_attach_fanout_tx(o, &tx))
		_exit(2);
	for (n = base; n < TOTAL; n++) {
		r = byteor_fanout_send_timed(tx, &n, 8, n, 30000000000LL);
		if (r)
			_exit(r < 0 && r > -100 ? 10 - r : 3);
	}
	byteor_fanout_detach(tx);
	_exit(0);
}

/*
 * The producer killed at @point (hit @nth) in a child while the router
 * runs in another; the test's consumers drain; once the router has routed
 * all the dead producer published, a new producer continues from the
 * first message nobody got.  Broadcast: both consumers see 0..TOTAL-1 once.
 */
static void fr_producer_run(struct __test_metadata *_metadata,
			    FIXTURE_DATA(fr) *self, const char *point,
			    unsigned long nth)
{
	const int mode = BYTEOR_FANOUT_BROADCAST;
	bool restarted = false;
	const char *why;
	long long t0;
	unsigned int q;
	pid_t prod;
	int st;

	for (q = 0; q < NQ; q++) {
		struct byteor_attach_options o = self->o;

		o.queue = q;
		ASSERT_EQ(0, byteor_attach_fanout_rx(&o, &self->rx[q]));
	}
	self->router = fr_router(&self->o, mode, NULL, 0);
	t0 = lt_now_ns();
	for (q = 0; q < NQ; q++)
		while (byteor_fanout_joined(self->rx[q]) != 1)
			ASSERT_GT(10000000000LL, lt_now_ns() - t0);
	prod = fr_producer(&self->o, 0, point, nth);
	while (self->next[0] < TOTAL || self->next[1] < TOTAL) {
		why = fr_drain(self, mode);
		ASSERT_EQ(NULL, why) TH_LOG("%s at %llu/%llu", why,
					    (unsigned long long)self->next[0],
					    (unsigned long long)self->next[1]);
		if (prod > 0 && waitpid(prod, &st, WNOHANG) == prod) {
			if (restarted) {
				/* The replacement sent the rest and left. */
				ASSERT_TRUE(WIFEXITED(st) && !WEXITSTATUS(st))
					TH_LOG("producer status %#x", st);
				prod = -1;
				continue;
			}
			ASSERT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)
				TH_LOG("producer status %#x", st);
			self->kills++;
			prod = 0;
		}
		/*
		 * Producer dead: once both consumers agree and stay (the
		 * router routed what it published), continue from there.
		 */
		if (!prod && !restarted) {
			__u64 a = self->next[0];

			usleep(100000);
			ASSERT_EQ(NULL, fr_drain(self, mode));
			if (a != self->next[0] || a != self->next[1])
				continue;
			prod = fr_producer(&self->o, a, NULL, 0);
			restarted = true;
		}
		ASSERT_GT(60000000000LL, lt_now_ns() - t0)
			TH_LOG("stalled at %llu/%llu",
			       (unsigned long long)self->next[0],
			       (unsigned long long)self->next[1]);
		usleep(1000);
	}
	if (prod > 0)
		ASSERT_EQ(0, ht_wait(prod));
	EXPECT_EQ(1U, self->kills) TH_LOG("%s never fired", point);
	EXPECT_TRUE(restarted);
}

TEST_F(fr, producer_killed_with_slots_written_before_publishing_then_restarted)
{
	fr_producer_run(_metadata, self, "fanout.tx.before_publish", 1000);
}

TEST_F(fr, producer_killed_after_publishing_before_the_wakeup_then_restarted)
{
	fr_producer_run(_metadata, self, "fanout.tx.published", 1000);
}

TEST_HARNESS_MAIN
