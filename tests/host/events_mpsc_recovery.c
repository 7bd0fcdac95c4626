// SPDX-License-Identifier: GPL-2.0-only
/*
 * events_mpsc_recovery - MPSC producer-slot handover and claim records:
 * a producer taking a slot whose previous holder left a record (a claim
 * never made, or published events not yet consumed) sends at once, and an
 * idle live producer's old record does not shield an orphan 2^32
 * positions later.  (tests/crash/mpsc_*.c kill roles at every step.)
 */
#include "kselftest_harness.h"
#include "host_test.h"
#include "single_ring_test.h"
#include "events_pvt.h"

#include <sys/mman.h>

#define SLOT	64

FIXTURE(mr) {
	struct ht_dir d;
	struct byteor_region_info info;
};

FIXTURE_SETUP(mr)
{
	struct byteor_events_chain_options c = {
		.name = "mr", .slot_size = SLOT, .capacity = 16, .queues = 1,
		.producers = 2, .mpsc_mask = 1, .backing = BYTEOR_BACKING_USER,
	};

	HT_DIR_SETUP(&self->d, false);
	c.dir = self->d.path;
	ASSERT_EQ(0, byteor_events_chain_region_create(&c, &self->info));
}

FIXTURE_TEARDOWN(mr)
{
	ht_dir_teardown(&self->d);
}

static int mr_open(const char *dir, long long timeout_ns,
		   int (*fn)(const struct byteor_attach_options *,
			     struct byteor_events **),
		   struct byteor_events **e)
{
	struct byteor_attach_options o = lt_opts(dir, "mr", 0, timeout_ns);

	return fn(&o, e);
}

/* Queue 0's control block in a mapping of the region file, or NULL. */
static struct __byteor_mpsc_ctl *mr_map(const char *dir,
					const struct byteor_region_info *info,
					void **base, size_t *len)
{
	char path[HT_PATH * 2];
	struct stat st;
	void *p;
	int fd;

	ht_region_path(path, sizeof(path), dir, "mr");
	fd = open(path, O_RDWR);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st)) {
		close(fd);
		return NULL;
	}
	p = mmap(NULL, st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return NULL;
	*base = p;
	*len = st.st_size;
	return (void *)((char *)p + info->layout.area_off[BYTEOR_AREA_CONTROL]);
}

/*
 * The related case of a dead predecessor: one that detached cleanly with
 * events nobody has consumed yet - and no consumer at all.  Its slot's
 * next holder must not wait for a consumer that may never come.
 */
TEST_F(mr, mpsc_replacement_producer_sends_at_once_after_a_clean_detach_with_unconsumed_events)
{
	struct byteor_events *a, *n, *rx;
	char buf[SLOT];

	ASSERT_EQ(0, mr_open(self->d.path, 0, byteor_attach_events_mpsc_tx, &a));
	ASSERT_EQ(0, byteor_events_send(a, "a0", 2));
	ASSERT_EQ(0, byteor_events_send(a, "a1", 2));
	byteor_events_detach(a);
	ASSERT_EQ(0, mr_open(self->d.path, 0, byteor_attach_events_mpsc_tx, &n));
	EXPECT_EQ(0, byteor_events_producer_index(n));
	EXPECT_EQ(0, byteor_events_send(n, "n0", 2));
	ASSERT_EQ(0, mr_open(self->d.path, 1000000000LL,
			     byteor_attach_events_mpsc_rx, &rx));
	EXPECT_EQ(2, byteor_events_recv(rx, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "a0", 2));
	EXPECT_EQ(2, byteor_events_recv(rx, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "a1", 2));
	EXPECT_EQ(2, byteor_events_recv(rx, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "n0", 2));
	EXPECT_EQ(0, byteor_events_skipped(rx));
	byteor_events_detach(n);
	byteor_events_detach(rx);
}

/*
 * A producer killed after storing its claim record but before its CAS
 * (simulated: its record is written as it would be, then it goes away)
 * leaves a record for positions nobody claimed.  Alone in an empty queue
 * with a live consumer, the next holder of that slot sends at once, and
 * nothing is skipped (nothing was claimed).
 */
TEST_F(mr, mpsc_replacement_producer_is_not_blocked_by_a_record_its_predecessor_never_claimed)
{
	struct byteor_events *a, *n, *rx;
	struct __byteor_mpsc_ctl *c;
	char buf[SLOT];
	void *base;
	size_t len;
	__u16 tag;

	ASSERT_EQ(0, mr_open(self->d.path, 0, byteor_attach_events_mpsc_tx, &a));
	ASSERT_EQ(0, mr_open(self->d.path, 1000000000LL,
			     byteor_attach_events_mpsc_rx, &rx));
	c = mr_map(self->d.path, &self->info, &base, &len);
	ASSERT_NE(NULL, c);
	tag = atomic_load(&c->gen[0]);
	atomic_store(&c->rec[__byteor_rec_index(0)],
		     __byteor_rec_pack(atomic_load(&c->prod.pos), 3, tag));
	byteor_events_detach(a);
	ASSERT_EQ(0, mr_open(self->d.path, 0, byteor_attach_events_mpsc_tx, &n));
	EXPECT_EQ(0, byteor_events_producer_index(n));
	EXPECT_EQ(0, byteor_events_send_timed(n, "n0", 2, 200000000LL));
	EXPECT_EQ(2, byteor_events_recv(rx, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "n0", 2));
	EXPECT_EQ(0, byteor_events_skipped(rx));
	munmap(base, len);
	byteor_events_detach(n);
	byteor_events_detach(rx);
}

/*
 * Producer A publishes one event at position 0 and stays attached, idle.
 * 2^32 positions later (jumped to here: head and tail moved together, an
 * empty queue) producer B dies with position 2^32 claimed.  A's old record
 * must not make the consumer think A may be that claimant: the orphan is
 * skipped.
 */
TEST_F(mr, mpsc_idle_producer_record_does_not_shield_an_orphan_2_pow_32_later)
{
	struct byteor_events *a, *b, *rx;
	struct __byteor_mpsc_ctl *c;
	struct byteor_slot s[1];
	char buf[SLOT];
	const __u64 far = 1ULL << 32;
	void *base;
	size_t len;

	ASSERT_EQ(0, mr_open(self->d.path, 0, byteor_attach_events_mpsc_tx, &a));
	ASSERT_EQ(0, byteor_events_send(a, "a0", 2));
	c = mr_map(self->d.path, &self->info, &base, &len);
	ASSERT_NE(NULL, c);
	atomic_store(&c->cons.pos, far);
	atomic_store(&c->prod.pos, far);
	/* As the slot would be after the laps jumped over: position far - 16. */
	atomic_store((_Atomic __u64 *)((char *)base +
				       self->info.layout.area_off[BYTEOR_AREA_SLOTS]),
		     __byteor_mpsc_hdr(far - 16, 2));
	ASSERT_EQ(0, mr_open(self->d.path, 1000000000LL,
			     byteor_attach_events_mpsc_rx, &rx));
	ASSERT_EQ(0, mr_open(self->d.path, 0, byteor_attach_events_mpsc_tx, &b));
	ASSERT_EQ(1, byteor_events_claim(b, s, 1));
	byteor_events_detach(b);	/* gone with position 2^32 claimed */
	EXPECT_EQ(-ETIMEDOUT, byteor_events_recv_timed(rx, buf, sizeof(buf),
						       200000000LL));
	EXPECT_EQ(1, byteor_events_skipped(rx));
	ASSERT_EQ(0, byteor_events_send(a, "a1", 2));
	EXPECT_EQ(2, byteor_events_recv(rx, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "a1", 2));
	EXPECT_EQ(far + 2, atomic_load(&c->cons.pos));
	munmap(base, len);
	byteor_events_detach(a);
	byteor_events_detach(rx);
}

TEST_HARNESS_MAIN
