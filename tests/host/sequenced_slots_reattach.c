// SPDX-License-Identifier: GPL-2.0-only
/*
 * sequenced_slots_reattach - a non-terminal stage removed and re-attached
 * over and over while the producer and its dependent run flat out (one
 * thread each; what ThreadSanitizer checks of the re-attach handshake).
 * Stage 0 follows the cursor, stage 1 depends on it and gates the
 * producer.  Stage 0 never processes an entry stage 1 already took (its
 * stamp absent), never one twice; stage 1 sees every entry once, in
 * order, and stage 0's stamp, where present, intact.
 */
#include <pthread.h>
#include <stdatomic.h>
#include "kselftest_harness.h"
#include "host_test.h"
#include "single_ring_test.h"
#include "sequenced_slots_test.h"

FIXTURE(sra) {
	struct ht_dir d;
};

FIXTURE_SETUP(sra)
{
	HT_DIR_SETUP(&self->d, false);
}

FIXTURE_TEARDOWN(sra)
{
	ht_dir_teardown(&self->d);
}

struct sra_ctx {
	const char *dir;
	__u64 count;
	_Atomic int done;
	int err, err0;
	_Atomic int perr;	/* the producer's */
	unsigned long epipes;	/* the producer's -EPIPE (stage 0 between
				 * its detach and its removal) */
	const char *why, *why0;	/* stage 1's, stage 0's */
	__u64 at, at0;
	unsigned long rounds;
};

static void *sra_producer(void *arg)
{
	struct sra_ctx *c = arg;
	struct byteor_attach_options o = st_opts(c->dir, 0, 10000000000LL);
	struct byteor_sequenced_slots *p;
	__u64 first, i;
	int ret;

	ret = byteor_attach_sequenced_slots_region(&o, BYTEOR_ROLE_PRODUCER, &p);
	for (i = 0; !ret && i < c->count; i++) {
		ret = byteor_sequenced_slots_producer_claim(p, 1, &first);
		/*
		 * Stage 0 detached and not yet removed is a dead stage the
		 * producer waits on: -EPIPE, as documented.  Here it is
		 * removed or re-attached a moment later: claim again.
		 */
		if (ret == -EPIPE && !atomic_load(&c->done)) {
			c->epipes++;
			ret = 0;
			i--;
			continue;
		}
		if (!ret) {
			st_fill(byteor_sequenced_slots_entry(p, first), first);
			byteor_sequenced_slots_producer_publish(p, 1);
		}
	}
	if (ret)
		atomic_store(&c->perr, ret);
	byteor_sequenced_slots_detach(p);
	return NULL;
}

/* Stage 1: every entry once, in order; stage 0's stamp intact if there. */
static void *sra_dependent(void *arg)
{
	struct sra_ctx *c = arg;
	struct byteor_attach_options o = st_opts(c->dir, 1, 10000000000LL);
	struct byteor_sequenced_slots *h;
	struct st_entry *e;
	__u64 next = 0, first;
	int n, i, ret;

	ret = byteor_attach_sequenced_slots_region(&o, BYTEOR_ROLE_CONSUMER, &h);
	while (!ret && next < c->count) {
		n = byteor_sequenced_slots_stage_wait(h, 16, &first);
		/* Stage 0 detached, not yet removed; or the producer failed. */
		if (n == -EPIPE && !atomic_load(&c->perr))
			continue;
		if (n < 0) {
			ret = n;
			break;
		}
		for (i = 0; i < n; i++, next++) {
			e = byteor_sequenced_slots_entry(h, next);
			if (first + i != next || e->seq != next ||
			    e->check != st_check(next))
				c->why = "entry lost, repeated or torn";
			else if (e->stamp[0] && e->stamp[0] != st_stamp(0, next))
				c->why = "stage 0's stamp torn";
			else if (e->stamp[1])
				c->why = "entry processed twice";
			if (c->why) {
				c->at = next;
				goto out;
			}
			e->stamp[1] = st_stamp(1, next);
		}
		byteor_sequenced_slots_stage_advance(h, n);
	}
out:
	if (ret)
		c->err = ret;
	atomic_store(&c->done, 1);
	byteor_sequenced_slots_detach(h);
	return NULL;
}

/* Stage 0: attach, process a few batches, detach, remove itself, again. */
static void *sra_stage0(void *arg)
{
	struct sra_ctx *c = arg;
	struct byteor_attach_options o = st_opts(c->dir, 0, 1000000LL);
	struct byteor_sequenced_slots *h;
	struct st_entry *e;
	__u64 first;
	int n, i, b, ret;

	while (!atomic_load(&c->done) && !c->why0) {
		ret = byteor_attach_sequenced_slots_region(&o, BYTEOR_ROLE_CONSUMER, &h);
		if (ret) {
			c->err0 = ret;
			return NULL;
		}
		for (b = 0; b < 1 + (int)(c->rounds % 5); b++) {
			n = byteor_sequenced_slots_stage_wait(h, 8, &first);
			if (n < 0)
				continue;
			for (i = 0; i < n; i++) {
				e = byteor_sequenced_slots_entry(h, first + i);
				if (e->stamp[1])
					c->why0 = "stage 0 got an entry stage 1 took";
				else if (e->stamp[0])
					c->why0 = "stage 0 got an entry twice";
				if (c->why0) {
					c->at0 = first + i;
					break;
				}
				e->stamp[0] = st_stamp(0, first + i);
			}
			byteor_sequenced_slots_stage_advance(h, n);
		}
		byteor_sequenced_slots_detach(h);
		ret = byteor_sequenced_slots_remove_stage(&o, 0);
		if (ret) {
			c->err0 = ret;
			return NULL;
		}
		c->rounds++;
	}
	return NULL;
}

TEST_F_TIMEOUT(sra, stage_removed_and_reattached_in_a_loop_never_races_its_dependent, 120)
{
	__u32 deps[BYTEOR_MAX_STAGES] = { 0, 1U << 0 };
	struct sra_ctx c = { .dir = self->d.path, .count = lt_scaled(2000000, 50000) };
	pthread_t th[3];

	ASSERT_EQ(0, st_create(self->d.path, "seq", 64, 2, deps));
	ASSERT_EQ(0, pthread_create(&th[0], NULL, sra_dependent, &c));
	ASSERT_EQ(0, pthread_create(&th[1], NULL, sra_stage0, &c));
	ASSERT_EQ(0, pthread_create(&th[2], NULL, sra_producer, &c));
	pthread_join(th[2], NULL);
	pthread_join(th[0], NULL);
	pthread_join(th[1], NULL);
	EXPECT_EQ(0, c.perr) TH_LOG("producer: %s", byteor_strerror(c.perr));
	EXPECT_EQ(0, c.err) TH_LOG("%s", byteor_strerror(c.err));
	EXPECT_EQ(0, c.err0) TH_LOG("stage 0: %s", byteor_strerror(c.err0));
	EXPECT_EQ(NULL, c.why) TH_LOG("at %llu: %s", (unsigned long long)c.at, c.why);
	EXPECT_EQ(NULL, c.why0) TH_LOG("at %llu: %s", (unsigned long long)c.at0, c.why0);
	EXPECT_LT(0, c.rounds);
	TH_LOG("%lu re-attaches, producer saw stage 0 dead %lu times",
	       c.rounds, c.epipes);
}

TEST_HARNESS_MAIN
