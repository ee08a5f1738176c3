/* SPDX-License-Identifier: MIT */
/*
 * A fake guest driver for the NIC's tests: a channel on real rings in the
 * fake guest's RAM, NVSP and RNDIS brought up, frames sent and received,
 * completions and receive slots read back. Static functions: one test
 * program includes it once.
 */
#ifndef VMBNET_NIC_HARNESS_H
#define VMBNET_NIC_HARNESS_H

#include "fake_guest.h"
#include "vmbnet_nic.h"
#include "vmbnet_nic_priv.h"

#define UP_PAGES 8
#define DOWN_PAGES 8
#define RX_PAGES 4 /* 8 receive slots */
#define TX_PAGES 6 /* 4 send sections */

static struct fake_guest g;
static struct vmbnet_host h;
static struct vmbnet_nic nic;
static struct vmb_ring up, down; /* guest's producer and consumer views */
static uint64_t ring_pfn, rx_pfn, tx_pfn, data_pfn;
static uint64_t next_tid = 1;

static struct {
	unsigned int frames, rx_ready;
	uint8_t last[2048];
	uint32_t last_len;
	struct vmbnet_frame_meta meta;
} net;

static inline int net_tx(void *opaque, uint32_t chan, const struct iovec *iov, int n,
			 const struct vmbnet_frame_meta *meta)
{
	net.last_len = 0;
	for (int i = 0; i < n; i++) {
		memcpy(net.last + net.last_len, iov[i].iov_base, iov[i].iov_len);
		net.last_len += (uint32_t)iov[i].iov_len;
	}
	net.meta = *meta;
	net.frames++;
	return 0;
}

static inline void net_rx_ready(void *opaque, uint32_t chan)
{
	net.rx_ready++;
}

static const struct vmbnet_nic_ops net_ops = { .tx = net_tx, .rx_ready = net_rx_ready };

/* Guest sends one inband NVSP message asking for completion; rings the bell. */
static inline uint64_t send_nvsp(const void *msg, uint32_t len)
{
	uint64_t tid = next_tid++;

	VT_EQ(vmb_ring_write_inband(&up, VMB_PKT_FLAG_COMPLETION_REQUESTED, tid, msg, len), 0);
	vmb_ring_tx_publish(&up);
	vmbnet_host_doorbell(&h, 0);
	return tid;
}

/* Next host packet for the guest; copies its payload. */
static inline struct vmb_pkt recv_pkt(void *payload, uint32_t max)
{
	struct vmb_pkt p;

	VT_EQ(vmb_ring_peek(&down, &p), 0);
	if (payload)
		VT_EQ(vmb_ring_pkt_copy(&down, &p, p.data_off, payload,
					vmb_pkt_data_len(&p) < max ? vmb_pkt_data_len(&p) : max),
		      0);
	vmb_ring_advance(&down, &p);
	vmb_ring_rx_release(&down);
	return p;
}

static inline void expect_comp(uint64_t tid, uint32_t type, uint32_t status)
{
	uint32_t m[2];
	struct vmb_pkt p = recv_pkt(m, sizeof(m));

	VT_EQ(p.type, VMB_PKT_COMP);
	VT_EQ(p.trans_id, tid);
	VT_EQ(m[0], type);
	VT_EQ(m[1], status);
}

/* Receive an RNDIS message lent in a receive slot; returns the slot id. */
static inline uint64_t recv_rndis(void *msg, uint32_t max, uint32_t *len)
{
	struct vmb_xfer_page_hdr xh;
	struct vmb_xfer_range xr;
	struct vmb_pkt p;

	VT_EQ(vmb_ring_peek(&down, &p), 0);
	VT_EQ(p.type, VMB_PKT_DATA_XFER_PAGES);
	VT_EQ(vmb_xfer_parse(&down, &p, RX_PAGES * VMB_PAGE_SIZE, &xh, &xr, 1), 1);
	VT_EQ(xh.xfer_pageset_id, NVSP_RECV_BUF_ID);
	VT_CHECK(xr.byte_count <= max);
	memcpy(msg, (uint8_t *)fg_ptr(&g, rx_pfn) + xr.byte_offset, xr.byte_count);
	*len = xr.byte_count;
	vmb_ring_advance(&down, &p);
	vmb_ring_rx_release(&down);
	return p.trans_id;
}

static inline void complete_slot(uint64_t tid)
{
	struct nvsp_rndis_pkt_complete c = { NVSP_MSG_SEND_RNDIS_PKT_COMPLETE, NVSP_STAT_SUCCESS };

	VT_EQ(vmb_ring_write(&up, VMB_PKT_COMP, 0, tid, NULL, 0, &(struct vmb_sg){ &c, sizeof(c) },
			     1),
	      0);
	vmb_ring_tx_publish(&up);
	vmbnet_host_doorbell(&h, 0);
}

/* RNDIS message in send section @sec, announced with NVSP 107. */
static inline uint64_t send_rndis_section(uint32_t sec, const void *msg, uint32_t len)
{
	struct nvsp_rndis_pkt m = { NVSP_MSG_SEND_RNDIS_PKT, NVSP_CHANNEL_CONTROL, sec, len };

	memcpy((uint8_t *)fg_ptr(&g, tx_pfn) + sec * VMBNET_TX_SECTION_BYTES, msg, len);
	return send_nvsp(&m, sizeof(m));
}

/* A host with the NIC on one channel, opened on fresh rings the guest attaches. */
static inline void open_channel(void)
{
	fg_init(&g);
	VT_EQ(vmbnet_host_init(&h, 1, (const uint8_t[6]){ 2, 1, 2, 3, 4, 5 }, &fake_guest_ops, &g,
			       &vmbnet_nic_handler),
	      0);
	vmbnet_nic_init(&nic, &h, 1500, &net_ops, NULL);
	fg_connect(&h);
	ring_pfn = fg_alloc(&g, UP_PAGES + DOWN_PAGES);
	rx_pfn = fg_alloc(&g, RX_PAGES);
	tx_pfn = fg_alloc(&g, TX_PAGES);
	data_pfn = fg_alloc(&g, 4);
	VT_EQ(fg_gpadl_contig(&h, 1, 10, ring_pfn, UP_PAGES + DOWN_PAGES), 0);
	VT_EQ(fg_gpadl_contig(&h, 1, 20, rx_pfn, RX_PAGES), 0);
	VT_EQ(fg_gpadl_contig(&h, 1, 21, tx_pfn, TX_PAGES), 0);
	VT_EQ(fg_open(&h, &g, 1, 10, ring_pfn, UP_PAGES, DOWN_PAGES), 0);
	VT_EQ(vmb_ring_attach_producer(&up, fg_ptr(&g, ring_pfn), UP_PAGES * VMB_PAGE_SIZE), 0);
	VT_EQ(vmb_ring_attach_consumer(&down, fg_ptr(&g, ring_pfn + UP_PAGES),
				       DOWN_PAGES * VMB_PAGE_SIZE),
	      0);
}

static inline uint32_t nvsp_version_for(uint32_t min, uint32_t max, uint32_t *status)
{
	struct nvsp_init init = { NVSP_MSG_INIT, min, max };
	struct nvsp_init_complete ic;
	uint64_t tid = send_nvsp(&init, sizeof(init));

	VT_EQ(recv_pkt(&ic, sizeof(ic)).trans_id, tid);
	VT_EQ(ic.type, NVSP_MSG_INIT_COMPLETE);
	*status = ic.status;
	return ic.negotiated_version;
}

/* NVSP init, then the receive and send buffers. */
static inline void bring_up(void)
{
	struct nvsp_send_buf rb = { NVSP_MSG_SEND_RECV_BUF, 20, NVSP_RECV_BUF_ID };
	struct nvsp_send_buf sb = { NVSP_MSG_SEND_SEND_BUF, 21, 0 };
	struct nvsp_recv_buf_complete rc;
	struct nvsp_send_buf_complete sc;
	uint64_t tid;
	uint32_t st;

	open_channel();
	VT_EQ(nvsp_version_for(NVSP_VERSION_61, NVSP_VERSION_61, &st), NVSP_VERSION_61);
	VT_EQ(st, NVSP_STAT_SUCCESS);

	tid = send_nvsp(&rb, sizeof(rb));
	VT_EQ(recv_pkt(&rc, sizeof(rc)).trans_id, tid);
	VT_EQ(rc.status, NVSP_STAT_SUCCESS);
	VT_EQ(rc.sub_alloc_size, VMBNET_RX_SECTION_BYTES);
	VT_EQ(rc.num_sub_allocs, RX_PAGES * VMB_PAGE_SIZE / VMBNET_RX_SECTION_BYTES);

	tid = send_nvsp(&sb, sizeof(sb));
	VT_EQ(recv_pkt(&sc, sizeof(sc)).trans_id, tid);
	VT_EQ(sc.status, NVSP_STAT_SUCCESS);
	VT_EQ(sc.section_size, VMBNET_TX_SECTION_BYTES);
}

static inline void rndis_init_and_query(void)
{
	struct {
		struct rndis_hdr h;
		struct rndis_init_request r;
	} init = { { RNDIS_MSG_INIT, sizeof(init) }, { 7, 1, 0, 0x4000 } };
	struct {
		struct rndis_hdr h;
		struct rndis_query_request q;
	} query = { { RNDIS_MSG_QUERY, sizeof(query) },
		    { 8, RNDIS_OID_802_3_PERMANENT_ADDRESS, 0, 20, 0 } };
	uint8_t reply[256];
	struct rndis_hdr rh;
	struct rndis_init_complete ic;
	struct rndis_query_complete qc;
	uint32_t len;
	uint64_t tid, slot;

	tid = send_rndis_section(0, &init, sizeof(init));
	expect_comp(tid, NVSP_MSG_SEND_RNDIS_PKT_COMPLETE, NVSP_STAT_SUCCESS);
	slot = recv_rndis(reply, sizeof(reply), &len);
	memcpy(&rh, reply, sizeof(rh));
	memcpy(&ic, reply + 8, sizeof(ic));
	VT_EQ(rh.msg_type, RNDIS_MSG_INIT | RNDIS_MSG_COMPLETION);
	VT_EQ(rh.msg_len, len);
	VT_EQ(ic.req_id, 7);
	VT_EQ(ic.status, RNDIS_STATUS_SUCCESS);
	complete_slot(slot);

	tid = send_rndis_section(1, &query, sizeof(query));
	expect_comp(tid, NVSP_MSG_SEND_RNDIS_PKT_COMPLETE, NVSP_STAT_SUCCESS);
	slot = recv_rndis(reply, sizeof(reply), &len);
	memcpy(&qc, reply + 8, sizeof(qc));
	VT_EQ(qc.req_id, 8);
	VT_EQ(qc.status, RNDIS_STATUS_SUCCESS);
	VT_EQ(qc.info_len, 6);
	VT_CHECK(!memcmp(reply + 8 + qc.info_offset, (uint8_t[]){ 2, 1, 2, 3, 4, 5 }, 6));
	complete_slot(slot);
	VT_EQ(nic.chan[0].rx_nfree, nic.chan[0].rx_slots);
}

/* A frame with an 802.1Q ppi, RNDIS header in one page, frame across two. */
static inline uint64_t send_frame_gpa(uint32_t prio, uint16_t vlan, uint32_t frame_len)
{
	struct {
		struct rndis_hdr h;
		struct rndis_packet p;
		struct rndis_ppi ppi;
		uint32_t v;
	} m = {
		{ RNDIS_MSG_PACKET, 0 }, { 0 }, { 16, RNDIS_PPI_8021Q, 12 }, RNDIS_8021Q(prio, vlan)
	};
	struct {
		struct vmb_gpa_direct_hdr h;
		struct vmb_gpa_range r0;
		uint64_t p0;
		struct vmb_gpa_range r1;
		uint64_t p1[2];
	} ext = { { 0, 2 },
		  { sizeof(m), 0 },
		  data_pfn,
		  { frame_len, 4000 },
		  { data_pfn + 1, data_pfn + 2 } };
	struct nvsp_rndis_pkt n = { NVSP_MSG_SEND_RNDIS_PKT, NVSP_CHANNEL_DATA, NVSP_SECTION_NONE,
				    0 };
	uint8_t *frame = (uint8_t *)fg_ptr(&g, data_pfn + 1) + 4000;
	uint64_t tid = next_tid++;

	m.h.msg_len = sizeof(m) + frame_len;
	m.p.data_offset = sizeof(m) - 8;
	m.p.data_len = frame_len;
	m.p.ppi_offset = sizeof(struct rndis_packet);
	m.p.ppi_len = 16;
	memcpy(fg_ptr(&g, data_pfn), &m, sizeof(m));
	for (uint32_t i = 0; i < frame_len; i++)
		frame[i] = (uint8_t)(i * 3 + prio);
	VT_EQ(vmb_ring_write(&up, VMB_PKT_DATA_GPA_DIRECT, VMB_PKT_FLAG_COMPLETION_REQUESTED, tid,
			     &ext, sizeof(ext), &(struct vmb_sg){ &n, sizeof(n) }, 1),
	      0);
	vmb_ring_tx_publish(&up);
	vmbnet_host_doorbell(&h, 0);
	return tid;
}

#endif /* VMBNET_NIC_HARNESS_H */
