// SPDX-License-Identifier: MIT
/*
 * backing_user_attach.c - attach to a region file of the userspace backing,
 * validating like byteor.ko does (docs/design.md section 4, in order): the name
 * exists (ENOENT); the file opens with the access the role needs - read for
 * observers, read and write otherwise - (EACCES, EPERM); the header is a
 * byteor header of this ABI, of the expected kind and version (EPROTO); it
 * is consistent and its geometry is what the caller expects (EBADMSG); the
 * role and queue exist (EINVAL); the role is free (EBUSY).
 *
 * The header is read once into private memory and validated there; the
 * descriptor kept in the region handle comes from that copy and the file's
 * own size, never from the mapping.  What this backing cannot give (the
 * kernel backing can): a writer of the file can still truncate it, which
 * would make a peer's next access fault.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/mman.h>
#include "internal.h"

static int open_region(const struct __byteor_attach_req *req, bool ro)
{
	struct __byteor_dirs *d;
	int dfd, fd;

	d = malloc(sizeof(*d));
	if (!d)
		return -ENOMEM;
	dfd = __byteor_user_dirs(req->dir, d);
	if (!dfd)
		dfd = __byteor_user_lookup(d, req->name);
	free(d);
	if (dfd < 0)
		return dfd;
	fd = __byteor_user_openat(dfd, req->name, ro ? O_RDONLY : O_RDWR);
	close(dfd);
	return fd;
}

static int map_region(struct __byteor_region *r)
{
	int prot = r->readonly ? PROT_READ : PROT_READ | PROT_WRITE;
	void *p;

	p = mmap(NULL, r->info.size, prot, MAP_SHARED | MAP_POPULATE, r->fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	r->base = p;
	r->size = r->info.size;
	return 0;
}

static bool is_mpsc_producer(const struct __byteor_region *r)
{
	return r->info.kind == BYTEOR_KIND_EVENTS_CHAIN &&
	       r->role == BYTEOR_ROLE_PRODUCER &&
	       ((r->info.geometry.mpsc_mask >> r->queue) & 1);
}

static int claim_role(struct __byteor_region *r)
{
	__u32 first, count;
	int ret;

	ret = byteor_claim_range(r->info.kind, &r->info.geometry, r->role,
				 r->queue, &first, &count);
	if (ret == -ENOENT)	/* a role that never claims */
		return 0;
	if (ret)
		return ret;
	ret = __byteor_user_claim(r, first, count);
	/* Like byteor.ko: index is the producer slot of an MPSC queue, else the queue. */
	if (!ret && !is_mpsc_producer(r))
		r->index = r->queue;
	return ret;
}

/**
 * __byteor_user_attach() - open, validate, map and claim.
 * @req: the resolved request (req->role is BYTEOR_ROLE_OBSERVER for a
 *       read-only attach)
 * @r:   zeroed handle, filled on success (fd, base, size, info, claim)
 *
 * Return: 0, -ENOENT, -EACCES, -EPERM, -EPROTO, -EBADMSG, -EINVAL, -EBUSY,
 * -ENOMEM, or another -errno of open/mmap/fcntl.  On failure @r holds no
 * resource.
 */
int __byteor_user_attach(const struct __byteor_attach_req *req,
			 struct __byteor_region *r)
{
	int ret;

	r->backing = BYTEOR_BACKING_USER;
	r->claim = -1;
	r->role = req->role;
	r->queue = req->queue;
	r->index = req->queue;
	r->readonly = req->role == BYTEOR_ROLE_OBSERVER;
	r->fd = open_region(req, r->readonly);
	if (r->fd < 0)
		return r->fd;
	ret = __byteor_user_read_info(r->fd, req->name, &r->info);
	if (!ret)
		ret = __byteor_check_request(req, &r->info);
	if (!ret)
		ret = map_region(r);
	if (!ret)
		ret = claim_role(r);
	if (ret) {
		if (r->base)
			munmap(r->base, r->size);
		r->base = NULL;
		close(r->fd);
		r->fd = -1;
	}
	return ret;
}
