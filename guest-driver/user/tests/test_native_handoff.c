// SPDX-License-Identifier: MIT
/*
 * The hand-off end to end: the DDI core as the guest (vmbnet_native, with
 * the front end as its control plane) and a backend thread (the hand-off
 * back end with the NIC, busy-polling then sleeping like vmbnet-dpdk).
 *
 * The restart cases kill the backend at one point of a publish: before its
 * checkpoint, between checkpoint and publish, or between publish and
 * release. A new backend then resumes, and every frame the core sent must
 * complete exactly once, successfully: no completion lost, none twice.
 *
 * usage: test_native_handoff --list | <case>
 */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vmb_test.h"
#include "vmbnet/vmb_nvsp.h"
#include "vmbnet_native.h"

#define FRAMES 20000
#define WINDOW 64
#define BATCH 16
#define FRAME_BYTES 64
#define IDLE_SPINS 2000 /* empty polls before the backend sleeps */
#define SLEEP_MS 10

enum crash { CRASH_NONE, CRASH_BEFORE_CKPT, CRASH_AFTER_CKPT, CRASH_AFTER_PUBLISH };

struct backend {
	pthread_t th;
	struct vmbnet_hof_back b;
	enum crash crash;
	uint64_t crash_at; /* commit number that dies */
	uint64_t commits;
	uint64_t frames; /* put on the "wire" */
	atomic_bool dead, stop, running;
};

static char sock_path[64];
static struct vmbnet_native N;
static uint64_t wire_frames, done_ok, done_failed, sent;

/* ---- the backend thread --------------------------------------------------- */

static int be_tx(void *opaque, uint32_t chan, const struct iovec *iov, int n,
		 const struct vmbnet_frame_meta *meta)
{
	struct backend *be = opaque;

	be->frames++;
	return 0;
}

static void be_die(struct backend *be)
{
	atomic_store(&be->dead, true);
	pthread_exit(NULL);
}

static void be_commit(void *opaque, uint32_t chan)
{
	struct backend *be = opaque;

	if (be->crash && ++be->commits == be->crash_at) {
		if (be->crash == CRASH_BEFORE_CKPT)
			be_die(be);
		vmbnet_hof_back_commit(&be->b, chan);
		if (be->crash == CRASH_AFTER_PUBLISH)
			vmb_ring_tx_publish(&be->b.host.chan[chan].out);
		be_die(be);
	}
	vmbnet_hof_back_commit(&be->b, chan);
}

static const struct vmbnet_nic_ops be_ops = { .tx = be_tx, .commit = be_commit };

static void be_sleep(struct backend *be)
{
	struct vmbnet_hof_back *b = &be->b;
	struct pollfd p[2] = { { .fd = b->sock, .events = POLLIN },
			       { .fd = b->kick[0], .events = POLLIN } };
	uint64_t v;

	if (vmbnet_hof_back_arm(b))
		return;
	if (poll(p, b->kick[0] >= 0 ? 2 : 1, SLEEP_MS) > 0 && p[1].revents & POLLIN)
		VT_EQ(read(b->kick[0], &v, sizeof(v)), sizeof(v));
}

static void *be_main(void *arg)
{
	struct backend *be = arg;
	unsigned int idle = 0;

	VT_EQ(vmbnet_hof_back_init(&be->b, sock_path, &be_ops, be), 0);
	be->b.busy_poll = true;
	atomic_store(&be->running, true);
	while (!atomic_load(&be->stop)) {
		if (vmbnet_hof_back_control(&be->b) < 0)
			break;
		if (vmbnet_hof_back_poll(&be->b))
			idle = 0;
		else if (++idle > IDLE_SPINS)
			be_sleep(be);
	}
	return NULL;
}

static void be_start(struct backend *be, enum crash crash, uint64_t crash_at)
{
	memset(be, 0, sizeof(*be));
	be->crash = crash;
	be->crash_at = crash_at;
	VT_EQ(pthread_create(&be->th, NULL, be_main, be), 0);
	VT_EQ(vmbnet_native_accept(&N, 5000), 0);
}

/* Join a backend that died or is told to stop, and let go of what it held
 * the way the kernel does for a process: its socket closes.
 */
static void be_reap(struct backend *be)
{
	atomic_store(&be->stop, true);
	VT_EQ(pthread_join(be->th, NULL), 0);
	wire_frames += be->frames;
	vmbnet_hof_back_fini(&be->b);
}

/* ---- the guest ------------------------------------------------------------- */

static void frame_done(void *ctx, struct vmbnet_nbl *nbl, int32_t status)
{
	if (status == VMBNET_STATUS_SUCCESS)
		done_ok++;
	else
		done_failed++;
}

struct frames {
	struct vmbnet_mdl mdl[WINDOW];
	uint64_t pfn[WINDOW];
	struct vmbnet_nb nb[WINDOW];
	struct vmbnet_nbl nbl[WINDOW];
};

static void frames_prepare(struct frames *f)
{
	for (int i = 0; i < WINDOW; i++) {
		uint8_t *buf = vmbnet_native_dma(&N, VMB_PAGE_SIZE, NULL);

		VT_CHECK(buf);
		memset(buf, 0xff, 6);
		buf[12] = 0x88;
		buf[13] = 0xb5;
		VT_EQ(vmbnet_native_describe(&N, buf, FRAME_BYTES, &f->mdl[i], &f->pfn[i], 1), 0);
		f->nb[i].MdlChain = &f->mdl[i];
		f->nb[i].DataLength = FRAME_BYTES;
		f->nbl[i].FirstNetBuffer = &f->nb[i];
	}
}

/* Send until @target frames went out (window-limited); false if @be died. */
static bool send_until(struct frames *f, uint64_t target, struct backend *be)
{
	while (sent < target || done_ok + done_failed < sent) {
		uint64_t room = WINDOW - (sent - done_ok - done_failed);
		unsigned int k = 0;

		vmbnet_core_batch_begin(&N.core);
		while (sent < target && k < room && k < BATCH) {
			int32_t st = vmbnet_send_nbl(&N.core, &f->nbl[sent % WINDOW], NULL, 0,
						     frame_done, NULL);

			if (st == VMBNET_STATUS_INSUFFICIENT_RESOURCES)
				break;
			VT_EQ(st, VMBNET_STATUS_SUCCESS);
			sent++;
			k++;
		}
		vmbnet_core_batch_end(&N.core);
		if (be && atomic_load(&be->dead))
			return false;
		if (!vmbnet_native_pump(&N))
			vmbnet_native_wait(&N, 1);
	}
	return true;
}

static void check_exactly_once(void)
{
	VT_EQ(done_ok + done_failed, sent);
	VT_EQ(N.core.stats.unknown_completions, 0);
	VT_EQ(N.core.stats.completed, sent);
	VT_EQ(N.core.in_use, 0);
}

static void run_restarts(enum crash crash, unsigned int times)
{
	static struct frames f;
	struct backend be;
	unsigned int deaths = 0;

	be_start(&be, CRASH_NONE, 0);
	VT_EQ(vmbnet_native_bringup(&N, 256, 5000), 0);
	frames_prepare(&f);
	be_reap(&be);
	for (unsigned int round = 0; round < times; round++) {
		enum crash c = crash ? crash : (enum crash)(1 + round % 3);

		be_start(&be, c, 3 + 7 * round);
		if (!send_until(&f, FRAMES, &be))
			deaths++;
		be_reap(&be);
	}
	VT_EQ(deaths, times); /* each backend died where it was told to */
	be_start(&be, CRASH_NONE, 0);
	VT_CHECK(send_until(&f, FRAMES, &be));
	VT_EQ(N.front.stats.connects, times + 2);
	be_reap(&be);
	check_exactly_once();
	VT_EQ(done_failed, 0);
	/* a frame may go out twice (its completion was never published), never
	 * fewer than once
	 */
	VT_CHECK(wire_frames >= FRAMES);
	printf("%u backends died, %llu frames, %llu on the wire\n", times, (unsigned long long)sent,
	       (unsigned long long)wire_frames);
}

static void run_cycle(void)
{
	static struct frames f;
	struct backend be;

	be_start(&be, CRASH_NONE, 0);
	VT_EQ(vmbnet_native_bringup(&N, 256, 5000), 0);
	frames_prepare(&f);
	VT_CHECK(send_until(&f, FRAMES, &be));
	be_reap(&be);
	VT_EQ(wire_frames, FRAMES);
	check_exactly_once();
	VT_EQ(done_ok, FRAMES);
}

/*
 * One frame the way the in-tree Linux driver sends most of them: RNDIS
 * message copied into send-buffer section @section, NVSP 107 inband. Waits
 * for its completion (the window is empty) and returns its NVSP status.
 */
#define SECTION_TID 77
static uint32_t send_in_section(uint32_t section)
{
	struct {
		struct rndis_hdr h;
		struct rndis_packet p;
	} m = { { RNDIS_MSG_PACKET, sizeof(m) + FRAME_BYTES }, { 0 } };
	struct nvsp_rndis_pkt n = { NVSP_MSG_SEND_RNDIS_PKT, NVSP_CHANNEL_DATA, section,
				    sizeof(m) + FRAME_BYTES };
	uint8_t *sec =
		N.ram + ((N.tx_pfn << VMB_PAGE_SHIFT) - VMBNET_NATIVE_RAM_BASE) + section * 2048;
	struct nvsp_rndis_pkt_complete c = { 0 };
	struct vmb_pkt p;

	m.p.data_offset = sizeof(struct rndis_packet);
	m.p.data_len = FRAME_BYTES;
	memcpy(sec, &m, sizeof(m));
	memset(sec + sizeof(m), 0xab, FRAME_BYTES);
	VT_EQ(vmb_ring_write_inband(&N.up, VMB_PKT_FLAG_COMPLETION_REQUESTED, SECTION_TID, &n,
				    sizeof(n)),
	      0);
	if (vmb_ring_tx_publish(&N.up))
		vmbnet_host_doorbell(&N.host, 0);
	for (int i = 0; i < 5000; i++) {
		if (vmb_ring_peek(&N.down, &p) == 0 && p.type == VMB_PKT_DATA_XFER_PAGES) {
			/* a control message (link indication): give the slot back */
			struct nvsp_rndis_pkt_complete back = { NVSP_MSG_SEND_RNDIS_PKT_COMPLETE,
								NVSP_STAT_SUCCESS };

			VT_EQ(vmb_ring_write(&N.up, VMB_PKT_COMP, 0, p.trans_id, NULL, 0,
					     &(struct vmb_sg){ &back, sizeof(back) }, 1),
			      0);
			vmb_ring_advance(&N.down, &p);
			vmb_ring_rx_release(&N.down);
			if (vmb_ring_tx_publish(&N.up))
				vmbnet_host_doorbell(&N.host, 0);
			continue;
		}
		if (vmb_ring_peek(&N.down, &p) == 0) {
			VT_EQ(p.type, VMB_PKT_COMP);
			VT_EQ(p.trans_id, SECTION_TID);
			vmb_ring_pkt_copy(&N.down, &p, p.data_off, &c, sizeof(c));
			vmb_ring_advance(&N.down, &p);
			vmb_ring_rx_release(&N.down);
			return c.status;
		}
		vmbnet_native_wait(&N, 1);
	}
	VT_FAIL("no completion for the send-section frame");
}

/* Regression (review): resume forgot the send buffer's section count, so
 * every send-section frame failed after a backend restart.
 */
static void run_restart_send_section(void)
{
	static struct frames f;
	struct backend be;

	be_start(&be, CRASH_NONE, 0);
	VT_EQ(vmbnet_native_bringup(&N, 256, 5000), 0);
	frames_prepare(&f);
	VT_EQ(send_in_section(3), NVSP_STAT_SUCCESS);
	be_reap(&be);
	be_start(&be, CRASH_AFTER_CKPT, 4);
	VT_CHECK(!send_until(&f, 2000, &be));
	be_reap(&be);
	be_start(&be, CRASH_NONE, 0);
	VT_CHECK(send_until(&f, 2000, &be));
	VT_EQ(send_in_section(5), NVSP_STAT_SUCCESS);
	be_reap(&be);
	check_exactly_once();
}

/* Reaps a backend once it died and starts a clean successor (which the
 * guest accepts from its wait loop).
 */
static void *succeed_dead(void *arg)
{
	struct backend *be = arg, *next = be + 1;

	while (!atomic_load(&be->dead))
		usleep(1000);
	be_reap(be);
	memset(next, 0, sizeof(*next));
	VT_EQ(pthread_create(&next->th, NULL, be_main, next), 0);
	return NULL;
}

/* Regression (review): a backend that died around the very first
 * checkpoint of a channel (nothing ever published) made every successor
 * refuse to resume it.
 */
static void run_restart_at_first_checkpoint(enum crash crash)
{
	static struct frames f;
	static struct backend be[2];
	pthread_t watcher;

	memset(be, 0, sizeof(be));
	be[0].crash = crash;
	be[0].crash_at = 1; /* NVSP INIT's completion */
	VT_EQ(pthread_create(&be[0].th, NULL, be_main, &be[0]), 0);
	VT_EQ(vmbnet_native_accept(&N, 5000), 0);
	VT_EQ(pthread_create(&watcher, NULL, succeed_dead, be), 0);
	VT_EQ(vmbnet_native_bringup(&N, 256, 10000), 0);
	VT_EQ(pthread_join(watcher, NULL), 0);
	frames_prepare(&f);
	VT_CHECK(send_until(&f, 1000, &be[1]));
	be_reap(&be[1]);
	check_exactly_once();
	VT_EQ(done_ok, 1000);
	VT_EQ(N.front.stats.connects, 2);
}

/* The backend dies and none comes back; the guest closes the channel. */
static void run_close_without_backend(void)
{
	static struct frames f;
	struct backend be;

	be_start(&be, CRASH_NONE, 0);
	VT_EQ(vmbnet_native_bringup(&N, 256, 5000), 0);
	frames_prepare(&f);
	be_reap(&be);
	be_start(&be, CRASH_AFTER_CKPT, 20);
	VT_CHECK(!send_until(&f, FRAMES, &be));
	be_reap(&be);
	vmbnet_native_wait(&N, 10); /* the front end sees the hang-up */
	vmbnet_native_close(&N);
	check_exactly_once();
	VT_CHECK(done_failed > 0);
	VT_CHECK(N.front.stats.failed_in_flight > 0);
	printf("%llu completed, %llu failed by the front end on close\n",
	       (unsigned long long)done_ok, (unsigned long long)done_failed);
}

static void cycle(void)
{
	run_cycle();
}

static void restart_before_checkpoint(void)
{
	run_restarts(CRASH_BEFORE_CKPT, 1);
}

static void restart_after_checkpoint(void)
{
	run_restarts(CRASH_AFTER_CKPT, 1);
}

static void restart_after_publish(void)
{
	run_restarts(CRASH_AFTER_PUBLISH, 1);
}

static void restart_repeatedly(void)
{
	run_restarts(CRASH_NONE, 9);
}

static void restart_at_first_checkpoint(void)
{
	run_restart_at_first_checkpoint(CRASH_AFTER_CKPT);
}

static void restart_before_first_checkpoint(void)
{
	run_restart_at_first_checkpoint(CRASH_BEFORE_CKPT);
}

static void restart_send_section(void)
{
	run_restart_send_section();
}

static void close_without_backend(void)
{
	run_close_without_backend();
}

/* Each case: a fresh native guest and front end on its own socket. */
static void native_setup(void)
{
	snprintf(sock_path, sizeof(sock_path), "/tmp/vmbnet-test-hof-%d.sock", getpid());
	VT_EQ(vmbnet_native_init(&N, sock_path, 64), 0);
}

static void native_teardown(void)
{
	vmbnet_native_fini(&N);
	VT_EQ(access(sock_path, F_OK), -1); /* the front end removed its socket */
}

static const struct vt_case cases[] = {
	VT_CASE(cycle),
	VT_CASE(restart_before_checkpoint),
	VT_CASE(restart_after_checkpoint),
	VT_CASE(restart_after_publish),
	VT_CASE(restart_repeatedly),
	VT_CASE(restart_send_section),
	VT_CASE(restart_at_first_checkpoint),
	VT_CASE(restart_before_first_checkpoint),
	VT_CASE(close_without_backend),
};

VT_MAIN_FIXTURE(cases, native_setup, native_teardown)
