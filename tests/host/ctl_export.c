// SPDX-License-Identifier: GPL-2.0-only
/*
 * ctl_export - `byteorctl export` for a known workload (100 messages
 * sent, 40 consumed on a single ring; 5 journal records, a registered
 * subscriber 2 records in): the exact positions, lags and counters in the
 * Prometheus text format, to stdout, atomically to a --textfile, over
 * HTTP with --listen (clean exit at SIGTERM), and read back through the
 * real prometheus-node-exporter's textfile collector over loopback.
 * Also `stat --all` and the rates `watch` prints between refreshes.
 */
#include "kselftest_harness.h"
#include "host_test.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <byteor/journal.h>
#include <byteor/single_ring.h>

#ifndef HT_BYTEORCTL
#define HT_BYTEORCTL "byteorctl"
#endif

#define NODE_EXPORTER	"/usr/bin/prometheus-node-exporter"

FIXTURE(ex) {
	struct ht_dir d;
	const char *ctl;
	char out[HT_PATH * 2];
	struct byteor_single_ring *tx, *rx;
	struct byteor_journal *pub, *sub;
	pid_t child;
};

FIXTURE_SETUP(ex)
{
	const char *env = getenv("BYTEORCTL");
	struct byteor_geometry g = ht_geom(256, 4096, 1, 1);
	struct byteor_attach_options o;
	char buf[256] = { 0 };
	__u64 i, v;

	self->child = 0;
	self->tx = self->rx = NULL;
	self->pub = self->sub = NULL;
	ASSERT_EQ(0, ht_shm_dir(&self->d));
	self->ctl = env && *env ? env : HT_BYTEORCTL;
	snprintf(self->out, sizeof(self->out), "%s/.out", self->d.path);
	if (access(self->ctl, X_OK))
		SKIP(return, "%s not built", self->ctl);

	/* The known workload: 100 sent, 40 consumed. */
	ASSERT_EQ(0, ht_create_ring(self->d.path, "ring"));
	o = ht_opts(self->d.path, "ring");
	ASSERT_EQ(0, byteor_attach_single_ring(&o, BYTEOR_ROLE_PRODUCER, &self->tx));
	ASSERT_EQ(0, byteor_attach_single_ring(&o, BYTEOR_ROLE_CONSUMER, &self->rx));
	for (i = 0; i < 100; i++)
		ASSERT_EQ(0, byteor_single_ring_send(self->tx, &i, sizeof(i)));
	for (i = 0; i < 40; i++)
		ASSERT_EQ((int)sizeof(v), byteor_single_ring_recv(self->rx, &v, sizeof(v)));

	/* 5 records of 24 bytes (40 with the header), the subscriber 2 in. */
	ASSERT_EQ(0, ht_create(self->d.path, "log", BYTEOR_KIND_JOURNAL, &g));
	o = ht_opts(self->d.path, "log");
	ASSERT_EQ(0, byteor_attach_journal_publisher(&o, &self->pub));
	ASSERT_EQ(0, byteor_attach_journal_subscriber_tail(&o, &self->sub));
	for (i = 0; i < 5; i++)
		ASSERT_EQ(0, byteor_journal_append(self->pub, 1, buf, 24, NULL));
	for (i = 0; i < 2; i++)
		ASSERT_EQ(24, byteor_journal_read(self->sub, buf, sizeof(buf), NULL));
}

FIXTURE_TEARDOWN(ex)
{
	if (self->child > 0) {
		kill(self->child, SIGKILL);
		ht_wait(self->child);
	}
	byteor_single_ring_detach(self->tx);
	byteor_single_ring_detach(self->rx);
	byteor_journal_detach(self->sub);
	byteor_journal_detach(self->pub);
	ht_dir_teardown(&self->d);
}

#define OUT_HAS(re) (ht_sh("grep -q -- '" re "' %s", self->out) == 0)
#define FILE_HAS(f, re) (ht_sh("grep -q -- '" re "' %s", f) == 0)

/* The series of the workload, exactly (labels as byteorctl writes them). */
static const char *const series[] = {
	"^byteor_up{region=\"ring\",kind=\"single-ring\"} 1$",
	"^byteor_position{region=\"ring\",kind=\"single-ring\",role=\"producer\",index=\"0\"} 100$",
	"^byteor_position{region=\"ring\",kind=\"single-ring\",role=\"consumer\",index=\"0\"} 40$",
	"^byteor_lag{region=\"ring\",kind=\"single-ring\",role=\"consumer\",index=\"0\"} 60$",
	"^byteor_occupancy{region=\"ring\",kind=\"single-ring\",index=\"0\"} 60$",
	"^byteor_alive{region=\"ring\",kind=\"single-ring\",role=\"consumer\",index=\"0\"} 1$",
	"^byteor_attaches_total{region=\"ring\",kind=\"single-ring\",role=\"producer\",index=\"0\"} 1$",
	"^byteor_claims_held{region=\"ring\",kind=\"single-ring\"} 2$",
	"^byteor_dead_claims{region=\"ring\",kind=\"single-ring\"} 0$",
	"^byteor_position{region=\"log\",kind=\"journal\",role=\"publisher\",index=\"0\"} 200$",
	"^byteor_position{region=\"log\",kind=\"journal\",role=\"subscriber\",index=\"0\"} 80$",
	"^byteor_lag{region=\"log\",kind=\"journal\",role=\"subscriber\",index=\"0\"} 120$",
	"^byteor_laps_total{region=\"log\",kind=\"journal\",role=\"subscriber\",index=\"0\"} 0$",
	"^byteor_journal_records_total{region=\"log\",kind=\"journal\"} 5$",
	"^# HELP byteor_lag ",
	"^# TYPE byteor_lag gauge$",
	"^# TYPE byteor_parks_total counter$",
};

static int check_series(struct __test_metadata *_metadata, const char *file)
{
	unsigned int i;

	for (i = 0; i < sizeof(series) / sizeof(series[0]); i++) {
		if (!ht_sh("grep -q -- '%s' %s", series[i], file))
			continue;
		printf("# missing in %s: %s\n", file, series[i]);
		EXPECT_TRUE(false);
	}
	return 0;
}

TEST_F(ex, export_prints_the_exact_positions_and_lags_of_a_known_workload)
{
	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, ht_sh("%s export --backing user --dir %s > %s", self->ctl,
			   self->d.path, self->out));
	check_series(_metadata, self->out);
	/* Every family is announced once, before its samples. */
	EXPECT_EQ(0, ht_sh("test $(grep -c '^# TYPE byteor_position ' %s) = 1",
			   self->out));
	/* Only the regions named. */
	ASSERT_EQ(0, ht_sh("%s export log --backing user --dir %s > %s", self->ctl,
			   self->d.path, self->out));
	EXPECT_FALSE(OUT_HAS("region=\"ring\""));
	EXPECT_TRUE(OUT_HAS("region=\"log\""));
}

TEST_F(ex, a_killed_subscriber_shows_as_a_dead_claim)
{
	struct byteor_attach_options o = ht_opts(self->d.path, "log");
	struct byteor_journal *sub;
	int p[2];
	pid_t pid;

	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, pipe(p));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (byteor_attach_journal_subscriber_tail(&o, &sub))
			_exit(1);
		ht_signal(p[1]);
		pause();
	}
	ASSERT_EQ(0, ht_await(p[0]));
	kill(pid, SIGKILL);
	ht_wait(pid);
	ASSERT_EQ(0, ht_sh("%s export log --backing user --dir %s > %s", self->ctl,
			   self->d.path, self->out));
	EXPECT_TRUE(OUT_HAS("^byteor_alive{region=\"log\",kind=\"journal\",role=\"subscriber\",index=\"1\"} 0$"));
	EXPECT_TRUE(OUT_HAS("^byteor_dead_claims{region=\"log\",kind=\"journal\"} 1$"));
	close(p[0]);
	close(p[1]);
}

TEST_F(ex, textfile_is_replaced_whole_and_readable_by_the_collector)
{
	char file[HT_PATH * 2];

	HT_SETUP_SKIPPED();
	snprintf(file, sizeof(file), "%s/byteor.prom", self->d.path);
	ASSERT_EQ(0, ht_sh("echo stale > %s", file));
	ASSERT_EQ(0, ht_sh("%s export --textfile %s --backing user --dir %s",
			   self->ctl, file, self->d.path));
	check_series(_metadata, file);
	EXPECT_FALSE(FILE_HAS(file, "stale"));
	EXPECT_EQ(0, ht_sh("test \"$(stat -c %%a %s)\" = 644", file));
	EXPECT_EQ(0, ht_sh("test $(ls -a %s | grep -c 'prom\\.tmp') = 0",
			   self->d.path));
	/* A directory that is not there: exit 1, the error named. */
	EXPECT_EQ(1, ht_sh("%s export --textfile %s/no/such.prom --backing user "
			   "--dir %s 2>%s", self->ctl, self->d.path,
			   self->d.path, self->out));
	EXPECT_TRUE(OUT_HAS("--textfile .*No such file or directory"));
}

TEST_F(ex, module_counters_are_exported_when_byteor_ko_is_there)
{
	char sys[HT_PATH * 2];

	HT_SETUP_SKIPPED();
	/* A stand-in for /sys/class/misc/byteor (no module on this host). */
	snprintf(sys, sizeof(sys), "%s/sys", self->d.path);
	ASSERT_EQ(0, ht_sh("mkdir %s && echo 3 > %s/attach_failures && "
			   "echo 7 > %s/regions", sys, sys, sys));
	ASSERT_EQ(0, ht_sh("BYTEOR_SYSFS=%s %s export --backing user --dir %s > %s",
			   sys, self->ctl, self->d.path, self->out));
	EXPECT_TRUE(OUT_HAS("^# TYPE byteor_module_attach_failures_total counter$"));
	EXPECT_TRUE(OUT_HAS("^byteor_module_attach_failures_total 3$"));
	EXPECT_TRUE(OUT_HAS("^byteor_module_regions 7$"));
	EXPECT_FALSE(OUT_HAS("byteor_module_bytes"));
}

/* ---- HTTP ----------------------------------------------------------------- */

/*
 * GET @path from 127.0.0.1:@port; the body (NUL-terminated) into @buf.
 * Return: the HTTP status, or -1.
 */
static int http_get(unsigned int port, const char *path, char *buf, size_t cap)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	char req[256], *body;
	size_t got = 0;
	ssize_t r;
	int fd, status = -1;

	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		goto out;
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		 "Connection: close\r\n\r\n", path);
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req))
		goto out;
	while (got + 1 < cap && (r = read(fd, buf + got, cap - 1 - got)) > 0)
		got += (size_t)r;
	buf[got] = '\0';
	if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
		status = -1;
	body = strstr(buf, "\r\n\r\n");
	if (body)
		memmove(buf, body + 4, strlen(body + 4) + 1);
out:
	close(fd);
	return status;
}

/* Wait (up to 20 s) until something listens on 127.0.0.1:@port. */
static int await_port(unsigned int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int i, fd, ok;

	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (i = 0; i < 400; i++) {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		ok = !connect(fd, (struct sockaddr *)&sa, sizeof(sa));
		close(fd);
		if (ok)
			return 0;
		usleep(50 * 1000);
	}
	return -1;
}

/* A loopback port free right now (the kernel's pick for port 0). */
static unsigned int free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	unsigned int port = 0;
	int fd;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (!bind(fd, (struct sockaddr *)&sa, sizeof(sa)) &&
	    !getsockname(fd, (struct sockaddr *)&sa, &sl))
		port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

/* Write @s (NUL-terminated) to @path. */
static int put_file(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fputs(s, f);
	return fclose(f);
}

TEST_F(ex, listen_serves_get_metrics_on_loopback_and_exits_cleanly_on_sigterm)
{
	static char body[1 << 20];
	char err[HT_PATH * 2], body_file[HT_PATH * 2];
	unsigned int port = 0;
	FILE *f;
	int st, i;

	HT_SETUP_SKIPPED();
	snprintf(err, sizeof(err), "%s/.err", self->d.path);
	snprintf(body_file, sizeof(body_file), "%s/.body", self->d.path);
	self->child = fork();
	ASSERT_LE(0, self->child);
	if (!self->child) {
		if (!freopen(err, "w", stderr))
			_exit(99);
		execl(self->ctl, self->ctl, "export", "--listen", ":0",
		      "--backing", "user", "--dir", self->d.path, (char *)NULL);
		_exit(98);
	}
	for (i = 0; i < 400 && !port; i++) {
		usleep(50 * 1000);
		f = fopen(err, "r");
		if (f) {
			if (fscanf(f, "byteorctl: export: listening on 127.0.0.1:%u",
				   &port) != 1)
				port = 0;
			fclose(f);
		}
	}
	ASSERT_NE(0U, port);

	ASSERT_EQ(200, http_get(port, "/metrics", body, sizeof(body)));
	ASSERT_EQ(0, put_file(body_file, body));
	check_series(_metadata, body_file);
	/* Each scrape is a fresh snapshot: 10 more consumed, lag 50. */
	for (i = 0; i < 10; i++) {
		__u64 v;

		ASSERT_EQ(8, byteor_single_ring_recv(self->rx, &v, sizeof(v)));
	}
	ASSERT_EQ(200, http_get(port, "/metrics?x=1", body, sizeof(body)));
	EXPECT_NE(NULL, strstr(body, "byteor_lag{region=\"ring\",kind=\"single-ring\","
			       "role=\"consumer\",index=\"0\"} 50\n"));
	EXPECT_EQ(404, http_get(port, "/", body, sizeof(body)));

	ASSERT_EQ(0, kill(self->child, SIGTERM));
	st = ht_wait(self->child);
	self->child = 0;
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));
}

TEST_F(ex, node_exporter_textfile_collector_serves_the_exact_series)
{
	static char body[4 << 20];
	char dir[HT_PATH * 2], file[HT_PATH * 3], addr[64], body_file[HT_PATH * 2];
	unsigned int port;
	int st;

	HT_SETUP_SKIPPED();
	if (access(NODE_EXPORTER, X_OK))
		SKIP(return, "%s is not installed (scripts/deps.sh installs "
		     "prometheus-node-exporter)", NODE_EXPORTER);
	snprintf(dir, sizeof(dir), "%s/textfile", self->d.path);
	snprintf(file, sizeof(file), "%s/byteor.prom", dir);
	snprintf(body_file, sizeof(body_file), "%s/.body", self->d.path);
	ASSERT_EQ(0, mkdir(dir, 0755));
	ASSERT_EQ(0, ht_sh("%s export --textfile %s --backing user --dir %s",
			   self->ctl, file, self->d.path));
	port = free_port();
	ASSERT_NE(0U, port);
	snprintf(addr, sizeof(addr), "--web.listen-address=127.0.0.1:%u", port);

	self->child = fork();
	ASSERT_LE(0, self->child);
	if (!self->child) {
		char tdir[HT_PATH * 3];

		snprintf(tdir, sizeof(tdir), "--collector.textfile.directory=%s", dir);
		if (!freopen("/dev/null", "w", stderr))
			_exit(99);
		execl(NODE_EXPORTER, NODE_EXPORTER, addr,
		      "--collector.disable-defaults", "--collector.textfile",
		      tdir, (char *)NULL);
		_exit(98);
	}
	ASSERT_EQ(0, await_port(port)) TH_LOG("node_exporter did not listen on %u", port);
	ASSERT_EQ(200, http_get(port, "/metrics", body, sizeof(body)));
	ASSERT_EQ(0, put_file(body_file, body));

	/* The collector parsed our file: no error, and every series is there. */
	EXPECT_TRUE(FILE_HAS(body_file, "^node_textfile_scrape_error 0$"));
	/* node_exporter sorts the labels by name. */
	EXPECT_TRUE(FILE_HAS(body_file, "^byteor_position{index=\"0\",kind=\"single-ring\",region=\"ring\",role=\"producer\"} 100$"));
	EXPECT_TRUE(FILE_HAS(body_file, "^byteor_position{index=\"0\",kind=\"single-ring\",region=\"ring\",role=\"consumer\"} 40$"));
	EXPECT_TRUE(FILE_HAS(body_file, "^byteor_lag{index=\"0\",kind=\"single-ring\",region=\"ring\",role=\"consumer\"} 60$"));
	EXPECT_TRUE(FILE_HAS(body_file, "^byteor_lag{index=\"0\",kind=\"journal\",region=\"log\",role=\"subscriber\"} 120$"));
	EXPECT_TRUE(FILE_HAS(body_file, "^byteor_journal_records_total{kind=\"journal\",region=\"log\"} 5$"));
	EXPECT_TRUE(FILE_HAS(body_file, "^# TYPE byteor_parks_total counter$"));

	kill(self->child, SIGTERM);
	st = ht_wait(self->child);
	self->child = 0;
	EXPECT_TRUE(WIFEXITED(st) || WIFSIGNALED(st));
}

/* ---- stat --all, watch rates -------------------------------------------- */

TEST_F(ex, stat_all_prints_every_region_and_the_journal_subscribers)
{
	HT_SETUP_SKIPPED();
	ASSERT_EQ(0, ht_sh("%s stat --all --backing user --dir %s > %s",
			   self->ctl, self->d.path, self->out));
	ht_sh("sed 's/^/# /' %s", self->out);
	EXPECT_TRUE(OUT_HAS("^ring: single-ring v1, 1024 slots"));
	EXPECT_TRUE(OUT_HAS("^log: journal, 4096 bytes"));
	EXPECT_TRUE(OUT_HAS("^  subscriber 0  pos 80  lag 120 bytes  read 2  "
			    "lapped 0  alive pid [0-9]*$"));
	if (ht_sh("python3 -c 'import json' 2>/dev/null"))
		SKIP(return, "python3 is needed to parse the JSON output");
	ASSERT_EQ(0, ht_sh("%s stat --all --json --backing user --dir %s > %s",
			   self->ctl, self->d.path, self->out));
	/* JSON lines: one object per region, in name order. */
	EXPECT_EQ(0, ht_sh("python3 -c \"import json, sys; "
			   "d = [json.loads(l) for l in open(sys.argv[1])]; "
			   "s = d[0]['subscribers']['registered'][0]; "
			   "sys.exit(0 if [x['name'] for x in d] == ['log', 'ring'] "
			   "and s['slot'] == 0 and s['pos'] == 80 and s['lag'] == 120 "
			   "and s['alive'] is True and s['read'] == 2 else 1)\" %s",
			   self->out));
	EXPECT_EQ(2, ht_sh("%s stat --all ring --backing user --dir %s 2>/dev/null",
			   self->ctl, self->d.path));
}

TEST_F(ex, watch_prints_deltas_and_rates_between_refreshes)
{
	char path[HT_PATH * 2];
	struct byteor_slot s[10];
	int i, st;

	HT_SETUP_SKIPPED();
	snprintf(path, sizeof(path), "%s/.watch", self->d.path);
	self->child = fork();
	ASSERT_LE(0, self->child);
	if (!self->child) {
		if (!freopen(path, "w", stdout))
			_exit(99);
		execl(self->ctl, self->ctl, "watch", "ring", "--interval", "2",
		      "--count", "3", "--backing", "user", "--dir", self->d.path,
		      (char *)NULL);
		_exit(98);
	}
	/*
	 * After the first refresh (flushed), consume 10 in one release (one
	 * store: no refresh sees half of it).  The second refresh shows them,
	 * or on a slow machine the third: exactly one does.
	 */
	for (i = 0; i < 1000; i++) {
		if (!ht_sh("grep -qs 'rates: from the next refresh on' %s", path))
			break;
		usleep(10 * 1000);
	}
	ASSERT_LT(i, 1000);
	ASSERT_EQ(10, byteor_single_ring_peek(self->rx, s, 10));
	ASSERT_EQ(10, byteor_single_ring_release(self->rx, 10));
	st = ht_wait(self->child);
	self->child = 0;
	ASSERT_TRUE(WIFEXITED(st));
	ASSERT_EQ(0, WEXITSTATUS(st));
	ht_sh("sed 's/^/# /' %s", path);
	EXPECT_EQ(0, ht_sh("test $(grep -c '^  rates over [0-9.]* s:$' %s) = 2", path));
	EXPECT_EQ(0, ht_sh("test $(grep -c '^    producer 0 *+0 msg *0.0 msg/s  "
			   "parks +0 (0.0/s)$' %s) = 2", path));
	EXPECT_EQ(0, ht_sh("test $(grep -c '^    consumer 0 *+10 msg *[0-9.]* msg/s  "
			   "parks +0 (0.0/s)  lag 60 -> 50 (-10)$' %s) = 1", path));
	EXPECT_EQ(0, ht_sh("test $(grep -c '^    consumer 0 *+0 msg *0.0 msg/s  "
			   "parks +0 (0.0/s)  lag 50 -> 50 (+0)$' %s) = 1 || "
			   "test $(grep -c '^    consumer 0 *+0 msg *0.0 msg/s  "
			   "parks +0 (0.0/s)  lag 60 -> 60 (+0)$' %s) = 1", path, path));
}

TEST_HARNESS_MAIN
