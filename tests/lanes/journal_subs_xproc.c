// SPDX-License-Identifier: GPL-2.0-only
/*
 * journal_subs_xproc - registered journal subscribers across processes,
 * on both backings (host: journal_subs_xproc; guests: lanes_journal_subs):
 * subscriber processes take slots (claims: the userspace backing's OFD
 * locks, byteor.ko's claim table), show their positions to an observer,
 * and a SIGKILLed one is reported dead - its claim released by the
 * backing, its slot left ACTIVE - until a new subscriber takes the slot.
 */
#include "lanes_env.h"

#define CAP	LE_PICK(1U << 16, 1U << 16)
#define MAXREC	256U
#define REC	24U		/* payload; 40 bytes a record with its header */

FIXTURE(xjs) {
	struct le_env env;
	const char *name;
	struct byteor_journal *pub, *obs;
	int ready[2];
};

FIXTURE_SETUP(xjs)
{
	struct byteor_geometry g = le_geom(MAXREC, CAP, 1, 1);
	struct byteor_attach_options o;

	self->pub = self->obs = NULL;
	LE_SETUP(&self->env);
	self->name = le_name(&self->env, "subs");
	ASSERT_EQ(0, le_create(&self->env, self->name, BYTEOR_KIND_JOURNAL, &g,
			       NULL));
	o = le_opts(&self->env, self->name, 0, LE_TIMEOUT_NS);
	ASSERT_EQ(0, byteor_attach_journal_publisher(&o, &self->pub));
	o.flags = BYTEOR_ATTACH_OBSERVER;
	ASSERT_EQ(0, byteor_attach_journal_subscriber_tail(&o, &self->obs));
	ASSERT_EQ(0, pipe(self->ready));
}

FIXTURE_TEARDOWN(xjs)
{
	byteor_journal_detach(self->obs);
	byteor_journal_detach(self->pub);
	le_teardown(&self->env);
}

/* A subscriber process: from 0, reads @n records, says so, stays. */
static pid_t subscriber(FIXTURE_DATA(xjs) *self, unsigned int n)
{
	struct byteor_attach_options o;
	struct byteor_journal *j;
	char buf[MAXREC];
	unsigned int i;
	pid_t pid;
	int ret;

	pid = le_fork(&self->env);
	if (pid)
		return pid;
	o = le_opts(&self->env, self->name, 0, LE_TIMEOUT_NS);
	ret = byteor_attach_journal_subscriber_from(&o, 0, &j);
	if (ret)
		LE_DIE(1, "attach: %s", byteor_strerror(ret));
	for (i = 0; i < n; i++) {
		ret = byteor_journal_read(j, buf, sizeof(buf), NULL);
		if (ret != (int)REC)
			LE_DIE(2, "read %u: %d", i, ret);
	}
	le_signal(self->ready[1]);
	pause();
	_exit(0);
}

/* The snapshot of the subscriber whose pid is @pid, or NULL. */
static const struct byteor_journal_subscriber_snap *
by_pid(const struct byteor_journal_subscriber_snap *v, int n, pid_t pid)
{
	int i;

	for (i = 0; i < n; i++)
		if (v[i].pid == (__u32)pid)
			return &v[i];
	return NULL;
}

TEST_F(xjs, subscriber_processes_show_positions_and_a_killed_one_shows_dead)
{
	struct byteor_journal_subscriber_snap v[BYTEOR_JOURNAL_SUBSCRIBERS];
	const struct byteor_journal_subscriber_snap *a, *b;
	struct byteor_region_info info;
	char rec[REC] = "a record of 24 bytes...";
	pid_t pa, pb, pc;
	int i, n;

	LE_SETUP_SKIPPED();
	for (i = 0; i < 10; i++)
		ASSERT_EQ(0, byteor_journal_append(self->pub, 1, rec, REC, NULL));
	pa = subscriber(self, 3);
	ASSERT_EQ(0, le_await(self->ready[0]));
	pb = subscriber(self, 7);
	ASSERT_EQ(0, le_await(self->ready[0]));

	n = byteor_journal_subscribers(self->obs, v, BYTEOR_JOURNAL_SUBSCRIBERS);
	ASSERT_EQ(2, n);
	a = by_pid(v, n, pa);
	b = by_pid(v, n, pb);
	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, b);
	EXPECT_NE(a->slot, b->slot);
	EXPECT_EQ(1, a->alive);
	EXPECT_EQ(3U * 40, a->position);
	EXPECT_EQ(7U * 40, a->lag);
	EXPECT_EQ(7U * 40, b->position);
	EXPECT_EQ(3U * 40, b->lag);
	ASSERT_EQ(0, byteor_region_info(self->name, LE_BACKING, self->env.dir,
					&info));
	EXPECT_EQ(3U, info.nr_claims_held);	/* publisher + 2 subscribers */

	/* SIGKILL one: the backing releases its claim; its slot says dead. */
	ASSERT_EQ(0, kill(pa, SIGKILL));
	EXPECT_EQ(128 + SIGKILL, le_wait(&self->env, pa));
	n = byteor_journal_subscribers(self->obs, v, BYTEOR_JOURNAL_SUBSCRIBERS);
	ASSERT_EQ(2, n);
	a = by_pid(v, n, pa);
	b = by_pid(v, n, pb);
	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, b);
	EXPECT_EQ(0, a->alive);
	EXPECT_EQ(3U * 40, a->position);
	EXPECT_EQ(1, b->alive);
	ASSERT_EQ(0, byteor_region_info(self->name, LE_BACKING, self->env.dir,
					&info));
	EXPECT_EQ(2U, info.nr_claims_held);

	/* The next subscriber takes the dead one's slot. */
	pc = subscriber(self, 1);
	ASSERT_EQ(0, le_await(self->ready[0]));
	n = byteor_journal_subscribers(self->obs, v, BYTEOR_JOURNAL_SUBSCRIBERS);
	ASSERT_EQ(2, n);
	EXPECT_EQ(NULL, by_pid(v, n, pa));
	ASSERT_NE(NULL, by_pid(v, n, pc));
	EXPECT_EQ(1, by_pid(v, n, pc)->alive);
	EXPECT_EQ(2U, by_pid(v, n, pc)->attaches);
	EXPECT_EQ(1U * 40, by_pid(v, n, pc)->position);

	kill(pb, SIGKILL);
	kill(pc, SIGKILL);
	le_wait(&self->env, pb);
	le_wait(&self->env, pc);
}

TEST_HARNESS_MAIN
