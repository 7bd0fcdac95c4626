// SPDX-License-Identifier: GPL-2.0-only
/*
 * sequenced_slots_xproc - sequenced slots between processes, on the host's
 * userspace backing (program sequenced_slots_xproc) and on the kernel
 * backing in the QEMU guests (program lanes_sequenced_slots); see
 * lanes_env.h.
 *
 * 10 million entries through each topology on the host (unicast, pipeline
 * of 3 whose last stage is a read-only subscriber, multicast to 3,
 * diamond; BYTEOR_TEST_SCALE scales them), 50k-100k in the guest, one
 * process per stage and one for the producer, every stage checking order,
 * content and its dependencies' stamps (a child exits non-zero at the
 * first violation), and afterwards the shared cursor and gating sequences
 * say every entry passed every stage; a terminal stage SIGKILLed: reported
 * dead, the producer's blocking claim gets -EPIPE, removal lets it go on,
 * a new stage process resumes; a stage drains, then -EPIPE, after its
 * producer is SIGKILLed.  Host only: random bytes in the cursor, gating
 * words and slot headers (through the region file) while a producer and
 * the stages run: they report errors and survive (run under ASan too).
 */
#include "lanes_env.h"
#include <byteor/sequenced_slots.h>
#ifndef LE_KERNEL
#include "sequenced_slots_pvt.h"
#endif

#define XS_TIMEOUT	LE_TIMEOUT_NS
#define XS_BATCH	LE_PICK(64, 32)
#define XS_CAP		LE_PICK(4096, 256)

/*
 * The entry contract (payload of 64 bytes), as tests/host's
 * sequenced_slots_test.h has it:
 *	u64 seq, u64 check = st_check(seq), u64 stamp[6]
 * The producer writes seq and check and zeroes the stamps.  Stage i, when
 * it processes entry seq, requires: seq is the next it expects, check
 * matches, stamp[j] == st_stamp(j, seq) for every dependency j, stamp[i]
 * == 0; then it writes stamp[i] (a subscriber writes nothing).
 */
#define ST_SLOT		64U
#define ST_STAMPS	6U

struct st_entry {
	__u64 seq;
	__u64 check;
	__u64 stamp[ST_STAMPS];
};

_Static_assert(sizeof(struct st_entry) == ST_SLOT, "entry fills the slot");

enum st_topo {
	ST_UNICAST,	/* P -> 0 */
	ST_PIPELINE,	/* P -> 0 -> 1 -> 2 */
	ST_MULTICAST,	/* P -> {0, 1, 2} */
	ST_DIAMOND,	/* P -> {0, 1} -> 2 */
};

static unsigned int st_topo_deps(enum st_topo t, __u32 deps[BYTEOR_MAX_STAGES])
{
	memset(deps, 0, sizeof(__u32) * BYTEOR_MAX_STAGES);
	switch (t) {
	case ST_UNICAST:
		return 1;
	case ST_PIPELINE:
		deps[1] = 1U << 0;
		deps[2] = 1U << 1;
		return 3;
	case ST_MULTICAST:
		return 3;
	case ST_DIAMOND:
		deps[2] = (1U << 0) | (1U << 1);
		return 3;
	}
	return 0;
}

static __u64 st_check(__u64 seq)
{
	return seq * 0x9E3779B97F4A7C15ULL ^ 0x5555AAAA5555AAAAULL;
}

static __u64 st_stamp(unsigned int stage, __u64 seq)
{
	return (seq + 1) * 0xC2B2AE3D27D4EB4FULL + stage;
}

static void st_fill(void *p, __u64 seq)
{
	struct st_entry *e = p;

	memset(e, 0, sizeof(*e));
	e->seq = seq;
	e->check = st_check(seq);
}

/*
 * Stage @stage (dependencies @deps) checks entry @p, expected to be
 * sequence @want, and stamps it if @stamp.  Return: NULL or the violation.
 */
static const char *st_process(void *p, __u64 want, unsigned int stage,
				     __u32 deps, bool stamp)
{
	struct st_entry *e = p;
	unsigned int j;

	if (e->seq != want)
		return e->seq < want ? "entry seen again or reordered" :
			"entry skipped";
	if (e->check != st_check(want))
		return "bad entry content";
	for (j = 0; j < ST_STAMPS; j++)
		if ((deps & (1U << j)) && e->stamp[j] != st_stamp(j, want))
			return "read before a dependency finished it";
	if (e->stamp[stage])
		return "own stamp already present (processed twice)";
	if (stamp)
		e->stamp[stage] = st_stamp(stage, want);
	return NULL;
}

static int st_create(const struct le_env *env, const char *name, __u32 cap,
		     unsigned int nstages, const __u32 *deps)
{
	struct byteor_geometry g = le_geom(ST_SLOT, cap, nstages, 1);

	memcpy(g.stage_deps, deps, sizeof(g.stage_deps));
	return le_create(env, name, BYTEOR_KIND_SEQUENCED_SLOTS, &g, NULL);
}

static int st_create_topo(const struct le_env *env, const char *name,
			  __u32 cap, enum st_topo t)
{
	__u32 deps[BYTEOR_MAX_STAGES];
	unsigned int n = st_topo_deps(t, deps);

	return st_create(env, name, cap, n, deps);
}

FIXTURE(xseq) {
	struct le_env env;
	const char *name;
};

FIXTURE_SETUP(xseq)
{
	LE_SETUP(&self->env);
	self->name = le_name(&self->env, "seq");
}

FIXTURE_TEARDOWN(xseq)
{
	le_teardown(&self->env);
}

static struct byteor_sequenced_slots *xs_attach(const struct le_env *env,
						const char *name, int role,
						unsigned int queue,
						long long timeout_ns)
{
	struct byteor_attach_options o = le_opts(env, name, queue, timeout_ns);
	struct byteor_sequenced_slots *h;
	int ret = byteor_attach_sequenced_slots_region(&o, role, &h);

	if (ret)
		LE_DIE(2, "attach role %d queue %u: %s", role, queue,
		       byteor_strerror(ret));
	return h;
}

/* Producer child: entries [0, count) in batches of 1..XS_BATCH. */
static void xs_produce(const struct le_env *env, const char *name, int cpu, __u64 count)
{
	struct byteor_sequenced_slots *p;
	__u64 seq = 0, first;
	unsigned int k, i;
	int ret;

	le_pin(cpu);
	p = xs_attach(env, name, BYTEOR_ROLE_PRODUCER, 0, XS_TIMEOUT);
	while (seq < count) {
		k = 1 + (unsigned int)((seq * 7) % XS_BATCH);
		if (k > count - seq)
			k = (unsigned int)(count - seq);
		ret = byteor_sequenced_slots_producer_claim(p, k, &first);
		if (ret)
			LE_DIE(3, "claim at %llu: %s", (unsigned long long)seq,
			       byteor_strerror(ret));
		if (first != seq)
			LE_DIE(3, "claim got %llu, want %llu",
			       (unsigned long long)first, (unsigned long long)seq);
		for (i = 0; i < k; i++)
			st_fill(byteor_sequenced_slots_entry(p, seq + i), seq + i);
		ret = byteor_sequenced_slots_producer_publish(p, k);
		if (ret != (int)k)
			LE_DIE(3, "publish: %d", ret);
		seq += k;
	}
	byteor_sequenced_slots_detach(p);
	_exit(0);
}

/*
 * Stage child: entries [0, count) checked and stamped (subscribers only
 * check); then, if the producer is gone, the next wait must be -EPIPE.
 */
static void xs_stage(const struct le_env *env, const char *name, int cpu, unsigned int stage, __u32 deps,
		     __u64 count, bool sub)
{
	struct byteor_sequenced_slots *s;
	__u64 next = 0, first;
	const char *why;
	int n, i;

	le_pin(cpu);
	s = xs_attach(env, name, sub ? BYTEOR_SEQUENCED_SLOTS_SUBSCRIBER :
		      BYTEOR_ROLE_CONSUMER, stage, XS_TIMEOUT);
	while (next < count) {
		n = sub ? byteor_sequenced_slots_subscriber_wait(s, XS_BATCH, &first) :
			byteor_sequenced_slots_stage_wait(s, XS_BATCH, &first);
		if (n < 0)
			LE_DIE(4, "stage %u wait at %llu: %s", stage,
			       (unsigned long long)next, byteor_strerror(n));
		if (first != next)
			LE_DIE(5, "stage %u: first %llu, want %llu", stage,
			       (unsigned long long)first, (unsigned long long)next);
		for (i = 0; i < n; i++, next++) {
			void *e = sub ? (void *)byteor_sequenced_slots_entry_ro(s, next) :
				byteor_sequenced_slots_entry(s, next);

			why = st_process(e, next, stage, deps, !sub);
			if (why)
				LE_DIE(5, "stage %u entry %llu: %s", stage,
				       (unsigned long long)next, why);
		}
		n = sub ? byteor_sequenced_slots_subscriber_advance(s, n) :
			byteor_sequenced_slots_stage_advance(s, n);
		if (n < 0)
			LE_DIE(6, "stage %u advance: %s", stage, byteor_strerror(n));
	}
	byteor_sequenced_slots_detach(s);
	_exit(0);
}

/*
 * Create the region for @topo, run the producer and one process per stage
 * with @count entries, check every exit and the shared sequences after.
 */
static void xs_topology(struct __test_metadata *_metadata,
			FIXTURE_DATA(xseq) *self, enum st_topo topo, __u64 count)
{
	struct byteor_attach_options o = le_opts(&self->env, self->name, 0, 0);
	struct byteor_sequenced_slots_snapshot *snap;
	struct byteor_sequenced_slots *obs;
	__u32 deps[BYTEOR_MAX_STAGES];
	unsigned int n = st_topo_deps(topo, deps), i;
	pid_t pid[1 + BYTEOR_MAX_STAGES];
	long long t0 = le_now_ns(), dt;

	ASSERT_EQ(0, st_create(&self->env, self->name, XS_CAP, n, deps));
	for (i = 0; i < n; i++) {
		pid[1 + i] = le_fork(&self->env);
		ASSERT_LE(0, pid[1 + i]);
		if (!pid[1 + i])
			/* The last stage of a pipeline is a subscriber. */
			xs_stage(&self->env, self->name, 1 + i, i, deps[i], count,
				 topo == ST_PIPELINE && i == n - 1);
	}
	pid[0] = le_fork(&self->env);
	ASSERT_LE(0, pid[0]);
	if (!pid[0])
		xs_produce(&self->env, self->name, 0, count);
	for (i = 0; i <= n; i++)
		EXPECT_EQ(0, le_wait(&self->env, pid[i])) TH_LOG("%s %u", i ? "stage" : "producer",
						       i ? i - 1 : 0);
	dt = le_now_ns() - t0;
	TH_LOG("%llu entries through %u stages in %.2f s: %.1f M/s",
	       (unsigned long long)count, n, dt / 1e9, count * 1e3 / dt);

	snap = calloc(1, sizeof(*snap));
	ASSERT_NE(NULL, snap);
	ASSERT_EQ(0, byteor_attach_sequenced_slots_region(&o, BYTEOR_ROLE_OBSERVER,
							  &obs));
	EXPECT_EQ(0, byteor_sequenced_slots_snapshot(obs, snap));
	EXPECT_EQ(count, snap->cursor);
	EXPECT_EQ(count, snap->min_gating);
	EXPECT_EQ(0U, snap->flags & BYTEOR_SEQ_SNAP_F_CORRUPT);
	EXPECT_EQ(0, snap->producer_alive);
	for (i = 0; i < n; i++) {
		EXPECT_EQ(count, snap->stage[i].gating) TH_LOG("stage %u", i);
		EXPECT_EQ(0, snap->stage[i].alive) TH_LOG("stage %u", i);
		EXPECT_EQ(1ULL, snap->stage[i].attaches) TH_LOG("stage %u", i);
	}
	byteor_sequenced_slots_detach(obs);
	free(snap);
	EXPECT_EQ(0, le_destroy(&self->env, self->name));
}

TEST_F_TIMEOUT(xseq, unicast_ten_million_entries_once_in_order, 90)
{
	xs_topology(_metadata, self, ST_UNICAST, le_count(10000000, 50000));
}

/* P -> 0 -> 1 -> 2 (subscriber): each stage reads only what the one before finished. */
TEST_F_TIMEOUT(xseq, pipeline_of_three_processes_never_reads_before_its_dependency, 90)
{
	xs_topology(_metadata, self, ST_PIPELINE, le_count(10000000, 100000));
}

TEST_F_TIMEOUT(xseq, multicast_to_three_every_stage_sees_every_entry, 90)
{
	xs_topology(_metadata, self, ST_MULTICAST, le_count(10000000, 50000));
}

/* P -> {0, 1} -> 2: the join reads an entry only after both branches stamped it. */
TEST_F_TIMEOUT(xseq, diamond_join_process_never_reads_before_both_branches, 90)
{
	xs_topology(_metadata, self, ST_DIAMOND, le_count(10000000, 100000));
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
	struct byteor_attach_options o = le_opts(&self->env, self->name, 0, 0);
	struct byteor_sequenced_slots_snapshot snap;
	struct byteor_sequenced_slots *p, *s0, *obs;
	__u64 first, seq = 0, next0 = 0;
	int sync[2], n, ret, i;
	pid_t c;

	{
		__u32 deps[BYTEOR_MAX_STAGES] = { 0 };

		ASSERT_EQ(0, st_create(&self->env, self->name, 64, 2, deps));
	}
	o = le_opts(&self->env, self->name, 0, 0);
	ASSERT_EQ(0, pipe(sync));
	c = le_fork(&self->env);
	ASSERT_LE(0, c);
	if (!c) {
		struct byteor_sequenced_slots *s1;
		__u64 next = 0;

		s1 = xs_attach(&self->env, self->name, BYTEOR_ROLE_CONSUMER, 1, XS_TIMEOUT);
		while (next < 100) {
			n = byteor_sequenced_slots_stage_wait(s1, 100 - next, &first);
			if (n < 0)
				LE_DIE(4, "wait: %s", byteor_strerror(n));
			next += n;
			byteor_sequenced_slots_stage_advance(s1, n);
		}
		le_signal(sync[1]);
		pause();	/* killed here, holding the claim */
		_exit(0);
	}
	p = xs_attach(&self->env, self->name, BYTEOR_ROLE_PRODUCER, 0, 0);
	s0 = xs_attach(&self->env, self->name, BYTEOR_ROLE_CONSUMER, 0, 0);
	obs = xs_attach(&self->env, self->name, BYTEOR_ROLE_OBSERVER, 0, 0);
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
	ASSERT_EQ(0, le_await(sync[0]));
	EXPECT_EQ(-EBUSY, byteor_sequenced_slots_remove_stage(&o, 0));
	ASSERT_EQ(-EBUSY, byteor_sequenced_slots_remove_stage(&o, 1));
	ASSERT_EQ(0, kill(c, SIGKILL));
	EXPECT_EQ(128 + SIGKILL, le_wait(&self->env, c));
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
	c = le_fork(&self->env);
	ASSERT_LE(0, c);
	if (!c) {
		struct byteor_sequenced_slots *s1;

		s1 = xs_attach(&self->env, self->name, BYTEOR_ROLE_CONSUMER, 1, XS_TIMEOUT);
		(void)s1;
		le_signal(sync[1]);
		pause();
		_exit(0);
	}
	ASSERT_EQ(0, le_await(sync[0]));
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
	le_wait(&self->env, c);
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

	ASSERT_EQ(0, st_create_topo(&self->env, self->name, 64, ST_UNICAST));
	s = xs_attach(&self->env, self->name, BYTEOR_ROLE_CONSUMER, 0, XS_TIMEOUT);
	c = le_fork(&self->env);
	ASSERT_LE(0, c);
	if (!c)
		xs_produce(&self->env, self->name, 0, ~0ULL >> 1);
	while (next < 20000) {
		n = byteor_sequenced_slots_stage_wait(s, 64, &first);
		ASSERT_LT(0, n) TH_LOG("wait: %s", byteor_strerror(n));
		for (i = 0; i < n; i++, next++)
			ASSERT_EQ(NULL, st_process(byteor_sequenced_slots_entry(s, next),
						   next, 0, 0, true));
		byteor_sequenced_slots_stage_advance(s, n);
	}
	ASSERT_EQ(0, kill(c, SIGKILL));
	EXPECT_EQ(128 + SIGKILL, le_wait(&self->env, c));
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

#ifndef LE_KERNEL
/* ------------------------------------------------------------------------
 * Corrupted shared state (host only: it maps the region file to scribble).
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
static void xs_fuzz_stage(const struct le_env *env, const char *name, unsigned int stage, long long until)
{
	struct byteor_sequenced_slots *s;
	unsigned long long ok = 0, bad = 0, other = 0;
	__u64 first;
	int n, i;

	s = xs_attach(env, name, BYTEOR_ROLE_CONSUMER, stage, 1000000);
	while (le_now_ns() < until) {
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
			LE_DIE(8, "stage %u: unexpected %d (%s)", stage, n,
			       byteor_strerror(n));
		}
	}
	fprintf(stderr, "# stage %u: %llu entries, %llu corrupt reports\n",
		stage, ok, bad);
	byteor_sequenced_slots_detach(s);
	_exit(0);
}

static void xs_fuzz_producer(const struct le_env *env, const char *name, long long until)
{
	struct byteor_sequenced_slots *p;
	unsigned long long ok = 0, bad = 0;
	__u64 first;
	int ret;

	p = xs_attach(env, name, BYTEOR_ROLE_PRODUCER, 0, 1000000);
	while (le_now_ns() < until) {
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
			LE_DIE(8, "producer: unexpected %d (%s)", ret,
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
	long long until = le_now_ns() + 3000000000LL;
	struct byteor_region_info info;
	unsigned long long x = 0x1234567887654321ULL;
	pid_t pid[4];
	unsigned int i;
	void *base;
	int fd;
	char path[HT_PATH * 2];

	ASSERT_EQ(0, st_create_topo(&self->env, self->name, 64, ST_DIAMOND));
	ASSERT_EQ(0, byteor_region_info(self->name, LE_BACKING, self->env.dir,
					&info));
	ASSERT_EQ(ctl, info.layout.area_off[BYTEOR_AREA_CONTROL]);
	for (i = 0; i < 3; i++) {
		pid[1 + i] = le_fork(&self->env);
		ASSERT_LE(0, pid[1 + i]);
		if (!pid[1 + i])
			xs_fuzz_stage(&self->env, self->name, i, until);
	}
	pid[0] = le_fork(&self->env);
	ASSERT_LE(0, pid[0]);
	if (!pid[0])
		xs_fuzz_producer(&self->env, self->name, until);
	/* The scribbler: this process, through its own mapping. */
	ht_region_path(path, sizeof(path), self->env.dir, self->name);
	fd = open(path, O_RDWR);
	ASSERT_LE(0, fd);
	base = mmap(NULL, info.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	ASSERT_NE(MAP_FAILED, base);
	usleep(100000);		/* let them run clean first */
	while (le_now_ns() < until - 500000000LL) {
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
		EXPECT_EQ(0, le_wait(&self->env, pid[i])) TH_LOG("%s %u", i ? "stage" : "producer",
						       i ? i - 1 : 0);
}

#endif /* !LE_KERNEL */

TEST_HARNESS_MAIN
