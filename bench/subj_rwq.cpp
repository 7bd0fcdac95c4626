// SPDX-License-Identifier: MIT
/*
 * subj_rwq.cpp - moodycamel ReaderWriterQueue (Debian
 * libreaderwriterqueue-dev), sized for the capacity up front and used with
 * try_enqueue / try_dequeue only (never allocates while measured).  It
 * allocates its blocks with malloc, so it runs as threads only; it has no
 * bulk API: a batch is a loop of single ops.
 */
#include <errno.h>
#include <stdlib.h>
#include <readerwriterqueue/readerwriterqueue.h>
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

} // namespace

#define RWQ_INST(NS, M)								\
namespace NS {									\
typedef moodycamel::ReaderWriterQueue<M> lane_t;				\
static inline __attribute__((always_inline)) int q_tx1(lane_t *q, unsigned, uint64_t s) \
{ return q->try_enqueue(mk<M>(s)); }						\
static inline __attribute__((always_inline)) unsigned q_txn(lane_t *q, unsigned, unsigned n, uint64_t s) \
{										\
	unsigned i;								\
	for (i = 0; i < n; i++)							\
		if (!q->try_enqueue(mk<M>(s + i)))				\
			break;							\
	return i;								\
}										\
static inline __attribute__((always_inline)) int q_rx1(lane_t *q, unsigned, uint64_t *s) \
{										\
	M m;									\
	if (!q->try_dequeue(m))							\
		return 0;							\
	*s = m.w[0];								\
	return 1;								\
}										\
static inline __attribute__((always_inline)) unsigned q_rxn(lane_t *q, unsigned, unsigned n, uint64_t *nx, uint64_t *b) \
{										\
	unsigned i;								\
	M m;									\
	for (i = 0; i < n; i++) {						\
		if (!q->try_dequeue(m))						\
			break;							\
		*b |= m.w[0] ^ (*nx)++;						\
	}									\
	return i;								\
}

RWQ_INST(r8, M8)
#undef BENCH_LOOPS_H
#include "loops.h"
}
RWQ_INST(r64, M64)
#undef BENCH_LOOPS_H
#include "loops.h"
}

namespace {

struct rctx {
	void *q[2];
	int n;
};

int w_setup(void **ctx, int nlanes)
{
	rctx *c = (rctx *)calloc(1, sizeof(rctx));

	*ctx = c;
	for (int i = 0; i < nlanes; i++) {
		if (R->payload == 8)
			c->q[i] = new r8::lane_t(R->capacity);
		else
			c->q[i] = new r64::lane_t(R->capacity);
		c->n = i + 1;
	}
	return 0;
}

void w_teardown(void *ctx)
{
	rctx *c = (rctx *)ctx;

	for (int i = 0; i < c->n; i++) {
		if (R->payload == 8)
			delete (r8::lane_t *)c->q[i];
		else
			delete (r64::lane_t *)c->q[i];
	}
	free(c);
}

int w_tput(void *ctx, int role, int)
{
	rctx *c = (rctx *)ctx;

	if (R->payload == 8)
		return r8::loop_tput((r8::lane_t *)c->q[0], role);
	return r64::loop_tput((r64::lane_t *)c->q[0], role);
}

int w_rtt(void *ctx, int role)
{
	rctx *c = (rctx *)ctx;

	if (R->payload == 8)
		return r8::loop_rtt((r8::lane_t *)c->q[0], (r8::lane_t *)c->q[1], role);
	return r64::loop_rtt((r64::lane_t *)c->q[0], (r64::lane_t *)c->q[1], role);
}

int w_ipm(void *ctx)
{
	rctx *c = (rctx *)ctx;

	if (R->payload == 8)
		return r8::loop_ipm((r8::lane_t *)c->q[0], (r8::lane_t *)c->q[0]);
	return r64::loop_ipm((r64::lane_t *)c->q[0], (r64::lane_t *)c->q[0]);
}

} // namespace

extern "C" const struct subject subj_rwq = {
	"rwq",
	"moodycamel ReaderWriterQueue, try_enqueue/try_dequeue, heap (threads only), no bulk API (batch = loop)",
	0,
	w_setup, w_teardown, w_tput, w_rtt, nullptr, w_ipm,
};
