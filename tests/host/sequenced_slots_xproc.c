// SPDX-License-Identifier: GPL-2.0-only
/*
 * sequenced_slots_xproc - sequenced slots between processes: 10 million
 * entries through each topology (unicast, pipeline of 3, multicast to 3,
 * diamond), one process per stage and one for the producer, every stage
 * checking order, content and its dependencies' stamps (a child exits
 * non-zero at the first violation); a terminal stage SIGKILLed: reported
 * dead, the producer's blocking claim gets -EPIPE, removal lets it go on,
 * a new stage process resumes; random bytes in the cursor, gating words and
 * slot headers while a producer and a stage run: they report errors and
 * survive (run under ASan too).
 *
 * BYTEOR_TEST_SCALE scales the entry counts (the sanitizer runs set it).
 */
#include "kselftest_harness.h"
#include "host_test.h"
#include "single_ring_test.h"
#include "sequenced_slots_test.h"
#include "sequenced_slots_pvt.h"

#define XS_TIMEOUT	20000000000LL	/* a stuck peer fails, never hangs */
#define XS_BATCH	64

FIXTURE(xseq) {
	struct ht_dir d;
};

FIXTURE_SETUP(xseq)
{
	HT_DIR_SETUP(&self->d, false);
}

FIXTURE_TEARDOWN(xseq)
{
	ht_dir_teardown(&self->d);
}

static struct byteor_sequenced_slots *xs_attach(const char *dir, int role,
						unsigned int queue,
						long long timeout_ns)
{
	struct byteor_attach_options o = st_opts(dir, queue, timeout_ns);
	struct byteor_sequenced_slots *h;
	int ret = byteor_attach_sequenced_slots_region(&o, role, &h);

	if (ret)
		LT_DIE(2, "attach role %d queue %u: %s", role, queue,
		       byteor_strerror(ret));
	return h;
}

/* Producer child: entries [0, count) in batches of 1..XS_BATCH. */
static void xs_produce(const char *dir, int cpu, __u64 count)
{
	struct byteor_sequenced_slots *p;
	__u64 seq = 0, first;
	unsigned int k, i;
	int ret;

	lt_pin(cpu);
	p = xs_attach(dir, BYTEOR_ROLE_PRODUCER, 0, XS_TIMEOUT);
	while (seq < count) {
		k = 1 + (unsigned int)((seq * 7) % XS_BATCH);
		if (k > count - seq)
			k = (unsigned int)(count - seq);
		ret = byteor_sequenced_slots_producer_claim(p, k, &first);
		if (ret)
			LT_DIE(3, "claim at %llu: %s", (unsigned long long)seq,
			       byteor_strerror(ret));
		if (first != seq)
			LT_DIE(3, "claim got %llu, want %llu",
			       (unsigned long long)first, (unsigned long long)seq);
		for (i = 0; i < k; i++)
			st_fill(byteor_sequenced_slots_entry(p, seq + i), seq + i);
		byteor_sequenced_slots_producer_publish(p, k);
		seq += k;
	}
	byteor_sequenced_slots_detach(p);
	_exit(0);
}

/*
 * Stage child: entries [0, count) checked and stamped (subscribers only
 * check); then, if the producer is gone, the next wait must be -EPIPE.
 */
static void xs_stage(const char *dir, int cpu, unsigned int stage, __u32 deps,
		     __u64 count, bool sub)
{
	struct byteor_sequenced_slots *s;
	__u64 next = 0, first;
	const char *why;
	int n, i;

	lt_pin(cpu);
	s = xs_attach(dir, sub ? BYTEOR_SEQUENCED_SLOTS_SUBSCRIBER :
		      BYTEOR_ROLE_CONSUMER, stage, XS_TIMEOUT);
	while (next < count) {
		n = sub ? byteor_sequenced_slots_subscriber_wait(s, XS_BATCH, &first) :
			byteor_sequenced_slots_stage_wait(s, XS_BATCH, &first);
		if (n < 0)
			LT_DIE(4, "stage %u wait at %llu: %s", stage,
			       (unsigned long long)next, byteor_strerror(n));
		if (first != next)
			LT_DIE(5, "stage %u: first %llu, want %llu", stage,
			       (unsigned long long)first, (unsigned long long)next);
		for (i = 0; i < n; i++, next++) {
			void *e = sub ? (void *)byteor_sequenced_slots_entry_ro(s, next) :
				byteor_sequenced_slots_entry(s, next);

			why = st_process(e, next, stage, deps, !sub);
			if (why)
				LT_DIE(5, "stage %u entry %llu: %s", stage,
				       (unsigned long long)next, why);
		}
		n = sub ? byteor_sequenced_slots_subscriber_advance(s, n) :
			byteor_sequenced_slots_stage_advance(s, n);
		if (n < 0)
			LT_DIE(6, "stage %u advance: %s", stage, byteor_strerror(n));
	}
	byteor_sequenced_slots_detach(s);
	_exit(0);
}

static void xs_topology(struct __test_metadata *_metadata, const char *dir,
			enum st_topo topo)
{
	__u64 count = lt_scaled(10000000, 100000);
	__u32 deps[BYTEOR_MAX_STAGES];
	unsigned int n = st_topo_deps(topo, deps), i;
	pid_t pid[1 + BYTEOR_MAX_STAGES];
	long long t0 = lt_now_ns(), dt;

	ASSERT_EQ(0, st_create(dir, "seq", 4096, n, deps));
	for (i = 0; i < n; i++) {
		pid[1 + i] = lt_fork();
		ASSERT_LE(0, pid[1 + i]);
		if (!pid[1 + i])
			/* The last stage of a pipeline is a subscriber. */
			xs_stage(dir, 1 + i, i, deps[i], count,
				 topo == ST_PIPELINE && i == n - 1);
	}
	pid[0] = lt_fork();
	ASSERT_LE(0, pid[0]);
	if (!pid[0])
		xs_produce(dir, 0, count);
	for (i = 0; i <= n; i++)
		EXPECT_EQ(0, lt_status(pid[i])) TH_LOG("%s %u", i ? "stage" : "producer",
						       i ? i - 1 : 0);
	dt = lt_now_ns() - t0;
	TH_LOG("%llu entries through %u stages in %.2f s: %.1f M/s",
	       (unsigned long long)count, n, dt / 1e9, count * 1e3 / dt);
}

TEST_F_TIMEOUT(xseq, unicast_ten_million_entries_once_in_order, 90)
{
	xs_topology(_metadata, self->d.path, ST_UNICAST);
}

TEST_F_TIMEOUT(xseq, pipeline_of_three_never_reads_before_dependency, 90)
{
	xs_topology(_metadata, self->d.path, ST_PIPELINE);
}

TEST_F_TIMEOUT(xseq, multicast_to_three_every_stage_sees_every_entry, 90)
{
	xs_topology(_metadata, self->d.path, ST_MULTICAST);
}

TEST_F_TIMEOUT(xseq, diamond_join_never_reads_before_both_branches, 90)
{
	xs_topology(_metadata, self->d.path, ST_DIAMOND);
}

/*
 * Multicast 0, 1 (terminal both): stage 1 processes 100 entries and is
 * SIGKILLed.  The producer fills the ring behind it, its blocking claim
 * returns -EPIPE; the snapshot says stage 1 is gone; removal lets the
 * producer continue (gated by stage 0 alone); a new stage-1 process resumes
 * at the gate and gates the producer again.
 */
TEST_F_TIMEOUT(xseq, dead_stage_is_epipe_until_removed_then_reattach_resumes, 60)
{
	struct byteor_attach_options o = st_opts(self->d.path, 0, 0);
	struct byteor_sequenced_slots_snapshot snap;
	struct byteor_sequenced_slots *p, *s0, *obs;
	__u64 first, seq = 0, next0 = 0;
	int sync[2], n, ret, i;
	pid_t c;

	{
		__u32 deps[BYTEOR_MAX_STAGES] = { 0 };

		ASSERT_EQ(0, st_create(self->d.path, "seq", 64, 2, deps));
	}
	o = st_opts(self->d.path, 0, 0);
	ASSERT_EQ(0, pipe(sync));
	c = lt_fork();
	ASSERT_LE(0, c);
	if (!c) {
		struct byteor_sequenced_slots *s1;
		__u64 next = 0;

		s1 = xs_attach(self->d.path, BYTEOR_ROLE_CONSUMER, 1, XS_TIMEOUT);
		while (next < 100) {
			n = byteor_sequenced_slots_stage_wait(s1, 100 - next, &first);
			if (n < 0)
				LT_DIE(4, "wait: %s", byteor_strerror(n));
			next += n;
			byteor_sequenced_slots_stage_advance(s1, n);
		}
		ht_signal(sync[1]);
		pause();	/* killed here, holding the claim */
		_exit(0);
	}
	p = xs_attach(self->d.path, BYTEOR_ROLE_PRODUCER, 0, 0);
	s0 = xs_attach(self->d.path, BYTEOR_ROLE_CONSUMER, 0, 0);
	obs = xs_attach(self->d.path, BYTEOR_ROLE_OBSERVER, 0, 0);
	for (i = 0; i < 100; i++) {
		ASSERT_EQ(0, byteor_sequenced_slots_producer_claim_timed(p, 1, &first,
									 XS_TIMEOUT));
		st_fill(byteor_sequenced_slots_entry(p, first), first);
		byteor_sequenced_slots_producer_publish(p, 1);
		seq++;
		ASSERT_EQ(1, byteor_sequenced_slots_stage_wait(s0, 64, &first));
		ASSERT_EQ(NULL, st_process(byteor_sequenced_slots_entry(s0, next0),
					   next0, 0, 0, true));
		next0++;
		byteor_sequenced_slots_stage_advance(s0, 1);
	}
	ASSERT_EQ(0, ht_await(sync[0]));
	EXPECT_EQ(-EBUSY, byteor_sequenced_slots_remove_stage(&o, 0));
	ASSERT_EQ(-EBUSY, byteor_sequenced_slots_remove_stage(&o, 1));
	ASSERT_EQ(0, kill(c, SIGKILL));
	EXPECT_EQ(128 + SIGKILL, lt_status(c));
	ASSERT_EQ(0, byteor_sequenced_slots_snapshot(obs, &snap));
	EXPECT_EQ(0, snap.stage[1].alive);
	EXPECT_EQ(1, snap.stage[0].alive);
	EXPECT_EQ(100, snap.stage[1].gating);
	/* Fill the ring behind the dead stage (stage 0 keeps up). */
	for (;;) {
		ret = byteor_sequenced_slots_producer_claim_timed(p, 1, &first,
								  XS_TIMEOUT);
		if (ret)
			break;
		st_fill(byteor_sequenced_slots_entry(p, first), first);
		byteor_sequenced_slots_producer_publish(p, 1);
		seq++;
		n = byteor_sequenced_slots_stage_wait(s0, 64, &first);
		ASSERT_LT(0, n);
		for (i = 0; i < n; i++, next0++)
			ASSERT_EQ(NULL, st_process(byteor_sequenced_slots_entry(s0, next0),
						   next0, 0, 0, true));
		byteor_sequenced_slots_stage_advance(s0, n);
	}
	EXPECT_EQ(-EPIPE, ret);
	EXPECT_EQ(100 + 64, seq);
	/* Non-blocking claims stay -EAGAIN: dead-peer checks are for waits. */
	EXPECT_EQ(-EAGAIN, byteor_sequenced_slots_producer_claim_timed(p, 1, &first, 0));
	ASSERT_EQ(0, byteor_sequenced_slots_remove_stage(&o, 1));
	ASSERT_EQ(0, byteor_sequenced_slots_snapshot(obs, &snap));
	EXPECT_EQ(1, snap.stage[1].removed);
	EXPECT_EQ(2, snap.removed_mask);
	/* Gated by stage 0 alone now: 200 more, stage 0 consuming. */
	for (i = 0; i < 200; i++) {
		ASSERT_EQ(0, byteor_sequenced_slots_producer_claim_timed(p, 1, &first,
									 XS_TIMEOUT));
		EXPECT_EQ(seq, first);
		st_fill(byteor_sequenced_slots_entry(p, first), first);
		byteor_sequenced_slots_producer_publish(p, 1);
		seq++;
		n = byteor_sequenced_slots_stage_wait(s0, 64, &first);
		ASSERT_LT(0, n);
		for (int k = 0; k < n; k++, next0++)
			ASSERT_EQ(NULL, st_process(byteor_sequenced_slots_entry(s0, next0),
						   next0, 0, 0, true));
		byteor_sequenced_slots_stage_advance(s0, n);
	}
	/* A new stage 1 resumes at the gate and gates again. */
	c = lt_fork();
	ASSERT_LE(0, c);
	if (!c) {
		struct byteor_sequenced_slots *s1;

		s1 = xs_attach(self->d.path, BYTEOR_ROLE_CONSUMER, 1, XS_TIMEOUT);
		(void)s1;
		ht_signal(sync[1]);
		pause();
		_exit(0);
	}
	ASSERT_EQ(0, ht_await(sync[0]));
	ASSERT_EQ(0, byteor_sequenced_slots_snapshot(obs, &snap));
	EXPECT_EQ(0, snap.removed_mask);
	EXPECT_EQ(1, snap.stage[1].alive);
	/* Stage 0 has everything: the gating minimum of stage 1's "deps". */
	EXPECT_EQ(seq, snap.stage[1].gating);
	/* The producer is gated by the new stage 1 again: one ring more. */
	for (i = 0; i <= 64; i++) {
		ret = byteor_sequenced_slots_producer_claim_timed(p, 1, &first, 0);
		if (ret)
			break;
		byteor_sequenced_slots_producer_publish(p, 1);
	}
	EXPECT_EQ(-EAGAIN, ret);
	EXPECT_EQ(64, i);
	kill(c, SIGKILL);
	lt_status(c);
	byteor_sequenced_slots_detach(obs);
	byteor_sequenced_slots_detach(s0);
	byteor_sequenced_slots_detach(p);
}

/*
 * A stage waiting on the cursor gets -EPIPE once it has drained what a
 * SIGKILLed producer published.
 */
TEST_F(xseq, stage_drains_then_epipe_when_producer_is_killed)
{
	struct byteor_sequenced_slots *s;
	__u64 first, next = 0;
	int n, i;
	pid_t c;

	ASSERT_EQ(0, st_create_topo(self->d.path, "seq", 64, ST_UNICAST));
	s = xs_attach(self->d.path, BYTEOR_ROLE_CONSUMER, 0, XS_TIMEOUT);
	c = lt_fork();
	ASSERT_LE(0, c);
	if (!c)
		xs_produce(self->d.path, 0, ~0ULL >> 1);
	while (next < 20000) {
		n = byteor_sequenced_slots_stage_wait(s, 64, &first);
		ASSERT_LT(0, n) TH_LOG("wait: %s", byteor_strerror(n));
		for (i = 0; i < n; i++, next++)
			ASSERT_EQ(NULL, st_process(byteor_sequenced_slots_entry(s, next),
						   next, 0, 0, true));
		byteor_sequenced_slots_stage_advance(s, n);
	}
	ASSERT_EQ(0, kill(c, SIGKILL));
	EXPECT_EQ(128 + SIGKILL, lt_status(c));
	for (;;) {
		n = byteor_sequenced_slots_stage_wait(s, 64, &first);
		if (n < 0)
			break;
		for (i = 0; i < n; i++, next++)
			ASSERT_EQ(NULL, st_process(byteor_sequenced_slots_entry(s, next),
						   next, 0, 0, true));
		byteor_sequenced_slots_stage_advance(s, n);
	}
	EXPECT_EQ(-EPIPE, n);
	byteor_sequenced_slots_detach(s);
}

/* ------------------------------------------------------------------------
 * Corrupted shared state.
 */

static unsigned long long xs_rand(unsigned long long *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/*
 * A producer and a diamond's stages run with timeouts while a scribbler
 * process writes random values into the cursor, the gating sequences, the
 * removal mask and slot headers.  Every call returns (errors expected, no
 * crash, no hang); the processes count what they saw and exit 0.
 */
static void xs_fuzz_stage(const char *dir, unsigned int stage, long long until)
{
	struct byteor_sequenced_slots *s;
	unsigned long long ok = 0, bad = 0, other = 0;
	__u64 first;
	int n, i;

	s = xs_attach(dir, BYTEOR_ROLE_CONSUMER, stage, 1000000);
	while (lt_now_ns() < until) {
		n = byteor_sequenced_slots_stage_wait(s, 32, &first);
		if (n > 0) {
			for (i = 0; i < n; i++) {
				/* Touch every byte: any wild pointer shows. */
				volatile unsigned char *e =
					byteor_sequenced_slots_entry(s, first + i);
				unsigned int k;

				for (k = 0; k < ST_SLOT; k++)
					e[k] = e[k] + 1;
			}
			ok += n;
			byteor_sequenced_slots_stage_advance(s, n);
		} else if (n == -EBADMSG) {
			bad++;
			/* A bad slot header: drop the entry if we can. */
			byteor_sequenced_slots_stage_advance(s, 1);
		} else if (n != -ETIMEDOUT && n != -EAGAIN && n != -EPIPE) {
			other++;
			LT_DIE(8, "stage %u: unexpected %d (%s)", stage, n,
			       byteor_strerror(n));
		}
	}
	fprintf(stderr, "# stage %u: %llu entries, %llu corrupt reports\n",
		stage, ok, bad);
	byteor_sequenced_slots_detach(s);
	_exit(0);
}

static void xs_fuzz_producer(const char *dir, long long until)
{
	struct byteor_sequenced_slots *p;
	unsigned long long ok = 0, bad = 0;
	__u64 first;
	int ret;

	p = xs_attach(dir, BYTEOR_ROLE_PRODUCER, 0, 1000000);
	while (lt_now_ns() < until) {
		ret = byteor_sequenced_slots_producer_claim(p, 4, &first);
		if (!ret) {
			for (int i = 0; i < 4; i++)
				st_fill(byteor_sequenced_slots_entry(p, first + i),
					first + i);
			byteor_sequenced_slots_producer_publish(p, 4);
			ok += 4;
		} else if (ret == -EBADMSG) {
			bad++;
		} else if (ret != -ETIMEDOUT && ret != -EAGAIN && ret != -EPIPE) {
			LT_DIE(8, "producer: unexpected %d (%s)", ret,
			       byteor_strerror(ret));
		}
	}
	fprintf(stderr, "# producer: %llu entries, %llu corrupt reports\n", ok, bad);
	byteor_sequenced_slots_detach(p);
	_exit(0);
}

TEST_F_TIMEOUT(xseq, corrupt_sequences_and_headers_are_reported_not_fatal, 60)
{
	const __u64 ctl = BYTEOR_HEADER_SIZE;	/* control area offset */
	long long until = lt_now_ns() + 3000000000LL;
	struct byteor_region_info info;
	unsigned long long x = 0x1234567887654321ULL;
	pid_t pid[4];
	unsigned int i;
	void *base;
	int fd;
	char path[HT_PATH * 2];

	ASSERT_EQ(0, st_create_topo(self->d.path, "seq", 64, ST_DIAMOND));
	ASSERT_EQ(0, byteor_region_info("seq", BYTEOR_BACKING_USER, self->d.path,
					&info));
	ASSERT_EQ(ctl, info.layout.area_off[BYTEOR_AREA_CONTROL]);
	for (i = 0; i < 3; i++) {
		pid[1 + i] = lt_fork();
		ASSERT_LE(0, pid[1 + i]);
		if (!pid[1 + i])
			xs_fuzz_stage(self->d.path, i, until);
	}
	pid[0] = lt_fork();
	ASSERT_LE(0, pid[0]);
	if (!pid[0])
		xs_fuzz_producer(self->d.path, until);
	/* The scribbler: this process, through its own mapping. */
	ht_region_path(path, sizeof(path), self->d.path, "seq");
	fd = open(path, O_RDWR);
	ASSERT_LE(0, fd);
	base = mmap(NULL, info.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	ASSERT_NE(MAP_FAILED, base);
	usleep(100000);		/* let them run clean first */
	while (lt_now_ns() < until - 500000000LL) {
		unsigned long long r = xs_rand(&x), v = xs_rand(&x);
		unsigned char *at;

		switch (r % 5) {
		case 0:		/* the cursor */
			at = (unsigned char *)base + ctl + __BYTEOR_SEQ_CURSOR_OFF;
			break;
		case 1:		/* the gate and the removal mask */
			at = (unsigned char *)base + ctl +
				(r & 8 ? offsetof(struct __byteor_seq_prod_ctl, gate) :
				 offsetof(struct __byteor_seq_prod_ctl, removed));
			v &= r & 8 ? ~0ULL : 7;
			if (!(r & 8)) {
				__atomic_store_n((__u32 *)at, (__u32)v, __ATOMIC_RELAXED);
				continue;
			}
			break;
		case 2:
		case 3:		/* a gating sequence, near or far */
			at = (unsigned char *)base + ctl +
				__BYTEOR_SEQ_STAGE_OFF((r >> 8) % 3);
			if (r & 16)
				v = __atomic_load_n((__u64 *)at, __ATOMIC_RELAXED) +
					(v % 200) - 100;
			break;
		default:	/* a slot header */
			at = (unsigned char *)base +
				info.layout.area_off[BYTEOR_AREA_SLOTS] +
				((r >> 8) % 64) * info.layout.slot_stride;
			break;
		}
		__atomic_store_n((__u64 *)at, v, __ATOMIC_RELAXED);
		usleep(200);
	}
	munmap(base, info.size);
	for (i = 0; i < 4; i++)
		EXPECT_EQ(0, lt_status(pid[i])) TH_LOG("%s %u", i ? "stage" : "producer",
						       i ? i - 1 : 0);
}

TEST_HARNESS_MAIN
