// SPDX-License-Identifier: MIT
/*
 * journal.c - libFuzzer target: a journal subscriber's read paths (peek,
 * validate, consume, read, seek, oldest, snapshot) against shared state the
 * input scribbles on between calls.  The journal has wrapped before the
 * image is taken, so laps and the oldest retained position are in play.
 * The input's first byte picks where the subscriber starts: the tail, the
 * oldest retained record, or position 0 (overwritten).  See lane_fuzz.h.
 */
#include "lane_fuzz.h"

#define MAXREC	256
#define CAP	4096

static struct byteor_journal *pub;	/* keeps the publisher alive */
static __u64 mid;			/* a retained record's position */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct byteor_geometry g = {
		.slot_size = MAXREC, .capacity = CAP, .queues = 1, .producers = 1,
	};
	struct byteor_attach_options o;
	unsigned char msg[MAXREC];
	__u64 pos;
	int i, ret;

	(void)argc;
	(void)argv;
	lf_create(BYTEOR_KIND_JOURNAL, g);
	o = lf_opts(0);
	ret = byteor_attach_journal_publisher(&o, &pub);
	if (ret)
		lf_die("publisher attach", ret);
	/* About two and a half laps of records of every length class. */
	for (i = 0; i < 80; i++) {
		memset(msg, 'a' + i % 26, sizeof(msg));
		ret = byteor_journal_append(pub, i % 7, msg, (size_t)(i * 37) % (MAXREC + 1),
					    &pos);
		if (ret)
			lf_die("append", ret);
		if (i == 70)
			mid = pos;
	}
	lf_save();
	return 0;
}

static const int peek_ok[] = { -EAGAIN, -EOVERFLOW, -EBADMSG, -EPIPE, 0 };
static const int read_ok[] = { -EAGAIN, -EOVERFLOW, -EBADMSG, -EPIPE,
			       -EMSGSIZE, 0 };
static const int validate_ok[] = { -EOVERFLOW, 0 };
static const int consume_ok[] = { -EOVERFLOW, -EINVAL, 0 };
static const int seek_ok[] = { -EINVAL, -ERANGE, 0 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lf_in in = { data, size };
	struct byteor_attach_options o = lf_opts(0);
	struct byteor_journal_snapshot snap;
	struct byteor_journal_record rec;
	struct byteor_journal *sub;
	unsigned char buf[MAXREC + 8];
	bool have = false;
	int op, ret, i;
	__u64 pos;

	op = lf_byte(&in);
	lf_restore();
	if (op < 0 || (op & 3) == 0)
		ret = byteor_attach_journal_subscriber_tail(&o, &sub);
	else
		ret = byteor_attach_journal_subscriber_from(&o, (op & 3) == 1 ?
							    mid : 0, &sub);
	if (ret)
		lf_die("subscriber attach", ret);
	while ((op = lf_byte(&in)) >= 0) {
		switch (op >> 4) {
		case 0: case 1: case 2: case 3: case 4: case 5: case 6:
			lf_scribble(&in, op);
			break;
		case 7: case 8:
			ret = byteor_journal_peek(sub, &rec);
			lf_errno_ok(ret, peek_ok, "peek");
			have = !ret;
			if (have)
				lf_touch(rec.data, rec.len, MAXREC);
			break;
		case 9:
			if (!have)
				break;
			ret = byteor_journal_validate(sub, &rec);
			lf_errno_ok(ret, validate_ok, "validate");
			have = !ret;
			break;
		case 10:
			if (!have)
				break;
			ret = byteor_journal_consume(sub, &rec);
			lf_errno_ok(ret, consume_ok, "consume");
			have = false;
			break;
		case 11: case 12:
			memset(buf + MAXREC, 0xa5, 8);
			ret = byteor_journal_read(sub, buf, op & 1 ? MAXREC : 16, &rec);
			lf_errno_ok(ret, read_ok, "read");
			if (ret > (op & 1 ? MAXREC : 16))
				lf_die("read: longer than the buffer", ret);
			for (i = MAXREC; i < MAXREC + 8; i++)
				if (buf[i] != 0xa5)
					lf_die("read wrote past the buffer", i);
			have = false;
			break;
		case 13:
			pos = lf_bytes(&in, 2);
			ret = byteor_journal_seek(sub, op & 1 ? pos : pos & ~7ULL);
			lf_errno_ok(ret, seek_ok, "seek");
			have = false;
			break;
		case 14:
			if (byteor_journal_oldest(sub, &pos))
				lf_die("oldest", 0);
			(void)byteor_journal_position(sub);
			break;
		default:
			if (byteor_journal_snapshot(sub, &snap))
				lf_die("snapshot", 0);
			break;
		}
	}
	byteor_journal_detach(sub);
	return 0;
}
