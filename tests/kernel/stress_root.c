// SPDX-License-Identifier: GPL-2.0-only
/*
 * stress_root - several processes race create, destroy, attach, mmap,
 * close and death over a small set of names for a bounded time.  Every
 * call must return success or an errno the race explains; afterwards no
 * region, hugepage or byte of the module's budget may be left over.
 *
 * BYTEOR_STRESS_SECONDS sets the duration (default 5), BYTEOR_STRESS_SEED
 * the random seed (default: time and pid, logged).  The kernel log is
 * judged by the runner: a WARN, lockdep splat or Oops fails the run.
 */
#include "byteor_test.h"

#include <poll.h>

#define WORKERS		4
#define NAMES		4
#define HELD_MAX	3	/* sessions a worker keeps open at once */

struct session {
	int fd;
	unsigned char *map;
	size_t len;
	bool writable;
};

struct stress {
	char names[NAMES][BYTEOR_NAME_MAX];
	uint64_t deadline_ms;
	unsigned int seed;
};

static unsigned int rnd(unsigned int *s)
{
	/* xorshift32: cheap, and reproducible from the logged seed */
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

#define WORKER_FAIL(op, ret) do { \
	fprintf(stderr, "#   worker %d: %s returned %d (%s)\n", (int)getpid(), \
		(op), (ret), strerror((ret) < 0 ? -(ret) : (ret))); \
	return 1; \
} while (0)

static void session_end(struct session *s)
{
	if (s->map)
		munmap(s->map, s->len);
	if (s->fd >= 0)
		close(s->fd);
	s->map = NULL;
	s->fd = -1;
}

/* Attach and map: 0 (session open), 1 (refused as the race allows), -1. */
static int session_begin(struct session *s, const char *name, unsigned int *seed)
{
	static const __u32 roles[] = {
		BYTEOR_ROLE_PRODUCER, BYTEOR_ROLE_CONSUMER, BYTEOR_ROLE_OBSERVER,
	};
	__u32 role = roles[rnd(seed) % 3];
	struct byteor_attach a;
	int ret;

	s->fd = bt_open();
	if (s->fd < 0) {
		fprintf(stderr, "#   open: %s\n", strerror(-s->fd));
		return -1;
	}
	ret = bt_attach(s->fd, name, role, &a);
	if (ret == -ENOENT || ret == -EBUSY) {
		session_end(s);
		return 1;
	}
	if (ret) {
		fprintf(stderr, "#   attach %s role %u: %s\n", name, role,
			strerror(-ret));
		return -1;
	}
	if (a.info.size % BT_2M || a.info.kind != BYTEOR_KIND_SINGLE_RING) {
		fprintf(stderr, "#   attach %s: size %llu kind %u\n", name,
			(unsigned long long)a.info.size, a.info.kind);
		return -1;
	}
	s->writable = role != BYTEOR_ROLE_OBSERVER;
	s->len = a.info.size;
	/* an attached file maps, even if the name was destroyed meanwhile */
	s->map = mmap(NULL, s->len, s->writable ? PROT_READ | PROT_WRITE : PROT_READ,
		      MAP_SHARED | (rnd(seed) & 1 ? MAP_POPULATE : 0), s->fd, 0);
	if (s->map == MAP_FAILED) {
		fprintf(stderr, "#   mmap %s: %s\n", name, strerror(errno));
		s->map = NULL;
		return -1;
	}
	if (((struct byteor_region_header *)s->map)->magic != BYTEOR_MAGIC) {
		fprintf(stderr, "#   %s: no magic in the header\n", name);
		return -1;
	}
	if (s->writable)
		s->map[BYTEOR_HEADER_SIZE + (rnd(seed) % (s->len - BYTEOR_HEADER_SIZE))]++;
	return 0;
}

/* Attach, map, then die by SIGKILL at a random moment. */
static int victim(void *p)
{
	struct stress *st = p;
	unsigned int seed = st->seed ^ (unsigned int)getpid();
	struct session s = { -1, NULL, 0, false };

	session_begin(&s, st->names[rnd(&seed) % NAMES], &seed);
	for (;;)
		pause();
	return 0;
}

static int worker(void *p)
{
	struct stress *st = p;
	struct session held[HELD_MAX];
	unsigned int seed = st->seed * 2654435761U + (unsigned int)getpid();
	unsigned long n_calls = 0, n_creates = 0, n_sessions = 0, n_victims = 0;
	struct byteor_region_info *e;
	int i, n, ret, fd = bt_open();

	for (i = 0; i < HELD_MAX; i++)
		held[i] = (struct session){ -1, NULL, 0, false };
	if (fd < 0)
		WORKER_FAIL("open", fd);

	while (bt_now_ms() < st->deadline_ms) {
		const char *name = st->names[rnd(&seed) % NAMES];
		struct session *s = &held[rnd(&seed) % HELD_MAX];

		n_calls++;
		switch (rnd(&seed) % 8) {
		case 0:
		case 1:
			ret = bt_create(fd, name, (rnd(&seed) % 3) * BT_2M, NULL);
			n_creates += !ret;
			/* ENOSPC: mapped but destroyed regions may fill the pool */
			if (ret && ret != -EEXIST && ret != -ENOSPC)
				WORKER_FAIL("create", ret);
			break;
		case 2:
			ret = bt_destroy(fd, name);
			if (ret && ret != -ENOENT)
				WORKER_FAIL("destroy", ret);
			break;
		case 3:
		case 4:
			session_end(s);
			ret = session_begin(s, name, &seed);
			if (ret < 0)
				return 2;
			n_sessions += !ret;
			break;
		case 5:
			/* touch a held mapping: it stays valid through destroy */
			if (s->map && s->writable)
				s->map[s->len - 1 - rnd(&seed) % 4096]++;
			else if (s->map)
				ret = ((volatile unsigned char *)s->map)[rnd(&seed) % s->len];
			if (s->fd >= 0 && rnd(&seed) % 2) {
				/* close the file, keep the mapping */
				close(s->fd);
				s->fd = -1;
			} else {
				session_end(s);
			}
			break;
		case 6:
			ret = bt_info(fd, name, NULL);
			if (ret && ret != -ENOENT)
				WORKER_FAIL("info", ret);
			n = bt_list_all(fd, &e);
			if (n < 0)
				WORKER_FAIL("list", n);
			for (i = 0; i + 1 < n; i++)
				if (strncmp(e[i].name, e[i + 1].name, BYTEOR_NAME_MAX) >= 0)
					WORKER_FAIL("list: name order broken at entry", i);
			free(e);
			break;
		case 7:
			if (rnd(&seed) % 4 == 0) {
				pid_t v = bt_spawn(victim, st);

				if (v < 0)
					WORKER_FAIL("fork", -errno);
				usleep(rnd(&seed) % 3000);
				kill(v, SIGKILL);
				if (bt_wait(v) != 128 + SIGKILL)
					WORKER_FAIL("victim status", 0);
				n_victims++;
			}
			break;
		}
	}
	for (i = 0; i < HELD_MAX; i++)
		session_end(&held[i]);
	close(fd);
	fprintf(stderr, "#   worker %d: %lu calls, %lu creates, %lu sessions, %lu victims\n",
		(int)getpid(), n_calls, n_creates, n_sessions, n_victims);
	return 0;
}

FIXTURE(stress) {
	struct bt_res r;
	struct stress st;
	long free0;
	unsigned long long regions0, bytes0, inuse0;
	int fd;
};

FIXTURE_SETUP(stress)
{
	const char *s;
	int i;

	if (!bt_have_dev())
		BT_SETUP_SKIP("no %s: byteor.ko is not loaded", BT_DEV);
	if (bt_as_user())
		BT_SETUP_SKIP("root only: races every ioctl, destroys included");
	self->free0 = bt_hugepages_free();
	BT_SETUP_NEED_HUGEPAGES(NAMES * 2 + 4, self->free0);
	self->fd = bt_res_fd(&self->r, bt_open());
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, bt_stat("regions", &self->regions0));
	ASSERT_EQ(0, bt_stat("bytes", &self->bytes0));
	ASSERT_EQ(0, bt_stat("hugepages_in_use", &self->inuse0));
	for (i = 0; i < NAMES; i++) {
		char tag[8];

		snprintf(tag, sizeof(tag), "s%d", i);
		memcpy(self->st.names[i], bt_res_name(&self->r, tag), BYTEOR_NAME_MAX);
	}
	s = getenv("BYTEOR_STRESS_SEED");
	self->st.seed = s ? (unsigned int)strtoul(s, NULL, 0) :
			    (unsigned int)time(NULL) ^ ((unsigned int)getpid() << 16);
	if (!self->st.seed)
		self->st.seed = 1;
}

FIXTURE_TEARDOWN(stress)
{
	bt_res_release(&self->r);
}

TEST_F_TIMEOUT(stress, concurrent_lifecycle_calls_return_expected_errnos_and_leak_nothing,
	       120)
{
	const char *s = getenv("BYTEOR_STRESS_SECONDS");
	int secs = s ? atoi(s) : 5;
	char prefix[BYTEOR_NAME_MAX];
	unsigned long long v;
	pid_t pids[WORKERS];
	int i, ret;

	TH_LOG("seed %u (BYTEOR_STRESS_SEED), %d s", self->st.seed, secs);
	self->st.deadline_ms = bt_now_ms() + (uint64_t)secs * 1000;
	for (i = 0; i < WORKERS; i++) {
		pids[i] = bt_res_pid(&self->r, bt_spawn(worker, &self->st));
		ASSERT_LT(0, pids[i]);
	}
	for (i = 0; i < WORKERS; i++) {
		ret = bt_res_wait(&self->r, pids[i]);
		EXPECT_EQ(0, ret) TH_LOG("worker %d exited %d", i, ret);
	}

	/* whatever the race left live is ours to destroy; then nothing */
	for (i = 0; i < NAMES; i++) {
		ret = bt_destroy(self->fd, self->st.names[i]);
		EXPECT_TRUE(ret == 0 || ret == -ENOENT) TH_LOG("destroy: %d", ret);
	}
	snprintf(prefix, sizeof(prefix), "bt.%d.", (int)getpid());
	EXPECT_EQ(0, bt_listed_prefix(self->fd, prefix));
	EXPECT_EQ(self->free0, bt_wait_hugepages_free(self->free0, 5000));
	ASSERT_EQ(0, bt_stat("regions", &v));
	EXPECT_EQ(self->regions0, v);
	ASSERT_EQ(0, bt_stat("bytes", &v));
	EXPECT_EQ(self->bytes0, v);
	ASSERT_EQ(0, bt_stat("hugepages_in_use", &v));
	EXPECT_EQ(self->inuse0, v) TH_LOG("pages still held by backing files");
}

TEST_HARNESS_MAIN
