// SPDX-License-Identifier: GPL-2.0-only
/*
 * seq_reattach - re-attaching a removed non-terminal stage, with each step
 * of it (and of its dependent's barrier) held half-done at a crash point:
 * the dependent never holds an entry the re-attached stage has not
 * finished, and a re-attach killed half-way is completed by the next one.
 *
 * Layout: stage 0 follows the cursor, stage 1 depends on stage 0 (and is
 * terminal: it gates the producer).  Stage 0 is removed, so stage 1
 * follows the cursor in its place, until stage 0 comes back.
 */
#include <signal.h>
#include "crash_env.h"
#include "single_ring_test.h"
#include "sequenced_slots_test.h"
#include <byteor/crashpoint.h>

FIXTURE(reatt) {
	struct ht_dir d;
	struct byteor_sequenced_slots *p;
};

static struct byteor_sequenced_slots *ra_attach(const char *dir, int role,
						unsigned int queue)
{
	struct byteor_attach_options o = st_opts(dir, queue, 0);
	struct byteor_sequenced_slots *h = NULL;

	if (byteor_attach_sequenced_slots_region(&o, role, &h))
		return NULL;
	return h;
}

static int ra_publish(struct byteor_sequenced_slots *p, unsigned int n)
{
	__u64 first;
	unsigned int i;

	if (byteor_sequenced_slots_producer_claim(p, n, &first))
		return -1;
	for (i = 0; i < n; i++)
		st_fill(byteor_sequenced_slots_entry(p, first + i), first + i);
	return byteor_sequenced_slots_producer_publish(p, n) == (int)n ? 0 : -1;
}

static __u64 ra_gating(struct byteor_sequenced_slots *h, unsigned int stage,
		       __u32 *removed)
{
	struct byteor_sequenced_slots_snapshot s;

	if (byteor_sequenced_slots_snapshot(h, &s))
		return ~0ULL;
	*removed = s.removed_mask;
	return s.stage[stage].gating;
}

/* Stage 0 removed after stage 1 consumed 4 entries (cursor 4). */
FIXTURE_SETUP(reatt)
{
	struct byteor_attach_options o;
	struct byteor_sequenced_slots *s;
	__u32 deps[BYTEOR_MAX_STAGES] = { 0, 1U << 0 };
	__u64 first;

	HT_DIR_SETUP(&self->d, false);
	o = st_opts(self->d.path, 0, 0);
	ASSERT_EQ(0, st_create(self->d.path, "seq", 16, 2, deps));
	self->p = ra_attach(self->d.path, BYTEOR_ROLE_PRODUCER, 0);
	ASSERT_NE(NULL, self->p);
	s = ra_attach(self->d.path, BYTEOR_ROLE_CONSUMER, 0);
	ASSERT_NE(NULL, s);
	byteor_sequenced_slots_detach(s);
	ASSERT_EQ(0, byteor_sequenced_slots_remove_stage(&o, 0));
	ASSERT_EQ(0, ra_publish(self->p, 4));
	s = ra_attach(self->d.path, BYTEOR_ROLE_CONSUMER, 1);
	ASSERT_NE(NULL, s);
	ASSERT_EQ(4, byteor_sequenced_slots_stage_wait(s, 64, &first));
	ASSERT_EQ(4, byteor_sequenced_slots_stage_advance(s, 4));
	byteor_sequenced_slots_detach(s);
}

FIXTURE_TEARDOWN(reatt)
{
	byteor_sequenced_slots_detach(self->p);
	ht_dir_teardown(&self->d);
}

static void ra_stopped(struct __test_metadata *_metadata, pid_t pid)
{
	int st;

	ASSERT_EQ(pid, waitpid(pid, &st, WUNTRACED));
	ASSERT_TRUE(WIFSTOPPED(st)) TH_LOG("status %#x: the point never fired", st);
}

/*
 * Stage 0 re-attaches and is stopped after storing its provisional gating
 * sequence, before its removed bit clears.  Meanwhile stage 1 (still
 * seeing stage 0 removed) takes entries up to the cursor.  Once stage 0's
 * attach completes, it starts at or above what stage 1 took.
 */
TEST_F(reatt, reattached_stage_starts_above_what_its_dependent_took_meanwhile)
{
	struct byteor_sequenced_slots *d;
	int go[2], done[2], n;
	__u64 first;
	__u32 removed;
	pid_t pid;

	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(done));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct byteor_sequenced_slots *r;

		__byteor_crashpoint_arm("seq.stage.reattach.gating_stored", 1, "stop");
		r = ra_attach(self->d.path, BYTEOR_ROLE_CONSUMER, 0);
		ht_signal(done[1]);
		ht_await(go[0]);
		byteor_sequenced_slots_detach(r);
		_exit(r ? 0 : 1);
	}
	ra_stopped(_metadata, pid);
	ASSERT_EQ(0, ra_publish(self->p, 6));
	d = ra_attach(self->d.path, BYTEOR_ROLE_CONSUMER, 1);
	ASSERT_NE(NULL, d);
	n = byteor_sequenced_slots_stage_wait(d, 64, &first);
	ASSERT_LT(0, n);
	kill(pid, SIGCONT);
	ASSERT_EQ(0, ht_await(done[0]));
	EXPECT_LE(first + n, ra_gating(self->p, 0, &removed))
		TH_LOG("stage 1 holds [%llu, %llu)", (unsigned long long)first,
		       (unsigned long long)(first + n));
	EXPECT_EQ(0, removed);
	ht_signal(go[1]);
	EXPECT_EQ(0, ht_wait(pid));
	byteor_sequenced_slots_detach(d);
}

/*
 * Stage 1 is stopped in its barrier right after loading the removal mask
 * (stage 0 removed); stage 0 re-attaches and the producer publishes more.
 * Resumed, stage 1 must not use the stale mask: it waits for stage 0.
 */
TEST_F(reatt, dependent_rechecks_the_removal_mask_after_loading_its_sources)
{
	struct byteor_sequenced_slots *r;
	int res[2];
	__u64 got[2] = { 0, 0 };
	__u32 removed;
	pid_t pid;

	ASSERT_EQ(0, pipe(res));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct byteor_sequenced_slots *d;
		__u64 first = 0, out[2];
		int n;

		d = ra_attach(self->d.path, BYTEOR_ROLE_CONSUMER, 1);
		if (!d)
			_exit(1);
		__byteor_crashpoint_arm("seq.consumer.mask_loaded", 1, "stop");
		n = byteor_sequenced_slots_stage_wait(d, 64, &first);
		out[0] = first;
		out[1] = n > 0 ? (__u64)n : 0;
		if (write(res[1], out, sizeof(out)) != sizeof(out))
			_exit(2);
		byteor_sequenced_slots_detach(d);
		_exit(0);
	}
	ra_stopped(_metadata, pid);
	r = ra_attach(self->d.path, BYTEOR_ROLE_CONSUMER, 0);
	ASSERT_NE(NULL, r);
	ASSERT_EQ(0, ra_publish(self->p, 6));
	kill(pid, SIGCONT);
	ASSERT_EQ(sizeof(got), read(res[0], got, sizeof(got)));
	EXPECT_EQ(0, ht_wait(pid));
	EXPECT_LE(got[0] + got[1], ra_gating(self->p, 0, &removed))
		TH_LOG("stage 1 took [%llu, %llu)", (unsigned long long)got[0],
		       (unsigned long long)(got[0] + got[1]));
	byteor_sequenced_slots_detach(r);
}

static const char *ra_kill_point;

static void ra_arm_kill(int sig)
{
	(void)sig;
	__byteor_crashpoint_arm(ra_kill_point, 1, "kill");
}

/*
 * As the first test, but stage 0 is killed at @point, after stopping
 * once the provisional gating sequence is stored (stage 1 takes entries
 * meanwhile).  The next process attaching at stage 0 completes (or
 * redoes) the re-attach: it starts above what stage 1 holds.
 */
static void ra_killed_then_next(struct __test_metadata *_metadata,
				FIXTURE_DATA(reatt) *self, const char *point)
{
	struct byteor_sequenced_slots *d, *r;
	__u64 first, first0;
	__u32 removed;
	pid_t pid;
	int n, st, ret;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		ra_kill_point = point;
		signal(SIGCONT, ra_arm_kill);
		__byteor_crashpoint_arm("seq.stage.reattach.gating_stored", 1, "stop");
		r = ra_attach(self->d.path, BYTEOR_ROLE_CONSUMER, 0);
		_exit(r ? 0 : 1);
	}
	ra_stopped(_metadata, pid);
	ASSERT_EQ(0, ra_publish(self->p, 6));
	d = ra_attach(self->d.path, BYTEOR_ROLE_CONSUMER, 1);
	ASSERT_NE(NULL, d);
	n = byteor_sequenced_slots_stage_wait(d, 64, &first);
	ASSERT_LT(0, n);
	kill(pid, SIGCONT);
	st = ht_wait(pid);
	ASSERT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)
		TH_LOG("status %#x: not killed at %s", st, point);
	r = ra_attach(self->d.path, BYTEOR_ROLE_CONSUMER, 0);
	ASSERT_NE(NULL, r);
	EXPECT_LE(first + n, ra_gating(self->p, 0, &removed));
	EXPECT_EQ(0, removed);
	ret = byteor_sequenced_slots_stage_wait(r, 64, &first0);
	if (ret > 0)
		EXPECT_LE(first + n, first0);
	/* The pipeline flows again: stage 1 finishes, stage 0 goes on. */
	EXPECT_EQ(n, byteor_sequenced_slots_stage_advance(d, n));
	EXPECT_EQ(0, ra_publish(self->p, 4));
	EXPECT_LT(0, byteor_sequenced_slots_stage_wait(r, 64, &first0));
	EXPECT_LE(first + n, first0);
	byteor_sequenced_slots_detach(r);
	byteor_sequenced_slots_detach(d);
}

TEST_F(reatt, reattach_killed_after_the_bit_clears_is_completed_by_the_next)
{
	ra_killed_then_next(_metadata, self, "seq.stage.reattach.bit_cleared");
}

TEST_F(reatt, reattach_killed_after_setting_its_join_bit_is_redone_by_the_next)
{
	ra_killed_then_next(_metadata, self, "seq.stage.reattach.join_set");
}

TEST_F(reatt, reattach_killed_after_storing_its_start_is_completed_by_the_next)
{
	ra_killed_then_next(_metadata, self, "seq.stage.reattach.start_stored");
}

/*
 * An operator's removal killed right after the removed bit is set (before
 * the wake-up): the removal holds, the producer is not stuck behind the
 * dead stage, and the stage can come back.
 */
TEST_F(reatt, removal_killed_before_its_wakeup_still_frees_the_producer)
{
	struct byteor_attach_options o = st_opts(self->d.path, 1, 0);
	struct byteor_sequenced_slots *r, *d;
	__u64 first;
	__u32 removed;
	pid_t pid;
	int st;

	/* Stage 0 back, stage 1 attached once, then gone. */
	r = ra_attach(self->d.path, BYTEOR_ROLE_CONSUMER, 0);
	ASSERT_NE(NULL, r);
	ASSERT_EQ(0, ra_publish(self->p, 16));
	EXPECT_EQ(-1, ra_publish(self->p, 1));	/* full: stage 1 gates */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		__byteor_crashpoint_arm("seq.remove.bit_set", 1, "kill");
		_exit(byteor_sequenced_slots_remove_stage(&o, 1) ? 1 : 0);
	}
	st = ht_wait(pid);
	ASSERT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	(void)ra_gating(self->p, 1, &removed);
	EXPECT_EQ(2, removed);
	/* The producer follows stage 0 now. */
	ASSERT_EQ(16, byteor_sequenced_slots_stage_wait(r, 64, &first));
	ASSERT_EQ(16, byteor_sequenced_slots_stage_advance(r, 16));
	EXPECT_EQ(0, ra_publish(self->p, 8));
	/* Stage 1 comes back, starting where its dependency is. */
	d = ra_attach(self->d.path, BYTEOR_ROLE_CONSUMER, 1);
	ASSERT_NE(NULL, d);
	(void)ra_gating(self->p, 1, &removed);
	EXPECT_EQ(0, removed);
	EXPECT_EQ(-EAGAIN, byteor_sequenced_slots_stage_wait(d, 64, &first));
	byteor_sequenced_slots_detach(d);
	byteor_sequenced_slots_detach(r);
}

TEST_HARNESS_MAIN
