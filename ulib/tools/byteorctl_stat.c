// SPDX-License-Identifier: MIT
/*
 * byteorctl_stat.c - `byteorctl stat NAME [--json] [--backing kernel|user]
 * [--dir DIR]`: attach to a region as a read-only observer and print its
 * lanes' snapshots: positions, occupancy, waiters, claims (alive or not,
 * with the pid the header's claim mirror names), parks, skipped orphans.
 *
 *	$ byteorctl stat md.eurusd
 *	md.eurusd: single-ring v1, 4096 slots of 64 bytes, generation 3
 *	  producer  pos 1234567  alive pid 4242  attaches 1  parks 0
 *	  consumer  pos 1234500  alive pid 4243  attaches 1  parks 12 (io_uring)
 *	  occupancy 67 / 4096, waiting: consumers 0, producers 0
 *
 * --json prints one object with "schema": "byteor.stat.v1".
 * `byteorctl stat --all` does it for every region, in name order (with
 * --json one object per line); exit 1 if any could not be read.
 * Exit status: 0, 1 the region cannot be read, 2 bad usage.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <byteor/events.h>
#include <byteor/region.h>
#include <byteor/single_ring.h>
#include <byteor/wait.h>
#include "byteorctl.h"
#include "ctl_metrics.h"

#define STAT_SCHEMA	"byteor.stat.v1"
#define EXIT_FAIL	1
#define EXIT_USAGE	2

struct stat_args {
	const char *name;
	const char *dir;
	enum byteor_backing backing;
	bool json;
	bool all;
};

static const char stat_usage[] =
"usage: byteorctl stat NAME|--all [--json] [--backing kernel|user] [--dir DIR]\n"
"Attach to region NAME (--all: every region) read-only and print its\n"
"lanes' snapshots.\n";

static int stat_parse(int argc, char **argv, struct stat_args *a)
{
	static const struct option lo[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "all", no_argument, NULL, 'a' },
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
		case 'j':
			a->json = true;
			break;
		case 'a':
			a->all = true;
			break;
		case 'b':
			if (!strcmp(optarg, "kernel")) {
				a->backing = BYTEOR_BACKING_KERNEL;
			} else if (!strcmp(optarg, "user")) {
				a->backing = BYTEOR_BACKING_USER;
			} else {
				fprintf(stderr, "byteorctl: stat: bad --backing '%s'\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'd':
			a->dir = optarg;
			break;
		case 'h':
			fputs(stat_usage, stdout);
			return -1;
		default:
			fprintf(stderr, "byteorctl: stat: bad option '%s'\n%s",
				argv[optind - 1], stat_usage);
			return EXIT_USAGE;
		}
	}
	if (a->all && optind < argc) {
		fprintf(stderr, "byteorctl: stat: --all and a NAME exclude each "
			"other\n%s", stat_usage);
		return EXIT_USAGE;
	}
	if (a->all)
		return 0;
	if (optind >= argc) {
		fprintf(stderr, "byteorctl: stat: missing NAME\n%s", stat_usage);
		return EXIT_USAGE;
	}
	a->name = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "byteorctl: stat: unexpected argument '%s'\n",
			argv[optind]);
		return EXIT_USAGE;
	}
	return 0;
}

static const char *path_name(unsigned int path)
{
	return path ? byteor_park_path_name((int)path) : "none";
}

static const char *alive_word(int alive)
{
	return alive > 0 ? "alive" : alive == 0 ? "gone" : "unknown";
}

static void json_alive(int alive)
{
	if (alive < 0)
		printf("null");
	else
		printf(alive ? "true" : "false");
}

/* Region names are [A-Za-z0-9._-]: nothing to escape in JSON. */
static void json_head(const struct byteor_region_info *info)
{
	const struct byteor_geometry *g = &info->geometry;

	printf("{\"schema\":\"%s\",\"name\":\"%s\",\"kind\":\"%s\","
	       "\"layout_version\":%u,\"generation\":%" PRIu64 ","
	       "\"slot_size\":%u,\"capacity\":%u,\"queues\":%u,\"producers\":%u,"
	       "\"mpsc_mask\":%" PRIu64 ",\"park_path\":", STAT_SCHEMA,
	       info->name, byteor_kind_name(info->kind), info->layout_version,
	       (uint64_t)info->generation, g->slot_size, g->capacity, g->queues,
	       g->producers, (uint64_t)g->mpsc_mask);
}

static int stat_ring(const char *name, bool json,
		     const struct byteor_region_info *info,
		     const struct byteor_attach_options *o)
{
	struct byteor_single_ring_snapshot s;
	struct byteor_single_ring *r;
	int ret;

	ret = byteor_attach_single_ring(o, BYTEOR_ROLE_OBSERVER, &r);
	if (!ret) {
		ret = byteor_single_ring_snapshot(r, &s);
		byteor_single_ring_detach(r);
	}
	if (ret) {
		return __byteorctl_stat_error(name, json, ret);
	}
	if (json) {
		json_head(info);
		printf("\"%s\",\"corrupt\":%s,\"occupancy\":%" PRIu64 ","
		       "\"producer\":{\"pos\":%" PRIu64 ",\"alive\":",
		       byteor_park_path_name(s.park_path),
		       s.flags & BYTEOR_SNAP_F_CORRUPT ? "true" : "false",
		       (uint64_t)s.occupancy, (uint64_t)s.producer_pos);
		json_alive(s.producer_alive);
		printf(",\"pid\":%u,\"attaches\":%" PRIu64 ",\"parks\":%" PRIu64
		       ",\"park_path\":\"%s\",\"waiters\":%u},"
		       "\"consumer\":{\"pos\":%" PRIu64 ",\"alive\":",
		       s.producer_pid, (uint64_t)s.producer_attaches,
		       (uint64_t)s.producer_parks, path_name(s.producer_park_path),
		       s.producer_waiters, (uint64_t)s.consumer_pos);
		json_alive(s.consumer_alive);
		printf(",\"pid\":%u,\"attaches\":%" PRIu64 ",\"parks\":%" PRIu64
		       ",\"park_path\":\"%s\",\"waiters\":%u}}\n",
		       s.consumer_pid, (uint64_t)s.consumer_attaches,
		       (uint64_t)s.consumer_parks, path_name(s.consumer_park_path),
		       s.consumer_waiters);
		return 0;
	}
	printf("%s: single-ring v%u, %u slots of %u bytes, generation %" PRIu64 "\n",
	       info->name, info->layout_version, s.capacity, s.slot_size,
	       (uint64_t)info->generation);
	printf("  producer  pos %" PRIu64 "  %s pid %u  attaches %" PRIu64
	       "  parks %" PRIu64 " (%s)\n", (uint64_t)s.producer_pos,
	       alive_word(s.producer_alive), s.producer_pid,
	       (uint64_t)s.producer_attaches, (uint64_t)s.producer_parks,
	       path_name(s.producer_park_path));
	printf("  consumer  pos %" PRIu64 "  %s pid %u  attaches %" PRIu64
	       "  parks %" PRIu64 " (%s)\n", (uint64_t)s.consumer_pos,
	       alive_word(s.consumer_alive), s.consumer_pid,
	       (uint64_t)s.consumer_attaches, (uint64_t)s.consumer_parks,
	       path_name(s.consumer_park_path));
	if (s.flags & BYTEOR_SNAP_F_CORRUPT)
		printf("  occupancy unknown: positions inconsistent (corrupt)\n");
	else
		printf("  occupancy %" PRIu64 " / %u, waiting: consumers %u, "
		       "producers %u\n", (uint64_t)s.occupancy, s.capacity,
		       s.consumer_waiters, s.producer_waiters);
	printf("  park path of this host: %s\n", byteor_park_path_name(s.park_path));
	return 0;
}

static void events_json_queue(const struct byteor_events_snapshot *s)
{
	printf("{\"queue\":%u,\"mpsc\":%s,\"corrupt\":%s,\"producer_pos\":%" PRIu64
	       ",\"consumer_pos\":%" PRIu64 ",\"occupancy\":%" PRIu64
	       ",\"producers\":%u,\"producers_alive\":%u,"
	       "\"producers_alive_mask\":%" PRIu64 ",\"consumer_alive\":",
	       s->queue, s->flags & BYTEOR_EVENTS_SNAP_F_MPSC ? "true" : "false",
	       s->flags & BYTEOR_EVENTS_SNAP_F_CORRUPT ? "true" : "false",
	       (uint64_t)s->producer_pos, (uint64_t)s->consumer_pos,
	       (uint64_t)s->occupancy, s->producers, s->producers_alive,
	       (uint64_t)s->producers_alive_mask);
	json_alive(s->consumer_alive);
	printf(",\"consumer_waiters\":%u,\"producer_waiters\":%u,"
	       "\"skipped\":%" PRIu64 ",\"producer_attaches\":%" PRIu64
	       ",\"consumer_attaches\":%" PRIu64 ",\"producer_parks\":%" PRIu64
	       ",\"consumer_parks\":%" PRIu64 ",\"producer_park_path\":\"%s\","
	       "\"consumer_park_path\":\"%s\"}",
	       s->consumer_waiters, s->producer_waiters, (uint64_t)s->skipped,
	       (uint64_t)s->producer_attaches, (uint64_t)s->consumer_attaches,
	       (uint64_t)s->producer_parks, (uint64_t)s->consumer_parks,
	       path_name(s->producer_park_path), path_name(s->consumer_park_path));
}

static int stat_events(const char *name, bool json,
		       const struct byteor_region_info *info,
		       const struct byteor_attach_options *o)
{
	struct byteor_events_snapshot s;
	char occ[24], prods[24], waits[24];
	struct byteor_events *e;
	unsigned int q;
	int ret;

	ret = byteor_attach_events_observer(o, &e);
	if (ret) {
		return __byteorctl_stat_error(name, json, ret);
	}
	if (json) {
		json_head(info);
		printf("\"%s\",\"lanes\":[",
		       byteor_park_path_name(byteor_events_snapshot(e, 0, &s) ?
					     0 : s.park_path));
	} else {
		printf("%s: events v%u, %u queue(s) of %u events of %u bytes, "
		       "generation %" PRIu64 "\n", info->name, info->layout_version,
		       info->geometry.queues, info->geometry.capacity,
		       info->geometry.slot_size, (uint64_t)info->generation);
		printf("  %-5s %-4s %14s %14s %9s %9s %8s %7s %9s\n", "queue",
		       "type", "producer_pos", "consumer_pos", "occupancy",
		       "producers", "consumer", "waiting", "skipped");
		printf("  (producers: alive/slots; waiting: consumers/producers "
		       "parked; skipped: orphaned claims)\n");
	}
	for (q = 0; q < info->geometry.queues; q++) {
		ret = byteor_events_snapshot(e, q, &s);
		if (ret) {
			fprintf(stderr, "byteorctl: stat %s: queue %u: %s\n",
				name, q, byteor_strerror(ret));
			byteor_events_detach(e);
			return EXIT_FAIL;
		}
		if (json) {
			printf(q ? "," : "");
			events_json_queue(&s);
			continue;
		}
		if (s.flags & BYTEOR_EVENTS_SNAP_F_CORRUPT)
			snprintf(occ, sizeof(occ), "corrupt");
		else
			snprintf(occ, sizeof(occ), "%" PRIu64, (uint64_t)s.occupancy);
		snprintf(prods, sizeof(prods), "%u/%u", s.producers_alive,
			 s.producers);
		snprintf(waits, sizeof(waits), "%u/%u", s.consumer_waiters,
			 s.producer_waiters);
		printf("  %-5u %-4s %14" PRIu64 " %14" PRIu64 " %9s %9s %8s %7s %9"
		       PRIu64 "\n", q,
		       s.flags & BYTEOR_EVENTS_SNAP_F_MPSC ? "mpsc" : "spsc",
		       (uint64_t)s.producer_pos, (uint64_t)s.consumer_pos, occ,
		       prods, alive_word(s.consumer_alive), waits,
		       (uint64_t)s.skipped);
	}
	if (json)
		printf("]}\n");
	else
		printf("  park path of this host: %s\n",
		       byteor_park_path_name(s.park_path));
	byteor_events_detach(e);
	return 0;
}

/**
 * __byteorctl_stat_error() - report that region @name could not be read:
 * on stderr, and with --json as the JSON error object (the schema of a
 * stat, "error": errno and message), so a monitor parsing stdout sees it.
 * Return: EXIT_FAIL.
 */
int __byteorctl_stat_error(const char *name, int json, int err)
{
	fprintf(stderr, "byteorctl: stat %s: %s\n", name, byteor_strerror(err));
	if (json)
		printf("{\"schema\":\"%s\",\"command\":\"stat\",\"name\":\"%s\","
		       "\"error\":{\"errno\":%d,\"message\":\"%s\"}}\n",
		       STAT_SCHEMA, name, -err, byteor_strerror(err));
	return EXIT_FAIL;
}

/**
 * __byteorctl_stat_once() - print one lane snapshot of region @name, of
 * whatever kind it is, attached as an observer (backing and dir from @o).
 * Return: 0, or 1 (an error was printed on stderr).
 */
int __byteorctl_stat_once(const char *name, const struct byteor_attach_options *o,
			  int json)
{
	struct byteor_attach_options oo;
	struct byteor_region_info info;
	int ret;

	ret = byteor_region_info(name, o->backing, o->dir, &info);
	if (ret) {
		return __byteorctl_stat_error(name, json, ret);
	}
	memset(&oo, 0, sizeof(oo));
	oo.name = name;
	oo.backing = o->backing;
	oo.dir = o->dir;
	oo.flags = BYTEOR_ATTACH_OBSERVER;
	switch (info.kind) {
	case BYTEOR_KIND_SINGLE_RING:
		return stat_ring(name, json, &info, &oo);
	case BYTEOR_KIND_EVENTS_CHAIN:
		return stat_events(name, json, &info, &oo);
	case BYTEOR_KIND_SEQUENCED_SLOTS:
		return __byteorctl_stat_seq(name, &oo, json);
	case BYTEOR_KIND_FANOUT:
		return __byteorctl_stat_fanout(name, &oo, json);
	case BYTEOR_KIND_JOURNAL:
		return __byteorctl_stat_journal(name, &oo, json);
	}
	fprintf(stderr, "byteorctl: stat %s: no lane snapshot for kind %s in "
		"this build (byteorctl info shows the region)\n", name,
		byteor_kind_name(info.kind) ? byteor_kind_name(info.kind) : "?");
	return EXIT_FAIL;
}

/* Every region, in name order: a blank line between (JSON: one per line). */
static int stat_all(const struct byteor_attach_options *o, bool json)
{
	struct byteor_region_info *v = NULL;
	int i, n, ret = 0;

	n = ctl_list(o, &v);
	if (n < 0) {
		fprintf(stderr, "byteorctl: stat --all: %s\n", byteor_strerror(n));
		return EXIT_FAIL;
	}
	if (!n && !json)
		printf("no regions\n");
	for (i = 0; i < n; i++) {
		if (i && !json)
			printf("\n");
		if (__byteorctl_stat_once(v[i].name, o, json))
			ret = EXIT_FAIL;
	}
	free(v);
	return ret;
}

int __byteorctl_stat(int argc, char **argv)
{
	struct stat_args a = { .backing = BYTEOR_BACKING_AUTO };
	struct byteor_attach_options o;
	int ret;

	ret = stat_parse(argc, argv, &a);
	if (ret)
		return ret < 0 ? 0 : ret;
	memset(&o, 0, sizeof(o));
	o.backing = a.backing;
	o.dir = a.dir;
	if (a.all)
		return stat_all(&o, a.json);
	return __byteorctl_stat_once(a.name, &o, a.json);
}
