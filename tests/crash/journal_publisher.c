// SPDX-License-Identifier: GPL-2.0-only
/*
 * journal_publisher - the journal's publisher killed (or stopped) at each
 * step of an append, then restarted: a subscriber never reads a torn or
 * half-committed record, sees every committed record once and in order,
 * and the restarted publisher continues right after the last committed
 * record (the one in flight at the kill is dropped, as documented).
 *
 * Records: type = a running number, payload of (type * 7) % 120 bytes,
 * byte b = (type + b) & 0xff.  Each run of the publisher appends RUN
 * records from the number after the last one the subscriber saw; the
 * parent drains the subscriber after each run.
 */
#include <signal.h>
#include "crash_env.h"
#include "single_ring_test.h"
#include <byteor/crashpoint.h>
#include <byteor/journal.h>

#define NAME	"log"
#define CAP	16384U
#define MAXREC	256U
#define RUN	100U
#define RUNS	6

FIXTURE(jp) {
	struct ht_dir d;
	struct byteor_attach_options o;
	struct byteor_journal *sub;
	__u32 next;		/* the type the subscriber expects next */
	unsigned int kills;
};

FIXTURE_SETUP(jp)
{
	struct byteor_geometry g = ht_geom(MAXREC, CAP, 1, 1);

	HT_DIR_SETUP(&self->d, false);
	ASSERT_EQ(0, ht_create(self->d.path, NAME, BYTEOR_KIND_JOURNAL, &g));
	self->o = lt_opts(self->d.path, NAME, 0, 0);
	ASSERT_EQ(0, byteor_attach_journal_subscriber_from(&self->o, 0, &self->sub));
}

FIXTURE_TEARDOWN(jp)
{
	byteor_journal_detach(self->sub);
	ht_dir_teardown(&self->d);
}

static __u32 jp_len(__u32 type)
{
	return (type * 7) % 120;
}

/* A publisher process: RUN records from @base; armed at @point if set. */
static pid_t jp_publisher(const struct byteor_attach_options *o, __u32 base,
			  const char *point, unsigned long nth, const char *mode)
{
	pid_t pid = fork();
	unsigned char buf[MAXREC];
	struct byteor_journal *j;
	__u32 i, b, t;

	if (pid)
		return pid;
	if (point)
		__byteor_crashpoint_arm(point, nth, mode);
	if (byteor_attach_journal_publisher(o, &j))
		_exit(2);
	for (i = 0; i < RUN; i++) {
		t = base + i;
		for (b = 0; b < jp_len(t); b++)
			buf[b] = (unsigned char)(t + b);
		if (byteor_journal_append(j, t, buf, jp_len(t), NULL))
			_exit(3);
	}
	byteor_journal_detach(j);
	_exit(0);
}

/* Read everything committed; check each record.  Return: NULL or what broke. */
static const char *jp_drain(FIXTURE_DATA(jp) *self)
{
	struct byteor_journal_record rec;
	unsigned char buf[MAXREC];
	int n, b;

	for (;;) {
		n = byteor_journal_read(self->sub, buf, sizeof(buf), &rec);
		if (n == -EAGAIN || n == -EPIPE)
			return NULL;
		if (n < 0)
			return "read error (lapped or corrupt)";
		if (rec.type != self->next)
			return rec.type < self->next ? "record seen twice" :
				"record lost";
		if ((__u32)n != jp_len(rec.type))
			return "torn record: length";
		for (b = 0; b < n; b++)
			if (buf[b] != (unsigned char)(rec.type + b))
				return "torn record: payload";
		self->next++;
	}
}

/* Runs of the publisher, the first armed at @point on hit @nth (kill). */
static void jp_runs(struct __test_metadata *_metadata, FIXTURE_DATA(jp) *self,
		    const char *point, unsigned long nth)
{
	const char *why;
	int r, st;

	for (r = 0; r < RUNS; r++) {
		st = ht_wait(jp_publisher(&self->o, self->next,
					  self->kills ? NULL : point, nth, "kill"));
		if (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)
			self->kills++;
		else
			ASSERT_TRUE(WIFEXITED(st) && !WEXITSTATUS(st))
				TH_LOG("run %d: status %#x", r, st);
		why = jp_drain(self);
		ASSERT_EQ(NULL, why) TH_LOG("run %d, expecting %u", r, self->next);
	}
	EXPECT_EQ(1, self->kills) TH_LOG("%s never fired", point);
	/* Restarted publishers continued: every run's records arrived. */
	EXPECT_LE((RUNS - 1) * RUN, self->next);
}

TEST_F(jp, killed_after_moving_head_then_restarted)
{
	jp_runs(_metadata, self, "journal.publisher.head_moved", 50);
}

TEST_F(jp, killed_after_announcing_intent_then_restarted)
{
	jp_runs(_metadata, self, "journal.publisher.intent_stored", 50);
}

TEST_F(jp, killed_with_record_written_before_the_tail_moves_then_restarted)
{
	jp_runs(_metadata, self, "journal.publisher.header_written", 50);
}

TEST_F(jp, killed_after_the_tail_moved_before_the_wakeup_then_restarted)
{
	jp_runs(_metadata, self, "journal.publisher.committed", 50);
}

TEST_F(jp, killed_after_writing_the_padding_then_restarted)
{
	jp_runs(_metadata, self, "journal.publisher.pad_written", 1);
}

TEST_F(jp, killed_while_a_new_publisher_repairs_then_restarted)
{
	jp_runs(_metadata, self, "journal.publisher.attach_repairing", 1);
}

/*
 * Stopped with a record written and the tail not moved: the subscriber
 * sees nothing of it; killed, then a new publisher's record takes its
 * place and is read intact.
 */
TEST_F(jp, record_of_a_stopped_publisher_is_invisible_and_dropped_at_restart)
{
	struct byteor_journal_record rec;
	unsigned char buf[MAXREC];
	pid_t pid;
	int st;

	pid = jp_publisher(&self->o, 0, "journal.publisher.header_written", 10, "stop");
	ASSERT_EQ(pid, waitpid(pid, &st, WUNTRACED));
	ASSERT_TRUE(WIFSTOPPED(st));
	ASSERT_EQ(NULL, jp_drain(self));
	EXPECT_EQ(9, self->next);
	EXPECT_EQ(-EAGAIN, byteor_journal_read(self->sub, buf, sizeof(buf), &rec));
	kill(pid, SIGKILL);
	st = ht_wait(pid);
	ASSERT_TRUE(WIFSIGNALED(st));
	st = ht_wait(jp_publisher(&self->o, self->next, NULL, 0, NULL));
	ASSERT_TRUE(WIFEXITED(st) && !WEXITSTATUS(st));
	ASSERT_EQ(NULL, jp_drain(self));
	EXPECT_EQ(9 + RUN, self->next);
}

TEST_HARNESS_MAIN
