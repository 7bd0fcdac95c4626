// SPDX-License-Identifier: MIT
/*
 * ctl_check.c - `byteorctl check [NAME...]`: lag and stall alarms with
 * the exit codes monitoring systems (Nagios, Icinga, Sensu, a cron job)
 * expect, one line per problem.
 *
 *	$ byteorctl check md.eurusd --warn-lag 1000 --max-lag 4000 --max-stall 5
 *	BYTEOR CRITICAL - 1 critical, 0 warning, 1 region(s), 1 reader(s)
 *	CRITICAL md.eurusd consumer 0: stalled: position 81920 unchanged for 5.0 s with 4096 message(s) waiting (pid 4243 alive)
 *
 * Readers are consumers, stages, fanout members and registered journal
 * subscribers.  Per reader:
 *  - lag >= --max-lag is CRITICAL, >= --warn-lag WARNING (journal
 *    subscribers: --max-lag-bytes / --warn-lag-bytes, lag in bytes);
 *  - stalled (its position did not move across two observations at least
 *    SECONDS apart while messages waited at both, its holder alive or not
 *    - a SIGSTOPped process is alive): >= --max-stall CRITICAL,
 *    >= --warn-stall WARNING;
 *  - gone with messages waiting (its holder dead, it had attached) is
 *    CRITICAL where it holds its producer back (ring, events, stage,
 *    fanout member), WARNING for a journal subscriber (never waited for);
 *  - a region whose positions are inconsistent (corrupt) is WARNING.
 * A region that cannot be read is UNKNOWN.
 *
 * Stall needs two observations.  Without --state, check samples, sleeps
 * until the smaller stall threshold, samples again (and, if a larger one
 * is set and something looked stalled, sleeps until that one too): a
 * check with --max-stall 30 takes 30 s.  With --state FILE it samples
 * once and keeps, per reader, the position and since when it has been
 * there with messages waiting, in FILE (rewritten atomically: tmp +
 * rename): a check run every minute then answers at once, and a stall
 * shows once it has lasted the threshold, measured across runs.
 *
 * Exit: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (a region unreadable, bad
 * usage); CRITICAL wins over UNKNOWN, UNKNOWN over WARNING.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "byteorctl.h"
#include "ctl_metrics.h"

enum { CK_OK = 0, CK_WARN = 1, CK_CRIT = 2, CK_UNKNOWN = 3 };

#define CK_NONE	UINT64_MAX	/* threshold not set */

struct ck_args {
	struct byteor_attach_options o;
	__u64 warn_lag, max_lag, warn_bytes, max_bytes;
	double warn_stall, max_stall;	/* seconds; < 0: not set */
	const char *state;
	char **names;
	int nnames;
};

struct ck_result {
	int crit, warn, unknown;
	unsigned int regions, readers;
	char *lines;
	size_t len, room;
};

static const char ck_usage[] =
"usage: byteorctl check [NAME...] [--warn-lag N] [--max-lag N]\n"
"                       [--warn-lag-bytes N] [--max-lag-bytes N]\n"
"                       [--warn-stall SECONDS] [--max-stall SECONDS]\n"
"                       [--state FILE] [--backing kernel|user] [--dir DIR]\n"
"Check every reader (consumer, stage, fanout member, journal subscriber)\n"
"of regions NAME (default: every region): lag over a threshold, a position\n"
"that did not move for SECONDS while messages waited (also a stopped\n"
"process), a dead reader with messages waiting.  One line per problem.\n"
"exit: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (unreadable region, bad usage)\n";

static int ck_usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "byteorctl: check: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n%s", ck_usage);
	return CK_UNKNOWN;
}

static int ck_u64(const char *opt, const char *s, __u64 *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || *s == '+')
		return ck_usage_error("bad number for %s (a count)", opt);
	*out = v;
	return 0;
}

static int ck_secs(const char *opt, const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v <= 0 || v > 86400)
		return ck_usage_error("bad %s (seconds, above 0, at most 86400)",
				      opt);
	*out = v;
	return 0;
}

static int ck_parse(int argc, char **argv, struct ck_args *a)
{
	static const struct option lo[] = {
		{ "warn-lag", required_argument, NULL, 'w' },
		{ "max-lag", required_argument, NULL, 'm' },
		{ "warn-lag-bytes", required_argument, NULL, 'W' },
		{ "max-lag-bytes", required_argument, NULL, 'M' },
		{ "warn-stall", required_argument, NULL, 's' },
		{ "max-stall", required_argument, NULL, 'S' },
		{ "state", required_argument, NULL, 'f' },
		{ "backing", required_argument, NULL, 'b' },
		{ "dir", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, ret;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		ret = 0;
		switch (c) {
		case 'w':
			ret = ck_u64("--warn-lag", optarg, &a->warn_lag);
			break;
		case 'm':
			ret = ck_u64("--max-lag", optarg, &a->max_lag);
			break;
		case 'W':
			ret = ck_u64("--warn-lag-bytes", optarg, &a->warn_bytes);
			break;
		case 'M':
			ret = ck_u64("--max-lag-bytes", optarg, &a->max_bytes);
			break;
		case 's':
			ret = ck_secs("--warn-stall", optarg, &a->warn_stall);
			break;
		case 'S':
			ret = ck_secs("--max-stall", optarg, &a->max_stall);
			break;
		case 'f':
			a->state = optarg;
			break;
		case 'b':
			if (!strcmp(optarg, "kernel"))
				a->o.backing = BYTEOR_BACKING_KERNEL;
			else if (!strcmp(optarg, "user"))
				a->o.backing = BYTEOR_BACKING_USER;
			else if (!strcmp(optarg, "auto"))
				a->o.backing = BYTEOR_BACKING_AUTO;
			else
				ret = ck_usage_error("bad --backing '%s'", optarg);
			break;
		case 'd':
			a->o.dir = optarg;
			break;
		case 'h':
			fputs(ck_usage, stdout);
			return -1;
		default:
			ret = ck_usage_error("bad or incomplete option '%s'",
					     argv[optind - 1]);
		}
		if (ret)
			return ret;
	}
	if (a->warn_lag != CK_NONE && a->max_lag != CK_NONE &&
	    a->warn_lag > a->max_lag)
		return ck_usage_error("%s", "--warn-lag above --max-lag");
	if (a->warn_stall > 0 && a->max_stall > 0 && a->warn_stall > a->max_stall)
		return ck_usage_error("%s", "--warn-stall above --max-stall");
	a->names = argv + optind;
	a->nnames = argc - optind;
	return 0;
}

static void ck_line(struct ck_result *r, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void ck_line(struct ck_result *r, int level, const char *fmt, ...)
{
	static const char *const word[] = { "OK", "WARNING", "CRITICAL", "UNKNOWN" };
	char buf[512];
	va_list ap;
	size_t n;
	char *nl;

	if (level == CK_CRIT)
		r->crit++;
	else if (level == CK_WARN)
		r->warn++;
	else if (level == CK_UNKNOWN)
		r->unknown++;
	n = (size_t)snprintf(buf, sizeof(buf), "%s ", word[level]);
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	va_end(ap);
	n = strlen(buf);
	if (r->len + n + 2 > r->room) {
		nl = realloc(r->lines, r->room + n + 4096);
		if (!nl)
			return;
		r->lines = nl;
		r->room += n + 4096;
	}
	memcpy(r->lines + r->len, buf, n);
	r->len += n;
	r->lines[r->len++] = '\n';
	r->lines[r->len] = '\0';
}

/* ---- samples ------------------------------------------------------------ */

struct ck_sample {
	int n;
	struct ctl_region *m;
	long long at;		/* CLOCK_MONOTONIC ns */
};

static int ck_take(const struct ck_args *a, struct ck_sample *s)
{
	struct byteor_region_info *v = NULL;
	int i, n;

	if (a->nnames) {
		n = a->nnames;
	} else {
		n = ctl_list(&a->o, &v);
		if (n < 0)
			return n;
	}
	s->m = calloc(n ? (size_t)n : 1, sizeof(*s->m));
	if (!s->m) {
		free(v);
		return -ENOMEM;
	}
	s->n = n;
	s->at = ctl_mono_ns();
	for (i = 0; i < n; i++)
		ctl_collect(a->nnames ? a->names[i] : v[i].name, &a->o, &s->m[i]);
	free(v);
	return 0;
}

static const struct ctl_row *ck_find(const struct ck_sample *s,
				     const struct ctl_region *m,
				     const struct ctl_row *r)
{
	unsigned int k;
	int i;

	for (i = 0; i < s->n; i++) {
		const struct ctl_region *x = &s->m[i];

		if (x->err || strcmp(x->info.name, m->info.name) ||
		    x->info.generation != m->info.generation)
			continue;
		for (k = 0; k < x->nrows; k++)
			if (!strcmp(x->rows[k].role, r->role) &&
			    x->rows[k].index == r->index)
				return &x->rows[k];
	}
	return NULL;
}

/* ---- the state file ------------------------------------------------------ */

struct ck_state_ent {
	char region[BYTEOR_NAME_MAX];
	char role[16];
	__u64 gen, pos;
	unsigned int index;
	long long since;	/* CLOCK_BOOTTIME ns at this pos, lag > 0; 0: none */
};

struct ck_state {
	struct ck_state_ent *e;
	int n;
};

static long long boot_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* A missing or unreadable file is an empty state: the first run. */
static void state_load(const char *path, struct ck_state *st)
{
	struct ck_state_ent x, *ne;
	char line[256];
	FILE *f;

	st->e = NULL;
	st->n = 0;
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		memset(&x, 0, sizeof(x));
		if (sscanf(line, "v1 %63s %llu %15s %u %llu %lld",
			   x.region, &x.gen, x.role, &x.index, &x.pos,
			   &x.since) != 6)
			continue;
		ne = realloc(st->e, (size_t)(st->n + 1) * sizeof(*ne));
		if (!ne)
			break;
		st->e = ne;
		st->e[st->n++] = x;
	}
	fclose(f);
}

static struct ck_state_ent *state_find(struct ck_state *st,
				       const struct ctl_region *m,
				       const struct ctl_row *r)
{
	int i;

	for (i = 0; i < st->n; i++)
		if (!strcmp(st->e[i].region, m->info.name) &&
		    st->e[i].gen == m->info.generation &&
		    !strcmp(st->e[i].role, r->role) && st->e[i].index == r->index)
			return &st->e[i];
	return NULL;
}

/* Write the new state to a temporary file, then rename it into place. */
static int state_save(const char *path, const struct ck_sample *s,
		      struct ck_state *old, long long now)
{
	const struct ck_state_ent *e;
	char tmp[4096];
	long long since;
	unsigned int k;
	FILE *f;
	int i, fd;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkstemp(tmp);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(tmp);
		return -ENOMEM;
	}
	for (i = 0; i < s->n; i++) {
		const struct ctl_region *m = &s->m[i];

		if (m->err)
			continue;
		for (k = 0; k < m->nrows; k++) {
			const struct ctl_row *r = &m->rows[k];

			if (!r->reader)
				continue;
			e = state_find(old, m, r);
			since = 0;
			if (r->lag)
				since = e && e->pos == r->pos && e->since &&
					e->since <= now ? e->since : now;
			fprintf(f, "v1 %s %" PRIu64 " %s %u %" PRIu64 " %lld\n",
				m->info.name, (uint64_t)m->info.generation,
				r->role, r->index, (uint64_t)r->pos, since);
		}
	}
	if (fflush(f) || fsync(fileno(f))) {
		fclose(f);
		unlink(tmp);
		return -EIO;
	}
	fclose(f);
	if (rename(tmp, path)) {
		i = -errno;
		unlink(tmp);
		return i;
	}
	return 0;
}

/* ---- verdicts -------------------------------------------------------------- */

static const char *unit(const struct ctl_region *m)
{
	return m->info.kind == BYTEOR_KIND_JOURNAL ? "byte(s)" : "message(s)";
}

static void ck_stall(struct ck_result *res, const struct ck_args *a,
		     const struct ctl_region *m, const struct ctl_row *r,
		     double secs)
{
	int level;

	if (a->max_stall > 0 && secs >= a->max_stall)
		level = CK_CRIT;
	else if (a->warn_stall > 0 && secs >= a->warn_stall)
		level = CK_WARN;
	else
		return;
	ck_line(res, level, "%s %s %u: stalled: position %" PRIu64
		" unchanged for %.1f s with %" PRIu64 " %s waiting (pid %u %s)",
		m->info.name, r->role, r->index, (uint64_t)r->pos, secs,
		(uint64_t)r->lag, unit(m), r->pid,
		r->alive > 0 ? "alive" : "liveness unknown");
}

/*
 * Lag, death and corruption of the latest sample; stall from @stalled_s
 * (seconds the row has not moved with messages waiting, per row, or
 * NULL).
 */
static void ck_region(struct ck_result *res, const struct ck_args *a,
		      const struct ctl_region *m, const double *stalled_s)
{
	bool journal = m->info.kind == BYTEOR_KIND_JOURNAL;
	__u64 warn = journal ? a->warn_bytes : a->warn_lag;
	__u64 max = journal ? a->max_bytes : a->max_lag;
	unsigned int k;

	if (m->err) {
		ck_line(res, CK_UNKNOWN, "%s: cannot read: %s", m->info.name,
			byteor_strerror(m->err));
		return;
	}
	res->regions++;
	if (m->corrupt)
		ck_line(res, CK_WARN, "%s: positions inconsistent (corrupt "
			"shared state, byteorctl stat shows them)", m->info.name);
	for (k = 0; k < m->nrows; k++) {
		const struct ctl_row *r = &m->rows[k];

		if (!r->reader)
			continue;
		res->readers++;
		if (r->alive == 0 && (journal || (r->lag && r->attaches))) {
			if (journal)
				ck_line(res, CK_WARN, "%s subscriber %u: dead "
					"(pid %u): left at position %" PRIu64
					", %" PRIu64 " byte(s) behind",
					m->info.name, r->index, r->pid,
					(uint64_t)r->pos, (uint64_t)r->lag);
			else
				ck_line(res, r->gates ? CK_CRIT : CK_WARN,
					"%s %s %u: gone (pid %u not alive) with %"
					PRIu64 " message(s) waiting at position %"
					PRIu64, m->info.name, r->role, r->index,
					r->pid, (uint64_t)r->lag, (uint64_t)r->pos);
			continue;
		}
		if (stalled_s && stalled_s[k] > 0)
			ck_stall(res, a, m, r, stalled_s[k]);
		if (max != CK_NONE && r->lag >= max)
			ck_line(res, CK_CRIT, "%s %s %u: lag %" PRIu64 " %s >= %s %"
				PRIu64, m->info.name, r->role, r->index,
				(uint64_t)r->lag, unit(m),
				journal ? "--max-lag-bytes" : "--max-lag",
				(uint64_t)max);
		else if (warn != CK_NONE && r->lag >= warn)
			ck_line(res, CK_WARN, "%s %s %u: lag %" PRIu64 " %s >= %s %"
				PRIu64, m->info.name, r->role, r->index,
				(uint64_t)r->lag, unit(m),
				journal ? "--warn-lag-bytes" : "--warn-lag",
				(uint64_t)warn);
	}
}

/* Seconds each row of @m stood still, lag > 0, since @first. */
static void ck_stalled_since(const struct ck_sample *first,
			     const struct ck_sample *now,
			     const struct ctl_region *m, double *out)
{
	const struct ctl_row *p;
	unsigned int k;

	for (k = 0; k < m->nrows; k++) {
		const struct ctl_row *r = &m->rows[k];

		out[k] = 0;
		if (!r->reader || !r->lag)
			continue;
		p = ck_find(first, m, r);
		if (p && p->pos == r->pos && p->lag)
			out[k] = (double)(now->at - first->at) / 1e9;
	}
}

static bool ck_any_stalled(const struct ck_sample *first,
			   const struct ck_sample *now)
{
	double st[CTL_MAX_ROWS];
	unsigned int k;
	int i;

	for (i = 0; i < now->n; i++) {
		if (now->m[i].err)
			continue;
		ck_stalled_since(first, now, &now->m[i], st);
		for (k = 0; k < now->m[i].nrows; k++)
			if (st[k] > 0)
				return true;
	}
	return false;
}

static void ck_sleep_until(long long at)
{
	struct timespec ts;
	long long left;

	while ((left = at - ctl_mono_ns()) > 0) {
		ts.tv_sec = left / 1000000000LL;
		ts.tv_nsec = left % 1000000000LL;
		nanosleep(&ts, NULL);
	}
}

int __byteorctl_check(int argc, char **argv)
{
	struct ck_args a = {
		.warn_lag = CK_NONE, .max_lag = CK_NONE,
		.warn_bytes = CK_NONE, .max_bytes = CK_NONE,
		.warn_stall = -1, .max_stall = -1,
	};
	struct ck_sample first = { 0 }, last = { 0 };
	struct ck_result res = { 0 };
	double st[CTL_MAX_ROWS], t1, t2;
	struct ck_state old = { 0 };
	bool stall;
	long long now = 0;
	int i, ret, code;
	unsigned int k;

	a.o.backing = BYTEOR_BACKING_AUTO;
	ret = ck_parse(argc, argv, &a);
	if (ret)
		return ret < 0 ? 0 : ret;
	stall = a.warn_stall > 0 || a.max_stall > 0;
	ret = ck_take(&a, &first);
	if (ret) {
		printf("BYTEOR UNKNOWN - cannot list the regions: %s\n",
		       byteor_strerror(ret));
		return CK_UNKNOWN;
	}
	if (stall && !a.state) {
		/* Sample, wait, sample: the smaller threshold first. */
		t1 = a.warn_stall > 0 ? a.warn_stall : a.max_stall;
		t2 = a.max_stall > 0 ? a.max_stall : t1;
		ck_sleep_until(first.at + (long long)(t1 * 1e9));
		ret = ck_take(&a, &last);
		if (!ret && t2 > t1 && ck_any_stalled(&first, &last)) {
			free(last.m);
			last.m = NULL;
			ck_sleep_until(first.at + (long long)(t2 * 1e9));
			ret = ck_take(&a, &last);
		}
		if (ret) {
			printf("BYTEOR UNKNOWN - cannot list the regions: %s\n",
			       byteor_strerror(ret));
			free(first.m);
			return CK_UNKNOWN;
		}
	} else {
		last = first;
		first.m = NULL;
	}
	if (stall && a.state) {
		state_load(a.state, &old);
		now = boot_ns();
	}
	for (i = 0; i < last.n; i++) {
		struct ctl_region *m = &last.m[i];

		if (stall && !a.state && !m->err) {
			ck_stalled_since(&first, &last, m, st);
		} else if (stall && !m->err) {
			for (k = 0; k < m->nrows; k++) {
				struct ck_state_ent *e = state_find(&old, m, &m->rows[k]);

				st[k] = 0;
				if (m->rows[k].reader && m->rows[k].lag && e &&
				    e->pos == m->rows[k].pos && e->since &&
				    e->since <= now)
					st[k] = (double)(now - e->since) / 1e9;
			}
		}
		ck_region(&res, &a, m, stall ? st : NULL);
	}
	if (stall && a.state) {
		ret = state_save(a.state, &last, &old, now);
		if (ret)
			ck_line(&res, CK_UNKNOWN, "cannot write the state file "
				"%s: %s", a.state, byteor_strerror(ret));
	}
	code = res.crit ? CK_CRIT : res.unknown ? CK_UNKNOWN :
	       res.warn ? CK_WARN : CK_OK;
	printf("BYTEOR %s - %d critical, %d warning, %u region(s), %u reader(s)\n",
	       code == CK_CRIT ? "CRITICAL" : code == CK_UNKNOWN ? "UNKNOWN" :
	       code == CK_WARN ? "WARNING" : "OK", res.crit, res.warn,
	       res.regions, res.readers);
	if (res.lines)
		fputs(res.lines, stdout);
	free(res.lines);
	free(old.e);
	free(first.m);
	free(last.m);
	return code;
}
