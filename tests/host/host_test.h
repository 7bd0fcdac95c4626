/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * host_test.h - helpers for the host tests of libbyteor (userspace backing).
 *
 * Include after kselftest_harness.h.  Every test gets a private backing
 * directory (a mkdtemp under /dev/shm, or a hugetlbfs mount of its own in
 * a private mount namespace), so tests never see each other's regions and
 * can run in parallel with anything else on the host.
 *
 *	FIXTURE(region) { struct ht_dir d; };
 *	FIXTURE_VARIANT(region) { bool huge; };
 *	FIXTURE_VARIANT_ADD(region, shm) { .huge = false };
 *	FIXTURE_VARIANT_ADD(region, hugetlbfs) { .huge = true };
 *	FIXTURE_SETUP(region) { HT_DIR_SETUP(&self->d, variant->huge); }
 *	FIXTURE_TEARDOWN(region) { ht_dir_teardown(&self->d); }
 *	TEST_F(region, creates) { HT_SETUP_SKIPPED(); ... }
 */
#ifndef _BYTEOR_HOST_TEST_H
#define _BYTEOR_HOST_TEST_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <mntent.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <byteor/region.h>
#include "internal.h"
#include "../common/test_proc.h"

#define HT_PATH		256

/* Size limit of a test's hugetlbfs mount. */
#define HT_HUGE_LIMIT		(32ULL << 20)
#define HT_HUGE_LIMIT_STR	"32M"

/*
 * Debian's 6.1 kselftest_harness.h runs a test body even after
 * FIXTURE_SETUP() called SKIP(); bodies of skippable fixtures start with
 * this so they report the skip instead of failing on an empty fixture.
 */
#define HT_SETUP_SKIPPED() do {			\
	if (_metadata->skip)			\
		return;				\
} while (0)

struct ht_dir {
	char path[HT_PATH];
	bool huge;
	bool ready;
};

/* Remove the files of a flat directory, then the directory. */
static inline void ht_rm_dir(const char *path)
{
	char file[HT_PATH * 2];
	struct dirent *de;
	DIR *dir;

	dir = opendir(path);
	if (!dir)
		return;
	while ((de = readdir(dir))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(file, sizeof(file), "%s/%s", path, de->d_name);
		unlink(file);
	}
	closedir(dir);
	rmdir(path);
}

static inline int ht_shm_dir(struct ht_dir *d)
{
	strcpy(d->path, "/dev/shm/byteor-test.XXXXXX");
	if (!mkdtemp(d->path))
		return -errno;
	d->huge = false;
	d->ready = true;
	return 0;
}

static inline long ht_free_hugepages(void)
{
	FILE *f = fopen("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "r");
	long n = -1;

	if (f) {
		if (fscanf(f, "%ld", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

/*
 * A hugetlbfs mount of 2 MiB pages, private to this test process (a new
 * mount namespace: it goes away with the process, even one that crashed).
 * Needs root and free hugepages (scripts/host-tests.sh reserves some).
 * Return: 0, or -errno with @why set.
 */
static inline int ht_huge_dir(struct ht_dir *d, char *why, size_t len)
{
	long free_pages = ht_free_hugepages();

	if (free_pages < 8) {
		snprintf(why, len, "needs 8 free 2 MiB hugepages, have %ld "
			 "(echo 64 > /proc/sys/vm/nr_hugepages)", free_pages);
		return -ENOSPC;
	}
	if (unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) {
		snprintf(why, len, "no private mount namespace: %s", strerror(errno));
		return -EPERM;
	}
	strcpy(d->path, "/tmp/byteor-huge.XXXXXX");
	if (!mkdtemp(d->path)) {
		snprintf(why, len, "mkdtemp: %s", strerror(errno));
		return -errno;
	}
	/* At most HT_HUGE_LIMIT: a test never drains the shared pool. */
	if (mount("byteor-test", d->path, "hugetlbfs", 0,
		  "pagesize=2M,mode=0755,size=" HT_HUGE_LIMIT_STR)) {
		snprintf(why, len, "mount -t hugetlbfs: %s", strerror(errno));
		rmdir(d->path);
		return -EPERM;
	}
	d->huge = true;
	d->ready = true;
	return 0;
}

/*
 * Unmount, in this test's private mount namespace only, every hugetlbfs
 * mount but @keep: the host may have its own (a benchmark's, systemd's
 * /dev/hugepages), and a default-directory test must see only ours.
 * Call after ht_huge_dir().  Return: 0 or -errno.
 */
static inline int ht_hide_other_hugetlbfs(const char *keep)
{
	char dirs[8][HT_PATH];
	struct mntent *m;
	int i, n = 0;
	FILE *f;

	f = setmntent("/proc/self/mounts", "r");
	if (!f)
		return -errno;
	while ((m = getmntent(f)) && n < 8)
		if (!strcmp(m->mnt_type, "hugetlbfs") && strcmp(m->mnt_dir, keep))
			snprintf(dirs[n++], HT_PATH, "%s", m->mnt_dir);
	endmntent(f);
	for (i = 0; i < n; i++)
		if (umount2(dirs[i], MNT_DETACH))
			return -errno;
	return 0;
}

#define HT_DIR_SETUP(d, huge) do {						\
	char __why[256];							\
	int __ret;								\
										\
	if (huge) {								\
		__ret = ht_huge_dir((d), __why, sizeof(__why));			\
		if (__ret)							\
			SKIP(return, "hugetlbfs: %s", __why);			\
	} else {								\
		__ret = ht_shm_dir(d);						\
		ASSERT_EQ(0, __ret);						\
	}									\
} while (0)

static inline void ht_dir_teardown(struct ht_dir *d)
{
	char path[HT_PATH];

	if (!d->ready)
		return;
	memcpy(path, d->path, sizeof(path));
	if (d->huge) {
		ht_rm_dir(path);	/* unlinks the files: frees the pages */
		umount2(path, MNT_DETACH);
		rmdir(path);
	} else {
		ht_rm_dir(path);
	}
	d->ready = false;
}

/*
 * The backing of these tests, and a region's name and directory as the
 * options want them.  tests/crash/crash_env.h defines the same three for
 * the kernel backing, so helpers shared with the crash tests
 * (single_ring_test.h, sequenced_slots_test.h) serve both.
 */
#define HT_BACKING	BYTEOR_BACKING_USER

static inline const char *ht_rname(const char *dir, const char *name)
{
	(void)dir;
	return name;
}

static inline const char *ht_rdir(const char *dir)
{
	return dir;
}

/* Create region @name of @kind in @dir. */
static inline int ht_create(const char *dir, const char *name, __u32 kind,
			    const struct byteor_geometry *g)
{
	struct byteor_region_options o = {
		.name = name, .kind = kind, .geometry = *g,
		.backing = BYTEOR_BACKING_USER, .dir = dir,
	};

	return byteor_region_create(&o, NULL);
}

static inline int ht_create_ring(const char *dir, const char *name)
{
	struct byteor_geometry g = ht_geom(64, 1024, 1, 1);

	return ht_create(dir, name, BYTEOR_KIND_SINGLE_RING, &g);
}

static inline struct byteor_attach_options ht_opts(const char *dir,
						   const char *name)
{
	struct byteor_attach_options o = {
		.name = name, .backing = BYTEOR_BACKING_USER, .dir = dir,
	};

	return o;
}

/* Attach to a single ring @name in @dir as @role on queue 0. */
static inline int ht_attach_ring(const char *dir, const char *name, __u32 role,
				 struct __byteor_region **r)
{
	struct byteor_attach_options o = ht_opts(dir, name);

	return __byteor_region_attach(&o, BYTEOR_KIND_SINGLE_RING, 0, NULL,
				      role, r);
}

static inline void ht_region_path(char *buf, size_t len, const char *dir,
				  const char *name)
{
	snprintf(buf, len, "%s/byteor.%s", dir, name);
}

/* Overwrite @len bytes at @off of the region file, as a hostile peer would. */
static inline int ht_scribble(const char *dir, const char *name, off_t off,
			      const void *data, size_t len)
{
	char path[HT_PATH * 2];
	void *p;
	int fd;

	ht_region_path(path, sizeof(path), dir, name);
	fd = open(path, O_RDWR);
	if (fd < 0)
		return -errno;
	/* hugetlbfs has no write(2): go through a mapping, like a peer would. */
	p = mmap(NULL, BYTEOR_REGION_ALIGN, PROT_READ | PROT_WRITE, MAP_SHARED,
		 fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return -errno;
	memcpy((char *)p + off, data, len);
	munmap(p, BYTEOR_REGION_ALIGN);
	return 0;
}

/* Run a shell command line; return its exit status (or 128 + signal). */
static inline int ht_sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	fflush(stdout);
	fflush(stderr);
	st = system(cmd);
	if (st < 0)
		return -1;
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WEXITSTATUS(st);
}

#endif /* _BYTEOR_HOST_TEST_H */
