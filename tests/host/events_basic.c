// SPDX-License-Identifier: GPL-2.0-only
/*
 * events_basic - the events chain's API in one process (and threads):
 * region creation, topology checks, independent queues, SPSC and MPSC
 * claim/publish/peek/release, out-of-order publication between producers,
 * full/empty/timeouts, corrupt lengths, orphaned claims of a producer that
 * went away (skipped and counted), a new producer in a dead one's slot,
 * snapshots, MPSC producer threads (ThreadSanitizer sees this).
 */
#include "kselftest_harness.h"
#include "host_test.h"
#include "single_ring_test.h"

#include <pthread.h>

#define SLOT	64

FIXTURE(ev) {
	struct ht_dir d;
};

FIXTURE_SETUP(ev)
{
	HT_DIR_SETUP(&self->d, false);
	/* Queue 0 SPSC, queue 1 MPSC (3 producers), queue 2 SPSC. */
	ASSERT_EQ(0, lt_create_events(self->d.path, "ev", SLOT, 16, 3, 3, 1 << 1));
}

FIXTURE_TEARDOWN(ev)
{
	ht_dir_teardown(&self->d);
}

static int ev_open(const char *dir, unsigned int q, long long timeout_ns,
		   int (*fn)(const struct byteor_attach_options *,
			     struct byteor_events **),
		   struct byteor_events **e)
{
	struct byteor_attach_options o = lt_opts(dir, "ev", q, timeout_ns);

	return fn(&o, e);
}

TEST_F(ev, region_create_checks_geometry)
{
	struct byteor_events_chain_options c = {
		.name = "bad", .slot_size = 64, .capacity = 16, .queues = 2,
		.producers = 2, .backing = BYTEOR_BACKING_USER, .dir = self->d.path,
	};
	struct byteor_region_info info;

	/* producers > 1 needs an MPSC queue. */
	EXPECT_EQ(-EINVAL, byteor_events_chain_region_create(&c, NULL));
	c.mpsc_mask = 1 << 2;	/* no queue 2 */
	EXPECT_EQ(-EINVAL, byteor_events_chain_region_create(&c, NULL));
	c.mpsc_mask = 1;
	c.reserved[0] = 1;
	EXPECT_EQ(-EINVAL, byteor_events_chain_region_create(&c, NULL));
	c.reserved[0] = 0;
	EXPECT_EQ(-EINVAL, byteor_events_chain_region_create(NULL, NULL));
	ASSERT_EQ(0, byteor_events_chain_region_create(&c, &info));
	EXPECT_EQ(BYTEOR_KIND_EVENTS_CHAIN, info.kind);
	EXPECT_EQ(BYTEOR_EVENTS_CHAIN_VERSION, info.layout_version);
	EXPECT_EQ(2, info.geometry.queues);
	EXPECT_EQ(1, info.geometry.mpsc_mask);
	EXPECT_EQ(-EEXIST, byteor_events_chain_region_create(&c, NULL));
}

TEST_F(ev, attach_checks_topology_queue_and_roles)
{
	struct byteor_events *e, *tx, *rx, *m[3], *obs;
	struct byteor_slot s;

	EXPECT_EQ(-EBADMSG, ev_open(self->d.path, 1, 0, byteor_attach_events_tx, &e));
	EXPECT_EQ(-EBADMSG, ev_open(self->d.path, 1, 0, byteor_attach_events_rx, &e));
	EXPECT_EQ(-EBADMSG, ev_open(self->d.path, 0, 0, byteor_attach_events_mpsc_tx, &e));
	EXPECT_EQ(-EBADMSG, ev_open(self->d.path, 2, 0, byteor_attach_events_mpsc_rx, &e));
	EXPECT_EQ(-EINVAL, ev_open(self->d.path, 3, 0, byteor_attach_events_tx, &e));
	ASSERT_EQ(0, ev_open(self->d.path, 0, 0, byteor_attach_events_tx, &tx));
	ASSERT_EQ(0, ev_open(self->d.path, 0, 0, byteor_attach_events_rx, &rx));
	EXPECT_EQ(-EBUSY, ev_open(self->d.path, 0, 0, byteor_attach_events_tx, &e));
	EXPECT_EQ(-EBUSY, ev_open(self->d.path, 0, 0, byteor_attach_events_rx, &e));
	/* Three producer slots on queue 1, then none. */
	ASSERT_EQ(0, ev_open(self->d.path, 1, 0, byteor_attach_events_mpsc_tx, &m[0]));
	ASSERT_EQ(0, ev_open(self->d.path, 1, 0, byteor_attach_events_mpsc_tx, &m[1]));
	ASSERT_EQ(0, ev_open(self->d.path, 1, 0, byteor_attach_events_mpsc_tx, &m[2]));
	EXPECT_EQ(-EBUSY, ev_open(self->d.path, 1, 0, byteor_attach_events_mpsc_tx, &e));
	EXPECT_EQ(0, byteor_events_producer_index(m[0]));
	EXPECT_EQ(1, byteor_events_producer_index(m[1]));
	EXPECT_EQ(2, byteor_events_producer_index(m[2]));
	ASSERT_EQ(0, ev_open(self->d.path, 5, 0, byteor_attach_events_observer, &obs));
	EXPECT_EQ(3, byteor_events_queues(obs));
	EXPECT_EQ(SLOT, byteor_events_slot_size(obs));
	EXPECT_EQ(16, byteor_events_capacity(obs));
	EXPECT_EQ(1, byteor_events_queue(m[1]));
	EXPECT_EQ(-EBADF, byteor_events_claim(rx, &s, 1));
	EXPECT_EQ(-EBADF, byteor_events_peek(tx, &s, 1));
	EXPECT_EQ(-EBADF, byteor_events_send(obs, "x", 1));
	EXPECT_EQ(-EBADF, byteor_events_peer_alive(obs));
	EXPECT_EQ(1, byteor_events_peer_alive(tx));
	/* No consumer on queue 1 yet. */
	EXPECT_EQ(0, byteor_events_peer_alive(m[0]));
	byteor_events_detach(m[1]);
	/* The freed slot is taken again. */
	ASSERT_EQ(0, ev_open(self->d.path, 1, 0, byteor_attach_events_mpsc_tx, &m[1]));
	EXPECT_EQ(1, byteor_events_producer_index(m[1]));
	byteor_events_detach(m[0]);
	byteor_events_detach(m[1]);
	byteor_events_detach(m[2]);
	byteor_events_detach(tx);
	byteor_events_detach(rx);
	byteor_events_detach(obs);
}

TEST_F(ev, queues_are_independent)
{
	struct byteor_events *tx0, *rx0, *tx2, *rx2;
	char buf[SLOT];

	ASSERT_EQ(0, ev_open(self->d.path, 0, 0, byteor_attach_events_tx, &tx0));
	ASSERT_EQ(0, ev_open(self->d.path, 0, 0, byteor_attach_events_rx, &rx0));
	ASSERT_EQ(0, ev_open(self->d.path, 2, 0, byteor_attach_events_tx, &tx2));
	ASSERT_EQ(0, ev_open(self->d.path, 2, 0, byteor_attach_events_rx, &rx2));
	ASSERT_EQ(0, byteor_events_send(tx0, "zero", 4));
	EXPECT_EQ(-EAGAIN, byteor_events_recv(rx2, buf, sizeof(buf)));
	ASSERT_EQ(0, byteor_events_send(tx2, "two", 3));
	EXPECT_EQ(3, byteor_events_recv(rx2, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "two", 3));
	EXPECT_EQ(4, byteor_events_recv(rx0, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "zero", 4));
	byteor_events_detach(tx0);
	byteor_events_detach(rx0);
	byteor_events_detach(tx2);
	byteor_events_detach(rx2);
}

TEST_F(ev, spsc_queue_wraps_full_empty_and_times_out)
{
	unsigned long long total = lt_scaled(200000, 10000), sent = 0;
	struct byteor_events *tx, *rx;
	struct byteor_slot s[16];
	unsigned int seed = 7;
	__u64 next = 0;
	int n, i;

	ASSERT_EQ(0, ev_open(self->d.path, 0, 0, byteor_attach_events_tx, &tx));
	ASSERT_EQ(0, ev_open(self->d.path, 0, 0, byteor_attach_events_rx, &rx));
	EXPECT_EQ(-EAGAIN, byteor_events_peek(rx, s, 1));
	EXPECT_EQ(-ETIMEDOUT, byteor_events_peek_timed(rx, s, 1, 2000000));
	while (next < total) {
		n = 1 + rand_r(&seed) % 16;
		if ((unsigned long long)n > total - sent)
			n = (int)(total - sent);
		n = byteor_events_claim(tx, s, n);
		if (n > 0) {
			for (i = 0; i < n; i++)
				s[i].len = lt_fill(s[i].data, 0, sent++, SLOT);
			ASSERT_EQ(n, byteor_events_publish(tx, s, n));
		}
		n = byteor_events_peek(rx, s, 1 + rand_r(&seed) % 16);
		if (n == -EAGAIN)
			continue;
		ASSERT_LT(0, n);
		for (i = 0; i < n; i++)
			ASSERT_EQ(NULL, lt_check(s[i].data, s[i].len, SLOT, &next, 1));
		ASSERT_EQ(n, byteor_events_release(rx, n));
	}
	for (i = 0; i < 16; i++)
		ASSERT_EQ(0, byteor_events_send(tx, s, 8));
	EXPECT_EQ(-EAGAIN, byteor_events_send(tx, s, 8));
	EXPECT_EQ(-ETIMEDOUT, byteor_events_send_timed(tx, s, 8, 2000000));
	byteor_events_detach(tx);
	byteor_events_detach(rx);
}

TEST_F(ev, mpsc_delivers_in_publication_order_per_position)
{
	struct byteor_events *a, *b, *rx;
	struct byteor_slot sa[2], sb[2], r[8];

	ASSERT_EQ(0, ev_open(self->d.path, 1, 0, byteor_attach_events_mpsc_tx, &a));
	ASSERT_EQ(0, ev_open(self->d.path, 1, 0, byteor_attach_events_mpsc_tx, &b));
	ASSERT_EQ(0, ev_open(self->d.path, 1, 0, byteor_attach_events_mpsc_rx, &rx));
	EXPECT_EQ(-EAGAIN, byteor_events_peek(rx, r, 8));
	/* a takes positions 0-1, b 2-3; b publishes first. */
	ASSERT_EQ(2, byteor_events_claim(a, sa, 2));
	ASSERT_EQ(2, byteor_events_claim(b, sb, 2));
	EXPECT_EQ(-EBUSY, byteor_events_claim(a, sa, 1));
	memcpy(sb[0].data, "b0", 2);
	memcpy(sb[1].data, "b1", 2);
	sb[0].len = sb[1].len = 2;
	ASSERT_EQ(2, byteor_events_publish(b, sb, 2));
	EXPECT_EQ(-EAGAIN, byteor_events_peek(rx, r, 8));
	memcpy(sa[0].data, "a0", 2);
	memcpy(sa[1].data, "a1", 2);
	sa[0].len = 2;
	sa[1].len = SLOT + 1;
	EXPECT_EQ(-EINVAL, byteor_events_publish(a, sa, 2));
	sa[1].len = 2;
	ASSERT_EQ(1, byteor_events_publish(a, sa, 1));
	ASSERT_EQ(1, byteor_events_peek(rx, r, 8));
	ASSERT_EQ(1, byteor_events_publish(a, sa + 1, 1));
	ASSERT_EQ(4, byteor_events_peek(rx, r, 8));
	EXPECT_EQ(0, memcmp(r[0].data, "a0", 2));
	EXPECT_EQ(0, memcmp(r[1].data, "a1", 2));
	EXPECT_EQ(0, memcmp(r[2].data, "b0", 2));
	EXPECT_EQ(0, memcmp(r[3].data, "b1", 2));
	EXPECT_EQ(-EINVAL, byteor_events_release(rx, 5));
	ASSERT_EQ(4, byteor_events_release(rx, 4));
	EXPECT_EQ(0, byteor_events_skipped(rx));
	byteor_events_detach(a);
	byteor_events_detach(b);
	byteor_events_detach(rx);
}

TEST_F(ev, mpsc_full_and_empty_are_eagain_and_corrupt_length_is_dropped)
{
	struct byteor_events *a, *b, *rx;
	struct byteor_region_info info;
	struct byteor_slot s[16];
	__u32 evil = 1 << 20;
	char buf[SLOT];
	int i;

	ASSERT_EQ(0, ev_open(self->d.path, 1, 0, byteor_attach_events_mpsc_tx, &a));
	ASSERT_EQ(0, ev_open(self->d.path, 1, 0, byteor_attach_events_mpsc_tx, &b));
	ASSERT_EQ(0, ev_open(self->d.path, 1, 0, byteor_attach_events_mpsc_rx, &rx));
	ASSERT_EQ(10, byteor_events_claim(a, s, 10));
	ASSERT_EQ(10, byteor_events_publish(a, NULL, 10));
	/* Six left: a batch claim gets what there is. */
	ASSERT_EQ(6, byteor_events_claim(b, s, 16));
	for (i = 0; i < 6; i++)
		s[i].len = i;
	ASSERT_EQ(6, byteor_events_publish(b, s, 6));
	EXPECT_EQ(-EAGAIN, byteor_events_send(a, "x", 1));
	EXPECT_EQ(-EAGAIN, byteor_events_send(b, "x", 1));
	for (i = 0; i < 10; i++)
		ASSERT_EQ(SLOT, byteor_events_recv(rx, buf, sizeof(buf)));
	/* A peer scribbles a huge length into position 11's header. */
	ASSERT_EQ(0, byteor_region_info("ev", BYTEOR_BACKING_USER, self->d.path, &info));
	ASSERT_EQ(0, ht_scribble(self->d.path, "ev",
				 info.layout.area_off[BYTEOR_AREA_SLOTS] +
				 (16 + 11) * info.layout.slot_stride, &evil, 4));
	EXPECT_EQ(0, byteor_events_recv(rx, buf, sizeof(buf)));
	EXPECT_EQ(-EBADMSG, byteor_events_recv(rx, buf, sizeof(buf)));
	for (i = 2; i < 6; i++)
		EXPECT_EQ(i, byteor_events_recv(rx, buf, sizeof(buf)));
	EXPECT_EQ(-EAGAIN, byteor_events_recv(rx, buf, sizeof(buf)));
	EXPECT_EQ(-ETIMEDOUT, byteor_events_recv_timed(rx, buf, sizeof(buf), 2000000));
	EXPECT_EQ(0, byteor_events_send(a, "x", 1));
	byteor_events_detach(a);
	byteor_events_detach(b);
	byteor_events_detach(rx);
}

/*
 * A producer that goes away with a claim outstanding (here: detaches; the
 * cross-process tests SIGKILL it) leaves positions that will never be
 * published: the consumer skips them after a grace period and counts
 * them; everything the live producer sent arrives.
 */
TEST_F(ev, mpsc_orphaned_claim_is_skipped_and_counted)
{
	struct byteor_events *a, *b, *rx, *obs;
	struct byteor_events_snapshot snap;
	struct byteor_slot s[3];
	char buf[SLOT];
	long long t0;
	int i, n;

	ASSERT_EQ(0, ev_open(self->d.path, 1, 0, byteor_attach_events_mpsc_tx, &a));
	ASSERT_EQ(0, ev_open(self->d.path, 1, 0, byteor_attach_events_mpsc_tx, &b));
	ASSERT_EQ(0, ev_open(self->d.path, 1, 1000000000LL,
			     byteor_attach_events_mpsc_rx, &rx));
	ASSERT_EQ(0, byteor_events_send(b, "b0", 2));
	ASSERT_EQ(3, byteor_events_claim(a, s, 3));
	ASSERT_EQ(0, byteor_events_send(b, "b1", 2));
	byteor_events_detach(a);	/* dies with 3 positions claimed */
	EXPECT_EQ(2, byteor_events_recv(rx, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "b0", 2));
	/* Non-blocking polls see nothing until the grace has passed. */
	EXPECT_EQ(-EAGAIN, byteor_events_recv_timed(rx, buf, sizeof(buf), 0));
	t0 = lt_now_ns();
	n = byteor_events_recv(rx, buf, sizeof(buf));
	EXPECT_EQ(2, n);
	EXPECT_EQ(0, memcmp(buf, "b1", 2));
	/* About the grace (1 ms) plus a park slice (20 ms); slack for load. */
	EXPECT_LT(lt_now_ns() - t0, 2000000000LL);
	EXPECT_EQ(3, byteor_events_skipped(rx));
	ASSERT_EQ(0, ev_open(self->d.path, 0, 0, byteor_attach_events_observer, &obs));
	ASSERT_EQ(0, byteor_events_snapshot(obs, 1, &snap));
	EXPECT_EQ(BYTEOR_EVENTS_SNAP_F_MPSC, snap.flags);
	EXPECT_EQ(3, snap.skipped);
	EXPECT_EQ(5, snap.producer_pos);
	EXPECT_EQ(5, snap.consumer_pos);
	EXPECT_EQ(3, snap.producers);
	EXPECT_EQ(1, snap.producers_alive);
	EXPECT_EQ(1ULL << 1, snap.producers_alive_mask);
	EXPECT_EQ(1, snap.consumer_alive);
	EXPECT_EQ(2, snap.producer_attaches);
	/* The queue goes on. */
	for (i = 0; i < 40; i++) {
		ASSERT_EQ(0, byteor_events_send(b, &i, sizeof(i)));
		ASSERT_EQ(sizeof(i), byteor_events_recv(rx, buf, sizeof(buf)));
		EXPECT_EQ(0, memcmp(buf, &i, sizeof(i)));
	}
	EXPECT_EQ(3, byteor_events_skipped(rx));
	byteor_events_detach(b);
	byteor_events_detach(rx);
	byteor_events_detach(obs);
}

/*
 * A producer that takes a dead one's slot sends at once; the dead one's
 * two claimed, unpublished positions come first in the queue and are
 * skipped as orphans, then the new producer's event arrives.
 */
TEST_F(ev, mpsc_new_producer_in_dead_slot_sends_and_the_orphans_are_skipped)
{
	struct byteor_events *a, *n, *rx;
	struct byteor_slot s[2];
	char buf[SLOT];

	ASSERT_EQ(0, ev_open(self->d.path, 1, 0, byteor_attach_events_mpsc_tx, &a));
	ASSERT_EQ(0, ev_open(self->d.path, 1, 1000000000LL,
			     byteor_attach_events_mpsc_rx, &rx));
	ASSERT_EQ(2, byteor_events_claim(a, s, 2));
	byteor_events_detach(a);
	ASSERT_EQ(0, ev_open(self->d.path, 1, 0, byteor_attach_events_mpsc_tx, &n));
	EXPECT_EQ(0, byteor_events_producer_index(n));
	ASSERT_EQ(0, byteor_events_send(n, "n0", 2));
	EXPECT_EQ(2, byteor_events_recv(rx, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "n0", 2));
	EXPECT_EQ(2, byteor_events_skipped(rx));
	byteor_events_detach(n);
	byteor_events_detach(rx);
}

struct mp_arg {
	const char *dir;
	__u32 id;
	unsigned long long n;
	int ret;
};

static void *mpsc_thread(void *p)
{
	struct mp_arg *a = p;
	struct byteor_events *tx;
	struct byteor_slot s[8];
	unsigned char buf[SLOT];
	__u64 seq = 0;
	int n, i;

	a->ret = ev_open(a->dir, 1, 10000000000LL, byteor_attach_events_mpsc_tx, &tx);
	if (a->ret)
		return NULL;
	while (seq < a->n) {
		if (seq & 1024) {	/* alternate: copying, then batches */
			__u32 len = lt_fill(buf, a->id, seq, SLOT);

			a->ret = byteor_events_send(tx, buf, len);
			if (a->ret)
				break;
			seq++;
			continue;
		}
		n = byteor_events_claim(tx, s, a->n - seq < 8 ?
					(unsigned int)(a->n - seq) : 8);
		if (n < 0) {
			a->ret = n;
			break;
		}
		for (i = 0; i < n; i++)
			s[i].len = lt_fill(s[i].data, a->id, seq++, SLOT);
		byteor_events_publish(tx, s, n);
	}
	if (a->ret)
		fprintf(stderr, "# producer %u: %s at %llu\n", a->id,
			byteor_strerror(a->ret), (unsigned long long)seq);
	byteor_events_detach(tx);
	return NULL;
}

TEST_F(ev, mpsc_threads_lose_nothing_and_keep_per_producer_order)
{
	struct mp_arg a[3];
	struct byteor_events *rx;
	struct byteor_slot s[16];
	pthread_t th[3];
	__u64 next[3] = { 0 }, got = 0, total;
	int i, n;

	ASSERT_EQ(0, ev_open(self->d.path, 1, 10000000000LL,
			     byteor_attach_events_mpsc_rx, &rx));
	for (i = 0; i < 3; i++) {
		a[i] = (struct mp_arg){ .dir = self->d.path, .id = i,
					.n = lt_scaled(100000, 5000) };
		ASSERT_EQ(0, pthread_create(&th[i], NULL, mpsc_thread, &a[i]));
	}
	total = 3 * a[0].n;
	while (got < total) {
		n = byteor_events_peek(rx, s, 16);
		if (n < 0) {
			struct byteor_events_snapshot sn;

			byteor_events_snapshot(rx, 1, &sn);
			TH_LOG("got %llu prod %llu cons %llu alive %u/%llx att %llu",
			       (unsigned long long)got, sn.producer_pos, sn.consumer_pos,
			       sn.producers_alive, sn.producers_alive_mask,
			       sn.producer_attaches);
		}
		ASSERT_LT(0, n) TH_LOG("peek: %s", byteor_strerror(n));
		for (i = 0; i < n; i++) {
			const char *why = lt_check(s[i].data, s[i].len, SLOT, next, 3);

			ASSERT_EQ(NULL, why) TH_LOG("after %llu: %s",
						    (unsigned long long)got, why);
			got++;
		}
		byteor_events_release(rx, n);
	}
	for (i = 0; i < 3; i++) {
		pthread_join(th[i], NULL);
		EXPECT_EQ(0, a[i].ret);
		EXPECT_EQ(a[i].n, next[i]);
	}
	EXPECT_EQ(0, byteor_events_skipped(rx));
	byteor_events_detach(rx);
}

/* Consumers of queues 0 (SPSC), 1 (MPSC) and 2 (SPSC), park path @path. */
static void ev_open_rx3(struct __test_metadata *_metadata, const char *dir,
			int path, struct byteor_events *rx[3])
{
	unsigned int q;

	for (q = 0; q < 3; q++) {
		struct byteor_attach_options o = lt_opts(dir, "ev", q, 0);

		o.park_path = path;
		ASSERT_EQ(0, (q == 1 ? byteor_attach_events_mpsc_rx :
			      byteor_attach_events_rx)(&o, &rx[q]));
	}
}

TEST_F(ev, wait_any_checks_its_arguments_and_reports_the_ready_queue)
{
	struct byteor_events *rx[3], *tx, *dup[2];
	char buf[SLOT];
	long long t0;

	ev_open_rx3(_metadata, self->d.path, BYTEOR_PARK_AUTO, rx);
	ASSERT_EQ(0, ev_open(self->d.path, 1, 0, byteor_attach_events_mpsc_tx, &tx));
	EXPECT_EQ(-EINVAL, byteor_events_wait_any(NULL, 1, 0));
	EXPECT_EQ(-EINVAL, byteor_events_wait_any(rx, 0, 0));
	EXPECT_EQ(-EINVAL, byteor_events_wait_any(rx, 129, 0));
	dup[0] = rx[0];
	dup[1] = rx[0];
	EXPECT_EQ(-EINVAL, byteor_events_wait_any(dup, 2, 0));
	dup[1] = tx;		/* a producer handle */
	EXPECT_EQ(-EINVAL, byteor_events_wait_any(dup, 2, 0));
	EXPECT_EQ(-EAGAIN, byteor_events_wait_any(rx, 3, 0));
	t0 = lt_now_ns();
	EXPECT_EQ(-ETIMEDOUT, byteor_events_wait_any(rx, 3, 30000000));
	EXPECT_GE(lt_now_ns() - t0, 30000000);
	memset(buf, 7, sizeof(buf));
	ASSERT_EQ(0, byteor_events_send(tx, buf, 16));
	EXPECT_EQ(1, byteor_events_wait_any(rx, 3, 0));
	EXPECT_EQ(1, byteor_events_wait_any(rx, 3, 1000000000));
	EXPECT_EQ(16, byteor_events_recv_timed(rx[1], buf, sizeof(buf), 0));
	EXPECT_EQ(-EAGAIN, byteor_events_wait_any(rx, 3, 0));
	byteor_events_detach(tx);
	byteor_events_detach(rx[0]);
	byteor_events_detach(rx[1]);
	byteor_events_detach(rx[2]);
}

/*
 * A consumer parked on three queues at once (FUTEX_WAITV through io_uring,
 * or futex_waitv(2)) is woken by one publish on queue 2 from another
 * process, many times over: a lost wake-up shows as a timeout.  The
 * publisher pauses 2 ms before each event, far longer than the spin and
 * yield stages, so each round ends parked.
 */
static void ev_wait_any_across_processes(struct __test_metadata *_metadata,
					 const char *dir, int path)
{
	struct byteor_events *rx[3], *tx;
	int i, rounds = 50, status;
	char buf[SLOT];
	pid_t pid;

	ev_open_rx3(_metadata, dir, path, rx);
	pid = lt_fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (ev_open(dir, 2, 2000000000LL, byteor_attach_events_tx, &tx))
			_exit(2);
		for (i = 0; i < rounds; i++) {
			usleep(2000);	/* long enough for the consumer to park */
			if (byteor_events_send(tx, buf, 8))
				_exit(3);
		}
		byteor_events_detach(tx);
		_exit(0);
	}
	for (i = 0; i < rounds; i++) {
		ASSERT_EQ(2, byteor_events_wait_any(rx, 3, 5000000000LL))
			TH_LOG("round %d", i);
		ASSERT_EQ(8, byteor_events_recv_timed(rx[2], buf, sizeof(buf), 0));
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	byteor_events_detach(rx[0]);
	byteor_events_detach(rx[1]);
	byteor_events_detach(rx[2]);
}

TEST_F(ev, wait_any_parks_on_several_queues_through_io_uring)
{
	struct byteor_wait_probe p;

	ASSERT_EQ(0, byteor_wait_probe(&p));
	if (p.park_path != BYTEOR_PARK_IO_URING)
		SKIP(return, "no io_uring futex wait here (probe)");
	ev_wait_any_across_processes(_metadata, self->d.path, BYTEOR_PARK_IO_URING);
}

TEST_F(ev, wait_any_parks_on_several_queues_through_futex_waitv)
{
	ev_wait_any_across_processes(_metadata, self->d.path, BYTEOR_PARK_FUTEX);
}

TEST_HARNESS_MAIN
