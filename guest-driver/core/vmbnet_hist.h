/* SPDX-License-Identifier: MIT */
/*
 * A log-linear latency histogram, HdrHistogram-style: 3 significant digits
 * (2048 sub-buckets per power of two), values up to 2^43 ns. Recording is
 * integer-only, lock-free for one writer and allocation-free, so it runs in
 * the kernel's completion path; percentiles and the .hgrm text are computed
 * from the counts (userspace prints them).
 */
#ifndef VMBNET_HIST_H
#define VMBNET_HIST_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdint.h>
#endif

#define VMBNET_HIST_SUB_BITS 11
#define VMBNET_HIST_SUB (1u << VMBNET_HIST_SUB_BITS)
#define VMBNET_HIST_HALF (VMBNET_HIST_SUB / 2)
#define VMBNET_HIST_MAX_SHIFT 32
#define VMBNET_HIST_LEN (VMBNET_HIST_SUB + VMBNET_HIST_MAX_SHIFT * VMBNET_HIST_HALF)

struct vmbnet_hist {
	uint64_t total, sum, min, max;
	uint64_t counts[VMBNET_HIST_LEN];
};

static inline uint32_t vmbnet_hist_index(uint64_t v)
{
	int shift;

	if (v < VMBNET_HIST_SUB)
		return (uint32_t)v;
	shift = (63 - __builtin_clzll(v)) - (VMBNET_HIST_SUB_BITS - 1);
	if (shift > VMBNET_HIST_MAX_SHIFT) {
		shift = VMBNET_HIST_MAX_SHIFT;
		v = ((uint64_t)VMBNET_HIST_SUB - 1) << shift;
	}
	return VMBNET_HIST_SUB + (uint32_t)(shift - 1) * VMBNET_HIST_HALF +
	       (uint32_t)((v >> shift) - VMBNET_HIST_HALF);
}

/* The highest value that lands in bucket @idx. */
static inline uint64_t vmbnet_hist_value(uint32_t idx)
{
	uint32_t shift, sub;

	if (idx < VMBNET_HIST_SUB)
		return idx;
	shift = (idx - VMBNET_HIST_SUB) / VMBNET_HIST_HALF + 1;
	sub = (idx - VMBNET_HIST_SUB) % VMBNET_HIST_HALF + VMBNET_HIST_HALF;
	return (((uint64_t)sub + 1) << shift) - 1;
}

static inline void vmbnet_hist_record(struct vmbnet_hist *h, uint64_t v)
{
	h->counts[vmbnet_hist_index(v)]++;
	if (!h->total || v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	h->total++;
	h->sum += v;
}

/* Value at percentile @ppm (parts per million, 500000 = p50). */
static inline uint64_t vmbnet_hist_at(const struct vmbnet_hist *h, uint32_t ppm)
{
	uint64_t want = (h->total * ppm + 999999) / 1000000, seen = 0;

	if (!want)
		want = 1;
	for (uint32_t i = 0; i < VMBNET_HIST_LEN; i++) {
		seen += h->counts[i];
		if (seen >= want)
			return vmbnet_hist_value(i) < h->max ? vmbnet_hist_value(i) : h->max;
	}
	return h->max;
}

#endif /* VMBNET_HIST_H */
