// SPDX-License-Identifier: MIT
/*
 * single_ring.c - libFuzzer target: a single ring's consumer paths (peek,
 * peek_span, recv, release, snapshot, peer_alive) against shared state the
 * input scribbles on between calls.  See lane_fuzz.h for the scheme.
 */
#include "lane_fuzz.h"

#define SLOT	64
#define CAP	16

static struct byteor_single_ring *tx;	/* keeps the producer alive */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct byteor_geometry g = {
		.slot_size = SLOT, .capacity = CAP, .queues = 1, .producers = 1,
	};
	struct byteor_attach_options o;
	unsigned char msg[SLOT];
	int i, ret;

	(void)argc;
	(void)argv;
	lf_create(BYTEOR_KIND_SINGLE_RING, g);
	o = lf_opts(0);
	ret = byteor_attach_single_ring(&o, BYTEOR_ROLE_PRODUCER, &tx);
	if (ret)
		lf_die("producer attach", ret);
	/* Some messages of every length class, the ring half full. */
	for (i = 0; i < CAP / 2; i++) {
		memset(msg, 'a' + i, sizeof(msg));
		ret = byteor_single_ring_send(tx, msg, (size_t)(i * 9) % (SLOT + 1));
		if (ret)
			lf_die("send", ret);
	}
	lf_save();
	return 0;
}

static const int peek_ok[] = { -EAGAIN, -EPIPE, -EBADMSG, 0 };
static const int recv_ok[] = { -EAGAIN, -EPIPE, -EBADMSG, -EMSGSIZE, 0 };
static const int release_ok[] = { -EINVAL, 0 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lf_in in = { data, size };
	struct byteor_attach_options o = lf_opts(0);
	struct byteor_single_ring_snapshot snap;
	struct byteor_single_ring *rx;
	struct byteor_slot s[8];
	struct byteor_span sp;
	unsigned char buf[SLOT + 8];
	int op, ret, i, peeked = 0;

	lf_restore();
	ret = byteor_attach_single_ring(&o, BYTEOR_ROLE_CONSUMER, &rx);
	if (ret)
		lf_die("consumer attach", ret);
	while ((op = lf_byte(&in)) >= 0) {
		switch (op >> 4) {
		case 0: case 1: case 2: case 3: case 4: case 5:
			lf_scribble(&in, op);
			break;
		case 6: case 7:
			ret = byteor_single_ring_peek(rx, s, 1 + (op & 7));
			lf_errno_ok(ret, peek_ok, "peek");
			if (ret > 1 + (op & 7))
				lf_die("peek: more slots than asked", ret);
			for (i = 0; i < ret; i++)
				lf_touch(s[i].data, s[i].len, SLOT);
			peeked = ret > 0 ? ret : 0;
			break;
		case 8: case 9:
			ret = byteor_single_ring_peek_span(rx, &sp, 1 + (op & 7));
			lf_errno_ok(ret, peek_ok, "peek_span");
			if (ret > 1 + (op & 7))
				lf_die("peek_span: more slots than asked", ret);
			for (i = 0; i < ret; i++)
				lf_touch(byteor_span_at(&sp, i),
					 byteor_span_len(&sp, i), SLOT);
			peeked = ret > 0 ? ret : 0;
			break;
		case 10: case 11:
			ret = byteor_single_ring_release(rx, op & 1 ? peeked : 1);
			lf_errno_ok(ret, release_ok, "release");
			peeked = 0;
			break;
		case 12: case 13:
			memset(buf + SLOT, 0xa5, 8);
			ret = byteor_single_ring_recv(rx, buf, op & 1 ? SLOT : 16);
			lf_errno_ok(ret, recv_ok, "recv");
			if (ret > (op & 1 ? SLOT : 16))
				lf_die("recv: longer than the buffer", ret);
			for (i = SLOT; i < SLOT + 8; i++)
				if (buf[i] != 0xa5)
					lf_die("recv wrote past the buffer", i);
			peeked = 0;
			break;
		case 14:
			if (byteor_single_ring_snapshot(rx, &snap))
				lf_die("snapshot", 0);
			break;
		default:
			ret = byteor_single_ring_peer_alive(rx);
			if (ret < 0)
				lf_die("peer_alive", ret);
			break;
		}
	}
	byteor_single_ring_detach(rx);
	return 0;
}
