/* SPDX-License-Identifier: MIT */
/*
 * byteor/events.h - the events chain: one BYTEOR_KIND_EVENTS_CHAIN region
 * split into N queues of fixed-size events.  Queue q is SPSC (one producer
 * process, one consumer process) unless bit q of the geometry's mpsc_mask
 * makes it MPSC: geometry.producers producer processes, one consumer.
 *
 * One handle type, struct byteor_events, for every end:
 *
 *	byteor_attach_events_tx()	producer of SPSC queue o->queue
 *	byteor_attach_events_rx()	consumer of SPSC queue o->queue
 *	byteor_attach_events_mpsc_tx()	one producer of MPSC queue o->queue
 *					(takes a free producer slot; -EBUSY
 *					when all geometry.producers are taken)
 *	byteor_attach_events_mpsc_rx()	consumer of MPSC queue o->queue
 *	byteor_attach_events_observer()	read-only, snapshots of every queue
 *
 * Asking for the wrong topology (tx on an MPSC queue, mpsc_tx on an SPSC
 * queue) is -EBADMSG, like any other geometry mismatch.
 *
 * SPSC queues work exactly like the single ring (byteor/single_ring.h).
 * That includes what a killed SPSC producer or consumer may lose: nothing
 * but a claim killed before its tag stores (single_ring.h, Killed roles).
 * MPSC queues: a producer claims positions with an atomic compare-and-swap
 * on the queue's shared tail, writes the payloads, then publishes each slot
 * with a release store of its slot header (sequence + length); the consumer
 * reads in position order, a slot being ready when its sequence says it was
 * published for that position (Vyukov's bounded queue).  No event is lost
 * or duplicated, and each producer's events arrive in the order it
 * published them.
 *
 * A producer that dies between claim and publish: before each claim a
 * producer records, in a word of its own in the queue's control block,
 * which positions it is about to fill, tagged with its attach generation.
 * When the consumer finds the next slot claimed but unpublished for a
 * while (about a millisecond), it looks at those records: if every
 * producer whose record covers the position is dead (its claim was
 * released - process exit or SIGKILL - or its slot was re-attached since),
 * the position is orphaned: the consumer skips it, as if consumed.  Skips
 * are counted: byteor_events_skipped() (this handle) and the snapshot's
 * skipped field (the queue's lifetime).  Events of live producers are never
 * skipped.  A producer clears its record once its whole claim is
 * published, so an idle producer's record covers nothing.  A new producer
 * that takes over a dead (or detached) one's slot bumps the generation,
 * clears the old record and sends at once: it never waits for the
 * consumer, which skips the predecessor's claimed, unpublished positions
 * (exactly those: events it published before dying are delivered, in
 * order, before anything of the new producer).  A consumer killed after
 * peeking but before release leaves those events to its successor, which
 * gets them again (at-least-once across consumer restarts).
 * docs/design.md, "MPSC recovery", has the whole protocol.
 *
 * Cost: on an SPSC queue, claim, publish, peek and release run inline as
 * for the single ring (byteor/lane_inline.h); on an MPSC queue they are
 * calls into the library.
 *
 * Blocking, timeouts, dead peers (-EPIPE once drained, for peers that were
 * there during the handle's life), -EBADMSG for a
 * corrupt position or length, recovery after a scribble: as for the single
 * ring.  MPSC recovery: a tail found behind head is moved up to it by the
 * producers, one found more than a ring ahead is reset to head by the
 * consumer, and a claimed position no live producer's record covers (a
 * hole such a scribble leaves) is skipped like an orphan.  An MPSC consumer
 * reports -EPIPE when the queue is drained, no producer is alive, and one
 * was there during the consumer's life; an MPSC producer when the queue is
 * full and the consumer that was there is gone.
 *
 * Usage sketch:
 *
 *	struct byteor_events_chain_options c = {
 *		.name = "orders", .slot_size = 64, .capacity = 4096,
 *		.queues = 2, .producers = 4, .mpsc_mask = 1ULL << 1,
 *	};
 *	byteor_events_chain_region_create(&c, NULL);
 *
 *	struct byteor_attach_options o = { .name = "orders", .queue = 1,
 *					   .timeout_ns = -1 };
 *	struct byteor_events *tx;
 *	byteor_attach_events_mpsc_tx(&o, &tx);		// in each producer
 *	byteor_events_send(tx, &order, sizeof(order));
 *
 *	struct byteor_events *rx;
 *	byteor_attach_events_mpsc_rx(&o, &rx);		// in the consumer
 *	len = byteor_events_recv(rx, buf, sizeof(buf));
 */
#ifndef _BYTEOR_EVENTS_H
#define _BYTEOR_EVENTS_H

#include <stddef.h>
#include <byteor/common.h>
#include <byteor/region.h>
#include <byteor/wait.h>
#include <byteor/lane_inline.h>

#ifdef __cplusplus
extern "C" {
#endif

/* struct byteor_slot, BYTEOR_BATCH_MAX: byteor/lane_inline.h. */

/* byteor_events_snapshot.flags */
#define BYTEOR_EVENTS_SNAP_F_MPSC	(1U << 0) /* the queue is MPSC */
#define BYTEOR_EVENTS_SNAP_F_CORRUPT	(1U << 1) /* positions inconsistent */

struct byteor_events;

/*
 * struct byteor_events_chain_options - byteor_events_chain_region_create().
 * @name:      region name
 * @slot_size: payload bytes per event (multiple of 8, 8..64 KiB)
 * @capacity:  events per queue (power of two, 2..2^30)
 * @queues:    1..64
 * @producers: producer slots of each MPSC queue (1..64; 1 if none is MPSC)
 * @mpsc_mask: bit q makes queue q MPSC
 * @size:      0, or a minimum region size
 * @mode:      permission bits, 0 for 0660
 * @backing:   BYTEOR_BACKING_AUTO, _KERNEL or _USER
 * @dir:       userspace backing directory, NULL for the default
 * @reserved:  must be zero
 */
struct byteor_events_chain_options {
	const char *name;
	__u32 slot_size;
	__u32 capacity;
	__u32 queues;
	__u32 producers;
	__u64 mpsc_mask;
	__u64 size;
	unsigned int mode;
	enum byteor_backing backing;
	const char *dir;
	unsigned int reserved[8];
};

/*
 * struct byteor_events_snapshot - one queue, right now (lock-free reads).
 * @queue:            the queue
 * @flags:            BYTEOR_EVENTS_SNAP_F_*
 * @producer_pos:     SPSC: events published; MPSC: positions claimed
 * @consumer_pos:     events consumed (including skipped ones)
 * @occupancy:        producer_pos - consumer_pos (0 if inconsistent)
 * @capacity:         events per queue
 * @slot_size:        payload bytes per event
 * @producers:        producer slots (1 for SPSC)
 * @producers_alive:  of which held by a live process
 * @producers_alive_mask: bit p: producer slot p alive
 * @consumer_alive:   1 live consumer, 0 none, < 0 -errno of the check
 * @consumer_waiters: consumers parked for data
 * @producer_waiters: producers parked for room
 * @skipped:          MPSC: orphaned positions the consumers skipped
 * @producer_attaches, @consumer_attaches: attaches since creation
 * @producer_parks, @consumer_parks: times each side parked
 * @producer_park_path, @consumer_park_path: enum byteor_park_path in use
 *                    (0 until that side first waits)
 * @park_path:        the park path of this process
 * @wait:             this handle's own wait counters (zero for observers)
 */
struct byteor_events_snapshot {
	__u32 queue;
	__u32 flags;
	__u64 producer_pos;
	__u64 consumer_pos;
	__u64 occupancy;
	__u32 capacity;
	__u32 slot_size;
	__u32 producers;
	__u32 producers_alive;
	__u64 producers_alive_mask;
	__s32 consumer_alive;
	__u32 consumer_waiters;
	__u32 producer_waiters;
	__u32 reserved0;
	__u64 skipped;
	__u64 producer_attaches;
	__u64 consumer_attaches;
	__u64 producer_parks;
	__u64 consumer_parks;
	__u32 producer_park_path;
	__u32 consumer_park_path;
	__s32 park_path;
	__u32 reserved1;
	struct byteor_wait_stats wait;
	__u64 reserved[4];
};

/**
 * byteor_events_chain_region_create() - create an events chain region.
 * @c:    name, geometry, size, mode, backing, dir
 * @info: if not NULL, receives the region's descriptor
 *
 * Return: as byteor_region_create(): 0, or -EINVAL (bad geometry or
 * options), -EEXIST, -ENOSPC, -ENOMEM, -EPERM/-EACCES, ...
 */
BYTEOR_API int
byteor_events_chain_region_create(const struct byteor_events_chain_options *c,
				  struct byteor_region_info *info);

/**
 * byteor_attach_events_tx() - attach the producer of SPSC queue @o->queue.
 * byteor_attach_events_rx() - attach the consumer of SPSC queue @o->queue.
 * byteor_attach_events_mpsc_tx() - attach a producer of MPSC queue @o->queue.
 * byteor_attach_events_mpsc_rx() - attach the consumer of MPSC queue @o->queue.
 * @o:   region name, queue, backing, dir, wait strategy, timeout_ns
 * @out: receives the handle
 *
 * Attach after fork(), in the process that uses the handle; one thread at a
 * time per handle.
 *
 * Return: 0, or -EINVAL (NULL argument, queue out of range, observer flag),
 * -ENOENT, -EPROTO (not an events chain of this version), -EBADMSG (the
 * queue has the other topology, or a corrupt region), -EBUSY (the role is
 * taken; MPSC: all producer slots taken), -EACCES/-EPERM, -EOPNOTSUPP,
 * -ENOMEM, or another -errno from the backing.
 */
BYTEOR_API int byteor_attach_events_tx(const struct byteor_attach_options *o,
				       struct byteor_events **out);
BYTEOR_API int byteor_attach_events_rx(const struct byteor_attach_options *o,
				       struct byteor_events **out);
BYTEOR_API int byteor_attach_events_mpsc_tx(const struct byteor_attach_options *o,
					    struct byteor_events **out);
BYTEOR_API int byteor_attach_events_mpsc_rx(const struct byteor_attach_options *o,
					    struct byteor_events **out);

/**
 * byteor_attach_events_observer() - attach read-only, for snapshots.
 * @o:   region name, backing, dir (queue ignored)
 * @out: receives the handle
 *
 * Return: as byteor_attach_events_tx(), never -EBUSY.
 */
BYTEOR_API int byteor_attach_events_observer(const struct byteor_attach_options *o,
					     struct byteor_events **out);

/**
 * byteor_events_detach() - release the role and unmap.
 * @e: a handle, or NULL.
 *
 * An MPSC producer that detaches with a claim not published leaves it to
 * the consumer's orphan handling (the positions are skipped).
 */
BYTEOR_API void byteor_events_detach(struct byteor_events *e);

/**
 * byteor_events_claim() - claim up to @n free slots (tx handles).
 * @e: producer handle
 * @s: receives the slot descriptors
 * @n: slots wanted (clamped to BYTEOR_BATCH_MAX)
 *
 * Waits as the attach's timeout_ns says.  MPSC: the positions are this
 * producer's; publish them soon - the consumer waits for them in order.
 *
 * The inline data-path calls (claim, publish, peek, release and the span
 * forms) take the handle attach gave, unchecked: their fast path has no
 * branch for NULL.  Every other call refuses a NULL handle (-EINVAL; the
 * accessors return 0).
 *
 * Return: slots claimed (1..@n; 0 if @n is 0), or -EBADF (not a producer),
 * -EBUSY (previous claim not fully published), -EAGAIN, -ETIMEDOUT, -EPIPE
 * (full and the consumer is gone), -EBADMSG (corrupt shared positions).
 */
BYTEOR_API int __byteor_events_claim(struct byteor_events *e,
				     struct byteor_slot *s, unsigned int n);
__BYTEOR_HOT int byteor_events_claim(struct byteor_events *e,
				     struct byteor_slot *s, unsigned int n)
{
	int k = __byteor_spsc_try_claim((struct __byteor_spsc *)e, s, n);

	return __BYTEOR_LIKELY(k) ? k : __byteor_events_claim(e, s, n);
}
BYTEOR_API int byteor_events_claim_timed(struct byteor_events *e,
					 struct byteor_slot *s, unsigned int n,
					 long long timeout_ns);

/**
 * byteor_events_publish() - publish the first @n claimed slots.
 * @e: producer handle
 * @s: the claim's descriptors (len fields), or NULL for slot_size lengths
 * @n: at most the slots claimed; the rest stay claimed
 *
 * Return: @n, or -EBADF, -EINVAL (@n above the claim, a len above
 * slot_size: nothing published).
 */
BYTEOR_API int __byteor_events_publish(struct byteor_events *e,
				       const struct byteor_slot *s,
				       unsigned int n);
__BYTEOR_HOT int byteor_events_publish(struct byteor_events *e,
				       const struct byteor_slot *s,
				       unsigned int n)
{
	struct __byteor_spsc *q = (struct __byteor_spsc *)e;

	if (__BYTEOR_LIKELY(q->fast & __BYTEOR_FAST_TX))
		return __byteor_spsc_publish(q, s, n);
	return __byteor_events_publish(e, s, n);
}

/**
 * byteor_events_peek() - look at up to @n published events (rx handles).
 * @e: consumer handle
 * @s: receives the descriptors
 * @n: events wanted (clamped to BYTEOR_BATCH_MAX)
 *
 * In place, in order; release them with byteor_events_release().  A
 * corrupt length ends the batch before it; first slot: -EBADMSG, and
 * byteor_events_release(e, 1) drops it.  MPSC: may skip orphaned
 * positions first (counted by byteor_events_skipped()).
 *
 * Return: events (1..@n; 0 if @n is 0), or -EBADF (not a consumer),
 * -EAGAIN, -ETIMEDOUT, -EPIPE (drained and every producer gone), -EBADMSG.
 */
BYTEOR_API int __byteor_events_peek(struct byteor_events *e,
				    struct byteor_slot *s, unsigned int n);
__BYTEOR_HOT int byteor_events_peek(struct byteor_events *e,
				    struct byteor_slot *s, unsigned int n)
{
	int k = __byteor_spsc_try_peek((struct __byteor_spsc *)e, s, n);

	return __BYTEOR_LIKELY(k) ? k : __byteor_events_peek(e, s, n);
}
BYTEOR_API int byteor_events_peek_timed(struct byteor_events *e,
					struct byteor_slot *s, unsigned int n,
					long long timeout_ns);

/**
 * byteor_events_release() - consume @n events.
 * @e: consumer handle
 * @n: at most the events known published (a peek's count)
 *
 * Return: @n, or -EBADF, -EINVAL (more than published).
 */
BYTEOR_API int __byteor_events_release(struct byteor_events *e,
				       unsigned int n);
__BYTEOR_HOT int byteor_events_release(struct byteor_events *e,
				       unsigned int n)
{
	struct __byteor_spsc *q = (struct __byteor_spsc *)e;

	if (__BYTEOR_LIKELY(q->fast & __BYTEOR_FAST_RX))
		return __byteor_spsc_release(q, n);
	return __byteor_events_release(e, n);
}

/**
 * byteor_events_send() - copy one event in (producer).
 * @e:   producer handle
 * @buf: the event
 * @len: 0..slot_size
 *
 * Return: 0, or -EMSGSIZE, and the errors of byteor_events_claim().
 */
BYTEOR_API int byteor_events_send(struct byteor_events *e, const void *buf,
				  size_t len);
BYTEOR_API int byteor_events_send_timed(struct byteor_events *e,
					const void *buf, size_t len,
					long long timeout_ns);

/**
 * byteor_events_recv() - copy one event out (consumer).
 * @e:   consumer handle
 * @buf: where to copy
 * @cap: room at @buf
 *
 * A slot with a corrupt length is dropped and reported as -EBADMSG.
 *
 * Return: the event's length, or -EMSGSIZE (longer than @cap; it stays),
 * -EBADMSG, and the errors of byteor_events_peek().
 */
BYTEOR_API int byteor_events_recv(struct byteor_events *e, void *buf,
				  size_t cap);
BYTEOR_API int byteor_events_recv_timed(struct byteor_events *e, void *buf,
					size_t cap, long long timeout_ns);

/**
 * byteor_events_snapshot() - the state of queue @queue.
 * @e:     any handle of the region (observers included)
 * @queue: 0..queues-1 (any queue, not only the handle's)
 * @s:     filled in
 *
 * Checks the liveness of every claim of the queue (system calls on the
 * userspace backing): not for the hot path.
 *
 * Return: 0, or -EINVAL (NULL argument, queue out of range).
 */
BYTEOR_API int byteor_events_snapshot(const struct byteor_events *e,
				      unsigned int queue,
				      struct byteor_events_snapshot *s);

/**
 * byteor_events_wait_any() - wait until one of several consumer handles
 * has something for byteor_events_peek(): an event, or news (an orphan to
 * skip, a queue whose producers are gone, corrupt state).
 * @rx:         @n distinct consumer (rx) handles, of any queues and regions
 * @n:          1..128
 * @timeout_ns: 0: check once; < 0: wait forever; > 0: at most that long
 *
 * Spins, yields, then parks on all @n queues at once (io_uring
 * IORING_OP_FUTEX_WAITV, or futex_waitv(2)), as the first handle's wait
 * options say.  The caller then peeks the handle returned (which may give
 * -EPIPE or -EBADMSG: that is the news).
 *
 * Return: the index in @rx of a ready handle; -EAGAIN (@timeout_ns == 0,
 * none ready); -ETIMEDOUT; -EINVAL (NULL, @n out of range, a handle that
 * is not a consumer, or the same handle twice); -EBADF (a read-only
 * handle, which cannot park).
 */
BYTEOR_API int byteor_events_wait_any(struct byteor_events *const *rx,
				      unsigned int n, long long timeout_ns);

/**
 * byteor_events_skipped() - orphaned positions this consumer handle
 * skipped since it attached (MPSC; 0 otherwise).
 */
BYTEOR_API unsigned long long byteor_events_skipped(const struct byteor_events *e);

/**
 * byteor_events_peer_alive() - tx: is the consumer alive?  rx: is any
 * producer of the queue alive?
 *
 * Return: 1, 0, -EBADF for an observer, or another -errno of the check.
 */
BYTEOR_API int byteor_events_peer_alive(const struct byteor_events *e);

/*
 * The private geometry: queues, payload bytes per event, events per queue;
 * the handle's queue and (MPSC producers) its producer slot.
 */
BYTEOR_API unsigned int byteor_events_queues(const struct byteor_events *e);
BYTEOR_API unsigned int byteor_events_slot_size(const struct byteor_events *e);
BYTEOR_API unsigned int byteor_events_capacity(const struct byteor_events *e);
BYTEOR_API unsigned int byteor_events_queue(const struct byteor_events *e);
BYTEOR_API unsigned int byteor_events_producer_index(const struct byteor_events *e);

#ifdef __cplusplus
}
#endif

#endif /* _BYTEOR_EVENTS_H */
