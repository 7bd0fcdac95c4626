// SPDX-License-Identifier: MIT
/*
 * backing_kmod.c - regions held by byteor.ko, through /dev/byteor ioctls.
 *
 * The kernel validates every request and keeps the authoritative
 * descriptor; this file only packs requests, maps the attached file and
 * keeps the descriptor the kernel returned.  That descriptor is still
 * checked against this library's own geometry rules (a layout the library
 * would compute differently is refused), because the lanes index memory
 * with it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include "internal.h"

static int dev_open(void)
{
	int fd = open(BYTEOR_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/* One ioctl on a fresh /dev/byteor file. */
static int dev_ioctl(unsigned long cmd, void *arg)
{
	int fd, ret;

	fd = dev_open();
	if (fd < 0)
		return fd;
	ret = ioctl(fd, cmd, arg) ? -errno : 0;
	close(fd);
	return ret;
}

/**
 * __byteor_kmod_create() - BYTEOR_IOC_CREATE.
 * @o:       the options (name, kind, geometry, size, mode, owner)
 * @version: the layout version (0 resolved by the caller)
 * @out:     the new region's descriptor, or NULL
 *
 * Return: 0, or the kernel's -errno (EPERM, EINVAL, ENAMETOOLONG, EEXIST,
 * ENOSPC, ENOMEM), -ENOENT if /dev/byteor is missing.
 */
int __byteor_kmod_create(const struct byteor_region_options *o, __u32 version,
			 struct byteor_region_info *out)
{
	struct byteor_create c = { .size = sizeof(c) };
	int ret;

	ret = __byteor_name_copy(c.name, o->name);
	if (ret)
		return ret;
	c.kind = o->kind;
	c.layout_version = version;
	c.geometry = o->geometry;
	c.region_size = o->size;
	c.mode = o->mode ? o->mode : 0660;
	if (o->flags & BYTEOR_REGION_F_OWNER) {
		/* The kernel takes both ids; -1 is the caller's, as for fchown. */
		c.flags = BYTEOR_CREATE_F_OWNER;
		c.uid = o->uid == (__u32)-1 ? (__u32)geteuid() : o->uid;
		c.gid = o->gid == (__u32)-1 ? (__u32)getegid() : o->gid;
	}
	ret = dev_ioctl(BYTEOR_IOC_CREATE, &c);
	if (ret || !out)
		return ret;
	return __byteor_kmod_info(o->name, out);
}

/**
 * __byteor_kmod_destroy() - BYTEOR_IOC_DESTROY.
 * @name: region name
 *
 * Return: 0, -EINVAL, -ENAMETOOLONG, -ENOENT, -EPERM, or another -errno.
 */
int __byteor_kmod_destroy(const char *name)
{
	struct byteor_destroy d = { .size = sizeof(d) };
	int ret;

	ret = __byteor_name_copy(d.name, name);
	if (ret)
		return ret;
	return dev_ioctl(BYTEOR_IOC_DESTROY, &d);
}

/**
 * __byteor_kmod_list() - BYTEOR_IOC_LIST.
 * @v: room for @n descriptors
 * @n: entries in @v
 *
 * Return: the number of live regions (may exceed @n), or -errno.
 */
int __byteor_kmod_list(struct byteor_region_info *v, size_t n)
{
	struct byteor_list l = { .size = sizeof(l) };
	int ret;

	l.count = n > UINT32_MAX ? UINT32_MAX : (__u32)n;
	l.entries = (__u64)(uintptr_t)v;
	ret = dev_ioctl(BYTEOR_IOC_LIST, &l);
	if (ret)
		return ret;
	return l.count > INT32_MAX ? -EOVERFLOW : (int)l.count;
}

/**
 * __byteor_kmod_info() - BYTEOR_IOC_INFO by name.
 * @name: region name
 * @out:  filled on success
 *
 * Return: 0, -EINVAL, -ENAMETOOLONG, -ENOENT, or another -errno.
 */
int __byteor_kmod_info(const char *name, struct byteor_region_info *out)
{
	struct byteor_info in = { .size = sizeof(in) };
	int ret;

	ret = __byteor_name_copy(in.name, name);
	if (ret)
		return ret;
	ret = dev_ioctl(BYTEOR_IOC_INFO, &in);
	if (!ret)
		*out = in.info;
	return ret;
}

static int kmod_map(struct __byteor_region *r)
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

static int kmod_bind(const struct __byteor_attach_req *req,
		     struct __byteor_region *r)
{
	struct byteor_attach at = { .size = sizeof(at) };

	memcpy(at.name, req->name, BYTEOR_NAME_MAX);
	at.kind = req->kind;
	at.layout_version = req->version;
	at.geometry = req->want;
	at.role = req->role;
	at.queue = req->queue;
	if (ioctl(r->fd, BYTEOR_IOC_ATTACH, &at))
		return -errno;
	r->info = at.info;
	r->index = at.index;
	r->claim = at.claim;
	if (at.claim >= 0 && (__u32)at.claim >= at.info.layout.nr_claims)
		return -EBADMSG;
	return __byteor_check_request(req, &r->info);
}

/**
 * __byteor_kmod_attach() - open /dev/byteor, BYTEOR_IOC_ATTACH, mmap.
 * @req: the resolved request
 * @r:   zeroed handle, filled on success
 *
 * The claim is the kernel's and goes when r->fd is closed.
 * Return: 0, -ENOENT (no such region, or no /dev/byteor), -EACCES, -EPERM,
 * -EPROTO, -EBADMSG, -EINVAL, -EBUSY, -ENOMEM, or another -errno.
 */
int __byteor_kmod_attach(const struct __byteor_attach_req *req,
			 struct __byteor_region *r)
{
	int ret;

	r->backing = BYTEOR_BACKING_KERNEL;
	r->claim = -1;
	r->role = req->role;
	r->queue = req->queue;
	r->readonly = req->role == BYTEOR_ROLE_OBSERVER;
	r->fd = dev_open();
	if (r->fd < 0)
		return r->fd;
	ret = kmod_bind(req, r);
	if (!ret)
		ret = kmod_map(r);
	if (ret) {
		close(r->fd);
		r->fd = -1;
		r->claim = -1;
	}
	return ret;
}
