/* SPDX-License-Identifier: MIT */
/*
 * byteor/region.h - create, destroy, list and describe regions.
 *
 * A region is a named block of shared memory holding one layout (single
 * ring, events chain, fanout, journal, sequenced slots).  It lives in the
 * kernel module (/dev/byteor) or, without the module, in a file of the
 * userspace backing ("<dir>/byteor.<name>" on hugetlbfs or /dev/shm).
 *
 * Usage sketch:
 *
 *	struct byteor_region_options o = {
 *		.name = "md.eurusd",
 *		.kind = BYTEOR_KIND_SINGLE_RING,
 *		.geometry = { .slot_size = 64, .capacity = 1024,
 *			      .queues = 1, .producers = 1 },
 *	};
 *	int ret = byteor_region_create(&o, NULL);
 *	...
 *	byteor_region_destroy("md.eurusd", BYTEOR_BACKING_AUTO, NULL);
 */
#ifndef _BYTEOR_REGION_H
#define _BYTEOR_REGION_H

#include <byteor/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * struct byteor_region_options - what byteor_region_create() makes.
 * @name:           1..63 bytes of [A-Za-z0-9._-], not starting with '.'
 * @kind:           enum byteor_kind
 * @layout_version: 0 for the library's current version of @kind
 * @geometry:       see include/uapi/byteor.h; every scalar field is explicit
 *                  (queues = producers = 1 where the kind has one)
 * @size:           0, or a minimum size in bytes (rounded up to 2 MiB)
 * @mode:           permission bits, 0 for 0660
 * @backing:        BYTEOR_BACKING_AUTO, _KERNEL or _USER
 * @dir:            userspace backing directory, NULL for the default
 *                  (env BYTEOR_DIR, a usable hugetlbfs mount, /dev/shm)
 * @flags:          BYTEOR_REGION_F_* (0.4; 0 before)
 * @uid, @gid:      with BYTEOR_REGION_F_OWNER, the new region's owner and
 *                  group ((__u32)-1 keeps the caller's); needs CAP_CHOWN
 *                  (0.4; were reserved, zero, before)
 * @reserved:       must be zero
 *
 * @flags, @uid and @gid took the first three words of what was reserved, so
 * a program built against 0.3 passes zeros (the caller owns the region, as
 * before) and a program that sets them gets -EINVAL from a 0.3 library
 * instead of a region owned by the wrong user.
 */
struct byteor_region_options {
	const char *name;
	__u32 kind;
	__u32 layout_version;
	struct byteor_geometry geometry;
	__u64 size;
	unsigned int mode;
	enum byteor_backing backing;
	const char *dir;
	unsigned int flags;
	__u32 uid;
	__u32 gid;
	unsigned int reserved[5];
};

/*
 * Create the region owned by @uid and group @gid instead of the caller's
 * fsuid and fsgid.  The owner is set before the region has its name (as the
 * mode is), so no one sees it with the caller's ownership first.
 */
#define BYTEOR_REGION_F_OWNER	(1U << 0)
#define BYTEOR_REGION_F_MASK	(BYTEOR_REGION_F_OWNER)

/**
 * byteor_region_create() - create a region, zero-filled, header formatted.
 * @o:    what to create
 * @info: if not NULL, receives the new region's descriptor
 *
 * The userspace backing formats the region under a temporary name and
 * links it into place only when complete, so an attacher never sees a
 * half-formatted region.
 *
 * Return: 0 on success, or
 * -EINVAL (NULL @o, bad kind, backing, geometry, mode, name, unknown flags,
 * @uid/@gid without BYTEOR_REGION_F_OWNER, or non-zero reserved),
 * -ENAMETOOLONG (name of 64 bytes or more), -EPROTO (layout
 * version other than 0 or the library's version of @kind), -EEXIST (name
 * taken), -EPERM/-EACCES
 * (not allowed to create), -ENOSPC/-ENOMEM (no memory or hugepages left),
 * -ENOENT (kernel backing requested but /dev/byteor missing, or backing
 * directory missing), -EFBIG (size above BYTEOR_REGION_SIZE_MAX), or another
 * -errno from the system.
 */
BYTEOR_API int byteor_region_create(const struct byteor_region_options *o,
				    struct byteor_region_info *info);

/**
 * byteor_region_destroy() - unlink a region's name.
 * @name:    region name
 * @backing: BYTEOR_BACKING_AUTO, _KERNEL or _USER
 * @dir:     userspace backing directory, NULL for the default
 *
 * Processes attached keep their mappings; the memory is freed when the last
 * mapping goes.
 *
 * Return: 0, or -EINVAL (bad name or backing), -ENAMETOOLONG, -ENOENT (no
 * such region), -EPERM/-EACCES (not allowed), or another -errno.
 */
BYTEOR_API int byteor_region_destroy(const char *name,
				     enum byteor_backing backing,
				     const char *dir);

/**
 * byteor_region_list() - describe every region of a backing.
 * @backing: BYTEOR_BACKING_AUTO, _KERNEL or _USER
 * @dir:     userspace backing directory, NULL for the default
 * @v:       array of @n entries to fill, in name order (may be NULL if @n is 0)
 * @n:       room in @v
 *
 * The userspace backing lists files "byteor.<name>" whose header validates;
 * other files are skipped.
 *
 * Return: the number of regions (may exceed @n: only the first @n are
 * written; call again with more room), or -EINVAL (bad backing, @v NULL
 * with @n > 0), -ENOENT (backing directory or /dev/byteor missing),
 * -EACCES, -ENOMEM, or another -errno.
 */
BYTEOR_API int byteor_region_list(enum byteor_backing backing, const char *dir,
				  struct byteor_region_info *v, size_t n);

/*
 * byteor_region_list_all() flags.  BYTEOR_LIST_UNREADABLE: list the regions
 * the caller may not read too (the userspace backing skips them otherwise;
 * the kernel backing always lists every region), each flagged
 * BYTEOR_INFO_F_UNREADABLE in struct byteor_region_info's flags with only
 * name, size, uid, gid and mode filled in (the rest zero).  That bit is the
 * library's: the kernel never sets it.
 */
#define BYTEOR_LIST_UNREADABLE		(1U << 0)
#define BYTEOR_LIST_MASK		(BYTEOR_LIST_UNREADABLE)
#define BYTEOR_INFO_F_UNREADABLE	(1U << 31)

/**
 * byteor_region_list_all() - byteor_region_list(), with flags (since 0.4).
 * @backing: BYTEOR_BACKING_AUTO, _KERNEL or _USER
 * @dir:     userspace backing directory, NULL for the default
 * @flags:   BYTEOR_LIST_*, 0 for what byteor_region_list() returns
 * @v:       array of @n entries to fill, in name order
 * @n:       room in @v
 *
 * Return: as byteor_region_list(); -EINVAL also for unknown @flags.
 */
BYTEOR_API int byteor_region_list_all(enum byteor_backing backing,
				      const char *dir, unsigned int flags,
				      struct byteor_region_info *v, size_t n);

/**
 * byteor_region_info() - the descriptor of one region.
 * @name:    region name
 * @backing: BYTEOR_BACKING_AUTO, _KERNEL or _USER
 * @dir:     userspace backing directory, NULL for the default
 * @out:     receives the descriptor
 *
 * Userspace backing: the header is validated as on attach (a copy is
 * checked, never the shared memory twice); nr_files is 0 and
 * nr_claims_held counts the claims whose lock is held.
 *
 * Return: 0, or -EINVAL (bad name, backing or NULL @out), -ENAMETOOLONG,
 * -ENOENT (no such region), -EACCES (cannot read it), -EPROTO (not a byteor
 * region of a known ABI), -EBADMSG (corrupt header), or another -errno.
 */
BYTEOR_API int byteor_region_info(const char *name, enum byteor_backing backing,
				  const char *dir, struct byteor_region_info *out);

/**
 * byteor_backing_resolve() - the backing a request for @b would use.
 * @b: BYTEOR_BACKING_AUTO, _KERNEL or _USER
 *
 * AUTO stands for env BYTEOR_BACKING ("kernel" or "user") if set, else the
 * kernel backing when /dev/byteor exists, else the userspace backing.
 *
 * Return: BYTEOR_BACKING_KERNEL or BYTEOR_BACKING_USER, or -EINVAL (@b
 * unknown, or BYTEOR_BACKING set to something else).
 */
BYTEOR_API int byteor_backing_resolve(enum byteor_backing b);

/**
 * byteor_kind_name() - the CLI / JSON name of a layout kind.
 * @kind: enum byteor_kind
 *
 * Return: "single-ring", "events", "fanout", "journal", "sequenced-slots",
 * or NULL for an unknown kind.
 */
BYTEOR_API const char *byteor_kind_name(__u32 kind);

/**
 * byteor_kind_parse() - the layout kind of a CLI name.
 * @name: as returned by byteor_kind_name()
 *
 * Return: the enum byteor_kind value (> 0), or -EINVAL.
 */
BYTEOR_API int byteor_kind_parse(const char *name);

#ifdef __cplusplus
}
#endif

#endif /* _BYTEOR_REGION_H */
