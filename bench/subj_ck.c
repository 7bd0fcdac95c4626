// SPDX-License-Identifier: MIT
/*
 * subj_ck.c - ConcurrencyKit ck_ring (Debian libck-dev) SPSC with values
 * stored in the ring (CK_RING_PROTOTYPE: a typed ring of 8 or 64-byte
 * structs, copied in and out).  ck_ring has no burst API: a batch is a
 * loop of single ops.  The ring header and buffer live in our MAP_SHARED
 * memory.  A ring of size slots holds size - 1 elements.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <ck_ring.h>
#include "bench.h"

struct m8 {
	uint64_t w[1];
};
struct m64 {
	uint64_t w[8];
};

CK_RING_PROTOTYPE(m8, m8)
CK_RING_PROTOTYPE(m64, m64)

struct cklane {
	struct ck_ring ring;
	_Alignas(64) unsigned char buf[];
};

typedef struct cklane lane_t;

static inline __attribute__((always_inline)) int q_tx1(lane_t *q, unsigned p, uint64_t seq)
{
	if (p == 8) {
		struct m8 m = { { seq } };

		return ck_ring_enqueue_spsc_m8(&q->ring, (struct m8 *)q->buf, &m);
	} else {
		struct m64 m = { { seq, 1, 2, 3, 4, 5, 6, 7 } };

		return ck_ring_enqueue_spsc_m64(&q->ring, (struct m64 *)q->buf, &m);
	}
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
	if (p == 8) {
		struct m8 m;

		if (!ck_ring_dequeue_spsc_m8(&q->ring, (struct m8 *)q->buf, &m))
			return 0;
		*seq = m.w[0];
	} else {
		struct m64 m;

		if (!ck_ring_dequeue_spsc_m64(&q->ring, (struct m64 *)q->buf, &m))
			return 0;
		*seq = m.w[0];
	}
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

struct ckctx {
	lane_t *q[2];
	size_t size;
	int n;
};

static int ck_setup(void **ctx, int nlanes)
{
	struct ckctx *c = calloc(1, sizeof(*c));
	int i;

	*ctx = c;
	c->size = sizeof(lane_t) + (size_t)R->capacity * R->payload;
	for (i = 0; i < nlanes; i++) {
		c->q[i] = shm_alloc(c->size, R->huge);
		if (!c->q[i])
			return run_fail(-ENOMEM, "shm_alloc failed");
		ck_ring_init(&c->q[i]->ring, R->capacity);
		c->n = i + 1;
	}
	return 0;
}

static void ck_teardown(void *ctx)
{
	struct ckctx *c = ctx;
	int i;

	for (i = 0; i < c->n; i++)
		shm_free(c->q[i], c->size);
	free(c);
}

static int ck_tput(void *ctx, int role, int side)
{
	struct ckctx *c = ctx;

	(void)side;
	return loop_tput(c->q[0], role);
}

static int ck_rtt(void *ctx, int role)
{
	struct ckctx *c = ctx;

	return loop_rtt(c->q[0], c->q[1], role);
}

static int ck_ipm(void *ctx)
{
	struct ckctx *c = ctx;

	return loop_ipm(c->q[0], c->q[0]);
}

const struct subject subj_ck = {
	.name = "ck-ring",
	.desc = "ConcurrencyKit ck_ring SPSC, typed (values in the ring), no burst API (batch = loop)",
	.caps = CAP_PROC | CAP_HUGE,
	.setup = ck_setup,
	.teardown = ck_teardown,
	.tput = ck_tput,
	.rtt = ck_rtt,
	.ipm = ck_ipm,
};
