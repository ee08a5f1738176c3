// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include <time.h>

#include "harness.h"

struct harness H;

/* ---- the device side ------------------------------------------------------ */

static int net_tx(void *opaque, uint32_t chan, const struct iovec *iov, int n,
		  const struct vmbnet_frame_meta *meta)
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

static const struct vmbnet_nic_ops net_ops = { .tx = net_tx };

/* ---- the core's port -------------------------------------------------------- */

static void port_flush(void *opaque)
{
	if (vmb_ring_tx_publish(&H.up)) {
		if (H.host_runs)
			vmbnet_host_doorbell(&H.host, 0);
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
	return !H.closed && H.nic.link_up;
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
	/* the fake guest's RAM is freed as a whole */
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
	uint64_t off = (uint64_t)((uint8_t *)va - H.g.ram);
	uint32_t n = VMB_GPA_RANGE_PFNS(off & (VMB_PAGE_SIZE - 1), len);

	if ((uint8_t *)va < H.g.ram || off + len > FAKE_RAM_BYTES || n > max)
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
	uint64_t p = fg_alloc(&H.g, (len + VMB_PAGE_SIZE - 1) / VMB_PAGE_SIZE);

	if (pfn)
		*pfn = p;
	return fg_ptr(&H.g, p);
}

void h_mdl(struct vmbnet_mdl *m, uint64_t *pfns, void *va, uint32_t len)
{
	uint64_t off = (uint64_t)((uint8_t *)va - H.g.ram);
	uint64_t first = (FAKE_RAM_BASE + off) >> VMB_PAGE_SHIFT;

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
			struct nvsp_rndis_pkt_complete c = { NVSP_MSG_SEND_RNDIS_PKT_COMPLETE,
							     NVSP_STAT_SUCCESS };
			struct vmb_sg sg = { &c, sizeof(c) };

			VT_EQ(vmb_ring_write(&H.up, VMB_PKT_COMP, 0, p.trans_id, NULL, 0, &sg, 1),
			      0);
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
	vmbnet_host_doorbell(&H.host, 0);
	h_pump();
}

/* One inband NVSP exchange during bring-up. */
static void sync_nvsp(const void *msg, uint32_t len, void *reply, uint32_t reply_len)
{
	struct vmb_pkt p;

	VT_EQ(vmb_ring_write_inband(&H.up, VMB_PKT_FLAG_COMPLETION_REQUESTED, 1, msg, len), 0);
	vmb_ring_tx_publish(&H.up);
	vmbnet_host_doorbell(&H.host, 0);
	VT_EQ(vmb_ring_peek(&H.down, &p), 0);
	VT_EQ(p.type, VMB_PKT_COMP);
	vmb_ring_pkt_copy(&H.down, &p, p.data_off, reply, reply_len);
	vmb_ring_advance(&H.down, &p);
	vmb_ring_rx_release(&H.down);
}

void h_init(void)
{
	struct nvsp_init init = { NVSP_MSG_INIT, NVSP_VERSION_61, NVSP_VERSION_61 };
	struct nvsp_send_buf rb = { NVSP_MSG_SEND_RECV_BUF, 20, NVSP_RECV_BUF_ID };
	struct nvsp_send_buf sb = { NVSP_MSG_SEND_SEND_BUF, 21, 0 };
	struct {
		struct rndis_hdr h;
		struct rndis_init_request r;
	} ri = { { RNDIS_MSG_INIT, sizeof(ri) }, { 1, 1, 0, 0 } };
	struct nvsp_rndis_pkt rp = { NVSP_MSG_SEND_RNDIS_PKT, 1, 0, sizeof(ri) };
	uint8_t reply[64];

	memset(&H, 0, sizeof(H));
	fg_init(&H.g);
	VT_EQ(vmbnet_host_init(&H.host, 1, (const uint8_t[6]){ 2, 0, 0, 0, 0, 2 }, &fake_guest_ops,
			       &H.g, &vmbnet_nic_handler),
	      0);
	vmbnet_nic_init(&H.nic, &H.host, 1500, &net_ops, NULL);
	fg_connect(&H.host);
	H.ring_pfn = fg_alloc(&H.g, H_UP_PAGES + H_DOWN_PAGES);
	H.rx_pfn = fg_alloc(&H.g, H_RX_PAGES);
	H.tx_pfn = fg_alloc(&H.g, H_TX_PAGES);
	VT_EQ(fg_gpadl_contig(&H.host, 1, 10, H.ring_pfn, H_UP_PAGES + H_DOWN_PAGES), 0);
	VT_EQ(fg_gpadl_contig(&H.host, 1, 20, H.rx_pfn, H_RX_PAGES), 0);
	VT_EQ(fg_gpadl_contig(&H.host, 1, 21, H.tx_pfn, H_TX_PAGES), 0);
	VT_EQ(fg_open(&H.host, &H.g, 1, 10, H.ring_pfn, H_UP_PAGES, H_DOWN_PAGES), 0);
	VT_EQ(vmb_ring_attach_producer(&H.up, fg_ptr(&H.g, H.ring_pfn), H_UP_PAGES * VMB_PAGE_SIZE),
	      0);
	VT_EQ(vmb_ring_attach_consumer(&H.down, fg_ptr(&H.g, H.ring_pfn + H_UP_PAGES),
				       H_DOWN_PAGES * VMB_PAGE_SIZE),
	      0);
	sync_nvsp(&init, sizeof(init), reply, 16);
	sync_nvsp(&rb, sizeof(rb), reply, 28);
	sync_nvsp(&sb, sizeof(sb), reply, 12);
	memcpy(fg_ptr(&H.g, H.tx_pfn), &ri, sizeof(ri));
	sync_nvsp(&rp, sizeof(rp), reply, 8);
	h_pump(); /* the RNDIS reply's receive slot goes back */
	vmbnet_host_doorbell(&H.host, 0);
	VT_CHECK(H.nic.chan[0].rndis_ready);
	VT_EQ(vmbnet_core_init(&H.core, &port, NULL, H_SLOTS), 0);
	H.host_runs = true;
}

void h_fini(void)
{
	vmbnet_core_fini(&H.core);
	vmbnet_host_fini(&H.host);
	fg_fini(&H.g);
}
