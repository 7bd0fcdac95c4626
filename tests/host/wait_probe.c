// SPDX-License-Identifier: GPL-2.0-only
/*
 * wait_probe - the parking path is chosen by probing and can be forced:
 * AUTO picks io_uring where its FUTEX_WAIT works, BYTEOR_PARK=futex|io_uring
 * and the option override it, a seccomp filter or
 * /proc/sys/kernel/io_uring_disabled that forbids io_uring makes AUTO fall
 * back to futex(2) (and an explicit io_uring request fail), and the
 * /dev/cpu_dma_latency hold is taken and released.
 *
 * Each TEST runs in its own forked process (the harness forks), so the
 * once-per-process probe and environment reading start fresh in each.
 */
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>

#include "kselftest_harness.h"
#include "wait_test.h"

#define IO_URING_DISABLED	"/proc/sys/kernel/io_uring_disabled"

static int read_int_file(const char *path)
{
	char buf[32];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return atoi(buf);
}

static int write_int_file(const char *path, int v)
{
	char buf[32];
	int fd = open(path, O_WRONLY | O_CLOEXEC), len, ok;

	if (fd < 0)
		return -errno;
	len = snprintf(buf, sizeof(buf), "%d\n", v);
	ok = write(fd, buf, (size_t)len) == len;
	close(fd);
	return ok ? 0 : -EIO;
}

/* Does a waiter with these arguments come up, and on which path? */
static int waiter_path(int strategy, int path)
{
	struct __byteor_waiter w;
	int ret = __byteor_waiter_init(&w, strategy, path);

	if (ret)
		return ret;
	ret = w.path;
	__byteor_waiter_fini(&w);
	return ret;
}

TEST(auto_picks_io_uring_exactly_where_the_probe_succeeds)
{
	struct byteor_wait_probe p;

	ASSERT_EQ(0, byteor_wait_probe(&p));
	EXPECT_EQ(p.io_uring_futex ? BYTEOR_PARK_IO_URING : BYTEOR_PARK_FUTEX,
		  p.park_path);
	EXPECT_EQ(p.park_path, waiter_path(BYTEOR_WAIT_PARK, BYTEOR_PARK_AUTO));
	EXPECT_EQ(BYTEOR_PARK_FUTEX,
		  waiter_path(BYTEOR_WAIT_PARK, BYTEOR_PARK_FUTEX));
	EXPECT_EQ(p.io_uring_futex ? BYTEOR_PARK_IO_URING : -EOPNOTSUPP,
		  waiter_path(BYTEOR_WAIT_PARK, BYTEOR_PARK_IO_URING));
	EXPECT_EQ(read_int_file(IO_URING_DISABLED), p.io_uring_disabled);
	EXPECT_EQ(p.io_uring_futex ? 0 : 1, p.io_uring_error != 0);
	EXPECT_EQ(-EINVAL, byteor_wait_probe(NULL));
	TH_LOG("probe: path %s, io_uring futex %d (%d), disabled %d, "
	       "futex_waitv %d, membarrier %d",
	       byteor_park_path_name(p.park_path), p.io_uring_futex,
	       p.io_uring_error, p.io_uring_disabled, p.futex_waitv,
	       p.membarrier);
}

TEST(env_BYTEOR_PARK_futex_is_honoured)
{
	struct byteor_wait_probe p;

	ASSERT_EQ(0, setenv("BYTEOR_PARK", "futex", 1));
	ASSERT_EQ(0, byteor_wait_probe(&p));
	EXPECT_EQ(BYTEOR_PARK_FUTEX, p.park_path);
	EXPECT_EQ(BYTEOR_PARK_FUTEX,
		  waiter_path(BYTEOR_WAIT_AUTO, BYTEOR_PARK_AUTO));
	/* An explicit option wins over the environment. */
	if (p.io_uring_futex)
		EXPECT_EQ(BYTEOR_PARK_IO_URING,
			  waiter_path(BYTEOR_WAIT_AUTO, BYTEOR_PARK_IO_URING));
}

TEST(env_BYTEOR_PARK_io_uring_is_honoured_or_refused)
{
	struct byteor_wait_probe p;

	ASSERT_EQ(0, setenv("BYTEOR_PARK", "io_uring", 1));
	ASSERT_EQ(0, byteor_wait_probe(&p));
	EXPECT_EQ(BYTEOR_PARK_IO_URING, p.park_path);
	EXPECT_EQ(p.io_uring_futex ? BYTEOR_PARK_IO_URING : -EOPNOTSUPP,
		  waiter_path(BYTEOR_WAIT_AUTO, BYTEOR_PARK_AUTO));
}

TEST(malformed_environment_is_rejected)
{
	ASSERT_EQ(0, setenv("BYTEOR_PARK", "carrier-pigeon", 1));
	ASSERT_EQ(0, setenv("BYTEOR_WAIT", "spin", 1));
	EXPECT_EQ(-EINVAL, waiter_path(BYTEOR_WAIT_AUTO, BYTEOR_PARK_AUTO));
	/* Explicit options do not read the broken variable. */
	EXPECT_EQ(BYTEOR_PARK_FUTEX,
		  waiter_path(BYTEOR_WAIT_AUTO, BYTEOR_PARK_FUTEX));
}

TEST(env_BYTEOR_WAIT_selects_the_strategy)
{
	struct __byteor_waiter w;

	ASSERT_EQ(0, setenv("BYTEOR_WAIT", "yield", 1));
	ASSERT_EQ(0, __byteor_waiter_init(&w, BYTEOR_WAIT_AUTO,
					  BYTEOR_PARK_FUTEX));
	EXPECT_EQ(BYTEOR_WAIT_YIELD, w.strategy);
	__byteor_waiter_fini(&w);
	ASSERT_EQ(0, __byteor_waiter_init(&w, BYTEOR_WAIT_PARK,
					  BYTEOR_PARK_FUTEX));
	EXPECT_EQ(BYTEOR_WAIT_PARK, w.strategy);
	__byteor_waiter_fini(&w);
}

TEST(bad_arguments_are_rejected)
{
	EXPECT_EQ(-EINVAL, waiter_path(BYTEOR_WAIT_STRATEGY_MAX + 1,
				       BYTEOR_PARK_AUTO));
	EXPECT_EQ(-EINVAL, waiter_path(BYTEOR_WAIT_PARK | (1 << 20),
				       BYTEOR_PARK_AUTO));
	EXPECT_EQ(-EINVAL, waiter_path(-1, BYTEOR_PARK_AUTO));
	EXPECT_EQ(-EINVAL, waiter_path(BYTEOR_WAIT_PARK, BYTEOR_PARK_MAX + 1));
	EXPECT_EQ(-EINVAL, waiter_path(BYTEOR_WAIT_PARK, -1));
	EXPECT_STREQ("unknown", byteor_park_path_name(7));
	EXPECT_STREQ("futex", byteor_park_path_name(BYTEOR_PARK_FUTEX));
	EXPECT_STREQ("park", byteor_wait_strategy_name(BYTEOR_WAIT_PARK |
						       BYTEOR_WAIT_F_CPU_DMA_LATENCY));
}

TEST(io_uring_blocked_by_seccomp_falls_back_to_futex)
{
	static const int deny[] = { __NR_io_uring_setup };
	struct byteor_wait_probe p;
	struct __byteor_waiter w;
	struct __byteor_ec ec = { 0 };
	_Atomic uint64_t word = 0;
	struct wt_want want = { .word = &word, .at_least = 1 };

	ASSERT_EQ(0, wt_seccomp(deny, 1, 1, SECCOMP_RET_ERRNO | EPERM));
	ASSERT_EQ(0, byteor_wait_probe(&p));
	EXPECT_EQ(0, p.io_uring_futex);
	EXPECT_EQ(-EPERM, p.io_uring_error);
	EXPECT_EQ(BYTEOR_PARK_FUTEX, p.park_path);
	EXPECT_EQ(BYTEOR_PARK_FUTEX,
		  waiter_path(BYTEOR_WAIT_PARK, BYTEOR_PARK_AUTO));
	EXPECT_EQ(-EOPNOTSUPP,
		  waiter_path(BYTEOR_WAIT_PARK, BYTEOR_PARK_IO_URING));
	/* The fallback parks for real. */
	ASSERT_EQ(0, __byteor_waiter_init(&w, BYTEOR_WAIT_PARK,
					  BYTEOR_PARK_AUTO));
	EXPECT_EQ(-ETIMEDOUT, __byteor_ec_wait(&ec, &w, wt_ready_ge, &want,
					       20 * 1000000LL));
	EXPECT_LE(1ULL, w.st.parks);
	__byteor_waiter_fini(&w);
}

/*
 * The sysctl is global: other programs on the host that probe while it is
 * set fall back to futex(2), which is transparent to them.  Keep the window
 * short and always restore it (teardown runs after a failed assertion).
 */
FIXTURE(io_uring_sysctl) {
	int orig;
};

FIXTURE_SETUP(io_uring_sysctl)
{
	struct byteor_wait_probe p;

	self->orig = read_int_file(IO_URING_DISABLED);
	if (self->orig < 0)
		SKIP(return, "%s not present (kernel < 6.6)", IO_URING_DISABLED);
	if (geteuid() != 0 || access(IO_URING_DISABLED, W_OK))
		SKIP(return, "%s not writable (need root)", IO_URING_DISABLED);
	ASSERT_EQ(0, __byteor_wait_probe_fresh(&p));
	if (!p.io_uring_futex)
		SKIP(return, "io_uring FUTEX_WAIT unavailable (%d)",
		     p.io_uring_error);
}

FIXTURE_TEARDOWN(io_uring_sysctl)
{
	if (self->orig >= 0)
		write_int_file(IO_URING_DISABLED, self->orig);
}

static int drop_cap_sys_admin(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -errno;
	d[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective &= ~CAP_TO_MASK(CAP_SYS_ADMIN);
	d[CAP_TO_INDEX(CAP_SYS_ADMIN)].permitted &= ~CAP_TO_MASK(CAP_SYS_ADMIN);
	if (syscall(SYS_capset, &h, d))
		return -errno;
	return 0;
}

TEST_F(io_uring_sysctl, io_uring_disabled_is_honoured)
{
	struct byteor_wait_probe p2, p1;
	int status;
	pid_t pid;

	/* 2: nobody may create rings. */
	ASSERT_EQ(0, write_int_file(IO_URING_DISABLED, 2));
	ASSERT_EQ(0, __byteor_wait_probe_fresh(&p2));
	/* 1: only CAP_SYS_ADMIN (or io_uring_group); we are root. */
	ASSERT_EQ(0, write_int_file(IO_URING_DISABLED, 1));
	ASSERT_EQ(0, __byteor_wait_probe_fresh(&p1));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct byteor_wait_probe q;

		if (drop_cap_sys_admin() || __byteor_wait_probe_fresh(&q))
			_exit(2);
		_exit(q.io_uring_futex ? 1 : (q.io_uring_error == -EPERM ?
					      0 : 3));
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, write_int_file(IO_URING_DISABLED, self->orig));

	EXPECT_EQ(2, p2.io_uring_disabled);
	EXPECT_EQ(0, p2.io_uring_futex);
	EXPECT_EQ(-EPERM, p2.io_uring_error);
	EXPECT_EQ(BYTEOR_PARK_FUTEX, p2.park_path);

	EXPECT_EQ(1, p1.io_uring_disabled);
	if (read_int_file("/proc/sys/kernel/io_uring_group") == -1) {
		EXPECT_EQ(1, p1.io_uring_futex);
		EXPECT_EQ(BYTEOR_PARK_IO_URING, p1.park_path);
		ASSERT_TRUE(WIFEXITED(status));
		/* 0: refused with -EPERM without CAP_SYS_ADMIN */
		EXPECT_EQ(0, WEXITSTATUS(status));
	}
}

TEST(cpu_dma_latency_is_held_while_the_waiter_lives)
{
	struct __byteor_waiter w;
	int32_t during = -1, after = -1;
	int fd;

	ASSERT_EQ(0, __byteor_waiter_init(&w, BYTEOR_WAIT_PARK |
					  BYTEOR_WAIT_F_CPU_DMA_LATENCY,
					  BYTEOR_PARK_FUTEX));
	fd = open("/dev/cpu_dma_latency", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || !(w.st.flags & BYTEOR_WAIT_STATS_F_DMA_LATENCY)) {
		/* Best effort: no device or no permission, not an error. */
		EXPECT_EQ(0U, w.st.flags & BYTEOR_WAIT_STATS_F_DMA_LATENCY);
		__byteor_waiter_fini(&w);
		if (fd >= 0)
			close(fd);
		SKIP(return, "/dev/cpu_dma_latency not usable here");
	}
	ASSERT_EQ(4, read(fd, &during, 4));
	close(fd);
	__byteor_waiter_fini(&w);
	fd = open("/dev/cpu_dma_latency", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(4, read(fd, &after, 4));
	close(fd);
	EXPECT_EQ(0, during);
	/* Released (unless another process holds a request of 0 too). */
	EXPECT_LT(0, after);
}

TEST_HARNESS_MAIN
