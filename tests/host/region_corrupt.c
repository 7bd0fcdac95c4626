// SPDX-License-Identifier: GPL-2.0-only
/*
 * region_corrupt - a region file whose header was scribbled on (by a buggy
 * or hostile peer) is refused with a clear error, never trusted, never a
 * crash; and scribbling after attach does not change what the attached
 * process uses (docs/design.md section 7).
 */
#include "kselftest_harness.h"
#include "host_test.h"

#include <stddef.h>
#include <sys/mman.h>

FIXTURE(corrupt) {
	struct ht_dir d;
	char path[HT_PATH * 2];
	struct byteor_region_info orig;
};

FIXTURE_VARIANT(corrupt) {
	bool huge;
};

FIXTURE_VARIANT_ADD(corrupt, shm) {
	.huge = false,
};

FIXTURE_VARIANT_ADD(corrupt, hugetlbfs) {
	.huge = true,
};

FIXTURE_SETUP(corrupt)
{
	HT_DIR_SETUP(&self->d, variant->huge);
	ASSERT_EQ(0, ht_create_ring(self->d.path, "ring"));
	ASSERT_EQ(0, byteor_region_info("ring", BYTEOR_BACKING_USER,
					self->d.path, &self->orig));
	ht_region_path(self->path, sizeof(self->path), self->d.path, "ring");
}

FIXTURE_TEARDOWN(corrupt)
{
	ht_dir_teardown(&self->d);
}

#define HDR_OFF(field) offsetof(struct byteor_region_header, field)

static int scribble_u32(struct ht_dir *d, size_t off, __u32 v)
{
	return ht_scribble(d->path, "ring", off, &v, sizeof(v));
}

static int scribble_u64(struct ht_dir *d, size_t off, __u64 v)
{
	return ht_scribble(d->path, "ring", off, &v, sizeof(v));
}

/* What attach (as producer and as observer), info and list say now. */
static int verdict(struct ht_dir *d, int *info_ret, int *listed)
{
	struct byteor_region_info info;
	struct __byteor_region *r;
	int ret, obs;

	*info_ret = byteor_region_info("ring", BYTEOR_BACKING_USER, d->path, &info);
	*listed = byteor_region_list(BYTEOR_BACKING_USER, d->path, NULL, 0);
	obs = ht_attach_ring(d->path, "ring", BYTEOR_ROLE_OBSERVER, &r);
	if (!obs)
		__byteor_region_detach(r);
	ret = ht_attach_ring(d->path, "ring", BYTEOR_ROLE_PRODUCER, &r);
	if (!ret)
		__byteor_region_detach(r);
	return ret == obs ? ret : 1000;	/* both paths must agree */
}

#define EXPECT_REFUSED(err) do {						\
	int __info, __listed;							\
										\
	EXPECT_EQ(err, verdict(&self->d, &__info, &__listed));			\
	EXPECT_EQ(err, __info);							\
	EXPECT_EQ(0, __listed);							\
} while (0)

TEST_F(corrupt, bad_magic_is_eproto)
{
	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, scribble_u64(&self->d, HDR_OFF(magic), 0x4b4e554a4b4e554aULL));
	EXPECT_REFUSED(-EPROTO);
}

TEST_F(corrupt, bad_abi_version_is_eproto)
{
	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, scribble_u32(&self->d, HDR_OFF(abi_version), 2));
	EXPECT_REFUSED(-EPROTO);
}

TEST_F(corrupt, bad_header_size_is_eproto)
{
	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, scribble_u32(&self->d, HDR_OFF(header_size), 64));
	EXPECT_REFUSED(-EPROTO);
}

TEST_F(corrupt, garbage_header_is_eproto)
{
	unsigned char junk[BYTEOR_HEADER_SIZE];
	unsigned int i;

	HT_SETUP_SKIPPED();
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (unsigned char)(i * 131 + 7);
	ASSERT_EQ(0, ht_scribble(self->d.path, "ring", 0, junk, sizeof(junk)));
	EXPECT_REFUSED(-EPROTO);
}

TEST_F(corrupt, changed_geometry_is_ebadmsg)
{
	HT_SETUP_SKIPPED();
	/* A larger capacity would put the slots past the end of the file. */
	ASSERT_EQ(0, scribble_u32(&self->d, HDR_OFF(geometry.capacity), 1U << 20));
	EXPECT_REFUSED(-EBADMSG);
}

TEST_F(corrupt, invalid_geometry_is_ebadmsg)
{
	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, scribble_u32(&self->d, HDR_OFF(geometry.slot_size), 13));
	EXPECT_REFUSED(-EBADMSG);
}

TEST_F(corrupt, moved_area_is_ebadmsg)
{
	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, scribble_u64(&self->d, HDR_OFF(layout.area_off[BYTEOR_AREA_SLOTS]),
				  1ULL << 39));
	EXPECT_REFUSED(-EBADMSG);
}

TEST_F(corrupt, wrong_slot_stride_is_ebadmsg)
{
	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, scribble_u32(&self->d, HDR_OFF(layout.slot_stride), 1U << 16));
	EXPECT_REFUSED(-EBADMSG);
}

TEST_F(corrupt, wrong_size_field_is_ebadmsg)
{
	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, scribble_u64(&self->d, HDR_OFF(size), 1ULL << 30));
	EXPECT_REFUSED(-EBADMSG);
}

TEST_F(corrupt, wrong_nr_claims_is_ebadmsg)
{
	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, scribble_u32(&self->d, HDR_OFF(nr_claims), 190));
	EXPECT_REFUSED(-EBADMSG);
}

TEST_F(corrupt, name_not_matching_file_is_ebadmsg)
{
	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, ht_scribble(self->d.path, "ring", HDR_OFF(name), "gnir", 4));
	EXPECT_REFUSED(-EBADMSG);
}

TEST_F(corrupt, changed_kind_makes_header_inconsistent_ebadmsg)
{
	struct byteor_attach_options o = ht_opts(self->d.path, "ring");
	struct __byteor_region *r;

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, scribble_u32(&self->d, HDR_OFF(kind), BYTEOR_KIND_JOURNAL));
	ASSERT_EQ(0, scribble_u32(&self->d, HDR_OFF(layout_version),
				  BYTEOR_JOURNAL_VERSION));
	/* Not a consistent journal either: its layout is a ring's. */
	EXPECT_REFUSED(-EBADMSG);
	EXPECT_EQ(-EBADMSG, __byteor_region_attach(&o, BYTEOR_KIND_JOURNAL, 0, NULL,
						   BYTEOR_ROLE_PRODUCER, &r));
}

TEST_F(corrupt, truncated_file_is_refused)
{
	HT_SETUP_SKIPPED();
	if (!variant->huge) {
		ASSERT_EQ(0, truncate(self->path, BYTEOR_HEADER_SIZE));
		EXPECT_REFUSED(-EBADMSG);
		ASSERT_EQ(0, truncate(self->path, 100));
		EXPECT_REFUSED(-EPROTO);
	}
	ASSERT_EQ(0, truncate(self->path, 0));
	EXPECT_REFUSED(-EPROTO);
}

TEST_F(corrupt, grown_file_is_ebadmsg)
{
	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, truncate(self->path, self->orig.size + BYTEOR_REGION_ALIGN));
	EXPECT_REFUSED(-EBADMSG);
}

TEST_F(corrupt, planted_symlink_fifo_or_dir_is_eproto)
{
	char path[HT_PATH * 2], target[HT_PATH * 2];
	struct __byteor_region *r;

	HT_SETUP_SKIPPED();
	if (!variant->huge) {	/* our hugetlbfs mount takes neither */
		snprintf(path, sizeof(path), "%s/byteor.link", self->d.path);
		ASSERT_EQ(0, symlink(self->path, path));
		EXPECT_EQ(-EPROTO, ht_attach_ring(self->d.path, "link",
						  BYTEOR_ROLE_OBSERVER, &r));
		snprintf(path, sizeof(path), "%s/byteor.fifo", self->d.path);
		ASSERT_EQ(0, mkfifo(path, 0600));
		EXPECT_EQ(-EPROTO, ht_attach_ring(self->d.path, "fifo",
						  BYTEOR_ROLE_OBSERVER, &r));
		EXPECT_EQ(-EPROTO, ht_attach_ring(self->d.path, "fifo",
						  BYTEOR_ROLE_PRODUCER, &r));
	}
	snprintf(target, sizeof(target), "%s/byteor.dir", self->d.path);
	ASSERT_EQ(0, mkdir(target, 0700));
	EXPECT_EQ(-EPROTO, ht_attach_ring(self->d.path, "dir",
					  BYTEOR_ROLE_OBSERVER, &r));
	EXPECT_EQ(-EPROTO, ht_attach_ring(self->d.path, "dir",
					  BYTEOR_ROLE_PRODUCER, &r));
	rmdir(target);
	EXPECT_EQ(1, byteor_region_list(BYTEOR_BACKING_USER, self->d.path, NULL, 0));
}

TEST_F(corrupt, scribbling_after_attach_changes_nothing_private)
{
	struct __byteor_region *r;
	struct byteor_region_info before;

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, ht_attach_ring(self->d.path, "ring", BYTEOR_ROLE_PRODUCER, &r));
	before = r->info;
	ASSERT_EQ(0, scribble_u32(&self->d, HDR_OFF(geometry.capacity), 1U << 30));
	ASSERT_EQ(0, scribble_u64(&self->d, HDR_OFF(layout.area_off[BYTEOR_AREA_SLOTS]),
				  1ULL << 39));
	ASSERT_EQ(0, scribble_u32(&self->d, HDR_OFF(nr_claims), 0));
	EXPECT_EQ(0, memcmp(&before, &r->info, sizeof(before)));
	EXPECT_EQ((char *)r->base + before.layout.area_off[BYTEOR_AREA_SLOTS],
		  (char *)__byteor_area(r, BYTEOR_AREA_SLOTS, 0));
	/* Claims are checked against the private claim count. */
	EXPECT_EQ(-EINVAL, __byteor_claim_alive(r, 2));
	EXPECT_EQ(1, __byteor_claim_alive(r, 0));
	EXPECT_EQ(0, __byteor_claim_alive(r, 1));
	__byteor_region_detach(r);
}

/*
 * Any one corrupted word of the header's first 384 bytes either is ignored
 * (a field nothing relies on) or makes every path refuse the region with
 * EPROTO or EBADMSG - never a crash, never a different descriptor.
 */
TEST_F(corrupt, single_word_corruptions_are_refused_or_harmless)
{
	static const __u64 values[] = { 0, 1, 0xffffffffffffffffULL,
					0x8000000000000000ULL, 4096, 1ULL << 40 };
	struct byteor_region_header orig;
	struct byteor_region_info info;
	unsigned int off, v, bad = 0;
	int ret, fd;

	HT_SETUP_SKIPPED();
	fd = open(self->path, O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(sizeof(orig), pread(fd, &orig, sizeof(orig), 0));
	close(fd);
	for (off = 0; off < 384; off += 4) {
		for (v = 0; v < ARRAY_SIZE(values); v++) {
			ASSERT_EQ(0, ht_scribble(self->d.path, "ring", off,
						 &values[v], 4));
			ret = byteor_region_info("ring", BYTEOR_BACKING_USER,
						 self->d.path, &info);
			if (ret) {
				EXPECT_TRUE(ret == -EPROTO || ret == -EBADMSG);
				bad++;
			} else {
				EXPECT_EQ(0, memcmp(&info.geometry, &self->orig.geometry,
						    sizeof(info.geometry)));
				EXPECT_EQ(0, memcmp(&info.layout, &self->orig.layout,
						    sizeof(info.layout)));
				EXPECT_EQ(self->orig.size, info.size);
			}
			ASSERT_EQ(0, ht_scribble(self->d.path, "ring", off,
						 (char *)&orig + off, 4));
		}
	}
	EXPECT_LT(100, bad);
	EXPECT_EQ(0, byteor_region_info("ring", BYTEOR_BACKING_USER,
					self->d.path, &info));
}

TEST_HARNESS_MAIN
