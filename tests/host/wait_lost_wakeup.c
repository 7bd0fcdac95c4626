// SPDX-License-Identifier: GPL-2.0-only
/*
 * wait_lost_wakeup - no wake-up is ever lost, for every parking path and
 * both fence protocols, between two PROCESSES sharing a memfd mapping.
 *
 * Ping-pong: the parent publishes ping = i and waits for pong >= i; the
 * child waits for ping >= i and publishes pong = i.  Both wait with the
 * PARK strategy (no spinning, so every wait announces itself, re-checks and
 * most sleep in the kernel), no park slice (a lost wake-up is not rescued by
 * a periodic re-check) and a 10 s timeout: a single lost wake-up stalls the
 * exchange and fails the test with the round it was lost in.
 *
 * Variants: park path io_uring / futex(2) x notify fence asymmetric
 * (membarrier) / full (the fallback, forced in both processes).  The child
 * maps the memfd again at another address, as a second attached process
 * would.  A variant whose mechanism the kernel lacks is SKIPped.
 */
#include <stdio.h>
#include <stdlib.h>

#include "kselftest_harness.h"
#include "wait_test.h"

#define ROUNDS		200000ULL
#define WAIT_NS		(10LL * 1000000000LL)

FIXTURE(lost_wakeup) {
	int fd;
	struct wt_shm *shm;
	struct byteor_wait_probe probe;
};

FIXTURE_VARIANT(lost_wakeup) {
	int path;
	int fence;
	int many;	/* the child waits with __byteor_ec_wait_many() */
	int child_fence;	/* the child's fence mode, if not @fence */
};

FIXTURE_VARIANT_ADD(lost_wakeup, io_uring_asym) {
	.path = BYTEOR_PARK_IO_URING, .fence = __BYTEOR_FENCE_ASYM,
};

FIXTURE_VARIANT_ADD(lost_wakeup, io_uring_full_fence) {
	.path = BYTEOR_PARK_IO_URING, .fence = __BYTEOR_FENCE_FULL,
};

FIXTURE_VARIANT_ADD(lost_wakeup, futex_asym) {
	.path = BYTEOR_PARK_FUTEX, .fence = __BYTEOR_FENCE_ASYM,
};

FIXTURE_VARIANT_ADD(lost_wakeup, futex_full_fence) {
	.path = BYTEOR_PARK_FUTEX, .fence = __BYTEOR_FENCE_FULL,
};

FIXTURE_VARIANT_ADD(lost_wakeup, io_uring_waitv_asym) {
	.path = BYTEOR_PARK_IO_URING, .fence = __BYTEOR_FENCE_ASYM, .many = 1,
};

FIXTURE_VARIANT_ADD(lost_wakeup, futex_waitv_asym) {
	.path = BYTEOR_PARK_FUTEX, .fence = __BYTEOR_FENCE_ASYM, .many = 1,
};

FIXTURE_VARIANT_ADD(lost_wakeup, futex_fenced_notify) {
	.path = BYTEOR_PARK_FUTEX, .fence = __BYTEOR_FENCE_NOTIFY,
};

FIXTURE_VARIANT_ADD(lost_wakeup, futex_fenced_notify_with_asym_peer) {
	.path = BYTEOR_PARK_FUTEX, .fence = __BYTEOR_FENCE_NOTIFY,
	.child_fence = __BYTEOR_FENCE_ASYM,
};

FIXTURE_VARIANT_ADD(lost_wakeup, io_uring_fenced_notify) {
	.path = BYTEOR_PARK_IO_URING, .fence = __BYTEOR_FENCE_NOTIFY,
};

FIXTURE_SETUP(lost_wakeup)
{
	ASSERT_EQ(0, byteor_wait_probe(&self->probe));
	if (variant->path == BYTEOR_PARK_IO_URING && !self->probe.io_uring_futex)
		SKIP(return, "io_uring FUTEX_WAIT unavailable (%d)",
		     self->probe.io_uring_error);
	if (variant->many && variant->path == BYTEOR_PARK_FUTEX &&
	    !self->probe.futex_waitv)
		SKIP(return, "futex_waitv(2) unavailable");
	if ((variant->fence == __BYTEOR_FENCE_ASYM ||
	     variant->fence == __BYTEOR_FENCE_NOTIFY) && !self->probe.membarrier)
		SKIP(return, "membarrier GLOBAL_EXPEDITED unavailable");
	self->shm = wt_shm_create(&self->fd);
	ASSERT_NE(NULL, self->shm);
}

FIXTURE_TEARDOWN(lost_wakeup)
{
	if (self->shm)
		munmap(self->shm, sizeof(*self->shm));
	if (self->fd > 0)
		close(self->fd);
}

static int waiter_for(struct __byteor_waiter *w, int path)
{
	struct __byteor_wait_config c = {
		.strategy = BYTEOR_WAIT_PARK,
		.park_path = path,
		.park_slice_ns = -1,	/* no periodic rescue */
	};

	return __byteor_waiter_init_cfg(w, &c);
}

/* Child: wait for each ping, answer with a pong.  Exit code: 0 or round. */
static int pong_side(int fd, const FIXTURE_VARIANT(lost_wakeup) *variant)
{
	struct __byteor_waiter w;
	struct wt_shm *s = wt_shm_remap(fd);
	struct __byteor_ec *ecs[3];
	struct wt_want want;
	uint64_t i;
	int ret;

	if (!s || __byteor_wait_set_fence(variant->child_fence ?
					  variant->child_fence :
					  variant->fence) ||
	    waiter_for(&w, variant->path))
		return 2;
	/* wait_many: also park on two lanes nobody publishes on. */
	ecs[0] = &s->ec[2];
	ecs[1] = &s->ec[0];
	ecs[2] = &s->ec[3];
	want.word = &s->word[0].v;
	for (i = 1; i <= ROUNDS; i++) {
		want.at_least = i;
		if (variant->many)
			ret = __byteor_ec_wait_many(ecs, 3, &w, wt_ready_ge,
						    &want, WAIT_NS);
		else
			ret = __byteor_ec_wait(&s->ec[0], &w, wt_ready_ge,
					       &want, WAIT_NS);
		if (ret) {
			fprintf(stderr, "# child: round %llu: %d\n",
				(unsigned long long)i, ret);
			return 3;
		}
		wt_publish(s, 1, i);
	}
	__byteor_waiter_fini(&w);
	return 0;
}

TEST_F_TIMEOUT(lost_wakeup, ping_pong_200k_rounds_across_processes, 300)
{
	struct byteor_wait_stats st;
	struct __byteor_waiter w;
	struct wt_want want;
	long long t0;
	uint64_t i;
	int ret = 0, status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(pong_side(self->fd, variant));

	ASSERT_EQ(0, __byteor_wait_set_fence(variant->fence));
	ASSERT_EQ(0, waiter_for(&w, variant->path));
	ASSERT_EQ(variant->path, w.path);
	want.word = &self->shm->word[1].v;
	t0 = wt_now_ns();
	for (i = 1; i <= ROUNDS; i++) {
		wt_publish(self->shm, 0, i);
		want.at_least = i;
		ret = __byteor_ec_wait(&self->shm->ec[1], &w, wt_ready_ge, &want,
				       WAIT_NS);
		if (ret)
			break;
	}
	if (ret)
		kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	__byteor_waiter_stats(&w, &st);
	__byteor_waiter_fini(&w);
	EXPECT_EQ(0, ret) {
		TH_LOG("parent: round %llu: %d (lost wake-up?)",
		       (unsigned long long)i, ret);
	}
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	/* The test must have exercised parking, not just re-checks. */
	EXPECT_LT(ROUNDS / 100, st.parks);
	EXPECT_EQ(0ULL, st.timeouts);
	TH_LOG("%s: %llu rounds in %.2f s, parent parks %llu wakeups %llu",
	       byteor_park_path_name(variant->path),
	       (unsigned long long)ROUNDS, (wt_now_ns() - t0) / 1e9,
	       (unsigned long long)st.parks, (unsigned long long)st.wakeups);
}

TEST_HARNESS_MAIN
