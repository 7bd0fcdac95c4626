// SPDX-License-Identifier: MIT
/*
 * ipm_report.c - the "ipm" section: instructions per message of every
 * subject, counted by valgrind's cachegrind on the single-thread driver
 * (bench/ipm.c, built beside this binary as "ipm").  Each configuration
 * runs the driver at N and at 2N messages; (Ir(2N) - Ir(N)) / N is the
 * cost of one message sent and received, start-up, attach and teardown
 * cancelled out.  Instruction counts do not depend on the machine's load
 * or its cache-line state: unlike the times, these are the same on every
 * run of the same build.
 *
 *	make bench-ipm        this section alone (BENCH_SECTIONS=ipm)
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bench.h"

#define IPM_N	20000ULL	/* a multiple of 32: whole bursts at N and 2N */

/* Ir of one driver run under cachegrind, or -1 (message in @err). */
static long long ipm_count(const char *drv, const char *subj, unsigned int p, unsigned int b,
			   unsigned long long n, char *err, size_t errlen)
{
	char cmd[PATH_MAX + 256], line[512];
	long long ir = -1;
	FILE *f;
	int st;

	snprintf(cmd, sizeof(cmd),
		 "valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null "
		 "'%s' %s %u %u %llu 2>&1", drv, subj, p, b, n);
	f = popen(cmd, "r");
	if (!f) {
		snprintf(err, errlen, "popen: %s", strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *v = strstr(line, "I   refs:");
		char digits[64];
		size_t k = 0;

		if (!v) {
			if (strstr(line, "ipm:") || strstr(line, "not found"))
				snprintf(err, errlen, "%.*s", (int)strcspn(line, "\n"), line);
			continue;
		}
		for (v += 9; *v && k + 1 < sizeof(digits); v++)
			if (*v >= '0' && *v <= '9')
				digits[k++] = *v;
		digits[k] = 0;
		if (k)
			ir = atoll(digits);
	}
	st = pclose(f);
	if (st != 0 && ir >= 0) {
		snprintf(err, errlen, "the driver failed (status %d)", st);
		return -1;
	}
	if (ir < 0 && !err[0])
		snprintf(err, errlen, "no instruction count (is valgrind installed?)");
	return ir;
}

/* The config names, shared with paired.c's target table. */
void ipm_cfg(char *buf, size_t n, unsigned int p, unsigned int b)
{
	snprintf(buf, n, "%uB %s", p, b == 1 ? "single-op" : "batch 32");
}

double ipm_of(const char *subject, unsigned int p, unsigned int b)
{
	char cfg[64];
	const struct figure *f;

	ipm_cfg(cfg, sizeof(cfg), p, b);
	f = fig_find("ipm", subject, cfg);
	return f && f->nreps ? f->rep[0] : NAN;
}

void bench_ipm(void)
{
	static const char *const subj[] = {
		"byteor-ring", "byteor-fixed", "byteor-ring-56in64", "byteor-events", "byteor-seq",
		"byteor-journal", "byteor-journal-batch", "minimal", "rigtorp", "rte-ring", "ck-ring", "boost-spsc", "rwq", NULL,
	};
	static const unsigned int pay[2] = { 8, 64 }, bat[2] = { 1, 32 };
	char drv[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", drv, sizeof(drv) - 8);
	int i, ip, ib, failed = 0;

	if (len <= 0) {
		section_note("ipm", "NOT RUN: cannot find this binary's directory");
		return;
	}
	drv[len] = 0;
	snprintf(strrchr(drv, '/') + 1, 8, "ipm");
	section_note("ipm", "instructions per message (sent + received), counted by valgrind --tool=cachegrind on %s: one thread drives both ends of one lane (capacity 4096), each message checked; (Ir at %llu messages x 2 - Ir at %llu) / %llu; deterministic, unaffected by load",
		     drv, IPM_N, IPM_N, IPM_N);
	section_note("ipm", "byteor-seq: sequenced slots, claim 1 + publish + stage_wait 1 + advance (8 B single-op only); byteor-ring-56in64: 56 B payload, listed under 64B; byteor-journal: 64 B records, append then read (copied out, validated), the area wrapping (64 B only); byteor-journal-batch: the same appends, read as one zero-copy batch (peek_batch, each record checked in place, consume_batch; single-op: batches of 1)");
	for (ip = 0; ip < 2; ip++)
		for (ib = 0; ib < 2; ib++)
			for (i = 0; subj[i]; i++) {
				char err[200] = "", cfg[64];
				long long a, b2;
				struct figure *f;

				if (!strcmp(subj[i], "byteor-seq") && (pay[ip] != 8 || bat[ib] != 1))
					continue;
				if (!strncmp(subj[i], "byteor-journal", 14) && pay[ip] != 64)
					continue;
				a = ipm_count(drv, subj[i], pay[ip], bat[ib], IPM_N, err, sizeof(err));
				b2 = a < 0 ? -1 : ipm_count(drv, subj[i], pay[ip], bat[ib], 2 * IPM_N,
							    err, sizeof(err));
				if (a < 0 || b2 < 0) {
					if (failed++ < 4)
						section_note("ipm", "%s %uB batch %u not counted: %s",
							     subj[i], pay[ip], bat[ib], err);
					continue;
				}
				ipm_cfg(cfg, sizeof(cfg), pay[ip], bat[ib]);
				f = fig_get("ipm", subj[i], cfg, "instr/msg", 1);
				fig_add(f, (double)(b2 - a) / (double)IPM_N);
			}
	print_section("ipm", "Instructions per message (cachegrind, one thread, both ends)",
		      "minimal", NULL);
}
