// SPDX-License-Identifier: MIT
/*
 * ctl_apply.c - `byteorctl apply`: make the regions declared in
 * /etc/byteor/regions.d/<anything>.conf exist (docs/design.md, "Boot-time regions").
 *
 *	byteorctl apply                       create what is missing
 *	byteorctl apply --dry-run             say what would be done
 *	byteorctl apply --hugepages           first raise the 2 MiB hugepage
 *	                                      pool by what the missing regions
 *	                                      need (with --dry-run: print it)
 *	byteorctl apply --config-dir DIR --backing user --dir /dev/shm
 *
 * A file holds INI sections, one per region:
 *
 *	[md.eurusd]
 *	kind = single-ring
 *	slot-size = 64
 *	capacity = 4096
 *	mode = 0660
 *	group = byteor
 *
 * The rules: every file is parsed and every region looked up before
 * anything changes, so a bad file (reported as FILE:LINE) or a failed
 * lookup changes nothing; a missing region is created; an existing one
 * that matches is left alone; one that differs is reported, field by
 * field, and left alone too - apply never destroys or resizes a region
 * (it may be in use), and regions no file names are not touched.
 *
 * Exit status: 0 every region is as declared, 1 an operation failed,
 * 2 bad usage or a bad configuration file, 3 a region differs from its
 * declaration (nothing else failed).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <byteor/region.h>
#include "internal.h"
#include "byteorctl.h"

#define APPLY_CONFIG_DIR	"/etc/byteor/regions.d"
/* The pool the module and hugetlbfs take 2 MiB pages from. */
#define APPLY_HUGEPAGES_SYSFS	"/sys/kernel/mm/hugepages/hugepages-2048kB"
#define APPLY_HUGEPAGE		(2ULL << 20)

#define EXIT_USAGE	2
#define EXIT_DIFFERS	3

#define LINE_MAX_LEN	1024

struct region_decl {
	char name[BYTEOR_NAME_MAX];
	char *file;			/* path, allocated */
	unsigned int line;		/* of the [name] header */
	struct byteor_region_options o;
	__u64 size;			/* what the region will measure */
	bool has_owner, has_group;
	uid_t uid;
	gid_t gid;
	unsigned int seen;		/* keys given, bit per key */
	/* Plan: filled by the lookup. */
	bool exists;
	struct byteor_region_info info;
};

struct apply {
	const char *config_dir;
	const char *dir;
	enum byteor_backing backing;
	bool dry_run, hugepages;
	struct region_decl *v;
	size_t n, room;
};

/* ---- parsing ------------------------------------------------------------ */

static int config_error(const char *file, unsigned int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "byteorctl: apply: %s:%u: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	return EXIT_USAGE;
}

/* An unsigned number, optional K/M/G binary suffix, no junk, no sign. */
static int number(const char *s, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (!*s || *s == '-' || *s == '+')
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

static int boolean(const char *s, bool *out)
{
	if (!strcmp(s, "yes") || !strcmp(s, "true") || !strcmp(s, "1"))
		*out = true;
	else if (!strcmp(s, "no") || !strcmp(s, "false") || !strcmp(s, "0"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

static int user_id(const char *s, uid_t *out)
{
	struct passwd *pw;
	uint64_t v;

	if (!number(s, UINT32_MAX - 1, &v)) {
		*out = (uid_t)v;
		return 0;
	}
	pw = getpwnam(s);
	if (!pw)
		return -ENOENT;
	*out = pw->pw_uid;
	return 0;
}

static int group_id(const char *s, gid_t *out)
{
	struct group *gr;
	uint64_t v;

	if (!number(s, UINT32_MAX - 1, &v)) {
		*out = (gid_t)v;
		return 0;
	}
	gr = getgrnam(s);
	if (!gr)
		return -ENOENT;
	*out = gr->gr_gid;
	return 0;
}

static const char *const keys[] = {
	"kind", "slot-size", "capacity", "queues", "producers", "mpsc-mask",
	"stage-deps", "size", "mode", "owner", "group", "fixed",
};
enum { K_KIND, K_SLOT, K_CAP, K_QUEUES, K_PRODUCERS, K_MPSC, K_DEPS, K_SIZE,
       K_MODE, K_OWNER, K_GROUP, K_FIXED, K_NR };

static int key_index(char *key)
{
	char *p;
	int i;

	for (p = key; *p; p++)	/* slot_size is slot-size */
		if (*p == '_')
			*p = '-';
	for (i = 0; i < K_NR; i++)
		if (!strcmp(key, keys[i]))
			return i;
	return -1;
}

/* One key = value of region @r; the error, if any, names @file:@line. */
static int set_key(struct region_decl *r, int k, const char *val,
		   const char *file, unsigned int line)
{
	struct byteor_geometry *g = &r->o.geometry;
	char buf[256], *tok, *save = NULL;
	unsigned int i = 0;
	unsigned long mode;
	uint64_t v;
	bool b;
	char *end;
	int kind;

	switch (k) {
	case K_KIND:
		kind = byteor_kind_parse(val);
		if (kind < 0)
			return config_error(file, line, "unknown kind '%s' (single-ring, "
					    "events, fanout, journal, sequenced-slots)", val);
		r->o.kind = (__u32)kind;
		return 0;
	case K_SLOT:
	case K_CAP:
	case K_QUEUES:
	case K_PRODUCERS:
		if (number(val, UINT32_MAX, &v))
			return config_error(file, line, "%s: '%s' is not a number "
					    "(0..2^32-1, K/M/G suffix)", keys[k], val);
		if (k == K_SLOT)
			g->slot_size = (__u32)v;
		else if (k == K_CAP)
			g->capacity = (__u32)v;
		else if (k == K_QUEUES)
			g->queues = (__u32)v;
		else
			g->producers = (__u32)v;
		return 0;
	case K_MPSC:
		if (number(val, UINT64_MAX, &v))
			return config_error(file, line, "mpsc-mask: '%s' is not a number", val);
		g->mpsc_mask = v;
		return 0;
	case K_DEPS:
		if (strlen(val) >= sizeof(buf))
			return config_error(file, line, "stage-deps: too long");
		strcpy(buf, val);
		for (tok = strtok_r(buf, ", ", &save); tok;
		     tok = strtok_r(NULL, ", ", &save)) {
			if (i == BYTEOR_MAX_STAGES)
				return config_error(file, line, "stage-deps: more than %u stages",
						    BYTEOR_MAX_STAGES);
			if (number(tok, UINT32_MAX, &v))
				return config_error(file, line, "stage-deps: '%s' is not a "
						    "mask", tok);
			g->stage_deps[i++] = (__u32)v;
		}
		return 0;
	case K_SIZE:
		if (number(val, BYTEOR_REGION_SIZE_MAX, &v))
			return config_error(file, line, "size: '%s' is not a size of at "
					    "most %llu bytes", val,
					    (unsigned long long)BYTEOR_REGION_SIZE_MAX);
		r->o.size = v;
		return 0;
	case K_MODE:
		errno = 0;
		mode = strtoul(val, &end, 8);
		if (errno || end == val || *end || *val == '-' || !mode || mode > 0777)
			return config_error(file, line, "mode: '%s' is not octal 1..0777", val);
		r->o.mode = (unsigned int)mode;
		return 0;
	case K_OWNER:
		if (user_id(val, &r->uid))
			return config_error(file, line, "owner: no user '%s'", val);
		r->has_owner = true;
		return 0;
	case K_GROUP:
		if (group_id(val, &r->gid))
			return config_error(file, line, "group: no group '%s'", val);
		r->has_group = true;
		return 0;
	case K_FIXED:
		if (boolean(val, &b))
			return config_error(file, line, "fixed: '%s' is not yes or no", val);
		if (b)
			g->flags |= BYTEOR_GEOM_F_FIXED;
		else
			g->flags &= ~BYTEOR_GEOM_F_FIXED;
		return 0;
	}
	return config_error(file, line, "internal: key %d", k);
}

/* A section is complete: required keys, defaults, geometry and size. */
static int finish_region(struct apply *a, struct region_decl *r)
{
	struct byteor_layout l;
	size_t i;

	for (i = 0; i + 1 < a->n; i++)
		if (!strcmp(a->v[i].name, r->name))
			return config_error(r->file, r->line, "region '%s' is already "
					    "declared at %s:%u", r->name,
					    a->v[i].file, a->v[i].line);
	if (!(r->seen & (1U << K_KIND)) || !(r->seen & (1U << K_SLOT)) ||
	    !(r->seen & (1U << K_CAP)))
		return config_error(r->file, r->line, "region '%s': kind, slot-size "
				    "and capacity are required", r->name);
	if (!r->o.geometry.queues)
		r->o.geometry.queues = 1;
	if (!r->o.geometry.producers)
		r->o.geometry.producers = 1;
	if (!r->o.mode)
		r->o.mode = 0660;
	if (byteor_layout_compute(r->o.kind, &r->o.geometry, &l))
		return config_error(r->file, r->line, "region '%s': the geometry is not "
				    "valid for a %s region (see byteorctl create)",
				    r->name, byteor_kind_name(r->o.kind));
	r->size = byteor_region_size(&l, r->o.size);
	if (r->size > BYTEOR_REGION_SIZE_MAX)
		return config_error(r->file, r->line, "region '%s': larger than %llu "
				    "bytes", r->name,
				    (unsigned long long)BYTEOR_REGION_SIZE_MAX);
	return 0;
}

static struct region_decl *new_region(struct apply *a, const char *name,
				      const char *file, unsigned int line)
{
	struct region_decl *nv, *r;

	if (a->n == a->room) {
		a->room = a->room ? a->room * 2 : 16;
		nv = realloc(a->v, a->room * sizeof(*nv));
		if (!nv)
			return NULL;
		a->v = nv;
	}
	r = &a->v[a->n++];
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->file = strdup(file);
	if (!r->file) {
		a->n--;
		return NULL;
	}
	r->line = line;
	r->o.name = r->name;
	return r;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
			 e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* A region name as byteor_region_create() takes it. */
static bool name_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (!n || n >= BYTEOR_NAME_MAX || s[0] == '.')
		return false;
	for (i = 0; i < n; i++)
		if (!(s[i] >= 'a' && s[i] <= 'z') && !(s[i] >= 'A' && s[i] <= 'Z') &&
		    !(s[i] >= '0' && s[i] <= '9') && !strchr("._-", s[i]))
			return false;
	return true;
}

static int parse_file(struct apply *a, const char *path)
{
	char buf[LINE_MAX_LEN + 2], *s, *eq, *key, *val;
	struct region_decl *r = NULL;
	unsigned int line = 0;
	int k, ret = 0;
	FILE *f;

	f = fopen(path, "re");
	if (!f) {
		fprintf(stderr, "byteorctl: apply: %s: %s\n", path, strerror(errno));
		return EXIT_FAILURE;
	}
	while (fgets(buf, sizeof(buf), f)) {
		line++;
		if (!strchr(buf, '\n') && !feof(f)) {
			ret = config_error(path, line, "line longer than %u bytes",
					   LINE_MAX_LEN);
			break;
		}
		s = trim(buf);
		if (!*s || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			if (r && (ret = finish_region(a, r)))
				break;
			r = NULL;
			s = trim(s + 1);
			if (!*s || s[strlen(s) - 1] != ']') {
				ret = config_error(path, line, "a section is [NAME]");
				break;
			}
			s[strlen(s) - 1] = '\0';
			s = trim(s);
			if (!name_ok(s)) {
				ret = config_error(path, line, "bad region name '%s' (1..63 "
						   "of A-Z a-z 0-9 . _ -, not starting "
						   "with '.')", s);
				break;
			}
			r = new_region(a, s, path, line);
			if (!r) {
				ret = config_error(path, line, "out of memory");
				break;
			}
			continue;
		}
		eq = strchr(s, '=');
		if (!eq) {
			ret = config_error(path, line, "expected [NAME] or KEY = VALUE");
			break;
		}
		*eq = '\0';
		key = trim(s);
		val = trim(eq + 1);
		if (!r) {
			ret = config_error(path, line, "'%s' before any [NAME] section",
					   key);
			break;
		}
		k = key_index(key);
		if (k < 0) {
			ret = config_error(path, line, "unknown key '%s'", key);
			break;
		}
		if (r->seen & (1U << k)) {
			ret = config_error(path, line, "'%s' given twice for region '%s'",
					   key, r->name);
			break;
		}
		r->seen |= 1U << k;
		ret = set_key(r, k, val, path, line);
		if (ret)
			break;
	}
	if (!ret && ferror(f)) {
		fprintf(stderr, "byteorctl: apply: %s: read error\n", path);
		ret = EXIT_FAILURE;
	}
	if (!ret && r)
		ret = finish_region(a, r);
	fclose(f);
	return ret;
}

static int conf_filter(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return d->d_name[0] != '.' && n > 5 && !strcmp(d->d_name + n - 5, ".conf");
}

/* Every DIR/<anything>.conf in name order.  A missing directory declares nothing. */
static int parse_all(struct apply *a)
{
	struct dirent **list;
	char path[4096];
	int i, n, ret = 0;

	n = scandir(a->config_dir, &list, conf_filter, alphasort);
	if (n < 0) {
		if (errno == ENOENT)
			return 0;
		fprintf(stderr, "byteorctl: apply: %s: %s\n", a->config_dir,
			strerror(errno));
		return EXIT_FAILURE;
	}
	for (i = 0; i < n; i++) {
		if (!ret) {
			snprintf(path, sizeof(path), "%s/%s", a->config_dir,
				 list[i]->d_name);
			ret = parse_file(a, path);
		}
		free(list[i]);
	}
	free(list);
	return ret;
}

/* ---- plan --------------------------------------------------------------- */

/* Print how @r's existing region differs from its declaration; count them. */
static int report_diffs(const struct region_decl *r)
{
	const struct byteor_geometry *w = &r->o.geometry, *h = &r->info.geometry;
	unsigned int i, n = 0;

#define DIFF(what, fmt, want, have) do {					\
	if ((want) != (have)) {							\
		printf("differs %s (%s:%u): " what " " fmt " declared, " fmt	\
		       " in place\n", r->name, r->file, r->line, want, have);	\
		n++;								\
	}									\
} while (0)
	if (r->o.kind != r->info.kind) {
		printf("differs %s (%s:%u): kind %s declared, %s in place\n",
		       r->name, r->file, r->line, byteor_kind_name(r->o.kind),
		       byteor_kind_name(r->info.kind) ? byteor_kind_name(r->info.kind) :
		       "unknown");
		n++;
	}
	DIFF("slot-size", "%u", w->slot_size, h->slot_size);
	DIFF("capacity", "%u", w->capacity, h->capacity);
	DIFF("queues", "%u", w->queues, h->queues);
	DIFF("producers", "%u", w->producers, h->producers);
	DIFF("mpsc-mask", "0x%" PRIx64, (uint64_t)w->mpsc_mask, (uint64_t)h->mpsc_mask);
	for (i = 0; i < BYTEOR_MAX_STAGES; i++)
		DIFF("stage-deps", "%u", w->stage_deps[i], h->stage_deps[i]);
	DIFF("fixed", "%u", !!(w->flags & BYTEOR_GEOM_F_FIXED),
	     !!(h->flags & BYTEOR_GEOM_F_FIXED));
	DIFF("size", "%" PRIu64, (uint64_t)r->size, (uint64_t)r->info.size);
	DIFF("mode", "%04o", r->o.mode, r->info.mode & 0777);
	if (r->has_owner)
		DIFF("owner", "%u", (unsigned int)r->uid, r->info.uid);
	if (r->has_group)
		DIFF("group", "%u", (unsigned int)r->gid, r->info.gid);
#undef DIFF
	return n;
}

/* Look every region up; an error other than "missing" stops everything. */
static int plan(struct apply *a)
{
	struct region_decl *r;
	size_t i;
	int ret;

	for (i = 0; i < a->n; i++) {
		r = &a->v[i];
		ret = byteor_region_info(r->name, a->backing, a->dir, &r->info);
		if (ret == -ENOENT) {
			r->exists = false;
			continue;
		}
		if (ret) {
			fprintf(stderr, "byteorctl: apply: %s (%s:%u): cannot look it up: "
				"%s; nothing changed\n", r->name, r->file, r->line,
				byteor_strerror(ret));
			return EXIT_FAILURE;
		}
		r->exists = true;
	}
	return 0;
}

/* ---- hugepages ---------------------------------------------------------- */

/*
 * The pool's sysfs directory; env BYTEOR_HUGEPAGES_SYSFS stands in for it
 * in the tests (secure_getenv: never honoured for a set-id caller).
 */
static const char *sysfs_dir(void)
{
	const char *s = secure_getenv("BYTEOR_HUGEPAGES_SYSFS");

	return s && *s ? s : APPLY_HUGEPAGES_SYSFS;
}

static int read_count(const char *file, uint64_t *out)
{
	char path[4096], buf[64];
	FILE *f;
	int ret = -EIO;

	snprintf(path, sizeof(path), "%s/%s", sysfs_dir(), file);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (fgets(buf, sizeof(buf), f) && !number(trim(buf), UINT64_MAX, out))
		ret = 0;
	fclose(f);
	return ret;
}

static int write_count(const char *file, uint64_t v)
{
	char path[4096];
	FILE *f;
	int ret = 0;

	snprintf(path, sizeof(path), "%s/%s", sysfs_dir(), file);
	f = fopen(path, "we");
	if (!f)
		return -errno;
	if (fprintf(f, "%" PRIu64 "\n", v) < 0)
		ret = -EIO;
	if (fclose(f) && !ret)
		ret = -errno;
	return ret;
}

/*
 * Raise the pool so the free pages cover the regions still to create:
 * idempotent (once they exist they need nothing more) and never lowers
 * it (other users' pages are not ours to take back).
 */
static int hugepages(const struct apply *a)
{
	uint64_t need = 0, nr, free_pages, target, now;
	unsigned int missing = 0;
	size_t i;
	int ret;

	for (i = 0; i < a->n; i++) {
		if (a->v[i].exists)
			continue;
		need += a->v[i].size / APPLY_HUGEPAGE;
		missing++;
	}
	printf("hugepages: %" PRIu64 " of 2 MiB needed by %u region%s to create\n",
	       need, missing, missing == 1 ? "" : "s");
	ret = read_count("nr_hugepages", &nr);
	if (!ret)
		ret = read_count("free_hugepages", &free_pages);
	if (ret) {
		fprintf(stderr, "byteorctl: apply: hugepages: cannot read %s: %s\n",
			sysfs_dir(), strerror(-ret));
		return EXIT_FAILURE;
	}
	if (free_pages >= need) {
		printf("hugepages: pool %" PRIu64 ", %" PRIu64 " free: enough\n",
		       nr, free_pages);
		return 0;
	}
	target = nr + (need - free_pages);
	if (a->dry_run) {
		printf("hugepages: would raise the pool from %" PRIu64 " to %" PRIu64
		       "\n", nr, target);
		return 0;
	}
	ret = write_count("nr_hugepages", target);
	if (!ret)
		ret = read_count("nr_hugepages", &now);
	if (ret) {
		fprintf(stderr, "byteorctl: apply: hugepages: cannot set the pool to %"
			PRIu64 ": %s\n", target, strerror(-ret));
		return EXIT_FAILURE;
	}
	/* The kernel grants what it can find; less is a failure to report. */
	if (now < target) {
		fprintf(stderr, "byteorctl: apply: hugepages: asked for %" PRIu64
			", the kernel found %" PRIu64 " (memory too fragmented or "
			"too small; reserve them at boot: hugepages= on the kernel "
			"command line)\n", target, now);
		return EXIT_FAILURE;
	}
	printf("hugepages: pool raised from %" PRIu64 " to %" PRIu64 "\n", nr, now);
	return 0;
}

/* ---- acting ------------------------------------------------------------- */

/* The kernel sets the owner at creation (CAP_CHOWN): one ioctl. */
static int kmod_create_owned(const struct region_decl *r)
{
	struct byteor_create c = { .size = sizeof(c) };
	int fd, ret;

	ret = __byteor_name_copy(c.name, r->name);
	if (ret)
		return ret;
	c.flags = BYTEOR_CREATE_F_OWNER;
	c.kind = r->o.kind;
	c.layout_version = byteor_kind_version(r->o.kind);
	c.geometry = r->o.geometry;
	c.region_size = r->o.size;
	c.mode = r->o.mode;
	c.uid = r->has_owner ? r->uid : geteuid();
	c.gid = r->has_group ? r->gid : getegid();
	fd = open(BYTEOR_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = ioctl(fd, BYTEOR_IOC_CREATE, &c) ? -errno : 0;
	close(fd);
	return ret;
}

/*
 * The userspace backing's region is a file: chown it where the library
 * put it.  Until then it is the creator's, mode bits already set.
 */
static int user_chown(const struct apply *a, const struct region_decl *r)
{
	char name[BYTEOR_NAME_MAX], file[sizeof(__BYTEOR_USER_PREFIX) + BYTEOR_NAME_MAX];
	struct __byteor_dirs d;
	int dfd, ret;

	ret = __byteor_name_copy(name, r->name);
	if (!ret)
		ret = __byteor_user_dirs(a->dir, &d);
	if (ret)
		return ret;
	dfd = __byteor_user_lookup(&d, name);
	if (dfd < 0)
		return dfd;
	snprintf(file, sizeof(file), "%s%s", __BYTEOR_USER_PREFIX, r->name);
	ret = fchownat(dfd, file, r->has_owner ? r->uid : (uid_t)-1,
		       r->has_group ? r->gid : (gid_t)-1, AT_SYMLINK_NOFOLLOW) ?
		-errno : 0;
	close(dfd);
	return ret;
}

static int create_one(const struct apply *a, const struct region_decl *r)
{
	struct byteor_region_options o = r->o;
	bool owned = r->has_owner || r->has_group;
	int b = byteor_backing_resolve(a->backing);
	int ret;

	if (b < 0)
		return b;
	if (owned && b == BYTEOR_BACKING_KERNEL)
		return kmod_create_owned(r);
	o.backing = a->backing;
	o.dir = a->dir;
	ret = byteor_region_create(&o, NULL);
	if (ret || !owned)
		return ret;
	ret = user_chown(a, r);
	if (ret)	/* Not as declared: take back what we just made. */
		byteor_region_destroy(r->name, a->backing, a->dir);
	return ret;
}

static int act(const struct apply *a)
{
	bool failed = false, differs = false;
	const struct region_decl *r;
	size_t i;
	int ret;

	for (i = 0; i < a->n; i++) {
		r = &a->v[i];
		if (r->exists) {
			if (report_diffs(r))
				differs = true;
			else
				printf("unchanged %s\n", r->name);
			continue;
		}
		if (a->dry_run) {
			printf("would create %s: %s, %" PRIu64 " bytes\n", r->name,
			       byteor_kind_name(r->o.kind), (uint64_t)r->size);
			continue;
		}
		ret = create_one(a, r);
		if (ret) {
			fprintf(stderr, "byteorctl: apply: create %s (%s:%u): %s\n",
				r->name, r->file, r->line, byteor_strerror(ret));
			failed = true;
			continue;
		}
		printf("created %s: %s, %" PRIu64 " bytes\n", r->name,
		       byteor_kind_name(r->o.kind), (uint64_t)r->size);
	}
	if (failed)
		return EXIT_FAILURE;
	return differs ? EXIT_DIFFERS : 0;
}

/* ---- command line ------------------------------------------------------- */

static const char apply_usage[] =
"usage: byteorctl apply [--config-dir DIR] [--dry-run] [--hugepages]\n"
"                       [--backing kernel|user] [--dir DIR]\n"
"\n"
"Create the regions declared in DIR/*.conf (default " APPLY_CONFIG_DIR ")\n"
"that do not exist; report those that exist but differ; never destroy.\n"
"  --hugepages   first raise the 2 MiB hugepage pool by what the regions\n"
"                to create need (never lowers it)\n"
"  --dry-run     change nothing; say what would be done\n"
"\n"
"exit status: 0 as declared, 1 failure, 2 bad usage or bad file (FILE:LINE),\n"
"3 a region differs from its declaration\n";

static int apply_usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "byteorctl: apply: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'byteorctl apply --help'.\n");
	return EXIT_USAGE;
}

int __byteorctl_apply(int argc, char **argv)
{
	enum { O_CONFIG = 256, O_DRY, O_HUGE, O_BACKING, O_DIR, O_HELP };
	static const struct option opts[] = {
		{ "config-dir", required_argument, NULL, O_CONFIG },
		{ "dry-run", no_argument, NULL, O_DRY },
		{ "hugepages", no_argument, NULL, O_HUGE },
		{ "backing", required_argument, NULL, O_BACKING },
		{ "dir", required_argument, NULL, O_DIR },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct apply a = { .config_dir = APPLY_CONFIG_DIR };
	int opt, ret;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case O_CONFIG:
			a.config_dir = optarg;
			break;
		case O_DRY:
			a.dry_run = true;
			break;
		case O_HUGE:
			a.hugepages = true;
			break;
		case O_BACKING:
			if (!strcmp(optarg, "kernel"))
				a.backing = BYTEOR_BACKING_KERNEL;
			else if (!strcmp(optarg, "user"))
				a.backing = BYTEOR_BACKING_USER;
			else if (!strcmp(optarg, "auto"))
				a.backing = BYTEOR_BACKING_AUTO;
			else
				return apply_usage_error("bad --backing '%s' (kernel, "
							 "user or auto)", optarg);
			break;
		case O_DIR:
			a.dir = optarg;
			break;
		case 'h':
		case O_HELP:
			fputs(apply_usage, stdout);
			return 0;
		default:
			return apply_usage_error("bad or incomplete option '%s'",
						 argv[optind - 1]);
		}
	}
	if (optind < argc)
		return apply_usage_error("unexpected argument '%s'", argv[optind]);

	ret = parse_all(&a);
	if (!ret)
		ret = plan(&a);
	if (!ret && a.hugepages)
		ret = hugepages(&a);
	if (!ret)
		ret = act(&a);
	while (a.n)
		free(a.v[--a.n].file);
	free(a.v);
	return ret;
}
