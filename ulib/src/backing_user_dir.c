// SPDX-License-Identifier: MIT
/*
 * backing_user_dir.c - where the userspace backing keeps its region files.
 *
 * A region is the file "<dir>/byteor.<name>".  <dir> is the caller's option,
 * else the environment variable BYTEOR_DIR, else the directories searched in
 * order: every hugetlbfs mount with 2 MiB pages that we may enter, then
 * /dev/shm.  Creating goes to the first of them where the region's memory
 * can actually be allocated (a hugetlbfs mount whose pool is empty is
 * skipped); every other operation finds the region in whichever of them
 * holds it, so a region created on hugetlbfs is still found once the pool
 * has run dry.
 */
#include <errno.h>
#include <fcntl.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include "internal.h"

#define SHM_DIR		"/dev/shm"

static int dirs_add(struct __byteor_dirs *d, const char *path, bool huge)
{
	size_t len = strlen(path);

	if (!len)
		return -EINVAL;
	if (len >= __BYTEOR_DIR_LEN)
		return -ENAMETOOLONG;
	if (d->n == __BYTEOR_DIRS_MAX)
		return 0;
	memcpy(d->path[d->n], path, len + 1);
	d->huge[d->n] = huge;
	d->n++;
	return 0;
}

/* A hugetlbfs mount of 2 MiB pages that this process may use. */
static bool hugetlbfs_usable(const char *dir)
{
	struct statfs sfs;

	if (statfs(dir, &sfs))
		return false;
	if (sfs.f_type != HUGETLBFS_MAGIC ||
	    (unsigned long)sfs.f_bsize != BYTEOR_REGION_ALIGN)
		return false;
	return access(dir, X_OK) == 0;
}

/* Every usable hugetlbfs mount, in /proc/mounts order. */
static void dirs_add_hugetlbfs(struct __byteor_dirs *d)
{
	struct mntent ent;
	char buf[4096];
	FILE *f;

	f = setmntent("/proc/mounts", "re");
	if (!f)
		return;
	while (d->n < __BYTEOR_DIRS_MAX - 1 &&
	       getmntent_r(f, &ent, buf, sizeof(buf))) {
		if (strcmp(ent.mnt_type, "hugetlbfs") ||
		    !hugetlbfs_usable(ent.mnt_dir))
			continue;
		dirs_add(d, ent.mnt_dir, true);
	}
	endmntent(f);
}

/* An explicit directory: hugetlbfs or not, said by the filesystem. */
static int dirs_explicit(struct __byteor_dirs *d, const char *dir)
{
	struct statfs sfs;
	bool huge = false;

	if (!statfs(dir, &sfs))
		huge = sfs.f_type == HUGETLBFS_MAGIC;
	return dirs_add(d, dir, huge);
}

/**
 * __byteor_user_dirs() - the directories to use, in order.
 * @dir: the caller's option, or NULL
 * @d:   filled
 *
 * Return: 0, -EINVAL (empty directory name), -ENAMETOOLONG.
 */
int __byteor_user_dirs(const char *dir, struct __byteor_dirs *d)
{
	d->n = 0;
	if (!dir || !*dir)
		dir = secure_getenv("BYTEOR_DIR");
	if (dir && *dir)
		return dirs_explicit(d, dir);
	dirs_add_hugetlbfs(d);
	return dirs_add(d, SHM_DIR, false);
}

/**
 * __byteor_user_lookup() - open the directory that holds region @name.
 * @d:    the directories, in search order
 * @name: NUL-padded, valid name
 *
 * Return: a directory fd (O_CLOEXEC; the caller closes it), or -ENOENT,
 * or -EACCES / -ENOTDIR / another -errno when the only candidate
 * directory cannot be searched.
 */
int __byteor_user_lookup(const struct __byteor_dirs *d,
			 const char name[BYTEOR_NAME_MAX])
{
	char file[sizeof(__BYTEOR_USER_PREFIX) + BYTEOR_NAME_MAX];
	int ret = -ENOENT;
	unsigned int i;
	struct stat st;
	int dfd;

	snprintf(file, sizeof(file), "%s%s", __BYTEOR_USER_PREFIX, name);
	for (i = 0; i < d->n; i++) {
		dfd = open(d->path[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0) {
			if (d->n == 1)
				ret = -errno;
			continue;
		}
		if (!fstatat(dfd, file, &st, AT_SYMLINK_NOFOLLOW))
			return dfd;
		if (errno != ENOENT && d->n == 1)
			ret = -errno;
		close(dfd);
	}
	return ret;
}
