// SPDX-License-Identifier: GPL-2.0-only
/*
 * wait_notify - the publish path makes no system call while nobody is
 * parked, with either fence protocol.
 *
 * A child runs a million notifies under a seccomp filter that kills the
 * process (SIGSYS) on any system call but exit/exit_group.  With the
 * eventcount's waiter word at 0 it must exit normally; with it at 1 (a
 * waiter announced) the first notify must make the FUTEX_WAKE call and die:
 * that control proves the filter would catch a system call.
 */
#include <stdio.h>
#include <stdlib.h>

#include "kselftest_harness.h"
#include "wait_test.h"

#define NOTIFIES	1000000

FIXTURE(notify) {
	int fd;
	struct wt_shm *shm;
};

FIXTURE_VARIANT(notify) {
	int fence;
};

FIXTURE_VARIANT_ADD(notify, asym) {
	.fence = __BYTEOR_FENCE_ASYM,
};

FIXTURE_VARIANT_ADD(notify, full_fence) {
	.fence = __BYTEOR_FENCE_FULL,
};

FIXTURE_SETUP(notify)
{
	struct byteor_wait_probe p;

	ASSERT_EQ(0, byteor_wait_probe(&p));
	if (variant->fence == __BYTEOR_FENCE_ASYM && !p.membarrier)
		SKIP(return, "membarrier GLOBAL_EXPEDITED unavailable");
	self->shm = wt_shm_create(&self->fd);
	ASSERT_NE(NULL, self->shm);
}

FIXTURE_TEARDOWN(notify)
{
	if (self->shm)
		munmap(self->shm, sizeof(*self->shm));
	if (self->fd > 0)
		close(self->fd);
}

/* Child: NOTIFIES publishes with @waiters announced, under seccomp. */
static int run_notifies(struct wt_shm *s, int fence, uint32_t waiters)
{
	static const int allow[] = { SYS_exit, SYS_exit_group };
	int i;

	if (__byteor_wait_set_fence(fence))
		return 2;
	atomic_store(&s->ec[0].waiters, waiters);
	if (wt_seccomp(allow, 2, 0, SECCOMP_RET_KILL_PROCESS))
		return 3;
	for (i = 1; i <= NOTIFIES; i++)
		wt_publish(s, 0, (uint64_t)i);
	/*
	 * Leave with the bare system call: exit paths of libc or of a
	 * sanitizer runtime make other calls the filter would kill.
	 */
	syscall(SYS_exit_group, 0);
	return 4;
}

static int child_status(struct __test_metadata *_metadata, struct wt_shm *s,
			int fence, uint32_t waiters)
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(run_notifies(s, fence, waiters));
	EXPECT_LE(0, pid);
	EXPECT_EQ(pid, waitpid(pid, &status, 0));
	return status;
}

TEST_F(notify, no_syscall_while_nobody_is_parked)
{
	int status = child_status(_metadata, self->shm, variant->fence, 0);

	ASSERT_TRUE(WIFEXITED(status)) {
		TH_LOG("child killed by signal %d: a notify made a system call",
		       WIFSIGNALED(status) ? WTERMSIG(status) : -1);
	}
	ASSERT_EQ(0, WEXITSTATUS(status));
	/* Every publish landed, and nobody bumped the futex word. */
	EXPECT_EQ((uint64_t)NOTIFIES, atomic_load(&self->shm->word[0].v));
	EXPECT_EQ(0U, atomic_load(&self->shm->ec[0].seq));
}

TEST_F(notify, a_parked_waiter_makes_notify_call_futex_wake)
{
	int status = child_status(_metadata, self->shm, variant->fence, 1);

	ASSERT_TRUE(WIFSIGNALED(status));
	ASSERT_EQ(SIGSYS, WTERMSIG(status));
	/* It died in the wake: the word was bumped once, then FUTEX_WAKE. */
	EXPECT_EQ(1U, atomic_load(&self->shm->ec[0].seq));
	EXPECT_EQ(1ULL, atomic_load(&self->shm->word[0].v));
}

TEST(notifier_registration_selects_the_fence)
{
	struct byteor_wait_probe p;

	ASSERT_EQ(0, __byteor_notifier_init());
	ASSERT_EQ(0, byteor_wait_probe(&p));
	/* Registered for membarrier: no fence; else one per notify. */
	EXPECT_EQ(!p.membarrier, atomic_load(&__byteor_notify_full_fence));
	ASSERT_EQ(0, __byteor_wait_set_fence(__BYTEOR_FENCE_FULL));
	EXPECT_EQ(1, atomic_load(&__byteor_notify_full_fence));
	ASSERT_EQ(0, __byteor_wait_set_fence(__BYTEOR_FENCE_PROBE));
	EXPECT_EQ(!p.membarrier, atomic_load(&__byteor_notify_full_fence));
	EXPECT_EQ(-EINVAL, __byteor_wait_set_fence(42));
}

TEST_HARNESS_MAIN
