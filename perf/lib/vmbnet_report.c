// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vmbnet_hist.h"
#include "vmbnet_report.h"

const char *vmbnet_cpu_model(void)
{
	static char model[128];
	char line[256];
	FILE *f;

	if (model[0])
		return model;
	snprintf(model, sizeof(model), "unknown");
	f = fopen("/proc/cpuinfo", "r");
	while (f && fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (strncmp(line, "model name", 10) || !colon)
			continue;
		snprintf(model, sizeof(model), "%s", colon + 2);
		model[strcspn(model, "\n")] = 0;
		break;
	}
	if (f)
		fclose(f);
	return model;
}

uint64_t vmbnet_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int vmbnet_report_init(struct vmbnet_report *r, const char *benchmark)
{
	snprintf(r->name, sizeof(r->name), "%s", benchmark);
	r->results = json_array();
	r->root = json_pack("{s:s, s:{s:I, s:s}}", "benchmark", benchmark, "machine", "cpus",
			    (json_int_t)sysconf(_SC_NPROCESSORS_ONLN), "model", vmbnet_cpu_model());
	if (!r->root || !r->results)
		return -ENOMEM;
	json_object_set(r->root, "results", r->results);
	return 0;
}

json_t *vmbnet_report_result(struct vmbnet_report *r)
{
	json_t *res = json_object();

	json_array_append_new(r->results, res);
	return res;
}

int vmbnet_report_write(struct vmbnet_report *r, const char *dir)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s.json", dir, r->name);
	if (json_dump_file(r->root, path, JSON_INDENT(2) | JSON_SORT_KEYS)) {
		fprintf(stderr, "%s: cannot write %s\n", r->name, path);
		return -EIO;
	}
	printf("report: %s\n", path);
	return 0;
}

void vmbnet_report_fini(struct vmbnet_report *r)
{
	json_decref(r->results);
	json_decref(r->root);
}

int vmbnet_report_hgrm(const struct vmbnet_hist *h, const char *path)
{
	double level = 0;
	FILE *f = fopen(path, "w");

	if (!f)
		return -errno;
	fprintf(f, "%12s %14s %10s %14s\n\n", "Value", "Percentile", "TotalCount",
		"1/(1-Percentile)");
	for (;;) {
		uint32_t ppm = (uint32_t)(level * 10000.0 + 0.5);
		uint64_t v = vmbnet_hist_at(h, ppm > 1000000 ? 1000000 : ppm);
		uint64_t cnt = (uint64_t)((double)h->total * level / 100.0 + 0.5);
		double half = 100.0 - level, step = 1;

		if (level >= 100.0) {
			fprintf(f, "%12.3f %14.12f %10" PRIu64 "\n", v / 1000.0, 1.0, h->total);
			break;
		}
		fprintf(f, "%12.3f %14.12f %10" PRIu64 " %14.2f\n", v / 1000.0, level / 100.0, cnt,
			1.0 / (1.0 - level / 100.0));
		/* 5 ticks per half distance to 100 %, as HdrHistogram reports */
		while (half <= 50.0 / step && step < 1e12)
			step *= 2;
		level += 100.0 / (10.0 * step);
		if (100.0 - level < 1e-7 || (double)h->total * (100.0 - level) / 100.0 < 0.5)
			level = 100.0;
	}
	fprintf(f, "#[Max     = %12.3f, Total count    = %12" PRIu64 "]\n", h->max / 1000.0,
		h->total);
	fprintf(f, "#[Buckets = %12d, SubBuckets     = %12d]\n", VMBNET_HIST_MAX_SHIFT + 1,
		VMBNET_HIST_SUB);
	fclose(f);
	return 0;
}
