// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the NIC (NVSP dispatch, RNDIS control and data,
 * per-packet info, send sections, GPA-direct ranges, receive slots) fed by a
 * guest whose packets, send-section contents and network frames come from
 * the fuzzer, on a channel that is open with its buffers connected.
 *
 * Input: records of u8 op, u8 arg, u16 len (LE), len bytes.
 *   op % 6: 0 inband packet (flags arg) with the bytes as payload
 *           1 the bytes into send section arg
 *           2 GPA-direct packet: one range over the data pages, bytes as
 *             NVSP payload, offset/length from the first 4 bytes
 *           3 completion of receive slot id (arg + first byte)
 *           4 a frame from the network (the bytes)
 *           5 link down/up (arg & 1), close and reopen (arg & 2)
 * After every record the guest rings the doorbell and takes what the host
 * wrote, without checking it (the guest-side fuzzers do that).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FAKE_RAM_BYTES (512u << 10)
#include "fake_guest.h"
#include "vmbnet_nic.h"

#define UP_PAGES 8
#define DOWN_PAGES 8
#define RX_PAGES 4
#define TX_PAGES 4
#define DATA_PAGES 4

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t len);

static struct fake_guest g;
static struct vmbnet_host h;
static struct vmbnet_nic nic;
static struct vmb_ring up, down;
static uint64_t ring_pfn, rx_pfn, tx_pfn, data_pfn;

static int net_tx(void *opaque, uint32_t chan, const struct iovec *iov, int n,
		  const struct vmbnet_frame_meta *meta)
{
	return 0;
}

static const struct vmbnet_nic_ops ops = { .tx = net_tx };

static void guest_drain(void)
{
	struct vmb_pkt p;

	for (unsigned int n = vmb_ring_max_pkts(&down); n && !vmb_ring_peek(&down, &p); n--)
		vmb_ring_advance(&down, &p);
	vmb_ring_rx_release(&down);
}

static void doorbell(void)
{
	vmb_ring_tx_publish(&up);
	vmbnet_host_doorbell(&h, 0);
	guest_drain();
}

static void nvsp(const void *m, uint32_t n)
{
	vmb_ring_write_inband(&up, VMB_PKT_FLAG_COMPLETION_REQUESTED, 1, m, n);
	doorbell();
}

/* The channel open with NVSP, both buffers and RNDIS initialized. */
static int channel_up(void)
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

static void channel_close(void)
{
	struct vmb_msg_close_channel c = { .hdr.msgtype = VMB_MSG_CLOSE_CHANNEL, .child_relid = 1 };
	uint8_t buf[VMB_MSG_MAX];

	vmbnet_host_message(&h, &c, sizeof(c));
	while (vmbnet_host_pop(&h, buf))
		;
}

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t len)
{
	size_t off = 0;

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
	while (off + 4 <= len) {
		uint8_t op = in[off], arg = in[off + 1];
		uint16_t n = (uint16_t)(in[off + 2] | in[off + 3] << 8);
		const uint8_t *b = in + off + 4;

		off += 4;
		if (n > len - off)
			n = (uint16_t)(len - off);
		switch (op % 6) {
		case 0:
			vmb_ring_write_inband(&up, arg, 100 + off, b, n);
			break;
		case 1: {
			uint32_t sec = arg % (TX_PAGES * VMB_PAGE_SIZE / VMBNET_TX_SECTION_BYTES);

			memcpy((uint8_t *)fg_ptr(&g, tx_pfn) + sec * VMBNET_TX_SECTION_BYTES, b,
			       n < VMBNET_TX_SECTION_BYTES ? n : VMBNET_TX_SECTION_BYTES);
			break;
		}
		case 2: {
			struct vmb_gpa_direct_hdr gh = { 0, 1 };
			struct vmb_gpa_range r = { 0, 0 };
			uint8_t ext[sizeof(gh) + sizeof(r) + 8 * DATA_PAGES];
			uint32_t o = 0, l = 0, np;

			if (n >= 8) {
				memcpy(&o, b, 4);
				memcpy(&l, b + 4, 4);
			}
			r.byte_offset = o % VMB_PAGE_SIZE;
			r.byte_count = l % (DATA_PAGES * VMB_PAGE_SIZE - r.byte_offset);
			np = VMB_GPA_RANGE_PFNS(r.byte_offset, r.byte_count ? r.byte_count : 1);
			memcpy(ext, &gh, sizeof(gh));
			memcpy(ext + sizeof(gh), &r, sizeof(r));
			for (unsigned int i = 0; i < DATA_PAGES; i++) {
				uint64_t pfn = data_pfn + i;

				memcpy(ext + sizeof(gh) + sizeof(r) + 8 * i, &pfn, 8);
			}
			vmb_ring_write(&up, VMB_PKT_DATA_GPA_DIRECT,
				       VMB_PKT_FLAG_COMPLETION_REQUESTED, 200 + off, ext,
				       (uint32_t)(sizeof(gh) + sizeof(r) + 8 * np),
				       &(struct vmb_sg){ b, n }, 1);
			break;
		}
		case 3: {
			struct nvsp_rndis_pkt_complete c = { NVSP_MSG_SEND_RNDIS_PKT_COMPLETE,
							     n ? b[0] : 0 };

			vmb_ring_write(&up, VMB_PKT_COMP, 0, (uint64_t)arg + (n ? b[0] : 0), NULL,
				       0, &(struct vmb_sg){ &c, sizeof(c) }, 1);
			break;
		}
		case 4:
			vmbnet_nic_receive(&nic, 0, &(struct iovec){ (void *)b, n }, 1, NULL);
			break;
		case 5:
			vmbnet_nic_set_link(&nic, arg & 1);
			if (arg & 2) {
				channel_close();
				if (channel_up())
					goto out;
			}
			break;
		}
		doorbell();
		off += n;
	}
out:
	vmbnet_host_fini(&h);
	if (g.maps)
		abort();
	return 0;
}
