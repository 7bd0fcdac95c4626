// SPDX-License-Identifier: GPL-2.0-only
/*
 * ctl_rules - byteorctl says which rule a request breaks: create's
 * messages name the rule and the value (and a sweep of requests shows
 * they refuse exactly what byteor_geometry_check() and byteor_name_valid()
 * refuse), the kernel backing without the module says so, stat --json of
 * a missing region prints a JSON error, global options may come before
 * the command, and destroy refuses a region with live attachments, naming
 * them, unless --force; integers above 2^53 - 1 in JSON are strings.
 */
#include <grp.h>
#include <signal.h>
#include "kselftest_harness.h"
#include "host_test.h"
#include "single_ring_test.h"
#include "../../ulib/tools/ctl_rules.c"
#include "../../ulib/tools/ctl_json.c"
#include "../../ulib/tools/ctl_owner.c"

#ifndef HT_BYTEORCTL
#define HT_BYTEORCTL "byteorctl"
#endif

/* Every combination below: a rule found exactly when the ABI refuses. */
TEST(create_rules_refuse_exactly_what_the_abi_refuses)
{
	static const __u32 kinds[] = {
		BYTEOR_KIND_SINGLE_RING, BYTEOR_KIND_EVENTS_CHAIN,
		BYTEOR_KIND_FANOUT, BYTEOR_KIND_JOURNAL,
		BYTEOR_KIND_SEQUENCED_SLOTS, 99,
	};
	static const __u32 slots[] = { 0, 4, 8, 12, 16, 1024, 65536, 65544 };
	static const __u32 caps[] = { 0, 1, 2, 3, 1000, 1024, 4096, 1U << 30,
				      1U << 31 };
	static const __u32 queues[] = { 0, 1, 2, 64, 65 };
	static const __u32 prods[] = { 0, 1, 2, 3000 };
	static const __u64 masks[] = { 0, 1, 4, 1ULL << 63 };
	static const __u32 deps1[] = { 0, 1, 2 };
	static const char *const names[] = {
		"md.eurusd", "", ".hidden", "a/b", "a b", "ok_-.9",
		"0123456789012345678901234567890123456789012345678901234567890123",
	};
	unsigned int k, a, b, q, p, m, d, f, n, checked = 0;
	struct byteor_geometry g;
	char buf[160], nm[BYTEOR_NAME_MAX];
	const char *rule;
	int abi;

	for (k = 0; k < ARRAY_SIZE(kinds); k++)
	for (a = 0; a < ARRAY_SIZE(slots); a++)
	for (b = 0; b < ARRAY_SIZE(caps); b++)
	for (q = 0; q < ARRAY_SIZE(queues); q++)
	for (p = 0; p < ARRAY_SIZE(prods); p++)
	for (m = 0; m < ARRAY_SIZE(masks); m++)
	for (d = 0; d < ARRAY_SIZE(deps1); d++)
	for (f = 0; f < 2; f++) {
		memset(&g, 0, sizeof(g));
		g.slot_size = slots[a];
		g.capacity = caps[b];
		g.queues = queues[q];
		g.producers = prods[p];
		g.mpsc_mask = masks[m];
		g.stage_deps[1] = deps1[d];
		g.flags = f ? BYTEOR_GEOM_F_FIXED : 0;
		abi = byteor_geometry_check(kinds[k], &g);
		rule = __byteorctl_create_rule("ok", kinds[k], &g, buf,
					       sizeof(buf));
		ASSERT_EQ(abi == 0, rule == NULL)
			TH_LOG("kind %u slot %u cap %u queues %u producers %u"
			       " mask %llx deps1 %u fixed %u: abi %d, rule %s",
			       kinds[k], g.slot_size, g.capacity, g.queues,
			       g.producers, (unsigned long long)g.mpsc_mask,
			       deps1[d], f, abi, rule ? rule : "(none)");
		checked++;
	}
	memset(&g, 0, sizeof(g));
	g.slot_size = 64;
	g.capacity = 1024;
	g.queues = 1;
	g.producers = 1;
	for (n = 0; n < ARRAY_SIZE(names); n++) {
		memset(nm, 0, sizeof(nm));
		strncpy(nm, names[n], sizeof(nm) - 1);
		abi = strlen(names[n]) >= BYTEOR_NAME_MAX ? -ENAMETOOLONG :
			byteor_name_valid(nm);
		rule = __byteorctl_create_rule(names[n], BYTEOR_KIND_SINGLE_RING,
					       &g, buf, sizeof(buf));
		EXPECT_EQ(abi == 0, rule == NULL) TH_LOG("name '%s'", names[n]);
	}
	TH_LOG("%u geometries, %u names", checked, n);
}

/* What --json output becomes: integers above 2^53 - 1 quoted, nothing else. */
static void exact(const char *in, char *out, size_t cap)
{
	FILE *f = fmemopen(out, cap, "w");

	__byteorctl_json_exact_write(in, strlen(in), f);
	fclose(f);
}

TEST(json_integers_above_2_pow_53_are_strings_and_nothing_else_changes)
{
	char out[512];

	exact("{\"a\":9007199254740991,\"b\":9007199254740992,"
	      "\"c\":18446744073709551615,\"d\":-5,\"e\":1.5e300,"
	      "\"f\":\"99999999999999999999\",\"g\":[0,12345678901234567890],"
	      "\"h\":\"x\\\"9007199254740993\"}", out, sizeof(out));
	EXPECT_STREQ("{\"a\":9007199254740991,\"b\":\"9007199254740992\","
		     "\"c\":\"18446744073709551615\",\"d\":-5,\"e\":1.5e300,"
		     "\"f\":\"99999999999999999999\",\"g\":[0,\"12345678901234567890\"],"
		     "\"h\":\"x\\\"9007199254740993\"}", out);
}

FIXTURE(cr) {
	struct ht_dir d;
	const char *ctl;
	char out[HT_PATH * 2];
};

FIXTURE_SETUP(cr)
{
	const char *env = getenv("BYTEORCTL");

	ASSERT_EQ(0, ht_shm_dir(&self->d));
	self->ctl = env && *env ? env : HT_BYTEORCTL;
	snprintf(self->out, sizeof(self->out), "%s/.out", self->d.path);
	if (access(self->ctl, X_OK))
		SKIP(return, "%s not built", self->ctl);
}

FIXTURE_TEARDOWN(cr)
{
	ht_dir_teardown(&self->d);
}

/* byteorctl ARGS, then --backing user --dir <private>; out and err kept. */
#define CTL(args) ht_sh("%s " args " --backing user --dir %s > %s 2>%s.err", \
			self->ctl, self->d.path, self->out, self->out)
#define OUT_HAS(text) ht_sh("grep -q -- '" text "' %s", self->out)
#define ERR_HAS(text) ht_sh("grep -q -- '" text "' %s.err", self->out)

TEST_F(cr, create_errors_name_the_rule_and_the_value)
{
	HT_SETUP_SKIPPED();
	EXPECT_NE(0, CTL("create r --kind single-ring --slot-size 64 --capacity 1000"));
	EXPECT_EQ(0, ERR_HAS("capacity must be a power of two, at least 2 (got 1000)"));
	EXPECT_NE(0, CTL("create r --kind single-ring --slot-size 12 --capacity 1024"));
	EXPECT_EQ(0, ERR_HAS("slot size must be a multiple of 8 from 8 to 65536 (got 12)"));
	EXPECT_NE(0, CTL("create a/b --kind single-ring --slot-size 64 --capacity 1024"));
	EXPECT_EQ(0, ERR_HAS("the name may use \\[A-Za-z0-9._-\\], not '\"'\"'/'\"'\"'"));
	EXPECT_NE(0, CTL("create j --kind journal --slot-size 64 --capacity 1024"));
	EXPECT_EQ(0, ERR_HAS("at least 4096 (got 1024)"));
	/* As JSON too, and nothing was created. */
	EXPECT_NE(0, CTL("create r --kind single-ring --slot-size 64 --capacity 1000 --json"));
	EXPECT_EQ(0, OUT_HAS("\"error\":{\"errno\":22,\"message\":\"capacity must be"));
	EXPECT_EQ(0, CTL("list"));
	EXPECT_NE(0, OUT_HAS(" r "));
	EXPECT_NE(0, OUT_HAS("a/b"));
}

TEST_F(cr, the_kernel_backing_without_the_module_says_the_module_is_not_loaded)
{
	HT_SETUP_SKIPPED();
	if (!access("/dev/byteor", F_OK))
		SKIP(return, "/dev/byteor exists here");
	EXPECT_NE(0, ht_sh("%s info x --backing kernel 2>%s.err", self->ctl,
			   self->out));
	EXPECT_EQ(0, ERR_HAS("the byteor module is not loaded"));
}

TEST_F(cr, stat_json_of_a_missing_region_prints_a_json_error)
{
	HT_SETUP_SKIPPED();
	EXPECT_EQ(1, CTL("stat nosuch --json"));
	EXPECT_EQ(0, ht_sh("python3 -c \"import json, sys; d = json.load(open(sys.argv[1]));"
			   " sys.exit(0 if d['error']['errno'] == 2 and d['name'] == 'nosuch'"
			   " and d['command'] == 'stat' else 1)\" %s", self->out));
}

TEST_F(cr, global_options_may_come_before_the_command)
{
	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, ht_sh("%s --backing user --dir %s --json create r --kind single-ring"
			   " --slot-size 64 --capacity 1024 > %s", self->ctl,
			   self->d.path, self->out));
	EXPECT_EQ(0, OUT_HAS("\"command\":\"create\""));
	EXPECT_EQ(0, ht_sh("%s --json --dir %s --backing=user info r > %s",
			   self->ctl, self->d.path, self->out));
	EXPECT_EQ(0, OUT_HAS("\"name\":\"r\""));
	EXPECT_EQ(0, ht_sh("%s --dir %s --backing user --json stat r > %s",
			   self->ctl, self->d.path, self->out));
	EXPECT_EQ(0, OUT_HAS("\"schema\":\"byteor.stat.v1\""));
}

TEST_F(cr, destroy_refuses_a_region_in_use_and_names_who_unless_forced)
{
	struct byteor_attach_options o;
	struct byteor_single_ring *rx;
	int go[2], st;
	pid_t pid;
	char c;

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, CTL("create r --kind single-ring --slot-size 64 --capacity 1024"));
	ASSERT_EQ(0, pipe(go));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		o = lt_opts(self->d.path, "r", 0, 0);
		if (byteor_attach_single_ring(&o, BYTEOR_ROLE_CONSUMER, &rx))
			_exit(2);
		if (write(go[1], "x", 1) != 1)
			_exit(3);
		pause();
		_exit(0);
	}
	ASSERT_EQ(1, read(go[0], &c, 1));
	EXPECT_EQ(1, CTL("destroy r"));
	EXPECT_EQ(0, ht_sh("grep -q -- '1 attached (consumer 0 pid %d)' %s.err",
			   (int)pid, self->out));
	EXPECT_EQ(0, CTL("info r"));		/* still there */
	EXPECT_EQ(1, CTL("destroy r --json"));
	EXPECT_EQ(0, OUT_HAS("\"errno\":16"));
	EXPECT_EQ(0, CTL("destroy r --force"));
	EXPECT_NE(0, CTL("info r"));
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	/* Nobody attached: no --force needed. */
	ASSERT_EQ(0, CTL("create r --kind single-ring --slot-size 64 --capacity 1024"));
	EXPECT_EQ(0, CTL("destroy r"));
	EXPECT_EQ(2, CTL("info r --force"));
}

/* __byteorctl_access() as user 65534: 0 if it says what the bits say. */
static int access_as_nobody(void)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (!pid) {
		if (geteuid() == 0 &&
		    (setgroups(0, NULL) || setgid(65534) || setuid(65534)))
			_exit(9);
		if (geteuid() == 0)
			_exit(8);
		_exit(strcmp(__byteorctl_access(0, 0, 0660), "-") ? 1 :
		      strcmp(__byteorctl_access(0, 0, 0664), "r") ? 2 :
		      strcmp(__byteorctl_access(0, 65534, 0660), "rw") ? 3 :
		      strcmp(__byteorctl_access(65534, 0, 0600), "rw") ? 4 :
		      strcmp(__byteorctl_access(65534, 0, 0400), "r") ? 5 : 0);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

TEST_F(cr, list_shows_owner_group_mode_access_and_sizes_for_people)
{
	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, CTL("create r --kind single-ring --slot-size 64 --capacity 1024"
			 " --mode 0640"));
	ASSERT_EQ(0, CTL("list"));
	EXPECT_EQ(0, OUT_HAS("OWNER *GROUP *MODE ACCESS"));
	EXPECT_EQ(0, ht_sh("grep -Eq '^r +single-ring +2.0M +64 +1024 +1 +%s +%s +0640 +rw ' %s",
			   __byteorctl_user(geteuid(), (char[16]){ 0 }, 16),
			   __byteorctl_group(getegid(), (char[16]){ 0 }, 16),
			   self->out));
	ASSERT_EQ(0, CTL("list --bytes"));
	EXPECT_EQ(0, OUT_HAS(" 2097152 "));
	ASSERT_EQ(0, CTL("list --json"));
	EXPECT_EQ(0, ht_sh("python3 -c \"import json, sys; r = json.load(open(sys.argv[1]))['regions'][0];"
			   " sys.exit(0 if r['mode'] == '0640' and r['access'] == 'rw'"
			   " and r['owner'] and r['group'] else 1)\" %s", self->out));
	EXPECT_EQ(2, CTL("info r --bytes"));
	/* What the mode bits give a caller who is not root: as user 65534. */
	EXPECT_EQ(0, access_as_nobody());
	EXPECT_STREQ("rw", __byteorctl_access(geteuid(), getegid(), 0600));
}

TEST_HARNESS_MAIN
