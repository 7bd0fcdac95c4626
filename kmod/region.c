// SPDX-License-Identifier: GPL-2.0-only
/*
 * region.c - the region table and the memory behind each region.
 *
 * Every region is a file on a private, kernel-internal hugetlbfs mount
 * (pagesize=2M, size=max_bytes), named after the region so /proc/PID/maps
 * shows which region a mapping is.  CREATE fills the file with
 * vfs_fallocate(), which takes 2 MiB pages from the host's hugetlb pool
 * and zeroes them: a region that cannot get its memory fails at create
 * (-ENOSPC), never at fault time.  Mapping a page-cache file (rather than
 * pages the driver allocated) is what makes shared futexes work on it.
 *
 * The mount's size limit is max_bytes, so hugetlbfs itself also bounds the
 * memory still held by mappings of regions that are gone, and its statfs
 * counts the pages in use.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/err.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/init_task.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/pagemap.h>
#include <linux/pid_namespace.h>
#include <linux/rbtree.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/statfs.h>
#include <linux/string.h>

#include "byteor_compat.h"
#include "byteor_internal.h"

static DEFINE_MUTEX(byteor_table_lock);
static struct rb_root byteor_table = RB_ROOT;
static u32 byteor_nr_live;		/* named, created regions */
static u32 byteor_nr_objects;		/* region objects, named or not */
static u64 byteor_bytes;		/* their sizes: the max_bytes budget */
/*
 * Bumped by every create.  Starts at the wall clock in ns at load, not 0:
 * mappings outlive the module, and a region of a later load must never
 * repeat a generation an old mapping shows (creates are far slower than
 * one per ns, so a load's generations stay below the next load's start).
 */
static u64 byteor_generation;

static struct vfsmount *byteor_mnt;
/* The module's own credentials: backing files are the module's, not the caller's. */
static const struct cred *byteor_cred;

static struct byteor_region *byteor_table_find(const char *name)
{
	struct rb_node *n = byteor_table.rb_node;

	lockdep_assert_held(&byteor_table_lock);
	while (n) {
		struct byteor_region *r = rb_entry(n, struct byteor_region, node);
		int cmp = strcmp(name, r->name);

		if (!cmp)
			return r;
		n = cmp < 0 ? n->rb_left : n->rb_right;
	}
	return NULL;
}

/* Reserve @r's name and budget; the region stays invisible until published. */
static int byteor_table_insert(struct byteor_region *r)
{
	struct rb_node **link = &byteor_table.rb_node, *parent = NULL;

	lockdep_assert_held(&byteor_table_lock);
	while (*link) {
		struct byteor_region *e = rb_entry(*link, struct byteor_region, node);
		int cmp = strcmp(r->name, e->name);

		if (!cmp)
			return -EEXIST;
		parent = *link;
		link = cmp < 0 ? &parent->rb_left : &parent->rb_right;
	}
	/* byteor_bytes never exceeds byteor_max_bytes, so this cannot wrap. */
	if (byteor_nr_objects >= byteor_max_regions ||
	    r->size > byteor_max_bytes - byteor_bytes)
		return -ENOSPC;

	rb_link_node(&r->node, parent, link);
	rb_insert_color(&r->node, &byteor_table);
	r->linked = true;
	r->generation = ++byteor_generation;
	byteor_nr_objects++;
	byteor_bytes += r->size;
	return 0;
}

static void byteor_region_free(struct byteor_region *r)
{
	/* The header page reference goes first: the file keeps the inode. */
	if (r->hdr_page)
		put_page(r->hdr_page);
	if (r->map_file)
		fput(r->map_file);
	if (r->file)
		fput(r->file);
	put_pid_ns(r->pid_ns);
	kfree(r->claims);
	mutex_destroy(&r->lock);
	kfree(r);
}

/* kref release, called with byteor_table_lock held by kref_put_mutex(). */
static void byteor_region_release(struct kref *kref)
{
	struct byteor_region *r = container_of(kref, struct byteor_region, kref);

	byteor_nr_objects--;
	byteor_bytes -= r->size;
	mutex_unlock(&byteor_table_lock);
	byteor_region_free(r);
}

void byteor_region_put(struct byteor_region *r)
{
	kref_put_mutex(&r->kref, byteor_region_release, &byteor_table_lock);
}

/* Remove @f's name from the internal mount, under the module's credentials. */
static void byteor_backing_unlink(struct file *f)
{
	struct inode *dir = d_inode(byteor_mnt->mnt_root);
	const struct cred *old;
	struct dentry *dentry;
	int ret;

	/*
	 * Our own reference, as a lookup would hold: hugetlbfs's unlink drops
	 * the dentry's pin, and d_delete() would then turn the dentry that
	 * @f (and every mapping) still uses negative instead of unhashing it.
	 */
	dentry = dget(f->f_path.dentry);
	old = override_creds(byteor_cred);
	ret = mnt_want_write(byteor_mnt);
	if (!ret) {
		inode_lock_nested(dir, I_MUTEX_PARENT);
		/* Nothing else renames or unlinks on this private mount. */
		ret = byteor_vfs_unlink(dir, dentry);
		inode_unlock(dir);
		mnt_drop_write(byteor_mnt);
	}
	revert_creds(old);
	dput(dentry);
	if (ret)
		pr_warn("cannot unlink backing file %pD: %d\n", f, ret);
}

/*
 * Create and fill the backing file of @r and take its header page.
 * Return: 0, -ENOSPC when the hugetlb pool or the mount's budget is short,
 * or another -errno from the VFS; nothing is left behind on error.
 */
static int byteor_backing_create(struct byteor_region *r)
{
	struct path root = { .mnt = byteor_mnt, .dentry = byteor_mnt->mnt_root };
	struct file *f, *map_file;
	const struct cred *old;
	struct page *page;
	int ret;

	/* The caller may not write the mount's root: create as the module. */
	old = override_creds(byteor_cred);
	f = file_open_root(&root, r->name,
			   O_RDWR | O_CREAT | O_EXCL | O_LARGEFILE, 0600);
	revert_creds(old);
	if (IS_ERR(f))
		return PTR_ERR(f);

	/* Takes (and zeroes) every page now, so no fault can fail later. */
	ret = vfs_fallocate(f, 0, 0, r->size);
	if (ret)
		goto err_unlink;

	/*
	 * Index 0 is the first page both where hugetlb indexes its page cache
	 * in huge pages (6.1) and where it uses base pages (6.12).
	 */
	page = find_get_page(f->f_mapping, 0);
	if (!page) {
		ret = -ENOMEM;
		goto err_unlink;
	}
	/*
	 * The file every mapping holds instead of @f (see mmap.c): O_PATH,
	 * so it can neither be mapped again (remap_file_pages(2) re-runs
	 * mmap on a vma's file) nor fallocated (madvise(MADV_REMOVE)).
	 */
	map_file = dentry_open(&f->f_path, O_PATH, byteor_cred);
	if (IS_ERR(map_file)) {
		ret = PTR_ERR(map_file);
		put_page(page);
		goto err_unlink;
	}
	r->file = f;
	r->map_file = map_file;
	r->hdr_page = page;
	return 0;

err_unlink:
	byteor_backing_unlink(f);
	fput(f);
	return ret;
}

/* Format the 4 KiB header at offset 0; the page was zeroed by fallocate. */
static void byteor_header_format(struct byteor_region *r)
{
	struct byteor_region_header *h = kmap_local_page(r->hdr_page);

	memset(h, 0, sizeof(*h));
	h->magic = BYTEOR_MAGIC;
	h->abi_version = BYTEOR_ABI_VERSION;
	h->header_size = BYTEOR_HEADER_SIZE;
	h->kind = r->kind;
	h->layout_version = r->layout_version;
	h->size = r->size;
	h->generation = r->generation;
	/* The creator's view of the owner, like the claim pids. */
	h->uid = from_kuid_munged(current_user_ns(), r->uid);
	h->gid = from_kgid_munged(current_user_ns(), r->gid);
	h->mode = r->mode;
	h->flags = BYTEOR_HDR_F_KERNEL;
	h->nr_claims = r->layout.nr_claims;
	memcpy(h->name, r->name, sizeof(h->name));
	h->geometry = r->geometry;
	h->layout = r->layout;
	flush_dcache_page(r->hdr_page);
	kunmap_local(h);
}

/**
 * byteor_claim_mirror - copy claim word @i of @r into the mapped header
 * @r: the region, with r->lock held
 * @i: the claim word
 *
 * Peers read the header to see a holder come and go; the kernel's own
 * state stays authoritative and is never read back.
 */
void byteor_claim_mirror(struct byteor_region *r, u32 i)
{
	struct byteor_region_header *h = kmap_local_page(r->hdr_page);
	struct byteor_claim *c = &h->claims[i];

	lockdep_assert_held(&r->lock);
	WRITE_ONCE(c->pid, r->claims[i].pid);
	WRITE_ONCE(c->role, r->claims[i].role);
	/*
	 * Pairs with a peer's acquire load of epoch: pid and role are
	 * visible before the epoch says the word is held.
	 */
	smp_store_release(&c->epoch, r->claims[i].epoch);
	flush_dcache_page(r->hdr_page);
	kunmap_local(h);
}

/**
 * byteor_region_prepare - reserve a name and build a region's memory
 * @c: the validated CREATE request (name, kind, version, geometry, mode)
 * @uid: owner
 * @gid: owning group
 * @l: the layout computed from @c
 * @size: the region size, a 2 MiB multiple
 *
 * The region is not visible until byteor_region_publish(); on any later
 * failure the caller undoes it with byteor_region_abort().
 *
 * Return: the region, or ERR_PTR(-EEXIST) for a name in use,
 * ERR_PTR(-EFBIG) when @size exceeds the caller's RLIMIT_FSIZE,
 * ERR_PTR(-ENOSPC) when the budget or the hugepage pool is short,
 * ERR_PTR(-ENOMEM), or another error of the backing file.
 */
struct byteor_region *byteor_region_prepare(const struct byteor_create *c,
					    kuid_t uid, kgid_t gid,
					    const struct byteor_layout *l,
					    u64 size)
{
	struct byteor_region *r;
	int ret;

	/*
	 * hugetlbfs's fallocate checks the caller's file size limit and
	 * sends SIGXFSZ past it (killing by default); CREATE answers -EFBIG
	 * instead, before it takes anything.
	 */
	if (size > rlimit(RLIMIT_FSIZE))
		return ERR_PTR(-EFBIG);

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return ERR_PTR(-ENOMEM);
	kref_init(&r->kref);		/* the table's reference */
	mutex_init(&r->lock);
	INIT_LIST_HEAD(&r->files);
	atomic_set(&r->released, 0);
	memcpy(r->name, c->name, sizeof(r->name));
	r->kind = c->kind;
	r->layout_version = c->layout_version;
	r->size = size;
	r->uid = uid;
	r->gid = gid;
	r->mode = c->mode;
	r->geometry = c->geometry;
	r->layout = *l;
	r->pid_ns = get_pid_ns(task_active_pid_ns(current));
	r->claims = kcalloc(l->nr_claims, sizeof(*r->claims), GFP_KERNEL);
	if (!r->claims) {
		ret = -ENOMEM;
		goto err_free;
	}

	mutex_lock(&byteor_table_lock);
	ret = byteor_table_insert(r);
	mutex_unlock(&byteor_table_lock);
	if (ret)
		goto err_free;

	/* Outside the table lock: zeroing gigabytes takes a while. */
	ret = byteor_backing_create(r);
	if (ret)
		goto err_abort;
	byteor_header_format(r);
	return r;

err_abort:
	byteor_region_abort(r);
	return ERR_PTR(ret);
err_free:
	byteor_region_free(r);
	return ERR_PTR(ret);
}

/*
 * Make a prepared region visible to ATTACH, INFO, LIST and DESTROY.  The
 * caller's pointer is no reference: a DESTROY may free @r at once.
 */
void byteor_region_publish(struct byteor_region *r)
{
	mutex_lock(&byteor_table_lock);
	r->ready = true;
	byteor_nr_live++;
	mutex_unlock(&byteor_table_lock);
	atomic_long_inc(&byteor_stats.creates);
}

/* Undo byteor_region_prepare(): @r was never visible. */
void byteor_region_abort(struct byteor_region *r)
{
	byteor_region_unlink(r);
}

/**
 * byteor_region_get - look up a live region by name
 * @name: a valid region name
 *
 * Return: the region with a reference the caller drops with
 * byteor_region_put(), or NULL.
 */
struct byteor_region *byteor_region_get(const char *name)
{
	struct byteor_region *r;

	mutex_lock(&byteor_table_lock);
	r = byteor_table_find(name);
	if (r && r->ready)
		kref_get(&r->kref);
	else
		r = NULL;
	mutex_unlock(&byteor_table_lock);
	return r;
}

/**
 * byteor_region_unlink - remove a region's name (DESTROY)
 * @r: the region; the caller holds a reference
 *
 * Unlinks the backing file too, so the name can be created again at once;
 * attached files keep the region, mappings keep the memory.
 *
 * Return: 0, or -ENOENT if the name was already removed.
 */
int byteor_region_unlink(struct byteor_region *r)
{
	mutex_lock(&byteor_table_lock);
	if (!r->linked) {
		mutex_unlock(&byteor_table_lock);
		return -ENOENT;
	}
	rb_erase(&r->node, &byteor_table);
	r->linked = false;
	if (r->ready)
		byteor_nr_live--;
	/* Under the table lock: a create of the same name must not race it. */
	if (r->file)
		byteor_backing_unlink(r->file);
	mutex_lock(&r->lock);
	r->destroyed = true;
	mutex_unlock(&r->lock);
	mutex_unlock(&byteor_table_lock);
	byteor_region_put(r);		/* the table's reference */
	return 0;
}

/**
 * __byteor_region_fill_info - byteor_region_fill_info() with r->lock held
 * @r: the region, with r->lock held
 * @info: filled entirely (reserved fields zero)
 */
void __byteor_region_fill_info(struct byteor_region *r,
			       struct byteor_region_info *info)
{
	lockdep_assert_held(&r->lock);
	memset(info, 0, sizeof(*info));
	memcpy(info->name, r->name, sizeof(info->name));
	info->kind = r->kind;
	info->layout_version = r->layout_version;
	info->size = r->size;
	info->generation = r->generation;
	info->uid = from_kuid_munged(current_user_ns(), r->uid);
	info->gid = from_kgid_munged(current_user_ns(), r->gid);
	info->mode = r->mode;
	info->geometry = r->geometry;
	info->layout = r->layout;
	info->flags = r->destroyed ? BYTEOR_INFO_F_DESTROYED : 0;
	info->nr_files = r->nr_files;
	info->nr_claims_held = r->nr_claims_held;
}

/**
 * byteor_region_fill_info - the descriptor of @r as the caller sees it
 * @r: the region
 * @info: filled entirely (reserved fields zero)
 */
void byteor_region_fill_info(struct byteor_region *r,
			     struct byteor_region_info *info)
{
	mutex_lock(&r->lock);
	__byteor_region_fill_info(r, info);
	mutex_unlock(&r->lock);
}

/**
 * byteor_region_snapshot - descriptors of the live regions, in name order
 * @out: room for @room descriptors
 * @room: entries @out holds
 *
 * Return: the number of live regions; min(@room, that) entries are filled.
 */
u32 byteor_region_snapshot(struct byteor_region_info *out, u32 room)
{
	struct rb_node *n;
	u32 count = 0;

	mutex_lock(&byteor_table_lock);
	for (n = rb_first(&byteor_table); n; n = rb_next(n)) {
		struct byteor_region *r = rb_entry(n, struct byteor_region, node);

		if (!r->ready)
			continue;
		if (count < room)
			byteor_region_fill_info(r, &out[count]);
		count++;
	}
	mutex_unlock(&byteor_table_lock);
	return count;
}

/* Live regions, and the bytes of every region object (the budget). */
void byteor_region_counts(u32 *live, u64 *bytes)
{
	mutex_lock(&byteor_table_lock);
	*live = byteor_nr_live;
	*bytes = byteor_bytes;
	mutex_unlock(&byteor_table_lock);
}

/*
 * Huge pages held by backing files, including those of destroyed regions
 * that are still mapped: the mount's own accounting, so it is exact.
 */
long byteor_hugepages_in_use(void)
{
	struct path root = { .mnt = byteor_mnt, .dentry = byteor_mnt->mnt_root };
	const struct cred *old;
	struct kstatfs st;
	int ret;

	/* statfs runs a security hook: ask as the module, not the reader. */
	old = override_creds(byteor_cred);
	ret = vfs_statfs(&root, &st);
	revert_creds(old);
	if (ret)
		return ret;
	return st.f_blocks - st.f_bfree;
}

/**
 * byteor_region_init - set up the module's credentials and its mount
 *
 * Return: 0, -ENOMEM, -ENODEV without hugetlbfs, or the mount's error
 * (e.g. -EINVAL when the kernel has no 2 MiB huge page size).
 */
int byteor_region_init(void)
{
	struct file_system_type *type;
	struct cred *cred;
	char *opts;
	int ret;

	cred = prepare_kernel_cred(&init_task);
	if (!cred)
		return -ENOMEM;
	byteor_cred = cred;
	byteor_generation = ktime_get_real_ns();

	type = get_fs_type("hugetlbfs");
	if (!type) {
		ret = -ENODEV;
		goto err_cred;
	}
	opts = kasprintf(GFP_KERNEL, "pagesize=2M,size=%lu", byteor_max_bytes);
	if (!opts) {
		ret = -ENOMEM;
		goto err_type;
	}
	/* The option string is parsed in place, hence the private copy. */
	byteor_mnt = vfs_kern_mount(type, SB_KERNMOUNT, "byteor", opts);
	kfree(opts);
	if (IS_ERR(byteor_mnt)) {
		ret = PTR_ERR(byteor_mnt);
		pr_err("cannot mount hugetlbfs (pagesize=2M): %d\n", ret);
		goto err_type;
	}
	/* put_filesystem() is not exported; it is this module_put(). */
	module_put(type->owner);
	return 0;

err_type:
	module_put(type->owner);
err_cred:
	put_cred(byteor_cred);
	return ret;
}

/* Destroy every remaining region and drop the mount (module exit). */
void byteor_region_exit(void)
{
	struct byteor_region *r;
	struct rb_node *n;

	for (;;) {
		mutex_lock(&byteor_table_lock);
		n = rb_first(&byteor_table);
		r = n ? rb_entry(n, struct byteor_region, node) : NULL;
		if (r)
			kref_get(&r->kref);
		mutex_unlock(&byteor_table_lock);
		if (!r)
			break;
		byteor_region_unlink(r);
		byteor_region_put(r);
	}
	/* Mappings that outlive the module keep their files and the mount. */
	kern_unmount(byteor_mnt);
	put_cred(byteor_cred);
}
