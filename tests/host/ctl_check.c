// SPDX-License-Identifier: GPL-2.0-only
/*
 * ctl_check - `byteorctl check` against real lanes: a producer and a
 * consumer in child processes on a single ring (userspace backing, a
 * private directory).  A SIGSTOPped consumer with messages waiting is
 * CRITICAL with a one-line reason, sampled twice or across runs through a
 * state file; resumed it is OK; lag against --warn-lag / --max-lag gives
 * the documented exit codes; a killed consumer or journal subscriber is
 * reported; bad usage and unreadable regions are UNKNOWN (3).
 */
#include "kselftest_harness.h"
#include "host_test.h"
#include <byteor/journal.h>
#include <byteor/single_ring.h>

#ifndef HT_BYTEORCTL
#define HT_BYTEORCTL "byteorctl"
#endif

#define RING	"ring"
#define TOTAL	100U
#define FIRST	40U

FIXTURE(ck) {
	struct ht_dir d;
	const char *ctl;
	char out[HT_PATH * 2];
	pid_t prod, cons;
	int ready[2], go[2];
};

FIXTURE_SETUP(ck)
{
	const char *env = getenv("BYTEORCTL");

	self->prod = self->cons = 0;
	ASSERT_EQ(0, ht_shm_dir(&self->d));
	self->ctl = env && *env ? env : HT_BYTEORCTL;
	snprintf(self->out, sizeof(self->out), "%s/.out", self->d.path);
	ASSERT_EQ(0, pipe(self->ready));
	ASSERT_EQ(0, pipe(self->go));
	if (access(self->ctl, X_OK))
		SKIP(return, "%s not built", self->ctl);
	ASSERT_EQ(0, ht_create_ring(self->d.path, RING));
}

static void reap(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGKILL);
		kill(pid, SIGCONT);
		ht_wait(pid);
	}
}

FIXTURE_TEARDOWN(ck)
{
	reap(self->prod);
	reap(self->cons);
	close(self->ready[0]);
	close(self->ready[1]);
	close(self->go[0]);
	close(self->go[1]);
	ht_dir_teardown(&self->d);
}

/* byteorctl check ARGS on the private directory; stdout to self->out. */
#define CHECK(args) ht_sh("%s check " args " --backing user --dir %s > %s 2>&1", \
			  self->ctl, self->d.path, self->out)
#define OUT_HAS(re) (ht_sh("grep -q -- '" re "' %s", self->out) == 0)
#define SHOW_OUT() ht_sh("sed 's/^/# /' %s", self->out)

/* Producer child: sends TOTAL messages, says so, stays alive. */
static void producer(const char *dir, int ready)
{
	struct byteor_attach_options o = ht_opts(dir, RING);
	struct byteor_single_ring *r;
	__u64 i;

	o.timeout_ns = 10LL * 1000000000;
	if (byteor_attach_single_ring(&o, BYTEOR_ROLE_PRODUCER, &r))
		_exit(1);
	for (i = 0; i < TOTAL; i++)
		if (byteor_single_ring_send(r, &i, sizeof(i)))
			_exit(2);
	ht_signal(ready);
	pause();
	_exit(0);
}

/* Consumer child: FIRST messages, a word, waits for "go", the rest. */
static void consumer(const char *dir, int ready, int go)
{
	struct byteor_attach_options o = ht_opts(dir, RING);
	struct byteor_single_ring *r;
	__u64 v, i;

	o.timeout_ns = 10LL * 1000000000;
	if (byteor_attach_single_ring(&o, BYTEOR_ROLE_CONSUMER, &r))
		_exit(1);
	for (i = 0; i < TOTAL; i++) {
		if (i == FIRST) {
			ht_signal(ready);
			if (ht_await(go))
				_exit(3);
		}
		if (byteor_single_ring_recv(r, &v, sizeof(v)) != sizeof(v) || v != i)
			_exit(2);
	}
	ht_signal(ready);
	pause();
	_exit(0);
}

/* Producer done, consumer FIRST messages in: lag TOTAL - FIRST. */
static int start_pair(struct __test_metadata *_metadata, FIXTURE_DATA(ck) *self)
{
	self->prod = fork();
	ASSERT_LE(0, self->prod);
	if (!self->prod)
		producer(self->d.path, self->ready[1]);
	ASSERT_EQ(0, ht_await(self->ready[0]));
	self->cons = fork();
	ASSERT_LE(0, self->cons);
	if (!self->cons)
		consumer(self->d.path, self->ready[1], self->go[0]);
	ASSERT_EQ(0, ht_await(self->ready[0]));
	return 0;
}

static void stop(struct __test_metadata *_metadata, pid_t pid)
{
	int st;

	ASSERT_EQ(0, kill(pid, SIGSTOP));
	ASSERT_EQ(pid, waitpid(pid, &st, WUNTRACED));
	ASSERT_TRUE(WIFSTOPPED(st));
}

TEST_F(ck, a_stopped_consumer_with_messages_waiting_is_critical_then_ok_when_resumed)
{
	HT_SETUP_SKIPPED();
	start_pair(_metadata, self);
	stop(_metadata, self->cons);

	EXPECT_EQ(2, CHECK(RING " --max-stall 1"));
	SHOW_OUT();
	EXPECT_TRUE(OUT_HAS("^BYTEOR CRITICAL - 1 critical, 0 warning, 1 region"));
	EXPECT_TRUE(OUT_HAS("^CRITICAL ring consumer 0: stalled: position 40 "
			    "unchanged for [0-9.]* s with 60 message(s) waiting "
			    "(pid [0-9]* alive)$"));

	/* Resumed and drained: nothing waits, nothing is stalled. */
	ASSERT_EQ(0, kill(self->cons, SIGCONT));
	ht_signal(self->go[1]);
	ASSERT_EQ(0, ht_await(self->ready[0]));
	EXPECT_EQ(0, CHECK(RING " --max-stall 1 --max-lag 1"));
	SHOW_OUT();
	EXPECT_TRUE(OUT_HAS("^BYTEOR OK - 0 critical, 0 warning, 1 region(s), 1 reader(s)$"));
}

TEST_F(ck, a_stall_is_measured_across_runs_with_a_state_file)
{
	char state[HT_PATH * 2];

	HT_SETUP_SKIPPED();
	snprintf(state, sizeof(state), "%s/.state", self->d.path);
	start_pair(_metadata, self);
	stop(_metadata, self->cons);

	/* First observation: nothing to compare with yet, no sleep. */
	EXPECT_EQ(0, ht_sh("%s check --max-stall 1 --warn-stall 0.5 --state %s "
			   "--backing user --dir %s > %s", self->ctl, state,
			   self->d.path, self->out));
	EXPECT_EQ(0, ht_sh("grep -q '^v1 ring [0-9]* consumer 0 40 [1-9]' %s", state));
	usleep(1200 * 1000);
	EXPECT_EQ(2, ht_sh("%s check --max-stall 1 --warn-stall 0.5 --state %s "
			   "--backing user --dir %s > %s", self->ctl, state,
			   self->d.path, self->out));
	SHOW_OUT();
	EXPECT_TRUE(OUT_HAS("^CRITICAL ring consumer 0: stalled: position 40 "
			    "unchanged for"));
	/* The file is replaced whole (tmp + rename): no temporary left. */
	EXPECT_EQ(0, ht_sh("test $(ls -a %s | grep -c '\\.state\\.tmp') = 0",
			   self->d.path));

	/* Resumed: it moved, so its stall clock restarts (lag 0: none). */
	ASSERT_EQ(0, kill(self->cons, SIGCONT));
	ht_signal(self->go[1]);
	ASSERT_EQ(0, ht_await(self->ready[0]));
	EXPECT_EQ(0, ht_sh("%s check --max-stall 1 --state %s --backing user "
			   "--dir %s > %s", self->ctl, state, self->d.path,
			   self->out));
	EXPECT_EQ(0, ht_sh("grep -q '^v1 ring [0-9]* consumer 0 100 0$' %s", state));
}

TEST_F(ck, lag_over_the_warning_or_critical_threshold_sets_the_exit_code)
{
	HT_SETUP_SKIPPED();
	start_pair(_metadata, self);	/* lag 60, consumer alive */

	EXPECT_EQ(0, CHECK("--warn-lag 61 --max-lag 100"));
	EXPECT_EQ(1, CHECK("--warn-lag 60 --max-lag 100"));
	SHOW_OUT();
	EXPECT_TRUE(OUT_HAS("^BYTEOR WARNING - 0 critical, 1 warning"));
	EXPECT_TRUE(OUT_HAS("^WARNING ring consumer 0: lag 60 message(s) >= --warn-lag 60$"));
	EXPECT_EQ(2, CHECK("--warn-lag 10 --max-lag 60"));
	SHOW_OUT();
	EXPECT_TRUE(OUT_HAS("^CRITICAL ring consumer 0: lag 60 message(s) >= --max-lag 60$"));
	EXPECT_FALSE(OUT_HAS("^WARNING"));
	/* Journal thresholds are separate (bytes): they leave a ring alone. */
	EXPECT_EQ(0, CHECK("--max-lag-bytes 1"));
}

TEST_F(ck, a_killed_consumer_with_messages_waiting_is_critical)
{
	HT_SETUP_SKIPPED();
	start_pair(_metadata, self);
	reap(self->cons);
	self->cons = 0;
	EXPECT_EQ(2, CHECK(RING));
	SHOW_OUT();
	EXPECT_TRUE(OUT_HAS("^CRITICAL ring consumer 0: gone (pid [0-9]* not alive) "
			    "with 60 message(s) waiting at position 40$"));
}

TEST_F(ck, a_killed_journal_subscriber_is_a_warning_with_its_position)
{
	struct byteor_geometry g = ht_geom(256, 4096, 1, 1);
	struct byteor_attach_options o = ht_opts(self->d.path, "log");
	struct byteor_journal *pub, *sub;
	char buf[256];
	pid_t pid;
	int i;

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, ht_create(self->d.path, "log", BYTEOR_KIND_JOURNAL, &g));
	ASSERT_EQ(0, byteor_attach_journal_publisher(&o, &pub));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, byteor_journal_append(pub, 1, buf, 24, NULL));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (byteor_attach_journal_subscriber_from(&o, 0, &sub) ||
		    byteor_journal_read(sub, buf, sizeof(buf), NULL) != 24)
			_exit(1);
		ht_signal(self->ready[1]);
		pause();
		_exit(0);
	}
	ASSERT_EQ(0, ht_await(self->ready[0]));
	EXPECT_EQ(2, CHECK("log --max-lag-bytes 80"));
	SHOW_OUT();
	EXPECT_TRUE(OUT_HAS("^CRITICAL log subscriber 0: lag 80 byte(s) >= --max-lag-bytes 80$"));
	reap(pid);
	EXPECT_EQ(1, CHECK("log --max-lag-bytes 1000"));
	SHOW_OUT();
	EXPECT_TRUE(OUT_HAS("^WARNING log subscriber 0: dead (pid [0-9]*): left at "
			    "position 40, 80 byte(s) behind$"));
	byteor_journal_detach(pub);
}

TEST_F(ck, bad_usage_and_unreadable_regions_are_unknown)
{
	HT_SETUP_SKIPPED();
	EXPECT_EQ(3, CHECK("--max-lag x"));
	EXPECT_EQ(3, CHECK("--max-stall 0"));
	EXPECT_EQ(3, CHECK("--warn-lag 10 --max-lag 5"));
	EXPECT_EQ(3, CHECK("no.such.region"));
	SHOW_OUT();
	EXPECT_TRUE(OUT_HAS("^UNKNOWN no.such.region: cannot read: "));
	/* A critical region wins over an unreadable one. */
	start_pair(_metadata, self);
	EXPECT_EQ(2, CHECK(RING " no.such.region --max-lag 1"));
}

TEST_HARNESS_MAIN
