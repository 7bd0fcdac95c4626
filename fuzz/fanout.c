// SPDX-License-Identifier: MIT
/*
 * fanout.c - libFuzzer target: a fanout consumer's read paths (peek,
 * release, recv, joined, snapshot) and the router's route step, against
 * shared state the input scribbles on between calls.  Each input attaches
 * a fresh router (broadcast) and consumer 0 or 1 (the input's first byte);
 * the producer, kept for the process, published half a ring before the
 * image was taken.  See lane_fuzz.h for the scheme.
 */
#include "lane_fuzz.h"

#define SLOT	64
#define CAP	16

static struct byteor_fanout *tx;	/* keeps the producer alive */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct byteor_geometry g = {
		.slot_size = SLOT, .capacity = CAP, .queues = 2, .producers = 1,
	};
	struct byteor_attach_options o;
	unsigned char msg[SLOT];
	int i, ret;

	(void)argc;
	(void)argv;
	lf_create(BYTEOR_KIND_FANOUT, g);
	o = lf_opts(0);
	ret = byteor_attach_fanout_tx(&o, &tx);
	if (ret)
		lf_die("tx attach", ret);
	for (i = 0; i < CAP / 2; i++) {
		memset(msg, 'a' + i, sizeof(msg));
		ret = byteor_fanout_send(tx, msg, (size_t)(i * 9) % (SLOT + 1), i);
		if (ret)
			lf_die("send", ret);
	}
	lf_save();
	return 0;
}

static const int peek_ok[] = { -EAGAIN, -EPIPE, -EBADMSG, 0 };
static const int recv_ok[] = { -EAGAIN, -EPIPE, -EBADMSG, -EMSGSIZE, 0 };
static const int release_ok[] = { -EINVAL, 0 };
static const int route_ok[] = { -EAGAIN, -EPIPE, -EBADMSG, 0 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lf_in in = { data, size };
	struct byteor_fanout_snapshot snap;
	struct byteor_attach_options o;
	struct byteor_fanout *rx, *rt;
	struct byteor_fanout_msg m[8];
	unsigned char buf[SLOT + 8];
	int op, ret, i, peeked = 0, q;

	q = lf_byte(&in) & 1;
	lf_restore();
	o = lf_opts(0);
	ret = byteor_attach_fanout_router(&o, NULL, &rt);
	if (ret)
		lf_die("router attach", ret);
	o = lf_opts(q);
	ret = byteor_attach_fanout_rx(&o, &rx);
	if (ret)
		lf_die("rx attach", ret);
	while ((op = lf_byte(&in)) >= 0) {
		switch (op >> 4) {
		case 0: case 1: case 2: case 3: case 4: case 5:
			lf_scribble(&in, op);
			break;
		case 6: case 7:
			ret = byteor_fanout_route(rt, 1 + (op & 15));
			lf_errno_ok(ret, route_ok, "route");
			if (ret > 1 + (op & 15))
				lf_die("route: more than asked", ret);
			break;
		case 8: case 9:
			ret = byteor_fanout_peek(rx, m, 1 + (op & 7));
			lf_errno_ok(ret, peek_ok, "peek");
			if (ret > 1 + (op & 7))
				lf_die("peek: more messages than asked", ret);
			for (i = 0; i < ret; i++)
				lf_touch(m[i].data, m[i].len, SLOT);
			peeked = ret > 0 ? ret : 0;
			break;
		case 10: case 11:
			ret = byteor_fanout_release(rx, op & 1 ? peeked : 1);
			lf_errno_ok(ret, release_ok, "release");
			peeked = 0;
			break;
		case 12: case 13:
			memset(buf + SLOT, 0xa5, 8);
			ret = byteor_fanout_recv(rx, buf, op & 1 ? SLOT : 16, m);
			lf_errno_ok(ret, recv_ok, "recv");
			if (ret > (op & 1 ? SLOT : 16))
				lf_die("recv: longer than the buffer", ret);
			for (i = SLOT; i < SLOT + 8; i++)
				if (buf[i] != 0xa5)
					lf_die("recv wrote past the buffer", i);
			peeked = 0;
			break;
		case 14:
			ret = byteor_fanout_joined(rx);
			if (ret != 0 && ret != 1)
				lf_die("joined", ret);
			break;
		default:
			if (byteor_fanout_snapshot(rx, &snap))
				lf_die("snapshot", 0);
			break;
		}
	}
	byteor_fanout_detach(rx);
	byteor_fanout_detach(rt);
	return 0;
}
