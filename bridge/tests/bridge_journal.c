// SPDX-License-Identifier: MIT
/*
 * bridge_journal - the bridge tests' journal tool (userspace backing):
 *
 *   bridge_journal create DIR NAME CAPACITY      a journal, records <= 512 B
 *   bridge_journal pub DIR NAME FIRST COUNT [RATE] [MIN MAX]
 *       append records FIRST..FIRST+COUNT-1 of the test sequence (RATE
 *       records/s, 0 flat out); record i: type i % 2^31, MIN..MAX bytes
 *       (default 16..512), the first 8 bytes i, the rest a function of i
 *   bridge_journal wait DIR NAME COUNT SECONDS   until COUNT records exist
 *   bridge_journal count DIR NAME                records committed
 *   bridge_journal compare DIRA A DIRB B COUNT   B holds A's records, in
 *       order, once each, and each is record i of the sequence; no gap
 *       marker; exactly COUNT records
 *   bridge_journal gaps DIR NAME                 "records R gaps G" of the
 *       journal from 0, and each gap marker's range on stderr
 *   bridge_journal latency DIR NAME COUNT READY  read COUNT records from
 *       the tail (touching the file READY once attached), each stamped by
 *       pub (bytes 8..15: CLOCK_REALTIME at append); print p50/p99/p99.9
 *       of the time from append at the source to read here
 *
 * Exit 0 when the check holds; 1 with the first difference on stderr.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "bridge.h"

static struct byteor_attach_options opts(const char *dir, const char *name)
{
	struct byteor_attach_options o;

	memset(&o, 0, sizeof(o));
	o.name = name;
	o.dir = dir;
	o.backing = BYTEOR_BACKING_USER;
	o.timeout_ns = 0;
	return o;
}

static __u32 rec_len(__u64 i, __u32 lo, __u32 hi)
{
	__u64 h = i * 0x9e3779b97f4a7c15ULL;

	return lo + (__u32)((h >> 33) % (hi - lo + 1));
}

static void rec_fill(unsigned char *p, __u32 len, __u64 i)
{
	__u32 k;

	memcpy(p, &i, 8);
	for (k = 8; k < len; k++)
		p[k] = (unsigned char)(i * 131 + k * 7);
}

static const char *rec_check(const unsigned char *p, __u32 len, __u32 type,
			     __u64 *seq)
{
	__u32 k;

	if (len < 8)
		return "shorter than 8 bytes";
	memcpy(seq, p, 8);
	if (type != (__u32)(*seq % 0x80000000ULL))
		return "type does not match its sequence number";
	/* Lengths: 16..512 unless the publisher was given others. */
	for (k = 16; k < len; k++)
		if (p[k] != (unsigned char)(*seq * 131 + k * 7))
			return "payload byte differs";
	return NULL;
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int cmd_create(char **a)
{
	struct byteor_region_options ro;
	int ret;

	memset(&ro, 0, sizeof(ro));
	ro.name = a[1];
	ro.kind = BYTEOR_KIND_JOURNAL;
	ro.backing = BYTEOR_BACKING_USER;
	ro.dir = a[0];
	ro.geometry.slot_size = 512;
	ro.geometry.capacity = strtoul(a[2], NULL, 0);
	ro.geometry.queues = 1;
	ro.geometry.producers = 1;
	ret = byteor_region_create(&ro, NULL);
	if (ret)
		fprintf(stderr, "create %s/%s: %s\n", a[0], a[1], byteor_strerror(ret));
	return ret ? 1 : 0;
}

static int cmd_pub(int argc, char **a)
{
	struct byteor_attach_options o = opts(a[0], a[1]);
	struct byteor_journal *j;
	unsigned char buf[512];
	__u64 first = strtoull(a[2], NULL, 0), n = strtoull(a[3], NULL, 0), i;
	double rate = argc > 4 ? atof(a[4]) : 0;
	__u32 lo = argc > 6 ? atoi(a[5]) : 16, hi = argc > 6 ? atoi(a[6]) : 512;
	__u64 t0 = now_ns();
	int ret;

	ret = byteor_attach_journal_publisher(&o, &j);
	if (ret) {
		fprintf(stderr, "pub %s: %s\n", a[1], byteor_strerror(ret));
		return 1;
	}
	for (i = first; i < first + n; i++) {
		__u32 len = rec_len(i, lo, hi);

		if (rate > 0) {
			__u64 due = t0 + (__u64)((i - first) * 1e9 / rate);

			while (now_ns() < due)
				if (due - now_ns() > 200000)
					usleep(100);
		}
		rec_fill(buf, len, i);
		/* Stamp mode (latency): bytes 8..15 carry the send time. */
		if (len >= 16) {
			__u64 t = bridge_now_ns();

			memcpy(buf + 8, &t, 8);
		}
		ret = byteor_journal_append(j, (__u32)(i % 0x80000000ULL), buf, len, NULL);
		if (ret) {
			fprintf(stderr, "append %llu: %s\n", (unsigned long long)i,
				byteor_strerror(ret));
			return 1;
		}
	}
	byteor_journal_detach(j);
	return 0;
}

static int records(const char *dir, const char *name, __u64 *n)
{
	struct byteor_attach_options o = opts(dir, name);
	struct byteor_journal_snapshot s;
	struct byteor_journal *j;
	int ret;

	o.flags = BYTEOR_ATTACH_OBSERVER;
	ret = byteor_attach_journal_subscriber_tail(&o, &j);
	if (ret)
		return ret;
	byteor_journal_snapshot(j, &s);
	*n = s.records;
	byteor_journal_detach(j);
	return 0;
}

static int cmd_wait(char **a)
{
	__u64 want = strtoull(a[2], NULL, 0), n = 0, last = 0;
	__u64 deadline = now_ns() + (__u64)(atof(a[3]) * 1e9);
	int ret;

	for (;;) {
		ret = records(a[0], a[1], &n);
		if (ret) {
			fprintf(stderr, "wait %s: %s\n", a[1], byteor_strerror(ret));
			return 1;
		}
		if (n >= want)
			return 0;
		if (now_ns() > deadline) {
			fprintf(stderr, "wait %s: %llu of %llu records after %s s\n",
				a[1], (unsigned long long)n,
				(unsigned long long)want, a[3]);
			return 1;
		}
		if (n != last)
			last = n;
		usleep(50000);
	}
}

static int cmd_count(char **a)
{
	__u64 n;
	int ret = records(a[0], a[1], &n);

	if (ret) {
		fprintf(stderr, "count %s: %s\n", a[1], byteor_strerror(ret));
		return 1;
	}
	printf("%llu\n", (unsigned long long)n);
	return 0;
}

static int compare(struct byteor_journal *ja, struct byteor_journal *jb,
		   __u64 want)
{
	struct byteor_journal_record ra, rb;
	static unsigned char ba[512], bb[512];
	__u64 n = 0, seq, prev = 0;
	const char *why;
	int na, nb;

	for (;;) {
		na = byteor_journal_read(ja, ba, sizeof(ba), &ra);
		nb = byteor_journal_read(jb, bb, sizeof(bb), &rb);
		if ((na == -EAGAIN || na == -EPIPE) && (nb == -EAGAIN || nb == -EPIPE))
			break;
		if (na < 0 || nb < 0) {
			fprintf(stderr, "compare: record %llu: A %s, B %s (B at position %llu)\n",
				(unsigned long long)n, na < 0 ? byteor_strerror(na) : "a record",
				nb < 0 ? byteor_strerror(nb) : "a record",
				(unsigned long long)rb.pos);
			return 1;
		}
		if (rb.type == BRIDGE_GAP_TYPE) {
			fprintf(stderr, "compare: record %llu of B is a gap marker\n",
				(unsigned long long)n);
			return 1;
		}
		if (na != nb || ra.type != rb.type || memcmp(ba, bb, na)) {
			fprintf(stderr, "compare: record %llu differs (A: type %u, %d bytes at %llu; B: type %u, %d bytes at %llu)\n",
				(unsigned long long)n, ra.type, na,
				(unsigned long long)ra.pos, rb.type, nb,
				(unsigned long long)rb.pos);
			return 1;
		}
		why = rec_check(bb, nb, rb.type, &seq);
		if (!why && n && seq != prev + 1)
			why = "sequence number does not follow the previous one";
		if (why) {
			fprintf(stderr, "compare: record %llu: %s\n",
				(unsigned long long)n, why);
			return 1;
		}
		prev = seq;
		n++;
	}
	if (n != want) {
		fprintf(stderr, "compare: %llu records, expected %llu\n",
			(unsigned long long)n, (unsigned long long)want);
		return 1;
	}
	printf("compare: %llu records equal, in order, once each\n",
	       (unsigned long long)n);
	return 0;
}

static int cmd_compare(char **a)
{
	struct byteor_attach_options oa = opts(a[0], a[1]), ob = opts(a[2], a[3]);
	struct byteor_journal *ja = NULL, *jb = NULL;
	int ret;

	ret = byteor_attach_journal_subscriber_from(&oa, 0, &ja);
	if (!ret)
		ret = byteor_attach_journal_subscriber_from(&ob, 0, &jb);
	if (ret)
		fprintf(stderr, "compare: attach: %s\n", byteor_strerror(ret));
	else
		ret = compare(ja, jb, strtoull(a[4], NULL, 0));
	byteor_journal_detach(ja);
	byteor_journal_detach(jb);
	return ret ? 1 : 0;
}

static int cmd_gaps(char **a)
{
	struct byteor_attach_options o = opts(a[0], a[1]);
	struct byteor_journal *j;
	struct byteor_journal_record r;
	struct bridge_gap g;
	unsigned char buf[512];
	__u64 nrec = 0, ngap = 0;
	int ret;

	ret = byteor_attach_journal_subscriber_from(&o, 0, &j);
	if (ret) {
		fprintf(stderr, "gaps: %s\n", byteor_strerror(ret));
		return 1;
	}
	while ((ret = byteor_journal_read(j, buf, sizeof(buf), &r)) >= 0) {
		if (r.type == BRIDGE_GAP_TYPE && ret == sizeof(g)) {
			memcpy(&g, buf, sizeof(g));
			fprintf(stderr, "gap marker: source [%llu, %llu)\n",
				(unsigned long long)g.from, (unsigned long long)g.to);
			ngap++;
		} else {
			nrec++;
		}
	}
	printf("records %llu gaps %llu\n", (unsigned long long)nrec,
	       (unsigned long long)ngap);
	byteor_journal_detach(j);
	return ret == -EAGAIN || ret == -EPIPE ? 0 : 1;
}

static int cmp_u64(const void *x, const void *y)
{
	__u64 a = *(const __u64 *)x, b = *(const __u64 *)y;

	return a < b ? -1 : a > b;
}

static int cmd_latency(char **a)
{
	struct byteor_attach_options o = opts(a[0], a[1]);
	struct byteor_journal *j;
	struct byteor_journal_record r;
	unsigned char buf[512];
	__u64 n = strtoull(a[2], NULL, 0), i = 0, *lat, t;
	int ret;

	FILE *f;

	lat = calloc(n, sizeof(*lat));
	ret = byteor_attach_journal_subscriber_tail(&o, &j);
	if (ret || !lat) {
		fprintf(stderr, "latency: %s\n", byteor_strerror(ret));
		return 1;
	}
	f = fopen(a[3], "w");
	if (f)
		fclose(f);
	while (i < n) {
		ret = byteor_journal_read_timed(j, buf, sizeof(buf), &r, 10000000000LL);
		if (ret < 0) {
			fprintf(stderr, "latency: after %llu records: %s\n",
				(unsigned long long)i, byteor_strerror(ret));
			return 1;
		}
		memcpy(&t, buf + 8, 8);
		lat[i++] = bridge_now_ns() - t;
	}
	qsort(lat, n, sizeof(*lat), cmp_u64);
	printf("p50 %.1f us p99 %.1f us p99.9 %.1f us\n", lat[n / 2] / 1e3,
	       lat[n * 99 / 100] / 1e3, lat[n * 999 / 1000] / 1e3);
	byteor_journal_detach(j);
	free(lat);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 5 && !strcmp(argv[1], "create"))
		return cmd_create(argv + 2);
	if (argc >= 6 && !strcmp(argv[1], "pub"))
		return cmd_pub(argc - 2, argv + 2);
	if (argc >= 6 && !strcmp(argv[1], "wait"))
		return cmd_wait(argv + 2);
	if (argc >= 4 && !strcmp(argv[1], "count"))
		return cmd_count(argv + 2);
	if (argc >= 7 && !strcmp(argv[1], "compare"))
		return cmd_compare(argv + 2);
	if (argc >= 4 && !strcmp(argv[1], "gaps"))
		return cmd_gaps(argv + 2);
	if (argc >= 6 && !strcmp(argv[1], "latency"))
		return cmd_latency(argv + 2);
	fprintf(stderr, "usage: see the header of bridge/tests/bridge_journal.c\n");
	return 2;
}
