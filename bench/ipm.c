// SPDX-License-Identifier: MIT
/*
 * ipm.c - the instructions-per-message driver: one process, one thread,
 * driving both ends of one lane of one subject, so that an instruction
 * counter (valgrind's cachegrind) sees only deterministic work - no other
 * CPU, no waiting, no cache-line transfer - and gives the same count on a
 * loaded machine as on an idle one.  Times measure the machine; this
 * measures the code.
 *
 *	ipm SUBJECT PAYLOAD BATCH N [CAPACITY]
 *	  e.g. valgrind --tool=cachegrind --cache-sim=no ipm minimal 8 1 100000
 *	ipm -l          the subjects it knows
 *
 * Single-op (BATCH 1): N times "send one message, receive it"; batch: N
 * messages in bursts of BATCH, each burst sent then received.  Each
 * message is checked (loops.h, loop_ipm).  The count of one run includes
 * start-up, attach and teardown; bench/ipm_report.c runs it at N and 2N
 * and divides the difference by N.  The sequenced slots run here too
 * (claim 1, publish, wait for 1, advance: the unicast publish-1 path),
 * and the journal (64 B records: BATCH appends, then BATCH reads, each
 * copied out and validated; the area wraps, so the publisher's head moves
 * on every record as in steady state), and byteor-journal-batch: the same
 * appends, the reads one zero-copy batch of BATCH (peek_batch, each
 * record checked in place, consume_batch).
 *
 * Exit status: 0, or 1 with a message naming what failed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <byteor/journal.h>
#include <byteor/region.h>
#include <byteor/sequenced_slots.h>
#include "bench.h"

static const struct subject *const subjects[] = {
	&subj_byteor_ring, &subj_byteor_fixed, &subj_byteor_ring56, &subj_byteor_events,
	&subj_minimal, &subj_rigtorp, &subj_rte_noeal, &subj_ck, &subj_boost, &subj_rwq, NULL,
};

/* Sequenced slots, publish 1: both ends in this thread. */
static int seq_ipm(void)
{
	struct byteor_region_options o = {
		.kind = BYTEOR_KIND_SEQUENCED_SLOTS,
		.geometry = { .slot_size = 8, .capacity = R->capacity, .queues = 1,
			      .producers = 1 },
		.backing = BYTEOR_BACKING_USER,
		.dir = R->dir,
	};
	struct byteor_attach_options a = {
		.backing = BYTEOR_BACKING_USER, .dir = R->dir,
		.wait_strategy = BYTEOR_WAIT_SPIN,
	};
	struct byteor_sequenced_slots *p = NULL, *c = NULL;
	uint64_t i, bad = 0;
	char name[64];
	__u64 first;
	int ret;

	snprintf(name, sizeof(name), "ipm.%d.seq", (int)getpid());
	o.name = a.name = name;
	ret = byteor_region_create(&o, NULL);
	if (ret < 0)
		return run_fail(ret, "region_create(sequenced slots): %s", byteor_strerror(ret));
	ret = byteor_attach_sequenced_slots_region(&a, BYTEOR_ROLE_PRODUCER, &p);
	if (ret >= 0)
		ret = byteor_attach_sequenced_slots_region(&a, BYTEOR_ROLE_CONSUMER, &c);
	if (ret < 0) {
		run_fail(ret, "attach_sequenced_slots_region: %s", byteor_strerror(ret));
		goto out;
	}
	for (i = 0; i < R->n; i++) {
		ret = byteor_sequenced_slots_producer_claim(p, 1, &first);
		if (ret) {
			run_fail(ret, "producer_claim: %s", byteor_strerror(ret));
			goto out;
		}
		*(uint64_t *)byteor_sequenced_slots_entry(p, first) = i;
		byteor_sequenced_slots_producer_publish(p, 1);
		ret = byteor_sequenced_slots_stage_wait(c, 1, &first);
		if (ret != 1) {
			run_fail(ret < 0 ? ret : -EIO, "stage_wait returned %d", ret);
			goto out;
		}
		bad |= *(const uint64_t *)byteor_sequenced_slots_entry(c, first) ^ i;
		byteor_sequenced_slots_stage_advance(c, 1);
	}
	ret = bad ? run_fail(-EBADMSG, "sequenced slots: wrong entry") : 0;
out:
	if (c)
		byteor_sequenced_slots_detach(c);
	if (p)
		byteor_sequenced_slots_detach(p);
	byteor_region_destroy(name, BYTEOR_BACKING_USER, R->dir);
	return ret < 0 ? ret : 0;
}

/* Journal records of the ipm subject: area bytes (wraps every ~800 records). */
#define IPM_JR_CAPACITY	(64U << 10)

/*
 * The journal, 64 B records: BATCH appends, then BATCH reads, one thread.
 * @zc: the reads are one zero-copy batch (peek_batch of BATCH, each
 * record's words checked in place, consume_batch); else BATCH copying
 * reads, each validated.
 */
static int journal_ipm(int zc)
{
	struct byteor_journal_record recs[32];
	struct byteor_region_options o = {
		.kind = BYTEOR_KIND_JOURNAL,
		.geometry = { .slot_size = 64, .capacity = IPM_JR_CAPACITY, .queues = 1,
			      .producers = 1 },
		.backing = BYTEOR_BACKING_USER,
		.dir = R->dir,
	};
	struct byteor_attach_options a = {
		.backing = BYTEOR_BACKING_USER, .dir = R->dir,
		.wait_strategy = BYTEOR_WAIT_SPIN, .timeout_ns = 0,
	};
	struct byteor_journal *p = NULL, *c = NULL;
	uint64_t i, k, m[8] = { 0 }, in[8], bad = 0;
	char name[64];
	int ret;

	snprintf(name, sizeof(name), "ipm.%d.journal", (int)getpid());
	o.name = a.name = name;
	ret = byteor_region_create(&o, NULL);
	if (ret < 0)
		return run_fail(ret, "region_create(journal): %s", byteor_strerror(ret));
	ret = byteor_attach_journal_publisher(&a, &p);
	if (ret >= 0)
		ret = byteor_attach_journal_subscriber_tail(&a, &c);
	if (ret < 0) {
		run_fail(ret, "attach journal: %s", byteor_strerror(ret));
		goto out;
	}
	for (i = 0; i < R->n; i += R->batch) {
		for (k = 0; k < R->batch; k++) {
			m[0] = i + k;
			ret = byteor_journal_append(p, 1, m, sizeof(m), NULL);
			if (ret) {
				run_fail(ret, "journal_append: %s", byteor_strerror(ret));
				goto out;
			}
		}
		if (zc) {
			/* zero-copy batch: each record's words checked in place */
			ret = byteor_journal_peek_batch(c, recs, R->batch);
			if (ret != (int)R->batch) {
				run_fail(ret < 0 ? ret : -EIO, "journal_peek_batch returned %d", ret);
				goto out;
			}
			for (k = 0; k < R->batch; k++) {
				const uint64_t *d = recs[k].data;

				bad |= (recs[k].len ^ sizeof(m)) | (d[0] ^ (i + k)) | d[7];
			}
			ret = byteor_journal_consume_batch(c, recs, R->batch);
			if (ret) {
				run_fail(ret, "journal_consume_batch: %s", byteor_strerror(ret));
				goto out;
			}
			continue;
		}
		for (k = 0; k < R->batch; k++) {
			ret = byteor_journal_read(c, in, sizeof(in), NULL);
			if (ret != (int)sizeof(in)) {
				run_fail(ret < 0 ? ret : -EIO, "journal_read returned %d", ret);
				goto out;
			}
			bad |= in[0] ^ (i + k);
		}
	}
	ret = bad ? run_fail(-EBADMSG, "journal: wrong record") : 0;
out:
	if (c)
		byteor_journal_detach(c);
	if (p)
		byteor_journal_detach(p);
	byteor_region_destroy(name, BYTEOR_BACKING_USER, R->dir);
	return ret < 0 ? ret : 0;
}

int main(int argc, char **argv)
{
	const struct subject *s = NULL;
	const char *dir = getenv("BENCH_DIR_4K");
	void *ctx = NULL;
	int i, ret;

	if (argc == 2 && !strcmp(argv[1], "-l")) {
		for (i = 0; subjects[i]; i++)
			printf("%s\n", subjects[i]->name);
		printf("byteor-seq\nbyteor-journal\nbyteor-journal-batch\n");
		return 0;
	}
	if (argc < 5 || argc > 6) {
		fprintf(stderr, "usage: %s SUBJECT PAYLOAD BATCH N [CAPACITY] | -l\n", argv[0]);
		return 2;
	}
	R = mmap(NULL, sizeof(*R), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (R == MAP_FAILED) {
		perror("ipm: mmap");
		return 1;
	}
	R->payload = (unsigned int)strtoul(argv[2], NULL, 0);
	R->batch = (unsigned int)strtoul(argv[3], NULL, 0);
	R->n = strtoull(argv[4], NULL, 0);
	R->capacity = argc == 6 ? (unsigned int)strtoul(argv[5], NULL, 0) : 4096;
	R->nsides = 1;
	snprintf(R->dir, sizeof(R->dir), "%s", dir && *dir ? dir : "/dev/shm");
	if ((R->payload != 8 && R->payload != 64) || !R->batch || R->batch > 32 ||
	    R->batch > R->capacity || !R->n) {
		fprintf(stderr, "ipm: payload must be 8 or 64, batch 1..32 (at most the capacity), N > 0\n");
		return 2;
	}
	if (!strcmp(argv[1], "byteor-seq")) {
		if (R->batch != 1 || R->payload != 8) {
			fprintf(stderr, "ipm: byteor-seq runs 8 B publish-1 only\n");
			return 2;
		}
		ret = seq_ipm();
	} else if (!strcmp(argv[1], "byteor-journal")) {
		if (R->payload != 64) {
			fprintf(stderr, "ipm: byteor-journal runs 64 B records only\n");
			return 2;
		}
		ret = journal_ipm(0);
	} else if (!strcmp(argv[1], "byteor-journal-batch")) {
		if (R->payload != 64) {
			fprintf(stderr, "ipm: byteor-journal-batch runs 64 B records only\n");
			return 2;
		}
		ret = journal_ipm(1);
	} else {
		for (i = 0; subjects[i]; i++)
			if (!strcmp(subjects[i]->name, argv[1]))
				s = subjects[i];
		if (!s || !s->ipm) {
			fprintf(stderr, "ipm: no subject '%s' with an ipm loop (ipm -l lists them)\n",
				argv[1]);
			return 2;
		}
		ret = s->setup(&ctx, 1);
		if (!ret)
			ret = s->ipm(ctx);
		if (ctx)
			s->teardown(ctx);
	}
	if (ret) {
		fprintf(stderr, "ipm: %s: %s\n", argv[1], R->errmsg[0] ? R->errmsg : strerror(-ret));
		return 1;
	}
	printf("ok %s %u B batch %u, %llu messages\n", argv[1], R->payload, R->batch,
	       (unsigned long long)R->n);
	return 0;
}
