// SPDX-License-Identifier: MIT
/*
 * bridge_unit - the bridge's parts that need no server: checkpoints
 * (round trip, corrupt and truncated files refused, a failed store keeps
 * the previous file), record ids, the config file and flags.  TAP output,
 * exit 1 on any failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "bridge.h"

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

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	checkpoints();
	ids();
	config();
	rmdir(dir);
	printf("1..%d\n", planned);
	return failures ? 1 : 0;
}
