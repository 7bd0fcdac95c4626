// SPDX-License-Identifier: GPL-2.0-only
/*
 * single_ring_fixed - the fixed-size single ring (BYTEOR_GEOM_F_FIXED):
 * slots without a header (stride = slot_size), full-size messages only
 * (shorter ones are -EINVAL, nothing published), the flag refused for
 * other kinds and unknown flags refused, an attach that names the other
 * flavour refused with -EBADMSG, and ten million events between two
 * processes in order and intact, copied and in batches, over both the
 * /dev/shm and the hugetlbfs backing.
 *
 * Payload of event @seq: slot_size bytes, u64 seq then fx_byte(seq, i).
 */
#include "kselftest_harness.h"
#include "host_test.h"
#include "single_ring_test.h"

#define SLOT		64
#define CAP		1024
#define FX_TIMEOUT	20000000000LL

FIXTURE(fixed) {
	struct ht_dir d;
};

FIXTURE_VARIANT(fixed) {
	bool huge;
};

FIXTURE_VARIANT_ADD(fixed, shm) {
	.huge = false,
};

FIXTURE_VARIANT_ADD(fixed, hugetlbfs) {
	.huge = true,
};

FIXTURE_SETUP(fixed)
{
	struct byteor_geometry g = ht_geom(SLOT, CAP, 1, 1);

	HT_DIR_SETUP(&self->d, variant->huge);
	g.flags = BYTEOR_GEOM_F_FIXED;
	ASSERT_EQ(0, ht_create(self->d.path, "fx", BYTEOR_KIND_SINGLE_RING, &g));
}

FIXTURE_TEARDOWN(fixed)
{
	ht_dir_teardown(&self->d);
}

static unsigned char fx_byte(__u64 seq, unsigned int i)
{
	return (unsigned char)(seq * 131 + i * 7 + 1);
}

static void fx_fill(void *buf, __u64 seq)
{
	unsigned char *p = buf;
	unsigned int i;

	memcpy(p, &seq, sizeof(seq));
	for (i = sizeof(seq); i < SLOT; i++)
		p[i] = fx_byte(seq, i);
}

/* 0 if @buf holds event @seq whole, else the first bad byte's index + 1. */
static unsigned int fx_bad(const void *buf, __u32 len, __u64 seq)
{
	const unsigned char *p = buf;
	unsigned int i;
	__u64 got;

	if (len != SLOT)
		return 1;
	memcpy(&got, p, sizeof(got));
	if (got != seq)
		return 1;
	for (i = sizeof(seq); i < SLOT; i++)
		if (p[i] != fx_byte(seq, i))
			return i + 1;
	return 0;
}

static int fx_attach(const char *dir, int role, long long timeout_ns,
		     struct byteor_single_ring **r)
{
	struct byteor_attach_options o = lt_opts(dir, "fx", 0, timeout_ns);

	return byteor_attach_single_ring(&o, role, r);
}

TEST_F(fixed, slots_have_no_header_and_take_full_messages_only)
{
	struct byteor_single_ring *tx, *rx;
	struct byteor_region_info info;
	struct byteor_slot s[4], r[4];
	unsigned char buf[SLOT];

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, byteor_region_info("fx", BYTEOR_BACKING_USER,
					self->d.path, &info));
	EXPECT_EQ((__u32)SLOT, info.layout.slot_stride);
	EXPECT_EQ(BYTEOR_GEOM_F_FIXED, info.geometry.flags);
	ASSERT_EQ(0, fx_attach(self->d.path, BYTEOR_ROLE_PRODUCER, 0, &tx));
	ASSERT_EQ(0, fx_attach(self->d.path, BYTEOR_ROLE_CONSUMER, 0, &rx));

	/* Adjacent slots are slot_size apart: no header between them. */
	ASSERT_EQ(4, byteor_single_ring_claim(tx, s, 4));
	EXPECT_EQ(SLOT, (char *)s[1].data - (char *)s[0].data);
	EXPECT_EQ(0, (unsigned long)s[0].data % 64);
	EXPECT_EQ((__u32)SLOT, s[0].len);

	/* A short message is refused and nothing is published. */
	fx_fill(s[0].data, 0);
	s[0].len = SLOT - 8;
	EXPECT_EQ(-EINVAL, byteor_single_ring_publish(tx, s, 1));
	EXPECT_EQ(-EAGAIN, byteor_single_ring_peek(rx, r, 4));
	s[0].len = SLOT;
	fx_fill(s[1].data, 1);
	ASSERT_EQ(2, byteor_single_ring_publish(tx, s, 2));
	fx_fill(s[2].data, 2);
	fx_fill(s[3].data, 3);
	ASSERT_EQ(2, byteor_single_ring_publish(tx, NULL, 2));

	ASSERT_EQ(4, byteor_single_ring_peek(rx, r, 4));
	EXPECT_EQ(0U, fx_bad(r[0].data, r[0].len, 0));
	EXPECT_EQ(0U, fx_bad(r[3].data, r[3].len, 3));
	ASSERT_EQ(4, byteor_single_ring_release(rx, 4));

	/* Copying: full size only, received at full size. */
	fx_fill(buf, 4);
	EXPECT_EQ(-EINVAL, byteor_single_ring_send(tx, buf, SLOT - 1));
	EXPECT_EQ(-EMSGSIZE, byteor_single_ring_send(tx, buf, SLOT + 1));
	EXPECT_EQ(0, byteor_single_ring_send(tx, buf, SLOT));
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(SLOT, byteor_single_ring_recv(rx, buf, sizeof(buf)));
	EXPECT_EQ(0U, fx_bad(buf, SLOT, 4));
	EXPECT_EQ(-EAGAIN, byteor_single_ring_recv(rx, buf, sizeof(buf)));
	byteor_single_ring_detach(tx);
	byteor_single_ring_detach(rx);
}

TEST_F(fixed, the_flag_is_for_single_rings_and_unknown_flags_are_einval)
{
	struct byteor_geometry g = ht_geom(SLOT, CAP, 1, 1);
	struct byteor_region_info info;

	HT_SETUP_SKIPPED();
	g.flags = BYTEOR_GEOM_F_FIXED;
	EXPECT_EQ(-EINVAL, ht_create(self->d.path, "ev", BYTEOR_KIND_EVENTS_CHAIN, &g));
	EXPECT_EQ(-EINVAL, ht_create(self->d.path, "fo", BYTEOR_KIND_FANOUT, &g));
	g.flags = 1U << 7;
	EXPECT_EQ(-EINVAL, ht_create(self->d.path, "r2", BYTEOR_KIND_SINGLE_RING, &g));
	/* Nothing was left behind by the refusals. */
	EXPECT_EQ(-ENOENT, byteor_region_info("ev", BYTEOR_BACKING_USER,
					      self->d.path, &info));
}

TEST_F(fixed, an_attach_naming_the_other_flavour_is_ebadmsg)
{
	struct byteor_geometry g = ht_geom(SLOT, CAP, 1, 1), want;
	struct byteor_attach_options o = lt_opts(self->d.path, "var", 0, 0);
	struct __byteor_region *reg;

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, ht_create(self->d.path, "var", BYTEOR_KIND_SINGLE_RING, &g));
	memset(&want, 0, sizeof(want));
	want.flags = BYTEOR_GEOM_F_FIXED;
	EXPECT_EQ(-EBADMSG, __byteor_region_attach(&o, BYTEOR_KIND_SINGLE_RING,
						   BYTEOR_SINGLE_RING_VERSION,
						   &want, BYTEOR_ROLE_PRODUCER,
						   &reg));
	/* Flags 0 accepts either: the library adapts to the region's. */
	want.flags = 0;
	ASSERT_EQ(0, __byteor_region_attach(&o, BYTEOR_KIND_SINGLE_RING,
					    BYTEOR_SINGLE_RING_VERSION, &want,
					    BYTEOR_ROLE_PRODUCER, &reg));
	__byteor_region_detach(reg);
}

/* Producer child: events [0, n), copied or claimed in batches of 1..32. */
static void fx_produce(const char *dir, __u64 n, bool batch)
{
	struct byteor_single_ring *tx;
	struct byteor_slot s[32];
	unsigned char buf[SLOT];
	__u64 seq = 0;
	int k, i, ret;

	lt_pin(0);
	if (fx_attach(dir, BYTEOR_ROLE_PRODUCER, FX_TIMEOUT, &tx))
		LT_DIE(2, "attach producer");
	while (seq < n) {
		if (!batch) {
			fx_fill(buf, seq);
			ret = byteor_single_ring_send(tx, buf, SLOT);
			if (ret)
				LT_DIE(3, "send %llu: %s", (unsigned long long)seq,
				       byteor_strerror(ret));
			seq++;
			continue;
		}
		k = byteor_single_ring_claim(tx, s, (unsigned int)(seq % 32) + 1);
		if (k < 0)
			LT_DIE(3, "claim %llu: %s", (unsigned long long)seq,
			       byteor_strerror(k));
		if (seq + (__u64)k > n)
			k = (int)(n - seq);
		for (i = 0; i < k; i++)
			fx_fill(s[i].data, seq++);
		byteor_single_ring_publish(tx, NULL, (unsigned int)k);
	}
	byteor_single_ring_detach(tx);
	_exit(0);
}

static void fx_consume(const char *dir, __u64 n, bool batch)
{
	struct byteor_single_ring *rx;
	struct byteor_slot s[32];
	unsigned char buf[SLOT];
	__u64 next = 0;
	int k, i;

	lt_pin(1);
	if (fx_attach(dir, BYTEOR_ROLE_CONSUMER, FX_TIMEOUT, &rx))
		LT_DIE(2, "attach consumer");
	while (next < n) {
		if (!batch) {
			k = byteor_single_ring_recv(rx, buf, sizeof(buf));
			if (k < 0)
				LT_DIE(4, "recv at %llu: %s",
				       (unsigned long long)next, byteor_strerror(k));
			if (fx_bad(buf, (__u32)k, next))
				LT_DIE(5, "event %llu bad", (unsigned long long)next);
			next++;
			continue;
		}
		k = byteor_single_ring_peek(rx, s, 32);
		if (k < 0)
			LT_DIE(4, "peek at %llu: %s", (unsigned long long)next,
			       byteor_strerror(k));
		for (i = 0; i < k; i++, next++)
			if (fx_bad(s[i].data, s[i].len, next))
				LT_DIE(5, "event %llu bad", (unsigned long long)next);
		byteor_single_ring_release(rx, (unsigned int)k);
	}
	byteor_single_ring_detach(rx);
	_exit(0);
}

static void fx_stream(struct __test_metadata *_metadata, const char *dir,
		      bool batch)
{
	__u64 n = lt_scaled(10000000, 100000);
	long long t0 = lt_now_ns(), dt;
	pid_t p, c;

	c = lt_fork();
	ASSERT_LE(0, c);
	if (!c)
		fx_consume(dir, n, batch);
	p = lt_fork();
	ASSERT_LE(0, p);
	if (!p)
		fx_produce(dir, n, batch);
	EXPECT_EQ(0, lt_status(p));
	EXPECT_EQ(0, lt_status(c));
	dt = lt_now_ns() - t0;
	TH_LOG("%llu events in %.2f s: %.1f M/s", (unsigned long long)n,
	       dt / 1e9, n * 1e3 / dt);
}

TEST_F_TIMEOUT(fixed, ten_million_copied_events_arrive_whole_and_in_order, 60)
{
	HT_SETUP_SKIPPED();
	fx_stream(_metadata, self->d.path, false);
}

TEST_F_TIMEOUT(fixed, ten_million_batched_events_arrive_whole_and_in_order, 60)
{
	HT_SETUP_SKIPPED();
	fx_stream(_metadata, self->d.path, true);
}

TEST_HARNESS_MAIN
