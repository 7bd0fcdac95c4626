/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * single_ring_lane.h - one SPSC lane under test, either a single ring or
 * queue 0 of an events chain (both are the same SPSC core): create,
 * attach, claim/publish/peek/release and the blocking calls behind one
 * set of helpers, so a recovery test runs unchanged over both lanes.
 * Include after single_ring_test.h.
 */
#ifndef _BYTEOR_SINGLE_RING_LANE_H
#define _BYTEOR_SINGLE_RING_LANE_H

#include <byteor/single_ring.h>
#include <byteor/events.h>

/* A lane end: a struct byteor_single_ring * or struct byteor_events *. */
struct sl_end {
	bool events;
	void *h;
};

static inline int sl_create(const char *dir, bool events, __u32 slot_size,
			    __u32 capacity)
{
	return events ? lt_create_events(dir, "lane", slot_size, capacity, 1, 1, 0) :
			lt_create_ring(dir, "lane", slot_size, capacity);
}

static inline int sl_attach(const char *dir, bool events, bool producer,
			    long long timeout_ns, struct sl_end *e)
{
	struct byteor_attach_options o = lt_opts(dir, "lane", 0, timeout_ns);

	e->events = events;
	if (events)
		return producer ?
			byteor_attach_events_tx(&o, (struct byteor_events **)&e->h) :
			byteor_attach_events_rx(&o, (struct byteor_events **)&e->h);
	return byteor_attach_single_ring(&o, producer ? BYTEOR_ROLE_PRODUCER :
					 BYTEOR_ROLE_CONSUMER,
					 (struct byteor_single_ring **)&e->h);
}

static inline void sl_detach(struct sl_end *e)
{
	if (e->events)
		byteor_events_detach(e->h);
	else
		byteor_single_ring_detach(e->h);
	e->h = NULL;
}

/* The end's private SPSC view (the first member of either handle). */
static inline struct __byteor_spsc *sl_q(const struct sl_end *e)
{
	return (struct __byteor_spsc *)e->h;
}

static inline int sl_claim(struct sl_end *e, struct byteor_slot *s,
			   unsigned int n)
{
	return e->events ? byteor_events_claim(e->h, s, n) :
			   byteor_single_ring_claim(e->h, s, n);
}

static inline int sl_publish(struct sl_end *e, const struct byteor_slot *s,
			     unsigned int n)
{
	return e->events ? byteor_events_publish(e->h, s, n) :
			   byteor_single_ring_publish(e->h, s, n);
}

static inline int sl_peek(struct sl_end *e, struct byteor_slot *s,
			  unsigned int n)
{
	return e->events ? byteor_events_peek(e->h, s, n) :
			   byteor_single_ring_peek(e->h, s, n);
}

static inline int sl_peek_timed(struct sl_end *e, struct byteor_slot *s,
				unsigned int n, long long timeout_ns)
{
	return e->events ? byteor_events_peek_timed(e->h, s, n, timeout_ns) :
			   byteor_single_ring_peek_timed(e->h, s, n, timeout_ns);
}

static inline int sl_release(struct sl_end *e, unsigned int n)
{
	return e->events ? byteor_events_release(e->h, n) :
			   byteor_single_ring_release(e->h, n);
}

static inline int sl_recv_timed(struct sl_end *e, void *buf, size_t cap,
				long long timeout_ns)
{
	return e->events ? byteor_events_recv_timed(e->h, buf, cap, timeout_ns) :
			   byteor_single_ring_recv_timed(e->h, buf, cap, timeout_ns);
}

static inline int sl_send_timed(struct sl_end *e, const void *buf, size_t len,
				long long timeout_ns)
{
	return e->events ? byteor_events_send_timed(e->h, buf, len, timeout_ns) :
			   byteor_single_ring_send_timed(e->h, buf, len, timeout_ns);
}

/*
 * Claim @n slots, fill them with events @seq.. of producer 0 and publish
 * them.  Return: slots published (may be fewer than @n), or -errno.
 */
static inline int sl_put(struct sl_end *e, __u64 seq, unsigned int n,
			 __u32 slot_size)
{
	struct byteor_slot s[64];
	int k, i;

	if (n > 64)
		n = 64;
	k = sl_claim(e, s, n);
	if (k <= 0)
		return k;
	for (i = 0; i < k; i++)
		s[i].len = lt_fill(s[i].data, 0, seq + (__u64)i, slot_size);
	return sl_publish(e, s, (unsigned int)k);
}

#endif /* _BYTEOR_SINGLE_RING_LANE_H */
