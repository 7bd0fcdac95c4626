/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * crash_env.h - the backing of the crash-point tests (tests/crash/).
 * Each program is written once and built twice:
 *
 *   on the host   (tests/host/Makefile SAN=crash, run by scripts/host-tests.sh):
 *                 userspace backing, the crash-point library under
 *                 ASan + UBSan, regions in a private directory (host_test.h);
 *   in the guests (tests/kernel/Makefile, -DLE_KERNEL, run by
 *                 scripts/check-kernel.sh as crash_<name>, as root and as
 *                 the test user): kernel backing, the crash-point library
 *                 linked statically without a sanitizer, regions of
 *                 byteor.ko.
 *
 * A test sees the same few names on both:
 *
 *	FIXTURE(x) { struct ht_dir d; };
 *	FIXTURE_SETUP(x) { HT_DIR_SETUP(&self->d, false); ... }
 *	FIXTURE_TEARDOWN(x) { ht_dir_teardown(&self->d); }
 *	ht_create(d.path, name, kind, &geometry), lt_opts(d.path, name, ...)
 *
 * On the host d.path is the directory.  In the guest it is a name prefix
 * "bt.<pid>" of the test process: HT_RNAME(d.path, name) is the region
 * "bt.<pid>.<name>" (the kernel's names are global), and the teardown
 * destroys every region with that prefix, so a failed test leaves none
 * behind for the next.  The other helpers (ht_geom, ht_wait, ht_signal,
 * ht_await) behave the same on both.
 */
#ifndef _BYTEOR_CRASH_ENV_H
#define _BYTEOR_CRASH_ENV_H

#ifndef LE_KERNEL

#include "kselftest_harness.h"
#include "host_test.h"

#else /* LE_KERNEL */

#include "byteor_test.h"	/* includes kselftest_harness.h */
#include <byteor/region.h>
#include "internal.h"
#include "../common/test_proc.h"

#define HT_BACKING	BYTEOR_BACKING_KERNEL
#define HT_PATH		32

struct ht_dir {
	char path[HT_PATH];	/* "bt.<pid>": the prefix of this test's regions */
	bool ready;
};

/* BT_SETUP_SKIP already keeps the 6.1 harness from running the body. */
#define HT_SETUP_SKIPPED() do { } while (0)

/*
 * byteor.ko loaded, allowed to create, 4 free 2 MiB pages (one region of
 * these tests, a predecessor's still being let go, and room to spare).
 * @huge is the host's choice of hugetlbfs: every region here is hugepages.
 */
#define HT_DIR_SETUP(dd, huge) do {						\
	(void)(huge);								\
	BT_SETUP_NEED_CREATE(4);						\
	snprintf((dd)->path, sizeof((dd)->path), "bt.%d", (int)getpid());	\
	(dd)->ready = true;							\
} while (0)

/*
 * The region name of @name under prefix @dir.  The pointer stays valid for
 * the life of the process (the lane keeps it in its options): names are
 * interned in a small table, which is all a test's handful of names needs;
 * a full table gives "" (every call then fails with -EINVAL).  Not for
 * threads: the crash tests' roles are processes.
 */
#define HT_RNAMES	16

static inline const char *ht_rname(const char *dir, const char *name)
{
	static char names[HT_RNAMES][BYTEOR_NAME_MAX];
	char full[BYTEOR_NAME_MAX];
	int i, n;

	n = snprintf(full, sizeof(full), "%s.%s", dir, name);
	if (n < 0 || n >= (int)sizeof(full))
		return "";
	for (i = 0; i < HT_RNAMES; i++) {
		if (!names[i][0]) {
			memcpy(names[i], full, (size_t)n + 1);
			return names[i];
		}
		if (!strcmp(names[i], full))
			return names[i];
	}
	return "";
}

/* The kernel backing has no directory. */
static inline const char *ht_rdir(const char *dir)
{
	(void)dir;
	return NULL;
}

/* Destroy every region whose name starts with "<prefix>.". */
static inline void ht_dir_teardown(struct ht_dir *d)
{
	struct byteor_region_info v[64];
	size_t plen = strlen(d->path);
	int n, i;

	if (!d->ready)
		return;
	n = byteor_region_list(BYTEOR_BACKING_KERNEL, NULL, v, 64);
	for (i = 0; i < n && i < 64; i++)
		if (!strncmp(v[i].name, d->path, plen) && v[i].name[plen] == '.')
			byteor_region_destroy(v[i].name, BYTEOR_BACKING_KERNEL, NULL);
	d->ready = false;
}

/* Create region @name of @kind under prefix @dir. */
static inline int ht_create(const char *dir, const char *name, __u32 kind,
			    const struct byteor_geometry *g)
{
	struct byteor_region_options o = {
		.name = ht_rname(dir, name), .kind = kind, .geometry = *g,
		.backing = HT_BACKING,
	};

	return byteor_region_create(&o, NULL);
}

#endif /* LE_KERNEL */

#endif /* _BYTEOR_CRASH_ENV_H */
