// SPDX-License-Identifier: GPL-2.0-only
/*
 * crashpoint_self - the crash points themselves (byteor/crashpoint.h), so a
 * recovery test that "passes" because its point never fired cannot hide:
 * an armed point kills on exactly its Nth hit, a stop point stops and goes
 * on after SIGCONT, other names and unarmed processes run through, and the
 * environment arms a child as the recovery tests arm their roles.
 */
#include "crash_env.h"
#include <byteor/crashpoint.h>

/* Hit "t.point" @hits times in a child armed as given; its wait status. */
static int run_child(const char *arm, unsigned long nth, const char *mode,
		     int hits, int use_env)
{
	pid_t pid = fork();
	int st, i;

	if (pid < 0)
		return -1;
	if (!pid) {
		if (use_env) {
			char n[32];

			snprintf(n, sizeof(n), "%lu", nth);
			setenv("BYTEOR_CRASH_AT", arm, 1);
			setenv("BYTEOR_CRASH_HIT", n, 1);
			setenv("BYTEOR_CRASH_MODE", mode, 1);
		} else {
			__byteor_crashpoint_arm(arm, nth, mode);
		}
		for (i = 0; i < hits; i++) {
			BYTEOR_CRASHPOINT("t.other");
			BYTEOR_CRASHPOINT("t.point");
		}
		_exit(__byteor_crashpoint_hits("t.point") == (unsigned long)hits ?
		      0 : 3);
	}
	if (waitpid(pid, &st, WUNTRACED) != pid)
		return -1;
	if (WIFSTOPPED(st)) {
		kill(pid, SIGCONT);
		if (waitpid(pid, &st, 0) != pid)
			return -1;
		return 0x10000 | st;	/* stopped once, then this */
	}
	return st;
}

TEST(kill_on_nth_hit)
{
	int st = run_child("t.point", 3, "kill", 5, 0);

	ASSERT_TRUE(WIFSIGNALED(st));
	EXPECT_EQ(SIGKILL, WTERMSIG(st));
	/* Fewer hits than armed: runs through, every hit counted. */
	st = run_child("t.point", 6, "kill", 5, 0);
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));
}

TEST(env_arms_a_child)
{
	int st = run_child("t.point", 1, "kill", 2, 1);

	ASSERT_TRUE(WIFSIGNALED(st));
	EXPECT_EQ(SIGKILL, WTERMSIG(st));
}

TEST(stop_then_continue)
{
	int st = run_child("t.point", 2, "stop", 4, 1);

	ASSERT_TRUE(st & 0x10000);
	st &= 0xffff;
	ASSERT_TRUE(WIFEXITED(st));
	/* Disarmed after stopping: the later hits are not counted. */
	EXPECT_EQ(3, WEXITSTATUS(st));
}

TEST(other_names_run_through)
{
	int st = run_child("t.nowhere", 1, "kill", 4, 0);

	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(3, WEXITSTATUS(st));	/* t.point not armed: 0 hits */
	st = run_child("", 1, "kill", 4, 1);
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(3, WEXITSTATUS(st));
}

TEST_HARNESS_MAIN
