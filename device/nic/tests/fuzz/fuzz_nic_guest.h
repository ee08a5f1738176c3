/* SPDX-License-Identifier: MIT */
/*
 * The guest of the NIC fuzzers: a fake guest (device/vmbus/tests) with one
 * channel open on the NIC, NVSP, both buffers and RNDIS brought up, and a
 * guest that takes whatever the host writes without looking.
 */
#ifndef VMBNET_FUZZ_NIC_GUEST_H
#define VMBNET_FUZZ_NIC_GUEST_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FAKE_RAM_BYTES (512u << 10)
#include "fake_guest.h"
#include "vmbnet_nic.h"

#define UP_PAGES 8
#define DOWN_PAGES 8
#define RX_PAGES 4
#define TX_PAGES 12
#define DATA_PAGES 4

static struct fake_guest g;
static struct vmbnet_host h;
static struct vmbnet_nic nic;
static struct vmb_ring up, down;
static uint64_t ring_pfn, rx_pfn, tx_pfn, data_pfn;

static inline int net_tx(void *opaque, uint32_t chan, const struct iovec *iov, int n,
			 const struct vmbnet_frame_meta *meta)
{
	return 0;
}

static const struct vmbnet_nic_ops ops = { .tx = net_tx };

static inline void guest_drain(void)
{
	struct vmb_pkt p;

	for (unsigned int n = vmb_ring_max_pkts(&down); n && !vmb_ring_peek(&down, &p); n--)
		vmb_ring_advance(&down, &p);
	vmb_ring_rx_release(&down);
}

static inline void doorbell(void)
{
	vmb_ring_tx_publish(&up);
	vmbnet_host_doorbell(&h, 0);
	guest_drain();
}

static inline void nvsp(const void *m, uint32_t n)
{
	vmb_ring_write_inband(&up, VMB_PKT_FLAG_COMPLETION_REQUESTED, 1, m, n);
	doorbell();
}

/* The channel open with NVSP, both buffers and RNDIS initialized. */
static inline int channel_up(void)
{
	struct nvsp_init init = { NVSP_MSG_INIT, NVSP_VERSION_61, NVSP_VERSION_61 };
	struct nvsp_send_buf rb = { NVSP_MSG_SEND_RECV_BUF, 20, NVSP_RECV_BUF_ID };
	struct nvsp_send_buf sb = { NVSP_MSG_SEND_SEND_BUF, 21, 0 };
	struct {
		struct rndis_hdr h;
		struct rndis_init_request r;
	} ri = { { RNDIS_MSG_INIT, sizeof(ri) }, { 1, 1, 0, 0 } };
	struct nvsp_rndis_pkt rp = { NVSP_MSG_SEND_RNDIS_PKT, NVSP_CHANNEL_CONTROL, 0, sizeof(ri) };

	if (fg_open(&h, &g, 1, 10, ring_pfn, UP_PAGES, DOWN_PAGES) ||
	    vmb_ring_attach_producer(&up, fg_ptr(&g, ring_pfn), UP_PAGES * VMB_PAGE_SIZE) ||
	    vmb_ring_attach_consumer(&down, fg_ptr(&g, ring_pfn + UP_PAGES),
				     DOWN_PAGES * VMB_PAGE_SIZE))
		return -1;
	nvsp(&init, sizeof(init));
	nvsp(&rb, sizeof(rb));
	nvsp(&sb, sizeof(sb));
	memcpy(fg_ptr(&g, tx_pfn), &ri, sizeof(ri));
	nvsp(&rp, sizeof(rp));
	return 0;
}

static inline void channel_close(void)
{
	struct vmb_msg_close_channel c = { .hdr.msgtype = VMB_MSG_CLOSE_CHANNEL, .child_relid = 1 };
	uint8_t buf[VMB_MSG_MAX];

	vmbnet_host_message(&h, &c, sizeof(c));
	while (vmbnet_host_pop(&h, buf))
		;
}

/* A host with the NIC and the guest's channel up; aborts if it is not. */
static inline void nic_guest_up(void)
{
	if (!g.ram)
		fg_init(&g);
	memset(g.ram, 0, FAKE_RAM_BYTES);
	g.next_page = 0;
	g.maps = 0;
	if (vmbnet_host_init(&h, 1, (const uint8_t[6]){ 2, 0, 0, 0, 0, 1 }, &fake_guest_ops, &g,
			     &vmbnet_nic_handler))
		abort();
	vmbnet_nic_init(&nic, &h, 1500, &ops, NULL);
	fg_connect(&h);
	ring_pfn = fg_alloc(&g, UP_PAGES + DOWN_PAGES);
	rx_pfn = fg_alloc(&g, RX_PAGES);
	tx_pfn = fg_alloc(&g, TX_PAGES);
	data_pfn = fg_alloc(&g, DATA_PAGES);
	if (fg_gpadl_contig(&h, 1, 10, ring_pfn, UP_PAGES + DOWN_PAGES) ||
	    fg_gpadl_contig(&h, 1, 20, rx_pfn, RX_PAGES) ||
	    fg_gpadl_contig(&h, 1, 21, tx_pfn, TX_PAGES) || channel_up())
		abort();
}

/* The host goes; nothing it mapped may stay. */
static inline void nic_guest_down(void)
{
	vmbnet_host_fini(&h);
	if (g.maps)
		abort();
}

#endif /* VMBNET_FUZZ_NIC_GUEST_H */
