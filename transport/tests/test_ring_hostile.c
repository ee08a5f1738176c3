// SPDX-License-Identifier: MIT
/*
 * A hostile peer: one crafted ring per validation rule. Each must be
 * refused with -EIO, name the right reason, count one protocol error, leave
 * the endpoint broken (every later call -EIO), and never read outside the
 * ring (run under ASan to see that).
 *
 * usage: test_ring_hostile --list | <case>   (CTest runs one entry per case)
 */
#include <string.h>

#include "vmb_test_ring.h"

#define SIZE (2 * VMB_PAGE_SIZE)

/* The fixture: a fresh ring per case, both endpoints attached. */
static struct vt_ring T;

static void setup(void)
{
	vt_ring_init(&T, SIZE);
}

static void teardown(void)
{
	vt_ring_fini(&T);
}

static const struct vmb_mem_region guest_ram = { 0x100000, 0x100000 };

static struct vmb_pkt_desc *desc0(struct vt_ring *t)
{
	return (struct vmb_pkt_desc *)t->rx.data; /* first packet sits at 0 */
}

static void put_inband(struct vt_ring *t, uint16_t flags, uint64_t id)
{
	uint8_t b[40] = { 1 };

	VT_EQ(vmb_ring_write_inband(&t->tx, flags, id, b, sizeof(b)), 0);
	vmb_ring_tx_publish(&t->tx);
}

/* A GPA-direct packet whose extension is @ext (@len bytes, multiple of 8). */
static void put_gpa(struct vt_ring *t, const void *ext, uint32_t len)
{
	struct vmb_sg sg = { "x", 1 };

	VT_EQ(vmb_ring_write(&t->tx, VMB_PKT_DATA_GPA_DIRECT, VMB_PKT_FLAG_COMPLETION_REQUESTED, 9,
			     ext, len, &sg, 1),
	      0);
	vmb_ring_tx_publish(&t->tx);
}

static void expect_broken(struct vt_ring *t, int ret, uint32_t why)
{
	struct vmb_pkt p;

	VT_EQ(ret, -EIO);
	if (t->rx.error != why)
		VT_FAIL("broke for '%s', expected '%s'", vmb_ring_error_name(t->rx.error),
			vmb_ring_error_name(why));
	VT_EQ(t->rx.stats.protocol_errors, 1);
	/* Broken stays broken. */
	VT_EQ(vmb_ring_peek(&t->rx, &p), -EIO);
	VT_EQ(vmb_ring_rx_release(&t->rx), false);
}

static int peek(struct vt_ring *t, struct vmb_pkt *p)
{
	return vmb_ring_peek(&t->rx, p);
}

static int gpa(struct vt_ring *t)
{
	struct vmb_gpa_seg segs[VMB_GPA_MAX_PFNS];
	struct vmb_pkt p;

	VT_EQ(peek(t, &p), 0);
	return vmb_gpa_parse(&t->rx, &p, &guest_ram, 1, segs, VMB_GPA_MAX_PFNS);
}

struct gpa1 {
	struct vmb_gpa_direct_hdr h;
	struct vmb_gpa_range r;
	uint64_t pfn[2];
};

#define GPA1(cnt, off, p0, p1)          \
	{                               \
		{ 0, 1 }, { cnt, off }, \
		{                       \
			p0, p1          \
		}                       \
	}
#define RAM_PFN (0x100000 >> VMB_PAGE_SHIFT)

static void write_index_out_of_range(void)
{
	struct vt_ring *t = &T;
	struct vmb_pkt p;

	vt_hdr(t)->write_index = SIZE + 8;
	expect_broken(t, peek(t, &p), VMB_RING_ERR_INDEX);
}

static void write_index_misaligned(void)
{
	struct vt_ring *t = &T;
	struct vmb_pkt p;

	vt_hdr(t)->write_index = 12;
	expect_broken(t, peek(t, &p), VMB_RING_ERR_INDEX);
}

static void read_index_out_of_range(void)
{
	struct vt_ring *t = &T;
	/* The consumer attacks the producer this time. */
	uint8_t big[SIZE / 2];

	put_inband(t, 0, 1);
	VT_EQ(vmb_ring_write_inband(&t->tx, 0, 2, big, sizeof(big)), 0);
	vt_hdr(t)->read_index = 0xfffffff8;
	VT_EQ(vmb_ring_write_inband(&t->tx, 0, 3, big, sizeof(big)), -EIO);
	VT_EQ(t->tx.error, VMB_RING_ERR_INDEX);
	VT_EQ(t->tx.stats.protocol_errors, 1);
	VT_EQ(vmb_ring_tx_publish(&t->tx), false);
}

static void attach_bad_index(void)
{
	struct vt_ring *t = &T;
	struct vmb_ring r;

	vt_hdr(t)->read_index = 3;
	VT_EQ(vmb_ring_attach_consumer(&r, t->mem, t->len), -EIO);
	VT_EQ(r.error, VMB_RING_ERR_INDEX);
}

static void short_packet(void)
{
	struct vt_ring *t = &T;
	struct vmb_pkt p;

	vt_hdr(t)->write_index = 16;
	expect_broken(t, peek(t, &p), VMB_RING_ERR_SHORT);
}

static void unknown_type(void)
{
	struct vt_ring *t = &T;
	struct vmb_pkt p;

	put_inband(t, 0, 1);
	desc0(t)->type = 0x5;
	expect_broken(t, peek(t, &p), VMB_RING_ERR_TYPE);
}

static void unknown_flags(void)
{
	struct vt_ring *t = &T;
	struct vmb_pkt p;

	put_inband(t, 0, 1);
	desc0(t)->flags = 0x8;
	expect_broken(t, peek(t, &p), VMB_RING_ERR_FLAGS);
}

static void offset8_inside_descriptor(void)
{
	struct vt_ring *t = &T;
	struct vmb_pkt p;

	put_inband(t, 0, 1);
	desc0(t)->offset8 = 1;
	expect_broken(t, peek(t, &p), VMB_RING_ERR_LENGTH);
}

static void len8_below_offset8(void)
{
	struct vt_ring *t = &T;
	struct vmb_pkt p;

	put_inband(t, 0, 1);
	desc0(t)->offset8 = 4;
	desc0(t)->len8 = 3;
	expect_broken(t, peek(t, &p), VMB_RING_ERR_LENGTH);
}

static void len8_past_published(void)
{
	struct vt_ring *t = &T;
	struct vmb_pkt p;

	put_inband(t, 0, 1);
	desc0(t)->len8 = 0xffff;
	expect_broken(t, peek(t, &p), VMB_RING_ERR_LENGTH);
}

static void extension_missing(void)
{
	struct vt_ring *t = &T;
	struct vmb_pkt p;

	put_inband(t, 0, 1);
	desc0(t)->type = VMB_PKT_DATA_GPA_DIRECT; /* offset8 = 2: no header */
	expect_broken(t, peek(t, &p), VMB_RING_ERR_LENGTH);
}

static void bad_trailer(void)
{
	struct vt_ring *t = &T;
	struct vmb_pkt p;

	put_inband(t, 0, 1);
	put_inband(t, 0, 2);
	/* The second packet's trailer claims the first one's start. */
	memset(t->rx.data + 2 * 64 - 8, 0, 8);
	VT_EQ(peek(t, &p), 0);
	vmb_ring_advance(&t->rx, &p);
	expect_broken(t, peek(t, &p), VMB_RING_ERR_TRAILER);
}

/*
 * Regression (real-clients issue): trans_id 0 broke the channel. DPDK's
 * netvsc sends NVSP INIT, the buffer requests and every RNDIS control
 * message with trans_id 0 and a completion requested (hn_nvs.c, hn_rndis.c),
 * so such a guest died on its first message. An id is opaque, as on
 * Hyper-V: 0 is written, read and completed like any other value.
 */
static void completion_trans_id_zero(void)
{
	struct vt_ring *t = &T;
	struct vmb_pkt p;

	VT_EQ(vmb_ring_write_inband(&t->tx, 0, 0, "c", 1), 0);
	vmb_ring_tx_publish(&t->tx);
	desc0(t)->type = VMB_PKT_COMP; /* vmb_ring_write() would also take it */
	VT_EQ(peek(t, &p), 0);
	VT_EQ(p.type, VMB_PKT_COMP);
	VT_EQ(p.trans_id, 0);
	VT_EQ(t->rx.error, 0);
}

static void request_trans_id_zero(void)
{
	struct vt_ring *t = &T;
	struct vmb_pkt p;
	struct vmb_sg sg = { "r", 1 };

	put_inband(t, VMB_PKT_FLAG_COMPLETION_REQUESTED, 0);
	VT_EQ(peek(t, &p), 0);
	VT_EQ(p.flags, VMB_PKT_FLAG_COMPLETION_REQUESTED);
	VT_EQ(p.trans_id, 0);
	vmb_ring_advance(&t->rx, &p);
	/* and the completion goes back with the same id */
	VT_EQ(vmb_ring_write(&t->tx, VMB_PKT_COMP, 0, 0, NULL, 0, &sg, 1), 0);
	vmb_ring_tx_publish(&t->tx);
	VT_EQ(peek(t, &p), 0);
	VT_EQ(p.type, VMB_PKT_COMP);
	VT_EQ(p.trans_id, 0);
}

static void gpa_no_ranges(void)
{
	struct vt_ring *t = &T;
	struct gpa1 g = GPA1(10, 0, RAM_PFN, 0);

	g.h.range_count = 0;
	put_gpa(t, &g, sizeof(g));
	expect_broken(t, gpa(t), VMB_RING_ERR_RANGE);
}

static void gpa_too_many_ranges(void)
{
	struct vt_ring *t = &T;
	struct gpa1 g = GPA1(10, 0, RAM_PFN, 0);

	g.h.range_count = VMB_GPA_MAX_RANGES + 1;
	put_gpa(t, &g, sizeof(g));
	expect_broken(t, gpa(t), VMB_RING_ERR_RANGE);
}

static void gpa_ranges_past_extension(void)
{
	struct vt_ring *t = &T;
	struct gpa1 g = GPA1(10, 0, RAM_PFN, RAM_PFN);

	g.h.range_count = 2; /* the second range's pfn lies past offset8 */
	put_gpa(t, &g, sizeof(g));
	expect_broken(t, gpa(t), VMB_RING_ERR_RANGE);
}

static void gpa_pfns_past_extension(void)
{
	struct vt_ring *t = &T;
	struct gpa1 g = GPA1(4 * VMB_PAGE_SIZE, 0, RAM_PFN, RAM_PFN);

	put_gpa(t, &g, sizeof(g)); /* 4 pages need 4 pfns, 2 are there */
	expect_broken(t, gpa(t), VMB_RING_ERR_RANGE);
}

static void gpa_byte_offset_past_page(void)
{
	struct vt_ring *t = &T;
	struct gpa1 g = GPA1(10, VMB_PAGE_SIZE, RAM_PFN, 0);

	put_gpa(t, &g, sizeof(g));
	expect_broken(t, gpa(t), VMB_RING_ERR_RANGE);
}

static void gpa_byte_count_zero(void)
{
	struct vt_ring *t = &T;
	struct gpa1 g = GPA1(0, 0, RAM_PFN, 0);

	put_gpa(t, &g, sizeof(g));
	expect_broken(t, gpa(t), VMB_RING_ERR_RANGE);
}

static void gpa_byte_count_huge(void)
{
	struct vt_ring *t = &T;
	struct gpa1 g = GPA1(0xffffffff, 8, RAM_PFN, 0);

	put_gpa(t, &g, sizeof(g));
	expect_broken(t, gpa(t), VMB_RING_ERR_RANGE);
}

static void gpa_pfn_outside_memory(void)
{
	struct vt_ring *t = &T;
	struct gpa1 g = GPA1(10, 0, RAM_PFN + 256, 0);

	put_gpa(t, &g, sizeof(g));
	expect_broken(t, gpa(t), VMB_RING_ERR_PFN);
}

static void gpa_pfn_overflow(void)
{
	struct vt_ring *t = &T;
	struct gpa1 g = GPA1(10, 0, UINT64_MAX, 0);

	put_gpa(t, &g, sizeof(g));
	expect_broken(t, gpa(t), VMB_RING_ERR_PFN);
}

static void gpa_pfn_above_max(void)
{
	struct vt_ring *t = &T;
	struct gpa1 g = GPA1(10, 0, VMB_MAX_PFN + 1, 0);
	struct vmb_gpa_seg segs[4];
	struct vmb_pkt p;

	/* Also without a region table: the PFN width is checked first. */
	put_gpa(t, &g, sizeof(g));
	VT_EQ(peek(t, &p), 0);
	expect_broken(t, vmb_gpa_parse(&t->rx, &p, NULL, 0, segs, 4), VMB_RING_ERR_PFN);
}

static void gpa_too_many_pfns_per_packet(void)
{
	struct vt_ring *t = &T;
	/* Two ranges of 200 pages: each under the cap, together over it. */
	static struct {
		struct vmb_gpa_direct_hdr h;
		struct vmb_gpa_range r0;
		uint64_t p0[200];
		struct vmb_gpa_range r1;
		uint64_t p1[200];
	} g;
	struct vmb_gpa_seg segs[512];
	struct vmb_pkt p;

	g.h.range_count = 2;
	g.r0.byte_count = g.r1.byte_count = 200 * VMB_PAGE_SIZE;
	for (int i = 0; i < 200; i++)
		g.p0[i] = g.p1[i] = RAM_PFN + i;
	put_gpa(t, &g, sizeof(g));
	VT_EQ(peek(t, &p), 0);
	expect_broken(t, vmb_gpa_parse(&t->rx, &p, &guest_ram, 1, segs, 512), VMB_RING_ERR_RANGE);
}

static void unmask_bad_write_index(void)
{
	struct vt_ring *t = &T;
	struct vmb_pkt p;

	vt_hdr(t)->write_index = SIZE + 64;
	VT_EQ(vmb_ring_rx_unmask(&t->rx), true); /* the next peek says why */
	expect_broken(t, peek(t, &p), VMB_RING_ERR_INDEX);
}

static void release_bad_write_index(void)
{
	struct vt_ring *t = &T;
	struct vmb_pkt p;

	put_inband(t, 0, 1);
	VT_EQ(peek(t, &p), 0);
	vmb_ring_advance(&t->rx, &p);
	vt_hdr(t)->pending_send_sz = 100;
	vt_hdr(t)->write_index = 5;
	VT_EQ(vmb_ring_rx_release(&t->rx), false);
	expect_broken(t, -EIO, VMB_RING_ERR_INDEX);
}

static void gpa_second_page_outside(void)
{
	struct vt_ring *t = &T;
	struct gpa1 g = GPA1(VMB_PAGE_SIZE, 8, RAM_PFN + 255, RAM_PFN + 256);

	put_gpa(t, &g, sizeof(g));
	expect_broken(t, gpa(t), VMB_RING_ERR_PFN);
}

static void xfer_range_past_set(void)
{
	struct vt_ring *t = &T;
	struct {
		struct vmb_xfer_page_hdr h;
		struct vmb_xfer_range r;
	} x = { { 0, 0, 0, 1 }, { 100, 8000 } };
	struct vmb_xfer_page_hdr h;
	struct vmb_xfer_range r[4];
	struct vmb_pkt p;

	VT_EQ(vmb_ring_write(&t->tx, VMB_PKT_DATA_XFER_PAGES, 0, 1, &x, sizeof(x), NULL, 0), 0);
	vmb_ring_tx_publish(&t->tx);
	VT_EQ(peek(t, &p), 0);
	expect_broken(t, vmb_xfer_parse(&t->rx, &p, 8050, &h, r, 4), VMB_RING_ERR_RANGE);
}

/* One range of 100 bytes at 0, with @range_count and @byte_count forced. */
static void xfer_bad_header(uint32_t range_count, uint32_t byte_count)
{
	struct vt_ring *t = &T;
	struct {
		struct vmb_xfer_page_hdr h;
		struct vmb_xfer_range r;
	} x = { { 0, 0, 0, 1 }, { 100, 0 } };
	struct vmb_xfer_page_hdr h;
	struct vmb_xfer_range r[VMB_XFER_MAX_RANGES + 1];
	struct vmb_pkt p;

	x.h.range_count = range_count;
	x.r.byte_count = byte_count;
	VT_EQ(vmb_ring_write(&t->tx, VMB_PKT_DATA_XFER_PAGES, 0, 1, &x, sizeof(x), NULL, 0), 0);
	vmb_ring_tx_publish(&t->tx);
	VT_EQ(peek(t, &p), 0);
	expect_broken(t, vmb_xfer_parse(&t->rx, &p, 8192, &h, r, VMB_XFER_MAX_RANGES + 1),
		      VMB_RING_ERR_RANGE);
}

static void xfer_range_count_zero(void)
{
	xfer_bad_header(0, 100);
}

static void xfer_range_count_huge(void)
{
	xfer_bad_header(VMB_XFER_MAX_RANGES + 1, 100);
}

static void xfer_byte_count_zero(void)
{
	xfer_bad_header(1, 0);
}

static void xfer_ranges_past_extension(void)
{
	struct vt_ring *t = &T;
	struct {
		struct vmb_xfer_page_hdr h;
		struct vmb_xfer_range r;
	} x = { { 0, 0, 0, 3 }, { 100, 0 } };
	struct vmb_xfer_page_hdr h;
	struct vmb_xfer_range r[4];
	struct vmb_pkt p;

	VT_EQ(vmb_ring_write(&t->tx, VMB_PKT_DATA_XFER_PAGES, 0, 1, &x, sizeof(x), NULL, 0), 0);
	vmb_ring_tx_publish(&t->tx);
	VT_EQ(peek(t, &p), 0);
	expect_broken(t, vmb_xfer_parse(&t->rx, &p, 8192, &h, r, 4), VMB_RING_ERR_RANGE);
}

static const struct vt_case cases[] = {
	VT_CASE(write_index_out_of_range),
	VT_CASE(write_index_misaligned),
	VT_CASE(read_index_out_of_range),
	VT_CASE(attach_bad_index),
	VT_CASE(short_packet),
	VT_CASE(unknown_type),
	VT_CASE(unknown_flags),
	VT_CASE(offset8_inside_descriptor),
	VT_CASE(len8_below_offset8),
	VT_CASE(len8_past_published),
	VT_CASE(extension_missing),
	VT_CASE(bad_trailer),
	VT_CASE(completion_trans_id_zero),
	VT_CASE(request_trans_id_zero),
	VT_CASE(gpa_no_ranges),
	VT_CASE(gpa_too_many_ranges),
	VT_CASE(gpa_ranges_past_extension),
	VT_CASE(gpa_pfns_past_extension),
	VT_CASE(gpa_byte_offset_past_page),
	VT_CASE(gpa_byte_count_zero),
	VT_CASE(gpa_byte_count_huge),
	VT_CASE(gpa_pfn_outside_memory),
	VT_CASE(gpa_pfn_overflow),
	VT_CASE(gpa_pfn_above_max),
	VT_CASE(gpa_too_many_pfns_per_packet),
	VT_CASE(unmask_bad_write_index),
	VT_CASE(release_bad_write_index),
	VT_CASE(gpa_second_page_outside),
	VT_CASE(xfer_range_past_set),
	VT_CASE(xfer_range_count_zero),
	VT_CASE(xfer_range_count_huge),
	VT_CASE(xfer_byte_count_zero),
	VT_CASE(xfer_ranges_past_extension),
};

VT_MAIN_FIXTURE(cases, setup, teardown)
