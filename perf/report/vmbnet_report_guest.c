// SPDX-License-Identifier: MIT
/*
 * vmbnet-report: turn the main job's guest console logs into the table,
 * reports/guest-cycle.json and one .hgrm latency file per DDI run.
 *
 * usage: vmbnet-report --out DIR <label>=<console.log>...
 *   label: what the boot was, e.g. "vmbnet/udp", "vmbnet/dpdk-null",
 *          "virtio-net/null"; a label ending in "null" compares with
 *          virtio-net/null, any other with virtio-net/udp. A label given
 *          more than once is one configuration booted in several rounds.
 *
 * Reads "vmbnet-result: <name> key=value..." and "vmbnet-hist: <name>
 * <bucket> <count>" lines, the kernel's command line and the main job's
 * "vmbnet-qemu-args:" line. A boot under "-icount shift=S" is its own row
 * (label@icount), and gains the guest instructions per frame: under icount
 * the guest's clock moves 2^S ns per instruction, and jumps ahead only
 * while the guest is idle, which the DDI runs measure (idle_ns) and
 * pktgen's busy thread leaves out. Each row is the
 * median of its rounds' packet rates with their spread ((max - min) /
 * median); latency percentiles come from the rounds' histograms merged;
 * ratios are of medians. Fails when a log has no results at all (the
 * measurement was not made), and says so loudly when a guest was booted
 * with debug options (its figures measure the debugging).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmbnet_hist.h"
#include "vmbnet_report.h"

#define MAX_RUNS 32
#define __stringify_1(x) #x
#define __stringify(x) __stringify_1(x)
#define MAX_ROUNDS 99

struct run {
	char label[80]; /* device/backend[@icount] */
	char name[32]; /* ddi-64, vmbnet-pktgen, ... */
	uint64_t frames, size, window, batch, elapsed_ns, failed, burst, rate;
	uint64_t pps; /* the median of the rounds */
	uint64_t samples[MAX_ROUNDS]; /* each round's pps, in boot order */
	int nsamples;
	int icount_shift; /* -icount shift=S of the boot, or -1 */
	uint64_t ipf[MAX_ROUNDS]; /* guest instructions per frame, per round */
	struct vmbnet_hist *hist;
};

static struct run runs[MAX_RUNS];
static int nruns;
static int debug_logs; /* logs of guests booted with debug options */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The median of @v's @n values (the mean of the middle two for an even count). */
static uint64_t median_of(const uint64_t *v, int n, uint64_t *min, uint64_t *max)
{
	uint64_t s[MAX_ROUNDS];

	memcpy(s, v, n * sizeof(s[0]));
	qsort(s, n, sizeof(s[0]), cmp_u64);
	*min = s[0];
	*max = s[n - 1];
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static uint64_t median(const struct run *x, uint64_t *min, uint64_t *max)
{
	return median_of(x->samples, x->nsamples, min, max);
}

static uint64_t kv(const char *line, const char *key)
{
	char pat[48];
	const char *p;

	snprintf(pat, sizeof(pat), " %s=", key);
	p = strstr(line, pat);
	return p ? strtoull(p + strlen(pat), NULL, 10) : 0;
}

/* The "-icount shift=S" on a log's "vmbnet-qemu-args:" line, or -1. */
static int icount_shift(FILE *f)
{
	char line[1024];
	int shift = -1;
	const char *p;

	while (fgets(line, sizeof(line), f))
		if (strstr(line, "vmbnet-qemu-args:") && (p = strstr(line, " -icount ")) &&
		    (p = strstr(p, "shift=")))
			shift = atoi(p + 6);
	rewind(f);
	return shift >= 0 && shift <= 10 ? shift : -1;
}

/* Guest instructions per frame of one round under icount (0: unknown). */
static uint64_t instructions_per_frame(const char *r, uint64_t frames, uint64_t pps, int shift)
{
	uint64_t elapsed = kv(r, "elapsed_ns"), idle = kv(r, "idle_ns");

	if (elapsed && frames) /* the DDI runs: their own elapsed and idle time */
		return elapsed > idle ? ((elapsed - idle) >> shift) / frames : 0;
	return pps ? (1000000000ull >> shift) / pps : 0; /* pktgen: busy throughout */
}

static struct run *find(const char *label, const char *name, bool create)
{
	for (int i = 0; i < nruns; i++)
		if (!strcmp(runs[i].label, label) && !strcmp(runs[i].name, name))
			return &runs[i];
	if (!create || nruns == MAX_RUNS)
		return NULL;
	snprintf(runs[nruns].label, sizeof(runs[nruns].label), "%s", label);
	snprintf(runs[nruns].name, sizeof(runs[nruns].name), "%s", name);
	runs[nruns].icount_shift = -1;
	return &runs[nruns++];
}

static int parse(const char *label, const char *path)
{
	char line[512], name[64], tag[80];
	int found = 0, shift;
	FILE *f = fopen(path, "r");

	if (!f) {
		perror(path);
		return -1;
	}
	shift = icount_shift(f);
	if (shift >= 0) { /* guest time: never one row with wall-clock rounds */
		snprintf(tag, sizeof(tag), "%s@icount", label);
		label = tag;
	}
	while (fgets(line, sizeof(line), f)) {
		const char *r = strstr(line, "vmbnet-result: ");
		const char *h = strstr(line, "vmbnet-hist: ");
		unsigned int bucket;
		uint64_t count;
		struct run *x;

		if (strstr(line, "Kernel command line:") &&
		    (strstr(line, "slub_debug") || strstr(line, "panic_on_warn"))) {
			debug_logs++;
			fprintf(stderr,
				"vmbnet-report: %s (%s): the guest was booted with debug options\n",
				path, label);
		}
		if (r && sscanf(r + 15, "%63s", name) == 1 && !strstr(name, "-hist")) {
			uint64_t pps;

			x = find(label, name, true);
			if (!x || x->nsamples == MAX_ROUNDS)
				break;
			x->frames = kv(r, "frames");
			x->size = kv(r, "size");
			x->window = kv(r, "window");
			x->batch = kv(r, "batch");
			x->elapsed_ns = kv(r, "elapsed_ns");
			x->failed = kv(r, "failed");
			x->burst = kv(r, "burst");
			x->rate = kv(r, "rate");
			pps = kv(r, "pps");
			if (!pps && x->elapsed_ns)
				pps = x->frames * 1000000000ull / x->elapsed_ns;
			x->icount_shift = shift;
			if (shift >= 0)
				x->ipf[x->nsamples] =
					instructions_per_frame(r, x->frames, pps, shift);
			x->samples[x->nsamples++] = pps;
			found++;
		} else if (h && sscanf(h + 13, "%63s %u %" SCNu64, name, &bucket, &count) == 3 &&
			   bucket < VMBNET_HIST_LEN) {
			x = find(label, name, true);
			if (!x)
				break;
			if (!x->hist)
				x->hist = calloc(1, sizeof(*x->hist));
			x->hist->counts[bucket] += count;
			x->hist->total += count;
			if (vmbnet_hist_value(bucket) > x->hist->max)
				x->hist->max = vmbnet_hist_value(bucket);
		}
	}
	fclose(f);
	if (!found)
		fprintf(stderr, "vmbnet-report: no results in %s (%s)\n", path, label);
	return found ? 0 : -1;
}

static void write_hgrm(const struct run *x, const char *dir)
{
	char path[4096];

	if (snprintf(path, sizeof(path), "%s/guest-cycle-%s-%s.hgrm", dir, x->name, x->label) >=
	    (int)sizeof(path))
		return;
	for (char *p = path + strlen(dir) + 1; *p; p++)
		if (*p == '/')
			*p = '_';
	vmbnet_report_hgrm(x->hist, path);
}

static const struct run *peer_pktgen(const char *device_backend)
{
	for (int i = 0; i < nruns; i++)
		if (!strcmp(runs[i].label, device_backend) && strstr(runs[i].name, "pktgen"))
			return &runs[i];
	return NULL;
}

/*
 * The virtio-net pktgen row @x compares with: without a netdev for frames
 * that end in the device or a null port ("/null", "/dpdk-null"), over the
 * UDP socket otherwise; under icount, the virtio-net boot under icount.
 */
static const struct run *peer_of(const struct run *x)
{
	char base[64], peer[80];
	const char *at = strstr(x->label, "@icount");
	size_t n = at ? (size_t)(at - x->label) : strlen(x->label);

	snprintf(base, sizeof(base), "%.*s", (int)n, x->label);
	snprintf(peer, sizeof(peer), "virtio-net/%s%s",
		 n >= 4 && !strcmp(base + n - 4, "null") ? "null" : "udp", at ? "@icount" : "");
	return peer_pktgen(peer);
}

/* The instructions per frame of the boots under icount, and their JSON. */
static void print_instructions(json_t *const *res)
{
	bool any = false;

	for (int i = 0; i < nruns; i++) {
		const struct run *x = &runs[i], *peer = peer_of(x);
		uint64_t lo, hi, plo, phi, ipf, pipf = 0;
		char ratio[32] = "";

		if (x->icount_shift < 0 || !x->nsamples || x->rate)
			continue;
		if (!any)
			printf("\nguest instructions per frame (-icount shift=%d: the guest's busy "
			       "time / %d ns; median of the rounds)\n"
			       "%-24s %-16s %6s %2s %10s %7s  %s\n",
			       x->icount_shift, 1 << x->icount_shift, "device/backend", "run",
			       "bytes", "n", "instr", "spread", "vs virtio-net pktgen");
		any = true;
		ipf = median_of(x->ipf, x->nsamples, &lo, &hi);
		if (peer && peer != x && peer->nsamples)
			pipf = median_of(peer->ipf, peer->nsamples, &plo, &phi);
		if (pipf)
			snprintf(ratio, sizeof(ratio), "%.2fx", (double)ipf / (double)pipf);
		printf("%-24s %-16s %6" PRIu64 " %2d %10" PRIu64 " %6.1f%%  %s\n", x->label,
		       x->name, x->size, x->nsamples, ipf, ipf ? 100.0 * (hi - lo) / ipf : 0.0,
		       ratio);
		json_object_set_new(res[i], "instructions_per_frame",
				    json_integer((json_int_t)ipf));
		json_object_set_new(res[i], "icount_shift", json_integer(x->icount_shift));
	}
}

/*
 * Guest instructions per 64-byte DDI frame before the cut: the main job's
 * -icount boot on 2026-12-06, before batching (the target is half of it).
 */
#define DDI_INSTR_BEFORE 1844

/* One target: @x's figure over @y's (or @x's own with @y NULL) against @want. */
static void target(const char *what, const struct run *x, const struct run *y, double want,
		   bool at_most)
{
	double v;

	if (!x || !x->pps || (y && !y->pps))
		return;
	v = y ? (double)x->pps / (double)y->pps : (double)x->pps;
	printf("target: %-56s %8.*f%s (%s %.*f%s): %s\n", what, y ? 2 : 0, v, y ? "x" : "",
	       at_most ? "<=" : ">=", y ? 2 : 0, want, y ? "x" : "",
	       (at_most ? v <= want : v >= want) ? "met" : "MISSED");
}

static void print_targets(void)
{
	const struct run *ddi = find("vmbnet/null", "ddi-64", false);
	const struct run *vnull = find("virtio-net/null", "virtio-pktgen", false);
	const struct run *ic = find("vmbnet/null@icount", "ddi-64", false);
	struct run ipf = { .pps = 0 };
	uint64_t lo, hi;

	printf("\n");
	target("DDI cycle 64 B / virtio-net pktgen, no netdev", ddi, vnull, 3, false);
	target("DDI cycle 64 B / virtio-net pktgen, UDP backend",
	       find("vmbnet/udp", "ddi-64", false), find("virtio-net/udp", "virtio-pktgen", false),
	       10, false);
	target("vmbnet pktgen / virtio-net pktgen, no netdev",
	       find("vmbnet/null", "vmbnet-pktgen", false), vnull, 2, false);
	target("datapath B / datapath A, DDI cycle 64 B", find("vmbnet/dpdk-null", "ddi-64", false),
	       ddi, 1.5, false);
	target("datapath B DDI 64 B / virtio-net on vhost-user (testpmd)",
	       find("vmbnet/dpdk-null", "ddi-64", false),
	       find("virtio-net/vhost-user", "virtio-pktgen", false), 2, false);
	if (ic && ic->nsamples) {
		ipf.pps = median_of(ic->ipf, ic->nsamples, &lo, &hi);
		target("guest instructions per DDI frame (" __stringify(
			       DDI_INSTR_BEFORE) " before)",
		       &ipf, NULL, DDI_INSTR_BEFORE / 2, true);
	}
}

int main(int argc, char **argv)
{
	const char *out = ".";
	struct vmbnet_report rep;
	json_t *res[MAX_RUNS];
	bool wall = false; /* boots in wall-clock time: icount rows only in their table */
	int i, c, bad = 0;

	static const struct option opts[] = { { "out", required_argument, NULL, 'o' }, { 0 } };
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'o') {
			fprintf(stderr, "usage: %s --out DIR label=console.log...\n", argv[0]);
			return 2;
		}
		out = optarg;
	}
	for (i = optind; i < argc; i++) {
		char label[64];
		const char *eq = strchr(argv[i], '=');

		if (!eq || eq - argv[i] >= (long)sizeof(label)) {
			fprintf(stderr, "vmbnet-report: expected label=log, got '%s'\n", argv[i]);
			return 2;
		}
		snprintf(label, sizeof(label), "%.*s", (int)(eq - argv[i]), argv[i]);
		bad |= parse(label, eq + 1) != 0;
	}
	if (!nruns)
		return 1;
	for (i = 0; i < nruns; i++) {
		uint64_t lo, hi;

		runs[i].pps = runs[i].nsamples ? median(&runs[i], &lo, &hi) : 0;
	}
	vmbnet_report_init(&rep, "guest-cycle");
	printf("\nvmbnet main job: QEMU TCG (q35, -cpu max, 1 vCPU), %s\n", vmbnet_cpu_model());
	printf("pps: the median of the rounds, spread (max - min) / median; latency: all rounds\n");
	printf("%-22s %-16s %6s %2s %10s %7s %9s %9s %9s %9s %9s  %s\n", "device/backend", "run",
	       "bytes", "n", "pps", "spread", "p50 us", "p90 us", "p99 us", "p99.9 us", "max us",
	       "vs virtio pktgen");
	for (i = 0; i < nruns; i++)
		wall |= runs[i].icount_shift < 0;
	for (i = 0; i < nruns; i++) {
		const struct run *x = &runs[i];
		const struct run *peer = peer_of(x);
		json_t *samples = json_array();
		char ratio[32] = "";
		uint64_t lo = 0, hi = 0;
		double spread = 0;
		bool show;

		res[i] = vmbnet_report_result(&rep);
		show = !(wall && x->icount_shift >= 0);
		if (x->nsamples)
			median(x, &lo, &hi);
		if (x->pps)
			spread = (double)(hi - lo) / (double)x->pps;
		if (peer && peer != x && peer->pps)
			snprintf(ratio, sizeof(ratio), "%.2fx", (double)x->pps / (double)peer->pps);
		if (show)
			printf("%-22s %-16s %6" PRIu64 " %2d %10" PRIu64 " %6.1f%%", x->label,
			       x->name, x->size, x->nsamples, x->pps, 100.0 * spread);
		for (int k = 0; k < x->nsamples; k++)
			json_array_append_new(samples, json_integer((json_int_t)x->samples[k]));
		json_object_set_new(res[i], "config",
				    json_pack("{s:s, s:s, s:I, s:I, s:I, s:I}", "device_backend",
					      x->label, "run", x->name, "frame_bytes",
					      (json_int_t)x->size, "window", (json_int_t)x->window,
					      "batch", (json_int_t)(x->batch ?: x->burst), "frames",
					      (json_int_t)x->frames));
		if (x->rate)
			json_object_set_new(json_object_get(res[i], "config"), "rate_pps",
					    json_integer((json_int_t)x->rate));
		json_object_set_new(res[i], "pps", json_integer((json_int_t)x->pps));
		json_object_set_new(res[i], "pps_rounds", samples);
		json_object_set_new(res[i], "pps_min", json_integer((json_int_t)lo));
		json_object_set_new(res[i], "pps_max", json_integer((json_int_t)hi));
		json_object_set_new(res[i], "spread", json_real(spread));
		if (x->hist && x->hist->total) {
			uint64_t p[4] = { vmbnet_hist_at(x->hist, 500000),
					  vmbnet_hist_at(x->hist, 900000),
					  vmbnet_hist_at(x->hist, 990000),
					  vmbnet_hist_at(x->hist, 999000) };

			if (show)
				printf(" %9.1f %9.1f %9.1f %9.1f %9.1f", p[0] / 1e3, p[1] / 1e3,
				       p[2] / 1e3, p[3] / 1e3, x->hist->max / 1e3);
			json_object_set_new(
				res[i], "latency_ns",
				json_pack("{s:I, s:I, s:I, s:I, s:I}", "p50", (json_int_t)p[0],
					  "p90", (json_int_t)p[1], "p99", (json_int_t)p[2], "p999",
					  (json_int_t)p[3], "max", (json_int_t)x->hist->max));
			write_hgrm(x, out);
		} else {
			if (show)
				printf(" %9s %9s %9s %9s %9s", "-", "-", "-", "-", "-");
		}
		if (show)
			printf("  %s\n", ratio);
		if (peer && peer != x && peer->pps) {
			json_object_set_new(res[i], "peer",
					    json_pack("{s:s, s:I}", "name", peer->label, "pps",
						      (json_int_t)peer->pps));
			json_object_set_new(res[i], "ratio_to_peer",
					    json_real((double)x->pps / peer->pps));
		}
		if (x->failed && show)
			printf("  (%" PRIu64 " completions carried a failure status)\n", x->failed);
	}
	print_instructions(res);
	print_targets();
	if (debug_logs)
		printf("WARNING: %d of the guests were booted with debug options (slub_debug, "
		       "panic_on_warn): their figures measure the debugging\n",
		       debug_logs);
	c = vmbnet_report_write(&rep, out);
	vmbnet_report_fini(&rep);
	return bad || c ? 1 : 0;
}
