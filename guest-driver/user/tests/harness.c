// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include <stdio.h>
#include <time.h>

#include "harness.h"

struct harness H;

/* ---- the network behind the device ----------------------------------------- */

static int net_tx(void *opaque, uint32_t chan, const struct iovec *iov, int n,
		  const struct vmb_sim_frame_info *meta)
{
	H.last_len = 0;
	for (int i = 0; i < n; i++) {
		VT_CHECK(H.last_len + iov[i].iov_len <= sizeof(H.last));
		memcpy(H.last + H.last_len, iov[i].iov_base, iov[i].iov_len);
		H.last_len += (uint32_t)iov[i].iov_len;
	}
	H.last_meta = *meta;
	H.frames++;
	return 0;
}

/* ---- the core's port -------------------------------------------------------- */

static void port_flush(void *opaque)
{
	if (vmb_ring_tx_publish(&H.g.up)) {
		if (H.host_runs)
			vmbnet_uguest_doorbell(&H.g);
		else
			H.doorbells_pending++;
	}
}

static int port_send(void *opaque, uint16_t type, uint16_t flags, uint64_t tid, const void *ext,
		     uint32_t ext_len, const struct vmb_sg *sg, unsigned int nsg, bool more)
{
	int ret;

	if (H.closed)
		return -ENOTCONN;
	ret = vmbnet_uguest_write(&H.g, type, flags, tid, ext, ext_len, sg, nsg);
	if (ret)
		return ret;
	if (!more)
		port_flush(opaque);
	return 0;
}

static bool port_ready(void *opaque)
{
	return !H.closed && vmb_sim_read(H.g.sim, VMB_REG_STATUS) & VMB_STATUS_LINK_UP;
}

static bool port_in_atomic(void *opaque)
{
	return H.atomic;
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
	return h_dma((uint32_t)len, pfn);
}

static void port_dma_free(void *opaque, void *p, size_t len, uint64_t pfn)
{
	/* guest RAM is freed as a whole */
}

static void port_lock(void *opaque)
{
}
static void port_unlock(void *opaque)
{
}

static void port_wait(void *opaque, bool (*done)(void *arg), void *arg)
{
	for (int i = 0; i < 1000 && !done(arg); i++)
		h_run();
	VT_CHECK(done(arg));
}

static uint64_t port_now(void *opaque)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void port_macs(void *opaque, uint8_t src[6], uint8_t dst[6])
{
	static const uint8_t s[6] = { 2, 0, 0, 0, 0, 1 }, d[6] = { 2, 0, 0, 0, 0, 2 };

	memcpy(src, s, 6);
	memcpy(dst, d, 6);
}

static int port_describe(void *opaque, void *va, uint32_t len, struct vmbnet_mdl *m, uint64_t *pfns,
			 uint32_t max)
{
	return vmbnet_uguest_describe(&H.g, va, len, m, pfns, max);
}

static const struct vmbnet_core_port port = {
	.send = port_send,
	.flush = port_flush,
	.ready = port_ready,
	.in_atomic = port_in_atomic,
	.alloc = port_alloc,
	.free = port_free,
	.dma_alloc = port_dma_alloc,
	.dma_free = port_dma_free,
	.lock = port_lock,
	.unlock = port_unlock,
	.wait = port_wait,
	.now_ns = port_now,
	.macs = port_macs,
	.describe = port_describe,
};

/* ---- guest memory ----------------------------------------------------------- */

void *h_dma(uint32_t len, uint64_t *pfn)
{
	void *p = vmbnet_uguest_dma(&H.g, len, pfn);

	VT_CHECK(p);
	return p;
}

void h_mdl(struct vmbnet_mdl *m, uint64_t *pfns, void *va, uint32_t len)
{
	VT_EQ(vmbnet_uguest_describe(&H.g, va, len, m, pfns, UINT32_MAX), 0);
}

void h_frame(uint8_t *buf, uint32_t len, uint8_t seed)
{
	for (uint32_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(seed + i * 7);
}

/* ---- running the scripted host ------------------------------------------------ */

void h_pump(void)
{
	struct vmb_pkt p;
	uint8_t payload[512];
	bool wrote = false;

	while (vmb_ring_peek(&H.g.down, &p) == 0) {
		uint32_t len = vmb_pkt_data_len(&p) < sizeof(payload) ? vmb_pkt_data_len(&p) :
									sizeof(payload);

		vmb_ring_pkt_copy(&H.g.down, &p, p.data_off, payload, len);
		vmb_ring_advance(&H.g.down, &p);
		if (p.type == VMB_PKT_COMP && vmbnet_core_owns(p.trans_id)) {
			vmbnet_core_complete(&H.core, p.trans_id, payload, len);
		} else if (p.type == VMB_PKT_DATA_XFER_PAGES) {
			/* give receive slots (indications) straight back */
			VT_EQ(vmbc_slot_return(&H.g.vc, p.trans_id), 0);
			wrote = true;
		}
	}
	vmb_ring_rx_release(&H.g.down);
	if (wrote)
		vmb_ring_tx_publish(&H.g.up);
	if (H.core.port) /* not during bring-up */
		vmbnet_core_kick(&H.core);
}

void h_run(void)
{
	H.doorbells_pending = 0;
	vmbnet_uguest_doorbell(&H.g);
	h_pump();
}

void h_set_link(bool up)
{
	vmb_sim_set_link(H.g.sim, up);
}

/* Boot the device, then channel 0 as vmbnet.ko brings it up. */
void h_init(void)
{
	struct vmb_sim_config cfg = {
		.channels = 1,
		.mtu = 1500,
		.ring_pages = H_DOWN_PAGES,
		.mac = { 2, 0, 0, 0, 0, 2 },
		.ram_mib = H_RAM_MIB,
		.tx = net_tx,
	};
	struct vmbc_stats *st = &H.g.vmbc.stats;

	memset(&H, 0, sizeof(H));
	VT_EQ(vmbnet_uguest_init(&H.g, &cfg), 0);
	/* the in-process NIC answers within the write that asked: no idle */
	VT_EQ(vmbnet_uguest_bringup(&H.g, H_UP_PAGES, H_DOWN_PAGES, H_RX_PAGES, H_TX_PAGES, 2000),
	      0);
	VT_EQ(st->unexpected_msgs + st->unexpected_pkts + st->protocol_errors + st->timeouts, 0);
	VT_EQ(vmbnet_core_init(&H.core, &port, NULL, H_SLOTS), 0);
	H.host_runs = true;
}

void h_fini(void)
{
	vmbnet_core_fini(&H.core);
	vmbnet_uguest_fini(&H.g);
}
