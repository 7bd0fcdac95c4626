// SPDX-License-Identifier: GPL-2.0-only
/*
 * byteor.ko - hugepage-backed shared-memory regions for byteor lanes.
 *
 * The module owns named memory regions and hands them out through the misc
 * device /dev/byteor: open it, BYTEOR_IOC_ATTACH to a region and a role,
 * then mmap() it (MAP_SHARED | MAP_POPULATE).  The ABI is
 * include/uapi/byteor.h; the design is docs/design.md, sections 2 to 5.
 *
 *	modprobe byteor max_bytes=4G max_regions=64 create_gid=1500
 *
 * The module makes /dev/byteor mode 0600, root's; who else may open it is
 * the system's choice, made by a udev rule (packaging/60-byteor.rules:
 * group byteor, 0660).  Every ioctl still checks its own permission
 * (CREATE needs CAP_SYS_ADMIN or the create group, ATTACH the region's
 * mode bits).
 * While any /dev/byteor file is open the module cannot be removed; removing
 * it destroys the remaining regions, and mappings stay valid until unmapped.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/uidgid.h>

#include "byteor_internal.h"

#define CREATE_TRACE_POINTS
#include "byteor_trace.h"

unsigned long byteor_max_bytes = 1UL << 30;
module_param_named(max_bytes, byteor_max_bytes, ulong, 0444);
MODULE_PARM_DESC(max_bytes,
		 "Bytes all regions may hold together, rounded down to 2 MiB (default 1 GiB, at least 2 MiB)");

unsigned int byteor_max_regions = 64;
module_param_named(max_regions, byteor_max_regions, uint, 0444);
MODULE_PARM_DESC(max_regions,
		 "Regions that may exist at once (default 64, at most 65536)");

/* LIST and debugfs size one buffer by max_regions: keep it sane. */
#define BYTEOR_MAX_REGIONS_LIMIT	65536U

static int byteor_create_gid = -1;
module_param_named(create_gid, byteor_create_gid, int, 0644);
MODULE_PARM_DESC(create_gid,
		 "Group (initial namespace gid) whose members may create and destroy regions; -1: none (default)");

/* Is the caller a member of the create group?  The gid may change at runtime. */
bool byteor_in_create_group(void)
{
	int gid = READ_ONCE(byteor_create_gid);
	kgid_t kgid;

	if (gid < 0)
		return false;
	kgid = make_kgid(&init_user_ns, gid);
	return gid_valid(kgid) && in_group_p(kgid);
}

static int byteor_open(struct inode *inode, struct file *file)
{
	struct byteor_file *bf;

	bf = kzalloc(sizeof(*bf), GFP_KERNEL);
	if (!bf)
		return -ENOMEM;
	mutex_init(&bf->lock);
	init_waitqueue_head(&bf->wait);
	INIT_LIST_HEAD(&bf->node);
	bf->claim = -1;
	file->private_data = bf;
	return nonseekable_open(inode, file);
}

static int byteor_release(struct inode *inode, struct file *file)
{
	struct byteor_file *bf = file->private_data;

	/* Also on SIGKILL: the claim goes with the last reference to the file. */
	if (bf->region)
		byteor_detach(bf);
	mutex_destroy(&bf->lock);
	kfree(bf);
	return 0;
}

static const struct file_operations byteor_fops = {
	.owner			= THIS_MODULE,	/* rmmod waits for the last close */
	.open			= byteor_open,
	.release		= byteor_release,
	.unlocked_ioctl		= byteor_ioctl,
	.compat_ioctl		= compat_ptr_ioctl,
	.mmap			= byteor_mmap,
	.get_unmapped_area	= byteor_get_unmapped_area,
	.poll			= byteor_poll,
};

static struct miscdevice byteor_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "byteor",
	.fops	= &byteor_fops,
	/*
	 * Root only until udev applies the system's rule: opening the device
	 * lets a user pin kernel memory (files, poll waiters) and reach every
	 * ioctl, so without a rule nobody else gets that.  No parameter: the
	 * group is the rule's to set, and a mode without it would be half of
	 * one policy in two places.
	 */
	.mode	= 0600,
	.groups	= byteor_groups,
};

static int __init byteor_init(void)
{
	int ret;

	if (byteor_max_bytes < BYTEOR_REGION_ALIGN) {
		pr_err("max_bytes=%lu is less than one 2 MiB page\n",
		       byteor_max_bytes);
		return -EINVAL;
	}
	if (byteor_max_regions > BYTEOR_MAX_REGIONS_LIMIT) {
		pr_err("max_regions=%u is more than %u\n", byteor_max_regions,
		       BYTEOR_MAX_REGIONS_LIMIT);
		return -EINVAL;
	}
	ret = byteor_region_init();
	if (ret)
		return ret;
	ret = misc_register(&byteor_misc);
	if (ret)
		goto err_region;
	byteor_debugfs_init();
	return 0;

err_region:
	byteor_region_exit();
	return ret;
}

static void __exit byteor_exit(void)
{
	byteor_debugfs_exit();
	misc_deregister(&byteor_misc);
	byteor_region_exit();
}

module_init(byteor_init);
module_exit(byteor_exit);

MODULE_DESCRIPTION("byteor: hugepage-backed shared-memory regions");
MODULE_LICENSE("GPL");
MODULE_VERSION(BYTEOR_MODULE_VERSION);
