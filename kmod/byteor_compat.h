/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * byteor_compat.h - what differs between the kernels byteor.ko is built for.
 *
 * byteor.ko builds against Debian's 6.1 (bookworm) and 6.12 (bookworm-
 * backports) kernels.  Every API difference it meets is wrapped here, and
 * only here, so the rest of the module reads as plain kernel code.
 */
#ifndef BYTEOR_COMPAT_H
#define BYTEOR_COMPAT_H

#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/version.h>

/* vma->vm_flags became read-only, behind vm_flags_{set,clear}(), in 6.3. */
static inline void byteor_vm_flags_clear(struct vm_area_struct *vma,
					 vm_flags_t flags)
{
#if KERNEL_VERSION(6, 3, 0) <= LINUX_VERSION_CODE
	vm_flags_clear(vma, flags);
#else
	vma->vm_flags &= ~flags;
#endif
}

/*
 * vfs_unlink() takes the mount's idmap from 6.3 on, its user namespace
 * before.  byteor's mount is kernel-internal and never idmapped.
 */
static inline int byteor_vfs_unlink(struct inode *dir, struct dentry *dentry)
{
#if KERNEL_VERSION(6, 3, 0) <= LINUX_VERSION_CODE
	return vfs_unlink(&nop_mnt_idmap, dir, dentry, NULL);
#else
	return vfs_unlink(&init_user_ns, dir, dentry, NULL);
#endif
}

/*
 * Run another file's ->mmap on a vma that now points at that file.
 * call_mmap() on 6.1 and 6.12; later kernels rename it (vfs_mmap), which
 * is the one line to change when a newer kernel joins the build.
 */
static inline int byteor_file_mmap(struct file *file,
				   struct vm_area_struct *vma)
{
	return call_mmap(file, vma);
}

/*
 * In a TRACE_EVENT's TP_fast_assign, __assign_str() names the field only
 * from 6.10 on (the source is the one given to __string()); before, the
 * source too.
 */
#if KERNEL_VERSION(6, 10, 0) <= LINUX_VERSION_CODE
#define byteor_assign_str(field, src)	__assign_str(field)
#else
#define byteor_assign_str(field, src)	__assign_str(field, src)
#endif

#endif /* BYTEOR_COMPAT_H */
