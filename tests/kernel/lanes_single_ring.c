// SPDX-License-Identifier: GPL-2.0-only
/*
 * lanes_single_ring - libbyteor's single ring between two processes on the
 * kernel backing: a producer process and a consumer process move 300k
 * events through a 256-slot ring (over a thousand wrap-arounds), the
 * consumer checking order, length and every payload byte; the mapping the
 * library makes is backed by 2 MiB pages; an attach asking for a geometry
 * the region does not have is refused by the kernel with -EBADMSG.
 *
 * 300k events, not the host tests' 10 million: the guest runs under TCG
 * (see lanes_test.h).
 */
#include "lanes_test.h"
#include "internal.h"	/* __byteor_region_attach(): attach with a geometry */

#define SLOT		64
#define CAP		256
#define EVENTS		300000ULL

FIXTURE(ring) {
	struct bt_res res;
	const char *name;
	struct byteor_region_info info;
};

FIXTURE_SETUP(ring)
{
	struct byteor_geometry g = ln_geom(SLOT, CAP, 1, 1);

	LN_SETUP_CHECKS();
	self->name = bt_res_name(&self->res, "ring");
	ASSERT_EQ(0, ln_create(self->name, BYTEOR_KIND_SINGLE_RING, &g,
			       &self->info));
	ASSERT_EQ((__u32)CAP, self->info.geometry.capacity);
}

FIXTURE_TEARDOWN(ring)
{
	bt_res_release(&self->res);
}

static struct byteor_single_ring *sr_attach(const char *name, int role)
{
	struct byteor_attach_options o = ln_opts(name, 0, LN_TIMEOUT_NS);
	struct byteor_single_ring *r;
	int ret = byteor_attach_single_ring(&o, role, &r);

	if (ret)
		LN_DIE(2, "attach role %d: %s", role, byteor_strerror(ret));
	return r;
}

/*
 * Producer child: @count events; every fourth batch copying (send), the
 * others zero-copy claims of 1..32 slots, so batches straddle the wrap.
 */
static void sr_produce(const char *name, __u64 count)
{
	struct byteor_single_ring *tx = sr_attach(name, BYTEOR_ROLE_PRODUCER);
	struct byteor_slot s[32];
	unsigned char buf[SLOT];
	__u64 seq = 0;
	int n, i, ret;

	while (seq < count) {
		if ((seq & 3) == 0) {
			ret = byteor_single_ring_send(tx, buf,
						      ln_fill(buf, 0, seq, SLOT));
			if (ret)
				LN_DIE(3, "send %llu: %s", (unsigned long long)seq,
				       byteor_strerror(ret));
			seq++;
			continue;
		}
		n = 1 + (int)(seq % 32);
		if ((__u64)n > count - seq)
			n = (int)(count - seq);
		n = byteor_single_ring_claim(tx, s, n);
		if (n < 1)
			LN_DIE(3, "claim %llu: %s", (unsigned long long)seq,
			       byteor_strerror(n));
		for (i = 0; i < n; i++)
			s[i].len = ln_fill(s[i].data, 0, seq++, SLOT);
		ret = byteor_single_ring_publish(tx, s, n);
		if (ret != n)
			LN_DIE(3, "publish: %d", ret);
	}
	byteor_single_ring_detach(tx);
	_exit(0);
}

/* Consumer child: everything, checked, then -EPIPE once the producer left. */
static void sr_consume(const char *name, __u64 count, __u64 *got)
{
	struct byteor_single_ring *rx = sr_attach(name, BYTEOR_ROLE_CONSUMER);
	struct byteor_slot s[32];
	unsigned char buf[SLOT];
	__u64 next = 0;
	const char *why;
	int n, i;

	while (next < count) {
		if (next & 1) {	/* alternate copying and in-place reads */
			n = byteor_single_ring_recv(rx, buf, sizeof(buf));
			if (n < 0)
				LN_DIE(4, "recv at %llu: %s", (unsigned long long)next,
				       byteor_strerror(n));
			why = ln_check(buf, (__u32)n, SLOT, &next, 1);
			if (why)
				LN_DIE(5, "event %llu: %s", (unsigned long long)next, why);
			*got = next;
			continue;
		}
		n = byteor_single_ring_peek(rx, s, 32);
		if (n < 1)
			LN_DIE(4, "peek at %llu: %s", (unsigned long long)next,
			       byteor_strerror(n));
		for (i = 0; i < n; i++) {
			why = ln_check(s[i].data, s[i].len, SLOT, &next, 1);
			if (why)
				LN_DIE(5, "event %llu: %s", (unsigned long long)next, why);
		}
		byteor_single_ring_release(rx, n);
		*got = next;
	}
	n = byteor_single_ring_peek(rx, s, 1);
	if (n != -EPIPE)
		LN_DIE(6, "after the last event: %d, want -EPIPE", n);
	byteor_single_ring_detach(rx);
	_exit(0);
}

TEST_F_TIMEOUT(ring, producer_process_to_consumer_process_in_order_across_wraps, 50)
{
	struct byteor_attach_options o = ln_opts(self->name, 0, 0);
	struct byteor_single_ring_snapshot snap;
	struct byteor_single_ring *obs;
	long long t0 = ln_now_ns();
	__u64 *got = ln_shared(&self->res, sizeof(*got));
	pid_t c, p;

	ASSERT_NE(NULL, got);
	c = ln_fork(&self->res);
	ASSERT_LE(0, c);
	if (!c)
		sr_consume(self->name, EVENTS, got);
	p = ln_fork(&self->res);
	ASSERT_LE(0, p);
	if (!p)
		sr_produce(self->name, EVENTS);
	EXPECT_EQ(0, bt_res_wait(&self->res, p));
	EXPECT_EQ(0, bt_res_wait(&self->res, c));
	EXPECT_EQ(EVENTS, *got);
	TH_LOG("%llu events through %u slots (%llu wraps) in %.2f s",
	       (unsigned long long)*got, CAP, (unsigned long long)(*got / CAP),
	       (ln_now_ns() - t0) / 1e9);

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
	EXPECT_EQ(0, byteor_region_destroy(self->name, BYTEOR_BACKING_KERNEL, NULL));
}

/*
 * The library maps kernel regions with MAP_POPULATE from /dev/byteor: the
 * mapping holding the slots must be one of 2 MiB pages, in the producer's
 * process and in a consumer process alike.
 */
TEST_F(ring, library_mapping_uses_2mib_pages)
{
	struct byteor_attach_options o = ln_opts(self->name, 0, 0);
	struct byteor_single_ring *tx;
	struct byteor_slot s;
	char line[512];
	pid_t c;

	ASSERT_EQ(0, byteor_attach_single_ring(&o, BYTEOR_ROLE_PRODUCER, &tx));
	ASSERT_EQ(1, byteor_single_ring_claim(tx, &s, 1));
	EXPECT_EQ(2048, bt_smaps_kernelpagesize(s.data));
	ASSERT_EQ(0, bt_maps_line(s.data, line, sizeof(line)));
	TH_LOG("producer mapping: %s", line);
	s.len = ln_fill(s.data, 0, 0, SLOT);
	ASSERT_EQ(1, byteor_single_ring_publish(tx, &s, 1));

	c = ln_fork(&self->res);
	ASSERT_LE(0, c);
	if (!c) {
		struct byteor_single_ring *rx = sr_attach(self->name,
							  BYTEOR_ROLE_CONSUMER);
		__u64 next = 0;
		long kps;

		if (byteor_single_ring_peek(rx, &s, 1) != 1)
			LN_DIE(3, "peek");
		if (ln_check(s.data, s.len, SLOT, &next, 1))
			LN_DIE(4, "bad event");
		kps = bt_smaps_kernelpagesize(s.data);
		if (kps != 2048)
			LN_DIE(5, "consumer mapping KernelPageSize %ld kB", kps);
		_exit(0);
	}
	EXPECT_EQ(0, bt_res_wait(&self->res, c));
	byteor_single_ring_detach(tx);
}

/*
 * An attach through the library that names a geometry the region does not
 * have: the kernel refuses it (-EBADMSG, counted in attach_failures), the
 * library passes that on; the right geometry attaches.
 */
TEST_F(ring, library_attach_with_wrong_geometry_is_ebadmsg_from_kernel)
{
	struct byteor_attach_options o = ln_opts(self->name, 0, 0);
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

TEST_HARNESS_MAIN
