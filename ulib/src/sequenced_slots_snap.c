// SPDX-License-Identifier: MIT
/*
 * sequenced_slots_snap.c - byteor_sequenced_slots_snapshot(): what a
 * sequenced-slots ring looks like right now, for byteorctl stat and for
 * supervisors deciding to remove a dead stage.  Reads only; every value is
 * display data (nothing here computes an address).
 */
#include <errno.h>
#include <string.h>
#include "sequenced_slots_pvt.h"
#include "single_ring_pvt.h"	/* __byteor_process_park_path() */

static __u32 seq_claim_pid(const struct __byteor_region *reg, __u32 claim)
{
	/* Display only: any writer can scribble on the mirror. */
	return __atomic_load_n(&__byteor_header(reg)->claims[claim].pid,
			       __ATOMIC_RELAXED);
}

int byteor_sequenced_slots_snapshot(const struct byteor_sequenced_slots *h,
				    struct byteor_sequenced_slots_snapshot *s)
{
	__u32 removed, set, i;
	__u64 c, g;
	int j;

	if (!h || !s)
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	removed = atomic_load_explicit(&h->prod->removed, memory_order_acquire) &
		  h->all;
	/* Stages first, then the cursor: each stage must be <= the cursor. */
	for (i = 0; i < h->nstages; i++)
		s->stage[i].gating = atomic_load_explicit(&h->stage[i]->gating,
							  memory_order_acquire);
	c = atomic_load_explicit(&h->prod->cursor, memory_order_acquire);
	s->cursor = c;
	s->gate = atomic_load_explicit(&h->prod->gate, memory_order_relaxed);
	s->capacity = (__u32)h->f.cap;
	s->slot_size = h->slot_size;
	s->stages = h->nstages;
	s->removed_mask = removed;
	s->terminal_mask = h->terminal;
	s->cursor_waiters = __byteor_ec_waiters(&h->prod->cursor_ec);
	s->producer_alive = __byteor_claim_alive(h->reg, 0);
	s->producer_pid = seq_claim_pid(h->reg, 0);
	s->producer_attaches = atomic_load_explicit(&h->prod->attaches,
						    memory_order_relaxed);
	s->producer_parks = atomic_load_explicit(&h->prod->parks,
						 memory_order_relaxed);
	s->producer_park_path = atomic_load_explicit(&h->prod->park_path,
						     memory_order_relaxed);
	for (i = 0; i < h->nstages; i++) {
		struct byteor_sequenced_slots_stage_snapshot *t = &s->stage[i];
		struct __byteor_seq_stage_ctl *ctl = h->stage[i];

		g = t->gating;
		if ((__s64)(c - g) >= 0 && c - g <= h->f.cap)
			t->lag = c - g;
		else
			s->flags |= BYTEOR_SEQ_SNAP_F_CORRUPT;
		t->alive = __byteor_claim_alive(h->reg, 1 + i);
		t->removed = !!(removed & (1U << i));
		t->terminal = !!(h->terminal & (1U << i));
		t->deps = h->deps[i];
		t->waiters = __byteor_ec_waiters(&ctl->ec);
		t->pid = seq_claim_pid(h->reg, 1 + i);
		t->attaches = atomic_load_explicit(&ctl->attaches,
						   memory_order_relaxed);
		t->parks = atomic_load_explicit(&ctl->parks, memory_order_relaxed);
		t->park_path = atomic_load_explicit(&ctl->park_path,
						    memory_order_relaxed);
	}
	/* The producer's view: terminal stages, removed ones expanded. */
	/* (A removed stage following the cursor stands for the cursor.) */
	set = h->terminal;
	for (j = (int)h->nstages - 1; j >= 0; j--) {
		if (!(set & removed & (1U << j)))
			continue;
		set &= ~(1U << j);
		set |= h->deps[j];
	}
	s->min_gating = c;
	for (i = 0; i < h->nstages; i++)
		if ((set & (1U << i)) &&
		    (__s64)(s->stage[i].gating - s->min_gating) < 0)
			s->min_gating = s->stage[i].gating;
	if (c - s->min_gating <= h->f.cap)
		s->occupancy = c - s->min_gating;
	else
		s->flags |= BYTEOR_SEQ_SNAP_F_CORRUPT;
	if (h->role != BYTEOR_ROLE_OBSERVER) {
		__byteor_waiter_stats(&h->w, &s->wait);
		s->park_path = h->w.path;
	} else {
		s->park_path = __byteor_process_park_path();
	}
	return 0;
}
