// SPDX-License-Identifier: MIT
/*
 * paired.c - the targets, measured as paired ratios by host state.
 *
 * The host this runs on switches, within minutes, between a fast state
 * (a cache-line round trip of ~130-140 ns) and a slow one (~520-560 ns),
 * and every throughput and latency moves with it, by different factors
 * for different subjects.  A ratio of two medians taken over repetitions
 * that mix the states says nothing.  So:
 *
 *  - A group is the subjects one or more targets compare (a subject and
 *    its reference, e.g. the single ring and the minimal ring, 8 B
 *    single-op).  A repetition of a group runs every member once, back to
 *    back, with a short floor probe (PROBE_RT round trips on two cache
 *    lines in separate 128-byte blocks, p50) before the first member and
 *    after each one.
 *  - A repetition whose probes disagree (the largest more than
 *    SWITCH_RATIO times the smallest: the states differ by ~4x, one state's
 *    probes by ~10 %) had a state switch inside it: it is discarded and
 *    counted.  A kept repetition belongs to the state of its probes: when
 *    the run has seen both (kept repetitions' probes spanning more than
 *    SWITCH_RATIO, the same test as within a repetition),
 *    split at the geometric mean of the lowest and highest; when it has
 *    seen one, fast if its probes are below ONE_STATE_SPLIT_NS.  The split
 *    is relative because the host's absolute floors move with the hardware
 *    it lands on (TSC rate and floors changed between sessions).
 *  - The member order rotates from one repetition to the next, so no
 *    subject always runs first (right after a switch, or after the
 *    previous group's last run).
 *  - A target's ratio is taken inside each kept repetition (subject /
 *    reference, measured seconds apart in the same state) and reported per
 *    state as the median and [min..max] of those per-repetition ratios;
 *    met / missed compares the median with the target's bound for that
 *    state.  Never a ratio of pooled medians.
 *  - Groups run round-robin (one repetition of each per round) for the
 *    time budget, so a run that lasts longer than the host's state periods
 *    samples both states; a group stops once it has MIN_KEPT repetitions
 *    in each state.  With n kept repetitions, [min..max] holds the true
 *    median of that state with probability 1 - 2^(1-n): 94 % for n = 5,
 *    which is why 5 is the minimum stated; fewer are printed as such.
 *
 * Sizes: a throughput repetition of a member is TPUT_SINGLE messages
 * single-op (~2 ms for a ring streaming 500 M msg/s, 20-50 ms at 20-50 M
 * msg/s, more in the slow state): long against the start skew of the two
 * sides (a few us after the start barrier, ~0.1-1 %), short against the
 * state periods (minutes), so a whole repetition of a group (well under a
 * second unloaded) rarely straddles a switch.  Bursts move several times
 * faster: TPUT_BATCH messages.
 * A round-trip member records RTT_N round trips (p99 from 200 samples
 * above it).
 *
 * A member run in which a measured thread was preempted (an involuntary
 * context switch after the start barrier, run.c) is counted, and each
 * target also shows its ratio over the pairs neither of whose runs was:
 * on a shared machine, preemption rather than the lane often sets a
 * figure.  Met / missed still goes by all kept repetitions of the state.
 *
 * The targets are data (targets[] below): name, group, subject, reference
 * ("best:" a list - the best of them in that repetition), statistic, and a
 * bound for each state.  Instruction counts per message (the "ipm"
 * section, cachegrind) do not depend on the state; their targets are in
 * the same table with group "ipm".
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bench.h"

#define SWITCH_RATIO	1.5	/* probes of one repetition further apart: a switch */
/* kept probes this far apart: both states seen (as within a repetition) */
#define TWO_STATES	SWITCH_RATIO
#define ONE_STATE_SPLIT_NS 350.0 /* one state seen: fast below (~135 vs ~540 ns) */
#define PROBE_RT	4000	/* floor round trips per probe (+ 10 % warm-up) */
#define MIN_KEPT	5
#define PREP_MAX	48	/* repetitions per group at most */
#define PM_MAX		10	/* members per group at most */
#define TPUT_SINGLE	1000000ULL
#define TPUT_BATCH	4000000ULL
#define RTT_N		20000ULL

enum { FAST, SLOW, NSTATES };
static const char *const state_name[NSTATES] = { "fast", "slow" };

enum mkind { M_TPUT, M_RTT, M_FLOOR, M_SEQ, M_JOURNAL, M_FANOUT };

struct member {
	const char *name;		/* row name, and the targets' key */
	enum mkind kind;
	const struct subject *s;	/* M_TPUT, M_RTT */
	unsigned int payload, batch;	/* M_TPUT, M_RTT; M_SEQ, M_FANOUT: batch */
	int subs;			/* M_JOURNAL, M_FANOUT: subscribers */
	int blocking;			/* M_SEQ, M_FANOUT */
};

struct group {
	const char *name;
	const char *unit;		/* of the members' values */
	const char *note;
	struct member m[PM_MAX];
	/* results */
	int nm, nreps, kept[NSTATES], discarded, failed;
	int runs, preempted;		/* member runs, those preempted */
	unsigned char pre[PREP_MAX][PM_MAX];	/* member run preempted */
	int state[PREP_MAX];		/* FAST, SLOW, or -1 (discarded) */
	double rprobe[PREP_MAX];	/* a kept repetition's median probe */
	double v[PREP_MAX][PM_MAX];	/* rate, or p50 (ns) */
	double v99[PREP_MAX][PM_MAX];	/* p99 (ns), round trips only */
	double probe[PREP_MAX][PM_MAX + 1];
};

#define TP(n, subj, p, b)	{ n, M_TPUT, &subj, p, b, 0, 0 }
#define RT(n, subj, p)		{ n, M_RTT, &subj, p, 1, 0, 0 }

static struct group groups[] = {
	{ .name = "8B single-op, cap 4096", .unit = "Mmsg/s", .m = {
		TP("byteor-ring", subj_byteor_ring, 8, 1),
		TP("byteor-fixed", subj_byteor_fixed, 8, 1),
		TP("minimal", subj_minimal, 8, 1),
		TP("rigtorp", subj_rigtorp, 8, 1),
		TP("rte-ring", subj_rte_noeal, 8, 1),
	} },
	{ .name = "8B batch 32, cap 4096", .unit = "Mmsg/s", .m = {
		TP("byteor-fixed", subj_byteor_fixed, 8, 32),
		TP("byteor-ring", subj_byteor_ring, 8, 32),
		TP("minimal", subj_minimal, 8, 32),
		TP("rte-ring", subj_rte_noeal, 8, 32),
	} },
	{ .name = "64B stride single-op, cap 4096", .unit = "Mmsg/s",
	  .note = "byteor-ring-56in64: 56 B + 8 B slot header in a 64 B stride; byteor-fixed: 64 B in 64 B; peers 64 B", .m = {
		TP("byteor-fixed", subj_byteor_fixed, 64, 1),
		TP("byteor-ring-56in64", subj_byteor_ring56, 64, 1),
		TP("byteor-ring", subj_byteor_ring, 64, 1),
		TP("minimal", subj_minimal, 64, 1),
		TP("rigtorp", subj_rigtorp, 64, 1),
		TP("rte-ring", subj_rte_noeal, 64, 1),
		TP("ck-ring", subj_ck, 64, 1),
		TP("boost-spsc", subj_boost, 64, 1),
		TP("rwq", subj_rwq, 64, 1),
	} },
	{ .name = "round trip 8B, two lanes", .unit = "ns p50", .m = {
		{ "floor-2lines", M_FLOOR, NULL, 8, 1, 0, 0 },
		RT("byteor-ring", subj_byteor_ring, 8),
		RT("byteor-fixed", subj_byteor_fixed, 8),
		RT("minimal", subj_minimal, 8),
	} },
	{ .name = "sequenced slots publish-1 vs minimal single-op", .unit = "Mmsg/s",
	  .note = "seq: 65536 entries of 8 B; minimal: 8 B, cap 4096", .m = {
		{ "byteor-seq", M_SEQ, NULL, 8, 1, 0, 0 },
		{ "byteor-seq-blocking", M_SEQ, NULL, 8, 1, 0, 1 },
		TP("minimal", subj_minimal, 8, 1),
	} },
	{ .name = "journal 64B vs fixed ring 64B batch 32", .unit = "Mmsg/s",
	  .note = "journal: 1 subscriber polling, reading batches of up to 32, publisher's rate; fixed ring: cap 4096", .m = {
		{ "byteor-journal-1sub", M_JOURNAL, NULL, 64, 1, 1, 0 },
		TP("byteor-fixed-b32", subj_byteor_fixed, 64, 32),
	} },
	{ .name = "fanout 64B publish 1", .unit = "Mmsg/s",
	  .note = "2 subscribers: 3 busy threads on 2 CPUs, OVERSUBSCRIBED (they share CPU 1)", .m = {
		{ "fanout-1sub", M_FANOUT, NULL, 64, 1, 1, 0 },
		{ "fanout-2subs", M_FANOUT, NULL, 64, 1, 2, 0 },
		{ "fanout-1sub-blocking", M_FANOUT, NULL, 64, 1, 1, 1 },
		{ "fanout-2subs-blocking", M_FANOUT, NULL, 64, 1, 2, 1 },
	} },
};

#define NGROUPS	((int)(sizeof(groups) / sizeof(groups[0])))

/* ---- the targets, as data --------------------------------------------- */

enum { ST_VALUE, ST_P99 };

struct ptarget {
	const char *name;
	const char *group;	/* a groups[] name, or "ipm" */
	const char *subject;	/* member name (ipm: subject, payload, batch below) */
	const char *ref;	/* member name, or "best:a,b,c" */
	int stat;		/* ST_VALUE (rate, p50) or ST_P99 */
	int ge;			/* 1: ratio >= bound, 0: ratio <= bound */
	double bound[NSTATES];	/* per state (ipm: [0]) */
	unsigned int payload, batch;	/* ipm only */
};

#define G_SO	"8B single-op, cap 4096"
#define G_B32	"8B batch 32, cap 4096"
#define G_64	"64B stride single-op, cap 4096"
#define G_RTT	"round trip 8B, two lanes"
#define G_SEQ	"sequenced slots publish-1 vs minimal single-op"
#define G_JR	"journal 64B vs fixed ring 64B batch 32"
#define G_FAN	"fanout 64B publish 1"
#define PEERS64	"best:minimal,rigtorp,rte-ring,ck-ring,boost-spsc,rwq"

static const struct ptarget targets[] = {
	{ "ring 8B single-op / minimal", G_SO, "byteor-ring", "minimal", ST_VALUE, 1, { 1.0, 1.5 }, 0, 0 },
	{ "fixed ring 8B single-op / minimal", G_SO, "byteor-fixed", "minimal", ST_VALUE, 1, { 1.0, 1.5 }, 0, 0 },
	{ "ring 8B single-op instructions/msg / minimal", "ipm", "byteor-ring", "minimal", ST_VALUE, 0, { 1.3, 1.3 }, 8, 1 },
	{ "fixed ring 8B single-op instructions/msg / minimal", "ipm", "byteor-fixed", "minimal", ST_VALUE, 0, { 1.3, 1.3 }, 8, 1 },
	{ "fixed ring 8B batch-32 / minimal burst-32", G_B32, "byteor-fixed", "minimal", ST_VALUE, 1, { 0.95, 0.95 }, 0, 0 },
	{ "ring 8B batch-32 / minimal burst-32", G_B32, "byteor-ring", "minimal", ST_VALUE, 1, { 0.7, 0.7 }, 0, 0 },
	{ "ring 8B batch-32 / rte_ring burst-32", G_B32, "byteor-ring", "rte-ring", ST_VALUE, 1, { 1.8, 1.8 }, 0, 0 },
	{ "fixed ring 64B stride single-op / best peer 64B", G_64, "byteor-fixed", PEERS64, ST_VALUE, 1, { 0.95, 0.95 }, 0, 0 },
	{ "ring 56B-in-64B stride single-op / best peer 64B", G_64, "byteor-ring-56in64", PEERS64, ST_VALUE, 1, { 0.95, 0.95 }, 0, 0 },
	{ "ring round trip p50 / floor-2lines p50", G_RTT, "byteor-ring", "floor-2lines", ST_VALUE, 0, { 1.1, 1.1 }, 0, 0 },
	{ "ring round trip p99 / floor-2lines p99", G_RTT, "byteor-ring", "floor-2lines", ST_P99, 0, { 1.15, 1.15 }, 0, 0 },
	{ "fixed ring round trip p50 / floor-2lines p50", G_RTT, "byteor-fixed", "floor-2lines", ST_VALUE, 0, { 1.1, 1.1 }, 0, 0 },
	{ "fixed ring round trip p99 / floor-2lines p99", G_RTT, "byteor-fixed", "floor-2lines", ST_P99, 0, { 1.15, 1.15 }, 0, 0 },
	{ "seq slots unicast publish-1 (polling) / minimal single-op", G_SEQ, "byteor-seq", "minimal", ST_VALUE, 1, { 0.9, 0.9 }, 0, 0 },
	{ "seq slots unicast publish-1 (blocking) / minimal single-op", G_SEQ, "byteor-seq-blocking", "minimal", ST_VALUE, 1, { 0.9, 0.9 }, 0, 0 },
	{ "journal 64B 1 subscriber / fixed ring 64B batch-32", G_JR, "byteor-journal-1sub", "byteor-fixed-b32", ST_VALUE, 1, { 0.5, 0.5 }, 0, 0 },
	{ "fanout 2 subscribers / 1 subscriber (polling, oversubscribed)", G_FAN, "fanout-2subs", "fanout-1sub", ST_VALUE, 1, { 0.3, 0.3 }, 0, 0 },
	{ "fanout 2 subscribers / 1 subscriber (blocking, oversubscribed)", G_FAN, "fanout-2subs-blocking", "fanout-1sub-blocking", ST_VALUE, 1, { 0.3, 0.3 }, 0, 0 },
};

#define NTARGETS	((int)(sizeof(targets) / sizeof(targets[0])))

/* ---- measuring -------------------------------------------------------- */

static double stats(double *v, int n, double *mn, double *mx);

/* A short two-line floor: its p50 in ns, or NAN. */
static double probe(void)
{
	R->n = quick ? PROBE_RT / 2 : PROBE_RT;
	R->warm = R->n / 10;
	if (floor_once(1))
		return NAN;
	return tsc_ns(hist_pct(&R->h, 50));
}

static double split_ns = ONE_STATE_SPLIT_NS;
static int two_states;

/* One member once: its value (and p99 for latencies), NAN on failure. */
static double run_member(const struct member *m, double *p99)
{
	uint64_t n1 = quick ? TPUT_SINGLE / 5 : TPUT_SINGLE;
	uint64_t nb = quick ? TPUT_BATCH / 5 : TPUT_BATCH;
	uint64_t nr = quick ? RTT_N / 4 : RTT_N;
	double v = NAN;

	*p99 = NAN;
	switch (m->kind) {
	case M_TPUT:
		return spsc_tput_once(m->s, m->payload, 4096, m->batch, m->batch > 1 ? nb : n1);
	case M_RTT:
		v = spsc_rtt_once(m->s, m->payload, nr);
		if (!isnan(v))
			*p99 = tsc_ns(hist_pct(&R->h, 99));
		return v;
	case M_FLOOR:
		R->n = nr;
		R->warm = nr / 10;
		if (floor_once(1))
			return NAN;
		*p99 = tsc_ns(hist_pct(&R->h, 99));
		return tsc_ns(hist_pct(&R->h, 50));
	case M_SEQ:
		return seq_unicast_once(m->batch, n1, m->blocking);
	case M_JOURNAL:
		return journal_once(m->subs, n1);
	case M_FANOUT:
		return fanout_once(m->subs, m->batch, m->subs > 1 ? n1 / 5 : n1, m->blocking);
	}
	return NAN;
}

/* One repetition of @g: probes around every member, rotated order. */
static void group_rep(struct group *g)
{
	int r = g->nreps, i, st, ok = 1;

	if (r >= PREP_MAX)
		return;
	g->probe[r][0] = probe();
	for (i = 0; i < g->nm; i++) {
		int k = (i + r) % g->nm;
		double p99;

		g->v[r][k] = run_member(&g->m[k], &p99);
		g->v99[r][k] = p99;
		g->pre[r][k] = !isnan(g->v[r][k]) && run_preempted() > 0;
		g->runs++;
		g->preempted += g->pre[r][k];
		if (isnan(g->v[r][k])) {
			ok = 0;
			if (g->failed++ < 2)
				section_note("paired", "%s: %s failed in repetition %d: %s", g->name,
					     g->m[k].name, r + 1, R->errmsg);
		}
		g->probe[r][i + 1] = probe();
	}
	g->nreps++;
	{
		double lo = g->probe[r][0], hi = lo, pv[PM_MAX + 1], mn, mx;

		st = 0;
		for (i = 0; i <= g->nm; i++) {
			if (isnan(g->probe[r][i]))
				st = -1;
			pv[i] = g->probe[r][i];
			lo = g->probe[r][i] < lo ? g->probe[r][i] : lo;
			hi = g->probe[r][i] > hi ? g->probe[r][i] : hi;
		}
		if (st == 0 && hi > lo * SWITCH_RATIO)
			st = -1;
		g->rprobe[r] = stats(pv, g->nm + 1, &mn, &mx);
	}
	if (st < 0 && ok)
		g->discarded++;
	g->state[r] = ok && st == 0 ? 0 : -1;	/* FAST or SLOW: classify() */
	g->rprobe[r] = g->state[r] < 0 ? NAN : g->rprobe[r];
}

/*
 * Every kept repetition's state, from all groups' kept probes: relative
 * when both states were seen, absolute when one was.
 */
static void classify(void)
{
	double lo = NAN, hi = NAN;
	int i, r;

	for (i = 0; i < NGROUPS; i++)
		for (r = 0; r < groups[i].nreps; r++) {
			double p = groups[i].rprobe[r];

			if (isnan(p))
				continue;
			lo = isnan(lo) || p < lo ? p : lo;
			hi = isnan(hi) || p > hi ? p : hi;
		}
	two_states = !isnan(lo) && hi >= lo * TWO_STATES;
	split_ns = two_states ? sqrt(lo * hi) : ONE_STATE_SPLIT_NS;
	for (i = 0; i < NGROUPS; i++) {
		struct group *g = &groups[i];

		g->kept[FAST] = g->kept[SLOW] = 0;
		for (r = 0; r < g->nreps; r++) {
			if (isnan(g->rprobe[r]))
				continue;
			g->state[r] = g->rprobe[r] < split_ns ? FAST : SLOW;
			g->kept[g->state[r]]++;
		}
	}
}

static int group_done(const struct group *g)
{
	return g->nreps >= PREP_MAX ||
	       (g->kept[FAST] >= MIN_KEPT && g->kept[SLOW] >= MIN_KEPT);
}

/* ---- reporting -------------------------------------------------------- */

static int dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median, min, max of @n values (sorted in place); n > 0. */
static double stats(double *v, int n, double *mn, double *mx)
{
	qsort(v, (size_t)n, sizeof(double), dcmp);
	*mn = v[0];
	*mx = v[n - 1];
	return n & 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static struct group *group_find(const char *name)
{
	int i;

	for (i = 0; i < NGROUPS; i++)
		if (!strcmp(groups[i].name, name))
			return &groups[i];
	return NULL;
}

static int member_find(const struct group *g, const char *name)
{
	int i;

	for (i = 0; i < g->nm; i++)
		if (!strcmp(g->m[i].name, name))
			return i;
	return -1;
}

/* The reference's value in repetition @r: one member, or the best of a list. */
/* @r's reference value; *pre: the member it came from was preempted. */
static double ref_value(const struct group *g, const struct ptarget *t, int r, int *pre)
{
	const double (*v)[PM_MAX] = t->stat == ST_P99 ? g->v99 : g->v;
	char list[200], *save = NULL, *tok;
	double best = NAN;
	int k;

	*pre = 0;
	if (strncmp(t->ref, "best:", 5)) {
		k = member_find(g, t->ref);
		if (k >= 0)
			*pre = g->pre[r][k];
		return k < 0 ? NAN : v[r][k];
	}
	snprintf(list, sizeof(list), "%s", t->ref + 5);
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		k = member_find(g, tok);
		if (k >= 0 && !isnan(v[r][k]) && (isnan(best) || v[r][k] > best)) {
			best = v[r][k];
			*pre = g->pre[r][k];
		}
	}
	return best;
}

static void eval_target(const struct ptarget *t)
{
	const struct group *g;
	char name[160], how[200];
	int s, r, k;

	if (!strcmp(t->group, "ipm")) {
		double a = ipm_of(t->subject, t->payload, t->batch);
		double b = ipm_of(t->ref, t->payload, t->batch);

		snprintf(how, sizeof(how), "%s %.1f / %s %.1f instructions per message (cachegrind; any state)%s",
			 t->subject, a, t->ref, b, isnan(a) ? ": run the ipm section" : "");
		target(t->name, a > 0 && b > 0 ? a / b : NAN, t->bound[0], t->ge, how);
		if (a > 0 && b > 0)
			printf("    %-62s any:  %6.3f (%.1f / %.1f instructions)      (%s %.2f) %s\n",
			       t->name, a / b, a, b, t->ge ? ">=" : "<=", t->bound[0],
			       (t->ge ? a / b >= t->bound[0] : a / b <= t->bound[0]) ? "met" : "MISSED");
		else
			printf("    %-62s any:     n/a (the ipm section did not run)  (%s %.2f) NOT MEASURED\n",
			       t->name, t->ge ? ">=" : "<=", t->bound[0]);
		return;
	}
	g = group_find(t->group);
	k = g ? member_find(g, t->subject) : -1;
	if (!g || k < 0) {
		fprintf(stderr, "bench: paired target '%s': no group / member\n", t->name);
		return;
	}
	for (s = 0; s < NSTATES; s++) {
		double rat[PREP_MAX], clean[PREP_MAX], med = NAN, mn = NAN, mx = NAN;
		int n = 0, nc = 0, ok;

		for (r = 0; r < g->nreps; r++) {
			double a = t->stat == ST_P99 ? g->v99[r][k] : g->v[r][k];
			int pre;
			double b = ref_value(g, t, r, &pre);

			if (g->state[r] != s || !(a > 0) || !(b > 0))
				continue;
			rat[n++] = a / b;
			if (!pre && !g->pre[r][k])
				clean[nc++] = a / b;
		}
		if (n)
			med = stats(rat, n, &mn, &mx);
		ok = n && (t->ge ? med >= t->bound[s] : med <= t->bound[s]);
		snprintf(name, sizeof(name), "%s [%s]", t->name, state_name[s]);
		if (n)
			snprintf(how, sizeof(how), "paired, median of %d repetition%s [%.3g..%.3g]%s; %d pair%s unpreempted",
				 n, n > 1 ? "s" : "", mn, mx, n < MIN_KEPT ? " (fewer than 5)" : "",
				 nc, nc == 1 ? "" : "s");
		else
			snprintf(how, sizeof(how), "no kept repetition in the %s state", state_name[s]);
		target(name, med, t->bound[s], t->ge, how);
		if (!n) {
			printf("    %-62s %s:    n/a (no kept repetition)  (%s %.2f) NOT MEASURED\n",
			       t->name, state_name[s], t->ge ? ">=" : "<=", t->bound[s]);
			continue;
		}
		printf("    %-62s %s: %6.3f [%.3f..%.3f] n=%-2d (%s %.2f) %s\n", t->name,
		       state_name[s], med, mn, mx, n, t->ge ? ">=" : "<=", t->bound[s],
		       ok ? "met" : "MISSED");
		if (nc) {
			med = stats(clean, nc, &mn, &mx);
			printf("    %-62s       %6.3f [%.3f..%.3f] n=%-2d over the pairs neither of whose runs was preempted\n",
			       "", med, mn, mx, nc);
		} else {
			printf("    %-62s       (no pair ran unpreempted)\n", "");
		}
	}
}

static void print_group(const struct group *g)
{
	int s, i, r;

	printf("\n  [%s]  %d repetitions: %d fast, %d slow kept, %d discarded (state switch inside)%s\n",
	       g->name, g->nreps, g->kept[FAST], g->kept[SLOW], g->discarded,
	       g->failed ? ", some failed (see notes)" : "");
	if (g->note)
		printf("    (%s)\n", g->note);
	printf("    %d of %d member runs had a measured thread preempted (involuntary context switch): %s\n",
	       g->preempted, g->runs, g->preempted ? "their figures measure the scheduler too" :
	       "none");
	for (s = 0; s < NSTATES; s++) {
		double pv[PREP_MAX * (PM_MAX + 1)], mn, mx, med;
		int n = 0;

		for (r = 0; r < g->nreps; r++)
			if (g->state[r] == s)
				for (i = 0; i <= g->nm; i++)
					pv[n++] = g->probe[r][i];
		if (!n)
			continue;
		med = stats(pv, n, &mn, &mx);
		printf("    %s state: probe p50 %.0f ns [%.0f..%.0f]\n", state_name[s], med, mn, mx);
		for (i = 0; i < g->nm; i++) {
			double v[PREP_MAX], w[PREP_MAX], mn2, mx2;
			int m = 0, m99 = 0, pre = 0;
			struct figure *f;
			char sec[32];

			for (r = 0; r < g->nreps; r++) {
				if (g->state[r] != s)
					continue;
				v[m++] = g->v[r][i];
				pre += g->pre[r][i];
				if (!isnan(g->v99[r][i]))
					w[m99++] = g->v99[r][i];
			}
			snprintf(sec, sizeof(sec), "paired-%s", state_name[s]);
			f = fig_get(sec, g->m[i].name, g->name, g->unit, !strcmp(g->unit, "ns p50"));
			for (r = 0; r < m; r++)
				fig_add(f, v[r]);
			med = stats(v, m, &mn, &mx);
			printf("      %-24s %9.2f [%.2f..%.2f] %s", g->m[i].name, med, mn, mx, g->unit);
			if (m99) {
				med = stats(w, m99, &mn2, &mx2);
				printf("; p99 %.0f [%.0f..%.0f]", med, mn2, mx2);
			}
			printf("; preempted in %d of %d\n", pre, m);
		}
	}
}

/* The instruction-count targets alone (`make bench-ipm`: no timed runs). */
void paired_ipm_targets(void)
{
	int i;

	printf("\n== Instruction-count targets ==\n");
	for (i = 0; i < NTARGETS; i++)
		if (!strcmp(targets[i].group, "ipm"))
			eval_target(&targets[i]);
}

void bench_paired(void)
{
	uint64_t budget = (uint64_t)(quick ? 20 : 300) * 1000000000ULL, t0 = mono_ns();
	const char *env = getenv("BENCH_PAIRED_S");
	int i, round = 0, min_rounds = quick ? 1 : MIN_KEPT, any;

	if (env && atoi(env) > 0)
		budget = (uint64_t)atoi(env) * 1000000000ULL;
	for (i = 0; i < NGROUPS; i++)
		for (groups[i].nm = 0; groups[i].nm < PM_MAX && groups[i].m[groups[i].nm].name;)
			groups[i].nm++;
	section_note("paired", "each repetition runs a group's members back to back (order rotated by one each repetition) with a %d-round-trip two-line floor probe (p50) before the first and after each member; a repetition whose probes differ by more than %.1fx had a state switch inside and is discarded",
		     quick ? PROBE_RT / 2 : PROBE_RT, SWITCH_RATIO);
	section_note("paired", "ratios are taken inside each kept repetition (subject / reference of the same repetition) and reported per state: median [min..max] of those ratios, n = kept repetitions; single-op runs %llu messages, bursts %llu, round trips %llu",
		     (unsigned long long)(quick ? TPUT_SINGLE / 5 : TPUT_SINGLE),
		     (unsigned long long)(quick ? TPUT_BATCH / 5 : TPUT_BATCH),
		     (unsigned long long)(quick ? RTT_N / 4 : RTT_N));
	section_note("paired", "rounds of one repetition per group until each group has %d kept in both states (at most %d repetitions) or %llu s have passed (BENCH_PAIRED_S), at least %d rounds",
		     MIN_KEPT, PREP_MAX, (unsigned long long)(budget / 1000000000ULL), min_rounds);
	do {
		any = 0;
		for (i = 0; i < NGROUPS; i++) {
			if (round >= min_rounds && group_done(&groups[i]))
				continue;
			group_rep(&groups[i]);
			any = 1;
		}
		round++;
		classify();
	} while (any && (round < min_rounds || mono_ns() - t0 < budget));
	section_note("paired", "%d rounds in %.0f s; %s", round, (double)(mono_ns() - t0) / 1e9,
		     two_states ? "both states seen" : "ONE state seen");
	section_note("paired", "state of a kept repetition: its median probe below %.0f ns = fast, else slow (%s)",
		     split_ns, two_states ?
		     "geometric mean of the lowest and highest kept probes" :
		     "one state seen: a fixed split between the ~135 ns and ~540 ns floors");

	printf("\n== Paired ratios by host state (the targets) ==\n");
	print_notes("paired");
	for (i = 0; i < NGROUPS; i++)
		print_group(&groups[i]);
	printf("\n  targets (per state: median [min..max] of the paired ratios, n kept repetitions):\n");
	for (i = 0; i < NTARGETS; i++)
		eval_target(&targets[i]);
}
