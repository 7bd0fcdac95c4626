/* SPDX-License-Identifier: MIT */
/*
 * loops.h - the measured loops, one copy per subject.  A subject file
 * defines its lane type lane_t and four primitives, then includes this file:
 *
 *	int q_tx1(lane_t *q, unsigned p, uint64_t seq)
 *		enqueue one p-byte message whose first word is seq; 1 or 0 (full)
 *	unsigned q_txn(lane_t *q, unsigned p, unsigned n, uint64_t seq)
 *		enqueue up to n messages seq, seq+1, ...; how many (0: full)
 *	int q_rx1(lane_t *q, unsigned p, uint64_t *seq)
 *		dequeue one message, its first word to *seq; 1 or 0 (empty)
 *	unsigned q_rxn(lane_t *q, unsigned p, unsigned n, uint64_t *next,
 *		       uint64_t *bad)
 *		dequeue up to n; each first word is compared with (*next)++ and
 *		differences OR'ed into *bad; how many
 *
 * Being in the subject's translation unit, the primitives inline into the
 * loops and the payload size is a constant in each instance - the same
 * treatment for every subject.  Polling loops spin without pause: the
 * pause instruction costs ~100 cycles on recent cores and was not measured
 * to help here.  R->err is read only on the full / empty path, so a side
 * whose lane failed lets its peer stop instead of spinning forever.
 */
#ifndef BENCH_LOOPS_H
#define BENCH_LOOPS_H

#include <errno.h>
#include "bench.h"

#define ALWAYS_INLINE	inline __attribute__((always_inline))

static ALWAYS_INLINE int tput_tx_p(lane_t *q, unsigned p)
{
	uint64_t n = R->n, next = 0;
	unsigned b = R->batch;

	run_ready();
	R->t_start[0] = tsc_now();
	if (b == 1) {
		while (next < n) {
			if (q_tx1(q, p, next))
				next++;
			else if (__builtin_expect(R->err, 0))
				break;
		}
	} else {
		while (next < n) {
			unsigned w = n - next < b ? (unsigned)(n - next) : b;
			unsigned k = q_txn(q, p, w, next);

			next += k;
			if (!k && __builtin_expect(R->err, 0))
				break;
		}
	}
	R->t_end[0] = tsc_now();
	return 0;
}

static ALWAYS_INLINE int tput_rx_p(lane_t *q, unsigned p)
{
	uint64_t n = R->n, next = 0, bad = 0, seq = 0;
	unsigned b = R->batch;

	run_ready();
	R->t_start[1] = tsc_now();
	if (b == 1) {
		while (next < n) {
			if (q_rx1(q, p, &seq)) {
				bad |= seq ^ next;
				next++;
			} else if (__builtin_expect(R->err, 0)) {
				break;
			}
		}
	} else {
		while (next < n)
			if (!q_rxn(q, p, b, &next, &bad) &&
			    __builtin_expect(R->err, 0))
				break;
	}
	R->t_end[1] = tsc_now();
	if (bad)
		return run_fail(-EBADMSG, "consumer saw a message out of order");
	return 0;
}

/* @p: the payload written and read, 8, 56 (byteor-ring-56in64) or 64 */
static inline int loop_tput_p(lane_t *q, int role, unsigned p)
{
	if (p == 8)
		return role == ROLE_TX ? tput_tx_p(q, 8) : tput_rx_p(q, 8);
	if (p == 56)
		return role == ROLE_TX ? tput_tx_p(q, 56) : tput_rx_p(q, 56);
	return role == ROLE_TX ? tput_tx_p(q, 64) : tput_rx_p(q, 64);
}

static inline int loop_tput(lane_t *q, int role)
{
	return loop_tput_p(q, role, R->payload);
}

static ALWAYS_INLINE int rtt_ping_p(lane_t *a, lane_t *b, unsigned p)
{
	uint64_t i, total = R->warm + R->n, seq = 0, bad = 0;

	run_ready();
	R->t_start[0] = tsc_now();
	for (i = 0; i < total; i++) {
		uint64_t t0 = tsc_now(), t1;

		while (!q_tx1(a, p, i))
			if (R->err)
				return R->err;
		while (!q_rx1(b, p, &seq))
			if (R->err)
				return R->err;
		t1 = tsc_now();
		bad |= seq ^ i;
		if (i >= R->warm)
			hist_add(&R->h, t1 - t0);
	}
	R->t_end[0] = tsc_now();
	if (bad)
		return run_fail(-EBADMSG, "ping saw a wrong echo");
	return 0;
}

static ALWAYS_INLINE int rtt_pong_p(lane_t *a, lane_t *b, unsigned p)
{
	uint64_t i, total = R->warm + R->n, seq = 0;

	run_ready();
	for (i = 0; i < total; i++) {
		while (!q_rx1(a, p, &seq))
			if (R->err)
				return R->err;
		while (!q_tx1(b, p, seq))
			if (R->err)
				return R->err;
	}
	return 0;
}

static inline int loop_rtt_p(lane_t *a, lane_t *b, int role, unsigned p)
{
	if (p == 8)
		return role == ROLE_TX ? rtt_ping_p(a, b, 8) : rtt_pong_p(a, b, 8);
	if (p == 56)
		return role == ROLE_TX ? rtt_ping_p(a, b, 56) : rtt_pong_p(a, b, 56);
	return role == ROLE_TX ? rtt_ping_p(a, b, 64) : rtt_pong_p(a, b, 64);
}

static inline int loop_rtt(lane_t *a, lane_t *b, int role)
{
	return loop_rtt_p(a, b, role, R->payload);
}

/*
 * Instructions per message (bench/ipm.c under cachegrind): one thread
 * drives both ends of one lane, R->n messages of R->payload bytes, each
 * sent and then received (single-op: one message; batch: R->batch
 * messages, then all of them received).  Every consumed message is
 * checked as in the throughput loop, so no work is optimised away.  The
 * driver runs it at two counts and reports the difference per message:
 * attach, setup and teardown cancel out.
 */
static ALWAYS_INLINE int ipm_p(lane_t *tx, lane_t *rx, unsigned p)
{
	uint64_t n = R->n, i = 0, next = 0, bad = 0, seq = 0;
	unsigned b = R->batch;

	if (b == 1) {
		for (i = 0; i < n; i++) {
			if (!q_tx1(tx, p, i) || !q_rx1(rx, p, &seq))
				return run_fail(-EIO, "ipm: a send or receive found the lane full / empty");
			bad |= seq ^ i;
		}
	} else {
		while (i < n) {
			unsigned w = n - i < b ? (unsigned)(n - i) : b;
			unsigned k = q_txn(tx, p, w, i), got = 0;

			if (k != w)
				return run_fail(-EIO, "ipm: a burst found the lane full");
			while (got < k) {
				unsigned g = q_rxn(rx, p, k - got, &next, &bad);

				if (!g)
					return run_fail(-EIO, "ipm: a burst receive found the lane empty");
				got += g;
			}
			i += k;
		}
	}
	if (bad)
		return run_fail(-EBADMSG, "ipm: a message came back out of order");
	return 0;
}

static inline int loop_ipm_p(lane_t *tx, lane_t *rx, unsigned p)
{
	if (p == 8)
		return ipm_p(tx, rx, 8);
	if (p == 56)
		return ipm_p(tx, rx, 56);
	return ipm_p(tx, rx, 64);
}

static inline int loop_ipm(lane_t *tx, lane_t *rx)
{
	return loop_ipm_p(tx, rx, R->payload);
}

#endif /* BENCH_LOOPS_H */
