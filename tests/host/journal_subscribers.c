// SPDX-License-Identifier: GPL-2.0-only
/*
 * journal_subscribers - registered journal subscribers (layout version 2):
 * each read-write subscriber takes a slot (a claim) and shows its
 * position, lag, reads and laps there; a clean detach frees the slot, a
 * SIGKILLed subscriber's slot is reported dead until the next subscriber
 * takes it; read-only subscribers and those beyond the last slot attach
 * unregistered; the publisher is unaffected.
 */
#include "kselftest_harness.h"
#include "host_test.h"
#include "single_ring_test.h"
#include <byteor/journal.h>

#define NAME	"log"
#define CAP	4096U
#define MAXREC	512U

FIXTURE(js) {
	struct ht_dir d;
	struct byteor_attach_options o;
	struct byteor_journal *pub, *obs;
};

FIXTURE_SETUP(js)
{
	struct byteor_geometry g = ht_geom(MAXREC, CAP, 1, 1);
	struct byteor_attach_options ro;

	HT_DIR_SETUP(&self->d, false);
	ASSERT_EQ(0, ht_create(self->d.path, NAME, BYTEOR_KIND_JOURNAL, &g));
	self->o = lt_opts(self->d.path, NAME, 0, 0);
	ASSERT_EQ(0, byteor_attach_journal_publisher(&self->o, &self->pub));
	ro = self->o;
	ro.flags = BYTEOR_ATTACH_OBSERVER;
	ASSERT_EQ(0, byteor_attach_journal_subscriber_tail(&ro, &self->obs));
}

FIXTURE_TEARDOWN(js)
{
	byteor_journal_detach(self->obs);
	byteor_journal_detach(self->pub);
	ht_dir_teardown(&self->d);
}

/* Append @n records of 24 payload bytes (40 bytes each with the header). */
static int js_append(struct byteor_journal *pub, unsigned int n)
{
	char buf[24] = "abcdefghijklmnopqrstuvw";
	unsigned int i;
	int ret;

	for (i = 0; i < n; i++) {
		ret = byteor_journal_append(pub, i, buf, sizeof(buf), NULL);
		if (ret)
			return ret;
	}
	return 0;
}

static int js_read(struct byteor_journal *sub, unsigned int n)
{
	char buf[MAXREC];
	unsigned int i;
	int ret;

	for (i = 0; i < n; i++) {
		ret = byteor_journal_read(sub, buf, sizeof(buf), NULL);
		if (ret < 0)
			return ret;
	}
	return 0;
}

TEST_F(js, a_subscriber_shows_its_position_lag_and_reads_in_its_slot)
{
	struct byteor_journal_subscriber_snap v[4];
	struct byteor_journal *sub;

	ASSERT_EQ(0, byteor_journal_subscribers(self->obs, v, 4));
	ASSERT_EQ(0, byteor_attach_journal_subscriber_from(&self->o, 0, &sub));
	EXPECT_EQ(0, byteor_journal_subscriber_slot(sub));
	ASSERT_EQ(0, js_append(self->pub, 10));
	ASSERT_EQ(0, js_read(sub, 4));

	ASSERT_EQ(1, byteor_journal_subscribers(self->obs, v, 4));
	EXPECT_EQ(0U, v[0].slot);
	EXPECT_EQ(1, v[0].alive);
	EXPECT_EQ((__u32)getpid(), v[0].pid);
	EXPECT_EQ(4U * 40, v[0].position);
	EXPECT_EQ(6U * 40, v[0].lag);
	EXPECT_EQ(4U, v[0].read);
	EXPECT_EQ(0U, v[0].lapped);
	EXPECT_EQ(1U, v[0].attaches);
	byteor_journal_detach(sub);
}

TEST_F(js, a_lapped_subscriber_shows_its_laps)
{
	struct byteor_journal_subscriber_snap v[1];
	struct byteor_journal *sub;
	char buf[MAXREC];
	int ret;

	ASSERT_EQ(0, byteor_attach_journal_subscriber_from(&self->o, 0, &sub));
	ASSERT_EQ(0, js_append(self->pub, 3 * CAP / 40));
	ret = byteor_journal_read(sub, buf, sizeof(buf), NULL);
	EXPECT_EQ(-EOVERFLOW, ret);
	ASSERT_EQ(1, byteor_journal_subscribers(self->obs, v, 1));
	EXPECT_EQ(1U, v[0].lapped);
	EXPECT_EQ(byteor_journal_position(sub), v[0].position);
	EXPECT_GE(CAP, v[0].lag);
	byteor_journal_detach(sub);
}

TEST_F(js, a_detached_subscriber_frees_its_slot_for_the_next)
{
	struct byteor_journal_subscriber_snap v[2];
	struct byteor_journal *a, *b;

	ASSERT_EQ(0, byteor_attach_journal_subscriber_tail(&self->o, &a));
	ASSERT_EQ(0, byteor_attach_journal_subscriber_tail(&self->o, &b));
	EXPECT_EQ(0, byteor_journal_subscriber_slot(a));
	EXPECT_EQ(1, byteor_journal_subscriber_slot(b));
	EXPECT_EQ(2, byteor_journal_subscribers(self->obs, v, 2));
	byteor_journal_detach(a);
	ASSERT_EQ(1, byteor_journal_subscribers(self->obs, v, 2));
	EXPECT_EQ(1U, v[0].slot);
	ASSERT_EQ(0, byteor_attach_journal_subscriber_tail(&self->o, &a));
	EXPECT_EQ(0, byteor_journal_subscriber_slot(a));
	ASSERT_EQ(2, byteor_journal_subscribers(self->obs, v, 2));
	EXPECT_EQ(2U, v[0].attaches);
	byteor_journal_detach(a);
	byteor_journal_detach(b);
	EXPECT_EQ(0, byteor_journal_subscribers(self->obs, NULL, 0));
}

TEST_F(js, a_killed_subscriber_is_reported_dead_until_its_slot_is_taken)
{
	struct byteor_journal_subscriber_snap v[2];
	struct byteor_journal *sub;
	int up[2], st;
	pid_t pid;

	ASSERT_EQ(0, js_append(self->pub, 5));
	ASSERT_EQ(0, pipe(up));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (byteor_attach_journal_subscriber_from(&self->o, 0, &sub) ||
		    js_read(sub, 2))
			_exit(1);
		ht_signal(up[1]);
		pause();
		_exit(0);
	}
	ASSERT_EQ(0, ht_await(up[0]));
	ASSERT_EQ(1, byteor_journal_subscribers(self->obs, v, 2));
	EXPECT_EQ(1, v[0].alive);
	EXPECT_EQ((__u32)pid, v[0].pid);
	EXPECT_EQ(2U * 40, v[0].position);
	EXPECT_EQ(3U * 40, v[0].lag);

	kill(pid, SIGKILL);
	st = ht_wait(pid);
	ASSERT_TRUE(WIFSIGNALED(st));
	ASSERT_EQ(1, byteor_journal_subscribers(self->obs, v, 2));
	EXPECT_EQ(0, v[0].alive);
	EXPECT_EQ(2U * 40, v[0].position);	/* where it died */

	/* The dead slot is free to take: the next subscriber reuses it. */
	ASSERT_EQ(0, byteor_attach_journal_subscriber_tail(&self->o, &sub));
	EXPECT_EQ(0, byteor_journal_subscriber_slot(sub));
	ASSERT_EQ(1, byteor_journal_subscribers(self->obs, v, 2));
	EXPECT_EQ(1, v[0].alive);
	EXPECT_EQ(0U, v[0].read);
	EXPECT_EQ(2U, v[0].attaches);
	byteor_journal_detach(sub);
	close(up[0]);
	close(up[1]);
}

TEST_F(js, read_only_and_surplus_subscribers_attach_unregistered)
{
	struct byteor_journal *subs[BYTEOR_JOURNAL_SUBSCRIBERS + 1];
	struct byteor_journal_subscriber_snap v[BYTEOR_JOURNAL_SUBSCRIBERS];
	unsigned int i;

	EXPECT_EQ(-ENOENT, byteor_journal_subscriber_slot(self->obs));
	EXPECT_EQ(-EBADF, byteor_journal_subscriber_slot(self->pub));
	EXPECT_EQ(-EINVAL, byteor_journal_subscriber_slot(NULL));
	EXPECT_EQ(-EINVAL, byteor_journal_subscribers(NULL, v, 1));
	EXPECT_EQ(-EINVAL, byteor_journal_subscribers(self->obs, NULL, 1));
	for (i = 0; i <= BYTEOR_JOURNAL_SUBSCRIBERS; i++)
		ASSERT_EQ(0, byteor_attach_journal_subscriber_tail(&self->o,
								   &subs[i]));
	for (i = 0; i < BYTEOR_JOURNAL_SUBSCRIBERS; i++)
		EXPECT_EQ((int)i, byteor_journal_subscriber_slot(subs[i]));
	/* The 33rd reads like the others, unregistered. */
	EXPECT_EQ(-ENOENT, byteor_journal_subscriber_slot(subs[i]));
	EXPECT_EQ((int)BYTEOR_JOURNAL_SUBSCRIBERS,
		  byteor_journal_subscribers(self->obs, v, 2));
	ASSERT_EQ(0, js_append(self->pub, 1));
	EXPECT_EQ(24, js_read(subs[i], 1) ? -1 : 24);
	for (i = 0; i <= BYTEOR_JOURNAL_SUBSCRIBERS; i++)
		byteor_journal_detach(subs[i]);
}

TEST_F(js, subscribers_leave_the_publisher_claim_and_records_alone)
{
	struct byteor_journal_snapshot s;
	struct byteor_journal *sub;
	struct byteor_region_info info;

	ASSERT_EQ(0, byteor_attach_journal_subscriber_tail(&self->o, &sub));
	ASSERT_EQ(0, js_append(self->pub, 7));
	ASSERT_EQ(0, byteor_journal_snapshot(self->obs, &s));
	EXPECT_EQ(1, s.publisher_alive);
	EXPECT_EQ(7U, s.records);
	ASSERT_EQ(0, byteor_region_info(NAME, BYTEOR_BACKING_USER, self->d.path,
					&info));
	EXPECT_EQ(2U, BYTEOR_JOURNAL_VERSION);
	EXPECT_EQ(BYTEOR_JOURNAL_VERSION, info.layout_version);
	EXPECT_EQ(1U + BYTEOR_JOURNAL_SUBSCRIBERS, info.layout.nr_claims);
	EXPECT_EQ(2U, info.nr_claims_held);	/* publisher + subscriber */
	byteor_journal_detach(sub);
}

TEST_HARNESS_MAIN
