// SPDX-License-Identifier: GPL-2.0-only
/*
 * single_ring_reattach - cross-process re-attach validator: a producer
 * process and a consumer process each detach and re-attach many times
 * while the other runs (the userspace backing), the consumer whenever the
 * lane looks empty - the moment it may be ahead of the producer's stored
 * position by tags - and every few batches.  Sequence numbers in the
 * payloads count duplicates and losses; both must be 0, and no payload
 * torn.  The single ring moves spans of up to 512 slots; the same test
 * runs over an events chain's SPSC queue (events_spsc_reattach.c), in
 * batches of up to 64.
 */
#include "kselftest_harness.h"
#include "host_test.h"
#include "single_ring_test.h"
#include "single_ring_lane.h"
#include <stdatomic.h>
#include <sys/mman.h>

#ifndef SL_EVENTS
#define SL_EVENTS	false
#endif

#define RA_SLOT		64
#define RA_CAP		1024
#define RA_SPAN		512
#define RA_DEADLINE_NS	(120LL * 1000000000LL)

struct ra_shared {
	_Atomic __u64 dups;
	_Atomic __u64 lost;
	_Atomic __u64 torn;
	_Atomic __u64 received;
	_Atomic __u64 tx_attaches;
	_Atomic __u64 rx_attaches;
	_Atomic __u64 rx_ahead;	/* detaches ahead of the stored position */
	_Atomic __u64 rx_moved;	/* attaches not where the last one left */
};

static int ra_attach(const char *dir, bool producer, struct sl_end *e)
{
	long long end = lt_now_ns() + RA_DEADLINE_NS;
	int ret;

	while ((ret = sl_attach(dir, SL_EVENTS, producer, 0, e)) == -EBUSY &&
	       lt_now_ns() < end)
		sched_yield();
	return ret;
}

/* Producer: events 0..@total-1, re-attaching every few batches. */
static void ra_producer(const char *dir, struct ra_shared *sh, __u64 total)
{
	long long end = lt_now_ns() + RA_DEADLINE_NS;
	unsigned int batches = 0;
	struct byteor_span sp;
	struct sl_end tx;
	__u64 seq = 0;
	int k, i;

	if (ra_attach(dir, true, &tx))
		_exit(30);
	atomic_fetch_add(&sh->tx_attaches, 1);
	while (seq < total) {
		unsigned int want = total - seq < RA_SPAN ?
				    (unsigned int)(total - seq) : RA_SPAN;

		if (lt_now_ns() > end)
			_exit(31);
		if (!SL_EVENTS) {
			k = byteor_single_ring_claim_span(tx.h, &sp, want);
			if (k > 0) {
				for (i = 0; i < k; i++)
					lt_fill(byteor_span_at(&sp, (unsigned int)i),
						0, seq + (__u64)i, RA_SLOT);
				/* Spans are whole slots: NULL publishes them so. */
				if (byteor_single_ring_publish(tx.h, NULL,
							       (unsigned int)k) != k)
					_exit(32);
			}
		} else {
			k = sl_put(&tx, seq, want, RA_SLOT);
		}
		if (k == -EAGAIN) {
			sched_yield();
			continue;
		}
		if (k <= 0)
			_exit(33);
		seq += (__u64)k;
		if (++batches % 7 == 0) {
			sl_detach(&tx);
			if (ra_attach(dir, true, &tx))
				_exit(34);
			atomic_fetch_add(&sh->tx_attaches, 1);
		}
	}
	sl_detach(&tx);
	_exit(0);
}

/* Count one received event: duplicate, loss or torn payload. */
static void ra_count(struct ra_shared *sh, const void *data, __u32 len,
		     __u64 *next)
{
	struct lp_hdr h;
	__u64 at;

	if (len < LT_HDR) {
		atomic_fetch_add(&sh->torn, 1);
		return;
	}
	memcpy(&h, data, sizeof(h));
	if (h.seq < *next) {
		atomic_fetch_add(&sh->dups, 1);
		return;
	}
	if (h.seq > *next)
		atomic_fetch_add(&sh->lost, h.seq - *next);
	at = h.seq;
	/*
	 * A span is published whole (every slot slot_size long): check the
	 * length the payload itself gives, and its bytes.
	 */
	if (!SL_EVENTS && len == RA_SLOT && h.len <= RA_SLOT)
		len = h.len;
	if (lt_check(data, len, RA_SLOT, &at, 1))
		atomic_fetch_add(&sh->torn, 1);
	*next = h.seq + 1;
	atomic_fetch_add(&sh->received, 1);
}

/*
 * Consumer: one-slot peeks (by tags first) and span peeks in turn; the
 * lane looking empty, or every few batches, re-attach.
 */
static void ra_consumer(const char *dir, struct ra_shared *sh, __u64 total)
{
	long long end = lt_now_ns() + RA_DEADLINE_NS;
	unsigned int batches = 0;
	struct byteor_slot s;
	struct byteor_span sp;
	struct sl_end rx;
	__u64 next = 0, pos, prod;
	unsigned int idle = 0;
	bool ahead;
	int k, i;

	if (ra_attach(dir, false, &rx))
		_exit(40);
	atomic_fetch_add(&sh->rx_attaches, 1);
	while (next < total) {
		if (lt_now_ns() > end)
			_exit(41);
		if (!SL_EVENTS && (batches & 1)) {
			k = byteor_single_ring_peek_span(rx.h, &sp, RA_SPAN);
			for (i = 0; i < k; i++)
				ra_count(sh, byteor_span_at(&sp, (unsigned int)i),
					 byteor_span_len(&sp, (unsigned int)i), &next);
		} else {
			k = sl_peek(&rx, &s, 1);
			if (k > 0)
				ra_count(sh, s.data, s.len, &next);
		}
		if (k > 0 && sl_release(&rx, (unsigned int)k) != k)
			_exit(42);
		if (k < 0 && k != -EAGAIN)
			_exit(43);
		batches++;
		/*
		 * Ahead of the producer's stored position (read by tags
		 * inside its publish)?  Re-attach right then, the case a
		 * re-attach must get right; else when the lane looks empty,
		 * and every so often.
		 */
		pos = sl_q(&rx)->pos;
		prod = __atomic_load_n(sl_q(&rx)->theirs, __ATOMIC_ACQUIRE);
		ahead = pos - prod - 1 < RA_CAP;
		/* Spin a little first: the next publish is caught inside. */
		idle = k == -EAGAIN ? idle + 1 : 0;
		if (ahead || idle > 2000 || batches % 101 == 0) {
			idle = 0;
			if (ahead)
				atomic_fetch_add(&sh->rx_ahead, 1);
			sl_detach(&rx);
			if (ra_attach(dir, false, &rx))
				_exit(44);
			atomic_fetch_add(&sh->rx_attaches, 1);
			/* The next consumer starts where this one released. */
			if (sl_q(&rx)->pos != pos)
				atomic_fetch_add(&sh->rx_moved, 1);
		}
	}
	sl_detach(&rx);
	_exit(0);
}

FIXTURE(reattach) {
	struct ht_dir d;
	struct ra_shared *sh;
};

FIXTURE_SETUP(reattach)
{
	void *p;

	HT_DIR_SETUP(&self->d, false);
	p = mmap(NULL, sizeof(*self->sh), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	self->sh = p;
	memset(self->sh, 0, sizeof(*self->sh));
}

FIXTURE_TEARDOWN(reattach)
{
	if (self->sh)
		munmap(self->sh, sizeof(*self->sh));
	ht_dir_teardown(&self->d);
}

TEST_F(reattach, both_ends_reattach_while_the_peer_runs_without_duplicate_or_loss)
{
	__u64 total = lt_scaled(600000, 60000);
	pid_t tx, rx;

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, sl_create(self->d.path, SL_EVENTS, RA_SLOT, RA_CAP));
	rx = lt_fork();
	ASSERT_LE(0, rx);
	if (!rx) {
		lt_pin(0);
		ra_consumer(self->d.path, self->sh, total);
	}
	tx = lt_fork();
	ASSERT_LE(0, tx);
	if (!tx) {
		lt_pin(1);
		ra_producer(self->d.path, self->sh, total);
	}
	EXPECT_EQ(0, lt_status(tx));
	EXPECT_EQ(0, lt_status(rx));
	TH_LOG("%llu events, %llu producer / %llu consumer attaches, %llu consumers left ahead of the stored position",
	       (unsigned long long)atomic_load(&self->sh->received),
	       (unsigned long long)atomic_load(&self->sh->tx_attaches),
	       (unsigned long long)atomic_load(&self->sh->rx_attaches),
	       (unsigned long long)atomic_load(&self->sh->rx_ahead));
	EXPECT_EQ(0, atomic_load(&self->sh->dups));
	EXPECT_EQ(0, atomic_load(&self->sh->lost));
	EXPECT_EQ(0, atomic_load(&self->sh->torn));
	EXPECT_EQ(0, atomic_load(&self->sh->rx_moved));
	EXPECT_LT(10, atomic_load(&self->sh->tx_attaches));
	EXPECT_LT(10, atomic_load(&self->sh->rx_attaches));
}

TEST_HARNESS_MAIN
