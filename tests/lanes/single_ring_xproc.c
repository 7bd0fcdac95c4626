// SPDX-License-Identifier: GPL-2.0-only
/*
 * single_ring_xproc - the single ring between processes, on the host's
 * userspace backing (program single_ring_xproc) and on the kernel backing
 * in the QEMU guests (program lanes_single_ring); see lanes_env.h.
 *
 * Every way of using it (copying, batch, the two mixed across
 * wrap-arounds) validated at the consumer (order, content, lengths; a
 * child exits non-zero at the first violation): 10 million events each on
 * the host (BYTEOR_TEST_SCALE scales them), 100k-300k in the guest; dead
 * producers and consumers (SIGKILL mid-stream, between claim and publish),
 * role claims released by SIGKILL, a new producer taking over.  Kernel
 * backing only: the library's mapping uses 2 MiB pages; an attach naming a
 * geometry the region does not have is refused by the kernel (-EBADMSG,
 * counted), a wrong kind is -EPROTO.
 */
#include <stddef.h>
#include <sys/syscall.h>
#include "lanes_env.h"
#include "../common/seccomp_filter.h"

#define SLOT		64
#define CAP		LE_PICK(1024, 256)
#define XP_TIMEOUT	LE_TIMEOUT_NS

FIXTURE(xring) {
	struct le_env env;
	const char *name;
	struct byteor_region_info info;
};

FIXTURE_SETUP(xring)
{
	struct byteor_geometry g = le_geom(SLOT, CAP, 1, 1);

	LE_SETUP(&self->env);
	self->name = le_name(&self->env, "ring");
	ASSERT_EQ(0, le_create(&self->env, self->name, BYTEOR_KIND_SINGLE_RING,
			       &g, &self->info));
	ASSERT_EQ((__u32)CAP, self->info.geometry.capacity);
}

FIXTURE_TEARDOWN(xring)
{
	le_teardown(&self->env);
}

static struct byteor_single_ring *xp_attach(const struct le_env *env,
					    const char *name, int role,
					    long long timeout_ns)
{
	struct byteor_attach_options o = le_opts(env, name, 0, timeout_ns);
	struct byteor_single_ring *r;
	int ret = byteor_attach_single_ring(&o, role, &r);

	if (ret)
		LE_DIE(2, "attach role %d: %s", role, byteor_strerror(ret));
	return r;
}

#define EVENTS		300000ULL

/*
 * Producer child: @count events; every fourth batch copying (send), the
 * others zero-copy claims of 1..32 slots, so batches straddle the wrap.
 */
static void sr_produce(const struct le_env *env, const char *name, __u64 count)
{
	struct byteor_single_ring *tx = xp_attach(env, name, BYTEOR_ROLE_PRODUCER,
						     XP_TIMEOUT);
	struct byteor_slot s[32];
	unsigned char buf[SLOT];
	__u64 seq = 0;
	int n, i, ret;

	while (seq < count) {
		if ((seq & 3) == 0) {
			ret = byteor_single_ring_send(tx, buf,
						      lp_fill(buf, 0, seq, SLOT));
			if (ret)
				LE_DIE(3, "send %llu: %s", (unsigned long long)seq,
				       byteor_strerror(ret));
			seq++;
			continue;
		}
		n = 1 + (int)(seq % 32);
		if ((__u64)n > count - seq)
			n = (int)(count - seq);
		n = byteor_single_ring_claim(tx, s, n);
		if (n < 1)
			LE_DIE(3, "claim %llu: %s", (unsigned long long)seq,
			       byteor_strerror(n));
		for (i = 0; i < n; i++)
			s[i].len = lp_fill(s[i].data, 0, seq++, SLOT);
		ret = byteor_single_ring_publish(tx, s, n);
		if (ret != n)
			LE_DIE(3, "publish: %d", ret);
	}
	byteor_single_ring_detach(tx);
	_exit(0);
}

/* Consumer child: everything, checked, then -EPIPE once the producer left. */
static void sr_consume(const struct le_env *env, const char *name, __u64 count, __u64 *got)
{
	struct byteor_single_ring *rx = xp_attach(env, name, BYTEOR_ROLE_CONSUMER,
						     XP_TIMEOUT);
	struct byteor_slot s[32];
	unsigned char buf[SLOT];
	__u64 next = 0;
	const char *why;
	int n, i;

	while (next < count) {
		if (next & 1) {	/* alternate copying and in-place reads */
			n = byteor_single_ring_recv(rx, buf, sizeof(buf));
			if (n < 0)
				LE_DIE(4, "recv at %llu: %s", (unsigned long long)next,
				       byteor_strerror(n));
			why = lp_check(buf, (__u32)n, SLOT, &next, 1);
			if (why)
				LE_DIE(5, "event %llu: %s", (unsigned long long)next, why);
			*got = next;
			continue;
		}
		n = byteor_single_ring_peek(rx, s, 32);
		if (n < 1)
			LE_DIE(4, "peek at %llu: %s", (unsigned long long)next,
			       byteor_strerror(n));
		for (i = 0; i < n; i++) {
			why = lp_check(s[i].data, s[i].len, SLOT, &next, 1);
			if (why)
				LE_DIE(5, "event %llu: %s", (unsigned long long)next, why);
		}
		byteor_single_ring_release(rx, n);
		*got = next;
	}
	n = byteor_single_ring_peek(rx, s, 1);
	if (n != -EPIPE)
		LE_DIE(6, "after the last event: %d, want -EPIPE", n);
	byteor_single_ring_detach(rx);
	_exit(0);
}

TEST_F_TIMEOUT(xring, producer_process_to_consumer_process_in_order_across_wraps, 50)
{
	struct byteor_attach_options o = le_opts(&self->env, self->name, 0, 0);
	struct byteor_single_ring_snapshot snap;
	struct byteor_single_ring *obs;
	long long t0 = le_now_ns();
	__u64 *got = le_shared(&self->env, sizeof(*got));
	pid_t c, p;

	ASSERT_NE(NULL, got);
	c = le_fork(&self->env);
	ASSERT_LE(0, c);
	if (!c)
		sr_consume(&self->env, self->name, EVENTS, got);
	p = le_fork(&self->env);
	ASSERT_LE(0, p);
	if (!p)
		sr_produce(&self->env, self->name, EVENTS);
	EXPECT_EQ(0, le_wait(&self->env, p));
	EXPECT_EQ(0, le_wait(&self->env, c));
	EXPECT_EQ(EVENTS, *got);
	TH_LOG("%llu events through %u slots (%llu wraps) in %.2f s",
	       (unsigned long long)*got, CAP, (unsigned long long)(*got / CAP),
	       (le_now_ns() - t0) / 1e9);

	/* What the shared header says afterwards, read by an observer. */
	ASSERT_EQ(0, byteor_attach_single_ring(&o, BYTEOR_ROLE_OBSERVER, &obs));
	ASSERT_EQ(0, byteor_single_ring_snapshot(obs, &snap));
	EXPECT_EQ(EVENTS, snap.producer_pos);
	EXPECT_EQ(EVENTS, snap.consumer_pos);
	EXPECT_EQ(0U, snap.flags & BYTEOR_SNAP_F_CORRUPT);
	EXPECT_EQ(0, snap.producer_alive);
	EXPECT_EQ(0, snap.consumer_alive);
	EXPECT_EQ(1ULL, snap.producer_attaches);
	EXPECT_EQ(1ULL, snap.consumer_attaches);
	byteor_single_ring_detach(obs);
	EXPECT_EQ(0, le_destroy(&self->env, self->name));
}

#ifdef LE_KERNEL
/*
 * The library maps kernel regions with MAP_POPULATE from /dev/byteor: the
 * mapping holding the slots must be one of 2 MiB pages, in the producer's
 * process and in a consumer process alike.
 */
TEST_F(xring, library_mapping_uses_2mib_pages)
{
	struct byteor_attach_options o = le_opts(&self->env, self->name, 0, 0);
	struct byteor_single_ring *tx;
	struct byteor_slot s;
	char line[512];
	pid_t c;

	ASSERT_EQ(0, byteor_attach_single_ring(&o, BYTEOR_ROLE_PRODUCER, &tx));
	ASSERT_EQ(1, byteor_single_ring_claim(tx, &s, 1));
	EXPECT_EQ(2048, bt_smaps_kernelpagesize(s.data));
	ASSERT_EQ(0, bt_maps_line(s.data, line, sizeof(line)));
	TH_LOG("producer mapping: %s", line);
	s.len = lp_fill(s.data, 0, 0, SLOT);
	ASSERT_EQ(1, byteor_single_ring_publish(tx, &s, 1));

	c = le_fork(&self->env);
	ASSERT_LE(0, c);
	if (!c) {
		struct byteor_single_ring *rx = xp_attach(&self->env, self->name,
							  BYTEOR_ROLE_CONSUMER, XP_TIMEOUT);
		__u64 next = 0;
		long kps;

		if (byteor_single_ring_peek(rx, &s, 1) != 1)
			LE_DIE(3, "peek");
		if (lp_check(s.data, s.len, SLOT, &next, 1))
			LE_DIE(4, "bad event");
		kps = bt_smaps_kernelpagesize(s.data);
		if (kps != 2048)
			LE_DIE(5, "consumer mapping KernelPageSize %ld kB", kps);
		_exit(0);
	}
	EXPECT_EQ(0, le_wait(&self->env, c));
	byteor_single_ring_detach(tx);
}

/*
 * An attach through the library that names a geometry the region does not
 * have: the kernel refuses it (-EBADMSG, counted in attach_failures), the
 * library passes that on; the right geometry attaches.
 */
TEST_F(xring, library_attach_with_wrong_geometry_is_ebadmsg_from_kernel)
{
	struct byteor_attach_options o = le_opts(&self->env, self->name, 0, 0);
	unsigned long long fail0, fail1, ok0, ok1;
	struct byteor_geometry want;
	struct __byteor_region *r;

	memset(&want, 0, sizeof(want));
	want.slot_size = SLOT * 2;	/* the region has SLOT */
	ASSERT_EQ(0, bt_stat("attach_failures", &fail0));
	ASSERT_EQ(0, bt_stat("attaches", &ok0));
	EXPECT_EQ(-EBADMSG, __byteor_region_attach(&o, BYTEOR_KIND_SINGLE_RING, 0,
						   &want, BYTEOR_ROLE_PRODUCER, &r));
	ASSERT_EQ(0, bt_stat("attach_failures", &fail1));
	EXPECT_EQ(fail0 + 1, fail1);

	want.slot_size = 0;
	want.capacity = CAP / 2;
	EXPECT_EQ(-EBADMSG, __byteor_region_attach(&o, BYTEOR_KIND_SINGLE_RING, 0,
						   &want, BYTEOR_ROLE_CONSUMER, &r));
	ASSERT_EQ(0, bt_stat("attach_failures", &fail1));
	EXPECT_EQ(fail0 + 2, fail1);

	/* The region's own geometry is accepted: the refusals were about it. */
	want.slot_size = SLOT;
	want.capacity = CAP;
	want.queues = 1;
	want.producers = 1;
	ASSERT_EQ(0, __byteor_region_attach(&o, BYTEOR_KIND_SINGLE_RING, 0,
					    &want, BYTEOR_ROLE_PRODUCER, &r));
	EXPECT_EQ(BYTEOR_BACKING_KERNEL, r->backing);
	ASSERT_EQ(0, bt_stat("attaches", &ok1));
	EXPECT_EQ(ok0 + 1, ok1);
	__byteor_region_detach(r);

	/* A kind mismatch is the kernel's -EPROTO, through the public API. */
	{
		struct byteor_events *e;

		EXPECT_EQ(-EPROTO, byteor_attach_events_rx(&o, &e));
		ASSERT_EQ(0, bt_stat("attach_failures", &fail1));
		EXPECT_EQ(fail0 + 3, fail1);
	}
}
#endif /* LE_KERNEL */

/* Producer child: events [from, to) of producer 0, copying or in batches. */
static void xp_produce(const struct le_env *env, const char *name, int cpu, __u64 from, __u64 to,
		       bool batch)
{
	struct byteor_single_ring *tx;
	struct byteor_slot s[32];
	unsigned char buf[SLOT];
	__u64 seq = from;
	int n, i, ret;

	le_pin(cpu);
	tx = xp_attach(env, name, BYTEOR_ROLE_PRODUCER, XP_TIMEOUT);
	while (seq < to) {
		if (!batch) {
			__u32 len = lp_fill(buf, 0, seq, SLOT);

			ret = byteor_single_ring_send(tx, buf, len);
			if (ret)
				LE_DIE(3, "send %llu: %s", (unsigned long long)seq,
				       byteor_strerror(ret));
			seq++;
			continue;
		}
		n = byteor_single_ring_claim(tx, s, to - seq < 32 ?
					     (unsigned int)(to - seq) : 32);
		if (n < 0)
			LE_DIE(3, "claim %llu: %s", (unsigned long long)seq,
			       byteor_strerror(n));
		for (i = 0; i < n; i++)
			s[i].len = lp_fill(s[i].data, 0, seq++, SLOT);
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
static void xp_consume(const struct le_env *env, const char *name, int cpu, __u64 from, __u64 count,
		       bool batch, bool want_epipe)
{
	struct byteor_single_ring *rx;
	struct byteor_slot s[32];
	unsigned char buf[SLOT];
	__u64 next = from, end = from + count;
	const char *why;
	int n, i;

	le_pin(cpu);
	rx = xp_attach(env, name, BYTEOR_ROLE_CONSUMER, XP_TIMEOUT);
	while (next < end) {
		if (!batch) {
			n = byteor_single_ring_recv(rx, buf, sizeof(buf));
			if (n < 0)
				LE_DIE(4, "recv at %llu: %s",
				       (unsigned long long)next, byteor_strerror(n));
			why = lp_check(buf, n, SLOT, &next, 1);
			if (why)
				LE_DIE(5, "event %llu: %s", (unsigned long long)next, why);
			continue;
		}
		n = byteor_single_ring_peek(rx, s, 32);
		if (n < 0)
			LE_DIE(4, "peek at %llu: %s", (unsigned long long)next,
			       byteor_strerror(n));
		for (i = 0; i < n; i++) {
			why = lp_check(s[i].data, s[i].len, SLOT, &next, 1);
			if (why)
				LE_DIE(5, "event %llu: %s", (unsigned long long)next, why);
		}
		byteor_single_ring_release(rx, n);
	}
	if (want_epipe) {
		n = byteor_single_ring_recv(rx, buf, sizeof(buf));
		if (n != -EPIPE)
			LE_DIE(6, "after the last event: %d (%s), want -EPIPE", n,
			       n < 0 ? byteor_strerror(n) : "an event");
	}
	byteor_single_ring_detach(rx);
	_exit(0);
}

static void xp_stream(struct __test_metadata *_metadata, struct le_env *env,
		      const char *name, bool batch)
{
	__u64 n = le_count(10000000, 100000);
	long long t0 = le_now_ns(), dt;
	pid_t p, c;

	c = le_fork(env);
	ASSERT_LE(0, c);
	if (!c)
		xp_consume(env, name, 1, 0, n, batch, false);
	p = le_fork(env);
	ASSERT_LE(0, p);
	if (!p)
		xp_produce(env, name, 0, 0, n, batch);
	EXPECT_EQ(0, le_wait(env, p));
	EXPECT_EQ(0, le_wait(env, c));
	dt = le_now_ns() - t0;
	TH_LOG("%llu events in %.2f s: %.1f M/s", (unsigned long long)n,
	       dt / 1e9, n * 1e3 / dt);
}

TEST_F_TIMEOUT(xring, ten_million_copied_events_arrive_in_order, 60)
{
	xp_stream(_metadata, &self->env, self->name, false);
}

TEST_F_TIMEOUT(xring, ten_million_batched_events_arrive_in_order, 60)
{
	xp_stream(_metadata, &self->env, self->name, true);
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

	rx = xp_attach(&self->env, self->name, BYTEOR_ROLE_CONSUMER, XP_TIMEOUT);
	p = le_fork(&self->env);
	ASSERT_LE(0, p);
	if (!p)
		xp_produce(&self->env, self->name, 0, 0, ~0ULL, false);
	/* Take some, then kill the producer while it is running. */
	while (next < 50000) {
		n = byteor_single_ring_recv(rx, buf, sizeof(buf));
		ASSERT_LE(0, n) TH_LOG("recv: %s", byteor_strerror(n));
		why = lp_check(buf, n, SLOT, &next, 1);
		ASSERT_EQ(NULL, why);
	}
	ASSERT_EQ(0, kill(p, SIGKILL));
	EXPECT_EQ(128 + SIGKILL, le_wait(&self->env, p));
	t0 = le_now_ns();
	for (;;) {
		n = byteor_single_ring_recv(rx, buf, sizeof(buf));
		if (n < 0)
			break;
		why = lp_check(buf, n, SLOT, &next, 1);
		ASSERT_EQ(NULL, why);
	}
	EXPECT_EQ(-EPIPE, n);
	EXPECT_LT(le_now_ns() - t0, 2000000000LL);
	EXPECT_EQ(0, byteor_single_ring_peer_alive(rx));
	/* Non-blocking calls stay -EAGAIN. */
	EXPECT_EQ(-EAGAIN, byteor_single_ring_recv_timed(rx, buf, sizeof(buf), 0));
	/* A new producer continues the stream where the dead one stopped. */
	tx = xp_attach(&self->env, self->name, BYTEOR_ROLE_PRODUCER, XP_TIMEOUT);
	n = lp_fill(buf, 0, next, SLOT);
	ASSERT_EQ(0, byteor_single_ring_send(tx, buf, n));
	n = byteor_single_ring_recv(rx, buf, sizeof(buf));
	ASSERT_LT(0, n);
	EXPECT_EQ(NULL, lp_check(buf, n, SLOT, &next, 1));
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

	rx = xp_attach(&self->env, self->name, BYTEOR_ROLE_CONSUMER, XP_TIMEOUT);
	p = le_fork(&self->env);
	ASSERT_LE(0, p);
	if (!p) {
		tx = xp_attach(&self->env, self->name, BYTEOR_ROLE_PRODUCER, XP_TIMEOUT);
		for (i = 0; i < 10; i++) {
			n = lp_fill(buf, 0, i, SLOT);
			if (byteor_single_ring_send(tx, buf, n))
				_exit(3);
		}
		/* The test hook: claim, write, die before publishing. */
		if (byteor_single_ring_claim(tx, s, 4) != 4)
			_exit(4);
		for (i = 0; i < 4; i++)
			s[i].len = lp_fill(s[i].data, 0, 10 + i, SLOT);
		raise(SIGKILL);
		_exit(5);
	}
	EXPECT_EQ(128 + SIGKILL, le_wait(&self->env, p));
	for (;;) {
		n = byteor_single_ring_recv(rx, buf, sizeof(buf));
		if (n < 0)
			break;
		ASSERT_EQ(NULL, lp_check(buf, n, SLOT, &next, 1));
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

	tx = xp_attach(&self->env, self->name, BYTEOR_ROLE_PRODUCER, XP_TIMEOUT);
	n = lp_fill(buf, 0, 0, SLOT);
	ASSERT_EQ(0, byteor_single_ring_send(tx, buf, n));
	byteor_single_ring_detach(tx);
	rx = xp_attach(&self->env, self->name, BYTEOR_ROLE_CONSUMER, XP_TIMEOUT);
	n = byteor_single_ring_recv(rx, buf, sizeof(buf));
	ASSERT_LT(0, n);
	ASSERT_EQ(NULL, lp_check(buf, n, SLOT, &next, 1));
	/* Longer than a few park slices: no verdict about the old producer. */
	EXPECT_EQ(-ETIMEDOUT, byteor_single_ring_recv_timed(rx, buf, sizeof(buf),
							    100000000));
	p = le_fork(&self->env);
	ASSERT_LE(0, p);
	if (!p) {
		tx = xp_attach(&self->env, self->name, BYTEOR_ROLE_PRODUCER, XP_TIMEOUT);
		n = lp_fill(buf, 0, 1, SLOT);
		if (byteor_single_ring_send(tx, buf, n))
			_exit(3);
		/* Die at once: the consumer may never see this one alive. */
		raise(SIGKILL);
	}
	EXPECT_EQ(128 + SIGKILL, le_wait(&self->env, p));
	n = byteor_single_ring_recv(rx, buf, sizeof(buf));
	ASSERT_LT(0, n);
	ASSERT_EQ(NULL, lp_check(buf, n, SLOT, &next, 1));
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
	c = le_fork(&self->env);
	ASSERT_LE(0, c);
	if (!c) {
		struct byteor_single_ring *rx;

		rx = xp_attach(&self->env, self->name, BYTEOR_ROLE_CONSUMER, XP_TIMEOUT);
		le_signal(sync[1]);
		pause();
		byteor_single_ring_detach(rx);
		_exit(0);
	}
	ASSERT_EQ(0, le_await(sync[0]));
	tx = xp_attach(&self->env, self->name, BYTEOR_ROLE_PRODUCER, XP_TIMEOUT);
	for (i = 0; i < CAP; i++)
		ASSERT_EQ(0, byteor_single_ring_send(tx, buf, 1));
	/* Full: with a live consumer, a bounded wait times out. */
	EXPECT_EQ(-ETIMEDOUT, byteor_single_ring_send_timed(tx, buf, 1, 30000000));
	ASSERT_EQ(0, kill(c, SIGKILL));
	EXPECT_EQ(128 + SIGKILL, le_wait(&self->env, c));
	ret = byteor_single_ring_send(tx, buf, 1);
	EXPECT_EQ(-EPIPE, ret);
	byteor_single_ring_detach(tx);
}

/* Both role claims go with a SIGKILLed holder. */
TEST_F(xring, role_claims_are_released_by_sigkill)
{
	struct byteor_attach_options o = le_opts(&self->env, self->name, 0, 0);
	struct byteor_single_ring *tx, *rx, *obs;
	struct byteor_single_ring_snapshot snap;
	int sync[2];
	pid_t c;

	ASSERT_EQ(0, pipe(sync));
	c = le_fork(&self->env);
	ASSERT_LE(0, c);
	if (!c) {
		xp_attach(&self->env, self->name, BYTEOR_ROLE_PRODUCER, 0);
		xp_attach(&self->env, self->name, BYTEOR_ROLE_CONSUMER, 0);
		le_signal(sync[1]);
		pause();
		_exit(0);
	}
	ASSERT_EQ(0, le_await(sync[0]));
	obs = xp_attach(&self->env, self->name, BYTEOR_ROLE_OBSERVER, 0);
	ASSERT_EQ(0, byteor_single_ring_snapshot(obs, &snap));
	EXPECT_EQ(1, snap.producer_alive);
	EXPECT_EQ(1, snap.consumer_alive);
	EXPECT_EQ(c, snap.producer_pid);
	EXPECT_EQ(-EBUSY, byteor_attach_single_ring(&o, BYTEOR_ROLE_PRODUCER, &tx));
	EXPECT_EQ(-EBUSY, byteor_attach_single_ring(&o, BYTEOR_ROLE_CONSUMER, &rx));
	ASSERT_EQ(0, kill(c, SIGKILL));
	EXPECT_EQ(128 + SIGKILL, le_wait(&self->env, c));
	ASSERT_EQ(0, byteor_single_ring_snapshot(obs, &snap));
	EXPECT_EQ(0, snap.producer_alive);
	EXPECT_EQ(0, snap.consumer_alive);
	tx = xp_attach(&self->env, self->name, BYTEOR_ROLE_PRODUCER, 0);
	rx = xp_attach(&self->env, self->name, BYTEOR_ROLE_CONSUMER, 0);
	ASSERT_EQ(0, byteor_single_ring_snapshot(obs, &snap));
	EXPECT_EQ(2, snap.producer_attaches);
	EXPECT_EQ(2, snap.consumer_attaches);
	EXPECT_EQ(getpid(), snap.consumer_pid);
	byteor_single_ring_detach(tx);
	byteor_single_ring_detach(rx);
	byteor_single_ring_detach(obs);
}

/*
 * From here on this process may make no system call but exit: any other
 * kills it (SIGSYS), so exiting normally proves there was none.  Under a
 * sanitizer, whose runtime makes calls of its own (its allocator maps
 * memory), only the calls a wake-up would make are refused: futex and
 * io_uring_enter.
 */
static int only_exit_from_here_on(void)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	static const int wake[] = { SYS_futex, SYS_io_uring_enter };

	return tp_seccomp(wake, 2, 1, SECCOMP_RET_KILL_PROCESS);
#else
	static const int exits[] = { SYS_exit, SYS_exit_group };

	return tp_seccomp(exits, 2, 0, SECCOMP_RET_KILL_PROCESS);
#endif
}

/*
 * A consumer killed while parked: after one publish (the liveness check
 * that frees its waiter slot) the producer's publishes make no system
 * call at all - no FUTEX_WAKE for a waiter that is gone - on either
 * backing.  The publisher is a child under a seccomp filter that allows
 * only exit: it exits normally only if none of its CAP - 2 inline
 * publishes entered the kernel.
 */
TEST_F(xring, publishes_make_no_syscall_after_a_parked_consumer_is_killed)
{
	struct byteor_single_ring_snapshot snap;
	struct byteor_single_ring *tx, *obs;
	unsigned char buf[SLOT];
	long long end;
	pid_t c, p;
	int n;

	c = le_fork(&self->env);
	ASSERT_LE(0, c);
	if (!c) {
		struct byteor_single_ring *rx = xp_attach(&self->env, self->name,
							  BYTEOR_ROLE_CONSUMER, 0);
		struct byteor_slot s;

		/* Nothing comes: past the spin and yield stages, parked. */
		n = byteor_single_ring_peek_timed(rx, &s, 1, -1);
		LE_DIE(3, "a parked peek returned %d", n);
	}
	obs = xp_attach(&self->env, self->name, BYTEOR_ROLE_OBSERVER, 0);
	end = le_now_ns() + 10000000000LL;
	do {
		ASSERT_EQ(0, byteor_single_ring_snapshot(obs, &snap));
		if (snap.consumer_waiters)
			break;
		usleep(1000);
	} while (le_now_ns() < end);
	ASSERT_EQ(1U, snap.consumer_waiters) TH_LOG("the consumer never parked");
	usleep(20000);	/* past its re-check, into the futex wait */
	ASSERT_EQ(0, kill(c, SIGKILL));
	EXPECT_EQ(128 + SIGKILL, le_wait(&self->env, c));

	p = le_fork(&self->env);
	ASSERT_LE(0, p);
	if (!p) {
		struct byteor_slot s;
		int i;

		tx = xp_attach(&self->env, self->name, BYTEOR_ROLE_PRODUCER, 0);
		/* The liveness check: the dead waiter's slot is freed. */
		n = lp_fill(buf, 0, 0, SLOT);
		if (byteor_single_ring_send(tx, buf, n))
			LE_DIE(3, "the first send failed");
		n = only_exit_from_here_on();
		if (n == -ENOSYS || n == -EINVAL)
			_exit(7);	/* no seccomp filter in this kernel */
		if (n)
			LE_DIE(4, "seccomp: %s", strerror(-n));
		for (i = 1; i < CAP - 1; i++) {
			if (byteor_single_ring_claim(tx, &s, 1) != 1)
				syscall(SYS_exit_group, 5);
			s.len = lp_fill(s.data, 0, i, SLOT);
			byteor_single_ring_publish(tx, &s, 1);
		}
		syscall(SYS_exit_group, 0);
	}
	n = le_wait(&self->env, p);
	if (n == 7) {
		byteor_single_ring_detach(obs);
		SKIP(return, "this kernel has no seccomp filter (CONFIG_SECCOMP_FILTER) to count system calls with");
	}
	EXPECT_EQ(0, n) TH_LOG("publisher status %d (%d: %s): a publish entered the kernel after the liveness check",
			       n, n - 128, n > 128 ? strsignal(n - 128) : "exit");
	ASSERT_EQ(0, byteor_single_ring_snapshot(obs, &snap));
	EXPECT_EQ(0U, snap.consumer_waiters);
	EXPECT_EQ((__u64)CAP - 1, snap.producer_pos - snap.consumer_pos);
	byteor_single_ring_detach(obs);
}

TEST_HARNESS_MAIN
