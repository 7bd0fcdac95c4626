// SPDX-License-Identifier: GPL-2.0-only
/*
 * lanes_owner - libbyteor's owner options on the kernel backing (the
 * userspace backing's side is tests/host/region_owner.c): create with
 * BYTEOR_REGION_F_OWNER gives the region the owner and group asked for
 * through BYTEOR_CREATE_F_OWNER ((__u32)-1 the caller's), a creator
 * without CAP_CHOWN gets -EPERM and nothing is created, an attach with
 * BYTEOR_ATTACH_EXPECT_OWNER refuses a region someone else owns (-EPERM)
 * and leaves its role free, and byteor_region_list_all() lists every
 * region, none flagged unreadable.
 */
#include "lanes_test.h"

#define OTHER_UID	1234U
#define OTHER_GID	5678U

FIXTURE(owner) {
	struct bt_res res;
	int fd;
};

FIXTURE_SETUP(owner)
{
	LN_SETUP_CHECKS();
	self->fd = bt_res_fd(&self->res, bt_open());
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(owner)
{
	bt_res_release(&self->res);
}

#define NEED_ROOT() do {							\
	if (geteuid() != 0)							\
		SKIP(return, "gives regions away: needs root (CAP_CHOWN)");	\
} while (0)

static struct byteor_region_options owner_opts(const char *name, __u32 uid,
					       __u32 gid)
{
	struct byteor_region_options o = {
		.name = name, .kind = BYTEOR_KIND_SINGLE_RING,
		.geometry = ln_geom(64, 1024, 1, 1),
		.backing = BYTEOR_BACKING_KERNEL, .mode = 0666,
		.flags = BYTEOR_REGION_F_OWNER, .uid = uid, .gid = gid,
	};

	return o;
}

static int attach_expecting(const char *name, __u32 uid,
			    struct byteor_single_ring **r)
{
	struct byteor_attach_options a = ln_opts(name, 0, 0);

	a.flags = BYTEOR_ATTACH_EXPECT_OWNER;
	a.expect_uid = uid;
	return byteor_attach_single_ring(&a, BYTEOR_ROLE_PRODUCER, r);
}

TEST_F(owner, create_gives_the_region_the_owner_asked_for)
{
	const char *name = bt_res_name(&self->res, "own1");
	struct byteor_region_options o = owner_opts(name, OTHER_UID, OTHER_GID);
	struct byteor_region_info info;

	NEED_ROOT();
	ASSERT_EQ(0, byteor_region_create(&o, &info));
	EXPECT_EQ(OTHER_UID, info.uid);
	EXPECT_EQ(OTHER_GID, info.gid);
	EXPECT_EQ(0666U, info.mode);
	ASSERT_EQ(0, byteor_region_info(name, BYTEOR_BACKING_KERNEL, NULL, &info));
	EXPECT_EQ(OTHER_UID, info.uid);
}

TEST_F(owner, minus_one_keeps_the_callers_half)
{
	const char *name = bt_res_name(&self->res, "own2");
	struct byteor_region_options o = owner_opts(name, (__u32)-1, OTHER_GID);
	struct byteor_region_info info;

	NEED_ROOT();
	ASSERT_EQ(0, byteor_region_create(&o, &info));
	EXPECT_EQ((__u32)geteuid(), info.uid);
	EXPECT_EQ(OTHER_GID, info.gid);
}

struct give_away {
	const char *name;
	long create_gid;
};

/* As uid 1000 in the create group: may create, may not give away. */
static int give_away_as_user(void *p)
{
	const struct give_away *g = p;
	struct byteor_region_options o = owner_opts(g->name, 0, 0);
	struct byteor_region_info info;
	/* and in the group udev gives /dev/byteor, to open it at all */
	gid_t grp[2] = { (gid_t)g->create_gid, (gid_t)bt_device_gid() };

	if (geteuid() == 0 &&
	    bt_drop_privs(BT_USER_UID, BT_USER_GID, grp, bt_device_gid() < 0 ? 1 : 2))
		return 90;
	if (byteor_region_create(&o, NULL) != -EPERM)
		return 91;
	if (byteor_region_info(g->name, BYTEOR_BACKING_KERNEL, NULL, &info) !=
	    -ENOENT)
		return 92;
	/* The same request without the owner is allowed: it was the owner. */
	o.flags = 0;
	o.uid = 0;
	o.gid = 0;
	return byteor_region_create(&o, NULL) ? 93 : 0;
}

TEST_F(owner, a_creator_without_cap_chown_gets_eperm_and_nothing_is_created)
{
	struct give_away g = {
		.name = bt_res_name(&self->res, "own3"),
		.create_gid = bt_create_gid(),
	};
	pid_t pid;

	if (g.create_gid < 0)
		SKIP(return, "no create group: an unprivileged user cannot create");
	if (geteuid() != 0 && !bt_in_group(g.create_gid))
		SKIP(return, "not in the create group");
	pid = bt_res_pid(&self->res, bt_spawn(give_away_as_user, &g));
	ASSERT_LT(0, pid);
	EXPECT_EQ(0, bt_res_wait(&self->res, pid));
}

TEST_F(owner, attach_expecting_another_owner_is_eperm_and_leaves_the_role_free)
{
	const char *name = bt_res_name(&self->res, "own4");
	struct byteor_region_options o = owner_opts(name, OTHER_UID, OTHER_GID);
	struct byteor_single_ring *r = NULL;
	struct byteor_region_info info;

	NEED_ROOT();
	ASSERT_EQ(0, byteor_region_create(&o, NULL));
	/* Owned by 1234: one expecting root's region is refused. */
	EXPECT_EQ(-EPERM, attach_expecting(name, 0, &r));
	EXPECT_EQ(NULL, r);
	ASSERT_EQ(0, byteor_region_info(name, BYTEOR_BACKING_KERNEL, NULL, &info));
	EXPECT_EQ(0U, info.nr_claims_held);
	/* The rightful expectation attaches, to the role still free. */
	ASSERT_EQ(0, attach_expecting(name, OTHER_UID, &r));
	byteor_single_ring_detach(r);
}

TEST_F(owner, list_all_lists_every_region_none_unreadable)
{
	const char *name = bt_res_name(&self->res, "own5");
	struct byteor_region_options o = owner_opts(name, OTHER_UID, OTHER_GID);
	struct byteor_region_info v[128];
	int i, n, found = 0;

	NEED_ROOT();
	o.mode = 0600;
	ASSERT_EQ(0, byteor_region_create(&o, NULL));
	n = byteor_region_list_all(BYTEOR_BACKING_KERNEL, NULL,
				   BYTEOR_LIST_UNREADABLE, v, 128);
	ASSERT_LE(1, n);
	for (i = 0; i < n && i < 128; i++) {
		EXPECT_EQ(0U, v[i].flags & BYTEOR_INFO_F_UNREADABLE);
		if (!strcmp(v[i].name, name)) {
			found++;
			EXPECT_EQ(OTHER_UID, v[i].uid);
			EXPECT_EQ((__u32)BYTEOR_KIND_SINGLE_RING, v[i].kind);
		}
	}
	EXPECT_EQ(1, found);
	EXPECT_EQ(-EINVAL, byteor_region_list_all(BYTEOR_BACKING_KERNEL, NULL,
						  1U << 9, v, 128));
}

TEST_HARNESS_MAIN
