// SPDX-License-Identifier: MIT
/*
 * bridge/config.c - byteor-bridge's options: flags and a config file with
 * the same keys ("key = value" or "key value" lines, '#' comments; a flag
 * given on the command line wins over the file).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bridge.h"

enum {
	O_SERVER = 1000, O_STREAM, O_SUBJECT, O_DURABLE, O_JOURNAL, O_DIR,
	O_BACKING, O_CHECKPOINT, O_METRICS, O_FROM, O_WINDOW, O_BATCH,
	O_ACK_TIMEOUT, O_ACK_WAIT, O_CONNECT_TIMEOUT, O_CKPT_EVERY, O_CKPT_MS,
	O_CREATE_STREAM, O_REPLICAS, O_DUP_WINDOW, O_MAX_IDLE, O_MAX_RECORDS,
	O_TRANSPORT, O_CONFIG, O_VERBOSE, O_HELP,
};

static const struct option opts[] = {
	{ "server", required_argument, NULL, O_SERVER },
	{ "stream", required_argument, NULL, O_STREAM },
	{ "subject", required_argument, NULL, O_SUBJECT },
	{ "durable", required_argument, NULL, O_DURABLE },
	{ "journal", required_argument, NULL, O_JOURNAL },
	{ "dir", required_argument, NULL, O_DIR },
	{ "backing", required_argument, NULL, O_BACKING },
	{ "checkpoint", required_argument, NULL, O_CHECKPOINT },
	{ "metrics", required_argument, NULL, O_METRICS },
	{ "from", required_argument, NULL, O_FROM },
	{ "window", required_argument, NULL, O_WINDOW },
	{ "batch", required_argument, NULL, O_BATCH },
	{ "ack-timeout-ms", required_argument, NULL, O_ACK_TIMEOUT },
	{ "ack-wait-ms", required_argument, NULL, O_ACK_WAIT },
	{ "connect-timeout-ms", required_argument, NULL, O_CONNECT_TIMEOUT },
	{ "checkpoint-every", required_argument, NULL, O_CKPT_EVERY },
	{ "checkpoint-ms", required_argument, NULL, O_CKPT_MS },
	{ "create-stream", no_argument, NULL, O_CREATE_STREAM },
	{ "replicas", required_argument, NULL, O_REPLICAS },
	{ "dup-window", required_argument, NULL, O_DUP_WINDOW },
	{ "max-idle-ms", required_argument, NULL, O_MAX_IDLE },
	{ "max-records", required_argument, NULL, O_MAX_RECORDS },
	{ "transport", required_argument, NULL, O_TRANSPORT },
	{ "config", required_argument, NULL, O_CONFIG },
	{ "verbose", no_argument, NULL, O_VERBOSE },
	{ "help", no_argument, NULL, O_HELP },
	{ NULL, 0, NULL, 0 },
};

void bridge_usage(FILE *f)
{
	fputs(
"usage: byteor-bridge out|in [options]\n"
"\n"
"  out: replicate a local journal to a JetStream stream (a subscriber)\n"
"  in:  append a stream's records to a local journal (the publisher)\n"
"\n"
"  --server URL[,URL]      NATS servers (default nats://127.0.0.1:4222)\n"
"  --stream NAME           JetStream stream (must exist unless --create-stream)\n"
"  --subject SUBJ          subject (default byteor.<journal>)\n"
"  --journal NAME          the local journal region (must exist)\n"
"  --dir DIR               userspace backing directory of the journal\n"
"  --backing auto|user|kernel\n"
"  --checkpoint FILE       where the position is kept (required)\n"
"  --metrics FILE|-        Prometheus text: written on SIGUSR1 and at exit\n"
"  --config FILE           read these options from FILE (key = value lines)\n"
"  --transport jetstream   the message engine (only jetstream today)\n"
"  --connect-timeout-ms N  give up connecting at start after N ms (5000)\n"
"  --max-idle-ms N         exit cleanly after N ms without a record (0: never)\n"
"  --max-records N         exit cleanly after N records (0: never)\n"
"  --verbose\n"
"out:\n"
"  --from tail|oldest|POS  where to start without a checkpoint (tail)\n"
"  --window N              publications awaiting acknowledgement at most (1024)\n"
"  --ack-timeout-ms N      an acknowledgement not back by then fails (5000)\n"
"  --checkpoint-every N    checkpoint after N acknowledged records (4096)\n"
"  --checkpoint-ms N       ... or after N ms (200)\n"
"  --create-stream         create the stream when it is missing, with\n"
"  --replicas N            replicas (1) and\n"
"  --dup-window S          its duplicate window in seconds (120)\n"
"in:\n"
"  --durable NAME          the durable pull consumer (default byteor-<journal>)\n"
"  --batch N               records per fetch (256)\n"
"  --ack-wait-ms N         redelivery of an unacknowledged record after (5000)\n"
"\n"
"SIGTERM/SIGINT: finish the batch in hand, checkpoint, exit 0.\n"
"SIGUSR1: write the metrics.\n", f);
}

void bridge_config_defaults(struct bridge_config *c)
{
	memset(c, 0, sizeof(*c));
	strcpy(c->transport, "jetstream");
	strcpy(c->servers, "nats://127.0.0.1:4222");
	c->backing = BYTEOR_BACKING_AUTO;
	c->window = 1024;
	c->batch = 256;
	c->ack_timeout_ms = 5000;
	c->ack_wait_ms = 5000;
	c->connect_timeout_ms = 5000;
	c->checkpoint_every = 4096;
	c->checkpoint_ms = 200;
	c->replicas = 1;
	c->dup_window_s = 120;
}

static int copy(char *dst, size_t n, const char *v, const char *key,
		struct bridge_err *err)
{
	if (strlen(v) >= n || !*v) {
		bridge_err_set(err, "--%s: must be 1..%zu characters", key, n - 1);
		return -EINVAL;
	}
	strcpy(dst, v);
	return 0;
}

static int num(const char *v, const char *key, unsigned long long lo,
	       unsigned long long hi, unsigned long long *out,
	       struct bridge_err *err)
{
	char *end;

	errno = 0;
	*out = strtoull(v, &end, 0);
	if (!*v || *v == '-' || errno || *end || *out < lo || *out > hi) {
		bridge_err_set(err, "--%s: '%s' is not a number in %llu..%llu",
			       key, v, lo, hi);
		return -EINVAL;
	}
	return 0;
}

static int apply(struct bridge_config *c, int id, const char *key,
		 const char *v, struct bridge_err *err)
{
	unsigned long long n = 0;
	int ret = 0;

	switch (id) {
	case O_SERVER: return copy(c->servers, sizeof(c->servers), v, key, err);
	case O_STREAM: return copy(c->stream, sizeof(c->stream), v, key, err);
	case O_SUBJECT: return copy(c->subject, sizeof(c->subject), v, key, err);
	case O_DURABLE: return copy(c->durable, sizeof(c->durable), v, key, err);
	case O_JOURNAL: return copy(c->journal, sizeof(c->journal), v, key, err);
	case O_DIR: return copy(c->jdir, sizeof(c->jdir), v, key, err);
	case O_CHECKPOINT:
		return copy(c->checkpoint, sizeof(c->checkpoint), v, key, err);
	case O_METRICS: return copy(c->metrics, sizeof(c->metrics), v, key, err);
	case O_TRANSPORT:
		return copy(c->transport, sizeof(c->transport), v, key, err);
	case O_BACKING:
		if (!strcmp(v, "auto"))
			c->backing = BYTEOR_BACKING_AUTO;
		else if (!strcmp(v, "user"))
			c->backing = BYTEOR_BACKING_USER;
		else if (!strcmp(v, "kernel"))
			c->backing = BYTEOR_BACKING_KERNEL;
		else
			goto bad;
		return 0;
	case O_FROM:
		if (!strcmp(v, "tail")) {
			c->from = BRIDGE_FROM_TAIL;
		} else if (!strcmp(v, "oldest")) {
			c->from = BRIDGE_FROM_OLDEST;
		} else {
			ret = num(v, key, 0, ~0ULL, &n, err);
			if (!ret && n % BYTEOR_JOURNAL_ALIGN) {
				bridge_err_set(err, "--from: position %llu is not a multiple of %u",
					       n, BYTEOR_JOURNAL_ALIGN);
				ret = -EINVAL;
			}
			c->from = BRIDGE_FROM_POS;
			c->from_pos = n;
		}
		return ret;
	case O_WINDOW:
		ret = num(v, key, 1, 1U << 20, &n, err);
		c->window = n;
		return ret;
	case O_BATCH:
		ret = num(v, key, 1, 65536, &n, err);
		c->batch = n;
		return ret;
	case O_ACK_TIMEOUT:
		ret = num(v, key, 10, 3600000, &n, err);
		c->ack_timeout_ms = n;
		return ret;
	case O_ACK_WAIT:
		ret = num(v, key, 100, 3600000, &n, err);
		c->ack_wait_ms = n;
		return ret;
	case O_CONNECT_TIMEOUT:
		ret = num(v, key, 10, 3600000, &n, err);
		c->connect_timeout_ms = n;
		return ret;
	case O_CKPT_EVERY:
		ret = num(v, key, 1, 1U << 30, &n, err);
		c->checkpoint_every = n;
		return ret;
	case O_CKPT_MS:
		ret = num(v, key, 1, 3600000, &n, err);
		c->checkpoint_ms = n;
		return ret;
	case O_CREATE_STREAM:
		c->create_stream = true;
		return 0;
	case O_REPLICAS:
		ret = num(v, key, 1, 5, &n, err);
		c->replicas = n;
		return ret;
	case O_DUP_WINDOW:
		ret = num(v, key, 1, 86400 * 7, &n, err);
		c->dup_window_s = n;
		return ret;
	case O_MAX_IDLE:
		ret = num(v, key, 0, 86400000, &n, err);
		c->max_idle_ms = n;
		return ret;
	case O_MAX_RECORDS:
		ret = num(v, key, 0, ~0ULL, &n, err);
		c->max_records = n;
		return ret;
	case O_VERBOSE:
		c->verbose++;
		return 0;
	}
bad:
	bridge_err_set(err, "--%s: bad value '%s'", key, v);
	return -EINVAL;
}

static const struct option *find(const char *key)
{
	const struct option *o;

	for (o = opts; o->name; o++)
		if (!strcmp(o->name, key))
			return o;
	return NULL;
}

static int load_file(struct bridge_config *c, const char *path,
		     struct bridge_err *err)
{
	char line[BRIDGE_STR_MAX * 2];
	const struct option *o;
	int lineno = 0, ret;
	FILE *f = fopen(path, "r");

	if (!f) {
		ret = -errno;
		bridge_err_set(err, "--config %s: %s", path, strerror(-ret));
		return ret;
	}
	while (fgets(line, sizeof(line), f)) {
		char *k = line, *v, *e;

		lineno++;
		line[strcspn(line, "#\n")] = 0;
		k += strspn(k, " \t");
		if (!*k)
			continue;
		v = k + strcspn(k, " \t=");
		e = v;
		v += strspn(v, " \t=");
		*e = 0;
		for (e = v + strlen(v); e > v && (e[-1] == ' ' || e[-1] == '\t'); )
			*--e = 0;
		o = find(k);
		if (!o || o->val == O_CONFIG || o->val == O_HELP) {
			bridge_err_set(err, "%s:%d: unknown key '%s'", path, lineno, k);
			fclose(f);
			return -EINVAL;
		}
		if (o->has_arg == no_argument &&
		    (!strcmp(v, "0") || !strcmp(v, "false") || !strcmp(v, "no")))
			continue;
		ret = apply(c, o->val, k, v, err);
		if (ret) {
			char m[sizeof(err->msg)];

			snprintf(m, sizeof(m), "%s", err->msg);
			bridge_err_set(err, "%s:%d: %s", path, lineno, m);
			fclose(f);
			return ret;
		}
	}
	fclose(f);
	return 0;
}

int bridge_config_parse(struct bridge_config *c, int argc, char **argv,
			struct bridge_err *err)
{
	int i, id, ret;

	/* The file first, so the command line wins. */
	for (i = 1; i < argc; i++) {
		const char *cf = NULL;

		if (!strcmp(argv[i], "--config") && i + 1 < argc)
			cf = argv[i + 1];
		else if (!strncmp(argv[i], "--config=", 9))
			cf = argv[i] + 9;
		if (cf) {
			ret = load_file(c, cf, err);
			if (ret)
				return ret;
		}
	}
	optind = 1;
	opterr = 0;
	while ((id = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (id == 'h' || id == O_HELP)
			return 1;
		if (id == O_CONFIG)
			continue;
		if (id == '?' || id == ':') {
			bridge_err_set(err, "unknown option or missing value: %s",
				       argv[optind - 1]);
			return -EINVAL;
		}
		for (i = 0; opts[i].name && opts[i].val != id; i++)
			;
		ret = apply(c, id, opts[i].name, optarg ? optarg : "", err);
		if (ret)
			return ret;
	}
	if (optind < argc) {
		bridge_err_set(err, "unexpected argument '%s'", argv[optind]);
		return -EINVAL;
	}
	if (!c->journal[0] || !c->stream[0] || !c->checkpoint[0]) {
		bridge_err_set(err, "--journal, --stream and --checkpoint are required");
		return -EINVAL;
	}
	if (!c->subject[0])
		snprintf(c->subject, sizeof(c->subject), "byteor.%s", c->journal);
	if (!c->durable[0])
		snprintf(c->durable, sizeof(c->durable), "byteor-%.50s", c->journal);
	/* A consumer name may not hold '.', '*', '>' or spaces. */
	for (i = 0; c->durable[i]; i++)
		if (strchr(".*> \t", c->durable[i]))
			c->durable[i] = '_';
	return 0;
}
