// SPDX-License-Identifier: MIT
/*
 * byteorctl_stat_fanout.c - the fanout part of `byteorctl stat`: attach
 * read-only and print the lane's snapshot (producer, router, gating, each
 * consumer's position, lag, membership, liveness), human-readable or as
 * one JSON object ("schema": "byteor.stat.v1", "kind": "fanout").
 *
 *	md.fan: fanout v1, 4096 slots of 64 bytes, 3 consumers, mode by-key
 *	  producer  pos 1234567  alive pid 4242  parks 0  waiting 0
 *	  router    pos 1234560  alive pid 4243  parks 3  waiting 0
 *	  gate 1230000  occupancy 4567 / 4096 ...
 *	  consumer 0  member  alive pid 4250  pos 411519  routed 411522  lag 3 ...
 *
 * Called by byteorctl_stat.c as
 *	int __byteorctl_stat_fanout(const char *name,
 *				    const struct byteor_attach_options *o,
 *				    int json);
 * Return: the exit status (0, or 1 if the region cannot be read).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <byteor/fanout.h>
#include <byteor/region.h>
#include <byteor/wait.h>
#include "byteorctl.h"

static const char *fo_mode_name(int mode)
{
	switch (mode) {
	case BYTEOR_FANOUT_BROADCAST:
		return "broadcast";
	case BYTEOR_FANOUT_BY_KEY:
		return "by-key";
	case BYTEOR_FANOUT_ROUND_ROBIN:
		return "round-robin";
	case BYTEOR_FANOUT_CALLBACK:
		return "callback";
	}
	return "none";
}

static const char *fo_alive_word(int alive)
{
	return alive > 0 ? "alive" : alive == 0 ? "gone" : "unknown";
}

static const char *fo_alive_json(int alive)
{
	return alive > 0 ? "true" : alive == 0 ? "false" : "null";
}

static void fo_json(const char *name, const struct byteor_fanout_snapshot *s)
{
	const struct byteor_fanout_consumer_snap *c;
	unsigned int i;

	printf("{\"schema\":\"byteor.stat.v1\",\"name\":\"%s\",\"kind\":\"fanout\","
	       "\"slot_size\":%u,\"capacity\":%u,\"consumers\":%u,"
	       "\"mode\":\"%s\",\"park_path\":\"%s\",\"corrupt\":%s,"
	       "\"producer\":{\"pos\":%" PRIu64 ",\"alive\":%s,\"pid\":%u,"
	       "\"parks\":%" PRIu64 ",\"waiters\":%u},"
	       "\"router\":{\"pos\":%" PRIu64 ",\"alive\":%s,\"pid\":%u,"
	       "\"parks\":%" PRIu64 ",\"waiters\":%u,\"dropped\":%" PRIu64 "},"
	       "\"gate\":%" PRIu64 ",\"occupancy\":%" PRIu64 ","
	       "\"members\":%" PRIu64 ",\"corrupt_seen\":%" PRIu64 ","
	       "\"consumer\":[", name, s->slot_size, s->capacity, s->consumers,
	       fo_mode_name(s->mode), byteor_park_path_name(s->park_path),
	       s->flags & BYTEOR_FANOUT_SNAP_F_CORRUPT ? "true" : "false",
	       (uint64_t)s->producer_pos, fo_alive_json(s->producer_alive),
	       s->producer_pid, (uint64_t)s->producer_parks, s->producer_waiters,
	       (uint64_t)s->router_pos, fo_alive_json(s->router_alive),
	       s->router_pid, (uint64_t)s->router_parks, s->router_waiters,
	       (uint64_t)s->dropped, (uint64_t)s->gate, (uint64_t)s->occupancy,
	       (uint64_t)s->members, (uint64_t)s->corrupt);
	for (i = 0; i < s->consumers; i++) {
		c = &s->consumer[i];
		printf("%s{\"index\":%u,\"pos\":%" PRIu64 ",\"routed\":%" PRIu64
		       ",\"lag\":%" PRIu64 ",\"next_seq\":%" PRIu64 ",\"member\":%s,"
		       "\"alive\":%s,\"pid\":%u,\"attaches\":%" PRIu64
		       ",\"parks\":%" PRIu64 ",\"waiters\":%u}", i ? "," : "", i,
		       (uint64_t)c->pos, (uint64_t)c->routed, (uint64_t)c->lag,
		       (uint64_t)c->next_seq, c->member ? "true" : "false",
		       fo_alive_json(c->alive), c->pid, (uint64_t)c->attaches,
		       (uint64_t)c->parks, c->waiters);
	}
	printf("]}\n");
}

static void fo_text(const char *name, const struct byteor_fanout_snapshot *s)
{
	const struct byteor_fanout_consumer_snap *c;
	unsigned int i;

	printf("%s: fanout, %u slots of %u bytes, %u consumers, mode %s\n", name,
	       s->capacity, s->slot_size, s->consumers, fo_mode_name(s->mode));
	printf("  producer  pos %" PRIu64 "  %s pid %u  parks %" PRIu64
	       "  waiting %u\n", (uint64_t)s->producer_pos,
	       fo_alive_word(s->producer_alive), s->producer_pid,
	       (uint64_t)s->producer_parks, s->producer_waiters);
	printf("  router    pos %" PRIu64 "  %s pid %u  parks %" PRIu64
	       "  waiting %u  dropped %" PRIu64 "\n", (uint64_t)s->router_pos,
	       fo_alive_word(s->router_alive), s->router_pid,
	       (uint64_t)s->router_parks, s->router_waiters,
	       (uint64_t)s->dropped);
	printf("  gate %" PRIu64 "  occupancy %" PRIu64 " / %u  members 0x%" PRIx64
	       "%s\n", (uint64_t)s->gate, (uint64_t)s->occupancy, s->capacity,
	       (uint64_t)s->members,
	       s->flags & BYTEOR_FANOUT_SNAP_F_CORRUPT ?
	       "  (positions inconsistent: corrupt)" : "");
	for (i = 0; i < s->consumers; i++) {
		c = &s->consumer[i];
		printf("  consumer %-2u %-6s %-7s pid %-7u pos %" PRIu64 "  routed %"
		       PRIu64 "  lag %" PRIu64 "  parks %" PRIu64 "  waiting %u\n",
		       i, c->member ? "member" : "-", fo_alive_word(c->alive),
		       c->pid, (uint64_t)c->pos, (uint64_t)c->routed,
		       (uint64_t)c->lag, (uint64_t)c->parks, c->waiters);
	}
	if (s->corrupt)
		printf("  corrupt values seen: %" PRIu64 "\n", (uint64_t)s->corrupt);
	printf("  park path of this host: %s\n", byteor_park_path_name(s->park_path));
}

int __byteorctl_stat_fanout(const char *name,
			    const struct byteor_attach_options *o, int json)
{
	struct byteor_fanout_snapshot *s;
	struct byteor_fanout *f;
	int ret;

	s = malloc(sizeof(*s));
	if (!s) {
		fprintf(stderr, "byteorctl: stat %s: out of memory\n", name);
		return 1;
	}
	ret = byteor_attach_fanout_observer(o, &f);
	if (!ret) {
		ret = byteor_fanout_snapshot(f, s);
		byteor_fanout_detach(f);
	}
	if (ret) {
		free(s);
		return __byteorctl_stat_error(name, json, ret);
	}
	if (json)
		fo_json(name, s);
	else
		fo_text(name, s);
	free(s);
	return 0;
}
