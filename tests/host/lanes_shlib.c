// SPDX-License-Identifier: GPL-2.0-only
/*
 * lanes_shlib - the inline lane paths (byteor/lane_inline.h) in a program
 * linked against libbyteor.so rather than the static library (the
 * Makefile links every *_shlib test that way): the symbols they call are
 * exported, the notifier's fence mode the library sets is the one the
 * program's inline code reads (an exported variable: a copy relocation),
 * and a consumer parked in another process is woken by an inline publish,
 * as an inline release wakes a parked producer.
 */
#include "kselftest_harness.h"
#include "host_test.h"
#include "single_ring_test.h"
#include "sequenced_slots_test.h"

#include <dlfcn.h>
#include <byteor/wait.h>

FIXTURE(shlib) {
	struct ht_dir d;
};

FIXTURE_SETUP(shlib)
{
	HT_DIR_SETUP(&self->d, false);
}

FIXTURE_TEARDOWN(shlib)
{
	ht_dir_teardown(&self->d);
}

static int attach(const char *dir, int role, long long timeout_ns,
		  struct byteor_single_ring **r)
{
	struct byteor_attach_options o = lt_opts(dir, "ring", 0, timeout_ns);

	return byteor_attach_single_ring(&o, role, r);
}

/* The object file @sym comes from, or "?". */
static const char *origin(const char *sym)
{
	Dl_info info;
	void *p = sym ? dlsym(RTLD_DEFAULT, sym) : NULL;

	if (!p || !dladdr(p, &info) || !info.dli_fname)
		return "?";
	return info.dli_fname;
}

TEST_F(shlib, inline_paths_call_into_the_shared_library)
{
	static const char *const syms[] = {
		"__byteor_single_ring_claim", "__byteor_single_ring_publish",
		"__byteor_single_ring_peek", "__byteor_single_ring_release",
		"__byteor_single_ring_claim_span", "__byteor_single_ring_peek_span",
		"__byteor_events_claim", "__byteor_events_publish",
		"__byteor_events_peek", "__byteor_events_release",
		"__byteor_sequenced_slots_producer_claim",
		"__byteor_sequenced_slots_producer_publish",
		"__byteor_sequenced_slots_stage_wait",
		"__byteor_sequenced_slots_stage_advance",
		"__byteor_sequenced_slots_subscriber_wait",
		"__byteor_sequenced_slots_entry",
		"__byteor_notify_wake", NULL,
	};
	const char *const *sym;

	HT_SETUP_SKIPPED();
	for (sym = syms; *sym; sym++) {
		const char *from = origin(*sym);

		EXPECT_NE(NULL, strstr(from, "libbyteor.so"))
			TH_LOG("%s comes from %s", *sym, from);
	}
	/* Internal helpers stay hidden. */
	EXPECT_EQ(NULL, dlsym(RTLD_DEFAULT, "__byteor_ec_wake"));
	EXPECT_EQ(NULL, dlsym(RTLD_DEFAULT, "__byteor_lane_wait"));
}

/*
 * Since 0.5 the sequenced slots' data path is inline; a program built
 * against 0.4 headers still calls the exported functions of that name.
 * They must be there, from the shared library, and carry entries.
 */
TEST_F(shlib, sequenced_slots_entry_points_of_0_4_still_work)
{
	int (*claim)(struct byteor_sequenced_slots *, unsigned int, __u64 *);
	int (*publish)(struct byteor_sequenced_slots *, unsigned int);
	void *(*entry)(const struct byteor_sequenced_slots *, __u64);
	const void *(*entry_ro)(const struct byteor_sequenced_slots *, __u64);
	int (*wait)(struct byteor_sequenced_slots *, unsigned int, __u64 *);
	int (*advance)(struct byteor_sequenced_slots *, unsigned int);
	struct byteor_sequenced_slots *p = NULL, *s = NULL;
	struct byteor_attach_options o;
	__u64 first, i;

	HT_SETUP_SKIPPED();
	*(void **)&claim = dlsym(RTLD_DEFAULT, "byteor_sequenced_slots_producer_claim");
	*(void **)&publish = dlsym(RTLD_DEFAULT, "byteor_sequenced_slots_producer_publish");
	*(void **)&entry = dlsym(RTLD_DEFAULT, "byteor_sequenced_slots_entry");
	*(void **)&entry_ro = dlsym(RTLD_DEFAULT, "byteor_sequenced_slots_entry_ro");
	*(void **)&wait = dlsym(RTLD_DEFAULT, "byteor_sequenced_slots_stage_wait");
	*(void **)&advance = dlsym(RTLD_DEFAULT, "byteor_sequenced_slots_stage_advance");
	ASSERT_NE(NULL, claim);
	ASSERT_NE(NULL, publish);
	ASSERT_NE(NULL, entry);
	ASSERT_NE(NULL, entry_ro);
	ASSERT_NE(NULL, wait);
	ASSERT_NE(NULL, advance);
	EXPECT_NE(NULL, strstr(origin("byteor_sequenced_slots_stage_wait"),
			       "libbyteor.so"));
	ASSERT_EQ(0, st_create_topo(self->d.path, "seq", 8, ST_UNICAST));
	o = st_opts(self->d.path, 0, 0);
	ASSERT_EQ(0, byteor_attach_sequenced_slots_region(&o, BYTEOR_ROLE_PRODUCER, &p));
	ASSERT_EQ(0, byteor_attach_sequenced_slots_region(&o, BYTEOR_ROLE_CONSUMER, &s));
	for (i = 0; i < 20; i++) {
		ASSERT_EQ(0, claim(p, 1, &first));
		ASSERT_EQ(i, first);
		*(__u64 *)entry(p, first) = i * 7;
		ASSERT_EQ(1, publish(p, 1));
		ASSERT_EQ(1, wait(s, 4, &first));
		ASSERT_EQ(i, first);
		EXPECT_EQ(i * 7, *(const __u64 *)entry_ro(s, first));
		ASSERT_EQ(1, advance(s, 1));
	}
	EXPECT_EQ(-EAGAIN, wait(s, 4, &first));
	EXPECT_EQ(-EBADF, claim(s, 1, &first));
	EXPECT_EQ(NULL, entry(NULL, 0));
	byteor_sequenced_slots_detach(s);
	byteor_sequenced_slots_detach(p);
}

TEST_F(shlib, the_program_reads_the_fence_mode_the_library_set)
{
	struct byteor_single_ring *tx;
	struct byteor_wait_probe p;

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, lt_create_ring(self->d.path, "ring", 64, 8));
	/* Attaching a producer registers the process for membarrier(2). */
	ASSERT_EQ(0, attach(self->d.path, BYTEOR_ROLE_PRODUCER, 0, &tx));
	ASSERT_EQ(0, byteor_wait_probe(&p));
	/* The probe reads the library's view; the inline notify reads ours. */
	EXPECT_EQ(p.membarrier, !__atomic_load_n(&__byteor_notify_full_fence,
						 __ATOMIC_RELAXED));
	byteor_single_ring_detach(tx);
}

/*
 * Child: consume @n messages (each checked) with a 10 s timeout, so it
 * parks whenever the parent pauses; exit 0 if all came in order.
 */
static int consume(const char *dir, __u64 n)
{
	struct byteor_single_ring *rx;
	struct byteor_slot s[8];
	__u64 next = 0;
	int k, i;

	if (attach(dir, BYTEOR_ROLE_CONSUMER, 10000000000LL, &rx))
		return 2;
	while (next < n) {
		k = byteor_single_ring_peek(rx, s, 8);
		if (k <= 0)
			return 3;
		for (i = 0; i < k; i++)
			if (lt_check(s[i].data, s[i].len, 64, &next, 1))
				return 4;
		if (byteor_single_ring_release(rx, (unsigned int)k) != k)
			return 5;
		/* Slow down now and then: the producer fills up and parks. */
		if (next % 64 == 0)
			usleep(2000);
	}
	byteor_single_ring_detach(rx);
	return 0;
}

TEST_F(shlib, parked_ends_are_woken_by_inline_publish_and_release)
{
	const __u64 n = 2048;
	struct byteor_single_ring_snapshot snap;
	struct byteor_single_ring *tx;
	struct byteor_slot s;
	int status, ret;
	__u64 seq;
	pid_t pid;

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, lt_create_ring(self->d.path, "ring", 64, 8));
	ASSERT_EQ(0, attach(self->d.path, BYTEOR_ROLE_PRODUCER, 10000000000LL,
			    &tx));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(consume(self->d.path, n));
	for (seq = 0; seq < n; seq++) {
		/* Pause now and then: the consumer drains and parks. */
		if (seq % 256 == 0)
			usleep(20000);
		ret = byteor_single_ring_claim(tx, &s, 1);
		ASSERT_EQ(1, ret) TH_LOG("claim: %s", byteor_strerror(ret));
		s.len = lt_fill(s.data, 0, seq, 64);
		ASSERT_EQ(1, byteor_single_ring_publish(tx, &s, 1));
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("consumer status 0x%x", status);
	ASSERT_EQ(0, byteor_single_ring_snapshot(tx, &snap));
	/* Both ends parked, and each park ended (no 10 s timeout hit). */
	EXPECT_LT(0, snap.consumer_parks);
	EXPECT_LT(0, snap.producer_parks);
	EXPECT_EQ(n, snap.consumer_pos);
	byteor_single_ring_detach(tx);
}

/* The library that runs says which it is, and it is the headers' here. */
TEST(the_shared_library_reports_the_headers_version)
{
	char want[32];

	EXPECT_EQ(BYTEOR_VERSION, byteor_version());
	snprintf(want, sizeof(want), "%d.%d.%d", BYTEOR_VERSION_MAJOR,
		 BYTEOR_VERSION_MINOR, BYTEOR_VERSION_PATCH);
	EXPECT_STREQ(want, byteor_version_string());
}

TEST_HARNESS_MAIN
