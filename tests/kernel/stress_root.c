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
 * BYTEOR_STRESS_SECONDS bounds the duration (default 5), BYTEOR_STRESS_OPS
 * sets a number of operations to reach first (default none; the runner's
 * debug lane asks 10^6 within 300 s, and the test fails if the time bound
 * comes first), BYTEOR_STRESS_SEED the random seed (default: time and pid,
 * logged: a failure says how to replay the sequence of operations).  The
 * test logs operations per second and each kind's count and mean cost.
 * The kernel log is judged by the runner: a WARN, lockdep splat, KASAN
 * report or Oops fails the run.
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
	unsigned long target_ops;	/* stop there too (0: at the deadline only) */
	unsigned int seed;
	struct stress_shared *sh;	/* the workers' counts (a shared page) */
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

/*
 * The storm's operations.  Each is one action on the module: a syscall or
 * a short sequence of them (a session: open, ATTACH, mmap).  They cost
 * very different amounts: under TCG a CREATE zeroes its 2 MiB pages and a
 * fork copies a process, while INFO, LIST, poll or a refused ATTACH are
 * one short ioctl.  The weights give the cheap ones most of the turns and
 * still keep every expensive one coming (see the figures the test logs:
 * count and mean cost of each), so a long run reaches many operations and
 * keeps racing the lifecycle.  A touch (a read or write of a mapping, no
 * syscall) is reported apart and not counted as an operation.
 */
enum op {
	OP_CREATE, OP_DESTROY, OP_SESSION, OP_CLOSE, OP_INFO, OP_LIST,
	OP_INFO_ATTACHED, OP_POLL, OP_REATTACH, OP_MISMATCH, OP_PEEK,
	OP_MAPPING, OP_FORK, OP_FILE, OP_RMMOD, OP_VICTIM, OP_TOUCH, NR_OPS
};

/* What the workers made, summed at their end (and ops as they go). */
struct stress_shared {
	unsigned long ops;		/* operations, touches not counted */
	unsigned long count[NR_OPS];
	unsigned long ns[NR_OPS];	/* time spent in each kind */
};

static const struct {
	const char *name;
	unsigned int weight;
} op_table[NR_OPS] = {
	/* lifecycle: milliseconds each under TCG (zeroing, fork) */
	[OP_CREATE]		= { "create", 4 },
	[OP_DESTROY]		= { "destroy", 3 },
	[OP_VICTIM]		= { "victim", 1 },
	[OP_FORK]		= { "fork", 1 },
	[OP_SESSION]		= { "session", 8 },
	[OP_FILE]		= { "file", 4 },
	[OP_CLOSE]		= { "close", 6 },
	/* a few syscalls or a fault: tens of microseconds (debug: ms) */
	[OP_MAPPING]		= { "mapping", 20 },
	[OP_PEEK]		= { "peek", 15 },
	[OP_TOUCH]		= { "touch", 40 },
	/* one ioctl or poll: about ten microseconds (debug: 100; LIST 2 ms) */
	[OP_INFO]		= { "info", 500 },
	[OP_LIST]		= { "list", 40 },
	[OP_INFO_ATTACHED]	= { "info-attached", 250 },
	[OP_POLL]		= { "poll", 250 },
	[OP_REATTACH]		= { "reattach", 250 },
	[OP_MISMATCH]		= { "mismatch", 350 },
	[OP_RMMOD]		= { "rmmod", 100 },
};

/* A weighted pick from op_table. */
static enum op pick_op(unsigned int *seed)
{
	static unsigned int total;
	unsigned int i, r;

	if (!total)
		for (i = 0; i < NR_OPS; i++)
			total += op_table[i].weight;
	r = rnd(seed) % total;
	for (i = 0; r >= op_table[i].weight; i++)
		r -= op_table[i].weight;
	return (enum op)i;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

/* A held session's file, attached (ATTACH's answer is per file). */
static struct session *held_file(struct session *held, unsigned int *seed)
{
	struct session *s = &held[rnd(seed) % HELD_MAX];

	return s->fd >= 0 ? s : NULL;
}

/*
 * One operation @op on @name by the worker holding @held and the bare file
 * @fd.  Return: 1 done, 0 nothing to do (no session or mapping held), or
 * -step when a result was not one the race explains (logged).
 */
static int run_op(struct stress *st, enum op op, int fd, const char *name,
		  struct session *held, unsigned int *seed)
{
	struct session *s = &held[rnd(seed) % HELD_MAX];
	struct byteor_region_info *e;
	struct byteor_attach a;
	struct pollfd pfd;
	int i, n, ret;

	switch (op) {
	case OP_CREATE:
		ret = bt_create(fd, name, (rnd(seed) % 3) * BT_2M, NULL);
		/* ENOSPC: mapped but destroyed regions may fill the pool */
		if (ret && ret != -EEXIST && ret != -ENOSPC)
			goto fail;
		return 1;
	case OP_DESTROY:
		ret = bt_destroy(fd, name);
		if (ret && ret != -ENOENT)
			goto fail;
		return 1;
	case OP_SESSION:
		session_end(s);
		ret = session_begin(s, name, seed);
		return ret < 0 ? -2 : 1;
	case OP_CLOSE:
		if (s->fd < 0 && !s->map)
			return 0;
		/* touch a held mapping: it stays valid through destroy */
		touch(s, seed);
		if (s->fd >= 0 && rnd(seed) % 2) {
			/* close the file, keep the mapping */
			close(s->fd);
			s->fd = -1;
		} else {
			session_end(s);
		}
		return 1;
	case OP_INFO:
		ret = bt_info(fd, name, NULL);
		if (ret && ret != -ENOENT)
			goto fail;
		return 1;
	case OP_LIST:
		n = bt_list_all(fd, &e);
		if (n < 0) {
			ret = n;
			goto fail;
		}
		for (i = 0; i + 1 < n; i++)
			if (strncmp(e[i].name, e[i + 1].name, BYTEOR_NAME_MAX) >= 0) {
				free(e);
				fprintf(stderr, "#   worker %d: list: name order broken at entry %d\n",
					(int)getpid(), i);
				return -3;
			}
		free(e);
		return 1;
	case OP_INFO_ATTACHED:
		/* an attached file answers even after DESTROY */
		s = held_file(held, seed);
		if (!s)
			return 0;
		ret = bt_info_attached(s->fd, NULL);
		if (ret)
			goto fail;
		return 1;
	case OP_POLL:
		s = held_file(held, seed);
		if (!s)
			return 0;
		pfd = (struct pollfd){ .fd = s->fd, .events = POLLIN | POLLPRI };
		ret = poll(&pfd, 1, 0);
		if (ret < 0 || (pfd.revents & (POLLERR | POLLNVAL))) {
			ret = ret < 0 ? -errno : -EBADFD;
			goto fail;
		}
		return 1;
	case OP_REATTACH:
		/* a file binds once: a second ATTACH is refused */
		s = held_file(held, seed);
		if (!s)
			return 0;
		ret = bt_attach(s->fd, name, BYTEOR_ROLE_OBSERVER, NULL);
		if (ret != -EBUSY && ret != -ENOENT)
			goto fail;
		return 1;
	case OP_MISMATCH:
		/* the wrong kind never binds the bare file */
		bt_attach_req(&a, name, BYTEOR_ROLE_OBSERVER);
		a.kind = BYTEOR_KIND_JOURNAL;
		a.layout_version = BYTEOR_JOURNAL_VERSION;
		ret = bt_ioctl(fd, BYTEOR_IOC_ATTACH, &a);
		if (ret != -EPROTO && ret != -ENOENT)
			goto fail;
		return 1;
	case OP_PEEK:
		/* attach and close at once: the reference races DESTROY */
		n = bt_open();
		if (n < 0) {
			ret = n;
			goto fail;
		}
		ret = bt_attach(n, name, BYTEOR_ROLE_OBSERVER, NULL);
		close(n);
		if (ret && ret != -ENOENT)
			goto fail;
		return 1;
	case OP_MAPPING:
		if (!s->map)
			return 0;
		return mapping_op(s, seed) ? -4 : 1;
	case OP_FORK:
		if (!s->map)
			return 0;
		return fork_touch(held, seed) ? -5 : 1;
	case OP_FILE:
		return file_op(s, name, seed) ? -6 : 1;
	case OP_RMMOD:
		/* rmmod: refused while any /dev/byteor file is open */
		ret = (int)syscall(SYS_delete_module, "byteor", O_NONBLOCK);
		if (ret != -1 || (errno != EBUSY && errno != EWOULDBLOCK)) {
			ret = ret ? -errno : 0;
			goto fail;
		}
		return 1;
	case OP_VICTIM: {
		pid_t v = bt_spawn(victim, st);

		if (v < 0) {
			ret = -errno;
			goto fail;
		}
		usleep(rnd(seed) % 3000);
		kill(v, SIGKILL);
		if (bt_wait(v) != 128 + SIGKILL) {
			fprintf(stderr, "#   worker %d: a victim did not die of SIGKILL\n",
				(int)getpid());
			return -7;
		}
		return 1;
	}
	case OP_TOUCH:
		if (!s->map)
			return 0;
		touch(s, seed);
		return 1;
	default:
		return -8;
	}
fail:
	fprintf(stderr, "#   worker %d: %s %s: %d (%s)\n", (int)getpid(),
		op_table[op].name, name, ret, strerror(ret < 0 ? -ret : ret));
	return -1;
}

/* Operations a worker adds to the shared count at once. */
#define OPS_BATCH	64

static int worker(void *p)
{
	struct stress *st = p;
	struct session held[HELD_MAX];
	unsigned int seed = st->seed * 2654435761U + (unsigned int)getpid();
	unsigned long count[NR_OPS] = { 0 }, ns[NR_OPS] = { 0 };
	unsigned long batch = 0;
	int i, ret = 0, fd = bt_open();

	for (i = 0; i < HELD_MAX; i++)
		held[i] = (struct session){ .fd = -1 };
	if (fd < 0)
		WORKER_FAIL("open", fd);

	for (;;) {
		const char *name = st->names[rnd(&seed) % NAMES];
		enum op op = pick_op(&seed);
		uint64_t t0 = now_ns();

		ret = run_op(st, op, fd, name, held, &seed);
		if (ret < 0)
			break;
		if (!ret)
			continue;
		count[op]++;
		ns[op] += now_ns() - t0;
		if (op != OP_TOUCH && ++batch == OPS_BATCH) {
			unsigned long done;

			done = __atomic_add_fetch(&st->sh->ops, batch, __ATOMIC_RELAXED);
			batch = 0;
			if (st->target_ops && done >= st->target_ops)
				break;
			if (bt_now_ms() >= st->deadline_ms)
				break;
		}
	}
	for (i = 0; i < HELD_MAX; i++)
		session_end(&held[i]);
	close(fd);
	__atomic_add_fetch(&st->sh->ops, batch, __ATOMIC_RELAXED);
	for (i = 0; i < NR_OPS; i++) {
		__atomic_add_fetch(&st->sh->count[i], count[i], __ATOMIC_RELAXED);
		__atomic_add_fetch(&st->sh->ns[i], ns[i], __ATOMIC_RELAXED);
	}
	return ret < 0 ? -ret : 0;
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
	self->st.sh = bt_res_map(&self->r, mmap(NULL, sizeof(*self->st.sh),
						PROT_READ | PROT_WRITE,
						MAP_SHARED | MAP_ANONYMOUS, -1, 0),
				 sizeof(*self->st.sh));
	ASSERT_NE(MAP_FAILED, self->st.sh);
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

/* The figures of a run: operations per second, and each kind's count and cost. */
static void log_figures(struct __test_metadata *_metadata, const struct stress *st,
			uint64_t ms)
{
	const struct stress_shared *sh = st->sh;
	char line[160];
	int i, n;

	TH_LOG("%lu operations in %.1f s by %d workers: %.0f ops/s (seed %u)",
	       sh->ops, ms / 1000.0, WORKERS, ms ? sh->ops * 1000.0 / ms : 0.0,
	       st->seed);
	for (i = 0, n = 0; i < NR_OPS; i++) {
		n += snprintf(line + n, sizeof(line) - n, " %s %lu/%.0fus",
			      op_table[i].name, sh->count[i],
			      sh->count[i] ? sh->ns[i] / 1000.0 / sh->count[i] : 0.0);
		if (n > 100 || i == NR_OPS - 1) {
			TH_LOG("  count/mean:%s", line);
			n = 0;
		}
	}
}

/*
 * The harness' own limit; the run's are BYTEOR_STRESS_SECONDS and
 * BYTEOR_STRESS_OPS, and the runner's deadline per program.
 */
TEST_F_TIMEOUT(stress, concurrent_lifecycle_calls_return_expected_errnos_and_leak_nothing,
	       3600)
{
	const char *s = getenv("BYTEOR_STRESS_SECONDS");
	int secs = s && *s ? atoi(s) : 5;
	char prefix[BYTEOR_NAME_MAX];
	unsigned long long v;
	pid_t pids[WORKERS];
	uint64_t t0;
	int i, ret;

	s = getenv("BYTEOR_STRESS_OPS");
	self->st.target_ops = s && *s ? strtoul(s, NULL, 0) : 0;
	TH_LOG("seed %u (BYTEOR_STRESS_SEED), at most %d s (BYTEOR_STRESS_SECONDS), until %lu operations (BYTEOR_STRESS_OPS; 0: no bound)",
	       self->st.seed, secs, self->st.target_ops);
	t0 = bt_now_ms();
	self->st.deadline_ms = t0 + (uint64_t)secs * 1000;
	for (i = 0; i < WORKERS; i++) {
		pids[i] = bt_res_pid(&self->r, bt_spawn(worker, &self->st));
		ASSERT_LT(0, pids[i]);
	}
	for (i = 0; i < WORKERS; i++) {
		ret = bt_res_wait(&self->r, pids[i]);
		EXPECT_EQ(0, ret) TH_LOG("worker %d exited %d (seed %u: BYTEOR_STRESS_SEED=%u replays it)",
					 i, ret, self->st.seed, self->st.seed);
	}
	log_figures(_metadata, &self->st, bt_now_ms() - t0);
	/* the storm raced the lifecycle, not only the cheap ioctls */
	EXPECT_LT(0UL, self->st.sh->count[OP_CREATE]);
	EXPECT_LT(0UL, self->st.sh->count[OP_DESTROY]);
	EXPECT_LT(0UL, self->st.sh->count[OP_SESSION]);
	if (self->st.target_ops) {
		EXPECT_LE(self->st.target_ops, self->st.sh->ops) {
			TH_LOG("the run stopped at its %d s bound short of %lu operations",
			       secs, self->st.target_ops);
		}
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
