// SPDX-License-Identifier: MIT
/*
 * backing_user_list.c - list the regions of the userspace backing: every
 * "byteor.<name>" file of every searched directory whose header validates,
 * in name order.  A name present in two directories is listed once, from
 * the directory a lookup would find first.  Files that are not valid
 * regions (foreign files, corrupt headers, temporaries of a create in
 * progress) are skipped: list describes what an attach could use.
 * With BYTEOR_LIST_UNREADABLE, a region file the caller may not read is
 * listed too, from its inode alone (name, owner, group, mode, size) and
 * flagged BYTEOR_INFO_F_UNREADABLE: an operator sees that the name is
 * taken and by whom, as ls(1) would show the file.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "internal.h"

struct entry {
	unsigned int dir;		/* search order: first wins on a tie */
	struct byteor_region_info info;
};

struct entries {
	struct entry *v;
	size_t n, room;
};

static int entries_push(struct entries *e, unsigned int dir,
			const struct byteor_region_info *info)
{
	struct entry *v;

	if (e->n == e->room) {
		e->room = e->room ? 2 * e->room : 16;
		v = realloc(e->v, e->room * sizeof(*v));
		if (!v)
			return -ENOMEM;
		e->v = v;
	}
	e->v[e->n].dir = dir;
	e->v[e->n].info = *info;
	e->n++;
	return 0;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int c = strncmp(x->info.name, y->info.name, BYTEOR_NAME_MAX);

	if (c)
		return c;
	return x->dir < y->dir ? -1 : x->dir > y->dir;
}

/* The region name of a directory entry, or -EINVAL if it is not one. */
static int entry_name(const char *file, char n[BYTEOR_NAME_MAX])
{
	size_t plen = sizeof(__BYTEOR_USER_PREFIX) - 1;

	if (strncmp(file, __BYTEOR_USER_PREFIX, plen))
		return -EINVAL;
	return __byteor_name_copy(n, file + plen);
}

/* A region file we may not open: what its inode says. */
static int unreadable_info(int dfd, const char *file, const char n[BYTEOR_NAME_MAX],
			   struct byteor_region_info *info)
{
	struct stat st;

	if (fstatat(dfd, file, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode))
		return -ENOENT;
	memset(info, 0, sizeof(*info));
	memcpy(info->name, n, BYTEOR_NAME_MAX);
	info->size = (__u64)st.st_size;
	info->uid = st.st_uid;
	info->gid = st.st_gid;
	info->mode = st.st_mode & 07777;
	info->flags = BYTEOR_INFO_F_UNREADABLE;
	return 0;
}

static int scan_dir(const char *path, unsigned int idx, unsigned int flags,
		    struct entries *e)
{
	struct byteor_region_info info;
	char n[BYTEOR_NAME_MAX];
	struct dirent *de;
	int dfd, ret = 0;
	DIR *dir;

	dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	dir = fdopendir(dfd);
	if (!dir) {
		ret = -errno;
		close(dfd);
		return ret;
	}
	while (!ret && (de = readdir(dir))) {
		if (entry_name(de->d_name, n))
			continue;
		ret = __byteor_user_info_at(dfd, n, &info);
		if ((ret == -EACCES || ret == -EPERM) &&
		    (flags & BYTEOR_LIST_UNREADABLE))
			ret = unreadable_info(dfd, de->d_name, n, &info);
		if (ret) {
			ret = 0;
			continue;
		}
		ret = entries_push(e, idx, &info);
	}
	closedir(dir);
	return ret;
}

/* Sort by name and keep the first directory's copy of each name. */
static size_t entries_unique(struct entries *e)
{
	size_t i, k = 0;

	if (!e->n)
		return 0;
	qsort(e->v, e->n, sizeof(*e->v), entry_cmp);
	for (i = 1; i < e->n; i++)
		if (strncmp(e->v[i].info.name, e->v[k].info.name, BYTEOR_NAME_MAX))
			e->v[++k] = e->v[i];
	return k + 1;
}

static int scan_dirs(const struct __byteor_dirs *d, unsigned int flags,
		     struct entries *e)
{
	unsigned int i;
	int ret;

	for (i = 0; i < d->n; i++) {
		ret = scan_dir(d->path[i], i, flags, e);
		/* One explicit directory must exist; searched ones may not. */
		if (ret == -ENOMEM || (ret && d->n == 1))
			return ret;
	}
	return 0;
}

/**
 * __byteor_user_list() - describe the regions of the userspace backing.
 * @dir:   directory option or NULL
 * @flags: BYTEOR_LIST_*
 * @v:     filled with up to @n descriptors, in name order
 * @n:     room in @v
 *
 * Return: the number of regions (may exceed @n), or -ENOENT / -EACCES /
 * -ENOTDIR (the given directory), -ENOMEM, or another -errno.
 */
int __byteor_user_list(const char *dir, unsigned int flags,
		       struct byteor_region_info *v, size_t n)
{
	struct entries e = { 0 };
	struct __byteor_dirs *d;
	size_t i, count = 0;
	int ret;

	d = malloc(sizeof(*d));
	if (!d)
		return -ENOMEM;
	ret = __byteor_user_dirs(dir, d);
	if (!ret)
		ret = scan_dirs(d, flags, &e);
	free(d);
	if (!ret) {
		count = entries_unique(&e);
		for (i = 0; i < count && i < n; i++)
			v[i] = e.v[i].info;
		ret = count > 0x7fffffff ? -EOVERFLOW : (int)count;
	}
	free(e.v);
	return ret;
}
