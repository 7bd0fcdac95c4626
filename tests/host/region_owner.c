// SPDX-License-Identifier: GPL-2.0-only
/*
 * region_owner - who owns a region, on the userspace backing: create gives
 * it the owner and group asked for (BYTEOR_REGION_F_OWNER) before it has a
 * name, refuses bad requests with nothing created, and an attach that
 * expects an owner (BYTEOR_ATTACH_EXPECT_OWNER) refuses a region someone
 * else owns - the name squatted by another user first.
 *
 * Giving a file away needs CAP_CHOWN: those tests skip without it.  The
 * kernel backing's side is tests/kernel/permissions.c.
 */
#include "kselftest_harness.h"
#include "host_test.h"
#include <sys/stat.h>
#include <byteor/single_ring.h>

#define OTHER_UID	65534	/* nobody */
#define OTHER_GID	65533

FIXTURE(owner) {
	struct ht_dir d;
	struct byteor_region_options o;
};

FIXTURE_SETUP(owner)
{
	HT_DIR_SETUP(&self->d, false);
	memset(&self->o, 0, sizeof(self->o));
	self->o.name = "own.r";
	self->o.kind = BYTEOR_KIND_SINGLE_RING;
	self->o.geometry = ht_geom(64, 1024, 1, 1);
	self->o.backing = BYTEOR_BACKING_USER;
	self->o.dir = self->d.path;
}

FIXTURE_TEARDOWN(owner)
{
	ht_dir_teardown(&self->d);
}

static bool absent(const char *dir)
{
	struct byteor_region_info i;

	return byteor_region_info("own.r", BYTEOR_BACKING_USER, dir, &i) ==
	       -ENOENT;
}

/* The directory holds nothing but what the fixture put there. */
static int files_in(const char *dir)
{
	return ht_sh("test -z \"$(ls -A %s | grep -v '^\\.out')\"", dir) ? 1 : 0;
}

static bool can_chown(void)
{
	return geteuid() == 0;
}

static int attach_expecting(const char *dir, __u32 uid,
			    struct byteor_single_ring **r)
{
	struct byteor_attach_options a = ht_opts(dir, "own.r");

	a.flags = BYTEOR_ATTACH_EXPECT_OWNER;
	a.expect_uid = uid;
	return byteor_attach_single_ring(&a, BYTEOR_ROLE_PRODUCER, r);
}

TEST_F(owner, create_gives_the_region_the_owner_and_group_asked_for)
{
	struct byteor_region_info info;
	char path[HT_PATH * 2];
	struct stat st;

	HT_SETUP_SKIPPED();
	if (!can_chown())
		SKIP(return, "giving a file away needs CAP_CHOWN (run as root)");
	self->o.flags = BYTEOR_REGION_F_OWNER;
	self->o.uid = OTHER_UID;
	self->o.gid = OTHER_GID;
	self->o.mode = 0640;
	ASSERT_EQ(0, byteor_region_create(&self->o, &info));
	EXPECT_EQ(OTHER_UID, info.uid);
	EXPECT_EQ(OTHER_GID, info.gid);
	EXPECT_EQ(0640, info.mode);
	/* The file itself, not only the descriptor, and the header's copy. */
	ht_region_path(path, sizeof(path), self->d.path, "own.r");
	ASSERT_EQ(0, stat(path, &st));
	EXPECT_EQ(OTHER_UID, st.st_uid);
	EXPECT_EQ(OTHER_GID, st.st_gid);
	EXPECT_EQ(0640, st.st_mode & 07777);
}

TEST_F(owner, create_with_minus_one_keeps_the_callers_half)
{
	struct byteor_region_info info;

	HT_SETUP_SKIPPED();
	if (!can_chown())
		SKIP(return, "giving a file away needs CAP_CHOWN (run as root)");
	self->o.flags = BYTEOR_REGION_F_OWNER;
	self->o.uid = (__u32)-1;
	self->o.gid = OTHER_GID;
	ASSERT_EQ(0, byteor_region_create(&self->o, &info));
	EXPECT_EQ(geteuid(), info.uid);
	EXPECT_EQ(OTHER_GID, info.gid);
}

TEST_F(owner, owner_without_the_flag_is_einval_and_creates_nothing)
{
	HT_SETUP_SKIPPED();
	self->o.uid = OTHER_UID;
	EXPECT_EQ(-EINVAL, byteor_region_create(&self->o, NULL));
	EXPECT_TRUE(absent(self->d.path));
	self->o.uid = 0;
	self->o.gid = OTHER_GID;
	EXPECT_EQ(-EINVAL, byteor_region_create(&self->o, NULL));
	EXPECT_TRUE(absent(self->d.path));
}

TEST_F(owner, unknown_create_flag_is_einval_and_creates_nothing)
{
	HT_SETUP_SKIPPED();
	self->o.flags = 1U << 5;
	EXPECT_EQ(-EINVAL, byteor_region_create(&self->o, NULL));
	EXPECT_TRUE(absent(self->d.path));
	EXPECT_EQ(0, files_in(self->d.path));
}

TEST_F(owner, not_allowed_to_give_away_is_eperm_and_creates_nothing)
{
	pid_t pid;
	int st;

	HT_SETUP_SKIPPED();
	if (!can_chown())
		SKIP(return, "needs root to drop to another user");
	ASSERT_EQ(0, chmod(self->d.path, 0777));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* An ordinary user may not give a file to someone else. */
		if (setgid(OTHER_GID) || setuid(OTHER_UID))
			_exit(90);
		self->o.flags = BYTEOR_REGION_F_OWNER;
		self->o.uid = 0;
		self->o.gid = 0;
		_exit(byteor_region_create(&self->o, NULL) == -EPERM ? 0 : 91);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));
	EXPECT_TRUE(absent(self->d.path));
	/* No temporary left behind either (a dot-name of the fallback). */
	EXPECT_EQ(0, files_in(self->d.path));
}

TEST_F(owner, attach_expecting_the_owner_attaches)
{
	struct byteor_single_ring *r = NULL;

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, byteor_region_create(&self->o, NULL));
	ASSERT_EQ(0, attach_expecting(self->d.path, geteuid(), &r));
	byteor_single_ring_detach(r);
}

TEST_F(owner, attach_expecting_another_owner_is_eperm_and_claims_nothing)
{
	struct byteor_single_ring *r = NULL;
	struct byteor_region_info info;

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, byteor_region_create(&self->o, NULL));
	/* The region is the caller's: a squatter's, to one expecting 4242. */
	EXPECT_EQ(-EPERM, attach_expecting(self->d.path, 4242, &r));
	EXPECT_EQ(NULL, r);
	ASSERT_EQ(0, byteor_region_info("own.r", BYTEOR_BACKING_USER,
					self->d.path, &info));
	EXPECT_EQ(0, info.nr_claims_held);
	/* The role is still free for the rightful producer. */
	ASSERT_EQ(0, attach_expecting(self->d.path, geteuid(), &r));
	byteor_single_ring_detach(r);
}

TEST_F(owner, attach_expecting_a_given_away_owner_follows_the_file)
{
	struct byteor_single_ring *r = NULL;

	HT_SETUP_SKIPPED();
	if (!can_chown())
		SKIP(return, "giving a file away needs CAP_CHOWN (run as root)");
	self->o.flags = BYTEOR_REGION_F_OWNER;
	self->o.uid = OTHER_UID;
	self->o.gid = OTHER_GID;
	ASSERT_EQ(0, byteor_region_create(&self->o, NULL));
	EXPECT_EQ(-EPERM, attach_expecting(self->d.path, geteuid(), &r));
	ASSERT_EQ(0, attach_expecting(self->d.path, OTHER_UID, &r));
	byteor_single_ring_detach(r);
}

TEST_F(owner, expected_uid_without_the_flag_is_einval)
{
	struct byteor_attach_options a = ht_opts(self->d.path, "own.r");
	struct byteor_single_ring *r = NULL;

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, byteor_region_create(&self->o, NULL));
	a.expect_uid = 4242;
	EXPECT_EQ(-EINVAL, byteor_attach_single_ring(&a, BYTEOR_ROLE_PRODUCER, &r));
}

TEST_F(owner, list_all_names_unreadable_regions_that_list_skips)
{
	struct byteor_region_info v[4];
	pid_t pid;
	int st;

	HT_SETUP_SKIPPED();
	if (!can_chown())
		SKIP(return, "needs root to drop to another user");
	ASSERT_EQ(0, chmod(self->d.path, 01777));
	self->o.mode = 0600;
	ASSERT_EQ(0, byteor_region_create(&self->o, NULL));
	EXPECT_EQ(-EINVAL, byteor_region_list_all(BYTEOR_BACKING_USER,
						  self->d.path, 1U << 7, v, 4));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (setgid(OTHER_GID) || setuid(OTHER_UID))
			_exit(90);
		/* list skips what it cannot read; list_all names it, flagged. */
		if (byteor_region_list(BYTEOR_BACKING_USER, self->d.path, v, 4))
			_exit(91);
		if (byteor_region_list_all(BYTEOR_BACKING_USER, self->d.path,
					   BYTEOR_LIST_UNREADABLE, v, 4) != 1)
			_exit(92);
		if (strcmp(v[0].name, "own.r") || v[0].uid != 0 ||
		    v[0].mode != 0600 || v[0].kind != 0 ||
		    v[0].size != 2U << 20 ||
		    v[0].flags != BYTEOR_INFO_F_UNREADABLE)
			_exit(93);
		/* Without the flag, list_all is list. */
		_exit(byteor_region_list_all(BYTEOR_BACKING_USER, self->d.path,
					     0, v, 4) == 0 ? 0 : 94);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));
	/* The owner reads it whole, unflagged. */
	ASSERT_EQ(1, byteor_region_list_all(BYTEOR_BACKING_USER, self->d.path,
					    BYTEOR_LIST_UNREADABLE, v, 4));
	EXPECT_EQ(BYTEOR_KIND_SINGLE_RING, v[0].kind);
	EXPECT_EQ(0, v[0].flags & BYTEOR_INFO_F_UNREADABLE);
}

TEST_HARNESS_MAIN
