// SPDX-License-Identifier: GPL-2.0-only
/*
 * events_fuzz - a hostile peer scribbles random values into an events
 * chain queue's shared state (tail, head, claim records, generations,
 * eventcounts, slot headers, payloads) while a consumer process and two
 * producer processes (one for an SPSC queue) run.  All must survive - errors
 * such as -EBADMSG and skipped positions are fine, a crash, an over-long
 * event or a hang is not - and once the scribbling stops the queue must
 * carry events again.  Run under AddressSanitizer too (SAN=asan).
 */
#include "kselftest_harness.h"
#include "host_test.h"
#include "single_ring_test.h"

#include <stdatomic.h>
#include <sys/mman.h>

#define SLOT		64
#define CAP		64
#define MAGIC		0x6d61676963ULL

struct fz_shared {
	_Atomic int phase;	/* 0 storm, 1 calm (recovery), 2 stop */
	_Atomic int attached;	/* peers attached: the storm starts after */
	_Atomic unsigned long long ok, badmsg, timedout, magic, sent, send_err;
	char why[200];
};

FIXTURE(efuzz) {
	struct ht_dir d;
	struct fz_shared *sh;
};

FIXTURE_VARIANT(efuzz) {
	unsigned int queue;	/* 0: SPSC, 1: MPSC */
	unsigned int producers;
};

FIXTURE_VARIANT_ADD(efuzz, spsc) {
	.queue = 0,
	.producers = 1,
};

FIXTURE_VARIANT_ADD(efuzz, mpsc) {
	.queue = 1,
	.producers = 2,
};

FIXTURE_SETUP(efuzz)
{
	HT_DIR_SETUP(&self->d, false);
	ASSERT_EQ(0, lt_create_events(self->d.path, "ev", SLOT, CAP, 2, 3, 1 << 1));
	self->sh = mmap(NULL, sizeof(*self->sh), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->sh);
}

FIXTURE_TEARDOWN(efuzz)
{
	munmap(self->sh, sizeof(*self->sh));
	ht_dir_teardown(&self->d);
}

static void fz_fail(struct fz_shared *sh, const char *why, int code)
{
	snprintf(sh->why, sizeof(sh->why), "%s", why);
	_exit(code);
}

static void fz_touch(const void *p, __u32 len, struct fz_shared *sh)
{
	const volatile unsigned char *b = p;
	unsigned int sum = 0;
	__u32 i;

	if (len > SLOT)
		fz_fail(sh, "length above the slot size handed out", 10);
	for (i = 0; i < len; i++)
		sum += b[i];
	(void)sum;
}

static void fz_seen(const void *p, __u32 len, struct fz_shared *sh)
{
	__u64 tag;

	fz_touch(p, len, sh);
	if (len >= 8) {
		memcpy(&tag, p, sizeof(tag));
		if (tag == MAGIC)
			atomic_fetch_add(&sh->magic, 1);
	}
}

static void fz_consumer(const char *dir, unsigned int q, struct fz_shared *sh)
{
	struct byteor_attach_options o = lt_opts(dir, "ev", q, 2000000);
	struct byteor_events *rx;
	struct byteor_slot s[16];
	unsigned char buf[SLOT + 16];
	unsigned long long iter = 0;
	int n, i, ret;

	lt_pin(0);
	ret = q ? byteor_attach_events_mpsc_rx(&o, &rx) :
		  byteor_attach_events_rx(&o, &rx);
	if (ret)
		fz_fail(sh, "consumer attach", 2);
	atomic_fetch_add(&sh->attached, 1);
	while (atomic_load(&sh->phase) < 2) {
		if (iter++ & 1) {
			memset(buf + SLOT, 0xa5, 16);
			n = byteor_events_recv(rx, buf, SLOT);
			for (i = SLOT; i < SLOT + 16; i++)
				if (buf[i] != 0xa5)
					fz_fail(sh, "recv wrote past the buffer", 11);
			if (n >= 0) {
				fz_seen(buf, (__u32)n, sh);
				atomic_fetch_add(&sh->ok, 1);
				continue;
			}
		} else {
			n = byteor_events_peek(rx, s, 16);
			if (n > 16)
				fz_fail(sh, "peek returned more than asked", 12);
			if (n >= 0) {
				for (i = 0; i < n; i++)
					fz_seen(s[i].data, s[i].len, sh);
				if (byteor_events_release(rx, n) != n)
					fz_fail(sh, "release of a peeked batch failed", 13);
				atomic_fetch_add(&sh->ok, n);
				continue;
			}
			if (n == -EBADMSG)
				byteor_events_release(rx, 1);
		}
		if (n == -EBADMSG)
			atomic_fetch_add(&sh->badmsg, 1);
		else if (n == -ETIMEDOUT)
			atomic_fetch_add(&sh->timedout, 1);
		else if (n != -EPIPE || atomic_load(&sh->phase) < 2)
			/* -EPIPE: the producers stopped first. */
			fz_fail(sh, byteor_strerror(n), 14);
	}
	byteor_events_detach(rx);
	_exit(0);
}

static void fz_producer(const char *dir, unsigned int q, int cpu,
			struct fz_shared *sh)
{
	struct byteor_attach_options o = lt_opts(dir, "ev", q, 2000000);
	struct byteor_events *tx;
	struct byteor_slot s[4];
	unsigned char buf[SLOT] = { 0 };
	__u64 seq = 0, magic = MAGIC;
	int ret, n, i;

	lt_pin(cpu);
	ret = q ? byteor_attach_events_mpsc_tx(&o, &tx) :
		  byteor_attach_events_tx(&o, &tx);
	if (ret)
		fz_fail(sh, "producer attach", 2);
	atomic_fetch_add(&sh->attached, 1);
	while (atomic_load(&sh->phase) < 2) {
		if (atomic_load(&sh->phase) == 1)
			memcpy(buf, &magic, sizeof(magic));
		else
			memcpy(buf, &seq, sizeof(seq));
		if (seq++ & 1) {
			ret = byteor_events_send(tx, buf, 8 + seq % (SLOT - 7));
		} else {
			ret = n = byteor_events_claim(tx, s, 4);
			if (n > 0) {
				for (i = 0; i < n; i++) {
					memcpy(s[i].data, buf, 8);
					s[i].len = 8;
				}
				ret = byteor_events_publish(tx, s, n) == n ? 0 : -EIO;
			}
		}
		if (!ret)
			atomic_fetch_add(&sh->sent, 1);
		else if (ret == -EBADMSG || ret == -ETIMEDOUT)
			atomic_fetch_add(&sh->send_err, 1);
		else if (ret != -EPIPE || atomic_load(&sh->phase) < 2)
			/* -EPIPE: the consumer stopped first. */
			fz_fail(sh, byteor_strerror(ret), 15);
	}
	byteor_events_detach(tx);
	_exit(0);
}

/* One random write into queue @q's shared state. */
static void fz_scribble(unsigned char *base, const struct byteor_region_info *info,
			unsigned int q, unsigned int *seed)
{
	unsigned char *ctl = base + info->layout.area_off[BYTEOR_AREA_CONTROL] +
			     q * info->layout.control_stride;
	unsigned char *slots = base + info->layout.area_off[BYTEOR_AREA_SLOTS] +
			       (__u64)q * CAP * info->layout.slot_stride;
	unsigned int r = rand_r(seed), what = r % 10;
	unsigned char *hdr;
	__u64 v, *pos;

	switch (what) {
	case 0: case 1: case 2: case 3:
		pos = (__u64 *)(ctl + (r & 16 ? 0 : 128));
		v = __atomic_load_n(pos, __ATOMIC_RELAXED);
		if (what < 3)
			v += (__s64)(rand_r(seed) % (4 * CAP)) - 2 * CAP;
		else
			v = ((__u64)rand_r(seed) << 33) ^ (__u64)rand_r(seed);
		__atomic_store_n(pos, v, __ATOMIC_RELAXED);
		break;
	case 4: case 5:
		/*
		 * Any byte of the control block: eventcounts, generations,
		 * claim records.
		 */
		ctl[rand_r(seed) % info->layout.control_stride] =
			(unsigned char)rand_r(seed);
		break;
	case 6: case 7: case 8:
		/* A slot header: length (and, MPSC, sequence) garbage. */
		hdr = slots + (rand_r(seed) % CAP) * info->layout.slot_stride;
		if (rand_r(seed) % 2)
			__atomic_store_n((__u32 *)hdr, rand_r(seed) % 3 ? SLOT + 1 :
					 (__u32)rand_r(seed), __ATOMIC_RELAXED);
		else
			hdr[rand_r(seed) % 8] = (unsigned char)rand_r(seed);
		break;
	default:
		slots[rand_r(seed) % (CAP * info->layout.slot_stride)] =
			(unsigned char)rand_r(seed);
		break;
	}
}

TEST_F_TIMEOUT(efuzz, queue_peers_survive_scribbled_shared_state, 60)
{
	struct byteor_region_info info;
	unsigned long long storm_ns = lt_scaled(3000000000ULL, 1000000000ULL);
	unsigned long long magic0;
	unsigned int seed = 4242, i;
	pid_t c, p[2];
	char path[512];
	long long t0;
	void *base;
	int fd;

	ASSERT_EQ(0, byteor_region_info("ev", BYTEOR_BACKING_USER, self->d.path,
					&info));
	ht_region_path(path, sizeof(path), self->d.path, "ev");
	fd = open(path, O_RDWR);
	ASSERT_LE(0, fd);
	base = mmap(NULL, info.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	ASSERT_NE(MAP_FAILED, base);

	c = lt_fork();
	ASSERT_LE(0, c);
	if (!c)
		fz_consumer(self->d.path, variant->queue, self->sh);
	for (i = 0; i < variant->producers; i++) {
		p[i] = lt_fork();
		ASSERT_LE(0, p[i]);
		if (!p[i])
			fz_producer(self->d.path, variant->queue, 1 + i, self->sh);
	}
	/* All attached first: a dead-peer verdict needs a dead peer. */
	t0 = lt_now_ns();
	while (atomic_load(&self->sh->attached) < (int)variant->producers + 1 &&
	       lt_now_ns() - t0 < 10000000000LL)
		usleep(1000);
	ASSERT_EQ(variant->producers + 1, atomic_load(&self->sh->attached));
	t0 = lt_now_ns();
	while ((unsigned long long)(lt_now_ns() - t0) < storm_ns) {
		fz_scribble(base, &info, variant->queue, &seed);
		usleep(20);
	}
	atomic_store(&self->sh->phase, 1);
	magic0 = atomic_load(&self->sh->magic);
	t0 = lt_now_ns();
	while (atomic_load(&self->sh->magic) < magic0 + 1000 &&
	       lt_now_ns() - t0 < 5000000000LL)
		usleep(1000);
	atomic_store(&self->sh->phase, 2);
	EXPECT_EQ(0, lt_status(c)) TH_LOG("consumer: %s", self->sh->why);
	for (i = 0; i < variant->producers; i++)
		EXPECT_EQ(0, lt_status(p[i])) TH_LOG("producer: %s", self->sh->why);
	TH_LOG("consumer: %llu ok, %llu -EBADMSG, %llu -ETIMEDOUT; producers: "
	       "%llu sent, %llu errors; after the storm: %llu",
	       atomic_load(&self->sh->ok), atomic_load(&self->sh->badmsg),
	       atomic_load(&self->sh->timedout), atomic_load(&self->sh->sent),
	       atomic_load(&self->sh->send_err),
	       atomic_load(&self->sh->magic) - magic0);
	EXPECT_LT(0, atomic_load(&self->sh->badmsg));
	EXPECT_LE(magic0 + 1000, atomic_load(&self->sh->magic));
	munmap(base, info.size);
}

TEST_HARNESS_MAIN
