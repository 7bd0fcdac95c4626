// SPDX-License-Identifier: GPL-2.0-only
/*
 * lanes_pages - the kernel backing's memory under the lanes, the part of
 * `make bench`'s "kernel backing" section that means something under TCG:
 * page size and page faults, no timings.  For the single ring, an events
 * chain's MPSC queue (two producer processes) and a journal, between
 * processes on /dev/byteor regions: every process' mapping of the region
 * is backed by 2 MiB pages, and once a warm-up pass has run every code
 * path, moving messages through many wrap-arounds takes no page fault,
 * minor or major, in any process (the library maps with MAP_POPULATE and
 * the module's pages are taken at create; a fresh attach finds the whole
 * region resident).  A fixed-size ring's 64-byte messages are one whole
 * cache line each.  Each test logs its figures.
 */
#include <sys/mman.h>
#include <sys/resource.h>
#include "lanes_test.h"

#define SLOT		64
#define CAP		256
#define WARM		(4ULL * CAP)	/* every slot, every code path */
#define EVENTS		(64ULL * CAP)	/* measured: 64 wrap-arounds */
#define JR_SIZE		(256U << 10)	/* journal bytes */
#define JR_RECORD	48U		/* journal payload bytes */

/* What one process reports about its run (in a shared mapping). */
struct pg_report {
	long page_kb;		/* KernelPageSize of the region's mapping */
	long minflt;		/* faults during the measured part */
	long majflt;
	long size_kb;		/* the mapping's Size and Rss right after attach */
	long rss_kb;
	int done;
};

FIXTURE(pages) {
	struct bt_res res;
	struct pg_report *rep;	/* [3]: up to three processes */
};

FIXTURE_SETUP(pages)
{
	LN_SETUP_CHECKS();
	self->rep = ln_shared(&self->res, 3 * sizeof(*self->rep));
	ASSERT_NE(NULL, self->rep);
}

FIXTURE_TEARDOWN(pages)
{
	bt_res_release(&self->res);
}

/*
 * What a latency-sensitive process does before its hot loop, so that the
 * faults counted are the lane's, not the process' own: lock what is mapped
 * (mlockall may fail for the unprivileged user: then only the prefault),
 * and touch the stack the slow paths may grow into.  Without it, the
 * PREEMPT_RT kernel's scheduling let a producer's first out-of-line wait
 * fall after the warm-up, and its stack growth counted as a fault.
 */
static __attribute__((noinline)) void pg_prefault_stack(void)
{
	volatile unsigned char stack[128 << 10];
	size_t i;

	for (i = 0; i < sizeof(stack); i += 4096)
		stack[i] = 0;
}

/* The measured part starts: the faults so far, and the page size. */
static void pg_start(struct pg_report *r, const void *region)
{
	struct rusage ru;

	mlockall(MCL_CURRENT | MCL_FUTURE);
	pg_prefault_stack();
	r->page_kb = bt_smaps_kernelpagesize(region);
	getrusage(RUSAGE_SELF, &ru);
	r->minflt = -ru.ru_minflt;
	r->majflt = -ru.ru_majflt;
}

/* The measured part ended: the faults it took. */
static void pg_stop(struct pg_report *r)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	r->minflt += ru.ru_minflt;
	r->majflt += ru.ru_majflt;
	r->done = 1;
}

/* Each process' report: logged, and checked. */
static void pg_check(struct __test_metadata *_metadata, const char *lane,
		     const struct pg_report *r, int n, const char *const *who)
{
	int i;

	for (i = 0; i < n; i++) {
		TH_LOG("%s, %s: %ld kB pages, %ld minor + %ld major faults in %llu messages",
		       lane, who[i], r[i].page_kb, r[i].minflt, r[i].majflt,
		       EVENTS);
		EXPECT_EQ(1, r[i].done);
		EXPECT_EQ(2048, r[i].page_kb);
		EXPECT_EQ(0, r[i].minflt);
		EXPECT_EQ(0, r[i].majflt);
	}
}

/* ---- single ring --------------------------------------------------------- */

static struct byteor_single_ring *sr_attach(const char *name, int role)
{
	struct byteor_attach_options o = ln_opts(name, 0, LN_TIMEOUT_NS);
	struct byteor_single_ring *r;
	int ret;

	o.wait_strategy = BYTEOR_WAIT_SPIN;
	ret = byteor_attach_single_ring(&o, role, &r);
	if (ret)
		LN_DIE(2, "attach role %d: %s", role, byteor_strerror(ret));
	return r;
}

static void sr_produce(const char *name, struct pg_report *rep)
{
	struct byteor_single_ring *tx = sr_attach(name, BYTEOR_ROLE_PRODUCER);
	struct byteor_slot s;
	__u64 seq;
	int ret;

	for (seq = 0; seq < WARM + EVENTS; seq++) {
		ret = byteor_single_ring_claim(tx, &s, 1);
		if (ret != 1)
			LN_DIE(3, "claim: %s", byteor_strerror(ret));
		if (seq == WARM)
			pg_start(rep, s.data);
		s.len = ln_fill(s.data, 0, seq, SLOT);
		byteor_single_ring_publish(tx, &s, 1);
	}
	pg_stop(rep);
	byteor_single_ring_detach(tx);
	_exit(0);
}

static void sr_consume(const char *name, struct pg_report *rep)
{
	struct byteor_single_ring *rx = sr_attach(name, BYTEOR_ROLE_CONSUMER);
	struct byteor_slot s;
	__u64 next = 0;
	int ret;

	while (next < WARM + EVENTS) {
		ret = byteor_single_ring_peek(rx, &s, 1);
		if (ret != 1)
			LN_DIE(3, "peek: %s", byteor_strerror(ret));
		if (next == WARM)
			pg_start(rep, s.data);
		if (ln_check(s.data, s.len, SLOT, &next, 1))
			LN_DIE(4, "event %llu out of order or corrupt",
			       (unsigned long long)next);
		byteor_single_ring_release(rx, 1);
	}
	pg_stop(rep);
	byteor_single_ring_detach(rx);
	_exit(0);
}

TEST_F_TIMEOUT(pages, single_ring_takes_no_fault_and_uses_2mib_pages, 60)
{
	static const char *const who[] = { "producer", "consumer" };
	struct byteor_geometry g = ln_geom(SLOT, CAP, 1, 1);
	const char *name = bt_res_name(&self->res, "pg-ring");
	pid_t p, c;

	ASSERT_EQ(0, ln_create(name, BYTEOR_KIND_SINGLE_RING, &g, NULL));
	c = ln_fork(&self->res);
	ASSERT_LE(0, c);
	if (!c)
		sr_consume(name, &self->rep[1]);
	p = ln_fork(&self->res);
	ASSERT_LE(0, p);
	if (!p)
		sr_produce(name, &self->rep[0]);
	EXPECT_EQ(0, bt_res_wait(&self->res, p));
	EXPECT_EQ(0, bt_res_wait(&self->res, c));
	pg_check(_metadata, "single ring", self->rep, 2, who);
}

/*
 * A fresh process' attach maps the whole region resident (MAP_POPULATE on
 * pages the module took at create) before anything touches it: what is
 * resident equals Size for a region of several 2 MiB pages, so not even
 * the first message through each page faults.  (smaps counts hugetlb
 * pages in Shared_Hugetlb / Private_Hugetlb, not in Rss.)
 */
TEST_F(pages, attach_maps_the_whole_region_resident)
{
	struct byteor_geometry g = ln_geom(SLOT, 32768, 1, 1); /* 4 MiB */
	const char *name = bt_res_name(&self->res, "pg-big");
	struct byteor_attach_options o = ln_opts(name, 0, 0);
	struct byteor_single_ring *rx;
	long size, rss;
	void *ring;
	pid_t c;

	ASSERT_EQ(0, ln_create(name, BYTEOR_KIND_SINGLE_RING, &g, NULL));
	c = ln_fork(&self->res);
	ASSERT_LE(0, c);
	if (!c) {
		if (byteor_attach_single_ring(&o, BYTEOR_ROLE_CONSUMER, &rx))
			LN_DIE(2, "attach");
		/* The slots, found without touching them. */
		ring = ((struct __byteor_spsc *)rx)->ring;
		/* hugetlb pages count there, not in Rss. */
		size = bt_smaps_field(ring, "Size:");
		rss = bt_smaps_field(ring, "Shared_Hugetlb:") +
		      bt_smaps_field(ring, "Private_Hugetlb:");
		self->rep[0].size_kb = size;
		self->rep[0].rss_kb = rss;
		self->rep[0].done = 1;
		_exit(0);
	}
	EXPECT_EQ(0, bt_res_wait(&self->res, c));
	size = self->rep[0].size_kb;
	rss = self->rep[0].rss_kb;
	TH_LOG("a fresh attach: %ld of %ld kB resident", rss, size);
	EXPECT_EQ(1, self->rep[0].done);
	EXPECT_LE(4096, size);
	EXPECT_EQ(size, rss);
}

/*
 * A fixed-size ring (BYTEOR_GEOM_F_FIXED) on the kernel backing: the
 * kernel lays it out without slot headers, so each 64-byte message is one
 * whole, aligned cache line; between processes, every event arrives whole
 * and in order, claimed in batches of 1..32 and published full-size.
 */
static void fx_produce(const char *name)
{
	struct byteor_single_ring *tx = sr_attach(name, BYTEOR_ROLE_PRODUCER);
	struct byteor_slot s[32];
	__u64 seq = 0, w[SLOT / 8];
	int k, i, j;

	while (seq < EVENTS) {
		k = byteor_single_ring_claim(tx, s, (unsigned int)(seq % 32) + 1);
		if (k < 1)
			LN_DIE(3, "claim: %s", byteor_strerror(k));
		if ((__u64)k > EVENTS - seq)
			k = (int)(EVENTS - seq);
		for (i = 0; i < k; i++, seq++) {
			for (j = 0; j < SLOT / 8; j++)
				w[j] = seq * 8 + (__u64)j;
			memcpy(s[i].data, w, SLOT);
		}
		if (byteor_single_ring_publish(tx, NULL, (unsigned int)k) != k)
			LN_DIE(3, "publish");
	}
	byteor_single_ring_detach(tx);
	_exit(0);
}

static void fx_consume(const char *name)
{
	struct byteor_single_ring *rx = sr_attach(name, BYTEOR_ROLE_CONSUMER);
	struct byteor_slot s[32];
	__u64 next = 0, w[SLOT / 8];
	int k, i, j;

	while (next < EVENTS) {
		k = byteor_single_ring_peek(rx, s, 32);
		if (k < 1)
			LN_DIE(3, "peek: %s", byteor_strerror(k));
		for (i = 0; i < k; i++, next++) {
			if (s[i].len != SLOT || (unsigned long)s[i].data % 64)
				LN_DIE(4, "event %llu: len %u at %p",
				       (unsigned long long)next, s[i].len,
				       s[i].data);
			memcpy(w, s[i].data, SLOT);
			for (j = 0; j < SLOT / 8; j++)
				if (w[j] != next * 8 + (__u64)j)
					LN_DIE(5, "event %llu: word %d is %llu",
					       (unsigned long long)next, j,
					       (unsigned long long)w[j]);
		}
		byteor_single_ring_release(rx, (unsigned int)k);
	}
	byteor_single_ring_detach(rx);
	_exit(0);
}

TEST_F_TIMEOUT(pages, fixed_size_ring_slots_are_whole_cache_lines, 60)
{
	struct byteor_geometry g = ln_geom(SLOT, CAP, 1, 1);
	const char *name = bt_res_name(&self->res, "pg-fixed");
	struct byteor_region_info info;
	pid_t p, c;

	g.flags = BYTEOR_GEOM_F_FIXED;
	ASSERT_EQ(0, ln_create(name, BYTEOR_KIND_SINGLE_RING, &g, &info));
	EXPECT_EQ((__u32)SLOT, info.layout.slot_stride);
	EXPECT_EQ(BYTEOR_GEOM_F_FIXED, info.geometry.flags);
	c = ln_fork(&self->res);
	ASSERT_LE(0, c);
	if (!c)
		fx_consume(name);
	p = ln_fork(&self->res);
	ASSERT_LE(0, p);
	if (!p)
		fx_produce(name);
	EXPECT_EQ(0, bt_res_wait(&self->res, p));
	EXPECT_EQ(0, bt_res_wait(&self->res, c));
}

/* ---- events chain, MPSC queue ------------------------------------------- */

static struct byteor_events *ev_attach(const char *name, bool tx)
{
	struct byteor_attach_options o = ln_opts(name, 0, LN_TIMEOUT_NS);
	struct byteor_events *e;
	int ret;

	o.wait_strategy = BYTEOR_WAIT_SPIN;
	ret = tx ? byteor_attach_events_mpsc_tx(&o, &e) :
		   byteor_attach_events_mpsc_rx(&o, &e);
	if (ret)
		LN_DIE(2, "attach %s: %s", tx ? "tx" : "rx", byteor_strerror(ret));
	return e;
}

/* Producer @prod of two: (WARM + EVENTS) / 2 events. */
static void ev_produce(const char *name, __u32 prod, struct pg_report *rep)
{
	struct byteor_events *tx = ev_attach(name, true);
	const __u64 half = (WARM + EVENTS) / 2;
	struct byteor_slot s;
	__u64 seq;
	int ret;

	for (seq = 0; seq < half; seq++) {
		ret = byteor_events_claim(tx, &s, 1);
		if (ret != 1)
			LN_DIE(3, "claim: %s", byteor_strerror(ret));
		if (seq == WARM / 2)
			pg_start(rep, s.data);
		s.len = ln_fill(s.data, prod, seq, SLOT);
		byteor_events_publish(tx, &s, 1);
	}
	pg_stop(rep);
	byteor_events_detach(tx);
	_exit(0);
}

static void ev_consume(const char *name, struct pg_report *rep)
{
	struct byteor_events *rx = ev_attach(name, false);
	__u64 next[2] = { 0, 0 }, got = 0;
	struct byteor_slot s;
	int ret;

	while (got < WARM + EVENTS) {
		ret = byteor_events_peek(rx, &s, 1);
		if (ret != 1)
			LN_DIE(3, "peek: %s", byteor_strerror(ret));
		if (got == WARM)
			pg_start(rep, s.data);
		if (ln_check(s.data, s.len, SLOT, next, 2))
			LN_DIE(4, "event %llu out of order or corrupt",
			       (unsigned long long)got);
		byteor_events_release(rx, 1);
		got++;
	}
	pg_stop(rep);
	byteor_events_detach(rx);
	_exit(0);
}

TEST_F_TIMEOUT(pages, events_mpsc_takes_no_fault_and_uses_2mib_pages, 60)
{
	static const char *const who[] = { "producer 0", "producer 1",
					   "consumer" };
	struct byteor_events_chain_options c = {
		.slot_size = SLOT, .capacity = CAP, .queues = 1,
		.producers = 2, .mpsc_mask = 1,
		.backing = BYTEOR_BACKING_KERNEL,
	};
	pid_t pid[3];
	int i;

	c.name = bt_res_name(&self->res, "pg-events");
	ASSERT_EQ(0, byteor_events_chain_region_create(&c, NULL));
	for (i = 0; i < 3; i++) {
		pid[i] = ln_fork(&self->res);
		ASSERT_LE(0, pid[i]);
		if (!pid[i] && i == 2)
			ev_consume(c.name, &self->rep[2]);
		if (!pid[i])
			ev_produce(c.name, (__u32)i, &self->rep[i]);
	}
	for (i = 0; i < 3; i++)
		EXPECT_EQ(0, bt_res_wait(&self->res, pid[i]));
	pg_check(_metadata, "events MPSC", self->rep, 3, who);
}

/* ---- journal ------------------------------------------------------------ */

/*
 * The publisher paces itself on the subscriber (a shared count) so the
 * subscriber is never lapped: this test is about memory, not about laps.
 */
struct jr_pace {
	__u64 read;
};

static void jr_publish(const char *name, struct jr_pace *pace,
		       struct pg_report *rep)
{
	struct byteor_attach_options o = ln_opts(name, 0, LN_TIMEOUT_NS);
	struct byteor_journal *j;
	void *data;
	__u64 seq;
	int ret;

	ret = byteor_attach_journal_publisher(&o, &j);
	if (ret)
		LN_DIE(2, "attach publisher: %s", byteor_strerror(ret));
	for (seq = 0; seq < WARM + EVENTS; seq++) {
		while (seq - __atomic_load_n(&pace->read, __ATOMIC_ACQUIRE) >= CAP)
			;
		ret = byteor_journal_claim(j, JR_RECORD, &data);
		if (ret)
			LN_DIE(3, "claim: %s", byteor_strerror(ret));
		if (seq == WARM)
			pg_start(rep, data);
		memset(data, (int)(seq & 0xff), JR_RECORD);
		memcpy(data, &seq, sizeof(seq));
		ret = byteor_journal_commit(j, 1, JR_RECORD, NULL);
		if (ret)
			LN_DIE(3, "commit: %s", byteor_strerror(ret));
	}
	pg_stop(rep);
	byteor_journal_detach(j);
	_exit(0);
}

static void jr_subscribe(const char *name, struct jr_pace *pace,
			 struct pg_report *rep)
{
	struct byteor_attach_options o = ln_opts(name, 0, LN_TIMEOUT_NS);
	struct byteor_journal_record r;
	struct byteor_journal *j;
	__u64 seq = 0, got;
	int ret;

	o.wait_strategy = BYTEOR_WAIT_SPIN;
	ret = byteor_attach_journal_subscriber_from(&o, 0, &j);
	if (ret)
		LN_DIE(2, "attach subscriber: %s", byteor_strerror(ret));
	while (seq < WARM + EVENTS) {
		ret = byteor_journal_peek(j, &r);
		if (ret < 0)
			LN_DIE(3, "peek: %s", byteor_strerror(ret));
		if (seq == WARM)
			pg_start(rep, r.data);
		memcpy(&got, r.data, sizeof(got));
		if (r.len != JR_RECORD || got != seq)
			LN_DIE(4, "record %llu: len %u, seq %llu",
			       (unsigned long long)seq, r.len,
			       (unsigned long long)got);
		ret = byteor_journal_consume(j, &r);
		if (ret)
			LN_DIE(5, "consume: %s", byteor_strerror(ret));
		seq++;
		__atomic_store_n(&pace->read, seq, __ATOMIC_RELEASE);
	}
	pg_stop(rep);
	byteor_journal_detach(j);
	_exit(0);
}

TEST_F_TIMEOUT(pages, journal_takes_no_fault_and_uses_2mib_pages, 60)
{
	static const char *const who[] = { "publisher", "subscriber" };
	const char *name = bt_res_name(&self->res, "pg-journal");
	struct byteor_geometry g = ln_geom(JR_RECORD, JR_SIZE, 1, 1);
	struct jr_pace *pace;
	pid_t p, s;

	pace = ln_shared(&self->res, sizeof(*pace));
	ASSERT_NE(NULL, pace);
	ASSERT_EQ(0, ln_create(name, BYTEOR_KIND_JOURNAL, &g, NULL));
	s = ln_fork(&self->res);
	ASSERT_LE(0, s);
	if (!s)
		jr_subscribe(name, pace, &self->rep[1]);
	p = ln_fork(&self->res);
	ASSERT_LE(0, p);
	if (!p)
		jr_publish(name, pace, &self->rep[0]);
	EXPECT_EQ(0, bt_res_wait(&self->res, p));
	EXPECT_EQ(0, bt_res_wait(&self->res, s));
	pg_check(_metadata, "journal", self->rep, 2, who);
}

TEST_HARNESS_MAIN
