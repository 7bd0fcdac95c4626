// SPDX-License-Identifier: GPL-2.0-only
/*
 * wait_park - what a parked waiter costs and when it comes back, for each
 * parking path: CPU time while idle, timeouts, the non-blocking check,
 * waiting on several lanes at once (FUTEX_WAITV), signals, and errors
 * reported by the readiness check (a dead peer, noticed by the park slice).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "kselftest_harness.h"
#include "wait_test.h"

#define MS	1000000LL

FIXTURE(park) {
	int fd;
	struct wt_shm *shm;
};

FIXTURE_VARIANT(park) {
	int path;
};

FIXTURE_VARIANT_ADD(park, io_uring) {
	.path = BYTEOR_PARK_IO_URING,
};

FIXTURE_VARIANT_ADD(park, futex) {
	.path = BYTEOR_PARK_FUTEX,
};

FIXTURE_SETUP(park)
{
	struct byteor_wait_probe p;

	ASSERT_EQ(0, byteor_wait_probe(&p));
	if (variant->path == BYTEOR_PARK_IO_URING && !p.io_uring_futex)
		SKIP(return, "io_uring FUTEX_WAIT unavailable (%d)",
		     p.io_uring_error);
	self->shm = wt_shm_create(&self->fd);
	ASSERT_NE(NULL, self->shm);
}

FIXTURE_TEARDOWN(park)
{
	if (self->shm)
		munmap(self->shm, sizeof(*self->shm));
	if (self->fd > 0)
		close(self->fd);
}

static int init_waiter(struct __byteor_waiter *w, int strategy, int path,
		       long long slice)
{
	struct __byteor_wait_config c = {
		.strategy = strategy,
		.park_path = path,
		.park_slice_ns = slice,
	};

	return __byteor_waiter_init_cfg(w, &c);
}

/* A waiting thread and what it saw. */
struct waiter_job {
	struct wt_shm *shm;
	int path, strategy, nlanes;
	long long slice, timeout;
	uint64_t at_least;
	int ret;
	long long cpu_ns, wall_ns;
	int fired_lane;
	struct byteor_wait_stats st;
};

/* ready() over several lanes: any published word reached at_least. */
struct any_want {
	struct wt_shm *shm;
	int n;
	uint64_t at_least;
	int fired;
};

static int ready_any(void *arg)
{
	struct any_want *a = arg;
	int i;

	for (i = 0; i < a->n; i++)
		/* Acquire: pairs with wt_publish()'s release store. */
		if (atomic_load_explicit(&a->shm->word[i].v,
					 memory_order_acquire) >= a->at_least) {
			a->fired = i;
			return 1;
		}
	return 0;
}

static void *waiter_main(void *arg)
{
	struct waiter_job *j = arg;
	struct __byteor_ec *ecs[WT_LANES];
	struct __byteor_waiter w;
	struct any_want want = {
		.shm = j->shm, .n = j->nlanes, .at_least = j->at_least,
		.fired = -1,
	};
	long long c0, t0;
	int i;

	j->ret = init_waiter(&w, j->strategy, j->path, j->slice);
	if (j->ret)
		return NULL;
	for (i = 0; i < j->nlanes; i++)
		ecs[i] = &j->shm->ec[i];
	c0 = wt_thread_cpu_ns();
	t0 = wt_now_ns();
	if (j->nlanes == 1)
		j->ret = __byteor_ec_wait(ecs[0], &w, ready_any, &want,
					  j->timeout);
	else
		j->ret = __byteor_ec_wait_many(ecs, (unsigned int)j->nlanes, &w,
					       ready_any, &want, j->timeout);
	j->wall_ns = wt_now_ns() - t0;
	j->cpu_ns = wt_thread_cpu_ns() - c0;
	j->fired_lane = want.fired;
	__byteor_waiter_stats(&w, &j->st);
	__byteor_waiter_fini(&w);
	return NULL;
}

TEST_F(park, parked_consumer_uses_no_cpu_while_idle)
{
	struct waiter_job j = {
		.shm = self->shm, .path = variant->path,
		.strategy = BYTEOR_WAIT_AUTO,	/* spins first, then parks */
		.nlanes = 1, .timeout = -1, .at_least = 1,
	};
	pthread_t t;

	ASSERT_EQ(0, pthread_create(&t, NULL, waiter_main, &j));
	usleep(1000 * 1000);
	wt_publish(self->shm, 0, 1);
	ASSERT_EQ(0, pthread_join(t, NULL));
	ASSERT_EQ(0, j.ret);
	EXPECT_LE(900 * MS, j.wall_ns);	/* it started after the sleep did */
	/*
	 * One spin stage, then parks that each end by a slice or the wake:
	 * the counters say so exactly.  The CPU bound only catches a spin (a
	 * spinning waiter burns the whole second); it is loose on purpose, a
	 * loaded CI host multiplies the cost of each park several-fold.
	 */
	EXPECT_LE(j.st.spins, 64ULL + 1024ULL);
	EXPECT_LE(j.st.yields, 8ULL);
	EXPECT_LE(1ULL, j.st.parks);
	EXPECT_LE(j.st.parks, 16ULL);
	EXPECT_LE(j.st.parks, j.st.slices + j.st.wakeups + 1);
	EXPECT_GT(100 * MS, j.cpu_ns) {
		TH_LOG("waiter burnt %.3f ms of CPU in %.3f s", j.cpu_ns / 1e6,
		       j.wall_ns / 1e9);
	}
	EXPECT_EQ((uint32_t)variant->path, j.st.park_path);
	TH_LOG("idle 1 s: %.3f ms CPU, %llu parks, %llu slices", j.cpu_ns / 1e6,
	       (unsigned long long)j.st.parks,
	       (unsigned long long)j.st.slices);
}

TEST_F(park, timeout_returns_etimedout_in_time)
{
	static const int strategies[] = {
		BYTEOR_WAIT_PARK, BYTEOR_WAIT_AUTO, BYTEOR_WAIT_SPIN,
		BYTEOR_WAIT_YIELD,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(strategies); i++) {
		struct waiter_job j = {
			.shm = self->shm, .path = variant->path,
			.strategy = strategies[i], .nlanes = 1,
			.timeout = 50 * MS, .at_least = 1, .slice = -1,
		};

		waiter_main(&j);
		EXPECT_EQ(-ETIMEDOUT, j.ret);
		EXPECT_LE(50 * MS, j.wall_ns);
		/* Loose: a loaded host delays a thread by tens of ms. */
		EXPECT_GT(1000 * MS, j.wall_ns) {
			TH_LOG("%s: timed out after %.1f ms",
			       byteor_wait_strategy_name(strategies[i]),
			       j.wall_ns / 1e6);
		}
		EXPECT_EQ(1ULL, j.st.timeouts);
	}
}

TEST_F(park, park_slices_do_not_extend_the_timeout)
{
	struct waiter_job j = {
		.shm = self->shm, .path = variant->path,
		.strategy = BYTEOR_WAIT_PARK, .nlanes = 1,
		.timeout = 55 * MS, .at_least = 1, .slice = 10 * MS,
	};

	waiter_main(&j);
	EXPECT_EQ(-ETIMEDOUT, j.ret);
	EXPECT_LE(55 * MS, j.wall_ns);
	/*
	 * A slice that restarted the timeout would never time out (each
	 * slice is shorter than it): a bound far above 55 ms catches that
	 * and survives a loaded host, where a 10 ms park may take 30.
	 */
	EXPECT_GT(2000 * MS, j.wall_ns);
	EXPECT_LE(1ULL, j.st.slices);
	EXPECT_EQ(1ULL, j.st.timeouts);
}

TEST_F(park, zero_timeout_is_one_check)
{
	struct waiter_job j = {
		.shm = self->shm, .path = variant->path,
		.strategy = BYTEOR_WAIT_PARK, .nlanes = 1,
		.timeout = 0, .at_least = 1,
	};

	waiter_main(&j);
	EXPECT_EQ(-EAGAIN, j.ret);
	EXPECT_EQ(0ULL, j.st.parks);
	wt_publish(self->shm, 0, 1);
	waiter_main(&j);
	EXPECT_EQ(0, j.ret);
	EXPECT_EQ(0ULL, j.st.parks);
}

/* Poll (up to 5 s) until a waiter announced itself on lanes 0..n-1. */
static bool wait_announced(struct wt_shm *s, int n)
{
	long long end = wt_now_ns() + 5000 * MS;
	int i;

	while (wt_now_ns() < end) {
		for (i = 0; i < n; i++)
			if (!atomic_load(&s->ec[i].waiters))
				break;
		if (i == n)
			return true;
		usleep(1000);
	}
	return false;
}

TEST_F(park, wait_many_wakes_on_any_lane)
{
	int lane;

	for (lane = 0; lane < WT_LANES; lane++) {
		struct waiter_job j = {
			.shm = self->shm, .path = variant->path,
			.strategy = BYTEOR_WAIT_PARK, .nlanes = WT_LANES,
			.timeout = 5000 * MS, .at_least = (uint64_t)lane + 1,
			.slice = -1,	/* only a wake can end the park */
		};
		pthread_t t;

		ASSERT_EQ(0, pthread_create(&t, NULL, waiter_main, &j));
		/* Let it announce itself on every lane (and then park). */
		ASSERT_TRUE(wait_announced(self->shm, WT_LANES));
		usleep(5 * 1000);
		wt_publish(self->shm, lane, (uint64_t)lane + 1);
		ASSERT_EQ(0, pthread_join(t, NULL));
		EXPECT_EQ(0, j.ret);
		EXPECT_EQ(lane, j.fired_lane);
		EXPECT_GT(1000 * MS, j.wall_ns);
		EXPECT_LE(1ULL, j.st.parks);
		EXPECT_LE(1ULL, j.st.wakeups);
	}
	/* Only the notified lanes' words moved: one bump each. */
	for (lane = 0; lane < WT_LANES; lane++)
		EXPECT_EQ(1U, atomic_load(&self->shm->ec[lane].seq));
}

TEST_F(park, wait_many_rejects_bad_counts)
{
	struct __byteor_ec *ecs[1] = { &self->shm->ec[0] };
	struct __byteor_waiter w;
	struct any_want want = { .shm = self->shm, .n = 1, .at_least = 1 };

	ASSERT_EQ(0, init_waiter(&w, BYTEOR_WAIT_PARK, variant->path, 0));
	EXPECT_EQ(-EINVAL, __byteor_ec_wait_many(ecs, 0, &w, ready_any, &want,
						 0));
	EXPECT_EQ(-EINVAL, __byteor_ec_wait_many(ecs,
						 __BYTEOR_EC_WAIT_MANY_MAX + 1,
						 &w, ready_any, &want, 0));
	__byteor_waiter_fini(&w);
}

TEST_F(park, resumed_wait_parks_without_spinning)
{
	struct __byteor_waiter w;
	_Atomic uint64_t word = 0;
	struct wt_want want = { .word = &word, .at_least = 1 };
	struct __byteor_ec *ec = &self->shm->ec[0];
	long long c0, cpu;

	ASSERT_EQ(0, init_waiter(&w, BYTEOR_WAIT_AUTO, variant->path, -1));
	/* A plain wait spins first. */
	EXPECT_EQ(-ETIMEDOUT, __byteor_ec_wait(ec, &w, wt_ready_ge, &want,
					       5 * MS));
	EXPECT_LT(0ULL, w.st.spins);
	w.st.spins = 0;
	w.st.yields = 0;
	w.st.parks = 0;
	c0 = wt_thread_cpu_ns();
	EXPECT_EQ(-ETIMEDOUT,
		  __byteor_ec_wait_ex(ec, &w, wt_ready_ge, &want, 5 * MS,
				      __BYTEOR_EC_WAIT_F_RESUME));
	cpu = wt_thread_cpu_ns() - c0;
	EXPECT_EQ(0ULL, w.st.spins);
	EXPECT_EQ(0ULL, w.st.yields);
	EXPECT_LE(1ULL, w.st.parks);
	TH_LOG("resumed 5 ms wait: %.1f us CPU", cpu / 1e3);
	/* Readiness is still checked first. */
	atomic_store(&word, 1);
	EXPECT_EQ(0, __byteor_ec_wait_ex(ec, &w, wt_ready_ge, &want, 5 * MS,
					 __BYTEOR_EC_WAIT_F_RESUME));
	EXPECT_EQ(-EINVAL, __byteor_ec_wait_ex(ec, &w, wt_ready_ge, &want, 0,
					       1U << 7));
	__byteor_waiter_fini(&w);
}

TEST_F(park, waiter_inherited_through_fork_does_not_share_the_ring)
{
	struct __byteor_waiter w;
	_Atomic uint64_t *word = &self->shm->word[0].v;
	struct wt_want want = { .word = word, .at_least = 1 };
	struct __byteor_ec *ec = &self->shm->ec[0];
	int status;
	pid_t pid;

	ASSERT_EQ(0, init_waiter(&w, BYTEOR_WAIT_PARK, variant->path, -1));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* Parks (on futex(2) now), and a publish still wakes it. */
		int ret = __byteor_ec_wait(ec, &w, wt_ready_ge, &want,
					   5000 * MS);

		_exit(ret ? 1 : (w.path == BYTEOR_PARK_FUTEX ? 0 : 2));
	}
	/* Publish once the child has announced itself (it then parks). */
	EXPECT_TRUE(wait_announced(self->shm, 1));
	usleep(5 * 1000);
	wt_publish(self->shm, 0, 1);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* The parent's waiter keeps its own path and still works. */
	EXPECT_EQ(variant->path, w.path);
	want.at_least = 2;
	EXPECT_EQ(-ETIMEDOUT, __byteor_ec_wait(ec, &w, wt_ready_ge, &want,
					       10 * MS));
	EXPECT_LE(1ULL, w.st.parks);
	__byteor_waiter_fini(&w);
}

static void on_usr1(int sig)
{
	(void)sig;
}

TEST_F(park, signals_do_not_end_a_park_early)
{
	struct sigaction sa = { .sa_handler = on_usr1 };	/* no SA_RESTART */
	struct waiter_job j = {
		.shm = self->shm, .path = variant->path,
		.strategy = BYTEOR_WAIT_PARK, .nlanes = 1,
		.timeout = 300 * MS, .at_least = 1, .slice = -1,
	};
	pthread_t t;
	int i;

	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	ASSERT_EQ(0, pthread_create(&t, NULL, waiter_main, &j));
	for (i = 0; i < 20; i++) {
		usleep(10 * 1000);
		pthread_kill(t, SIGUSR1);
	}
	ASSERT_EQ(0, pthread_join(t, NULL));
	EXPECT_EQ(-ETIMEDOUT, j.ret);
	EXPECT_LE(300 * MS, j.wall_ns);

	/* And a publish during a signal storm still ends the wait. */
	j.timeout = 5000 * MS;
	ASSERT_EQ(0, pthread_create(&t, NULL, waiter_main, &j));
	for (i = 0; i < 10; i++) {
		usleep(5 * 1000);
		pthread_kill(t, SIGUSR1);
	}
	wt_publish(self->shm, 0, 1);
	ASSERT_EQ(0, pthread_join(t, NULL));
	EXPECT_EQ(0, j.ret);
	EXPECT_GT(1000 * MS, j.wall_ns);
}

/* ready() of a lane whose producer died: it never notifies. */
struct dead_peer {
	_Atomic int dead;
};

static int ready_or_dead(void *arg)
{
	struct dead_peer *d = arg;

	return atomic_load(&d->dead) ? -EPIPE : 0;
}

struct dead_job {
	struct wt_shm *shm;
	int path;
	struct dead_peer d;
	int ret;
	long long wall_ns;
};

static void *dead_main(void *arg)
{
	struct dead_job *j = arg;
	struct __byteor_waiter w;
	long long t0;

	j->ret = init_waiter(&w, BYTEOR_WAIT_PARK, j->path, 20 * MS);
	if (j->ret)
		return NULL;
	t0 = wt_now_ns();
	j->ret = __byteor_ec_wait(&j->shm->ec[0], &w, ready_or_dead, &j->d,
				  -1);
	j->wall_ns = wt_now_ns() - t0;
	__byteor_waiter_fini(&w);
	return NULL;
}

TEST_F(park, dead_peer_is_noticed_within_a_park_slice)
{
	struct dead_job j = { .shm = self->shm, .path = variant->path };
	pthread_t t;

	ASSERT_EQ(0, pthread_create(&t, NULL, dead_main, &j));
	usleep(50 * 1000);
	atomic_store(&j.d.dead, 1);	/* no notify: the peer is gone */
	ASSERT_EQ(0, pthread_join(t, NULL));
	EXPECT_EQ(-EPIPE, j.ret);
	EXPECT_GT(500 * MS, j.wall_ns);
	/* The waiter left: the waiter word is back to zero. */
	EXPECT_EQ(0U, atomic_load(&self->shm->ec[0].waiters));
}

TEST(spin_and_yield_strategies_see_a_publish)
{
	static const int strategies[] = {
		BYTEOR_WAIT_SPIN, BYTEOR_WAIT_YIELD, BYTEOR_WAIT_AUTO,
	};
	unsigned int i;
	int fd;
	struct wt_shm *shm = wt_shm_create(&fd);

	ASSERT_NE(NULL, shm);
	for (i = 0; i < ARRAY_SIZE(strategies); i++) {
		struct waiter_job j = {
			.shm = shm, .path = BYTEOR_PARK_FUTEX,
			.strategy = strategies[i], .nlanes = 1,
			.timeout = 5000 * MS, .at_least = i + 1,
		};
		pthread_t t;

		ASSERT_EQ(0, pthread_create(&t, NULL, waiter_main, &j));
		usleep(20 * 1000);
		wt_publish(shm, 0, i + 1);
		ASSERT_EQ(0, pthread_join(t, NULL));
		EXPECT_EQ(0, j.ret);
		EXPECT_GT(1000 * MS, j.wall_ns);
		if (strategies[i] != BYTEOR_WAIT_AUTO)
			EXPECT_EQ(0ULL, j.st.parks);
		if (strategies[i] == BYTEOR_WAIT_SPIN)
			EXPECT_EQ(0ULL, j.st.yields);
		if (strategies[i] == BYTEOR_WAIT_YIELD)
			EXPECT_LT(0ULL, j.st.yields);
	}
	munmap(shm, sizeof(*shm));
	close(fd);
}

TEST_HARNESS_MAIN
