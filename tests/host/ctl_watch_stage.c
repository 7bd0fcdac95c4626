// SPDX-License-Identifier: GPL-2.0-only
/*
 * ctl_watch_stage - byteorctl watch and remove-stage (and the stat they
 * share) on the userspace backing, each test in a private directory:
 * exit status (0 success, 1 failure, 2 bad usage), what is printed, the
 * refresh cadence, the stop at SIGINT/SIGTERM or when the region goes, and
 * the removal as the lane snapshot then shows it.
 * The binary is the one of this build flavour; env BYTEORCTL overrides.
 */
#include "kselftest_harness.h"
#include "host_test.h"
#include <time.h>
#include <byteor/sequenced_slots.h>

#ifndef HT_BYTEORCTL
#define HT_BYTEORCTL "byteorctl"
#endif

FIXTURE(ctl) {
	struct ht_dir d;
	const char *ctl;
	char out[HT_PATH * 2];
	char err[HT_PATH * 2];
};

FIXTURE_SETUP(ctl)
{
	const char *env = getenv("BYTEORCTL");

	ASSERT_EQ(0, ht_shm_dir(&self->d));
	self->ctl = env && *env ? env : HT_BYTEORCTL;
	snprintf(self->out, sizeof(self->out), "%s/.out", self->d.path);
	snprintf(self->err, sizeof(self->err), "%s/.out.err", self->d.path);
	if (access(self->ctl, X_OK))
		SKIP(return, "%s not built", self->ctl);
	if (ht_sh("python3 -c 'import json' 2>/dev/null"))
		SKIP(return, "python3 is needed to parse the JSON output");
}

FIXTURE_TEARDOWN(ctl)
{
	ht_dir_teardown(&self->d);
}

/* Run byteorctl ARGS --dir <private> --backing user, stdout to self->out. */
#define CTL(args) ht_sh("%s " args " --backing user --dir %s > %s 2>%s",	\
			self->ctl, self->d.path, self->out, self->err)

#define JSON_OK(expr)								\
	ht_sh("python3 -c \"import json, sys; d = json.load(open(sys.argv[1]));"	\
	      " sys.exit(0 if (" expr ") else 1)\" %s", self->out)

#define STDOUT_HAS(re) ht_sh("grep -q -- '" re "' %s", self->out)
#define STDERR_HAS(re) ht_sh("grep -q -- '" re "' %s", self->err)

/* How many lines of stdout match the basic regular expression @re. */
static int count_lines(const char *file, const char *re)
{
	char cmd[HT_PATH * 4];
	int n = -1;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "grep -c -- '%s' %s", re, file);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	if (fscanf(p, "%d", &n) != 1)
		n = -1;
	pclose(p);
	return n;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void msleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/*
 * Start `byteorctl watch NAME --interval 0.1 --backing user --dir DIR`
 * without a count, stdout and stderr to the fixture's files; the caller
 * stops it and waits.
 */
static pid_t start_watch(const char *ctl, const char *dir, const char *name,
			 const char *out, const char *err)
{
	pid_t pid = fork();
	int fd;

	if (pid)
		return pid;
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0)
		_exit(97);
	fd = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || dup2(fd, STDERR_FILENO) < 0)
		_exit(97);
	/* The harness may have blocked or ignored them: watch must see them. */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	execl(ctl, ctl, "watch", name, "--interval", "0.1", "--backing", "user",
	      "--dir", dir, (char *)NULL);
	_exit(98);
}

static int seq_create(const char *dir, const char *name)
{
	struct byteor_geometry g = ht_geom(64, 64, 3, 1);

	/* P -> 0 -> {1, 2}: 1 and 2 are the terminal stages. */
	g.stage_deps[1] = 1U << 0;
	g.stage_deps[2] = 1U << 0;
	return ht_create(dir, name, BYTEOR_KIND_SEQUENCED_SLOTS, &g);
}

static int seq_attach_stage(const char *dir, const char *name, unsigned int stage,
			    struct byteor_sequenced_slots **h)
{
	struct byteor_attach_options o = ht_opts(dir, name);

	o.queue = stage;
	return byteor_attach_sequenced_slots_region(&o, BYTEOR_ROLE_CONSUMER, h);
}

/* ---- watch ------------------------------------------------------------- */

TEST_F(ctl, watch_count_2_prints_two_snapshots_and_exits_0)
{
	long long t0, ms;

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, ht_create_ring(self->d.path, "r1"));
	t0 = now_ms();
	ASSERT_EQ(0, CTL("watch r1 --count 2 --interval 0.1"));
	ms = now_ms() - t0;
	/* Two snapshots, one interval apart, and no third. */
	EXPECT_GE(ms, 100);
	EXPECT_LT(ms, 5000);
	EXPECT_EQ(2, count_lines(self->out, "^--- byteorctl watch r1: .*, every 0.1s, refresh [12] ---$"));
	EXPECT_EQ(2, count_lines(self->out, "^r1: single-ring v"));
	EXPECT_EQ(2, count_lines(self->out, "^  occupancy 0 / 1024"));
	EXPECT_EQ(1, count_lines(self->out, "refresh 2 ---$"));
	/* Not a terminal: no screen control. */
	EXPECT_EQ(0, count_lines(self->out, "\033"));
	/* The header's timestamp: date, time, milliseconds. */
	EXPECT_EQ(0, STDOUT_HAS("r1: [0-9-]\\{10\\} [0-9:]\\{8\\}\\.[0-9]\\{3\\},"));
}

TEST_F(ctl, watch_on_a_terminal_redraws_the_screen)
{
	HT_SETUP_SKIPPED();
	if (ht_sh("command -v script > /dev/null"))
		SKIP(return, "script(1) is needed for a pseudo-terminal");
	ASSERT_EQ(0, ht_create_ring(self->d.path, "r1"));
	/* script(1) gives the command a pty and copies what it writes. */
	ASSERT_EQ(0, ht_sh("script -qec '%s watch r1 --count 2 --interval 0.1 "
			   "--backing user --dir %s' /dev/null > %s 2>%s",
			   self->ctl, self->d.path, self->out, self->err));
	EXPECT_EQ(2, count_lines(self->out, "\033\\[H\033\\[2JEvery 0.1s: byteorctl watch r1 "));
	EXPECT_EQ(2, count_lines(self->out, "^r1: single-ring v"));
	EXPECT_EQ(0, count_lines(self->out, "^--- byteorctl watch"));
}

TEST_F(ctl, watch_of_a_missing_region_exits_1)
{
	HT_SETUP_SKIPPED();
	EXPECT_EQ(1, CTL("watch nosuch --count 2 --interval 0.1"));
	EXPECT_EQ(0, STDERR_HAS("watch nosuch: no such region"));
	/* Nothing on stdout: not even a header. */
	EXPECT_EQ(0, ht_sh("test ! -s %s", self->out));
}

TEST_F(ctl, watch_exits_1_when_the_region_goes_away)
{
	long long t0;
	pid_t pid;
	int st;

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, seq_create(self->d.path, "s1"));
	pid = start_watch(self->ctl, self->d.path, "s1", self->out, self->err);
	ASSERT_LT(0, pid);
	msleep(350);
	EXPECT_EQ(0, byteor_region_destroy("s1", BYTEOR_BACKING_USER, self->d.path));
	t0 = now_ms();
	st = ht_wait(pid);
	/* It noticed within about one interval. */
	EXPECT_LT(now_ms() - t0, 3000);
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(1, WEXITSTATUS(st));
	EXPECT_LE(2, count_lines(self->out, "^s1: sequenced-slots v"));
	EXPECT_EQ(0, STDERR_HAS("s1: no such region"));
	EXPECT_EQ(0, STDERR_HAS("watch s1: stopped after [0-9]* refresh"));
}

TEST_F(ctl, watch_stops_cleanly_at_sigint_and_sigterm)
{
	static const int sigs[] = { SIGINT, SIGTERM };
	unsigned int i;
	pid_t pid;
	int st;

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, ht_create_ring(self->d.path, "r1"));
	for (i = 0; i < 2; i++) {
		pid = start_watch(self->ctl, self->d.path, "r1", self->out,
				  self->err);
		ASSERT_LT(0, pid);
		msleep(350);
		ASSERT_EQ(0, kill(pid, sigs[i]));
		st = ht_wait(pid);
		ASSERT_TRUE(WIFEXITED(st)) {
			TH_LOG("signal %d: killed by signal %d instead of exiting",
			       sigs[i], WIFSIGNALED(st) ? WTERMSIG(st) : 0);
		}
		EXPECT_EQ(0, WEXITSTATUS(st));
		EXPECT_LE(2, count_lines(self->out, "^r1: single-ring v"));
		/* Every snapshot it started was printed whole. */
		EXPECT_EQ(count_lines(self->out, "^--- byteorctl watch"),
			  count_lines(self->out, "^  park path of this host"));
		EXPECT_EQ(0, ht_sh("test ! -s %s", self->err));
	}
}

TEST_F(ctl, watch_bad_usage_exits_2)
{
	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, ht_create_ring(self->d.path, "r1"));
	EXPECT_EQ(2, CTL("watch r1 --interval 0.05"));
	EXPECT_EQ(0, STDERR_HAS("bad --interval"));
	EXPECT_EQ(2, CTL("watch r1 --interval 61"));
	EXPECT_EQ(2, CTL("watch r1 --interval 0"));
	EXPECT_EQ(2, CTL("watch r1 --interval -1"));
	EXPECT_EQ(2, CTL("watch r1 --interval 1s"));
	EXPECT_EQ(2, CTL("watch r1 --interval nan"));
	EXPECT_EQ(2, CTL("watch r1 --interval inf"));
	EXPECT_EQ(2, CTL("watch r1 --interval"));
	EXPECT_EQ(2, CTL("watch r1 --count 0"));
	EXPECT_EQ(0, STDERR_HAS("bad --count"));
	EXPECT_EQ(2, CTL("watch r1 --count -1"));
	EXPECT_EQ(2, CTL("watch r1 --count 2x"));
	EXPECT_EQ(2, CTL("watch r1 --json --count 1"));
	EXPECT_EQ(2, CTL("watch r1 r2 --count 1"));
	EXPECT_EQ(0, STDERR_HAS("unexpected argument"));
	EXPECT_EQ(2, CTL("watch --count 1"));
	EXPECT_EQ(0, STDERR_HAS("missing NAME"));
	EXPECT_EQ(2, ht_sh("%s watch r1 --backing floppy > /dev/null 2>&1", self->ctl));
	/* The limits themselves are accepted. */
	EXPECT_EQ(0, CTL("watch r1 --interval 0.1 --count 1"));
	EXPECT_EQ(0, CTL("watch r1 --interval 60 --count 1"));
	EXPECT_EQ(0, CTL("watch r1 --interval 100e-3 --count 1"));
}

/* The refactored stat still prints every kind it did, text and JSON. */
TEST_F(ctl, stat_still_prints_ring_and_events)
{
	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, ht_create_ring(self->d.path, "r1"));
	ASSERT_EQ(0, CTL("create e1 --kind events --slot-size 64 --capacity 64 --queues 2"));
	ASSERT_EQ(0, CTL("stat r1 --json"));
	EXPECT_EQ(0, JSON_OK("d['schema'] == 'byteor.stat.v1' and d['kind'] == 'single-ring'"
			     " and d['capacity'] == 1024 and d['producer']['alive'] is False"));
	ASSERT_EQ(0, CTL("stat e1 --json"));
	EXPECT_EQ(0, JSON_OK("d['kind'] == 'events' and len(d['lanes']) == 2"));
	ASSERT_EQ(0, CTL("stat e1"));
	EXPECT_EQ(0, STDOUT_HAS("^e1: events v"));
	EXPECT_EQ(1, CTL("stat nosuch"));
	EXPECT_EQ(0, STDERR_HAS("stat nosuch: no such region"));
}

/* ---- remove-stage ------------------------------------------------------ */

TEST_F(ctl, remove_stage_never_attached_then_again_is_a_no_op)
{
	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, seq_create(self->d.path, "s1"));
	ASSERT_EQ(0, CTL("remove-stage s1 2"));
	EXPECT_EQ(0, STDOUT_HAS("^removed stage 2 of s1 from gating"));
	ASSERT_EQ(0, CTL("stat s1 --json"));
	EXPECT_EQ(0, JSON_OK("[s['removed'] for s in d['stage']] == [False, False, True]"));
	ASSERT_EQ(0, CTL("stat s1"));
	EXPECT_EQ(0, STDOUT_HAS("^  stage 2 .* REMOVED"));
	EXPECT_EQ(1, count_lines(self->out, "REMOVED"));
	/* Removing a removed stage: success, and it says nothing changed. */
	ASSERT_EQ(0, CTL("remove-stage s1 2"));
	EXPECT_EQ(0, STDOUT_HAS("^stage 2 of s1 was already removed"));
	ASSERT_EQ(0, CTL("remove-stage s1 2 --json"));
	EXPECT_EQ(0, JSON_OK("d['schema'] == 'byteor.v1' and d['command'] == 'remove-stage'"
			     " and d['name'] == 's1' and d['stage'] == 2"
			     " and d['was_removed'] is True"));
	ASSERT_EQ(0, CTL("remove-stage s1 0 --json"));
	EXPECT_EQ(0, JSON_OK("d['stage'] == 0 and d['was_removed'] is False"));
	ASSERT_EQ(0, CTL("stat s1 --json"));
	EXPECT_EQ(0, JSON_OK("[s['removed'] for s in d['stage']] == [True, False, True]"));
}

TEST_F(ctl, remove_stage_whose_holder_died)
{
	struct byteor_sequenced_slots *h;
	int go[2];
	pid_t pid;
	int st;

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, seq_create(self->d.path, "s1"));
	ASSERT_EQ(0, pipe(go));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(go[0]);
		if (seq_attach_stage(self->d.path, "s1", 1, &h))
			_exit(1);
		ht_signal(go[1]);
		/* Die holding the stage: no detach. */
		_exit(0);
	}
	close(go[1]);
	ASSERT_EQ(0, ht_await(go[0]));
	close(go[0]);
	st = ht_wait(pid);
	ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ASSERT_EQ(0, CTL("stat s1 --json"));
	ASSERT_EQ(0, JSON_OK("d['stage'][1]['alive'] is False"
			     " and d['stage'][1]['removed'] is False"
			     " and d['stage'][1]['attaches'] == 1"));
	ASSERT_EQ(0, CTL("remove-stage s1 1"));
	EXPECT_EQ(0, ht_sh("grep -q '^removed stage 1 of s1 from gating "
			   "(last held by pid %d, not alive)' %s",
			   (int)pid, self->out));
	ASSERT_EQ(0, CTL("stat s1 --json"));
	EXPECT_EQ(0, JSON_OK("[s['removed'] for s in d['stage']] == [False, True, False]"));
	/* A new attach at the stage clears the removal (the library's rule). */
	ASSERT_EQ(0, seq_attach_stage(self->d.path, "s1", 1, &h));
	byteor_sequenced_slots_detach(h);
	ASSERT_EQ(0, CTL("stat s1 --json"));
	EXPECT_EQ(0, JSON_OK("d['stage'][1]['removed'] is False"));
}

TEST_F(ctl, remove_stage_while_attached_here_is_busy)
{
	struct byteor_sequenced_slots *h;

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, seq_create(self->d.path, "s1"));
	ASSERT_EQ(0, seq_attach_stage(self->d.path, "s1", 1, &h));
	EXPECT_EQ(1, CTL("remove-stage s1 1"));
	EXPECT_EQ(0, STDERR_HAS("stage 1 is busy"));
	EXPECT_EQ(0, ht_sh("test ! -s %s", self->out));
	EXPECT_EQ(1, CTL("remove-stage s1 1 --json"));
	EXPECT_EQ(0, JSON_OK("d['command'] == 'remove-stage' and d['error']['errno'] == 16"));
	ASSERT_EQ(0, CTL("stat s1 --json"));
	EXPECT_EQ(0, JSON_OK("d['stage'][1]['removed'] is False"
			     " and d['stage'][1]['alive'] is True"));
	byteor_sequenced_slots_detach(h);
	/* Detached: no live holder any more, so it can go. */
	EXPECT_EQ(0, CTL("remove-stage s1 1"));
}

TEST_F(ctl, remove_stage_failures_exit_1)
{
	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, ht_create_ring(self->d.path, "r1"));
	ASSERT_EQ(0, seq_create(self->d.path, "s1"));
	EXPECT_EQ(1, CTL("remove-stage r1 0"));
	EXPECT_EQ(0, STDERR_HAS("remove-stage r1: layout kind or version mismatch"));
	EXPECT_EQ(1, CTL("remove-stage r1 0 --json"));
	EXPECT_EQ(0, JSON_OK("d['error']['errno'] == 71"));
	EXPECT_EQ(1, CTL("remove-stage nosuch 0"));
	EXPECT_EQ(0, STDERR_HAS("remove-stage nosuch: no such region"));
	EXPECT_EQ(1, CTL("remove-stage s1 3"));
	EXPECT_EQ(0, STDERR_HAS("no stage 3: the region has stages 0..2"));
	EXPECT_EQ(0, STDERR_HAS("invalid argument"));
	EXPECT_EQ(1, CTL("remove-stage s1 4096"));
	EXPECT_EQ(0, STDERR_HAS("invalid argument"));
	/* None of it removed anything. */
	ASSERT_EQ(0, CTL("stat s1 --json"));
	EXPECT_EQ(0, JSON_OK("[s['removed'] for s in d['stage']] == [False, False, False]"));
}

TEST_F(ctl, remove_stage_bad_usage_exits_2)
{
	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, seq_create(self->d.path, "s1"));
	EXPECT_EQ(2, CTL("remove-stage"));
	EXPECT_EQ(0, STDERR_HAS("missing region NAME"));
	EXPECT_EQ(2, CTL("remove-stage s1"));
	EXPECT_EQ(0, STDERR_HAS("missing STAGE"));
	EXPECT_EQ(2, CTL("remove-stage s1 x"));
	EXPECT_EQ(0, STDERR_HAS("bad STAGE"));
	EXPECT_EQ(2, CTL("remove-stage s1 -1"));
	EXPECT_EQ(2, CTL("remove-stage s1 1z"));
	EXPECT_EQ(2, CTL("remove-stage s1 99999999999"));
	EXPECT_EQ(2, CTL("remove-stage s1 1 2"));
	EXPECT_EQ(0, STDERR_HAS("unexpected argument"));
	EXPECT_EQ(2, CTL("remove-stage s1 1 --capacity 8"));
	ASSERT_EQ(0, CTL("stat s1 --json"));
	EXPECT_EQ(0, JSON_OK("[s['removed'] for s in d['stage']] == [False, False, False]"));
}

TEST_F(ctl, help_names_watch_and_remove_stage)
{
	HT_SETUP_SKIPPED();
	EXPECT_EQ(0, ht_sh("%s --help | grep -q '^  watch NAME \\[--interval SECONDS\\] \\[--count N\\]'",
			   self->ctl));
	EXPECT_EQ(0, ht_sh("%s --help | grep -q '^  remove-stage NAME STAGE'", self->ctl));
	EXPECT_EQ(0, ht_sh("%s watch --help | grep -q '^usage: byteorctl watch NAME'",
			   self->ctl));
}

TEST_HARNESS_MAIN
