// SPDX-License-Identifier: GPL-2.0-only
/*
 * mpsc_recovery - an MPSC queue of the events chain with 2 and 3 producer
 * processes and a consumer process; at each MPSC crash point one role is
 * SIGKILLed there (byteor/crashpoint.h) and restarted - a producer at the
 * same producer slot, or the consumer - and the documented guarantee is
 * checked:
 *  - every payload carries (incarnation, sequence) and a fill derived
 *    from them: nothing torn, and per incarnation the consumer sees
 *    0, 1, 2, ... with no gap and no repeat (nothing delivered twice);
 *  - a surviving producer's events all arrive; a killed one's arrive up
 *    to what its publish calls returned, plus the part of its last claim
 *    it had published: only its claimed, unpublished positions are lost,
 *    and they are exactly the skipped ones (consumer_pos == producer_pos
 *    == delivered + skipped);
 *  - the replacement producer gets the dead one's slot and sends at once;
 *  - no stall: every role finishes within bounded time.
 */
#include "crash_env.h"
#include "single_ring_test.h"
#include <byteor/crashpoint.h>

#include <sys/mman.h>

#define SLOT		64
#define CAP		16
#define EVENTS		200	/* per producer incarnation */
#define BATCH		3
#define MAXINC		8
#define DEADLINE_NS	10000000000LL

struct sh {
	_Atomic int go;			/* every first producer attached */
	_Atomic int release;		/* producers may detach */
	_Atomic int producers_done;	/* every producer has exited */
	_Atomic __u32 bad;		/* torn, gap, repeat */
	_Atomic __u32 sent_all[MAXINC];
	_Atomic __u64 done[MAXINC];	/* events whose publish returned */
	_Atomic __u32 slot[MAXINC];	/* 1 + the producer slot it got */
	_Atomic __u32 next[MAXINC];	/* consumer: next sequence expected */
	_Atomic __u64 delivered;
};

struct arm {
	const char *point;
	unsigned long hit;
};

struct mcase {
	struct arm prod[2];	/* producer slot 0's 1st and 2nd incarnation */
	struct arm cons;
	bool skips;		/* orphans expected (else exactly none) */
};

static unsigned char fill(__u32 inc, __u32 seq, unsigned int i)
{
	return (unsigned char)(inc * 31 + seq * 7 + i);
}

static void arm(const struct arm *a)
{
	if (a->point)
		__byteor_crashpoint_arm(a->point, a->hit, "kill");
}

static void producer(const char *dir, struct sh *sh, __u32 inc,
		     const struct arm *a)
{
	struct byteor_attach_options o = lt_opts(dir, "mc", 0, 100000000LL);
	struct byteor_slot s[BATCH];
	struct byteor_events *tx;
	long long end = lt_now_ns() + DEADLINE_NS;
	__u32 seq = 0, j;
	unsigned int i;
	int k;

	arm(a);
	if (byteor_attach_events_mpsc_tx(&o, &tx))
		_exit(10);
	sh->slot[inc] = byteor_events_producer_index(tx) + 1;
	while (!sh->go)
		usleep(100);
	while (seq < EVENTS) {
		k = byteor_events_claim(tx, s, EVENTS - seq < BATCH ?
					EVENTS - seq : BATCH);
		if (k == -EAGAIN || k == -ETIMEDOUT || k == -EPIPE) {
			/* Full, or the consumer is being restarted. */
			if (lt_now_ns() > end)
				_exit(11);
			continue;
		}
		if (k <= 0)
			_exit(12);
		for (j = 0; j < (__u32)k; j++) {
			unsigned char *d = s[j].data;

			memcpy(d, &inc, 4);
			memcpy(d + 4, &(__u32){ seq + j }, 4);
			for (i = 8; i < SLOT; i++)
				d[i] = fill(inc, seq + j, i);
		}
		if (byteor_events_publish(tx, NULL, k) != k)
			_exit(13);
		seq += k;
		sh->done[inc] = seq;
	}
	sh->sent_all[inc] = 1;
	while (!sh->release) {
		if (lt_now_ns() > end)
			_exit(14);
		usleep(1000);
	}
	byteor_events_detach(tx);
	_exit(0);
}

static bool occupancy_zero(struct byteor_events *rx)
{
	struct byteor_events_snapshot snap;

	return !byteor_events_snapshot(rx, 0, &snap) &&
	       snap.consumer_pos == snap.producer_pos;
}

static void consumer(const char *dir, struct sh *sh, const struct arm *a)
{
	struct byteor_attach_options o = lt_opts(dir, "mc", 0, 100000000LL);
	long long end = lt_now_ns() + DEADLINE_NS;
	struct byteor_events *rx;
	unsigned char buf[SLOT];
	__u32 inc, seq;
	unsigned int i;
	int n;

	arm(a);
	if (byteor_attach_events_mpsc_rx(&o, &rx))
		_exit(20);
	for (;;) {
		if (lt_now_ns() > end)
			_exit(21);
		n = byteor_events_recv(rx, buf, sizeof(buf));
		if (n == SLOT) {
			memcpy(&inc, buf, 4);
			memcpy(&seq, buf + 4, 4);
			if (inc >= MAXINC || seq != sh->next[inc]) {
				sh->bad++;
				continue;
			}
			for (i = 8; i < SLOT; i++)
				if (buf[i] != fill(inc, seq, i))
					break;
			if (i < SLOT)
				sh->bad++;
			sh->next[inc] = seq + 1;
			sh->delivered++;
			continue;
		}
		if (n >= 0 || (n != -ETIMEDOUT && n != -EAGAIN && n != -EPIPE))
			_exit(22);
		if (sh->producers_done && occupancy_zero(rx))
			break;
	}
	byteor_events_detach(rx);
	_exit(0);
}

static pid_t start(const char *dir, struct sh *sh, int role_inc,
		   const struct arm *a)
{
	pid_t pid = lt_fork();

	if (!pid) {
		if (role_inc < 0)
			consumer(dir, sh, a);
		producer(dir, sh, (__u32)role_inc, a);
	}
	return pid;
}

/* @what, with the state of each incarnation. */
static const char *dump(struct sh *sh, const char *what, int ninc,
			const bool *live)
{
	static char why[640];
	int o = snprintf(why, sizeof(why), "%s (release %d;", what, sh->release);
	int i;

	for (i = 0; i < ninc && o < 500; i++)
		o += snprintf(why + o, sizeof(why) - o,
			      " inc %d live %d sent %u done %llu next %u slot+1 %u;",
			      i, live[i], sh->sent_all[i],
			      (unsigned long long)sh->done[i], sh->next[i],
			      sh->slot[i]);
	return why;
}

/*
 * Run one case with @np producers; return a description of the first
 * broken guarantee, or NULL.
 */
static const char *run_case(const char *dir, unsigned int np,
			    const struct mcase *mc, __u64 *skipped_out)
{
	static const struct arm none;
	struct byteor_attach_options o = lt_opts(dir, "mc", 0, 0);
	struct byteor_events_snapshot snap;
	struct byteor_events *obs;
	pid_t pid[MAXINC], cpid;
	int inc_of_slot0 = 0, ninc = np, st, cons_starts = 1;
	bool killed[MAXINC] = { false }, live[MAXINC] = { false };
	long long end = lt_now_ns() + DEADLINE_NS;
	unsigned int i, producers_left = np;
	__u64 delivered = 0;
	struct sh *sh;
	pid_t w;

	if (lt_create_events(dir, "mc", SLOT, CAP, 1, np, 1))
		return "create";
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return "mmap";
	memset(sh, 0, sizeof(*sh));
	cpid = start(dir, sh, -1, &mc->cons);
	/* Producer slot 0 first, so incarnation i < np holds slot i. */
	for (i = 0; i < np; i++) {
		pid[i] = start(dir, sh, i, i ? &none : &mc->prod[0]);
		live[i] = true;
		/* Attached (no point fires in an attach) before the next. */
		while (!sh->slot[i] && lt_now_ns() < end)
			usleep(100);
	}
	sh->go = 1;
	while (producers_left || !sh->producers_done) {
		if (lt_now_ns() > end)
			return dump(sh, "stall: a role did not finish in time", ninc, live);
		w = waitpid(-1, &st, WNOHANG);
		if (w < 0)
			return "waitpid";
		if (!w) {
			bool all = true;

			for (i = 0; i < (unsigned int)ninc; i++)
				if (live[i] && !sh->sent_all[i])
					all = false;
			if (all && producers_left)
				sh->release = 1;
			usleep(1000);
			continue;
		}
		if (w == cpid) {
			if (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL &&
			    mc->cons.point && cons_starts == 1) {
				cpid = start(dir, sh, -1, &none);
				cons_starts++;
				continue;
			}
			if (!WIFEXITED(st) || WEXITSTATUS(st))
				return "consumer failed";
			cpid = -1;
			break;
		}
		for (i = 0; i < (unsigned int)ninc; i++)
			if (pid[i] == w)
				break;
		if (i == (unsigned int)ninc)
			return "unknown child";
		live[i] = false;
		if (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL &&
		    (int)i == inc_of_slot0 && ninc < MAXINC) {
			killed[i] = true;
			/* Restart slot 0: the others still hold theirs. */
			inc_of_slot0 = ninc;
			pid[ninc] = start(dir, sh, ninc,
					  i < (unsigned int)np && mc->prod[1].point ?
					  &mc->prod[1] : &none);
			live[ninc] = true;
			ninc++;
			continue;
		}
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			return "producer failed";
		if (!--producers_left)
			sh->producers_done = 1;
	}
	if (cpid > 0 && lt_status(cpid) != 0)
		return "consumer failed at the end";
	if (sh->bad)
		return "torn, repeated or out-of-order event";
	for (i = 0; i < (unsigned int)ninc; i++) {
		if (!killed[i] && sh->next[i] != EVENTS)
			return "a surviving producer lost events";
		if (killed[i] && (sh->next[i] < sh->done[i] ||
				  sh->next[i] > sh->done[i] + BATCH))
			return "a killed producer lost a published event";
		if (i >= np && sh->slot[i] && sh->slot[i] != 1)
			return dump(sh, "replacement not at the dead one's slot", ninc, live);
		delivered += sh->next[i];
	}
	if (delivered != sh->delivered)
		return "delivery count";
	if (byteor_attach_events_observer(&o, &obs))
		return "observer";
	byteor_events_snapshot(obs, 0, &snap);
	byteor_events_detach(obs);
	*skipped_out = snap.skipped;
	if (snap.consumer_pos != snap.producer_pos ||
	    snap.producer_pos != delivered + snap.skipped)
		return "positions neither delivered nor skipped";
	if (!mc->skips && snap.skipped)
		return "skipped where nothing was orphaned";
	if (mc->skips && (snap.skipped < 1 || snap.skipped > BATCH))
		return "skipped count out of 1..batch";
	if (mc->prod[0].point && ninc == np)
		return "the armed producer point never fired";
	if (mc->cons.point && cons_starts == 1)
		return "the armed consumer point never fired";
	munmap(sh, sizeof(*sh));
	return NULL;
}

FIXTURE(mc) {
	struct ht_dir d;
};

FIXTURE_VARIANT(mc) {
	unsigned int producers;
};

FIXTURE_VARIANT_ADD(mc, two_producers) { .producers = 2 };
FIXTURE_VARIANT_ADD(mc, three_producers) { .producers = 3 };

FIXTURE_SETUP(mc)
{
	HT_DIR_SETUP(&self->d, false);
}

FIXTURE_TEARDOWN(mc)
{
	ht_dir_teardown(&self->d);
}

#define MC_RUN(...) do {						\
	const struct mcase c = { __VA_ARGS__ };				\
	__u64 skipped = 0;						\
	const char *why = run_case(self->d.path, variant->producers,	\
				   &c, &skipped);			\
	TH_LOG("%u producers: %s, %llu skipped", variant->producers,	\
	       why ? why : "ok", (unsigned long long)skipped);		\
	ASSERT_EQ(NULL, why);						\
} while (0)

/* Record stored, CAS not made: nothing claimed, nothing skipped. */
TEST_F(mc, producer_killed_after_record_loses_nothing_claimed)
{
	MC_RUN(.prod = { { "mpsc.tx.after_record", 10 } }, .skips = false);
}

/* Claimed, nothing written: the whole claim (1..3 positions) is skipped. */
TEST_F(mc, producer_killed_after_cas_has_its_claim_skipped)
{
	MC_RUN(.prod = { { "mpsc.tx.after_cas", 10 } }, .skips = true);
}

/* Payload written, not published: skipped like the above. */
TEST_F(mc, producer_killed_before_publish_has_its_claim_skipped)
{
	MC_RUN(.prod = { { "mpsc.tx.before_publish", 10 } }, .skips = true);
}

/* Part of a claim published: that part arrives, the rest is skipped. */
TEST_F(mc, producer_killed_mid_publish_delivers_the_published_part)
{
	MC_RUN(.prod = { { "mpsc.tx.mid_publish", 10 } }, .skips = true);
}

/* All published, record not cleared: everything arrives, nothing skipped. */
TEST_F(mc, producer_killed_before_clearing_its_record_loses_nothing)
{
	MC_RUN(.prod = { { "mpsc.tx.before_clear", 10 } }, .skips = false);
}

/*
 * The replacement itself killed in the middle of its attach (generation
 * bumped, the dead one's record not yet cleared): a third incarnation
 * takes the slot and finishes.
 */
TEST_F(mc, replacement_killed_mid_attach_is_replaced_again)
{
	MC_RUN(.prod = { { "mpsc.tx.after_cas", 10 },
			 { "mpsc.tx.attach_after_gen", 1 } },
	       .skips = true);
}

/* The consumer killed deciding to skip an orphan: its successor skips it. */
TEST_F(mc, consumer_killed_before_skipping_an_orphan_is_replaced)
{
	MC_RUN(.prod = { { "mpsc.tx.after_cas", 10 } },
	       .cons = { "mpsc.rx.before_skip", 1 }, .skips = true);
}

/*
 * The consumer killed inside release, before head moves: the events it
 * was consuming are delivered again to its successor - and since this
 * test counts an event only once release returned, exactly once.
 */
TEST_F(mc, consumer_killed_before_moving_head_loses_nothing)
{
	MC_RUN(.cons = { "mpsc.rx.before_advance", 20 }, .skips = false);
}

TEST_HARNESS_MAIN
