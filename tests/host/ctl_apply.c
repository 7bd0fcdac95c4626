// SPDX-License-Identifier: GPL-2.0-only
/*
 * ctl_apply - byteorctl apply on the userspace backing, each test with a
 * private region directory and a private regions.d: missing regions are
 * created, a second run changes nothing, a differing region is reported
 * (exit 3) and left as it is, a bad file is named FILE:LINE and nothing
 * is created, --dry-run changes nothing, --hugepages raises the pool (a
 * fake sysfs directory stands in for the kernel's) and undeclared regions
 * are never touched.
 * The binary is the one of this build flavour; env BYTEORCTL overrides.
 */
#include "kselftest_harness.h"
#include "host_test.h"

#ifndef HT_BYTEORCTL
#define HT_BYTEORCTL "byteorctl"
#endif

FIXTURE(apply) {
	struct ht_dir d;
	const char *ctl;
	char conf[HT_PATH];
	char out[HT_PATH * 2];
	char err[HT_PATH * 2];
};

FIXTURE_SETUP(apply)
{
	const char *env = getenv("BYTEORCTL");

	ASSERT_EQ(0, ht_shm_dir(&self->d));
	self->ctl = env && *env ? env : HT_BYTEORCTL;
	strcpy(self->conf, "/tmp/byteor-apply.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->conf));
	/* Outside the config dir: *.conf files only are read, but be plain. */
	snprintf(self->out, sizeof(self->out), "%s/.out", self->d.path);
	snprintf(self->err, sizeof(self->err), "%s/.err", self->d.path);
	if (access(self->ctl, X_OK))
		SKIP(return, "%s not built", self->ctl);
}

FIXTURE_TEARDOWN(apply)
{
	ht_sh("rm -rf '%s'", self->conf);
	ht_dir_teardown(&self->d);
}

/* Write @text to regions.d/@file. */
static int put(const char *conf, const char *file, const char *text)
{
	char path[HT_PATH * 2];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", conf, file);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

/* byteorctl apply ARGS on the private directories. */
#define APPLY(args) ht_sh("%s apply " args " --config-dir %s --backing user "	\
			  "--dir %s > %s 2>%s", self->ctl, self->conf,		\
			  self->d.path, self->out, self->err)
#define CTL(args) ht_sh("%s " args " --backing user --dir %s > %s 2>%s",	\
			self->ctl, self->d.path, self->out, self->err)
#define STDOUT_HAS(re) ht_sh("grep -q -- '" re "' %s", self->out)
#define STDERR_HAS(re) ht_sh("grep -q -- '" re "' %s", self->err)

static const char two_regions[] =
	"# market data\n"
	"[md.eurusd]\n"
	"kind = single-ring\n"
	"slot-size = 64\n"
	"capacity = 4096\n"
	"mode = 0640\n"
	"\n"
	"[orders]\n"
	"kind = events\n"
	"slot_size = 32\n"
	"capacity = 256\n"
	"queues = 4\n"
	"producers = 3\n"
	"mpsc-mask = 0x5\n";

static int region_count(const char *dir)
{
	return byteor_region_list(BYTEOR_BACKING_USER, dir, NULL, 0);
}

TEST_F(apply, creates_missing_regions_and_a_second_run_changes_nothing)
{
	struct byteor_region_info info, again;

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, put(self->conf, "10-md.conf", two_regions));
	ASSERT_EQ(0, APPLY(""));
	EXPECT_EQ(0, STDOUT_HAS("^created md.eurusd: single-ring"));
	EXPECT_EQ(0, STDOUT_HAS("^created orders: events"));
	ASSERT_EQ(0, byteor_region_info("md.eurusd", BYTEOR_BACKING_USER,
					self->d.path, &info));
	EXPECT_EQ(4096, info.geometry.capacity);
	EXPECT_EQ(0640, info.mode & 0777);
	ASSERT_EQ(0, byteor_region_info("orders", BYTEOR_BACKING_USER,
					self->d.path, &info));
	EXPECT_EQ(4, info.geometry.queues);
	EXPECT_EQ(3, info.geometry.producers);
	EXPECT_EQ(5, info.geometry.mpsc_mask);
	EXPECT_EQ(0660, info.mode & 0777);
	/* The generation says whether a region was made again. */
	ASSERT_EQ(0, APPLY(""));
	EXPECT_EQ(0, STDOUT_HAS("^unchanged md.eurusd$"));
	EXPECT_EQ(0, STDOUT_HAS("^unchanged orders$"));
	EXPECT_NE(0, STDOUT_HAS("^created"));
	ASSERT_EQ(0, byteor_region_info("orders", BYTEOR_BACKING_USER,
					self->d.path, &again));
	EXPECT_EQ(info.generation, again.generation);
	EXPECT_EQ(2, region_count(self->d.path));
}

TEST_F(apply, reports_a_differing_region_with_exit_status_3_and_leaves_it)
{
	struct byteor_region_info info;

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, put(self->conf, "10-md.conf", two_regions));
	ASSERT_EQ(0, APPLY(""));
	/* The same names, another capacity and mode. */
	ASSERT_EQ(0, put(self->conf, "10-md.conf",
			 "[md.eurusd]\nkind = single-ring\nslot-size = 64\n"
			 "capacity = 1024\nmode = 0600\n"
			 "[orders]\nkind = events\nslot-size = 32\ncapacity = 256\n"
			 "queues = 4\nproducers = 3\nmpsc-mask = 5\n"
			 "[new]\nkind = journal\nslot-size = 1K\ncapacity = 1M\n"));
	EXPECT_EQ(3, APPLY(""));
	EXPECT_EQ(0, STDOUT_HAS("^differs md.eurusd (.*10-md.conf:1): capacity "
				"1024 declared, 4096 in place$"));
	EXPECT_EQ(0, STDOUT_HAS("^differs md.eurusd .*mode 0600 declared, 0640 "
				"in place$"));
	EXPECT_EQ(0, STDOUT_HAS("^unchanged orders$"));
	/* What is missing is still created. */
	EXPECT_EQ(0, STDOUT_HAS("^created new: journal"));
	ASSERT_EQ(0, byteor_region_info("md.eurusd", BYTEOR_BACKING_USER,
					self->d.path, &info));
	EXPECT_EQ(4096, info.geometry.capacity);
	EXPECT_EQ(0640, info.mode & 0777);
	EXPECT_EQ(3, region_count(self->d.path));
}

TEST_F(apply, a_bad_file_is_named_with_its_line_and_nothing_is_created)
{
	HT_SETUP_SKIPPED();
	/* A good file read first: it must not be applied either. */
	ASSERT_EQ(0, put(self->conf, "10-md.conf", two_regions));
	ASSERT_EQ(0, put(self->conf, "20-bad.conf",
			 "[fine]\nkind = fanout\nslot-size = 64\ncapacity = 64\n"
			 "queues = 2\n\n[broken]\nkind = events\n"
			 "capacity = lots\n"));
	EXPECT_EQ(2, APPLY(""));
	EXPECT_EQ(0, STDERR_HAS("20-bad.conf:9: capacity: .lots. is not a number"));
	EXPECT_EQ(0, region_count(self->d.path));

	/* Each kind of mistake names its line. */
	ASSERT_EQ(0, put(self->conf, "20-bad.conf", "kind = events\n"));
	EXPECT_EQ(2, APPLY(""));
	EXPECT_EQ(0, STDERR_HAS("20-bad.conf:1: .kind. before any \\[NAME\\] section"));
	ASSERT_EQ(0, put(self->conf, "20-bad.conf", "\n[x]\ncolour = red\n"));
	EXPECT_EQ(2, APPLY(""));
	EXPECT_EQ(0, STDERR_HAS("20-bad.conf:3: unknown key .colour."));
	ASSERT_EQ(0, put(self->conf, "20-bad.conf", "[x]\nkind = events\n"));
	EXPECT_EQ(2, APPLY(""));
	EXPECT_EQ(0, STDERR_HAS("20-bad.conf:1: region .x.: kind, slot-size and "
				"capacity are required"));
	ASSERT_EQ(0, put(self->conf, "20-bad.conf",
			 "[orders]\nkind = events\nslot-size = 8\ncapacity = 8\n"));
	EXPECT_EQ(2, APPLY(""));
	EXPECT_EQ(0, STDERR_HAS("20-bad.conf:1: region .orders. is already declared "
				"at .*10-md.conf:8"));
	ASSERT_EQ(0, put(self->conf, "20-bad.conf",
			 "[x]\nkind = single-ring\nslot-size = 64\ncapacity = 1000\n"));
	EXPECT_EQ(2, APPLY(""));
	EXPECT_EQ(0, STDERR_HAS("20-bad.conf:1: region .x.: the geometry is not valid"));
	ASSERT_EQ(0, put(self->conf, "20-bad.conf", "[.hidden]\n"));
	EXPECT_EQ(2, APPLY(""));
	EXPECT_EQ(0, STDERR_HAS("20-bad.conf:1: bad region name"));
	ASSERT_EQ(0, put(self->conf, "20-bad.conf",
			 "[x]\nkind = events\nowner = no-such-user-byteor\n"));
	EXPECT_EQ(2, APPLY(""));
	EXPECT_EQ(0, STDERR_HAS("20-bad.conf:3: owner: no user .no-such-user-byteor."));
	ASSERT_EQ(0, put(self->conf, "20-bad.conf",
			 "[x]\nkind = events\nkind = fanout\n"));
	EXPECT_EQ(2, APPLY(""));
	EXPECT_EQ(0, STDERR_HAS("20-bad.conf:3: .kind. given twice"));
	EXPECT_EQ(0, region_count(self->d.path));
}

TEST_F(apply, a_region_that_cannot_be_looked_up_stops_it_before_any_change)
{
	struct byteor_region_info info;

	HT_SETUP_SKIPPED();
	/* A file in the region's place that is no region: info says EPROTO. */
	ASSERT_EQ(0, ht_sh("head -c 8192 /dev/zero > %s/byteor.orders", self->d.path));
	ASSERT_EQ(0, put(self->conf, "10-md.conf", two_regions));
	EXPECT_EQ(1, APPLY(""));
	EXPECT_EQ(0, STDERR_HAS("orders (.*10-md.conf:8): cannot look it up: .*"
				"nothing changed"));
	EXPECT_EQ(-ENOENT, byteor_region_info("md.eurusd", BYTEOR_BACKING_USER,
					      self->d.path, &info));
}

TEST_F(apply, dry_run_creates_nothing_and_says_what_it_would_do)
{
	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, put(self->conf, "10-md.conf", two_regions));
	ASSERT_EQ(0, APPLY("--dry-run"));
	EXPECT_EQ(0, STDOUT_HAS("^would create md.eurusd: single-ring, 2097152 bytes$"));
	EXPECT_EQ(0, STDOUT_HAS("^would create orders: events"));
	EXPECT_EQ(0, region_count(self->d.path));
}

TEST_F(apply, never_touches_a_region_no_file_declares)
{
	struct byteor_region_info before, after;

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, CTL("create mine --kind single-ring --slot-size 8 --capacity 8"));
	ASSERT_EQ(0, byteor_region_info("mine", BYTEOR_BACKING_USER, self->d.path,
					&before));
	ASSERT_EQ(0, put(self->conf, "10-md.conf", two_regions));
	ASSERT_EQ(0, APPLY(""));
	ASSERT_EQ(0, byteor_region_info("mine", BYTEOR_BACKING_USER, self->d.path,
					&after));
	EXPECT_EQ(before.generation, after.generation);
	EXPECT_EQ(3, region_count(self->d.path));
}

TEST_F(apply, an_empty_or_missing_config_dir_declares_nothing)
{
	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, APPLY(""));
	ASSERT_EQ(0, put(self->conf, "notes.txt", "[x]\nnot a conf file\n"));
	ASSERT_EQ(0, APPLY(""));
	ASSERT_EQ(0, ht_sh("rm -rf '%s'", self->conf));
	ASSERT_EQ(0, APPLY(""));
	EXPECT_EQ(0, region_count(self->d.path));
}

/* A fake sysfs pool: nr_hugepages and free_hugepages as plain files. */
static int fake_pool(const char *conf, char *dir, size_t len, int nr, int free_)
{
	char path[HT_PATH * 3];
	FILE *f;

	snprintf(dir, len, "%s/pool", conf);
	if (mkdir(dir, 0700))
		return -1;
	snprintf(path, sizeof(path), "%s/nr_hugepages", dir);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "%d\n", nr);
	fclose(f);
	snprintf(path, sizeof(path), "%s/free_hugepages", dir);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "%d\n", free_);
	return fclose(f);
}

static int read_int(const char *dir, const char *file)
{
	char path[HT_PATH * 3];
	int v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%d", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

TEST_F(apply, hugepages_raise_the_pool_by_what_missing_regions_need)
{
	char pool[HT_PATH * 2];

	HT_SETUP_SKIPPED();
	/* 2 MiB + 8 MiB of journal + header: 2 + 5 pages. */
	ASSERT_EQ(0, put(self->conf, "10-md.conf",
			 "[a]\nkind = single-ring\nslot-size = 64\ncapacity = 64\n"
			 "[b]\nkind = journal\nslot-size = 1K\ncapacity = 8M\n"));
	ASSERT_EQ(0, fake_pool(self->conf, pool, sizeof(pool), 10, 3));
	setenv("BYTEOR_HUGEPAGES_SYSFS", pool, 1);
	ASSERT_EQ(0, APPLY("--hugepages --dry-run"));
	EXPECT_EQ(0, STDOUT_HAS("^hugepages: 6 of 2 MiB needed by 2 regions"));
	EXPECT_EQ(0, STDOUT_HAS("would raise the pool from 10 to 13$"));
	EXPECT_EQ(10, read_int(pool, "nr_hugepages"));
	EXPECT_EQ(0, region_count(self->d.path));
	ASSERT_EQ(0, APPLY("--hugepages"));
	EXPECT_EQ(13, read_int(pool, "nr_hugepages"));
	EXPECT_EQ(0, STDOUT_HAS("^created b: journal, 10485760 bytes$"));
	/* Everything exists now: the pool is left alone. */
	ASSERT_EQ(0, APPLY("--hugepages"));
	EXPECT_EQ(0, STDOUT_HAS("^hugepages: 0 of 2 MiB needed by 0 regions"));
	EXPECT_EQ(13, read_int(pool, "nr_hugepages"));
	unsetenv("BYTEOR_HUGEPAGES_SYSFS");
}

TEST_F(apply, owner_and_group_are_set_on_creation)
{
	struct byteor_region_info info;

	HT_SETUP_SKIPPED();
	if (geteuid())
		SKIP(return, "chown needs root");
	ASSERT_EQ(0, put(self->conf, "10-own.conf",
			 "[owned]\nkind = single-ring\nslot-size = 64\n"
			 "capacity = 64\nowner = 65534\ngroup = 65533\n"));
	ASSERT_EQ(0, APPLY(""));
	ASSERT_EQ(0, byteor_region_info("owned", BYTEOR_BACKING_USER, self->d.path,
					&info));
	EXPECT_EQ(65534, info.uid);
	EXPECT_EQ(65533, info.gid);
	ASSERT_EQ(0, APPLY(""));
	EXPECT_EQ(0, STDOUT_HAS("^unchanged owned$"));
	ASSERT_EQ(0, put(self->conf, "10-own.conf",
			 "[owned]\nkind = single-ring\nslot-size = 64\n"
			 "capacity = 64\nowner = 65534\ngroup = 0\n"));
	EXPECT_EQ(3, APPLY(""));
	EXPECT_EQ(0, STDOUT_HAS("^differs owned .*group 0 declared, 65533 in place$"));
}

TEST_HARNESS_MAIN
