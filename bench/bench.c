// SPDX-License-Identifier: MIT
/*
 * bench.c - the byteor benchmark driver (`make bench`, scripts/bench.sh).
 *
 * One run measures every subject side by side: repetitions are interleaved
 * (rep 1 of A, B, C, ..., then rep 2 of A, B, C, ...) so a noisy minute hurts
 * everyone alike; medians and [min..max] are reported, and a table's ratios
 * are taken per repetition (A's rep i over B's rep i), never of medians.
 * The targets are judged by the paired section (paired.c), which also
 * tells the host's fast and slow states apart, and by instruction counts
 * (ipm_report.c, cachegrind), which no state or load moves.  The producer
 * (or ping) side runs on CPU 0, the consumer (or pong) side on CPU 1.
 *
 *	bench [-q] [-o outdir] [-s sections]
 *	  -q          quick: one repetition, small counts (development only)
 *	  -o dir      where results.json, .dat files and PNGs go
 *	  -s list     comma-separated sections:
 *	              floors,spsc,rtt,mpsc,seq,fanout,journal,wake,kernel,ipm,paired
 *	              (ipm: instructions per message under cachegrind; paired:
 *	              the targets, as paired ratios per host state)
 *
 * Environment: BENCH_DIR_4K (a /dev/shm directory for byteor's userspace
 * backing), BENCH_DIR_2M (a hugetlbfs mount, or empty), BENCH_JAVA (the
 * java command line prefix for the Disruptor peer, or empty).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "bench.h"

const char *byteor_dir_4k = "/dev/shm", *byteor_dir_2m;
int hugepages_ok;
char machine_notes[1024];

static const int cpus01[2] = { 0, 1 };
static int reps;

/* ---- subject bookkeeping ------------------------------------------------ */

enum { V_T4K, V_P4K, V_T2M, V_P2M, V_MAX };
static const char *const vname[V_MAX] = { "threads 4K", "procs 4K", "threads 2M", "procs 2M" };

static const struct subject *const spsc_subjects[] = {
	&subj_byteor_ring, &subj_byteor_fixed, &subj_byteor_ring56, &subj_byteor_events,
	&subj_minimal, &subj_rigtorp, &subj_rte_noeal, &subj_rte_eal, &subj_ck, &subj_boost,
	&subj_rwq, NULL,
};

/*
 * byteor lanes and the reference run in every variant; peers and the
 * 56-in-64 ring (64 B configurations only) in threads 4K.
 */
static int runs_in(const struct subject *s, int v)
{
	if (v == V_T4K)
		return 1;
	if ((v == V_T2M || v == V_P2M) && !hugepages_ok)
		return 0;
	if (s != &subj_byteor_ring && s != &subj_byteor_fixed &&
	    s != &subj_byteor_events && s != &subj_minimal)
		return 0;
	if ((v == V_P4K || v == V_P2M) && !(s->caps & CAP_PROC))
		return 0;
	return 1;
}

struct pairctx {
	const struct subject *s;
	void *ctx;
};

static int side_tput(void *p, int side)
{
	struct pairctx *c = p;

	return c->s->tput(c->ctx, side == 0 ? ROLE_TX : ROLE_RX, side);
}

static int side_rtt(void *p, int side)
{
	struct pairctx *c = p;

	return c->s->rtt(c->ctx, side == 0 ? ROLE_TX : ROLE_RX);
}

static int side_mpsc(void *p, int side)
{
	struct pairctx *c = p;

	return c->s->mpsc(c->ctx, side);
}

/* Subjects that failed once are reported once, then skipped. */
static char failed[64][200];

static int subject_failed(const char *name)
{
	int i;

	for (i = 0; i < 64 && failed[i][0]; i++)
		if (!strncmp(failed[i], name, strlen(name)) && failed[i][strlen(name)] == '|')
			return 1;
	return 0;
}

static void subject_fail(const char *section, const char *name, const char *what)
{
	int i;

	for (i = 0; i < 64 && failed[i][0]; i++)
		;
	if (i < 64)
		snprintf(failed[i], sizeof(failed[i]), "%s|%s", name, what);
	fprintf(stderr, "bench: %s: %s failed: %s\n", section, name, what);
	section_note(section, "%s did not run: %s", name, what);
}

static void set_run(int v, unsigned int p, unsigned int c, unsigned int b)
{
	R->payload = p;
	R->capacity = c;
	R->batch = b;
	R->proc = v == V_P4K || v == V_P2M;
	R->huge = v == V_T2M || v == V_P2M;
	snprintf(R->dir, sizeof(R->dir), "%s",
		 R->huge ? (byteor_dir_2m ? byteor_dir_2m : "") : byteor_dir_4k);
	R->err = 0;
	R->errmsg[0] = 0;
}

/* "subject, variant": failures are remembered per subject and variant. */
static const char *fail_key(const struct subject *s)
{
	static char key[96];

	snprintf(key, sizeof(key), "%s (%s)", s->name,
		 vname[R->proc ? (R->huge ? V_P2M : V_P4K) : (R->huge ? V_T2M : V_T4K)]);
	return key;
}

/* One measured run; returns 0 and leaves the timings in R, or an error. */
static int one_run(const char *section, const struct subject *s, int nlanes, int nsides,
		   side_fn fn, const int *cpus)
{
	struct pairctx pc = { s, NULL };
	int ret;

	ret = s->setup(&pc.ctx, nlanes);
	if (!ret)
		ret = run_sides(fn, &pc, nsides, cpus, 120);
	if (pc.ctx)
		s->teardown(pc.ctx);
	if (ret)
		subject_fail(section, fail_key(s), R->errmsg[0] ? R->errmsg : "setup failed");
	return ret;
}

/* ---- single runs for the paired section ----------------------------------- */

double spsc_tput_once(const struct subject *s, unsigned int payload, unsigned int capacity,
		      unsigned int batch, uint64_t n)
{
	set_run(V_T4K, payload, capacity, batch);
	R->n = n;
	if (one_run("paired", s, 1, 2, side_tput, cpus01))
		return NAN;
	return (double)R->n / tsc_ns(R->t_end[1] - R->t_start[0]) * 1e3;
}

double spsc_rtt_once(const struct subject *s, unsigned int payload, uint64_t n)
{
	set_run(V_T4K, payload, 4096, 1);
	R->n = n;
	R->warm = n / 10;
	hist_reset(&R->h);
	if (one_run("paired", s, 2, 2, side_rtt, cpus01))
		return NAN;
	return tsc_ns(hist_pct(&R->h, 50));
}

/* ---- SPSC throughput ----------------------------------------------------- */

static void cfg_name(char *buf, size_t n, unsigned int p, unsigned int c, unsigned int b, int v)
{
	snprintf(buf, n, "%uB cap%u %s, %s", p, c, b == 1 ? "single-op" : "batch 32", vname[v]);
}

static void bench_spsc_tput(void)
{
	static const unsigned int pay[2] = { 8, 64 }, cap[2] = { 4096, 65536 }, bat[2] = { 1, 32 };
	int r, ip, ic, ib, v, k;

	section_note("spsc", "throughput = messages / (consumer's last receive - producer's first send), producer CPU 0, consumer CPU 1; every message's first word checked in order by the consumer");
	section_note("spsc", "{n instr/msg}: the subject's instructions per message sent and received at capacity 4096 (ipm section, cachegrind, one thread)");
	section_note("spsc", "[preempted in k of n]: k repetitions had a measured thread preempted (an involuntary context switch after the start barrier): on a shared machine such a figure measures the scheduler too");
	section_note("spsc", "64 B configurations: byteor-ring-56in64 is the ring with slot headers carrying 56 B in a 64 B stride (8 B header with length and tag: one cache line per slot); byteor-ring carries 64 B in a 72 B stride, byteor-fixed 64 B in 64 B");
	section_note("spsc", "peers run as threads on 4 KiB MAP_SHARED memfd memory (rwq and rte-eal allocate their own); byteor lanes and the minimal reference also run as processes and on 2 MiB hugetlb pages");
	for (r = 0; r < reps; r++) {
		for (ip = 0; ip < 2; ip++)
			for (ic = 0; ic < 2; ic++)
				for (ib = 0; ib < 2; ib++)
					for (v = 0; v < V_MAX; v++)
						for (k = 0; spsc_subjects[k]; k++) {
							const struct subject *s = spsc_subjects[k];
							char cfg[96];
							struct figure *f;
							double ns;

							if (!runs_in(s, v) ||
							    (s == &subj_byteor_ring56 && pay[ip] != 64))
								continue;
							set_run(v, pay[ip], cap[ic], bat[ib]);
							if (subject_failed(fail_key(s)))
								continue;
							R->n = quick ? 200000 : bat[ib] == 1 ? 3000000 : 5000000;
							if (one_run("spsc", s, 1, 2, side_tput, cpus01))
								continue;
							ns = tsc_ns(R->t_end[1] - R->t_start[0]);
							cfg_name(cfg, sizeof(cfg), pay[ip], cap[ic], bat[ib], v);
							f = fig_get("spsc", s->name, cfg, "Mmsg/s", 0);
							fig_add(f, (double)R->n / ns * 1e3);
							f->preempted += run_preempted() > 0;
							if (bat[ib] > 1 && !(s->caps & CAP_BATCH))
								fig_note(f, "no batch API: loop of single ops");
						}
	}
}

/* ---- SPSC round trip ----------------------------------------------------- */

static void bench_spsc_rtt(void)
{
	static const unsigned int pay[2] = { 8, 64 };
	int r, ip, v, k;

	section_note("rtt", "round trip: ping (CPU 0) sends on lane A, pong (CPU 1) echoes on lane B; capacity 4096; p50 per repetition, distribution over all repetitions; floor-2lines = one cache line per direction, floor-1line = one shared line, run in the same repetitions");
	for (r = 0; r < reps; r++) {
		for (ip = 0; ip < 2; ip++) {
			for (v = 0; v < V_MAX; v++) {
				char cfg[96];

				snprintf(cfg, sizeof(cfg), "%uB, %s", pay[ip], vname[v]);
				if (v == V_T4K) {
					int kind;

					for (kind = 1; kind >= 0; kind--) {
						struct figure *f;

						R->n = quick ? 20000 : 200000;
						R->warm = R->n / 10;
						if (floor_once(kind))
							continue;
						f = fig_get("rtt", kind ? "floor-2lines" : "floor-1line",
							    cfg, "ns p50", 1);
						fig_add(f, tsc_ns(hist_pct(&R->h, 50)));
						fig_hist(f, &R->h);
					}
				}
				for (k = 0; spsc_subjects[k]; k++) {
					const struct subject *s = spsc_subjects[k];
					struct figure *f;

					if (!runs_in(s, v) ||
					    (s == &subj_byteor_ring56 && pay[ip] != 64))
						continue;
					set_run(v, pay[ip], 4096, 1);
					if (subject_failed(fail_key(s)))
						continue;
					R->n = quick ? 20000 : 200000;
					R->warm = R->n / 10;
					hist_reset(&R->h);
					if (one_run("rtt", s, 2, 2, side_rtt, cpus01))
						continue;
					f = fig_get("rtt", s->name, cfg, "ns p50", 1);
					fig_add(f, tsc_ns(hist_pct(&R->h, 50)));
					f->preempted += run_preempted() > 0;
					fig_hist(f, &R->h);
				}
			}
		}
	}
}

void bench_spsc(void)
{
	bench_spsc_tput();
	bench_spsc_rtt();
}

/* ---- MPSC ----------------------------------------------------------------- */

void bench_mpsc(void)
{
	static const struct subject *const subj[] = { &subj_byteor_mpsc, &subj_rte_mpsc,
						      &subj_rte_mpsc_rts, NULL };
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	static const int cpus[4] = { 1, 0, 0, 0 };
	static const unsigned int bat[2] = { 1, 32 };
	int r, np, ib, k;

	section_note("mpsc", "consumer on CPU 1, every producer on CPU 0: with 2 and 3 producers the producers share CPU 0 (OVERSUBSCRIBED: they run in turns of scheduler slices, so these figures measure the lane under preemption, not parallel producers); 8 B payload, capacity 4096, threads, 4 KiB pages");
	section_note("mpsc", "each run is bounded: the consumer stops at %s messages or after %d s, whichever comes first; rate = messages received / consumer's time (a lane whose producers stall each other under preemption shows a low rate instead of no figure)",
		     quick ? "200000" : "3000000", quick ? 2 : 5);
	for (r = 0; r < reps; r++)
		for (np = 1; np <= 3; np++)
			for (ib = 0; ib < 2; ib++)
				for (k = 0; subj[k]; k++) {
					const struct subject *s = subj[k];
					uint64_t t0 = UINT64_MAX;
					char cfg[96];
					struct figure *f;
					int i;

					char key[160];
					struct pairctx pc = { s, NULL };
					int ret;

					snprintf(cfg, sizeof(cfg), "%d producer%s, %s", np, np > 1 ? "s" : "",
						 bat[ib] == 1 ? "single-op" : "batch 32");
					snprintf(key, sizeof(key), "%s %s", s->name, cfg);
					if (subject_failed(key))
						continue;
					set_run(V_T4K, 8, 4096, bat[ib]);
					R->producers = (unsigned int)np;
					R->n = quick ? 200000 : 3000000;
					R->budget_ns = (quick ? 2 : 5) * 1000000000ULL;
					R->stop = 0;
					R->got = 0;
					/* a preempted producer can stall the others: bound the run */
					ret = s->setup(&pc.ctx, 1);
					if (!ret)
						ret = run_sides(side_mpsc, &pc, 1 + np, cpus, quick ? 10 : 20);
					if (pc.ctx)
						s->teardown(pc.ctx);
					if (ret) {
						subject_fail("mpsc", key, R->errmsg[0] ? R->errmsg : "setup failed");
						f = fig_get("mpsc", s->name, cfg, "Mmsg/s", 0);
						fig_note(f, "DID NOT FINISH in repetition %d (%s): not run again; figures above are the repetitions that finished", r + 1, R->errmsg);
						continue;
					}
					for (i = 1; i <= np; i++)
						if (R->t_start[i] < t0)
							t0 = R->t_start[i];
					f = fig_get("mpsc", s->name, cfg, "Mmsg/s", 0);
					fig_add(f, (double)R->got / tsc_ns(R->t_end[0] - t0) * 1e3);
					f->preempted += run_preempted() > 0;
					if (np + 1 > ncpu)
						fig_note(f, "oversubscribed: %d busy threads on %ld CPUs (%d producers share CPU 0)%s",
							 np + 1, ncpu, np,
							 R->got < R->n / (unsigned int)np * (unsigned int)np ?
							 "; a run hit the time bound" : "");
				}
}

/*
 * The targets are measured by the paired section (paired.c): ratios taken
 * inside repetitions of one host state, never of medians pooled over both.
 */

/* ---- main ---------------------------------------------------------------- */

static int want(const char *list, const char *s)
{
	const char *p = list;
	size_t n = strlen(s);

	if (!list)
		return 1;
	while ((p = strstr(p, s))) {
		if ((p == list || p[-1] == ',') && (p[n] == ',' || !p[n]))
			return 1;
		p += n;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const char *const spsc_peers[] = { "minimal", "rigtorp", "rte-ring", "rte-ring-eal",
						  "ck-ring", "boost-spsc", "rwq", NULL };
	static const char *const mpsc_peers[] = { "rte-ring-mpsc", "rte-ring-mpsc-rts", NULL };
	const char *out = "build/bench", *sections = NULL;
	char path[600];
	void *probe;
	int opt;

	while ((opt = getopt(argc, argv, "qo:s:")) != -1) {
		if (opt == 'q')
			quick = 1;
		else if (opt == 'o')
			out = optarg;
		else if (opt == 's')
			sections = optarg;
		else {
			fprintf(stderr, "usage: %s [-q] [-o outdir] [-s sections]\n", argv[0]);
			return 2;
		}
	}
	if (getenv("BENCH_QUICK") && *getenv("BENCH_QUICK") && strcmp(getenv("BENCH_QUICK"), "0"))
		quick = 1;
	reps = quick ? 1 : 5;
	setvbuf(stdout, NULL, _IOLBF, 0);
	mkdir(out, 0755);
	if (getenv("BENCH_DIR_4K") && *getenv("BENCH_DIR_4K"))
		byteor_dir_4k = getenv("BENCH_DIR_4K");
	if (getenv("BENCH_DIR_2M") && *getenv("BENCH_DIR_2M"))
		byteor_dir_2m = getenv("BENCH_DIR_2M");
	if (getenv("BENCH_NOTES"))
		snprintf(machine_notes, sizeof(machine_notes), "%s", getenv("BENCH_NOTES"));

	R = mmap(NULL, sizeof(*R), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (R == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		fprintf(stderr, "bench: needs 2 CPUs\n");
		return 1;
	}
	probe = shm_alloc(2u << 20, 1);
	hugepages_ok = probe && byteor_dir_2m;
	shm_free(probe, 2u << 20);
	pin_self(0);
	tsc_calibrate();
	printf("byteor bench%s: TSC %.4f GHz (calibrated against CLOCK_MONOTONIC), %d repetitions, 2 MiB pages %s\n",
	       quick ? " (QUICK MODE: 1 repetition, small counts; not for publishing)" : "",
	       tsc_ghz, reps, hugepages_ok ? "available" : "NOT available (2M variants skipped)");
	if (!hugepages_ok)
		section_note("spsc", "2 MiB hugetlb pages unavailable: the 2M variants were not run");

	/* first: the SPSC tables print each subject's count beside its time */
	if (want(sections, "ipm"))
		bench_ipm();
	if (want(sections, "floors")) {
		bench_floors();
		print_section("floors", "Floors of the machine (CPU 0 <-> CPU 1)", NULL, NULL);
	}
	if (want(sections, "spsc")) {
		bench_spsc_tput();
		print_section("spsc", "SPSC throughput", "minimal", spsc_peers);
	}
	if (want(sections, "rtt")) {
		bench_spsc_rtt();
		print_section("rtt", "SPSC round trip (two lanes)", "floor-2lines", spsc_peers);
	}
	if (want(sections, "mpsc")) {
		bench_mpsc();
		print_section("mpsc", "MPSC throughput", NULL, mpsc_peers);
	}
	if (want(sections, "seq"))
		bench_seq(out);
	if (want(sections, "fanout"))
		bench_fanout();
	if (want(sections, "journal"))
		bench_journal();
	if (want(sections, "wake"))
		bench_wake();
	if (want(sections, "kernel"))
		bench_kernel();
	if (want(sections, "paired"))
		bench_paired();
	else if (want(sections, "ipm"))
		paired_ipm_targets();

	print_targets();
	snprintf(path, sizeof(path), "%s/results.json", out);
	write_json(path);
	write_plots(out);
	printf("\nwrote %s and %s/plots.gp\n", path, out);
	return 0;
}
