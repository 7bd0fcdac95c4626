// SPDX-License-Identifier: MIT
/*
 * bridge/transport_jetstream.c - the bridge's transport over NATS
 * JetStream (nats.c, libnats).
 *
 * Out: js_PublishMsgAsync() with Nats-Msg-Id = bridge_rec_id(), at most
 * the window outstanding (the bridge's own count; jsOptions.MaxPending is
 * set to the same as a backstop), each acknowledgement or failure handed
 * to the bridge's callback from nats.c's thread.  A publish whose
 * acknowledgement does not come within ack_timeout_ms fails (MaxWait).
 * In: a durable pull consumer (explicit acks, AckWait, deliver all),
 * natsSubscription_Fetch() in batches.  The record's fields travel in
 * Byteor-* headers; the payload is the record's payload.
 *
 * The connection reconnects forever once it is up (a cluster's leader
 * change, a restarted server); only the first connect is bounded.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <nats/nats.h>
#include "transport.h"

struct bridge_transport {
	const struct bridge_config *c;
	natsConnection *nc;
	natsOptions *no;
	jsCtx *js;
	natsSubscription *sub;
	bridge_ack_fn on_ack;
	void *ctx;
};

/* Our own close: not worth a "disconnected" line.  Static, not in the
 * transport: nats.c calls the callback from its own thread, possibly after
 * the connection (and the transport) is gone. */
static volatile int js_closing;

static void on_disconnected(natsConnection *nc, void *closure)
{
	(void)nc;
	(void)closure;
	if (!js_closing)
		bridge_log("disconnected from NATS; reconnecting");
}

static void on_reconnected(natsConnection *nc, void *closure)
{
	char url[256] = "";

	(void)closure;
	natsConnection_GetConnectedUrl(nc, url, sizeof(url));
	bridge_log("reconnected to %s", url);
}

static __u64 hdr_u64(natsMsg *m, const char *key, bool *ok)
{
	const char *v = NULL;
	char *end;
	__u64 x;

	if (natsMsgHeader_Get(m, key, &v) != NATS_OK || !v || !*v) {
		*ok = false;
		return 0;
	}
	x = strtoull(v, &end, 10);
	if (*end)
		*ok = false;
	return x;
}

/* nats.c's thread: one call per js_PublishMsgAsync(). */
static void js_ack_handler(jsCtx *js, natsMsg *msg, jsPubAck *pa,
			   jsPubAckErr *pae, void *closure)
{
	struct bridge_transport *t = closure;
	const char *kind = NULL;
	bool ok = true;
	__u64 pos;
	int err = 0;

	(void)js;
	pos = hdr_u64(msg, "Byteor-Pos", &ok);
	natsMsgHeader_Get(msg, "Byteor-Kind", &kind);
	if (!pa)
		err = pae && pae->Err == NATS_TIMEOUT ? -ETIMEDOUT : -EIO;
	if (ok)
		t->on_ack(t->ctx, pos, kind && !strcmp(kind, "gap") ?
			  BRIDGE_REC_GAP : BRIDGE_REC_DATA, err,
			  pa && pa->Duplicate,
			  pae ? (pae->ErrText && *pae->ErrText ? pae->ErrText :
				 natsStatus_GetText(pae->Err)) : NULL);
	natsMsg_Destroy(msg);
}

static int status_errno(natsStatus s)
{
	switch (s) {
	case NATS_OK: return 0;
	case NATS_TIMEOUT: return -ETIMEDOUT;
	case NATS_NO_SERVER: return -ECONNREFUSED;
	case NATS_CONNECTION_CLOSED: return -ENOTCONN;
	case NATS_NO_MEMORY: return -ENOMEM;
	case NATS_NOT_FOUND: return -ENOENT;
	case NATS_NO_RESPONDERS: return -EAGAIN;
	default: return -EIO;
	}
}

static const char *last_error(natsStatus s)
{
	const char *e = nats_GetLastError(NULL);

	return e && *e ? e : natsStatus_GetText(s);
}

/*
 * Closing the transport closes the NATS library and waits for its threads
 * (one transport per process): no callback can run on a freed transport
 * or on the caller's state afterwards.
 */
static void js_close(struct bridge_transport *t)
{
	if (!t)
		return;
	js_closing = 1;
	if (t->sub)
		natsSubscription_Destroy(t->sub);
	if (t->nc)
		natsConnection_FlushTimeout(t->nc, 1000);
	if (t->js)
		jsCtx_Destroy(t->js);
	if (t->nc) {
		natsConnection_Close(t->nc);
		natsConnection_Destroy(t->nc);
	}
	if (t->no)
		natsOptions_Destroy(t->no);
	nats_CloseAndWait(5000);
	free(t);
}

/*
 * The stream: it must exist (or be created with --create-stream).  Right
 * after a cluster starts, JetStream may answer "temporarily unavailable"
 * for a while: asked again until the connect timeout.
 */
static int check_stream(struct bridge_transport *t, struct bridge_err *err)
{
	const struct bridge_config *c = t->c;
	__u64 deadline = bridge_mono_ms() + c->connect_timeout_ms;
	jsStreamInfo *si = NULL;
	jsStreamConfig sc;
	jsErrCode jerr;
	natsStatus s;
	const char *subj[1] = { c->subject };

	for (;;) {
		jerr = 0;
		s = js_GetStreamInfo(&si, t->js, c->stream, NULL, &jerr);
		if (s == NATS_OK) {
			if (c->verbose)
				bridge_log("stream '%s': %d replica(s), duplicate window %lld s",
					   c->stream, (int)si->Config->Replicas,
					   (long long)(si->Config->Duplicates / 1000000000LL));
			if (si->Config->Duplicates <= 0)
				bridge_log("warning: stream '%s' has no duplicate window: re-sent records are stored twice (the in side still appends them once)",
					   c->stream);
			jsStreamInfo_Destroy(si);
			return 0;
		}
		if (jerr == JSStreamNotFoundErr || s == NATS_NOT_FOUND) {
			if (!c->create_stream || c->dir != BRIDGE_OUT) {
				bridge_err_set(err, "stream '%s' not found on %s (create it, or run 'byteor-bridge out' with --create-stream)",
					       c->stream, c->servers);
				return -ENOENT;
			}
			jsStreamConfig_Init(&sc);
			sc.Name = c->stream;
			sc.Subjects = subj;
			sc.SubjectsLen = 1;
			sc.Storage = js_FileStorage;
			sc.Replicas = c->replicas;
			sc.Duplicates = (int64_t)c->dup_window_s * 1000000000LL;
			s = js_AddStream(&si, t->js, &sc, NULL, &jerr);
			if (s == NATS_OK) {
				bridge_log("created stream '%s' (subject %s, %d replica(s), duplicate window %ld s)",
					   c->stream, c->subject, c->replicas,
					   c->dup_window_s);
				jsStreamInfo_Destroy(si);
				return 0;
			}
		}
		if (jerr == JSNotEnabledErr || jerr == JSNotEnabledForAccountErr) {
			bridge_err_set(err, "JetStream is not enabled on %s (nats-server -js)",
				       c->servers);
			return -EOPNOTSUPP;
		}
		if (bridge_mono_ms() > deadline || bridge_stop) {
			bridge_err_set(err, "stream '%s' on %s: %s (JetStream error %d)",
				       c->stream, c->servers, last_error(s), (int)jerr);
			return status_errno(s) ?: -EIO;
		}
		nats_Sleep(200);
	}
}

static int subscribe(struct bridge_transport *t, struct bridge_err *err)
{
	const struct bridge_config *c = t->c;
	__u64 deadline = bridge_mono_ms() + c->connect_timeout_ms;
	jsSubOptions so;
	jsErrCode jerr;
	natsStatus s;

	for (;;) {
		jsSubOptions_Init(&so);
		so.Stream = c->stream;
		so.Config.Durable = c->durable;
		so.Config.AckPolicy = js_AckExplicit;
		so.Config.AckWait = (int64_t)c->ack_wait_ms * 1000000LL;
		so.Config.DeliverPolicy = js_DeliverAll;
		so.Config.MaxAckPending = 65536;
		jerr = 0;
		s = js_PullSubscribe(&t->sub, t->js, c->subject, c->durable, NULL,
				     &so, &jerr);
		if (s == NATS_OK)
			return 0;
		if (bridge_mono_ms() > deadline || bridge_stop) {
			bridge_err_set(err, "consumer '%s' on stream '%s': %s (JetStream error %d)",
				       c->durable, c->stream, last_error(s),
				       (int)jerr);
			return status_errno(s) ?: -EIO;
		}
		nats_Sleep(200);
	}
}

static int js_connect(const struct bridge_config *c, bridge_ack_fn on_ack,
		      void *ctx, struct bridge_transport **out,
		      struct bridge_err *err)
{
	struct bridge_transport *t = calloc(1, sizeof(*t));
	const char *urls[16];
	char buf[BRIDGE_STR_MAX], *save, *u;
	jsOptions jo;
	natsStatus s;
	int n = 0, ret;

	if (!t)
		return -ENOMEM;
	t->c = c;
	t->on_ack = on_ack;
	t->ctx = ctx;
	snprintf(buf, sizeof(buf), "%s", c->servers);
	for (u = strtok_r(buf, ",", &save); u && n < 16; u = strtok_r(NULL, ",", &save))
		urls[n++] = u;
	s = natsOptions_Create(&t->no);
	if (s == NATS_OK)
		s = natsOptions_SetServers(t->no, urls, n);
	if (s == NATS_OK)
		s = natsOptions_SetTimeout(t->no, c->connect_timeout_ms);
	if (s == NATS_OK)
		s = natsOptions_SetAllowReconnect(t->no, true);
	if (s == NATS_OK)
		s = natsOptions_SetMaxReconnect(t->no, -1);
	if (s == NATS_OK)
		s = natsOptions_SetReconnectWait(t->no, 100);
	/* What is published while reconnecting waits here (one window's worth). */
	if (s == NATS_OK)
		s = natsOptions_SetReconnectBufSize(t->no, 64 << 20);
	if (s == NATS_OK)
		s = natsOptions_SetDisconnectedCB(t->no, on_disconnected, NULL);
	if (s == NATS_OK)
		s = natsOptions_SetReconnectedCB(t->no, on_reconnected, NULL);
	if (s != NATS_OK) {
		bridge_err_set(err, "NATS options: %s", last_error(s));
		js_close(t);
		return -EINVAL;
	}
	s = natsConnection_Connect(&t->nc, t->no);
	if (s != NATS_OK) {
		bridge_err_set(err, "cannot reach the NATS server(s) %s: %s",
			       c->servers, last_error(s));
		js_close(t);
		return -ECONNREFUSED;
	}
	jsOptions_Init(&jo);
	jo.Wait = c->connect_timeout_ms;
	jo.PublishAsync.MaxPending = c->window;
	jo.PublishAsync.AckHandler = js_ack_handler;
	jo.PublishAsync.AckHandlerClosure = t;
	s = natsConnection_JetStream(&t->js, t->nc, &jo);
	if (s != NATS_OK) {
		bridge_err_set(err, "JetStream context: %s", last_error(s));
		js_close(t);
		return -EIO;
	}
	ret = check_stream(t, err);
	if (!ret && c->dir == BRIDGE_IN)
		ret = subscribe(t, err);
	if (ret) {
		js_close(t);
		return ret;
	}
	*out = t;
	return 0;
}

static int js_publish_async(struct bridge_transport *t,
			    const struct bridge_rec *r, struct bridge_err *err)
{
	char id[BRIDGE_ID_MAX], v[7][32];
	jsPubOptions po;
	natsMsg *m = NULL;
	natsStatus s;
	int ret;

	ret = bridge_rec_id(r, id, sizeof(id));
	if (ret)
		return ret;
	s = natsMsg_Create(&m, t->c->subject, NULL, r->data, (int)r->len);
	snprintf(v[0], sizeof(v[0]), "%llu", (unsigned long long)r->pos);
	snprintf(v[1], sizeof(v[1]), "%llu", (unsigned long long)r->next);
	snprintf(v[2], sizeof(v[2]), "%llu", (unsigned long long)r->origin);
	snprintf(v[3], sizeof(v[3]), "%llu", (unsigned long long)r->generation);
	snprintf(v[4], sizeof(v[4]), "%u", r->type);
	snprintf(v[5], sizeof(v[5]), "%llu", (unsigned long long)r->time_ns);
	if (s == NATS_OK)
		s = natsMsgHeader_Set(m, "Byteor-Region", r->region);
	if (s == NATS_OK)
		s = natsMsgHeader_Set(m, "Byteor-Generation", v[3]);
	if (s == NATS_OK)
		s = natsMsgHeader_Set(m, "Byteor-Origin", v[2]);
	if (s == NATS_OK)
		s = natsMsgHeader_Set(m, "Byteor-Pos", v[0]);
	if (s == NATS_OK)
		s = natsMsgHeader_Set(m, "Byteor-Next", v[1]);
	if (s == NATS_OK)
		s = natsMsgHeader_Set(m, "Byteor-Type", v[4]);
	if (s == NATS_OK)
		s = natsMsgHeader_Set(m, "Byteor-Time", v[5]);
	if (s == NATS_OK)
		s = natsMsgHeader_Set(m, "Byteor-Kind",
				      r->kind == BRIDGE_REC_GAP ? "gap" : "record");
	if (s == NATS_OK) {
		jsPubOptions_Init(&po);
		po.MsgId = id;
		po.MaxWait = t->c->ack_timeout_ms;
		s = js_PublishMsgAsync(t->js, &m, &po);
	}
	if (s != NATS_OK) {
		/* On failure the message is still ours. */
		natsMsg_Destroy(m);
		bridge_err_set(err, "publish %s: %s", id, last_error(s));
		return status_errno(s) ?: -EIO;
	}
	return 0;
}

static int js_wait_acks(struct bridge_transport *t, long timeout_ms)
{
	jsPubOptions po;

	jsPubOptions_Init(&po);
	po.MaxWait = timeout_ms > 0 ? timeout_ms : 1;
	return status_errno(js_PublishAsyncComplete(t->js, &po));
}

static int fill(natsMsg *m, struct bridge_rec *r)
{
	const char *v = NULL;
	jsMsgMetaData *md = NULL;
	bool ok = true;

	memset(r, 0, sizeof(*r));
	r->handle = m;
	r->data = natsMsg_GetData(m);
	r->len = (__u32)natsMsg_GetDataLength(m);
	if (natsMsg_GetMetaData(&md, m) == NATS_OK) {
		r->delivered = md->NumDelivered;
		r->pending = md->NumPending;
		jsMsgMetaData_Destroy(md);
	}
	if (natsMsgHeader_Get(m, "Byteor-Region", &v) != NATS_OK || !v ||
	    strlen(v) >= sizeof(r->region))
		return -EBADMSG;
	strcpy(r->region, v);
	r->generation = hdr_u64(m, "Byteor-Generation", &ok);
	r->origin = hdr_u64(m, "Byteor-Origin", &ok);
	r->pos = hdr_u64(m, "Byteor-Pos", &ok);
	r->next = hdr_u64(m, "Byteor-Next", &ok);
	r->type = (__u32)hdr_u64(m, "Byteor-Type", &ok);
	r->time_ns = hdr_u64(m, "Byteor-Time", &ok);
	v = NULL;
	natsMsgHeader_Get(m, "Byteor-Kind", &v);
	if (!v || (strcmp(v, "record") && strcmp(v, "gap")))
		ok = false;
	else
		r->kind = strcmp(v, "gap") ? BRIDGE_REC_DATA : BRIDGE_REC_GAP;
	if (!ok || r->next <= r->pos)
		return -EBADMSG;
	return 0;
}

/*
 * Records whose headers are not the bridge's come back with handle set
 * and kind BRIDGE_REC_DATA but region "" (the caller reports them).
 */
static int js_fetch(struct bridge_transport *t, struct bridge_rec *v, int n,
		    long timeout_ms, struct bridge_err *err)
{
	natsMsgList list = { 0 };
	jsErrCode jerr = 0;
	natsStatus s;
	int i;

	s = natsSubscription_Fetch(&list, t->sub, n, timeout_ms, &jerr);
	if (s == NATS_TIMEOUT)
		return 0;
	if (s != NATS_OK) {
		bridge_err_set(err, "fetch from consumer '%s': %s (JetStream error %d)",
			       t->c->durable, last_error(s), (int)jerr);
		return status_errno(s) ?: -EIO;
	}
	for (i = 0; i < list.Count && i < n; i++) {
		if (fill(list.Msgs[i], &v[i]))
			v[i].region[0] = 0;
		list.Msgs[i] = NULL;	/* ours now */
	}
	for (; i < list.Count; i++)
		natsMsg_Destroy(list.Msgs[i]);
	free(list.Msgs);
	return list.Count < n ? list.Count : n;
}

static int js_ack(struct bridge_transport *t, struct bridge_rec *r)
{
	natsStatus s;

	(void)t;
	if (!r->handle)
		return -EINVAL;
	s = natsMsg_Ack(r->handle, NULL);
	natsMsg_Destroy(r->handle);
	r->handle = NULL;
	return status_errno(s);
}

static void js_release(struct bridge_transport *t, struct bridge_rec *r)
{
	(void)t;
	natsMsg_Destroy(r->handle);
	r->handle = NULL;
}

const struct bridge_transport_ops bridge_jetstream_ops = {
	.name = "jetstream",
	.connect = js_connect,
	.publish_async = js_publish_async,
	.wait_acks = js_wait_acks,
	.fetch = js_fetch,
	.ack = js_ack,
	.release = js_release,
	.close = js_close,
};
