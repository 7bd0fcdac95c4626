// SPDX-License-Identifier: GPL-2.0-only
/*
 * fanout_basic - the fanout lane in one process, step by step (no thread,
 * non-blocking calls): routing per mode with wrap-around many times,
 * order and content, exactly-once delivery, gating by the slowest member,
 * membership (admission at the router's position, leaving stops gating),
 * corrupt routed indices and lengths, snapshots and the stat printer.
 */
#include "kselftest_harness.h"
#include "host_test.h"
#include "single_ring_test.h"
#include <byteor/fanout.h>
#include "../../ulib/tools/byteorctl_stat_fanout.c"

/* byteorctl_stat.c reports a region it cannot read; the printer calls it. */
int __byteorctl_stat_error(const char *name, int json, int err)
{
	(void)json;
	fprintf(stderr, "stat %s: %s\n", name, byteor_strerror(err));
	return 1;
}

#define SLOT	64
#define NAME	"fan"

FIXTURE(fan) {
	struct ht_dir d;
	struct byteor_fanout *tx, *rt, *rx[8];
	unsigned int nq;
};

FIXTURE_SETUP(fan)
{
	HT_DIR_SETUP(&self->d, false);
}

FIXTURE_TEARDOWN(fan)
{
	unsigned int i;

	for (i = 0; i < 8; i++)
		byteor_fanout_detach(self->rx[i]);
	byteor_fanout_detach(self->rt);
	byteor_fanout_detach(self->tx);
	ht_dir_teardown(&self->d);
}

static int fb_create(const char *dir, __u32 cap, __u32 nq)
{
	struct byteor_geometry g = ht_geom(SLOT, cap, nq, 1);

	return ht_create(dir, NAME, BYTEOR_KIND_FANOUT, &g);
}

static struct byteor_attach_options fb_opts(const char *dir, unsigned int q)
{
	return lt_opts(dir, NAME, q, 0);
}

/* Region of @cap slots and @nq consumers, producer, router in @mode, consumers. */
static void fb_setup(struct __test_metadata *_metadata,
		     FIXTURE_DATA(fan) *self, __u32 cap, __u32 nq, int mode,
		     __u64 (*route)(void *, const struct byteor_fanout_msg *, __u64))
{
	struct byteor_fanout_router_options ro = { .mode = mode, .route = route };
	struct byteor_attach_options o = fb_opts(self->d.path, 0);
	unsigned int i;

	ASSERT_EQ(0, fb_create(self->d.path, cap, nq));
	ASSERT_EQ(0, byteor_attach_fanout_tx(&o, &self->tx));
	ASSERT_EQ(0, byteor_attach_fanout_router(&o, &ro, &self->rt));
	for (i = 0; i < nq; i++) {
		o.queue = i;
		ASSERT_EQ(0, byteor_attach_fanout_rx(&o, &self->rx[i]));
		EXPECT_EQ(0, byteor_fanout_joined(self->rx[i]));
	}
	self->nq = nq;
	/* Nothing to route: the router only admits the consumers. */
	EXPECT_EQ(-EAGAIN, byteor_fanout_route(self->rt, 16));
	for (i = 0; i < nq; i++)
		EXPECT_EQ(1, byteor_fanout_joined(self->rx[i]));
}

/* Publish up to @n messages from @*seq (key = seq % @keys); return count. */
static int fb_produce(struct byteor_fanout *tx, __u64 *seq, unsigned int n,
		      __u64 keys)
{
	struct byteor_fanout_slot s[32];
	int k, i;

	k = byteor_fanout_claim(tx, s, n < 32 ? n : 32);
	if (k <= 0)
		return k;
	for (i = 0; i < k; i++) {
		s[i].len = lt_fill(s[i].data, 0, *seq, SLOT);
		s[i].key = *seq % keys;
		(*seq)++;
	}
	return byteor_fanout_publish(tx, s, k);
}

/* Check one message's content against its own sequence number. */
static const char *fb_check(const struct byteor_fanout_msg *m)
{
	__u64 next = m->seq;

	return lt_check(m->data, m->len, SLOT, &next, 1);
}

/*
 * Drive producer, router and consumers until @n messages were published
 * and every routed one consumed; @got[c] counts per consumer, @owner[seq]
 * records which consumer got a message (-1 none, -2 more than one) when
 * not NULL, @per_key_owner checks key stickiness.
 */
static void fb_pump(struct __test_metadata *_metadata, FIXTURE_DATA(fan) *self,
		    __u64 n, __u64 keys, __u64 *got, signed char *owner,
		    int *key_owner, bool in_order)
{
	struct byteor_fanout_msg m[16];
	__u64 seq = 0, last[8];
	unsigned int c, spins = 0;
	const char *why;
	int k, i, r;
	bool busy;

	memset(last, 0xff, sizeof(last));
	for (;;) {
		busy = false;
		if (seq < n) {
			k = fb_produce(self->tx, &seq, (unsigned int)(n - seq), keys);
			ASSERT_TRUE(k > 0 || k == -EAGAIN) TH_LOG("produce: %d", k);
			busy |= k > 0;
		}
		r = byteor_fanout_route(self->rt, 64);
		ASSERT_TRUE(r > 0 || r == -EAGAIN) TH_LOG("route: %d", r);
		busy |= r > 0;
		for (c = 0; c < self->nq; c++) {
			k = byteor_fanout_peek(self->rx[c], m, 16);
			if (k == -EAGAIN)
				continue;
			ASSERT_LT(0, k) TH_LOG("peek %u: %d", c, k);
			busy = true;
			for (i = 0; i < k; i++) {
				why = fb_check(&m[i]);
				ASSERT_EQ(NULL, why) TH_LOG("seq %llu: %s",
					(unsigned long long)m[i].seq, why);
				if (in_order) {
					ASSERT_EQ(last[c] + 1, m[i].seq);
				} else {
					ASSERT_TRUE(last[c] == ~0ULL || m[i].seq > last[c]);
				}
				last[c] = m[i].seq;
				got[c]++;
				ASSERT_LT(m[i].seq, n);
				if (owner && m[i].seq < n)
					owner[m[i].seq] = owner[m[i].seq] == -1 ?
							  (signed char)c : -2;
				if (key_owner) {
					int *ko = &key_owner[m[i].seq % keys];

					if (*ko < 0)
						*ko = (int)c;
					ASSERT_EQ(*ko, (int)c);
					ASSERT_EQ(byteor_fanout_key_hash(m[i].seq % keys),
						  m[i].key_hash);
				}
			}
			ASSERT_EQ(k, byteor_fanout_release(self->rx[c], k));
		}
		if (!busy && seq == n)
			break;
		ASSERT_LT(spins++, 100000000U);
	}
}

TEST_F(fan, broadcast_delivers_every_message_to_every_consumer_in_order)
{
	__u64 n = 64 * 300, got[8] = { 0 };
	unsigned int c;

	fb_setup(_metadata, self, 64, 3, BYTEOR_FANOUT_BROADCAST, NULL);
	fb_pump(_metadata, self, n, 1, got, NULL, NULL, true);
	for (c = 0; c < 3; c++)
		EXPECT_EQ(n, got[c]);
}

TEST_F(fan, by_key_sends_each_key_to_one_consumer_exactly_once)
{
	__u64 n = 64 * 300, got[8] = { 0 }, i;
	int key_owner[37];
	signed char *owner = malloc(n);

	ASSERT_NE(NULL, owner);
	memset(owner, -1, n);
	memset(key_owner, -1, sizeof(key_owner));
	fb_setup(_metadata, self, 64, 4, BYTEOR_FANOUT_BY_KEY, NULL);
	fb_pump(_metadata, self, n, 37, got, owner, key_owner, false);
	EXPECT_EQ(n, got[0] + got[1] + got[2] + got[3]);
	for (i = 0; i < n; i++)
		if (owner[i] < 0)
			break;
	EXPECT_EQ(n, i) TH_LOG("message %llu: not delivered exactly once",
			       (unsigned long long)i);
	/* 37 keys over 4 consumers: each gets some. */
	EXPECT_LT(0, got[0] * got[1] * got[2] * got[3]);
	free(owner);
}

TEST_F(fan, round_robin_spreads_evenly_exactly_once)
{
	__u64 n = 64 * 300 + 2, got[8] = { 0 }, i;
	signed char *owner = malloc(n);

	ASSERT_NE(NULL, owner);
	memset(owner, -1, n);
	fb_setup(_metadata, self, 64, 3, BYTEOR_FANOUT_ROUND_ROBIN, NULL);
	fb_pump(_metadata, self, n, 1, got, owner, NULL, false);
	for (i = 0; i < n; i++)
		if (owner[i] < 0)
			break;
	EXPECT_EQ(n, i);
	for (i = 0; i < 3; i++)
		EXPECT_GE(1, (got[i] > n / 3 ? got[i] - n / 3 : n / 3 - got[i]));
	free(owner);
}

/* Even messages to consumer 0, odd ones to 1 and 2. */
static __u64 fb_route_parity(void *arg, const struct byteor_fanout_msg *m,
			     __u64 members)
{
	(void)arg;
	(void)members;
	return m->seq % 2 ? 6 : 1;
}

TEST_F(fan, callback_routes_to_the_consumers_it_names)
{
	__u64 n = 64 * 100, got[8] = { 0 };

	fb_setup(_metadata, self, 64, 3, BYTEOR_FANOUT_CALLBACK, fb_route_parity);
	fb_pump(_metadata, self, n, 1, got, NULL, NULL, false);
	EXPECT_EQ(n / 2, got[0]);
	EXPECT_EQ(n / 2, got[1]);
	EXPECT_EQ(n / 2, got[2]);
}

TEST_F(fan, producer_is_gated_by_the_slowest_member)
{
	struct byteor_fanout_msg m[16];
	struct byteor_fanout_snapshot *s = calloc(1, sizeof(*s));
	__u64 seq = 0;

	ASSERT_NE(NULL, s);
	fb_setup(_metadata, self, 16, 2, BYTEOR_FANOUT_BROADCAST, NULL);
	ASSERT_EQ(16, fb_produce(self->tx, &seq, 16, 1));
	EXPECT_EQ(-EAGAIN, fb_produce(self->tx, &seq, 1, 1));
	ASSERT_EQ(16, byteor_fanout_route(self->rt, 64));
	/* Consumer 0 takes everything; consumer 1 holds all 16. */
	ASSERT_EQ(16, byteor_fanout_peek(self->rx[0], m, 16));
	ASSERT_EQ(16, byteor_fanout_release(self->rx[0], 16));
	EXPECT_EQ(-EAGAIN, fb_produce(self->tx, &seq, 1, 1));
	ASSERT_EQ(0, byteor_fanout_snapshot(self->tx, s));
	EXPECT_EQ(16, s->occupancy);
	EXPECT_EQ(0, s->gate);
	EXPECT_EQ(16, s->consumer[1].lag);
	EXPECT_EQ(0, s->consumer[0].lag);
	EXPECT_EQ(3, s->members);
	EXPECT_EQ(1, s->consumer[1].alive);
	/* Consumer 1 releases 3: exactly 3 slots come free. */
	ASSERT_EQ(16, byteor_fanout_peek(self->rx[1], m, 16));
	ASSERT_EQ(3, byteor_fanout_release(self->rx[1], 3));
	EXPECT_EQ(3, fb_produce(self->tx, &seq, 16, 1));
	EXPECT_EQ(-EAGAIN, fb_produce(self->tx, &seq, 1, 1));
	/* Nothing peeked twice: the rest of the peek is re-peeked. */
	ASSERT_EQ(13, byteor_fanout_peek(self->rx[1], m, 16));
	EXPECT_EQ(3, m[0].seq);
	free(s);
}

TEST_F(fan, router_holds_messages_until_a_consumer_joins)
{
	struct byteor_fanout_router_options ro = { .mode = BYTEOR_FANOUT_BROADCAST };
	struct byteor_attach_options o = fb_opts(self->d.path, 0);
	struct byteor_fanout_msg m[8];
	__u64 seq = 0;

	ASSERT_EQ(0, fb_create(self->d.path, 16, 2));
	ASSERT_EQ(0, byteor_attach_fanout_tx(&o, &self->tx));
	ASSERT_EQ(0, byteor_attach_fanout_router(&o, &ro, &self->rt));
	ASSERT_EQ(5, fb_produce(self->tx, &seq, 5, 1));
	EXPECT_EQ(-EAGAIN, byteor_fanout_route(self->rt, 64));
	o.queue = 1;
	ASSERT_EQ(0, byteor_attach_fanout_rx(&o, &self->rx[1]));
	EXPECT_EQ(-EAGAIN, byteor_fanout_peek(self->rx[1], m, 8));
	EXPECT_EQ(5, byteor_fanout_route(self->rt, 64));
	ASSERT_EQ(5, byteor_fanout_peek(self->rx[1], m, 8));
	EXPECT_EQ(0, m[0].seq);
	EXPECT_EQ(4, m[4].seq);
}

TEST_F(fan, leaving_stops_gating_and_rejoin_starts_at_router_position)
{
	struct byteor_attach_options o = fb_opts(self->d.path, 1);
	struct byteor_fanout_snapshot *s = calloc(1, sizeof(*s));
	struct byteor_fanout_msg m[16];
	__u64 seq = 0, rpos;

	ASSERT_NE(NULL, s);
	fb_setup(_metadata, self, 16, 2, BYTEOR_FANOUT_BROADCAST, NULL);
	ASSERT_EQ(16, fb_produce(self->tx, &seq, 16, 1));
	ASSERT_EQ(16, byteor_fanout_route(self->rt, 64));
	ASSERT_EQ(16, byteor_fanout_peek(self->rx[0], m, 16));
	ASSERT_EQ(16, byteor_fanout_release(self->rx[0], 16));
	EXPECT_EQ(-EAGAIN, fb_produce(self->tx, &seq, 1, 1));
	/* Consumer 1 leaves holding 16: the router drops it, room appears. */
	byteor_fanout_detach(self->rx[1]);
	self->rx[1] = NULL;
	EXPECT_EQ(-EAGAIN, byteor_fanout_route(self->rt, 64));
	ASSERT_EQ(10, fb_produce(self->tx, &seq, 10, 1));
	ASSERT_EQ(10, byteor_fanout_route(self->rt, 64));
	ASSERT_EQ(0, byteor_fanout_snapshot(self->rt, s));
	EXPECT_EQ(1, s->members);
	rpos = s->router_pos;
	EXPECT_EQ(26, rpos);
	/* Published, not yet routed when it rejoins: it gets those. */
	ASSERT_EQ(4, fb_produce(self->tx, &seq, 4, 1));
	ASSERT_EQ(0, byteor_attach_fanout_rx(&o, &self->rx[1]));
	EXPECT_EQ(4, byteor_fanout_route(self->rt, 64));
	ASSERT_EQ(4, byteor_fanout_peek(self->rx[1], m, 16));
	EXPECT_EQ(rpos, m[0].seq);
	EXPECT_EQ(rpos + 3, m[3].seq);
	free(s);
}

/* Offset of byte @off of area @a in the region file. */
static __u64 fb_area_off(struct __test_metadata *_metadata, const char *dir,
			 enum byteor_area a)
{
	struct byteor_region_info info;

	if (byteor_region_info(NAME, BYTEOR_BACKING_USER, dir, &info))
		return 0;
	return info.layout.area_off[a];
}

TEST_F(fan, corrupt_routed_index_or_length_is_ebadmsg_then_skipped)
{
	struct byteor_fanout_msg m[16];
	__u64 seq = 0, bad = 0x7fffffffffffULL, aux, slots;
	__u32 badlen = 100000;

	fb_setup(_metadata, self, 16, 1, BYTEOR_FANOUT_BROADCAST, NULL);
	ASSERT_EQ(4, fb_produce(self->tx, &seq, 4, 1));
	ASSERT_EQ(4, byteor_fanout_route(self->rt, 64));
	aux = fb_area_off(_metadata, self->d.path, BYTEOR_AREA_AUX);
	slots = fb_area_off(_metadata, self->d.path, BYTEOR_AREA_SLOTS);
	ASSERT_NE(0, aux);
	/* Entry 1 names a message far beyond anything routed. */
	ASSERT_EQ(0, ht_scribble(self->d.path, NAME, aux + 8, &bad, 8));
	/* Message 3's length is beyond the slot. */
	ASSERT_EQ(0, ht_scribble(self->d.path, NAME, slots + 3 * (8 + SLOT),
				 &badlen, 4));
	ASSERT_EQ(1, byteor_fanout_peek(self->rx[0], m, 16));
	EXPECT_EQ(0, m[0].seq);
	ASSERT_EQ(1, byteor_fanout_release(self->rx[0], 1));
	EXPECT_EQ(-EBADMSG, byteor_fanout_peek(self->rx[0], m, 16));
	ASSERT_EQ(1, byteor_fanout_peek(self->rx[0], m, 16));
	EXPECT_EQ(2, m[0].seq);
	EXPECT_EQ(NULL, fb_check(&m[0]));
	ASSERT_EQ(1, byteor_fanout_release(self->rx[0], 1));
	EXPECT_EQ(-EBADMSG, byteor_fanout_peek(self->rx[0], m, 16));
	EXPECT_EQ(-EAGAIN, byteor_fanout_peek(self->rx[0], m, 16));
	/* The lane goes on. */
	ASSERT_EQ(2, fb_produce(self->tx, &seq, 2, 1));
	ASSERT_EQ(2, byteor_fanout_route(self->rt, 64));
	ASSERT_EQ(2, byteor_fanout_peek(self->rx[0], m, 16));
	EXPECT_EQ(4, m[0].seq);
	EXPECT_EQ(NULL, fb_check(&m[1]));
}

TEST_F(fan, corrupt_positions_do_not_crash_the_producer_or_router)
{
	struct byteor_fanout_msg m[16];
	__u64 seq = 0, ctl, junk = 0xdeadbeefcafef00dULL;
	int k;

	fb_setup(_metadata, self, 16, 2, BYTEOR_FANOUT_BROADCAST, NULL);
	ctl = fb_area_off(_metadata, self->d.path, BYTEOR_AREA_CONTROL);
	ASSERT_NE(0, ctl);
	ASSERT_EQ(4, fb_produce(self->tx, &seq, 4, 1));
	/* R, then consumer 0's T and H. */
	ASSERT_EQ(0, ht_scribble(self->d.path, NAME, ctl + 1024, &junk, 8));
	k = fb_produce(self->tx, &seq, 16, 1);
	EXPECT_TRUE(k == -EBADMSG || k > 0);
	ASSERT_EQ(0, ht_scribble(self->d.path, NAME, ctl + 2048 + 128, &junk, 8));
	ASSERT_EQ(0, ht_scribble(self->d.path, NAME, ctl + 2048, &junk, 8));
	k = byteor_fanout_route(self->rt, 64);
	EXPECT_TRUE(k > 0 || k == -EAGAIN || k == -EBADMSG);
	k = byteor_fanout_peek(self->rx[0], m, 16);
	EXPECT_TRUE(k > 0 || k == -EAGAIN || k == -EBADMSG);
	k = byteor_fanout_peek(self->rx[1], m, 16);
	EXPECT_TRUE(k > 0 || k == -EAGAIN || k == -EBADMSG);
	k = fb_produce(self->tx, &seq, 16, 1);
	EXPECT_TRUE(k > 0 || k == -EAGAIN || k == -EBADMSG);
}

TEST_F(fan, attach_checks_roles_and_indices)
{
	struct byteor_attach_options o = fb_opts(self->d.path, 0);
	struct byteor_fanout_router_options bad = { .mode = BYTEOR_FANOUT_CALLBACK };
	struct byteor_fanout *f = NULL;
	struct byteor_fanout_slot s;

	ASSERT_EQ(0, fb_create(self->d.path, 16, 2));
	ASSERT_EQ(0, byteor_attach_fanout_tx(&o, &self->tx));
	EXPECT_EQ(-EBUSY, byteor_attach_fanout_tx(&o, &f));
	EXPECT_EQ(-EINVAL, byteor_attach_fanout_router(&o, &bad, &f));
	o.queue = 2;
	EXPECT_EQ(-EINVAL, byteor_attach_fanout_rx(&o, &f));
	o.queue = 1;
	ASSERT_EQ(0, byteor_attach_fanout_rx(&o, &self->rx[1]));
	EXPECT_EQ(-EBUSY, byteor_attach_fanout_rx(&o, &f));
	EXPECT_EQ(-EBADF, byteor_fanout_claim(self->rx[1], &s, 1));
	EXPECT_EQ(-EBADF, byteor_fanout_route(self->tx, 1));
	EXPECT_EQ(-EBADF, byteor_fanout_release(self->tx, 1));
	EXPECT_EQ(-EMSGSIZE, byteor_fanout_send(self->tx, &s, SLOT + 1, 0));
	/* No router yet: claims work until the ring is full. */
	EXPECT_EQ(1, byteor_fanout_claim(self->tx, &s, 1));
	EXPECT_EQ(-EBUSY, byteor_fanout_claim(self->tx, &s, 1));
	s.len = SLOT + 8;
	EXPECT_EQ(-EINVAL, byteor_fanout_publish(self->tx, &s, 1));
}

TEST_F(fan, stat_prints_text_and_json)
{
	struct byteor_attach_options o = fb_opts(self->d.path, 0);
	char path[HT_PATH + 32], buf[8192];
	__u64 seq = 0;
	FILE *f;
	size_t n;
	int fd, saved;

	fb_setup(_metadata, self, 16, 2, BYTEOR_FANOUT_BY_KEY, NULL);
	ASSERT_EQ(5, fb_produce(self->tx, &seq, 5, 1));
	ASSERT_EQ(5, byteor_fanout_route(self->rt, 64));
	snprintf(path, sizeof(path), "%s/stat.out", self->d.path);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ASSERT_LE(0, fd);
	fflush(stdout);
	saved = dup(1);
	dup2(fd, 1);
	o.flags = BYTEOR_ATTACH_OBSERVER;
	EXPECT_EQ(0, __byteorctl_stat_fanout(NAME, &o, 1));
	EXPECT_EQ(0, __byteorctl_stat_fanout(NAME, &o, 0));
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	close(fd);
	f = fopen(path, "r");
	ASSERT_NE(NULL, f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	EXPECT_NE(NULL, strstr(buf, "\"schema\":\"byteor.stat.v1\""));
	EXPECT_NE(NULL, strstr(buf, "\"kind\":\"fanout\""));
	EXPECT_NE(NULL, strstr(buf, "\"mode\":\"by-key\""));
	EXPECT_NE(NULL, strstr(buf, "\"router\":{\"pos\":5,\"alive\":true"));
	EXPECT_NE(NULL, strstr(buf, "fan: fanout, 16 slots of 64 bytes, 2 consumers"));
	o.name = "missing";
	EXPECT_EQ(1, __byteorctl_stat_fanout("missing", &o, 0));
}

TEST_HARNESS_MAIN
