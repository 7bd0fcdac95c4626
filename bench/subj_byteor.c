// SPDX-License-Identifier: MIT
/*
 * subj_byteor.c - byteor's lanes through the public API (libbyteor.a):
 * the single ring, an events chain's SPSC queue, an events chain's MPSC
 * queue.  Zero-copy: the producer claims slots and writes the payload in
 * place, the consumer peeks in place and releases; the single ring's
 * batches go as spans (byteor_single_ring_claim_span / _peek_span), the
 * events queues' as slot descriptors.  Calls are non-blocking
 * (timeout 0: -EAGAIN when full / empty) and the loop polls, exactly as it
 * does for every other subject.  Regions are created by the parent on the
 * userspace backing (R->dir: a /dev/shm directory for 4 KiB pages, a
 * hugetlbfs mount for 2 MiB pages) and attached by each side after fork.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <byteor/single_ring.h>
#include <byteor/events.h>
#include <byteor/region.h>
#include "bench.h"

static unsigned int name_seq;

static void new_name(char *dst, int i)
{
	snprintf(dst, 64, "bench.%d.%u.%d", (int)getpid(), name_seq++, i);
}

static void opts(struct byteor_attach_options *o, const char *name, unsigned int queue)
{
	memset(o, 0, sizeof(*o));
	o->name = name;
	o->queue = queue;
	o->backing = BYTEOR_BACKING_USER;
	o->dir = R->dir;
	o->wait_strategy = BYTEOR_WAIT_SPIN;
	o->timeout_ns = 0;
}

static int fatal(int ret, const char *what)
{
	return run_fail(ret, "%s: %s", what, byteor_strerror(ret));
}

/* ---- single ring -------------------------------------------------------- */

typedef struct byteor_single_ring lane_t;

static inline __attribute__((always_inline)) int q_tx1(lane_t *q, unsigned p, uint64_t seq)
{
	struct byteor_slot s;
	int n = byteor_single_ring_claim(q, &s, 1);

	if (n != 1) {
		if (n != -EAGAIN)
			fatal(n, "single_ring_claim");
		return 0;
	}
	msg_fill(s.data, p, seq);
	byteor_single_ring_publish(q, NULL, 1);
	return 1;
}

/* Batches go as spans: one struct for the batch, nothing per slot. */
static inline __attribute__((always_inline)) unsigned q_txn(lane_t *q, unsigned p,
							     unsigned n, uint64_t seq)
{
	struct byteor_span sp;
	int k = byteor_single_ring_claim_span(q, &sp, n), i;

	if (k <= 0) {
		if (k != -EAGAIN)
			fatal(k, "single_ring_claim_span");
		return 0;
	}
	for (i = 0; i < k; i++)
		msg_fill(byteor_span_at(&sp, (unsigned)i), p, seq + (uint64_t)i);
	byteor_single_ring_publish(q, NULL, (unsigned)k);
	return (unsigned)k;
}

static inline __attribute__((always_inline)) int q_rx1(lane_t *q, unsigned p, uint64_t *seq)
{
	struct byteor_slot s;
	int n = byteor_single_ring_peek(q, &s, 1);

	(void)p;
	if (n != 1) {
		if (n != -EAGAIN)
			fatal(n, "single_ring_peek");
		return 0;
	}
	*seq = *(const uint64_t *)s.data;
	byteor_single_ring_release(q, 1);
	return 1;
}

static inline __attribute__((always_inline)) unsigned q_rxn(lane_t *q, unsigned p, unsigned n,
							     uint64_t *next, uint64_t *bad)
{
	struct byteor_span sp;
	int k = byteor_single_ring_peek_span(q, &sp, n), i;

	(void)p;
	if (k <= 0) {
		if (k != -EAGAIN)
			fatal(k, "single_ring_peek_span");
		return 0;
	}
	for (i = 0; i < k; i++)
		*bad |= *(const uint64_t *)byteor_span_at(&sp, (unsigned)i) ^ (*next)++;
	byteor_single_ring_release(q, (unsigned)k);
	return (unsigned)k;
}

#include "loops.h"

struct bctx {
	char name[2][64];
	int n;
	int events;
};

static int ring_setup_geom(void **ctx, int nlanes, __u32 flags, unsigned int slot_size)
{
	struct bctx *c = calloc(1, sizeof(*c));
	int i, ret;

	c->n = nlanes;
	for (i = 0; i < nlanes; i++) {
		struct byteor_region_options o = {
			.kind = BYTEOR_KIND_SINGLE_RING,
			.geometry = { .slot_size = slot_size, .capacity = R->capacity,
				      .queues = 1, .producers = 1, .flags = flags },
			.backing = BYTEOR_BACKING_USER,
			.dir = R->dir,
		};

		new_name(c->name[i], i);
		o.name = c->name[i];
		ret = byteor_region_create(&o, NULL);
		if (ret < 0) {
			c->n = i;
			*ctx = c;
			return fatal(ret, "byteor_region_create");
		}
	}
	*ctx = c;
	return 0;
}

static int ring_setup_flags(void **ctx, int nlanes, __u32 flags)
{
	return ring_setup_geom(ctx, nlanes, flags, R->payload);
}

static int ring_setup(void **ctx, int nlanes)
{
	return ring_setup_flags(ctx, nlanes, 0);
}

/*
 * A ring with slot headers whose slot is one cache line: 56 B payload +
 * the 8-byte slot header (length and publication tag) = a 64-byte stride.
 * Run in the 64 B configurations beside the 64 B subjects (a 64 B payload
 * with a header takes a 72-byte stride, two lines for most slots).
 */
static int ring56_setup(void **ctx, int nlanes)
{
	return ring_setup_geom(ctx, nlanes, 0, 56);
}

/* A fixed-size ring: no slot header, 64-byte messages in 64-byte slots. */
static int fixed_setup(void **ctx, int nlanes)
{
	return ring_setup_flags(ctx, nlanes, BYTEOR_GEOM_F_FIXED);
}

static void b_teardown(void *ctx)
{
	struct bctx *c = ctx;
	int i;

	for (i = 0; i < c->n; i++)
		byteor_region_destroy(c->name[i], BYTEOR_BACKING_USER, R->dir);
	free(c);
}

static int ring_attach(const char *name, int role, lane_t **out)
{
	struct byteor_attach_options o;
	int ret;

	opts(&o, name, 0);
	ret = byteor_attach_single_ring(&o, role, out);
	if (ret < 0)
		return fatal(ret, "attach_single_ring");
	return 0;
}

static int ring_tput(void *ctx, int role, int side)
{
	struct bctx *c = ctx;
	lane_t *q;
	int ret;

	(void)side;
	ret = ring_attach(c->name[0], role == ROLE_TX ? BYTEOR_ROLE_PRODUCER :
			  BYTEOR_ROLE_CONSUMER, &q);
	if (ret)
		return ret;
	/* the slot size, not R->payload: 56 for byteor-ring-56in64 */
	ret = loop_tput_p(q, role, byteor_single_ring_slot_size(q));
	byteor_single_ring_detach(q);
	return ret;
}

static int ring_ipm(void *ctx)
{
	struct bctx *c = ctx;
	lane_t *a, *b;
	int ret;

	ret = ring_attach(c->name[0], BYTEOR_ROLE_PRODUCER, &a);
	if (ret)
		return ret;
	ret = ring_attach(c->name[0], BYTEOR_ROLE_CONSUMER, &b);
	if (ret) {
		byteor_single_ring_detach(a);
		return ret;
	}
	ret = loop_ipm_p(a, b, byteor_single_ring_slot_size(a));
	byteor_single_ring_detach(a);
	byteor_single_ring_detach(b);
	return ret;
}

static int ring_rtt(void *ctx, int role)
{
	struct bctx *c = ctx;
	lane_t *a, *b;
	int ret;

	/* ping: produces on lane 0, consumes lane 1; pong the other way */
	ret = ring_attach(c->name[0], role == ROLE_TX ? BYTEOR_ROLE_PRODUCER :
			  BYTEOR_ROLE_CONSUMER, &a);
	if (ret)
		return ret;
	ret = ring_attach(c->name[1], role == ROLE_TX ? BYTEOR_ROLE_CONSUMER :
			  BYTEOR_ROLE_PRODUCER, &b);
	if (ret) {
		byteor_single_ring_detach(a);
		return ret;
	}
	ret = loop_rtt_p(a, b, role, byteor_single_ring_slot_size(a));
	byteor_single_ring_detach(a);
	byteor_single_ring_detach(b);
	return ret;
}

const struct subject subj_byteor_fixed = {
	.name = "byteor-fixed",
	.desc = "byteor single ring, fixed-size (BYTEOR_GEOM_F_FIXED: no slot header, stride = payload): claim/publish + peek/release in place, batches as spans",
	.caps = CAP_PROC | CAP_HUGE | CAP_BATCH | CAP_ZEROCOPY,
	.setup = fixed_setup,
	.teardown = b_teardown,
	.tput = ring_tput,
	.rtt = ring_rtt,
	.ipm = ring_ipm,
};

const struct subject subj_byteor_ring = {
	.name = "byteor-ring",
	.desc = "byteor single ring: claim/publish + peek/release in place, batches as spans (libbyteor.a, non-blocking calls)",
	.caps = CAP_PROC | CAP_HUGE | CAP_BATCH | CAP_ZEROCOPY,
	.setup = ring_setup,
	.teardown = b_teardown,
	.tput = ring_tput,
	.rtt = ring_rtt,
	.ipm = ring_ipm,
};

const struct subject subj_byteor_ring56 = {
	.name = "byteor-ring-56in64",
	.desc = "byteor single ring with slot headers, 56 B payload + 8 B header = one 64-byte line per slot (64 B configurations only)",
	.caps = CAP_PROC | CAP_HUGE | CAP_BATCH | CAP_ZEROCOPY,
	.setup = ring56_setup,
	.teardown = b_teardown,
	.tput = ring_tput,
	.rtt = ring_rtt,
	.ipm = ring_ipm,
};
