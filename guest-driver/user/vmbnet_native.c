// SPDX-License-Identifier: MIT
/*
 * vmbnet native: the DDI core in userspace against an external backend.
 * See vmbnet_native.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vmbnet/vmb_nvsp.h"
#include "vmbnet_native.h"

#define NATIVE_MTU 1500

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * The core stamps every packet twice (send, completion). Where the TSC is
 * constant and non-stop, reading it is several times cheaper than
 * clock_gettime(); it is calibrated against CLOCK_MONOTONIC once.
 */
#define TSC_CALIBRATE_NS 20000000ull

static double tsc_ns_per_tick;
static uint64_t tsc_base, tsc_base_ns;

#if defined(__x86_64__)
#include <x86intrin.h>

static bool cpu_has(const char *flag)
{
	char line[4096];
	bool found = false;
	FILE *f = fopen("/proc/cpuinfo", "r");

	while (f && !found && fgets(line, sizeof(line), f))
		found = !strncmp(line, "flags", 5) && strstr(line, flag);
	if (f)
		fclose(f);
	return found;
}

static void tsc_calibrate(void)
{
	uint64_t t0, c0, t1, c1;

	if (tsc_ns_per_tick || !cpu_has(" constant_tsc") || !cpu_has(" nonstop_tsc"))
		return;
	t0 = now_ns();
	c0 = __rdtsc();
	while ((t1 = now_ns()) - t0 < TSC_CALIBRATE_NS)
		;
	c1 = __rdtsc();
	tsc_base = c1;
	tsc_base_ns = t1;
	tsc_ns_per_tick = (double)(t1 - t0) / (double)(c1 - c0);
}

static uint64_t fast_now_ns(void)
{
	if (!tsc_ns_per_tick)
		return now_ns();
	return tsc_base_ns + (uint64_t)((double)(__rdtsc() - tsc_base) * tsc_ns_per_tick);
}
#else
static void tsc_calibrate(void)
{
}

static uint64_t fast_now_ns(void)
{
	return now_ns();
}
#endif

/* ---- guest RAM --------------------------------------------------------------- */

void *vmbnet_native_dma(struct vmbnet_native *n, uint32_t len, uint64_t *pfn)
{
	return vmbnet_uguest_dma(&n->g, len, pfn);
}

int vmbnet_native_describe(struct vmbnet_native *n, void *va, uint32_t len, struct vmbnet_mdl *m,
			   uint64_t *pfns, uint32_t max)
{
	return vmbnet_uguest_describe(&n->g, va, len, m, pfns, max);
}

/* ---- the core's port ---------------------------------------------------------- */

void vmbnet_native_doorbell(struct vmbnet_native *n)
{
	n->stats.doorbells++;
	vmbnet_uguest_doorbell(&n->g);
}

static void port_flush(void *opaque)
{
	struct vmbnet_native *n = opaque;

	if (vmb_ring_tx_publish(&n->g.up))
		vmbnet_native_doorbell(n);
}

static int port_send(void *opaque, uint16_t type, uint16_t flags, uint64_t tid, const void *ext,
		     uint32_t ext_len, const struct vmb_sg *sg, unsigned int nsg, bool more)
{
	struct vmbnet_native *n = opaque;
	int ret = vmbnet_uguest_write(&n->g, type, flags, tid, ext, ext_len, sg, nsg);

	if (ret)
		return ret;
	if (!more)
		port_flush(opaque);
	return 0;
}

static bool port_ready(void *opaque)
{
	return ((struct vmbnet_native *)opaque)->g.vc.open;
}

static bool port_in_atomic(void *opaque)
{
	return false;
}

static void *port_alloc(void *opaque, size_t len)
{
	return calloc(1, len);
}

static void port_free(void *opaque, void *p)
{
	free(p);
}

static void *port_dma_alloc(void *opaque, size_t len, uint64_t *pfn)
{
	return vmbnet_native_dma(opaque, (uint32_t)len, pfn);
}

static void port_dma_free(void *opaque, void *p, size_t len, uint64_t pfn)
{
	/* guest RAM is released as a whole */
}

static void port_nolock(void *opaque)
{
}

static void port_wait(void *opaque, bool (*done)(void *arg), void *arg)
{
	struct vmbnet_native *n = opaque;
	uint64_t end = now_ns() + 10ull * 1000000000ull;

	while (!done(arg) && now_ns() < end)
		if (!vmbnet_native_pump(n))
			vmbnet_native_wait(n, 10);
}

static uint64_t port_now(void *opaque)
{
	return fast_now_ns();
}

uint64_t vmbnet_native_now_ns(void)
{
	return fast_now_ns();
}

static void port_macs(void *opaque, uint8_t src[6], uint8_t dst[6])
{
	struct vmbnet_native *n = opaque;

	memcpy(src, n->g.vmbc.mac, 6);
	memset(dst, 0xff, 6);
}

static int port_describe(void *opaque, void *va, uint32_t len, struct vmbnet_mdl *m, uint64_t *pfns,
			 uint32_t max)
{
	return vmbnet_native_describe(opaque, va, len, m, pfns, max);
}

static const struct vmbnet_core_port native_port = {
	.send = port_send,
	.flush = port_flush,
	.ready = port_ready,
	.in_atomic = port_in_atomic,
	.alloc = port_alloc,
	.free = port_free,
	.dma_alloc = port_dma_alloc,
	.dma_free = port_dma_free,
	.lock = port_nolock,
	.unlock = port_nolock,
	.wait = port_wait,
	.now_ns = port_now,
	.macs = port_macs,
	.describe = port_describe,
};

/* ---- receiving ----------------------------------------------------------------- */

/* A receive slot from the backend: count data frames, give it back. */
static void give_slot_back(struct vmbnet_native *n, const struct vmb_pkt *p)
{
	struct nvsp_rndis_pkt m = { 0 };
	struct vmb_xfer_page_hdr h;
	struct vmb_xfer_range r[1];

	vmb_ring_pkt_copy(&n->g.down, p, p->data_off, &m, sizeof(m));
	if (m.channel_type == NVSP_CHANNEL_DATA &&
	    vmb_xfer_parse(&n->g.down, p, VMBNET_NATIVE_RX_PAGES * VMB_PAGE_SIZE, &h, r, 1) == 1) {
		n->stats.rx_frames++;
		n->stats.rx_bytes += r[0].byte_count;
	}
	/* room: the backend never lends more slots than the up ring can return */
	vmbc_slot_return(&n->g.vc, p->trans_id);
}

unsigned int vmbnet_native_pump(struct vmbnet_native *n)
{
	struct vmb_pkt p;
	unsigned int got = 0, ncomp = 0;
	bool wrote = false;

	while (vmb_ring_peek(&n->g.down, &p) == 0) {
		if (p.type == VMB_PKT_COMP && vmbnet_core_owns(p.trans_id) && n->core_ready) {
			/* to the core in batches, as vmbnet.ko's NAPI hands them */
			struct vmbnet_comp *e = &n->comp[ncomp];

			e->trans_id = p.trans_id;
			e->len = vmb_pkt_data_len(&p) < sizeof(e->payload) ? vmb_pkt_data_len(&p) :
									     sizeof(e->payload);
			e->data = NULL;
			vmb_ring_pkt_copy(&n->g.down, &p, p.data_off, e->payload, e->len);
			if (++ncomp == VMBNET_COMP_BATCH) {
				vmbnet_core_complete_batch(&n->core, n->comp, ncomp);
				ncomp = 0;
			}
		} else if (p.type == VMB_PKT_DATA_XFER_PAGES) {
			give_slot_back(n, &p);
			wrote = true;
		}
		vmb_ring_advance(&n->g.down, &p);
		got++;
	}
	if (ncomp)
		vmbnet_core_complete_batch(&n->core, n->comp, ncomp);
	/* The backend may wait for this space (pending_send_sz). */
	if (vmb_ring_rx_release(&n->g.down))
		vmbnet_native_doorbell(n);
	if (wrote)
		port_flush(n);
	if (got && n->core_ready)
		vmbnet_core_kick(&n->core);
	return got;
}

int vmbnet_native_wait(struct vmbnet_native *n, int timeout_ms)
{
	int woken;

	if (n->g.vc.open && vmb_ring_rx_unmask(&n->g.down)) {
		vmb_ring_rx_mask(&n->g.down);
		return 1; /* arrived while we were deciding to sleep */
	}
	woken = vmb_sim_wait(n->g.sim, timeout_ms);
	n->stats.wakeups += (unsigned int)woken;
	vmb_ring_rx_mask(&n->g.down);
	return woken;
}

/* ---- bring-up -------------------------------------------------------------------- */

/* The VMBus client waits for the backend: sleep on its signal. */
static void native_idle(void *opaque, unsigned int us)
{
	vmbnet_native_wait(opaque, (int)(us + 999) / 1000);
}

int vmbnet_native_bringup(struct vmbnet_native *n, uint32_t slots, int timeout_ms)
{
	int err;

	err = vmbnet_uguest_bringup(&n->g, VMBNET_NATIVE_RING_PAGES, VMBNET_NATIVE_RING_PAGES,
				    VMBNET_NATIVE_RX_PAGES, VMBNET_NATIVE_TX_PAGES,
				    (unsigned int)timeout_ms);
	if (!err) {
		vmb_ring_rx_mask(&n->g.down); /* we poll; vmbnet_native_wait() unmasks */
		err = vmbnet_core_init(&n->core, &native_port, n, slots);
	}
	n->core_ready = !err;
	return err;
}

void vmbnet_native_close(struct vmbnet_native *n)
{
	if (!n->g.vc.open)
		return;
	vmbnet_uguest_close(&n->g);
	vmbnet_native_pump(n); /* the failure completions of what was queued */
	if (n->core_ready)
		vmbnet_core_cancel_all(&n->core, VMBNET_STATUS_CANCELLED);
}

/* ---- set-up ----------------------------------------------------------------- */

int vmbnet_native_accept(struct vmbnet_native *n, int timeout_ms)
{
	return vmb_sim_accept(n->g.sim, timeout_ms);
}

int vmbnet_native_init(struct vmbnet_native *n, const char *sock, uint32_t ram_mib)
{
	struct vmb_sim_config cfg = {
		.channels = 1,
		.mtu = NATIVE_MTU,
		.ring_pages = VMBNET_NATIVE_RING_PAGES,
		.mac = { 0x02, 0x76, 0x6d, 0x62, 0x00, 0x01 },
		.ram_mib = ram_mib,
		.backend = sock,
	};
	int err;

	memset(n, 0, sizeof(*n));
	tsc_calibrate();
	err = vmbnet_uguest_init(&n->g, &cfg);
	n->g.idle = native_idle;
	n->g.opaque = n;
	return err;
}

void vmbnet_native_fini(struct vmbnet_native *n)
{
	if (n->core_ready)
		vmbnet_core_fini(&n->core);
	n->core_ready = false;
	vmbnet_uguest_fini(&n->g);
}
