// SPDX-License-Identifier: MIT
/*
 * soak - every lane across processes, with roles SIGKILLed at random and
 * restarted, for a set time; then a table of what went through and what
 * went wrong.  `make soak` (SOAK_S=seconds, default 1800).
 *
 *	soak [-t SECONDS] [-k KILL_MS] [-b user|kernel] [-d DIR] [-s SEED]
 *	     [-l ring,events,journal]
 *
 * Every message carries (producer, incarnation, sequence, check word).
 * A producer incarnation numbers its messages 0, 1, 2 ... and records in a
 * ledger (shared anonymous memory the roles inherit) how many it had
 * published when each publish returned.  The consumer of a lane records
 * per producer incarnation the next sequence it expects (after reading,
 * before releasing) and how far it has released (after the release
 * returned).  A killed role restarts as a new process; the ledger survives
 * it.  From that the checker classifies every message:
 *
 *  - torn:        the check word does not match the header;
 *  - duplicate:   a sequence below what an earlier consumer had released
 *                 (delivered again after its release was acknowledged);
 *  - redelivered: read by a consumer killed before it released it, and
 *                 delivered again to its successor (documented: a release
 *                 is the consumer's acknowledgement);
 *  - lost:        a gap inside one producer incarnation, or a message whose
 *                 publish had returned and that never arrived;
 *  - lapped:      journal records a subscriber was told (-EOVERFLOW) it
 *                 lost; the journal publisher never waits (documented);
 *  - stall:       a lane that made no progress for 5 s while its roles ran.
 *
 * Exit status 0 only when torn, duplicate, lost and stall are all zero.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <byteor.h>

#define MAX_PROD	3	/* producers of a lane */
#define MAX_INC		8192	/* incarnations of one producer */
#define MSG_WORDS	4	/* 32-byte message header */
#define SLOT		64

enum lane_kind { LANE_RING, LANE_EVENTS, LANE_JOURNAL, LANE_KINDS };
static const char *const lane_names[LANE_KINDS] = { "ring", "events", "journal" };

/* The verdict counters of one lane, and its consumer's ledger. */
struct lane_ledger {
	/* producers: published count of each incarnation (after publish) */
	uint64_t pub[MAX_PROD][MAX_INC];
	uint32_t inc[MAX_PROD];		/* current incarnation of producer p */
	/* consumer: next expected / released-up-to, per producer incarnation */
	uint64_t next[MAX_PROD][MAX_INC];
	uint64_t rel[MAX_PROD][MAX_INC];
	uint64_t lapgen[MAX_PROD][MAX_INC];	/* laps when last taken */
	uint64_t journal_pos;		/* subscriber: position after the last
					 * record it took (its checkpoint) */
	uint64_t received, torn, duplicate, redelivered, lost, lapped, errors;
	uint64_t laps;			/* -EOVERFLOW reports (journal) */
	int lap_pending;		/* a lap since the last record taken */
	uint64_t progress;		/* bumped by the consumer per batch */
	int last_error;
	volatile int stop;		/* producers: finish and exit 0 */
};

struct lane {
	enum lane_kind kind;
	char name[48];
	int producers;
	pid_t prod[MAX_PROD];
	pid_t cons;
	struct lane_ledger *led;
	uint64_t kills, restarts, stalls;
	uint64_t last_progress;
	double last_progress_t;
};

static struct {
	enum byteor_backing backing;
	const char *dir;
	double seconds;
	unsigned int kill_ms;
	unsigned long seed;
	unsigned int lanes;	/* bit per enum lane_kind */
} cfg = { BYTEOR_BACKING_USER, NULL, 60, 20, 1, 7 };

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t check_word(uint64_t p, uint64_t inc, uint64_t seq)
{
	uint64_t x = (p << 56) ^ (inc << 32) ^ seq ^ 0x9e3779b97f4a7c15ULL;

	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ULL;
	return x ^ (x >> 29);
}

static void fill(uint64_t *m, unsigned int p, uint32_t inc, uint64_t seq)
{
	m[0] = p;
	m[1] = inc;
	m[2] = seq;
	m[3] = check_word(p, inc, seq);
}

static struct byteor_attach_options opts(const struct lane *l)
{
	struct byteor_attach_options o = {
		.name = l->name, .backing = cfg.backing, .dir = cfg.dir,
		.timeout_ns = 50 * 1000 * 1000,
	};
	return o;
}

/*
 * One message taken by the consumer: classify it.  Called after reading,
 * before the release; next[] moves now, rel[] after the release.
 */
static void take(struct lane_ledger *led, const uint64_t *m, size_t len)
{
	uint64_t p, inc, seq, *next;

	led->received++;
	if (len < MSG_WORDS * 8 || m[0] >= MAX_PROD || m[1] >= MAX_INC ||
	    m[3] != check_word(m[0], m[1], m[2])) {
		led->torn++;
		return;
	}
	p = m[0];
	inc = m[1];
	seq = m[2];
	next = &led->next[p][inc];
	if (seq == *next) {
		(*next)++;
	} else if (seq > *next) {
		if (led->lap_pending)	/* the lap reported them */
			led->lapped += seq - *next;
		else
			led->lost += seq - *next;
		*next = seq + 1;
	} else if (seq < led->rel[p][inc]) {
		led->duplicate++;
	} else {
		led->redelivered++;
	}
	led->lap_pending = 0;
	led->lapgen[p][inc] = led->laps;
}

/* After a release returned: everything taken so far is acknowledged. */
static void released(struct lane_ledger *led, const uint64_t *m)
{
	if (m[0] < MAX_PROD && m[1] < MAX_INC &&
	    led->rel[m[0]][m[1]] < led->next[m[0]][m[1]])
		led->rel[m[0]][m[1]] = led->next[m[0]][m[1]];
}

static void note_error(struct lane_ledger *led, int ret)
{
	if (ret == -EAGAIN || ret == -ETIMEDOUT || ret == -EPIPE)
		return;
	led->errors++;
	led->last_error = ret;
}

/* ---- single ring ------------------------------------------------------- */

static void ring_producer(struct lane *l, unsigned int p, uint32_t inc)
{
	struct byteor_attach_options o = opts(l);
	struct lane_ledger *led = l->led;
	struct byteor_single_ring *r;
	struct byteor_slot s[64];
	uint64_t seq = 0;
	int n, i, ret;

	while ((ret = byteor_attach_single_ring(&o, BYTEOR_ROLE_PRODUCER, &r)) == -EBUSY)
		usleep(1000);
	if (ret < 0)
		_exit(10);
	while (!led->stop) {
		n = byteor_single_ring_claim(r, s, 1 + random() % 64);
		if (n < 0) {
			note_error(led, n);
			continue;
		}
		for (i = 0; i < n; i++) {
			fill(s[i].data, p, inc, seq + i);
			s[i].len = MSG_WORDS * 8;
		}
		ret = byteor_single_ring_publish(r, s, n);
		if (ret < 0) {
			note_error(led, ret);
			continue;
		}
		seq += n;
		led->pub[p][inc] = seq;
	}
	byteor_single_ring_detach(r);
	_exit(0);
}

static void ring_consumer(struct lane *l)
{
	struct byteor_attach_options o = opts(l);
	struct lane_ledger *led = l->led;
	struct byteor_single_ring *r;
	struct byteor_slot s[64];
	uint64_t last[64][MSG_WORDS];
	int n, i, ret;

	while ((ret = byteor_attach_single_ring(&o, BYTEOR_ROLE_CONSUMER, &r)) == -EBUSY)
		usleep(1000);
	if (ret < 0)
		_exit(11);
	for (;;) {
		/*
		 * Peek and release only: recv() releases inside the call, so a
		 * consumer killed after it returned loses that message by its
		 * own choice of API, which the ledger could not tell from a
		 * lane's loss.  One slot at a time now and then (the tag path).
		 */
		n = byteor_single_ring_peek(r, s, random() % 4 ? 1 + random() % 64 : 1);
		if (n < 0) {
			note_error(led, n);
			continue;
		}
		for (i = 0; i < n; i++) {
			take(led, s[i].data, s[i].len);
			memcpy(last[i], s[i].data, sizeof(last[i]));
		}
		ret = byteor_single_ring_release(r, n);
		if (ret < 0) {
			note_error(led, ret);
			continue;
		}
		for (i = 0; i < n; i++)	/* a batch may span incarnations */
			released(led, last[i]);
		led->progress++;
	}
}

/* ---- events MPSC queue --------------------------------------------------- */

static void events_producer(struct lane *l, unsigned int p, uint32_t inc)
{
	struct byteor_attach_options o = opts(l);
	struct lane_ledger *led = l->led;
	struct byteor_events *e;
	struct byteor_slot s[16];
	uint64_t seq = 0;
	int n, i, ret;

	while ((ret = byteor_attach_events_mpsc_tx(&o, &e)) == -EBUSY)
		usleep(1000);
	if (ret < 0)
		_exit(12);
	while (!led->stop) {
		n = byteor_events_claim(e, s, 1 + random() % 16);
		if (n < 0) {
			note_error(led, n);
			continue;
		}
		for (i = 0; i < n; i++) {
			fill(s[i].data, p, inc, seq + i);
			s[i].len = MSG_WORDS * 8;
		}
		ret = byteor_events_publish(e, s, n);
		if (ret < 0) {
			note_error(led, ret);
			continue;
		}
		seq += n;
		led->pub[p][inc] = seq;
	}
	byteor_events_detach(e);
	_exit(0);
}

static void events_consumer(struct lane *l)
{
	struct byteor_attach_options o = opts(l);
	struct lane_ledger *led = l->led;
	struct byteor_events *e;
	struct byteor_slot s[64];
	uint64_t last[64][MSG_WORDS];
	int n, i, ret;

	while ((ret = byteor_attach_events_mpsc_rx(&o, &e)) == -EBUSY)
		usleep(1000);
	if (ret < 0)
		_exit(13);
	for (;;) {
		n = byteor_events_peek(e, s, 1 + random() % 64);
		if (n < 0) {
			note_error(led, n);
			continue;
		}
		for (i = 0; i < n; i++) {
			take(led, s[i].data, s[i].len);
			memcpy(last[i], s[i].data, sizeof(last[i]));
		}
		ret = byteor_events_release(e, n);
		if (ret < 0) {
			note_error(led, ret);
			continue;
		}
		for (i = 0; i < n; i++)	/* several producers in one batch */
			released(led, last[i]);
		led->progress++;
	}
}

/* ---- journal ----------------------------------------------------------------- */

static void journal_producer(struct lane *l, unsigned int p, uint32_t inc)
{
	struct byteor_attach_options o = opts(l);
	struct lane_ledger *led = l->led;
	struct byteor_journal *j;
	uint64_t m[MSG_WORDS + 8] = { 0 };
	uint64_t seq = 0;
	int ret;

	while ((ret = byteor_attach_journal_publisher(&o, &j)) == -EBUSY)
		usleep(1000);
	if (ret < 0)
		_exit(14);
	while (!led->stop) {
		fill(m, p, inc, seq);
		ret = byteor_journal_append(j, 1, m, 8 * (MSG_WORDS + random() % 8),
					    NULL);
		if (ret < 0) {
			note_error(led, ret);
			continue;
		}
		led->pub[p][inc] = ++seq;
		if (seq % 64 == 0)
			usleep(50);	/* do not lap a live subscriber at once */
	}
	byteor_journal_detach(j);
	_exit(0);
}

static void journal_consumer(struct lane *l)
{
	struct byteor_attach_options o = opts(l);
	struct lane_ledger *led = l->led;
	struct byteor_journal_record rec;
	uint64_t buf[MSG_WORDS + 8];
	struct byteor_journal *j;
	int ret;

	/* Resume after the last record taken: its checkpoint. */
	if (led->journal_pos)
		ret = byteor_attach_journal_subscriber_from(&o, led->journal_pos, &j);
	else
		ret = byteor_attach_journal_subscriber_tail(&o, &j);
	if (ret < 0)
		_exit(15);
	for (;;) {
		ret = byteor_journal_read(j, buf, sizeof(buf), &rec);
		if (ret == -EOVERFLOW) {
			/* Lapped: [pos, next) is gone, and we were told. */
			led->lap_pending = 1;
			led->laps++;
			continue;
		}
		if (ret < 0) {
			note_error(led, ret);
			continue;
		}
		take(led, buf, ret);
		released(led, buf);
		led->journal_pos = rec.next;
		led->progress++;
	}
}

/* ---- supervisor ------------------------------------------------------------- */

static void prctl_parent_death(void);

static pid_t spawn(struct lane *l, int role)
{
	pid_t pid = fork();

	if (pid)
		return pid;
	signal(SIGINT, SIG_IGN);	/* a Ctrl-C is for the supervisor */
	signal(SIGTERM, SIG_DFL);
	srandom(cfg.seed * 7919 + getpid());
	prctl_parent_death();
	if (role < 0) {
		if (l->kind == LANE_RING)
			ring_consumer(l);
		else if (l->kind == LANE_EVENTS)
			events_consumer(l);
		else
			journal_consumer(l);
	} else {
		uint32_t inc = ++l->led->inc[role];

		if (inc >= MAX_INC)
			_exit(20);
		if (l->kind == LANE_RING)
			ring_producer(l, role, inc);
		else if (l->kind == LANE_EVENTS)
			events_producer(l, role, inc);
		else
			journal_producer(l, role, inc);
	}
	_exit(0);
}

static void prctl_parent_death(void)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)
		_exit(0);
}

static int lane_create(struct lane *l)
{
	struct byteor_region_options ro = {
		.name = l->name, .backing = cfg.backing, .dir = cfg.dir,
	};

	if (l->kind == LANE_EVENTS) {
		struct byteor_events_chain_options c = {
			.name = l->name, .slot_size = SLOT, .capacity = 1024,
			.queues = 1, .producers = 4, .mpsc_mask = 1,
			.backing = cfg.backing, .dir = cfg.dir,
		};
		return byteor_events_chain_region_create(&c, NULL);
	}
	if (l->kind == LANE_RING) {
		ro.kind = BYTEOR_KIND_SINGLE_RING;
		ro.geometry.slot_size = SLOT;
		ro.geometry.capacity = 1024;
	} else {
		ro.kind = BYTEOR_KIND_JOURNAL;
		ro.geometry.slot_size = 256;		/* max record */
		ro.geometry.capacity = 1U << 20;	/* record area bytes */
	}
	ro.geometry.queues = 1;
	ro.geometry.producers = 1;
	return byteor_region_create(&ro, NULL);
}

static void reap(struct lane *lanes, int nl, pid_t pid, int st)
{
	struct lane *l = NULL;
	int i, p;

	for (i = 0; i < nl && !l; i++) {
		if (lanes[i].cons == pid) {
			l = &lanes[i];
			l->cons = 0;
		}
		for (p = 0; p < lanes[i].producers && !l; p++) {
			if (lanes[i].prod[p] == pid) {
				l = &lanes[i];
				l->prod[p] = 0;
			}
		}
	}
	if (!l)
		return;
	if ((WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) ||
	    (WIFEXITED(st) && WEXITSTATUS(st) == 0))
		return;
	/* A role that died of anything but our SIGKILL is a failure. */
	l->led->errors++;
	l->led->last_error = WIFEXITED(st) ? 1000 + WEXITSTATUS(st) :
		2000 + WTERMSIG(st);
}

/* Restart whatever role of @l is not running. */
static void respawn(struct lane *l, bool producers)
{
	int p;

	if (!l->cons) {
		l->cons = spawn(l, -1);
		l->restarts++;
	}
	for (p = 0; producers && p < l->producers; p++) {
		if (!l->prod[p]) {
			l->prod[p] = spawn(l, p);
			l->restarts++;
		}
	}
}

static void kill_wait(pid_t pid)
{
	int st;

	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
}

/* Producer losses after the run: published, never taken. */
static void tail_losses(struct lane *l)
{
	struct lane_ledger *led = l->led;
	uint32_t inc;
	int p;

	for (p = 0; p < l->producers; p++) {
		for (inc = 1; inc <= led->inc[p] && inc < MAX_INC; inc++) {
			uint64_t miss;

			if (led->pub[p][inc] <= led->next[p][inc])
				continue;
			miss = led->pub[p][inc] - led->next[p][inc];
			if (l->kind == LANE_JOURNAL && led->laps > led->lapgen[p][inc])
				led->lapped += miss;	/* a later lap took them */
			else
				led->lost += miss;
		}
	}
}

static void usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [-t SECONDS] [-k KILL_MS] [-b user|kernel] [-d DIR]\n"
		"          [-s SEED] [-l ring,events,journal]\n"
		"  every lane across processes, a random role SIGKILLed and\n"
		"  restarted every KILL_MS (default 20) ms for SECONDS (default 60)\n",
		argv0);
	exit(2);
}

static void parse(int argc, char **argv)
{
	int c, k;

	while ((c = getopt(argc, argv, "t:k:b:d:s:l:h")) != -1) {
		switch (c) {
		case 't': cfg.seconds = atof(optarg); break;
		case 'k': cfg.kill_ms = atoi(optarg); break;
		case 'b':
			if (!strcmp(optarg, "user"))
				cfg.backing = BYTEOR_BACKING_USER;
			else if (!strcmp(optarg, "kernel"))
				cfg.backing = BYTEOR_BACKING_KERNEL;
			else
				usage(argv[0]);
			break;
		case 'd': cfg.dir = optarg; break;
		case 's': cfg.seed = strtoul(optarg, NULL, 0); break;
		case 'l':
			cfg.lanes = 0;
			for (k = 0; k < LANE_KINDS; k++)
				if (strstr(optarg, lane_names[k]))
					cfg.lanes |= 1U << k;
			if (!cfg.lanes)
				usage(argv[0]);
			break;
		default:
			usage(argv[0]);
		}
	}
	if (cfg.seconds <= 0 || !cfg.kill_ms)
		usage(argv[0]);
}

int main(int argc, char **argv)
{
	struct lane lanes[LANE_KINDS];
	uint64_t kills = 0, bad = 0, total = 0;
	double t0, t, next_kill, end;
	int nl = 0, i, k, st, ret;
	pid_t pid;

	parse(argc, argv);
	srandom(cfg.seed);
	/* Ctrl-C or SIGTERM ends the run early: drain, report, remove. */
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	memset(lanes, 0, sizeof(lanes));
	for (k = 0; k < LANE_KINDS; k++) {
		struct lane *l;

		if (!(cfg.lanes & (1U << k)))
			continue;
		l = &lanes[nl++];
		l->kind = k;
		l->producers = k == LANE_EVENTS ? MAX_PROD : 1;
		snprintf(l->name, sizeof(l->name), "soak.%s.%d", lane_names[k],
			 (int)getpid());
		l->led = mmap(NULL, sizeof(*l->led), PROT_READ | PROT_WRITE,
			      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (l->led == MAP_FAILED) {
			perror("soak: mmap");
			return 1;
		}
		ret = lane_create(l);
		if (ret < 0) {
			fprintf(stderr, "soak: create %s: %s\n", l->name,
				byteor_strerror(ret));
			return 1;
		}
	}
	printf("soak: %d lane(s), %s backing, %.0f s, a kill every %u ms, seed %lu\n",
	       nl, cfg.backing == BYTEOR_BACKING_KERNEL ? "kernel" : "user",
	       cfg.seconds, cfg.kill_ms, cfg.seed);
	fflush(stdout);

	t0 = now_s();
	end = t0 + cfg.seconds;
	next_kill = t0 + cfg.kill_ms / 1e3;
	for (i = 0; i < nl; i++) {
		respawn(&lanes[i], true);
		lanes[i].restarts = 0;
		lanes[i].last_progress_t = t0;
	}
	while ((t = now_s()) < end && !interrupted) {
		while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
			reap(lanes, nl, pid, st);
		if (t >= next_kill) {
			struct lane *l = &lanes[random() % nl];
			int role = random() % (l->producers + 1);
			pid_t victim = role == l->producers ? l->cons : l->prod[role];

			if (victim > 0) {
				kill(victim, SIGKILL);
				l->kills++;
				kills++;
			}
			next_kill = t + (cfg.kill_ms / 2 + random() % cfg.kill_ms) / 1e3;
		}
		for (i = 0; i < nl; i++) {
			struct lane *l = &lanes[i];

			if (l->led->progress != l->last_progress) {
				l->last_progress = l->led->progress;
				l->last_progress_t = t;
			} else if (t - l->last_progress_t > 5.0) {
				l->stalls++;
				l->last_progress_t = t;
			}
			respawn(l, true);
		}
		usleep(1000);
	}

	/* Drain: no more kills; producers stop, the consumer catches up. */
	for (i = 0; i < nl; i++)
		lanes[i].led->stop = 1;
	for (i = 0; i < nl; i++) {
		struct lane *l = &lanes[i];
		double quiet;
		uint64_t last;
		int p;

		for (p = 0; p < l->producers; p++) {
			if (l->prod[p] > 0 && waitpid(l->prod[p], &st, 0) == l->prod[p])
				reap(lanes, nl, l->prod[p], st);
		}
		if (!l->cons)
			respawn(l, false);
		last = l->led->progress;
		quiet = now_s();
		while (now_s() - quiet < 1.0) {	/* 1 s without progress: done */
			usleep(20000);
			if (l->led->progress != last) {
				last = l->led->progress;
				quiet = now_s();
			}
		}
		kill_wait(l->cons);
		l->cons = 0;
		tail_losses(l);
		byteor_region_destroy(l->name, cfg.backing, cfg.dir);
	}

	printf("%-8s %12s %7s %8s %5s %11s %7s %6s %6s %6s %6s %7s\n", "lane",
	       "messages", "kills", "restarts", "torn", "redelivered",
	       "lapped", "laps", "lost", "dup", "stalls", "errors");
	for (i = 0; i < nl; i++) {
		struct lane *l = &lanes[i];
		struct lane_ledger *led = l->led;

		printf("%-8s %12" PRIu64 " %7" PRIu64 " %8" PRIu64 " %5" PRIu64
		       " %11" PRIu64 " %7" PRIu64 " %6" PRIu64 " %6" PRIu64
		       " %6" PRIu64 " %6" PRIu64 " %7" PRIu64 "\n",
		       lane_names[l->kind], led->received, l->kills, l->restarts,
		       led->torn, led->redelivered, led->lapped, led->laps,
		       led->lost, led->duplicate, l->stalls, led->errors);
		if (led->errors)
			printf("# %s: last error %d (%s)\n", lane_names[l->kind],
			       led->last_error, led->last_error < 0 ?
			       byteor_strerror(led->last_error) : "role exit status");
		total += led->received;
		bad += led->torn + led->lost + led->duplicate + l->stalls +
		       led->errors;
	}
	printf("soak: %" PRIu64 " messages in %.0f s, %" PRIu64 " kills: %s\n",
	       total, now_s() - t0, kills, bad ? "FAILED" : "ok");
	return bad ? 1 : 0;
}
