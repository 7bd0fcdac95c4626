// SPDX-License-Identifier: GPL-2.0-only
/*
 * ioctl.c - the /dev/byteor ioctls: copy the request in, validate it
 * entirely (size, flags, reserved fields, name, geometry, permission), act,
 * copy the answer out.  Errors are the uapi header's, per command.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "byteor_internal.h"
#include "byteor_trace.h"

/* Non-zero when any of the @n reserved u64 words is set. */
static bool byteor_reserved_set(const __u64 *w, unsigned int n)
{
	return memchr_inv(w, 0, n * sizeof(*w));
}

static int byteor_ioc_create(struct byteor_create __user *uc)
{
	struct byteor_region *r;
	struct byteor_create c;
	struct byteor_layout l;
	kuid_t uid;
	kgid_t gid;
	u64 size;
	int ret;

	if (copy_from_user(&c, uc, sizeof(c)))
		return -EFAULT;
	if (c.size != sizeof(c) || (c.flags & ~BYTEOR_CREATE_FLAGS) ||
	    c.reserved0 || byteor_reserved_set(c.reserved, ARRAY_SIZE(c.reserved)))
		return -EINVAL;
	if (!byteor_in_create_group() && !capable(CAP_SYS_ADMIN))
		return -EPERM;
	ret = byteor_name_valid(c.name);
	if (ret)
		return ret;
	if (c.mode & ~0777U)
		return -EINVAL;
	if (!byteor_kind_version(c.kind) ||
	    c.layout_version != byteor_kind_version(c.kind))
		return -EINVAL;
	/* Checks the geometry (reserved words included) against the kind. */
	if (byteor_layout_compute(c.kind, &c.geometry, &l))
		return -EINVAL;
	if (c.region_size > BYTEOR_REGION_SIZE_MAX)
		return -EINVAL;
	size = byteor_region_size(&l, c.region_size);
	if (size > BYTEOR_REGION_SIZE_MAX)
		return -EINVAL;

	if (c.flags & BYTEOR_CREATE_F_OWNER) {
		if (!capable(CAP_CHOWN))
			return -EPERM;
		uid = make_kuid(current_user_ns(), c.uid);
		gid = make_kgid(current_user_ns(), c.gid);
		if (!uid_valid(uid) || !gid_valid(gid))
			return -EINVAL;
	} else {
		uid = current_fsuid();
		gid = current_fsgid();
	}

	r = byteor_region_prepare(&c, uid, gid, &l, size);
	if (IS_ERR(r))
		return PTR_ERR(r);
	c.region_size = r->size;
	c.generation = r->generation;
	/* Answer before publishing, so a failed copy leaves no region. */
	if (copy_to_user(uc, &c, sizeof(c))) {
		ret = -EFAULT;
		goto err_abort;
	}
	/*
	 * Published, @r is the table's: a DESTROY may free it at once, so
	 * from here on only the copy in @c is read (KASAN caught the trace
	 * and the log line reading r->size after a racing DESTROY).
	 */
	byteor_region_publish(r);
	trace_byteor_create(c.name, c.kind, c.region_size);
	/* Rate-limited: a create-group member may loop; audit is elsewhere. */
	pr_info_ratelimited("create %s: kind %u, %llu bytes, by uid %u pid %d (%s)\n",
			    c.name, c.kind, (unsigned long long)c.region_size,
			    from_kuid(&init_user_ns, current_uid()),
			    task_tgid_nr(current), current->comm);
	return 0;

err_abort:
	byteor_region_abort(r);
	return ret;
}

static int byteor_ioc_attach(struct byteor_file *bf,
			     struct byteor_attach __user *ua)
{
	struct byteor_attach a;
	int ret;

	if (copy_from_user(&a, ua, sizeof(a))) {
		ret = -EFAULT;
		goto out;
	}
	if (a.size != sizeof(a) || (a.flags & ~BYTEOR_ATTACH_FLAGS) ||
	    byteor_reserved_set(a.reserved, ARRAY_SIZE(a.reserved)) ||
	    memchr_inv(a.geometry.reserved, 0, sizeof(a.geometry.reserved))) {
		ret = -EINVAL;
		goto out;
	}
	ret = byteor_name_valid(a.name);
	if (ret)
		goto out;
	if (a.role < BYTEOR_ROLE_PRODUCER || a.role > BYTEOR_ROLE_MAX) {
		ret = -EINVAL;
		goto out;
	}
	ret = byteor_attach(bf, &a, ua);
out:
	atomic_long_inc(ret ? &byteor_stats.attach_failures :
			      &byteor_stats.attaches);
	return ret;
}

static int byteor_ioc_info(struct byteor_file *bf, struct file *file,
			   struct byteor_info __user *ui)
{
	struct byteor_region *r;
	struct byteor_info in;

	if (copy_from_user(&in, ui, sizeof(in)))
		return -EFAULT;
	if (in.size != sizeof(in) || (in.flags & ~BYTEOR_INFO_FLAGS) ||
	    byteor_reserved_set(in.reserved, ARRAY_SIZE(in.reserved)))
		return -EINVAL;

	if (in.flags & BYTEOR_INFO_F_ATTACHED) {
		if (memchr_inv(in.name, 0, sizeof(in.name)))
			return -EINVAL;
		r = byteor_file_region(file);
		if (!r)
			return -ENOENT;
		/* Reset the dead-peer state before reading what it reports. */
		WRITE_ONCE(bf->seen_released, atomic_read(&r->released));
		byteor_region_fill_info(r, &in.info);
	} else {
		int ret = byteor_name_valid(in.name);

		if (ret)
			return ret;
		r = byteor_region_get(in.name);
		if (!r)
			return -ENOENT;
		byteor_region_fill_info(r, &in.info);
		byteor_region_put(r);
	}
	if (copy_to_user(ui, &in, sizeof(in)))
		return -EFAULT;
	return 0;
}

static int byteor_ioc_list(struct byteor_list __user *ul)
{
	struct byteor_region_info *buf = NULL;
	struct byteor_list l;
	u32 room, count;
	int ret = 0;

	if (copy_from_user(&l, ul, sizeof(l)))
		return -EFAULT;
	if (l.size != sizeof(l) || (l.flags & ~BYTEOR_LIST_FLAGS) ||
	    l.reserved0 || byteor_reserved_set(l.reserved, ARRAY_SIZE(l.reserved)))
		return -EINVAL;

	/* No more live regions than region objects: bound the buffer. */
	room = min(l.count, byteor_max_regions);
	if (room) {
		buf = kvcalloc(room, sizeof(*buf), GFP_KERNEL);
		if (!buf)
			return -ENOMEM;
	}
	/* Copy out after the table lock is dropped: user memory may fault. */
	count = byteor_region_snapshot(buf, room);
	if (copy_to_user(u64_to_user_ptr(l.entries), buf,
			 min(room, count) * sizeof(*buf))) {
		ret = -EFAULT;
		goto out;
	}
	l.count = count;
	if (copy_to_user(ul, &l, sizeof(l)))
		ret = -EFAULT;
out:
	kvfree(buf);
	return ret;
}

static int byteor_ioc_destroy(struct byteor_destroy __user *ud)
{
	struct byteor_region *r;
	struct byteor_destroy d;
	int ret;

	if (copy_from_user(&d, ud, sizeof(d)))
		return -EFAULT;
	if (d.size != sizeof(d) || (d.flags & ~BYTEOR_DESTROY_FLAGS) ||
	    byteor_reserved_set(d.reserved, ARRAY_SIZE(d.reserved)))
		return -EINVAL;
	ret = byteor_name_valid(d.name);
	if (ret)
		return ret;

	r = byteor_region_get(d.name);
	if (!r)
		return -ENOENT;
	/* The owner, the create group or an admin; capable() last: it audits. */
	if (!uid_eq(r->uid, current_fsuid()) && !byteor_in_create_group() &&
	    !capable(CAP_SYS_ADMIN)) {
		ret = -EPERM;
		goto out_put;
	}
	ret = byteor_region_unlink(r);
	if (!ret) {
		atomic_long_inc(&byteor_stats.destroys);
		trace_byteor_destroy(d.name, r->size);
		pr_info_ratelimited("destroy %s: %llu bytes, by uid %u pid %d (%s)\n",
				    d.name, (unsigned long long)r->size,
				    from_kuid(&init_user_ns, current_uid()),
				    task_tgid_nr(current), current->comm);
	}
out_put:
	byteor_region_put(r);
	return ret;
}

/**
 * byteor_ioctl - /dev/byteor ioctl entry
 * @file: the open device
 * @cmd: a BYTEOR_IOC_* command
 * @arg: user pointer to the command's struct
 *
 * Return: 0, a command's -errno (see include/uapi/byteor.h), or -ENOTTY
 * for an unknown command.
 */
long byteor_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct byteor_file *bf = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case BYTEOR_IOC_CREATE:
		return byteor_ioc_create(uarg);
	case BYTEOR_IOC_ATTACH:
		return byteor_ioc_attach(bf, uarg);
	case BYTEOR_IOC_INFO:
		return byteor_ioc_info(bf, file, uarg);
	case BYTEOR_IOC_LIST:
		return byteor_ioc_list(uarg);
	case BYTEOR_IOC_DESTROY:
		return byteor_ioc_destroy(uarg);
	default:
		return -ENOTTY;
	}
}
