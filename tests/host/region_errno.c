// SPDX-License-Identifier: GPL-2.0-only
/*
 * region_errno - byteor_region_create() returns the errno byteor/region.h
 * documents for each kind of bad option, and makes nothing when it fails.
 */
#include "kselftest_harness.h"
#include "host_test.h"

FIXTURE(rerr) {
	struct ht_dir d;
	struct byteor_region_options o;
};

FIXTURE_SETUP(rerr)
{
	HT_DIR_SETUP(&self->d, false);
	memset(&self->o, 0, sizeof(self->o));
	self->o.name = "errno.r";
	self->o.kind = BYTEOR_KIND_SINGLE_RING;
	self->o.geometry = ht_geom(64, 1024, 1, 1);
	self->o.backing = BYTEOR_BACKING_USER;
	self->o.dir = self->d.path;
}

FIXTURE_TEARDOWN(rerr)
{
	ht_dir_teardown(&self->d);
}

/* Nothing of the name was made by a failed create. */
static bool absent(const char *dir)
{
	struct byteor_region_info i;

	return byteor_region_info("errno.r", BYTEOR_BACKING_USER, dir, &i) ==
	       -ENOENT;
}

TEST_F(rerr, unknown_layout_version_is_eproto)
{
	HT_SETUP_SKIPPED();
	self->o.layout_version = 99;
	EXPECT_EQ(-EPROTO, byteor_region_create(&self->o, NULL));
	EXPECT_TRUE(absent(self->d.path));
}

TEST_F(rerr, layout_version_of_another_kind_is_eproto)
{
	HT_SETUP_SKIPPED();
	self->o.layout_version = BYTEOR_SINGLE_RING_VERSION + 1;
	EXPECT_EQ(-EPROTO, byteor_region_create(&self->o, NULL));
	EXPECT_TRUE(absent(self->d.path));
}

TEST_F(rerr, current_layout_version_given_explicitly_creates)
{
	HT_SETUP_SKIPPED();
	self->o.layout_version = BYTEOR_SINGLE_RING_VERSION;
	EXPECT_EQ(0, byteor_region_create(&self->o, NULL));
}

TEST_F(rerr, unknown_kind_is_einval)
{
	HT_SETUP_SKIPPED();
	self->o.kind = 99;
	EXPECT_EQ(-EINVAL, byteor_region_create(&self->o, NULL));
	self->o.layout_version = 1;
	EXPECT_EQ(-EINVAL, byteor_region_create(&self->o, NULL));
	EXPECT_TRUE(absent(self->d.path));
}

TEST_F(rerr, size_above_region_size_max_is_efbig)
{
	HT_SETUP_SKIPPED();
	self->o.size = BYTEOR_REGION_SIZE_MAX + 1;
	EXPECT_EQ(-EFBIG, byteor_region_create(&self->o, NULL));
	self->o.size = ~0ULL;
	EXPECT_EQ(-EFBIG, byteor_region_create(&self->o, NULL));
	EXPECT_TRUE(absent(self->d.path));
}

TEST_F(rerr, bad_geometry_is_einval)
{
	HT_SETUP_SKIPPED();
	self->o.geometry.capacity = 1000;	/* not a power of two */
	EXPECT_EQ(-EINVAL, byteor_region_create(&self->o, NULL));
	EXPECT_TRUE(absent(self->d.path));
}

TEST_F(rerr, bad_mode_is_einval)
{
	HT_SETUP_SKIPPED();
	self->o.mode = 01777;
	EXPECT_EQ(-EINVAL, byteor_region_create(&self->o, NULL));
	EXPECT_TRUE(absent(self->d.path));
}

TEST_F(rerr, nonzero_reserved_is_einval)
{
	HT_SETUP_SKIPPED();
	self->o.reserved[4] = 1;
	EXPECT_EQ(-EINVAL, byteor_region_create(&self->o, NULL));
	EXPECT_TRUE(absent(self->d.path));
}

TEST_F(rerr, name_of_64_bytes_is_enametoolong)
{
	char n[65];

	HT_SETUP_SKIPPED();
	memset(n, 'a', 64);
	n[64] = 0;
	self->o.name = n;
	EXPECT_EQ(-ENAMETOOLONG, byteor_region_create(&self->o, NULL));
}

TEST_F(rerr, bad_name_is_einval)
{
	HT_SETUP_SKIPPED();
	self->o.name = ".hidden";
	EXPECT_EQ(-EINVAL, byteor_region_create(&self->o, NULL));
	self->o.name = "a/b";
	EXPECT_EQ(-EINVAL, byteor_region_create(&self->o, NULL));
}

TEST_F(rerr, taken_name_is_eexist)
{
	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, byteor_region_create(&self->o, NULL));
	EXPECT_EQ(-EEXIST, byteor_region_create(&self->o, NULL));
}

TEST_F(rerr, missing_directory_is_enoent)
{
	char dir[HT_PATH + 16];

	HT_SETUP_SKIPPED();
	snprintf(dir, sizeof(dir), "%s/nope", self->d.path);
	self->o.dir = dir;
	EXPECT_EQ(-ENOENT, byteor_region_create(&self->o, NULL));
}

TEST_F(rerr, null_options_is_einval)
{
	HT_SETUP_SKIPPED();
	EXPECT_EQ(-EINVAL, byteor_region_create(NULL, NULL));
}

TEST_F(rerr, info_of_foreign_file_is_eproto)
{
	char file[HT_PATH + 32];
	char junk[4096];
	struct byteor_region_info i;
	int fd;

	HT_SETUP_SKIPPED();
	snprintf(file, sizeof(file), "%s/byteor.errno.r", self->d.path);
	fd = open(file, O_CREAT | O_WRONLY, 0600);
	ASSERT_LE(0, fd);
	memset(junk, 'x', sizeof(junk));
	ASSERT_EQ((ssize_t)sizeof(junk), write(fd, junk, sizeof(junk)));
	close(fd);
	EXPECT_EQ(-EPROTO, byteor_region_info("errno.r", BYTEOR_BACKING_USER,
					      self->d.path, &i));
}

TEST_F(rerr, info_of_missing_region_is_enoent)
{
	HT_SETUP_SKIPPED();
	EXPECT_TRUE(absent(self->d.path));
}

TEST_F(rerr, bad_backing_is_einval)
{
	struct byteor_region_info i;

	HT_SETUP_SKIPPED();
	self->o.backing = 42;
	EXPECT_EQ(-EINVAL, byteor_region_create(&self->o, NULL));
	EXPECT_EQ(-EINVAL, byteor_region_destroy("errno.r", 42, self->d.path));
	EXPECT_EQ(-EINVAL, byteor_region_info("errno.r", 42, self->d.path, &i));
	EXPECT_EQ(-EINVAL, byteor_region_list(BYTEOR_BACKING_USER, self->d.path,
					      NULL, 1));
	EXPECT_EQ(-EINVAL, byteor_region_info("errno.r", BYTEOR_BACKING_USER,
					      self->d.path, NULL));
}

TEST_F(rerr, destroy_of_missing_region_is_enoent)
{
	HT_SETUP_SKIPPED();
	EXPECT_EQ(-ENOENT, byteor_region_destroy("errno.r", BYTEOR_BACKING_USER,
						 self->d.path));
}

TEST_F(rerr, errno_is_unchanged_by_a_failed_create)
{
	HT_SETUP_SKIPPED();
	errno = 1234;
	self->o.layout_version = 99;
	byteor_region_create(&self->o, NULL);
	EXPECT_EQ(1234, errno);
}

TEST_HARNESS_MAIN
