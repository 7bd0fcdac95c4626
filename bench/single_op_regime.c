// SPDX-License-Identifier: MIT
/*
 * single_op_regime.c - why the single ring's 8-byte single-op throughput
 * is tens of millions of messages a second where the minimal ring's is
 * hundreds (make bench, "SPSC throughput").  One producer thread on CPU 0
 * sends single messages (claim 1, publish), one consumer thread on CPU 1
 * takes them (peek 1, check, release), through the public API.  The only
 * knob is what the consumer does when it finds the ring empty: poll again
 * at once, or first execute P pause instructions.
 *
 * A consumer as fast as its producer is always caught up: every poll pulls
 * the line the producer is about to write, so each message costs a
 * cache-line transfer (~100 ns here) and the producer stalls on its own
 * stores.  A consumer that backs off lets the producer run ahead a batch;
 * from then on it drains whole lines.  The minimal ring's producer is fast
 * enough to get ahead without help.  So the figures measure the regime the
 * pair settles in as much as the cost of a message.
 *
 *	make bench-regime [REGIME_ARGS="-n 20000000 -r 5"]
 *	single-op-regime [-n MESSAGES] [-r REPETITIONS]
 *
 * Prints, per ring (slot headers with tags; fixed-size) and per back-off
 * (0, 8, 64, 512 pauses), the median and range of the repetitions' rates;
 * the back-offs of one repetition run back to back (the host's state
 * changes within minutes).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <byteor.h>

#define REPS_MAX	32

static const unsigned int backoffs[] = { 0, 8, 64, 512 };
#define NBACKOFF	(sizeof(backoffs) / sizeof(backoffs[0]))

struct run {
	const char *dir;
	uint64_t n;
	unsigned int pauses;
	int bad;
};

static void pin(int cpu)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	sched_setaffinity(0, sizeof(s), &s);
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void relax(unsigned int n)
{
	while (n--)
		__builtin_ia32_pause();
}

static struct byteor_attach_options opts(const struct run *r)
{
	struct byteor_attach_options o = {
		.name = "regime", .backing = BYTEOR_BACKING_USER, .dir = r->dir,
		.timeout_ns = 0,	/* empty is -EAGAIN: the back-off is ours */
	};

	return o;
}

static void *consumer(void *arg)
{
	struct run *r = arg;
	struct byteor_attach_options o = opts(r);
	struct byteor_single_ring *q;
	struct byteor_slot s;
	uint64_t i = 0;

	pin(1);
	if (byteor_attach_single_ring(&o, BYTEOR_ROLE_CONSUMER, &q)) {
		r->bad = 1;
		return NULL;
	}
	while (i < r->n) {
		if (byteor_single_ring_peek(q, &s, 1) != 1) {
			relax(r->pauses);
			continue;
		}
		if (*(const uint64_t *)s.data != i)
			r->bad = 1;
		byteor_single_ring_release(q, 1);
		i++;
	}
	byteor_single_ring_detach(q);
	return NULL;
}

/* One run: messages per second, or a negative errno. */
static double one_run(struct run *r, int fixed)
{
	struct byteor_region_options ro = {
		.name = "regime", .kind = BYTEOR_KIND_SINGLE_RING,
		.geometry = { .slot_size = 8, .capacity = 4096, .queues = 1,
			      .producers = 1,
			      .flags = fixed ? BYTEOR_GEOM_F_FIXED : 0 },
		.backing = BYTEOR_BACKING_USER, .dir = r->dir,
	};
	struct byteor_attach_options o = opts(r);
	struct byteor_single_ring *q;
	struct byteor_slot s;
	pthread_t t;
	double t0, t1;
	uint64_t i;
	int ret;

	ret = byteor_region_create(&ro, NULL);
	if (ret)
		return ret;
	ret = byteor_attach_single_ring(&o, BYTEOR_ROLE_PRODUCER, &q);
	if (ret)
		goto out;
	r->bad = 0;
	pin(0);
	if (pthread_create(&t, NULL, consumer, r)) {
		ret = -EAGAIN;
		byteor_single_ring_detach(q);
		goto out;
	}
	t0 = now_s();
	for (i = 0; i < r->n;) {
		if (byteor_single_ring_claim(q, &s, 1) != 1)
			continue;
		*(uint64_t *)s.data = i++;
		byteor_single_ring_publish(q, NULL, 1);
	}
	pthread_join(t, NULL);
	t1 = now_s();
	byteor_single_ring_detach(q);
	ret = r->bad ? -EBADMSG : 0;
out:
	byteor_region_destroy("regime", BYTEOR_BACKING_USER, r->dir);
	return ret ? ret : r->n / (t1 - t0);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	static double rate[2][NBACKOFF][REPS_MAX];
	char dir[] = "/dev/shm/byteor-regime.XXXXXX";
	struct run r = { .n = 20000000 };
	int reps = 5, c, f, b, k;

	while ((c = getopt(argc, argv, "n:r:")) != -1) {
		if (c == 'n')
			r.n = strtoull(optarg, NULL, 0);
		else if (c == 'r')
			reps = atoi(optarg);
		else
			goto usage;
	}
	if (!r.n || reps < 1 || reps > REPS_MAX)
		goto usage;
	if (!mkdtemp(dir)) {
		perror("single-op-regime: mkdtemp");
		return 1;
	}
	r.dir = dir;
	printf("single ring, 8 B single-op, capacity 4096, threads on CPUs 0 and 1, %llu messages a run, %d repetitions\n",
	       (unsigned long long)r.n, reps);
	for (k = 0; k < reps; k++) {
		for (f = 0; f < 2; f++) {
			for (b = 0; b < (int)NBACKOFF; b++) {
				r.pauses = backoffs[b];
				rate[f][b][k] = one_run(&r, f);
				if (rate[f][b][k] < 0) {
					fprintf(stderr, "single-op-regime: %s\n",
						byteor_strerror((int)rate[f][b][k]));
					rmdir(dir);
					return 1;
				}
			}
		}
	}
	printf("%-34s %10s %22s\n", "ring, consumer back-off when empty",
	       "Mmsg/s", "[min..max]");
	for (f = 0; f < 2; f++) {
		for (b = 0; b < (int)NBACKOFF; b++) {
			double *v = rate[f][b];

			qsort(v, reps, sizeof(*v), cmp_double);
			printf("%-13s %4u pauses %15.1f %10.1f..%-10.1f\n",
			       f ? "fixed-size" : "slot headers", backoffs[b],
			       v[reps / 2] / 1e6, v[0] / 1e6, v[reps - 1] / 1e6);
		}
	}
	rmdir(dir);
	return 0;
usage:
	fprintf(stderr, "usage: %s [-n MESSAGES] [-r REPETITIONS (1-%d)]\n",
		argv[0], REPS_MAX);
	return 2;
}
