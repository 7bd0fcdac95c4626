// SPDX-License-Identifier: GPL-2.0-only
/*
 * stress_root - the racing syscall storm: several processes hammer a small
 * set of names with interleaved CREATE, DESTROY, ATTACH, INFO, LIST, mmap
 * and close, and everything userspace can do to a mapping or a file
 * afterwards - mprotect, mremap, remap_file_pages, madvise (DONTNEED,
 * REMOVE, DONTFORK, DOFORK), fork (the child touches what it inherited),
 * dup, poll and epoll registration before and after ATTACH - while victims
 * are SIGKILLed mid-session and rmmod is tried (refused: files are open).
 * Every call must return success or an errno the race explains; no
 * process may die of a signal it did not ask for (a touch is made only
 * where the mapping allows it); afterwards no region, hugepage or byte of
 * the module's budget may be left over.
 *
 * BYTEOR_STRESS_SECONDS sets the duration (default 5), BYTEOR_STRESS_SEED
 * the random seed (default: time and pid, logged: a failure says how to
 * replay it).  The kernel log is judged by the runner: a WARN, lockdep
 * splat, KASAN report or Oops fails the run.
 */
#include "byteor_test.h"

#include <poll.h>
#include <sys/epoll.h>
#include <sys/syscall.h>

#define WORKERS		4
#define NAMES		4
#define HELD_MAX	3	/* sessions a worker keeps open at once */

struct session {
	int fd;
	unsigned char *map;
	size_t len;		/* the mapping's length now */
	size_t region;		/* the region's size: touches stay below */
	bool writable;		/* attached with a writing role */
	int prot;		/* the mapping's protection now */
	bool dontfork;		/* MADV_DONTFORK: a child has no mapping */
};

struct stress {
	char names[NAMES][BYTEOR_NAME_MAX];
	uint64_t deadline_ms;
	unsigned int seed;
	unsigned long *ops;	/* calls made by the workers (a shared page) */
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
	s->dontfork = false;
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
	s->prot = s->writable ? PROT_READ | PROT_WRITE : PROT_READ;
	s->len = a.info.size;
	s->region = a.info.size;
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
	struct session s = { .fd = -1 };

	session_begin(&s, st->names[rnd(&seed) % NAMES], &seed);
	for (;;)
		pause();
	return 0;
}

/* Read or write a byte of a held mapping, where its protection allows. */
static void touch(struct session *s, unsigned int *seed)
{
	size_t lim, off;

	if (!s->map || !(s->prot & PROT_READ))
		return;
	lim = s->len < s->region ? s->len : s->region;
	off = BYTEOR_HEADER_SIZE + rnd(seed) % (lim - BYTEOR_HEADER_SIZE);
	if (s->prot & PROT_WRITE)
		s->map[off]++;
	else
		(void)((volatile unsigned char *)s->map)[off];
}

static bool errno_is(int err, const int *ok, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (err == ok[i])
			return true;
	return false;
}

#define OP_FAIL(op, err) do { \
	fprintf(stderr, "#   worker %d: %s failed: %s\n", (int)getpid(), \
		(op), strerror(err)); \
	return 1; \
} while (0)

/*
 * What userspace can do to a mapping after byteor_mmap: each either works
 * or is refused with an errno that says so - never a mapping the module
 * did not allow (the touch that follows checks it stays usable).
 */
static int mapping_op(struct session *s, unsigned int *seed)
{
	static const int ok_prot[] = { EACCES, EPERM };
	static const int ok_remap[] = { EINVAL, EFAULT, ENOMEM, EPERM };
	static const int ok_rfp[] = { EINVAL, EPERM, EACCES, ENOMEM };
	static const int ok_madv[] = { EINVAL, EPERM, EACCES, EOPNOTSUPP, EBADF };
	static const int advice[] = { MADV_DONTNEED, MADV_REMOVE,
				      MADV_DONTFORK, MADV_DOFORK };
	size_t len, step = BT_2M;
	int prot, adv;
	void *p;

	switch (rnd(seed) % 4) {
	case 0:	/* mprotect: an observer may never get write */
		prot = (int[]){ PROT_NONE, PROT_READ, PROT_READ | PROT_WRITE }[rnd(seed) % 3];
		if (!mprotect(s->map, s->len, prot)) {
			if ((prot & PROT_WRITE) && !s->writable)
				OP_FAIL("mprotect(PROT_WRITE) of an observer worked", EPERM);
			s->prot = prot;
		} else if (!errno_is(errno, ok_prot, 2)) {
			OP_FAIL("mprotect", errno);
		}
		break;
	case 1:	/* mremap: shrink, grow, or move */
		len = rnd(seed) % 2 ? s->len - (s->len > step ? step : 0) :
				      s->len + step;
		p = mremap(s->map, s->len, len, MREMAP_MAYMOVE);
		if (p != MAP_FAILED) {
			s->map = p;
			s->len = len;
		} else if (!errno_is(errno, ok_remap, 4)) {
			OP_FAIL("mremap", errno);
		}
		break;
	case 2:	/* remap_file_pages, at any offset */
		if (!syscall(SYS_remap_file_pages, s->map, 4096, 0,
			     (size_t)rnd(seed) % 4096, 0))
			s->prot = s->prot;	/* allowed: still the region */
		else if (!errno_is(errno, ok_rfp, 4))
			OP_FAIL("remap_file_pages", errno);
		break;
	case 3:
		adv = advice[rnd(seed) % 4];
		if (!madvise(s->map, s->len < s->region ? s->len : s->region, adv)) {
			if (adv == MADV_DONTFORK)
				s->dontfork = true;
			else if (adv == MADV_DOFORK)
				s->dontfork = false;
		} else if (!errno_is(errno, ok_madv, 5)) {
			OP_FAIL("madvise", errno);
		}
		break;
	}
	return 0;
}

/* fork: the child touches what it inherited (not DONTFORK maps) and exits. */
static int fork_touch(struct session *held, unsigned int *seed)
{
	pid_t pid;
	int i, st;

	pid = fork();
	if (pid < 0)
		OP_FAIL("fork", errno);
	if (!pid) {
		for (i = 0; i < HELD_MAX; i++)
			if (!held[i].dontfork)
				touch(&held[i], seed);
		_exit(0);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		OP_FAIL("a forked child touching its mappings died", ECHILD);
	return 0;
}

/* dup, poll and epoll of a file, before and after ATTACH. */
static int file_op(struct session *s, const char *name, unsigned int *seed)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLPRI };
	struct pollfd pfd;
	int fd, d, ep, ret;

	fd = s->fd >= 0 && rnd(seed) % 2 ? s->fd : bt_open();
	if (fd < 0)
		OP_FAIL("open", -fd);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		OP_FAIL("epoll_create1", errno);
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev))
		OP_FAIL("epoll_ctl", errno);
	if (fd != s->fd) {
		ret = bt_attach(fd, name, BYTEOR_ROLE_OBSERVER, NULL);
		if (ret && ret != -ENOENT)
			OP_FAIL("attach after epoll", -ret);
	}
	d = dup(fd);
	if (d < 0)
		OP_FAIL("dup", errno);
	pfd = (struct pollfd){ .fd = d, .events = POLLIN | POLLPRI };
	if (poll(&pfd, 1, 0) < 0)
		OP_FAIL("poll", errno);
	if (epoll_wait(ep, &ev, 1, 0) < 0)
		OP_FAIL("epoll_wait", errno);
	close(d);
	close(ep);
	if (fd != s->fd)
		close(fd);
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
		held[i] = (struct session){ .fd = -1 };
	if (fd < 0)
		WORKER_FAIL("open", fd);

	while (bt_now_ms() < st->deadline_ms) {
		const char *name = st->names[rnd(&seed) % NAMES];
		struct session *s = &held[rnd(&seed) % HELD_MAX];

		n_calls++;
		switch (rnd(&seed) % 16) {
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
			touch(s, &seed);
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
		case 8:
		case 9:
			if (s->map && mapping_op(s, &seed))
				return 3;
			break;
		case 10:
			if (s->map && fork_touch(held, &seed))
				return 4;
			break;
		case 11:
			if (file_op(s, name, &seed))
				return 5;
			break;
		case 12:
			/* rmmod: refused while any /dev/byteor file is open */
			ret = (int)syscall(SYS_delete_module, "byteor", O_NONBLOCK);
			if (ret != -1 || (errno != EBUSY && errno != EWOULDBLOCK))
				WORKER_FAIL("delete_module", ret ? -errno : 0);
			break;
		case 13:
		case 14:
		case 15:
			touch(s, &seed);
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
	__atomic_fetch_add(st->ops, n_calls, __ATOMIC_RELAXED);
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
	self->st.ops = bt_res_map(&self->r, mmap(NULL, 4096, PROT_READ | PROT_WRITE,
						 MAP_SHARED | MAP_ANONYMOUS, -1, 0), 4096);
	ASSERT_NE(MAP_FAILED, self->st.ops);
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

	TH_LOG("%lu calls in %d s by %d workers (seed %u)", *self->st.ops, secs,
	       WORKERS, self->st.seed);

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
