// SPDX-License-Identifier: MIT
/*
 * byteorctl_stat_seq.c - the sequenced-slots part of `byteorctl stat`:
 * attach as an observer (read-only, no claim, never gates), take one
 * snapshot, print it for people or as one JSON object:
 *
 *	{"schema":"byteor.stat.v1","name":"orders","kind":"sequenced-slots",
 *	 "layout_version":4,"generation":1,"slot_size":64,"capacity":1024,
 *	 "stages":3,"park_path":"futex","corrupt":false,"cursor":5000,
 *	 "gate":4000,"min_gating":4990,"occupancy":10,
 *	 "producer":{"alive":true,"pid":42,"attaches":1,"parks":0,
 *	             "park_path":"none","waiters":0},
 *	 "stage":[{"index":0,"deps":0,"terminal":false,"gating":4995,
 *	           "lag":5,"alive":true,"removed":false,"pid":43,
 *	           "attaches":1,"parks":3,"park_path":"futex","waiters":0},
 *	          ...]}
 *
 * "alive" is null when the check failed.  Exit status: 0, or 1 when the
 * region cannot be attached or snapshot.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <byteor/region.h>
#include <byteor/sequenced_slots.h>
#include "byteorctl.h"

#define SEQ_STAT_SCHEMA		"byteor.stat.v1"

static const char *seq_path(unsigned int path)
{
	return path ? byteor_park_path_name((int)path) : "none";
}

static const char *seq_alive_word(int alive)
{
	return alive > 0 ? "alive" : alive == 0 ? "gone" : "unknown";
}

static const char *seq_alive_json(int alive)
{
	return alive < 0 ? "null" : alive ? "true" : "false";
}

static const char *seq_bool(unsigned int v)
{
	return v ? "true" : "false";
}

static void seq_print_json(const char *name, const struct byteor_region_info *info,
			   const struct byteor_sequenced_slots_snapshot *s)
{
	unsigned int i;

	/* Region names are [A-Za-z0-9._-]: nothing to escape. */
	printf("{\"schema\":\"%s\",\"name\":\"%s\",\"kind\":\"sequenced-slots\","
	       "\"layout_version\":%u,\"generation\":%" PRIu64 ","
	       "\"slot_size\":%u,\"capacity\":%u,\"stages\":%u,"
	       "\"park_path\":\"%s\",\"corrupt\":%s,\"cursor\":%" PRIu64 ","
	       "\"gate\":%" PRIu64 ",\"min_gating\":%" PRIu64 ","
	       "\"occupancy\":%" PRIu64 ",", SEQ_STAT_SCHEMA, name,
	       info->layout_version, (uint64_t)info->generation, s->slot_size,
	       s->capacity, s->stages, byteor_park_path_name(s->park_path),
	       seq_bool(s->flags & BYTEOR_SEQ_SNAP_F_CORRUPT),
	       (uint64_t)s->cursor, (uint64_t)s->gate,
	       (uint64_t)s->min_gating, (uint64_t)s->occupancy);
	printf("\"producer\":{\"alive\":%s,\"pid\":%u,\"attaches\":%" PRIu64
	       ",\"parks\":%" PRIu64 ",\"park_path\":\"%s\",\"waiters\":%u},"
	       "\"stage\":[", seq_alive_json(s->producer_alive), s->producer_pid,
	       (uint64_t)s->producer_attaches, (uint64_t)s->producer_parks,
	       seq_path(s->producer_park_path), s->cursor_waiters);
	for (i = 0; i < s->stages && i < BYTEOR_MAX_STAGES; i++) {
		const struct byteor_sequenced_slots_stage_snapshot *t = &s->stage[i];

		printf("%s{\"index\":%u,\"deps\":%u,\"terminal\":%s,"
		       "\"gating\":%" PRIu64 ",\"lag\":%" PRIu64 ",\"alive\":%s,"
		       "\"removed\":%s,\"pid\":%u,\"attaches\":%" PRIu64 ","
		       "\"parks\":%" PRIu64 ",\"park_path\":\"%s\","
		       "\"waiters\":%u}", i ? "," : "", i, t->deps,
		       seq_bool(t->terminal), (uint64_t)t->gating,
		       (uint64_t)t->lag, seq_alive_json(t->alive),
		       seq_bool(t->removed), t->pid, (uint64_t)t->attaches,
		       (uint64_t)t->parks, seq_path(t->park_path), t->waiters);
	}
	printf("]}\n");
}

static void seq_print_text(const char *name, const struct byteor_region_info *info,
			   const struct byteor_sequenced_slots_snapshot *s)
{
	unsigned int i, j;

	printf("%s: sequenced-slots v%u, %u entries of %u bytes, %u stages, "
	       "generation %" PRIu64 "\n", name, info->layout_version,
	       s->capacity, s->slot_size, s->stages, (uint64_t)info->generation);
	printf("  producer  cursor %" PRIu64 "  gate %" PRIu64 "  %s pid %u  "
	       "attaches %" PRIu64 "  parks %" PRIu64 " (%s)  waiting on "
	       "cursor %u\n", (uint64_t)s->cursor, (uint64_t)s->gate,
	       seq_alive_word(s->producer_alive), s->producer_pid,
	       (uint64_t)s->producer_attaches, (uint64_t)s->producer_parks,
	       seq_path(s->producer_park_path), s->cursor_waiters);
	for (i = 0; i < s->stages && i < BYTEOR_MAX_STAGES; i++) {
		const struct byteor_sequenced_slots_stage_snapshot *t = &s->stage[i];

		printf("  stage %-2u  gating %" PRIu64 "  lag %" PRIu64 "  %s%s%s "
		       "pid %u  attaches %" PRIu64 "  parks %" PRIu64 " (%s)  "
		       "waiters %u  after ", i, (uint64_t)t->gating,
		       (uint64_t)t->lag, seq_alive_word(t->alive),
		       t->removed ? " REMOVED" : "",
		       t->terminal ? " terminal" : "", t->pid,
		       (uint64_t)t->attaches, (uint64_t)t->parks,
		       seq_path(t->park_path), t->waiters);
		if (!t->deps)
			printf("cursor");
		for (j = 0; j < BYTEOR_MAX_STAGES; j++)
			if (t->deps & (1U << j))
				printf("%s%u", t->deps & ((1U << j) - 1) ? "," : "", j);
		printf("\n");
	}
	if (s->flags & BYTEOR_SEQ_SNAP_F_CORRUPT)
		printf("  occupancy unknown: sequences inconsistent (corrupt)\n");
	else
		printf("  occupancy %" PRIu64 " / %u (slowest terminal at %" PRIu64
		       ")\n", (uint64_t)s->occupancy, s->capacity,
		       (uint64_t)s->min_gating);
	printf("  park path of this host: %s\n", byteor_park_path_name(s->park_path));
}

/**
 * __byteorctl_stat_seq() - print the snapshot of sequenced-slots region
 * @name (attach options @o: backing, dir; attached as an observer whatever
 * @o's role flags say).
 * Return: 0, or 1 (an error was printed on stderr).
 */
int __byteorctl_stat_seq(const char *name, const struct byteor_attach_options *o,
			 int json)
{
	struct byteor_sequenced_slots_snapshot s;
	struct byteor_sequenced_slots *h;
	struct byteor_attach_options oo;
	struct byteor_region_info info;
	int ret;

	if (!name || !o)
		return 1;
	ret = byteor_region_info(name, o->backing, o->dir, &info);
	if (!ret && info.kind != BYTEOR_KIND_SEQUENCED_SLOTS)
		ret = -EPROTO;
	if (ret) {
		return __byteorctl_stat_error(name, json, ret);
	}
	oo = *o;
	oo.name = name;
	oo.queue = 0;
	oo.flags = BYTEOR_ATTACH_OBSERVER;
	ret = byteor_attach_sequenced_slots_region(&oo, BYTEOR_ROLE_OBSERVER, &h);
	if (!ret) {
		ret = byteor_sequenced_slots_snapshot(h, &s);
		byteor_sequenced_slots_detach(h);
	}
	if (ret) {
		return __byteorctl_stat_error(name, json, ret);
	}
	if (json)
		seq_print_json(name, &info, &s);
	else
		seq_print_text(name, &info, &s);
	return 0;
}
