// SPDX-License-Identifier: MIT
/*
 * ctl_metrics.c - the lane snapshot of a region of any kind as rows (see
 * ctl_metrics.h), taken as a read-only observer: nothing is claimed and
 * nothing written, so a monitor never disturbs the lanes it looks at.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <byteor/events.h>
#include <byteor/fanout.h>
#include <byteor/journal.h>
#include <byteor/sequenced_slots.h>
#include <byteor/single_ring.h>
#include "ctl_metrics.h"

long long ctl_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static struct ctl_row *row(struct ctl_region *m, const char *role,
			   unsigned int index)
{
	struct ctl_row *r;

	if (m->nrows >= CTL_MAX_ROWS)
		return NULL;
	r = &m->rows[m->nrows++];
	memset(r, 0, sizeof(*r));
	r->role = role;
	r->index = index;
	r->has_pos = true;
	r->has_parks = true;
	return r;
}

static int collect_ring(const struct byteor_attach_options *o,
			struct ctl_region *m)
{
	struct byteor_single_ring_snapshot s;
	struct byteor_single_ring *h;
	struct ctl_row *r;
	int ret;

	ret = byteor_attach_single_ring(o, BYTEOR_ROLE_OBSERVER, &h);
	if (ret)
		return ret;
	ret = byteor_single_ring_snapshot(h, &s);
	byteor_single_ring_detach(h);
	if (ret)
		return ret;
	m->corrupt = s.flags & BYTEOR_SNAP_F_CORRUPT;
	m->has_occupancy = true;
	m->occupancy = s.occupancy;
	m->capacity = s.capacity;
	r = row(m, "producer", 0);
	r->pos = s.producer_pos;
	r->alive = s.producer_alive;
	r->pid = s.producer_pid;
	r->parks = s.producer_parks;
	r->waiters = s.producer_waiters;
	r->attaches = s.producer_attaches;
	r = row(m, "consumer", 0);
	r->reader = r->gates = r->has_lag = true;
	r->pos = s.consumer_pos;
	r->lag = s.occupancy;
	r->alive = s.consumer_alive;
	r->pid = s.consumer_pid;
	r->parks = s.consumer_parks;
	r->waiters = s.consumer_waiters;
	r->attaches = s.consumer_attaches;
	return 0;
}

static int collect_events(const struct byteor_attach_options *o,
			  struct ctl_region *m)
{
	struct byteor_events_snapshot s;
	struct byteor_events *e;
	struct ctl_row *r;
	unsigned int q;
	int ret;

	ret = byteor_attach_events_observer(o, &e);
	if (ret)
		return ret;
	m->capacity = m->info.geometry.capacity;
	for (q = 0; q < m->info.geometry.queues && q < BYTEOR_MAX_QUEUES; q++) {
		ret = byteor_events_snapshot(e, q, &s);
		if (ret)
			break;
		m->corrupt |= !!(s.flags & BYTEOR_EVENTS_SNAP_F_CORRUPT);
		m->skipped += s.skipped;
		r = row(m, "producer", q);
		r->pos = s.producer_pos;
		/* An MPSC queue: alive while any of its producers is. */
		r->alive = s.producers_alive ? 1 : 0;
		r->parks = s.producer_parks;
		r->waiters = s.producer_waiters;
		r->attaches = s.producer_attaches;
		r = row(m, "consumer", q);
		r->reader = r->gates = r->has_lag = true;
		r->pos = s.consumer_pos;
		r->lag = s.occupancy;
		r->alive = s.consumer_alive;
		r->parks = s.consumer_parks;
		r->waiters = s.consumer_waiters;
		r->attaches = s.consumer_attaches;
	}
	byteor_events_detach(e);
	return ret;
}

static int collect_seq(const struct byteor_attach_options *o,
		       struct ctl_region *m)
{
	struct byteor_sequenced_slots_snapshot s;
	struct byteor_sequenced_slots *h;
	struct ctl_row *r;
	unsigned int i;
	int ret;

	ret = byteor_attach_sequenced_slots_region(o, BYTEOR_ROLE_OBSERVER, &h);
	if (ret)
		return ret;
	ret = byteor_sequenced_slots_snapshot(h, &s);
	byteor_sequenced_slots_detach(h);
	if (ret)
		return ret;
	m->corrupt = s.flags & BYTEOR_SEQ_SNAP_F_CORRUPT;
	m->has_occupancy = true;
	m->occupancy = s.occupancy;
	m->capacity = s.capacity;
	r = row(m, "producer", 0);
	r->pos = s.cursor;
	r->alive = s.producer_alive;
	r->pid = s.producer_pid;
	r->parks = s.producer_parks;
	r->waiters = s.cursor_waiters;
	r->attaches = s.producer_attaches;
	for (i = 0; i < s.stages && i < BYTEOR_MAX_STAGES; i++) {
		r = row(m, "stage", i);
		r->reader = r->has_lag = true;
		/* A removed stage gates nobody: its death is no alarm. */
		r->gates = !s.stage[i].removed;
		r->pos = s.stage[i].gating;
		r->lag = s.stage[i].lag;
		r->alive = s.stage[i].alive;
		r->pid = s.stage[i].pid;
		r->parks = s.stage[i].parks;
		r->waiters = s.stage[i].waiters;
		r->attaches = s.stage[i].attaches;
	}
	return 0;
}

static int collect_fanout(const struct byteor_attach_options *o,
			  struct ctl_region *m)
{
	struct byteor_fanout_snapshot *s;
	struct byteor_fanout *f;
	struct ctl_row *r;
	unsigned int i;
	int ret;

	s = malloc(sizeof(*s));
	if (!s)
		return -ENOMEM;
	ret = byteor_attach_fanout_observer(o, &f);
	if (!ret) {
		ret = byteor_fanout_snapshot(f, s);
		byteor_fanout_detach(f);
	}
	if (ret) {
		free(s);
		return ret;
	}
	m->corrupt = s->flags & BYTEOR_FANOUT_SNAP_F_CORRUPT;
	m->has_occupancy = true;
	m->occupancy = s->occupancy;
	m->capacity = s->capacity;
	m->dropped = s->dropped;
	r = row(m, "producer", 0);
	r->pos = s->producer_pos;
	r->alive = s->producer_alive;
	r->pid = s->producer_pid;
	r->parks = s->producer_parks;
	r->waiters = s->producer_waiters;
	r = row(m, "router", 0);
	r->pos = s->router_pos;
	r->alive = s->router_alive;
	r->pid = s->router_pid;
	r->parks = s->router_parks;
	r->waiters = s->router_waiters;
	for (i = 0; i < s->consumers && i < BYTEOR_MAX_QUEUES; i++) {
		r = row(m, "consumer", i);
		/* Only members are routed to: a non-member waits for nothing. */
		r->reader = r->gates = !!s->consumer[i].member;
		r->has_lag = true;
		r->pos = s->consumer[i].pos;
		r->lag = s->consumer[i].member ? s->consumer[i].lag : 0;
		r->alive = s->consumer[i].alive;
		r->pid = s->consumer[i].pid;
		r->parks = s->consumer[i].parks;
		r->waiters = s->consumer[i].waiters;
		r->attaches = s->consumer[i].attaches;
	}
	free(s);
	return 0;
}

static int collect_journal(const struct byteor_attach_options *o,
			   struct ctl_region *m)
{
	struct byteor_journal_subscriber_snap v[BYTEOR_JOURNAL_SUBSCRIBERS];
	struct byteor_journal_snapshot s;
	struct byteor_journal *j;
	struct ctl_row *r;
	int i, n, ret;

	ret = byteor_attach_journal_subscriber_tail(o, &j);
	if (ret)
		return ret;
	ret = byteor_journal_snapshot(j, &s);
	n = ret ? ret : byteor_journal_subscribers(j, v, BYTEOR_JOURNAL_SUBSCRIBERS);
	byteor_journal_detach(j);
	if (n < 0)
		return n;
	m->corrupt = s.flags & BYTEOR_JOURNAL_SNAP_F_CORRUPT;
	m->has_occupancy = true;
	m->occupancy = s.tail - s.oldest;
	m->capacity = s.capacity;
	m->records = s.records;
	m->shared_parks = s.parks;
	m->shared_waiters = s.waiters;
	r = row(m, "publisher", 0);
	r->pos = s.tail;
	r->alive = s.publisher_alive;
	r->pid = s.publisher_pid;
	r->has_parks = false;	/* it never waits */
	r->attaches = s.publisher_attaches;
	for (i = 0; i < n && i < BYTEOR_JOURNAL_SUBSCRIBERS; i++) {
		r = row(m, "subscriber", v[i].slot);
		r->reader = r->has_lag = r->has_laps = true;
		r->has_parks = false;	/* counted for all subscribers together */
		r->pos = v[i].position;
		r->lag = v[i].lag;
		r->alive = v[i].alive;
		r->pid = v[i].pid;
		r->laps = v[i].lapped;
		r->attaches = v[i].attaches;
	}
	return 0;
}

int ctl_collect(const char *name, const struct byteor_attach_options *o,
		struct ctl_region *m)
{
	struct byteor_attach_options oo;
	int ret;

	memset(m, 0, sizeof(*m));
	m->kind = "unknown";
	ret = byteor_region_info(name, o->backing, o->dir, &m->info);
	if (ret) {
		snprintf(m->info.name, sizeof(m->info.name), "%s", name);
		return m->err = ret;
	}
	if (byteor_kind_name(m->info.kind))
		m->kind = byteor_kind_name(m->info.kind);
	memset(&oo, 0, sizeof(oo));
	oo.name = name;
	oo.backing = o->backing;
	oo.dir = o->dir;
	oo.flags = BYTEOR_ATTACH_OBSERVER;
	switch (m->info.kind) {
	case BYTEOR_KIND_SINGLE_RING:
		ret = collect_ring(&oo, m);
		break;
	case BYTEOR_KIND_EVENTS_CHAIN:
		ret = collect_events(&oo, m);
		break;
	case BYTEOR_KIND_SEQUENCED_SLOTS:
		ret = collect_seq(&oo, m);
		break;
	case BYTEOR_KIND_FANOUT:
		ret = collect_fanout(&oo, m);
		break;
	case BYTEOR_KIND_JOURNAL:
		ret = collect_journal(&oo, m);
		break;
	default:
		ret = -EPROTO;
	}
	return m->err = ret;
}

int ctl_list(const struct byteor_attach_options *o,
	     struct byteor_region_info **out)
{
	struct byteor_region_info *v = NULL, *nv;
	size_t room = 0;
	int n;

	/* The count can change between calls: retry until it fits. */
	for (;;) {
		n = byteor_region_list(o->backing, o->dir, v, room);
		if (n < 0 || (size_t)n <= room)
			break;
		room = (size_t)n + 8;
		nv = realloc(v, room * sizeof(*v));
		if (!nv) {
			n = -ENOMEM;
			break;
		}
		v = nv;
	}
	if (n < 0)
		free(v);
	else
		*out = v;
	return n;
}
