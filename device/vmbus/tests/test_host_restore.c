// SPDX-License-Identifier: MIT
/*
 * The host side's state after a migration: what the stream restored is
 * checked before anything is mapped or indexed by it. A stream is as
 * untrusted as the guest.
 *
 * Regression (hostile-peers issue, bug 6): msgq_len[], msgq_head and the
 * GPADL and channel fields were used unchecked: a queued length over the
 * slot made MSG_RECV copy past msg_rx (reproduced under ASan).
 *
 * usage: test_host_restore --list | <case>
 */
#include "fake_guest.h"

static int nop_open(struct vmbnet_channel *ch)
{
	return 0;
}

static void nop(struct vmbnet_channel *ch)
{
}

static const struct vmbnet_chan_handler nop_handler = {
	.open = nop_open,
	.doorbell = nop,
	.close = nop,
};
static const uint8_t mac[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };

static struct fake_guest g;
static struct vmbnet_host h;

/* A connected host with one open channel (ring GPADL 10, 4 + 4 pages) and
 * a message waiting; then, as after a load, the pointers are rebuilt.
 */
static void setup(void)
{
	uint64_t pfn;
	struct vmb_msg_hdr req = { .msgtype = VMB_MSG_REQUEST_OFFERS };

	fg_init(&g);
	VT_EQ(vmbnet_host_init(&h, 2, mac, &fake_guest_ops, &g, &nop_handler), 0);
	fg_connect(&h);
	pfn = fg_alloc(&g, 8);
	VT_EQ(fg_gpadl_contig(&h, 1, 10, pfn, 8), 0);
	VT_EQ(fg_open(&h, &g, 1, 10, pfn, 4, 4), 0);
	vmbnet_host_message(&h, &req, sizeof(req)); /* offers queue up */
	VT_CHECK(h.msgq_count > 0);
	/* what a load keeps: no mappings (pre_load reset the device) */
	fake_guest_ops.unmap(&g, h.chan[0].ring_mem, h.chan[0].ring_len);
	h.chan[0].ring_mem = NULL;
	g.errors = 0;
}

static void teardown(void)
{
	vmbnet_host_fini(&h);
	fg_fini(&g);
}

static void restore_valid(void)
{
	uint64_t pages = h.stats.gpadl_pages;
	uint8_t buf[VMB_MSG_MAX];

	h.stats.gpadl_pages = 0; /* counters are not migrated */
	VT_EQ(vmbnet_host_post_load(&h), 0);
	VT_EQ(h.stats.gpadl_pages, pages);
	VT_EQ(h.chan[0].state, VMBNET_CHAN_OPEN);
	VT_CHECK(vmbnet_host_pop(&h, buf) > 0);
}

/* Refused: counted, the host starts over as after reset, nothing queued. */
static void expect_refused(void)
{
	uint8_t buf[VMB_MSG_MAX];

	VT_EQ(vmbnet_host_post_load(&h), -EINVAL);
	VT_EQ(g.errors, 1);
	VT_EQ(vmbnet_host_pop(&h, buf), 0);
	VT_EQ(h.chan[0].state, VMBNET_CHAN_OFFERED);
	VT_EQ(h.stats.gpadl_pages, 0);
	VT_EQ(g.maps, 0);
	fg_connect(&h); /* and the guest can start over */
}

static void msg_len_over_slot(void)
{
	h.msgq_len[h.msgq_head] = 60000;
	expect_refused();
}

static void msg_len_under_header(void)
{
	h.msgq_len[h.msgq_head] = 2;
	expect_refused();
}

static void msgq_head_out_of_range(void)
{
	h.msgq_head = VMBNET_MSGQ_LEN + 3;
	expect_refused();
}

static void msgq_count_out_of_range(void)
{
	h.msgq_count = VMBNET_MSGQ_LEN + 1;
	expect_refused();
}

static struct vmbnet_gpadl *ring_gpadl(void)
{
	return (struct vmbnet_gpadl *)vmbnet_host_gpadl(&h, 1, 10);
}

static void gpadl_received_past_npages(void)
{
	ring_gpadl()->received = ring_gpadl()->npages + 1;
	expect_refused();
}

static void gpadl_too_large(void)
{
	ring_gpadl()->npages = VMBNET_GPADL_MAX_PAGES + 1;
	ring_gpadl()->received = ring_gpadl()->npages;
	expect_refused();
}

static void gpadl_page_outside_ram(void)
{
	ring_gpadl()->pfns[3] = 1ull << 36;
	expect_refused();
}

static void channel_state_unknown(void)
{
	h.chan[1].state = 7;
	expect_refused();
}

static void channel_ring_gpadl_gone(void)
{
	h.chan[0].gpadl = 77;
	expect_refused();
}

/* Found by fuzz_restore: a free slot's pfn array leaked (reset skips free
 * slots). Refused, and freed.
 */
static void free_slot_with_pages(void)
{
	h.gpadl[5].npages = 2;
	h.gpadl[5].pfns = calloc(2, sizeof(uint64_t));
	expect_refused();
	VT_CHECK(!h.gpadl[5].pfns);
}

static const struct vt_case cases[] = {
	VT_CASE(restore_valid),		  VT_CASE(msg_len_over_slot),
	VT_CASE(msg_len_under_header),	  VT_CASE(msgq_head_out_of_range),
	VT_CASE(msgq_count_out_of_range), VT_CASE(gpadl_received_past_npages),
	VT_CASE(gpadl_too_large),	  VT_CASE(gpadl_page_outside_ram),
	VT_CASE(channel_state_unknown),	  VT_CASE(channel_ring_gpadl_gone),
	VT_CASE(free_slot_with_pages),
};

VT_MAIN_FIXTURE(cases, setup, teardown)
