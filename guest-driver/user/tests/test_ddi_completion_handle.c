// SPDX-License-Identifier: MIT
/*
 * DOT11EXTIHV_SEND_PACKET_COMPLETION: the caller's handle comes back with
 * the completion, exactly once, and only then may the caller free the
 * packet (it stays in use until then: the device reads it late).
 */
#include "harness.h"

static unsigned int calls;
static void *handles[8];

static void completion(void *arg, void *h)
{
	handles[calls++] = h;
}

static void handle_comes_back_with_completion(void)
{
	uint8_t *frame;

	h_init();
	vmbnet_dot11_register(&H.core, completion, NULL);
	frame = h_dma(200, NULL);
	h_frame(frame, 200, 9);

	H.host_runs = false;
	VT_EQ(vmbnet_dot11_send_packet(&H.core, frame, 200, (void *)0xabc), 0);
	VT_EQ(vmbnet_dot11_send_packet(&H.core, frame, 200, (void *)0xdef), 0);
	VT_EQ(calls, 0); /* not before the device is done with it */
	h_run();
	VT_EQ(calls, 2);
	VT_CHECK(handles[0] == (void *)0xabc);
	VT_CHECK(handles[1] == (void *)0xdef);
	VT_EQ(H.frames, 2);
	VT_EQ(H.last_len, 200);
	VT_EQ(H.last[199], (uint8_t)(9 + 199 * 7));
	h_run();
	VT_EQ(calls, 2); /* exactly once */

	/* Link down: the handle still comes back (the send failed). */
	H.nic.link_up = false;
	VT_EQ(vmbnet_dot11_send_packet(&H.core, frame, 200, (void *)0x123), 0);
	h_run();
	VT_EQ(calls, 3);
	VT_CHECK(handles[2] == (void *)0x123);

	/* Bad arguments: refused, never completed. */
	VT_EQ(vmbnet_dot11_send_packet(&H.core, NULL, 200, (void *)1),
	      VMBNET_STATUS_INVALID_PARAMETER);
	VT_EQ(vmbnet_dot11_send_packet(&H.core, frame, 0, (void *)1),
	      VMBNET_STATUS_INVALID_PARAMETER);
	h_run();
	VT_EQ(calls, 3);
	VT_EQ(H.core.in_use, 0);
	h_fini();
}

static const struct vt_case cases[] = { VT_CASE(handle_comes_back_with_completion) };

VT_MAIN(cases)
