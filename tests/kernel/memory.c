// SPDX-License-Identifier: GPL-2.0-only
/*
 * memory - what a region's mapping is: shared only, 2 MiB aligned and
 * inside the region, backed by 2 MiB pages taken at create, prefaulted by
 * MAP_POPULATE, read-only for observers, valid after its file is closed,
 * and named after the region in /proc/PID/maps.
 */
#include "byteor_test.h"

#define REGION_SIZE	(4UL << 20)	/* two pages: room for offsets */

FIXTURE(mem) {
	struct bt_res r;
	int fd;			/* attached as producer */
	long free0;
	const char *name;
	struct byteor_attach at;
};

FIXTURE_SETUP(mem)
{
	if (!bt_have_dev())
		BT_SETUP_SKIP("no %s: byteor.ko is not loaded", BT_DEV);
	if (!bt_can_create())
		BT_SETUP_SKIP("creates regions: needs root or the create group (%ld)",
			      bt_create_gid());
	self->free0 = bt_hugepages_free();
	BT_SETUP_NEED_HUGEPAGES(2, self->free0);
	self->name = bt_res_name(&self->r, "mem");
	self->fd = bt_res_fd(&self->r, bt_open());
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, bt_create(self->fd, self->name, REGION_SIZE, NULL));
	ASSERT_EQ(0, bt_attach(self->fd, self->name, BYTEOR_ROLE_PRODUCER, &self->at));
	ASSERT_EQ(REGION_SIZE, self->at.info.size);
}

FIXTURE_TEARDOWN(mem)
{
	bt_res_release(&self->r);
}

static void *map_track(struct bt_res *r, size_t len, int prot, int flags,
		       int fd, off_t off)
{
	return bt_res_map(r, mmap(NULL, len, prot, flags, fd, off), len);
}

/* mmap's errno, or 0 (the mapping is dropped again). */
static int map_err(int fd, size_t len, int prot, int flags, off_t off)
{
	void *p = mmap(NULL, len, prot, flags, fd, off);

	if (p == MAP_FAILED)
		return -errno;
	munmap(p, len);
	return 0;
}

TEST(mmap_before_attach_fails_einval)
{
	int fd;

	if (!bt_have_dev())
		SKIP(return, "no %s: byteor.ko is not loaded", BT_DEV);
	fd = bt_open();
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EINVAL, map_err(fd, BT_2M, PROT_READ | PROT_WRITE, MAP_SHARED, 0));
	EXPECT_EQ(-EINVAL, map_err(fd, BT_2M, PROT_READ, MAP_SHARED, 0));
	EXPECT_EQ(-EINVAL, map_err(fd, BT_2M, PROT_READ, MAP_PRIVATE, 0));
	close(fd);
}

TEST_F(mem, pages_are_taken_at_create_not_at_fault)
{
	/* the fixture created 4 MiB and mapped nothing yet */
	EXPECT_EQ(self->free0 - 2, bt_hugepages_free());
}

TEST_F(mem, mmap_larger_than_the_region_fails_einval)
{
	const int rw = PROT_READ | PROT_WRITE;

	EXPECT_EQ(-EINVAL, map_err(self->fd, REGION_SIZE + BT_2M, rw, MAP_SHARED, 0));
	EXPECT_EQ(-EINVAL, map_err(self->fd, REGION_SIZE, rw, MAP_SHARED, BT_2M));
	EXPECT_EQ(-EINVAL, map_err(self->fd, BT_2M, rw, MAP_SHARED, REGION_SIZE));
	EXPECT_EQ(-EINVAL, map_err(self->fd, BT_2M, rw, MAP_SHARED, 64UL << 30));
	/* the exact size is fine */
	EXPECT_EQ(0, map_err(self->fd, REGION_SIZE, rw, MAP_SHARED, 0));
}

TEST_F(mem, mmap_private_fails_einval)
{
	EXPECT_EQ(-EINVAL, map_err(self->fd, REGION_SIZE, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE, 0));
	EXPECT_EQ(-EINVAL, map_err(self->fd, REGION_SIZE, PROT_READ, MAP_PRIVATE, 0));
	EXPECT_EQ(-EINVAL, map_err(self->fd, REGION_SIZE, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_POPULATE, 0));
}

TEST_F(mem, mmap_off_the_2mib_grid_fails_einval)
{
	const int rw = PROT_READ | PROT_WRITE;
	unsigned char *hole, *at;
	void *p;

	EXPECT_EQ(-EINVAL, map_err(self->fd, BT_2M, rw, MAP_SHARED, 4096));
	EXPECT_EQ(-EINVAL, map_err(self->fd, 4096, rw, MAP_SHARED, 0));
	EXPECT_EQ(-EINVAL, map_err(self->fd, BT_2M + 4096, rw, MAP_SHARED, 0));
	EXPECT_EQ(-EINVAL, map_err(self->fd, BT_2M - 4096, rw, MAP_SHARED, 0));

	/* a fixed address that is page but not 2 MiB aligned */
	hole = mmap(NULL, 3 * BT_2M, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, hole);
	at = (unsigned char *)(((uintptr_t)hole + BT_2M - 1) & ~(BT_2M - 1)) + 4096;
	p = mmap(at, BT_2M, rw, MAP_SHARED | MAP_FIXED, self->fd, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	munmap(hole, 3 * BT_2M);
}

TEST_F(mem, mmap_at_a_2mib_offset_maps_that_part_of_the_region)
{
	unsigned char *all, *second;

	all = map_track(&self->r, REGION_SIZE, PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_POPULATE, self->fd, 0);
	ASSERT_NE(MAP_FAILED, all);
	bt_fill(all + BT_2M, BT_2M, 77);
	second = map_track(&self->r, BT_2M, PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_POPULATE, self->fd, BT_2M);
	ASSERT_NE(MAP_FAILED, second);
	EXPECT_EQ((size_t)-1, bt_check(second, BT_2M, 77));
	/* and writes through it land in the same memory */
	second[123] = 0xee;
	EXPECT_EQ(0xee, all[BT_2M + 123]);
}

TEST_F(mem, observer_cannot_map_or_make_the_region_writable)
{
	const struct byteor_region_header *h;
	volatile unsigned char *w;
	struct byteor_attach a;
	int fd = bt_res_fd(&self->r, bt_open());

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bt_attach(fd, self->name, BYTEOR_ROLE_OBSERVER, &a));
	EXPECT_EQ(-EACCES, map_err(fd, REGION_SIZE, PROT_READ | PROT_WRITE,
				   MAP_SHARED, 0));
	EXPECT_EQ(-EACCES, map_err(fd, REGION_SIZE, PROT_WRITE, MAP_SHARED, 0));
	EXPECT_EQ(-EACCES, map_err(fd, BT_2M, PROT_READ | PROT_WRITE,
				   MAP_SHARED | MAP_POPULATE, BT_2M));

	h = map_track(&self->r, REGION_SIZE, PROT_READ, MAP_SHARED | MAP_POPULATE,
		      fd, 0);
	ASSERT_NE(MAP_FAILED, h);
	EXPECT_EQ(BYTEOR_MAGIC, h->magic);
	EXPECT_EQ(-1, mprotect((void *)h, REGION_SIZE, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(-1, mprotect((void *)h, BT_2M, PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	/* still readable, and the producer's writes show through */
	w = map_track(&self->r, REGION_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		      self->fd, 0);
	ASSERT_NE(MAP_FAILED, w);
	w[8192] = 0x42;
	EXPECT_EQ(0x42, ((const volatile unsigned char *)h)[8192]);
}

TEST_F(mem, mapping_uses_2mib_pages)
{
	unsigned char *m = map_track(&self->r, REGION_SIZE, PROT_READ | PROT_WRITE,
				     MAP_SHARED | MAP_POPULATE, self->fd, 0);

	ASSERT_NE(MAP_FAILED, m);
	EXPECT_EQ(2048, bt_smaps_kernelpagesize(m));
	EXPECT_EQ(2048, bt_smaps_kernelpagesize(m + REGION_SIZE - 1));
}

TEST_F(mem, mmap_null_returns_a_2mib_aligned_address)
{
	unsigned char *m;
	void *pad[4];
	int i;

	for (i = 0; i < 4; i++) {
		/* a 4 KiB mapping first, so the next free address is odd */
		pad[i] = mmap(NULL, 4096 * (i + 1), PROT_READ,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, pad[i]);
		m = map_track(&self->r, BT_2M, PROT_READ, MAP_SHARED, self->fd, 0);
		ASSERT_NE(MAP_FAILED, m);
		EXPECT_EQ(0UL, (uintptr_t)m & (BT_2M - 1)) TH_LOG("got %p", m);
	}
	for (i = 0; i < 4; i++)
		munmap(pad[i], 4096 * (i + 1));
}

TEST_F(mem, populated_mapping_takes_no_fault_when_every_byte_is_touched)
{
	struct rusage before, after;
	volatile unsigned char *m;
	unsigned long sum = 0;
	size_t i;

	m = map_track(&self->r, REGION_SIZE, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_POPULATE, self->fd, 0);
	ASSERT_NE(MAP_FAILED, m);
	/* warm up what the measurement itself touches */
	getrusage(RUSAGE_SELF, &after);
	getrusage(RUSAGE_SELF, &before);
	for (i = 0; i < REGION_SIZE; i++) {
		if (i >= BYTEOR_HEADER_SIZE)
			sum += m[i];
		m[i] = (unsigned char)i;
	}
	getrusage(RUSAGE_SELF, &after);
	EXPECT_EQ(before.ru_minflt, after.ru_minflt) {
		TH_LOG("%ld minor faults touching a MAP_POPULATE mapping",
		       after.ru_minflt - before.ru_minflt);
	}
	EXPECT_EQ(before.ru_majflt, after.ru_majflt);
	EXPECT_EQ(0UL, sum);	/* the body was zero-filled at create */
	EXPECT_EQ(0x34, m[0x1234]);
}

TEST_F(mem, mapping_is_named_after_the_region_in_proc_maps)
{
	char line[512];
	void *m = map_track(&self->r, BT_2M, PROT_READ, MAP_SHARED, self->fd, 0);

	ASSERT_NE(MAP_FAILED, m);
	ASSERT_EQ(0, bt_maps_line(m, line, sizeof(line)));
	EXPECT_NE(NULL, strstr(line, self->name)) TH_LOG("maps: %s", line);
}

TEST_F(mem, mapping_outlives_its_file_and_sees_a_peer_writes)
{
	volatile unsigned char *m, *m2;
	struct byteor_attach a;
	int fd2;

	m = map_track(&self->r, REGION_SIZE, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_POPULATE, self->fd, 0);
	ASSERT_NE(MAP_FAILED, m);
	bt_res_close(&self->r, self->fd);
	self->fd = -1;
	m[REGION_SIZE - 1] = 0x11;
	EXPECT_EQ(0x11, m[REGION_SIZE - 1]);

	/* a new file, a new mapping: the same memory */
	fd2 = bt_res_fd(&self->r, bt_open());
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, bt_attach(fd2, self->name, BYTEOR_ROLE_PRODUCER, &a)) {
		TH_LOG("the closed file still holds the producer claim");
	}
	m2 = map_track(&self->r, REGION_SIZE, PROT_READ | PROT_WRITE,
		       MAP_SHARED, fd2, 0);
	ASSERT_NE(MAP_FAILED, m2);
	EXPECT_EQ(0x11, m2[REGION_SIZE - 1]);
	m2[5000] = 0x22;
	EXPECT_EQ(0x22, m[5000]);
}

TEST_F(mem, forked_child_shares_the_mapping)
{
	volatile unsigned char *m;
	pid_t pid;

	m = map_track(&self->r, REGION_SIZE, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_POPULATE, self->fd, 0);
	ASSERT_NE(MAP_FAILED, m);
	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		m[BT_2M + 7] = 0x99;
		_exit(0);
	}
	ASSERT_EQ(0, bt_wait(pid));
	EXPECT_EQ(0x99, m[BT_2M + 7]);
}

TEST_HARNESS_MAIN
