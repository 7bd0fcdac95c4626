/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * byteor_internal.h - what the files of byteor.ko share.  Not an interface.
 *
 * Objects, references and locks:
 *  - The region table (region.c) is an rbtree sorted by name, under
 *    byteor_table_lock, a mutex that also guards the budget counters and
 *    the generation counter.  It nests outside region->lock.
 *  - struct byteor_region is reference counted: the table holds one
 *    reference while the name is live, every attached file holds one.
 *    region->lock guards the claim state, nr_files, the list of attached
 *    files and the claim words the kernel mirrors into the mapped header.
 *    The last reference frees the region and drops the backing file and
 *    its O_PATH twin; mappings hold the O_PATH file on their own (mmap.c
 *    says why not the backing file), so the memory outlives the region,
 *    its files and the module until the last munmap.
 *  - struct byteor_file is one open /dev/byteor.  bf->lock serializes
 *    ATTACH on it; bf->region goes from NULL to a region exactly once
 *    (release store) and is read without the lock (acquire load) by mmap,
 *    get_unmapped_area, poll and INFO.
 *  - Nothing is ever read back from the mapped header: the kernel only
 *    writes it.
 */
#ifndef BYTEOR_INTERNAL_H
#define BYTEOR_INTERNAL_H

#include <linux/atomic.h>
#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/rbtree.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/wait.h>

#include "uapi/byteor.h"

struct pid_namespace;
struct page;

struct byteor_region {
	struct kref kref;
	struct rb_node node;		/* in the table while linked */
	bool linked;			/* name in the table; table lock */
	bool ready;			/* created, visible to lookups; table lock */

	/* Immutable after create: the authoritative descriptor. */
	char name[BYTEOR_NAME_MAX];
	u32 kind;
	u32 layout_version;
	u64 size;
	u64 generation;
	kuid_t uid;
	kgid_t gid;
	u32 mode;
	struct byteor_geometry geometry;
	struct byteor_layout layout;
	struct pid_namespace *pid_ns;	/* claim pids are the creator's view */

	struct file *file;		/* the hugetlbfs backing file */
	struct file *map_file;		/* O_PATH file of it: every vma's */
	struct page *hdr_page;		/* page cache page at offset 0, held */

	/* Guards the fields below and the header's claim words. */
	struct mutex lock;
	bool destroyed;			/* name unlinked */
	u32 nr_files;			/* attached /dev/byteor files */
	u32 nr_claims_held;
	struct byteor_claim *claims;	/* layout.nr_claims, authoritative */

	atomic_t released;		/* claims dropped by file release */
	struct list_head files;		/* attached byteor_file.node */
};

struct byteor_file {
	/* Serializes ATTACH on the file. */
	struct mutex lock;
	struct byteor_region *region;	/* set once; see above */
	s32 claim;			/* claim word held, or -1 */
	bool observer;			/* read-only role: no writable maps */
	int seen_released;		/* region->released last reported */
	/*
	 * poll() waits here, attached or not, so an epoll set up before
	 * ATTACH is woken too; woken when a claim of the region is released.
	 */
	wait_queue_head_t wait;
	struct list_head node;		/* in region->files; region->lock */
};

/* Module parameters (main.c). */
extern unsigned long byteor_max_bytes;
extern unsigned int byteor_max_regions;
bool byteor_in_create_group(void);

/* Statistics (stats.c); the table counters live in region.c. */
struct byteor_stats {
	atomic_long_t creates;
	atomic_long_t destroys;
	atomic_long_t attaches;
	atomic_long_t attach_failures;
};

extern struct byteor_stats byteor_stats;
extern const struct attribute_group *byteor_groups[];
void byteor_debugfs_init(void);
void byteor_debugfs_exit(void);

/* Region table and memory (region.c). */
int byteor_region_init(void);
void byteor_region_exit(void);
struct byteor_region *byteor_region_prepare(const struct byteor_create *c,
					    kuid_t uid, kgid_t gid,
					    const struct byteor_layout *l,
					    u64 size);
void byteor_region_publish(struct byteor_region *r);
void byteor_region_abort(struct byteor_region *r);
struct byteor_region *byteor_region_get(const char *name);
void byteor_region_put(struct byteor_region *r);
int byteor_region_unlink(struct byteor_region *r);
void __byteor_region_fill_info(struct byteor_region *r,
			       struct byteor_region_info *info);
void byteor_region_fill_info(struct byteor_region *r,
			     struct byteor_region_info *info);
u32 byteor_region_snapshot(struct byteor_region_info *out, u32 room);
void byteor_region_counts(u32 *live, u64 *bytes);
long byteor_hugepages_in_use(void);
void byteor_claim_mirror(struct byteor_region *r, u32 i);

/* Attach, claims and dead-peer notification (attach.c). */
int byteor_attach(struct byteor_file *bf, struct byteor_attach *a,
		  struct byteor_attach __user *ua);
void byteor_detach(struct byteor_file *bf);
__poll_t byteor_poll(struct file *file, poll_table *pt);

/* Mapping (mmap.c). */
int byteor_mmap(struct file *file, struct vm_area_struct *vma);
unsigned long byteor_get_unmapped_area(struct file *file, unsigned long addr,
				       unsigned long len, unsigned long pgoff,
				       unsigned long flags);

/* Ioctls (ioctl.c). */
long byteor_ioctl(struct file *file, unsigned int cmd, unsigned long arg);

/* The region a file is attached to, or NULL; pairs with byteor_attach(). */
static inline struct byteor_region *byteor_file_region(struct file *file)
{
	struct byteor_file *bf = file->private_data;

	/* Pairs with the release store that binds the file in byteor_attach(). */
	return smp_load_acquire(&bf->region);
}

#endif /* BYTEOR_INTERNAL_H */
