// SPDX-License-Identifier: MIT
/*
 * vmbnet-native: the guest-driver core in userspace on one core plays the
 * guest of vmbnet-dpdk on the other, through a shared memfd and the hand-off
 * protocol, with no QEMU. Every frame goes the full DDI cycle: NBL -> RNDIS
 * packet (GPA-direct) -> ring -> backend -> DPDK port -> completion ->
 * callback. It checks that every frame completed exactly once.
 *
 * As the benchmark (--peer, --latency-run, --report-dir), in one run:
 *   1. the DPDK path users would otherwise pick, virtio-user -> vhost-user
 *      (dpdk-testpmd txonly -> rxonly, one core each), received pps;
 *   2. the native path flat out: pps, and the ratio to 1;
 *   3. the native path at half its peak rate: the completion-latency
 *      histogram (reports/native-latency.hgrm).
 * and writes reports/native.json.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vmbnet/vmb_nvsp.h"
#include "vmbnet_hist.h"
#include "vmbnet_native.h"
#include "vmbnet_report.h"

#define DEFAULT_FRAMES 2000000ull
#define DEFAULT_WINDOW 256
#define DEFAULT_BATCH 32
#define DEFAULT_SIZE 64
#define MAX_ROUNDS 9
#define CORE_SLOTS 512
#define IDLE_SPIN_NS 200000ull /* busy-poll this long without progress before sleeping */
#define ACCEPT_TIMEOUT_MS 30000
#define BRINGUP_TIMEOUT_MS 10000
#define RUN_TIMEOUT_S 300
#define TARGET_RATIO 1.5 /* issue: native >= 1.5x virtio-user/vhost-user */
#define TARGET_P99_US 20.0 /* issue: p99 < 20 us at half the peak rate */

struct opts {
	const char *socket, *backend, *peer, *report_dir;
	uint64_t frames, rate;
	uint32_t size, window, batch, rounds;
	int guest_cpu;
	bool latency_run, vlan;
	uint32_t vlan_info;
};

struct run {
	const char *name;
	uint64_t frames, rate, sent, done, failed, elapsed_ns, pps;
	struct vmbnet_hist *hist;
};

static struct vmbnet_native N;
static struct vmbnet_nbl *nbls;
static struct run *cur;
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static void observe(void *arg, uint64_t latency_ns, int32_t status)
{
	if (cur && cur->hist)
		vmbnet_hist_record(cur->hist, latency_ns);
}

static void frame_done(void *ctx, struct vmbnet_nbl *nbl, int32_t status)
{
	cur->done++;
	if (status != VMBNET_STATUS_SUCCESS)
		cur->failed++;
}

/* One frame per window slot, each in its own page of guest RAM. */
static int frames_prepare(const struct opts *o)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct vmbnet_mdl *mdl = calloc(o->window, sizeof(*mdl));
	struct vmbnet_nb *nb = calloc(o->window, sizeof(*nb));
	uint64_t *pfn = calloc(o->window * 2, sizeof(*pfn));

	nbls = calloc(o->window, sizeof(*nbls));
	if (!mdl || !nb || !pfn || !nbls)
		return -ENOMEM;
	for (uint32_t i = 0; i < o->window; i++) {
		uint8_t *f = vmbnet_native_dma(&N, o->size, NULL);

		if (!f || vmbnet_native_describe(&N, f, o->size, &mdl[i], &pfn[2 * i], 2))
			return -ENOMEM;
		memcpy(f, bcast, 6);
		memcpy(f + 6, N.g.vmbc.mac, 6);
		f[12] = 0x88; /* local experimental ethertype 0x88b5 */
		f[13] = 0xb5;
		for (uint32_t k = 14; k < o->size; k++)
			f[k] = (uint8_t)(i + k);
		nb[i].MdlChain = &mdl[i];
		nb[i].DataLength = o->size;
		nbls[i].FirstNetBuffer = &nb[i];
		if (o->vlan)
			VMBNET_NBL_INFO(&nbls[i], VMBNET_INFO_8021Q) =
				(void *)(uintptr_t)o->vlan_info;
	}
	return 0;
}

/* Send r->frames frames (paced at r->rate when set), window-limited, and
 * wait for every completion. 0, or -ETIMEDOUT / -EINTR / -EIO.
 */
static int run_frames(const struct opts *o, struct run *r)
{
	uint64_t t0 = vmbnet_native_now_ns(), deadline = t0 + RUN_TIMEOUT_S * 1000000000ull;
	uint64_t busy_at = t0;

	cur = r;
	while (r->done < r->frames) {
		uint64_t room = o->window - (r->sent - r->done), t = 0;
		unsigned int k = 0;

		if (r->rate) {
			uint64_t due;

			t = vmbnet_native_now_ns();
			due = (t - t0) * r->rate / 1000000000ull + 1;
			room = due > r->sent ? (room < due - r->sent ? room : due - r->sent) : 0;
		}
		vmbnet_core_batch_begin(&N.core);
		while (r->sent < r->frames && k < room && k < o->batch) {
			int32_t st = vmbnet_send_nbl(&N.core, &nbls[r->sent % o->window], NULL, 0,
						     frame_done, NULL);

			if (st == VMBNET_STATUS_INSUFFICIENT_RESOURCES)
				break;
			if (st)
				return -EIO;
			r->sent++;
			k++;
		}
		vmbnet_core_batch_end(&N.core);
		if (!t)
			t = vmbnet_native_now_ns();
		/* Sleeping makes the backend signal (a syscall on its side):
		 * only after a real idle spell. A paced run does not sleep,
		 * but still looks at the socket, where a restarted backend
		 * connects: without that it never came back.
		 */
		if (vmbnet_native_pump(&N) || k)
			busy_at = t;
		else if (t - busy_at > IDLE_SPIN_NS)
			vmbnet_native_wait(&N, r->rate ? 0 : 1);
		if (stop)
			return -EINTR;
		if (t > deadline)
			return -ETIMEDOUT;
	}
	r->elapsed_ns = vmbnet_native_now_ns() - t0;
	r->pps = r->elapsed_ns ? r->frames * 1000000000ull / r->elapsed_ns : 0;
	cur = NULL;
	return 0;
}

/* ---- the backend process and the peer measurement ------------------------- */

static pid_t spawn_backend(const struct opts *o)
{
	char cmd[4096];
	pid_t pid;

	/* The backend's own options may already follow its "--". */
	snprintf(cmd, sizeof(cmd), "exec %s %s --socket %s --once", o->backend,
		 strstr(o->backend, " -- ") ? "" : "--", o->socket);
	pid = fork();
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* SIGINT the backend and collect it; its exit status, -1 if it had to be killed. */
static int stop_backend(pid_t pid)
{
	int status;

	kill(pid, SIGINT);
	for (int i = 0; i < 100; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		usleep(100000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

/* Run the peer script; its "received_pps <n>" line, 0 when it failed. */
static uint64_t measure_peer(const char *script)
{
	char cmd[4096], line[256];
	uint64_t pps = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "bash %s", script);
	printf("measuring the peer: virtio-user -> vhost-user (dpdk-testpmd txonly -> rxonly)\n");
	fflush(stdout);
	p = popen(cmd, "r");
	if (!p)
		return 0;
	while (fgets(line, sizeof(line), p))
		sscanf(line, "received_pps %" SCNu64, &pps);
	if (pclose(p) != 0)
		pps = 0;
	return pps;
}

/* ---- report ---------------------------------------------------------------- */

/* Everything one invocation measured. */
struct results {
	struct run peak[MAX_ROUNDS]; /* flat out, one per round */
	uint64_t peer[MAX_ROUNDS]; /* virtio-user -> vhost-user, one per round */
	struct run half; /* paced at half the median peak */
	unsigned int rounds;
	uint64_t peak_median, peer_median;
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static uint64_t median(const uint64_t *v, unsigned int n)
{
	uint64_t t[MAX_ROUNDS];

	if (!n)
		return 0;
	memcpy(t, v, n * sizeof(*t));
	qsort(t, n, sizeof(*t), cmp_u64);
	return n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
}

static void print_run(const struct opts *o, const struct run *r, uint64_t peer)
{
	printf("%-26s %6u %10" PRIu64 " %10" PRIu64, r->name, o->size, r->frames, r->pps);
	if (r->hist && r->hist->total)
		printf(" %8.1f %8.1f %8.1f %9.1f %9.1f", vmbnet_hist_at(r->hist, 500000) / 1000.0,
		       vmbnet_hist_at(r->hist, 900000) / 1000.0,
		       vmbnet_hist_at(r->hist, 990000) / 1000.0,
		       vmbnet_hist_at(r->hist, 999000) / 1000.0, r->hist->max / 1000.0);
	else
		printf(" %8s %8s %8s %9s %9s", "-", "-", "-", "-", "-");
	if (peer)
		printf("  %10" PRIu64 "  %.2fx", peer, (double)r->pps / (double)peer);
	printf("\n");
}

static void json_run(struct vmbnet_report *rep, const struct opts *o, const struct run *r,
		     uint64_t peer)
{
	json_t *res = vmbnet_report_result(rep), *lat;

	json_object_set_new(res, "config",
			    json_pack("{s:s, s:I, s:I, s:I, s:I, s:s}", "run", r->name,
				      "frame_bytes", (json_int_t)o->size, "window",
				      (json_int_t)o->window, "batch", (json_int_t)o->batch, "rate",
				      (json_int_t)r->rate, "port", "net_null"));
	json_object_set_new(res, "pps", json_integer((json_int_t)r->pps));
	if (r->hist && r->hist->total) {
		lat = json_pack("{s:I, s:I, s:I, s:I, s:I}", "p50",
				(json_int_t)vmbnet_hist_at(r->hist, 500000), "p90",
				(json_int_t)vmbnet_hist_at(r->hist, 900000), "p99",
				(json_int_t)vmbnet_hist_at(r->hist, 990000), "p999",
				(json_int_t)vmbnet_hist_at(r->hist, 999000), "max",
				(json_int_t)r->hist->max);
		json_object_set_new(res, "latency_ns", lat);
	}
	if (peer) {
		json_object_set_new(res, "peer",
				    json_pack("{s:s, s:I}", "name",
					      "virtio-user->vhost-user testpmd", "pps",
					      (json_int_t)peer));
		json_object_set_new(res, "ratio_to_peer", json_real((double)r->pps / (double)peer));
	}
}

static void print_targets(const struct results *x)
{
	if (x->peer_median)
		printf("target: native >= %.1fx the peer (medians): %s (%.2fx)\n", TARGET_RATIO,
		       x->peak_median >= TARGET_RATIO * x->peer_median ? "met" : "NOT met",
		       (double)x->peak_median / (double)x->peer_median);
	if (x->half.hist && x->half.hist->total)
		printf("target: p99 < %.0f us at half the peak rate: %s (%.1f us)\n", TARGET_P99_US,
		       vmbnet_hist_at(x->half.hist, 990000) < TARGET_P99_US * 1000 ? "met" :
										     "NOT met",
		       vmbnet_hist_at(x->half.hist, 990000) / 1000.0);
}

static void report(const struct opts *o, struct results *x)
{
	struct run med = { .name = "native-peak-median" };
	struct vmbnet_report rep;
	char path[4096];

	med.pps = x->peak_median;
	printf("\nvmbnet native: DDI core (cpu %d) -> vmbnet-dpdk -> net_null, %s\n", o->guest_cpu,
	       vmbnet_cpu_model());
	printf("%-26s %6s %10s %10s %8s %8s %8s %9s %9s  %10s  %s\n", "run", "bytes", "frames",
	       "pps", "p50 us", "p90 us", "p99 us", "p99.9 us", "max us", "peer pps", "ratio");
	for (unsigned int i = 0; i < x->rounds; i++)
		print_run(o, &x->peak[i], x->peer[i]);
	print_run(o, &med, x->peer_median);
	if (x->half.hist)
		print_run(o, &x->half, 0);
	printf("peer: virtio-user -> vhost-user, dpdk-testpmd txonly -> rxonly, received pps, "
	       "measured before each native round\n");
	print_targets(x);
	if (!o->report_dir || vmbnet_report_init(&rep, "native"))
		return;
	for (unsigned int i = 0; i < x->rounds; i++)
		json_run(&rep, o, &x->peak[i], x->peer[i]);
	json_run(&rep, o, &med, x->peer_median);
	if (x->half.hist)
		json_run(&rep, o, &x->half, 0);
	vmbnet_report_write(&rep, o->report_dir);
	vmbnet_report_fini(&rep);
	if (x->half.hist && x->half.hist->total) {
		snprintf(path, sizeof(path), "%s/native-half-rate.hgrm", o->report_dir);
		vmbnet_report_hgrm(x->half.hist, path);
	}
}

/* ---- main ------------------------------------------------------------------ */

static void usage(const char *prog)
{
	printf("usage: %s [--backend CMD] [--socket PATH] [--frames N] [--size BYTES]\n"
	       "          [--window N] [--batch N] [--rate PPS] [--vlan PRIO:VID]\n"
	       "          [--latency-run] [--peer SCRIPT] [--rounds N] [--report-dir DIR]\n"
	       "          [--guest-cpu N]\n"
	       "  --backend CMD   start the backend: CMD [--] --socket PATH --once is run\n"
	       "                  (without it, wait for a backend to connect to --socket)\n"
	       "  --latency-run   then run again at half the peak rate, for latency\n"
	       "  --peer SCRIPT   measure virtio-user -> vhost-user with SCRIPT before each round\n"
	       "  --rounds N      flat-out rounds (1..9, default 1); medians are compared\n"
	       "exit status: 0 when every frame completed exactly once, successfully\n",
	       prog);
}

static int parse(struct opts *o, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "backend", 1, NULL, 'b' },
		{ "socket", 1, NULL, 's' },
		{ "frames", 1, NULL, 'n' },
		{ "size", 1, NULL, 'z' },
		{ "window", 1, NULL, 'w' },
		{ "batch", 1, NULL, 'B' },
		{ "rate", 1, NULL, 'r' },
		{ "vlan", 1, NULL, 'v' },
		{ "latency-run", 0, NULL, 'l' },
		{ "peer", 1, NULL, 'p' },
		{ "report-dir", 1, NULL, 'd' },
		{ "guest-cpu", 1, NULL, 'c' },
		{ "rounds", 1, NULL, 'R' },
		{ "help", 0, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned int prio, vid;
	int c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'b':
			o->backend = optarg;
			break;
		case 's':
			o->socket = optarg;
			break;
		case 'n':
			o->frames = strtoull(optarg, NULL, 10);
			break;
		case 'z':
			o->size = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'w':
			o->window = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'B':
			o->batch = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'r':
			o->rate = strtoull(optarg, NULL, 10);
			break;
		case 'v':
			if (sscanf(optarg, "%u:%u", &prio, &vid) != 2 || prio > 7 || vid > 4095)
				return -EINVAL;
			o->vlan = true;
			o->vlan_info = RNDIS_8021Q(prio, vid);
			break;
		case 'l':
			o->latency_run = true;
			break;
		case 'p':
			o->peer = optarg;
			break;
		case 'd':
			o->report_dir = optarg;
			break;
		case 'c':
			o->guest_cpu = atoi(optarg);
			break;
		case 'R':
			o->rounds = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'h':
			usage(argv[0]);
			exit(0);
		default:
			return -EINVAL;
		}
	}
	if (o->size < 60 || o->size > VMB_PAGE_SIZE || !o->frames || !o->window ||
	    o->window > CORE_SLOTS || !o->batch || !o->rounds || o->rounds > MAX_ROUNDS)
		return -EINVAL;
	return 0;
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		perror("vmbnet-native: pinning the guest");
}

/* Bring up, then rounds of (peer, native flat out), then a half-rate run. */
static int bench(const struct opts *o, struct results *x)
{
	static const char *const names[MAX_ROUNDS] = {
		"native-peak-1", "native-peak-2", "native-peak-3", "native-peak-4", "native-peak-5",
		"native-peak-6", "native-peak-7", "native-peak-8", "native-peak-9"
	};
	uint64_t pps[MAX_ROUNDS];
	int err = vmbnet_native_accept(&N, ACCEPT_TIMEOUT_MS);

	if (err)
		return fprintf(stderr, "vmbnet-native: no backend connected: %s\n", strerror(-err)),
		       err;
	err = vmbnet_native_bringup(&N, CORE_SLOTS, BRINGUP_TIMEOUT_MS);
	if (!err)
		err = frames_prepare(o);
	if (err)
		return fprintf(stderr, "vmbnet-native: bring-up: %s\n", strerror(-err)), err;
	N.core.on_complete = observe;
	for (x->rounds = 0; x->rounds < o->rounds && !err; x->rounds++) {
		struct run *r = &x->peak[x->rounds];

		if (o->peer) {
			x->peer[x->rounds] = measure_peer(o->peer);
			if (!x->peer[x->rounds])
				fprintf(stderr, "vmbnet-native: the peer measurement failed\n");
		}
		*r = (struct run){ .name = o->rate ? "native-paced" : names[x->rounds],
				   .frames = o->frames,
				   .rate = o->rate };
		r->hist = calloc(1, sizeof(*r->hist));
		printf("vmbnet-native: round %u: %" PRIu64 " frames of %u bytes, window %u, "
		       "batch %u%s\n",
		       x->rounds + 1, o->frames, o->size, o->window, o->batch,
		       o->rate ? ", paced" : ", flat out");
		fflush(stdout);
		err = r->hist ? run_frames(o, r) : -ENOMEM;
		pps[x->rounds] = r->pps;
	}
	x->peak_median = median(pps, x->rounds);
	x->peer_median = median(x->peer, x->rounds);
	if (!err && o->latency_run) {
		x->half = (struct run){ .name = "native-half-rate",
					.frames = o->frames / 2,
					.rate = x->peak_median / 2 };
		x->half.hist = calloc(1, sizeof(*x->half.hist));
		printf("vmbnet-native: at half the median peak rate, %" PRIu64 " pps\n",
		       x->half.rate);
		fflush(stdout);
		err = x->half.hist ? run_frames(o, &x->half) : -ENOMEM;
	}
	if (err)
		fprintf(stderr, "vmbnet-native: run: %s\n", strerror(-err));
	return err;
}

int main(int argc, char **argv)
{
	struct opts o = { .frames = DEFAULT_FRAMES,
			  .size = DEFAULT_SIZE,
			  .window = DEFAULT_WINDOW,
			  .batch = DEFAULT_BATCH,
			  .rounds = 1 };
	static struct results x;
	struct vmb_sim_stats sim;
	char sock[108];
	uint64_t completed = 0, sent = 0, failed = 0;
	pid_t backend = 0;
	int err, bstatus = 0;

	if (parse(&o, argc, argv)) {
		usage(argv[0]);
		return 2;
	}
	if (!o.socket) {
		snprintf(sock, sizeof(sock), "/tmp/vmbnet-native-%d.sock", getpid());
		o.socket = sock;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	pin(o.guest_cpu);
	err = vmbnet_native_init(&N, o.socket, 256);
	if (err) {
		fprintf(stderr, "vmbnet-native: %s: %s\n", o.socket, strerror(-err));
		return 1;
	}
	if (o.backend)
		backend = spawn_backend(&o);
	err = bench(&o, &x);
	for (unsigned int i = 0; i <= x.rounds && i < MAX_ROUNDS; i++) {
		const struct run *r = i < x.rounds ? &x.peak[i] : &x.half;

		sent += r->sent;
		completed += r->done;
		failed += r->failed;
	}
	if (!err)
		report(&o, &x);
	vmb_sim_get_stats(N.g.sim, &sim);
	printf("vmbnet-native: %" PRIu64 " sent, %" PRIu64 " completed (%" PRIu64 " failed), "
	       "%" PRIu64 " unknown completions, %" PRIu64 " backends, %" PRIu64 " doorbells, "
	       "%" PRIu64 " wakeups, %" PRIu64 " received (%" PRIu64 " bytes)\n",
	       sent, completed, failed, N.core.stats.unknown_completions, sim.backend_connects,
	       N.stats.doorbells, N.stats.wakeups, N.stats.rx_frames, N.stats.rx_bytes);
	vmbnet_native_fini(&N);
	if (backend)
		bstatus = stop_backend(backend);
	if (backend && bstatus)
		fprintf(stderr, "vmbnet-native: the backend exited with status %d\n", bstatus);
	if (err || sent != completed || failed || N.core.stats.unknown_completions || bstatus)
		return 1;
	return 0;
}
