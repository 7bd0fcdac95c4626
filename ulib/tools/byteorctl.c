// SPDX-License-Identifier: MIT
/*
 * byteorctl - create, destroy, list and describe byteor regions.
 *
 *	byteorctl create md.eurusd --kind single-ring --slot-size 64 --capacity 4096
 *	byteorctl list --json
 *	byteorctl info md.eurusd
 *	byteorctl stat md.eurusd
 *	byteorctl watch md.eurusd --interval 0.5
 *	byteorctl remove-stage orders 2
 *	byteorctl destroy md.eurusd
 *
 * Every command takes --backing kernel|user, --dir DIR (userspace backing)
 * and --json (all but watch: one JSON object on stdout, "schema": "byteor.v1").
 * Exit status: 0 success, 1 the operation failed, 2 bad usage.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <byteor/region.h>
#include <byteor/sequenced_slots.h>
#include "byteorctl.h"
#include "ctl_metrics.h"

#define EXIT_USAGE	2
#define SCHEMA		"byteor.v1"


struct ctl {
	const char *cmd;
	const char *name;
	const char *arg2;	/* remove-stage: STAGE */
	const char *dir;
	enum byteor_backing backing;
	bool json;
	bool force;		/* destroy: even while attached */
	bool bytes;		/* list: sizes in bytes */
	bool have_kind, have_slot, have_cap;
	struct byteor_region_options create;
};

static const char usage_text[] =
"usage: byteorctl COMMAND [ARGS] [OPTIONS]\n"
"\n"
"commands:\n"
"  create NAME --kind KIND --slot-size N --capacity N\n"
"         [--queues N] [--producers N] [--mpsc-mask M]\n"
"         [--stage-deps M0,M1,...] [--size BYTES] [--mode OCTAL]\n"
"         [--fixed]  (single ring: fixed-size messages, no slot header)\n"
"  destroy NAME [--force]\n"
"                   refuses while processes are attached (it names\n"
"                   them) unless --force; they keep their mappings\n"
"  list [--bytes]  every region: owner, group, mode, what you may do\n"
"                   (ACCESS rw, r or -), sizes in K/M/G unless --bytes\n"
"  info NAME\n"
"  stat NAME        lane positions and claims (see byteorctl stat --help)\n"
"  watch NAME [--interval SECONDS] [--count N]\n"
"                   stat, refreshed every SECONDS (0.1..60, default 1)\n"
"                   until N refreshes or SIGINT/SIGTERM (no --json)\n"
"  check [NAME...]  lag and stall alarms, exit 0/1/2/3 (byteorctl check --help)\n"
"  export           Prometheus metrics of every region (byteorctl export --help)\n"
"  apply [--config-dir DIR] [--dry-run] [--hugepages]\n"
"                   create the regions declared in /etc/byteor/regions.d\n"
"                   (see byteorctl apply --help)\n"
"  remove-stage NAME STAGE\n"
"                   take dead stage STAGE of sequenced-slots region NAME\n"
"                   out of gating (fails, busy, while a process holds it)\n"
"\n"
"KIND: single-ring, events, fanout, journal, sequenced-slots\n"
"N, BYTES accept a K, M or G suffix (binary); M accepts 0x hex.\n"
"\n"
"options:\n"
"  --backing kernel|user   default: $BYTEOR_BACKING, else kernel if\n"
"                          /dev/byteor exists, else user\n"
"  --dir DIR               userspace backing directory (default:\n"
"                          $BYTEOR_DIR, a hugetlbfs mount, /dev/shm)\n"
"  --json                  machine-readable output (schema byteor.v1)\n"
"  (--backing, --dir and --json may also come before the command)\n"
"  --help, --version (-V)\n"
"\n"
"exit status: 0 success, 1 failure, 2 bad usage\n";

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "byteorctl: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'byteorctl --help'.\n");
	return EXIT_USAGE;
}

/* An unsigned number, optional K/M/G binary suffix, no junk, no sign. */
static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -EINVAL;
	if (*end == 'K' || *end == 'k')
		shift = 10;
	else if (*end == 'M' || *end == 'm')
		shift = 20;
	else if (*end == 'G' || *end == 'g')
		shift = 30;
	if (shift)
		end++;
	if (*end || (shift && v > (UINT64_MAX >> shift)))
		return -EINVAL;
	v <<= shift;
	if (v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

static int parse_u32(const char *opt, const char *s, __u32 *out)
{
	uint64_t v;

	if (parse_u64(s, UINT32_MAX, &v))
		return usage_error("bad number for --%s", opt);
	*out = (__u32)v;
	return 0;
}

static int parse_mode(const char *s, unsigned int *out)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 8);
	if (errno || end == s || *end || *s == '-' || v > 0777 || v == 0)
		return usage_error("bad --mode '%s' (octal, 1..0777)", s);
	*out = (unsigned int)v;
	return 0;
}

/* --stage-deps 0,1,1,6: the dependency mask of each stage, in order. */
static int parse_stage_deps(const char *s, struct byteor_geometry *g)
{
	char buf[256], *tok, *save = NULL;
	unsigned int i = 0;
	uint64_t v;

	if (strlen(s) >= sizeof(buf))
		return usage_error("--stage-deps too long: '%s'", s);
	strcpy(buf, s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (i == BYTEOR_MAX_STAGES || parse_u64(tok, UINT32_MAX, &v))
			return usage_error("bad --stage-deps '%s'", s);
		g->stage_deps[i++] = (__u32)v;
	}
	return 0;
}

static int parse_backing(const char *s, enum byteor_backing *b)
{
	if (!strcmp(s, "kernel"))
		*b = BYTEOR_BACKING_KERNEL;
	else if (!strcmp(s, "user"))
		*b = BYTEOR_BACKING_USER;
	else if (!strcmp(s, "auto"))
		*b = BYTEOR_BACKING_AUTO;
	else
		return usage_error("bad --backing '%s' (kernel, user or auto)", s);
	return 0;
}

enum {
	OPT_BACKING = 256, OPT_DIR, OPT_JSON, OPT_KIND, OPT_SLOT, OPT_CAP,
	OPT_QUEUES, OPT_PRODUCERS, OPT_MPSC, OPT_DEPS, OPT_SIZE, OPT_MODE,
	OPT_FIXED, OPT_HELP, OPT_VERSION, OPT_FORCE, OPT_OWNER, OPT_GROUP,
	OPT_BYTES,
};

static const struct option long_opts[] = {
	{ "backing", required_argument, NULL, OPT_BACKING },
	{ "dir", required_argument, NULL, OPT_DIR },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "kind", required_argument, NULL, OPT_KIND },
	{ "slot-size", required_argument, NULL, OPT_SLOT },
	{ "capacity", required_argument, NULL, OPT_CAP },
	{ "queues", required_argument, NULL, OPT_QUEUES },
	{ "producers", required_argument, NULL, OPT_PRODUCERS },
	{ "mpsc-mask", required_argument, NULL, OPT_MPSC },
	{ "stage-deps", required_argument, NULL, OPT_DEPS },
	{ "size", required_argument, NULL, OPT_SIZE },
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "fixed", no_argument, NULL, OPT_FIXED },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "owner", required_argument, NULL, OPT_OWNER },
	{ "group", required_argument, NULL, OPT_GROUP },
	{ "bytes", no_argument, NULL, OPT_BYTES },
	{ NULL, 0, NULL, 0 },
};

/*
 * --owner / --group: by name or number.  The other half stays the
 * caller's ((__u32)-1, as for fchown) unless given too.
 */
static int parse_owner_opt(struct byteor_region_options *o, bool group,
			   const char *arg)
{
	__u32 id;
	int ret;

	ret = __byteorctl_parse_owner(arg, group, &id);
	if (ret == -ENOENT)
		return usage_error(group ? "create: unknown group '%s' (not in the "
				   "group database; a number is taken as a GID)" :
				   "create: unknown user '%s' (not in the user "
				   "database; a number is taken as a UID)", arg);
	if (ret)
		return usage_error(group ? "create: bad --group '%s' (a group name "
				   "or a GID below 4294967295)" :
				   "create: bad --owner '%s' (a user name or a "
				   "UID below 4294967295)", arg);
	if (!(o->flags & BYTEOR_REGION_F_OWNER)) {
		o->flags |= BYTEOR_REGION_F_OWNER;
		o->uid = (__u32)-1;
		o->gid = (__u32)-1;
	}
	if (group)
		o->gid = id;
	else
		o->uid = id;
	return 0;
}

/* The options only create takes. */
static int parse_create_opt(struct ctl *c, int opt, const char *arg)
{
	struct byteor_region_options *o = &c->create;
	uint64_t v;
	int k;

	switch (opt) {
	case OPT_KIND:
		k = byteor_kind_parse(arg);
		if (k < 0)
			return usage_error("unknown --kind '%s'", arg);
		o->kind = (__u32)k;
		c->have_kind = true;
		return 0;
	case OPT_SLOT:
		c->have_slot = true;
		return parse_u32("slot-size", arg, &o->geometry.slot_size);
	case OPT_CAP:
		c->have_cap = true;
		return parse_u32("capacity", arg, &o->geometry.capacity);
	case OPT_QUEUES:
		return parse_u32("queues", arg, &o->geometry.queues);
	case OPT_PRODUCERS:
		return parse_u32("producers", arg, &o->geometry.producers);
	case OPT_MPSC:
		if (parse_u64(arg, UINT64_MAX, &v))
			return usage_error("bad --mpsc-mask '%s'", arg);
		o->geometry.mpsc_mask = v;
		return 0;
	case OPT_DEPS:
		return parse_stage_deps(arg, &o->geometry);
	case OPT_SIZE:
		if (parse_u64(arg, UINT64_MAX, &v))
			return usage_error("bad --size '%s'", arg);
		o->size = v;
		return 0;
	case OPT_MODE:
		return parse_mode(arg, &o->mode);
	case OPT_FIXED:
		o->geometry.flags |= BYTEOR_GEOM_F_FIXED;
		return 0;
	case OPT_OWNER:
	case OPT_GROUP:
		return parse_owner_opt(o, opt == OPT_GROUP, arg);
	}
	return usage_error("%s", "internal: unknown option");
}

static bool is_create_opt(int opt)
{
	return (opt >= OPT_KIND && opt <= OPT_FIXED) || opt == OPT_OWNER ||
	       opt == OPT_GROUP;
}

static int parse_opt(struct ctl *c, int opt, const char *arg)
{
	switch (opt) {
	case OPT_BACKING:
		return parse_backing(arg, &c->backing);
	case OPT_DIR:
		c->dir = arg;
		return 0;
	case OPT_JSON:
		c->json = true;
		return 0;
	case OPT_HELP:
		/* A subcommand's own, with its rules; else the overview. */
		if (__byteorctl_cmd_help(c->cmd))
			fputs(usage_text, stdout);
		exit(0);
	case OPT_VERSION:
		printf("byteorctl %s (libbyteor %s)\n", BYTEOR_VERSION_STRING,
		       byteor_version_string());
		exit(0);
	}
	if (opt == OPT_BYTES) {
		if (strcmp(c->cmd, "list"))
			return usage_error("--bytes is for list (command: %s)",
					   c->cmd);
		c->bytes = true;
		return 0;
	}
	if (opt == OPT_FORCE) {
		if (strcmp(c->cmd, "destroy"))
			return usage_error("--force is for destroy (command: %s)",
					   c->cmd);
		c->force = true;
		return 0;
	}
	if (!is_create_opt(opt))
		return usage_error("%s", "unknown option");
	if (strcmp(c->cmd, "create"))
		return usage_error("option only valid with create (command: %s)",
				   c->cmd);
	return parse_create_opt(c, opt, arg);
}

/*
 * Positional arguments: NAME for every command but list, then STAGE for
 * remove-stage.
 */
static int parse_args(struct ctl *c, int argc, char **argv)
{
	bool needs_name = strcmp(c->cmd, "list") != 0;
	bool needs_stage = !strcmp(c->cmd, "remove-stage");

	if (optind < argc && needs_name)
		c->name = argv[optind++];
	if (optind < argc && needs_stage)
		c->arg2 = argv[optind++];
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (needs_name && !c->name)
		return usage_error("%s: missing region NAME", c->cmd);
	if (needs_stage && !c->arg2)
		return usage_error("%s: missing STAGE", c->cmd);
	return 0;
}

static int parse(struct ctl *c, int argc, char **argv)
{
	int opt, ret;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "hV", long_opts, NULL)) != -1) {
		if (opt == 'h')
			opt = OPT_HELP;
		if (opt == 'V')
			opt = OPT_VERSION;
		if (opt == '?')
			return usage_error("bad or incomplete option '%s'",
					   argv[optind - 1]);
		ret = parse_opt(c, opt, optarg);
		if (ret)
			return ret;
	}
	return parse_args(c, argc, argv);
}

/* ---- output ------------------------------------------------------------ */

static const char *backing_name(int b)
{
	switch (b) {
	case BYTEOR_BACKING_KERNEL:
		return "kernel";
	case BYTEOR_BACKING_USER:
		return "user";
	default:
		return "auto";
	}
}

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

static void json_head(const struct ctl *c)
{
	int b = byteor_backing_resolve(c->backing);

	printf("{\"schema\":\"%s\",\"command\":", SCHEMA);
	json_str(c->cmd);
	printf(",\"backing\":\"%s\"", b < 0 ? "invalid" : backing_name(b));
}

static const char *kind_str(__u32 kind)
{
	const char *s = byteor_kind_name(kind);

	return s ? s : "unknown";
}

static void json_geometry(const struct byteor_geometry *g)
{
	unsigned int i;

	printf("{\"slot_size\":%u,\"capacity\":%u,\"queues\":%u,\"producers\":%u,"
	       "\"mpsc_mask\":%" PRIu64 ",\"stage_deps\":[",
	       g->slot_size, g->capacity, g->queues, g->producers,
	       (uint64_t)g->mpsc_mask);
	for (i = 0; i < BYTEOR_MAX_STAGES; i++)
		printf("%s%u", i ? "," : "", g->stage_deps[i]);
	printf("],\"flags\":%u,\"fixed\":%s}", g->flags,
	       g->flags & BYTEOR_GEOM_F_FIXED ? "true" : "false");
}

static void json_layout(const struct byteor_layout *l)
{
	static const char *const areas[] = { "control", "slots", "aux" };
	unsigned int a;

	printf("{");
	for (a = 0; a < 3; a++)
		printf("\"%s\":{\"offset\":%" PRIu64 ",\"size\":%" PRIu64 "},",
		       areas[a], (uint64_t)l->area_off[a],
		       (uint64_t)l->area_size[a]);
	printf("\"control_blocks\":%u,\"control_stride\":%u,\"rings\":%u,"
	       "\"slot_stride\":%u,\"nr_claims\":%u,\"min_size\":%" PRIu64 "}",
	       l->control_blocks, l->control_stride, l->rings, l->slot_stride,
	       l->nr_claims, (uint64_t)l->min_size);
}

/* What the caller may do with @r: "rw", "r" or "-" (unreadable: "-"). */
static const char *region_access(const struct byteor_region_info *r)
{
	if (r->flags & BYTEOR_INFO_F_UNREADABLE)
		return "-";
	return __byteorctl_access(r->uid, r->gid, r->mode);
}

static void json_region(const struct byteor_region_info *r)
{
	char ub[16], gb[16];

	printf("{\"name\":");
	json_str(r->name);
	if (r->flags & BYTEOR_INFO_F_UNREADABLE) {
		/* Only the file is known (list): no kind, no geometry. */
		printf(",\"kind\":null,\"size\":%" PRIu64 ",\"uid\":%u,"
		       "\"gid\":%u,\"mode\":\"%04o\",\"flags\":%u,"
		       "\"readable\":false,\"owner\":", (uint64_t)r->size,
		       r->uid, r->gid, r->mode, r->flags);
		json_str(__byteorctl_user(r->uid, ub, sizeof(ub)));
		printf(",\"group\":");
		json_str(__byteorctl_group(r->gid, gb, sizeof(gb)));
		printf(",\"access\":\"-\"}");
		return;
	}
	printf(",\"kind\":\"%s\",\"kind_id\":%u,\"layout_version\":%u,"
	       "\"size\":%" PRIu64 ",\"generation\":%" PRIu64 ","
	       "\"uid\":%u,\"gid\":%u,\"mode\":\"%04o\",\"flags\":%u,"
	       "\"destroyed\":%s,\"nr_files\":%u,\"nr_claims_held\":%u,"
	       "\"geometry\":",
	       kind_str(r->kind), r->kind, r->layout_version, (uint64_t)r->size,
	       (uint64_t)r->generation, r->uid, r->gid, r->mode, r->flags,
	       r->flags & BYTEOR_INFO_F_DESTROYED ? "true" : "false",
	       r->nr_files, r->nr_claims_held);
	json_geometry(&r->geometry);
	printf(",\"layout\":");
	json_layout(&r->layout);
	/* Names resolved here (numbers if none); access: for this caller. */
	printf(",\"owner\":");
	json_str(__byteorctl_user(r->uid, ub, sizeof(ub)));
	printf(",\"group\":");
	json_str(__byteorctl_group(r->gid, gb, sizeof(gb)));
	printf(",\"access\":\"%s\",\"readable\":true}",
	       __byteorctl_access(r->uid, r->gid, r->mode));
}

/* Report @msg (why @err) on stderr, and as the JSON error object. */
static int fail_msg(const struct ctl *c, int err, const char *msg)
{
	fprintf(stderr, "byteorctl: %s%s%s: %s\n", c->cmd, c->name ? " " : "",
		c->name ? c->name : "", msg);
	if (c->json) {
		json_head(c);
		printf(",\"error\":{\"errno\":%d,\"message\":", -err);
		json_str(msg);
		printf("}}\n");
	}
	return EXIT_FAILURE;
}

static int fail(const struct ctl *c, int err)
{
	/* The kernel backing asked for, and no device: say which. */
	if (err == -ENOENT && byteor_backing_resolve(c->backing) ==
	    BYTEOR_BACKING_KERNEL && access("/dev/byteor", F_OK))
		return fail_msg(c, err, "the byteor module is not loaded "
				"(no /dev/byteor; modprobe byteor, or --backing user)");
	return fail_msg(c, err, byteor_strerror(err));
}

static void text_region(const struct byteor_region_info *r)
{
	const struct byteor_geometry *g = &r->geometry;
	char ub[16], gb[16];
	unsigned int i;

	printf("name:        %s%s\n", r->name,
	       r->flags & BYTEOR_INFO_F_DESTROYED ? " (destroyed)" : "");
	printf("kind:        %s (version %u)\n", kind_str(r->kind), r->layout_version);
	printf("size:        %" PRIu64 " bytes\n", (uint64_t)r->size);
	printf("generation:  %" PRIu64 "\n", (uint64_t)r->generation);
	printf("owner:       %u:%u mode %04o (user %s, group %s)\n", r->uid,
	       r->gid, r->mode, __byteorctl_user(r->uid, ub, sizeof(ub)),
	       __byteorctl_group(r->gid, gb, sizeof(gb)));
	printf("geometry:    slot_size %u capacity %u queues %u producers %u"
	       " mpsc_mask 0x%" PRIx64 "%s\n", g->slot_size, g->capacity,
	       g->queues, g->producers, (uint64_t)g->mpsc_mask,
	       g->flags & BYTEOR_GEOM_F_FIXED ? " fixed" : "");
	if (r->kind == BYTEOR_KIND_SEQUENCED_SLOTS) {
		printf("stage_deps: ");
		for (i = 0; i < g->queues && i < BYTEOR_MAX_STAGES; i++)
			printf(" 0x%x", g->stage_deps[i]);
		printf("\n");
	}
	printf("areas:       control %" PRIu64 "+%" PRIu64 ", slots %" PRIu64
	       "+%" PRIu64 ", aux %" PRIu64 "+%" PRIu64 "\n",
	       (uint64_t)r->layout.area_off[0], (uint64_t)r->layout.area_size[0],
	       (uint64_t)r->layout.area_off[1], (uint64_t)r->layout.area_size[1],
	       (uint64_t)r->layout.area_off[2], (uint64_t)r->layout.area_size[2]);
	printf("claims:      %u held of %u\n", r->nr_claims_held, r->layout.nr_claims);
	printf("files:       %u\n", r->nr_files);
}

/* ---- commands ---------------------------------------------------------- */

static int cmd_create(struct ctl *c)
{
	struct byteor_region_options *o = &c->create;
	struct byteor_region_info info;
	const char *rule;
	char why[160];
	int ret;

	if (!c->have_kind || !c->have_slot || !c->have_cap)
		return usage_error("%s: --kind, --slot-size and --capacity are required",
				   "create");
	if (!o->geometry.queues)
		o->geometry.queues = 1;
	if (!o->geometry.producers)
		o->geometry.producers = 1;
	o->name = c->name;
	o->backing = c->backing;
	o->dir = c->dir;
	/* Say which rule a bad request breaks, before the library's EINVAL. */
	rule = __byteorctl_create_rule(c->name, o->kind, &o->geometry, why,
				       sizeof(why));
	if (rule)
		return fail_msg(c, -EINVAL, rule);
	__byteorctl_warn_disk_dir(c->backing, c->dir);
	ret = byteor_region_create(o, &info);
	if (ret)
		return fail(c, ret);
	if (c->json) {
		json_head(c);
		printf(",\"region\":");
		json_region(&info);
		printf("}\n");
	} else {
		printf("created %s: %s, %" PRIu64 " bytes\n", info.name,
		       kind_str(info.kind), (uint64_t)info.size);
	}
	return 0;
}

/*
 * Who holds a claim of region @name: "producer pid 123, consumer 0 pid
 * 456" into @buf.  Return: how many, or -errno if it cannot be read.
 */
static int attached(const struct ctl *c, char *buf, size_t len)
{
	struct byteor_attach_options o = {
		.name = c->name, .backing = c->backing, .dir = c->dir,
	};
	static struct ctl_region m;	/* large: not on the stack */
	size_t off = 0;
	unsigned int i;
	int n = 0, ret;

	ret = ctl_collect(c->name, &o, &m);
	if (ret)
		return ret;
	buf[0] = '\0';
	for (i = 0; i < m.nrows; i++) {
		if (m.rows[i].alive != 1)
			continue;
		if (off < len)
			off += (size_t)snprintf(buf + off, len - off,
						"%s%s %u pid %u", n ? ", " : "",
						m.rows[i].role, m.rows[i].index,
						m.rows[i].pid);
		n++;
	}
	return n;
}

static int cmd_destroy(struct ctl *c)
{
	char who[512], msg[640];
	int ret, n;

	if (!c->force) {
		n = attached(c, who, sizeof(who));
		if (n > 0) {
			snprintf(msg, sizeof(msg), "%d attached (%s): not "
				 "destroyed; --force destroys it anyway (they "
				 "keep their mappings)", n, who);
			return fail_msg(c, -EBUSY, msg);
		}
	}
	ret = byteor_region_destroy(c->name, c->backing, c->dir);
	if (ret)
		return fail(c, ret);
	if (c->json) {
		json_head(c);
		printf(",\"name\":");
		json_str(c->name);
		printf("}\n");
	} else {
		printf("destroyed %s\n", c->name);
	}
	return 0;
}

static int cmd_info(struct ctl *c)
{
	struct byteor_region_info info;
	int ret = byteor_region_info(c->name, c->backing, c->dir, &info);

	if (ret)
		return fail(c, ret);
	if (c->json) {
		json_head(c);
		printf(",\"region\":");
		json_region(&info);
		printf("}\n");
	} else {
		text_region(&info);
	}
	return 0;
}

/* All regions; the count can change between calls, so retry until it fits. */
static int list_all(struct ctl *c, struct byteor_region_info **out)
{
	struct byteor_region_info *v = NULL, *nv;
	size_t room = 0;
	int n;

	for (;;) {
		/* Those this user may not read too, marked (list's ACCESS). */
		n = byteor_region_list_all(c->backing, c->dir,
					   BYTEOR_LIST_UNREADABLE, v, room);
		if (n < 0 || (size_t)n <= room)
			break;
		room = (size_t)n + 8;
		nv = realloc(v, room * sizeof(*v));
		if (!nv) {
			n = -ENOMEM;
			break;
		}
		v = nv;
	}
	if (n < 0)
		free(v);
	else
		*out = v;
	return n;
}

/*
 * Every region, like lsipc: also those the caller may not open (ACCESS
 * "-"); one the backing could not read at all shows what its file says
 * (size, owner, group, mode).  SIZE for people unless --bytes.
 */
static void text_list(const struct byteor_region_info *v, int n, bool bytes)
{
	const struct byteor_region_info *r;
	char ub[16], gb[16], sz[24];
	bool unreadable = false;
	int i;

	printf("%-24s %-16s %12s %9s %10s %6s %-10s %-10s %5s %6s %7s\n",
	       "NAME", "KIND", "SIZE", "SLOT", "CAPACITY", "QUEUES", "OWNER",
	       "GROUP", "MODE", "ACCESS", "CLAIMS");
	for (i = 0; i < n; i++) {
		r = &v[i];
		if (bytes)
			snprintf(sz, sizeof(sz), "%" PRIu64, (uint64_t)r->size);
		else
			__byteorctl_human(r->size, sz, sizeof(sz));
		if (r->flags & BYTEOR_INFO_F_UNREADABLE) {
			unreadable = true;
			printf("%-24s %-16s %12s %9s %10s %6s", r->name, "-", sz,
			       "-", "-", "-");
		} else {
			printf("%-24s %-16s %12s %9u %10u %6u", r->name,
			       kind_str(r->kind), sz, r->geometry.slot_size,
			       r->geometry.capacity, r->geometry.queues);
		}
		printf(" %-10s %-10s %04o %6s ",
		       __byteorctl_user(r->uid, ub, sizeof(ub)),
		       __byteorctl_group(r->gid, gb, sizeof(gb)), r->mode,
		       region_access(r));
		if (r->flags & BYTEOR_INFO_F_UNREADABLE)
			printf("%3s\n", "-");
		else
			printf("%3u/%-3u\n", r->nr_claims_held, r->layout.nr_claims);
	}
	if (unreadable)
		printf("(a region shown with kind \"-\" may not be read by this "
		       "user: only its file's size, owner and mode are known)\n");
}

static int cmd_list(struct ctl *c)
{
	struct byteor_region_info *v = NULL;
	int i, n;

	n = list_all(c, &v);
	if (n < 0)
		return fail(c, n);
	if (c->json) {
		json_head(c);
		printf(",\"regions\":[");
		for (i = 0; i < n; i++) {
			printf(i ? "," : "");
			json_region(&v[i]);
		}
		printf("]}\n");
	} else {
		text_list(v, n, c->bytes);
	}
	free(v);
	return 0;
}

/*
 * Take the stage out of gating.  The snapshot before is only to say what
 * changed (already removed or not, who held it last); the library call
 * alone decides, and its error is the one reported.
 */
static int cmd_remove_stage(struct ctl *c)
{
	struct byteor_sequenced_slots_snapshot snap;
	struct byteor_sequenced_slots *h;
	struct byteor_attach_options o;
	bool known = false, was_removed = false;
	__u32 last_pid = 0, stages = 0;
	uint64_t v;
	int ret;

	if (parse_u64(c->arg2, UINT32_MAX, &v))
		return usage_error("remove-stage: bad STAGE '%s' (a stage index)",
				   c->arg2);
	memset(&o, 0, sizeof(o));
	o.name = c->name;
	o.backing = c->backing;
	o.dir = c->dir;
	o.flags = BYTEOR_ATTACH_OBSERVER;
	if (!byteor_attach_sequenced_slots_region(&o, BYTEOR_ROLE_OBSERVER, &h)) {
		if (!byteor_sequenced_slots_snapshot(h, &snap))
			stages = snap.stages;
		if (v < stages && v < BYTEOR_MAX_STAGES) {
			known = true;
			was_removed = snap.stage[v].removed;
			last_pid = snap.stage[v].pid;
		}
		byteor_sequenced_slots_detach(h);
	}
	o.flags = 0;
	ret = byteor_sequenced_slots_remove_stage(&o, (unsigned int)v);
	if (ret == -EBUSY)
		fprintf(stderr, "byteorctl: remove-stage %s: stage %" PRIu64
			" is busy: a live process holds it (detach or stop it "
			"first; only a dead stage can be removed)\n", c->name, v);
	if (ret == -EINVAL && stages && v >= stages)
		fprintf(stderr, "byteorctl: remove-stage %s: no stage %" PRIu64
			": the region has stages 0..%u\n", c->name, v, stages - 1);
	if (ret)
		return fail(c, ret);
	if (c->json) {
		json_head(c);
		printf(",\"name\":");
		json_str(c->name);
		printf(",\"stage\":%" PRIu64 ",\"was_removed\":%s}\n", v,
		       !known ? "null" : was_removed ? "true" : "false");
	} else if (known && was_removed) {
		printf("stage %" PRIu64 " of %s was already removed from gating:"
		       " nothing changed\n", v, c->name);
	} else {
		printf("removed stage %" PRIu64 " of %s from gating", v, c->name);
		if (last_pid)
			printf(" (last held by pid %u, not alive)", last_pid);
		printf(": the producer and its dependents now wait for its "
		       "dependencies instead\n");
	}
	return 0;
}

/*
 * `byteorctl stat ...` lives in byteorctl_stat.c: called with argv[0] ==
 * "stat" and the rest of the command line, it runs getopt_long() itself.
 */
static int cmd_stat(int argc, char **argv)
{
	return __byteorctl_stat(argc, argv);
}

typedef int (*cmd_fn)(struct ctl *c);

static cmd_fn find_cmd(const char *name)
{
	static const struct {
		const char *name;
		cmd_fn fn;
	} cmds[] = {
		{ "create", cmd_create },
		{ "destroy", cmd_destroy },
		{ "list", cmd_list },
		{ "info", cmd_info },
		{ "remove-stage", cmd_remove_stage },
	};
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(name, cmds[i].name))
			return cmds[i].fn;
	return NULL;
}

/*
 * Global options may come before the command ("byteorctl --json stat x"):
 * move the first word that is neither an option nor an option's value to
 * argv[1], the options before it after it, where every command parses
 * them.  An option takes the next word as its value if long_opts says so
 * (and it has no "=VALUE").
 */
static void hoist_command(int argc, char **argv)
{
	const struct option *lo;
	char *cmd;
	int i, j;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (a[0] != '-' || !a[1])
			break;
		if (!strcmp(a, "--"))
			return;
		if (a[1] != '-' || strchr(a, '='))
			continue;
		for (lo = long_opts; lo->name; lo++)
			if (!strcmp(a + 2, lo->name))
				break;
		if (lo->name && lo->has_arg == required_argument)
			i++;
	}
	if (i <= 1 || i >= argc)
		return;
	cmd = argv[i];
	for (j = i; j > 1; j--)
		argv[j] = argv[j - 1];
	argv[1] = cmd;
}

/*
 * -V or --version anywhere on the command line (but as an option's value,
 * or after "--"): the version, and nothing else runs.
 */
static bool version_wanted(int argc, char **argv)
{
	const struct option *lo;
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "-V") || !strcmp(argv[i], "--version"))
			return true;
		if (strncmp(argv[i], "--", 2) || strchr(argv[i], '='))
			continue;
		for (lo = long_opts; lo->name; lo++)
			if (!strcmp(argv[i] + 2, lo->name) &&
			    lo->has_arg == required_argument)
				i++;	/* its value, whatever it looks like */
	}
	return false;
}

int main(int argc, char **argv)
{
	struct ctl c = { 0 };
	cmd_fn fn;
	int ret;

	if (version_wanted(argc, argv)) {
		/* The library's own version too: it may not be the headers'. */
		printf("byteorctl %s (libbyteor %s)\n", BYTEOR_VERSION_STRING,
		       byteor_version_string());
		return 0;
	}
	hoist_command(argc, argv);
	/* --json anywhere: integers above 2^53 - 1 become strings (ctl_json.c). */
	for (ret = 1; ret < argc && strcmp(argv[ret], "--"); ret++)
		if (!strcmp(argv[ret], "--json")) {
			__byteorctl_json_exact();
			break;
		}
	if (argc < 2)
		return usage_error("%s", "missing COMMAND");
	c.cmd = argv[1];
	if (!strcmp(c.cmd, "help") || !strcmp(c.cmd, "--help") ||
	    !strcmp(c.cmd, "-h")) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (!strcmp(c.cmd, "stat"))
		return cmd_stat(argc - 1, argv + 1);
	/* Likewise `byteorctl watch ...`, in byteorctl_watch.c. */
	if (!strcmp(c.cmd, "watch"))
		return __byteorctl_watch(argc - 1, argv + 1);
	/* The monitoring commands: ctl_check.c, ctl_export.c. */
	if (!strcmp(c.cmd, "check"))
		return __byteorctl_check(argc - 1, argv + 1);
	if (!strcmp(c.cmd, "export"))
		return __byteorctl_export(argc - 1, argv + 1);
	/* `byteorctl apply ...` (regions.d), in ctl_apply.c. */
	if (!strcmp(c.cmd, "apply"))
		return __byteorctl_apply(argc - 1, argv + 1);
	fn = find_cmd(c.cmd);
	if (!fn)
		return usage_error(c.cmd[0] == '-' ?
				   "missing COMMAND before '%s'" :
				   "unknown command '%s'", c.cmd);
	ret = parse(&c, argc - 1, argv + 1);
	return ret ? ret : fn(&c);
}
