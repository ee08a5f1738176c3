// SPDX-License-Identifier: MIT
/*
 * vmbnet-dpdk: the poll-mode backend of a vmbnet device (datapath B).
 *
 *   vmbnet-dpdk [EAL options] -- --socket PATH [--port N]
 *               [--zero-copy auto|on|off] [--idle-us N] [--once] [--verbose]
 *
 * It connects to the device's hand-off socket (vmbnet-pci's datapath
 * property, or the native benchmark), maps the guest's RAM, and serves every
 * channel from the main lcore: poll in bursts while there is work, sleep on
 * the doorbells after an idle spell. When the device goes away it waits for
 * the next one (unless --once). SIGINT or SIGTERM finish the burst in
 * flight, leave the rings to whoever serves them next, and exit. Each run
 * uses its own --file-prefix (one is added if none is given) and removes
 * its runtime directory at exit.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>

#include "vmbnet_dpdk.h"

struct vmbnet_dpdk vmbnet_dpdk = {
	.idle_us = VMBNET_DPDK_IDLE_US,
	.mbuf_room = RTE_MBUF_DEFAULT_DATAROOM,
};
static volatile sig_atomic_t force_quit;

static void on_signal(int sig)
{
	force_quit = 1;
}

static void usage(const char *prog)
{
	printf("usage: %s [EAL options] -- --socket PATH [--port N] [--zero-copy auto|on|off]\n"
	       "          [--idle-us N] [--mbuf-size BYTES] [--once] [--verbose]\n"
	       "          [--faults FILE [--faults-log FILE]]\n"
	       "  --socket PATH   the vmbnet device's hand-off socket (required)\n"
	       "  --port N        DPDK port the frames go to and come from (default 0)\n"
	       "  --zero-copy M   large guest frames as external mbufs: auto (drivers that\n"
	       "                  are done with a frame when tx returns), on, off\n"
	       "  --idle-us N     busy-poll this long without work before sleeping (%u)\n"
	       "  --mbuf-size B   data bytes per mbuf (%u; smaller ones make frames from\n"
	       "                  the port arrive as chains, as scattered rx does)\n"
	       "  --once          exit when the device goes away instead of waiting\n"
	       "  --faults FILE   misbehave toward the guest as the scenario says\n"
	       "                  (device/fault/SCENARIO.md); each fired fault is a line\n"
	       "                  on stdout, or in the --faults-log FILE\n"
	       "example: %s --no-huge -m 1024 --no-pci --lcores 0@1 \\\n"
	       "           --vdev net_null0,no-rx=1 -- --socket /tmp/vmbnet.sock\n",
	       prog, VMBNET_DPDK_IDLE_US, RTE_MBUF_DEFAULT_DATAROOM, prog);
}

static uint64_t faults_clock(void *opaque)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void fault_fired(void *opaque, const struct vmbnet_fault_event *e)
{
	struct vmbnet_dpdk *d = opaque;
	char line[160];

	vmbnet_fault_format(e, line, sizeof(line));
	fprintf(d->faults_log ? d->faults_log : stdout, "vmbnet-dpdk: %s\n", line);
	if (e->action == VMBNET_FA_KILL) {
		/* What a crash or an OOM kill does: no clean-up, no goodbye. The
		 * front end waits for the next backend and replays the device to
		 * it (ci/with-vmbnet-dpdk.sh --restart starts one).
		 */
		fflush(NULL);
		raise(SIGKILL);
	}
}

/* --faults: the NIC of every device served asks this engine. */
static int load_faults(struct vmbnet_dpdk *d)
{
	char err[256] = "";
	int ret;

	vmbnet_fault_init(&d->faults, 0);
	vmbnet_fault_refuse_b(&d->faults);
	d->faults.fired = fault_fired;
	d->faults.fired_opaque = d;
	vmbnet_fault_set_clock(&d->faults, faults_clock, d);
	if (!d->faults_file)
		return 0;
	ret = vmbnet_fault_load_file(&d->faults, d->faults_file, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "vmbnet-dpdk: --faults %s: %s\n", d->faults_file,
			ret == -EINVAL ? err : strerror(-ret));
		return -EINVAL;
	}
	printf("vmbnet-dpdk: faults from %s: %u rule(s), seed %llu\n", d->faults_file,
	       d->faults.nrules, (unsigned long long)d->faults.seed);
	return 0;
}

static int parse_args(struct vmbnet_dpdk *d, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "port", required_argument, NULL, 'p' },
		{ "zero-copy", required_argument, NULL, 'z' },
		{ "idle-us", required_argument, NULL, 'i' },
		{ "mbuf-size", required_argument, NULL, 'm' },
		{ "once", no_argument, NULL, 'o' },
		{ "faults", required_argument, NULL, 'f' },
		{ "faults-log", required_argument, NULL, 'l' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			d->socket_path = optarg;
			break;
		case 'p':
			d->port = (uint16_t)strtoul(optarg, &end, 10);
			if (*end || !*optarg)
				goto bad;
			break;
		case 'z':
			if (!strcmp(optarg, "auto"))
				d->zc_mode = VMBNET_ZC_AUTO;
			else if (!strcmp(optarg, "on"))
				d->zc_mode = VMBNET_ZC_ON;
			else if (!strcmp(optarg, "off"))
				d->zc_mode = VMBNET_ZC_OFF;
			else
				goto bad;
			break;
		case 'i':
			d->idle_us = (uint32_t)strtoul(optarg, &end, 10);
			if (*end || !*optarg)
				goto bad;
			break;
		case 'm': {
			unsigned long room = strtoul(optarg, &end, 10);

			if (*end || !*optarg || room < VMBNET_DPDK_MBUF_ROOM_MIN ||
			    room > RTE_MBUF_DEFAULT_DATAROOM * 8)
				goto bad;
			d->mbuf_room = (uint16_t)room;
			break;
		}
		case 'o':
			d->once = true;
			break;
		case 'f':
			d->faults_file = optarg;
			break;
		case 'l':
			d->faults_log = fopen(optarg, "a"); /* a restarted backend goes on */
			if (!d->faults_log) {
				fprintf(stderr, "vmbnet-dpdk: --faults-log %s: %s\n", optarg,
					strerror(errno));
				return -EINVAL;
			}
			setvbuf(d->faults_log, NULL, _IOLBF, 0);
			break;
		case 'v':
			d->verbose = true;
			break;
		case 'h':
			usage(argv[0]);
			exit(0);
		default:
			goto bad;
		}
	}
	if (!d->socket_path || optind != argc) {
		fprintf(stderr, "vmbnet-dpdk: --socket PATH is required (see --help)\n");
		return -EINVAL;
	}
	return load_faults(d);
bad:
	fprintf(stderr, "vmbnet-dpdk: bad value for an option (see --help)\n");
	return -EINVAL;
}

/* ---- the poll loop --------------------------------------------------------------- */

/* Nothing to do for a while: unmask, then sleep on the doorbells, the
 * socket and (briefly) the port.
 */
static void sleep_idle(struct vmbnet_dpdk *d)
{
	struct vmbnet_hof_back *b = &d->back;
	struct pollfd p[1 + VMB_HOF_MAX_CHANNELS];
	unsigned int np = 0;
	int ms = d->rx_enabled ? VMBNET_DPDK_RX_POLL_MS : VMBNET_DPDK_SLEEP_MS;
	uint64_t v;

	if (vmbnet_hof_back_arm(b))
		return; /* a packet came in meanwhile */
	if (b->started && b->nic.tick_ns != UINT64_MAX) {
		/* no later than what the faults hold back (same clock) */
		uint64_t now = faults_clock(d);
		uint64_t wait = b->nic.tick_ns > now ? b->nic.tick_ns - now : 0;

		if (wait / 1000000 < (uint64_t)ms)
			ms = (int)((wait + 999999) / 1000000);
	}
	p[np++] = (struct pollfd){ .fd = b->sock, .events = POLLIN };
	for (uint32_t i = 0; b->hello && i < b->host.nchan; i++)
		if (b->kick[i] >= 0)
			p[np++] = (struct pollfd){ .fd = b->kick[i], .events = POLLIN };
	d->stats.sleeps++;
	if (poll(p, np, ms) <= 0)
		return;
	for (unsigned int i = 1; i < np; i++) {
		if (p[i].revents & POLLIN && read(p[i].fd, &v, sizeof(v)) == sizeof(v))
			d->stats.wakeups++;
	}
}

static int connect_front(struct vmbnet_dpdk *d)
{
	bool said = false;
	int err;

	while (!force_quit) {
		err = vmbnet_hof_back_init(&d->back, d->socket_path, &vmbnet_dpdk_nic_ops, d);
		if (!err) {
			d->back.faults = &d->faults; /* rules may come at run time */
			return 0;
		}
		if (err != -ENOENT && err != -ECONNREFUSED) {
			fprintf(stderr, "vmbnet-dpdk: %s: %s\n", d->socket_path, strerror(-err));
			return err;
		}
		if (!said)
			printf("vmbnet-dpdk: waiting for the device at %s\n", d->socket_path);
		said = true;
		usleep(VMBNET_DPDK_CONNECT_RETRY_MS * 1000);
	}
	return -EINTR;
}

/* Serve one device until it goes away or we are told to stop. */
static int serve(struct vmbnet_dpdk *d)
{
	uint64_t hz = rte_get_timer_hz(), idle_from = rte_get_timer_cycles(), control_at = 0;
	uint64_t idle_cycles = hz * d->idle_us / 1000000;
	uint64_t control_cycles = hz * VMBNET_DPDK_CONTROL_US / 1000000;
	int err = connect_front(d);

	if (err)
		return err;
	d->back.busy_poll = true;
	d->stats.connects++;
	printf("vmbnet-dpdk: serving %s\n", d->socket_path);
	fflush(stdout);
	while (!force_quit) {
		uint64_t now = rte_get_timer_cycles();
		bool work;

		/* The control socket is a syscall away: look at it now and
		 * then while busy, and always before and after sleeping.
		 */
		if (now - control_at > control_cycles || !d->back.started) {
			if (vmbnet_hof_back_control(&d->back) < 0) {
				if (d->back.last_error)
					fprintf(stderr,
						"vmbnet-dpdk: front end broke the protocol: %s\n",
						d->back.last_error);
				break;
			}
			control_at = now;
		}
		work = vmbnet_hof_back_poll(&d->back);
		work |= vmbnet_dpdk_rx(d);
		d->stats.polls++;
		if (work) {
			d->stats.busy_polls++;
			idle_from = now;
		} else if (now - idle_from > idle_cycles) {
			sleep_idle(d);
			control_at = 0;
		}
	}
	if (force_quit)
		vmbnet_hof_back_shutdown(&d->back); /* finish what the rings hold */
	else
		vmbnet_hof_back_fini(&d->back);
	vmbnet_dpdk_tx_flush(d);
	d->stats.disconnects++;
	printf("vmbnet-dpdk: %s %s\n", d->socket_path, force_quit ? "left" : "went away");
	return 0;
}

static void print_stats(const struct vmbnet_dpdk *d)
{
	const struct vmbnet_nic_stats *n = &d->back.nic.stats;
	const struct vmbnet_dpdk_stats *s = &d->stats;

	printf("vmbnet-dpdk: guest tx %llu frames (%llu copied, %llu zero-copy, %llu dropped "
	       "at the port), rx %llu (%llu dropped), completions %llu (%llu failed), "
	       "sleeps %llu, wakeups %llu, resumed %llu\n",
	       (unsigned long long)n->tx_packets, (unsigned long long)s->tx_copied,
	       (unsigned long long)s->tx_zero_copy, (unsigned long long)s->tx_dropped,
	       (unsigned long long)n->rx_packets,
	       (unsigned long long)(s->rx_dropped + n->rx_dropped),
	       (unsigned long long)n->completions, (unsigned long long)n->completions_failed,
	       (unsigned long long)s->sleeps, (unsigned long long)s->wakeups,
	       (unsigned long long)d->back.stats.resumed);
	printf("vmbnet-dpdk: rx from the port %llu, held back %llu; passes stalled %llu, "
	       "guest completions for nothing lent %llu\n",
	       (unsigned long long)s->rx_frames, (unsigned long long)s->rx_held,
	       (unsigned long long)n->stalls, (unsigned long long)n->unknown_completions);
	if (d->faults.seq)
		printf("vmbnet-dpdk: faults fired %llu\n", (unsigned long long)d->faults.seq);
}

/* ---- EAL ------------------------------------------------------------------------ */

/* argv with --file-prefix=vmbnet-dpdk-<pid> added to the EAL part when it
 * has none. *count is the new argc.
 */
static char **eal_argv(int argc, char **argv, int *count)
{
	static char prefix[64];
	char **v = calloc((size_t)argc + 2, sizeof(*v));
	int n = 0, i;
	bool has = false;

	if (!v)
		return NULL;
	for (i = 0; i < argc && strcmp(argv[i], "--"); i++) {
		has |= !strncmp(argv[i], "--file-prefix", strlen("--file-prefix"));
		v[n++] = argv[i];
	}
	if (!has) {
		snprintf(prefix, sizeof(prefix), "--file-prefix=vmbnet-dpdk-%d", getpid());
		v[n++] = prefix;
	}
	for (; i < argc; i++)
		v[n++] = argv[i];
	*count = n;
	return v;
}

/* The EAL leaves its runtime directory behind; remove it and its files. */
static void remove_runtime_dir(const char *dir)
{
	DIR *dp = opendir(dir);
	struct dirent *e;
	char path[4096 + 256];

	if (!dp)
		return;
	while ((e = readdir(dp))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(dp);
	rmdir(dir);
}

int main(int argc, char **argv)
{
	struct vmbnet_dpdk *d = &vmbnet_dpdk;
	char runtime_dir[4096];
	int n, used, err;
	char **v;

	/* Whole lines in a log shared with the supervisor's (with-vmbnet-dpdk.sh):
	 * a fired fault is one line, never cut by another writer.
	 */
	setvbuf(stdout, NULL, _IOLBF, 0);

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(argv[0]);
			return 0;
		}
	}
	v = eal_argv(argc, argv, &n);
	if (!v)
		return 1;
	used = rte_eal_init(n, v);
	if (used < 0) {
		fprintf(stderr, "vmbnet-dpdk: EAL init failed: %s\n", rte_strerror(rte_errno));
		free(v);
		return 1;
	}
	snprintf(runtime_dir, sizeof(runtime_dir), "%s", rte_eal_get_runtime_dir());
	optind = 0; /* the EAL used getopt too */
	err = parse_args(d, n - used, v + used);
	if (!err && !rte_eth_dev_count_avail()) {
		fprintf(stderr, "vmbnet-dpdk: no DPDK port (give one with --vdev or a PCI "
				"address)\n");
		err = -ENODEV;
	}
	if (!err) {
		err = vmbnet_dpdk_port_init(d);
		if (err)
			fprintf(stderr, "vmbnet-dpdk: port %u: %s\n", d->port, strerror(-err));
	}
	if (!err) {
		printf("vmbnet-dpdk: port %u (%s), zero-copy %s, receive %s, mbufs of %u bytes\n",
		       d->port, d->driver, d->zero_copy ? "on" : "off",
		       d->rx_enabled ? "on" : "off",
		       rte_pktmbuf_data_room_size(d->pool) - RTE_PKTMBUF_HEADROOM);
		if (vmbnet_dpdk_telemetry_init(d))
			fprintf(stderr, "vmbnet-dpdk: telemetry commands not registered\n");
		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
		do
			err = serve(d);
		while (!err && !force_quit && !d->once);
		print_stats(d);
		vmbnet_dpdk_port_fini(d);
	}
	rte_eal_cleanup();
	remove_runtime_dir(runtime_dir);
	free(v);
	return err && err != -EINTR ? 1 : 0;
}
