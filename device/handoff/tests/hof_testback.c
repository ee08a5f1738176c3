// SPDX-License-Identifier: MIT
/*
 * vmbnet-hof-testback: a hand-off backend that can die on cue.
 *
 * It serves one front end the way vmbnet-dpdk does (the hand-off back end
 * with the NIC, busy-polling, then sleeping on the doorbell eventfd), puts
 * frames nowhere but counts them, and with --crash exits at one point of its
 * N-th publish, as a backend process killed there would:
 *   before-checkpoint  the checkpoint of that publish is never written
 *   after-checkpoint   checkpoint written, ring not published
 *   after-publish      published, the guest -> host ring not released
 * The kernel then closes its socket and the front end must resume the
 * channels with a successor, every completion exactly once.
 *
 * On exit (SIGTERM, the front end hanging up, or the crash) it prints
 * "frames <n> commits <n>" on stdout. Exit status: 0 stopped, 3 crashed,
 * 1 error.
 *
 * usage: vmbnet-hof-testback --socket PATH [--crash WHERE --at N]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmbnet_hof.h"

#define IDLE_SPINS 2000 /* empty polls before sleeping */
#define SLEEP_MS 10
#define EXIT_CRASHED 3

enum crash { CRASH_NONE, CRASH_BEFORE_CKPT, CRASH_AFTER_CKPT, CRASH_AFTER_PUBLISH };

static const char *const crash_names[] = {
	[CRASH_BEFORE_CKPT] = "before-checkpoint",
	[CRASH_AFTER_CKPT] = "after-checkpoint",
	[CRASH_AFTER_PUBLISH] = "after-publish",
};

static struct vmbnet_hof_back B;
static enum crash crash;
static uint64_t crash_at, commits, frames;
static volatile sig_atomic_t stop;

static void report(void)
{
	printf("frames %llu commits %llu\n", (unsigned long long)frames,
	       (unsigned long long)commits);
	fflush(stdout);
}

static int be_tx(void *opaque, uint32_t chan, const struct iovec *iov, int n,
		 const struct vmbnet_frame_meta *meta)
{
	frames++;
	return 0;
}

static void be_commit(void *opaque, uint32_t chan)
{
	if (crash && ++commits == crash_at) {
		if (crash != CRASH_BEFORE_CKPT)
			vmbnet_hof_back_commit(&B, chan);
		if (crash == CRASH_AFTER_PUBLISH)
			vmb_ring_tx_publish(&B.host.chan[chan].out);
		report();
		_exit(EXIT_CRASHED);
	}
	vmbnet_hof_back_commit(&B, chan);
}

static const struct vmbnet_nic_ops be_ops = { .tx = be_tx, .commit = be_commit };

static void be_sleep(void)
{
	struct pollfd p[2] = { { .fd = B.sock, .events = POLLIN },
			       { .fd = B.kick[0], .events = POLLIN } };
	uint64_t v;

	if (vmbnet_hof_back_arm(&B))
		return;
	if (poll(p, B.kick[0] >= 0 ? 2 : 1, SLEEP_MS) > 0 && p[1].revents & POLLIN &&
	    read(B.kick[0], &v, sizeof(v)) != sizeof(v))
		fprintf(stderr, "vmbnet-hof-testback: short read of the doorbell eventfd\n");
}

static void on_term(int sig)
{
	stop = 1;
}

static int usage(void)
{
	fprintf(stderr, "usage: vmbnet-hof-testback --socket PATH "
			"[--crash before-checkpoint|after-checkpoint|after-publish --at N]\n");
	return 1;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_term };
	const char *path = NULL;
	unsigned int idle = 0;
	int err;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--socket") && i + 1 < argc) {
			path = argv[++i];
		} else if (!strcmp(argv[i], "--crash") && i + 1 < argc) {
			i++;
			for (int c = CRASH_BEFORE_CKPT; c <= CRASH_AFTER_PUBLISH; c++)
				if (!strcmp(argv[i], crash_names[c]))
					crash = (enum crash)c;
			if (!crash) {
				fprintf(stderr, "vmbnet-hof-testback: unknown crash point '%s'\n",
					argv[i]);
				return usage();
			}
		} else if (!strcmp(argv[i], "--at") && i + 1 < argc) {
			char *end;

			crash_at = strtoull(argv[++i], &end, 0);
			if (*end || !crash_at)
				return usage();
		} else {
			return usage();
		}
	}
	if (!path || (crash && !crash_at))
		return usage();
	sigaction(SIGTERM, &sa, NULL);
	err = vmbnet_hof_back_init(&B, path, &be_ops, NULL);
	if (err) {
		fprintf(stderr, "vmbnet-hof-testback: %s: %s\n", path, strerror(-err));
		return 1;
	}
	B.busy_poll = true;
	while (!stop) {
		if (vmbnet_hof_back_control(&B) < 0)
			break; /* the front end hung up */
		if (vmbnet_hof_back_poll(&B))
			idle = 0;
		else if (++idle > IDLE_SPINS)
			be_sleep();
	}
	report();
	vmbnet_hof_back_fini(&B);
	return 0;
}
