// SPDX-License-Identifier: MIT
/*
 * region.c - the region API (create, destroy, list, info) and the attach
 * and detach every lane goes through: choose the backing, then hand over to
 * backing_kmod.c or backing_user*.c.
 *
 * The library's contract is that errno is unchanged by any call; the system
 * calls made on the way do change it, so each entry point puts it back.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include "internal.h"

/**
 * __byteor_backing_resolve() - the backing a request means.
 * @b: BYTEOR_BACKING_AUTO, _KERNEL or _USER
 *
 * AUTO: env BYTEOR_BACKING ("kernel" or "user"), else the kernel when
 * /dev/byteor exists, else the userspace backing.
 * Return: BYTEOR_BACKING_KERNEL or _USER, or -EINVAL.
 */
int __byteor_backing_resolve(enum byteor_backing b)
{
	const char *env;

	if (b == BYTEOR_BACKING_KERNEL || b == BYTEOR_BACKING_USER)
		return b;
	if (b != BYTEOR_BACKING_AUTO)
		return -EINVAL;
	env = secure_getenv("BYTEOR_BACKING");
	if (env && *env) {
		if (!strcmp(env, "kernel"))
			return BYTEOR_BACKING_KERNEL;
		if (!strcmp(env, "user"))
			return BYTEOR_BACKING_USER;
		return -EINVAL;
	}
	if (!access(BYTEOR_DEVICE_PATH, F_OK))
		return BYTEOR_BACKING_KERNEL;
	return BYTEOR_BACKING_USER;
}

BYTEOR_API int byteor_backing_resolve(enum byteor_backing b)
{
	int saved = errno, ret;

	ret = __byteor_backing_resolve(b);
	errno = saved;
	return ret;
}

static bool zeroed(const unsigned int *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i])
			return false;
	return true;
}

static int region_create(const struct byteor_region_options *o,
			 struct byteor_region_info *info)
{
	__u32 version;
	int b;

	if (!o || !zeroed(o->reserved, ARRAY_SIZE(o->reserved)))
		return -EINVAL;
	/* An owner given without the flag is a mistake, not "keep mine". */
	if (o->flags & ~BYTEOR_REGION_F_MASK ||
	    (!(o->flags & BYTEOR_REGION_F_OWNER) && (o->uid || o->gid)))
		return -EINVAL;
	b = __byteor_backing_resolve(o->backing);
	if (b < 0)
		return b;
	/*
	 * Checked here, before either backing, so both give the errno
	 * byteor/region.h documents (the backings' own checks say -EINVAL
	 * for anything wrong with the options).
	 */
	if (!byteor_kind_version(o->kind))
		return -EINVAL;
	version = o->layout_version ? o->layout_version : byteor_kind_version(o->kind);
	if (version != byteor_kind_version(o->kind))
		return -EPROTO;
	if (o->size > BYTEOR_REGION_SIZE_MAX)
		return -EFBIG;
	if (b == BYTEOR_BACKING_KERNEL)
		return __byteor_kmod_create(o, version, info);
	return __byteor_user_create(o, o->dir, version, info);
}

BYTEOR_API int byteor_region_create(const struct byteor_region_options *o,
				    struct byteor_region_info *info)
{
	int saved = errno, ret;

	ret = region_create(o, info);
	errno = saved;
	return ret;
}

static int region_destroy(const char *name, enum byteor_backing backing,
			  const char *dir)
{
	int b = __byteor_backing_resolve(backing);

	if (b < 0)
		return b;
	if (b == BYTEOR_BACKING_KERNEL)
		return __byteor_kmod_destroy(name);
	return __byteor_user_destroy(name, dir);
}

BYTEOR_API int byteor_region_destroy(const char *name,
				     enum byteor_backing backing,
				     const char *dir)
{
	int saved = errno, ret;

	ret = region_destroy(name, backing, dir);
	errno = saved;
	return ret;
}

static int region_list(enum byteor_backing backing, const char *dir,
		       unsigned int flags, struct byteor_region_info *v, size_t n)
{
	int b = __byteor_backing_resolve(backing);

	if (b < 0)
		return b;
	if ((!v && n) || (flags & ~BYTEOR_LIST_MASK))
		return -EINVAL;
	/* The kernel lists every region, whoever may open it. */
	if (b == BYTEOR_BACKING_KERNEL)
		return __byteor_kmod_list(v, n);
	return __byteor_user_list(dir, flags, v, n);
}

BYTEOR_API int byteor_region_list(enum byteor_backing backing, const char *dir,
				  struct byteor_region_info *v, size_t n)
{
	int saved = errno, ret;

	ret = region_list(backing, dir, 0, v, n);
	errno = saved;
	return ret;
}

BYTEOR_API int byteor_region_list_all(enum byteor_backing backing,
				      const char *dir, unsigned int flags,
				      struct byteor_region_info *v, size_t n)
{
	int saved = errno, ret;

	ret = region_list(backing, dir, flags, v, n);
	errno = saved;
	return ret;
}

static int region_info(const char *name, enum byteor_backing backing,
		       const char *dir, struct byteor_region_info *out)
{
	int b = __byteor_backing_resolve(backing);

	if (b < 0)
		return b;
	if (!out)
		return -EINVAL;
	if (b == BYTEOR_BACKING_KERNEL)
		return __byteor_kmod_info(name, out);
	return __byteor_user_info(name, dir, out);
}

BYTEOR_API int byteor_region_info(const char *name, enum byteor_backing backing,
				  const char *dir, struct byteor_region_info *out)
{
	int saved = errno, ret;

	ret = region_info(name, backing, dir, out);
	errno = saved;
	return ret;
}

static int attach_req(const struct byteor_attach_options *o, __u32 kind,
		      __u32 version, const struct byteor_geometry *want,
		      __u32 role, struct __byteor_attach_req *req)
{
	memset(req, 0, sizeof(*req));
	if (o->flags & ~BYTEOR_ATTACH_OPT_MASK ||
	    !zeroed(o->reserved, ARRAY_SIZE(o->reserved)) ||
	    (!(o->flags & BYTEOR_ATTACH_EXPECT_OWNER) && o->expect_uid))
		return -EINVAL;
	if (role < BYTEOR_ROLE_PRODUCER || role > BYTEOR_ROLE_MAX)
		return -EINVAL;
	req->dir = o->dir;
	req->kind = kind;
	req->version = version ? version : byteor_kind_version(kind);
	if (want)
		req->want = *want;
	req->role = o->flags & BYTEOR_ATTACH_OBSERVER ? BYTEOR_ROLE_OBSERVER : role;
	req->queue = o->queue;
	req->check_owner = !!(o->flags & BYTEOR_ATTACH_EXPECT_OWNER);
	req->expect_uid = o->expect_uid;
	return __byteor_name_copy(req->name, o->name);
}

static int region_attach(const struct byteor_attach_options *o, __u32 kind,
			 __u32 version, const struct byteor_geometry *want,
			 __u32 role, struct __byteor_region **out)
{
	struct __byteor_attach_req req;
	struct __byteor_region *r;
	int b, ret;

	if (!o || !out)
		return -EINVAL;
	ret = attach_req(o, kind, version, want, role, &req);
	if (ret)
		return ret;
	b = __byteor_backing_resolve(o->backing);
	if (b < 0)
		return b;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	if (b == BYTEOR_BACKING_KERNEL)
		ret = __byteor_kmod_attach(&req, r);
	else
		ret = __byteor_user_attach(&req, r);
	if (ret) {
		free(r);
		return ret;
	}
	*out = r;
	return 0;
}

int __byteor_region_attach(const struct byteor_attach_options *o, __u32 kind,
			   __u32 version, const struct byteor_geometry *want,
			   __u32 role, struct __byteor_region **out)
{
	int saved = errno, ret;

	ret = region_attach(o, kind, version, want, role, out);
	errno = saved;
	return ret;
}

void __byteor_region_detach(struct __byteor_region *r)
{
	int saved = errno;

	if (!r)
		return;
	/* Kernel backing: the claim is the file's and goes with close(). */
	if (r->backing == BYTEOR_BACKING_USER)
		__byteor_user_release(r);
	if (r->base)
		munmap(r->base, r->size);
	if (r->fd >= 0)
		close(r->fd);
	free(r);
	errno = saved;
}
