/* SPDX-License-Identifier: MIT */
/*
 * spsc.pml - the SPSC lane's tag / position / re-attach protocol (single
 * ring, events SPSC queues), with a producer and a consumer that may each
 * be killed at any step and replaced by a new one that attaches.
 *
 * Mirrors (line by line, one Promela statement per shared access):
 *   include/byteor/lane_inline.h
 *     __byteor_spsc_try_room()    P_ROOM      acquire load of cons.pos
 *     __byteor_spsc_fill()        (private: the claim writes nothing shared
 *                                  the consumer may trust before the tag)
 *     __byteor_spsc_publish()     P_DATA      payload + length stores
 *                                 P_TAG       release store of the lap tag
 *                                 P_POS       release store of prod.pos
 *     __byteor_spsc_try_avail()   C_TAG       n == 1: acquire load of the tag
 *                                 C_POS       acquire load of prod.pos
 *     __byteor_spsc_read()        C_READ      the payload (asserted whole)
 *     __byteor_spsc_release()     C_REL       release store of cons.pos
 *   ulib/src/single_ring_pvt.h
 *     __byteor_spsc_init()        P_ATT/C_ATT the two position loads, the
 *                                 scribble rule, the producer's skip over
 *                                 tagged slots, the store of our position
 * Crash points of tests/crash/spsc_kill.c sit at the same steps
 * (spsc.tx.before_tags, spsc.tx.before_position, spsc.rx.before_release,
 * spsc.{tx,rx}.attach_loaded, spsc.{tx,rx}.attach_stored); here a kill is
 * possible before EVERY shared access (KILL below).
 *
 * Variants (-D):
 *   TODAY  the attach of today's code: positions more than a ring apart
 *          by unsigned difference - which includes a consumer AHEAD of the
 *          producer's stored position - make the consumer adopt the
 *          producer's position.  A consumer that read and released slots
 *          by their tags past a producer killed between its tags and its
 *          position re-delivers them after a restart: spin must find the
 *          duplicate.
 *   (none) the fix of branch spsc, commit d339acc ("re-attach keeps a
 *          consumer read ahead by tags"; docs/design.md "SPSC
 *          recovery", attach rule): a consumer ahead by at most a ring
 *          keeps its position and knows nothing published (peer = its
 *          own position); a producer starts at the consumer's, then after
 *          every slot from there that carries its lap's tag.
 *
 * Abstractions: sequentially consistent interleaving (the release/acquire
 * pairs named in the code are what makes each store below visible in
 * order; the model does not check them); a message's identity is its
 * position (the payload written is the position, so a torn or overwritten
 * slot shows as a wrong value); batches of one or two slots; positions
 * stay small (no 64-bit or tag wrap).  No scribbles: the "more than a ring
 * apart" branches are only reachable through the bug.
 *
 * Properties:
 *   no overrun/torn:  the consumer reads the payload of the position it
 *                     proved (C_READ);
 *   no duplicate:     a position released (C_REL) is never released again;
 *   no loss:          at the end every position the producer published (tag
 *                     stored) was released by some consumer; positions
 *                     only claimed by a killed producer are re-used by its
 *                     successor (not a loss: never published);
 *   no stall:         every process ends (spin's invalid end states).
 */

#define CAP	2	/* ring capacity */
#define N	4	/* messages: the run ends when the consumer released N */
#define KILLS	2	/* kills in all, either role */

byte prod_pos;		/* ctl->prod.pos */
byte cons_pos;		/* ctl->cons.pos */
byte tag[CAP];		/* second word of each slot header; 0: never tagged */
byte data[CAP];		/* payload: the position written there */

bit published[N + CAP];	/* ghost: tag stored for this position */
bit released[N + CAP];	/* ghost: a consumer released it */
byte kills;

#define LAPTAG(p)	((p) / CAP + 1)
#define TAGGED(p)	(tag[(p) % CAP] == LAPTAG(p))
/* A kill here: the role's private state is gone, a successor attaches. */
#define KILL(l)	if :: atomic { kills < KILLS -> kills++ }; goto l :: true fi

active proctype producer()
{
	byte h, t, pos, peer, k, i;

attach:	/* __byteor_spsc_init(producer = true) */
	h = prod_pos;
	t = cons_pos;
	KILL(attach);	/* spsc.tx.attach_loaded */
	/* h - t > cap, unsigned: t ahead of h, or h more than a ring ahead */
	if
	:: (t > h || h - t > CAP) -> h = t;
	:: else
	fi;
	/* A dead predecessor's tagged slots past its stored position. */
	do
	:: (h - t < CAP && TAGGED(h)) -> h++
	:: else -> break
	od;
	pos = h;
	peer = t;
	prod_pos = h;
	KILL(attach);	/* spsc.tx.attach_stored */

	do
	:: pos >= N -> break
	:: else ->
		/*
		 * __byteor_spsc_try_room(): room by the cached peer, else a
		 * load; full: wait for the consumer (the park of
		 * __byteor_lane_wait(), woken by its release).
		 */
		if
		:: (pos - peer == CAP) ->
			if
			:: (pos - cons_pos < CAP) -> skip
			:: atomic { kills < KILLS -> kills++ }; goto attach
			fi;
			peer = cons_pos;	/* acquire: pairs with C_REL */
			assert(pos >= peer && pos - peer < CAP);
			KILL(attach)
		:: else
		fi;
		/* claim k of the free slots, 1 or (if free) 2 */
		k = 1;
		if
		:: (CAP - (pos - peer) >= 2 && pos + 2 <= N) -> k = 2
		:: true
		fi;
		/* __byteor_spsc_publish(): payloads, then tags, then position */
		i = 0;
		do
		:: i < k -> data[(pos + i) % CAP] = pos + i; i++; KILL(attach)
		:: else -> break
		od;
		/* spsc.tx.before_tags */
		i = 0;
		do
		:: i < k ->
			tag[(pos + i) % CAP] = LAPTAG(pos + i);	/* release */
			published[pos + i] = 1;
			i++;
			KILL(attach)
		:: else -> break
		od;
		/* spsc.tx.before_position */
		pos = pos + k;
		prod_pos = pos;			/* release: pairs with C_POS */
		KILL(attach)
	od
}

active proctype consumer()
{
	byte h, t, pos, peer;

attach:	/* __byteor_spsc_init(producer = false) */
	h = prod_pos;
	t = cons_pos;
	KILL(attach);	/* spsc.rx.attach_loaded */
#ifdef TODAY
	/* h - t > cap by unsigned difference: t ahead of h included */
	if
	:: (t > h || h - t > CAP) -> t = h
	:: else
	fi;
#else
	/* fixed: ahead by at most a ring is legitimate, keep it */
	if
	:: (t > h && t - h > CAP) || (h > t && h - t > CAP) -> t = h
	:: else
	fi;
#endif
	pos = t;
	peer = h;
	if
	:: peer < pos -> peer = pos	/* avail is computed as 0 below */
	:: else
	fi;
	cons_pos = t;
	KILL(attach);	/* spsc.rx.attach_stored */

	do
	:: pos >= N -> break
	:: else ->
		/*
		 * __byteor_spsc_try_avail(): tag first (n == 1), or the
		 * position; empty: wait for the producer (the park of
		 * __byteor_lane_wait(), woken by its publish).
		 */
		if
		:: peer == pos ->
			if
			:: (TAGGED(pos) || prod_pos > pos) -> skip
			:: atomic { kills < KILLS -> kills++ }; goto attach
			fi;
			if
			:: TAGGED(pos) -> peer = pos + 1	/* acquire: P_TAG */
			:: else
			fi;
			KILL(attach);
			if
			:: peer == pos ->
				h = prod_pos;		/* acquire: P_POS */
				if
				:: h > pos -> peer = h
				:: else -> goto idle	/* tag seen, then ... */
				fi;
				KILL(attach)
			:: else
			fi
		:: else
		fi;
		/* __byteor_spsc_read(): the proven slot holds our position */
		assert(data[pos % CAP] == pos);
		KILL(attach);	/* spsc.rx.before_release */
		/* __byteor_spsc_release() */
		assert(!released[pos]);		/* no duplicate */
		released[pos] = 1;
		pos++;
		cons_pos = pos;			/* release: pairs with P_ROOM */
		KILL(attach);
idle:		skip
	od;
	/* no loss: whatever was published was released */
	h = 0;
	do
	:: h < N -> assert(!published[h] || released[h]); h++
	:: else -> break
	od
}
