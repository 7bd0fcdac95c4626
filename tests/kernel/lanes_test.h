/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * lanes_test.h - helpers of the guest-only lane programs here (lanes_*.c:
 * lanes_park, lanes_pages): libbyteor's lanes between processes on the
 * KERNEL backing (regions made by byteor.ko through byteor_region_create(),
 * attached and mapped by the library).  Include instead of byteor_test.h;
 * link libbyteor.a (tests/kernel/Makefile does it for lanes_*).
 *
 * The cross-process suite of each lane (lanes_single_ring, lanes_events,
 * lanes_fanout, lanes_journal, lanes_sequenced_slots) is not here: it is
 * tests/lanes/<lane>_xproc.c, shared with the host tests, on
 * tests/lanes/lanes_env.h.
 *
 * Run-length: the guest runs under QEMU TCG, 10-50x slower than native,
 * with 2 vCPUs shared by every process of a test, and each program must
 * stay well under a minute for both passes (root, user).  The lanes are
 * therefore driven with 100k-300k events per test, not the host tests'
 * 10 million: enough for hundreds of wrap-arounds of a small ring.
 *
 * Payload of event @seq of producer @prod (what every consumer checks):
 *	u32 producer, u32 length, u64 seq, then length - 16 bytes of
 *	ln_byte(prod, seq, i)
 * with a length that varies with seq between 16 and the slot size.
 *
 * Children never use ASSERT_*: they exit with LN_DIE(step, ...), which
 * says why on stderr (a TAP comment); the test checks every exit status.
 * They die with the test process (PR_SET_PDEATHSIG), and the fixture's
 * struct bt_res kills and reaps them and destroys the region in teardown.
 */
#ifndef BYTEOR_LANES_TEST_H
#define BYTEOR_LANES_TEST_H

#include "byteor_test.h"

#include <sys/prctl.h>
#include <byteor.h>
#include "../common/lane_payload.h"
#include "../common/test_proc.h"

/* Blocking lane calls give up after this: a stuck peer fails, never hangs. */
#define LN_TIMEOUT_NS	20000000000LL
#define LN_HDR		LP_HDR


/* The common FIXTURE_SETUP part: byteor.ko there, and allowed to create. */
#define LN_SETUP_CHECKS() do {							\
	BT_SETUP_NEED_CREATE(4);						\
} while (0)

/* Child-side failure: say why, exit with a distinct step number. */
#define LN_DIE(code, ...) do {						\
	fprintf(stderr, "# child %d: ", (int)getpid());			\
	fprintf(stderr, __VA_ARGS__);					\
	fprintf(stderr, "\n");						\
	fflush(stderr);							\
	_exit(code);							\
} while (0)

/* The payload codec, shared with the host lane tests. */
#define ln_hdr		lp_hdr
#define ln_len		lp_len
#define ln_byte		lp_byte
#define ln_fill		lp_fill
#define ln_check	lp_check

/* Attach options for region @name on the kernel backing. */
static inline struct byteor_attach_options ln_opts(const char *name,
						   unsigned int queue,
						   long long timeout_ns)
{
	struct byteor_attach_options o = {
		.name = name, .queue = queue, .backing = BYTEOR_BACKING_KERNEL,
		.timeout_ns = timeout_ns,
	};

	return o;
}

/* byteor_region_create() on the kernel backing: the library's path. */
static inline int ln_create(const char *name, __u32 kind,
			    const struct byteor_geometry *g,
			    struct byteor_region_info *info)
{
	struct byteor_region_options o = {
		.name = name, .kind = kind, .geometry = *g,
		.backing = BYTEOR_BACKING_KERNEL,
	};

	return byteor_region_create(&o, info);
}

#define ln_geom		ht_geom		/* ../common/test_proc.h */

/*
 * fork() for a lane child: it dies with the test process, so a failed or
 * timed-out test leaves nobody spinning on the guest's two vCPUs.
 */
static inline pid_t ln_fork(struct bt_res *res)
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
	return bt_res_pid(res, pid);
}

/* A shared anonymous mapping for results children report; NULL on error. */
static inline void *ln_shared(struct bt_res *res, size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memset(p, 0, len);
	return bt_res_map(res, p, len);
}

static inline long long ln_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* A one-shot signal between processes over a pipe. */
static inline void ln_signal(int fd)
{
	char c = 1;

	if (write(fd, &c, 1) != 1)
		_exit(99);
}

#endif /* BYTEOR_LANES_TEST_H */
