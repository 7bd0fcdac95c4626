/* SPDX-License-Identifier: MIT */
/*
 * seq.pml - sequenced slots: the producer's gating on the terminal stage,
 * a dependent stage's barrier, removal of a dead non-terminal stage by an
 * operator, and that stage's re-attach.  Stage 0 follows the cursor, stage
 * 1 depends on stage 0 (stage 1 is the only terminal stage).
 *
 * Mirrors (one Promela statement per shared access):
 *   ulib/src/sequenced_slots.c
 *     seq_eval_producer()      PE_RM    seq_cst load of removed
 *                              PE_G     acquire load of each gating source
 *                              PE_GATE  seq_cst store of gate
 *                              PE_RM2   seq_cst re-load of removed
 *     byteor_sequenced_slots_producer_claim_timed() / _publish()
 *                              PUB      entry (slot header) then release
 *                                       store of the cursor
 *     seq_eval_consumer()      CE_RM    acquire load of removed (ONCE in
 *                                       today's code)
 *                              CE_G     acquire load of each gating source
 *                              CE_CUR   acquire load of the cursor
 *     seq_stage_avail()        the barrier behind us (a dependency that
 *                              re-attached behind): wait
 *     seq_stage_wait()         READ     the entry (slot header checked)
 *     seq_advance()            ADV      release store of gating
 *     seq_attach_stage()       AT_CUR   cursor load, then seq_eval_consumer
 *                              AT_RM    seq_cst load of removed
 *                              AT_G     (not removed) own gating, kept
 *                              AT_ST    (removed) seq_cst store of gating
 *                              AT_CLR   seq_cst fetch_and of removed
 *                              AT_GATE  seq_cst load of gate, cursor load,
 *                                       raise to gate, store
 *       (landed fix)           AT_PROV  seq_cst store of the provisional
 *                                       gating sequence (the cursor here)
 *                              AT_JOIN  seq_cst fetch_or of the join bit
 *                              AT_CLR   seq_cst fetch_and of the removed bit
 *     seq_join()               J_MIN    seq_cst cursor load (the barrier of
 *                                       stage 0's dependencies: the cursor)
 *                              J_CUR    seq_cst cursor load (the bound)
 *                              J_G      acquire load of its own gating
 *                              J_GATE   seq_cst load of gate
 *                              J_ST     seq_cst store of the start
 *                              J_CLR    seq_cst fetch_and of the join bit
 *     byteor_sequenced_slots_remove_stage()
 *                              REM      fetch_or of removed, only while the
 *                                       stage's claim is free (dead)
 * A kill is possible before every shared access of a stage (KILL); the
 * producer is not killed here (its recovery is the single ring's rule).
 *
 * Variants (-D):
 *   TODAY  today's code: the re-attaching removed stage computes its start
 *          (the barrier of its dependencies) BEFORE it clears its removed
 *          bit, and a dependent loads the removed mask once per
 *          evaluation.  A dependent that loaded the mask while stage 0 was
 *          removed goes on to read a cursor published after stage 0's
 *          start, processes entries stage 0 will process again after it -
 *          spin must find the dependency violation (or the overrun that
 *          follows it).
 *   (none) the fix as landed (ulib/src/sequenced_slots.c
 *          seq_attach_stage(), seq_join(), seq_eval_consumer()).  The
 *          removal word has, per stage, a removed bit and a join bit (bit 2
 *          here for stage 0; 16 + i in the code); readers of the mask (the
 *          producer, dependents) ignore join bits.  A re-attaching removed
 *          stage stores a provisional gating sequence (AT_PROV), sets its
 *          join bit (AT_JOIN), clears its removed bit (AT_CLR), then
 *          seq_join(): the barrier loaded after the clear, raised to its
 *          own gating and to gate (each only if not past the cursor),
 *          stored (J_ST), join bit cleared (J_CLR).  A successor finding
 *          the join bit set runs seq_join() again.  A dependent re-loads
 *          the mask after its source loads and evaluates again if it
 *          changed.  Either its re-load sees the clear (it evaluates with
 *          stage 0 in), or both its mask loads precede the clear and
 *          seq_join()'s loads see every value it read.
 *   NORELOAD  (must fail) the landed fix without the dependent's mask
 *          re-load: spin finds the dependency violation again.
 *   NOPROV the landed fix without the provisional gating store: within
 *          these bounds spin finds no error either.  Here the producer
 *          never reads stage 0's gating (stage 1, the terminal, is never
 *          removed) and a dependent that reads the dead stage's stale
 *          gating after the clear only waits; the provisional value is
 *          for a producer gating on the re-attaching stage itself (a
 *          removed terminal expanded to it), which this model leaves out.
 * models.sh: must-fail -DNORELOAD
 * Abstractions: sequentially consistent interleaving (the seq_cst
 * handshakes are SC in C11 too; the acquire/release pairs are assumed);
 * small sequences (no wrap), 3 entries, ring of 2; one removal; stage 0
 * killed up to twice, stage 1 not at all unless -DKILLS1=1 (a longer run:
 * its restart only reloads its own gating); no scribbles (the -EBADMSG
 * branches are asserted unreachable).
 *
 * Properties:
 *   no overrun:    a stage reads an entry only while its slot still holds
 *                  it (the producer has not reused the slot);
 *   dependencies:  stage 1 never finishes an entry that stage 0, attached,
 *                  processes afterwards (removal may make stage 0 skip
 *                  entries, never process them after its dependent);
 *   no stall:      everybody ends (spin's invalid end states).
 */

#define CAP	2
#define N	3	/* entries */
#define KILLS	2	/* stage kills in all */
#ifndef KILLS1
#define KILLS1	0	/* of which stage 1 may take (1: a longer run) */
#endif
byte kills1;

byte cursor;
byte gate;
byte removed;		/* bit 0: stage 0, bit 1: stage 1 */
byte gating[2];
byte slot[CAP];		/* the entry each slot holds (slot header) */
bit alive0;		/* stage 0's claim is held */

bit done0[N + 1];	/* ghost: stage 0 finished (advanced past) e */
bit done1[N + 1];	/* ghost: stage 1 finished e */
byte kills;
bit removed_once;

#define KILL1(l)	if :: atomic { kills < KILLS && kills1 < KILLS1 -> kills++; kills1++ }; goto l \
			   :: true fi
#define KILL(l, dead)	if :: atomic { kills < KILLS -> kills++; dead }; goto l \
			   :: true fi

active proctype producer()
{
	byte pos, limit, rm, again, mn, g;

	do
	:: pos >= N -> break
	:: pos - limit < CAP ->		/* room by the cached floor */
		slot[pos % CAP] = pos;		/* PUB: the entry */
		pos++;
		cursor = pos			/* release: pairs with CE_CUR */
	:: else ->
		/* seq_eval_producer() */
		rm = removed & 3;			/* PE_RM */
pe_again:
		mn = pos;
		/* terminal set {1}, expanded: stage 1 unless removed */
		if
		:: !(rm & 2) ->
			g = gating[1];		/* PE_G */
			assert(g <= pos);
			if :: g < mn -> mn = g :: else fi
		:: else ->
			if
			:: !(rm & 1) ->
				g = gating[0];
				assert(g <= pos);
				if :: g < mn -> mn = g :: else fi
			:: else
			fi
		fi;
		gate = mn;			/* PE_GATE */
		again = removed & 3;		/* PE_RM2 */
		if
		:: again != rm -> rm = again; goto pe_again
		:: else
		fi;
		if
		:: pos - mn < CAP -> limit = mn
		:: else ->
			/* full: park on the lagging stage until it moves */
			if
			:: !(rm & 2) -> (gating[1] != g || (removed & 3) != rm)
			:: else -> (gating[0] != g || (removed & 3) != rm)
			fi
		fi
	od
}

proctype stage0()
{
	byte pos, limit, c, mn, pg, rm;

attach:	/* seq_attach_stage(), stage 0: its barrier is the cursor */
	alive0 = 1;
	c = cursor;				/* AT_CUR */
	KILL(attach, alive0 = 0);
#ifdef TODAY
	mn = cursor;				/* seq_eval_consumer(): CE_CUR */
	KILL(attach, alive0 = 0);
#else
	mn = c;					/* e.min: the cursor itself */
#endif
	rm = removed;				/* AT_RM */
	if
	:: !(rm & (1 | 4)) ->
		pos = gating[0];		/* AT_G: sane, kept */
		gating[0] = pos
	:: else ->
#ifdef TODAY
		gating[0] = mn;			/* AT_ST */
		KILL(attach, alive0 = 0);
		removed = removed & ~1;		/* AT_CLR */
		KILL(attach, alive0 = 0);
		pos = mn;
		pg = gate;			/* AT_GATE */
		c = cursor;
		if
		:: pg > pos && pg <= c -> pos = pg
		:: else
		fi;
		gating[0] = pos
#else
		if
		:: rm & 1 ->
#ifndef NOPROV
			gating[0] = mn;		/* AT_PROV */
			KILL(attach, alive0 = 0);
#endif
			removed = removed | 4;	/* AT_JOIN */
			KILL(attach, alive0 = 0);
			removed = removed & ~1;	/* AT_CLR */
			KILL(attach, alive0 = 0)
		:: else			/* join bit set: a re-attach killed half-way */
		fi;
		/* seq_join() */
		pos = cursor;			/* J_MIN */
		KILL(attach, alive0 = 0);
		c = cursor;			/* J_CUR */
		KILL(attach, alive0 = 0);
		mn = gating[0];			/* J_G */
		if
		:: mn > pos && mn <= c -> pos = mn
		:: else
		fi;
		KILL(attach, alive0 = 0);
		pg = gate;			/* J_GATE */
		if
		:: pg > pos && pg <= c -> pos = pg
		:: else
		fi;
		KILL(attach, alive0 = 0);
		gating[0] = pos;		/* J_ST */
		KILL(attach, alive0 = 0);
		removed = removed & ~4		/* J_CLR */
#endif
	fi;
	limit = pos;
	KILL(attach, alive0 = 0);

	do
	:: pos >= N -> break
	:: else ->
		if
		:: limit == pos ->
			c = cursor;		/* CE_CUR */
			if
			:: c > pos -> limit = c
			:: else ->
				/* park on the cursor */
				if
				:: cursor != c -> skip
				:: atomic { kills < KILLS -> kills++; alive0 = 0 }; goto attach
				fi;
				goto next
			fi;
			KILL(attach, alive0 = 0)
		:: else
		fi;
		/* READ: the slot still holds the entry; nobody after us did it */
		assert(slot[pos % CAP] == pos);		/* no overrun */
		assert(!done1[pos]);			/* dependencies */
		KILL(attach, alive0 = 0);
		atomic { done0[pos] = 1; pos++; gating[0] = pos }	/* ADV */
		KILL(attach, alive0 = 0);
next:		skip
	od;
	alive0 = 0
}

proctype stage1()
{
	byte pos, limit, c, g0, mn, rm, rm2;

attach:	/* seq_attach_stage(), stage 1, never removed: its own gating */
	pos = gating[1];
	gating[1] = pos;
	limit = pos;
	KILL1(attach);

	do
	:: pos >= N -> break
	:: else ->
		if
		:: limit == pos ->
			/* seq_eval_consumer(), set {0} */
ce_again:			rm = removed & 3;		/* CE_RM (join bits ignored) */
			KILL1(attach);
			if
			:: !(rm & 1) ->
				g0 = gating[0];		/* CE_G */
				KILL1(attach)
			:: else
			fi;
			c = cursor;			/* CE_CUR */
			KILL1(attach);
#if !defined(TODAY) && !defined(NORELOAD)
			/* fixed: the mask again; changed: evaluate again */
			rm2 = removed & 3;
			if
			:: rm2 != rm -> goto ce_again
			:: else
			fi;
#endif
			mn = c;
			if
			:: !(rm & 1) ->
				assert(g0 <= c);	/* -EBADMSG: scribble only */
				if :: g0 < mn -> mn = g0 :: else fi
			:: else
			fi;
			if
			:: mn > pos -> limit = mn
			:: else ->
				/* behind us or level: park on the lagging source */
				if
				:: (cursor != c || gating[0] != g0 || (removed & 3) != rm) -> skip
				:: atomic { kills < KILLS && kills1 < KILLS1 -> kills++; kills1++ }; goto attach
				fi;
				goto next
			fi
		:: else
		fi;
		assert(slot[pos % CAP] == pos);		/* READ: no overrun */
		KILL1(attach);
		atomic { done1[pos] = 1; pos++; gating[1] = pos }	/* ADV */
		KILL1(attach);
next:		skip
	od
}

/* An operator removes stage 0 once, while its claim is free (it is dead). */
active proctype operator()
{
	if
	:: atomic { !alive0 && !removed_once && kills > 0 -> removed = removed | 1; removed_once = 1 }
	:: true
	fi
}

init {
	atomic {
		run stage0();
		run stage1()
	}
}
