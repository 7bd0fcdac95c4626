// SPDX-License-Identifier: GPL-2.0-only
/*
 * permissions - who may create, attach and destroy: CAP_SYS_ADMIN or the
 * module's create group for CREATE; the region's owner, group and mode
 * bits for ATTACH (read for observers, read+write for the rest); owner,
 * create group or admin for DESTROY.
 *
 * The other user's side runs in a forked child.  In the root pass the child
 * drops to uid/gid 1000 with exactly the groups a test needs (and the
 * device group, which device_access tests on its own), so root can
 * stage regions another user does not own.  In the BYTEOR_AS_USER pass the
 * child keeps the caller's identity; tests that need a region owned by
 * someone else skip there.
 */
#include "byteor_test.h"

#define OTHER_GID	3000	/* a group uid 1000 is put in, or not */

FIXTURE(perm) {
	struct bt_res r;
	int fd;
};

FIXTURE_SETUP(perm)
{
	if (!bt_have_dev())
		BT_SETUP_SKIP("no %s: byteor.ko is not loaded", BT_DEV);
	self->fd = bt_res_fd(&self->r, bt_open());
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(perm)
{
	bt_res_release(&self->r);
}

/* A check in a child: log like TH_LOG and give the step as exit status. */
static int child_check(long got, long want, int step, const char *what)
{
	if (got == want)
		return 0;
	fprintf(stderr, "#   child uid %d step %d: %s: got %ld, want %ld\n",
		(int)getuid(), step, what, got, want);
	return step;
}

#define CHILD_CHECK(got, want, step, what) do { \
	int __r = child_check((got), (want), (step), (what)); \
	if (__r) \
		return __r; \
} while (0)

struct as_user {
	int (*fn)(void *);
	void *arg;
	const gid_t *groups;
	size_t ngroups;
};

static int as_user_child(void *p)
{
	struct as_user *u = p;

	if (geteuid() == 0) {
		/*
		 * The user is a member of the device group (udev gives it
		 * /dev/byteor) in every case: what is tested here is the
		 * ioctls' own rights, behind the open.
		 */
		long dgid = bt_device_gid();
		gid_t groups[8];
		size_t n = 0;
		int ret;

		if (u->ngroups >= ARRAY_SIZE(groups))
			return 98;
		if (dgid >= 0)
			groups[n++] = (gid_t)dgid;
		if (u->ngroups)
			memcpy(groups + n, u->groups, u->ngroups * sizeof(*groups));
		n += u->ngroups;
		ret = bt_drop_privs(BT_USER_UID, BT_USER_GID, groups, n);
		if (ret) {
			fprintf(stderr, "#   cannot drop privileges: %s\n",
				strerror(-ret));
			return 99;
		}
	}
	return u->fn(u->arg);
}

/*
 * Run @fn(@arg) in a child as uid 1000 with supplementary @groups (root
 * pass), or as the caller (user pass).  Return: its exit status.
 */
static int run_as_user(struct bt_res *r, int (*fn)(void *), void *arg,
		       const gid_t *groups, size_t ngroups)
{
	struct as_user u = { fn, arg, groups, ngroups };
	pid_t pid = bt_res_pid(r, bt_spawn(as_user_child, &u));

	if (pid < 0)
		return -errno;
	return bt_res_wait(r, pid);
}

/* Root makes a region another user does not own: uid 0, gid @gid. */
static int create_owned(int fd, const char *name, __u32 gid, __u32 mode)
{
	struct byteor_create c;

	bt_create_req(&c, name, 0);
	c.flags = BYTEOR_CREATE_F_OWNER;
	c.uid = 0;
	c.gid = gid;
	c.mode = mode;
	return bt_ioctl(fd, BYTEOR_IOC_CREATE, &c);
}

struct req {
	const char *name;
	int want_observer;	/* attach results, by role */
	int want_consumer;
	int want_producer;
	bool write;		/* map read-write and write a mark */
};

static int attach_as(const char *name, __u32 role, struct byteor_attach *a)
{
	int ret, fd = bt_open();

	if (fd < 0)
		return fd;
	ret = bt_attach(fd, name, role, a);
	/* keep the file: a claim must live until this child exits */
	if (ret)
		close(fd);
	return ret ? ret : fd;
}

static int try_attach(void *p)
{
	struct req *q = p;
	struct byteor_attach a;
	int fd;

	fd = attach_as(q->name, BYTEOR_ROLE_OBSERVER, &a);
	CHILD_CHECK(fd < 0 ? fd : 0, q->want_observer, 1, "observer attach");
	fd = attach_as(q->name, BYTEOR_ROLE_CONSUMER, &a);
	CHILD_CHECK(fd < 0 ? fd : 0, q->want_consumer, 2, "consumer attach");
	if (fd >= 0 && q->write) {
		unsigned char *m = bt_map_rw(fd, a.info.size);

		CHILD_CHECK(m == MAP_FAILED ? -errno : 0, 0, 3, "map read-write");
		m[BYTEOR_HEADER_SIZE] = 0x5a;
	}
	fd = attach_as(q->name, BYTEOR_ROLE_PRODUCER, &a);
	CHILD_CHECK(fd < 0 ? fd : 0, q->want_producer, 4, "producer attach");
	return 0;
}

static int try_create(void *p)
{
	const char *name = p;
	int fd = bt_open();

	CHILD_CHECK(fd < 0 ? fd : 0, 0, 1, "open " BT_DEV);
	CHILD_CHECK(bt_create(fd, name, 0, NULL), -EPERM, 2, "create");
	return 0;
}

TEST_F(perm, create_by_a_user_outside_the_create_group_fails_eperm)
{
	const char *name = bt_res_name(&self->r, "eperm");

	if (bt_as_user() && bt_in_group(bt_create_gid()))
		SKIP(return, "this uid is in the create group %ld; the root pass checks it",
		     bt_create_gid());
	ASSERT_EQ(0, run_as_user(&self->r, try_create, (void *)name, NULL, 0));
	EXPECT_EQ(-ENOENT, bt_info(self->fd, name, NULL));
}

struct group_member {
	const char *name;
	const char *theirs;	/* a region of root's, to destroy */
};

static int create_as_member(void *p)
{
	struct group_member *g = p;
	struct byteor_create c;
	struct byteor_info in;
	int fd = bt_open();

	CHILD_CHECK(fd < 0 ? fd : 0, 0, 1, "open " BT_DEV);
	bt_create_req(&c, g->name, 0);
	CHILD_CHECK(bt_ioctl(fd, BYTEOR_IOC_CREATE, &c), 0, 2, "create");
	CHILD_CHECK(bt_info(fd, g->name, &in), 0, 3, "info");
	CHILD_CHECK(in.info.uid, (long)geteuid(), 4, "owner uid");
	CHILD_CHECK(in.info.gid, (long)getegid(), 5, "owner gid");
	/* handing the region to someone else takes CAP_CHOWN */
	bt_create_req(&c, "", 0);
	snprintf(c.name, sizeof(c.name), "%s.o", g->name);
	c.flags = BYTEOR_CREATE_F_OWNER;
	CHILD_CHECK(bt_ioctl(fd, BYTEOR_IOC_CREATE, &c), -EPERM, 6,
		    "create with F_OWNER");
	CHILD_CHECK(bt_info(fd, c.name, NULL), -ENOENT, 7, "F_OWNER region absent");
	/* the group may destroy any region: its own, and root's */
	CHILD_CHECK(bt_destroy(fd, g->name), 0, 8, "destroy own");
	if (g->theirs)
		CHILD_CHECK(bt_destroy(fd, g->theirs), 0, 9, "destroy root's");
	return 0;
}

TEST_F(perm, create_group_member_may_create_and_destroy_regions)
{
	struct group_member g = { bt_res_name(&self->r, "member"), NULL };
	long cg = bt_create_gid();
	gid_t groups[1] = { (gid_t)cg };

	if (cg < 0)
		SKIP(return, "the module has no create group (create_gid=-1)");
	if (bt_as_user() && !bt_in_group(cg))
		SKIP(return, "this uid is not in the create group %ld", cg);
	if (!bt_as_user()) {
		g.theirs = bt_res_name(&self->r, "roots");
		ASSERT_EQ(0, create_owned(self->fd, g.theirs, 0, 0600));
	}
	ASSERT_EQ(0, run_as_user(&self->r, create_as_member, &g, groups, 1));
	EXPECT_EQ(-ENOENT, bt_info(self->fd, g.name, NULL));
	if (g.theirs)
		EXPECT_EQ(-ENOENT, bt_info(self->fd, g.theirs, NULL));
}

static int owner_modes(void *p)
{
	static const struct { __u32 mode; int obs, cons; } t[] = {
		{ 0600, 0, 0 },
		{ 0400, 0, -EACCES },
		{ 0200, -EACCES, -EACCES },
		{ 0000, -EACCES, -EACCES },
		/* the owner's bits count, not the group's or others' */
		{ 0066, -EACCES, -EACCES },
	};
	const char *name = p;
	struct byteor_create c;
	struct req q = { name, 0, 0, 0, false };
	unsigned int i;
	int fd = bt_open();

	CHILD_CHECK(fd < 0 ? fd : 0, 0, 1, "open " BT_DEV);
	for (i = 0; i < ARRAY_SIZE(t); i++) {
		int ret;

		bt_create_req(&c, name, 0);
		c.mode = t[i].mode;
		CHILD_CHECK(bt_ioctl(fd, BYTEOR_IOC_CREATE, &c), 0, 10 + i, "create");
		q.want_observer = t[i].obs;
		q.want_consumer = t[i].cons;
		q.want_producer = t[i].cons;
		ret = try_attach(&q);
		if (ret) {
			fprintf(stderr, "#   mode %04o\n", t[i].mode);
			return 20 + ret;
		}
		CHILD_CHECK(bt_destroy(fd, name), 0, 30 + i, "destroy own");
	}
	return 0;
}

TEST_F(perm, owner_access_follows_the_owner_mode_bits)
{
	const char *name = bt_res_name(&self->r, "modes");
	long cg = bt_create_gid();
	gid_t groups[1] = { (gid_t)cg };

	if (!bt_can_create() || cg < 0)
		SKIP(return, "an unprivileged owner needs the create group (%ld)", cg);
	if (bt_as_user() && !bt_in_group(cg))
		SKIP(return, "this uid is not in the create group %ld", cg);
	ASSERT_EQ(0, run_as_user(&self->r, owner_modes, (void *)name, groups, 1));
}

#define NEED_ROOT() do { \
	if (bt_as_user()) \
		SKIP(return, "needs root to stage another user's region"); \
} while (0)

TEST_F(perm, other_user_cannot_attach_a_0600_region_eacces)
{
	struct req q = { bt_res_name(&self->r, "m0600"), -EACCES, -EACCES,
			 -EACCES, false };

	NEED_ROOT();
	ASSERT_EQ(0, create_owned(self->fd, q.name, 0, 0600));
	ASSERT_EQ(0, run_as_user(&self->r, try_attach, &q, NULL, 0));
}

TEST_F(perm, other_user_may_attach_a_0666_region_read_write)
{
	struct req q = { bt_res_name(&self->r, "m0666"), 0, 0, 0, true };
	struct byteor_attach a;
	volatile unsigned char *m;

	NEED_ROOT();
	ASSERT_EQ(0, create_owned(self->fd, q.name, 0, 0666));
	ASSERT_EQ(0, run_as_user(&self->r, try_attach, &q, NULL, 0));
	/* what the other user wrote is in the region */
	ASSERT_EQ(0, bt_attach(self->fd, q.name, BYTEOR_ROLE_OBSERVER, &a));
	m = bt_res_map(&self->r, mmap(NULL, a.info.size, PROT_READ, MAP_SHARED,
				      self->fd, 0), a.info.size);
	ASSERT_NE(MAP_FAILED, m);
	EXPECT_EQ(0x5a, m[BYTEOR_HEADER_SIZE]);
}

TEST_F(perm, other_user_may_observe_but_not_write_a_0644_region)
{
	struct req q = { bt_res_name(&self->r, "m0644"), 0, -EACCES, -EACCES,
			 false };

	NEED_ROOT();
	ASSERT_EQ(0, create_owned(self->fd, q.name, 0, 0644));
	ASSERT_EQ(0, run_as_user(&self->r, try_attach, &q, NULL, 0));
}

TEST_F(perm, group_bits_apply_to_members_of_the_owning_group)
{
	struct req member = { bt_res_name(&self->r, "g0660"), 0, 0, 0, true };
	struct req other = { member.name, -EACCES, -EACCES, -EACCES, false };
	struct req ro = { bt_res_name(&self->r, "g0640"), 0, -EACCES, -EACCES,
			  false };
	gid_t groups[1] = { OTHER_GID };

	NEED_ROOT();
	ASSERT_EQ(0, create_owned(self->fd, member.name, OTHER_GID, 0660));
	ASSERT_EQ(0, create_owned(self->fd, ro.name, OTHER_GID, 0640));
	EXPECT_EQ(0, run_as_user(&self->r, try_attach, &member, groups, 1));
	EXPECT_EQ(0, run_as_user(&self->r, try_attach, &other, NULL, 0));
	EXPECT_EQ(0, run_as_user(&self->r, try_attach, &ro, groups, 1));
}

struct destroy_req {
	const char *name;
	int want;
};

static int try_destroy(void *p)
{
	struct destroy_req *d = p;
	int fd = bt_open();

	CHILD_CHECK(fd < 0 ? fd : 0, 0, 1, "open " BT_DEV);
	CHILD_CHECK(bt_destroy(fd, d->name), d->want, 2, "destroy");
	return 0;
}

TEST_F(perm, other_user_cannot_destroy_a_region_eperm)
{
	struct destroy_req d = { bt_res_name(&self->r, "nodestroy"), -EPERM };

	NEED_ROOT();
	/* even one the user may read and write */
	ASSERT_EQ(0, create_owned(self->fd, d.name, 0, 0666));
	ASSERT_EQ(0, run_as_user(&self->r, try_destroy, &d, NULL, 0));
	EXPECT_EQ(0, bt_info(self->fd, d.name, NULL));
	EXPECT_EQ(1, bt_listed(self->fd, d.name));
}

TEST_F(perm, owner_may_destroy_its_region_without_the_create_group)
{
	struct destroy_req d = { bt_res_name(&self->r, "owned"), 0 };
	struct byteor_create c;

	NEED_ROOT();
	/* root hands the region to uid 1000, who is in no special group */
	bt_create_req(&c, d.name, 0);
	c.flags = BYTEOR_CREATE_F_OWNER;
	c.uid = BT_USER_UID;
	c.gid = BT_USER_GID;
	c.mode = 0600;
	ASSERT_EQ(0, bt_ioctl(self->fd, BYTEOR_IOC_CREATE, &c));
	ASSERT_EQ(0, run_as_user(&self->r, try_destroy, &d, NULL, 0));
	EXPECT_EQ(-ENOENT, bt_info(self->fd, d.name, NULL));
}

TEST_F(perm, create_with_owner_sets_uid_gid_and_mode)
{
	const char *name = bt_res_name(&self->r, "chown");
	const volatile struct byteor_region_header *h;
	struct byteor_create c;
	struct byteor_attach a;
	struct byteor_info in;

	NEED_ROOT();
	bt_create_req(&c, name, 0);
	c.flags = BYTEOR_CREATE_F_OWNER;
	c.uid = 1234;
	c.gid = 5678;
	c.mode = 0640;
	ASSERT_EQ(0, bt_ioctl(self->fd, BYTEOR_IOC_CREATE, &c));
	ASSERT_EQ(0, bt_info(self->fd, name, &in));
	EXPECT_EQ(1234U, in.info.uid);
	EXPECT_EQ(5678U, in.info.gid);
	EXPECT_EQ(0640U, in.info.mode);
	ASSERT_EQ(0, bt_attach(self->fd, name, BYTEOR_ROLE_OBSERVER, &a));
	h = bt_res_map(&self->r, mmap(NULL, a.info.size, PROT_READ, MAP_SHARED,
				      self->fd, 0), a.info.size);
	ASSERT_NE(MAP_FAILED, h);
	EXPECT_EQ(1234U, h->uid);
	EXPECT_EQ(5678U, h->gid);
	EXPECT_EQ(0640U, h->mode);
}

TEST_F(perm, root_attaches_whatever_the_mode_bits_say)
{
	struct byteor_create c;
	const char *name = bt_res_name(&self->r, "m0000");
	int fd;

	NEED_ROOT();
	/* CAP_DAC_OVERRIDE, as for a file: someone else's, mode 0 */
	bt_create_req(&c, name, 0);
	c.flags = BYTEOR_CREATE_F_OWNER;
	c.uid = 1234;
	c.gid = 1234;
	c.mode = 0;
	ASSERT_EQ(0, bt_ioctl(self->fd, BYTEOR_IOC_CREATE, &c));
	fd = bt_res_fd(&self->r, bt_open());
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, bt_attach(fd, name, BYTEOR_ROLE_PRODUCER, NULL));
}

TEST_HARNESS_MAIN
