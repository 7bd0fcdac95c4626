/* SPDX-License-Identifier: MIT */
/*
 * byteor/common.h - what every libbyteor API shares: the library version,
 * the export marker, backing selection, attach options and error strings.
 *
 * Usage sketch:
 *
 *	struct byteor_attach_options o = { .name = "md.eurusd" };
 *	struct byteor_single_ring_rx *rx;
 *	int ret = byteor_attach_single_ring_rx(&o, &rx);
 *
 *	if (ret < 0)
 *		fprintf(stderr, "attach: %s\n", byteor_strerror(ret));
 *
 * Every function returns 0 (or a count) on success and a negative errno on
 * failure; the library never writes errno and never prints.
 */
#ifndef _BYTEOR_COMMON_H
#define _BYTEOR_COMMON_H

#include <stddef.h>
#include <uapi/byteor.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The library version: the one place it is written.  ulib/Makefile reads
 * these lines for the shared library's file name and libbyteor.pc.
 *
 * BYTEOR_ABI_VERSION is the SONAME: libbyteor.so.<ABI>.  It moves whenever
 * a program built against an earlier release could break against this one
 * (an exported symbol gone or changed, a public struct's layout changed -
 * the inline hot paths' struct __byteor_spsc included), whatever the
 * release number says; adding symbols keeps it.  scripts/abi.sh holds the
 * library to its record in ulib/abi/.  History: 0.1 and 0.2 both called
 * themselves libbyteor.so.0 though 0.2 broke 0.1's ABI (inline lanes);
 * from 0.3 the SONAME is libbyteor.so.1.  0.3 also changed the SPSC lap
 * tag's shared meaning (never 0, byteor/lane_inline.h) and the inline
 * publish/peek that write and read it.
 */
#define BYTEOR_VERSION_MAJOR	0
#define BYTEOR_VERSION_MINOR	5
#define BYTEOR_VERSION_PATCH	0
#define BYTEOR_ABI_VERSION	1

#define BYTEOR__STR2(x)		#x
#define BYTEOR__STR(x)		BYTEOR__STR2(x)
#define BYTEOR_VERSION_STRING					\
	BYTEOR__STR(BYTEOR_VERSION_MAJOR) "."			\
	BYTEOR__STR(BYTEOR_VERSION_MINOR) "."			\
	BYTEOR__STR(BYTEOR_VERSION_PATCH)
#define BYTEOR_VERSION							\
	(BYTEOR_VERSION_MAJOR * 10000 + BYTEOR_VERSION_MINOR * 100 +	\
	 BYTEOR_VERSION_PATCH)

/* Marks the functions the shared library exports (built -fvisibility=hidden). */
#define BYTEOR_API __attribute__((visibility("default")))

/**
 * byteor_version() - the version of the library running, as
 * BYTEOR_VERSION computes it (major * 10000 + minor * 100 + patch): compare
 * with BYTEOR_VERSION, the headers' version, to tell a program built
 * against other headers.
 */
BYTEOR_API int byteor_version(void);

/* byteor_version_string() - the same as "major.minor.patch". */
BYTEOR_API const char *byteor_version_string(void);

/*
 * Where regions live.  AUTO: the environment variable BYTEOR_BACKING
 * ("kernel" or "user") if set, else the kernel module when /dev/byteor
 * exists, else the userspace backing (files in BYTEOR_DIR, a usable
 * hugetlbfs mount, or /dev/shm).
 */
enum byteor_backing {
	BYTEOR_BACKING_AUTO = 0,
	BYTEOR_BACKING_KERNEL = 1,
	BYTEOR_BACKING_USER = 2,
};

/* Attach as a read-only observer: maps PROT_READ, never claims a role. */
#define BYTEOR_ATTACH_OBSERVER	(1U << 0)
/*
 * Attach only if the region is owned by user expect_uid (0.4): a region
 * another user created first under the expected name (to read or feed a
 * lane it should not) is refused with -EPERM, after the file is opened, so
 * what is checked is what gets mapped.  A 0.3 library refuses the flag
 * (-EINVAL) rather than attach unchecked.
 */
#define BYTEOR_ATTACH_EXPECT_OWNER	(1U << 1)
#define BYTEOR_ATTACH_OPT_MASK	(BYTEOR_ATTACH_OBSERVER | BYTEOR_ATTACH_EXPECT_OWNER)

/*
 * struct byteor_attach_options - what every attach_* function takes.
 * Zero-initialise, then set what you need: all zeros is a valid request for
 * queue 0 with the default backing and waiting.
 */
struct byteor_attach_options {
	const char *name;		/* region name */
	unsigned int queue;		/* queue / consumer / stage index */
	unsigned int flags;		/* BYTEOR_ATTACH_* */
	enum byteor_backing backing;
	const char *dir;		/* userspace backing directory, NULL: default */
	int wait_strategy;		/* enum byteor_wait_strategy */
	int park_path;			/* enum byteor_park_path */
	long long timeout_ns;		/* blocking calls: <0 forever, 0 non-blocking */
	unsigned int spin_iters;	/* 0 = default */
	__u32 expect_uid;		/* BYTEOR_ATTACH_EXPECT_OWNER: the owner (0.4) */
	unsigned int reserved[7];	/* must be zero */
};

/**
 * byteor_strerror() - describe an error returned by libbyteor.
 * @err: a negative errno returned by a byteor_* function (a positive value
 *       is accepted too).
 *
 * The wording is byteor's own where the errno has a byteor-specific meaning
 * (for example -EPROTO is a layout kind or version mismatch).  Does not touch
 * errno, does not allocate, is thread-safe.
 *
 * Return: a static, NUL-terminated string; never NULL.
 */
BYTEOR_API const char *byteor_strerror(int err);

#ifdef __cplusplus
}
#endif

#endif /* _BYTEOR_COMMON_H */
