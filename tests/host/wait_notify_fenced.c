// SPDX-License-Identifier: GPL-2.0-only
/*
 * wait_notify_fenced - BYTEOR_NOTIFY=fenced keeps this process out of
 * membarrier(GLOBAL_EXPEDITED) (no IPIs at its CPUs): its notifiers fence,
 * its probe says so, and its publishes still make no system call while
 * nobody is parked.  The variable is set before main(), as a user would
 * set it in the environment of a busy-polling process.
 */
#include <stdio.h>
#include <stdlib.h>

#include "kselftest_harness.h"
#include "wait_test.h"

__attribute__((constructor)) static void fenced_env(void)
{
	setenv("BYTEOR_NOTIFY", "fenced", 1);
}

TEST(fenced_process_does_not_register_for_membarrier)
{
	struct byteor_wait_probe p;

	ASSERT_EQ(0, __byteor_notifier_init());
	ASSERT_EQ(0, byteor_wait_probe(&p));
	EXPECT_EQ(0, p.membarrier);
	EXPECT_EQ(1, atomic_load(&__byteor_notify_full_fence));
}

TEST(fenced_publishes_make_no_syscall_while_nobody_is_parked)
{
	static const int allow[] = { SYS_exit, SYS_exit_group };
	struct wt_shm *s;
	int fd, st;
	pid_t pid;

	s = wt_shm_create(&fd);
	ASSERT_NE(NULL, s);
	ASSERT_EQ(0, __byteor_notifier_init());
	pid = fork();
	if (pid == 0) {
		int i;

		if (wt_seccomp(allow, 2, 0, SECCOMP_RET_KILL_PROCESS))
			_exit(3);
		for (i = 1; i <= 100000; i++)
			wt_publish(s, 0, (uint64_t)i);
		syscall(SYS_exit_group, 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));
	EXPECT_EQ(100000ULL, atomic_load(&s->word[0].v));
	munmap(s, sizeof(*s));
	close(fd);
}

TEST_HARNESS_MAIN
