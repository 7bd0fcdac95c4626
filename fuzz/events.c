// SPDX-License-Identifier: MIT
/*
 * events.c - libFuzzer target: an events chain's consumer paths, of an
 * SPSC queue (queue 0) and an MPSC queue (queue 1, two producer slots),
 * against shared state the input scribbles on between calls: peek,
 * release, recv, wait_any with a zero timeout, snapshot, skipped.  The
 * input's first byte picks the queue.  See lane_fuzz.h for the scheme.
 */
#include "lane_fuzz.h"

#define SLOT	64
#define CAP	16

static struct byteor_events *tx0, *tx1;	/* keep the producers alive */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct byteor_geometry g = {
		.slot_size = SLOT, .capacity = CAP, .queues = 2,
		.producers = 2, .mpsc_mask = 2,
	};
	struct byteor_attach_options o;
	unsigned char msg[SLOT];
	int i, ret;

	(void)argc;
	(void)argv;
	lf_create(BYTEOR_KIND_EVENTS_CHAIN, g);
	o = lf_opts(0);
	ret = byteor_attach_events_tx(&o, &tx0);
	if (ret)
		lf_die("tx attach", ret);
	o = lf_opts(1);
	ret = byteor_attach_events_mpsc_tx(&o, &tx1);
	if (ret)
		lf_die("mpsc tx attach", ret);
	for (i = 0; i < CAP / 2; i++) {
		memset(msg, 'a' + i, sizeof(msg));
		ret = byteor_events_send(tx0, msg, (size_t)(i * 9) % (SLOT + 1));
		if (!ret)
			ret = byteor_events_send(tx1, msg, (size_t)(i * 7) % (SLOT + 1));
		if (ret)
			lf_die("send", ret);
	}
	lf_save();
	return 0;
}

static const int peek_ok[] = { -EAGAIN, -EPIPE, -EBADMSG, 0 };
static const int recv_ok[] = { -EAGAIN, -EPIPE, -EBADMSG, -EMSGSIZE, 0 };
static const int release_ok[] = { -EINVAL, 0 };
static const int wait_ok[] = { -EAGAIN, 0 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lf_in in = { data, size };
	struct byteor_events_snapshot snap;
	struct byteor_attach_options o;
	struct byteor_events *rx;
	struct byteor_slot s[8];
	unsigned char buf[SLOT + 8];
	int op, ret, i, peeked = 0, q;

	q = lf_byte(&in) & 1;
	lf_restore();
	o = lf_opts(q);
	ret = q ? byteor_attach_events_mpsc_rx(&o, &rx) :
		  byteor_attach_events_rx(&o, &rx);
	if (ret)
		lf_die("rx attach", ret);
	while ((op = lf_byte(&in)) >= 0) {
		switch (op >> 4) {
		case 0: case 1: case 2: case 3: case 4: case 5: case 6:
			lf_scribble(&in, op);
			break;
		case 7: case 8: case 9:
			ret = byteor_events_peek(rx, s, 1 + (op & 7));
			lf_errno_ok(ret, peek_ok, "peek");
			if (ret > 1 + (op & 7))
				lf_die("peek: more events than asked", ret);
			for (i = 0; i < ret; i++)
				lf_touch(s[i].data, s[i].len, SLOT);
			peeked = ret > 0 ? ret : 0;
			break;
		case 10: case 11:
			ret = byteor_events_release(rx, op & 1 ? peeked : 1);
			lf_errno_ok(ret, release_ok, "release");
			peeked = 0;
			break;
		case 12: case 13:
			memset(buf + SLOT, 0xa5, 8);
			ret = byteor_events_recv(rx, buf, op & 1 ? SLOT : 16);
			lf_errno_ok(ret, recv_ok, "recv");
			if (ret > (op & 1 ? SLOT : 16))
				lf_die("recv: longer than the buffer", ret);
			for (i = SLOT; i < SLOT + 8; i++)
				if (buf[i] != 0xa5)
					lf_die("recv wrote past the buffer", i);
			peeked = 0;
			break;
		case 14:
			ret = byteor_events_wait_any(&rx, 1, 0);
			lf_errno_ok(ret, wait_ok, "wait_any");
			if (ret > 0)
				lf_die("wait_any: index out of range", ret);
			break;
		default:
			if (byteor_events_snapshot(rx, op & 1, &snap))
				lf_die("snapshot", 0);
			(void)byteor_events_skipped(rx);
			break;
		}
	}
	byteor_events_detach(rx);
	return 0;
}
