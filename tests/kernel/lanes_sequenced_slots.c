// SPDX-License-Identifier: GPL-2.0-only
/*
 * lanes_sequenced_slots - libbyteor's sequenced slots between processes on
 * the kernel backing: a producer process and one process per stage, as a
 * pipeline of three (the last a read-only subscriber) and as a diamond
 * (two branches, then a join).  Every stage checks order and content and
 * that each stage it depends on stamped the entry before it (a stage that
 * reads an entry too early, twice or never fails); afterwards the shared
 * cursor and gating sequences say every entry passed every stage.
 *
 * 100k entries per topology, not the host tests' 10 million: the guest
 * runs under TCG (see lanes_test.h).
 */
#include "lanes_test.h"

#define SS_SLOT		64U
#define SS_CAP		256U
#define SS_STAMPS	6U
#define SS_BATCH	32U
#define SS_ENTRIES	100000ULL

/*
 * The entry: u64 seq, u64 check, u64 stamp[6].  The producer writes seq and
 * check and zeroes the stamps; stage i requires the stamps of its
 * dependencies and no stamp of its own yet, then writes its stamp.
 */
struct ss_entry {
	__u64 seq;
	__u64 check;
	__u64 stamp[SS_STAMPS];
};

_Static_assert(sizeof(struct ss_entry) == SS_SLOT, "an entry fills its slot");

static __u64 ss_check(__u64 seq)
{
	return seq * 0x9E3779B97F4A7C15ULL ^ 0x5555AAAA5555AAAAULL;
}

static __u64 ss_stamp(unsigned int stage, __u64 seq)
{
	return (seq + 1) * 0xC2B2AE3D27D4EB4FULL + stage;
}

/* Stage @stage (dependencies @deps) checks entry @e, expected to be @want. */
static const char *ss_process(struct ss_entry *e, __u64 want, unsigned int stage,
			      __u32 deps, bool stamp)
{
	unsigned int j;

	if (e->seq != want)
		return e->seq < want ? "entry seen again or reordered" :
			"entry skipped";
	if (e->check != ss_check(want))
		return "bad entry content";
	for (j = 0; j < SS_STAMPS; j++)
		if ((deps & (1U << j)) && e->stamp[j] != ss_stamp(j, want))
			return "read before a dependency finished it";
	if (e->stamp[stage])
		return "own stamp already there (processed twice)";
	if (stamp)
		e->stamp[stage] = ss_stamp(stage, want);
	return NULL;
}

FIXTURE(ss) {
	struct bt_res res;
	const char *name;
};

FIXTURE_SETUP(ss)
{
	LN_SETUP_CHECKS();
	self->name = bt_res_name(&self->res, "seq");
}

FIXTURE_TEARDOWN(ss)
{
	bt_res_release(&self->res);
}

static struct byteor_sequenced_slots *ss_attach(const char *name, int role,
						unsigned int stage)
{
	struct byteor_attach_options o = ln_opts(name, stage, LN_TIMEOUT_NS);
	struct byteor_sequenced_slots *h;
	int ret = byteor_attach_sequenced_slots_region(&o, role, &h);

	if (ret)
		LN_DIE(2, "attach role %d stage %u: %s", role, stage,
		       byteor_strerror(ret));
	return h;
}

/* Producer child: entries [0, count) in claims of 1..SS_BATCH. */
static void ss_produce(const char *name, __u64 count)
{
	struct byteor_sequenced_slots *p = ss_attach(name, BYTEOR_ROLE_PRODUCER, 0);
	__u64 seq = 0, first;
	unsigned int k, i;
	int ret;

	while (seq < count) {
		k = 1 + (unsigned int)((seq * 7) % SS_BATCH);
		if (k > count - seq)
			k = (unsigned int)(count - seq);
		ret = byteor_sequenced_slots_producer_claim(p, k, &first);
		if (ret)
			LN_DIE(3, "claim at %llu: %s", (unsigned long long)seq,
			       byteor_strerror(ret));
		if (first != seq)
			LN_DIE(3, "claim got %llu, want %llu",
			       (unsigned long long)first, (unsigned long long)seq);
		for (i = 0; i < k; i++) {
			struct ss_entry *e = byteor_sequenced_slots_entry(p, seq + i);

			memset(e, 0, sizeof(*e));
			e->seq = seq + i;
			e->check = ss_check(seq + i);
		}
		ret = byteor_sequenced_slots_producer_publish(p, k);
		if (ret != (int)k)
			LN_DIE(3, "publish: %d", ret);
		seq += k;
	}
	byteor_sequenced_slots_detach(p);
	_exit(0);
}

/* Stage child: entries [0, count), checked and stamped (a subscriber only checks). */
static void ss_stage(const char *name, unsigned int stage, __u32 deps,
		     __u64 count, bool sub)
{
	struct byteor_sequenced_slots *s;
	__u64 next = 0, first;
	const char *why;
	int n, i;

	s = ss_attach(name, sub ? BYTEOR_SEQUENCED_SLOTS_SUBSCRIBER :
		      BYTEOR_ROLE_CONSUMER, stage);
	while (next < count) {
		n = sub ? byteor_sequenced_slots_subscriber_wait(s, SS_BATCH, &first) :
			byteor_sequenced_slots_stage_wait(s, SS_BATCH, &first);
		if (n < 1)
			LN_DIE(4, "stage %u wait at %llu: %s", stage,
			       (unsigned long long)next, byteor_strerror(n));
		if (first != next)
			LN_DIE(5, "stage %u: first %llu, want %llu", stage,
			       (unsigned long long)first, (unsigned long long)next);
		for (i = 0; i < n; i++, next++) {
			struct ss_entry *e = sub ?
				(struct ss_entry *)byteor_sequenced_slots_entry_ro(s, next) :
				byteor_sequenced_slots_entry(s, next);

			why = ss_process(e, next, stage, deps, !sub);
			if (why)
				LN_DIE(5, "stage %u entry %llu: %s", stage,
				       (unsigned long long)next, why);
		}
		n = sub ? byteor_sequenced_slots_subscriber_advance(s, n) :
			byteor_sequenced_slots_stage_advance(s, n);
		if (n < 1)
			LN_DIE(6, "stage %u advance: %s", stage, byteor_strerror(n));
	}
	byteor_sequenced_slots_detach(s);
	_exit(0);
}

/*
 * Create the region with @nstages stages and @deps, run the producer and
 * one process per stage (stage @sub_stage, if < nstages, as a
 * subscriber), check exits and the shared sequences afterwards.
 */
static void ss_run(struct __test_metadata *_metadata, FIXTURE_DATA(ss) *self,
		   unsigned int nstages, const __u32 *deps, unsigned int sub_stage)
{
	struct byteor_geometry g = ln_geom(SS_SLOT, SS_CAP, nstages, 1);
	struct byteor_attach_options o = ln_opts(self->name, 0, 0);
	struct byteor_sequenced_slots_snapshot *snap;
	struct byteor_sequenced_slots *obs;
	pid_t pid[1 + BYTEOR_MAX_STAGES];
	long long t0 = ln_now_ns();
	unsigned int i;

	memcpy(g.stage_deps, deps, sizeof(__u32) * nstages);
	ASSERT_EQ(0, ln_create(self->name, BYTEOR_KIND_SEQUENCED_SLOTS, &g, NULL));
	for (i = 0; i < nstages; i++) {
		pid[1 + i] = ln_fork(&self->res);
		ASSERT_LE(0, pid[1 + i]);
		if (!pid[1 + i])
			ss_stage(self->name, i, deps[i], SS_ENTRIES, i == sub_stage);
	}
	pid[0] = ln_fork(&self->res);
	ASSERT_LE(0, pid[0]);
	if (!pid[0])
		ss_produce(self->name, SS_ENTRIES);
	for (i = 0; i <= nstages; i++)
		EXPECT_EQ(0, bt_res_wait(&self->res, pid[i]))
			TH_LOG("%s %u", i ? "stage" : "producer", i ? i - 1 : 0);
	TH_LOG("%llu entries through %u stage processes in %.2f s",
	       SS_ENTRIES, nstages, (ln_now_ns() - t0) / 1e9);

	snap = calloc(1, sizeof(*snap));
	ASSERT_NE(NULL, snap);
	ASSERT_EQ(0, byteor_attach_sequenced_slots_region(&o, BYTEOR_ROLE_OBSERVER,
							  &obs));
	EXPECT_EQ(0, byteor_sequenced_slots_snapshot(obs, snap));
	EXPECT_EQ(SS_ENTRIES, snap->cursor);
	EXPECT_EQ(SS_ENTRIES, snap->min_gating);
	EXPECT_EQ(0U, snap->flags & BYTEOR_SEQ_SNAP_F_CORRUPT);
	EXPECT_EQ(0, snap->producer_alive);
	for (i = 0; i < nstages; i++) {
		EXPECT_EQ(SS_ENTRIES, snap->stage[i].gating) TH_LOG("stage %u", i);
		EXPECT_EQ(0, snap->stage[i].alive) TH_LOG("stage %u", i);
		EXPECT_EQ(1ULL, snap->stage[i].attaches) TH_LOG("stage %u", i);
	}
	byteor_sequenced_slots_detach(obs);
	free(snap);
	EXPECT_EQ(0, byteor_region_destroy(self->name, BYTEOR_BACKING_KERNEL, NULL));
}

/* P -> 0 -> 1 -> 2 (subscriber): each stage reads only what the one before finished. */
TEST_F_TIMEOUT(ss, pipeline_of_three_processes_never_reads_before_its_dependency, 50)
{
	__u32 deps[3] = { 0, 1U << 0, 1U << 1 };

	ss_run(_metadata, self, 3, deps, 2);
}

/* P -> {0, 1} -> 2: the join reads an entry only after both branches stamped it. */
TEST_F_TIMEOUT(ss, diamond_join_process_never_reads_before_both_branches, 50)
{
	__u32 deps[3] = { 0, 0, (1U << 0) | (1U << 1) };

	ss_run(_metadata, self, 3, deps, ~0U);
}

TEST_HARNESS_MAIN
