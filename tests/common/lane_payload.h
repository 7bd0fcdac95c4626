/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * lane_payload.h - the test payload every lane test writes and checks, on
 * the host (tests/host) and in the QEMU guests (tests/kernel/lanes_*), and
 * in the cross-process suite both run (tests/lanes/<lane>_xproc.c).
 *
 * Event @seq of producer @prod: u32 producer, u32 length, u64 seq, then
 * length - 16 bytes of lp_byte(prod, seq, i); the length varies with seq
 * between 16 and the slot size, so short and full slots both occur.
 */
#ifndef BYTEOR_LANE_PAYLOAD_H
#define BYTEOR_LANE_PAYLOAD_H

#include <stdio.h>
#include <string.h>
#include <linux/types.h>

#define LP_HDR		16U

struct lp_hdr {
	__u32 producer;
	__u32 len;
	__u64 seq;
};

static inline __u32 lp_len(__u32 prod, __u64 seq, __u32 slot_size)
{
	__u64 x = seq * 0x9E3779B97F4A7C15ULL + prod;

	return LP_HDR + (__u32)((x >> 32) % (slot_size - LP_HDR + 1));
}

static inline unsigned char lp_byte(__u32 prod, __u64 seq, __u32 i)
{
	return (unsigned char)(seq * 131 + prod * 7 + i);
}

/* Write event (@prod, @seq) into @buf (slot_size bytes); return its length. */
static inline __u32 lp_fill(void *buf, __u32 prod, __u64 seq, __u32 slot_size)
{
	struct lp_hdr h = { .producer = prod, .seq = seq };
	unsigned char *p = buf;
	__u32 i;

	h.len = lp_len(prod, seq, slot_size);
	memcpy(p, &h, sizeof(h));
	for (i = LP_HDR; i < h.len; i++)
		p[i] = lp_byte(prod, seq, i);
	return h.len;
}

/*
 * Check one received event of @len bytes against the contract; the caller
 * keeps the expected next sequence of each producer in @next (@nprod
 * entries).  Return: 0, or a description of the first violation.
 */
static inline const char *lp_check(const void *buf, __u32 len, __u32 slot_size,
				   __u64 *next, __u32 nprod)
{
	const unsigned char *p = buf;
	struct lp_hdr h;
	__u32 i;

	if (len < LP_HDR)
		return "short event";
	memcpy(&h, p, sizeof(h));
	if (h.producer >= nprod)
		return "bad producer id";
	if (h.seq < next[h.producer])
		return "duplicate (or reordered) event";
	if (h.seq > next[h.producer])
		return "lost event";
	if (h.len != len || len != lp_len(h.producer, h.seq, slot_size))
		return "bad length";
	for (i = LP_HDR; i < len; i++)
		if (p[i] != lp_byte(h.producer, h.seq, i))
			return "bad payload byte";
	next[h.producer]++;
	return NULL;
}

#endif /* BYTEOR_LANE_PAYLOAD_H */
