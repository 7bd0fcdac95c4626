// SPDX-License-Identifier: GPL-2.0-only
/*
 * sequenced_slots_basic - sequenced slots in one process: ordering and
 * content over many wrap-arounds, full ring (-EAGAIN, -ETIMEDOUT, batch
 * claims), empty stage, barriers, roles and their errors, subscribers,
 * removal refused while a stage lives, snapshots, and the four topologies
 * with one thread per stage (what ThreadSanitizer checks).
 */
#include <pthread.h>
#include "kselftest_harness.h"
#include "host_test.h"
#include "single_ring_test.h"
#include "sequenced_slots_test.h"

FIXTURE(seq) {
	struct ht_dir d;
};

FIXTURE_SETUP(seq)
{
	HT_DIR_SETUP(&self->d, false);
}

FIXTURE_TEARDOWN(seq)
{
	ht_dir_teardown(&self->d);
}

static struct byteor_sequenced_slots *st_attach(struct __test_metadata *_metadata,
						const char *dir, int role,
						unsigned int queue,
						long long timeout_ns)
{
	struct byteor_attach_options o = st_opts(dir, queue, timeout_ns);
	struct byteor_sequenced_slots *h = NULL;
	int ret = byteor_attach_sequenced_slots_region(&o, role, &h);

	EXPECT_EQ(0, ret) TH_LOG("attach role %d queue %u: %s", role, queue,
				 byteor_strerror(ret));
	return h;
}

/* Producer and one stage alternate on an 8-entry ring: 1000 laps. */
TEST_F(seq, entries_arrive_in_order_over_many_wrap_arounds)
{
	struct byteor_sequenced_slots *p, *s;
	__u64 first, next = 0, seq = 0;
	const char *why;
	int n, i, k;

	ASSERT_EQ(0, st_create_topo(self->d.path, "seq", 8, ST_UNICAST));
	p = st_attach(_metadata, self->d.path, BYTEOR_ROLE_PRODUCER, 0, 0);
	s = st_attach(_metadata, self->d.path, BYTEOR_ROLE_CONSUMER, 0, 0);
	ASSERT_NE(NULL, p);
	ASSERT_NE(NULL, s);
	while (next < 8000) {
		/* Claim batches of 1..5 until the ring is full. */
		k = 1 + (int)(seq % 5);
		while (!byteor_sequenced_slots_producer_claim(p, k, &first)) {
			ASSERT_EQ(seq, first);
			for (i = 0; i < k; i++)
				st_fill(byteor_sequenced_slots_entry(p, first + i),
					first + i);
			ASSERT_EQ(k, byteor_sequenced_slots_producer_publish(p, k));
			seq += k;
			k = 1 + (int)(seq % 5);
		}
		ASSERT_LE(seq - next, 8);
		/* Drain in batches of at most 3. */
		while ((n = byteor_sequenced_slots_stage_wait(s, 3, &first)) > 0) {
			ASSERT_EQ(next, first);
			for (i = 0; i < n; i++) {
				why = st_process(byteor_sequenced_slots_entry(s, first + i),
						 next, 0, 0, true);
				ASSERT_EQ(NULL, why) TH_LOG("entry %llu: %s",
							    (unsigned long long)next, why);
				next++;
			}
			ASSERT_EQ(n, byteor_sequenced_slots_stage_advance(s, n));
		}
		ASSERT_EQ(-EAGAIN, n);
		ASSERT_EQ(seq, next);
	}
	byteor_sequenced_slots_detach(s);
	byteor_sequenced_slots_detach(p);
}

TEST_F(seq, full_ring_is_eagain_then_etimedout_and_batches_are_all_or_nothing)
{
	struct byteor_sequenced_slots *p, *s;
	__u64 first;
	long long t0, dt;

	ASSERT_EQ(0, st_create_topo(self->d.path, "seq", 16, ST_UNICAST));
	p = st_attach(_metadata, self->d.path, BYTEOR_ROLE_PRODUCER, 0, 0);
	s = st_attach(_metadata, self->d.path, BYTEOR_ROLE_CONSUMER, 0, 0);
	ASSERT_NE(NULL, p);
	ASSERT_NE(NULL, s);
	EXPECT_EQ(-EINVAL, byteor_sequenced_slots_producer_claim(p, 0, &first));
	EXPECT_EQ(-EINVAL, byteor_sequenced_slots_producer_claim(p, 17, &first));
	/* Two outstanding claims, published together. */
	ASSERT_EQ(0, byteor_sequenced_slots_producer_claim(p, 10, &first));
	EXPECT_EQ(0, first);
	ASSERT_EQ(0, byteor_sequenced_slots_producer_claim(p, 6, &first));
	EXPECT_EQ(10, first);
	EXPECT_EQ(-EINVAL, byteor_sequenced_slots_producer_claim(p, 1, &first));
	EXPECT_EQ(-EINVAL, byteor_sequenced_slots_producer_publish(p, 17));
	ASSERT_EQ(16, byteor_sequenced_slots_producer_publish(p, 16));
	EXPECT_EQ(-EAGAIN, byteor_sequenced_slots_producer_claim(p, 1, &first));
	t0 = lt_now_ns();
	EXPECT_EQ(-ETIMEDOUT,
		  byteor_sequenced_slots_producer_claim_timed(p, 1, &first,
							      50000000));
	dt = lt_now_ns() - t0;
	EXPECT_LE(50000000, dt);
	EXPECT_GT(2000000000LL, dt);
	/* 3 freed: a batch of 4 is refused whole, 3 fit. */
	ASSERT_EQ(16, byteor_sequenced_slots_stage_wait(s, 100, &first));
	EXPECT_EQ(-EINVAL, byteor_sequenced_slots_stage_advance(s, 17));
	ASSERT_EQ(3, byteor_sequenced_slots_stage_advance(s, 3));
	EXPECT_EQ(-EAGAIN, byteor_sequenced_slots_producer_claim(p, 4, &first));
	ASSERT_EQ(0, byteor_sequenced_slots_producer_claim(p, 3, &first));
	EXPECT_EQ(16, first);
	/* The producer's waiting surfaces in the snapshot's counters. */
	byteor_sequenced_slots_detach(s);
	byteor_sequenced_slots_detach(p);
}

TEST_F(seq, empty_stage_is_eagain_then_etimedout)
{
	struct byteor_sequenced_slots *s;
	__u64 first;
	long long t0;

	ASSERT_EQ(0, st_create_topo(self->d.path, "seq", 16, ST_PIPELINE));
	s = st_attach(_metadata, self->d.path, BYTEOR_ROLE_CONSUMER, 1, 0);
	ASSERT_NE(NULL, s);
	EXPECT_EQ(-EAGAIN, byteor_sequenced_slots_stage_wait(s, 1, &first));
	t0 = lt_now_ns();
	EXPECT_EQ(-ETIMEDOUT, byteor_sequenced_slots_stage_wait_timed(s, 1, &first,
								      30000000));
	EXPECT_LE(30000000, lt_now_ns() - t0);
	EXPECT_EQ(-EINVAL, byteor_sequenced_slots_stage_wait(s, 0, &first));
	byteor_sequenced_slots_detach(s);
}

/*
 * Pipeline 0 -> 1 -> 2: stage 1 sees nothing until stage 0 advances; the
 * barriers report exclusive ends for batching.
 */
TEST_F(seq, barriers_follow_cursor_and_dependencies)
{
	struct byteor_sequenced_slots *p, *s0, *s1, *obs;
	__u64 first, end;
	int i;

	ASSERT_EQ(0, st_create_topo(self->d.path, "seq", 16, ST_PIPELINE));
	p = st_attach(_metadata, self->d.path, BYTEOR_ROLE_PRODUCER, 0, 0);
	s0 = st_attach(_metadata, self->d.path, BYTEOR_ROLE_CONSUMER, 0, 0);
	s1 = st_attach(_metadata, self->d.path, BYTEOR_ROLE_CONSUMER, 1, 0);
	obs = st_attach(_metadata, self->d.path, BYTEOR_ROLE_OBSERVER, 0, 0);
	ASSERT_NE(NULL, obs);
	EXPECT_EQ(-EAGAIN, byteor_cursor_barrier_wait(obs, 0, &end, 0));
	ASSERT_EQ(0, byteor_sequenced_slots_producer_claim(p, 5, &first));
	for (i = 0; i < 5; i++)
		st_fill(byteor_sequenced_slots_entry(p, i), i);
	ASSERT_EQ(5, byteor_sequenced_slots_producer_publish(p, 5));
	ASSERT_EQ(0, byteor_cursor_barrier_wait(obs, 0, &end, 0));
	EXPECT_EQ(5, end);
	EXPECT_EQ(-EAGAIN, byteor_cursor_barrier_wait(obs, 5, &end, 0));
	EXPECT_EQ(-EAGAIN, byteor_sequenced_slots_stage_wait(s1, 8, &first));
	EXPECT_EQ(-EAGAIN, byteor_gating_barrier_wait(obs, 1U << 0, 0, &end, 0));
	ASSERT_EQ(5, byteor_sequenced_slots_stage_wait(s0, 8, &first));
	for (i = 0; i < 2; i++)
		EXPECT_EQ(NULL, st_process(byteor_sequenced_slots_entry(s0, i),
					   i, 0, 0, true));
	ASSERT_EQ(2, byteor_sequenced_slots_stage_advance(s0, 2));
	ASSERT_EQ(0, byteor_gating_barrier_wait(obs, 1U << 0, 0, &end, 0));
	EXPECT_EQ(2, end);
	ASSERT_EQ(2, byteor_sequenced_slots_stage_wait(s1, 8, &first));
	EXPECT_EQ(0, first);
	EXPECT_EQ(NULL, st_process(byteor_sequenced_slots_entry(s1, 0), 0, 1,
				   1U << 0, true));
	EXPECT_EQ(-EINVAL, byteor_gating_barrier_wait(obs, 1U << 3, 0, &end, 0));
	EXPECT_EQ(-EINVAL, byteor_gating_barrier_wait(obs, 0, 0, &end, 0));
	/* Read-only roles. */
	EXPECT_EQ(NULL, byteor_sequenced_slots_entry(obs, 0));
	EXPECT_NE(NULL, byteor_sequenced_slots_entry_ro(obs, 0));
	EXPECT_EQ(-EBADF, byteor_sequenced_slots_stage_wait(obs, 1, &first));
	EXPECT_EQ(-EBADF, byteor_sequenced_slots_producer_claim(s0, 1, &first));
	EXPECT_EQ(-EBADF, byteor_sequenced_slots_producer_publish(s0, 1));
	EXPECT_EQ(-EBADF, byteor_sequenced_slots_stage_advance(p, 1));
	EXPECT_EQ(-EBADF, byteor_sequenced_slots_subscriber_wait(s0, 1, &first));
	byteor_sequenced_slots_detach(obs);
	byteor_sequenced_slots_detach(s1);
	byteor_sequenced_slots_detach(s0);
	byteor_sequenced_slots_detach(p);
}

TEST_F(seq, roles_are_exclusive_and_subscribers_must_be_terminal)
{
	struct byteor_attach_options o = st_opts(self->d.path, 0, 0);
	struct byteor_sequenced_slots *p, *h, *sub;
	__u64 first;

	ASSERT_EQ(0, st_create_topo(self->d.path, "seq", 16, ST_PIPELINE));
	p = st_attach(_metadata, self->d.path, BYTEOR_ROLE_PRODUCER, 0, 0);
	ASSERT_NE(NULL, p);
	EXPECT_EQ(-EBUSY, byteor_attach_sequenced_slots_region(&o, BYTEOR_ROLE_PRODUCER, &h));
	o.queue = 3;
	EXPECT_EQ(-EINVAL, byteor_attach_sequenced_slots_region(&o, BYTEOR_ROLE_CONSUMER, &h));
	o.queue = 1;	/* stage 2 depends on it */
	EXPECT_EQ(-EINVAL, byteor_attach_sequenced_slots_region(&o,
			BYTEOR_SEQUENCED_SLOTS_SUBSCRIBER, &h));
	o.queue = 1;
	EXPECT_EQ(-EINVAL, byteor_attach_sequenced_slots_region(&o, BYTEOR_ROLE_ROUTER, &h));
	o.queue = 2;
	ASSERT_EQ(0, byteor_attach_sequenced_slots_region(&o,
			BYTEOR_SEQUENCED_SLOTS_SUBSCRIBER, &sub));
	EXPECT_EQ(-EBUSY, byteor_attach_sequenced_slots_region(&o, BYTEOR_ROLE_CONSUMER, &h));
	EXPECT_EQ(NULL, byteor_sequenced_slots_entry(sub, 0));
	EXPECT_EQ(-EBADF, byteor_sequenced_slots_stage_wait(sub, 1, &first));
	EXPECT_EQ(-EAGAIN, byteor_sequenced_slots_subscriber_wait(sub, 1, &first));
	EXPECT_EQ(2, byteor_sequenced_slots_stage_index(sub));
	/* A live stage cannot be removed. */
	EXPECT_EQ(-EBUSY, byteor_sequenced_slots_remove_stage(&o, 2));
	EXPECT_EQ(-EINVAL, byteor_sequenced_slots_remove_stage(&o, 3));
	EXPECT_EQ(-EINVAL, byteor_sequenced_slots_remove_stage(NULL, 0));
	byteor_sequenced_slots_detach(sub);
	/* A wrong kind is -EPROTO. */
	ASSERT_EQ(0, lt_create_ring(self->d.path, "ring", 64, 16));
	o.name = "ring";
	o.queue = 0;
	EXPECT_EQ(-EPROTO, byteor_attach_sequenced_slots_region(&o, BYTEOR_ROLE_PRODUCER, &h));
	byteor_sequenced_slots_detach(p);
}

/*
 * Removal of a stage nobody holds: the producer is no longer gated by it
 * (it gates by its dependencies instead), and a re-attach clears the
 * removal and starts where the producer may not overwrite.
 */
TEST_F(seq, removed_stage_stops_gating_and_reattach_resumes)
{
	struct byteor_attach_options o = st_opts(self->d.path, 0, 0);
	struct byteor_sequenced_slots_snapshot snap;
	struct byteor_sequenced_slots *p, *s0, *s1;
	__u64 first, seq = 0;
	int n;

	ASSERT_EQ(0, st_create_topo(self->d.path, "seq", 8, ST_PIPELINE));
	p = st_attach(_metadata, self->d.path, BYTEOR_ROLE_PRODUCER, 0, 0);
	s0 = st_attach(_metadata, self->d.path, BYTEOR_ROLE_CONSUMER, 0, 0);
	s1 = st_attach(_metadata, self->d.path, BYTEOR_ROLE_CONSUMER, 1, 0);
	ASSERT_NE(NULL, s1);
	byteor_sequenced_slots_detach(s1);	/* stage 1 gone, stage 2 never came */
	ASSERT_EQ(0, byteor_sequenced_slots_producer_claim(p, 8, &first));
	ASSERT_EQ(8, byteor_sequenced_slots_producer_publish(p, 8));
	seq = 8;
	ASSERT_EQ(8, byteor_sequenced_slots_stage_wait(s0, 8, &first));
	ASSERT_EQ(8, byteor_sequenced_slots_stage_advance(s0, 8));
	EXPECT_EQ(-EAGAIN, byteor_sequenced_slots_producer_claim(p, 1, &first));
	/* Remove 1 and 2: the producer follows stage 0 now. */
	ASSERT_EQ(0, byteor_sequenced_slots_remove_stage(&o, 1));
	ASSERT_EQ(0, byteor_sequenced_slots_remove_stage(&o, 2));
	ASSERT_EQ(0, byteor_sequenced_slots_remove_stage(&o, 2));
	ASSERT_EQ(0, byteor_sequenced_slots_snapshot(p, &snap));
	EXPECT_EQ(6, snap.removed_mask);
	EXPECT_EQ(8, snap.min_gating);
	ASSERT_EQ(0, byteor_sequenced_slots_producer_claim(p, 8, &first));
	EXPECT_EQ(8, first);
	ASSERT_EQ(8, byteor_sequenced_slots_producer_publish(p, 8));
	seq = 16;
	EXPECT_EQ(-EAGAIN, byteor_sequenced_slots_producer_claim(p, 1, &first));
	/* Stage 2 comes (back): starts at stage 1's barrier = stage 0's = 8. */
	s1 = st_attach(_metadata, self->d.path, BYTEOR_ROLE_CONSUMER, 2, 0);
	ASSERT_NE(NULL, s1);
	ASSERT_EQ(0, byteor_sequenced_slots_snapshot(p, &snap));
	EXPECT_EQ(2, snap.removed_mask);
	EXPECT_EQ(8, snap.stage[2].gating);
	ASSERT_EQ(8, byteor_sequenced_slots_stage_wait(s0, 8, &first));
	ASSERT_EQ(8, byteor_sequenced_slots_stage_advance(s0, 8));
	/* The producer is gated by stage 2 again (still at 8). */
	EXPECT_EQ(-EAGAIN, byteor_sequenced_slots_producer_claim(p, 1, &first));
	n = byteor_sequenced_slots_stage_wait(s1, 8, &first);
	EXPECT_EQ(8, n);
	EXPECT_EQ(8, first);
	ASSERT_EQ(8, byteor_sequenced_slots_stage_advance(s1, 8));
	EXPECT_EQ(0, byteor_sequenced_slots_producer_claim(p, 8, &first));
	EXPECT_EQ(seq, first);
	byteor_sequenced_slots_detach(s1);
	byteor_sequenced_slots_detach(s0);
	byteor_sequenced_slots_detach(p);
}

TEST_F(seq, snapshot_reports_cursor_stages_and_liveness)
{
	struct byteor_sequenced_slots_snapshot snap;
	struct byteor_sequenced_slots *p, *s, *obs;
	__u64 first;

	ASSERT_EQ(0, st_create_topo(self->d.path, "seq", 32, ST_DIAMOND));
	p = st_attach(_metadata, self->d.path, BYTEOR_ROLE_PRODUCER, 0, 0);
	s = st_attach(_metadata, self->d.path, BYTEOR_ROLE_CONSUMER, 0, 0);
	obs = st_attach(_metadata, self->d.path, BYTEOR_ROLE_OBSERVER, 0, 0);
	ASSERT_NE(NULL, obs);
	ASSERT_EQ(0, byteor_sequenced_slots_producer_claim(p, 10, &first));
	ASSERT_EQ(10, byteor_sequenced_slots_producer_publish(p, 10));
	ASSERT_EQ(10, byteor_sequenced_slots_stage_wait(s, 16, &first));
	ASSERT_EQ(4, byteor_sequenced_slots_stage_advance(s, 4));
	ASSERT_EQ(0, byteor_sequenced_slots_snapshot(obs, &snap));
	EXPECT_EQ(10, snap.cursor);
	EXPECT_EQ(32, snap.capacity);
	EXPECT_EQ(ST_SLOT, snap.slot_size);
	EXPECT_EQ(3, snap.stages);
	EXPECT_EQ(4, snap.terminal_mask);
	EXPECT_EQ(0, snap.flags);
	EXPECT_EQ(10, snap.occupancy);
	EXPECT_EQ(1, snap.producer_alive);
	EXPECT_EQ(4, snap.stage[0].gating);
	EXPECT_EQ(6, snap.stage[0].lag);
	EXPECT_EQ(1, snap.stage[0].alive);
	EXPECT_EQ(0, snap.stage[1].alive);
	EXPECT_EQ(0, snap.stage[0].terminal);
	EXPECT_EQ(1, snap.stage[2].terminal);
	EXPECT_EQ(3, snap.stage[2].deps);
	EXPECT_EQ(1, snap.stage[0].attaches);
	EXPECT_EQ(0, snap.stage[2].attaches);
	byteor_sequenced_slots_detach(obs);
	byteor_sequenced_slots_detach(s);
	byteor_sequenced_slots_detach(p);
}

/* ------------------------------------------------------------------------
 * Topologies, one thread per stage (ThreadSanitizer sees the ordering).
 */

struct st_thread {
	const char *dir;
	int role;
	unsigned int stage;
	__u32 deps;
	__u64 count;
	const char *why;
	__u64 at;
	int err;
	struct byteor_sequenced_slots *h;
};

static void *st_producer_thread(void *arg)
{
	struct st_thread *t = arg;
	__u64 seq = 0, first;
	unsigned int k, i;
	int ret;

	while (seq < t->count) {
		k = 1 + (unsigned int)(seq % 7);
		if (k > t->count - seq)
			k = (unsigned int)(t->count - seq);
		ret = byteor_sequenced_slots_producer_claim(t->h, k, &first);
		if (ret) {
			t->err = ret;
			t->at = seq;
			return NULL;
		}
		for (i = 0; i < k; i++)
			st_fill(byteor_sequenced_slots_entry(t->h, first + i),
				first + i);
		byteor_sequenced_slots_producer_publish(t->h, k);
		seq += k;
	}
	return NULL;
}

static void *st_stage_thread(void *arg)
{
	struct st_thread *t = arg;
	bool sub = t->role == BYTEOR_SEQUENCED_SLOTS_SUBSCRIBER;
	__u64 next = 0, first;
	int n, i;

	while (next < t->count) {
		n = sub ? byteor_sequenced_slots_subscriber_wait(t->h, 64, &first) :
			byteor_sequenced_slots_stage_wait(t->h, 64, &first);
		if (n < 0) {
			t->err = n;
			t->at = next;
			return NULL;
		}
		for (i = 0; i < n; i++) {
			void *e = sub ? (void *)byteor_sequenced_slots_entry_ro(t->h, next) :
				byteor_sequenced_slots_entry(t->h, next);

			t->why = st_process(e, next, t->stage, t->deps, !sub);
			if (t->why) {
				t->at = next;
				return NULL;
			}
			next++;
		}
		if (sub)
			byteor_sequenced_slots_subscriber_advance(t->h, n);
		else
			byteor_sequenced_slots_stage_advance(t->h, n);
	}
	return NULL;
}

static void st_threads(struct __test_metadata *_metadata, const char *dir,
		       enum st_topo topo, bool last_is_subscriber)
{
	__u64 count = lt_scaled(1000000, 20000);
	__u32 deps[BYTEOR_MAX_STAGES];
	unsigned int n = st_topo_deps(topo, deps), i;
	struct st_thread t[1 + BYTEOR_MAX_STAGES];
	struct byteor_attach_options o;
	pthread_t th[1 + BYTEOR_MAX_STAGES];

	ASSERT_EQ(0, st_create(dir, "seq", 256, n, deps));
	memset(t, 0, sizeof(t));
	for (i = 0; i <= n; i++) {
		t[i].dir = dir;
		t[i].count = count;
		t[i].role = !i ? BYTEOR_ROLE_PRODUCER : BYTEOR_ROLE_CONSUMER;
		if (i == n && last_is_subscriber)
			t[i].role = BYTEOR_SEQUENCED_SLOTS_SUBSCRIBER;
		t[i].stage = i ? i - 1 : 0;
		t[i].deps = i ? deps[i - 1] : 0;
		o = st_opts(dir, t[i].stage, 10000000000LL);
		ASSERT_EQ(0, byteor_attach_sequenced_slots_region(&o, t[i].role,
								  &t[i].h));
	}
	for (i = 0; i <= n; i++)
		ASSERT_EQ(0, pthread_create(&th[i], NULL, i ? st_stage_thread :
					    st_producer_thread, &t[i]));
	for (i = 0; i <= n; i++) {
		pthread_join(th[i], NULL);
		EXPECT_EQ(0, t[i].err) TH_LOG("thread %u at %llu: %s", i,
					     (unsigned long long)t[i].at,
					     byteor_strerror(t[i].err));
		EXPECT_EQ(NULL, t[i].why) TH_LOG("stage %u at %llu: %s", i - 1,
						(unsigned long long)t[i].at, t[i].why);
		byteor_sequenced_slots_detach(t[i].h);
	}
}

TEST_F_TIMEOUT(seq, threads_unicast_each_entry_once_in_order, 120)
{
	st_threads(_metadata, self->d.path, ST_UNICAST, false);
}

TEST_F_TIMEOUT(seq, threads_pipeline_stages_see_dependencies_stamps, 120)
{
	st_threads(_metadata, self->d.path, ST_PIPELINE, true);
}

TEST_F_TIMEOUT(seq, threads_multicast_every_stage_sees_every_entry, 120)
{
	st_threads(_metadata, self->d.path, ST_MULTICAST, false);
}

TEST_F_TIMEOUT(seq, threads_diamond_join_waits_for_both_branches, 120)
{
	st_threads(_metadata, self->d.path, ST_DIAMOND, false);
}

TEST_HARNESS_MAIN
