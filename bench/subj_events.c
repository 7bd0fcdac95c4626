// SPDX-License-Identifier: MIT
/*
 * subj_events.c - byteor events chain: SPSC queues (throughput: queue 0;
 * round trip: queues 0 and 1 of one region) and an MPSC queue (1..3
 * producers).  Same zero-copy, non-blocking use as subj_byteor.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <byteor/events.h>
#include "bench.h"

static unsigned int name_seq;

static int fatal(int ret, const char *what)
{
	return run_fail(ret, "%s: %s", what, byteor_strerror(ret));
}

typedef struct byteor_events lane_t;

static inline __attribute__((always_inline)) int q_tx1(lane_t *q, unsigned p, uint64_t seq)
{
	struct byteor_slot s;
	int n = byteor_events_claim(q, &s, 1);

	if (n != 1) {
		if (n != -EAGAIN)
			fatal(n, "events_claim");
		return 0;
	}
	msg_fill(s.data, p, seq);
	byteor_events_publish(q, NULL, 1);
	return 1;
}

static inline __attribute__((always_inline)) unsigned q_txn(lane_t *q, unsigned p,
							     unsigned n, uint64_t seq)
{
	struct byteor_slot s[64];
	int k = byteor_events_claim(q, s, n), i;

	if (k <= 0) {
		if (k != -EAGAIN)
			fatal(k, "events_claim");
		return 0;
	}
	for (i = 0; i < k; i++)
		msg_fill(s[i].data, p, seq + (uint64_t)i);
	byteor_events_publish(q, NULL, (unsigned)k);
	return (unsigned)k;
}

static inline __attribute__((always_inline)) int q_rx1(lane_t *q, unsigned p, uint64_t *seq)
{
	struct byteor_slot s;
	int n = byteor_events_peek(q, &s, 1);

	(void)p;
	if (n != 1) {
		if (n != -EAGAIN)
			fatal(n, "events_peek");
		return 0;
	}
	*seq = *(const uint64_t *)s.data;
	byteor_events_release(q, 1);
	return 1;
}

static inline __attribute__((always_inline)) unsigned q_rxn(lane_t *q, unsigned p, unsigned n,
							     uint64_t *next, uint64_t *bad)
{
	struct byteor_slot s[64];
	int k = byteor_events_peek(q, s, n), i;

	(void)p;
	if (k <= 0) {
		if (k != -EAGAIN)
			fatal(k, "events_peek");
		return 0;
	}
	for (i = 0; i < k; i++)
		*bad |= *(const uint64_t *)s[i].data ^ (*next)++;
	byteor_events_release(q, (unsigned)k);
	return (unsigned)k;
}

#include "loops.h"

struct ectx {
	char name[64];
	int made;
};

static int ev_make(void **ctx, unsigned int queues, unsigned int producers, __u64 mpsc)
{
	struct ectx *c = calloc(1, sizeof(*c));
	struct byteor_events_chain_options o = {
		.slot_size = R->payload, .capacity = R->capacity,
		.queues = queues, .producers = producers, .mpsc_mask = mpsc,
		.backing = BYTEOR_BACKING_USER, .dir = R->dir,
	};
	int ret;

	*ctx = c;
	snprintf(c->name, sizeof(c->name), "bench.%d.e%u", (int)getpid(), name_seq++);
	o.name = c->name;
	ret = byteor_events_chain_region_create(&o, NULL);
	if (ret < 0)
		return fatal(ret, "events_chain_region_create");
	c->made = 1;
	return 0;
}

static int ev_setup(void **ctx, int nlanes)
{
	return ev_make(ctx, (unsigned int)nlanes, 1, 0);
}

static void ev_teardown(void *ctx)
{
	struct ectx *c = ctx;

	if (c->made)
		byteor_region_destroy(c->name, BYTEOR_BACKING_USER, R->dir);
	free(c);
}

static int ev_attach(const char *name, unsigned int queue, int tx, int mpsc, lane_t **out)
{
	struct byteor_attach_options o = {
		.name = name, .queue = queue, .backing = BYTEOR_BACKING_USER,
		.dir = R->dir, .wait_strategy = BYTEOR_WAIT_SPIN,
	};
	int ret;

	if (mpsc)
		ret = tx ? byteor_attach_events_mpsc_tx(&o, out) :
			   byteor_attach_events_mpsc_rx(&o, out);
	else
		ret = tx ? byteor_attach_events_tx(&o, out) :
			   byteor_attach_events_rx(&o, out);
	if (ret < 0)
		return fatal(ret, "attach_events");
	return 0;
}

static int ev_tput(void *ctx, int role, int side)
{
	struct ectx *c = ctx;
	lane_t *q;
	int ret;

	(void)side;
	ret = ev_attach(c->name, 0, role == ROLE_TX, 0, &q);
	if (ret)
		return ret;
	ret = loop_tput(q, role);
	byteor_events_detach(q);
	return ret;
}

static int ev_rtt(void *ctx, int role)
{
	struct ectx *c = ctx;
	lane_t *a, *b;
	int ret;

	ret = ev_attach(c->name, 0, role == ROLE_TX, 0, &a);
	if (ret)
		return ret;
	ret = ev_attach(c->name, 1, role != ROLE_TX, 0, &b);
	if (ret) {
		byteor_events_detach(a);
		return ret;
	}
	ret = loop_rtt(a, b, role);
	byteor_events_detach(a);
	byteor_events_detach(b);
	return ret;
}

static int ev_ipm(void *ctx)
{
	struct ectx *c = ctx;
	lane_t *a, *b;
	int ret;

	ret = ev_attach(c->name, 0, 1, 0, &a);
	if (ret)
		return ret;
	ret = ev_attach(c->name, 0, 0, 0, &b);
	if (ret) {
		byteor_events_detach(a);
		return ret;
	}
	ret = loop_ipm(a, b);
	byteor_events_detach(a);
	byteor_events_detach(b);
	return ret;
}

const struct subject subj_byteor_events = {
	.name = "byteor-events",
	.desc = "byteor events chain SPSC queue: claim/publish + peek/release in place (libbyteor.a, non-blocking calls)",
	.caps = CAP_PROC | CAP_HUGE | CAP_BATCH | CAP_ZEROCOPY,
	.setup = ev_setup,
	.teardown = ev_teardown,
	.tput = ev_tput,
	.rtt = ev_rtt,
	.ipm = ev_ipm,
};

/* ---- MPSC: side 0 consumes, sides 1..R->producers produce --------------- */

static int mp_setup(void **ctx, int nlanes)
{
	(void)nlanes;
	return ev_make(ctx, 1, R->producers, 1);
}

/*
 * Each producer sends R->n / producers messages tagged (producer << 48 |
 * i); the consumer checks FIFO order per producer and counts all.
 */
static int mp_side(void *ctx, int side)
{
	struct ectx *c = ctx;
	uint64_t per = R->n / R->producers, total = per * R->producers;
	unsigned int b = R->batch;
	lane_t *q;
	int ret;

	ret = ev_attach(c->name, 0, side != 0, 1, &q);
	if (ret)
		return ret;
	if (side) {
		uint64_t tag = (uint64_t)side << 48, i = 0;
		struct byteor_slot s[64];

		run_ready();
		R->t_start[side] = tsc_now();
		while (i < per && !__atomic_load_n(&R->stop, __ATOMIC_RELAXED)) {
			unsigned int w = per - i < b ? (unsigned int)(per - i) : b;
			int k = byteor_events_claim(q, s, w), j;

			if (k <= 0) {
				if (k != -EAGAIN) {
					ret = fatal(k, "events_claim (mpsc)");
					break;
				}
				if (R->err)
					break;
				continue;
			}
			for (j = 0; j < k; j++)
				msg_fill(s[j].data, R->payload, tag | (i + (uint64_t)j));
			byteor_events_publish(q, NULL, (unsigned int)k);
			i += (uint64_t)k;
		}
		R->t_end[side] = tsc_now();
	} else {
		uint64_t next[SIDES_MAX] = { 0 }, got = 0, bad = 0, deadline, polls = 0;
		struct byteor_slot s[64];

		run_ready();
		deadline = tsc_now() + (uint64_t)((double)R->budget_ns * tsc_ghz);
		while (got < total) {
			int k = byteor_events_peek(q, s, b), j;

			if (k <= 0) {
				if (k != -EAGAIN) {
					ret = fatal(k, "events_peek (mpsc)");
					break;
				}
				if (R->err)
					break;
				if (tsc_now() > deadline)
					break;
				continue;
			}
			for (j = 0; j < k; j++) {
				uint64_t v = *(const uint64_t *)s[j].data;
				unsigned int pr = (unsigned int)(v >> 48);

				if (pr >= SIDES_MAX || (v & ((1ULL << 48) - 1)) != next[pr]) {
					bad = 1;
					continue;
				}
				next[pr]++;
			}
			byteor_events_release(q, (unsigned int)k);
			got += (uint64_t)k;
			if (!(++polls & 1023) && tsc_now() > deadline)
				break;
		}
		R->t_end[0] = tsc_now();
		R->got = got;
		/* relaxed: producers only need to see it eventually */
		__atomic_store_n(&R->stop, 1, __ATOMIC_RELAXED);
		if (bad && !ret)
			ret = run_fail(-EBADMSG, "mpsc consumer: lost, duplicated or reordered event");
	}
	byteor_events_detach(q);
	return ret;
}

const struct subject subj_byteor_mpsc = {
	.name = "byteor-mpsc",
	.desc = "byteor events chain MPSC queue (CAS claim, per-slot publish), zero-copy",
	.caps = CAP_PROC | CAP_HUGE | CAP_BATCH | CAP_MPSC | CAP_ZEROCOPY,
	.setup = mp_setup,
	.teardown = ev_teardown,
	.mpsc = mp_side,
};
