// SPDX-License-Identifier: MIT
/*
 * byteor-demo - byteor lanes between real processes, measured.
 *
 *	byteor-demo [--seconds S] [--dir DIR] [--backing user|kernel]
 *		    [--wait auto|spin|yield|park] [--slot-size N] [--quick]
 *
 * Runs on the default backing (no module and no root needed: the userspace
 * backing in BYTEOR_DIR, a hugetlbfs mount or /dev/shm):
 *  1. a single ring, one producer process -> one consumer process:
 *     messages/s copying one message per call, and in batches
 *     (claim/publish, peek/release);
 *  2. an events chain MPSC queue, three producer processes -> one consumer:
 *     messages/s the same two ways (the consumer checks that no message is
 *     lost or duplicated and each producer's order holds);
 *  3. round-trip latency (ping-pong between two processes over two lanes:
 *     two single rings; an MPSC queue out and an SPSC queue back),
 *     p50 / p99 / p99.9 from a log-linear histogram, timed with the TSC
 *     (rdtscp, calibrated against CLOCK_MONOTONIC) where it is invariant,
 *     else clock_gettime();
 *  4. sequenced slots, a pipeline of processes: a producer -> stage 0 ->
 *     stage 1 -> subscriber stage 2, entries/s; every stage checks that the
 *     stages before it saw the entry, in order, and the subscriber checks
 *     every entry (counted violations, "verified" when there are none);
 *  5. a journal: a publisher process appending variable-length records
 *     (records/s) while a live subscriber process follows from the tail
 *     (its lag sampled, laps counted): once flat out (the publisher never
 *     waits, so a subscriber that checks every byte is lapped, and says
 *     so), once paced in bursts at JR_PACED_RATE; then a replaying
 *     subscriber process attached at a position the live one stored (a
 *     checkpoint), reading to the tail.  Every record is checked byte for
 *     byte.
 * Processes are pinned to different CPUs when there are two or more; the
 * pipeline and the journal wait the library's default way (AUTO: spin,
 * yield, then park) unless --wait says otherwise, so an idle stage sleeps.
 * Every wait has a timeout.  The regions are destroyed on exit, also on
 * Ctrl-C or SIGTERM.
 *
 * Exit status: 0, 1 a lane failed or lost / duplicated a message, 2 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <byteor/single_ring.h>
#include <byteor/events.h>
#include <byteor/journal.h>
#include <byteor/sequenced_slots.h>
#include <byteor/region.h>
#include <byteor/wait.h>

#define MPSC_PRODUCERS	3
#define BATCH		64
#define CAPACITY	4096
#define MAX_CHILDREN	8
#define STOP_SEQ	UINT64_MAX
#define HIST_SUB	16	/* linear sub-buckets per power of two */
#define HIST_BUCKETS	(64 * HIST_SUB)
#define SEQ_STAGES	3	/* stage 0 -> stage 1 -> subscriber stage 2 */
#define JR_AREA		(16U << 20)	/* journal record area, bytes */
#define JR_MAX_LEN	512U	/* record payload: 16 .. JR_MAX_LEN bytes */
#define JR_PATTERN	(1024 + JR_MAX_LEN)
#define JR_DATA		1	/* record types */
#define JR_END		2
#define JR_CKPT_EVERY	4096	/* records between a subscriber's checkpoints */
#define JR_CKPTS	256
#define JR_PACED_RATE	1000000	/* records/s of the paced publisher ... */
#define JR_BURSTS	1000	/* ... in this many bursts a second */
#define CHILD_START_NS	10000000000LL	/* children attach within this */
#define CHILD_EXIT_NS	20000000000LL	/* ... and exit within this of stop */

/* What every message carries: who sent it and its sequence number. */
struct msg {
	uint64_t seq;
	uint32_t producer;
	uint32_t pad;
	uint64_t t;		/* ping-pong: send timestamp (ticks) */
};

/* Results a child hands back, in a MAP_SHARED anonymous page. */
struct shared {
	_Atomic int stop;	/* set by the parent: producers finish */
	_Atomic int ready;	/* children attached and waiting */
	_Atomic int go;		/* start together */
	int failed;
	char why[256];
	uint64_t count;		/* messages received (throughput) */
	uint64_t lost_dup;	/* sequence violations seen */
	uint64_t skipped;
	int64_t first_ns, last_ns;
	uint64_t rtts;		/* round trips measured */
	uint64_t hist[HIST_BUCKETS];
	/* sequenced slots: violations each stage saw, parks */
	uint64_t viol[SEQ_STAGES];
	uint64_t producer_parks, stage_parks[SEQ_STAGES];
	/* journal: the publisher */
	uint64_t pub_records;
	int64_t pub_first_ns, pub_last_ns;
	/* journal: a subscriber (the live one, then the replayer) */
	uint64_t laps, lost_records, lost_bytes, bad;
	uint64_t lag_max_rec, lag_max_bytes, lag_sum_rec, lag_samples;
	uint64_t oldest, tail, end_pos;
	/* the live subscriber's checkpoints: (record index, position) */
	uint64_t ckpts;
	uint64_t ckpt_idx[JR_CKPTS], ckpt_pos[JR_CKPTS];
	uint64_t replay_idx, replay_pos;	/* where the replayer starts */
};

static struct {
	const char *dir;
	enum byteor_backing backing;
	int wait;		/* -1: per test (spin if CPUs allow, else auto) */
	double seconds;
	unsigned int slot_size;
	int ncpu;
	char ring[BYTEOR_NAME_MAX], pong[BYTEOR_NAME_MAX], ev[BYTEOR_NAME_MAX];
	char seq[BYTEOR_NAME_MAX], jr[BYTEOR_NAME_MAX];
	bool made_ring, made_pong, made_ev, made_seq, made_jr;
	pid_t children[MAX_CHILDREN];
	int nchildren;
	struct shared *sh;
	double tsc_ghz;		/* 0: clock_gettime */
} demo = {
	.backing = BYTEOR_BACKING_AUTO,
	.wait = -1,
	.seconds = 2.0,
	.slot_size = 56,	/* + the 8-byte slot header: one cache line */
};

/* ------------------------------------------------------------------------
 * Time: the TSC where it is invariant (constant_tsc + nonstop_tsc), else
 * CLOCK_MONOTONIC.
 */

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

#if defined(__x86_64__) || defined(__i386__)
static inline uint64_t ticks(void)
{
	uint32_t lo, hi, aux;

	/* rdtscp waits for earlier instructions; lfence keeps later ones after. */
	__asm__ __volatile__("rdtscp\n\tlfence" : "=a"(lo), "=d"(hi), "=c"(aux)
			     :: "memory");
	return ((uint64_t)hi << 32) | lo;
}

static bool tsc_invariant(void)
{
	char line[4096];
	bool c = false, n = false;
	FILE *f = fopen("/proc/cpuinfo", "r");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "flags", 5))
			continue;
		c = strstr(line, " constant_tsc") != NULL;
		n = strstr(line, " nonstop_tsc") != NULL;
		break;
	}
	fclose(f);
	return c && n;
}

static void calibrate(void)
{
	int64_t n0, n1;
	uint64_t t0, t1;

	if (!tsc_invariant())
		return;
	n0 = mono_ns();
	t0 = ticks();
	while (mono_ns() - n0 < 100000000)
		;
	t1 = ticks();
	n1 = mono_ns();
	demo.tsc_ghz = (double)(t1 - t0) / (double)(n1 - n0);
	if (demo.tsc_ghz < 0.1 || demo.tsc_ghz > 20)
		demo.tsc_ghz = 0;
}
#else
static inline uint64_t ticks(void)
{
	return (uint64_t)mono_ns();
}

static void calibrate(void)
{
}
#endif

static inline uint64_t now_ticks(void)
{
	return demo.tsc_ghz ? ticks() : (uint64_t)mono_ns();
}

static inline uint64_t ticks_to_ns(uint64_t t)
{
	return demo.tsc_ghz ? (uint64_t)((double)t / demo.tsc_ghz) : t;
}

/* ------------------------------------------------------------------------
 * Log-linear histogram: values below 2*HIST_SUB exactly, above that 16
 * linear steps per power of two (<= 6.25 % relative error).
 */

static unsigned int hist_index(uint64_t v)
{
	unsigned int msb, shift;

	if (v < 2 * HIST_SUB)
		return (unsigned int)v;
	msb = 63 - (unsigned int)__builtin_clzll(v);
	shift = msb - 4;	/* keep the top 5 bits: 16..31 */
	return (shift + 1) * HIST_SUB + (unsigned int)((v >> shift) - HIST_SUB);
}

static uint64_t hist_value(unsigned int i)
{
	unsigned int shift;

	if (i < 2 * HIST_SUB)
		return i;
	shift = i / HIST_SUB - 1;
	/* The bucket's midpoint. */
	return ((uint64_t)(HIST_SUB + i % HIST_SUB) << shift) +
	       ((1ULL << shift) >> 1);
}

static uint64_t hist_pct(const uint64_t *h, uint64_t n, double pct)
{
	uint64_t want = (uint64_t)((double)n * pct / 100.0), seen = 0;
	unsigned int i;

	if (want >= n)
		want = n - 1;
	for (i = 0; i < HIST_BUCKETS; i++) {
		seen += h[i];
		if (seen > want)
			return hist_value(i);
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * Processes, cleanup.
 */

static void destroy_regions(void)
{
	if (demo.made_ring)
		byteor_region_destroy(demo.ring, demo.backing, demo.dir);
	if (demo.made_pong)
		byteor_region_destroy(demo.pong, demo.backing, demo.dir);
	if (demo.made_ev)
		byteor_region_destroy(demo.ev, demo.backing, demo.dir);
	if (demo.made_seq)
		byteor_region_destroy(demo.seq, demo.backing, demo.dir);
	if (demo.made_jr)
		byteor_region_destroy(demo.jr, demo.backing, demo.dir);
	demo.made_ring = demo.made_pong = demo.made_ev = false;
	demo.made_seq = demo.made_jr = false;
}

static void kill_children(void)
{
	int i;

	for (i = 0; i < demo.nchildren; i++)
		if (demo.children[i] > 0)
			kill(demo.children[i], SIGKILL);
	for (i = 0; i < demo.nchildren; i++)
		if (demo.children[i] > 0)
			waitpid(demo.children[i], NULL, 0);
	demo.nchildren = 0;
}

static pid_t parent_pid;

static void on_signal(int sig)
{
	/* Children die with us (PDEATHSIG); the parent cleans up and goes. */
	if (getpid() != parent_pid)
		_exit(128 + sig);
	kill_children();
	destroy_regions();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void pin(int cpu)
{
	cpu_set_t allowed, one;
	int i, k = 0;

	if (demo.ncpu < 2 || sched_getaffinity(0, sizeof(allowed), &allowed))
		return;
	cpu %= demo.ncpu;
	for (i = 0; i < CPU_SETSIZE; i++) {
		if (!CPU_ISSET(i, &allowed))
			continue;
		if (k++ == cpu) {
			CPU_ZERO(&one);
			CPU_SET(i, &one);
			sched_setaffinity(0, sizeof(one), &one);
			return;
		}
	}
}

/* A child failed: record "what: op: error" (the first one wins), stop. */
static void fail(const char *what, const char *op, int err)
{
	struct shared *sh = demo.sh;

	if (!sh->failed) {
		sh->failed = 1;
		snprintf(sh->why, sizeof(sh->why), "%s: %s: %s", what, op,
			 byteor_strerror(err));
	}
	atomic_store(&sh->stop, 1);
	_exit(1);
}

static pid_t spawn(void (*fn)(int arg), int arg)
{
	pid_t pid = fork();

	if (pid < 0) {
		perror("byteor-demo: fork");
		return -1;
	}
	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent_pid)
			_exit(1);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		fn(arg);
		_exit(0);
	}
	demo.children[demo.nchildren++] = pid;
	return pid;
}

/* The parent found a problem: record it (the first one wins) and stop. */
static void parent_fail(const char *why)
{
	struct shared *sh = demo.sh;

	if (!sh->failed) {
		sh->failed = 1;
		snprintf(sh->why, sizeof(sh->why), "%s", why);
	}
	atomic_store(&sh->stop, 1);
}

/*
 * Wait for all children, at most CHILD_EXIT_NS: a child that hangs (its
 * lane calls time out well before that) is killed and fails the test
 * rather than the demo.  False if any failed.
 */
static bool reap(void)
{
	int64_t deadline = mono_ns() + CHILD_EXIT_NS;
	bool ok = true;
	int i, st, left;
	pid_t pid;

	do {
		left = 0;
		for (i = 0; i < demo.nchildren; i++) {
			if (demo.children[i] <= 0)
				continue;
			pid = waitpid(demo.children[i], &st, WNOHANG);
			if (!pid) {
				left++;
				continue;
			}
			if (pid < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
				ok = false;
				if (pid > 0 && WIFSIGNALED(st))
					parent_fail("a child process was killed by a signal");
			}
			demo.children[i] = 0;
		}
		if (left)
			usleep(2000);
	} while (left && mono_ns() < deadline);
	if (left) {
		parent_fail("a child process did not finish in time (killed)");
		ok = false;
		kill_children();
	}
	demo.nchildren = 0;
	return ok && !demo.sh->failed;
}

static void reset_shared(void)
{
	memset(demo.sh, 0, sizeof(*demo.sh));
}

static struct byteor_attach_options opts(const char *name, unsigned int queue,
					 int wait)
{
	struct byteor_attach_options o = {
		.name = name, .queue = queue, .backing = demo.backing,
		.dir = demo.dir, .wait_strategy = wait,
		.timeout_ns = 10000000000LL,	/* a stuck peer fails the run */
	};

	return o;
}

/* Everyone attached, then start together (or give up after CHILD_START_NS). */
static void rendezvous(int nproc)
{
	int64_t deadline = mono_ns() + CHILD_START_NS;

	atomic_fetch_add(&demo.sh->ready, 1);
	while ((atomic_load(&demo.sh->ready) < nproc || !atomic_load(&demo.sh->go)) &&
	       !atomic_load(&demo.sh->stop)) {
		if (mono_ns() > deadline)
			fail("start", "waiting for the other processes", -ETIMEDOUT);
		sched_yield();
	}
}

/* The parent: start the children, let them run, tell producers to stop. */
static void run_for(int nproc, double seconds)
{
	int64_t end = mono_ns() + CHILD_START_NS;

	while (atomic_load(&demo.sh->ready) < nproc && !demo.sh->failed) {
		if (mono_ns() > end) {
			parent_fail("the processes did not attach in time");
			return;
		}
		usleep(1000);
	}
	atomic_store(&demo.sh->go, 1);
	end = mono_ns() + (int64_t)(seconds * 1e9);
	while (mono_ns() < end && !demo.sh->failed)
		usleep(10000);
	atomic_store(&demo.sh->stop, 1);
}

/* ------------------------------------------------------------------------
 * Throughput: single ring.
 */

static int g_wait, g_batch;

static void ring_producer(int unused)
{
	struct byteor_attach_options o = opts(demo.ring, 0, g_wait);
	struct byteor_single_ring *tx;
	struct byteor_slot s[BATCH];
	unsigned char buf[4096] = { 0 };
	struct msg m = { 0 };
	uint64_t seq = 0;
	int ret, n, i;

	(void)unused;
	pin(0);
	ret = byteor_attach_single_ring(&o, BYTEOR_ROLE_PRODUCER, &tx);
	if (ret)
		fail(demo.ring, "attach producer", ret);
	rendezvous(2);
	while (!atomic_load_explicit(&demo.sh->stop, memory_order_relaxed)) {
		if (!g_batch) {
			m.seq = seq;
			memcpy(buf, &m, sizeof(m));
			ret = byteor_single_ring_send(tx, buf, demo.slot_size);
			if (ret)
				fail(demo.ring, "send", ret);
			seq++;
			continue;
		}
		n = byteor_single_ring_claim(tx, s, BATCH);
		if (n < 0)
			fail(demo.ring, "claim", n);
		for (i = 0; i < n; i++) {
			m.seq = seq++;
			memcpy(s[i].data, &m, sizeof(m));
		}
		byteor_single_ring_publish(tx, NULL, n);
	}
	m.seq = STOP_SEQ;
	ret = byteor_single_ring_send(tx, &m, sizeof(m));
	if (ret)
		fail(demo.ring, "send", ret);
	byteor_single_ring_detach(tx);
}

static void ring_consumer(int unused)
{
	struct byteor_attach_options o = opts(demo.ring, 0, g_wait);
	struct shared *sh = demo.sh;
	struct byteor_single_ring *rx;
	struct byteor_slot s[BATCH];
	unsigned char buf[BYTEOR_SLOT_SIZE_MAX];
	uint64_t next = 0, bad = 0;
	struct msg m;
	int ret, n, i;

	(void)unused;
	pin(1);
	ret = byteor_attach_single_ring(&o, BYTEOR_ROLE_CONSUMER, &rx);
	if (ret)
		fail(demo.ring, "attach consumer", ret);
	rendezvous(2);
	for (;;) {
		if (!g_batch) {
			n = byteor_single_ring_recv(rx, buf, sizeof(buf));
			if (n < 0)
				fail(demo.ring, "recv", n);
			memcpy(&m, buf, sizeof(m));
			if (m.seq == STOP_SEQ)
				break;
			if (!next)
				sh->first_ns = mono_ns();
			bad += m.seq != next;
			next = m.seq + 1;
			continue;
		}
		n = byteor_single_ring_peek(rx, s, BATCH);
		if (n < 0)
			fail(demo.ring, "peek", n);
		if (!next)
			sh->first_ns = mono_ns();
		for (i = 0; i < n; i++) {
			memcpy(&m, s[i].data, sizeof(m));
			if (m.seq == STOP_SEQ)
				break;
			bad += m.seq != next;
			next = m.seq + 1;
		}
		if (i < n) {
			/* Consume the stop message too: the ring is reused. */
			byteor_single_ring_release(rx, i + 1);
			break;
		}
		byteor_single_ring_release(rx, n);
	}
	sh->last_ns = mono_ns();
	sh->count = next;
	sh->lost_dup = bad;
	byteor_single_ring_detach(rx);
}

/* ------------------------------------------------------------------------
 * Throughput: events MPSC queue 0, MPSC_PRODUCERS producers.
 */

static void ev_producer(int id)
{
	struct byteor_attach_options o = opts(demo.ev, 0, g_wait);
	struct byteor_events *tx;
	struct byteor_slot s[BATCH];
	unsigned char buf[4096] = { 0 };
	struct msg m = { .producer = (uint32_t)id };
	uint64_t seq = 0;
	int ret, n, i;

	pin(1 + id);
	ret = byteor_attach_events_mpsc_tx(&o, &tx);
	if (ret)
		fail(demo.ev, "attach MPSC producer", ret);
	rendezvous(1 + MPSC_PRODUCERS);
	while (!atomic_load_explicit(&demo.sh->stop, memory_order_relaxed)) {
		if (!g_batch) {
			m.seq = seq;
			memcpy(buf, &m, sizeof(m));
			ret = byteor_events_send(tx, buf, demo.slot_size);
			if (ret)
				fail(demo.ev, "send", ret);
			seq++;
			continue;
		}
		n = byteor_events_claim(tx, s, BATCH / 4);
		if (n < 0)
			fail(demo.ev, "claim", n);
		for (i = 0; i < n; i++) {
			m.seq = seq++;
			memcpy(s[i].data, &m, sizeof(m));
		}
		byteor_events_publish(tx, NULL, n);
	}
	m.seq = STOP_SEQ;
	ret = byteor_events_send(tx, &m, sizeof(m));
	if (ret)
		fail(demo.ev, "send", ret);
	byteor_events_detach(tx);
}

static void ev_consumer(int unused)
{
	struct byteor_attach_options o = opts(demo.ev, 0, g_wait);
	uint64_t next[MPSC_PRODUCERS] = { 0 }, total = 0, bad = 0;
	struct shared *sh = demo.sh;
	struct byteor_events *rx;
	struct byteor_slot s[BATCH];
	int ret, n, i, stopped = 0;
	struct msg m;

	(void)unused;
	pin(0);
	ret = byteor_attach_events_mpsc_rx(&o, &rx);
	if (ret)
		fail(demo.ev, "attach MPSC consumer", ret);
	rendezvous(1 + MPSC_PRODUCERS);
	while (stopped < MPSC_PRODUCERS) {
		n = byteor_events_peek(rx, s, g_batch ? BATCH : 1);
		if (n < 0)
			fail(demo.ev, "peek", n);
		if (!total)
			sh->first_ns = mono_ns();
		for (i = 0; i < n; i++) {
			memcpy(&m, s[i].data, sizeof(m));
			if (m.producer >= MPSC_PRODUCERS) {
				bad++;
				continue;
			}
			if (m.seq == STOP_SEQ) {
				stopped++;
				continue;
			}
			bad += m.seq != next[m.producer];
			next[m.producer] = m.seq + 1;
			total++;
		}
		byteor_events_release(rx, n);
	}
	sh->last_ns = mono_ns();
	sh->count = total;
	sh->lost_dup = bad;
	sh->skipped = byteor_events_skipped(rx);
	byteor_events_detach(rx);
}

/* ------------------------------------------------------------------------
 * Round trips.  The client stamps, sends, waits for the echo and records
 * the difference; the server echoes.  Two lanes: single ring "ring" out
 * and "pong" back; or events queue 0 (MPSC) out and queue 1 (SPSC) back.
 */

static int g_events;

struct pp {
	struct byteor_single_ring *out_r, *in_r;
	struct byteor_events *out_e, *in_e;
};

static int pp_send(struct pp *p, const struct msg *m)
{
	return p->out_r ? byteor_single_ring_send(p->out_r, m, sizeof(*m)) :
			  byteor_events_send(p->out_e, m, sizeof(*m));
}

static int pp_recv(struct pp *p, struct msg *m)
{
	int n = p->in_r ? byteor_single_ring_recv(p->in_r, m, sizeof(*m)) :
			  byteor_events_recv(p->in_e, m, sizeof(*m));

	return n < 0 ? n : 0;
}

static void pp_attach(struct pp *p, bool client)
{
	struct byteor_attach_options o;
	int ret;

	memset(p, 0, sizeof(*p));
	if (!g_events) {
		o = opts(client ? demo.ring : demo.pong, 0, g_wait);
		ret = byteor_attach_single_ring(&o, BYTEOR_ROLE_PRODUCER, &p->out_r);
		if (ret)
			fail(o.name, "attach", ret);
		o = opts(client ? demo.pong : demo.ring, 0, g_wait);
		ret = byteor_attach_single_ring(&o, BYTEOR_ROLE_CONSUMER, &p->in_r);
		if (ret)
			fail(o.name, "attach", ret);
		return;
	}
	o = opts(demo.ev, client ? 0 : 1, g_wait);
	ret = client ? byteor_attach_events_mpsc_tx(&o, &p->out_e) :
		       byteor_attach_events_tx(&o, &p->out_e);
	if (ret)
		fail(o.name, "attach", ret);
	o = opts(demo.ev, client ? 1 : 0, g_wait);
	ret = client ? byteor_attach_events_rx(&o, &p->in_e) :
		       byteor_attach_events_mpsc_rx(&o, &p->in_e);
	if (ret)
		fail(o.name, "attach", ret);
}

static void pp_detach(struct pp *p)
{
	byteor_single_ring_detach(p->out_r);
	byteor_single_ring_detach(p->in_r);
	byteor_events_detach(p->out_e);
	byteor_events_detach(p->in_e);
}

static void pp_server(int unused)
{
	struct msg m;
	struct pp p;
	int ret;

	(void)unused;
	pin(1);
	pp_attach(&p, false);
	rendezvous(2);
	for (;;) {
		ret = pp_recv(&p, &m);
		if (ret)
			fail("ping-pong server", "echo", ret);
		ret = pp_send(&p, &m);
		if (ret)
			fail("ping-pong server", "echo", ret);
		if (m.seq == STOP_SEQ)
			break;
	}
	pp_detach(&p);
}

static void pp_client(int unused)
{
	struct shared *sh = demo.sh;
	uint64_t seq = 0, t0;
	struct msg m = { 0 };
	bool warm = true;
	int64_t warm_end;
	struct pp p;
	int ret;

	(void)unused;
	pin(0);
	pp_attach(&p, true);
	rendezvous(2);
	/* Warm up (caches, page tables, CPU frequency) for a tenth of the run. */
	warm_end = mono_ns() + (int64_t)(demo.seconds * 1e8);
	while (!atomic_load_explicit(&sh->stop, memory_order_relaxed)) {
		m.seq = seq;
		t0 = now_ticks();
		ret = pp_send(&p, &m);
		if (!ret)
			ret = pp_recv(&p, &m);
		if (ret)
			fail("ping-pong client", "round trip", ret);
		if (m.seq != seq)
			sh->lost_dup++;
		if (warm) {
			/*
			 * By time alone: on a loaded or emulated machine (QEMU
			 * under TCG, spinning peers preempted) 256 round trips
			 * can take longer than the whole run.
			 */
			seq++;
			warm = mono_ns() < warm_end;
			continue;
		}
		seq++;
		sh->hist[hist_index(ticks_to_ns(now_ticks() - t0))]++;
		sh->rtts++;
	}
	m.seq = STOP_SEQ;
	if (!pp_send(&p, &m))
		pp_recv(&p, &m);
	pp_detach(&p);
}

/* ------------------------------------------------------------------------
 * Sequenced slots: producer -> stage 0 -> stage 1 -> subscriber stage 2
 * (stage_deps {0, 1 << 0, 1 << 1}).  The producer writes the sequence and
 * a value derived from it; stage 0 derives s0 from the value, stage 1 s1
 * from s0, and each sets its bit in path.  Stage k checks that path holds
 * exactly the bits of the stages before it and that their fields are right,
 * so an entry that skipped a stage, met one twice or met them out of order
 * is a violation; the subscriber checks everything, and that the sequences
 * come one after another.
 */

struct seq_entry {
	uint64_t seq;
	uint64_t value;
	uint64_t s0, s1;
	uint32_t path;		/* bit k: stage k has processed the entry */
	uint32_t stop;		/* the last entry: stages exit after it */
};

/* splitmix64's finaliser: what the stages compute from what they read. */
static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static unsigned int seq_slot_size(void)
{
	return demo.slot_size > sizeof(struct seq_entry) ? demo.slot_size :
	       (unsigned int)sizeof(struct seq_entry);
}

/* 0 if entry @seq is as stage @k must find it, else 1 (a violation). */
static unsigned int seq_check(const struct seq_entry *e, uint64_t seq,
			      unsigned int k)
{
	if (e->seq != seq || e->value != mix64(seq))
		return 1;
	if (e->path != (1U << k) - 1)
		return 1;
	if (k >= 1 && e->s0 != mix64(e->value ^ 0x5a5a5a5a5a5a5a5aULL))
		return 1;
	if (k >= 2 && e->s1 != mix64(e->s0 + 1))
		return 1;
	return 0;
}

static void seq_producer(int unused)
{
	struct byteor_attach_options o = opts(demo.seq, 0, g_wait);
	struct byteor_sequenced_slots *p;
	struct seq_entry *e;
	__u64 first;
	int ret, i;

	(void)unused;
	pin(0);
	ret = byteor_attach_sequenced_slots_region(&o, BYTEOR_ROLE_PRODUCER, &p);
	if (ret)
		fail(demo.seq, "attach producer", ret);
	rendezvous(1 + SEQ_STAGES);
	for (;;) {
		bool last = atomic_load_explicit(&demo.sh->stop,
						 memory_order_relaxed);
		unsigned int n = last ? 1 : BATCH;

		ret = byteor_sequenced_slots_producer_claim(p, n, &first);
		if (ret)
			fail(demo.seq, "producer claim", ret);
		for (i = 0; i < (int)n; i++) {
			e = byteor_sequenced_slots_entry(p, first + i);
			e->seq = first + i;
			e->value = mix64(first + i);
			e->s0 = e->s1 = 0;
			e->path = 0;
			e->stop = last;
		}
		ret = byteor_sequenced_slots_producer_publish(p, n);
		if (ret < 0)
			fail(demo.seq, "producer publish", ret);
		if (last)
			break;
	}
	byteor_sequenced_slots_detach(p);
}

static void seq_stage(int k)
{
	struct byteor_attach_options o = opts(demo.seq, (unsigned int)k, g_wait);
	bool sub = k == SEQ_STAGES - 1, stop = false;
	struct byteor_sequenced_slots_snapshot snap;
	struct shared *sh = demo.sh;
	struct byteor_sequenced_slots *h;
	const struct seq_entry *ce;
	struct seq_entry *e;
	uint64_t next = 0, bad = 0;
	__u64 first;
	int ret, n, i;

	/* Stage 0 shares CPU 1 with the subscriber, stage 1 CPU 0 with the producer. */
	pin(k == 1 ? 0 : 1);
	ret = byteor_attach_sequenced_slots_region(&o, sub ?
			BYTEOR_SEQUENCED_SLOTS_SUBSCRIBER : BYTEOR_ROLE_CONSUMER, &h);
	if (ret)
		fail(demo.seq, "attach stage", ret);
	rendezvous(1 + SEQ_STAGES);
	while (!stop) {
		n = sub ? byteor_sequenced_slots_subscriber_wait(h, BATCH, &first) :
			  byteor_sequenced_slots_stage_wait(h, BATCH, &first);
		if (n < 0)
			fail(demo.seq, sub ? "subscriber wait" : "stage wait", n);
		if (sub && !next)
			sh->first_ns = mono_ns();
		bad += first != next;
		for (i = 0; i < n && !stop; i++) {
			ce = byteor_sequenced_slots_entry_ro(h, first + i);
			bad += seq_check(ce, first + i, (unsigned int)k);
			stop = ce->stop;
			if (sub)
				continue;
			e = byteor_sequenced_slots_entry(h, first + i);
			if (k == 0)
				e->s0 = mix64(e->value ^ 0x5a5a5a5a5a5a5a5aULL);
			else
				e->s1 = mix64(e->s0 + 1);
			e->path |= 1U << k;
		}
		ret = sub ? byteor_sequenced_slots_subscriber_advance(h, (unsigned int)i) :
			    byteor_sequenced_slots_stage_advance(h, (unsigned int)i);
		if (ret < 0)
			fail(demo.seq, "advance", ret);
		next = first + i;
	}
	sh->viol[k] = bad;
	if (sub) {
		sh->last_ns = mono_ns();
		sh->count = next - 1;	/* the stop entry is not counted */
		if (!byteor_sequenced_slots_snapshot(h, &snap)) {
			sh->producer_parks = snap.producer_parks;
			for (i = 0; i < SEQ_STAGES; i++)
				sh->stage_parks[i] = snap.stage[i].parks;
		}
	}
	byteor_sequenced_slots_detach(h);
}

/* ------------------------------------------------------------------------
 * Journal.  Record i (from 0) has a length and contents that follow from
 * i alone: 16 .. JR_MAX_LEN bytes, the index, then a slice of a fixed
 * pseudo-random pattern, so any subscriber can check every byte.  The last
 * record is JR_END, carrying the number of data records.
 */

static unsigned char jr_pattern[JR_PATTERN];

static void jr_pattern_init(void)
{
	uint64_t x;
	unsigned int i;

	for (i = 0; i < JR_PATTERN; i += 8) {
		x = mix64(i);
		memcpy(jr_pattern + i, &x, 8);
	}
}

static inline uint32_t jr_len(uint64_t i)
{
	return 16 + (uint32_t)(mix64(i) % (JR_MAX_LEN - 16 + 1));
}

static inline const unsigned char *jr_body(uint64_t i)
{
	return jr_pattern + (i * 8) % 1024;
}

/* True if @data/@len is a well-formed data record; its index in *@idx. */
static bool jr_intact(const void *data, uint32_t len, uint64_t *idx)
{
	if (len < 16)
		return false;
	memcpy(idx, data, 8);
	return len == jr_len(*idx) &&
	       !memcmp((const unsigned char *)data + 8, jr_body(*idx), len - 8);
}

/* Sleep until @t0 + @i records at @rate would be due. */
static void pace(int64_t t0, uint64_t i, int rate)
{
	int64_t due = t0 + (int64_t)(i * 1000000000ULL / (uint64_t)rate);
	struct timespec ts = {
		.tv_sec = due / 1000000000LL, .tv_nsec = due % 1000000000LL,
	};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* @rate: records/s in JR_BURSTS bursts a second, 0 flat out. */
static void jr_publisher(int rate)
{
	struct byteor_attach_options o = opts(demo.jr, 0, g_wait);
	struct shared *sh = demo.sh;
	struct byteor_journal *j;
	uint64_t i = 0, burst = rate ? (uint64_t)rate / JR_BURSTS : 0;
	uint32_t len;
	void *data;
	int ret;

	pin(0);
	ret = byteor_attach_journal_publisher(&o, &j);
	if (ret)
		fail(demo.jr, "attach publisher", ret);
	rendezvous(2);
	sh->pub_first_ns = mono_ns();
	while (!atomic_load_explicit(&sh->stop, memory_order_relaxed)) {
		if (burst && i && !(i % burst))
			pace(sh->pub_first_ns, i, rate);
		/* Zero-copy: claim room, write the payload in place, commit. */
		len = jr_len(i);
		ret = byteor_journal_claim(j, len, &data);
		if (ret)
			fail(demo.jr, "claim", ret);
		memcpy(data, &i, 8);
		memcpy((unsigned char *)data + 8, jr_body(i), len - 8);
		ret = byteor_journal_commit(j, JR_DATA, len, NULL);
		if (ret)
			fail(demo.jr, "commit", ret);
		i++;
	}
	sh->pub_last_ns = mono_ns();
	sh->pub_records = i;
	ret = byteor_journal_append(j, JR_END, &i, sizeof(i), NULL);
	if (ret)
		fail(demo.jr, "append", ret);
	byteor_journal_detach(j);
}

/*
 * A subscriber: the live one (@replay 0) attaches at the tail before the
 * publisher starts; the replayer at sh->replay_pos, which the parent took
 * from the live one's checkpoints.  Both read in place (peek, check, then
 * consume, which tells whether the record was overwritten meanwhile) up to
 * JR_END.
 */
static void jr_subscriber(int replay)
{
	struct byteor_attach_options o = opts(demo.jr, 0, g_wait);
	const char *what = replay ? "replayer" : "live subscriber";
	struct byteor_journal_record rec;
	struct byteor_journal_snapshot snap;
	struct shared *sh = demo.sh;
	uint64_t expect, idx = 0, count = 0, total = 0, k;
	bool resync = false, end, ok;
	struct byteor_journal *j;
	__u64 oldest;
	int ret;

	pin(1);
	if (replay) {
		ret = byteor_attach_journal_subscriber_from(&o, sh->replay_pos, &j);
		expect = sh->replay_idx;
	} else {
		ret = byteor_attach_journal_subscriber_tail(&o, &j);
		expect = 0;
	}
	if (ret)
		fail(demo.jr, replay ? "attach replayer" : "attach subscriber", ret);
	rendezvous(replay ? 1 : 2);
	sh->first_ns = mono_ns();
	for (;;) {
		ret = byteor_journal_peek(j, &rec);
		if (ret == -EOVERFLOW) {
			/* Lapped: [rec.pos, rec.next) is gone; go on from there. */
			sh->laps++;
			sh->lost_bytes += rec.next - rec.pos;
			resync = true;
			continue;
		}
		if (ret)
			fail(what, "peek", ret);
		end = rec.type == JR_END;
		ok = end ? rec.len == sizeof(total) :
			   rec.type == JR_DATA && jr_intact(rec.data, rec.len, &idx);
		if (end && ok)
			memcpy(&total, rec.data, sizeof(total));
		ret = byteor_journal_consume(j, &rec);
		if (ret == -EOVERFLOW) {
			/* Overwritten while we read it: what we saw is void. */
			sh->laps++;
			sh->lost_bytes += byteor_journal_position(j) - rec.pos;
			resync = true;
			continue;
		}
		if (ret)
			fail(what, "consume", ret);
		if (!ok) {
			sh->bad++;
			continue;
		}
		if (end) {
			if (total != expect)
				sh->lost_dup++;
			break;
		}
		if (idx != expect) {
			if (resync && idx > expect)
				sh->lost_records += idx - expect;
			else
				sh->lost_dup++;
		}
		resync = false;
		expect = idx + 1;
		if (++count % JR_CKPT_EVERY || replay)
			continue;
		/* As a consumer persisting its offset would: where record idx + 1 starts. */
		k = sh->ckpts++ % JR_CKPTS;
		sh->ckpt_idx[k] = idx + 1;
		sh->ckpt_pos[k] = rec.next;
		if (byteor_journal_snapshot(j, &snap))
			continue;
		if (snap.records > expect) {
			sh->lag_sum_rec += snap.records - expect;
			if (snap.records - expect > sh->lag_max_rec)
				sh->lag_max_rec = snap.records - expect;
		}
		if (snap.lag > sh->lag_max_bytes)
			sh->lag_max_bytes = snap.lag;
		sh->lag_samples++;
	}
	sh->last_ns = mono_ns();
	sh->count = count;
	sh->end_pos = byteor_journal_position(j);
	ret = byteor_journal_oldest(j, &oldest);
	if (ret)
		fail(what, "oldest", ret);
	sh->oldest = oldest;
	ret = byteor_journal_snapshot(j, &snap);
	if (ret)
		fail(what, "snapshot", ret);
	sh->tail = snap.tail;
	byteor_journal_detach(j);
}

/* ------------------------------------------------------------------------
 * The table.
 */

static bool all_ok = true;

static const char *wait_name(int w)
{
	return byteor_wait_strategy_name(w);
}

static void print_rate(const char *lane, const char *mode, const char *procs,
		       bool ok)
{
	struct shared *sh = demo.sh;
	double secs = (double)(sh->last_ns - sh->first_ns) / 1e9;
	char extra[64] = "";

	if (!ok || sh->lost_dup) {
		all_ok = false;
		printf("%-22s %-16s %-6s FAILED: %s%s\n", lane, mode, procs,
		       sh->failed ? sh->why : "", sh->lost_dup ?
		       " (lost/duplicated/reordered messages)" : "");
		return;
	}
	if (sh->skipped)
		snprintf(extra, sizeof(extra), " (%" PRIu64 " skipped)", sh->skipped);
	printf("%-22s %-16s %-6s %12" PRIu64 " %9.2f M/s  %-6s%s\n", lane, mode,
	       procs, sh->count, secs > 0 ? (double)sh->count / secs / 1e6 : 0.0,
	       wait_name(g_wait), extra);
}

static void print_latency(const char *lane, const char *procs, bool ok)
{
	struct shared *sh = demo.sh;

	if (!ok || sh->lost_dup || !sh->rtts) {
		all_ok = false;
		printf("%-22s %-16s %-6s FAILED: %s\n", lane, "ping-pong", procs,
		       sh->failed ? sh->why : "no round trips");
		return;
	}
	printf("%-22s %-16s %-6s %12" PRIu64 "  rtt p50 %6.2f us  p99 %6.2f us  "
	       "p99.9 %7.2f us  %s\n", lane, "ping-pong", procs, sh->rtts,
	       hist_pct(sh->hist, sh->rtts, 50) / 1e3,
	       hist_pct(sh->hist, sh->rtts, 99) / 1e3,
	       hist_pct(sh->hist, sh->rtts, 99.9) / 1e3, wait_name(g_wait));
}

/* Spin when every process of the test has a CPU of its own, else AUTO. */
static int pick_wait(int nproc)
{
	if (demo.wait >= 0)
		return demo.wait;
	return demo.ncpu >= nproc ? BYTEOR_WAIT_SPIN : BYTEOR_WAIT_AUTO;
}

static void test_ring(bool batch)
{
	bool ok;

	reset_shared();
	g_batch = batch;
	g_wait = pick_wait(2);
	spawn(ring_consumer, 0);
	spawn(ring_producer, 0);
	run_for(2, demo.seconds);
	ok = reap();
	print_rate("single ring", batch ? "batch (64)" : "copy, 1 per call",
		   "1 -> 1", ok);
}

static void test_events(bool batch)
{
	bool ok;
	int i;

	reset_shared();
	g_batch = batch;
	g_wait = pick_wait(1 + MPSC_PRODUCERS);
	spawn(ev_consumer, 0);
	for (i = 0; i < MPSC_PRODUCERS; i++)
		spawn(ev_producer, i);
	run_for(1 + MPSC_PRODUCERS, demo.seconds);
	ok = reap();
	print_rate("events MPSC queue", batch ? "batch (16 / 64)" :
		   "copy, 1 per call", "3 -> 1", ok);
}

static void test_pingpong(bool events)
{
	bool ok;

	reset_shared();
	g_events = events;
	g_wait = pick_wait(2);
	spawn(pp_server, 0);
	spawn(pp_client, 0);
	run_for(2, demo.seconds);
	ok = reap();
	print_latency(events ? "events MPSC + SPSC" : "single ring x2",
		      "1 <-> 1", ok);
}

/* The pipeline and the journal wait the default way unless told otherwise. */
static int default_wait(void)
{
	return demo.wait >= 0 ? demo.wait : BYTEOR_WAIT_AUTO;
}

static void test_pipeline(void)
{
	struct shared *sh = demo.sh;
	double secs;
	uint64_t bad;
	bool ok;
	int i;

	reset_shared();
	g_wait = default_wait();
	for (i = SEQ_STAGES - 1; i >= 0; i--)
		spawn(seq_stage, i);
	spawn(seq_producer, 0);
	run_for(1 + SEQ_STAGES, demo.seconds);
	ok = reap();
	for (bad = 0, i = 0; i < SEQ_STAGES; i++)
		bad += sh->viol[i];
	if (!ok || bad || !sh->count) {
		all_ok = false;
		printf("%-22s %-16s %-6s FAILED: %s", "sequenced slots",
		       "pipeline 0>1>2", "1 -> 3", sh->failed ? sh->why :
		       !sh->count ? "no entries" : "");
		if (bad)
			printf(" %" PRIu64 " violations (stage 0: %" PRIu64
			       ", stage 1: %" PRIu64 ", subscriber 2: %" PRIu64
			       ")", bad, sh->viol[0], sh->viol[1], sh->viol[2]);
		printf("\n");
		return;
	}
	secs = (double)(sh->last_ns - sh->first_ns) / 1e9;
	printf("%-22s %-16s %-6s %12" PRIu64 " %9.2f M/s  %-6s verified: 0 "
	       "violations, every entry passed stages 0, 1, 2 in order\n",
	       "sequenced slots", "pipeline 0>1>2", "1 -> 3", sh->count,
	       secs > 0 ? (double)sh->count / secs / 1e6 : 0.0,
	       wait_name(g_wait));
	printf("%-22s %-16s %-6s %12s %13s  %-6s parks: producer %" PRIu64
	       ", stages %" PRIu64 " / %" PRIu64 " / %" PRIu64 "\n", "", "",
	       "", "", "", "", sh->producer_parks, sh->stage_parks[0],
	       sh->stage_parks[1], sh->stage_parks[2]);
}

/*
 * Where the replayer starts: a stored position, the earliest the journal
 * still retains - record 0 if nothing was overwritten, else the earliest
 * retained checkpoint of the live subscriber.  If none is retained any
 * more (not expected), the latest one: the replayer is then lapped and
 * says so.
 */
static void pick_replay(uint64_t oldest, uint64_t ckpts, const uint64_t *idx,
			const uint64_t *pos)
{
	struct shared *sh = demo.sh;
	uint64_t i, n = ckpts < JR_CKPTS ? ckpts : JR_CKPTS;
	bool found = false;

	sh->replay_idx = 0;
	sh->replay_pos = 0;
	if (!oldest || !n)
		return;
	for (i = 0; i < n; i++) {
		if (pos[i] < oldest || (found && pos[i] >= sh->replay_pos))
			continue;
		sh->replay_idx = idx[i];
		sh->replay_pos = pos[i];
		found = true;
	}
	if (found)
		return;
	i = (ckpts - 1) % JR_CKPTS;
	sh->replay_idx = idx[i];
	sh->replay_pos = pos[i];
}

/* A fresh journal for each run: record indices and counts start at 0. */
static int make_journal(void)
{
	struct byteor_region_options jr = {
		.name = demo.jr, .kind = BYTEOR_KIND_JOURNAL,
		.backing = demo.backing, .dir = demo.dir,
		.geometry = { .slot_size = JR_MAX_LEN, .capacity = JR_AREA,
			      .queues = 1, .producers = 1 },
	};
	int ret;

	if (demo.made_jr) {
		ret = byteor_region_destroy(demo.jr, demo.backing, demo.dir);
		if (ret)
			return ret;
		demo.made_jr = false;
	}
	ret = byteor_region_create(&jr, NULL);
	if (!ret)
		demo.made_jr = true;
	return ret;
}

/* The publisher at @rate (0: flat out) and a live subscriber from the tail. */
static bool test_journal_live(int rate)
{
	struct shared *sh = demo.sh;
	char mode[32];
	double secs;
	bool ok;
	int ret;

	if (rate)
		snprintf(mode, sizeof(mode), "paced %.0f M/s", rate / 1e6);
	else
		snprintf(mode, sizeof(mode), "flat out");
	reset_shared();
	ret = make_journal();
	if (ret) {
		all_ok = false;
		printf("%-22s %-16s %-6s FAILED: creating the journal: %s\n",
		       "journal publisher", mode, "1", byteor_strerror(ret));
		return false;
	}
	g_wait = default_wait();
	spawn(jr_subscriber, 0);
	spawn(jr_publisher, rate);
	run_for(2, demo.seconds);
	ok = reap();
	if (!ok || !sh->pub_records) {
		all_ok = false;
		printf("%-22s %-16s %-6s FAILED: %s\n", "journal publisher",
		       mode, "1", sh->failed ? sh->why : "no records");
		return false;
	}
	secs = (double)(sh->pub_last_ns - sh->pub_first_ns) / 1e9;
	printf("%-22s %-16s %-6s %12" PRIu64 " %9.2f M/s  %-6s %.0f MB/s%s\n",
	       "journal publisher", mode, "1", sh->pub_records,
	       secs > 0 ? (double)sh->pub_records / secs / 1e6 : 0.0, "-",
	       secs > 0 ? (double)sh->tail / secs / 1e6 : 0.0,
	       rate ? "" : ", never waits for subscribers");
	secs = (double)(sh->last_ns - sh->first_ns) / 1e9;
	ok = !sh->bad && !sh->lost_dup;
	printf("%-22s %-16s %-6s %12" PRIu64 " %9.2f M/s  %-6s %s, lag mean "
	       "%" PRIu64 " / max %" PRIu64 " records (max %" PRIu64 " KiB), "
	       "%" PRIu64 " lap%s", "journal live sub", "from the tail", "1",
	       sh->count, secs > 0 ? (double)sh->count / secs / 1e6 : 0.0,
	       wait_name(g_wait), ok ? "intact" : "FAILED",
	       sh->lag_samples ? sh->lag_sum_rec / sh->lag_samples : 0,
	       sh->lag_max_rec, sh->lag_max_bytes >> 10, sh->laps,
	       sh->laps == 1 ? "" : "s");
	if (sh->laps)
		printf(" (lost %" PRIu64 " records, %" PRIu64 " KiB)",
		       sh->lost_records, sh->lost_bytes >> 10);
	if (!ok)
		printf(", %" PRIu64 " corrupt, %" PRIu64 " out of order",
		       sh->bad, sh->lost_dup);
	printf("\n");
	if (!ok)
		all_ok = false;
	return ok;
}

static void test_journal(void)
{
	static uint64_t ckpt_idx[JR_CKPTS], ckpt_pos[JR_CKPTS];
	uint64_t records, oldest, ckpts, tail;
	struct shared *sh = demo.sh;
	double secs;
	bool ok;

	/* Both live runs, even if the first fails; the replayer reads the second's. */
	ok = test_journal_live(0);
	if (!test_journal_live(JR_PACED_RATE) || !ok)
		return;

	/* A replayer from a stored position, after the publisher is gone. */
	records = sh->pub_records;
	oldest = sh->oldest;
	tail = sh->tail;
	ckpts = sh->ckpts;
	memcpy(ckpt_idx, sh->ckpt_idx, sizeof(ckpt_idx));
	memcpy(ckpt_pos, sh->ckpt_pos, sizeof(ckpt_pos));
	reset_shared();
	pick_replay(oldest, ckpts, ckpt_idx, ckpt_pos);
	spawn(jr_subscriber, 1);
	run_for(1, 0);
	ok = reap();
	secs = (double)(sh->last_ns - sh->first_ns) / 1e9;
	if (!ok || sh->bad || sh->lost_dup || sh->end_pos != tail ||
	    (!sh->laps && sh->count != records - sh->replay_idx)) {
		all_ok = false;
		printf("%-22s %-16s %-6s FAILED: %s%" PRIu64 " of %" PRIu64
		       " records, %" PRIu64 " corrupt, %" PRIu64 " out of "
		       "order, ended at %" PRIu64 " (tail %" PRIu64 ")\n",
		       "journal replayer", "from checkpoint", "1",
		       sh->failed ? sh->why : "", sh->count,
		       records - sh->replay_idx, sh->bad, sh->lost_dup,
		       sh->end_pos, tail);
		return;
	}
	printf("%-22s %-16s %-6s %12" PRIu64 " %9.2f M/s  %-6s intact, from "
	       "record %" PRIu64 " (position %" PRIu64 ") to the tail, %"
	       PRIu64 " lap%s", "journal replayer", "from checkpoint", "1",
	       sh->count, secs > 0 ? (double)sh->count / secs / 1e6 : 0.0,
	       wait_name(g_wait), sh->replay_idx, sh->replay_pos, sh->laps,
	       sh->laps == 1 ? "" : "s");
	if (sh->laps)
		printf(" (lost %" PRIu64 " records, %" PRIu64 " KiB)",
		       sh->lost_records, sh->lost_bytes >> 10);
	printf("\n");
}

/* ------------------------------------------------------------------------
 * Setup.
 */

static int create_regions(void)
{
	struct byteor_region_options o = {
		.kind = BYTEOR_KIND_SINGLE_RING, .backing = demo.backing,
		.dir = demo.dir,
		.geometry = { .slot_size = demo.slot_size, .capacity = CAPACITY,
			      .queues = 1, .producers = 1 },
	};
	struct byteor_region_options s = {
		.name = demo.seq, .kind = BYTEOR_KIND_SEQUENCED_SLOTS,
		.backing = demo.backing, .dir = demo.dir,
		.geometry = { .slot_size = seq_slot_size(), .capacity = CAPACITY,
			      .queues = SEQ_STAGES, .producers = 1,
			      .stage_deps = { 0, 1U << 0, 1U << 1 } },
	};
	struct byteor_events_chain_options e = {
		.name = demo.ev, .slot_size = demo.slot_size, .capacity = CAPACITY,
		.queues = 2, .producers = MPSC_PRODUCERS, .mpsc_mask = 1,
		.backing = demo.backing, .dir = demo.dir,
	};
	int ret;

	o.name = demo.ring;
	ret = byteor_region_create(&o, NULL);
	if (ret)
		return ret;
	demo.made_ring = true;
	o.name = demo.pong;
	ret = byteor_region_create(&o, NULL);
	if (ret)
		return ret;
	demo.made_pong = true;
	ret = byteor_events_chain_region_create(&e, NULL);
	if (ret)
		return ret;
	demo.made_ev = true;
	ret = byteor_region_create(&s, NULL);
	if (ret)
		return ret;
	demo.made_seq = true;
	return 0;
}

static void usage(FILE *f)
{
	fputs("usage: byteor-demo [--seconds S] [--dir DIR] [--backing user|kernel]\n"
	      "                   [--wait auto|spin|yield|park] [--slot-size N] [--quick]\n"
	      "Measures byteor lanes between processes: messages/s and round-trip\n"
	      "latency (single ring, events), entries/s through a verified\n"
	      "sequenced-slots pipeline, a journal's publisher, live subscriber and\n"
	      "replay.  Default: the userspace backing unless /dev/byteor exists.\n",
	      f);
}

static int parse(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "seconds", required_argument, NULL, 's' },
		{ "dir", required_argument, NULL, 'd' },
		{ "backing", required_argument, NULL, 'b' },
		{ "wait", required_argument, NULL, 'w' },
		{ "slot-size", required_argument, NULL, 'z' },
		{ "quick", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			demo.seconds = strtod(optarg, &end);
			if (*end || demo.seconds <= 0 || demo.seconds > 30)
				return -1;
			break;
		case 'd':
			demo.dir = optarg;
			break;
		case 'b':
			if (!strcmp(optarg, "user"))
				demo.backing = BYTEOR_BACKING_USER;
			else if (!strcmp(optarg, "kernel"))
				demo.backing = BYTEOR_BACKING_KERNEL;
			else
				return -1;
			break;
		case 'w':
			if (!strcmp(optarg, "auto"))
				demo.wait = BYTEOR_WAIT_AUTO;
			else if (!strcmp(optarg, "spin"))
				demo.wait = BYTEOR_WAIT_SPIN;
			else if (!strcmp(optarg, "yield"))
				demo.wait = BYTEOR_WAIT_YIELD;
			else if (!strcmp(optarg, "park"))
				demo.wait = BYTEOR_WAIT_PARK;
			else
				return -1;
			break;
		case 'z':
			demo.slot_size = (unsigned int)strtoul(optarg, &end, 0);
			if (*end || demo.slot_size < sizeof(struct msg) ||
			    demo.slot_size % 8 || demo.slot_size > 4096)
				return -1;
			break;
		case 'q':
			demo.seconds = 0.5;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			return -1;
		}
	}
	return optind == argc ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct byteor_wait_probe probe;
	struct sigaction sa;
	cpu_set_t cpus;
	int used;
	int ret;

	if (parse(argc, argv)) {
		usage(stderr);
		return 2;
	}
	parent_pid = getpid();
	/* A line at a time, also into a pipe or a file: progress survives Ctrl-C. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	demo.ncpu = sched_getaffinity(0, sizeof(cpus), &cpus) ? 1 : CPU_COUNT(&cpus);
	demo.sh = mmap(NULL, sizeof(*demo.sh), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (demo.sh == MAP_FAILED) {
		perror("byteor-demo: mmap");
		return 1;
	}
	snprintf(demo.ring, sizeof(demo.ring), "byteor-demo.%d.ring", (int)parent_pid);
	snprintf(demo.pong, sizeof(demo.pong), "byteor-demo.%d.pong", (int)parent_pid);
	snprintf(demo.ev, sizeof(demo.ev), "byteor-demo.%d.events", (int)parent_pid);
	snprintf(demo.seq, sizeof(demo.seq), "byteor-demo.%d.seq", (int)parent_pid);
	snprintf(demo.jr, sizeof(demo.jr), "byteor-demo.%d.journal", (int)parent_pid);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	ret = create_regions();
	if (ret) {
		fprintf(stderr, "byteor-demo: creating regions: %s\n",
			byteor_strerror(ret));
		destroy_regions();
		return 1;
	}
	calibrate();
	jr_pattern_init();
	byteor_wait_probe(&probe);
	/* The backing the regions were created on, AUTO resolved. */
	used = byteor_backing_resolve(demo.backing);
	printf("byteor %s demo: %d CPU(s), backing %s%s%s%s, park path %s, "
	       "timer %s\n%u-byte messages in %u-byte slots, %.1f s per test\n",
	       BYTEOR_VERSION_STRING, demo.ncpu,
	       used == BYTEOR_BACKING_KERNEL ? "kernel" : "user",
	       demo.backing == BYTEOR_BACKING_AUTO ? " (default)" : "",
	       demo.dir ? " in " : "", demo.dir ? demo.dir : "",
	       byteor_park_path_name(probe.park_path),
	       demo.tsc_ghz ? "rdtscp (calibrated)" : "clock_gettime",
	       demo.slot_size, demo.slot_size + BYTEOR_SLOT_HEADER, demo.seconds);
	if (demo.ncpu < 2)
		printf("(one CPU: processes are not pinned and share it)\n");
	printf("%-22s %-16s %-6s %12s %13s  %s\n", "lane", "mode", "procs",
	       "messages", "rate", "wait");
	fflush(stdout);

	test_ring(false);
	test_ring(true);
	test_events(false);
	test_events(true);
	printf("%-22s %-16s %-6s %12s  %s\n", "", "", "", "round trips",
	       "latency (one round trip = two lane hops)");
	test_pingpong(false);
	test_pingpong(true);
	printf("%-22s %-16s %-6s %12s  %s\n", "", "", "", "entries",
	       "rate (producer -> stage 0 -> stage 1 -> subscriber 2)");
	test_pipeline();
	printf("%-22s %-16s %-6s %12s  %s\n", "", "", "", "records",
	       "rate (records of 16-512 B, a 16 MiB journal)");
	test_journal();

	destroy_regions();
	if (!all_ok) {
		printf("byteor-demo: FAILED\n");
		return 1;
	}
	printf("no message, entry or record lost (except by a reported lap), "
	       "duplicated or reordered; regions removed\n");
	return 0;
}
