// SPDX-License-Identifier: GPL-2.0-only
/*
 * wait_dead_waiter - a waiter killed while parked stops costing the
 * publisher system calls after one liveness check, and waiters that
 * survive it still get every wake-up.
 *
 * How the system calls are counted: the publisher is a child that, after
 * the publishes the liveness check may use, installs a seccomp filter
 * that kills the process (SIGSYS) on any system call but exit/exit_group
 * and publishes 1000 more times.  Exiting normally proves those 1000
 * publishes made no system call at all (not just no futex call); the
 * control in wait_notify (a_parked_waiter_makes_notify_call_futex_wake)
 * proves the same filter catches a FUTEX_WAKE.
 */
#include <stdio.h>
#include <stdlib.h>

#include "kselftest_harness.h"
#include "wait_test.h"

#define PUBLISHES	1000

/* A child that parks on ec[0] until word[0] >= @at; exits 0 when woken. */
static pid_t spawn_waiter(struct wt_shm *s, uint64_t at, long long slice_ns,
			  long long timeout_ns)
{
	pid_t pid = fork();

	if (pid == 0) {
		struct __byteor_wait_config c = {
			.strategy = BYTEOR_WAIT_PARK,
			.park_path = BYTEOR_PARK_FUTEX,
			.park_slice_ns = slice_ns,
		};
		struct __byteor_waiter w;
		struct wt_want want = { &s->word[0].v, at };
		int ret;

		if (__byteor_waiter_init_cfg(&w, &c))
			_exit(2);
		ret = __byteor_ec_wait(&s->ec[0], &w, wt_ready_ge, &want,
				       timeout_ns);
		_exit(ret ? 3 : 0);
	}
	return pid;
}

/* Wait (<= 2 s) until @n waiters are announced on ec[0]. */
static int announced(struct wt_shm *s, unsigned int n)
{
	long long end = wt_now_ns() + 2000000000LL;

	while (__byteor_ec_waiters(&s->ec[0]) < n) {
		if (wt_now_ns() > end)
			return 0;
		usleep(1000);
	}
	usleep(20000);	/* past the re-check, into FUTEX_WAIT */
	return 1;
}

/* Child: one publish (the liveness check), then PUBLISHES under seccomp. */
static int run_publisher(struct wt_shm *s, uint64_t from)
{
	static const int allow[] = { SYS_exit, SYS_exit_group };
	uint64_t i;

	wt_publish(s, 0, from);
	if (wt_seccomp(allow, 2, 0, SECCOMP_RET_KILL_PROCESS))
		return 3;
	for (i = 1; i <= PUBLISHES; i++)
		wt_publish(s, 0, from + i);
	syscall(SYS_exit_group, 0);
	return 4;
}

static int publisher_status(struct wt_shm *s, uint64_t from)
{
	int status = -1;
	pid_t pid = fork();

	if (pid == 0)
		_exit(run_publisher(s, from));
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

FIXTURE(dead) {
	int fd;
	struct wt_shm *shm;
};

FIXTURE_SETUP(dead)
{
	self->shm = wt_shm_create(&self->fd);
	ASSERT_NE(NULL, self->shm);
}

FIXTURE_TEARDOWN(dead)
{
	if (self->shm)
		munmap(self->shm, sizeof(*self->shm));
	if (self->fd > 0)
		close(self->fd);
}

TEST_F(dead, publishes_make_no_syscall_after_parked_waiters_are_killed)
{
	pid_t a, b;
	int st;

	a = spawn_waiter(self->shm, 1ULL << 40, -1, -1);
	b = spawn_waiter(self->shm, 1ULL << 40, -1, -1);
	ASSERT_LT(0, a);
	ASSERT_LT(0, b);
	ASSERT_TRUE(announced(self->shm, 2));
	kill(a, SIGKILL);
	kill(b, SIGKILL);
	ASSERT_EQ(a, waitpid(a, &st, 0));
	ASSERT_EQ(b, waitpid(b, &st, 0));
	/* Today's code: 2 stale waiters, every publish calls FUTEX_WAKE. */
	st = publisher_status(self->shm, 1);
	ASSERT_TRUE(WIFEXITED(st)) {
		TH_LOG("publisher killed by signal %d: a publish made a system call after the liveness check",
		       WIFSIGNALED(st) ? WTERMSIG(st) : -1);
	}
	ASSERT_EQ(0, WEXITSTATUS(st));
	EXPECT_EQ(0U, __byteor_ec_waiters(&self->shm->ec[0]));
	EXPECT_EQ(1ULL + PUBLISHES, atomic_load(&self->shm->word[0].v));
}

TEST_F(dead, a_surviving_waiter_is_still_woken_after_a_peer_is_killed)
{
	pid_t dead, live;
	int st;

	dead = spawn_waiter(self->shm, 1ULL << 40, -1, -1);
	ASSERT_LT(0, dead);
	ASSERT_TRUE(announced(self->shm, 1));
	/* No park slice: only a wake-up can end the survivor's wait. */
	live = spawn_waiter(self->shm, 1, -1, 3000000000LL);
	ASSERT_LT(0, live);
	ASSERT_TRUE(announced(self->shm, 2));
	kill(dead, SIGKILL);
	ASSERT_EQ(dead, waitpid(dead, &st, 0));
	wt_publish(self->shm, 0, 1);	/* wakes the survivor */
	ASSERT_EQ(live, waitpid(live, &st, 0));
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));	/* 3: timed out, the wake was lost */
	/* The next publish wakes nobody: its liveness check frees the slot. */
	wt_publish(self->shm, 0, 2);
	EXPECT_EQ(0U, __byteor_ec_waiters(&self->shm->ec[0]));
}

TEST_HARNESS_MAIN
