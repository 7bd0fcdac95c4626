// SPDX-License-Identifier: MIT
/*
 * bridge_natsref - the bridge benchmark's reference: the same records
 * sent through a plain NATS publish (core NATS, no JetStream, no journal)
 * from one connection to a subscriber on another.
 *
 *   bridge_natsref URL COUNT SIZE RATE
 *
 * RATE records/s (0: flat out).  Prints records/s (received over the time
 * from the first send to the last receipt), p50/p99/p99.9 of send-to-
 * receipt latency, and how many arrived (core NATS may drop what a slow
 * subscriber cannot take: the figure says so).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <nats/nats.h>

static uint64_t *lat;
static volatile uint64_t got, last_ns;
static uint64_t count;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void on_msg(natsConnection *nc, natsSubscription *sub, natsMsg *m,
		   void *closure)
{
	uint64_t t, now = now_ns();

	(void)nc;
	(void)sub;
	(void)closure;
	memcpy(&t, natsMsg_GetData(m) + 8, 8);
	if (got < count)
		lat[got] = now - t;
	last_ns = now;
	__atomic_add_fetch(&got, 1, __ATOMIC_RELEASE);
	natsMsg_Destroy(m);
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

int main(int argc, char **argv)
{
	natsConnection *pc = NULL, *sc = NULL;
	natsSubscription *sub = NULL;
	uint64_t i, size, t0, n, idle;
	double rate;
	char buf[4096];

	if (argc != 5) {
		fprintf(stderr, "usage: bridge_natsref URL COUNT SIZE RATE\n");
		return 2;
	}
	count = strtoull(argv[2], NULL, 0);
	size = strtoull(argv[3], NULL, 0);
	rate = atof(argv[4]);
	if (size < 16 || size > sizeof(buf) || !count)
		return 2;
	lat = calloc(count, sizeof(*lat));
	if (natsConnection_ConnectTo(&pc, argv[1]) != NATS_OK ||
	    natsConnection_ConnectTo(&sc, argv[1]) != NATS_OK ||
	    natsConnection_Subscribe(&sub, sc, "byteor.ref", on_msg, NULL) != NATS_OK ||
	    natsSubscription_SetPendingLimits(sub, -1, -1) != NATS_OK ||
	    natsConnection_Flush(sc) != NATS_OK) {
		fprintf(stderr, "natsref: %s\n", nats_GetLastError(NULL));
		return 1;
	}
	memset(buf, 0xab, sizeof(buf));
	t0 = now_ns();
	for (i = 0; i < count; i++) {
		uint64_t t;

		if (rate > 0) {
			uint64_t due = t0 + (uint64_t)(i * 1e9 / rate);

			while (now_ns() < due)
				if (due - now_ns() > 200000)
					usleep(100);
		}
		memcpy(buf, &i, 8);
		t = now_ns();
		memcpy(buf + 8, &t, 8);
		natsConnection_Publish(pc, "byteor.ref", buf, (int)size);
	}
	natsConnection_Flush(pc);
	/* Until everything arrived, or nothing more for 2 s. */
	for (n = 0, idle = 0; idle < 200; idle++) {
		uint64_t g = __atomic_load_n(&got, __ATOMIC_ACQUIRE);

		if (g >= count)
			break;
		if (g != n) {
			n = g;
			idle = 0;
		}
		usleep(10000);
	}
	n = __atomic_load_n(&got, __ATOMIC_ACQUIRE);
	if (n > count)
		n = count;
	if (!n) {
		fprintf(stderr, "natsref: nothing arrived\n");
		return 1;
	}
	qsort(lat, n, sizeof(*lat), cmp_u64);
	printf("%.0f records/s p50 %.1f us p99 %.1f us p99.9 %.1f us (%llu of %llu arrived)\n",
	       n / ((last_ns - t0) / 1e9), lat[n / 2] / 1e3,
	       lat[n * 99 / 100] / 1e3, lat[n * 999 / 1000] / 1e3,
	       (unsigned long long)n, (unsigned long long)count);
	natsSubscription_Destroy(sub);
	natsConnection_Destroy(pc);
	natsConnection_Destroy(sc);
	nats_Close();
	return 0;
}
