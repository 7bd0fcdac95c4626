/* SPDX-License-Identifier: MIT */
/*
 * eventcount.pml - the eventcount's park / notify: the waiter count, the
 * futex sequence, FUTEX_WAIT / FUTEX_WAKE, the notifier's fast path of two
 * plain loads, and a waiter killed at any step (parked included) whose
 * role a successor takes over.
 *
 * Mirrors (ulib/src/wait.c, "THE PROTOCOL", steps W1..W6, N1..N4):
 *   N1  the lane's release store of its index X (e.g. prod.pos in
 *       __byteor_spsc_publish(), include/byteor/lane_inline.h)
 *   N2  __byteor_notify(): the fence-mode load, then a compiler barrier
 *       only (asymmetric mode; membarrier registered)
 *   N3  __byteor_notify(): relaxed load of ec->waiters
 *   N4  __byteor_ec_wake(): seq += 1 (atomic RMW), __byteor_futex_wake()
 *   W1  announce(): fetch_add of ec->waiters
 *   W2  announce(): membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED)
 *   W3  park_loop(): acquire load of ec->seq
 *   W4  park_loop(): ready(), acquire loads of X
 *   W5  park(): __byteor_futex_wait() / __byteor_uring_wait() on seq
 *   W6  denounce(): fetch_sub of ec->waiters
 *
 * The fence argument, modelled as the ordering it guarantees: the
 * notifier's store N1 sits in its CPU's store buffer (xbuf) until it
 * drains (any time, process drain) or a locked instruction of the
 * notifier drains it (N4's RMW); N3 may read waiters while N1 is still
 * buffered - the store->load reordering the argument is about.  W1 and W6
 * are RMWs (immediately visible).  W2, membarrier, makes every CPU of a
 * registered process execute a full barrier: modelled as draining the
 * notifier's buffer at that instant, atomically.  FUTEX_WAIT is the
 * kernel's compare-and-queue under the bucket lock (one atomic step);
 * FUTEX_WAKE dequeues every waiter queued on the word.  A killed waiter is
 * dequeued by the kernel.  Park slices (the 100 ms re-check) are left
 * out, so a lost wake-up is a stall spin sees, not a 100 ms delay.
 *
 * Variants (-D):
 *   TODAY  waiters is a count (W1 +1, W6 -1): a waiter killed between W1
 *          and W6 - parked, typically - leaves it raised for ever, and
 *          every later notify takes the slow path (a system call per
 *          publish).  Spin must find the count non-zero with nobody
 *          waiting at the end.
 *   (none) fix as designed, to be checked against the code when it lands
 *          (branch wait had no commit at the time of writing): each
 *          waiting role owns one bit of waiters (W1 fetch_or, W6
 *          fetch_and), and a role's successor, which holds the same claim,
 *          clears that bit when it attaches (A_CLR) - no live owner can
 *          hold it then.  N3 still tests waiters != 0.
 *   NOFENCE (with either) W2 left out: the store->load reordering loses
 *          a wake-up; spin must find the stall (shows the model of the
 *          fence is what the argument rests on).
 * models.sh: must-fail -DNOFENCE
 *
 * Properties:
 *   no lost wake-up: no waiter parks for ever while X holds what it waits
 *                    for (spin's invalid end states: a parked waiter is
 *                    not a valid end state);
 *   no leak:         at the end (notifier done, waiters gone) waiters is 0.
 */

#define NMSG	2	/* publishes */
#define NW	2	/* waiting roles */
#define KILLS	1

byte X;			/* the lane's index, in memory */
byte xbuf;		/* the notifier's buffered store of X */
bit pending;		/* xbuf not yet drained */
byte seq;		/* ec->seq, the futex word */
byte waiters;		/* ec->waiters */
bit queued[NW];		/* in the futex wait queue */
byte kills;
byte finished;

inline drain_x() { if :: pending -> X = xbuf; pending = 0 :: else fi }

active proctype notifier()
{
	byte i, w;

	i = 1;
	do
	:: i > NMSG -> break
	:: else ->
		atomic { xbuf = i; pending = 1 };	/* N1 (buffered) */
		/* N2: compiler barrier: nothing for the CPU */
		w = waiters;				/* N3 */
		if
		:: w != 0 ->
			atomic { drain_x(); seq++ };	/* N4: locked RMW */
			atomic {			/* FUTEX_WAKE(all) */
				queued[0] = 0; queued[1] = 0
			}
		:: else
		fi;
		i++
	od;
	finished++
}

/* The notifier CPU's store buffer drains on its own, at any time. */
active proctype drain()
{
end:	do
	:: pending -> atomic { drain_x() }
	od
}

proctype waiter(byte me)
{
	byte s;

attach:
#ifndef TODAY
	waiters = waiters & ~(1 << me);		/* A_CLR: the role's bit */
#endif
	/* spin stages: ready() before announcing */
	if
	:: X >= NMSG -> goto out
	:: else
	fi;
#ifdef TODAY
	waiters++;				/* W1 */
#else
	waiters = waiters | (1 << me);		/* W1 */
#endif
	if :: atomic { kills < KILLS -> kills++ }; goto attach :: true fi;
#ifndef NOFENCE
	atomic { drain_x() };			/* W2: membarrier */
#endif
	if :: atomic { kills < KILLS -> kills++ }; goto attach :: true fi;
	do
	:: s = seq;				/* W3 */
	   if :: atomic { kills < KILLS -> kills++ }; goto attach :: true fi;
	   if
	   :: X >= NMSG -> break		/* W4 */
	   :: else
	   fi;
	   if :: atomic { kills < KILLS -> kills++ }; goto attach :: true fi;
	   atomic {				/* W5: FUTEX_WAIT(seq, s) */
		if
		:: seq == s -> queued[me] = 1
		:: else
		fi
	   };
	   if
	   :: !queued[me] -> skip		/* woken, or -EAGAIN */
	   :: atomic { kills < KILLS -> kills++; queued[me] = 0 }; goto attach
	   fi
	od;
#ifdef TODAY
	waiters--;				/* W6 */
#else
	waiters = waiters & ~(1 << me);		/* W6 */
#endif
out:
	finished++
}

/* At the end: nobody waits, so nobody may look as if waiting. */
active proctype leak_check()
{
	(finished == 1 + NW) -> assert(waiters == 0)
}

init {
	atomic {
		run waiter(0);
		run waiter(1)
	}
}
