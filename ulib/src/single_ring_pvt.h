/* SPDX-License-Identifier: MIT */
/*
 * single_ring_pvt.h - the SPSC lane core: the control block of one SPSC
 * lane and the claim / publish / peek / release steps over it.  Used by the
 * single ring and by the SPSC queues of an events chain.  Also the waiting
 * loop every lane shares (dead-peer checks between park slices).
 * Private: do not include directly from applications; not installed.
 *
 * Memory model (C11 atomics on shared memory, x86-64 and arm64 alike):
 *  - positions are free-running 64-bit counters, compared by unsigned
 *    difference; a slot is ring[pos & mask], mask from the PRIVATE
 *    geometry, so no value read from shared memory can address outside
 *    the ring;
 *  - the producer writes payloads and slot headers with plain (relaxed)
 *    stores, then release-stores its position; the consumer acquire-loads
 *    that position before reading a slot (publish -> peek);
 *  - with slot headers, the producer also release-stores each slot's lap
 *    tag before its position; a consumer that acquire-loads the tag it
 *    expects may read that slot (byteor/lane_inline.h), so it can be
 *    ahead of the stored position by at most a ring;
 *  - the consumer release-stores its position after it is done reading
 *    slots; the producer acquire-loads it before reusing them (release ->
 *    claim);
 *  - each side's own position is private (authoritative for it); the
 *    shared copy is only what it tells the other side.  A shared position
 *    found more than capacity away from ours was scribbled on: -EBADMSG,
 *    and whoever notices re-asserts its own shared position, so a scribble
 *    heals as soon as both sides next look.
 */
#ifndef _BYTEOR_SINGLE_RING_PVT_H
#define _BYTEOR_SINGLE_RING_PVT_H

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <time.h>
#include <byteor/single_ring.h>
#include "internal.h"
#include "wait_pvt.h"

/*
 * struct __byteor_side - what one side of a lane tells the other and the
 * observers; one cache line, written by that side only (for an MPSC queue's
 * producer side: by every producer, with atomic RMWs except pos's CAS).
 * @pos:       SPSC producer: slots published; consumer: slots released;
 *             MPSC producers: positions claimed (the CAS word)
 * @attaches:  attaches of this side since creation (0: never attached, so
 *             an absent peer is "not yet", not "gone")
 * @parks:     times this side parked (copied from its waiter, slow path)
 * @skipped:   MPSC consumer: orphaned positions skipped
 * @park_path: enum byteor_park_path this side parks through (0: not yet)
 */
struct __byteor_side {
	_Atomic __u64 pos;
	_Atomic __u64 attaches;
	_Atomic __u64 parks;
	_Atomic __u64 skipped;
	_Atomic __u32 park_path;
	__u32 pad0;
	__u64 pad[3];
};

_Static_assert(sizeof(struct __byteor_side) == 64, "side is one cache line");

/*
 * struct __byteor_spsc_ctl - an SPSC lane's control block (in a control
 * area block of BYTEOR_CONTROL_STRIDE bytes).  Every part that has a
 * different writer sits 128 bytes from the others: adjacent-line prefetch
 * pairs 64-byte lines, so 64 bytes apart would still ping-pong.
 * @prod: producer side (line 0)
 * @cons: consumer side (128)
 * @data: consumers park here when empty; the producer notifies (256)
 * @room: producers park here when full; the consumer notifies (384)
 */
struct __byteor_spsc_ctl {
	struct __byteor_side prod;
	__u8 pad0[64];
	struct __byteor_side cons;
	__u8 pad1[64];
	struct __byteor_ec data;
	__u8 pad2[64];
	struct __byteor_ec room;
	__u8 pad3[64];
};

_Static_assert(offsetof(struct __byteor_spsc_ctl, cons) == 128, "spsc cons");
_Static_assert(offsetof(struct __byteor_spsc_ctl, data) == 256, "spsc data");
_Static_assert(offsetof(struct __byteor_spsc_ctl, room) == 384, "spsc room");
_Static_assert(sizeof(struct __byteor_spsc_ctl) <= BYTEOR_CONTROL_STRIDE,
	       "spsc control block fits its stride");

/* struct __byteor_spsc, the end's private view: byteor/lane_inline.h. */

static inline unsigned int __byteor_min_u(unsigned int a, __u64 b)
{
	return b < a ? (unsigned int)b : a;
}

/*
 * Re-assert our own shared position if someone scribbled on it (the peer
 * then sees a sane value again).  Slow paths only; never for observers.
 */
static inline void __byteor_side_heal(struct __byteor_side *me, __u64 pos)
{
	if (__BYTEOR_UNLIKELY(atomic_load_explicit(&me->pos,
						   memory_order_relaxed) != pos))
		atomic_store_explicit(&me->pos, pos, memory_order_release);
}

/*
 * __byteor_side_positions() - the producer and consumer positions of a lane
 * as one consistent pair, for observers: the consumer's is read before and
 * after the producer's and must not have moved, so prod - cons is what it
 * was at one instant (<= capacity unless scribbled).
 * Return: true if consistent (after a few tries).
 */
static inline bool __byteor_side_positions(struct __byteor_side *prod,
					   struct __byteor_side *cons,
					   __u64 *h, __u64 *t)
{
	unsigned int i;
	__u64 c;

	/* Acquire: keeps the reads in order, pairs with each side's release. */
	*t = atomic_load_explicit(&cons->pos, memory_order_acquire);
	for (i = 0; i < 64; i++) {
		*h = atomic_load_explicit(&prod->pos, memory_order_acquire);
		c = atomic_load_explicit(&cons->pos, memory_order_acquire);
		if (c == *t)
			return true;
		*t = c;
	}
	return false;
}

/*
 * __byteor_spsc_room() - free slots as the producer can prove them,
 * re-reading the consumer's position if the cached copy shows fewer than
 * @want.  Only called with nothing claimed.
 *
 * Recovery from a scribble: the consumer's position must be at most a ring
 * behind ours, never ahead.  If it is not, someone scribbled (on it, or
 * earlier on ours, which misled the consumer): the producer adopts the
 * consumer's position - the ring restarts empty there, in-flight messages
 * are lost - and reports -EBADMSG once.  The consumer never adopts, it only
 * re-asserts its own position, so the two converge as soon as the
 * scribbling stops.
 * Return: free slots (>= 0), or -EBADMSG (resynchronised).
 */
static inline long long __byteor_spsc_room(struct __byteor_spsc *q,
					   __u64 want)
{
	__u64 used = q->pos + q->claimed - q->peer;
	__u64 t;

	if (__BYTEOR_LIKELY(q->cap - used >= want))
		return (long long)(q->cap - used);
	/*
	 * Acquire: pairs with the consumer's release store of cons.pos in
	 * __byteor_spsc_release(); slots below t are no longer read and may
	 * be overwritten.
	 */
	t = atomic_load_explicit(&q->ctl->cons.pos, memory_order_acquire);
	used = q->pos + q->claimed - t;
	if (__BYTEOR_UNLIKELY(used > q->cap)) {
		if (!q->claimed) {
			__u64 i;

			q->pos = t;
			/* Cache "full": the next claim looks again. */
			q->peer = t - q->cap;
			/*
			 * The ring restarts empty: withdraw every slot's tag,
			 * or slots published before the scribble would look
			 * published again at the adopted position.
			 */
			for (i = 0; q->hdr && i < q->cap; i++)
				__atomic_store_n(__byteor_spsc_tag_word(q, i), 0,
						 __ATOMIC_RELAXED);
		}
		atomic_store_explicit(&q->ctl->prod.pos, q->pos,
				      memory_order_release);
		return -EBADMSG;
	}
	q->peer = t;
	if (used == q->cap)
		__byteor_side_heal(&q->ctl->prod, q->pos);
	return (long long)(q->cap - used);
}

/* Claim up to @n slots: see byteor_single_ring_claim().  Never waits. */
static inline int __byteor_spsc_claim(struct __byteor_spsc *q,
				      struct byteor_slot *s, unsigned int n)
{
	long long room;
	unsigned int k;

	if (__BYTEOR_UNLIKELY(q->claimed))
		return -EBUSY;
	if (__BYTEOR_UNLIKELY(!n))
		return 0;
	if (n > BYTEOR_BATCH_MAX)
		n = BYTEOR_BATCH_MAX;
	room = __byteor_spsc_room(q, n);
	if (__BYTEOR_UNLIKELY(room <= 0))
		return room ? (int)room : -EAGAIN;
	k = __byteor_min_u(n, (__u64)room);
	return (int)__byteor_spsc_fill(q, s, k);
}

/* __byteor_spsc_publish(): byteor/lane_inline.h. */

/*
 * __byteor_spsc_avail() - published slots the consumer can prove, re-reading
 * the producer's position if the cached copy shows fewer than @want.
 *
 * A producer position behind ours by at most a ring: we read ahead of it
 * by tags (its publish is in flight), or a forged position made us read
 * ahead of the producer, which adopts ours when it next looks (see
 * __byteor_spsc_room()): what tags proved, else empty, until then.
 * Further off either way: -EBADMSG.  Both re-assert our own position for
 * the producer to adopt.  Fewer than @want shown: the slots' tags extend
 * it, as in the inline peek, so the waiting calls deliver what a producer
 * killed between its tag stores and its position store left published.
 * Return: slots (>= 0), or -EBADMSG (corrupt producer position).
 */
static inline long long __byteor_spsc_avail(struct __byteor_spsc *q,
					    __u64 want)
{
	__u64 avail = q->peer - q->pos;
	__u64 h;

	if (__BYTEOR_LIKELY(avail >= want))
		return (long long)avail;
	/*
	 * Acquire: pairs with the producer's release store of prod.pos in
	 * __byteor_spsc_publish(): the slots below h are fully written.
	 */
	h = atomic_load_explicit(&q->ctl->prod.pos, memory_order_acquire);
	avail = h - q->pos;
	if (__BYTEOR_UNLIKELY(avail > q->cap)) {
		__byteor_side_heal(&q->ctl->cons, q->pos);
		/*
		 * Behind us by at most a ring: we read ahead by tags (a
		 * publish in flight, or a producer that died inside one) or
		 * a forged position misled us; what tags prove is ours.
		 */
		if ((__s64)avail >= 0 || -avail > q->cap)
			return -EBADMSG;
		avail = 0;
	}
	/* Only forward: tags may have proved more than h says yet. */
	if (avail < q->peer - q->pos)
		avail = q->peer - q->pos;
	/*
	 * The position shows fewer than wanted: the tags, as the inline
	 * peek reads them, so that a waiting call delivers what a producer
	 * killed between its tag stores and its position store left whole
	 * (slow path only: the inline peek has looked already).
	 */
	if (q->hdr)
		while (avail < want && avail < q->cap &&
		       __byteor_spsc_tagged(q, q->pos + avail))
			avail++;
	q->peer = q->pos + avail;
	if (!avail)
		__byteor_side_heal(&q->ctl->cons, q->pos);
	return (long long)avail;
}

/* Look at up to @n published slots: see byteor_single_ring_peek(). */
static inline int __byteor_spsc_peek(struct __byteor_spsc *q,
				     struct byteor_slot *s, unsigned int n)
{
	long long avail;
	unsigned int k;

	if (__BYTEOR_UNLIKELY(!n))
		return 0;
	if (n > BYTEOR_BATCH_MAX)
		n = BYTEOR_BATCH_MAX;
	avail = __byteor_spsc_avail(q, n);
	if (__BYTEOR_UNLIKELY(avail <= 0))
		return avail ? (int)avail : -EAGAIN;
	k = __byteor_min_u(n, (__u64)avail);
	k = __byteor_spsc_read(q, s, k);
	return k ? (int)k : -EBADMSG;
}

/* __byteor_spsc_release(): byteor/lane_inline.h. */

/*
 * __byteor_spsc_init() - set up one end's view.  @producer selects which
 * position is ours.  A consumer position ahead of the producer's by at
 * most a ring is legitimate (read by tags): both ends start at the
 * consumer's.  If the shared positions are otherwise inconsistent (more
 * than a ring apart), the attaching end adopts the peer's position: the
 * lane restarts empty rather than read garbage.  A producer starts after
 * any slots a dead predecessor tagged but did not count in its position.
 * (docs/design.md, "SPSC recovery".)
 * Observers pass @rw false and
 * write nothing.  @nowait: the handle's calls do not wait by default
 * (attach option timeout_ns 0), so the inline paths may say -EAGAIN.
 */
static inline void __byteor_spsc_init(struct __byteor_spsc *q, void *ctl,
				      void *ring, const struct byteor_geometry *g,
				      bool producer, bool rw, bool nowait)
{
	__u64 h, t;

	memset(q, 0, sizeof(*q));
	q->ctl = ctl;
	q->ring = ring;
	q->cap = g->capacity;
	q->mask = (__u64)g->capacity - 1;
	q->slot_size = g->slot_size;
	q->hdr = byteor_slot_header(g);
	q->shift = (__u32)__builtin_ctzll(q->cap);
	q->stride = q->hdr + g->slot_size;
	h = atomic_load_explicit(&q->ctl->prod.pos, memory_order_acquire);
	t = atomic_load_explicit(&q->ctl->cons.pos, memory_order_acquire);
	/*
	 * The consumer ahead of the producer's stored position by at most a
	 * ring is legitimate: it read tagged slots whose position store had
	 * not happened (a publish in flight, or a producer killed inside
	 * it).  A new consumer keeps its predecessor's position - moving
	 * back would deliver again what was released, and a producer
	 * reading the old position meanwhile could overwrite the slots it
	 * went back to - and a new producer starts at it.  Further apart
	 * either way is a scribble: the producer adopts the consumer's
	 * position, the consumer the producer's (the lane restarts empty).
	 */
	if (h - t > q->cap) {
		if (producer)
			h = t;
		else if (t - h > q->cap)
			t = h;
		else
			h = t;	/* ahead by tags: nothing known published */
	}
	/*
	 * A producer that died inside a publish may have tagged slots past
	 * the position it stored: those messages are whole and a consumer
	 * may be reading them by their tags, so a new producer starts after
	 * them rather than overwrite them.
	 */
	if (producer && rw && q->hdr)
		while (h - t < q->cap && __byteor_spsc_tagged(q, h))
			h++;
	q->pos = producer ? h : t;
	q->peer = producer ? t : h;
	/*
	 * For the inline paths (byteor/lane_inline.h): the same _Atomic
	 * words, accessed there with __atomic builtins on plain types.
	 */
	q->mine = (__u64 *)(producer ? &q->ctl->prod.pos : &q->ctl->cons.pos);
	q->theirs = (const __u64 *)(producer ? &q->ctl->cons.pos :
				    &q->ctl->prod.pos);
	q->wake = (__u32 *)(producer ? &q->ctl->data.waiters :
			    &q->ctl->room.waiters);
	if (!rw)
		return;
	q->fast = producer ? __BYTEOR_FAST_TX : __BYTEOR_FAST_RX;
	if (nowait)
		q->fast |= __BYTEOR_FAST_NOWAIT;
	/* Killed here: the positions are as the previous ends left them. */
	if (producer)
		BYTEOR_CRASHPOINT("spsc.tx.attach_loaded");
	else
		BYTEOR_CRASHPOINT("spsc.rx.attach_loaded");
	/*
	 * Release: pairs with the peer's acquire load of our position.  A
	 * consumer stores the value it loaded unless the positions were a
	 * scribble, so a peer reading between our loads and this store
	 * sees the same position either way.
	 */
	if (producer)
		atomic_store_explicit(&q->ctl->prod.pos, h, memory_order_release);
	else
		atomic_store_explicit(&q->ctl->cons.pos, t, memory_order_release);
	/* Killed here: the position is stored, the attach not counted. */
	if (producer)
		BYTEOR_CRASHPOINT("spsc.tx.attach_stored");
	else
		BYTEOR_CRASHPOINT("spsc.rx.attach_stored");
	atomic_fetch_add_explicit(producer ? &q->ctl->prod.attaches :
				  &q->ctl->cons.attaches, 1, memory_order_relaxed);
}

/* ------------------------------------------------------------------------
 * Waiting, shared by every lane (single_ring.c).
 */

/*
 * struct __byteor_peer - what a lane end knows privately about its peer's
 * presence, for -EPIPE: a peer is "gone" only if it was there during this
 * handle's life - seen alive by a liveness check, or an attach of the peer
 * side counted since ours (a peer that attached and died between two
 * checks) - and is not alive now.  A peer that left before this handle
 * attached is "not yet", not "gone": a restarted consumer waits for the
 * next producer.
 * @attaches0: the peer side's attach count when this handle attached
 * @seen:      the peer was present during this handle's life
 */
struct __byteor_peer {
	__u64 attaches0;
	bool seen;
};

static inline void __byteor_peer_init(struct __byteor_peer *p,
				      struct __byteor_side *side, int alive)
{
	p->attaches0 = atomic_load_explicit(&side->attaches,
					    memory_order_relaxed);
	p->seen = alive > 0;
}

/*
 * __byteor_peer_note() - count a peer attach since ours as "came".  Call it
 * BEFORE the liveness check that __byteor_peer_gone() is given: a peer
 * bumps the attach count only after it holds its claim, so a count read
 * first and a check made after cannot together miss a live peer (the
 * other order can: check before the claim, count after it -> "gone").
 */
static inline void __byteor_peer_note(struct __byteor_peer *p,
				      struct __byteor_side *side)
{
	if (!p->seen &&
	    atomic_load_explicit(&side->attaches, memory_order_acquire) !=
	    p->attaches0)
		p->seen = true;
}

/*
 * __byteor_peer_gone() - the peer came (see struct __byteor_peer and
 * __byteor_peer_note()) and the liveness check @alive (1, 0 or -errno),
 * made after the note, says it is not there now.
 */
static inline bool __byteor_peer_gone(struct __byteor_peer *p, int alive)
{
	if (alive) {
		if (alive > 0)
			p->seen = true;
		return false;	/* alive, or cannot tell */
	}
	return p->seen;
}

/* Longest park before a waiting call re-checks its peer's liveness. */
#define __BYTEOR_LANE_SLICE_NS	20000000LL
/*
 * A long idle wait lengthens its slices (doubling) up to this: each slice
 * costs a park and the slow checks (~0.1 ms of CPU here), so a consumer
 * idle for seconds wakes ~7 times a second, and a dead peer is still seen
 * within this long.
 */
#define __BYTEOR_LANE_SLICE_MAX_NS	160000000LL

/*
 * struct __byteor_lane_wait - one blocking call's waiting loop.
 * @ec:    the eventcount to park on
 * @w:     the handle's waiter
 * @ready: the lane's readiness check (> 0 ready, 0 not yet, < 0 error);
 *         may set *@tick to ask for @tick_fn before the call returns
 * @tick:  set by @ready when it wants @tick_fn run (cleared by the loop)
 * @tick_fn: run between slices and when @ready set *@tick: the slow checks
 *         (peer alive? orphaned claim?); 0 keep waiting, > 0 ready now,
 *         < 0 the call's error (-EPIPE)
 * @arg:   for @ready and @tick_fn
 * @side:  where this side's park counters are published (NULL: nowhere)
 */
struct __byteor_lane_wait {
	struct __byteor_ec *ec;
	struct __byteor_waiter *w;
	int (*ready)(void *arg);
	bool *tick;
	int (*tick_fn)(void *arg);
	void *arg;
	struct __byteor_side *side;
};

/**
 * __byteor_lane_wait() - wait until lw->ready says so, at most @timeout_ns.
 * Return: 0 ready; -EAGAIN (@timeout_ns == 0 and not ready); -ETIMEDOUT;
 * -EPIPE or another error of ready()/tick_fn().
 */
int __byteor_lane_wait(const struct __byteor_lane_wait *lw,
		       long long timeout_ns) __BYTEOR_HIDDEN;

/* The park path this process resolves BYTEOR_PARK_AUTO to (snapshots). */
int __byteor_process_park_path(void) __BYTEOR_HIDDEN;

#endif /* _BYTEOR_SINGLE_RING_PVT_H */
