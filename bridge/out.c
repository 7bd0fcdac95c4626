// SPDX-License-Identifier: MIT
/*
 * bridge/out.c - byteor-bridge out: a journal subscriber publishing every
 * record, in order, with a bounded window of outstanding acknowledgements.
 *
 * The window is a ring of the records published and not yet retired, in
 * publication (= position) order.  nats.c's thread marks entries acked
 * (or failed); this thread retires the acked prefix, which moves the
 * contiguous acknowledged position, and checkpoints that position.  Any
 * failure (an error reply, a missing acknowledgement, a publish refused
 * while reconnecting) rewinds: wait until nothing is outstanding, seek the
 * subscriber back to the acknowledged position, publish from there again.
 * What was stored already comes back as a duplicate (same id) and is
 * dropped by the server within the stream's duplicate window.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "transport.h"

struct out_entry {
	__u64 pos, next, time_ns;
	__u32 kind, len;
	bool acked;
};

struct out_state {
	const struct bridge_config *c;
	struct bridge_metrics *m;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct out_entry *ring;
	__u64 mask, head, tail;		/* entries [tail, head) outstanding */
	__u64 acked_pos;		/* everything before it is stored */
	bool failed;			/* a publication failed: rewind */
	char why[160];			/* the first failure's words */
	__u64 inflight;			/* published, no answer yet */
};

/* nats.c's thread (or ours): the answer for the record at @pos. */
static void out_on_ack(void *ctx, __u64 pos, __u32 kind, int err, bool dup,
		       const char *why)
{
	struct out_state *s = ctx;
	__u64 lo, hi;

	pthread_mutex_lock(&s->lock);
	/* Binary search: positions grow along the ring. */
	lo = s->tail;
	hi = s->head;
	while (lo < hi) {
		__u64 mid = lo + (hi - lo) / 2;

		if (s->ring[mid & s->mask].pos < pos)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (s->inflight)
		s->inflight--;
	if (err) {
		s->m->errors++;
		if (!s->failed)
			snprintf(s->why, sizeof(s->why), "%.150s",
				 why ? why : strerror(-err));
		s->failed = true;
	} else if (lo < s->head && s->ring[lo & s->mask].pos == pos &&
		   s->ring[lo & s->mask].kind == kind) {
		s->ring[lo & s->mask].acked = true;
		s->m->acks++;
		if (dup)
			s->m->duplicates++;
	}
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

/* Retire the acknowledged prefix (lock held). */
static void out_retire(struct out_state *s)
{
	while (s->tail < s->head && s->ring[s->tail & s->mask].acked) {
		struct out_entry *e = &s->ring[s->tail & s->mask];

		s->acked_pos = e->next;
		if (e->kind == BRIDGE_REC_DATA) {
			s->m->records++;
			s->m->bytes += e->len;
		}
		s->tail++;
	}
	s->m->window = s->head - s->tail;
	s->m->position = s->acked_pos;
}

static int out_checkpoint(struct out_state *s, struct bridge_ckpt *ck)
{
	struct bridge_err err;
	__u64 pos;
	int ret;

	pthread_mutex_lock(&s->lock);
	out_retire(s);
	pos = s->acked_pos;
	pthread_mutex_unlock(&s->lock);
	if (pos == ck->position)
		return 0;
	ck->position = pos;
	ret = bridge_ckpt_store(s->c->checkpoint, ck, &err);
	if (ret)
		bridge_log("%s", err.msg);
	return ret;
}

/* Wait until every publication has an answer (or @ms pass). */
static void out_drain(struct out_state *s, const struct bridge_transport_ops *ops,
		      struct bridge_transport *t, long ms)
{
	__u64 deadline = bridge_mono_ms() + ms;
	struct timespec ts;

	ops->wait_acks(t, ms);
	pthread_mutex_lock(&s->lock);
	while (s->inflight && bridge_mono_ms() < deadline) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 50 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&s->cond, &s->lock, &ts);
	}
	out_retire(s);
	pthread_mutex_unlock(&s->lock);
}

static int out_publish(struct out_state *s, const struct bridge_transport_ops *ops,
		       struct bridge_transport *t, struct bridge_rec *r)
{
	struct bridge_err err;
	struct out_entry *e;
	int ret;

	pthread_mutex_lock(&s->lock);
	e = &s->ring[s->head & s->mask];
	e->pos = r->pos;
	e->next = r->next;
	e->kind = r->kind;
	e->len = r->len;
	e->time_ns = r->time_ns;
	e->acked = false;
	s->head++;
	s->inflight++;
	s->m->window = s->head - s->tail;
	pthread_mutex_unlock(&s->lock);
	ret = ops->publish_async(t, r, &err);
	if (ret) {
		pthread_mutex_lock(&s->lock);
		s->inflight--;
		if (!s->failed)
			snprintf(s->why, sizeof(s->why), "%.120s", err.msg);
		s->failed = true;
		s->m->errors++;
		pthread_mutex_unlock(&s->lock);
	}
	return ret;
}

static int out_open(const struct bridge_config *c, struct bridge_ckpt *ck,
		    bool *fresh, struct byteor_journal **sub, __u64 *start)
{
	struct byteor_attach_options o = bridge_attach_opts(c);
	struct byteor_journal *j;
	struct bridge_err err = { "" };
	__u64 gen, tail;
	int ret;

	ret = bridge_region_generation(c, &gen, &err);
	if (ret)
		goto fail;
	ret = bridge_ckpt_load(c->checkpoint, ck, &err);
	if (ret == -ENOENT) {
		*fresh = true;
		memset(ck, 0, sizeof(*ck));
		ck->dir = BRIDGE_OUT;
		snprintf(ck->region, sizeof(ck->region), "%s", c->journal);
		ck->generation = gen;
		ck->chain_known = true;
	} else if (ret) {
		goto fail;
	} else if (ck->dir != BRIDGE_OUT || strcmp(ck->region, c->journal) ||
		   ck->generation != gen) {
		bridge_err_set(&err, "checkpoint %s belongs to %s journal '%s' generation %llu, not to 'out' of journal '%s' generation %llu (a re-created journal or another bridge's file); refusing to use it",
			       c->checkpoint, ck->dir == BRIDGE_OUT ? "'out' of" : "'in' to",
			       ck->region, (unsigned long long)ck->generation,
			       c->journal, (unsigned long long)gen);
		ret = -ESTALE;
		goto fail;
	}
	ret = byteor_attach_journal_subscriber_tail(&o, &j);
	if (ret) {
		bridge_err_set(&err, "journal '%s': %s", c->journal,
			       byteor_strerror(ret));
		goto fail;
	}
	tail = byteor_journal_position(j);
	if (!*fresh)
		*start = ck->position;
	else if (c->from == BRIDGE_FROM_POS)
		*start = c->from_pos;
	else if (c->from == BRIDGE_FROM_OLDEST)
		byteor_journal_oldest(j, start);
	else
		*start = tail;
	ret = byteor_journal_seek(j, *start);
	if (ret) {
		bridge_err_set(&err, "%s position %llu is beyond journal '%s''s tail %llu%s",
			       *fresh ? "--from" : "checkpoint",
			       (unsigned long long)*start, c->journal,
			       (unsigned long long)tail,
			       *fresh ? "" : ": the checkpoint does not belong to this journal");
		byteor_journal_detach(j);
		ret = *fresh ? -ERANGE : -ESTALE;
		goto fail;
	}
	if (*fresh) {
		ck->origin = *start;
		ck->position = *start;
	}
	*sub = j;
	return 0;
fail:
	bridge_log("out: %s", err.msg);
	return ret;
}

int bridge_out_run(const struct bridge_config *c, struct bridge_metrics *m)
{
	const struct bridge_transport_ops *ops = bridge_transport_find(c->transport);
	struct bridge_transport *t = NULL;
	struct byteor_journal *sub = NULL;
	struct byteor_journal_snapshot snap;
	struct out_state s = { .c = c, .m = m };
	struct bridge_ckpt ck;
	struct bridge_err err = { "" };
	struct byteor_journal_record jr;
	struct bridge_rec r;
	unsigned char *buf = NULL;
	__u64 start = 0, gen, last_ckpt_ms, last_rec_ms, pub_hi = 0, done;
	__u64 ck_records = 0, rewinds = 0, backoff = 0;
	char why[160];
	bool fresh = false;
	size_t cap;
	int ret;

	if (!ops) {
		bridge_log("out: unknown transport '%s'", c->transport);
		return -EINVAL;
	}
	ret = out_open(c, &ck, &fresh, &sub, &start);
	if (ret)
		return ret;
	gen = ck.generation;
	cap = byteor_journal_max_record(sub);
	buf = malloc(cap ? cap : 1);
	for (s.mask = 1; s.mask < c->window; s.mask <<= 1)
		;
	s.ring = calloc(s.mask, sizeof(*s.ring));
	s.mask--;
	if (!buf || !s.ring) {
		ret = -ENOMEM;
		goto out;
	}
	pthread_mutex_init(&s.lock, NULL);
	pthread_cond_init(&s.cond, NULL);
	s.acked_pos = start;
	m->position = start;
	m->window_max = c->window;
	ret = ops->connect(c, out_on_ack, &s, &t, &err);
	if (ret) {
		bridge_log("out: %s", err.msg);
		goto out;
	}
	/* Only now, with the journal and the stream known good. */
	if (fresh) {
		ret = bridge_ckpt_store(c->checkpoint, &ck, &err);
		if (ret) {
			bridge_log("out: %s", err.msg);
			goto out;
		}
	}
	bridge_log("out: journal '%s' (generation %llu) from position %llu%s -> stream '%s' subject %s, window %u",
		   c->journal, (unsigned long long)gen, (unsigned long long)start,
		   fresh ? "" : " (checkpoint)", c->stream, c->subject, c->window);
	last_ckpt_ms = last_rec_ms = bridge_mono_ms();
	while (!bridge_stop) {
		__u64 now = bridge_mono_ms();
		bool full, failed;

		if (bridge_dump) {
			bridge_dump = 0;
			byteor_journal_snapshot(sub, &snap);
			pthread_mutex_lock(&s.lock);
			out_retire(&s);
			m->lag_bytes = snap.tail - s.acked_pos;
			m->lag_records = s.head - s.tail;
			m->lag_seconds = s.head > s.tail ?
				(bridge_now_ns() - s.ring[s.tail & s.mask].time_ns) / 1e9 : 0;
			pthread_mutex_unlock(&s.lock);
			bridge_metrics_write(m, c->metrics);
		}
		pthread_mutex_lock(&s.lock);
		out_retire(&s);
		full = s.head - s.tail >= c->window;
		failed = s.failed;
		done = m->records;
		pthread_mutex_unlock(&s.lock);
		if (ck.position != s.acked_pos &&
		    (now - last_ckpt_ms >= (__u64)c->checkpoint_ms ||
		     done - ck_records >= c->checkpoint_every)) {
			out_checkpoint(&s, &ck);
			last_ckpt_ms = now;
			ck_records = done;
		}
		if (c->max_records && done >= c->max_records)
			break;
		if (failed) {
			/* Rewind to the first record not known stored. */
			out_drain(&s, ops, t, c->ack_timeout_ms * 2);
			pthread_mutex_lock(&s.lock);
			s.failed = false;
			s.head = s.tail = 0;
			s.inflight = 0;
			/* A run of failures backs off: 100 ms, doubling to 2 s,
			 * until a rewind makes progress. */
			backoff = start == s.acked_pos && rewinds ?
				(backoff * 2 > 2000 ? 2000 : backoff * 2) : 100;
			start = s.acked_pos;
			snprintf(why, sizeof(why), "%s", s.why);
			pthread_mutex_unlock(&s.lock);
			if (backoff == 100 || backoff == 2000 || c->verbose)
				bridge_log("out: publishing again from position %llu in %llu ms (%s)",
					   (unsigned long long)start,
					   (unsigned long long)backoff, why);
			rewinds++;
			ret = byteor_journal_seek(sub, start);
			if (ret) {
				bridge_log("out: seek to %llu: %s",
					   (unsigned long long)start,
					   byteor_strerror(ret));
				goto out;
			}
			bridge_sleep_ms(backoff);
			continue;
		}
		if (full) {
			pthread_mutex_lock(&s.lock);
			if (s.head - s.tail >= c->window && !s.failed) {
				struct timespec ts;

				clock_gettime(CLOCK_REALTIME, &ts);
				ts.tv_nsec += 20 * 1000000L;
				if (ts.tv_nsec >= 1000000000L) {
					ts.tv_sec++;
					ts.tv_nsec -= 1000000000L;
				}
				pthread_cond_timedwait(&s.cond, &s.lock, &ts);
			}
			pthread_mutex_unlock(&s.lock);
			continue;
		}
		if (c->max_records && m->records + (s.head - s.tail) >= c->max_records) {
			bridge_sleep_ms(5);
			continue;
		}
		ret = byteor_journal_read_timed(sub, buf, cap, &jr, 20 * 1000000LL);
		memset(&r, 0, sizeof(r));
		snprintf(r.region, sizeof(r.region), "%s", c->journal);
		r.generation = gen;
		r.origin = ck.origin;
		r.time_ns = bridge_now_ns();
		if (ret >= 0) {
			r.kind = BRIDGE_REC_DATA;
			r.type = jr.type;
			r.pos = jr.pos;
			r.next = jr.next;
			r.data = buf;
			r.len = (__u32)ret;
		} else if (ret == -EOVERFLOW || ret == -EBADMSG) {
			/* Never hidden: a gap marker travels in its place. */
			r.kind = BRIDGE_REC_GAP;
			r.type = BRIDGE_GAP_TYPE;
			r.pos = jr.pos;
			r.next = jr.next;
			m->gaps++;
			m->gap_bytes += jr.next - jr.pos;
			bridge_log("out: GAP: source positions [%llu, %llu) (%llu bytes) %s before they were published; a gap marker is published in their place",
				   (unsigned long long)jr.pos, (unsigned long long)jr.next,
				   (unsigned long long)(jr.next - jr.pos),
				   ret == -EOVERFLOW ? "were overwritten (lapped)" :
				   "were corrupt");
		} else if (ret == -ETIMEDOUT || ret == -EAGAIN || ret == -EPIPE) {
			if (ret == -EPIPE)
				bridge_sleep_ms(20);
			if (c->max_idle_ms && now - last_rec_ms >= (__u64)c->max_idle_ms)
				break;
			continue;
		} else {
			bridge_log("out: journal read: %s", byteor_strerror(ret));
			goto out;
		}
		last_rec_ms = now;
		if (r.pos < pub_hi)
			m->republished++;
		else
			pub_hi = r.next;
		out_publish(&s, ops, t, &r);
	}
	ret = 0;
out:
	if (t) {
		out_drain(&s, ops, t, c->ack_timeout_ms);
		out_checkpoint(&s, &ck);
		ops->close(t);
	}
	if (sub) {
		byteor_journal_snapshot(sub, &snap);
		m->lag_bytes = snap.tail - s.acked_pos;
		m->lag_records = s.head - s.tail;
		byteor_journal_detach(sub);
	}
	if (s.ring) {
		bridge_log("out: stopped at position %llu: %llu record(s), %llu duplicate(s), %llu gap(s), %llu error(s)",
			   (unsigned long long)s.acked_pos,
			   (unsigned long long)m->records,
			   (unsigned long long)m->duplicates,
			   (unsigned long long)m->gaps,
			   (unsigned long long)m->errors);
	}
	free(s.ring);
	free(buf);
	return ret;
}
