/* SPDX-License-Identifier: MIT */
/*
 * mpsc.pml - the events chain's MPSC queue: producer slots, claim records,
 * the CAS on tail, the consumer skipping positions orphaned by dead
 * producers, and a replacement producer in a dead one's slot.
 *
 * Mirrors (one Promela statement per shared access):
 *   ulib/src/events.c
 *     mpsc_init_producer()      A_REC     acquire load of rec[p]
 *                               A_GEN     store of the new tag in gen[p]
 *                               A_HEAD    acquire load of head
 *     mpsc_orphaned()           O_TAIL    acquire load of tail
 *                               O_REC     acquire load of each rec[p]
 *                               O_ALIVE   __byteor_claim_alive() of slot p
 *                               O_GEN     acquire load of gen[p]
 *     mpsc_repair()             R_HDR     the header looked at once more
 *                               R_SKIP    __byteor_mpsc_advance() past it
 *     mpsc_tx_ready()           the producer's wait (full, or pred today)
 *   ulib/src/events_pvt.h
 *     __byteor_mpsc_pred_passed()  PRED   (today) acquire load of head vs
 *                               the dead predecessor's record end
 *     __byteor_mpsc_claim()     C_TAIL    relaxed load of tail,
 *                               C_POS     __byteor_mpsc_positions() when
 *                                         the queue looks full,
 *                               C_REC0    release store of rec 0 (full),
 *                               C_REC     release store of the record,
 *                               C_CAS     the CAS of tail t -> t + 1
 *     __byteor_mpsc_publish()   PUB       release store of the header
 *     __byteor_mpsc_peek()      PEEK      acquire load of the header
 *     __byteor_mpsc_advance()   ADV       release store of head
 * A kill is possible before every shared access of a producer (KILL);
 * a kill frees the producer's slot claim (alive[p] = 0) and a successor
 * attaches to the same slot (bumping its generation).
 *
 * Variants (-D):
 *   TODAY  __byteor_mpsc_pred_passed() of today's code: a successor waits
 *          until head has passed the end of the record a dead predecessor
 *          left.  A predecessor killed after its record store (C_REC) and
 *          before its CAS claimed nothing; if no other producer claims
 *          those positions, head never gets there and the successor waits
 *          forever: spin must find the invalid end state.
 *   (none) the fix of branch mpsc, commit 2affa70 ("a new producer takes
 *          over a dead slot at once; records cleared after publishing"):
 *          mpsc_init_producer() takes a generation that differs from the
 *          old record's tag, stores it (A_GEN, release), then clears the
 *          record (A_CLR); __byteor_mpsc_pred_passed() and the wait on it
 *          are gone; __byteor_mpsc_publish() clears the record once the
 *          whole claim is published (PUB_CLR).  The predecessor's
 *          unpublished positions are covered by no record, or by one of a
 *          dead tag, and skipped as orphans.
 *
 * Abstractions: sequentially consistent interleaving; claims of one
 * position; positions small (no 32-bit wrap of the record's start, no
 * 16-bit tag wrap: both are outside this model, see models/README.md);
 * the grace period before an orphan check is any delay (the check may run
 * whenever head is unpublished and tail past it); the record word is read
 * and written whole (it is one 64-bit atomic).
 *
 * Properties:
 *   no duplicate:  a position is delivered at most once;
 *   no loss:       a position published is never skipped as an orphan
 *                  (asserted at the skip and at the publish);
 *   no overrun:    a producer publishes position t only while t is within
 *                  a ring of head;
 *   no stall:      every producer ends (spin's invalid end states; the
 *                  consumer's idle wait is a valid end state).
 */

#define NP	2	/* producer slots */
#define CAP	2	/* capacity */
#define Q	1	/* claims each producer slot makes in all */
#define KILLS	2	/* producer kills in all */
#define NPOS	8	/* ghost array bound: NP * Q + KILLS + slack */

byte tail;		/* ctl->prod.pos, the CAS word */
byte head;		/* ctl->cons.pos */
byte hdr[CAP];		/* slot header's sequence: position + 1 */
byte rec_start[NP];	/* rec[p]: start, count, tag (one 64-bit word) */
byte rec_count[NP];
byte rec_tag[NP];
byte gen[NP];		/* ctl->gen[p] */
bit alive[NP];		/* slot p's claim is held (__byteor_claim_alive()) */

byte sent[NP];		/* ghost: claims made by slot p (quota Q) */
bit published[NPOS];
bit delivered[NPOS];
bit skipped[NPOS];
byte kills;

#define KILL	if :: atomic { kills < KILLS -> kills++; alive[p] = 0 }; goto attach \
		   :: true fi

proctype producer(byte p)
{
	byte t, h, hc, tag, pred_end;
	bit pred;

attach:
	alive[p] = 1;		/* the slot's claim: a successor may attach */
	pred = 0;
#ifdef TODAY
	/* A_REC: a record left in our slot may be a dead predecessor's */
	atomic {
		if
		:: rec_count[p] > 0 ->
			pred = 1;
			pred_end = rec_start[p] + rec_count[p];
			tag = rec_tag[p] + 1
		:: else ->
			tag = gen[p] + 1
		fi
	}
	KILL;
	gen[p] = tag;		/* A_GEN */
	KILL;
#else
	/*
	 * Branch mpsc (2affa70), mpsc_init_producer(): a generation that
	 * differs from the old record's, published (A_GEN), then the old
	 * record cleared (A_CLR): never wait for the predecessor.
	 */
	atomic {
		tag = gen[p] + 1;
		if
		:: rec_count[p] > 0 && tag == rec_tag[p] -> tag++
		:: else
		fi
	}
	KILL;
	gen[p] = tag;		/* A_GEN */
	KILL;			/* mpsc.tx.attach_after_gen */
	rec_count[p] = 0;	/* A_CLR */
	KILL;
#endif
	hc = head;		/* A_HEAD */
	KILL;

	do
	:: sent[p] >= Q -> break
	:: else ->
		/* PRED (today): mpsc_tx_ready() waits until the record is passed */
		do
		:: !pred -> break
		:: pred ->
			h = head;
			if
			:: h >= pred_end -> pred = 0; break
			:: else
			fi;
			KILL;
			/* park until head moves */
			if
			:: head != h -> skip
			:: atomic { kills < KILLS -> kills++; alive[p] = 0 }; goto attach
			fi
		od;
retry:
		t = tail;	/* C_TAIL */
		KILL;
		if
		:: t - hc >= CAP ->
			/* C_POS: a consistent (tail, head) pair */
			atomic { t = tail; hc = head };
			KILL;
			if
			:: t - hc >= CAP ->
				rec_count[p] = 0;	/* C_REC0 */
				KILL;
				/* full: park until the consumer moves head */
				if
				:: head != hc -> skip
				:: atomic { kills < KILLS -> kills++; alive[p] = 0 }; goto attach
				fi;
				goto retry
			:: else
			fi
		:: else
		fi;
		/* C_REC: record first, then claim */
		atomic { rec_start[p] = t; rec_count[p] = 1; rec_tag[p] = tag };
		KILL;
		/* C_CAS */
		atomic {
			if
			:: tail == t -> tail = t + 1; sent[p]++
			:: else -> goto retry
			fi
		}
		KILL;
		/* PUB */
		atomic {
			assert(t < head + CAP);		/* no overrun */
			assert(!skipped[t]);		/* no loss */
			hdr[t % CAP] = t + 1;
			published[t] = 1
		}
		KILL;
#ifndef TODAY
		/* 2affa70: the whole claim published, the record cleared */
		rec_count[p] = 0;	/* PUB_CLR */
		KILL
#endif
	od;
	alive[p] = 0		/* detach */
}

active proctype consumer()
{
	byte t, q, rs, rc, rt;
	bit live;

end_idle:
	do
	/* PEEK, then release: ADV */
	:: hdr[head % CAP] == head + 1 ->
		assert(!delivered[head]);	/* no duplicate */
		delivered[head] = 1;
		head++
	/* mpsc_repair(): head unpublished, tail past it */
	:: hdr[head % CAP] != head + 1 && tail != head ->
		t = tail;			/* O_TAIL */
		if
		:: t == head -> goto end_idle
		:: else
		fi;
		q = 0;
		do
		:: q == NP -> break
		:: q < NP ->
			atomic { rs = rec_start[q]; rc = rec_count[q]; rt = rec_tag[q] };
			if
			:: rc > 0 && head >= rs && head < rs + rc ->
				live = alive[q];	/* O_ALIVE */
				if
				:: live && gen[q] == rt -> goto end_idle	/* O_GEN */
				:: else
				fi
			:: else
			fi;
			q++
		od;
		/* R_HDR: one more look before skipping */
		if
		:: hdr[head % CAP] == head + 1 -> goto end_idle
		:: else
		fi;
		/* R_SKIP */
		assert(!published[head]);	/* no loss */
		skipped[head] = 1;
		head++
	od
}

init {
	atomic {
		run producer(0);
		run producer(1)
	}
}
