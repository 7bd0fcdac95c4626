// SPDX-License-Identifier: MIT
/*
 * claim.c - role claims and peer liveness.
 *
 * Kernel backing: byteor.ko holds the claims and mirrors them into the
 * header's claims[] (epoch odd while held, bumped to even when the holder's
 * file is released), so liveness is one load of an epoch.
 *
 * Userspace backing: a claim is an open file description lock (F_OFD_SETLK,
 * write lock) on one byte, __BYTEOR_CLAIM_LOCK_BASE + claim index, of the
 * region file.  The kernel drops it when the last fd of that open file
 * description closes - also when the process is killed - so liveness is a
 * lock test (F_OFD_GETLK), the truth even for a peer that died without a
 * word.  The header's claims[] is kept as a mirror for observers (byteorctl
 * stat); a dead holder leaves its epoch odd there, which is why the lock and
 * not the epoch is consulted.  A forked child shares its parent's open file
 * descriptions and thus keeps its claims alive until it exits too.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include "internal.h"

static int claim_lock(int fd, int cmd, struct flock *fl, __u32 claim)
{
	fl->l_whence = SEEK_SET;
	fl->l_start = (off_t)(__BYTEOR_CLAIM_LOCK_BASE + claim);
	fl->l_len = 1;
	fl->l_pid = 0;		/* required by the OFD commands */
	return fcntl(fd, cmd, fl) ? -errno : 0;
}

static struct byteor_claim *claim_word(struct __byteor_region *r, __u32 claim)
{
	return &((struct byteor_region_header *)r->base)->claims[claim];
}

/* Mirror a claim taken: epoch to the next odd value. */
static void mirror_take(struct __byteor_region *r, __u32 claim)
{
	struct byteor_claim *c = claim_word(r, claim);
	__u64 e = __atomic_load_n(&c->epoch, __ATOMIC_RELAXED);

	__atomic_store_n(&c->pid, (__u32)getpid(), __ATOMIC_RELAXED);
	__atomic_store_n(&c->role, r->role, __ATOMIC_RELAXED);
	/* Release: pairs with the acquire load of an observer reading pid. */
	__atomic_store_n(&c->epoch, e + ((e & 1) ? 2 : 1), __ATOMIC_RELEASE);
}

/* Mirror a claim released: epoch to even. */
static void mirror_drop(struct __byteor_region *r, __u32 claim)
{
	struct byteor_claim *c = claim_word(r, claim);
	__u64 e = __atomic_load_n(&c->epoch, __ATOMIC_RELAXED);

	if (e & 1)
		__atomic_store_n(&c->epoch, e + 1, __ATOMIC_RELEASE);
}

/**
 * __byteor_user_claim() - take the first free claim of [first, first+count).
 * @r:     attached region, mapped read-write, fd opened read-write
 * @first: first claim word of the role
 * @count: claim words of the role (more than one for MPSC producers)
 *
 * Sets r->claim and r->index (the offset in the range: the producer slot).
 * Return: 0, -EBUSY (all taken), or another -errno of fcntl.
 */
int __byteor_user_claim(struct __byteor_region *r, __u32 first, __u32 count)
{
	struct flock fl;
	__u32 i;
	int ret;

	for (i = first; i < first + count; i++) {
		fl.l_type = F_WRLCK;
		ret = claim_lock(r->fd, F_OFD_SETLK, &fl, i);
		if (ret == -EAGAIN || ret == -EACCES)
			continue;
		if (ret)
			return ret;
		r->claim = (int)i;
		r->index = i - first;
		mirror_take(r, i);
		return 0;
	}
	return -EBUSY;
}

/**
 * __byteor_user_release() - drop r's claim, if any.
 * @r: attached region
 *
 * The mirror goes even before the lock goes, so the epoch never reads free
 * while the next holder's claim is already mirrored.
 */
void __byteor_user_release(struct __byteor_region *r)
{
	struct flock fl;

	if (r->claim < 0)
		return;
	mirror_drop(r, (__u32)r->claim);
	fl.l_type = F_UNLCK;
	claim_lock(r->fd, F_OFD_SETLK, &fl, (__u32)r->claim);
	r->claim = -1;
}

/* Is claim @claim held by some open file description other than @fd's? */
static int user_held(int fd, __u32 claim)
{
	struct flock fl;
	int ret;

	fl.l_type = F_WRLCK;
	ret = claim_lock(fd, F_OFD_GETLK, &fl, claim);
	if (ret)
		return ret;
	return fl.l_type != F_UNLCK;
}

/**
 * __byteor_user_claims_held() - count the claims held by live processes.
 * @fd:        a region file (holding no claim itself)
 * @nr_claims: claim words of the layout
 *
 * Return: the count, or -errno of fcntl.
 */
int __byteor_user_claims_held(int fd, __u32 nr_claims)
{
	int ret, n = 0;
	__u32 i;

	for (i = 0; i < nr_claims; i++) {
		ret = user_held(fd, i);
		if (ret < 0)
			return ret;
		n += ret;
	}
	return n;
}

int __byteor_claim_alive(const struct __byteor_region *r, __u32 claim)
{
	const struct byteor_claim *c;

	if (claim >= r->info.layout.nr_claims)
		return -EINVAL;
	/* Our own lock never conflicts with our own open file description. */
	if (r->claim >= 0 && (__u32)r->claim == claim)
		return 1;
	if (r->backing == BYTEOR_BACKING_USER)
		return user_held(r->fd, claim);
	c = &__byteor_header(r)->claims[claim];
	/* Acquire: pairs with the kernel's release of the bumped epoch. */
	return __atomic_load_n(&c->epoch, __ATOMIC_ACQUIRE) & 1;
}
