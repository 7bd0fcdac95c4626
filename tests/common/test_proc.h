/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * test_proc.h - what every multi-process test of libbyteor needs on either
 * backing: a region geometry, waiting for a child, a one-shot signal over
 * a pipe.  Included by tests/host/host_test.h and tests/crash/crash_env.h.
 */
#ifndef _BYTEOR_TEST_PROC_H
#define _BYTEOR_TEST_PROC_H

#include <errno.h>
#include <unistd.h>
#include <sys/wait.h>
#include <byteor/region.h>

static inline struct byteor_geometry ht_geom(__u32 slot, __u32 cap,
					     __u32 queues, __u32 producers)
{
	struct byteor_geometry g = {
		.slot_size = slot, .capacity = cap,
		.queues = queues, .producers = producers,
	};

	return g;
}

/* Wait for @pid; return its wait status, or -1. */
static inline int ht_wait(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return status;
}

/* A pipe-based one-shot signal between a parent and a forked child. */
static inline void ht_signal(int fd)
{
	char c = 1;

	if (write(fd, &c, 1) != 1)
		_exit(99);
}

static inline int ht_await(int fd)
{
	char c;

	return read(fd, &c, 1) == 1 ? 0 : -1;
}

#endif /* _BYTEOR_TEST_PROC_H */
