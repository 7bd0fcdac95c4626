// SPDX-License-Identifier: GPL-2.0-only
/*
 * zz_module_unload_root - byteor.ko refuses to unload while any
 * /dev/byteor file is open; once only mappings remain it unloads,
 * destroying the regions left, and those mappings stay valid (they hold
 * the hugetlbfs backing file, not the module) until unmapped, when every
 * page goes back to the pool.
 *
 * Named to sort last: it unloads the module every other program needs.
 * It loads it again with the parameters it had (read from
 * /sys/module/byteor/parameters), from BYTEOR_KO or /lib/modules/byteor.ko
 * or /byteor.ko, and its teardown reloads it even after a failure.
 */
#include "byteor_test.h"

#include <dirent.h>

static const char *const ko_paths[] = {
	"/lib/modules/byteor.ko", "/byteor.ko",
};

FIXTURE(unload) {
	struct bt_res r;
	char ko[256];
	char params[512];
	long free0;
};

/* "name=value ..." of every current module parameter. */
static int read_params(char *buf, size_t len)
{
	struct dirent *d;
	size_t used = 0;
	DIR *dir = opendir(BT_MODPARAM_DIR);

	buf[0] = '\0';
	if (!dir)
		return errno == ENOENT ? 0 : -errno;
	while ((d = readdir(dir))) {
		char path[512], val[128];
		ssize_t n;
		int fd;

		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", BT_MODPARAM_DIR, d->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, val, sizeof(val) - 1);
		close(fd);
		if (n <= 0)
			continue;
		val[n] = '\0';
		val[strcspn(val, "\n")] = '\0';
		if (!val[0] || strchr(val, ' ') || !strcmp(val, "(null)"))
			continue;
		used += snprintf(buf + used, len - used, "%s%s=%s", used ? " " : "",
				 d->d_name, val);
		if (used >= len) {
			closedir(dir);
			return -E2BIG;
		}
	}
	closedir(dir);
	return 0;
}

static int unload_module(void)
{
	/* O_NONBLOCK: fail at once (EWOULDBLOCK) while the module is in use */
	return syscall(SYS_delete_module, "byteor", O_NONBLOCK) ? -errno : 0;
}

/* Load the module and wait for its device node. */
static int load_module(const char *ko, const char *params)
{
	int i, ret, fd = open(ko, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params, 0) ? -errno : 0;
	close(fd);
	if (ret)
		return ret;
	for (i = 0; i < 500 && !bt_have_dev(); i++)
		usleep(10000);
	return bt_have_dev() ? 0 : -ENODEV;
}

FIXTURE_SETUP(unload)
{
	const char *env = getenv("BYTEOR_KO");
	unsigned int i;

	if (!bt_have_dev())
		BT_SETUP_SKIP("no %s: byteor.ko is not loaded", BT_DEV);
	if (bt_as_user())
		BT_SETUP_SKIP("root only: unloads and loads byteor.ko");
	if (env && *env)
		snprintf(self->ko, sizeof(self->ko), "%s", env);
	for (i = 0; !self->ko[0] && i < ARRAY_SIZE(ko_paths); i++)
		if (!access(ko_paths[i], R_OK))
			snprintf(self->ko, sizeof(self->ko), "%s", ko_paths[i]);
	if (!self->ko[0] || access(self->ko, R_OK))
		BT_SETUP_SKIP("no byteor.ko to load again (set BYTEOR_KO)");
	ASSERT_EQ(1, bt_module_loaded()) TH_LOG("/dev/byteor but no module byteor");
	ASSERT_EQ(0, read_params(self->params, sizeof(self->params)));
	self->free0 = bt_hugepages_free();
	BT_SETUP_NEED_HUGEPAGES(3, self->free0);
}

FIXTURE_TEARDOWN(unload)
{
	int ret;

	bt_res_release(&self->r);
	/* whatever happened, the programs after this one need the module */
	if (bt_module_loaded() == 0) {
		ret = load_module(self->ko, self->params);
		if (ret)
			TH_LOG("cannot load %s %s again: %s", self->ko, self->params,
			       strerror(-ret));
	}
}

TEST_F_TIMEOUT(unload, unload_waits_for_files_but_not_for_mappings, 120)
{
	const char *keep = bt_res_name(&self->r, "keep");
	const char *orphan = bt_res_name(&self->r, "orphan");
	struct byteor_attach a;
	unsigned char *m;
	size_t body;
	int fd, fd2, i;
	__u32 count;

	fd = bt_res_fd(&self->r, bt_open());
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bt_create(fd, keep, 4 << 20, NULL));
	ASSERT_EQ(0, bt_create(fd, orphan, 0, NULL));
	ASSERT_EQ(0, bt_attach(fd, keep, BYTEOR_ROLE_PRODUCER, &a));
	m = bt_res_map(&self->r, bt_map_rw(fd, a.info.size), a.info.size);
	ASSERT_NE(MAP_FAILED, m);
	body = a.info.size - BYTEOR_HEADER_SIZE;
	bt_fill(m + BYTEOR_HEADER_SIZE, body, 0xabc);
	fd2 = bt_res_fd(&self->r, bt_open());
	ASSERT_LE(0, fd2);

	/* an attached file and a bare one: both keep the module */
	EXPECT_EQ(-EWOULDBLOCK, unload_module());
	EXPECT_EQ(1, bt_module_loaded());
	bt_res_close(&self->r, fd);
	EXPECT_EQ(-EWOULDBLOCK, unload_module());
	EXPECT_EQ(1, bt_module_loaded());
	EXPECT_EQ(BYTEOR_MAGIC, ((struct byteor_region_header *)m)->magic);

	/* only the mapping is left: it does not hold the module */
	bt_res_close(&self->r, fd2);
	ASSERT_EQ(0, unload_module());
	EXPECT_EQ(0, bt_module_loaded());
	for (i = 0; i < 200 && bt_have_dev(); i++)
		usleep(10000);
	EXPECT_FALSE(bt_have_dev());

	/* the mapping outlives the module: read, write, read back */
	EXPECT_EQ((size_t)-1, bt_check(m + BYTEOR_HEADER_SIZE, body, 0xabc));
	bt_fill(m + BYTEOR_HEADER_SIZE, body, 0xdef);
	EXPECT_EQ((size_t)-1, bt_check(m + BYTEOR_HEADER_SIZE, body, 0xdef));
	EXPECT_EQ(BYTEOR_MAGIC, ((struct byteor_region_header *)m)->magic);
	/* the unmapped region went with the module; the mapped one stays */
	EXPECT_EQ(self->free0 - (long)(a.info.size / BT_2M),
		  bt_wait_hugepages_free(self->free0 - (long)(a.info.size / BT_2M),
					 2000));
	ASSERT_EQ(0, bt_res_unmap(&self->r, m));
	EXPECT_EQ(self->free0, bt_wait_hugepages_free(self->free0, 5000));

	/* and the module comes back, with nothing from before */
	ASSERT_EQ(0, load_module(self->ko, self->params)) {
		TH_LOG("insmod %s %s", self->ko, self->params);
	}
	EXPECT_EQ(1, bt_module_loaded());
	fd = bt_res_fd(&self->r, bt_open());
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bt_list(fd, NULL, 0, &count));
	EXPECT_EQ(0U, count);
	EXPECT_EQ(-ENOENT, bt_info(fd, keep, NULL));
	EXPECT_EQ(-ENOENT, bt_info(fd, orphan, NULL));
}

TEST_F_TIMEOUT(unload, generations_keep_growing_across_module_loads, 120)
{
	const char *name = bt_res_name(&self->r, "gen");
	struct byteor_attach a, b;
	unsigned char *m;
	int fd;

	fd = bt_res_fd(&self->r, bt_open());
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bt_create(fd, name, 0, NULL));
	ASSERT_EQ(0, bt_attach(fd, name, BYTEOR_ROLE_PRODUCER, &a));
	m = bt_res_map(&self->r, bt_map_rw(fd, a.info.size), a.info.size);
	ASSERT_NE(MAP_FAILED, m);
	bt_res_close(&self->r, fd);
	ASSERT_EQ(0, unload_module());
	ASSERT_EQ(0, load_module(self->ko, self->params));

	/*
	 * The old mapping outlived the module: the same name created by the
	 * new module must not repeat (or go below) the old generation.
	 */
	fd = bt_res_fd(&self->r, bt_open());
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bt_create(fd, name, 0, NULL));
	ASSERT_EQ(0, bt_attach(fd, name, BYTEOR_ROLE_PRODUCER, &b));
	EXPECT_EQ(a.info.generation,
		  ((struct byteor_region_header *)m)->generation);
	EXPECT_LT(a.info.generation, b.info.generation);
}

TEST_F_TIMEOUT(unload, absurd_max_regions_is_refused_at_load, 120)
{
	char params[600];

	ASSERT_EQ(0, unload_module());
	snprintf(params, sizeof(params), "%s max_regions=4294967295",
		 self->params);
	EXPECT_EQ(-EINVAL, load_module(self->ko, params));
	EXPECT_EQ(0, bt_module_loaded());
	snprintf(params, sizeof(params), "%s max_regions=65536", self->params);
	EXPECT_EQ(0, load_module(self->ko, params));
	EXPECT_EQ(0, unload_module());
	ASSERT_EQ(0, load_module(self->ko, self->params));
}

TEST_F(unload, reloaded_module_serves_a_full_lifecycle)
{
	const char *name = bt_res_name(&self->r, "again");
	unsigned long long regions;
	struct byteor_attach a;
	unsigned char *m;
	int fd = bt_res_fd(&self->r, bt_open());

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bt_create(fd, name, 0, NULL));
	ASSERT_EQ(0, bt_stat("regions", &regions));
	EXPECT_EQ(1ULL, regions);
	ASSERT_EQ(0, bt_attach(fd, name, BYTEOR_ROLE_CONSUMER, &a));
	m = bt_res_map(&self->r, bt_map_rw(fd, a.info.size), a.info.size);
	ASSERT_NE(MAP_FAILED, m);
	EXPECT_EQ(2048, bt_smaps_kernelpagesize(m));
	m[a.info.size - 1] = 1;
	ASSERT_EQ(0, bt_destroy(fd, name));
	ASSERT_EQ(0, bt_res_unmap(&self->r, m));
	bt_res_close(&self->r, fd);
	EXPECT_EQ(self->free0, bt_wait_hugepages_free(self->free0, 5000));
	ASSERT_EQ(0, bt_stat("regions", &regions));
	EXPECT_EQ(0ULL, regions);
}

TEST_HARNESS_MAIN
