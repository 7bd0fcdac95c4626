// SPDX-License-Identifier: GPL-2.0-only
/*
 * region_cli - byteorctl create / list / info / destroy on the userspace
 * backing: exit status (0 success, 1 failure, 2 bad usage), the JSON
 * output (parsed by python3, schema byteor.v1) and the error reports.
 * The binary is the one of this build flavour; env BYTEORCTL overrides.
 */
#include "kselftest_harness.h"
#include "host_test.h"

#ifndef HT_BYTEORCTL
#define HT_BYTEORCTL "byteorctl"
#endif

FIXTURE(cli) {
	struct ht_dir d;
	const char *ctl;
	char out[HT_PATH * 2];
};

FIXTURE_SETUP(cli)
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

FIXTURE_TEARDOWN(cli)
{
	ht_dir_teardown(&self->d);
}

/* Run byteorctl ARGS --dir <private> --backing user, stdout to self->out. */
#define CTL(args) ht_sh("%s " args " --backing user --dir %s > %s 2>%s.err",	\
			self->ctl, self->d.path, self->out, self->out)

/* Does the JSON in self->out satisfy the python expression over `d`? */
#define JSON_OK(expr)								\
	ht_sh("python3 -c \"import json, sys; d = json.load(open(sys.argv[1]));"	\
	      " sys.exit(0 if (" expr ") else 1)\" %s", self->out)

/* Does stderr mention @text? */
#define STDERR_HAS(text) ht_sh("grep -q -- '" text "' %s.err", self->out)

TEST_F(cli, create_list_info_destroy_round_trip_as_json)
{
	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, CTL("create md.eurusd --kind single-ring --slot-size 64 "
			 "--capacity 4096 --mode 0640 --json"));
	EXPECT_EQ(0, JSON_OK("d['schema'] == 'byteor.v1' and d['command'] == 'create'"
			     " and d['backing'] == 'user'"
			     " and d['region']['name'] == 'md.eurusd'"
			     " and d['region']['kind'] == 'single-ring'"
			     " and d['region']['mode'] == '0640'"
			     " and d['region']['size'] %% (2 << 20) == 0"
			     " and d['region']['geometry']['capacity'] == 4096"));
	ASSERT_EQ(0, CTL("create orders --kind events --slot-size 32 --capacity 256"
			 " --queues 4 --producers 3 --mpsc-mask 0x5"));
	ASSERT_EQ(0, CTL("list --json"));
	EXPECT_EQ(0, JSON_OK("d['schema'] == 'byteor.v1'"
			     " and [r['name'] for r in d['regions']] == ['md.eurusd', 'orders']"
			     " and d['regions'][1]['geometry']['mpsc_mask'] == 5"
			     " and d['regions'][1]['layout']['nr_claims'] == 12"));
	ASSERT_EQ(0, CTL("info orders --json"));
	EXPECT_EQ(0, JSON_OK("d['command'] == 'info' and d['region']['kind'] == 'events'"
			     " and d['region']['layout_version'] == 4"
			     " and d['region']['geometry']['producers'] == 3"
			     " and d['region']['nr_claims_held'] == 0"));
	ASSERT_EQ(0, CTL("destroy orders --json"));
	EXPECT_EQ(0, JSON_OK("d['command'] == 'destroy' and d['name'] == 'orders'"));
	ASSERT_EQ(0, CTL("list --json"));
	EXPECT_EQ(0, JSON_OK("[r['name'] for r in d['regions']] == ['md.eurusd']"));
}

TEST_F(cli, text_output_names_the_region)
{
	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, CTL("create r1 --kind fanout --slot-size 128 --capacity 512 --queues 3"));
	EXPECT_EQ(0, ht_sh("grep -q '^created r1: fanout' %s", self->out));
	ASSERT_EQ(0, CTL("list"));
	EXPECT_EQ(0, ht_sh("grep -q '^r1 .*fanout' %s", self->out));
	ASSERT_EQ(0, CTL("info r1"));
	EXPECT_EQ(0, ht_sh("grep -q '^kind: *fanout' %s", self->out));
	ASSERT_EQ(0, CTL("destroy r1"));
	EXPECT_EQ(0, ht_sh("grep -q '^destroyed r1' %s", self->out));
}

TEST_F(cli, every_kind_can_be_created)
{
	HT_SETUP_SKIPPED();
	EXPECT_EQ(0, CTL("create k1 --kind single-ring --slot-size 8 --capacity 2"));
	EXPECT_EQ(0, CTL("create k2 --kind events --slot-size 64 --capacity 64 --queues 2"));
	EXPECT_EQ(0, CTL("create k3 --kind fanout --slot-size 64 --capacity 64 --queues 2"));
	EXPECT_EQ(0, CTL("create k4 --kind journal --slot-size 1K --capacity 1M"));
	EXPECT_EQ(0, CTL("create k5 --kind sequenced-slots --slot-size 64 --capacity 64"
			 " --queues 3 --stage-deps 0,1,1"));
	ASSERT_EQ(0, CTL("info k5 --json"));
	EXPECT_EQ(0, JSON_OK("d['region']['geometry']['stage_deps'][:4] == [0, 1, 1, 0]"));
	ASSERT_EQ(0, CTL("info k4 --json"));
	EXPECT_EQ(0, JSON_OK("d['region']['geometry']['capacity'] == 1 << 20"
			     " and d['region']['layout']['aux']['size'] == 1 << 20"));
	EXPECT_EQ(0, CTL("create k6 --kind single-ring --slot-size 64 --capacity 64"
			 " --fixed"));
	ASSERT_EQ(0, CTL("info k6 --json"));
	EXPECT_EQ(0, JSON_OK("d['region']['geometry']['fixed'] is True"
			     " and d['region']['layout']['slot_stride'] == 64"));
	ASSERT_EQ(0, CTL("info k1 --json"));
	EXPECT_EQ(0, JSON_OK("d['region']['geometry']['fixed'] is False"
			     " and d['region']['geometry']['flags'] == 0"));
	/* Fixed-size is for single rings only: refused, exit 1. */
	EXPECT_EQ(1, CTL("create k7 --kind events --slot-size 64 --capacity 64"
			 " --fixed"));
	ASSERT_EQ(0, CTL("list --json"));
	EXPECT_EQ(0, JSON_OK("len(d['regions']) == 6"));
}

TEST_F(cli, failures_exit_1_with_a_json_error)
{
	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, CTL("create dup --kind single-ring --slot-size 64 --capacity 64"));
	EXPECT_EQ(1, CTL("create dup --kind single-ring --slot-size 64 --capacity 64 --json"));
	EXPECT_EQ(0, JSON_OK("d['schema'] == 'byteor.v1' and d['error']['errno'] == 17"
			     " and 'already exists' in d['error']['message']"));
	EXPECT_EQ(0, STDERR_HAS("create dup: a region with this name already exists"));
	EXPECT_EQ(1, CTL("info nosuch --json"));
	EXPECT_EQ(0, JSON_OK("d['error']['errno'] == 2"));
	EXPECT_EQ(1, CTL("destroy nosuch"));
	EXPECT_EQ(0, STDERR_HAS("no such region"));
	/* Well-formed usage, invalid geometry: the rule broken is named. */
	EXPECT_EQ(1, CTL("create bad --kind single-ring --slot-size 64 --capacity 1000"));
	EXPECT_EQ(1, CTL("create bad --kind journal --slot-size 64 --capacity 64"));
	EXPECT_EQ(1, CTL("create .bad --kind single-ring --slot-size 64 --capacity 64"));
	EXPECT_EQ(0, STDERR_HAS("the name may not start with"));
	ASSERT_EQ(0, CTL("list --json"));
	EXPECT_EQ(0, JSON_OK("[r['name'] for r in d['regions']] == ['dup']"));
}

TEST_F(cli, kernel_backing_without_module_fails_enoent)
{
	HT_SETUP_SKIPPED();
	if (!access(BYTEOR_DEVICE_PATH, F_OK))
		SKIP(return, "byteor.ko is loaded on this host");
	EXPECT_EQ(1, ht_sh("%s list --backing kernel --json > %s 2>/dev/null",
			   self->ctl, self->out));
	EXPECT_EQ(0, JSON_OK("d['backing'] == 'kernel' and d['error']['errno'] == 2"));
}

TEST_F(cli, corrupt_region_info_fails_cleanly)
{
	__u64 junk = 0;

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, CTL("create hurt --kind single-ring --slot-size 64 --capacity 64"));
	ASSERT_EQ(0, ht_scribble(self->d.path, "hurt", 0, &junk, sizeof(junk)));
	EXPECT_EQ(1, CTL("info hurt"));
	EXPECT_EQ(0, STDERR_HAS("not a byteor region"));
	ASSERT_EQ(0, CTL("list --json"));
	EXPECT_EQ(0, JSON_OK("d['regions'] == []"));
	EXPECT_EQ(0, CTL("destroy hurt"));
}

TEST_F(cli, bad_usage_exits_2)
{
	HT_SETUP_SKIPPED();
	EXPECT_EQ(2, ht_sh("%s > /dev/null 2>&1", self->ctl));
	EXPECT_EQ(2, CTL("frobnicate x"));
	EXPECT_EQ(0, STDERR_HAS("unknown command"));
	EXPECT_EQ(2, CTL("create x"));
	EXPECT_EQ(0, STDERR_HAS("--kind, --slot-size and --capacity are required"));
	EXPECT_EQ(2, CTL("create x --kind ring --slot-size 64 --capacity 64"));
	EXPECT_EQ(0, STDERR_HAS("unknown --kind"));
	EXPECT_EQ(2, CTL("create x --kind single-ring --slot-size 64 --capacity 12x"));
	EXPECT_EQ(2, CTL("create x --kind single-ring --slot-size -64 --capacity 64"));
	EXPECT_EQ(2, CTL("create x --kind single-ring --slot-size 99999999999 --capacity 64"));
	EXPECT_EQ(2, CTL("create x --kind single-ring --slot-size 64 --capacity 64 --mode 999"));
	EXPECT_EQ(2, CTL("create x --kind single-ring --slot-size 64 --capacity 64 --stage-deps 1,,x"));
	EXPECT_EQ(2, CTL("create x --kind single-ring --slot-size 64 --capacity 64 --bogus"));
	EXPECT_EQ(2, CTL("create x --kind single-ring --slot-size 64 --capacity"));
	EXPECT_EQ(2, CTL("create"));
	EXPECT_EQ(2, CTL("info"));
	EXPECT_EQ(0, STDERR_HAS("missing region NAME"));
	EXPECT_EQ(2, CTL("info a b"));
	EXPECT_EQ(2, CTL("list extra"));
	EXPECT_EQ(2, CTL("list --capacity 8"));
	EXPECT_EQ(2, ht_sh("%s list --backing floppy > /dev/null 2>&1", self->ctl));
	/* Global options may precede the command, not replace it. */
	EXPECT_EQ(2, ht_sh("%s --json > /dev/null 2>&1", self->ctl));
	EXPECT_EQ(2, ht_sh("%s --dir /tmp --json > /dev/null 2>&1", self->ctl));
	/* Nothing was created by any of it. */
	ASSERT_EQ(0, CTL("list --json"));
	EXPECT_EQ(0, JSON_OK("d['regions'] == []"));
}

TEST_F(cli, help_and_version_exit_0)
{
	HT_SETUP_SKIPPED();
	EXPECT_EQ(0, ht_sh("%s --help | grep -q '^usage: byteorctl'", self->ctl));
	EXPECT_EQ(0, ht_sh("%s help | grep -q 'create NAME --kind'", self->ctl));
	EXPECT_EQ(0, ht_sh("%s create --help | grep -q '^usage:'", self->ctl));
	EXPECT_EQ(0, ht_sh("%s --version | grep -q '^byteorctl %s (libbyteor %s)$'",
			   self->ctl, BYTEOR_VERSION_STRING, BYTEOR_VERSION_STRING));
	EXPECT_EQ(0, ht_sh("%s -V | grep -q '^byteorctl %s '", self->ctl,
			   BYTEOR_VERSION_STRING));
}

TEST_HARNESS_MAIN
