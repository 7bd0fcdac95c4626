// SPDX-License-Identifier: MIT
/*
 * region_check.c - validation shared by the backings: names, attach requests
 * against a descriptor, and a private copy of a region header turned into a
 * descriptor.
 *
 * The userspace backing has no kernel to keep the descriptor: the header in
 * the file is all there is, and any process that can write the file can
 * scribble on it.  So attach copies the header once into private memory and
 * derives everything from that copy: the layout is recomputed from kind and
 * geometry and must equal the stored one, the size must be the file's size
 * (which the kernel reports, not the header).  After that the mapped header
 * is never read for anything that bounds a memory access.
 */
#include <string.h>
#include "internal.h"

/* Copy a caller's C string into a NUL-padded name field and check it. */
int __byteor_name_copy(char dst[BYTEOR_NAME_MAX], const char *name)
{
	size_t n;

	if (!name)
		return -EINVAL;
	n = strnlen(name, BYTEOR_NAME_MAX);
	if (n == BYTEOR_NAME_MAX)
		return -ENAMETOOLONG;
	memset(dst, 0, BYTEOR_NAME_MAX);
	memcpy(dst, name, n);
	return byteor_name_valid(dst);
}

/* Is this the header of a region of this ABI at all?  -EPROTO if not. */
static int header_ident(const struct byteor_region_header *h)
{
	if (h->magic != BYTEOR_MAGIC || h->abi_version != BYTEOR_ABI_VERSION ||
	    h->header_size != BYTEOR_HEADER_SIZE)
		return -EPROTO;
	return 0;
}

/*
 * Does the header agree with itself and with the file?  Everything a lane
 * uses to bound a memory access is checked here: the layout must be what
 * byteor_layout_compute() gives for the stored kind and geometry, and the
 * region must be large enough for it.  -EBADMSG if not.
 */
static int header_consistent(const struct byteor_region_header *h,
			     const char *name, __u64 file_size)
{
	struct byteor_layout l;

	if (byteor_name_valid(h->name) || strncmp(h->name, name, BYTEOR_NAME_MAX))
		return -EBADMSG;
	if (!byteor_kind_version(h->kind) ||
	    h->layout_version != byteor_kind_version(h->kind))
		return -EBADMSG;
	if (byteor_layout_compute(h->kind, &h->geometry, &l))
		return -EBADMSG;
	if (memcmp(&l, &h->layout, sizeof(l)) || h->nr_claims != l.nr_claims)
		return -EBADMSG;
	if (h->size != file_size || h->size < l.min_size ||
	    h->size % BYTEOR_REGION_ALIGN || h->size > BYTEOR_REGION_SIZE_MAX)
		return -EBADMSG;
	return 0;
}

/**
 * __byteor_header_info() - validate a PRIVATE copy of a region header and
 * fill a descriptor from it.
 * @h:         the copy (never the mapping: a peer could change it between
 *             the check and the use)
 * @name:      the name the region was looked up by (NUL-padded)
 * @file_size: the size the kernel reports for the backing file
 * @info:      filled on success; uid, gid, mode and the counters are left
 *             for the caller (the file's own are the truth)
 *
 * Return: 0, -EPROTO (not a region of this ABI), -EBADMSG (inconsistent).
 */
int __byteor_header_info(const struct byteor_region_header *h,
			 const char name[BYTEOR_NAME_MAX], __u64 file_size,
			 struct byteor_region_info *info)
{
	int ret;

	ret = header_ident(h);
	if (ret)
		return ret;
	ret = header_consistent(h, name, file_size);
	if (ret)
		return ret;
	memset(info, 0, sizeof(*info));
	memcpy(info->name, h->name, BYTEOR_NAME_MAX);
	info->kind = h->kind;
	info->layout_version = h->layout_version;
	info->size = h->size;
	info->generation = h->generation;
	info->flags = 0;
	info->geometry = h->geometry;
	info->layout = h->layout;
	return 0;
}

/**
 * __byteor_check_request() - does an attach request fit a descriptor?
 * @req:  the request
 * @info: the authoritative descriptor
 *
 * The docs/design.md section 4 order after name and access: the owner the
 * caller expects (BYTEOR_ATTACH_EXPECT_OWNER: part of access, so a squatted
 * name is refused before anything of it is trusted or claimed), kind and
 * version, geometry, role and queue.  The descriptor's own consistency (layout
 * recomputed from its geometry) is checked too, so a kernel that disagrees
 * with this library's geometry rules is refused rather than trusted.
 *
 * Return: 0, -EPERM (not the expected owner), -EPROTO, -EBADMSG or -EINVAL.
 */
int __byteor_check_request(const struct __byteor_attach_req *req,
			   const struct byteor_region_info *info)
{
	struct byteor_layout l;
	__u32 first, count;
	int ret;

	if (req->check_owner && info->uid != req->expect_uid)
		return -EPERM;
	if (info->kind != req->kind || info->layout_version != req->version)
		return -EPROTO;
	if (byteor_layout_compute(info->kind, &info->geometry, &l) ||
	    memcmp(&l, &info->layout, sizeof(l)) || info->size < l.min_size)
		return -EBADMSG;
	if (byteor_geometry_match(&info->geometry, &req->want))
		return -EBADMSG;
	if (req->role < BYTEOR_ROLE_PRODUCER || req->role > BYTEOR_ROLE_MAX)
		return -EINVAL;
	ret = byteor_claim_range(info->kind, &info->geometry, req->role,
				 req->queue, &first, &count);
	return ret == -ENOENT ? 0 : ret;
}
