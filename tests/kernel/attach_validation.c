// SPDX-License-Identifier: GPL-2.0-only
/*
 * attach_validation - every malformed request gets the errno the ABI
 * promises (include/uapi/byteor.h), and roles are claimed exclusively and
 * released when their holder dies.
 *
 * Fixture "dev" runs in both passes.  When the caller may create regions
 * (root, or a member of the module's create group), it creates one so a
 * malformed request about an existing name can only fail for being
 * malformed; otherwise the name is missing and validation must still come
 * first.  CREATE checks run only for callers who may create: for others
 * CREATE may say EPERM before it parses the name.  Fixture "ring" holds a
 * created single ring for the claim tests.
 */
#include "byteor_test.h"

#include <poll.h>
#include <stddef.h>
#include <sys/epoll.h>

/* ---------------------------------------------------------------------
 * One table describes the five ioctls for the generic checks.
 */
struct span {
	size_t off, len;
};

struct ioc_desc {
	const char *what;
	unsigned long cmd;
	size_t size;
	__u32 flags_ok;		/* flag bits the ioctl knows */
	bool creators_only;	/* CREATE: others may get EPERM first */
	size_t name_off;	/* offset of name[], or 0 for none */
	struct span reserved[16];
};

#define SPAN(type, field) { offsetof(type, field), sizeof(((type *)0)->field) }
#define GEO_RES(type, i) { offsetof(type, geometry.reserved) + 4 * (i), 4 }

static const struct ioc_desc iocs[] = {
	{ "CREATE", BYTEOR_IOC_CREATE, sizeof(struct byteor_create),
	  BYTEOR_CREATE_FLAGS, true, offsetof(struct byteor_create, name),
	  { SPAN(struct byteor_create, reserved0),
	    SPAN(struct byteor_create, reserved[0]),
	    SPAN(struct byteor_create, reserved[1]),
	    GEO_RES(struct byteor_create, 0), GEO_RES(struct byteor_create, 1),
	    GEO_RES(struct byteor_create, 5), GEO_RES(struct byteor_create, 8) } },
	{ "ATTACH", BYTEOR_IOC_ATTACH, sizeof(struct byteor_attach),
	  BYTEOR_ATTACH_FLAGS, false, offsetof(struct byteor_attach, name),
	  { SPAN(struct byteor_attach, reserved[0]),
	    SPAN(struct byteor_attach, reserved[1]),
	    SPAN(struct byteor_attach, reserved[2]),
	    SPAN(struct byteor_attach, reserved[3]),
	    GEO_RES(struct byteor_attach, 0), GEO_RES(struct byteor_attach, 8) } },
	{ "INFO", BYTEOR_IOC_INFO, sizeof(struct byteor_info),
	  BYTEOR_INFO_FLAGS, false, offsetof(struct byteor_info, name),
	  { SPAN(struct byteor_info, reserved[0]),
	    SPAN(struct byteor_info, reserved[1]),
	    SPAN(struct byteor_info, reserved[2]),
	    SPAN(struct byteor_info, reserved[3]) } },
	{ "LIST", BYTEOR_IOC_LIST, sizeof(struct byteor_list),
	  BYTEOR_LIST_FLAGS, false, 0,
	  { SPAN(struct byteor_list, reserved0),
	    SPAN(struct byteor_list, reserved[0]),
	    SPAN(struct byteor_list, reserved[1]),
	    SPAN(struct byteor_list, reserved[2]),
	    SPAN(struct byteor_list, reserved[3]) } },
	{ "DESTROY", BYTEOR_IOC_DESTROY, sizeof(struct byteor_destroy),
	  BYTEOR_DESTROY_FLAGS, false, offsetof(struct byteor_destroy, name),
	  { SPAN(struct byteor_destroy, reserved[0]),
	    SPAN(struct byteor_destroy, reserved[1]),
	    SPAN(struct byteor_destroy, reserved[2]),
	    SPAN(struct byteor_destroy, reserved[3]) } },
};

FIXTURE(dev) {
	struct bt_res r;
	bool creator;		/* may create: the region exists */
	const char *name;	/* exists if root, else missing */
	const char *fresh;	/* never exists unless CREATE misbehaves */
	const char *missing;
};

FIXTURE_SETUP(dev)
{
	int fd;

	if (!bt_have_dev())
		BT_SETUP_SKIP("no %s: byteor.ko is not loaded", BT_DEV);
	self->creator = bt_can_create();
	self->name = bt_res_name(&self->r, "dev");
	self->fresh = bt_res_name(&self->r, "fresh");
	self->missing = bt_res_name(&self->r, "missing");
	fd = bt_res_fd(&self->r, bt_open());
	ASSERT_LE(0, fd);
	/* braces: ASSERT_*() is two statements */
	if (self->creator) {
		ASSERT_EQ(0, bt_create(fd, self->name, 0, NULL));
	}
}

FIXTURE_TEARDOWN(dev)
{
	bt_res_release(&self->r);
}

/* A well-formed request for @d into @buf (at least d->size bytes). */
static void valid_req(FIXTURE_DATA(dev) *self, const struct ioc_desc *d,
		      void *buf)
{
	memset(buf, 0, d->size);
	switch (d->cmd) {
	case BYTEOR_IOC_CREATE:
		bt_create_req(buf, self->fresh, 0);
		break;
	case BYTEOR_IOC_ATTACH:
		bt_attach_req(buf, self->name, BYTEOR_ROLE_OBSERVER);
		break;
	case BYTEOR_IOC_INFO:
		bt_info_req(buf, self->name, 0);
		break;
	case BYTEOR_IOC_LIST:
		bt_list_req(buf, NULL, 0);
		break;
	case BYTEOR_IOC_DESTROY:
		bt_destroy_req(buf, self->name);
		break;
	}
}

/* What the well-formed request returns in this pass. */
static int valid_result(FIXTURE_DATA(dev) *self, const struct ioc_desc *d)
{
	if (d->cmd == BYTEOR_IOC_LIST || self->creator)
		return 0;
	return -ENOENT;
}

/* Send @buf on a fresh file, so no request sees another's attach. */
static int send_fresh(const struct ioc_desc *d, void *buf)
{
	int ret, fd = bt_open();

	if (fd < 0)
		return fd;
	ret = bt_ioctl(fd, d->cmd, buf);
	close(fd);
	return ret;
}

/* Undo what a request that should have failed did (root pass). */
static void undo(FIXTURE_DATA(dev) *self, const struct ioc_desc *d, int ret)
{
	int fd;

	if (ret || !self->creator)
		return;
	fd = bt_open();
	if (fd < 0)
		return;
	if (d->cmd == BYTEOR_IOC_CREATE)
		bt_destroy(fd, self->fresh);
	else if (d->cmd == BYTEOR_IOC_DESTROY)
		bt_create(fd, self->name, 0, NULL);
	close(fd);
}

static bool skip_desc(FIXTURE_DATA(dev) *self, const struct ioc_desc *d)
{
	return d->creators_only && !self->creator;
}

TEST_F(dev, well_formed_requests_are_accepted)
{
	unsigned char buf[1024];
	unsigned int i;
	int fd;

	/* the baseline every negative check below departs from */
	for (i = 0; i < ARRAY_SIZE(iocs); i++) {
		if (skip_desc(self, &iocs[i]))
			continue;
		valid_req(self, &iocs[i], buf);
		EXPECT_EQ(valid_result(self, &iocs[i]), send_fresh(&iocs[i], buf))
			TH_LOG("%s", iocs[i].what);
	}
	/* DESTROY above removed the region, CREATE made "fresh" */
	if (self->creator) {
		fd = bt_res_fd(&self->r, bt_open());
		EXPECT_EQ(-ENOENT, bt_info(fd, self->name, NULL));
		EXPECT_EQ(0, bt_info(fd, self->fresh, NULL));
	}
}

TEST_F(dev, missing_name_fails_enoent)
{
	int fd = bt_res_fd(&self->r, bt_open());

	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOENT, bt_attach(fd, self->missing, BYTEOR_ROLE_OBSERVER, NULL));
	EXPECT_EQ(-ENOENT, bt_attach(fd, self->missing, BYTEOR_ROLE_PRODUCER, NULL));
	EXPECT_EQ(-ENOENT, bt_info(fd, self->missing, NULL));
	EXPECT_EQ(-ENOENT, bt_destroy(fd, self->missing));
	/* the failed attach left the file unattached */
	EXPECT_EQ(-ENOENT, bt_info_attached(fd, NULL));
}

TEST_F(dev, unknown_ioctl_fails_enotty)
{
	unsigned char buf[1024] = { 0 };
	const unsigned long cmds[] = {
		_IO(BYTEOR_IOC_MAGIC, 0),
		_IOWR(BYTEOR_IOC_MAGIC, 0, struct byteor_create),
		_IOWR(BYTEOR_IOC_MAGIC, 6, struct byteor_create),
		_IOWR(BYTEOR_IOC_MAGIC, 0xff, struct byteor_info),
		_IOWR(BYTEOR_IOC_MAGIC + 1, 1, struct byteor_create),
		_IOWR('T', 2, struct byteor_attach),
		0x5401,				/* TCGETS */
	};
	unsigned int i;
	int fd = bt_res_fd(&self->r, bt_open());

	ASSERT_LE(0, fd);
	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		EXPECT_EQ(-ENOTTY, bt_ioctl(fd, cmds[i], buf))
			TH_LOG("cmd %#lx", cmds[i]);
	}
}

TEST_F(dev, known_number_with_another_size_or_direction_fails_enotty)
{
	unsigned char buf[2048] = { 0 };
	unsigned int i, nr;
	int fd = bt_res_fd(&self->r, bt_open());

	ASSERT_LE(0, fd);
	/*
	 * The command encodes the struct size: a number with another size
	 * or direction is another command, one this ABI does not have.
	 */
	for (i = 0; i < ARRAY_SIZE(iocs); i++) {
		const unsigned long cmd = iocs[i].cmd;
		const unsigned long other[] = {
			_IO(BYTEOR_IOC_MAGIC, _IOC_NR(cmd)),
			_IOC(_IOC_READ, BYTEOR_IOC_MAGIC, _IOC_NR(cmd), _IOC_SIZE(cmd)),
			_IOC(_IOC_WRITE | _IOC_READ, BYTEOR_IOC_MAGIC, _IOC_NR(cmd),
			     _IOC_SIZE(cmd) + 8),
			_IOC(_IOC_WRITE | _IOC_READ, BYTEOR_IOC_MAGIC, _IOC_NR(cmd),
			     _IOC_SIZE(cmd) - 8),
		};

		for (nr = 0; nr < ARRAY_SIZE(other); nr++) {
			valid_req(self, &iocs[i], buf);
			EXPECT_EQ(-ENOTTY, bt_ioctl(fd, other[nr], buf))
				TH_LOG("%s as %#lx", iocs[i].what, other[nr]);
		}
	}
}

/* Two pages, the second PROT_NONE: a struct ending in it faults. */
static unsigned char *guarded_page(void)
{
	unsigned char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (mprotect(p + 4096, 4096, PROT_NONE)) {
		munmap(p, 8192);
		return NULL;
	}
	return p;
}

TEST_F(dev, bad_argument_pointer_fails_efault_for_every_ioctl)
{
	unsigned char *g = guarded_page();
	unsigned int i;
	int ret, fd = bt_res_fd(&self->r, bt_open());

	ASSERT_LE(0, fd);
	ASSERT_NE(NULL, g);
	for (i = 0; i < ARRAY_SIZE(iocs); i++) {
		const struct ioc_desc *d = &iocs[i];
		unsigned char *straddle = g + 4096 - d->size + 1;

		if (skip_desc(self, d))
			continue;
		EXPECT_EQ(-EFAULT, ret = bt_ioctl(fd, d->cmd, NULL)) TH_LOG("%s NULL", d->what);
		undo(self, d, ret);
		EXPECT_EQ(-EFAULT, ret = bt_ioctl(fd, d->cmd, bt_unmapped_addr()))
			TH_LOG("%s unmapped", d->what);
		undo(self, d, ret);
		/* a valid request whose last byte is not readable */
		valid_req(self, d, g);
		memmove(straddle, g, d->size - 1);
		EXPECT_EQ(-EFAULT, ret = bt_ioctl(fd, d->cmd, straddle))
			TH_LOG("%s straddling an unmapped page", d->what);
		undo(self, d, ret);
	}
	munmap(g, 8192);
}

TEST_F(dev, unwritable_result_buffer_fails_efault)
{
	struct byteor_list *l;
	unsigned char *p, *g;
	int fd = bt_res_fd(&self->r, bt_open());

	ASSERT_LE(0, fd);
	/* INFO and LIST copy out: a read-only argument cannot take it */
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	bt_list_req((struct byteor_list *)p, NULL, 0);
	ASSERT_EQ(0, mprotect(p, 4096, PROT_READ));
	EXPECT_EQ(-EFAULT, bt_ioctl(fd, BYTEOR_IOC_LIST, p));
	if (self->creator) {
		ASSERT_EQ(0, mprotect(p, 4096, PROT_READ | PROT_WRITE));
		bt_info_req((struct byteor_info *)p, self->name, 0);
		ASSERT_EQ(0, mprotect(p, 4096, PROT_READ));
		EXPECT_EQ(-EFAULT, bt_ioctl(fd, BYTEOR_IOC_INFO, p));
	}
	munmap(p, 4096);

	if (!self->creator)
		return;
	/* LIST entries: NULL, unmapped, read-only, straddling a hole */
	l = calloc(1, sizeof(*l));
	ASSERT_NE(NULL, l);
	bt_list_req(l, NULL, 1);
	EXPECT_EQ(-EFAULT, bt_ioctl(fd, BYTEOR_IOC_LIST, l));
	bt_list_req(l, bt_unmapped_addr(), 1);
	EXPECT_EQ(-EFAULT, bt_ioctl(fd, BYTEOR_IOC_LIST, l));
	g = guarded_page();
	ASSERT_NE(NULL, g);
	bt_list_req(l, g + 4096 - sizeof(struct byteor_region_info) + 8, 1);
	EXPECT_EQ(-EFAULT, bt_ioctl(fd, BYTEOR_IOC_LIST, l));
	ASSERT_EQ(0, mprotect(g, 4096, PROT_READ));
	bt_list_req(l, g, 1);
	EXPECT_EQ(-EFAULT, bt_ioctl(fd, BYTEOR_IOC_LIST, l));
	munmap(g, 8192);
	free(l);
}

TEST_F(dev, unknown_flags_fail_einval_for_every_ioctl)
{
	unsigned char buf[1024];
	unsigned int i, bit;
	int ret;

	for (i = 0; i < ARRAY_SIZE(iocs); i++) {
		const struct ioc_desc *d = &iocs[i];

		if (skip_desc(self, d))
			continue;
		for (bit = 0; bit < 32; bit++) {
			if (d->flags_ok & (1U << bit))
				continue;
			valid_req(self, d, buf);
			((__u32 *)buf)[1] = 1U << bit;
			EXPECT_EQ(-EINVAL, ret = send_fresh(d, buf))
				TH_LOG("%s flags %#x", d->what, 1U << bit);
			undo(self, d, ret);
		}
	}
}

TEST_F(dev, nonzero_reserved_bytes_fail_einval_for_every_ioctl)
{
	unsigned char buf[1024];
	unsigned int i, j;
	int ret;

	for (i = 0; i < ARRAY_SIZE(iocs); i++) {
		const struct ioc_desc *d = &iocs[i];

		if (skip_desc(self, d))
			continue;
		for (j = 0; j < ARRAY_SIZE(d->reserved) && d->reserved[j].len; j++) {
			const struct span *s = &d->reserved[j];

			/* first and last byte: a check of part of a field fails */
			valid_req(self, d, buf);
			buf[s->off] = 1;
			EXPECT_EQ(-EINVAL, ret = send_fresh(d, buf))
				TH_LOG("%s reserved byte %zu", d->what, s->off);
			undo(self, d, ret);
			valid_req(self, d, buf);
			buf[s->off + s->len - 1] = 0x80;
			EXPECT_EQ(-EINVAL, ret = send_fresh(d, buf))
				TH_LOG("%s reserved byte %zu", d->what, s->off + s->len - 1);
			undo(self, d, ret);
		}
	}
}

TEST_F(dev, wrong_size_field_fails_einval_for_every_ioctl)
{
	unsigned char buf[1024];
	unsigned int i, j;
	int ret;

	for (i = 0; i < ARRAY_SIZE(iocs); i++) {
		const struct ioc_desc *d = &iocs[i];
		const __u32 sizes[] = {
			0, 8, d->size - 8, d->size - 1, d->size + 1, d->size + 8,
			4096, 0xffffffff,
		};

		if (skip_desc(self, d))
			continue;
		for (j = 0; j < ARRAY_SIZE(sizes); j++) {
			valid_req(self, d, buf);
			((__u32 *)buf)[0] = sizes[j];
			EXPECT_EQ(-EINVAL, ret = send_fresh(d, buf))
				TH_LOG("%s size %u", d->what, sizes[j]);
			undo(self, d, ret);
		}
	}
}

struct bad_name {
	const char *what;
	int err;
	void (*make)(char *n);
};

static void n_empty(char *n) { (void)n; }
static void n_64(char *n) { memset(n, 'a', BYTEOR_NAME_MAX); }
static void n_slash(char *n) { strcpy(n, "bt/x"); }
static void n_space(char *n) { strcpy(n, "bt x"); }
static void n_star(char *n) { strcpy(n, "bt*"); }
static void n_colon(char *n) { strcpy(n, "bt:x"); }
static void n_high(char *n) { strcpy(n, "bt\xc3\xa9"); }
static void n_ctrl(char *n) { strcpy(n, "bt\n"); }
static void n_dot(char *n) { strcpy(n, ".bt"); }
static void n_dot1(char *n) { strcpy(n, "."); }
static void n_dot2(char *n) { strcpy(n, ".."); }
static void n_after(char *n) { strcpy(n, "bt"); n[3] = 'x'; }
static void n_last(char *n) { strcpy(n, "bt"); n[BYTEOR_NAME_MAX - 1] = 'x'; }

static const struct bad_name bad_names[] = {
	{ "empty", -EINVAL, n_empty },
	{ "64 bytes without NUL", -ENAMETOOLONG, n_64 },
	{ "slash", -EINVAL, n_slash },
	{ "space", -EINVAL, n_space },
	{ "star", -EINVAL, n_star },
	{ "colon", -EINVAL, n_colon },
	{ "non-ASCII", -EINVAL, n_high },
	{ "newline", -EINVAL, n_ctrl },
	{ "leading dot", -EINVAL, n_dot },
	{ "dot", -EINVAL, n_dot1 },
	{ "dot dot", -EINVAL, n_dot2 },
	{ "garbage after NUL", -EINVAL, n_after },
	{ "garbage in the last byte", -EINVAL, n_last },
};

/* Take down a region CREATE should not have made, name bytes as sent. */
static void destroy_raw_name(const unsigned char *name)
{
	struct byteor_destroy d;

	bt_destroy_req(&d, "");
	memcpy(d.name, name, BYTEOR_NAME_MAX);
	send_fresh(&iocs[4], &d);
}

TEST_F(dev, invalid_names_are_rejected_by_every_ioctl_that_takes_one)
{
	unsigned char buf[1024];
	unsigned int i, j;
	int ret;

	for (i = 0; i < ARRAY_SIZE(iocs); i++) {
		const struct ioc_desc *d = &iocs[i];

		if (skip_desc(self, d) || !d->name_off)
			continue;
		for (j = 0; j < ARRAY_SIZE(bad_names); j++) {
			valid_req(self, d, buf);
			memset(buf + d->name_off, 0, BYTEOR_NAME_MAX);
			bad_names[j].make((char *)buf + d->name_off);
			EXPECT_EQ(bad_names[j].err, ret = send_fresh(d, buf))
				TH_LOG("%s: %s", d->what, bad_names[j].what);
			if (!ret && d->cmd == BYTEOR_IOC_CREATE)
				destroy_raw_name(buf + d->name_off);
		}
	}
}

TEST_F(dev, longest_and_oddest_valid_names_are_accepted)
{
	char n[BYTEOR_NAME_MAX];
	int fd = bt_res_fd(&self->r, bt_open());

	if (!self->creator)
		SKIP(return, "creates regions: needs root or the create group (%ld)",
		     bt_create_gid());
	ASSERT_LE(0, fd);
	memset(n, 0, sizeof(n));
	snprintf(n, sizeof(n), "bt.%d.", (int)getpid());
	memset(n + strlen(n), 'z', BYTEOR_NAME_MAX - 1 - strlen(n));
	ASSERT_EQ((size_t)BYTEOR_NAME_MAX - 1, strlen(n));
	ASSERT_EQ(0, bt_create(fd, n, 0, NULL));
	EXPECT_EQ(1, bt_listed(fd, n));
	EXPECT_EQ(0, bt_attach(fd, n, BYTEOR_ROLE_OBSERVER, NULL));
	EXPECT_EQ(0, bt_destroy(fd, n));

	snprintf(n, sizeof(n), "bt.%d.A-Z_a-z.0-9..-", (int)getpid());
	ASSERT_EQ(0, bt_create(fd, n, 0, NULL));
	EXPECT_EQ(0, bt_info(fd, n, NULL));
	EXPECT_EQ(0, bt_destroy(fd, n));
}

TEST_F(dev, info_attached_on_an_unattached_file_fails_enoent)
{
	int fd = bt_res_fd(&self->r, bt_open());

	/* well formed, but the file has no region: "no such region" */
	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOENT, bt_info_attached(fd, NULL));
}

TEST_F(dev, create_rejects_an_invalid_kind_version_geometry_or_mode)
{
	struct byteor_create c;
	unsigned int i;
	int fd = bt_res_fd(&self->r, bt_open());
	static const struct {
		const char *what;
		__u32 kind, version, slot, cap, queues, producers, mode, flags;
	} t[] = {
		{ "kind 0", 0, 1, 64, 1024, 1, 1, 0666, 0 },
		{ "kind 6", 6, 1, 64, 1024, 1, 1, 0666, 0 },
		{ "ring version 2", 1, 2, 64, 1024, 1, 1, 0666, 0 },
		{ "ring version 0", 1, 0, 64, 1024, 1, 1, 0666, 0 },
		{ "slot size 0", 1, 1, 0, 1024, 1, 1, 0666, 0 },
		{ "slot size 7", 1, 1, 7, 1024, 1, 1, 0666, 0 },
		{ "slot size 12", 1, 1, 12, 1024, 1, 1, 0666, 0 },
		{ "slot size 64 KiB + 8", 1, 1, (64 << 10) + 8, 1024, 1, 1, 0666, 0 },
		{ "capacity 0", 1, 1, 64, 0, 1, 1, 0666, 0 },
		{ "capacity 1", 1, 1, 64, 1, 1, 1, 0666, 0 },
		{ "capacity 1000", 1, 1, 64, 1000, 1, 1, 0666, 0 },
		{ "capacity 2^31", 1, 1, 64, 1U << 31, 1, 1, 0666, 0 },
		{ "ring with 2 queues", 1, 1, 64, 1024, 2, 1, 0666, 0 },
		{ "ring with 0 queues", 1, 1, 64, 1024, 0, 1, 0666, 0 },
		{ "ring with 2 producers", 1, 1, 64, 1024, 1, 2, 0666, 0 },
		{ "mode 01000", 1, 1, 64, 1024, 1, 1, 01000, 0 },
		{ "mode 04666", 1, 1, 64, 1024, 1, 1, 04666, 0 },
		{ "journal capacity 2048", 4, 1, 64, 2048, 1, 1, 0666, 0 },
		{ "fixed-size events chain", 2, BYTEOR_EVENTS_CHAIN_VERSION, 64,
		  1024, 1, 1, 0666, BYTEOR_GEOM_F_FIXED },
		{ "fixed-size journal", 4, 1, 64, 4096, 1, 1, 0666,
		  BYTEOR_GEOM_F_FIXED },
		{ "unknown geometry flag", 1, 1, 64, 1024, 1, 1, 0666, 1U << 9 },
	};

	if (!self->creator)
		SKIP(return, "creates regions: needs root or the create group (%ld)",
		     bt_create_gid());
	ASSERT_LE(0, fd);
	for (i = 0; i < ARRAY_SIZE(t); i++) {
		bt_create_req(&c, self->fresh, 0);
		c.kind = t[i].kind;
		c.layout_version = t[i].version;
		c.geometry.slot_size = t[i].slot;
		c.geometry.capacity = t[i].cap;
		c.geometry.queues = t[i].queues;
		c.geometry.producers = t[i].producers;
		c.geometry.flags = t[i].flags;
		c.mode = t[i].mode;
		EXPECT_EQ(-EINVAL, bt_ioctl(fd, BYTEOR_IOC_CREATE, &c))
			TH_LOG("%s", t[i].what);
		EXPECT_EQ(-ENOENT, bt_info(fd, self->fresh, NULL)) {
			TH_LOG("%s created a region", t[i].what);
			bt_destroy(fd, self->fresh);
		}
	}
	/*
	 * A region smaller than its layout needs cannot be asked for: the
	 * size is a minimum, so the layout's need wins.
	 */
	bt_create_req(&c, self->fresh, 4096);
	bt_ring_geometry(&c.geometry, 4096, 1024);
	ASSERT_EQ(0, bt_ioctl(fd, BYTEOR_IOC_CREATE, &c));
	EXPECT_EQ(6ULL << 20, c.region_size);
}

/* ---------------------------------------------------------------------
 * Claims on a created single ring.
 */
FIXTURE(ring) {
	struct bt_res r;
	const char *name;
};

FIXTURE_SETUP(ring)
{
	int fd;

	if (!bt_have_dev())
		BT_SETUP_SKIP("no %s: byteor.ko is not loaded", BT_DEV);
	if (!bt_can_create())
		BT_SETUP_SKIP("creates regions: needs root or the create group (%ld)",
			      bt_create_gid());
	self->name = bt_res_name(&self->r, "ring");
	fd = bt_res_fd(&self->r, bt_open());
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bt_create(fd, self->name, 0, NULL));
}

FIXTURE_TEARDOWN(ring)
{
	bt_res_release(&self->r);
}

/* A fresh file of this test, attached with @a (kind etc. as given). */
static int attach_req_fresh(struct bt_res *r, struct byteor_attach *a)
{
	int fd = bt_res_fd(r, bt_open());

	if (fd < 0)
		return fd;
	return bt_ioctl(fd, BYTEOR_IOC_ATTACH, a);
}

static int attach_fresh(struct bt_res *r, const char *name, __u32 role,
			struct byteor_attach *out)
{
	int fd = bt_res_fd(r, bt_open());

	if (fd < 0)
		return fd;
	return bt_attach(fd, name, role, out);
}

TEST_F(ring, attach_with_another_kind_or_version_fails_eproto)
{
	static const struct { __u32 kind, version; } t[] = {
		{ BYTEOR_KIND_EVENTS_CHAIN, BYTEOR_EVENTS_CHAIN_VERSION },
		{ BYTEOR_KIND_FANOUT, BYTEOR_FANOUT_VERSION },
		{ BYTEOR_KIND_JOURNAL, BYTEOR_JOURNAL_VERSION },
		{ BYTEOR_KIND_SEQUENCED_SLOTS, BYTEOR_SEQUENCED_SLOTS_VERSION },
		{ BYTEOR_KIND_SINGLE_RING, BYTEOR_SINGLE_RING_VERSION + 1 },
		{ BYTEOR_KIND_SINGLE_RING, 0 },
	};
	struct byteor_attach a;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		bt_attach_req(&a, self->name, BYTEOR_ROLE_CONSUMER);
		a.kind = t[i].kind;
		a.layout_version = t[i].version;
		EXPECT_EQ(-EPROTO, attach_req_fresh(&self->r, &a))
			TH_LOG("kind %u version %u", t[i].kind, t[i].version);
	}
	/* nothing was claimed by the failures */
	EXPECT_EQ(0, attach_fresh(&self->r, self->name, BYTEOR_ROLE_CONSUMER, NULL));
}

/* Geometries that differ from the region's (64-byte slots, 1024 of them). */
static void geometry_case(struct byteor_geometry *g, unsigned int i)
{
	switch (i) {
	case 0:
		g->slot_size = BT_SLOT_SIZE * 2;
		break;
	case 1:
		g->slot_size = 8;
		break;
	case 2:
		g->capacity = BT_CAPACITY * 2;
		break;
	case 3:
		g->queues = 2;
		break;
	case 4:
		g->producers = 2;
		break;
	case 5:
		g->mpsc_mask = 1;
		break;
	case 6:
		g->stage_deps[3] = 1;
		break;
	case 7:
		g->flags = BYTEOR_GEOM_F_FIXED;	/* the ring is not fixed-size */
		break;
	}
}

TEST_F(ring, attach_with_another_geometry_fails_ebadmsg)
{
	struct byteor_attach a;
	unsigned int i;

	for (i = 0; i < 8; i++) {
		bt_attach_req(&a, self->name, BYTEOR_ROLE_CONSUMER);
		geometry_case(&a.geometry, i);
		EXPECT_EQ(-EBADMSG, attach_req_fresh(&self->r, &a)) TH_LOG("case %u", i);
	}
	EXPECT_EQ(0, attach_fresh(&self->r, self->name, BYTEOR_ROLE_CONSUMER, NULL));
}

TEST_F(ring, attach_accepts_the_exact_or_a_zero_geometry)
{
	struct byteor_attach a;

	bt_attach_req(&a, self->name, BYTEOR_ROLE_PRODUCER);
	bt_ring_geometry(&a.geometry, BT_SLOT_SIZE, BT_CAPACITY);
	ASSERT_EQ(0, attach_req_fresh(&self->r, &a));
	EXPECT_EQ((__u32)BT_SLOT_SIZE, a.info.geometry.slot_size);
	bt_attach_req(&a, self->name, BYTEOR_ROLE_CONSUMER);
	a.geometry.capacity = BT_CAPACITY;
	ASSERT_EQ(0, attach_req_fresh(&self->r, &a));
	EXPECT_EQ((__u32)BT_CAPACITY, a.info.geometry.capacity);
	bt_attach_req(&a, self->name, BYTEOR_ROLE_OBSERVER);
	ASSERT_EQ(0, attach_req_fresh(&self->r, &a));
	EXPECT_EQ(1U, a.info.geometry.queues);
}

TEST_F(ring, attach_to_a_role_or_queue_the_layout_lacks_fails_einval)
{
	static const struct { __u32 role, queue; } t[] = {
		{ 0, 0 },
		{ BYTEOR_ROLE_MAX + 1, 0 },
		{ 0xffffffff, 0 },
		{ BYTEOR_ROLE_ROUTER, 0 },
		{ BYTEOR_ROLE_PRODUCER, 1 },
		{ BYTEOR_ROLE_CONSUMER, 1 },
		{ BYTEOR_ROLE_CONSUMER, 0xffffffff },
	};
	struct byteor_attach a;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		bt_attach_req(&a, self->name, t[i].role);
		a.queue = t[i].queue;
		EXPECT_EQ(-EINVAL, attach_req_fresh(&self->r, &a))
			TH_LOG("role %u queue %u", t[i].role, t[i].queue);
	}
}

TEST_F(ring, attach_reports_the_first_failing_check_in_documented_order)
{
	struct byteor_attach a;

	/* the order: name, access, kind+version, geometry, role, busy */
	ASSERT_EQ(0, attach_fresh(&self->r, self->name, BYTEOR_ROLE_PRODUCER, NULL));

	bt_attach_req(&a, self->name, BYTEOR_ROLE_ROUTER);
	a.kind = BYTEOR_KIND_JOURNAL;
	a.geometry.slot_size = 8;
	EXPECT_EQ(-EPROTO, attach_req_fresh(&self->r, &a));

	bt_attach_req(&a, self->name, BYTEOR_ROLE_ROUTER);
	a.geometry.slot_size = 8;
	EXPECT_EQ(-EBADMSG, attach_req_fresh(&self->r, &a));

	bt_attach_req(&a, self->name, BYTEOR_ROLE_PRODUCER);
	a.geometry.slot_size = 8;
	EXPECT_EQ(-EBADMSG, attach_req_fresh(&self->r, &a));

	bt_attach_req(&a, self->name, BYTEOR_ROLE_PRODUCER);
	a.queue = 1;
	EXPECT_EQ(-EINVAL, attach_req_fresh(&self->r, &a));

	bt_attach_req(&a, self->name, BYTEOR_ROLE_PRODUCER);
	EXPECT_EQ(-EBUSY, attach_req_fresh(&self->r, &a));
}

TEST_F(ring, second_claim_of_an_exclusive_role_fails_ebusy)
{
	struct byteor_attach p, c, o1, o2;

	ASSERT_EQ(0, attach_fresh(&self->r, self->name, BYTEOR_ROLE_PRODUCER, &p));
	EXPECT_EQ(0, p.claim);
	EXPECT_EQ(0U, p.index);
	EXPECT_EQ(-EBUSY, attach_fresh(&self->r, self->name, BYTEOR_ROLE_PRODUCER, NULL));

	ASSERT_EQ(0, attach_fresh(&self->r, self->name, BYTEOR_ROLE_CONSUMER, &c));
	EXPECT_EQ(1, c.claim);
	EXPECT_EQ(0U, c.index);
	EXPECT_EQ(-EBUSY, attach_fresh(&self->r, self->name, BYTEOR_ROLE_CONSUMER, NULL));
	EXPECT_EQ(-EBUSY, attach_fresh(&self->r, self->name, BYTEOR_ROLE_PRODUCER, NULL));

	/* observers never claim: any number */
	ASSERT_EQ(0, attach_fresh(&self->r, self->name, BYTEOR_ROLE_OBSERVER, &o1));
	ASSERT_EQ(0, attach_fresh(&self->r, self->name, BYTEOR_ROLE_OBSERVER, &o2));
	EXPECT_EQ(-1, o1.claim);
	EXPECT_EQ(-1, o2.claim);
}

TEST_F(ring, a_file_attaches_only_once)
{
	int fd = bt_res_fd(&self->r, bt_open());

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bt_attach(fd, self->name, BYTEOR_ROLE_OBSERVER, NULL));
	EXPECT_EQ(-EBUSY, bt_attach(fd, self->name, BYTEOR_ROLE_OBSERVER, NULL));
	EXPECT_EQ(-EBUSY, bt_attach(fd, self->name, BYTEOR_ROLE_PRODUCER, NULL));
	/* the failed second attach claimed nothing */
	EXPECT_EQ(0, attach_fresh(&self->r, self->name, BYTEOR_ROLE_PRODUCER, NULL));
}

struct holder {
	const char *name;
	__u32 role;
	int wfd;
};

/* Claim @role, tell the parent which claim word, then wait to be killed. */
static int hold_role(void *p)
{
	struct holder *h = p;
	struct byteor_attach a;
	int fd = bt_open();

	if (fd < 0 || bt_attach(fd, h->name, h->role, &a)) {
		bt_pipe_put(h->wfd, 255);
		return 1;
	}
	bt_pipe_put(h->wfd, (unsigned char)a.claim);
	for (;;)
		pause();
	return 0;
}

static pid_t spawn_holder(struct bt_res *r, const char *name, __u32 role,
			  int *claim)
{
	struct holder h = { name, role, -1 };
	int pfd[2];
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC))
		return -errno;
	h.wfd = pfd[1];
	pid = bt_res_pid(r, bt_spawn(hold_role, &h));
	close(pfd[1]);
	*claim = bt_pipe_get(pfd[0], 10000);
	close(pfd[0]);
	return pid;
}

TEST_F(ring, claim_is_released_when_its_holder_is_sigkilled)
{
	const volatile struct byteor_region_header *h;
	struct byteor_attach o, a;
	__u64 e1, e2, e3;
	int claim, fd;
	pid_t pid;

	/* watch the claim table through a read-only mapping */
	fd = bt_res_fd(&self->r, bt_open());
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bt_attach(fd, self->name, BYTEOR_ROLE_OBSERVER, &o));
	h = bt_res_map(&self->r, mmap(NULL, o.info.size, PROT_READ,
				       MAP_SHARED | MAP_POPULATE, fd, 0),
		       o.info.size);
	ASSERT_NE(MAP_FAILED, h);
	EXPECT_EQ(0ULL, h->claims[0].epoch & 1);

	pid = spawn_holder(&self->r, self->name, BYTEOR_ROLE_PRODUCER, &claim);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, claim) TH_LOG("holder failed to claim the producer");
	e1 = h->claims[0].epoch;
	EXPECT_EQ(1ULL, e1 & 1);
	EXPECT_EQ((__u32)pid, h->claims[0].pid);
	EXPECT_EQ((__u32)BYTEOR_ROLE_PRODUCER, h->claims[0].role);
	EXPECT_EQ(-EBUSY, attach_fresh(&self->r, self->name, BYTEOR_ROLE_PRODUCER, NULL));

	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(128 + SIGKILL, bt_res_wait(&self->r, pid));
	/* released by the time the parent can reap: no heartbeat, no delay */
	e2 = h->claims[0].epoch;
	EXPECT_EQ(0ULL, e2 & 1);
	EXPECT_LT(e1, e2);

	ASSERT_EQ(0, attach_fresh(&self->r, self->name, BYTEOR_ROLE_PRODUCER, &a));
	EXPECT_EQ(0, a.claim);
	e3 = h->claims[0].epoch;
	EXPECT_EQ(1ULL, e3 & 1);
	EXPECT_LT(e2, e3);
	EXPECT_EQ((__u32)getpid(), h->claims[0].pid);
}

TEST_F(ring, claim_is_released_when_its_file_is_closed)
{
	struct byteor_info in;
	int fd = bt_res_fd(&self->r, bt_open());

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bt_attach(fd, self->name, BYTEOR_ROLE_CONSUMER, NULL));
	EXPECT_EQ(-EBUSY, attach_fresh(&self->r, self->name, BYTEOR_ROLE_CONSUMER, NULL));
	bt_res_close(&self->r, fd);
	ASSERT_EQ(0, bt_info(bt_res_fd(&self->r, bt_open()), self->name, &in));
	EXPECT_EQ(0U, in.info.nr_claims_held);
	EXPECT_EQ(0, attach_fresh(&self->r, self->name, BYTEOR_ROLE_CONSUMER, NULL));
}

TEST_F(ring, poll_reports_epollpri_after_a_peer_claim_is_released)
{
	struct pollfd pfd;
	int claim, fd;
	pid_t pid;

	fd = bt_res_fd(&self->r, bt_open());
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bt_attach(fd, self->name, BYTEOR_ROLE_CONSUMER, NULL));
	pid = spawn_holder(&self->r, self->name, BYTEOR_ROLE_PRODUCER, &claim);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, claim);

	pfd = (struct pollfd){ .fd = fd, .events = POLLPRI };
	ASSERT_EQ(0, poll(&pfd, 1, 0)) TH_LOG("revents %#x with every peer alive",
					      pfd.revents);

	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(128 + SIGKILL, bt_res_wait(&self->r, pid));
	pfd.revents = 0;
	ASSERT_EQ(1, poll(&pfd, 1, 2000));
	EXPECT_TRUE(pfd.revents & POLLPRI);
	/* level-triggered until INFO_F_ATTACHED resets it */
	pfd.revents = 0;
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	ASSERT_EQ(0, bt_info_attached(fd, NULL));
	pfd.revents = 0;
	EXPECT_EQ(0, poll(&pfd, 1, 0)) TH_LOG("revents %#x after the reset",
					      pfd.revents);
}

TEST_F(ring, failed_attach_copy_out_shows_peers_no_dead_peer)
{
	const volatile struct byteor_region_header *h;
	struct byteor_attach *a;
	struct byteor_info in;
	struct pollfd pfd;
	__u64 epoch0;
	int fd, pfd_fd;

	pfd_fd = bt_res_fd(&self->r, bt_open());
	ASSERT_LE(0, pfd_fd);
	ASSERT_EQ(0, bt_attach(pfd_fd, self->name, BYTEOR_ROLE_OBSERVER, NULL));
	h = bt_res_map(&self->r, mmap(NULL, BT_2M, PROT_READ, MAP_SHARED,
				      pfd_fd, 0), BT_2M);
	ASSERT_NE(MAP_FAILED, h);
	epoch0 = h->claims[0].epoch;

	/* A valid request the kernel can read but not write back. */
	a = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	ASSERT_NE(MAP_FAILED, a);
	bt_res_map(&self->r, a, 4096);
	bt_attach_req(a, self->name, BYTEOR_ROLE_PRODUCER);
	ASSERT_EQ(0, mprotect(a, 4096, PROT_READ));
	fd = bt_res_fd(&self->r, bt_open());
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EFAULT, bt_ioctl(fd, BYTEOR_IOC_ATTACH, a));

	/* No holder ever ran: no death to report, the header never moved. */
	pfd = (struct pollfd){ .fd = pfd_fd, .events = POLLPRI };
	EXPECT_EQ(0, poll(&pfd, 1, 0)) TH_LOG("revents %#x", pfd.revents);
	EXPECT_EQ(epoch0, h->claims[0].epoch);
	ASSERT_EQ(0, bt_info(fd, self->name, &in));
	EXPECT_EQ(0U, in.info.nr_claims_held);
	EXPECT_EQ(1U, in.info.nr_files);
	/* The claim is free: the same file attaches now. */
	ASSERT_EQ(0, mprotect(a, 4096, PROT_READ | PROT_WRITE));
	EXPECT_EQ(0, bt_ioctl(fd, BYTEOR_IOC_ATTACH, a));
	EXPECT_EQ(0, a->claim);
	EXPECT_EQ(epoch0 + 1, h->claims[0].epoch);
}

TEST_F(ring, observer_of_a_queue_the_layout_lacks_fails_einval)
{
	struct byteor_attach a;

	bt_attach_req(&a, self->name, BYTEOR_ROLE_OBSERVER);
	a.queue = 1;		/* a single ring has queue 0 only */
	EXPECT_EQ(-EINVAL, attach_req_fresh(&self->r, &a));
	a.queue = 0xffffffffU;
	EXPECT_EQ(-EINVAL, attach_req_fresh(&self->r, &a));
	a.queue = 0;
	EXPECT_EQ(0, attach_req_fresh(&self->r, &a));
	EXPECT_EQ(-1, a.claim);
	EXPECT_EQ(0U, a.index);
}

struct churn_arg {
	const char *name;
	int ms;
};

/* Destroy and create @name again and again: 0, or the step that failed. */
static int churn_name(void *p)
{
	struct churn_arg *a = p;
	uint64_t end = bt_now_ms() + a->ms;
	int fd = bt_open(), ret;

	if (fd < 0)
		return 1;
	while (bt_now_ms() < end) {
		ret = bt_destroy(fd, a->name);
		if (ret && ret != -ENOENT)
			return 2;
		ret = bt_create(fd, a->name, 0, NULL);
		if (ret && ret != -EEXIST)
			return 3;
	}
	close(fd);
	return 0;
}

TEST_F(ring, attach_racing_destroy_never_binds_a_destroyed_region)
{
	struct churn_arg c = { .name = self->name, .ms = 1500 };
	unsigned long tries = 0, bound = 0, dead = 0;
	struct byteor_attach a;
	uint64_t end;
	pid_t pid;
	int fd, ret;

	pid = bt_res_pid(&self->r, bt_spawn(churn_name, &c));
	ASSERT_LT(0, pid);
	end = bt_now_ms() + c.ms;
	while (bt_now_ms() < end) {
		fd = bt_open();
		ASSERT_LE(0, fd);
		ret = bt_attach(fd, self->name, BYTEOR_ROLE_OBSERVER, &a);
		tries++;
		/* ATTACH's descriptor is the region as it bound: never destroyed. */
		if (!ret) {
			bound++;
			if (a.info.flags & BYTEOR_INFO_F_DESTROYED)
				dead++;
		} else if (ret != -ENOENT) {
			close(fd);
			ASSERT_EQ(-ENOENT, ret);
		}
		close(fd);
	}
	EXPECT_EQ(0, bt_res_wait(&self->r, pid));
	EXPECT_EQ(0UL, dead) {
		TH_LOG("%lu of %lu attaches (%lu tries) bound a destroyed region",
		       dead, bound, tries);
	}
	TH_LOG("%lu tries, %lu bound", tries, bound);
}

TEST_F(ring, epoll_added_before_attach_is_woken_by_a_peer_death)
{
	struct epoll_event ev = { .events = EPOLLPRI };
	int claim, ep, fd;
	pid_t pid;

	fd = bt_res_fd(&self->r, bt_open());
	ASSERT_LE(0, fd);
	ep = bt_res_fd(&self->r, epoll_create1(EPOLL_CLOEXEC));
	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	/* Not attached yet: EPOLLERR, then nothing once attached. */
	ASSERT_EQ(1, epoll_wait(ep, &ev, 1, 0));
	EXPECT_NE(0U, ev.events & EPOLLERR);
	ASSERT_EQ(0, bt_attach(fd, self->name, BYTEOR_ROLE_CONSUMER, NULL));
	ASSERT_EQ(0, epoll_wait(ep, &ev, 1, 0)) TH_LOG("events %#x", ev.events);

	pid = spawn_holder(&self->r, self->name, BYTEOR_ROLE_PRODUCER, &claim);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(128 + SIGKILL, bt_res_wait(&self->r, pid));
	ev.events = 0;
	ASSERT_EQ(1, epoll_wait(ep, &ev, 1, 2000));
	EXPECT_NE(0U, ev.events & EPOLLPRI);
}

struct killer {
	pid_t victim;
	int delay_ms;
};

static int kill_later(void *p)
{
	struct killer *k = p;

	usleep(k->delay_ms * 1000);
	return kill(k->victim, SIGKILL) ? 1 : 0;
}

TEST_F(ring, poll_wakes_a_sleeping_waiter_when_a_peer_dies)
{
	struct killer k;
	struct pollfd pfd;
	uint64_t t0, dt;
	pid_t pid, kp;
	int claim, fd;

	fd = bt_res_fd(&self->r, bt_open());
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bt_attach(fd, self->name, BYTEOR_ROLE_PRODUCER, NULL));
	pid = spawn_holder(&self->r, self->name, BYTEOR_ROLE_CONSUMER, &claim);
	ASSERT_LT(0, pid);
	ASSERT_EQ(1, claim);

	k = (struct killer){ pid, 300 };
	kp = bt_res_pid(&self->r, bt_spawn(kill_later, &k));
	ASSERT_LT(0, kp);
	pfd = (struct pollfd){ .fd = fd, .events = POLLPRI };
	t0 = bt_now_ms();
	ASSERT_EQ(1, poll(&pfd, 1, 10000));
	dt = bt_now_ms() - t0;
	EXPECT_TRUE(pfd.revents & POLLPRI);
	/* woken by the death (at ~300 ms), not by the timeout's last look */
	EXPECT_GT(5000ULL, dt) TH_LOG("poll returned after %llu ms",
				      (unsigned long long)dt);
	EXPECT_EQ(0, bt_res_wait(&self->r, kp));
	EXPECT_EQ(128 + SIGKILL, bt_res_wait(&self->r, pid));
}

TEST_F(ring, info_counts_attached_files_and_held_claims)
{
	struct byteor_info in;
	int fp, fc, fo, fd;

	fd = bt_res_fd(&self->r, bt_open());
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bt_info(fd, self->name, &in));
	EXPECT_EQ(0U, in.info.nr_files);
	EXPECT_EQ(0U, in.info.nr_claims_held);

	fp = bt_res_fd(&self->r, bt_open());
	fc = bt_res_fd(&self->r, bt_open());
	fo = bt_res_fd(&self->r, bt_open());
	ASSERT_EQ(0, bt_attach(fp, self->name, BYTEOR_ROLE_PRODUCER, NULL));
	ASSERT_EQ(0, bt_attach(fc, self->name, BYTEOR_ROLE_CONSUMER, NULL));
	ASSERT_EQ(0, bt_attach(fo, self->name, BYTEOR_ROLE_OBSERVER, NULL));
	ASSERT_EQ(0, bt_info(fd, self->name, &in));
	EXPECT_EQ(3U, in.info.nr_files);
	EXPECT_EQ(2U, in.info.nr_claims_held);

	bt_res_close(&self->r, fp);
	ASSERT_EQ(0, bt_info(fd, self->name, &in));
	EXPECT_EQ(2U, in.info.nr_files);
	EXPECT_EQ(1U, in.info.nr_claims_held);
	bt_res_close(&self->r, fo);
	ASSERT_EQ(0, bt_info(fd, self->name, &in));
	EXPECT_EQ(1U, in.info.nr_files);
	EXPECT_EQ(1U, in.info.nr_claims_held);
}

TEST_F(ring, info_attached_with_a_name_fails_einval)
{
	struct byteor_info in;
	int fd = bt_res_fd(&self->r, bt_open());

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bt_attach(fd, self->name, BYTEOR_ROLE_OBSERVER, NULL));
	bt_info_req(&in, self->name, BYTEOR_INFO_F_ATTACHED);
	EXPECT_EQ(-EINVAL, bt_ioctl(fd, BYTEOR_IOC_INFO, &in));
	bt_info_req(&in, NULL, BYTEOR_INFO_F_ATTACHED);
	ASSERT_EQ(0, bt_ioctl(fd, BYTEOR_IOC_INFO, &in));
	EXPECT_STREQ(self->name, in.info.name);
}

TEST_HARNESS_MAIN
