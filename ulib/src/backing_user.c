// SPDX-License-Identifier: MIT
/*
 * backing_user.c - regions without the kernel module: create, destroy,
 * describe and list region files ("<dir>/byteor.<name>", see
 * backing_user_dir.c).  Attaching is in backing_user_attach.c.
 *
 * Create formats the whole region before its name exists: the file is made
 * unnamed (O_TMPFILE) or under a dot-name no lookup matches, sized, its
 * memory allocated (fallocate: a hugetlbfs pool or /dev/shm that is full
 * fails here, never at fault time), the header written, and only then is it
 * linked to its name - link(2) fails with EEXIST if the name was taken
 * meanwhile.  An attacher therefore never sees a half-formatted region.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include "internal.h"

#define FILE_LEN	(sizeof(__BYTEOR_USER_PREFIX) + BYTEOR_NAME_MAX)

/* What create formats, checked and computed once. */
struct user_create {
	char name[BYTEOR_NAME_MAX];
	__u32 kind;
	__u32 version;
	struct byteor_geometry geometry;
	struct byteor_layout layout;
	__u64 size;
	mode_t mode;
	uid_t uid;		/* -1: the caller's (fchown's "unchanged") */
	gid_t gid;
};

static void file_name(char buf[FILE_LEN], const char name[BYTEOR_NAME_MAX])
{
	snprintf(buf, FILE_LEN, "%s%s", __BYTEOR_USER_PREFIX, name);
}

/**
 * __byteor_user_openat() - open a region file, refusing anything that is not
 * a plain file (a symlink or FIFO planted in a shared directory).
 * @dfd:   the directory
 * @name:  NUL-padded region name
 * @flags: O_RDONLY or O_RDWR
 *
 * Return: the fd, or -ENOENT, -EACCES, -EPERM, -EPROTO (not a regular file),
 * or another -errno of open.
 */
int __byteor_user_openat(int dfd, const char name[BYTEOR_NAME_MAX], int flags)
{
	char file[FILE_LEN];
	struct stat st;
	int fd;

	file_name(file, name);
	/* O_NONBLOCK: a FIFO under a region's name must not block us. */
	fd = openat(dfd, file, flags | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	/* A symlink or a directory under a region's name is not a region. */
	if (fd < 0)
		return errno == ELOOP || errno == EISDIR ? -EPROTO : -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EPROTO;
	}
	return fd;
}

/**
 * __byteor_user_read_info() - the descriptor of an open region file.
 * @fd:   the region file
 * @name: the name it was opened by
 * @info: filled on success
 *
 * Reads the header once into private memory and validates that copy
 * (region_check.c); size, owner and mode come from the file itself.
 *
 * Return: 0, -EPROTO (not a byteor region of this ABI), -EBADMSG (corrupt
 * header), or another -errno of fstat/pread.
 */
int __byteor_user_read_info(int fd, const char name[BYTEOR_NAME_MAX],
			    struct byteor_region_info *info)
{
	struct byteor_region_header *h;
	struct stat st;
	ssize_t n;
	int ret;

	if (fstat(fd, &st))
		return -errno;
	if (st.st_size < (off_t)BYTEOR_HEADER_SIZE)
		return -EPROTO;
	h = malloc(sizeof(*h));
	if (!h)
		return -ENOMEM;
	n = pread(fd, h, sizeof(*h), 0);
	if (n < 0)
		ret = -errno;
	else if (n != sizeof(*h))
		ret = -EPROTO;
	else
		ret = __byteor_header_info(h, name, st.st_size, info);
	free(h);
	if (ret)
		return ret;
	info->uid = st.st_uid;
	info->gid = st.st_gid;
	info->mode = st.st_mode & 07777;
	return 0;
}

static int create_check(const struct byteor_region_options *o, __u32 version,
			struct user_create *c)
{
	int ret;

	ret = __byteor_name_copy(c->name, o->name);
	if (ret)
		return ret;
	if (!byteor_kind_version(o->kind) ||
	    version != byteor_kind_version(o->kind))
		return -EINVAL;
	if (byteor_layout_compute(o->kind, &o->geometry, &c->layout))
		return -EINVAL;
	if (o->size > BYTEOR_REGION_SIZE_MAX || (o->mode & ~0777U))
		return -EINVAL;
	c->size = byteor_region_size(&c->layout, o->size);
	if (c->size > BYTEOR_REGION_SIZE_MAX)
		return -EINVAL;
	c->kind = o->kind;
	c->version = version;
	c->geometry = o->geometry;
	c->mode = o->mode ? o->mode : 0660;
	c->uid = (uid_t)-1;
	c->gid = (gid_t)-1;
	if (o->flags & BYTEOR_REGION_F_OWNER) {
		c->uid = (uid_t)o->uid;
		c->gid = (gid_t)o->gid;
	}
	return 0;
}

/* Unique per create, increasing across re-creates of a name. */
static __u64 new_generation(void)
{
	static __u64 last;
	struct timespec ts;
	__u64 g, prev;

	clock_gettime(CLOCK_REALTIME, &ts);
	g = (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	prev = __atomic_load_n(&last, __ATOMIC_RELAXED);
	do {
		if (g <= prev)
			g = prev + 1;
	} while (!__atomic_compare_exchange_n(&last, &prev, g, false,
					      __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	return g;
}

/* Write the header the way byteor.ko does, flagged as ours. */
static int format_header(int fd, const struct user_create *c)
{
	struct byteor_region_header *h;
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	/* The first 2 MiB: the smallest mapping hugetlbfs allows. */
	h = mmap(NULL, BYTEOR_REGION_ALIGN, PROT_READ | PROT_WRITE, MAP_SHARED,
		 fd, 0);
	if (h == MAP_FAILED)
		return -errno;
	h->magic = BYTEOR_MAGIC;
	h->abi_version = BYTEOR_ABI_VERSION;
	h->header_size = BYTEOR_HEADER_SIZE;
	h->kind = c->kind;
	h->layout_version = c->version;
	h->size = c->size;
	h->generation = new_generation();
	h->uid = st.st_uid;
	h->gid = st.st_gid;
	h->mode = c->mode;
	h->flags = BYTEOR_HDR_F_USERSPACE;
	h->nr_claims = c->layout.nr_claims;
	memcpy(h->name, c->name, BYTEOR_NAME_MAX);
	h->geometry = c->geometry;
	h->layout = c->layout;
	munmap(h, BYTEOR_REGION_ALIGN);
	return 0;
}

/*
 * Give the file its owner (fchown(2)'s rules: CAP_CHOWN, or a group of the
 * caller's own) and mode, size it and take its memory now, so nothing
 * faults in later.  All before it has a name: a failure leaves nothing.
 */
static int allocate(int fd, const struct user_create *c, bool huge)
{
	if ((c->uid != (uid_t)-1 || c->gid != (gid_t)-1) &&
	    fchown(fd, c->uid, c->gid))
		return -errno;
	/* After fchown, which may clear mode bits. */
	if (fchmod(fd, c->mode) || ftruncate(fd, c->size))
		return -errno;
	if (fallocate(fd, 0, 0, c->size) && (huge || errno != EOPNOTSUPP))
		return -errno;
	return format_header(fd, c);
}

/* Link an unnamed (O_TMPFILE) file to its name. */
static int link_tmpfile(int fd, int dfd, const char *file)
{
	char proc[64];

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (linkat(AT_FDCWD, proc, dfd, file, AT_SYMLINK_FOLLOW))
		return -errno;
	return 0;
}

static int create_tmpfile(int dfd, const struct user_create *c, bool huge)
{
	char file[FILE_LEN];
	int fd, ret;

	fd = openat(dfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	ret = allocate(fd, c, huge);
	if (!ret) {
		file_name(file, c->name);
		ret = link_tmpfile(fd, dfd, file);
	}
	close(fd);
	return ret;
}

/* Fallback where O_TMPFILE or /proc is missing: a dot-name, then link. */
static int create_named(int dfd, const struct user_create *c, bool huge)
{
	char tmp[FILE_LEN + 32], file[FILE_LEN];
	int fd, ret;

	snprintf(tmp, sizeof(tmp), ".%s%s.%d.%llu", __BYTEOR_USER_PREFIX,
		 c->name, (int)getpid(), (unsigned long long)new_generation());
	fd = openat(dfd, tmp, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	ret = allocate(fd, c, huge);
	if (!ret) {
		file_name(file, c->name);
		if (linkat(dfd, tmp, dfd, file, 0))
			ret = -errno;
	}
	unlinkat(dfd, tmp, 0);
	close(fd);
	return ret;
}

static int create_in(const char *dir, const struct user_create *c, bool huge)
{
	int dfd, ret;

	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	ret = create_tmpfile(dfd, c, huge);
	/* No O_TMPFILE on this filesystem, or no /proc to link it through. */
	if (ret == -EOPNOTSUPP || ret == -EISDIR || ret == -EINVAL ||
	    ret == -ENOENT)
		ret = create_named(dfd, c, huge);
	close(dfd);
	return ret;
}

/* Hugetlbfs that cannot take the region: try the next directory. */
static bool try_next(int ret, bool huge)
{
	return huge && (ret == -ENOSPC || ret == -ENOMEM || ret == -EACCES ||
			ret == -EPERM || ret == -EROFS);
}

static int create_dirs(const struct __byteor_dirs *d, const struct user_create *c)
{
	unsigned int i;
	int dfd, ret = -ENOENT;

	/* The name must be free in every directory a lookup searches. */
	dfd = __byteor_user_lookup(d, c->name);
	if (dfd >= 0) {
		close(dfd);
		return -EEXIST;
	}
	for (i = 0; i < d->n; i++) {
		ret = create_in(d->path[i], c, d->huge[i]);
		if (!try_next(ret, d->huge[i]) || i + 1 == d->n)
			break;
	}
	return ret;
}

/**
 * __byteor_user_create() - create a region file.
 * @o:       the options (not yet checked)
 * @dir:     directory option or NULL
 * @version: the layout version (0 resolved by the caller)
 * @out:     descriptor of the new region, or NULL
 *
 * Return: 0, -EINVAL, -ENAMETOOLONG, -EEXIST, -ENOSPC, -ENOMEM, -EACCES,
 * -EPERM, -ENOENT (directory missing), or another -errno.
 */
int __byteor_user_create(const struct byteor_region_options *o, const char *dir,
			 __u32 version, struct byteor_region_info *out)
{
	struct __byteor_dirs *d;
	struct user_create c;
	int ret;

	ret = create_check(o, version, &c);
	if (ret)
		return ret;
	d = malloc(sizeof(*d));
	if (!d)
		return -ENOMEM;
	ret = __byteor_user_dirs(dir, d);
	if (!ret)
		ret = create_dirs(d, &c);
	free(d);
	if (!ret && out)
		ret = __byteor_user_info(o->name, dir, out);
	return ret;
}

/**
 * __byteor_user_destroy() - unlink a region file.
 * @name: region name
 * @dir:  directory option or NULL
 *
 * Return: 0, -EINVAL, -ENAMETOOLONG, -ENOENT, -EACCES, -EPERM, -ENOMEM,
 * or another -errno of unlink.
 */
int __byteor_user_destroy(const char *name, const char *dir)
{
	char n[BYTEOR_NAME_MAX], file[FILE_LEN];
	struct __byteor_dirs *d;
	int dfd, ret;

	ret = __byteor_name_copy(n, name);
	if (ret)
		return ret;
	d = malloc(sizeof(*d));
	if (!d)
		return -ENOMEM;
	ret = __byteor_user_dirs(dir, d);
	dfd = ret ? ret : __byteor_user_lookup(d, n);
	free(d);
	if (dfd < 0)
		return dfd;
	file_name(file, n);
	ret = unlinkat(dfd, file, 0) ? -errno : 0;
	close(dfd);
	return ret;
}

/* The descriptor of region @n in directory @dfd, claims counted. */
int __byteor_user_info_at(int dfd, const char n[BYTEOR_NAME_MAX],
			  struct byteor_region_info *out)
{
	int fd, ret;

	fd = __byteor_user_openat(dfd, n, O_RDONLY);
	if (fd < 0)
		return fd;
	ret = __byteor_user_read_info(fd, n, out);
	if (!ret) {
		ret = __byteor_user_claims_held(fd, out->layout.nr_claims);
		out->nr_claims_held = ret > 0 ? ret : 0;
		ret = ret < 0 ? ret : 0;
	}
	close(fd);
	return ret;
}

/**
 * __byteor_user_info() - the descriptor of a region file.
 * @name: region name
 * @dir:  directory option or NULL
 * @out:  filled on success
 *
 * Return: 0, -EINVAL, -ENAMETOOLONG, -ENOENT, -EACCES, -EPROTO, -EBADMSG,
 * -ENOMEM, or another -errno.
 */
int __byteor_user_info(const char *name, const char *dir,
		       struct byteor_region_info *out)
{
	char n[BYTEOR_NAME_MAX];
	struct __byteor_dirs *d;
	int dfd, ret;

	ret = __byteor_name_copy(n, name);
	if (ret)
		return ret;
	d = malloc(sizeof(*d));
	if (!d)
		return -ENOMEM;
	ret = __byteor_user_dirs(dir, d);
	dfd = ret ? ret : __byteor_user_lookup(d, n);
	free(d);
	if (dfd < 0)
		return dfd;
	ret = __byteor_user_info_at(dfd, n, out);
	close(dfd);
	return ret;
}
