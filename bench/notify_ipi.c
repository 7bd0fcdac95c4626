// SPDX-License-Identifier: MIT
/*
 * notify_ipi.c - what a neighbour's parking costs a busy lane, with the
 * default notify mode (asymmetric: publishers register for membarrier,
 * waiters issue membarrier(GLOBAL_EXPEDITED) when they park) and with
 * BYTEOR_NOTIFY=fenced (publishers fence instead and do not register).
 *
 * The busy lane: two processes, ping pinned to CPU 0 and pong pinned to
 * CPU 1, exchange 8-byte messages over two single rings with the SPIN
 * strategy (nobody of theirs ever parks); ping times each round trip.
 * The neighbour: a third process whose consumer parks (PARK strategy) on
 * its own ring, woken by a fourth that publishes once a millisecond - so
 * it parks about 1000 times a second, each park a membarrier.
 *
 * Four configurations, rotated within each repetition: busy lane in mode
 * asym or fenced, neighbour off or on.  Reported per configuration: round
 * trip p50/p99/p99.9/p99.99/max (median over repetitions of each), the
 * neighbour's parks, and the function-call interrupts (/proc/interrupts
 * "CAL", how membarrier's IPIs are counted on x86) that reached the busy
 * CPUs during the run.  The IPI count is the mechanism and is exact; the
 * percentiles on a shared 2-CPU host also carry the neighbour's own CPU
 * time (it runs on the busy CPUs here; on a host with isolated busy cores
 * it would not), so compare fenced against asym with the neighbour on.
 *
 *	notify-ipi [-r REPS] [-n ROUNDS] [-d DIR]
 *
 * DIR: userspace backing directory (default a private one in /dev/shm).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <byteor/region.h>
#include <byteor/single_ring.h>

#define MAXROUNDS	2000000
#define MAXREPS		32
#define NCONF		4

struct shared {
	volatile int go;		/* ping may start (neighbour running) */
	volatile int stop;		/* neighbour: stop */
	volatile unsigned long long parks;	/* neighbour's parks */
	unsigned int n;			/* rounds measured */
	unsigned int ns[MAXROUNDS];	/* round trips, ns */
};

static const char *dir;
static unsigned int rounds = 200000;

static long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "notify-ipi: %s: %s\n", what, byteor_strerror(err));
	exit(1);
}

static void pin(int cpu)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	sched_setaffinity(0, sizeof(s), &s);
}

static void create_ring(const char *name)
{
	struct byteor_region_options o = {
		.name = name, .kind = BYTEOR_KIND_SINGLE_RING,
		.geometry = { .slot_size = 8, .capacity = 64, .queues = 1,
			      .producers = 1 },
		.backing = BYTEOR_BACKING_USER, .dir = dir,
	};
	int r;

	byteor_region_destroy(name, BYTEOR_BACKING_USER, dir);
	r = byteor_region_create(&o, NULL);
	if (r)
		die(name, r);
}

static struct byteor_single_ring *attach(const char *name, int role,
					 int strategy)
{
	struct byteor_attach_options o = {
		.name = name, .backing = BYTEOR_BACKING_USER, .dir = dir,
		.wait_strategy = strategy, .timeout_ns = -1,
	};
	struct byteor_single_ring *r;
	int ret;

	ret = byteor_attach_single_ring(&o, role, &r);
	if (ret)
		die(name, ret);
	return r;
}

/* The busy lane's two ends.  @fenced: BYTEOR_NOTIFY=fenced, set before
 * this process's first attach (the library reads it once). */
static void busy_env(int fenced)
{
	if (fenced)
		setenv("BYTEOR_NOTIFY", "fenced", 1);
	else
		unsetenv("BYTEOR_NOTIFY");
}

static void pong(int fenced)
{
	struct byteor_single_ring *rx, *tx;
	uint64_t v;
	unsigned int i;

	busy_env(fenced);
	pin(1);
	rx = attach("ipi.a2b", BYTEOR_ROLE_CONSUMER, BYTEOR_WAIT_SPIN);
	tx = attach("ipi.b2a", BYTEOR_ROLE_PRODUCER, BYTEOR_WAIT_SPIN);
	for (i = 0; i < rounds + 1000; i++) {
		if (byteor_single_ring_recv(rx, &v, sizeof(v)) != 8)
			_exit(2);
		if (byteor_single_ring_send(tx, &v, sizeof(v)))
			_exit(3);
	}
	_exit(0);
}

static void ping(int fenced, struct shared *sh)
{
	struct byteor_single_ring *rx, *tx;
	long long t0;
	uint64_t v;
	unsigned int i;

	busy_env(fenced);
	pin(0);
	tx = attach("ipi.a2b", BYTEOR_ROLE_PRODUCER, BYTEOR_WAIT_SPIN);
	rx = attach("ipi.b2a", BYTEOR_ROLE_CONSUMER, BYTEOR_WAIT_SPIN);
	while (!sh->go)
		sched_yield();
	/* 1000 rounds of warm-up, then the measured ones. */
	for (i = 0; i < rounds + 1000; i++) {
		t0 = now_ns();
		v = i;
		if (byteor_single_ring_send(tx, &v, sizeof(v)))
			_exit(3);
		if (byteor_single_ring_recv(rx, &v, sizeof(v)) != 8 || v != i)
			_exit(2);
		if (i >= 1000)
			sh->ns[i - 1000] = (unsigned int)(now_ns() - t0);
	}
	sh->n = rounds;
	_exit(0);
}

/* The neighbour: a consumer that parks on every empty ring. */
static void parker(struct shared *sh)
{
	struct byteor_single_ring_snapshot s;
	struct byteor_single_ring *rx;
	uint64_t v;

	rx = attach("ipi.nb", BYTEOR_ROLE_CONSUMER, BYTEOR_WAIT_PARK);
	while (!sh->stop) {
		if (byteor_single_ring_recv_timed(rx, &v, sizeof(v),
						  100000000LL) == 8 &&
		    !byteor_single_ring_snapshot(rx, &s))
			sh->parks = s.wait.parks;
	}
	_exit(0);
}

/* ... and its waker: one message a millisecond (absolute sleeps). */
static void waker(struct shared *sh)
{
	struct byteor_single_ring *tx;
	struct timespec t;
	uint64_t v = 0;

	tx = attach("ipi.nb", BYTEOR_ROLE_PRODUCER, BYTEOR_WAIT_PARK);
	clock_gettime(CLOCK_MONOTONIC, &t);
	while (!sh->stop) {
		t.tv_nsec += 1000000;
		if (t.tv_nsec >= 1000000000) {
			t.tv_nsec -= 1000000000;
			t.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL);
		byteor_single_ring_send_timed(tx, &v, sizeof(v), 0);
		v++;
	}
	_exit(0);
}

/* Function-call interrupts received by CPUs 0 and 1 so far. */
static unsigned long long cal_irqs(void)
{
	unsigned long long a = 0, b = 0;
	char line[4096];
	FILE *f = fopen("/proc/interrupts", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " CAL: %llu %llu", &a, &b) == 2)
			break;
	fclose(f);
	return a + b;
}

static pid_t spawn(void (*fn)(int, struct shared *), int arg,
		   struct shared *sh)
{
	pid_t pid = fork();

	if (pid < 0) {
		perror("fork");
		exit(1);
	}
	if (!pid)
		fn(arg, sh);
	return pid;
}

static void do_pong(int fenced, struct shared *sh) { (void)sh; pong(fenced); }
static void do_ping(int fenced, struct shared *sh) { ping(fenced, sh); }
static void do_parker(int a, struct shared *sh) { (void)a; parker(sh); }
static void do_waker(int a, struct shared *sh) { (void)a; waker(sh); }

static int cmp_uint(const void *a, const void *b)
{
	unsigned int x = *(const unsigned int *)a, y = *(const unsigned int *)b;

	return x < y ? -1 : x > y;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct result {
	double p50, p99, p999, p9999, max;
	double irqs_per_s, parks_per_s;
};

static int wait_ok(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		return 0;
	return WIFEXITED(st) && !WEXITSTATUS(st);
}

static struct result run_one(struct shared *sh, int fenced, int neighbour)
{
	pid_t pp, pi, pk = 0, pw = 0;
	unsigned long long irq0, irq1;
	struct result r;
	long long t0, t1;
	unsigned int n;

	memset(sh, 0, offsetof(struct shared, ns));
	create_ring("ipi.a2b");
	create_ring("ipi.b2a");
	if (neighbour) {
		create_ring("ipi.nb");
		pk = spawn(do_parker, 0, sh);
		pw = spawn(do_waker, 0, sh);
		usleep(100000);	/* parking at its rate before we measure */
	}
	pp = spawn(do_pong, fenced, sh);
	pi = spawn(do_ping, fenced, sh);
	usleep(50000);
	irq0 = cal_irqs();
	t0 = now_ns();
	{
		unsigned long long k0 = sh->parks;

		sh->go = 1;
		if (!wait_ok(pi) || !wait_ok(pp)) {
			fprintf(stderr, "notify-ipi: the busy lane failed\n");
			exit(1);
		}
		t1 = now_ns();
		irq1 = cal_irqs();
		r.parks_per_s = (double)(sh->parks - k0) * 1e9 / (double)(t1 - t0);
	}
	if (neighbour) {
		sh->stop = 1;
		wait_ok(pw);
		kill(pk, SIGKILL);	/* it may be parked for its 100 ms */
		waitpid(pk, NULL, 0);
		byteor_region_destroy("ipi.nb", BYTEOR_BACKING_USER, dir);
	}
	byteor_region_destroy("ipi.a2b", BYTEOR_BACKING_USER, dir);
	byteor_region_destroy("ipi.b2a", BYTEOR_BACKING_USER, dir);
	n = sh->n;
	qsort(sh->ns, n, sizeof(sh->ns[0]), cmp_uint);
	r.p50 = sh->ns[n / 2];
	r.p99 = sh->ns[(unsigned long long)n * 99 / 100];
	r.p999 = sh->ns[(unsigned long long)n * 999 / 1000];
	r.p9999 = sh->ns[(unsigned long long)n * 9999 / 10000];
	r.max = sh->ns[n - 1];
	r.irqs_per_s = (double)(irq1 - irq0) * 1e9 / (double)(t1 - t0);
	return r;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	static const char *const names[NCONF] = {
		"asym,   quiet", "asym,   neighbour", "fenced, quiet",
		"fenced, neighbour",
	};
	static struct result res[NCONF][MAXREPS];
	char tmpl[] = "/dev/shm/byteor-ipi-XXXXXX";
	struct shared *sh;
	int reps = 5, opt, rep, k, c;

	while ((opt = getopt(argc, argv, "r:n:d:")) != -1) {
		switch (opt) {
		case 'r': reps = atoi(optarg); break;
		case 'n': rounds = (unsigned int)atoi(optarg); break;
		case 'd': dir = optarg; break;
		default:
			fprintf(stderr, "usage: notify-ipi [-r REPS] [-n ROUNDS] [-d DIR]\n");
			return 2;
		}
	}
	if (reps < 1 || reps > MAXREPS || rounds < 1000 || rounds > MAXROUNDS) {
		fprintf(stderr, "notify-ipi: -r 1..%d, -n 1000..%d\n", MAXREPS,
			MAXROUNDS);
		return 2;
	}
	if (!dir) {
		dir = mkdtemp(tmpl);
		if (!dir) {
			perror("mkdtemp");
			return 1;
		}
	}
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	printf("notify-ipi: %d repetitions x %u round trips per configuration, "
	       "order rotated per repetition\n", reps, rounds);
	for (rep = 0; rep < reps; rep++)
		for (k = 0; k < NCONF; k++) {
			c = (k + rep) % NCONF;
			res[c][rep] = run_one(sh, c >= 2, c & 1);
		}
	printf("%-18s %8s %8s %9s %10s %9s %10s %10s\n", "mode, neighbour",
	       "p50 ns", "p99 ns", "p99.9 ns", "p99.99 ns", "max us",
	       "CAL IRQ/s", "nb parks/s");
	for (c = 0; c < NCONF; c++) {
		double v[7][MAXREPS];

		for (rep = 0; rep < reps; rep++) {
			v[0][rep] = res[c][rep].p50;
			v[1][rep] = res[c][rep].p99;
			v[2][rep] = res[c][rep].p999;
			v[3][rep] = res[c][rep].max;
			v[4][rep] = res[c][rep].irqs_per_s;
			v[5][rep] = res[c][rep].parks_per_s;
			v[6][rep] = res[c][rep].p9999;
		}
		printf("%-18s %8.0f %8.0f %9.0f %10.0f %9.0f %10.0f %10.0f\n",
		       names[c], median(v[0], reps), median(v[1], reps),
		       median(v[2], reps), median(v[6], reps),
		       median(v[3], reps) / 1e3, median(v[4], reps),
		       median(v[5], reps));
	}
	printf("(medians over repetitions; CAL: function-call IPIs received by "
	       "CPUs 0 and 1, the busy lane's)\n");
	if (!strncmp(dir, "/dev/shm/byteor-ipi-", 20))
		rmdir(dir);
	return 0;
}
