// SPDX-License-Identifier: MIT
/*
 * byteorctl_watch.c - `byteorctl watch NAME [--interval SECONDS]
 * [--count N] [--backing kernel|user|auto] [--dir DIR]`: the `stat`
 * snapshot of a region, refreshed every SECONDS (0.1 to 60, default 1).
 *
 * On a terminal each refresh clears the screen first, like watch(1);
 * otherwise (a pipe, a file, a log) the snapshots follow one another, each
 * after a header line with the time, so the output stays readable as a log.
 * It stops after N refreshes (--count), else at SIGINT or SIGTERM (exit 0);
 * a region that disappears, or can no longer be read, ends it with exit 1.
 *
 * After each snapshot, the rates since the previous refresh, per role:
 *
 *	  rates over 1.00 s:
 *	    producer 0     +51200 msg          51200.0 msg/s  parks +0 (0.0/s)
 *	    consumer 0     +51100 msg          51100.0 msg/s  parks +3 (3.0/s)  lag 100 -> 200 (+100)
 *
 * (a journal's positions are bytes: "B" and "B/s"; its publisher line adds
 * records/s).  The first refresh has no previous one; a region re-created
 * in between (new generation) restarts them.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <byteor/region.h>
#include "byteorctl.h"
#include "ctl_metrics.h"

#define EXIT_FAIL	1
#define EXIT_USAGE	2

#define WATCH_MIN_INTERVAL	0.1
#define WATCH_MAX_INTERVAL	60.0
#define NSEC_PER_SEC		1000000000LL

struct watch_args {
	const char *name;
	const char *dir;
	enum byteor_backing backing;
	double interval;
	unsigned long count;	/* 0: until a signal */
};

static const char watch_usage[] =
"usage: byteorctl watch NAME [--interval SECONDS] [--count N]\n"
"                       [--backing kernel|user] [--dir DIR]\n"
"Print the lane snapshot of region NAME (as byteorctl stat) every SECONDS\n"
"(0.1 to 60, default 1): on a terminal the screen is redrawn, otherwise\n"
"each snapshot follows a header line with the time.  Stops after N\n"
"refreshes, else at SIGINT/SIGTERM (exit 0); exit 1 if the region goes away.\n";

static int watch_usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "byteorctl: watch: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n%s", watch_usage);
	return EXIT_USAGE;
}

/* Seconds as a decimal (or anything strtod takes), finite, in range. */
static int parse_interval(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) ||
	    v < WATCH_MIN_INTERVAL || v > WATCH_MAX_INTERVAL)
		return watch_usage_error("bad --interval '%s' (seconds, 0.1 to 60)", s);
	*out = v;
	return 0;
}

static int parse_count(const char *s, unsigned long *out)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || *s == '+' || !v)
		return watch_usage_error("bad --count '%s' (a positive number)", s);
	*out = v;
	return 0;
}

static int watch_parse(int argc, char **argv, struct watch_args *a)
{
	static const struct option lo[] = {
		{ "interval", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'c' },
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
		case 'i':
			ret = parse_interval(optarg, &a->interval);
			break;
		case 'c':
			ret = parse_count(optarg, &a->count);
			break;
		case 'b':
			if (!strcmp(optarg, "kernel"))
				a->backing = BYTEOR_BACKING_KERNEL;
			else if (!strcmp(optarg, "user"))
				a->backing = BYTEOR_BACKING_USER;
			else if (!strcmp(optarg, "auto"))
				a->backing = BYTEOR_BACKING_AUTO;
			else
				ret = watch_usage_error("bad --backing '%s'", optarg);
			break;
		case 'd':
			a->dir = optarg;
			break;
		case 'h':
			fputs(watch_usage, stdout);
			return -1;
		default:
			ret = watch_usage_error("bad or incomplete option '%s'",
						argv[optind - 1]);
		}
		if (ret)
			return ret;
	}
	if (optind >= argc)
		return watch_usage_error("%s", "missing NAME");
	a->name = argv[optind++];
	if (optind < argc)
		return watch_usage_error("unexpected argument '%s'", argv[optind]);
	return 0;
}

static long long mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

/* Local wall-clock time, to the millisecond: what the header shows. */
static void wall_time(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	n = strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%03ld", ts.tv_nsec / 1000000);
}

static void print_header(const struct watch_args *a, bool tty,
			 unsigned long refresh)
{
	char when[64];

	wall_time(when, sizeof(when));
	if (tty)
		/* Home, then erase: one redraw, no scrolling. */
		printf("\033[H\033[2JEvery %gs: byteorctl watch %s    %s\n\n",
		       a->interval, a->name, when);
	else
		printf("--- byteorctl watch %s: %s, every %gs, refresh %lu ---\n",
		       a->name, when, a->interval, refresh);
}

/*
 * Wait until @deadline (CLOCK_MONOTONIC ns) or a stop signal.  The stop
 * signals are blocked outside this wait, so one that arrives while a
 * snapshot is printed stays pending and ends the very next wait: no window
 * where it is noticed only an interval later.
 * Return: true if a stop signal came.
 */
static bool wait_or_signal(const sigset_t *stop, long long deadline)
{
	struct timespec ts;
	long long left;

	for (;;) {
		left = deadline - mono_ns();
		if (left < 0)
			left = 0;
		ts.tv_sec = left / NSEC_PER_SEC;
		ts.tv_nsec = left % NSEC_PER_SEC;
		if (sigtimedwait(stop, NULL, &ts) > 0)
			return true;
		if (errno == EAGAIN)
			return false;
		/* EINTR: another signal (SIGWINCH, SIGCONT) ran; wait on. */
	}
}

static const struct ctl_row *find_row(const struct ctl_region *m,
				      const struct ctl_row *r)
{
	unsigned int k;

	for (k = 0; k < m->nrows; k++)
		if (!strcmp(m->rows[k].role, r->role) && m->rows[k].index == r->index)
			return &m->rows[k];
	return NULL;
}

/* Deltas and rates of @cur against @prev, @secs apart (@prev NULL: first). */
static void print_rates(const struct ctl_region *prev,
			const struct ctl_region *cur, double secs)
{
	bool journal = cur->info.kind == BYTEOR_KIND_JOURNAL;
	const char *u = journal ? "B" : "msg";
	const struct ctl_row *p;
	char who[32], delta[32];
	unsigned int k;
	__u64 d, dp;

	if (!prev || prev->info.generation != cur->info.generation || secs <= 0) {
		printf("  rates: from the next refresh on\n");
		return;
	}
	printf("  rates over %.2f s:\n", secs);
	for (k = 0; k < cur->nrows; k++) {
		const struct ctl_row *r = &cur->rows[k];

		p = find_row(prev, r);
		if (!p) {
			printf("    %-10s %-3u new since the last refresh\n",
			       r->role, r->index);
			continue;
		}
		/* Positions never go back (a scribble aside): clamp at 0. */
		d = r->pos >= p->pos ? r->pos - p->pos : 0;
		snprintf(who, sizeof(who), "%s %u", r->role, r->index);
		snprintf(delta, sizeof(delta), "+%llu %s", (unsigned long long)d, u);
		printf("    %-14s %-16s %12.1f %s/s", who, delta, d / secs, u);
		if (r->has_parks) {
			dp = r->parks >= p->parks ? r->parks - p->parks : 0;
			printf("  parks +%llu (%.1f/s)", (unsigned long long)dp,
			       dp / secs);
		}
		if (journal && !strcmp(r->role, "publisher"))
			printf("  records +%llu (%.1f/s)",
			       (unsigned long long)(cur->records - prev->records),
			       (cur->records - prev->records) / secs);
		if (r->has_lag)
			printf("  lag %llu -> %llu (%+lld)",
			       (unsigned long long)p->lag,
			       (unsigned long long)r->lag,
			       (long long)(r->lag - p->lag));
		if (r->has_laps && r->laps != p->laps)
			printf("  lapped +%llu", (unsigned long long)(r->laps - p->laps));
		printf("\n");
	}
}

int __byteorctl_watch(int argc, char **argv)
{
	struct watch_args a = {
		.backing = BYTEOR_BACKING_AUTO, .interval = 1.0,
	};
	struct byteor_attach_options o;
	struct byteor_region_info info;
	long long step, deadline;
	static struct ctl_region snaps[2];
	struct ctl_region *prev = NULL, *cur;
	long long prev_at = 0, at;
	unsigned long refresh;
	sigset_t stop;
	bool tty;
	int ret;

	ret = watch_parse(argc, argv, &a);
	if (ret)
		return ret < 0 ? 0 : ret;
	/* A region that is not there at all: say so before any header. */
	ret = byteor_region_info(a.name, a.backing, a.dir, &info);
	if (ret) {
		fprintf(stderr, "byteorctl: watch %s: %s\n", a.name,
			byteor_strerror(ret));
		return EXIT_FAIL;
	}
	memset(&o, 0, sizeof(o));
	o.backing = a.backing;
	o.dir = a.dir;
	tty = isatty(STDOUT_FILENO);
	step = (long long)(a.interval * NSEC_PER_SEC + 0.5);

	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	/*
	 * Blocked for good: the process exits right after, and unblocking
	 * would let a signal that came during the last snapshot kill it
	 * instead of the clean exit 0.
	 */
	if (sigprocmask(SIG_BLOCK, &stop, NULL)) {
		fprintf(stderr, "byteorctl: watch: sigprocmask: %s\n",
			strerror(errno));
		return EXIT_FAIL;
	}
	deadline = mono_ns();
	for (refresh = 1; ; refresh++) {
		print_header(&a, tty, refresh);
		ret = __byteorctl_stat_once(a.name, &o, 0);
		if (!ret) {
			cur = &snaps[refresh & 1];
			at = ctl_mono_ns();
			if (!ctl_collect(a.name, &o, cur)) {
				print_rates(prev, cur, (at - prev_at) / 1e9);
				prev = cur;
				prev_at = at;
			}
		}
		if (fflush(stdout) && !ret) {
			fprintf(stderr, "byteorctl: watch %s: writing the "
				"output: %s\n", a.name, strerror(errno));
			ret = EXIT_FAIL;
		}
		if (ret) {
			fprintf(stderr, "byteorctl: watch %s: stopped after %lu "
				"refresh(es)\n", a.name, refresh);
			break;
		}
		if (a.count && refresh >= a.count)
			break;
		/* Fixed cadence; after a slow snapshot, no burst to catch up. */
		deadline += step;
		if (deadline < mono_ns())
			deadline = mono_ns();
		if (wait_or_signal(&stop, deadline))
			break;
	}
	return ret ? EXIT_FAIL : 0;
}
