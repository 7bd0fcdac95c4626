// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz_root - a bounded random walk over /dev/byteor's ioctls and mmap:
 * random command numbers (the five real ones, their numbers with other
 * sizes and directions, other numbers of our magic, other drivers'
 * magics), random struct bytes, and well-formed requests with a few bytes
 * garbled, on files in every state (fresh, attached, closed and reopened).
 *
 * What must hold: every call returns success or -1 with an errno the ABI
 * can give; a command byteor.ko does not know is -ENOTTY; afterwards every
 * region the walk created is destroyed and every hugepage is back.  The
 * runner fails the run on any WARN/BUG/Oops in the kernel log.
 *
 * BYTEOR_FUZZ_SECONDS (default 3), BYTEOR_FUZZ_ITERS (default 200000) and
 * BYTEOR_FUZZ_SEED (default: time and pid, logged) bound and replay it.
 */
#include "byteor_test.h"

#include <poll.h>

#define FDS		4
#define NAMES		4
#define ENTRIES		64	/* LIST room: max_regions' default */

struct fz {
	unsigned int seed;
	char names[NAMES][BYTEOR_NAME_MAX];
	int fd[FDS];
	unsigned char *arg;		/* 4 KiB, then a PROT_NONE page */
	unsigned char *ro;		/* a read-only page */
	unsigned char *entries;		/* ENTRIES infos, then PROT_NONE */
	unsigned long calls, successes;
};

static unsigned int rnd(struct fz *f)
{
	/* xorshift32: reproducible from the logged seed */
	f->seed ^= f->seed << 13;
	f->seed ^= f->seed >> 17;
	f->seed ^= f->seed << 5;
	return f->seed;
}

static __u64 rnd64(struct fz *f)
{
	return (__u64)rnd(f) << 32 | rnd(f);
}

static const unsigned long real_cmds[] = {
	BYTEOR_IOC_CREATE, BYTEOR_IOC_ATTACH, BYTEOR_IOC_INFO, BYTEOR_IOC_LIST,
	BYTEOR_IOC_DESTROY,
};

static bool is_real(unsigned long cmd)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(real_cmds); i++)
		if (cmd == real_cmds[i])
			return true;
	return false;
}

/*
 * Ioctl types the VFS answers itself before the driver sees them (FIOCLEX,
 * FIONBIO, FIFREEZE on the devtmpfs superblock, FICLONE, FS_IOC_*,
 * FS_IOC_GETFSUUID): not
 * byteor's to answer, and some are not harmless.  The fuzz stays off them.
 */
static bool vfs_type(unsigned int type)
{
	return type == 0 || type == 'T' || type == 'X' || type == 'f' ||
	       type == 0x94 || type == 0x15 || type == 'v';
}

static unsigned long pick_cmd(struct fz *f)
{
	unsigned int r = rnd(f) % 10, dir, nr, size, type;

	if (r < 5)
		return real_cmds[rnd(f) % ARRAY_SIZE(real_cmds)];
	dir = rnd(f) % 4;
	nr = rnd(f) % 4 ? rnd(f) % 8 : rnd(f) % 256;
	size = rnd(f) % 2 ? _IOC_SIZE(real_cmds[rnd(f) % 5]) + (rnd(f) % 17) - 8 :
			    rnd(f) % 1024;
	type = BYTEOR_IOC_MAGIC;
	if (r == 9) {
		do {
			type = rnd(f) % 256;
		} while (vfs_type(type));
	}
	return _IOC(dir, type, nr, size & _IOC_SIZEMASK);
}

/* A name: one of ours (mostly), a garbled one, or random bytes. */
static void pick_name(struct fz *f, char *dst)
{
	unsigned int r = rnd(f) % 16, i;

	memcpy(dst, f->names[rnd(f) % NAMES], BYTEOR_NAME_MAX);
	if (r == 0) {
		for (i = 0; i < BYTEOR_NAME_MAX; i++)
			dst[i] = (char)rnd(f);
	} else if (r == 1) {
		dst[rnd(f) % BYTEOR_NAME_MAX] = (char)rnd(f);
	}
}

static void pick_geometry(struct fz *f, struct byteor_geometry *g, __u32 *kind,
			  __u32 *version)
{
	static const __u32 slots[] = { 8, 64, 4096, 65536, 7, 0, 65544 };
	static const __u32 caps[] = { 2, 1024, 4096, 65536, 3, 0, 1U << 31 };

	*kind = rnd(f) % 8 ? BYTEOR_KIND_SINGLE_RING : rnd(f) % 7;
	*version = rnd(f) % 8 ? byteor_kind_version(*kind) : rnd(f) % 6;
	memset(g, 0, sizeof(*g));
	g->slot_size = rnd(f) % 4 ? BT_SLOT_SIZE : slots[rnd(f) % ARRAY_SIZE(slots)];
	g->capacity = rnd(f) % 4 ? BT_CAPACITY : caps[rnd(f) % ARRAY_SIZE(caps)];
	g->queues = rnd(f) % 8 ? 1 : rnd(f) % 70;
	g->producers = rnd(f) % 8 ? 1 : rnd(f) % 70;
	if (!(rnd(f) % 16))
		g->mpsc_mask = rnd64(f);
	if (!(rnd(f) % 16))
		g->stage_deps[rnd(f) % BYTEOR_MAX_STAGES] = rnd(f);
	if (!(rnd(f) % 32))
		g->reserved[rnd(f) % 10] = rnd(f);
}

static __u64 pick_region_size(struct fz *f)
{
	unsigned int r = rnd(f) % 64;

	if (r < 40)
		return (rnd(f) % 4) * BT_2M;
	if (r < 50)
		return rnd(f) % (6 * BT_2M);
	if (r < 62)
		return rnd64(f);
	/* rarely: more than the pool, which fills and empties it */
	return (__u64)(rnd(f) % 512 + 1) * BT_2M;
}

/* Fill f->arg for @cmd: well formed then garbled, or random bytes. */
static void build_arg(struct fz *f, unsigned long cmd)
{
	unsigned int i, n, r = rnd(f) % 8;
	unsigned char *a = f->arg;

	if (r == 0 || !is_real(cmd)) {
		for (i = 0; i < 4096; i++)
			a[i] = (unsigned char)rnd(f);
		if (rnd(f) % 2)
			((__u32 *)a)[0] = _IOC_SIZE(cmd);
		if (rnd(f) % 2)
			((__u32 *)a)[1] = 0;
	} else {
		memset(a, 0, 4096);
		switch (cmd) {
		case BYTEOR_IOC_CREATE: {
			struct byteor_create *c = (void *)a;

			bt_create_req(c, "", pick_region_size(f));
			pick_name(f, c->name);
			pick_geometry(f, &c->geometry, &c->kind, &c->layout_version);
			c->mode = rnd(f) % 8 ? 0666 : rnd(f);
			if (!(rnd(f) % 8)) {
				c->flags = rnd(f) % 2 ? BYTEOR_CREATE_F_OWNER : rnd(f);
				c->uid = rnd(f) % 2 ? 0 : rnd(f);
				c->gid = rnd(f) % 2 ? 0 : rnd(f);
			}
			break;
		}
		case BYTEOR_IOC_ATTACH: {
			struct byteor_attach *at = (void *)a;

			bt_attach_req(at, "", rnd(f) % 6);
			pick_name(f, at->name);
			if (rnd(f) % 4)
				memset(&at->geometry, 0, sizeof(at->geometry));
			else
				pick_geometry(f, &at->geometry, &at->kind,
					      &at->layout_version);
			at->queue = rnd(f) % 8 ? 0 : rnd(f);
			break;
		}
		case BYTEOR_IOC_INFO: {
			struct byteor_info *in = (void *)a;

			bt_info_req(in, "", rnd(f) % 3 ? 0 : BYTEOR_INFO_F_ATTACHED);
			if (!in->flags || !(rnd(f) % 4))
				pick_name(f, in->name);
			break;
		}
		case BYTEOR_IOC_LIST:
			bt_list_req((void *)a, NULL, rnd(f) % 4 ? rnd(f) % (ENTRIES + 1) :
							     rnd(f));
			break;
		case BYTEOR_IOC_DESTROY: {
			struct byteor_destroy *d = (void *)a;

			bt_destroy_req(d, "");
			pick_name(f, d->name);
			break;
		}
		}
		/* garble a few bytes of the well-formed request */
		n = rnd(f) % 4;
		for (i = 0; i < n; i++)
			a[rnd(f) % _IOC_SIZE(cmd)] = (unsigned char)rnd(f);
	}
	/*
	 * LIST writes up to min(room, regions) entries wherever `entries`
	 * points: only ever at our guarded buffer or at nothing mapped, never
	 * at random memory of this process.
	 */
	if (cmd == BYTEOR_IOC_LIST) {
		struct byteor_list *l = (void *)a;
		static const unsigned int sz = sizeof(struct byteor_region_info);

		switch (rnd(f) % 6) {
		case 0:
			l->entries = 0;
			break;
		case 1:
			l->entries = (uintptr_t)bt_unmapped_addr();
			break;
		case 2:
			l->entries = (uintptr_t)f->ro;
			break;
		case 3:	/* the last entry straddles the guard page */
			l->entries = (uintptr_t)(f->entries + ENTRIES * sz - sz / 2);
			break;
		default:
			l->entries = (uintptr_t)f->entries;
			break;
		}
	}
}

static bool plausible_ioctl_errno(int e)
{
	switch (e) {
	case EINVAL: case EFAULT: case ENOENT: case EEXIST: case EPROTO:
	case EBADMSG: case EBUSY: case EACCES: case EPERM: case ENAMETOOLONG:
	case ENOSPC: case ENOMEM:
		return true;
	}
	return false;
}

/* One ioctl.  Return: 0 if its result is plausible, else the errno. */
static int fuzz_ioctl(struct fz *f)
{
	unsigned long cmd = pick_cmd(f);
	int fd = f->fd[rnd(f) % FDS];
	unsigned int where = rnd(f) % 16;
	void *arg = f->arg;
	int ret, e;

	build_arg(f, cmd);
	if (where == 0)
		arg = NULL;
	else if (where == 1)
		arg = bt_unmapped_addr();
	else if (where == 2)	/* the struct runs into the guard page */
		arg = f->arg + 4096 - (rnd(f) % (_IOC_SIZE(cmd) + 1));
	else if (where == 3)
		arg = f->ro;
	else if (where == 4)
		arg = (void *)(uintptr_t)rnd64(f);	/* kernel or nothing */
	if (where == 4 && (uintptr_t)arg < (1UL << 47))
		arg = (void *)((uintptr_t)arg | (1UL << 63));

	f->calls++;
	ret = ioctl(fd, cmd, arg);
	e = errno;
	if (ret == 0) {
		f->successes++;
		return is_real(cmd) ? 0 : -1;
	}
	if (ret != -1)
		return -2;
	if (!is_real(cmd))
		return e == ENOTTY ? 0 : e;
	return plausible_ioctl_errno(e) ? 0 : e;
}

static int fuzz_mmap(struct fz *f)
{
	static const int flags[] = {
		MAP_SHARED, MAP_SHARED | MAP_POPULATE, MAP_PRIVATE,
		MAP_SHARED_VALIDATE, MAP_SHARED | MAP_NORESERVE,
	};
	static const size_t lens[] = { BT_2M, 2 * BT_2M, 3 * BT_2M, 4096, 0 };
	int fd = f->fd[rnd(f) % FDS];
	size_t len = lens[rnd(f) % ARRAY_SIZE(lens)];
	off_t off = rnd(f) % 2 ? 0 : (off_t)(rnd(f) % 4) * BT_2M + (rnd(f) % 2) * 4096;
	int prot = rnd(f) % 8;
	unsigned char *p;

	if (!len)
		len = (rnd(f) % 4096 + 1) * 4096;
	f->calls++;
	p = mmap(NULL, len, prot & (PROT_READ | PROT_WRITE | PROT_EXEC),
		 flags[rnd(f) % ARRAY_SIZE(flags)], fd, off);
	if (p == MAP_FAILED) {
		switch (errno) {
		case EINVAL: case EACCES: case ENOMEM: case EPERM: case ENODEV:
		case EOVERFLOW:
			return 0;
		}
		return errno;
	}
	f->successes++;
	/* a mapping that was granted must work */
	if (prot & PROT_READ)
		(void)((volatile unsigned char *)p)[len - 1];
	if (prot & PROT_WRITE)
		((volatile unsigned char *)p)[BYTEOR_HEADER_SIZE % len] ^= 1;
	munmap(p, len);
	return 0;
}

static unsigned char *guarded(size_t len)
{
	unsigned char *p = mmap(NULL, len + 4096, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (mprotect(p + len, 4096, PROT_NONE))
		return NULL;
	return p;
}

FIXTURE(fuzz) {
	struct bt_res r;
	struct fz f;
	long free0;
	int fd;
	struct byteor_region_info *before;
	int nbefore;
};

FIXTURE_SETUP(fuzz)
{
	const char *s;
	int i;

	if (!bt_have_dev())
		BT_SETUP_SKIP("no %s: byteor.ko is not loaded", BT_DEV);
	if (bt_as_user())
		BT_SETUP_SKIP("root only: creates regions with any owner");
	self->free0 = bt_hugepages_free();
	self->fd = bt_res_fd(&self->r, bt_open());
	ASSERT_LE(0, self->fd);
	self->nbefore = bt_list_all(self->fd, &self->before);
	ASSERT_LE(0, self->nbefore);
	for (i = 0; i < NAMES; i++) {
		char tag[8];

		snprintf(tag, sizeof(tag), "fz%d", i);
		bt_name(self->f.names[i], tag);
	}
	for (i = 0; i < FDS; i++)
		self->f.fd[i] = -1;
	self->f.arg = guarded(4096);
	self->f.entries = guarded(ENTRIES * sizeof(struct byteor_region_info));
	self->f.ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(NULL, self->f.arg);
	ASSERT_NE(NULL, self->f.entries);
	ASSERT_NE(MAP_FAILED, self->f.ro);
	s = getenv("BYTEOR_FUZZ_SEED");
	self->f.seed = s ? (unsigned int)strtoul(s, NULL, 0) :
			   (unsigned int)time(NULL) ^ ((unsigned int)getpid() << 16);
	if (!self->f.seed)
		self->f.seed = 1;
}

/* Destroy every region that was not there before the walk. */
static int destroy_new(FIXTURE_DATA(fuzz) *self)
{
	struct byteor_region_info *now = NULL;
	int i, j, n, left = 0;

	n = bt_list_all(self->fd, &now);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		for (j = 0; j < self->nbefore; j++)
			if (!memcmp(now[i].name, self->before[j].name, BYTEOR_NAME_MAX))
				break;
		if (j < self->nbefore)
			continue;
		if (bt_destroy(self->fd, now[i].name))
			left++;
	}
	free(now);
	return left;
}

FIXTURE_TEARDOWN(fuzz)
{
	int i;

	for (i = 0; i < FDS; i++)
		if (self->f.fd[i] >= 0)
			close(self->f.fd[i]);
	if (self->fd >= 0 && self->before)
		destroy_new(self);
	free(self->before);
	bt_res_release(&self->r);
}

TEST_F_TIMEOUT(fuzz, random_ioctls_and_mmaps_return_success_or_a_plausible_errno,
	       120)
{
	const char *s = getenv("BYTEOR_FUZZ_SECONDS");
	uint64_t end = bt_now_ms() + (uint64_t)(s ? atoi(s) : 3) * 1000;
	unsigned long iters = 200000, i;
	unsigned int seed0 = self->f.seed;
	struct pollfd pfd;
	__u32 count;
	int ret, k;

	s = getenv("BYTEOR_FUZZ_ITERS");
	if (s)
		iters = strtoul(s, NULL, 0);
	TH_LOG("seed %u (BYTEOR_FUZZ_SEED)", seed0);
	for (k = 0; k < FDS; k++) {
		self->f.fd[k] = bt_open();
		ASSERT_LE(0, self->f.fd[k]);
	}

	for (i = 0; i < iters && bt_now_ms() < end; i++) {
		unsigned int op = rnd(&self->f) % 16;

		if (op < 12) {
			unsigned int seed = self->f.seed;

			ret = fuzz_ioctl(&self->f);
			ASSERT_EQ(0, ret) {
				TH_LOG("iteration %lu (state %u): implausible result %d (%s)",
				       i, seed, ret, ret > 0 ? strerror(ret) : "success");
			}
		} else if (op < 14) {
			ret = fuzz_mmap(&self->f);
			ASSERT_EQ(0, ret) TH_LOG("iteration %lu: mmap errno %d", i, ret);
		} else if (op == 14) {
			k = rnd(&self->f) % FDS;
			close(self->f.fd[k]);
			self->f.fd[k] = bt_open();
			ASSERT_LE(0, self->f.fd[k]);
		} else {
			pfd = (struct pollfd){ self->f.fd[rnd(&self->f) % FDS],
					       POLLIN | POLLPRI | POLLOUT, 0 };
			ASSERT_LE(0, poll(&pfd, 1, 0));
		}
	}
	TH_LOG("%lu calls, %lu succeeded", self->f.calls, self->f.successes);
	EXPECT_LT(0UL, self->f.successes);

	/* clean up: files first (claims), then every new region */
	for (k = 0; k < FDS; k++) {
		close(self->f.fd[k]);
		self->f.fd[k] = -1;
	}
	EXPECT_EQ(0, destroy_new(self));
	EXPECT_EQ(0, destroy_new(self)) TH_LOG("regions came back");
	ASSERT_EQ(0, bt_list(self->fd, NULL, 0, &count));
	EXPECT_EQ((__u32)self->nbefore, count);
	EXPECT_EQ(self->free0, bt_wait_hugepages_free(self->free0, 5000));
}

TEST_HARNESS_MAIN
