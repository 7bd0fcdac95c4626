// SPDX-License-Identifier: GPL-2.0-only
/*
 * fanout_fuzz - a hostile peer scribbles random bytes over the fanout
 * lane's shared state (positions, membership words, routed indices, slot
 * headers) while a producer, a router and two consumers run, each in its
 * own process, with timeouts.  Every role must survive - errors allowed,
 * no crash, no hang - and exit normally at the end.  Run under ASan too
 * (SAN=asan), where any out-of-bounds access in the library aborts.
 */
#include "kselftest_harness.h"
#include "host_test.h"
#include "single_ring_test.h"
#include <sys/mman.h>
#include <byteor/fanout.h>

#define NAME	"fan"
#define SLOT	64
#define CAP	256
#define NQ	2
#define RUN_NS	2000000000LL

FIXTURE(ffuzz) {
	struct ht_dir d;
};

FIXTURE_SETUP(ffuzz)
{
	struct byteor_geometry g = ht_geom(SLOT, CAP, NQ, 1);

	HT_DIR_SETUP(&self->d, false);
	ASSERT_EQ(0, ht_create(self->d.path, NAME, BYTEOR_KIND_FANOUT, &g));
}

FIXTURE_TEARDOWN(ffuzz)
{
	ht_dir_teardown(&self->d);
}

static bool ff_tolerable(int ret)
{
	return ret >= 0 || ret == -EAGAIN || ret == -ETIMEDOUT ||
	       ret == -EBADMSG || ret == -EPIPE;
}

/* One role until the deadline; exits 0, or non-zero on an unexpected error. */
static void ff_role(const char *dir, int role, unsigned int q, long long end)
{
	struct byteor_attach_options o = lt_opts(dir, NAME, q, 5000000);
	struct byteor_fanout_router_options ro = { .mode = BYTEOR_FANOUT_BY_KEY };
	struct byteor_fanout_msg m[16];
	struct byteor_fanout *f;
	unsigned char buf[SLOT] = { 0 };
	volatile unsigned int sum = 0;
	__u64 seq = 0;
	int ret, i;
	__u32 b;

	if (role == BYTEOR_ROLE_PRODUCER)
		ret = byteor_attach_fanout_tx(&o, &f);
	else if (role == BYTEOR_ROLE_ROUTER)
		ret = byteor_attach_fanout_router(&o, &ro, &f);
	else
		ret = byteor_attach_fanout_rx(&o, &f);
	if (ret)
		LT_DIE(2, "attach role %d: %s", role, byteor_strerror(ret));
	while (lt_now_ns() < end) {
		if (role == BYTEOR_ROLE_PRODUCER) {
			ret = byteor_fanout_send(f, buf, seq % SLOT, seq);
			seq++;
		} else if (role == BYTEOR_ROLE_ROUTER) {
			ret = byteor_fanout_route(f, 64);
		} else {
			ret = byteor_fanout_peek(f, m, 16);
			for (i = 0; i < ret; i++)	/* touch every byte */
				for (b = 0; b < m[i].len; b++)
					sum += ((const unsigned char *)m[i].data)[b];
			if (ret > 0)
				byteor_fanout_release(f, ret);
		}
		if (!ff_tolerable(ret))
			LT_DIE(3, "role %d: %s", role, byteor_strerror(ret));
	}
	byteor_fanout_detach(f);
	_exit(0);
}

TEST_F_TIMEOUT(ffuzz, every_role_survives_random_scribbles, 60)
{
	struct byteor_region_info info;
	long long end = lt_now_ns() + RUN_NS;
	__u64 ctl, aux, slots, off, v, n = 0;
	unsigned char *p;
	pid_t pid[2 + NQ];
	unsigned int i;
	int fd;
	char path[HT_PATH * 2];

	ASSERT_EQ(0, byteor_region_info(NAME, BYTEOR_BACKING_USER, self->d.path, &info));
	ctl = info.layout.area_off[BYTEOR_AREA_CONTROL];
	slots = info.layout.area_off[BYTEOR_AREA_SLOTS];
	aux = info.layout.area_off[BYTEOR_AREA_AUX];
	for (i = 0; i < 2 + NQ; i++) {
		pid[i] = lt_fork();
		ASSERT_LE(0, pid[i]);
		if (!pid[i])
			ff_role(self->d.path,
				i == 0 ? BYTEOR_ROLE_PRODUCER :
				i == 1 ? BYTEOR_ROLE_ROUTER : BYTEOR_ROLE_CONSUMER,
				i < 2 ? 0 : i - 2, end);
	}
	ht_region_path(path, sizeof(path), self->d.path, NAME);
	fd = open(path, O_RDWR);
	ASSERT_LE(0, fd);
	p = mmap(NULL, info.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	ASSERT_NE(MAP_FAILED, p);
	srand(4242);
	while (lt_now_ns() < end - 200000000LL) {
		/* Mostly the words that matter, sometimes anywhere. */
		switch (rand() % 4) {
		case 0:	/* a control word: positions, members, join words */
			off = ctl + (rand() % (2 + NQ)) * 1024 +
			      (rand() % 8) * 128 + (rand() % 4) * 8;
			break;
		case 1:	/* a routed index */
			off = aux + (rand() % (NQ * CAP)) * 8;
			break;
		case 2:	/* a slot header */
			off = slots + (rand() % CAP) * (8 + SLOT);
			break;
		default:
			off = ctl + rand() % (aux + NQ * CAP * 8 - ctl - 8);
			break;
		}
		v = ((__u64)rand() << 33) ^ ((__u64)rand() << 7) ^ rand();
		if (rand() % 2)
			v %= 4 * CAP;	/* plausible small values too */
		memcpy(p + off, &v, 8);
		n++;
		usleep(rand() % 200);
	}
	munmap(p, info.size);
	for (i = 0; i < 2 + NQ; i++)
		EXPECT_EQ(0, lt_status(pid[i])) TH_LOG("role process %u", i);
	TH_LOG("%llu scribbles", (unsigned long long)n);
}

TEST_HARNESS_MAIN
