// SPDX-License-Identifier: MIT
/*
 * soak - every lane across processes, with roles SIGKILLed at random and
 * restarted, for a set time; then a table of what went through and what
 * went wrong.  `make soak` (SOAK_S=seconds, default 1800).
 *
 *	soak [-t SECONDS] [-k KILL_MS] [-r REATTACH_MS] [-b user|kernel]
 *	     [-d DIR] [-s SEED] [-l ring,events,journal,seq,fanout]
 *	     [-S STALL_SECONDS]
 *
 * Besides the kills, every role of every lane - producers, consumers and
 * subscribers, the sequenced-slots stage, the fanout router - detaches and
 * attaches again in place, while its peers run, every REATTACH_MS (50 on
 * average; 0: never) at a point where its last call returned: the
 * re-attach matrix.  The table's "reattach" counts them; a line per lane
 * gives them per role, and a role that never re-attached in a run long
 * enough for it fails the run.
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
 *  - unprocessed: (sequenced slots) the subscriber read an entry its
 *                 dependency, stage 0, had not stamped yet;
 *  - duplicate:   a message delivered again after its release had
 *                 returned, or twice to the same consumer;
 *  - redelivered: taken by a consumer killed before it released it, and
 *                 delivered again to its successor (documented: a release
 *                 is the consumer's acknowledgement);
 *  - dropped:     documented drops: journal records a subscriber was told
 *                 (-EOVERFLOW) it lost, fanout messages routed while a
 *                 consumer was not a member;
 *  - lost:        any other gap inside one producer incarnation, or a
 *                 message whose publish had returned and that never came;
 *  - stall:       a lane that made no progress for STALL_SECONDS (default
 *                 5) while its roles ran;
 *  - errors:      an errno no lane documents for the call, or a role that
 *                 died of anything but the soak's SIGKILL.
 *
 * Exit status 0 only when torn, unprocessed, duplicate, lost, stalls and
 * errors are all zero.
 */
#include <errno.h>
#include <stddef.h>
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
#define MAX_CONS	2	/* consumers (subscribers) of a lane */
#define MAX_ROLES	6
/*
 * Incarnations of one producer the ledgers hold: a 30-minute run with a
 * kill every ~20 ms may restart one role 180,000 times (8192 once ended the
 * default `make soak` with its producers refusing to start).  parse()
 * refuses a -t and -k that could need more.  The arrays live in shared
 * anonymous memory, touched only as far as the run gets.
 */
#define MAX_INC		(1U << 18)
#define MSG_WORDS	4	/* 32-byte message header */
#define SLOT		64

enum lane_kind {
	LANE_RING, LANE_EVENTS, LANE_JOURNAL, LANE_SEQ, LANE_FANOUT, LANE_KINDS
};
static const char *const lane_names[LANE_KINDS] = {
	"ring", "events", "journal", "seq", "fanout"
};

enum role_kind { ROLE_PROD, ROLE_CONS, ROLE_AUX };	/* AUX: stage 0, router */

/*
 * What one consumer of a lane has seen, per producer incarnation: the next
 * sequence the running consumer expects, the highest any consumer took,
 * and how far they released (each message after the release returned).
 * Lives in shared anonymous memory, so it outlives the consumer processes;
 * a new consumer starts expecting what was not released (consumer_start()).
 */
struct cons_ledger {
	uint64_t next[MAX_PROD][MAX_INC];	/* this incarnation expects */
	uint64_t seen[MAX_PROD][MAX_INC];	/* any incarnation has taken */
	uint64_t rel[MAX_PROD][MAX_INC];	/* released (acknowledged) */
	uint64_t alt[MAX_PROD][MAX_INC];	/* released, if a killed
						 * consumer's last release
						 * went through */
	/*
	 * The batch being released: written before the release call, cleared
	 * after its messages are marked, so a consumer killed in between
	 * leaves its successor knowing which messages may or may not have
	 * been released (journal: and where the checkpoint would be).
	 */
	uint64_t pend[512][3];
	uint64_t pend_ckpt;
	uint32_t pend_n;
	uint64_t dropgen[MAX_PROD][MAX_INC];	/* drops when last taken */
	uint64_t drops;			/* documented drops: journal laps,
					 * fanout re-joins */
	int drop_pending;		/* a drop since the last take */
	uint64_t journal_pos;		/* journal: position after the last
					 * record taken (its checkpoint) */
	uint64_t received, torn, unprocessed, duplicate, redelivered;
	uint64_t dropped, lost, errors;
	uint64_t progress;		/* bumped per batch */
	int last_error;
};

/* The producers' side, and the lane's stop flag. */
struct prod_ledger {
	uint64_t pub[MAX_PROD][MAX_INC];	/* published, after publish */
	uint32_t inc[MAX_PROD];			/* current incarnation */
	uint64_t errors;
	int last_error;
	volatile int stop;
};

struct role {
	enum role_kind kind;
	int index;
	pid_t pid;
};

/*
 * What one role process is doing, for the report on a lane that did not
 * drain: attaching or running, its last non-success return (quiet ones
 * too) and how many calls it made.  Shared memory, one per role slot.
 */
enum role_phase { PH_NONE, PH_ATTACHING, PH_RUNNING };
struct role_state {
	int phase;
	int last_ret;
	uint64_t quiet;		/* -EAGAIN, -ETIMEDOUT, -EPIPE, -EBUSY */
	uint64_t calls;
};

/* The state of the role this process runs (NULL in the supervisor). */
static struct role_state *self;

static void note(int ret)
{
	if (!self)
		return;
	self->calls++;
	if (ret < 0) {
		self->last_ret = ret;
		self->quiet++;
	}
}

struct lane {
	enum lane_kind kind;
	char name[48];
	int producers, consumers, nroles;
	struct role roles[MAX_ROLES];
	struct role_state *rs;		/* [MAX_ROLES], shared */
	uint64_t *ra;			/* [MAX_ROLES], shared: re-attaches
					 * in place, over all incarnations */
	uint64_t calls_at_quiet[MAX_ROLES];
	struct prod_ledger *pl;
	struct cons_ledger *cl[MAX_CONS];
	uint64_t kills, restarts, stalls, role_errors;
	int last_role_error;
	uint64_t last_progress;
	double last_progress_t;
};

static struct {
	enum byteor_backing backing;
	const char *dir;
	double seconds;
	unsigned int kill_ms;
	unsigned int reattach_ms;	/* 0: no re-attach in place */
	unsigned long seed;
	unsigned int lanes;	/* bit per enum lane_kind */
	double stall_s;		/* no progress this long while running: stall */
} cfg = { BYTEOR_BACKING_USER, NULL, 60, 20, 50, 1, (1U << LANE_KINDS) - 1, 5 };

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

static struct byteor_attach_options opts(const struct lane *l, int queue)
{
	struct byteor_attach_options o = {
		.name = l->name, .queue = queue, .backing = cfg.backing,
		.dir = cfg.dir, .timeout_ns = 50 * 1000 * 1000,
	};
	return o;
}

static bool msg_ok(const uint64_t *m, size_t len)
{
	return len >= MSG_WORDS * 8 && m[0] < MAX_PROD && m[1] < MAX_INC &&
	       m[3] == check_word(m[0], m[1], m[2]);
}

/*
 * One message taken by a consumer: classify it.  Called after reading,
 * before the release; next[] moves now, rel[] after the release.
 */
static void take(struct cons_ledger *c, const uint64_t *m, size_t len)
{
	uint64_t p, inc, seq, *next;

	c->received++;
	if (!msg_ok(m, len)) {
		c->torn++;
		return;
	}
	p = m[0];
	inc = m[1];
	seq = m[2];
	next = &c->next[p][inc];
	if (c->alt[p][inc]) {
		/* The first of this incarnation since a death inside a release. */
		if (seq >= c->alt[p][inc]) {
			c->rel[p][inc] = c->alt[p][inc];	/* it went through */
			*next = c->alt[p][inc];
		}
		c->alt[p][inc] = 0;
	}
	if (seq < c->rel[p][inc]) {
		c->duplicate++;		/* released before: never again */
		return;
	}
	if (seq < c->seen[p][inc])
		c->redelivered++;	/* taken, not released, by the dead */
	if (seq > *next) {
		if (c->drop_pending)	/* reported or documented: see above */
			c->dropped += seq - *next;
		else
			c->lost += seq - *next;
	} else if (seq < *next) {
		c->duplicate++;		/* twice to the same consumer */
		return;
	}
	*next = seq + 1;
	if (c->seen[p][inc] < *next)
		c->seen[p][inc] = *next;
	c->drop_pending = 0;
	c->dropgen[p][inc] = c->drops;
}

/* After a release returned: that message is acknowledged. */
static void released(struct cons_ledger *c, const uint64_t *m)
{
	if (m[0] < MAX_PROD && m[1] < MAX_INC && c->rel[m[0]][m[1]] <= m[2])
		c->rel[m[0]][m[1]] = m[2] + 1;
}

/* Before the release call: the batch @m[0..n) is about to be released. */
static void pend_begin(struct cons_ledger *c, uint64_t (*m)[MSG_WORDS],
		       unsigned int n, uint64_t ckpt)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		memcpy(c->pend[i], m[i], sizeof(c->pend[i]));
	c->pend_ckpt = ckpt;
	__atomic_store_n(&c->pend_n, n, __ATOMIC_RELEASE);
}

/* After the release returned: mark the batch released. */
static void pend_commit(struct cons_ledger *c)
{
	unsigned int i;

	for (i = 0; i < c->pend_n; i++)
		released(c, c->pend[i]);
	__atomic_store_n(&c->pend_n, 0, __ATOMIC_RELEASE);
}

/*
 * A consumer starts: it will be handed again what its predecessor took and
 * did not release, so it expects each incarnation from the released mark;
 * where its predecessor died inside a release, from either side of it.
 * Journal: the checkpoint tells whether that release happened.
 */
static void consumer_start(struct lane *l, struct cons_ledger *c)
{
	unsigned int i;
	int p, inc;

	if (c->pend_n && l->kind == LANE_JOURNAL) {
		if (c->journal_pos == c->pend_ckpt)
			pend_commit(c);
		c->pend_n = 0;
	}
	for (i = 0; i < c->pend_n; i++) {
		const uint64_t *m = c->pend[i];

		if (m[0] < MAX_PROD && m[1] < MAX_INC && c->alt[m[0]][m[1]] <= m[2])
			c->alt[m[0]][m[1]] = m[2] + 1;
	}
	c->pend_n = 0;
	/*
	 * Incarnations up to the current one: a later one starts after its
	 * predecessor consumer died, so nobody has taken from it yet.
	 */
	for (p = 0; p < MAX_PROD; p++) {
		uint32_t last = __atomic_load_n(&l->pl->inc[p], __ATOMIC_RELAXED);

		for (inc = 0; inc <= (int)last && inc < (int)MAX_INC; inc++)
			c->next[p][inc] = c->rel[p][inc];
	}
}

/* A documented drop (a journal lap, a fanout re-join): gaps are expected. */
static void drop(struct cons_ledger *c)
{
	c->drops++;
	c->drop_pending = 1;
}

static int quiet_errno(int ret)
{
	return ret == -EAGAIN || ret == -ETIMEDOUT || ret == -EPIPE;
}

static void cons_error(struct cons_ledger *c, int ret)
{
	note(ret);
	if (quiet_errno(ret))
		return;
	c->errors++;
	c->last_error = ret;
}

static void prod_error(struct prod_ledger *pl, int ret)
{
	note(ret);
	if (quiet_errno(ret))
		return;
	pl->errors++;
	pl->last_error = ret;
}

/* Retry an attach while the role is still held by a dying predecessor. */
#define ATTACH(call) ({							\
	int __r;							\
	self->phase = PH_ATTACHING;					\
	while ((__r = (call)) == -EBUSY) {				\
		note(__r);						\
		usleep(1000);						\
	}								\
	if (__r < 0)							\
		_exit(10);						\
	self->phase = PH_RUNNING;					\
	__r;								\
})

/* ---- single ring and events MPSC queue: slots claimed and peeked ------ */

/* The four slot calls of a lane whose slots are struct byteor_slot. */
struct slot_ops {
	int (*claim)(void *h, struct byteor_slot *s, unsigned int n);
	int (*publish)(void *h, const struct byteor_slot *s, unsigned int n);
	int (*peek)(void *h, struct byteor_slot *s, unsigned int n);
	int (*release)(void *h, unsigned int n);
	unsigned int batch;	/* producer batches of 1..batch */
	/* The single ring's spans (NULL elsewhere): batches up to 512. */
	int (*claim_span)(void *h, struct byteor_span *sp, unsigned int n);
	int (*peek_span)(void *h, struct byteor_span *sp, unsigned int n);
	/* Wait until something is published (consumers attach non-blocking). */
	int (*wait)(void *h);
};

static int ring_claim(void *h, struct byteor_slot *s, unsigned int n)
{
	return byteor_single_ring_claim(h, s, n);
}

static int ring_publish(void *h, const struct byteor_slot *s, unsigned int n)
{
	return byteor_single_ring_publish(h, s, n);
}

static int ring_peek(void *h, struct byteor_slot *s, unsigned int n)
{
	return byteor_single_ring_peek(h, s, n);
}

static int ring_release(void *h, unsigned int n)
{
	return byteor_single_ring_release(h, n);
}

static int events_claim(void *h, struct byteor_slot *s, unsigned int n)
{
	return byteor_events_claim(h, s, n);
}

static int events_publish(void *h, const struct byteor_slot *s, unsigned int n)
{
	return byteor_events_publish(h, s, n);
}

static int events_peek(void *h, struct byteor_slot *s, unsigned int n)
{
	return byteor_events_peek(h, s, n);
}

static int events_release(void *h, unsigned int n)
{
	return byteor_events_release(h, n);
}

static int ring_claim_span(void *h, struct byteor_span *sp, unsigned int n)
{
	return byteor_single_ring_claim_span(h, sp, n);
}

static int ring_peek_span(void *h, struct byteor_span *sp, unsigned int n)
{
	return byteor_single_ring_peek_span(h, sp, n);
}

static int ring_wait(void *h)
{
	struct byteor_slot s;

	return byteor_single_ring_peek_timed(h, &s, 1, 50 * 1000 * 1000);
}

static int events_wait(void *h)
{
	struct byteor_slot s;

	return byteor_events_peek_timed(h, &s, 1, 50 * 1000 * 1000);
}

/* Consumers of slot lanes attach non-blocking: they wait in ops->wait. */
static struct byteor_attach_options nb_opts(const struct lane *l)
{
	struct byteor_attach_options o = opts(l, 0);

	o.timeout_ns = 0;
	return o;
}

static const struct slot_ops ring_ops = {
	ring_claim, ring_publish, ring_peek, ring_release, 64,
	ring_claim_span, ring_peek_span, ring_wait,
};
static const struct slot_ops events_ops = {
	events_claim, events_publish, events_peek, events_release, 16,
	NULL, NULL, events_wait,
};

/* ---- re-attach in place: every role of every lane ------------------------- */

/* This role's count in its lane's ra[] (NULL in the supervisor). */
static uint64_t *self_ra;
static double next_reattach;

static double reattach_gap(void)
{
	return (cfg.reattach_ms / 2 + random() % cfg.reattach_ms) / 1e3;
}

/*
 * Time for this role to detach and attach again (every -r ms on average)?
 * Asked where the role's last call returned: nothing is half-done.
 */
static bool reattach_due(void)
{
	double t;

	if (!cfg.reattach_ms)
		return false;
	t = now_s();
	if (t < next_reattach)
		return false;
	next_reattach = t + reattach_gap();
	return true;
}

/*
 * Detach @h and attach again as the same role (@k, index @idx) of @l, in
 * this process, while the peers run; the same producer incarnation goes on
 * numbering its messages, so the ledger sees any loss or duplicate the
 * re-attach causes.  A journal subscriber resumes from its checkpoint; a
 * fanout consumer re-joins at the router's position (documented drop).
 */
static void *role_reattach(struct lane *l, enum role_kind k, unsigned int idx,
			   void *h)
{
	struct byteor_attach_options o = opts(l, 0);
	struct byteor_fanout_router_options ro = { .mode = BYTEOR_FANOUT_BROADCAST };
	void *n = NULL;

	switch (l->kind) {
	case LANE_RING:
		byteor_single_ring_detach(h);
		if (k == ROLE_CONS)
			o = nb_opts(l);
		ATTACH(byteor_attach_single_ring(&o, k == ROLE_PROD ?
				BYTEOR_ROLE_PRODUCER : BYTEOR_ROLE_CONSUMER,
				(struct byteor_single_ring **)&n));
		break;
	case LANE_EVENTS:
		byteor_events_detach(h);
		if (k == ROLE_PROD) {
			ATTACH(byteor_attach_events_mpsc_tx(&o, (struct byteor_events **)&n));
		} else {
			o = nb_opts(l);
			ATTACH(byteor_attach_events_mpsc_rx(&o, (struct byteor_events **)&n));
		}
		break;
	case LANE_JOURNAL:
		byteor_journal_detach(h);
		if (k == ROLE_PROD)
			ATTACH(byteor_attach_journal_publisher(&o,
					(struct byteor_journal **)&n));
		else
			ATTACH(byteor_attach_journal_subscriber_from(&o,
					l->cl[idx]->journal_pos,
					(struct byteor_journal **)&n));
		break;
	case LANE_SEQ:
		byteor_sequenced_slots_detach(h);
		o = opts(l, k == ROLE_CONS ? 1 : 0);
		ATTACH(byteor_attach_sequenced_slots_region(&o,
				k == ROLE_PROD ? BYTEOR_ROLE_PRODUCER :
				k == ROLE_CONS ? BYTEOR_SEQUENCED_SLOTS_SUBSCRIBER :
				BYTEOR_ROLE_CONSUMER,
				(struct byteor_sequenced_slots **)&n));
		break;
	default:
		byteor_fanout_detach(h);
		if (k == ROLE_PROD) {
			ATTACH(byteor_attach_fanout_tx(&o, (struct byteor_fanout **)&n));
		} else if (k == ROLE_CONS) {
			o = opts(l, idx);
			ATTACH(byteor_attach_fanout_rx(&o, (struct byteor_fanout **)&n));
			drop(l->cl[idx]);
		} else {
			ATTACH(byteor_attach_fanout_router(&o, &ro,
					(struct byteor_fanout **)&n));
		}
		break;
	}
	(*self_ra)++;
	return n;
}

/* Claim: as descriptors in @s, or (spans) as one span copied into @s. */
static int slot_claim(const struct slot_ops *ops, void *h, struct byteor_slot *s,
		      bool *span)
{
	struct byteor_span sp;
	int n, i;

	*span = ops->claim_span && random() % 4 == 0;
	if (!*span)
		return ops->claim(h, s, 1 + random() % ops->batch);
	n = ops->claim_span(h, &sp, 1 + random() % 512);
	for (i = 0; i < n; i++) {
		s[i].data = byteor_span_at(&sp, i);
		s[i].len = sp.slot_size;
	}
	return n;
}

static int slot_peek(const struct slot_ops *ops, void *h, struct byteor_slot *s)
{
	struct byteor_span sp;
	int n, i;

	if (!ops->peek_span || random() % 4)
		return ops->peek(h, s, random() % 4 ? 1 + random() % 64 : 1);
	n = ops->peek_span(h, &sp, 1 + random() % 512);
	for (i = 0; i < n; i++) {
		s[i].data = byteor_span_at(&sp, i);
		s[i].len = byteor_span_len(&sp, i);
	}
	return n;
}

/* Returns the handle it ends with (re-attaches replace it). */
static void *slot_producer(struct lane *l, const struct slot_ops *ops, void *h,
			   unsigned int p, uint32_t inc)
{
	struct prod_ledger *pl = l->pl;
	struct byteor_slot s[512];
	uint64_t seq = 0;
	bool span;
	int n, i, ret;

	while (!pl->stop) {
		n = slot_claim(ops, h, s, &span);
		if (n < 0) {
			prod_error(pl, n);
			continue;
		}
		for (i = 0; i < n; i++) {
			fill(s[i].data, p, inc, seq + i);
			s[i].len = MSG_WORDS * 8;
		}
		/* A span publishes whole slots: no descriptors to read. */
		ret = ops->publish(h, span ? NULL : s, n);
		if (ret < 0) {
			prod_error(pl, ret);
			continue;
		}
		seq += n;
		pl->pub[p][inc] = seq;
		if (reattach_due())
			h = role_reattach(l, ROLE_PROD, p, h);
	}
	return h;
}

/*
 * Peek and release only: recv() releases inside the call, so a consumer
 * killed after it returned loses that message by its own choice of API,
 * which the ledger could not tell from a lane's loss.  Batches of 1..64
 * descriptors, one slot at a time now and then (the single ring's tag
 * path), spans of up to 512 slots; and when the lane looks drained, now
 * and then a re-attach in place (the window in which in-slot tags may be
 * ahead of the producer's position).
 */
static void slot_consumer(struct lane *l, const struct slot_ops *ops, void *h,
			  unsigned int ci)
{
	struct cons_ledger *c = l->cl[ci];
	static uint64_t last[512][MSG_WORDS];
	struct byteor_slot s[512];
	int n, i, ret;

	for (;;) {
		n = slot_peek(ops, h, s);
		if (n == -EAGAIN) {
			note(n);
			/* Looks drained: re-attach now and then, else wait. */
			if (random() % 8 == 0)
				h = role_reattach(l, ROLE_CONS, ci, h);
			else
				ops->wait(h);
			continue;
		}
		if (n < 0) {
			cons_error(c, n);
			continue;
		}
		for (i = 0; i < n; i++) {
			take(c, s[i].data, s[i].len);
			memcpy(last[i], s[i].data, sizeof(last[i]));
		}
		pend_begin(c, last, n, 0);
		ret = ops->release(h, n);
		if (ret < 0) {
			c->pend_n = 0;
			cons_error(c, ret);
			continue;
		}
		pend_commit(c);		/* may span producers, incarnations */
		c->progress++;
		if (reattach_due())
			h = role_reattach(l, ROLE_CONS, ci, h);
	}
}

static void ring_producer(struct lane *l, unsigned int p, uint32_t inc)
{
	struct byteor_attach_options o = opts(l, 0);
	struct byteor_single_ring *r;

	ATTACH(byteor_attach_single_ring(&o, BYTEOR_ROLE_PRODUCER, &r));
	byteor_single_ring_detach(slot_producer(l, &ring_ops, r, p, inc));
	_exit(0);
}

static void ring_consumer(struct lane *l, unsigned int ci)
{
	struct byteor_attach_options o = nb_opts(l);
	struct byteor_single_ring *r;

	ATTACH(byteor_attach_single_ring(&o, BYTEOR_ROLE_CONSUMER, &r));
	slot_consumer(l, &ring_ops, r, ci);
}

static void events_producer(struct lane *l, unsigned int p, uint32_t inc)
{
	struct byteor_attach_options o = opts(l, 0);
	struct byteor_events *e;

	ATTACH(byteor_attach_events_mpsc_tx(&o, &e));
	byteor_events_detach(slot_producer(l, &events_ops, e, p, inc));
	_exit(0);
}

static void events_consumer(struct lane *l, unsigned int ci)
{
	struct byteor_attach_options o = nb_opts(l);
	struct byteor_events *e;

	ATTACH(byteor_attach_events_mpsc_rx(&o, &e));
	slot_consumer(l, &events_ops, e, ci);
}

/* ---- journal ----------------------------------------------------------------- */

static void journal_producer(struct lane *l, unsigned int p, uint32_t inc)
{
	struct byteor_attach_options o = opts(l, 0);
	struct prod_ledger *pl = l->pl;
	struct byteor_journal *j;
	uint64_t m[MSG_WORDS + 8] = { 0 };
	uint64_t seq = 0;
	int ret;

	ATTACH(byteor_attach_journal_publisher(&o, &j));
	while (!pl->stop) {
		fill(m, p, inc, seq);
		ret = byteor_journal_append(j, 1, m, 8 * (MSG_WORDS + random() % 8),
					    NULL);
		if (ret < 0) {
			prod_error(pl, ret);
			continue;
		}
		pl->pub[p][inc] = ++seq;
		if (seq % 64 == 0)
			usleep(50);	/* do not lap a live subscriber at once */
		if (reattach_due())
			j = role_reattach(l, ROLE_PROD, p, j);
	}
	byteor_journal_detach(j);
	_exit(0);
}

static void journal_consumer(struct lane *l, unsigned int ci)
{
	struct byteor_attach_options o = opts(l, 0);
	struct cons_ledger *c = l->cl[ci];
	struct byteor_journal_record rec;
	uint64_t buf[MSG_WORDS + 8];
	struct byteor_journal *j;
	int ret;

	/*
	 * Resume after the last record taken, its checkpoint; the first
	 * subscriber from position 0, so it owes nothing to start-up order.
	 */
	ret = byteor_attach_journal_subscriber_from(&o, c->journal_pos, &j);
	if (ret < 0)
		_exit(15);
	for (;;) {
		ret = byteor_journal_read(j, buf, sizeof(buf), &rec);
		if (ret == -EOVERFLOW) {
			drop(c);	/* lapped: [pos, next) is gone, and said so */
			continue;
		}
		if (ret < 0) {
			cons_error(c, ret);
			continue;
		}
		take(c, buf, ret);
		pend_begin(c, (uint64_t (*)[MSG_WORDS])buf, 1, rec.next);
		c->journal_pos = rec.next;	/* the checkpoint is its release */
		pend_commit(c);
		c->progress++;
		if (reattach_due())
			j = role_reattach(l, ROLE_CONS, ci, j);
	}
}

/* ---- sequenced slots: producer -> stage 0 -> subscriber 1 ---------------- */

/* Stage 0 stamps this word of an entry; the subscriber checks it. */
static uint64_t stamp(const uint64_t *m)
{
	return ~m[3];
}

static void seq_producer(struct lane *l, unsigned int p, uint32_t inc)
{
	struct byteor_attach_options o = opts(l, 0);
	struct prod_ledger *pl = l->pl;
	struct byteor_sequenced_slots *h;
	uint64_t seq = 0;
	__u64 first;
	int n, i, ret;

	ATTACH(byteor_attach_sequenced_slots_region(&o, BYTEOR_ROLE_PRODUCER, &h));
	while (!pl->stop) {
		n = 1 + random() % 32;
		ret = byteor_sequenced_slots_producer_claim(h, n, &first);
		if (ret < 0) {
			prod_error(pl, ret);
			continue;
		}
		for (i = 0; i < n; i++) {
			uint64_t *m = byteor_sequenced_slots_entry(h, first + i);

			fill(m, p, inc, seq + i);
			m[MSG_WORDS] = 0;	/* stage 0 has not been here */
		}
		ret = byteor_sequenced_slots_producer_publish(h, n);
		if (ret < 0) {
			prod_error(pl, ret);
			continue;
		}
		seq += n;
		pl->pub[p][inc] = seq;
		if (reattach_due())
			h = role_reattach(l, ROLE_PROD, p, h);
	}
	byteor_sequenced_slots_detach(h);
	_exit(0);
}

static void seq_stage(struct lane *l)
{
	struct byteor_attach_options o = opts(l, 0);
	struct byteor_sequenced_slots *h;
	__u64 first;
	int n, i;

	ATTACH(byteor_attach_sequenced_slots_region(&o, BYTEOR_ROLE_CONSUMER, &h));
	for (;;) {
		n = byteor_sequenced_slots_stage_wait(h, 1 + random() % 64, &first);
		if (n < 0) {
			cons_error(l->cl[0], n);
			continue;
		}
		for (i = 0; i < n; i++) {
			uint64_t *m = byteor_sequenced_slots_entry(h, first + i);

			m[MSG_WORDS] = stamp(m);	/* idempotent: redo is fine */
		}
		byteor_sequenced_slots_stage_advance(h, n);
		if (reattach_due())
			h = role_reattach(l, ROLE_AUX, 0, h);
	}
}

static void seq_subscriber(struct lane *l, unsigned int ci)
{
	struct byteor_attach_options o = opts(l, 1);
	struct cons_ledger *c = l->cl[ci];
	struct byteor_sequenced_slots *h;
	uint64_t last[64][MSG_WORDS];
	__u64 first;
	int n, i, ret;

	ATTACH(byteor_attach_sequenced_slots_region(&o,
			BYTEOR_SEQUENCED_SLOTS_SUBSCRIBER, &h));
	for (;;) {
		n = byteor_sequenced_slots_subscriber_wait(h, 1 + random() % 64, &first);
		if (n < 0) {
			cons_error(c, n);
			continue;
		}
		for (i = 0; i < n; i++) {
			const uint64_t *m = byteor_sequenced_slots_entry_ro(h, first + i);

			memcpy(last[i], m, sizeof(last[i]));
			/* Read before its dependency finished with it? */
			if (msg_ok(m, SLOT) && m[MSG_WORDS] != stamp(m))
				c->unprocessed++;
			take(c, m, SLOT);
		}
		pend_begin(c, last, n, 0);
		ret = byteor_sequenced_slots_subscriber_advance(h, n);
		if (ret < 0) {
			c->pend_n = 0;
			cons_error(c, ret);
			continue;
		}
		pend_commit(c);
		c->progress++;
		if (reattach_due())
			h = role_reattach(l, ROLE_CONS, ci, h);
	}
}

/* ---- fanout: producer -> router (broadcast) -> consumers 0 and 1 -------- */

static void fanout_producer(struct lane *l, unsigned int p, uint32_t inc)
{
	struct byteor_attach_options o = opts(l, 0);
	struct prod_ledger *pl = l->pl;
	struct byteor_fanout_slot s[16];
	struct byteor_fanout *f;
	uint64_t seq = 0;
	int n, i, ret;

	ATTACH(byteor_attach_fanout_tx(&o, &f));
	while (!pl->stop) {
		n = byteor_fanout_claim(f, s, 1 + random() % 16);
		if (n < 0) {
			prod_error(pl, n);
			continue;
		}
		for (i = 0; i < n; i++) {
			fill(s[i].data, p, inc, seq + i);
			s[i].len = MSG_WORDS * 8;
			s[i].key = seq + i;
		}
		ret = byteor_fanout_publish(f, s, n);
		if (ret < 0) {
			prod_error(pl, ret);
			continue;
		}
		seq += n;
		pl->pub[p][inc] = seq;
		if (reattach_due())
			f = role_reattach(l, ROLE_PROD, p, f);
	}
	byteor_fanout_detach(f);
	_exit(0);
}

static void fanout_router(struct lane *l)
{
	struct byteor_attach_options o = opts(l, 0);
	struct byteor_fanout_router_options ro = { .mode = BYTEOR_FANOUT_BROADCAST };
	struct byteor_fanout *f;
	int ret;

	ATTACH(byteor_attach_fanout_router(&o, &ro, &f));
	for (;;) {
		ret = byteor_fanout_route(f, 256);
		if (ret < 0)
			cons_error(l->cl[0], ret);
		if (reattach_due())
			f = role_reattach(l, ROLE_AUX, 0, f);
	}
}

static void fanout_consumer(struct lane *l, unsigned int ci)
{
	struct byteor_attach_options o = opts(l, ci);
	struct cons_ledger *c = l->cl[ci];
	struct byteor_fanout_msg m[64];
	uint64_t last[64][MSG_WORDS];
	struct byteor_fanout *f;
	int n, i, ret;

	ATTACH(byteor_attach_fanout_rx(&o, &f));
	/*
	 * Documented: a re-joining consumer starts at the router's position;
	 * what was routed to its predecessor and not released is dropped.
	 */
	drop(c);
	for (;;) {
		n = byteor_fanout_peek(f, m, 1 + random() % 64);
		if (n < 0) {
			cons_error(c, n);
			continue;
		}
		for (i = 0; i < n; i++) {
			take(c, m[i].data, m[i].len);
			memcpy(last[i], m[i].data, sizeof(last[i]));
		}
		pend_begin(c, last, n, 0);
		ret = byteor_fanout_release(f, n);
		if (ret < 0) {
			c->pend_n = 0;
			cons_error(c, ret);
			continue;
		}
		pend_commit(c);
		c->progress++;
		if (reattach_due())
			f = role_reattach(l, ROLE_CONS, ci, f);
	}
}

/* ---- supervisor ------------------------------------------------------------- */

static uint64_t lane_reattaches(const struct lane *l)
{
	uint64_t v = 0;
	int r;

	for (r = 0; r < l->nroles; r++)
		v += l->ra[r];
	return v;
}

static void prctl_parent_death(void)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)
		_exit(0);
}

static void run_role(struct lane *l, const struct role *r)
{
	uint32_t inc;

	if (r->kind == ROLE_PROD) {
		inc = ++l->pl->inc[r->index];
		if (inc >= MAX_INC)
			_exit(20);
		switch (l->kind) {
		case LANE_RING: ring_producer(l, r->index, inc); break;
		case LANE_EVENTS: events_producer(l, r->index, inc); break;
		case LANE_JOURNAL: journal_producer(l, r->index, inc); break;
		case LANE_SEQ: seq_producer(l, r->index, inc); break;
		default: fanout_producer(l, r->index, inc); break;
		}
	} else if (r->kind == ROLE_CONS) {
		consumer_start(l, l->cl[r->index]);
		switch (l->kind) {
		case LANE_RING: ring_consumer(l, r->index); break;
		case LANE_EVENTS: events_consumer(l, r->index); break;
		case LANE_JOURNAL: journal_consumer(l, r->index); break;
		case LANE_SEQ: seq_subscriber(l, r->index); break;
		default: fanout_consumer(l, r->index); break;
		}
	} else if (l->kind == LANE_SEQ) {
		seq_stage(l);
	} else {
		fanout_router(l);
	}
	_exit(0);
}

static pid_t spawn(struct lane *l, const struct role *r)
{
	pid_t pid = fork();

	if (pid)
		return pid;
	signal(SIGINT, SIG_IGN);	/* a Ctrl-C is for the supervisor */
	signal(SIGTERM, SIG_DFL);
	srandom(cfg.seed * 7919 + getpid());
	self = &l->rs[r - l->roles];
	memset(self, 0, sizeof(*self));
	self_ra = &l->ra[r - l->roles];
	if (cfg.reattach_ms)
		next_reattach = now_s() + reattach_gap();
	prctl_parent_death();
	run_role(l, r);
	_exit(0);
}

static void *shared(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("soak: mmap");
		exit(1);
	}
	return p;
}

static void lane_setup(struct lane *l, enum lane_kind kind)
{
	int i;

	l->kind = kind;
	l->producers = kind == LANE_EVENTS ? MAX_PROD : 1;
	l->consumers = kind == LANE_FANOUT ? MAX_CONS : 1;
	snprintf(l->name, sizeof(l->name), "soak.%s.%d", lane_names[kind],
		 (int)getpid());
	l->pl = shared(sizeof(*l->pl));
	l->rs = shared(MAX_ROLES * sizeof(*l->rs));
	l->ra = shared(MAX_ROLES * sizeof(*l->ra));
	for (i = 0; i < l->consumers; i++)
		l->cl[i] = shared(sizeof(*l->cl[i]));
	for (i = 0; i < l->producers; i++)
		l->roles[l->nroles++] = (struct role){ ROLE_PROD, i, 0 };
	for (i = 0; i < l->consumers; i++)
		l->roles[l->nroles++] = (struct role){ ROLE_CONS, i, 0 };
	if (kind == LANE_SEQ || kind == LANE_FANOUT)
		l->roles[l->nroles++] = (struct role){ ROLE_AUX, 0, 0 };
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
	ro.geometry.slot_size = SLOT;
	ro.geometry.capacity = 1024;
	ro.geometry.queues = 1;
	ro.geometry.producers = 1;
	switch (l->kind) {
	case LANE_RING:
		ro.kind = BYTEOR_KIND_SINGLE_RING;
		break;
	case LANE_JOURNAL:
		ro.kind = BYTEOR_KIND_JOURNAL;
		ro.geometry.slot_size = 256;		/* max record */
		ro.geometry.capacity = 1U << 20;	/* record area bytes */
		break;
	case LANE_SEQ:
		ro.kind = BYTEOR_KIND_SEQUENCED_SLOTS;
		ro.geometry.queues = 2;			/* stage 0 -> stage 1 */
		ro.geometry.stage_deps[1] = 1U << 0;
		break;
	default:
		ro.kind = BYTEOR_KIND_FANOUT;
		ro.geometry.queues = MAX_CONS;
		break;
	}
	return byteor_region_create(&ro, NULL);
}

static struct role *role_of(struct lane *lanes, int nl, pid_t pid,
			    struct lane **lp)
{
	int i, r;

	for (i = 0; i < nl; i++) {
		for (r = 0; r < lanes[i].nroles; r++) {
			if (lanes[i].roles[r].pid == pid) {
				*lp = &lanes[i];
				return &lanes[i].roles[r];
			}
		}
	}
	return NULL;
}

static void reap(struct lane *lanes, int nl, pid_t pid, int st)
{
	struct lane *l;
	struct role *r = role_of(lanes, nl, pid, &l);

	if (!r)
		return;
	r->pid = 0;
	if ((WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) ||
	    (WIFEXITED(st) && WEXITSTATUS(st) == 0))
		return;
	/* A role that died of anything but our SIGKILL is a failure. */
	l->role_errors++;
	l->last_role_error = WIFEXITED(st) ? WEXITSTATUS(st) :
		-WTERMSIG(st);
}

/* Reap every role that has ended, of any lane: its slot is free again. */
static void reap_all(struct lane *lanes, int nl)
{
	pid_t pid;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
		reap(lanes, nl, pid, st);
}

/* Start whatever role of @l is not running (producers unless @no_prod). */
static void respawn(struct lane *l, bool no_prod)
{
	int r;

	for (r = 0; r < l->nroles; r++) {
		if (l->roles[r].pid || (no_prod && l->roles[r].kind == ROLE_PROD))
			continue;
		l->roles[r].pid = spawn(l, &l->roles[r]);
		l->restarts++;
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

/* After the run: published, never taken by consumer @c. */
static void tail_losses(struct lane *l, struct cons_ledger *c)
{
	uint32_t inc;
	int p;

	for (p = 0; p < l->producers; p++) {
		for (inc = 1; inc <= l->pl->inc[p] && inc < MAX_INC; inc++) {
			uint64_t miss;

			uint64_t got = c->next[p][inc];

			if (got < c->alt[p][inc])	/* a release went through */
				got = c->alt[p][inc];
			if (l->pl->pub[p][inc] <= got)
				continue;
			miss = l->pl->pub[p][inc] - got;
			/* Taken by a consumer killed before releasing: lost too. */
			if (c->drops > c->dropgen[p][inc])
				c->dropped += miss;	/* a later drop took them */
			else
				c->lost += miss;
		}
	}
}

/*
 * Has every consumer of @l taken all that every producer published?  What a
 * documented drop (a journal lap, a fanout re-join) may have taken after a
 * consumer's last message of an incarnation is not waited for: it may never
 * come, and tail_losses() counts it dropped either way.
 */
static bool caught_up(const struct lane *l)
{
	uint32_t inc;
	int p, r;

	for (r = 0; r < l->consumers; r++) {
		const struct cons_ledger *c = l->cl[r];

		for (p = 0; p < l->producers; p++)
			for (inc = 1; inc <= l->pl->inc[p] && inc < MAX_INC; inc++)
				if (l->pl->pub[p][inc] > c->next[p][inc] &&
				    l->pl->pub[p][inc] > c->alt[p][inc] &&
				    !(c->drops > c->dropgen[p][inc]))
					return false;
	}
	return true;
}

static uint64_t lane_sum(const struct lane *l, size_t off)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < l->consumers; i++)
		v += *(const uint64_t *)((const char *)l->cl[i] + off);
	return v;
}

static uint64_t lane_progress(const struct lane *l)
{
	return lane_sum(l, offsetof(struct cons_ledger, progress));
}

/* The lane made progress: each role's calls from here on are "while quiet". */
static void mark_quiet(struct lane *l)
{
	int r;

	for (r = 0; r < l->nroles; r++)
		l->calls_at_quiet[r] = l->rs[r].calls;
}

static const char *role_name(const struct lane *l, const struct role *r)
{
	if (r->kind == ROLE_PROD)
		return "producer";
	if (r->kind == ROLE_CONS)
		return l->kind == LANE_JOURNAL || l->kind == LANE_SEQ ?
			"subscriber" : "consumer";
	return l->kind == LANE_SEQ ? "stage" : "router";
}

/* /proc/PID/stat's state letter and /proc/PID/wchan: where a role sits. */
static void proc_where(pid_t pid, char *state, char *wchan, size_t len)
{
	char path[64], buf[512], *p;
	FILE *f;

	*state = '?';
	snprintf(wchan, len, "?");
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (f) {
		if (fgets(buf, sizeof(buf), f)) {
			p = strrchr(buf, ')');
			if (p && p[1] == ' ')
				*state = p[2];
		}
		fclose(f);
	}
	snprintf(path, sizeof(path), "/proc/%d/wchan", (int)pid);
	f = fopen(path, "r");
	if (f) {
		if (!fgets(wchan, len, f))
			snprintf(wchan, len, "?");
		fclose(f);
	}
}

/*
 * A lane that did not drain: what each role was doing (attaching or
 * running, where it sleeps, its last non-success return and how many of
 * them since the lane last made progress) and what each consumer still
 * owes, per producer incarnation.  Comment lines, before the table.
 */
static void stuck_report(const struct lane *l)
{
	static const char *const phases[] = { "not started", "attaching", "running" };
	int r, p, shown = 0;
	uint32_t inc;

	printf("# %s: not drained after %.0f s without progress\n",
	       lane_names[l->kind], cfg.stall_s);
	for (r = 0; r < l->nroles; r++) {
		const struct role *ro = &l->roles[r];
		const struct role_state *st = &l->rs[r];
		char state, wchan[64];

		proc_where(ro->pid, &state, wchan, sizeof(wchan));
		printf("#   %s %d: pid %d (%c %s), %s, last return %d (%s), "
		       "%" PRIu64 " such returns, %" PRIu64 " while quiet\n",
		       role_name(l, ro), ro->index, (int)ro->pid, state, wchan,
		       phases[st->phase], st->last_ret,
		       st->last_ret ? byteor_strerror(st->last_ret) : "none",
		       st->quiet, st->calls - l->calls_at_quiet[r]);
	}
	for (r = 0; r < l->consumers; r++) {
		const struct cons_ledger *c = l->cl[r];

		for (p = 0; p < l->producers; p++) {
			for (inc = 1; inc <= l->pl->inc[p] && inc < MAX_INC; inc++) {
				if (l->pl->pub[p][inc] <= c->next[p][inc] ||
				    l->pl->pub[p][inc] <= c->alt[p][inc])
					continue;
				if (shown++ == 6)
					printf("#   ...\n");
				if (shown > 6)
					continue;
				printf("#   consumer %d owes producer %d incarnation %u: "
				       "published %" PRIu64 ", next %" PRIu64
				       ", seen %" PRIu64 ", released %" PRIu64
				       ", alt %" PRIu64 ", drops %" PRIu64 "/%" PRIu64 "\n",
				       r, p, inc, l->pl->pub[p][inc], c->next[p][inc],
				       c->seen[p][inc], c->rel[p][inc], c->alt[p][inc],
				       c->dropgen[p][inc], c->drops);
			}
		}
	}
	fflush(stdout);
}

/*
 * The re-attach matrix, a line per lane: re-attaches in place per role.
 * A role that never re-attached, in a run of at least 20 mean intervals,
 * is a failure (its path went untested).  Returns the number of those.
 */
static uint64_t reattach_report(const struct lane *lanes, int nl, double secs)
{
	bool judged = cfg.reattach_ms && secs * 1000.0 >= 20.0 * cfg.reattach_ms;
	uint64_t missing = 0;
	int i, r;

	if (!cfg.reattach_ms)
		return 0;
	for (i = 0; i < nl; i++) {
		const struct lane *l = &lanes[i];

		printf("# reattach %-8s", lane_names[l->kind]);
		for (r = 0; r < l->nroles; r++) {
			printf("%s %s %d %" PRIu64, r ? "," : "",
			       role_name(l, &l->roles[r]), l->roles[r].index,
			       l->ra[r]);
			if (judged && !l->ra[r])
				missing++;
		}
		printf("\n");
	}
	if (missing)
		printf("# %" PRIu64 " role(s) never re-attached in place\n", missing);
	return missing;
}

static void usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [-t SECONDS] [-k KILL_MS] [-r REATTACH_MS] [-b user|kernel]\n"
		"          [-d DIR] [-s SEED] [-l ring,events,journal,seq,fanout] [-S STALL_S]\n"
		"  every lane across processes, a random role SIGKILLed and\n"
		"  restarted every KILL_MS (default 20) ms for SECONDS (default 60),\n"
		"  every role re-attaching in place every REATTACH_MS (default 50; 0 never)\n",
		argv0);
	exit(2);
}

static void parse(int argc, char **argv)
{
	int c, k;

	while ((c = getopt(argc, argv, "t:k:r:b:d:s:l:S:h")) != -1) {
		switch (c) {
		case 'S': cfg.stall_s = atof(optarg); break;
		case 't': cfg.seconds = atof(optarg); break;
		case 'k': cfg.kill_ms = atoi(optarg); break;
		case 'r': cfg.reattach_ms = atoi(optarg); break;
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
	if (cfg.seconds <= 0 || !cfg.kill_ms || cfg.stall_s <= 0)
		usage(argv[0]);
	/* Kills come at least kill_ms / 2 apart: the most one role can get. */
	if (cfg.seconds * 2000.0 / cfg.kill_ms + 2 >= MAX_INC) {
		fprintf(stderr,
			"soak: -t %.0f with a kill every ~%u ms may restart one producer %.0f times; the ledger holds %u: a longer -k or a shorter -t\n",
			cfg.seconds, cfg.kill_ms, cfg.seconds * 2000.0 / cfg.kill_ms,
			MAX_INC);
		exit(2);
	}
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
		lane_setup(l, k);
		ret = lane_create(l);
		if (ret < 0) {
			fprintf(stderr, "soak: create %s: %s\n", l->name,
				byteor_strerror(ret));
			return 1;
		}
	}
	printf("soak: %d lane(s), %s backing, %.0f s, a kill every ~%u ms, seed %lu\n",
	       nl, cfg.backing == BYTEOR_BACKING_KERNEL ? "kernel" : "user",
	       cfg.seconds, cfg.kill_ms, cfg.seed);
	fflush(stdout);

	t0 = now_s();
	end = t0 + cfg.seconds;
	next_kill = t0 + cfg.kill_ms / 1e3;
	for (i = 0; i < nl; i++) {
		respawn(&lanes[i], false);
		lanes[i].restarts = 0;
		lanes[i].last_progress_t = t0;
	}
	while ((t = now_s()) < end && !interrupted) {
		reap_all(lanes, nl);
		if (t >= next_kill) {
			struct lane *l = &lanes[random() % nl];
			struct role *r = &l->roles[random() % l->nroles];

			if (r->pid > 0) {
				kill(r->pid, SIGKILL);
				l->kills++;
				kills++;
			}
			next_kill = t + (cfg.kill_ms / 2 + random() % cfg.kill_ms) / 1e3;
		}
		for (i = 0; i < nl; i++) {
			struct lane *l = &lanes[i];
			uint64_t p = lane_progress(l);

			if (p != l->last_progress) {
				l->last_progress = p;
				l->last_progress_t = t;
			} else if (t - l->last_progress_t > cfg.stall_s) {
				l->stalls++;
				l->last_progress_t = t;
			}
			respawn(l, false);
		}
		usleep(1000);
	}

	/*
	 * The last kill: one consumer, stage or router of every lane, so each
	 * run ends with a role to restart in the drain (a kill in the last
	 * turn of the loop above was once never restarted, and its lane
	 * "lost" what it had not taken).
	 */
	if (!interrupted) {
		for (i = 0; i < nl; i++) {
			struct lane *l = &lanes[i];
			struct role *r = &l->roles[l->producers +
				random() % (l->nroles - l->producers)];

			if (r->pid > 0) {
				kill(r->pid, SIGKILL);
				l->kills++;
				kills++;
			}
		}
	}

	/* Drain: no more kills; producers stop, the consumers catch up. */
	for (i = 0; i < nl; i++)
		lanes[i].pl->stop = 1;
	for (i = 0; i < nl; i++) {
		struct lane *l = &lanes[i];
		double quiet;
		uint64_t last;
		int r;

		for (r = 0; r < l->nroles; r++) {
			pid = l->roles[r].pid;
			if (l->roles[r].kind == ROLE_PROD && pid > 0 &&
			    waitpid(pid, &st, 0) == pid)
				reap(lanes, nl, pid, st);
		}
		reap_all(lanes, nl);
		respawn(l, true);
		last = lane_progress(l);
		quiet = now_s();
		mark_quiet(l);
		/*
		 * Done when every consumer has everything published (but
		 * what a documented drop took), or after the stall time (-S)
		 * without progress: the soak's own measure of a stuck lane.
		 * Not less: in a loaded TCG guest a respawned consumer or
		 * router takes seconds to start, attach and be admitted, and
		 * what it has not taken by the end counts as lost.  A lane
		 * that does not drain gets stuck_report().
		 */
		while (!caught_up(l) && now_s() - quiet < cfg.stall_s) {
			usleep(20000);
			/* A role of this lane that ends now is restarted too. */
			reap_all(lanes, nl);
			respawn(l, true);
			if (lane_progress(l) != last) {
				last = lane_progress(l);
				quiet = now_s();
				mark_quiet(l);
			}
		}
		if (!caught_up(l))
			stuck_report(l);
		for (r = 0; r < l->nroles; r++) {
			kill_wait(l->roles[r].pid);
			l->roles[r].pid = 0;
		}
		for (r = 0; r < l->consumers; r++)
			tail_losses(l, l->cl[r]);
		byteor_region_destroy(l->name, cfg.backing, cfg.dir);
	}

#define SUM(f) lane_sum(l, offsetof(struct cons_ledger, f))
	printf("%-8s %12s %6s %8s %8s %5s %6s %11s %8s %6s %4s %6s %6s\n", "lane",
	       "messages", "kills", "restarts", "reattach", "torn", "unproc",
	       "redelivered", "dropped", "lost", "dup", "stalls", "errors");
	for (i = 0; i < nl; i++) {
		struct lane *l = &lanes[i];
		uint64_t errors = SUM(errors) + l->pl->errors + l->role_errors;

		printf("%-8s %12" PRIu64 " %6" PRIu64 " %8" PRIu64 " %8" PRIu64 " %5" PRIu64
		       " %6" PRIu64 " %11" PRIu64 " %8" PRIu64 " %6" PRIu64
		       " %4" PRIu64 " %6" PRIu64 " %6" PRIu64 "\n",
		       lane_names[l->kind], SUM(received), l->kills, l->restarts,
		       lane_reattaches(l), SUM(torn), SUM(unprocessed), SUM(redelivered),
		       SUM(dropped), SUM(lost), SUM(duplicate), l->stalls,
		       errors);
		if (l->pl->errors)
			printf("# %s: producer error %d (%s)\n", lane_names[l->kind],
			       l->pl->last_error, byteor_strerror(l->pl->last_error));
		for (k = 0; k < l->consumers; k++)
			if (l->cl[k]->errors)
				printf("# %s: consumer %d error %d (%s)\n",
				       lane_names[l->kind], k, l->cl[k]->last_error,
				       byteor_strerror(l->cl[k]->last_error));
		if (l->role_errors)
			printf("# %s: a role died on its own (%s %d)\n",
			       lane_names[l->kind], l->last_role_error < 0 ?
			       "signal" : "exit status", abs(l->last_role_error));
		total += SUM(received);
		bad += SUM(torn) + SUM(unprocessed) + SUM(lost) +
		       SUM(duplicate) + l->stalls + errors;
	}
#undef SUM
	bad += reattach_report(lanes, nl, now_s() - t0);
	printf("soak: %" PRIu64 " messages in %.0f s, %" PRIu64 " kills: %s\n",
	       total, now_s() - t0, kills, bad ? "FAILED" : "ok");
	return bad ? 1 : 0;
}
