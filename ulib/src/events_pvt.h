/* SPDX-License-Identifier: MIT */
/*
 * events_pvt.h - the MPSC queue core of the events chain: control block,
 * claim / publish / peek / release, and the orphan check.
 * Private: do not include directly from applications; not installed.
 *
 * Algorithm (a bounded Vyukov queue with the consumer's head as the only
 * "free" signal):
 *  - positions are free-running 64-bit counters; slot = ring[pos & mask]
 *    (mask from the PRIVATE geometry);
 *  - a producer reads the shared tail t and the consumer's head (cached;
 *    re-read only when the queue looks full), records in its own claim
 *    record which positions it is about to take, then CASes tail from t to
 *    t + k: positions [t, t + k) are its own;
 *  - it writes each payload, then release-stores the slot header
 *    (sequence = (u32)(pos + 1) in the high half, length in the low half);
 *  - the consumer acquire-loads the header of slot head: the event is there
 *    when its sequence equals (u32)(head + 1); it reads in place, then
 *    release-stores head, which frees slots for the producers.
 *  Sequences are 32-bit: every position that can be in flight lies within
 *  capacity (<= 2^30) of head, so a stale sequence one or more laps old
 *  never equals the expected one.  Zero-filled slots (sequence 0) are free
 *  for the first lap.
 *
 * Orphans.  The claim record of producer slot p is one 64-bit word:
 *	bits 63..32  (u32) first position claimed
 *	bits 31..16  count (0: idle; claims are clamped to 65535)
 *	bits 15..0   the producer's tag: its attach generation
 * A producer stores it (relaxed) before its CAS; the CAS (release) makes it
 * visible to whoever acquire-loads tail past those positions.  A producer
 * claims again only after publishing its whole claim, so while position h
 * is claimed and unpublished, the record of h's claimant still covers h.
 * Other records may cover h too (a producer whose CAS for h lost, or one
 * that died before its CAS): they never claimed h.
 * The consumer, stuck at h with tail > h, calls h orphaned if no record
 * that covers h belongs to a live writer - a writer is dead when its claim
 * is not held, or the slot's current generation gen[p] (bumped by every
 * attach to the slot) differs from the record's tag.  The claimant is one
 * of the covering writers, so a dead verdict for all of them means h will
 * never be published.  (No covering record at all means no producer claimed
 * h: a hole left by a scribbled tail or head; skipping it lets the queue
 * recover.)  Before skipping, the consumer looks at h's header once more: a
 * writer may have published just before dying.  A live-looking covering
 * writer, a scribbled record, a failed liveness check: all only make the
 * consumer wait longer.
 * Record lifetime.  A record is non-zero only while its producer is
 * between storing it and its CAS (a candidate), or holds an unpublished
 * claim: the producer clears it (release, after the last header's release)
 * once the whole claim is published, and when a candidate's CAS is given
 * up.  So a live producer's record never lingers over positions it
 * published long ago.
 * Widths.  Positions are 64-bit; the record keeps the low 32 bits of the
 * start.  A claim in flight lies in [head, tail), within capacity (<= 2^30)
 * of the position h the consumer asks about, so the 32-bit difference is
 * exact.  Only a candidate can be older (its producer descheduled between
 * reading tail and its CAS); if it aliases h, the consumer waits until that
 * live producer runs again (its CAS then fails and the record is rewritten
 * or cleared): a wait on a live producer, as for any claim of a live one,
 * never a permanent stall.
 * Handover.  A producer attaching to a slot bumps gen[p] first (release),
 * then clears the slot's record: a dead predecessor's record no longer
 * protects anything (its writer is dead either way), and its unpublished
 * positions - covered by no record, or by one of a dead tag - are skipped
 * as orphans.  The new producer never waits for its predecessor's claims.
 */
#ifndef _BYTEOR_EVENTS_PVT_H
#define _BYTEOR_EVENTS_PVT_H

#include <byteor/events.h>
#include <byteor/crashpoint.h>
#include "single_ring_pvt.h"

/*
 * How long the consumer waits at a claimed, unpublished slot before it
 * looks for an orphan, and how often it looks again.
 */
#define __BYTEOR_ORPHAN_GRACE_NS	1000000LL
/* Empty or stuck polls between two looks at the tail (cheap filter). */
#define __BYTEOR_STUCK_POLLS		256U

/*
 * struct __byteor_mpsc_ctl - an MPSC queue's control block.
 * @prod: pos = tail (positions claimed; CAS by producers), attaches/parks
 *        (atomic adds by producers) (0)
 * @cons: pos = head (consumer only), skipped (128)
 * @data: consumers park here when empty (256)
 * @room: producers park here when full (320)
 * @gen:  per producer slot: generation, bumped by each attach (384)
 * @rec:  claim records; producer slot p's is rec[(p % 8) * 8 + p / 8], so
 *        the first eight producers each write a cache line of their own (512)
 */
struct __byteor_mpsc_ctl {
	struct __byteor_side prod;
	__u8 pad0[64];
	struct __byteor_side cons;
	__u8 pad1[64];
	struct __byteor_ec data;
	struct __byteor_ec room;
	_Atomic __u16 gen[BYTEOR_MAX_PRODUCERS];
	_Atomic __u64 rec[BYTEOR_MAX_PRODUCERS];
};

_Static_assert(offsetof(struct __byteor_mpsc_ctl, cons) == 128, "mpsc cons");
_Static_assert(offsetof(struct __byteor_mpsc_ctl, data) == 256, "mpsc data");
_Static_assert(offsetof(struct __byteor_mpsc_ctl, room) == 320, "mpsc room");
_Static_assert(offsetof(struct __byteor_mpsc_ctl, gen) == 384, "mpsc gen");
_Static_assert(offsetof(struct __byteor_mpsc_ctl, rec) == 512, "mpsc rec");
_Static_assert(sizeof(struct __byteor_mpsc_ctl) == BYTEOR_CONTROL_STRIDE,
	       "mpsc control block fills its stride");

#define __BYTEOR_REC_COUNT_MAX	0xffffU

static inline unsigned int __byteor_rec_index(unsigned int p)
{
	return (p % 8) * 8 + p / 8;
}

static inline __u64 __byteor_rec_pack(__u64 start, unsigned int count,
				      __u16 tag)
{
	return ((__u64)(__u32)start << 32) | ((__u64)count << 16) | tag;
}

static inline __u32 __byteor_rec_start(__u64 rec)
{
	return (__u32)(rec >> 32);
}

static inline unsigned int __byteor_rec_count(__u64 rec)
{
	return (unsigned int)(rec >> 16) & 0xffff;
}

static inline __u16 __byteor_rec_tag(__u64 rec)
{
	return (__u16)rec;
}

/* Does @rec cover position @h?  (32-bit wrap-around arithmetic.) */
static inline bool __byteor_rec_covers(__u64 rec, __u64 h)
{
	return (__u32)((__u32)h - __byteor_rec_start(rec)) <
	       __byteor_rec_count(rec);
}

/* The MPSC slot header: sequence (high half) and length (low half). */
static inline __u64 __byteor_mpsc_hdr(__u64 pos, __u32 len)
{
	return ((__u64)(__u32)(pos + 1) << 32) | len;
}

/*
 * struct __byteor_mpsc - one end's private view of an MPSC queue.
 * @p:          producer: its producer slot
 * @tag:        producer: its generation (the record tag)
 * @first:      producer: first position of the outstanding claim
 * @claimed:    producer: claimed and not yet published
 * @head:       producer: cached consumer head
 * @pos:        consumer: head (authoritative)
 * @ready:      consumer: slots from pos known published (a peek's count)
 * @stuck_pos, @stuck_polls, @stuck_ns: consumer: how long pos has been
 *              claimed and unpublished
 * @skipped:    consumer: orphans skipped through this handle
 */
struct __byteor_mpsc {
	struct __byteor_mpsc_ctl *ctl;
	unsigned char *ring;
	__u64 mask;
	__u64 cap;
	__u32 stride;
	__u32 slot_size;
	unsigned int p;
	__u16 tag;
	__u64 first;
	__u64 claimed;
	__u64 head;
	__u64 pos;
	__u64 ready;
	__u64 stuck_pos;
	unsigned int stuck_polls;
	long long stuck_ns;
	__u64 skipped;
};

static inline _Atomic __u64 *__byteor_mpsc_hdrp(const struct __byteor_mpsc *q,
					       __u64 pos)
{
	return (_Atomic __u64 *)(q->ring + (pos & q->mask) * q->stride);
}

/*
 * __byteor_mpsc_positions() - a consistent (tail, head) pair.  Tail is read
 * before and after head and must not have moved: the first read bounds it
 * from above (the CAS that wrote it had acquired a head <= the one we read
 * next, so tail - head <= capacity), the second from below (head <= tail at
 * any instant).  Reading only one side of head can see tail more than a
 * ring ahead (head then tail) or behind head (tail then head).
 * Return: 0, or -EAGAIN if tail kept moving (other producers progressed).
 */
static inline int __byteor_mpsc_positions(struct __byteor_mpsc_ctl *c,
					  __u64 *t, __u64 *h)
{
	unsigned int i;
	__u64 t1, t2;

	/*
	 * Acquire (all three): pair with the claiming CASes (tail) and the
	 * consumer's release of head; they also keep the three reads in
	 * program order.
	 */
	t1 = atomic_load_explicit(&c->prod.pos, memory_order_acquire);
	for (i = 0; i < 64; i++) {
		*h = atomic_load_explicit(&c->cons.pos, memory_order_acquire);
		t2 = atomic_load_explicit(&c->prod.pos, memory_order_acquire);
		if (t1 == t2) {
			*t = t2;
			return 0;
		}
		t1 = t2;
	}
	return -EAGAIN;
}

/* Claim up to @n positions: see byteor_events_claim().  Never waits. */
static inline int __byteor_mpsc_claim(struct __byteor_mpsc *q,
				      struct byteor_slot *s, unsigned int n)
{
	_Atomic __u64 *rec = &q->ctl->rec[__byteor_rec_index(q->p)];
	__u64 t, used, room;
	bool fresh = false;
	unsigned int k, i;
	int ret;

	if (__BYTEOR_UNLIKELY(q->claimed))
		return -EBUSY;
	if (__BYTEOR_UNLIKELY(!n))
		return 0;
	if (n > __BYTEOR_REC_COUNT_MAX)
		n = __BYTEOR_REC_COUNT_MAX;
	t = atomic_load_explicit(&q->ctl->prod.pos, memory_order_relaxed);
	for (;;) {
		/*
		 * With a stale head cache (or a tail fresher than it, after
		 * a failed CAS) used can exceed the capacity: refresh both.
		 */
		used = t - q->head;
		if (used > q->cap || used + n > q->cap) {
			if (!fresh) {
				ret = __byteor_mpsc_positions(q->ctl, &t, &q->head);
				fresh = true;
				if (!ret) {
					/*
					 * Tail behind head never happens
					 * unless scribbled: move it up to
					 * head (a failed CAS just retries).
					 */
					if ((__s64)(t - q->head) < 0 &&
					    atomic_compare_exchange_strong_explicit(
						    &q->ctl->prod.pos, &t, q->head,
						    memory_order_acq_rel,
						    memory_order_relaxed))
						t = q->head;
					continue;
				}
				used = q->cap;	/* tail too busy: as if full */
			}
			if (used >= q->cap) {
				/* The record may hold a failed candidate. */
				atomic_store_explicit(rec, 0, memory_order_release);
				return used > q->cap ? -EBADMSG : -EAGAIN;
			}
		}
		room = q->cap - used;
		k = __byteor_min_u(n, room);
		/*
		 * Record first, then claim: the CAS's release publishes the
		 * record to a consumer that acquires tail beyond t.  The
		 * record's own release pairs with the consumer's acquire
		 * load in the orphan check: a consumer that sees this record
		 * (no longer covering our previous claim) also sees that
		 * claim's headers, published before.
		 */
		atomic_store_explicit(rec, __byteor_rec_pack(t, k, q->tag),
				      memory_order_release);
		BYTEOR_CRASHPOINT("mpsc.tx.after_record");
		/*
		 * Acquire on success too: whatever the producer that wrote
		 * the tail we replace did before its CAS is ordered before
		 * our writes into the slots (TSan-visible hand-over).
		 */
		if (atomic_compare_exchange_weak_explicit(&q->ctl->prod.pos, &t,
							  t + k,
							  memory_order_acq_rel,
							  memory_order_relaxed))
			break;
		fresh = false;
	}
	BYTEOR_CRASHPOINT("mpsc.tx.after_cas");
	q->first = t;
	q->claimed = k;
	for (i = 0; i < k; i++) {
		s[i].data = (unsigned char *)__byteor_mpsc_hdrp(q, t + i) +
			    BYTEOR_SLOT_HEADER;
		s[i].len = q->slot_size;
		s[i].reserved = 0;
	}
	return (int)k;
}

/* Publish the first @n claimed positions: see byteor_events_publish(). */
static inline int __byteor_mpsc_publish(struct __byteor_mpsc *q,
					const struct byteor_slot *s,
					unsigned int n)
{
	unsigned int i;

	if (__BYTEOR_UNLIKELY(n > q->claimed))
		return -EINVAL;
	if (s)
		for (i = 0; i < n; i++)
			if (__BYTEOR_UNLIKELY(s[i].len > q->slot_size))
				return -EINVAL;
	BYTEOR_CRASHPOINT("mpsc.tx.before_publish");
	for (i = 0; i < n; i++) {
		/*
		 * Release: pairs with the consumer's acquire load of this
		 * header in __byteor_mpsc_peek(): the payload is written.
		 */
		atomic_store_explicit(__byteor_mpsc_hdrp(q, q->first + i),
				      __byteor_mpsc_hdr(q->first + i,
							s ? s[i].len : q->slot_size),
				      memory_order_release);
		if (i + 1 < n)
			BYTEOR_CRASHPOINT("mpsc.tx.mid_publish");
	}
	q->first += n;
	q->claimed -= n;
	if (n && !q->claimed) {
		BYTEOR_CRASHPOINT("mpsc.tx.before_clear");
		/*
		 * The whole claim is published: clear the record, so it
		 * never covers positions again (32-bit start, events_pvt.h).
		 * Release: pairs with the consumer's acquire load of the
		 * record in mpsc_orphaned(): one that sees it cleared sees
		 * our headers too, and its second look at the header finds
		 * the event.
		 */
		atomic_store_explicit(&q->ctl->rec[__byteor_rec_index(q->p)], 0,
				      memory_order_release);
	}
	__byteor_ec_notify(&q->ctl->data);
	return (int)n;
}

/* Look at up to @n published events at head: see byteor_events_peek(). */
static inline int __byteor_mpsc_peek(struct __byteor_mpsc *q,
				     struct byteor_slot *s, unsigned int n)
{
	unsigned int i;

	if (__BYTEOR_UNLIKELY(!n))
		return 0;
	if (n > BYTEOR_BATCH_MAX)
		n = BYTEOR_BATCH_MAX;
	for (i = 0; i < n; i++) {
		_Atomic __u64 *hp = __byteor_mpsc_hdrp(q, q->pos + i);
		/*
		 * Acquire: pairs with the producer's release store of this
		 * header in __byteor_mpsc_publish().  Read once: the length
		 * checked is the length used.
		 */
		__u64 hdr = atomic_load_explicit(hp, memory_order_acquire);
		__u32 len = (__u32)hdr;

		if ((__u32)(hdr >> 32) != (__u32)(q->pos + i + 1))
			break;
		if (__BYTEOR_UNLIKELY(len > q->slot_size)) {
			if (!i) {
				/* Published, so release(1) may drop it. */
				if (!q->ready)
					q->ready = 1;
				return -EBADMSG;
			}
			break;
		}
		s[i].data = (unsigned char *)hp + BYTEOR_SLOT_HEADER;
		s[i].len = len;
		s[i].reserved = 0;
	}
	if (i > q->ready)
		q->ready = i;
	return i ? (int)i : -EAGAIN;
}

/* Move head to @pos (consume or skip): release store, wake producers. */
static inline void __byteor_mpsc_advance(struct __byteor_mpsc *q, __u64 pos)
{
	BYTEOR_CRASHPOINT("mpsc.rx.before_advance");
	q->pos = pos;
	/*
	 * Release: pairs with the producers' acquire load of head in
	 * __byteor_mpsc_claim(): our reads of the slots below are done.
	 */
	atomic_store_explicit(&q->ctl->cons.pos, pos, memory_order_release);
	__byteor_ec_notify(&q->ctl->room);
}

/* Consume @n events: see byteor_events_release(). */
static inline int __byteor_mpsc_release(struct __byteor_mpsc *q, unsigned int n)
{
	if (__BYTEOR_UNLIKELY(n > q->ready))
		return -EINVAL;
	q->ready -= n;
	__byteor_mpsc_advance(q, q->pos + n);
	return (int)n;
}

/*
 * __byteor_mpsc_stuck() - the consumer found head unpublished: has it been
 * claimed and unpublished long enough (and not looked at too recently) to
 * look for an orphan?  Cheap on the common path: a private counter; the
 * shared tail and the clock are read every __BYTEOR_STUCK_POLLS polls.
 */
static inline bool __byteor_mpsc_stuck(struct __byteor_mpsc *q)
{
	__u64 t;
	long long now;

	if (q->stuck_pos != q->pos) {
		q->stuck_pos = q->pos;
		q->stuck_polls = 0;
		q->stuck_ns = 0;
		return false;
	}
	if (++q->stuck_polls < __BYTEOR_STUCK_POLLS)
		return false;
	q->stuck_polls = 0;
	t = atomic_load_explicit(&q->ctl->prod.pos, memory_order_acquire);
	if (t == q->pos || t - q->pos > q->cap) {
		/* Empty, or a scribbled tail: nothing is in flight. */
		q->stuck_ns = 0;
		__byteor_side_heal(&q->ctl->cons, q->pos);
		/*
		 * Read after our own head, tail is within a ring ahead of it
		 * unless scribbled (head only moves here): reset it to head,
		 * so producers, which fail with -EBADMSG meanwhile, resume.
		 */
		if (t != q->pos)
			atomic_compare_exchange_strong_explicit(&q->ctl->prod.pos,
								&t, q->pos,
								memory_order_acq_rel,
								memory_order_relaxed);
		return false;
	}
	now = __byteor_now_ns();
	if (!q->stuck_ns) {
		q->stuck_ns = now;
		return false;
	}
	if (now - q->stuck_ns < __BYTEOR_ORPHAN_GRACE_NS)
		return false;
	q->stuck_ns = now;	/* look again one grace later */
	return true;
}

#endif /* _BYTEOR_EVENTS_PVT_H */
