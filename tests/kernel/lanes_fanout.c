// SPDX-License-Identifier: GPL-2.0-only
/*
 * lanes_fanout - libbyteor's fanout between processes on the kernel
 * backing: a producer process, a broadcasting router process and two
 * consumer processes; each consumer gets every message exactly once, in
 * order, intact (contiguous sequence numbers from 0, every payload byte
 * checked), and the -EPIPE chain ends the run: the producer exits, the
 * router drains and gets -EPIPE, the consumers drain and get -EPIPE.
 *
 * 100k messages, not the host tests' 10 million: the guest runs under TCG
 * (see lanes_test.h).
 */
#include "lanes_test.h"

#define SLOT		64
#define CAP		256
#define NCONS		2
#define MESSAGES	100000ULL

struct fo_result {
	__u64 got[NCONS];
};

FIXTURE(fo) {
	struct bt_res res;
	const char *name;
	struct fo_result *out;
};

FIXTURE_SETUP(fo)
{
	struct byteor_geometry g = ln_geom(SLOT, CAP, NCONS, 1);

	LN_SETUP_CHECKS();
	self->name = bt_res_name(&self->res, "fan");
	ASSERT_EQ(0, ln_create(self->name, BYTEOR_KIND_FANOUT, &g, NULL));
	self->out = ln_shared(&self->res, sizeof(*self->out));
	ASSERT_NE(NULL, self->out);
}

FIXTURE_TEARDOWN(fo)
{
	bt_res_release(&self->res);
}

static void fo_producer(const char *name, __u64 n)
{
	struct byteor_attach_options o = ln_opts(name, 0, LN_TIMEOUT_NS);
	struct byteor_fanout_slot s[32];
	struct byteor_fanout *tx;
	__u64 seq = 0;
	int k, i, ret;

	ret = byteor_attach_fanout_tx(&o, &tx);
	if (ret)
		LN_DIE(2, "producer attach: %s", byteor_strerror(ret));
	while (seq < n) {
		k = byteor_fanout_claim(tx, s, n - seq < 32 ? (unsigned int)(n - seq) : 32);
		if (k < 1)
			LN_DIE(3, "claim at %llu: %s", (unsigned long long)seq,
			       byteor_strerror(k));
		for (i = 0; i < k; i++) {
			s[i].len = ln_fill(s[i].data, 0, seq, SLOT);
			s[i].key = seq++;
		}
		ret = byteor_fanout_publish(tx, s, k);
		if (ret != k)
			LN_DIE(3, "publish: %d", ret);
	}
	byteor_fanout_detach(tx);
	_exit(0);
}

static void fo_router(const char *name)
{
	struct byteor_attach_options o = ln_opts(name, 0, LN_TIMEOUT_NS);
	struct byteor_fanout_router_options ro = { .mode = BYTEOR_FANOUT_BROADCAST };
	struct byteor_fanout *rt;
	int ret;

	ret = byteor_attach_fanout_router(&o, &ro, &rt);
	if (ret)
		LN_DIE(2, "router attach: %s", byteor_strerror(ret));
	do
		ret = byteor_fanout_route(rt, 256);
	while (ret >= 0);
	if (ret != -EPIPE)
		LN_DIE(3, "route: %s", byteor_strerror(ret));
	byteor_fanout_detach(rt);
	_exit(0);
}

/* Consumer @q: every message, from 0, in order, intact, until -EPIPE. */
static void fo_consumer(const char *name, unsigned int q, struct fo_result *res)
{
	struct byteor_attach_options o = ln_opts(name, q, LN_TIMEOUT_NS);
	struct byteor_fanout_msg m[32];
	struct byteor_fanout *rx;
	__u64 next = 0, want;
	const char *why;
	int k, i, ret;

	ret = byteor_attach_fanout_rx(&o, &rx);
	if (ret)
		LN_DIE(2, "consumer %u attach: %s", q, byteor_strerror(ret));
	for (;;) {
		k = byteor_fanout_peek(rx, m, 32);
		if (k == -EPIPE)
			break;
		if (k < 1)
			LN_DIE(4, "consumer %u peek after %llu: %s", q,
			       (unsigned long long)next, byteor_strerror(k));
		for (i = 0; i < k; i++) {
			if (m[i].seq != next)
				LN_DIE(6, "consumer %u: seq %llu, want %llu", q,
				       (unsigned long long)m[i].seq,
				       (unsigned long long)next);
			want = next;
			why = ln_check(m[i].data, m[i].len, SLOT, &want, 1);
			if (why)
				LN_DIE(5, "consumer %u seq %llu: %s", q,
				       (unsigned long long)next, why);
			if (m[i].key_hash != byteor_fanout_key_hash(next))
				LN_DIE(7, "consumer %u seq %llu: wrong key hash", q,
				       (unsigned long long)next);
			next++;
		}
		ret = byteor_fanout_release(rx, k);
		if (ret != k)
			LN_DIE(4, "release: %d", ret);
		res->got[q] = next;
	}
	byteor_fanout_detach(rx);
	_exit(0);
}

/* Wait (10 s at most) until the router has admitted every consumer. */
static int fo_wait_members(const char *name, __u64 mask)
{
	struct byteor_attach_options o = ln_opts(name, 0, 0);
	struct byteor_fanout_snapshot *s = malloc(sizeof(*s));
	long long t0 = ln_now_ns();
	struct byteor_fanout *f;
	int ret = -ETIMEDOUT;

	if (!s)
		return -ENOMEM;
	if (byteor_attach_fanout_observer(&o, &f)) {
		free(s);
		return -ENOENT;
	}
	while (ln_now_ns() - t0 < 10000000000LL) {
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

TEST_F_TIMEOUT(fo, broadcast_reaches_every_consumer_process_once_in_order, 50)
{
	long long t0 = ln_now_ns();
	pid_t rt, c[NCONS], p;
	unsigned int q;

	rt = ln_fork(&self->res);
	ASSERT_LE(0, rt);
	if (!rt)
		fo_router(self->name);
	for (q = 0; q < NCONS; q++) {
		c[q] = ln_fork(&self->res);
		ASSERT_LE(0, c[q]);
		if (!c[q])
			fo_consumer(self->name, q, self->out);
	}
	/* Members join at the router's position: start once both are in. */
	ASSERT_EQ(0, fo_wait_members(self->name, (1ULL << NCONS) - 1));
	p = ln_fork(&self->res);
	ASSERT_LE(0, p);
	if (!p)
		fo_producer(self->name, MESSAGES);
	EXPECT_EQ(0, bt_res_wait(&self->res, p));
	EXPECT_EQ(0, bt_res_wait(&self->res, rt));
	for (q = 0; q < NCONS; q++) {
		EXPECT_EQ(0, bt_res_wait(&self->res, c[q])) TH_LOG("consumer %u", q);
		EXPECT_EQ(MESSAGES, self->out->got[q]) TH_LOG("consumer %u", q);
	}
	TH_LOG("%llu messages broadcast to %u consumer processes in %.2f s",
	       MESSAGES, NCONS, (ln_now_ns() - t0) / 1e9);
	EXPECT_EQ(0, byteor_region_destroy(self->name, BYTEOR_BACKING_KERNEL, NULL));
}

TEST_HARNESS_MAIN
