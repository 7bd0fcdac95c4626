// SPDX-License-Identifier: GPL-2.0-only
/*
 * seq_restart - sequenced slots with every role in its own process, one
 * role killed at a named protocol step and restarted while the others run
 * on.  The documented guarantee is checked end to end:
 *  - the producer publishes every sequence once, none skipped (a dead
 *    producer's claimed, unpublished entries are dropped and the new one
 *    claims the same sequences again);
 *  - every stage and the subscriber see every sequence in order, none
 *    skipped, the content intact, their dependencies' stamps present (no
 *    entry read before its dependencies finished it);
 *  - a restarted stage resumes at its shared gating sequence: it sees
 *    again at most the batch its predecessor had in hand (at-least-once
 *    for that batch, never more), and its own stamp on those only;
 *  - nothing stalls (every role finishes within the deadline).
 *
 * Layout: stage 0 follows the cursor; stage 1 (terminal) and the
 * subscriber at stage 2 (terminal) both depend on stage 0.
 */
#include <signal.h>
#include <sys/mman.h>
#include "crash_env.h"
#include "single_ring_test.h"
#include "sequenced_slots_test.h"
#include <byteor/crashpoint.h>

#define N		3000ULL
#define BATCH		4U
#define CAP		16U
#define DEADLINE_NS	20000000000LL

enum { R_PROD, R_S0, R_S1, R_SUB, R_COUNT };

static const __u32 rs_deps[BYTEOR_MAX_STAGES] = { 0, 1U << 0, 1U << 0 };

/* Shared with the role processes: how far each role got (after advance). */
struct rs_shared {
	__u64 progress[R_COUNT];
};

FIXTURE(rs) {
	struct ht_dir d;
	struct rs_shared *sh;
};

FIXTURE_VARIANT(rs) {
	int role;
	const char *point;
	unsigned long nth;
};

FIXTURE_VARIANT_ADD(rs, producer_claimed) {
	.role = R_PROD, .point = "seq.producer.claimed", .nth = 100,
};
FIXTURE_VARIANT_ADD(rs, producer_before_publish) {
	.role = R_PROD, .point = "seq.producer.before_publish", .nth = 100,
};
FIXTURE_VARIANT_ADD(rs, producer_published) {
	.role = R_PROD, .point = "seq.producer.published", .nth = 100,
};
FIXTURE_VARIANT_ADD(rs, producer_gate_stored) {
	.role = R_PROD, .point = "seq.producer.gate_stored", .nth = 20,
};
FIXTURE_VARIANT_ADD(rs, stage0_before_advance) {
	.role = R_S0, .point = "seq.stage.before_advance", .nth = 100,
};
FIXTURE_VARIANT_ADD(rs, stage0_advanced) {
	.role = R_S0, .point = "seq.stage.advanced", .nth = 100,
};
FIXTURE_VARIANT_ADD(rs, stage1_before_advance) {
	.role = R_S1, .point = "seq.stage.before_advance", .nth = 100,
};
FIXTURE_VARIANT_ADD(rs, stage1_advanced) {
	.role = R_S1, .point = "seq.stage.advanced", .nth = 100,
};
FIXTURE_VARIANT_ADD(rs, stage1_mask_loaded) {
	.role = R_S1, .point = "seq.consumer.mask_loaded", .nth = 20,
};
FIXTURE_VARIANT_ADD(rs, subscriber_before_advance) {
	.role = R_SUB, .point = "seq.subscriber.before_advance", .nth = 100,
};
FIXTURE_VARIANT_ADD(rs, subscriber_advanced) {
	.role = R_SUB, .point = "seq.subscriber.advanced", .nth = 100,
};

FIXTURE_SETUP(rs)
{
	HT_DIR_SETUP(&self->d, false);
	ASSERT_EQ(0, st_create(self->d.path, "seq", CAP, 3, rs_deps));
	self->sh = mmap(NULL, sizeof(*self->sh), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->sh);
	memset(self->sh, 0, sizeof(*self->sh));
}

FIXTURE_TEARDOWN(rs)
{
	munmap(self->sh, sizeof(*self->sh));
	ht_dir_teardown(&self->d);
}

static bool rs_retry(int ret)
{
	if (ret == -EPIPE)
		usleep(1000);	/* a peer is dead: until it is restarted */
	return ret == -EAGAIN || ret == -ETIMEDOUT || ret == -EPIPE;
}

static void rs_producer(const char *dir, struct rs_shared *sh)
{
	struct byteor_attach_options o = st_opts(dir, 0, 200000000LL);
	struct byteor_sequenced_slots_snapshot s;
	struct byteor_sequenced_slots *p;
	__u64 next, first, k, i;
	int ret;

	if (byteor_attach_sequenced_slots_region(&o, BYTEOR_ROLE_PRODUCER, &p) ||
	    byteor_sequenced_slots_snapshot(p, &s))
		_exit(30);
	next = s.cursor;
	if (next < sh->progress[R_PROD] || next > sh->progress[R_PROD] + BATCH)
		_exit(31);	/* the cursor is not where we left it */
	while (next < N) {
		k = N - next < BATCH ? N - next : BATCH;
		ret = byteor_sequenced_slots_producer_claim(p, (unsigned int)k, &first);
		if (ret) {
			if (rs_retry(ret))
				continue;
			_exit(32);
		}
		if (first != next)
			_exit(33);	/* a sequence skipped or claimed twice */
		for (i = 0; i < k; i++)
			st_fill(byteor_sequenced_slots_entry(p, first + i), first + i);
		if (byteor_sequenced_slots_producer_publish(p, (unsigned int)k) != (int)k)
			_exit(34);
		next += k;
		sh->progress[R_PROD] = next;
	}
	byteor_sequenced_slots_detach(p);
	_exit(0);
}

static void rs_stage(const char *dir, struct rs_shared *sh, int role,
		     bool restarted)
{
	unsigned int idx = role == R_SUB ? 2 : role - R_S0;
	int arole = role == R_SUB ? BYTEOR_SEQUENCED_SLOTS_SUBSCRIBER :
		BYTEOR_ROLE_CONSUMER;
	struct byteor_attach_options o = st_opts(dir, idx, 200000000LL);
	struct byteor_sequenced_slots *h;
	const struct st_entry *e;
	__u64 first, seq, again = 0, expect = sh->progress[role];
	bool started = false;
	unsigned int j;
	int n, k;

	if (byteor_attach_sequenced_slots_region(&o, arole, &h))
		_exit(40);
	while (expect < N) {
		n = role == R_SUB ?
			byteor_sequenced_slots_subscriber_wait(h, BATCH, &first) :
			byteor_sequenced_slots_stage_wait(h, BATCH, &first);
		if (n < 0) {
			if (rs_retry(n))
				continue;
			_exit(41);
		}
		if (!started) {
			/*
			 * Resume at the shared gating sequence: where the
			 * predecessor last reported, or a batch further (it
			 * advanced, then died before reporting).  Its in-hand
			 * batch (stamped, not advanced) may come again.
			 */
			started = true;
			if (first < expect || first - expect > BATCH ||
			    (!restarted && first != expect))
				_exit(42);
			again = restarted ? BATCH : 0;
			expect = first;
		}
		if (first != expect)
			_exit(43);	/* skipped or repeated */
		for (k = 0; k < n; k++) {
			seq = first + k;
			e = byteor_sequenced_slots_entry_ro(h, seq);
			if (e->seq != seq || e->check != st_check(seq))
				_exit(44);	/* torn or not the producer's */
			for (j = 0; j < idx; j++)
				if ((rs_deps[idx] & (1U << j)) &&
				    e->stamp[j] != st_stamp(j, seq))
					_exit(45);	/* read before a dependency */
			if (role == R_SUB)
				continue;
			if (e->stamp[idx]) {
				/* Only the batch our predecessor had in hand. */
				if (!again || e->stamp[idx] != st_stamp(idx, seq))
					_exit(46);
				again--;
			}
			((struct st_entry *)byteor_sequenced_slots_entry(h, seq))->stamp[idx] =
				st_stamp(idx, seq);
		}
		n = role == R_SUB ? byteor_sequenced_slots_subscriber_advance(h, n) :
			byteor_sequenced_slots_stage_advance(h, n);
		if (n < 0)
			_exit(47);
		expect = first + n;
		sh->progress[role] = expect;
	}
	byteor_sequenced_slots_detach(h);
	_exit(0);
}

static pid_t rs_spawn(FIXTURE_DATA(rs) *self, int role, const char *point,
		      unsigned long nth, bool restarted)
{
	pid_t pid = fork();

	if (pid)
		return pid;
	if (point)
		__byteor_crashpoint_arm(point, nth, "kill");
	if (role == R_PROD)
		rs_producer(self->d.path, self->sh);
	rs_stage(self->d.path, self->sh, role, restarted);
	_exit(99);
}

TEST_F_TIMEOUT(rs, role_killed_at_the_point_and_restarted_loses_and_repeats_nothing, 90)
{
	long long end = lt_now_ns() + DEADLINE_NS;
	pid_t pid[R_COUNT];
	int r, st, done = 0, kills = 0;
	pid_t w;

	/* The consumers first, so none starts after entries passed it. */
	for (r = R_COUNT - 1; r >= 0; r--) {
		pid[r] = rs_spawn(self, r, r == variant->role ? variant->point : NULL,
				  variant->nth, false);
		ASSERT_LT(0, pid[r]);
		if (r != R_PROD)
			usleep(20000);
	}
	while (done < R_COUNT) {
		w = waitpid(-1, &st, WNOHANG);
		if (w <= 0) {
			if (lt_now_ns() > end)
				break;
			usleep(1000);
			continue;
		}
		for (r = 0; r < R_COUNT && pid[r] != w; r++)
			;
		ASSERT_LT(r, R_COUNT);
		if (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL &&
		    r == variant->role && !kills) {
			kills++;
			pid[r] = rs_spawn(self, r, NULL, 0, true);
			continue;
		}
		EXPECT_TRUE(WIFEXITED(st) && !WEXITSTATUS(st))
			TH_LOG("role %d: status %#x (exit %d)", r, st,
			       WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		pid[r] = -1;
		done++;
	}
	for (r = 0; r < R_COUNT; r++)
		if (pid[r] > 0) {
			kill(pid[r], SIGKILL);
			ht_wait(pid[r]);
		}
	EXPECT_EQ(R_COUNT, done) TH_LOG("stalled: progress %llu %llu %llu %llu",
		(unsigned long long)self->sh->progress[0],
		(unsigned long long)self->sh->progress[1],
		(unsigned long long)self->sh->progress[2],
		(unsigned long long)self->sh->progress[3]);
	EXPECT_EQ(1, kills) TH_LOG("%s never fired", variant->point);
	for (r = 0; r < R_COUNT; r++)
		EXPECT_EQ(N, self->sh->progress[r]);
}

TEST_HARNESS_MAIN
