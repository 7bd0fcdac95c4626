// SPDX-License-Identifier: MIT
/*
 * sequenced_slots.c - sequenced slots (byteor/sequenced_slots.h): the
 * Disruptor ring.  Attach, the producer's claim / publish, the stages'
 * barriers, removal of dead stages.  Shared layout and memory model:
 * sequenced_slots_pvt.h.  Snapshots: sequenced_slots_snap.c.
 *
 * Waiting: a call that cannot proceed finds ONE sequence it is behind (the
 * cursor, or a stage's gating sequence; a removed stage stands for its own
 * dependencies) and parks on that sequence's eventcount until it passes the
 * needed value, or the removal mask changes; then it re-evaluates
 * everything.  Sequences only grow, so waiting for each lagging source in
 * turn is waiting for all of them, and no wake-up is ever expected from a
 * sequence the waiter is not parked on.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <byteor/crashpoint.h>
#include "sequenced_slots_pvt.h"
#include "single_ring_pvt.h"	/* __byteor_lane_wait(), the shared loop */

#define SEQ_NONE	(-2)		/* no lagging source */
#define SEQ_TRIES	8		/* removal-mask races before -EBADMSG */

static inline __s64 sdiff(__u64 a, __u64 b)
{
	return (__s64)(a - b);
}

/* Slot header (the entry's sequence) of @seq. */
static inline __u64 *seq_hdr(const struct byteor_sequenced_slots *h, __u64 seq)
{
	return __byteor_seq_hdr(&h->f, seq);
}

static inline __u32 seq_removed(const struct byteor_sequenced_slots *h,
				memory_order mo)
{
	/* Untrusted: only bits of existing stages mean anything. */
	return atomic_load_explicit(&h->prod->removed, mo) & h->all;
}

/*
 * The sources stage set @set stands for: removed stages replaced by their
 * dependencies (or the cursor, *@cursor), transitively.  Dependencies are
 * earlier stages, so one pass from the highest index down suffices.
 */
static __u32 seq_expand(const struct byteor_sequenced_slots *h, __u32 set,
			__u32 removed, bool *cursor)
{
	int j;

	*cursor = false;
	for (j = (int)h->nstages - 1; j >= 0; j--) {
		if (!(set & removed & (1U << j)))
			continue;
		set &= ~(1U << j);
		if (h->deps[j])
			set |= h->deps[j];
		else
			*cursor = true;
	}
	return set;
}

/* @set and every stage it (transitively) depends on. */
static __u32 seq_ancestors(const struct byteor_sequenced_slots *h, __u32 set)
{
	int j;

	for (j = (int)h->nstages - 1; j >= 0; j--)
		if (set & (1U << j))
			set |= h->deps[j];
	return set;
}

static inline __u64 seq_src_load_mo(const struct byteor_sequenced_slots *h,
				    int src, memory_order mo)
{
	/*
	 * Acquire (at least): pairs with the release store of the cursor in
	 * ..._producer_publish() or of a gating sequence in seq_advance() /
	 * seq_join(): the entries below the value are finished by their
	 * writer.
	 */
	if (src == __BYTEOR_SEQ_SRC_CURSOR)
		return atomic_load_explicit(&h->prod->cursor, mo);
	return atomic_load_explicit(&h->stage[src]->gating, mo);
}

static inline __u64 seq_src_load(const struct byteor_sequenced_slots *h,
				 int src)
{
	return seq_src_load_mo(h, src, memory_order_acquire);
}

/* ------------------------------------------------------------------------
 * Evaluations: the barrier value, and one source that is behind @need.
 */

struct seq_eval {
	__u32 set;		/* stages (before expansion) */
	bool cursor;		/* ... or the cursor */
	__u64 need;		/* the value every source must reach */
	__u64 min;		/* out: the barrier */
	int lag;		/* out: a source below need, or SEQ_NONE */
	__u32 removed;		/* out: the removal mask used */
};

/*
 * A consumer's barrier (stages, subscribers, observers' barrier calls):
 * the minimum over the expanded sources.  Stage values are read before the
 * cursor, so each must be <= it (a stage never passes the cursor); the
 * cursor may not move back by more than a ring.  Return: 0 or -EBADMSG.
 */
static int seq_eval_consumer(struct byteor_sequenced_slots *h,
			     struct seq_eval *e)
{
	__u64 g[BYTEOR_MAX_STAGES], c;
	unsigned int tries;
	__u32 set, again;
	bool cur;
	int j;

	/*
	 * The mask is loaded before the sources and re-loaded after them,
	 * all seq_cst: pairs with a re-attaching stage's seq_cst clear of
	 * its removed bit followed by its seq_cst loads of the same sources
	 * (seq_attach_stage(), seq_join()).  If both mask loads see the
	 * stage removed, they precede the clear, so the stage's loads see
	 * sources at least as far as ours and it starts at or above the
	 * barrier computed here.  If the mask changed, evaluate again.
	 */
	e->removed = seq_removed(h, memory_order_seq_cst);
	for (tries = 0;; tries++) {
		if (tries == SEQ_TRIES)
			return -EBADMSG;	/* a scribbler flips the mask */
		BYTEOR_CRASHPOINT("seq.consumer.mask_loaded");
		set = seq_expand(h, e->set, e->removed, &cur);
		cur |= e->cursor;
		for (j = 0; j < (int)h->nstages; j++)
			if (set & (1U << j))
				g[j] = seq_src_load_mo(h, j, memory_order_seq_cst);
		c = seq_src_load_mo(h, __BYTEOR_SEQ_SRC_CURSOR,
				    memory_order_seq_cst);
		again = seq_removed(h, memory_order_seq_cst);
		if (again == e->removed)
			break;
		e->removed = again;
	}
	if (sdiff(c, h->f.cursor_seen) < -(__s64)h->f.cap) {
		/*
		 * Back by more than a ring: a scribble now, or the true
		 * cursor after one that raised cursor_seen.  Report it once
		 * and resynchronise, so the lane heals once scribbling stops.
		 */
		h->f.cursor_seen = c;
		return -EBADMSG;
	}
	/*
	 * A stage never sees the true cursor more than a ring ahead of its
	 * own position (a descendant of it gates the producer): such a
	 * value is a scribble and must not raise cursor_seen.
	 */
	if (sdiff(c, h->f.cursor_seen) > 0 &&
	    (h->role != BYTEOR_ROLE_CONSUMER || c - h->f.pos <= h->f.cap))
		h->f.cursor_seen = c;
	e->lag = SEQ_NONE;
	e->min = c;
	if (cur && sdiff(c, e->need) < 0)
		e->lag = __BYTEOR_SEQ_SRC_CURSOR;
	for (j = 0; j < (int)h->nstages; j++) {
		if (!(set & (1U << j)))
			continue;
		if (sdiff(g[j], c) > 0)
			return -EBADMSG;
		if (sdiff(g[j], e->min) < 0)
			e->min = g[j];
		if (sdiff(g[j], e->need) < 0 && e->lag == SEQ_NONE)
			e->lag = j;
	}
	return 0;
}

/* Re-assert our own shared sequence if someone scribbled on it. */
static void seq_heal(struct byteor_sequenced_slots *h)
{
	_Atomic __u64 *mine;

	if (h->role == BYTEOR_ROLE_OBSERVER)
		return;
	mine = h->role == BYTEOR_ROLE_PRODUCER ? &h->prod->cursor :
		&h->stage[h->idx]->gating;
	if (atomic_load_explicit(mine, memory_order_relaxed) != h->f.pos)
		atomic_store_explicit(mine, h->f.pos, memory_order_release);
}

/*
 * The producer's gating floor: the minimum over the terminal stages
 * (expanded), never above its own cursor.  Each must be at most a ring
 * behind the cursor and never ahead.  Publishes the floor as gate (see
 * struct __byteor_seq_prod_ctl for the handshake).  Return: 0 or -EBADMSG.
 */
static int seq_eval_producer(struct byteor_sequenced_slots *h,
			     struct seq_eval *e)
{
	__u32 set, again;
	unsigned int tries;
	__u64 g;
	bool cur;
	int j;

	/* seq_cst: the first half of the handshake with a re-attach. */
	e->removed = seq_removed(h, memory_order_seq_cst);
	for (tries = 0; tries < SEQ_TRIES; tries++) {
		set = seq_expand(h, h->terminal, e->removed, &cur);
		e->min = h->f.pos;
		e->lag = SEQ_NONE;
		for (j = 0; j < (int)h->nstages; j++) {
			if (!(set & (1U << j)))
				continue;
			g = seq_src_load(h, j);
			if (sdiff(g, h->f.pos) > 0 || h->f.pos - g > h->f.cap)
				return -EBADMSG;
			if (sdiff(g, e->min) < 0)
				e->min = g;
			if (sdiff(g, e->need) < 0 && e->lag == SEQ_NONE)
				e->lag = j;
		}
		/*
		 * seq_cst store then load: pairs with the re-attaching
		 * stage's seq_cst store of its gating sequence, clear of its
		 * removed bit and load of gate (seq_attach_stage()).
		 */
		atomic_store_explicit(&h->prod->gate, e->min, memory_order_seq_cst);
		BYTEOR_CRASHPOINT("seq.producer.gate_stored");
		again = seq_removed(h, memory_order_seq_cst);
		if (again == e->removed)
			return 0;
		e->removed = again;
	}
	return -EBADMSG;	/* the mask keeps changing: a scribbler */
}

/* ------------------------------------------------------------------------
 * Waiting.
 */

struct seq_waiting {
	struct byteor_sequenced_slots *h;
	struct seq_eval *e;
	int src;		/* the source parked on */
	__u32 closure;		/* stages whose death stops this wait */
	bool cursor_matters;	/* a dead producer stops it too */
};

/* Ready: the source passed need, or the removal mask changed. */
static int seq_ready(void *arg)
{
	struct seq_waiting *sw = arg;

	if (sdiff(seq_src_load(sw->h, sw->src), sw->e->need) >= 0)
		return 1;
	return seq_removed(sw->h, memory_order_acquire) != sw->e->removed;
}

/*
 * Between park slices: is something this wait depends on dead?  A stage
 * that attached once, is not removed, has not reached need and whose claim
 * is free can never get there; nor can a dead producer's cursor.
 */
static int seq_tick(void *arg)
{
	struct seq_waiting *sw = arg;
	struct byteor_sequenced_slots *h = sw->h;
	__u32 live = sw->closure & ~seq_removed(h, memory_order_acquire);
	int j;

	if (seq_ready(sw))
		return 1;
	for (j = 0; j < (int)h->nstages; j++) {
		struct __byteor_seq_stage_ctl *s = h->stage[j];

		if (!(live & (1U << j)) || j == h->idx)
			continue;
		if (sdiff(seq_src_load(h, j), sw->e->need) >= 0 ||
		    !atomic_load_explicit(&s->attaches, memory_order_relaxed))
			continue;
		if (!__byteor_claim_alive(h->reg, 1 + j) &&
		    sdiff(seq_src_load(h, j), sw->e->need) < 0)
			return -EPIPE;
	}
	if (sw->cursor_matters &&
	    sdiff(seq_src_load(h, __BYTEOR_SEQ_SRC_CURSOR), sw->e->need) < 0 &&
	    atomic_load_explicit(&h->prod->attaches, memory_order_relaxed) &&
	    !__byteor_claim_alive(h->reg, 0) &&
	    sdiff(seq_src_load(h, __BYTEOR_SEQ_SRC_CURSOR), sw->e->need) < 0)
		return -EPIPE;
	return 0;
}

/* Publish this handle's park count for snapshots (slow path). */
static void seq_count_parks(struct byteor_sequenced_slots *h, __u64 before)
{
	_Atomic __u64 *parks;
	_Atomic __u32 *path;

	if (h->w.st.parks == before || h->role == BYTEOR_ROLE_OBSERVER)
		return;
	if (h->role == BYTEOR_ROLE_PRODUCER) {
		parks = &h->prod->parks;
		path = &h->prod->park_path;
	} else {
		parks = &h->stage[h->idx]->parks;
		path = &h->stage[h->idx]->park_path;
	}
	atomic_fetch_add_explicit(parks, h->w.st.parks - before,
				  memory_order_relaxed);
	atomic_store_explicit(path, (__u32)h->w.path, memory_order_relaxed);
}

/*
 * Evaluate with @eval until no source lags, waiting on each lagging one.
 * Return: 0 (e->min is the barrier), -EAGAIN (@timeout_ns 0), -ETIMEDOUT,
 * -EPIPE, -EBADMSG.
 */
static int seq_wait(struct byteor_sequenced_slots *h, struct seq_eval *e,
		    int (*eval)(struct byteor_sequenced_slots *, struct seq_eval *),
		    __u32 closure, bool cursor_matters, long long timeout_ns)
{
	struct seq_waiting sw = {
		.h = h, .e = e, .closure = closure,
		.cursor_matters = cursor_matters,
	};
	struct __byteor_lane_wait lw = {
		.w = &h->w, .ready = seq_ready, .tick = &h->tick,
		.tick_fn = seq_tick, .arg = &sw,
	};
	long long deadline = -1, left;
	__u64 parks;
	int ret;

	if (timeout_ns > 0)
		deadline = __byteor_now_ns() + timeout_ns;
	for (;;) {
		ret = eval(h, e);
		if (ret)
			return ret;
		if (e->lag == SEQ_NONE)
			return 0;
		if (!timeout_ns)
			return -EAGAIN;
		left = -1;
		if (deadline >= 0) {
			left = deadline - __byteor_now_ns();
			if (left <= 0) {
				sw.src = e->lag;
				ret = seq_tick(&sw);
				return ret < 0 ? ret : -ETIMEDOUT;
			}
		}
		sw.src = e->lag;
		lw.ec = e->lag == __BYTEOR_SEQ_SRC_CURSOR ? &h->prod->cursor_ec :
			&h->stage[e->lag]->ec;
		parks = h->w.st.parks;
		ret = __byteor_lane_wait(&lw, left);
		seq_count_parks(h, parks);
		if (ret == -ETIMEDOUT) {
			/* A timeout never hides what arrived meanwhile. */
			ret = eval(h, e);
			if (!ret && e->lag == SEQ_NONE)
				return 0;
			return ret ? ret : -ETIMEDOUT;
		}
		if (ret)
			return ret;
	}
}

/* ------------------------------------------------------------------------
 * Attach and detach.
 */

static int seq_check_layout(const struct __byteor_region *reg)
{
	const struct byteor_geometry *g = &reg->info.geometry;
	const struct byteor_layout *l = &reg->info.layout;

	/*
	 * The backing validated the descriptor; re-check what this file
	 * relies on for memory safety, so a backing bug cannot become an
	 * overrun here.
	 */
	if (reg->info.kind != BYTEOR_KIND_SEQUENCED_SLOTS ||
	    byteor_geometry_check(BYTEOR_KIND_SEQUENCED_SLOTS, g) ||
	    l->slot_stride != BYTEOR_SLOT_HEADER + g->slot_size ||
	    l->control_stride != BYTEOR_CONTROL_STRIDE ||
	    l->area_size[BYTEOR_AREA_CONTROL] <
		(__u64)(1 + g->queues) * BYTEOR_CONTROL_STRIDE ||
	    l->area_size[BYTEOR_AREA_SLOTS] < (__u64)g->capacity * l->slot_stride ||
	    l->nr_claims < 1 + g->queues)
		return -EBADMSG;
	return 0;
}

/* Fill the private view from the private descriptor. */
static void seq_view(struct byteor_sequenced_slots *h)
{
	const struct byteor_geometry *g = &h->reg->info.geometry;
	__u32 i, needed = 0;

	h->prod = __byteor_area(h->reg, BYTEOR_AREA_CONTROL, 0);
	h->f.ring = __byteor_area(h->reg, BYTEOR_AREA_SLOTS, 0);
	h->f.cursor = (__u64 *)&h->prod->cursor;
	h->f.removed = (const __u32 *)&h->prod->removed;
	h->f.cap = g->capacity;
	h->f.mask = (__u64)g->capacity - 1;
	h->slot_size = g->slot_size;
	h->f.stride = BYTEOR_SLOT_HEADER + g->slot_size;
	h->nstages = g->queues;
	h->all = (__u32)((1ULL << g->queues) - 1);
	for (i = 0; i < h->nstages; i++) {
		h->stage[i] = __byteor_area(h->reg, BYTEOR_AREA_CONTROL,
					    __BYTEOR_SEQ_STAGE_OFF(i));
		h->deps[i] = g->stage_deps[i] & h->all;
		needed |= h->deps[i];
	}
	h->terminal = h->all & ~needed;
}

/*
 * What the inline paths (byteor/seq_inline.h) may do with this handle, and
 * the shared words they touch: set last, once the handle is attached.
 */
static void seq_fast_view(struct byteor_sequenced_slots *h)
{
	struct __byteor_seq_fast *f = &h->f;

	if (h->role == BYTEOR_ROLE_PRODUCER) {
		f->wake = (__u32 *)&h->prod->cursor_ec.waiters;
		f->fast = __BYTEOR_SEQ_FAST_PROD;
	} else if (h->role == BYTEOR_ROLE_CONSUMER) {
		f->gating = (__u64 *)&h->stage[h->idx]->gating;
		f->wake = (__u32 *)&h->stage[h->idx]->ec.waiters;
		f->self = (1U << h->idx) |
			  (1U << (h->idx + __BYTEOR_SEQ_JOIN_SHIFT));
		f->fast = h->subscriber ? __BYTEOR_SEQ_FAST_SUB :
			  __BYTEOR_SEQ_FAST_STAGE;
		if (!h->deps[h->idx])
			f->fast |= __BYTEOR_SEQ_FAST_CURSOR;
	}
	if (f->fast && !h->timeout_ns)
		f->fast |= __BYTEOR_SEQ_FAST_NOWAIT;
}

/*
 * Complete a re-attach (the stage's join bit is set, its removed bit
 * clear): start no lower than the barrier of its dependencies now - at
 * or above anything a dependent took while the stage was removed (the
 * handshake in seq_eval_consumer()) - nor than the producer's gate (the
 * handshake in struct __byteor_seq_prod_ctl), nor than the provisional
 * gating sequence already stored.  Then store it and drop the join bit.
 * A process killed in here leaves the join bit set: the next attach at
 * this index runs this again.  Return: the start.
 */
static __u64 seq_join(struct byteor_sequenced_slots *h)
{
	struct __byteor_seq_stage_ctl *me = h->stage[h->idx];
	struct seq_eval e = {
		.set = h->deps[h->idx], .cursor = !h->deps[h->idx],
	};
	__u64 g, c, pg, start;

	/* seq_cst loads inside: after the clear of the removed bit. */
	if (seq_eval_consumer(h, &e))
		e.min = seq_src_load_mo(h, __BYTEOR_SEQ_SRC_CURSOR,
					memory_order_seq_cst);
	c = seq_src_load_mo(h, __BYTEOR_SEQ_SRC_CURSOR, memory_order_seq_cst);
	start = e.min;
	g = atomic_load_explicit(&me->gating, memory_order_acquire);
	if (sdiff(g, start) > 0 && sdiff(g, c) <= 0)
		start = g;
	/* seq_cst: pairs with seq_eval_producer()'s store + re-load. */
	pg = atomic_load_explicit(&h->prod->gate, memory_order_seq_cst);
	/* A scribbled gate beyond the cursor is ignored. */
	if (sdiff(pg, start) > 0 && sdiff(pg, c) <= 0)
		start = pg;
	/*
	 * Release: pairs with the acquire (seq_cst) loads of this gating
	 * sequence by dependents and the producer; nothing below it will be
	 * read by this stage.
	 */
	atomic_store_explicit(&me->gating, start, memory_order_seq_cst);
	BYTEOR_CRASHPOINT("seq.stage.reattach.start_stored");
	atomic_fetch_and_explicit(&h->prod->removed,
				  ~(1U << (h->idx + __BYTEOR_SEQ_JOIN_SHIFT)),
				  memory_order_seq_cst);
	return start;
}

/*
 * Where a stage (re)starts.  Not removed: its shared gating sequence, if
 * sane (at most a ring behind the cursor, never ahead), else the barrier
 * of its dependencies (the stage restarts there rather than read
 * garbage).  Removed: store a provisional gating sequence (the barrier
 * of its dependencies now: never above where the stage will start), set
 * its join bit, clear its removed bit - from here dependents and the
 * producer wait for its gating sequence - then seq_join() computes the
 * start.  A join bit found set (a re-attach killed half-way) is completed
 * the same way.
 */
static void seq_attach_stage(struct byteor_sequenced_slots *h)
{
	struct __byteor_seq_stage_ctl *me = h->stage[h->idx];
	__u32 bit = 1U << h->idx;
	__u32 jbit = bit << __BYTEOR_SEQ_JOIN_SHIFT;
	struct seq_eval e = {
		.set = h->deps[h->idx], .cursor = !h->deps[h->idx],
	};
	__u64 g, c, start;
	__u32 mask;

	c = seq_src_load(h, __BYTEOR_SEQ_SRC_CURSOR);
	h->f.cursor_seen = c;
	if (seq_eval_consumer(h, &e))
		e.min = c;
	mask = atomic_load_explicit(&h->prod->removed, memory_order_seq_cst);
	if (!(mask & (bit | jbit))) {
		g = atomic_load_explicit(&me->gating, memory_order_acquire);
		start = (sdiff(g, c) > 0 || c - g > h->f.cap) ? e.min : g;
		atomic_store_explicit(&me->gating, start, memory_order_release);
	} else {
		if (mask & bit) {
			/*
			 * seq_cst: the provisional value is in place before
			 * the clear below makes anyone read it.
			 */
			atomic_store_explicit(&me->gating, e.min,
					      memory_order_seq_cst);
			BYTEOR_CRASHPOINT("seq.stage.reattach.gating_stored");
			atomic_fetch_or_explicit(&h->prod->removed, jbit,
						 memory_order_seq_cst);
			BYTEOR_CRASHPOINT("seq.stage.reattach.join_set");
			/* seq_cst: pairs with seq_eval_consumer()'s re-load. */
			atomic_fetch_and_explicit(&h->prod->removed, ~bit,
						  memory_order_seq_cst);
			BYTEOR_CRASHPOINT("seq.stage.reattach.bit_cleared");
		}
		start = seq_join(h);
		/* Waiters on us re-evaluate with the new mask. */
		__byteor_ec_notify(&me->ec);
	}
	h->f.pos = start;
	h->f.limit = start;
	atomic_fetch_add_explicit(&me->attaches, 1, memory_order_relaxed);
}

int byteor_attach_sequenced_slots_region(const struct byteor_attach_options *o,
					 int role,
					 struct byteor_sequenced_slots **out)
{
	struct byteor_sequenced_slots *h;
	struct byteor_geometry want;
	struct byteor_attach_options wo;
	bool subscriber = role == BYTEOR_SEQUENCED_SLOTS_SUBSCRIBER;
	__u32 rrole;
	int ret;

	if (!o || !out)
		return -EINVAL;
	if (role != BYTEOR_ROLE_PRODUCER && role != BYTEOR_ROLE_CONSUMER &&
	    role != BYTEOR_ROLE_OBSERVER && !subscriber)
		return -EINVAL;
	if ((o->flags & BYTEOR_ATTACH_OBSERVER) && role != BYTEOR_ROLE_OBSERVER)
		return -EINVAL;
	if (o->queue >= BYTEOR_MAX_STAGES ||
	    ((role == BYTEOR_ROLE_PRODUCER || role == BYTEOR_ROLE_OBSERVER) &&
	     o->queue))
		return -EINVAL;
	rrole = subscriber ? BYTEOR_ROLE_CONSUMER : (__u32)role;
	h = aligned_alloc(BYTEOR_CACHELINE,
			  byteor_align(sizeof(*h), BYTEOR_CACHELINE));
	if (!h)
		return -ENOMEM;
	memset(h, 0, sizeof(*h));
	memset(&want, 0, sizeof(want));
	ret = __byteor_region_attach(o, BYTEOR_KIND_SEQUENCED_SLOTS,
				     BYTEOR_SEQUENCED_SLOTS_VERSION, &want,
				     rrole, &h->reg);
	if (ret)
		goto err_free;
	ret = seq_check_layout(h->reg);
	if (ret)
		goto err_detach;
	seq_view(h);
	h->role = (int)rrole;
	h->subscriber = subscriber;
	h->idx = -1;
	h->timeout_ns = o->timeout_ns;
	if (rrole == BYTEOR_ROLE_CONSUMER) {
		ret = -EINVAL;
		if (o->queue >= h->nstages)	/* the backing checks it too */
			goto err_detach;
		h->idx = (int)o->queue;
		if (subscriber && !(h->terminal & (1U << h->idx)))
			goto err_detach;
	}
	wo = *o;
	if (rrole == BYTEOR_ROLE_OBSERVER) {
		/* A read-only mapping cannot announce a waiter: never park. */
		if ((wo.wait_strategy & BYTEOR_WAIT_STRATEGY_MASK) != BYTEOR_WAIT_SPIN)
			wo.wait_strategy = BYTEOR_WAIT_YIELD |
				(wo.wait_strategy & ~(int)BYTEOR_WAIT_STRATEGY_MASK);
		h->f.cursor_seen = seq_src_load(h, __BYTEOR_SEQ_SRC_CURSOR);
	} else {
		__byteor_notifier_init();
	}
	ret = __byteor_waiter_init_opts(&h->w, &wo);
	if (ret)
		goto err_detach;
	h->waiter_ok = true;
	if (rrole == BYTEOR_ROLE_PRODUCER) {
		h->f.pos = atomic_load_explicit(&h->prod->cursor, memory_order_acquire);
		h->f.cursor_seen = h->f.pos;
		/* Floor a ring behind: the first claim evaluates the stages. */
		h->f.limit = h->f.pos - h->f.cap;
		atomic_fetch_add_explicit(&h->prod->attaches, 1,
					  memory_order_relaxed);
	} else if (rrole == BYTEOR_ROLE_CONSUMER) {
		seq_attach_stage(h);
	}
	seq_fast_view(h);
	*out = h;
	return 0;

err_detach:
	__byteor_region_detach(h->reg);
err_free:
	free(h);
	return ret;
}

void byteor_sequenced_slots_detach(struct byteor_sequenced_slots *h)
{
	if (!h)
		return;
	if (h->waiter_ok)
		__byteor_waiter_fini(&h->w);
	__byteor_region_detach(h->reg);
	free(h);
}

/* ------------------------------------------------------------------------
 * Producer.
 */

int __byteor_sequenced_slots_producer_claim_timed(struct byteor_sequenced_slots *h,
						unsigned int n, __u64 *first,
						long long timeout_ns)
{
	struct seq_eval e;
	__u64 s, i;
	int ret;

	if (__BYTEOR_UNLIKELY(!h))
		return -EINVAL;
	if (__BYTEOR_UNLIKELY(h->role != BYTEOR_ROLE_PRODUCER))
		return -EBADF;
	if (__BYTEOR_UNLIKELY(!n || !first || n > h->f.cap - h->f.claimed))
		return -EINVAL;
	/* The floor the claim needs: entries it reuses must be passed. */
	e.need = h->f.pos + h->f.claimed + n - h->f.cap;
	if (__BYTEOR_UNLIKELY(sdiff(h->f.limit, e.need) < 0)) {
		ret = seq_wait(h, &e, seq_eval_producer, h->all, false,
			       timeout_ns);
		if (ret) {
			if (ret == -EBADMSG)
				seq_heal(h);
			return ret;
		}
		h->f.limit = e.min;
	}
	s = h->f.pos + h->f.claimed;
	/*
	 * The header names the entry's sequence; ordered before the stages'
	 * reads by the release store of the cursor in ..._publish().
	 */
	for (i = 0; i < n; i++)
		__atomic_store_n(seq_hdr(h, s + i), s + i, __ATOMIC_RELAXED);
	BYTEOR_CRASHPOINT("seq.producer.claimed");
	h->f.claimed += n;
	*first = s;
	return 0;
}

int __byteor_sequenced_slots_producer_claim(struct byteor_sequenced_slots *h,
					  unsigned int n, __u64 *first)
{
	return __byteor_sequenced_slots_producer_claim_timed(h, n, first,
							     h ? h->timeout_ns : 0);
}

int __byteor_sequenced_slots_producer_publish(struct byteor_sequenced_slots *h,
					    unsigned int n)
{
	if (__BYTEOR_UNLIKELY(!h))
		return -EINVAL;
	if (__BYTEOR_UNLIKELY(h->role != BYTEOR_ROLE_PRODUCER))
		return -EBADF;
	if (__BYTEOR_UNLIKELY(n > h->f.claimed))
		return -EINVAL;
	/* The release store of the cursor pairs with seq_src_load(). */
	__byteor_seq_publish(&h->f, n);
	return (int)n;
}

void *__byteor_sequenced_slots_entry(const struct byteor_sequenced_slots *h,
				     __u64 seq)
{
	if (!h || !(h->f.fast & (__BYTEOR_SEQ_FAST_PROD | __BYTEOR_SEQ_FAST_STAGE)))
		return NULL;
	return (unsigned char *)seq_hdr(h, seq) + BYTEOR_SLOT_HEADER;
}

const void *__byteor_sequenced_slots_entry_ro(const struct byteor_sequenced_slots *h,
					      __u64 seq)
{
	if (!h)
		return NULL;
	return (const unsigned char *)seq_hdr(h, seq) + BYTEOR_SLOT_HEADER;
}

/* ------------------------------------------------------------------------
 * Stages and subscribers.
 */

/*
 * A removed or join bit on our own index while we hold the stage's claim
 * is a scribble (removal takes the claim; our join finished at attach):
 * clear it, so the lane heals once scribbling stops, and wake whoever
 * waits on us to re-evaluate with the mask restored.
 */
static void seq_unremove_self(struct byteor_sequenced_slots *h)
{
	__u32 mine = (1U << h->idx) | (1U << (h->idx + __BYTEOR_SEQ_JOIN_SHIFT));

	if (__BYTEOR_LIKELY(!(atomic_load_explicit(&h->prod->removed,
						   memory_order_relaxed) & mine)))
		return;
	/* seq_cst: as the clear of a re-attach (seq_attach_stage()). */
	atomic_fetch_and_explicit(&h->prod->removed, ~mine, memory_order_seq_cst);
	__byteor_ec_notify(&h->stage[h->idx]->ec);
}

/*
 * We are more than a ring behind our barrier @bar: the producer overwrote
 * entries we had not done, which only a scribble (of our gating sequence,
 * say) allows, and nothing moves again by itself once the scribble stops
 * (we wait for entries that are gone; the producer, gated by us, waits
 * for us).  If the cursor is proven - the slot header below it names it,
 * so the producer really wrote there - and our barrier is within a ring
 * of it, resume at the oldest entry still in the ring (cursor - ring),
 * store it as our gating sequence (the producer may then claim up to the
 * cursor again, nothing we are about to read) and report the loss once.
 * Otherwise stay put: a dependency has to resynchronise first, or the
 * scribble goes on.  Return: -EBADMSG.
 */
static long long seq_resync(struct byteor_sequenced_slots *h, __u64 bar)
{
	__u64 c = seq_src_load(h, __BYTEOR_SEQ_SRC_CURSOR), start;

	if (sdiff(bar, c) > 0 || c - bar > h->f.cap ||
	    __atomic_load_n(seq_hdr(h, c - 1), __ATOMIC_RELAXED) != c - 1)
		return -EBADMSG;
	start = c - h->f.cap;
	if (sdiff(start, h->f.pos) <= 0)
		return -EBADMSG;
	h->f.pos = start;
	h->f.limit = start;
	/* Release: as in seq_advance(); we are done with what is below. */
	atomic_store_explicit(&h->stage[h->idx]->gating, start,
			      memory_order_release);
	__byteor_ec_notify(&h->stage[h->idx]->ec);
	return -EBADMSG;
}

/*
 * How many entries from pos the cached barrier covers; refreshes it from
 * shared memory when it covers fewer than @want.  Return: the count, or
 * -EBADMSG (the barrier is more than a ring away from our position).
 */
static long long seq_stage_avail(struct byteor_sequenced_slots *h,
				 struct seq_eval *e, __u64 want)
{
	__u64 d = h->f.limit - h->f.pos;

	if (__BYTEOR_LIKELY(d >= want))
		return (long long)d;
	seq_unremove_self(h);
	if (seq_eval_consumer(h, e))
		return -EBADMSG;
	d = e->min - h->f.pos;
	if ((__s64)d < 0) {
		/* A dependency re-attached behind us: wait for it. */
		if (-d > h->f.cap)
			return -EBADMSG;
		return 0;
	}
	if (d > h->f.cap)
		return seq_resync(h, e->min);
	h->f.limit = e->min;
	return (long long)d;
}

static int seq_stage_wait(struct byteor_sequenced_slots *h, unsigned int max,
			  __u64 *first, long long timeout_ns)
{
	struct seq_eval e;
	long long avail;
	unsigned int k, i;
	int ret;

	if (__BYTEOR_UNLIKELY(!max || !first))
		return -EINVAL;
	if (max > BYTEOR_SEQ_BATCH_MAX)
		max = BYTEOR_SEQ_BATCH_MAX;
	e.set = h->deps[h->idx];
	e.cursor = !e.set;
	e.need = h->f.pos + 1;
	avail = seq_stage_avail(h, &e, 1);
	if (__BYTEOR_UNLIKELY(avail <= 0)) {
		/* Polling: the evaluation just made is the answer. */
		if (!avail && timeout_ns) {
			ret = seq_wait(h, &e, seq_eval_consumer,
				       seq_ancestors(h, e.set), true,
				       timeout_ns);
			if (!ret)
				avail = seq_stage_avail(h, &e, 1);
			else
				avail = ret;
		}
		if (avail <= 0) {
			seq_heal(h);
			return avail ? (int)avail : -EAGAIN;
		}
	}
	k = __byteor_min_u(max, (__u64)avail);
	for (i = 0; i < k; i++)
		/* Read once: a peer may rewrite it; checked, never used. */
		if (__atomic_load_n(seq_hdr(h, h->f.pos + i), __ATOMIC_RELAXED) !=
		    h->f.pos + i)
			break;
	*first = h->f.pos;
	if (__BYTEOR_UNLIKELY(!i)) {
		/*
		 * Our entry is not in its slot (overwritten: see
		 * seq_resync()).  Drop the cached barrier, so the next call
		 * evaluates again rather than read the same slot for ever.
		 */
		h->f.limit = h->f.pos;
		return -EBADMSG;
	}
	return (int)i;
}

static int seq_advance(struct byteor_sequenced_slots *h, unsigned int n)
{
	if (__BYTEOR_UNLIKELY(n > h->f.limit - h->f.pos))
		return -EINVAL;
	BYTEOR_CRASHPOINT(h->subscriber ? "seq.subscriber.before_advance" :
			  "seq.stage.before_advance");
	h->f.pos += n;
	/*
	 * Release: pairs with the acquire load of this gating sequence in
	 * seq_src_load() by dependents (which then read what we wrote) and by
	 * the producer (which then reuses the slots we are done with).
	 */
	atomic_store_explicit(&h->stage[h->idx]->gating, h->f.pos,
			      memory_order_release);
	BYTEOR_CRASHPOINT(h->subscriber ? "seq.subscriber.advanced" :
			  "seq.stage.advanced");
	__byteor_ec_notify(&h->stage[h->idx]->ec);
	return (int)n;
}

int __byteor_sequenced_slots_stage_wait_timed(struct byteor_sequenced_slots *h,
					    unsigned int max, __u64 *first,
					    long long timeout_ns)
{
	if (__BYTEOR_UNLIKELY(!h))
		return -EINVAL;
	if (__BYTEOR_UNLIKELY(h->role != BYTEOR_ROLE_CONSUMER || h->subscriber))
		return -EBADF;
	return seq_stage_wait(h, max, first, timeout_ns);
}

int __byteor_sequenced_slots_stage_wait(struct byteor_sequenced_slots *h,
				      unsigned int max, __u64 *first)
{
	return __byteor_sequenced_slots_stage_wait_timed(h, max, first,
							 h ? h->timeout_ns : 0);
}

int __byteor_sequenced_slots_stage_advance(struct byteor_sequenced_slots *h,
					 unsigned int n)
{
	if (__BYTEOR_UNLIKELY(!h))
		return -EINVAL;
	if (__BYTEOR_UNLIKELY(h->role != BYTEOR_ROLE_CONSUMER || h->subscriber))
		return -EBADF;
	return seq_advance(h, n);
}

int __byteor_sequenced_slots_subscriber_wait_timed(struct byteor_sequenced_slots *h,
						 unsigned int max, __u64 *first,
						 long long timeout_ns)
{
	if (__BYTEOR_UNLIKELY(!h))
		return -EINVAL;
	if (__BYTEOR_UNLIKELY(!h->subscriber))
		return -EBADF;
	return seq_stage_wait(h, max, first, timeout_ns);
}

int __byteor_sequenced_slots_subscriber_wait(struct byteor_sequenced_slots *h,
					   unsigned int max, __u64 *first)
{
	return __byteor_sequenced_slots_subscriber_wait_timed(h, max, first,
							      h ? h->timeout_ns : 0);
}

int __byteor_sequenced_slots_subscriber_advance(struct byteor_sequenced_slots *h,
					      unsigned int n)
{
	if (__BYTEOR_UNLIKELY(!h))
		return -EINVAL;
	if (__BYTEOR_UNLIKELY(!h->subscriber))
		return -EBADF;
	return seq_advance(h, n);
}

/* ------------------------------------------------------------------------
 * Barriers for anyone.
 */

/*
 * The waits compare by signed difference, so a @seq more than 2^63 ahead
 * of the barrier (or ~0, whose need wraps to 0) looks passed.  Sequences
 * are counts since creation: @seq is published only if it is below the
 * barrier in plain unsigned terms; anything else is out of reach.
 */
static int seq_barrier_end(__u64 seq, const struct seq_eval *e, __u64 *end)
{
	if (seq >= e->min)
		return -ERANGE;
	*end = e->min;
	return 0;
}

int byteor_cursor_barrier_wait(struct byteor_sequenced_slots *h, __u64 seq,
			       __u64 *end, long long timeout_ns)
{
	struct seq_eval e = { .cursor = true, .need = seq + 1 };
	int ret;

	if (!h || !end)
		return -EINVAL;
	ret = seq_wait(h, &e, seq_eval_consumer, 0, true, timeout_ns);
	if (!ret)
		ret = seq_barrier_end(seq, &e, end);
	return ret;
}

int byteor_gating_barrier_wait(struct byteor_sequenced_slots *h, __u32 stages,
			       __u64 seq, __u64 *end, long long timeout_ns)
{
	struct seq_eval e = { .set = stages, .need = seq + 1 };
	int ret;

	if (!h || !end || !stages || (stages & ~h->all))
		return -EINVAL;
	ret = seq_wait(h, &e, seq_eval_consumer, seq_ancestors(h, stages),
		       true, timeout_ns);
	if (!ret)
		ret = seq_barrier_end(seq, &e, end);
	return ret;
}

/* ------------------------------------------------------------------------
 * Removal.
 */

int byteor_sequenced_slots_remove_stage(const struct byteor_attach_options *o,
					unsigned int stage)
{
	struct byteor_attach_options ro;
	struct __byteor_region *reg;
	struct __byteor_seq_prod_ctl *prod;
	struct __byteor_seq_stage_ctl *s;
	int ret;

	if (!o || stage >= BYTEOR_MAX_STAGES)
		return -EINVAL;
	memset(&ro, 0, sizeof(ro));
	ro.name = o->name;
	ro.backing = o->backing;
	ro.dir = o->dir;
	ro.queue = stage;
	/*
	 * Take the stage's own claim: -EBUSY proves a live holder, success
	 * proves there is none, and no one can attach there meanwhile.
	 */
	ret = __byteor_region_attach(&ro, BYTEOR_KIND_SEQUENCED_SLOTS,
				     BYTEOR_SEQUENCED_SLOTS_VERSION, NULL,
				     BYTEOR_ROLE_CONSUMER, &reg);
	if (ret)
		return ret;
	ret = seq_check_layout(reg);
	if (!ret && stage >= reg->info.geometry.queues)
		ret = -EINVAL;
	if (!ret) {
		prod = __byteor_area(reg, BYTEOR_AREA_CONTROL, 0);
		s = __byteor_area(reg, BYTEOR_AREA_CONTROL,
				  __BYTEOR_SEQ_STAGE_OFF(stage));
		/* seq_cst: the producer's evaluation re-loads it seq_cst. */
		atomic_fetch_or_explicit(&prod->removed, 1U << stage,
					 memory_order_seq_cst);
		BYTEOR_CRASHPOINT("seq.remove.bit_set");
		/* Whoever waits on the stage re-evaluates without it. */
		__byteor_ec_notify(&s->ec);
	}
	__byteor_region_detach(reg);
	return ret;
}

/* ------------------------------------------------------------------------
 * Geometry.
 */

unsigned int byteor_sequenced_slots_slot_size(const struct byteor_sequenced_slots *h)
{
	return h ? h->slot_size : 0;
}

unsigned int byteor_sequenced_slots_capacity(const struct byteor_sequenced_slots *h)
{
	return h ? (unsigned int)h->f.cap : 0;
}

unsigned int byteor_sequenced_slots_stages(const struct byteor_sequenced_slots *h)
{
	return h ? h->nstages : 0;
}

int byteor_sequenced_slots_stage_index(const struct byteor_sequenced_slots *h)
{
	if (!h)
		return -EINVAL;
	return h->role == BYTEOR_ROLE_CONSUMER ? h->idx : -EBADF;
}
