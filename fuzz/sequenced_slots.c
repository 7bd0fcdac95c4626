// SPDX-License-Identifier: MIT
/*
 * sequenced_slots.c - libFuzzer target: sequenced slots' read paths - a
 * stage (stage 0) or a subscriber (terminal stage 1, which depends on
 * stage 0: a pipeline) waits with a zero timeout, reads entries, advances;
 * the cursor and gating barriers and the snapshot - against shared state
 * the input scribbles on between calls.  The input's first byte picks the
 * role.  See lane_fuzz.h for the scheme.
 */
#include "lane_fuzz.h"

#define SLOT	64
#define CAP	16

static struct byteor_sequenced_slots *prod;	/* keeps the producer alive */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct byteor_geometry g = {
		.slot_size = SLOT, .capacity = CAP, .queues = 2, .producers = 1,
	};
	struct byteor_attach_options o;
	__u64 first;
	int ret, i;

	(void)argc;
	(void)argv;
	g.stage_deps[1] = 1;	/* stage 1 follows stage 0 */
	lf_create(BYTEOR_KIND_SEQUENCED_SLOTS, g);
	o = lf_opts(0);
	ret = byteor_attach_sequenced_slots_region(&o, BYTEOR_ROLE_PRODUCER, &prod);
	if (ret)
		lf_die("producer attach", ret);
	ret = byteor_sequenced_slots_producer_claim(prod, CAP / 2, &first);
	if (ret)
		lf_die("claim", ret);
	for (i = 0; i < CAP / 2; i++)
		memset(byteor_sequenced_slots_entry(prod, first + i), 'a' + i, SLOT);
	ret = byteor_sequenced_slots_producer_publish(prod, CAP / 2);
	if (ret < 0)
		lf_die("publish", ret);
	lf_save();
	return 0;
}

static const int wait_ok[] = { -EAGAIN, -EPIPE, -EBADMSG, 0 };
static const int advance_ok[] = { -EINVAL, 0 };
static const int barrier_ok[] = { -EAGAIN, -EPIPE, -EBADMSG, -EINVAL, 0 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lf_in in = { data, size };
	struct byteor_sequenced_slots_snapshot *snap;
	struct byteor_sequenced_slots *h;
	struct byteor_attach_options o;
	int op, ret, i, avail = 0, sub;
	__u64 first = 0, end, seq;

	sub = lf_byte(&in) & 1;
	lf_restore();
	o = lf_opts(sub);
	ret = byteor_attach_sequenced_slots_region(&o, sub ?
		BYTEOR_SEQUENCED_SLOTS_SUBSCRIBER : BYTEOR_ROLE_CONSUMER, &h);
	if (ret)
		lf_die("attach", ret);
	snap = malloc(sizeof(*snap));
	if (!snap)
		lf_die("malloc", 0);
	while ((op = lf_byte(&in)) >= 0) {
		switch (op >> 4) {
		case 0: case 1: case 2: case 3: case 4: case 5: case 6:
			lf_scribble(&in, op);
			break;
		case 7: case 8: case 9:
			ret = sub ? byteor_sequenced_slots_subscriber_wait(h, 1 + (op & 7), &first) :
				    byteor_sequenced_slots_stage_wait(h, 1 + (op & 7), &first);
			lf_errno_ok(ret, wait_ok, "wait");
			if (ret > 1 + (op & 7))
				lf_die("wait: more entries than asked", ret);
			for (i = 0; i < ret; i++)
				lf_touch(byteor_sequenced_slots_entry_ro(h, first + i),
					 SLOT, SLOT);
			avail = ret > 0 ? ret : 0;
			break;
		case 10: case 11:
			ret = op & 1 ? avail : 1;
			ret = sub ? byteor_sequenced_slots_subscriber_advance(h, ret) :
				    byteor_sequenced_slots_stage_advance(h, ret);
			lf_errno_ok(ret, advance_ok, "advance");
			avail = 0;
			break;
		case 12:
			seq = first + lf_bytes(&in, 1);
			ret = byteor_cursor_barrier_wait(h, seq, &end, 0);
			lf_errno_ok(ret, barrier_ok, "cursor_barrier_wait");
			break;
		case 13:
			seq = first + lf_bytes(&in, 1);
			ret = byteor_gating_barrier_wait(h, 1 + (op & 3), seq, &end, 0);
			lf_errno_ok(ret, barrier_ok, "gating_barrier_wait");
			break;
		case 14:
			/* Any sequence maps into the ring: touch the whole entry. */
			lf_touch(byteor_sequenced_slots_entry_ro(h, lf_bytes(&in, 8)),
				 SLOT, SLOT);
			break;
		default:
			if (byteor_sequenced_slots_snapshot(h, snap))
				lf_die("snapshot", 0);
			break;
		}
	}
	free(snap);
	byteor_sequenced_slots_detach(h);
	return 0;
}
