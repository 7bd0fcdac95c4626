// SPDX-License-Identifier: MIT
/*
 * ctl_export.c - `byteorctl export`: the metrics of every region (or of
 * regions NAME...) in the Prometheus text exposition format (version
 * 0.0.4, which OpenMetrics scrapers read too): to stdout, atomically to a
 * file for node_exporter's textfile collector, or served over HTTP.
 *
 *	byteorctl export                                  # stdout
 *	byteorctl export --textfile /var/lib/prometheus/node-exporter/byteor.prom
 *	byteorctl export --listen 127.0.0.1:9435          # GET /metrics
 *
 * Every sample is labelled region= and kind=; per-role samples also role=
 * (producer, consumer, stage, subscriber, router, publisher) and index=
 * (queue, consumer, stage or subscriber slot).  Positions and lags count
 * messages, a journal's bytes.  The families are listed in docs/design.md
 * ("Monitoring").  With byteor.ko loaded its counters from
 * /sys/class/misc/byteor are exported too (byteor_module_*).
 *
 * --textfile writes PATH.tmp.XXXXXX in PATH's directory and renames it
 * over PATH, so the collector never reads half a file (name it *.prom).
 * --listen serves one request at a time, loopback by default (":PORT" or
 * "PORT" is 127.0.0.1:PORT; port 0 picks a free one), each scrape taking
 * a fresh snapshot; it prints "listening on ADDR:PORT" on stderr and ends
 * cleanly (exit 0) at SIGTERM or SIGINT.
 * Exit: 0, 1 an output could not be written or the socket not set up,
 * 2 bad usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include "byteorctl.h"
#include "ctl_metrics.h"

#define EX_FAIL		1
#define EX_USAGE	2
#define EX_REQ_MAX	8192	/* request head bytes read at most */
#define EX_REQ_MS	5000LL	/* a client gets this long to send its request */

struct ex_args {
	struct byteor_attach_options o;
	const char *textfile;
	const char *listen;
	char **names;
	int nnames;
};

static const char ex_usage[] =
"usage: byteorctl export [NAME...] [--textfile PATH | --listen [ADDR:]PORT]\n"
"                        [--backing kernel|user] [--dir DIR]\n"
"Print the metrics of every region (or of NAME...) in the Prometheus text\n"
"format; --textfile writes them atomically (tmp + rename) for\n"
"node_exporter's textfile collector; --listen serves GET /metrics (default\n"
"address 127.0.0.1) until SIGTERM/SIGINT.\n";

static int ex_usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "byteorctl: export: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n%s", ex_usage);
	return EX_USAGE;
}

static int ex_parse(int argc, char **argv, struct ex_args *a)
{
	static const struct option lo[] = {
		{ "textfile", required_argument, NULL, 't' },
		{ "listen", required_argument, NULL, 'l' },
		{ "backing", required_argument, NULL, 'b' },
		{ "dir", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 't':
			a->textfile = optarg;
			break;
		case 'l':
			a->listen = optarg;
			break;
		case 'b':
			if (!strcmp(optarg, "kernel"))
				a->o.backing = BYTEOR_BACKING_KERNEL;
			else if (!strcmp(optarg, "user"))
				a->o.backing = BYTEOR_BACKING_USER;
			else if (!strcmp(optarg, "auto"))
				a->o.backing = BYTEOR_BACKING_AUTO;
			else
				return ex_usage_error("bad --backing '%s'", optarg);
			break;
		case 'd':
			a->o.dir = optarg;
			break;
		case 'h':
			fputs(ex_usage, stdout);
			return -1;
		default:
			return ex_usage_error("bad or incomplete option '%s'",
					      argv[optind - 1]);
		}
	}
	if (a->textfile && a->listen)
		return ex_usage_error("%s", "--textfile and --listen exclude each other");
	a->names = argv + optind;
	a->nnames = argc - optind;
	return 0;
}

/* ---- the exposition ------------------------------------------------------ */

struct ex_snap {
	struct ctl_region *m;
	int n;
	int list_err;
};

static void ex_take(const struct ex_args *a, struct ex_snap *s)
{
	struct byteor_region_info *v = NULL;
	int i, n;

	memset(s, 0, sizeof(*s));
	if (a->nnames) {
		n = a->nnames;
	} else {
		n = ctl_list(&a->o, &v);
		if (n < 0) {
			/* No backing directory or no module: no regions. */
			s->list_err = n;
			return;
		}
	}
	s->m = calloc(n ? (size_t)n : 1, sizeof(*s->m));
	if (!s->m) {
		s->list_err = -ENOMEM;
		free(v);
		return;
	}
	s->n = n;
	for (i = 0; i < n; i++)
		ctl_collect(a->nnames ? a->names[i] : v[i].name, &a->o, &s->m[i]);
	free(v);
}

static void family(FILE *f, const char *name, const char *type,
		   const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Region names are [A-Za-z0-9._-]: nothing in a label needs escaping. */
static void lbl_region(FILE *f, const struct ctl_region *m)
{
	fprintf(f, "region=\"%s\",kind=\"%s\"", m->info.name, m->kind);
}

static void lbl_row(FILE *f, const struct ctl_region *m, const struct ctl_row *r)
{
	lbl_region(f, m);
	fprintf(f, ",role=\"%s\",index=\"%u\"", r->role, r->index);
}

/* Per-row families: which rows, which value. */
enum ex_field { F_POS, F_LAG, F_ALIVE, F_PARKS, F_WAITERS, F_ATTACHES, F_LAPS };

static bool row_has(const struct ctl_row *r, enum ex_field fl)
{
	switch (fl) {
	case F_POS:
		return r->has_pos;
	case F_LAG:
		return r->has_lag;
	case F_ALIVE:
		return r->alive >= 0;
	case F_PARKS:
	case F_WAITERS:
		return r->has_parks;
	case F_ATTACHES:
		return true;
	case F_LAPS:
		return r->has_laps;
	}
	return false;
}

static __u64 row_val(const struct ctl_row *r, enum ex_field fl)
{
	switch (fl) {
	case F_POS:
		return r->pos;
	case F_LAG:
		return r->lag;
	case F_ALIVE:
		return r->alive > 0;
	case F_PARKS:
		return r->parks;
	case F_WAITERS:
		return r->waiters;
	case F_ATTACHES:
		return r->attaches;
	case F_LAPS:
		return r->laps;
	}
	return 0;
}

static void ex_rows(FILE *f, const struct ex_snap *s, const char *name,
		    const char *type, const char *help, enum ex_field fl)
{
	unsigned int k;
	int i;

	family(f, name, type, help);
	for (i = 0; i < s->n; i++) {
		const struct ctl_region *m = &s->m[i];

		if (m->err)
			continue;
		for (k = 0; k < m->nrows; k++) {
			if (!row_has(&m->rows[k], fl))
				continue;
			fprintf(f, "%s{", name);
			lbl_row(f, m, &m->rows[k]);
			fprintf(f, "} %" PRIu64 "\n",
				(uint64_t)row_val(&m->rows[k], fl));
		}
		/* A journal's subscribers park and wait together. */
		if (m->info.kind == BYTEOR_KIND_JOURNAL &&
		    (fl == F_PARKS || fl == F_WAITERS)) {
			fprintf(f, "%s{", name);
			lbl_region(f, m);
			fprintf(f, ",role=\"subscriber\",index=\"all\"} %" PRIu64 "\n",
				(uint64_t)(fl == F_PARKS ? m->shared_parks :
					   m->shared_waiters));
		}
	}
}

static unsigned int dead_claims(const struct ctl_region *m)
{
	unsigned int k, n = 0;

	for (k = 0; k < m->nrows; k++)
		if (m->rows[k].alive == 0 && m->rows[k].attaches)
			n++;
	return n;
}

/* One region-level family: @pick gives a region's value, or false: none. */
static void ex_region(FILE *f, const struct ex_snap *s, const char *name,
		      const char *type, const char *help,
		      bool (*pick)(const struct ctl_region *, __u64 *))
{
	__u64 v;
	int i;

	family(f, name, type, help);
	for (i = 0; i < s->n; i++) {
		if (s->m[i].err || !pick(&s->m[i], &v))
			continue;
		fprintf(f, "%s{", name);
		lbl_region(f, &s->m[i]);
		fprintf(f, "} %" PRIu64 "\n", (uint64_t)v);
	}
}

static bool p_capacity(const struct ctl_region *m, __u64 *v)
{
	*v = m->capacity;
	return true;
}

static bool p_size(const struct ctl_region *m, __u64 *v)
{
	*v = m->info.size;
	return true;
}

static bool p_claims(const struct ctl_region *m, __u64 *v)
{
	*v = m->info.layout.nr_claims;
	return true;
}

static bool p_held(const struct ctl_region *m, __u64 *v)
{
	*v = m->info.nr_claims_held;
	return true;
}

static bool p_dead(const struct ctl_region *m, __u64 *v)
{
	*v = dead_claims(m);
	return true;
}

static bool p_corrupt(const struct ctl_region *m, __u64 *v)
{
	*v = m->corrupt;
	return true;
}

static bool p_skipped(const struct ctl_region *m, __u64 *v)
{
	*v = m->skipped;
	return m->info.kind == BYTEOR_KIND_EVENTS_CHAIN;
}

static bool p_dropped(const struct ctl_region *m, __u64 *v)
{
	*v = m->dropped;
	return m->info.kind == BYTEOR_KIND_FANOUT;
}

static bool p_records(const struct ctl_region *m, __u64 *v)
{
	*v = m->records;
	return m->info.kind == BYTEOR_KIND_JOURNAL;
}

/* Occupancy: per queue for an events chain (its consumers' lag). */
static void ex_occupancy(FILE *f, const struct ex_snap *s)
{
	unsigned int k;
	int i;

	family(f, "byteor_occupancy", "gauge",
	       "Slots in use (journal: retained bytes), per queue for events");
	for (i = 0; i < s->n; i++) {
		const struct ctl_region *m = &s->m[i];

		if (m->err)
			continue;
		if (m->has_occupancy) {
			fprintf(f, "byteor_occupancy{");
			lbl_region(f, m);
			fprintf(f, ",index=\"0\"} %" PRIu64 "\n",
				(uint64_t)m->occupancy);
			continue;
		}
		for (k = 0; k < m->nrows; k++) {
			if (strcmp(m->rows[k].role, "consumer"))
				continue;
			fprintf(f, "byteor_occupancy{");
			lbl_region(f, m);
			fprintf(f, ",index=\"%u\"} %" PRIu64 "\n",
				m->rows[k].index, (uint64_t)m->rows[k].lag);
		}
	}
}

/* byteor.ko's own counters, when the module is loaded. */
static void ex_module(FILE *f)
{
	static const struct {
		const char *file, *type, *help;
	} attrs[] = {
		{ "regions", "gauge", "Live (named) regions of byteor.ko" },
		{ "bytes", "gauge", "Bytes of all region objects of byteor.ko" },
		{ "hugepages_in_use", "gauge", "2 MiB pages byteor.ko holds" },
		{ "creates", "counter", "Region creates since the module loaded" },
		{ "destroys", "counter", "Region destroys since the module loaded" },
		{ "attaches", "counter", "Attaches since the module loaded" },
		{ "attach_failures", "counter",
		  "Failed attaches since the module loaded" },
	};
	const char *dir = getenv("BYTEOR_SYSFS");
	char path[512], name[96];
	unsigned long long v;
	unsigned int i;
	FILE *in;

	if (!dir || !*dir)
		dir = "/sys/class/misc/byteor";
	for (i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, attrs[i].file);
		in = fopen(path, "r");
		if (!in)
			continue;
		if (fscanf(in, "%llu", &v) == 1) {
			snprintf(name, sizeof(name), "byteor_module_%s%s",
				 attrs[i].file,
				 !strcmp(attrs[i].type, "counter") ? "_total" : "");
			family(f, name, attrs[i].type, attrs[i].help);
			fprintf(f, "%s %llu\n", name, v);
		}
		fclose(in);
	}
}

/* The whole exposition into a malloc'd buffer.  Return: 0 or -errno. */
static int ex_render(const struct ex_args *a, char **buf, size_t *len)
{
	struct ex_snap s;
	FILE *f;
	int i;

	f = open_memstream(buf, len);
	if (!f)
		return -ENOMEM;
	ex_take(a, &s);
	family(f, "byteor_up", "gauge",
	       "1 if the region's lane snapshot could be read, else 0");
	for (i = 0; i < s.n; i++) {
		fprintf(f, "byteor_up{");
		lbl_region(f, &s.m[i]);
		fprintf(f, "} %d\n", s.m[i].err ? 0 : 1);
	}
	ex_region(f, &s, "byteor_region_size_bytes", "gauge",
		  "Bytes of the region", p_size);
	ex_region(f, &s, "byteor_capacity", "gauge",
		  "Slots per ring or queue (journal: record area bytes)",
		  p_capacity);
	ex_occupancy(f, &s);
	ex_rows(f, &s, "byteor_position", "gauge",
		"Messages (journal: bytes) the role has passed since creation",
		F_POS);
	ex_rows(f, &s, "byteor_lag", "gauge",
		"Messages (journal: bytes) waiting for the reader", F_LAG);
	ex_rows(f, &s, "byteor_alive", "gauge",
		"1 if the role's holder is alive, 0 if none is", F_ALIVE);
	ex_rows(f, &s, "byteor_parks_total", "counter",
		"Times the role parked (slept in the kernel) waiting", F_PARKS);
	ex_rows(f, &s, "byteor_waiters", "gauge",
		"Threads of the role parked now", F_WAITERS);
	ex_rows(f, &s, "byteor_attaches_total", "counter",
		"Attaches to the role since creation", F_ATTACHES);
	ex_rows(f, &s, "byteor_laps_total", "counter",
		"Times a journal subscriber was lapped (records lost to it)",
		F_LAPS);
	ex_region(f, &s, "byteor_claims", "gauge",
		  "Claim words of the layout", p_claims);
	ex_region(f, &s, "byteor_claims_held", "gauge",
		  "Claims held by live processes", p_held);
	ex_region(f, &s, "byteor_dead_claims", "gauge",
		  "Roles that had a holder and have no live one (exited or "
		  "killed; journal subscribers: killed without detaching)",
		  p_dead);
	ex_region(f, &s, "byteor_corrupt", "gauge",
		  "1 if the lane's shared positions are inconsistent", p_corrupt);
	ex_region(f, &s, "byteor_skipped_total", "counter",
		  "Events queue positions skipped (claims of dead producers)",
		  p_skipped);
	ex_region(f, &s, "byteor_dropped_total", "counter",
		  "Fanout messages routed to no member", p_dropped);
	ex_region(f, &s, "byteor_journal_records_total", "counter",
		  "Journal records committed since creation", p_records);
	ex_module(f);
	family(f, "byteor_export_list_error", "gauge",
	       "errno of listing the regions (0: listed)");
	fprintf(f, "byteor_export_list_error %d\n", -s.list_err);
	free(s.m);
	if (fclose(f))
		return -ENOMEM;
	return 0;
}

/* ---- outputs ---------------------------------------------------------------- */

static int write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n) {
		w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int ex_textfile(const char *path, const char *buf, size_t len)
{
	char tmp[4096];
	int fd, ret;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkstemp(tmp);
	if (fd < 0)
		return -errno;
	/* The collector runs as another user: readable by all, like a .prom. */
	ret = fchmod(fd, 0644) ? -errno : 0;
	if (!ret)
		ret = write_all(fd, buf, len);
	if (!ret && fsync(fd))
		ret = -errno;
	if (close(fd) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}

/* "[ADDR:]PORT" -> IPv4 socket address; loopback without ADDR. */
static int parse_listen(const char *s, struct sockaddr_in *sa)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	unsigned long port;
	char *end;

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (colon && colon != s) {
		if ((size_t)(colon - s) >= sizeof(host))
			return -EINVAL;
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = '\0';
		if (!strcmp(host, "localhost"))
			strcpy(host, "127.0.0.1");
		if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
			return -EINVAL;
	}
	s = colon ? colon + 1 : s;
	errno = 0;
	port = strtoul(s, &end, 10);
	if (errno || end == s || *end || port > 65535)
		return -EINVAL;
	sa->sin_port = htons((unsigned short)port);
	return 0;
}

static void http_reply(int c, const char *status, const char *body, size_t len)
{
	char head[256];
	int n;

	n = snprintf(head, sizeof(head), "HTTP/1.1 %s\r\nContent-Type: text/plain; "
		     "version=0.0.4; charset=utf-8\r\nContent-Length: %zu\r\n"
		     "Connection: close\r\n\r\n", status, len);
	if (send(c, head, (size_t)n, MSG_NOSIGNAL) == n && len)
		(void)send(c, body, len, MSG_NOSIGNAL);
}

/* Read one request head (to the blank line), answer it, close. */
static void http_serve(const struct ex_args *a, int c)
{
	char req[EX_REQ_MAX + 1], *buf = NULL;
	struct pollfd p = { .fd = c, .events = POLLIN };
	long long deadline = ctl_mono_ns() + EX_REQ_MS * 1000000LL;
	size_t got = 0, len = 0;
	long long left;
	ssize_t r;

	/* One deadline for the whole head: a slow drip cannot hold the loop. */
	while (got < EX_REQ_MAX) {
		left = (deadline - ctl_mono_ns()) / 1000000;
		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			goto out;	/* a silent or slow client: drop it */
		r = recv(c, req + got, EX_REQ_MAX - got, 0);
		if (r <= 0)
			goto out;
		got += (size_t)r;
		req[got] = '\0';
		if (strstr(req, "\r\n\r\n") || strstr(req, "\n\n"))
			break;
	}
	req[got] = '\0';
	if (strncmp(req, "GET ", 4)) {
		http_reply(c, "405 Method Not Allowed", "GET only\n", 9);
	} else if (strncmp(req + 4, "/metrics", 8) ||
		   (req[12] != ' ' && req[12] != '?')) {
		http_reply(c, "404 Not Found", "try /metrics\n", 13);
	} else if (ex_render(a, &buf, &len)) {
		http_reply(c, "500 Internal Server Error", "out of memory\n", 14);
	} else {
		http_reply(c, "200 OK", buf, len);
	}
out:
	free(buf);
	close(c);
}

static int ex_listen(const struct ex_args *a)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	struct pollfd p[2];
	char addr[INET_ADDRSTRLEN];
	sigset_t stop;
	int ls, sfd, c, one = 1;

	if (parse_listen(a->listen, &sa))
		return ex_usage_error("bad --listen '%s' ([IPv4 ADDR:]PORT)",
				      a->listen);
	/*
	 * SIGTERM and SIGINT arrive through a signalfd polled with the
	 * socket: a scrape in progress finishes, then the loop ends (exit 0).
	 */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	if (sigprocmask(SIG_BLOCK, &stop, NULL))
		return EX_FAIL;
	sfd = signalfd(-1, &stop, SFD_CLOEXEC);
	ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sfd < 0 || ls < 0) {
		fprintf(stderr, "byteorctl: export: socket: %s\n", strerror(errno));
		return EX_FAIL;
	}
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(ls, (struct sockaddr *)&sa, sizeof(sa)) || listen(ls, 16) ||
	    getsockname(ls, (struct sockaddr *)&sa, &sl)) {
		fprintf(stderr, "byteorctl: export: --listen %s: %s\n", a->listen,
			strerror(errno));
		close(ls);
		close(sfd);
		return EX_FAIL;
	}
	inet_ntop(AF_INET, &sa.sin_addr, addr, sizeof(addr));
	fprintf(stderr, "byteorctl: export: listening on %s:%u\n", addr,
		ntohs(sa.sin_port));
	p[0].fd = ls;
	p[0].events = POLLIN;
	p[1].fd = sfd;
	p[1].events = POLLIN;
	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents)
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		c = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
		if (c >= 0)
			http_serve(a, c);
	}
	close(ls);
	close(sfd);
	return 0;
}

int __byteorctl_export(int argc, char **argv)
{
	struct ex_args a = { 0 };
	size_t len = 0;
	char *buf = NULL;
	int ret;

	a.o.backing = BYTEOR_BACKING_AUTO;
	ret = ex_parse(argc, argv, &a);
	if (ret)
		return ret < 0 ? 0 : ret;
	if (a.listen)
		return ex_listen(&a);
	ret = ex_render(&a, &buf, &len);
	if (ret) {
		fprintf(stderr, "byteorctl: export: %s\n", byteor_strerror(ret));
		return EX_FAIL;
	}
	if (a.textfile) {
		ret = ex_textfile(a.textfile, buf, len);
		if (ret)
			fprintf(stderr, "byteorctl: export: --textfile %s: %s\n",
				a.textfile, strerror(-ret));
	} else {
		ret = write_all(STDOUT_FILENO, buf, len);
		if (ret)
			fprintf(stderr, "byteorctl: export: writing stdout: %s\n",
				strerror(-ret));
	}
	free(buf);
	return ret ? EX_FAIL : 0;
}
