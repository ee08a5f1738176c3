// SPDX-License-Identifier: MIT
/*
 * A hostile guest against the control plane: one case per bad input. Each
 * must be counted as a guest error, answered with an error status where the
 * protocol has an answer, leak no GPADL pages or mappings, and leave the
 * host usable (a good GPADL and open still work afterwards).
 *
 * usage: test_host_hostile --list | <case>
 */
#include "fake_guest.h"

static int nop_open(struct vmbnet_channel *ch)
{
	return 0;
}
static void nop_doorbell(struct vmbnet_channel *ch)
{
}
static void nop_close(struct vmbnet_channel *ch)
{
}
static const struct vmbnet_chan_handler nop = {
	.open = nop_open,
	.doorbell = nop_doorbell,
	.close = nop_close,
};
static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 1 };

static struct fake_guest g;
static struct vmbnet_host h;
static uint64_t ring_pfn;
static uint64_t ring_pfns[4]; /* ring_pfn .. ring_pfn + 3 */

/* Send raw bytes as one message. */
static void send_raw(const void *m, uint32_t len)
{
	vmbnet_host_message(&h, m, len);
}

static void gpadl_hdr(uint32_t id, uint32_t relid, uint32_t byte_count, uint32_t byte_offset,
		      const uint64_t *pfns, uint32_t n, uint16_t buflen)
{
	uint8_t msg[VMB_MSG_MAX];
	struct vmb_msg_gpadl_header m = { .hdr.msgtype = VMB_MSG_GPADL_HEADER,
					  .child_relid = relid,
					  .gpadl = id,
					  .range_count = 1,
					  .range_buflen = buflen };
	struct vmb_gpa_range r = { byte_count, byte_offset };

	memcpy(msg, &m, sizeof(m));
	memcpy(msg + sizeof(m), &r, sizeof(r));
	memcpy(msg + sizeof(m) + sizeof(r), pfns, 8 * n);
	send_raw(msg, sizeof(m) + sizeof(r) + 8 * n);
}

static int32_t created_status(uint32_t id)
{
	struct vmb_msg_gpadl_created c;

	VT_EQ(fg_pop(&h, &c), VMB_MSG_GPADL_CREATED);
	VT_EQ(c.gpadl, id);
	return (int32_t)c.creation_status;
}

/* A fresh host with 16 guest pages for the case; @connect: do the contact. */
static void setup(bool connect)
{
	fg_init(&g);
	VT_EQ(vmbnet_host_init(&h, 2, mac, &fake_guest_ops, &g, &nop), 0);
	if (connect)
		fg_connect(&h);
	ring_pfn = fg_alloc(&g, 16);
	for (unsigned int i = 0; i < 4; i++)
		ring_pfns[i] = ring_pfn + i;
}

/* Every case: the error was counted, and the host is still usable. */
static void finish(void)
{
	VT_CHECK(h.stats.guest_errors > 0);
	VT_EQ(g.errors, h.stats.guest_errors);
	/* Still usable: a clean GPADL and open on a fresh handle (after the
	 * case's own GPADLs are gone: a page belongs to one GPADL only).
	 */
	while (fg_pop(&h, NULL))
		;
	vmbnet_host_reset(&h);
	fg_connect(&h);
	VT_EQ(fg_gpadl_contig(&h, 1, 4242, ring_pfn + 8, 4), 0);
	VT_EQ(fg_open(&h, &g, 1, 4242, ring_pfn + 8, 2, 2), 0);
	vmbnet_host_fini(&h);
	VT_EQ(g.maps, 0);
	VT_EQ(h.stats.gpadl_pages, 0);
	fg_fini(&g);
}

/*
 * HOSTILE_CASE(name, connect) { body } defines the case name(): setup(),
 * the body, finish().
 */
#define HOSTILE_CASE(name, connect)    \
	static void name##_body(void); \
	static void name(void)         \
	{                              \
		setup(connect);        \
		name##_body();         \
		finish();              \
	}                              \
	static void name##_body(void)

/* Most cases run against a connected guest. */
#define CASE(name) HOSTILE_CASE(name, true)

CASE(message_too_short)
{
	uint8_t b[4] = { 14 };

	send_raw(b, sizeof(b));
}

CASE(message_too_long)
{
	static uint8_t b[VMB_MSG_MAX + 8];

	b[0] = VMB_MSG_REQUEST_OFFERS;
	send_raw(b, sizeof(b));
	VT_EQ(fg_pop(&h, NULL), 0);
}

CASE(unknown_message_type)
{
	struct vmb_msg_hdr m = { .msgtype = 99 };

	send_raw(&m, sizeof(m));
}

/* Before contact: the truncated INITIATE among them must not connect. */
HOSTILE_CASE(truncated_every_type, false)
{
	static const uint32_t types[] = { 5, 7, 8, 9, 11, 14 };

	for (unsigned int i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		struct vmb_msg_hdr m = { .msgtype = types[i] };

		send_raw(&m, sizeof(m));
	}
	VT_EQ(h.stats.guest_errors, 6);
	VT_EQ(fg_pop(&h, NULL), 0);
	fg_connect(&h); /* the truncated INITIATE did not disconnect */
}

CASE(gpadl_pfn_outside_ram)
{
	uint64_t bad[2] = { ring_pfn, 0xfffffff0 };

	gpadl_hdr(5, 1, 2 * VMB_PAGE_SIZE, 0, bad, 2, 8 + 16);
	VT_EQ(created_status(5), -EFAULT);
}

CASE(gpadl_over_size_cap)
{
	uint32_t pages = VMBNET_GPADL_MAX_PAGES + 1;

	gpadl_hdr(5, 1, pages * VMB_PAGE_SIZE, 0, ring_pfns, 4, (uint16_t)(8 + 8 * pages));
	/* range_buflen is 16 bits: a huge GPADL cannot even say its size */
	VT_CHECK(created_status(5) < 0);
}

CASE(gpadl_over_total_cap)
{
	/* 16 x 4096 pages = the whole budget; the next one is refused. */
	for (uint32_t id = 1; id <= VMBNET_GPADL_TOTAL_PAGES / 4096; id++) {
		gpadl_hdr(id, 1, 4096 * VMB_PAGE_SIZE, 0, ring_pfns, 0, 8 + 8 * 4096);
		VT_EQ(fg_pop(&h, NULL), 0); /* waiting for bodies */
	}
	gpadl_hdr(100, 1, 4096 * VMB_PAGE_SIZE, 0, ring_pfns, 0, 8 + 8 * 4096);
	VT_EQ(created_status(100), -ENOSPC);
	vmbnet_host_reset(&h); /* frees the half-built ones */
	fg_connect(&h);
}

CASE(gpadl_too_many)
{
	uint64_t base = fg_alloc(&g, VMBNET_MAX_GPADLS + 1);
	uint64_t extra = base + VMBNET_MAX_GPADLS;

	for (uint32_t id = 1; id <= VMBNET_MAX_GPADLS; id++)
		VT_EQ(fg_gpadl_contig(&h, 1, id, base + id - 1, 1), 0);
	gpadl_hdr(1000, 1, VMB_PAGE_SIZE, 0, &extra, 1, 16);
	VT_EQ(created_status(1000), -ENOSPC);
	vmbnet_host_reset(&h);
	fg_connect(&h);
}

CASE(gpadl_duplicate_handle)
{
	VT_EQ(fg_gpadl_contig(&h, 1, 9, ring_pfn, 2), 0);
	gpadl_hdr(9, 1, VMB_PAGE_SIZE, 0, ring_pfns, 1, 16);
	VT_EQ(created_status(9), -EINVAL);
	VT_EQ(h.stats.gpadl_pages, 2); /* the first one is intact */
}

CASE(gpadl_overlaps_another)
{
	VT_EQ(fg_gpadl_contig(&h, 1, 9, ring_pfn, 4), 0);
	VT_EQ(fg_gpadl_contig(&h, 1, 10, ring_pfn + 3, 2), -EEXIST);
	VT_EQ(h.stats.gpadl_pages, 4);
}

CASE(gpadl_page_twice)
{
	uint64_t twice[3] = { ring_pfn, ring_pfn + 1, ring_pfn };

	VT_EQ(fg_gpadl(&h, 1, 9, twice, 3, 100), -EEXIST);
	VT_EQ(h.stats.gpadl_pages, 0);
}

CASE(gpadl_handle_zero)
{
	gpadl_hdr(0, 1, VMB_PAGE_SIZE, 0, ring_pfns, 1, 16);
	VT_EQ(fg_pop(&h, NULL), 0);
}

CASE(gpadl_bad_range)
{
	gpadl_hdr(5, 1, VMB_PAGE_SIZE, 8, ring_pfns, 2, 24); /* offset != 0 */
	VT_EQ(created_status(5), -EINVAL);
	gpadl_hdr(6, 1, 100, 0, ring_pfns, 1, 16); /* not whole pages */
	VT_EQ(created_status(6), -EINVAL);
	gpadl_hdr(7, 1, VMB_PAGE_SIZE, 0, ring_pfns, 1, 99); /* buflen lies */
	VT_EQ(created_status(7), -EINVAL);
	gpadl_hdr(8, 77, VMB_PAGE_SIZE, 0, ring_pfns, 1, 16); /* no such relid */
	VT_EQ(created_status(8), -EINVAL);
}

CASE(gpadl_too_many_pfns)
{
	gpadl_hdr(5, 1, 2 * VMB_PAGE_SIZE, 0, ring_pfns, 3, 8 + 16);
	VT_EQ(created_status(5), -EINVAL);
}

CASE(gpadl_body_out_of_sequence)
{
	struct {
		struct vmb_msg_gpadl_body b;
		uint64_t p;
	} body = { { .hdr.msgtype = VMB_MSG_GPADL_BODY, .msgnumber = 1, .gpadl = 5 }, ring_pfn };

	gpadl_hdr(5, 1, 2 * VMB_PAGE_SIZE, 0, ring_pfns, 1, 8 + 16);
	send_raw(&body, sizeof(body));
	VT_EQ(created_status(5), -EINVAL);
}

CASE(gpadl_body_unknown_handle)
{
	struct {
		struct vmb_msg_gpadl_body b;
		uint64_t p;
	} body = { { .hdr.msgtype = VMB_MSG_GPADL_BODY, .gpadl = 55 }, ring_pfn };

	send_raw(&body, sizeof(body));
	VT_EQ(fg_pop(&h, NULL), 0);
}

CASE(teardown_unknown_handle)
{
	struct vmb_msg_gpadl_teardown td = { .hdr.msgtype = VMB_MSG_GPADL_TEARDOWN, .gpadl = 1234 };

	send_raw(&td, sizeof(td));
	VT_EQ(fg_pop(&h, NULL), 0);
}

CASE(open_bad_relid)
{
	VT_EQ(fg_gpadl_contig(&h, 1, 5, ring_pfn, 4), 0);
	VT_EQ(fg_open(&h, &g, 9, 5, ring_pfn, 2, 2), -EINVAL);
}

CASE(open_gpadl_of_other_channel)
{
	VT_EQ(fg_gpadl_contig(&h, 2, 5, ring_pfn, 4), 0);
	VT_EQ(fg_open(&h, &g, 1, 5, ring_pfn, 2, 2), -EINVAL);
}

CASE(open_gpadl_incomplete)
{
	gpadl_hdr(5, 1, 4 * VMB_PAGE_SIZE, 0, ring_pfns, 2, 8 + 32);
	VT_EQ(fg_open(&h, &g, 1, 5, ring_pfn, 2, 2), -EINVAL);
}

CASE(open_noncontiguous_ring)
{
	uint64_t scattered[4] = { ring_pfn, ring_pfn + 2, ring_pfn + 1, ring_pfn + 3 };

	VT_EQ(fg_gpadl(&h, 1, 5, scattered, 4, 100), 0);
	VT_EQ(fg_open(&h, &g, 1, 5, ring_pfn, 2, 2), -EINVAL);
}

CASE(open_bad_downstream_offset)
{
	VT_EQ(fg_gpadl_contig(&h, 1, 5, ring_pfn, 4), 0);
	VT_EQ(fg_open(&h, &g, 1, 5, ring_pfn, 1, 3), -EINVAL);
	VT_EQ(fg_open(&h, &g, 1, 5, ring_pfn, 4, 0), -EINVAL);
}

CASE(open_corrupt_ring_index)
{
	struct vmb_msg_open_channel m = { .hdr.msgtype = VMB_MSG_OPEN_CHANNEL,
					  .child_relid = 1,
					  .ringbuffer_gpadl = 5,
					  .downstream_ring_offset = 2 };
	struct vmb_msg_open_result r;

	VT_EQ(fg_gpadl_contig(&h, 1, 5, ring_pfn, 4), 0);
	vmb_ring_format(fg_ptr(&g, ring_pfn), 2 * VMB_PAGE_SIZE);
	vmb_ring_format(fg_ptr(&g, ring_pfn + 2), 2 * VMB_PAGE_SIZE);
	((struct vmb_ring_hdr *)fg_ptr(&g, ring_pfn))->write_index = 0x7777;
	send_raw(&m, sizeof(m));
	VT_EQ(fg_pop(&h, &r), VMB_MSG_OPEN_RESULT);
	VT_EQ((int32_t)r.status, -EIO);
	VT_EQ(g.maps, 0);
}

CASE(close_not_open)
{
	struct vmb_msg_close_channel c = { .hdr.msgtype = VMB_MSG_CLOSE_CHANNEL, .child_relid = 1 };

	send_raw(&c, sizeof(c));
}

CASE(message_queue_overflow)
{
	struct vmb_msg_initiate_contact m = { .hdr.msgtype = VMB_MSG_INITIATE_CONTACT,
					      .version_requested = VMB_PROTO_VERSION_1_0 };

	for (int i = 0; i < VMBNET_MSGQ_LEN + 10; i++)
		send_raw(&m, sizeof(m));
	VT_EQ(h.stats.msgs_dropped, 10);
	while (fg_pop(&h, NULL))
		;
}

static const struct vt_case cases[] = {
	VT_CASE(message_too_short),
	VT_CASE(message_too_long),
	VT_CASE(unknown_message_type),
	VT_CASE(truncated_every_type),
	VT_CASE(gpadl_pfn_outside_ram),
	VT_CASE(gpadl_over_size_cap),
	VT_CASE(gpadl_over_total_cap),
	VT_CASE(gpadl_too_many),
	VT_CASE(gpadl_duplicate_handle),
	VT_CASE(gpadl_overlaps_another),
	VT_CASE(gpadl_page_twice),
	VT_CASE(gpadl_handle_zero),
	VT_CASE(gpadl_bad_range),
	VT_CASE(gpadl_too_many_pfns),
	VT_CASE(gpadl_body_out_of_sequence),
	VT_CASE(gpadl_body_unknown_handle),
	VT_CASE(teardown_unknown_handle),
	VT_CASE(open_bad_relid),
	VT_CASE(open_gpadl_of_other_channel),
	VT_CASE(open_gpadl_incomplete),
	VT_CASE(open_noncontiguous_ring),
	VT_CASE(open_bad_downstream_offset),
	VT_CASE(open_corrupt_ring_index),
	VT_CASE(close_not_open),
	VT_CASE(message_queue_overflow),
};

VT_MAIN(cases)
