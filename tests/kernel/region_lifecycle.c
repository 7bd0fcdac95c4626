// SPDX-License-Identifier: GPL-2.0-only
/*
 * region_lifecycle - create, attach, map, share, list, destroy: the life of
 * a byteor region and what it costs in hugepages, as seen through
 * /dev/byteor, /proc/meminfo, sysfs and debugfs.
 *
 * They need to create regions: root, or (in the BYTEOR_AS_USER pass) a
 * member of the module's create group; otherwise each test skips.
 */
#include "byteor_test.h"

FIXTURE(region) {
	struct bt_res r;
	int fd;
	long free0;
	const char *name;
};

FIXTURE_SETUP(region)
{
	if (!bt_have_dev())
		BT_SETUP_SKIP("no %s: byteor.ko is not loaded", BT_DEV);
	if (!bt_can_create())
		BT_SETUP_SKIP("creates regions: needs root or the create group (%ld)",
			      bt_create_gid());
	self->free0 = bt_hugepages_free();
	BT_SETUP_NEED_HUGEPAGES(4, self->free0);
	self->fd = bt_res_fd(&self->r, bt_open());
	ASSERT_LE(0, self->fd);
	self->name = bt_res_name(&self->r, "main");
}

FIXTURE_TEARDOWN(region)
{
	bt_res_release(&self->r);
}

struct peer_arg {
	const char *name;
	unsigned int expect_seed;
	unsigned int reply_seed;
};

/* The other process: its own file, its own attach, its own mapping. */
static int peer_reads_then_replies(void *p)
{
	struct peer_arg *a = p;
	struct byteor_attach at;
	unsigned char *m;
	size_t body;
	int fd = bt_open();

	if (fd < 0)
		return 10;
	if (bt_attach(fd, a->name, BYTEOR_ROLE_CONSUMER, &at))
		return 11;
	m = bt_map_rw(fd, at.info.size);
	if (m == MAP_FAILED)
		return 12;
	body = at.info.size - BYTEOR_HEADER_SIZE;
	if (bt_check(m + BYTEOR_HEADER_SIZE, body, a->expect_seed) != (size_t)-1)
		return 13;
	bt_fill(m + BYTEOR_HEADER_SIZE, body, a->reply_seed);
	return 0;
}

TEST_F(region, round_trip_write_in_one_process_reads_in_another)
{
	struct peer_arg pa = { self->name, 0x1111, 0x2222 };
	struct byteor_attach at;
	unsigned char *m;
	__u64 size = 0;
	pid_t pid;

	ASSERT_EQ(0, bt_create(self->fd, self->name, 0, &size));
	ASSERT_EQ(BT_2M, size);
	ASSERT_EQ(0, bt_attach(self->fd, self->name, BYTEOR_ROLE_PRODUCER, &at));
	ASSERT_EQ(size, at.info.size);
	m = bt_res_map(&self->r, bt_map_rw(self->fd, size), size);
	ASSERT_NE(MAP_FAILED, m);
	bt_fill(m + BYTEOR_HEADER_SIZE, size - BYTEOR_HEADER_SIZE, pa.expect_seed);

	pid = bt_res_pid(&self->r, bt_spawn(peer_reads_then_replies, &pa));
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, bt_res_wait(&self->r, pid)) {
		TH_LOG("peer exit 10 open, 11 attach, 12 mmap, 13 data differs");
	}
	EXPECT_EQ((size_t)-1, bt_check(m + BYTEOR_HEADER_SIZE,
				       size - BYTEOR_HEADER_SIZE, pa.reply_seed));
}

TEST_F(region, header_and_descriptor_describe_the_region)
{
	struct byteor_region_header *h;
	struct byteor_create c;
	struct byteor_attach at;
	struct byteor_info in;
	struct byteor_layout l;

	bt_create_req(&c, self->name, 0);
	ASSERT_EQ(0, bt_ioctl(self->fd, BYTEOR_IOC_CREATE, &c));
	ASSERT_EQ(0, byteor_layout_compute(c.kind, &c.geometry, &l));
	ASSERT_EQ(byteor_region_size(&l, 0), c.region_size);

	ASSERT_EQ(0, bt_attach(self->fd, self->name, BYTEOR_ROLE_CONSUMER, &at));
	EXPECT_STREQ(self->name, at.info.name);
	EXPECT_EQ((__u32)BYTEOR_KIND_SINGLE_RING, at.info.kind);
	EXPECT_EQ((__u32)BYTEOR_SINGLE_RING_VERSION, at.info.layout_version);
	EXPECT_EQ(c.region_size, at.info.size);
	EXPECT_EQ(c.generation, at.info.generation);
	/* owner: the caller's fsuid and fsgid */
	EXPECT_EQ(geteuid(), at.info.uid);
	EXPECT_EQ(getegid(), at.info.gid);
	EXPECT_EQ(0666U, at.info.mode);
	EXPECT_EQ(0U, at.info.flags);
	EXPECT_EQ(0, memcmp(&c.geometry, &at.info.geometry, sizeof(c.geometry)));
	EXPECT_EQ(0, memcmp(&l, &at.info.layout, sizeof(l)));
	EXPECT_EQ(0U, at.index);
	EXPECT_EQ(1, at.claim);

	ASSERT_EQ(0, bt_info(self->fd, self->name, &in));
	EXPECT_EQ(0, memcmp(&at.info.layout, &in.info.layout, sizeof(l)));
	EXPECT_EQ(at.info.generation, in.info.generation);
	EXPECT_EQ(at.info.size, in.info.size);

	h = bt_res_map(&self->r, bt_map_rw(self->fd, at.info.size), at.info.size);
	ASSERT_NE(MAP_FAILED, h);
	EXPECT_EQ(BYTEOR_MAGIC, h->magic);
	EXPECT_EQ((__u32)BYTEOR_ABI_VERSION, h->abi_version);
	EXPECT_EQ(BYTEOR_HEADER_SIZE, h->header_size);
	EXPECT_EQ((__u32)BYTEOR_KIND_SINGLE_RING, h->kind);
	EXPECT_EQ((__u32)BYTEOR_SINGLE_RING_VERSION, h->layout_version);
	EXPECT_EQ(at.info.size, h->size);
	EXPECT_EQ(at.info.generation, h->generation);
	EXPECT_EQ(0666U, h->mode);
	EXPECT_EQ(geteuid(), h->uid);
	EXPECT_EQ(getegid(), h->gid);
	EXPECT_NE(0U, h->flags & BYTEOR_HDR_F_KERNEL);
	EXPECT_EQ(0U, h->flags & BYTEOR_HDR_F_USERSPACE);
	EXPECT_EQ(l.nr_claims, h->nr_claims);
	EXPECT_EQ(0, strncmp(self->name, h->name, BYTEOR_NAME_MAX));
	EXPECT_EQ(0, memcmp(&c.geometry, &h->geometry, sizeof(c.geometry)));
	EXPECT_EQ(0, memcmp(&l, &h->layout, sizeof(l)));
	/* our consumer claim is held (odd epoch), the producer's is free */
	EXPECT_EQ(1ULL, h->claims[1].epoch & 1);
	EXPECT_EQ((__u32)getpid(), h->claims[1].pid);
	EXPECT_EQ((__u32)BYTEOR_ROLE_CONSUMER, h->claims[1].role);
	EXPECT_EQ(0ULL, h->claims[0].epoch & 1);
}

TEST_F(region, memory_is_zero_filled_at_create)
{
	struct byteor_attach at;
	unsigned char *m;
	size_t off;
	int fd;

	/* twice: the second region likely reuses the pages we dirtied */
	for (int round = 0; round < 2; round++) {
		fd = bt_res_fd(&self->r, bt_open());
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, bt_create(fd, self->name, 0, NULL));
		ASSERT_EQ(0, bt_attach(fd, self->name, BYTEOR_ROLE_PRODUCER, &at));
		m = bt_res_map(&self->r, bt_map_rw(fd, at.info.size), at.info.size);
		ASSERT_NE(MAP_FAILED, m);
		for (off = BYTEOR_HEADER_SIZE; off < at.info.size; off += 8)
			if (*(volatile uint64_t *)(m + off))
				break;
		ASSERT_EQ(at.info.size, off) {
			TH_LOG("round %d: non-zero byte near offset %zu", round, off);
		}
		memset(m + BYTEOR_HEADER_SIZE, 0xa5, at.info.size - BYTEOR_HEADER_SIZE);
		ASSERT_EQ(0, bt_destroy(fd, self->name));
		ASSERT_EQ(0, bt_res_unmap(&self->r, m));
		bt_res_close(&self->r, fd);
		ASSERT_EQ(self->free0, bt_wait_hugepages_free(self->free0, 2000));
	}
}

TEST_F(region, size_is_rounded_up_to_whole_2mib_pages)
{
	static const struct {
		__u64 req;
		__u32 slot, cap;
		__u64 want;
	} t[] = {
		{ 0, BT_SLOT_SIZE, BT_CAPACITY, 2 << 20 },
		{ 1, BT_SLOT_SIZE, BT_CAPACITY, 2 << 20 },
		{ 2 << 20, BT_SLOT_SIZE, BT_CAPACITY, 2 << 20 },
		{ (2 << 20) + 1, BT_SLOT_SIZE, BT_CAPACITY, 4 << 20 },
		{ (4 << 20) - 4096, BT_SLOT_SIZE, BT_CAPACITY, 4 << 20 },
		/* the layout needs 4 MiB + 16 KiB: 3 pages */
		{ 0, 4096, 1024, 6 << 20 },
		{ 4 << 20, 4096, 1024, 6 << 20 },
	};
	struct byteor_create c;
	struct byteor_attach at;
	struct byteor_info in;
	struct byteor_layout l;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		int fd = bt_res_fd(&self->r, bt_open());

		ASSERT_LE(0, fd);
		bt_create_req(&c, self->name, t[i].req);
		bt_ring_geometry(&c.geometry, t[i].slot, t[i].cap);
		ASSERT_EQ(0, byteor_layout_compute(c.kind, &c.geometry, &l));
		ASSERT_EQ(t[i].want, byteor_region_size(&l, t[i].req));
		ASSERT_EQ(0, bt_ioctl(fd, BYTEOR_IOC_CREATE, &c)) {
			TH_LOG("case %u: request %llu", i, (unsigned long long)t[i].req);
		}
		EXPECT_EQ(t[i].want, c.region_size) {
			TH_LOG("case %u: request %llu", i, (unsigned long long)t[i].req);
		}
		ASSERT_EQ(0, bt_info(fd, self->name, &in));
		EXPECT_EQ(t[i].want, in.info.size);
		EXPECT_EQ(self->free0 - (long)(t[i].want / BT_2M), bt_hugepages_free());
		ASSERT_EQ(0, bt_attach(fd, self->name, BYTEOR_ROLE_PRODUCER, &at));
		EXPECT_EQ(t[i].want, at.info.size);
		bt_res_close(&self->r, fd);
		ASSERT_EQ(0, bt_destroy(self->fd, self->name));
		ASSERT_EQ(self->free0, bt_wait_hugepages_free(self->free0, 2000));
	}
}

TEST_F(region, create_of_a_taken_name_fails_eexist)
{
	struct byteor_create c;
	struct byteor_info in;

	bt_create_req(&c, self->name, 0);
	ASSERT_EQ(0, bt_ioctl(self->fd, BYTEOR_IOC_CREATE, &c));
	ASSERT_EQ(0, bt_info(self->fd, self->name, &in));

	ASSERT_EQ(-EEXIST, bt_create(self->fd, self->name, 0, NULL));
	/* from another file too, and with a different shape */
	int fd2 = bt_res_fd(&self->r, bt_open());

	ASSERT_LE(0, fd2);
	bt_create_req(&c, self->name, 4 << 20);
	c.geometry.slot_size = 128;
	ASSERT_EQ(-EEXIST, bt_ioctl(fd2, BYTEOR_IOC_CREATE, &c));
	/* the existing region is untouched and no page was taken */
	struct byteor_info in2;

	ASSERT_EQ(0, bt_info(self->fd, self->name, &in2));
	EXPECT_EQ(in.info.generation, in2.info.generation);
	EXPECT_EQ(in.info.geometry.slot_size, in2.info.geometry.slot_size);
	EXPECT_EQ(self->free0 - 1, bt_hugepages_free());
}

TEST_F(region, recreate_after_destroy_gets_a_new_generation)
{
	struct byteor_create c1, c2;

	bt_create_req(&c1, self->name, 0);
	ASSERT_EQ(0, bt_ioctl(self->fd, BYTEOR_IOC_CREATE, &c1));
	ASSERT_EQ(0, bt_destroy(self->fd, self->name));
	ASSERT_EQ(-ENOENT, bt_destroy(self->fd, self->name));
	ASSERT_EQ(-ENOENT, bt_info(self->fd, self->name, NULL));
	bt_create_req(&c2, self->name, 0);
	ASSERT_EQ(0, bt_ioctl(self->fd, BYTEOR_IOC_CREATE, &c2));
	EXPECT_NE(c1.generation, c2.generation);
	EXPECT_LT(c1.generation, c2.generation);
}

TEST_F(region, destroy_while_mapped_keeps_the_mapping_until_the_last_unmap)
{
	struct byteor_attach at;
	struct byteor_info in;
	unsigned char *m;
	size_t body;
	__u64 gen;

	ASSERT_EQ(0, bt_create(self->fd, self->name, 0, NULL));
	EXPECT_EQ(self->free0 - 1, bt_hugepages_free()) {
		TH_LOG("pages must be taken at create, not at fault");
	}
	ASSERT_EQ(0, bt_attach(self->fd, self->name, BYTEOR_ROLE_PRODUCER, &at));
	gen = at.info.generation;
	body = at.info.size - BYTEOR_HEADER_SIZE;
	m = bt_res_map(&self->r, bt_map_rw(self->fd, at.info.size), at.info.size);
	ASSERT_NE(MAP_FAILED, m);
	bt_fill(m + BYTEOR_HEADER_SIZE, body, 5);

	ASSERT_EQ(0, bt_destroy(self->fd, self->name));

	/* the mapping is still the region: read, write, read back */
	EXPECT_EQ((size_t)-1, bt_check(m + BYTEOR_HEADER_SIZE, body, 5));
	bt_fill(m + BYTEOR_HEADER_SIZE, body, 6);
	EXPECT_EQ((size_t)-1, bt_check(m + BYTEOR_HEADER_SIZE, body, 6));
	EXPECT_EQ(BYTEOR_MAGIC, ((struct byteor_region_header *)m)->magic);

	/* the attached file still sees its region, marked destroyed */
	ASSERT_EQ(0, bt_info_attached(self->fd, &in));
	EXPECT_NE(0U, in.info.flags & BYTEOR_INFO_F_DESTROYED);
	EXPECT_EQ(gen, in.info.generation);
	/* but the name is gone, and free for a new region */
	EXPECT_EQ(-ENOENT, bt_info(self->fd, self->name, NULL));
	EXPECT_EQ(0, bt_listed(self->fd, self->name));
	EXPECT_EQ(-ENOENT, bt_attach(bt_res_fd(&self->r, bt_open()), self->name,
				     BYTEOR_ROLE_OBSERVER, NULL));
	ASSERT_EQ(0, bt_create(self->fd, self->name, 0, NULL));
	ASSERT_EQ(0, bt_info(self->fd, self->name, &in));
	EXPECT_NE(gen, in.info.generation);
	EXPECT_EQ(0U, in.info.flags & BYTEOR_INFO_F_DESTROYED);
	EXPECT_EQ(self->free0 - 2, bt_hugepages_free());
	ASSERT_EQ(0, bt_destroy(self->fd, self->name));
	/* the new region had no user: its page is back at once */
	EXPECT_EQ(self->free0 - 1, bt_wait_hugepages_free(self->free0 - 1, 2000));

	/* closing the file keeps the memory: the mapping holds it */
	bt_res_close(&self->r, self->fd);
	self->fd = -1;
	usleep(50000);
	EXPECT_EQ(self->free0 - 1, bt_hugepages_free());
	EXPECT_EQ((size_t)-1, bt_check(m + BYTEOR_HEADER_SIZE, body, 6));

	/* the last unmap returns the pages to the pool */
	ASSERT_EQ(0, bt_res_unmap(&self->r, m));
	EXPECT_EQ(self->free0, bt_wait_hugepages_free(self->free0, 2000));
}

TEST_F(region, create_beyond_the_free_hugepages_fails_enospc_and_leaks_nothing)
{
	unsigned long long regions0 = 0, regions1 = 0;
	struct byteor_create c;
	bool stats = !bt_stat("regions", &regions0);

	bt_create_req(&c, self->name, (__u64)(self->free0 + 1) * BT_2M);
	ASSERT_EQ(-ENOSPC, bt_ioctl(self->fd, BYTEOR_IOC_CREATE, &c));
	EXPECT_EQ(self->free0, bt_wait_hugepages_free(self->free0, 2000)) {
		TH_LOG("a failed create must give back the pages it took");
	}
	EXPECT_EQ(-ENOENT, bt_info(self->fd, self->name, NULL));
	EXPECT_EQ(0, bt_listed(self->fd, self->name));
	if (stats) {
		ASSERT_EQ(0, bt_stat("regions", &regions1));
		EXPECT_EQ(regions0, regions1);
	}

	/* far beyond any pool: the module's budget says no the same way */
	bt_create_req(&c, self->name, BYTEOR_REGION_SIZE_MAX);
	ASSERT_EQ(-ENOSPC, bt_ioctl(self->fd, BYTEOR_IOC_CREATE, &c));
	EXPECT_EQ(self->free0, bt_hugepages_free());

	/* and the pool still serves a request that fits */
	ASSERT_EQ(0, bt_create(self->fd, self->name, 0, NULL));
	EXPECT_EQ(self->free0 - 1, bt_hugepages_free());
}

struct fsize_arg {
	int fd;
	const char *name;
};

/* 0, or the step that went wrong; a signal shows as 128 + its number. */
static int create_under_a_low_fsize_limit(void *p)
{
	struct fsize_arg *a = p;
	struct rlimit rl;

	if (getrlimit(RLIMIT_FSIZE, &rl))
		return 1;
	rl.rlim_cur = BT_2M / 2;
	if (setrlimit(RLIMIT_FSIZE, &rl))
		return 2;
	if (bt_create(a->fd, a->name, BT_2M, NULL) != -EFBIG)
		return 3;
	if (bt_info(a->fd, a->name, NULL) != -ENOENT)
		return 4;
	rl.rlim_cur = BT_2M;
	if (setrlimit(RLIMIT_FSIZE, &rl))
		return 5;
	if (bt_create(a->fd, a->name, BT_2M, NULL))
		return 6;
	return 0;
}

TEST_F(region, create_under_rlimit_fsize_fails_efbig_without_a_signal)
{
	struct fsize_arg a = { .fd = self->fd, .name = self->name };
	pid_t pid;

	pid = bt_res_pid(&self->r, bt_spawn(create_under_a_low_fsize_limit, &a));
	ASSERT_LT(0, pid);
	EXPECT_EQ(0, bt_res_wait(&self->r, pid)) {
		TH_LOG("%d: SIGXFSZ; 3 no EFBIG, 4 a region left, 6 create at the limit",
		       128 + SIGXFSZ);
	}
	EXPECT_EQ(self->free0 - 1, bt_hugepages_free());
}

TEST_F(region, list_returns_regions_in_name_order_with_the_total_count)
{
	static const char *const tags[] = { "c", "a", "b" };
	struct byteor_region_info *all = NULL, *e;
	const char *names[3];
	__u32 count = 0, total;
	int n, i, j, pos[3];

	ASSERT_LE(0, n = bt_list_all(self->fd, &all));
	free(all);
	for (i = 0; i < 3; i++) {
		names[i] = bt_res_name(&self->r, tags[i]);
		ASSERT_EQ(0, bt_create(self->fd, names[i], 0, NULL));
	}

	/* room 0, no buffer: only the count */
	ASSERT_EQ(0, bt_list(self->fd, NULL, 0, &count));
	ASSERT_EQ((__u32)n + 3, count);
	total = count;

	ASSERT_EQ((int)total, bt_list_all(self->fd, &all));
	for (i = 0; i + 1 < (int)total; i++) {
		EXPECT_GT(0, strncmp(all[i].name, all[i + 1].name, BYTEOR_NAME_MAX)) {
			TH_LOG("entry %d '%s' is not before '%s'", i, all[i].name,
			       all[i + 1].name);
		}
	}
	for (j = 0; j < 3; j++) {
		pos[j] = -1;
		for (i = 0; i < (int)total; i++)
			if (!strncmp(all[i].name, names[j], BYTEOR_NAME_MAX))
				pos[j] = i;
		ASSERT_LE(0, pos[j]) TH_LOG("%s not listed", names[j]);
		EXPECT_EQ(BT_2M, all[pos[j]].size);
		EXPECT_EQ((__u32)BYTEOR_KIND_SINGLE_RING, all[pos[j]].kind);
	}
	/* created c, a, b: listed a, b, c */
	EXPECT_LT(pos[1], pos[2]);
	EXPECT_LT(pos[2], pos[0]);

	/* room 1: one entry written, the next one untouched, true count */
	e = malloc(sizeof(*e) * (total + 4));
	ASSERT_NE(NULL, e);
	memset(e, 0xa5, sizeof(*e) * (total + 4));
	ASSERT_EQ(0, bt_list(self->fd, e, 1, &count));
	EXPECT_EQ(total, count);
	EXPECT_EQ(0, memcmp(&e[0], &all[0], sizeof(e[0])));
	for (i = 0; i < (int)sizeof(e[1]); i++)
		if (((unsigned char *)&e[1])[i] != 0xa5)
			break;
	EXPECT_EQ((int)sizeof(e[1]), i) TH_LOG("LIST wrote past its room");

	/* more room than regions: exactly count entries written */
	memset(e, 0xa5, sizeof(*e) * (total + 4));
	ASSERT_EQ(0, bt_list(self->fd, e, total + 4, &count));
	EXPECT_EQ(total, count);
	EXPECT_EQ(0, memcmp(e, all, sizeof(*e) * total));
	for (i = 0; i < (int)sizeof(e[total]); i++)
		if (((unsigned char *)&e[total])[i] != 0xa5)
			break;
	EXPECT_EQ((int)sizeof(e[total]), i) TH_LOG("LIST wrote past the count");

	/* destroyed regions leave the list */
	ASSERT_EQ(0, bt_destroy(self->fd, names[1]));
	ASSERT_EQ(0, bt_list(self->fd, NULL, 0, &count));
	EXPECT_EQ(total - 1, count);
	EXPECT_EQ(0, bt_listed(self->fd, names[1]));
	free(e);
	free(all);
}

static const char *const stat_names[] = {
	"regions", "bytes", "hugepages_in_use", "creates", "destroys",
	"attaches", "attach_failures",
};

enum { S_REGIONS, S_BYTES, S_HUGEPAGES, S_CREATES, S_DESTROYS, S_ATTACHES,
	S_ATTACH_FAILURES, S_NR };

static int read_stats(unsigned long long v[S_NR])
{
	int i, ret;

	for (i = 0; i < S_NR; i++) {
		ret = bt_stat(stat_names[i], &v[i]);
		if (ret)
			return ret;
	}
	return 0;
}

TEST_F(region, sysfs_stats_follow_create_attach_and_destroy)
{
	unsigned long long s0[S_NR], s1[S_NR];
	int fd, i;

	for (i = 0; i < S_NR; i++) {
		const char *attr = stat_names[i];

		ASSERT_EQ(0, bt_stat(attr, &s0[i]))
			TH_LOG("%s/%s unreadable", BT_SYSFS_DIR, attr);
	}

	ASSERT_EQ(0, bt_create(self->fd, self->name, 4 << 20, NULL));
	ASSERT_EQ(0, read_stats(s1));
	EXPECT_EQ(s0[S_REGIONS] + 1, s1[S_REGIONS]);
	EXPECT_EQ(s0[S_BYTES] + (4 << 20), s1[S_BYTES]);
	EXPECT_EQ(s0[S_HUGEPAGES] + 2, s1[S_HUGEPAGES]);
	EXPECT_EQ(s0[S_CREATES] + 1, s1[S_CREATES]);
	EXPECT_EQ(s0[S_DESTROYS], s1[S_DESTROYS]);

	/* one attach that works, one that fails */
	fd = bt_res_fd(&self->r, bt_open());
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bt_attach(fd, self->name, BYTEOR_ROLE_PRODUCER, NULL));
	ASSERT_EQ(0, read_stats(s1));
	EXPECT_EQ(s0[S_ATTACHES] + 1, s1[S_ATTACHES]);
	EXPECT_EQ(s0[S_ATTACH_FAILURES], s1[S_ATTACH_FAILURES]);
	ASSERT_EQ(-EBUSY, bt_attach(self->fd, self->name, BYTEOR_ROLE_PRODUCER, NULL));
	ASSERT_EQ(0, read_stats(s1));
	EXPECT_EQ(s0[S_ATTACHES] + 1, s1[S_ATTACHES]);
	EXPECT_EQ(s0[S_ATTACH_FAILURES] + 1, s1[S_ATTACH_FAILURES]);
	bt_res_close(&self->r, fd);

	/* nothing holds it: destroy gives everything back */
	ASSERT_EQ(0, bt_destroy(self->fd, self->name));
	ASSERT_EQ(self->free0, bt_wait_hugepages_free(self->free0, 2000));
	ASSERT_EQ(0, read_stats(s1));
	EXPECT_EQ(s0[S_REGIONS], s1[S_REGIONS]);
	EXPECT_EQ(s0[S_BYTES], s1[S_BYTES]);
	EXPECT_EQ(s0[S_HUGEPAGES], s1[S_HUGEPAGES]);
	EXPECT_EQ(s0[S_CREATES] + 1, s1[S_CREATES]);
	EXPECT_EQ(s0[S_DESTROYS] + 1, s1[S_DESTROYS]);
}

static bool debugfs_mounted(void)
{
	return bt_file_contains("/proc/mounts", " debugfs ") > 0;
}

TEST_F(region, debugfs_lists_a_created_region)
{
	if (!debugfs_mounted())
		SKIP(return, "debugfs is not mounted");
	if (bt_as_user())
		SKIP(return, "debugfs is root's only (BYTEOR_AS_USER pass)");
	ASSERT_EQ(0, bt_create(self->fd, self->name, 0, NULL));
	ASSERT_EQ(1, bt_file_contains(BT_DEBUGFS_REGIONS, self->name)) {
		TH_LOG("%s does not show %s", BT_DEBUGFS_REGIONS, self->name);
	}
	ASSERT_EQ(0, bt_destroy(self->fd, self->name));
	EXPECT_EQ(0, bt_file_contains(BT_DEBUGFS_REGIONS, self->name));
}

TEST_HARNESS_MAIN
