/* SPDX-License-Identifier: MIT */
/*
 * sequenced_slots_pvt.h - the shared-memory layout of a sequenced-slots
 * region (BYTEOR_KIND_SEQUENCED_SLOTS) and the handle behind
 * struct byteor_sequenced_slots.
 * Private: do not include directly from applications; not installed.
 *
 * Control area: block 0 is the producer's (struct __byteor_seq_prod_ctl),
 * block 1 + i stage i's (struct __byteor_seq_stage_ctl), each
 * BYTEOR_CONTROL_STRIDE bytes.  Every word with a different writer sits on
 * a 128-byte pair of lines of its own (adjacent-line prefetch pairs 64-byte
 * lines).  Slots area: capacity slots of 8 + slot_size bytes; the 8-byte
 * slot header holds the entry's sequence, written by the producer at claim.
 *
 * Memory model (C11 atomics on shared memory):
 *  - sequences are free-running 64-bit counts compared by unsigned (or
 *    signed, for "behind/ahead") difference; a slot is ring[seq & mask],
 *    mask from the PRIVATE geometry;
 *  - the producer writes entries and slot headers with plain / relaxed
 *    stores, then release-stores the cursor; a stage acquire-loads the
 *    cursor (or its dependencies' gating sequences) before touching the
 *    entries they cover;
 *  - a stage release-stores its gating sequence after it is done with the
 *    entries below it; its dependents and the producer acquire-load it
 *    before reading (dependents) or reusing (producer) those entries;
 *  - removal and re-attach: see __byteor_seq_prod_ctl.gate and .removed;
 *    a consumer's barrier loads the removal mask before and after its
 *    sources (seq_cst), a re-attaching stage clears its removed bit before
 *    loading the same sources (seq_cst): a barrier computed while the
 *    stage looked removed is never above the stage's start.
 */
#ifndef _BYTEOR_SEQUENCED_SLOTS_PVT_H
#define _BYTEOR_SEQUENCED_SLOTS_PVT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <byteor/sequenced_slots.h>
#include "internal.h"
#include "wait_pvt.h"

/*
 * struct __byteor_seq_prod_ctl - control block 0.
 * @cursor:    entries published (producer; line 0)
 * @attaches:  producer attaches since creation (0: never, so an absent
 *             producer is "not yet", not "gone")
 * @parks:     times the producer parked (full ring)
 * @park_path: enum byteor_park_path the producer parks through
 * @gate:      the gating floor the producer last computed: it claims only
 *             below gate + capacity (producer; 128).  A stage re-attaching
 *             after a removal starts no lower than gate, so it never reads
 *             an entry the producer may already reuse.  Dekker handshake,
 *             all seq_cst: the producer stores gate then re-loads @removed
 *             (and recomputes if it changed); the stage stores its gating
 *             sequence, clears its @removed bit, then loads gate.  Either
 *             the producer's re-load sees the bit cleared (and gates on the
 *             stage), or the stage's load sees the new gate.
 * @removed:   bit i: stage i removed from gating (operators and
 *             re-attaching stages, atomic RMW; 256).  Bit 16 + i: stage
 *             i is joining - its removal is over (or about to be) but its
 *             start is not final yet; whoever attaches at i next
 *             completes the join (seq_join()).  Readers of the removal
 *             mask ignore the join bits.
 * @cursor_ec: stages following the cursor park here (384)
 */
struct __byteor_seq_prod_ctl {
	_Atomic __u64 cursor;
	_Atomic __u64 attaches;
	_Atomic __u64 parks;
	_Atomic __u32 park_path;
	__u32 pad0;
	__u64 pad1[4];
	__u8 pad2[64];
	_Atomic __u64 gate;
	__u64 pad3[7];
	__u8 pad4[64];
	_Atomic __u32 removed;
	__u32 pad5[15];
	__u8 pad6[64];
	struct __byteor_ec cursor_ec;
	__u8 pad7[64];
};

/*
 * struct __byteor_seq_stage_ctl - control block 1 + i, stage i's.
 * @gating:    entries stage i has finished (that stage; line 0)
 * @attaches:  attaches at this index since creation
 * @parks:     times this stage parked (its own waits)
 * @park_path: enum byteor_park_path this stage parks through
 * @ec:        whoever waits for @gating parks here: dependents, and the
 *             producer facing a full ring (128)
 */
struct __byteor_seq_stage_ctl {
	_Atomic __u64 gating;
	_Atomic __u64 attaches;
	_Atomic __u64 parks;
	_Atomic __u32 park_path;
	__u32 pad0;
	__u64 pad1[4];
	__u8 pad2[64];
	struct __byteor_ec ec;
	__u8 pad3[64];
};

_Static_assert(offsetof(struct __byteor_seq_prod_ctl, gate) == 128, "seq gate");
_Static_assert(offsetof(struct __byteor_seq_prod_ctl, removed) == 256, "seq removed");
_Static_assert(offsetof(struct __byteor_seq_prod_ctl, cursor_ec) == 384, "seq cursor ec");
_Static_assert(sizeof(struct __byteor_seq_prod_ctl) == 512, "seq prod block");
_Static_assert(offsetof(struct __byteor_seq_stage_ctl, ec) == 128, "seq stage ec");
_Static_assert(sizeof(struct __byteor_seq_stage_ctl) == 256, "seq stage block");
_Static_assert(sizeof(struct __byteor_seq_prod_ctl) <= BYTEOR_CONTROL_STRIDE &&
	       sizeof(struct __byteor_seq_stage_ctl) <= BYTEOR_CONTROL_STRIDE,
	       "control blocks fit their stride");

/* Where a test or tool finds the shared words (offsets in the control area). */
#define __BYTEOR_SEQ_CURSOR_OFF		0ULL
#define __BYTEOR_SEQ_STAGE_OFF(i)	((__u64)BYTEOR_CONTROL_STRIDE * (1 + (i)))

/* Bit 16 + i of __byteor_seq_prod_ctl.removed: stage i is joining. */
#define __BYTEOR_SEQ_JOIN_SHIFT		16
_Static_assert(BYTEOR_MAX_STAGES <= __BYTEOR_SEQ_JOIN_SHIFT, "join bits");

/* A wait source: a stage index, or the cursor. */
#define __BYTEOR_SEQ_SRC_CURSOR		(-1)

/*
 * struct byteor_sequenced_slots - one handle's private view.  Nothing here
 * is shared or trusted from shared memory.
 * @f:         first: what the inline paths use (byteor/seq_inline.h): the
 *             ring, the shared words they touch, the private geometry, and
 *             pos (producer: the cursor; stage: its gating sequence; both
 *             authoritative), claimed (producer: claimed, not published;
 *             stage: polls since a look at the cursor found nothing new),
 *             limit (producer: cached gating floor, claims stay below
 *             limit + cap; stage: cached barrier), cursor_seen (highest
 *             cursor this handle has read: barrier sanity)
 * @prod, @stage: the control blocks (shared)
 * @slot_size: payload bytes, from the private geometry
 * @nstages:   stages in the geometry
 * @deps:      stage_deps of the private geometry
 * @terminal:  bit i: no stage depends on stage i
 * @role:      BYTEOR_ROLE_PRODUCER, _CONSUMER (stage or subscriber), _OBSERVER
 * @subscriber: a stage handle attached as a subscriber
 * @idx:       stage index (stages and subscribers)
 */
struct byteor_sequenced_slots {
	struct __byteor_seq_fast f;
	struct __byteor_seq_prod_ctl *prod;
	__u32 slot_size;
	__u32 nstages;
	__u32 terminal;
	__u32 all;
	int role;
	int idx;
	bool subscriber;
	bool waiter_ok;
	bool tick;
	long long timeout_ns;
	struct __byteor_region *reg;
	struct __byteor_seq_stage_ctl *stage[BYTEOR_MAX_STAGES];
	__u32 deps[BYTEOR_MAX_STAGES];
	struct __byteor_waiter w;
};

_Static_assert(offsetof(struct byteor_sequenced_slots, f) == 0,
	       "the inline paths cast the handle to its fast view");

#endif /* _BYTEOR_SEQUENCED_SLOTS_PVT_H */
