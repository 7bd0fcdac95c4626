/* SPDX-License-Identifier: MIT */
/*
 * byteor/single_ring.h - the single ring: one producer process, one consumer
 * process, a ring of fixed-size slots in a BYTEOR_KIND_SINGLE_RING region.
 *
 * Each slot is an 8-byte slot header (the payload length) and slot_size
 * payload bytes; in a fixed-size ring (geometry flag BYTEOR_GEOM_F_FIXED)
 * every message is slot_size bytes and a slot is the payload alone, so a
 * 64-byte message takes one cache line and nothing is read or written
 * per message but the payload.  The producer claims slots, writes payloads in place and
 * publishes them with one release store; the consumer peeks at published
 * slots in place and releases them.  Both positions are free-running 64-bit
 * counters on cache lines of their own; each side keeps a private copy of
 * the other's position and reads the shared one only when its copy says
 * "full" (producer) or "empty" (consumer), so a steady stream costs one
 * cache-line transfer per batch and no system call.
 *
 * Roles: byteor_attach_single_ring() takes the role as an argument
 * (BYTEOR_ROLE_PRODUCER, BYTEOR_ROLE_CONSUMER or BYTEOR_ROLE_OBSERVER); each
 * of the two ends is an exclusive claim (-EBUSY if taken), released when the
 * handle is detached or the process dies.  An observer (role OBSERVER, or
 * BYTEOR_ATTACH_OBSERVER in the options' flags) maps the region read-only
 * and can only take snapshots.
 *
 * Blocking: byteor_single_ring_claim/peek/send/recv wait as the attach
 * options' timeout_ns says (0, the default: never wait, -EAGAIN; < 0: wait
 * forever; > 0: wait at most that long, then -ETIMEDOUT).  The *_timed
 * variants take the timeout as an argument.  Waiting spins, yields, then
 * parks on an eventcount (see byteor/wait.h); a producer facing a full ring
 * waits the same way and the consumer wakes it only if it parked.
 *
 * Dead peers: a blocking call whose peer end was there during this
 * handle's life (attached when this handle attached, or since) and is now
 * gone - detached, exited or killed - returns -EPIPE; the consumer only
 * once it has drained every published slot.  A peer that left before this
 * handle attached does not count: a restarted consumer waits for the next
 * producer.  A new peer may attach and carry on where the dead one
 * stopped.  Liveness is checked between park slices (20 ms, doubling up to
 * 160 ms while a wait goes on), so -EPIPE
 * comes within about that long.  Non-blocking calls return -EAGAIN;
 * byteor_single_ring_peer_alive() tells.
 *
 * Killed roles (docs/design.md, "SPSC recovery"): a message is
 * published when its slot's lap tag is stored (byteor/lane_inline.h); the
 * producer's position follows, and the consumer may run ahead of it by
 * tags.  A producer killed before its tag stores loses the slots it had
 * claimed (never seen); one killed after them, before its position store,
 * loses nothing: the consumer reads them by their tags, blocking calls
 * included, and the next producer starts after them.  A consumer killed
 * before its release store loses nothing: the next one reads those slots
 * again (they were never released).  A consumer attaching keeps its
 * predecessor's position, also when it is ahead of the producer's stored
 * position by at most a ring, so nothing released is delivered twice.
 *
 * Cost: claim, publish, peek and release are static inline
 * (byteor/lane_inline.h): with room or messages at hand they run in the
 * caller's code - a few loads and stores, one release store per publish
 * or release - and call into the library only to wait or when something is
 * wrong.
 *
 * Trust: everything read from shared memory is checked against the
 * geometry the library holds privately.  A peer's position more than a
 * ring's capacity away from ours is -EBADMSG (nothing is read), a slot
 * length above slot_size is -EBADMSG for that slot, never an overrun.
 * Recovery: each side re-asserts its own position when it finds the shared
 * state inconsistent, and the producer then resynchronises to the
 * consumer's position (messages in flight at that moment are lost), so the
 * ring carries messages again as soon as the scribbling stops.
 *
 * Usage sketch:
 *
 *	struct byteor_attach_options o = { .name = "md.eurusd",
 *					   .timeout_ns = -1 };
 *	struct byteor_single_ring *tx;
 *	struct byteor_slot s[16];
 *	int n;
 *
 *	byteor_attach_single_ring(&o, BYTEOR_ROLE_PRODUCER, &tx);
 *	n = byteor_single_ring_claim(tx, s, 16);	// 1..16 slots
 *	for (i = 0; i < n; i++)
 *		s[i].len = fill(s[i].data);
 *	byteor_single_ring_publish(tx, s, n);
 *	...
 *	byteor_single_ring_send(tx, &quote, sizeof(quote));	// copying
 *	byteor_single_ring_detach(tx);
 *
 *	consumer: n = byteor_single_ring_peek(rx, s, 16); use s[0..n);
 *		  byteor_single_ring_release(rx, n);
 *	batches as spans (no descriptor per slot):
 *		  n = byteor_single_ring_peek_span(rx, &sp, 32);
 *		  use byteor_span_at(&sp, i), byteor_span_len(&sp, i), i < n;
 *		  byteor_single_ring_release(rx, n);
 *	      or: len = byteor_single_ring_recv(rx, buf, sizeof(buf));
 */
#ifndef _BYTEOR_SINGLE_RING_H
#define _BYTEOR_SINGLE_RING_H

#include <stddef.h>
#include <byteor/common.h>
#include <byteor/wait.h>
#include <byteor/lane_inline.h>

#ifdef __cplusplus
extern "C" {
#endif

/* byteor_single_ring_snapshot.flags */
#define BYTEOR_SNAP_F_CORRUPT	(1U << 0) /* positions inconsistent: a peer scribbled */

struct byteor_single_ring;

/*
 * struct byteor_single_ring_snapshot - what a ring looks like right now
 * (read without locks: fields may be from slightly different instants).
 * @producer_pos:      slots published since the region was created
 * @consumer_pos:      slots released
 * @occupancy:         producer_pos - consumer_pos (0 if inconsistent)
 * @capacity:          slots in the ring (private geometry)
 * @slot_size:         payload bytes per slot
 * @consumer_waiters:  consumers parked (or about to park) for data
 * @producer_waiters:  producers parked for room
 * @producer_alive:    1 the producer claim is held by a live process, 0 not,
 *                     < 0 the -errno of the check
 * @consumer_alive:    same for the consumer
 * @producer_pid:      pid recorded in the header's claim mirror (display only)
 * @consumer_pid:      same
 * @producer_attaches: producer attaches since the region was created
 * @consumer_attaches: consumer attaches
 * @producer_parks:    times a producer parked (full ring)
 * @consumer_parks:    times a consumer parked (empty ring)
 * @producer_park_path: enum byteor_park_path the producer parks through
 *                     (0 until it first waits)
 * @consumer_park_path: same for the consumer
 * @flags:             BYTEOR_SNAP_F_*
 * @park_path:         the park path of this process (probe or this handle)
 * @wait:              this handle's own wait counters (zero for observers)
 */
struct byteor_single_ring_snapshot {
	__u64 producer_pos;
	__u64 consumer_pos;
	__u64 occupancy;
	__u32 capacity;
	__u32 slot_size;
	__u32 consumer_waiters;
	__u32 producer_waiters;
	__s32 producer_alive;
	__s32 consumer_alive;
	__u32 producer_pid;
	__u32 consumer_pid;
	__u64 producer_attaches;
	__u64 consumer_attaches;
	__u64 producer_parks;
	__u64 consumer_parks;
	__u32 producer_park_path;
	__u32 consumer_park_path;
	__u32 flags;
	__s32 park_path;
	struct byteor_wait_stats wait;
	__u64 reserved[4];
};

/**
 * byteor_attach_single_ring() - attach one end of a single ring.
 * @o:    region name, backing, dir, wait strategy, park path, timeout_ns
 *        (queue must be 0)
 * @role: BYTEOR_ROLE_PRODUCER, BYTEOR_ROLE_CONSUMER or BYTEOR_ROLE_OBSERVER
 *        (BYTEOR_ATTACH_OBSERVER in @o->flags requires role OBSERVER)
 * @out:  receives the handle
 *
 * Waiting state (an io_uring instance) belongs to the calling process:
 * attach after fork(), in the process that uses the handle.  A handle is
 * used by one thread at a time.
 *
 * Return: 0, or -EINVAL (NULL argument, bad role, queue or flags),
 * -ENOENT (no such region), -EPROTO (not a single ring of this version),
 * -EBADMSG (corrupt region), -EBUSY (the role is taken), -EACCES/-EPERM,
 * -EOPNOTSUPP (io_uring parking asked for but unavailable), -ENOMEM, or
 * another -errno from the backing.
 */
BYTEOR_API int byteor_attach_single_ring(const struct byteor_attach_options *o,
					 int role,
					 struct byteor_single_ring **out);

/**
 * byteor_single_ring_detach() - release the role and unmap.
 * @r: a handle, or NULL.
 *
 * Slots claimed and not published are dropped; a consumer's peeked and not
 * released slots stay in the ring for the next consumer.
 */
BYTEOR_API void byteor_single_ring_detach(struct byteor_single_ring *r);

/**
 * byteor_single_ring_claim() - claim up to @n free slots (producer).
 * @r: producer handle
 * @s: receives @n at most slot descriptors (data, len = slot_size)
 * @n: slots wanted (clamped to BYTEOR_BATCH_MAX)
 *
 * Waits as the attach's timeout_ns says for at least one free slot.  Write
 * the payloads, set s[i].len, then byteor_single_ring_publish().  Only one
 * claim may be outstanding.
 *
 * The inline data-path calls (claim, publish, peek, release and the span
 * forms) take the handle attach gave, unchecked: their fast path has no
 * branch for NULL.  Every other call refuses a NULL handle (-EINVAL; the
 * accessors return 0).
 *
 * Return: the number of slots claimed (1..@n; 0 if @n is 0), or -EBADF
 * (not a producer), -EBUSY (a previous claim is not fully published),
 * -EAGAIN (full, non-blocking), -ETIMEDOUT, -EPIPE (full and the consumer
 * is gone), -EBADMSG (the consumer's position was inconsistent: the
 * producer resynchronised to it, dropping what was in flight; call again).
 */
BYTEOR_API int __byteor_single_ring_claim(struct byteor_single_ring *r,
					  struct byteor_slot *s, unsigned int n);
__BYTEOR_HOT int byteor_single_ring_claim(struct byteor_single_ring *r,
					  struct byteor_slot *s, unsigned int n)
{
	int k = __byteor_spsc_try_claim((struct __byteor_spsc *)r, s, n);

	return __BYTEOR_LIKELY(k) ? k : __byteor_single_ring_claim(r, s, n);
}

/* As byteor_single_ring_claim(), waiting at most @timeout_ns (< 0: forever). */
BYTEOR_API int byteor_single_ring_claim_timed(struct byteor_single_ring *r,
					      struct byteor_slot *s,
					      unsigned int n,
					      long long timeout_ns);

/**
 * byteor_single_ring_publish() - publish the first @n claimed slots.
 * @r: producer handle
 * @s: the claim's descriptors (their len fields are written to the slot
 *     headers), or NULL to publish full slot_size lengths
 * @n: slots to publish, at most the slots claimed; the rest stay claimed
 *
 * One release store makes all @n visible; the consumer is woken only if it
 * parked.
 *
 * Return: @n, or -EBADF (not a producer), -EINVAL (@n above the claimed
 * count, or a len above slot_size - or, in a fixed-size ring, not
 * slot_size: nothing is published).
 */
BYTEOR_API int __byteor_single_ring_publish(struct byteor_single_ring *r,
					    const struct byteor_slot *s,
					    unsigned int n);
__BYTEOR_HOT int byteor_single_ring_publish(struct byteor_single_ring *r,
					    const struct byteor_slot *s,
					    unsigned int n)
{
	struct __byteor_spsc *q = (struct __byteor_spsc *)r;

	if (__BYTEOR_LIKELY(q->fast & __BYTEOR_FAST_TX))
		return __byteor_spsc_publish(q, s, n);
	return __byteor_single_ring_publish(r, s, n);
}

/**
 * byteor_single_ring_peek() - look at up to @n published slots (consumer).
 * @r: consumer handle
 * @s: receives the slots' descriptors (data, published len)
 * @n: slots wanted (clamped to BYTEOR_BATCH_MAX)
 *
 * Waits as the attach's timeout_ns says for at least one slot.  The slots
 * stay in the ring until byteor_single_ring_release().  A slot whose header
 * holds a length above slot_size ends the batch before it; if it is the
 * first, -EBADMSG is returned and byteor_single_ring_release(r, 1) drops it.
 *
 * Return: the number of slots (1..@n; 0 if @n is 0), or -EBADF (not a
 * consumer), -EAGAIN (empty, non-blocking), -ETIMEDOUT, -EPIPE (drained and
 * the producer is gone), -EBADMSG (corrupt length in the first slot, or the
 * producer's position is more than a ring away; nothing is consumed - the
 * producer resynchronises when it next looks).
 */
BYTEOR_API int __byteor_single_ring_peek(struct byteor_single_ring *r,
					 struct byteor_slot *s, unsigned int n);
__BYTEOR_HOT int byteor_single_ring_peek(struct byteor_single_ring *r,
					 struct byteor_slot *s, unsigned int n)
{
	int k = __byteor_spsc_try_peek((struct __byteor_spsc *)r, s, n);

	return __BYTEOR_LIKELY(k) ? k : __byteor_single_ring_peek(r, s, n);
}

/* As byteor_single_ring_peek(), waiting at most @timeout_ns (< 0: forever). */
BYTEOR_API int byteor_single_ring_peek_timed(struct byteor_single_ring *r,
					     struct byteor_slot *s,
					     unsigned int n,
					     long long timeout_ns);

/**
 * byteor_single_ring_release() - give @n slots back to the producer.
 * @r: consumer handle
 * @n: slots to release, at most the slots known published (a peek's count)
 *
 * Return: @n, or -EBADF (not a consumer), -EINVAL (more than published).
 */
BYTEOR_API int __byteor_single_ring_release(struct byteor_single_ring *r,
					    unsigned int n);
__BYTEOR_HOT int byteor_single_ring_release(struct byteor_single_ring *r,
					    unsigned int n)
{
	struct __byteor_spsc *q = (struct __byteor_spsc *)r;

	if (__BYTEOR_LIKELY(q->fast & __BYTEOR_FAST_RX))
		return __byteor_spsc_release(q, n);
	return __byteor_single_ring_release(r, n);
}

/**
 * byteor_single_ring_claim_span() - claim up to @n free slots that follow
 * each other in memory (producer).
 * @r:  producer handle
 * @sp: receives the span: write slot i's payload at byteor_span_at(sp, i)
 * @n:  slots wanted (clamped to BYTEOR_BATCH_MAX)
 *
 * As byteor_single_ring_claim(), but the slots come as one span instead of
 * one descriptor each, which is cheaper for a batch: a claim stops at the
 * ring's end (claim again for the rest).  Publish with
 * byteor_single_ring_publish(r, NULL, k): every message slot_size long.
 *
 * Return: slots claimed (1..@n; 0 if @n is 0), or the errors of
 * byteor_single_ring_claim().
 */
BYTEOR_API int __byteor_single_ring_claim_span(struct byteor_single_ring *r,
					       struct byteor_span *sp,
					       unsigned int n);
__BYTEOR_HOT int byteor_single_ring_claim_span(struct byteor_single_ring *r,
					       struct byteor_span *sp,
					       unsigned int n)
{
	int k = __byteor_spsc_try_claim_span((struct __byteor_spsc *)r, sp, n);

	return __BYTEOR_LIKELY(k) ? k : __byteor_single_ring_claim_span(r, sp, n);
}

/**
 * byteor_single_ring_peek_span() - look at up to @n published slots that
 * follow each other in memory (consumer).
 * @r:  consumer handle
 * @sp: receives the span: slot i's payload is byteor_span_at(sp, i), its
 *      length byteor_span_len(sp, i)
 * @n:  slots wanted (clamped to BYTEOR_BATCH_MAX)
 *
 * As byteor_single_ring_peek(), but as one span: it stops at the ring's
 * end and before a slot whose length is corrupt (every length is checked
 * here).  Release with byteor_single_ring_release().
 *
 * Return: slots (1..@n; 0 if @n is 0), or the errors of
 * byteor_single_ring_peek().
 */
BYTEOR_API int __byteor_single_ring_peek_span(struct byteor_single_ring *r,
					      struct byteor_span *sp,
					      unsigned int n);
__BYTEOR_HOT int byteor_single_ring_peek_span(struct byteor_single_ring *r,
					      struct byteor_span *sp,
					      unsigned int n)
{
	int k = __byteor_spsc_try_peek_span((struct __byteor_spsc *)r, sp, n);

	return __BYTEOR_LIKELY(k) ? k : __byteor_single_ring_peek_span(r, sp, n);
}

/**
 * byteor_single_ring_send() - copy one message into the ring (producer).
 * @r:   producer handle
 * @buf: the message
 * @len: its length, 0..slot_size
 *
 * Return: 0, or -EMSGSIZE (@len above slot_size), -EINVAL (a fixed-size
 * ring and @len not slot_size), -EBUSY, and the errors of
 * byteor_single_ring_claim().
 */
BYTEOR_API int byteor_single_ring_send(struct byteor_single_ring *r,
				       const void *buf, size_t len);

/* As byteor_single_ring_send(), waiting at most @timeout_ns (< 0: forever). */
BYTEOR_API int byteor_single_ring_send_timed(struct byteor_single_ring *r,
					     const void *buf, size_t len,
					     long long timeout_ns);

/**
 * byteor_single_ring_recv() - copy one message out of the ring (consumer).
 * @r:   consumer handle
 * @buf: where to copy
 * @cap: room at @buf
 *
 * A slot with a corrupt length is dropped (released) and reported as
 * -EBADMSG, so a consumer loop carries on with the next one.
 *
 * Return: the message length (0..slot_size), or -EMSGSIZE (longer than
 * @cap; the message stays in the ring), -EBADMSG, and the errors of
 * byteor_single_ring_peek().
 */
BYTEOR_API int byteor_single_ring_recv(struct byteor_single_ring *r,
				       void *buf, size_t cap);

/* As byteor_single_ring_recv(), waiting at most @timeout_ns (< 0: forever). */
BYTEOR_API int byteor_single_ring_recv_timed(struct byteor_single_ring *r,
					     void *buf, size_t cap,
					     long long timeout_ns);

/**
 * byteor_single_ring_snapshot() - positions, occupancy, waiters, claims.
 * @r: any handle (observers included)
 * @s: filled in
 *
 * Makes one claim-liveness check per end (a system call on the userspace
 * backing): not for the hot path.
 *
 * Return: 0, or -EINVAL (NULL argument).
 */
BYTEOR_API int byteor_single_ring_snapshot(const struct byteor_single_ring *r,
					   struct byteor_single_ring_snapshot *s);

/**
 * byteor_single_ring_peer_alive() - is the other end attached and alive?
 * @r: producer or consumer handle
 *
 * Return: 1 alive, 0 not (never attached, detached or dead), -EBADF for an
 * observer, or another -errno of the check.
 */
BYTEOR_API int byteor_single_ring_peer_alive(const struct byteor_single_ring *r);

/* The private geometry: payload bytes per slot, slots in the ring. */
BYTEOR_API unsigned int byteor_single_ring_slot_size(const struct byteor_single_ring *r);
BYTEOR_API unsigned int byteor_single_ring_capacity(const struct byteor_single_ring *r);

#ifdef __cplusplus
}
#endif

#endif /* _BYTEOR_SINGLE_RING_H */
