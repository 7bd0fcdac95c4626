// SPDX-License-Identifier: GPL-2.0-only
/*
 * lanes_park - a consumer parked on a single ring over the kernel backing
 * is woken by a producer in another process, through each parking path:
 * futex(2) on every kernel, io_uring IORING_OP_FUTEX_WAIT where the
 * kernel has it (6.7+; elsewhere the io_uring variants SKIP with the
 * probe's reason, after checking that forcing io_uring is -EOPNOTSUPP).
 * The path is forced once through the attach options and once through
 * BYTEOR_PARK in the environment.  Each round, the producer publishes
 * only once the consumer process is asleep in the kernel (it announced
 * itself as a waiter and its state is S), so the message can only arrive
 * through a wake-up; the consumer's own counters and the shared header
 * must name the forced path.
 */
#include "lanes_test.h"

#define SLOT		64
#define CAP		64
#define ROUNDS		10

struct pk_result {
	__u64 got;
	struct byteor_wait_stats wait;
	__s32 park_path;
};

FIXTURE(pk) {
	struct bt_res res;
	const char *name;
	struct pk_result *out;
};

FIXTURE_VARIANT(pk) {
	int path;		/* BYTEOR_PARK_FUTEX or _IO_URING */
	bool env;		/* forced through BYTEOR_PARK, not the options */
};

FIXTURE_VARIANT_ADD(pk, futex_by_option) {
	.path = BYTEOR_PARK_FUTEX, .env = false,
};

FIXTURE_VARIANT_ADD(pk, futex_by_env) {
	.path = BYTEOR_PARK_FUTEX, .env = true,
};

FIXTURE_VARIANT_ADD(pk, io_uring_by_option) {
	.path = BYTEOR_PARK_IO_URING, .env = false,
};

FIXTURE_VARIANT_ADD(pk, io_uring_by_env) {
	.path = BYTEOR_PARK_IO_URING, .env = true,
};

FIXTURE_SETUP(pk)
{
	struct byteor_geometry g = ln_geom(SLOT, CAP, 1, 1);

	/*
	 * The library reads BYTEOR_PARK once per process, at its first
	 * probe: set it before any library call (each test is a fresh
	 * process, forked by the harness before it touched the library).
	 */
	if (variant->env)
		setenv("BYTEOR_PARK", byteor_park_path_name(variant->path), 1);
	else
		unsetenv("BYTEOR_PARK");
	LN_SETUP_CHECKS();
	self->name = bt_res_name(&self->res, "park");
	ASSERT_EQ(0, ln_create(self->name, BYTEOR_KIND_SINGLE_RING, &g, NULL));
	self->out = ln_shared(&self->res, sizeof(*self->out));
	ASSERT_NE(NULL, self->out);
}

FIXTURE_TEARDOWN(pk)
{
	bt_res_release(&self->res);
}

static struct byteor_attach_options pk_opts(const char *name, int path)
{
	struct byteor_attach_options o = ln_opts(name, 0, LN_TIMEOUT_NS);

	o.wait_strategy = BYTEOR_WAIT_PARK;	/* park at the first empty look */
	o.park_path = path;
	return o;
}

/* The scheduler state letter of process @pid ('S': asleep), or -errno. */
static int pk_state(pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	p = strrchr(buf, ')');	/* the command may hold spaces */
	return p && p[1] == ' ' ? p[2] : -EIO;
}

/* Consumer child: ROUNDS messages, each after a park; report the counters. */
static void pk_consume(const char *name, int path, struct pk_result *res,
		       int ready_fd)
{
	struct byteor_attach_options o = pk_opts(name, path);
	struct byteor_single_ring_snapshot snap;
	struct byteor_single_ring *rx;
	unsigned char buf[SLOT];
	__u64 next = 0;
	const char *why;
	int ret;

	ret = byteor_attach_single_ring(&o, BYTEOR_ROLE_CONSUMER, &rx);
	if (ret)
		LN_DIE(2, "consumer attach: %s", byteor_strerror(ret));
	ln_signal(ready_fd);
	while (next < ROUNDS) {
		ret = byteor_single_ring_recv(rx, buf, sizeof(buf));
		if (ret < 0)
			LN_DIE(3, "recv %llu: %s", (unsigned long long)next,
			       byteor_strerror(ret));
		why = ln_check(buf, (__u32)ret, SLOT, &next, 1);
		if (why)
			LN_DIE(4, "message %llu: %s", (unsigned long long)next, why);
		res->got = next;
	}
	if (byteor_single_ring_snapshot(rx, &snap))
		LN_DIE(5, "snapshot");
	res->wait = snap.wait;
	res->park_path = snap.park_path;
	byteor_single_ring_detach(rx);
	_exit(0);
}

TEST_F_TIMEOUT(pk, parked_consumer_process_is_woken_by_a_producer_process, 50)
{
	int path = variant->env ? BYTEOR_PARK_AUTO : variant->path;
	struct byteor_attach_options o = ln_opts(self->name, 0, LN_TIMEOUT_NS);
	struct byteor_single_ring_snapshot snap;
	struct byteor_single_ring *tx, *rx;
	struct byteor_wait_probe probe;
	unsigned char buf[SLOT];
	long long t0, wake_max = 0;
	int ready[2], i, st;
	pid_t c;

	ASSERT_EQ(0, byteor_wait_probe(&probe));
	TH_LOG("probe: %s, io_uring futex %d (%d), io_uring_disabled %d, membarrier %d",
	       byteor_park_path_name(probe.park_path), probe.io_uring_futex,
	       probe.io_uring_error, probe.io_uring_disabled, probe.membarrier);
	if (variant->env) {
		ASSERT_EQ(variant->path, probe.park_path);
	}
	if (variant->path == BYTEOR_PARK_IO_URING && !probe.io_uring_futex) {
		/* Forcing the path the kernel lacks is refused, not ignored. */
		o = pk_opts(self->name, path);
		ASSERT_EQ(-EOPNOTSUPP, byteor_attach_single_ring(&o, BYTEOR_ROLE_CONSUMER,
								 &rx));
		SKIP(return, "no io_uring FUTEX_WAIT: probe error %d (%s), io_uring_disabled %d",
		     probe.io_uring_error, strerror(-probe.io_uring_error),
		     probe.io_uring_disabled);
	}

	ASSERT_EQ(0, pipe(ready));
	c = ln_fork(&self->res);
	ASSERT_LE(0, c);
	if (!c)
		pk_consume(self->name, path, self->out, ready[1]);
	ASSERT_EQ(1, bt_pipe_get(ready[0], 20000));
	ASSERT_EQ(0, byteor_attach_single_ring(&o, BYTEOR_ROLE_PRODUCER, &tx));

	for (i = 0; i < ROUNDS; i++) {
		/* Asleep: announced as a waiter, and blocked in the kernel. */
		t0 = ln_now_ns();
		for (;;) {
			ASSERT_EQ(0, byteor_single_ring_snapshot(tx, &snap));
			st = pk_state(c);
			if (snap.consumer_waiters >= 1 && st == 'S')
				break;
			ASSERT_GT(10000000000LL, ln_now_ns() - t0)
				TH_LOG("round %d: consumer never parked (waiters %u, state %c)",
				       i, snap.consumer_waiters, st);
			usleep(1000);
		}
		ASSERT_EQ(0, byteor_single_ring_send(tx, buf, ln_fill(buf, 0, i, SLOT)));
		t0 = ln_now_ns();
		while (self->out->got < (__u64)i + 1) {
			ASSERT_GT(10000000000LL, ln_now_ns() - t0)
				TH_LOG("round %d: consumer not woken", i);
			usleep(100);
		}
		if (ln_now_ns() - t0 > wake_max)
			wake_max = ln_now_ns() - t0;
	}
	EXPECT_EQ(0, bt_res_wait(&self->res, c));
	EXPECT_EQ((__u64)ROUNDS, self->out->got);
	/* The consumer's own view: the forced path, and it really parked. */
	EXPECT_EQ((__u32)variant->path, self->out->wait.park_path);
	EXPECT_EQ(variant->path, self->out->park_path);
	EXPECT_LE((__u64)ROUNDS, self->out->wait.parks);
	/*
	 * Each round ends a park by a wake-up, unless a park slice ended
	 * at the very moment: most must be wake-ups.
	 */
	EXPECT_LE((__u64)ROUNDS / 2, self->out->wait.wakeups);
	/* Every process sees the path in the shared header. */
	ASSERT_EQ(0, byteor_single_ring_snapshot(tx, &snap));
	EXPECT_EQ((__u32)variant->path, snap.consumer_park_path);
	EXPECT_LE((__u64)ROUNDS, snap.consumer_parks);
	TH_LOG("%s: %d rounds, parks %llu, wakeups %llu, slices %llu, slowest wake %.2f ms",
	       byteor_park_path_name(variant->path), ROUNDS,
	       (unsigned long long)self->out->wait.parks,
	       (unsigned long long)self->out->wait.wakeups,
	       (unsigned long long)self->out->wait.slices, wake_max / 1e6);
	byteor_single_ring_detach(tx);
	close(ready[0]);
	close(ready[1]);
	EXPECT_EQ(0, byteor_region_destroy(self->name, BYTEOR_BACKING_KERNEL, NULL));
}

TEST_HARNESS_MAIN
