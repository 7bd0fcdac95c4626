// SPDX-License-Identifier: MIT
/*
 * subj_rte.c - DPDK rte_ring (Debian libdpdk-dev 22.11) as SP/SC and MP/SC
 * rings of 8 or 64-byte elements (the rte_ring_elem API: values copied in
 * and out, no pointers).
 *  - "rte-ring": no EAL at all.  rte_ring_init() on memory we provide
 *    (rte_ring_get_memsize_elem() bytes of the same MAP_SHARED memfd
 *    memory as the other subjects), so it also runs across processes.
 *  - "rte-ring-eal": rte_eal_init(-l 0 --no-huge --no-pci --no-shconf
 *    --no-telemetry; --in-memory is refused with --no-huge), then rte_ring_create_elem() from EAL memory; threads
 *    only (that memory is private to the process).
 * Single-op: rte_ring_sp_enqueue_elem / rte_ring_sc_dequeue_elem; batch:
 * rte_ring_sp_enqueue_burst_elem / rte_ring_sc_dequeue_burst_elem.
 * Capacity: a ring of count slots holds count - 1 elements.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>
#include "bench.h"

typedef struct rte_ring lane_t;

#define TAB_BYTES	(32 * 64)

static inline __attribute__((always_inline)) int q_tx1(lane_t *q, unsigned p, uint64_t seq)
{
	uint64_t m[8] = { seq, 1, 2, 3, 4, 5, 6, 7 };

	return rte_ring_sp_enqueue_elem(q, m, p) == 0;
}

static inline __attribute__((always_inline)) unsigned q_txn(lane_t *q, unsigned p,
							     unsigned n, uint64_t seq)
{
	_Alignas(64) unsigned char tab[TAB_BYTES];
	unsigned i;

	for (i = 0; i < n; i++)
		msg_fill(tab + i * p, p, seq + i);
	return rte_ring_sp_enqueue_burst_elem(q, tab, p, n, NULL);
}

static inline __attribute__((always_inline)) int q_rx1(lane_t *q, unsigned p, uint64_t *seq)
{
	uint64_t m[8];

	if (rte_ring_sc_dequeue_elem(q, m, p))
		return 0;
	*seq = m[0];
	return 1;
}

static inline __attribute__((always_inline)) unsigned q_rxn(lane_t *q, unsigned p, unsigned n,
							     uint64_t *next, uint64_t *bad)
{
	_Alignas(64) unsigned char tab[TAB_BYTES];
	unsigned i, k = rte_ring_sc_dequeue_burst_elem(q, tab, p, n, NULL);

	for (i = 0; i < k; i++)
		*bad |= *(const uint64_t *)(tab + i * p) ^ (*next)++;
	return k;
}

#include "loops.h"

struct rtectx {
	struct rte_ring *r[2];
	size_t size;
	int n;
	int eal;
};

static int rte_make(void **ctx, int nlanes, int eal, unsigned int flags)
{
	struct rtectx *c = calloc(1, sizeof(*c));
	static unsigned int seq;
	int i;

	*ctx = c;
	c->eal = eal;
	for (i = 0; i < nlanes; i++) {
		char name[32];

		snprintf(name, sizeof(name), "b%u", seq++);
		if (eal) {
			c->r[i] = rte_ring_create_elem(name, R->payload, R->capacity, 0, flags);
			if (!c->r[i])
				return run_fail(-rte_errno, "rte_ring_create_elem: %s",
						rte_strerror(rte_errno));
		} else {
			ssize_t sz = rte_ring_get_memsize_elem(R->payload, R->capacity);
			int ret;

			if (sz < 0)
				return run_fail((int)sz, "rte_ring_get_memsize_elem failed");
			c->size = (size_t)sz;
			c->r[i] = shm_alloc(c->size, R->huge);
			if (!c->r[i])
				return run_fail(-ENOMEM, "shm_alloc failed");
			ret = rte_ring_init(c->r[i], name, R->capacity, flags);
			if (ret)
				return run_fail(ret, "rte_ring_init: %d", ret);
		}
		c->n = i + 1;
	}
	return 0;
}

static void rte_teardown(void *ctx)
{
	struct rtectx *c = ctx;
	int i;

	for (i = 0; i < c->n; i++) {
		if (c->eal)
			rte_ring_free(c->r[i]);
		else
			shm_free(c->r[i], c->size);
	}
	free(c);
}

static int noeal_setup(void **ctx, int nlanes)
{
	return rte_make(ctx, nlanes, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
}

static int eal_state;	/* 0 not tried, 1 up, < 0 failed */

static int eal_setup(void **ctx, int nlanes)
{
	if (!eal_state) {
		char *argv[] = { "bench", "-l", "0", "--no-huge", "--no-pci", "--no-shconf",
				 "--no-telemetry", "-m", "256", "--log-level=lib.*:error", NULL };
		int ret = rte_eal_init(10, argv);

		eal_state = ret < 0 ? -(rte_errno ? rte_errno : EINVAL) : 1;
	}
	if (eal_state < 0) {
		*ctx = calloc(1, sizeof(struct rtectx));
		return run_fail(eal_state, "rte_eal_init failed: %s", rte_strerror(-eal_state));
	}
	return rte_make(ctx, nlanes, 1, RING_F_SP_ENQ | RING_F_SC_DEQ);
}

static int rte_tput(void *ctx, int role, int side)
{
	struct rtectx *c = ctx;

	(void)side;
	return loop_tput(c->r[0], role);
}

static int rte_rtt(void *ctx, int role)
{
	struct rtectx *c = ctx;

	return loop_rtt(c->r[0], c->r[1], role);
}

static int rte_ipm(void *ctx)
{
	struct rtectx *c = ctx;

	return loop_ipm(c->r[0], c->r[0]);
}

const struct subject subj_rte_noeal = {
	.name = "rte-ring",
	.desc = "DPDK rte_ring SP/SC elem API, rte_ring_init on our memory, no EAL",
	.caps = CAP_PROC | CAP_HUGE | CAP_BATCH,
	.setup = noeal_setup,
	.teardown = rte_teardown,
	.tput = rte_tput,
	.rtt = rte_rtt,
	.ipm = rte_ipm,
};

const struct subject subj_rte_eal = {
	.name = "rte-ring-eal",
	.desc = "DPDK rte_ring SP/SC elem API after rte_eal_init (--no-huge --in-memory), rte_ring_create_elem",
	.caps = CAP_BATCH,
	.setup = eal_setup,
	.teardown = rte_teardown,
	.tput = rte_tput,
	.rtt = rte_rtt,
};

/* ---- MP/SC --------------------------------------------------------------- */

/*
 * Producers enqueue through rte_ring_enqueue_elem / _burst_elem, which
 * follow the ring's producer sync mode: MP (the classic mode: a producer
 * waits for every earlier producer to move the tail - preempted in between,
 * it stalls the others for a time slice) or MP RTS ("relaxed tail sync",
 * the mode DPDK documents for overcommitted threads).
 */
static int mpsc_setup(void **ctx, int nlanes)
{
	(void)nlanes;
	return rte_make(ctx, 1, 0, RING_F_SC_DEQ);
}

static int mpsc_rts_setup(void **ctx, int nlanes)
{
	(void)nlanes;
	return rte_make(ctx, 1, 0, RING_F_SC_DEQ | RING_F_MP_RTS_ENQ);
}

static int mpsc_side(void *ctx, int side)
{
	struct rtectx *c = ctx;
	struct rte_ring *q = c->r[0];
	uint64_t per = R->n / R->producers, total = per * R->producers;
	unsigned int b = R->batch, p = R->payload;
	_Alignas(64) unsigned char tab[TAB_BYTES];

	if (side) {
		uint64_t tag = (uint64_t)side << 48, i = 0;

		run_ready();
		R->t_start[side] = tsc_now();
		while (i < per && !R->err && !__atomic_load_n(&R->stop, __ATOMIC_RELAXED)) {
			unsigned int w = per - i < b ? (unsigned int)(per - i) : b, j;

			if (b == 1) {
				uint64_t m[8] = { tag | i, 1, 2, 3, 4, 5, 6, 7 };

				i += rte_ring_enqueue_elem(q, m, p) == 0;
				continue;
			}
			for (j = 0; j < w; j++)
				msg_fill(tab + j * p, p, tag | (i + j));
			i += rte_ring_enqueue_burst_elem(q, tab, p, w, NULL);
		}
		R->t_end[side] = tsc_now();
	} else {
		uint64_t next[SIDES_MAX] = { 0 }, got = 0, bad = 0, deadline, spins = 0;

		run_ready();
		deadline = tsc_now() + (uint64_t)((double)R->budget_ns * tsc_ghz);
		while (got < total && !R->err) {
			unsigned int k = rte_ring_sc_dequeue_burst_elem(q, tab, p, b, NULL), j;

			if ((!k || !(++spins & 1023)) && tsc_now() > deadline)
				break;

			for (j = 0; j < k; j++) {
				uint64_t v = *(const uint64_t *)(tab + j * p);
				unsigned int pr = (unsigned int)(v >> 48);

				if (pr >= SIDES_MAX || (v & ((1ULL << 48) - 1)) != next[pr])
					bad = 1;
				else
					next[pr]++;
			}
			got += k;
		}
		R->t_end[0] = tsc_now();
		R->got = got;
		/* relaxed: producers only need to see it eventually */
		__atomic_store_n(&R->stop, 1, __ATOMIC_RELAXED);
		if (bad)
			return run_fail(-EBADMSG, "rte mpsc: lost or reordered element");
	}
	return 0;
}

const struct subject subj_rte_mpsc = {
	.name = "rte-ring-mpsc",
	.desc = "DPDK rte_ring MP/SC elem API, no EAL, our memory",
	.caps = CAP_PROC | CAP_HUGE | CAP_BATCH | CAP_MPSC,
	.setup = mpsc_setup,
	.teardown = rte_teardown,
	.mpsc = mpsc_side,
};

const struct subject subj_rte_mpsc_rts = {
	.name = "rte-ring-mpsc-rts",
	.desc = "DPDK rte_ring MP RTS / SC elem API (relaxed tail sync, DPDK's mode for overcommitted producers), no EAL, our memory",
	.caps = CAP_PROC | CAP_HUGE | CAP_BATCH | CAP_MPSC,
	.setup = mpsc_rts_setup,
	.teardown = rte_teardown,
	.mpsc = mpsc_side,
};
