// SPDX-License-Identifier: MIT
/*
 * fanout.c - the fanout lane (byteor/fanout.h): attach, the producer, the
 * consumers, snapshots.  The router is in fanout_router.c; the layout and
 * the memory-ordering argument in fanout_pvt.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <byteor/crashpoint.h>
#include "fanout_pvt.h"

#define FO_LIKELY(x)	__builtin_expect(!!(x), 1)
#define FO_UNLIKELY(x)	__builtin_expect(!!(x), 0)

__u32 byteor_fanout_key_hash(__u64 key)
{
	/* splitmix64's finaliser: every key bit moves every hash bit. */
	key ^= key >> 30;
	key *= 0xbf58476d1ce4e5b9ULL;
	key ^= key >> 27;
	key *= 0x94d049bb133111ebULL;
	key ^= key >> 31;
	return (__u32)(key >> 32);
}

/* ------------------------------------------------------------------------
 * Attach.
 */

static int fo_attach(const struct byteor_attach_options *o, int role,
		     struct byteor_fanout **out)
{
	struct byteor_geometry want;
	const struct byteor_geometry *g;
	const struct byteor_layout *l;
	struct byteor_fanout *f;
	int ret;

	if (!o || !out)
		return -EINVAL;
	if ((o->flags & BYTEOR_ATTACH_OBSERVER) && role != BYTEOR_ROLE_OBSERVER)
		return -EINVAL;
	if (role != BYTEOR_ROLE_CONSUMER && o->queue)
		return -EINVAL;
	f = aligned_alloc(BYTEOR_CACHELINE,
			  byteor_align(sizeof(*f), BYTEOR_CACHELINE));
	if (!f)
		return -ENOMEM;
	memset(f, 0, sizeof(*f));
	memset(&want, 0, sizeof(want));
	ret = __byteor_region_attach(o, BYTEOR_KIND_FANOUT, BYTEOR_FANOUT_VERSION,
				     &want, (__u32)role, &f->reg);
	if (ret)
		goto err_free;
	g = &f->reg->info.geometry;
	l = &f->reg->info.layout;
	/*
	 * The backing validated the descriptor; re-check what this file
	 * relies on for memory safety, so a backing bug cannot become an
	 * overrun here.
	 */
	if (f->reg->info.kind != BYTEOR_KIND_FANOUT ||
	    !byteor_is_pow2(g->capacity) || g->queues < 1 ||
	    g->queues > BYTEOR_MAX_QUEUES ||
	    l->slot_stride != BYTEOR_SLOT_HEADER + g->slot_size ||
	    l->control_stride != BYTEOR_CONTROL_STRIDE ||
	    l->control_blocks < 2 + g->queues ||
	    l->area_size[BYTEOR_AREA_CONTROL] <
		    (__u64)(2 + g->queues) * BYTEOR_CONTROL_STRIDE ||
	    l->area_size[BYTEOR_AREA_SLOTS] < (__u64)g->capacity * l->slot_stride ||
	    l->area_size[BYTEOR_AREA_AUX] <
		    (__u64)g->queues * g->capacity * sizeof(__u64) ||
	    l->nr_claims < 2 + g->queues) {
		ret = -EBADMSG;
		goto err_detach;
	}
	f->cap = g->capacity;
	f->mask = f->cap - 1;
	f->slot_size = g->slot_size;
	f->stride = l->slot_stride;
	f->nq = g->queues;
	f->all = f->nq == 64 ? ~0ULL : (1ULL << f->nq) - 1;
	f->role = role;
	f->timeout_ns = o->timeout_ns;
	f->ring = __byteor_area(f->reg, BYTEOR_AREA_SLOTS, 0);
	f->aux = __byteor_area(f->reg, BYTEOR_AREA_AUX, 0);
	f->ctl = __byteor_area(f->reg, BYTEOR_AREA_CONTROL, 0);
	f->pc = (struct __byteor_fo_prod *)f->ctl;
	f->rc = (struct __byteor_fo_router *)(f->ctl + BYTEOR_CONTROL_STRIDE);
	if (role != BYTEOR_ROLE_OBSERVER) {
		__byteor_notifier_init();
		ret = __byteor_waiter_init_opts(&f->w, o);
		if (ret)
			goto err_detach;
		f->waiter_ok = true;
	}
	*out = f;
	return 0;

err_detach:
	__byteor_region_detach(f->reg);
err_free:
	free(f);
	return ret;
}

int byteor_attach_fanout_tx(const struct byteor_attach_options *o,
			    struct byteor_fanout **out)
{
	struct byteor_fanout *f;
	int ret;

	ret = fo_attach(o, BYTEOR_ROLE_PRODUCER, &f);
	if (ret)
		return ret;
	/* Our position is authoritative from now on; re-assert it. */
	f->pos = atomic_load_explicit(&f->pc->side.pos, memory_order_acquire);
	atomic_store_explicit(&f->pc->side.pos, f->pos, memory_order_release);
	/* "No room proven": the first claim computes the gate. */
	f->gate = f->pos - f->cap;
	atomic_fetch_add_explicit(&f->pc->side.attaches, 1, memory_order_relaxed);
	*out = f;
	return 0;
}

int byteor_attach_fanout_rx(const struct byteor_attach_options *o,
			    struct byteor_fanout **out)
{
	struct byteor_fanout *f;
	int ret;

	ret = fo_attach(o, BYTEOR_ROLE_CONSUMER, &f);
	if (ret)
		return ret;
	f->q = o->queue;	/* the backing checked it against queues */
	if (f->q >= f->nq) {
		byteor_fanout_detach(f);
		return -EINVAL;
	}
	f->cc = __byteor_fo_cons(f, f->q);
	f->queue = __byteor_fo_queue(f, f->q);
	/* Our generation: never 0 (0 means "leave"). */
	f->gen = atomic_fetch_add_explicit(&f->cc->side.attaches, 1,
					   memory_order_relaxed) + 1;
	if (!f->gen)
		f->gen = atomic_fetch_add_explicit(&f->cc->side.attaches, 1,
						   memory_order_relaxed) + 1;
	/*
	 * Release: pairs with the router's acquire load of join_req; we
	 * hold the claim by now, so a router that sees the request and then
	 * tests our claim finds it alive.
	 */
	atomic_store_explicit(&f->cc->join_req, f->gen, memory_order_release);
	__byteor_ec_notify(&f->pc->data);
	*out = f;
	return 0;
}

int byteor_attach_fanout_observer(const struct byteor_attach_options *o,
				  struct byteor_fanout **out)
{
	return fo_attach(o, BYTEOR_ROLE_OBSERVER, out);
}

int byteor_attach_fanout_router(const struct byteor_attach_options *o,
				const struct byteor_fanout_router_options *ro,
				struct byteor_fanout **out)
{
	struct byteor_fanout *f;
	int ret;

	if (ro && (ro->mode < BYTEOR_FANOUT_BROADCAST ||
		   ro->mode > BYTEOR_FANOUT_CALLBACK ||
		   (ro->mode == BYTEOR_FANOUT_CALLBACK && !ro->route)))
		return -EINVAL;
	ret = fo_attach(o, BYTEOR_ROLE_ROUTER, &f);
	if (ret)
		return ret;
	ret = __byteor_fo_router_init(f, ro);
	if (ret) {
		byteor_fanout_detach(f);
		return ret;
	}
	*out = f;
	return 0;
}

void byteor_fanout_detach(struct byteor_fanout *f)
{
	if (!f)
		return;
	if (f->role == BYTEOR_ROLE_CONSUMER && f->cc) {
		/* Leave now, rather than when the router notices the claim. */
		atomic_store_explicit(&f->cc->join_req, 0, memory_order_release);
		__byteor_ec_notify(&f->pc->data);
	}
	if (f->waiter_ok)
		__byteor_waiter_fini(&f->w);
	__byteor_region_detach(f->reg);
	free(f);
}

/* ------------------------------------------------------------------------
 * Waiting (shared with the router).
 */

int __byteor_fo_wait(struct byteor_fanout *f, struct __byteor_ec *ec,
		     int (*ready)(void *), int (*tick)(void *),
		     struct __byteor_side *side, long long timeout_ns)
{
	struct __byteor_lane_wait lw = {
		.ec = ec, .w = &f->w, .ready = ready, .tick = &f->tick,
		.tick_fn = tick, .arg = f, .side = side,
	};

	return __byteor_lane_wait(&lw, timeout_ns);
}

static int fo_alive(const struct byteor_fanout *f, __u32 claim)
{
	return __byteor_claim_alive(f->reg, claim);
}

/* ------------------------------------------------------------------------
 * Producer.
 */

static void fo_corrupt(_Atomic __u64 *ctr)
{
	atomic_fetch_add_explicit(ctr, 1, memory_order_relaxed);
}

/*
 * The oldest message member @i still holds, as seen after R = @r was
 * read: *@bound lowered to it.  Entries are checked against the window
 * [pos - cap, r): a value outside it was scribbled on, and consumer @i is
 * then not waited for (only its own lane suffers).
 */
static void fo_member_bound(struct byteor_fanout *f, __u32 i, __u64 r,
			    __u64 *bound)
{
	struct __byteor_fo_cons *c = __byteor_fo_cons(f, i);
	_Atomic __u64 *q = __byteor_fo_queue(f, i);
	unsigned int tries;
	__u64 t, h, h2, s;
	__s64 d;

	/*
	 * Acquire: pairs with the router's release of T_i (entries below it
	 * are written) - loaded after R, which the router stores after T_i.
	 */
	t = atomic_load_explicit(&c->tail, memory_order_acquire);
	/* Acquire: pairs with the consumer's release of H_i (its reads done). */
	h = atomic_load_explicit(&c->side.pos, memory_order_acquire);
	for (tries = 0; tries < 8; tries++) {
		d = (__s64)(t - h);
		if (d <= 0)		/* released all it was routed */
			return;
		if ((__u64)d > f->cap) {
			fo_corrupt(&f->pc->side.skipped);
			return;
		}
		s = atomic_load_explicit(&q[h & f->mask], memory_order_relaxed);
		/*
		 * Acquire: orders the entry load before this re-load; an
		 * unchanged H_i means entry h was still the consumer's oldest
		 * (the router cannot rewrite entry h while H_i = h: a queue
		 * holds at most cap unreleased entries).
		 */
		h2 = atomic_load_explicit(&c->side.pos, memory_order_acquire);
		if (h2 != h) {
			h = h2;
			continue;
		}
		if (r - s - 1 >= f->cap || f->pos - s > f->cap) {
			fo_corrupt(&f->pc->side.skipped);
			return;
		}
		if (r - s > r - *bound)
			*bound = s;
		return;
	}
	/* The consumer keeps moving: assume the oldest slot is still held. */
	if (r - (f->pos - f->cap) > r - *bound)
		*bound = f->pos - f->cap;
}

/*
 * Free slots the producer can prove, recomputing the gate if the cached
 * one shows fewer than @want.  Return: free slots (>= 0) or -EBADMSG (the
 * router's position is corrupt: more than a ring behind us, or ahead).
 */
static long long fo_room(struct byteor_fanout *f, __u64 want)
{
	__u64 used = f->pos + f->claimed - f->gate;
	__u64 r, members, bound;
	__u32 i;

	if (FO_LIKELY(used <= f->cap && f->cap - used >= want))
		return (long long)(f->cap - used);
	/* Slow path: re-assert P, so a scribbled one heals (router waits). */
	__byteor_side_heal(&f->pc->side, f->pos);
	/*
	 * Acquire: pairs with the router's release of R; everything it
	 * wrote before (entries, T_i, members) is visible below.
	 */
	r = atomic_load_explicit(&f->rc->side.pos, memory_order_acquire);
	if (FO_UNLIKELY(f->pos - r > f->cap)) {
		fo_corrupt(&f->pc->side.skipped);
		/* Re-assert ours, so a router that attaches sees a sane one. */
		__byteor_side_heal(&f->pc->side, f->pos);
		return -EBADMSG;
	}
	members = atomic_load_explicit(&f->rc->members, memory_order_acquire) &
		  f->all;
	bound = r;
	for (i = 0; members; i++, members >>= 1)
		if (members & 1)
			fo_member_bound(f, i, r, &bound);
	f->gate = bound;
	used = f->pos + f->claimed - bound;
	if (used > f->cap)	/* a consumer claims to hold an old slot */
		return 0;
	return (long long)(f->cap - used);
}

static int fo_tx_ready(void *arg)
{
	struct byteor_fanout *f = arg;
	long long a = fo_room(f, 1);

	return a > 0 ? 1 : (int)a;
}

/* A producer whose router came and went gets -EPIPE (nothing will move). */
static int fo_tx_tick(void *arg)
{
	struct byteor_fanout *f = arg;
	int ret = fo_alive(f, __byteor_fo_router_claim(f));

	if (ret)
		return 0;
	if (!atomic_load_explicit(&f->rc->side.attaches, memory_order_relaxed))
		return 0;
	ret = fo_tx_ready(f);
	return ret ? ret : -EPIPE;
}

int byteor_fanout_claim_timed(struct byteor_fanout *f,
			      struct byteor_fanout_slot *s, unsigned int n,
			      long long timeout_ns)
{
	long long room;
	unsigned int k, i;
	int ret;

	if (FO_UNLIKELY(!f || !s))
		return -EINVAL;
	if (FO_UNLIKELY(f->role != BYTEOR_ROLE_PRODUCER))
		return -EBADF;
	if (FO_UNLIKELY(f->claimed))
		return -EBUSY;
	if (FO_UNLIKELY(!n))
		return 0;
	if (n > BYTEOR_FANOUT_BATCH_MAX)
		n = BYTEOR_FANOUT_BATCH_MAX;
	for (;;) {
		room = fo_room(f, n);
		if (FO_LIKELY(room > 0))
			break;
		if (room < 0)
			return (int)room;
		if (!timeout_ns)
			return -EAGAIN;
		ret = __byteor_fo_wait(f, &f->pc->room, fo_tx_ready, fo_tx_tick,
				       &f->pc->side, timeout_ns);
		if (ret)
			return ret;
	}
	k = (unsigned int)((__u64)room < n ? (__u64)room : n);
	for (i = 0; i < k; i++) {
		s[i].data = __byteor_fo_slot(f, f->pos + i) + BYTEOR_SLOT_HEADER;
		s[i].len = f->slot_size;
		s[i].reserved = 0;
		s[i].key = 0;
	}
	f->claimed = k;
	return (int)k;
}

int byteor_fanout_claim(struct byteor_fanout *f, struct byteor_fanout_slot *s,
			unsigned int n)
{
	return byteor_fanout_claim_timed(f, s, n, f ? f->timeout_ns : 0);
}

int byteor_fanout_publish(struct byteor_fanout *f,
			  const struct byteor_fanout_slot *s, unsigned int n)
{
	struct __byteor_fo_hdr *h;
	unsigned int i;

	if (FO_UNLIKELY(!f))
		return -EINVAL;
	if (FO_UNLIKELY(f->role != BYTEOR_ROLE_PRODUCER))
		return -EBADF;
	if (FO_UNLIKELY(n > f->claimed || (n && !s)))
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (FO_UNLIKELY(s[i].len > f->slot_size))
			return -EINVAL;
	for (i = 0; i < n; i++) {
		h = (struct __byteor_fo_hdr *)__byteor_fo_slot(f, f->pos + i);
		/* Ordered before the router's read by the release below. */
		__atomic_store_n(&h->len, s[i].len, __ATOMIC_RELAXED);
		__atomic_store_n(&h->key_hash, byteor_fanout_key_hash(s[i].key),
				 __ATOMIC_RELAXED);
	}
	f->pos += n;
	f->claimed -= n;
	BYTEOR_CRASHPOINT("fanout.tx.before_publish");
	/*
	 * Release: pairs with the router's acquire load of P: the messages
	 * and headers written above are visible before their sequence is.
	 */
	atomic_store_explicit(&f->pc->side.pos, f->pos, memory_order_release);
	BYTEOR_CRASHPOINT("fanout.tx.published");
	__byteor_ec_notify(&f->pc->data);
	return (int)n;
}

int byteor_fanout_send_timed(struct byteor_fanout *f, const void *buf,
			     size_t len, __u64 key, long long timeout_ns)
{
	struct byteor_fanout_slot s;
	int ret;

	if (FO_UNLIKELY(!f || (!buf && len)))
		return -EINVAL;
	if (FO_UNLIKELY(f->role != BYTEOR_ROLE_PRODUCER))
		return -EBADF;
	if (FO_UNLIKELY(len > f->slot_size))
		return -EMSGSIZE;
	ret = byteor_fanout_claim_timed(f, &s, 1, timeout_ns);
	if (FO_UNLIKELY(ret < 0))
		return ret;
	if (len)
		memcpy(s.data, buf, len);
	s.len = (__u32)len;
	s.key = key;
	byteor_fanout_publish(f, &s, 1);
	return 0;
}

int byteor_fanout_send(struct byteor_fanout *f, const void *buf, size_t len,
		       __u64 key)
{
	return byteor_fanout_send_timed(f, buf, len, key, f ? f->timeout_ns : 0);
}

/* ------------------------------------------------------------------------
 * Consumer.
 */

/* Has the router admitted us?  Adopts the position it gave us. */
static bool fo_rx_joined(struct byteor_fanout *f)
{
	if (FO_LIKELY(f->joined))
		return true;
	/*
	 * Acquire: pairs with the router's release of joined, after it set
	 * H_i = T_i and start for us.
	 */
	if (atomic_load_explicit(&f->cc->joined, memory_order_acquire) != f->gen)
		return false;
	f->head = atomic_load_explicit(&f->cc->side.pos, memory_order_relaxed);
	f->next_min = atomic_load_explicit(&f->cc->start, memory_order_relaxed);
	f->tail = f->head;
	f->bound = f->next_min;
	f->peeked = 0;
	f->joined = true;
	return true;
}

/*
 * Entries routed to us and not released, re-reading T_i if the cached one
 * shows fewer than @want.  Return: count, or -EBADMSG (T_i corrupt).
 */
static long long fo_rx_avail(struct byteor_fanout *f, __u64 want)
{
	__u64 t, d;

	if (FO_UNLIKELY(!fo_rx_joined(f)))
		return 0;
	d = f->tail - f->head;
	if (FO_LIKELY(d >= want))
		return (long long)d;
	/*
	 * Slow path: re-assert H_i (ours once joined), so a scribbled one
	 * that makes the producer wait for us heals while we wait too.
	 */
	__byteor_side_heal(&f->cc->side, f->head);
	/* Acquire: pairs with the router's release of T_i (entries written). */
	t = atomic_load_explicit(&f->cc->tail, memory_order_acquire);
	d = t - f->head;
	if (FO_UNLIKELY(d > f->cap)) {
		__byteor_side_heal(&f->cc->side, f->head);
		return (__s64)d < 0 && (__u64)-(__s64)d <= f->cap ? 0 : -EBADMSG;
	}
	f->tail = t;
	/* Stored by the router before T_i: bounds the entries below t. */
	f->bound = atomic_load_explicit(&f->cc->rpos, memory_order_relaxed);
	return (long long)d;
}

static void fo_rx_advance(struct byteor_fanout *f, unsigned int n, __u64 last)
{
	f->head += n;
	f->next_min = last + 1;
	/*
	 * Release: pairs with the producer's acquire load of H_i in
	 * fo_member_bound(): our reads of these messages are done before it
	 * may rewrite their slots.
	 */
	atomic_store_explicit(&f->cc->side.pos, f->head, memory_order_release);
	__byteor_ec_notify(&f->pc->room);
}

static int fo_rx_ready(void *arg)
{
	struct byteor_fanout *f = arg;
	long long a = fo_rx_avail(f, 1);

	return a > 0 ? 1 : (int)a;
}

/*
 * Between slices: -EPIPE once drained and nothing more can come - the
 * router is gone, or the producer is gone and the router routed all it
 * published.  Liveness first, then positions.
 */
static int fo_rx_tick(void *arg)
{
	struct byteor_fanout *f = arg;
	int rt, pr, ret;
	__u64 p, r;

	rt = fo_alive(f, __byteor_fo_router_claim(f));
	pr = fo_alive(f, 0);
	if (rt == 0 && atomic_load_explicit(&f->rc->side.attaches,
					    memory_order_relaxed)) {
		ret = fo_rx_ready(f);
		return ret ? ret : -EPIPE;
	}
	if (pr == 0 && f->joined &&
	    atomic_load_explicit(&f->pc->side.attaches, memory_order_relaxed)) {
		p = atomic_load_explicit(&f->pc->side.pos, memory_order_acquire);
		r = atomic_load_explicit(&f->rc->side.pos, memory_order_acquire);
		ret = fo_rx_ready(f);
		if (ret)
			return ret;
		return p == r ? -EPIPE : 0;
	}
	return 0;
}

int byteor_fanout_peek_timed(struct byteor_fanout *f,
			     struct byteor_fanout_msg *m, unsigned int n,
			     long long timeout_ns)
{
	struct __byteor_fo_hdr *h;
	__u64 s, nm;
	long long avail;
	unsigned int k, i;
	__u32 len;
	int ret;

	if (FO_UNLIKELY(!f || !m))
		return -EINVAL;
	if (FO_UNLIKELY(f->role != BYTEOR_ROLE_CONSUMER))
		return -EBADF;
	if (FO_UNLIKELY(!n))
		return 0;
	if (n > __BYTEOR_FO_PEEK_MAX)
		n = __BYTEOR_FO_PEEK_MAX;
	for (;;) {
		avail = fo_rx_avail(f, n);
		if (FO_LIKELY(avail > 0))
			break;
		if (avail < 0)
			return (int)avail;
		if (!timeout_ns)
			return -EAGAIN;
		ret = __byteor_fo_wait(f, &f->cc->data, fo_rx_ready, fo_rx_tick,
				       &f->cc->side, timeout_ns);
		if (ret)
			return ret;
	}
	k = (unsigned int)((__u64)avail < n ? (__u64)avail : n);
	nm = f->next_min;
	for (i = 0; i < k; i++) {
		s = atomic_load_explicit(&f->queue[(f->head + i) & f->mask],
					 memory_order_relaxed);
		/* Increasing, and below what the router had routed. */
		if (FO_UNLIKELY(s - nm >= f->bound - nm))
			break;
		h = (struct __byteor_fo_hdr *)__byteor_fo_slot(f, s);
		/* Read the length once: a peer may rewrite it meanwhile. */
		len = __atomic_load_n(&h->len, __ATOMIC_RELAXED);
		if (FO_UNLIKELY(len > f->slot_size))
			break;
		m[i].data = (unsigned char *)h + BYTEOR_SLOT_HEADER;
		m[i].len = len;
		m[i].key_hash = __atomic_load_n(&h->key_hash, __ATOMIC_RELAXED);
		m[i].seq = s;
		f->pseq[i] = s;
		nm = s + 1;
	}
	if (FO_UNLIKELY(!i)) {
		/* Skip the corrupt entry so the next call goes on. */
		f->peeked = 0;
		fo_rx_advance(f, 1, f->next_min - 1);
		return -EBADMSG;
	}
	f->peeked = i;
	return (int)i;
}

int byteor_fanout_peek(struct byteor_fanout *f, struct byteor_fanout_msg *m,
		       unsigned int n)
{
	return byteor_fanout_peek_timed(f, m, n, f ? f->timeout_ns : 0);
}

int byteor_fanout_release(struct byteor_fanout *f, unsigned int n)
{
	if (FO_UNLIKELY(!f))
		return -EINVAL;
	if (FO_UNLIKELY(f->role != BYTEOR_ROLE_CONSUMER))
		return -EBADF;
	if (FO_UNLIKELY(n > f->peeked))
		return -EINVAL;
	if (!n)
		return 0;
	fo_rx_advance(f, n, f->pseq[n - 1]);
	/* What is left of the peek is re-peeked (and re-checked) next time. */
	f->peeked = 0;
	return (int)n;
}

int byteor_fanout_recv_timed(struct byteor_fanout *f, void *buf, size_t cap,
			     struct byteor_fanout_msg *mi, long long timeout_ns)
{
	struct byteor_fanout_msg m;
	int ret;

	if (FO_UNLIKELY(!f || (!buf && cap)))
		return -EINVAL;
	ret = byteor_fanout_peek_timed(f, &m, 1, timeout_ns);
	if (FO_UNLIKELY(ret < 0))
		return ret;
	if (FO_UNLIKELY(m.len > cap))
		return -EMSGSIZE;
	if (m.len)
		memcpy(buf, m.data, m.len);
	byteor_fanout_release(f, 1);
	if (mi) {
		*mi = m;
		mi->data = buf;
	}
	return (int)m.len;
}

int byteor_fanout_recv(struct byteor_fanout *f, void *buf, size_t cap,
		       struct byteor_fanout_msg *m)
{
	return byteor_fanout_recv_timed(f, buf, cap, m, f ? f->timeout_ns : 0);
}

int byteor_fanout_joined(struct byteor_fanout *f)
{
	if (!f)
		return -EINVAL;
	if (f->role != BYTEOR_ROLE_CONSUMER)
		return -EBADF;
	return fo_rx_joined(f);
}

/* ------------------------------------------------------------------------
 * Observation.
 */

static __u32 fo_claim_pid(const struct byteor_fanout *f, __u32 claim)
{
	/* Display only: any writer can scribble on the mirror. */
	return __atomic_load_n(&__byteor_header(f->reg)->claims[claim].pid,
			       __ATOMIC_RELAXED);
}

int byteor_fanout_snapshot(const struct byteor_fanout *f,
			   struct byteor_fanout_snapshot *s)
{
	struct byteor_fanout_consumer_snap *cs;
	struct __byteor_fo_cons *c;
	__u64 p, r, members, gate;
	__u32 i, mode;
	__s64 d;

	if (!f || !s)
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	r = atomic_load_explicit(&f->rc->side.pos, memory_order_acquire);
	p = atomic_load_explicit(&f->pc->side.pos, memory_order_acquire);
	members = atomic_load_explicit(&f->rc->members, memory_order_acquire) &
		  f->all;
	s->producer_pos = p;
	s->router_pos = r;
	s->capacity = (__u32)f->cap;
	s->slot_size = f->slot_size;
	s->consumers = f->nq;
	mode = atomic_load_explicit(&f->rc->mode, memory_order_relaxed);
	/* Shared and untrusted: only 1 .. CALLBACK + 1 name a mode. */
	s->mode = -1;
	if (mode && mode - 1 <= BYTEOR_FANOUT_CALLBACK)
		s->mode = (__s32)(mode - 1);
	else if (mode)
		s->flags |= BYTEOR_FANOUT_SNAP_F_CORRUPT;
	s->members = members;
	if (p - r > f->cap)
		s->flags |= BYTEOR_FANOUT_SNAP_F_CORRUPT;
	gate = r;
	for (i = 0; i < f->nq; i++) {
		c = __byteor_fo_cons(f, i);
		cs = &s->consumer[i];
		cs->routed = atomic_load_explicit(&c->tail, memory_order_acquire);
		cs->pos = atomic_load_explicit(&c->side.pos, memory_order_acquire);
		d = (__s64)(cs->routed - cs->pos);
		cs->lag = d > 0 ? (__u64)d : 0;
		if ((__u64)d > f->cap && d > 0) {
			s->flags |= BYTEOR_FANOUT_SNAP_F_CORRUPT;
			cs->lag = 0;
		}
		if (cs->lag)
			cs->next_seq = atomic_load_explicit(
				&__byteor_fo_queue(f, i)[cs->pos & f->mask],
				memory_order_relaxed);
		cs->member = (members >> i) & 1;
		if (cs->member && cs->lag && r - cs->next_seq - 1 < f->cap &&
		    r - cs->next_seq > r - gate)
			gate = cs->next_seq;
		cs->alive = fo_alive(f, 1 + i);
		cs->pid = fo_claim_pid(f, 1 + i);
		cs->waiters = __byteor_ec_waiters(&c->data);
		cs->attaches = atomic_load_explicit(&c->side.attaches,
						    memory_order_relaxed);
		cs->parks = atomic_load_explicit(&c->side.parks,
						 memory_order_relaxed);
	}
	s->gate = gate;
	s->occupancy = p - gate <= f->cap ? p - gate : 0;
	s->producer_alive = fo_alive(f, 0);
	s->router_alive = fo_alive(f, __byteor_fo_router_claim(f));
	s->producer_pid = fo_claim_pid(f, 0);
	s->router_pid = fo_claim_pid(f, __byteor_fo_router_claim(f));
	s->producer_waiters = __byteor_ec_waiters(&f->pc->room);
	s->router_waiters = __byteor_ec_waiters(&f->pc->data);
	s->producer_parks = atomic_load_explicit(&f->pc->side.parks,
						 memory_order_relaxed);
	s->router_parks = atomic_load_explicit(&f->rc->side.parks,
					       memory_order_relaxed);
	s->dropped = atomic_load_explicit(&f->rc->side.skipped,
					  memory_order_relaxed);
	s->corrupt = atomic_load_explicit(&f->rc->corrupt, memory_order_relaxed) +
		     atomic_load_explicit(&f->pc->side.skipped,
					  memory_order_relaxed);
	if (f->waiter_ok) {
		__byteor_waiter_stats(&f->w, &s->wait);
		s->park_path = f->w.path;
	} else {
		s->park_path = __byteor_process_park_path();
	}
	return 0;
}

unsigned int byteor_fanout_slot_size(const struct byteor_fanout *f)
{
	return f ? f->slot_size : 0;
}

unsigned int byteor_fanout_capacity(const struct byteor_fanout *f)
{
	return f ? (unsigned int)f->cap : 0;
}

unsigned int byteor_fanout_consumers(const struct byteor_fanout *f)
{
	return f ? f->nq : 0;
}
