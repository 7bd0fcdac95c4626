// SPDX-License-Identifier: MIT
/*
 * single_ring.c - the single ring (byteor/single_ring.h): attach, the
 * blocking variants, snapshots.  The lane algorithm itself is the SPSC core
 * in single_ring_pvt.h; this file also holds the waiting loop every lane
 * shares (__byteor_lane_wait()).
 *
 * Region layout (BYTEOR_KIND_SINGLE_RING): control block 0 is a struct
 * __byteor_spsc_ctl; the slots area holds capacity slots of slot_stride
 * bytes, each a 4-byte payload length, 4 reserved bytes and the payload -
 * or, in a fixed-size ring (BYTEOR_GEOM_F_FIXED), the payload alone.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "single_ring_pvt.h"

struct byteor_single_ring {
	struct __byteor_spsc q;		/* hot: first, own cache lines */
	int role;			/* BYTEOR_ROLE_* */
	bool waiter_ok;
	bool tick;
	long long timeout_ns;		/* the attach option's default */
	struct __byteor_region *reg;
	__u32 peer_claim;
	struct __byteor_peer peer;
	struct __byteor_waiter w;
};

/* The inline paths (byteor/lane_inline.h) take a handle for its q. */
_Static_assert(offsetof(struct byteor_single_ring, q) == 0,
	       "struct __byteor_spsc first");

/* ------------------------------------------------------------------------
 * The waiting loop all lanes share.
 */

int __byteor_process_park_path(void)
{
	struct byteor_wait_probe p;

	if (byteor_wait_probe(&p))
		return 0;
	return p.park_path;
}

/* Publish this side's park count and path for snapshots (slow path only). */
static void lane_publish_parks(const struct __byteor_lane_wait *lw,
			       __u64 before)
{
	__u64 now = lw->w->st.parks;

	if (!lw->side || now == before)
		return;
	atomic_fetch_add_explicit(&lw->side->parks, now - before,
				  memory_order_relaxed);
	atomic_store_explicit(&lw->side->park_path, (__u32)lw->w->path,
			      memory_order_relaxed);
}

int __byteor_lane_wait(const struct __byteor_lane_wait *lw,
		       long long timeout_ns)
{
	long long deadline = 0, slice, left, next = __BYTEOR_LANE_SLICE_NS;
	unsigned int flags = 0;
	__u64 parks;
	int ret;

	if (!timeout_ns) {
		*lw->tick = false;
		ret = lw->ready(lw->arg);
		if (ret > 0 && !*lw->tick)
			return 0;
		if (ret < 0)
			return ret;
		if (*lw->tick) {
			ret = lw->tick_fn(lw->arg);
			if (ret)
				return ret > 0 ? 0 : ret;
		}
		return -EAGAIN;
	}
	if (timeout_ns > 0)
		deadline = __byteor_now_ns() + timeout_ns;
	for (;;) {
		slice = next;
		if (next < __BYTEOR_LANE_SLICE_MAX_NS)
			next *= 2;
		if (deadline) {
			left = deadline - __byteor_now_ns();
			if (left <= 0) {
				/* A dead peer is worth more than a timeout. */
				ret = lw->tick_fn(lw->arg);
				if (ret)
					return ret > 0 ? 0 : ret;
				return -ETIMEDOUT;
			}
			if (left < slice)
				slice = left;
		}
		*lw->tick = false;
		parks = lw->w->st.parks;
		ret = __byteor_ec_wait_ex(lw->ec, lw->w, lw->ready, lw->arg,
					  slice, flags);
		lane_publish_parks(lw, parks);
		/* Spun once already: later slices park at once (idle CPU ~0). */
		flags = __BYTEOR_EC_WAIT_F_RESUME;
		if (!ret && !*lw->tick)
			return 0;
		if (ret && ret != -ETIMEDOUT)
			return ret;
		/* End of a slice, or ready() asked for the slow checks. */
		ret = lw->tick_fn(lw->arg);
		if (ret)
			return ret > 0 ? 0 : ret;
	}
}

/* ------------------------------------------------------------------------
 * Readiness checks and slow checks of the two ends.
 */

static int ring_peer_alive(const struct byteor_single_ring *r)
{
	return __byteor_claim_alive(r->reg, r->peer_claim);
}

static int rx_ready(void *arg)
{
	struct byteor_single_ring *r = arg;
	long long a = __byteor_spsc_avail(&r->q, 1);

	return a > 0 ? 1 : (int)a;
}

static int tx_ready(void *arg)
{
	struct byteor_single_ring *r = arg;
	long long a = __byteor_spsc_room(&r->q, 1);

	return a > 0 ? 1 : (int)a;
}

/*
 * Between slices: a consumer whose producer came and went gets -EPIPE once
 * it has drained the ring.  Liveness first, then the position: whatever the
 * producer published before dying is visible by then.
 */
static int rx_tick(void *arg)
{
	struct byteor_single_ring *r = arg;
	int ret;

	__byteor_peer_note(&r->peer, &r->q.ctl->prod);
	if (!__byteor_peer_gone(&r->peer, ring_peer_alive(r)))
		return 0;	/* alive, not yet there, or cannot tell */
	ret = rx_ready(r);
	return ret ? ret : -EPIPE;
}

/* A producer facing a full ring whose consumer came and went: -EPIPE. */
static int tx_tick(void *arg)
{
	struct byteor_single_ring *r = arg;
	int ret;

	__byteor_peer_note(&r->peer, &r->q.ctl->cons);
	if (!__byteor_peer_gone(&r->peer, ring_peer_alive(r)))
		return 0;
	ret = tx_ready(r);
	return ret ? ret : -EPIPE;
}

static int ring_wait(struct byteor_single_ring *r, bool producer,
		     long long timeout_ns)
{
	struct __byteor_lane_wait lw = {
		.ec = producer ? &r->q.ctl->room : &r->q.ctl->data,
		.w = &r->w,
		.ready = producer ? tx_ready : rx_ready,
		.tick = &r->tick,
		.tick_fn = producer ? tx_tick : rx_tick,
		.arg = r,
		.side = producer ? &r->q.ctl->prod : &r->q.ctl->cons,
	};

	return __byteor_lane_wait(&lw, timeout_ns);
}

/*
 * Time left of a blocking call that may wait more than once: the deadline
 * is fixed on the first wait.  False once it has passed.
 */
static bool ring_left(long long timeout_ns, long long *deadline, long long *left)
{
	if (timeout_ns < 0)
		return true;
	if (!*deadline)
		*deadline = __byteor_now_ns() + timeout_ns;
	*left = *deadline - __byteor_now_ns();
	return *left > 0;
}

/* ------------------------------------------------------------------------
 * Attach and detach.
 */

int byteor_attach_single_ring(const struct byteor_attach_options *o, int role,
			      struct byteor_single_ring **out)
{
	struct byteor_geometry want;
	struct byteor_single_ring *r;
	const struct byteor_layout *l;
	const struct byteor_geometry *g;
	bool producer;
	int ret;

	if (!o || !out)
		return -EINVAL;
	if (role != BYTEOR_ROLE_PRODUCER && role != BYTEOR_ROLE_CONSUMER &&
	    role != BYTEOR_ROLE_OBSERVER)
		return -EINVAL;
	if ((o->flags & BYTEOR_ATTACH_OBSERVER) && role != BYTEOR_ROLE_OBSERVER)
		return -EINVAL;
	if (o->queue)
		return -EINVAL;
	r = aligned_alloc(BYTEOR_CACHELINE, byteor_align(sizeof(*r),
							 BYTEOR_CACHELINE));
	if (!r)
		return -ENOMEM;
	memset(r, 0, sizeof(*r));
	memset(&want, 0, sizeof(want));
	ret = __byteor_region_attach(o, BYTEOR_KIND_SINGLE_RING,
				     BYTEOR_SINGLE_RING_VERSION, &want,
				     (__u32)role, &r->reg);
	if (ret)
		goto err_free;
	g = &r->reg->info.geometry;
	l = &r->reg->info.layout;
	/*
	 * The backing validated the descriptor; re-check what this file
	 * relies on for memory safety, so a backing bug cannot turn into an
	 * overrun here.
	 */
	if (r->reg->info.kind != BYTEOR_KIND_SINGLE_RING ||
	    !byteor_is_pow2(g->capacity) ||
	    l->slot_stride != byteor_slot_header(g) + g->slot_size ||
	    l->area_size[BYTEOR_AREA_CONTROL] < sizeof(struct __byteor_spsc_ctl) ||
	    l->area_size[BYTEOR_AREA_SLOTS] < (__u64)g->capacity * l->slot_stride ||
	    l->nr_claims < 2) {
		ret = -EBADMSG;
		goto err_detach;
	}
	r->role = role;
	r->timeout_ns = o->timeout_ns;
	producer = role == BYTEOR_ROLE_PRODUCER;
	r->peer_claim = producer ? 1 : 0;
	__byteor_spsc_init(&r->q, __byteor_area(r->reg, BYTEOR_AREA_CONTROL, 0),
			   __byteor_area(r->reg, BYTEOR_AREA_SLOTS, 0), g,
			   producer, role != BYTEOR_ROLE_OBSERVER, !o->timeout_ns);
	if (role != BYTEOR_ROLE_OBSERVER) {
		__byteor_peer_init(&r->peer, producer ? &r->q.ctl->cons :
				   &r->q.ctl->prod, ring_peer_alive(r));
		__byteor_notifier_init();
		ret = __byteor_waiter_init_opts(&r->w, o);
		if (ret)
			goto err_detach;
		r->waiter_ok = true;
	}
	*out = r;
	return 0;

err_detach:
	__byteor_region_detach(r->reg);
err_free:
	free(r);
	return ret;
}

void byteor_single_ring_detach(struct byteor_single_ring *r)
{
	if (!r)
		return;
	if (r->waiter_ok)
		__byteor_waiter_fini(&r->w);
	__byteor_region_detach(r->reg);
	free(r);
}

/* ------------------------------------------------------------------------
 * Producer.
 */

int byteor_single_ring_claim_timed(struct byteor_single_ring *r,
				   struct byteor_slot *s, unsigned int n,
				   long long timeout_ns)
{
	long long deadline = 0, left = timeout_ns;
	int ret;

	if (__BYTEOR_UNLIKELY(!r))
		return -EINVAL;
	if (__BYTEOR_UNLIKELY(r->role != BYTEOR_ROLE_PRODUCER))
		return -EBADF;
	for (;;) {
		ret = __byteor_spsc_claim(&r->q, s, n);
		if (__BYTEOR_LIKELY(ret != -EAGAIN) || !timeout_ns)
			return ret;
		/*
		 * Once ready, the claim succeeds (one producer; room only
		 * grows) unless a scribble intervened: then wait again, to
		 * the same deadline.
		 */
		if (!ring_left(timeout_ns, &deadline, &left))
			return -ETIMEDOUT;
		ret = ring_wait(r, true, left);
		if (ret)
			return ret;
	}
}

/* Out of line: the inline byteor_single_ring_claim() could not. */
int __byteor_single_ring_claim(struct byteor_single_ring *r,
			       struct byteor_slot *s, unsigned int n)
{
	return byteor_single_ring_claim_timed(r, s, n, r->timeout_ns);
}

/*
 * Out of line: the inline span claim could not.  A claim of one slot does
 * the waiting and the checks; that slot is then taken again as the start
 * of the span (nothing was published in between: one producer).
 */
int __byteor_single_ring_claim_span(struct byteor_single_ring *r,
				    struct byteor_span *sp, unsigned int n)
{
	struct byteor_slot s;
	int ret;

	ret = __byteor_single_ring_claim(r, &s, n ? 1 : 0);
	if (ret <= 0)
		return ret;
	r->q.claimed = 0;
	if (n > BYTEOR_BATCH_MAX)
		n = BYTEOR_BATCH_MAX;
	ret = __byteor_spsc_try_claim_span(&r->q, sp, n);
	return ret > 0 ? ret : -EAGAIN;	/* room was just proven: not reached */
}

int __byteor_single_ring_publish(struct byteor_single_ring *r,
				 const struct byteor_slot *s, unsigned int n)
{
	if (__BYTEOR_UNLIKELY(r->role != BYTEOR_ROLE_PRODUCER))
		return -EBADF;
	return __byteor_spsc_publish(&r->q, s, n);
}

int byteor_single_ring_send_timed(struct byteor_single_ring *r,
				  const void *buf, size_t len,
				  long long timeout_ns)
{
	struct byteor_slot s;
	int ret;

	if (__BYTEOR_UNLIKELY(!r))
		return -EINVAL;
	if (__BYTEOR_UNLIKELY(r->role != BYTEOR_ROLE_PRODUCER))
		return -EBADF;
	if (__BYTEOR_UNLIKELY(len > r->q.slot_size))
		return -EMSGSIZE;
	/* A fixed-size ring carries slot_size-byte messages only. */
	if (__BYTEOR_UNLIKELY(!r->q.hdr && len != r->q.slot_size))
		return -EINVAL;
	ret = byteor_single_ring_claim_timed(r, &s, 1, timeout_ns);
	if (__BYTEOR_UNLIKELY(ret < 0))
		return ret;
	memcpy(s.data, buf, len);
	s.len = (__u32)len;
	__byteor_spsc_publish(&r->q, &s, 1);
	return 0;
}

int byteor_single_ring_send(struct byteor_single_ring *r, const void *buf,
			    size_t len)
{
	if (__BYTEOR_UNLIKELY(!r))
		return -EINVAL;
	return byteor_single_ring_send_timed(r, buf, len, r->timeout_ns);
}

/* ------------------------------------------------------------------------
 * Consumer.
 */

int byteor_single_ring_peek_timed(struct byteor_single_ring *r,
				  struct byteor_slot *s, unsigned int n,
				  long long timeout_ns)
{
	long long deadline = 0, left = timeout_ns;
	int ret;

	if (__BYTEOR_UNLIKELY(!r))
		return -EINVAL;
	if (__BYTEOR_UNLIKELY(r->role != BYTEOR_ROLE_CONSUMER))
		return -EBADF;
	for (;;) {
		ret = __byteor_spsc_peek(&r->q, s, n);
		if (__BYTEOR_LIKELY(ret != -EAGAIN) || !timeout_ns)
			return ret;
		if (!ring_left(timeout_ns, &deadline, &left))
			return -ETIMEDOUT;
		ret = ring_wait(r, false, left);
		if (ret)
			return ret;
	}
}

int __byteor_single_ring_peek(struct byteor_single_ring *r,
			      struct byteor_slot *s, unsigned int n)
{
	return byteor_single_ring_peek_timed(r, s, n, r->timeout_ns);
}

/*
 * Out of line: the inline span peek could not.  A peek of one slot does
 * the waiting and the checks (-EBADMSG for a corrupt first length); the
 * span then starts at that slot.
 */
int __byteor_single_ring_peek_span(struct byteor_single_ring *r,
				   struct byteor_span *sp, unsigned int n)
{
	struct byteor_slot s;
	int ret;

	ret = __byteor_single_ring_peek(r, &s, n ? 1 : 0);
	if (ret <= 0)
		return ret;
	if (n > BYTEOR_BATCH_MAX)
		n = BYTEOR_BATCH_MAX;
	ret = __byteor_spsc_try_peek_span(&r->q, sp, n);
	/* 0: the first length was rewritten, corrupt, since the peek. */
	return ret > 0 ? ret : -EBADMSG;
}

int __byteor_single_ring_release(struct byteor_single_ring *r, unsigned int n)
{
	if (__BYTEOR_UNLIKELY(r->role != BYTEOR_ROLE_CONSUMER))
		return -EBADF;
	return __byteor_spsc_release(&r->q, n);
}

int byteor_single_ring_recv_timed(struct byteor_single_ring *r, void *buf,
				  size_t cap, long long timeout_ns)
{
	struct byteor_slot s;
	int ret;

	ret = byteor_single_ring_peek_timed(r, &s, 1, timeout_ns);
	if (__BYTEOR_UNLIKELY(ret < 0)) {
		/*
		 * A corrupt length in a published slot: drop that slot so the
		 * consumer moves on (a corrupt position releases nothing:
		 * release fails, nothing is known published).
		 */
		if (ret == -EBADMSG && r->q.peer != r->q.pos)
			__byteor_spsc_release(&r->q, 1);
		return ret;
	}
	if (__BYTEOR_UNLIKELY(s.len > cap))
		return -EMSGSIZE;
	memcpy(buf, s.data, s.len);
	__byteor_spsc_release(&r->q, 1);
	return (int)s.len;
}

int byteor_single_ring_recv(struct byteor_single_ring *r, void *buf, size_t cap)
{
	if (__BYTEOR_UNLIKELY(!r))
		return -EINVAL;
	return byteor_single_ring_recv_timed(r, buf, cap, r->timeout_ns);
}

/* ------------------------------------------------------------------------
 * Observation.
 */

static __u32 claim_pid(const struct __byteor_region *reg, __u32 claim)
{
	const struct byteor_claim *c = &__byteor_header(reg)->claims[claim];

	/* Display only: any writer can scribble on the mirror. */
	return __atomic_load_n(&c->pid, __ATOMIC_RELAXED);
}

int byteor_single_ring_snapshot(const struct byteor_single_ring *r,
				struct byteor_single_ring_snapshot *s)
{
	struct __byteor_spsc_ctl *ctl;
	bool consistent;
	__u64 h, t;

	if (!r || !s)
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	ctl = r->q.ctl;
	consistent = __byteor_side_positions(&ctl->prod, &ctl->cons, &h, &t);
	s->producer_pos = h;
	s->consumer_pos = t;
	/*
	 * A consumer may run up to a publish ahead of the producer's
	 * position, by the slots' tags (byteor/lane_inline.h): t a little
	 * past h is a publish in flight, occupancy 0, not corruption.
	 */
	if (consistent && h - t <= r->q.cap)
		s->occupancy = h - t;
	else if (!(consistent && t - h <= r->q.cap))
		s->flags |= BYTEOR_SNAP_F_CORRUPT;
	s->capacity = (__u32)r->q.cap;
	s->slot_size = r->q.slot_size;
	s->consumer_waiters = __byteor_ec_waiters(&ctl->data);
	s->producer_waiters = __byteor_ec_waiters(&ctl->room);
	s->producer_alive = __byteor_claim_alive(r->reg, 0);
	s->consumer_alive = __byteor_claim_alive(r->reg, 1);
	s->producer_pid = claim_pid(r->reg, 0);
	s->consumer_pid = claim_pid(r->reg, 1);
	s->producer_attaches = atomic_load_explicit(&ctl->prod.attaches,
						    memory_order_relaxed);
	s->consumer_attaches = atomic_load_explicit(&ctl->cons.attaches,
						    memory_order_relaxed);
	s->producer_parks = atomic_load_explicit(&ctl->prod.parks,
						 memory_order_relaxed);
	s->consumer_parks = atomic_load_explicit(&ctl->cons.parks,
						 memory_order_relaxed);
	s->producer_park_path = atomic_load_explicit(&ctl->prod.park_path,
						     memory_order_relaxed);
	s->consumer_park_path = atomic_load_explicit(&ctl->cons.park_path,
						     memory_order_relaxed);
	if (r->waiter_ok) {
		__byteor_waiter_stats(&r->w, &s->wait);
		s->park_path = r->w.path;
	} else {
		s->park_path = __byteor_process_park_path();
	}
	return 0;
}

int byteor_single_ring_peer_alive(const struct byteor_single_ring *r)
{
	if (!r)
		return -EINVAL;
	if (r->role == BYTEOR_ROLE_OBSERVER)
		return -EBADF;
	return ring_peer_alive(r);
}

/* The accessors: 0 for a NULL handle, like the other lanes'. */
unsigned int byteor_single_ring_slot_size(const struct byteor_single_ring *r)
{
	return r ? r->q.slot_size : 0;
}

unsigned int byteor_single_ring_capacity(const struct byteor_single_ring *r)
{
	return r ? (unsigned int)r->q.cap : 0;
}
