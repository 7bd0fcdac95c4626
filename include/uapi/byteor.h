/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * byteor: the kernel <-> user ABI.
 *
 * One header, included unchanged by the kernel module (kmod/) and by
 * libbyteor (ulib/).  It defines:
 *
 *  - the region header that opens every region (4 KiB, in shared memory),
 *  - the layout kinds and their geometry rules, as static inline functions
 *    both sides call, so the kernel and the library can never disagree on
 *    where an area starts or how large a region must be,
 *  - the /dev/byteor ioctls.
 *
 * Rules of the ABI:
 *  - fixed-width fields, explicit padding, no pointers except as __u64;
 *  - every ioctl struct starts with `size` (must be sizeof the struct the
 *    command number encodes) and `flags` (unknown bits -> -EINVAL); every
 *    reserved field must be zero (-EINVAL otherwise), so the ABI can grow;
 *  - everything the kernel or the library relies on for memory safety comes
 *    from the private descriptor (struct byteor_region_info returned by
 *    BYTEOR_IOC_ATTACH), never from the mapped header, which any attached
 *    writer can scribble on.
 *
 * Usage sketch (kernel backing):
 *
 *	int fd = open("/dev/byteor", O_RDWR | O_CLOEXEC);
 *	struct byteor_attach at = { .size = sizeof(at) };
 *	strcpy(at.name, "md.eurusd");
 *	at.kind = BYTEOR_KIND_SINGLE_RING;
 *	at.layout_version = BYTEOR_SINGLE_RING_VERSION;
 *	at.role = BYTEOR_ROLE_CONSUMER;
 *	ioctl(fd, BYTEOR_IOC_ATTACH, &at);
 *	void *p = mmap(NULL, at.info.size, PROT_READ | PROT_WRITE,
 *		       MAP_SHARED | MAP_POPULATE, fd, 0);
 *
 * Map with MAP_POPULATE: the pages already exist (taken at create), and
 * populating maps them all at mmap time, so the hot path never faults.
 *
 * What a mapping allows afterwards (the kernel trusts none of it):
 *  - an observer's mapping is never writable: mmap and mprotect with
 *    PROT_WRITE fail with EACCES, whatever mode /dev/byteor was opened in;
 *  - remap_file_pages(2) fails on every byteor mapping (EACCES; EINVAL for
 *    an observer's, which is not VM_SHARED) and leaves it unchanged: no
 *    mapping reaches past the region or reserves hugepages beyond it;
 *  - madvise(MADV_REMOVE) fails (EBADF for writers, EACCES for observers):
 *    no process can drop pages other processes or the kernel use;
 *  - mremap(2) cannot grow a mapping (hugetlb); moving it keeps its access;
 *    a fork(2) child gets the same mappings, no more access;
 *  - a mapping outlives its /dev/byteor file, the region's name and the
 *    module; claims do not: they belong to the attached file (see ATTACH).
 */
#ifndef _UAPI_BYTEOR_H
#define _UAPI_BYTEOR_H

#include <linux/types.h>
#include <linux/ioctl.h>
#include <linux/errno.h>

#ifdef __cplusplus
#define BYTEOR_STATIC_ASSERT(e, m) static_assert(e, m)
#else
#define BYTEOR_STATIC_ASSERT(e, m) _Static_assert(e, m)
#endif

#define BYTEOR_ABI_VERSION	1
#define BYTEOR_MAGIC		0x31524f4554594232ULL	/* "2BYTEOR1" LE */
#define BYTEOR_DEVICE_PATH	"/dev/byteor"

/* Names: 1..63 bytes of [A-Za-z0-9._-], not starting with '.'; NUL-padded. */
#define BYTEOR_NAME_MAX		64	/* including the terminating NUL */

#define BYTEOR_HEADER_SIZE	4096ULL
#define BYTEOR_CACHELINE	64ULL
#define BYTEOR_REGION_ALIGN	(2ULL << 20)	/* regions are whole 2 MiB pages */
#define BYTEOR_AREA_ALIGN	4096ULL
#define BYTEOR_REGION_SIZE_MAX	(1ULL << 40)

/* -------------------------------------------------------------------------
 * Layout kinds and their versions.
 */
enum byteor_kind {
	BYTEOR_KIND_SINGLE_RING = 1,	 /* SPSC ring of fixed-size slots */
	BYTEOR_KIND_EVENTS_CHAIN = 2,	 /* N queues, each SPSC or MPSC */
	BYTEOR_KIND_FANOUT = 3,		 /* 1 producer, router, N consumers */
	BYTEOR_KIND_JOURNAL = 4,	 /* append-only variable-length log */
	BYTEOR_KIND_SEQUENCED_SLOTS = 5, /* Disruptor ring, DAG of stages */
	BYTEOR_KIND_MAX = 5,
};

#define BYTEOR_SINGLE_RING_VERSION	1
#define BYTEOR_EVENTS_CHAIN_VERSION	4
#define BYTEOR_FANOUT_VERSION		1
#define BYTEOR_JOURNAL_VERSION		2
#define BYTEOR_SEQUENCED_SLOTS_VERSION	4

#define BYTEOR_MAX_QUEUES	64	/* events queues, fanout consumers */
#define BYTEOR_MAX_PRODUCERS	64	/* producers of one MPSC queue */
#define BYTEOR_MAX_STAGES	16	/* sequenced-slots stages */
#define BYTEOR_MAX_CLAIMS	192	/* role claim words in the header */
/*
 * Journal (version 2): registered subscriber slots.  Subscriber i claims
 * word 1 + i (the kernel picks a free one, as for MPSC producers) and owns
 * a 64-byte slot in control blocks 1 and 2, where it shows its position.
 */
#define BYTEOR_JOURNAL_SUBSCRIBERS	32
#define BYTEOR_SLOT_SIZE_MAX	(64U << 10)
#define BYTEOR_CAPACITY_MAX	(1U << 30)

/*
 * Geometry: what a layout's size and shape depend on.  At attach, a zero
 * scalar field (slot_size, capacity, queues, producers) means "accept what
 * the region has"; a non-zero one must match (-EBADMSG otherwise).
 * mpsc_mask and stage_deps are compared only when non-zero.
 *
 *		slot_size	capacity	queues		producers
 * single ring	payload bytes	slots (2^k)	1		1
 * events chain	payload bytes	slots/queue	1..64		1..64 (MPSC)
 * fanout	payload bytes	slots (2^k)	consumers	1
 * journal	max record len	data bytes(2^k)	1		1
 * seq. slots	payload bytes	slots (2^k)	stages 1..16	1
 *
 * slot_size is a multiple of 8, 8..64 KiB; capacity a power of two,
 * 2..2^30 (journal: 4 KiB..2^30 bytes, slot_size <= capacity / 4).
 * events chain: bit q of mpsc_mask makes queue q MPSC (q < queues).
 * sequenced slots: bit j of stage_deps[i] means stage i consumes what stage
 * j has finished; stage_deps[i] == 0 means stage i follows the cursor.
 * Only earlier stages can be named (j < i), so the graph is a DAG by
 * construction.  A stage no other stage depends on is terminal: the
 * producer is gated by the terminal stages.
 * flags: BYTEOR_GEOM_F_*; 0 accepts anything in an attach request.
 */
struct byteor_geometry {
	__u32 slot_size;
	__u32 capacity;
	__u32 queues;
	__u32 producers;
	__u64 mpsc_mask;
	__u32 stage_deps[BYTEOR_MAX_STAGES];
	__u32 flags;
	__u32 reserved[9];
};

/*
 * Fixed-size messages (single ring only): every message is slot_size
 * bytes, so slots carry no 8-byte header and the slot stride is slot_size
 * itself - a 64-byte message is one cache line, not one and an eighth.
 */
#define BYTEOR_GEOM_F_FIXED	(1U << 0)
#define BYTEOR_GEOM_F_MASK	(BYTEOR_GEOM_F_FIXED)

/*
 * Where a region's areas are.  Computed by byteor_layout_compute() from the
 * kind and geometry alone.  Areas are BYTEOR_AREA_ALIGN aligned:
 *  - CONTROL: control_blocks blocks of control_stride bytes (lane indices,
 *    cursors, gating sequences, futex words; the lane code lays them out,
 *    one cache line per writer);
 *  - SLOTS: `rings` rings of capacity slots of slot_stride bytes; a slot is an
 *    8-byte slot header (the lane's: sequence, length) and the payload, or
 *    the payload alone (BYTEOR_GEOM_F_FIXED);
 *  - AUX: per-kind extra area (fanout: per-consumer routed index queues of
 *    capacity __u64 entries each; journal: the record area, capacity bytes).
 */
enum byteor_area {
	BYTEOR_AREA_CONTROL = 0,
	BYTEOR_AREA_SLOTS = 1,
	BYTEOR_AREA_AUX = 2,
	BYTEOR_AREA_MAX = 4,
};

#define BYTEOR_CONTROL_STRIDE	1024U
#define BYTEOR_SLOT_HEADER	8U

struct byteor_layout {
	__u64 area_off[BYTEOR_AREA_MAX];
	__u64 area_size[BYTEOR_AREA_MAX];
	__u32 control_blocks;
	__u32 control_stride;
	__u32 rings;
	__u32 slot_stride;
	__u32 nr_claims;	/* claim words used, <= BYTEOR_MAX_CLAIMS */
	__u32 reserved0;
	__u64 min_size;		/* bytes the areas need, before rounding */
	__u64 reserved[4];
};

/* -------------------------------------------------------------------------
 * Roles and claims.
 *
 * Exclusive roles are claimed per index: the producer of a single-producer
 * lane, each producer slot of an MPSC queue (the kernel picks a free one),
 * each consumer / stage / subscriber index, the fanout router.  Observers
 * are read-only and never claim.  A read-write journal subscriber (layout
 * version 2) claims one of BYTEOR_JOURNAL_SUBSCRIBERS subscriber words, so
 * its death shows like any role's; read-only subscribers are observers.
 *
 * The claim table in the header mirrors the kernel's private claim state so
 * peers can see at once that a holder is gone: epoch is odd while held and
 * is bumped (to even) when the holder's file is released - also when the
 * process is killed.
 *
 * A claim belongs to the attached /dev/byteor file, not to the mapping:
 * it is released when the last reference to that file goes (close(2) of
 * every fd of it, in every process a fork(2) or SCM_RIGHTS shared it
 * with), even if a mapping made through it lives on.  A process that
 * closes the file and keeps writing through its mapping writes without a
 * claim, while a new holder may already own the role: the kernel cannot
 * stop that (mappings outlive the file by design) and the lanes' data is
 * then as unprotected as any shared memory.  libbyteor never does it: it
 * unmaps before it closes the file, and it keeps the file open for as long
 * as the lane handle lives.
 */
enum byteor_role {
	BYTEOR_ROLE_PRODUCER = 1,
	BYTEOR_ROLE_CONSUMER = 2,	/* also stage and subscriber */
	BYTEOR_ROLE_ROUTER = 3,
	BYTEOR_ROLE_OBSERVER = 4,	/* read-only, any number */
	BYTEOR_ROLE_MAX = 4,
};

struct byteor_claim {
	__u32 pid;		/* tgid of the holder, in the creator's pidns */
	__u32 role;
	__u64 epoch;		/* odd: held; even: free */
};

/* -------------------------------------------------------------------------
 * The region header: the first 4 KiB of every region.
 */
#define BYTEOR_HDR_F_KERNEL	(1U << 0)	/* formatted by byteor.ko */
#define BYTEOR_HDR_F_USERSPACE	(1U << 1)	/* formatted by libbyteor */

#define BYTEOR_CLAIMS_OFFSET	1024U

struct byteor_region_header {
	__u64 magic;
	__u32 abi_version;
	__u32 header_size;
	__u32 kind;
	__u32 layout_version;
	__u64 size;
	__u64 generation;	/* grows with every create, also across loads */
	__u32 uid;
	__u32 gid;
	__u32 mode;
	__u32 flags;
	__u32 nr_claims;
	__u32 reserved0;
	char name[BYTEOR_NAME_MAX];			/* 64 */
	struct byteor_geometry geometry;		/* 128 */
	struct byteor_layout layout;			/* 256 */
	__u8 reserved[BYTEOR_CLAIMS_OFFSET - 384];
	struct byteor_claim claims[BYTEOR_MAX_CLAIMS];	/* 1024 */
};

/* -------------------------------------------------------------------------
 * The descriptor: what the kernel (or the userspace backing) holds privately
 * and hands out on attach, info and list.
 */
#define BYTEOR_INFO_F_DESTROYED	(1U << 0)	/* name unlinked, memory lives on */
/* Bit 31 is libbyteor's (BYTEOR_INFO_F_UNREADABLE): never set here. */

struct byteor_region_info {
	char name[BYTEOR_NAME_MAX];
	__u32 kind;
	__u32 layout_version;
	__u64 size;
	__u64 generation;
	__u32 uid;
	__u32 gid;
	__u32 mode;
	__u32 flags;
	__u32 nr_files;		/* /dev/byteor files attached */
	__u32 nr_claims_held;
	__u64 reserved[2];
	struct byteor_geometry geometry;
	struct byteor_layout layout;
};

/* -------------------------------------------------------------------------
 * Ioctls on /dev/byteor.
 */
#define BYTEOR_IOC_MAGIC	0xB7

/*
 * CREATE: needs CAP_SYS_ADMIN or membership of the module's create group.
 * size: in, at least the layout's need; rounded up to 2 MiB; out, the size.
 * mode: permission bits (0777 at most); owner is the caller's fsuid/fsgid
 * unless BYTEOR_CREATE_F_OWNER (uid/gid given; CAP_CHOWN needed).
 * Errors: EPERM, EINVAL, ENAMETOOLONG, EEXIST, ENOSPC (hugepages or the
 * module's budget exhausted), ENOMEM, EFAULT; EFBIG when the size exceeds
 * the caller's RLIMIT_FSIZE (checked first: no SIGXFSZ, nothing taken);
 * EINTR when a signal arrives while the pages are taken (nothing left).
 * CREATE never signals the caller.
 */
#define BYTEOR_CREATE_F_OWNER	(1U << 0)
#define BYTEOR_CREATE_FLAGS	(BYTEOR_CREATE_F_OWNER)

struct byteor_create {
	__u32 size;			/* sizeof(struct byteor_create) */
	__u32 flags;
	char name[BYTEOR_NAME_MAX];
	__u32 kind;
	__u32 layout_version;
	struct byteor_geometry geometry;
	__u64 region_size;		/* in: 0 or a minimum; out: actual */
	__u64 generation;		/* out */
	__u32 mode;
	__u32 uid;
	__u32 gid;
	__u32 reserved0;
	__u64 reserved[2];
};

/*
 * ATTACH: bind this open file to a region and a role.  Checks, in order:
 * the name exists (ENOENT); access like a file open with the mode bits, read
 * for observers, read+write otherwise (EACCES); kind and version (EPROTO);
 * geometry (EBADMSG); role and queue exist in the layout (EINVAL); the
 * role is free (EBUSY).  A file attaches once (EBUSY on a second attach).
 * An observer claims nothing, but its queue must exist as a consumer's
 * would (EINVAL); it is returned as its index.
 * ATTACH and DESTROY of one region are ordered: an ATTACH that returns 0
 * bound a region not yet destroyed (its descriptor never has
 * BYTEOR_INFO_F_DESTROYED); one that lost the race fails with ENOENT.
 * Out: index (the producer slot of an MPSC queue, else the queue), claim
 * (claim word in the header, or -1 for observers) and the authoritative
 * descriptor.  A failed ATTACH (EFAULT writing these back included) leaves
 * no trace: no claim held, the header unchanged, no EPOLLPRI to peers.
 */
#define BYTEOR_ATTACH_FLAGS	0U

struct byteor_attach {
	__u32 size;			/* sizeof(struct byteor_attach) */
	__u32 flags;
	char name[BYTEOR_NAME_MAX];
	__u32 kind;
	__u32 layout_version;
	struct byteor_geometry geometry; /* zero fields: accept */
	__u32 role;
	__u32 queue;			/* queue, consumer or stage index */
	__u32 index;			/* out */
	__s32 claim;			/* out */
	__u64 reserved[4];
	struct byteor_region_info info;	/* out */
};

/*
 * INFO: the descriptor of a region by name, or with BYTEOR_INFO_F_ATTACHED
 * of the region this file is attached to (name must then be empty; the
 * file's dead-peer poll state is reset).  Errors: ENOENT, EINVAL, EFAULT.
 */
#define BYTEOR_INFO_F_ATTACHED	(1U << 0)
#define BYTEOR_INFO_FLAGS	(BYTEOR_INFO_F_ATTACHED)

struct byteor_info {
	__u32 size;			/* sizeof(struct byteor_info) */
	__u32 flags;
	char name[BYTEOR_NAME_MAX];
	__u64 reserved[4];
	struct byteor_region_info info;	/* out */
};

/*
 * LIST: count in: entries room at `entries` (a user pointer to an array of
 * struct byteor_region_info); out: number of live regions (may exceed room;
 * only min(room, count) entries are written, in name order).
 */
#define BYTEOR_LIST_FLAGS	0U

struct byteor_list {
	__u32 size;			/* sizeof(struct byteor_list) */
	__u32 flags;
	__u32 count;
	__u32 reserved0;
	__u64 entries;
	__u64 reserved[4];
};

/*
 * DESTROY: unlink the name (CAP_SYS_ADMIN, the create group, or the owner).
 * Mappings stay valid; the memory returns to the hugepage pool when the last
 * mapping goes.  Errors: ENOENT, EPERM, EINVAL, EFAULT.
 */
#define BYTEOR_DESTROY_FLAGS	0U

struct byteor_destroy {
	__u32 size;			/* sizeof(struct byteor_destroy) */
	__u32 flags;
	char name[BYTEOR_NAME_MAX];
	__u64 reserved[4];
};

#define BYTEOR_IOC_CREATE  _IOWR(BYTEOR_IOC_MAGIC, 1, struct byteor_create)
#define BYTEOR_IOC_ATTACH  _IOWR(BYTEOR_IOC_MAGIC, 2, struct byteor_attach)
#define BYTEOR_IOC_INFO    _IOWR(BYTEOR_IOC_MAGIC, 3, struct byteor_info)
#define BYTEOR_IOC_LIST    _IOWR(BYTEOR_IOC_MAGIC, 4, struct byteor_list)
#define BYTEOR_IOC_DESTROY _IOW(BYTEOR_IOC_MAGIC, 5, struct byteor_destroy)

/* -------------------------------------------------------------------------
 * Sizes and offsets are ABI: pin them.
 */
BYTEOR_STATIC_ASSERT(sizeof(struct byteor_geometry) == 128, "geometry");
BYTEOR_STATIC_ASSERT(sizeof(struct byteor_layout) == 128, "layout");
BYTEOR_STATIC_ASSERT(sizeof(struct byteor_claim) == 16, "claim");
BYTEOR_STATIC_ASSERT(__builtin_offsetof(struct byteor_region_header, name) == 64,
		     "header name");
BYTEOR_STATIC_ASSERT(__builtin_offsetof(struct byteor_region_header, geometry) == 128,
		     "header geometry");
BYTEOR_STATIC_ASSERT(__builtin_offsetof(struct byteor_region_header, layout) == 256,
		     "header layout");
BYTEOR_STATIC_ASSERT(__builtin_offsetof(struct byteor_region_header, claims) ==
		     BYTEOR_CLAIMS_OFFSET, "header claims");
BYTEOR_STATIC_ASSERT(sizeof(struct byteor_region_header) == BYTEOR_HEADER_SIZE,
		     "header size");
BYTEOR_STATIC_ASSERT(sizeof(struct byteor_region_info) == 384, "info");
BYTEOR_STATIC_ASSERT(sizeof(struct byteor_create) == 256, "create");
BYTEOR_STATIC_ASSERT(sizeof(struct byteor_attach) == 640, "attach");
BYTEOR_STATIC_ASSERT(sizeof(struct byteor_info) == 488, "info ioctl");
BYTEOR_STATIC_ASSERT(sizeof(struct byteor_list) == 56, "list");
BYTEOR_STATIC_ASSERT(sizeof(struct byteor_destroy) == 104, "destroy");

/* -------------------------------------------------------------------------
 * Geometry rules, shared by both sides.  Pure functions of their inputs.
 */

static inline int byteor_name_valid(const char name[BYTEOR_NAME_MAX])
{
	unsigned int i;

	if (name[0] == '\0' || name[0] == '.')
		return -EINVAL;
	for (i = 0; i < BYTEOR_NAME_MAX; i++) {
		char c = name[i];

		if (c == '\0')
			break;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return -EINVAL;
	}
	if (i == BYTEOR_NAME_MAX)
		return -ENAMETOOLONG;
	/* NUL padding: nothing may follow the terminator. */
	for (; i < BYTEOR_NAME_MAX; i++)
		if (name[i] != '\0')
			return -EINVAL;
	return 0;
}

static inline int byteor_is_pow2(__u64 v)
{
	return v && !(v & (v - 1));
}

static inline __u64 byteor_align(__u64 v, __u64 a)
{
	return (v + a - 1) & ~(a - 1);
}

static inline __u32 byteor_kind_version(__u32 kind)
{
	switch (kind) {
	case BYTEOR_KIND_SINGLE_RING:
		return BYTEOR_SINGLE_RING_VERSION;
	case BYTEOR_KIND_EVENTS_CHAIN:
		return BYTEOR_EVENTS_CHAIN_VERSION;
	case BYTEOR_KIND_FANOUT:
		return BYTEOR_FANOUT_VERSION;
	case BYTEOR_KIND_JOURNAL:
		return BYTEOR_JOURNAL_VERSION;
	case BYTEOR_KIND_SEQUENCED_SLOTS:
		return BYTEOR_SEQUENCED_SLOTS_VERSION;
	}
	return 0;
}

/* Producers that queue q of an events chain has (1 unless MPSC). */
static inline __u32 byteor_queue_producers(const struct byteor_geometry *g,
					   __u32 q)
{
	return (g->mpsc_mask >> q) & 1 ? g->producers : 1;
}

/*
 * byteor_geometry_check - is @g a valid geometry for @kind?
 * Return: 0, or -EINVAL.
 */
/* Bytes of slot header in front of each payload: 8, or 0 (fixed-size). */
static inline __u32 byteor_slot_header(const struct byteor_geometry *g)
{
	return (g->flags & BYTEOR_GEOM_F_FIXED) ? 0 : BYTEOR_SLOT_HEADER;
}

static inline int byteor_geometry_check(__u32 kind, const struct byteor_geometry *g)
{
	unsigned int i;
	__u32 q;

	for (i = 0; i < sizeof(g->reserved) / sizeof(g->reserved[0]); i++)
		if (g->reserved[i])
			return -EINVAL;
	if (g->slot_size < 8 || g->slot_size > BYTEOR_SLOT_SIZE_MAX ||
	    g->slot_size % 8)
		return -EINVAL;
	if (!byteor_is_pow2(g->capacity) || g->capacity < 2 ||
	    g->capacity > BYTEOR_CAPACITY_MAX)
		return -EINVAL;
	if (kind != BYTEOR_KIND_EVENTS_CHAIN && (g->mpsc_mask || g->producers != 1))
		return -EINVAL;
	if (g->flags & ~BYTEOR_GEOM_F_MASK)
		return -EINVAL;
	if ((g->flags & BYTEOR_GEOM_F_FIXED) && kind != BYTEOR_KIND_SINGLE_RING)
		return -EINVAL;
	if (kind != BYTEOR_KIND_SEQUENCED_SLOTS)
		for (i = 0; i < BYTEOR_MAX_STAGES; i++)
			if (g->stage_deps[i])
				return -EINVAL;

	switch (kind) {
	case BYTEOR_KIND_SINGLE_RING:
	case BYTEOR_KIND_JOURNAL:
		if (g->queues != 1)
			return -EINVAL;
		if (kind == BYTEOR_KIND_JOURNAL &&
		    (g->capacity < 4096 || g->slot_size > g->capacity / 4))
			return -EINVAL;
		return 0;
	case BYTEOR_KIND_EVENTS_CHAIN:
		if (g->queues < 1 || g->queues > BYTEOR_MAX_QUEUES)
			return -EINVAL;
		if (g->queues < 64 && (g->mpsc_mask >> g->queues))
			return -EINVAL;
		if (g->producers < 1 || g->producers > BYTEOR_MAX_PRODUCERS)
			return -EINVAL;
		if (!g->mpsc_mask && g->producers != 1)
			return -EINVAL;
		for (q = 0; q < g->queues; q++)
			if (byteor_queue_producers(g, q) > g->capacity)
				return -EINVAL;
		return 0;
	case BYTEOR_KIND_FANOUT:
		if (g->queues < 1 || g->queues > BYTEOR_MAX_QUEUES)
			return -EINVAL;
		return 0;
	case BYTEOR_KIND_SEQUENCED_SLOTS:
		if (g->queues < 1 || g->queues > BYTEOR_MAX_STAGES)
			return -EINVAL;
		for (i = 0; i < BYTEOR_MAX_STAGES; i++) {
			if (i >= g->queues && g->stage_deps[i])
				return -EINVAL;
			if (g->stage_deps[i] >> i)	/* only earlier stages */
				return -EINVAL;
		}
		return 0;
	}
	return -EINVAL;
}

/*
 * byteor_claim_count - claim words a layout uses.  Order in the table:
 * producers (events: queue by queue, each MPSC queue its producer slots),
 * then consumers / stages (by index), then the router.
 */
static inline __u32 byteor_claim_count(__u32 kind, const struct byteor_geometry *g)
{
	__u32 q, n = 0;

	switch (kind) {
	case BYTEOR_KIND_SINGLE_RING:
		return 2;
	case BYTEOR_KIND_JOURNAL:
		return 1 + BYTEOR_JOURNAL_SUBSCRIBERS;
	case BYTEOR_KIND_EVENTS_CHAIN:
		for (q = 0; q < g->queues; q++)
			n += byteor_queue_producers(g, q);
		return n + g->queues;
	case BYTEOR_KIND_FANOUT:
		return 1 + g->queues + 1;
	case BYTEOR_KIND_SEQUENCED_SLOTS:
		return 1 + g->queues;
	}
	return 0;
}

/*
 * byteor_claim_range - the claim words role @role at @queue may take:
 * [*first, *first + *count).  More than one only for MPSC producers.
 * Return: 0; -EINVAL if the role or queue does not exist in the layout;
 * -ENOENT for a role that never claims (observer).
 */
static inline int byteor_claim_range(__u32 kind, const struct byteor_geometry *g,
				     __u32 role, __u32 queue, __u32 *first,
				     __u32 *count)
{
	__u32 q, nprod = 0, before = 0;

	if (role == BYTEOR_ROLE_OBSERVER)
		return -ENOENT;
	switch (kind) {
	case BYTEOR_KIND_SINGLE_RING:
		if (queue != 0 || role == BYTEOR_ROLE_ROUTER)
			return -EINVAL;
		*first = role == BYTEOR_ROLE_PRODUCER ? 0 : 1;
		*count = 1;
		return 0;
	case BYTEOR_KIND_JOURNAL:
		if (queue != 0 || role == BYTEOR_ROLE_ROUTER)
			return -EINVAL;
		if (role == BYTEOR_ROLE_CONSUMER) {	/* a subscriber slot */
			*first = 1;
			*count = BYTEOR_JOURNAL_SUBSCRIBERS;
			return 0;
		}
		*first = 0;
		*count = 1;
		return 0;
	case BYTEOR_KIND_EVENTS_CHAIN:
		if (queue >= g->queues || role == BYTEOR_ROLE_ROUTER)
			return -EINVAL;
		for (q = 0; q < g->queues; q++) {
			if (q == queue)
				before = nprod;
			nprod += byteor_queue_producers(g, q);
		}
		if (role == BYTEOR_ROLE_PRODUCER) {
			*first = before;
			*count = byteor_queue_producers(g, queue);
		} else {
			*first = nprod + queue;
			*count = 1;
		}
		return 0;
	case BYTEOR_KIND_FANOUT:
		if (role == BYTEOR_ROLE_CONSUMER) {
			if (queue >= g->queues)
				return -EINVAL;
			*first = 1 + queue;
		} else {
			if (queue != 0)
				return -EINVAL;
			*first = role == BYTEOR_ROLE_PRODUCER ? 0 : 1 + g->queues;
		}
		*count = 1;
		return 0;
	case BYTEOR_KIND_SEQUENCED_SLOTS:
		if (role == BYTEOR_ROLE_ROUTER)
			return -EINVAL;
		if (role == BYTEOR_ROLE_CONSUMER) {
			if (queue >= g->queues)
				return -EINVAL;
			*first = 1 + queue;
		} else {
			if (queue != 0)
				return -EINVAL;
			*first = 0;
		}
		*count = 1;
		return 0;
	}
	return -EINVAL;
}

/*
 * byteor_layout_compute - where the areas of a @kind region of geometry @g
 * lie.  Fills @l (reserved fields zeroed).  Caller checks the geometry first.
 * Return: 0, or -EINVAL (bad kind or geometry, or larger than the maximum).
 */
static inline int byteor_layout_compute(__u32 kind, const struct byteor_geometry *g,
					struct byteor_layout *l)
{
	__u64 off, ctrl, slots = 0, aux = 0;
	__u32 blocks, rings = 0, stride;
	unsigned int i;

	if (byteor_geometry_check(kind, g))
		return -EINVAL;
	stride = byteor_slot_header(g) + g->slot_size;
	switch (kind) {
	case BYTEOR_KIND_SINGLE_RING:
		blocks = 1;
		rings = 1;
		break;
	case BYTEOR_KIND_EVENTS_CHAIN:
		blocks = g->queues;
		rings = g->queues;
		break;
	case BYTEOR_KIND_FANOUT:
		blocks = 2 + g->queues;	/* producer, router, consumers */
		rings = 1;
		aux = (__u64)g->queues * g->capacity * sizeof(__u64);
		break;
	case BYTEOR_KIND_JOURNAL:
		/* the log's control, then 64 bytes per subscriber slot */
		blocks = 1 + BYTEOR_JOURNAL_SUBSCRIBERS * 64 / BYTEOR_CONTROL_STRIDE;
		aux = g->capacity;
		stride = 0;
		break;
	case BYTEOR_KIND_SEQUENCED_SLOTS:
		blocks = 1 + g->queues;	/* producer/cursor, stages */
		rings = 1;
		break;
	default:
		return -EINVAL;
	}
	slots = (__u64)rings * g->capacity * stride;
	ctrl = (__u64)blocks * BYTEOR_CONTROL_STRIDE;

	for (i = 0; i < sizeof(*l) / sizeof(__u64); i++)
		((__u64 *)l)[i] = 0;
	off = BYTEOR_HEADER_SIZE;
	l->area_off[BYTEOR_AREA_CONTROL] = off;
	l->area_size[BYTEOR_AREA_CONTROL] = ctrl;
	off = byteor_align(off + ctrl, BYTEOR_AREA_ALIGN);
	l->area_off[BYTEOR_AREA_SLOTS] = off;
	l->area_size[BYTEOR_AREA_SLOTS] = slots;
	off = byteor_align(off + slots, BYTEOR_AREA_ALIGN);
	l->area_off[BYTEOR_AREA_AUX] = off;
	l->area_size[BYTEOR_AREA_AUX] = aux;
	off += aux;
	if (off > BYTEOR_REGION_SIZE_MAX)
		return -EINVAL;
	l->control_blocks = blocks;
	l->control_stride = BYTEOR_CONTROL_STRIDE;
	l->rings = rings;
	l->slot_stride = stride;
	l->nr_claims = byteor_claim_count(kind, g);
	if (l->nr_claims > BYTEOR_MAX_CLAIMS)
		return -EINVAL;
	l->min_size = off;
	return 0;
}

/* The region size for a minimum request: 2 MiB multiple, >= the layout. */
static inline __u64 byteor_region_size(const struct byteor_layout *l,
				       __u64 requested)
{
	__u64 s = requested > l->min_size ? requested : l->min_size;

	return byteor_align(s, BYTEOR_REGION_ALIGN);
}

/*
 * byteor_geometry_match - does the region's geometry @have satisfy the
 * attach request @want (zero fields accept anything)?  Return: 0 or -EBADMSG.
 */
static inline int byteor_geometry_match(const struct byteor_geometry *have,
					const struct byteor_geometry *want)
{
	unsigned int i;

	if ((want->slot_size && want->slot_size != have->slot_size) ||
	    (want->capacity && want->capacity != have->capacity) ||
	    (want->queues && want->queues != have->queues) ||
	    (want->producers && want->producers != have->producers) ||
	    (want->mpsc_mask && want->mpsc_mask != have->mpsc_mask) ||
	    (want->flags && want->flags != have->flags))
		return -EBADMSG;
	for (i = 0; i < BYTEOR_MAX_STAGES; i++)
		if (want->stage_deps[i] && want->stage_deps[i] != have->stage_deps[i])
			return -EBADMSG;
	return 0;
}

#endif /* _UAPI_BYTEOR_H */
