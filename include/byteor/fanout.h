/* SPDX-License-Identifier: MIT */
/*
 * byteor/fanout.h - one producer, a router, N consumers over a
 * BYTEOR_KIND_FANOUT region.
 *
 * The producer claims slots of the message ring, writes messages in place
 * and publishes them, each with a 64-bit key.  The router reads every
 * published message once and decides who gets it - all consumers
 * (broadcast), one chosen by the message's key, one in turn (round-robin),
 * or whoever a callback names - by appending the message's sequence number
 * to each chosen consumer's routed index queue.  Each consumer reads, in
 * order and without a copy (a pointer into the message ring), every message
 * routed to it, and releases it.  The producer reuses a slot only when the
 * router has passed it and every member consumer routed that message has
 * released it: the producer is gated by the slowest live consumer.
 *
 * Membership.  A consumer attaching at index i (options .queue) asks the
 * router to join; the router admits it at the router's current position:
 * the consumer gets every message the router routes from then on.  Until
 * the router has admitted it, the consumer's peek/recv find nothing (they
 * wait like on an empty queue).  A consumer leaves when it detaches or its
 * process dies: the router notices (at once on detach; within
 * BYTEOR_FANOUT_LIVENESS_MS of a death, by testing the consumer's claim),
 * stops routing to it, and it stops gating the producer.  A consumer that
 * re-attaches at the same index starts again at the router's position when
 * it is admitted; messages routed to its dead predecessor and not released
 * are dropped, never delivered twice or half-overwritten.  A router that
 * dies and is replaced: the new one routes on from where the dead one
 * stopped; no consumer gets a message twice, and in BROADCAST and BY_KEY
 * modes none is lost; in ROUND_ROBIN and CALLBACK modes the messages of the
 * batch the dead router was routing (at most BYTEOR_FANOUT_BATCH_MAX) may
 * reach nobody.
 *
 * Routing modes (struct byteor_fanout_router_options.mode):
 *  - BROADCAST: every member gets every message;
 *  - BY_KEY: the member (key hash % consumers); if that index is not a
 *    member, the next member index after it (so, with a stable set of
 *    members, a key always goes to the same consumer);
 *  - ROUND_ROBIN: members in turn;
 *  - CALLBACK: route() returns a bit mask of consumer indices (bits of
 *    non-members are ignored; 0 drops the message).
 * While no consumer is a member the router holds messages back (nothing is
 * routed, nothing lost); the producer fills the ring, then waits.
 *
 * Keys: the producer gives a 64-bit key per message; the slot header keeps
 * a 32-bit hash of it (byteor_fanout_key_hash()), which is what the router
 * and consumers see.
 *
 * Blocking: claim/peek/route/send/recv wait as the attach options'
 * timeout_ns says (0: never, -EAGAIN; < 0: forever; > 0: at most that,
 * then -ETIMEDOUT); the *_timed variants take it as an argument.  Waiting
 * spins, yields, then parks on an eventcount (byteor/wait.h); nobody makes
 * a system call while nobody is parked.
 *
 * Dead peers: a producer whose router is gone gets -EPIPE when it would
 * wait; a consumer gets -EPIPE once its queue is drained and the router is
 * gone, or the producer is gone and everything it published was routed; the
 * router gets -EPIPE once the producer is gone and everything was routed.
 *
 * Trust: positions and routed indices read from shared memory are checked
 * against the geometry the library holds privately: a corrupt one yields
 * -EBADMSG (for a consumer, the offending entry is skipped), never an access
 * outside the region.  Recovery once a scribbler stops: each role
 * re-asserts the shared words it owns - the producer P whenever it
 * recomputes its gate, a consumer H_i whenever it finds its cached queue
 * empty, the router R, the member mask and every T_i within
 * BYTEOR_FANOUT_LIVENESS_MS while it routes or waits - so the lane carries
 * messages again without a re-attach (messages whose routed entries were
 * scribbled are skipped, never delivered torn).  A scribbled mode word
 * shows as mode -1 with BYTEOR_FANOUT_SNAP_F_CORRUPT in a snapshot.
 * Every function taking a handle returns -EINVAL for NULL (the geometry
 * getters 0).
 *
 * Usage sketch:
 *
 *	struct byteor_attach_options o = { .name = "md.fan", .timeout_ns = -1 };
 *	struct byteor_fanout_router_options ro = {
 *		.mode = BYTEOR_FANOUT_BY_KEY };
 *	struct byteor_fanout *tx, *rt, *rx;
 *	struct byteor_fanout_msg m[16];
 *
 *	byteor_attach_fanout_tx(&o, &tx);
 *	byteor_fanout_send(tx, &quote, sizeof(quote), instrument_id);
 *
 *	byteor_attach_fanout_router(&o, &ro, &rt);
 *	for (;;)
 *		byteor_fanout_route(rt, 256);
 *
 *	o.queue = 2;
 *	byteor_attach_fanout_rx(&o, &rx);
 *	n = byteor_fanout_peek(rx, m, 16);	// use m[0..n)
 *	byteor_fanout_release(rx, n);
 */
#ifndef _BYTEOR_FANOUT_H
#define _BYTEOR_FANOUT_H

#include <stddef.h>
#include <byteor/common.h>
#include <byteor/wait.h>

#ifdef __cplusplus
extern "C" {
#endif

/* How long a dead consumer can keep gating the producer, at most. */
#define BYTEOR_FANOUT_LIVENESS_MS	10

/* The longest claim / route batch (larger requests are clamped). */
#define BYTEOR_FANOUT_BATCH_MAX		65535U
/* The longest peek (a consumer remembers the sequences it peeked). */
#define BYTEOR_FANOUT_PEEK_MAX		256U

enum byteor_fanout_mode {
	BYTEOR_FANOUT_BROADCAST = 0,
	BYTEOR_FANOUT_BY_KEY = 1,
	BYTEOR_FANOUT_ROUND_ROBIN = 2,
	BYTEOR_FANOUT_CALLBACK = 3,
};

struct byteor_fanout;

/*
 * struct byteor_fanout_slot - a claimed slot (producer).
 * @data: slot_size bytes in the shared ring to write the message into
 * @len:  claim: slot_size; set it to the message length before publishing
 * @key:  set it to the message's key before publishing (BY_KEY routing)
 */
struct byteor_fanout_slot {
	void *data;
	__u32 len;
	__u32 reserved;
	__u64 key;
};

/*
 * struct byteor_fanout_msg - a message as the router or a consumer sees it.
 * @data:     the message in the shared ring (valid until released)
 * @len:      its length (checked: <= slot_size)
 * @key_hash: 32-bit hash of the producer's key
 * @seq:      the message's sequence number (0, 1, 2 ... per region)
 */
struct byteor_fanout_msg {
	const void *data;
	__u32 len;
	__u32 key_hash;
	__u64 seq;
};

/*
 * struct byteor_fanout_router_options - how the router routes.
 * @mode:  enum byteor_fanout_mode
 * @route: CALLBACK mode: returns the consumer indices (bit i: consumer i)
 *         to route @m to; @members is the current member mask.  Runs in
 *         the router's thread; must not call back into this handle.
 * @arg:   passed to @route
 */
struct byteor_fanout_router_options {
	int mode;
	unsigned int reserved0;
	__u64 (*route)(void *arg, const struct byteor_fanout_msg *m,
		       __u64 members);
	void *arg;
	unsigned int reserved[8];
};

/* byteor_fanout_snapshot.flags */
#define BYTEOR_FANOUT_SNAP_F_CORRUPT	(1U << 0) /* a position was inconsistent */

/*
 * struct byteor_fanout_consumer_snap - one consumer as a snapshot sees it.
 * @pos:      routed entries it released (its position in its own queue)
 * @routed:   entries routed to it (the router's tail of its queue)
 * @lag:      routed - pos: messages routed to it and not released
 * @next_seq: sequence of its oldest unreleased message (0 if none)
 * @member:   1 the router routes to it (and it gates the producer)
 * @alive:    1 its claim is held by a live process, 0 not, < 0 -errno
 * @pid:      pid in the header's claim mirror (display only)
 * @attaches: attaches at this index since creation
 * @parks:    times it parked
 * @waiters:  consumers parked on its queue right now
 */
struct byteor_fanout_consumer_snap {
	__u64 pos;
	__u64 routed;
	__u64 lag;
	__u64 next_seq;
	__u32 member;
	__s32 alive;
	__u32 pid;
	__u32 waiters;
	__u64 attaches;
	__u64 parks;
};

/*
 * struct byteor_fanout_snapshot - the lane right now (lock-free reads:
 * fields may come from slightly different instants).
 * @producer_pos:  messages published since creation
 * @router_pos:    messages routed (router position)
 * @gate:          oldest message still gating the producer (unreleased by
 *                 a member, or not yet routed)
 * @occupancy:     producer_pos - gate (slots in use, <= capacity)
 * @capacity, @slot_size, @consumers: private geometry
 * @members:       bit mask of member consumers
 * @mode:          the router's mode (-1: no router attached yet)
 * @producer_alive, @router_alive: claim liveness (1, 0, or < 0 -errno)
 * @producer_pid, @router_pid: claim mirror pids (display only)
 * @producer_waiters: producers parked for room
 * @router_waiters: routers parked for messages
 * @producer_parks, @router_parks: times each parked
 * @dropped:       messages routed to nobody (CALLBACK returned no member)
 * @corrupt:       corrupt positions / entries / lengths seen by the
 *                 producer and router
 * @flags:         BYTEOR_FANOUT_SNAP_F_*
 * @park_path:     this process's park path (handle's, or the probe's)
 * @wait:          this handle's own wait counters (zero for observers)
 * @consumer:      the first @consumers entries are filled
 */
struct byteor_fanout_snapshot {
	__u64 producer_pos;
	__u64 router_pos;
	__u64 gate;
	__u64 occupancy;
	__u32 capacity;
	__u32 slot_size;
	__u32 consumers;
	__s32 mode;
	__u64 members;
	__s32 producer_alive;
	__s32 router_alive;
	__u32 producer_pid;
	__u32 router_pid;
	__u32 producer_waiters;
	__u32 router_waiters;
	__u64 producer_parks;
	__u64 router_parks;
	__u64 dropped;
	__u64 corrupt;
	__u32 flags;
	__s32 park_path;
	struct byteor_wait_stats wait;
	__u64 reserved[4];
	struct byteor_fanout_consumer_snap consumer[BYTEOR_MAX_QUEUES];
};

/**
 * byteor_attach_fanout_tx() - attach as the producer (claim word 0).
 * @o:   region name, backing, dir, wait options, timeout_ns (queue 0)
 * @out: receives the handle
 *
 * Return: 0, or -EINVAL (NULL argument, queue not 0, observer flag),
 * -ENOENT, -EPROTO (not a fanout region of this version), -EBADMSG
 * (corrupt region), -EBUSY (a producer is attached), -EACCES/-EPERM,
 * -EOPNOTSUPP (io_uring parking asked for but unavailable), -ENOMEM.
 */
BYTEOR_API int byteor_attach_fanout_tx(const struct byteor_attach_options *o,
				       struct byteor_fanout **out);

/**
 * byteor_attach_fanout_rx() - attach as consumer @o->queue and ask the
 * router to admit it (see "Membership" above).
 * @o:   as byteor_attach_fanout_tx(); @o->queue is the consumer index
 * @out: receives the handle
 *
 * Return: as byteor_attach_fanout_tx(); -EINVAL also for a queue >= the
 * region's consumers; -EBUSY if that consumer index is attached.
 */
BYTEOR_API int byteor_attach_fanout_rx(const struct byteor_attach_options *o,
				       struct byteor_fanout **out);

/**
 * byteor_attach_fanout_router() - attach as the router (one per region).
 * @o:  as byteor_attach_fanout_tx()
 * @ro: routing mode (NULL: broadcast)
 * @out: receives the handle
 *
 * A new router resumes at the previous one's position, with its members.
 * Return: as byteor_attach_fanout_tx(); -EINVAL also for a bad mode or a
 * CALLBACK mode without @ro->route; -EBUSY if a router is attached.
 */
BYTEOR_API int byteor_attach_fanout_router(const struct byteor_attach_options *o,
					   const struct byteor_fanout_router_options *ro,
					   struct byteor_fanout **out);

/**
 * byteor_attach_fanout_observer() - attach read-only, for snapshots.
 * @o:   as byteor_attach_fanout_tx() (flags may hold BYTEOR_ATTACH_OBSERVER)
 * @out: receives the handle
 *
 * Return: as byteor_attach_fanout_tx(), without -EBUSY.
 */
BYTEOR_API int byteor_attach_fanout_observer(const struct byteor_attach_options *o,
					     struct byteor_fanout **out);

/**
 * byteor_fanout_detach() - leave (consumers: tell the router at once),
 * release the claim, unmap.  Claimed and unpublished slots are dropped;
 * peeked and unreleased messages are dropped for this consumer index.
 * @f: a handle or NULL
 */
BYTEOR_API void byteor_fanout_detach(struct byteor_fanout *f);

/**
 * byteor_fanout_claim() - claim up to @n free slots (producer).
 * @f: producer handle
 * @s: receives the slots (data, len = slot_size, key = 0)
 * @n: slots wanted (clamped to BYTEOR_FANOUT_BATCH_MAX)
 *
 * Waits as the attach's timeout_ns says for at least one slot.  Only one
 * claim may be outstanding.
 * Return: slots claimed (1..@n; 0 if @n is 0), or -EBADF (not the
 * producer), -EBUSY (a claim is outstanding), -EAGAIN, -ETIMEDOUT, -EPIPE
 * (the router is gone), -EBADMSG (the router's position is corrupt).
 */
BYTEOR_API int byteor_fanout_claim(struct byteor_fanout *f,
				   struct byteor_fanout_slot *s, unsigned int n);
BYTEOR_API int byteor_fanout_claim_timed(struct byteor_fanout *f,
					 struct byteor_fanout_slot *s,
					 unsigned int n, long long timeout_ns);

/**
 * byteor_fanout_publish() - publish the first @n claimed slots, with
 * their lengths and keys (one release store; the router is woken only if
 * it parked).
 * @f: producer handle
 * @s: the claim's slots
 * @n: at most the slots claimed; the rest stay claimed
 *
 * Return: @n, or -EBADF, -EINVAL (@n too large, NULL @s, a len above
 * slot_size: nothing is published).
 */
BYTEOR_API int byteor_fanout_publish(struct byteor_fanout *f,
				     const struct byteor_fanout_slot *s,
				     unsigned int n);

/**
 * byteor_fanout_send() - copy one message in and publish it (producer).
 * Return: 0, or -EMSGSIZE (@len above slot_size) and claim's errors.
 */
BYTEOR_API int byteor_fanout_send(struct byteor_fanout *f, const void *buf,
				  size_t len, __u64 key);
BYTEOR_API int byteor_fanout_send_timed(struct byteor_fanout *f,
					const void *buf, size_t len, __u64 key,
					long long timeout_ns);

/**
 * byteor_fanout_route() - route up to @max published messages (router).
 * @f:   router handle
 * @max: messages at most (clamped to BYTEOR_FANOUT_BATCH_MAX)
 *
 * Admits consumers that asked to join, drops members that left, then
 * routes.  Waits as timeout_ns says for at least one message to route.
 * Return: messages routed (>= 1; 0 if @max is 0), or -EBADF (not the
 * router), -EAGAIN, -ETIMEDOUT, -EPIPE (the producer is gone and all it
 * published is routed), -EBADMSG (the producer's position is corrupt).
 */
BYTEOR_API int byteor_fanout_route(struct byteor_fanout *f, unsigned int max);
BYTEOR_API int byteor_fanout_route_timed(struct byteor_fanout *f,
					 unsigned int max, long long timeout_ns);

/**
 * byteor_fanout_peek() - look at up to @n messages routed to this
 * consumer, in order, in place.
 * @f: consumer handle
 * @m: receives the messages
 * @n: wanted (clamped to BYTEOR_FANOUT_PEEK_MAX)
 *
 * Waits as timeout_ns says for at least one.  A corrupt routed entry or
 * message length ends the batch before it; if it is the first, it is
 * skipped (released) and -EBADMSG returned: the next call goes on.
 * Return: messages (1..@n; 0 if @n is 0), or -EBADF (not a consumer),
 * -EAGAIN, -ETIMEDOUT, -EPIPE, -EBADMSG.
 */
BYTEOR_API int byteor_fanout_peek(struct byteor_fanout *f,
				  struct byteor_fanout_msg *m, unsigned int n);
BYTEOR_API int byteor_fanout_peek_timed(struct byteor_fanout *f,
					struct byteor_fanout_msg *m,
					unsigned int n, long long timeout_ns);

/**
 * byteor_fanout_release() - release the first @n peeked messages.
 * Return: @n, or -EBADF, -EINVAL (more than peeked).
 */
BYTEOR_API int byteor_fanout_release(struct byteor_fanout *f, unsigned int n);

/**
 * byteor_fanout_recv() - copy the next message out and release it.
 * @f:   consumer handle
 * @buf: where to copy
 * @cap: room at @buf
 * @m:   if not NULL, receives len, key_hash, seq (data = @buf)
 *
 * Return: the length, or -EMSGSIZE (longer than @cap; not released), and
 * byteor_fanout_peek()'s errors.
 */
BYTEOR_API int byteor_fanout_recv(struct byteor_fanout *f, void *buf,
				  size_t cap, struct byteor_fanout_msg *m);
BYTEOR_API int byteor_fanout_recv_timed(struct byteor_fanout *f, void *buf,
					size_t cap, struct byteor_fanout_msg *m,
					long long timeout_ns);

/**
 * byteor_fanout_joined() - has the router admitted this consumer?
 * Return: 1 yes, 0 not yet, -EBADF not a consumer.
 */
BYTEOR_API int byteor_fanout_joined(struct byteor_fanout *f);

/**
 * byteor_fanout_snapshot() - positions, gating, members, waiters, claims.
 * @f: any handle
 * @s: filled in
 *
 * One claim-liveness check per role (system calls on the userspace
 * backing): not for the hot path.
 * Return: 0, or -EINVAL (NULL argument).
 */
BYTEOR_API int byteor_fanout_snapshot(const struct byteor_fanout *f,
				      struct byteor_fanout_snapshot *s);

/* The 32-bit hash the slot header keeps of a 64-bit key. */
BYTEOR_API __u32 byteor_fanout_key_hash(__u64 key);

/* Private geometry: payload bytes per slot, slots, consumers. */
BYTEOR_API unsigned int byteor_fanout_slot_size(const struct byteor_fanout *f);
BYTEOR_API unsigned int byteor_fanout_capacity(const struct byteor_fanout *f);
BYTEOR_API unsigned int byteor_fanout_consumers(const struct byteor_fanout *f);

#ifdef __cplusplus
}
#endif

#endif /* _BYTEOR_FANOUT_H */
