// SPDX-License-Identifier: MIT
/*
 * bridge/in.c - byteor-bridge in: a durable consumer appending every
 * record to a local journal exactly once, in source order.
 *
 * The chain.  Every record carries its source position and the one after
 * it (@pos, @next); the in direction expects the record at @expected (the
 * @next of the last one appended) and:
 *   pos <  expected  a duplicate (a re-send, a redelivery): acked, skipped;
 *   pos == expected  appended, expected = next;
 *   pos >  expected  arrived ahead of a missing record (a publication that
 *                    failed while later ones were stored): held, unacked,
 *                    until the missing one arrives (the out direction
 *                    re-sends from its first unacknowledged record).
 * A gap marker [pos, next) covering @expected is appended as a
 * BRIDGE_GAP_TYPE record and moves @expected to next.
 *
 * Crash safety.  Per batch: append, then checkpoint (fsync'd: @expected
 * and the local journal's tail), then acknowledge.  So every acknowledged
 * record is covered by a checkpoint, and the records appended after the
 * last checkpoint are exactly the chain's next ones after its @expected:
 * at start the bridge counts them in the local journal (from the
 * checkpoint's tail to the tail now) and skips that many chain records as
 * they are redelivered, comparing each with what the journal holds.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "transport.h"

struct in_state {
	const struct bridge_config *c;
	struct bridge_metrics *m;
	const struct bridge_transport_ops *ops;
	struct bridge_transport *t;
	struct byteor_journal *pub;	/* the local journal */
	struct byteor_journal *chk;	/* reads what a crashed run appended */
	struct bridge_ckpt ck;
	__u64 skip;			/* chain records already appended */
	struct bridge_rec *held;	/* sorted by pos */
	unsigned int nheld, maxheld;
	struct bridge_rec *acks;	/* applied, acked after the checkpoint */
	unsigned int nacks, maxacks;
	unsigned char *buf;
	size_t cap;
	bool fatal;
	__u64 kill_after;		/* test hook, BYTEOR_BRIDGE_KILL_AFTER */
};

static int in_checkpoint(struct in_state *s)
{
	struct bridge_err err;
	unsigned int i;
	int ret;

	/* While skipping a crashed run's records, the checkpoint covers only
	 * those skipped so far: the local position is the reader's, not the
	 * tail (the rest are still to be matched after a restart). */
	s->ck.dest_position = byteor_journal_position(s->chk ? s->chk : s->pub);
	ret = bridge_ckpt_store(s->c->checkpoint, &s->ck, &err);
	if (ret) {
		/* Not acknowledged: redelivered and skipped by the count. */
		bridge_log("in: %s", err.msg);
		for (i = 0; i < s->nacks; i++)
			s->ops->release(s->t, &s->acks[i]);
		s->nacks = 0;
		return ret;
	}
	for (i = 0; i < s->nacks; i++) {
		if (s->ops->ack(s->t, &s->acks[i]) == 0)
			s->m->acks++;
	}
	s->nacks = 0;
	return 0;
}

static void in_done(struct in_state *s, struct bridge_rec *r)
{
	if (s->nacks == s->maxacks)
		in_checkpoint(s);
	s->acks[s->nacks++] = *r;
}

static void in_fatal(struct in_state *s, struct bridge_rec *r, const char *fmt,
		     const char *why)
{
	bridge_log(fmt, why);
	s->fatal = true;
	s->ops->release(s->t, r);
}

/* Does the local journal's next record (a crashed run's) equal @r? */
static const char *in_verify(struct in_state *s, const struct bridge_rec *r,
			     const struct bridge_gap *g)
{
	struct byteor_journal_record jr;
	int n;

	n = byteor_journal_read(s->chk, s->buf, s->cap, &jr);
	if (n < 0)
		return byteor_strerror(n);
	if (r->kind == BRIDGE_REC_GAP)
		return jr.type == BRIDGE_GAP_TYPE && n == sizeof(*g) &&
			!memcmp(s->buf, g, sizeof(*g)) ? NULL : "gap marker differs";
	if (jr.type != r->type || (__u32)n != r->len ||
	    memcmp(s->buf, r->data, r->len))
		return "record differs";
	return NULL;
}

/* Append @r (it is the chain's next). */
static void in_apply(struct in_state *s, struct bridge_rec *r)
{
	struct bridge_gap g = { s->ck.position, r->next };
	const char *why;
	int ret;

	if (s->skip) {
		why = in_verify(s, r, &g);
		if (why) {
			char m[160];

			snprintf(m, sizeof(m), "%s at source position %llu", why,
				 (unsigned long long)r->pos);
			in_fatal(s, r, "in: the local journal's records since the checkpoint do not match the stream's (%s); stopping, nothing acknowledged",
				 m);
			return;
		}
		s->skip--;
		s->m->duplicates++;
		if (!s->skip) {
			byteor_journal_detach(s->chk);
			s->chk = NULL;
		}
	} else if (r->kind == BRIDGE_REC_GAP) {
		ret = byteor_journal_append(s->pub, BRIDGE_GAP_TYPE, &g, sizeof(g), NULL);
		if (ret)
			goto append_failed;
		s->m->gaps++;
		s->m->gap_bytes += g.to - g.from;
		bridge_log("in: GAP: source positions [%llu, %llu) were lost at the source (lapped); a gap marker record (type 0x%x) is appended in their place",
			   (unsigned long long)g.from, (unsigned long long)g.to,
			   BRIDGE_GAP_TYPE);
	} else {
		ret = byteor_journal_append(s->pub, r->type, r->data, r->len, NULL);
		if (ret)
			goto append_failed;
		s->m->records++;
		/* The tests' crash point: appended, not yet checkpointed. */
		if (s->kill_after && s->m->records == s->kill_after)
			raise(SIGKILL);
		s->m->bytes += r->len;
		s->m->lag_seconds = (bridge_now_ns() - r->time_ns) / 1e9;
	}
	s->ck.position = r->next;
	s->m->position = r->next;
	in_done(s, r);
	return;
append_failed:
	{
		char m[160];

		snprintf(m, sizeof(m), "%s (record of %u bytes, the journal's largest is %u)",
			 byteor_strerror(ret), r->len, byteor_journal_max_record(s->pub));
		in_fatal(s, r, "in: append to the local journal: %s; stopping", m);
	}
}

/* 1: applied or dropped as a duplicate; 0: not yet (ahead). */
static int in_try(struct in_state *s, struct bridge_rec *r)
{
	__u64 e = s->ck.position;

	if (r->kind == BRIDGE_REC_GAP ? r->next <= e : r->pos < e) {
		s->m->duplicates++;
		in_done(s, r);
		return 1;
	}
	if (r->kind == BRIDGE_REC_GAP ? r->pos <= e : r->pos == e) {
		in_apply(s, r);
		return 1;
	}
	return 0;
}

static void in_hold(struct in_state *s, struct bridge_rec *r)
{
	unsigned int i;

	for (i = 0; i < s->nheld && s->held[i].pos < r->pos; i++)
		;
	if (i < s->nheld && s->held[i].pos == r->pos &&
	    s->held[i].kind == r->kind) {
		/* A redelivery of a held record: keep the newer delivery. */
		s->ops->release(s->t, &s->held[i]);
		s->held[i] = *r;
		return;
	}
	if (s->nheld == s->maxheld) {
		/* Full: it comes again after the ack wait. */
		s->ops->release(s->t, r);
		return;
	}
	memmove(&s->held[i + 1], &s->held[i], (s->nheld - i) * sizeof(*r));
	s->held[i] = *r;
	s->nheld++;
	s->m->lag_bytes += r->len;
}

static void in_unhold(struct in_state *s)
{
	while (s->nheld && !s->fatal) {
		struct bridge_rec r = s->held[0];

		if (!in_try(s, &r))
			break;
		s->m->lag_bytes -= r.len;
		memmove(&s->held[0], &s->held[1], --s->nheld * sizeof(r));
	}
	s->m->held = s->nheld;
}

static void in_take(struct in_state *s, struct bridge_rec *r)
{
	struct bridge_ckpt *ck = &s->ck;

	if (!r->region[0]) {
		s->m->errors++;
		bridge_log("in: a message on %s without the bridge's headers; acknowledged and dropped",
			   s->c->subject);
		in_done(s, r);
		return;
	}
	if (r->delivered > 1)
		s->m->redeliveries++;
	s->m->lag_records = r->pending;
	if (!ck->chain_known) {
		/* The first record names the chain: its source and origin. */
		snprintf(ck->region, sizeof(ck->region), "%s", r->region);
		ck->generation = r->generation;
		ck->origin = r->origin;
		ck->position = r->origin;
		ck->chain_known = true;
		bridge_log("in: stream '%s' carries journal '%s' generation %llu from position %llu",
			   s->c->stream, ck->region,
			   (unsigned long long)ck->generation,
			   (unsigned long long)ck->origin);
	} else if (strcmp(r->region, ck->region) || r->generation != ck->generation ||
		   r->origin != ck->origin) {
		char m[400];

		snprintf(m, sizeof(m), "a record of journal '%s' generation %llu (origin %llu) where journal '%s' generation %llu (origin %llu) was being replicated",
			 r->region, (unsigned long long)r->generation,
			 (unsigned long long)r->origin, ck->region,
			 (unsigned long long)ck->generation,
			 (unsigned long long)ck->origin);
		in_fatal(s, r, "in: stream mismatch: %s; stopping, nothing appended or acknowledged from it", m);
		return;
	}
	if (!in_try(s, r))
		in_hold(s, r);
	in_unhold(s);
}

/* Count what a crashed run appended after its last checkpoint. */
static int in_open(struct in_state *s)
{
	const struct bridge_config *c = s->c;
	struct byteor_attach_options o = bridge_attach_opts(c);
	struct byteor_journal_record jr;
	struct bridge_err err = { "" };
	__u64 gen, tail, oldest;
	bool fresh = false;
	int ret;

	ret = bridge_region_generation(c, &gen, &err);
	if (ret)
		goto fail;
	ret = bridge_ckpt_load(c->checkpoint, &s->ck, &err);
	if (ret == -ENOENT) {
		fresh = true;
		memset(&s->ck, 0, sizeof(s->ck));
		s->ck.dir = BRIDGE_IN;
		snprintf(s->ck.dest, sizeof(s->ck.dest), "%s", c->journal);
		s->ck.dest_generation = gen;
	} else if (ret) {
		goto fail;
	} else if (s->ck.dir != BRIDGE_IN || strcmp(s->ck.dest, c->journal) ||
		   s->ck.dest_generation != gen) {
		bridge_err_set(&err, "checkpoint %s belongs to %s journal '%s' generation %llu, not to 'in' to journal '%s' generation %llu (a re-created journal or another bridge's file); refusing to use it",
			       c->checkpoint,
			       s->ck.dir == BRIDGE_IN ? "'in' to" : "'out' of",
			       s->ck.dir == BRIDGE_IN ? s->ck.dest : s->ck.region,
			       (unsigned long long)(s->ck.dir == BRIDGE_IN ?
						    s->ck.dest_generation : s->ck.generation),
			       c->journal, (unsigned long long)gen);
		ret = -ESTALE;
		goto fail;
	}
	ret = byteor_attach_journal_publisher(&o, &s->pub);
	if (ret) {
		bridge_err_set(&err, "journal '%s': %s%s", c->journal,
			       byteor_strerror(ret),
			       ret == -EBUSY ? " (another publisher - another 'in' bridge? - holds it)" : "");
		goto fail;
	}
	tail = byteor_journal_position(s->pub);
	s->cap = byteor_journal_max_record(s->pub);
	s->buf = malloc(s->cap ? s->cap : 1);
	if (!s->buf)
		return -ENOMEM;
	if (fresh) {
		s->ck.dest_position = tail;
		return 0;
	}
	if (s->ck.dest_position > tail) {
		bridge_err_set(&err, "checkpoint %s says journal '%s' reached position %llu but its tail is %llu: not this journal's checkpoint",
			       c->checkpoint, c->journal,
			       (unsigned long long)s->ck.dest_position,
			       (unsigned long long)tail);
		ret = -ESTALE;
		goto fail;
	}
	byteor_journal_oldest(s->pub, &oldest);
	ret = byteor_attach_journal_subscriber_from(&o, s->ck.dest_position, &s->chk);
	if (ret) {
		bridge_err_set(&err, "journal '%s': %s", c->journal, byteor_strerror(ret));
		goto fail;
	}
	for (;;) {
		ret = byteor_journal_read(s->chk, s->buf, s->cap, &jr);
		if (ret == -EAGAIN || ret == -EPIPE)
			break;
		if (ret < 0) {
			bridge_err_set(&err, "journal '%s': the records appended after the checkpoint (from position %llu, oldest retained %llu) cannot be read back (%s): cannot tell which stream records they were; refusing",
				       c->journal,
				       (unsigned long long)s->ck.dest_position,
				       (unsigned long long)oldest,
				       byteor_strerror(ret));
			ret = -ESTALE;
			goto fail;
		}
		s->skip++;
	}
	if (s->skip && !s->ck.chain_known) {
		/* Appended before the chain was checkpointed: still exact, the
		 * first records delivered are the chain's first. */
	}
	byteor_journal_seek(s->chk, s->ck.dest_position);
	if (!s->skip) {
		byteor_journal_detach(s->chk);
		s->chk = NULL;
	} else {
		bridge_log("in: %llu record(s) were appended after the last checkpoint (a crash); their redeliveries will be skipped",
			   (unsigned long long)s->skip);
	}
	return 0;
fail:
	bridge_log("in: %s", err.msg);
	return ret;
}

int bridge_in_run(const struct bridge_config *c, struct bridge_metrics *m)
{
	struct in_state s = { .c = c, .m = m };
	struct bridge_err err = { "" };
	struct bridge_rec *v = NULL;
	__u64 last_rec_ms, last_ckpt_ms, last_err_ms = 0, stall_ms = 0, stall_at = 0;
	unsigned int i;
	int n, ret;

	s.ops = bridge_transport_find(c->transport);
	if (!s.ops) {
		bridge_log("in: unknown transport '%s'", c->transport);
		return -EINVAL;
	}
	ret = in_open(&s);
	if (ret)
		goto out;
	if (getenv("BYTEOR_BRIDGE_KILL_AFTER"))
		s.kill_after = strtoull(getenv("BYTEOR_BRIDGE_KILL_AFTER"), NULL, 0);
	s.maxheld = c->batch * 8 > 4096 ? c->batch * 8 : 4096;
	s.maxacks = c->batch * 4;
	s.held = calloc(s.maxheld, sizeof(*s.held));
	s.acks = calloc(s.maxacks, sizeof(*s.acks));
	v = calloc(c->batch, sizeof(*v));
	if (!s.held || !s.acks || !v) {
		ret = -ENOMEM;
		goto out;
	}
	m->window_max = s.maxacks;
	ret = s.ops->connect(c, NULL, NULL, &s.t, &err);
	if (ret) {
		bridge_log("in: %s", err.msg);
		goto out;
	}
	ret = bridge_ckpt_store(c->checkpoint, &s.ck, &err);
	if (ret) {
		bridge_log("in: %s", err.msg);
		goto out;
	}
	m->position = s.ck.position;
	bridge_log("in: stream '%s' consumer '%s' -> journal '%s' (generation %llu) at position %llu",
		   c->stream, c->durable, c->journal,
		   (unsigned long long)s.ck.dest_generation,
		   (unsigned long long)s.ck.dest_position);
	last_rec_ms = last_ckpt_ms = bridge_mono_ms();
	while (!bridge_stop && !s.fatal) {
		__u64 now;

		if (bridge_dump) {
			bridge_dump = 0;
			m->window = s.nacks;
			bridge_metrics_write(m, c->metrics);
		}
		if (c->max_records && m->records >= c->max_records)
			break;
		n = s.ops->fetch(s.t, v, c->batch, 200, &err);
		now = bridge_mono_ms();
		if (n < 0) {
			m->errors++;
			if (now - last_err_ms > 2000) {
				bridge_log("in: %s; retrying", err.msg);
				last_err_ms = now;
			}
			bridge_sleep_ms(100);
			continue;
		}
		for (i = 0; i < (unsigned int)n; i++) {
			if (s.fatal)
				s.ops->release(s.t, &v[i]);
			else
				in_take(&s, &v[i]);
		}
		if (n)
			last_rec_ms = now;
		m->window = s.nacks;
		/* An fsync holds the loop: one per --checkpoint-ms while
		 * records flow, at once when the consumer is drained. */
		if (s.nacks && (n == 0 || s.nacks >= s.maxacks / 2 ||
				now - last_ckpt_ms >= (__u64)c->checkpoint_ms)) {
			in_checkpoint(&s);
			last_ckpt_ms = now;
		}
		/* Waiting for a missing record is said, every 10 s. */
		if (s.nheld && s.ck.position == stall_at) {
			if (now - stall_ms >= 10000) {
				bridge_log("in: waiting for source position %llu; %u record(s) held ahead of it",
					   (unsigned long long)stall_at, s.nheld);
				stall_ms = now;
			}
		} else {
			stall_at = s.ck.position;
			stall_ms = now;
		}
		if (!n && c->max_idle_ms && now - last_rec_ms >= (__u64)c->max_idle_ms)
			break;
	}
	ret = s.fatal ? -EPROTO : 0;
out:
	if (s.t) {
		if (s.nacks)
			in_checkpoint(&s);
		for (i = 0; i < s.nheld; i++)
			s.ops->release(s.t, &s.held[i]);
		if (s.nheld)
			bridge_log("in: %u record(s) held ahead of source position %llu were left unacknowledged",
				   s.nheld, (unsigned long long)s.ck.position);
		s.ops->close(s.t);
		bridge_log("in: stopped at source position %llu: %llu record(s) appended, %llu duplicate(s) skipped, %llu redelivery(ies), %llu gap(s), %llu error(s)",
			   (unsigned long long)s.ck.position,
			   (unsigned long long)m->records,
			   (unsigned long long)m->duplicates,
			   (unsigned long long)m->redeliveries,
			   (unsigned long long)m->gaps, (unsigned long long)m->errors);
	}
	if (s.chk)
		byteor_journal_detach(s.chk);
	if (s.pub)
		byteor_journal_detach(s.pub);
	free(s.held);
	free(s.acks);
	free(s.buf);
	free(v);
	return ret;
}
