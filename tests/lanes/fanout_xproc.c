// SPDX-License-Identifier: GPL-2.0-only
/*
 * fanout_xproc - the fanout lane between processes (producer, router and
 * consumers each a process), on the host's userspace backing (program
 * fanout_xproc) and on the kernel backing in the QEMU guests (program
 * lanes_fanout); see lanes_env.h.
 *
 * 10 million messages per routing mode on the host (BYTEOR_TEST_SCALE
 * scales them), 50k-100k in the guest, validated at the consumers (order,
 * content, key hash, key stickiness, exactly-once by counting; in
 * broadcast every consumer gets every message from 0 in order); the -EPIPE
 * chain at the end (producer exits -> router drains and gets -EPIPE ->
 * consumers drain and get -EPIPE); a SIGKILLed consumer stops gating the
 * producer, and a consumer re-attaching at its index starts at the
 * router's position.
 */
#include "lanes_env.h"
#include <byteor/fanout.h>

#define SLOT		64
#define CAP		LE_PICK(4096, 256)
#define XF_TIMEOUT	LE_TIMEOUT_NS
/* The key of message @seq: 1009 keys, so by-key routing spreads them. */
#define XF_KEY(seq)	((seq) % 1009)

struct xf_result {
	__u64 got[BYTEOR_MAX_QUEUES];
	__u64 last[BYTEOR_MAX_QUEUES];
};

FIXTURE(xfan) {
	struct le_env env;
	const char *name;
	struct xf_result *res;
};

FIXTURE_SETUP(xfan)
{
	LE_SETUP(&self->env);
	self->name = le_name(&self->env, "fan");
	self->res = le_shared(&self->env, sizeof(*self->res));
	ASSERT_NE(NULL, self->res);
}

FIXTURE_TEARDOWN(xfan)
{
	le_teardown(&self->env);
}

static int xf_create(const struct le_env *env, const char *name, __u32 cap,
		     __u32 nq)
{
	struct byteor_geometry g = le_geom(SLOT, cap, nq, 1);

	return le_create(env, name, BYTEOR_KIND_FANOUT, &g, NULL);
}

static void xf_producer(const struct le_env *env, const char *name, int cpu, __u64 n)
{
	struct byteor_attach_options o = le_opts(env, name, 0, XF_TIMEOUT);
	struct byteor_fanout_slot s[32];
	struct byteor_fanout *tx;
	__u64 seq = 0;
	int k, i, ret;

	le_pin(cpu);
	ret = byteor_attach_fanout_tx(&o, &tx);
	if (ret)
		LE_DIE(2, "producer attach: %s", byteor_strerror(ret));
	while (seq < n) {
		k = byteor_fanout_claim(tx, s, n - seq < 32 ? (unsigned int)(n - seq) : 32);
		if (k < 0)
			LE_DIE(3, "claim at %llu: %s", (unsigned long long)seq,
			       byteor_strerror(k));
		for (i = 0; i < k; i++) {
			s[i].len = lp_fill(s[i].data, 0, seq, SLOT);
			s[i].key = XF_KEY(seq);
			seq++;
		}
		ret = byteor_fanout_publish(tx, s, k);
		if (ret != k)
			LE_DIE(3, "publish: %d", ret);
	}
	byteor_fanout_detach(tx);
	_exit(0);
}

static void xf_router(const struct le_env *env, const char *name, int cpu, int mode)
{
	struct byteor_attach_options o = le_opts(env, name, 0, XF_TIMEOUT);
	struct byteor_fanout_router_options ro = { .mode = mode };
	struct byteor_fanout *rt;
	int ret;

	le_pin(cpu);
	ret = byteor_attach_fanout_router(&o, &ro, &rt);
	if (ret)
		LE_DIE(2, "router attach: %s", byteor_strerror(ret));
	for (;;) {
		ret = byteor_fanout_route(rt, 256);
		if (ret == -EPIPE)
			break;
		if (ret < 0)
			LE_DIE(3, "route: %s", byteor_strerror(ret));
	}
	byteor_fanout_detach(rt);
	_exit(0);
}

/*
 * Consumer @q of @nq: validates every message (content; in broadcast,
 * contiguous from 0; by key, key hash % nq == q; otherwise increasing)
 * until -EPIPE, or until it has @stop_after messages (then it tells the
 * parent through @fd and waits to be killed).
 */
static void xf_consumer(const struct le_env *env, const char *name, int cpu, unsigned int q,
			unsigned int nq, int mode, struct xf_result *res,
			__u64 stop_after, int fd)
{
	struct byteor_attach_options o = le_opts(env, name, q, XF_TIMEOUT);
	struct byteor_fanout_msg m[32];
	struct byteor_fanout *rx;
	__u64 got = 0, last = ~0ULL, next;
	const char *why;
	int k, i, ret;

	le_pin(cpu);
	ret = byteor_attach_fanout_rx(&o, &rx);
	if (ret)
		LE_DIE(2, "consumer %u attach: %s", q, byteor_strerror(ret));
	for (;;) {
		k = byteor_fanout_peek(rx, m, 32);
		if (k == -EPIPE)
			break;
		if (k < 0)
			LE_DIE(4, "consumer %u peek after %llu: %s", q,
			       (unsigned long long)got, byteor_strerror(k));
		for (i = 0; i < k; i++) {
			next = m[i].seq;
			why = lp_check(m[i].data, m[i].len, SLOT, &next, 1);
			if (why)
				LE_DIE(5, "consumer %u seq %llu: %s", q,
				       (unsigned long long)m[i].seq, why);
			if (mode == BYTEOR_FANOUT_BROADCAST && m[i].seq != last + 1)
				LE_DIE(6, "consumer %u: seq %llu after %llu", q,
				       (unsigned long long)m[i].seq,
				       (unsigned long long)last);
			if (last != ~0ULL && m[i].seq <= last)
				LE_DIE(6, "consumer %u: seq %llu after %llu", q,
				       (unsigned long long)m[i].seq,
				       (unsigned long long)last);
			if (m[i].key_hash != byteor_fanout_key_hash(XF_KEY(m[i].seq)))
				LE_DIE(7, "consumer %u seq %llu: wrong key hash", q,
				       (unsigned long long)m[i].seq);
			if (mode == BYTEOR_FANOUT_BY_KEY && m[i].key_hash % nq != q)
				LE_DIE(7, "consumer %u: key of seq %llu routed wrong", q,
				       (unsigned long long)m[i].seq);
			last = m[i].seq;
		}
		ret = byteor_fanout_release(rx, k);
		if (ret != k)
			LE_DIE(4, "consumer %u release: %d", q, ret);
		got += k;
		res->got[q] = got;
		res->last[q] = last;
		if (stop_after && got >= stop_after) {
			le_signal(fd);
			for (;;)
				pause();
		}
	}
	byteor_fanout_detach(rx);
	_exit(0);
}

/* Wait until the router has admitted the consumers in @mask. */
static int xf_wait_members(const struct le_env *env, const char *name, __u64 mask)
{
	struct byteor_attach_options o = le_opts(env, name, 0, 0);
	struct byteor_fanout_snapshot *s = malloc(sizeof(*s));
	struct byteor_fanout *f;
	long long t0 = le_now_ns();
	int ret = -ETIMEDOUT;

	if (!s)
		return -ENOMEM;
	if (byteor_attach_fanout_observer(&o, &f)) {
		free(s);
		return -ENOENT;
	}
	while (le_now_ns() - t0 < 10000000000LL) {
		if (!byteor_fanout_snapshot(f, s) && (s->members & mask) == mask) {
			ret = 0;
			break;
		}
		usleep(1000);
	}
	byteor_fanout_detach(f);
	free(s);
	return ret;
}

static void xf_stream(struct __test_metadata *_metadata, FIXTURE_DATA(xfan) *self,
		      int mode, unsigned int nq, __u64 n)
{
	__u64 sum = 0;
	pid_t prod, rt, c[8];
	long long t0, dt;
	unsigned int q;

	ASSERT_EQ(0, xf_create(&self->env, self->name, CAP, nq));
	rt = le_fork(&self->env);
	ASSERT_LE(0, rt);
	if (!rt)
		xf_router(&self->env, self->name, 1, mode);
	for (q = 0; q < nq; q++) {
		c[q] = le_fork(&self->env);
		ASSERT_LE(0, c[q]);
		if (!c[q])
			xf_consumer(&self->env, self->name, q + 1, q, nq, mode, self->res, 0, -1);
	}
	ASSERT_EQ(0, xf_wait_members(&self->env, self->name, (1ULL << nq) - 1));
	t0 = le_now_ns();
	prod = le_fork(&self->env);
	ASSERT_LE(0, prod);
	if (!prod)
		xf_producer(&self->env, self->name, 0, n);
	EXPECT_EQ(0, le_wait(&self->env, prod));
	EXPECT_EQ(0, le_wait(&self->env, rt));
	for (q = 0; q < nq; q++) {
		EXPECT_EQ(0, le_wait(&self->env, c[q]));
		sum += self->res->got[q];
	}
	dt = le_now_ns() - t0;
	TH_LOG("%llu messages, %u consumers, %.2f s: %.1f M/s routed",
	       (unsigned long long)n, nq, dt / 1e9, n * 1e3 / dt);
	if (mode == BYTEOR_FANOUT_BROADCAST) {
		for (q = 0; q < nq; q++)
			EXPECT_EQ(n, self->res->got[q]);
	} else {
		EXPECT_EQ(n, sum);
	}
	if (mode == BYTEOR_FANOUT_ROUND_ROBIN) {
		for (q = 0; q < nq; q++) {
			__u64 g = self->res->got[q], e = n / nq;

			EXPECT_GE(1, g > e ? g - e : e - g);
		}
	}
	EXPECT_EQ(0, le_destroy(&self->env, self->name));
}

/* Broadcast: both consumers get every message from 0, in order, intact. */
TEST_F_TIMEOUT(xfan, broadcast_reaches_every_consumer_process_once_in_order, 120)
{
	xf_stream(_metadata, self, BYTEOR_FANOUT_BROADCAST, 2,
		  le_count(10000000, 100000));
}

TEST_F_TIMEOUT(xfan, ten_million_messages_by_key_arrive_once_at_their_consumer, 120)
{
	xf_stream(_metadata, self, BYTEOR_FANOUT_BY_KEY, 3,
		  le_count(10000000, 50000));
}

TEST_F_TIMEOUT(xfan, ten_million_messages_round_robin_arrive_once_evenly, 120)
{
	xf_stream(_metadata, self, BYTEOR_FANOUT_ROUND_ROBIN, 3,
		  le_count(10000000, 50000));
}

/*
 * Consumer 1 is SIGKILLed mid-stream: the producer (this process) is not
 * held back by it for long, consumer 0 gets everything; a new consumer 1
 * starts exactly at the router's position at its admission.
 */
TEST_F_TIMEOUT(xfan, killed_consumer_stops_gating_and_reattach_starts_at_router_pos, 120)
{
	struct byteor_attach_options o = le_opts(&self->env, self->name, 0, XF_TIMEOUT);
	/* n2 < the ring: this process is both the producer and consumer 1. */
	__u64 n1 = le_count(200000, 20000), n2 = 200, seq = 0, next;
	struct byteor_fanout_snapshot *s = calloc(1, sizeof(*s));
	struct byteor_fanout *tx, *rx;
	struct byteor_fanout_msg m[32];
	unsigned char buf[SLOT];
	int pfd[2], k, i;
	long long t0;
	pid_t rt, c0, c1;

	ASSERT_NE(NULL, s);
	ASSERT_EQ(0, pipe(pfd));
	ASSERT_EQ(0, xf_create(&self->env, self->name, 256, 2));
	rt = le_fork(&self->env);
	ASSERT_LE(0, rt);
	if (!rt)
		xf_router(&self->env, self->name, 1, BYTEOR_FANOUT_BROADCAST);
	c0 = le_fork(&self->env);
	ASSERT_LE(0, c0);
	if (!c0)
		xf_consumer(&self->env, self->name, 1, 0, 2, BYTEOR_FANOUT_BROADCAST,
			    self->res, 0, -1);
	c1 = le_fork(&self->env);
	ASSERT_LE(0, c1);
	if (!c1)
		xf_consumer(&self->env, self->name, 0, 1, 2, BYTEOR_FANOUT_BROADCAST,
			    self->res, 1000, pfd[1]);
	ASSERT_EQ(0, xf_wait_members(&self->env, self->name, 3));
	ASSERT_EQ(0, byteor_attach_fanout_tx(&o, &tx));
	while (seq < 1000) {
		ASSERT_EQ(0, byteor_fanout_send(tx, buf, lp_fill(buf, 0, seq, SLOT),
					   XF_KEY(seq)));
		seq++;
	}
	/* Consumer 1 has 1000 and stops reading; kill it. */
	ASSERT_EQ(0, le_await(pfd[0]));
	ASSERT_EQ(0, kill(c1, SIGKILL));
	EXPECT_EQ(128 + SIGKILL, le_wait(&self->env, c1));
	t0 = le_now_ns();
	while (seq < n1) {
		k = byteor_fanout_send(tx, buf, lp_fill(buf, 0, seq, SLOT),
					   XF_KEY(seq));
		ASSERT_EQ(0, k) TH_LOG("send %llu: %s", (unsigned long long)seq,
				       byteor_strerror(k));
		seq++;
	}
	TH_LOG("%llu messages after the kill in %.3f s", (unsigned long long)(n1 - 1000),
	       (le_now_ns() - t0) / 1e9);
	ASSERT_EQ(0, byteor_fanout_snapshot(tx, s));
	EXPECT_EQ(1, s->members);
	EXPECT_EQ(0, s->consumer[1].alive);
	/* All routed, then a new consumer 1. */
	while (!byteor_fanout_snapshot(tx, s) && s->router_pos != n1)
		usleep(1000);
	o.queue = 1;
	ASSERT_EQ(0, byteor_attach_fanout_rx(&o, &rx));
	while (byteor_fanout_joined(rx) != 1) {
		ASSERT_LT(le_now_ns() - t0, XF_TIMEOUT);
		usleep(1000);
	}
	for (i = 0; i < (int)n2; i++, seq++)
		ASSERT_EQ(0, byteor_fanout_send(tx, buf, lp_fill(buf, 0, seq, SLOT),
					   XF_KEY(seq)));
	next = n1;
	while (next < n1 + n2) {
		k = byteor_fanout_peek(rx, m, 32);
		ASSERT_LT(0, k) TH_LOG("peek: %s", byteor_strerror(k));
		for (i = 0; i < k; i++) {
			ASSERT_EQ(next, m[i].seq);
			ASSERT_EQ(NULL, lp_check(m[i].data, m[i].len, SLOT, &next, 1));
		}
		byteor_fanout_release(rx, k);
	}
	/* The producer leaves: router, then both consumers end with -EPIPE. */
	byteor_fanout_detach(tx);
	EXPECT_EQ(-EPIPE, byteor_fanout_peek(rx, m, 32));
	byteor_fanout_detach(rx);
	EXPECT_EQ(0, le_wait(&self->env, rt));
	EXPECT_EQ(0, le_wait(&self->env, c0));
	EXPECT_EQ(n1 + n2, self->res->got[0]);
	free(s);
}

TEST_HARNESS_MAIN
