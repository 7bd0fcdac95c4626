// SPDX-License-Identifier: MIT
/*
 * subj_minimal.c - the reference: the shortest fast SPSC index ring we know
 * how to write in C.  Free-running 64-bit positions, each on its own cache
 * line; each side keeps a private copy of the other's position and reloads
 * it only when the copy says full / empty; a burst publishes with one
 * release store.  Slots are payload-sized (8 or 64 bytes), no header.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "bench.h"

/*
 * Positions and slots in 128-byte blocks of their own: the adjacent-line
 * prefetcher moves a 64-byte line with its 128-byte buddy, so positions
 * 64 bytes apart would travel together between the CPUs.
 */
struct mring {
	_Alignas(128) uint64_t head;	/* producer: messages published */
	_Alignas(128) uint64_t tail;	/* consumer: messages consumed */
	_Alignas(128) unsigned char slots[];
};
_Static_assert(offsetof(struct mring, tail) / 128 != offsetof(struct mring, head) / 128,
	       "the minimal ring's positions share a 128-byte block");

struct mside {
	struct mring *r;
	uint64_t pos;			/* my position (authoritative) */
	uint64_t other;			/* cached copy of the peer's */
	uint64_t cap, mask;
	unsigned char *slots;
};

typedef struct mside lane_t;

static inline __attribute__((always_inline)) int q_tx1(lane_t *q, unsigned p, uint64_t seq)
{
	if (q->pos - q->other == q->cap) {
		/* acquire: pairs with the consumer's release of tail */
		q->other = __atomic_load_n(&q->r->tail, __ATOMIC_ACQUIRE);
		if (q->pos - q->other == q->cap)
			return 0;
	}
	msg_fill(q->slots + (q->pos & q->mask) * p, p, seq);
	/* release: the payload before the position (pairs with q_rx1) */
	__atomic_store_n(&q->r->head, ++q->pos, __ATOMIC_RELEASE);
	return 1;
}

static inline __attribute__((always_inline)) unsigned q_txn(lane_t *q, unsigned p,
							     unsigned n, uint64_t seq)
{
	uint64_t room = q->cap - (q->pos - q->other);
	unsigned i;

	if (room < n) {
		q->other = __atomic_load_n(&q->r->tail, __ATOMIC_ACQUIRE);
		room = q->cap - (q->pos - q->other);
		if (!room)
			return 0;
		if (room < n)
			n = (unsigned)room;
	}
	for (i = 0; i < n; i++)
		msg_fill(q->slots + ((q->pos + i) & q->mask) * p, p, seq + i);
	q->pos += n;
	__atomic_store_n(&q->r->head, q->pos, __ATOMIC_RELEASE);
	return n;
}

static inline __attribute__((always_inline)) int q_rx1(lane_t *q, unsigned p, uint64_t *seq)
{
	if (q->pos == q->other) {
		/* acquire: pairs with the producer's release of head */
		q->other = __atomic_load_n(&q->r->head, __ATOMIC_ACQUIRE);
		if (q->pos == q->other)
			return 0;
	}
	*seq = *(const uint64_t *)(q->slots + (q->pos & q->mask) * p);
	/* release: done reading the slot before the producer may reuse it */
	__atomic_store_n(&q->r->tail, ++q->pos, __ATOMIC_RELEASE);
	return 1;
}

static inline __attribute__((always_inline)) unsigned q_rxn(lane_t *q, unsigned p, unsigned n,
							     uint64_t *next, uint64_t *bad)
{
	uint64_t avail = q->other - q->pos;
	unsigned i;

	if (avail < n) {
		q->other = __atomic_load_n(&q->r->head, __ATOMIC_ACQUIRE);
		avail = q->other - q->pos;
		if (!avail)
			return 0;
		if (avail < n)
			n = (unsigned)avail;
	}
	for (i = 0; i < n; i++)
		*bad |= *(const uint64_t *)(q->slots + ((q->pos + i) & q->mask) * p) ^
			(*next)++;
	q->pos += n;
	__atomic_store_n(&q->r->tail, q->pos, __ATOMIC_RELEASE);
	return n;
}

#include "loops.h"

struct mctx {
	struct mring *r[2];
	size_t size;
	int n;
};

static int m_setup(void **ctx, int nlanes)
{
	struct mctx *c = calloc(1, sizeof(*c));
	int i;

	c->n = nlanes;
	c->size = sizeof(struct mring) + (size_t)R->capacity * R->payload;
	for (i = 0; i < nlanes; i++) {
		c->r[i] = shm_alloc(c->size, R->huge);
		if (!c->r[i])
			return run_fail(-ENOMEM, "shm_alloc failed");
	}
	*ctx = c;
	return 0;
}

static void m_teardown(void *ctx)
{
	struct mctx *c = ctx;
	int i;

	for (i = 0; i < c->n; i++)
		shm_free(c->r[i], c->size);
	free(c);
}

static void m_side(lane_t *s, struct mring *r, int tx)
{
	s->r = r;
	s->pos = 0;
	s->other = 0;
	s->cap = R->capacity;
	s->mask = R->capacity - 1;
	s->slots = r->slots;
	(void)tx;
}

static int m_tput(void *ctx, int role, int side)
{
	struct mctx *c = ctx;
	lane_t s;

	(void)side;
	m_side(&s, c->r[0], role == ROLE_TX);
	return loop_tput(&s, role);
}

static int m_rtt(void *ctx, int role)
{
	struct mctx *c = ctx;
	lane_t a, b;

	m_side(&a, c->r[0], role == ROLE_TX);
	m_side(&b, c->r[1], role != ROLE_TX);
	return loop_rtt(&a, &b, role);
}

static int m_ipm(void *ctx)
{
	struct mctx *c = ctx;
	lane_t a, b;

	m_side(&a, c->r[0], 1);
	m_side(&b, c->r[0], 0);
	return loop_ipm(&a, &b);
}

const struct subject subj_minimal = {
	.name = "minimal",
	.desc = "minimal C index ring (reference): padded free-running positions, cached peer position, burst = one release store",
	.caps = CAP_PROC | CAP_HUGE | CAP_BATCH | CAP_ZEROCOPY,
	.setup = m_setup,
	.teardown = m_teardown,
	.tput = m_tput,
	.rtt = m_rtt,
	.ipm = m_ipm,
};
