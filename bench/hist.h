/* SPDX-License-Identifier: MIT */
/*
 * hist.h - a log-linear latency histogram (HdrHistogram's bucketing, our
 * own small implementation): values below 2^(HIST_SUB_BITS + 1) have a
 * counter each; above, every power of two is split into 2^HIST_SUB_BITS
 * equal sub-buckets, so any recorded value is known to within 1/128 (< 0.8 %)
 * whatever its magnitude.  Values are TSC ticks; conversion to ns happens
 * when percentiles are read, so recording is a shift, a clz and an add.
 *
 * Fixed size, no pointers: it lives in MAP_SHARED memory and is filled by a
 * forked child as well as by a thread.
 */
#ifndef BENCH_HIST_H
#define BENCH_HIST_H

#include <stdint.h>

#define HIST_SUB_BITS	7
#define HIST_SUB	(1U << HIST_SUB_BITS)
#define HIST_MAX_BITS	42	/* 2^42 ticks: > 20 minutes at 3 GHz */
#define HIST_BUCKETS	((HIST_MAX_BITS - HIST_SUB_BITS + 1) * HIST_SUB)

struct hist {
	uint64_t count;
	uint64_t min;
	uint64_t max;
	uint64_t overflow;	/* values >= 2^HIST_MAX_BITS (counted at max) */
	uint64_t c[HIST_BUCKETS];
};

static inline unsigned int hist_index(uint64_t v)
{
	unsigned int msb, b;

	if (v < 2 * HIST_SUB)
		return (unsigned int)v;
	msb = 63 - (unsigned int)__builtin_clzll(v);
	b = msb - HIST_SUB_BITS;
	return ((b + 1) << HIST_SUB_BITS) |
	       (unsigned int)((v >> b) & (HIST_SUB - 1));
}

static inline void hist_add(struct hist *h, uint64_t v)
{
	if (v >= (1ULL << HIST_MAX_BITS)) {
		h->overflow++;
		v = (1ULL << HIST_MAX_BITS) - 1;
	}
	h->c[hist_index(v)]++;
	h->count++;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

void hist_reset(struct hist *h);
void hist_merge(struct hist *dst, const struct hist *src);
/* The highest value equivalent to the bucket holding percentile @p (0..100]. */
uint64_t hist_pct(const struct hist *h, double p);
/* Lowest and highest value a bucket index stands for. */
uint64_t hist_lo(unsigned int i);
uint64_t hist_hi(unsigned int i);

#endif /* BENCH_HIST_H */
