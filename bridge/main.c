// SPDX-License-Identifier: MIT
/*
 * byteor-bridge - replicate a byteor journal to other hosts through a
 * message engine (NATS JetStream), exactly once, resuming after a crash.
 *
 *   byteor-bridge out --journal orders.log --stream ORDERS \
 *       --checkpoint /var/lib/byteor/orders.out --server nats://a:4222
 *   byteor-bridge in  --journal orders.log --stream ORDERS \
 *       --checkpoint /var/lib/byteor/orders.in  --server nats://b:4222
 *
 * Exit status: 0 stopped cleanly (SIGTERM, --max-idle-ms, --max-records),
 * 1 an error (printed), 2 bad usage.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include "bridge.h"

static void on_stop(int sig)
{
	(void)sig;
	bridge_stop = 1;
}

static void on_dump(int sig)
{
	(void)sig;
	bridge_dump = 1;
}

int main(int argc, char **argv)
{
	struct bridge_config c;
	struct bridge_metrics m;
	struct bridge_err err = { "" };
	struct sigaction sa;
	int ret;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		bridge_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	bridge_config_defaults(&c);
	if (!strcmp(argv[1], "out")) {
		c.dir = BRIDGE_OUT;
	} else if (!strcmp(argv[1], "in")) {
		c.dir = BRIDGE_IN;
	} else {
		fprintf(stderr, "byteor-bridge: the first argument must be 'out' or 'in', not '%s' (--help)\n",
			argv[1]);
		return 2;
	}
	ret = bridge_config_parse(&c, argc - 1, argv + 1, &err);
	if (ret == 1) {
		bridge_usage(stdout);
		return 0;
	}
	if (ret) {
		fprintf(stderr, "byteor-bridge: %s (--help)\n", err.msg);
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_dump;
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	memset(&m, 0, sizeof(m));
	m.dir = c.dir;
	snprintf(m.journal, sizeof(m.journal), "%s", c.journal);
	ret = c.dir == BRIDGE_OUT ? bridge_out_run(&c, &m) : bridge_in_run(&c, &m);
	if (bridge_metrics_write(&m, c.metrics))
		fprintf(stderr, "byteor-bridge: cannot write metrics to %s\n",
			c.metrics);
	return ret ? 1 : 0;
}
