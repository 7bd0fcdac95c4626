/* SPDX-License-Identifier: MIT */
/*
 * bench.h - what the benchmark driver and its subjects share: fenced TSC
 * timestamps, the shared run area (start barrier, results, histogram), the
 * subject interface, pinned thread / process pairs and the result store.
 *
 * A subject is one lane implementation.  The driver creates its lanes in
 * the parent (setup), then runs two sides - pinned to CPU 0 and CPU 1, as
 * threads or as forked processes over MAP_SHARED memory - which attach (if
 * the lane needs it), meet at the start barrier, and run the measured loop.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stddef.h>
#include <stdint.h>
#include "hist.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- time -------------------------------------------------------------- */

/*
 * A TSC read that neither starts before earlier instructions finish nor
 * lets later ones start before it (this CPU model has no rdtscp; lfence is
 * dispatch-serialising on AMD under Linux and on Intel).
 */
static inline uint64_t tsc_now(void)
{
	uint32_t lo, hi;

	__asm__ __volatile__("lfence\n\trdtsc\n\tlfence"
			     : "=a"(lo), "=d"(hi) :: "memory");
	return ((uint64_t)hi << 32) | lo;
}

extern double tsc_ghz;		/* ticks per ns, calibrated at start */
void tsc_calibrate(void);
static inline double tsc_ns(uint64_t t) { return (double)t / tsc_ghz; }
uint64_t mono_ns(void);

static inline void cpu_relax(void)
{
	__asm__ __volatile__("pause" ::: "memory");
}

/*
 * The message every producer writes: seq first, then constant filler up to
 * the payload size (8, 56 or 64 bytes; a constant where it inlines).
 */
static inline __attribute__((always_inline)) void msg_fill(void *dst, unsigned p, uint64_t seq)
{
	uint64_t m[8] = { seq, 1, 2, 3, 4, 5, 6, 7 };

	__builtin_memcpy(dst, m, p == 8 ? 8 : p == 56 ? 56 : 64);
}

/* ---- the shared run area ----------------------------------------------- */

#define SIDES_MAX	4

/*
 * struct run - one measured run's shared state, MAP_SHARED so forked sides
 * write into it too.  Written by: the sides (ready, t_*, err, hist), the
 * driver (everything else, before the sides start).
 */
struct run {
	int ready;			/* sides at the start barrier (__atomic) */
	int go;
	int nsides;
	int err;			/* first side error (negative errno) */
	char errmsg[160];
	uint64_t n;			/* messages (throughput) or round trips */
	uint64_t warm;			/* unrecorded round trips first */
	unsigned int payload;
	unsigned int capacity;
	unsigned int batch;		/* 1: single-op; > 1: burst size */
	unsigned int producers;		/* MPSC */
	int proc;			/* sides are processes */
	int huge;			/* 2 MiB pages */
	long long park_ns;		/* wake tests: how long the waiter parks */
	/*
	 * MPSC runs are bounded in time: the consumer stops at R->n messages
	 * or after budget_ns, whichever comes first, raises stop (producers
	 * check it between enqueues) and leaves what it received in got.
	 */
	uint64_t budget_ns;
	int stop;
	uint64_t got;
	uint64_t t_start[SIDES_MAX];	/* TSC at each side's first op */
	uint64_t t_end[SIDES_MAX];	/* TSC after each side's last op */
	uint64_t aux[SIDES_MAX][8];	/* per-side counters (parks, syscalls, ...) */
	/* involuntary context switches of each side while it ran (run.c) */
	uint64_t preempt[SIDES_MAX];
	char dir[256];			/* byteor userspace backing directory */
	char name[2][64];		/* byteor region names */
	struct hist h;			/* round trip / wake / lag distribution */
};

extern struct run *R;		/* the one run area */

/* Both sides call this after attaching: returns when every side is ready. */
void run_ready(void);
/* Record a side's failure (first one wins) and return @err. */
int run_fail(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- memory ------------------------------------------------------------ */

/* MAP_SHARED memory (memfd; MFD_HUGETLB if @huge), prefaulted and zeroed. */
void *shm_alloc(size_t size, int huge);
void shm_free(void *p, size_t size);

/* ---- subjects ---------------------------------------------------------- */

enum { ROLE_TX = 0, ROLE_RX = 1 };

#define CAP_PROC	(1U << 0)	/* can run its sides as processes */
#define CAP_HUGE	(1U << 1)	/* can run on 2 MiB pages */
#define CAP_BATCH	(1U << 2)	/* has a native batch / burst API */
#define CAP_MPSC	(1U << 3)	/* has an MPSC mode */
#define CAP_ZEROCOPY	(1U << 4)	/* consumer reads in place */

struct subject {
	const char *name;		/* short id, JSON key */
	const char *desc;		/* one line: what it is, how it was used */
	unsigned int caps;
	/*
	 * Parent, before the sides start: make @nlanes lanes (1 for
	 * throughput, 2 for a round trip) of R->payload, R->capacity.
	 * Returns 0, or -errno / a negative value with R->errmsg set.
	 */
	int (*setup)(void **ctx, int nlanes);
	void (*teardown)(void *ctx);
	/* A throughput side: ROLE_TX sends R->n messages, ROLE_RX receives them. */
	int (*tput)(void *ctx, int role, int side);
	/* A round-trip side: ROLE_TX pings (records R->h), ROLE_RX pongs. */
	int (*rtt)(void *ctx, int role);
	/* MPSC throughput (CAP_MPSC): side 0 consumes, sides 1.. produce. */
	int (*mpsc)(void *ctx, int side);
	/*
	 * Instructions per message (bench/ipm.c): one thread attaches both
	 * ends of lane 0 and runs loop_ipm() (loops.h).  NULL: not counted.
	 */
	int (*ipm)(void *ctx);
};

extern const struct subject subj_minimal, subj_rigtorp, subj_byteor_ring,
	subj_byteor_fixed,
	subj_byteor_events, subj_rte_noeal, subj_rte_eal, subj_ck, subj_boost,
	subj_rwq, subj_byteor_mpsc, subj_rte_mpsc, subj_byteor_ring56,
	subj_rte_mpsc_rts;

/* ---- running ----------------------------------------------------------- */

typedef int (*side_fn)(void *ctx, int side);

/*
 * Run @nsides sides, side i on CPU cpus[i], as threads or processes
 * (R->proc), and wait at most @timeout_s.  Returns 0 or the first side's
 * error (R->err, R->errmsg).
 */
int run_sides(side_fn fn, void *ctx, int nsides, const int *cpus, int timeout_s);
void pin_self(int cpu);
/* Involuntary context switches of all sides during the last run_sides(). */
uint64_t run_preempted(void);

/* Quick mode: one repetition, small counts. */
extern int quick;

/* ---- results ----------------------------------------------------------- */

/* One figure: a value per repetition (median + range reported). */
#define REPS_MAX	16

struct figure {
	char section[32];
	char key[160];		/* unique: "spsc.tput.byteor-ring.t.4k.p8.c4096.b1" */
	char subject[40];
	char config[96];	/* human: "threads 4K 8B cap4096 single" */
	char unit[16];		/* "Mmsg/s", "ns" */
	int better_low;		/* lower is better (latency) */
	int nreps;
	double rep[REPS_MAX];
	char note[160];		/* e.g. "oversubscribed: 3 threads on 2 CPUs" */
	int preempted;		/* repetitions in which a measured side was preempted */
	struct hist *h;		/* merged distribution (latency figures) or NULL */
};

struct figure *fig_get(const char *section, const char *subject,
		       const char *config, const char *unit, int better_low);
void fig_add(struct figure *f, double v);
void fig_note(struct figure *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
double fig_median(const struct figure *f);
double fig_min(const struct figure *f);
double fig_max(const struct figure *f);
struct figure *fig_find(const char *section, const char *subject, const char *config);
void fig_hist(struct figure *f, const struct hist *h);
int fig_count(void);
struct figure *fig_at(int i);

/* Notes printed with a section and stored in the JSON. */
void section_note(const char *section, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Targets: name, measured ratio, bound, "ge"/"le". */
void target(const char *name, double value, double bound, int ge, const char *how);

void print_notes(const char *section);
void print_section(const char *section, const char *title, const char *ref_subject,
		   const char *const *peers);
void write_json(const char *path);
void write_plots(const char *dir);
void print_targets(void);

/* Sections. */
void bench_floors(void);
int floor_once(int kind);	/* 0: 1 line, 1: 2 lines, 2: one way */
void bench_spsc(void);
void bench_mpsc(void);
void bench_seq(const char *outdir);
void bench_fanout(void);
void bench_journal(void);
void bench_wake(void);
void bench_kernel(void);
void bench_paired(void);
void paired_ipm_targets(void);
void bench_ipm(void);
/* "8B single-op" / "64B batch 32", the ipm section's configurations */
void ipm_cfg(char *buf, size_t n, unsigned int payload, unsigned int batch);
/* A subject's instructions per message from the ipm section, or NAN. */
double ipm_of(const char *subject, unsigned int payload, unsigned int batch);

/*
 * One measured run each, for the paired section (bench/paired.c): the rate
 * (Mmsg/s, Mops/s, Mrec/s), or NAN with R->errmsg set.  spsc_rtt_once
 * returns the p50 in ns and leaves the distribution in R->h.
 */
double spsc_tput_once(const struct subject *s, unsigned int payload, unsigned int capacity,
		      unsigned int batch, uint64_t n);
double spsc_rtt_once(const struct subject *s, unsigned int payload, uint64_t n);
double seq_unicast_once(unsigned int batch, uint64_t n, int blocking);
double fanout_once(int subs, unsigned int batch, uint64_t n, int blocking);
double journal_once(int subs, uint64_t n);

/* Per-run helpers for byteor subjects (unique names, directory). */
void byteor_names(void);
extern const char *byteor_dir_4k, *byteor_dir_2m;
extern int hugepages_ok;

#ifdef __cplusplus
}
#endif

#endif /* BENCH_H */
