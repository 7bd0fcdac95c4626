/* SPDX-License-Identifier: MIT */
/*
 * ctl_metrics.h - one flat view of a region's lane snapshot, whatever its
 * kind, for the monitoring commands of byteorctl (check, export, the
 * rates of watch): a row per role instance (producer, consumer, stage,
 * subscriber, router, publisher) with its position, lag, liveness, parks
 * and waiters, plus a few per-region figures.
 *
 *	struct ctl_region m;
 *	if (!ctl_collect("md.eurusd", &opts, &m))
 *		for (i = 0; i < m.nrows; i++)
 *			use(m.rows[i].role, m.rows[i].index, m.rows[i].pos);
 *
 * Positions and lags count messages (entries, events), except a
 * journal's, which count bytes.
 */
#ifndef _BYTEORCTL_METRICS_H
#define _BYTEORCTL_METRICS_H

#include <stdbool.h>
#include <byteor/common.h>
#include <byteor/region.h>

/* Rows of the largest layout: events, 64 queues x (producer, consumer). */
#define CTL_MAX_ROWS	(2 * BYTEOR_MAX_QUEUES + 8)

struct ctl_row {
	const char *role;	/* producer consumer stage subscriber router publisher */
	unsigned int index;	/* queue, consumer, stage or subscriber slot */
	bool reader;		/* consumes: subject to lag and stall checks */
	bool has_pos, has_lag, has_parks;
	__u64 pos;		/* messages (journal: bytes) since creation */
	__u64 lag;		/* readers: what waits for it */
	int alive;		/* 1, 0 (gone), < 0 unknown */
	__u32 pid;
	__u64 parks;
	__u32 waiters;
	__u64 attaches;
	__u64 laps;		/* journal subscribers */
	bool has_laps;
	bool gates;		/* a dead one holds its producer back */
};

struct ctl_region {
	struct byteor_region_info info;
	const char *kind;
	int err;		/* 0, or the -errno that stopped the read */
	bool corrupt;
	bool has_occupancy;
	__u64 occupancy;	/* slots in use (journal: retained bytes) */
	__u64 capacity;		/* slots (journal: bytes) */
	__u64 skipped;		/* events: orphaned claims skipped */
	__u64 dropped;		/* fanout: messages routed to nobody */
	__u64 records;		/* journal: records committed */
	__u64 shared_parks;	/* journal: subscriber parks (all of them) */
	__u32 shared_waiters;	/* journal: subscribers parked now */
	unsigned int nrows;
	struct ctl_row rows[CTL_MAX_ROWS];
};

/*
 * ctl_collect() - snapshot region @name (backing and dir from @o) as an
 * observer into @m.  Return: 0, or -errno (also in m->err).
 */
int ctl_collect(const char *name, const struct byteor_attach_options *o,
		struct ctl_region *m);

/* Every region of the backing, in name order; *@out is malloc'd.
 * Return: the count, or -errno. */
int ctl_list(const struct byteor_attach_options *o,
	     struct byteor_region_info **out);

/* Monotonic and wall clocks in ns. */
long long ctl_mono_ns(void);

#endif /* _BYTEORCTL_METRICS_H */
