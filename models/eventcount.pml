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
 *   (none) the fix of branch wait, commit 09b9158 ("a waiter that dies
 *          announced is freed by one liveness check - waiter slots in the
 *          eventcount"): announce_one() takes a free slot (CAS of
 *          owner[i] 0 -> tid, A_SLOT) and sets its bit (W1, fetch_or);
 *          with every slot taken it counts in the shared part (bits 4..7
 *          here, 16..31 in the code); denounce() clears the bit and frees
 *          the slot if it still holds it (W6); __byteor_ec_wake() runs
 *          __byteor_ec_reap() when its FUTEX_WAKE woke nobody (rate
 *          limited: any such wake may skip it, except the last one of the
 *          run, which comes after the rate limit's millisecond): each slot
 *          whose holder is dead (R_OWN) is taken by CAS (R_CAS), its bit
 *          cleared (R_CLR) and freed (R_FREE).  Park slices, the other
 *          caller of the reap, are left out (so the model relies on the
 *          notifier's).  The run ends with one more notify (a later
 *          publish) after every waiter has gone: the leak must be gone
 *          after it.
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
#define SLOTS	2
#define SHARED	16	/* one waiter of the shared count (1 << 4 here) */
#define REAPING	255
byte owner[SLOTS];	/* slot holder's tid, 0 free */
bit dead[8];		/* ghost: tid 1 + role + 2 * incarnation is dead */

inline drain_x() { if :: pending -> X = xbuf; pending = 0 :: else fi }

/* FUTEX_WAKE(all), then (fixed) the reap if it woke nobody. */
inline wake(last)
{
	atomic {
		woke = queued[0] + queued[1];
		queued[0] = 0; queued[1] = 0
	};
#ifndef TODAY
	if
	:: woke == 0 ->
		if
		:: !last -> goto skip_reap	/* rate limited */
		:: true
		fi;
		/* __byteor_ec_reap() */
		j = 0;
		do
		:: j == SLOTS -> break
		:: else ->
			o = owner[j];				/* R_OWN */
			if
			:: o != 0 && o != REAPING && dead[o] ->
				atomic {			/* R_CAS */
					if
					:: owner[j] == o -> owner[j] = REAPING
					:: else -> goto next_slot
					fi
				};
				waiters = waiters & ~(1 << j);	/* R_CLR */
				owner[j] = 0			/* R_FREE */
			:: else
			fi;
next_slot:		j++
		od;
skip_reap:	skip
	:: else
	fi
#endif
}

active proctype notifier()
{
	byte i, w, woke, j, o;

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
			wake(0)
		:: else
		fi;
		i++
	od;
	/* a later publish, after every waiter has gone and 1 ms has passed */
	(finished == NW);
	if
	:: waiters != 0 -> atomic { seq++ }; wake(1)
	:: else
	fi;
	finished++
}

/* The notifier CPU's store buffer drains on its own, at any time. */
active proctype drain()
{
end:	do
	:: pending -> atomic { drain_x() }
	od
}

/* A kill: this thread is dead, a successor takes the role. */
#define WKILL	if :: atomic { kills < KILLS -> kills++; dead[tid] = 1; queued[me] = 0 }; \
			goto attach \
		   :: true fi

proctype waiter(byte me)
{
	byte s, tid, inc, slot, i;

attach:
	tid = 1 + me + 2 * inc;
	inc++;
	/* spin stages: ready() before announcing */
	if
	:: X >= NMSG -> goto out
	:: else
	fi;
#ifdef TODAY
	waiters++;				/* W1 */
#else
	/* announce_one() */
	slot = SLOTS;
	i = 0;
	do
	:: i == SLOTS -> break
	:: else ->
		atomic {			/* A_SLOT: CAS owner 0 -> tid */
			if
			:: owner[i] == 0 -> owner[i] = tid; slot = i
			:: else
			fi
		};
		if
		:: slot == i -> break
		:: else -> i++
		fi
	od;
	WKILL;					/* wait.waiter.slot_taken */
	if
	:: slot < SLOTS -> waiters = waiters | (1 << slot)	/* W1 */
	:: else -> waiters = waiters + SHARED			/* W1 */
	fi;
#endif
	WKILL;
#ifndef NOFENCE
	atomic { drain_x() };			/* W2: membarrier */
#endif
	WKILL;
	do
	:: s = seq;				/* W3 */
	   WKILL;
	   if
	   :: X >= NMSG -> break		/* W4 */
	   :: else
	   fi;
	   WKILL;				/* wait.waiter.parking */
	   atomic {				/* W5: FUTEX_WAIT(seq, s) */
		if
		:: seq == s -> queued[me] = 1
		:: else
		fi
	   };
	   if
	   :: !queued[me] -> skip		/* woken, or -EAGAIN */
	   :: atomic { kills < KILLS -> kills++; dead[tid] = 1; queued[me] = 0 }; goto attach
	   fi
	od;
	WKILL;					/* wait.waiter.leaving */
#ifdef TODAY
	waiters--;				/* W6 */
#else
	/* denounce() */
	if
	:: slot == SLOTS -> waiters = waiters - SHARED
	:: else ->
		if
		:: owner[slot] == tid ->
			waiters = waiters & ~(1 << slot);	/* W6 */
			owner[slot] = 0
		:: else
		fi
	fi;
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
