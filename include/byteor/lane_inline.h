/* SPDX-License-Identifier: MIT */
/*
 * byteor/lane_inline.h - the SPSC lanes' hot paths, inlined into the
 * caller: claim, publish, peek and release of the single ring and of an
 * events chain's SPSC queues.  Included by byteor/single_ring.h and
 * byteor/events.h; not meant to be included alone.
 *
 * Why inline: a message through an SPSC lane costs a few nanoseconds; a
 * call into the shared library per step (four per message) and the
 * re-checks each entry point must make cost as much again.  So the first
 * member of a single ring or events handle is a struct __byteor_spsc, the
 * end's private view of its lane, and the byteor_*_claim/publish/peek/
 * release functions are static inline: the common case (room or messages
 * known from the cached peer position, or proven by one acquire load) runs
 * here, in the caller's code; everything else - full, empty, waiting,
 * timeouts, a peer's scribbled position, a corrupt length, a wrong role,
 * an MPSC queue - falls through to the library's out-of-line function of
 * the same name with a "__" prefix, which does the whole job as before.
 *
 * Like liburing's struct io_uring, struct __byteor_spsc is therefore part
 * of libbyteor's ABI (a change of its layout changes the SONAME), but not
 * of its API: its fields are the library's, for these functions only.
 * Memory model: ulib/src/single_ring_pvt.h (top).  Plain __atomic builtins
 * on plain types, so that C++ can include this header too.
 */
#ifndef _BYTEOR_LANE_INLINE_H
#define _BYTEOR_LANE_INLINE_H

#include <errno.h>
#include <stddef.h>
#include <byteor/common.h>
#include <byteor/crashpoint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The hot paths are inlined whatever the compiler's size heuristics say:
 * at -O2 GCC made local out-of-line clones of claim and peek (a call, a
 * return and the slot descriptor through memory per message: 65 of the
 * ring's 137 instructions per message, docs/bench-ipm-gap.md).
 */
#define __BYTEOR_HOT	static inline __attribute__((__always_inline__))

#ifndef BYTEOR_SLOT_DEFINED
#define BYTEOR_SLOT_DEFINED
/*
 * struct byteor_slot - one slot of a claim or a peek (single ring, events).
 * @data: the payload, slot_size bytes, in the shared mapping
 * @len:  claim: slot_size; set it to the bytes to publish before publishing.
 *        peek: the published length (<= slot_size, checked)
 */
struct byteor_slot {
	void *data;
	__u32 len;
	__u32 reserved;
};
#endif

/*
 * struct byteor_span - slots of a claim or a peek that follow each other
 * in memory (single ring): slot i's payload is at data + i * stride, for
 * i < count.  Cheaper than descriptors for a batch: nothing is written per
 * slot.  Read it with byteor_span_at() and byteor_span_len().
 * @data:      payload of the first slot
 * @stride:    bytes from one slot's payload to the next one's
 * @count:     slots
 * @slot_size: payload bytes of a slot
 * @hdr:       slot header bytes (8, or 0 in a fixed-size ring)
 */
struct byteor_span {
	unsigned char *data;
	__u32 stride;
	__u32 count;
	__u32 slot_size;
	__u32 hdr;
};

/* Payload of slot @i of span @sp (@i < sp->count). */
__BYTEOR_HOT void *byteor_span_at(const struct byteor_span *sp,
				  unsigned int i)
{
	return sp->data + (size_t)i * sp->stride;
}

/*
 * Published length of slot @i of a peeked span: its header, read once and
 * clamped to slot_size (the peek checked it; a peer rewriting it since
 * cannot make it an overrun); slot_size in a fixed-size ring.
 */
__BYTEOR_HOT __u32 byteor_span_len(const struct byteor_span *sp,
				   unsigned int i)
{
	__u32 len;

	if (!sp->hdr)
		return sp->slot_size;
	len = __atomic_load_n((__u32 *)(sp->data + (size_t)i * sp->stride -
					sp->hdr), __ATOMIC_RELAXED);
	return len < sp->slot_size ? len : sp->slot_size;
}

/* The longest single claim / peek (larger requests are clamped). */
#ifndef BYTEOR_BATCH_MAX
#define BYTEOR_BATCH_MAX	65535U
#endif

#define __BYTEOR_LIKELY(x)	__builtin_expect(!!(x), 1)
#define __BYTEOR_UNLIKELY(x)	__builtin_expect(!!(x), 0)

/* struct __byteor_spsc.fast: which inline paths this end may take. */
#define __BYTEOR_FAST_TX	1U	/* an SPSC producer: claim, publish */
#define __BYTEOR_FAST_RX	2U	/* an SPSC consumer: peek, release */
#define __BYTEOR_FAST_NOWAIT	4U	/* attached with timeout_ns 0: full /
					 * empty is -EAGAIN, inline too */

struct __byteor_spsc_ctl;		/* the shared control block (private) */

/*
 * struct __byteor_spsc - one end's private view of an SPSC lane.  Lives in
 * process memory; nothing here is trusted from, or visible to, the peer.
 * @ctl:       the control block (shared)
 * @ring:      slot 0 (shared)
 * @mine:      this end's position in the control block (shared)
 * @theirs:    the peer's position in the control block (shared)
 * @wake:      the waiter count of the eventcount this end notifies after
 *             publishing / releasing (shared)
 * @mask:      capacity - 1, from the private geometry
 * @cap:       capacity
 * @stride:    @hdr + slot_size
 * @slot_size: payload bytes per slot
 * @hdr:       slot header bytes: 8 (a u32 length, then the u32 lap tag,
 *             see __byteor_spsc_tag()), or 0 for a fixed-size ring
 *             (BYTEOR_GEOM_F_FIXED: every message is slot_size bytes)
 * @shift:     log2(capacity)
 * @pos:       this end's own position (authoritative)
 * @peer:      cached copy of the other end's position (last value read)
 * @claimed:   producer: slots claimed and not yet published; consumer:
 *             single-slot peeks that found no tag (every
 *             __BYTEOR_TAG_MISSES-th reads the producer's position)
 * @fast:      __BYTEOR_FAST_* (0: observer, MPSC queue, not attached)
 */
struct __byteor_spsc {
	struct __byteor_spsc_ctl *ctl;
	unsigned char *ring;
	__u64 *mine;
	const __u64 *theirs;
	__u32 *wake;
	__u64 mask;
	__u64 cap;
	__u32 stride;
	__u32 slot_size;
	__u64 pos;
	__u64 peer;
	__u64 claimed;
	__u32 fast;
	__u32 hdr;
	__u32 shift;
	__u32 pad;
};

/*
 * __byteor_full_fence() - a full memory barrier (store->load included).
 * ThreadSanitizer does not support atomic_thread_fence() (GCC rejects it
 * with -Werror=tsan); it cannot see the other process anyway, so under
 * TSAN the same instruction is emitted by hand.
 */
__BYTEOR_HOT void __byteor_full_fence(void)
{
#if defined(__SANITIZE_THREAD__) && defined(__x86_64__)
	__asm__ __volatile__("mfence" ::: "memory");
#elif defined(__SANITIZE_THREAD__) && defined(__aarch64__)
	__asm__ __volatile__("dmb ish" ::: "memory");
#else
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
#endif
}

/* A spin-wait hint to the CPU. */
__BYTEOR_HOT void __byteor_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

/*
 * The notifier's fence mode, per process (ulib/src/wait.c): 0 the waiters
 * issue membarrier(2) for us, 1 a full fence per notify.
 */
BYTEOR_API extern int __byteor_notify_full_fence;

/* The slow half of a notify (somebody parked): wake the waiters. */
BYTEOR_API void __byteor_notify_wake(__u32 *waiters);

/*
 * __byteor_notify() - tell parked waiters that something was published
 * (after the release store that published it).  Nobody parked: two loads,
 * no system call, no locked instruction.  The ordering argument is in
 * ulib/src/wait_pvt.h, __byteor_ec_notify(), which this is.
 */
__BYTEOR_HOT void __byteor_notify(__u32 *waiters)
{
	if (__BYTEOR_UNLIKELY(__atomic_load_n(&__byteor_notify_full_fence,
					      __ATOMIC_RELAXED)))
		__byteor_full_fence();
	else
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
	if (__BYTEOR_UNLIKELY(__atomic_load_n(waiters, __ATOMIC_RELAXED)))
		__byteor_notify_wake(waiters);
}

/* Slot header of slot @pos: the SPSC header is the payload length (u32). */
__BYTEOR_HOT unsigned char *__byteor_spsc_slot(const struct __byteor_spsc *q,
					       __u64 pos)
{
	return q->ring + (pos & q->mask) * q->stride;
}

/*
 * In-slot publication.  Besides its position, the producer writes each
 * published slot's lap tag - the low 31 bits of (position >>
 * log2(capacity)) with bit 31 set, never 0, so a zero-filled ring or a
 * producer that writes no tags has none on any lap - into the second word
 * of the slot header, with a release store after the payload and the
 * length.  Consecutive laps always differ (a slot holds the previous
 * lap's tag until it is written again).  Until 0.2 the tag was lap + 1,
 * which is 0 on every 2^32nd lap: the shared meaning changed in 0.3.  A consumer that
 * finds the tag it expects at its next slot may read that slot without
 * looking at the producer's position: the message costs it one cache-line
 * transfer (the slot's) instead of two (position, then slot), which is
 * most of the gap between an index ring's round trip and the cache-line
 * floor.  A slot is published once its tag is stored; the position, stored
 * after the tags, proves whole batches and is what room, observers and a
 * producer that writes no tags go by.  The out-of-line peeks (waiting)
 * read tags too, and a consumer attaching keeps a position ahead of the
 * producer's stored one (docs/design.md, "SPSC recovery").  A
 * scribbled tag can make a slot look published early: its length is still
 * checked, so the worst case is garbage, never an overrun.
 */
__BYTEOR_HOT __u32 *__byteor_spsc_tag_word(const struct __byteor_spsc *q,
					   __u64 pos)
{
	return (__u32 *)(__byteor_spsc_slot(q, pos) + 4);
}

__BYTEOR_HOT __u32 __byteor_spsc_tag(const struct __byteor_spsc *q,
				     __u64 pos)
{
	/* Bit 31: never 0, and no extra instruction over the old "+ 1". */
	return (__u32)(pos >> q->shift) | 0x80000000U;
}

/* Is slot @pos published, by its tag?  (Rings with headers only.) */
__BYTEOR_HOT int __byteor_spsc_tagged(const struct __byteor_spsc *q,
				      __u64 pos)
{
	/* Acquire: pairs with the producer's release store of the tag. */
	return __atomic_load_n(__byteor_spsc_tag_word(q, pos),
			       __ATOMIC_ACQUIRE) == __byteor_spsc_tag(q, pos);
}

/*
 * Hand out @k slots from q->pos on as a claim (room is proven).  Each
 * slot's header gets slot_size now, while the line is being touched
 * anyway, so a publish of full slots (s == NULL) stores nothing per slot.
 * The consumer cannot look before the publish's release store.
 */
__BYTEOR_HOT unsigned int __byteor_spsc_fill(struct __byteor_spsc *q,
					     struct byteor_slot *s,
					     unsigned int k)
{
	/*
	 * Locals: the stores into s[] could alias q's fields as far as the
	 * compiler knows, which would reload them every slot.
	 */
	unsigned char *const ring = q->ring;
	const __u32 hdr = q->hdr, size = q->slot_size, stride = q->stride;
	unsigned char *const end = ring + q->cap * stride;
	unsigned char *p = __byteor_spsc_slot(q, q->pos);
	unsigned int i;

	q->claimed = k;
	if (k == 1) {		/* the single-op case, without the loop */
		if (hdr)
			__atomic_store_n((__u32 *)p, size, __ATOMIC_RELAXED);
		s->data = p + hdr;
		s->len = size;
		s->reserved = 0;
		return 1;
	}
	for (i = 0; i < k; i++) {
		if (hdr)
			__atomic_store_n((__u32 *)p, size, __ATOMIC_RELAXED);
		s[i].data = p + hdr;
		s[i].len = size;
		s[i].reserved = 0;
		p += stride;
		if (__BYTEOR_UNLIKELY(p == end))
			p = ring;
	}
	return k;
}

/*
 * Describe up to @k published slots from q->pos on (they are proven
 * published).  The length is read once (a peer may rewrite it meanwhile)
 * and a length above slot_size ends the batch before that slot.
 * Return: slots described; 0 if the first one is corrupt.
 */
__BYTEOR_HOT unsigned int __byteor_spsc_read(const struct __byteor_spsc *q,
					     struct byteor_slot *s,
					     unsigned int k)
{
	unsigned char *const ring = q->ring;	/* locals: see _fill() */
	const __u32 hdr = q->hdr, size = q->slot_size, stride = q->stride;
	unsigned char *const end = ring + q->cap * stride;
	unsigned char *p = __byteor_spsc_slot(q, q->pos);
	unsigned int i;

	if (k == 1 && !hdr) {	/* the single-op case of a fixed-size ring */
		s->data = p;
		s->len = size;
		s->reserved = 0;
		return 1;
	}
	for (i = 0; i < k; i++) {
		__u32 len = size;

		if (hdr) {
			len = __atomic_load_n((__u32 *)p, __ATOMIC_RELAXED);
			if (__BYTEOR_UNLIKELY(len > size))
				break;
		}
		s[i].data = p + hdr;
		s[i].len = len;
		s[i].reserved = 0;
		p += stride;
		if (__BYTEOR_UNLIKELY(p == end))
			p = ring;
	}
	return i;
}

/*
 * __byteor_spsc_idle() - what an inline claim (peek) returns when the ring
 * is full (empty): -EAGAIN for a non-blocking handle whose own shared
 * position is intact (the out-of-line path would heal it), else 0: take
 * the out-of-line path, which waits or heals.  Saves a polling loop the
 * call.
 */
__BYTEOR_HOT int __byteor_spsc_idle(const struct __byteor_spsc *q)
{
	if ((q->fast & __BYTEOR_FAST_NOWAIT) &&
	    __BYTEOR_LIKELY(__atomic_load_n(q->mine, __ATOMIC_RELAXED) == q->pos))
		return -EAGAIN;
	return 0;
}

/*
 * __byteor_spsc_try_room() - how many of @n slots the inline claim may
 * take: at least one free by the cached consumer position or by one fresh
 * acquire load of it that is sane (at most a ring behind).
 * Return: slots (1..@n), -EAGAIN (full, non-blocking handle), or 0: take
 * the out-of-line path.
 */
__BYTEOR_HOT int __byteor_spsc_try_room(struct __byteor_spsc *q,
					unsigned int n)
{
	__u64 room, t;

	if (__BYTEOR_UNLIKELY(!(q->fast & __BYTEOR_FAST_TX) || q->claimed ||
			      n - 1 >= BYTEOR_BATCH_MAX))
		return 0;
	room = q->cap - (q->pos - q->peer);
	if (room < n) {
		/*
		 * Acquire: pairs with the consumer's release of its position;
		 * slots below t are no longer read and may be overwritten.
		 */
		t = __atomic_load_n(q->theirs, __ATOMIC_ACQUIRE);
		if (q->pos - t == q->cap)
			return __byteor_spsc_idle(q);	/* full */
		if (__BYTEOR_UNLIKELY(q->pos - t > q->cap))
			return 0;	/* scribbled: out of line */
		q->peer = t;
		room = q->cap - (q->pos - t);
		if (room < n)
			n = (unsigned int)room;
	}
	return (int)n;
}

/*
 * __byteor_spsc_try_claim() - the inline claim: up to @n slots as
 * descriptors.  Return: as __byteor_spsc_try_room().
 */
__BYTEOR_HOT int __byteor_spsc_try_claim(struct __byteor_spsc *q,
					 struct byteor_slot *s, unsigned int n)
{
	int k = __byteor_spsc_try_room(q, n);

	return k > 0 ? (int)__byteor_spsc_fill(q, s, (unsigned int)k) : k;
}

/* Describe @k adjacent slots from slot address @p on as span @sp. */
__BYTEOR_HOT void __byteor_span_set(struct byteor_span *sp,
				    const struct __byteor_spsc *q,
				    unsigned char *p, unsigned int k)
{
	sp->data = p + q->hdr;
	sp->stride = q->stride;
	sp->count = k;
	sp->slot_size = q->slot_size;
	sp->hdr = q->hdr;
}

/* Slots from q->pos on before the ring wraps, at most @k. */
__BYTEOR_HOT unsigned int __byteor_spsc_contig(const struct __byteor_spsc *q,
					       unsigned int k)
{
	__u64 left = q->cap - (q->pos & q->mask);

	return left < k ? (unsigned int)left : k;
}

/*
 * __byteor_spsc_try_claim_span() - the inline span claim: up to @n free
 * slots that follow each other in memory (a claim stops at the ring's
 * end), described by one struct byteor_span.  Headers get slot_size, as
 * in a descriptor claim.  Return: as __byteor_spsc_try_room().
 */
__BYTEOR_HOT int __byteor_spsc_try_claim_span(struct __byteor_spsc *q,
					      struct byteor_span *sp,
					      unsigned int n)
{
	int k = __byteor_spsc_try_room(q, n);
	unsigned char *p;
	unsigned int i;

	if (k <= 0)
		return k;
	k = (int)__byteor_spsc_contig(q, (unsigned int)k);
	p = __byteor_spsc_slot(q, q->pos);
	if (q->hdr) {
		/* Locals: the stores could alias q's fields (see _fill()). */
		const __u32 stride = q->stride, size = q->slot_size;
		unsigned char *h = p;

		for (i = 0; i < (unsigned int)k; i++, h += stride)
			__atomic_store_n((__u32 *)h, size, __ATOMIC_RELAXED);
	}
	__byteor_span_set(sp, q, p, (unsigned int)k);
	q->claimed = (__u64)k;
	return k;
}

/*
 * __byteor_spsc_publish() - publish the first @n claimed slots with one
 * release store, then notify.  Any end's publish (inline or not) is this.
 * Return: @n, or -EINVAL (@n above the claim, a len above slot_size).
 */
__BYTEOR_HOT int __byteor_spsc_publish(struct __byteor_spsc *q,
				       const struct byteor_slot *s,
				       unsigned int n)
{
	unsigned int i;

	if (__BYTEOR_UNLIKELY(n > q->claimed))
		return -EINVAL;
	/*
	 * The claim wrote slot_size into each header: only shorter messages
	 * are written again (ordered before the consumer's read by the
	 * release below).  All lengths are checked before any is written;
	 * a fixed-size ring (no header) takes full slots only.
	 */
	if (s) {
		for (i = 0; i < n; i++)
			if (__BYTEOR_UNLIKELY(s[i].len > q->slot_size ||
					      (!q->hdr && s[i].len != q->slot_size)))
				return -EINVAL;
		for (i = 0; i < n; i++)
			if (s[i].len != q->slot_size)
				__atomic_store_n((__u32 *)__byteor_spsc_slot(q, q->pos + i),
						 s[i].len, __ATOMIC_RELAXED);
	}
	/* Killed here: the claim is lost, unseen (docs: SPSC recovery). */
	BYTEOR_CRASHPOINT("spsc.tx.before_tags");
	/*
	 * Release: the payload and the length before the tag (pairs with
	 * the consumer's acquire load in __byteor_spsc_tagged()).
	 */
	if (q->hdr) {
		/*
		 * Locals: the stores could alias q's fields as far as the
		 * compiler knows.  The tag changes only where the ring wraps.
		 */
		const __u32 stride = q->stride;
		unsigned char *const tag0 = q->ring + 4;
		unsigned char *const end = tag0 + q->cap * stride;
		unsigned char *p = (unsigned char *)__byteor_spsc_tag_word(q, q->pos);
		__u32 tag = __byteor_spsc_tag(q, q->pos);

		for (i = 0; i < n; i++) {
			__atomic_store_n((__u32 *)p, tag, __ATOMIC_RELEASE);
			p += stride;
			if (__BYTEOR_UNLIKELY(p == end)) {
				p = tag0;
				tag = __byteor_spsc_tag(q, q->pos + i + 1);
			}
		}
	}
	/*
	 * Killed here: the tagged slots are published (a consumer may read
	 * them, the next producer starts after them), the position is not.
	 */
	BYTEOR_CRASHPOINT("spsc.tx.before_position");
	q->pos += n;
	q->claimed -= n;
	/*
	 * Release: pairs with the consumer's acquire load of our position:
	 * payloads and headers written above are visible before the slots.
	 */
	__atomic_store_n(q->mine, q->pos, __ATOMIC_RELEASE);
	__byteor_notify(q->wake);
	return (int)n;
}

/*
 * A consumer polling one slot at a time reads the producer's position on
 * every this-many-th poll that finds no tag, and only the slot otherwise.
 */
#define __BYTEOR_TAG_MISSES	64U

/*
 * __byteor_spsc_try_avail() - how many of @n slots the inline peek may
 * look at: at least one published by the cached producer position, by
 * their tags (rings with headers), or by one fresh acquire load of the
 * producer's position that is sane (at most a ring ahead).
 * Return: slots (1..@n), -EAGAIN (empty, non-blocking handle), or 0: take
 * the out-of-line path.
 */
__BYTEOR_HOT int __byteor_spsc_try_avail(struct __byteor_spsc *q,
					 unsigned int n)
{
	__u64 avail, h;

	if (__BYTEOR_UNLIKELY(!(q->fast & __BYTEOR_FAST_RX) ||
			      n - 1 >= BYTEOR_BATCH_MAX))
		return 0;
	avail = q->peer - q->pos;
	if (avail >= n)
		return (int)n;
	/*
	 * One slot wanted (latency): its tag first, the slot's own line.
	 * A producer that writes tags stores each slot's tag before the
	 * position that covers it, so no tag means "not yet": a consumer
	 * that keeps up then polls the one line the producer is writing,
	 * not its position's line too (every poll of that line takes it
	 * from the producer, who then waits for it back: make
	 * bench-regime).  The position is still read on every
	 * __BYTEOR_TAG_MISSES-th miss, for a producer that writes no tags
	 * (libbyteor 0.2) and for a ring whose tags a resync withdrew.
	 * A batch: the position first - it proves a whole published batch
	 * at once, where tags would hand out a publish still in progress
	 * slot by slot - and tags only if the position shows nothing.
	 */
	if (n == 1 && q->hdr) {
		if (__byteor_spsc_tagged(q, q->pos)) {
			q->peer = q->pos + 1;
			return 1;
		}
		if (++q->claimed % __BYTEOR_TAG_MISSES)
			return __byteor_spsc_idle(q);
	}
	/*
	 * Acquire: pairs with the producer's release of its position: the
	 * slots below h are fully written.
	 */
	h = __atomic_load_n(q->theirs, __ATOMIC_ACQUIRE);
	avail = h - q->pos;
	if ((__s64)avail < 0 && -avail <= q->cap)
		avail = 0;	/* tags ran ahead of the position */
	else if (__BYTEOR_UNLIKELY(avail > q->cap))
		return 0;	/* scribbled: out of line */
	if (avail < q->peer - q->pos)
		avail = q->peer - q->pos;	/* never back: tags proved it */
	if (!avail && q->hdr && n > 1)
		while (avail < n && __byteor_spsc_tagged(q, q->pos + avail))
			avail++;
	if (!avail)
		return __byteor_spsc_idle(q);	/* empty */
	q->peer = q->pos + avail;
	if (avail < n)
		n = (unsigned int)avail;
	return (int)n;
}

/*
 * __byteor_spsc_try_peek() - the inline peek: up to @n published slots as
 * descriptors, the first one's length sane.  Return: as
 * __byteor_spsc_try_avail().
 */
__BYTEOR_HOT int __byteor_spsc_try_peek(struct __byteor_spsc *q,
					struct byteor_slot *s, unsigned int n)
{
	int k = __byteor_spsc_try_avail(q, n);

	return k > 0 ? (int)__byteor_spsc_read(q, s, (unsigned int)k) : k;
}

/*
 * __byteor_spsc_try_peek_span() - the inline span peek: up to @n published
 * slots that follow each other in memory, every length checked (the span
 * ends before a corrupt one; a corrupt first one goes out of line, which
 * says -EBADMSG).  Return: as __byteor_spsc_try_avail().
 */
__BYTEOR_HOT int __byteor_spsc_try_peek_span(struct __byteor_spsc *q,
					     struct byteor_span *sp,
					     unsigned int n)
{
	int k = __byteor_spsc_try_avail(q, n);
	unsigned char *p;
	unsigned int i;

	if (k <= 0)
		return k;
	k = (int)__byteor_spsc_contig(q, (unsigned int)k);
	p = __byteor_spsc_slot(q, q->pos);
	if (q->hdr) {
		const __u32 stride = q->stride, size = q->slot_size;
		const unsigned char *h = p;

		for (i = 0; i < (unsigned int)k; i++, h += stride)
			if (__BYTEOR_UNLIKELY(__atomic_load_n((const __u32 *)h,
							      __ATOMIC_RELAXED) > size)) {
				k = (int)i;
				break;
			}
	}
	__byteor_span_set(sp, q, p, (unsigned int)k);
	return k;
}

/*
 * __byteor_spsc_release() - give @n slots back with one release store,
 * then notify.  Any end's release (inline or not) is this.
 * Return: @n, or -EINVAL (more than known published).
 */
__BYTEOR_HOT int __byteor_spsc_release(struct __byteor_spsc *q,
				       unsigned int n)
{
	if (__BYTEOR_UNLIKELY(n > q->peer - q->pos))
		return -EINVAL;
	/* Killed here: read, not released - the next consumer reads again. */
	BYTEOR_CRASHPOINT("spsc.rx.before_release");
	q->pos += n;
	/*
	 * Release: pairs with the producer's acquire load of our position:
	 * our reads of these slots are done before it may overwrite them.
	 */
	__atomic_store_n(q->mine, q->pos, __ATOMIC_RELEASE);
	__byteor_notify(q->wake);
	return (int)n;
}

#ifdef __cplusplus
}
#endif

#endif /* _BYTEOR_LANE_INLINE_H */
