/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * lanes_env.h - the backing-neutral environment of the cross-process lane
 * tests (tests/lanes/<lane>_xproc.c).  Each test is written once and built
 * twice:
 *
 *   on the host   (tests/host/Makefile, run by scripts/host-tests.sh as
 *                  <lane>_xproc, plain, ASan+UBSan and TSan): userspace
 *                  backing, regions in a private directory (host_test.h);
 *   in the guests (tests/kernel/Makefile with -DLE_KERNEL, run by
 *                  scripts/check-kernel.sh as lanes_<lane>, as root and as
 *                  the test user): kernel backing, regions made by
 *                  byteor.ko and released through byteor_test.h's bt_res.
 *
 * A test sees only what is here:
 *
 *	FIXTURE(x) { struct le_env env; const char *name; };
 *	FIXTURE_SETUP(x) { LE_SETUP(&self->env);
 *			   self->name = le_name(&self->env, "ring"); ... }
 *	FIXTURE_TEARDOWN(x) { le_teardown(&self->env); }
 *	TEST_F(x, y) { LE_SETUP_SKIPPED(); ... le_fork(&self->env) ... }
 *
 * Checks that only one backing can make (2 MiB pages of the kernel's
 * mapping, the kernel's -EBADMSG refusals and counters) sit in
 * "#ifdef LE_KERNEL".
 *
 * Run length: le_count(host, guest).  The host runs the host count scaled
 * by BYTEOR_TEST_SCALE (0.05 by default in sanitizer builds); the guest
 * runs under QEMU TCG, 10-50x slower than native on 2 shared vCPUs, with
 * each program well under BYTEOR_TEST_TIMEOUT for both passes, so it runs
 * the (smaller) guest count.
 *
 * Children never use ASSERT_*: they exit with LE_DIE(step, ...), which
 * says why on stderr (a TAP comment); the test checks every exit status.
 * They die with the test process (PR_SET_PDEATHSIG); in the guest the
 * fixture's bt_res also kills and reaps them in teardown.
 */
#ifndef BYTEOR_LANES_ENV_H
#define BYTEOR_LANES_ENV_H

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#ifdef LE_KERNEL
#include "byteor_test.h"	/* includes kselftest_harness.h */
#else
#include "kselftest_harness.h"
#include "host_test.h"
#endif
#include <byteor.h>
#include "internal.h"
#include "../common/lane_payload.h"
#include "../common/test_proc.h"

/* Blocking lane calls give up after this: a stuck peer fails, never hangs. */
#define LE_TIMEOUT_NS	20000000000LL

#ifdef LE_KERNEL
#define LE_BACKING	BYTEOR_BACKING_KERNEL
#define LE_PICK(host, guest)	(guest)
#else
#define LE_BACKING	BYTEOR_BACKING_USER
#define LE_PICK(host, guest)	(host)
#endif

struct le_env {
#ifdef LE_KERNEL
	struct bt_res res;
#else
	struct ht_dir d;
#endif
	const char *dir;	/* the host's private directory; NULL in the guest */
};

#ifdef LE_KERNEL
/* byteor.ko there, allowed to create, 4 free 2 MiB pages for a region. */
#define LE_SETUP(env) do {							\
	BT_SETUP_NEED_CREATE(4);						\
	(env)->dir = NULL;							\
} while (0)

/* BT_SETUP_SKIP already keeps the 6.1 harness from running the body. */
#define LE_SETUP_SKIPPED() do { } while (0)

static inline void le_teardown(struct le_env *env)
{
	bt_res_release(&env->res);
}

/* A region name the teardown destroys: bt.<pid>.<tag>. */
static inline const char *le_name(struct le_env *env, const char *tag)
{
	return bt_res_name(&env->res, tag);
}
#else
#define LE_SETUP(env) do {							\
	HT_DIR_SETUP(&(env)->d, false);						\
	(env)->dir = (env)->d.path;						\
} while (0)

#define LE_SETUP_SKIPPED()	HT_SETUP_SKIPPED()

static inline void le_teardown(struct le_env *env)
{
	ht_dir_teardown(&env->d);
}

/* The directory is the test's own: the tag is name enough. */
static inline const char *le_name(struct le_env *env, const char *tag)
{
	return tag;
}
#endif

/* Child-side failure: say why, exit with a distinct step number. */
#define LE_DIE(code, ...) do {						\
	fprintf(stderr, "# child %d: ", (int)getpid());			\
	fprintf(stderr, __VA_ARGS__);					\
	fprintf(stderr, "\n");						\
	fflush(stderr);							\
	_exit(code);							\
} while (0)

/* From ../common/test_proc.h, under this suite's prefix. */
#define le_geom		ht_geom
#define le_signal	ht_signal
#define le_await	ht_await

/* Attach options for region @name of this test's backing. */
static inline struct byteor_attach_options le_opts(const struct le_env *env,
						   const char *name,
						   unsigned int queue,
						   long long timeout_ns)
{
	struct byteor_attach_options o = {
		.name = name, .queue = queue, .backing = LE_BACKING,
		.dir = env->dir, .timeout_ns = timeout_ns,
	};

	return o;
}

/* byteor_region_create() on this test's backing (@info may be NULL). */
static inline int le_create(const struct le_env *env, const char *name,
			    __u32 kind, const struct byteor_geometry *g,
			    struct byteor_region_info *info)
{
	struct byteor_region_options o = {
		.name = name, .kind = kind, .geometry = *g,
		.backing = LE_BACKING, .dir = env->dir,
	};

	return byteor_region_create(&o, info);
}

static inline int le_destroy(const struct le_env *env, const char *name)
{
	return byteor_region_destroy(name, LE_BACKING, env->dir);
}

/*
 * The run length: @host events on the host (times BYTEOR_TEST_SCALE, 0.05
 * by default under a sanitizer, never below @guest), @guest in the guest.
 */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define LE_SCALE_DEFAULT	0.05
#else
#define LE_SCALE_DEFAULT	1.0
#endif

static inline unsigned long long le_count(unsigned long long host,
					  unsigned long long guest)
{
#ifdef LE_KERNEL
	(void)host;
	return guest;
#else
	const char *s = getenv("BYTEOR_TEST_SCALE");
	double f = s ? strtod(s, NULL) : LE_SCALE_DEFAULT;
	unsigned long long v;

	if (!(f > 0))
		f = LE_SCALE_DEFAULT;
	v = (unsigned long long)((double)host * f);
	return v < guest ? guest : v;
#endif
}

/*
 * fork() for a lane child: it dies with the test process, so a failed or
 * timed-out test leaves nobody spinning; the guest's teardown also reaps it.
 */
static inline pid_t le_fork(struct le_env *env)
{
	pid_t parent = getpid(), pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(98);
		return 0;
	}
#ifdef LE_KERNEL
	return bt_res_pid(&env->res, pid);
#else
	(void)env;
	return pid;
#endif
}

/* Exit status of child @pid (0..255), 128 + signal, or negative. */
static inline int le_wait(struct le_env *env, pid_t pid)
{
#ifdef LE_KERNEL
	return bt_res_wait(&env->res, pid);
#else
	int st = ht_wait(pid);

	(void)env;
	if (st < 0)
		return -1;
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WEXITSTATUS(st);
#endif
}

/* A shared anonymous mapping for results children report; NULL on error. */
static inline void *le_shared(struct le_env *env, size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memset(p, 0, len);
#ifdef LE_KERNEL
	return bt_res_map(&env->res, p, len);
#else
	(void)env;
	return p;	/* the test process is the harness's child: exit unmaps */
#endif
}

static inline long long le_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/*
 * Pin the caller to CPU @cpu modulo the CPUs it may use (no-op on one CPU,
 * and in the guest, whose 2 vCPUs every process of a test shares).
 */
static inline void le_pin(int cpu)
{
#ifdef LE_KERNEL
	(void)cpu;
#else
	cpu_set_t allowed, one;
	int n, i, k = 0;

	if (sched_getaffinity(0, sizeof(allowed), &allowed))
		return;
	n = CPU_COUNT(&allowed);
	if (n < 2)
		return;
	cpu %= n;
	for (i = 0; i < CPU_SETSIZE; i++) {
		if (!CPU_ISSET(i, &allowed))
			continue;
		if (k++ == cpu) {
			CPU_ZERO(&one);
			CPU_SET(i, &one);
			sched_setaffinity(0, sizeof(one), &one);
			return;
		}
	}
#endif
}

#endif /* BYTEOR_LANES_ENV_H */
