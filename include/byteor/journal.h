/* SPDX-License-Identifier: MIT */
/*
 * byteor/journal.h - an append-only log of variable-length records in a
 * BYTEOR_KIND_JOURNAL region, addressed by a 64-bit byte position.
 *
 * One publisher appends records; any number of subscribers read them, each
 * at its own position, zero-copy or copying.  The record area (geometry
 * capacity, a power of two >= 4096 bytes) is a circular log: the publisher
 * never waits for subscribers, it overwrites the oldest records.  A
 * subscriber that falls more than the area behind - or whose record is
 * overwritten while it reads it - is lapped: it gets -EOVERFLOW and moves
 * to the oldest record still retained, never torn or mixed data.
 *
 * Records: a 16-byte header (payload length, type, the record's own
 * position) and the payload (at most the geometry's slot_size bytes), 8-byte
 * aligned.  A record never straddles the end of the area: the publisher pads
 * to the end first.  Positions are byte offsets since the region was
 * created (the first record is at 0; positions are multiples of 8); a
 * position a subscriber got from byteor_journal_position() or a record's
 * @next is where it resumes after a restart (byteor_attach_journal_subscriber_from).
 *
 * Publishing: the publisher announces the bytes it is about to overwrite
 * (its "intent" position), writes the record, then release-stores the tail.
 * A reader checks, after using a record, that the intent has not come
 * within an area's length of the record (Aeron broadcast-receiver style):
 * byteor_journal_read() does it internally; zero-copy readers call
 * byteor_journal_consume() (or byteor_journal_validate()) after using the
 * record and discard what they saw if it returns -EOVERFLOW.
 * byteor_journal_peek_batch() and byteor_journal_consume_batch() do the
 * same for a run of records with one check of the intent.
 *
 * Subscribers never claim a role (any number may attach).  By default they
 * map the region read-write only to announce themselves on the
 * eventcount when they park, so a publisher makes a system call only when
 * somebody sleeps; they write nothing else.  With BYTEOR_ATTACH_OBSERVER
 * in the options' flags they map it read-only and wait by polling
 * (sleeping up to 1 ms between looks) instead of parking.
 *
 * Every function taking a handle returns -EINVAL for a NULL handle (the
 * position and geometry getters 0); -EBADF means a handle of the wrong
 * role.  A subscriber's position is always on the 8-byte record grid, even
 * when the shared tail it resynchronises to is scribbled.
 *
 * Usage sketch:
 *
 *	struct byteor_attach_options o = { .name = "orders.log",
 *					   .timeout_ns = -1 };
 *	struct byteor_journal *pub, *sub;
 *	struct byteor_journal_record rec;
 *	__u64 pos;
 *
 *	byteor_attach_journal_publisher(&o, &pub);
 *	byteor_journal_append(pub, ORDER_NEW, &order, sizeof(order), &pos);
 *
 *	byteor_attach_journal_subscriber_from(&o, saved_pos, &sub);
 *	for (;;) {
 *		ret = byteor_journal_peek(sub, &rec);
 *		if (ret == -EOVERFLOW)	// lost [rec.pos, rec.next)
 *			continue;
 *		use(rec.type, rec.data, rec.len);
 *		if (byteor_journal_consume(sub, &rec) == -EOVERFLOW)
 *			undo_use();	// it was overwritten while we used it
 *		saved_pos = byteor_journal_position(sub);
 *	}
 */
#ifndef _BYTEOR_JOURNAL_H
#define _BYTEOR_JOURNAL_H

#include <stddef.h>
#include <byteor/common.h>
#include <byteor/wait.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Record types are 0 .. BYTEOR_JOURNAL_TYPE_MAX (the rest is reserved). */
#define BYTEOR_JOURNAL_TYPE_MAX		0xfffffffeU
#define BYTEOR_JOURNAL_HEADER		16U
#define BYTEOR_JOURNAL_ALIGN		8U

struct byteor_journal;

/*
 * struct byteor_journal_record - a record as a subscriber sees it.
 * @data: the payload (zero-copy: in the shared area; valid until the
 *        publisher laps it - check with byteor_journal_validate())
 * @len:  payload bytes
 * @type: the publisher's record type
 * @pos:  the record's position
 * @next: the position after it.  After -EOVERFLOW: @pos is where the
 *        subscriber was, @next the oldest retained record, where it now is
 *        (bytes [pos, next) were lost).  After -EBADMSG: same, @next is
 *        where the subscriber resynchronised (the tail).
 */
struct byteor_journal_record {
	const void *data;
	__u32 len;
	__u32 type;
	__u64 pos;
	__u64 next;
};

/* byteor_journal_snapshot.flags */
#define BYTEOR_JOURNAL_SNAP_F_CORRUPT	(1U << 0)
#define BYTEOR_JOURNAL_SNAP_F_PUBLISHER	(1U << 1) /* taken by the publisher */
#define BYTEOR_JOURNAL_SNAP_F_SUBSCRIBER (1U << 2) /* taken by a subscriber */

/*
 * struct byteor_journal_snapshot - the journal now (lock-free reads).
 * @tail:            position after the last committed record
 * @oldest:          oldest retained record
 * @intent:          the publisher's overwrite frontier (>= tail)
 * @capacity:        record area bytes; @max_record: payload bytes at most
 * @records:         records committed since creation
 * @publisher_alive: 1, 0, or < 0 -errno; @publisher_pid: display only
 * @publisher_attaches, @subscriber_attaches: since creation
 * @waiters:         subscribers parked now; @parks: subscriber parks
 * @corrupt:         corrupt values the publisher met
 * @position:        a subscriber's: its position; @lag = tail - position
 * @lapped:          a subscriber's: times it was lapped (-EOVERFLOW)
 * @read:            a subscriber's: records consumed
 * @bad:             a subscriber's: corrupt records met (-EBADMSG)
 */
struct byteor_journal_snapshot {
	__u64 tail;
	__u64 oldest;
	__u64 intent;
	__u32 capacity;
	__u32 max_record;
	__u64 records;
	__s32 publisher_alive;
	__u32 publisher_pid;
	__u64 publisher_attaches;
	__u64 subscriber_attaches;
	__u32 waiters;
	__u32 flags;
	__u64 parks;
	__u64 corrupt;
	__u64 position;
	__u64 lag;
	__u64 lapped;
	__u64 read;
	__u64 bad;
	__s32 park_path;
	__u32 reserved0;
	struct byteor_wait_stats wait;
	__u64 reserved[4];
};

/**
 * byteor_attach_journal_publisher() - attach as the publisher (claim 0).
 * @o:   region name, backing, dir (queue 0)
 * @out: receives the handle
 *
 * A new publisher continues after the last committed record; a record its
 * predecessor claimed and never committed is dropped.
 * Return: 0, or -EINVAL (NULL argument, queue, observer flag), -ENOENT,
 * -EPROTO (not a journal of this version), -EBADMSG (corrupt region),
 * -EBUSY (a publisher is attached), -EACCES/-EPERM, -ENOMEM.
 */
BYTEOR_API int byteor_attach_journal_publisher(const struct byteor_attach_options *o,
					       struct byteor_journal **out);

/**
 * byteor_attach_journal_subscriber_tail() - subscribe at the current tail:
 * only records committed from now on are read.
 * @o:   as the publisher's; flags may hold BYTEOR_ATTACH_OBSERVER
 * @out: receives the handle
 *
 * Return: as byteor_attach_journal_publisher(), without -EBUSY;
 * -EOPNOTSUPP (io_uring parking asked for but unavailable).
 */
BYTEOR_API int byteor_attach_journal_subscriber_tail(const struct byteor_attach_options *o,
						     struct byteor_journal **out);

/**
 * byteor_attach_journal_subscriber_from() - subscribe at position @pos
 * (a record's position or @next, e.g. stored by a previous subscriber).
 * @o:   as byteor_attach_journal_subscriber_tail()
 * @pos: multiple of 8, at most the tail.  If it is no longer retained the
 *       first read returns -EOVERFLOW with the oldest retained position.
 * @out: receives the handle
 *
 * Return: as byteor_attach_journal_subscriber_tail(); -EINVAL for @pos not
 * a multiple of 8; -ERANGE for @pos beyond the tail.
 */
BYTEOR_API int byteor_attach_journal_subscriber_from(const struct byteor_attach_options *o,
						     __u64 pos,
						     struct byteor_journal **out);

/* Detach; a publisher's claimed and uncommitted record is dropped. */
BYTEOR_API void byteor_journal_detach(struct byteor_journal *j);

/**
 * byteor_journal_append() - copy one record in and commit it (publisher).
 * @j:    publisher handle
 * @type: 0..BYTEOR_JOURNAL_TYPE_MAX
 * @buf:  payload
 * @len:  0..max record (the geometry's slot_size)
 * @pos:  if not NULL, receives the record's position
 *
 * Never waits.  Return: 0, or -EBADF (not the publisher), -EINVAL (bad
 * type), -EMSGSIZE (@len too large), -EBUSY (a claim is outstanding).
 */
BYTEOR_API int byteor_journal_append(struct byteor_journal *j, __u32 type,
				     const void *buf, size_t len, __u64 *pos);

/**
 * byteor_journal_claim() - reserve room for a record of up to @len bytes
 * and return where to write its payload (publisher, zero-copy).
 * Return: 0 and *@data set, or -EINVAL (NULL @j or @data), -EBADF,
 * -EMSGSIZE, -EBUSY.
 */
BYTEOR_API int byteor_journal_claim(struct byteor_journal *j, size_t len,
				    void **data);

/**
 * byteor_journal_commit() - publish the claimed record.
 * @len: its payload length, at most the claimed length
 * @pos: if not NULL, receives its position
 * Return: 0, or -EBADF, -EINVAL (no claim, bad type, @len too large).
 */
BYTEOR_API int byteor_journal_commit(struct byteor_journal *j, __u32 type,
				     size_t len, __u64 *pos);

/* Drop the claimed record.  Return: 0, -EBADF, -EINVAL (no claim). */
BYTEOR_API int byteor_journal_abort(struct byteor_journal *j);

/**
 * byteor_journal_peek() - the record at the subscriber's position, in
 * place (the position does not move; see byteor_journal_consume()).
 * @j:   subscriber handle
 * @rec: filled in (also on -EOVERFLOW and -EBADMSG, see the struct).  Its
 *       len, type and next, like its payload, are known intact once
 *       byteor_journal_consume() or validate() returns 0 (a publisher
 *       lapping the record meanwhile makes them -EOVERFLOW)
 *
 * Waits as the attach's timeout_ns says for a record.
 * Return: 0, or -EBADF (not a subscriber), -EAGAIN, -ETIMEDOUT,
 * -EOVERFLOW (lapped: the subscriber moved to the oldest retained record),
 * -EBADMSG (corrupt record: the subscriber moved to the tail), -EPIPE (the
 * publisher is gone and every record was read).
 */
BYTEOR_API int byteor_journal_peek(struct byteor_journal *j,
				   struct byteor_journal_record *rec);
BYTEOR_API int byteor_journal_peek_timed(struct byteor_journal *j,
					 struct byteor_journal_record *rec,
					 long long timeout_ns);

/**
 * byteor_journal_validate() - was @rec (from a peek) intact throughout,
 * up to now?  Call after reading its payload.
 * Return: 0 intact; -EOVERFLOW overwritten (discard what you read; the
 * subscriber moved to the oldest retained record); -EBADF.
 */
BYTEOR_API int byteor_journal_validate(struct byteor_journal *j,
				       const struct byteor_journal_record *rec);

/**
 * byteor_journal_consume() - validate @rec, then move past it.
 * Return: as byteor_journal_validate(); -EINVAL if @rec is not the record
 * at the subscriber's position.
 */
BYTEOR_API int byteor_journal_consume(struct byteor_journal *j,
				      const struct byteor_journal_record *rec);

/**
 * byteor_journal_read() - copy the next record out, validated, and move
 * past it.
 * @j:   subscriber handle
 * @buf: where to copy the payload
 * @cap: room at @buf
 * @rec: if not NULL, receives len, type, pos, next (data = @buf)
 *
 * Return: the payload length, or -EMSGSIZE (longer than @cap; the
 * position stays), and byteor_journal_peek()'s errors.
 */
BYTEOR_API int byteor_journal_read(struct byteor_journal *j, void *buf,
				   size_t cap, struct byteor_journal_record *rec);
BYTEOR_API int byteor_journal_read_timed(struct byteor_journal *j, void *buf,
					 size_t cap,
					 struct byteor_journal_record *rec,
					 long long timeout_ns);

/**
 * byteor_journal_peek_batch() - up to @max records from the subscriber's
 * position, in place, for one byteor_journal_consume_batch() (zero-copy;
 * the position does not move).
 * @j:    subscriber handle
 * @recs: filled with the records, in order (padding skipped).  On
 *        -EOVERFLOW and -EBADMSG @recs[0] is filled as by
 *        byteor_journal_peek().  Like a peeked record's, their len, type,
 *        next and payloads are known intact once the consume (or
 *        byteor_journal_validate() of the first) returns 0
 * @max:  room at @recs, at least 1
 *
 * Waits as the attach's timeout_ns says for a first record, then takes
 * the records already committed after it, up to @max, without waiting:
 * each header is checked as byteor_journal_peek() checks one, and a
 * header that does not check out ends the batch before it (the next peek
 * reports it).  The publisher's line is looked at about once per batch,
 * not once per record.
 * Return: the number of records (1..@max), or -EINVAL (NULL @j or @recs,
 * @max 0) and byteor_journal_peek()'s errors.
 */
BYTEOR_API int byteor_journal_peek_batch(struct byteor_journal *j,
					 struct byteor_journal_record *recs,
					 unsigned int max);
BYTEOR_API int byteor_journal_peek_batch_timed(struct byteor_journal *j,
					       struct byteor_journal_record *recs,
					       unsigned int max,
					       long long timeout_ns);

/**
 * byteor_journal_consume_batch() - validate the first @n records of the
 * batch peeked last, all at once, then move past them.  Call after using
 * them.
 * @recs: as byteor_journal_peek_batch() filled it
 * @n:    1..the number it returned; the rest, if any, are peeked again
 *
 * One check of the publisher's intent covers all @n (the records of a
 * batch are consecutive: if the first is intact, so is every later one).
 * Return: 0; -EOVERFLOW (any of them may have been overwritten: discard
 * what was read from all @n; the subscriber moved to the oldest retained
 * record, as byteor_journal_consume() does); -EBADF; -EINVAL (NULL
 * argument, @n 0 or more than peeked, no batch peeked at the subscriber's
 * position since it last moved, or @recs not that batch).
 */
BYTEOR_API int byteor_journal_consume_batch(struct byteor_journal *j,
					    const struct byteor_journal_record *recs,
					    unsigned int n);

/* The subscriber's position (where it resumes); the publisher's tail. */
BYTEOR_API __u64 byteor_journal_position(const struct byteor_journal *j);

/**
 * byteor_journal_oldest() - the oldest retained record's position.
 * Return: 0 and *@pos set, or -EINVAL.
 */
BYTEOR_API int byteor_journal_oldest(const struct byteor_journal *j, __u64 *pos);

/**
 * byteor_journal_seek() - move a subscriber to @pos (rules of
 * byteor_attach_journal_subscriber_from()).
 * Return: 0, -EBADF, -EINVAL (NULL @j, @pos not a multiple of 8), -ERANGE
 * (@pos beyond the tail; positions are compared as counts since creation,
 * so a @pos 2^63 or more ahead is beyond it too).
 */
BYTEOR_API int byteor_journal_seek(struct byteor_journal *j, __u64 pos);

/**
 * byteor_journal_snapshot() - positions, counters, this handle's view.
 * Return: 0, or -EINVAL (NULL argument).
 */
BYTEOR_API int byteor_journal_snapshot(const struct byteor_journal *j,
				       struct byteor_journal_snapshot *s);

/*
 * struct byteor_journal_subscriber_snap - one registered subscriber, as
 * its slot shows it (layout version 2; read without locks).
 * @slot:     0..BYTEOR_JOURNAL_SUBSCRIBERS-1 (claim word 1 + @slot)
 * @alive:    1 its holder lives, 0 it died without detaching (the slot is
 *            reported until the next subscriber takes it), < 0 -errno
 * @pid:      display only
 * @position: where it reads; @lag = tail - position (bytes)
 * @lapped, @read, @bad: its counters since it attached
 * @attaches: subscribers that held this slot since creation
 */
struct byteor_journal_subscriber_snap {
	__u32 slot;
	__s32 alive;
	__u32 pid;
	__u32 reserved0;
	__u64 position;
	__u64 lag;
	__u64 lapped;
	__u64 read;
	__u64 bad;
	__u64 attaches;
	__u64 reserved[2];
};

/**
 * byteor_journal_subscribers() - the registered subscribers of the journal.
 * @j: any handle of the journal (an observer's is enough)
 * @v: filled with up to @n of them, in slot order
 * @n: room at @v (0 to count only)
 *
 * A read-write subscriber registers at attach: it takes one of
 * BYTEOR_JOURNAL_SUBSCRIBERS slots (a claim, released when it detaches or
 * dies) and shows its position and counters there; the publisher does no
 * new work for it.  When every slot is taken a subscriber attaches
 * unregistered, read-only.  Read-only subscribers never register.
 * Return: the number of registered subscribers (live or dead; may exceed
 * @n), or -EINVAL (NULL @j, or NULL @v with @n).
 */
BYTEOR_API int byteor_journal_subscribers(const struct byteor_journal *j,
					  struct byteor_journal_subscriber_snap *v,
					  unsigned int n);

/**
 * byteor_journal_subscriber_slot() - the slot a subscriber registered in.
 * Return: 0..BYTEOR_JOURNAL_SUBSCRIBERS-1, or -EINVAL (NULL), -EBADF (not a
 * subscriber), -ENOENT (unregistered: read-only, or every slot was taken).
 */
BYTEOR_API int byteor_journal_subscriber_slot(const struct byteor_journal *j);

/* Private geometry: record area bytes, largest payload. */
BYTEOR_API unsigned int byteor_journal_capacity(const struct byteor_journal *j);
BYTEOR_API unsigned int byteor_journal_max_record(const struct byteor_journal *j);

#ifdef __cplusplus
}
#endif

#endif /* _BYTEOR_JOURNAL_H */
