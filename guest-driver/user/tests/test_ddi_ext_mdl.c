// SPDX-License-Identifier: MIT
/*
 * VmbPacketSendWithExternalMdl, one CTest entry per rule of the seed page:
 * WAIT_FOR_COMPLETION required; MdlLength 0 = the whole MDL (chain);
 * MdlOffset/MdlLength select inside the chain; FORCE_MDL_LENGTH passes the
 * byte count up to the page boundary only, and uses the first MDL only;
 * PAGED_BUFFER: the inline buffer is copied at call time; resources are
 * held until the one completion.
 *
 * usage: test_ddi_ext_mdl <case>
 */
#include "harness.h"

#define FRAME 300

static unsigned int calls;
static int32_t last_status;

static void done(struct vmbnet_vmbpacket *p, int32_t status, const void *payload, uint32_t len)
{
	calls++;
	last_status = status;
}

/* An RNDIS PACKET with a FRAME-byte frame at @at; returns its length. */
static uint32_t put_msg(uint8_t *at, uint8_t seed)
{
	struct rndis_hdr rh = { RNDIS_MSG_PACKET, 8 + sizeof(struct rndis_packet) + FRAME };
	struct rndis_packet pk = { .data_offset = sizeof(pk), .data_len = FRAME };

	memcpy(at, &rh, sizeof(rh));
	memcpy(at + 8, &pk, sizeof(pk));
	h_frame(at + 8 + sizeof(pk), FRAME, seed);
	return rh.msg_len;
}

static void expect_frame(uint8_t seed)
{
	uint8_t want[FRAME];

	h_frame(want, FRAME, seed);
	VT_EQ(H.last_len, FRAME);
	VT_CHECK(!memcmp(H.last, want, FRAME));
}

static const struct nvsp_rndis_pkt nvsp = { NVSP_MSG_SEND_RNDIS_PKT, NVSP_CHANNEL_DATA,
					    NVSP_SECTION_NONE, 0 };

static int32_t send(const struct vmbnet_mdl *mdl, uint32_t off, uint32_t len, uint32_t flags)
{
	struct vmbnet_vmbpacket *p = vmbnet_packet_alloc(&H.core, done, NULL);

	VT_CHECK(p);
	int32_t st = vmbnet_packet_send_ext_mdl(p, &nvsp, sizeof(nvsp), mdl, off, len, flags);

	if (st)
		vmbnet_packet_free(p); /* on failure the caller still owns it */
	h_pump(); /* the device ran at the doorbell: deliver its completion */
	return st;
}

/* The fixture: a fresh harness, three pages of guest memory for the
 * messages, and room for an MDL chain over them.
 */
static uint8_t *buf;
static struct vmbnet_mdl m[3];
static uint64_t pfns[3][4];

static void setup(void)
{
	h_init();
	buf = h_dma(3 * VMB_PAGE_SIZE, NULL);
}

static void requires_wait_for_completion(void)
{
	uint32_t msg_len;

	msg_len = put_msg(buf, 1);
	h_mdl(&m[0], pfns[0], buf, msg_len);
	VT_EQ(send(&m[0], 0, 0, 0), VMBNET_STATUS_INVALID_PARAMETER);
	VT_EQ(send(&m[0], 0, 0, VMBNET_FLAG_PAGED_BUFFER), VMBNET_STATUS_INVALID_PARAMETER);
	h_run();
	VT_EQ(calls, 0); /* never called on failure */
	VT_EQ(H.frames, 0);
	VT_EQ(H.core.in_use, 0);
}

static void unknown_flags_rejected(void)
{
	uint32_t msg_len;

	msg_len = put_msg(buf, 1);
	h_mdl(&m[0], pfns[0], buf, msg_len);
	VT_EQ(send(&m[0], 0, 0, VMBNET_FLAG_WAIT_FOR_COMPLETION | 0x80),
	      VMBNET_STATUS_INVALID_PARAMETER);
	VT_EQ(calls, 0);
}

static void whole_chain_when_length_zero(void)
{
	uint32_t msg_len;

	/* The message split over three MDLs, the middle one across a page. */
	msg_len = put_msg(buf + 4000, 2);
	h_mdl(&m[0], pfns[0], buf + 4000, 40);
	h_mdl(&m[1], pfns[1], buf + 4040, 100);
	h_mdl(&m[2], pfns[2], buf + 4140, msg_len - 140);
	m[0].Next = &m[1];
	m[1].Next = &m[2];
	VT_EQ(send(&m[0], 0, 0, VMBNET_FLAG_WAIT_FOR_COMPLETION), 0);
	VT_EQ(calls, 1);
	VT_EQ(last_status, 0);
	expect_frame(2);
}

static void offset_and_length_select(void)
{
	uint32_t msg_len;

	memset(buf, 0xee, 3 * VMB_PAGE_SIZE);
	msg_len = put_msg(buf + 150, 3); /* junk before and after */
	h_mdl(&m[0], pfns[0], buf, 100);
	h_mdl(&m[1], pfns[1], buf + 100, 2 * VMB_PAGE_SIZE);
	m[0].Next = &m[1];
	VT_EQ(send(&m[0], 150, msg_len, VMBNET_FLAG_WAIT_FOR_COMPLETION), 0);
	VT_EQ(last_status, 0);
	expect_frame(3);
}

static void length_past_chain_rejected(void)
{
	uint32_t msg_len;

	msg_len = put_msg(buf, 1);
	h_mdl(&m[0], pfns[0], buf, msg_len);
	VT_EQ(send(&m[0], 0, msg_len + 1, VMBNET_FLAG_WAIT_FOR_COMPLETION),
	      VMBNET_STATUS_INVALID_PARAMETER);
	VT_EQ(send(&m[0], msg_len, 1, VMBNET_FLAG_WAIT_FOR_COMPLETION),
	      VMBNET_STATUS_INVALID_PARAMETER);
	VT_EQ(calls, 0);
}

static void force_mdl_length_to_page_end(void)
{
	uint32_t msg_len;

	/* The MDL claims 50 bytes; the message runs on in the same page. */
	msg_len = put_msg(buf + 3000, 4);
	h_mdl(&m[0], pfns[0], buf + 3000, 50);
	VT_EQ(send(&m[0], 0, msg_len, VMBNET_FLAG_WAIT_FOR_COMPLETION),
	      VMBNET_STATUS_INVALID_PARAMETER); /* without the flag: too long */
	VT_EQ(send(&m[0], 0, msg_len,
		   VMBNET_FLAG_WAIT_FOR_COMPLETION | VMBNET_FLAG_FORCE_MDL_LENGTH),
	      0);
	VT_EQ(last_status, 0);
	expect_frame(4);
	/* Up to the page boundary (1096 bytes from offset 3000), not past. */
	VT_EQ(send(&m[0], 0, VMB_PAGE_SIZE - 3000 + 1,
		   VMBNET_FLAG_WAIT_FOR_COMPLETION | VMBNET_FLAG_FORCE_MDL_LENGTH),
	      VMBNET_STATUS_INVALID_PARAMETER);
	VT_EQ(calls, 1);
}

static void force_uses_first_mdl_only(void)
{
	put_msg(buf + VMB_PAGE_SIZE - 44, 5); /* header ends the page */
	h_mdl(&m[0], pfns[0], buf + VMB_PAGE_SIZE - 44, 44);
	h_mdl(&m[1], pfns[1], buf + VMB_PAGE_SIZE, FRAME);
	m[0].Next = &m[1];
	VT_EQ(send(&m[0], 0, 0, VMBNET_FLAG_WAIT_FOR_COMPLETION), 0);
	VT_EQ(last_status, 0);
	expect_frame(5);
	/* Forced, length 0: only the 44-byte header goes; the host
	 * finds no frame behind it and fails the packet.
	 */
	VT_EQ(send(&m[0], 0, 0, VMBNET_FLAG_WAIT_FOR_COMPLETION | VMBNET_FLAG_FORCE_MDL_LENGTH), 0);
	VT_EQ(calls, 2);
	VT_EQ(last_status, VMBNET_STATUS_INVALID_PARAMETER);
	VT_EQ(H.frames, 1);
}

static void paged_buffer_copied_at_call(void)
{
	uint32_t msg_len;
	struct nvsp_rndis_pkt mine = nvsp;
	unsigned int sent = 0;

	msg_len = put_msg(buf, 6);
	h_mdl(&m[0], pfns[0], buf, msg_len);
	H.host_runs = false; /* the ring fills, later sends queue */
	while (H.core.stats.queued < 3) {
		struct vmbnet_vmbpacket *p = vmbnet_packet_alloc(&H.core, done, NULL);

		VT_CHECK(p);
		mine = nvsp;
		VT_EQ(vmbnet_packet_send_ext_mdl(p, &mine, sizeof(mine), &m[0], 0, 0,
						 VMBNET_FLAG_WAIT_FOR_COMPLETION |
							 VMBNET_FLAG_PAGED_BUFFER),
		      0);
		memset(&mine, 0xab, sizeof(mine)); /* reused at once */
		sent++;
	}
	H.host_runs = true;
	for (int i = 0; i < 20 && calls < sent; i++)
		h_run();
	VT_EQ(calls, sent);
	VT_EQ(H.core.stats.failed, 0); /* every inline copy was intact */
	VT_EQ(H.frames, sent);
}

static void held_until_one_completion(void)
{
	uint32_t msg_len;
	struct vmbnet_vmbpacket *p = vmbnet_packet_alloc(&H.core, done, NULL);

	msg_len = put_msg(buf, 7);
	h_mdl(&m[0], pfns[0], buf, msg_len);
	H.host_runs = false;
	VT_EQ(vmbnet_packet_send_ext_mdl(p, &nvsp, sizeof(nvsp), &m[0], 0, 0,
					 VMBNET_FLAG_WAIT_FOR_COMPLETION),
	      0);
	h_pump();
	VT_EQ(calls, 0);
	VT_EQ(p->state, VMBNET_PKT_SENT); /* still ours: packet and MDL */
	vmbnet_packet_free(p); /* refused while in flight */
	VT_EQ(p->state, VMBNET_PKT_SENT);
	h_run();
	VT_EQ(calls, 1);
	VT_EQ(last_status, 0);
	h_run();
	VT_EQ(calls, 1);
	VT_EQ(p->state, VMBNET_PKT_IDLE);
	vmbnet_packet_free(p);
	VT_EQ(H.core.in_use, 0);
}

static void channel_closed_no_completion(void)
{
	uint32_t msg_len;

	msg_len = put_msg(buf, 8);
	h_mdl(&m[0], pfns[0], buf, msg_len);
	H.closed = true;
	VT_EQ(send(&m[0], 0, 0, VMBNET_FLAG_WAIT_FOR_COMPLETION), VMBNET_STATUS_UNSUCCESSFUL);
	VT_EQ(calls, 0);
	VT_EQ(H.core.in_use, 0);
}

static const struct vt_case cases[] = {
	VT_CASE(requires_wait_for_completion), VT_CASE(unknown_flags_rejected),
	VT_CASE(whole_chain_when_length_zero), VT_CASE(offset_and_length_select),
	VT_CASE(length_past_chain_rejected),   VT_CASE(force_mdl_length_to_page_end),
	VT_CASE(force_uses_first_mdl_only),    VT_CASE(paged_buffer_copied_at_call),
	VT_CASE(held_until_one_completion),    VT_CASE(channel_closed_no_completion),
};

VT_MAIN_FIXTURE(cases, setup, h_fini)
