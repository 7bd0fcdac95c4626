// SPDX-License-Identifier: MIT
/*
 * journal.c - the journal (byteor/journal.h): a circular log of
 * variable-length records, one publisher that never waits, subscribers
 * that detect being lapped instead of reading torn data.
 *
 * Region (BYTEOR_KIND_JOURNAL): control block 0 is struct __byteor_jr_ctl;
 * AUX is the record area, capacity C bytes (a power of two).  Byte position
 * p lives at area[p & (C - 1)].
 *
 * Positions (free-running u64 byte positions, multiples of 8):
 *  tail    after the last committed record (publisher; release-stored)
 *  intent  the end of the record being written: bytes of positions below
 *          intent - C may be overwritten at any moment (publisher; never
 *          decreases)
 *  head    the oldest record wholly above intent - C (publisher)
 *
 * Publishing a record at p of n bytes: head moves past every record below
 * p + n - C (reading their headers); intent = p + n (release); a release
 * fence; then the header and payload; then tail = p + n (release).  A
 * record never straddles the area's end: if fewer than n bytes remain, a
 * padding record fills them (or, if fewer than a header's 16 bytes remain,
 * they are skipped implicitly - readers skip the same way).
 *
 * Reading the record at q < tail (acquire of tail: it is committed; the
 * tail is cached and loaded again when q reaches it, jr_tail()): copy
 * or use its header and payload, then an acquire fence, then load intent:
 * if intent - q > C the publisher may have overwritten it meanwhile, and
 * what was read is discarded (-EOVERFLOW).  This is the seqlock pattern:
 * the writer's release fence (after the intent store, before the data
 * stores) pairs with the reader's acquire fence (after the data loads,
 * before the intent load): a reader that saw any byte of the new record
 * sees the new intent.
 *
 * Trust: tail, intent, head and every header are checked against the
 * private geometry: a header must name its own position, a length within
 * the maximum and the area, and end at or below the tail; otherwise the
 * record is -EBADMSG (the subscriber resynchronises at the tail).  Nothing
 * read from shared memory is used as an address without masking.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <byteor/crashpoint.h>
#include <byteor/journal.h>
#include "internal.h"
#include "wait_pvt.h"
#include "single_ring_pvt.h"	/* struct __byteor_side, __byteor_lane_wait() */

#define JR_LIKELY(x)	__builtin_expect(!!(x), 1)
#define JR_UNLIKELY(x)	__builtin_expect(!!(x), 0)
/* The publisher's per-record path: one function, no calls but memcpy. */
#define JR_INLINE	inline __attribute__((always_inline))

#define JR_PAD		0xffffffffU	/* type of a padding record */
#define JR_HDR		BYTEOR_JOURNAL_HEADER
#define JR_POLL_NS	1000000LL	/* read-only subscribers: longest sleep */

/*
 * Seqlock fences (see the top).  ThreadSanitizer rejects
 * atomic_thread_fence() (GCC: -Werror=tsan); it cannot see the other
 * process anyway, so under TSan the instruction is written by hand.
 */
#if defined(__SANITIZE_THREAD__) && defined(__x86_64__)
/* x86-TSO: loads are not reordered with loads, nor stores with stores. */
#define jr_fence_acquire()	do { __asm__ __volatile__("" ::: "memory"); } while (0)
#define jr_fence_release()	do { __asm__ __volatile__("" ::: "memory"); } while (0)
#elif defined(__SANITIZE_THREAD__) && defined(__aarch64__)
#define jr_fence_acquire()	do { __asm__ __volatile__("dmb ishld" ::: "memory"); } while (0)
#define jr_fence_release()	do { __asm__ __volatile__("dmb ish" ::: "memory"); } while (0)
#else
#define jr_fence_acquire()	atomic_thread_fence(memory_order_acquire)
#define jr_fence_release()	atomic_thread_fence(memory_order_release)
#endif

/* A record header in the area. */
struct __byteor_jr_hdr {
	__u32 len;
	__u32 type;
	__u64 pos;
};

_Static_assert(sizeof(struct __byteor_jr_hdr) == JR_HDR, "journal header");

/*
 * Control block 0.  Parts with different writers are 128 bytes apart.
 * @tail, @intent, @head, @records, @attaches, @corrupt: the publisher's
 * @data: subscribers park here; the publisher notifies after a commit
 * @subs: subscribers' shared counters (attaches, parks, park_path)
 */
struct __byteor_jr_ctl {
	_Atomic __u64 tail;
	_Atomic __u64 intent;
	_Atomic __u64 head;
	_Atomic __u64 records;
	_Atomic __u64 attaches;
	_Atomic __u64 corrupt;
	__u64 pad0[2];
	__u8 pad1[64];
	struct __byteor_ec data;
	__u8 pad2[64];
	struct __byteor_side subs;
	__u8 pad3[64];
};

_Static_assert(offsetof(struct __byteor_jr_ctl, data) == 128, "jr data");
_Static_assert(offsetof(struct __byteor_jr_ctl, subs) == 256, "jr subs");
_Static_assert(sizeof(struct __byteor_jr_ctl) <= BYTEOR_CONTROL_STRIDE, "jr ctl");

/*
 * A registered subscriber's slot (layout version 2): 64 bytes, one cache
 * line each, in control blocks 1 and 2; slot i belongs to whoever holds
 * claim word 1 + i.  Only its holder writes it, only observers read it,
 * and the publisher never touches it (no new work on its path).
 * @state: JR_SUB_ACTIVE from attach to detach; a holder killed leaves it
 *         ACTIVE with a dead claim, which observers report as dead until
 *         the next subscriber takes the slot
 * @pos, @lapped, @read, @bad: the subscriber's own view (relaxed stores,
 *         statistics: an observer may see them a call late)
 */
struct __byteor_jr_sub {
	_Atomic __u64 pos;
	_Atomic __u64 lapped;
	_Atomic __u64 read;
	_Atomic __u64 bad;
	_Atomic __u64 attaches;
	_Atomic __u32 state;
	_Atomic __u32 pid;
	__u64 pad[2];
};

#define JR_SUB_FREE	0U
#define JR_SUB_ACTIVE	1U

_Static_assert(sizeof(struct __byteor_jr_sub) == 64, "jr sub slot");
_Static_assert(BYTEOR_JOURNAL_SUBSCRIBERS * sizeof(struct __byteor_jr_sub) ==
	       2 * BYTEOR_CONTROL_STRIDE, "jr sub slots fill blocks 1 and 2");

struct byteor_journal {
	__u64 cap;			/* private geometry */
	__u64 mask;
	__u32 max;			/* largest payload */
	int role;
	unsigned char *area;
	struct __byteor_jr_ctl *ctl;
	/* Publisher. */
	__u64 tail, intent, head;
	__u64 records;			/* ctl->records: ours alone to write */
	__u64 claimed;			/* bytes of the claimed record, 0: none */
	__u32 claim_len;
	/* Subscriber. */
	__u64 pos;
	__u64 seen;			/* the tail last loaded (see jr_tail()) */
	__u64 idle;			/* looks since one found nothing new */
	__u64 bpos, bend;		/* the batch last peeked: first record, end */
	unsigned int bn;		/* its records; 0: none to consume */
	__u64 lapped, read, bad;
	struct __byteor_jr_sub *sub;	/* registered slot, NULL: unregistered */
	bool rw;			/* may park (announce on the eventcount) */
	bool waiter_ok;
	bool tick;
	long long timeout_ns;
	struct __byteor_region *reg;
	struct __byteor_waiter w;
};

static inline __u64 jr_size(__u64 len)
{
	return byteor_align(JR_HDR + len, BYTEOR_JOURNAL_ALIGN);
}

static void jr_corrupt(struct byteor_journal *j)
{
	if (j->role == BYTEOR_ROLE_PRODUCER)
		atomic_fetch_add_explicit(&j->ctl->corrupt, 1, memory_order_relaxed);
}

/* Copy the header at @off (relaxed loads: the publisher may rewrite it). */
static void jr_hdr_read(const struct byteor_journal *j, __u64 off,
			struct __byteor_jr_hdr *h)
{
	struct __byteor_jr_hdr *p = (struct __byteor_jr_hdr *)(j->area + off);

	h->len = __atomic_load_n(&p->len, __ATOMIC_RELAXED);
	h->type = __atomic_load_n(&p->type, __ATOMIC_RELAXED);
	h->pos = __atomic_load_n(&p->pos, __ATOMIC_RELAXED);
}

/*
 * The size of the record whose header @h sits at position @pos, or 0 if
 * the header is not a sane record there (wrong position, length beyond
 * the maximum or the area's end, past @limit).
 */
static inline __u64 jr_record_size(const struct byteor_journal *j,
			    const struct __byteor_jr_hdr *h, __u64 pos,
			    __u64 limit)
{
	__u64 off = pos & j->mask, rem = j->cap - off, size;

	if (h->pos != pos)
		return 0;
	if (h->type == JR_PAD) {
		if (h->len != rem - JR_HDR)
			return 0;
		size = rem;
	} else {
		if (h->len > j->max)
			return 0;
		size = jr_size(h->len);
		if (size > rem)
			return 0;
	}
	if (limit - pos < size)
		return 0;
	return size;
}

/* ------------------------------------------------------------------------
 * Attach.
 */

static int jr_attach(const struct byteor_attach_options *o, int role,
		     struct byteor_journal **out)
{
	struct byteor_geometry want;
	const struct byteor_geometry *g;
	const struct byteor_layout *l;
	struct byteor_journal *j;
	int ret;

	if (!o || !out)
		return -EINVAL;
	if (o->queue)
		return -EINVAL;
	if (role == BYTEOR_ROLE_PRODUCER && (o->flags & BYTEOR_ATTACH_OBSERVER))
		return -EINVAL;
	j = aligned_alloc(BYTEOR_CACHELINE,
			  byteor_align(sizeof(*j), BYTEOR_CACHELINE));
	if (!j)
		return -ENOMEM;
	memset(j, 0, sizeof(*j));
	memset(&want, 0, sizeof(want));
	/*
	 * Subscribers attach as consumers: the journal layout gives them no
	 * claim (any number may attach), and a read-write mapping lets them
	 * park.  BYTEOR_ATTACH_OBSERVER turns that into a read-only observer.
	 */
	ret = __byteor_region_attach(o, BYTEOR_KIND_JOURNAL, BYTEOR_JOURNAL_VERSION,
				     &want, (__u32)role, &j->reg);
	if (ret == -EBUSY && role == BYTEOR_ROLE_CONSUMER) {
		/*
		 * Every subscriber slot is taken: subscribers are not limited
		 * in number, so this one attaches unregistered, read-only (it
		 * polls instead of parking and is invisible to byteorctl).
		 */
		struct byteor_attach_options ro = *o;

		ro.flags |= BYTEOR_ATTACH_OBSERVER;
		ret = __byteor_region_attach(&ro, BYTEOR_KIND_JOURNAL,
					     BYTEOR_JOURNAL_VERSION, &want,
					     (__u32)role, &j->reg);
	}
	if (ret)
		goto err_free;
	g = &j->reg->info.geometry;
	l = &j->reg->info.layout;
	if (j->reg->info.kind != BYTEOR_KIND_JOURNAL ||
	    !byteor_is_pow2(g->capacity) || g->capacity < 4096 ||
	    g->slot_size > g->capacity / 4 ||
	    l->area_size[BYTEOR_AREA_CONTROL] < 3 * BYTEOR_CONTROL_STRIDE ||
	    l->area_size[BYTEOR_AREA_AUX] < g->capacity ||
	    l->nr_claims < 1 + BYTEOR_JOURNAL_SUBSCRIBERS) {
		ret = -EBADMSG;
		goto err_detach;
	}
	j->cap = g->capacity;
	j->mask = j->cap - 1;
	j->max = g->slot_size;
	j->role = role;
	j->rw = !j->reg->readonly;
	j->timeout_ns = o->timeout_ns;
	j->area = __byteor_area(j->reg, BYTEOR_AREA_AUX, 0);
	j->ctl = __byteor_area(j->reg, BYTEOR_AREA_CONTROL, 0);
	if (role == BYTEOR_ROLE_PRODUCER) {
		__byteor_notifier_init();
	} else if (j->rw) {
		ret = __byteor_waiter_init_opts(&j->w, o);
		if (ret)
			goto err_detach;
		j->waiter_ok = true;
	}
	*out = j;
	return 0;

err_detach:
	__byteor_region_detach(j->reg);
err_free:
	free(j);
	return ret;
}

int byteor_attach_journal_publisher(const struct byteor_attach_options *o,
				    struct byteor_journal **out)
{
	struct byteor_journal *j;
	__u64 t, in, h;
	int ret;

	ret = jr_attach(o, BYTEOR_ROLE_PRODUCER, &j);
	if (ret)
		return ret;
	t = atomic_load_explicit(&j->ctl->tail, memory_order_acquire);
	in = atomic_load_explicit(&j->ctl->intent, memory_order_acquire);
	h = atomic_load_explicit(&j->ctl->head, memory_order_acquire);
	/*
	 * A predecessor that died between claim and commit left intent above
	 * the tail: that record is dropped (nothing committed points at it);
	 * intent must never go down, so it is kept.  Anything inconsistent
	 * restarts the log after the furthest position seen, empty.
	 */
	if ((t | in | h) % BYTEOR_JOURNAL_ALIGN || in - t > j->cap ||
	    t - h > j->cap) {
		jr_corrupt(j);
		t = byteor_align(t > in ? t : in, BYTEOR_JOURNAL_ALIGN);
		in = t;
		h = t;
	}
	j->tail = t;
	j->intent = in;
	j->head = h;
	j->records = atomic_load_explicit(&j->ctl->records, memory_order_relaxed);
	atomic_store_explicit(&j->ctl->head, h, memory_order_relaxed);
	atomic_store_explicit(&j->ctl->intent, in, memory_order_relaxed);
	BYTEOR_CRASHPOINT("journal.publisher.attach_repairing");
	atomic_store_explicit(&j->ctl->tail, t, memory_order_release);
	atomic_fetch_add_explicit(&j->ctl->attaches, 1, memory_order_relaxed);
	*out = j;
	return 0;
}

static struct __byteor_jr_sub *jr_sub_slot(const struct byteor_journal *j,
					    unsigned int i)
{
	return (struct __byteor_jr_sub *)
		__byteor_area(j->reg, BYTEOR_AREA_CONTROL,
			      BYTEOR_CONTROL_STRIDE + i * sizeof(struct __byteor_jr_sub));
}

/* Show the subscriber's view in its slot (its own cache line). */
static void jr_sub_sync(struct byteor_journal *j)
{
	struct __byteor_jr_sub *s = j->sub;

	if (!s)
		return;
	atomic_store_explicit(&s->pos, j->pos, memory_order_relaxed);
	atomic_store_explicit(&s->lapped, j->lapped, memory_order_relaxed);
	atomic_store_explicit(&s->read, j->read, memory_order_relaxed);
	atomic_store_explicit(&s->bad, j->bad, memory_order_relaxed);
}

/*
 * Take the slot of the claim the attach got (claim word 1 + i is slot i;
 * the claim makes it ours alone): counters from zero, then ACTIVE.
 */
static void jr_sub_register(struct byteor_journal *j)
{
	struct __byteor_jr_sub *s;
	int claim = j->reg->claim;

	if (claim < 1 || claim > BYTEOR_JOURNAL_SUBSCRIBERS)
		return;		/* read-only: unregistered */
	s = jr_sub_slot(j, (unsigned int)claim - 1);
	j->sub = s;
	jr_sub_sync(j);
	atomic_store_explicit(&s->pid, (__u32)getpid(), memory_order_relaxed);
	atomic_fetch_add_explicit(&s->attaches, 1, memory_order_relaxed);
	/*
	 * Release: pairs with the acquire load of state in
	 * byteor_journal_subscribers(): an observer that sees ACTIVE sees
	 * this holder's counters, not the predecessor's.
	 */
	atomic_store_explicit(&s->state, JR_SUB_ACTIVE, memory_order_release);
}

static int jr_attach_sub(const struct byteor_attach_options *o, bool at_tail,
			 __u64 pos, struct byteor_journal **out)
{
	struct byteor_journal *j;
	int ret;

	ret = jr_attach(o, BYTEOR_ROLE_CONSUMER, &j);
	if (ret)
		return ret;
	if (at_tail) {
		/*
		 * The tail is shared memory: a scribbled, misaligned one must
		 * not fail the attach.  Start at the record boundary below it;
		 * reads then validate each record header and resync as usual.
		 */
		pos = atomic_load_explicit(&j->ctl->tail, memory_order_acquire);
		j->pos = pos & ~(__u64)(BYTEOR_JOURNAL_ALIGN - 1);
	} else {
		ret = byteor_journal_seek(j, pos);
		if (ret) {
			byteor_journal_detach(j);
			return ret;
		}
	}
	if (j->rw)
		atomic_fetch_add_explicit(&j->ctl->subs.attaches, 1,
					  memory_order_relaxed);
	jr_sub_register(j);
	*out = j;
	return 0;
}

int byteor_attach_journal_subscriber_tail(const struct byteor_attach_options *o,
					  struct byteor_journal **out)
{
	return jr_attach_sub(o, true, 0, out);
}

int byteor_attach_journal_subscriber_from(const struct byteor_attach_options *o,
					  __u64 pos, struct byteor_journal **out)
{
	return jr_attach_sub(o, false, pos, out);
}

void byteor_journal_detach(struct byteor_journal *j)
{
	if (!j)
		return;
	/*
	 * A clean detach frees the slot before the claim goes (the claim is
	 * released by __byteor_region_detach()): only a holder that died
	 * leaves an ACTIVE slot behind a dead claim.
	 */
	if (j->sub)
		/*
		 * Release: pairs with the acquire re-load of state in
		 * byteor_journal_subscribers() after it found the claim
		 * dead; the claim's release (unlock, or the kernel's epoch
		 * bump) comes after this store.
		 */
		atomic_store_explicit(&j->sub->state, JR_SUB_FREE,
				      memory_order_release);
	if (j->waiter_ok)
		__byteor_waiter_fini(&j->w);
	__byteor_region_detach(j->reg);
	free(j);
}

/* ------------------------------------------------------------------------
 * Publisher.
 */

/*
 * Move head past every record that the bytes up to @frontier will
 * overwrite.  The headers read are the publisher's own, but in shared
 * memory: one that does not check out restarts retention at the tail.
 */
static JR_INLINE void jr_advance_head(struct byteor_journal *j, __u64 frontier)
{
	struct __byteor_jr_hdr h;
	__u64 off, rem, size;

	while (frontier - j->head > j->cap) {
		if (j->head == j->tail)
			break;	/* a record is at most C / 4 + 16: unreachable */
		off = j->head & j->mask;
		rem = j->cap - off;
		if (rem < JR_HDR) {
			j->head += rem;
			continue;
		}
		jr_hdr_read(j, off, &h);
		size = jr_record_size(j, &h, j->head, j->tail);
		if (JR_UNLIKELY(!size)) {
			jr_corrupt(j);
			j->head = j->tail;
			continue;
		}
		j->head += size;
	}
	atomic_store_explicit(&j->ctl->head, j->head, memory_order_relaxed);
}

/*
 * Announce that bytes up to @frontier are about to be written: head first
 * (readers that see the new intent see it too), then intent, then the
 * fence that orders both before the writes that follow.
 */
static JR_INLINE void jr_announce(struct byteor_journal *j, __u64 frontier)
{
	jr_advance_head(j, frontier);
	BYTEOR_CRASHPOINT("journal.publisher.head_moved");
	if (frontier - j->intent <= j->cap && frontier != j->intent) {
		j->intent = frontier;
		/* Release: a reader that sees it sees the head stored above. */
		atomic_store_explicit(&j->ctl->intent, frontier,
				      memory_order_release);
	}
	/*
	 * Pairs with the reader's acquire fence in jr_intact(): a reader
	 * that sees any byte written after this sees the intent above.
	 */
	jr_fence_release();
	BYTEOR_CRASHPOINT("journal.publisher.intent_stored");
}

static JR_INLINE void jr_write_hdr(struct byteor_journal *j, __u64 pos, __u32 len,
			 __u32 type)
{
	struct __byteor_jr_hdr *p =
		(struct __byteor_jr_hdr *)(j->area + (pos & j->mask));

	/* Ordered before the commit by the release store of tail. */
	__atomic_store_n(&p->len, len, __ATOMIC_RELAXED);
	__atomic_store_n(&p->type, type, __ATOMIC_RELAXED);
	__atomic_store_n(&p->pos, pos, __ATOMIC_RELAXED);
}

static JR_INLINE void jr_commit_at(struct byteor_journal *j, __u64 size, bool count)
{
	j->tail += size;
	/*
	 * Only the publisher writes the count (claim 0 is exclusive): a
	 * plain store, not a locked add that would drain the store buffer
	 * on every record.
	 */
	if (count)
		atomic_store_explicit(&j->ctl->records, ++j->records,
				      memory_order_relaxed);
	/*
	 * Release: pairs with the subscriber's acquire load of tail: the
	 * record is fully written before it is visible.
	 */
	atomic_store_explicit(&j->ctl->tail, j->tail, memory_order_release);
}

/* Pad to the end of the area if a record of @n bytes does not fit. */
static JR_INLINE void jr_make_room(struct byteor_journal *j, __u64 n)
{
	__u64 rem = j->cap - (j->tail & j->mask);

	if (rem >= n)
		return;
	if (rem < JR_HDR) {
		/* Too small for a header: skipped implicitly by readers. */
		j->tail += rem;
		return;
	}
	jr_announce(j, j->tail + rem);
	jr_write_hdr(j, j->tail, (__u32)(rem - JR_HDR), JR_PAD);
	BYTEOR_CRASHPOINT("journal.publisher.pad_written");
	jr_commit_at(j, rem, false);
}

/* Claim @len checked bytes (a publisher, no claim outstanding). */
static JR_INLINE void *jr_claim(struct byteor_journal *j, size_t len)
{
	__u64 n = jr_size(len);

	jr_make_room(j, n);
	jr_announce(j, j->tail + n);
	j->claimed = n;
	j->claim_len = (__u32)len;
	return j->area + (j->tail & j->mask) + JR_HDR;
}

/* Is a claim of @len bytes allowed?  0 or the error of byteor_journal_claim(). */
static JR_INLINE int jr_claim_check(const struct byteor_journal *j, size_t len)
{
	if (JR_UNLIKELY(j->role != BYTEOR_ROLE_PRODUCER))
		return -EBADF;
	if (JR_UNLIKELY(j->claimed))
		return -EBUSY;
	if (JR_UNLIKELY(len > j->max))
		return -EMSGSIZE;
	return 0;
}

int byteor_journal_claim(struct byteor_journal *j, size_t len, void **data)
{
	int ret;

	if (JR_UNLIKELY(!j || !data))
		return -EINVAL;
	ret = jr_claim_check(j, len);
	if (JR_UNLIKELY(ret))
		return ret;
	*data = jr_claim(j, len);
	return 0;
}

/* Commit the claimed record (checked: a claim of at least @len bytes). */
static JR_INLINE void jr_commit(struct byteor_journal *j, __u32 type, size_t len,
		      __u64 *pos)
{
	__u64 at = j->tail;

	jr_write_hdr(j, at, (__u32)len, type);
	BYTEOR_CRASHPOINT("journal.publisher.header_written");
	/*
	 * A shorter record than claimed ends earlier; intent stays where the
	 * claim put it (it never goes down, see jr_announce()).
	 */
	jr_commit_at(j, jr_size(len), true);
	BYTEOR_CRASHPOINT("journal.publisher.committed");
	j->claimed = 0;
	__byteor_ec_notify(&j->ctl->data);
	if (pos)
		*pos = at;
}

int byteor_journal_commit(struct byteor_journal *j, __u32 type, size_t len,
			  __u64 *pos)
{
	if (JR_UNLIKELY(!j))
		return -EINVAL;
	if (JR_UNLIKELY(j->role != BYTEOR_ROLE_PRODUCER))
		return -EBADF;
	if (JR_UNLIKELY(!j->claimed || type > BYTEOR_JOURNAL_TYPE_MAX ||
			len > j->claim_len))
		return -EINVAL;
	jr_commit(j, type, len, pos);
	return 0;
}

int byteor_journal_abort(struct byteor_journal *j)
{
	if (!j)
		return -EINVAL;
	if (j->role != BYTEOR_ROLE_PRODUCER)
		return -EBADF;
	if (!j->claimed)
		return -EINVAL;
	j->claimed = 0;
	return 0;
}

int byteor_journal_append(struct byteor_journal *j, __u32 type,
			  const void *buf, size_t len, __u64 *pos)
{
	int ret;

	if (JR_UNLIKELY(!j))
		return -EINVAL;
	if (JR_UNLIKELY(type > BYTEOR_JOURNAL_TYPE_MAX))
		return j->role == BYTEOR_ROLE_PRODUCER ? -EINVAL : -EBADF;
	/* Claim and commit with the checks made once (as they would fail). */
	ret = jr_claim_check(j, len);
	if (JR_UNLIKELY(ret))
		return ret;
	memcpy(jr_claim(j, len), buf, len);
	jr_commit(j, type, len, pos);
	return 0;
}

/* ------------------------------------------------------------------------
 * Subscriber.
 */

/* The oldest retained position, checked against @t (a tail read). */
static __u64 jr_oldest_at(const struct byteor_journal *j, __u64 t)
{
	__u64 h;

	/* Acquire: the head the publisher stored before this intent. */
	(void)atomic_load_explicit(&j->ctl->intent, memory_order_acquire);
	h = atomic_load_explicit(&j->ctl->head, memory_order_relaxed);
	/*
	 * Corrupt: the tail is always a boundary - if it is aligned.  A
	 * scribbled one is rounded down to the record grid so no header is
	 * ever read misaligned; the header checks do the rest.
	 */
	if (h % BYTEOR_JOURNAL_ALIGN || t - h > j->cap)
		return t & ~(__u64)(BYTEOR_JOURNAL_ALIGN - 1);
	return h;
}

/* Lapped at @rec->pos: move to the oldest retained record. */
static __attribute__((noinline)) int jr_lapped(struct byteor_journal *j,
		     struct byteor_journal_record *rec, __u64 at)
{
	__u64 t = atomic_load_explicit(&j->ctl->tail, memory_order_acquire);
	__u64 o = jr_oldest_at(j, t);

	/*
	 * Never backwards: a stale head still leaves us at the tail (on the
	 * record grid: a scribbled tail may be misaligned, and the position
	 * is where the next header is read).
	 */
	if ((__s64)(o - at) <= 0)
		o = t & ~(__u64)(BYTEOR_JOURNAL_ALIGN - 1);
	j->seen = o;		/* nothing known past it: the next look loads */
	j->bn = 0;
	j->lapped++;
	j->pos = o;
	jr_sub_sync(j);
	if (rec) {
		memset(rec, 0, sizeof(*rec));
		rec->pos = at;
		rec->next = o;
	}
	return -EOVERFLOW;
}

/*
 * Was the record at @pos still intact when this was called?  Loads made
 * before the call are covered.
 */
static bool jr_intact(const struct byteor_journal *j, __u64 pos)
{
	__u64 in;

	/*
	 * Acquire fence: pairs with the publisher's release fence in
	 * jr_announce(); orders our loads of the record before the intent
	 * load below.
	 */
	jr_fence_acquire();
	in = atomic_load_explicit(&j->ctl->intent, memory_order_relaxed);
	return in - pos <= j->cap;
}

/*
 * The tail to read up to from @at, or @at itself if nothing is there.
 * Records below a tail once loaded stay committed, so while @at is below
 * the tail last seen (by at most the area: a tail of another lap is
 * reloaded) that one serves: the publisher's control line is loaded once
 * per run of records, not per record.  Being lapped meanwhile is caught
 * by the intent check every record gets (jr_intact()), and a record
 * committed after the cached tail is found by the load made on reaching
 * it.
 */
static inline __u64 jr_tail(struct byteor_journal *j, __u64 at)
{
	__u64 t;

	if (JR_LIKELY(j->seen - at - 1 < j->cap))
		return j->seen;
	/*
	 * Caught up (the last look found nothing new): the publisher writes
	 * the next record's header, naming its position, before the tail
	 * that commits it, so a header that does not name @at means nothing
	 * new without pulling the publisher's control line away from it at
	 * every poll.  A header that names @at (written, maybe not yet
	 * committed), and every 64th look, go to the tail, which alone
	 * commits a record.
	 */
	if (j->idle && (j->idle++ & 63) && j->cap - (at & j->mask) >= JR_HDR &&
	    __atomic_load_n((const __u64 *)(j->area + (at & j->mask) + 8),
			    __ATOMIC_RELAXED) != at)
		return at;
	/* Acquire: pairs with jr_commit_at(): records below it are whole. */
	t = atomic_load_explicit(&j->ctl->tail, memory_order_acquire);
	j->idle = t == at ? j->idle | 1 : 0;
	/*
	 * A scribbled, misaligned tail is used for this look only (its
	 * records fail their checks against it); the next look loads again,
	 * as every look did before tails were cached.
	 */
	j->seen = t % BYTEOR_JOURNAL_ALIGN ? at : t;
	return t;
}

/*
 * Peek without waiting.  Return: 0, -EAGAIN, -EOVERFLOW, -EBADMSG.
 * The record returned is not checked intact (a lapping publisher may have
 * torn its header, within the checks of jr_record_size()): the caller
 * checks header and payload at once, after using both (read, consume,
 * validate: the seqlock read).  Padding about to be skipped and a header
 * found insane are checked here: a lap is told as a lap, never as a
 * corrupt record, and never skipped as padding it tore.
 */
static inline int jr_peek_now(struct byteor_journal *j,
			      struct byteor_journal_record *rec)
{
	struct __byteor_jr_hdr h;
	__u64 t, off, rem, size, at;
	unsigned int loops;

	for (loops = 0; loops < 4; loops++) {
		at = j->pos;
		t = jr_tail(j, at);
		if (t == at)
			return -EAGAIN;
		if (JR_UNLIKELY((__s64)(t - at) < 0))
			goto bad;	/* the tail went backwards: scribbled */
		if (JR_UNLIKELY(t - at > j->cap))
			return jr_lapped(j, rec, at);
		off = at & j->mask;
		rem = j->cap - off;
		if (rem < JR_HDR) {
			j->pos += rem;
			continue;
		}
		jr_hdr_read(j, off, &h);
		size = jr_record_size(j, &h, at, t);
		if (JR_UNLIKELY(!size || h.type == JR_PAD) &&
		    !jr_intact(j, at))
			return jr_lapped(j, rec, at);
		if (JR_UNLIKELY(!size))
			goto bad;
		if (h.type == JR_PAD) {
			j->pos += size;
			continue;
		}
		rec->data = j->area + off + JR_HDR;
		rec->len = h.len;
		rec->type = h.type;
		rec->pos = at;
		rec->next = at + size;
		return 0;
	}
	return -EAGAIN;		/* only padding so far: look again */

bad:
	j->bad++;
	memset(rec, 0, sizeof(*rec));
	rec->pos = j->pos;
	j->pos = atomic_load_explicit(&j->ctl->tail, memory_order_acquire);
	if (j->pos % BYTEOR_JOURNAL_ALIGN)
		j->pos = rec->pos;	/* a scribbled tail: stay */
	j->seen = j->pos;	/* as after a lap */
	j->bn = 0;
	rec->next = j->pos;
	return -EBADMSG;
}

static int jr_ready(void *arg)
{
	struct byteor_journal *j = arg;

	return atomic_load_explicit(&j->ctl->tail, memory_order_acquire) != j->pos;
}

/* -EPIPE once the publisher is gone (it was there once) and all is read. */
static int jr_tick(void *arg)
{
	struct byteor_journal *j = arg;

	if (__byteor_claim_alive(j->reg, 0) != 0)
		return 0;
	if (!atomic_load_explicit(&j->ctl->attaches, memory_order_relaxed))
		return 0;
	return jr_ready(j) ? 1 : -EPIPE;
}

/*
 * A read-only subscriber cannot announce itself on the eventcount: it
 * sleeps on the futex word for at most JR_POLL_NS at a time (woken early
 * when a read-write subscriber made the publisher wake everybody).
 */
static int jr_poll_wait(struct byteor_journal *j, long long timeout_ns)
{
	long long deadline = timeout_ns > 0 ? __byteor_now_ns() + timeout_ns : 0;
	long long next_tick = __byteor_now_ns() + __BYTEOR_LANE_SLICE_NS;
	long long now, until;
	unsigned int spins;
	__u32 seq;
	int ret;

	for (spins = 0; spins < 256; spins++) {
		if (jr_ready(j))
			return 0;
		sched_yield();
	}
	for (;;) {
		seq = atomic_load_explicit(&j->ctl->data.seq, memory_order_acquire);
		if (jr_ready(j))
			return 0;
		now = __byteor_now_ns();
		if (now >= next_tick) {
			ret = jr_tick(j);
			if (ret)
				return ret > 0 ? 0 : ret;
			next_tick = now + __BYTEOR_LANE_SLICE_NS;
		}
		if (deadline && now >= deadline)
			return -ETIMEDOUT;
		until = now + JR_POLL_NS;
		if (deadline && until > deadline)
			until = deadline;
		__byteor_futex_wait(&j->ctl->data.seq, seq, until);
	}
}

static int jr_wait(struct byteor_journal *j, long long timeout_ns)
{
	struct __byteor_lane_wait lw = {
		.ec = &j->ctl->data, .w = &j->w, .ready = jr_ready,
		.tick = &j->tick, .tick_fn = jr_tick, .arg = j,
		.side = &j->ctl->subs,
	};

	if (!j->waiter_ok)
		return jr_poll_wait(j, timeout_ns);
	return __byteor_lane_wait(&lw, timeout_ns);
}

/*
 * jr_peek_timed() after a first look found no record (@ret): show a move
 * without a record, wait if asked.  Out of line: the look that finds a
 * record needs none of it.
 */
static __attribute__((noinline)) int
jr_peek_slow(struct byteor_journal *j, struct byteor_journal_record *rec,
	     long long timeout_ns, int ret)
{
	long long deadline = 0;

	for (;;) {
		/* Moved without a record (padding, resync): show it. */
		if (JR_UNLIKELY(ret && j->sub &&
				atomic_load_explicit(&j->sub->pos,
						     memory_order_relaxed) != j->pos))
			jr_sub_sync(j);
		if (JR_LIKELY(ret != -EAGAIN))
			return ret;
		if (!timeout_ns) {
			/* Nothing new for a poll: a spin-wait hint first. */
			__byteor_cpu_relax();
			return ret;
		}
		if (timeout_ns > 0) {
			if (!deadline)
				deadline = __byteor_now_ns() + timeout_ns;
			timeout_ns = deadline - __byteor_now_ns();
			if (timeout_ns <= 0)
				return -ETIMEDOUT;
		}
		ret = jr_wait(j, timeout_ns);
		if (ret)
			return ret;
		ret = jr_peek_now(j, rec);
	}
}

/* byteor_journal_peek_timed(), checked arguments (see jr_peek_now()). */
static inline int jr_peek_timed(struct byteor_journal *j,
				struct byteor_journal_record *rec,
				long long timeout_ns)
{
	int ret = jr_peek_now(j, rec);

	if (JR_LIKELY(!ret))
		return 0;
	return jr_peek_slow(j, rec, timeout_ns, ret);
}

/*
 * The record's header is not checked intact here: the intent check that
 * byteor_journal_consume() / validate() make after the caller used the
 * record covers the header read here as well as the payload.
 */
int byteor_journal_peek_timed(struct byteor_journal *j,
			      struct byteor_journal_record *rec,
			      long long timeout_ns)
{
	if (JR_UNLIKELY(!j || !rec))
		return -EINVAL;
	if (JR_UNLIKELY(j->role != BYTEOR_ROLE_CONSUMER))
		return -EBADF;
	return jr_peek_timed(j, rec, timeout_ns);
}

int byteor_journal_peek(struct byteor_journal *j,
			struct byteor_journal_record *rec)
{
	return byteor_journal_peek_timed(j, rec, j ? j->timeout_ns : 0);
}

int byteor_journal_validate(struct byteor_journal *j,
			    const struct byteor_journal_record *rec)
{
	if (!j || !rec)
		return -EINVAL;
	if (j->role != BYTEOR_ROLE_CONSUMER)
		return -EBADF;
	if (JR_LIKELY(jr_intact(j, rec->pos)))
		return 0;
	return jr_lapped(j, NULL, rec->pos);
}

/* @n records were consumed: move to @next, show it. */
static inline void jr_consumed(struct byteor_journal *j, __u64 next,
			       unsigned int n)
{
	j->pos = next;
	j->read += n;
	if (j->sub) {
		/* The subscriber's own line: two plain stores, no fence. */
		atomic_store_explicit(&j->sub->pos, j->pos, memory_order_relaxed);
		atomic_store_explicit(&j->sub->read, j->read, memory_order_relaxed);
	}
}

int byteor_journal_consume(struct byteor_journal *j,
			   const struct byteor_journal_record *rec)
{
	int ret;

	if (!j || !rec)
		return -EINVAL;
	if (j->role != BYTEOR_ROLE_CONSUMER)
		return -EBADF;
	if (rec->pos != j->pos || rec->next - rec->pos > j->cap)
		return -EINVAL;
	ret = byteor_journal_validate(j, rec);
	if (ret)
		return ret;
	jr_consumed(j, rec->next, 1);
	return 0;
}

int byteor_journal_read_timed(struct byteor_journal *j, void *buf, size_t cap,
			      struct byteor_journal_record *out,
			      long long timeout_ns)
{
	struct byteor_journal_record rec = { 0 };
	int ret;

	if (!j || (!buf && cap))
		return -EINVAL;
	if (JR_UNLIKELY(j->role != BYTEOR_ROLE_CONSUMER))
		ret = -EBADF;
	else
		ret = jr_peek_timed(j, &rec, timeout_ns);
	if (ret)
		goto out;
	/*
	 * One intent check for header and payload, after both were read
	 * (the seqlock read): a lap meanwhile is told as one, the record
	 * zeroed as a lap found by the peek would leave it.
	 */
	if (rec.len > cap) {
		if (JR_LIKELY(jr_intact(j, rec.pos)))
			return -EMSGSIZE;
		ret = jr_lapped(j, &rec, rec.pos);
		goto out;
	}
	if (rec.len)
		memcpy(buf, rec.data, rec.len);
	if (JR_UNLIKELY(!jr_intact(j, rec.pos))) {
		ret = jr_lapped(j, &rec, rec.pos);
		goto out;
	}
	jr_consumed(j, rec.next, 1);
	rec.data = buf;
	ret = (int)rec.len;
out:
	if (out)
		*out = rec;
	return ret;
}

int byteor_journal_read(struct byteor_journal *j, void *buf, size_t cap,
			struct byteor_journal_record *rec)
{
	return byteor_journal_read_timed(j, buf, cap, rec, j ? j->timeout_ns : 0);
}

/* ------------------------------------------------------------------------
 * Batches: one intent check for a run of records.
 *
 * The records of a batch are consecutive: each at or above the first,
 * all below a tail loaded (acquire) before their headers were read.  A
 * byte at position p may be overwritten only once intent > p + C (see
 * the top), and intent never decreases, so an intent with intent - first
 * <= C, loaded after an acquire fence that follows every load of the
 * batch, says no byte at or above the first record had been overwritten
 * when any of them was read: if the first record is intact, every later
 * one is.  Padding inside a batch is skipped on the same terms (its bytes
 * are above the first record); a header found insane ends the batch
 * before it, unchecked, and is looked at again as the first record of the
 * next peek, where a lap is told from corruption as for one record.
 */

/*
 * Extend a batch whose first record is @recs[0] (found by jr_peek_now())
 * with up to @max - 1 more records, none checked intact.  They are read
 * up to the tail cached; on reaching it the tail is loaded again only if
 * @may_load (the first look did not load it): one look at the
 * publisher's line per batch.  Return: the number of records in @recs.
 */
static inline unsigned int jr_peek_more(struct byteor_journal *j,
					struct byteor_journal_record *recs,
					unsigned int max, bool may_load)
{
	struct __byteor_jr_hdr h;
	__u64 at = recs[0].next, t = j->seen, off, rem, size;
	unsigned int n = 1;

	while (n < max) {
		/*
		 * At the tail, a tail gone backwards (scribbled) or a whole
		 * area ahead (lapped: the consume tells): load it once if
		 * allowed, else the batch ends.
		 */
		if (t - at - 1 >= j->cap) {
			if (!may_load)
				break;
			may_load = false;
			/* Acquire: pairs with jr_commit_at(), as jr_tail(). */
			t = atomic_load_explicit(&j->ctl->tail,
						 memory_order_acquire);
			if (t % BYTEOR_JOURNAL_ALIGN || t - at - 1 >= j->cap)
				break;	/* the next peek looks at it */
			j->seen = t;
		}
		off = at & j->mask;
		rem = j->cap - off;
		if (rem < JR_HDR) {
			at += rem;
			continue;
		}
		jr_hdr_read(j, off, &h);
		size = jr_record_size(j, &h, at, t);
		if (JR_UNLIKELY(!size))
			break;
		at += size;
		if (h.type == JR_PAD)
			continue;
		recs[n].data = j->area + off + JR_HDR;
		recs[n].len = h.len;
		recs[n].type = h.type;
		recs[n].pos = at - size;
		recs[n].next = at;
		n++;
	}
	return n;
}

int byteor_journal_peek_batch_timed(struct byteor_journal *j,
				    struct byteor_journal_record *recs,
				    unsigned int max, long long timeout_ns)
{
	unsigned int n;
	__u64 seen;
	int ret;

	if (JR_UNLIKELY(!j || !recs || !max))
		return -EINVAL;
	if (JR_UNLIKELY(j->role != BYTEOR_ROLE_CONSUMER))
		return -EBADF;
	seen = j->seen;
	j->bn = 0;
	ret = jr_peek_timed(j, recs, timeout_ns);
	if (JR_UNLIKELY(ret))
		return ret;
	/* The record count is returned as an int. */
	if (max > 0x7fffffffU)
		max = 0x7fffffffU;
	n = jr_peek_more(j, recs, max, j->seen == seen);
	j->bpos = recs[0].pos;
	j->bend = recs[n - 1].next;
	j->bn = n;
	return (int)n;
}

int byteor_journal_peek_batch(struct byteor_journal *j,
			      struct byteor_journal_record *recs,
			      unsigned int max)
{
	return byteor_journal_peek_batch_timed(j, recs, max,
					       j ? j->timeout_ns : 0);
}

int byteor_journal_consume_batch(struct byteor_journal *j,
				 const struct byteor_journal_record *recs,
				 unsigned int n)
{
	__u64 next;

	if (JR_UNLIKELY(!j || !recs || !n))
		return -EINVAL;
	if (JR_UNLIKELY(j->role != BYTEOR_ROLE_CONSUMER))
		return -EBADF;
	/*
	 * The first @n records of the batch peeked last, at the subscriber's
	 * position: the end is the caller's, checked to lie on the grid
	 * within that batch (never beyond what was peeked).
	 */
	next = recs[n - 1].next;
	if (JR_UNLIKELY(n > j->bn || j->bpos != j->pos ||
			recs[0].pos != j->pos || next % BYTEOR_JOURNAL_ALIGN ||
			next - j->pos - 1 >= j->bend - j->pos))
		return -EINVAL;
	/* One fence and one intent load for all @n (see above). */
	if (JR_UNLIKELY(!jr_intact(j, j->pos)))
		return jr_lapped(j, NULL, j->pos);
	j->bn = 0;
	jr_consumed(j, next, n);	/* once per batch */
	return 0;
}

__u64 byteor_journal_position(const struct byteor_journal *j)
{
	if (!j)
		return 0;
	return j->role == BYTEOR_ROLE_PRODUCER ? j->tail : j->pos;
}

int byteor_journal_oldest(const struct byteor_journal *j, __u64 *pos)
{
	__u64 t;

	if (!j || !pos)
		return -EINVAL;
	t = atomic_load_explicit(&j->ctl->tail, memory_order_acquire);
	*pos = jr_oldest_at(j, t);
	return 0;
}

int byteor_journal_seek(struct byteor_journal *j, __u64 pos)
{
	__u64 t;

	if (!j)
		return -EINVAL;
	if (j->role != BYTEOR_ROLE_CONSUMER)
		return -EBADF;
	if (pos % BYTEOR_JOURNAL_ALIGN)
		return -EINVAL;
	t = atomic_load_explicit(&j->ctl->tail, memory_order_acquire);
	/*
	 * Positions are byte counts since creation, never wrapping: a plain
	 * unsigned compare (a signed difference would call a position 2^63
	 * or more ahead "behind").
	 */
	if (pos > t)
		return -ERANGE;
	j->pos = pos;
	j->bn = 0;
	jr_sub_sync(j);
	return 0;
}

/* ------------------------------------------------------------------------
 * Observation.
 */

int byteor_journal_snapshot(const struct byteor_journal *j,
			    struct byteor_journal_snapshot *s)
{
	const struct __byteor_jr_ctl *c;

	if (!j || !s)
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	c = j->ctl;
	s->intent = atomic_load_explicit(&j->ctl->intent, memory_order_acquire);
	s->tail = atomic_load_explicit(&j->ctl->tail, memory_order_acquire);
	s->oldest = jr_oldest_at(j, s->tail);
	if (s->intent - s->tail > j->cap || s->tail % BYTEOR_JOURNAL_ALIGN)
		s->flags |= BYTEOR_JOURNAL_SNAP_F_CORRUPT;
	s->capacity = (__u32)j->cap;
	s->max_record = j->max;
	s->records = atomic_load_explicit(&c->records, memory_order_relaxed);
	s->publisher_alive = __byteor_claim_alive(j->reg, 0);
	s->publisher_pid = __atomic_load_n(&__byteor_header(j->reg)->claims[0].pid,
					   __ATOMIC_RELAXED);
	s->publisher_attaches = atomic_load_explicit(&c->attaches,
						     memory_order_relaxed);
	s->subscriber_attaches = atomic_load_explicit(&c->subs.attaches,
						      memory_order_relaxed);
	s->waiters = __byteor_ec_waiters(&c->data);
	s->parks = atomic_load_explicit(&c->subs.parks, memory_order_relaxed);
	s->corrupt = atomic_load_explicit(&c->corrupt, memory_order_relaxed);
	if (j->role == BYTEOR_ROLE_PRODUCER) {
		s->flags |= BYTEOR_JOURNAL_SNAP_F_PUBLISHER;
		s->position = j->tail;
	} else {
		s->flags |= BYTEOR_JOURNAL_SNAP_F_SUBSCRIBER;
		s->position = j->pos;
		s->lag = s->tail - j->pos;
		s->lapped = j->lapped;
		s->read = j->read;
		s->bad = j->bad;
	}
	if (j->waiter_ok) {
		__byteor_waiter_stats(&j->w, &s->wait);
		s->park_path = j->w.path;
	} else {
		s->park_path = __byteor_process_park_path();
	}
	return 0;
}

int byteor_journal_subscribers(const struct byteor_journal *j,
				struct byteor_journal_subscriber_snap *v,
				unsigned int n)
{
	const struct __byteor_jr_sub *s;
	struct byteor_journal_subscriber_snap x;
	unsigned int i, found = 0;
	__u64 t;

	if (!j || (!v && n))
		return -EINVAL;
	t = atomic_load_explicit(&j->ctl->tail, memory_order_acquire);
	for (i = 0; i < BYTEOR_JOURNAL_SUBSCRIBERS; i++) {
		s = jr_sub_slot(j, i);
		/* Acquire: pairs with the release of ACTIVE in jr_sub_register(). */
		if (atomic_load_explicit(&s->state, memory_order_acquire) !=
		    JR_SUB_ACTIVE)
			continue;
		memset(&x, 0, sizeof(x));
		x.slot = i;
		x.alive = __byteor_claim_alive(j->reg, 1 + i);
		/*
		 * A clean detach frees the slot before its claim goes: if the
		 * claim is gone, look again (acquire, pairs with the release
		 * of FREE in byteor_journal_detach()), so a subscriber that
		 * detached is never reported dead.
		 */
		if (!x.alive && atomic_load_explicit(&s->state, memory_order_acquire) !=
		    JR_SUB_ACTIVE)
			continue;
		x.pid = atomic_load_explicit(&s->pid, memory_order_relaxed);
		x.position = atomic_load_explicit(&s->pos, memory_order_relaxed);
		/* Counts since creation: a position past the tail shows lag 0. */
		x.lag = x.position < t ? t - x.position : 0;
		x.lapped = atomic_load_explicit(&s->lapped, memory_order_relaxed);
		x.read = atomic_load_explicit(&s->read, memory_order_relaxed);
		x.bad = atomic_load_explicit(&s->bad, memory_order_relaxed);
		x.attaches = atomic_load_explicit(&s->attaches,
						  memory_order_relaxed);
		if (found < n)
			v[found] = x;
		found++;
	}
	return (int)found;
}

int byteor_journal_subscriber_slot(const struct byteor_journal *j)
{
	if (!j)
		return -EINVAL;
	if (j->role != BYTEOR_ROLE_CONSUMER)
		return -EBADF;
	if (!j->sub)
		return -ENOENT;
	return j->reg->claim - 1;
}

unsigned int byteor_journal_capacity(const struct byteor_journal *j)
{
	return j ? (unsigned int)j->cap : 0;
}

unsigned int byteor_journal_max_record(const struct byteor_journal *j)
{
	return j ? j->max : 0;
}
