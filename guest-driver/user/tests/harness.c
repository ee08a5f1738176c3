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
	if (vmb_ring_tx_publish(&H.up)) {
		if (H.host_runs)
			vmb_sim_write(H.sim, VMB_REG_DOORBELL(0), 1);
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
	ret = vmb_ring_write(&H.up, type, flags, tid, ext, ext_len, sg, nsg);
	if (ret)
		return ret;
	if (!more)
		port_flush(opaque);
	return 0;
}

static bool port_ready(void *opaque)
{
	return !H.closed && vmb_sim_read(H.sim, VMB_REG_STATUS) & VMB_STATUS_LINK_UP;
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
	uint64_t off = (uint64_t)((uint8_t *)va - H.ram);
	uint32_t n = VMB_GPA_RANGE_PFNS(off & (VMB_PAGE_SIZE - 1), len);

	if ((uint8_t *)va < H.ram || off + len > H.ram_bytes || n > max)
		return -EINVAL;
	h_mdl(m, pfns, va, len);
	return 0;
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
	uint64_t bytes = ((uint64_t)len + VMB_PAGE_SIZE - 1) & ~(uint64_t)(VMB_PAGE_SIZE - 1);
	void *p = H.ram + H.next;

	VT_CHECK(bytes <= H.ram_bytes - H.next);
	if (pfn)
		*pfn = (H.ram_gpa + H.next) >> VMB_PAGE_SHIFT;
	H.next += bytes;
	return p;
}

static void *pfn_ptr(uint64_t pfn)
{
	return H.ram + ((pfn << VMB_PAGE_SHIFT) - H.ram_gpa);
}

void h_mdl(struct vmbnet_mdl *m, uint64_t *pfns, void *va, uint32_t len)
{
	uint64_t off = (uint64_t)((uint8_t *)va - H.ram);
	uint64_t first = (H.ram_gpa + off) >> VMB_PAGE_SHIFT;

	memset(m, 0, sizeof(*m));
	m->StartVa = (uint8_t *)va - (off & (VMB_PAGE_SIZE - 1));
	m->ByteOffset = (uint32_t)(off & (VMB_PAGE_SIZE - 1));
	m->ByteCount = len;
	m->PfnCount = VMB_GPA_RANGE_PFNS(m->ByteOffset, len ? len : 1);
	for (uint32_t i = 0; i < m->PfnCount; i++)
		pfns[i] = first + i;
	m->Pfns = pfns;
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

	while (vmb_ring_peek(&H.down, &p) == 0) {
		uint32_t len = vmb_pkt_data_len(&p) < sizeof(payload) ? vmb_pkt_data_len(&p) :
									sizeof(payload);

		vmb_ring_pkt_copy(&H.down, &p, p.data_off, payload, len);
		vmb_ring_advance(&H.down, &p);
		if (p.type == VMB_PKT_COMP && vmbnet_core_owns(p.trans_id)) {
			vmbnet_core_complete(&H.core, p.trans_id, payload, len);
		} else if (p.type == VMB_PKT_DATA_XFER_PAGES) {
			/* give receive slots (indications) straight back */
			VT_EQ(vmbc_slot_return(&H.vc, p.trans_id), 0);
			wrote = true;
		}
	}
	vmb_ring_rx_release(&H.down);
	if (wrote)
		vmb_ring_tx_publish(&H.up);
	if (H.core.port) /* not during bring-up */
		vmbnet_core_kick(&H.core);
}

void h_run(void)
{
	H.doorbells_pending = 0;
	vmb_sim_write(H.sim, VMB_REG_DOORBELL(0), 1);
	h_pump();
}

void h_set_link(bool up)
{
	vmb_sim_set_link(H.sim, up);
}

/* ---- bring-up: the VMBus client on the function's registers ------------------- */

static uint32_t vmbc_rd(void *opaque, uint32_t reg)
{
	return vmb_sim_read(H.sim, reg);
}

static void vmbc_wr(void *opaque, uint32_t reg, uint32_t val)
{
	vmb_sim_write(H.sim, reg, val);
}

static void vmbc_sleep(void *opaque, unsigned int us)
{
	/* the in-process NIC answers within the write that asked */
}

static uint64_t vmbc_now_ms(void *opaque)
{
	return port_now(opaque) / 1000000ull;
}

static void vmbc_log(void *opaque, const char *fmt, va_list ap)
{
	vfprintf(stderr, fmt, ap);
}

static const struct vmbc_port vmbc_port = {
	.rd = vmbc_rd,
	.wr = vmbc_wr,
	.sleep = vmbc_sleep,
	.now_ms = vmbc_now_ms,
	.log = vmbc_log,
};

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
	uint32_t ring_gpadl, rx_gpadl, tx_gpadl;
	struct vmbc *c = &H.vmbc;

	memset(&H, 0, sizeof(H));
	VT_EQ(vmb_sim_create(&cfg, &H.sim), 0);
	H.ram = vmb_sim_ram(H.sim, &H.ram_gpa, &H.ram_bytes);
	vmbc_init(c, &vmbc_port, NULL);
	VT_EQ(vmbc_probe(c), 0);
	VT_EQ(vmbc_connect(c), 0);
	H.vc = (struct vmbc_chan){ .c = c,
				   .index = c->offer[0].index,
				   .relid = c->offer[0].relid,
				   .up = &H.up,
				   .down = &H.down };
	h_dma((H_UP_PAGES + H_DOWN_PAGES) * VMB_PAGE_SIZE, &H.ring_pfn);
	h_dma(H_RX_PAGES * VMB_PAGE_SIZE, &H.rx_pfn);
	h_dma(H_TX_PAGES * VMB_PAGE_SIZE, &H.tx_pfn);
	VT_EQ(vmbc_rings_init(&H.up, &H.down, pfn_ptr(H.ring_pfn), H_UP_PAGES * VMB_PAGE_SIZE,
			      H_DOWN_PAGES * VMB_PAGE_SIZE),
	      0);
	VT_EQ(vmbc_gpadl_create_contig(c, H.vc.relid, H.ring_pfn, H_UP_PAGES + H_DOWN_PAGES,
				       &ring_gpadl),
	      0);
	VT_EQ(vmbc_gpadl_create_contig(c, H.vc.relid, H.rx_pfn, H_RX_PAGES, &rx_gpadl), 0);
	VT_EQ(vmbc_gpadl_create_contig(c, H.vc.relid, H.tx_pfn, H_TX_PAGES, &tx_gpadl), 0);
	VT_EQ(vmbc_open(c, H.vc.relid, ring_gpadl, H_UP_PAGES), 0);
	VT_EQ(vmbc_nvsp_connect(&H.vc, rx_gpadl, pfn_ptr(H.rx_pfn), H_RX_PAGES * VMB_PAGE_SIZE,
				tx_gpadl, pfn_ptr(H.tx_pfn), H_TX_PAGES * VMB_PAGE_SIZE),
	      0);
	VT_EQ(vmbc_rndis_init(&H.vc), 0);
	VT_EQ(c->stats.unexpected_msgs + c->stats.protocol_errors + c->stats.timeouts, 0);
	VT_EQ(vmbnet_core_init(&H.core, &port, NULL, H_SLOTS), 0);
	H.host_runs = true;
}

void h_fini(void)
{
	vmbnet_core_fini(&H.core);
	vmb_sim_destroy(H.sim);
}
