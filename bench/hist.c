// SPDX-License-Identifier: MIT
/*
 * hist.c - percentiles of the log-linear histogram (see hist.h).
 */
#include <string.h>
#include "hist.h"

void hist_reset(struct hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

void hist_merge(struct hist *dst, const struct hist *src)
{
	unsigned int i;

	for (i = 0; i < HIST_BUCKETS; i++)
		dst->c[i] += src->c[i];
	dst->count += src->count;
	dst->overflow += src->overflow;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

uint64_t hist_lo(unsigned int i)
{
	unsigned int b;

	if (i < 2 * HIST_SUB)
		return i;
	b = (i >> HIST_SUB_BITS) - 1;
	return (uint64_t)((i & (HIST_SUB - 1)) | HIST_SUB) << b;
}

uint64_t hist_hi(unsigned int i)
{
	unsigned int b;

	if (i < 2 * HIST_SUB)
		return i;
	b = (i >> HIST_SUB_BITS) - 1;
	return hist_lo(i) + (1ULL << b) - 1;
}

uint64_t hist_pct(const struct hist *h, double p)
{
	uint64_t want, seen = 0;
	unsigned int i;

	if (!h->count)
		return 0;
	if (p >= 100.0)
		return h->max;
	/* The rank of the percentile, rounded up, at least the first value. */
	want = (uint64_t)(p / 100.0 * (double)h->count + 0.5);
	if (want < 1)
		want = 1;
	for (i = 0; i < HIST_BUCKETS; i++) {
		seen += h->c[i];
		if (seen >= want) {
			uint64_t v = hist_hi(i);

			/* Never report beyond what was actually seen. */
			return v > h->max ? h->max : (v < h->min ? h->min : v);
		}
	}
	return h->max;
}
