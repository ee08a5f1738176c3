/* SPDX-License-Identifier: MIT */
/*
 * Benchmark reports: every benchmark prints a table for people and writes the
 * same figures to <report-dir>/<benchmark>.json (format in DESIGN.md):
 * {"benchmark", "machine": {"cpus", "model"}, "results": [...]}.
 */
#ifndef VMBNET_REPORT_H
#define VMBNET_REPORT_H

#include <jansson.h>
#include <stdint.h>

struct vmbnet_report {
	json_t *root;
	json_t *results;
	char name[64];
};

/* Returns 0, or -ENOMEM. Fills "machine" from /proc/cpuinfo. */
int vmbnet_report_init(struct vmbnet_report *r, const char *benchmark);

/* Appends and returns a new result object (owned by the report). */
json_t *vmbnet_report_result(struct vmbnet_report *r);

/* Writes <dir>/<benchmark>.json; prints the path. Returns 0 or -errno. */
int vmbnet_report_write(struct vmbnet_report *r, const char *dir);

void vmbnet_report_fini(struct vmbnet_report *r);

struct vmbnet_hist;

/* Write @h as HdrHistogram's .hgrm percentile distribution (values in
 * microseconds) to @path. 0 or -errno.
 */
int vmbnet_report_hgrm(const struct vmbnet_hist *h, const char *path);

/* CPU model string, for reports and table headers. */
const char *vmbnet_cpu_model(void);

/* Nanoseconds on CLOCK_MONOTONIC. */
uint64_t vmbnet_now_ns(void);

#endif /* VMBNET_REPORT_H */
