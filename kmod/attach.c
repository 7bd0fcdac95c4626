// SPDX-License-Identifier: GPL-2.0-only
/*
 * attach.c - binding an open /dev/byteor to a region and a role.
 *
 * ATTACH checks, in this order (docs/design.md section 4): the name exists; the
 * caller may open the region with the access its role needs (mode bits like
 * a file; read for observers, read+write otherwise); kind and version;
 * geometry; the role and queue exist in the layout; an exclusive role is
 * free; the file is not attached yet.  Claims live in the region (kernel
 * state, authoritative) and are mirrored into the mapped header.  A claim
 * is dropped when its file is released - also when the process is killed -
 * and poll() on every other attached file then reports EPOLLPRI.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/pid_namespace.h>
#include <linux/poll.h>
#include <linux/sched.h>
#include <linux/uaccess.h>

#include "byteor_internal.h"
#include "byteor_trace.h"

/* Owner, group, other: the mode bits that apply to the caller, as open(2). */
static int byteor_may_access(const struct byteor_region *r, bool write)
{
	u32 need = write ? 06 : 04;
	u32 bits = r->mode;

	if (uid_eq(current_fsuid(), r->uid))
		bits >>= 6;
	else if (in_group_p(r->gid))
		bits >>= 3;
	if ((bits & need) == need)
		return 0;
	if (capable(CAP_DAC_OVERRIDE))
		return 0;
	if (!write && capable(CAP_DAC_READ_SEARCH))
		return 0;
	return -EACCES;
}

/*
 * Take the first free claim word of [first, first + count); r->lock held.
 * Not mirrored yet: byteor_attach() shows it in the header only once the
 * ATTACH can no longer fail, so a failed ATTACH leaves no trace peers see.
 */
static int byteor_claim_take(struct byteor_region *r, u32 role, u32 first,
			     u32 count)
{
	u32 i;

	lockdep_assert_held(&r->lock);
	/* The uapi helpers keep the range inside the layout; trust but check. */
	if (WARN_ON_ONCE(first >= r->layout.nr_claims ||
			 count > r->layout.nr_claims - first))
		return -EINVAL;
	for (i = first; i < first + count; i++) {
		struct byteor_claim *c = &r->claims[i];

		if (c->epoch & 1)
			continue;
		c->pid = task_tgid_nr_ns(current, r->pid_ns);
		c->role = role;
		c->epoch++;			/* odd: held */
		r->nr_claims_held++;
		return i;
	}
	return -EBUSY;
}

/* Drop claim word @i; r->lock held.  Peers learn it from the header and poll. */
static void byteor_claim_drop(struct byteor_region *r, u32 i)
{
	lockdep_assert_held(&r->lock);
	r->claims[i].epoch++;			/* even: free */
	r->nr_claims_held--;
	byteor_claim_mirror(r, i);
	atomic_inc(&r->released);
}

/**
 * byteor_attach - the ATTACH ioctl, after its request was validated
 * @bf: the file to attach
 * @a: the request (name, kind, version, geometry, role, queue); the out
 *     fields (index, claim, info) are filled
 * @ua: where to copy @a back
 *
 * Return: 0; -ENOENT no such region (also one DESTROY unlinked while
 * this ATTACH ran); -EACCES mode bits deny the access;
 * -EPROTO kind or version differ; -EBADMSG geometry differs; -EINVAL role
 * or queue not in the layout; -EBUSY the role is taken or the file is
 * already attached; -EFAULT @ua cannot be written (nothing stays bound).
 */
int byteor_attach(struct byteor_file *bf, struct byteor_attach *a,
		  struct byteor_attach __user *ua)
{
	bool observer = a->role == BYTEOR_ROLE_OBSERVER;
	struct byteor_region *r;
	u32 first = 0, count = 0;
	int claim = -1, ret;

	mutex_lock(&bf->lock);
	r = byteor_region_get(a->name);
	if (!r) {
		ret = -ENOENT;
		goto out_unlock;
	}
	ret = byteor_may_access(r, !observer);
	if (ret)
		goto out_put;
	/* A region's kind is never 0, so kind 0 is a mismatch too. */
	if (a->kind != r->kind || a->layout_version != r->layout_version) {
		ret = -EPROTO;
		goto out_put;
	}
	ret = byteor_geometry_match(&r->geometry, &a->geometry);
	if (ret)
		goto out_put;
	/*
	 * An observer claims nothing, but the queue it names (reported back
	 * as its index) must exist as for a consumer of the layout.
	 */
	ret = byteor_claim_range(r->kind, &r->geometry,
				 observer ? BYTEOR_ROLE_CONSUMER : a->role,
				 a->queue, &first, &count);
	if (ret == -ENOENT || (!ret && observer))	/* no claim word */
		count = 0;
	else if (ret)
		goto out_put;
	if (bf->region) {
		ret = -EBUSY;
		goto out_put;
	}

	mutex_lock(&r->lock);
	/*
	 * DESTROY may have unlinked the name since the lookup; it sets
	 * destroyed under r->lock, so from here on the region either was
	 * live when this file bound to it or is refused like a missing name.
	 */
	if (r->destroyed) {
		mutex_unlock(&r->lock);
		ret = -ENOENT;
		goto out_put;
	}
	if (count) {
		claim = byteor_claim_take(r, a->role, first, count);
		if (claim < 0) {
			mutex_unlock(&r->lock);
			ret = claim;
			goto out_put;
		}
	}
	r->nr_files++;
	list_add(&bf->node, &r->files);
	bf->seen_released = atomic_read(&r->released);
	/* The descriptor of the region as it was bound (not destroyed). */
	__byteor_region_fill_info(r, &a->info);
	mutex_unlock(&r->lock);

	/* index: the producer slot of an MPSC queue, else the queue. */
	if (a->role == BYTEOR_ROLE_PRODUCER &&
	    r->kind == BYTEOR_KIND_EVENTS_CHAIN &&
	    ((r->geometry.mpsc_mask >> a->queue) & 1))
		a->index = claim - first;
	else
		a->index = a->queue;
	a->claim = claim;

	/*
	 * Copy out before binding: once bf->region is set, mmap may use it
	 * concurrently, so the binding can never be undone.
	 */
	if (copy_to_user(ua, a, sizeof(*a))) {
		ret = -EFAULT;
		goto err_unbind;
	}
	if (claim >= 0) {
		mutex_lock(&r->lock);
		byteor_claim_mirror(r, claim);
		mutex_unlock(&r->lock);
	}
	bf->claim = claim;
	bf->observer = observer;
	trace_byteor_attach(r->name, a->role, a->queue, claim);
	/* Pairs with byteor_file_region(): the region is complete. */
	smp_store_release(&bf->region, r);	/* the lookup's reference */
	mutex_unlock(&bf->lock);
	return 0;

err_unbind:
	/*
	 * Undo the claim as if it had never been taken: it was never in the
	 * header, no holder ran, so no release is counted and no peer is
	 * told of a death (EPOLLPRI) that did not happen.
	 */
	mutex_lock(&r->lock);
	if (claim >= 0) {
		r->claims[claim].epoch--;	/* even again: free */
		r->nr_claims_held--;
	}
	list_del_init(&bf->node);
	r->nr_files--;
	mutex_unlock(&r->lock);
out_put:
	byteor_region_put(r);
out_unlock:
	mutex_unlock(&bf->lock);
	return ret;
}

/**
 * byteor_detach - unbind a released file from its region
 * @bf: an attached file, being released
 *
 * Drops the claim (the header shows an even epoch), wakes poll() on the
 * region's other files, and drops the file's region reference.
 */
void byteor_detach(struct byteor_file *bf)
{
	struct byteor_region *r = bf->region;
	struct byteor_file *peer;

	mutex_lock(&r->lock);
	list_del_init(&bf->node);
	r->nr_files--;
	if (bf->claim >= 0) {
		byteor_claim_drop(r, bf->claim);
		trace_byteor_claim_release(r->name, bf->claim);
		/* Every other attached file's poll() now says EPOLLPRI. */
		list_for_each_entry(peer, &r->files, node)
			wake_up_interruptible_poll(&peer->wait, EPOLLPRI);
	}
	mutex_unlock(&r->lock);
	bf->region = NULL;
	byteor_region_put(r);
}

/**
 * byteor_poll - dead-peer notification
 * @file: an open /dev/byteor
 * @pt: poll table
 *
 * Return: EPOLLPRI once a claim of the region was released since this file
 * attached or last asked INFO with BYTEOR_INFO_F_ATTACHED; EPOLLERR on a
 * file that is not attached (there is nothing to wait for yet; the wait is
 * registered all the same, so an epoll added before ATTACH is woken).
 */
__poll_t byteor_poll(struct file *file, poll_table *pt)
{
	struct byteor_file *bf = file->private_data;
	struct byteor_region *r = byteor_file_region(file);

	/* Before the attach check: an epoll added before ATTACH waits too. */
	poll_wait(file, &bf->wait, pt);
	if (!r)
		return EPOLLERR;
	/* Ordered after the wakeup's atomic_inc by the waitqueue lock. */
	if (atomic_read(&r->released) != READ_ONCE(bf->seen_released))
		return EPOLLPRI;
	return 0;
}
