// SPDX-License-Identifier: MIT
/*
 * subj_rigtorp.c - an SPSC ring written the way rigtorp's SPSCQueue is
 * (our own C, not his code): indices that wrap at capacity + 1 (one slack
 * slot tells full from empty), writeIdx / readIdx and each side's cached
 * copy of the other's index on four separate cache lines, a cache line of
 * padding slots before and after the array, emplace / front + pop per
 * message.  It has no batch API: a burst is a loop of single ops.
 */
#include <errno.h>
#include <string.h>
#include <stdlib.h>
#include "bench.h"

struct rring {
	_Alignas(64) uint64_t write_idx;
	_Alignas(64) uint64_t read_idx_cache;	/* producer's copy */
	_Alignas(64) uint64_t read_idx;
	_Alignas(64) uint64_t write_idx_cache;	/* consumer's copy */
	_Alignas(64) uint64_t slots_cap;	/* capacity + 1 */
	_Alignas(64) unsigned char slots[];	/* pad line + (cap + 1) slots + pad line */
};

struct rside {
	struct rring *r;
	uint64_t cap1;
	unsigned char *slots;			/* first real slot */
};

typedef struct rside lane_t;

static inline __attribute__((always_inline)) int q_tx1(lane_t *q, unsigned p, uint64_t seq)
{
	struct rring *r = q->r;
	uint64_t w = __atomic_load_n(&r->write_idx, __ATOMIC_RELAXED);
	uint64_t nw = w + 1;

	if (nw == q->cap1)
		nw = 0;
	if (nw == r->read_idx_cache) {
		/* acquire: pairs with the consumer's release of read_idx */
		r->read_idx_cache = __atomic_load_n(&r->read_idx, __ATOMIC_ACQUIRE);
		if (nw == r->read_idx_cache)
			return 0;
	}
	msg_fill(q->slots + w * p, p, seq);
	__atomic_store_n(&r->write_idx, nw, __ATOMIC_RELEASE);
	return 1;
}

static inline __attribute__((always_inline)) unsigned q_txn(lane_t *q, unsigned p,
							     unsigned n, uint64_t seq)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (!q_tx1(q, p, seq + i))
			break;
	return i;
}

static inline __attribute__((always_inline)) int q_rx1(lane_t *q, unsigned p, uint64_t *seq)
{
	struct rring *r = q->r;
	uint64_t rd = __atomic_load_n(&r->read_idx, __ATOMIC_RELAXED);
	uint64_t nr;

	if (rd == r->write_idx_cache) {
		/* acquire: pairs with the producer's release of write_idx */
		r->write_idx_cache = __atomic_load_n(&r->write_idx, __ATOMIC_ACQUIRE);
		if (rd == r->write_idx_cache)
			return 0;
	}
	*seq = *(const uint64_t *)(q->slots + rd * p);	/* front() */
	nr = rd + 1;					/* pop() */
	if (nr == q->cap1)
		nr = 0;
	__atomic_store_n(&r->read_idx, nr, __ATOMIC_RELEASE);
	return 1;
}

static inline __attribute__((always_inline)) unsigned q_rxn(lane_t *q, unsigned p, unsigned n,
							     uint64_t *next, uint64_t *bad)
{
	uint64_t seq;
	unsigned i;

	for (i = 0; i < n; i++) {
		if (!q_rx1(q, p, &seq))
			break;
		*bad |= seq ^ (*next)++;
	}
	return i;
}

#include "loops.h"

struct rctx {
	struct rring *r[2];
	size_t size;
	int n;
};

static int r_setup(void **ctx, int nlanes)
{
	struct rctx *c = calloc(1, sizeof(*c));
	int i;

	c->n = nlanes;
	c->size = sizeof(struct rring) + ((size_t)R->capacity + 1) * R->payload + 128;
	for (i = 0; i < nlanes; i++) {
		c->r[i] = shm_alloc(c->size, R->huge);
		if (!c->r[i])
			return run_fail(-ENOMEM, "shm_alloc failed");
		c->r[i]->slots_cap = R->capacity + 1;
	}
	*ctx = c;
	return 0;
}

static void r_teardown(void *ctx)
{
	struct rctx *c = ctx;
	int i;

	for (i = 0; i < c->n; i++)
		shm_free(c->r[i], c->size);
	free(c);
}

static void r_side(lane_t *s, struct rring *r)
{
	s->r = r;
	s->cap1 = r->slots_cap;
	s->slots = r->slots + 64;	/* after the leading padding line */
}

static int r_tput(void *ctx, int role, int side)
{
	struct rctx *c = ctx;
	lane_t s;

	(void)side;
	r_side(&s, c->r[0]);
	return loop_tput(&s, role);
}

static int r_rtt(void *ctx, int role)
{
	struct rctx *c = ctx;
	lane_t a, b;

	r_side(&a, c->r[0]);
	r_side(&b, c->r[1]);
	return loop_rtt(&a, &b, role);
}

static int r_ipm(void *ctx)
{
	struct rctx *c = ctx;
	lane_t a, b;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	r_side(&a, c->r[0]);
	r_side(&b, c->r[0]);
	return loop_ipm(&a, &b);
}

const struct subject subj_rigtorp = {
	.name = "rigtorp",
	.desc = "rigtorp-style SPSCQueue in C: wrapping indices + slack slot, padded indices and caches, no batch API (burst = loop)",
	.caps = CAP_PROC | CAP_HUGE | CAP_ZEROCOPY,
	.setup = r_setup,
	.teardown = r_teardown,
	.tput = r_tput,
	.rtt = r_rtt,
	.ipm = r_ipm,
};
