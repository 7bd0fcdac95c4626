/* SPDX-License-Identifier: MIT */
/*
 * byteor/seq_inline.h - the sequenced slots' hot paths, inlined into the
 * caller: the producer's claim and publish, entry access, and the wait and
 * advance of stages and subscribers.  Included by byteor/sequenced_slots.h;
 * not meant to be included alone.
 *
 * Why inline: as for the SPSC lanes (byteor/lane_inline.h), a call into the
 * shared library per step and the re-checks each entry point makes cost
 * more than the step.  The first member of a sequenced-slots handle is a
 * struct __byteor_seq_fast, the handle's private view of what the common
 * case needs; the common case runs here:
 *  - claim: room known from the cached gating floor (the slowest terminal
 *    stage, re-read once per ring at most);
 *  - publish, advance: one release store and the eventcount's waiter
 *    count (no system call unless somebody parked);
 *  - wait: entries known from the cached barrier, or - for a stage or
 *    subscriber whose barrier is the cursor alone (stage_deps 0) - proven
 *    by one acquire load of the cursor; with a zero timeout, "nothing new"
 *    is answered here too;
 *  - entry, entry_ro: an address.
 * Everything else - a barrier over other stages, waiting, timeouts, a
 * scribbled sequence, a bad header, a wrong role, bad arguments - falls
 * through to the library's function of the same name with a "__" prefix,
 * which does the whole job as before.
 *
 * struct __byteor_seq_fast is part of libbyteor's ABI (a change of its
 * layout changes the SONAME), not of its API.  Memory model:
 * ulib/src/sequenced_slots_pvt.h (top).
 */
#ifndef _BYTEOR_SEQ_INLINE_H
#define _BYTEOR_SEQ_INLINE_H

#include <byteor/lane_inline.h>

#ifdef __cplusplus
extern "C" {
#endif

/* struct __byteor_seq_fast.fast: which inline paths this handle may take. */
#define __BYTEOR_SEQ_FAST_PROD		1U	/* the producer */
#define __BYTEOR_SEQ_FAST_STAGE		2U	/* a stage (entries writable) */
#define __BYTEOR_SEQ_FAST_SUB		4U	/* a subscriber (read-only) */
#define __BYTEOR_SEQ_FAST_CURSOR	8U	/* stage / subscriber whose
						 * barrier is the cursor alone */
#define __BYTEOR_SEQ_FAST_NOWAIT	16U	/* attached with timeout_ns 0 */

/*
 * struct __byteor_seq_fast - a handle's view for the inline paths.  Lives
 * in process memory; nothing here is trusted from, or visible to, a peer.
 * @ring:        slot 0 (shared)
 * @cursor:      the producer's cursor (shared)
 * @gating:      a stage's or subscriber's own gating sequence (shared)
 * @removed:     the removal mask (shared)
 * @wake:        waiter count of the eventcount this handle notifies after
 *               publishing / advancing (shared)
 * @mask, @cap:  capacity - 1 and capacity, from the private geometry
 * @pos:         producer: the cursor; stage: its gating sequence
 *               (authoritative)
 * @claimed:     producer: entries claimed, not published; stage: polls
 *               since its last look at the cursor found nothing new
 * @limit:       producer: cached gating floor (claims stay below
 *               limit + cap); stage: cached barrier
 * @cursor_seen: highest cursor this handle has read (barrier sanity)
 * @stride:      8 + slot_size
 * @fast:        __BYTEOR_SEQ_FAST_* (0: observer)
 * @self:        a stage's own bits of the removal mask (removed, joining):
 *               either set while it runs is a scribble the library heals
 */
struct __byteor_seq_fast {
	unsigned char *ring;
	__u64 *cursor;
	__u64 *gating;
	const __u32 *removed;
	__u32 *wake;
	__u64 mask;
	__u64 cap;
	__u64 pos;
	__u64 claimed;
	__u64 limit;
	__u64 cursor_seen;
	__u32 stride;
	__u32 fast;
	__u32 self;
	__u32 pad;
};

/* A sequenced-slots handle's fast view (it is the handle's first member). */
#define __BYTEOR_SEQ_F(h)	((struct __byteor_seq_fast *)(h))

/* Slot header of @seq: the entry's sequence, written at claim. */
__BYTEOR_HOT __u64 *__byteor_seq_hdr(const struct __byteor_seq_fast *f,
				     __u64 seq)
{
	return (__u64 *)(f->ring + (seq & f->mask) * f->stride);
}

/*
 * Claim @n sequences if the cached gating floor shows room.
 * Return: 1 claimed, 0 the library must decide (a NULL handle included).
 */
__BYTEOR_HOT int __byteor_seq_try_claim(struct __byteor_seq_fast *f,
					unsigned int n, __u64 *first)
{
	__u64 s, i;

	if (__BYTEOR_UNLIKELY(!f || !(f->fast & __BYTEOR_SEQ_FAST_PROD) || !n ||
			      !first || n > f->cap - f->claimed))
		return 0;
	s = f->pos + f->claimed;
	/* Signed: the floor is free-running, like every sequence. */
	if (__BYTEOR_UNLIKELY((__s64)(f->limit - (s + n - f->cap)) < 0))
		return 0;
	/*
	 * The header names the entry's sequence; ordered before the stages'
	 * reads by the release store of the cursor at publish.
	 */
	for (i = 0; i < n; i++)
		__atomic_store_n(__byteor_seq_hdr(f, s + i), s + i,
				 __ATOMIC_RELAXED);
	BYTEOR_CRASHPOINT("seq.producer.claimed");
	f->claimed += n;
	*first = s;
	return 1;
}

__BYTEOR_HOT void __byteor_seq_publish(struct __byteor_seq_fast *f,
				       unsigned int n)
{
	BYTEOR_CRASHPOINT("seq.producer.before_publish");
	f->pos += n;
	f->claimed -= n;
	/*
	 * Release: pairs with the stages' acquire load of the cursor: the
	 * entries and headers written since the claim are visible first.
	 */
	__atomic_store_n(f->cursor, f->pos, __ATOMIC_RELEASE);
	BYTEOR_CRASHPOINT("seq.producer.published");
	__byteor_notify(f->wake);
}

/*
 * Entries from f->pos on that the barrier covers, by the cached barrier,
 * or for a cursor follower that ran out by one acquire load of the cursor
 * (pairs with the release store at publish).  A cursor that is not 1 to
 * a ring ahead, below one seen before, or our own removal bits set: the
 * library decides (resync, -EBADMSG, healing).
 * Return: entries (> 0); 0 the library must decide; -EAGAIN nothing new,
 * proven (only if @nowait).
 */
__BYTEOR_HOT long long __byteor_seq_avail(struct __byteor_seq_fast *f,
					  int nowait)
{
	__u64 d = f->limit - f->pos, c;

	if (__BYTEOR_LIKELY(d))
		return (long long)d;
	if (!(f->fast & __BYTEOR_SEQ_FAST_CURSOR))
		return 0;
	if (__BYTEOR_UNLIKELY(__atomic_load_n(f->removed, __ATOMIC_RELAXED) &
			      f->self))
		return 0;
	/*
	 * The producer stores an entry's header at claim, before the
	 * release store of the cursor that publishes it: a header that does
	 * not name f->pos yet means "not published" without a look at the
	 * cursor's line, which the producer writes at every publish.  So a
	 * poll that has caught up (the last look at the cursor found nothing
	 * new: f->claimed, unused by stages, counts the polls since) reads
	 * the slot's line (which the producer fills anyway) rather than
	 * pulling the cursor's away from the producer each time.  The cursor
	 * alone proves an entry: a header that names it (claimed) sends the
	 * poll to the cursor, and so does every 64th miss, so a header
	 * scribbled away cannot hide published entries for ever.  A stage
	 * that keeps finding entries never looks at the header.
	 */
	if (nowait && f->claimed && (f->claimed++ & 63) &&
	    __atomic_load_n(__byteor_seq_hdr(f, f->pos),
			    __ATOMIC_RELAXED) != f->pos) {
		c = f->pos;
		goto nothing_new;
	}
	c = __atomic_load_n(f->cursor, __ATOMIC_ACQUIRE);
	d = c - f->pos;
	if (!d) {
		f->claimed |= 1;	/* caught up: the header first from now */
nothing_new:
		/*
		 * The library's poll would also re-assert our gating sequence
		 * if someone scribbled on it, and judge a cursor below one
		 * seen before: leave those cases to it.
		 */
		if (nowait && c == f->cursor_seen &&
		    __atomic_load_n(f->gating, __ATOMIC_RELAXED) == f->pos) {
			/*
			 * A spin-wait hint, about what the library's poll
			 * cost before it was inline: a polling loop that
			 * re-reads the lines the producer is writing at
			 * full speed takes them away from it on every
			 * message (publish-1 28 % slower without it).
			 */
			__byteor_cpu_relax();
			return -EAGAIN;
		}
		return 0;
	}
	f->claimed = 0;
	if (__BYTEOR_UNLIKELY(d > f->cap || (__s64)(c - f->cursor_seen) < 0))
		return 0;
	f->cursor_seen = c;
	f->limit = c;
	return (long long)d;
}

/*
 * A stage's or subscriber's wait, inline part: up to @max entries, each
 * slot header checked (read once: a peer may rewrite it).  @nowait: 1 the
 * call's timeout is 0, 0 it is not, -1 the attach's timeout applies.
 * Return: entries (> 0); 0 the library must decide (a NULL handle
 * included; it also reports a bad first header); -EAGAIN nothing new
 * (non-blocking only).
 */
__BYTEOR_HOT int __byteor_seq_try_wait(struct __byteor_seq_fast *f,
				       unsigned int role, unsigned int max,
				       __u64 *first, int nowait)
{
	long long avail;
	__u64 k, i;

	if (__BYTEOR_UNLIKELY(!f || !(f->fast & role) || !max || !first))
		return 0;
	if (nowait < 0)
		nowait = !!(f->fast & __BYTEOR_SEQ_FAST_NOWAIT);
	avail = __byteor_seq_avail(f, nowait);
	if (__BYTEOR_UNLIKELY(avail <= 0))
		return (int)avail;
	k = max < (__u64)avail ? max : (__u64)avail;
	if (k > 65535U)		/* BYTEOR_SEQ_BATCH_MAX */
		k = 65535U;
	for (i = 0; i < k; i++)
		if (__BYTEOR_UNLIKELY(__atomic_load_n(__byteor_seq_hdr(f, f->pos + i),
						      __ATOMIC_RELAXED) != f->pos + i))
			break;
	if (__BYTEOR_UNLIKELY(!i))
		return 0;
	*first = f->pos;
	return (int)i;
}

/*
 * Advance by @n if the last wait made them available.
 * Return: 1 done, 0 the library must decide (a NULL handle included).
 */
__BYTEOR_HOT int __byteor_seq_try_advance(struct __byteor_seq_fast *f,
					  unsigned int role, unsigned int n)
{
	if (__BYTEOR_UNLIKELY(!f || !(f->fast & role) || n > f->limit - f->pos))
		return 0;
#ifdef BYTEOR_CRASHPOINTS
	BYTEOR_CRASHPOINT(role == __BYTEOR_SEQ_FAST_SUB ?
			  "seq.subscriber.before_advance" :
			  "seq.stage.before_advance");
#endif
	f->pos += n;
	/*
	 * Release: pairs with the acquire load of this gating sequence by
	 * dependents (which then read what we wrote) and by the producer
	 * (which then reuses the slots we are done with).
	 */
	__atomic_store_n(f->gating, f->pos, __ATOMIC_RELEASE);
#ifdef BYTEOR_CRASHPOINTS
	BYTEOR_CRASHPOINT(role == __BYTEOR_SEQ_FAST_SUB ?
			  "seq.subscriber.advanced" : "seq.stage.advanced");
#endif
	__byteor_notify(f->wake);
	return 1;
}

#ifdef __cplusplus
}
#endif

#endif /* _BYTEOR_SEQ_INLINE_H */
