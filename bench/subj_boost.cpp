// SPDX-License-Identifier: MIT
/*
 * subj_boost.cpp - Boost.Lockfree spsc_queue (Debian libboost-dev) with a
 * compile-time capacity, so the whole queue (indices and storage) is one
 * object placed in our MAP_SHARED memory: it runs across processes too.
 * Values (8 or 64-byte structs) are copied in and out; batch uses the
 * native push(const T *, n) / pop(T *, n).  A capacity<N> queue holds
 * N - 1 elements.
 */
#include <errno.h>
#include <new>
#include <stdlib.h>
#include <boost/lockfree/spsc_queue.hpp>
#include "bench.h"

namespace {

struct M8 {
	uint64_t w[1];
};
struct M64 {
	uint64_t w[8];
};

template <class M> inline M mk(uint64_t seq)
{
	M m;

	for (unsigned i = 0; i < sizeof(M) / 8; i++)
		m.w[i] = i;
	m.w[0] = seq;
	return m;
}

template <class Q, class M> struct prims {
	static inline __attribute__((always_inline)) int tx1(Q *q, uint64_t seq)
	{
		return q->push(mk<M>(seq));
	}
	static inline __attribute__((always_inline)) unsigned txn(Q *q, unsigned n, uint64_t seq)
	{
		M tab[32];

		for (unsigned i = 0; i < n; i++)
			tab[i] = mk<M>(seq + i);
		return (unsigned)q->push(tab, n);
	}
	static inline __attribute__((always_inline)) int rx1(Q *q, uint64_t *seq)
	{
		M m;

		if (!q->pop(m))
			return 0;
		*seq = m.w[0];
		return 1;
	}
	static inline __attribute__((always_inline)) unsigned rxn(Q *q, unsigned n, uint64_t *next,
								   uint64_t *bad)
	{
		M tab[32];
		unsigned k = (unsigned)q->pop(tab, n);

		for (unsigned i = 0; i < k; i++)
			*bad |= tab[i].w[0] ^ (*next)++;
		return k;
	}
};

} // namespace

#define BOOST_INST(NS, M, CAP)							\
namespace NS {									\
typedef boost::lockfree::spsc_queue<M, boost::lockfree::capacity<CAP> > lane_t;	\
typedef prims<lane_t, M> P;							\
static inline __attribute__((always_inline)) int q_tx1(lane_t *q, unsigned, uint64_t s) \
{ return P::tx1(q, s); }							\
static inline __attribute__((always_inline)) unsigned q_txn(lane_t *q, unsigned, unsigned n, uint64_t s) \
{ return P::txn(q, n, s); }							\
static inline __attribute__((always_inline)) int q_rx1(lane_t *q, unsigned, uint64_t *s) \
{ return P::rx1(q, s); }							\
static inline __attribute__((always_inline)) unsigned q_rxn(lane_t *q, unsigned, unsigned n, uint64_t *nx, uint64_t *b) \
{ return P::rxn(q, n, nx, b); }

BOOST_INST(p8c4k, M8, 4096)
#undef BENCH_LOOPS_H
#include "loops.h"
}
BOOST_INST(p8c64k, M8, 65536)
#undef BENCH_LOOPS_H
#include "loops.h"
}
BOOST_INST(p64c4k, M64, 4096)
#undef BENCH_LOOPS_H
#include "loops.h"
}
BOOST_INST(p64c64k, M64, 65536)
#undef BENCH_LOOPS_H
#include "loops.h"
}

namespace {

struct bctx {
	void *q[2];
	size_t size;
	int n;
};

template <class Q> int setup_t(bctx *c, int nlanes)
{
	c->size = sizeof(Q);
	for (int i = 0; i < nlanes; i++) {
		c->q[i] = shm_alloc(c->size, R->huge);
		if (!c->q[i])
			return run_fail(-ENOMEM, "shm_alloc failed");
		new (c->q[i]) Q();
		c->n = i + 1;
	}
	return 0;
}

int which(void)
{
	return (R->payload == 64) * 2 + (R->capacity == 65536);
}

int b_setup(void **ctx, int nlanes)
{
	bctx *c = (bctx *)calloc(1, sizeof(bctx));

	*ctx = c;
	if (R->capacity != 4096 && R->capacity != 65536)
		return run_fail(-EINVAL, "boost: capacity must be 4096 or 65536");
	switch (which()) {
	case 0: return setup_t<p8c4k::lane_t>(c, nlanes);
	case 1: return setup_t<p8c64k::lane_t>(c, nlanes);
	case 2: return setup_t<p64c4k::lane_t>(c, nlanes);
	default: return setup_t<p64c64k::lane_t>(c, nlanes);
	}
}

void b_teardown(void *ctx)
{
	bctx *c = (bctx *)ctx;

	/* the queues hold trivially destructible values: just unmap */
	for (int i = 0; i < c->n; i++)
		shm_free(c->q[i], c->size);
	free(c);
}

int b_tput(void *ctx, int role, int)
{
	bctx *c = (bctx *)ctx;

	switch (which()) {
	case 0: return p8c4k::loop_tput((p8c4k::lane_t *)c->q[0], role);
	case 1: return p8c64k::loop_tput((p8c64k::lane_t *)c->q[0], role);
	case 2: return p64c4k::loop_tput((p64c4k::lane_t *)c->q[0], role);
	default: return p64c64k::loop_tput((p64c64k::lane_t *)c->q[0], role);
	}
}

int b_rtt(void *ctx, int role)
{
	bctx *c = (bctx *)ctx;

	switch (which()) {
	case 0: return p8c4k::loop_rtt((p8c4k::lane_t *)c->q[0], (p8c4k::lane_t *)c->q[1], role);
	case 1: return p8c64k::loop_rtt((p8c64k::lane_t *)c->q[0], (p8c64k::lane_t *)c->q[1], role);
	case 2: return p64c4k::loop_rtt((p64c4k::lane_t *)c->q[0], (p64c4k::lane_t *)c->q[1], role);
	default: return p64c64k::loop_rtt((p64c64k::lane_t *)c->q[0], (p64c64k::lane_t *)c->q[1], role);
	}
}

int b_ipm(void *ctx)
{
	bctx *c = (bctx *)ctx;

	switch (which()) {
	case 0: return p8c4k::loop_ipm((p8c4k::lane_t *)c->q[0], (p8c4k::lane_t *)c->q[0]);
	case 1: return p8c64k::loop_ipm((p8c64k::lane_t *)c->q[0], (p8c64k::lane_t *)c->q[0]);
	case 2: return p64c4k::loop_ipm((p64c4k::lane_t *)c->q[0], (p64c4k::lane_t *)c->q[0]);
	default: return p64c64k::loop_ipm((p64c64k::lane_t *)c->q[0], (p64c64k::lane_t *)c->q[0]);
	}
}

} // namespace

extern "C" const struct subject subj_boost = {
	"boost-spsc",
	"Boost.Lockfree spsc_queue<T, capacity<N>> placed in our memory, native push/pop of n for batch",
	CAP_PROC | CAP_HUGE | CAP_BATCH,
	b_setup, b_teardown, b_tput, b_rtt, nullptr, b_ipm,
};
