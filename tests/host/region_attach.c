// SPDX-License-Identifier: GPL-2.0-only
/*
 * region_attach - attach validation on the userspace backing, in the
 * docs/design.md section 4 order: ENOENT, EACCES, EPROTO, EBADMSG, EINVAL, EBUSY.
 */
#include "kselftest_harness.h"
#include "host_test.h"

#include <grp.h>

FIXTURE(attach) {
	struct ht_dir d;
	struct byteor_attach_options o;
	struct byteor_geometry g;
};

FIXTURE_VARIANT(attach) {
	bool huge;
};

FIXTURE_VARIANT_ADD(attach, shm) {
	.huge = false,
};

FIXTURE_VARIANT_ADD(attach, hugetlbfs) {
	.huge = true,
};

FIXTURE_SETUP(attach)
{
	HT_DIR_SETUP(&self->d, variant->huge);
	self->g = ht_geom(64, 1024, 1, 1);
	ASSERT_EQ(0, ht_create(self->d.path, "ring", BYTEOR_KIND_SINGLE_RING,
			       &self->g));
	self->o = ht_opts(self->d.path, "ring");
}

FIXTURE_TEARDOWN(attach)
{
	ht_dir_teardown(&self->d);
}

static int attach_as(struct byteor_attach_options *o, __u32 kind, __u32 version,
		     const struct byteor_geometry *g, __u32 role)
{
	struct __byteor_region *r = NULL;
	int ret;

	ret = __byteor_region_attach(o, kind, version, g, role, &r);
	if (!ret)
		__byteor_region_detach(r);
	return ret;
}

TEST_F(attach, matching_request_succeeds_with_private_descriptor)
{
	struct __byteor_region *r;

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, __byteor_region_attach(&self->o, BYTEOR_KIND_SINGLE_RING,
					    BYTEOR_SINGLE_RING_VERSION, &self->g,
					    BYTEOR_ROLE_PRODUCER, &r));
	EXPECT_EQ(BYTEOR_BACKING_USER, r->backing);
	EXPECT_EQ(0, r->claim);
	EXPECT_EQ(0, r->index);
	EXPECT_FALSE(r->readonly);
	EXPECT_EQ(r->info.size, r->size);
	EXPECT_EQ(64, r->info.geometry.slot_size);
	EXPECT_EQ((char *)r->base + r->info.layout.area_off[BYTEOR_AREA_SLOTS],
		  (char *)__byteor_area(r, BYTEOR_AREA_SLOTS, 0));
	__byteor_region_detach(r);
}

TEST_F(attach, zero_geometry_accepts_what_is_there)
{
	struct byteor_geometry any = { 0 };

	HT_SETUP_SKIPPED();
	EXPECT_EQ(0, attach_as(&self->o, BYTEOR_KIND_SINGLE_RING, 0, &any,
			       BYTEOR_ROLE_CONSUMER));
	EXPECT_EQ(0, attach_as(&self->o, BYTEOR_KIND_SINGLE_RING, 0, NULL,
			       BYTEOR_ROLE_CONSUMER));
}

TEST_F(attach, missing_name_is_enoent)
{
	HT_SETUP_SKIPPED();
	self->o.name = "absent";
	EXPECT_EQ(-ENOENT, attach_as(&self->o, BYTEOR_KIND_SINGLE_RING, 0, NULL,
				     BYTEOR_ROLE_PRODUCER));
}

TEST_F(attach, bad_name_is_einval_or_enametoolong)
{
	char longname[BYTEOR_NAME_MAX + 8];

	HT_SETUP_SKIPPED();
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	self->o.name = longname;
	EXPECT_EQ(-ENAMETOOLONG, attach_as(&self->o, BYTEOR_KIND_SINGLE_RING, 0,
					   NULL, BYTEOR_ROLE_PRODUCER));
	self->o.name = "../ring";
	EXPECT_EQ(-EINVAL, attach_as(&self->o, BYTEOR_KIND_SINGLE_RING, 0, NULL,
				     BYTEOR_ROLE_PRODUCER));
	self->o.name = NULL;
	EXPECT_EQ(-EINVAL, attach_as(&self->o, BYTEOR_KIND_SINGLE_RING, 0, NULL,
				     BYTEOR_ROLE_PRODUCER));
}

TEST_F(attach, wrong_kind_is_eproto)
{
	HT_SETUP_SKIPPED();
	EXPECT_EQ(-EPROTO, attach_as(&self->o, BYTEOR_KIND_FANOUT, 0, NULL,
				     BYTEOR_ROLE_PRODUCER));
}

TEST_F(attach, wrong_version_is_eproto)
{
	HT_SETUP_SKIPPED();
	EXPECT_EQ(-EPROTO, attach_as(&self->o, BYTEOR_KIND_SINGLE_RING,
				     BYTEOR_SINGLE_RING_VERSION + 1, NULL,
				     BYTEOR_ROLE_PRODUCER));
}

TEST_F(attach, wrong_geometry_is_ebadmsg)
{
	struct byteor_geometry g = { .slot_size = 128 };

	HT_SETUP_SKIPPED();
	EXPECT_EQ(-EBADMSG, attach_as(&self->o, BYTEOR_KIND_SINGLE_RING, 0, &g,
				      BYTEOR_ROLE_PRODUCER));
	g = (struct byteor_geometry){ .capacity = 2048 };
	EXPECT_EQ(-EBADMSG, attach_as(&self->o, BYTEOR_KIND_SINGLE_RING, 0, &g,
				      BYTEOR_ROLE_PRODUCER));
	g = (struct byteor_geometry){ .queues = 2 };
	EXPECT_EQ(-EBADMSG, attach_as(&self->o, BYTEOR_KIND_SINGLE_RING, 0, &g,
				      BYTEOR_ROLE_PRODUCER));
}

TEST_F(attach, missing_role_or_queue_is_einval)
{
	HT_SETUP_SKIPPED();
	EXPECT_EQ(-EINVAL, attach_as(&self->o, BYTEOR_KIND_SINGLE_RING, 0, NULL,
				     BYTEOR_ROLE_ROUTER));
	EXPECT_EQ(-EINVAL, attach_as(&self->o, BYTEOR_KIND_SINGLE_RING, 0, NULL, 0));
	EXPECT_EQ(-EINVAL, attach_as(&self->o, BYTEOR_KIND_SINGLE_RING, 0, NULL, 99));
	self->o.queue = 1;
	EXPECT_EQ(-EINVAL, attach_as(&self->o, BYTEOR_KIND_SINGLE_RING, 0, NULL,
				     BYTEOR_ROLE_CONSUMER));
}

TEST_F(attach, bad_options_are_einval)
{
	struct __byteor_region *r;

	HT_SETUP_SKIPPED();
	self->o.flags = 1U << 7;
	EXPECT_EQ(-EINVAL, attach_as(&self->o, BYTEOR_KIND_SINGLE_RING, 0, NULL,
				     BYTEOR_ROLE_PRODUCER));
	self->o.flags = 0;
	self->o.reserved[6] = 1;
	EXPECT_EQ(-EINVAL, attach_as(&self->o, BYTEOR_KIND_SINGLE_RING, 0, NULL,
				     BYTEOR_ROLE_PRODUCER));
	self->o.reserved[6] = 0;
	self->o.backing = 9;
	EXPECT_EQ(-EINVAL, attach_as(&self->o, BYTEOR_KIND_SINGLE_RING, 0, NULL,
				     BYTEOR_ROLE_PRODUCER));
	EXPECT_EQ(-EINVAL, __byteor_region_attach(NULL, BYTEOR_KIND_SINGLE_RING,
						  0, NULL, BYTEOR_ROLE_PRODUCER, &r));
	EXPECT_EQ(-EINVAL, __byteor_region_attach(&self->o, BYTEOR_KIND_SINGLE_RING,
						  0, NULL, BYTEOR_ROLE_PRODUCER, NULL));
}

TEST_F(attach, taken_role_is_ebusy_until_released)
{
	struct __byteor_region *a, *b;

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, __byteor_region_attach(&self->o, BYTEOR_KIND_SINGLE_RING, 0,
					    NULL, BYTEOR_ROLE_PRODUCER, &a));
	EXPECT_EQ(-EBUSY, attach_as(&self->o, BYTEOR_KIND_SINGLE_RING, 0, NULL,
				    BYTEOR_ROLE_PRODUCER));
	/* Another role, and observers, are unaffected. */
	ASSERT_EQ(0, __byteor_region_attach(&self->o, BYTEOR_KIND_SINGLE_RING, 0,
					    NULL, BYTEOR_ROLE_CONSUMER, &b));
	EXPECT_EQ(0, attach_as(&self->o, BYTEOR_KIND_SINGLE_RING, 0, NULL,
			       BYTEOR_ROLE_OBSERVER));
	__byteor_region_detach(a);
	EXPECT_EQ(0, attach_as(&self->o, BYTEOR_KIND_SINGLE_RING, 0, NULL,
			       BYTEOR_ROLE_PRODUCER));
	__byteor_region_detach(b);
}

TEST_F(attach, checks_run_in_design_order)
{
	struct byteor_geometry bad = { .slot_size = 8 };
	struct __byteor_region *a;

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, __byteor_region_attach(&self->o, BYTEOR_KIND_SINGLE_RING, 0,
					    NULL, BYTEOR_ROLE_PRODUCER, &a));
	/* Busy role, but the geometry is checked first. */
	EXPECT_EQ(-EBADMSG, attach_as(&self->o, BYTEOR_KIND_SINGLE_RING, 0, &bad,
				      BYTEOR_ROLE_PRODUCER));
	/* Bad geometry, but the kind is checked first. */
	EXPECT_EQ(-EPROTO, attach_as(&self->o, BYTEOR_KIND_JOURNAL, 0, &bad,
				     BYTEOR_ROLE_PRODUCER));
	/* Bad role on a busy region: EINVAL before EBUSY. */
	self->o.queue = 3;
	EXPECT_EQ(-EINVAL, attach_as(&self->o, BYTEOR_KIND_SINGLE_RING, 0, NULL,
				     BYTEOR_ROLE_PRODUCER));
	__byteor_region_detach(a);
}

/* Attach as user nobody in a child; return 0 or the positive errno. */
static int as_nobody(const char *dir, const char *name, __u32 kind, __u32 role)
{
	struct byteor_attach_options o = ht_opts(dir, name);
	struct __byteor_region *r;
	pid_t pid;
	int ret;

	pid = fork();
	if (pid == 0) {
		if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
			_exit(100);
		ret = __byteor_region_attach(&o, kind, 0, NULL, role, &r);
		_exit(ret == 0 ? 0 : -ret);
	}
	ret = ht_wait(pid);
	return WIFEXITED(ret) ? WEXITSTATUS(ret) : 200;
}

TEST_F(attach, mode_bits_are_enforced_eacces)
{
	struct byteor_region_options c = {
		.name = "public", .kind = BYTEOR_KIND_SINGLE_RING,
		.geometry = self->g, .mode = 0644,
		.backing = BYTEOR_BACKING_USER, .dir = self->d.path,
	};

	HT_SETUP_SKIPPED();
	if (geteuid() != 0)
		SKIP(return, "needs root to switch to an unprivileged user");
	ASSERT_EQ(0, chmod(self->d.path, 0755));
	ASSERT_EQ(0, byteor_region_create(&c, NULL));
	/* "ring" is 0660 root:root: nobody may not even look. */
	EXPECT_EQ(EACCES, as_nobody(self->d.path, "ring", BYTEOR_KIND_SINGLE_RING,
				    BYTEOR_ROLE_OBSERVER));
	EXPECT_EQ(EACCES, as_nobody(self->d.path, "ring", BYTEOR_KIND_SINGLE_RING,
				    BYTEOR_ROLE_CONSUMER));
	/* "public" is 0644: others may observe but not consume. */
	EXPECT_EQ(0, as_nobody(self->d.path, "public", BYTEOR_KIND_SINGLE_RING,
			       BYTEOR_ROLE_OBSERVER));
	EXPECT_EQ(EACCES, as_nobody(self->d.path, "public", BYTEOR_KIND_SINGLE_RING,
				    BYTEOR_ROLE_CONSUMER));
	/* Access is checked before kind: EACCES wins over EPROTO. */
	EXPECT_EQ(EACCES, as_nobody(self->d.path, "public", BYTEOR_KIND_FANOUT,
				    BYTEOR_ROLE_PRODUCER));
	EXPECT_EQ(EPROTO, as_nobody(self->d.path, "public", BYTEOR_KIND_FANOUT,
				    BYTEOR_ROLE_OBSERVER));
}

TEST_F(attach, mpsc_producers_get_distinct_slots_then_ebusy)
{
	struct byteor_geometry g = ht_geom(64, 64, 3, 3);
	struct byteor_attach_options o = ht_opts(self->d.path, "mpsc");
	struct __byteor_region *p[3], *spsc, *extra;
	unsigned int i;

	HT_SETUP_SKIPPED();
	g.mpsc_mask = 0x2;			/* queue 1 is MPSC */
	ASSERT_EQ(0, ht_create(self->d.path, "mpsc", BYTEOR_KIND_EVENTS_CHAIN, &g));
	o.queue = 1;
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, __byteor_region_attach(&o, BYTEOR_KIND_EVENTS_CHAIN, 0,
						    NULL, BYTEOR_ROLE_PRODUCER, &p[i]));
		EXPECT_EQ(i, p[i]->index);
		EXPECT_EQ(1 + i, p[i]->claim);	/* after queue 0's producer */
	}
	EXPECT_EQ(-EBUSY, __byteor_region_attach(&o, BYTEOR_KIND_EVENTS_CHAIN, 0,
						 NULL, BYTEOR_ROLE_PRODUCER, &extra));
	/* A freed slot is reused. */
	__byteor_region_detach(p[1]);
	ASSERT_EQ(0, __byteor_region_attach(&o, BYTEOR_KIND_EVENTS_CHAIN, 0, NULL,
					    BYTEOR_ROLE_PRODUCER, &p[1]));
	EXPECT_EQ(1, p[1]->index);
	/* An SPSC queue has one producer; index is the queue. */
	o.queue = 2;
	ASSERT_EQ(0, __byteor_region_attach(&o, BYTEOR_KIND_EVENTS_CHAIN, 0, NULL,
					    BYTEOR_ROLE_PRODUCER, &spsc));
	EXPECT_EQ(2, spsc->index);
	EXPECT_EQ(-EBUSY, __byteor_region_attach(&o, BYTEOR_KIND_EVENTS_CHAIN, 0,
						 NULL, BYTEOR_ROLE_PRODUCER, &extra));
	o.queue = 3;
	EXPECT_EQ(-EINVAL, __byteor_region_attach(&o, BYTEOR_KIND_EVENTS_CHAIN, 0,
						  NULL, BYTEOR_ROLE_PRODUCER, &extra));
	__byteor_region_detach(spsc);
	for (i = 0; i < 3; i++)
		__byteor_region_detach(p[i]);
}

TEST_HARNESS_MAIN
