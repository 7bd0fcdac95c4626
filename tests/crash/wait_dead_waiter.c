// SPDX-License-Identifier: GPL-2.0-only
/*
 * wait_dead_waiter (crash) - a waiter killed at each observable step of
 * the park protocol (slot taken before its bit, announced before the
 * re-check, about to park, woken before leaving, leaving before the slot
 * is freed): a surviving waiter still gets its wake-up (no lost wake-up),
 * and after one liveness check the publisher makes no system call again.
 *
 * "No system call" is checked as in tests/host/wait_dead_waiter.c: the
 * publisher child runs 1000 publishes under a seccomp filter that kills it
 * on any system call but exit.
 */
#include <stdio.h>
#include <stdlib.h>

#include "kselftest_harness.h"
#include "wait_test.h"
#include <byteor/crashpoint.h>

#define PUBLISHES	1000
#define FAR		(1ULL << 40)

static pid_t spawn_waiter(struct wt_shm *s, uint64_t at, long long slice_ns,
			  long long timeout_ns, const char *arm)
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

		if (arm)
			__byteor_crashpoint_arm(arm, 1, "kill");
		if (__byteor_waiter_init_cfg(&w, &c))
			_exit(2);
		ret = __byteor_ec_wait(&s->ec[0], &w, wt_ready_ge, &want,
				       timeout_ns);
		_exit(ret ? 3 : 0);
	}
	return pid;
}

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

static int run_publisher(struct wt_shm *s, uint64_t from)
{
	static const int allow[] = { SYS_exit, SYS_exit_group };
	uint64_t i;

	wt_publish(s, 0, from);		/* may check liveness */
	if (wt_seccomp(allow, 2, 0, SECCOMP_RET_KILL_PROCESS))
		return 3;
	for (i = 1; i <= PUBLISHES; i++)
		wt_publish(s, 0, from + i);
	syscall(SYS_exit_group, 0);
	return 4;
}

FIXTURE(crash) {
	int fd;
	struct wt_shm *shm;
};

FIXTURE_VARIANT(crash) {
	const char *point;
	uint64_t victim_wants;	/* 1: it gets ready and leaves */
};

FIXTURE_VARIANT_ADD(crash, slot_taken) {
	.point = "wait.waiter.slot_taken", .victim_wants = FAR,
};

FIXTURE_VARIANT_ADD(crash, announced) {
	.point = "wait.waiter.announced", .victim_wants = FAR,
};

FIXTURE_VARIANT_ADD(crash, parking) {
	.point = "wait.waiter.parking", .victim_wants = FAR,
};

FIXTURE_VARIANT_ADD(crash, woken) {
	.point = "wait.waiter.woken", .victim_wants = FAR,
};

FIXTURE_VARIANT_ADD(crash, leaving) {
	.point = "wait.waiter.leaving", .victim_wants = 1,
};

FIXTURE_SETUP(crash)
{
	self->shm = wt_shm_create(&self->fd);
	ASSERT_NE(NULL, self->shm);
}

FIXTURE_TEARDOWN(crash)
{
	if (self->shm)
		munmap(self->shm, sizeof(*self->shm));
	if (self->fd > 0)
		close(self->fd);
}

TEST_F(crash, killed_waiter_loses_no_wakeup_and_costs_no_syscall)
{
	struct wt_shm *s = self->shm;
	pid_t live, victim, pub;
	int st;

	/* The survivor has no park slice: only a wake-up ends its wait. */
	live = spawn_waiter(s, 100, -1, 5000000000LL, NULL);
	ASSERT_LT(0, live);
	ASSERT_TRUE(announced(s, 1));
	/* The victim's 20 ms slice takes it through "woken" unprompted. */
	victim = spawn_waiter(s, variant->victim_wants, 20000000LL, -1,
			      variant->point);
	ASSERT_LT(0, victim);
	if (variant->victim_wants == 1) {
		usleep(50000);
		wt_publish(s, 0, 1);
	}
	ASSERT_EQ(victim, waitpid(victim, &st, 0));
	ASSERT_TRUE(WIFSIGNALED(st)) {
		TH_LOG("the victim was not killed at %s", variant->point);
	}
	ASSERT_EQ(SIGKILL, WTERMSIG(st));

	/* No lost wake-up for the survivor. */
	wt_publish(s, 0, 100);
	ASSERT_EQ(live, waitpid(live, &st, 0));
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));	/* 3: timed out, wake-up lost */

	/* One liveness check, then no system call per publish. */
	pub = fork();
	if (pub == 0)
		_exit(run_publisher(s, 101));
	ASSERT_EQ(pub, waitpid(pub, &st, 0));
	ASSERT_TRUE(WIFEXITED(st)) {
		TH_LOG("publisher killed by signal %d after the liveness check",
		       WIFSIGNALED(st) ? WTERMSIG(st) : -1);
	}
	EXPECT_EQ(0, WEXITSTATUS(st));
	EXPECT_EQ(0U, __byteor_ec_waiters(&s->ec[0]));
}

TEST_HARNESS_MAIN
