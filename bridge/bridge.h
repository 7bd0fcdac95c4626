/* SPDX-License-Identifier: MIT */
/*
 * bridge/bridge.h - byteor-bridge's parts: configuration, the record as it
 * travels, record ids, checkpoints, metrics, and the two directions.
 *
 *   out: journal subscriber -> transport publish (id = region, generation,
 *        position), a bounded window of outstanding acknowledgements, the
 *        contiguous acknowledged position checkpointed (fsync'd, atomic).
 *   in:  transport fetch -> journal append, in source order, once; then
 *        checkpoint; then acknowledge.
 *
 * docs/design.md ("The bridge") has the protocol and the exactly-once
 * argument; README.md ("Beyond one host") the commands.
 */
#ifndef BYTEOR_BRIDGE_H
#define BYTEOR_BRIDGE_H

#include <signal.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdint.h>
#include <byteor.h>

#define BRIDGE_NAME_MAX		64
#define BRIDGE_STR_MAX		256
#define BRIDGE_ID_MAX		160

/*
 * The journal record type the in direction writes for a gap (records the
 * out direction lost to a lap, never published); payload: struct
 * bridge_gap.  Source records of this type pass through unchanged, so a
 * reader tells a gap by the type and the 16-byte payload.
 */
#define BRIDGE_GAP_TYPE		BYTEOR_JOURNAL_TYPE_MAX

struct bridge_gap {
	__u64 from;	/* source positions [from, to) never published */
	__u64 to;
};

/* struct bridge_rec.kind */
enum { BRIDGE_REC_DATA = 0, BRIDGE_REC_GAP = 1 };

/*
 * struct bridge_rec - a record on the wire.  Out: the bridge fills every
 * field but the in-side ones.  In: the transport fills them from the
 * message; @data points into the message until ack/release.
 * @region, @generation: the source region instance
 * @origin:  the source position the out direction's chain started at
 *           (first run without checkpoint); identifies the chain
 * @pos, @next: the record's source position and the one after it (a
 *           gap: the lost range [pos, next))
 * @time_ns: CLOCK_REALTIME when the out direction read it
 * @delivered, @pending, @handle: in side: delivery count, records the
 *           consumer still has to deliver, the engine's message
 */
struct bridge_rec {
	__u32 kind;
	__u32 type;
	__u64 pos;
	__u64 next;
	__u64 origin;
	__u64 generation;
	__u64 time_ns;
	char region[BRIDGE_NAME_MAX];
	const void *data;
	__u32 len;
	__u64 delivered;
	__u64 pending;
	void *handle;
};

/* A message for the user, filled by whatever failed. */
struct bridge_err {
	char msg[512];
};

void bridge_err_set(struct bridge_err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

enum bridge_dir { BRIDGE_OUT = 1, BRIDGE_IN = 2 };
enum bridge_from { BRIDGE_FROM_TAIL = 0, BRIDGE_FROM_OLDEST, BRIDGE_FROM_POS };

/*
 * struct bridge_config - flags and the config file (same keys, config.c).
 */
struct bridge_config {
	enum bridge_dir dir;
	char transport[32];		/* "jetstream" */
	char servers[BRIDGE_STR_MAX];	/* comma-separated URLs */
	char stream[BRIDGE_NAME_MAX];
	char subject[BRIDGE_STR_MAX];
	char durable[BRIDGE_NAME_MAX];	/* in: the consumer's name */
	char journal[BRIDGE_NAME_MAX];
	char jdir[BRIDGE_STR_MAX];	/* userspace backing directory */
	enum byteor_backing backing;
	char checkpoint[BRIDGE_STR_MAX];
	char metrics[BRIDGE_STR_MAX];	/* file, "-" for stdout, "" none */
	enum bridge_from from;		/* out, without a checkpoint */
	__u64 from_pos;
	unsigned int window;		/* out: outstanding acks at most */
	unsigned int batch;		/* in: fetch size */
	long ack_timeout_ms;		/* out: an ack not back by then fails */
	long ack_wait_ms;		/* in: consumer's redelivery delay */
	long connect_timeout_ms;
	unsigned int checkpoint_every;	/* records */
	long checkpoint_ms;
	bool create_stream;
	int replicas;
	long dup_window_s;		/* the stream's duplicate window */
	long max_idle_ms;		/* exit after this long idle (0 never) */
	__u64 max_records;		/* exit after this many (0 never) */
	int verbose;
};

void bridge_config_defaults(struct bridge_config *c);
/* argv after the direction word; 0, 1 (--help shown), or -EINVAL. */
int bridge_config_parse(struct bridge_config *c, int argc, char **argv,
			struct bridge_err *err);
void bridge_usage(FILE *f);

/* The record's id: unique per region instance and source position. */
int bridge_rec_id(const struct bridge_rec *r, char *buf, size_t n);

/*
 * Checkpoints: one small text file, replaced atomically (tmp + fsync +
 * rename + fsync of the directory), with a checksum line.
 */
struct bridge_ckpt {
	enum bridge_dir dir;
	char region[BRIDGE_NAME_MAX];	/* the source region */
	__u64 generation;
	__u64 origin;
	__u64 position;		/* out: next to publish; in: next expected */
	bool chain_known;	/* in: region/generation/origin/position set */
	char dest[BRIDGE_NAME_MAX];	/* in: the local journal */
	__u64 dest_generation;
	__u64 dest_position;	/* in: its tail after the last append covered */
};

/* 0, -ENOENT (no file), -EBADMSG (not a checkpoint, or corrupt), -errno. */
int bridge_ckpt_load(const char *path, struct bridge_ckpt *c,
		     struct bridge_err *err);
int bridge_ckpt_store(const char *path, const struct bridge_ckpt *c,
		      struct bridge_err *err);

/* Metrics, Prometheus text exposition format. */
struct bridge_metrics {
	enum bridge_dir dir;
	char journal[BRIDGE_NAME_MAX];
	__u64 records, bytes, acks, duplicates, redeliveries, errors;
	__u64 gaps, gap_bytes, republished, held;
	__u64 window, window_max;
	__u64 position;
	__u64 lag_records, lag_bytes;
	double lag_seconds;
	double started;
};

int bridge_metrics_write(const struct bridge_metrics *m, const char *dest);

/* Set by the signal handlers (main.c), read by the loops. */
extern volatile sig_atomic_t bridge_stop, bridge_dump;

int bridge_out_run(const struct bridge_config *c, struct bridge_metrics *m);
int bridge_in_run(const struct bridge_config *c, struct bridge_metrics *m);

/* Log to stderr with the direction's prefix. */
void bridge_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

__u64 bridge_now_ns(void);		/* CLOCK_REALTIME */
__u64 bridge_mono_ms(void);		/* CLOCK_MONOTONIC */
void bridge_sleep_ms(long ms);

int bridge_region_generation(const struct bridge_config *c, __u64 *gen,
			     struct bridge_err *err);
struct byteor_attach_options bridge_attach_opts(const struct bridge_config *c);

#endif /* BYTEOR_BRIDGE_H */
