// SPDX-License-Identifier: MIT
/*
 * ctl_rules.c - which rule a create request breaks, said so an operator can
 * fix it ("capacity must be a power of two (got 1000)"), not a bare
 * EINVAL.  The rules are byteor_name_valid() and byteor_geometry_check()
 * of include/uapi/byteor.h, the ones both backings enforce; this file says
 * them in words, in the same order, and tests/host/ctl_rules.c checks on a
 * sweep of requests that it finds a rule exactly when those refuse.
 */
#include <stdio.h>
#include <string.h>
#include <byteor/region.h>
#include "byteorctl.h"

#define RULE(...) (snprintf(buf, len, __VA_ARGS__), buf)

static const char *name_rule(const char *name, char *buf, size_t len)
{
	size_t i, n = strlen(name);

	if (!n)
		return RULE("the name may not be empty");
	if (n >= BYTEOR_NAME_MAX)
		return RULE("the name may have at most %d characters (got %zu)",
			    BYTEOR_NAME_MAX - 1, n);
	if (name[0] == '.')
		return RULE("the name may not start with '.'");
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return RULE("the name may use [A-Za-z0-9._-], not '%c'", c);
	}
	return NULL;
}

static const char *queue_rule(__u32 kind, const struct byteor_geometry *g,
			      char *buf, size_t len)
{
	unsigned int i;
	__u32 q;

	switch (kind) {
	case BYTEOR_KIND_SINGLE_RING:
	case BYTEOR_KIND_JOURNAL:
		if (g->queues != 1)
			return RULE("a %s has one queue (got --queues %u)",
				    byteor_kind_name(kind), g->queues);
		if (kind == BYTEOR_KIND_JOURNAL && g->capacity < 4096)
			return RULE("a journal's capacity is in bytes, at least 4096 (got %u)",
				    g->capacity);
		if (kind == BYTEOR_KIND_JOURNAL && g->slot_size > g->capacity / 4)
			return RULE("a journal's largest record (--slot-size) may be a quarter of its capacity, %u (got %u)",
				    g->capacity / 4, g->slot_size);
		return NULL;
	case BYTEOR_KIND_EVENTS_CHAIN:
		if (g->queues < 1 || g->queues > BYTEOR_MAX_QUEUES)
			return RULE("--queues must be 1..%d (got %u)",
				    BYTEOR_MAX_QUEUES, g->queues);
		if (g->queues < 64 && (g->mpsc_mask >> g->queues))
			return RULE("--mpsc-mask may name queues 0..%u only (got 0x%llx)",
				    g->queues - 1,
				    (unsigned long long)g->mpsc_mask);
		if (g->producers < 1 || g->producers > BYTEOR_MAX_PRODUCERS)
			return RULE("--producers must be 1..%d (got %u)",
				    BYTEOR_MAX_PRODUCERS, g->producers);
		if (!g->mpsc_mask && g->producers != 1)
			return RULE("--producers above 1 needs MPSC queues (--mpsc-mask)");
		for (q = 0; q < g->queues; q++)
			if (byteor_queue_producers(g, q) > g->capacity)
				return RULE("queue %u has more producers (%u) than slots (%u)",
					    q, byteor_queue_producers(g, q),
					    g->capacity);
		return NULL;
	case BYTEOR_KIND_FANOUT:
		if (g->queues < 1 || g->queues > BYTEOR_MAX_QUEUES)
			return RULE("a fanout has 1..%d consumers (--queues, got %u)",
				    BYTEOR_MAX_QUEUES, g->queues);
		return NULL;
	case BYTEOR_KIND_SEQUENCED_SLOTS:
		if (g->queues < 1 || g->queues > BYTEOR_MAX_STAGES)
			return RULE("sequenced slots have 1..%d stages (--queues, got %u)",
				    BYTEOR_MAX_STAGES, g->queues);
		for (i = 0; i < BYTEOR_MAX_STAGES; i++) {
			if (i >= g->queues && g->stage_deps[i])
				return RULE("--stage-deps names stage %u of %u",
					    i, g->queues);
			if (g->stage_deps[i] >> i)
				return RULE("stage %u may depend on earlier stages only (--stage-deps 0x%x)",
					    i, g->stage_deps[i]);
		}
		return NULL;
	}
	return RULE("unknown kind %u", kind);
}

const char *__byteorctl_create_rule(const char *name, __u32 kind,
				    const struct byteor_geometry *g,
				    char *buf, size_t len)
{
	const char *r = name_rule(name, buf, len);
	unsigned int i;

	if (r)
		return r;
	for (i = 0; i < sizeof(g->reserved) / sizeof(g->reserved[0]); i++)
		if (g->reserved[i])
			return RULE("reserved geometry fields must be 0");
	if (g->slot_size < 8 || g->slot_size > BYTEOR_SLOT_SIZE_MAX ||
	    g->slot_size % 8)
		return RULE("slot size must be a multiple of 8 from 8 to %d (got %u)",
			    BYTEOR_SLOT_SIZE_MAX, g->slot_size);
	if (!byteor_is_pow2(g->capacity) || g->capacity < 2)
		return RULE("capacity must be a power of two, at least 2 (got %u)",
			    g->capacity);
	if (g->capacity > BYTEOR_CAPACITY_MAX)
		return RULE("capacity may be at most %u (got %u)",
			    (unsigned int)BYTEOR_CAPACITY_MAX, g->capacity);
	if (kind != BYTEOR_KIND_EVENTS_CHAIN && (g->mpsc_mask || g->producers != 1))
		return RULE("--producers and --mpsc-mask are for events only");
	if (g->flags & ~BYTEOR_GEOM_F_MASK)
		return RULE("unknown geometry flags 0x%x", g->flags);
	if ((g->flags & BYTEOR_GEOM_F_FIXED) && kind != BYTEOR_KIND_SINGLE_RING)
		return RULE("--fixed is for a single ring only");
	if (kind != BYTEOR_KIND_SEQUENCED_SLOTS)
		for (i = 0; i < BYTEOR_MAX_STAGES; i++)
			if (g->stage_deps[i])
				return RULE("--stage-deps is for sequenced slots only");
	return queue_rule(kind, g, buf, len);
}
