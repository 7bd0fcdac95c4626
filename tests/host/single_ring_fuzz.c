// SPDX-License-Identifier: GPL-2.0-only
/*
 * single_ring_fuzz - a hostile peer scribbles random values into a single
 * ring's shared state (the positions, the rest of the control block, slot
 * headers and payloads) while a consumer process and a producer process
 * run.  Both must survive - errors such as -EBADMSG are fine, a crash, an
 * over-long message or a hang is not - and once the scribbling stops the
 * lane must carry messages again.  Run under AddressSanitizer too (the
 * SAN=asan host test run), where an overrun of a private buffer aborts.
 */
#include "kselftest_harness.h"
#include "host_test.h"
#include "single_ring_test.h"

#include <stdatomic.h>
#include <sys/mman.h>

#define SLOT		64
#define CAP		64
#define MAGIC		0x6d61676963ULL	/* "magic": sent after the storm */

struct fz_shared {
	_Atomic int phase;	/* 0 storm, 1 calm (recovery), 2 stop */
	_Atomic int attached;	/* peers attached: the storm starts after */
	_Atomic unsigned long long ok, badmsg, timedout, magic, sent, send_err;
	char why[200];
};

FIXTURE(fuzz) {
	struct ht_dir d;
	struct fz_shared *sh;
};

FIXTURE_SETUP(fuzz)
{
	HT_DIR_SETUP(&self->d, false);
	ASSERT_EQ(0, lt_create_ring(self->d.path, "ring", SLOT, CAP));
	self->sh = mmap(NULL, sizeof(*self->sh), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->sh);
}

FIXTURE_TEARDOWN(fuzz)
{
	munmap(self->sh, sizeof(*self->sh));
	ht_dir_teardown(&self->d);
}

static void fz_fail(struct fz_shared *sh, const char *why, int code)
{
	snprintf(sh->why, sizeof(sh->why), "%s", why);
	_exit(code);
}

/* Every event the API hands out must be within the slot; touch it all. */
static unsigned int fz_touch(const void *p, __u32 len, struct fz_shared *sh)
{
	const volatile unsigned char *b = p;
	unsigned int sum = 0;
	__u32 i;

	if (len > SLOT)
		fz_fail(sh, "length above the slot size handed out", 10);
	for (i = 0; i < len; i++)
		sum += b[i];
	return sum;
}

static void fz_consumer(const char *dir, struct fz_shared *sh)
{
	struct byteor_attach_options o = lt_opts(dir, "ring", 0, 2000000);
	struct byteor_single_ring *rx;
	struct byteor_slot s[16];
	unsigned char buf[SLOT + 16];
	unsigned long long iter = 0;
	__u64 tag;
	int n, i;

	lt_pin(1);
	if (byteor_attach_single_ring(&o, BYTEOR_ROLE_CONSUMER, &rx))
		fz_fail(sh, "consumer attach", 2);
	atomic_fetch_add(&sh->attached, 1);
	while (atomic_load(&sh->phase) < 2) {
		/* Alternate: copying receive with a canary, batch peek. */
		if (iter++ & 1) {
			memset(buf + SLOT, 0xa5, 16);
			n = byteor_single_ring_recv(rx, buf, SLOT);
			for (i = SLOT; i < SLOT + 16; i++)
				if (buf[i] != 0xa5)
					fz_fail(sh, "recv wrote past the buffer", 11);
			if (n >= 0) {
				fz_touch(buf, (__u32)n, sh);
				memcpy(&tag, buf, sizeof(tag));
				if (n >= 8 && tag == MAGIC)
					atomic_fetch_add(&sh->magic, 1);
				atomic_fetch_add(&sh->ok, 1);
				continue;
			}
		} else {
			n = byteor_single_ring_peek(rx, s, 16);
			if (n > 16)
				fz_fail(sh, "peek returned more than asked", 12);
			if (n >= 0) {
				for (i = 0; i < n; i++) {
					fz_touch(s[i].data, s[i].len, sh);
					memcpy(&tag, s[i].data, sizeof(tag));
					if (s[i].len >= 8 && tag == MAGIC)
						atomic_fetch_add(&sh->magic, 1);
				}
				if (byteor_single_ring_release(rx, n) != n)
					fz_fail(sh, "release of a peeked batch failed", 13);
				atomic_fetch_add(&sh->ok, n);
				continue;
			}
			/* A corrupt first slot: drop it, as recv would. */
			if (n == -EBADMSG)
				byteor_single_ring_release(rx, 1);
		}
		if (n == -EBADMSG)
			atomic_fetch_add(&sh->badmsg, 1);
		else if (n == -ETIMEDOUT)
			atomic_fetch_add(&sh->timedout, 1);
		else if (n != -EPIPE || atomic_load(&sh->phase) < 2)
			/* -EPIPE: the producers stopped first. */
			fz_fail(sh, byteor_strerror(n), 14);
	}
	byteor_single_ring_detach(rx);
	_exit(0);
}

static void fz_producer(const char *dir, struct fz_shared *sh)
{
	struct byteor_attach_options o = lt_opts(dir, "ring", 0, 2000000);
	struct byteor_single_ring *tx;
	unsigned char buf[SLOT] = { 0 };
	__u64 seq = 0, magic = MAGIC;
	int ret;

	lt_pin(0);
	if (byteor_attach_single_ring(&o, BYTEOR_ROLE_PRODUCER, &tx))
		fz_fail(sh, "producer attach", 2);
	atomic_fetch_add(&sh->attached, 1);
	while (atomic_load(&sh->phase) < 2) {
		if (atomic_load(&sh->phase) == 1)
			memcpy(buf, &magic, sizeof(magic));
		else
			memcpy(buf, &seq, sizeof(seq));
		ret = byteor_single_ring_send(tx, buf, 8 + seq % (SLOT - 7));
		seq++;
		if (!ret)
			atomic_fetch_add(&sh->sent, 1);
		else if (ret == -EBADMSG || ret == -ETIMEDOUT)
			atomic_fetch_add(&sh->send_err, 1);
		else if (ret != -EPIPE || atomic_load(&sh->phase) < 2)
			/* -EPIPE: the consumer stopped first. */
			fz_fail(sh, byteor_strerror(ret), 15);
	}
	byteor_single_ring_detach(tx);
	_exit(0);
}

/* The hostile peer: one random write into the shared state. */
static void fz_scribble(unsigned char *base, const struct byteor_region_info *info,
			unsigned int *seed)
{
	unsigned char *ctl = base + info->layout.area_off[BYTEOR_AREA_CONTROL];
	unsigned char *slots = base + info->layout.area_off[BYTEOR_AREA_SLOTS];
	unsigned int r = rand_r(seed), what = r % 10;
	__u64 v, *pos;
	__u32 len;

	switch (what) {
	case 0: case 1: case 2: case 3:
		/* A position: near the real one (plausible), or anything. */
		pos = (__u64 *)(ctl + (r & 16 ? 0 : 128));
		v = __atomic_load_n(pos, __ATOMIC_RELAXED);
		if (what < 3)
			v += (__s64)(rand_r(seed) % (4 * CAP)) - 2 * CAP;
		else
			v = ((__u64)rand_r(seed) << 33) ^ (__u64)rand_r(seed);
		__atomic_store_n(pos, v, __ATOMIC_RELAXED);
		break;
	case 4: case 5:
		/* Any byte of the control block's used part. */
		ctl[rand_r(seed) % 512] = (unsigned char)rand_r(seed);
		break;
	case 6: case 7: case 8:
		/* A slot header: small, just too long, or huge. */
		len = rand_r(seed) % 3 == 0 ? SLOT + 1 :
		      rand_r(seed) % 2 ? (__u32)rand_r(seed) : rand_r(seed) % SLOT;
		__atomic_store_n((__u32 *)(slots + (rand_r(seed) % CAP) *
					   info->layout.slot_stride), len,
				 __ATOMIC_RELAXED);
		break;
	default:
		/* Payload bytes. */
		slots[rand_r(seed) % (CAP * info->layout.slot_stride)] =
			(unsigned char)rand_r(seed);
		break;
	}
}

TEST_F_TIMEOUT(fuzz, ring_peers_survive_scribbled_shared_state, 60)
{
	struct byteor_region_info info;
	unsigned long long storm_ns = lt_scaled(3000000000ULL, 1000000000ULL);
	unsigned long long magic0;
	unsigned int seed = 12345;
	char path[512];
	long long t0;
	pid_t c, p;
	void *base;
	int fd;

	ASSERT_EQ(0, byteor_region_info("ring", BYTEOR_BACKING_USER,
					self->d.path, &info));
	ht_region_path(path, sizeof(path), self->d.path, "ring");
	fd = open(path, O_RDWR);
	ASSERT_LE(0, fd);
	base = mmap(NULL, info.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	ASSERT_NE(MAP_FAILED, base);

	c = lt_fork();
	ASSERT_LE(0, c);
	if (!c)
		fz_consumer(self->d.path, self->sh);
	p = lt_fork();
	ASSERT_LE(0, p);
	if (!p)
		fz_producer(self->d.path, self->sh);

	/* Both attached first: a dead-peer verdict needs a dead peer. */
	t0 = lt_now_ns();
	while (atomic_load(&self->sh->attached) < 2 &&
	       lt_now_ns() - t0 < 10000000000LL)
		usleep(1000);
	ASSERT_EQ(2, atomic_load(&self->sh->attached));
	t0 = lt_now_ns();
	while ((unsigned long long)(lt_now_ns() - t0) < storm_ns) {
		fz_scribble(base, &info, &seed);
		usleep(20);
	}
	/* Calm: the lane must carry messages again. */
	atomic_store(&self->sh->phase, 1);
	magic0 = atomic_load(&self->sh->magic);
	t0 = lt_now_ns();
	while (atomic_load(&self->sh->magic) < magic0 + 1000 &&
	       lt_now_ns() - t0 < 5000000000LL)
		usleep(1000);
	atomic_store(&self->sh->phase, 2);
	EXPECT_EQ(0, lt_status(c)) TH_LOG("consumer: %s", self->sh->why);
	EXPECT_EQ(0, lt_status(p)) TH_LOG("producer: %s", self->sh->why);
	TH_LOG("consumer: %llu ok, %llu -EBADMSG, %llu -ETIMEDOUT; producer: "
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
