// SPDX-License-Identifier: MIT
/*
 * bridge_unit - the bridge's parts that need no server: checkpoints
 * (round trip, corrupt and truncated files refused, a failed store keeps
 * the previous file), record ids, the config file and flags; and the in
 * direction's chain over a scripted engine (records out of order,
 * duplicates, a gap marker), and the out direction's rewind after a failed
 * publication.  TAP output, exit 1 on any failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "transport.h"

static int planned, failures;
static char dir[] = "/tmp/bridge_unit.XXXXXX";

#define CHECK(cond, name) do {						\
	planned++;							\
	if (cond) {							\
		printf("ok %d %s\n", planned, name);			\
	} else {							\
		printf("not ok %d %s (%s:%d: %s)\n", planned, name,	\
		       __FILE__, __LINE__, #cond);			\
		failures++;						\
	}								\
} while (0)

static struct bridge_ckpt sample(void)
{
	struct bridge_ckpt c;

	memset(&c, 0, sizeof(c));
	c.dir = BRIDGE_IN;
	strcpy(c.region, "orders.log");
	c.generation = 1796471392683157194ULL;
	c.origin = 4096;
	c.position = 123456;
	c.chain_known = true;
	strcpy(c.dest, "orders.copy");
	c.dest_generation = 42;
	c.dest_position = 777;
	return c;
}

static int slurp(const char *path, char *buf, size_t n)
{
	int fd = open(path, O_RDONLY), len;

	if (fd < 0)
		return -1;
	len = read(fd, buf, n - 1);
	close(fd);
	if (len >= 0)
		buf[len] = 0;
	return len;
}

static void spill(const char *path, const char *buf, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd >= 0) {
		if (write(fd, buf, n) < 0)
			perror(path);
		close(fd);
	}
}

static void checkpoints(void)
{
	struct bridge_ckpt c = sample(), d;
	struct bridge_err err;
	char path[128], tmp[140], buf[1024], again[1024];
	int len;

	snprintf(path, sizeof(path), "%s/ck", dir);
	CHECK(bridge_ckpt_load(path, &d, &err) == -ENOENT,
	      "a_missing_checkpoint_is_enoent");
	CHECK(bridge_ckpt_store(path, &c, &err) == 0 &&
	      bridge_ckpt_load(path, &d, &err) == 0 && d.dir == c.dir &&
	      !strcmp(d.region, c.region) && d.generation == c.generation &&
	      d.origin == c.origin && d.position == c.position &&
	      d.chain_known && !strcmp(d.dest, c.dest) &&
	      d.dest_generation == c.dest_generation &&
	      d.dest_position == c.dest_position,
	      "checkpoint_round_trips_every_field");
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	CHECK(access(tmp, F_OK) && errno == ENOENT,
	      "a_stored_checkpoint_leaves_no_temporary_file");

	len = slurp(path, buf, sizeof(buf));
	/* One digit of the position changed: the sum no longer matches. */
	strcpy(again, buf);
	*strstr(again, "position 123456") = 'P';
	spill(path, again, len);
	CHECK(bridge_ckpt_load(path, &d, &err) == -EBADMSG &&
	      strstr(err.msg, "corrupt"),
	      "a_checkpoint_with_a_changed_byte_is_refused");
	spill(path, buf, len / 2);
	CHECK(bridge_ckpt_load(path, &d, &err) == -EBADMSG,
	      "a_truncated_checkpoint_is_refused");
	spill(path, "", 0);
	CHECK(bridge_ckpt_load(path, &d, &err) == -EBADMSG,
	      "an_empty_checkpoint_is_refused");

	/* A store that cannot write its temporary file keeps the old one. */
	spill(path, buf, len);
	mkdir(tmp, 0755);
	c.position = 999;
	CHECK(bridge_ckpt_store(path, &c, &err) < 0 &&
	      slurp(path, again, sizeof(again)) == len && !strcmp(again, buf) &&
	      bridge_ckpt_load(path, &d, &err) == 0 && d.position == 123456,
	      "a_failed_store_keeps_the_previous_checkpoint");
	rmdir(tmp);
	unlink(path);
}

static void ids(void)
{
	struct bridge_rec r;
	char a[BRIDGE_ID_MAX], b[BRIDGE_ID_MAX], g[BRIDGE_ID_MAX];

	memset(&r, 0, sizeof(r));
	strcpy(r.region, "orders.log");
	r.generation = 7;
	r.pos = 4096;
	r.next = 4400;
	bridge_rec_id(&r, a, sizeof(a));
	r.generation = 8;
	bridge_rec_id(&r, b, sizeof(b));
	r.kind = BRIDGE_REC_GAP;
	bridge_rec_id(&r, g, sizeof(g));
	CHECK(!strcmp(a, "byteor:orders.log:7:4096"),
	      "a_record_id_is_region_generation_and_position");
	CHECK(strcmp(a, b), "a_recreated_region_gives_other_ids");
	CHECK(strcmp(b, g) && strstr(g, ":gap:4096:4400"),
	      "a_gap_marker_never_shares_a_records_id");
	CHECK(bridge_rec_id(&r, a, 10) == -ENAMETOOLONG,
	      "an_id_that_does_not_fit_is_refused");
}

static void config(void)
{
	struct bridge_config c;
	struct bridge_err err;
	char path[128], arg[140];
	char *argv[8];
	FILE *f;

	snprintf(path, sizeof(path), "%s/conf", dir);
	f = fopen(path, "w");
	fprintf(f, "# comment\njournal = orders.log\nstream ORDERS\nwindow = 64\n"
		"checkpoint = /tmp/x\ncreate-stream = yes\n");
	fclose(f);
	snprintf(arg, sizeof(arg), "--config=%s", path);
	argv[0] = "out";
	argv[1] = arg;
	argv[2] = "--window";
	argv[3] = "128";
	argv[4] = NULL;
	bridge_config_defaults(&c);
	CHECK(bridge_config_parse(&c, 4, argv, &err) == 0 && c.window == 128 &&
	      !strcmp(c.journal, "orders.log") && !strcmp(c.stream, "ORDERS") &&
	      c.create_stream && !strcmp(c.subject, "byteor.orders.log") &&
	      !strcmp(c.durable, "byteor-orders_log"),
	      "the_config_file_is_read_and_a_flag_wins_over_it");
	f = fopen(path, "w");
	fprintf(f, "journal = a\nwindoww = 3\n");
	fclose(f);
	bridge_config_defaults(&c);
	CHECK(bridge_config_parse(&c, 2, argv, &err) == -EINVAL &&
	      strstr(err.msg, ":2: unknown key 'windoww'"),
	      "an_unknown_config_key_is_refused_with_its_line");
	argv[1] = "--window";
	argv[2] = "0";
	argv[3] = NULL;
	bridge_config_defaults(&c);
	CHECK(bridge_config_parse(&c, 3, argv, &err) == -EINVAL &&
	      strstr(err.msg, "--window"),
	      "a_window_of_zero_is_refused");
	argv[1] = "--journal";
	argv[2] = "a";
	bridge_config_defaults(&c);
	CHECK(bridge_config_parse(&c, 3, argv, &err) == -EINVAL &&
	      strstr(err.msg, "required"),
	      "a_missing_stream_or_checkpoint_flag_is_refused");
	unlink(path);
}

/* ---- a scripted engine -------------------------------------------------- */

#define SRC	"src.log"
#define NREC	10

struct script_msg {
	struct bridge_rec r;
	char data[32];
	bool acked, released;
	bool ack_uncovered;	/* acked while the checkpoint did not cover it */
};

static struct script_msg *deliveries;
static int ndeliveries, batch_ends[8], nbatches, cur_batch, cur_msg;
static const char *ckpt_path;

/* Out: what was published (pos, kind) in order; which publication fails. */
static struct { __u64 pos; __u32 kind; } published[256];
static int npublished, fail_at = -1, failures_left;
static bridge_ack_fn out_ack;
static void *out_ctx;

static int sc_connect(const struct bridge_config *c, bridge_ack_fn on_ack,
		      void *ctx, struct bridge_transport **out,
		      struct bridge_err *err)
{
	(void)c;
	(void)err;
	out_ack = on_ack;
	out_ctx = ctx;
	*out = (struct bridge_transport *)&deliveries;
	return 0;
}

static int sc_publish(struct bridge_transport *t, const struct bridge_rec *r,
		      struct bridge_err *err)
{
	int k = npublished;

	(void)t;
	(void)err;
	if (npublished >= 256)
		return -ENOSPC;
	published[npublished].pos = r->pos;
	published[npublished++].kind = r->kind;
	/* The failing one is "not stored", the later ones of its window are. */
	if (k == fail_at && failures_left) {
		failures_left--;
		out_ack(out_ctx, r->pos, r->kind, -EIO, false, "scripted failure");
	} else {
		out_ack(out_ctx, r->pos, r->kind, 0, false, NULL);
	}
	return 0;
}

static int sc_wait(struct bridge_transport *t, long ms)
{
	(void)t;
	(void)ms;
	return 0;
}

static int sc_fetch(struct bridge_transport *t, struct bridge_rec *v, int n,
		    long ms, struct bridge_err *err)
{
	int got = 0;

	(void)t;
	(void)err;
	if (cur_batch >= nbatches) {
		usleep(ms * 1000 / 20);
		return 0;
	}
	while (cur_msg < batch_ends[cur_batch] && got < n) {
		v[got] = deliveries[cur_msg].r;
		v[got].handle = &deliveries[cur_msg];
		cur_msg++;
		got++;
	}
	cur_batch++;
	return got;
}

static int sc_ack(struct bridge_transport *t, struct bridge_rec *r)
{
	struct script_msg *m = r->handle;
	struct bridge_ckpt ck;
	struct bridge_err err;

	(void)t;
	m->acked = true;
	if (bridge_ckpt_load(ckpt_path, &ck, &err) ||
	    (m->r.kind == BRIDGE_REC_DATA ? ck.position < m->r.next :
	     ck.position < m->r.next))
		m->ack_uncovered = true;
	return 0;
}

static void sc_release(struct bridge_transport *t, struct bridge_rec *r)
{
	struct script_msg *m = r->handle;

	(void)t;
	m->released = true;
}

static void sc_close(struct bridge_transport *t)
{
	(void)t;
}

static const struct bridge_transport_ops script_ops = {
	.name = "script",
	.connect = sc_connect,
	.publish_async = sc_publish,
	.wait_acks = sc_wait,
	.fetch = sc_fetch,
	.ack = sc_ack,
	.release = sc_release,
	.close = sc_close,
};

/* Source record i: positions 64 i .. 64 (i + 1), payload "record i". */
static void deliver(int i, __u32 kind, __u64 pos, __u64 next)
{
	struct script_msg *m = &deliveries[ndeliveries++];

	memset(m, 0, sizeof(*m));
	m->r.kind = kind;
	m->r.type = kind == BRIDGE_REC_GAP ? BRIDGE_GAP_TYPE : (__u32)i;
	m->r.pos = pos;
	m->r.next = next;
	strcpy(m->r.region, SRC);
	m->r.generation = 5;
	m->r.origin = 0;
	m->r.delivered = 1;
	snprintf(m->data, sizeof(m->data), "record %d", i);
	m->r.data = kind == BRIDGE_REC_GAP ? NULL : m->data;
	m->r.len = kind == BRIDGE_REC_GAP ? 0 : strlen(m->data);
}

static void rec(int i)
{
	deliver(i, BRIDGE_REC_DATA, 64 * i, 64 * (i + 1));
}

static void end_batch(void)
{
	batch_ends[nbatches++] = ndeliveries;
}

static int make_journal(const char *name)
{
	struct byteor_region_options ro;

	memset(&ro, 0, sizeof(ro));
	ro.name = name;
	ro.kind = BYTEOR_KIND_JOURNAL;
	ro.backing = BYTEOR_BACKING_USER;
	ro.dir = dir;
	ro.geometry.slot_size = 64;
	ro.geometry.capacity = 1 << 16;
	ro.geometry.queues = 1;
	ro.geometry.producers = 1;
	return byteor_region_create(&ro, NULL);
}

static struct bridge_config script_config(enum bridge_dir d, const char *journal,
					  const char *ck)
{
	struct bridge_config c;

	bridge_config_defaults(&c);
	c.dir = d;
	strcpy(c.transport, "script");
	strcpy(c.stream, "S");
	strcpy(c.subject, "s");
	strcpy(c.journal, journal);
	strcpy(c.jdir, dir);
	c.backing = BYTEOR_BACKING_USER;
	strcpy(c.checkpoint, ck);
	c.max_idle_ms = 100;
	c.window = 4;
	return c;
}

static void in_chain(void)
{
	struct byteor_attach_options o;
	struct byteor_journal *j;
	struct byteor_journal_record jr;
	struct bridge_metrics m;
	struct bridge_config c;
	struct bridge_gap g;
	char ck[128], buf[64], want[32];
	const int order[] = { 0, 1, 2, -1, 5, 6, 7, 8, 9 };
	bool same = true, covered = true;
	int i, n, ret;

	deliveries = calloc(32, sizeof(*deliveries));
	snprintf(ck, sizeof(ck), "%s/in.ckpt", dir);
	ckpt_path = ck;
	/* 0, 2 (ahead: held), 1 (then 2), 1 again (a redelivery). */
	rec(0); rec(2); rec(1); rec(1); end_batch();
	/* A gap [3, 5), then 5, then 3 (stale: before the gap's end). */
	deliver(-1, BRIDGE_REC_GAP, 64 * 3, 64 * 5); rec(5); rec(3); end_batch();
	/* 6, 7, 9 (held), 8. */
	rec(6); rec(7); rec(9); rec(8); end_batch();

	ret = make_journal("dst.log");
	c = script_config(BRIDGE_IN, "dst.log", ck);
	memset(&m, 0, sizeof(m));
	m.dir = BRIDGE_IN;
	ret = ret ?: bridge_in_run(&c, &m);
	CHECK(ret == 0, "in_runs_over_the_scripted_engine");

	memset(&o, 0, sizeof(o));
	o.name = "dst.log";
	o.dir = dir;
	o.backing = BYTEOR_BACKING_USER;
	ret = byteor_attach_journal_subscriber_from(&o, 0, &j);
	for (i = 0; !ret && i < (int)(sizeof(order) / sizeof(order[0])); i++) {
		n = byteor_journal_read(j, buf, sizeof(buf), &jr);
		if (order[i] < 0) {
			memcpy(&g, buf, sizeof(g));
			same &= n == sizeof(g) && jr.type == BRIDGE_GAP_TYPE &&
				g.from == 64 * 3 && g.to == 64 * 5;
		} else {
			snprintf(want, sizeof(want), "record %d", order[i]);
			same &= n == (int)strlen(want) && !memcmp(buf, want, n) &&
				jr.type == (__u32)order[i];
		}
	}
	same &= !ret && byteor_journal_read(j, buf, sizeof(buf), &jr) == -EAGAIN;
	byteor_journal_detach(j);
	CHECK(same, "in_appends_in_source_order_once_with_the_gap_marker");
	CHECK(m.records == 8 && m.gaps == 1 && m.duplicates == 2,
	      "in_counts_records_gaps_and_duplicates");
	for (i = 0; i < ndeliveries; i++)
		covered &= deliveries[i].acked && !deliveries[i].ack_uncovered;
	CHECK(covered, "in_acknowledges_each_record_only_once_a_checkpoint_covers_it");

	/* Run again over the same deliveries: a restart that gets them all
	 * redelivered appends nothing. */
	cur_batch = cur_msg = 0;
	for (i = 0; i < ndeliveries; i++)
		deliveries[i].r.delivered = 2;
	memset(&m, 0, sizeof(m));
	m.dir = BRIDGE_IN;
	ret = bridge_in_run(&c, &m);
	CHECK(ret == 0 && m.records == 0 && m.gaps == 0,
	      "in_restarted_over_redeliveries_appends_nothing");

	/* A record of another region stops it, nothing appended or acked. */
	cur_batch = cur_msg = nbatches = ndeliveries = 0;
	rec(10);
	strcpy(deliveries[0].r.region, "other.log");
	end_batch();
	memset(&m, 0, sizeof(m));
	m.dir = BRIDGE_IN;
	ret = bridge_in_run(&c, &m);
	CHECK(ret < 0 && m.records == 0 && !deliveries[0].acked &&
	      deliveries[0].released,
	      "in_stops_at_a_record_of_another_region_without_acknowledging_it");
	free(deliveries);
	unlink(ck);
	byteor_region_destroy("dst.log", BYTEOR_BACKING_USER, dir);
}

static void out_rewind(void)
{
	struct byteor_attach_options o;
	struct byteor_journal *j;
	struct bridge_metrics m;
	struct bridge_config c;
	struct bridge_ckpt ck;
	struct bridge_err err;
	char path[128];
	__u64 tail = 0, expect = 0;
	bool ordered = true;
	int i, ret;

	snprintf(path, sizeof(path), "%s/out.ckpt", dir);
	ret = make_journal(SRC);
	memset(&o, 0, sizeof(o));
	o.name = SRC;
	o.dir = dir;
	o.backing = BYTEOR_BACKING_USER;
	ret = ret ?: byteor_attach_journal_publisher(&o, &j);
	for (i = 0; !ret && i < 20; i++)
		ret = byteor_journal_append(j, i, "payload", 7, &tail);
	tail += 24;
	c = script_config(BRIDGE_OUT, SRC, path);
	c.from = BRIDGE_FROM_OLDEST;
	c.max_records = 20;
	fail_at = 6;
	failures_left = 1;
	memset(&m, 0, sizeof(m));
	m.dir = BRIDGE_OUT;
	ret = ret ?: bridge_out_run(&c, &m);
	CHECK(ret == 0 && m.records == 20 && m.errors == 1 && m.republished > 0,
	      "out_publishes_again_after_a_failed_publication");
	/* Every position from 0 to the tail published, a later copy only
	 * after the first failure, and never a hole. */
	for (i = 0; i < npublished; i++) {
		if (published[i].pos > expect)
			ordered = false;
		if (published[i].pos == expect)
			expect += 24;
	}
	CHECK(ordered && expect == tail,
	      "out_never_skips_a_record_after_a_failure");
	CHECK(bridge_ckpt_load(path, &ck, &err) == 0 && ck.position == tail &&
	      ck.generation != 0 && !strcmp(ck.region, SRC),
	      "out_checkpoints_the_acknowledged_position");
	byteor_journal_detach(j);
	unlink(path);
	byteor_region_destroy(SRC, BYTEOR_BACKING_USER, dir);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	checkpoints();
	ids();
	config();
	bridge_transport_register(&script_ops);
	in_chain();
	out_rewind();
	rmdir(dir);
	printf("1..%d\n", planned);
	return failures ? 1 : 0;
}
