// SPDX-License-Identifier: GPL-2.0-only
/*
 * spsc_kill - an SPSC lane (a single ring, and an events chain's SPSC
 * queue) survives a role killed at each of its crash points: the role is a
 * child process armed with __byteor_crashpoint_arm(); once it died there a
 * replacement is started, and the run must end with every event delivered
 * once, in order, whole (sequence numbers and checked payload bytes), with
 * only what docs/design.md "SPSC recovery" says a killed role may
 * lose, and without a stall.
 *
 * What a kill may lose, by point (the producer restarts at the first
 * event not counted as published):
 *	spsc.tx.before_tags	the batch being published (never seen)
 *	spsc.tx.before_position	nothing: its tagged slots are published
 *	spsc.tx.attach_*	nothing
 *	spsc.rx.before_release	nothing: the slots read and not released are
 *				read again by the next consumer (they were
 *				never released: not a duplicate)
 *	spsc.rx.attach_*	nothing
 * A stop test also covers the window where a resumed producer reads the
 * consumer's position while a new consumer attaches.
 */
#include "crash_env.h"
#include "single_ring_test.h"
#include "single_ring_lane.h"
#include <stdatomic.h>
#include <sys/mman.h>
#include <byteor/crashpoint.h>

#define SK_EVENTS	240	/* events per run */
#define SK_BATCH	3	/* producer batch */
#define SK_SLOT		64
#define SK_CAP		8
#define SK_DEADLINE_NS	(20LL * 1000000000LL)
#define SK_WAIT_NS	(50LL * 1000000LL)

/* What the roles tell the parent (a shared anonymous mapping). */
struct sk_shared {
	_Atomic __u64 next_rx;	/* consumer: next event expected (released) */
	_Atomic __u64 sent;	/* producer: events whose publish returned */
	_Atomic __u64 batch;	/* producer: events in the publish under way */
	char why[128];
};

static struct sk_shared *sk_map(void)
{
	void *p = mmap(NULL, sizeof(struct sk_shared), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Attach, retrying while a killed predecessor's claim is let go. */
static int sk_attach(const char *dir, bool events, bool producer,
		     struct sl_end *e)
{
	long long end = lt_now_ns() + SK_DEADLINE_NS;
	int ret;

	while ((ret = sl_attach(dir, events, producer, SK_WAIT_NS, e)) == -EBUSY &&
	       lt_now_ns() < end)
		usleep(1000);
	return ret;
}

#define SK_FAIL(sh, code, ...) do {					\
	snprintf((sh)->why, sizeof((sh)->why), __VA_ARGS__);		\
	_exit(code);							\
} while (0)

/* Producer role: events @start.. in batches; armed at @point if set. */
static void sk_producer(const char *dir, bool events, struct sk_shared *sh,
			__u64 start, const char *point, unsigned long hit,
			const char *mode)
{
	long long end = lt_now_ns() + SK_DEADLINE_NS;
	struct byteor_slot s[SK_BATCH];
	__u64 seq = start;
	struct sl_end tx;
	int ret, i;

	if (point)
		__byteor_crashpoint_arm(point, hit, mode);
	ret = sk_attach(dir, events, true, &tx);
	if (ret)
		SK_FAIL(sh, 30, "producer attach: %d", ret);
	while (seq < SK_EVENTS) {
		unsigned int k = SK_EVENTS - seq < SK_BATCH ?
				 (unsigned int)(SK_EVENTS - seq) : SK_BATCH;

		if (lt_now_ns() > end)
			SK_FAIL(sh, 31, "producer stalled at %llu",
				(unsigned long long)seq);
		ret = sl_claim(&tx, s, k);
		if (ret == -ETIMEDOUT || ret == -EAGAIN || ret == -EPIPE) {
			if (ret == -EPIPE)
				usleep(1000);	/* the consumer restarts */
			continue;
		}
		if (ret <= 0)
			SK_FAIL(sh, 32, "claim: %d", ret);
		for (i = 0; i < ret; i++)
			s[i].len = lt_fill(s[i].data, 0, seq + (__u64)i, SK_SLOT);
		atomic_store(&sh->batch, (__u64)ret);
		if (sl_publish(&tx, s, (unsigned int)ret) != ret)
			SK_FAIL(sh, 33, "publish failed");
		seq += (__u64)ret;
		atomic_store(&sh->sent, seq);
		atomic_store(&sh->batch, 0);
	}
	sl_detach(&tx);
	_exit(0);
}

/* Consumer role: every event from sh->next_rx on, once, in order. */
static void sk_consumer(const char *dir, bool events, struct sk_shared *sh,
			const char *point, unsigned long hit, const char *mode)
{
	long long end = lt_now_ns() + SK_DEADLINE_NS;
	struct byteor_slot s[4];
	struct sl_end rx;
	const char *why;
	__u64 next;
	int ret, i;

	if (point)
		__byteor_crashpoint_arm(point, hit, mode);
	ret = sk_attach(dir, events, false, &rx);
	if (ret)
		SK_FAIL(sh, 40, "consumer attach: %d", ret);
	while ((next = atomic_load(&sh->next_rx)) < SK_EVENTS) {
		if (lt_now_ns() > end)
			SK_FAIL(sh, 41, "consumer stalled at %llu",
				(unsigned long long)next);
		ret = sl_peek_timed(&rx, s, 4, SK_WAIT_NS);
		if (ret == -ETIMEDOUT || ret == -EAGAIN || ret == -EPIPE) {
			if (ret == -EPIPE)
				usleep(1000);	/* the producer restarts */
			continue;
		}
		if (ret <= 0)
			SK_FAIL(sh, 42, "peek: %d", ret);
		for (i = 0; i < ret; i++) {
			why = lt_check(s[i].data, s[i].len, SK_SLOT, &next, 1);
			if (why)
				SK_FAIL(sh, 43, "event %llu: %s",
					(unsigned long long)next, why);
		}
		if (sl_release(&rx, (unsigned int)ret) != ret)
			SK_FAIL(sh, 44, "release failed");
		atomic_store(&sh->next_rx, next);
	}
	sl_detach(&rx);
	_exit(0);
}

FIXTURE(kill) {
	struct ht_dir d;
	struct sk_shared *sh;
};

/*
 * @point: where the role dies, on hit @hit; @producer: which role;
 * @keeps: a producer killed there published its batch (restart after it).
 */
FIXTURE_VARIANT(kill) {
	bool events;
	const char *point;
	bool producer;
	unsigned long hit;
	bool keeps;
};

#define SK_VARIANT(lane, ev, name, pt, prod, nth, kp)			\
	FIXTURE_VARIANT_ADD(kill, lane##_##name) {			\
		.events = ev, .point = pt, .producer = prod,		\
		.hit = nth, .keeps = kp,				\
	}

SK_VARIANT(ring, false, tx_before_tags, "spsc.tx.before_tags", true, 7, false);
SK_VARIANT(ring, false, tx_before_position, "spsc.tx.before_position", true, 7, true);
SK_VARIANT(ring, false, tx_attach_loaded, "spsc.tx.attach_loaded", true, 1, false);
SK_VARIANT(ring, false, tx_attach_stored, "spsc.tx.attach_stored", true, 1, false);
SK_VARIANT(ring, false, rx_before_release, "spsc.rx.before_release", false, 9, false);
SK_VARIANT(ring, false, rx_attach_loaded, "spsc.rx.attach_loaded", false, 1, false);
SK_VARIANT(ring, false, rx_attach_stored, "spsc.rx.attach_stored", false, 1, false);
SK_VARIANT(events, true, tx_before_tags, "spsc.tx.before_tags", true, 7, false);
SK_VARIANT(events, true, tx_before_position, "spsc.tx.before_position", true, 7, true);
SK_VARIANT(events, true, tx_attach_loaded, "spsc.tx.attach_loaded", true, 1, false);
SK_VARIANT(events, true, tx_attach_stored, "spsc.tx.attach_stored", true, 1, false);
SK_VARIANT(events, true, rx_before_release, "spsc.rx.before_release", false, 9, false);
SK_VARIANT(events, true, rx_attach_loaded, "spsc.rx.attach_loaded", false, 1, false);
SK_VARIANT(events, true, rx_attach_stored, "spsc.rx.attach_stored", false, 1, false);

FIXTURE_SETUP(kill)
{
	HT_DIR_SETUP(&self->d, false);
	self->sh = sk_map();
	ASSERT_NE(NULL, self->sh);
	memset(self->sh, 0, sizeof(*self->sh));
}

FIXTURE_TEARDOWN(kill)
{
	if (self->sh)
		munmap(self->sh, sizeof(*self->sh));
	ht_dir_teardown(&self->d);
}

static pid_t sk_spawn_mode(const char *dir, bool events, struct sk_shared *sh,
			   bool producer, __u64 start, const char *point,
			   unsigned long hit, const char *mode)
{
	pid_t pid = lt_fork();

	if (pid)
		return pid;
	if (producer)
		sk_producer(dir, events, sh, start, point, hit, mode);
	sk_consumer(dir, events, sh, point, hit, mode);
	_exit(99);
}

static pid_t sk_spawn(const char *dir, bool events, struct sk_shared *sh,
		      bool producer, __u64 start, const char *point,
		      unsigned long hit)
{
	return sk_spawn_mode(dir, events, sh, producer, start, point, hit,
			     "kill");
}

/* Wait until @pid stops (a "stop" crash point): 0, or -1. */
static int sk_stopped(pid_t pid, long long end)
{
	int st;

	while (lt_now_ns() < end) {
		pid_t r = waitpid(pid, &st, WNOHANG | WUNTRACED);

		if (r == pid)
			return WIFSTOPPED(st) ? 0 : -1;
		if (r < 0)
			return -1;
		usleep(1000);
	}
	return -1;
}

/* Wait for @pid until the deadline; its lt_status(), or -2 (stalled). */
static int sk_wait(pid_t pid, long long end)
{
	int st;

	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			return WIFSIGNALED(st) ? 128 + WTERMSIG(st) :
						 WEXITSTATUS(st);
		if (r < 0)
			return -1;
		if (lt_now_ns() > end) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			return -2;
		}
		usleep(2000);
	}
}

/* After the run: nothing more in the lane (nothing delivered twice). */
static int sk_leftover(const char *dir, bool events)
{
	struct byteor_slot s;
	struct sl_end rx;
	int ret = sl_attach(dir, events, false, 0, &rx);

	if (ret)
		return ret;
	ret = sl_peek_timed(&rx, &s, 1, 0);
	sl_detach(&rx);
	return ret;
}

TEST_F(kill, a_role_killed_at_the_point_restarts_without_loss_or_duplicate)
{
	long long end = lt_now_ns() + 3 * SK_DEADLINE_NS;
	pid_t victim, other, again;
	__u64 start = 0;

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, sl_create(self->d.path, variant->events, SK_SLOT, SK_CAP));
	other = sk_spawn(self->d.path, variant->events, self->sh,
			 !variant->producer, 0, NULL, 0);
	ASSERT_LT(0, other);
	victim = sk_spawn(self->d.path, variant->events, self->sh,
			  variant->producer, 0, variant->point, variant->hit);
	ASSERT_LT(0, victim);
	/* It died at the point: SIGKILL, not a clean exit. */
	ASSERT_EQ(128 + SIGKILL, sk_wait(victim, end)) {
		TH_LOG("victim: %s", self->sh->why);
	}
	if (variant->producer) {
		start = atomic_load(&self->sh->sent);
		if (variant->keeps)
			start += atomic_load(&self->sh->batch);
	}
	again = sk_spawn(self->d.path, variant->events, self->sh,
			 variant->producer, start, NULL, 0);
	ASSERT_LT(0, again);
	EXPECT_EQ(0, sk_wait(again, end)) {
		TH_LOG("restarted role: %s", self->sh->why);
	}
	EXPECT_EQ(0, sk_wait(other, end)) {
		TH_LOG("peer: %s", self->sh->why);
	}
	EXPECT_EQ(SK_EVENTS, atomic_load(&self->sh->next_rx));
	EXPECT_EQ(-EAGAIN, sk_leftover(self->d.path, variant->events));
}


FIXTURE(resume) {
	struct ht_dir d;
	struct sk_shared *sh;
};

FIXTURE_VARIANT(resume) {
	bool events;
};

FIXTURE_VARIANT_ADD(resume, ring) {
	.events = false,
};

FIXTURE_VARIANT_ADD(resume, events) {
	.events = true,
};

FIXTURE_SETUP(resume)
{
	HT_DIR_SETUP(&self->d, false);
	self->sh = sk_map();
	ASSERT_NE(NULL, self->sh);
	memset(self->sh, 0, sizeof(*self->sh));
}

FIXTURE_TEARDOWN(resume)
{
	if (self->sh)
		munmap(self->sh, sizeof(*self->sh));
	ht_dir_teardown(&self->d);
}

/*
 * The producer stops between its tag stores and its position store; a
 * consumer reads its events by their tags (ahead of the stored position)
 * and exits; a new consumer stops between its attach's loads and its
 * store; the producer resumes - it stores its position and fills the ring
 * from the consumer position it reads now - then the new consumer
 * resumes.  Nothing it reads may have been overwritten or delivered
 * before: every event once, in order, whole.
 */
TEST_F(resume, a_resumed_producer_never_overwrites_what_a_new_consumer_reads)
{
	long long end = lt_now_ns() + 3 * SK_DEADLINE_NS;
	struct byteor_slot s;
	struct sl_end rx;
	pid_t tx, rx2;
	__u64 next = 0;
	int n;

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, sl_create(self->d.path, variant->events, SK_SLOT, SK_CAP));
	/* Batch 2 (events 3..5) tagged, then the producer stops. */
	tx = sk_spawn_mode(self->d.path, variant->events, self->sh, true, 0,
			   "spsc.tx.before_position", 2, "stop");
	ASSERT_LT(0, tx);
	ASSERT_EQ(0, sk_stopped(tx, end));
	ASSERT_EQ(0, sl_attach(self->d.path, variant->events, false, 0, &rx));
	while ((n = sl_peek(&rx, &s, 1)) > 0) {
		ASSERT_EQ(NULL, lt_check(s.data, s.len, SK_SLOT, &next, 1));
		ASSERT_EQ(1, sl_release(&rx, 1));
	}
	ASSERT_EQ(-EAGAIN, n);
	ASSERT_EQ(2 * SK_BATCH, next);	/* the second batch, by its tags */
	sl_detach(&rx);
	atomic_store(&self->sh->next_rx, next);

	rx2 = sk_spawn_mode(self->d.path, variant->events, self->sh, false, 0,
			    "spsc.rx.attach_loaded", 1, "stop");
	ASSERT_LT(0, rx2);
	ASSERT_EQ(0, sk_stopped(rx2, end));
	kill(tx, SIGCONT);
	/* Let the producer fill the ring from what it reads now. */
	usleep(20000);
	kill(rx2, SIGCONT);
	EXPECT_EQ(0, sk_wait(rx2, end)) {
		TH_LOG("consumer: %s", self->sh->why);
	}
	EXPECT_EQ(0, sk_wait(tx, end)) {
		TH_LOG("producer: %s", self->sh->why);
	}
	EXPECT_EQ(SK_EVENTS, atomic_load(&self->sh->next_rx));
	EXPECT_EQ(-EAGAIN, sk_leftover(self->d.path, variant->events));
}

TEST_HARNESS_MAIN
