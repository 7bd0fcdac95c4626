// SPDX-License-Identifier: GPL-2.0-only
/*
 * device_access - who may open /dev/byteor at all.  The module makes the
 * node 0600 root:root (the runner checks it before any rule runs); the
 * packages' udev rule, packaging/60-byteor.rules, which the guest's udevd
 * applies, gives it to group byteor, mode 0660.  So a member of byteor
 * opens, attaches and maps; another user, even one in the module's create
 * group, is refused at open (EACCES) before any ioctl could check its own
 * rights.
 *
 * The group's gid: BYTEOR_DEVICE_GID from the runner, else group byteor
 * of /etc/group.  Users are staged in forked children of the root pass.
 */
#include "byteor_test.h"

#define STRANGER_UID	2000	/* a user in no group of byteor's */
#define STRANGER_GID	2000

FIXTURE(dev) {
	struct bt_res r;
	long gid;		/* the device group */
};

FIXTURE_SETUP(dev)
{
	if (!bt_have_dev())
		BT_SETUP_SKIP("no %s: byteor.ko is not loaded", BT_DEV);
	self->gid = bt_device_gid();
	if (self->gid < 0)
		BT_SETUP_SKIP("no group byteor (BYTEOR_DEVICE_GID, /etc/group): the udev rule is not installed");
}

FIXTURE_TEARDOWN(dev)
{
	bt_res_release(&self->r);
}

struct who {
	uid_t uid;
	gid_t gid;
	gid_t groups[2];
	size_t ngroups;
	const char *name;	/* a region to attach, or NULL */
};

/* In a child: become @w (root pass only), then open and attach. */
static int open_as(void *p)
{
	const struct who *w = p;
	struct byteor_attach a;
	unsigned char *m;
	int fd, ret;

	if (geteuid() == 0) {
		ret = bt_drop_privs(w->uid, w->gid, w->groups, w->ngroups);
		if (ret) {
			fprintf(stderr, "#   cannot drop privileges: %s\n", strerror(-ret));
			return 99;
		}
	}
	fd = bt_open();
	if (fd < 0) {
		fprintf(stderr, "#   uid %d: open %s: %s\n", (int)getuid(), BT_DEV,
			strerror(-fd));
		/* the statuses the test tells apart: refused, or another error */
		return fd == -EACCES ? 10 : 11;
	}
	if (!w->name)
		return 0;
	ret = bt_attach(fd, w->name, BYTEOR_ROLE_CONSUMER, &a);
	if (ret) {
		fprintf(stderr, "#   attach %s: %s\n", w->name, strerror(-ret));
		return 12;
	}
	m = bt_map_rw(fd, a.info.size);
	if (m == MAP_FAILED) {
		fprintf(stderr, "#   mmap: %s\n", strerror(errno));
		return 13;
	}
	m[BYTEOR_HEADER_SIZE] = 0x5a;
	return 0;
}

static int run_as(struct bt_res *r, struct who *w)
{
	pid_t pid = bt_res_pid(r, bt_spawn(open_as, w));

	if (pid < 0)
		return -errno;
	return bt_res_wait(r, pid);
}

TEST_F(dev, device_node_is_root_byteor_0660)
{
	struct stat st;

	ASSERT_EQ(0, stat(BT_DEV, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0U, st.st_uid);
	EXPECT_EQ((gid_t)self->gid, st.st_gid);
	EXPECT_EQ(0660U, st.st_mode & 07777U) {
		TH_LOG("mode %04o", st.st_mode & 07777U);
	}
}

TEST_F(dev, device_group_member_opens_attaches_and_maps)
{
	struct who w = {
		BT_USER_UID, BT_USER_GID, { (gid_t)self->gid }, 1,
		bt_res_name(&self->r, "member"),
	};
	struct byteor_attach a;
	volatile unsigned char *m;
	int fd;

	if (bt_as_user() && !bt_in_group(self->gid))
		SKIP(return, "this uid is not in the device group %ld", self->gid);
	if (!bt_can_create())
		SKIP(return, "cannot create the region to attach");
	fd = bt_res_fd(&self->r, bt_open());
	ASSERT_LE(0, fd);
	/* mode 0666: only the device's own permission is in question */
	ASSERT_EQ(0, bt_create(fd, w.name, 0, NULL));
	/* the member is in the device group only, not the create group */
	ASSERT_EQ(0, run_as(&self->r, &w));
	ASSERT_EQ(0, bt_attach(fd, w.name, BYTEOR_ROLE_OBSERVER, &a));
	m = bt_res_map(&self->r, mmap(NULL, a.info.size, PROT_READ, MAP_SHARED,
				      fd, 0), a.info.size);
	ASSERT_NE(MAP_FAILED, m);
	EXPECT_EQ(0x5a, m[BYTEOR_HEADER_SIZE]);
}

TEST_F(dev, user_outside_the_device_group_cannot_open_eacces)
{
	struct who stranger = { STRANGER_UID, STRANGER_GID, { 0 }, 0, NULL };
	struct who creator = {
		BT_USER_UID, BT_USER_GID, { (gid_t)bt_create_gid() }, 1, NULL,
	};

	if (bt_as_user())
		SKIP(return, "needs root to become another user; the root pass checks it");
	EXPECT_EQ(10, run_as(&self->r, &stranger));
	/* the create group grants CREATE, not the device */
	if (bt_create_gid() >= 0)
		EXPECT_EQ(10, run_as(&self->r, &creator));
}

TEST_HARNESS_MAIN
