/* SPDX-License-Identifier: MIT */
/*
 * bridge/transport.h - what byteor-bridge needs from a message engine.
 *
 * The bridge's two directions talk to the engine only through this table,
 * so another engine (Kafka, a plain TCP peer, ...) is one more file like
 * transport_jetstream.c and one more entry in bridge_transport_find().
 *
 * The engine must offer: publishing with an idempotence key (the record's
 * id, bridge_rec_id()) and an asynchronous per-message acknowledgement;
 * a durable, acknowledged pull of what was published, in publication
 * order, with at-least-once redelivery of what was not acknowledged.  The
 * bridge makes the rest exact (docs/design.md, "The bridge").
 *
 * Every function returns 0 (or a count) or a negative errno and prints
 * nothing itself; a message for the user goes to @err (bridge_err_set()).
 */
#ifndef BYTEOR_BRIDGE_TRANSPORT_H
#define BYTEOR_BRIDGE_TRANSPORT_H

#include "bridge.h"

struct bridge_transport;

/*
 * Called by the engine, from any thread, once per publish_async(): @err 0
 * (stored; @dup: it was already stored, a re-send) or -errno (not known to
 * be stored: the bridge re-sends from the first record not acknowledged;
 * @why: the engine's words for it, or NULL).
 */
typedef void (*bridge_ack_fn)(void *ctx, __u64 pos, __u32 kind, int err,
			      bool dup, const char *why);

struct bridge_transport_ops {
	const char *name;
	/* Connect, check the stream (create it when the config says so). */
	int (*connect)(const struct bridge_config *c, bridge_ack_fn on_ack,
		       void *ctx, struct bridge_transport **out,
		       struct bridge_err *err);
	/* Queue @r for publication with the id bridge_rec_id(@r). */
	int (*publish_async)(struct bridge_transport *t,
			     const struct bridge_rec *r, struct bridge_err *err);
	/* Wait up to @timeout_ms for every publication to be acknowledged
	 * or failed; -ETIMEDOUT if some still are not. */
	int (*wait_acks)(struct bridge_transport *t, long timeout_ms);
	/* Up to @n records of the durable consumer, waiting up to
	 * @timeout_ms for the first; each to be acked or released. */
	int (*fetch)(struct bridge_transport *t, struct bridge_rec *v, int n,
		     long timeout_ms, struct bridge_err *err);
	/* Acknowledge a fetched record (it is never delivered again). */
	int (*ack)(struct bridge_transport *t, struct bridge_rec *r);
	/* Let a fetched record go unacknowledged (delivered again later). */
	void (*release)(struct bridge_transport *t, struct bridge_rec *r);
	void (*close)(struct bridge_transport *t);
};

extern const struct bridge_transport_ops bridge_jetstream_ops;

/* The engine called @name ("jetstream", or one registered), or NULL. */
const struct bridge_transport_ops *bridge_transport_find(const char *name);

/* Add an engine (tests register a scripted one); -ENOSPC when full. */
int bridge_transport_register(const struct bridge_transport_ops *ops);

#endif /* BYTEOR_BRIDGE_TRANSPORT_H */
