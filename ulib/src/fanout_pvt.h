/* SPDX-License-Identifier: MIT */
/*
 * fanout_pvt.h - the fanout lane's shared-memory layout and private handle.
 * Private: do not include directly from applications; not installed.
 *
 * Region (BYTEOR_KIND_FANOUT, geometry: slot_size, capacity C slots,
 * queues = N consumers):
 *  - control block 0: struct __byteor_fo_prod (producer);
 *  - control block 1: struct __byteor_fo_router (router);
 *  - control block 2 + i: struct __byteor_fo_cons (consumer i);
 *  - SLOTS: one ring of C slots of 8 + slot_size bytes; slot header =
 *    u32 length, u32 key hash; message m lives in slot m & (C - 1);
 *  - AUX: N routed index queues of C u64 entries each: entry k of queue i
 *    holds the sequence number of the k-th message routed to consumer i.
 *
 * Positions (free-running u64, compared by unsigned difference):
 *  P  producer: messages published          (block 0, written by producer)
 *  R  router: messages routed                (block 1, written by router)
 *  T_i router: entries appended to queue i    (block 2+i line 128, router)
 *  H_i consumer i: entries released           (block 2+i line 0, consumer;
 *     also written once by the router when it admits a consumer, while
 *     that consumer is waiting for the admission and reads nothing)
 *
 * Gating.  The producer may write message m only when slot m & (C - 1) is
 * free: m - C < gate, gate = min(R, for each member i with H_i < T_i: the
 * sequence in entry H_i of queue i).  Entries of a queue are increasing, so
 * entry H_i is the oldest message consumer i still holds.  Each queue holds
 * at most C unreleased entries (they are distinct messages of the window
 * [gate, P), which is at most C long), so the router never overruns one.
 *
 * Membership is the router's: a consumer asks to join by writing a new
 * generation into join_req (0 asks to leave); the router admits it by
 * setting H_i = T_i (nothing old is delivered), start = R, then
 * release-storing joined = generation, then the member bit.  The router
 * drops a member that left, or whose claim is dead; only members gate the
 * producer.  Because a (re)joining consumer starts at T_i, no entry routed
 * while it was not a member - whose message may have been overwritten -
 * is ever read.
 *
 * Memory order:
 *  - producer: writes slots, release-stores P; router acquire-loads P
 *    (publish -> route);
 *  - router: writes entries, stores rpos_i, release-stores T_i, then
 *    release-stores R; a consumer acquire-loads T_i before reading entries
 *    and slots (route -> consume: happens-before is transitive, so the
 *    producer's slot writes are visible too);
 *  - the producer acquire-loads R, then members, T_i, H_i: since T_i is
 *    stored before R, every message below the R it read is either in a
 *    visible entry of each member it went to or was released;
 *  - consumer: reads slots, release-stores H_i; the producer's acquire
 *    load of H_i orders those reads before it rewrites the slots.
 */
#ifndef _BYTEOR_FANOUT_PVT_H
#define _BYTEOR_FANOUT_PVT_H

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <byteor/fanout.h>
#include "internal.h"
#include "wait_pvt.h"
#include "single_ring_pvt.h"	/* struct __byteor_side, __byteor_lane_wait() */

/* Entries a consumer peeks at once (it remembers their sequences). */
#define __BYTEOR_FO_PEEK_MAX	BYTEOR_FANOUT_PEEK_MAX

/* Router: the per-message header of a slot. */
struct __byteor_fo_hdr {
	__u32 len;
	__u32 key_hash;
};

_Static_assert(sizeof(struct __byteor_fo_hdr) == BYTEOR_SLOT_HEADER, "fo hdr");

/*
 * Control block 0.  Parts with different writers are 128 bytes apart
 * (adjacent-line prefetch pairs 64-byte lines).
 * @side: pos = P; skipped = corrupt values the producer met
 * @data: the router parks here (no message to route, no join request);
 *        the producer and joining/leaving consumers notify
 * @room: the producer parks here (ring full); the router and consumers
 *        notify after they move R or H_i
 */
struct __byteor_fo_prod {
	struct __byteor_side side;
	__u8 pad0[192];
	struct __byteor_ec data;
	__u8 pad1[64];
	struct __byteor_ec room;
	__u8 pad2[64];
};

/*
 * Control block 1.
 * @side:    pos = R; skipped = messages dropped (routed to nobody)
 * @members: bit i: consumer i is a member (release-stored by the router)
 * @corrupt: corrupt values the router met
 * @mode:    the router's enum byteor_fanout_mode + 1 (0: never attached)
 */
struct __byteor_fo_router {
	struct __byteor_side side;
	__u8 pad0[64];
	_Atomic __u64 members;
	_Atomic __u64 corrupt;
	_Atomic __u32 mode;
	__u32 pad1;
	__u64 pad2[5];
};

/*
 * Control block 2 + i.
 * @side:     pos = H_i, attaches, parks, park_path (consumer)
 * @tail:     T_i (router)
 * @rpos:     R after the router's last append to this queue: every entry
 *            below T_i names a message below it (router)
 * @joined:   the generation the router admitted (router)
 * @start:    R when it was admitted: entries name messages >= start
 * @data:     consumer i parks here; the router notifies after appending
 * @join_req: the generation asking to join, 0 to leave (consumer)
 */
struct __byteor_fo_cons {
	struct __byteor_side side;
	__u8 pad0[64];
	_Atomic __u64 tail;
	_Atomic __u64 rpos;
	_Atomic __u64 joined;
	_Atomic __u64 start;
	__u64 pad1[4];
	__u8 pad2[64];
	struct __byteor_ec data;
	__u8 pad3[64];
	_Atomic __u64 join_req;
	__u64 pad4[7];
	__u8 pad5[64];
};

_Static_assert(offsetof(struct __byteor_fo_prod, data) == 256, "fo prod data");
_Static_assert(offsetof(struct __byteor_fo_prod, room) == 384, "fo prod room");
_Static_assert(sizeof(struct __byteor_fo_prod) <= BYTEOR_CONTROL_STRIDE, "fo prod");
_Static_assert(offsetof(struct __byteor_fo_router, members) == 128, "fo router");
_Static_assert(sizeof(struct __byteor_fo_router) <= BYTEOR_CONTROL_STRIDE, "fo router");
_Static_assert(offsetof(struct __byteor_fo_cons, tail) == 128, "fo cons tail");
_Static_assert(offsetof(struct __byteor_fo_cons, data) == 256, "fo cons data");
_Static_assert(offsetof(struct __byteor_fo_cons, join_req) == 384, "fo cons req");
_Static_assert(sizeof(struct __byteor_fo_cons) <= BYTEOR_CONTROL_STRIDE, "fo cons");

/* One handle, whatever the role; fields of other roles stay zero. */
struct byteor_fanout {
	/* Geometry, private (from the attach descriptor). */
	__u64 cap;
	__u64 mask;
	__u32 stride;
	__u32 slot_size;
	__u32 nq;
	int role;
	__u64 all;			/* (1 << nq) - 1 */
	unsigned char *ring;
	_Atomic __u64 *aux;		/* queue i: aux + i * cap */
	unsigned char *ctl;		/* control area */
	struct __byteor_fo_prod *pc;
	struct __byteor_fo_router *rc;

	/* Producer. */
	__u64 pos;			/* P, authoritative */
	__u64 claimed;
	__u64 gate;			/* last proven gate */

	/* Router. */
	__u64 rpos;			/* R, authoritative */
	__u64 members;
	__u64 tails[BYTEOR_MAX_QUEUES];	/* T_i, authoritative */
	__u64 jgen[BYTEOR_MAX_QUEUES];	/* join_req value last handled */
	__u8 mlist[BYTEOR_MAX_QUEUES];	/* member indices, ascending */
	__u32 mcount;
	__u32 rr;			/* round-robin: index into mlist */
	/*
	 * A restarted router: member i already has every message below
	 * resume_until[i] its dead predecessor routed to it (bit i of
	 * resume_mask; see rt_resume_bounds()).
	 */
	__u64 resume_mask;
	__u64 resume_until[BYTEOR_MAX_QUEUES];
	int mode;
	__u64 (*route)(void *arg, const struct byteor_fanout_msg *m,
		       __u64 members);
	void *route_arg;
	long long next_live_ns;

	/* Consumer. */
	struct __byteor_fo_cons *cc;
	_Atomic __u64 *queue;
	__u32 q;
	bool joined;
	__u64 gen;
	__u64 head;			/* H_i, authoritative once joined */
	__u64 tail;			/* last T_i read */
	__u64 bound;			/* rpos read with it */
	__u64 next_min;			/* entries must name messages >= this */
	__u32 peeked;
	__u64 pseq[__BYTEOR_FO_PEEK_MAX];

	/* Waiting. */
	bool waiter_ok;
	bool tick;
	long long timeout_ns;
	struct __byteor_region *reg;
	struct __byteor_waiter w;
};

static inline struct __byteor_fo_cons *__byteor_fo_cons(const struct byteor_fanout *f,
							__u32 i)
{
	return (struct __byteor_fo_cons *)(f->ctl + (2 + (__u64)i) *
					   BYTEOR_CONTROL_STRIDE);
}

static inline _Atomic __u64 *__byteor_fo_queue(const struct byteor_fanout *f,
					       __u32 i)
{
	return f->aux + (__u64)i * f->cap;
}

static inline unsigned char *__byteor_fo_slot(const struct byteor_fanout *f,
					      __u64 seq)
{
	return f->ring + (seq & f->mask) * f->stride;
}

/* The router's claim word; consumer i's is 1 + i, the producer's 0. */
static inline __u32 __byteor_fo_router_claim(const struct byteor_fanout *f)
{
	return 1 + f->nq;
}

int __byteor_fo_router_init(struct byteor_fanout *f,
			    const struct byteor_fanout_router_options *ro) __BYTEOR_HIDDEN;
int __byteor_fo_wait(struct byteor_fanout *f, struct __byteor_ec *ec,
		     int (*ready)(void *), int (*tick)(void *),
		     struct __byteor_side *side, long long timeout_ns) __BYTEOR_HIDDEN;

#endif /* _BYTEOR_FANOUT_PVT_H */
