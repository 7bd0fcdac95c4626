/* SPDX-License-Identifier: MIT */
/*
 * internal.h - libbyteor's private interfaces.  Do not include directly from
 * applications; not installed.
 *
 * A lane attaches to a region through __byteor_region_attach(), which picks
 * the backing (kernel module or userspace files), validates the request,
 * claims the role and maps the region.  The returned struct __byteor_region
 * holds the PRIVATE authoritative descriptor (info): every geometry field
 * and area offset a lane uses for memory safety comes from r->info, never
 * from the mapped header, which any attached writer can scribble on
 * (docs/design.md section 7).
 */
#ifndef _BYTEOR_INTERNAL_H
#define _BYTEOR_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <byteor/common.h>
#include <byteor/region.h>
#include <uapi/byteor.h>

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

struct __byteor_region {
	int backing;			/* BYTEOR_BACKING_KERNEL or _USER */
	int fd;				/* /dev/byteor fd, or the region file fd */
	void *base;			/* mapping of the whole region */
	size_t size;
	/*
	 * PRIVATE authoritative descriptor: geometry and layout come from
	 * here, never from the mapped header.
	 */
	struct byteor_region_info info;
	int claim;			/* claim word index, -1 if none */
	unsigned int role, queue, index; /* index: producer slot of an MPSC queue */
	bool readonly;
};

/**
 * __byteor_region_attach() - validate, claim a role and map a region.
 * @o:       name, queue, flags, backing, dir (NULL name -> -EINVAL)
 * @kind:    expected layout kind (enum byteor_kind)
 * @version: expected layout version, 0 for the library's current one
 * @want:    expected geometry; zero fields accept what the region has;
 *           NULL accepts any geometry
 * @role:    enum byteor_role; BYTEOR_ROLE_OBSERVER (or o->flags with
 *           BYTEOR_ATTACH_OBSERVER) maps read-only and claims nothing
 * @out:     the attached region, on success
 *
 * Checks in docs/design.md section 4 order.
 * Return: 0, or -EINVAL (bad options, name, role or queue), -ENAMETOOLONG,
 * -ENOENT (no such region; kernel backing: /dev/byteor missing),
 * -EACCES/-EPERM, -EPROTO (kind or version), -EBADMSG (geometry or a corrupt
 * header), -EBUSY (role taken), -ENOMEM, or another -errno of open/mmap.
 */
int __byteor_region_attach(const struct byteor_attach_options *o, __u32 kind,
			   __u32 version, const struct byteor_geometry *want,
			   __u32 role, struct __byteor_region **out);

/**
 * __byteor_region_detach() - release the claim, unmap, close, free.
 * @r: an attached region or NULL.
 */
void __byteor_region_detach(struct __byteor_region *r);

/**
 * __byteor_area() - address of byte @off of area @a.
 * @r:   attached region
 * @a:   BYTEOR_AREA_CONTROL, _SLOTS or _AUX
 * @off: offset inside the area; the caller keeps it below
 *       r->info.layout.area_size[a] (not checked here: hot path)
 *
 * Return: r->base + r->info.layout.area_off[a] + @off (private offsets).
 */
static inline void *__byteor_area(const struct __byteor_region *r,
				  enum byteor_area a, __u64 off)
{
	return (char *)r->base + r->info.layout.area_off[a] + off;
}

/**
 * __byteor_header() - the mapped header, for observability only (claims[]
 * mirror, generation display).  Never use a value read through it to
 * compute an address or a bound.
 * @r: attached region
 */
static inline const struct byteor_region_header *
__byteor_header(const struct __byteor_region *r)
{
	return (const struct byteor_region_header *)r->base;
}

/**
 * __byteor_claim_alive() - is claim word @claim held by a live process?
 * @r:     attached region
 * @claim: claim word index (< r->info.layout.nr_claims)
 *
 * Kernel backing: the header epoch is odd (the kernel mirrors its private
 * claim state and bumps the epoch when the holder's file is released).
 * Userspace backing: an open file description lock test (F_OFD_GETLK) on
 * byte __BYTEOR_CLAIM_LOCK_BASE + @claim of the region file, so a holder
 * killed with SIGKILL reads as dead at once.  A claim held through @r
 * itself counts as alive.
 *
 * Return: 1 held by a live process, 0 free or dead, -EINVAL bad @claim,
 * or another -errno of fcntl.
 */
int __byteor_claim_alive(const struct __byteor_region *r, __u32 claim);

/* ------------------------------------------------------------------------
 * Between region.c, claim.c and the backings; lanes need none of this.
 */

/*
 * Userspace backing claim locks live far beyond any region's end (regions
 * are at most BYTEOR_REGION_SIZE_MAX = 2^40 bytes): record locks beyond EOF
 * are legal and never conflict with the mapping.
 */
#define __BYTEOR_CLAIM_LOCK_BASE	(1ULL << 40)

/* The userspace backing names a region's file "<dir>/byteor.<name>". */
#define __BYTEOR_USER_PREFIX		"byteor."

/* What an attach asks for, resolved (backing chosen, version defaulted). */
struct __byteor_attach_req {
	char name[BYTEOR_NAME_MAX];
	const char *dir;		/* userspace backing: option, NULL for default */
	__u32 kind;
	__u32 version;
	struct byteor_geometry want;
	__u32 role;
	__u32 queue;
	bool check_owner;		/* BYTEOR_ATTACH_EXPECT_OWNER */
	__u32 expect_uid;
};

/*
 * Directories the userspace backing looks in: the one given (option or env
 * BYTEOR_DIR), else every usable 2 MiB hugetlbfs mount, then /dev/shm.
 */
#define __BYTEOR_DIRS_MAX		5
#define __BYTEOR_DIR_LEN		4096

struct __byteor_dirs {
	unsigned int n;
	bool huge[__BYTEOR_DIRS_MAX];	/* hugetlbfs: fallocate takes hugepages */
	char path[__BYTEOR_DIRS_MAX][__BYTEOR_DIR_LEN];
};

int __byteor_backing_resolve(enum byteor_backing b);
int __byteor_name_copy(char dst[BYTEOR_NAME_MAX], const char *name);
int __byteor_header_info(const struct byteor_region_header *h,
			 const char name[BYTEOR_NAME_MAX], __u64 file_size,
			 struct byteor_region_info *info);
int __byteor_check_request(const struct __byteor_attach_req *req,
			   const struct byteor_region_info *info);
int __byteor_user_dirs(const char *dir, struct __byteor_dirs *d);
int __byteor_user_lookup(const struct __byteor_dirs *d,
			 const char name[BYTEOR_NAME_MAX]);
int __byteor_user_openat(int dfd, const char name[BYTEOR_NAME_MAX], int flags);
int __byteor_user_read_info(int fd, const char name[BYTEOR_NAME_MAX],
			    struct byteor_region_info *info);
int __byteor_user_info_at(int dfd, const char name[BYTEOR_NAME_MAX],
			  struct byteor_region_info *out);
int __byteor_user_claims_held(int fd, __u32 nr_claims);

int __byteor_kmod_create(const struct byteor_region_options *o, __u32 version,
			 struct byteor_region_info *out);
int __byteor_kmod_destroy(const char *name);
int __byteor_kmod_list(struct byteor_region_info *v, size_t n);
int __byteor_kmod_info(const char *name, struct byteor_region_info *out);
int __byteor_kmod_attach(const struct __byteor_attach_req *req,
			 struct __byteor_region *r);

int __byteor_user_create(const struct byteor_region_options *o, const char *dir,
			 __u32 version, struct byteor_region_info *out);
int __byteor_user_destroy(const char *name, const char *dir);
int __byteor_user_list(const char *dir, unsigned int flags,
		       struct byteor_region_info *v, size_t n);
int __byteor_user_info(const char *name, const char *dir,
		       struct byteor_region_info *out);
int __byteor_user_attach(const struct __byteor_attach_req *req,
			 struct __byteor_region *r);

int __byteor_user_claim(struct __byteor_region *r, __u32 first, __u32 count);
void __byteor_user_release(struct __byteor_region *r);

#endif /* _BYTEOR_INTERNAL_H */
