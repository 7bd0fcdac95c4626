// SPDX-License-Identifier: GPL-2.0-only
/*
 * mmap.c - mapping a region through an attached /dev/byteor.
 *
 * The vma is checked here (shared, 2 MiB aligned, inside the region, no
 * write access for observers), then handed over to the region's hugetlbfs
 * inode: hugetlbfs's own ->mmap sets it up.  From then on the vma is an
 * ordinary hugetlb mapping - 2 MiB TLB entries, shared futexes work, and
 * it holds a file of the backing inode, not this module, so it stays valid
 * after the /dev/byteor file, the region's name or the module are gone.
 *
 * The kernel never trusts what the mapping's owner does with it later, so
 * the file the vma holds is r->map_file, an O_PATH file of the backing
 * inode, not the read-write backing file:
 *  - remap_file_pages(2) re-runs do_mmap() on the vma's file without
 *    coming here (no bounds, no observer check); on an O_PATH file do_mmap
 *    fails with -EACCES before it touches anything, so no vma can grow
 *    write access, reach past the region, reserve hugepages on the inode
 *    or grow its i_size that way;
 *  - madvise(MADV_REMOVE) punches holes through the vma's file; an O_PATH
 *    file is not open for writing, so it fails with -EBADF (-EACCES for an
 *    observer) and no peer's page or the header page is ever dropped;
 *  - mprotect(PROT_WRITE) needs VM_MAYWRITE, which observers never have;
 *    mremap(2) cannot grow a hugetlb vma; fork(2) copies the vma as is.
 * Observers' vmas lose VM_SHARED and VM_MAYWRITE, as do_mmap() does for a
 * MAP_SHARED map of a read-only fd, whatever mode /dev/byteor was opened in.
 */
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/sizes.h>

#include "byteor_compat.h"
#include "byteor_internal.h"

#define BYTEOR_PGOFF_MASK	((SZ_2M >> PAGE_SHIFT) - 1)

/**
 * byteor_mmap - map (part of) the attached region
 * @file: an open /dev/byteor
 * @vma: the new mapping
 *
 * Return: 0; -EINVAL the file is not attached, the mapping is private,
 * not 2 MiB aligned (start, length or offset) or not inside the region;
 * -EACCES an observer asked for a writable mapping; or the hugetlbfs
 * mmap's error.
 */
int byteor_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct byteor_file *bf = file->private_data;
	struct byteor_region *r = byteor_file_region(file);
	unsigned long len = vma->vm_end - vma->vm_start;

	if (!r)
		return -EINVAL;
	/*
	 * VM_MAYSHARE, not VM_SHARED: a MAP_SHARED map of a read-only fd
	 * (an observer's) has VM_SHARED cleared by do_mmap().
	 */
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	if (!IS_ALIGNED(vma->vm_start, SZ_2M) || !IS_ALIGNED(len, SZ_2M) ||
	    (vma->vm_pgoff & BYTEOR_PGOFF_MASK))
		return -EINVAL;
	/* In pages first, so the byte offset below cannot overflow. */
	if (vma->vm_pgoff >= r->size >> PAGE_SHIFT ||
	    len > r->size - ((u64)vma->vm_pgoff << PAGE_SHIFT))
		return -EINVAL;
	if (bf->observer) {
		if (vma->vm_flags & VM_WRITE)
			return -EACCES;
		/*
		 * As for a read-only fd: mprotect(PROT_WRITE) fails later, and
		 * madvise(MADV_REMOVE) and remap_file_pages(2) refuse the vma.
		 * mmap_region() balances the inode's writable count with the
		 * flags it started with, and links the vma with these.
		 */
		byteor_vm_flags_clear(vma, VM_SHARED | VM_MAYWRITE);
	}

	/*
	 * The vma holds only the O_PATH file (see the top of this file);
	 * hugetlbfs sets it up (VM_HUGETLB, hugetlb_vm_ops, the reservation
	 * of exactly this range) from the backing inode both files share.
	 */
	vma_set_file(vma, r->map_file);
	return byteor_file_mmap(r->file, vma);
}

/**
 * byteor_get_unmapped_area - where mmap(NULL, ...) places a region
 * @file: an open /dev/byteor
 * @addr: hint, or the fixed address
 * @len: length
 * @pgoff: offset in pages
 * @flags: mmap flags
 *
 * hugetlbfs picks a 2 MiB aligned address (and checks MAP_FIXED ones), so
 * ask the region's backing file.
 *
 * Return: the address, or -EINVAL (as an unsigned long) when the file is
 * not attached or the hugetlbfs checks fail; -ENOMEM when no room is left.
 */
unsigned long byteor_get_unmapped_area(struct file *file, unsigned long addr,
				       unsigned long len, unsigned long pgoff,
				       unsigned long flags)
{
	struct byteor_region *r = byteor_file_region(file);

	if (!r)
		return -EINVAL;
	return r->file->f_op->get_unmapped_area(r->file, addr, len, pgoff,
						 flags);
}
