// SPDX-License-Identifier: GPL-2.0-only
/*
 * ctl_admin - byteorctl as a host's operator uses it, on the userspace
 * backing: create gives a region an owner and group (--owner, --group, by
 * name or number; an unknown one is an error and creates nothing), list
 * shows owner, group, mode and access for every region - those the caller
 * may not open too, marked - with sizes human-readable (--bytes for raw),
 * each subcommand's --help states its rules, -V works anywhere, and a
 * --dir on a disk file system draws a warning at create.
 *
 * Other users are played with setpriv(1) as nobody; those tests need root
 * and skip without it.
 */
#include "kselftest_harness.h"
#include "host_test.h"

#ifndef HT_BYTEORCTL
#define HT_BYTEORCTL "byteorctl"
#endif

FIXTURE(adm) {
	struct ht_dir d;
	const char *ctl;
	char out[HT_PATH * 2];
};

FIXTURE_SETUP(adm)
{
	const char *env = getenv("BYTEORCTL");

	ASSERT_EQ(0, ht_shm_dir(&self->d));
	self->ctl = env && *env ? env : HT_BYTEORCTL;
	snprintf(self->out, sizeof(self->out), "%s/.out", self->d.path);
	if (access(self->ctl, X_OK))
		SKIP(return, "%s not built", self->ctl);
	if (ht_sh("python3 -c 'import json' 2>/dev/null"))
		SKIP(return, "python3 is needed to parse the JSON output");
}

FIXTURE_TEARDOWN(adm)
{
	ht_dir_teardown(&self->d);
}

#define CTL(args) ht_sh("%s " args " --backing user --dir %s > %s 2>%s.err",	\
			self->ctl, self->d.path, self->out, self->out)

/* The same, as user nobody (group nogroup, no supplementary groups). */
#define CTL_NOBODY(args)							\
	ht_sh("setpriv --reuid=65534 --regid=65534 --clear-groups %s " args	\
	      " --backing user --dir %s > %s 2>%s.err", self->ctl,		\
	      self->d.path, self->out, self->out)

#define JSON_OK(expr)								\
	ht_sh("python3 -c \"import json, sys; d = json.load(open(sys.argv[1]));"	\
	      " sys.exit(0 if (" expr ") else 1)\" %s", self->out)

#define OUT_HAS(re) ht_sh("grep -q -- '" re "' %s", self->out)
#define ERR_HAS(re) ht_sh("grep -q -- '" re "' %s.err", self->out)

#define RING "--kind single-ring --slot-size 64 --capacity 4096"

static bool root(void)
{
	return geteuid() == 0 && !ht_sh("command -v setpriv > /dev/null");
}

/* Let nobody search the private directory, as /dev/shm lets anyone. */
static int open_dir(const char *dir)
{
	return chmod(dir, 01777);
}

TEST_F(adm, create_sets_owner_and_group_by_name_or_number)
{
	HT_SETUP_SKIPPED();
	if (!root())
		SKIP(return, "giving a region away needs root (and setpriv)");
	ASSERT_EQ(0, CTL("create r1 " RING " --owner nobody --group nogroup"
			 " --mode 0640 --json"));
	EXPECT_EQ(0, JSON_OK("d['region']['uid'] == 65534 and d['region']['gid'] == 65534"
			     " and d['region']['owner'] == 'nobody'"
			     " and d['region']['group'] == 'nogroup'"
			     " and d['region']['mode'] == '0640'"));
	ASSERT_EQ(0, CTL("create r2 " RING " --owner 4242 --group 4343"));
	ASSERT_EQ(0, CTL("info r2 --json"));
	/* A number no database names: kept as is, the number as its name. */
	EXPECT_EQ(0, JSON_OK("d['region']['uid'] == 4242 and d['region']['gid'] == 4343"
			     " and d['region']['owner'] == '4242'"));
	ASSERT_EQ(0, CTL("info r2"));
	EXPECT_EQ(0, OUT_HAS("^owner: *4242:4343 mode 0660"));
	/* --group alone keeps the caller as the owner. */
	ASSERT_EQ(0, CTL("create r3 " RING " --group nogroup --json"));
	EXPECT_EQ(0, JSON_OK("d['region']['uid'] == 0 and d['region']['gid'] == 65534"));
}

TEST_F(adm, unknown_owner_or_group_is_an_error_and_creates_nothing)
{
	HT_SETUP_SKIPPED();
	EXPECT_EQ(2, CTL("create r1 " RING " --owner no-such-user-here"));
	EXPECT_EQ(0, ERR_HAS("unknown user .no-such-user-here."));
	EXPECT_EQ(2, CTL("create r1 " RING " --group no-such-group-here"));
	EXPECT_EQ(0, ERR_HAS("unknown group .no-such-group-here."));
	EXPECT_EQ(2, CTL("create r1 " RING " --owner 12x"));
	EXPECT_EQ(2, CTL("create r1 " RING " --owner -1"));
	EXPECT_EQ(2, CTL("create r1 " RING " --owner 4294967295"));
	EXPECT_EQ(2, CTL("create r1 " RING " --owner ''"));
	EXPECT_EQ(2, CTL("list --owner root"));
	EXPECT_EQ(0, ERR_HAS("only valid with create"));
	ASSERT_EQ(0, CTL("list --json"));
	EXPECT_EQ(0, JSON_OK("d['regions'] == []"));
}

TEST_F(adm, giving_a_region_away_without_the_right_fails_and_creates_nothing)
{
	HT_SETUP_SKIPPED();
	if (!root())
		SKIP(return, "needs root to play another user (setpriv)");
	ASSERT_EQ(0, open_dir(self->d.path));
	EXPECT_EQ(1, CTL_NOBODY("create r1 " RING " --owner root"));
	EXPECT_EQ(0, ERR_HAS("create r1: "));
	ASSERT_EQ(0, CTL("list --json"));
	EXPECT_EQ(0, JSON_OK("d['regions'] == []"));
	EXPECT_EQ(0, ht_sh("test -z \"$(ls -A %s | grep -v '^\\.out')\"",
			   self->d.path));
}

TEST_F(adm, list_shows_owner_group_mode_access_and_human_sizes)
{
	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, CTL("create r1 " RING " --mode 0640"));
	ASSERT_EQ(0, CTL("create big --kind journal --slot-size 1K --capacity 8M"));
	ASSERT_EQ(0, CTL("list"));
	EXPECT_EQ(0, OUT_HAS("^NAME .*OWNER .*GROUP .*MODE .*ACCESS .*CLAIMS"));
	EXPECT_EQ(0, OUT_HAS("^r1 .* 2.0M .* root .* root .* 0640 .* rw "));
	EXPECT_EQ(0, OUT_HAS("^big .* 10.0M "));
	ASSERT_EQ(0, CTL("list --bytes"));
	EXPECT_EQ(0, OUT_HAS("^r1 .* 2097152 "));
	EXPECT_EQ(0, OUT_HAS("^big .* 10485760 "));
	ASSERT_EQ(0, CTL("list --json"));
	EXPECT_EQ(0, JSON_OK("[(r['name'], r['owner'], r['group'], r['access'], r['size'])"
			     " for r in d['regions']] == [('big', 'root', 'root', 'rw', 10485760),"
			     " ('r1', 'root', 'root', 'rw', 2097152)]"));
	EXPECT_EQ(2, CTL("info r1 --bytes"));
}

TEST_F(adm, list_shows_regions_the_caller_may_not_open_marked)
{
	HT_SETUP_SKIPPED();
	if (!root())
		SKIP(return, "needs root to play another user (setpriv)");
	ASSERT_EQ(0, open_dir(self->d.path));
	ASSERT_EQ(0, CTL("create secret " RING " --mode 0600"));
	ASSERT_EQ(0, CTL("create peek " RING " --mode 0644"));
	ASSERT_EQ(0, CTL("create open " RING " --mode 0666"));
	ASSERT_EQ(0, CTL_NOBODY("list"));
	/* Unreadable: listed with what its inode says; kind unknown. */
	EXPECT_EQ(0, OUT_HAS("^secret  *-  *2.0M  *-  *-  *-  *root  *root  *0600  *-  *-$"));
	EXPECT_EQ(0, OUT_HAS("^peek .*single-ring.* 0644 .* r "));
	EXPECT_EQ(0, OUT_HAS("^open .*single-ring.* 0666 .* rw "));
	EXPECT_EQ(0, OUT_HAS("may not be read by this user"));
	ASSERT_EQ(0, CTL_NOBODY("list --json"));
	EXPECT_EQ(0, JSON_OK("[(r['name'], r['access'], r['readable']) for r in d['regions']]"
			     " == [('open', 'rw', True), ('peek', 'r', True),"
			     " ('secret', '-', False)]"
			     " and d['regions'][2]['kind'] is None"
			     " and d['regions'][2]['mode'] == '0600'"
			     " and d['regions'][2]['uid'] == 0"));
	/* root may open all of them. */
	ASSERT_EQ(0, CTL("list --json"));
	EXPECT_EQ(0, JSON_OK("[r['access'] for r in d['regions']] == ['rw'] * 3"));
}

TEST_F(adm, each_subcommand_help_states_its_rules)
{
	HT_SETUP_SKIPPED();
	EXPECT_EQ(0, CTL("create --help"));
	EXPECT_EQ(0, OUT_HAS("^usage: byteorctl create NAME"));
	EXPECT_EQ(0, OUT_HAS("power of two"));
	EXPECT_EQ(0, OUT_HAS("multiple of 8"));
	EXPECT_EQ(0, OUT_HAS("A-Za-z0-9._-"));
	EXPECT_EQ(0, OUT_HAS("--owner USER|UID"));
	EXPECT_EQ(0, CTL("destroy --help"));
	EXPECT_EQ(0, OUT_HAS("^usage: byteorctl destroy NAME"));
	EXPECT_EQ(0, OUT_HAS("--force"));
	EXPECT_EQ(0, CTL("list --help"));
	EXPECT_EQ(0, OUT_HAS("^usage: byteorctl list"));
	EXPECT_EQ(0, OUT_HAS("--bytes"));
	EXPECT_EQ(0, CTL("info --help"));
	EXPECT_EQ(0, OUT_HAS("^usage: byteorctl info NAME"));
	EXPECT_EQ(0, CTL("remove-stage --help"));
	EXPECT_EQ(0, OUT_HAS("^usage: byteorctl remove-stage NAME STAGE"));
	/* Nothing was created by asking. */
	ASSERT_EQ(0, CTL("list --json"));
	EXPECT_EQ(0, JSON_OK("d['regions'] == []"));
}

TEST_F(adm, version_option_works_anywhere)
{
	HT_SETUP_SKIPPED();
	EXPECT_EQ(0, CTL("list -V"));
	EXPECT_EQ(0, OUT_HAS("^byteorctl [0-9.]* (libbyteor [0-9.]*)$"));
	EXPECT_EQ(0, ht_sh("%s --json -V > %s", self->ctl, self->out));
	EXPECT_EQ(0, OUT_HAS("^byteorctl [0-9.]* (libbyteor"));
	EXPECT_EQ(0, CTL("create r1 " RING " -V"));
	/* -V answers, nothing else runs. */
	ASSERT_EQ(0, CTL("list --json"));
	EXPECT_EQ(0, JSON_OK("d['regions'] == []"));
}

TEST_F(adm, create_in_a_dir_on_a_disk_filesystem_warns)
{
	char disk[HT_PATH];

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, CTL("create mem " RING));
	EXPECT_NE(0, ERR_HAS("warning"));
	/* The build tree is on a disk here if /dev/shm is not the same fs. */
	snprintf(disk, sizeof(disk), "%s/ctl_admin.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/var/tmp");
	ASSERT_NE(NULL, mkdtemp(disk));
	if (ht_sh("test \"$(stat -f -c %%T %s)\" != tmpfs", disk)) {
		ht_rm_dir(disk);
		SKIP(return, "%s is tmpfs: no disk file system to try", disk);
	}
	EXPECT_EQ(0, ht_sh("%s create ondisk " RING " --backing user --dir %s"
			   " > %s 2>%s.err", self->ctl, disk, self->out, self->out));
	EXPECT_EQ(0, ERR_HAS("warning: .* is on a disk file system"));
	EXPECT_EQ(0, ERR_HAS("tmpfs or hugetlbfs"));
	/* A warning, not a refusal: created, and stdout as usual. */
	EXPECT_EQ(0, OUT_HAS("^created ondisk"));
	/* JSON on stdout stays one object; the warning is on stderr. */
	EXPECT_EQ(0, ht_sh("%s destroy ondisk --backing user --dir %s --json"
			   " > %s 2>%s.err", self->ctl, disk, self->out, self->out));
	EXPECT_EQ(0, JSON_OK("d['command'] == 'destroy'"));
	ht_rm_dir(disk);
}

TEST_HARNESS_MAIN
