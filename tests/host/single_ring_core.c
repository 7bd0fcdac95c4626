// SPDX-License-Identifier: GPL-2.0-only
/*
 * single_ring_core - the lane algorithms themselves (single_ring_pvt.h,
 * events_pvt.h) driven by threads over ONE mapping.
 *
 * The API tests attach each end separately, so in one process the two ends
 * see the region at two different addresses, and ThreadSanitizer, which
 * tracks memory by address, cannot relate their accesses.  Here every
 * thread uses the same control block and ring, so the SAN=tsan run checks
 * the memory ordering of claim / publish / peek / release (SPSC and MPSC):
 * a missing acquire or release shows up as a data race on the payloads.
 */
#include "kselftest_harness.h"
#include "host_test.h"
#include "single_ring_test.h"
#include "events_pvt.h"

#include <pthread.h>
#include <sys/mman.h>

#define SLOT	64
#define CAP	64

struct core {
	void *ctl;
	unsigned char *ring;
	struct byteor_geometry g;
	unsigned long long n;		/* events per producer */
	int err;
};

static int core_map(struct core *c)
{
	size_t len = BYTEOR_CONTROL_STRIDE +
		     (size_t)CAP * (BYTEOR_SLOT_HEADER + SLOT);
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return -errno;
	c->ctl = p;
	c->ring = (unsigned char *)p + BYTEOR_CONTROL_STRIDE;
	c->g = ht_geom(SLOT, CAP, 1, 1);
	return 0;
}

static void core_unmap(struct core *c)
{
	munmap(c->ctl, BYTEOR_CONTROL_STRIDE +
	       (size_t)CAP * (BYTEOR_SLOT_HEADER + SLOT));
}

static void *spsc_producer(void *arg)
{
	struct core *c = arg;
	struct __byteor_spsc q;
	struct byteor_slot s[8];
	__u64 seq = 0;
	int n, i;

	__byteor_spsc_init(&q, c->ctl, c->ring, &c->g, true, true, true);
	while (seq < c->n) {
		n = __byteor_spsc_claim(&q, s, c->n - seq < 8 ?
					(unsigned int)(c->n - seq) : 8);
		if (n == -EAGAIN) {
			sched_yield();
			continue;
		}
		if (n < 0) {
			c->err = n;
			return NULL;
		}
		for (i = 0; i < n; i++)
			s[i].len = lt_fill(s[i].data, 0, seq++, SLOT);
		__byteor_spsc_publish(&q, s, n);
	}
	return NULL;
}

TEST(spsc_core_orders_payloads_between_threads)
{
	struct core c = { .n = lt_scaled(2000000, 100000) };
	struct __byteor_spsc q;
	struct byteor_slot s[8];
	pthread_t th;
	__u64 next = 0;
	int n, i;

	ASSERT_EQ(0, core_map(&c));
	__byteor_notifier_init();
	__byteor_spsc_init(&q, c.ctl, c.ring, &c.g, false, true, true);
	ASSERT_EQ(0, pthread_create(&th, NULL, spsc_producer, &c));
	while (next < c.n) {
		n = __byteor_spsc_peek(&q, s, 8);
		if (n == -EAGAIN) {
			sched_yield();
			continue;
		}
		ASSERT_LT(0, n);
		for (i = 0; i < n; i++)
			ASSERT_EQ(NULL, lt_check(s[i].data, s[i].len, SLOT, &next, 1));
		ASSERT_EQ(n, __byteor_spsc_release(&q, n));
	}
	pthread_join(th, NULL);
	EXPECT_EQ(0, c.err);
	core_unmap(&c);
}

struct mp {
	struct core *c;
	unsigned int p;
	int err;
};

static void *mpsc_producer(void *arg)
{
	struct mp *a = arg;
	struct core *c = a->c;
	struct __byteor_mpsc q = {
		.ctl = c->ctl, .ring = c->ring, .cap = CAP, .mask = CAP - 1,
		.slot_size = SLOT, .stride = BYTEOR_SLOT_HEADER + SLOT,
		.p = a->p, .tag = (__u16)(a->p + 1),
	};
	struct byteor_slot s[4];
	__u64 seq = 0;
	int n, i;

	atomic_store(&q.ctl->gen[a->p], q.tag);
	while (seq < c->n) {
		n = __byteor_mpsc_claim(&q, s, c->n - seq < 4 ?
					(unsigned int)(c->n - seq) : 4);
		if (n == -EAGAIN) {
			sched_yield();
			continue;
		}
		if (n < 0) {
			a->err = n;
			return NULL;
		}
		for (i = 0; i < n; i++)
			s[i].len = lt_fill(s[i].data, a->p, seq++, SLOT);
		__byteor_mpsc_publish(&q, s, n);
	}
	return NULL;
}

TEST(mpsc_core_orders_payloads_between_threads)
{
	struct core c = { .n = lt_scaled(700000, 30000) };
	struct __byteor_mpsc q = {
		.cap = CAP, .mask = CAP - 1, .slot_size = SLOT,
		.stride = BYTEOR_SLOT_HEADER + SLOT,
	};
	struct byteor_slot s[8];
	struct mp a[3];
	pthread_t th[3];
	__u64 next[3] = { 0 }, got = 0;
	int n, i;

	ASSERT_EQ(0, core_map(&c));
	__byteor_notifier_init();
	q.ctl = c.ctl;
	q.ring = c.ring;
	for (i = 0; i < 3; i++) {
		a[i] = (struct mp){ .c = &c, .p = i };
		ASSERT_EQ(0, pthread_create(&th[i], NULL, mpsc_producer, &a[i]));
	}
	while (got < 3 * c.n) {
		n = __byteor_mpsc_peek(&q, s, 8);
		if (n == -EAGAIN) {
			sched_yield();
			continue;
		}
		ASSERT_LT(0, n);
		for (i = 0; i < n; i++) {
			ASSERT_EQ(NULL, lt_check(s[i].data, s[i].len, SLOT, next, 3));
			got++;
		}
		ASSERT_EQ(n, __byteor_mpsc_release(&q, n));
	}
	for (i = 0; i < 3; i++) {
		pthread_join(th[i], NULL);
		EXPECT_EQ(0, a[i].err);
		EXPECT_EQ(c.n, next[i]);
	}
	core_unmap(&c);
}

TEST_HARNESS_MAIN
