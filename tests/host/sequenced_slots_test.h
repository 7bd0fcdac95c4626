/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sequenced_slots_test.h - helpers of the sequenced-slots tests: region
 * creation per topology and the self-checking entry every stage stamps.
 * Include after kselftest_harness.h, host_test.h and single_ring_test.h
 * (run-length scale, forks, pinning).
 *
 * The entry contract (payload of 64 bytes):
 *	u64 seq, u64 check = st_check(seq), u64 stamp[6]
 * The producer writes seq and check and zeroes the stamps.  Stage i, when
 * it processes entry seq, requires: seq is the next it expects (in order,
 * none lost or repeated), check matches, stamp[j] == st_stamp(j, seq) for
 * every dependency j (they finished it before us), stamp[i] == 0 (nobody,
 * not even we, did our part yet); then it writes stamp[i].  A terminal
 * stage or a subscriber checks the same and writes nothing (subscriber) or
 * its stamp (stage).
 */
#ifndef _BYTEOR_SEQUENCED_SLOTS_TEST_H
#define _BYTEOR_SEQUENCED_SLOTS_TEST_H

#include <byteor/sequenced_slots.h>

#define ST_SLOT		64U
#define ST_STAMPS	6U

struct st_entry {
	__u64 seq;
	__u64 check;
	__u64 stamp[ST_STAMPS];
};

_Static_assert(sizeof(struct st_entry) == ST_SLOT, "entry fills the slot");

enum st_topo {
	ST_UNICAST,	/* P -> 0 */
	ST_PIPELINE,	/* P -> 0 -> 1 -> 2 */
	ST_MULTICAST,	/* P -> {0, 1, 2} */
	ST_DIAMOND,	/* P -> {0, 1} -> 2 */
};

static inline unsigned int st_topo_deps(enum st_topo t, __u32 deps[BYTEOR_MAX_STAGES])
{
	memset(deps, 0, sizeof(__u32) * BYTEOR_MAX_STAGES);
	switch (t) {
	case ST_UNICAST:
		return 1;
	case ST_PIPELINE:
		deps[1] = 1U << 0;
		deps[2] = 1U << 1;
		return 3;
	case ST_MULTICAST:
		return 3;
	case ST_DIAMOND:
		deps[2] = (1U << 0) | (1U << 1);
		return 3;
	}
	return 0;
}

static inline int st_create(const char *dir, const char *name, __u32 cap,
			    unsigned int nstages, const __u32 *deps)
{
	struct byteor_geometry g = ht_geom(ST_SLOT, cap, nstages, 1);

	memcpy(g.stage_deps, deps, sizeof(g.stage_deps));
	return ht_create(dir, name, BYTEOR_KIND_SEQUENCED_SLOTS, &g);
}

static inline int st_create_topo(const char *dir, const char *name, __u32 cap,
				 enum st_topo t)
{
	__u32 deps[BYTEOR_MAX_STAGES];
	unsigned int n = st_topo_deps(t, deps);

	return st_create(dir, name, cap, n, deps);
}

static inline __u64 st_check(__u64 seq)
{
	return seq * 0x9E3779B97F4A7C15ULL ^ 0x5555AAAA5555AAAAULL;
}

static inline __u64 st_stamp(unsigned int stage, __u64 seq)
{
	return (seq + 1) * 0xC2B2AE3D27D4EB4FULL + stage;
}

static inline void st_fill(void *p, __u64 seq)
{
	struct st_entry *e = p;

	memset(e, 0, sizeof(*e));
	e->seq = seq;
	e->check = st_check(seq);
}

/*
 * Stage @stage (dependencies @deps) checks entry @p, expected to be
 * sequence @want, and stamps it if @stamp.  Return: NULL or the violation.
 */
static inline const char *st_process(void *p, __u64 want, unsigned int stage,
				     __u32 deps, bool stamp)
{
	struct st_entry *e = p;
	unsigned int j;

	if (e->seq != want)
		return e->seq < want ? "entry seen again or reordered" :
			"entry skipped";
	if (e->check != st_check(want))
		return "bad entry content";
	for (j = 0; j < ST_STAMPS; j++)
		if ((deps & (1U << j)) && e->stamp[j] != st_stamp(j, want))
			return "read before a dependency finished it";
	if (e->stamp[stage])
		return "own stamp already present (processed twice)";
	if (stamp)
		e->stamp[stage] = st_stamp(stage, want);
	return NULL;
}

static inline struct byteor_attach_options st_opts(const char *dir,
						   unsigned int queue,
						   long long timeout_ns)
{
	return lt_opts(dir, "seq", queue, timeout_ns);
}

#endif /* _BYTEOR_SEQUENCED_SLOTS_TEST_H */
