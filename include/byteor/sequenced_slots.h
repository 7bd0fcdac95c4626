/* SPDX-License-Identifier: MIT */
/*
 * byteor/sequenced_slots.h - sequenced slots: an LMAX-Disruptor style ring
 * in a BYTEOR_KIND_SEQUENCED_SLOTS region.  One producer claims sequence
 * numbers, fills the entries in place and publishes them by moving the
 * cursor; stages process the entries in place and advance their own gating
 * sequence; the stages form a DAG fixed at create time (the region's
 * geometry: queues = number of stages, stage_deps[i] = the earlier stages
 * stage i consumes after), so pipelines, multicast and diamonds are all one
 * layout.
 *
 * SEQUENCES.  Every sequence here is a free-running 64-bit count, and every
 * bound is exclusive: the cursor is the number of entries published (the
 * sequence the producer publishes next); a stage's gating sequence is the
 * number of entries it has finished (the sequence it processes next).  A
 * barrier returns the end of the available range: entries [first, end) are
 * ready.  (Disruptor's "highest available sequence" is end - 1.)
 *
 * ROLES.  byteor_attach_sequenced_slots_region() takes the role:
 *  - BYTEOR_ROLE_PRODUCER: the single producer (exclusive claim).
 *  - BYTEOR_ROLE_CONSUMER: stage o->queue (exclusive per index).  A stage
 *    reads and may write its entries in place (a field of its own: what its
 *    dependents consume), then advances its gating sequence.
 *  - BYTEOR_SEQUENCED_SLOTS_SUBSCRIBER: stage o->queue as a subscriber: a
 *    terminal stage (no other stage depends on it; -EINVAL otherwise) that
 *    only reads.  It gates the producer exactly like a stage - a Disruptor
 *    user expects every event handler to see every event, so nothing that
 *    consumes entries is allowed to be lapped - but it is handed const
 *    entries only (byteor_sequenced_slots_entry() refuses it), so the
 *    entries it reads are exactly what the stages before it left.
 *  - BYTEOR_ROLE_OBSERVER (or BYTEOR_ATTACH_OBSERVER in o->flags): maps
 *    read-only, claims nothing and never gates: snapshots, and the two
 *    barriers to follow the cursor or some stages (monitoring taps).  It
 *    is not protected from being lapped: an entry it reads may be reused
 *    by the producer meanwhile, which the slot header (the entry's
 *    sequence, re-read after copying the payload) tells.  An observer
 *    cannot park (its mapping is read-only): it waits by spinning and
 *    yielding.
 *
 * GATING.  Terminal stages (no other stage depends on them, computed from
 * the region's private geometry) gate the producer: it never claims an
 * entry that the slowest terminal stage has not passed, so no stage ever
 * sees an entry overwritten.  A stage with stage_deps == 0 follows the
 * cursor; any other stage waits until every dependency has finished an
 * entry (its gating barrier), so a stage never reads an entry before its
 * dependencies are done with it.
 *
 * SLOTS.  Each entry is an 8-byte slot header and slot_size payload bytes.
 * The producer writes the entry's sequence into the header at claim; stages
 * and subscribers check it before handing an entry out (a mismatch is
 * -EBADMSG: someone scribbled on the slot, or on a sequence).
 *
 * COST.  Claim, publish, entry, entry_ro, the waits and the advances are
 * static inline (byteor/seq_inline.h): the common case - room or entries
 * known from the cached floor or barrier, or, for a stage whose barrier is
 * the cursor alone, proven by one load of the cursor - runs in the
 * caller's code; everything else calls into the library.  A non-blocking
 * wait that finds nothing new after having caught up executes one
 * spin-wait hint (pause) before it returns -EAGAIN.
 *
 * BLOCKING.  The claim and wait calls wait as the attach options'
 * timeout_ns says (0, the default: never wait, -EAGAIN; < 0 forever; > 0 at
 * most that long, then -ETIMEDOUT); the *_timed variants take the timeout
 * as an argument.  Waiting spins, yields, then parks (byteor/wait.h) on the
 * eventcount of the sequence it waits for: the cursor's, or the gating
 * sequence's of the stage it is behind (one per stage, which the producer
 * facing a full ring also parks on).  Whoever moves a sequence makes a
 * system call only if somebody is parked on it.
 *
 * DEAD PEERS.  A blocking call whose wait depends on a stage (or producer)
 * that attached once and whose process is gone returns -EPIPE: a producer
 * stuck behind a dead stage, a stage behind a dead dependency, a stage
 * that drained what a dead producer published.  The snapshot
 * (byteor_sequenced_slots_snapshot()) reports every stage's liveness.
 * Recovery:
 *  - a new process attaches at the same role and carries on from the shared
 *    sequence (a dead producer's claimed, unpublished entries are dropped
 *    and claimed again by the next producer; the batch a dead stage had in
 *    hand - processed, not advanced past - is processed again by the next
 *    holder: at-least-once for that batch, exactly-once for the rest);
 *  - or an operator removes the dead stage from gating with
 *    byteor_sequenced_slots_remove_stage(): the producer and the stage's
 *    dependents then behave as if the stage finished every entry its own
 *    dependencies (or the cursor) have (its ancestors take its place).  A
 *    later attach at that index clears the removal and resumes from the
 *    current gating minimum of its dependencies (its ancestors, or the
 *    cursor), raised to what the producer may already have reused and to
 *    anything a dependent took while the stage was removed: entries that
 *    passed while the stage was removed are not processed by it, and no
 *    dependent ever holds an entry the re-attached stage has not finished
 *    (a dependent re-checks the removal mask after reading its sources).
 *    A re-attach killed half-way is completed by the next attach at that
 *    index (it starts as a re-attach would), never resumed from a
 *    half-computed start.
 *
 * TRUST.  Sequences read from shared memory are checked against the
 * private geometry: a stage's sequence ahead of the cursor, or any two
 * related sequences more than a ring's capacity apart, is -EBADMSG (the
 * reader re-asserts its own shared sequence, so a scribble heals once it
 * stops); every slot index is a sequence masked with the private capacity.
 * A cursor seen moving back by more than a ring is reported once
 * (-EBADMSG) and then taken as the truth; a stage never takes a cursor
 * more than a ring ahead of itself as the highest seen, so a scribbled-
 * ahead cursor costs it nothing once the producer's next publish rewrites
 * the cursor.  A removed bit found on a live stage's own index (removal
 * needs the stage's claim: a scribble) is cleared by that stage the next
 * time its cached barrier runs out.  Every function taking a handle
 * returns -EINVAL for NULL
 * (the geometry getters 0, the entry getters NULL).
 *
 * Usage sketch (a 1-producer, 2-stage pipeline: stage_deps = {0, 1 << 0}):
 *
 *	struct byteor_attach_options o = { .name = "orders", .timeout_ns = -1 };
 *	struct byteor_sequenced_slots *p, *s;
 *	__u64 seq, first;
 *	int i, n;
 *
 *	byteor_attach_sequenced_slots_region(&o, BYTEOR_ROLE_PRODUCER, &p);
 *	byteor_sequenced_slots_producer_claim(p, 1, &seq);
 *	fill(byteor_sequenced_slots_entry(p, seq));
 *	byteor_sequenced_slots_producer_publish(p, 1);
 *
 *	o.queue = 1;	// in the stage's process
 *	byteor_attach_sequenced_slots_region(&o, BYTEOR_ROLE_CONSUMER, &s);
 *	n = byteor_sequenced_slots_stage_wait(s, 64, &first);
 *	for (i = 0; i < n; i++)
 *		process(byteor_sequenced_slots_entry(s, first + i));
 *	byteor_sequenced_slots_stage_advance(s, n);
 */
#ifndef _BYTEOR_SEQUENCED_SLOTS_H
#define _BYTEOR_SEQUENCED_SLOTS_H

#include <byteor/common.h>
#include <byteor/wait.h>
#include <byteor/seq_inline.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Attach role of a subscriber (a read-only terminal stage), see above. */
#define BYTEOR_SEQUENCED_SLOTS_SUBSCRIBER	0x10

/* The largest batch one wait hands out (larger @max are clamped). */
#define BYTEOR_SEQ_BATCH_MAX	65535U

/* byteor_sequenced_slots_snapshot.flags */
#define BYTEOR_SEQ_SNAP_F_CORRUPT	(1U << 0) /* sequences inconsistent */

struct byteor_sequenced_slots;

/**
 * struct byteor_sequenced_slots_stage_snapshot - one stage, right now.
 * @gating:    its gating sequence (entries finished)
 * @lag:       cursor - gating (0 if inconsistent)
 * @alive:     1 its claim is held by a live process, 0 not, < 0 -errno
 * @removed:   1 an operator removed it from gating
 * @terminal:  1 no stage depends on it (it gates the producer)
 * @deps:      stage_deps of the private geometry
 * @waiters:   threads parked (or about to) on its gating sequence
 * @pid:       pid in the header's claim mirror (display only)
 * @attaches:  attaches at this index since the region was created
 * @parks:     times a waiter of this stage parked
 * @park_path: enum byteor_park_path it parks through (0: not yet)
 */
struct byteor_sequenced_slots_stage_snapshot {
	__u64 gating;
	__u64 lag;
	__s32 alive;
	__u32 removed;
	__u32 terminal;
	__u32 deps;
	__u32 waiters;
	__u32 pid;
	__u64 attaches;
	__u64 parks;
	__u32 park_path;
	__u32 reserved0;
};

/**
 * struct byteor_sequenced_slots_snapshot - the ring, read without locks
 * (fields may come from slightly different instants).
 * @cursor:          entries published
 * @gate:            the producer's gating floor (it may claim below gate +
 *                   capacity)
 * @min_gating:      the minimum gating sequence over the terminal stages
 *                   (removed ones replaced by their ancestors)
 * @occupancy:       cursor - min_gating (0 if inconsistent)
 * @capacity:        entries in the ring (private geometry)
 * @slot_size:       payload bytes per entry
 * @stages:          number of stages
 * @removed_mask:    bit i: stage i removed from gating
 * @terminal_mask:   bit i: stage i is terminal
 * @cursor_waiters:  threads parked (or about to) on the cursor
 * @producer_alive:  1 live, 0 not, < 0 -errno of the check
 * @producer_pid:    display only
 * @producer_attaches: producer attaches since creation
 * @producer_parks:  times the producer parked (full ring)
 * @producer_park_path: enum byteor_park_path (0: not yet)
 * @flags:           BYTEOR_SEQ_SNAP_F_*
 * @park_path:       the park path of this handle (or this process's probe)
 * @wait:            this handle's own wait counters (zero for observers)
 * @stage:           per stage, @stages entries valid
 */
struct byteor_sequenced_slots_snapshot {
	__u64 cursor;
	__u64 gate;
	__u64 min_gating;
	__u64 occupancy;
	__u32 capacity;
	__u32 slot_size;
	__u32 stages;
	__u32 removed_mask;
	__u32 terminal_mask;
	__u32 cursor_waiters;
	__s32 producer_alive;
	__u32 producer_pid;
	__u64 producer_attaches;
	__u64 producer_parks;
	__u32 producer_park_path;
	__u32 flags;
	__s32 park_path;
	__u32 reserved0;
	struct byteor_wait_stats wait;
	struct byteor_sequenced_slots_stage_snapshot stage[BYTEOR_MAX_STAGES];
	__u64 reserved[4];
};

/**
 * byteor_attach_sequenced_slots_region() - attach to a sequenced-slots
 * region as its producer, a stage, a subscriber or an observer.
 * @o:    region name, backing, dir, queue (the stage index; 0 for the
 *        producer and observers), wait strategy, park path, timeout_ns
 * @role: BYTEOR_ROLE_PRODUCER, BYTEOR_ROLE_CONSUMER (stage @o->queue),
 *        BYTEOR_SEQUENCED_SLOTS_SUBSCRIBER (terminal stage @o->queue, read
 *        only) or BYTEOR_ROLE_OBSERVER
 * @out:  receives the handle
 *
 * A stage attaching where a previous holder left resumes from its shared
 * gating sequence; one that was removed resumes as described at the top.
 * Waiting state belongs to the calling process: attach after fork().  A
 * handle is used by one thread at a time.
 *
 * Return: 0, or -EINVAL (NULL argument, bad role, stage index out of
 * range, subscriber at a non-terminal stage, observer flag with another
 * role), -ENOENT (no such region), -EPROTO (not sequenced slots of this
 * version), -EBADMSG (corrupt region), -EBUSY (role taken), -EACCES/-EPERM,
 * -EOPNOTSUPP (io_uring parking asked for but unavailable), -ENOMEM, or
 * another -errno of the backing.
 */
BYTEOR_API int byteor_attach_sequenced_slots_region(const struct byteor_attach_options *o,
						    int role,
						    struct byteor_sequenced_slots **out);

/**
 * byteor_sequenced_slots_detach() - release the role and unmap.
 * @h: a handle, or NULL.
 *
 * A producer's claimed, unpublished entries are dropped.  A stage's gating
 * sequence stays where it is (and keeps gating the producer) until a new
 * holder attaches or an operator removes the stage.
 */
BYTEOR_API void byteor_sequenced_slots_detach(struct byteor_sequenced_slots *h);

/**
 * byteor_sequenced_slots_producer_claim() - claim the next @n sequences.
 * @h:     producer handle
 * @n:     1..capacity entries; all @n are claimed or none
 * @first: receives the first claimed sequence ([*first, *first + @n))
 *
 * Waits as the attach's timeout_ns says until the slowest terminal stage
 * has passed the entries the claim reuses.  Several claims may be
 * outstanding (at most capacity entries in all); they are published in
 * claim order.  Write the payloads through byteor_sequenced_slots_entry().
 *
 * Return: 0, or -EBADF (not the producer), -EINVAL (@n is 0 or above what
 * is left of the capacity, NULL @first), -EAGAIN (not enough room,
 * non-blocking), -ETIMEDOUT, -EPIPE (stuck behind a stage whose process is
 * gone: remove it or attach a new one), -EBADMSG (a gating sequence is
 * corrupt).
 */
BYTEOR_API int __byteor_sequenced_slots_producer_claim(struct byteor_sequenced_slots *h,
						       unsigned int n, __u64 *first);
__BYTEOR_HOT int byteor_sequenced_slots_producer_claim(struct byteor_sequenced_slots *h,
						       unsigned int n, __u64 *first)
{
	if (__BYTEOR_LIKELY(__byteor_seq_try_claim(__BYTEOR_SEQ_F(h), n, first)))
		return 0;
	return __byteor_sequenced_slots_producer_claim(h, n, first);
}

/* As ..._producer_claim(), waiting at most @timeout_ns (< 0: forever). */
BYTEOR_API int __byteor_sequenced_slots_producer_claim_timed(struct byteor_sequenced_slots *h,
							     unsigned int n,
							     __u64 *first,
							     long long timeout_ns);
__BYTEOR_HOT int byteor_sequenced_slots_producer_claim_timed(struct byteor_sequenced_slots *h,
							     unsigned int n,
							     __u64 *first,
							     long long timeout_ns)
{
	if (__BYTEOR_LIKELY(__byteor_seq_try_claim(__BYTEOR_SEQ_F(h), n, first)))
		return 0;
	return __byteor_sequenced_slots_producer_claim_timed(h, n, first,
							     timeout_ns);
}

/**
 * byteor_sequenced_slots_producer_publish() - publish the oldest @n
 * claimed entries by moving the cursor (one release store).
 * @h: producer handle
 * @n: entries, at most the number claimed and not yet published
 *
 * Stages parked on the cursor are woken; nothing else costs a system call.
 * Return: @n, or -EBADF (not the producer), -EINVAL (@n above the claimed
 * count).
 */
BYTEOR_API int __byteor_sequenced_slots_producer_publish(struct byteor_sequenced_slots *h,
							 unsigned int n);
__BYTEOR_HOT int byteor_sequenced_slots_producer_publish(struct byteor_sequenced_slots *h,
							 unsigned int n)
{
	struct __byteor_seq_fast *f = (struct __byteor_seq_fast *)h;

	if (__BYTEOR_UNLIKELY(!h || !(f->fast & __BYTEOR_SEQ_FAST_PROD) ||
			      n > f->claimed))
		return __byteor_sequenced_slots_producer_publish(h, n);
	__byteor_seq_publish(f, n);
	return (int)n;
}

/**
 * byteor_sequenced_slots_entry() - the payload of entry @seq, writable.
 * @h:   producer or stage handle
 * @seq: any sequence (the slot is @seq masked by the private capacity)
 *
 * The producer may write entries it claimed and has not published; a
 * stage the entries its barrier made available and it has not advanced
 * past.  slot_size bytes.
 * Return: the payload, or NULL for a subscriber or an observer.
 */
BYTEOR_API void *__byteor_sequenced_slots_entry(const struct byteor_sequenced_slots *h,
						__u64 seq);
__BYTEOR_HOT void *byteor_sequenced_slots_entry(const struct byteor_sequenced_slots *h,
						__u64 seq)
{
	const struct __byteor_seq_fast *f = (const struct __byteor_seq_fast *)h;

	/*
	 * The NULL answers come from the library: inline, a caller that
	 * writes through the result unchecked would draw -Warray-bounds.
	 */
	if (__BYTEOR_UNLIKELY(!h || !(f->fast & (__BYTEOR_SEQ_FAST_PROD |
						 __BYTEOR_SEQ_FAST_STAGE))))
		return __byteor_sequenced_slots_entry(h, seq);
	return (unsigned char *)__byteor_seq_hdr(f, seq) + BYTEOR_SLOT_HEADER;
}

/* The payload of entry @seq, read-only; any handle (NULL only for NULL). */
BYTEOR_API const void *__byteor_sequenced_slots_entry_ro(const struct byteor_sequenced_slots *h,
							 __u64 seq);
__BYTEOR_HOT const void *byteor_sequenced_slots_entry_ro(const struct byteor_sequenced_slots *h,
							 __u64 seq)
{
	if (__BYTEOR_UNLIKELY(!h))
		return __byteor_sequenced_slots_entry_ro(h, seq);
	return (const unsigned char *)
		__byteor_seq_hdr((const struct __byteor_seq_fast *)h, seq) +
		BYTEOR_SLOT_HEADER;
}

/**
 * byteor_sequenced_slots_stage_wait() - wait for entries this stage may
 * process (its barrier: the cursor if its stage_deps is 0, else the gating
 * barrier over its dependencies).
 * @h:     stage handle
 * @max:   at most this many entries (clamped to BYTEOR_SEQ_BATCH_MAX)
 * @first: receives the stage's next sequence
 *
 * Waits as the attach's timeout_ns says for at least one entry.  Every
 * entry handed out has its slot header checked; a bad one ends the batch
 * before it, and if it is the first, -EBADMSG is returned (advance by one
 * to drop it).  Calling again without advancing returns the same first.
 *
 * Return: entries available, 1..@max, in [*first, *first + n); or -EBADF
 * (not a stage), -EINVAL (@max 0, NULL @first), -EAGAIN (none, non-
 * blocking), -ETIMEDOUT, -EPIPE (waiting on a producer or dependency whose
 * process is gone, everything it finished consumed), -EBADMSG (a sequence
 * or the first slot header is corrupt).
 */
BYTEOR_API int __byteor_sequenced_slots_stage_wait(struct byteor_sequenced_slots *h,
		unsigned int max, __u64 *first);
__BYTEOR_HOT int byteor_sequenced_slots_stage_wait(struct byteor_sequenced_slots *h,
		unsigned int max, __u64 *first)
{
	int k = __byteor_seq_try_wait(__BYTEOR_SEQ_F(h), __BYTEOR_SEQ_FAST_STAGE, max,
				      first, -1);

	return __BYTEOR_LIKELY(k) ? k : __byteor_sequenced_slots_stage_wait(h, max, first);
}

/* As ..._stage_wait(), waiting at most @timeout_ns (< 0: forever). */
BYTEOR_API int __byteor_sequenced_slots_stage_wait_timed(struct byteor_sequenced_slots *h,
		unsigned int max, __u64 *first, long long timeout_ns);
__BYTEOR_HOT int byteor_sequenced_slots_stage_wait_timed(struct byteor_sequenced_slots *h,
		unsigned int max, __u64 *first, long long timeout_ns)
{
	int k = __byteor_seq_try_wait(__BYTEOR_SEQ_F(h), __BYTEOR_SEQ_FAST_STAGE, max,
				      first, !timeout_ns);

	return __BYTEOR_LIKELY(k) ? k :
		__byteor_sequenced_slots_stage_wait_timed(h, max, first, timeout_ns);
}

/**
 * byteor_sequenced_slots_stage_advance() - this stage has finished the
 * next @n entries: move its gating sequence (one release store) and wake
 * whoever parked on it (dependents, a producer facing a full ring).
 * @h: stage handle
 * @n: entries, at most what the last wait made available
 *
 * Return: @n, or -EBADF (not a stage), -EINVAL (more than available).
 */
BYTEOR_API int __byteor_sequenced_slots_stage_advance(struct byteor_sequenced_slots *h,
		unsigned int n);
__BYTEOR_HOT int byteor_sequenced_slots_stage_advance(struct byteor_sequenced_slots *h,
		unsigned int n)
{
	if (__BYTEOR_LIKELY(__byteor_seq_try_advance(__BYTEOR_SEQ_F(h), __BYTEOR_SEQ_FAST_STAGE,
						      n)))
		return (int)n;
	return __byteor_sequenced_slots_stage_advance(h, n);
}

/*
 * The subscriber's wait and advance: as the stage's, for a handle attached
 * as BYTEOR_SEQUENCED_SLOTS_SUBSCRIBER (-EBADF otherwise); read the entries
 * with byteor_sequenced_slots_entry_ro().
 */
BYTEOR_API int __byteor_sequenced_slots_subscriber_wait(struct byteor_sequenced_slots *h,
		unsigned int max, __u64 *first);
__BYTEOR_HOT int byteor_sequenced_slots_subscriber_wait(struct byteor_sequenced_slots *h,
		unsigned int max, __u64 *first)
{
	int k = __byteor_seq_try_wait(__BYTEOR_SEQ_F(h), __BYTEOR_SEQ_FAST_SUB, max,
				      first, -1);

	return __BYTEOR_LIKELY(k) ? k : __byteor_sequenced_slots_subscriber_wait(h, max, first);
}
BYTEOR_API int __byteor_sequenced_slots_subscriber_wait_timed(struct byteor_sequenced_slots *h,
		unsigned int max, __u64 *first, long long timeout_ns);
__BYTEOR_HOT int byteor_sequenced_slots_subscriber_wait_timed(struct byteor_sequenced_slots *h,
		unsigned int max, __u64 *first, long long timeout_ns)
{
	int k = __byteor_seq_try_wait(__BYTEOR_SEQ_F(h), __BYTEOR_SEQ_FAST_SUB, max,
				      first, !timeout_ns);

	return __BYTEOR_LIKELY(k) ? k :
		__byteor_sequenced_slots_subscriber_wait_timed(h, max, first, timeout_ns);
}
BYTEOR_API int __byteor_sequenced_slots_subscriber_advance(struct byteor_sequenced_slots *h,
		unsigned int n);
__BYTEOR_HOT int byteor_sequenced_slots_subscriber_advance(struct byteor_sequenced_slots *h,
		unsigned int n)
{
	if (__BYTEOR_LIKELY(__byteor_seq_try_advance(__BYTEOR_SEQ_F(h), __BYTEOR_SEQ_FAST_SUB,
						      n)))
		return (int)n;
	return __byteor_sequenced_slots_subscriber_advance(h, n);
}

/**
 * byteor_cursor_barrier_wait() - wait until entry @seq is published.
 * @h:          any handle
 * @seq:        the sequence waited for
 * @end:        receives the cursor: entries [@seq, *@end) are published
 *              (batch them)
 * @timeout_ns: 0 check once, < 0 forever, > 0 at most that long
 *
 * Return: 0, or -EINVAL (NULL argument), -EAGAIN, -ETIMEDOUT, -EPIPE (the
 * producer is gone and @seq was never published), -EBADMSG (the cursor
 * moved backwards by more than the capacity since this handle last read
 * it: a scribble, reported once), -ERANGE (@seq so far ahead - 2^63 or
 * more - that a signed comparison would call it published; sequences are
 * counts since creation, compared as such).
 */
BYTEOR_API int byteor_cursor_barrier_wait(struct byteor_sequenced_slots *h,
					  __u64 seq, __u64 *end,
					  long long timeout_ns);

/**
 * byteor_gating_barrier_wait() - wait until every stage of @stages has
 * finished entry @seq (the barrier a stage with dependencies uses; a
 * removed stage is replaced by its own dependencies, or the cursor).
 * @h:          any handle
 * @stages:     bit i: stage i; non-zero, only existing stages
 * @seq:        the sequence waited for
 * @end:        receives the minimum gating sequence: entries [@seq, *@end)
 *              are finished by all of @stages
 * @timeout_ns: 0 check once, < 0 forever, > 0 at most that long
 *
 * Return: 0, or -EINVAL (bad @stages, NULL @end), -EAGAIN, -ETIMEDOUT,
 * -EPIPE (a stage waited for is gone, not removed), -EBADMSG (a gating
 * sequence ahead of the cursor), -ERANGE (@seq 2^63 or more ahead, as for
 * byteor_cursor_barrier_wait()).
 */
BYTEOR_API int byteor_gating_barrier_wait(struct byteor_sequenced_slots *h,
					  __u32 stages, __u64 seq, __u64 *end,
					  long long timeout_ns);

/**
 * byteor_sequenced_slots_remove_stage() - take a dead stage out of gating.
 * @o:     region name, backing and dir (queue, flags and waiting ignored)
 * @stage: stage index
 *
 * For an operator (byteorctl) or a supervising process: the producer and
 * the stage's dependents stop waiting for it (they wait for its ancestors
 * instead) and are woken to notice.  The stage's claim is taken for the
 * duration of the call, which proves no live process holds it.  Removing a
 * removed stage is a no-op; a later attach at @stage clears the removal.
 *
 * Return: 0, or -EBUSY (a live process holds the stage), -EINVAL (bad
 * arguments or stage index), and the attach errors (-ENOENT, -EPROTO,
 * -EACCES, ...).
 */
BYTEOR_API int byteor_sequenced_slots_remove_stage(const struct byteor_attach_options *o,
						   unsigned int stage);

/**
 * byteor_sequenced_slots_snapshot() - cursor, gating sequences, lags,
 * liveness, removal, occupancy, waiters, park paths.
 * @h: any handle (observers included)
 * @s: filled in
 *
 * One claim-liveness check per role (a system call on the userspace
 * backing): not for the hot path.
 * Return: 0, or -EINVAL (NULL argument).
 */
BYTEOR_API int byteor_sequenced_slots_snapshot(const struct byteor_sequenced_slots *h,
					       struct byteor_sequenced_slots_snapshot *s);

/* The private geometry: payload bytes per entry, entries, stages (0 for
 * a NULL handle). */
BYTEOR_API unsigned int byteor_sequenced_slots_slot_size(const struct byteor_sequenced_slots *h);
BYTEOR_API unsigned int byteor_sequenced_slots_capacity(const struct byteor_sequenced_slots *h);
BYTEOR_API unsigned int byteor_sequenced_slots_stages(const struct byteor_sequenced_slots *h);

/* The stage index of a stage or subscriber handle; -EBADF for others,
 * -EINVAL for NULL. */
BYTEOR_API int byteor_sequenced_slots_stage_index(const struct byteor_sequenced_slots *h);

#ifdef __cplusplus
}
#endif

#endif /* _BYTEOR_SEQUENCED_SLOTS_H */
