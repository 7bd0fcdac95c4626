// SPDX-License-Identifier: MIT
/*
 * bridge/metrics.c - the bridge's counters in the Prometheus text
 * exposition format (version 0.0.4), to a file (replaced atomically, for
 * node_exporter's textfile collector) or to stdout.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "bridge.h"

static void one(FILE *f, const char *name, const char *type, const char *help,
		const char *labels, double v)
{
	fprintf(f, "# HELP byteor_bridge_%s %s\n# TYPE byteor_bridge_%s %s\n",
		name, help, name, type);
	fprintf(f, "byteor_bridge_%s{%s} %.17g\n", name, labels, v);
}

static void emit(FILE *f, const struct bridge_metrics *m)
{
	char l[160];

	snprintf(l, sizeof(l), "direction=\"%s\",journal=\"%s\"",
		 m->dir == BRIDGE_OUT ? "out" : "in", m->journal);
	one(f, "records_total", "counter",
	    m->dir == BRIDGE_OUT ? "Records published and acknowledged." :
	    "Records appended to the local journal.", l, (double)m->records);
	one(f, "bytes_total", "counter", "Payload bytes of those records.", l,
	    (double)m->bytes);
	one(f, "window", "gauge", "Publications awaiting acknowledgement now.",
	    l, (double)m->window);
	one(f, "window_max", "gauge", "The window's bound.", l,
	    (double)m->window_max);
	one(f, "acks_total", "counter",
	    m->dir == BRIDGE_OUT ? "Publish acknowledgements received." :
	    "Acknowledgements sent to the consumer.", l, (double)m->acks);
	one(f, "duplicates_total", "counter",
	    m->dir == BRIDGE_OUT ? "Publications the server de-duplicated." :
	    "Deliveries skipped as already appended.", l,
	    (double)m->duplicates);
	one(f, "redeliveries_total", "counter",
	    m->dir == BRIDGE_OUT ? "Records published again after a failed or missing acknowledgement." :
	    "Deliveries with a delivery count above 1.", l,
	    (double)(m->dir == BRIDGE_OUT ? m->republished : m->redeliveries));
	one(f, "errors_total", "counter", "Transport errors met (and retried).",
	    l, (double)m->errors);
	one(f, "gaps_total", "counter",
	    "Gaps: source records lost to a lap, reported as gap markers.", l,
	    (double)m->gaps);
	one(f, "gap_bytes_total", "counter", "Source bytes those gaps span.", l,
	    (double)m->gap_bytes);
	one(f, "position", "gauge",
	    m->dir == BRIDGE_OUT ? "Source position acknowledged contiguously (checkpointed)." :
	    "Next source position expected.", l, (double)m->position);
	one(f, "lag_records", "gauge",
	    m->dir == BRIDGE_OUT ? "Records read and not yet acknowledged." :
	    "Records the consumer has still to deliver.", l,
	    (double)m->lag_records);
	one(f, "lag_bytes", "gauge",
	    m->dir == BRIDGE_OUT ? "Source journal bytes not yet acknowledged (tail - position)." :
	    "Payload bytes held out of order.", l, (double)m->lag_bytes);
	one(f, "lag_seconds", "gauge",
	    m->dir == BRIDGE_OUT ? "Age of the oldest unacknowledged record." :
	    "Now minus the source read time of the last record appended.", l,
	    m->lag_seconds);
	if (m->dir == BRIDGE_IN)
		one(f, "held", "gauge", "Records held, arrived ahead of a missing one.",
		    l, (double)m->held);
}

int bridge_metrics_write(const struct bridge_metrics *m, const char *dest)
{
	char tmp[BRIDGE_STR_MAX + 8];
	FILE *f;
	int ret = 0;

	if (!dest || !*dest)
		return 0;
	if (!strcmp(dest, "-")) {
		emit(stdout, m);
		fflush(stdout);
		return 0;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", dest);
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	emit(f, m);
	if (fflush(f) || ferror(f))
		ret = -EIO;
	if (fclose(f) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, dest))
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}
