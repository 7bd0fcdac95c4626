// SPDX-License-Identifier: MIT
/*
 * fanout_router.c - the fanout router: admits and drops consumers, reads
 * every published message once and appends its sequence number to the
 * routed index queue of each consumer it goes to.  Layout and memory order:
 * fanout_pvt.h.
 */
#include <errno.h>
#include <string.h>
#include <byteor/crashpoint.h>
#include "fanout_pvt.h"

#define RT_LIVENESS_NS	((long long)BYTEOR_FANOUT_LIVENESS_MS * 1000000LL)

static void rt_publish_members(struct byteor_fanout *f)
{
	__u64 m = f->members;
	__u32 i, n = 0;

	for (i = 0; i < f->nq; i++)
		if ((m >> i) & 1)
			f->mlist[n++] = (__u8)i;
	f->mcount = n;
	if (f->rr >= n)
		f->rr = 0;
	/*
	 * Release: pairs with the producer's acquire load of members (after
	 * R) in fo_room(); a new member's H_i = T_i, stored before, is seen
	 * with it.
	 */
	atomic_store_explicit(&f->rc->members, m, memory_order_release);
}

static void rt_drop(struct byteor_fanout *f, __u32 i)
{
	f->resume_mask &= ~(1ULL << i);
	if (!((f->members >> i) & 1))
		return;
	f->members &= ~(1ULL << i);
	rt_publish_members(f);
	/* It no longer gates the producer: let a waiting producer look. */
	__byteor_ec_notify(&f->pc->room);
}

/*
 * Admit consumer @i (generation @gen) at the router's position: it gets
 * the messages routed from now on, nothing routed before (see the
 * membership rules in fanout_pvt.h).
 */
static void rt_admit(struct byteor_fanout *f, __u32 i, __u64 gen)
{
	struct __byteor_fo_cons *c = __byteor_fo_cons(f, i);

	/* A new generation gets everything from R: nothing to skip. */
	f->resume_mask &= ~(1ULL << i);
	/* The consumer reads these only after its acquire of joined. */
	atomic_store_explicit(&c->side.pos, f->tails[i], memory_order_relaxed);
	atomic_store_explicit(&c->start, f->rpos, memory_order_relaxed);
	atomic_store_explicit(&c->rpos, f->rpos, memory_order_relaxed);
	atomic_store_explicit(&c->tail, f->tails[i], memory_order_release);
	/* Release: pairs with the consumer's acquire of joined. */
	atomic_store_explicit(&c->joined, gen, memory_order_release);
	f->members |= 1ULL << i;
	rt_publish_members(f);
	__byteor_ec_notify(&c->data);
	__byteor_ec_notify(&f->pc->room);
}

/* Is any join or leave request waiting?  (Cheap: clean cache lines.) */
static bool rt_requests(const struct byteor_fanout *f)
{
	__u32 i;

	for (i = 0; i < f->nq; i++)
		if (atomic_load_explicit(&__byteor_fo_cons(f, i)->join_req,
					 memory_order_relaxed) != f->jgen[i])
			return true;
	return false;
}

static void rt_handle_requests(struct byteor_fanout *f)
{
	__u64 req;
	__u32 i;

	for (i = 0; i < f->nq; i++) {
		/*
		 * Acquire: pairs with the consumer's release of join_req (it
		 * holds its claim by then).
		 */
		req = atomic_load_explicit(&__byteor_fo_cons(f, i)->join_req,
					   memory_order_acquire);
		if (req == f->jgen[i])
			continue;
		f->jgen[i] = req;
		if (!req)
			rt_drop(f, i);
		else
			rt_admit(f, i, req);
	}
}

/*
 * Re-assert the shared words the router owns (R, the member mask, each
 * T_i with its rpos_i) where a scribbler changed them: the lane heals once
 * scribbling stops.  Run with the liveness check: every
 * BYTEOR_FANOUT_LIVENESS_MS while the router routes or waits.
 */
static void rt_heal(struct byteor_fanout *f)
{
	struct __byteor_fo_cons *c;
	__u32 i;

	if (atomic_load_explicit(&f->rc->members, memory_order_relaxed) !=
	    f->members)
		rt_publish_members(f);
	for (i = 0; i < f->nq; i++) {
		c = __byteor_fo_cons(f, i);
		if (atomic_load_explicit(&c->tail, memory_order_relaxed) ==
		    f->tails[i])
			continue;
		/* R bounds every entry below T_i (rpos_i may only grow). */
		atomic_store_explicit(&c->rpos, f->rpos, memory_order_relaxed);
		/* Release: as in rt_route_now(), entries below T_i are written. */
		atomic_store_explicit(&c->tail, f->tails[i], memory_order_release);
	}
	__byteor_side_heal(&f->rc->side, f->rpos);
}

/* Drop members whose claim is dead (the process died without leaving). */
static void rt_liveness(struct byteor_fanout *f)
{
	__u64 m = f->members;
	__u32 i;

	rt_heal(f);
	f->next_live_ns = __byteor_now_ns() + RT_LIVENESS_NS;
	for (i = 0; i < f->nq; i++)
		if (((m >> i) & 1) && __byteor_claim_alive(f->reg, 1 + i) == 0)
			rt_drop(f, i);
}

/*
 * A router killed inside rt_route_now() may have stored some members' T_i
 * (their share of its batch [R, E) appended) and not others', nor R.  Its
 * successor routes again from R; a member whose T_i was stored must not
 * get that batch twice.  Entries below T_i name messages below R unless
 * T_i was stored by the unfinished batch (every finished batch moved R
 * past its entries), so: if the last entry below T_i names a message at or
 * above R, member i has its whole share of the batch, which ends at its
 * rpos_i (stored before T_i).  Re-routing skips i below that.  Modes that
 * decide the same again (broadcast, by key with the same members) lose
 * nothing; round-robin and callback decide anew, and a message the dead
 * router gave only to a member that got the batch reaches nobody
 * (docs/design.md, "Fanout recovery").
 */
static void rt_resume_bounds(struct byteor_fanout *f)
{
	struct __byteor_fo_cons *c;
	__u64 last, end;
	__u32 i;

	f->resume_mask = 0;
	for (i = 0; i < f->nq; i++) {
		if (!((f->members >> i) & 1) || !f->tails[i])
			continue;
		c = __byteor_fo_cons(f, i);
		/* Below T_i: visible since the acquire of T_i in the caller. */
		last = atomic_load_explicit(&__byteor_fo_queue(f, i)[(f->tails[i] - 1) &
								       f->mask],
					    memory_order_relaxed);
		if (last - f->rpos >= f->cap)
			continue;	/* below R (or corrupt): nothing to skip */
		end = atomic_load_explicit(&c->rpos, memory_order_relaxed);
		if (end - last - 1 >= f->cap || end - f->rpos > f->cap)
			continue;	/* corrupt: re-route to it (no skip) */
		f->resume_until[i] = end;
		f->resume_mask |= 1ULL << i;
	}
}

/* Members that already have message @seq (see rt_resume_bounds()). */
static __u64 rt_resumed(struct byteor_fanout *f, __u64 seq)
{
	__u64 m, have = 0;
	__u32 i;

	for (m = f->resume_mask; m; m &= m - 1) {
		i = (__u32)__builtin_ctzll(m);
		if (seq < f->resume_until[i])
			have |= 1ULL << i;
		else
			f->resume_mask &= ~(1ULL << i);
	}
	return have;
}

int __byteor_fo_router_init(struct byteor_fanout *f,
			    const struct byteor_fanout_router_options *ro)
{
	struct __byteor_fo_cons *c;
	__u64 p;
	__u32 i;

	f->mode = ro ? ro->mode : BYTEOR_FANOUT_BROADCAST;
	f->route = ro ? ro->route : NULL;
	f->route_arg = ro ? ro->arg : NULL;
	/* A new router resumes where the last one stopped, if that is sane. */
	f->rpos = atomic_load_explicit(&f->rc->side.pos, memory_order_acquire);
	p = atomic_load_explicit(&f->pc->side.pos, memory_order_acquire);
	if (p - f->rpos > f->cap) {
		/* Corrupt: skip to the producer (nothing half-known routed). */
		atomic_fetch_add_explicit(&f->rc->corrupt, 1, memory_order_relaxed);
		f->rpos = p;
	}
	atomic_store_explicit(&f->rc->side.pos, f->rpos, memory_order_release);
	f->members = atomic_load_explicit(&f->rc->members, memory_order_acquire) &
		     f->all;
	for (i = 0; i < f->nq; i++) {
		c = __byteor_fo_cons(f, i);
		f->tails[i] = atomic_load_explicit(&c->tail, memory_order_acquire);
		f->jgen[i] = atomic_load_explicit(&c->joined, memory_order_acquire);
		if (!f->jgen[i])
			f->members &= ~(1ULL << i);
	}
	rt_publish_members(f);
	rt_resume_bounds(f);
	atomic_store_explicit(&f->rc->mode, (__u32)f->mode + 1,
			      memory_order_relaxed);
	atomic_fetch_add_explicit(&f->rc->side.attaches, 1, memory_order_relaxed);
	rt_liveness(f);
	rt_handle_requests(f);
	return 0;
}

/* The next member at or after index @t (circular); members != 0. */
static __u32 rt_member_from(const struct byteor_fanout *f, __u32 t)
{
	__u64 m = f->members;
	__u64 hi = m & (~0ULL << t);

	return hi ? (__u32)__builtin_ctzll(hi) : (__u32)__builtin_ctzll(m);
}

static __u64 rt_decide(struct byteor_fanout *f, __u64 seq)
{
	struct __byteor_fo_hdr *h = (struct __byteor_fo_hdr *)__byteor_fo_slot(f, seq);
	struct byteor_fanout_msg m;
	__u32 i;

	switch (f->mode) {
	case BYTEOR_FANOUT_BROADCAST:
		return f->members;
	case BYTEOR_FANOUT_BY_KEY:
		i = __atomic_load_n(&h->key_hash, __ATOMIC_RELAXED) % f->nq;
		if (!((f->members >> i) & 1))
			i = rt_member_from(f, i);
		return 1ULL << i;
	case BYTEOR_FANOUT_ROUND_ROBIN:
		i = f->mlist[f->rr];
		if (++f->rr >= f->mcount)
			f->rr = 0;
		return 1ULL << i;
	default:
		m.len = __atomic_load_n(&h->len, __ATOMIC_RELAXED);
		if (m.len > f->slot_size) {
			/* The consumer will report it; the callback sees 0. */
			atomic_fetch_add_explicit(&f->rc->corrupt, 1,
						  memory_order_relaxed);
			m.len = 0;
		}
		m.data = (unsigned char *)h + BYTEOR_SLOT_HEADER;
		m.key_hash = __atomic_load_n(&h->key_hash, __ATOMIC_RELAXED);
		m.seq = seq;
		return f->route(f->route_arg, &m, f->members) & f->members;
	}
}

/*
 * Route up to @max messages now (never waits).  Return: routed, 0 if
 * nothing to route (or no member to route to), -EBADMSG (P corrupt).
 */
static int rt_route_now(struct byteor_fanout *f, unsigned int max)
{
	__u64 p, avail, seq, end, touched = 0, mask;
	struct __byteor_fo_cons *c;
	__u32 i;

	if (rt_requests(f))
		rt_handle_requests(f);
	if (__byteor_now_ns() >= f->next_live_ns)
		rt_liveness(f);
	/* Acquire: pairs with the producer's release of P (slots written). */
	p = atomic_load_explicit(&f->pc->side.pos, memory_order_acquire);
	avail = p - f->rpos;
	if (__builtin_expect(avail > f->cap, 0)) {
		atomic_fetch_add_explicit(&f->rc->corrupt, 1, memory_order_relaxed);
		__byteor_side_heal(&f->rc->side, f->rpos);
		return -EBADMSG;
	}
	if (!avail || !f->members)	/* nobody to route to: hold */
		return 0;
	if (avail > max)
		avail = max;
	end = f->rpos + avail;
	for (seq = f->rpos; seq != end; seq++) {
		mask = rt_decide(f, seq);
		if (!mask)
			atomic_fetch_add_explicit(&f->rc->side.skipped, 1,
						  memory_order_relaxed);
		if (__builtin_expect(f->resume_mask != 0, 0))
			mask &= ~rt_resumed(f, seq);
		touched |= mask;
		while (mask) {
			i = (__u32)__builtin_ctzll(mask);
			mask &= mask - 1;
			/* Ordered before T_i's release below. */
			atomic_store_explicit(&__byteor_fo_queue(f, i)[f->tails[i] &
								       f->mask],
					      seq, memory_order_relaxed);
			f->tails[i]++;
		}
	}
	f->rpos = end;
	BYTEOR_CRASHPOINT("fanout.router.entries_written");
	for (mask = touched; mask; mask &= mask - 1) {
		c = __byteor_fo_cons(f, (__u32)__builtin_ctzll(mask));
		atomic_store_explicit(&c->rpos, end, memory_order_relaxed);
		/*
		 * Release: pairs with the consumer's acquire of T_i (entries
		 * and, transitively, the producer's slots are visible) and
		 * with the producer's acquire in fo_member_bound().
		 */
		atomic_store_explicit(&c->tail,
				      f->tails[__builtin_ctzll(mask)],
				      memory_order_release);
		BYTEOR_CRASHPOINT("fanout.router.tail_stored");
	}
	/*
	 * Release, after every T_i: a producer that acquires this R sees
	 * each message below it in the queues it went to (fanout_pvt.h).
	 */
	atomic_store_explicit(&f->rc->side.pos, end, memory_order_release);
	BYTEOR_CRASHPOINT("fanout.router.routed");
	for (mask = touched; mask; mask &= mask - 1)
		__byteor_ec_notify(&__byteor_fo_cons(f, (__u32)__builtin_ctzll(mask))->data);
	__byteor_ec_notify(&f->pc->room);
	return (int)avail;
}

static int rt_ready(void *arg)
{
	struct byteor_fanout *f = arg;
	__u64 p;

	if (rt_requests(f))
		return 1;
	if (!f->members)
		return 0;
	p = atomic_load_explicit(&f->pc->side.pos, memory_order_acquire);
	return p != f->rpos;
}

/*
 * Between slices: drop dead members; -EPIPE once the producer is gone and
 * all it published is routed.
 */
static int rt_tick(void *arg)
{
	struct byteor_fanout *f = arg;
	__u64 p;

	rt_liveness(f);
	if (rt_ready(f))
		return 1;
	if (__byteor_claim_alive(f->reg, 0) == 0 &&
	    atomic_load_explicit(&f->pc->side.attaches, memory_order_relaxed)) {
		p = atomic_load_explicit(&f->pc->side.pos, memory_order_acquire);
		if (p == f->rpos)
			return -EPIPE;
	}
	return 0;
}

int byteor_fanout_route_timed(struct byteor_fanout *f, unsigned int max,
			      long long timeout_ns)
{
	long long deadline;
	int ret;

	if (__builtin_expect(!f, 0))
		return -EINVAL;
	if (__builtin_expect(f->role != BYTEOR_ROLE_ROUTER, 0))
		return -EBADF;
	if (!max)
		return 0;
	if (max > BYTEOR_FANOUT_BATCH_MAX)
		max = BYTEOR_FANOUT_BATCH_MAX;
	/* A join request wakes us without a message: wait on, same deadline. */
	deadline = timeout_ns > 0 ? __byteor_now_ns() + timeout_ns : 0;
	for (;;) {
		ret = rt_route_now(f, max);
		if (ret)
			return ret;
		if (!timeout_ns)
			return -EAGAIN;
		if (deadline) {
			timeout_ns = deadline - __byteor_now_ns();
			if (timeout_ns <= 0)
				return -ETIMEDOUT;
		}
		ret = __byteor_fo_wait(f, &f->pc->data, rt_ready, rt_tick,
				       &f->rc->side, timeout_ns);
		if (ret)
			return ret;
	}
}

int byteor_fanout_route(struct byteor_fanout *f, unsigned int max)
{
	return byteor_fanout_route_timed(f, max, f ? f->timeout_ns : 0);
}
