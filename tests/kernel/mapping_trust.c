// SPDX-License-Identifier: GPL-2.0-only
/*
 * mapping_trust - the kernel never trusts what userspace does to a mapping
 * after mmap(): remap_file_pages(2), madvise(MADV_REMOVE), mprotect(2),
 * mremap(2), fork(2) and close(2) cannot make an observer's mapping
 * writable, reach past the region, take hugepages from the module's pool
 * or drop pages other processes (and the kernel's own header mirror) use.
 */
#include "byteor_test.h"

#define REGION_SIZE	(4UL << 20)	/* two pages: room for offsets */
#define PAGES_2M	(BT_2M / 4096)	/* remap_file_pages() offsets: 4 KiB pages */
/* An offset far past the region, still inside the module's budget. */
#define FAR_PGOFF	(16 * PAGES_2M)

FIXTURE(trust) {
	struct bt_res r;
	int fd;			/* attached as producer */
	int obs;		/* opened read-write, attached as observer */
	const char *name;
	struct byteor_attach at;
};

FIXTURE_SETUP(trust)
{
	struct byteor_attach a;

	if (!bt_have_dev())
		BT_SETUP_SKIP("no %s: byteor.ko is not loaded", BT_DEV);
	if (!bt_can_create())
		BT_SETUP_SKIP("creates regions: needs root or the create group (%ld)",
			      bt_create_gid());
	BT_SETUP_NEED_HUGEPAGES(3, bt_hugepages_free());
	self->name = bt_res_name(&self->r, "trust");
	self->fd = bt_res_fd(&self->r, bt_open());
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, bt_create(self->fd, self->name, REGION_SIZE, NULL));
	ASSERT_EQ(0, bt_attach(self->fd, self->name, BYTEOR_ROLE_PRODUCER,
			       &self->at));
	/* bt_open() is O_RDWR: the observer's fd itself allows writing. */
	self->obs = bt_res_fd(&self->r, bt_open());
	ASSERT_LE(0, self->obs);
	ASSERT_EQ(0, bt_attach(self->obs, self->name, BYTEOR_ROLE_OBSERVER, &a));
}

FIXTURE_TEARDOWN(trust)
{
	bt_res_release(&self->r);
}

static void *map_track(struct bt_res *r, size_t len, int prot, int fd, off_t off)
{
	return bt_res_map(r, mmap(NULL, len, prot, MAP_SHARED | MAP_POPULATE,
				  fd, off), len);
}

/* remap_file_pages()'s errno, or 0 when it succeeded. */
static int remap_err(void *p, size_t len, size_t pgoff)
{
	return remap_file_pages(p, len, 0, pgoff, 0) ? -errno : 0;
}

TEST_F(trust, observer_remap_file_pages_cannot_make_the_mapping_writable)
{
	const struct byteor_region_header *h;

	h = map_track(&self->r, BT_2M, PROT_READ, self->obs, 0);
	ASSERT_NE(MAP_FAILED, h);
	/* Refused as for a read-only fd: the vma is not VM_SHARED. */
	EXPECT_EQ(-EINVAL, remap_err((void *)h, BT_2M, 0));
	EXPECT_EQ(-EINVAL, remap_err((void *)h, BT_2M, FAR_PGOFF));
	EXPECT_EQ(-1, mprotect((void *)h, BT_2M, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(BYTEOR_MAGIC, h->magic);
}

TEST_F(trust, remap_file_pages_is_refused_on_a_writable_mapping)
{
	volatile unsigned char *w;

	w = map_track(&self->r, BT_2M, PROT_READ | PROT_WRITE, self->fd, BT_2M);
	ASSERT_NE(MAP_FAILED, w);
	w[100] = 0x5a;
	/* In the region or not, writable or not: never a second mmap. */
	EXPECT_EQ(-EACCES, remap_err((void *)w, BT_2M, PAGES_2M));
	EXPECT_EQ(-EACCES, remap_err((void *)w, BT_2M, 0));
	ASSERT_EQ(0, mprotect((void *)w, BT_2M, PROT_READ));
	EXPECT_EQ(-EACCES, remap_err((void *)w, BT_2M, PAGES_2M));
	/* The refused call left the mapping as it was. */
	EXPECT_EQ(0x5a, w[100]);
	ASSERT_EQ(0, mprotect((void *)w, BT_2M, PROT_READ | PROT_WRITE));
	w[101] = 0xa5;
	EXPECT_EQ(0xa5, w[101]);
}

TEST_F(trust, remap_file_pages_past_the_region_reserves_no_hugepages)
{
	long rsvd0 = bt_meminfo("HugePages_Rsvd");
	long free0 = bt_hugepages_free();
	void *w;

	ASSERT_LE(0, rsvd0);
	w = mmap(NULL, BT_2M, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
		 self->fd, 0);
	ASSERT_NE(MAP_FAILED, w);
	EXPECT_EQ(-EACCES, remap_err(w, BT_2M, FAR_PGOFF));
	ASSERT_EQ(0, mprotect(w, BT_2M, PROT_READ));
	EXPECT_EQ(-EACCES, remap_err(w, BT_2M, FAR_PGOFF));
	ASSERT_EQ(0, munmap(w, BT_2M));
	/* Shared hugetlb reservations would outlive the munmap. */
	EXPECT_EQ(rsvd0, bt_meminfo("HugePages_Rsvd"));
	EXPECT_EQ(free0, bt_hugepages_free());
}

TEST_F(trust, madvise_remove_cannot_punch_a_hole_in_the_region)
{
	const volatile struct byteor_region_header *oh;
	const volatile unsigned char *o;
	volatile unsigned char *w;
	long free0 = bt_hugepages_free();

	w = map_track(&self->r, REGION_SIZE, PROT_READ | PROT_WRITE, self->fd, 0);
	ASSERT_NE(MAP_FAILED, w);
	o = map_track(&self->r, REGION_SIZE, PROT_READ, self->obs, 0);
	ASSERT_NE(MAP_FAILED, o);
	oh = (const volatile void *)o;
	w[BT_2M + 100] = 0x5a;

	/* A writer's vma is shared and writable, its file is not. */
	EXPECT_EQ(-1, madvise((void *)w, REGION_SIZE, MADV_REMOVE));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-1, madvise((void *)(w + BT_2M), BT_2M, MADV_REMOVE));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-1, madvise((void *)o, REGION_SIZE, MADV_REMOVE));
	EXPECT_EQ(EACCES, errno);

	/* The peer still sees the data, and the header the kernel writes. */
	EXPECT_EQ(0x5a, o[BT_2M + 100]);
	EXPECT_EQ(BYTEOR_MAGIC, oh->magic);
	EXPECT_EQ(free0, bt_hugepages_free());
	/* The kernel's claim mirror still reaches the mapped header. */
	ASSERT_LE(0, self->at.claim);
	EXPECT_EQ(1ULL, oh->claims[self->at.claim].epoch & 1);
	bt_res_close(&self->r, self->fd);
	EXPECT_EQ(0ULL, oh->claims[self->at.claim].epoch & 1);
}

TEST_F(trust, mremap_cannot_grow_a_mapping_past_the_region)
{
	unsigned char *o, *p, *to;

	o = mmap(NULL, 2 * REGION_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	ASSERT_NE(MAP_FAILED, o);
	/* A 2 MiB aligned place to move to, then the room is given back. */
	to = (unsigned char *)(((unsigned long)o + BT_2M - 1) & ~(BT_2M - 1));
	munmap(o, 2 * REGION_SIZE);

	p = mmap(NULL, BT_2M, PROT_READ, MAP_SHARED | MAP_POPULATE, self->obs,
		 BT_2M);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(MAP_FAILED, mremap(p, BT_2M, REGION_SIZE, MREMAP_MAYMOVE));
	/* Moving it keeps it read-only. */
	o = mremap(p, BT_2M, BT_2M, MREMAP_MAYMOVE | MREMAP_FIXED, to);
	if (o == MAP_FAILED)
		munmap(p, BT_2M);
	ASSERT_EQ(to, o);
	bt_res_map(&self->r, o, BT_2M);
	EXPECT_EQ(-1, mprotect(o, BT_2M, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(-EINVAL, remap_err(o, BT_2M, 0));
}

struct fork_arg {
	void *obs_map;
	void *w_map;
};

/* The child's view: 0, or the number of the step that went wrong. */
static int forked_child(void *p)
{
	struct fork_arg *a = p;

	if (!mprotect(a->obs_map, BT_2M, PROT_READ | PROT_WRITE))
		return 1;
	if (!remap_file_pages(a->obs_map, BT_2M, 0, FAR_PGOFF, 0))
		return 2;
	if (!remap_file_pages(a->w_map, BT_2M, 0, FAR_PGOFF, 0))
		return 3;
	if (!madvise(a->w_map, BT_2M, MADV_REMOVE))
		return 4;
	if (((volatile unsigned char *)a->obs_map)[BT_2M / 2] != 0x77)
		return 5;
	return 0;
}

TEST_F(trust, fork_gives_the_child_no_more_than_the_parent)
{
	struct fork_arg a;
	pid_t pid;

	a.obs_map = map_track(&self->r, BT_2M, PROT_READ, self->obs, BT_2M);
	ASSERT_NE(MAP_FAILED, a.obs_map);
	a.w_map = map_track(&self->r, BT_2M, PROT_READ | PROT_WRITE, self->fd,
			    BT_2M);
	ASSERT_NE(MAP_FAILED, a.w_map);
	((volatile unsigned char *)a.w_map)[BT_2M / 2] = 0x77;
	pid = bt_res_pid(&self->r, bt_spawn(forked_child, &a));
	ASSERT_LT(0, pid);
	EXPECT_EQ(0, bt_res_wait(&self->r, pid))
		TH_LOG("1 mprotect, 2/3 remap_file_pages, 4 MADV_REMOVE, 5 data");
	EXPECT_EQ(0x77, ((volatile unsigned char *)a.obs_map)[BT_2M / 2]);
}

TEST_F(trust, close_releases_the_claim_and_leaves_the_mapping)
{
	const volatile struct byteor_region_header *oh;
	volatile unsigned char *w;
	struct byteor_attach a;
	int fd2;

	w = map_track(&self->r, REGION_SIZE, PROT_READ | PROT_WRITE, self->fd, 0);
	ASSERT_NE(MAP_FAILED, w);
	oh = (const volatile void *)w;
	ASSERT_LE(0, self->at.claim);
	bt_res_close(&self->r, self->fd);
	/*
	 * Claims follow the /dev/byteor file (documented in the uapi header):
	 * the mapping stays, the claim is free for the next producer.
	 */
	EXPECT_EQ(0ULL, oh->claims[self->at.claim].epoch & 1);
	w[BT_2M + 1] = 0x11;
	EXPECT_EQ(0x11, w[BT_2M + 1]);
	fd2 = bt_res_fd(&self->r, bt_open());
	ASSERT_LE(0, fd2);
	EXPECT_EQ(0, bt_attach(fd2, self->name, BYTEOR_ROLE_PRODUCER, &a));
	EXPECT_EQ(self->at.claim, a.claim);
}

TEST_HARNESS_MAIN
