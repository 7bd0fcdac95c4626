// SPDX-License-Identifier: MIT
/*
 * bridge/common.c - small shared helpers: errors, logging, clocks, record
 * ids, the journal's identity.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "bridge.h"

volatile sig_atomic_t bridge_stop, bridge_dump;

void bridge_err_set(struct bridge_err *e, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}

void bridge_log(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* One write per line: lines of concurrent bridges stay whole. */
	fprintf(stderr, "byteor-bridge[%d]: %s\n", (int)getpid(), buf);
}

__u64 bridge_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

__u64 bridge_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000ULL + (__u64)ts.tv_nsec / 1000000ULL;
}

void bridge_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR && !bridge_stop)
		;
}

/*
 * "byteor:<region>:<generation>:<pos>" for a record, "...:gap:<from>:<to>"
 * for a gap marker.  The generation tells a re-created region's records
 * from the old one's at the same positions; a gap marker never shares an
 * id with a record (a restarted out direction may publish a record at a
 * position an earlier gap marker started at, and must not be dropped).
 */
int bridge_rec_id(const struct bridge_rec *r, char *buf, size_t n)
{
	int len;

	if (r->kind == BRIDGE_REC_GAP)
		len = snprintf(buf, n, "byteor:%s:%llu:gap:%llu:%llu", r->region,
			       (unsigned long long)r->generation,
			       (unsigned long long)r->pos,
			       (unsigned long long)r->next);
	else
		len = snprintf(buf, n, "byteor:%s:%llu:%llu", r->region,
			       (unsigned long long)r->generation,
			       (unsigned long long)r->pos);
	return len < 0 || (size_t)len >= n ? -ENAMETOOLONG : 0;
}

struct byteor_attach_options bridge_attach_opts(const struct bridge_config *c)
{
	struct byteor_attach_options o;

	memset(&o, 0, sizeof(o));
	o.name = c->journal;
	o.backing = c->backing;
	o.dir = c->jdir[0] ? c->jdir : NULL;
	o.timeout_ns = 0;
	return o;
}

/* The journal's instance: its generation (changes when it is re-created). */
int bridge_region_generation(const struct bridge_config *c, __u64 *gen,
			     struct bridge_err *err)
{
	struct byteor_region_info info;
	int ret;

	ret = byteor_region_info(c->journal, c->backing,
				 c->jdir[0] ? c->jdir : NULL, &info);
	if (ret < 0) {
		bridge_err_set(err, "journal '%s'%s%s: %s", c->journal,
			       c->jdir[0] ? " in " : "", c->jdir,
			       ret == -ENOENT ? "no such region" :
			       byteor_strerror(ret));
		return ret;
	}
	if (info.kind != BYTEOR_KIND_JOURNAL) {
		bridge_err_set(err, "region '%s' is a %s, not a journal",
			       c->journal, byteor_kind_name(info.kind) ?: "?");
		return -EPROTO;
	}
	*gen = info.generation;
	return 0;
}
