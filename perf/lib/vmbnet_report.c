// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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
	r->root = json_pack("{s:s, s:{s:I, s:s}}", "benchmark", benchmark,
			    "machine", "cpus", (json_int_t)sysconf(_SC_NPROCESSORS_ONLN),
			    "model", vmbnet_cpu_model());
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
