// SPDX-License-Identifier: MIT
/*
 * Packets of every type go through the ring and come out byte-identical,
 * with the VMBus layout: descriptor, extension, payload padded to 8, trailer
 * naming the start. Includes packets that wrap around the ring's end.
 */
#include <string.h>

#include "vmb_test_ring.h"

static void check_inband(struct vt_ring *t, uint32_t len, uint64_t id)
{
	uint8_t in[512], out[512];
	struct vmb_pkt p;
	uint32_t start = t->tx.priv_index;
	uint64_t trailer;

	for (uint32_t i = 0; i < len; i++)
		in[i] = (uint8_t)(id * 31 + i);
	VT_EQ(vmb_ring_write_inband(&t->tx, VMB_PKT_FLAG_COMPLETION_REQUESTED, id, in, len), 0);
	VT_EQ(vmb_ring_peek(&t->rx, &p), -EAGAIN); /* not published yet */
	vmb_ring_tx_publish(&t->tx);
	VT_EQ(vmb_ring_peek(&t->rx, &p), 0);
	VT_EQ(p.type, VMB_PKT_DATA_INBAND);
	VT_EQ(p.flags, VMB_PKT_FLAG_COMPLETION_REQUESTED);
	VT_EQ(p.trans_id, id);
	VT_EQ(p.start, start);
	VT_EQ(p.data_off, 16);
	VT_EQ(p.len, 16 + VMB_ALIGN8(len));
	VT_EQ(vmb_pkt_data_len(&p), VMB_ALIGN8(len));
	VT_EQ(vmb_ring_pkt_copy(&t->rx, &p, p.data_off, out, len), 0);
	VT_CHECK(memcmp(in, out, len) == 0);
	if (p.data)
		VT_CHECK(memcmp(p.data, in, len) == 0);
	/* Padding is zero, and the trailer names the start. */
	if (VMB_ALIGN8(len) != len) {
		uint8_t pad[8];
		uint32_t n = VMB_ALIGN8(len) - len;

		VT_EQ(vmb_ring_pkt_copy(&t->rx, &p, p.data_off + len, pad, n), 0);
		for (uint32_t i = 0; i < n; i++)
			VT_EQ(pad[i], 0);
	}
	memcpy(&trailer, t->rx.data + (start + p.len) % t->rx.size, 8);
	VT_EQ(VMB_TRAILER_START(trailer), start);
	/* Out-of-packet copies are refused. */
	VT_EQ(vmb_ring_pkt_copy(&t->rx, &p, p.len - 4, out, 8), -EINVAL);
	vmb_ring_advance(&t->rx, &p);
	vmb_ring_rx_release(&t->rx);
	VT_EQ(vmb_ring_peek(&t->rx, &p), -EAGAIN);
}

static void check_gpa_and_xfer(struct vt_ring *t)
{
	struct {
		struct vmb_gpa_direct_hdr h;
		struct vmb_gpa_range r;
		uint64_t pfn[2];
	} gpa = { { 0, 1 }, { 5000, 100 }, { 7, 8 } };
	struct {
		struct vmb_xfer_page_hdr h;
		struct vmb_xfer_range r[2];
	} xfer = { { 1, 0, 0, 2 }, { { 64, 0 }, { 100, 4096 } } };
	const struct vmb_mem_region mem = { 0, 1 << 20 };
	struct vmb_gpa_seg segs[4];
	struct vmb_xfer_page_hdr xh;
	struct vmb_xfer_range xr[4];
	struct vmb_sg sg = { "rndis", 5 };
	struct vmb_pkt p;

	VT_EQ(vmb_ring_write(&t->tx, VMB_PKT_DATA_GPA_DIRECT, VMB_PKT_FLAG_COMPLETION_REQUESTED, 42,
			     &gpa, sizeof(gpa), &sg, 1),
	      0);
	VT_EQ(vmb_ring_write(&t->tx, VMB_PKT_DATA_XFER_PAGES, 0, 43, &xfer, sizeof(xfer), NULL, 0),
	      0);
	VT_EQ(vmb_ring_write(&t->tx, VMB_PKT_COMP, 0, 44, NULL, 0, &sg, 1), 0);
	vmb_ring_tx_publish(&t->tx);

	VT_EQ(vmb_ring_peek(&t->rx, &p), 0);
	VT_EQ(p.type, VMB_PKT_DATA_GPA_DIRECT);
	VT_EQ(p.data_off, 16 + sizeof(gpa));
	VT_EQ(vmb_gpa_parse(&t->rx, &p, &mem, 1, segs, 4), 2);
	VT_EQ(segs[0].gpa, 7 * 4096 + 100);
	VT_EQ(segs[0].len, 4096 - 100);
	VT_EQ(segs[1].gpa, 8 * 4096);
	VT_EQ(segs[1].len, 5000 - (4096 - 100));
	VT_EQ(vmb_gpa_parse(&t->rx, &p, &mem, 1, segs, 1), -ENOSPC);
	VT_EQ(t->rx.error, 0); /* too small an output array is not the peer's fault */
	vmb_ring_advance(&t->rx, &p);

	VT_EQ(vmb_ring_peek(&t->rx, &p), 0);
	VT_EQ(p.type, VMB_PKT_DATA_XFER_PAGES);
	VT_EQ(vmb_xfer_parse(&t->rx, &p, 8192, &xh, xr, 4), 2);
	VT_EQ(xh.xfer_pageset_id, 1);
	VT_EQ(xr[1].byte_offset, 4096);
	VT_EQ(xr[1].byte_count, 100);
	vmb_ring_advance(&t->rx, &p);

	VT_EQ(vmb_ring_peek(&t->rx, &p), 0);
	VT_EQ(p.type, VMB_PKT_COMP);
	VT_EQ(p.trans_id, 44);
	vmb_ring_advance(&t->rx, &p);
	vmb_ring_rx_release(&t->rx);
	VT_EQ(t->rx.stats.packets, 3);
	VT_EQ(t->rx.stats.protocol_errors, 0);
}

/* The producer refuses what the peer would have to treat as an attack. */
static void check_write_refuses(struct vt_ring *t)
{
	uint64_t v = 0;
	struct vmb_sg sg = { &v, sizeof(v) };

	VT_EQ(vmb_ring_write(&t->tx, 0x5, 0, 1, NULL, 0, &sg, 1), -EINVAL);
	VT_EQ(vmb_ring_write(&t->tx, VMB_PKT_DATA_INBAND, 0x4, 1, NULL, 0, &sg, 1), -EINVAL);
	/* trans_id 0 is not among them: ids are opaque (test_ring_hostile) */
	VT_EQ(vmb_ring_write(&t->tx, VMB_PKT_DATA_GPA_DIRECT, 0, 1, NULL, 0, &sg, 1), -EINVAL);
	VT_EQ(t->tx.stats.packets, 0);
	VT_EQ(t->tx.error, 0);
}

static void refuses_invalid_writes(void)
{
	struct vt_ring t;

	vt_ring_init(&t, 2 * VMB_PAGE_SIZE);
	check_write_refuses(&t);
	vt_ring_fini(&t);
}

static void gpa_xfer_and_completion(void)
{
	struct vt_ring t;

	vt_ring_init(&t, 2 * VMB_PAGE_SIZE);
	check_gpa_and_xfer(&t);
	VT_EQ(t.tx.stats.packets, 3);
	VT_EQ(t.tx.stats.bytes, t.rx.stats.bytes);
	VT_EQ(t.rx.error, 0);
	vt_ring_fini(&t);
}

static void inband_wraparound(void)
{
	struct vt_ring t;
	uint64_t id = 1;

	vt_ring_init(&t, 2 * VMB_PAGE_SIZE);
	/* Start 144 bytes in, behind one 120-byte packet: from there one of
	 * the packets below ends exactly at the end of the data area, so its
	 * trailer is the first thing after the wrap.
	 */
	check_inband(&t, 120, id++);
	VT_EQ(t.tx.priv_index, 144);
	/* Enough odd-sized packets to wrap the 8 KiB data area many times,
	 * so descriptors, payloads and trailers each land across the end.
	 */
	for (int round = 0; round < 400; round++)
		check_inband(&t, (uint32_t)(round * 7) % 500 + 1, id++);
	VT_EQ(t.tx.stats.packets, 401);
	VT_EQ(t.rx.stats.packets, 401);
	VT_EQ(t.tx.stats.bytes, t.rx.stats.bytes);
	VT_EQ(t.rx.error, 0);
	vt_ring_fini(&t);
}

static const struct vt_case cases[] = {
	VT_CASE(refuses_invalid_writes),
	VT_CASE(gpa_xfer_and_completion),
	VT_CASE(inband_wraparound),
};

VT_MAIN(cases)
