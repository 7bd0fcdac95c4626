// SPDX-License-Identifier: GPL-2.0-only
/*
 * single_ring_basic - the single ring's API, one process (and threads):
 * roles, empty/full, batch claim/publish, ordering and content over many
 * wrap-arounds, in-slot publication tags, timeouts, message sizes, corrupt lengths and positions,
 * snapshots, blocking both ways across threads (ThreadSanitizer sees this).
 */
#include "kselftest_harness.h"
#include "host_test.h"
#include "single_ring_test.h"

#include <pthread.h>

FIXTURE(ring) {
	struct ht_dir d;
};

FIXTURE_VARIANT(ring) {
	bool huge;
};

FIXTURE_VARIANT_ADD(ring, shm) {
	.huge = false,
};

FIXTURE_VARIANT_ADD(ring, hugetlbfs) {
	.huge = true,
};

FIXTURE_SETUP(ring)
{
	HT_DIR_SETUP(&self->d, variant->huge);
}

FIXTURE_TEARDOWN(ring)
{
	ht_dir_teardown(&self->d);
}

static int attach(const char *dir, int role, long long timeout_ns,
		  struct byteor_single_ring **r)
{
	struct byteor_attach_options o = lt_opts(dir, "ring", 0, timeout_ns);

	return byteor_attach_single_ring(&o, role, r);
}

TEST_F(ring, roles_are_exclusive_and_observers_are_not)
{
	struct byteor_single_ring *tx, *rx, *tx2, *obs, *obs2;
	struct byteor_attach_options o = lt_opts(self->d.path, "ring", 0, 0);
	struct byteor_slot s;

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, lt_create_ring(self->d.path, "ring", 64, 16));
	ASSERT_EQ(0, attach(self->d.path, BYTEOR_ROLE_PRODUCER, 0, &tx));
	ASSERT_EQ(0, attach(self->d.path, BYTEOR_ROLE_CONSUMER, 0, &rx));
	EXPECT_EQ(-EBUSY, attach(self->d.path, BYTEOR_ROLE_PRODUCER, 0, &tx2));
	EXPECT_EQ(-EBUSY, attach(self->d.path, BYTEOR_ROLE_CONSUMER, 0, &tx2));
	ASSERT_EQ(0, attach(self->d.path, BYTEOR_ROLE_OBSERVER, 0, &obs));
	o.flags = BYTEOR_ATTACH_OBSERVER;
	ASSERT_EQ(0, byteor_attach_single_ring(&o, BYTEOR_ROLE_OBSERVER, &obs2));
	EXPECT_EQ(-EINVAL, byteor_attach_single_ring(&o, BYTEOR_ROLE_PRODUCER, &tx2));
	o.flags = 0;
	EXPECT_EQ(-EINVAL, byteor_attach_single_ring(&o, BYTEOR_ROLE_ROUTER, &tx2));
	o.queue = 1;
	EXPECT_EQ(-EINVAL, byteor_attach_single_ring(&o, BYTEOR_ROLE_PRODUCER, &tx2));
	EXPECT_EQ(-EINVAL, byteor_attach_single_ring(NULL, BYTEOR_ROLE_PRODUCER, &tx2));

	/* Each call checks the handle's role. */
	EXPECT_EQ(-EBADF, byteor_single_ring_claim(rx, &s, 1));
	EXPECT_EQ(-EBADF, byteor_single_ring_peek(tx, &s, 1));
	EXPECT_EQ(-EBADF, byteor_single_ring_release(obs, 1));
	EXPECT_EQ(-EBADF, byteor_single_ring_send(obs, "x", 1));
	EXPECT_EQ(-EBADF, byteor_single_ring_peer_alive(obs));
	EXPECT_EQ(1, byteor_single_ring_peer_alive(tx));
	EXPECT_EQ(1, byteor_single_ring_peer_alive(rx));
	EXPECT_EQ(64, byteor_single_ring_slot_size(obs));
	EXPECT_EQ(16, byteor_single_ring_capacity(obs));

	/* A detached role is free again. */
	byteor_single_ring_detach(tx);
	EXPECT_EQ(0, byteor_single_ring_peer_alive(rx));
	ASSERT_EQ(0, attach(self->d.path, BYTEOR_ROLE_PRODUCER, 0, &tx));
	byteor_single_ring_detach(tx);
	byteor_single_ring_detach(rx);
	byteor_single_ring_detach(obs);
	byteor_single_ring_detach(obs2);
}

TEST_F(ring, attach_rejects_other_kinds)
{
	struct byteor_single_ring *r;

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, lt_create_events(self->d.path, "ring", 64, 16, 1, 1, 0));
	EXPECT_EQ(-EPROTO, attach(self->d.path, BYTEOR_ROLE_CONSUMER, 0, &r));
	EXPECT_EQ(-ENOENT, byteor_attach_single_ring(
		&(struct byteor_attach_options){ .name = "nope",
			.backing = BYTEOR_BACKING_USER, .dir = self->d.path },
		BYTEOR_ROLE_CONSUMER, &r));
}

TEST_F(ring, empty_is_eagain_and_full_is_eagain)
{
	struct byteor_single_ring *tx, *rx;
	struct byteor_slot s[32];
	char buf[64];
	int i;

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, lt_create_ring(self->d.path, "ring", 64, 16));
	ASSERT_EQ(0, attach(self->d.path, BYTEOR_ROLE_PRODUCER, 0, &tx));
	ASSERT_EQ(0, attach(self->d.path, BYTEOR_ROLE_CONSUMER, 0, &rx));
	EXPECT_EQ(-EAGAIN, byteor_single_ring_peek(rx, s, 1));
	EXPECT_EQ(-EAGAIN, byteor_single_ring_recv(rx, buf, sizeof(buf)));
	EXPECT_EQ(-EINVAL, byteor_single_ring_release(rx, 1));
	for (i = 0; i < 16; i++)
		ASSERT_EQ(0, byteor_single_ring_send(tx, &i, sizeof(i)));
	EXPECT_EQ(-EAGAIN, byteor_single_ring_send(tx, &i, sizeof(i)));
	EXPECT_EQ(-EAGAIN, byteor_single_ring_claim(tx, s, 1));
	EXPECT_EQ(0, byteor_single_ring_claim(tx, s, 0));
	/* One slot freed: exactly one claimable, even when asking for 32. */
	ASSERT_EQ(4, byteor_single_ring_recv(rx, buf, sizeof(buf)));
	ASSERT_EQ(1, byteor_single_ring_claim(tx, s, 32));
	ASSERT_EQ(1, byteor_single_ring_publish(tx, NULL, 1));
	/* Full slot_size lengths from a NULL publish. */
	for (i = 1; i < 16; i++)
		ASSERT_EQ(4, byteor_single_ring_recv(rx, buf, sizeof(buf)));
	ASSERT_EQ(64, byteor_single_ring_recv(rx, buf, sizeof(buf)));
	EXPECT_EQ(-EAGAIN, byteor_single_ring_recv(rx, buf, sizeof(buf)));
	byteor_single_ring_detach(tx);
	byteor_single_ring_detach(rx);
}

TEST_F(ring, batch_claim_publish_and_peek_release)
{
	struct byteor_single_ring *tx, *rx;
	struct byteor_slot s[8], r[8];
	int i;

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, lt_create_ring(self->d.path, "ring", 64, 8));
	ASSERT_EQ(0, attach(self->d.path, BYTEOR_ROLE_PRODUCER, 0, &tx));
	ASSERT_EQ(0, attach(self->d.path, BYTEOR_ROLE_CONSUMER, 0, &rx));
	ASSERT_EQ(5, byteor_single_ring_claim(tx, s, 5));
	for (i = 0; i < 5; i++) {
		EXPECT_EQ(64, s[i].len);
		memset(s[i].data, 'a' + i, 64);
		s[i].len = i + 1;
	}
	/* One claim at a time. */
	EXPECT_EQ(-EBUSY, byteor_single_ring_claim(tx, s + 5, 1));
	/* Too many, or a length above the slot: nothing is published. */
	EXPECT_EQ(-EINVAL, byteor_single_ring_publish(tx, s, 6));
	s[2].len = 65;
	EXPECT_EQ(-EINVAL, byteor_single_ring_publish(tx, s, 3));
	EXPECT_EQ(-EAGAIN, byteor_single_ring_peek(rx, r, 8));
	s[2].len = 3;
	/* Publish 3 of the 5; the other two stay claimed. */
	ASSERT_EQ(3, byteor_single_ring_publish(tx, s, 3));
	ASSERT_EQ(3, byteor_single_ring_peek(rx, r, 8));
	EXPECT_EQ(-EBUSY, byteor_single_ring_claim(tx, s, 1));
	ASSERT_EQ(2, byteor_single_ring_publish(tx, s + 3, 2));
	ASSERT_EQ(5, byteor_single_ring_peek(rx, r, 8));
	for (i = 0; i < 5; i++) {
		EXPECT_EQ(i + 1, r[i].len);
		EXPECT_EQ('a' + i, ((char *)r[i].data)[0]);
	}
	/* Peek again: same slots until released. */
	ASSERT_EQ(2, byteor_single_ring_peek(rx, r, 2));
	EXPECT_EQ('a', ((char *)r[0].data)[0]);
	EXPECT_EQ(-EINVAL, byteor_single_ring_release(rx, 6));
	ASSERT_EQ(2, byteor_single_ring_release(rx, 2));
	ASSERT_EQ(3, byteor_single_ring_peek(rx, r, 8));
	EXPECT_EQ('c', ((char *)r[0].data)[0]);
	ASSERT_EQ(3, byteor_single_ring_release(rx, 3));
	/* The ring wraps: 8 more fit, the claim ends at the ring's end. */
	ASSERT_EQ(8, byteor_single_ring_claim(tx, s, 8));
	ASSERT_EQ(8, byteor_single_ring_publish(tx, NULL, 8));
	byteor_single_ring_detach(tx);
	byteor_single_ring_detach(rx);
}

TEST_F(ring, order_and_content_survive_many_wraps)
{
	const __u32 slot = 120, cap = 16;
	unsigned long long total = lt_scaled(400000, 20000), sent = 0;
	struct byteor_single_ring *tx, *rx;
	struct byteor_slot s[cap];
	__u64 next = 0;
	unsigned int seed = 1;
	int n, i;

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, lt_create_ring(self->d.path, "ring", slot, cap));
	ASSERT_EQ(0, attach(self->d.path, BYTEOR_ROLE_PRODUCER, 0, &tx));
	ASSERT_EQ(0, attach(self->d.path, BYTEOR_ROLE_CONSUMER, 0, &rx));
	while (next < total) {
		/* Random batch sizes on both sides, so every offset wraps. */
		n = 1 + rand_r(&seed) % cap;
		if ((unsigned long long)n > total - sent)
			n = (int)(total - sent);
		n = byteor_single_ring_claim(tx, s, n);
		if (n > 0) {
			for (i = 0; i < n; i++)
				s[i].len = lt_fill(s[i].data, 0, sent++, slot);
			ASSERT_EQ(n, byteor_single_ring_publish(tx, s, n));
		} else if (sent < total) {
			ASSERT_EQ(-EAGAIN, n);
		}
		n = byteor_single_ring_peek(rx, s, 1 + rand_r(&seed) % cap);
		if (n == -EAGAIN)
			continue;
		ASSERT_LT(0, n);
		for (i = 0; i < n; i++) {
			const char *why = lt_check(s[i].data, s[i].len, slot, &next, 1);

			ASSERT_EQ(NULL, why) TH_LOG("event %llu: %s",
						    (unsigned long long)next, why);
		}
		ASSERT_EQ(n, byteor_single_ring_release(rx, n));
	}
	EXPECT_EQ(total, next);
	byteor_single_ring_detach(tx);
	byteor_single_ring_detach(rx);
}

TEST_F(ring, timeouts_are_etimedout)
{
	struct byteor_single_ring *tx, *rx;
	struct byteor_slot s;
	long long t0, dt;
	char buf[8];
	int i;

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, lt_create_ring(self->d.path, "ring", 8, 4));
	/* Default timeout from the options: 30 ms. */
	ASSERT_EQ(0, attach(self->d.path, BYTEOR_ROLE_PRODUCER, 30000000, &tx));
	ASSERT_EQ(0, attach(self->d.path, BYTEOR_ROLE_CONSUMER, 30000000, &rx));
	t0 = lt_now_ns();
	EXPECT_EQ(-ETIMEDOUT, byteor_single_ring_recv(rx, buf, sizeof(buf)));
	dt = lt_now_ns() - t0;
	EXPECT_GE(dt, 30000000);
	EXPECT_LT(dt, 2000000000);
	t0 = lt_now_ns();
	EXPECT_EQ(-ETIMEDOUT, byteor_single_ring_peek_timed(rx, &s, 1, 50000000));
	EXPECT_GE(lt_now_ns() - t0, 50000000);
	/* Non-blocking explicitly, despite the default. */
	EXPECT_EQ(-EAGAIN, byteor_single_ring_recv_timed(rx, buf, sizeof(buf), 0));
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, byteor_single_ring_send(tx, buf, 8));
	t0 = lt_now_ns();
	EXPECT_EQ(-ETIMEDOUT, byteor_single_ring_send(tx, buf, 8));
	EXPECT_GE(lt_now_ns() - t0, 30000000);
	EXPECT_EQ(-ETIMEDOUT, byteor_single_ring_claim_timed(tx, &s, 1, 1000000));
	EXPECT_EQ(-EAGAIN, byteor_single_ring_claim_timed(tx, &s, 1, 0));
	byteor_single_ring_detach(tx);
	byteor_single_ring_detach(rx);
}

/*
 * A consumer blocked on an empty ring parks: over an idle second it spins
 * once, then only parks.  The lane waits in slices (to check its peer
 * between them); each slice after the first must park at once, not spin
 * again.  The counters say so exactly; the CPU bound only catches a spin
 * (a spinning consumer burns the whole second) and is loose on purpose:
 * a loaded CI host multiplies the cost of each park several-fold.
 */
TEST_F(ring, parked_consumer_uses_no_cpu_while_idle)
{
	struct byteor_single_ring_snapshot snap;
	struct byteor_single_ring *tx, *rx;
	struct timespec c0, c1;
	long long cpu_ns;
	char buf[8];

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, lt_create_ring(self->d.path, "ring", 8, 4));
	ASSERT_EQ(0, attach(self->d.path, BYTEOR_ROLE_PRODUCER, 0, &tx));
	ASSERT_EQ(0, attach(self->d.path, BYTEOR_ROLE_CONSUMER, 0, &rx));
	ASSERT_EQ(0, clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0));
	EXPECT_EQ(-ETIMEDOUT,
		  byteor_single_ring_recv_timed(rx, buf, sizeof(buf), 1000000000));
	ASSERT_EQ(0, clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1));
	cpu_ns = (c1.tv_sec - c0.tv_sec) * 1000000000LL +
		 (c1.tv_nsec - c0.tv_nsec);
	ASSERT_EQ(0, byteor_single_ring_snapshot(rx, &snap));
	TH_LOG("idle 1 s: %lld us CPU, %llu spins, %llu yields, %llu parks, %llu slices",
	       cpu_ns / 1000, (unsigned long long)snap.wait.spins,
	       (unsigned long long)snap.wait.yields,
	       (unsigned long long)snap.wait.parks,
	       (unsigned long long)snap.wait.slices);
	/* One spin stage (busy + pause checks, a few yields), never two. */
	EXPECT_LE(snap.wait.spins, 64ULL + 1024ULL + 8ULL);
	EXPECT_LE(snap.wait.yields, 8ULL);
	/*
	 * Lane slices of 20 ms doubling to 160 ms, eventcount slices of
	 * 100 ms within them: over 1 s some 15 parks, each one a sleep.
	 */
	EXPECT_LE(1ULL, snap.wait.parks);
	EXPECT_LE(snap.wait.parks, 32ULL);
	EXPECT_LT(cpu_ns, LT_SCALE_DEFAULT < 1.0 ? 250000000LL : 100000000LL);
	byteor_single_ring_detach(tx);
	byteor_single_ring_detach(rx);
}

TEST_F(ring, message_sizes_are_checked)
{
	struct byteor_single_ring *tx, *rx;
	char big[200], buf[64];

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, lt_create_ring(self->d.path, "ring", 64, 4));
	ASSERT_EQ(0, attach(self->d.path, BYTEOR_ROLE_PRODUCER, 0, &tx));
	ASSERT_EQ(0, attach(self->d.path, BYTEOR_ROLE_CONSUMER, 0, &rx));
	memset(big, 'x', sizeof(big));
	EXPECT_EQ(-EMSGSIZE, byteor_single_ring_send(tx, big, 65));
	ASSERT_EQ(0, byteor_single_ring_send(tx, big, 64));
	ASSERT_EQ(0, byteor_single_ring_send(tx, big, 0));
	/* Too small a buffer: -EMSGSIZE and the message stays. */
	EXPECT_EQ(-EMSGSIZE, byteor_single_ring_recv(rx, buf, 63));
	EXPECT_EQ(64, byteor_single_ring_recv(rx, buf, 64));
	EXPECT_EQ(0, byteor_single_ring_recv(rx, buf, 64));
	byteor_single_ring_detach(tx);
	byteor_single_ring_detach(rx);
}

/* Offsets of the shared parts, as a peer scribbling on them sees them. */
static off_t ring_ctl_off(const char *dir)
{
	struct byteor_region_info info;

	if (byteor_region_info("ring", BYTEOR_BACKING_USER, dir, &info))
		return -1;
	return (off_t)info.layout.area_off[BYTEOR_AREA_CONTROL];
}

static off_t ring_slot_off(const char *dir, unsigned int i)
{
	struct byteor_region_info info;

	if (byteor_region_info("ring", BYTEOR_BACKING_USER, dir, &info))
		return -1;
	return (off_t)(info.layout.area_off[BYTEOR_AREA_SLOTS] +
		       (__u64)i * info.layout.slot_stride);
}

TEST_F(ring, corrupt_length_is_ebadmsg_and_dropped)
{
	struct byteor_single_ring *tx, *rx;
	struct byteor_slot s[4];
	__u32 evil = 1000000;
	char buf[64];

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, lt_create_ring(self->d.path, "ring", 64, 4));
	ASSERT_EQ(0, attach(self->d.path, BYTEOR_ROLE_PRODUCER, 0, &tx));
	ASSERT_EQ(0, attach(self->d.path, BYTEOR_ROLE_CONSUMER, 0, &rx));
	ASSERT_EQ(0, byteor_single_ring_send(tx, "one", 3));
	ASSERT_EQ(0, byteor_single_ring_send(tx, "two", 3));
	ASSERT_EQ(0, byteor_single_ring_send(tx, "three", 5));
	ASSERT_EQ(0, ht_scribble(self->d.path, "ring", ring_slot_off(self->d.path, 1),
				 &evil, sizeof(evil)));
	/* A batch stops before the corrupt slot. */
	ASSERT_EQ(1, byteor_single_ring_peek(rx, s, 4));
	ASSERT_EQ(3, byteor_single_ring_recv(rx, buf, sizeof(buf)));
	EXPECT_EQ(-EBADMSG, byteor_single_ring_peek(rx, s, 4));
	/* recv drops it and the next one comes through. */
	EXPECT_EQ(-EBADMSG, byteor_single_ring_recv(rx, buf, sizeof(buf)));
	ASSERT_EQ(5, byteor_single_ring_recv(rx, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "three", 5));
	byteor_single_ring_detach(tx);
	byteor_single_ring_detach(rx);
}

TEST_F(ring, scribbled_positions_are_ebadmsg_then_heal)
{
	struct byteor_single_ring *tx, *rx;
	__u64 evil = 1ULL << 40;
	off_t ctl;
	char buf[64];
	int i;

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, lt_create_ring(self->d.path, "ring", 64, 4));
	ASSERT_EQ(0, attach(self->d.path, BYTEOR_ROLE_PRODUCER, 0, &tx));
	ASSERT_EQ(0, attach(self->d.path, BYTEOR_ROLE_CONSUMER, 0, &rx));
	ctl = ring_ctl_off(self->d.path);
	ASSERT_LT(0, ctl);
	ASSERT_EQ(0, byteor_single_ring_send(tx, "a", 1));
	/* The producer position (control block offset 0) jumps far ahead. */
	ASSERT_EQ(0, ht_scribble(self->d.path, "ring", ctl, &evil, sizeof(evil)));
	EXPECT_EQ(-EBADMSG, byteor_single_ring_recv(rx, buf, sizeof(buf)));
	EXPECT_EQ(-EBADMSG, byteor_single_ring_recv(rx, buf, sizeof(buf)));
	/* The producer's next publish re-asserts its position. */
	ASSERT_EQ(0, byteor_single_ring_send(tx, "b", 1));
	EXPECT_EQ(1, byteor_single_ring_recv(rx, buf, sizeof(buf)));
	EXPECT_EQ('a', buf[0]);
	EXPECT_EQ(1, byteor_single_ring_recv(rx, buf, sizeof(buf)));
	EXPECT_EQ('b', buf[0]);
	/*
	 * The consumer position (offset 128) jumps while the ring is full:
	 * the producer adopts it (-EBADMSG once), the consumer sees a
	 * producer far ahead (-EBADMSG) and re-asserts its own, the producer
	 * adopts that: the ring restarts empty at the consumer's position,
	 * the four messages in flight are lost, and the lane goes on.
	 */
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, byteor_single_ring_send(tx, "c", 1));
	ASSERT_EQ(0, ht_scribble(self->d.path, "ring", ctl + 128, &evil, sizeof(evil)));
	EXPECT_EQ(-EBADMSG, byteor_single_ring_send(tx, "d", 1));
	EXPECT_EQ(-EBADMSG, byteor_single_ring_recv(rx, buf, sizeof(buf)));
	EXPECT_EQ(-EBADMSG, byteor_single_ring_send(tx, "d", 1));
	EXPECT_EQ(0, byteor_single_ring_send(tx, "d", 1));
	EXPECT_EQ(1, byteor_single_ring_recv(rx, buf, sizeof(buf)));
	EXPECT_EQ('d', buf[0]);
	EXPECT_EQ(-EAGAIN, byteor_single_ring_recv(rx, buf, sizeof(buf)));
	byteor_single_ring_detach(tx);
	byteor_single_ring_detach(rx);
}

TEST_F(ring, snapshot_reports_positions_claims_and_waiters)
{
	struct byteor_single_ring *tx, *rx, *obs;
	struct byteor_single_ring_snapshot s;
	char buf[8];
	int i;

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, lt_create_ring(self->d.path, "ring", 8, 8));
	ASSERT_EQ(0, attach(self->d.path, BYTEOR_ROLE_OBSERVER, 0, &obs));
	ASSERT_EQ(0, byteor_single_ring_snapshot(obs, &s));
	EXPECT_EQ(0, s.producer_pos);
	EXPECT_EQ(0, s.producer_alive);
	EXPECT_EQ(0, s.consumer_alive);
	EXPECT_EQ(8, s.capacity);
	EXPECT_EQ(8, s.slot_size);
	ASSERT_EQ(0, attach(self->d.path, BYTEOR_ROLE_PRODUCER, 0, &tx));
	ASSERT_EQ(0, attach(self->d.path, BYTEOR_ROLE_CONSUMER, 0, &rx));
	for (i = 0; i < 5; i++)
		ASSERT_EQ(0, byteor_single_ring_send(tx, buf, 8));
	ASSERT_EQ(8, byteor_single_ring_recv(rx, buf, 8));
	ASSERT_EQ(0, byteor_single_ring_snapshot(obs, &s));
	EXPECT_EQ(5, s.producer_pos);
	EXPECT_EQ(1, s.consumer_pos);
	EXPECT_EQ(4, s.occupancy);
	EXPECT_EQ(1, s.producer_alive);
	EXPECT_EQ(1, s.consumer_alive);
	EXPECT_EQ(getpid(), s.producer_pid);
	EXPECT_EQ(getpid(), s.consumer_pid);
	EXPECT_EQ(1, s.producer_attaches);
	EXPECT_EQ(1, s.consumer_attaches);
	EXPECT_EQ(0, s.flags);
	EXPECT_LT(0, s.park_path);
	/* The consumer's own snapshot carries its waiter's counters. */
	for (i = 0; i < 4; i++)
		ASSERT_EQ(8, byteor_single_ring_recv(rx, buf, 8));
	ASSERT_EQ(-ETIMEDOUT, byteor_single_ring_recv_timed(rx, buf, 8, 5000000));
	ASSERT_EQ(0, byteor_single_ring_snapshot(rx, &s));
	EXPECT_LT(0, s.wait.spins);
	EXPECT_EQ(0, s.occupancy);
	byteor_single_ring_detach(tx);
	ASSERT_EQ(0, byteor_single_ring_snapshot(obs, &s));
	EXPECT_EQ(0, s.producer_alive);
	byteor_single_ring_detach(rx);
	byteor_single_ring_detach(obs);
}

struct pc_arg {
	const char *dir;
	unsigned long long n;
	int batch;
	int ret;
};

static void *producer_thread(void *p)
{
	struct pc_arg *a = p;
	struct byteor_single_ring *tx;
	struct byteor_slot s[16];
	unsigned long long seq = 0;
	char buf[64];
	int n, i;

	a->ret = attach(a->dir, BYTEOR_ROLE_PRODUCER, 10000000000LL, &tx);
	if (a->ret)
		return NULL;
	while (seq < a->n) {
		if (!a->batch) {
			__u32 len = lt_fill(buf, 0, seq, 64);

			a->ret = byteor_single_ring_send(tx, buf, len);
			if (a->ret)
				break;
			seq++;
			continue;
		}
		n = byteor_single_ring_claim(tx, s, a->n - seq < 16 ?
					     (unsigned int)(a->n - seq) : 16);
		if (n < 0) {
			a->ret = n;
			break;
		}
		for (i = 0; i < n; i++)
			s[i].len = lt_fill(s[i].data, 0, seq++, 64);
		byteor_single_ring_publish(tx, s, n);
	}
	if (a->ret)
		fprintf(stderr, "# producer: %s at %llu\n", byteor_strerror(a->ret),
			seq);
	byteor_single_ring_detach(tx);
	return NULL;
}

/*
 * Producer and consumer threads, blocking both ways through a small ring:
 * each side waits for the other many times (ThreadSanitizer checks the
 * ordering of the library's atomics here).
 */
/*
 * In-slot publication (byteor/lane_inline.h): a published slot carries its
 * lap tag, and a consumer takes it by the tag even while the producer's
 * position does not show it yet - the window inside a publish, emulated by
 * putting the shared position back - and a snapshot taken in that window
 * sees a publish in flight, not corruption.
 */
TEST_F(ring, a_slot_is_proven_published_by_its_tag_before_the_position)
{
	struct byteor_single_ring_snapshot snap;
	struct byteor_single_ring *tx, *rx;
	struct __byteor_spsc *pq;
	struct byteor_slot s;
	__u64 next = 0;
	__u32 tag;

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, lt_create_ring(self->d.path, "ring", 64, 8));
	ASSERT_EQ(0, attach(self->d.path, BYTEOR_ROLE_PRODUCER, 0, &tx));
	ASSERT_EQ(0, attach(self->d.path, BYTEOR_ROLE_CONSUMER, 0, &rx));
	pq = (struct __byteor_spsc *)tx;

	ASSERT_EQ(1, byteor_single_ring_claim(tx, &s, 1));
	s.len = lt_fill(s.data, 0, 0, 64);
	ASSERT_EQ(1, byteor_single_ring_publish(tx, &s, 1));
	memcpy(&tag, (unsigned char *)s.data - BYTEOR_SLOT_HEADER + 4, sizeof(tag));
	EXPECT_EQ(0x80000000U, tag);		/* lap 0, bit 31: never 0 */
	__atomic_store_n(pq->mine, 0, __ATOMIC_RELEASE);	/* "not yet" */

	ASSERT_EQ(1, byteor_single_ring_peek(rx, &s, 1));
	EXPECT_EQ(NULL, lt_check(s.data, s.len, 64, &next, 1));
	ASSERT_EQ(1, byteor_single_ring_release(rx, 1));
	ASSERT_EQ(0, byteor_single_ring_snapshot(tx, &snap));
	EXPECT_EQ(0U, snap.flags & BYTEOR_SNAP_F_CORRUPT);
	EXPECT_EQ(0ULL, snap.occupancy);
	EXPECT_EQ(-EAGAIN, byteor_single_ring_peek(rx, &s, 1));

	/* The position catches up; the lane goes on, round the ring twice. */
	__atomic_store_n(pq->mine, 1, __ATOMIC_RELEASE);
	for (; next < 17; ) {
		ASSERT_EQ(1, byteor_single_ring_claim(tx, &s, 1));
		s.len = lt_fill(s.data, 0, next, 64);
		ASSERT_EQ(1, byteor_single_ring_publish(tx, &s, 1));
		ASSERT_EQ(1, byteor_single_ring_peek(rx, &s, 1));
		ASSERT_EQ(NULL, lt_check(s.data, s.len, 64, &next, 1));
		ASSERT_EQ(1, byteor_single_ring_release(rx, 1));
	}
	memcpy(&tag, (unsigned char *)s.data - BYTEOR_SLOT_HEADER + 4, sizeof(tag));
	EXPECT_EQ(0x80000002U, tag);		/* position 16: lap 2 */
	byteor_single_ring_detach(tx);
	byteor_single_ring_detach(rx);
}

/*
 * A producer killed inside a publish, after tagging its slots and before
 * storing its position (emulated: the position put back, the handle
 * detached): its tagged messages are whole and count as published; the
 * next producer starts after them - nothing lost, nothing overwritten.
 */
TEST_F(ring, a_new_producer_continues_after_a_dead_ones_tagged_slots)
{
	struct byteor_single_ring *a, *b, *rx;
	struct byteor_slot s[4];
	__u64 seq = 0, next = 0;
	int i, n;

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, lt_create_ring(self->d.path, "ring", 64, 8));
	ASSERT_EQ(0, attach(self->d.path, BYTEOR_ROLE_PRODUCER, 0, &a));
	ASSERT_EQ(0, attach(self->d.path, BYTEOR_ROLE_CONSUMER, 0, &rx));
	ASSERT_EQ(2, byteor_single_ring_claim(a, s, 2));
	for (i = 0; i < 2; i++)
		s[i].len = lt_fill(s[i].data, 0, seq++, 64);
	ASSERT_EQ(2, byteor_single_ring_publish(a, s, 2));
	ASSERT_EQ(1, byteor_single_ring_peek(rx, s, 1));
	ASSERT_EQ(NULL, lt_check(s[0].data, s[0].len, 64, &next, 1));
	ASSERT_EQ(1, byteor_single_ring_release(rx, 1));

	/* Three more, tagged, but the position stays at 2: A dies. */
	ASSERT_EQ(3, byteor_single_ring_claim(a, s, 3));
	for (i = 0; i < 3; i++)
		s[i].len = lt_fill(s[i].data, 0, seq++, 64);
	ASSERT_EQ(3, byteor_single_ring_publish(a, s, 3));
	__atomic_store_n(((struct __byteor_spsc *)a)->mine, 2, __ATOMIC_RELEASE);
	byteor_single_ring_detach(a);

	ASSERT_EQ(0, attach(self->d.path, BYTEOR_ROLE_PRODUCER, 0, &b));
	ASSERT_EQ(2, byteor_single_ring_claim(b, s, 2));
	for (i = 0; i < 2; i++)
		s[i].len = lt_fill(s[i].data, 0, seq++, 64);
	ASSERT_EQ(2, byteor_single_ring_publish(b, s, 2));

	/* The consumer: 1, A's 2..4, then B's 5, 6 - in order, once each. */
	while ((n = byteor_single_ring_peek(rx, s, 4)) > 0) {
		for (i = 0; i < n; i++)
			ASSERT_EQ(NULL, lt_check(s[i].data, s[i].len, 64, &next, 1));
		ASSERT_EQ(n, byteor_single_ring_release(rx, (unsigned int)n));
	}
	EXPECT_EQ(-EAGAIN, n);
	EXPECT_EQ(seq, next);
	byteor_single_ring_detach(b);
	byteor_single_ring_detach(rx);
}

TEST_F(ring, threads_block_both_ways_without_loss)
{
	struct pc_arg a = { .dir = self->d.path, .n = lt_scaled(300000, 20000) };
	struct byteor_single_ring *rx;
	struct byteor_slot s[16];
	pthread_t th;
	__u64 next = 0;
	char buf[64];
	int n, i, batch;

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, lt_create_ring(self->d.path, "ring", 64, 8));
	for (batch = 0; batch < 2; batch++) {
		next = 0;
		a.batch = batch;
		ASSERT_EQ(0, attach(self->d.path, BYTEOR_ROLE_CONSUMER,
				    10000000000LL, &rx));
		ASSERT_EQ(0, pthread_create(&th, NULL, producer_thread, &a));
		while (next < a.n) {
			if (!batch) {
				n = byteor_single_ring_recv(rx, buf, sizeof(buf));
				ASSERT_LE(0, n) TH_LOG("recv: %s", byteor_strerror(n));
				ASSERT_EQ(NULL, lt_check(buf, n, 64, &next, 1));
				continue;
			}
			n = byteor_single_ring_peek(rx, s, 16);
			ASSERT_LT(0, n) TH_LOG("peek: %s", byteor_strerror(n));
			for (i = 0; i < n; i++)
				ASSERT_EQ(NULL, lt_check(s[i].data, s[i].len, 64,
							 &next, 1));
			byteor_single_ring_release(rx, n);
		}
		pthread_join(th, NULL);
		EXPECT_EQ(0, a.ret);
		byteor_single_ring_detach(rx);
	}
}

TEST_HARNESS_MAIN
