// SPDX-License-Identifier: GPL-2.0-only
/*
 * region_lifecycle - create, info, list, attach, detach and destroy regions
 * on the userspace backing, in /dev/shm and on a private hugetlbfs mount.
 */
#include "kselftest_harness.h"
#include "host_test.h"

#include <sys/mman.h>
#include <time.h>
#include <sys/statfs.h>
#include <linux/magic.h>

FIXTURE(region) {
	struct ht_dir d;
};

FIXTURE_VARIANT(region) {
	bool huge;
};

FIXTURE_VARIANT_ADD(region, shm) {
	.huge = false,
};

FIXTURE_VARIANT_ADD(region, hugetlbfs) {
	.huge = true,
};

FIXTURE_SETUP(region)
{
	HT_DIR_SETUP(&self->d, variant->huge);
}

FIXTURE_TEARDOWN(region)
{
	ht_dir_teardown(&self->d);
}

TEST_F(region, create_then_info_describes_it)
{
	struct byteor_geometry g = ht_geom(120, 512, 1, 1);
	struct byteor_region_options o = {
		.name = "md.eurusd", .kind = BYTEOR_KIND_SINGLE_RING,
		.geometry = g, .mode = 0640, .backing = BYTEOR_BACKING_USER,
		.dir = self->d.path,
	};
	struct byteor_region_info made, got;
	struct byteor_layout l;

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, byteor_region_create(&o, &made));
	ASSERT_EQ(0, byteor_region_info("md.eurusd", BYTEOR_BACKING_USER,
					self->d.path, &got));
	ASSERT_EQ(0, memcmp(&made, &got, sizeof(made)));
	EXPECT_STREQ("md.eurusd", got.name);
	EXPECT_EQ(BYTEOR_KIND_SINGLE_RING, got.kind);
	EXPECT_EQ(BYTEOR_SINGLE_RING_VERSION, got.layout_version);
	EXPECT_EQ(0640, got.mode);
	EXPECT_EQ(geteuid(), got.uid);
	EXPECT_EQ(0, memcmp(&g, &got.geometry, sizeof(g)));
	ASSERT_EQ(0, byteor_layout_compute(BYTEOR_KIND_SINGLE_RING, &g, &l));
	EXPECT_EQ(0, memcmp(&l, &got.layout, sizeof(l)));
	EXPECT_EQ(byteor_region_size(&l, 0), got.size);
	EXPECT_EQ(0, got.size % BYTEOR_REGION_ALIGN);
	EXPECT_NE(0, got.generation);
	EXPECT_EQ(0, got.nr_claims_held);
}

TEST_F(region, create_rounds_size_up_to_2mib)
{
	struct byteor_region_options o = {
		.name = "big", .kind = BYTEOR_KIND_SINGLE_RING,
		.geometry = ht_geom(64, 16, 1, 1), .size = 3 << 20,
		.backing = BYTEOR_BACKING_USER, .dir = self->d.path,
	};
	struct byteor_region_info info;

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, byteor_region_create(&o, &info));
	EXPECT_EQ(4ULL << 20, info.size);
}

TEST_F(region, create_formats_header_like_the_kernel)
{
	struct __byteor_region *r;
	const struct byteor_region_header *h;

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, ht_create_ring(self->d.path, "hdr"));
	ASSERT_EQ(0, ht_attach_ring(self->d.path, "hdr", BYTEOR_ROLE_OBSERVER, &r));
	h = __byteor_header(r);
	EXPECT_EQ(BYTEOR_MAGIC, h->magic);
	EXPECT_EQ(BYTEOR_ABI_VERSION, h->abi_version);
	EXPECT_EQ(BYTEOR_HEADER_SIZE, h->header_size);
	EXPECT_EQ(BYTEOR_HDR_F_USERSPACE, h->flags);
	EXPECT_EQ(r->info.size, h->size);
	EXPECT_EQ(r->info.generation, h->generation);
	EXPECT_EQ(r->info.layout.nr_claims, h->nr_claims);
	EXPECT_EQ(0660, h->mode);
	EXPECT_STREQ("hdr", h->name);
	EXPECT_EQ(0, memcmp(&r->info.layout, &h->layout, sizeof(h->layout)));
	__byteor_region_detach(r);
}

TEST_F(region, body_is_zero_filled_and_shared_between_attaches)
{
	struct __byteor_region *p, *c;
	const unsigned char *body;
	__u64 i, len;

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, ht_create_ring(self->d.path, "zero"));
	ASSERT_EQ(0, ht_attach_ring(self->d.path, "zero", BYTEOR_ROLE_PRODUCER, &p));
	ASSERT_EQ(0, ht_attach_ring(self->d.path, "zero", BYTEOR_ROLE_CONSUMER, &c));
	body = (const unsigned char *)p->base + BYTEOR_HEADER_SIZE;
	len = p->size - BYTEOR_HEADER_SIZE;
	for (i = 0; i < len; i++)
		if (body[i])
			break;
	EXPECT_EQ(len, i);
	memcpy(__byteor_area(p, BYTEOR_AREA_SLOTS, 8), "hello", 6);
	EXPECT_STREQ("hello", (char *)__byteor_area(c, BYTEOR_AREA_SLOTS, 8));
	__byteor_region_detach(c);
	__byteor_region_detach(p);
}

TEST_F(region, regions_live_on_the_expected_filesystem)
{
	char path[HT_PATH * 2];
	struct statfs sfs;

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, ht_create_ring(self->d.path, "fs"));
	ht_region_path(path, sizeof(path), self->d.path, "fs");
	ASSERT_EQ(0, statfs(path, &sfs));
	if (variant->huge) {
		EXPECT_EQ(HUGETLBFS_MAGIC, sfs.f_type);
	} else {
		EXPECT_EQ(TMPFS_MAGIC, sfs.f_type);
	}
}

TEST_F(region, create_existing_name_fails_eexist)
{
	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, ht_create_ring(self->d.path, "dup"));
	EXPECT_EQ(-EEXIST, ht_create_ring(self->d.path, "dup"));
}

TEST_F(region, create_rejects_bad_names)
{
	char longname[BYTEOR_NAME_MAX + 1];

	HT_SETUP_SKIPPED();
	memset(longname, 'a', BYTEOR_NAME_MAX);
	longname[BYTEOR_NAME_MAX] = '\0';
	EXPECT_EQ(-ENAMETOOLONG, ht_create_ring(self->d.path, longname));
	longname[BYTEOR_NAME_MAX - 1] = '\0';	/* 63 bytes: the maximum */
	EXPECT_EQ(0, ht_create_ring(self->d.path, longname));
	EXPECT_EQ(-EINVAL, ht_create_ring(self->d.path, ""));
	EXPECT_EQ(-EINVAL, ht_create_ring(self->d.path, ".hidden"));
	EXPECT_EQ(-EINVAL, ht_create_ring(self->d.path, "a/b"));
	EXPECT_EQ(-EINVAL, ht_create_ring(self->d.path, "../escape"));
	EXPECT_EQ(-EINVAL, ht_create_ring(self->d.path, "sp ace"));
	EXPECT_EQ(-EINVAL, ht_create_ring(self->d.path, NULL));
}

TEST_F(region, create_rejects_bad_requests)
{
	struct byteor_region_options o = {
		.name = "bad", .kind = BYTEOR_KIND_SINGLE_RING,
		.geometry = ht_geom(64, 1024, 1, 1),
		.backing = BYTEOR_BACKING_USER, .dir = self->d.path,
	};
	struct byteor_region_options b;

	HT_SETUP_SKIPPED();
	b = o;
	b.geometry.capacity = 1000;		/* not a power of two */
	EXPECT_EQ(-EINVAL, byteor_region_create(&b, NULL));
	b = o;
	b.geometry.slot_size = 12;		/* not a multiple of 8 */
	EXPECT_EQ(-EINVAL, byteor_region_create(&b, NULL));
	b = o;
	b.kind = 99;
	EXPECT_EQ(-EINVAL, byteor_region_create(&b, NULL));
	b = o;
	b.layout_version = 7;
	EXPECT_EQ(-EPROTO, byteor_region_create(&b, NULL));
	b = o;
	b.mode = 01777;
	EXPECT_EQ(-EINVAL, byteor_region_create(&b, NULL));
	b = o;
	b.size = BYTEOR_REGION_SIZE_MAX + 1;
	EXPECT_EQ(-EFBIG, byteor_region_create(&b, NULL));
	b = o;
	b.reserved[3] = 1;
	EXPECT_EQ(-EINVAL, byteor_region_create(&b, NULL));
	b = o;
	b.backing = 7;
	EXPECT_EQ(-EINVAL, byteor_region_create(&b, NULL));
	EXPECT_EQ(-EINVAL, byteor_region_create(NULL, NULL));
	/* Nothing was left behind by the failures. */
	EXPECT_EQ(0, byteor_region_list(BYTEOR_BACKING_USER, self->d.path, NULL, 0));
}

TEST_F(region, create_applies_mode_exactly_despite_umask)
{
	struct byteor_region_options o = {
		.name = "mode", .kind = BYTEOR_KIND_SINGLE_RING,
		.geometry = ht_geom(64, 64, 1, 1), .mode = 0666,
		.backing = BYTEOR_BACKING_USER, .dir = self->d.path,
	};
	char path[HT_PATH * 2];
	struct stat st;

	HT_SETUP_SKIPPED();
	umask(077);
	ASSERT_EQ(0, byteor_region_create(&o, NULL));
	ht_region_path(path, sizeof(path), self->d.path, "mode");
	ASSERT_EQ(0, stat(path, &st));
	EXPECT_EQ(0666, st.st_mode & 07777);
}

TEST_F(region, list_returns_all_in_name_order)
{
	static const char *const names[] = { "c.ring", "a.ring", "b-ring", "A_ring" };
	struct byteor_region_info v[8];
	unsigned int i;
	int n;

	HT_SETUP_SKIPPED();
	for (i = 0; i < ARRAY_SIZE(names); i++)
		ASSERT_EQ(0, ht_create_ring(self->d.path, names[i]));
	n = byteor_region_list(BYTEOR_BACKING_USER, self->d.path, v, ARRAY_SIZE(v));
	ASSERT_EQ(4, n);
	EXPECT_STREQ("A_ring", v[0].name);
	EXPECT_STREQ("a.ring", v[1].name);
	EXPECT_STREQ("b-ring", v[2].name);
	EXPECT_STREQ("c.ring", v[3].name);
	/* Too little room: the count still says how many there are. */
	memset(v, 0, sizeof(v));
	EXPECT_EQ(4, byteor_region_list(BYTEOR_BACKING_USER, self->d.path, v, 2));
	EXPECT_STREQ("a.ring", v[1].name);
	EXPECT_EQ(0, v[2].name[0]);
	EXPECT_EQ(-EINVAL, byteor_region_list(BYTEOR_BACKING_USER, self->d.path, NULL, 1));
}

TEST_F(region, list_skips_foreign_files)
{
	char path[HT_PATH * 2];
	int fd;

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, ht_create_ring(self->d.path, "real"));
	snprintf(path, sizeof(path), "%s/byteor.fake", self->d.path);
	fd = open(path, O_CREAT | O_RDWR, 0600);
	ASSERT_LE(0, fd);
	close(fd);
	snprintf(path, sizeof(path), "%s/unrelated", self->d.path);
	fd = open(path, O_CREAT | O_RDWR, 0600);
	ASSERT_LE(0, fd);
	close(fd);
	EXPECT_EQ(1, byteor_region_list(BYTEOR_BACKING_USER, self->d.path, NULL, 0));
}

TEST_F(region, destroy_unlinks_but_mappings_stay_valid)
{
	struct __byteor_region *r;
	volatile char *p;

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, ht_create_ring(self->d.path, "gone"));
	ASSERT_EQ(0, ht_attach_ring(self->d.path, "gone", BYTEOR_ROLE_PRODUCER, &r));
	ASSERT_EQ(0, byteor_region_destroy("gone", BYTEOR_BACKING_USER, self->d.path));
	p = __byteor_area(r, BYTEOR_AREA_SLOTS, 0);
	p[0] = 42;
	EXPECT_EQ(42, p[0]);
	EXPECT_EQ(-ENOENT, ht_attach_ring(self->d.path, "gone", BYTEOR_ROLE_CONSUMER, &r));
	EXPECT_EQ(-ENOENT, byteor_region_destroy("gone", BYTEOR_BACKING_USER, self->d.path));
	EXPECT_EQ(0, byteor_region_list(BYTEOR_BACKING_USER, self->d.path, NULL, 0));
	/* The name is free again, with a new generation. */
	EXPECT_EQ(0, ht_create_ring(self->d.path, "gone"));
	__byteor_region_detach(r);
}

/* Concurrent creators of one name: exactly one wins, the rest see EEXIST. */
TEST_F(region, concurrent_creates_have_one_winner)
{
	enum { N = 8 };
	int i, status, wins = 0, exists = 0;
	struct byteor_region_info info;
	pid_t pid[N];

	HT_SETUP_SKIPPED();
	for (i = 0; i < N; i++) {
		pid[i] = fork();
		ASSERT_LE(0, pid[i]);
		if (pid[i] == 0)
			_exit(-ht_create_ring(self->d.path, "race"));
	}
	for (i = 0; i < N; i++) {
		status = ht_wait(pid[i]);
		ASSERT_TRUE(WIFEXITED(status));
		wins += WEXITSTATUS(status) == 0;
		exists += WEXITSTATUS(status) == EEXIST;
	}
	EXPECT_EQ(1, wins);
	EXPECT_EQ(N - 1, exists);
	EXPECT_EQ(0, byteor_region_info("race", BYTEOR_BACKING_USER, self->d.path, &info));
	/* No temporary file was left behind. */
	EXPECT_EQ(0, ht_sh("test $(ls -A %s | wc -l) -eq 1", self->d.path));
}

/*
 * An attacher racing a create sees either no region or a complete one:
 * never a half-formatted header (EPROTO, EBADMSG).
 */
TEST_F(region, attach_racing_create_never_sees_a_partial_region)
{
	int ret, status, bad = 0;
	struct __byteor_region *r;
	time_t deadline;
	int *seen;
	pid_t pid;

	HT_SETUP_SKIPPED();
	seen = mmap(NULL, sizeof(*seen), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, seen);
	*seen = 0;
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* Until the attacher has caught 20 complete regions, or 10 s. */
		deadline = time(NULL) + 10;
		while (__atomic_load_n(seen, __ATOMIC_RELAXED) < 20 &&
		       time(NULL) < deadline) {
			if (ht_create_ring(self->d.path, "flip"))
				_exit(1);
			if (byteor_region_destroy("flip", BYTEOR_BACKING_USER,
						  self->d.path))
				_exit(2);
		}
		_exit(0);
	}
	do {
		ret = ht_attach_ring(self->d.path, "flip", BYTEOR_ROLE_OBSERVER, &r);
		if (!ret) {
			__atomic_fetch_add(seen, 1, __ATOMIC_RELAXED);
			__byteor_region_detach(r);
		} else if (ret != -ENOENT) {
			bad++;
		}
	} while (waitpid(pid, &status, WNOHANG) == 0);
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(0, bad);
	EXPECT_LE(20, *seen);
	munmap(seen, sizeof(*seen));
}

TEST_F(region, recreate_bumps_generation)
{
	struct byteor_region_info a, b;

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, ht_create_ring(self->d.path, "gen"));
	ASSERT_EQ(0, byteor_region_info("gen", BYTEOR_BACKING_USER, self->d.path, &a));
	ASSERT_EQ(0, byteor_region_destroy("gen", BYTEOR_BACKING_USER, self->d.path));
	ASSERT_EQ(0, ht_create_ring(self->d.path, "gen"));
	ASSERT_EQ(0, byteor_region_info("gen", BYTEOR_BACKING_USER, self->d.path, &b));
	EXPECT_LT(a.generation, b.generation);
}

TEST_F(region, info_of_missing_region_is_enoent)
{
	struct byteor_region_info info;

	HT_SETUP_SKIPPED();
	EXPECT_EQ(-ENOENT, byteor_region_info("nope", BYTEOR_BACKING_USER,
					      self->d.path, &info));
	EXPECT_EQ(-EINVAL, byteor_region_info("nope", BYTEOR_BACKING_USER,
					      self->d.path, NULL));
	EXPECT_EQ(-ENOENT, byteor_region_info("nope", BYTEOR_BACKING_USER,
					      "/nonexistent/dir", &info));
}

TEST_F(region, env_selects_backing_and_directory)
{
	struct byteor_region_info info;

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, setenv("BYTEOR_BACKING", "user", 1));
	ASSERT_EQ(0, setenv("BYTEOR_DIR", self->d.path, 1));
	ASSERT_EQ(0, ht_create_ring(NULL, "env"));
	EXPECT_EQ(0, byteor_region_info("env", BYTEOR_BACKING_AUTO, NULL, &info));
	EXPECT_EQ(1, byteor_region_list(BYTEOR_BACKING_AUTO, NULL, NULL, 0));
	ASSERT_EQ(0, setenv("BYTEOR_BACKING", "bogus", 1));
	EXPECT_EQ(-EINVAL, byteor_region_info("env", BYTEOR_BACKING_AUTO, NULL, &info));
	unsetenv("BYTEOR_BACKING");
	unsetenv("BYTEOR_DIR");
}

TEST_F(region, every_kind_round_trips)
{
	struct byteor_geometry g[] = {
		[BYTEOR_KIND_SINGLE_RING] = ht_geom(64, 1024, 1, 1),
		[BYTEOR_KIND_EVENTS_CHAIN] = ht_geom(32, 256, 4, 3),
		[BYTEOR_KIND_FANOUT] = ht_geom(128, 512, 3, 1),
		[BYTEOR_KIND_JOURNAL] = ht_geom(1024, 1 << 16, 1, 1),
		[BYTEOR_KIND_SEQUENCED_SLOTS] = ht_geom(64, 1024, 3, 1),
	};
	struct byteor_attach_options o = ht_opts(self->d.path, NULL);
	struct __byteor_region *r;
	char name[16];
	__u32 k;

	HT_SETUP_SKIPPED();
	g[BYTEOR_KIND_EVENTS_CHAIN].mpsc_mask = 0x5;
	g[BYTEOR_KIND_SEQUENCED_SLOTS].stage_deps[1] = 1;
	g[BYTEOR_KIND_SEQUENCED_SLOTS].stage_deps[2] = 1;
	for (k = 1; k <= BYTEOR_KIND_MAX; k++) {
		snprintf(name, sizeof(name), "kind%u", k);
		ASSERT_EQ(0, ht_create(self->d.path, name, k, &g[k]));
		o.name = name;
		ASSERT_EQ(0, __byteor_region_attach(&o, k, 0, &g[k],
						    BYTEOR_ROLE_PRODUCER, &r));
		EXPECT_EQ(k, r->info.kind);
		EXPECT_EQ(byteor_kind_version(k), r->info.layout_version);
		EXPECT_LE(r->info.layout.min_size, r->size);
		__byteor_region_detach(r);
		ASSERT_EQ(0, byteor_region_destroy(name, BYTEOR_BACKING_USER,
						   self->d.path));
	}
}

/*
 * With no directory given, a region goes to the first hugetlbfs mount that
 * can hold it, and to /dev/shm when the mount (or the pool) cannot.
 */
TEST(default_dir_prefers_hugetlbfs_then_falls_back_to_shm)
{
	struct ht_dir d = { 0 };
	char why[256];
	struct byteor_region_options o = {
		.kind = BYTEOR_KIND_SINGLE_RING, .geometry = ht_geom(64, 64, 1, 1),
		.backing = BYTEOR_BACKING_USER,
	};
	struct byteor_region_info info;
	char name[64], path[HT_PATH * 2];

	if (ht_huge_dir(&d, why, sizeof(why)))
		SKIP(return, "hugetlbfs: %s", why);
	ASSERT_EQ(0, ht_hide_other_hugetlbfs(d.path));
	unsetenv("BYTEOR_DIR");
	snprintf(name, sizeof(name), "byteor-test-%d", (int)getpid());
	o.name = name;
	ASSERT_EQ(0, byteor_region_create(&o, NULL));
	ht_region_path(path, sizeof(path), d.path, name);
	EXPECT_EQ(0, access(path, F_OK));
	ASSERT_EQ(0, byteor_region_destroy(name, BYTEOR_BACKING_USER, NULL));
	EXPECT_EQ(-1, access(path, F_OK));

	/* Larger than the mount allows: lands in /dev/shm, found by lookup. */
	o.size = HT_HUGE_LIMIT + BYTEOR_REGION_ALIGN;
	ASSERT_EQ(0, byteor_region_create(&o, &info));
	EXPECT_EQ(o.size, info.size);
	EXPECT_EQ(-1, access(path, F_OK));
	snprintf(path, sizeof(path), "/dev/shm/byteor.%s", name);
	EXPECT_EQ(0, access(path, F_OK));
	EXPECT_EQ(0, byteor_region_info(name, BYTEOR_BACKING_USER, NULL, &info));
	/* The name is taken in every searched directory. */
	o.size = 0;
	EXPECT_EQ(-EEXIST, byteor_region_create(&o, NULL));
	EXPECT_EQ(0, byteor_region_destroy(name, BYTEOR_BACKING_USER, NULL));
	EXPECT_EQ(-1, access(path, F_OK));
	ht_dir_teardown(&d);
}

/*
 * Without /proc an O_TMPFILE cannot be linked to its name: create falls
 * back to a dot-named temporary, still linked into place only when
 * complete, and leaves nothing else behind.
 */
TEST(create_without_proc_falls_back_to_a_named_temporary)
{
	struct ht_dir d = { 0 };
	struct __byteor_region *r;
	bool hidden;

	ASSERT_EQ(0, ht_shm_dir(&d));
	hidden = !unshare(CLONE_NEWNS) &&
		 !mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) &&
		 !mount("none", "/proc", "tmpfs", MS_RDONLY, NULL);
	if (!hidden) {
		ht_dir_teardown(&d);
		SKIP(return, "cannot hide /proc in a private mount namespace");
	}
	EXPECT_NE(0, access("/proc/self/fd", F_OK));
	EXPECT_EQ(0, ht_create_ring(d.path, "noproc"));
	EXPECT_EQ(-EEXIST, ht_create_ring(d.path, "noproc"));
	umount2("/proc", MNT_DETACH);
	EXPECT_EQ(0, ht_sh("test \"$(ls -A %s)\" = byteor.noproc", d.path));
	ASSERT_EQ(0, ht_attach_ring(d.path, "noproc", BYTEOR_ROLE_PRODUCER, &r));
	__byteor_region_detach(r);
	ht_dir_teardown(&d);
}

TEST(kernel_backing_without_module_is_enoent)
{
	struct byteor_attach_options o = { .name = "x", .backing = BYTEOR_BACKING_KERNEL };
	struct byteor_region_info info;
	struct __byteor_region *r;

	if (!access(BYTEOR_DEVICE_PATH, F_OK))
		SKIP(return, "byteor.ko is loaded on this host");
	EXPECT_EQ(-ENOENT, byteor_region_list(BYTEOR_BACKING_KERNEL, NULL, NULL, 0));
	EXPECT_EQ(-ENOENT, byteor_region_info("x", BYTEOR_BACKING_KERNEL, NULL, &info));
	EXPECT_EQ(-ENOENT, byteor_region_destroy("x", BYTEOR_BACKING_KERNEL, NULL));
	EXPECT_EQ(-ENOENT, __byteor_region_attach(&o, BYTEOR_KIND_SINGLE_RING, 0,
						  NULL, BYTEOR_ROLE_PRODUCER, &r));
	unsetenv("BYTEOR_BACKING");
	EXPECT_EQ(BYTEOR_BACKING_USER, byteor_backing_resolve(BYTEOR_BACKING_AUTO));
	EXPECT_EQ(BYTEOR_BACKING_KERNEL, byteor_backing_resolve(BYTEOR_BACKING_KERNEL));
	EXPECT_EQ(-EINVAL, byteor_backing_resolve(5));
}

TEST(kind_names_round_trip)
{
	int k;

	for (k = 1; k <= BYTEOR_KIND_MAX; k++)
		EXPECT_EQ(k, byteor_kind_parse(byteor_kind_name(k)));
	EXPECT_EQ(NULL, byteor_kind_name(0));
	EXPECT_EQ(NULL, byteor_kind_name(99));
	EXPECT_EQ(-EINVAL, byteor_kind_parse("ring"));
	EXPECT_EQ(-EINVAL, byteor_kind_parse(NULL));
}

TEST(strerror_has_byteor_wording_and_keeps_errno)
{
	static const int errs[] = {
		EPERM, ENOENT, EACCES, EEXIST, EINVAL, ENAMETOOLONG, EPROTO,
		EBADMSG, EBUSY, ENOMEM, ENOSPC, EFAULT, EAGAIN, ETIMEDOUT,
		EPIPE, EOVERFLOW, EMSGSIZE, ENOTTY, EOPNOTSUPP, ENOSYS, EINTR,
	};
	unsigned int i;

	errno = 12345;
	for (i = 0; i < ARRAY_SIZE(errs); i++) {
		ASSERT_NE(NULL, byteor_strerror(-errs[i]));
		EXPECT_STRNE("unknown error", byteor_strerror(-errs[i]));
	}
	EXPECT_STREQ("layout kind or version mismatch, or not a byteor region",
		     byteor_strerror(-EPROTO));
	EXPECT_STREQ("peer is gone", byteor_strerror(-EPIPE));
	EXPECT_STREQ("journal overrun: position no longer retained",
		     byteor_strerror(-EOVERFLOW));
	EXPECT_STREQ(byteor_strerror(-EBUSY), byteor_strerror(EBUSY));
	EXPECT_STREQ("success", byteor_strerror(0));
	EXPECT_NE(NULL, byteor_strerror(-100000));
	EXPECT_NE(NULL, byteor_strerror(-2147483647 - 1));
	EXPECT_EQ(12345, errno);
}

TEST(failing_calls_leave_errno_alone)
{
	struct byteor_region_info info;
	struct __byteor_region *r;

	errno = 4242;
	EXPECT_EQ(-ENOENT, byteor_region_info("absent", BYTEOR_BACKING_USER,
					      "/nonexistent", &info));
	EXPECT_EQ(-ENOENT, ht_attach_ring("/nonexistent", "absent",
					  BYTEOR_ROLE_PRODUCER, &r));
	EXPECT_EQ(-ENOENT, byteor_region_destroy("absent", BYTEOR_BACKING_USER,
						 "/nonexistent"));
	EXPECT_EQ(4242, errno);
}

TEST_HARNESS_MAIN
