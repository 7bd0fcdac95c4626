// SPDX-License-Identifier: GPL-2.0-only
/*
 * region_claims - role claims on the userspace backing: open file
 * description locks that the kernel drops when the holder dies (even by
 * SIGKILL), the header mirror (epoch odd while held), liveness through
 * __byteor_claim_alive(), MPSC producer slots across processes, and
 * read-only observers.
 */
#include "kselftest_harness.h"
#include "host_test.h"

#include <sys/mman.h>

FIXTURE(claims) {
	struct ht_dir d;
};

FIXTURE_VARIANT(claims) {
	bool huge;
};

FIXTURE_VARIANT_ADD(claims, shm) {
	.huge = false,
};

FIXTURE_VARIANT_ADD(claims, hugetlbfs) {
	.huge = true,
};

FIXTURE_SETUP(claims)
{
	HT_DIR_SETUP(&self->d, variant->huge);
	ASSERT_EQ(0, ht_create_ring(self->d.path, "ring"));
}

FIXTURE_TEARDOWN(claims)
{
	ht_dir_teardown(&self->d);
}

/*
 * Fork a child that attaches to @name (kind @kind, queue @queue) as @role,
 * reports the result (0 or errno, then its producer index) on a pipe and
 * then waits to be killed.  Return the child's pid; *ret gets the result.
 */
static pid_t holder(const char *dir, const char *name, __u32 kind,
		    unsigned int queue, __u32 role, int *ret, int *index)
{
	struct byteor_attach_options o = ht_opts(dir, name);
	struct __byteor_region *r;
	int p[2], msg[2];
	pid_t pid;

	if (pipe(p))
		return -1;
	o.queue = queue;
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		msg[0] = -__byteor_region_attach(&o, kind, 0, NULL, role, &r);
		msg[1] = msg[0] ? -1 : (int)r->index;
		if (write(p[1], msg, sizeof(msg)) != sizeof(msg))
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	if (pid < 0 || read(p[0], msg, sizeof(msg)) != sizeof(msg)) {
		close(p[0]);
		return -1;
	}
	close(p[0]);
	*ret = msg[0];
	if (index)
		*index = msg[1];
	return pid;
}

static void kill_wait(pid_t pid)
{
	kill(pid, SIGKILL);
	ht_wait(pid);
}

static __u64 epoch(const struct __byteor_region *r, unsigned int claim)
{
	return __atomic_load_n(&__byteor_header(r)->claims[claim].epoch,
			       __ATOMIC_ACQUIRE);
}

TEST_F(claims, producer_claim_is_released_when_holder_is_sigkilled)
{
	struct __byteor_region *c, *p;
	int ret;
	pid_t pid;

	HT_SETUP_SKIPPED();
	pid = holder(self->d.path, "ring", BYTEOR_KIND_SINGLE_RING, 0,
		     BYTEOR_ROLE_PRODUCER, &ret, NULL);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, ht_attach_ring(self->d.path, "ring", BYTEOR_ROLE_CONSUMER, &c));
	EXPECT_EQ(-EBUSY, ht_attach_ring(self->d.path, "ring", BYTEOR_ROLE_PRODUCER, &p));
	EXPECT_EQ(1, __byteor_claim_alive(c, 0));
	EXPECT_EQ(1, epoch(c, 0) & 1);
	EXPECT_EQ((__u32)pid, __byteor_header(c)->claims[0].pid);
	EXPECT_EQ(BYTEOR_ROLE_PRODUCER, __byteor_header(c)->claims[0].role);

	kill_wait(pid);
	/* Dead at once: no heartbeat, no timeout. */
	EXPECT_EQ(0, __byteor_claim_alive(c, 0));
	ASSERT_EQ(0, ht_attach_ring(self->d.path, "ring", BYTEOR_ROLE_PRODUCER, &p));
	EXPECT_EQ(1, __byteor_claim_alive(c, 0));
	/* The dead holder left epoch 1; the new holder moved it to 3. */
	EXPECT_EQ(3, epoch(c, 0));
	EXPECT_EQ((__u32)getpid(), __byteor_header(c)->claims[0].pid);
	__byteor_region_detach(p);
	__byteor_region_detach(c);
}

TEST_F(claims, consumer_claim_is_released_when_holder_is_sigkilled)
{
	struct __byteor_region *p, *c;
	int ret;
	pid_t pid;

	HT_SETUP_SKIPPED();
	pid = holder(self->d.path, "ring", BYTEOR_KIND_SINGLE_RING, 0,
		     BYTEOR_ROLE_CONSUMER, &ret, NULL);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, ht_attach_ring(self->d.path, "ring", BYTEOR_ROLE_PRODUCER, &p));
	EXPECT_EQ(1, __byteor_claim_alive(p, 1));
	kill_wait(pid);
	EXPECT_EQ(0, __byteor_claim_alive(p, 1));
	ASSERT_EQ(0, ht_attach_ring(self->d.path, "ring", BYTEOR_ROLE_CONSUMER, &c));
	EXPECT_EQ(1, __byteor_claim_alive(p, 1));
	__byteor_region_detach(c);
	__byteor_region_detach(p);
}

TEST_F(claims, detach_releases_and_mirrors_an_even_epoch)
{
	struct __byteor_region *obs, *p;

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, ht_attach_ring(self->d.path, "ring", BYTEOR_ROLE_OBSERVER, &obs));
	EXPECT_EQ(0, epoch(obs, 0));
	EXPECT_EQ(0, __byteor_claim_alive(obs, 0));
	ASSERT_EQ(0, ht_attach_ring(self->d.path, "ring", BYTEOR_ROLE_PRODUCER, &p));
	EXPECT_EQ(1, epoch(obs, 0));
	EXPECT_EQ(1, __byteor_claim_alive(obs, 0));
	__byteor_region_detach(p);
	EXPECT_EQ(2, epoch(obs, 0));
	EXPECT_EQ(0, __byteor_claim_alive(obs, 0));
	__byteor_region_detach(obs);
}

TEST_F(claims, own_claim_reads_alive_and_bad_index_is_einval)
{
	struct __byteor_region *p;

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, ht_attach_ring(self->d.path, "ring", BYTEOR_ROLE_PRODUCER, &p));
	EXPECT_EQ(1, __byteor_claim_alive(p, 0));
	EXPECT_EQ(0, __byteor_claim_alive(p, 1));
	EXPECT_EQ(-EINVAL, __byteor_claim_alive(p, 2));
	EXPECT_EQ(-EINVAL, __byteor_claim_alive(p, BYTEOR_MAX_CLAIMS));
	__byteor_region_detach(p);
}

TEST_F(claims, info_counts_claims_held)
{
	struct byteor_region_info info;
	struct __byteor_region *p, *c, *o;

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, ht_attach_ring(self->d.path, "ring", BYTEOR_ROLE_PRODUCER, &p));
	ASSERT_EQ(0, ht_attach_ring(self->d.path, "ring", BYTEOR_ROLE_OBSERVER, &o));
	ASSERT_EQ(0, byteor_region_info("ring", BYTEOR_BACKING_USER, self->d.path, &info));
	EXPECT_EQ(1, info.nr_claims_held);
	ASSERT_EQ(0, ht_attach_ring(self->d.path, "ring", BYTEOR_ROLE_CONSUMER, &c));
	ASSERT_EQ(0, byteor_region_info("ring", BYTEOR_BACKING_USER, self->d.path, &info));
	EXPECT_EQ(2, info.nr_claims_held);
	__byteor_region_detach(p);
	__byteor_region_detach(c);
	ASSERT_EQ(0, byteor_region_info("ring", BYTEOR_BACKING_USER, self->d.path, &info));
	EXPECT_EQ(0, info.nr_claims_held);
	__byteor_region_detach(o);
}

TEST_F(claims, mpsc_slots_are_distinct_across_processes_and_freed_on_death)
{
	struct byteor_geometry g = ht_geom(64, 64, 2, 4);
	struct __byteor_region *c, *extra;
	struct byteor_attach_options o = ht_opts(self->d.path, "mpsc");
	unsigned int seen = 0, i;
	pid_t pid[4];
	int ret, idx;

	HT_SETUP_SKIPPED();
	g.mpsc_mask = 0x1;
	ASSERT_EQ(0, ht_create(self->d.path, "mpsc", BYTEOR_KIND_EVENTS_CHAIN, &g));
	for (i = 0; i < 4; i++) {
		pid[i] = holder(self->d.path, "mpsc", BYTEOR_KIND_EVENTS_CHAIN, 0,
				BYTEOR_ROLE_PRODUCER, &ret, &idx);
		ASSERT_LT(0, pid[i]);
		ASSERT_EQ(0, ret);
		ASSERT_LE(0, idx);
		ASSERT_GT(4, idx);
		EXPECT_EQ(0, seen & (1U << idx));
		seen |= 1U << idx;
	}
	EXPECT_EQ(0xf, seen);
	EXPECT_EQ(-EBUSY, __byteor_region_attach(&o, BYTEOR_KIND_EVENTS_CHAIN, 0, NULL,
						 BYTEOR_ROLE_PRODUCER, &extra));
	ASSERT_EQ(0, __byteor_region_attach(&o, BYTEOR_KIND_EVENTS_CHAIN, 0, NULL,
					    BYTEOR_ROLE_CONSUMER, &c));
	for (i = 0; i < 4; i++)
		EXPECT_EQ(1, __byteor_claim_alive(c, i));
	kill_wait(pid[2]);
	EXPECT_EQ(1, __byteor_claim_alive(c, 0));
	EXPECT_EQ(0, __byteor_claim_alive(c, 2));
	ASSERT_EQ(0, __byteor_region_attach(&o, BYTEOR_KIND_EVENTS_CHAIN, 0, NULL,
					    BYTEOR_ROLE_PRODUCER, &extra));
	EXPECT_EQ(2, extra->index);
	EXPECT_EQ(-EBUSY, __byteor_region_attach(&o, BYTEOR_KIND_EVENTS_CHAIN, 0, NULL,
						 BYTEOR_ROLE_PRODUCER, &c));
	for (i = 0; i < 4; i++)
		if (i != 2)
			kill_wait(pid[i]);
	__byteor_region_detach(extra);
	__byteor_region_detach(c);
}

TEST_F(claims, observers_claim_nothing_and_are_unlimited)
{
	struct __byteor_region *o[32], *p;
	unsigned int i;

	HT_SETUP_SKIPPED();
	for (i = 0; i < ARRAY_SIZE(o); i++) {
		ASSERT_EQ(0, ht_attach_ring(self->d.path, "ring",
					    BYTEOR_ROLE_OBSERVER, &o[i]));
		EXPECT_EQ(-1, o[i]->claim);
		EXPECT_TRUE(o[i]->readonly);
		EXPECT_EQ(O_RDONLY, fcntl(o[i]->fd, F_GETFL) & O_ACCMODE);
	}
	EXPECT_EQ(0, ht_attach_ring(self->d.path, "ring", BYTEOR_ROLE_PRODUCER, &p));
	__byteor_region_detach(p);
	for (i = 0; i < ARRAY_SIZE(o); i++)
		__byteor_region_detach(o[i]);
}

TEST_F(claims, observer_flag_overrides_the_role)
{
	struct byteor_attach_options o = ht_opts(self->d.path, "ring");
	struct __byteor_region *r;

	HT_SETUP_SKIPPED();
	o.flags = BYTEOR_ATTACH_OBSERVER;
	ASSERT_EQ(0, __byteor_region_attach(&o, BYTEOR_KIND_SINGLE_RING, 0, NULL,
					    BYTEOR_ROLE_PRODUCER, &r));
	EXPECT_TRUE(r->readonly);
	EXPECT_EQ(BYTEOR_ROLE_OBSERVER, r->role);
	EXPECT_EQ(-1, r->claim);
	__byteor_region_detach(r);
}

TEST_F(claims, observer_mapping_is_read_only)
{
	struct __byteor_region *r;
	int status;
	pid_t pid;

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, ht_attach_ring(self->d.path, "ring", BYTEOR_ROLE_OBSERVER, &r));
	/* Cannot be made writable: the file is open read-only. */
	EXPECT_EQ(-1, mprotect(r->base, r->size, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* Default action, whatever a sanitizer installed. */
		signal(SIGSEGV, SIG_DFL);
		*(volatile char *)__byteor_area(r, BYTEOR_AREA_SLOTS, 0) = 1;
		_exit(0);
	}
	status = ht_wait(pid);
	ASSERT_TRUE(WIFSIGNALED(status));
	EXPECT_EQ(SIGSEGV, WTERMSIG(status));
	EXPECT_EQ(0, *(volatile char *)__byteor_area(r, BYTEOR_AREA_SLOTS, 0));
	__byteor_region_detach(r);
}

TEST_HARNESS_MAIN
