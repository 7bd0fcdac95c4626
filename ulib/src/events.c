// SPDX-License-Identifier: MIT
/*
 * events.c - the events chain (byteor/events.h): region creation, attach of
 * SPSC and MPSC queue ends, blocking variants, the MPSC orphan check,
 * snapshots.
 *
 * Region layout (BYTEOR_KIND_EVENTS_CHAIN, geometry.queues = N): control
 * block q (at q * control_stride) is a struct __byteor_spsc_ctl for an SPSC
 * queue, a struct __byteor_mpsc_ctl for an MPSC one; ring q is capacity
 * slots of slot_stride bytes at q * capacity * slot_stride in the slots
 * area.  SPSC slot header: the payload length (u32); MPSC: sequence and
 * length (u64, see events_pvt.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "events_pvt.h"

struct byteor_events {
	/*
	 * Hot: first.  s is first of all, for the inline paths of
	 * byteor/lane_inline.h, which find s.fast 0 in an MPSC handle (not
	 * a union: m must not alias it) and call out of line.
	 */
	struct {
		struct __byteor_spsc s;
		struct __byteor_mpsc m;
	} q;
	bool mpsc;
	bool waiter_ok;
	bool tick;
	int role;			/* BYTEOR_ROLE_* */
	long long timeout_ns;
	unsigned int queue;
	struct __byteor_region *reg;
	__u32 prod_first;		/* claim words of the queue's producers */
	__u32 prod_count;
	__u32 cons_claim;		/* claim word of its consumer */
	struct __byteor_peer peer;	/* the consumer, or the producers */
	struct __byteor_waiter w;
};

/* The inline paths (byteor/lane_inline.h) take a handle for its q.s. */
_Static_assert(offsetof(struct byteor_events, q.s) == 0,
	       "struct __byteor_spsc first");

/* ------------------------------------------------------------------------
 * Helpers over the private descriptor.
 */

static const struct byteor_geometry *ev_geom(const struct byteor_events *e)
{
	return &e->reg->info.geometry;
}

static void *ev_ctl(const struct byteor_events *e, unsigned int q)
{
	return __byteor_area(e->reg, BYTEOR_AREA_CONTROL,
			     (__u64)q * e->reg->info.layout.control_stride);
}

static void *ev_ring(const struct byteor_events *e, unsigned int q)
{
	const struct byteor_region_info *i = &e->reg->info;

	return __byteor_area(e->reg, BYTEOR_AREA_SLOTS,
			     (__u64)q * i->geometry.capacity * i->layout.slot_stride);
}

static bool ev_is_mpsc(const struct byteor_geometry *g, unsigned int q)
{
	return (g->mpsc_mask >> q) & 1;
}

static int ev_claims(const struct byteor_geometry *g, unsigned int q,
		     __u32 *pfirst, __u32 *pcount, __u32 *cons)
{
	__u32 one;
	int ret;

	ret = byteor_claim_range(BYTEOR_KIND_EVENTS_CHAIN, g,
				 BYTEOR_ROLE_PRODUCER, q, pfirst, pcount);
	if (!ret)
		ret = byteor_claim_range(BYTEOR_KIND_EVENTS_CHAIN, g,
					 BYTEOR_ROLE_CONSUMER, q, cons, &one);
	return ret;
}

/* Is any producer of the handle's queue alive?  1, 0 or -errno. */
static int ev_any_producer_alive(const struct byteor_events *e)
{
	__u32 i;
	int ret, err = 0;

	for (i = 0; i < e->prod_count; i++) {
		ret = __byteor_claim_alive(e->reg, e->prod_first + i);
		if (ret > 0)
			return 1;
		if (ret < 0)
			err = ret;
	}
	return err;
}

static struct __byteor_side *ev_side(const struct byteor_events *e,
				     bool producer)
{
	struct __byteor_spsc_ctl *c = ev_ctl(e, e->queue);

	/* prod and cons sit at the same offsets in both control layouts. */
	return producer ? &c->prod : &c->cons;
}

/* ------------------------------------------------------------------------
 * Region creation.
 */

int byteor_events_chain_region_create(const struct byteor_events_chain_options *c,
				      struct byteor_region_info *info)
{
	struct byteor_region_options o;
	unsigned int i;

	if (!c)
		return -EINVAL;
	for (i = 0; i < sizeof(c->reserved) / sizeof(c->reserved[0]); i++)
		if (c->reserved[i])
			return -EINVAL;
	memset(&o, 0, sizeof(o));
	o.name = c->name;
	o.kind = BYTEOR_KIND_EVENTS_CHAIN;
	o.layout_version = BYTEOR_EVENTS_CHAIN_VERSION;
	o.geometry.slot_size = c->slot_size;
	o.geometry.capacity = c->capacity;
	o.geometry.queues = c->queues;
	o.geometry.producers = c->producers;
	o.geometry.mpsc_mask = c->mpsc_mask;
	o.size = c->size;
	o.mode = c->mode;
	o.backing = c->backing;
	o.dir = c->dir;
	return byteor_region_create(&o, info);
}

/* ------------------------------------------------------------------------
 * Attach.
 */

static void mpsc_init_producer(struct byteor_events *e)
{
	struct __byteor_mpsc *q = &e->q.m;
	struct __byteor_mpsc_ctl *c = q->ctl;
	_Atomic __u64 *rec = &c->rec[__byteor_rec_index(q->p)];
	__u64 old = atomic_load_explicit(rec, memory_order_relaxed);
	__u16 tag = (__u16)(atomic_load_explicit(&c->gen[q->p],
						 memory_order_relaxed) + 1);

	/*
	 * Handover (events_pvt.h): take a generation that differs from the
	 * one a record left in our slot carries (gen may have been
	 * scribbled), publish it, then clear that record.  From the new
	 * generation on, the old record is a dead writer's; cleared, it
	 * covers nothing: the predecessor's unpublished positions are
	 * orphans either way, and we never wait for them.
	 */
	if (__byteor_rec_count(old) && tag == __byteor_rec_tag(old))
		tag++;
	q->tag = tag;
	/*
	 * Release: pairs with the consumer's acquire load of gen[p] in
	 * mpsc_orphaned(), made after its load of the record.
	 */
	atomic_store_explicit(&c->gen[q->p], tag, memory_order_release);
	BYTEOR_CRASHPOINT("mpsc.tx.attach_after_gen");
	/* Release: pairs with the record's acquire load in mpsc_orphaned(). */
	atomic_store_explicit(rec, 0, memory_order_release);
	q->head = atomic_load_explicit(&c->cons.pos, memory_order_acquire);
	atomic_fetch_add_explicit(&c->prod.attaches, 1, memory_order_relaxed);
}

static void mpsc_init_consumer(struct byteor_events *e, bool rw)
{
	struct __byteor_mpsc *q = &e->q.m;
	struct __byteor_mpsc_ctl *c = q->ctl;
	__u64 h = atomic_load_explicit(&c->cons.pos, memory_order_acquire);
	__u64 t = atomic_load_explicit(&c->prod.pos, memory_order_acquire);

	/* A head more than a ring from the tail was scribbled: restart there. */
	if (t - h > q->cap)
		h = t;
	q->pos = h;
	q->stuck_pos = h;
	if (!rw)
		return;
	atomic_store_explicit(&c->cons.pos, h, memory_order_release);
	atomic_fetch_add_explicit(&c->cons.attaches, 1, memory_order_relaxed);
}

/*
 * Attach one end.  @mpsc: 1 the queue must be MPSC, 0 SPSC, -1 (observer)
 * either.
 */
static int ev_attach(const struct byteor_attach_options *o, int role, int mpsc,
		     struct byteor_events **out)
{
	const struct byteor_geometry *g;
	const struct byteor_layout *l;
	struct byteor_geometry want;
	struct byteor_attach_options oo;
	struct byteor_events *e;
	unsigned int q;
	bool producer, rw;
	int ret;

	if (!o || !out)
		return -EINVAL;
	if (role != BYTEOR_ROLE_OBSERVER && (o->flags & BYTEOR_ATTACH_OBSERVER))
		return -EINVAL;
	oo = *o;
	if (role == BYTEOR_ROLE_OBSERVER)
		oo.queue = 0;	/* an observer sees every queue */
	e = aligned_alloc(BYTEOR_CACHELINE, byteor_align(sizeof(*e),
							 BYTEOR_CACHELINE));
	if (!e)
		return -ENOMEM;
	memset(e, 0, sizeof(*e));
	memset(&want, 0, sizeof(want));
	ret = __byteor_region_attach(&oo, BYTEOR_KIND_EVENTS_CHAIN,
				     BYTEOR_EVENTS_CHAIN_VERSION, &want,
				     (__u32)role, &e->reg);
	if (ret)
		goto err_free;
	g = &e->reg->info.geometry;
	l = &e->reg->info.layout;
	q = oo.queue;
	/* Re-check what memory safety here rests on (see single_ring.c). */
	if (e->reg->info.kind != BYTEOR_KIND_EVENTS_CHAIN ||
	    !byteor_is_pow2(g->capacity) || !g->queues ||
	    g->queues > BYTEOR_MAX_QUEUES ||
	    (g->mpsc_mask && g->producers > BYTEOR_MAX_PRODUCERS) ||
	    l->control_blocks != g->queues || l->rings != g->queues ||
	    l->control_stride < sizeof(struct __byteor_mpsc_ctl) ||
	    l->slot_stride != BYTEOR_SLOT_HEADER + g->slot_size ||
	    l->area_size[BYTEOR_AREA_CONTROL] <
		    (__u64)g->queues * l->control_stride ||
	    l->area_size[BYTEOR_AREA_SLOTS] <
		    (__u64)g->queues * g->capacity * l->slot_stride) {
		ret = -EBADMSG;
		goto err_detach;
	}
	if (q >= g->queues) {
		ret = -EINVAL;
		goto err_detach;
	}
	if (mpsc >= 0 && ev_is_mpsc(g, q) != (bool)mpsc) {
		ret = -EBADMSG;
		goto err_detach;
	}
	ret = ev_claims(g, q, &e->prod_first, &e->prod_count, &e->cons_claim);
	if (ret)
		goto err_detach;
	e->role = role;
	e->queue = q;
	e->timeout_ns = o->timeout_ns;
	e->mpsc = ev_is_mpsc(g, q);
	producer = role == BYTEOR_ROLE_PRODUCER;
	rw = role != BYTEOR_ROLE_OBSERVER;
	if (!e->mpsc) {
		__byteor_spsc_init(&e->q.s, ev_ctl(e, q), ev_ring(e, q), g,
				   producer, rw, !o->timeout_ns);
	} else {
		struct __byteor_mpsc *m = &e->q.m;

		m->ctl = ev_ctl(e, q);
		m->ring = ev_ring(e, q);
		m->cap = g->capacity;
		m->mask = (__u64)g->capacity - 1;
		m->slot_size = g->slot_size;
		m->stride = l->slot_stride;
		if (producer) {
			if (e->reg->claim < (int)e->prod_first ||
			    e->reg->claim >= (int)(e->prod_first + e->prod_count)) {
				ret = -EBADMSG;
				goto err_detach;
			}
			m->p = (unsigned int)e->reg->claim - e->prod_first;
			mpsc_init_producer(e);
		} else {
			mpsc_init_consumer(e, rw);
		}
	}
	if (rw) {
		__byteor_peer_init(&e->peer, ev_side(e, !producer), producer ?
				   __byteor_claim_alive(e->reg, e->cons_claim) :
				   ev_any_producer_alive(e));
		__byteor_notifier_init();
		ret = __byteor_waiter_init_opts(&e->w, o);
		if (ret)
			goto err_detach;
		e->waiter_ok = true;
	}
	*out = e;
	return 0;

err_detach:
	__byteor_region_detach(e->reg);
err_free:
	free(e);
	return ret;
}

int byteor_attach_events_tx(const struct byteor_attach_options *o,
			    struct byteor_events **out)
{
	return ev_attach(o, BYTEOR_ROLE_PRODUCER, 0, out);
}

int byteor_attach_events_rx(const struct byteor_attach_options *o,
			    struct byteor_events **out)
{
	return ev_attach(o, BYTEOR_ROLE_CONSUMER, 0, out);
}

int byteor_attach_events_mpsc_tx(const struct byteor_attach_options *o,
				 struct byteor_events **out)
{
	return ev_attach(o, BYTEOR_ROLE_PRODUCER, 1, out);
}

int byteor_attach_events_mpsc_rx(const struct byteor_attach_options *o,
				 struct byteor_events **out)
{
	return ev_attach(o, BYTEOR_ROLE_CONSUMER, 1, out);
}

int byteor_attach_events_observer(const struct byteor_attach_options *o,
				  struct byteor_events **out)
{
	return ev_attach(o, BYTEOR_ROLE_OBSERVER, -1, out);
}

void byteor_events_detach(struct byteor_events *e)
{
	if (!e)
		return;
	if (e->waiter_ok)
		__byteor_waiter_fini(&e->w);
	__byteor_region_detach(e->reg);
	free(e);
}

/* ------------------------------------------------------------------------
 * The MPSC orphan check (events_pvt.h explains the argument).
 */

/*
 * Is position @h claimed by a producer that is gone?  1 orphaned, 0 not (or
 * not provably).  Order: tail, then records (acquire), then each covering
 * writer's claim, then its slot's generation.
 *
 * @h is orphaned when tail is past it and no record that covers it belongs
 * to a live writer.  Usually some dead writer's record covers it; a
 * position no record covers at all is a hole a scribbled tail or head left
 * (its claimant's record would cover it until published), skipped too so
 * the queue recovers.
 */
static int mpsc_orphaned(struct byteor_events *e, __u64 h)
{
	struct __byteor_mpsc *q = &e->q.m;
	struct __byteor_mpsc_ctl *c = q->ctl;
	unsigned int p;
	__u64 t, rec;
	int alive;

	/*
	 * Acquire: pairs with the claiming CAS (release) that moved tail
	 * past h - through the release sequence of later CASes too - so the
	 * claimant's record, stored before it, is visible.
	 */
	t = atomic_load_explicit(&c->prod.pos, memory_order_acquire);
	if (t == h || t - h > q->cap)
		return 0;
	for (p = 0; p < e->prod_count; p++) {
		rec = atomic_load_explicit(&c->rec[__byteor_rec_index(p)],
					   memory_order_acquire);
		if (!__byteor_rec_count(rec) || !__byteor_rec_covers(rec, h))
			continue;
		alive = __byteor_claim_alive(e->reg, e->prod_first + p);
		if (alive < 0)
			return 0;	/* cannot tell: keep waiting */
		if (alive && atomic_load_explicit(&c->gen[p], memory_order_acquire) ==
			     __byteor_rec_tag(rec))
			return 0;	/* a live writer may be the claimant */
	}
	return 1;
}

/*
 * Skip orphaned positions at head, as many as are orphaned in a row.
 * Return: 1 if head moved or an event is ready, 0 otherwise.
 */
static int mpsc_repair(struct byteor_events *e)
{
	struct __byteor_mpsc *q = &e->q.m;
	int moved = 0;
	__u64 hdr;

	while (!q->ready) {
		hdr = atomic_load_explicit(__byteor_mpsc_hdrp(q, q->pos),
					   memory_order_acquire);
		if ((__u32)(hdr >> 32) == (__u32)(q->pos + 1))
			return 1;
		if (!mpsc_orphaned(e, q->pos))
			break;
		/*
		 * Every possible claimant is dead; one may have published
		 * just before dying: look once more (acquire, as in peek).
		 */
		hdr = atomic_load_explicit(__byteor_mpsc_hdrp(q, q->pos),
					   memory_order_acquire);
		if ((__u32)(hdr >> 32) == (__u32)(q->pos + 1))
			return 1;
		BYTEOR_CRASHPOINT("mpsc.rx.before_skip");
		q->skipped++;
		atomic_fetch_add_explicit(&q->ctl->cons.skipped, 1,
					  memory_order_relaxed);
		__byteor_mpsc_advance(q, q->pos + 1);
		moved = 1;
	}
	return moved;
}

/* ------------------------------------------------------------------------
 * Readiness checks and slow checks.
 */

static int spsc_rx_ready(void *arg)
{
	struct byteor_events *e = arg;
	long long a = __byteor_spsc_avail(&e->q.s, 1);

	return a > 0 ? 1 : (int)a;
}

static int spsc_tx_ready(void *arg)
{
	struct byteor_events *e = arg;
	long long a = __byteor_spsc_room(&e->q.s, 1);

	return a > 0 ? 1 : (int)a;
}

static int mpsc_rx_ready(void *arg)
{
	struct byteor_events *e = arg;
	struct __byteor_mpsc *q = &e->q.m;
	/* Acquire: pairs with the header's release store in publish. */
	__u64 hdr = atomic_load_explicit(__byteor_mpsc_hdrp(q, q->pos),
					 memory_order_acquire);

	if ((__u32)(hdr >> 32) == (__u32)(q->pos + 1))
		return 1;
	if (__BYTEOR_UNLIKELY(__byteor_mpsc_stuck(q))) {
		e->tick = true;	/* leave the wait to look for an orphan */
		return 1;
	}
	return 0;
}

static int mpsc_tx_ready(void *arg)
{
	struct byteor_events *e = arg;
	struct __byteor_mpsc *q = &e->q.m;
	__u64 h, t;

	if (__byteor_mpsc_positions(q->ctl, &t, &h))
		return 0;
	q->head = h;
	if (t - h > q->cap)
		return -EBADMSG;
	return t - h < q->cap;
}

static int ev_ready(struct byteor_events *e, bool producer)
{
	if (e->mpsc)
		return producer ? mpsc_tx_ready(e) : mpsc_rx_ready(e);
	return producer ? spsc_tx_ready(e) : spsc_rx_ready(e);
}

/*
 * Consumer, between slices or when ready() asked: skip orphans, then
 * -EPIPE if drained and every producer that came is gone.
 */
static int rx_tick(void *arg)
{
	struct byteor_events *e = arg;
	struct __byteor_side *prod = ev_side(e, true);
	int ret;

	if (e->mpsc && mpsc_repair(e))
		return 1;
	__byteor_peer_note(&e->peer, prod);
	if (!__byteor_peer_gone(&e->peer, ev_any_producer_alive(e)))
		return 0;	/* one alive, none yet, or cannot tell */
	e->tick = false;
	ret = ev_ready(e, false);
	if (ret > 0 && !e->tick)
		return 1;
	if (ret < 0)
		return ret;
	/*
	 * Every producer is gone.  MPSC: positions still claimed are
	 * skipped as orphans by the next ticks (their writers are dead), so
	 * only report the pipe once nothing is in flight.
	 */
	if (e->mpsc) {
		__u64 t = atomic_load_explicit(&prod->pos, memory_order_acquire);

		if (t != e->q.m.pos && t - e->q.m.pos <= e->q.m.cap &&
		    mpsc_orphaned(e, e->q.m.pos))
			return 0;
	}
	return -EPIPE;
}

/* Producer: -EPIPE if full and the consumer came and went. */
static int tx_tick(void *arg)
{
	struct byteor_events *e = arg;
	int ret;

	__byteor_peer_note(&e->peer, ev_side(e, false));
	if (!__byteor_peer_gone(&e->peer,
				__byteor_claim_alive(e->reg, e->cons_claim)))
		return 0;
	ret = ev_ready(e, true);
	return ret ? ret : -EPIPE;
}

static int ev_rx_ready_cb(void *arg)
{
	return ev_ready(arg, false);
}

static int ev_tx_ready_cb(void *arg)
{
	return ev_ready(arg, true);
}

static int ev_wait(struct byteor_events *e, bool producer, long long timeout_ns)
{
	struct __byteor_spsc_ctl *sc = ev_ctl(e, e->queue);
	struct __byteor_mpsc_ctl *mc = ev_ctl(e, e->queue);
	struct __byteor_lane_wait lw = {
		.w = &e->w,
		.ready = producer ? ev_tx_ready_cb : ev_rx_ready_cb,
		.tick = &e->tick,
		.tick_fn = producer ? tx_tick : rx_tick,
		.arg = e,
		.side = ev_side(e, producer),
	};

	if (e->mpsc)
		lw.ec = producer ? &mc->room : &mc->data;
	else
		lw.ec = producer ? &sc->room : &sc->data;
	return __byteor_lane_wait(&lw, timeout_ns);
}

/* ------------------------------------------------------------------------
 * Waiting on several consumer handles at once.
 */

struct ev_any {
	struct byteor_events *const *rx;
	unsigned int n;
	int hit;			/* index of the ready handle */
};

/* ready() of the combined wait: the first handle with something to peek. */
static int ev_any_ready(void *arg)
{
	struct ev_any *a = arg;
	unsigned int i;
	int ret;

	for (i = 0; i < a->n; i++) {
		a->rx[i]->tick = false;
		ret = ev_ready(a->rx[i], false);
		if (ret) {
			a->hit = (int)i;
			/* An error or a tick request is news for peek too. */
			return 1;
		}
	}
	return 0;
}

/* Between slices: a handle whose slow checks have news (orphan, -EPIPE). */
static int ev_any_tick(struct ev_any *a)
{
	unsigned int i;

	for (i = 0; i < a->n; i++)
		if (rx_tick(a->rx[i]))
			return (int)i;
	return -1;
}

static int ev_any_check(struct byteor_events *const *rx, unsigned int n,
			struct __byteor_ec **ecs)
{
	unsigned int i, j;

	if (!rx || !n || n > __BYTEOR_EC_WAIT_MANY_MAX)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		struct byteor_events *e = rx[i];

		if (!e || e->role != BYTEOR_ROLE_CONSUMER)
			return -EINVAL;
		if (!e->waiter_ok)
			return -EBADF;
		for (j = 0; j < i; j++)
			if (rx[j] == e)
				return -EINVAL;
		ecs[i] = e->mpsc ? &((struct __byteor_mpsc_ctl *)ev_ctl(e, e->queue))->data :
				   &((struct __byteor_spsc_ctl *)ev_ctl(e, e->queue))->data;
	}
	return 0;
}

int byteor_events_wait_any(struct byteor_events *const *rx, unsigned int n,
			   long long timeout_ns)
{
	struct __byteor_ec *ecs[__BYTEOR_EC_WAIT_MANY_MAX];
	struct ev_any a = { .rx = rx, .n = n, .hit = -1 };
	long long deadline = 0, slice, left, next = __BYTEOR_LANE_SLICE_NS;
	int ret;

	ret = ev_any_check(rx, n, ecs);
	if (ret)
		return ret;
	if (ev_any_ready(&a))
		return a.hit;
	if (!timeout_ns) {
		ret = ev_any_tick(&a);
		return ret >= 0 ? ret : -EAGAIN;
	}
	if (timeout_ns > 0)
		deadline = __byteor_now_ns() + timeout_ns;
	for (;;) {
		/* Slices, as __byteor_lane_wait(): the slow checks between. */
		slice = next;
		if (next < __BYTEOR_LANE_SLICE_MAX_NS)
			next *= 2;
		if (deadline) {
			left = deadline - __byteor_now_ns();
			if (left <= 0) {
				ret = ev_any_tick(&a);
				return ret >= 0 ? ret : -ETIMEDOUT;
			}
			if (left < slice)
				slice = left;
		}
		ret = __byteor_ec_wait_many(ecs, n, &rx[0]->w, ev_any_ready, &a,
					    slice);
		if (!ret)
			return a.hit;
		if (ret != -ETIMEDOUT)
			return ret;
		ret = ev_any_tick(&a);
		if (ret >= 0)
			return ret;
	}
}

/* ------------------------------------------------------------------------
 * Producer.
 */

int byteor_events_claim_timed(struct byteor_events *e, struct byteor_slot *s,
			      unsigned int n, long long timeout_ns)
{
	long long deadline = 0, left = timeout_ns;
	int ret;

	if (__BYTEOR_UNLIKELY(!e))
		return -EINVAL;
	if (__BYTEOR_UNLIKELY(e->role != BYTEOR_ROLE_PRODUCER))
		return -EBADF;
	for (;;) {
		ret = e->mpsc ? __byteor_mpsc_claim(&e->q.m, s, n) :
				__byteor_spsc_claim(&e->q.s, s, n);
		if (__BYTEOR_LIKELY(ret != -EAGAIN) || !timeout_ns)
			return ret;
		/*
		 * MPSC: another producer may take the room we were woken
		 * for, so the wait can repeat: keep one deadline.
		 */
		if (timeout_ns > 0) {
			if (!deadline)
				deadline = __byteor_now_ns() + timeout_ns;
			left = deadline - __byteor_now_ns();
			if (left <= 0)
				return -ETIMEDOUT;
		}
		ret = ev_wait(e, true, left);
		if (ret)
			return ret;
	}
}

/* Out of line: the inline byteor_events_claim() could not. */
int __byteor_events_claim(struct byteor_events *e, struct byteor_slot *s,
			  unsigned int n)
{
	return byteor_events_claim_timed(e, s, n, e->timeout_ns);
}

int __byteor_events_publish(struct byteor_events *e,
			    const struct byteor_slot *s, unsigned int n)
{
	if (__BYTEOR_UNLIKELY(e->role != BYTEOR_ROLE_PRODUCER))
		return -EBADF;
	return e->mpsc ? __byteor_mpsc_publish(&e->q.m, s, n) :
			 __byteor_spsc_publish(&e->q.s, s, n);
}

int byteor_events_send_timed(struct byteor_events *e, const void *buf,
			     size_t len, long long timeout_ns)
{
	struct byteor_slot s;
	int ret;

	if (__BYTEOR_UNLIKELY(!e))
		return -EINVAL;
	if (__BYTEOR_UNLIKELY(e->role != BYTEOR_ROLE_PRODUCER))
		return -EBADF;
	if (__BYTEOR_UNLIKELY(len > ev_geom(e)->slot_size))
		return -EMSGSIZE;
	ret = byteor_events_claim_timed(e, &s, 1, timeout_ns);
	if (__BYTEOR_UNLIKELY(ret < 0))
		return ret;
	memcpy(s.data, buf, len);
	s.len = (__u32)len;
	byteor_events_publish(e, &s, 1);
	return 0;
}

int byteor_events_send(struct byteor_events *e, const void *buf, size_t len)
{
	if (__BYTEOR_UNLIKELY(!e))
		return -EINVAL;
	return byteor_events_send_timed(e, buf, len, e->timeout_ns);
}

/* ------------------------------------------------------------------------
 * Consumer.
 */

static int ev_peek_once(struct byteor_events *e, struct byteor_slot *s,
			unsigned int n)
{
	int ret;

	if (!e->mpsc)
		return __byteor_spsc_peek(&e->q.s, s, n);
	ret = __byteor_mpsc_peek(&e->q.m, s, n);
	if (__BYTEOR_UNLIKELY(ret == -EAGAIN) && n &&
	    __byteor_mpsc_stuck(&e->q.m) && mpsc_repair(e))
		ret = __byteor_mpsc_peek(&e->q.m, s, n);
	return ret;
}

int byteor_events_peek_timed(struct byteor_events *e, struct byteor_slot *s,
			     unsigned int n, long long timeout_ns)
{
	long long deadline = 0, left = timeout_ns;
	int ret;

	if (__BYTEOR_UNLIKELY(!e))
		return -EINVAL;
	if (__BYTEOR_UNLIKELY(e->role != BYTEOR_ROLE_CONSUMER))
		return -EBADF;
	for (;;) {
		ret = ev_peek_once(e, s, n);
		if (__BYTEOR_LIKELY(ret != -EAGAIN) || !timeout_ns)
			return ret;
		/* The wait can end without an event (an orphan skipped). */
		if (timeout_ns > 0) {
			if (!deadline)
				deadline = __byteor_now_ns() + timeout_ns;
			left = deadline - __byteor_now_ns();
			if (left <= 0)
				return -ETIMEDOUT;
		}
		ret = ev_wait(e, false, left);
		if (ret)
			return ret;
	}
}

int __byteor_events_peek(struct byteor_events *e, struct byteor_slot *s,
			 unsigned int n)
{
	return byteor_events_peek_timed(e, s, n, e->timeout_ns);
}

int __byteor_events_release(struct byteor_events *e, unsigned int n)
{
	if (__BYTEOR_UNLIKELY(e->role != BYTEOR_ROLE_CONSUMER))
		return -EBADF;
	return e->mpsc ? __byteor_mpsc_release(&e->q.m, n) :
			 __byteor_spsc_release(&e->q.s, n);
}

int byteor_events_recv_timed(struct byteor_events *e, void *buf, size_t cap,
			     long long timeout_ns)
{
	struct byteor_slot s;
	int ret;

	ret = byteor_events_peek_timed(e, &s, 1, timeout_ns);
	if (__BYTEOR_UNLIKELY(ret < 0)) {
		/* Drop a published slot with a corrupt length (see recv). */
		if (ret == -EBADMSG &&
		    (e->mpsc ? e->q.m.ready != 0 : e->q.s.peer != e->q.s.pos))
			byteor_events_release(e, 1);
		return ret;
	}
	if (__BYTEOR_UNLIKELY(s.len > cap))
		return -EMSGSIZE;
	memcpy(buf, s.data, s.len);
	byteor_events_release(e, 1);
	return (int)s.len;
}

int byteor_events_recv(struct byteor_events *e, void *buf, size_t cap)
{
	if (__BYTEOR_UNLIKELY(!e))
		return -EINVAL;
	return byteor_events_recv_timed(e, buf, cap, e->timeout_ns);
}

/* ------------------------------------------------------------------------
 * Observation.
 */

int byteor_events_snapshot(const struct byteor_events *e, unsigned int queue,
			   struct byteor_events_snapshot *s)
{
	const struct byteor_geometry *g;
	struct __byteor_spsc_ctl *sc;
	struct __byteor_mpsc_ctl *mc;
	struct __byteor_side *prod, *cons;
	__u32 pfirst, pcount, cclaim, i;
	bool consistent;
	__u64 h, t;
	int alive;

	if (!e || !s)
		return -EINVAL;
	g = ev_geom(e);
	if (queue >= g->queues || ev_claims(g, queue, &pfirst, &pcount, &cclaim))
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	sc = ev_ctl(e, queue);
	mc = ev_ctl(e, queue);
	prod = &sc->prod;
	cons = &sc->cons;
	s->queue = queue;
	if (ev_is_mpsc(g, queue))
		s->flags |= BYTEOR_EVENTS_SNAP_F_MPSC;
	consistent = __byteor_side_positions(prod, cons, &h, &t);
	s->producer_pos = h;
	s->consumer_pos = t;
	/*
	 * A consumer may run up to a publish ahead of the producer's
	 * position, by the slots' tags (byteor/lane_inline.h): t a little
	 * past h is a publish in flight, occupancy 0, not corruption.
	 */
	if (consistent && h - t <= g->capacity)
		s->occupancy = h - t;
	else if (!(consistent && t - h <= g->capacity))
		s->flags |= BYTEOR_EVENTS_SNAP_F_CORRUPT;
	s->capacity = g->capacity;
	s->slot_size = g->slot_size;
	s->producers = pcount;
	for (i = 0; i < pcount; i++) {
		alive = __byteor_claim_alive(e->reg, pfirst + i);
		if (alive > 0) {
			s->producers_alive++;
			s->producers_alive_mask |= 1ULL << i;
		}
	}
	s->consumer_alive = __byteor_claim_alive(e->reg, cclaim);
	if (s->flags & BYTEOR_EVENTS_SNAP_F_MPSC) {
		s->consumer_waiters = __byteor_ec_waiters(&mc->data);
		s->producer_waiters = __byteor_ec_waiters(&mc->room);
	} else {
		s->consumer_waiters = __byteor_ec_waiters(&sc->data);
		s->producer_waiters = __byteor_ec_waiters(&sc->room);
	}
	s->skipped = atomic_load_explicit(&cons->skipped, memory_order_relaxed);
	s->producer_attaches = atomic_load_explicit(&prod->attaches,
						    memory_order_relaxed);
	s->consumer_attaches = atomic_load_explicit(&cons->attaches,
						    memory_order_relaxed);
	s->producer_parks = atomic_load_explicit(&prod->parks, memory_order_relaxed);
	s->consumer_parks = atomic_load_explicit(&cons->parks, memory_order_relaxed);
	s->producer_park_path = atomic_load_explicit(&prod->park_path,
						     memory_order_relaxed);
	s->consumer_park_path = atomic_load_explicit(&cons->park_path,
						     memory_order_relaxed);
	if (e->waiter_ok) {
		__byteor_waiter_stats(&e->w, &s->wait);
		s->park_path = e->w.path;
	} else {
		s->park_path = __byteor_process_park_path();
	}
	return 0;
}

unsigned long long byteor_events_skipped(const struct byteor_events *e)
{
	return e && e->mpsc && e->role == BYTEOR_ROLE_CONSUMER ? e->q.m.skipped : 0;
}

int byteor_events_peer_alive(const struct byteor_events *e)
{
	if (!e)
		return -EINVAL;
	if (e->role == BYTEOR_ROLE_OBSERVER)
		return -EBADF;
	if (e->role == BYTEOR_ROLE_PRODUCER)
		return __byteor_claim_alive(e->reg, e->cons_claim);
	return ev_any_producer_alive(e);
}

/* The accessors: 0 for a NULL handle, like the other lanes'. */
unsigned int byteor_events_queues(const struct byteor_events *e)
{
	return e ? ev_geom(e)->queues : 0;
}

unsigned int byteor_events_slot_size(const struct byteor_events *e)
{
	return e ? ev_geom(e)->slot_size : 0;
}

unsigned int byteor_events_capacity(const struct byteor_events *e)
{
	return e ? ev_geom(e)->capacity : 0;
}

unsigned int byteor_events_queue(const struct byteor_events *e)
{
	return e ? e->queue : 0;
}

unsigned int byteor_events_producer_index(const struct byteor_events *e)
{
	return e && e->mpsc && e->role == BYTEOR_ROLE_PRODUCER ? e->q.m.p : 0;
}
